// HttpConnection: one keep-alive HTTP connection on an event-loop thread of the endpoint. Its
// cycle is wait for a request, read its head, read its body, answer it, write the reply, wait
// for the next, each step an asynchronous operation on the thread's io_context, so one thread
// serves many connections without a context switch per request. A request that may block goes
// to the BlockingPool; the connection reads nothing more until the pool's reply is written (no
// pipelining: SQS clients wait for each reply). Once the endpoint stops, a connection answers
// the request it has, then closes. Malformed or oversized requests get an SQS error (400 /
// 413), then the connection is closed (the stream's framing is lost).
//
// No client holds a connection for ever. Every phase has a deadline (one steady_timer, rearmed
// per phase): waiting for a request (idle_timeout), its head from the first byte
// (header_timeout: a one-byte-a-second client is cut off), its body and the reply's write
// (body_timeout each). A connection past its deadline is closed without an answer. While it
// waits for a request the connection is listed in its loop's IdleConnections, so at the
// connection limit it may be evicted (closed) to make room for a new one.
//
// Replies being written count against the endpoint's reply_bytes_max: over it, a new request is
// answered 503 at once (before it runs: no message is taken into flight for a reply that could
// not be afforded), and a request already running (a long poll that wakes) takes only as many
// messages as the rest of the budget affords (ReplyBudget), so unread replies cannot grow
// without bound.
//
// A long poll ends when its client leaves: while the request waits in the BlockingPool the
// connection watches its socket (async_wait for readable); the peer's close (EOF or reset)
// requests the request's stop_source, which wakes the long poll at once (api::SqsService,
// QueueEngine::receive), and the connection closes without writing the reply.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <stop_token>
#include <unordered_set>

#include "blocking_pool.h"
#include "idle_connections.h"
#include "reply_budget.h"
#include "request_handler.h"

namespace shmq::daemon {

class HttpConnection;

// What the connections of one event-loop thread share (all of it outlives them).
struct ConnectionContext {
    RequestHandler& handler; // the thread's own (api::Blocking::deferred)
    BlockingPool& blocking_pool;
    const EndpointOptions& options;
    std::atomic<std::size_t>& open_connections;        // across every thread, for connections_max
    ReplyBytes& reply_bytes;                           // across every thread, for reply_bytes_max
    const std::atomic<bool>& stopping;                 // set: answer what was asked, then close
    std::unordered_set<HttpConnection*> connections{}; // this thread's, touched by it alone
    IdleConnections idle{};                            // those of them waiting for a request
};

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
  public:
    HttpConnection(boost::asio::ip::tcp::socket socket, ConnectionContext& context);
    ~HttpConnection();
    HttpConnection(const HttpConnection&) = delete;
    HttpConnection& operator=(const HttpConnection&) = delete;

    void start();
    // Stopping: a connection waiting for or reading a request closes now (the rest close once
    // their reply is written). On the connection's own thread.
    void close_if_idle();
    // At the connection limit: closes this idle connection (it is listed in context.idle) to
    // make room for a new one. On the connection's own thread.
    void evict();

    // A reply written at once, then the connection closed (503 when over connections_max).
    static void refuse(boost::asio::ip::tcp::socket& socket, HttpReply&& reply);

  private:
    enum class Phase {
        idle,     // waiting for the first byte of a request (listed in context.idle)
        reading,  // reading a request's head or body
        handling, // answering: at once, or in the BlockingPool
        writing,  // writing the reply
    };

    void wait_for_request();
    void leave_idle();
    void read_head();
    void read_body();
    void on_read_error(boost::beast::error_code error);
    void on_request();
    void defer(std::shared_ptr<HttpRequest> request);
    // While a deferred request waits in the pool: the peer's close cancels it.
    void watch_peer();
    void on_deferred_reply(HttpReply&& reply, unsigned version, bool keep_alive);
    void write_reply(HttpReply&& reply, unsigned version, bool keep_alive);
    // The reply written (or the connection gone): its bytes leave context.reply_bytes.written.
    void release_reply_bytes();
    // The current phase ends by timeout after duration: the socket is closed, which ends the
    // operation in progress (operation_aborted) and the connection with it.
    void arm_deadline(std::chrono::milliseconds duration);
    void close_socket();

    boost::asio::ip::tcp::socket socket_;
    ConnectionContext& context_;
    boost::asio::steady_timer deadline_;
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
    boost::beast::http::response<boost::beast::http::string_body> response_;
    Phase phase_ = Phase::handling;
    std::optional<IdleConnections::Position> idle_position_; // set exactly while phase_ is idle
    std::optional<std::stop_source> deferred_cancel_;        // the request in the pool, if any
    bool peer_closed_ = false;                               // seen while the pool had the request
    std::size_t reply_bytes_ = 0; // of the reply being written, counted in context.reply_bytes.written
    ReplyBudget budget_;          // room the request being answered reserved for its messages
};

} // namespace shmq::daemon
