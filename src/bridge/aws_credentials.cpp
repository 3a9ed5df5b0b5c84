// The standard AWS credential and region sources (see aws_credentials.h).
#include "aws_credentials.h"

#include <algorithm>
#include <boost/property_tree/ini_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include <cstdlib>
#include <sstream>

#include "client/private_directory.h"

namespace shmq::bridge {

namespace {

namespace pt = boost::property_tree;

constexpr std::size_t aws_file_bytes_max = 1u << 20;

std::string non_empty(const AwsEnvironment& environment, std::string_view name) {
    const std::optional<std::string> value = environment.variable(name);
    return value ? *value : std::string();
}

struct AwsFile {
    std::string path;
    std::optional<pt::ptree> sections; // nullopt: the file does not exist
};

std::string file_path(const AwsEnvironment& environment, std::string_view variable, std::string_view default_name) {
    if (std::string path = non_empty(environment, variable); !path.empty()) {
        return path;
    }
    const std::string home = non_empty(environment, "HOME");
    return home.empty() ? std::string() : home + "/.aws/" + std::string(default_name);
}

Result<AwsFile> read_aws_file(const AwsEnvironment& environment, std::string_view variable,
                              std::string_view default_name) {
    AwsFile file{file_path(environment, variable, default_name), std::nullopt};
    if (file.path.empty()) {
        return file;
    }
    auto text = client::read_trusted_file(file.path, aws_file_bytes_max, client::TrustedFile::config);
    if (!text) {
        if (text.error().code == Errc::resource_not_found) {
            return file;
        }
        return text.error();
    }
    std::istringstream in(text.value());
    try {
        pt::ptree sections;
        pt::read_ini(in, sections);
        file.sections = std::move(sections);
    } catch (const pt::ini_parser_error& error) {
        return Error{Errc::invalid_parameter_value,
                     file.path + ":" + std::to_string(error.line()) + ": " + error.message()};
    }
    return file;
}

// The section of profile in a file: [NAME] in the credentials file, [profile NAME] (or [default])
// in the config file. Section names are looked up as written: ptree's '.' path separator must not
// split "profile a.b".
const pt::ptree* section_of(const AwsFile& file, std::string_view profile, bool config_file) {
    if (!file.sections) {
        return nullptr;
    }
    const std::string name =
        config_file && profile != "default" ? "profile " + std::string(profile) : std::string(profile);
    const auto found = file.sections->find(name);
    return found == file.sections->not_found() ? nullptr : &found->second;
}

std::string value_in(const pt::ptree* section, std::string_view key) {
    if (section == nullptr) {
        return {};
    }
    const auto found = section->find(std::string(key));
    return found == section->not_found() ? std::string() : found->second.data();
}

// Keys go to libcurl's signer and the session token into an HTTP header: a character outside
// printable ASCII (a CR/LF, a space, a byte of another encoding) could add headers of its own or
// sign something else than was meant. AWS's keys and tokens are base64 and alphanumerics.
Result<AwsCredentials> checked(AwsCredentials credentials) {
    const auto printable = [](const std::string& value) {
        return std::all_of(value.begin(), value.end(), [](char c) { return c > ' ' && c < 0x7f; });
    };
    for (const auto& [value, name] : {std::pair{&credentials.access_key_id, "the access key id"},
                                      std::pair{&credentials.secret_access_key, "the secret access key"},
                                      std::pair{&credentials.session_token, "the session token"}}) {
        if (!printable(*value)) {
            return Error{Errc::invalid_parameter_value, std::string(name) + " from " + credentials.source +
                                                            " has a character that is not printable ASCII (a "
                                                            "space, a line break, a control character)"};
        }
    }
    return credentials;
}

std::string profile_of(std::string_view configured, const AwsEnvironment& environment) {
    if (!configured.empty()) {
        return std::string(configured);
    }
    const std::string named = non_empty(environment, "AWS_PROFILE");
    return named.empty() ? "default" : named;
}

} // namespace

AwsEnvironment AwsEnvironment::of_process() {
    return {[](std::string_view name) -> std::optional<std::string> {
        const char* value = std::getenv(std::string(name).c_str());
        if (value == nullptr || *value == '\0') {
            return std::nullopt;
        }
        return std::string(value);
    }};
}

Result<AwsCredentials> resolve_credentials(std::string_view configured_profile, const AwsEnvironment& environment) {
    if (configured_profile.empty()) {
        const std::string key = non_empty(environment, "AWS_ACCESS_KEY_ID");
        const std::string secret = non_empty(environment, "AWS_SECRET_ACCESS_KEY");
        if (!key.empty() && !secret.empty()) {
            return checked({key, secret, non_empty(environment, "AWS_SESSION_TOKEN"), "the environment"});
        }
        if (!key.empty() || !secret.empty()) {
            return Error{Errc::invalid_parameter_value,
                         std::string("the environment has ") +
                             (key.empty() ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID") + " without " +
                             (key.empty() ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY")};
        }
    }
    const std::string profile = profile_of(configured_profile, environment);
    auto credentials_file = read_aws_file(environment, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
    if (!credentials_file) {
        return credentials_file.error();
    }
    auto config_file = read_aws_file(environment, "AWS_CONFIG_FILE", "config");
    if (!config_file) {
        return config_file.error();
    }
    for (const auto& [file, is_config] :
         {std::pair{&credentials_file.value(), false}, std::pair{&config_file.value(), true}}) {
        const pt::ptree* section = section_of(*file, profile, is_config);
        const std::string key = value_in(section, "aws_access_key_id");
        const std::string secret = value_in(section, "aws_secret_access_key");
        if (!key.empty() && !secret.empty()) {
            return checked(
                {key, secret, value_in(section, "aws_session_token"), "profile " + profile + " in " + file->path});
        }
        if (!key.empty() || !secret.empty()) {
            return Error{Errc::invalid_parameter_value,
                         "profile " + profile + " in " + file->path + " has " +
                             (key.empty() ? "aws_secret_access_key without aws_access_key_id"
                                          : "aws_access_key_id without aws_secret_access_key")};
        }
    }
    return Error{Errc::invalid_parameter_value,
                 "no AWS credentials: " +
                     std::string(configured_profile.empty()
                                     ? "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set, and "
                                     : "") +
                     "profile " + profile + " has no keys in " +
                     (credentials_file->path.empty() ? std::string("(no credentials file: HOME is not set)")
                                                     : credentials_file->path) +
                     " or " + (config_file->path.empty() ? std::string("(no config file)") : config_file->path)};
}

Result<std::string> resolve_region(std::string_view configured, std::string_view configured_profile,
                                   const AwsEnvironment& environment) {
    if (!configured.empty()) {
        return std::string(configured);
    }
    for (const std::string_view variable : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
        if (std::string region = non_empty(environment, variable); !region.empty()) {
            return region;
        }
    }
    const std::string profile = profile_of(configured_profile, environment);
    auto config_file = read_aws_file(environment, "AWS_CONFIG_FILE", "config");
    if (!config_file) {
        return config_file.error();
    }
    if (std::string region = value_in(section_of(config_file.value(), profile, true), "region"); !region.empty()) {
        return region;
    }
    return Error{Errc::invalid_parameter_value,
                 "no AWS region: none in the bridge's config, AWS_REGION and "
                 "AWS_DEFAULT_REGION are not set, and profile " +
                     profile + " names none in " +
                     (config_file->path.empty() ? std::string("(no config file)") : config_file->path)};
}

} // namespace shmq::bridge
