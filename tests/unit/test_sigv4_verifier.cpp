// Goal: shmqd's SigV4Verifier accepts exactly what AWS signs and refuses, with AWS's errors, what
// AWS refuses: AWS's published SigV4 test vectors verify, signed with an Authorization header and
// presigned (their inputs and signatures are facts, not our own signer's output), and each
// strictness rule (scope, required signed headers, signed payload, session tokens, expiry,
// malformed or oversized input) refuses a request that differs from a verifying one only there.
// Method: read the vectors in tests/unit/sigv4_test_suite (see its README), verify them with a
// verifier scoped like them (region us-east-1, service "service") at the vectors' signing time,
// then change one thing at a time.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "shmqd/sigv4_verifier.h"

using shmq::daemon::AuthFailure;
using shmq::daemon::Principal;
using shmq::daemon::SignedRequest;
using shmq::daemon::SigningScope;
using shmq::daemon::SigV4Verifier;

namespace {

constexpr std::int64_t signing_time_s = 1440938160; // 2015-08-30T12:36:00Z, the vectors' time
const std::string suite_dir = SHMQ_SIGV4_TEST_SUITE_DIR;

std::string read_text(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

// A request as the suite writes it: "METHOD TARGET HTTP/1.1", "Name:value" lines (a line that
// starts with a space continues the previous value), a blank line, the body. It owns its text.
struct VectorRequest {
    std::string method, target, body;
    std::vector<std::pair<std::string, std::string>> headers;

    [[nodiscard]] SignedRequest view(std::int64_t now_s = signing_time_s) const {
        return {method, target, headers, body, now_s};
    }
    std::string& header(std::string_view name) {
        for (auto& [key, value] : headers) {
            if (key == name) {
                return value;
            }
        }
        FAIL("no header " << name);
        throw std::logic_error("unreachable");
    }
};

VectorRequest parse_request(const std::string& text) {
    VectorRequest request;
    const std::size_t head_end = text.find("\n\n");
    REQUIRE(head_end != std::string::npos);
    request.body = text.substr(head_end + 2);
    std::istringstream head(text.substr(0, head_end));
    std::string line;
    std::getline(head, line);
    const std::size_t first_space = line.find(' ');
    const std::size_t last_space = line.rfind(' ');
    request.method = line.substr(0, first_space);
    request.target = line.substr(first_space + 1, last_space - first_space - 1);
    while (std::getline(head, line)) {
        if (line.starts_with(' ')) {
            request.headers.back().second += "\n" + line;
            continue;
        }
        const std::size_t colon = line.find(':');
        request.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
    }
    return request;
}

struct Vector {
    std::string name;
    std::string session_token; // empty: none
    bool token_signed = true;  // omit_session_token: the token was added after signing
    VectorRequest header_signed, query_signed;
};

std::vector<Vector> suite() {
    std::vector<Vector> vectors;
    for (const auto& entry : std::filesystem::directory_iterator(suite_dir)) {
        if (!entry.is_directory()) {
            continue;
        }
        Vector vector;
        vector.name = entry.path().filename().string();
        const auto context = boost::json::parse(read_text(entry.path() / "context.json")).as_object();
        const auto& credentials = context.at("credentials").as_object();
        REQUIRE(credentials.at("access_key_id").as_string() == "AKIDEXAMPLE");
        REQUIRE(context.at("region").as_string() == "us-east-1");
        REQUIRE(context.at("service").as_string() == "service");
        REQUIRE(context.at("timestamp").as_string() == "2015-08-30T12:36:00Z");
        if (const auto* token = credentials.if_contains("token")) {
            vector.session_token = std::string(token->as_string());
        }
        if (const auto* omit = context.if_contains("omit_session_token")) {
            vector.token_signed = !omit->as_bool();
        }
        vector.header_signed = parse_request(read_text(entry.path() / "header-signed-request.txt"));
        vector.query_signed = parse_request(read_text(entry.path() / "query-signed-request.txt"));
        vectors.push_back(std::move(vector));
    }
    std::sort(vectors.begin(), vectors.end(), [](const Vector& a, const Vector& b) { return a.name < b.name; });
    return vectors;
}

SigV4Verifier verifier_for(std::string session_token = "", SigningScope scope = {"us-east-1", "service"}) {
    std::map<std::string, Principal, std::less<>> principals;
    principals["AKIDEXAMPLE"] = {"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "123456789012", std::move(session_token)};
    return {std::move(principals), std::move(scope)};
}

std::optional<AuthFailure> verify(const SigV4Verifier& verifier, const SignedRequest& request) {
    std::string account;
    auto refused = verifier.verify(request, account);
    if (!refused) {
        CHECK(account == "123456789012");
    }
    return refused;
}

// The suite's vector of that name.
Vector vector_named(std::string_view name) {
    for (auto& vector : suite()) {
        if (vector.name == name) {
            return vector;
        }
    }
    FAIL("no vector " << name);
    throw std::logic_error("unreachable");
}

#define REQUIRE_REFUSED(result, expected_code, message_part)                                                           \
    do {                                                                                                               \
        const auto refused_ = (result);                                                                                \
        REQUIRE(refused_.has_value());                                                                                 \
        CHECK(refused_->code == (expected_code));                                                                      \
        CHECK_THAT(refused_->message, Catch::Contains(message_part));                                                  \
    } while (false)

} // namespace

TEST_CASE("SigV4 test suite: every vector signed with an Authorization header verifies", "[unit][sigv4]") {
    const auto vectors = suite();
    REQUIRE(vectors.size() == 31);
    for (const auto& vector : vectors) {
        INFO(vector.name);
        const auto verifier = verifier_for(vector.session_token);
        const auto refused = verify(verifier, vector.header_signed.view());
        if (vector.token_signed) {
            CHECK_FALSE(refused.has_value());
            if (refused) {
                UNSCOPED_INFO(refused->code << ": " << refused->message);
            }
        } else {
            // post-sts-header-after adds the token after signing: shmqd requires it signed.
            REQUIRE(refused.has_value());
            CHECK(refused->code == "InvalidClientTokenId");
        }
    }
}

TEST_CASE("SigV4 test suite: every presigned vector verifies until it expires", "[unit][sigv4]") {
    for (const auto& vector : suite()) {
        INFO(vector.name);
        const auto verifier = verifier_for(vector.session_token);
        if (!vector.token_signed) {
            // The token was appended to the query after signing: not what was signed.
            CHECK(verify(verifier, vector.query_signed.view()).has_value());
            continue;
        }
        const auto refused = verify(verifier, vector.query_signed.view());
        CHECK_FALSE(refused.has_value());
        if (refused) {
            UNSCOPED_INFO(refused->code << ": " << refused->message);
        }
        CHECK_FALSE(verify(verifier, vector.query_signed.view(signing_time_s + 3600)).has_value());
        REQUIRE_REFUSED(verify(verifier, vector.query_signed.view(signing_time_s + 3601)), "SignatureDoesNotMatch",
                        "Signature expired");
    }
}

TEST_CASE("SigV4 test suite: any changed signature digit, signed header or body is refused", "[unit][sigv4]") {
    for (const auto& vector : suite()) {
        if (!vector.token_signed) {
            continue;
        }
        INFO(vector.name);
        const auto verifier = verifier_for(vector.session_token);
        VectorRequest request = vector.header_signed;
        std::string& authorization = request.header("Authorization");
        authorization.back() = authorization.back() == '0' ? '1' : '0';
        REQUIRE_REFUSED(verify(verifier, request.view()), "SignatureDoesNotMatch", "does not match");

        request = vector.header_signed;
        request.header("Host") = "other.amazonaws.com";
        REQUIRE_REFUSED(verify(verifier, request.view()), "SignatureDoesNotMatch", "does not match");

        request = vector.header_signed;
        request.body += "x";
        CHECK(verify(verifier, request.view()).has_value());

        request = vector.query_signed;
        request.target.back() = request.target.back() == '0' ? '1' : '0';
        REQUIRE_REFUSED(verify(verifier, request.view()), "SignatureDoesNotMatch", "does not match");
    }
}

TEST_CASE("SigV4: the credential scope must name this endpoint's region and service", "[unit][sigv4]") {
    const auto vanilla = vector_named("get-vanilla");
    REQUIRE_REFUSED(verify(verifier_for("", {"us-west-2", "service"}), vanilla.header_signed.view()),
                    "SignatureDoesNotMatch", "Credential should be scoped to a valid region");
    REQUIRE_REFUSED(verify(verifier_for("", {"us-east-1", "sqs"}), vanilla.header_signed.view()),
                    "SignatureDoesNotMatch", "Credential should be scoped to correct service: 'sqs'.");
    REQUIRE_REFUSED(verify(verifier_for("", {"us-west-2", "service"}), vanilla.query_signed.view()),
                    "SignatureDoesNotMatch", "Credential should be scoped to a valid region");

    const auto verifier = verifier_for();
    VectorRequest request = vanilla.header_signed;
    std::string& authorization = request.header("Authorization");
    const auto replace = [&](std::string_view from, std::string_view to) {
        authorization.replace(authorization.find(from), from.size(), to);
    };
    replace("/aws4_request", "/aws4_reques");
    REQUIRE_REFUSED(verify(verifier, request.view()), "SignatureDoesNotMatch",
                    "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4_reques'.");
    request = vanilla.header_signed;
    replace("AKIDEXAMPLE/20150830/", "AKIDEXAMPLE/20150831/");
    REQUIRE_REFUSED(verify(verifier, request.view()), "SignatureDoesNotMatch",
                    "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                    "'20150831' != '20150830', from '20150830T123600Z'.");
    request = vanilla.header_signed;
    replace("AKIDEXAMPLE/", "AKIDOTHER/");
    REQUIRE_REFUSED(verify(verifier, request.view()), "InvalidClientTokenId",
                    "The security token included in the request is invalid.");
    request = vanilla.header_signed;
    replace("us-east-1/service/", "us-east-1/");
    REQUIRE_REFUSED(verify(verifier, request.view()), "IncompleteSignature",
                    "Credential must have exactly 5 slash-delimited elements");
}

TEST_CASE("SigV4: a request is dated within 15 minutes of now", "[unit][sigv4]") {
    const auto vanilla = vector_named("get-vanilla");
    const auto verifier = verifier_for();
    CHECK_FALSE(verify(verifier, vanilla.header_signed.view(signing_time_s + 15 * 60)).has_value());
    CHECK_FALSE(verify(verifier, vanilla.header_signed.view(signing_time_s - 15 * 60)).has_value());
    REQUIRE_REFUSED(verify(verifier, vanilla.header_signed.view(signing_time_s + 15 * 60 + 1)), "SignatureDoesNotMatch",
                    "Signature expired: 20150830T123600Z is now earlier than");
    REQUIRE_REFUSED(verify(verifier, vanilla.header_signed.view(signing_time_s - 15 * 60 - 1)), "SignatureDoesNotMatch",
                    "Signature not yet current: 20150830T123600Z is still later than");
    REQUIRE_REFUSED(verify(verifier, vanilla.query_signed.view(signing_time_s - 15 * 60 - 1)), "SignatureDoesNotMatch",
                    "Signature not yet current");
}

TEST_CASE("SigV4: host, the date and X-Amz-Target must be signed", "[unit][sigv4]") {
    const auto verifier = verifier_for();
    // Refused before the signature is computed: what is left unsigned decides.
    VectorRequest request = vector_named("get-vanilla").header_signed;
    std::string& authorization = request.header("Authorization");
    authorization.replace(authorization.find("SignedHeaders=host;x-amz-date"), 29, "SignedHeaders=x-amz-date");
    REQUIRE_REFUSED(verify(verifier, request.view()), "SignatureDoesNotMatch",
                    "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");

    request = vector_named("get-vanilla").header_signed;
    request.header("Authorization").replace(request.header("Authorization").find("host;x-amz-date"), 15, "host");
    REQUIRE_REFUSED(verify(verifier, request.view()), "SignatureDoesNotMatch",
                    "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.");

    request = vector_named("get-vanilla").header_signed;
    request.headers.emplace_back("X-Amz-Target", "AmazonSQS.ListQueues");
    REQUIRE_REFUSED(verify(verifier, request.view()), "SignatureDoesNotMatch",
                    "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.");
    request = vector_named("get-vanilla").query_signed;
    request.headers.emplace_back("X-Amz-Target", "AmazonSQS.ListQueues");
    REQUIRE_REFUSED(verify(verifier, request.view()), "SignatureDoesNotMatch",
                    "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.");

    request = vector_named("get-vanilla").header_signed;
    request.headers.erase(request.headers.begin() + 1); // X-Amz-Date
    REQUIRE_REFUSED(verify(verifier, request.view()), "IncompleteSignature",
                    "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");

    request = vector_named("get-header-key-duplicate").header_signed;
    request.headers.erase(request.headers.begin() + 1, request.headers.begin() + 4); // every My-Header1
    REQUIRE_REFUSED(verify(verifier, request.view()), "IncompleteSignature",
                    "'my-header1' is named as a SignedHeader, but it does not exist in the HTTP request.");
}

TEST_CASE("SigV4: an HTTP Date header may date the request instead of X-Amz-Date, signed", "[unit][sigv4]") {
    const auto verifier = verifier_for();
    VectorRequest request = vector_named("get-vanilla").header_signed;
    request.headers.erase(request.headers.begin() + 1); // X-Amz-Date
    request.headers.emplace_back("Date", "Sun, 30 Aug 2015 12:36:00 GMT");
    std::string& authorization = request.header("Authorization");
    authorization.replace(authorization.find("host;x-amz-date"), 15, "host");
    REQUIRE_REFUSED(verify(verifier, request.view()), "SignatureDoesNotMatch", "'Date' must be a 'SignedHeader'");
    authorization.replace(authorization.find("SignedHeaders=host"), 18, "SignedHeaders=date;host");
    // Read as 20150830T123600Z: scope and time pass, only the signature (made for X-Amz-Date) differs.
    REQUIRE_REFUSED(verify(verifier, request.view()), "SignatureDoesNotMatch", "does not match");
    request.header("Date") = "Mon, 31 Aug 2015 12:36:00 GMT";
    REQUIRE_REFUSED(verify(verifier, request.view(signing_time_s + 86400)), "SignatureDoesNotMatch",
                    "'20150830' != '20150831', from '20150831T123600Z'.");
    request.header("Date") = "yesterday";
    REQUIRE_REFUSED(verify(verifier, request.view()), "IncompleteSignature", "The Date header is not an HTTP date");
}

TEST_CASE("SigV4: the payload is signed, never UNSIGNED-PAYLOAD, and its stated hash is the body's", "[unit][sigv4]") {
    const auto verifier = verifier_for();
    const auto form = vector_named("post-x-www-form-urlencoded");
    REQUIRE_FALSE(verify(verifier, form.header_signed.view()).has_value());
    VectorRequest request = form.header_signed;
    request.header("x-amz-content-sha256") = "UNSIGNED-PAYLOAD";
    REQUIRE_REFUSED(verify(verifier, request.view()), "IncompleteSignature", "UNSIGNED-PAYLOAD is not accepted");
    request = form.header_signed;
    request.body = "Param1=value2";
    const auto refused = verify(verifier, request.view());
    REQUIRE_REFUSED(refused, "SignatureDoesNotMatch", "x-amz-content-sha256 header does not match");
    CHECK(refused->status == 400);
    // Without the header, the body's own hash is what the signature covers.
    request = vector_named("post-vanilla").header_signed;
    request.body = "Action=DeleteQueue";
    REQUIRE_REFUSED(verify(verifier, request.view()), "SignatureDoesNotMatch", "does not match");
}

TEST_CASE("SigV4: a key with a session token is used only with that token, signed", "[unit][sigv4]") {
    const auto with_token = vector_named("get-vanilla-with-session-token");
    const auto vanilla = vector_named("get-vanilla");
    const auto token_verifier = verifier_for(with_token.session_token);
    const auto plain_verifier = verifier_for();
    // No token, a token the key does not have, a wrong token.
    REQUIRE_REFUSED(verify(token_verifier, vanilla.header_signed.view()), "InvalidClientTokenId",
                    "The security token included in the request is invalid.");
    REQUIRE_REFUSED(verify(token_verifier, vanilla.query_signed.view()), "InvalidClientTokenId", "security token");
    REQUIRE_REFUSED(verify(plain_verifier, with_token.header_signed.view()), "InvalidClientTokenId", "security token");
    REQUIRE_REFUSED(verify(plain_verifier, with_token.query_signed.view()), "InvalidClientTokenId", "security token");
    REQUIRE_REFUSED(verify(verifier_for(with_token.session_token + "x"), with_token.header_signed.view()),
                    "InvalidClientTokenId", "security token");
    // Present but left out of SignedHeaders (AWS's post-sts-header-after): refused too.
    const auto after = vector_named("post-sts-header-after");
    REQUIRE_REFUSED(verify(verifier_for(after.session_token), after.header_signed.view()), "InvalidClientTokenId",
                    "security token");
    CHECK_FALSE(verify(verifier_for(after.session_token), vector_named("post-sts-header-before").header_signed.view())
                    .has_value());
}

TEST_CASE("SigV4: malformed, duplicated, mixed or oversized authorization is refused as incomplete", "[unit][sigv4]") {
    const auto verifier = verifier_for();
    const auto vanilla = vector_named("get-vanilla");
    const std::string good = vanilla.header_signed.headers.back().second;
    const auto with_authorization = [&](std::string authorization) {
        VectorRequest request = vanilla.header_signed;
        request.header("Authorization") = std::move(authorization);
        return verify(verifier, request.view());
    };
    REQUIRE_REFUSED(with_authorization(good + ", Signature=" + std::string(64, '0')), "IncompleteSignature",
                    "names 'Signature' more than once");
    REQUIRE_REFUSED(with_authorization(good + ", Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"),
                    "IncompleteSignature", "names 'Credential' more than once");
    REQUIRE_REFUSED(with_authorization(good + ", Extra=1"), "IncompleteSignature", "'Extra' is not a part");
    REQUIRE_REFUSED(with_authorization(good + ", junk"), "IncompleteSignature",
                    "'junk' not a valid key=value pair (missing equal-sign) in Authorization header");
    REQUIRE_REFUSED(
        with_authorization("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"),
        "IncompleteSignature",
        "Authorization header requires 'SignedHeaders' parameter. Authorization header requires "
        "'Signature' parameter.");
    REQUIRE_REFUSED(with_authorization("AWS4-ECDSA-P256-SHA256 " + good.substr(17)), "IncompleteSignature",
                    "Unsupported AWS 'algorithm'");
    REQUIRE_REFUSED(with_authorization(good + ", Signature=" + std::string(5000, 'a')), "IncompleteSignature",
                    "longer than 4096 bytes");
    std::string many_signed = "host";
    for (int i = 0; i < 64; ++i) {
        many_signed += ";x-h" + std::to_string(i);
    }
    REQUIRE_REFUSED(with_authorization("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
                                       "aws4_request, SignedHeaders=" +
                                       many_signed + ", Signature=00"),
                    "IncompleteSignature", "SignedHeaders names more than 64 headers");
    REQUIRE_REFUSED(with_authorization("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
                                       "aws4_request, SignedHeaders=host;host;x-amz-date, Signature=00"),
                    "IncompleteSignature", "SignedHeaders must name each header once");

    VectorRequest request = vanilla.header_signed;
    request.headers.push_back(request.headers.back()); // two Authorization headers
    REQUIRE_REFUSED(verify(verifier, request.view()), "IncompleteSignature", "more than one Authorization header");
    request = vanilla.header_signed;
    request.target = vanilla.query_signed.target; // an Authorization header and a presigned query
    REQUIRE_REFUSED(verify(verifier, request.view()), "IncompleteSignature", "Only one auth mechanism allowed");
    request = vanilla.header_signed;
    request.headers.resize(1); // Host only
    REQUIRE_REFUSED(verify(verifier, request.view()), "MissingAuthenticationToken",
                    "Request is missing Authentication Token");
    request = vanilla.header_signed;
    for (int i = 0; i < 128; ++i) {
        request.headers.emplace_back("X-Filler", "1");
    }
    REQUIRE_REFUSED(verify(verifier, request.view()), "IncompleteSignature", "more than 128 headers");
    request = vanilla.header_signed;
    request.target = "/?";
    for (int i = 0; i < 4097; ++i) {
        request.target += "a&";
    }
    REQUIRE_REFUSED(verify(verifier, request.view()), "IncompleteSignature", "more than 4096 parameters");
}

TEST_CASE("SigV4: a presigned query string is complete, signs once per parameter and lives a week at most",
          "[unit][sigv4]") {
    const auto verifier = verifier_for();
    const auto vanilla = vector_named("get-vanilla");
    const auto with_target = [&](std::string target) {
        VectorRequest request = vanilla.query_signed;
        request.target = std::move(target);
        return verify(verifier, request.view());
    };
    const std::string target = vanilla.query_signed.target;
    const auto replaced = [&](std::string_view from, std::string_view to) {
        std::string changed = target;
        REQUIRE(changed.find(from) != std::string::npos);
        changed.replace(changed.find(from), from.size(), to);
        return changed;
    };
    REQUIRE_REFUSED(with_target(replaced("X-Amz-Expires=3600", "X-Amz-Expires=604801")), "IncompleteSignature",
                    "X-Amz-Expires must be a number of seconds from 1 to a week (604800)");
    REQUIRE_REFUSED(with_target(replaced("X-Amz-Expires=3600", "X-Amz-Expires=-1")), "IncompleteSignature",
                    "X-Amz-Expires");
    REQUIRE_REFUSED(with_target(replaced("X-Amz-Expires=3600&", "")), "IncompleteSignature",
                    "AWS query-string parameters must include 'X-Amz-Expires'. Re-examine the query-string "
                    "parameters.");
    REQUIRE_REFUSED(with_target(replaced("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=host&X-Amz-SignedHeaders=x")),
                    "IncompleteSignature", "names 'X-Amz-SignedHeaders' more than once");
    REQUIRE_REFUSED(with_target(replaced("X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-HMAC-SHA1")),
                    "IncompleteSignature", "Unsupported AWS 'algorithm'");
    REQUIRE_REFUSED(with_target(replaced("X-Amz-Date=20150830T123600Z", "X-Amz-Date=2015-08-30")),
                    "IncompleteSignature", "X-Amz-Date must be in ISO-8601 'basic format'");
    // A parameter added after signing is not what was signed.
    REQUIRE_REFUSED(with_target(target + "&Action=DeleteQueue"), "SignatureDoesNotMatch", "does not match");
}
