#include "signal/core/signal_core.h"

#include <algorithm>
#include <limits>

#include <nlohmann/json.hpp>

#include "tp/runtime/topology.h"
#include "trading/v1/signals.pb.h"

namespace tp::signal {
namespace {

using trading::v1::BarQualityFlag;

// Flags whose prices must not reach the indicators.
constexpr uint32_t kPoisonFlags = trading::v1::BAR_QUALITY_ZERO_VOLUME |
                                  trading::v1::BAR_QUALITY_OUTLIER |
                                  trading::v1::BAR_QUALITY_INCONSISTENT;

std::string instrument_key(std::string_view venue, std::string_view symbol) {
  return std::string(venue) + "/" + std::string(symbol);
}

}  // namespace

std::string describe_flags(uint32_t flags) {
  static constexpr std::pair<uint32_t, const char*> kNames[] = {
      {trading::v1::BAR_QUALITY_ZERO_VOLUME, "ZERO_VOLUME"},
      {trading::v1::BAR_QUALITY_OUTLIER, "OUTLIER"},
      {trading::v1::BAR_QUALITY_GAP_BEFORE, "GAP_BEFORE"},
      {trading::v1::BAR_QUALITY_OUT_OF_ORDER, "OUT_OF_ORDER"},
      {trading::v1::BAR_QUALITY_INCONSISTENT, "INCONSISTENT"},
  };
  std::string out;
  uint32_t rest = flags;
  for (const auto& [bit, name] : kNames) {
    if (flags & bit) {
      out += (out.empty() ? "" : "|") + std::string(name);
      rest &= ~bit;
    }
  }
  if (rest != 0) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "0x%x", rest);
    out += (out.empty() ? "" : "|") + std::string(buf);
  }
  return out.empty() ? "OK" : out;
}

SignalCore::SignalCore(SignalCoreConfig config) : config_(std::move(config)) { reset_state(); }

void SignalCore::reset_state() {
  instruments_.clear();
  for (const auto& [strategy, spec] : config_.strategies) {
    for (const auto& key : spec.instruments) {
      auto slash = key.find('/');
      auto& inst = instruments_[key];
      inst.venue = key.substr(0, slash);
      inst.symbol = slash == std::string::npos ? "" : key.substr(slash + 1);
      inst.strategies[strategy].algorithm = spec.algorithm;
    }
  }
}

Verdict SignalCore::on_bar(const trading::v1::Bar& bar, std::string_view correlation_id,
                           runtime::Outbox& out) {
  const std::string key = instrument_key(bar.instrument().venue(), bar.instrument().symbol());
  auto it = instruments_.find(key);
  if (it == instruments_.end())
    return Verdict::ignored("instrument " + key + " is not configured");
  if (bar.timeframe() != config_.timeframe)
    return Verdict::ignored("timeframe " + bar.timeframe() + " is not " + config_.timeframe);
  if (bar.quality_flags() & trading::v1::BAR_QUALITY_OUT_OF_ORDER)
    return Verdict::ignored("bar is flagged OUT_OF_ORDER");
  const int64_t t = bar.open_time_ns();
  if (t <= 0) return Verdict::invalid("bar has no open time");
  if (!(bar.quality_flags() & kPoisonFlags)) {
    if (bar.close_e8() <= 0)
      return Verdict::invalid("bar close must be positive, got " + std::to_string(bar.close_e8()));
    if (bar.high_e8() < bar.low_e8())
      return Verdict::invalid("bar high " + std::to_string(bar.high_e8()) + " is below low " +
                              std::to_string(bar.low_e8()));
  }
  InstrumentState& inst = it->second;
  if (t <= inst.last_bar_t)
    return Verdict::ignored("bar at " + std::to_string(t) + " is not after the last bar at " +
                            std::to_string(inst.last_bar_t));
  PendingBar pending{bar.high_e8(), bar.low_e8(), bar.close_e8(), bar.quality_flags(),
                     std::string(correlation_id)};
  if (pending.correlation_id.empty()) pending.correlation_id = bar.trace().correlation_id();
  if (pending.correlation_id.empty())
    pending.correlation_id = runtime::ids::bar(inst.venue, inst.symbol, bar.timeframe(), t);
  inst.bars.emplace(t, std::move(pending));
  inst.last_bar_t = t;
  for (auto& [name, st] : inst.strategies) advance(inst, name, st, out);
  drop_consumed_bars(inst);
  enforce_bar_bound(inst, out);
  return Verdict::applied();
}

Verdict SignalCore::on_choice(const trading::v1::ParameterChoice& choice, runtime::Outbox& out) {
  const std::string key =
      instrument_key(choice.instrument().venue(), choice.instrument().symbol());
  auto spec = config_.strategies.find(choice.strategy());
  if (spec == config_.strategies.end())
    return Verdict::ignored("strategy " + choice.strategy() + " is not run by this service");
  auto it = instruments_.find(key);
  if (it == instruments_.end() || !it->second.strategies.contains(choice.strategy()))
    return Verdict::ignored("strategy " + choice.strategy() + " is not configured for " + key);
  const int64_t t = choice.trace().event_time_ns();
  if (t <= 0) return Verdict::invalid("parameter choice has no trace.event_time_ns");
  if (choice.decision_id().empty()) return Verdict::invalid("parameter choice has no decision_id");
  InstrumentState& inst = it->second;
  StrategyState& st = inst.strategies.at(choice.strategy());
  if (t <= st.last_t)
    return Verdict::ignored("choice for " + std::to_string(t) + " arrived after the signal of " +
                            std::to_string(st.last_t));
  if (st.choices.contains(t))
    return Verdict::ignored("a choice for " + std::to_string(t) + " is already waiting");
  if (st.choices.size() >= config_.max_pending_choices)
    return Verdict::overflow(std::to_string(st.choices.size()) + " choices of " +
                             choice.strategy() + " for " + key +
                             " are already waiting for their bars (max_pending_choices)");

  PendingChoice pending;
  pending.decision_id = choice.decision_id();
  pending.preset_id = choice.preset().preset_id();
  for (const auto& [name, value] : choice.preset().values()) pending.values.emplace(name, value);
  auto params = parse_params(st.algorithm, pending.preset_id, pending.values, config_.max_window);
  Verdict verdict = Verdict::applied();
  if (!params) {
    pending.error = params.error().message;
    pending.values.clear();
    verdict = Verdict::invalid(params.error().message);
  }
  st.choices.emplace(t, std::move(pending));
  advance(inst, choice.strategy(), st, out);
  drop_consumed_bars(inst);
  return verdict;
}

void SignalCore::advance(InstrumentState& inst, const std::string& strategy, StrategyState& st,
                         runtime::Outbox& out) {
  for (;;) {
    auto bar = inst.bars.upper_bound(st.last_t);
    if (bar == inst.bars.end()) return;
    auto choice = st.choices.find(bar->first);
    if (choice == st.choices.end()) return;
    emit(inst, strategy, st, bar->first, bar->second, &choice->second, out);
  }
}

void SignalCore::emit(InstrumentState& inst, const std::string& strategy, StrategyState& st,
                      int64_t t, const PendingBar& bar, const PendingChoice* choice,
                      runtime::Outbox& out) {
  if (!(bar.flags & kPoisonFlags)) {
    st.history.push_back({bar.high_e8, bar.low_e8, bar.close_e8});
    while (st.history.size() > static_cast<size_t>(config_.max_window) + 1)
      st.history.pop_front();
  }
  const View previous{st.direction, st.strength, ""};
  View view;
  if (bar.flags != 0) {
    view = {previous.direction, previous.strength,
            "bar flagged " + describe_flags(bar.flags) + ": holding previous view"};
  } else if (choice == nullptr) {
    view = {previous.direction, previous.strength,
            "no parameter choice within " + std::to_string(config_.max_pending_bars) +
                " bars: holding previous view"};
  } else if (!choice->error.empty()) {
    view = {previous.direction, previous.strength,
            "invalid " + choice->error + ": holding previous view"};
  } else {
    auto params = parse_params(st.algorithm, choice->preset_id, choice->values, config_.max_window);
    view = evaluate(*params, st.history, previous);  // validated when the choice arrived
  }

  trading::v1::Signal signal;
  signal.set_strategy(strategy);
  signal.mutable_instrument()->set_venue(inst.venue);
  signal.mutable_instrument()->set_symbol(inst.symbol);
  signal.set_direction(view.direction);
  signal.set_strength(view.strength);
  signal.set_reason(view.reason);
  if (choice) {
    signal.set_preset_id(choice->preset_id);
    signal.set_decision_id(choice->decision_id);
  }
  signal.set_bar_close_e8(bar.close_e8);
  signal.set_bar_quality_flags(bar.flags);
  auto* trace = signal.mutable_trace();
  trace->set_correlation_id(bar.correlation_id);
  trace->set_event_time_ns(t);
  if (choice) trace->set_decision_id(choice->decision_id);
  out.emit(runtime::subjects::signal(strategy, inst.symbol),
           runtime::ids::signal(strategy, inst.venue, inst.symbol, t), bar.correlation_id, signal);

  st.direction = view.direction;
  st.strength = view.strength;
  st.last_t = t;
  // Choices at or before t can never join now (their bars were refused or skipped).
  st.choices.erase(st.choices.begin(), st.choices.upper_bound(t));
}

void SignalCore::drop_consumed_bars(InstrumentState& inst) {
  int64_t done = std::numeric_limits<int64_t>::max();
  for (const auto& [name, st] : inst.strategies) done = std::min(done, st.last_t);
  inst.bars.erase(inst.bars.begin(), inst.bars.upper_bound(done));
}

void SignalCore::enforce_bar_bound(InstrumentState& inst, runtime::Outbox& out) {
  while (inst.bars.size() > config_.max_pending_bars) {
    auto oldest = inst.bars.begin();
    const int64_t t = oldest->first;
    const PendingBar bar = oldest->second;
    for (auto& [name, st] : inst.strategies) {
      if (st.last_t >= t) continue;
      emit(inst, name, st, t, bar, nullptr, out);
      advance(inst, name, st, out);
    }
    drop_consumed_bars(inst);
  }
}

size_t SignalCore::pending_bars(std::string_view instrument) const {
  auto it = instruments_.find(instrument);
  return it == instruments_.end() ? 0 : it->second.bars.size();
}

size_t SignalCore::pending_choices(std::string_view strategy, std::string_view instrument) const {
  auto it = instruments_.find(instrument);
  if (it == instruments_.end()) return 0;
  auto st = it->second.strategies.find(std::string(strategy));
  return st == it->second.strategies.end() ? 0 : st->second.choices.size();
}

// Snapshot layout (JSON, version 1):
// {"version":1,"instruments":{"<venue/symbol>":{"last_bar_t":..,
//   "bars":[[t,high,low,close,flags,corr],..],
//   "strategies":{"<id>":{"last_t":..,"direction":..,"strength":..,
//     "history":[[high,low,close],..],
//     "choices":[[t,decision_id,preset_id,{values},error],..]}}}}}
std::string SignalCore::snapshot() const {
  nlohmann::json instruments = nlohmann::json::object();
  for (const auto& [key, inst] : instruments_) {
    nlohmann::json bars = nlohmann::json::array();
    for (const auto& [t, b] : inst.bars)
      bars.push_back({t, b.high_e8, b.low_e8, b.close_e8, b.flags, b.correlation_id});
    nlohmann::json strategies = nlohmann::json::object();
    for (const auto& [name, st] : inst.strategies) {
      nlohmann::json history = nlohmann::json::array();
      for (const auto& p : st.history) history.push_back({p.high_e8, p.low_e8, p.close_e8});
      nlohmann::json choices = nlohmann::json::array();
      for (const auto& [t, c] : st.choices)
        choices.push_back({t, c.decision_id, c.preset_id, c.values, c.error});
      strategies[name] = {{"last_t", st.last_t},
                          {"direction", static_cast<int>(st.direction)},
                          {"strength", st.strength},
                          {"history", std::move(history)},
                          {"choices", std::move(choices)}};
    }
    instruments[key] = {{"last_bar_t", inst.last_bar_t},
                        {"bars", std::move(bars)},
                        {"strategies", std::move(strategies)}};
  }
  nlohmann::json doc = {{"version", 1}, {"instruments", std::move(instruments)}};
  return doc.dump();
}

Status SignalCore::restore(std::string_view snapshot) {
  try {
    auto doc = nlohmann::json::parse(snapshot);
    if (doc.at("version").get<int>() != 1)
      return make_error(ErrorCode::kDataLoss, "signal snapshot: unsupported version " +
                                                  doc.at("version").dump());
    reset_state();
    for (const auto& [key, j] : doc.at("instruments").items()) {
      auto it = instruments_.find(key);
      if (it == instruments_.end()) continue;  // no longer configured
      InstrumentState& inst = it->second;
      inst.last_bar_t = j.at("last_bar_t").get<int64_t>();
      for (const auto& b : j.at("bars"))
        inst.bars[b.at(0).get<int64_t>()] =
            PendingBar{b.at(1).get<int64_t>(), b.at(2).get<int64_t>(), b.at(3).get<int64_t>(),
                       b.at(4).get<uint32_t>(), b.at(5).get<std::string>()};
      for (const auto& [name, s] : j.at("strategies").items()) {
        auto st_it = inst.strategies.find(name);
        if (st_it == inst.strategies.end()) continue;
        StrategyState& st = st_it->second;
        st.last_t = s.at("last_t").get<int64_t>();
        st.direction = static_cast<trading::v1::Direction>(s.at("direction").get<int>());
        st.strength = s.at("strength").get<double>();
        for (const auto& p : s.at("history"))
          st.history.push_back(
              {p.at(0).get<int64_t>(), p.at(1).get<int64_t>(), p.at(2).get<int64_t>()});
        for (const auto& c : s.at("choices"))
          st.choices[c.at(0).get<int64_t>()] =
              PendingChoice{c.at(1).get<std::string>(), c.at(2).get<std::string>(),
                            c.at(3).get<std::map<std::string, double>>(),
                            c.at(4).get<std::string>()};
      }
      // A strategy added since the snapshot starts at the first bar still held.
      drop_consumed_bars(inst);
    }
    return ok();
  } catch (const std::exception& e) {
    reset_state();
    return make_error(ErrorCode::kDataLoss, std::string("signal snapshot: ") + e.what());
  }
}

}  // namespace tp::signal
