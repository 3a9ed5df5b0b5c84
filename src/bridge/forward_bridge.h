// A forward bridge: local queue → SQS. It is an ordinary consumer of the local queue (a Queue
// handle, like any client's), so nothing of it touches the shared-memory hot path.
//
// Protocol, on the bridge's own thread:
//   F1 take:    receive up to 10 local messages (visibility visibility_timeout_s, refreshed while
//               held), then more for at most the batch window, up to 10 entries and 1 MiB.
//   F2 send:    one SendMessageBatch through the transport; up to requests_in_flight at once.
//   F3 settle:  entry by entry: accepted (MD5s match) → deleted locally, only now;
//               not the sender's fault → back to the front of what waits, sent again first;
//               the sender's fault → the local queue's dead-letter queue (the reason logged and
//               counted), or, without one, kept in flight locally for 12 hours.
//   F4 circuit: a failed request (throttled, 5xx, no answer) opens the circuit: nothing new is
//               taken while messages wait to be sent again; after a full-jitter backoff one
//               request probes, and a success closes it. A 4xx that retrying cannot fix (bad
//               credentials, no such queue, wrong region) is logged and retried at the slow pace.
//
// Order: a FIFO queue hands out a message group's next message only once the one before is
// deleted or visible again, and the bridge deletes only after SQS accepted; so no two requests in
// flight hold messages of one group, and a retried batch goes out before anything newer. Its
// MessageDeduplicationId is the local MessageId: a message sent again after a crash or a lost
// answer is deduplicated by SQS. A standard queue's messages are carried at least once;
// duplicates only after faults. One corner is not covered: a batch SQS answers with one entry
// failed but retryable (SenderFault false) and a later entry of the same group accepted puts the
// retried entry after it (whole-request failures, throttling, 5xx, timeouts, keep order).
//
// Thread contract: bridge.h.
#pragma once

#include <cstddef>
#include <memory>

#include "bridge/bridge.h"
#include "bridge/bridge_runtime.h"

namespace shmq::bridge {

// Stopping waits for the answers in flight (5 s at most); messages not sent are made visible
// again locally.
class ForwardBridge final : public Bridge {
  public:
    ForwardBridge(BridgeSettings settings, std::shared_ptr<const RemoteEndpoint> remote, BridgeRuntime runtime);
};

} // namespace shmq::bridge
