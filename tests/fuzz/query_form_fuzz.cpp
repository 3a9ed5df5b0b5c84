// Fuzz target for the Query protocol's form parser (QueryForm): any bytes are a form within its
// bounds or refused with an SQS error code, never a crash, and a parsed form keeps every
// invariant query_form.h states (counted, bounded keys and values, list indexes in range).
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "query_form.h"

namespace {

bool digits_only(std::string_view segment) {
    return !segment.empty() && segment.find_first_not_of("0123456789") == std::string_view::npos;
}

// Every invariant of a parsed form, checked from the outside.
bool keeps_invariants(const shmq::daemon::QueryForm& form) {
    using namespace shmq::daemon;
    if (form.parameters().size() > query_parameters_max) {
        return false;
    }
    for (const auto& [key, value] : form.parameters()) {
        if (key.empty() || key.size() > query_key_bytes_max || value.size() > query_value_bytes_max) {
            return false;
        }
        std::size_t segments = 0;
        std::size_t start = 0;
        for (;;) {
            const std::size_t dot = key.find('.', start);
            const std::string_view segment =
                std::string_view(key).substr(start, dot == std::string::npos ? std::string::npos : dot - start);
            ++segments;
            if (segment.empty() || (digits_only(segment) && (segment.front() == '0' || segment.size() > 4))) {
                return false;
            }
            if (dot == std::string::npos) {
                break;
            }
            start = dot + 1;
        }
        if (segments > query_key_segments_max) {
            return false;
        }
    }
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto parsed = shmq::daemon::QueryForm::parse(text);
    if (const auto* form = std::get_if<shmq::daemon::QueryForm>(&parsed)) {
        if (!keeps_invariants(*form)) {
            __builtin_trap();
        }
    } else if (std::get<shmq::daemon::QueryFormError>(parsed).code.empty()) {
        __builtin_trap(); // a refusal carries its SQS code
    }
    return 0;
}
