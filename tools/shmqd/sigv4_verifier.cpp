// AWS Signature Version 4 verification (see sigv4_verifier.h). The steps and their exact text
// forms are AWS's ("Create a signed AWS API request", AWS General Reference).
#include "sigv4_verifier.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>
#include <iomanip>
#include <fstream>
#include <sstream>

namespace shmq::daemon {
namespace {

constexpr std::string_view algorithm = "AWS4-HMAC-SHA256";
constexpr std::int64_t clock_skew_max_s = 15 * 60;

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
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const unsigned char byte : digest) {
        out += digits[byte >> 4];
        out += digits[byte & 15];
    }
    return out;
}

// RFC 3986 percent-encoding of everything but unreserved characters (and '/' when asked).
std::string uri_encode(std::string_view text, bool keep_slash) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte) != 0 || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
            out += c;
        } else {
            out += '%';
            out += digits[byte >> 4];
            out += digits[byte & 15];
        }
    }
    return out;
}

std::string uri_decode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const bool escape = text[i] == '%' && i + 2 < text.size() &&
                            std::isxdigit(static_cast<unsigned char>(text[i + 1])) != 0 &&
                            std::isxdigit(static_cast<unsigned char>(text[i + 2])) != 0;
        if (escape) {
            out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

// Each query parameter decoded then encoded the canonical way, sorted by name then value.
std::string canonical_query(std::string_view query) {
    std::vector<std::pair<std::string, std::string>> parameters;
    std::size_t start = 0;
    while (start < query.size()) {
        const std::size_t end = std::min(query.find('&', start), query.size());
        const std::string_view pair = query.substr(start, end - start);
        if (!pair.empty()) {
            const std::size_t equals = pair.find('=');
            const std::string_view key = pair.substr(0, equals);
            const std::string_view value = equals == std::string_view::npos ? "" : pair.substr(equals + 1);
            parameters.emplace_back(uri_encode(uri_decode(key), false), uri_encode(uri_decode(value), false));
        }
        start = end + 1;
    }
    std::sort(parameters.begin(), parameters.end());
    std::string out;
    for (const auto& [key, value] : parameters) {
        out += (out.empty() ? "" : "&") + key + "=" + value;
    }
    return out;
}

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

// Leading and trailing spaces removed, runs of spaces collapsed to one.
std::string trimmed(std::string_view value) {
    std::string out;
    bool space = false;
    for (const char c : value) {
        if (c == ' ' || c == '\t') {
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

std::optional<std::string_view> header(const SignedRequest& request, std::string_view name) {
    for (const auto& [key, value] : request.headers) {
        if (lower(key) == name) {
            return std::string_view(value);
        }
    }
    return std::nullopt;
}

// "AWS4-HMAC-SHA256 Credential=AKID/20261122/us-east-1/sqs/aws4_request, SignedHeaders=a;b,
// Signature=hex" into its three parts.
struct Authorization {
    std::string credential, signed_headers, signature;
};

std::optional<Authorization> parse_authorization(std::string_view text) {
    if (!text.starts_with(algorithm)) {
        return std::nullopt;
    }
    Authorization out;
    text.remove_prefix(algorithm.size());
    while (!text.empty()) {
        const std::size_t comma = std::min(text.find(','), text.size());
        std::string part = trimmed(text.substr(0, comma));
        text.remove_prefix(std::min(comma + 1, text.size()));
        const std::size_t equals = part.find('=');
        if (equals == std::string::npos) {
            continue;
        }
        const std::string key = part.substr(0, equals);
        std::string value = part.substr(equals + 1);
        if (key == "Credential") {
            out.credential = std::move(value);
        } else if (key == "SignedHeaders") {
            out.signed_headers = std::move(value);
        } else if (key == "Signature") {
            out.signature = std::move(value);
        }
    }
    if (out.credential.empty() || out.signed_headers.empty() || out.signature.empty()) {
        return std::nullopt;
    }
    return out;
}

// 20261122T054608Z as Unix seconds; nullopt if it is not one.
std::optional<std::int64_t> parse_amz_date(std::string_view text) {
    std::tm parts{};
    const std::string copy(text);
    std::istringstream stream(copy);
    stream >> std::get_time(&parts, "%Y%m%dT%H%M%SZ");
    if (stream.fail() || copy.size() != 16) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(timegm(&parts));
}

AuthFailure failure(std::string code, std::string message, unsigned status = 403) {
    return {std::move(code), std::move(message), status};
}

} // namespace

Result<SigV4Verifier> SigV4Verifier::from_file(const std::string& path) {
    std::ifstream file(path);
    if (!file) {
        return Error{Errc::system_error, "cannot read credentials file " + path};
    }
    std::map<std::string, Principal, std::less<>> principals;
    std::string line;
    while (std::getline(file, line)) {
        std::istringstream words(line);
        std::string key;
        Principal principal;
        if (!(words >> key) || key.starts_with('#')) {
            continue;
        }
        if (!(words >> principal.secret)) {
            return Error{Errc::invalid_parameter_value,
                         path + ": a line needs ACCESS_KEY_ID SECRET_ACCESS_KEY [ACCOUNT_ID]"};
        }
        if (!(words >> principal.account)) {
            principal.account = "000000000000";
        }
        principals[key] = std::move(principal);
    }
    if (principals.empty()) {
        return Error{Errc::invalid_parameter_value, path + " holds no credentials"};
    }
    return SigV4Verifier(std::move(principals));
}

std::optional<AuthFailure> SigV4Verifier::verify(const SignedRequest& request, std::string& account) const {
    const auto authorization_text = header(request, "authorization");
    if (!authorization_text) {
        return failure("MissingAuthenticationToken", "Request is missing Authentication Token", 403);
    }
    const auto authorization = parse_authorization(*authorization_text);
    if (!authorization) {
        return failure("IncompleteSignature", "The request signature does not conform to AWS standards.", 400);
    }
    // Credential scope: key/date/region/service/aws4_request.
    const std::size_t slash = authorization->credential.find('/');
    const std::string key_id = authorization->credential.substr(0, slash);
    const std::string scope = slash == std::string::npos ? "" : authorization->credential.substr(slash + 1);
    const auto principal = principals_.find(key_id);
    if (principal == principals_.end()) {
        return failure("InvalidClientTokenId", "The security token included in the request is invalid.");
    }
    std::vector<std::string> scope_parts;
    for (std::size_t start = 0; start <= scope.size();) {
        const std::size_t end = std::min(scope.find('/', start), scope.size());
        scope_parts.push_back(scope.substr(start, end - start));
        start = end + 1;
    }
    const auto date_text = header(request, "x-amz-date");
    const std::int64_t date = date_text ? parse_amz_date(*date_text).value_or(-1) : -1;
    if (scope_parts.size() != 4 || scope_parts[3] != "aws4_request" || date < 0 ||
        !date_text->starts_with(scope_parts[0])) {
        return failure("IncompleteSignature", "The request signature does not conform to AWS standards.", 400);
    }
    if (date > request.now_s + clock_skew_max_s || date < request.now_s - clock_skew_max_s) {
        return failure("SignatureDoesNotMatch", "Signature expired: " + std::string(*date_text) +
                                                    " is more than 15 minutes from the server's time.");
    }
    // The canonical request.
    const std::string_view target = request.target;
    const std::size_t question = target.find('?');
    const std::string_view path = target.substr(0, question);
    const std::string_view query = question == std::string_view::npos ? "" : target.substr(question + 1);
    std::string canonical = std::string(request.method) + "\n" + uri_encode(uri_decode(path.empty() ? "/" : path), true) +
                            "\n" + canonical_query(query) + "\n";
    for (std::size_t start = 0; start <= authorization->signed_headers.size();) {
        const std::size_t end = std::min(authorization->signed_headers.find(';', start),
                                         authorization->signed_headers.size());
        const std::string name = authorization->signed_headers.substr(start, end - start);
        const auto value = header(request, name);
        if (!value) {
            return failure("SignatureDoesNotMatch", "Signed header " + name + " is missing from the request.");
        }
        canonical += name + ":" + trimmed(*value) + "\n";
        start = end + 1;
    }
    // The payload's hash: the body's own (a client that states one must state the right one).
    const std::string body_hash = hex(sha256(request.body));
    const auto stated_hash = header(request, "x-amz-content-sha256");
    if (stated_hash && *stated_hash != "UNSIGNED-PAYLOAD" && *stated_hash != body_hash) {
        return failure("SignatureDoesNotMatch", "The provided x-amz-content-sha256 header does not match what was "
                                                "computed.", 400);
    }
    canonical += "\n" + authorization->signed_headers + "\n" +
                 (stated_hash && *stated_hash == "UNSIGNED-PAYLOAD" ? std::string("UNSIGNED-PAYLOAD") : body_hash);
    const std::string to_sign = std::string(algorithm) + "\n" + std::string(*date_text) + "\n" + scope + "\n" +
                                hex(sha256(canonical));
    const Digest date_key = hmac("AWS4" + principal->second.secret, scope_parts[0]);
    const Digest region_key = hmac(bytes_of(date_key), scope_parts[1]);
    const Digest service_key = hmac(bytes_of(region_key), scope_parts[2]);
    const Digest signing_key = hmac(bytes_of(service_key), "aws4_request");
    const std::string expected = hex(hmac(bytes_of(signing_key), to_sign));
    if (expected.size() != authorization->signature.size() ||
        CRYPTO_memcmp(expected.data(), authorization->signature.data(), expected.size()) != 0) {
        return failure("SignatureDoesNotMatch",
                       "The request signature we calculated does not match the signature you provided. Check your "
                       "AWS Secret Access Key and signing method. Consult the service documentation for details.");
    }
    account = principal->second.account;
    return std::nullopt;
}

} // namespace shmq::daemon
