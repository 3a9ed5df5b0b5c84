// FIFO identifiers (see fifo_ids.h).
#include "sqs/fifo_ids.h"

#include <array>
#include <openssl/evp.h>

#define XXH_INLINE_ALL // header-only XXH3: no library to link
#include <xxhash.h>

#include "shmq/limits.h"

namespace shmq::sqs {
namespace {

layout::FifoKey key_of(const XXH128_hash_t& hash) noexcept {
    layout::FifoKey key{hash.high64, hash.low64};
    if (key == layout::FifoKey{}) {
        key.low = 1; // {0, 0} marks an unused table entry
    }
    return key;
}

} // namespace

Status invalid_fifo_id(std::string_view parameter, std::string_view value) {
    return {Errc::invalid_parameter_value,
            "Value " + std::string(value) + " for parameter " + std::string(parameter) +
                " is invalid. Reason: " + std::string(parameter) +
                " can only include alphanumeric and punctuation characters. 1 to 128 in length."};
}

bool is_valid_fifo_id(std::string_view id) noexcept {
    if (id.empty() || id.size() > limits::fifo_id_length_max) {
        return false;
    }
    // Printable ASCII without space (alphanumerics and punctuation), checked without a branch
    // per character so the compiler vectorizes it: ids are checked on every FIFO send.
    unsigned outside = 0;
    for (const char c : id) {
        outside |= static_cast<unsigned>(static_cast<unsigned char>(c) - unsigned{'!'}) > unsigned{'~' - '!'} ? 1u : 0u;
    }
    return outside == 0;
}

Status validate_fifo_fields(const SendEntry& entry, bool fifo_queue, bool content_based_deduplication) {
    if (!fifo_queue) {
        if (!entry.message_deduplication_id.empty()) {
            return {Errc::invalid_parameter_value,
                    "Value " + std::string(entry.message_deduplication_id) +
                        " for parameter MessageDeduplicationId is invalid. Reason: The request include parameter that "
                        "is not valid for this queue type."};
        }
        if (!entry.message_group_id.empty() && !is_valid_fifo_id(entry.message_group_id)) {
            return invalid_fifo_id("MessageGroupId", entry.message_group_id);
        }
        return {};
    }
    if (entry.delay_seconds > 0) {
        return {Errc::invalid_parameter_value, "Value " + std::to_string(entry.delay_seconds) +
                                                   " for parameter DelaySeconds is invalid. Reason: The request "
                                                   "include parameter that is not valid for this queue type."};
    }
    if (entry.message_group_id.empty()) {
        return {Errc::missing_parameter, "The request must contain the parameter MessageGroupId."};
    }
    if (!is_valid_fifo_id(entry.message_group_id)) {
        return invalid_fifo_id("MessageGroupId", entry.message_group_id);
    }
    if (entry.message_deduplication_id.empty()) {
        if (!content_based_deduplication) {
            return {Errc::invalid_parameter_value, "The queue should either have ContentBasedDeduplication enabled or "
                                                   "MessageDeduplicationId provided explicitly"};
        }
    } else if (!is_valid_fifo_id(entry.message_deduplication_id)) {
        return invalid_fifo_id("MessageDeduplicationId", entry.message_deduplication_id);
    }
    return {};
}

std::string content_deduplication_id(std::string_view body) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    EVP_Digest(body.data(), body.size(), digest.data(), &length, EVP_sha256(), nullptr);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * length);
    for (unsigned int i = 0; i < length; ++i) {
        out.push_back(hex[digest[i] >> 4]);
        out.push_back(hex[digest[i] & 0xF]);
    }
    return out;
}

layout::FifoKey group_key(std::string_view group_id) noexcept {
    return key_of(XXH3_128bits(group_id.data(), group_id.size()));
}

layout::FifoKey deduplication_key(std::string_view deduplication_id, std::string_view group_id,
                                  bool per_group) noexcept {
    XXH3_state_t state;
    XXH3_128bits_reset(&state);
    XXH3_128bits_update(&state, deduplication_id.data(), deduplication_id.size());
    if (per_group) {
        const char separator = '\0';
        XXH3_128bits_update(&state, &separator, 1);
        XXH3_128bits_update(&state, group_id.data(), group_id.size());
    }
    return key_of(XXH3_128bits_digest(&state));
}

} // namespace shmq::sqs
