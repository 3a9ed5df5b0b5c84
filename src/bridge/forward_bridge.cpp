// Local queue → SQS (see forward_bridge.h for the protocol steps F1–F4 tagged below).
#include "forward_bridge.h"

#include <algorithm>
#include <deque>
#include <list>
#include <optional>
#include <vector>

#include "bridge/bridge_core.h"
#include "bridge/mailbox.h"
#include "bridge/sqs_calls.h"
#include "shmq/queue.h"
#include "sqs/queue_config.h"

namespace shmq::bridge {

namespace {

using SteadyClock = BridgeCore::SteadyClock;

// A message without a dead-letter queue that SQS refuses as the sender's fault stays in flight
// locally this long (SQS's longest visibility timeout): out of the way, not lost.
constexpr std::int32_t refused_visibility_s = 43'200;
// How long the bridge's thread sleeps at most between looks at its queue and its mail.
constexpr auto idle_tick = std::chrono::milliseconds(500);
// While a batch gathers for its window, the local queue is looked at again this often.
constexpr auto gather_poll = std::chrono::microseconds(200);
// How long a stop waits for the answers in flight (shmqd's stop is bounded at 10 s): a message
// whose answer did not come stays in flight locally and is sent again after its visibility
// timeout (a FIFO queue's copy is deduplicated by SQS).
constexpr auto stop_answers_wait = std::chrono::seconds(5);

// One local message the bridge holds: received, not yet accepted by SQS.
struct Held {
    OutgoingMessage message;
    ReceiptHandle handle;
    std::int64_t sent_timestamp_ms = 0;
    SteadyClock::time_point visible_until;
    std::uint32_t attempts = 0;
};

using Batch = std::vector<Held>;

struct Mail {
    std::shared_ptr<Batch> batch;
    SqsReply reply;
};

struct ForwardState final : BridgeCore {
    const std::shared_ptr<Mailbox<Mail>> mailbox = std::make_shared<Mailbox<Mail>>();

    // The bridge thread's own.
    std::deque<Held> waiting;                    // to send, oldest first
    std::list<std::shared_ptr<Batch>> in_flight; // sent, not answered
    SteadyClock::time_point next_renewal{};
    std::string dead_letter_name;     // what RedrivePolicy named when last looked at
    std::optional<Queue> dead_letter; // that queue, open

    using BridgeCore::BridgeCore;

    std::int64_t now_ms() const { return runtime.client->clock().now_ns() / 1'000'000; }

    // --- mail from the transport's thread ---

    std::vector<Mail> take_mail() { return mailbox->take(); }
    void interrupt() override { mailbox->interrupt(); }
    void wait_for_mail(const std::stop_token& stop, SteadyClock::time_point deadline) { mailbox->wait(stop, deadline); }

    // --- F1 take ---

    Held hold(ReceivedMessage&& received) {
        Held held;
        held.message.body = std::move(received.body);
        held.message.attributes = std::move(received.attributes);
        held.message.message_group_id = std::move(received.message_group_id);
        held.message.aws_trace_header = std::move(received.aws_trace_header);
        if (fifo) {
            held.message.message_deduplication_id = received.message_id.to_string();
        }
        held.handle = received.receipt_handle;
        held.sent_timestamp_ms = received.sent_timestamp_ms;
        held.visible_until = SteadyClock::now() + held_visibility();
        return held;
    }

    // Receives into waiting: a long poll for the first messages, then whatever comes within the
    // batch window, up to one full batch.
    void take(const std::stop_token& stop) {
        const std::optional<std::stop_token> token = mailbox->wake_token(stop);
        if (!token) {
            return;
        }
        ReceiveRequest request;
        request.max_number_of_messages = batch_entries_max;
        request.visibility_timeout_s = settings.visibility_timeout_s;
        request.wait_time_s = 1;
        request.stop = *token;
        auto received = queue->receive(request);
        if (!received) {
            note_failure("receiving from " + settings.local_queue + ": " + received.error().message);
            wait_for_mail(stop, SteadyClock::now() + idle_tick);
            return;
        }
        for (ReceivedMessage& message : received.value()) {
            waiting.push_back(hold(std::move(message)));
        }
        if (waiting.empty()) {
            return;
        }
        const SteadyClock::time_point window_end = SteadyClock::now() + settings.batch_window;
        request.wait_time_s = 0;
        while (waiting.size() < batch_entries_max && !stop.stop_requested()) {
            request.max_number_of_messages = static_cast<std::uint32_t>(batch_entries_max - waiting.size());
            auto more = queue->receive(request);
            if (!more || more->empty()) {
                if (SteadyClock::now() + gather_poll >= window_end) {
                    break;
                }
                std::this_thread::sleep_for(gather_poll);
                continue;
            }
            for (ReceivedMessage& message : more.value()) {
                waiting.push_back(hold(std::move(message)));
            }
        }
    }

    // --- F2 send ---

    void send_batch() {
        auto batch = std::make_shared<Batch>();
        std::size_t bytes = 0;
        while (!waiting.empty() && batch->size() < batch_entries_max) {
            const std::size_t entry_bytes = waiting.front().message.batch_bytes();
            if (!batch->empty() && bytes + entry_bytes > batch_bytes_max) {
                break;
            }
            bytes += entry_bytes;
            batch->push_back(std::move(waiting.front()));
            waiting.pop_front();
        }
        std::vector<const OutgoingMessage*> entries;
        for (Held& held : *batch) {
            if (held.attempts++ > 0) {
                metrics.retried.fetch_add(1, std::memory_order_relaxed);
            }
            entries.push_back(&held.message);
        }
        std::string body = send_message_batch_body(settings.remote_queue_url, entries);
        in_flight.push_back(batch);
        metrics.requests_in_flight.store(static_cast<std::int64_t>(in_flight.size()), std::memory_order_relaxed);
        runtime.transport->submit(remote, "SendMessageBatch", std::move(body),
                                  [mailbox = mailbox, batch](SqsReply&& reply) {
                                      mailbox->post(Mail{batch, std::move(reply)});
                                  });
    }

    // --- F3 settle ---

    void settle(Mail& mail) {
        in_flight.remove(mail.batch);
        metrics.requests_in_flight.store(static_cast<std::int64_t>(in_flight.size()), std::memory_order_relaxed);
        count_reply(mail.reply);
        Batch& batch = *mail.batch;
        if (!mail.reply.ok()) {
            requeue_front(batch, 0, batch.size());
            open_circuit("SendMessageBatch to " + settings.remote_queue_url, mail.reply);
            return;
        }
        std::vector<const OutgoingMessage*> entries;
        for (const Held& held : batch) {
            entries.push_back(&held.message);
        }
        const std::vector<EntryOutcome> outcomes = read_send_message_batch(mail.reply, entries);
        std::vector<ReceiptHandle> accepted;
        std::vector<Held> retry;
        for (std::size_t i = 0; i < batch.size(); ++i) {
            switch (outcomes[i].fate) {
            case EntryFate::accepted:
                accepted.push_back(batch[i].handle);
                break;
            case EntryFate::retry:
                retry.push_back(std::move(batch[i]));
                break;
            case EntryFate::sender_fault:
                refuse(batch[i], outcomes[i].reason);
                break;
            }
        }
        if (!accepted.empty()) {
            std::vector<Errc> errors(accepted.size());
            queue->delete_batch(accepted, errors); // a handle already gone is no loss: SQS has it
            metrics.carried.fetch_add(accepted.size(), std::memory_order_relaxed);
        }
        const bool none_taken = accepted.empty() && !retry.empty();
        std::string first_reason;
        for (const EntryOutcome& outcome : outcomes) {
            if (outcome.fate == EntryFate::retry) {
                first_reason = outcome.reason;
                break;
            }
        }
        for (auto it = retry.rbegin(); it != retry.rend(); ++it) {
            waiting.push_front(std::move(*it));
        }
        if (none_taken) {
            // Nothing went through (a full or throttling remote answers entry by entry): back off
            // as after a failed request, rather than send the same entries again at once.
            SqsReply refused;
            refused.kind = ReplyKind::throttled;
            refused.http_status = mail.reply.http_status;
            refused.error_code = "EveryEntryFailed";
            refused.error_message = first_reason;
            open_circuit("SendMessageBatch to " + settings.remote_queue_url, refused);
            return;
        }
        close_circuit();
    }

    void requeue_front(Batch& batch, std::size_t from, std::size_t to) {
        for (std::size_t i = to; i > from; --i) {
            waiting.push_front(std::move(batch[i - 1]));
        }
    }

    // The sender's fault: to the local dead-letter queue, or kept out of the way.
    void refuse(Held& held, const std::string& reason) {
        metrics.failed.fetch_add(1, std::memory_order_relaxed);
        if (Queue* target = dead_letter_queue()) {
            SendEntry entry;
            entry.body = held.message.body;
            entry.attributes = held.message.attributes.empty() ? nullptr : &held.message.attributes;
            entry.message_group_id = held.message.message_group_id;
            entry.message_deduplication_id = held.message.message_deduplication_id;
            entry.aws_trace_header = held.message.aws_trace_header;
            if (auto sent = target->send(entry)) {
                (void)queue->delete_message(held.handle);
                log("SQS refused a message (" + reason + "); moved to dead-letter queue " + dead_letter_name + " as " +
                    sent->to_string());
                metrics.set_last_error("refused by SQS: " + reason);
                return;
            }
        }
        (void)queue->change_visibility(held.handle, refused_visibility_s);
        log("SQS refused a message (" + reason + "); " + settings.local_queue +
            " has no dead-letter queue that took it: kept in flight for 12 hours");
        metrics.set_last_error("refused by SQS: " + reason);
    }

    // The local queue's dead-letter queue as its RedrivePolicy names it now (it may change while
    // the bridge runs); opened once per name, not per refused message.
    Queue* dead_letter_queue() {
        auto attributes = runtime.client->get_queue_attributes(settings.local_queue, {"RedrivePolicy"});
        std::string name;
        if (attributes) {
            const auto policy = attributes->find("RedrivePolicy");
            sqs::QueueConfig config;
            if (policy != attributes->end() && !policy->second.empty() &&
                sqs::apply_attributes(config, {{"RedrivePolicy", policy->second}}, false, settings.local_queue,
                                      nullptr)) {
                name = config.dead_letter_target_name;
            }
        }
        if (name != dead_letter_name || !dead_letter) {
            dead_letter.reset();
            dead_letter_name = name;
            if (!name.empty()) {
                if (auto opened = runtime.client->open_queue(name)) {
                    dead_letter.emplace(std::move(opened.value()));
                }
            }
        }
        return dead_letter ? &*dead_letter : nullptr;
    }

    // --- housekeeping ---

    void renew_visibility() {
        const SteadyClock::time_point now = SteadyClock::now();
        if (now < next_renewal) {
            return;
        }
        next_renewal = now + std::min<SteadyClock::duration>(std::chrono::seconds(1), held_visibility() / 4);
        const auto renew = [&](Held& held) {
            if (held.visible_until - now < held_visibility() / 2) {
                (void)queue->change_visibility(held.handle, settings.visibility_timeout_s);
                held.visible_until = now + held_visibility();
                metrics.extended.fetch_add(1, std::memory_order_relaxed);
            }
        };
        std::for_each(waiting.begin(), waiting.end(), renew);
        for (const std::shared_ptr<Batch>& batch : in_flight) {
            std::for_each(batch->begin(), batch->end(), renew);
        }
    }

    void publish_lag() {
        std::int64_t oldest = 0;
        const auto consider = [&](const Held& held) {
            if (oldest == 0 || held.sent_timestamp_ms < oldest) {
                oldest = held.sent_timestamp_ms;
            }
        };
        std::for_each(waiting.begin(), waiting.end(), consider);
        for (const std::shared_ptr<Batch>& batch : in_flight) {
            std::for_each(batch->begin(), batch->end(), consider);
        }
        metrics.lag_ms.store(oldest == 0 ? 0 : std::max<std::int64_t>(0, now_ms() - oldest), std::memory_order_relaxed);
    }

    // Messages not carried become visible again at once for whoever consumes next (this bridge
    // after a restart): sooner than their visibility timeout.
    void release_all() {
        const auto release = [&](Held& held) { (void)queue->change_visibility(held.handle, 0); };
        std::for_each(waiting.begin(), waiting.end(), release);
        for (const std::shared_ptr<Batch>& batch : in_flight) {
            std::for_each(batch->begin(), batch->end(), release);
        }
        waiting.clear();
    }

    void run(const std::stop_token& stop) override {
        while (!stop.stop_requested() && !open_queue()) {
            wait_for_mail(stop, SteadyClock::now() + std::chrono::seconds(1));
        }
        while (!stop.stop_requested()) {
            for (Mail& mail : take_mail()) {
                settle(mail);
            }
            renew_visibility();
            publish_lag();
            const SteadyClock::time_point now = SteadyClock::now();
            if (circuit_open()) {
                // F4: wait out the backoff; then half-open, one probe at a time.
                if (!may_probe(in_flight.size())) {
                    wait_for_mail(stop, in_flight.empty() ? std::min(retry_at(), now + idle_tick) : now + idle_tick);
                    continue;
                }
                if (waiting.empty()) {
                    take(stop);
                }
                if (!waiting.empty()) {
                    send_batch();
                }
                continue;
            }
            if (in_flight.size() >= settings.requests_in_flight) {
                wait_for_mail(stop, now + idle_tick);
                continue;
            }
            if (waiting.size() < batch_entries_max) {
                take(stop);
            }
            if (!waiting.empty()) {
                send_batch();
            }
        }
        // Stop: wait for the answers in flight, so that what SQS accepted is deleted here.
        const SteadyClock::time_point give_up = SteadyClock::now() + stop_answers_wait;
        while (!in_flight.empty() && SteadyClock::now() < give_up) {
            mailbox->wait(give_up);
            for (Mail& mail : take_mail()) {
                settle(mail);
            }
        }
        if (queue) {
            release_all();
        }
    }
};

} // namespace

ForwardBridge::ForwardBridge(BridgeSettings settings, std::shared_ptr<const RemoteEndpoint> remote,
                             BridgeRuntime runtime)
    : Bridge(std::make_unique<ForwardState>(std::move(settings), std::move(remote), std::move(runtime))) {}

} // namespace shmq::bridge
