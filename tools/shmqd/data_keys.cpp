// Data keys of sealed journal records (see data_keys.h).
#include "data_keys.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "payload_codec.h"

namespace shmq::daemon {
namespace {

constexpr auto data_key_type = static_cast<std::uint16_t>(journal::RecordType::data_key);

struct DecodedDataKey {
    DataKeyIdentity identity;
    std::int64_t created_ns = 0;
    std::string_view master_key_id;
    std::span<const std::byte> authenticated;
    std::span<const std::byte> box;
};

std::optional<DecodedDataKey> decode(std::span<const std::byte> payload) {
    PayloadReader reader{payload};
    DecodedDataKey out;
    out.identity.queue = reader.text();
    out.identity.id = reader.get<std::uint64_t>();
    out.created_ns = reader.get<std::int64_t>();
    out.master_key_id = reader.text();
    if (!reader.ok || out.identity.id == 0 || reader.rest.size() != sealing_overhead_bytes + sealing_key_bytes) {
        return std::nullopt;
    }
    out.authenticated = payload.first(payload.size() - reader.rest.size());
    out.box = reader.rest;
    return out;
}

} // namespace

std::optional<DataKeyIdentity> identify_data_key(std::span<const std::byte> payload) {
    const auto decoded = decode(payload);
    return decoded ? std::optional(decoded->identity) : std::nullopt;
}

DataKeys::Replayed DataKeys::replay(std::span<const std::byte> payload) {
    const auto decoded = decode(payload);
    if (!decoded) {
        return Replayed::malformed;
    }
    MasterKey* master = ring_ != nullptr ? ring_->by_id(decoded->master_key_id) : nullptr;
    if (master == nullptr) {
        return Replayed::master_missing;
    }
    if (!master->key.open({std::as_bytes(std::span(&data_key_type, 1)), decoded->authenticated}, decoded->box,
                          scratch_) ||
        scratch_.size() != sealing_key_bytes) {
        OPENSSL_cleanse(scratch_.data(), scratch_.size());
        return Replayed::unwrap_failed;
    }
    KeyMaterial material;
    std::memcpy(material.data(), scratch_.data(), material.size());
    OPENSSL_cleanse(scratch_.data(), scratch_.size());
    auto loaded = SealingKey::load(material);
    OPENSSL_cleanse(material.data(), material.size());
    if (!loaded) {
        return Replayed::unwrap_failed;
    }
    keys_[decoded->identity.id] = std::make_unique<DataKey>(DataKey{decoded->identity.id,
                                                                    std::string(decoded->identity.queue),
                                                                    std::string(decoded->master_key_id),
                                                                    decoded->created_ns, 0, std::move(loaded.value())});
    return Replayed::known;
}

Result<DataKey*> DataKeys::current(std::string_view queue, const QueueSealing& sealing, std::int64_t now_ns,
                                   journal::JournalWriter& journal) {
    if (const auto found = current_.find(queue); found != current_.end()) {
        DataKey* key = find(found->second);
        if (key != nullptr && key->master_key_id == sealing.master->id && now_ns - key->created_ns < sealing.reuse_period_ns &&
            now_ns >= key->created_ns && key->sealed_records < data_key_records_max) {
            return key;
        }
    }
    auto material = SealingKey::generate_material();
    if (!material) {
        return material.error();
    }
    // Wiped on every way out, errors included.
    struct Wipe {
        KeyMaterial& material;
        ~Wipe() { OPENSSL_cleanse(material.data(), material.size()); }
    } wipe{material.value()};
    std::uint64_t id = 0;
    while (id == 0 || keys_.contains(id)) {
        if (RAND_bytes(reinterpret_cast<unsigned char*>(&id), sizeof id) != 1) {
            return Error{Errc::system_error, "cannot draw a data key id (OpenSSL RAND_bytes failed)"};
        }
    }
    auto loaded = SealingKey::load(material.value());
    if (!loaded) {
        return loaded.error();
    }
    std::vector<std::byte> payload;
    put_text(payload, queue);
    put(payload, id);
    put(payload, now_ns);
    put_text(payload, sealing.master->id);
    const std::vector<std::byte> authenticated = payload;
    Status wrapped = sealing.master->key.seal({std::as_bytes(std::span(&data_key_type, 1)), authenticated},
                                              material.value(), payload);
    if (!wrapped) {
        return wrapped.error();
    }
    (void)journal.append(journal::RecordType::data_key, payload);
    auto key = std::make_unique<DataKey>(
        DataKey{id, std::string(queue), sealing.master->id, now_ns, 0, std::move(loaded.value())});
    DataKey* out = key.get();
    keys_[id] = std::move(key);
    current_[std::string(queue)] = id;
    return out;
}

DataKey* DataKeys::find(std::uint64_t id) {
    const auto found = keys_.find(id);
    return found == keys_.end() ? nullptr : found->second.get();
}

bool DataKeys::is_current(std::uint64_t id) const {
    const auto found = keys_.find(id);
    if (found == keys_.end()) {
        return false;
    }
    const auto current = current_.find(found->second->queue);
    return current != current_.end() && current->second == id;
}

void DataKeys::retire(std::uint64_t id) {
    if (!is_current(id)) {
        keys_.erase(id);
    }
}

void DataKeys::retire_unused(const std::function<bool(const DataKey&)>& in_use) {
    boost::unordered::erase_if(keys_, [&](const auto& entry) {
        const auto current = current_.find(entry.second->queue);
        return (current == current_.end() || current->second != entry.first) && !in_use(*entry.second);
    });
}

void DataKeys::forget_queue(std::string_view queue) {
    boost::unordered::erase_if(keys_, [&](const auto& entry) { return entry.second->queue == queue; });
    if (const auto found = current_.find(queue); found != current_.end()) {
        current_.erase(found);
    }
}

} // namespace shmq::daemon
