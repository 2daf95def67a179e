// The pure core of execsim, the paper venue: accepts decision outputs,
// runs one matching engine per instrument (core/engine.h) against bars,
// and emits execution reports, positions, closed trades and outcomes
// (docs/services/execsim.md).
//
//   ExecsimCore core(config);
//   tp::runtime::Outbox out;
//   core.on_bar(bar, envelope_correlation_id, out);  // may process queued bars
//   core.on_intent(intent, out);                      // may unblock the next bar
//
// Lockstep, per instrument: bar t is processed only once the decision output
// (OrderIntent or DecisionRejection) of every configured strategy for the
// previous processed bar is present (nothing is needed for the first bar).
// Processing a bar: submit the orders decided at the previous bar and the
// cancels sent before the bar, run the engine over the bar, then publish
// reports, one Position per strategy, and outcomes. Outputs therefore never
// depend on how the MD and ORDERS streams interleave.
//
// Rows for PostgreSQL (orders, reports, fills, positions, trades, outcomes)
// accumulate in pending_rows() until the shell writes them in the checkpoint
// transaction.
//
// No I/O, no clock (bar times are the clock). Not thread-safe: the shell
// serialises calls.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "execsim/core/book.h"
#include "execsim/core/engine.h"
#include "execsim/core/execsim_config.h"
#include "tp/bus/consumer_loop.h"
#include "tp/runtime/checkpoint.h"
#include "tp/runtime/outbox.h"
#include "trading/v1/execution.pb.h"
#include "trading/v1/market_data.pb.h"
#include "trading/v1/orders.pb.h"
#include "trading/v1/params.pb.h"

namespace tp::execsim {

// What the shell persists, in the order the core produced it.
struct PendingRows {
  std::vector<trading::v1::Order> orders;    // first seen (accepted or rejected)
  std::vector<trading::v1::Order> replaced;  // orders as changed by a cancel/replace
  std::vector<trading::v1::ExecutionReport> reports;
  std::vector<trading::v1::Position> positions;
  std::vector<trading::v1::ClosedTrade> trades;
  std::vector<std::pair<std::string, trading::v1::Outcome>> outcomes;  // message id, outcome
  bool empty() const {
    return orders.empty() && replaced.empty() && reports.empty() && positions.empty() &&
           trades.empty() && outcomes.empty();
  }
};

class ExecsimCore final : public runtime::Checkpointed {
 public:
  explicit ExecsimCore(ExecsimConfig config);

  // `correlation_id` is the bar envelope's (the bar's message id); when empty
  // the bar's id is derived with ids::bar.
  bus::HandleResult on_bar(const trading::v1::Bar& bar, std::string_view correlation_id,
                           runtime::Outbox& out);
  bus::HandleResult on_intent(const trading::v1::OrderIntent& intent, runtime::Outbox& out);
  bus::HandleResult on_rejection(const trading::v1::DecisionRejection& rejection,
                                 runtime::Outbox& out);
  bus::HandleResult on_cancel(const trading::v1::CancelRequest& cancel, runtime::Outbox& out);

  const PendingRows& pending_rows() const { return pending_; }
  void clear_pending_rows() { pending_ = {}; }
  void discard_pending() override { pending_ = {}; }

  // Read-only views (tests, metrics).
  const Book* book(const std::string& strategy, const InstrumentKey& key) const;
  const Engine* engine(const InstrumentKey& key) const;
  std::optional<int64_t> mark_e8(const InstrumentKey& key) const;
  size_t waiting_bars() const;
  size_t working_orders() const;
  const ExecsimConfig& config() const { return config_; }

  // Snapshot version 2; version 1 snapshots (before the order model of
  // issue 6) are still restored.
  std::string snapshot() const override;
  [[nodiscard]] Status restore(std::string_view snapshot) override;

 private:
  struct QueuedBar {
    trading::v1::Bar bar;
    std::string correlation_id;
  };
  struct DecisionOutput {
    std::optional<trading::v1::OrderIntent> intent;  // unset = a rejection
    std::string payload;                             // serialised original, for idempotence
  };
  struct PendingCancel {
    trading::v1::CancelRequest request;
    int64_t event_time_ns = 0;
  };
  struct InstrumentState {
    std::vector<std::string> strategies;  // sorted
    std::optional<int64_t> last_bar_ns;
    std::optional<int64_t> mark_e8;
    std::deque<QueuedBar> bars;
    std::map<int64_t, std::map<std::string, DecisionOutput>> decided;
    std::vector<PendingCancel> cancels;
    std::unique_ptr<Engine> engine;
    // Outcomes published per strategy's book, cumulative (Position.outcomes_total).
    std::map<std::string, uint64_t> outcomes_total;
  };

  std::map<std::string, int64_t> initial_cash(const InstrumentKey& key) const;
  InstrumentState* find(const trading::v1::Instrument& instrument);
  bus::HandleResult add_decision(const trading::v1::Instrument& instrument,
                                 const std::string& strategy, int64_t t, DecisionOutput output);
  void reject_unroutable(const trading::v1::Order& order, const std::string& text,
                         runtime::Outbox& out);
  void advance(const InstrumentKey& key, InstrumentState& st, runtime::Outbox& out);
  void process(const InstrumentKey& key, InstrumentState& st, const QueuedBar& qb,
               runtime::Outbox& out);
  void publish_events(const InstrumentKey& key, std::vector<Event>& events, int64_t t,
                      const std::string& correlation_id, runtime::Outbox& out,
                      std::vector<std::pair<std::string, trading::v1::Outcome>>& outcomes);
  void emit_report(const trading::v1::ExecutionReport& report, const std::string& correlation_id,
                   runtime::Outbox& out);

  ExecsimConfig config_;
  std::map<InstrumentKey, InstrumentState> instruments_;
  PendingRows pending_;
  std::vector<Event> events_;  // scratch
};

// The report an engine event becomes (text included).
trading::v1::ExecutionReport to_report(const Event& event, const InstrumentKey& key,
                                       const FillModel& model, int64_t t,
                                       const std::string& correlation_id);

}  // namespace tp::execsim
