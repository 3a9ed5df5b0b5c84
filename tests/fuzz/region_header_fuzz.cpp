// Fuzz target for the check a process makes when it opens a queue's region: the file's bytes
// were written by another process, maybe a buggy or hostile one, so Region::open must refuse
// any header whose magic, version, sizes or offsets do not describe a region that fits in the
// file, never crash. The fuzzer would
// rarely build a valid header by itself, so an input is mostly patches to a real one:
//   byte 0:   which base (even: a standard queue's region, odd: a FIFO queue's; 0xFF: the
//             rest of the input is the whole file)
//   then:     patches, each [offset: 2 bytes little-endian][length: 1 byte][length bytes],
//             applied to the base's first 64 KiB.
// The bases are made once per process by the library itself (Client::create_queue, 16 slots)
// in a temporary namespace that is removed at exit. A run rewrites only the first 64 KiB of a
// base's file (a region is megabytes: its tables and heaps), so a run costs microseconds.
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "region/region.h"
#include "shmq/client.h"

namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr std::size_t patched_bytes_max = 64u << 10;

// A base region: its file in the fuzz namespace (rewritten by each run) and its first bytes.
struct Base {
    std::string name;
    Bytes prefix; // the first patched_bytes_max bytes of the region as created
};

struct Bases {
    std::string root;      // the temporary folder, removed at exit
    std::string directory; // the fuzz namespace's directory
    Base standard;
    Base fifo;
};

Bytes read_prefix(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    Bytes bytes(patched_bytes_max);
    in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    bytes.resize(static_cast<std::size_t>(in.gcount()));
    return bytes;
}

const Bases& bases();

void remove_root() {
    std::error_code ignored;
    std::filesystem::remove_all(bases().root, ignored);
}

const Bases& bases() {
    static const Bases made = [] {
        char root_template[] = "/dev/shm/shmq-region-fuzz-XXXXXX";
        const char* root = mkdtemp(root_template);
        if (root == nullptr) {
            std::perror("mkdtemp");
            std::abort();
        }
        shmq::ClientOptions options;
        options.namespace_name = "fuzz";
        options.shm_dir = root;
        auto client = shmq::Client::open(options);
        if (!client) {
            std::fprintf(stderr, "region fuzz: %s\n", client.error().message.c_str());
            std::abort();
        }
        shmq::QueueCapacity capacity;
        capacity.slot_count = 16;
        capacity.message_bytes_capacity = shmq::limits::message_bytes_capacity_min;
        Bases bases;
        bases.root = root;
        bases.directory = client->namespace_dir();
        if (!client->create_queue("standard", {{"VisibilityTimeout", "5"}}, {{"team", "a"}}, capacity) ||
            !client->create_queue("ordered.fifo", {{"FifoQueue", "true"}}, {}, capacity)) {
            std::fprintf(stderr, "region fuzz: cannot create the base queues\n");
            std::abort();
        }
        bases.standard = {"standard", read_prefix(shmq::region::Region::path_of(bases.directory, "standard"))};
        bases.fifo = {"ordered.fifo", read_prefix(shmq::region::Region::path_of(bases.directory, "ordered.fifo"))};
        return bases;
    }();
    // Registered once made is complete, so it runs before made is destroyed.
    static const bool removal_registered = std::atexit(remove_root) == 0;
    (void)removal_registered;
    return made;
}

// Writes bytes over the start of the file (the rest of a base stays as created).
void overwrite(const std::string& path, const Bytes& bytes, bool truncate) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0600);
    if (fd < 0 || ::pwrite(fd, bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size())) {
        std::perror("region fuzz: write");
        std::abort();
    }
    ::close(fd);
}

// The region file this input describes; returns the queue name to open.
std::string write_region(const std::uint8_t* data, std::size_t size) {
    if (size > 0 && data[0] == 0xFF) {
        overwrite(shmq::region::Region::path_of(bases().directory, "raw"), Bytes(data + 1, data + size), true);
        return "raw";
    }
    const Base& base = size > 0 && data[0] % 2 == 1 ? bases().fifo : bases().standard;
    Bytes bytes = base.prefix;
    std::size_t at = 1;
    while (at + 3 <= size) {
        const std::size_t offset = data[at] | (std::size_t{data[at + 1]} << 8);
        const std::size_t length = data[at + 2];
        at += 3;
        for (std::size_t i = 0; i < length && at < size; ++i, ++at) {
            if (offset + i < bytes.size()) {
                bytes[offset + i] = data[at];
            }
        }
    }
    overwrite(shmq::region::Region::path_of(bases().directory, base.name), bytes, false);
    return base.name;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string name = write_region(data, size);
    auto region = shmq::region::Region::open(bases().directory, name);
    if (region) {
        // An accepted header describes parts inside the file: touch the first and last slot
        // (ASan and the mapping's end catch an offset that lied).
        const shmq::region::Region& opened = *region.value();
        volatile std::byte sink{};
        sink = opened.slot_inline(0)[0];
        sink = opened.slot_inline(opened.slot_count() - 1)[opened.inline_bytes() - 1];
        (void)sink;
        // Not read_config: it takes the region's config lock, and a lock word the input made
        // "held" by a thread that never existed waits for ever (a robust mutex recovers only from
        // owners that die). That a same-user process can wedge the config lock is a known limit
        // of the robust mutex (docs/security.md), not of the header check fuzzed here.
    }
    return 0;
}
