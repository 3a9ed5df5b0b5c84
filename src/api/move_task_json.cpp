// Message move tasks in the SQS model's shape (see move_task_json.h).
#include "api/move_task_json.h"

namespace shmq::api {

boost::json::object move_task_json(const MessageMoveTask& task) {
    boost::json::object json;
    if (task.status == "RUNNING" && !task.task_handle.empty()) {
        json["TaskHandle"] = task.task_handle;
    }
    json["Status"] = task.status;
    json["SourceArn"] = task.source_arn;
    if (!task.destination_arn.empty()) {
        json["DestinationArn"] = task.destination_arn;
    }
    if (task.max_number_of_messages_per_second >= 0) {
        json["MaxNumberOfMessagesPerSecond"] = task.max_number_of_messages_per_second;
    }
    json["ApproximateNumberOfMessagesMoved"] = task.approximate_number_of_messages_moved;
    json["ApproximateNumberOfMessagesToMove"] = task.approximate_number_of_messages_to_move;
    if (!task.failure_reason.empty()) {
        json["FailureReason"] = task.failure_reason;
    }
    json["StartedTimestamp"] = task.started_timestamp_ms;
    return json;
}

} // namespace shmq::api
