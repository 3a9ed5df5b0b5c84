// PrivateDirectory: the rule for the directories shmq keeps queues and journals in (a namespace
// directory, shmqd's data and journal directories). Created 0700, or 02770 (setgid, so files
// inside keep the directory's group) with group access, which only an explicit option turns on
// (ClientOptions::group_access, $SHMQ_GROUP_ACCESS=1, shmqd --group-access). An existing one is
// used only when it is a real directory (not a symlink) owned by this user (with group access: or
// by a group this user is in), and nobody else may write into it: a directory another user
// controls could hold their files under our queues' names.
// The same rule, stricter, for files holding secrets (shmqd's credentials and key ring): a
// regular file (not a symlink), owned by this user, that nobody else may read or write.
#pragma once

#include <cstddef>
#include <string>

#include "shmq/error.h"

namespace shmq::client {

enum class DirectoryAccess : bool { owner_only, group };

// $SHMQ_GROUP_ACCESS=1 (the environment's form of the option).
[[nodiscard]] bool group_access_from_environment() noexcept;

// Creates path (not its parents) if missing, with the mode access asks for, then checks it as
// above. Errors say what is wrong and name the directory (a local operator's setup error).
[[nodiscard]] Status make_private_directory(const std::string& path, DirectoryAccess access);

// The shared parent of namespace directories (/dev/shm/shmq): created 01777, so every user can
// make a namespace directory in it and none can rename or remove another's. An existing one must
// be a real directory, and sticky if others may write into it.
[[nodiscard]] Status make_shared_parent(const std::string& path);

// What a file read whole is trusted with, and so who may have written it.
enum class TrustedFile {
    secret, // keys, credentials, tokens: reached without a symbolic link, ours, mode 0600 or stricter
    config, // what decides what shmqd does (its config file, the AWS credentials and config files):
            // ours or root's, not writable by group or others
};
// Reads a trusted file whole: a regular file as its kind asks, at most bytes_max. Errors name the
// file and what is wrong (a missing file is resource_not_found, so a caller may create it).
[[nodiscard]] Result<std::string> read_trusted_file(const std::string& path, std::size_t bytes_max, TrustedFile kind);
[[nodiscard]] inline Result<std::string> read_private_file(const std::string& path, std::size_t bytes_max) {
    return read_trusted_file(path, bytes_max, TrustedFile::secret);
}

} // namespace shmq::client
