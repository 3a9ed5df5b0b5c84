// SigV4Verifier: checks AWS Signature Version 4 on requests to shmqd's endpoint when credentials
// are configured, as strictly as AWS does for SQS (issue 11). It recomputes the signature the
// client made: the canonical request (method, the normalized path, the sorted query, the signed
// headers, the body's SHA-256), the string to sign with the credential scope, and HMAC-SHA256
// with the key derived from the secret for that date, region and service. Invariants of an
// accepted request:
//   - signed by a configured key, in an Authorization header or as a presigned query string
//     (X-Amz-Algorithm ... X-Amz-Signature), never both;
//   - scoped to this endpoint's region, to its service (sqs) and to the day of its timestamp,
//     with the aws4_request terminator;
//   - host, its timestamp header (x-amz-date or Date) and, for a JSON-protocol request,
//     x-amz-target among the signed headers: a signature always binds the action and endpoint;
//   - the payload signed: the canonical request carries the body's SHA-256 (UNSIGNED-PAYLOAD is
//     refused; a stated X-Amz-Content-Sha256 must be the body's);
//   - a key that has a session token is used only with that token, signed;
//   - dated within 15 minutes of now (header), or within its X-Amz-Expires, at most a week
//     (presigned).
// Every input is bounded (header count, Authorization length, signed-header and query-parameter
// counts). OpenSSL does the hashing and HMAC. Thread-safe: verify() is const.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shmq/error.h"

namespace shmq::daemon {

struct SignedRequest {
    std::string_view method;
    std::string_view target; // path and query, as sent
    std::vector<std::pair<std::string, std::string>> headers;
    std::string_view body;
    std::int64_t now_s = 0; // Unix seconds
};

// Why a request was refused, as AWS names it (e.g. SignatureDoesNotMatch, 403).
struct AuthFailure {
    std::string code;
    std::string message;
    unsigned status = 403;
};

// A configured principal: its secret, the account it acts as (the queues' owner is
// 000000000000; other accounts get what AddPermission grants them) and, for temporary
// credentials, the session token every request of the key must carry (empty: none).
struct Principal {
    std::string secret;
    std::string account;
    std::string session_token;
};

// What a credential scope must name: the endpoint's region and the service.
struct SigningScope {
    std::string region = "us-east-1"; // what queue ARNs name today
    std::string service = "sqs";
};

class SigV4Verifier {
  public:
    // principals: access key id -> principal.
    SigV4Verifier(std::map<std::string, Principal, std::less<>> principals, SigningScope scope)
        : principals_(std::move(principals)), scope_(std::move(scope)) {}
    // Lines "ACCESS_KEY_ID SECRET_ACCESS_KEY [ACCOUNT_ID [SESSION_TOKEN]]" (account default
    // 000000000000); blank lines and # comments ignored. The file holds secrets: it must be a
    // regular file of ours that nobody else may read (client::read_private_file), or it is refused.
    [[nodiscard]] static Result<SigV4Verifier> from_file(const std::string& path, SigningScope scope);

    // nullopt when the request is signed as the invariants above require; account then gets the
    // signer's account.
    [[nodiscard]] std::optional<AuthFailure> verify(const SignedRequest& request, std::string& account) const;

  private:
    std::map<std::string, Principal, std::less<>> principals_;
    SigningScope scope_;
};

} // namespace shmq::daemon
