// HttpConnection: one keep-alive HTTP connection on an event-loop thread of the endpoint. Its
// cycle is read a request, answer it, write the reply, read the next, each step an asynchronous
// Beast operation on the thread's io_context, so one thread serves many connections without a
// context switch per request. A request that may block goes to the BlockingPool;
// the connection reads nothing more until the pool's reply is written (no pipelining: SQS
// clients wait for each reply). Once the endpoint stops, a connection answers the request it
// has, then closes. Malformed or oversized requests get 400 / 413, then the
// connection is closed (the stream's framing is lost).
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <unordered_set>

#include "blocking_pool.h"
#include "request_handler.h"

namespace shmq::daemon {

class HttpConnection;

// What the connections of one event-loop thread share (all of it outlives them).
struct ConnectionContext {
    RequestHandler& handler; // the thread's own (api::Blocking::deferred)
    BlockingPool& blocking_pool;
    const EndpointOptions& options;
    std::atomic<std::size_t>& open_connections; // across every thread, for connections_max
    const std::atomic<bool>& stopping;          // set: answer what was asked, then close
    std::unordered_set<HttpConnection*> connections{}; // this thread's, touched by it alone
};

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
  public:
    HttpConnection(boost::asio::ip::tcp::socket socket, ConnectionContext& context);
    ~HttpConnection();
    HttpConnection(const HttpConnection&) = delete;
    HttpConnection& operator=(const HttpConnection&) = delete;

    void start();
    // Stopping: a connection waiting for its next request closes now (the rest close once
    // their reply is written). On the connection's own thread.
    void close_if_idle();

    // A reply written at once, then the connection closed (503 when over connections_max).
    static void refuse(boost::asio::ip::tcp::socket& socket, HttpReply&& reply);

  private:
    void read_request();
    void on_read(boost::beast::error_code error);
    void defer(std::shared_ptr<HttpRequest> request);
    void write_reply(HttpReply&& reply, unsigned version, bool keep_alive);

    boost::asio::ip::tcp::socket socket_;
    ConnectionContext& context_;
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
    boost::beast::http::response<boost::beast::http::string_body> response_;
    bool reading_ = false; // waiting for (or in the middle of) a request
};

} // namespace shmq::daemon
