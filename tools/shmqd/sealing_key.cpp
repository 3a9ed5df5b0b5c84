// AES-256-GCM sealing (see sealing_key.h). OpenSSL's and libsodium's return codes are turned
// into values here.
#include "sealing_key.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sodium.h>

#include <climits>
#include <cstring>

namespace shmq::daemon {

struct SealingKey::Contexts {
    // libsodium's expanded key, or (when null) OpenSSL's contexts.
    std::unique_ptr<crypto_aead_aes256gcm_state> sodium;
    EVP_CIPHER_CTX* seal = nullptr;
    EVP_CIPHER_CTX* open = nullptr;
    std::uint32_t nonce_prefix = 0;
    std::uint64_t nonce_counter = 0;
    NonceMode nonces = NonceMode::counter;
    std::vector<unsigned char> aad; // the parts of a call's aad, joined (one input for either cipher)

    ~Contexts() {
        if (sodium) {
            sodium_memzero(sodium.get(), sizeof *sodium);
        }
        EVP_CIPHER_CTX_free(seal);
        EVP_CIPHER_CTX_free(open);
    }

    // Copies aad's parts into one buffer: both ciphers then take it in one call, and a part may
    // point into the output, which sealing resizes.
    bool join(AuthenticatedParts parts) {
        aad.clear();
        for (const std::span<const std::byte> part : parts) {
            const auto* bytes = reinterpret_cast<const unsigned char*>(part.data());
            aad.insert(aad.end(), bytes, bytes + part.size());
        }
        return aad.size() <= static_cast<std::size_t>(INT_MAX);
    }
};

namespace {

// OpenSSL lengths are ints: a plaintext beyond that is refused, not truncated (records are at
// most 16 MiB, so this never happens on shmqd's paths).
bool fits_int(std::size_t bytes) { return bytes <= static_cast<std::size_t>(INT_MAX); }

unsigned char* bytes_of(std::byte* data) { return reinterpret_cast<unsigned char*>(data); }
const unsigned char* bytes_of(const std::byte* data) { return reinterpret_cast<const unsigned char*>(data); }

} // namespace

Result<KeyMaterial> SealingKey::generate_material() {
    KeyMaterial material;
    if (RAND_bytes(bytes_of(material.data()), static_cast<int>(material.size())) != 1) {
        return Error{Errc::system_error, "cannot draw random key material (OpenSSL RAND_bytes failed)"};
    }
    return material;
}

bool SealingKey::accelerated() {
    static const bool available = sodium_init() >= 0 && crypto_aead_aes256gcm_is_available() == 1;
    return available;
}

Result<SealingKey> SealingKey::load(const KeyMaterial& material, NonceMode nonces, SealingCipher cipher) {
    auto contexts = std::make_unique<Contexts>();
    contexts->nonces = nonces;
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&contexts->nonce_prefix), sizeof contexts->nonce_prefix) != 1) {
        return Error{Errc::system_error, "cannot draw a nonce prefix (OpenSSL RAND_bytes failed)"};
    }
    if (cipher == SealingCipher::fastest && accelerated()) {
        contexts->sodium = std::make_unique<crypto_aead_aes256gcm_state>();
        if (crypto_aead_aes256gcm_beforenm(contexts->sodium.get(), bytes_of(material.data())) != 0) {
            return Error{Errc::system_error, "cannot set up AES-256-GCM (libsodium)"};
        }
        return SealingKey(std::move(contexts));
    }
    contexts->seal = EVP_CIPHER_CTX_new();
    contexts->open = EVP_CIPHER_CTX_new();
    if (contexts->seal == nullptr || contexts->open == nullptr ||
        EVP_EncryptInit_ex(contexts->seal, EVP_aes_256_gcm(), nullptr, bytes_of(material.data()), nullptr) != 1 ||
        EVP_DecryptInit_ex(contexts->open, EVP_aes_256_gcm(), nullptr, bytes_of(material.data()), nullptr) != 1) {
        return Error{Errc::system_error, "cannot set up AES-256-GCM (OpenSSL)"};
    }
    return SealingKey(std::move(contexts));
}

SealingKey::SealingKey(std::unique_ptr<Contexts> contexts) : contexts_(std::move(contexts)) {}
SealingKey::~SealingKey() = default;
SealingKey::SealingKey(SealingKey&&) noexcept = default;
SealingKey& SealingKey::operator=(SealingKey&&) noexcept = default;

Status SealingKey::seal(AuthenticatedParts aad, std::span<const std::byte> plaintext, std::vector<std::byte>& out) {
    if (!fits_int(plaintext.size()) || !contexts_->join(aad)) {
        return Error{Errc::invalid_parameter_value, "too many bytes to seal at once"};
    }
    std::array<std::byte, sealing_nonce_bytes> nonce;
    if (contexts_->nonces == NonceMode::random) {
        if (RAND_bytes(bytes_of(nonce.data()), static_cast<int>(nonce.size())) != 1) {
            return Error{Errc::system_error, "cannot draw a nonce (OpenSSL RAND_bytes failed)"};
        }
    } else {
        const std::uint64_t counter = contexts_->nonce_counter++;
        std::memcpy(nonce.data(), &contexts_->nonce_prefix, sizeof contexts_->nonce_prefix);
        std::memcpy(nonce.data() + sizeof contexts_->nonce_prefix, &counter, sizeof counter);
    }
    const std::vector<unsigned char>& joined = contexts_->aad;
    const std::size_t at = out.size();
    out.resize(at + sealing_overhead_bytes + plaintext.size());
    std::byte* box = out.data() + at;
    std::memcpy(box, nonce.data(), nonce.size());
    unsigned char* ciphertext = bytes_of(box + sealing_nonce_bytes);
    unsigned char* tag = ciphertext + plaintext.size();
    bool sealed = false;
    if (contexts_->sodium) {
        unsigned long long tag_bytes = 0;
        sealed = crypto_aead_aes256gcm_encrypt_detached_afternm(ciphertext, tag, &tag_bytes, bytes_of(plaintext.data()),
                                                                plaintext.size(), joined.data(), joined.size(), nullptr,
                                                                bytes_of(nonce.data()), contexts_->sodium.get()) == 0 &&
                 tag_bytes == sealing_tag_bytes;
    } else {
        EVP_CIPHER_CTX* context = contexts_->seal;
        int written = 0;
        int final_bytes = 0;
        unsigned char final_block[16]; // GCM writes nothing here; OpenSSL wants a place all the same
        sealed = EVP_EncryptInit_ex(context, nullptr, nullptr, nullptr, bytes_of(nonce.data())) == 1 &&
                 (joined.empty() ||
                  EVP_EncryptUpdate(context, nullptr, &written, joined.data(), static_cast<int>(joined.size())) == 1) &&
                 (plaintext.empty() || EVP_EncryptUpdate(context, ciphertext, &written, bytes_of(plaintext.data()),
                                                         static_cast<int>(plaintext.size())) == 1) &&
                 EVP_EncryptFinal_ex(context, final_block, &final_bytes) == 1 &&
                 EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, static_cast<int>(sealing_tag_bytes), tag) == 1;
    }
    if (!sealed) {
        out.resize(at);
        return Error{Errc::system_error, "AES-256-GCM sealing failed"};
    }
    return {};
}

bool SealingKey::open(AuthenticatedParts aad, std::span<const std::byte> box, std::vector<std::byte>& out) {
    if (box.size() < sealing_overhead_bytes || !fits_int(box.size()) || !contexts_->join(aad)) {
        return false;
    }
    const std::vector<unsigned char>& joined = contexts_->aad;
    const std::size_t plaintext_bytes = box.size() - sealing_overhead_bytes;
    out.resize(plaintext_bytes);
    const unsigned char* nonce = bytes_of(box.data());
    const unsigned char* ciphertext = nonce + sealing_nonce_bytes;
    const unsigned char* tag = ciphertext + plaintext_bytes;
    unsigned char nothing = 0; // where an empty plaintext "goes" (a vector's data may be null)
    unsigned char* plaintext = plaintext_bytes == 0 ? &nothing : bytes_of(out.data());
    bool opened = false;
    if (contexts_->sodium) {
        opened = crypto_aead_aes256gcm_decrypt_detached_afternm(plaintext, nullptr, ciphertext, plaintext_bytes, tag,
                                                                joined.data(), joined.size(), nonce,
                                                                contexts_->sodium.get()) == 0;
    } else {
        std::array<unsigned char, sealing_tag_bytes> expected; // OpenSSL's ctrl takes a mutable tag
        std::memcpy(expected.data(), tag, expected.size());
        EVP_CIPHER_CTX* context = contexts_->open;
        int written = 0;
        int final_bytes = 0;
        unsigned char final_block[16];
        opened = EVP_DecryptInit_ex(context, nullptr, nullptr, nullptr, nonce) == 1 &&
                 (joined.empty() ||
                  EVP_DecryptUpdate(context, nullptr, &written, joined.data(), static_cast<int>(joined.size())) == 1) &&
                 (plaintext_bytes == 0 || EVP_DecryptUpdate(context, plaintext, &written, ciphertext,
                                                            static_cast<int>(plaintext_bytes)) == 1) &&
                 EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, static_cast<int>(expected.size()),
                                     expected.data()) == 1 &&
                 EVP_DecryptFinal_ex(context, final_block, &final_bytes) == 1;
    }
    if (!opened) {
        out.clear(); // nothing of an unauthenticated box is handed out
    }
    return opened;
}

} // namespace shmq::daemon
