// SqsService: every SQS action, requests and responses shaped as the SQS API model (the JSON
// protocol's bodies; shmqd's HTTP endpoint translates the Query protocol to and from them). It is
// the HTTP door into the same queues the shared-memory API opens: a message sent here is received
// by a libshmq consumer and the other way round.
//
// Queue URLs are <url_base>/000000000000/<name> (url_base: where the caller reached the endpoint,
// else the endpoint's own address); a QueueUrl is read by queue_name_from_url (a valid queue
// name after our account, whatever host it names: one queue under every address). One
// SqsService per thread: it keeps a Queue handle per queue it has used (a handle is used by one
// thread at a time), reopened when its queue was deleted and created again.
#pragma once

#include <atomic>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "shmq/client.h"
#include "shmq/queue.h"
#include "sqs/access_policy.h"

namespace shmq::api {

inline constexpr std::string_view account_id = "000000000000";

// Who calls and from where, as the door that received the request knows it: what a queue
// Policy's principals and conditions are evaluated against (with the action, the queue and the
// service's clock).
struct Caller {
    std::string_view account = account_id; // the signer's account (the owner's when requests are not signed)
    std::string_view source_ip;            // the client's address (the socket peer); empty: unknown
    bool secure_transport = false;         // the request came over TLS
    // Where the client reached the service ("http://localhost:9324": the request's Host); the
    // queue URLs of the answer start with it. Empty: ServiceOptions::url_base.
    std::string_view url_base;
};

// What a call may do on the calling thread.
enum class Blocking {
    allowed,  // anything: a long poll waits (up to 20 s), a Durability=sync send waits for its
              // fdatasync, queue management scans a region's slots or creates a region
    deferred, // only what never blocks: message actions that answer at once. Any other call
              // answers nothing and is marked deferred (take_deferred): for an event-loop
              // thread, which hands the request to a thread that may block
};

struct ServiceOptions {
    std::string url_base = "http://127.0.0.1:9324";
    Blocking blocking = Blocking::allowed;
    // Blocking::allowed: once set, a long poll in progress ends (empty) within a second: the wait
    // runs in slices of at most that, so a stopping server need not wait out 20 s polls.
    const std::atomic<bool>* stopping = nullptr;
    // How sends behave; durable_wait_ns: how long a Durability=sync send waits for a shmqd to
    // journal its queue (a queue created a moment ago is attached within shmqd's watch interval).
    SendOptions send_options{};
    // Whether a KmsMasterKeyId names a master key (shmqd's key ring; called from any thread).
    // Set: CreateQueue and SetQueueAttributes refuse an unknown one with KmsNotFound. Unset (no
    // key ring behind this door): any id is taken, as the shared-memory API takes it.
    std::function<bool(std::string_view key_id)> kms_key_exists;
};

class SqsService {
  public:
    SqsService(const Client& client, ServiceOptions options);

    // Runs action ("SendMessage") on request for caller; the response object, or the SQS error.
    // Authorised as SQS does (access_control.cpp): the queue owner (account_id) may do anything
    // a queue's Policy does not explicitly deny; another account what the Policy allows it on
    // that queue and nothing account-wide.
    [[nodiscard]] Result<boost::json::object> call(std::string_view action, const boost::json::object& request,
                                                   const Caller& caller = {});
    [[nodiscard]] static bool knows(std::string_view action) noexcept;
    // Blocking::deferred: whether the last call would have blocked (its empty response is no
    // answer: serve the request again with Blocking::allowed). Asking clears it, so a request
    // that never reached call() is not taken for the one before it.
    [[nodiscard]] bool take_deferred() noexcept { return std::exchange(deferred_, false); }
    // Blocking::allowed: the calls that follow belong to a request whose client may go away; a
    // long poll among them ends at once, empty, when cancel is requested (not only at the next
    // one-second slice). A default token: nothing cancels.
    void set_cancel(std::stop_token cancel) noexcept { cancel_ = std::move(cancel); }
    // The calls that follow take messages only as budget affords (ReceiveBudget); null: no bound.
    void set_receive_budget(ReceiveBudget* budget) noexcept { receive_budget_ = budget; }

    [[nodiscard]] std::string url_of(std::string_view queue_name) const;

  private:
    using Response = Result<boost::json::object>;
    using Member = Response (SqsService::*)(const boost::json::object&);
    struct Action {
        std::string_view name;
        Member member;
        // Sends, receives, deletes and visibility changes: answered at once, but for the cases
        // they defer themselves (a long poll that finds nothing, a send that waits for disk).
        // Every other action may block (it scans or creates a region, or lists a directory).
        bool message_action;
    };
    [[nodiscard]] static const std::vector<Action>& action_table();
    // Queue management (queue_actions.cpp).
    // KmsNotFound when attributes name a KmsMasterKeyId the key ring lacks (options_.kms_key_exists).
    [[nodiscard]] Status check_kms_key(const QueueAttributes& attributes) const;
    Response create_queue(const boost::json::object& request);
    Response delete_queue(const boost::json::object& request);
    Response get_queue_url(const boost::json::object& request);
    Response list_queues(const boost::json::object& request);
    Response get_queue_attributes(const boost::json::object& request);
    Response set_queue_attributes(const boost::json::object& request);
    Response purge_queue(const boost::json::object& request);
    Response tag_queue(const boost::json::object& request);
    Response untag_queue(const boost::json::object& request);
    Response list_queue_tags(const boost::json::object& request);
    Response list_dead_letter_source_queues(const boost::json::object& request);
    Response add_permission(const boost::json::object& request);
    Response remove_permission(const boost::json::object& request);
    // Access control (access_control.cpp): whether caller may run action as the request asks.
    [[nodiscard]] Status authorise(std::string_view action, const boost::json::object& request, const Caller& caller);
    // A queue's Policy as of its current configuration, parsed once per configuration change.
    struct CachedPolicy {
        bool loaded = false;
        std::uint32_t config_version = 0;
        // nullopt: no Policy, or one stored before the parser refused it (it grants nothing)
        std::optional<sqs::AccessPolicy> parsed{};
    };
    [[nodiscard]] Result<const CachedPolicy*> policy_of(const std::string& name);
    // Message move tasks (queue_actions.cpp).
    Response start_message_move_task(const boost::json::object& request);
    Response cancel_message_move_task(const boost::json::object& request);
    Response list_message_move_tasks(const boost::json::object& request);
    // Messages (message_actions.cpp).
    Response send_message(const boost::json::object& request);
    Response send_message_batch(const boost::json::object& request);
    Response receive_message(const boost::json::object& request);
    Response delete_message(const boost::json::object& request);
    Response delete_message_batch(const boost::json::object& request);
    Response change_message_visibility(const boost::json::object& request);
    Response change_message_visibility_batch(const boost::json::object& request);

    // The queue the request's QueueUrl names.
    [[nodiscard]] Result<std::string> queue_name(const boost::json::object& request) const;
    // Runs operation(Queue&) on the named queue's handle; if the handle's queue was deleted (a
    // queue of that name may exist again), reopens it once.
    template <class Operation> auto with_queue(const std::string& name, Operation&& operation)
        -> decltype(operation(std::declval<Queue&>()));

    // Blocking::deferred and the call would block: marks it deferred, true.
    [[nodiscard]] bool defer_if(bool would_block) noexcept {
        deferred_ = options_.blocking == Blocking::deferred && would_block;
        return deferred_;
    }
    // ReceiveMessage's wait as blocking says: receive_once(request) once, at once, or in
    // slices that stop early (receive_message; defined there).
    template <class ReceiveOnce>
    [[nodiscard]] Result<boost::json::array> receive_waiting(const Queue& queue, ReceiveRequest request,
                                                             ReceiveOnce&& receive_once);

    // Drops the handles (and cached policies) of queues deleted since they were opened: each maps
    // its whole region (64 GiB of address space, mostly unbacked), so stale ones would add up
    // with every queue an endpoint thread ever served. Called before opening another.
    void forget_deleted_queues();
    // Caller::url_base, or options_.url_base: where this call's queue URLs point.
    [[nodiscard]] std::string_view url_base() const noexcept {
        return caller_url_base_.empty() ? std::string_view(options_.url_base) : caller_url_base_;
    }

    const Client& client_;
    ServiceOptions options_;
    std::string_view caller_url_base_; // the call in progress's Caller::url_base
    std::unordered_map<std::string, Queue> queues_;
    std::unordered_map<std::string, CachedPolicy> policies_; // by queue name, for queues_' handles
    bool deferred_ = false;
    std::stop_token cancel_;
    ReceiveBudget* receive_budget_ = nullptr;
};

} // namespace shmq::api

namespace shmq::api {

template <class Operation>
auto SqsService::with_queue(const std::string& name, Operation&& operation)
    -> decltype(operation(std::declval<Queue&>())) {
    for (int attempt = 0;; ++attempt) {
        auto found = queues_.find(name);
        if (found == queues_.end()) {
            forget_deleted_queues();
            auto opened = client_.open_queue(name);
            if (!opened) {
                return opened.error();
            }
            found = queues_.emplace(name, std::move(opened.value())).first;
        }
        auto result = operation(found->second);
        if (attempt == 0 && result.code() == Errc::queue_does_not_exist) {
            queues_.erase(found); // deleted under us: a queue of that name may exist again
            continue;
        }
        return result;
    }
}

} // namespace shmq::api
