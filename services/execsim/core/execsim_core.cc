#include "execsim/core/execsim_core.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "execsim/core/explain.h"
#include "tp/core/fixed_point.h"
#include "tp/runtime/topology.h"

namespace tp::execsim {

namespace v1 = trading::v1;
using bus::HandleResult;

namespace {

constexpr int kSnapshotVersion = 2;

template <typename Message>
nlohmann::json::binary_t to_binary(const Message& m) {
  std::string bytes = m.SerializeAsString();
  return nlohmann::json::binary_t(std::vector<uint8_t>(bytes.begin(), bytes.end()));
}

template <typename Message>
bool from_binary(const nlohmann::json& j, Message& m) {
  if (!j.is_binary()) return false;
  const auto& b = j.get_binary();
  return m.ParseFromArray(b.data(), static_cast<int>(b.size()));
}

nlohmann::json opt(const std::optional<int64_t>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

std::optional<int64_t> opt_from(const nlohmann::json& j) {
  if (j.is_null()) return std::nullopt;
  return j.get<int64_t>();
}

v1::Trace trace_of(const std::string& correlation_id, int64_t t, const std::string& decision_id) {
  v1::Trace trace;
  trace.set_correlation_id(correlation_id);
  trace.set_event_time_ns(t);
  trace.set_decision_id(decision_id);
  return trace;
}

bool same_instrument(const v1::Instrument& a, const v1::Instrument& b) {
  return a.venue() == b.venue() && a.symbol() == b.symbol();
}

}  // namespace

v1::ExecutionReport to_report(const Event& e, const InstrumentKey& key, const FillModel& model,
                              int64_t t, const std::string& correlation_id) {
  const LiveOrder& o = *e.order;
  v1::ExecutionReport r;
  r.set_exec_id(runtime::ids::exec_report(o.spec.id, e.number));
  r.set_client_order_id(o.spec.id);
  r.mutable_instrument()->set_venue(key.venue);
  r.mutable_instrument()->set_symbol(key.symbol);
  r.set_side(o.spec.side);
  r.set_exec_type(e.type);
  r.set_last_quantity_e8(e.last_qty_e8);
  r.set_last_price_e8(e.last_price_e8);
  r.set_cumulative_quantity_e8(e.cum_e8);
  r.set_leaves_quantity_e8(e.leaves_e8);
  r.set_average_price_e8(e.cum_e8 > 0 ? fixed::div(e.cum_notional_e8, e.cum_e8) : 0);
  r.set_fee_e8(e.fee_e8);
  r.set_liquidity(e.liquidity);
  r.set_reject_reason(e.reason);
  r.set_text(describe(e, model));
  r.set_transact_time_ns(e.time_ns != 0 ? e.time_ns : t);
  r.set_strategy(o.spec.strategy);
  *r.mutable_trace() = trace_of(correlation_id, t, o.spec.decision_id);
  r.set_order_status(e.status);
  r.set_stop_price_e8(o.spec.stop_type() ? e.stop_e8 : 0);
  r.set_order_quantity_e8(e.quantity_e8);
  r.set_cumulative_fees_e8(e.cum_fees_e8);
  return r;
}

ExecsimCore::ExecsimCore(ExecsimConfig config) : config_(std::move(config)) {
  for (const auto& [name, account] : config_.strategies)
    for (const auto& key : account.instruments)
      instruments_[key].strategies.push_back(name);  // config is a sorted map: stays sorted
  for (auto& [key, st] : instruments_)
    st.engine = std::make_unique<Engine>(config_.fills, initial_cash(key),
                                         config_.finished_order_memory);
}

std::map<std::string, int64_t> ExecsimCore::initial_cash(const InstrumentKey& key) const {
  std::map<std::string, int64_t> cash;
  for (const auto& [name, account] : config_.strategies)
    if (std::find(account.instruments.begin(), account.instruments.end(), key) !=
        account.instruments.end())
      cash[name] = account.initial_cash_e8;
  return cash;
}

const Book* ExecsimCore::book(const std::string& strategy, const InstrumentKey& key) const {
  auto it = instruments_.find(key);
  return it == instruments_.end() ? nullptr : it->second.engine->book(strategy);
}

const Engine* ExecsimCore::engine(const InstrumentKey& key) const {
  auto it = instruments_.find(key);
  return it == instruments_.end() ? nullptr : it->second.engine.get();
}

std::optional<int64_t> ExecsimCore::mark_e8(const InstrumentKey& key) const {
  auto it = instruments_.find(key);
  return it == instruments_.end() ? std::nullopt : it->second.mark_e8;
}

size_t ExecsimCore::waiting_bars() const {
  size_t n = 0;
  for (const auto& [k, st] : instruments_) n += st.bars.size();
  return n;
}

size_t ExecsimCore::working_orders() const {
  size_t n = 0;
  for (const auto& [k, st] : instruments_) n += st.engine->working();
  return n;
}

ExecsimCore::InstrumentState* ExecsimCore::find(const v1::Instrument& instrument) {
  auto it = instruments_.find(InstrumentKey{instrument.venue(), instrument.symbol()});
  return it == instruments_.end() ? nullptr : &it->second;
}

void ExecsimCore::emit_report(const v1::ExecutionReport& report,
                              const std::string& correlation_id, runtime::Outbox& out) {
  out.emit(runtime::subjects::exec_report(report.instrument().symbol()), report.exec_id(),
           correlation_id, report);
  pending_.reports.push_back(report);
}

// ------------------------------------------------------------------ inputs

HandleResult ExecsimCore::on_bar(const v1::Bar& bar, std::string_view correlation_id,
                                 runtime::Outbox& out) {
  InstrumentState* st = find(bar.instrument());
  if (!st) return HandleResult::ok();  // an instrument no strategy trades here
  if (bar.quality_flags() & v1::BAR_QUALITY_OUT_OF_ORDER) return HandleResult::ok();
  const int64_t t = bar.open_time_ns();
  const std::optional<int64_t> latest =
      st->bars.empty() ? st->last_bar_ns : std::optional<int64_t>(st->bars.back().bar.open_time_ns());
  if (latest && t <= *latest)
    return HandleResult::reject("stale", "bar at " + std::to_string(t) +
                                             " ns is not after the previous bar at " +
                                             std::to_string(*latest) + " ns");
  QueuedBar qb{bar, std::string(correlation_id)};
  if (qb.correlation_id.empty())
    qb.correlation_id = runtime::ids::bar(bar.instrument().venue(), bar.instrument().symbol(),
                                          bar.timeframe(), t);
  st->bars.push_back(std::move(qb));
  advance(InstrumentKey{bar.instrument().venue(), bar.instrument().symbol()}, *st, out);
  return HandleResult::ok();
}

void ExecsimCore::reject_unroutable(const v1::Order& order, const std::string& text,
                                    runtime::Outbox& out) {
  // Not part of any lockstep: answered at once, at the order's own event time.
  const int64_t t = order.trace().event_time_ns();
  v1::ExecutionReport r;
  r.set_exec_id(runtime::ids::exec_report(order.client_order_id(), 1));
  r.set_client_order_id(order.client_order_id());
  *r.mutable_instrument() = order.instrument();
  r.set_side(order.side());
  r.set_exec_type(v1::EXEC_REJECTED);
  r.set_reject_reason(v1::REJECT_UNKNOWN_INSTRUMENT);
  r.set_text(text);
  r.set_transact_time_ns(t);
  r.set_strategy(order.strategy());
  *r.mutable_trace() = trace_of(order.trace().correlation_id(), t, order.trace().decision_id());
  r.set_order_status(v1::ORDER_STATUS_REJECTED);
  r.set_order_quantity_e8(order.quantity_e8());
  pending_.orders.push_back(order);
  emit_report(r, order.trace().correlation_id(), out);
}

HandleResult ExecsimCore::on_intent(const v1::OrderIntent& intent, runtime::Outbox& out) {
  const v1::Order& o = intent.order();
  if (o.client_order_id().empty())
    return HandleResult::reject("invalid", "order intent has no client_order_id");
  if (o.instrument().venue().empty() || o.instrument().symbol().empty())
    return HandleResult::reject("invalid", "order " + o.client_order_id() + " has no instrument");
  if (o.strategy().empty())
    return HandleResult::reject("invalid", "order " + o.client_order_id() + " has no strategy");
  for (const auto& leg : intent.legs())
    if (leg.client_order_id().empty())
      return HandleResult::reject("invalid", "a leg of order " + o.client_order_id() +
                                                 " has no client_order_id");
  const std::string where = o.instrument().venue() + "/" + o.instrument().symbol();
  InstrumentState* st = find(o.instrument());
  std::string unroutable;
  if (!st)
    unroutable = "instrument " + where + " is not traded by this venue";
  else if (std::find(st->strategies.begin(), st->strategies.end(), o.strategy()) ==
           st->strategies.end())
    unroutable = "strategy '" + o.strategy() + "' has no book for " + where;
  if (!unroutable.empty()) {
    reject_unroutable(o, unroutable, out);
    for (auto leg : intent.legs()) {
      if (!leg.has_instrument()) *leg.mutable_instrument() = o.instrument();
      reject_unroutable(leg, unroutable, out);
    }
    return HandleResult::ok();
  }
  auto result = add_decision(o.instrument(), o.strategy(), o.trace().event_time_ns(),
                             DecisionOutput{intent, intent.SerializeAsString()});
  if (result.kind() == HandleResult::Kind::kOk)
    advance(InstrumentKey{o.instrument().venue(), o.instrument().symbol()}, *st, out);
  return result;
}

HandleResult ExecsimCore::on_rejection(const v1::DecisionRejection& rejection,
                                       runtime::Outbox& out) {
  InstrumentState* st = find(rejection.instrument());
  if (!st || std::find(st->strategies.begin(), st->strategies.end(), rejection.strategy()) ==
                 st->strategies.end())
    return HandleResult::ok();  // no book here: nothing waits for it
  auto result = add_decision(rejection.instrument(), rejection.strategy(),
                             rejection.trace().event_time_ns(),
                             DecisionOutput{std::nullopt, rejection.SerializeAsString()});
  if (result.kind() == HandleResult::Kind::kOk)
    advance(InstrumentKey{rejection.instrument().venue(), rejection.instrument().symbol()}, *st,
            out);
  return result;
}

HandleResult ExecsimCore::add_decision(const v1::Instrument& instrument,
                                       const std::string& strategy, int64_t t,
                                       DecisionOutput output) {
  InstrumentState& st = *find(instrument);
  const std::string where = instrument.venue() + "/" + instrument.symbol();
  if (st.last_bar_ns && t < *st.last_bar_ns)
    return HandleResult::reject("stale", "decision output of '" + strategy + "' for " + where +
                                             " at " + std::to_string(t) +
                                             " ns arrived after bar " +
                                             std::to_string(*st.last_bar_ns) +
                                             " ns was processed");
  auto& slot = st.decided[t];
  if (auto it = slot.find(strategy); it != slot.end()) {
    if (it->second.payload == output.payload) return HandleResult::ok();
    return HandleResult::reject("conflict", "a different decision output of '" + strategy +
                                                "' for " + where + " at " + std::to_string(t) +
                                                " ns was already received");
  }
  slot.emplace(strategy, std::move(output));
  return HandleResult::ok();
}

HandleResult ExecsimCore::on_cancel(const v1::CancelRequest& cancel, runtime::Outbox&) {
  if (cancel.client_order_id().empty())
    return HandleResult::reject("invalid", "cancel request has no client_order_id");
  InstrumentState* st = find(cancel.instrument());
  if (!st)
    return HandleResult::reject("unknown_instrument",
                                "instrument " + cancel.instrument().venue() + "/" +
                                    cancel.instrument().symbol() + " is not traded by this venue");
  st->cancels.push_back({cancel, cancel.trace().event_time_ns()});
  return HandleResult::ok();
}

// ------------------------------------------------------------------ lockstep

void ExecsimCore::advance(const InstrumentKey& key, InstrumentState& st, runtime::Outbox& out) {
  while (!st.bars.empty()) {
    if (st.last_bar_ns) {
      auto it = st.decided.find(*st.last_bar_ns);
      if (it == st.decided.end()) return;
      for (const auto& s : st.strategies)
        if (!it->second.contains(s)) return;
    }
    QueuedBar qb = std::move(st.bars.front());
    st.bars.pop_front();
    process(key, st, qb, out);
  }
}

void ExecsimCore::publish_events(const InstrumentKey& key, std::vector<Event>& events, int64_t t,
                                 const std::string& corr, runtime::Outbox& out,
                                 std::vector<std::pair<std::string, v1::Outcome>>& outcomes) {
  for (const Event& e : events) {
    const v1::ExecutionReport r = to_report(e, key, config_.fills, t, corr);
    emit_report(r, corr, out);
    if (e.type == v1::EXEC_REPLACED) pending_.replaced.push_back(spec_to_proto(e.order->spec, key));
    if (!e.closing) continue;
    const Closing& c = *e.closing;
    const OrderSpec& s = e.order->spec;
    v1::ClosedTrade trade;
    trade.set_exec_id(r.exec_id());
    trade.set_client_order_id(s.id);
    trade.set_strategy(s.strategy);
    *trade.mutable_instrument() = r.instrument();
    trade.set_position_side(s.buy() ? v1::SIDE_SELL : v1::SIDE_BUY);
    trade.set_quantity_e8(c.quantity_e8);
    trade.set_entry_price_e8(fixed::div(c.entry_notional_e8, c.quantity_e8));
    trade.set_exit_price_e8(e.last_price_e8);
    trade.set_entry_notional_e8(c.entry_notional_e8);
    trade.set_gross_pnl_e8(c.gross_pnl_e8);
    trade.set_fees_e8(c.fees_e8);
    trade.set_net_pnl_e8(c.net_pnl_e8);
    trade.set_closed_time_ns(t);
    trade.set_decision_id(s.decision_id);
    pending_.trades.push_back(std::move(trade));
    if (s.decision_id.empty()) continue;
    v1::Outcome o;
    o.set_decision_id(s.decision_id);
    o.set_strategy(s.strategy);
    *o.mutable_instrument() = r.instrument();
    o.set_realized_pnl_e8(c.net_pnl_e8);
    o.set_fees_e8(c.fees_e8);
    o.set_notional_e8(c.entry_notional_e8);
    o.set_reward(c.entry_notional_e8 > 0 ? fixed::to_double(c.net_pnl_e8) /
                                               fixed::to_double(c.entry_notional_e8)
                                         : 0.0);
    o.set_closed_time_ns(t);
    *o.mutable_trace() = trace_of(corr, t, s.decision_id);
    outcomes.emplace_back(
        runtime::ids::outcome(s.decision_id + ":" + s.id + ":" + std::to_string(e.number)),
        std::move(o));
  }
  events.clear();
}

void ExecsimCore::process(const InstrumentKey& key, InstrumentState& st, const QueuedBar& qb,
                          runtime::Outbox& out) {
  const v1::Bar& bar = qb.bar;
  const int64_t t = bar.open_time_ns();
  const std::string& corr = qb.correlation_id;
  Engine& engine = *st.engine;
  std::vector<std::pair<std::string, v1::Outcome>> outcomes;
  events_.clear();

  // (a) Submit the orders decided at the previous bar, in strategy order.
  if (st.last_bar_ns) {
    auto it = st.decided.find(*st.last_bar_ns);
    const std::map<std::string, DecisionOutput> none;
    for (const auto& [strategy, decision] : it == st.decided.end() ? none : it->second) {
      if (!decision.intent) continue;
      const v1::OrderIntent& intent = *decision.intent;
      std::vector<OrderSpec> group;
      std::optional<GroupProblem> problem;
      pending_.orders.push_back(intent.order());
      group.push_back(spec_from_proto(intent.order()));
      for (int i = 0; i < intent.legs_size(); ++i) {
        v1::Order leg = intent.legs(i);
        if (!leg.has_instrument()) *leg.mutable_instrument() = intent.order().instrument();
        if (!problem && !same_instrument(leg.instrument(), intent.order().instrument()))
          problem = GroupProblem{static_cast<size_t>(i) + 1,
                                 {v1::REJECT_INVALID_CONTINGENCY,
                                  "leg " + leg.client_order_id() + " is for " +
                                      leg.instrument().venue() + "/" + leg.instrument().symbol() +
                                      ", not " + key.to_string()}};
        pending_.orders.push_back(leg);
        group.push_back(spec_from_proto(leg));
      }
      engine.submit(std::move(group), t, events_, problem);
      publish_events(key, events_, t, corr, out, outcomes);
    }
  }
  // Everything decided before this bar is now consumed (or was never needed).
  st.decided.erase(st.decided.begin(), st.decided.lower_bound(t));

  // (b) Cancels (and cancel/replaces) sent before this bar, in arrival order.
  std::vector<PendingCancel> later;
  for (auto& c : st.cancels) {
    if (c.event_time_ns >= t) {
      later.push_back(std::move(c));
      continue;
    }
    OrderSpec trace;
    trace.decision_id = c.request.trace().decision_id();
    trace.correlation_id = c.request.trace().correlation_id();
    trace.decision_ns = c.request.trace().event_time_ns();
    if (c.request.has_replacement()) {
      OrderSpec r = spec_from_proto(c.request.replacement());
      if (c.request.replacement().time_in_force() == v1::TIME_IN_FORCE_UNSPECIFIED)
        r.tif = v1::TIME_IN_FORCE_GTC;
      engine.replace(c.request.client_order_id(), std::move(r), t, events_);
    } else {
      engine.cancel(c.request.client_order_id(), trace, t, events_);
    }
  }
  st.cancels = std::move(later);

  // (c) The bar: arrivals, cancels, triggers, fills and expiries in path order.
  BarInput in;
  in.open_ns = t;
  in.close_ns = bar.close_time_ns() > t ? bar.close_time_ns() : t + 1;
  in.open_e8 = bar.open_e8();
  in.high_e8 = bar.high_e8();
  in.low_e8 = bar.low_e8();
  in.close_e8 = bar.close_e8();
  in.volume_e8 = bar.volume_e8();
  in.flags = bar.quality_flags();
  engine.on_bar(in, events_);
  publish_events(key, events_, t, corr, out, outcomes);

  // (d) Mark at the close; an outlier or inconsistent close does not move
  // the mark (unless there is none yet).
  const uint32_t flags = bar.quality_flags();
  const bool suspect = flags & (v1::BAR_QUALITY_OUTLIER | v1::BAR_QUALITY_INCONSISTENT);
  if (bar.close_e8() > 0 && (!st.mark_e8 || !suspect)) st.mark_e8 = bar.close_e8();
  const int64_t mark = st.mark_e8.value_or(0);

  // (e) One position per strategy, then the outcomes. The positions carry
  // the count of outcomes published for their book through this bar.
  for (const auto& [id, o] : outcomes) ++st.outcomes_total[o.strategy()];
  for (const auto& strategy : st.strategies) {
    const Book& b = *engine.book(strategy);
    v1::Position p;
    p.mutable_instrument()->set_venue(key.venue);
    p.mutable_instrument()->set_symbol(key.symbol);
    p.set_quantity_e8(b.quantity_e8);
    p.set_average_cost_e8(average_cost_e8(b));
    p.set_realized_pnl_e8(b.realized_pnl_e8);
    p.set_unrealized_pnl_e8(unrealized_pnl_e8(b, mark));
    p.set_fees_e8(b.fees_e8);
    p.set_mark_price_e8(mark);
    p.set_cash_e8(b.cash_e8);
    p.set_equity_e8(equity_e8(b, mark));
    p.set_as_of_ns(bar.close_time_ns() != 0 ? bar.close_time_ns() : t);
    *p.mutable_trace() = trace_of(corr, t, "");
    p.set_strategy(strategy);
    if (auto n = st.outcomes_total.find(strategy); n != st.outcomes_total.end())
      p.set_outcomes_total(n->second);
    out.emit(runtime::subjects::exec_position(key.symbol),
             runtime::ids::position(strategy, key.venue, key.symbol, t), corr, p);
    pending_.positions.push_back(std::move(p));
  }
  for (auto& [id, o] : outcomes) {
    out.emit(runtime::subjects::param_outcome(o.strategy(), key.symbol), id, corr, o);
    pending_.outcomes.emplace_back(std::move(id), std::move(o));
  }
  st.last_bar_ns = t;
}

// ------------------------------------------------------------------ checkpoint

std::string ExecsimCore::snapshot() const {
  using nlohmann::json;
  json instruments = json::array();
  for (const auto& [key, st] : instruments_) {
    json bars = json::array();
    for (const auto& qb : st.bars)
      bars.push_back({{"bar", to_binary(qb.bar)}, {"correlation_id", qb.correlation_id}});
    json decided = json::array();
    for (const auto& [t, slot] : st.decided)
      for (const auto& [s, d] : slot)
        decided.push_back({{"t", t},
                           {"strategy", s},
                           {"order", d.intent ? json(true) : json(nullptr)},
                           {"payload", json::binary_t(std::vector<uint8_t>(d.payload.begin(),
                                                                           d.payload.end()))}});
    json cancels = json::array();
    for (const auto& c : st.cancels)
      cancels.push_back({{"request", to_binary(c.request)}, {"t", c.event_time_ns}});
    json engine;
    st.engine->to_json(engine);
    instruments.push_back({{"venue", key.venue},
                           {"symbol", key.symbol},
                           {"last_bar_ns", opt(st.last_bar_ns)},
                           {"mark", opt(st.mark_e8)},
                           {"bars", bars},
                           {"decided", decided},
                           {"cancels", cancels},
                           {"engine", engine},
                           {"outcomes_total", st.outcomes_total}});
  }
  json root = {{"version", kSnapshotVersion}, {"instruments", instruments}};
  auto bytes = json::to_cbor(root);
  return std::string(bytes.begin(), bytes.end());
}

Status ExecsimCore::restore(std::string_view snapshot) {
  using nlohmann::json;
  auto bad = [](std::string why) {
    return make_error(ErrorCode::kDataLoss, "execsim snapshot: " + why);
  };
  json root = json::from_cbor(snapshot.begin(), snapshot.end(), true, false);
  if (root.is_discarded() || !root.is_object()) return bad("not a CBOR object");
  try {
    const int version = root.at("version").get<int>();
    if (version != kSnapshotVersion && version != 1)
      return bad("unsupported version " + root.at("version").dump());
    ExecsimCore fresh(config_);
    for (const auto& ji : root.at("instruments")) {
      InstrumentKey key{ji.at("venue").get<std::string>(), ji.at("symbol").get<std::string>()};
      auto it = fresh.instruments_.find(key);
      if (it == fresh.instruments_.end()) continue;  // no longer configured
      InstrumentState& st = it->second;
      st.last_bar_ns = opt_from(ji.at("last_bar_ns"));
      st.mark_e8 = opt_from(ji.at("mark"));
      // Absent before Position.outcomes_total: counted from zero again.
      if (ji.contains("outcomes_total"))
        st.outcomes_total = ji.at("outcomes_total").get<std::map<std::string, uint64_t>>();
      for (const auto& jb : ji.at("bars")) {
        QueuedBar qb;
        if (!from_binary(jb.at("bar"), qb.bar)) return bad("undecodable bar");
        qb.correlation_id = jb.at("correlation_id").get<std::string>();
        st.bars.push_back(std::move(qb));
      }
      for (const auto& jd : ji.at("decided")) {
        DecisionOutput d;
        const auto& payload = jd.at("payload").get_binary();
        d.payload.assign(payload.begin(), payload.end());
        if (!jd.at("order").is_null()) {
          d.intent.emplace();
          if (!d.intent->ParseFromString(d.payload)) return bad("undecodable order intent");
        }
        st.decided[jd.at("t").get<int64_t>()][jd.at("strategy").get<std::string>()] =
            std::move(d);
      }
      for (const auto& jc : ji.at("cancels")) {
        PendingCancel c;
        if (!from_binary(jc.at("request"), c.request)) return bad("undecodable cancel");
        c.event_time_ns = jc.at("t").get<int64_t>();
        st.cancels.push_back(std::move(c));
      }
      json engine;
      if (version == kSnapshotVersion) {
        engine = ji.at("engine");
      } else {
        // Version 1: books, working MARKET/LIMIT orders and the finished-order
        // memory, converted to the engine's form.
        json sleeves = json::array();
        for (const auto& jb : ji.at("books"))
          sleeves.push_back({{"strategy", jb.at("strategy")},
                             {"quantity", jb.at("quantity")},
                             {"cost", jb.at("cost")},
                             {"open_fees", jb.at("open_fees")},
                             {"realized", jb.at("realized")},
                             {"fees", jb.at("fees")},
                             {"cash", jb.at("cash")},
                             {"volume", json::array()}});
        json orders = json::array();
        uint64_t seq = 1;
        for (const auto& jw : ji.at("working")) {
          v1::Order order;
          if (!from_binary(jw.at("order"), order)) return bad("undecodable working order");
          const OrderSpec spec = spec_from_proto(order);
          const int64_t cum = jw.at("cumulative").get<int64_t>();
          json spec_j;
          spec_to_json(spec, spec_j);
          orders.push_back({{"spec", spec_j},
                            {"seq", seq++},
                            {"status", static_cast<int>(cum > 0 ? v1::ORDER_STATUS_PARTIALLY_FILLED
                                                                : v1::ORDER_STATUS_NEW)},
                            {"send", spec.decision_ns},
                            {"arrival", spec.decision_ns},
                            {"expire_at", 0},
                            {"quantity", spec.quantity_e8},
                            {"cum", cum},
                            {"cum_notional", jw.at("cumulative_notional")},
                            {"cum_fees", 0},
                            {"rate_fees", 0},
                            {"events", jw.at("events")},
                            {"triggered", false},
                            {"stop", 0},
                            {"extreme", 0},
                            {"reported_stop", 0},
                            {"slice_left", 0},
                            {"slice_no", 0},
                            {"children", json::array()},
                            {"oco_done", false}});
        }
        engine = {{"next_seq", seq},
                  {"atr", {{"ranges", json::array()}, {"previous_close", 0}}},
                  {"sleeves", sleeves},
                  {"orders", orders},
                  {"scheduled", json::array()},
                  {"finished", ji.at("finished")}};
      }
      if (auto s = st.engine->from_json(engine); !s) return s;
    }
    instruments_ = std::move(fresh.instruments_);
    pending_ = {};
  } catch (const json::exception& e) {
    return bad(e.what());
  }
  return ok();
}

}  // namespace tp::execsim
