// The pure core of the decision service (risk and sizing): joins, per
// instrument and bar time t, the Signal(t) of every configured strategy with
// RegimePosterior(t) and Position(strategy, t), then emits per strategy
// exactly one OrderIntent or DecisionRejection (docs/services/decision.md).
//
//   DecisionCore core(config);
//   tp::runtime::Outbox out;
//   core.on_signal(signal, envelope_correlation_id, out);
//   core.on_regime(posterior, out);
//   core.on_position(position, out);   // the join fires here when complete
//
// Joins fire in event-time order per instrument and never combine "the
// latest" of two streams, so outputs do not depend on arrival interleaving.
// The kill switch is the documented exception: it acts from the moment it is
// handled.
//
// No I/O, no clock. Owned by the service shell; not thread-safe (the shell
// serialises calls under the runtime's batch mutex).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "decision/core/decision_config.h"
#include "tp/bus/consumer_loop.h"
#include "tp/runtime/checkpoint.h"
#include "tp/runtime/outbox.h"
#include "trading/v1/control.pb.h"
#include "trading/v1/execution.pb.h"
#include "trading/v1/market_data.pb.h"
#include "trading/v1/orders.pb.h"
#include "trading/v1/regime.pb.h"
#include "trading/v1/signals.pb.h"

namespace tp::decision {

class DecisionCore final : public runtime::Checkpointed {
 public:
  explicit DecisionCore(DecisionConfig config);

  // `correlation_id` is the input envelope's; the signal's Trace wins when set.
  bus::HandleResult on_signal(const trading::v1::Signal& signal, std::string_view correlation_id,
                              runtime::Outbox& out);
  bus::HandleResult on_regime(const trading::v1::RegimePosterior& posterior,
                              runtime::Outbox& out);
  bus::HandleResult on_position(const trading::v1::Position& position, runtime::Outbox& out);
  bus::HandleResult on_kill_switch(const trading::v1::KillSwitch& kill_switch);

  // Scopes whose kill switch is engaged ("*", strategy ids, symbols).
  const std::set<std::string>& engaged_kill_switches() const { return kill_scopes_; }
  // Bar times waiting for some input, over all instruments.
  size_t pending_bars() const;
  // Pending (undecided) bar times that already hold a regime posterior /
  // at least one signal: how far each input has run ahead. The shell stops
  // fetching an input whose lead reaches a bound (backpressure); positions
  // are never held back, so the oldest pending bar can always complete.
  size_t pending_with_regime() const;
  size_t pending_with_signals() const;

  std::string snapshot() const override;
  [[nodiscard]] Status restore(std::string_view snapshot) override;

 private:
  struct Slot {
    std::map<std::string, trading::v1::Signal> signals;
    std::map<std::string, std::string> correlation_ids;  // strategy -> bar id
    std::optional<trading::v1::RegimePosterior> regime;
    std::map<std::string, trading::v1::Position> positions;
  };
  struct InstrumentState {
    std::vector<std::string> strategies;  // configured for this instrument, sorted
    std::optional<int64_t> last_decided_ns;
    std::map<int64_t, Slot> pending;  // by event time
  };
  // One strategy's proposal before the cross-strategy notional rule.
  struct Proposal {
    std::string strategy;
    int64_t position_e8 = 0;
    int64_t price_e8 = 0;
    std::optional<int64_t> order_qty_e8;  // signed; set = intent
    trading::v1::RejectReason reason = trading::v1::REJECT_REASON_UNSPECIFIED;
    std::string text;  // sizing reason or rejection text
  };

  InstrumentState* find(const trading::v1::Instrument& instrument);
  bus::HandleResult stale(std::string_view what, const InstrumentState& st, int64_t t) const;
  void fire_ready(const InstrumentKey& key, InstrumentState& st, runtime::Outbox& out);
  bool complete(const InstrumentState& st, const Slot& slot) const;
  Proposal propose(const InstrumentKey& key, const std::string& strategy, const Slot& slot) const;
  void apply_total_notional(const InstrumentKey& key, std::vector<Proposal>& proposals) const;
  void emit(const InstrumentKey& key, int64_t t, const Slot& slot, const Proposal& p,
            runtime::Outbox& out) const;
  std::optional<std::string> kill_scope_for(const std::string& strategy,
                                            const std::string& symbol) const;

  DecisionConfig config_;
  std::map<InstrumentKey, InstrumentState> instruments_;
  std::set<std::string> kill_scopes_;
};

}  // namespace tp::decision
