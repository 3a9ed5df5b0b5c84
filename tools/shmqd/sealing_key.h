// SealingKey: one AES-256-GCM key and what it seals (OpenSSL EVP). A sealed box is
//
//   nonce (12) · ciphertext (as long as the plaintext) · tag (16)
//
// and opens only with the same key and the same additional authenticated data (the bytes a
// sealed record keeps in clear: they are bound to the box, so moving a box under another
// message, queue or key fails its tag). Nonces are a random 4-byte prefix drawn when the key is
// loaded and a 64-bit counter (NonceMode::counter): unique for 2^64 seals of one loaded key, for
// keys used by one run only (data keys: a fresh one each run). A key loaded again and again
// (master keys, every run) draws all 96 bits of each nonce at random instead (NonceMode::random):
// a random 32-bit prefix per run would repeat after some 2^16 runs, and a repeated GCM nonce gives
// away the key's authentication subkey; it seals rarely (a data key a few minutes), far below the
// 2^32 random nonces NIST SP 800-38D allows a key.
//
// Two implementations of the same AES-256-GCM, whose boxes are byte for byte the same (the unit
// test seals with one and opens with the other):
//   - libsodium's (SealingCipher::fastest, when the CPU has AES-NI and PCLMUL): the key expanded
//     once, then one call per box. A Durability=sync commit seals every record on the path a
//     waiting sender is released by, so the cost per box is what a sender feels: about 0.3 µs
//     for a 64-byte message, where OpenSSL 3's EVP takes about 0.8 µs (five calls, each through
//     its provider's parameter lookups), which cost a fifth of sync throughput.
//   - OpenSSL's EVP (SealingCipher::openssl, and on CPUs without those instructions): one cipher
//     context per direction, initialised with the key once, so each box only sets its nonce.
// Not thread-safe: one owner (shmqd's journal thread) uses a key.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <vector>

#include "shmq/error.h"

namespace shmq::daemon {

inline constexpr std::size_t sealing_key_bytes = 32;
inline constexpr std::size_t sealing_nonce_bytes = 12;
inline constexpr std::size_t sealing_tag_bytes = 16;
inline constexpr std::size_t sealing_overhead_bytes = sealing_nonce_bytes + sealing_tag_bytes;

using KeyMaterial = std::array<std::byte, sealing_key_bytes>;
// Additional authenticated data, in parts (bound in order, as if concatenated).
using AuthenticatedParts = std::initializer_list<std::span<const std::byte>>;

enum class NonceMode : bool { counter, random };
enum class SealingCipher : bool { fastest, openssl };

class SealingKey {
  public:
    // Fresh random key material (OpenSSL's CSPRNG).
    [[nodiscard]] static Result<KeyMaterial> generate_material();
    [[nodiscard]] static Result<SealingKey> load(const KeyMaterial& material, NonceMode nonces = NonceMode::counter,
                                                 SealingCipher cipher = SealingCipher::fastest);
    // Whether SealingCipher::fastest is libsodium's on this CPU (otherwise it is OpenSSL's).
    [[nodiscard]] static bool accelerated();
    ~SealingKey();
    SealingKey(SealingKey&&) noexcept;
    SealingKey& operator=(SealingKey&&) noexcept;

    // Appends the sealed box of plaintext, bound to aad, to out (aad may point into out).
    [[nodiscard]] Status seal(AuthenticatedParts aad, std::span<const std::byte> plaintext, std::vector<std::byte>& out);
    // Opens a sealed box bound to aad into out (replacing its contents); false when the box is
    // too short, or its tag does not match (another key, other aad, or altered bytes).
    [[nodiscard]] bool open(AuthenticatedParts aad, std::span<const std::byte> box, std::vector<std::byte>& out);

  private:
    struct Contexts;
    explicit SealingKey(std::unique_ptr<Contexts> contexts);
    std::unique_ptr<Contexts> contexts_;
};

} // namespace shmq::daemon
