// Fuzz target for shmqd's SigV4 verifier: any request head (the Authorization header's parts,
// credential scope, signed-header list, presigned query parameters, paths to normalise) and body
// is either verified or refused with an AWS error code, never a crash, and nothing unsigned is
// accepted. An input is written like AWS's SigV4 test-suite requests, which are the seeds
// (tests/unit/sigv4_test_suite, signed with AKIDEXAMPLE for us-east-1/service on 2015-08-30):
//   METHOD TARGET HTTP/1.1
//   Name:value            (a line starting with a space continues the previous value)
//   ...
//   <blank line>
//   body
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sigv4_verifier.h"

namespace {

using shmq::daemon::SignedRequest;

constexpr std::int64_t vectors_signed_at_s = 1440938160; // 2015-08-30T12:36:00Z

const shmq::daemon::SigV4Verifier& verifier() {
    static const shmq::daemon::SigV4Verifier made = [] {
        std::map<std::string, shmq::daemon::Principal, std::less<>> principals;
        principals["AKIDEXAMPLE"] = {"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "123456789012", ""};
        principals["AKIDTOKEN"] = {"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "210987654321",
                                   "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"};
        return shmq::daemon::SigV4Verifier(std::move(principals), {"us-east-1", "service"});
    }();
    return made;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const std::size_t head_end = text.find("\n\n");
    const std::string_view head = text.substr(0, head_end);
    SignedRequest request;
    request.body = head_end == std::string_view::npos ? std::string_view() : text.substr(head_end + 2);
    request.now_s = vectors_signed_at_s;
    std::size_t line_start = 0;
    bool first_line = true;
    while (line_start <= head.size()) {
        std::size_t line_end = head.find('\n', line_start);
        if (line_end == std::string_view::npos) {
            line_end = head.size();
        }
        const std::string_view line = head.substr(line_start, line_end - line_start);
        line_start = line_end + 1;
        if (first_line) {
            first_line = false;
            const std::size_t first_space = line.find(' ');
            const std::size_t last_space = line.rfind(' ');
            request.method = line.substr(0, first_space);
            if (first_space != std::string_view::npos && last_space > first_space) {
                request.target = line.substr(first_space + 1, last_space - first_space - 1);
            }
        } else if (line.starts_with(' ') && !request.headers.empty()) {
            request.headers.back().second += "\n" + std::string(line);
        } else {
            const std::size_t colon = line.find(':');
            request.headers.emplace_back(std::string(line.substr(0, colon)),
                                         colon == std::string_view::npos ? std::string()
                                                                         : std::string(line.substr(colon + 1)));
        }
    }
    std::string account;
    const auto refused = verifier().verify(request, account);
    if (refused && (refused->code.empty() || refused->status < 400 || refused->status > 499)) {
        __builtin_trap(); // a refusal names its AWS code and is the client's fault
    }
    if (!refused && account != "123456789012" && account != "210987654321") {
        __builtin_trap(); // accepted only as a configured key's account
    }
    return 0;
}
