// RequestReader: typed access to the members of a request shaped as the SQS API model (a JSON
// protocol body, or a Query request translated to one), with SQS's errors: a missing required
// member is MissingParameter ("The request must contain the parameter QueueUrl."), a member of
// the wrong type InvalidParameterValue naming it.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shmq/client.h"
#include "shmq/error.h"
#include "shmq/message.h"

namespace shmq::api {

class RequestReader {
  public:
    explicit RequestReader(const boost::json::object& request) noexcept : request_(request) {}

    [[nodiscard]] bool has(std::string_view name) const noexcept;
    [[nodiscard]] Result<std::string> required_string(std::string_view name) const;
    // Empty when absent.
    [[nodiscard]] Result<std::string> string(std::string_view name) const;
    [[nodiscard]] Result<std::optional<std::int64_t>> integer(std::string_view name) const;
    [[nodiscard]] Result<std::vector<std::string>> string_list(std::string_view name) const;
    [[nodiscard]] Result<std::map<std::string, std::string, std::less<>>> string_map(std::string_view name) const;
    // A list of structures (batch entries); empty when absent.
    [[nodiscard]] Result<std::vector<const boost::json::object*>> structure_list(std::string_view name) const;
    // MessageAttributes: {"name": {"DataType", "StringValue" | "BinaryValue" (base64)}}.
    [[nodiscard]] Result<MessageAttributes> message_attributes(std::string_view name) const;

  private:
    [[nodiscard]] static Error wrong_type(std::string_view name, std::string_view expected);
    const boost::json::object& request_;
};

} // namespace shmq::api
