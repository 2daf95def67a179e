#include "execsim/core/execsim_core.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "execsim/core/matching.h"
#include "tp/core/fixed_point.h"
#include "tp/runtime/topology.h"

namespace tp::execsim {

namespace v1 = trading::v1;
using bus::HandleResult;

namespace {

constexpr int kSnapshotVersion = 1;

std::string dec(int64_t e8) { return fixed::to_string(e8); }

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

// A report about `order` with the cumulative state filled in.
v1::ExecutionReport report_for(const v1::Order& order, v1::ExecType type, uint64_t event,
                               int64_t cumulative_e8, int64_t cumulative_notional_e8,
                               int64_t leaves_e8, int64_t t, const std::string& correlation_id) {
  v1::ExecutionReport r;
  r.set_exec_id(runtime::ids::exec_report(order.client_order_id(), event));
  r.set_client_order_id(order.client_order_id());
  *r.mutable_instrument() = order.instrument();
  r.set_side(order.side());
  r.set_exec_type(type);
  r.set_cumulative_quantity_e8(cumulative_e8);
  r.set_leaves_quantity_e8(leaves_e8);
  r.set_average_price_e8(cumulative_e8 > 0 ? fixed::div(cumulative_notional_e8, cumulative_e8)
                                           : 0);
  r.set_transact_time_ns(t);
  r.set_strategy(order.strategy());
  *r.mutable_trace() = trace_of(correlation_id, t, order.trace().decision_id());
  return r;
}

const char* tif_word(const v1::Order& order) {
  return order.time_in_force() == v1::TIME_IN_FORCE_FOK ? "FOK" : "IOC";
}

}  // namespace

ExecsimCore::ExecsimCore(ExecsimConfig config) : config_(std::move(config)) {
  for (const auto& [name, account] : config_.strategies)
    for (const auto& key : account.instruments) {
      auto& st = instruments_[key];
      st.strategies.push_back(name);  // config is a sorted map: stays sorted
      st.books[name].cash_e8 = account.initial_cash_e8;
    }
}

const Book* ExecsimCore::book(const std::string& strategy, const InstrumentKey& key) const {
  auto it = instruments_.find(key);
  if (it == instruments_.end()) return nullptr;
  auto b = it->second.books.find(strategy);
  return b == it->second.books.end() ? nullptr : &b->second;
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
  for (const auto& [k, st] : instruments_) n += st.working.size();
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

void ExecsimCore::remember(InstrumentState& st, Finished finished) const {
  st.finished.push_back(std::move(finished));
  while (st.finished.size() > static_cast<size_t>(config_.finished_order_memory))
    st.finished.pop_front();
}

ExecsimCore::Finished* ExecsimCore::find_finished(InstrumentState& st,
                                                  const std::string& client_order_id) {
  for (auto& f : st.finished)
    if (f.client_order_id == client_order_id) return &f;
  return nullptr;
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
  auto r = report_for(order, v1::EXEC_REJECTED, 1, 0, 0, 0, t, order.trace().correlation_id());
  r.set_reject_reason(v1::REJECT_INVALID_ORDER);
  r.set_text(text);
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
  const std::string where = o.instrument().venue() + "/" + o.instrument().symbol();
  InstrumentState* st = find(o.instrument());
  if (!st) {
    reject_unroutable(o, "instrument " + where + " is not traded by this venue", out);
    return HandleResult::ok();
  }
  if (std::find(st->strategies.begin(), st->strategies.end(), o.strategy()) ==
      st->strategies.end()) {
    reject_unroutable(o, "strategy '" + o.strategy() + "' has no book for " + where, out);
    return HandleResult::ok();
  }
  auto result = add_decision(o.instrument(), o.strategy(), o.trace().event_time_ns(),
                             DecisionOutput{o, intent.SerializeAsString()});
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
  if (cancel.has_replacement())
    return HandleResult::reject("unsupported",
                                "cancel/replace is not supported by the paper venue yet");
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

void ExecsimCore::process(const InstrumentKey& key, InstrumentState& st, const QueuedBar& qb,
                          runtime::Outbox& out) {
  const v1::Bar& bar = qb.bar;
  const int64_t t = bar.open_time_ns();
  const std::string& corr = qb.correlation_id;
  const FillModel& model = config_.fills;

  // (a) Accept the orders decided at the previous bar, in strategy order.
  if (st.last_bar_ns) {
    auto it = st.decided.find(*st.last_bar_ns);
    const std::map<std::string, DecisionOutput> none;
    for (const auto& [strategy, decision] : it == st.decided.end() ? none : it->second) {
      if (!decision.order) continue;
      WorkingOrder w{*decision.order, 0, 0, 0};
      const std::string& cid = w.order.client_order_id();
      std::optional<std::string> why = accept_problem(w.order);
      if (Finished* f = find_finished(st, cid)) {
        w.events = f->events;  // continue numbering after earlier reports
        if (f->was_order && !why) why = "duplicate client_order_id " + cid;
        f->was_order = true;
      }
      if (!why && std::any_of(st.working.begin(), st.working.end(), [&](const WorkingOrder& x) {
            return x.order.client_order_id() == cid;
          }))
        why = "duplicate client_order_id " + cid;
      pending_.orders.push_back(w.order);
      ++w.events;
      if (why) {
        auto r = report_for(w.order, v1::EXEC_REJECTED, w.events, 0, 0, 0, t, corr);
        r.set_reject_reason(v1::REJECT_INVALID_ORDER);
        r.set_text(*why);
        emit_report(r, corr, out);
        if (Finished* f = find_finished(st, cid))
          f->events = w.events;
        else
          remember(st, {cid, w.events, true});
        continue;
      }
      auto r = report_for(w.order, v1::EXEC_ACK, w.events, 0, 0, w.order.quantity_e8(), t, corr);
      r.set_text("accepted");
      emit_report(r, corr, out);
      std::erase_if(st.finished, [&](const Finished& f) { return f.client_order_id == cid; });
      st.working.push_back(std::move(w));
    }
  }
  // Everything decided before this bar is now consumed (or was never needed).
  st.decided.erase(st.decided.begin(), st.decided.lower_bound(t));

  // Cancels decided before this bar, in arrival order; later ones wait.
  std::vector<PendingCancel> later;
  for (auto& c : st.cancels) {
    if (c.event_time_ns >= t) {
      later.push_back(std::move(c));
      continue;
    }
    const std::string& cid = c.request.client_order_id();
    auto w = std::find_if(st.working.begin(), st.working.end(), [&](const WorkingOrder& x) {
      return x.order.client_order_id() == cid;
    });
    if (w != st.working.end()) {
      ++w->events;
      auto r = report_for(w->order, v1::EXEC_CANCELED, w->events, w->cumulative_e8,
                          w->cumulative_notional_e8, 0, t, corr);
      r.set_text("canceled on request");
      emit_report(r, corr, out);
      remember(st, {cid, w->events, true});
      st.working.erase(w);
      continue;
    }
    uint64_t event = 1;
    if (Finished* f = find_finished(st, cid))
      event = ++f->events;
    else
      remember(st, {cid, 1, false});
    v1::Order unknown;
    unknown.set_client_order_id(cid);
    *unknown.mutable_instrument() = c.request.instrument();
    *unknown.mutable_trace() = c.request.trace();
    auto r = report_for(unknown, v1::EXEC_REJECTED, event, 0, 0, 0, t, corr);
    r.set_reject_reason(v1::REJECT_UNKNOWN_ORDER);
    r.set_text("no working order " + cid + " to cancel");
    emit_report(r, corr, out);
  }
  st.cancels = std::move(later);

  // (b) Match working orders against this bar, in acceptance order; they
  // share the bar's volume cap.
  const uint32_t flags = bar.quality_flags();
  const bool tradable = flags == 0 && bar.open_e8() > 0 && bar.high_e8() > 0 && bar.low_e8() > 0;
  int64_t capacity = tradable && bar.volume_e8() > 0
                         ? fixed::mul(bar.volume_e8(), model.max_volume_share_e8)
                         : 0;
  std::vector<std::pair<std::string, v1::Outcome>> outcomes;
  std::vector<WorkingOrder> still_working;
  for (auto& w : st.working) {
    const int64_t leaves = w.order.quantity_e8() - w.cumulative_e8;
    std::optional<FillRule> rule;
    std::string why;
    if (flags != 0)
      why = "flagged bar (flags " + std::to_string(flags) + ")";
    else if (!tradable)
      why = "bar has no valid prices";
    else if (!(rule = fill_rule(w.order, bar, model)))
      why = "not marketable on this bar";
    int64_t qty = rule ? std::min(leaves, capacity) : 0;
    if (rule && w.order.time_in_force() == v1::TIME_IN_FORCE_FOK && qty < leaves) {
      why = "only " + dec(qty) + " of " + dec(leaves) + " fillable within max_volume_share " +
            dec(model.max_volume_share_e8);
      qty = 0;
    } else if (rule && qty == 0) {
      why = "no volume left within max_volume_share " + dec(model.max_volume_share_e8);
    }
    if (qty > 0) {
      const int64_t notional = fixed::mul(qty, rule->price_e8);
      const int64_t fee = fixed::apply_bps(notional, rule->fee_bps);
      capacity -= qty;
      w.cumulative_e8 += qty;
      w.cumulative_notional_e8 += notional;
      ++w.events;
      Book& book = st.books[w.order.strategy()];
      auto closing = apply_fill(book, w.order.side(), qty, notional, fee);
      const int64_t left = w.order.quantity_e8() - w.cumulative_e8;
      auto r = report_for(w.order, left == 0 ? v1::EXEC_FILL : v1::EXEC_PARTIAL_FILL, w.events,
                          w.cumulative_e8, w.cumulative_notional_e8, left, t, corr);
      r.set_last_quantity_e8(qty);
      r.set_last_price_e8(rule->price_e8);
      r.set_fee_e8(fee);
      r.set_liquidity(rule->liquidity);
      std::string text = rule->text;
      if (qty < leaves)
        text += "; capped at max_volume_share " + dec(model.max_volume_share_e8) +
                " of bar volume " + dec(bar.volume_e8());
      r.set_text(text);
      emit_report(r, corr, out);
      const std::string& decision_id = w.order.trace().decision_id();
      if (closing && !decision_id.empty()) {
        v1::Outcome o;
        o.set_decision_id(decision_id);
        o.set_strategy(w.order.strategy());
        *o.mutable_instrument() = w.order.instrument();
        o.set_realized_pnl_e8(closing->net_pnl_e8);
        o.set_fees_e8(closing->fees_e8);
        o.set_notional_e8(closing->entry_notional_e8);
        o.set_reward(closing->entry_notional_e8 > 0
                         ? fixed::to_double(closing->net_pnl_e8) /
                               fixed::to_double(closing->entry_notional_e8)
                         : 0.0);
        o.set_closed_time_ns(t);
        *o.mutable_trace() = trace_of(corr, t, decision_id);
        outcomes.emplace_back(runtime::ids::outcome(decision_id + ":" +
                                                    w.order.client_order_id() + ":" +
                                                    std::to_string(w.events)),
                              std::move(o));
      }
    }
    const int64_t left = w.order.quantity_e8() - w.cumulative_e8;
    if (left > 0 && why.empty())
      why = "no volume left within max_volume_share " + dec(model.max_volume_share_e8);
    if (left == 0) {
      remember(st, {w.order.client_order_id(), w.events, true});
      continue;
    }
    if (single_bar(w.order)) {
      ++w.events;
      auto r = report_for(w.order, v1::EXEC_CANCELED, w.events, w.cumulative_e8,
                          w.cumulative_notional_e8, 0, t, corr);
      r.set_text(std::string(tif_word(w.order)) +
                 (w.cumulative_e8 > 0 ? " remainder canceled: " : " canceled: ") + why);
      emit_report(r, corr, out);
      remember(st, {w.order.client_order_id(), w.events, true});
      continue;
    }
    still_working.push_back(std::move(w));
  }
  st.working = std::move(still_working);

  // (c) Mark at the close; an outlier or inconsistent close does not move
  // the mark (unless there is none yet).
  const bool suspect = flags & (v1::BAR_QUALITY_OUTLIER | v1::BAR_QUALITY_INCONSISTENT);
  if (bar.close_e8() > 0 && (!st.mark_e8 || !suspect)) st.mark_e8 = bar.close_e8();
  const int64_t mark = st.mark_e8.value_or(0);

  // (d) One position per strategy, then the outcomes.
  for (const auto& strategy : st.strategies) {
    const Book& b = st.books[strategy];
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
                           {"order", d.order ? json(to_binary(*d.order)) : json(nullptr)},
                           {"payload", json::binary_t(std::vector<uint8_t>(d.payload.begin(),
                                                                           d.payload.end()))}});
    json cancels = json::array();
    for (const auto& c : st.cancels)
      cancels.push_back({{"request", to_binary(c.request)}, {"t", c.event_time_ns}});
    json working = json::array();
    for (const auto& w : st.working)
      working.push_back({{"order", to_binary(w.order)},
                         {"cumulative", w.cumulative_e8},
                         {"cumulative_notional", w.cumulative_notional_e8},
                         {"events", w.events}});
    json finished = json::array();
    for (const auto& f : st.finished)
      finished.push_back({f.client_order_id, f.events, f.was_order});
    json books = json::array();
    for (const auto& [s, b] : st.books)
      books.push_back({{"strategy", s},
                       {"quantity", b.quantity_e8},
                       {"cost", b.cost_e8},
                       {"open_fees", b.open_fees_e8},
                       {"realized", b.realized_pnl_e8},
                       {"fees", b.fees_e8},
                       {"cash", b.cash_e8}});
    instruments.push_back({{"venue", key.venue},
                           {"symbol", key.symbol},
                           {"last_bar_ns", opt(st.last_bar_ns)},
                           {"mark", opt(st.mark_e8)},
                           {"bars", bars},
                           {"decided", decided},
                           {"cancels", cancels},
                           {"working", working},
                           {"finished", finished},
                           {"books", books}});
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
    if (root.at("version").get<int>() != kSnapshotVersion)
      return bad("unsupported version " + root.at("version").dump());
    ExecsimCore fresh(config_);
    for (const auto& ji : root.at("instruments")) {
      InstrumentKey key{ji.at("venue").get<std::string>(), ji.at("symbol").get<std::string>()};
      auto it = fresh.instruments_.find(key);
      if (it == fresh.instruments_.end()) continue;  // no longer configured
      InstrumentState& st = it->second;
      st.last_bar_ns = opt_from(ji.at("last_bar_ns"));
      st.mark_e8 = opt_from(ji.at("mark"));
      for (const auto& jb : ji.at("bars")) {
        QueuedBar qb;
        if (!from_binary(jb.at("bar"), qb.bar)) return bad("undecodable bar");
        qb.correlation_id = jb.at("correlation_id").get<std::string>();
        st.bars.push_back(std::move(qb));
      }
      for (const auto& jd : ji.at("decided")) {
        DecisionOutput d;
        if (!jd.at("order").is_null()) {
          d.order.emplace();
          if (!from_binary(jd.at("order"), *d.order)) return bad("undecodable order");
        }
        const auto& payload = jd.at("payload").get_binary();
        d.payload.assign(payload.begin(), payload.end());
        st.decided[jd.at("t").get<int64_t>()][jd.at("strategy").get<std::string>()] =
            std::move(d);
      }
      for (const auto& jc : ji.at("cancels")) {
        PendingCancel c;
        if (!from_binary(jc.at("request"), c.request)) return bad("undecodable cancel");
        c.event_time_ns = jc.at("t").get<int64_t>();
        st.cancels.push_back(std::move(c));
      }
      for (const auto& jw : ji.at("working")) {
        WorkingOrder w;
        if (!from_binary(jw.at("order"), w.order)) return bad("undecodable working order");
        w.cumulative_e8 = jw.at("cumulative").get<int64_t>();
        w.cumulative_notional_e8 = jw.at("cumulative_notional").get<int64_t>();
        w.events = jw.at("events").get<uint64_t>();
        st.working.push_back(std::move(w));
      }
      for (const auto& jf : ji.at("finished"))
        st.finished.push_back(
            {jf.at(0).get<std::string>(), jf.at(1).get<uint64_t>(), jf.at(2).get<bool>()});
      for (const auto& jb : ji.at("books")) {
        auto s = jb.at("strategy").get<std::string>();
        if (!st.books.contains(s)) continue;  // strategy no longer configured here
        Book& b = st.books[s];
        b.quantity_e8 = jb.at("quantity").get<int64_t>();
        b.cost_e8 = jb.at("cost").get<int64_t>();
        b.open_fees_e8 = jb.at("open_fees").get<int64_t>();
        b.realized_pnl_e8 = jb.at("realized").get<int64_t>();
        b.fees_e8 = jb.at("fees").get<int64_t>();
        b.cash_e8 = jb.at("cash").get<int64_t>();
      }
    }
    instruments_ = std::move(fresh.instruments_);
    pending_ = {};
  } catch (const json::exception& e) {
    return bad(e.what());
  }
  return ok();
}

}  // namespace tp::execsim
