// HttpConnection (see http_connection.h).
#include "http_connection.h"

#include <boost/asio/post.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <utility>

namespace shmq::daemon {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t header_limit_bytes = 16u << 10;

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
    : socket_(std::move(socket)), context_(context) {
    context_.open_connections.fetch_add(1, std::memory_order_relaxed);
    context_.connections.insert(this);
}

HttpConnection::~HttpConnection() {
    context_.connections.erase(this);
    context_.open_connections.fetch_sub(1, std::memory_order_relaxed);
}

void HttpConnection::start() {
    beast::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    read_request();
}

void HttpConnection::close_if_idle() {
    if (reading_) {
        beast::error_code ignored;
        socket_.cancel(ignored); // the read ends with operation_aborted, and the connection with it
    }
}

void HttpConnection::refuse(tcp::socket& socket, HttpReply&& reply) {
    auto response = to_response(std::move(reply), 11, false);
    beast::error_code ignored;
    http::write(socket, response, ignored);
    socket.shutdown(tcp::socket::shutdown_both, ignored);
}

void HttpConnection::read_request() {
    parser_.emplace();
    parser_->body_limit(context_.options.body_limit_bytes);
    parser_->header_limit(header_limit_bytes);
    reading_ = true;
    http::async_read(socket_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code error, std::size_t) { self->on_read(error); });
}

void HttpConnection::on_read(beast::error_code error) {
    reading_ = false;
    if (error == http::error::end_of_stream || error == asio::error::eof || error == asio::error::connection_reset ||
        error == asio::error::operation_aborted) {
        return; // the client is gone, or the endpoint is stopping: the socket closes with us
    }
    if (error) {
        HttpReply refused;
        refused.status = error == http::error::body_limit ? 413 : 400;
        refused.content_type = "text/plain";
        refused.body = "shmqd: " + error.message() + "\n";
        write_reply(std::move(refused), 11, false);
        return;
    }
    std::optional<HttpReply> reply = context_.handler.handle(parser_->get(), peer_of(socket_));
    if (!reply) {
        defer(std::make_shared<HttpRequest>(parser_->release()));
        return;
    }
    write_reply(std::move(*reply), parser_->get().version(), parser_->get().keep_alive());
}

void HttpConnection::defer(std::shared_ptr<HttpRequest> request) {
    // The job gives its references to the reply it posts: the connection is then only ever
    // released on its own loop's thread.
    context_.blocking_pool.submit([self = shared_from_this(), request,
                                   peer = peer_of(socket_)](RequestHandler& blocking_handler) mutable {
        std::optional<HttpReply> reply = blocking_handler.handle(*request, peer); // Blocking::allowed: always a reply
        auto executor = self->socket_.get_executor();
        asio::post(executor, [self = std::move(self), request = std::move(request), reply = std::move(*reply)]() mutable {
            self->write_reply(std::move(reply), request->version(), request->keep_alive());
        });
    });
}

void HttpConnection::write_reply(HttpReply&& reply, unsigned version, bool keep_alive) {
    keep_alive = keep_alive && !context_.stopping.load(std::memory_order_acquire); // say it closes
    response_ = to_response(std::move(reply), version, keep_alive);
    http::async_write(socket_, response_, [self = shared_from_this(), keep_alive](beast::error_code error, std::size_t) {
        if (error || !keep_alive) {
            beast::error_code ignored;
            self->socket_.shutdown(tcp::socket::shutdown_both, ignored);
            return;
        }
        self->read_request();
    });
}

} // namespace shmq::daemon
