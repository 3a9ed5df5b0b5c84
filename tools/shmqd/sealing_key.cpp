// AES-256-GCM sealing (see sealing_key.h). OpenSSL's return codes are turned into values here.
#include "sealing_key.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <climits>
#include <cstring>

namespace shmq::daemon {

struct SealingKey::Contexts {
    EVP_CIPHER_CTX* seal = nullptr;
    EVP_CIPHER_CTX* open = nullptr;
    std::uint32_t nonce_prefix = 0;
    std::uint64_t nonce_counter = 0;
    NonceMode nonces = NonceMode::counter;

    ~Contexts() {
        EVP_CIPHER_CTX_free(seal);
        EVP_CIPHER_CTX_free(open);
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

Result<SealingKey> SealingKey::load(const KeyMaterial& material, NonceMode nonces) {
    auto contexts = std::make_unique<Contexts>();
    contexts->nonces = nonces;
    contexts->seal = EVP_CIPHER_CTX_new();
    contexts->open = EVP_CIPHER_CTX_new();
    if (contexts->seal == nullptr || contexts->open == nullptr ||
        EVP_EncryptInit_ex(contexts->seal, EVP_aes_256_gcm(), nullptr, bytes_of(material.data()), nullptr) != 1 ||
        EVP_DecryptInit_ex(contexts->open, EVP_aes_256_gcm(), nullptr, bytes_of(material.data()), nullptr) != 1 ||
        RAND_bytes(reinterpret_cast<unsigned char*>(&contexts->nonce_prefix), sizeof contexts->nonce_prefix) != 1) {
        return Error{Errc::system_error, "cannot set up AES-256-GCM (OpenSSL)"};
    }
    return SealingKey(std::move(contexts));
}

SealingKey::SealingKey(std::unique_ptr<Contexts> contexts) : contexts_(std::move(contexts)) {}
SealingKey::~SealingKey() = default;
SealingKey::SealingKey(SealingKey&&) noexcept = default;
SealingKey& SealingKey::operator=(SealingKey&&) noexcept = default;

Status SealingKey::seal(AuthenticatedParts aad, std::span<const std::byte> plaintext, std::vector<std::byte>& out) {
    if (!fits_int(plaintext.size())) {
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
    const std::size_t at = out.size();
    out.resize(at + sealing_overhead_bytes + plaintext.size());
    std::byte* box = out.data() + at;
    std::memcpy(box, nonce.data(), nonce.size());
    EVP_CIPHER_CTX* context = contexts_->seal;
    int written = 0;
    int final_bytes = 0;
    unsigned char final_block[16]; // GCM writes nothing here; OpenSSL wants a place all the same
    bool sealed = EVP_EncryptInit_ex(context, nullptr, nullptr, nullptr, bytes_of(nonce.data())) == 1;
    for (const std::span<const std::byte> part : aad) {
        sealed = sealed && fits_int(part.size()) &&
                 (part.empty() ||
                  EVP_EncryptUpdate(context, nullptr, &written, bytes_of(part.data()), static_cast<int>(part.size())) == 1);
    }
    sealed = sealed &&
        (plaintext.empty() || EVP_EncryptUpdate(context, bytes_of(box + sealing_nonce_bytes), &written,
                                                bytes_of(plaintext.data()), static_cast<int>(plaintext.size())) == 1) &&
        EVP_EncryptFinal_ex(context, final_block, &final_bytes) == 1 &&
        EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, static_cast<int>(sealing_tag_bytes),
                            bytes_of(box + sealing_nonce_bytes + plaintext.size())) == 1;
    if (!sealed) {
        out.resize(at);
        return Error{Errc::system_error, "AES-256-GCM sealing failed (OpenSSL)"};
    }
    return {};
}

bool SealingKey::open(AuthenticatedParts aad, std::span<const std::byte> box, std::vector<std::byte>& out) {
    if (box.size() < sealing_overhead_bytes || !fits_int(box.size())) {
        return false;
    }
    const std::size_t plaintext_bytes = box.size() - sealing_overhead_bytes;
    out.resize(plaintext_bytes);
    std::array<std::byte, sealing_tag_bytes> tag;
    std::memcpy(tag.data(), box.data() + sealing_nonce_bytes + plaintext_bytes, tag.size());
    EVP_CIPHER_CTX* context = contexts_->open;
    int written = 0;
    int final_bytes = 0;
    unsigned char final_block[16];
    bool opened = EVP_DecryptInit_ex(context, nullptr, nullptr, nullptr, bytes_of(box.data())) == 1;
    for (const std::span<const std::byte> part : aad) {
        opened = opened && fits_int(part.size()) &&
                 (part.empty() ||
                  EVP_DecryptUpdate(context, nullptr, &written, bytes_of(part.data()), static_cast<int>(part.size())) == 1);
    }
    opened = opened &&
        (plaintext_bytes == 0 ||
         EVP_DecryptUpdate(context, bytes_of(out.data()), &written, bytes_of(box.data() + sealing_nonce_bytes),
                           static_cast<int>(plaintext_bytes)) == 1) &&
        EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag.size()), bytes_of(tag.data())) == 1 &&
        EVP_DecryptFinal_ex(context, final_block, &final_bytes) == 1;
    if (!opened) {
        out.clear(); // nothing of an unauthenticated box is handed out
    }
    return opened;
}

} // namespace shmq::daemon
