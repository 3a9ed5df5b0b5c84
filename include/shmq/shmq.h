/* The C API of libshmq, for FFI (Python ctypes, Rust, Go, ...). A thin layer over the C++ API
 * (shmq/client.h, shmq/queue.h) with the same semantics: handles are opaque, every call returns
 * an shmq_errc (0 on success), and the last error's text is kept per thread
 * (shmq_last_error_message). Thread contract as in C++: a client may be shared; a queue handle
 * is used by one thread at a time. */
#ifndef SHMQ_SHMQ_H
#define SHMQ_SHMQ_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct shmq_client shmq_client;
typedef struct shmq_queue shmq_queue;

/* Values of shmq::Errc. */
typedef int shmq_errc;
#define SHMQ_OK 0

/* Text of the last error on this thread (valid until the next call on this thread). */
const char* shmq_last_error_message(void);
/* SQS error code of an shmq_errc, e.g. "AWS.SimpleQueueService.NonExistentQueue". */
const char* shmq_error_code(shmq_errc code);

/* namespace_name may be NULL: $SHMQ_NAMESPACE, then "default". */
shmq_errc shmq_client_open(const char* namespace_name, shmq_client** out);
void shmq_client_close(shmq_client* client);

/* attributes: NULL or "Name=Value" strings, attribute_count of them. */
shmq_errc shmq_create_queue(shmq_client* client, const char* name, const char* const* attributes,
                            size_t attribute_count);
shmq_errc shmq_delete_queue(shmq_client* client, const char* name);

shmq_errc shmq_queue_open(shmq_client* client, const char* name, shmq_queue** out);
void shmq_queue_close(shmq_queue* queue);

/* Sends one message; message_id_out (37 bytes) receives the MessageId text when not NULL. */
shmq_errc shmq_send(shmq_queue* queue, const void* body, size_t body_size, int32_t delay_seconds, char* message_id_out);

/* One received message, valid until the next receive on the same queue handle. */
typedef struct shmq_message {
    const char* body;
    size_t body_size;
    char message_id[37];
    char receipt_handle[41];
    uint32_t receive_count;
    int64_t sent_timestamp_ms;
} shmq_message;

/* Receives up to max_messages (1..10) into messages; *received_out tells how many.
 * visibility_timeout_s and wait_time_s: -1 for the queue's settings. */
shmq_errc shmq_receive(shmq_queue* queue, uint32_t max_messages, int32_t visibility_timeout_s, int32_t wait_time_s,
                       shmq_message* messages, uint32_t* received_out);
shmq_errc shmq_delete(shmq_queue* queue, const char* receipt_handle);
shmq_errc shmq_change_visibility(shmq_queue* queue, const char* receipt_handle, int32_t timeout_s);

#ifdef __cplusplus
}
#endif

#endif /* SHMQ_SHMQ_H */
