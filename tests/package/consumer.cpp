// Goal: an installed shmq is usable from another CMake project (find_package, shmq::shmq):
// create a queue, send, receive, delete. Exit status is the verdict.
#include <unistd.h>

#include <cstdio>
#include <shmq/client.h>
#include <string>

int main() {
    shmq::ClientOptions options;
    options.namespace_name = "package-" + std::to_string(getpid());
    auto client = shmq::Client::open(options);
    if (!client || !client->create_queue("q")) {
        return 1;
    }
    auto queue = client->open_queue("q");
    if (!queue || !queue->send({.body = "installed"})) {
        return 2;
    }
    shmq::ReceiveRequest request;
    request.wait_time_s = 0;
    auto received = queue->receive(request);
    const bool ok = received && received->size() == 1 && received->front().body == "installed" &&
                    queue->delete_message(received->front().receipt_handle).ok();
    (void)client->delete_queue("q");
    rmdir(client->namespace_dir().c_str());
    std::puts(ok ? "package consumer: ok" : "package consumer: FAILED");
    return ok ? 0 : 3;
}
