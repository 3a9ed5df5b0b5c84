// shmqd's HTTP endpoint: transport and protocol routing (see http_endpoint.h). Blocking Beast I/O, a thread per
// connection: a ReceiveMessage long poll (up to 20 s) waits on the queue's futex and blocks its
// own connection only, and the hot path is one read, one library call and one write.
#include "http_endpoint.h"

#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <charconv>
#include <cstdio>
#include <list>
#include <random>

#include "api/sqs_service.h"
#include "json_protocol.h"
#include "query_protocol.h"

namespace shmq::daemon {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t header_limit_bytes = 16u << 10;

struct Connection {
    std::shared_ptr<tcp::socket> socket;
    std::shared_ptr<std::atomic<bool>> done;
    std::thread thread;
};

// Request ids (x-amzn-RequestId, the Query protocol's RequestId): UUID-shaped, unique per
// connection thread and request.
class RequestIds {
  public:
    RequestIds() {
        std::random_device random;
        prefix_ = (static_cast<std::uint64_t>(random()) << 32) | random();
    }
    std::string next() {
        char text[40];
        const std::uint64_t counter = ++counter_;
        std::snprintf(text, sizeof text, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(prefix_ >> 32),
                      static_cast<unsigned>((prefix_ >> 16) & 0xFFFF), static_cast<unsigned>(prefix_ & 0xFFFF),
                      static_cast<unsigned>((counter >> 48) & 0xFFFF),
                      static_cast<unsigned long long>(counter & 0xFFFF'FFFF'FFFFull));
        return text;
    }

  private:
    std::uint64_t prefix_ = 0;
    std::uint64_t counter_ = 0;
};

// A refused signature, in the protocol the request speaks (JSON: the JSON-protocol exception
// name and the x-amzn-query-error header SDKs read the code from; Query: an XML error).
HttpReply auth_error(const http::request<http::string_body>& request, const AuthFailure& failure,
                     const std::string& request_id) {
    if (request.find("X-Amz-Target") != request.end()) {
        const std::string type = failure.code == "InvalidClientTokenId"    ? "UnrecognizedClientException"
                                 : failure.code == "SignatureDoesNotMatch" ? "InvalidSignatureException"
                                                                           : failure.code + "Exception";
        return json_service_error(failure.status, type, failure.message, failure.code);
    }
    return xml_error(failure.status, "Sender", failure.code, failure.message, request_id);
}

std::optional<AuthFailure> check_signature(const SigV4Verifier& verifier,
                                           const http::request<http::string_body>& request, std::string& account) {
    SignedRequest signed_request;
    signed_request.method = request.method_string();
    signed_request.target = request.target();
    signed_request.body = request.body();
    signed_request.now_s = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    for (const auto& field : request) {
        signed_request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    return verifier.verify(signed_request, account);
}

// Which protocol a request speaks: JSON names its action in X-Amz-Target; Query posts a form (or
// GETs with one in the query string).
HttpReply route(api::SqsService& service, const http::request<http::string_body>& request,
                const std::string& request_id, const std::string& account, const Client& client,
                const JournalMetrics* metrics) {
    if (request.method() == http::verb::get && request.target() == "/metrics") {
        HttpReply reply;
        reply.content_type = "text/plain; version=0.0.4";
        reply.body = render_metrics(client, metrics);
        return reply;
    }
    if (const auto target = request.find("X-Amz-Target"); target != request.end()) {
        return serve_json(service, target->value(), request.body(), account);
    }
    const std::string_view path = request.target();
    const std::size_t question = path.find('?');
    if (request.method() == http::verb::post) {
        return serve_query(service, request.body(), path, request_id, account);
    }
    if (request.method() == http::verb::get && question != std::string_view::npos) {
        return serve_query(service, path.substr(question + 1), path.substr(0, question), request_id, account);
    }
    HttpReply reply;
    reply.content_type = "text/plain";
    if (request.method() == http::verb::get && (path == "/" || path == "/health")) {
        reply.body = "shmqd: SQS endpoint (JSON 1.0 and Query protocols)\n";
        return reply;
    }
    reply.status = 400;
    reply.body = "shmqd serves SQS: POST / with X-Amz-Target: AmazonSQS.<Action> (JSON 1.0), or an "
                 "Action=... form (Query)\n";
    return reply;
}

void write_reply(tcp::socket& socket, unsigned version, bool keep_alive, HttpReply&& reply,
                 beast::error_code& error) {
    http::response<http::string_body> response{static_cast<http::status>(reply.status), version};
    response.set(http::field::server, "shmqd");
    response.set(http::field::content_type, reply.content_type);
    for (const auto& [name, value] : reply.headers) {
        response.set(name, value);
    }
    response.keep_alive(keep_alive);
    response.body() = std::move(reply.body);
    response.prepare_payload();
    http::write(socket, response, error);
}

} // namespace

struct HttpEndpoint::State {
    State(const Client& client_in, EndpointOptions options_in) : client(client_in), options(std::move(options_in)) {}

    const Client& client;
    EndpointOptions options;
    asio::io_context io;
    tcp::acceptor acceptor{io};
    std::string url_base;
    std::atomic<bool> stopping{false};
    std::mutex mutex; // guards connections
    std::list<Connection> connections;
    std::thread accept_thread;

    void accept_loop();
    void serve(tcp::socket& socket) const;
    void reap_finished();
};

void HttpEndpoint::State::reap_finished() {
    const std::lock_guard lock(mutex);
    for (auto it = connections.begin(); it != connections.end();) {
        if (it->done->load(std::memory_order_acquire)) {
            it->thread.join();
            it = connections.erase(it);
        } else {
            ++it;
        }
    }
}

void HttpEndpoint::State::accept_loop() {
    while (!stopping.load(std::memory_order_acquire)) {
        tcp::socket socket(io);
        beast::error_code error;
        acceptor.accept(socket, error);
        if (stopping.load(std::memory_order_acquire)) {
            break;
        }
        if (error) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10)); // out of descriptors: let some close
            continue;
        }
        reap_finished();
        socket.set_option(tcp::no_delay(true), error);
        const std::lock_guard lock(mutex);
        if (connections.size() >= options.connections_max) {
            HttpReply busy;
            busy.status = 503;
            busy.content_type = "text/plain";
            busy.body = "shmqd: too many connections\n";
            write_reply(socket, 11, false, std::move(busy), error);
            continue;
        }
        Connection& connection = connections.emplace_back();
        connection.socket = std::make_shared<tcp::socket>(std::move(socket));
        connection.done = std::make_shared<std::atomic<bool>>(false);
        connection.thread = std::thread([this, socket_ptr = connection.socket, done = connection.done] {
            serve(*socket_ptr);
            beast::error_code ignored;
            socket_ptr->shutdown(tcp::socket::shutdown_both, ignored);
            done->store(true, std::memory_order_release);
        });
    }
}

void HttpEndpoint::State::serve(tcp::socket& socket) const {
    api::SqsService service(client, {.url_base = url_base});
    RequestIds request_ids;
    beast::flat_buffer buffer;
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.body_limit(options.body_limit_bytes);
        parser.header_limit(header_limit_bytes);
        beast::error_code error;
        http::read(socket, buffer, parser, error);
        if (error == http::error::end_of_stream || error == asio::error::eof ||
            error == asio::error::connection_reset || stopping.load(std::memory_order_acquire)) {
            return;
        }
        if (error) {
            // Malformed or oversized: say so, then close (the stream's framing is lost).
            HttpReply refused;
            refused.status = error == http::error::body_limit ? 413 : 400;
            refused.content_type = "text/plain";
            refused.body = "shmqd: " + error.message() + "\n";
            write_reply(socket, 11, false, std::move(refused), error);
            return;
        }
        const http::request<http::string_body>& request = parser.get();
        const std::string request_id = request_ids.next();
        // Metrics and health are for local scrapers, which do not sign.
        const bool open_path = request.method() == http::verb::get &&
                               (request.target() == "/metrics" || request.target() == "/health");
        std::string account(api::account_id); // unsigned requests act as the queues' owner
        const auto refused =
            options.verifier && !open_path ? check_signature(*options.verifier, request, account) : std::nullopt;
        HttpReply reply = refused ? auth_error(request, *refused, request_id)
                                  : route(service, request, request_id, account, client, options.metrics);
        reply.headers.emplace_back("x-amzn-RequestId", request_id);
        write_reply(socket, request.version(), request.keep_alive(), std::move(reply), error);
        if (error || !request.keep_alive()) {
            return;
        }
    }
}

HttpEndpoint::HttpEndpoint(std::unique_ptr<State> state) : state_(std::move(state)) {}

Result<std::unique_ptr<HttpEndpoint>> HttpEndpoint::start(const Client& client, const EndpointOptions& options) {
    auto state = std::make_unique<State>(client, options);
    beast::error_code error;
    const auto address = asio::ip::make_address(options.host == "localhost" ? "127.0.0.1" : options.host, error);
    if (error) {
        return Error{Errc::invalid_parameter_value, "--listen: " + options.host + " is not an IP address"};
    }
    const tcp::endpoint endpoint(address, options.port);
    state->acceptor.open(endpoint.protocol(), error);
    if (!error) {
        state->acceptor.set_option(asio::socket_base::reuse_address(true), error);
    }
    if (!error) {
        state->acceptor.bind(endpoint, error);
    }
    if (!error) {
        state->acceptor.listen(asio::socket_base::max_listen_connections, error);
    }
    if (error) {
        return Error{Errc::system_error, "cannot listen on " + options.host + ":" + std::to_string(options.port) +
                                             ": " + error.message()};
    }
    const tcp::endpoint bound = state->acceptor.local_endpoint();
    const std::string host = bound.address().is_v6() ? "[" + bound.address().to_string() + "]"
                                                     : bound.address().to_string();
    std::unique_ptr<HttpEndpoint> endpoint_object(new HttpEndpoint(std::move(state)));
    endpoint_object->address_ = host + ":" + std::to_string(bound.port());
    endpoint_object->state_->url_base = "http://" + endpoint_object->address_;
    State* raw = endpoint_object->state_.get();
    raw->accept_thread = std::thread([raw] { raw->accept_loop(); });
    return endpoint_object;
}

HttpEndpoint::~HttpEndpoint() {
    state_->stopping.store(true, std::memory_order_release);
    // shutdown() wakes a thread blocked in accept() or read() on Linux; close() alone does not.
    ::shutdown(state_->acceptor.native_handle(), SHUT_RDWR);
    if (state_->accept_thread.joinable()) {
        state_->accept_thread.join();
    }
    std::list<Connection> connections;
    {
        const std::lock_guard lock(state_->mutex);
        connections.swap(state_->connections);
    }
    for (Connection& connection : connections) {
        ::shutdown(connection.socket->native_handle(), SHUT_RDWR);
    }
    for (Connection& connection : connections) {
        connection.thread.join(); // a long poll in progress ends within its wait time (20 s at most)
    }
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

} // namespace shmq::daemon
