// The Query protocol's form parameters (see query_form.h).
#include "query_form.h"

#include <string>

#include <boost/url/parse_query.hpp>
#include <charconv>

namespace shmq::daemon {
namespace {

// The first bytes of a hostile key are enough to recognise it; an error never echoes it whole.
std::string quoted_prefix(std::string_view key) {
    constexpr std::size_t quoted_bytes_max = 64;
    return "'" + std::string(key.substr(0, quoted_bytes_max)) + (key.size() > quoted_bytes_max ? "...'" : "'");
}

// Why key's dotted segments are out of bounds, or empty when they are not.
std::string segment_problem(std::string_view key) {
    std::size_t segments = 0;
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = key.find('.', start);
        const std::string_view segment = key.substr(start, dot == std::string_view::npos ? dot : dot - start);
        if (++segments > query_key_segments_max) {
            return "parameter " + quoted_prefix(key) + " has more than " + std::to_string(query_key_segments_max) +
                   " dot-separated parts";
        }
        if (segment.empty()) {
            return "parameter " + quoted_prefix(key) + " has an empty part";
        }
        if (segment.find_first_not_of("0123456789") == std::string_view::npos) {
            std::size_t index = 0;
            const auto [end, error] = std::from_chars(segment.data(), segment.data() + segment.size(), index);
            if (error != std::errc{} || end != segment.data() + segment.size() || segment.front() == '0' ||
                index > query_list_index_max) {
                return "parameter " + quoted_prefix(key) + " has a list index outside 1.." +
                       std::to_string(query_list_index_max);
            }
        }
        if (dot == std::string_view::npos) {
            return {};
        }
        start = dot + 1;
    }
}

} // namespace

QueryFormError invalid_query_parameter(std::string reason) {
    return {"InvalidQueryParameter",
            "The AWS query string is malformed or does not adhere to AWS standards: " + std::move(reason) + "."};
}

std::variant<QueryForm, QueryFormError> QueryForm::parse(std::string_view form) {
    // Boost.URL 1.81's parse_query builds its view of the text from a bare pointer, measured by
    // strlen: on a view that is not NUL-terminated it read past the end (the query form fuzzer
    // found the crash; valgrind shows the strlen). It gets a NUL-terminated copy; a form with a
    // raw NUL in it is refused by the grammar before any view is built.
    const std::string terminated(form);
    auto parsed = boost::urls::parse_query(terminated);
    if (!parsed) {
        return invalid_query_parameter("it is not a valid form (" + parsed.error().message() + ")");
    }
    boost::urls::encoding_opts options;
    options.space_as_plus = true; // application/x-www-form-urlencoded
    QueryForm out;
    std::size_t count = 0;
    for (const auto& param : parsed.value()) {
        if (param.key.empty()) {
            continue; // "a=1&&b=2" or a trailing '&': nothing is named, nothing to refuse
        }
        if (++count > query_parameters_max) {
            return invalid_query_parameter("more than " + std::to_string(query_parameters_max) + " parameters");
        }
        // Sizes checked on the encoded text's decoded size: nothing oversized is decoded.
        if (param.key.decoded_size() > query_key_bytes_max) {
            return invalid_query_parameter("a parameter name is longer than " + std::to_string(query_key_bytes_max) +
                                           " bytes");
        }
        std::string key = param.key.decode(options);
        if (std::string problem = segment_problem(key); !problem.empty()) {
            return invalid_query_parameter(std::move(problem));
        }
        if (param.has_value && param.value.decoded_size() > query_value_bytes_max) {
            return QueryFormError{"InvalidParameterValue", "Value for parameter " + quoted_prefix(key) +
                                                               " is invalid. Reason: it is longer than " +
                                                               std::to_string(query_value_bytes_max) + " bytes."};
        }
        std::string value = param.has_value ? param.value.decode(options) : std::string();
        const auto [at, inserted] = out.parameters_.try_emplace(std::move(key), std::move(value));
        if (!inserted) {
            return invalid_query_parameter("parameter " + quoted_prefix(at->first) + " is given more than once");
        }
    }
    return out;
}

} // namespace shmq::daemon
