// A pull bridge: SQS → local queue. It is an ordinary consumer of the remote queue and an
// ordinary sender to the local one (a Queue handle, like any client's).
//
// Protocol, on the bridge's own thread:
//   P1 poll:    up to requests_in_flight ReceiveMessage long polls (10 messages, 20 s, remote
//               visibility visibility_timeout_s) in flight, while fewer than pending_max messages
//               wait to be written locally.
//   P2 write:   waiting messages are sent to the local queue (a Durability=sync queue's send
//               returns after its fdatasync). FIFO: MessageGroupId carried, the
//               MessageDeduplicationId is the remote MessageId, so a message SQS delivers again
//               (its delete lost in a crash) is dropped by the local queue's deduplication; a
//               batch takes at most one message of a group, so a failed write never lets a
//               later message of its group pass it.
//   P3 delete:  only written messages are deleted remotely, with DeleteMessageBatch (10 per
//               request); a failed delete is retried.
//   P4 extend:  a message that waits long to be written (a full local queue) gets its remote
//               visibility extended (ChangeMessageVisibilityBatch) before it would lapse.
//   P5 circuit: a failed poll opens the circuit (bridge_core.h).
//
// Thread contract: bridge.h.
#pragma once

#include <cstddef>
#include <memory>

#include "bridge/bridge.h"
#include "bridge/bridge_runtime.h"

namespace shmq::bridge {

// Stopping writes what was received locally and deletes it remotely (deletes waited for, a few
// seconds at most); long polls in flight are left to end (what they take becomes visible
// remotely again after visibility_timeout_s).
class PullBridge final : public Bridge {
  public:
    // Messages received from SQS and not yet written locally, beyond which no poll is started.
    static constexpr std::size_t pending_max = 200;

    PullBridge(BridgeSettings settings, std::shared_ptr<const RemoteEndpoint> remote, BridgeRuntime runtime);
};

} // namespace shmq::bridge
