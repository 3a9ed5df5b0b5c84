// Access control of SqsService (see sqs_service.h): who may run which action on which queue.
//
// - Account-wide actions, and those SQS never lets another account run ("Cross-account
//   permissions don't apply to": AddPermission, CancelMessageMoveTask, CreateQueue, DeleteQueue,
//   ListMessageMoveTasks, ListQueues, ListQueueTags, RemovePermission, SetQueueAttributes,
//   StartMessageMoveTask, TagQueue, UntagQueue; SQS Developer Guide, "Limitations of Amazon SQS
//   custom policies"), are the owner's.
// - Every other action names a queue, and the queue's Policy (sqs::AccessPolicy) decides it,
//   batch actions as their single forms (a SendMessage grant covers SendMessageBatch).
// - The owner account may do anything its queue's Policy does not explicitly deny. IAM
//   evaluates a Deny in a resource-based policy for every request, the account's own principals
//   included ("Deny evaluation ... evaluates all policies within the account that apply to the
//   request ... resource-based policies ...":
//   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html),
//   while the owner needs no Allow ("all requests are implicitly denied with the exception of the
//   AWS account root user"). An owner who denied itself SetQueueAttributes mends the Policy
//   through the shared-memory door (`shmq set-queue-attributes`), which policies do not govern.
// - Another account may do what a statement of the Policy allows it and none denies.
#include <algorithm>

#include "api/request_reader.h"
#include "api/sqs_service.h"
#include "engine/config_store.h"
#include "engine/queue_engine.h"
#include "region/region.h"
#include "shmq/layout/region_layout.h"

namespace shmq::api {

namespace json = boost::json;

namespace {

constexpr std::string_view owner_only_actions[] = {"AddPermission",
                                                   "CancelMessageMoveTask",
                                                   "CreateQueue",
                                                   "DeleteQueue",
                                                   "ListMessageMoveTasks",
                                                   "ListQueues",
                                                   "ListQueueTags",
                                                   "RemovePermission",
                                                   "SetQueueAttributes",
                                                   "StartMessageMoveTask",
                                                   "TagQueue",
                                                   "UntagQueue"};

// The action as a policy grants it: a batch is authorised as its single form.
std::string_view authorised_action(std::string_view action) {
    if (action == "SendMessageBatch") {
        return "SendMessage";
    }
    if (action == "DeleteMessageBatch") {
        return "DeleteMessage";
    }
    if (action == "ChangeMessageVisibilityBatch") {
        return "ChangeMessageVisibility";
    }
    return action;
}

// IAM's wording of a refusal, which SQS answers with AccessDenied.
Error denied(std::string_view account, std::string_view action, std::string_view queue_arn, bool explicitly) {
    const std::string action_name = "sqs:" + std::string(action);
    return {Errc::access_denied,
            "User: " + sqs::account_principal_arn(account) + " is not authorized to perform: " + action_name +
                " on resource: " + std::string(queue_arn) +
                (explicitly ? " with an explicit deny in a resource-based policy"
                            : " because no resource-based policy allows the " + action_name + " action")};
}

} // namespace

Result<const SqsService::CachedPolicy*> SqsService::policy_of(const std::string& name) {
    return with_queue(name, [&](Queue& queue) -> Result<const CachedPolicy*> {
        engine::QueueEngine& engine = engine_of(queue);
        if (engine.region().header().deleted.load(std::memory_order_acquire) != 0) {
            // with_queue reopens the name; what was cached came from the deleted queue.
            policies_.erase(name);
            return Error{Errc::queue_does_not_exist, "The specified queue does not exist."};
        }
        // The version first, then the text: a change in between is seen again next time.
        const std::uint32_t version = queue.config_version();
        CachedPolicy& cached = policies_[name];
        if (cached.loaded && cached.config_version == version) {
            return &cached;
        }
        auto config = engine::read_config(engine.region());
        if (!config) {
            return config.error();
        }
        const std::string& text = config->first.policy;
        cached = CachedPolicy{true, version, std::nullopt};
        if (auto parsed = text.empty() ? Result<sqs::AccessPolicy>(Error{}) : sqs::AccessPolicy::parse(text)) {
            cached.parsed = std::move(parsed.value());
        }
        return &cached;
    });
}

void SqsService::forget_deleted_queues() {
    for (auto it = queues_.begin(); it != queues_.end();) {
        if (engine_of(it->second).region().header().deleted.load(std::memory_order_acquire) != 0) {
            policies_.erase(it->first);
            it = queues_.erase(it);
        } else {
            ++it;
        }
    }
}

Status SqsService::authorise(std::string_view action, const json::object& request, const Caller& caller) {
    const bool owner = caller.account == account_id;
    const bool queue_action =
        std::find(std::begin(owner_only_actions), std::end(owner_only_actions), action) == std::end(owner_only_actions);
    if (!owner && !queue_action) {
        return Error{Errc::access_denied, "Access to the resource " + std::string(url_base()) + "/ is denied."};
    }
    // The queue the action is about: its URL, or (GetQueueUrl) its name.
    Result<std::string> name = std::string();
    if (action == "GetQueueUrl") {
        name = RequestReader(request).required_string("QueueName");
    } else if (request.contains("QueueUrl")) {
        name = queue_name(request);
    }
    if (!name || name->empty()) {
        // The action reports a missing or malformed queue itself; it names no queue of the owner's.
        return owner ? Status{} : Status(denied(caller.account, authorised_action(action), url_base(), false));
    }
    auto policy = policy_of(name.value());
    if (!policy) {
        // No such queue: NonExistentQueue before the action reads any receipt handle, entry or
        // attribute, as SQS answers. Any other failure the action reports itself to the owner.
        return owner && policy.code() != Errc::queue_does_not_exist ? Status{} : policy.status();
    }
    const CachedPolicy& cached = *policy.value();
    if (owner && !cached.parsed) {
        return {}; // no Policy: nothing denies the owner (the common case: no string built)
    }
    const std::string queue_arn = client_.scope().arn_of(name.value());
    const std::string_view single_action = authorised_action(action);
    if (!cached.parsed) {
        return denied(caller.account, single_action, queue_arn, false);
    }
    const sqs::RequestContext context{
        single_action, queue_arn, caller.account, caller.source_ip, caller.secure_transport, client_.clock().now_ns()};
    switch (cached.parsed->evaluate(context)) {
    case sqs::AccessDecision::allowed:
        return {};
    case sqs::AccessDecision::explicitly_denied:
        return denied(caller.account, single_action, queue_arn, true);
    case sqs::AccessDecision::implicitly_denied:
        break;
    }
    return owner ? Status{} : Status(denied(caller.account, single_action, queue_arn, false));
}

} // namespace shmq::api
