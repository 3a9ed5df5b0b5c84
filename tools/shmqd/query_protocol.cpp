// The Query protocol (see query_protocol.h).
#include "query_protocol.h"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <map>
#include <set>

#include "api/sqs_errors.h"
#include "query_form.h"

namespace shmq::daemon {
namespace {

namespace json = boost::json;

constexpr std::string_view xml_namespace = "http://queue.amazonaws.com/doc/2012-11-05/";

// The parameters as a tree of their dotted names: "Attribute.1.Name" is
// root["Attribute"]["1"]["Name"]. Built from a checked QueryForm, so the tree is at most
// query_key_segments_max deep: the recursion below (building, translating, destroying) is bounded
// by that constant, never by the input.
struct Node {
    std::optional<std::string> value;
    std::map<std::string, Node, std::less<>> children;
};

Node tree_of(const QueryForm& form) {
    Node root;
    for (const auto& [key, value] : form.parameters()) {
        Node* node = &root;
        std::size_t start = 0;
        while (true) {
            const std::size_t dot = key.find('.', start);
            node = &node->children[key.substr(start, dot == std::string::npos ? dot : dot - start)];
            if (dot == std::string::npos) {
                break;
            }
            start = dot + 1;
        }
        node->value = value;
    }
    return root;
}

// The children of a flattened list, in index order ("1", "2", ..., "10"); nullopt when a child is
// not an index ("Attribute.x.Name"). QueryForm bounded each index, and nothing is allocated by one.
std::optional<std::vector<const Node*>> indexed(const Node& node) {
    std::vector<std::pair<std::uint64_t, const Node*>> items;
    for (const auto& [index, child] : node.children) {
        std::uint64_t number = 0;
        const auto [end, error] = std::from_chars(index.data(), index.data() + index.size(), number);
        if (error != std::errc{} || end != index.data() + index.size()) {
            return std::nullopt;
        }
        items.emplace_back(number, &child);
    }
    std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<const Node*> out;
    for (const auto& item : items) {
        out.push_back(item.second);
    }
    return out;
}

QueryFormError not_a_list(std::string_view name) {
    return invalid_query_parameter("the items of " + std::string(name) + " must be numbered 1, 2, ...");
}

std::string value_of(const Node& node, std::string_view child) {
    const auto found = node.children.find(child);
    return found == node.children.end() || !found->second.value ? std::string() : *found->second.value;
}

// Request members whose values are numbers in the model.
const std::set<std::string, std::less<>> integer_members{"DelaySeconds", "MaxResults", "MaxNumberOfMessages",
                                                         "VisibilityTimeout", "WaitTimeSeconds",
                                                         "MaxNumberOfMessagesPerSecond"};
// Flattened lists of strings: wire name -> model member.
const std::map<std::string, std::string, std::less<>> string_lists{
    {"AttributeName", "AttributeNames"},
    {"MessageSystemAttributeName", "MessageSystemAttributeNames"},
    {"MessageAttributeName", "MessageAttributeNames"},
    {"TagKey", "TagKeys"},
    {"AWSAccountId", "AWSAccountIds"},
    {"ActionName", "Actions"},
};

// An SDK sends an empty list as its model member's name with an empty value ("Entries=",
// "AttributeNames=", "TagKeys=", "Actions="), not under the flattened name its items take.
bool is_empty_list(std::string_view name, const Node& node) {
    if (!node.value || !node.value->empty()) {
        return false;
    }
    return name == "Entries" ||
           std::any_of(string_lists.begin(), string_lists.end(), [&](const auto& list) { return list.second == name; });
}

json::value scalar(std::string_view name, const std::string& text) {
    if (integer_members.contains(name)) {
        std::int64_t number = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
        if (error == std::errc{} && end == text.data() + text.size()) {
            return number;
        }
    }
    return json::string(text); // not a number: the action reports the parameter as invalid
}

// MessageAttribute.N.Name / .Value.DataType / .Value.StringValue items, by name.
json::object message_attribute_map(const std::vector<const Node*>& items) {
    json::object out;
    for (const Node* item : items) {
        json::object value;
        if (const auto found = item->children.find("Value"); found != item->children.end()) {
            for (const auto& [member, child] : found->second.children) {
                if (child.value) {
                    value[member] = *child.value;
                }
            }
        }
        out[value_of(*item, "Name")] = std::move(value);
    }
    return out;
}

// The model-shaped request of node's parameters. Recurses into batch entries: at most
// query_key_segments_max deep, as the keys are.
json::object structure(const Node& node, std::string_view action, std::optional<QueryFormError>& refusal) {
    json::object out;
    for (const auto& [name, child] : node.children) {
        if (refusal) {
            break;
        }
        if (name == "Action" || name == "Version") {
            continue;
        }
        if (child.children.empty()) {
            if (is_empty_list(name, child)) {
                out[name] = json::array(); // botocore's empty list: "Entries=" under the model's name
            } else {
                out[name] = scalar(name, child.value.value_or(std::string()));
            }
            continue;
        }
        const bool list_member = string_lists.contains(name) || name == "Attribute" || name == "Tag" ||
                                 name == "MessageAttribute" || name == "MessageSystemAttribute" ||
                                 name.ends_with("BatchRequestEntry");
        const auto items = list_member ? indexed(child) : std::nullopt;
        if (list_member && !items) {
            refusal = not_a_list(name);
            break;
        }
        if (const auto list = string_lists.find(name); list != string_lists.end()) {
            json::array values;
            for (const Node* item : *items) {
                values.emplace_back(item->value.value_or(std::string()));
            }
            out[list->second] = std::move(values);
        } else if (name == "Attribute" || name == "Tag") {
            const bool tag = name == "Tag";
            json::object map;
            for (const Node* item : *items) {
                map[value_of(*item, tag ? "Key" : "Name")] = value_of(*item, "Value");
            }
            // CreateQueue names its tags "tags"; TagQueue "Tags".
            out[tag ? (action == "CreateQueue" ? "tags" : "Tags") : "Attributes"] = std::move(map);
        } else if (name == "MessageAttribute" || name == "MessageSystemAttribute") {
            out[name + "s"] = message_attribute_map(*items);
        } else if (name.ends_with("BatchRequestEntry")) {
            json::array entries;
            for (const Node* item : *items) {
                entries.push_back(structure(*item, action, refusal));
            }
            out["Entries"] = std::move(entries);
        }
    }
    return out;
}

void escape_into(std::string& out, std::string_view text) {
    for (const char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        case '\r': out += "&#xD;"; break; // a parser would turn a bare CR into LF
        default: out += c;
        }
    }
}

void element(std::string& out, std::string_view name, std::string_view text) {
    out += '<';
    out += name;
    out += '>';
    escape_into(out, text);
    out += "</";
    out += name;
    out += '>';
}

std::string text_of(const json::value& value) {
    if (value.is_string()) {
        return std::string(value.get_string());
    }
    if (value.is_bool()) {
        return value.get_bool() ? "true" : "false";
    }
    return json::serialize(value);
}

void members_into(std::string& out, const json::object& object, std::string_view action);

// The element each item of a flattened list is written as.
std::string list_item_name(std::string_view member, std::string_view action) {
    if (member == "QueueUrls" || member == "queueUrls") {
        return "QueueUrl";
    }
    if (member == "Messages") {
        return "Message";
    }
    if (member == "Successful") {
        return std::string(action) + "ResultEntry";
    }
    if (member == "Failed") {
        return "BatchResultErrorEntry";
    }
    if (member == "Results") {
        return std::string(action) + "ResultEntry";
    }
    return std::string(member);
}

void member_into(std::string& out, std::string_view name, const json::value& value, std::string_view action) {
    if (value.is_array()) {
        const std::string item = list_item_name(name, action);
        for (const json::value& entry : value.get_array()) {
            if (entry.is_object()) {
                out += "<" + item + ">";
                members_into(out, entry.get_object(), action);
                out += "</" + item + ">";
            } else {
                element(out, item, text_of(entry));
            }
        }
        return;
    }
    if (value.is_object() && (name == "Attributes" || name == "Tags")) {
        const bool tags = name == "Tags";
        for (const auto& [key, item] : value.get_object()) {
            out += tags ? "<Tag>" : "<Attribute>";
            element(out, tags ? "Key" : "Name", key);
            element(out, "Value", text_of(item));
            out += tags ? "</Tag>" : "</Attribute>";
        }
        return;
    }
    if (value.is_object() && name == "MessageAttributes") {
        for (const auto& [key, item] : value.get_object()) {
            out += "<MessageAttribute>";
            element(out, "Name", key);
            out += "<Value>";
            if (item.is_object()) {
                members_into(out, item.get_object(), action);
            }
            out += "</Value></MessageAttribute>";
        }
        return;
    }
    if (value.is_object()) {
        out += "<" + std::string(name) + ">";
        members_into(out, value.get_object(), action);
        out += "</" + std::string(name) + ">";
        return;
    }
    element(out, name, text_of(value));
}

void members_into(std::string& out, const json::object& object, std::string_view action) {
    for (const auto& [name, value] : object) {
        member_into(out, name, value, action);
    }
}

// Actions whose model output is empty: their response has no <ActionResult>.
const std::set<std::string, std::less<>> no_result_actions{
    "DeleteQueue",   "SetQueueAttributes",      "PurgeQueue",    "TagQueue",        "UntagQueue",
    "DeleteMessage", "ChangeMessageVisibility", "AddPermission", "RemovePermission"};

} // namespace

HttpReply xml_error(unsigned status, std::string_view type, std::string_view code, std::string_view message,
                    std::string_view request_id) {
    HttpReply reply;
    reply.status = status;
    reply.content_type = "text/xml";
    std::string& out = reply.body;
    out = "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"" + std::string(xml_namespace) + "\"><Error>";
    element(out, "Type", type);
    element(out, "Code", code);
    element(out, "Message", message);
    out += "<Detail/></Error>";
    element(out, "RequestId", request_id);
    out += "</ErrorResponse>";
    return reply;
}

HttpReply serve_query(api::SqsService& service, std::string_view form, std::string_view path,
                      std::string_view request_id, const api::Caller& caller) {
    auto form_parsed = QueryForm::parse(form);
    if (const auto* refused = std::get_if<QueryFormError>(&form_parsed)) {
        return xml_error(400, "Sender", refused->code, refused->message, request_id);
    }
    const Node parameters = tree_of(std::get<QueryForm>(form_parsed));
    const std::string action = value_of(parameters, "Action");
    if (action.empty()) {
        return xml_error(400, "Sender", "MissingAction", "The request must contain the parameter Action.", request_id);
    }
    if (!api::SqsService::knows(action)) {
        return xml_error(400, "Sender", "InvalidAction",
                         "The action " + action + " is not valid for this endpoint.", request_id);
    }
    std::optional<QueryFormError> refusal;
    json::object request = structure(parameters, action, refusal);
    if (refusal) {
        return xml_error(400, "Sender", refusal->code, refusal->message, request_id);
    }
    // Older clients post a queue's actions to its URL path (/000000000000/name) without QueueUrl.
    const std::string_view queue_path = path.substr(0, path.find('?'));
    if (!request.contains("QueueUrl") && queue_path.size() > 1 && queue_path != "/") {
        request["QueueUrl"] = service.url_of(queue_path.substr(queue_path.rfind('/') + 1));
    }
    auto response = service.call(action, request, caller);
    if (!response) {
        const Errc code = response.error().code;
        // AWS words this one differently in the Query protocol (recorded: test_non_existent_queue).
        const std::string message = code == Errc::queue_does_not_exist
                                        ? "The specified queue does not exist for this wsdl version."
                                        : response.error().message;
        return xml_error(static_cast<unsigned>(sqs_http_status(code)), is_sender_fault(code) ? "Sender" : "Receiver",
                         sqs_error_code(code), message, request_id);
    }
    HttpReply reply;
    reply.content_type = "text/xml";
    std::string& out = reply.body;
    out = "<?xml version=\"1.0\"?><" + action + "Response xmlns=\"" + std::string(xml_namespace) + "\">";
    if (!no_result_actions.contains(action)) {
        out += "<" + action + "Result>";
        members_into(out, response.value(), action);
        out += "</" + action + "Result>";
    }
    out += "<ResponseMetadata>";
    element(out, "RequestId", request_id);
    out += "</ResponseMetadata></" + action + "Response>";
    return reply;
}

} // namespace shmq::daemon
