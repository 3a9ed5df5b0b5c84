// The "remote SQS" of the bridge tests: a second, real shmqd on a loopback port, started with
// --credentials so that it checks every signature libcurl makes, and a namespace of its own that
// the tests also read straight from shared memory (to see what arrived without another request).
// It can be SIGKILLed and started again on the same port (an outage). A client of it that uses
// the bridge's own transport makes the calls a test needs over HTTP (CreateQueue, ...).
#pragma once

#include <fcntl.h>

#include <boost/json.hpp>
#include <future>
#include <netinet/in.h>
#include <optional>
#include <sys/socket.h>
#include <sys/stat.h>

#include "bridge/sqs_transport.h"
#include "durability/shmqd_fixture.h"

namespace shmq::testing {

// A loopback port nobody listens on (bound, then closed): for a server to start on, or to find
// nothing at.
inline int free_loopback_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    socklen_t length = sizeof address;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    ::close(fd);
    return ntohs(address.sin_port);
}

// One request through a transport, waited for.
inline bridge::SqsReply call_remote(bridge::SqsTransport& transport,
                                    std::shared_ptr<const bridge::RemoteEndpoint> endpoint, std::string_view action,
                                    const boost::json::object& body) {
    std::promise<bridge::SqsReply> answered;
    transport.submit(std::move(endpoint), action, boost::json::serialize(body),
                     [&](bridge::SqsReply&& reply) { answered.set_value(std::move(reply)); });
    return answered.get_future().get();
}

// CreateQueue over HTTP; the QueueUrl it answered.
inline std::string create_remote_queue(bridge::SqsTransport& transport,
                                       std::shared_ptr<const bridge::RemoteEndpoint> endpoint, const std::string& name,
                                       const boost::json::object& attributes = {}) {
    boost::json::object body{{"QueueName", name}};
    if (!attributes.empty()) {
        body["Attributes"] = attributes;
    }
    const bridge::SqsReply reply = call_remote(transport, std::move(endpoint), "CreateQueue", body);
    INFO(reply.describe());
    REQUIRE(reply.ok());
    return std::string(reply.json.at("QueueUrl").as_string());
}

inline constexpr const char* remote_key = "AKIDBRIDGETEST";
inline constexpr const char* remote_secret = "bridge-test-secret-key";
inline constexpr const char* remote_region = "eu-west-1";

class RemoteSqs {
  public:
    RemoteSqs(const RemoteSqs&) = delete;
    RemoteSqs& operator=(const RemoteSqs&) = delete;
    ~RemoteSqs() {
        daemon_.reset();
        std::error_code ignored;
        std::filesystem::remove_all(data_path_, ignored);
    }

    RemoteSqs() {
        static std::atomic<int> counter{0};
        data_path_ = (std::filesystem::temp_directory_path() /
                      ("shmq-remote-" + std::to_string(getpid()) + "-" + std::to_string(counter.fetch_add(1))))
                         .string();
        std::filesystem::remove_all(data_path_);
        std::filesystem::create_directories(data_path_);
        credentials_path_ = data_path_ + "/credentials";
        const int fd = ::open(credentials_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        REQUIRE(fd >= 0);
        const std::string line = std::string(remote_key) + " " + remote_secret + "\n";
        REQUIRE(::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()));
        ::close(fd);
        start("127.0.0.1:0");
    }

    // The endpoint as the bridge reaches it, with good credentials unless told otherwise.
    [[nodiscard]] std::shared_ptr<const bridge::RemoteEndpoint> endpoint(std::string secret = remote_secret) const {
        auto remote = std::make_shared<bridge::RemoteEndpoint>();
        remote->url = url_ + "/";
        remote->region = remote_region;
        remote->credentials.access_key_id = remote_key;
        remote->credentials.secret_access_key = std::move(secret);
        remote->credentials.source = "test";
        return remote;
    }

    [[nodiscard]] const TestNamespace& ns() const { return ns_; }
    [[nodiscard]] const std::string& url() const { return url_; }
    // Environment variables that give a shmqd (the local one) this remote's credentials.
    [[nodiscard]] static std::map<std::string, std::string> credentials_environment() {
        return {{"AWS_ACCESS_KEY_ID", remote_key},
                {"AWS_SECRET_ACCESS_KEY", remote_secret},
                {"AWS_PROFILE", ""},
                {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"},
                {"AWS_CONFIG_FILE", "/nonexistent"}};
    }

    void kill_now() {
        daemon_->kill_now();
        (void)daemon_->wait();
        daemon_.reset();
    }
    void restart() { start(url_.substr(std::string("http://").size())); }

    // A call over HTTP through the bridge's transport, waited for.
    bridge::SqsReply call(std::string_view action, const boost::json::object& body) {
        return call_remote(transport_, endpoint(), action, body);
    }

    // CreateQueue over HTTP; the QueueUrl it answered.
    std::string create_queue(const std::string& name, const boost::json::object& attributes = {}) {
        return create_remote_queue(transport_, endpoint(), name, attributes);
    }

  private:
    void start(const std::string& listen) {
        daemon_.emplace(
            ChildProcess::exec(SHMQD_BINARY, {"--data-dir", data_path_ + "/data", "--namespace", ns_.name(), "--listen",
                                              listen, "--credentials", credentials_path_, "--region", remote_region}));
        const std::string listening = daemon_->read_line();
        const std::string prefix = "shmqd listening on ";
        REQUIRE(listening.starts_with(prefix));
        url_ = listening.substr(prefix.size());
        REQUIRE(daemon_->read_line() == "shmqd ready");
    }

    TestNamespace ns_;
    std::string data_path_;
    std::string credentials_path_;
    std::string url_;
    std::optional<ChildProcess> daemon_;
    bridge::SqsTransport transport_;
};

} // namespace shmq::testing
