// A running bridge: its loop (a BridgeCore: ForwardBridge's or PullBridge's) on a thread of its
// own, started and stopped from outside, its settings and metrics readable from any thread.
//
// Thread contract: start(), request_stop() and stop() from one thread; settings() and metrics()
// from any.
#pragma once

#include <memory>
#include <thread>

#include "bridge/bridge_metrics.h"
#include "bridge/bridge_settings.h"

namespace shmq::bridge {

class BridgeCore;

class Bridge {
  public:
    virtual ~Bridge(); // stop()
    Bridge(const Bridge&) = delete;
    Bridge& operator=(const Bridge&) = delete;

    void start();
    // Asks the bridge to stop without waiting (so that many stop at once); stop() waits.
    void request_stop();
    // Returns once the bridge's thread ended (what each direction settles first: its header).
    void stop();

    [[nodiscard]] const BridgeSettings& settings() const noexcept;
    [[nodiscard]] const BridgeMetrics& metrics() const noexcept;

  protected:
    explicit Bridge(std::unique_ptr<BridgeCore> core);

  private:
    std::unique_ptr<BridgeCore> core_;
    std::jthread thread_; // declared after core_: ends before it
};

} // namespace shmq::bridge
