// shmqd's mark in a namespace directory (see daemon_marker.h).
#include "engine/daemon_marker.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "engine/process_liveness.h"

namespace shmq::engine {
namespace {

std::string marker_path(const std::string& namespace_dir) {
    return namespace_dir + "/shmqd.pid"; // not a queue: queues are <name>.q
}

struct Mark {
    std::uint32_t pid = 0;
    std::uint64_t start_ticks = 0;
};

Mark read_mark(const std::string& namespace_dir) {
    Mark mark;
    std::FILE* file = std::fopen(marker_path(namespace_dir).c_str(), "re");
    if (file == nullptr) {
        return mark;
    }
    unsigned long long start_ticks = 0;
    unsigned pid = 0;
    if (std::fscanf(file, "%u %llu", &pid, &start_ticks) == 2) {
        mark = {pid, start_ticks};
    }
    std::fclose(file);
    return mark;
}

} // namespace

Status mark_daemon(const std::string& namespace_dir, std::uint32_t pid, std::uint64_t start_ticks) {
    // Written aside and renamed: a reader sees a whole mark or none.
    const std::string path = marker_path(namespace_dir);
    const std::string temporary = path + "." + std::to_string(pid);
    std::FILE* file = std::fopen(temporary.c_str(), "we");
    if (file == nullptr) {
        return {Errc::system_error, "create " + temporary + ": " + std::strerror(errno)};
    }
    std::fprintf(file, "%u %llu\n", pid, static_cast<unsigned long long>(start_ticks));
    const bool written = std::fclose(file) == 0;
    if (!written || rename(temporary.c_str(), path.c_str()) != 0) {
        const int saved = errno;
        unlink(temporary.c_str());
        return {Errc::system_error, "write " + path + ": " + std::strerror(saved)};
    }
    return {};
}

void unmark_daemon(const std::string& namespace_dir, std::uint32_t pid) {
    if (read_mark(namespace_dir).pid == pid) {
        unlink(marker_path(namespace_dir).c_str());
    }
}

bool daemon_serves(const std::string& namespace_dir) {
    const Mark mark = read_mark(namespace_dir);
    return mark.pid != 0 && process_alive(mark.pid, mark.start_ticks);
}

} // namespace shmq::engine
