// SQS's range checks (see parameter_checks.h).
#include "api/parameter_checks.h"

#include <string>

#include "shmq/limits.h"

namespace shmq::api {

Status check_range(std::string_view parameter, std::int64_t value, std::int64_t low, std::int64_t high,
                   std::string_view reason) {
    if (value >= low && value <= high) {
        return {};
    }
    return {Errc::invalid_parameter_value, "Value " + std::to_string(value) + " for parameter " +
                                               std::string(parameter) + " is invalid. Reason: " + std::string(reason)};
}

Status check_delay(std::int64_t delay_seconds) {
    return check_range("DelaySeconds", delay_seconds, 0, limits::delay_s_max, "DelaySeconds must be >= 0 and <= 900.");
}

Status check_visibility_timeout(std::int64_t timeout_s, bool optional) {
    return check_range("VisibilityTimeout", timeout_s, 0, limits::visibility_timeout_s_max,
                       optional ? "Must be >= 0 and <= 43200, if provided." : "Must be >= 0 and <= 43200.");
}

Status check_max_number_of_messages(std::int64_t count) {
    return check_range("MaxNumberOfMessages", count, 1, limits::receive_batch_max,
                       "Must be between 1 and 10, if provided.");
}

Status check_wait_time(std::int64_t wait_s) {
    return check_range("WaitTimeSeconds", wait_s, 0, limits::wait_time_s_max, "Must be >= 0 and <= 20, if provided.");
}

} // namespace shmq::api
