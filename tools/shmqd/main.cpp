// shmqd: the durability sidecar of a shmq namespace (issue 4) and its SQS HTTP endpoint (issue 5).
// Usage:
//   shmqd [--data-dir DIR] [--namespace NAME] [--group-access] [--segment-mib N] [--commit-interval-ms N]
//         [--listen HOST:PORT | --no-listen] [--http-threads N] [--http-connections-max N] [--credentials FILE]
// The data directory defaults to $SHMQ_DATA_DIR, then ./shmq-data; the namespace to
// $SHMQ_NAMESPACE, then "default"; the endpoint to 127.0.0.1:9324 (port 0: any free port). Once
// ready it prints "shmqd listening on http://ADDRESS" (with an endpoint) and "shmqd ready" on
// stdout. SIGTERM or SIGINT stop it cleanly (exit 0).
#include <signal.h>
#include <sys/signalfd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "daemon.h"
#include "http_endpoint.h"

int main(int argc, char** argv) {
    shmq::daemon::DaemonOptions options;
    const char* data_dir = std::getenv("SHMQ_DATA_DIR");
    options.data_dir = data_dir != nullptr && *data_dir != '\0' ? data_dir : "./shmq-data";
    const char* namespace_name = std::getenv("SHMQ_NAMESPACE");
    options.namespace_name = namespace_name != nullptr ? namespace_name : "";
    std::uint64_t segment_mib = 64;
    std::string listen = "127.0.0.1:9324";
    bool no_listen = false;

    CLI::App app{"shmqd: makes the queues of a shmq namespace durable"};
    app.add_option("--data-dir", options.data_dir, "Journal directory (default $SHMQ_DATA_DIR, then ./shmq-data)");
    app.add_option("--namespace", options.namespace_name, "Namespace to serve (default $SHMQ_NAMESPACE)");
    app.add_flag("--group-access", options.group_access,
                 "Share the data, journal and namespace directories (02770) and queues (0660) with the group "
                 "(default: this user only, 0700 and 0600; also $SHMQ_GROUP_ACCESS=1)");
    app.add_option("--segment-mib", segment_mib, "Size of a journal segment file")->check(CLI::Range(1, 4096));
    app.add_option("--commit-interval-ms", options.commit_interval_ms,
                   "Durability=async: longest wait before journaling what senders listed (default 10)")
        ->check(CLI::Range(1, 1000));
    app.add_option("--durable-trace", options.durable_trace_path,
                   "For power-loss tests: append '<segment> <offset>' to this file as each commit becomes durable");
    app.add_option("--listen", listen, "SQS HTTP endpoint address HOST:PORT (default 127.0.0.1:9324; port 0: any)");
    app.add_flag("--no-listen", no_listen, "Serve no HTTP endpoint (durability only)");
    unsigned http_threads = 0;
    app.add_option("--http-threads", http_threads, "Event-loop threads of the HTTP endpoint (default: one per CPU)")
        ->check(CLI::Range(1, 64));
    std::size_t http_connections_max = shmq::daemon::EndpointOptions{}.connections_max;
    app.add_option("--http-connections-max", http_connections_max,
                   "Open HTTP connections at most; more are answered 503 and closed (default 200)")
        ->check(CLI::Range(1, 100000));
    std::string credentials;
    app.add_option("--credentials", credentials,
                   "File of 'ACCESS_KEY_ID SECRET_ACCESS_KEY' lines: the endpoint then requires SigV4 signatures");
    CLI11_PARSE(app, argc, argv);
    options.segment_bytes = segment_mib << 20;
    shmq::daemon::EndpointOptions endpoint_options;
    endpoint_options.threads = http_threads;
    endpoint_options.connections_max = http_connections_max;
    if (shmq::Status parsed = shmq::daemon::parse_listen_address(listen, endpoint_options); !parsed) {
        std::fprintf(stderr, "shmqd: %s\n", parsed.message().c_str());
        return 2;
    }
    if (!credentials.empty()) {
        auto verifier = shmq::daemon::SigV4Verifier::from_file(credentials);
        if (!verifier) {
            std::fprintf(stderr, "shmqd: %s\n", verifier.error().message.c_str());
            return 2;
        }
        endpoint_options.verifier = std::make_shared<const shmq::daemon::SigV4Verifier>(std::move(verifier.value()));
    }

    // Signals arrive through a signalfd the main loop polls: no handler runs in the middle of a
    // journal commit.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    if (sigprocmask(SIG_BLOCK, &stop_signals, nullptr) != 0) {
        std::perror("shmqd: sigprocmask");
        return 1;
    }
    const int signal_fd = signalfd(-1, &stop_signals, SFD_CLOEXEC);
    if (signal_fd < 0) {
        std::perror("shmqd: signalfd");
        return 1;
    }
    shmq::daemon::JournalMetrics metrics; // shared by the daemon's loop and the endpoint's /metrics
    options.metrics = &metrics;
    endpoint_options.metrics = &metrics;
    auto daemon = shmq::daemon::Daemon::start(options);
    if (!daemon) {
        std::fprintf(stderr, "shmqd: %s\n", daemon.error().message.c_str());
        return 1;
    }
    // The endpoint's own client: the daemon's stays on its thread.
    shmq::ClientOptions client_options;
    client_options.namespace_name = options.namespace_name;
    client_options.group_access = options.group_access;
    auto endpoint_client = shmq::Client::open(client_options);
    if (!endpoint_client) {
        std::fprintf(stderr, "shmqd: %s\n", endpoint_client.error().message.c_str());
        return 1;
    }
    std::unique_ptr<shmq::daemon::HttpEndpoint> endpoint;
    if (!no_listen) {
        auto started = shmq::daemon::HttpEndpoint::start(endpoint_client.value(), endpoint_options);
        if (!started) {
            std::fprintf(stderr, "shmqd: %s\n", started.error().message.c_str());
            return 1;
        }
        endpoint = std::move(started.value());
        std::fprintf(stdout, "shmqd listening on http://%s\n", endpoint->address().c_str());
    }
    std::fprintf(stdout, "shmqd ready\n");
    std::fflush(stdout);
    if (shmq::Status status = daemon.value()->run(signal_fd); !status) {
        std::fprintf(stderr, "shmqd: %s\n", status.message().c_str());
        return 1;
    }
    return 0;
}
