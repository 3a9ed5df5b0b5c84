// RequestHandler: one parsed HTTP request in, its SQS reply out. It checks the SigV4 signature
// (when credentials are configured), tells the protocols apart (JSON 1.0 names its action in
// X-Amz-Target; Query posts an Action=... form or GETs with one in the query string), serves
// GET /metrics (signed, or with the metrics bearer token, when credentials are configured) and
// /health, and stamps every reply with a request id. It owns an
// api::SqsService, so its queue handles: one handler per thread, used by that thread only.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "api/sqs_service.h"
#include "http_endpoint.h"
#include "json_protocol.h"

namespace shmq::daemon {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;

// What the connection knows about the client that sent a request (a queue Policy's aws:SourceIp
// and aws:SecureTransport).
struct Peer {
    std::string address;           // the socket peer's IP address; empty: unknown
    bool secure_transport = false; // TLS: shmqd serves plain HTTP
};
// The peer of a connected socket (empty when the socket has none any more).
[[nodiscard]] Peer peer_of(const boost::asio::ip::tcp::socket& socket);

// Request ids (x-amzn-RequestId, the Query protocol's RequestId): UUID-shaped, unique per
// handler (a random prefix) and request (a counter).
class RequestIds {
  public:
    RequestIds();
    [[nodiscard]] std::string next();

  private:
    std::uint64_t prefix_ = 0;
    std::uint64_t counter_ = 0;
};

class RequestHandler {
  public:
    // options and client must outlive the handler; service_options say where queue URLs point
    // and whether a long poll may block this thread.
    RequestHandler(const Client& client, const EndpointOptions& options, api::ServiceOptions service_options);

    // The reply to request from peer; nullopt when it is a long poll that found nothing and this
    // handler defers what blocks (api::Blocking::deferred): serve it again on a handler that may block.
    // cancel: requested when the client goes away; a long poll then ends at once, empty.
    // budget: messages are taken only as it affords (null: no bound; see ReplyBudget).
    [[nodiscard]] std::optional<HttpReply> handle(const HttpRequest& request, const Peer& peer,
                                                  std::stop_token cancel = {}, ReceiveBudget* budget = nullptr);

    // A request refused at the HTTP level (status 413: a body over the limit; 400: not HTTP),
    // as an SQS error in the protocol the request speaks as far as it was read: JSON when an
    // X-Amz-Target header was parsed, else the Query protocol's XML.
    [[nodiscard]] HttpReply refuse_unreadable(const HttpRequest& partial_request, unsigned status,
                                              std::string_view reason);
    // A request not run because the endpoint holds too many unread replies: 503
    // ServiceUnavailable in the request's protocol (SDKs retry it with backoff).
    [[nodiscard]] HttpReply refuse_busy(const HttpRequest& request);

  private:
    [[nodiscard]] std::optional<HttpReply> handle_signed(const HttpRequest& request, const Peer& peer);
    // `Authorization: Bearer <token>` with the endpoint's metrics token (none set: never).
    [[nodiscard]] bool bearer_token_matches(const HttpRequest& request) const;
    [[nodiscard]] HttpReply route(const HttpRequest& request, const std::string& request_id,
                                  const api::Caller& caller);

    const Client& client_;
    const EndpointOptions& options_;
    const bool defers_blocking_; // api::Blocking::deferred: GET /metrics (a scan of every queue) too
    api::SqsService service_;
    RequestIds request_ids_;
};

} // namespace shmq::daemon
