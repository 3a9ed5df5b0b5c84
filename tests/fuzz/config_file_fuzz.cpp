// Fuzz target for shmqd's config file reader (parse_config): TOML text a person wrote, maybe
// wrong in any way, must come back as declared queues with valid names or as one error that
// names the file and a place in it, never a crash or an exception; and bridges whose queue
// and remote queue are valid queue names of one type, with an http(s) endpoint.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "shmq/queue_name.h"
#include "shmqd/config_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto parsed = shmq::daemon::parse_config(text, "fuzz.toml");
    if (!parsed) {
        if (!parsed.error().message.starts_with("fuzz.toml:")) {
            std::abort(); // an error that does not say where
        }
        return 0;
    }
    for (const shmq::daemon::DeclaredQueue& queue : parsed->queues) {
        if (!shmq::QueueName::is_valid(queue.name) || !queue.where.starts_with("fuzz.toml:")) {
            std::abort();
        }
    }
    for (const shmq::bridge::BridgeSettings& bridge : parsed->bridges) {
        const std::string_view remote = bridge.remote_queue_url;
        if (!shmq::QueueName::is_valid(bridge.local_queue) || !bridge.declared_at.starts_with("fuzz.toml:") ||
            !shmq::QueueName::is_valid(remote.substr(remote.rfind('/') + 1)) ||
            remote.ends_with(".fifo") != bridge.local_queue.ends_with(".fifo") ||
            !(bridge.endpoint_url.starts_with("http://") || bridge.endpoint_url.starts_with("https://")) ||
            !(bridge.ca_file.empty() || bridge.ca_file.starts_with('/')) || bridge.requests_in_flight < 1 ||
            bridge.requests_in_flight > shmq::bridge::BridgeSettings::requests_in_flight_max) {
            std::abort();
        }
    }
    return 0;
}
