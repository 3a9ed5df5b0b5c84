// SigV4Verifier: checks AWS Signature Version 4 on requests to shmqd's endpoint when credentials
// are configured (issue 5: "reject a bad or missing signature"). It recomputes the signature the
// client made: the canonical request (method, path, sorted query, the signed headers, the
// payload's SHA-256), the string to sign with the credential scope, and HMAC-SHA256 with the key
// derived from the secret for that date, region and service; it also refuses a request dated
// more than 15 minutes from now (a replayed one). OpenSSL does the hashing and HMAC.
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

// A configured principal: its secret and the account it acts as (the queues' owner is
// 000000000000; other accounts get what AddPermission grants them).
struct Principal {
    std::string secret;
    std::string account;
};

class SigV4Verifier {
  public:
    // principals: access key id -> secret and account.
    explicit SigV4Verifier(std::map<std::string, Principal, std::less<>> principals)
        : principals_(std::move(principals)) {}
    // Lines "ACCESS_KEY_ID SECRET_ACCESS_KEY [ACCOUNT_ID]" (account default 000000000000); blank
    // lines and # comments ignored.
    [[nodiscard]] static Result<SigV4Verifier> from_file(const std::string& path);

    // nullopt when the request is signed by a known key and the signature matches; account then
    // gets the signer's account.
    [[nodiscard]] std::optional<AuthFailure> verify(const SignedRequest& request, std::string& account) const;

  private:
    std::map<std::string, Principal, std::less<>> principals_;
};

} // namespace shmq::daemon
