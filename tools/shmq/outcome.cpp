// Reporting failures exactly as awscli v1 does: service and parameter errors are preceded by an
// empty line on stderr; usage errors print a short usage banner first.
#include "outcome.h"

#include <cstdio>
#include <string>

namespace shmq::cli {

Failure Failure::service(const Error& error) {
    return Failure{FailureKind::service, std::string(sqs_error_code(error.code)), error.message};
}

Failure Failure::service(Errc code, std::string message) {
    return Failure{FailureKind::service, std::string(sqs_error_code(code)), std::move(message)};
}

Failure Failure::parameter(std::string_view option_name, std::string_view why) {
    std::string message = "Error parsing parameter '";
    message.append(option_name);
    message.append("': ");
    message.append(why);
    return Failure{FailureKind::parameter, {}, std::move(message)};
}

Failure Failure::validation(std::string_view why) {
    std::string message = "Parameter validation failed:\n";
    message.append(why);
    return Failure{FailureKind::parameter, {}, std::move(message)};
}

Failure Failure::usage(std::string message) {
    return Failure{FailureKind::usage, {}, std::move(message)};
}

void print_usage_banner() {
    std::fputs("usage: shmq <command> [parameters]\n"
               "To see help text, you can run:\n"
               "\n"
               "  shmq help\n"
               "  shmq <command> help\n"
               "\n",
               stderr);
}

int report_failure(const Failure& failure, std::string_view action) {
    switch (failure.kind) {
    case FailureKind::service:
        std::fprintf(stderr, "\nAn error occurred (%s) when calling the %.*s operation: %s\n", failure.code.c_str(),
                     static_cast<int>(action.size()), action.data(), failure.message.c_str());
        return exit_failure;
    case FailureKind::parameter:
        std::fprintf(stderr, "\n%s\n", failure.message.c_str());
        return exit_failure;
    case FailureKind::usage:
        print_usage_banner();
        std::fprintf(stderr, "shmq: error: %s\n", failure.message.c_str());
        return exit_usage_error;
    }
    return exit_failure;
}

} // namespace shmq::cli
