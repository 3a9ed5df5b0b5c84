// Goal: the directories and files shmq keeps queues and journals in are the user's alone unless
// group access is asked for explicitly: the shared parent <shm_dir>/shmq is 01777, a namespace
// directory 0700 (02770 with group access), regions 0600 (0660); shmqd's data and journal
// directories follow the same rule. A namespace directory of another user, one others (or,
// without group access, its group) may write into, a symlink in its place, or a parent writable
// by all without the sticky bit is refused with an error that says what is wrong.
// Method: Clients on a private shm_dir under /tmp, with modes set by chmod and owners by chown
// (the owner cases need root, as CI runs; they are skipped otherwise).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <sys/stat.h>

#include "client/private_directory.h"
#include "region/region.h"
#include "shmq/client.h"

using namespace shmq;

namespace {

constexpr uid_t nobody = 65534;

// A fresh shm_dir for one test, removed at the end.
class TemporaryRoot {
  public:
    TemporaryRoot() {
        std::string pattern = (std::filesystem::temp_directory_path() / "shmq-permissions-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        path_ = pattern;
    }
    ~TemporaryRoot() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TemporaryRoot(const TemporaryRoot&) = delete;
    TemporaryRoot& operator=(const TemporaryRoot&) = delete;
    [[nodiscard]] const std::string& path() const { return path_; }
    [[nodiscard]] std::string namespace_dir(const std::string& name) const { return path_ + "/shmq/" + name; }

  private:
    std::string path_;
};

mode_t mode_of(const std::string& path) {
    struct stat info {};
    REQUIRE(lstat(path.c_str(), &info) == 0);
    return info.st_mode & 07777;
}

Result<Client> open_client(const TemporaryRoot& root, bool group_access = false) {
    ClientOptions options;
    options.namespace_name = "ns";
    options.shm_dir = root.path();
    options.group_access = group_access;
    return Client::open(options);
}

} // namespace

TEST_CASE("namespace directories are 0700 and regions 0600, the shared parent is 01777", "[unit]") {
    const TemporaryRoot root;
    const mode_t old_umask = umask(022); // what a login shell has: mkdir alone would drop bits
    auto client = open_client(root);
    umask(old_umask);
    REQUIRE(client);
    CHECK(mode_of(root.path() + "/shmq") == 01777);
    CHECK(mode_of(root.namespace_dir("ns")) == 0700);
    REQUIRE(client->create_queue("q"));
    CHECK(mode_of(region::Region::path_of(root.namespace_dir("ns"), "q")) == 0600);
    // Asking a private namespace for group bits does not give them.
    REQUIRE(client->create_queue("asked", {}, {}, QueueCapacity{.permissions = 0660}));
    CHECK(mode_of(region::Region::path_of(root.namespace_dir("ns"), "asked")) == 0600);
}

TEST_CASE("group access, asked for explicitly, gives the group the directory (02770) and queues (0660)", "[unit]") {
    const TemporaryRoot root;
    SECTION("by ClientOptions") {
        auto client = open_client(root, true);
        REQUIRE(client);
        CHECK(client->group_access());
        CHECK(mode_of(root.namespace_dir("ns")) == 02770);
        REQUIRE(client->create_queue("q"));
        CHECK(mode_of(region::Region::path_of(root.namespace_dir("ns"), "q")) == 0660);
        REQUIRE(client->create_queue("private", {}, {}, QueueCapacity{.permissions = 0600}));
        CHECK(mode_of(region::Region::path_of(root.namespace_dir("ns"), "private")) == 0600);
        // A group-writable namespace directory is refused again once group access is off.
        auto private_client = open_client(root, false);
        REQUIRE_FALSE(private_client);
        CHECK(private_client.code() == Errc::access_denied);
        CHECK(private_client.error().message.find("writable by its group") != std::string::npos);
    }
    SECTION("by $SHMQ_GROUP_ACCESS=1") {
        setenv("SHMQ_GROUP_ACCESS", "1", 1);
        auto client = open_client(root);
        unsetenv("SHMQ_GROUP_ACCESS");
        REQUIRE(client);
        CHECK(client->group_access());
        CHECK(mode_of(root.namespace_dir("ns")) == 02770);
    }
}

TEST_CASE("a namespace directory others may write into, or another's, or a symlink, is refused", "[unit]") {
    const TemporaryRoot root;
    REQUIRE(open_client(root));
    const std::string directory = root.namespace_dir("ns");
    SECTION("writable by others") {
        REQUIRE(chmod(directory.c_str(), 01777) == 0);
        auto refused = open_client(root);
        REQUIRE_FALSE(refused);
        CHECK(refused.code() == Errc::access_denied);
        CHECK(refused.error().message ==
              "directory " + directory + " is writable by others (mode 1777): make it 0700 (chmod 700) or remove it");
        CHECK_FALSE(open_client(root, true)); // group access does not open it to others
    }
    SECTION("writable by its group, without group access") {
        REQUIRE(chmod(directory.c_str(), 0770) == 0);
        CHECK(open_client(root).code() == Errc::access_denied);
        CHECK(open_client(root, true));
    }
    SECTION("a symlink to a directory of ours") {
        const std::string elsewhere = root.path() + "/elsewhere";
        REQUIRE(mkdir(elsewhere.c_str(), 0700) == 0);
        std::filesystem::remove_all(directory);
        REQUIRE(symlink(elsewhere.c_str(), directory.c_str()) == 0);
        auto refused = open_client(root);
        REQUIRE_FALSE(refused);
        CHECK(refused.error().message.find("is not a directory") != std::string::npos);
    }
    SECTION("owned by another user") {
        if (geteuid() != 0) {
            WARN("needs root to give a directory away: not checked");
            return;
        }
        REQUIRE(chown(directory.c_str(), nobody, nobody) == 0);
        auto refused = open_client(root);
        REQUIRE_FALSE(refused);
        CHECK(refused.code() == Errc::access_denied);
        CHECK(refused.error().message == "directory " + directory + " is owned by uid 65534, not by this user (uid " +
                                             std::to_string(geteuid()) + ")");
        CHECK_FALSE(open_client(root, true)); // nobody's group is not ours
    }
    SECTION("a shared parent writable by all without the sticky bit") {
        REQUIRE(chmod((root.path() + "/shmq").c_str(), 0777) == 0);
        auto refused = open_client(root);
        REQUIRE_FALSE(refused);
        CHECK(refused.error().message.find("without the sticky bit") != std::string::npos);
    }
}

TEST_CASE("shmqd's data and journal directories follow the same rule", "[unit]") {
    const TemporaryRoot root;
    const std::string data = root.path() + "/data";
    REQUIRE(client::make_private_directory(data, client::DirectoryAccess::owner_only));
    CHECK(mode_of(data) == 0700);
    REQUIRE(client::make_private_directory(data + "/journal", client::DirectoryAccess::owner_only));
    CHECK(mode_of(data + "/journal") == 0700);
    REQUIRE(chmod(data.c_str(), 0757) == 0);
    auto refused = client::make_private_directory(data, client::DirectoryAccess::owner_only);
    CHECK(refused.code() == Errc::access_denied);
    CHECK(refused.message().find("writable by others") != std::string::npos);
    const std::string shared = root.path() + "/shared-data";
    REQUIRE(client::make_private_directory(shared, client::DirectoryAccess::group));
    CHECK(mode_of(shared) == 02770);
    if (geteuid() == 0) {
        REQUIRE(chown(shared.c_str(), nobody, nobody) == 0);
        CHECK(client::make_private_directory(shared, client::DirectoryAccess::owner_only).code() ==
              Errc::access_denied);
    }
}
