/* Goal: the C header compiles as C and the C API round-trips a message (send, receive, delete)
 * and reports SQS errors. Method: a plain C program; exit status is the verdict. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shmq/shmq.h"

#define EXPECT(condition)                                                    \
    do {                                                                     \
        if (!(condition)) {                                                  \
            fprintf(stderr, "FAILED %s:%d: %s (%s)\n", __FILE__, __LINE__, #condition, \
                    shmq_last_error_message());                              \
            return 1;                                                        \
        }                                                                    \
    } while (0)

int main(void) {
    char namespace_name[64];
    snprintf(namespace_name, sizeof namespace_name, "c-api-%d", (int)getpid());
    shmq_client* client = NULL;
    EXPECT(shmq_client_open(namespace_name, &client) == SHMQ_OK);
    const char* attributes[] = {"VisibilityTimeout=5"};
    EXPECT(shmq_create_queue(client, "from-c", attributes, 1) == SHMQ_OK);
    shmq_queue* queue = NULL;
    EXPECT(shmq_queue_open(client, "from-c", &queue) == SHMQ_OK);
    char id[37];
    EXPECT(shmq_send(queue, "hello from C", 12, -1, id) == SHMQ_OK);
    EXPECT(strlen(id) == 36);
    shmq_message messages[10];
    uint32_t received = 0;
    EXPECT(shmq_receive(queue, 10, -1, 0, messages, &received) == SHMQ_OK);
    EXPECT(received == 1);
    EXPECT(messages[0].body_size == 12 && memcmp(messages[0].body, "hello from C", 12) == 0);
    EXPECT(strcmp(messages[0].message_id, id) == 0);
    EXPECT(shmq_delete(queue, messages[0].receipt_handle) == SHMQ_OK);
    EXPECT(shmq_delete(queue, "not a handle") != SHMQ_OK);
    EXPECT(strcmp(shmq_error_code(shmq_send(queue, "", 0, -1, NULL)), "MissingParameter") == 0);
    shmq_queue_close(queue);
    shmq_queue* missing = NULL;
    EXPECT(strcmp(shmq_error_code(shmq_queue_open(client, "nope", &missing)),
                  "AWS.SimpleQueueService.NonExistentQueue") == 0);
    EXPECT(shmq_delete_queue(client, "from-c") == SHMQ_OK);
    shmq_client_close(client);
    char path[128];
    snprintf(path, sizeof path, "/dev/shm/shmq/%s", namespace_name);
    rmdir(path);
    printf("c api: ok\n");
    return 0;
}
