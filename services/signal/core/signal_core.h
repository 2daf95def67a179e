// SignalCore: the signal service's pure core. Joins Bar(t) with each
// strategy's ParameterChoice(t) by event time and emits exactly one
// trading.v1.Signal per (strategy, instrument, in-order bar).
//
//   SignalCore core(config);
//   tp::runtime::Outbox out;
//   core.on_bar(bar, out);        // buffered until the strategy's choice for t arrives
//   core.on_choice(choice, out);  // completes the join -> out holds Signal(t)
//
// Join rules (docs/services/signal.md):
// - Bars are per instrument, choices per (strategy, instrument); the signal
//   of bar t for a strategy fires when both are present, in event-time
//   order, whichever arrived first.
// - Bars wait for choices in a per-instrument buffer of at most
//   max_pending_bars bars. When it overflows, the oldest bar is resolved
//   without a choice for every strategy still waiting on it: a hold signal
//   ("no parameter choice within N bars: holding previous view") keeps the
//   one-output-per-bar promise; a choice for it arriving later is ignored.
// - Choices for bars not seen yet wait in a per-(strategy, instrument)
//   buffer of at most max_pending_choices; one more is refused (kOverflow).
// - BAR_QUALITY_OUT_OF_ORDER bars are ignored. Other flagged bars produce a
//   hold; ZERO_VOLUME, OUTLIER and INCONSISTENT bars are not fed into the
//   price history (a GAP_BEFORE bar's prices are).
// - A choice with invalid preset values is refused (kInvalid, exact text),
//   and its bar gets a hold signal naming the problem.
//
// No I/O, no clock. Thread safety: none; the runtime calls it under its
// batch mutex.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "signal/core/strategies.h"
#include "tp/runtime/checkpoint.h"
#include "tp/runtime/outbox.h"
#include "trading/v1/market_data.pb.h"
#include "trading/v1/params.pb.h"

namespace tp::signal {

struct StrategySpec {
  Algorithm algorithm = Algorithm::kMaTrend;
  std::vector<std::string> instruments;  // "venue/symbol"
};

struct SignalCoreConfig {
  std::string timeframe = "1m";          // bars of other timeframes are ignored
  int max_window = 1000;                 // largest window a preset may ask for
  size_t max_pending_bars = 2048;        // per instrument
  size_t max_pending_choices = 2048;     // per (strategy, instrument)
  std::map<std::string, StrategySpec> strategies;  // strategy id -> spec
};

// What a handler call did with its message.
struct Verdict {
  enum class Kind { kApplied, kIgnored, kInvalid, kOverflow };
  Kind kind = Kind::kApplied;
  std::string text;  // why it was ignored or refused
  static Verdict applied() { return {}; }
  static Verdict ignored(std::string why) { return {Kind::kIgnored, std::move(why)}; }
  static Verdict invalid(std::string why) { return {Kind::kInvalid, std::move(why)}; }
  static Verdict overflow(std::string why) { return {Kind::kOverflow, std::move(why)}; }
};

// "ZERO_VOLUME|OUTLIER" (unknown bits as hex, e.g. "0x40").
std::string describe_flags(uint32_t flags);

class SignalCore final : public runtime::Checkpointed {
 public:
  explicit SignalCore(SignalCoreConfig config);

  // `correlation_id` is the bar's message id (envelope); when empty the
  // bar's own trace.correlation_id is used.
  Verdict on_bar(const trading::v1::Bar& bar, std::string_view correlation_id,
                 runtime::Outbox& out);
  Verdict on_choice(const trading::v1::ParameterChoice& choice, runtime::Outbox& out);

  std::string snapshot() const override;
  [[nodiscard]] Status restore(std::string_view snapshot) override;

  size_t pending_bars(std::string_view instrument) const;
  size_t pending_choices(std::string_view strategy, std::string_view instrument) const;
  const SignalCoreConfig& config() const { return config_; }

 private:
  struct PendingBar {
    int64_t high_e8 = 0, low_e8 = 0, close_e8 = 0;
    uint32_t flags = 0;
    std::string correlation_id;
  };
  struct PendingChoice {
    std::string decision_id;
    std::string preset_id;
    std::map<std::string, double> values;
    std::string error;  // non-empty: the preset was invalid
  };
  struct StrategyState {
    Algorithm algorithm = Algorithm::kMaTrend;
    int64_t last_t = 0;  // event time of the last signal emitted
    PriceHistory history;
    trading::v1::Direction direction = trading::v1::DIRECTION_FLAT;
    double strength = 0;
    std::map<int64_t, PendingChoice> choices;
  };
  struct InstrumentState {
    std::string venue, symbol;
    int64_t last_bar_t = 0;
    std::map<int64_t, PendingBar> bars;
    std::map<std::string, StrategyState> strategies;
  };

  void reset_state();
  void advance(InstrumentState& inst, const std::string& strategy, StrategyState& st,
               runtime::Outbox& out);
  void emit(InstrumentState& inst, const std::string& strategy, StrategyState& st, int64_t t,
            const PendingBar& bar, const PendingChoice* choice, runtime::Outbox& out);
  void drop_consumed_bars(InstrumentState& inst);
  void enforce_bar_bound(InstrumentState& inst, runtime::Outbox& out);

  SignalCoreConfig config_;
  std::map<std::string, InstrumentState, std::less<>> instruments_;  // "venue/symbol"
};

}  // namespace tp::signal
