// Fuzz target for shmqd's config file reader (parse_config): TOML text a person wrote, maybe
// wrong in any way, must come back as declared queues with valid names or as one error that
// names the file and a place in it, never a crash or an exception.
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
    return 0;
}
