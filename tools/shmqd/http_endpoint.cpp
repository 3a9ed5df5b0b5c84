// shmqd's HTTP endpoint: listening, event-loop threads and shutdown (see http_endpoint.h).
//
// The connection limit across loops. Each loop's connections are its thread's alone, so no
// thread can close another's. Each loop keeps its idle connections oldest first
// (IdleConnections) and publishes, in an atomic, when its oldest became idle. An accept over
// connections_max reads those (a snapshot; each loop's list is exact, the minimum over them a
// hint) and posts the new socket to the loop with the oldest idle connection; that loop's thread
// closes its oldest idle connection, if it still has one, and posts the newcomer's start to the
// loop it was accepted onto (a socket is used only by its own loop's thread).
// If meanwhile its idle connections all became busy, it passes the socket on to the loop now
// showing the oldest, at most once per loop; when no loop shows one, the newcomer is answered
// 503. The evicted connection releases its count when its handlers have run, so the count can
// pass connections_max for a moment by the evictions in flight (and by connections accepted but
// not yet started on their loop, which are counted from their start).
//
// (The alternative, a fixed share of the limit per loop, would refuse a client while another
// loop had idle connections to spare, since connections are dealt to loops in turn.)
#include "http_endpoint.h"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/url/parse.hpp>
#include <charconv>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include "blocking_pool.h"
#include "http_connection.h"
#include "request_handler.h"

namespace shmq::daemon {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

// One event-loop thread: its io_context (run by that thread alone), the handler its connections
// share, and what they need of the endpoint.
struct EventLoop {
    EventLoop(const Client& client, const EndpointOptions& options, const std::string& url_base,
              BlockingPool& blocking_pool, std::atomic<std::size_t>& open_connections, ReplyBytes& reply_bytes,
              const std::atomic<bool>& stopping)
        : handler(
              client, options,
              {.url_base = url_base, .blocking = api::Blocking::deferred, .kms_key_exists = options.kms_key_exists}),
          context{handler, blocking_pool, options, open_connections, reply_bytes, stopping} {}

    RequestHandler handler;
    ConnectionContext context;
    // Declared after what its connections use, so destroyed before it: connections still held
    // by a stopped loop's pending handlers (past the drain bound) are released by io's
    // destructor, and their destructors leave context's sets, which must still be there.
    asio::io_context io{1};
    // Keeps run() going while no connection is open; released when stopping, so run() returns
    // once the last connection has closed.
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{io.get_executor()};
    std::thread thread;
};

// The destructor takes it apart in order: acceptor, blocking pool, loops (their io_contexts
// hold the connections, which use the counters declared first).
struct HttpEndpoint::State {
    State(const Client& client_in, EndpointOptions options_in) : client(client_in), options(std::move(options_in)) {}

    const Client& client;
    EndpointOptions options;
    std::string url_base;
    std::atomic<std::size_t> open_connections{0};
    ReplyBytes reply_bytes; // of replies being written and receives' reservations, for reply_bytes_max
    std::atomic<bool> stopping{false};
    std::unique_ptr<BlockingPool> blocking_pool;
    std::vector<std::unique_ptr<EventLoop>> loops;
    std::unique_ptr<tcp::acceptor> acceptor; // on loops[0]
    std::unique_ptr<asio::steady_timer> accept_retry;
    std::size_t next_loop = 0;

    void accept_next();
    // On the thread of loop: closes its oldest idle connection and admits socket (on home, the
    // loop it was accepted onto) in its place; with none idle, passes it on to the loop that
    // shows one (hops: loops asked so far), or has home answer 503.
    void evict_to_admit(EventLoop& loop, EventLoop& home, tcp::socket socket, std::size_t hops);
    // Starts a connection on socket on home's thread.
    void admit(EventLoop& home, tcp::socket socket);
    // The loop whose oldest idle connection became idle first; nullptr when none shows one.
    [[nodiscard]] EventLoop* loop_with_oldest_idle() const;
};

namespace {

void refuse_busy(tcp::socket& socket) {
    HttpReply busy;
    busy.status = 503;
    busy.content_type = "text/plain";
    busy.body = "shmqd: too many connections\n";
    HttpConnection::refuse(socket, std::move(busy));
}

} // namespace

EventLoop* HttpEndpoint::State::loop_with_oldest_idle() const {
    EventLoop* oldest = nullptr;
    std::int64_t oldest_since = IdleConnections::no_idle;
    for (const auto& loop : loops) {
        const std::int64_t since = loop->context.idle.oldest_idle_since();
        if (since < oldest_since) {
            oldest_since = since;
            oldest = loop.get();
        }
    }
    return oldest;
}

void HttpEndpoint::State::evict_to_admit(EventLoop& loop, EventLoop& home, tcp::socket socket, std::size_t hops) {
    if (HttpConnection* idle = loop.context.idle.oldest(); idle != nullptr && !stopping.load()) {
        idle->evict();
        admit(home, std::move(socket));
        return;
    }
    EventLoop* next = hops < loops.size() ? loop_with_oldest_idle() : nullptr;
    if (next == nullptr || next == &loop) {
        // Refused on its own loop's thread, like every use of the socket but its move here.
        asio::post(home.io, [socket = std::move(socket)]() mutable { refuse_busy(socket); });
        return;
    }
    asio::post(next->io, [this, next, &home, hops, socket = std::move(socket)]() mutable {
        evict_to_admit(*next, home, std::move(socket), hops + 1);
    });
}

void HttpEndpoint::State::admit(EventLoop& home, tcp::socket socket) {
    // The connection lives on its loop's thread from its first instruction: it joins that
    // loop's list of connections, which only that thread touches.
    asio::post(home.io, [this, &home, socket = std::move(socket)]() mutable {
        if (stopping.load(std::memory_order_acquire)) {
            return; // the loop closed its connections already: this one would outlive it
        }
        std::make_shared<HttpConnection>(std::move(socket), home.context)->start();
    });
}

void HttpEndpoint::State::accept_next() {
    EventLoop& loop = *loops[next_loop];
    next_loop = (next_loop + 1) % loops.size();
    acceptor->async_accept(loop.io, [this, &loop](beast::error_code error, tcp::socket socket) {
        if (error == asio::error::operation_aborted || !acceptor->is_open()) {
            return; // stopping
        }
        if (error) {
            // Out of descriptors, most likely: let some connections close, then accept again.
            accept_retry->expires_after(std::chrono::milliseconds(10));
            accept_retry->async_wait([this](beast::error_code waited) {
                if (!waited) {
                    accept_next();
                }
            });
            return;
        }
        if (open_connections.load(std::memory_order_relaxed) >= options.connections_max) {
            if (EventLoop* owner = loop_with_oldest_idle(); owner != nullptr) {
                asio::post(owner->io, [this, owner, &loop, socket = std::move(socket)]() mutable {
                    evict_to_admit(*owner, loop, std::move(socket), 1);
                });
            } else {
                refuse_busy(socket);
            }
        } else {
            admit(loop, std::move(socket));
        }
        accept_next();
    });
}

HttpEndpoint::HttpEndpoint(std::unique_ptr<State> state) : state_(std::move(state)) {}

Result<std::unique_ptr<HttpEndpoint>> HttpEndpoint::start(const Client& client, const EndpointOptions& options) {
    auto state = std::make_unique<State>(client, options);
    beast::error_code error;
    const auto address = asio::ip::make_address(options.host == "localhost" ? "127.0.0.1" : options.host, error);
    if (error) {
        return Error{Errc::invalid_parameter_value, "--listen: " + options.host + " is not an IP address"};
    }
    const unsigned threads = options.threads > 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
    // The blocking pool and the loops need url_base, which needs the bound port: bind first on
    // a loop made for the acceptor, then the rest.
    state->loops.reserve(threads);
    asio::io_context probe_io{1};
    tcp::acceptor acceptor(probe_io);
    const tcp::endpoint endpoint(address, options.port);
    acceptor.open(endpoint.protocol(), error);
    if (!error) {
        acceptor.set_option(asio::socket_base::reuse_address(true), error);
    }
    if (!error) {
        acceptor.bind(endpoint, error);
    }
    if (!error) {
        acceptor.listen(asio::socket_base::max_listen_connections, error);
    }
    if (error) {
        return Error{Errc::system_error,
                     "cannot listen on " + options.host + ":" + std::to_string(options.port) + ": " + error.message()};
    }
    const tcp::endpoint bound = acceptor.local_endpoint();
    const std::string host =
        bound.address().is_v6() ? "[" + bound.address().to_string() + "]" : bound.address().to_string();
    const std::string address_text = host + ":" + std::to_string(bound.port());
    state->url_base = options.advertised_url.empty() ? "http://" + address_text : options.advertised_url;
    state->blocking_pool = std::make_unique<BlockingPool>(client, state->options, state->url_base);
    for (unsigned i = 0; i < threads; ++i) {
        state->loops.push_back(std::make_unique<EventLoop>(client, state->options, state->url_base,
                                                           *state->blocking_pool, state->open_connections,
                                                           state->reply_bytes, state->stopping));
    }
    // Move the listening socket onto the first loop.
    const int listening = acceptor.release(error);
    state->acceptor = std::make_unique<tcp::acceptor>(state->loops[0]->io, endpoint.protocol(), listening);
    state->accept_retry = std::make_unique<asio::steady_timer>(state->loops[0]->io);
    state->accept_next();
    for (auto& loop : state->loops) {
        loop->thread = std::thread([&io = loop->io] { io.run(); });
    }
    std::unique_ptr<HttpEndpoint> endpoint_object(new HttpEndpoint(std::move(state)));
    endpoint_object->address_ = address_text;
    return endpoint_object;
}

HttpEndpoint::~HttpEndpoint() {
    State& state = *state_;
    // A connection whose client never reads its reply must not hold shmqd's exit for ever.
    constexpr auto drain_time_max = std::chrono::seconds(5);
    state.stopping.store(true, std::memory_order_release);
    // 1. Stop accepting, and close the connections waiting for a request; the others answer the
    //    request they have, then close. Each on its own loop's thread (asio objects are not
    //    thread-safe).
    for (auto& loop : state.loops) {
        asio::post(loop->io, [&state, &loop = *loop] {
            if (&loop == state.loops[0].get()) {
                beast::error_code ignored;
                state.acceptor->close(ignored);
                state.accept_retry->cancel();
            }
            for (HttpConnection* connection : loop.context.connections) {
                connection->close_if_idle();
            }
        });
    }
    // 2. Long polls in progress end within a second; their replies go to the loops, still running.
    //    Then, without work guards, a loop's run() returns once its connections are gone (a
    //    connection waiting for the pool has no operation pending: the guard kept its loop up).
    state.blocking_pool->stop(); // kept until the loops are gone: one may still submit
    for (auto& loop : state.loops) {
        asio::post(loop->io, [&loop = *loop] { loop.work.reset(); });
    }
    // 3. Give the last replies drain_time_max to be written, then stop whatever is left.
    const auto deadline = std::chrono::steady_clock::now() + drain_time_max;
    while (state.open_connections.load(std::memory_order_relaxed) > 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    for (auto& loop : state.loops) {
        loop->io.stop();
        loop->thread.join();
    }
    state.accept_retry.reset();
    state.acceptor.reset();
    state.loops.clear(); // destroys what a stopped loop still held
}

Status parse_listen_address(std::string_view text, EndpointOptions& options) {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) {
        return {Errc::invalid_parameter_value, "--listen wants HOST:PORT, e.g. 127.0.0.1:9324"};
    }
    std::string_view host = text.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    const std::string_view port_text = text.substr(colon + 1);
    unsigned port = 0;
    const auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (error != std::errc{} || end != port_text.data() + port_text.size() || port > 65535) {
        return {Errc::invalid_parameter_value, "--listen: " + std::string(port_text) + " is not a port"};
    }
    options.host = std::string(host);
    options.port = static_cast<std::uint16_t>(port);
    return {};
}

Status parse_advertised_url(std::string_view text, EndpointOptions& options) {
    const auto url = boost::urls::parse_absolute_uri(text);
    const bool valid = url && (url->scheme() == "http" || url->scheme() == "https") && url->has_authority() &&
                       !url->encoded_host().empty() && !url->has_userinfo() &&
                       (url->encoded_path().empty() || url->encoded_path() == "/") && !url->has_query();
    if (!valid) {
        return {Errc::invalid_parameter_value,
                "--advertise-url wants http(s)://HOST[:PORT], e.g. http://sqs.internal:9324"};
    }
    options.advertised_url = std::string(url->scheme()) + "://" + std::string(url->encoded_authority());
    return {};
}

} // namespace shmq::daemon
