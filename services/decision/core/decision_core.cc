#include "decision/core/decision_core.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "tp/core/fixed_point.h"
#include "tp/runtime/topology.h"

namespace tp::decision {

namespace v1 = trading::v1;
using bus::HandleResult;

namespace {

constexpr int kSnapshotVersion = 1;

std::string dec(int64_t e8) { return fixed::to_string(e8); }

std::string shortest(double value) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  if (ec != std::errc()) return "?";
  return std::string(buf, end);
}

int64_t abs64(int64_t v) { return v < 0 ? -v : v; }

// "ZERO_VOLUME|GAP_BEFORE" for flags 5.
std::string flag_names(uint32_t flags) {
  static const std::pair<uint32_t, const char*> kNames[] = {
      {v1::BAR_QUALITY_ZERO_VOLUME, "ZERO_VOLUME"},   {v1::BAR_QUALITY_OUTLIER, "OUTLIER"},
      {v1::BAR_QUALITY_GAP_BEFORE, "GAP_BEFORE"},     {v1::BAR_QUALITY_OUT_OF_ORDER, "OUT_OF_ORDER"},
      {v1::BAR_QUALITY_INCONSISTENT, "INCONSISTENT"}};
  std::string out;
  uint32_t known = 0;
  for (auto [bit, name] : kNames) {
    known |= bit;
    if (flags & bit) out += (out.empty() ? "" : "|") + std::string(name);
  }
  if (flags & ~known) out += (out.empty() ? "" : "|") + std::string("UNKNOWN");
  return out;
}

const char* direction_word(v1::Direction d) {
  switch (d) {
    case v1::DIRECTION_LONG: return "LONG";
    case v1::DIRECTION_SHORT: return "SHORT";
    case v1::DIRECTION_FLAT: return "FLAT";
    default: return "UNSPECIFIED";
  }
}

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

}  // namespace

DecisionCore::DecisionCore(DecisionConfig config) : config_(std::move(config)) {
  for (const auto& [name, limits] : config_.strategies)
    for (const auto& key : limits.instruments) instruments_[key].strategies.push_back(name);
  // config_.strategies is a sorted map, so each strategies list is sorted.
}

size_t DecisionCore::pending_bars() const {
  size_t n = 0;
  for (const auto& [key, st] : instruments_) n += st.pending.size();
  return n;
}

size_t DecisionCore::pending_with_regime() const {
  size_t n = 0;
  for (const auto& [key, st] : instruments_)
    for (const auto& [t, slot] : st.pending) n += slot.regime.has_value() ? 1 : 0;
  return n;
}

size_t DecisionCore::pending_with_signals() const {
  size_t n = 0;
  for (const auto& [key, st] : instruments_)
    for (const auto& [t, slot] : st.pending) n += slot.signals.empty() ? 0 : 1;
  return n;
}

DecisionCore::InstrumentState* DecisionCore::find(const v1::Instrument& instrument) {
  auto it = instruments_.find(InstrumentKey{instrument.venue(), instrument.symbol()});
  return it == instruments_.end() ? nullptr : &it->second;
}

HandleResult DecisionCore::stale(std::string_view what, const InstrumentState& st,
                                 int64_t t) const {
  return HandleResult::reject(
      "stale", std::string(what) + " for event time " + std::to_string(t) +
                   " ns is not after the last decided bar " +
                   std::to_string(*st.last_decided_ns) + " ns");
}

HandleResult DecisionCore::on_signal(const v1::Signal& signal, std::string_view correlation_id,
                                     runtime::Outbox& out) {
  const auto& ins = signal.instrument();
  InstrumentState* st = find(ins);
  const std::string where = ins.venue() + "/" + ins.symbol();
  if (!st || std::find(st->strategies.begin(), st->strategies.end(), signal.strategy()) ==
                 st->strategies.end())
    return HandleResult::reject("unknown_strategy", "strategy '" + signal.strategy() +
                                                        "' is not configured for " + where);
  // Not part of the series: no other stage emits anything for it either.
  if (signal.bar_quality_flags() & v1::BAR_QUALITY_OUT_OF_ORDER) return HandleResult::ok();
  const int64_t t = signal.trace().event_time_ns();
  if (st->last_decided_ns && t <= *st->last_decided_ns) return stale("signal", *st, t);
  Slot& slot = st->pending[t];
  if (auto it = slot.signals.find(signal.strategy()); it != slot.signals.end()) {
    if (it->second.SerializeAsString() == signal.SerializeAsString()) return HandleResult::ok();
    return HandleResult::reject("conflict", "a different signal of '" + signal.strategy() +
                                                "' for " + where + " at " + std::to_string(t) +
                                                " ns was already received");
  }
  slot.signals[signal.strategy()] = signal;
  slot.correlation_ids[signal.strategy()] =
      signal.trace().correlation_id().empty() ? std::string(correlation_id)
                                              : signal.trace().correlation_id();
  fire_ready(InstrumentKey{ins.venue(), ins.symbol()}, *st, out);
  return HandleResult::ok();
}

HandleResult DecisionCore::on_regime(const v1::RegimePosterior& posterior, runtime::Outbox& out) {
  InstrumentState* st = find(posterior.instrument());
  if (!st) return HandleResult::ok();  // regime covers instruments nobody trades here
  const int64_t t = posterior.trace().event_time_ns();
  if (st->last_decided_ns && t <= *st->last_decided_ns) return stale("regime posterior", *st, t);
  Slot& slot = st->pending[t];
  if (slot.regime) {
    if (slot.regime->SerializeAsString() == posterior.SerializeAsString())
      return HandleResult::ok();
    return HandleResult::reject("conflict", "a different regime posterior for " +
                                                posterior.instrument().venue() + "/" +
                                                posterior.instrument().symbol() + " at " +
                                                std::to_string(t) + " ns was already received");
  }
  slot.regime = posterior;
  fire_ready(InstrumentKey{posterior.instrument().venue(), posterior.instrument().symbol()}, *st,
             out);
  return HandleResult::ok();
}

HandleResult DecisionCore::on_position(const v1::Position& position, runtime::Outbox& out) {
  InstrumentState* st = find(position.instrument());
  // Account-wide or other strategies' books are not inputs of any join here.
  if (!st || std::find(st->strategies.begin(), st->strategies.end(), position.strategy()) ==
                 st->strategies.end())
    return HandleResult::ok();
  const int64_t t = position.trace().event_time_ns();
  if (st->last_decided_ns && t <= *st->last_decided_ns) return stale("position", *st, t);
  Slot& slot = st->pending[t];
  if (auto it = slot.positions.find(position.strategy()); it != slot.positions.end()) {
    if (it->second.SerializeAsString() == position.SerializeAsString())
      return HandleResult::ok();
    return HandleResult::reject("conflict", "a different position of '" + position.strategy() +
                                                "' at " + std::to_string(t) +
                                                " ns was already received");
  }
  slot.positions[position.strategy()] = position;
  fire_ready(InstrumentKey{position.instrument().venue(), position.instrument().symbol()}, *st,
             out);
  return HandleResult::ok();
}

HandleResult DecisionCore::on_kill_switch(const v1::KillSwitch& kill_switch) {
  if (kill_switch.scope().empty())
    return HandleResult::reject("invalid",
                                "kill switch scope is empty (use \"*\", a strategy id or a symbol)");
  if (kill_switch.engaged())
    kill_scopes_.insert(kill_switch.scope());
  else
    kill_scopes_.erase(kill_switch.scope());
  return HandleResult::ok();
}

std::optional<std::string> DecisionCore::kill_scope_for(const std::string& strategy,
                                                        const std::string& symbol) const {
  for (const std::string& scope : {std::string("*"), strategy, symbol})
    if (kill_scopes_.contains(scope)) return scope;
  return std::nullopt;
}

bool DecisionCore::complete(const InstrumentState& st, const Slot& slot) const {
  if (!slot.regime) return false;
  for (const auto& s : st.strategies)
    if (!slot.signals.contains(s) || !slot.positions.contains(s)) return false;
  return true;
}

void DecisionCore::fire_ready(const InstrumentKey& key, InstrumentState& st,
                              runtime::Outbox& out) {
  // Strictly in event-time order: an incomplete earlier bar blocks later ones.
  while (!st.pending.empty()) {
    auto it = st.pending.begin();
    if (!complete(st, it->second)) return;
    const int64_t t = it->first;
    std::vector<Proposal> proposals;
    for (const auto& s : st.strategies) proposals.push_back(propose(key, s, it->second));
    apply_total_notional(key, proposals);
    for (const auto& p : proposals) emit(key, t, it->second, p, out);
    st.last_decided_ns = t;
    st.pending.erase(it);
  }
}

DecisionCore::Proposal DecisionCore::propose(const InstrumentKey& key,
                                             const std::string& strategy,
                                             const Slot& slot) const {
  const v1::Signal& sig = slot.signals.at(strategy);
  const StrategyLimits& lim = config_.strategies.at(strategy);
  Proposal p;
  p.strategy = strategy;
  p.position_e8 = slot.positions.at(strategy).quantity_e8();
  p.price_e8 = sig.bar_close_e8();
  auto reject = [&](v1::RejectReason reason, std::string text) {
    p.reason = reason;
    p.text = std::move(text);
    return p;
  };

  const v1::Direction dir = sig.direction();
  if (dir != v1::DIRECTION_LONG && dir != v1::DIRECTION_SHORT && dir != v1::DIRECTION_FLAT)
    return reject(v1::REJECT_INVALID_ORDER, "signal direction " + v1::Direction_Name(dir) +
                                                " is not LONG, SHORT or FLAT");
  const double strength = sig.strength();
  if (!std::isfinite(strength) || strength < 0.0 || strength > 1.0)
    return reject(v1::REJECT_INVALID_ORDER,
                  "signal strength " + shortest(strength) + " is outside [0, 1]");
  if (auto scope = kill_scope_for(strategy, key.symbol))
    return reject(v1::REJECT_KILL_SWITCH, "kill switch engaged (scope '" + *scope + "')");
  if (sig.bar_quality_flags() != 0)
    return reject(v1::REJECT_FLAGGED_BAR, "bar quality flags " +
                                              std::to_string(sig.bar_quality_flags()) + " (" +
                                              flag_names(sig.bar_quality_flags()) +
                                              "): no trading on a flagged bar");

  // Sizing, all in fixed point: strength is the only double and is rounded
  // to 1e-8 once, here.
  const int64_t strength_e8 = fixed::from_double(strength);
  int64_t magnitude = dir == v1::DIRECTION_FLAT ? 0 : fixed::mul(strength_e8, lim.max_position_e8);
  std::string formula = dir == v1::DIRECTION_FLAT
                            ? std::string("FLAT")
                            : std::string(direction_word(dir)) + " strength " + dec(strength_e8) +
                                  " x max_position " + dec(lim.max_position_e8);
  const bool chop = slot.regime->most_likely() == v1::REGIME_CHOP;
  if (chop && dir != v1::DIRECTION_FLAT) {
    magnitude = fixed::mul(magnitude, config_.chop_scale_e8);
    formula += " x chop_scale " + dec(config_.chop_scale_e8) + " (regime CHOP)";
  }
  magnitude = magnitude / lim.lot_size_e8 * lim.lot_size_e8;  // toward zero
  const int64_t target = dir == v1::DIRECTION_SHORT ? -magnitude : magnitude;
  if (abs64(target) > lim.max_position_e8)
    return reject(v1::REJECT_MAX_POSITION, "target " + dec(target) + " exceeds max_position " +
                                               dec(lim.max_position_e8));
  int64_t qty = target - p.position_e8;
  if (abs64(qty) < lim.lot_size_e8)
    return reject(v1::REJECT_NO_CHANGE, "order quantity " + dec(qty) + " is below lot size " +
                                            dec(lim.lot_size_e8) + " (target " + dec(target) +
                                            ", position " + dec(p.position_e8) + ")");
  if (p.price_e8 <= 0)
    return reject(v1::REJECT_NO_PRICE, "signal carries no bar close price (bar_close_e8 " +
                                           std::to_string(p.price_e8) + ")");
  std::string clip_note;
  if (fixed::mul(abs64(qty), p.price_e8) > lim.max_order_notional_e8) {
    // Largest quantity whose notional fits, floored, then floored to lots.
    const __int128 fit = static_cast<__int128>(lim.max_order_notional_e8) * fixed::kScale /
                         p.price_e8;
    int64_t clipped = static_cast<int64_t>(fit) / lim.lot_size_e8 * lim.lot_size_e8;
    if (clipped < lim.lot_size_e8)
      return reject(v1::REJECT_MAX_NOTIONAL,
                    "max_order_notional " + dec(lim.max_order_notional_e8) + " at price " +
                        dec(p.price_e8) + " allows less than one lot " + dec(lim.lot_size_e8) +
                        " (wanted " + dec(qty) + ")");
    clip_note = " (clipped from " + dec(abs64(qty)) + " by max_order_notional " +
                dec(lim.max_order_notional_e8) + " at price " + dec(p.price_e8) + ")";
    qty = qty < 0 ? -clipped : clipped;
  }
  p.order_qty_e8 = qty;
  p.text = "target " + dec(target) + " = " + formula + "; position " + dec(p.position_e8) + "; " +
           (qty > 0 ? "buy " : "sell ") + dec(abs64(qty)) + clip_note;
  return p;
}

void DecisionCore::apply_total_notional(const InstrumentKey& key,
                                        std::vector<Proposal>& proposals) const {
  if (!config_.max_notional_total_e8) return;
  const int64_t cap = *config_.max_notional_total_e8;
  // Gross post-trade notional, each strategy at its own bar close; strategies
  // are visited in name order so the rule is deterministic.
  auto exposure = [](int64_t qty, int64_t price) {
    return fixed::mul(abs64(qty), price > 0 ? price : 0);
  };
  int64_t gross = 0;
  for (const auto& p : proposals) gross += exposure(p.position_e8, p.price_e8);
  for (auto& p : proposals) {
    if (!p.order_qty_e8) continue;
    const int64_t after = p.position_e8 + *p.order_qty_e8;
    const int64_t candidate =
        gross - exposure(p.position_e8, p.price_e8) + exposure(after, p.price_e8);
    if (abs64(after) > abs64(p.position_e8) && candidate > cap) {
      p.order_qty_e8.reset();
      p.reason = v1::REJECT_MAX_NOTIONAL;
      p.text = "gross notional " + dec(candidate) + " of " + key.to_string() +
               " across strategies would exceed risk.max_notional_total " + dec(cap);
      continue;
    }
    gross = candidate;
  }
}

void DecisionCore::emit(const InstrumentKey& key, int64_t t, const Slot& slot, const Proposal& p,
                        runtime::Outbox& out) const {
  const v1::Signal& sig = slot.signals.at(p.strategy);
  const std::string& correlation = slot.correlation_ids.at(p.strategy);
  v1::Trace trace;
  trace.set_correlation_id(correlation);
  trace.set_event_time_ns(t);
  trace.set_decision_id(!sig.decision_id().empty() ? sig.decision_id()
                                                   : sig.trace().decision_id());
  v1::Instrument instrument;
  instrument.set_venue(key.venue);
  instrument.set_symbol(key.symbol);
  const std::string id = runtime::ids::decision(p.strategy, key.venue, key.symbol, t);
  const std::string signal_id = runtime::ids::signal(p.strategy, key.venue, key.symbol, t);
  if (p.order_qty_e8) {
    v1::OrderIntent intent;
    v1::Order& order = *intent.mutable_order();
    order.set_client_order_id(runtime::ids::client_order(p.strategy, key.venue, key.symbol, t));
    *order.mutable_instrument() = instrument;
    order.set_side(*p.order_qty_e8 > 0 ? v1::SIDE_BUY : v1::SIDE_SELL);
    order.set_type(v1::ORDER_TYPE_MARKET);
    // IOC: sizing is target minus position, so a remainder left working would
    // be ordered again on the next bar; cancel it and decide afresh instead.
    order.set_time_in_force(v1::TIME_IN_FORCE_IOC);
    order.set_quantity_e8(abs64(*p.order_qty_e8));
    order.set_strategy(p.strategy);
    *order.mutable_trace() = trace;
    intent.set_signal_id(signal_id);
    intent.set_regime_label(v1::RegimeLabel_Name(slot.regime->most_likely()));
    intent.set_sizing_reason(p.text);
    out.emit(runtime::subjects::order_intent(key.symbol), id, correlation, intent);
    return;
  }
  v1::DecisionRejection rejection;
  rejection.set_signal_id(signal_id);
  rejection.set_strategy(p.strategy);
  *rejection.mutable_instrument() = instrument;
  rejection.set_reason(p.reason);
  rejection.set_text(p.text);
  *rejection.mutable_trace() = trace;
  out.emit(runtime::subjects::order_reject(key.symbol), id, correlation, rejection);
}

std::string DecisionCore::snapshot() const {
  using nlohmann::json;
  json root = {{"version", kSnapshotVersion},
               {"kill_scopes", json(std::vector<std::string>(kill_scopes_.begin(),
                                                             kill_scopes_.end()))}};
  json instruments = json::array();
  for (const auto& [key, st] : instruments_) {
    json slots = json::array();
    for (const auto& [t, slot] : st.pending) {
      json signals = json::array();
      for (const auto& [s, sig] : slot.signals)
        signals.push_back({{"strategy", s},
                           {"correlation_id", slot.correlation_ids.at(s)},
                           {"signal", to_binary(sig)}});
      json positions = json::array();
      for (const auto& [s, pos] : slot.positions)
        positions.push_back({{"strategy", s}, {"position", to_binary(pos)}});
      slots.push_back({{"t", t},
                       {"signals", signals},
                       {"positions", positions},
                       {"regime", slot.regime ? json(to_binary(*slot.regime)) : json(nullptr)}});
    }
    instruments.push_back(
        {{"venue", key.venue},
         {"symbol", key.symbol},
         {"last_decided_ns", st.last_decided_ns ? json(*st.last_decided_ns) : json(nullptr)},
         {"pending", slots}});
  }
  root["instruments"] = instruments;
  auto bytes = json::to_cbor(root);
  return std::string(bytes.begin(), bytes.end());
}

Status DecisionCore::restore(std::string_view snapshot) {
  using nlohmann::json;
  auto bad = [](std::string why) {
    return make_error(ErrorCode::kDataLoss, "decision snapshot: " + why);
  };
  json root = json::from_cbor(snapshot.begin(), snapshot.end(), true, false);
  if (root.is_discarded() || !root.is_object()) return bad("not a CBOR object");
  try {
    if (root.at("version").get<int>() != kSnapshotVersion)
      return bad("unsupported version " + root.at("version").dump());
    std::set<std::string> scopes;
    for (const auto& s : root.at("kill_scopes")) scopes.insert(s.get<std::string>());
    std::map<InstrumentKey, InstrumentState> restored;
    for (const auto& [name, limits] : config_.strategies)
      for (const auto& key : limits.instruments) restored[key].strategies.push_back(name);
    for (const auto& ji : root.at("instruments")) {
      InstrumentKey key{ji.at("venue").get<std::string>(), ji.at("symbol").get<std::string>()};
      auto it = restored.find(key);
      if (it == restored.end()) continue;  // no longer configured
      InstrumentState& st = it->second;
      if (!ji.at("last_decided_ns").is_null())
        st.last_decided_ns = ji.at("last_decided_ns").get<int64_t>();
      for (const auto& js : ji.at("pending")) {
        Slot& slot = st.pending[js.at("t").get<int64_t>()];
        for (const auto& e : js.at("signals")) {
          const auto s = e.at("strategy").get<std::string>();
          if (!from_binary(e.at("signal"), slot.signals[s])) return bad("undecodable signal");
          slot.correlation_ids[s] = e.at("correlation_id").get<std::string>();
        }
        for (const auto& e : js.at("positions"))
          if (!from_binary(e.at("position"), slot.positions[e.at("strategy").get<std::string>()]))
            return bad("undecodable position");
        if (!js.at("regime").is_null()) {
          slot.regime.emplace();
          if (!from_binary(js.at("regime"), *slot.regime)) return bad("undecodable regime");
        }
      }
    }
    instruments_ = std::move(restored);
    kill_scopes_ = std::move(scopes);
  } catch (const json::exception& e) {
    return bad(e.what());
  }
  return ok();
}

}  // namespace tp::decision
