// QueryForm: the parameters of an SQS Query request (an application/x-www-form-urlencoded body or
// a GET's query string), decoded and checked against fixed bounds before anything is built from
// them. Invariants of a parsed form: at most query_parameters_max parameters, each key non-empty,
// at most query_key_bytes_max bytes and query_key_segments_max dot-separated segments, none of
// them empty; a segment of digits (a list index, "Attribute.3.Name") is 1..query_list_index_max
// without leading zeros; no key twice; each value at most query_value_bytes_max bytes. Parsing is
// one flat pass over the input: nothing recurses, and nothing is allocated by index, so a hostile
// form costs at most its own size. A form outside the bounds is refused, whole, with the SQS error
// code (Query protocol) and a message that names the parameter.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <variant>

#include "shmq/limits.h"

namespace shmq::daemon {

// SQS never needs more: SendMessageBatch is the widest request, 10 entries of 5 members and up to
// 10 message attributes (Name, Value.DataType, Value.StringValue | BinaryValue) plus a system
// attribute, about 400 parameters; CreateQueue with 50 tags is about 150.
inline constexpr std::size_t query_parameters_max = 1000;
// The longest key SQS defines is under 80 bytes
// ("SendMessageBatchRequestEntry.10.MessageSystemAttribute.1.Value.StringValue").
inline constexpr std::size_t query_key_bytes_max = 256;
// The deepest is 7 ("SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringListValue.1").
inline constexpr std::size_t query_key_segments_max = 8;
// No list may hold more items than a form holds parameters.
inline constexpr std::size_t query_list_index_max = query_parameters_max;
// The largest value is a message body, or a binary message attribute in base64 (4 bytes per 3).
inline constexpr std::size_t query_value_bytes_max = (limits::message_size_max + 2) / 3 * 4;

struct QueryFormError {
    std::string_view code; // InvalidQueryParameter (the form's shape) or InvalidParameterValue
    std::string message;
};

// InvalidQueryParameter, as SQS words it, with why.
[[nodiscard]] QueryFormError invalid_query_parameter(std::string reason);

class QueryForm {
  public:
    // The form, or why it is refused. Keys and values are percent-decoded, '+' as a space.
    [[nodiscard]] static std::variant<QueryForm, QueryFormError> parse(std::string_view form);

    // Each parameter by its full dotted key, in key order.
    [[nodiscard]] const std::map<std::string, std::string, std::less<>>& parameters() const noexcept {
        return parameters_;
    }

  private:
    std::map<std::string, std::string, std::less<>> parameters_;
};

} // namespace shmq::daemon
