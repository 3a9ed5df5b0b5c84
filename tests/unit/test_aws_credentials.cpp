// Goal: the bridge finds credentials and a region where the AWS SDKs do, in their order: the
// environment first unless a profile is named, then the profile (AWS_PROFILE or default) in the
// shared credentials file, then in the config file ([profile NAME]); the region from the bridge's
// config, AWS_REGION, AWS_DEFAULT_REGION, then the profile. A half-set pair, a malformed file or a
// file others may write is an error that says where, and never quotes a secret.
// Method: resolve_credentials and resolve_region with an injected environment (a map) and files
// written by the test in a temporary HOME.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sys/stat.h>

#include "bridge/aws_credentials.h"

using namespace shmq;
using namespace shmq::bridge;

namespace {

struct FakeHome {
    std::filesystem::path home;
    std::map<std::string, std::string, std::less<>> variables;

    FakeHome() : home(std::filesystem::temp_directory_path() / ("shmq-aws-home-" + std::to_string(::getpid()))) {
        std::filesystem::remove_all(home);
        std::filesystem::create_directories(home / ".aws");
        variables["HOME"] = home.string();
    }
    ~FakeHome() { std::filesystem::remove_all(home); }
    FakeHome(const FakeHome&) = delete;
    FakeHome& operator=(const FakeHome&) = delete;

    std::string write(const std::string& name, const std::string& text, mode_t mode = 0600) const {
        const std::string path = (home / ".aws" / name).string();
        std::ofstream(path, std::ios::trunc) << text;
        ::chmod(path.c_str(), mode);
        return path;
    }
    [[nodiscard]] AwsEnvironment environment() const {
        return {[this](std::string_view name) -> std::optional<std::string> {
            const auto found = variables.find(name);
            return found == variables.end() ? std::nullopt : std::optional<std::string>(found->second);
        }};
    }
};

} // namespace

TEST_CASE("aws credentials: the environment first, then the profile in the credentials and config files", "[unit]") {
    FakeHome home;
    const std::string credentials = home.write("credentials", "[default]\naws_access_key_id = AKIDFILE\n"
                                                              "aws_secret_access_key = file-secret\n\n"
                                                              "# a comment\n[ops]\naws_access_key_id=AKIDOPS\n"
                                                              "aws_secret_access_key=ops-secret\n"
                                                              "aws_session_token=ops-token\n");
    const std::string config = home.write("config", "[default]\nregion = eu-west-1\n\n[profile cfg.only]\n"
                                                    "aws_access_key_id = AKIDCFG\naws_secret_access_key = cfg-secret\n"
                                                    "region = ap-south-1\n");
    auto from_file = resolve_credentials("", home.environment());
    REQUIRE(from_file);
    CHECK(from_file->access_key_id == "AKIDFILE");
    CHECK(from_file->secret_access_key == "file-secret");
    CHECK(from_file->session_token.empty());
    CHECK(from_file->source == "profile default in " + credentials);

    home.variables["AWS_ACCESS_KEY_ID"] = "AKIDENV";
    home.variables["AWS_SECRET_ACCESS_KEY"] = "env-secret";
    home.variables["AWS_SESSION_TOKEN"] = "env-token";
    auto from_environment = resolve_credentials("", home.environment());
    REQUIRE(from_environment);
    CHECK(from_environment->access_key_id == "AKIDENV");
    CHECK(from_environment->session_token == "env-token");
    CHECK(from_environment->source == "the environment");

    auto named = resolve_credentials("ops", home.environment()); // a named profile wins over the environment
    REQUIRE(named);
    CHECK(named->access_key_id == "AKIDOPS");
    CHECK(named->session_token == "ops-token");
    auto in_config = resolve_credentials("cfg.only", home.environment()); // a '.' in a profile name
    REQUIRE(in_config);
    CHECK(in_config->access_key_id == "AKIDCFG");
    CHECK(in_config->source == "profile cfg.only in " + config);

    home.variables.erase("AWS_ACCESS_KEY_ID");
    home.variables.erase("AWS_SECRET_ACCESS_KEY");
    home.variables["AWS_PROFILE"] = "ops";
    CHECK(resolve_credentials("", home.environment())->access_key_id == "AKIDOPS");

    const std::string elsewhere = home.write("other-credentials", "[ops]\naws_access_key_id = AKIDELSEWHERE\n"
                                                                  "aws_secret_access_key = x\n");
    home.variables["AWS_SHARED_CREDENTIALS_FILE"] = elsewhere;
    CHECK(resolve_credentials("", home.environment())->access_key_id == "AKIDELSEWHERE");
}

TEST_CASE("aws credentials: what is missing or wrong is said, with where, never a secret", "[unit]") {
    FakeHome home;
    auto none = resolve_credentials("", home.environment());
    REQUIRE_FALSE(none);
    CHECK(none.error().message == "no AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set, and "
                                  "profile default has no keys in " +
                                      (home.home / ".aws/credentials").string() + " or " +
                                      (home.home / ".aws/config").string());
    home.variables["AWS_ACCESS_KEY_ID"] = "AKIDHALF";
    auto half = resolve_credentials("", home.environment());
    REQUIRE_FALSE(half);
    CHECK(half.error().message == "the environment has AWS_ACCESS_KEY_ID without AWS_SECRET_ACCESS_KEY");
    home.variables.erase("AWS_ACCESS_KEY_ID");

    const std::string credentials = home.write("credentials", "[default]\naws_secret_access_key = top-secret\n");
    auto half_file = resolve_credentials("", home.environment());
    REQUIRE_FALSE(half_file);
    CHECK(half_file.error().message ==
          "profile default in " + credentials + " has aws_secret_access_key without aws_access_key_id");
    CHECK(half_file.error().message.find("top-secret") == std::string::npos);

    home.write("credentials", "[default]\naws_access_key_id = A\naws_access_key_id = B\n");
    auto duplicate = resolve_credentials("", home.environment());
    REQUIRE_FALSE(duplicate);
    CHECK(duplicate.error().message == credentials + ":3: duplicate key name");

    home.write("credentials", "[default]\naws_access_key_id = A\naws_secret_access_key = s\n", 0666);
    auto writable = resolve_credentials("", home.environment());
    REQUIRE_FALSE(writable);
    CHECK(writable.error().message.starts_with(credentials + ": is writable by its group or others (mode 0666)"));

    auto unnamed = resolve_credentials("nobody", home.environment());
    REQUIRE_FALSE(unnamed);
    CHECK(unnamed.error().message.starts_with(credentials + ": is writable")); // the file is read first
}

TEST_CASE("aws credentials: keys and tokens that could add a header or sign something else are refused", "[unit]") {
    // The session token becomes an X-Amz-Security-Token header and the keys feed libcurl's
    // signer: a CR/LF would let a credentials source inject headers into every request.
    FakeHome home;
    home.variables["AWS_ACCESS_KEY_ID"] = "AKIDENV";
    home.variables["AWS_SECRET_ACCESS_KEY"] = "env-secret";
    home.variables["AWS_SESSION_TOKEN"] = "token\r\nX-Injected: yes";
    auto injected = resolve_credentials("", home.environment());
    REQUIRE_FALSE(injected);
    CHECK(injected.error().message == "the session token from the environment has a character that is not printable "
                                      "ASCII (a space, a line break, a control character)");
    CHECK(injected.error().message.find("Injected") == std::string::npos);
    home.variables["AWS_SESSION_TOKEN"] = "IQoJb3JpZ2luX2VjE+/=";
    CHECK(resolve_credentials("", home.environment()));
    home.variables["AWS_ACCESS_KEY_ID"] = "AKID\x01";
    CHECK_FALSE(resolve_credentials("", home.environment()));
    home.variables.erase("AWS_ACCESS_KEY_ID");
    home.variables.erase("AWS_SECRET_ACCESS_KEY");
    home.variables.erase("AWS_SESSION_TOKEN");

    const std::string credentials =
        home.write("credentials", "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = two words\n");
    auto spaced = resolve_credentials("", home.environment());
    REQUIRE_FALSE(spaced);
    CHECK(spaced.error().message == "the secret access key from profile default in " + credentials +
                                        " has a character that is not printable ASCII (a space, a line break, a "
                                        "control character)");
    CHECK(spaced.error().message.find("words") == std::string::npos);
    home.write("credentials", "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\xc3\xa9"
                              "cret\n");
    CHECK_FALSE(resolve_credentials("", home.environment()));
}

TEST_CASE("aws region: the bridge's config, AWS_REGION, AWS_DEFAULT_REGION, then the profile", "[unit]") {
    FakeHome home;
    home.write("config", "[default]\nregion = eu-west-1\n[profile ops]\nregion = us-west-2\n");
    CHECK(resolve_region("", "", home.environment()).value() == "eu-west-1");
    CHECK(resolve_region("", "ops", home.environment()).value() == "us-west-2");
    home.variables["AWS_DEFAULT_REGION"] = "sa-east-1";
    CHECK(resolve_region("", "ops", home.environment()).value() == "sa-east-1");
    home.variables["AWS_REGION"] = "ca-central-1";
    CHECK(resolve_region("", "ops", home.environment()).value() == "ca-central-1");
    CHECK(resolve_region("me-south-1", "ops", home.environment()).value() == "me-south-1");
    home.variables.erase("AWS_REGION");
    home.variables.erase("AWS_DEFAULT_REGION");
    auto none = resolve_region("", "nobody", home.environment());
    REQUIRE_FALSE(none);
    CHECK(none.error().message == "no AWS region: none in the bridge's config, AWS_REGION and AWS_DEFAULT_REGION are "
                                  "not set, and profile nobody names none in " +
                                      (home.home / ".aws/config").string());
}
