// SentRecordWriter: writes a queue's message_sent and message_remembered records as its sealing
// asks (plain, or sealed under the queue's current data key: message_records.h, data_keys.h), and
// opens sealed ones read back. One per shmqd, used by its journal thread only; the views open()
// hands out are valid until its next call.
#pragma once

#include <cstdint>
#include <vector>

#include "data_keys.h"
#include "journal/journal_writer.h"
#include "message_records.h"

namespace shmq::daemon {

class SentRecordWriter {
  public:
    explicit SentRecordWriter(DataKeys& keys) : keys_(keys) {}

    struct Written {
        std::uint64_t sequence = 0;
        std::uint32_t bytes = 0;       // framed
        std::uint64_t data_key_id = 0; // 0: plain
    };
    // Appends message as a record of type (message_sent or message_remembered); fails only when
    // sealing does (no key can be made): nothing is appended then, never a plain record instead.
    [[nodiscard]] Result<Written> append(journal::RecordType type, const SentMessage& message,
                                         const QueueSealing& sealing, std::int64_t now_ns,
                                         journal::JournalWriter& journal);

    enum class Opened { plain, opened, key_unknown, failed };
    // A decoded record of type: plain ones as they are; sealed ones get their body and attributes
    // (views valid until the next call), or say why not.
    [[nodiscard]] Opened open(SentMessage& message, journal::RecordType type);

  private:
    DataKeys& keys_;
    std::vector<std::byte> payload_;
    std::vector<std::byte> plaintext_; // what append seals
    std::vector<std::byte> opened_;    // what open hands out views of: compaction appends what it opened
};

} // namespace shmq::daemon
