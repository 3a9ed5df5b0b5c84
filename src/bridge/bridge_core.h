// What a forward and a pull bridge have alike: who they are (settings, remote, runtime), their
// local queue, their metrics, their log lines, their loop (run, on the thread a Bridge gives
// it), and their circuit: after a failed request nothing new is started
// until a full-jitter backoff has passed; then one request probes (half-open), and a success
// closes the circuit. A 4xx that retrying cannot fix (bad credentials, no such queue, a wrong
// region) is retried at the slow pace. Each new failure is logged once, not once per retry.
//
// Thread contract: the bridge's thread only (metrics are read by anyone).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include "bridge/bridge_metrics.h"
#include "bridge/bridge_runtime.h"
#include "bridge/bridge_settings.h"
#include "bridge/retry_backoff.h"
#include "shmq/queue.h"

namespace shmq::bridge {

class BridgeCore {
  public:
    using SteadyClock = std::chrono::steady_clock;

    BridgeCore(BridgeSettings settings_in, std::shared_ptr<const RemoteEndpoint> remote_in, BridgeRuntime runtime_in)
        : settings(std::move(settings_in)), remote(std::move(remote_in)), runtime(std::move(runtime_in)),
          fifo(settings.local_queue.ends_with(".fifo")), backoff_(runtime.backoff_base, runtime.backoff_cap) {}
    virtual ~BridgeCore() = default;
    BridgeCore(const BridgeCore&) = delete;
    BridgeCore& operator=(const BridgeCore&) = delete;

    const BridgeSettings settings;
    const std::shared_ptr<const RemoteEndpoint> remote;
    const BridgeRuntime runtime;
    const bool fifo;
    BridgeMetrics metrics;
    std::optional<Queue> queue; // the local queue, once open_queue() found it

    // The bridge's loop, until stop is requested; then what it holds is settled or given back.
    virtual void run(const std::stop_token& stop) = 0;
    // With the stop request (from another thread): wakes a loop asleep where stop does not reach.
    virtual void interrupt() {}

    // The local queue (it may be created after the bridge starts): false, noted, while it is not there.
    bool open_queue() {
        if (queue) {
            return true;
        }
        auto opened = runtime.client->open_queue(settings.local_queue);
        if (!opened) {
            note_failure("local queue " + settings.local_queue + ": " + opened.error().message);
            return false;
        }
        queue.emplace(std::move(opened.value()));
        return true;
    }

    void log(const std::string& line) const {
        if (runtime.log) {
            runtime.log("bridge " + settings.name + ": " + line);
        }
    }

    // A failure worth a log line (once while it lasts) and the status's last error.
    void note_failure(const std::string& text) {
        metrics.set_last_error(text);
        if (text != logged_error_) {
            log(text);
            logged_error_ = text;
        }
    }

    // Every remote request's answer passes here: latency, counts, and the circuit.
    void count_reply(const SqsReply& reply) {
        metrics.requests.fetch_add(1, std::memory_order_relaxed);
        metrics.latency.record(reply.latency);
        if (!reply.ok()) {
            metrics.request_errors.fetch_add(1, std::memory_order_relaxed);
        }
    }

    void open_circuit(const std::string& what, const SqsReply& reply) {
        ++failures_;
        const bool slow = !reply.retryable();
        retry_at_ = SteadyClock::now() + (slow ? backoff_.slow() : backoff_.after(failures_));
        metrics.set_circuit(CircuitState::open);
        const auto cap_ms = backoff_.cap().count();
        const std::string pace = cap_ms >= 1000 ? std::to_string(cap_ms / 1000) + " s" : std::to_string(cap_ms) + " ms";
        note_failure(what + ": " + reply.describe() +
                     (slow ? " (this needs fixing; retried every " + pace + " or so)" : ""));
    }

    void close_circuit() {
        if (failures_ > 0) {
            log("SQS answers again: the circuit is closed");
            logged_error_.clear();
        }
        failures_ = 0;
        metrics.set_circuit(CircuitState::closed);
    }

    [[nodiscard]] bool circuit_open() const noexcept { return failures_ > 0; }
    // Open: may a probe go now (the backoff passed and nothing else is in flight)?
    [[nodiscard]] bool may_probe(std::size_t requests_in_flight) {
        if (requests_in_flight > 0 || SteadyClock::now() < retry_at_) {
            return false;
        }
        metrics.set_circuit(CircuitState::half_open);
        return true;
    }
    [[nodiscard]] SteadyClock::time_point retry_at() const noexcept { return retry_at_; }
    [[nodiscard]] std::chrono::seconds held_visibility() const noexcept {
        return std::chrono::seconds(settings.visibility_timeout_s);
    }

  private:
    RetryBackoff backoff_;
    std::uint32_t failures_ = 0; // requests failed in a row
    SteadyClock::time_point retry_at_{};
    std::string logged_error_;
};

} // namespace shmq::bridge
