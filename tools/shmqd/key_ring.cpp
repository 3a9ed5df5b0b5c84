// shmqd's key ring file (see key_ring.h).
#include "key_ring.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <boost/json.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "api/base64.h"
#include "client/private_directory.h"

namespace shmq::daemon {
namespace {

namespace json = boost::json;

Error file_error(const std::string& path, const std::string& what) {
    return Error{Errc::invalid_parameter_value, "key file " + path + ": " + what};
}

// A KMS-style key id: a random UUID (version 4).
Result<std::string> new_key_id() {
    auto random = SealingKey::generate_material(); // 32 random bytes; 16 are used
    if (!random) {
        return random.error();
    }
    std::array<unsigned char, 16> bytes;
    std::memcpy(bytes.data(), random->data(), bytes.size());
    bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);
    bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);
    char text[37];
    std::snprintf(text, sizeof text, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", bytes[0],
                  bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9], bytes[10],
                  bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
    return std::string(text);
}

std::string utc_now() {
    const std::time_t now = std::time(nullptr);
    std::tm parts{};
    gmtime_r(&now, &parts);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
    return text;
}

Result<json::object> new_key_entry(std::vector<std::string> aliases) {
    auto id = new_key_id();
    auto material = SealingKey::generate_material();
    if (!id || !material) {
        return !id ? id.error() : material.error();
    }
    json::array alias_values;
    for (std::string& alias : aliases) {
        alias_values.emplace_back(std::move(alias));
    }
    return json::object{
        {"id", *id},
        {"aliases", std::move(alias_values)},
        {"material", api::base64_encode({reinterpret_cast<const char*>(material->data()), material->size()})},
        {"created", utc_now()}};
}

// Writes a new key file: exclusive create 0600, flushed, then its directory flushed.
Status create_key_file(const std::string& path, const std::string& text) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        return file_error(path, std::string("cannot create: ") + std::strerror(errno));
    }
    std::size_t written = 0;
    while (written < text.size()) {
        const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            ::close(fd);
            ::unlink(path.c_str());
            return file_error(path, std::string("cannot write: ") + std::strerror(errno));
        }
        written += static_cast<std::size_t>(n);
    }
    const bool flushed = ::fsync(fd) == 0;
    ::close(fd);
    if (!flushed) {
        ::unlink(path.c_str());
        return file_error(path, std::string("cannot flush: ") + std::strerror(errno));
    }
    const std::string directory = std::filesystem::path(path).parent_path().string();
    if (const int dir = ::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        dir >= 0) {
        (void)::fsync(dir);
        ::close(dir);
    }
    return {};
}

Result<std::string> create_default_ring(const std::string& path) {
    auto managed = new_key_entry({});
    auto aws_managed = new_key_entry({std::string(aws_managed_sqs_alias)});
    if (!managed || !aws_managed) {
        return !managed ? managed.error() : aws_managed.error();
    }
    const json::string managed_id = managed->at("id").as_string();
    json::object ring{{"managed_key", managed_id},
                      {"keys", json::array{std::move(managed.value()), std::move(aws_managed.value())}}};
    std::string text = json::serialize(ring) + "\n";
    if (Status created = create_key_file(path, text); !created) {
        return created.error();
    }
    return text;
}

// A string member of a key entry, bounded; nullptr when missing or not a string.
const json::string* bounded_string(const json::object& entry, std::string_view member) {
    const json::value* value = entry.if_contains(member);
    const json::string* text = value != nullptr ? value->if_string() : nullptr;
    return text != nullptr && !text->empty() && text->size() <= key_name_length_max ? text : nullptr;
}

} // namespace

Result<KeyRing> KeyRing::open_or_create(const std::string& path, const QueueScope& scope) {
    auto text = client::read_private_file(path, key_file_bytes_max);
    if (!text && text.error().code == Errc::resource_not_found) {
        text = create_default_ring(path);
    }
    if (!text) {
        return Error{text.error().code, "key file " + text.error().message};
    }
    json::parse_options options;
    options.max_depth = 4; // { keys: [ { aliases: [ ] } ] }
    std::error_code parse_error;
    json::value document = json::parse(text.value(), parse_error, {}, options);
    // The key material is in the file's text and the parsed document: neither outlives this call
    // (a core dump or a read of the process's memory finds only the loaded keys).
    struct Cleanse {
        std::string& text;
        json::value& document;
        ~Cleanse() {
            OPENSSL_cleanse(text.data(), text.size());
            json::object* root = document.if_object();
            json::value* keys = root != nullptr ? root->if_contains("keys") : nullptr;
            if (keys != nullptr && keys->is_array()) {
                for (json::value& key : keys->as_array()) {
                    json::value* material = key.is_object() ? key.as_object().if_contains("material") : nullptr;
                    if (material != nullptr && material->is_string()) {
                        OPENSSL_cleanse(material->as_string().data(), material->as_string().size());
                    }
                }
            }
        }
    } cleanse{text.value(), document};
    const json::object* root = parse_error ? nullptr : document.if_object();
    if (root == nullptr) {
        return file_error(path, "is not a JSON object" + (parse_error ? " (" + parse_error.message() + ")" : ""));
    }
    const json::value* keys = root->if_contains("keys");
    if (keys == nullptr || !keys->is_array() || keys->as_array().empty() ||
        keys->as_array().size() > key_ring_keys_max) {
        return file_error(path, "needs \"keys\": an array of 1 to " + std::to_string(key_ring_keys_max) + " keys");
    }
    KeyRing ring;
    ring.scope_ = scope;
    std::size_t index = 0;
    for (const json::value& value : keys->as_array()) {
        const std::string where = "key " + std::to_string(index++);
        const json::object* entry = value.if_object();
        const json::string* id = entry != nullptr ? bounded_string(*entry, "id") : nullptr;
        const json::string* material_text = entry != nullptr ? bounded_string(*entry, "material") : nullptr;
        if (id == nullptr || material_text == nullptr) {
            return file_error(path, where + " needs \"id\" and \"material\" strings");
        }
        if (id->starts_with("alias/") || id->starts_with("arn:")) { // find() would read it as one
            return file_error(path, where + ": an id is not an alias or an ARN (" + std::string(*id) + ")");
        }
        const auto material = api::base64_decode(*material_text);
        if (!material || material->size() != sealing_key_bytes) {
            return file_error(path, where + " (" + std::string(*id) + "): \"material\" must be base64 of " +
                                        std::to_string(sealing_key_bytes) + " bytes");
        }
        KeyMaterial bytes;
        std::memcpy(bytes.data(), material->data(), bytes.size());
        auto loaded = SealingKey::load(bytes, NonceMode::random); // loaded again every run
        OPENSSL_cleanse(bytes.data(), bytes.size());
        OPENSSL_cleanse(const_cast<char*>(material->data()), material->size());
        if (!loaded) {
            return loaded.error();
        }
        auto key = std::make_unique<MasterKey>(MasterKey{std::string(*id), {}, std::move(loaded.value())});
        if (const json::value* aliases = entry->if_contains("aliases"); aliases != nullptr) {
            const json::array* list = aliases->if_array();
            if (list == nullptr || list->size() > key_aliases_max) {
                return file_error(path, where + ": \"aliases\" must be an array of at most " +
                                            std::to_string(key_aliases_max) + " names");
            }
            for (const json::value& alias : *list) {
                const json::string* name = alias.if_string();
                if (name == nullptr || name->size() > key_name_length_max || !name->starts_with("alias/") ||
                    name->size() == 6) {
                    return file_error(path, where + ": an alias is a string \"alias/NAME\"");
                }
                key->aliases.emplace_back(*name);
            }
        }
        for (const auto& other : ring.keys_) {
            const bool same_id = other->id == key->id;
            bool same_alias = false;
            for (const std::string& alias : key->aliases) {
                same_alias = same_alias || std::find(other->aliases.begin(), other->aliases.end(), alias) != other->aliases.end();
            }
            if (same_id || same_alias) {
                return file_error(path, where + " (" + key->id + ") repeats the " + (same_id ? "id" : "alias") +
                                            " of key " + other->id);
            }
        }
        ring.keys_.push_back(std::move(key));
    }
    const json::value* managed = root->if_contains("managed_key");
    const json::string* managed_id = managed != nullptr ? managed->if_string() : nullptr;
    MasterKey* managed_key = managed_id != nullptr ? ring.by_id(*managed_id) : nullptr;
    if (managed_key == nullptr) {
        return file_error(path, "needs \"managed_key\": the id of one of its keys (SqsManagedSseEnabled queues use it)");
    }
    for (std::size_t k = 0; k < ring.keys_.size(); ++k) {
        ring.managed_index_ = ring.keys_[k].get() == managed_key ? k : ring.managed_index_;
    }
    return ring;
}

MasterKey* KeyRing::by_id(std::string_view id) {
    for (const auto& key : keys_) {
        if (key->id == id) {
            return key.get();
        }
    }
    return nullptr;
}

MasterKey* KeyRing::find(std::string_view key_id) {
    // An ARN names a key or alias in shmqd's region and account: arn:aws:kms:<region>:<account>:<resource>.
    if (key_id.starts_with("arn:")) {
        const std::string prefix = "arn:aws:kms:" + scope_.region + ":" + scope_.account + ":";
        if (!key_id.starts_with(prefix)) {
            return nullptr;
        }
        key_id.remove_prefix(prefix.size());
        if (key_id.starts_with("key/")) {
            return by_id(key_id.substr(4));
        }
        if (!key_id.starts_with("alias/")) {
            return nullptr;
        }
    }
    if (key_id.starts_with("alias/")) {
        for (const auto& key : keys_) {
            if (std::find(key->aliases.begin(), key->aliases.end(), key_id) != key->aliases.end()) {
                return key.get();
            }
        }
        return nullptr;
    }
    return by_id(key_id);
}

} // namespace shmq::daemon
