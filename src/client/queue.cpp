// The public Queue handle: a thin layer over engine::QueueEngine that adds the copying receive
// and the batch forms of delete and change-visibility.
#include "shmq/queue.h"

#include "engine/queue_engine.h"

namespace shmq {

Queue::Queue(std::unique_ptr<engine::QueueEngine> engine) : engine_(std::move(engine)) {}
Queue::Queue(Queue&&) noexcept = default;
Queue& Queue::operator=(Queue&&) noexcept = default;
Queue::~Queue() = default;

const std::string& Queue::name() const noexcept {
    return engine_->name();
}

Result<MessageId> Queue::send(const SendEntry& entry, const SendOptions& options) {
    auto outcome = send_message(entry, options);
    if (!outcome) {
        return outcome.error();
    }
    return outcome->message_id;
}

Result<SendOutcome> Queue::send_message(const SendEntry& entry, const SendOptions& options) {
    SendOutcome outcome;
    if (Status status = engine_->send_batch({&entry, 1}, {&outcome, 1}, options, false); !status) {
        return status.error();
    }
    if (outcome.error != Errc::ok) {
        return explain_send_error(entry, outcome.error).error();
    }
    return outcome;
}

Status Queue::send_batch(std::span<const SendEntry> entries, std::span<SendOutcome> outcomes,
                         const SendOptions& options) {
    return engine_->send_batch(entries, outcomes, options, true);
}

Status Queue::explain_send_error(const SendEntry& entry, Errc outcome) const {
    if (outcome == Errc::ok) {
        return {};
    }
    if (outcome == Errc::queue_full || outcome == Errc::queue_bytes_full || outcome == Errc::shm_full ||
        outcome == Errc::timed_out) {
        return engine_->capacity_error(outcome);
    }
    if (outcome == Errc::not_durable) {
        return {Errc::not_durable, "Queue " + name() +
                                       ": the message was enqueued, but shmqd stopped before it was durable "
                                       "(Durability=sync)."};
    }
    if (Status status = engine_->explain_entry(entry); !status) {
        return status;
    }
    if (outcome == Errc::over_limit) {
        return {Errc::over_limit, "Queue " + name() +
                                      ": its deduplication table cannot hold five more minutes of ids "
                                      "(QueueCapacity.dedup_entries); the message was not sent."};
    }
    return {outcome, std::string(sqs_error_code(outcome))};
}

Result<std::uint32_t> Queue::receive_views_impl(const ReceiveRequest& request, RawVisitor visit, void* context) {
    return engine_->receive(request, visit, context);
}

Result<std::vector<ReceivedMessage>> Queue::receive(const ReceiveRequest& request) {
    std::vector<ReceivedMessage> messages;
    Error decode_error;
    auto count = receive_views(request, [&](const MessageView& view) {
        ReceivedMessage& message = messages.emplace_back();
        message.message_id = view.message_id;
        message.receipt_handle = view.receipt_handle;
        message.body = std::string(view.body);
        auto attributes = decode_message_attributes(view.encoded_attributes);
        if (attributes) {
            message.attributes = std::move(attributes.value());
        } else {
            decode_error = attributes.error();
        }
        message.dead_letter_source_queue = std::string(view.dead_letter_source_queue);
        message.message_group_id = std::string(view.message_group_id);
        message.message_deduplication_id = std::string(view.message_deduplication_id);
        message.aws_trace_header = std::string(view.aws_trace_header);
        message.sequence_number = view.sequence_number;
        message.sent_timestamp_ms = view.sent_timestamp_ms;
        message.first_receive_timestamp_ms = view.first_receive_timestamp_ms;
        message.receive_count = view.receive_count;
        message.sender_uid = view.sender_uid;
    });
    if (!count) {
        return count.error();
    }
    if (decode_error.code != Errc::ok) {
        return decode_error;
    }
    return messages;
}

Status Queue::delete_message(const ReceiptHandle& handle) {
    return engine_->delete_message(handle);
}

void Queue::delete_batch(std::span<const ReceiptHandle> handles, std::span<Errc> errors) {
    engine_->delete_batch(handles, errors);
}

Status Queue::change_visibility(const ReceiptHandle& handle, std::int32_t timeout_s) {
    return engine_->change_visibility(handle, timeout_s);
}

void Queue::change_visibility_batch(std::span<const ReceiptHandle> handles, std::span<const std::int32_t> timeouts_s,
                                    std::span<Errc> errors) {
    for (std::size_t i = 0; i < handles.size() && i < timeouts_s.size() && i < errors.size(); ++i) {
        errors[i] = engine_->change_visibility(handles[i], timeouts_s[i]).code();
    }
}

void Queue::advance_timers() {
    engine_->advance_timers();
}

QueueInspection Queue::inspect() const {
    return engine_->inspect();
}

std::uint32_t Queue::config_version() const noexcept {
    return engine_->config_version();
}

std::int32_t Queue::receive_wait_time_s() const noexcept {
    return engine_->receive_wait_time_s();
}

bool Queue::sends_wait_for_disk() const noexcept {
    return engine_->sends_wait_for_disk();
}

engine::QueueEngine& engine_of(Queue& queue) noexcept {
    return queue.engine();
}

} // namespace shmq
