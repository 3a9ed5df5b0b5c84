// IAM's wildcard patterns, as a policy's Action, Resource, StringLike and ArnLike values use
// them: `*` matches any run of characters (also none), `?` exactly one, everything else itself.
// Matching is iterative (one backtrack point, the last `*`), so its cost is bounded by
// pattern size × text size and no recursion grows with the input.
#pragma once

#include <cctype>
#include <cstddef>
#include <string_view>

namespace shmq::sqs {

enum class LetterCase { sensitive, ignored };

[[nodiscard]] inline bool wildcard_match(std::string_view pattern, std::string_view text,
                                         LetterCase letter_case = LetterCase::sensitive) noexcept {
    const auto same = [letter_case](char a, char b) {
        return a == b || (letter_case == LetterCase::ignored &&
                          std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b)));
    };
    std::size_t p = 0;
    std::size_t t = 0;
    std::size_t star = std::string_view::npos; // pattern index just past the last `*` seen
    std::size_t star_text = 0;                 // where the text stood when that `*` was seen
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = ++p;
            star_text = t;
        } else if (p < pattern.size() && (pattern[p] == '?' || same(pattern[p], text[t]))) {
            ++p;
            ++t;
        } else if (star != std::string_view::npos) {
            p = star; // let the last `*` swallow one more character and try again
            t = ++star_text;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') {
        ++p;
    }
    return p == pattern.size();
}

} // namespace shmq::sqs
