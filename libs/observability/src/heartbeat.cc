#include "tp/observability/heartbeat.h"

#include <cstdio>

#include "tp/core/clock.h"

namespace tp::obs {
namespace {

std::string seconds_text(int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3fs", static_cast<double>(ns) / 1e9);
  return buf;
}

}  // namespace

Heartbeat::Heartbeat(const Clock& clock, std::chrono::nanoseconds max_silence)
    : clock_(clock), max_silence_(max_silence), last_beat_ns_(clock.now_ns()) {}

void Heartbeat::beat() { last_beat_ns_.store(clock_.now_ns(), std::memory_order_relaxed); }

Status Heartbeat::check(std::string_view name) const {
  const int64_t silence = clock_.now_ns() - last_beat_ns_.load(std::memory_order_relaxed);
  if (silence <= max_silence_.count()) return ok();
  return make_error(ErrorCode::kUnavailable, std::string(name) + " stalled: no heartbeat for " +
                                                 seconds_text(silence) + " (limit " +
                                                 seconds_text(max_silence_.count()) + ")");
}

}  // namespace tp::obs
