// The JSON 1.0 protocol (see json_protocol.h).
#include "json_protocol.h"

#include <array>
#include <boost/json.hpp>
#include <boost/json/monotonic_resource.hpp>

#include "api/sqs_errors.h"

namespace shmq::daemon {
namespace {

namespace json = boost::json;

constexpr std::string_view target_prefix = "AmazonSQS.";


HttpReply sqs_error(const Error& error) {
    HttpReply reply;
    reply.status = static_cast<unsigned>(sqs_http_status(error.code));
    reply.headers.emplace_back("x-amzn-query-error", api::query_error_header(error.code));
    reply.body = json::serialize(
        json::object{{"__type", "com.amazonaws.sqs#" + std::string(api::json_error_type(error.code))},
                     {"message", error.message}});
    return reply;
}

} // namespace

HttpReply json_service_error(unsigned status, std::string_view type, std::string_view message,
                             std::string_view query_code) {
    HttpReply reply;
    reply.status = status;
    if (!query_code.empty()) {
        reply.headers.emplace_back("x-amzn-query-error", std::string(query_code) + ";Sender");
    }
    reply.body = json::serialize(json::object{{"__type", "com.amazon.coral.service#" + std::string(type)},
                                              {"message", message}});
    return reply;
}

HttpReply serve_json(api::SqsService& service, std::string_view target, std::string_view body,
                     const api::Caller& caller) {
    if (!target.starts_with(target_prefix) || !api::SqsService::knows(target.substr(target_prefix.size()))) {
        return json_service_error(400, "UnknownOperationException", "Unknown operation " + std::string(target) + ".");
    }
    // The request's values live in a buffer on the stack (spilling to the heap past it): no
    // allocation per member for the common small request.
    std::array<unsigned char, 4096> arena_buffer;
    json::monotonic_resource arena(arena_buffer.data(), arena_buffer.size());
    json::error_code parse_error;
    json::value request =
        body.empty() ? json::value(json::object(&arena)) : json::parse(body, parse_error, &arena);
    if (parse_error || !request.is_object()) {
        return json_service_error(400, "SerializationException",
                              "The request body is not a JSON object" +
                                  (parse_error ? ": " + parse_error.message() : std::string()) + ".");
    }
    auto response = service.call(target.substr(target_prefix.size()), request.get_object(), caller);
    if (!response) {
        return sqs_error(response.error());
    }
    HttpReply reply;
    reply.body = json::serialize(response.value());
    return reply;
}

} // namespace shmq::daemon
