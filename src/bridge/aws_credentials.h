// Where a client of Amazon SQS (the bridge, issue 12) finds its credentials and region: the
// standard AWS sources, looked up as the AWS SDKs and CLI do.
//
//   credentials, with a profile named by the bridge's config: that profile only
//     (the shared credentials file, then the config file);
//   without one: the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN),
//     then the profile AWS_PROFILE names, or "default", from the same files.
//   region: the bridge's config, then AWS_REGION, AWS_DEFAULT_REGION, then the profile's
//     `region` in the config file.
//   files: AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials, sections [NAME]) and
//     AWS_CONFIG_FILE (default ~/.aws/config, sections [profile NAME] and [default]), INI read
//     with Boost.PropertyTree. A missing file is no error; a file writable by its group or
//     others, or another user's, is (client::TrustedFile::config): it decides whose keys sign.
//
// Errors say which sources were tried and what was missing; a secret never appears in one.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "shmq/error.h"

namespace shmq::bridge {

struct AwsCredentials {
    std::string access_key_id;
    std::string secret_access_key;
    std::string session_token; // empty: none
    std::string source; // where they came from, for logs ("the environment", "profile P in FILE"); keys and token are
                        // printable ASCII
};

// What the lookup reads of its process: the environment, injectable for tests.
struct AwsEnvironment {
    std::function<std::optional<std::string>(std::string_view name)> variable;
    // The process's own environment (getenv); HOME locates ~/.aws.
    [[nodiscard]] static AwsEnvironment of_process();
};

[[nodiscard]] Result<AwsCredentials> resolve_credentials(std::string_view profile, const AwsEnvironment& environment);
[[nodiscard]] Result<std::string> resolve_region(std::string_view configured, std::string_view profile,
                                                 const AwsEnvironment& environment);

} // namespace shmq::bridge
