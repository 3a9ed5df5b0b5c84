// shmqd: the durability sidecar of a shmq namespace (issue 4) and its SQS HTTP endpoint (issue 5).
// Usage:
//   shmqd [--data-dir DIR] [--namespace NAME] [--group-access] [--segment-mib N] [--commit-interval-ms N]
//         [--listen HOST:PORT | --no-listen] [--http-threads N] [--http-connections-max N] [--credentials FILE]
//         [--region REGION] [--config FILE]
//         [--http-header-timeout-ms N] [--http-body-timeout-ms N] [--http-idle-timeout-ms N]
// The data directory defaults to $SHMQ_DATA_DIR, then ./shmq-data; the namespace to
// $SHMQ_NAMESPACE, then "default"; the endpoint to 127.0.0.1:9324 (port 0: any free port). Once
// ready it prints "shmqd listening on http://ADDRESS" (with an endpoint) and "shmqd ready" on
// stdout. SIGTERM or SIGINT stop it cleanly (exit 0); within 10 s in any case (exit 1 when requests
// still in progress are left behind, or on a second signal).
// Exit status 3 (exit_journal_damaged): it refused to start over a damaged journal and named the
// `--quarantine FILE` command to run (journal_check.h); 0 is a clean stop, 1 a failure, 2 a bad
// --listen, --credentials or --config (config_file.h: the queues it declares are created or
// updated before the endpoint opens).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <mutex>
#include <thread>

#include "bridge/bridge_set.h"
#include "client/private_directory.h"
#include "config_file.h"
#include "daemon.h"
#include "http_endpoint.h"
#include "journal_check.h"

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
    std::string advertise_url;
    app.add_option("--advertise-url", advertise_url,
                   "Queue URLs start with this http(s)://HOST[:PORT] (a proxy's address; default: the Host a request "
                   "was sent to)");
    unsigned http_threads = 0;
    app.add_option("--http-threads", http_threads, "Event-loop threads of the HTTP endpoint (default: one per CPU)")
        ->check(CLI::Range(1, 64));
    std::size_t http_connections_max = shmq::daemon::EndpointOptions{}.connections_max;
    app.add_option("--http-connections-max", http_connections_max,
                   "Open HTTP connections at most; a new one closes the one idle longest, or is answered 503 when none is idle (default 200)")
        ->check(CLI::Range(1, 100000));
    std::size_t http_reply_mib_max = shmq::daemon::EndpointOptions{}.reply_bytes_max >> 20;
    app.add_option("--http-reply-mib-max", http_reply_mib_max,
                   "MiB of replies written but not yet read by their clients, at most; above it requests are answered "
                   "503 until clients read (default 256)")
        ->check(CLI::Range(1, 65536));
    // Timeouts in milliseconds, defaults as EndpointOptions has them; at most an hour.
    constexpr long long http_timeout_ms_max = 3'600'000;
    const shmq::daemon::EndpointOptions defaults;
    long long http_header_timeout_ms = defaults.header_timeout.count();
    long long http_body_timeout_ms = defaults.body_timeout.count();
    long long http_idle_timeout_ms = defaults.idle_timeout.count();
    app.add_option("--http-header-timeout-ms", http_header_timeout_ms,
                   "Time to read a request's head from its first byte; slower connections are closed (default 10000)")
        ->check(CLI::Range(1LL, http_timeout_ms_max));
    app.add_option("--http-body-timeout-ms", http_body_timeout_ms,
                   "Time to read a request's body, and to write a reply (default 30000)")
        ->check(CLI::Range(1LL, http_timeout_ms_max));
    app.add_option("--http-idle-timeout-ms", http_idle_timeout_ms,
                   "Time a keep-alive connection may wait for its next request (default 60000)")
        ->check(CLI::Range(1LL, http_timeout_ms_max));
    std::string credentials;
    app.add_option("--credentials", credentials,
                   "File of 'ACCESS_KEY_ID SECRET_ACCESS_KEY [ACCOUNT_ID [SESSION_TOKEN]]' lines: the endpoint then "
                   "requires SigV4 signatures");
    std::string metrics_token_file;
    app.add_option("--metrics-token-file", metrics_token_file,
                   "With --credentials: GET /metrics also answers 'Authorization: Bearer <token>' with the token this "
                   "file holds (0600), for scrapers that do not sign");
    std::string region = shmq::daemon::SigningScope{}.region;
    app.add_option("--region", region, "Region of the endpoint: signatures are scoped to it, queue ARNs name it (default us-east-1)");
    app.add_option("--key-file", options.key_file,
                   "Key ring of master keys that seal the journal's SSE queues (JSON, 0600; made on first start; "
                   "default DATA_DIR/keys.json)");
    std::string config_file;
    app.add_option("--config", config_file,
                   "Config file (TOML): the queues shmqd keeps, created or updated at every start");
    std::string quarantine_file;
    app.add_option("--quarantine", quarantine_file,
                   "Move this damaged journal file (as named by a refusal to start) into DIR/quarantine/, then exit");
    CLI11_PARSE(app, argc, argv);
    if (!quarantine_file.empty()) {
        return shmq::daemon::quarantine_journal_file(options.data_dir, quarantine_file);
    }
    options.segment_bytes = segment_mib << 20;
    options.scope.region = region;
    shmq::daemon::DaemonConfig config; // read before anything starts: a mistake in it costs nothing
    if (!config_file.empty()) {
        auto read = shmq::daemon::read_config_file(config_file);
        if (!read) {
            std::fprintf(stderr, "shmqd: %s\n", read.error().message.c_str());
            return 2;
        }
        config = std::move(read.value());
    }
    shmq::daemon::EndpointOptions endpoint_options;
    endpoint_options.threads = http_threads;
    endpoint_options.connections_max = http_connections_max;
    endpoint_options.reply_bytes_max = http_reply_mib_max << 20;
    endpoint_options.header_timeout = std::chrono::milliseconds(http_header_timeout_ms);
    endpoint_options.body_timeout = std::chrono::milliseconds(http_body_timeout_ms);
    endpoint_options.idle_timeout = std::chrono::milliseconds(http_idle_timeout_ms);
    if (shmq::Status parsed = shmq::daemon::parse_listen_address(listen, endpoint_options); !parsed) {
        std::fprintf(stderr, "shmqd: %s\n", parsed.message().c_str());
        return 2;
    }
    if (!advertise_url.empty()) {
        if (shmq::Status parsed = shmq::daemon::parse_advertised_url(advertise_url, endpoint_options); !parsed) {
            std::fprintf(stderr, "shmqd: %s\n", parsed.message().c_str());
            return 2;
        }
    }
    if (!credentials.empty()) {
        auto verifier = shmq::daemon::SigV4Verifier::from_file(credentials, {.region = region});
        if (!verifier) {
            std::fprintf(stderr, "shmqd: %s\n", verifier.error().message.c_str());
            return 2;
        }
        endpoint_options.verifier = std::make_shared<const shmq::daemon::SigV4Verifier>(std::move(verifier.value()));
    }
    if (!metrics_token_file.empty()) {
        if (credentials.empty()) {
            std::fprintf(stderr, "shmqd: --metrics-token-file needs --credentials (without them /metrics is open)\n");
            return 2;
        }
        constexpr std::size_t token_bytes_max = 4096;
        constexpr std::size_t token_bytes_min = 16; // a guessable token protects nothing
        auto token = shmq::client::read_private_file(metrics_token_file, token_bytes_max);
        std::string_view text = token ? std::string_view(token.value()) : std::string_view{};
        while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
            text.remove_suffix(1); // the file's final newline
        }
        // What an Authorization header can carry as a bearer token (RFC 6750's b64token).
        const bool token68 = std::all_of(text.begin(), text.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) != 0 || std::strchr("-._~+/=", c) != nullptr;
        });
        if (!token || text.size() < token_bytes_min || !token68) {
            std::fprintf(stderr, "shmqd: metrics token file %s\n",
                         token ? (metrics_token_file + ": must hold one token of at least 16 characters of "
                                                       "A-Z a-z 0-9 - . _ ~ + / =")
                                     .c_str()
                               : token.error().message.c_str());
            return 2;
        }
        endpoint_options.metrics_token = std::string(text);
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
    int stop_pipe[2];
    if (signal_fd < 0 || pipe2(stop_pipe, O_CLOEXEC) != 0) {
        std::perror("shmqd: signalfd or pipe");
        return 1;
    }
    // The stop watchdog: it takes each stop signal and hands it on (the same signalfd_siginfo
    // bytes) through a pipe the daemon's loop polls, then bounds the stop. Stopping waits for the
    // requests in progress (the endpoint drains replies for up to 5 s); a handler stuck for good
    // (a bug, or a call blocked on a lock another process holds) must not keep shmqd alive
    // against SIGTERM. Leaving without it does what a SIGKILL would, which every shared structure
    // and the journal survive. A second stop signal leaves at once.
    // Bridges stop before the daemon's loop is told to (their last writes to a Durability=sync
    // queue need it); the watchdog does it, under running_bridges_mutex, before handing the
    // signal on.
    static std::mutex running_bridges_mutex;
    static shmq::bridge::BridgeSet* running_bridges = nullptr;
    std::thread([signal_fd, stop_fd = stop_pipe[1]] {
        constexpr auto stop_time_max = std::chrono::seconds(10);
        signalfd_siginfo info{};
        ssize_t got = 0;
        do {
            got = read(signal_fd, &info, sizeof info);
        } while (got < 0 && errno == EINTR);
        if (got != static_cast<ssize_t>(sizeof info)) {
            std::perror("shmqd: reading stop signals");
            std::_Exit(1);
        }
        {
            std::lock_guard lock(running_bridges_mutex);
            if (running_bridges != nullptr) {
                running_bridges->stop();
            }
        }
        (void)!write(stop_fd, &info, sizeof info);
        const auto deadline = std::chrono::steady_clock::now() + stop_time_max;
        bool repeated = false;
        for (auto now = std::chrono::steady_clock::now(); !repeated && now < deadline;
             now = std::chrono::steady_clock::now()) {
            pollfd again{signal_fd, POLLIN, 0};
            const auto left_ms = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
            repeated = poll(&again, 1, static_cast<int>(left_ms)) > 0; // EINTR: wait out the rest
        }
        std::fprintf(stderr, "shmqd: %s; exiting without the requests still in progress\n",
                     repeated ? "stop signal repeated" : "not stopped within 10 s");
        std::_Exit(1);
    }).detach();
    shmq::daemon::JournalMetrics metrics; // shared by the daemon's loop and the endpoint's /metrics
    options.metrics = &metrics;
    endpoint_options.metrics = &metrics;
    if (const int refused = shmq::daemon::admit_journal(options.data_dir); refused != 0) {
        return refused;
    }
    auto daemon = shmq::daemon::Daemon::start(options);
    if (!daemon) {
        std::fprintf(stderr, "shmqd: %s\n", daemon.error().message.c_str());
        return 1;
    }
    // The endpoint's own client: the daemon's stays on its thread.
    shmq::ClientOptions client_options;
    client_options.namespace_name = options.namespace_name;
    client_options.group_access = options.group_access;
    client_options.scope = options.scope; // queue ARNs name the region signatures are scoped to
    auto endpoint_client = shmq::Client::open(client_options);
    if (!endpoint_client) {
        std::fprintf(stderr, "shmqd: %s\n", endpoint_client.error().message.c_str());
        return 1;
    }
    endpoint_options.kms_key_exists = [ring = &daemon.value()->key_ring()](std::string_view key_id) {
        return ring->knows(key_id);
    };
    // Declared queues exist before clients are served (the daemon journals them as any other).
    auto applied = shmq::daemon::apply_declared_queues(endpoint_client.value(), config, endpoint_options.kms_key_exists);
    if (!applied) {
        std::fprintf(stderr, "shmqd: %s\n", applied.error().message.c_str());
        return 2;
    }
    for (const std::string& line : applied.value()) {
        std::fprintf(stderr, "shmqd: %s\n", line.c_str());
    }
    std::unique_ptr<shmq::bridge::BridgeSet> bridges; // outlives the endpoint, which shows them
    if (!config.bridges.empty()) {
        auto started = shmq::bridge::BridgeSet::start(endpoint_client.value(), config.bridges, [](const std::string& line) {
            std::fprintf(stderr, "shmqd: %s\n", line.c_str());
        });
        if (!started) {
            std::fprintf(stderr, "shmqd: %s\n", started.error().message.c_str());
            return 2;
        }
        bridges = std::move(started.value());
        endpoint_options.bridges = bridges->views();
        std::lock_guard lock(running_bridges_mutex);
        running_bridges = bridges.get();
    }
    // Whatever way shmqd ends, the watchdog no longer reaches the bridges once they are gone.
    struct ForgetBridges {
        ~ForgetBridges() {
            std::lock_guard lock(running_bridges_mutex);
            running_bridges = nullptr;
        }
    } forget_bridges;
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
    if (shmq::Status status = daemon.value()->run(stop_pipe[0]); !status) {
        std::fprintf(stderr, "shmqd: %s\n", status.message().c_str());
        return 1;
    }
    return 0;
}
