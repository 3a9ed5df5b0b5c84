// Message move task commands (redrive out of a dead-letter queue): start-message-move-task,
// cancel-message-move-task, list-message-move-tasks. Output follows SQS's result shapes; a
// listed task shows TaskHandle only while RUNNING and FailureReason only when FAILED, as SQS
// does, and optional members the task does not have are left out.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cstdint>
#include <string>

#include "api/move_task_json.h"
#include "arguments.h"
#include "command.h"
#include "json_output.h"

namespace shmq::cli {
namespace {

std::int32_t clamp_to_int32(std::int64_t value) {
    if (value > INT32_MAX) {
        return INT32_MAX;
    }
    if (value < INT32_MIN) {
        return INT32_MIN;
    }
    return static_cast<std::int32_t>(value);
}

struct StartMessageMoveTaskCommand {
    TextOption source_arn, destination_arn, max_number_of_messages_per_second;

    void declare(CLI::App& parser) {
        add_text_option(parser, source_arn, "--source-arn", "ARN of the dead-letter queue", true);
        add_text_option(parser, destination_arn, "--destination-arn",
                        "ARN of the queue to move to (default: each message's source queue)");
        add_text_option(parser, max_number_of_messages_per_second, "--max-number-of-messages-per-second",
                        "Rate limit (1-500)");
    }

    Outcome run(const Client& client, const GlobalOptions& /*globals*/) {
        auto source = load_text(source_arn);
        if (!source.ok()) {
            return source.failure();
        }
        auto destination = load_text(destination_arn);
        if (!destination.ok()) {
            return destination.failure();
        }
        auto rate = load_integer(max_number_of_messages_per_second);
        if (!rate.ok()) {
            return rate.failure();
        }
        if (rate.value() && *rate.value() < 0) {
            // -1 is the library's "not set"; SQS rejects any value below 1.
            return Failure::service(Errc::invalid_parameter_value,
                                    "Value " + std::to_string(*rate.value()) +
                                        " for parameter MaxNumberOfMessagesPerSecond is invalid.");
        }
        auto handle =
            client.start_message_move_task(source.value(), destination.value(), rate.value() ? *rate.value() : -1);
        if (!handle.ok()) {
            return Failure::service(handle.error());
        }
        print_response({{"TaskHandle", handle.value()}});
        return {};
    }
};

struct CancelMessageMoveTaskCommand {
    TextOption task_handle;

    void declare(CLI::App& parser) {
        add_text_option(parser, task_handle, "--task-handle", "Handle printed by start-message-move-task", true);
    }

    Outcome run(const Client& client, const GlobalOptions& /*globals*/) {
        auto handle = load_text(task_handle);
        if (!handle.ok()) {
            return handle.failure();
        }
        auto moved = client.cancel_message_move_task(handle.value());
        if (!moved.ok()) {
            return Failure::service(moved.error());
        }
        print_response({{"ApproximateNumberOfMessagesMoved", moved.value()}});
        return {};
    }
};

struct ListMessageMoveTasksCommand {
    TextOption source_arn, max_results;

    void declare(CLI::App& parser) {
        add_text_option(parser, source_arn, "--source-arn", "ARN of the dead-letter queue", true);
        add_text_option(parser, max_results, "--max-results", "At most this many tasks (1-10)");
    }

    Outcome run(const Client& client, const GlobalOptions& /*globals*/) {
        auto source = load_text(source_arn);
        if (!source.ok()) {
            return source.failure();
        }
        auto results = load_integer(max_results);
        if (!results.ok()) {
            return results.failure();
        }
        auto tasks =
            client.list_message_move_tasks(source.value(), results.value() ? clamp_to_int32(*results.value()) : -1);
        if (!tasks.ok()) {
            return Failure::service(tasks.error());
        }
        boost::json::array list;
        for (const auto& task : tasks.value()) {
            list.push_back(api::move_task_json(task));
        }
        print_response({{"Results", std::move(list)}});
        return {};
    }

};

} // namespace

void add_move_task_commands(CommandSet& commands) {
    commands.add<StartMessageMoveTaskCommand>("start-message-move-task", "StartMessageMoveTask",
                                              "Move messages out of a dead-letter queue");
    commands.add<CancelMessageMoveTaskCommand>("cancel-message-move-task", "CancelMessageMoveTask",
                                               "Cancel a running message move task");
    commands.add<ListMessageMoveTasksCommand>("list-message-move-tasks", "ListMessageMoveTasks",
                                              "List recent message move tasks of a queue");
}

} // namespace shmq::cli
