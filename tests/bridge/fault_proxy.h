// fault_proxy.py started by a test: a proxy in front of a remote that injects a schedule of
// faults, optionally serving HTTPS with a given certificate.
#pragma once

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "bridge/remote_sqs.h"
#include "support/child_process.h"

namespace shmq::testing {

struct FaultProxy {
    ChildProcess process;
    std::string url; // http://127.0.0.1:PORT, or https:// with a certificate

    // faults: fault_proxy.py's schedule ("throttle:3,500:2", or empty: none); tls_cert and
    // tls_key: PEM files to serve HTTPS with (empty: plain HTTP).
    FaultProxy(const std::string& upstream, const std::string& faults, const std::string& tls_cert = {},
               const std::string& tls_key = {})
        : process(ChildProcess::exec("/usr/bin/env", arguments(upstream, faults, tls_cert, tls_key))) {
        const std::string line = process.read_line();
        REQUIRE(line.starts_with("listening on "));
        url = line.substr(std::string("listening on ").size());
    }

    // The remote's endpoint, reached through the proxy.
    std::shared_ptr<const bridge::RemoteEndpoint> endpoint(const RemoteSqs& remote) const {
        auto through = std::make_shared<bridge::RemoteEndpoint>(*remote.endpoint());
        through->url = url + "/";
        return through;
    }

  private:
    static std::vector<std::string> arguments(const std::string& upstream, const std::string& faults,
                                              const std::string& tls_cert, const std::string& tls_key) {
        std::vector<std::string> out{"python3",  SHMQ_FAULT_PROXY, "--upstream",     upstream,
                                     "--faults", faults,           "--slow-seconds", "2"};
        if (!tls_cert.empty()) {
            out.insert(out.end(), {"--tls-cert", tls_cert, "--tls-key", tls_key});
        }
        return out;
    }
};

} // namespace shmq::testing
