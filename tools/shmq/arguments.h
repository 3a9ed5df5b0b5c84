// Turning command-line parameter values into the typed values the library takes, the way aws
// does: every value may come from file:// or fileb:// (except --queue-url, as in aws), structures
// are JSON when they start with '{' or '[' and shorthand otherwise, and the untyped result is
// checked against the shape SQS defines (unknown members, missing members, wrong types), with
// aws's wording in the errors. Option bookkeeping for CLI11 (which options were given) is here
// too, so the command files only describe their parameters.
#pragma once

#include <CLI/CLI.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "outcome.h"
#include "shmq/message.h"

namespace shmq::cli {

using StringMap = std::map<std::string, std::string, std::less<>>;

// One scalar option as typed on the command line; given() tells whether it was.
struct TextOption {
    std::string name; // "--message-body", for messages
    std::string value;
    CLI::Option* option = nullptr;
    [[nodiscard]] bool given() const { return option != nullptr && option->count() > 0; }
};

// One option that takes one or more values (aws nargs='+').
struct ListOption {
    std::string name;
    std::vector<std::string> values;
    CLI::Option* option = nullptr;
    [[nodiscard]] bool given() const { return option != nullptr && option->count() > 0; }
};

void add_text_option(CLI::App& command, TextOption& option, std::string name, std::string description,
                     bool required = false);
void add_list_option(CLI::App& command, ListOption& option, std::string name, std::string description,
                     bool required = false);

// The option's value with file:// and fileb:// loaded.
[[nodiscard]] CliResult<std::string> load_text(const TextOption& option);
// As load_text for each value of a list option.
[[nodiscard]] CliResult<std::vector<std::string>> load_list(const ListOption& option);

// An integer option as Python's int() reads it (surrounding spaces, sign, digits, '_' between
// digits). Not given: std::nullopt.
[[nodiscard]] CliResult<std::optional<std::int64_t>> load_integer(const TextOption& option);

// JSON if the text starts with '{' or '[' (after spaces), shorthand otherwise.
[[nodiscard]] CliResult<boost::json::value> parse_structure(std::string_view option_name, std::string_view text);
// The option's value (file:// loaded) parsed as parse_structure does.
[[nodiscard]] CliResult<boost::json::value> load_structure(const TextOption& option);

// A string-to-string map parameter (--attributes, --tags).
[[nodiscard]] CliResult<StringMap> load_string_map(const TextOption& option);
// A list-of-strings parameter (--attribute-names A B, or one JSON list).
[[nodiscard]] CliResult<std::vector<std::string>> load_string_list(const ListOption& option);
// A list-of-structures parameter (--entries): one JSON list, or one structure (JSON or
// shorthand) per value.
[[nodiscard]] CliResult<boost::json::array> load_structure_list(const ListOption& option);

// --message-attributes, or an entry's MessageAttributes: {"name": {"DataType": "String",
// "StringValue": "x"}} with BinaryValue in base64. path names the parameter in messages.
[[nodiscard]] CliResult<MessageAttributes> to_message_attributes(std::string_view path,
                                                                 const boost::json::value& value);

// Checks one structure of a list parameter against its SQS shape and reads its members.
class StructureReader {
  public:
    // path: "Entries[0]"; allowed: every member SQS defines, in model order.
    StructureReader(std::string path, const boost::json::value& value, std::initializer_list<std::string_view> allowed,
                    std::initializer_list<std::string_view> required);

    // Unknown or missing members, or not an object: a validation failure.
    [[nodiscard]] std::optional<Failure> check() const;
    [[nodiscard]] bool has(std::string_view member) const;
    [[nodiscard]] CliResult<std::string> string(std::string_view member) const;
    // A missing member gives std::nullopt. Shorthand gives strings; they are converted.
    [[nodiscard]] CliResult<std::optional<std::int64_t>> integer(std::string_view member) const;
    [[nodiscard]] const boost::json::value* member(std::string_view member) const;
    [[nodiscard]] const std::string& path() const noexcept { return path_; }

  private:
    std::string path_;
    const boost::json::value& value_;
    std::vector<std::string_view> allowed_;
    std::vector<std::string_view> required_;
};

// Python's name for a JSON value's type in aws's "Invalid type" messages.
[[nodiscard]] std::string python_type_name(const boost::json::value& value);

} // namespace shmq::cli
