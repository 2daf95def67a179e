// Message-id and nonce uniqueness inside the freshness window, in bounded
// memory.
//
// The guard remembers, for each accepted (producer, message id), the nonce
// and the stream sequence it was accepted at. When the same message id shows
// up again:
//   - same stream sequence and nonce: a JetStream redelivery of a message we
//     already accepted (an ack was lost or a handler asked for a retry). Not
//     an attack: kRedelivery, and the consumer processes it idempotently.
//   - anything else: a copy injected into the stream (or a duplicate publish
//     the stream's duplicate window did not catch): kReplay.
// Entries are forgotten once their signed timestamp falls out of the
// freshness window relative to the newest reference time seen, because a
// copy arriving after that is already rejected as stale by the Verifier.
// If the guard is full of entries still inside the window it answers kFull
// (transient: the consumer NAKs and retries later) rather than evicting
// entries early, which would open a replay hole.
//
// Thread safety: not thread-safe; one guard per consumer loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "tp/core/clock.h"
#include "tp/signing/envelope.h"

namespace tp::signing {

enum class ReplayVerdict {
  kFresh,       // first time: accept and process
  kRedelivery,  // same stream position as before: accept, process idempotently
  kReplay,      // reject
  kFull,        // transient: retry later
};

struct ReplayGuardConfig {
  int64_t window_ns = 120 * kNanosPerSecond;  // = FreshnessWindow::max_age_ns
  size_t capacity = 1'000'000;                // entries, ~100 bytes each
};

class ReplayGuard {
 public:
  explicit ReplayGuard(ReplayGuardConfig config);

  // `stream_sequence` is the message's position in its stream (0 if the
  // transport has none); `reference_ns` is its broker store time.
  ReplayVerdict check(const Envelope& envelope, uint64_t stream_sequence, int64_t reference_ns);

  size_t size() const { return entries_.size(); }
  size_t capacity() const { return config_.capacity; }

 private:
  struct Seen {
    std::string nonce;
    uint64_t stream_sequence;
    int64_t timestamp_ns;
  };
  void evict_expired();

  ReplayGuardConfig config_;
  int64_t newest_reference_ns_ = INT64_MIN;
  std::unordered_map<std::string, Seen> entries_;
  // (timestamp, key) min-heap for expiry.
  using Expiry = std::pair<int64_t, std::string>;
  std::priority_queue<Expiry, std::vector<Expiry>, std::greater<>> expiry_;
};

}  // namespace tp::signing
