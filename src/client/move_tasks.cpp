// Message move tasks (StartMessageMoveTask, CancelMessageMoveTask, ListMessageMoveTasks):
// redrive from a dead-letter queue to a destination or to each message's own source queue.
//
// Tasks are recorded per dead-letter queue in <namespace dir>/<queue>.tasks (JSON, the ten most
// recent, changed under flock). A task makes progress whenever a task action runs for its queue
// (start, list, cancel) — bounded by MaxNumberOfMessagesPerSecond times the time since it
// started — so no daemon is needed; shmqd will drive it continuously. Each message is copied to
// its destination (identity kept) before it is deleted from the dead-letter queue, so a process
// killed mid-move leaves at most a duplicate, never a loss. A task that fails (its destination
// deleted, or, redriving to sources, a message sent to the dead-letter queue directly and so
// with no source queue to go back to: SQS documents no answer for it; we fail the task with
// NonExistentQueue, as SQS does for a deleted destination) leaves that message and every one it
// has not moved visible in the dead-letter queue at once, receive counts unchanged; a cancelled
// one stops between batches. SourceArn and DestinationArn name
// queues of this endpoint's region and account only (parse_queue_arn).
#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <sys/file.h>

#include "engine/config_store.h"
#include "engine/queue_engine.h"
#include "region/region.h"
#include "shmq/client.h"
#include "shmq/queue_name.h"

namespace shmq {
namespace json = boost::json;
namespace {

constexpr std::uint32_t unthrottled_step_max = 100'000;

std::string tasks_path(const std::string& directory, const QueueName& queue) {
    return directory + "/" + queue.text() + ".tasks";
}

// The queue a SourceArn or DestinationArn names (role: "source" or "destination"; parameter:
// "SourceArn" or "DestinationArn"). A text that is no queue ARN is an invalid parameter; a queue
// ARN of another region or account names a queue this endpoint does not have.
Result<QueueName> queue_of_task_arn(std::string_view arn, const QueueScope& scope, std::string_view role,
                                    std::string_view parameter) {
    ParsedQueueArn parsed = parse_queue_arn(arn, scope);
    if (parsed.fault == ArnFault::malformed) {
        return Error{Errc::invalid_parameter_value, "You must use a valid " + std::string(role) + " ARN."};
    }
    if (!parsed.name) {
        return Error{Errc::resource_not_found,
                     "The resource that you specified for the " + std::string(parameter) + " parameter doesn't exist."};
    }
    return std::move(*parsed.name);
}

// Holds an exclusive flock on the task file of one queue.
class TaskFileLock {
  public:
    explicit TaskFileLock(const std::string& path)
        : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) {
        if (fd_ >= 0) {
            flock(fd_, LOCK_EX);
        }
    }
    ~TaskFileLock() {
        if (fd_ >= 0) {
            flock(fd_, LOCK_UN);
            ::close(fd_);
        }
    }
    TaskFileLock(const TaskFileLock&) = delete;
    TaskFileLock& operator=(const TaskFileLock&) = delete;
    [[nodiscard]] bool ok() const noexcept { return fd_ >= 0; }

  private:
    int fd_;
};

struct StoredTask {
    MessageMoveTask task;
    std::int64_t started_ns = 0;
};

std::vector<StoredTask> load_tasks(const std::string& path) {
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    std::vector<StoredTask> tasks;
    boost::system::error_code error;
    const json::value parsed = json::parse(text.str(), error);
    if (error || !parsed.is_array()) {
        return tasks;
    }
    for (const json::value& item : parsed.as_array()) {
        if (!item.is_object()) {
            continue;
        }
        const json::object& o = item.as_object();
        const auto text_of = [&](const char* key) -> std::string {
            const json::value* v = o.if_contains(key);
            return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string{};
        };
        const auto int_of = [&](const char* key) -> std::int64_t {
            const json::value* v = o.if_contains(key);
            return v != nullptr && v->is_int64() ? v->as_int64() : 0;
        };
        StoredTask stored;
        stored.task.task_handle = text_of("handle");
        stored.task.status = text_of("status");
        stored.task.source_arn = text_of("source");
        stored.task.destination_arn = text_of("destination");
        stored.task.failure_reason = text_of("failure");
        stored.task.max_number_of_messages_per_second = int_of("rate");
        stored.task.approximate_number_of_messages_moved = int_of("moved");
        stored.task.approximate_number_of_messages_to_move = int_of("to_move");
        stored.started_ns = int_of("started_ns");
        stored.task.started_timestamp_ms = stored.started_ns / 1'000'000;
        tasks.push_back(std::move(stored));
    }
    return tasks;
}

void save_tasks(const std::string& path, const std::vector<StoredTask>& tasks) {
    json::array array;
    for (const StoredTask& stored : tasks) {
        json::object o;
        o["handle"] = stored.task.task_handle;
        o["status"] = stored.task.status;
        o["source"] = stored.task.source_arn;
        o["destination"] = stored.task.destination_arn;
        o["failure"] = stored.task.failure_reason;
        o["rate"] = stored.task.max_number_of_messages_per_second;
        o["moved"] = stored.task.approximate_number_of_messages_moved;
        o["to_move"] = stored.task.approximate_number_of_messages_to_move;
        o["started_ns"] = stored.started_ns;
        array.push_back(std::move(o));
    }
    const std::string temporary = path + ".tmp";
    {
        std::ofstream file(temporary, std::ios::trunc);
        file << json::serialize(array);
    }
    std::rename(temporary.c_str(), path.c_str());
}

// Moves what the task may move now. Called with the task file locked.
void advance_task(StoredTask& stored, const std::string& directory, const Clock& clock) {
    MessageMoveTask& task = stored.task;
    if (task.status != "RUNNING") {
        return;
    }
    // ARNs in the task file were checked when the task started; the region layer checks again.
    const std::optional<QueueName> source = queue_name_of_any_arn(task.source_arn);
    auto source_region = source ? region::Region::open(directory, *source)
                                : Result<std::shared_ptr<region::Region>>(Errc::queue_does_not_exist, "");
    if (!source_region) {
        task.status = "FAILED";
        task.failure_reason = "AWS.SimpleQueueService.NonExistentQueue";
        return;
    }
    auto source_engine = engine::QueueEngine::attach(std::move(source_region.value()), directory, clock);
    if (!source_engine) {
        task.status = "FAILED";
        task.failure_reason = std::string(sqs_error_code(source_engine.code()));
        return;
    }
    std::int64_t budget = unthrottled_step_max;
    if (task.max_number_of_messages_per_second > 0) {
        const std::int64_t elapsed_ns = clock.now_ns() - stored.started_ns;
        const std::int64_t allowed = task.max_number_of_messages_per_second * (elapsed_ns / 1'000'000'000 + 1);
        budget = std::max<std::int64_t>(0, allowed - task.approximate_number_of_messages_moved);
    }
    std::map<std::string, std::unique_ptr<engine::QueueEngine>> destinations;
    const std::optional<QueueName> fixed = queue_name_of_any_arn(task.destination_arn);
    const std::string fixed_destination = fixed ? fixed->text() : std::string{};
    std::string failure;
    const std::uint32_t moved = source_engine.value()->drain(
        static_cast<std::uint32_t>(std::min<std::int64_t>(budget, unthrottled_step_max)),
        [&](const engine::MovedMessage& message) {
            const std::string target =
                fixed_destination.empty() ? std::string(message.trailer.dead_letter_source) : fixed_destination;
            auto found = destinations.find(target);
            if (found == destinations.end()) {
                auto region = region::Region::open(directory, target);
                if (!region) {
                    failure = "AWS.SimpleQueueService.NonExistentQueue";
                    return false;
                }
                auto engine = engine::QueueEngine::attach(std::move(region.value()), directory, clock);
                if (!engine) {
                    failure = std::string(sqs_error_code(engine.code()));
                    return false;
                }
                found = destinations.emplace(target, std::move(engine.value())).first;
            }
            engine::MovedMessage home = message;
            home.trailer.dead_letter_source = {}; // back in a source queue, it is no longer dead-lettered
            if (Status status = found->second->send_moved(home); !status) {
                failure = std::string(sqs_error_code(status.code()));
                return false;
            }
            return true;
        });
    task.approximate_number_of_messages_moved += moved;
    if (!failure.empty()) {
        task.status = "FAILED";
        task.failure_reason = failure;
    } else if (source_engine.value()->count_ready() == 0) {
        task.status = "COMPLETED";
    }
}

Status invalid_handle() {
    return {Errc::invalid_parameter_value, "Value for parameter TaskHandle is invalid."};
}

} // namespace

Result<std::string> Client::start_message_move_task(std::string_view source_arn, std::string_view destination_arn,
                                                    std::int64_t max_number_of_messages_per_second) const {
    auto source = queue_of_task_arn(source_arn, scope_, "source", "SourceArn");
    if (!source) {
        return source.error();
    }
    if (!get_queue_url(source->text())) {
        return Error{Errc::resource_not_found,
                     "The resource that you specified for the SourceArn parameter doesn't exist."};
    }
    std::optional<QueueName> destination;
    if (!destination_arn.empty()) {
        auto named = queue_of_task_arn(destination_arn, scope_, "destination", "DestinationArn");
        if (!named) {
            return named.error();
        }
        if (!get_queue_url(named->text())) {
            return Error{Errc::resource_not_found,
                         "The resource that you specified for the DestinationArn parameter doesn't exist."};
        }
        destination = std::move(named.value());
    }
    if (max_number_of_messages_per_second != -1 &&
        (max_number_of_messages_per_second < 1 || max_number_of_messages_per_second > 500)) {
        return Error{Errc::invalid_parameter_value,
                     "Value for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: Must be between 1 and 500."};
    }
    auto sources = list_dead_letter_source_queues(source->text());
    if (!sources) {
        return sources.error();
    }
    if (sources->empty()) {
        return Error{Errc::invalid_parameter_value, "Source queue must be configured as a Dead Letter Queue."};
    }
    const std::string path = tasks_path(namespace_dir_, source.value());
    TaskFileLock lock(path);
    if (!lock.ok()) {
        return Error{Errc::system_error,
                     "cannot open the move tasks of queue " + source->text() + ": " + std::strerror(errno)};
    }
    std::vector<StoredTask> tasks = load_tasks(path);
    for (StoredTask& stored : tasks) {
        advance_task(stored, namespace_dir_, *clock_);
        if (stored.task.status == "RUNNING") {
            save_tasks(path, tasks);
            return Error{Errc::invalid_parameter_value, "There is already a task running. Only one active task is "
                                                        "allowed for a source queue arn at a given time."};
        }
    }
    auto source_queue = open_queue(source->text());
    if (!source_queue) {
        return source_queue.error();
    }
    std::uint64_t id = 0;
    if (getentropy(&id, sizeof id) != 0) {
        return Error{Errc::system_error, std::string("getentropy: ") + std::strerror(errno)};
    }
    StoredTask stored;
    std::ostringstream handle;
    handle << std::hex << id << '.' << source->text();
    stored.task.task_handle = handle.str();
    stored.task.status = "RUNNING";
    stored.task.source_arn = std::string(source_arn);
    stored.task.destination_arn = destination ? std::string(destination_arn) : std::string{};
    stored.task.max_number_of_messages_per_second = max_number_of_messages_per_second;
    stored.task.approximate_number_of_messages_to_move = source_queue->engine().count_ready();
    stored.started_ns = clock_->now_ns();
    stored.task.started_timestamp_ms = stored.started_ns / 1'000'000;
    advance_task(stored, namespace_dir_, *clock_);
    tasks.insert(tasks.begin(), stored);
    if (tasks.size() > limits::move_tasks_listed_max) {
        tasks.resize(limits::move_tasks_listed_max);
    }
    save_tasks(path, tasks);
    return stored.task.task_handle;
}

Result<std::int64_t> Client::cancel_message_move_task(std::string_view task_handle) const {
    const std::size_t dot = task_handle.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 >= task_handle.size()) {
        return invalid_handle().error();
    }
    auto source = QueueName::parse(task_handle.substr(dot + 1));
    if (!source || !get_queue_url(source->text())) {
        return Error{Errc::resource_not_found,
                     "The resource that you specified for the SourceArn parameter doesn't exist."};
    }
    const std::string path = tasks_path(namespace_dir_, source.value());
    TaskFileLock lock(path);
    std::vector<StoredTask> tasks = load_tasks(path);
    for (StoredTask& stored : tasks) {
        if (stored.task.task_handle != task_handle) {
            continue;
        }
        advance_task(stored, namespace_dir_, *clock_);
        if (stored.task.status != "RUNNING") {
            save_tasks(path, tasks);
            return Error{Errc::invalid_parameter_value, "Only active tasks can be cancelled."};
        }
        stored.task.status = "CANCELLED";
        save_tasks(path, tasks);
        return stored.task.approximate_number_of_messages_moved;
    }
    return Error{Errc::resource_not_found, "Task does not exist."};
}

Result<std::vector<MessageMoveTask>> Client::list_message_move_tasks(std::string_view source_arn,
                                                                     std::int32_t max_results) const {
    auto source = queue_of_task_arn(source_arn, scope_, "source", "SourceArn");
    if (!source) {
        return source.error();
    }
    if (!get_queue_url(source->text())) {
        return Error{Errc::resource_not_found,
                     "The resource that you specified for the SourceArn parameter doesn't exist."};
    }
    if (max_results != -1 && (max_results < 1 || max_results > 10)) {
        return Error{
            Errc::invalid_parameter_value,
            "Value for parameter MaxResults is invalid. Reason: You must enter a number that's between 1 and 10."};
    }
    const std::string path = tasks_path(namespace_dir_, source.value());
    TaskFileLock lock(path);
    std::vector<StoredTask> tasks = load_tasks(path);
    for (StoredTask& stored : tasks) {
        advance_task(stored, namespace_dir_, *clock_);
    }
    save_tasks(path, tasks);
    std::vector<MessageMoveTask> out;
    const std::size_t limit = max_results == -1 ? 1 : static_cast<std::size_t>(max_results);
    for (std::size_t i = 0; i < tasks.size() && i < limit; ++i) {
        out.push_back(tasks[i].task);
    }
    return out;
}

} // namespace shmq
