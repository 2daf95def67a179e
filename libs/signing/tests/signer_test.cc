#include "tp/signing/signer.h"

#include <gtest/gtest.h>

#include "tp/signing/hmac.h"

namespace tp::signing {
namespace {

constexpr int64_t kT0 = 1'767'225'660'000'000'000;  // 2026-01-01T00:01:00Z
const std::string kSubject = "md.bar.binance-us.BTCUSDT.1m";
const std::string kPayload("\x0a\x07" "BTCUSDT\x10\x01\x00\xff", 13);

std::string secret_of(char fill) { return std::string(32, fill); }

Key key(std::string id, std::string producer, char fill, std::vector<std::string> subjects = {},
        KeyStatus status = KeyStatus::kActive) {
  return Key{std::move(id), std::move(producer), secret_of(fill), std::move(subjects), status};
}

std::shared_ptr<const KeyRing> ring(std::vector<Key> keys, std::optional<std::string> signing) {
  auto r = KeyRing::create(std::move(keys), std::move(signing));
  EXPECT_TRUE(r) << r.error().message;
  return std::make_shared<const KeyRing>(std::move(*r));
}

NonceSource counting_nonces() {
  auto n = std::make_shared<int>(0);
  return [n] {
    char buf[33];
    std::snprintf(buf, sizeof buf, "%032x", ++*n);
    return std::string(buf);
  };
}

// Headers for an envelope signed by hand with `secret`, for the cases a
// well-behaved Signer refuses to produce.
Headers signed_by_hand(Envelope e, const std::string& secret, std::string_view payload) {
  e.signature = to_hex(hmac_sha256(secret, canonical_string(e, payload)));
  return to_headers(e);
}

class SignerTest : public ::testing::Test {
 protected:
  // The ingester's ring signs; the consumer's ring verifies everyone.
  std::shared_ptr<const KeyRing> ingester_ring_ =
      ring({key("ingester-1", "ingester", 'a', {"md.>"})}, "ingester-1");
  std::shared_ptr<const KeyRing> consumer_ring_ =
      ring({key("ingester-1", "ingester", 'a', {"md.>"}),
            key("ingester-2", "ingester", 'b', {"md.>"}),
            key("ingester-0", "ingester", 'c', {"md.>"}, KeyStatus::kRetired),
            key("signal-1", "signal", 'd', {"sig.ema-cross.*"})},
           std::nullopt);
  ManualClock clock_{kT0};
  Signer signer_ = Signer::create(ingester_ring_, "ingester", clock_, counting_nonces()).value();
  Verifier verifier_{consumer_ring_, FreshnessWindow{}};

  Envelope sign(const std::string& subject = kSubject, std::string_view payload = kPayload) {
    auto e = signer_.sign(subject, "bar-1", "trading.v1.Bar", "corr-7", payload);
    EXPECT_TRUE(e) << e.error().message;
    return *e;
  }

  Rejection rejection(const Headers& h, const std::string& subject = kSubject,
                      std::string_view payload = kPayload, int64_t reference = kT0) {
    auto r = verifier_.verify(subject, h, payload, reference);
    EXPECT_FALSE(r) << "verified unexpectedly";
    return r ? Rejection{RejectReason::kReplay, "verified"} : r.error();
  }
};

TEST_F(SignerTest, SignsWithClockNonceAndSigningKey) {
  const Envelope e = sign();
  EXPECT_EQ(e.subject, kSubject);
  EXPECT_EQ(e.message_id, "bar-1");
  EXPECT_EQ(e.message_type, "trading.v1.Bar");
  EXPECT_EQ(e.producer, "ingester");
  EXPECT_EQ(e.key_id, "ingester-1");
  EXPECT_EQ(e.timestamp_ns, kT0);
  EXPECT_EQ(e.nonce, "00000000000000000000000000000001");
  EXPECT_EQ(e.correlation_id, "corr-7");
  EXPECT_EQ(e.signature, to_hex(hmac_sha256(secret_of('a'), canonical_string(e, kPayload))));
  EXPECT_EQ(signer_.key_id(), "ingester-1");
  EXPECT_EQ(signer_.producer(), "ingester");
  EXPECT_EQ(sign().nonce, "00000000000000000000000000000002");
}

TEST_F(SignerTest, VerifiesWhatItSigned) {
  const Envelope e = sign();
  auto v = verifier_.verify(kSubject, to_headers(e), kPayload, kT0 + kNanosPerMilli);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(*v, e);
}

TEST_F(SignerTest, DefaultNoncesAreRandomLowercaseHex) {
  auto s = Signer::create(ingester_ring_, "ingester", clock_).value();
  const auto a = s.sign(kSubject, "m", "t", "", "").value();
  const auto b = s.sign(kSubject, "m", "t", "", "").value();
  EXPECT_NE(a.nonce, b.nonce);
  EXPECT_EQ(a.nonce.size(), 32u);
  EXPECT_TRUE(validate_fields(a));
}

TEST_F(SignerTest, CreateChecksTheRingCanSignForTheProducer) {
  EXPECT_EQ(Signer::create(consumer_ring_, "ingester", clock_).error().message,
            "signer: key ring has no signing key (set signing_key)");
  EXPECT_EQ(Signer::create(ingester_ring_, "signal", clock_).error().message,
            "signer: signing key ingester-1 belongs to producer ingester, not signal");
  EXPECT_EQ(Signer::create(nullptr, "ingester", clock_).error().message,
            "signer: key ring is null");
}

TEST_F(SignerTest, SignRefusesSubjectsOutsideTheKeyAndInvalidFields) {
  auto outside = signer_.sign("orders.intent.BTCUSDT", "m", "t", "", kPayload);
  ASSERT_FALSE(outside);
  EXPECT_EQ(outside.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(outside.error().message, "signer: key ingester-1 may not sign subject orders.intent.BTCUSDT");
  auto bad = signer_.sign(kSubject, "id\nwith newline", "t", "", kPayload);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().message,
            "invalid envelope: message_id contains control or non-ASCII byte 0x0a at offset 2");
  clock_.set_ns(0);
  EXPECT_EQ(signer_.sign(kSubject, "m", "t", "", kPayload).error().message,
            "invalid envelope: timestamp_ns must be positive, got 0");
}

TEST_F(SignerTest, ChangedPayloadIsABadSignature) {
  const Headers h = to_headers(sign());
  std::string tampered = kPayload;
  tampered[3] ^= 0x01;
  const Rejection r = rejection(h, kSubject, tampered);
  EXPECT_EQ(r.reason, RejectReason::kBadSignature);
  EXPECT_EQ(r.message, "bad signature for key ingester-1 on md.bar.binance-us.BTCUSDT.1m");
  EXPECT_EQ(rejection(h, kSubject, "").reason, RejectReason::kBadSignature);
  EXPECT_EQ(rejection(h, kSubject, kPayload + "x").reason, RejectReason::kBadSignature);
}

TEST_F(SignerTest, ChangedSubjectIsABadSignature) {
  const Headers h = to_headers(sign());
  const Rejection r = rejection(h, "md.bar.binance-us.ETHUSDT.1m");
  EXPECT_EQ(r.reason, RejectReason::kBadSignature);
  EXPECT_EQ(r.message, "bad signature for key ingester-1 on md.bar.binance-us.ETHUSDT.1m");
}

TEST_F(SignerTest, EveryChangedHeaderIsRejected) {
  const Headers original = to_headers(sign());
  struct Change {
    std::string header;
    std::string value;  // "" with erase = true removes the header
    bool erase;
    RejectReason expected;
  };
  const std::vector<Change> changes = {
      {"Nats-Msg-Id", "bar-2", false, RejectReason::kBadSignature},
      {"Tp-Type", "trading.v1.Signal", false, RejectReason::kBadSignature},
      {"Tp-Timestamp", std::to_string(kT0 + 1), false, RejectReason::kBadSignature},
      {"Tp-Nonce", "00000000000000000000000000000002", false, RejectReason::kBadSignature},
      {"Tp-Correlation-Id", "corr-8", false, RejectReason::kBadSignature},
      {"Tp-Correlation-Id", "", true, RejectReason::kBadSignature},
      {"Tp-Signature", std::string(63, '0') + "1", false, RejectReason::kBadSignature},
      // Another active key of the same producer: the HMAC no longer matches.
      {"Tp-Key-Id", "ingester-2", false, RejectReason::kBadSignature},
      {"Tp-Key-Id", "ingester-9", false, RejectReason::kUnknownKey},
      {"Tp-Key-Id", "ingester-0", false, RejectReason::kUnknownKey},
      {"Tp-Producer", "signal", false, RejectReason::kProducerMismatch},
      {"Tp-Version", "2", false, RejectReason::kUnsupportedVersion},
      {"Tp-Version", "", true, RejectReason::kMissingHeader},
      {"Tp-Signature", "", true, RejectReason::kMissingHeader},
      {"Tp-Signature", std::string(64, 'G'), false, RejectReason::kMalformedHeader},
      {"Tp-Timestamp", "soon", false, RejectReason::kMalformedHeader},
  };
  for (const auto& c : changes) {
    SCOPED_TRACE(c.header + " -> '" + c.value + "'" + (c.erase ? " (erased)" : ""));
    Headers h = original;
    if (c.erase) {
      h.erase(c.header);
    } else {
      h[c.header] = c.value;
    }
    EXPECT_EQ(to_string(rejection(h).reason), to_string(c.expected));
  }
  EXPECT_TRUE(verifier_.verify(kSubject, original, kPayload, kT0));
}

TEST_F(SignerTest, RejectionMessagesNameWhatIsWrong) {
  Headers h = to_headers(sign());
  h["Tp-Key-Id"] = "ingester-9";
  EXPECT_EQ(rejection(h).message, "unknown key 'ingester-9'");
  h["Tp-Key-Id"] = "ingester-0";
  EXPECT_EQ(rejection(h).message, "key ingester-0 is retired");
  h = to_headers(sign());
  h.erase("Tp-Nonce");
  EXPECT_EQ(rejection(h).message, "missing header Tp-Nonce");
  h = to_headers(sign());
  h["Tp-Version"] = "2";
  EXPECT_EQ(rejection(h).message,
            "unsupported protocol version '2' in header Tp-Version, expected '1'");
}

TEST_F(SignerTest, StaleAndFutureTimestampsAreRejectedWithExactMessages) {
  const Headers h = to_headers(sign());
  const int64_t max_age = 120 * kNanosPerSecond;
  const int64_t max_future = 5 * kNanosPerSecond;
  // Boundaries are inclusive.
  EXPECT_TRUE(verifier_.verify(kSubject, h, kPayload, kT0 + max_age));
  EXPECT_TRUE(verifier_.verify(kSubject, h, kPayload, kT0 - max_future));

  Rejection stale = rejection(h, kSubject, kPayload, kT0 + max_age + 1);
  EXPECT_EQ(stale.reason, RejectReason::kStale);
  EXPECT_EQ(stale.message,
            "stale message: timestamp_ns 1767225660000000000 is 120000000001 ns older than "
            "reference_ns 1767225780000000001 (max_age_ns 120000000000)");
  Rejection future = rejection(h, kSubject, kPayload, kT0 - max_future - 1);
  EXPECT_EQ(future.reason, RejectReason::kFuture);
  EXPECT_EQ(future.message,
            "message from the future: timestamp_ns 1767225660000000000 is 5000000001 ns ahead of "
            "reference_ns 1767225654999999999 (max_future_ns 5000000000)");
}

TEST_F(SignerTest, FreshnessWindowIsConfigurableAndSafeAtExtremes) {
  const Verifier tight(consumer_ring_, FreshnessWindow{kNanosPerSecond, 0});
  const Headers h = to_headers(sign());
  EXPECT_TRUE(tight.verify(kSubject, h, kPayload, kT0));
  EXPECT_EQ(tight.verify(kSubject, h, kPayload, kT0 - 1).error().reason, RejectReason::kFuture);
  EXPECT_EQ(tight.verify(kSubject, h, kPayload, kT0 + kNanosPerSecond + 1).error().reason,
            RejectReason::kStale);
  EXPECT_EQ(tight.verify(kSubject, h, kPayload, INT64_MIN).error().message,
            "message from the future: timestamp_ns 1767225660000000000 is 10990597696854775808 "
            "ns ahead of reference_ns -9223372036854775808 (max_future_ns 0)");
  EXPECT_EQ(tight.verify(kSubject, h, kPayload, INT64_MAX).error().reason, RejectReason::kStale);
}

TEST_F(SignerTest, RetiredKeyIsRejectedEvenWithAValidSignature) {
  Envelope e = sign();
  e.key_id = "ingester-0";
  const Rejection r = rejection(signed_by_hand(e, secret_of('c'), kPayload));
  EXPECT_EQ(r.reason, RejectReason::kUnknownKey);
  EXPECT_EQ(r.message, "key ingester-0 is retired");
}

TEST_F(SignerTest, KeyOfAnotherProducerIsAProducerMismatch) {
  // The signal strategy's key leaked; someone signs an execution-like message
  // claiming to be the ingester.
  Envelope e = sign();
  e.key_id = "signal-1";
  const Rejection r = rejection(signed_by_hand(e, secret_of('d'), kPayload));
  EXPECT_EQ(r.reason, RejectReason::kProducerMismatch);
  EXPECT_EQ(r.message, "key signal-1 belongs to producer signal, not 'ingester'");
}

TEST_F(SignerTest, SubjectOutsideTheKeysPatternsIsRejected) {
  Envelope e = sign();
  e.subject = "orders.intent.BTCUSDT";
  const Rejection r = rejection(signed_by_hand(e, secret_of('a'), kPayload), e.subject);
  EXPECT_EQ(r.reason, RejectReason::kSubjectNotAllowed);
  EXPECT_EQ(r.message, "key ingester-1 may not sign subject orders.intent.BTCUSDT");
  // Same for the leaked signal key, even when it claims its own producer.
  Envelope s = e;
  s.producer = "signal";
  s.key_id = "signal-1";
  s.subject = "exec.report.BTCUSDT";
  EXPECT_EQ(rejection(signed_by_hand(s, secret_of('d'), kPayload), s.subject).reason,
            RejectReason::kSubjectNotAllowed);
  s.subject = "sig.ema-cross.BTCUSDT";
  EXPECT_TRUE(verifier_.verify(s.subject, signed_by_hand(s, secret_of('d'), kPayload), kPayload,
                               kT0));
}

TEST_F(SignerTest, ChecksRunInProtocolOrder) {
  // Retired key and bad signature: the key is judged first.
  Envelope e = sign();
  e.key_id = "ingester-0";
  Headers h = to_headers(e);
  EXPECT_EQ(rejection(h).reason, RejectReason::kUnknownKey);
  // Bad signature and stale: the signature is judged first, so an attacker
  // learns nothing about the window from forged messages.
  h = to_headers(sign());
  h["Tp-Nonce"] = std::string(32, 'f');
  EXPECT_EQ(rejection(h, kSubject, kPayload, kT0 + 3600 * kNanosPerSecond).reason,
            RejectReason::kBadSignature);
  // Missing header before malformed header before version.
  h = to_headers(sign());
  h["Tp-Version"] = "2";
  h["Tp-Nonce"] = "x";
  EXPECT_EQ(rejection(h).reason, RejectReason::kMalformedHeader);
  h.erase("Tp-Type");
  EXPECT_EQ(rejection(h).reason, RejectReason::kMissingHeader);
}

TEST(KeyRotation, OldAndNewKeysOverlapThenTheOldOneIsRetired) {
  ManualClock clock(kT0);
  const Key old_key = key("ingester-2026-01", "ingester", 'a', {"md.>"});
  const Key new_key = key("ingester-2026-02", "ingester", 'b', {"md.>"});
  Key retired = old_key;
  retired.status = KeyStatus::kRetired;

  // Step 0: only the old key.
  auto producer_v0 = ring({old_key}, old_key.id);
  // Step 1: verifiers learn the new key while the producer still signs with the old one.
  auto verifier_v1 = ring({old_key, new_key}, std::nullopt);
  // Step 2: the producer switches to the new key.
  auto producer_v2 = ring({old_key, new_key}, new_key.id);
  // Step 3: the old key is retired everywhere.
  auto verifier_v3 = ring({retired, new_key}, std::nullopt);

  const auto old_signer = Signer::create(producer_v0, "ingester", clock).value();
  const auto new_signer = Signer::create(producer_v2, "ingester", clock).value();
  EXPECT_EQ(old_signer.key_id(), "ingester-2026-01");
  EXPECT_EQ(new_signer.key_id(), "ingester-2026-02");
  const Envelope by_old = old_signer.sign(kSubject, "m1", "trading.v1.Bar", "", kPayload).value();
  const Envelope by_new = new_signer.sign(kSubject, "m2", "trading.v1.Bar", "", kPayload).value();
  EXPECT_EQ(by_old.key_id, "ingester-2026-01");
  EXPECT_EQ(by_new.key_id, "ingester-2026-02");

  const Verifier during(verifier_v1, FreshnessWindow{});
  EXPECT_TRUE(during.verify(kSubject, to_headers(by_old), kPayload, kT0));
  EXPECT_TRUE(during.verify(kSubject, to_headers(by_new), kPayload, kT0));

  const Verifier after(verifier_v3, FreshnessWindow{});
  EXPECT_TRUE(after.verify(kSubject, to_headers(by_new), kPayload, kT0));
  auto rejected = after.verify(kSubject, to_headers(by_old), kPayload, kT0);
  ASSERT_FALSE(rejected);
  EXPECT_EQ(rejected.error().reason, RejectReason::kUnknownKey);
  EXPECT_EQ(rejected.error().message, "key ingester-2026-01 is retired");
}

TEST(RejectReason, LabelsAreStable) {
  EXPECT_EQ(to_string(RejectReason::kMissingHeader), "missing_header");
  EXPECT_EQ(to_string(RejectReason::kMalformedHeader), "malformed_header");
  EXPECT_EQ(to_string(RejectReason::kUnsupportedVersion), "unsupported_version");
  EXPECT_EQ(to_string(RejectReason::kUnknownKey), "unknown_key");
  EXPECT_EQ(to_string(RejectReason::kProducerMismatch), "producer_mismatch");
  EXPECT_EQ(to_string(RejectReason::kSubjectNotAllowed), "subject_not_allowed");
  EXPECT_EQ(to_string(RejectReason::kBadSignature), "bad_signature");
  EXPECT_EQ(to_string(RejectReason::kStale), "stale");
  EXPECT_EQ(to_string(RejectReason::kFuture), "future");
  EXPECT_EQ(to_string(RejectReason::kReplay), "replay");
  EXPECT_EQ(to_string(RejectReason::kReplayGuardFull), "replay_guard_full");
}

}  // namespace
}  // namespace tp::signing
