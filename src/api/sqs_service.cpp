// Dispatch of SqsService actions and queue handles (see sqs_service.h).
#include "api/sqs_service.h"

#include <algorithm>
#include <utility>

#include "api/request_reader.h"

namespace shmq::api {

namespace json = boost::json;

SqsService::SqsService(const Client& client, ServiceOptions options)
    : client_(client), options_(std::move(options)) {}

// Every action and the member that runs it.
const std::vector<std::pair<std::string_view, SqsService::Member>>& SqsService::action_table() {
    static const std::vector<std::pair<std::string_view, Member>> table{
        {"CreateQueue", &SqsService::create_queue},
        {"DeleteQueue", &SqsService::delete_queue},
        {"GetQueueUrl", &SqsService::get_queue_url},
        {"ListQueues", &SqsService::list_queues},
        {"GetQueueAttributes", &SqsService::get_queue_attributes},
        {"SetQueueAttributes", &SqsService::set_queue_attributes},
        {"PurgeQueue", &SqsService::purge_queue},
        {"TagQueue", &SqsService::tag_queue},
        {"UntagQueue", &SqsService::untag_queue},
        {"ListQueueTags", &SqsService::list_queue_tags},
        {"ListDeadLetterSourceQueues", &SqsService::list_dead_letter_source_queues},
        {"StartMessageMoveTask", &SqsService::start_message_move_task},
        {"CancelMessageMoveTask", &SqsService::cancel_message_move_task},
        {"ListMessageMoveTasks", &SqsService::list_message_move_tasks},
        {"SendMessage", &SqsService::send_message},
        {"SendMessageBatch", &SqsService::send_message_batch},
        {"ReceiveMessage", &SqsService::receive_message},
        {"DeleteMessage", &SqsService::delete_message},
        {"DeleteMessageBatch", &SqsService::delete_message_batch},
        {"ChangeMessageVisibility", &SqsService::change_message_visibility},
        {"ChangeMessageVisibilityBatch", &SqsService::change_message_visibility_batch},
        {"AddPermission", &SqsService::add_permission},
        {"RemovePermission", &SqsService::remove_permission},
    };
    return table;
}

std::string SqsService::url_of(std::string_view queue_name) const {
    return options_.url_base + "/" + std::string(account_id) + "/" + std::string(queue_name);
}

Result<std::string> SqsService::queue_name(const json::object& request) const {
    auto url = RequestReader(request).required_string("QueueUrl");
    if (!url) {
        return url.error();
    }
    std::string name = Client::name_from_url(url.value());
    if (name.empty()) {
        return Error{Errc::queue_does_not_exist, "The specified queue does not exist."};
    }
    return name;
}

bool SqsService::knows(std::string_view action) noexcept {
    const auto& table = action_table();
    return std::any_of(table.begin(), table.end(), [&](const auto& entry) { return entry.first == action; });
}

Result<json::object> SqsService::call(std::string_view action, const json::object& request,
                                      std::string_view caller_account) {
    for (const auto& [name, member] : action_table()) {
        if (name == action) {
            if (caller_account != account_id) {
                if (Status allowed = check_access(action, request, caller_account); !allowed) {
                    return allowed.error();
                }
            }
            return (this->*member)(request);
        }
    }
    return Error{Errc::unsupported_operation, "The action " + std::string(action) + " is not valid for this endpoint."};
}

} // namespace shmq::api
