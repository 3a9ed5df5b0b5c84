// See workers.h.
#include "workers.h"

#include <time.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <optional>
#include <span>
#include <sys/prctl.h>
#include <thread>

#include "message_stamp.h"
#include "shmq/limits.h"
#include "shmq/queue.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace shmq_bench {

namespace {

constexpr std::uint32_t batch_max = shmq::limits::send_batch_max;
// A blocked send wakes this often to see whether the run is over.
constexpr std::int64_t send_block_timeout_ns = 100'000'000;
// Pacing sleeps instead of spinning when the next send is further away than this.
constexpr std::int64_t pacing_sleep_threshold_ns = 50'000;

void spin_pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#endif
}

bool retryable(shmq::Errc code) noexcept {
    return code == shmq::Errc::queue_full || code == shmq::Errc::queue_bytes_full || code == shmq::Errc::timed_out;
}

// Waits for the parent's go; false if the parent is gone.
bool wait_for_go(const RunControl& control, pid_t parent) {
    while (control.go.load(std::memory_order_acquire) == 0) {
        if (::getppid() != parent) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    return true;
}

std::optional<shmq::Queue> open_queue(const WorkerPlan& plan, WorkerCounters& counters) {
    auto opened = plan.client->open_queue(plan.queue_name);
    if (!opened) {
        RunState::fail(counters, "open_queue: " + opened.error().message);
        return std::nullopt;
    }
    return std::optional<shmq::Queue>(std::move(opened).value());
}

void sleep_until_ns(std::int64_t deadline_ns) {
    for (;;) {
        const std::int64_t remaining_ns = deadline_ns - monotonic_ns();
        if (remaining_ns <= 0) {
            return;
        }
        if (remaining_ns > pacing_sleep_threshold_ns) {
            timespec pause{0, remaining_ns - pacing_sleep_threshold_ns / 2};
            pause.tv_sec = pause.tv_nsec / 1'000'000'000;
            pause.tv_nsec %= 1'000'000'000;
            ::nanosleep(&pause, nullptr);
        } else {
            spin_pause();
        }
    }
}

int run_producer(const WorkerPlan& plan, std::uint32_t index, pid_t parent) {
    RunState& state = *plan.state;
    WorkerCounters& counters = state.producer(index);
    const BenchOptions& options = *plan.options;
    auto queue = open_queue(plan, counters);
    if (!queue) {
        return 1;
    }
    const std::uint64_t quota = producer_quota(plan, index);
    std::vector<std::string> bodies(options.batch, std::string(options.size_bytes, 'm'));
    std::array<shmq::SendEntry, batch_max> entries{};
    std::array<shmq::SendOutcome, batch_max> outcomes{};
    shmq::SendOptions send_options;
    send_options.block_when_full = true;
    send_options.block_timeout_ns = send_block_timeout_ns;
    // With --rate: the interval between two batches of this producer, and the send time each
    // batch was due. Stamping the due time, not the actual one, keeps a producer that fell
    // behind from hiding the delay (coordinated omission).
    const double producer_rate = options.rate_per_s / static_cast<double>(options.producers);
    const auto interval_ns = producer_rate > 0 ? static_cast<std::int64_t>(1e9 * options.batch / producer_rate) : 0;

    RunControl& control = state.control();
    control.ready_count.fetch_add(1, std::memory_order_acq_rel);
    if (!wait_for_go(control, parent)) {
        return 1;
    }
    std::int64_t due_ns = control.start_ns.load(std::memory_order_acquire);
    std::uint64_t sequence = 0;
    std::uint64_t sent = 0;
    while (sequence < quota && control.stop_producers.load(std::memory_order_relaxed) == 0) {
        const auto count = static_cast<std::uint32_t>(std::min<std::uint64_t>(options.batch, quota - sequence));
        std::int64_t send_ns = 0;
        if (interval_ns > 0) {
            sleep_until_ns(due_ns);
            send_ns = due_ns;
            due_ns += interval_ns;
        } else {
            send_ns = monotonic_ns();
        }
        for (std::uint32_t i = 0; i < count; ++i) {
            MessageStamp{send_ns, plan.run_id, index, sequence + i}.encode(bodies[i].data());
            entries[i].body = bodies[i];
        }
        sequence += count;
        std::uint32_t pending = count;
        while (pending > 0) {
            if (options.batch == 1) {
                auto result = queue->send(entries[0], send_options);
                if (result) {
                    pending = 0;
                    ++sent;
                } else if (!retryable(result.code())) {
                    RunState::fail(counters, "send: " + result.error().message);
                    return 1;
                }
            } else {
                auto status = queue->send_batch(std::span(entries.data(), pending), std::span(outcomes.data(), pending),
                                                send_options);
                if (!status) {
                    RunState::fail(counters, "send_batch: " + status.message());
                    return 1;
                }
                std::uint32_t kept = 0;
                for (std::uint32_t i = 0; i < pending; ++i) {
                    if (outcomes[i].error == shmq::Errc::ok) {
                        ++sent;
                    } else if (retryable(outcomes[i].error)) {
                        entries[kept++] = entries[i];
                    } else {
                        RunState::fail(counters,
                                       "send_batch entry: " + std::string(shmq::sqs_error_code(outcomes[i].error)));
                        return 1;
                    }
                }
                pending = kept;
            }
            if (pending > 0 && control.stop_producers.load(std::memory_order_relaxed) != 0) {
                break; // the run is over: these sequences are abandoned, never counted as sent
            }
        }
        counters.sent.store(sent, std::memory_order_relaxed);
        counters.issued.store(sequence, std::memory_order_relaxed);
    }
    if (sequence >= state.sequence_capacity() && options.messages == 0) {
        counters.capped.store(1, std::memory_order_relaxed);
    }
    counters.sent.store(sent, std::memory_order_release);
    counters.issued.store(sequence, std::memory_order_release);
    counters.finished.store(1, std::memory_order_release);
    return 0;
}

int run_consumer(const WorkerPlan& plan, std::uint32_t index, pid_t parent) {
    RunState& state = *plan.state;
    WorkerCounters& counters = state.consumer(index);
    const BenchOptions& options = *plan.options;
    auto queue = open_queue(plan, counters);
    if (!queue) {
        return 1;
    }
    LatencyHistogram& histogram = state.histogram(index);
    std::array<std::uint64_t*, 256> bitmaps{};
    for (std::uint32_t producer = 0; producer < state.producers(); ++producer) {
        bitmaps[producer] = state.bitmap(index, producer);
    }
    shmq::ReceiveRequest request;
    request.max_number_of_messages = options.batch;
    request.visibility_timeout_s = options.visibility_timeout_s;
    request.wait_time_s = options.wait_time_s;
    std::array<shmq::ReceiptHandle, batch_max> handles{};
    std::array<shmq::Errc, batch_max> errors{};
    std::uint64_t received = 0, deleted = 0, redelivered = 0, duplicates = 0, foreign = 0;

    RunControl& control = state.control();
    control.ready_count.fetch_add(1, std::memory_order_acq_rel);
    if (!wait_for_go(control, parent)) {
        return 1;
    }
    while (control.stop_consumers.load(std::memory_order_relaxed) == 0) {
        std::uint32_t count = 0;
        std::int64_t now_ns = 0;
        auto result = queue->receive_views(request, [&](const shmq::MessageView& view) {
            if (now_ns == 0) {
                now_ns = monotonic_ns(); // one clock read per receive: the batch arrived together
            }
            const auto stamp = MessageStamp::decode(view.body, plan.run_id);
            if (!stamp || stamp->producer_index >= state.producers() || stamp->sequence >= state.sequence_capacity()) {
                ++foreign; // someone else's message: leave it for its owner
                return;
            }
            histogram.record(now_ns - stamp->send_ns);
            std::uint64_t& word = bitmaps[stamp->producer_index][stamp->sequence / 64];
            const std::uint64_t bit = std::uint64_t{1} << (stamp->sequence % 64);
            duplicates += (word & bit) != 0 ? 1u : 0u;
            word |= bit;
            redelivered += view.receive_count > 1 ? 1u : 0u;
            handles[count++] = view.receipt_handle;
        });
        if (!result) {
            RunState::fail(counters, "receive: " + result.error().message);
            return 1;
        }
        if (count == 1) {
            deleted += queue->delete_message(handles[0]).ok() ? 1u : 0u;
        } else if (count > 1) {
            queue->delete_batch(std::span(handles.data(), count), std::span(errors.data(), count));
            for (std::uint32_t i = 0; i < count; ++i) {
                deleted += errors[i] == shmq::Errc::ok ? 1u : 0u;
            }
        }
        if (count > 0) {
            received += count;
            counters.received.store(received, std::memory_order_relaxed);
            counters.deleted.store(deleted, std::memory_order_relaxed);
            counters.redelivered.store(redelivered, std::memory_order_relaxed);
            counters.duplicates.store(duplicates, std::memory_order_relaxed);
            counters.last_receive_ns.store(now_ns, std::memory_order_relaxed);
        }
        if (foreign != counters.foreign.load(std::memory_order_relaxed)) {
            counters.foreign.store(foreign, std::memory_order_relaxed);
        }
        if (count == 0 && options.wait_time_s == 0) {
            spin_pause();
        }
    }
    // Release: the parent reads the histogram and bitmaps after it sees finished (and after
    // waitpid, which orders everything anyway).
    counters.finished.store(1, std::memory_order_release);
    return 0;
}

[[noreturn]] void become_worker(const WorkerPlan& plan, bool producer, std::uint32_t index, pid_t parent) {
    // Die with the parent; a parent gone before prctl is caught by the getppid check.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    std::signal(SIGINT, SIG_IGN);
    int exit_code = 1;
    if (::getppid() == parent) {
        exit_code = producer ? run_producer(plan, index, parent) : run_consumer(plan, index, parent);
    }
    ::_exit(exit_code);
}

} // namespace

std::uint64_t producer_quota(const WorkerPlan& plan, std::uint32_t index) noexcept {
    const BenchOptions& options = *plan.options;
    if (options.messages == 0) {
        return plan.state->sequence_capacity();
    }
    const std::uint64_t share = options.messages / options.producers;
    return share + (index < options.messages % options.producers ? 1 : 0);
}

std::vector<pid_t> start_workers(const WorkerPlan& plan) {
    std::vector<pid_t> pids;
    const pid_t parent = ::getpid();
    const BenchOptions& options = *plan.options;
    // Consumers first, so the first messages find someone waiting.
    for (std::uint32_t i = 0; i < options.consumers + options.producers; ++i) {
        const bool producer = i >= options.consumers;
        const std::uint32_t index = producer ? i - options.consumers : i;
        const pid_t pid = ::fork();
        if (pid < 0) {
            break;
        }
        if (pid == 0) {
            become_worker(plan, producer, index, parent);
        }
        pids.push_back(pid);
    }
    return pids;
}

} // namespace shmq_bench
