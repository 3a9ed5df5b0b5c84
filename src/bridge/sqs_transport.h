// The bridge's HTTP client of SQS: libcurl's multi interface on one thread of its own, many
// requests in flight on keep-alive HTTP/1.1 (and HTTPS, verified against the system's CA store)
// connections, each signed by libcurl's SigV4 (CURLOPT_AWS_SIGV4), in SQS's JSON protocol
// (POST /, X-Amz-Target: AmazonSQS.<Action>, Content-Type: application/x-amz-json-1.0).
//
// Thread contract: submit() and in_flight() from any thread. A completion runs on the transport's
// thread, once per submitted request (also when the transport stops: then with no_response); it
// must not block, as every other request waits while it runs. The destructor returns once every
// completion has run.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "bridge/aws_credentials.h"
#include "bridge/sqs_reply.h"

namespace shmq::bridge {

// Where requests go and who signs them.
struct RemoteEndpoint {
    std::string url;    // the POST target: https://sqs.REGION.amazonaws.com/, or an override
    std::string region; // the signature's scope
    AwsCredentials credentials;
    std::string ca_file; // https: the CAs its certificate is checked against; empty: the system's
};

// SQS's own endpoint for a region.
[[nodiscard]] std::string sqs_endpoint_url(std::string_view region);

struct TransportOptions {
    std::chrono::milliseconds connect_timeout{5'000};
    // A whole request, answer included: above a 20 s long poll's wait.
    std::chrono::milliseconds request_timeout{30'000};
    // A remote's answer is untrusted input: a longer one fails the request (server_error). Ten
    // messages of 1 MiB with their attributes, escaped in JSON, fit.
    std::size_t reply_bytes_max = std::size_t{64} << 20;
    // Connections to one host at once; more requests wait in libcurl for one to be free (an
    // endpoint bounds its connections too: shmqd's default is 200).
    long connections_per_host_max = 32;
};

class SqsTransport {
  public:
    using Completion = std::function<void(SqsReply&& reply)>;

    explicit SqsTransport(TransportOptions options = {});
    ~SqsTransport();
    SqsTransport(const SqsTransport&) = delete;
    SqsTransport& operator=(const SqsTransport&) = delete;

    // Sends action (e.g. "SendMessageBatch") with body (a JSON object's text) to endpoint.
    void submit(std::shared_ptr<const RemoteEndpoint> endpoint, std::string_view action, std::string body,
                Completion completion);
    // Requests submitted whose completion has not started yet.
    [[nodiscard]] std::size_t in_flight() const noexcept;

  private:
    struct Loop;
    std::unique_ptr<Loop> loop_;
};

} // namespace shmq::bridge
