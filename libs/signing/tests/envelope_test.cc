#include "tp/signing/envelope.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace tp::signing {
namespace {

Envelope sample() {
  Envelope e;
  e.subject = "md.bar.binance-us.BTCUSDT.1m";
  e.message_id = "bar.binance-us.BTCUSDT.1m.1767225600000000000";
  e.message_type = "trading.v1.Bar";
  e.producer = "ingester";
  e.key_id = "ingester-2026-01";
  e.timestamp_ns = 1'767'225'660'000'000'000;
  e.nonce = "000102030405060708090a0b0c0d0e0f";
  e.correlation_id = "corr-1";
  e.signature = std::string(64, 'a');
  return e;
}

TEST(CanonicalString, IsElevenLinesWithoutTrailingNewline) {
  EXPECT_EQ(canonical_string(sample(), "hello"),
            "TP-HMAC-SHA256\n"
            "1\n"
            "md.bar.binance-us.BTCUSDT.1m\n"
            "bar.binance-us.BTCUSDT.1m.1767225600000000000\n"
            "trading.v1.Bar\n"
            "ingester\n"
            "ingester-2026-01\n"
            "1767225660000000000\n"
            "000102030405060708090a0b0c0d0e0f\n"
            "corr-1\n"
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
}

TEST(CanonicalString, EmptyCorrelationIsAnEmptyLineAndSignatureIsNotCovered) {
  Envelope e = sample();
  e.correlation_id.clear();
  const std::string c = canonical_string(e, "");
  EXPECT_NE(c.find("\n000102030405060708090a0b0c0d0e0f\n\n"
                   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            std::string::npos);
  EXPECT_EQ(std::count(c.begin(), c.end(), '\n'), 10);
  e.signature = std::string(64, 'b');
  EXPECT_EQ(canonical_string(e, ""), c);
}

TEST(PayloadDigest, IsLowercaseHexSha256) {
  EXPECT_EQ(payload_digest_hex(std::string("\x00\x01", 2)),
            "b413f47d13ee2fe6c845b2ee141af81de858df4ec549a58b7970bb96645bc8d2");
}

TEST(ValidateFields, AcceptsAWellFormedEnvelope) { EXPECT_TRUE(validate_fields(sample())); }

TEST(ValidateFields, NamesTheFirstOffendingField) {
  auto message = [](auto mutate) {
    Envelope e = sample();
    mutate(e);
    auto s = validate_fields(e);
    return s ? std::string("ok") : s.error().message;
  };
  EXPECT_EQ(message([](Envelope& e) { e.producer.clear(); }),
            "invalid envelope: producer is empty");
  EXPECT_EQ(message([](Envelope& e) { e.message_id = "a\nb"; }),
            "invalid envelope: message_id contains control or non-ASCII byte 0x0a at offset 1");
  EXPECT_EQ(message([](Envelope& e) { e.message_type = "x\r"; }),
            "invalid envelope: message_type contains control or non-ASCII byte 0x0d at offset 1");
  EXPECT_EQ(message([](Envelope& e) { e.correlation_id = "caf\xc3\xa9"; }),
            "invalid envelope: correlation_id contains control or non-ASCII byte 0xc3 at offset 3");
  EXPECT_EQ(message([](Envelope& e) { e.key_id = " k"; }),
            "invalid envelope: key_id has leading or trailing spaces");
  EXPECT_EQ(message([](Envelope& e) { e.subject = "md..bar"; }),
            "invalid envelope: subject has an empty token");
  EXPECT_EQ(message([](Envelope& e) { e.subject = "md.bar.>"; }),
            "invalid envelope: subject contains a wildcard token");
  EXPECT_EQ(message([](Envelope& e) { e.subject = "md bar"; }),
            "invalid envelope: subject contains a space");
  EXPECT_EQ(message([](Envelope& e) { e.timestamp_ns = 0; }),
            "invalid envelope: timestamp_ns must be positive, got 0");
  EXPECT_EQ(message([](Envelope& e) { e.nonce = "ABCDEF0102030405060708090a0b0c0d"; }),
            "invalid envelope: nonce must be 32 lowercase hex characters");
  EXPECT_EQ(message([](Envelope& e) { e.nonce = "00"; }),
            "invalid envelope: nonce must be 32 lowercase hex characters");
  EXPECT_EQ(message([](Envelope& e) { e.signature.clear(); }),
            "invalid envelope: signature must be 64 lowercase hex characters");
  EXPECT_EQ(message([](Envelope& e) { e.correlation_id.clear(); }), "ok");
  // Several problems: the first in canonical order is named.
  EXPECT_EQ(message([](Envelope& e) {
              e.producer.clear();
              e.message_type.clear();
            }),
            "invalid envelope: message_type is empty");
}

TEST(Headers, RoundTripThroughNatsHeaders) {
  const Envelope e = sample();
  const Headers h = to_headers(e);
  EXPECT_EQ(h, (Headers{{"Tp-Version", "1"},
                        {"Nats-Msg-Id", "bar.binance-us.BTCUSDT.1m.1767225600000000000"},
                        {"Tp-Type", "trading.v1.Bar"},
                        {"Tp-Producer", "ingester"},
                        {"Tp-Key-Id", "ingester-2026-01"},
                        {"Tp-Timestamp", "1767225660000000000"},
                        {"Tp-Nonce", "000102030405060708090a0b0c0d0e0f"},
                        {"Tp-Correlation-Id", "corr-1"},
                        {"Tp-Signature", std::string(64, 'a')}}));
  EXPECT_EQ(from_headers(e.subject, h).value(), e);
}

TEST(Headers, EmptyCorrelationIdIsOmittedAndReadBackAsEmpty) {
  Envelope e = sample();
  e.correlation_id.clear();
  const Headers h = to_headers(e);
  EXPECT_FALSE(h.contains("Tp-Correlation-Id"));
  EXPECT_EQ(from_headers(e.subject, h).value(), e);
  Headers with_empty = h;
  with_empty["Tp-Correlation-Id"] = "";
  EXPECT_EQ(from_headers(e.subject, with_empty).value(), e);
}

TEST(Headers, MissingHeadersAreNamed) {
  const Envelope e = sample();
  for (const char* name : {"Tp-Version", "Nats-Msg-Id", "Tp-Type", "Tp-Producer", "Tp-Key-Id",
                           "Tp-Timestamp", "Tp-Nonce", "Tp-Signature"}) {
    Headers h = to_headers(e);
    h.erase(name);
    auto back = from_headers(e.subject, h);
    ASSERT_FALSE(back) << name;
    EXPECT_EQ(back.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(back.error().message, std::string("missing header ") + name);
  }
  // Header names are exact: lowercase is a different header.
  Headers h = to_headers(e);
  h.erase("Tp-Signature");
  h["tp-signature"] = std::string(64, 'a');
  EXPECT_EQ(from_headers(e.subject, h).error().message, "missing header Tp-Signature");
}

TEST(Headers, MalformedValuesAreNamed) {
  const Envelope e = sample();
  auto message = [&](const std::string& name, const std::string& value) {
    Headers h = to_headers(e);
    h[name] = value;
    auto back = from_headers(e.subject, h);
    return back ? std::string("ok") : back.error().message;
  };
  const std::string ts_problem =
      "malformed header Tp-Timestamp: must be a positive decimal integer of nanoseconds without "
      "sign or leading zeros, got ";
  EXPECT_EQ(message("Tp-Timestamp", "01767225660000000000"),
            ts_problem + "'01767225660000000000'");
  EXPECT_EQ(message("Tp-Timestamp", "+1"), ts_problem + "'+1'");
  EXPECT_EQ(message("Tp-Timestamp", "-1"), ts_problem + "'-1'");
  EXPECT_EQ(message("Tp-Timestamp", "0"), ts_problem + "'0'");
  EXPECT_EQ(message("Tp-Timestamp", "1.5e18"), ts_problem + "'1.5e18'");
  EXPECT_EQ(message("Tp-Timestamp", "9223372036854775808"), ts_problem + "'9223372036854775808'");
  EXPECT_EQ(message("Tp-Timestamp", "9223372036854775807"), "ok");
  EXPECT_EQ(message("Tp-Timestamp", "1\n2"), ts_problem + "'1\\x0a2'");
  EXPECT_EQ(message("Tp-Nonce", std::string(31, 'a')),
            "malformed header Tp-Nonce: must be 32 lowercase hex characters");
  EXPECT_EQ(message("Tp-Signature", std::string(64, 'A')),
            "malformed header Tp-Signature: must be 64 lowercase hex characters");
  EXPECT_EQ(message("Tp-Producer", ""), "malformed header Tp-Producer: is empty");
  EXPECT_EQ(message("Tp-Type", "trading.v1.Bar\n"),
            "malformed header Tp-Type: contains control or non-ASCII byte 0x0a at offset 14");
  EXPECT_EQ(message("Tp-Correlation-Id", "a\tb"),
            "malformed header Tp-Correlation-Id: contains control or non-ASCII byte 0x09 at "
            "offset 1");
  EXPECT_EQ(message("Tp-Version", "2"),
            "unsupported protocol version '2' in header Tp-Version, expected '1'");
  // Well-formedness is judged before the version.
  Headers h = to_headers(e);
  h["Tp-Version"] = "2";
  h["Tp-Nonce"] = "x";
  EXPECT_EQ(from_headers(e.subject, h).error().message,
            "malformed header Tp-Nonce: must be 32 lowercase hex characters");
  EXPECT_EQ(from_headers("md.*", to_headers(e)).error().message,
            "malformed subject 'md.*': contains a wildcard token");
}

TEST(Headers, UnrelatedHeadersAreIgnored) {
  Headers h = to_headers(sample());
  h["traceparent"] = "00-abc";
  h["Nats-Expected-Stream"] = "MD";
  EXPECT_EQ(from_headers(sample().subject, h).value(), sample());
}

}  // namespace
}  // namespace tp::signing
