// OpenSSL's block functions work on int lengths and unsigned char buffers; this file is the one
// place that converts. Bodies and attributes are at most 1 MiB, far below INT_MAX.
#include "api/base64.h"

#include <algorithm>
#include <climits>
#include <cstddef>
#include <openssl/evp.h>

namespace shmq::api {
namespace {

bool is_base64_character(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

} // namespace

std::string base64_encode(std::string_view bytes) {
    if (bytes.empty()) {
        return {};
    }
    std::string text(4 * ((bytes.size() + 2) / 3) + 1, '\0'); // +1: EVP writes a terminating NUL
    const int written =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()),
                        reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    text.resize(static_cast<std::size_t>(std::max(written, 0)));
    return text;
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0 || text.size() > static_cast<std::size_t>(INT_MAX)) {
        return std::nullopt;
    }
    // EVP_DecodeBlock tolerates whitespace and stray padding; check the canonical form first.
    std::size_t padding = 0;
    for (std::size_t index = 0; index < text.size(); ++index) {
        const char c = text[index];
        if (c == '=') {
            if (index + 2 < text.size()) {
                return std::nullopt;
            }
            ++padding;
        } else if (padding != 0 || !is_base64_character(c)) {
            return std::nullopt;
        }
    }
    if (text.empty()) {
        return std::string{};
    }
    std::string bytes(text.size() / 4 * 3, '\0');
    const int written =
        EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()),
                        reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
    if (written < 0) {
        return std::nullopt;
    }
    // EVP_DecodeBlock counts the zero bytes that padding stands for; drop them.
    bytes.resize(static_cast<std::size_t>(written) - padding);
    return bytes;
}

} // namespace shmq::api
