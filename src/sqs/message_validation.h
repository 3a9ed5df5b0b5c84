// SQS's rules for what a request may carry: message bodies (size and character set), message
// attributes (count, names, types, values) and batch entry ids (queue names: shmq/queue_name.h).
// Each check returns the SQS error code and message a real SQS gives for the same input.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "shmq/error.h"
#include "shmq/message.h"

namespace shmq::sqs {

// The SQS character set: #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF in valid UTF-8.
[[nodiscard]] Status validate_message_characters(std::string_view text, std::string_view what);
// SQS's InvalidMessageContents for a code point outside that set, found in what ("message body").
[[nodiscard]] Error invalid_character(std::uint32_t code_point, std::string_view what);
// Attribute count, names, types and values; on success, the size SQS counts (names + types +
// values) is added to size.
[[nodiscard]] Status validate_message_attributes(const MessageAttributes& attributes, std::size_t& size);
// True when text is in the SQS character set: a fast scan of ASCII, the full check past it
// (validate_message_characters says why not).
[[nodiscard]] bool is_sqs_text(std::string_view text) noexcept;
// The hot-path check of a message without attributes: the Errc validate_message would give,
// without building any text.
[[nodiscard]] Errc check_plain_message(std::string_view body, std::size_t maximum_message_size) noexcept;
// The size SQS counts for a message: its body and, for each attribute, name + type + value.
[[nodiscard]] std::size_t counted_size(std::string_view body, const MessageAttributes* attributes) noexcept;
// A whole message against the queue's MaximumMessageSize.
[[nodiscard]] Status validate_message(std::string_view body, const MessageAttributes* attributes,
                                      std::size_t maximum_message_size);
[[nodiscard]] Status validate_delay_seconds(std::int64_t delay_s);
// The AWSTraceHeader message system attribute: 1 to limits::aws_trace_header_bytes_max bytes of
// printable ASCII (an X-Ray trace header is Key=value pairs split by ';').
[[nodiscard]] Status validate_aws_trace_header(std::string_view value);
// The trace header a send's MessageSystemAttributes carry: AWSTraceHeader, of DataType String, is
// the only one SQS takes; empty when there is none.
[[nodiscard]] Result<std::string> aws_trace_header_of(const MessageAttributes& message_system_attributes);
// Batch entry ids: [A-Za-z0-9_-]{1,80}, distinct; 1..10 entries.
[[nodiscard]] Status validate_batch_entry_ids(std::span<const std::string> ids);

} // namespace shmq::sqs
