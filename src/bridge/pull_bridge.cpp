// SQS → local queue (see pull_bridge.h for the protocol steps P1–P5 tagged below).
#include "pull_bridge.h"

#include <algorithm>
#include <deque>
#include <optional>
#include <set>
#include <vector>

#include "bridge/bridge_core.h"
#include "bridge/mailbox.h"
#include "bridge/sqs_calls.h"
#include "shmq/queue.h"

namespace shmq::bridge {

namespace {

using SteadyClock = BridgeCore::SteadyClock;

constexpr std::int32_t long_poll_s = 20;
constexpr auto idle_tick = std::chrono::milliseconds(500);
// A local queue that refused a write (full) is tried again after this.
constexpr auto local_retry = std::chrono::milliseconds(50);
// How long a stop waits for the last deletes to be answered.
constexpr auto stop_deletes_wait = std::chrono::seconds(5);

// A local refusal that writing again cannot change: the message is left to SQS (not deleted
// there, it comes back after its visibility timeout, and the remote queue's redrive policy
// decides its fate). Anything else (a full queue, no room in /dev/shm) is tried again.
bool refused_for_good(Errc error) noexcept {
    switch (error) {
    case Errc::message_too_long:
    case Errc::invalid_message_contents:
    case Errc::invalid_parameter_value:
    case Errc::missing_parameter:
    case Errc::invalid_attribute_name:
    case Errc::invalid_attribute_value:
        return true;
    default:
        return false;
    }
}

// A remote message received, not yet deleted remotely.
struct Pulled {
    IncomingMessage message;
    SteadyClock::time_point visible_until; // its remote visibility, as we last set it
};

enum class Call { poll, remove, extend };

struct Mail {
    Call call;
    SqsReply reply;
    std::vector<std::string> handles; // remove, extend: the receipt handles sent
};

struct PullState final : BridgeCore {
    const std::shared_ptr<Mailbox<Mail>> mailbox = std::make_shared<Mailbox<Mail>>();

    // The bridge thread's own.
    std::deque<Pulled> waiting;        // to write locally, in the order received
    std::deque<std::string> to_delete; // written locally: receipt handles to delete remotely
    std::size_t polls_in_flight = 0;
    std::size_t deletes_in_flight = 0;
    SteadyClock::time_point local_retry_at{};
    std::string local_error; // what the local queue said last, while it refuses

    using BridgeCore::BridgeCore;

    void submit(Call call, std::string_view action, std::string body, std::vector<std::string> handles = {}) {
        runtime.transport->submit(remote, action, std::move(body),
                                  [mailbox = mailbox, call, handles = std::move(handles)](SqsReply&& reply) mutable {
                                      mailbox->post(Mail{call, std::move(reply), std::move(handles)});
                                  });
        publish_in_flight();
    }

    void publish_in_flight() {
        metrics.requests_in_flight.store(static_cast<std::int64_t>(polls_in_flight + deletes_in_flight),
                                         std::memory_order_relaxed);
    }

    // --- P1 poll ---

    void poll() {
        ++polls_in_flight;
        submit(Call::poll, "ReceiveMessage",
               receive_message_body(settings.remote_queue_url, batch_entries_max, long_poll_s,
                                    settings.visibility_timeout_s));
    }

    void settle(Mail& mail) {
        count_reply(mail.reply);
        switch (mail.call) {
        case Call::poll:
            --polls_in_flight;
            if (!mail.reply.ok()) {
                open_circuit("ReceiveMessage from " + settings.remote_queue_url, mail.reply);
                break;
            }
            close_circuit();
            take(read_receive_message(mail.reply));
            break;
        case Call::remove:
            settle_deletes(mail);
            break;
        case Call::extend:
            if (!mail.reply.ok()) {
                note_failure("ChangeMessageVisibilityBatch on " + settings.remote_queue_url + ": " +
                             mail.reply.describe());
            }
            break;
        }
        publish_in_flight();
    }

    void take(ReceivedBatch&& batch) {
        for (const std::string& refused : batch.refused) {
            note_failure("a message from SQS was not taken (it becomes visible there again): " + refused);
        }
        const SteadyClock::time_point visible_until = SteadyClock::now() + held_visibility();
        for (IncomingMessage& message : batch.messages) {
            waiting.push_back(Pulled{std::move(message), visible_until});
        }
    }

    // --- P2 write ---

    // The next messages to write in one batch: the first 10, or on a FIFO queue the first
    // message of each group (up to 10), so that no message passes an earlier one of its group.
    std::vector<std::size_t> next_batch() const {
        std::vector<std::size_t> picked;
        std::set<std::string_view> groups;
        for (std::size_t i = 0; i < waiting.size() && picked.size() < batch_entries_max; ++i) {
            if (fifo && !groups.insert(waiting[i].message.message_group_id).second) {
                continue;
            }
            picked.push_back(i);
        }
        return picked;
    }

    void write_waiting() {
        while (!waiting.empty() && SteadyClock::now() >= local_retry_at) {
            const std::vector<std::size_t> picked = next_batch();
            std::vector<SendEntry> entries(picked.size());
            for (std::size_t k = 0; k < picked.size(); ++k) {
                const IncomingMessage& message = waiting[picked[k]].message;
                SendEntry& entry = entries[k];
                entry.body = message.body;
                entry.attributes = message.attributes.empty() ? nullptr : &message.attributes;
                entry.message_group_id = message.message_group_id;
                entry.aws_trace_header = message.aws_trace_header;
                if (fifo) {
                    entry.message_deduplication_id = message.remote_message_id;
                }
            }
            std::vector<SendOutcome> outcomes(entries.size());
            SendOptions options;
            options.durable_wait_ns = 5'000'000'000; // a sync queue: shmqd's journal is this process
            const Status sent = queue->send_batch(entries, outcomes, options);
            enum class Fate : std::uint8_t { waits, written, left_to_sqs };
            std::vector<Fate> fates(waiting.size(), Fate::waits);
            std::size_t refused = 0;
            for (std::size_t k = 0; k < picked.size(); ++k) {
                const Errc error = sent ? outcomes[k].error : sent.code();
                if (error == Errc::ok) {
                    fates[picked[k]] = Fate::written;
                    continue;
                }
                const Status why = queue->explain_send_error(entries[k], error);
                const std::string reason = std::string(sqs_error_code(error)) + (why ? "" : ": " + why.message());
                if (refused_for_good(error)) {
                    fates[picked[k]] = Fate::left_to_sqs;
                    metrics.failed.fetch_add(1, std::memory_order_relaxed);
                    note_failure("local queue " + settings.local_queue + " refused message " +
                                 waiting[picked[k]].message.remote_message_id +
                                 " (left in SQS, it comes back there): " + reason);
                } else {
                    ++refused;
                    local_error = reason;
                }
            }
            std::size_t carried = 0;
            std::deque<Pulled> still_waiting;
            for (std::size_t i = 0; i < waiting.size(); ++i) {
                if (fates[i] == Fate::written) {
                    to_delete.push_back(std::move(waiting[i].message.receipt_handle));
                    ++carried;
                } else if (fates[i] == Fate::waits) {
                    still_waiting.push_back(std::move(waiting[i]));
                }
            }
            waiting.swap(still_waiting);
            metrics.carried.fetch_add(carried, std::memory_order_relaxed);
            if (refused > 0) {
                note_failure("local queue " + settings.local_queue +
                             " refused a write (kept, tried again): " + local_error);
                local_retry_at = SteadyClock::now() + local_retry;
                return;
            }
        }
    }

    // --- P3 delete ---

    void flush_deletes(bool all) {
        while (!to_delete.empty() && (all || deletes_in_flight < settings.requests_in_flight)) {
            std::vector<std::string> handles;
            while (!to_delete.empty() && handles.size() < batch_entries_max) {
                handles.push_back(std::move(to_delete.front()));
                to_delete.pop_front();
            }
            ++deletes_in_flight;
            std::string body = delete_message_batch_body(settings.remote_queue_url, handles);
            submit(Call::remove, "DeleteMessageBatch", std::move(body), std::move(handles));
        }
    }

    void settle_deletes(Mail& mail) {
        --deletes_in_flight;
        if (!mail.reply.ok()) {
            note_failure("DeleteMessageBatch on " + settings.remote_queue_url + ": " + mail.reply.describe() +
                         (mail.reply.retryable() ? " (tried again)" : ""));
            if (mail.reply.retryable()) {
                metrics.retried.fetch_add(mail.handles.size(), std::memory_order_relaxed);
                to_delete.insert(to_delete.end(), std::make_move_iterator(mail.handles.begin()),
                                 std::make_move_iterator(mail.handles.end()));
            }
            return;
        }
        const std::vector<EntryOutcome> outcomes = read_batch_result(mail.reply, mail.handles.size());
        for (std::size_t i = 0; i < outcomes.size(); ++i) {
            if (outcomes[i].fate == EntryFate::retry) {
                metrics.retried.fetch_add(1, std::memory_order_relaxed);
                to_delete.push_back(std::move(mail.handles[i]));
            } else if (outcomes[i].fate == EntryFate::sender_fault) {
                // Its remote visibility lapsed and someone received it again: SQS delivers it once
                // more, and a FIFO queue's deduplication drops it here.
                note_failure("a remote delete failed (the message may come again): " + outcomes[i].reason);
            }
        }
    }

    // --- P4 extend ---

    void extend_visibility() {
        const SteadyClock::time_point now = SteadyClock::now();
        std::vector<std::string> handles;
        for (Pulled& pulled : waiting) {
            if (pulled.visible_until - now >= held_visibility() / 2) {
                continue;
            }
            handles.push_back(pulled.message.receipt_handle);
            pulled.visible_until = now + held_visibility();
            if (handles.size() == batch_entries_max) {
                submit_extend(handles);
            }
        }
        if (!handles.empty()) {
            submit_extend(handles);
        }
    }

    void submit_extend(std::vector<std::string>& handles) {
        metrics.extended.fetch_add(handles.size(), std::memory_order_relaxed);
        std::string body =
            change_visibility_batch_body(settings.remote_queue_url, handles, settings.visibility_timeout_s);
        submit(Call::extend, "ChangeMessageVisibilityBatch", std::move(body), std::exchange(handles, {}));
    }

    void publish_lag() {
        std::int64_t oldest = 0;
        for (const Pulled& pulled : waiting) {
            if (pulled.message.sent_timestamp_ms > 0 && (oldest == 0 || pulled.message.sent_timestamp_ms < oldest)) {
                oldest = pulled.message.sent_timestamp_ms;
            }
        }
        const std::int64_t now_ms = runtime.client->clock().now_ns() / 1'000'000;
        metrics.lag_ms.store(oldest == 0 ? 0 : std::max<std::int64_t>(0, now_ms - oldest), std::memory_order_relaxed);
    }

    void run(const std::stop_token& stop) override {
        while (!stop.stop_requested() && !open_queue()) {
            mailbox->wait(stop, SteadyClock::now() + std::chrono::seconds(1));
        }
        while (!stop.stop_requested()) {
            for (Mail& mail : mailbox->take()) {
                settle(mail);
            }
            write_waiting();
            flush_deletes(false);
            extend_visibility();
            publish_lag();
            const bool room = waiting.size() < PullBridge::pending_max;
            if (circuit_open()) {
                if (room && may_probe(polls_in_flight)) {
                    poll();
                }
            } else {
                while (room && polls_in_flight < settings.requests_in_flight) {
                    poll();
                }
            }
            SteadyClock::time_point wake = SteadyClock::now() + idle_tick;
            if (circuit_open() && polls_in_flight == 0) {
                wake = std::min(wake, retry_at());
            }
            if (!waiting.empty()) {
                wake = std::min(wake, local_retry_at);
            }
            mailbox->wait(stop, wake);
        }
        // Stop: what was received is written and deleted remotely, if the remote answers soon.
        const SteadyClock::time_point give_up = SteadyClock::now() + stop_deletes_wait;
        if (queue) {
            write_waiting();
        }
        flush_deletes(true);
        while (deletes_in_flight > 0 && SteadyClock::now() < give_up) {
            mailbox->wait(give_up);
            for (Mail& mail : mailbox->take()) {
                if (mail.call == Call::remove) {
                    count_reply(mail.reply);
                    settle_deletes(mail);
                }
            }
            flush_deletes(true);
        }
    }
};

} // namespace

PullBridge::PullBridge(BridgeSettings settings, std::shared_ptr<const RemoteEndpoint> remote, BridgeRuntime runtime)
    : Bridge(std::make_unique<PullState>(std::move(settings), std::move(remote), std::move(runtime))) {}

} // namespace shmq::bridge
