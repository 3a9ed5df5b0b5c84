// Fuzz target for the CLI's shorthand parser (`Key=a,b`, `k={DataType=String}`, `k=[a,[b]]`):
// any text is parsed into an object or refused with a parameter error, without a crash, a hang
// or stack growth with the input (nesting is bounded). Inputs naming a file (`@=file://`) are
// skipped: they would read whatever path the fuzzer spells, /dev/stdin included.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "shorthand.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (text.find("file") != std::string_view::npos) {
        return -1; // not added to the corpus
    }
    const auto parsed = shmq::cli::parse_shorthand("--fuzz", text);
    if (!parsed.ok() && parsed.failure().message.empty()) {
        __builtin_trap(); // a refusal always says why
    }
    return 0;
}
