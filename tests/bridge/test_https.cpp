// The bridge over HTTPS (issue 12, item 2): a forward bridge reaches its remote through a TLS
// endpoint whose certificate a CA of the test's own signs; with that CA as the bridge's ca_file
// every message arrives, and without it (the system's CA store) libcurl refuses the certificate:
// nothing is carried, nothing is lost, the failure is said and retried at the slow pace (the same
// certificate will not verify on the next try either).
// Method: openssl makes a CA and a certificate for 127.0.0.1; fault_proxy.py serves HTTPS with
// it in front of a second shmqd with --credentials (signatures are checked through TLS).
#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "bridge/bridge_test_support.h"
#include "bridge/fault_proxy.h"
#include "bridge/forward_bridge.h"

using namespace shmq;
using namespace shmq::testing;

namespace {

// A CA and a server certificate for 127.0.0.1 that it signed, made with openssl in a directory
// of their own.
struct TestCertificates {
    std::filesystem::path dir;

    TestCertificates() : dir(std::filesystem::temp_directory_path() / ("shmq-tls-" + std::to_string(::getpid()))) {
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        const std::string script =
            "set -e; cd '" + dir.string() +
            "'; exec 2> openssl.log; "
            "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem "
            "-days 2 -subj /CN=shmq-test-ca; "
            "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key -out server.csr "
            "-subj /CN=127.0.0.1; "
            "printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext; "
            "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 "
            "-extfile san.ext > /dev/null";
        ChildProcess made = ChildProcess::exec("/bin/sh", {"-c", script});
        const int status = made.wait();
        INFO("openssl: see " << (dir / "openssl.log").string());
        REQUIRE((WIFEXITED(status) && WEXITSTATUS(status) == 0));
    }
    ~TestCertificates() { std::filesystem::remove_all(dir); }
    TestCertificates(const TestCertificates&) = delete;
    TestCertificates& operator=(const TestCertificates&) = delete;

    [[nodiscard]] std::string path(const char* name) const { return (dir / name).string(); }
};

} // namespace

TEST_CASE("https: a forward bridge reaches SQS over TLS with its endpoint's CA, and refuses a certificate it "
          "cannot verify",
          "[bridge]") {
    TestCertificates certificates;
    RemoteSqs remote;
    const std::string remote_url = remote.create_queue("tls-in");
    FaultProxy tls(remote.url(), "", certificates.path("server.pem"), certificates.path("server.key"));
    REQUIRE(tls.url.starts_with("https://127.0.0.1:"));
    LocalSide local;
    Queue out = local.ns.make_queue("tls-out");
    constexpr int count = 50;

    SECTION("with the CA as ca_file: every message arrives, signed and checked through TLS") {
        send_numbered(out, 0, count);
        auto endpoint = std::make_shared<bridge::RemoteEndpoint>(*tls.endpoint(remote));
        endpoint->ca_file = certificates.path("ca.pem");
        bridge::ForwardBridge bridge(bridge_settings("tls", "tls-out", bridge::Direction::forward, remote_url),
                                     endpoint, local.runtime());
        bridge.start();
        REQUIRE(eventually([&] { return bridge.metrics().carried.load() == count; }));
        bridge.stop();
        std::set<int> numbers;
        for (const ReceivedMessage& message : drain(remote.ns().client(), "tls-in")) {
            numbers.insert(std::stoi(message.attributes.at("n").string_value));
        }
        CHECK(numbers.size() == count);
        CHECK(bridge.metrics().request_errors.load() == 0);
    }
    SECTION("with the system's CA store: the certificate is refused, nothing is carried or lost") {
        send_numbered(out, 0, count);
        bridge::ForwardBridge bridge(bridge_settings("tls", "tls-out", bridge::Direction::forward, remote_url),
                                     tls.endpoint(remote), local.runtime());
        bridge.start();
        REQUIRE(eventually([&] { return bridge.metrics().request_errors.load() >= 1; }));
        bridge.stop();
        CHECK(bridge.metrics().carried.load() == 0);
        const std::string error = bridge.metrics().last_error();
        INFO(error);
        CHECK(error.find("not sent: SSL certificate problem") != std::string::npos);
        CHECK(error.find("this needs fixing") != std::string::npos); // retried at the slow pace
        CHECK(held_locally(local.ns.client(), "tls-out") == count);  // released at stop, all still here
        CHECK(drain(remote.ns().client(), "tls-in").empty());
    }
}
