// Text forms of message identifiers and the MD5 digests SQS returns. These run at the doors
// (CLI, HTTP, copying receive), never inside the lock-free send/receive path.
#include "shmq/message.h"

#include <array>
#include <charconv>
#include <cstring>
#include <memory>
#include <openssl/evp.h>

#include "sqs/attribute_codec.h"

namespace shmq {
namespace {

constexpr char hex_digits[] = "0123456789abcdef";

void append_hex(std::string& out, const std::uint8_t* bytes, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
        out.push_back(hex_digits[bytes[i] >> 4]);
        out.push_back(hex_digits[bytes[i] & 0xF]);
    }
}

void append_hex_u64(std::string& out, std::uint64_t value, int digits) {
    for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
        out.push_back(hex_digits[(value >> shift) & 0xF]);
    }
}

bool parse_hex_u64(std::string_view text, std::uint64_t& value) {
    const auto* end = text.data() + text.size();
    const auto result = std::from_chars(text.data(), end, value, 16);
    return result.ec == std::errc{} && result.ptr == end;
}

// One MD5 computation on the thread's own context, reused: the HTTP door digests every message,
// and a context created and freed each time showed in its profile (CRYPTO_zalloc,
// OPENSSL_init_crypto, EVP_MD_CTX_new/free) beside the hashing itself. One Md5 at a time per
// thread.
struct Md5 {
    EVP_MD_CTX* context = thread_context();
    // Fetched once: EVP_md5() makes every init look the algorithm up again (a locked store).
    Md5() {
        static EVP_MD* const md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
        EVP_DigestInit_ex2(context, md5, nullptr);
    }
    Md5(const Md5&) = delete;
    Md5& operator=(const Md5&) = delete;
    static EVP_MD_CTX* thread_context() {
        thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                                           &EVP_MD_CTX_free);
        return context.get();
    }
    void update(const void* data, std::size_t size) { EVP_DigestUpdate(context, data, size); }
    void update_length_prefixed(std::string_view bytes) {
        const auto length = static_cast<std::uint32_t>(bytes.size());
        const std::array<std::uint8_t, 4> prefix{
            static_cast<std::uint8_t>(length >> 24), static_cast<std::uint8_t>(length >> 16),
            static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length)};
        update(prefix.data(), prefix.size());
        update(bytes.data(), bytes.size());
    }
    std::string hex() {
        std::array<std::uint8_t, EVP_MAX_MD_SIZE> digest{};
        unsigned int length = 0;
        EVP_DigestFinal_ex(context, digest.data(), &length);
        std::string out;
        append_hex(out, digest.data(), length);
        return out;
    }
};

} // namespace

std::string MessageId::to_string() const {
    std::string out;
    out.reserve(36);
    append_hex(out, bytes.data(), 4);
    out.push_back('-');
    append_hex(out, bytes.data() + 4, 2);
    out.push_back('-');
    append_hex(out, bytes.data() + 6, 2);
    out.push_back('-');
    append_hex(out, bytes.data() + 8, 2);
    out.push_back('-');
    append_hex(out, bytes.data() + 10, 6);
    return out;
}

// Layout: 16 hex digits of queue nonce, 8 of slot, 8 of generation, 8 of receive count.
std::string ReceiptHandle::to_string() const {
    std::string out;
    out.reserve(40);
    append_hex_u64(out, queue_nonce, 16);
    append_hex_u64(out, slot, 8);
    append_hex_u64(out, generation, 8);
    append_hex_u64(out, receive_count, 8);
    return out;
}

Result<ReceiptHandle> ReceiptHandle::parse(std::string_view text) {
    const auto invalid = [&] {
        return Error{Errc::receipt_handle_is_invalid,
                     "The input receipt handle \"" + std::string(text) + "\" is not a valid receipt handle."};
    };
    if (text.size() != 40) {
        return invalid();
    }
    for (const char c : text) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return invalid();
        }
    }
    std::uint64_t nonce = 0, slot = 0, generation = 0, count = 0;
    if (!parse_hex_u64(text.substr(0, 16), nonce) || !parse_hex_u64(text.substr(16, 8), slot) ||
        !parse_hex_u64(text.substr(24, 8), generation) || !parse_hex_u64(text.substr(32, 8), count)) {
        return invalid();
    }
    return ReceiptHandle{nonce, static_cast<std::uint32_t>(slot), static_cast<std::uint32_t>(generation),
                         static_cast<std::uint32_t>(count)};
}

std::string sequence_number_text(std::uint64_t sequence_number) {
    return sequence_number == 0 ? std::string{} : std::to_string(sequence_number);
}

std::string md5_of_body(std::string_view body) {
    Md5 md5;
    md5.update(body.data(), body.size());
    return md5.hex();
}

// SQS's canonical encoding: attributes sorted by name; for each, length-prefixed name, data
// type, one transport byte (1 String/Number, 2 Binary) and the length-prefixed value.
std::string md5_of_message_attributes(const MessageAttributes& attributes) {
    if (attributes.empty()) {
        return {};
    }
    Md5 md5;
    for (const auto& [name, value] : attributes) {
        md5.update_length_prefixed(name);
        md5.update_length_prefixed(value.data_type);
        const std::uint8_t transport = value.is_binary() ? 2 : 1;
        md5.update(&transport, 1);
        md5.update_length_prefixed(value.is_binary() ? value.binary_value : value.string_value);
    }
    return md5.hex();
}

std::string md5_of_message_system_attributes(std::string_view aws_trace_header) {
    if (aws_trace_header.empty()) {
        return {};
    }
    return md5_of_message_attributes(
        {{"AWSTraceHeader",
          MessageAttributeValue{.data_type = "String", .string_value = std::string(aws_trace_header)}}});
}

Result<MessageAttributes> decode_message_attributes(std::string_view encoded) {
    return sqs::decode_attributes(encoded);
}

} // namespace shmq
