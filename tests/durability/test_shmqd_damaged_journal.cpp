// Goal: a damaged journal never crashes shmqd nor brings back a wrong message. The damage a power
// cut leaves normally (the newest segment empty or shorter than its header: a crash while it was
// being created) costs nothing: shmqd removes it, says so, and every queue and message of the
// older segments comes back. Any other damage (a bad header in an older segment, a zeroed header
// over records, a stray file, an empty segment older than the newest, a symbolic link or a
// directory named as a segment) makes shmqd refuse to start with exit status 3 and one line
// on stderr naming the file and the `--quarantine` command that moves it aside; that command
// moves it into DATA_DIR/quarantine/ and exits 0, after which shmqd starts with what remains.
// Method: the real shmqd with 1 MiB segments; messages sent Durability=sync (each journaled before
// the send returns) into queues created before the first roll, so that every definition is in
// the oldest segment and the messages spread over the others; files damaged between a SIGTERM
// and a restart after a reboot (regions wiped); which bodies a segment held is read from its
// bytes (the queues are created with SqsManagedSseEnabled=false: bodies in plain text).
#include <fcntl.h>
#include <sys/stat.h>

#include <cstring>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "journal/journal_writer.h"
#include "shmqd_fixture.h"

using namespace shmq;
using namespace shmq::testing;

namespace {

constexpr int exit_journal_damaged = 3; // tools/shmqd/journal_check.h
constexpr std::size_t body_bytes = 32u << 10;
constexpr std::size_t segment_count = 4; // the journal spans this many 1 MiB segments
const std::vector<std::string> queue_names{"alpha", "beta", "gamma"};

std::string body_of(int i) {
    std::string body = "body-" + std::to_string(i) + "-";
    body.resize(body_bytes, static_cast<char>('a' + i % 26));
    return body;
}

// A journal of segment_count segments: the queues (defined in the first), then messages sent
// round-robin into them until the journal has rolled enough. Returns every body sent.
std::set<std::string> make_journal(const TestNamespace& ns, const DataDir& data) {
    for (const std::string& name : queue_names) {
        REQUIRE(ns.client().create_queue(name, {{"Durability", "sync"}, {"SqsManagedSseEnabled", "false"}}));
    }
    ChildProcess daemon = start_daemon(ns, data, {"--segment-mib", "1"});
    std::vector<Queue> queues;
    for (const std::string& name : queue_names) {
        auto queue = ns.client().open_queue(name);
        REQUIRE(queue);
        queues.push_back(std::move(queue.value()));
    }
    std::set<std::string> bodies;
    for (int i = 0; data.segments().size() < segment_count; ++i) {
        REQUIRE(i < 1000); // 1,000 messages are 32 MiB: the journal must have rolled long before
        std::string body = body_of(i);
        REQUIRE(queues[static_cast<std::size_t>(i) % queues.size()].send({.body = body}));
        bodies.insert(std::move(body));
    }
    stop_daemon(daemon);
    REQUIRE(data.segments().size() == segment_count);
    return bodies;
}

// The bodies of every queue, read back (all must exist).
std::set<std::string> bodies_back(const TestNamespace& ns) {
    std::set<std::string> bodies;
    for (const std::string& name : queue_names) {
        auto queue = ns.client().open_queue(name);
        REQUIRE(queue);
        for (const auto& [id, message] : receive_all(queue.value())) {
            CHECK(bodies.insert(message.body).second);
        }
    }
    return bodies;
}

// The sequence after the last record: the name of the segment the writer would create next.
std::uint64_t next_sequence(const DataDir& data) {
    auto scan = journal::scan_journal(data.journal(), [](const journal::RecordView&) {});
    REQUIRE(scan);
    return scan->next_sequence;
}

std::string next_segment_path(const DataDir& data) {
    return data.journal() + "/" + journal::segment_file_name(next_sequence(data));
}

void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
    REQUIRE(out.good());
}

std::vector<std::string> daemon_arguments(const TestNamespace& ns, const DataDir& data) {
    return {"--data-dir", data.path, "--namespace", ns.name(), "--listen", "127.0.0.1:0", "--segment-mib", "1"};
}

// shmqd started with stderr captured (to see its recovery lines); ready when this returns.
ChildProcess start_capturing_stderr(const TestNamespace& ns, const DataDir& data, const std::string& stderr_path) {
    ChildProcess daemon = exec_capturing_stderr(daemon_arguments(ns, data), stderr_path);
    REQUIRE(daemon.read_line().starts_with("shmqd listening on "));
    REQUIRE(daemon.read_line() == "shmqd ready");
    return daemon;
}

// The refusal: exit status 3 and exactly one line on stderr, naming the file and the command.
// Returns the command's arguments (after "shmqd").
std::vector<std::string> expect_refusal(const TestNamespace& ns, const DataDir& data, const std::string& file,
                                        const std::string& reason) {
    const Run run = run_to_exit(daemon_arguments(ns, data), data);
    INFO(run.stderr_text);
    REQUIRE(WIFEXITED(run.status));
    CHECK(WEXITSTATUS(run.status) == exit_journal_damaged);
    const auto lines = lines_of(run.stderr_text);
    REQUIRE(lines.size() == 1);
    const std::string& line = lines.front();
    const std::string absolute_file = std::filesystem::absolute(file).lexically_normal().string();
    CHECK(line.find(absolute_file) != std::string::npos);
    CHECK(line.find(reason) != std::string::npos);
    const std::string command = "shmqd --data-dir " + std::filesystem::absolute(data.path).lexically_normal().string() +
                                " --quarantine " + absolute_file;
    CHECK(line.ends_with(command)); // the test's paths need no shell quoting
    return {"--data-dir", data.path, "--quarantine", absolute_file};
}

// Runs the quarantine command: exit 0, the file gone from the journal, in DATA_DIR/quarantine/
// under its name and a timestamp, as it was.
// Returns what the command printed.
std::string quarantine(const DataDir& data, const std::vector<std::string>& arguments, const std::string& file) {
    const std::string name = std::filesystem::path(file).filename().string();
    const auto type_before = std::filesystem::symlink_status(file).type();
    const Run run = run_to_exit(arguments, data);
    INFO(run.stdout_text << run.stderr_text);
    REQUIRE(WIFEXITED(run.status));
    REQUIRE(WEXITSTATUS(run.status) == 0);
    CHECK(run.stdout_text.find("moved " + std::filesystem::absolute(file).lexically_normal().string()) !=
          std::string::npos);
    CHECK_FALSE(std::filesystem::exists(std::filesystem::symlink_status(file)));
    std::vector<std::filesystem::path> quarantined;
    for (const auto& entry : std::filesystem::directory_iterator(data.path + "/quarantine")) {
        quarantined.push_back(entry.path());
    }
    REQUIRE(quarantined.size() == 1);
    CHECK(quarantined.front().filename().string().starts_with(name + "."));
    CHECK(std::filesystem::symlink_status(quarantined.front()).type() == type_before);
    CHECK(run.stdout_text.find(quarantined.front().string()) != std::string::npos);
    if (type_before == std::filesystem::file_type::regular) { // what is lost with it is said
        CHECK(run.stdout_text.find("; it held ") != std::string::npos);
    }
    return run.stdout_text;
}

} // namespace

TEST_CASE("shmqd: an empty or header-short newest segment (a crash while creating it) is removed, all data is back",
          "[durability]") {
    testing::TestNamespace ns;
    DataDir data;
    const std::set<std::string> sent = make_journal(ns, data);
    const std::string unstarted = next_segment_path(data);
    std::string content;
    SECTION("empty") {}
    SECTION("shorter than its header") {
        // The start of a real header, cut short.
        content = file_text(data.segments().front()).substr(0, 100);
    }
    SECTION("zero-filled, the header never written") {
        content.assign(1u << 20, '\0');
    }
    write_file(unstarted, content);

    wipe_regions(ns);
    const std::string log_path = data.path + ".log";
    ChildProcess daemon = start_capturing_stderr(ns, data, log_path);
    CHECK_FALSE(std::filesystem::exists(unstarted));
    CHECK(bodies_back(ns) == sent);
    stop_daemon(daemon);
    const std::string log = file_text(log_path);
    std::filesystem::remove(log_path);
    INFO(log);
    CHECK(log.find("removed journal segment " + unstarted) != std::string::npos);
    // And the journal goes on: a third start after another reboot still has everything.
    wipe_regions(ns);
    ChildProcess again = start_daemon(ns, data, {"--segment-mib", "1"});
    CHECK(bodies_back(ns) == sent);
    stop_daemon(again);
}

TEST_CASE("shmqd: a newest segment whose header is zeros but which holds data is refused, not discarded",
          "[durability]") {
    testing::TestNamespace ns;
    DataDir data;
    (void)make_journal(ns, data);
    const std::string newest = data.segments().back().string();
    const int fd = ::open(newest.c_str(), O_WRONLY);
    REQUIRE(fd >= 0);
    const std::vector<char> zeros(journal::segment_header_bytes, 0);
    REQUIRE(pwrite(fd, zeros.data(), zeros.size(), 0) == static_cast<ssize_t>(zeros.size()));
    ::close(fd);
    (void)expect_refusal(ns, data, newest, "its header is zeros but it holds data");
}

TEST_CASE("shmqd: a bad header in an older segment refuses, quarantined, shmqd starts with the rest", "[durability]") {
    testing::TestNamespace ns;
    DataDir data;
    const std::set<std::string> sent = make_journal(ns, data);
    const auto segments = data.segments();
    const std::string damaged = segments[1].string(); // older: not the newest, not the definitions'
    const std::string lost_bytes = file_text(damaged);
    std::string reason;
    std::size_t offset = 0;
    char value = 0;
    SECTION("checksum") {
        offset = offsetof(journal::SegmentHeader, checksum);
        value = 0x5A;
        reason = "header checksum mismatch";
    }
    SECTION("magic") {
        offset = 0;
        value = 0x41;
        reason = "not a shmq journal segment";
    }
    SECTION("version") {
        offset = offsetof(journal::SegmentHeader, version);
        value = 9;
        reason = "format version";
    }
    const int fd = ::open(damaged.c_str(), O_WRONLY);
    REQUIRE(fd >= 0);
    REQUIRE(pwrite(fd, &value, 1, static_cast<off_t>(offset)) == 1);
    ::close(fd);

    wipe_regions(ns);
    const auto command = expect_refusal(ns, data, damaged, reason);
    const std::string said = quarantine(data, command, damaged);
    // What the moved segment held is counted for the operator: messages, no definitions.
    CHECK(std::regex_search(said, std::regex("; it held [1-9][0-9]* readable records \\(0 queue definitions, [1-9][0-9]* messages sent")));

    ChildProcess daemon = start_daemon(ns, data, {"--segment-mib", "1"});
    // Every queue is back (defined in the oldest segment), with every message the quarantined
    // segment did not hold; none of those comes back.
    std::set<std::string> expected;
    std::size_t lost = 0;
    for (const std::string& body : sent) {
        if (lost_bytes.find(body) == std::string::npos) {
            expected.insert(body);
        } else {
            ++lost;
        }
    }
    CHECK(lost > 0);
    CHECK(expected.size() > sent.size() / 2);
    CHECK(bodies_back(ns) == expected);
    stop_daemon(daemon);
}

TEST_CASE("shmqd: a stray file or an empty segment older than the newest refuses, quarantined, nothing is lost",
          "[durability]") {
    testing::TestNamespace ns;
    DataDir data;
    const std::set<std::string> sent = make_journal(ns, data);
    std::string stray;
    std::string reason;
    SECTION("a file whose name is no segment's") {
        stray = data.journal() + "/notes.txt";
        write_file(stray, "not a segment\n");
        reason = "not a journal file";
    }
    SECTION("an empty segment between two others") {
        const auto second = journal::parse_segment_file_name(data.segments()[1].filename().string());
        REQUIRE(second);
        stray = data.journal() + "/" + journal::segment_file_name(second.value() - 1);
        write_file(stray, "");
        reason = "empty, yet newer segments follow it";
    }

    wipe_regions(ns);
    const auto command = expect_refusal(ns, data, stray, reason);
    // A healthy segment is not moved by the command (a typo must not lose data).
    auto healthy = command;
    healthy.back() = data.segments().front().string();
    const Run refused = run_to_exit(healthy, data);
    REQUIRE(WIFEXITED(refused.status));
    CHECK(WEXITSTATUS(refused.status) == 1);
    CHECK(refused.stderr_text.find("is not a damaged journal file") != std::string::npos);
    CHECK(std::filesystem::exists(data.segments().front()));
    quarantine(data, command, stray);

    ChildProcess daemon = start_daemon(ns, data, {"--segment-mib", "1"});
    CHECK(bodies_back(ns) == sent);
    stop_daemon(daemon);
}

TEST_CASE("shmqd: a symbolic link or a directory planted as a segment refuses, the link is moved, not its target",
          "[durability]") {
    testing::TestNamespace ns;
    DataDir data;
    const std::set<std::string> sent = make_journal(ns, data);
    const std::string planted = next_segment_path(data);
    const std::string target = data.path + "/elsewhere.seg";
    std::string reason;
    SECTION("symbolic link") {
        std::filesystem::copy_file(data.segments().front(), target);
        std::filesystem::create_symlink(target, planted);
        reason = "a symbolic link, not a regular file";
    }
    SECTION("directory") {
        std::filesystem::create_directory(planted);
        reason = "a directory, not a regular file";
    }

    wipe_regions(ns);
    const auto command = expect_refusal(ns, data, planted, reason);
    quarantine(data, command, planted);
    if (!target.empty() && std::filesystem::exists(target)) {
        CHECK(std::filesystem::file_size(target) == std::filesystem::file_size(data.segments().front()));
    }

    ChildProcess daemon = start_daemon(ns, data, {"--segment-mib", "1"});
    CHECK(bodies_back(ns) == sent);
    stop_daemon(daemon);
}
