// Checks the C++ implementation against tests/vectors/signing.json, which
// tools/signing_reference.py (an independent Python implementation of
// docs/protocol.md) generates and checks too.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "tp/signing/envelope.h"
#include "tp/signing/hmac.h"
#include "tp/signing/key_ring.h"
#include "tp/signing/signer.h"

namespace tp::signing {
namespace {

using nlohmann::json;

json load_vectors() {
  std::ifstream in(std::string(TP_SOURCE_DIR) + "/tests/vectors/signing.json");
  EXPECT_TRUE(in) << "cannot open tests/vectors/signing.json";
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

std::string base64_decode(const std::string& in) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    const size_t v = kAlphabet.find(c);
    if (v == std::string::npos) ADD_FAILURE() << "bad base64 character";
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

std::string payload_of(const json& v) {
  if (v.contains("payload_hex")) return from_hex(v.at("payload_hex").get<std::string>()).value();
  return base64_decode(v.at("payload_base64").get<std::string>());
}

Headers headers_of(const json& v) {
  Headers h;
  for (const auto& [name, value] : v.at("headers").items()) h[name] = value.get<std::string>();
  return h;
}

int64_t ns(const json& j) { return std::stoll(j.get<std::string>()); }

class VectorsTest : public ::testing::Test {
 protected:
  json doc_ = load_vectors();
  std::shared_ptr<const KeyRing> ring_ = std::make_shared<const KeyRing>(
      KeyRing::from_json(doc_.at("key_ring").dump()).value());
  FreshnessWindow window_{ns(doc_.at("freshness").at("max_age_ns")),
                          ns(doc_.at("freshness").at("max_future_ns"))};
};

TEST_F(VectorsTest, FileIsTheExpectedProtocolAndNotEmpty) {
  EXPECT_EQ(doc_.at("protocol"), std::string(kCanonicalPrefix));
  EXPECT_EQ(doc_.at("version"), std::string(kProtocolVersion));
  EXPECT_GE(doc_.at("valid").size(), 10u);
  EXPECT_GE(doc_.at("invalid").size(), 40u);
  EXPECT_EQ(window_.max_age_ns, FreshnessWindow{}.max_age_ns);
  EXPECT_EQ(window_.max_future_ns, FreshnessWindow{}.max_future_ns);
}

TEST_F(VectorsTest, ValidVectorsCanonicaliseSignAndVerifyIdentically) {
  for (const auto& v : doc_.at("valid")) {
    SCOPED_TRACE("valid/" + v.at("name").get<std::string>());
    const auto& fields = v.at("envelope");
    Envelope e;
    e.subject = fields.at("subject");
    e.message_id = fields.at("message_id");
    e.message_type = fields.at("message_type");
    e.producer = fields.at("producer");
    e.key_id = fields.at("key_id");
    e.timestamp_ns = ns(fields.at("timestamp_ns"));
    e.nonce = fields.at("nonce");
    e.correlation_id = fields.at("correlation_id");
    const std::string payload = payload_of(v);

    EXPECT_EQ(payload_digest_hex(payload), v.at("payload_sha256"));
    EXPECT_EQ(canonical_string(e, payload), v.at("canonical"));

    // Sign through the public Signer, with the vector's time and nonce.
    const Key* key = ring_->find(e.key_id);
    ASSERT_NE(key, nullptr);
    auto signing_ring = std::make_shared<const KeyRing>(
        KeyRing::create({*key}, key->id).value());
    ManualClock clock(e.timestamp_ns);
    const std::string nonce = e.nonce;
    auto signer =
        Signer::create(signing_ring, e.producer, clock, [nonce] { return nonce; }).value();
    auto signed_envelope =
        signer.sign(e.subject, e.message_id, e.message_type, e.correlation_id, payload);
    ASSERT_TRUE(signed_envelope) << signed_envelope.error().message;
    EXPECT_EQ(signed_envelope->signature, v.at("signature"));
    EXPECT_EQ(to_headers(*signed_envelope), headers_of(v));

    auto verified = Verifier(ring_, window_)
                        .verify(e.subject, headers_of(v), payload, ns(v.at("reference_ns")));
    ASSERT_TRUE(verified) << to_string(verified.error().reason) << ": "
                          << verified.error().message;
    EXPECT_EQ(*verified, *signed_envelope);
  }
}

TEST_F(VectorsTest, InvalidVectorsAreRejectedForTheExpectedReason) {
  std::set<std::string> reasons_seen;
  for (const auto& v : doc_.at("invalid")) {
    const std::string name = v.at("name");
    SCOPED_TRACE("invalid/" + name);
    auto verified = Verifier(ring_, window_)
                        .verify(v.at("subject").get<std::string>(), headers_of(v), payload_of(v),
                                ns(v.at("reference_ns")));
    ASSERT_FALSE(verified) << "accepted";
    EXPECT_EQ(to_string(verified.error().reason), v.at("reason").get<std::string>())
        << verified.error().message;
    reasons_seen.insert(v.at("reason").get<std::string>());
  }
  // Every reason the stateless Verifier can give is covered.
  EXPECT_EQ(reasons_seen,
            (std::set<std::string>{"missing_header", "malformed_header", "unsupported_version",
                                   "unknown_key", "producer_mismatch", "subject_not_allowed",
                                   "bad_signature", "stale", "future"}));
}

}  // namespace
}  // namespace tp::signing
