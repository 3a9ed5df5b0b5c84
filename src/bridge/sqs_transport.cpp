// libcurl multi on a thread of its own (see sqs_transport.h). libcurl's errors are converted to
// SqsReply values here and nowhere else.
#include "sqs_transport.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <curl/curl.h>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

namespace shmq::bridge {

namespace {

void global_init_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            std::abort(); // no TLS, no sockets: nothing a bridge could do
        }
    });
}

bool header_named(std::string_view line, std::string_view name) {
    if (line.size() <= name.size() || line[name.size()] != ':') {
        return false;
    }
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) {
            return false;
        }
    }
    return true;
}

std::string_view trimmed(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == '\r' || text.back() == '\n' || text.back() == ' ')) {
        text.remove_suffix(1);
    }
    return text;
}

} // namespace

std::string sqs_endpoint_url(std::string_view region) {
    return "https://sqs." + std::string(region) + ".amazonaws.com/";
}

// One request: its easy handle and everything libcurl reads or writes while it runs.
struct Request {
    std::shared_ptr<const RemoteEndpoint> endpoint;
    std::string action;
    std::string body;
    SqsTransport::Completion completion;
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    std::string sigv4_scope;
    std::string reply_body;
    std::string query_error;
    std::size_t reply_bytes_max = 0;
    bool reply_too_long = false;
    char error_text[CURL_ERROR_SIZE] = {};
    std::chrono::steady_clock::time_point started;

    Request() = default;
    Request(const Request&) = delete;
    Request& operator=(const Request&) = delete;
    ~Request() {
        if (easy != nullptr) {
            curl_easy_cleanup(easy);
        }
        curl_slist_free_all(headers);
    }

    static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* context) {
        auto* request = static_cast<Request*>(context);
        const std::size_t bytes = size * count;
        if (request->reply_body.size() + bytes > request->reply_bytes_max) {
            request->reply_too_long = true;
            return 0; // fails the transfer (CURLE_WRITE_ERROR)
        }
        request->reply_body.append(data, bytes);
        return bytes;
    }

    static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* context) {
        auto* request = static_cast<Request*>(context);
        const std::string_view line(data, size * count);
        if (header_named(line, "x-amzn-query-error")) {
            request->query_error = std::string(trimmed(line.substr(line.find(':') + 1)));
        }
        return size * count;
    }

    // Prepares the easy handle; false if libcurl refused an option (then nothing was sent).
    bool prepare(const TransportOptions& options) {
        easy = curl_easy_init();
        if (easy == nullptr) {
            return false;
        }
        reply_bytes_max = options.reply_bytes_max;
        const RemoteEndpoint& remote = *endpoint;
        sigv4_scope = "aws:amz:" + remote.region + ":sqs";
        headers = curl_slist_append(headers, "Content-Type: application/x-amz-json-1.0");
        headers = curl_slist_append(headers, ("X-Amz-Target: AmazonSQS." + action).c_str());
        if (!remote.credentials.session_token.empty()) {
            // Signed with the rest, as the SDKs send it.
            headers = curl_slist_append(headers, ("X-Amz-Security-Token: " + remote.credentials.session_token).c_str());
        }
        bool ok = headers != nullptr;
        const auto set = [&](CURLoption option, auto value) {
            ok = ok && curl_easy_setopt(easy, option, value) == CURLE_OK;
        };
        set(CURLOPT_URL, remote.url.c_str());
        set(CURLOPT_PROTOCOLS_STR, "http,https");
        if (!remote.ca_file.empty()) {
            set(CURLOPT_CAINFO, remote.ca_file.c_str()); // peer and host are verified either way
        }
        set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
        set(CURLOPT_NOSIGNAL, 1L);
        set(CURLOPT_TCP_KEEPALIVE, 1L);
        set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
        set(CURLOPT_TIMEOUT_MS, static_cast<long>(options.request_timeout.count()));
        set(CURLOPT_HTTPHEADER, headers);
        set(CURLOPT_POST, 1L);
        // libcurl asks a body over 1 MiB to be expected (100-continue) and would wait for it; it
        // must not be taken out with an "Expect:" header, which CURLOPT_AWS_SIGV4 then signs
        // although it is not sent (checked against shmqd's verifier): send at once instead.
        set(CURLOPT_EXPECT_100_TIMEOUT_MS, 0L);
        set(CURLOPT_POSTFIELDS, body.data());
        set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
        set(CURLOPT_AWS_SIGV4, sigv4_scope.c_str());
        set(CURLOPT_USERNAME, remote.credentials.access_key_id.c_str());
        set(CURLOPT_PASSWORD, remote.credentials.secret_access_key.c_str());
        set(CURLOPT_WRITEFUNCTION, &Request::on_body);
        set(CURLOPT_WRITEDATA, this);
        set(CURLOPT_HEADERFUNCTION, &Request::on_header);
        set(CURLOPT_HEADERDATA, this);
        set(CURLOPT_ERRORBUFFER, error_text);
        set(CURLOPT_PRIVATE, this);
        return ok;
    }

    [[nodiscard]] SqsReply reply_for(CURLcode result) const {
        SqsReply reply;
        if (result == CURLE_OK) {
            long status = 0;
            curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
            reply = read_sqs_reply(status, reply_body, query_error);
        } else if (reply_too_long) {
            reply.kind = ReplyKind::server_error;
            reply.error_code = "ReplyTooLong";
            reply.error_message = "the answer was longer than " + std::to_string(reply_bytes_max) + " bytes";
        } else {
            // A certificate that does not verify, a CA file that cannot be read, a URL libcurl
            // refuses: the same request again cannot help, so it goes at the slow pace.
            const bool needs_fixing = result == CURLE_PEER_FAILED_VERIFICATION || result == CURLE_SSL_CACERT_BADFILE ||
                                      result == CURLE_SSL_CERTPROBLEM || result == CURLE_SSL_ISSUER_ERROR ||
                                      result == CURLE_SSL_PINNEDPUBKEYNOTMATCH || result == CURLE_URL_MALFORMAT ||
                                      result == CURLE_UNSUPPORTED_PROTOCOL;
            reply.kind = needs_fixing ? ReplyKind::client_error : ReplyKind::no_response;
            reply.error_code = needs_fixing ? "RequestNotSent" : "";
            reply.error_message = error_text[0] != '\0' ? error_text : curl_easy_strerror(result);
        }
        reply.latency = std::chrono::steady_clock::now() - started;
        return reply;
    }
};

struct SqsTransport::Loop {
    TransportOptions options;
    CURLM* multi = nullptr;
    std::mutex mutex;
    std::vector<std::unique_ptr<Request>> submitted; // guarded by mutex
    bool stopping = false;                           // guarded by mutex
    std::atomic<std::size_t> in_flight{0};
    std::list<std::unique_ptr<Request>> running; // the loop thread's own
    std::thread thread;

    static void complete(std::unique_ptr<Request> request, SqsReply&& reply, std::atomic<std::size_t>& in_flight) {
        SqsTransport::Completion completion = std::move(request->completion);
        request.reset();
        in_flight.fetch_sub(1, std::memory_order_acq_rel);
        completion(std::move(reply));
    }

    static SqsReply stopped_reply() {
        SqsReply reply;
        reply.kind = ReplyKind::no_response;
        reply.error_message = "the bridge's transport stopped";
        return reply;
    }

    void start(std::vector<std::unique_ptr<Request>>& batch) {
        for (std::unique_ptr<Request>& request : batch) {
            request->started = std::chrono::steady_clock::now();
            if (!request->prepare(options) || curl_multi_add_handle(multi, request->easy) != CURLM_OK) {
                SqsReply reply;
                reply.kind = ReplyKind::no_response;
                reply.error_message = "libcurl refused the request";
                complete(std::move(request), std::move(reply), in_flight);
                continue;
            }
            running.push_back(std::move(request));
        }
        batch.clear();
    }

    void finish_done() {
        int queued = 0;
        while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
            if (message->msg != CURLMSG_DONE) {
                continue;
            }
            CURL* easy = message->easy_handle;
            const CURLcode result = message->data.result;
            curl_multi_remove_handle(multi, easy);
            const auto it = std::find_if(running.begin(), running.end(), [&](const std::unique_ptr<Request>& request) {
                return request->easy == easy;
            });
            if (it == running.end()) {
                continue;
            }
            std::unique_ptr<Request> request = std::move(*it);
            running.erase(it);
            SqsReply reply = request->reply_for(result);
            complete(std::move(request), std::move(reply), in_flight);
        }
    }

    void run() {
        std::vector<std::unique_ptr<Request>> batch;
        for (;;) {
            {
                std::lock_guard lock(mutex);
                if (stopping) {
                    break;
                }
                batch.swap(submitted);
            }
            start(batch);
            int still_running = 0;
            curl_multi_perform(multi, &still_running);
            finish_done();
            curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
        }
        for (std::unique_ptr<Request>& request : running) {
            curl_multi_remove_handle(multi, request->easy);
            complete(std::move(request), stopped_reply(), in_flight);
        }
        running.clear();
        std::vector<std::unique_ptr<Request>> late;
        {
            std::lock_guard lock(mutex);
            late.swap(submitted);
        }
        for (std::unique_ptr<Request>& request : late) {
            complete(std::move(request), stopped_reply(), in_flight);
        }
    }
};

SqsTransport::SqsTransport(TransportOptions options) : loop_(std::make_unique<Loop>()) {
    global_init_once();
    loop_->options = options;
    loop_->multi = curl_multi_init();
    if (loop_->multi == nullptr ||
        curl_multi_setopt(loop_->multi, CURLMOPT_MAX_HOST_CONNECTIONS, options.connections_per_host_max) != CURLM_OK) {
        std::abort();
    }
    loop_->thread = std::thread([loop = loop_.get()] { loop->run(); });
}

SqsTransport::~SqsTransport() {
    {
        std::lock_guard lock(loop_->mutex);
        loop_->stopping = true;
    }
    curl_multi_wakeup(loop_->multi);
    loop_->thread.join();
    curl_multi_cleanup(loop_->multi);
}

void SqsTransport::submit(std::shared_ptr<const RemoteEndpoint> endpoint, std::string_view action, std::string body,
                          Completion completion) {
    auto request = std::make_unique<Request>();
    request->endpoint = std::move(endpoint);
    request->action = std::string(action);
    request->body = std::move(body);
    request->completion = std::move(completion);
    loop_->in_flight.fetch_add(1, std::memory_order_acq_rel);
    bool stopped = false;
    {
        std::lock_guard lock(loop_->mutex);
        stopped = loop_->stopping;
        if (!stopped) {
            loop_->submitted.push_back(std::move(request));
        }
    }
    if (stopped) {
        Loop::complete(std::move(request), Loop::stopped_reply(), loop_->in_flight);
        return;
    }
    curl_multi_wakeup(loop_->multi);
}

std::size_t SqsTransport::in_flight() const noexcept {
    return loop_->in_flight.load(std::memory_order_acquire);
}

} // namespace shmq::bridge
