// Fuzz target for shmqd's HTTP door, everything but the socket: any bytes go to Beast's request
// parser with the endpoint's head and body limits, and a complete request to RequestHandler,
// which tells the protocols apart, reads the JSON body or the Query form and runs the action on
// a real namespace (a temporary one, removed at exit, holding queues q and q.fifo). Whatever
// the bytes, the answer is an HTTP reply with a status and, for an error, a body; never a crash.
// The handler defers what would block (long polls, sync sends, queue management) as an event
// loop's does, so no input can stall the fuzzer. Messages sent by one input stay for the next:
// the state is a namespace's, as a long-running shmqd's is.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "request_handler.h"
#include "shmq/client.h"

namespace {

namespace http = boost::beast::http;

struct Door {
    std::string root; // the temporary folder, removed at exit
    std::unique_ptr<shmq::Client> client;
    shmq::daemon::EndpointOptions options;
    std::unique_ptr<shmq::daemon::RequestHandler> handler;
};

Door& door();

void remove_root() {
    std::error_code ignored;
    std::filesystem::remove_all(door().root, ignored);
}

Door& door() {
    static Door made = [] {
        char root_template[] = "/dev/shm/shmq-http-fuzz-XXXXXX";
        const char* root = mkdtemp(root_template);
        if (root == nullptr) {
            std::perror("mkdtemp");
            std::abort();
        }
        Door built;
        built.root = root;
        shmq::ClientOptions client_options;
        client_options.namespace_name = "fuzz";
        client_options.shm_dir = root;
        auto client = shmq::Client::open(client_options);
        shmq::QueueCapacity capacity;
        capacity.slot_count = 256;
        if (!client || !client->create_queue("q", {}, {}, capacity) ||
            !client->create_queue("q.fifo", {{"FifoQueue", "true"}}, {}, capacity)) {
            std::fprintf(stderr, "http fuzz: cannot set up the namespace\n");
            std::abort();
        }
        built.client = std::make_unique<shmq::Client>(std::move(client.value()));
        built.handler = std::make_unique<shmq::daemon::RequestHandler>(
            *built.client, built.options,
            shmq::api::ServiceOptions{.url_base = "http://127.0.0.1:9324", .blocking = shmq::api::Blocking::deferred});
        return built;
    }();
    static const bool removal_registered = std::atexit(remove_root) == 0;
    (void)removal_registered;
    return made;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Door& fuzz_door = door();
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(fuzz_door.options.header_limit_bytes));
    parser.body_limit(fuzz_door.options.body_limit_bytes);
    parser.eager(true);
    boost::beast::error_code error;
    parser.put(boost::asio::buffer(data, size), error);
    if (!error && !parser.is_done()) {
        parser.put_eof(error); // the client closed: a body without a length ends here
    }
    if (error || !parser.is_done()) {
        // What the endpoint answers a request it cannot read (400 or 413, as an SQS error).
        const auto refused = fuzz_door.handler->refuse_unreadable(
            parser.get(), error == http::error::body_limit ? 413 : 400, error.message());
        if (refused.status < 400 || refused.body.empty()) {
            __builtin_trap();
        }
        return 0;
    }
    const auto reply = fuzz_door.handler->handle(parser.get(), shmq::daemon::Peer{"127.0.0.1", false});
    if (reply && (reply->status < 200 || reply->status > 599)) {
        __builtin_trap();
    }
    return 0;
}
