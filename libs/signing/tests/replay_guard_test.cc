#include "tp/signing/replay_guard.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tp/signing/hmac.h"
#include "tp/signing/signer.h"

namespace tp::signing {
namespace {

constexpr int64_t kT0 = 1'767'225'660'000'000'000;
constexpr int64_t kWindow = 10 * kNanosPerSecond;

Envelope message(std::string id, int64_t ts, std::string nonce = std::string(32, 'a'),
                 std::string producer = "ingester") {
  Envelope e;
  e.subject = "md.bar.binance-us.BTCUSDT.1m";
  e.message_id = std::move(id);
  e.message_type = "trading.v1.Bar";
  e.producer = std::move(producer);
  e.key_id = "ingester-1";
  e.timestamp_ns = ts;
  e.nonce = std::move(nonce);
  return e;
}

TEST(ReplayGuard, RedeliveryIsSameSequenceAndNonce) {
  ReplayGuard guard({kWindow, 100});
  const Envelope e = message("m1", kT0);
  EXPECT_EQ(guard.check(e, 7, kT0), ReplayVerdict::kFresh);
  EXPECT_EQ(guard.check(e, 7, kT0 + kNanosPerSecond), ReplayVerdict::kRedelivery);
  EXPECT_EQ(guard.check(e, 7, kT0 + 2 * kNanosPerSecond), ReplayVerdict::kRedelivery);
  EXPECT_EQ(guard.size(), 1u);
}

TEST(ReplayGuard, CopyAtAnotherStreamPositionIsAReplay) {
  ReplayGuard guard({kWindow, 100});
  const Envelope e = message("m1", kT0);
  EXPECT_EQ(guard.check(e, 7, kT0), ReplayVerdict::kFresh);
  EXPECT_EQ(guard.check(e, 8, kT0 + 1), ReplayVerdict::kReplay);
  // A replay does not overwrite what was accepted: the true redelivery still passes.
  EXPECT_EQ(guard.check(e, 7, kT0 + 2), ReplayVerdict::kRedelivery);
}

TEST(ReplayGuard, SameIdWithAnotherNonceIsAReplayEvenAtTheSamePosition) {
  ReplayGuard guard({kWindow, 100});
  EXPECT_EQ(guard.check(message("m1", kT0, std::string(32, 'a')), 7, kT0), ReplayVerdict::kFresh);
  EXPECT_EQ(guard.check(message("m1", kT0, std::string(32, 'b')), 9, kT0), ReplayVerdict::kReplay);
  EXPECT_EQ(guard.check(message("m1", kT0, std::string(32, 'b')), 7, kT0), ReplayVerdict::kReplay);
}

TEST(ReplayGuard, WithoutStreamSequenceEveryRepeatIsAReplay) {
  ReplayGuard guard({kWindow, 100});
  const Envelope e = message("m1", kT0);
  EXPECT_EQ(guard.check(e, 0, kT0), ReplayVerdict::kFresh);
  EXPECT_EQ(guard.check(e, 0, kT0), ReplayVerdict::kReplay);
}

TEST(ReplayGuard, MessageIdsArePerProducer) {
  ReplayGuard guard({kWindow, 100});
  EXPECT_EQ(guard.check(message("m1", kT0, std::string(32, 'a'), "ingester"), 1, kT0),
            ReplayVerdict::kFresh);
  EXPECT_EQ(guard.check(message("m1", kT0, std::string(32, 'a'), "signal"), 2, kT0),
            ReplayVerdict::kFresh);
  EXPECT_EQ(guard.size(), 2u);
}

TEST(ReplayGuard, ForgetsEntriesThatLeftTheWindowAndTheVerifierCatchesLateCopies) {
  ReplayGuard guard({kWindow, 100});
  const Envelope e = message("m1", kT0);
  EXPECT_EQ(guard.check(e, 1, kT0), ReplayVerdict::kFresh);
  // Exactly at the edge of the window the entry is still remembered.
  EXPECT_EQ(guard.check(message("m2", kT0 + kWindow), 2, kT0 + kWindow), ReplayVerdict::kFresh);
  EXPECT_EQ(guard.size(), 2u);
  EXPECT_EQ(guard.check(e, 3, kT0 + kWindow), ReplayVerdict::kReplay);
  // One nanosecond later it is gone.
  EXPECT_EQ(guard.check(message("m3", kT0 + kWindow + 1), 4, kT0 + kWindow + 1),
            ReplayVerdict::kFresh);
  EXPECT_EQ(guard.size(), 2u);

  // A copy of m1 stored now is outside the window: the guard has nothing to
  // say (and does not remember it), the Verifier rejects it as stale.
  EXPECT_EQ(guard.check(e, 5, kT0 + kWindow + 1), ReplayVerdict::kFresh);
  EXPECT_EQ(guard.size(), 2u);
  const std::string secret(32, 'k');
  auto ring = std::make_shared<const KeyRing>(
      KeyRing::create({Key{"ingester-1", "ingester", secret, {}, KeyStatus::kActive}},
                      std::nullopt)
          .value());
  Envelope signed_copy = e;
  signed_copy.signature = to_hex(hmac_sha256(secret, canonical_string(e, "p")));
  const Verifier verifier(ring, FreshnessWindow{kWindow, 0});
  EXPECT_TRUE(verifier.verify(e.subject, to_headers(signed_copy), "p", kT0 + kWindow));
  EXPECT_EQ(verifier.verify(e.subject, to_headers(signed_copy), "p", kT0 + kWindow + 1)
                .error()
                .reason,
            RejectReason::kStale);
}

TEST(ReplayGuard, AnswersFullRatherThanEvictingLiveEntries) {
  ReplayGuard guard({kWindow, 3});
  EXPECT_EQ(guard.capacity(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(guard.check(message("m" + std::to_string(i), kT0 + i), i + 1, kT0 + i),
              ReplayVerdict::kFresh);
  }
  EXPECT_EQ(guard.check(message("m3", kT0 + 3), 4, kT0 + 3), ReplayVerdict::kFull);
  EXPECT_EQ(guard.size(), 3u);
  // Known ids are still judged while full.
  EXPECT_EQ(guard.check(message("m0", kT0), 1, kT0 + 3), ReplayVerdict::kRedelivery);
  EXPECT_EQ(guard.check(message("m1", kT0 + 1), 9, kT0 + 3), ReplayVerdict::kReplay);
  // The NAKed message retried once m0 has left the window is accepted.
  EXPECT_EQ(guard.check(message("m3", kT0 + 3), 4, kT0 + kWindow + 1), ReplayVerdict::kFresh);
  EXPECT_EQ(guard.size(), 3u);
}

TEST(ReplayGuard, MemoryStaysBoundedOverAMillionMessages) {
  // 1 message per simulated millisecond with a 1 s window: about 1000 live
  // entries at any time, whatever the total.
  constexpr int kMessages = 1'000'000;
  constexpr int64_t kStep = kNanosPerMilli;
  ReplayGuard guard({kNanosPerSecond, 5'000});
  size_t max_size = 0;
  int fresh = 0;
  int replays_caught = 0;
  for (int i = 0; i < kMessages; ++i) {
    const int64_t t = kT0 + i * kStep;
    const Envelope e = message("m" + std::to_string(i), t);
    if (guard.check(e, static_cast<uint64_t>(i) + 1, t) == ReplayVerdict::kFresh) ++fresh;
    if (i % 1000 == 999) {
      // Re-inject a message from half a window ago.
      const Envelope old = message("m" + std::to_string(i - 500), t - 500 * kStep);
      if (guard.check(old, static_cast<uint64_t>(kMessages + i), t) == ReplayVerdict::kReplay) {
        ++replays_caught;
      }
    }
    max_size = std::max(max_size, guard.size());
  }
  EXPECT_EQ(fresh, kMessages);
  EXPECT_EQ(replays_caught, kMessages / 1000);
  EXPECT_EQ(max_size, 1001u);
  EXPECT_LE(guard.size(), 1001u);
}

}  // namespace
}  // namespace tp::signing
