// The regime service's pure core: Bar(t) in, exactly one RegimePosterior(t)
// out per in-order bar and instrument (docs/services/regime.md), under the
// active model version; hot reload switches the version between two bars.
//
//   RegimeCore core(std::make_shared<EwmaModelVersion>(EwmaConfig{}), loader);
//   tp::runtime::Outbox out;
//   auto outcome = core.on_bar(bar, envelope.correlation_id, out);
//   // out: one trading.v1.RegimePosterior on regime.<venue>.<symbol>.<tf>
//   core.activate(next_version);   // every later bar is labelled by next_version
//
// Bars flagged OUT_OF_ORDER, and any bar not after the instrument's last
// one, are not part of the series: ignored, nothing emitted. Every other bar
// gets a posterior (joins need one per bar); the model decides which flags
// keep a bar's prices out of its state.
//
// Hot reload: activate() replaces every instrument's model by a fresh
// instance of the new version primed on the last bars the core retained
// (history_bars per instrument, at least the version's priming_bars), so
// the new model is warm at once. No bar is skipped or labelled twice: the
// switch happens between two bars, and the snapshot records which version
// is active, so a restart continues under the same version (loaded with
// the ModelLoader).
//
// Single-threaded: the shell calls it under the runtime's batch mutex.
#pragma once

#include <cstdint>
#include <array>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "tp/regime/model.h"
#include "tp/runtime/checkpoint.h"
#include "tp/runtime/outbox.h"
#include "trading/v1/market_data.pb.h"

namespace tp::regime {

struct BarOutcome {
  enum Kind { kEmitted, kIgnored, kInvalid };
  Kind kind = kEmitted;
  std::string detail;  // kIgnored: why; kInvalid: the exact rejection text
};

struct ActivateOutcome {
  bool switched = false;     // false: that version was already active
  std::string previous;      // the version it replaced
  int64_t primed_bars = 0;   // bars replayed into the new instances, all instruments
};

class RegimeCore final : public runtime::Checkpointed {
 public:
  static constexpr int64_t kDefaultHistoryBars = 600;

  // `loader` finds the version a snapshot names when it is not `initial`.
  explicit RegimeCore(ModelVersionPtr initial, ModelLoader loader = nullptr,
                      int64_t history_bars = kDefaultHistoryBars);

  BarOutcome on_bar(const trading::v1::Bar& bar, std::string_view correlation_id,
                    runtime::Outbox& out);

  // Makes `next` the active version from the next bar on.
  [[nodiscard]] Result<ActivateOutcome> activate(ModelVersionPtr next);
  const std::string& active_version() const { return active_name_; }

  std::string snapshot() const override;
  [[nodiscard]] Status restore(std::string_view snapshot) override;

  size_t instruments() const { return series_.size(); }

 private:
  struct Series {
    int64_t last_open_time_ns = 0;
    std::unique_ptr<RegimeModel> model;
    trading::v1::Instrument instrument;
    std::string timeframe;
    std::deque<std::array<int64_t, 8>> history;  // retained bars, oldest first (see kRetained*)
  };

  void remember(Series& s, const trading::v1::Bar& bar);

  ModelVersionPtr active_;
  std::string active_name_;
  ModelLoader loader_;
  int64_t history_bars_;
  std::map<std::string, Series> series_;  // "<venue>|<symbol>|<timeframe>"
};

}  // namespace tp::regime
