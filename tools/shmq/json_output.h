// Output exactly as `aws --output json` prints it: Python's json.dump(response, indent=4,
// ensure_ascii=False) followed by a newline, nothing at all for an empty response, and keys in
// insertion order (callers insert them in the order of the SQS model, which is the order aws
// prints). Boost.JSON has no indenting serializer, so the layout is written here.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>

namespace shmq::cli {

// The text Python's json.dumps(value, indent=4, ensure_ascii=False) gives, without a newline.
[[nodiscard]] std::string to_pretty_json(const boost::json::value& value);

// Prints a response on stdout as aws does: nothing when it has no keys.
void print_response(const boost::json::object& response);

// Both lists are required members of every batch result, so aws prints them even when empty.
void print_batch_response(boost::json::array successful, boost::json::array failed);

} // namespace shmq::cli
