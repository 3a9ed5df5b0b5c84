// HttpEndpoint: shmqd's SQS-compatible HTTP door (issue 5), so that unmodified AWS SDKs and the
// aws CLI use the namespace's queues by changing only their endpoint URL. It listens on one
// address (loopback by default) and speaks both SQS protocols: JSON 1.0 (X-Amz-Target:
// AmazonSQS.<Action>) and Query (Action=... forms, XML responses). With credentials configured,
// unsigned or badly signed requests are refused (SigV4). Requests over the size limit or that do
// not parse are refused with a clear error, and the connection closed.
//
// Connections: at connections_max, a new connection closes the one idle longest to make room
// (on whichever loop holds it); only when none is idle is it refused with 503 (http_endpoint.cpp).
//
// Threads: a few event loops (an io_context each, connections dealt to them in turn) serve every
// keep-alive connection and run the message actions themselves; what may block (a long poll
// that finds its queue empty, a Durability=sync send, queue management) moves to a BlockingPool
// thread, which hands the reply back.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shmq/client.h"
#include "metrics.h"
#include "sigv4_verifier.h"

namespace shmq::daemon {

struct EndpointOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 9324; // 0: any free port (address() tells which)
    // --advertise-url: every queue URL starts with it (a proxy's or load balancer's address).
    // Empty: the request's Host header, when it is a valid host[:port], else the bound address.
    std::string advertised_url;
    std::size_t header_limit_bytes = 16u << 10; // request line and headers (SigV4's are the largest)
    std::size_t body_limit_bytes = 4u << 20;    // a 1 MiB batch, base64-grown, fits
    std::size_t connections_max = 200;       // also the most long polls waiting at once
    // Bytes of replies written but not yet read by their clients, across every connection. Above
    // it, new requests are answered 503 (SQS's ServiceUnavailable, which SDKs retry) until
    // clients read: a crowd of clients asking for the largest replies (ten 1 MiB messages, XML-
    // escaped up to 5x) and never reading them cannot hold the host's memory.
    std::size_t reply_bytes_max = 256u << 20;
    // How long a connection may take (see http_connection.h): the head of a request from its
    // first byte (a one-byte-a-second client is cut off), a body (or writing a reply), and the
    // wait for the next request on a keep-alive connection.
    std::chrono::milliseconds header_timeout = std::chrono::seconds(10);
    std::chrono::milliseconds body_timeout = std::chrono::seconds(30);
    std::chrono::milliseconds idle_timeout = std::chrono::seconds(60);
    unsigned threads = 0;                    // event-loop threads; 0: one per CPU
    // Credentials configured: every request must carry a valid SigV4 signature of one of them.
    std::shared_ptr<const SigV4Verifier> verifier;
    const JournalMetrics* metrics = nullptr; // journal figures for GET /metrics, if any
    // With a verifier, GET /metrics (queue names and depths) needs a signature like any request,
    // or `Authorization: Bearer <metrics_token>` when one is set (scrapers do not sign SigV4).
    std::string metrics_token;
    // shmqd's bridges to SQS, for GET /metrics and GET /bridges (same access as /metrics).
    std::vector<bridge::BridgeView> bridges;
    // KmsMasterKeyId values CreateQueue and SetQueueAttributes take (shmqd's key ring).
    std::function<bool(std::string_view key_id)> kms_key_exists;
};

class HttpEndpoint {
  public:
    // Binds and starts serving; the Client must outlive the endpoint.
    [[nodiscard]] static Result<std::unique_ptr<HttpEndpoint>> start(const Client& client,
                                                                     const EndpointOptions& options);
    // Stops accepting, ends long polls in progress (within a second), closes every connection
    // and joins every thread.
    ~HttpEndpoint();
    HttpEndpoint(const HttpEndpoint&) = delete;
    HttpEndpoint& operator=(const HttpEndpoint&) = delete;

    // "127.0.0.1:9324": the address it listens on (the port chosen, for port 0).
    [[nodiscard]] const std::string& address() const noexcept { return address_; }

  private:
    struct State;
    explicit HttpEndpoint(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
    std::string address_;
};

// "HOST:PORT" (HOST an IPv4 or IPv6 literal or localhost; [::1]:PORT for IPv6) into options.
[[nodiscard]] Status parse_listen_address(std::string_view text, EndpointOptions& options);
// --advertise-url: http(s)://HOST[:PORT], nothing after it but an optional "/".
[[nodiscard]] Status parse_advertised_url(std::string_view text, EndpointOptions& options);

} // namespace shmq::daemon
