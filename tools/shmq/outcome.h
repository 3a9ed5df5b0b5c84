// How a CLI command ends, and how that becomes output and an exit code. Three kinds of failure,
// each reported the way `aws` (CLI v1) reports it so scripts written for `aws sqs` keep working:
// a service error (the library said no: "An error occurred (Code) when calling the X operation",
// exit 255), a parameter error (a value could not be read or parsed, exit 255) and a usage error
// (the command line itself is wrong: usage text, exit 2, as argparse in aws v1 does).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "shmq/error.h"

namespace shmq::cli {

// Exit codes measured against awscli 1.45 (`python3 -m awscli`): argparse errors exit 2,
// everything else that fails exits 255.
inline constexpr int exit_success = 0;
inline constexpr int exit_usage_error = 2;
inline constexpr int exit_failure = 255;

enum class FailureKind {
    service,   // code: an SQS error code; message: the library's text
    parameter, // message: the whole text after the leading newline
    usage,     // message: the argparse-style complaint after "shmq: error: "
};

struct Failure {
    FailureKind kind = FailureKind::service;
    std::string code;
    std::string message;

    [[nodiscard]] static Failure service(const Error& error);
    [[nodiscard]] static Failure service(Errc code, std::string message);
    // "Error parsing parameter '--x': why", the form aws uses for unreadable values.
    [[nodiscard]] static Failure parameter(std::string_view option_name, std::string_view why);
    // "Parameter validation failed:\nwhy", aws's form for values of the wrong shape or type.
    [[nodiscard]] static Failure validation(std::string_view why);
    [[nodiscard]] static Failure usage(std::string message);
};

// A value or the Failure that prevented it.
template <class T> class [[nodiscard]] CliResult {
  public:
    CliResult(T value) : state_(std::move(value)) {}           // NOLINT(google-explicit-constructor)
    CliResult(Failure failure) : state_(std::move(failure)) {} // NOLINT(google-explicit-constructor)

    [[nodiscard]] bool ok() const noexcept { return state_.index() == 0; }
    [[nodiscard]] T& value() & { return std::get<0>(state_); }
    [[nodiscard]] const T& value() const& { return std::get<0>(state_); }
    [[nodiscard]] T&& value() && { return std::get<0>(std::move(state_)); }
    [[nodiscard]] const Failure& failure() const { return std::get<1>(state_); }

  private:
    std::variant<T, Failure> state_;
};

// What a command returns: success (its output already printed) or a Failure.
class [[nodiscard]] Outcome {
  public:
    Outcome() = default;
    Outcome(Failure failure) : failure_(std::move(failure)), failed_(true) {} // NOLINT(google-explicit-constructor)

    [[nodiscard]] bool ok() const noexcept { return !failed_; }
    [[nodiscard]] const Failure& failure() const noexcept { return failure_; }

  private:
    Failure failure_;
    bool failed_ = false;
};

// Prints a failure on stderr as aws does and returns the exit code to use. action is the SQS
// operation name ("SendMessage") for service errors.
int report_failure(const Failure& failure, std::string_view action);

// The usage text aws prints before an argparse error, adapted to shmq.
void print_usage_banner();

} // namespace shmq::cli
