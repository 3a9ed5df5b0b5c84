// A recursive-descent parser over bytes. The grammar and the character classes are awscli's
// (its regular expressions are spelled out in the is_*_character functions); bytes >= 0x80 are
// value characters, which is what awscli's "\u007c-\uffff" ranges mean for UTF-8 text. awscli
// uses exceptions to backtrack out of a comma-separated list; here a failed step records the
// error in error_ and returns false, and csv_value backtracks explicitly.
#include "shorthand.h"

#include <boost/json/array.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>

#include "parameter_file.h"

namespace shmq::cli {
namespace {

// Lists and hashes nest at most this deep: each level is a recursion of the parser, and a
// command-line argument can be 128 KiB of '[' (SQS's deepest shape, a message attribute map
// of structures, needs 3).
constexpr std::size_t nesting_depth_max = 64;

bool is_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// [!#-&(-+\--<>-Z\\-z|-\uffff]: a value may not start with a quote, ',', '=', '[' or '{'.
bool is_start_character(unsigned char c) {
    return c == '!' || (c >= '#' && c <= '&') || (c >= '(' && c <= '+') || (c >= '-' && c <= '<') ||
           (c >= '>' && c <= 'Z') || (c >= '\\' && c <= 'z') || c >= '|';
}

// [\s!#-&(-+\--\\^-|~-\uffff]: a first value stops at a quote, ',', ']' or '}'.
bool is_first_follow_character(unsigned char c) {
    return is_space(c) || c == '!' || (c >= '#' && c <= '&') || (c >= '(' && c <= '+') || (c >= '-' && c <= '\\') ||
           (c >= '^' && c <= '|') || c >= '~';
}

// [\s!#-&(-+\--<>-\uffff]: a later list value stops at a quote, ',' or '='.
bool is_second_follow_character(unsigned char c) {
    return is_space(c) || c == '!' || (c >= '#' && c <= '&') || (c >= '(' && c <= '+') || (c >= '-' && c <= '<') ||
           c >= '>';
}

bool is_key_character(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == '#' || c == '/' || c == ':';
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
    std::size_t position = 0;
    while ((position = text.find(from, position)) != std::string::npos) {
        text.replace(position, from.size(), to);
        position += to.size();
    }
    return text;
}

std::string strip_trailing_space(std::string text) {
    while (!text.empty() && is_space(static_cast<unsigned char>(text.back()))) {
        text.pop_back();
    }
    return text;
}

class ShorthandParser {
  public:
    ShorthandParser(std::string_view option_name, std::string_view input) : option_name_(option_name), input_(input) {}

    CliResult<boost::json::object> parse() {
        boost::json::object parameters;
        std::string key;
        boost::json::value value;
        if (!keyval(key, value)) {
            return failure();
        }
        parameters[key] = std::move(value);
        std::size_t last_index = index_;
        while (index_ < input_.size()) {
            if (!expect(',', true) || !keyval(key, value)) {
                return failure();
            }
            if (parameters.contains(key)) {
                return Failure::parameter(option_name_, "Second instance of key \"" + key +
                                                            "\" encountered for input:\n" +
                                                            error_location(last_index + 1) +
                                                            "\nThis is often because there is a preceding \",\" "
                                                            "instead of a space.");
            }
            parameters[key] = std::move(value);
            last_index = index_;
        }
        return parameters;
    }

  private:
    // Counts the lists and hashes open around the parser's position.
    class NestingGuard {
      public:
        explicit NestingGuard(ShorthandParser& parser) : parser_(parser) { ++parser_.depth_; }
        ~NestingGuard() { --parser_.depth_; }
        NestingGuard(const NestingGuard&) = delete;
        NestingGuard& operator=(const NestingGuard&) = delete;
        [[nodiscard]] bool admitted() const { return parser_.depth_ <= nesting_depth_max; }

      private:
        ShorthandParser& parser_;
    };

    bool nesting_too_deep() {
        nesting_failure_ = true;
        error_index_ = index_;
        return false;
    }

    [[nodiscard]] bool at_eof() const { return index_ >= input_.size(); }
    [[nodiscard]] std::optional<unsigned char> current() const {
        if (at_eof()) {
            return std::nullopt;
        }
        return static_cast<unsigned char>(input_[index_]);
    }
    [[nodiscard]] bool current_is(char c) const { return !at_eof() && input_[index_] == c; }

    void consume_whitespace() {
        while (!at_eof() && is_space(static_cast<unsigned char>(input_[index_]))) {
            ++index_;
        }
    }

    bool syntax_error(char expected) {
        error_expected_ = expected;
        error_actual_ = at_eof() ? std::string("EOF") : std::string(1, input_[index_]);
        error_index_ = index_;
        return false;
    }

    bool syntax_error(std::string_view expected) {
        error_expected_ = expected;
        error_actual_ = at_eof() ? std::string("EOF") : std::string(1, input_[index_]);
        error_index_ = index_;
        return false;
    }

    bool expect(char c, bool consume_space = false) {
        if (consume_space) {
            consume_whitespace();
        }
        if (!current_is(c)) {
            return syntax_error(c);
        }
        ++index_;
        if (consume_space) {
            consume_whitespace();
        }
        return true;
    }

    // keyval = key ["@"] "=" [values]
    bool keyval(std::string& key, boost::json::value& value) {
        key = this->key();
        consume_whitespace();
        resolve_files_ = false;
        if (current_is('@')) {
            ++index_;
            resolve_files_ = true;
        }
        if (!expect('=', true)) {
            return false;
        }
        return values(value);
    }

    std::string key() {
        const std::size_t start = index_;
        while (!at_eof() && is_key_character(input_[index_])) {
            ++index_;
        }
        return std::string(input_.substr(start, index_ - start));
    }

    // values = csv-list / explicit-list / hash-literal
    bool values(boost::json::value& value) {
        if (at_eof()) {
            value = boost::json::string();
            return true;
        }
        if (current_is('[')) {
            return explicit_list(value);
        }
        if (current_is('{')) {
            return hash_literal(value);
        }
        return csv_value(value);
    }

    bool csv_value(boost::json::value& value) {
        std::string first;
        if (!first_value(first)) {
            return false;
        }
        consume_whitespace();
        if (!current_is(',')) {
            value = boost::json::string(first);
            return true;
        }
        if (!expect(',', true)) {
            return false;
        }
        boost::json::array list;
        list.emplace_back(boost::json::string(first));
        for (;;) {
            std::string next;
            bool parsed = second_value(next);
            if (parsed) {
                consume_whitespace();
                if (at_eof()) {
                    list.emplace_back(boost::json::string(next));
                    break;
                }
                parsed = expect(',', true);
            }
            if (!parsed) {
                if (at_eof()) {
                    return false;
                }
                // "a=b,c=d": the "c" was the next key, not a list value; give it back.
                while (index_ > 0 && input_[index_] != ',') {
                    --index_;
                }
                break;
            }
            list.emplace_back(boost::json::string(next));
        }
        if (list.size() == 1) {
            value = boost::json::string(first);
        } else {
            value = std::move(list);
        }
        return true;
    }

    // explicit-list = "[" [value *("," value)] "]"
    bool explicit_list(boost::json::value& value) {
        const NestingGuard guard(*this);
        if (!guard.admitted()) {
            return nesting_too_deep();
        }
        if (!expect('[', true)) {
            return false;
        }
        boost::json::array list;
        // Each pass either fails or consumes a ',', so the loop ends with the input.
        while (!current_is(']')) {
            boost::json::value element;
            if (!explicit_values(element)) {
                return false;
            }
            list.push_back(std::move(element));
            consume_whitespace();
            if (!current_is(']')) {
                if (!expect(',')) {
                    return false;
                }
                consume_whitespace();
            }
        }
        if (!expect(']')) {
            return false;
        }
        value = std::move(list);
        return true;
    }

    bool explicit_values(boost::json::value& value) {
        if (current_is('[')) {
            return explicit_list(value);
        }
        if (current_is('{')) {
            return hash_literal(value);
        }
        std::string text;
        if (!first_value(text)) {
            return false;
        }
        value = boost::json::string(text);
        return true;
    }

    // hash-literal = "{" keyval *("," keyval) "}"
    bool hash_literal(boost::json::value& value) {
        const NestingGuard guard(*this);
        if (!guard.admitted()) {
            return nesting_too_deep();
        }
        if (!expect('{', true)) {
            return false;
        }
        boost::json::object object;
        while (!current_is('}')) {
            if (at_eof()) {
                return syntax_error('}');
            }
            std::string member_key = key();
            consume_whitespace();
            resolve_files_ = false;
            if (current_is('@')) {
                ++index_;
                resolve_files_ = true;
            }
            if (!expect('=', true)) {
                return false;
            }
            boost::json::value member;
            if (!explicit_values(member)) {
                return false;
            }
            consume_whitespace();
            if (!current_is('}')) {
                if (!expect(',')) {
                    return false;
                }
                consume_whitespace();
            }
            object[member_key] = std::move(member);
        }
        if (!expect('}')) {
            return false;
        }
        value = std::move(object);
        return true;
    }

    // first-value = value / single-quoted / double-quoted; an empty value is allowed.
    bool first_value(std::string& text) {
        if (current_is('\'')) {
            return quoted_value('\'', text);
        }
        if (current_is('"')) {
            return quoted_value('"', text);
        }
        text = processed_value(consume_word(is_first_follow_character));
        return resolve(text);
    }

    // second-value: like first-value but must not be empty and may not contain '='.
    bool second_value(std::string& text) {
        if (current_is('\'')) {
            return quoted_value('\'', text);
        }
        if (current_is('"')) {
            return quoted_value('"', text);
        }
        const std::string word = consume_word(is_second_follow_character);
        if (word.empty()) {
            return syntax_error("second");
        }
        text = processed_value(word);
        return resolve(text);
    }

    // (escaped-comma / start-character) *(escaped-comma / follow-character)
    std::string consume_word(bool (*is_follow)(unsigned char)) {
        const std::size_t start = index_;
        bool first = true;
        while (!at_eof()) {
            if (input_[index_] == '\\' && index_ + 1 < input_.size() && input_[index_ + 1] == ',') {
                index_ += 2;
            } else if (first ? is_start_character(static_cast<unsigned char>(input_[index_]))
                             : is_follow(static_cast<unsigned char>(input_[index_]))) {
                ++index_;
            } else {
                break;
            }
            first = false;
        }
        return std::string(input_.substr(start, index_ - start));
    }

    static std::string processed_value(std::string word) {
        return strip_trailing_space(replace_all(std::move(word), "\\,", ","));
    }

    // '...' or "..." with \' (or \") and \\ escapes.
    bool quoted_value(char quote, std::string& text) {
        const std::size_t start = index_;
        ++index_;
        while (!at_eof() && input_[index_] != quote) {
            if (input_[index_] == '\\' && index_ + 1 < input_.size() && input_[index_ + 1] == quote) {
                index_ += 2;
            } else {
                ++index_;
            }
        }
        if (at_eof()) {
            index_ = start;
            return syntax_error(quote == '"' ? "double quoted" : "singled quoted");
        }
        ++index_;
        std::string inner(input_.substr(start + 1, index_ - start - 2));
        inner = replace_all(std::move(inner), std::string{'\\', quote}, std::string{quote});
        text = replace_all(std::move(inner), "\\\\", "\\");
        return resolve(text);
    }

    // key@=file://path reads the value from a file.
    bool resolve(std::string& text) {
        if (!resolve_files_ || !is_parameter_file(text)) {
            return true;
        }
        auto loaded = resolve_parameter_file(option_name_, text);
        if (!loaded.ok()) {
            file_failure_ = loaded.failure();
            return false;
        }
        text = std::move(loaded).value();
        return true;
    }

    [[nodiscard]] std::string error_location(std::size_t at) const {
        return std::string(input_) + "\n" + std::string(at, ' ') + "^";
    }

    Failure failure() const {
        if (file_failure_) {
            return *file_failure_;
        }
        if (nesting_failure_) {
            return Failure::parameter(option_name_, "Lists and hashes nest more than " +
                                                        std::to_string(nesting_depth_max) +
                                                        " levels deep in input:\n" + error_location(error_index_));
        }
        return Failure::parameter(option_name_, "Expected: '" + error_expected_ + "', received: '" + error_actual_ +
                                                    "' for input:\n" + error_location(error_index_));
    }

    std::string_view option_name_;
    std::string_view input_;
    std::size_t index_ = 0;
    bool resolve_files_ = false;
    std::string error_expected_;
    std::string error_actual_;
    std::size_t error_index_ = 0;
    std::optional<Failure> file_failure_;
    std::size_t depth_ = 0;
    bool nesting_failure_ = false;
};

} // namespace

CliResult<boost::json::object> parse_shorthand(std::string_view option_name, std::string_view text) {
    ShorthandParser parser(option_name, text);
    return parser.parse();
}

} // namespace shmq::cli
