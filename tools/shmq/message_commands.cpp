// Message commands: send-message, send-message-batch, receive-message, delete-message,
// delete-message-batch, change-message-visibility, change-message-visibility-batch.
//
// Ranges whose violation the library could not even represent are checked here: a negative
// DelaySeconds or VisibilityTimeout would read as the library's "-1: queue default" sentinel,
// so they are rejected with SQS's message before the call. MessageGroupId and
// MessageDeduplicationId go to the library as given (it checks them against the queue type), and
// so does ReceiveRequestAttemptId. MessageSystemAttributes carry AWSTraceHeader, the only one
// SQS takes (sqs::aws_trace_header_of says why another is refused).
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/batch_results.h"
#include "api/message_json.h"
#include "api/parameter_checks.h"
#include "arguments.h"
#include "command.h"
#include "json_output.h"
#include "shmq/limits.h"
#include "shmq/message.h"
#include "sqs/message_validation.h"

namespace shmq::cli {
namespace {

// MessageSystemAttributes (JSON as --message-attributes takes): the AWSTraceHeader they carry.
CliResult<std::string> aws_trace_header_of(std::string_view path, const boost::json::value& value) {
    auto converted = to_message_attributes(path, value);
    if (!converted.ok()) {
        return converted.failure();
    }
    auto trace = sqs::aws_trace_header_of(converted.value());
    if (!trace) {
        return Failure::service(trace.error());
    }
    return std::move(trace).value();
}

// SendMessage: the MessageId and, for FIFO queues, the SequenceNumber.
CliResult<SendOutcome> send_one(Queue& queue, const SendEntry& entry) {
    auto outcome = queue.send_message(entry);
    if (!outcome) {
        return Failure::service(outcome.error());
    }
    return outcome.value();
}

// The library's range checks as CLI failures.
std::optional<Failure> failure_of(const Status& status) {
    return status ? std::nullopt : std::optional<Failure>(Failure::service(status.error()));
}

std::optional<Failure> check_delay(std::int64_t delay_seconds) {
    return failure_of(api::check_delay(delay_seconds));
}

// Values are range-checked before this, so the conversion is exact.
std::int32_t narrow(std::int64_t value) {
    return static_cast<std::int32_t>(value);
}

CliResult<Queue> open_queue_at(const Client& client, std::string_view url) {
    auto name = queue_name_from_url(url);
    if (!name.ok()) {
        return name.failure();
    }
    auto queue = client.open_queue(name.value());
    if (!queue.ok()) {
        return Failure::service(queue.error());
    }
    return std::move(queue).value();
}

// ---------------------------------------------------------------------------------------------

struct SendMessageCommand {
    TextOption queue_url, message_body, delay_seconds, message_attributes, message_system_attributes,
        message_deduplication_id, message_group_id;

    void declare(CLI::App& parser) {
        add_text_option(parser, queue_url, "--queue-url", "URL of the queue", true);
        add_text_option(parser, message_body, "--message-body", "The message body", true);
        add_text_option(parser, delay_seconds, "--delay-seconds", "Delay (0-900 s)");
        add_text_option(parser, message_attributes, "--message-attributes",
                        "Message attributes: JSON {\"name\": {\"DataType\": \"String\", "
                        "\"StringValue\": \"v\"}} (BinaryValue in base64)");
        add_text_option(parser, message_system_attributes, "--message-system-attributes",
                        "JSON {\"AWSTraceHeader\": {\"DataType\": \"String\", \"StringValue\": \"Root=...\"}}");
        add_text_option(parser, message_deduplication_id, "--message-deduplication-id",
                        "FIFO queues: deduplication id (optional with ContentBasedDeduplication)");
        add_text_option(parser, message_group_id, "--message-group-id",
                        "FIFO queues: message group (required); standard queues: returned on receive");
    }

    Outcome run(const Client& client, const GlobalOptions& /*globals*/) {
        auto body = load_text(message_body);
        if (!body.ok()) {
            return body.failure();
        }
        std::string group_id;
        std::string deduplication_id;
        for (auto [option, text] :
             {std::pair{&message_group_id, &group_id}, std::pair{&message_deduplication_id, &deduplication_id}}) {
            if (!option->given()) {
                continue;
            }
            auto loaded = load_text(*option);
            if (!loaded.ok()) {
                return loaded.failure();
            }
            *text = std::move(loaded).value();
        }
        auto delay = load_integer(delay_seconds);
        if (!delay.ok()) {
            return delay.failure();
        }
        MessageAttributes attributes;
        if (message_attributes.given()) {
            auto parsed = load_structure(message_attributes);
            if (!parsed.ok()) {
                return parsed.failure();
            }
            auto converted = to_message_attributes("MessageAttributes", parsed.value());
            if (!converted.ok()) {
                return converted.failure();
            }
            attributes = std::move(converted).value();
        }
        std::string trace;
        if (message_system_attributes.given()) {
            auto parsed = load_structure(message_system_attributes);
            if (!parsed.ok()) {
                return parsed.failure();
            }
            auto found = aws_trace_header_of("MessageSystemAttributes", parsed.value());
            if (!found.ok()) {
                return found.failure();
            }
            trace = std::move(found).value();
        }
        SendEntry entry;
        entry.body = body.value();
        entry.attributes = attributes.empty() ? nullptr : &attributes;
        entry.message_group_id = group_id;
        entry.message_deduplication_id = deduplication_id;
        entry.aws_trace_header = trace;
        if (delay.value()) {
            if (auto failure = check_delay(*delay.value())) {
                return *failure;
            }
            entry.delay_seconds = narrow(*delay.value());
        }
        auto queue = open_queue_at(client, queue_url.value);
        if (!queue.ok()) {
            return queue.failure();
        }
        auto sent = send_one(queue.value(), entry);
        if (!sent.ok()) {
            return sent.failure();
        }
        // Members in the order of SendMessageResult.
        boost::json::object response{{"MD5OfMessageBody", md5_of_body(entry.body)}};
        if (!attributes.empty()) {
            response["MD5OfMessageAttributes"] = md5_of_message_attributes(attributes);
        }
        if (!trace.empty()) {
            response["MD5OfMessageSystemAttributes"] = md5_of_message_system_attributes(trace);
        }
        response["MessageId"] = sent.value().message_id.to_string();
        if (const auto sequence = sequence_number_text(sent.value().sequence_number); !sequence.empty()) {
            response["SequenceNumber"] = sequence;
        }
        print_response(response);
        return {};
    }
};

struct SendMessageBatchCommand {
    TextOption queue_url;
    ListOption entries;

    void declare(CLI::App& parser) {
        add_text_option(parser, queue_url, "--queue-url", "URL of the queue", true);
        add_list_option(parser, entries, "--entries",
                        "Up to 10 entries: a JSON list, or Id=a,MessageBody=b Id=c,MessageBody=d "
                        "(FIFO: add MessageGroupId and MessageDeduplicationId)",
                        true);
    }

    // One entry as read from the command line; entries that fail before the library sees them
    // keep their failure here.
    struct Entry {
        std::string id;
        std::string body;
        MessageAttributes attributes;
        std::int32_t delay_seconds = -1;
        std::string message_group_id;
        std::string message_deduplication_id;
        std::string aws_trace_header;
        std::optional<Failure> failure;
    };

    Outcome run(const Client& client, const GlobalOptions& /*globals*/) {
        auto list = load_structure_list(entries);
        if (!list.ok()) {
            return list.failure();
        }
        std::vector<Entry> read;
        for (std::size_t index = 0; index < list.value().size(); ++index) {
            auto entry = read_entry(index, list.value()[index]);
            if (!entry.ok()) {
                return entry.failure();
            }
            read.push_back(std::move(entry).value());
        }
        std::vector<std::string> ids;
        for (const auto& entry : read) {
            ids.push_back(entry.id);
        }
        if (Status checked = api::check_batch_entry_ids("SendMessageBatchRequestEntry", ids); !checked) {
            return Failure::service(checked.error());
        }
        auto queue = open_queue_at(client, queue_url.value);
        if (!queue.ok()) {
            return queue.failure();
        }
        std::vector<SendEntry> to_send;
        std::vector<std::size_t> sent_index; // to_send[i] is read[sent_index[i]]
        for (std::size_t index = 0; index < read.size(); ++index) {
            if (read[index].failure) {
                continue;
            }
            SendEntry entry;
            entry.body = read[index].body;
            entry.attributes = read[index].attributes.empty() ? nullptr : &read[index].attributes;
            entry.delay_seconds = read[index].delay_seconds;
            entry.message_group_id = read[index].message_group_id;
            entry.message_deduplication_id = read[index].message_deduplication_id;
            entry.aws_trace_header = read[index].aws_trace_header;
            to_send.push_back(entry);
            sent_index.push_back(index);
        }
        std::vector<SendOutcome> outcomes(to_send.size());
        if (!to_send.empty()) {
            if (auto status = queue.value().send_batch(to_send, outcomes); !status.ok()) {
                return Failure::service(status.error());
            }
        }
        std::vector<std::size_t> sent_of(read.size(), 0); // read[i] is to_send[sent_of[i]]
        for (std::size_t sent = 0; sent < sent_index.size(); ++sent) {
            sent_of[sent_index[sent]] = sent;
        }
        boost::json::array successful;
        boost::json::array failed;
        for (std::size_t index = 0; index < read.size(); ++index) {
            const Entry& entry = read[index];
            if (entry.failure) {
                failed.push_back(api::failed_entry(entry.id, Errc::invalid_parameter_value, entry.failure->message));
                continue;
            }
            const SendOutcome& outcome = outcomes[sent_of[index]];
            if (outcome.error != Errc::ok) {
                // The library's own code and text for this entry (e.g. MissingParameter, "The
                // request must contain the parameter MessageGroupId.").
                const Status explained = queue.value().explain_send_error(to_send[sent_of[index]], outcome.error);
                failed.push_back(explained.ok() ? api::failed_entry(entry.id, outcome.error,
                                                                    api::default_error_message(outcome.error))
                                                : api::failed_entry(entry.id, explained.code(), explained.message()));
                continue;
            }
            // Members in the order of SendMessageBatchResultEntry.
            boost::json::object result{{"Id", entry.id},
                                       {"MessageId", outcome.message_id.to_string()},
                                       {"MD5OfMessageBody", md5_of_body(entry.body)}};
            if (!entry.attributes.empty()) {
                result["MD5OfMessageAttributes"] = md5_of_message_attributes(entry.attributes);
            }
            if (!entry.aws_trace_header.empty()) {
                result["MD5OfMessageSystemAttributes"] = md5_of_message_system_attributes(entry.aws_trace_header);
            }
            if (const auto sequence = sequence_number_text(outcome.sequence_number); !sequence.empty()) {
                result["SequenceNumber"] = sequence;
            }
            successful.push_back(std::move(result));
        }
        print_batch_response(std::move(successful), std::move(failed));
        return {};
    }

  private:
    static CliResult<Entry> read_entry(std::size_t index, const boost::json::value& value) {
        const StructureReader reader("Entries[" + std::to_string(index) + "]", value,
                                     {"Id", "MessageBody", "DelaySeconds", "MessageAttributes",
                                      "MessageSystemAttributes", "MessageDeduplicationId", "MessageGroupId"},
                                     {"Id", "MessageBody"});
        if (auto failure = reader.check()) {
            return *failure;
        }
        Entry entry;
        auto id = reader.string("Id");
        auto body = reader.string("MessageBody");
        auto delay = reader.integer("DelaySeconds");
        auto group_id = reader.string("MessageGroupId");
        auto deduplication_id = reader.string("MessageDeduplicationId");
        for (const auto* text : {&id, &body, &group_id, &deduplication_id}) {
            if (!text->ok()) {
                return text->failure();
            }
        }
        if (!delay.ok()) {
            return delay.failure();
        }
        entry.id = std::move(id).value();
        entry.body = std::move(body).value();
        entry.message_group_id = std::move(group_id).value();
        entry.message_deduplication_id = std::move(deduplication_id).value();
        if (const auto* attributes = reader.member("MessageAttributes")) {
            auto converted = to_message_attributes(reader.path() + ".MessageAttributes", *attributes);
            if (!converted.ok()) {
                return converted.failure();
            }
            entry.attributes = std::move(converted).value();
        }
        if (delay.value()) {
            // Out of range fails this entry only, as SQS does.
            entry.failure = check_delay(*delay.value());
            if (!entry.failure) {
                entry.delay_seconds = narrow(*delay.value());
            }
        }
        if (const auto* system = reader.member("MessageSystemAttributes")) {
            // A trace header SQS would refuse fails this entry only, as over HTTP.
            auto trace = aws_trace_header_of(reader.path() + ".MessageSystemAttributes", *system);
            if (trace.ok()) {
                entry.aws_trace_header = std::move(trace).value();
            } else if (!entry.failure) {
                entry.failure = trace.failure();
            }
        }
        return entry;
    }
};

// ---------------------------------------------------------------------------------------------

struct ReceiveMessageCommand {
    TextOption queue_url, max_number_of_messages, visibility_timeout, wait_time_seconds, receive_request_attempt_id;
    ListOption attribute_names, message_system_attribute_names, message_attribute_names;

    void declare(CLI::App& parser) {
        add_text_option(parser, queue_url, "--queue-url", "URL of the queue", true);
        add_list_option(parser, attribute_names, "--attribute-names",
                        "System attributes to return (deprecated name of "
                        "--message-system-attribute-names)");
        add_list_option(parser, message_system_attribute_names, "--message-system-attribute-names",
                        "System attributes to return: All, SenderId, SentTimestamp, "
                        "ApproximateReceiveCount, ApproximateFirstReceiveTimestamp, MessageDeduplicationId, "
                        "MessageGroupId, SequenceNumber, AWSTraceHeader, DeadLetterQueueSourceArn");
        add_list_option(parser, message_attribute_names, "--message-attribute-names",
                        "Message attributes to return: All, .*, prefix.*, or names");
        add_text_option(parser, max_number_of_messages, "--max-number-of-messages",
                        "At most this many messages (1-10)");
        add_text_option(parser, visibility_timeout, "--visibility-timeout",
                        "Visibility timeout for these messages (0-43200 s)");
        add_text_option(parser, wait_time_seconds, "--wait-time-seconds", "Long poll for up to this long (0-20 s)");
        add_text_option(parser, receive_request_attempt_id, "--receive-request-attempt-id",
                        "FIFO queues: a retry with this id within 5 minutes returns the same messages");
    }

    Outcome run(const Client& client, const GlobalOptions& /*globals*/) {
        auto request = read_request();
        if (!request.ok()) {
            return request.failure();
        }
        if (receive_request_attempt_id.given()) {
            request.value().receive_request_attempt_id = receive_request_attempt_id.value; // lives as long as run()
        }
        api::SystemAttributeSelection system;
        system.scope = client.scope();
        for (const ListOption* option : {&attribute_names, &message_system_attribute_names}) {
            if (!option->given()) {
                continue;
            }
            auto names = load_string_list(*option);
            if (!names.ok()) {
                return names.failure();
            }
            for (const auto& name : names.value()) {
                system.add(name);
            }
        }
        std::vector<std::string> patterns;
        if (message_attribute_names.given()) {
            auto names = load_string_list(message_attribute_names);
            if (!names.ok()) {
                return names.failure();
            }
            patterns = std::move(names).value();
        }
        auto queue = open_queue_at(client, queue_url.value);
        if (!queue.ok()) {
            return queue.failure();
        }
        auto received = api::receive_messages_json(queue.value(), request.value(), system, patterns);
        if (!received.ok()) {
            return Failure::service(received.error());
        }
        boost::json::object response;
        if (!received.value().empty()) {
            response["Messages"] = std::move(received).value();
        }
        print_response(response); // an empty receive prints nothing, as in aws
        return {};
    }

  private:
    CliResult<ReceiveRequest> read_request() {
        auto count = load_integer(max_number_of_messages);
        auto visibility = load_integer(visibility_timeout);
        auto wait = load_integer(wait_time_seconds);
        for (const auto* parsed : {&count, &visibility, &wait}) {
            if (!parsed->ok()) {
                return parsed->failure();
            }
        }
        ReceiveRequest request;
        if (count.value()) {
            if (auto failure = failure_of(api::check_max_number_of_messages(*count.value()))) {
                return *failure;
            }
            request.max_number_of_messages = static_cast<std::uint32_t>(*count.value());
        }
        if (visibility.value()) {
            if (auto failure = failure_of(api::check_visibility_timeout(*visibility.value(), true))) {
                return *failure;
            }
            request.visibility_timeout_s = narrow(*visibility.value());
        }
        if (wait.value()) {
            if (auto failure = failure_of(api::check_wait_time(*wait.value()))) {
                return *failure;
            }
            request.wait_time_s = narrow(*wait.value());
        }
        return request;
    }
};

// ---------------------------------------------------------------------------------------------

CliResult<ReceiptHandle> parse_receipt_handle(std::string_view text) {
    auto handle = ReceiptHandle::parse(text);
    if (!handle.ok()) {
        return Failure::service(handle.error());
    }
    return handle.value();
}

struct DeleteMessageCommand {
    TextOption queue_url, receipt_handle;

    void declare(CLI::App& parser) {
        add_text_option(parser, queue_url, "--queue-url", "URL of the queue", true);
        add_text_option(parser, receipt_handle, "--receipt-handle", "Receipt handle from receive-message", true);
    }

    Outcome run(const Client& client, const GlobalOptions& /*globals*/) {
        auto text = load_text(receipt_handle);
        if (!text.ok()) {
            return text.failure();
        }
        auto queue = open_queue_at(client, queue_url.value);
        if (!queue.ok()) {
            return queue.failure();
        }
        auto handle = parse_receipt_handle(text.value());
        if (!handle.ok()) {
            return handle.failure();
        }
        if (auto status = queue.value().delete_message(handle.value()); !status.ok()) {
            return Failure::service(status.error());
        }
        return {};
    }
};

struct ChangeMessageVisibilityCommand {
    TextOption queue_url, receipt_handle, visibility_timeout;

    void declare(CLI::App& parser) {
        add_text_option(parser, queue_url, "--queue-url", "URL of the queue", true);
        add_text_option(parser, receipt_handle, "--receipt-handle", "Receipt handle from receive-message", true);
        add_text_option(parser, visibility_timeout, "--visibility-timeout",
                        "Seconds from now until the message is visible again (0-43200)", true);
    }

    Outcome run(const Client& client, const GlobalOptions& /*globals*/) {
        auto text = load_text(receipt_handle);
        if (!text.ok()) {
            return text.failure();
        }
        auto timeout = load_integer(visibility_timeout);
        if (!timeout.ok()) {
            return timeout.failure();
        }
        if (auto failure = failure_of(api::check_visibility_timeout(*timeout.value(), false))) {
            return *failure;
        }
        auto queue = open_queue_at(client, queue_url.value);
        if (!queue.ok()) {
            return queue.failure();
        }
        auto handle = parse_receipt_handle(text.value());
        if (!handle.ok()) {
            return handle.failure();
        }
        const auto status = queue.value().change_visibility(handle.value(), narrow(*timeout.value()));
        if (!status.ok()) {
            return Failure::service(status.error());
        }
        return {};
    }
};

// delete-message-batch and change-message-visibility-batch: entries of Id, ReceiptHandle and
// (for visibility) VisibilityTimeout; a handle that does not parse, or a timeout out of range,
// fails its entry only.
struct HandleBatchEntry {
    std::string id;
    std::string receipt_handle_text;
    ReceiptHandle receipt_handle;
    std::int32_t visibility_timeout_s = 0;
    std::optional<std::pair<Errc, std::string>> failure;
};

CliResult<std::vector<HandleBatchEntry>> read_handle_entries(const ListOption& option, bool with_visibility) {
    auto list = load_structure_list(option);
    if (!list.ok()) {
        return list.failure();
    }
    std::vector<HandleBatchEntry> entries;
    for (std::size_t index = 0; index < list.value().size(); ++index) {
        const std::string path = "Entries[" + std::to_string(index) + "]";
        const auto& value = list.value()[index];
        const StructureReader reader =
            with_visibility
                ? StructureReader(path, value, {"Id", "ReceiptHandle", "VisibilityTimeout"}, {"Id", "ReceiptHandle"})
                : StructureReader(path, value, {"Id", "ReceiptHandle"}, {"Id", "ReceiptHandle"});
        if (auto failure = reader.check()) {
            return *failure;
        }
        HandleBatchEntry entry;
        auto id = reader.string("Id");
        auto handle = reader.string("ReceiptHandle");
        auto timeout = reader.integer("VisibilityTimeout");
        if (!id.ok()) {
            return id.failure();
        }
        if (!handle.ok()) {
            return handle.failure();
        }
        if (!timeout.ok()) {
            return timeout.failure();
        }
        entry.id = std::move(id).value();
        entry.receipt_handle_text = std::move(handle).value();
        if (auto parsed = ReceiptHandle::parse(entry.receipt_handle_text); parsed.ok()) {
            entry.receipt_handle = parsed.value();
        } else {
            entry.failure.emplace(parsed.error().code, parsed.error().message);
        }
        if (with_visibility && !entry.failure) {
            if (!timeout.value()) {
                entry.failure.emplace(Errc::missing_parameter,
                                      "The request must contain the parameter VisibilityTimeout.");
            } else if (auto failure = failure_of(api::check_visibility_timeout(*timeout.value(), false))) {
                entry.failure.emplace(Errc::invalid_parameter_value, failure->message);
            } else {
                entry.visibility_timeout_s = narrow(*timeout.value());
            }
        }
        entries.push_back(std::move(entry));
    }
    return entries;
}

// Runs the batch on the entries that are still good and prints Successful/Failed.
template <class Apply>
Outcome run_handle_batch(const Client& client, const TextOption& queue_url, const ListOption& option,
                         bool with_visibility, std::string_view entry_shape, Apply apply) {
    auto entries = read_handle_entries(option, with_visibility);
    if (!entries.ok()) {
        return entries.failure();
    }
    std::vector<std::string> ids;
    for (const auto& entry : entries.value()) {
        ids.push_back(entry.id);
    }
    if (Status checked = api::check_batch_entry_ids(entry_shape, ids); !checked) {
        return Failure::service(checked.error());
    }
    auto queue = open_queue_at(client, queue_url.value);
    if (!queue.ok()) {
        return queue.failure();
    }
    std::vector<ReceiptHandle> handles;
    std::vector<std::int32_t> timeouts;
    std::vector<std::size_t> applied_index;
    for (std::size_t index = 0; index < entries.value().size(); ++index) {
        const auto& entry = entries.value()[index];
        if (!entry.failure) {
            handles.push_back(entry.receipt_handle);
            timeouts.push_back(entry.visibility_timeout_s);
            applied_index.push_back(index);
        }
    }
    std::vector<Errc> errors(handles.size(), Errc::ok);
    if (!handles.empty()) {
        apply(queue.value(), handles, timeouts, errors);
    }
    for (std::size_t applied = 0; applied < applied_index.size(); ++applied) {
        if (errors[applied] != Errc::ok) {
            auto& entry = entries.value()[applied_index[applied]];
            entry.failure.emplace(errors[applied], api::default_error_message(errors[applied]));
        }
    }
    boost::json::array successful;
    boost::json::array failed;
    for (const auto& entry : entries.value()) {
        if (entry.failure) {
            failed.push_back(api::failed_entry(entry.id, entry.failure->first, entry.failure->second));
        } else {
            successful.push_back(boost::json::object{{"Id", entry.id}});
        }
    }
    print_batch_response(std::move(successful), std::move(failed));
    return {};
}

struct DeleteMessageBatchCommand {
    TextOption queue_url;
    ListOption entries;

    void declare(CLI::App& parser) {
        add_text_option(parser, queue_url, "--queue-url", "URL of the queue", true);
        add_list_option(parser, entries, "--entries", "Up to 10 entries: a JSON list, or Id=a,ReceiptHandle=h ...",
                        true);
    }

    Outcome run(const Client& client, const GlobalOptions& /*globals*/) {
        return run_handle_batch(client, queue_url, entries, false, "DeleteMessageBatchRequestEntry",
                                [](Queue& queue, const std::vector<ReceiptHandle>& handles,
                                   const std::vector<std::int32_t>& /*timeouts*/,
                                   std::vector<Errc>& errors) { queue.delete_batch(handles, errors); });
    }
};

struct ChangeMessageVisibilityBatchCommand {
    TextOption queue_url;
    ListOption entries;

    void declare(CLI::App& parser) {
        add_text_option(parser, queue_url, "--queue-url", "URL of the queue", true);
        add_list_option(parser, entries, "--entries",
                        "Up to 10 entries: a JSON list, or "
                        "Id=a,ReceiptHandle=h,VisibilityTimeout=30 ...",
                        true);
    }

    Outcome run(const Client& client, const GlobalOptions& /*globals*/) {
        return run_handle_batch(
            client, queue_url, entries, true, "ChangeMessageVisibilityBatchRequestEntry",
            [](Queue& queue, const std::vector<ReceiptHandle>& handles, const std::vector<std::int32_t>& timeouts,
               std::vector<Errc>& errors) { queue.change_visibility_batch(handles, timeouts, errors); });
    }
};

} // namespace

void add_message_commands(CommandSet& commands) {
    commands.add<SendMessageCommand>("send-message", "SendMessage", "Send a message");
    commands.add<SendMessageBatchCommand>("send-message-batch", "SendMessageBatch", "Send up to 10 messages");
    commands.add<ReceiveMessageCommand>("receive-message", "ReceiveMessage", "Receive up to 10 messages");
    commands.add<DeleteMessageCommand>("delete-message", "DeleteMessage", "Delete a message");
    commands.add<DeleteMessageBatchCommand>("delete-message-batch", "DeleteMessageBatch", "Delete up to 10 messages");
    commands.add<ChangeMessageVisibilityCommand>("change-message-visibility", "ChangeMessageVisibility",
                                                 "Change a message's visibility timeout");
    commands.add<ChangeMessageVisibilityBatchCommand>("change-message-visibility-batch", "ChangeMessageVisibilityBatch",
                                                      "Change the visibility timeout of up to 10 messages");
}

} // namespace shmq::cli
