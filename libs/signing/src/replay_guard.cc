#include "tp/signing/replay_guard.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace tp::signing {
namespace {

// '\n' cannot occur in a valid producer or message id, so the key is
// unambiguous.
std::string entry_key(const Envelope& e) {
  std::string key;
  key.reserve(e.producer.size() + 1 + e.message_id.size());
  key += e.producer;
  key += '\n';
  key += e.message_id;
  return key;
}

}  // namespace

ReplayGuard::ReplayGuard(ReplayGuardConfig config) : config_(config) {
  if (config_.window_ns < 0 || config_.capacity == 0) {
    std::fprintf(stderr, "tp::signing::ReplayGuard: negative window or zero capacity\n");
    std::abort();
  }
  entries_.reserve(std::min<size_t>(config_.capacity, 1 << 16));
}

void ReplayGuard::evict_expired() {
  // An entry whose timestamp is older than newest - window can only be
  // matched by a copy that the Verifier already rejects as stale, because a
  // copy's broker store time is at least the newest one seen.
  const __int128 horizon = static_cast<__int128>(newest_reference_ns_) - config_.window_ns;
  while (!expiry_.empty() && expiry_.top().first < horizon) {
    entries_.erase(expiry_.top().second);
    expiry_.pop();
  }
}

ReplayVerdict ReplayGuard::check(const Envelope& envelope, uint64_t stream_sequence,
                                 int64_t reference_ns) {
  if (reference_ns > newest_reference_ns_) newest_reference_ns_ = reference_ns;
  evict_expired();

  std::string key = entry_key(envelope);
  if (const auto it = entries_.find(key); it != entries_.end()) {
    const Seen& seen = it->second;
    // Sequence 0 means the transport has no stream position (core NATS, the
    // in-process bus): nothing there redelivers, so a repeat is a replay.
    const bool redelivery = stream_sequence != 0 && seen.stream_sequence == stream_sequence &&
                            seen.nonce == envelope.nonce;
    return redelivery ? ReplayVerdict::kRedelivery : ReplayVerdict::kReplay;
  }

  // Already outside the window: any later copy is stale, nothing to remember.
  if (static_cast<__int128>(envelope.timestamp_ns) <
      static_cast<__int128>(newest_reference_ns_) - config_.window_ns) {
    return ReplayVerdict::kFresh;
  }
  // Evicting a live entry early would let its copy through: refuse instead.
  if (entries_.size() >= config_.capacity) return ReplayVerdict::kFull;

  expiry_.emplace(envelope.timestamp_ns, key);
  entries_.emplace(std::move(key), Seen{envelope.nonce, stream_sequence, envelope.timestamp_ns});
  return ReplayVerdict::kFresh;
}

}  // namespace tp::signing
