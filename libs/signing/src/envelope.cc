#include "tp/signing/envelope.h"

#include <array>
#include <charconv>
#include <limits>
#include <optional>

#include "envelope_rules.h"
#include "tp/signing/hmac.h"

namespace tp::signing {
namespace {

constexpr size_t kNonceHexLength = 32;
constexpr size_t kSignatureHexLength = 64;

// The problem with a text field, or nullopt when it is fine. Fields are
// printable ASCII (0x20-0x7E) without surrounding spaces: no newline can
// appear inside a line of the canonical string, and NATS header parsers (which
// trim values) cannot change what was signed.
std::optional<std::string> text_problem(std::string_view value, bool required) {
  if (value.empty()) {
    if (required) return std::string("is empty");
    return std::nullopt;
  }
  for (size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c < 0x20 || c > 0x7e) {
      static constexpr char kHex[] = "0123456789abcdef";
      std::string byte = "0x";
      byte += kHex[c >> 4];
      byte += kHex[c & 0x0f];
      return "contains control or non-ASCII byte " + byte + " at offset " + std::to_string(i);
    }
  }
  if (value.front() == ' ' || value.back() == ' ') {
    return std::string("has leading or trailing spaces");
  }
  return std::nullopt;
}

std::optional<std::string> subject_problem(std::string_view subject) {
  if (auto p = text_problem(subject, true)) return p;
  if (subject.find(' ') != std::string_view::npos) return std::string("contains a space");
  size_t start = 0;
  while (true) {
    const size_t dot = subject.find('.', start);
    const std::string_view token =
        subject.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (token.empty()) return std::string("has an empty token");
    if (token == "*" || token == ">") return std::string("contains a wildcard token");
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return std::nullopt;
}

bool is_lower_hex(std::string_view value, size_t length) {
  if (value.size() != length) return false;
  for (char c : value) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::optional<std::string> nonce_problem(std::string_view nonce) {
  if (!is_lower_hex(nonce, kNonceHexLength)) {
    return std::string("must be 32 lowercase hex characters");
  }
  return std::nullopt;
}

std::optional<std::string> signature_problem(std::string_view signature) {
  if (!is_lower_hex(signature, kSignatureHexLength)) {
    return std::string("must be 64 lowercase hex characters");
  }
  return std::nullopt;
}

// Tp-Timestamp has exactly one spelling per value (no sign, no leading zero),
// so the header text always equals the decimal in the canonical string.
std::optional<int64_t> parse_timestamp(std::string_view text) {
  if (text.empty() || text.front() == '0') return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

struct TextField {
  std::string_view name;
  const std::string* value;
  bool required;
};

}  // namespace

std::string payload_digest_hex(std::string_view payload) { return to_hex(sha256(payload)); }

std::string canonical_string(const Envelope& e, std::string_view payload) {
  const std::string timestamp = std::to_string(e.timestamp_ns);
  const std::string digest = payload_digest_hex(payload);
  const std::array<std::string_view, 11> lines = {
      kCanonicalPrefix, kProtocolVersion, e.subject, e.message_id, e.message_type, e.producer,
      e.key_id,         timestamp,        e.nonce,   e.correlation_id, digest};
  size_t total = lines.size() - 1;
  for (auto line : lines) total += line.size();
  std::string out;
  out.reserve(total);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out += '\n';
    out += lines[i];
  }
  return out;
}

Status validate_fields(const Envelope& e) {
  auto fail = [](std::string_view field, const std::string& problem) {
    return make_error(ErrorCode::kInvalidArgument,
                      "invalid envelope: " + std::string(field) + " " + problem);
  };
  if (auto p = subject_problem(e.subject)) return fail("subject", *p);
  const std::array<TextField, 4> texts = {{{"message_id", &e.message_id, true},
                                           {"message_type", &e.message_type, true},
                                           {"producer", &e.producer, true},
                                           {"key_id", &e.key_id, true}}};
  for (const auto& f : texts) {
    if (auto p = text_problem(*f.value, f.required)) return fail(f.name, *p);
  }
  if (e.timestamp_ns <= 0) {
    return fail("timestamp_ns", "must be positive, got " + std::to_string(e.timestamp_ns));
  }
  if (auto p = nonce_problem(e.nonce)) return fail("nonce", *p);
  if (auto p = text_problem(e.correlation_id, false)) return fail("correlation_id", *p);
  if (auto p = signature_problem(e.signature)) return fail("signature", *p);
  return ok();
}

Headers to_headers(const Envelope& e) {
  Headers h;
  h.emplace(kHeaderVersion, kProtocolVersion);
  h.emplace(kHeaderMessageId, e.message_id);
  h.emplace(kHeaderType, e.message_type);
  h.emplace(kHeaderProducer, e.producer);
  h.emplace(kHeaderKeyId, e.key_id);
  h.emplace(kHeaderTimestamp, std::to_string(e.timestamp_ns));
  h.emplace(kHeaderNonce, e.nonce);
  // An empty header value is handled differently by different NATS clients;
  // an absent Tp-Correlation-Id means "" and is covered by the signature all
  // the same.
  if (!e.correlation_id.empty()) h.emplace(kHeaderCorrelationId, e.correlation_id);
  h.emplace(kHeaderSignature, e.signature);
  return h;
}

Result<Envelope> from_headers(std::string_view subject, const Headers& headers) {
  auto parsed = detail::parse_headers(subject, headers);
  if (!parsed) return make_error(ErrorCode::kInvalidArgument, std::move(parsed.error().message));
  return std::move(*parsed);
}

namespace detail {

std::string quoted(std::string_view value) {
  constexpr size_t kMaxShown = 64;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "'";
  for (size_t i = 0; i < value.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c < 0x20 || c > 0x7e || c == '\\' || c == '\'') {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0x0f];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (value.size() > kMaxShown) out += "...";
  out += "'";
  return out;
}

std::expected<Envelope, HeaderError> parse_headers(std::string_view subject,
                                                   const Headers& headers) {
  auto missing = [](std::string_view name) {
    return std::unexpected(
        HeaderError{HeaderProblem::kMissing, "missing header " + std::string(name)});
  };
  auto malformed = [](std::string_view name, const std::string& problem) {
    return std::unexpected(HeaderError{HeaderProblem::kMalformed,
                                       "malformed header " + std::string(name) + ": " + problem});
  };

  static constexpr std::array<std::string_view, 8> kRequired = {
      kHeaderVersion,   kHeaderMessageId, kHeaderType,  kHeaderProducer,
      kHeaderKeyId,     kHeaderTimestamp, kHeaderNonce, kHeaderSignature};
  for (auto name : kRequired) {
    if (headers.find(name) == headers.end()) return missing(name);
  }
  auto value = [&](std::string_view name) -> const std::string& {
    return headers.find(name)->second;
  };

  if (auto p = subject_problem(subject)) {
    return std::unexpected(
        HeaderError{HeaderProblem::kMalformed, "malformed subject " + quoted(subject) + ": " + *p});
  }

  Envelope e;
  e.subject = std::string(subject);
  e.message_id = value(kHeaderMessageId);
  e.message_type = value(kHeaderType);
  e.producer = value(kHeaderProducer);
  e.key_id = value(kHeaderKeyId);
  e.nonce = value(kHeaderNonce);
  e.signature = value(kHeaderSignature);
  if (auto it = headers.find(kHeaderCorrelationId); it != headers.end()) {
    e.correlation_id = it->second;
  }

  // Header order, so the first bad header named is predictable.
  if (auto p = text_problem(value(kHeaderVersion), true)) return malformed(kHeaderVersion, *p);
  const std::array<TextField, 4> texts = {{{kHeaderMessageId, &e.message_id, true},
                                           {kHeaderType, &e.message_type, true},
                                           {kHeaderProducer, &e.producer, true},
                                           {kHeaderKeyId, &e.key_id, true}}};
  for (const auto& f : texts) {
    if (auto p = text_problem(*f.value, f.required)) return malformed(f.name, *p);
  }
  const auto timestamp = parse_timestamp(value(kHeaderTimestamp));
  if (!timestamp) {
    return malformed(kHeaderTimestamp,
                     "must be a positive decimal integer of nanoseconds without sign or leading "
                     "zeros, got " +
                         quoted(value(kHeaderTimestamp)));
  }
  e.timestamp_ns = *timestamp;
  if (auto p = nonce_problem(e.nonce)) return malformed(kHeaderNonce, *p);
  if (auto p = text_problem(e.correlation_id, false)) return malformed(kHeaderCorrelationId, *p);
  if (auto p = signature_problem(e.signature)) return malformed(kHeaderSignature, *p);

  if (value(kHeaderVersion) != kProtocolVersion) {
    return std::unexpected(HeaderError{
        HeaderProblem::kUnsupportedVersion,
        "unsupported protocol version " + quoted(value(kHeaderVersion)) + " in header " +
            std::string(kHeaderVersion) + ", expected '" + std::string(kProtocolVersion) + "'"});
  }
  return e;
}

}  // namespace detail
}  // namespace tp::signing
