// AWS Signature Version 4 verification (see sigv4_verifier.h). The steps and their exact text
// forms are AWS's ("Create a signed AWS API request", AWS General Reference); the error codes and
// messages are the ones AWS answers with, where AWS has one.
#include "sigv4_verifier.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <ctime>
#include <iomanip>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sstream>

#include "client/private_directory.h"

namespace shmq::daemon {
namespace {

constexpr std::string_view algorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view scope_terminator = "aws4_request";
constexpr std::string_view unsigned_payload = "UNSIGNED-PAYLOAD";
constexpr std::int64_t clock_skew_max_s = 15 * 60;
constexpr std::int64_t presigned_expires_max_s = 7 * 24 * 60 * 60; // AWS: a presigned URL lives a week at most
// Bounds on what a hostile client can make the verifier walk. Real requests are far below them:
// an SDK signs 3 to 8 headers in an Authorization header of about 250 bytes.
constexpr std::size_t request_headers_count_max = 128;
constexpr std::size_t authorization_size_max = 4096;
constexpr std::size_t signed_headers_count_max = 64;
constexpr std::size_t query_parameters_count_max = 4096;

using Digest = std::array<unsigned char, 32>;

Digest sha256(std::string_view data) {
    Digest digest{};
    unsigned int length = 0;
    EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr);
    return digest;
}

Digest hmac(std::string_view key, std::string_view data) {
    Digest digest{};
    unsigned int length = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), digest.data(), &length);
    return digest;
}

std::string_view bytes_of(const Digest& digest) {
    return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

std::string hex(const Digest& digest) {
    static constexpr std::string_view digits = "0123456789abcdef";
    std::string out;
    for (const unsigned char byte : digest) {
        out += digits[byte >> 4];
        out += digits[byte & 15];
    }
    return out;
}

bool equal_in_constant_time(std::string_view left, std::string_view right) {
    return left.size() == right.size() && CRYPTO_memcmp(left.data(), right.data(), left.size()) == 0;
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool is_unreserved(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '-' || c == '_' || c == '.' ||
           c == '~';
}

// RFC 3986 percent-encoding of everything but unreserved characters (and '/' when asked).
std::string uri_encode(std::string_view text, bool keep_slash) {
    static constexpr std::string_view digits = "0123456789ABCDEF";
    std::string out;
    for (const char c : text) {
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            out += c;
        } else {
            const auto byte = static_cast<unsigned char>(c);
            out += '%';
            out += digits[byte >> 4];
            out += digits[byte & 15];
        }
    }
    return out;
}

std::optional<int> hex_value(char c) {
    if (is_digit(c)) {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return std::nullopt;
}

// A query name or value decoded as the Query protocol's form parser decodes it (QueryForm:
// application/x-www-form-urlencoded): %XX escapes, and '+' is a space. What is signed must be
// what is executed: decoding '+' as itself here, while the form runs it as a space, let a signed
// "1%2B1" be sent as "1+1" and run as "1 1" under the same signature. A '%' not followed by two
// hex digits stays as it is.
std::string form_decode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '+') {
            out += ' ';
            continue;
        }
        const auto high = text[i] == '%' && i + 2 < text.size() ? hex_value(text[i + 1]) : std::nullopt;
        const auto low = high ? hex_value(text[i + 2]) : std::nullopt;
        if (low) {
            out += static_cast<char>((*high << 4) | *low);
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
    return out;
}

// Leading and trailing spaces removed, runs of spaces collapsed to one (the canonical header
// value; an obs-folded line arrives with its line break already turned into spaces).
std::string trimmed(std::string_view value) {
    std::string out;
    bool space = false;
    for (const char c : value) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            space = !out.empty();
            continue;
        }
        if (space) {
            out += ' ';
            space = false;
        }
        out += c;
    }
    return out;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    for (std::size_t start = 0; start <= text.size();) {
        const std::size_t end = std::min(text.find(separator, start), text.size());
        parts.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return parts;
}

// The canonical value of a header: every field of that name (case-insensitive), each trimmed,
// joined by commas in the order sent; nullopt when the request has none.
std::optional<std::string> header_value(const SignedRequest& request, std::string_view lower_name) {
    std::optional<std::string> value;
    for (const auto& [name, field_value] : request.headers) {
        if (lower(name) == lower_name) {
            value = value ? *value + "," + trimmed(field_value) : trimmed(field_value);
        }
    }
    return value;
}

std::size_t header_count(const SignedRequest& request, std::string_view lower_name) {
    return static_cast<std::size_t>(std::count_if(request.headers.begin(), request.headers.end(),
                                                  [&](const auto& field) { return lower(field.first) == lower_name; }));
}

// The path as AWS canonicalizes it for every service but S3: dot segments resolved and empty
// segments dropped (RFC 3986 5.2.4, as the SDKs do), then each byte but unreserved ones and '/'
// percent-encoded once more. The path arrives encoded once, so a name is encoded twice.
std::string canonical_uri(std::string_view path) {
    std::vector<std::string_view> segments;
    for (const std::string_view segment : split(path, '/')) {
        if (segment.empty() || segment == ".") {
            continue;
        }
        if (segment == "..") {
            if (!segments.empty()) {
                segments.pop_back();
            }
            continue;
        }
        segments.push_back(segment);
    }
    std::string normalized = "/";
    for (std::size_t i = 0; i < segments.size(); ++i) {
        normalized += (i == 0 ? "" : "/") + std::string(segments[i]);
    }
    if (!segments.empty() && path.ends_with('/')) {
        normalized += '/';
    }
    return uri_encode(normalized, true);
}

struct QueryParameter {
    std::string name, value; // decoded
};

// nullopt when there are more than query_parameters_count_max.
std::optional<std::vector<QueryParameter>> parse_query(std::string_view query) {
    std::vector<QueryParameter> parameters;
    if (query.empty()) {
        return parameters;
    }
    for (const std::string_view pair : split(query, '&')) {
        if (pair.empty()) {
            continue;
        }
        if (parameters.size() == query_parameters_count_max) {
            return std::nullopt;
        }
        const std::size_t equals = pair.find('=');
        parameters.push_back({form_decode(pair.substr(0, equals)),
                              equals == std::string_view::npos ? "" : form_decode(pair.substr(equals + 1))});
    }
    return parameters;
}

// Each parameter encoded the canonical way, sorted by name then value; X-Amz-Signature left out
// (a presigned request's signature is not part of what it signs).
std::string canonical_query(const std::vector<QueryParameter>& parameters) {
    std::vector<std::pair<std::string, std::string>> encoded;
    for (const auto& [name, value] : parameters) {
        if (name != "X-Amz-Signature") {
            encoded.emplace_back(uri_encode(name, false), uri_encode(value, false));
        }
    }
    std::sort(encoded.begin(), encoded.end());
    std::string out;
    for (const auto& [name, value] : encoded) {
        out += (out.empty() ? "" : "&") + name + "=" + value;
    }
    return out;
}

// 20150830T123600Z (ISO 8601 basic format, UTC) as Unix seconds; nullopt if it is not one.
std::optional<std::int64_t> parse_iso_basic(std::string_view text) {
    if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') {
        return std::nullopt;
    }
    for (std::size_t i = 0; i < 15; ++i) {
        if (i != 8 && !is_digit(text[i])) {
            return std::nullopt;
        }
    }
    const auto number = [&](std::size_t at, std::size_t count) {
        int value = 0;
        std::from_chars(text.data() + at, text.data() + at + count, value);
        return value;
    };
    std::tm parts{};
    parts.tm_year = number(0, 4) - 1900;
    parts.tm_mon = number(4, 2) - 1;
    parts.tm_mday = number(6, 2);
    parts.tm_hour = number(9, 2);
    parts.tm_min = number(11, 2);
    parts.tm_sec = number(13, 2);
    if (parts.tm_mon > 11 || parts.tm_mday < 1 || parts.tm_mday > 31 || parts.tm_hour > 23 || parts.tm_min > 59 ||
        parts.tm_sec > 60) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(timegm(&parts));
}

std::string iso_basic(std::int64_t seconds) {
    const auto time = static_cast<std::time_t>(seconds);
    std::tm parts{};
    gmtime_r(&time, &parts);
    std::array<char, 17> text{};
    std::strftime(text.data(), text.size(), "%Y%m%dT%H%M%SZ", &parts);
    return text.data();
}

// An HTTP Date header ("Sun, 30 Aug 2015 12:36:00 GMT", RFC 7231 IMF-fixdate) in ISO 8601 basic
// format, which is what the string to sign carries; nullopt if it is not one.
std::optional<std::string> iso_basic_of_http_date(std::string_view text) {
    std::tm parts{};
    const std::string copy(text);
    std::istringstream stream(copy);
    stream >> std::get_time(&parts, "%a, %d %b %Y %H:%M:%S GMT");
    if (stream.fail() || copy.size() != 29) {
        return std::nullopt;
    }
    return iso_basic(static_cast<std::int64_t>(timegm(&parts)));
}

AuthFailure incomplete(std::string message) {
    return {"IncompleteSignature", std::move(message), 400};
}
AuthFailure mismatch(std::string message, unsigned status = 403) {
    return {"SignatureDoesNotMatch", std::move(message), status};
}
AuthFailure invalid_token() {
    return {"InvalidClientTokenId", "The security token included in the request is invalid.", 403};
}

// What the request claims about its signature, from the Authorization header or the query.
struct SignatureClaim {
    std::string credential;     // KEY/DATE/REGION/SERVICE/aws4_request
    std::string signed_headers; // lower-case names joined by ';'
    std::string signature;      // hex
    std::string timestamp;      // ISO 8601 basic, as the string to sign carries it
    std::int64_t timestamp_s = 0;
    std::string timestamp_header;          // header auth: the signed header that dates it
    std::optional<std::int64_t> expires_s; // presigned: X-Amz-Expires
    std::optional<std::string> session_token;
};

// "AWS4-HMAC-SHA256 Credential=AKID/20261122/us-east-1/sqs/aws4_request, SignedHeaders=a;b,
// Signature=hex": each part exactly once.
std::optional<AuthFailure> claim_from_header(const SignedRequest& request, std::string_view text,
                                             SignatureClaim& claim) {
    if (text.size() > authorization_size_max) {
        return incomplete("The Authorization header is longer than " + std::to_string(authorization_size_max) +
                          " bytes.");
    }
    const std::size_t space = text.find(' ');
    if (text.substr(0, space) != algorithm) {
        return incomplete("Unsupported AWS 'algorithm': '" + std::string(text.substr(0, space)) +
                          "'; shmqd accepts AWS4-HMAC-SHA256.");
    }
    std::array<std::optional<std::string>, 3> parts; // Credential, SignedHeaders, Signature
    static constexpr std::array<std::string_view, 3> part_names = {"Credential", "SignedHeaders", "Signature"};
    for (const std::string_view raw : split(text.substr(space == std::string_view::npos ? text.size() : space), ',')) {
        const std::string part = trimmed(raw);
        if (part.empty()) {
            continue; // "AWS4-HMAC-SHA256" alone, or a trailing comma: the parts missing say it
        }
        const std::size_t equals = part.find('=');
        if (equals == std::string::npos) {
            return incomplete("'" + part +
                              "' not a valid key=value pair (missing equal-sign) in Authorization header: '" +
                              std::string(text) + "'.");
        }
        const auto name = std::find(part_names.begin(), part_names.end(), std::string_view(part).substr(0, equals));
        if (name == part_names.end()) {
            return incomplete("'" + part.substr(0, equals) +
                              "' is not a part of an AWS4-HMAC-SHA256 Authorization "
                              "header (Credential, SignedHeaders, Signature).");
        }
        auto& slot = parts[static_cast<std::size_t>(name - part_names.begin())];
        if (slot) {
            return incomplete("Authorization header names '" + std::string(*name) + "' more than once.");
        }
        slot = part.substr(equals + 1);
    }
    std::string missing;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (!parts[i] || parts[i]->empty()) {
            missing += "Authorization header requires '" + std::string(part_names[i]) + "' parameter. ";
        }
    }
    const auto amz_date = header_value(request, "x-amz-date");
    const auto date = amz_date ? std::nullopt : header_value(request, "date");
    if (!amz_date && !date) {
        missing += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
    }
    if (!missing.empty()) {
        return incomplete(missing + "Authorization=" + std::string(text));
    }
    claim.credential = std::move(*parts[0]);
    claim.signed_headers = std::move(*parts[1]);
    claim.signature = std::move(*parts[2]);
    claim.timestamp_header = amz_date ? "x-amz-date" : "date";
    const auto timestamp = amz_date ? std::optional<std::string>(*amz_date) : iso_basic_of_http_date(*date);
    const auto timestamp_s = timestamp ? parse_iso_basic(*timestamp) : std::nullopt;
    if (!timestamp_s) {
        return incomplete(amz_date ? "Date must be in ISO-8601 'basic format'. Got '" + *amz_date + "'."
                                   : "The Date header is not an HTTP date: '" + *date + "'.");
    }
    claim.timestamp = *timestamp;
    claim.timestamp_s = *timestamp_s;
    claim.session_token = header_value(request, "x-amz-security-token");
    return std::nullopt;
}

// X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders and
// X-Amz-Signature in the query, each exactly once (X-Amz-Security-Token optional).
std::optional<AuthFailure> claim_from_query(const std::vector<QueryParameter>& parameters, SignatureClaim& claim) {
    static constexpr std::array<std::string_view, 7> names = {
        "X-Amz-Algorithm",     "X-Amz-Credential", "X-Amz-Date",          "X-Amz-Expires",
        "X-Amz-SignedHeaders", "X-Amz-Signature",  "X-Amz-Security-Token"};
    std::array<std::optional<std::string>, names.size()> values;
    for (const auto& [name, value] : parameters) {
        const auto known = std::find(names.begin(), names.end(), name);
        if (known == names.end()) {
            continue;
        }
        auto& slot = values[static_cast<std::size_t>(known - names.begin())];
        if (slot) {
            return incomplete("The query string names '" + name + "' more than once.");
        }
        slot = value;
    }
    for (std::size_t i = 0; i + 1 < names.size(); ++i) {
        if (!values[i] || values[i]->empty()) {
            return incomplete("AWS query-string parameters must include '" + std::string(names[i]) +
                              "'. Re-examine the query-string parameters.");
        }
    }
    if (*values[0] != algorithm) {
        return incomplete("Unsupported AWS 'algorithm': '" + *values[0] + "'; shmqd accepts AWS4-HMAC-SHA256.");
    }
    claim.credential = std::move(*values[1]);
    claim.timestamp = std::move(*values[2]);
    const std::string& expires = *values[3];
    std::int64_t expires_s = 0;
    const auto parsed = std::from_chars(expires.data(), expires.data() + expires.size(), expires_s);
    if (parsed.ec != std::errc{} || parsed.ptr != expires.data() + expires.size() || expires_s < 1 ||
        expires_s > presigned_expires_max_s) {
        return incomplete("X-Amz-Expires must be a number of seconds from 1 to a week (604800); got '" + expires +
                          "'.");
    }
    claim.expires_s = expires_s;
    claim.signed_headers = std::move(*values[4]);
    claim.signature = std::move(*values[5]);
    claim.session_token = std::move(values[6]);
    const auto timestamp_s = parse_iso_basic(claim.timestamp);
    if (!timestamp_s) {
        return incomplete("X-Amz-Date must be in ISO-8601 'basic format'. Got '" + claim.timestamp + "'.");
    }
    claim.timestamp_s = *timestamp_s;
    return std::nullopt;
}

bool is_presigned(const std::vector<QueryParameter>& parameters) {
    return std::any_of(parameters.begin(), parameters.end(), [](const QueryParameter& parameter) {
        return parameter.name == "X-Amz-Algorithm" || parameter.name == "X-Amz-Signature" ||
               parameter.name == "X-Amz-Credential";
    });
}

} // namespace

Result<SigV4Verifier> SigV4Verifier::from_file(const std::string& path, SigningScope scope) {
    // Secrets: a private file of ours, as the key ring (a group-readable one is refused).
    constexpr std::size_t credentials_file_bytes_max = 1u << 20;
    auto text = client::read_private_file(path, credentials_file_bytes_max);
    if (!text) {
        return Error{text.error().code, "credentials file " + text.error().message};
    }
    std::istringstream file(text.value());
    std::map<std::string, Principal, std::less<>> principals;
    std::string line;
    while (std::getline(file, line)) {
        std::istringstream words(line);
        std::string key;
        Principal principal;
        if (!(words >> key) || key.starts_with('#')) {
            continue;
        }
        std::string extra;
        if (!(words >> principal.secret) ||
            (words >> principal.account && words >> principal.session_token && words >> extra)) {
            return Error{Errc::invalid_parameter_value,
                         path + ": a line needs ACCESS_KEY_ID SECRET_ACCESS_KEY [ACCOUNT_ID [SESSION_TOKEN]]"};
        }
        if (principal.account.empty()) {
            principal.account = "000000000000";
        }
        principals[key] = std::move(principal);
    }
    if (principals.empty()) {
        return Error{Errc::invalid_parameter_value, path + " holds no credentials"};
    }
    return SigV4Verifier(std::move(principals), std::move(scope));
}

std::optional<AuthFailure> SigV4Verifier::verify(const SignedRequest& request, std::string& account) const {
    if (request.headers.size() > request_headers_count_max) {
        return incomplete("The request has more than " + std::to_string(request_headers_count_max) + " headers.");
    }
    const std::size_t question = request.target.find('?');
    const std::string_view path = request.target.substr(0, question);
    const std::string_view query = question == std::string_view::npos ? "" : request.target.substr(question + 1);
    const auto parameters = parse_query(query);
    if (!parameters) {
        return incomplete("The query string has more than " + std::to_string(query_parameters_count_max) +
                          " parameters.");
    }
    const std::size_t authorizations = header_count(request, "authorization");
    const bool presigned = is_presigned(*parameters);
    if (authorizations > 1) {
        return incomplete("The request carries more than one Authorization header.");
    }
    if (authorizations == 1 && presigned) {
        return incomplete("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the "
                          "Authorization header should be specified.");
    }
    if (authorizations == 0 && !presigned) {
        return AuthFailure{"MissingAuthenticationToken", "Request is missing Authentication Token", 403};
    }
    SignatureClaim claim;
    if (auto refused = presigned ? claim_from_query(*parameters, claim)
                                 : claim_from_header(request, *header_value(request, "authorization"), claim)) {
        return refused;
    }

    // Credential scope: KEY/DATE/REGION/SERVICE/aws4_request, for this endpoint and this day.
    const std::vector<std::string_view> credential = split(claim.credential, '/');
    if (credential.size() != 5) {
        return incomplete("Credential must have exactly 5 slash-delimited elements, e.g. "
                          "keyid/date/region/service/term, got '" +
                          claim.credential + "'");
    }
    const std::string_view scope = std::string_view(claim.credential).substr(credential[0].size() + 1);
    if (credential[1] != std::string_view(claim.timestamp).substr(0, 8)) {
        return mismatch("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" +
                        std::string(credential[1]) + "' != '" + claim.timestamp.substr(0, 8) + "', from '" +
                        claim.timestamp + "'.");
    }
    if (credential[2] != scope_.region) {
        return mismatch("Credential should be scoped to a valid region. This endpoint is in '" + scope_.region +
                        "', not '" + std::string(credential[2]) + "'.");
    }
    if (credential[3] != scope_.service) {
        return mismatch("Credential should be scoped to correct service: '" + scope_.service + "'.");
    }
    if (credential[4] != scope_terminator) {
        return mismatch("Credential should be scoped with a valid terminator: 'aws4_request', not '" +
                        std::string(credential[4]) + "'.");
    }
    const auto principal = principals_.find(credential[0]);
    if (principal == principals_.end()) {
        return invalid_token();
    }

    // Time: within the clock skew (header), or from X-Amz-Date until it expires (presigned).
    if (claim.timestamp_s > request.now_s + clock_skew_max_s) {
        return mismatch("Signature not yet current: " + claim.timestamp + " is still later than " +
                        iso_basic(request.now_s + clock_skew_max_s) + " (" + iso_basic(request.now_s) + " + 15 min.)");
    }
    if (!claim.expires_s && claim.timestamp_s < request.now_s - clock_skew_max_s) {
        return mismatch("Signature expired: " + claim.timestamp + " is now earlier than " +
                        iso_basic(request.now_s - clock_skew_max_s) + " (" + iso_basic(request.now_s) + " - 15 min.)");
    }
    if (claim.expires_s && claim.timestamp_s + *claim.expires_s < request.now_s) {
        return mismatch("Signature expired: " + claim.timestamp + " + " + std::to_string(*claim.expires_s) +
                        " s (X-Amz-Expires) is now earlier than " + iso_basic(request.now_s) + ".");
    }

    // Signed headers: present, each once, and binding the request to its endpoint, time and action.
    const std::vector<std::string_view> signed_names = split(claim.signed_headers, ';');
    if (signed_names.size() > signed_headers_count_max) {
        return incomplete("SignedHeaders names more than " + std::to_string(signed_headers_count_max) + " headers.");
    }
    std::string canonical_headers;
    for (std::size_t i = 0; i < signed_names.size(); ++i) {
        const std::string_view name = signed_names[i];
        if (name.empty() || std::find(signed_names.begin(), signed_names.begin() + static_cast<std::ptrdiff_t>(i),
                                      name) != signed_names.begin() + static_cast<std::ptrdiff_t>(i)) {
            return incomplete("SignedHeaders must name each header once: '" + claim.signed_headers + "'.");
        }
        const auto value = header_value(request, lower(name));
        if (!value) {
            return incomplete("'" + std::string(name) +
                              "' is named as a SignedHeader, but it does not exist in the HTTP request.");
        }
        canonical_headers += std::string(name) + ":" + *value + "\n";
    }
    const auto is_signed = [&](std::string_view name) {
        return std::find(signed_names.begin(), signed_names.end(), name) != signed_names.end();
    };
    if (!is_signed("host")) {
        return mismatch("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
    }
    if (!claim.timestamp_header.empty() && !is_signed(claim.timestamp_header)) {
        return mismatch("'" + std::string(claim.timestamp_header == "date" ? "Date" : "X-Amz-Date") +
                        "' must be a 'SignedHeader' in the AWS Authorization.");
    }
    if (header_count(request, "x-amz-target") != 0 && !is_signed("x-amz-target")) {
        return mismatch("'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.");
    }

    // Session token: a key with one is used only with it, signed (the query is signed whole).
    const std::string& token = principal->second.session_token;
    if (claim.session_token.has_value() != !token.empty() ||
        (claim.session_token && !equal_in_constant_time(*claim.session_token, token)) ||
        (claim.session_token && !claim.expires_s && !is_signed("x-amz-security-token"))) {
        return invalid_token();
    }

    // The payload: always the body's own hash.
    const std::string body_hash = hex(sha256(request.body));
    if (const auto stated_hash = header_value(request, "x-amz-content-sha256")) {
        if (*stated_hash == unsigned_payload || stated_hash->starts_with("STREAMING-")) {
            return incomplete("X-Amz-Content-Sha256: " + *stated_hash +
                              " is not accepted: the payload's SHA-256 must be signed.");
        }
        if (*stated_hash != body_hash) {
            return mismatch("The provided x-amz-content-sha256 header does not match what was computed.", 400);
        }
    }

    const std::string canonical = std::string(request.method) + "\n" + canonical_uri(path) + "\n" +
                                  canonical_query(*parameters) + "\n" + canonical_headers + "\n" +
                                  claim.signed_headers + "\n" + body_hash;
    const std::string to_sign =
        std::string(algorithm) + "\n" + claim.timestamp + "\n" + std::string(scope) + "\n" + hex(sha256(canonical));
    const Digest date_key = hmac("AWS4" + principal->second.secret, credential[1]);
    const Digest region_key = hmac(bytes_of(date_key), credential[2]);
    const Digest service_key = hmac(bytes_of(region_key), credential[3]);
    const Digest signing_key = hmac(bytes_of(service_key), scope_terminator);
    if (!equal_in_constant_time(hex(hmac(bytes_of(signing_key), to_sign)), claim.signature)) {
        return mismatch("The request signature we calculated does not match the signature you provided. Check your "
                        "AWS Secret Access Key and signing method. Consult the service documentation for details.");
    }
    account = principal->second.account;
    return std::nullopt;
}

} // namespace shmq::daemon
