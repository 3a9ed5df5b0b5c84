// Fuzz target for the queue Policy parser and evaluator (sqs::AccessPolicy): any text is a
// policy or refused with InvalidAttributeValue, without a crash or recursion that grows with it;
// a parsed policy is evaluated for one request (the input's own bytes choose its action, account
// and source address) and gives one of the three decisions.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sqs/access_policy.h"
#include "sqs/request_context.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto policy = shmq::sqs::AccessPolicy::parse(text);
    if (!policy) {
        if (policy.code() != shmq::Errc::invalid_attribute_value) {
            __builtin_trap(); // a policy is refused only as an invalid attribute value
        }
        return 0;
    }
    static constexpr std::string_view actions[] = {"SendMessage", "ReceiveMessage", "DeleteMessage", "PurgeQueue"};
    static constexpr std::string_view accounts[] = {"000000000000", "111122223333", "444455556666"};
    static constexpr std::string_view addresses[] = {"127.0.0.1", "::1", "10.1.2.3", ""};
    const std::uint8_t pick = size > 0 ? data[size - 1] : 0;
    shmq::sqs::RequestContext context;
    context.action = actions[pick % 4];
    context.resource_arn = "arn:aws:sqs:us-east-1:000000000000:q";
    context.principal_account = accounts[(pick / 4) % 3];
    context.source_ip = addresses[(pick / 12) % 4];
    context.secure_transport = (pick & 0x80) != 0;
    context.now_ns = 1'765'000'000'000'000'000;
    const auto decision = policy->evaluate(context);
    if (decision != shmq::sqs::AccessDecision::allowed && decision != shmq::sqs::AccessDecision::explicitly_denied &&
        decision != shmq::sqs::AccessDecision::implicitly_denied) {
        __builtin_trap();
    }
    return 0;
}
