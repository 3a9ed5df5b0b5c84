// The bridges one shmqd runs: their shared transport, each bridge's endpoint and credentials
// (resolved once, at start, from the standard AWS sources), and their views for /metrics and
// the status. Started after the config's queues exist; stopped before shmqd's loop ends.
//
// Thread contract: start, stop and destroy from one thread at a time; views() from any thread
// while it lives.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bridge/aws_credentials.h"
#include "bridge/bridge.h"
#include "bridge/bridge_metrics.h"
#include "bridge/sqs_transport.h"
#include "shmq/client.h"

namespace shmq::bridge {

class BridgeSet {
  public:
    // Checks each bridge (its local queue exists; credentials and region are found; the region
    // is a region's name) and starts them all, or starts none and says which one and why, with
    // the place in the config file.
    [[nodiscard]] static Result<std::unique_ptr<BridgeSet>>
    start(const Client& client, std::vector<BridgeSettings> bridges, std::function<void(const std::string&)> log,
          const AwsEnvironment& environment = AwsEnvironment::of_process());
    // Stops every bridge (all at once; each waits a few seconds for its last answers). A pull
    // bridge's last writes to a Durability=sync queue need shmqd's loop: stop before it ends.
    void stop();
    ~BridgeSet(); // stops
    BridgeSet(const BridgeSet&) = delete;
    BridgeSet& operator=(const BridgeSet&) = delete;

    [[nodiscard]] const std::vector<BridgeView>& views() const noexcept { return views_; }

  private:
    BridgeSet() = default;
    std::unique_ptr<SqsTransport> transport_;
    std::vector<std::unique_ptr<Bridge>> bridges_;
    std::vector<BridgeView> views_;
};

// The region a queue URL of SQS names (https://sqs.REGION.amazonaws.com/..., or the older
// https://REGION.queue.amazonaws.com/...); empty for any other host.
[[nodiscard]] std::string region_of_queue_url(std::string_view queue_url);

} // namespace shmq::bridge
