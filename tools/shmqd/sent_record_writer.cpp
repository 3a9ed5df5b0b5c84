// Message records, plain or sealed (see sent_record_writer.h).
#include "sent_record_writer.h"

namespace shmq::daemon {

Result<SentRecordWriter::Written> SentRecordWriter::append(journal::RecordType type, const SentMessage& message,
                                                           const QueueSealing& sealing, std::int64_t now_ns,
                                                           journal::JournalWriter& journal) {
    if (sealing.master == nullptr) {
        encode_sent(message, payload_);
        const std::uint64_t sequence = journal.append(type, payload_);
        return Written{sequence, static_cast<std::uint32_t>(journal::framed_size(payload_.size())), 0};
    }
    auto key = keys_.current(message.queue, sealing, now_ns, journal);
    if (!key) {
        return key.error();
    }
    if (Status sealed = encode_sealed_sent(message, type, (*key)->id, (*key)->key, plaintext_, payload_); !sealed) {
        return sealed.error();
    }
    ++(*key)->sealed_records;
    const std::uint64_t sequence = journal.append(type, payload_, journal::record_flag_sealed);
    return Written{sequence, static_cast<std::uint32_t>(journal::framed_size(payload_.size())), (*key)->id};
}

SentRecordWriter::Opened SentRecordWriter::open(SentMessage& message, journal::RecordType type) {
    if (message.data_key_id == 0) {
        return Opened::plain;
    }
    DataKey* key = keys_.find(message.data_key_id);
    if (key == nullptr || key->queue != message.queue) {
        return Opened::key_unknown;
    }
    return open_sent(message, type, key->key, opened_) ? Opened::opened : Opened::failed;
}

} // namespace shmq::daemon
