// HttpConnection (see http_connection.h).
#include "http_connection.h"

#include <boost/asio/post.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <cerrno>
#include <sys/socket.h>
#include <utility>

namespace shmq::daemon {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

http::response<http::string_body> to_response(HttpReply&& reply, unsigned version, bool keep_alive) {
    http::response<http::string_body> response{static_cast<http::status>(reply.status), version};
    response.set(http::field::server, "shmqd");
    response.set(http::field::content_type, reply.content_type);
    for (const auto& [name, value] : reply.headers) {
        response.set(name, value);
    }
    response.keep_alive(keep_alive);
    response.body() = std::move(reply.body);
    response.prepare_payload();
    return response;
}

} // namespace

HttpConnection::HttpConnection(tcp::socket socket, ConnectionContext& context)
    : socket_(std::move(socket)), context_(context), deadline_(socket_.get_executor()),
      budget_(context.reply_bytes, context.options.reply_bytes_max) {
    context_.open_connections.fetch_add(1, std::memory_order_relaxed);
    context_.connections.insert(this);
}

HttpConnection::~HttpConnection() {
    release_reply_bytes();
    leave_idle();
    context_.connections.erase(this);
    context_.open_connections.fetch_sub(1, std::memory_order_relaxed);
}

void HttpConnection::start() {
    beast::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    wait_for_request();
}

void HttpConnection::close_if_idle() {
    if (phase_ == Phase::idle || phase_ == Phase::reading) {
        close_socket(); // the read ends with operation_aborted, and the connection with it
    }
}

void HttpConnection::evict() {
    close_socket();
}

void HttpConnection::refuse(tcp::socket& socket, HttpReply&& reply) {
    auto response = to_response(std::move(reply), 11, false);
    beast::error_code ignored;
    http::write(socket, response, ignored);
    socket.shutdown(tcp::socket::shutdown_both, ignored);
}

void HttpConnection::wait_for_request() {
    parser_.emplace();
    parser_->body_limit(context_.options.body_limit_bytes);
    parser_->header_limit(static_cast<std::uint32_t>(context_.options.header_limit_bytes));
    if (buffer_.size() > 0) {
        read_head(); // the next request's first bytes came with the last one
        return;
    }
    phase_ = Phase::idle;
    idle_position_ = context_.idle.add(this);
    arm_deadline(context_.options.idle_timeout);
    socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](beast::error_code error) {
        self->leave_idle();
        if (!error) {
            self->read_head(); // a first byte, or the client's close (read_head sees end_of_stream)
        }
        // else: evicted, idle too long, or the endpoint stopping: the socket is closed
    });
}

void HttpConnection::leave_idle() {
    if (idle_position_) {
        context_.idle.remove(*idle_position_);
        idle_position_.reset();
    }
}

void HttpConnection::read_head() {
    phase_ = Phase::reading;
    arm_deadline(context_.options.header_timeout);
    http::async_read_header(socket_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code error, std::size_t) {
                                if (error) {
                                    self->on_read_error(error);
                                } else {
                                    self->read_body();
                                }
                            });
}

void HttpConnection::read_body() {
    if (parser_->is_done()) {
        on_request();
        return;
    }
    arm_deadline(context_.options.body_timeout);
    http::async_read(socket_, buffer_, *parser_, [self = shared_from_this()](beast::error_code error, std::size_t) {
        if (error) {
            self->on_read_error(error);
        } else {
            self->on_request();
        }
    });
}

void HttpConnection::on_read_error(beast::error_code error) {
    deadline_.expires_at(asio::steady_timer::time_point::max());
    if (!socket_.is_open() || error == http::error::end_of_stream || error == asio::error::eof ||
        error == asio::error::connection_reset || error == asio::error::operation_aborted) {
        return; // the client is gone, timed out or evicted, or the endpoint is stopping
    }
    const unsigned status = error == http::error::body_limit ? 413 : 400;
    phase_ = Phase::handling;
    write_reply(context_.handler.refuse_unreadable(parser_->get(), status, error.message()), 11, false);
}

void HttpConnection::on_request() {
    deadline_.expires_at(asio::steady_timer::time_point::max());
    phase_ = Phase::handling;
    if (context_.reply_bytes.spent(context_.options.reply_bytes_max) && parser_->get().target() != "/health") {
        write_reply(context_.handler.refuse_busy(parser_->get()), parser_->get().version(),
                    parser_->get().keep_alive());
        return;
    }
    std::optional<HttpReply> reply = context_.handler.handle(parser_->get(), peer_of(socket_), {}, &budget_);
    if (!reply) {
        defer(std::make_shared<HttpRequest>(parser_->release()));
        return;
    }
    write_reply(std::move(*reply), parser_->get().version(), parser_->get().keep_alive());
}

void HttpConnection::defer(std::shared_ptr<HttpRequest> request) {
    deferred_cancel_.emplace();
    peer_closed_ = false;
    // The job gives its references to the reply it posts: the connection is then only ever
    // released on its own loop's thread.
    context_.blocking_pool.submit([self = shared_from_this(), request, peer = peer_of(socket_),
                                   cancel = deferred_cancel_->get_token()](RequestHandler& blocking_handler) mutable {
        // Blocking::allowed: a reply
        std::optional<HttpReply> reply = blocking_handler.handle(*request, peer, cancel, &self->budget_);
        auto executor = self->socket_.get_executor();
        asio::post(executor,
                   [self = std::move(self), request = std::move(request), reply = std::move(*reply)]() mutable {
                       self->on_deferred_reply(std::move(reply), request->version(), request->keep_alive());
                   });
    });
    watch_peer();
}

void HttpConnection::watch_peer() {
    if (buffer_.size() > 0 || !deferred_cancel_) {
        return; // the client already sent more (or the reply is back): it is there
    }
    socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](beast::error_code error) {
        if (error || self->phase_ != Phase::handling || !self->deferred_cancel_) {
            return; // the reply came first (the wait was cancelled), or the socket is closed
        }
        char byte = 0;
        const ssize_t peeked = ::recv(self->socket_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        if (peeked > 0) {
            return; // bytes of a next request: the client is there (and stops being watched)
        }
        if (peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            self->watch_peer(); // readable no more (spurious): watch on
            return;
        }
        // End of stream or a reset: nobody will read the reply. The long poll ends now, empty,
        // rather than take a message into a visibility timeout no one sees.
        self->peer_closed_ = true;
        self->deferred_cancel_->request_stop();
    });
}

void HttpConnection::on_deferred_reply(HttpReply&& reply, unsigned version, bool keep_alive) {
    deferred_cancel_.reset();
    if (peer_closed_) {
        budget_.release();
        close_socket();
        return;
    }
    beast::error_code ignored;
    socket_.cancel(ignored); // ends watch_peer's wait
    write_reply(std::move(reply), version, keep_alive);
}

void HttpConnection::write_reply(HttpReply&& reply, unsigned version, bool keep_alive) {
    keep_alive = keep_alive && !context_.stopping.load(std::memory_order_acquire); // say it closes
    response_ = to_response(std::move(reply), version, keep_alive);
    reply_bytes_ = response_.body().size();
    context_.reply_bytes.written.fetch_add(reply_bytes_, std::memory_order_relaxed);
    budget_.release(); // counted now as the reply it became
    phase_ = Phase::writing;
    arm_deadline(context_.options.body_timeout); // a client that does not read its reply
    http::async_write(socket_, response_,
                      [self = shared_from_this(), keep_alive](beast::error_code error, std::size_t) {
                          self->deadline_.expires_at(asio::steady_timer::time_point::max());
                          self->release_reply_bytes();
                          if (error || !keep_alive) {
                              beast::error_code ignored;
                              self->socket_.shutdown(tcp::socket::shutdown_both, ignored);
                              return;
                          }
                          self->wait_for_request();
                      });
}

void HttpConnection::release_reply_bytes() {
    context_.reply_bytes.written.fetch_sub(std::exchange(reply_bytes_, 0), std::memory_order_relaxed);
    // The body goes with it: a closed or idle connection holds no reply's memory.
    response_.body().clear();
    response_.body().shrink_to_fit();
}

void HttpConnection::arm_deadline(std::chrono::milliseconds duration) {
    deadline_.expires_after(duration); // cancels the last phase's wait
    deadline_.async_wait([weak = weak_from_this()](beast::error_code error) {
        const std::shared_ptr<HttpConnection> self = weak.lock();
        // A wait that fired just before its phase ended (and the deadline moved on) is stale.
        if (error || !self || self->deadline_.expiry() > asio::steady_timer::clock_type::now()) {
            return;
        }
        self->close_socket();
    });
}

void HttpConnection::close_socket() {
    leave_idle();
    deadline_.expires_at(asio::steady_timer::time_point::max());
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
}

} // namespace shmq::daemon
