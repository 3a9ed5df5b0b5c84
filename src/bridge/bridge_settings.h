// One bridge as shmqd's config file declares it: which local queue, which way, which remote
// queue, and how hard to drive it. Checked values (config_file.cpp refuses what breaks a rule
// here, with the file's line and key).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace shmq::bridge {

enum class Direction {
    forward, // local queue → SQS: a consumer of the local queue, deleting only after SQS accepted
    pull,    // SQS → local queue: a consumer of the remote queue, deleting remotely only once local
};

struct BridgeSettings {
    std::string name;        // the config's key, for logs, status and metrics
    std::string declared_at; // "FILE:LINE:COLUMN" of its config table, for errors about it
    std::string local_queue; // a queue name of shmqd's namespace
    Direction direction = Direction::forward;
    std::string remote_queue_url; // https://sqs.REGION.amazonaws.com/ACCOUNT/NAME
    std::string region;           // empty: AWS_REGION, AWS_DEFAULT_REGION, then the profile's
    std::string endpoint_url;     // where requests go; the config file's default: the queue URL's origin
    std::string profile;          // empty: the environment, then AWS_PROFILE or "default"
    // PEM file of the certificate authorities an https endpoint_url is checked against (a TLS
    // proxy, an emulator with its own CA); empty: the system's CA store.
    std::string ca_file;
    // Forward: SendMessageBatch requests at once. Pull: ReceiveMessage long polls at once.
    std::uint32_t requests_in_flight = 4;
    // Forward: how long a batch waits for more messages after its first one.
    std::chrono::milliseconds batch_window{10};
    // How long a message the bridge holds stays invisible to others (renewed while held): a local
    // one a forward bridge sends, a remote one a pull bridge writes. After a crash of shmqd, what
    // it held comes back (and is carried again) after this.
    std::int32_t visibility_timeout_s = 60;

    static constexpr std::uint32_t requests_in_flight_max = 64;
    static constexpr std::chrono::milliseconds batch_window_max{10'000};
    static constexpr std::int32_t visibility_timeout_s_min = 2;
    static constexpr std::int32_t visibility_timeout_s_max = 43'200;
};

} // namespace shmq::bridge
