// Process liveness from kill(pid, 0) and /proc/<pid>/stat (see process_liveness.h).
#include "engine/process_liveness.h"

#include <signal.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace shmq::engine {

std::uint64_t process_start_ticks(std::uint32_t pid) {
    std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    if (!std::getline(file, text)) {
        return 0;
    }
    const std::size_t close = text.rfind(')'); // the command name may hold spaces
    if (close == std::string::npos) {
        return 0;
    }
    std::istringstream rest(text.substr(close + 2));
    std::string field;
    for (int index = 3; index <= 22 && rest >> field; ++index) {
        if (index == 22) {
            return std::strtoull(field.c_str(), nullptr, 10);
        }
    }
    return 0;
}

bool process_alive(std::uint32_t pid, std::uint64_t start_ticks) {
    if (kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
        return false;
    }
    // Same pid, another process (pid reuse): the one we knew is gone.
    return start_ticks == 0 || process_start_ticks(pid) == start_ticks;
}

} // namespace shmq::engine
