// Field rules of the envelope, shared by envelope.cc (validate_fields,
// from_headers) and signer.cc (the Verifier needs to know *why* headers were
// refused: missing, malformed or an unknown protocol version).
//
// Private to libs/signing.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "tp/signing/envelope.h"

namespace tp::signing::detail {

enum class HeaderProblem { kMissing, kMalformed, kUnsupportedVersion };

struct HeaderError {
  HeaderProblem problem;
  std::string message;  // e.g. "missing header Tp-Signature"
};

// Parses and checks the headers in protocol order: every required header
// present, every value well formed, then the protocol version.
std::expected<Envelope, HeaderError> parse_headers(std::string_view subject,
                                                   const Headers& headers);

// A value safe to echo into an error message or log line: non-printable
// bytes become \xNN and long values are cut, so a hostile header cannot
// forge log lines or flood them.
std::string quoted(std::string_view value);

}  // namespace tp::signing::detail
