// Creating and checking the directories shmq keeps its files in (see private_directory.h). The
// checks run on a descriptor opened without following a symlink, so what is checked is what is
// used.
#include "client/private_directory.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/stat.h>
#include <vector>

namespace shmq::client {
namespace {

constexpr mode_t owner_only_mode = 0700;
constexpr mode_t group_mode = 02770; // setgid: files made inside keep the directory's group
constexpr mode_t shared_parent_mode = 01777;

std::string octal(mode_t mode) {
    char text[16];
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
    return text;
}

bool is_our_group(gid_t gid) {
    if (gid == getegid()) {
        return true;
    }
    const int count = getgroups(0, nullptr);
    if (count <= 0) {
        return false;
    }
    std::vector<gid_t> groups(static_cast<std::size_t>(count));
    const int filled = getgroups(count, groups.data());
    return filled > 0 && std::find(groups.begin(), groups.begin() + filled, gid) != groups.begin() + filled;
}

// A descriptor on the directory at path, created with mode if missing (mode applied exactly:
// the umask would take group, setgid or sticky bits), never through a symlink.
struct OpenedDirectory {
    int fd = -1;
    struct stat info {};
    ~OpenedDirectory() {
        if (fd >= 0) {
            ::close(fd);
        }
    }
};
Status open_directory(const std::string& path, mode_t mode, OpenedDirectory& directory) {
    const bool created = ::mkdir(path.c_str(), mode) == 0;
    if (!created && errno != EEXIST) {
        return {Errc::system_error, "cannot create directory " + path + ": " + std::strerror(errno)};
    }
    directory.fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (directory.fd < 0) {
        if (errno == ELOOP || errno == ENOTDIR) {
            return {Errc::access_denied, path + " is not a directory (a symbolic link or a file is in its place)"};
        }
        return {Errc::system_error, "cannot open directory " + path + ": " + std::strerror(errno)};
    }
    if (created && ::fchmod(directory.fd, mode) != 0) {
        return {Errc::system_error, "cannot set the mode of " + path + ": " + std::strerror(errno)};
    }
    if (::fstat(directory.fd, &directory.info) != 0) {
        return {Errc::system_error, "cannot stat " + path + ": " + std::strerror(errno)};
    }
    return {};
}

} // namespace

bool group_access_from_environment() noexcept {
    const char* value = std::getenv("SHMQ_GROUP_ACCESS");
    return value != nullptr && std::strcmp(value, "1") == 0;
}

Status make_private_directory(const std::string& path, DirectoryAccess access) {
    OpenedDirectory directory;
    const bool group = access == DirectoryAccess::group;
    if (Status status = open_directory(path, group ? group_mode : owner_only_mode, directory); !status) {
        return status;
    }
    const struct stat& info = directory.info;
    const uid_t user = geteuid();
    if (info.st_uid != user && !(group && is_our_group(info.st_gid))) {
        return {Errc::access_denied, "directory " + path + " is owned by uid " + std::to_string(info.st_uid) +
                                         ", not by this user (uid " + std::to_string(user) + ")" +
                                         (group ? " nor by one of its groups" : "")};
    }
    if ((info.st_mode & S_IWOTH) != 0) {
        return {Errc::access_denied, "directory " + path + " is writable by others (mode " + octal(info.st_mode) +
                                         "): make it 0700 (chmod 700) or remove it"};
    }
    if (!group && (info.st_mode & S_IWGRP) != 0) {
        return {Errc::access_denied, "directory " + path + " is writable by its group (mode " + octal(info.st_mode) +
                                         "): make it 0700 (chmod 700), or turn group access on "
                                         "(SHMQ_GROUP_ACCESS=1, shmqd --group-access)"};
    }
    return {};
}

Status make_shared_parent(const std::string& path) {
    OpenedDirectory directory;
    if (Status status = open_directory(path, shared_parent_mode, directory); !status) {
        return status;
    }
    const mode_t mode = directory.info.st_mode;
    if ((mode & (S_IWOTH | S_IWGRP)) != 0 && (mode & S_ISVTX) == 0) {
        return {Errc::access_denied, "directory " + path + " is writable by others without the sticky bit (mode " +
                                         octal(mode) + "): make it 1777 (chmod 1777)"};
    }
    return {};
}

Result<std::string> read_trusted_file(const std::string& path, std::size_t bytes_max, TrustedFile kind) {
    const bool secret = kind == TrustedFile::secret;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | (secret ? O_NOFOLLOW : 0));
    if (fd < 0) {
        const int error = errno;
        return Error{error == ENOENT ? Errc::resource_not_found : Errc::invalid_parameter_value,
                     path + ": " + (error == ELOOP ? "is a symbolic link" : std::strerror(error))};
    }
    struct stat status {};
    std::string text;
    Status checked;
    if (::fstat(fd, &status) != 0) {
        checked = Error{Errc::invalid_parameter_value, path + ": " + std::strerror(errno)};
    } else if (!S_ISREG(status.st_mode)) {
        checked = Error{Errc::invalid_parameter_value, path + ": is not a regular file"};
    } else if (status.st_uid != ::geteuid() && (secret || status.st_uid != 0)) {
        checked = Error{Errc::invalid_parameter_value,
                        path + ": is owned by another user (uid " + std::to_string(status.st_uid) + ")"};
    } else if (secret && (status.st_mode & 077) != 0) {
        checked = Error{Errc::invalid_parameter_value, path + ": is readable or writable by others (mode " +
                                                           octal(status.st_mode) + "): it holds secrets; chmod 600 it"};
    } else if (!secret && (status.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        checked = Error{Errc::invalid_parameter_value, path + ": is writable by its group or others (mode " +
                                                           octal(status.st_mode) + "): it decides what shmqd does; chmod go-w it"};
    } else if (static_cast<std::uint64_t>(status.st_size) > bytes_max) {
        checked = Error{Errc::invalid_parameter_value, path + ": is larger than " + std::to_string(bytes_max) + " bytes"};
    } else {
        text.resize(static_cast<std::size_t>(status.st_size));
        std::size_t got = 0;
        while (got < text.size()) {
            const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                break;
            }
            got += static_cast<std::size_t>(n);
        }
        text.resize(got);
    }
    ::close(fd);
    if (!checked) {
        return checked.error();
    }
    return text;
}

} // namespace shmq::client
