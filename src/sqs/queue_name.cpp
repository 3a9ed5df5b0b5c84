// Queue names, queue URLs and queue ARNs (see shmq/queue_name.h). Nothing here decodes
// percent-escapes or follows a path: a text is a name exactly when its bytes are one.
#include "shmq/queue_name.h"

#include <algorithm>

#include "shmq/limits.h"

namespace shmq {
namespace {

constexpr std::string_view fifo_suffix = ".fifo";
constexpr std::string_view queue_arn_prefix = "arn:aws:sqs:";

bool is_name_character(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

Error queue_missing() {
    return {Errc::queue_does_not_exist, "The specified queue does not exist."};
}

// The fields of arn:aws:sqs:<region>:<account>:<resource>; nullopt unless it has exactly that
// shape (a resource with a colon is not a queue name, so the count of colons is exact).
struct ArnFields {
    std::string_view region;
    std::string_view account;
    std::string_view resource;
};
std::optional<ArnFields> split_queue_arn(std::string_view arn) {
    if (!arn.starts_with(queue_arn_prefix)) {
        return std::nullopt;
    }
    std::string_view rest = arn.substr(queue_arn_prefix.size());
    const std::size_t region_end = rest.find(':');
    if (region_end == std::string_view::npos) {
        return std::nullopt;
    }
    const std::size_t account_end = rest.find(':', region_end + 1);
    if (account_end == std::string_view::npos) {
        return std::nullopt;
    }
    ArnFields fields{rest.substr(0, region_end), rest.substr(region_end + 1, account_end - region_end - 1),
                     rest.substr(account_end + 1)};
    if (fields.region.empty() || fields.account.empty() || fields.resource.find(':') != std::string_view::npos) {
        return std::nullopt;
    }
    return fields;
}

} // namespace

bool QueueName::is_valid(std::string_view text) noexcept {
    if (text.empty() || text.size() > limits::queue_name_length_max) {
        return false;
    }
    std::string_view stem = text;
    if (stem.ends_with(fifo_suffix)) {
        stem.remove_suffix(fifo_suffix.size());
    }
    return !stem.empty() && std::all_of(stem.begin(), stem.end(), is_name_character);
}

Result<QueueName> QueueName::parse(std::string_view text) {
    if (!is_valid(text)) {
        return Error{Errc::invalid_parameter_value,
                     "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"};
    }
    return QueueName(text);
}

Result<QueueName> queue_name_from_url(std::string_view url, const QueueScope& scope) {
    std::string_view text = url.substr(0, url.find_first_of("?#"));
    if (const std::size_t scheme = text.find("://"); scheme != std::string_view::npos) {
        // Only the path names the queue; the host is whatever address the client used.
        const std::size_t path = text.find('/', scheme + 3);
        text = path == std::string_view::npos ? std::string_view{} : text.substr(path);
    }
    while (!text.empty() && text.back() == '/') {
        text.remove_suffix(1);
    }
    const std::size_t last_slash = text.rfind('/');
    const std::string_view name = last_slash == std::string_view::npos ? text : text.substr(last_slash + 1);
    if (!QueueName::is_valid(name)) {
        return queue_missing();
    }
    if (last_slash != std::string_view::npos) {
        const std::string_view before = text.substr(0, last_slash);
        const std::size_t account_slash = before.rfind('/');
        const std::string_view account =
            account_slash == std::string_view::npos ? before : before.substr(account_slash + 1);
        // /<name> alone carries no account; /<account>/<name> must carry ours.
        if (!account.empty() && account != scope.account) {
            return queue_missing();
        }
    }
    return QueueName::parse(name);
}

ParsedQueueArn parse_queue_arn(std::string_view arn, const QueueScope& scope) {
    const std::optional<ArnFields> fields = split_queue_arn(arn);
    if (!fields || !QueueName::is_valid(fields->resource)) {
        return {ArnFault::malformed, std::nullopt};
    }
    if (fields->region != scope.region) {
        return {ArnFault::other_region, std::nullopt};
    }
    if (fields->account != scope.account) {
        return {ArnFault::other_account, std::nullopt};
    }
    return {ArnFault::none, QueueName::parse(fields->resource).value()};
}

std::optional<QueueName> queue_name_of_any_arn(std::string_view arn) {
    const std::optional<ArnFields> fields = split_queue_arn(arn);
    if (!fields) {
        return std::nullopt;
    }
    auto name = QueueName::parse(fields->resource);
    return name ? std::optional<QueueName>(std::move(name).value()) : std::nullopt;
}

} // namespace shmq
