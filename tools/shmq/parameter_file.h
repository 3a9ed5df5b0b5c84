// Parameter values read from files, as aws does for any parameter value: `file://path` gives
// the file's text (UTF-8, newlines translated as Python's text mode does), `fileb://path` its raw
// bytes. `~` and `$VAR` in the path are expanded. Any other value is returned unchanged.
#pragma once

#include <string>
#include <string_view>

#include "outcome.h"

namespace shmq::cli {

[[nodiscard]] CliResult<std::string> resolve_parameter_file(std::string_view option_name, std::string_view value);

// True when value names a file (file:// or fileb://).
[[nodiscard]] bool is_parameter_file(std::string_view value) noexcept;

} // namespace shmq::cli
