// RequestHandler (see request_handler.h).
#include "request_handler.h"

#include <algorithm>
#include <boost/beast/http/field.hpp>
#include <boost/url/parse.hpp>
#include <cctype>
#include <chrono>
#include <openssl/crypto.h>
#include <random>
#include <string>
#include <utility>

#include "query_protocol.h"

namespace shmq::daemon {

namespace http = boost::beast::http;

namespace {

// The address the client reached us at, from its Host header ("http://localhost:9324"), so that
// the queue URLs of the answer work from where the client is (behind a proxy, a container name,
// localhost for 0.0.0.0). Empty when the header is missing or not a plain host[:port] (no user
// info, no path, nothing percent-encoded): the endpoint's own address is used instead.
std::string url_base_of_host(const HttpRequest& request, const Peer& peer) {
    const auto host = request.find(http::field::host);
    if (host == request.end() || host->value().empty() || host->value().size() > 255) {
        return {};
    }
    const auto authority = boost::urls::parse_authority(host->value());
    if (!authority || authority->has_userinfo() || authority->encoded_host().empty() ||
        authority->encoded_host().find('%') != std::string_view::npos) {
        return {};
    }
    return (peer.secure_transport ? "https://" : "http://") + std::string(host->value());
}

// A refused signature, in the protocol the request speaks (JSON: the JSON-protocol exception
// name and the x-amzn-query-error header SDKs read the code from; Query: an XML error).
HttpReply auth_error(const HttpRequest& request, const AuthFailure& failure, const std::string& request_id) {
    if (request.find("X-Amz-Target") != request.end()) {
        const std::string type = failure.code == "InvalidClientTokenId"    ? "UnrecognizedClientException"
                                 : failure.code == "SignatureDoesNotMatch" ? "InvalidSignatureException"
                                                                           : failure.code + "Exception";
        return json_service_error(failure.status, type, failure.message, failure.code);
    }
    return xml_error(failure.status, "Sender", failure.code, failure.message, request_id);
}

std::optional<AuthFailure> check_signature(const SigV4Verifier& verifier, const HttpRequest& request,
                                           std::string& account) {
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

} // namespace

RequestIds::RequestIds() {
    std::random_device random;
    prefix_ = (static_cast<std::uint64_t>(random()) << 32) | random();
}

std::string RequestIds::next() {
    // 8-4-4-4-12 hex digits: the prefix's 64 bits, then the counter's 64 (formatted by hand:
    // snprintf showed in the endpoint's profile).
    static constexpr std::string_view digits = "0123456789abcdef";
    const std::uint64_t counter = ++counter_;
    std::string text(36, '-');
    std::size_t at = 0;
    const auto put = [&](std::uint64_t value, int count) {
        for (int shift = (count - 1) * 4; shift >= 0; shift -= 4) {
            text[at++] = digits[(value >> shift) & 0xF];
        }
    };
    put(prefix_ >> 32, 8);
    ++at;
    put(prefix_ >> 16, 4);
    ++at;
    put(prefix_, 4);
    ++at;
    put(counter >> 48, 4);
    ++at;
    put(counter, 12);
    return text;
}

RequestHandler::RequestHandler(const Client& client, const EndpointOptions& options,
                               api::ServiceOptions service_options)
    : client_(client),
      options_(options),
      defers_blocking_(service_options.blocking == api::Blocking::deferred),
      service_(client, std::move(service_options)) {}

Peer peer_of(const boost::asio::ip::tcp::socket& socket) {
    boost::system::error_code error;
    const auto endpoint = socket.remote_endpoint(error);
    return Peer{error ? std::string() : endpoint.address().to_string(), false};
}

std::optional<HttpReply> RequestHandler::handle(const HttpRequest& request, const Peer& peer, std::stop_token cancel,
                                               ReceiveBudget* budget) {
    if (defers_blocking_ && request.method() == http::verb::get && request.target() == "/metrics") {
        return std::nullopt;
    }
    service_.set_cancel(std::move(cancel));
    service_.set_receive_budget(budget);
    std::optional<HttpReply> reply = handle_signed(request, peer);
    service_.set_cancel({}); // the token and the budget are this request's only
    service_.set_receive_budget(nullptr);
    return reply;
}

bool RequestHandler::bearer_token_matches(const HttpRequest& request) const {
    constexpr std::string_view scheme = "bearer "; // schemes are case-insensitive (RFC 7235)
    const auto authorization = request.find(http::field::authorization);
    if (options_.metrics_token.empty() || authorization == request.end()) {
        return false;
    }
    const std::string_view value = authorization->value();
    const bool bearer = value.size() > scheme.size() &&
                        std::equal(scheme.begin(), scheme.end(), value.begin(), [](char a, char b) {
                            return a == std::tolower(static_cast<unsigned char>(b));
                        });
    const std::string_view token = bearer ? value.substr(scheme.size()) : std::string_view{};
    // Constant time: the comparison must not tell how much of a guess was right.
    return token.size() == options_.metrics_token.size() &&
           CRYPTO_memcmp(token.data(), options_.metrics_token.data(), token.size()) == 0;
}

std::optional<HttpReply> RequestHandler::handle_signed(const HttpRequest& request, const Peer& peer) {
    const std::string request_id = request_ids_.next();
    // Health tells nothing and is open. Metrics name every queue and its depth: open only when
    // no credentials are configured, else signed or with the scrapers' bearer token.
    const bool get = request.method() == http::verb::get;
    const bool open_path =
        get && (request.target() == "/health" ||
                ((request.target() == "/metrics" || request.target() == "/bridges") && bearer_token_matches(request)));
    std::string account(api::account_id); // unsigned requests act as the queues' owner
    const auto refused =
        options_.verifier && !open_path ? check_signature(*options_.verifier, request, account) : std::nullopt;
    const std::string url_base = options_.advertised_url.empty() ? url_base_of_host(request, peer) : std::string();
    const api::Caller caller{account, peer.address, peer.secure_transport, url_base};
    HttpReply reply = refused ? auth_error(request, *refused, request_id) : route(request, request_id, caller);
    if (service_.take_deferred()) {
        return std::nullopt;
    }
    reply.headers.emplace_back("x-amzn-RequestId", request_id);
    return reply;
}

HttpReply RequestHandler::refuse_unreadable(const HttpRequest& partial_request, unsigned status,
                                            std::string_view reason) {
    const bool too_large = status == 413;
    const std::string message = too_large ? "Request body larger than this endpoint accepts (" +
                                                std::to_string(options_.body_limit_bytes) + " bytes)."
                                          : "Malformed HTTP request: " + std::string(reason) + ".";
    const std::string request_id = request_ids_.next();
    HttpReply reply =
        partial_request.find("X-Amz-Target") != partial_request.end()
            ? json_service_error(status, too_large ? "RequestEntityTooLargeException" : "MalformedHttpRequestException",
                                 message, too_large ? "RequestEntityTooLarge" : "MalformedHttpRequest")
            : xml_error(status, "Sender", too_large ? "RequestEntityTooLarge" : "MalformedHttpRequest", message,
                        request_id);
    reply.headers.emplace_back("x-amzn-RequestId", request_id);
    return reply;
}

HttpReply RequestHandler::refuse_busy(const HttpRequest& request) {
    constexpr unsigned service_unavailable = 503;
    const std::string message = "The endpoint holds more unread replies than it allows (" +
                                std::to_string(options_.reply_bytes_max) + " bytes); retry shortly.";
    const std::string request_id = request_ids_.next();
    HttpReply reply = request.find("X-Amz-Target") != request.end()
                          ? json_service_error(service_unavailable, "ServiceUnavailable", message, "ServiceUnavailable")
                          : xml_error(service_unavailable, "Receiver", "ServiceUnavailable", message, request_id);
    reply.headers.emplace_back("x-amzn-RequestId", request_id);
    return reply;
}

HttpReply RequestHandler::route(const HttpRequest& request, const std::string& request_id,
                                const api::Caller& caller) {
    if (request.method() == http::verb::get && request.target() == "/metrics") {
        HttpReply reply;
        reply.content_type = "text/plain; version=0.0.4";
        reply.body = render_metrics(client_, options_.metrics, options_.bridges);
        return reply;
    }
    if (request.method() == http::verb::get && request.target() == "/bridges") {
        HttpReply reply;
        reply.content_type = "application/json";
        reply.body = render_bridge_status(options_.bridges);
        return reply;
    }
    if (const auto target = request.find("X-Amz-Target"); target != request.end()) {
        const auto content_type = request.find(http::field::content_type);
        return serve_json(service_, target->value(), content_type == request.end() ? "" : content_type->value(),
                          request.body(), caller);
    }
    const std::string_view path = request.target();
    const std::size_t question = path.find('?');
    if (request.method() == http::verb::post) {
        return serve_query(service_, request.body(), path, request_id, caller);
    }
    if (request.method() == http::verb::get && question != std::string_view::npos) {
        return serve_query(service_, path.substr(question + 1), path.substr(0, question), request_id, caller);
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

} // namespace shmq::daemon
