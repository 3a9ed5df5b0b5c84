// The C API (include/shmq/shmq.h) over the C++ API. Errors become codes plus a per-thread
// message; received bodies are copied into per-handle storage so the C caller needs no
// lifetime rules beyond "until the next receive".
#include <cstring>
#include <string>
#include <vector>

#include "shmq/client.h"
#include "shmq/shmq.h"

struct shmq_client {
    shmq::Client client;
};

struct shmq_queue {
    shmq::Queue queue;
    std::vector<std::string> bodies;
};

namespace {

thread_local std::string last_error;

shmq_errc fail(const shmq::Error& error) {
    last_error = error.message;
    return static_cast<shmq_errc>(error.code);
}

shmq_errc succeed() {
    last_error.clear();
    return SHMQ_OK;
}

void copy_text(char* out, std::size_t capacity, const std::string& text) {
    const std::size_t n = std::min(capacity - 1, text.size());
    std::memcpy(out, text.data(), n);
    out[n] = '\0';
}

} // namespace

extern "C" {

const char* shmq_last_error_message(void) {
    return last_error.c_str();
}

const char* shmq_error_code(shmq_errc code) {
    // Views into static storage: sqs_error_code returns literals.
    return shmq::sqs_error_code(static_cast<shmq::Errc>(code)).data();
}

shmq_errc shmq_client_open(const char* namespace_name, shmq_client** out) {
    shmq::ClientOptions options;
    if (namespace_name != nullptr) {
        options.namespace_name = namespace_name;
    }
    auto client = shmq::Client::open(options);
    if (!client) {
        return fail(client.error());
    }
    *out = new shmq_client{std::move(client.value())};
    return succeed();
}

void shmq_client_close(shmq_client* client) {
    delete client;
}

shmq_errc shmq_create_queue(shmq_client* client, const char* name, const char* const* attributes,
                            size_t attribute_count) {
    shmq::QueueAttributes map;
    for (std::size_t i = 0; i < attribute_count; ++i) {
        const std::string pair = attributes[i];
        const std::size_t equals = pair.find('=');
        if (equals == std::string::npos) {
            return fail({shmq::Errc::invalid_parameter_value, "attribute '" + pair + "' is not Name=Value"});
        }
        map.emplace(pair.substr(0, equals), pair.substr(equals + 1));
    }
    auto url = client->client.create_queue(name, map);
    return url ? succeed() : fail(url.error());
}

shmq_errc shmq_delete_queue(shmq_client* client, const char* name) {
    const shmq::Status status = client->client.delete_queue(name);
    return status ? succeed() : fail(status.error());
}

shmq_errc shmq_queue_open(shmq_client* client, const char* name, shmq_queue** out) {
    auto queue = client->client.open_queue(name);
    if (!queue) {
        return fail(queue.error());
    }
    *out = new shmq_queue{std::move(queue.value()), {}};
    return succeed();
}

void shmq_queue_close(shmq_queue* queue) {
    delete queue;
}

shmq_errc shmq_send(shmq_queue* queue, const void* body, size_t body_size, int32_t delay_seconds,
                    char* message_id_out) {
    shmq::SendEntry entry;
    entry.body = {static_cast<const char*>(body), body_size};
    entry.delay_seconds = delay_seconds;
    auto id = queue->queue.send(entry);
    if (!id) {
        return fail(id.error());
    }
    if (message_id_out != nullptr) {
        copy_text(message_id_out, 37, id->to_string());
    }
    return succeed();
}

shmq_errc shmq_receive(shmq_queue* queue, uint32_t max_messages, int32_t visibility_timeout_s, int32_t wait_time_s,
                       shmq_message* messages, uint32_t* received_out) {
    shmq::ReceiveRequest request;
    request.max_number_of_messages = max_messages;
    request.visibility_timeout_s = visibility_timeout_s;
    request.wait_time_s = wait_time_s;
    queue->bodies.clear();
    std::uint32_t index = 0;
    auto received = queue->queue.receive_views(request, [&](const shmq::MessageView& view) {
        queue->bodies.emplace_back(view.body);
        shmq_message& out = messages[index++];
        out.receive_count = view.receive_count;
        out.sent_timestamp_ms = view.sent_timestamp_ms;
        copy_text(out.message_id, sizeof out.message_id, view.message_id.to_string());
        copy_text(out.receipt_handle, sizeof out.receipt_handle, view.receipt_handle.to_string());
    });
    if (!received) {
        return fail(received.error());
    }
    for (std::uint32_t i = 0; i < index; ++i) {
        messages[i].body = queue->bodies[i].data();
        messages[i].body_size = queue->bodies[i].size();
    }
    *received_out = index;
    return succeed();
}

shmq_errc shmq_delete(shmq_queue* queue, const char* receipt_handle) {
    auto handle = shmq::ReceiptHandle::parse(receipt_handle);
    if (!handle) {
        return fail(handle.error());
    }
    const shmq::Status status = queue->queue.delete_message(handle.value());
    return status ? succeed() : fail(status.error());
}

shmq_errc shmq_change_visibility(shmq_queue* queue, const char* receipt_handle, int32_t timeout_s) {
    auto handle = shmq::ReceiptHandle::parse(receipt_handle);
    if (!handle) {
        return fail(handle.error());
    }
    const shmq::Status status = queue->queue.change_visibility(handle.value(), timeout_s);
    return status ? succeed() : fail(status.error());
}

} // extern "C"
