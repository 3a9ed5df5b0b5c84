// Range checks SQS makes on request parameters the library cannot even represent out of range
// (a negative DelaySeconds or VisibilityTimeout would read as its "-1: queue default"), with
// SQS's wording: "Value 1800 for parameter DelaySeconds is invalid. Reason: ...".
#pragma once

#include <cstdint>
#include <string_view>

#include "shmq/error.h"

namespace shmq::api {

[[nodiscard]] Status check_range(std::string_view parameter, std::int64_t value, std::int64_t low, std::int64_t high,
                                 std::string_view reason);
[[nodiscard]] Status check_delay(std::int64_t delay_seconds);
[[nodiscard]] Status check_visibility_timeout(std::int64_t timeout_s, bool optional);
[[nodiscard]] Status check_max_number_of_messages(std::int64_t count);
[[nodiscard]] Status check_wait_time(std::int64_t wait_s);

} // namespace shmq::api
