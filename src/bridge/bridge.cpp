// A bridge's thread (see bridge.h).
#include "bridge.h"

#include "bridge/bridge_core.h"

namespace shmq::bridge {

Bridge::Bridge(std::unique_ptr<BridgeCore> core) : core_(std::move(core)) {}

Bridge::~Bridge() {
    stop();
}

void Bridge::start() {
    thread_ = std::jthread([core = core_.get()](std::stop_token stop) { core->run(stop); });
}

void Bridge::request_stop() {
    thread_.request_stop();
    core_->interrupt();
}

void Bridge::stop() {
    if (!thread_.joinable()) {
        return;
    }
    request_stop();
    thread_.join();
}

const BridgeSettings& Bridge::settings() const noexcept {
    return core_->settings;
}
const BridgeMetrics& Bridge::metrics() const noexcept {
    return core_->metrics;
}

} // namespace shmq::bridge
