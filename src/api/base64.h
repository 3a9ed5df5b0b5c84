// Base64 (RFC 4648, standard alphabet, padded) for Binary message attributes: SQS carries their
// values base64-encoded in JSON, and `aws` prints them that way. Thin wrappers over OpenSSL's
// EVP_EncodeBlock / EVP_DecodeBlock; decoding is strict (no whitespace, correct padding) so a
// mistyped value is an error instead of silently different bytes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace shmq::api {

[[nodiscard]] std::string base64_encode(std::string_view bytes);
// nullopt when text is not canonical padded base64.
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view text);

} // namespace shmq::api
