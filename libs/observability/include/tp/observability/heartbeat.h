// Liveness of a loop the process cannot live without (the main loop, a
// consumer's fetch loop), for GET /healthz.
//
// The loop calls beat() on every iteration (and at least once per fetch
// timeout); the AdminServer's liveness check calls check(), which fails once
// the loop has been silent for longer than `max_silence`. An orchestrator
// then restarts the stuck process.
//
//   tp::obs::Heartbeat main_loop(tp::SystemClock::instance(), std::chrono::seconds(30));
//   admin.set_liveness_check([&] { return main_loop.check(); });
//   while (running) { main_loop.beat(); ... }
//
// Ownership: the service owns it; it must outlive the AdminServer check that
// refers to it (declare it before the server).
// Thread safety: beat() and check() may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "tp/core/error.h"

namespace tp {
class Clock;
}

namespace tp::obs {

class Heartbeat {
 public:
  // The loop counts as alive from construction.
  Heartbeat(const Clock& clock, std::chrono::nanoseconds max_silence);

  void beat();

  // kUnavailable "main loop stalled: no heartbeat for 31.000s (limit 30.000s)"
  // once silent for longer than the limit; ok otherwise. `name` replaces
  // "main loop" in the text.
  [[nodiscard]] Status check(std::string_view name = "main loop") const;

 private:
  const Clock& clock_;
  const std::chrono::nanoseconds max_silence_;
  std::atomic<int64_t> last_beat_ns_;
};

}  // namespace tp::obs
