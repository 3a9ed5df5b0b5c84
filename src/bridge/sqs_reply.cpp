// Classifying a remote SQS reply (see sqs_reply.h).
#include "sqs_reply.h"

#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>

namespace shmq::bridge {

namespace {

// A reply is the remote's bytes: bounded nesting, as every JSON the endpoint reads.
constexpr std::size_t reply_depth_max = 16;

std::string string_member(const boost::json::object& object, std::string_view key) {
    if (const boost::json::value* value = object.if_contains(key); value != nullptr && value->is_string()) {
        return std::string(value->get_string());
    }
    return {};
}

} // namespace

bool is_throttling_code(std::string_view code) noexcept {
    static constexpr std::array<std::string_view, 11> codes{
        "OverLimit", // a queue that holds all it can (shmq's MessageCapacity, SQS's in-flight limit): back off
        "ServiceUnavailable",
        "ThrottlingException",
        "Throttling",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "KMS.ThrottlingException",
        "ProvisionedThroughputExceededException",
        "SlowDown",
    };
    for (std::string_view known : codes) {
        if (code == known) {
            return true;
        }
    }
    return false;
}

SqsReply read_sqs_reply(long http_status, std::string_view body, std::string_view query_error_header) {
    SqsReply reply;
    reply.http_status = http_status;
    boost::json::parse_options options;
    options.max_depth = reply_depth_max;
    boost::system::error_code parse_error;
    reply.json = boost::json::parse(body, parse_error, {}, options);
    if (parse_error) {
        reply.json = nullptr;
    }
    const boost::json::object* object = reply.json.if_object();
    if (http_status == 200) {
        if (object != nullptr) {
            reply.kind = ReplyKind::ok;
        } else {
            reply.kind = ReplyKind::server_error;
            reply.error_code = "UnreadableReply";
            reply.error_message = "a 200 whose body is not a JSON object";
        }
        return reply;
    }
    if (object != nullptr) {
        std::string type = string_member(*object, "__type");
        if (const std::size_t hash = type.rfind('#'); hash != std::string::npos) {
            type.erase(0, hash + 1);
        }
        reply.error_code = std::move(type);
        reply.error_message = string_member(*object, "message");
        if (reply.error_message.empty()) {
            reply.error_message = string_member(*object, "Message");
        }
    }
    if (!query_error_header.empty()) {
        reply.error_code = std::string(query_error_header.substr(0, query_error_header.find(';')));
    }
    if (is_throttling_code(reply.error_code) || http_status == 429) {
        reply.kind = ReplyKind::throttled;
    } else if (http_status >= 500) {
        reply.kind = ReplyKind::server_error;
    } else {
        reply.kind = ReplyKind::client_error;
    }
    if (reply.error_code.empty()) {
        reply.error_code = "HTTP" + std::to_string(http_status);
    }
    return reply;
}

std::string SqsReply::describe() const {
    if (kind == ReplyKind::no_response) {
        return "no response: " + error_message;
    }
    if (http_status == 0) {
        return "not sent: " + error_message; // refused by the transport (RequestNotSent)
    }
    std::string text = "HTTP " + std::to_string(http_status);
    if (!error_code.empty()) {
        text += " " + error_code;
    }
    if (!error_message.empty()) {
        text += ": " + error_message;
    }
    return text;
}

} // namespace shmq::bridge
