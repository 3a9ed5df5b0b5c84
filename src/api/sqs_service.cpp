// Dispatch of SqsService actions and queue handles (see sqs_service.h).
#include "api/sqs_service.h"

#include <algorithm>
#include <utility>

#include "api/request_reader.h"

namespace shmq::api {

namespace json = boost::json;

SqsService::SqsService(const Client& client, ServiceOptions options)
    : client_(client), options_(std::move(options)) {}

const std::vector<SqsService::Action>& SqsService::action_table() {
    static const std::vector<Action> table{
        {"CreateQueue", &SqsService::create_queue, false},
        {"DeleteQueue", &SqsService::delete_queue, false},
        {"GetQueueUrl", &SqsService::get_queue_url, false},
        {"ListQueues", &SqsService::list_queues, false},
        {"GetQueueAttributes", &SqsService::get_queue_attributes, false},
        {"SetQueueAttributes", &SqsService::set_queue_attributes, false},
        {"PurgeQueue", &SqsService::purge_queue, false},
        {"TagQueue", &SqsService::tag_queue, false},
        {"UntagQueue", &SqsService::untag_queue, false},
        {"ListQueueTags", &SqsService::list_queue_tags, false},
        {"ListDeadLetterSourceQueues", &SqsService::list_dead_letter_source_queues, false},
        {"StartMessageMoveTask", &SqsService::start_message_move_task, false},
        {"CancelMessageMoveTask", &SqsService::cancel_message_move_task, false},
        {"ListMessageMoveTasks", &SqsService::list_message_move_tasks, false},
        {"SendMessage", &SqsService::send_message, true},
        {"SendMessageBatch", &SqsService::send_message_batch, true},
        {"ReceiveMessage", &SqsService::receive_message, true},
        {"DeleteMessage", &SqsService::delete_message, true},
        {"DeleteMessageBatch", &SqsService::delete_message_batch, true},
        {"ChangeMessageVisibility", &SqsService::change_message_visibility, true},
        {"ChangeMessageVisibilityBatch", &SqsService::change_message_visibility_batch, true},
        {"AddPermission", &SqsService::add_permission, false},
        {"RemovePermission", &SqsService::remove_permission, false},
    };
    return table;
}

std::string SqsService::url_of(std::string_view queue_name) const {
    return std::string(url_base()) + "/" + std::string(account_id) + "/" + std::string(queue_name);
}

Result<std::string> SqsService::queue_name(const json::object& request) const {
    auto url = RequestReader(request).required_string("QueueUrl");
    if (!url) {
        return url.error();
    }
    auto name = queue_name_from_url(url.value(), client_.scope());
    if (!name) {
        return name.error();
    }
    return name->text();
}

bool SqsService::knows(std::string_view action) noexcept {
    const auto& table = action_table();
    return std::any_of(table.begin(), table.end(), [&](const Action& entry) { return entry.name == action; });
}

Result<json::object> SqsService::call(std::string_view action, const json::object& request, const Caller& caller) {
    for (const auto& [name, member, message_action] : action_table()) {
        if (name == action) {
            if (defer_if(!message_action)) {
                return json::object{};
            }
            caller_url_base_ = caller.url_base; // the caller's view: kept for this call only
            Status allowed = authorise(action, request, caller);
            Response response = allowed ? (this->*member)(request) : Response(allowed.error());
            caller_url_base_ = {};
            return response;
        }
    }
    return Error{Errc::unsupported_operation, "The action " + std::string(action) + " is not valid for this endpoint."};
}

} // namespace shmq::api
