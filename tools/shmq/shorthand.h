// The aws CLI "shorthand syntax" (`Id=a,MessageBody=b`, `Key=a,b,c`, `k={DataType=String}`,
// `k=[a,b]`, quoted values, `\,` escapes, `key@=file://path`), ported from awscli's
// shorthand.py so a command line that works with `aws sqs` parses the same here. The result is
// untyped: every scalar is a string, as in awscli before its model-driven conversion; the
// commands convert fields to the types SQS expects.
#pragma once

#include <boost/json/object.hpp>
#include <string_view>

#include "outcome.h"

namespace shmq::cli {

// Parses a whole shorthand parameter (keyval *("," keyval)) into an object.
[[nodiscard]] CliResult<boost::json::object> parse_shorthand(std::string_view option_name, std::string_view text);

} // namespace shmq::cli
