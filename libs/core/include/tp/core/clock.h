// Time as an injected dependency.
//
// Cores never read the wall clock: they receive a Clock&, so tests and
// backtests drive time by hand (ManualClock) and live shells use SystemClock.
// Times are int64 nanoseconds since the Unix epoch (UTC), like every *_ns
// field in the protocol.
//
// Thread safety: SystemClock is stateless; ManualClock is safe to read from
// any thread while one thread advances it.
#pragma once

#include <atomic>
#include <cstdint>

namespace tp {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t now_ns() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t now_ns() const override;
  static SystemClock& instance();
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_ns = 0) : now_(start_ns) {}
  int64_t now_ns() const override { return now_.load(std::memory_order_acquire); }
  void set_ns(int64_t t) { now_.store(t, std::memory_order_release); }
  void advance_ns(int64_t d) { now_.fetch_add(d, std::memory_order_acq_rel); }

 private:
  std::atomic<int64_t> now_;
};

constexpr int64_t kNanosPerMilli = 1'000'000;
constexpr int64_t kNanosPerSecond = 1'000'000'000;

}  // namespace tp
