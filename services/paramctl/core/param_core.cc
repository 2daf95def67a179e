#include "paramctl/core/param_core.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "paramctl/core/pg_arrays.h"
#include "tp/runtime/topology.h"
#include "tp/signing/hmac.h"

namespace tp::paramctl {
namespace {

using trading::v1::BanditContext;
using trading::v1::ParameterPreset;

std::string instrument_key(std::string_view venue, std::string_view symbol) {
  return std::string(venue) + "/" + std::string(symbol);
}

std::string epoch_key(std::string_view strategy, std::string_view instrument) {
  return std::string(strategy) + "|" + std::string(instrument);
}

std::string arm_key(std::string_view strategy, std::string_view instrument,
                    std::string_view preset_id) {
  return epoch_key(strategy, instrument) + "|" + std::string(preset_id);
}

// FNV-1a: a seed that is the same on every platform and run.
uint64_t seed_of(std::string_view text) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

// A copy whose map was filled in key order, so equal presets are built alike.
ParameterPreset canonical(const ParameterPreset& p) {
  ParameterPreset out;
  out.set_preset_id(p.preset_id());
  out.set_strategy(p.strategy());
  std::map<std::string, double> sorted(p.values().begin(), p.values().end());
  for (const auto& [k, v] : sorted) (*out.mutable_values())[k] = v;
  out.set_description(p.description());
  out.set_enabled(p.enabled());
  return out;
}

nlohmann::json preset_to_json(const ParameterPreset& p) {
  std::map<std::string, double> values(p.values().begin(), p.values().end());
  return {{"id", p.preset_id()},         {"strategy", p.strategy()}, {"values", values},
          {"description", p.description()}, {"enabled", p.enabled()}};
}

ParameterPreset preset_from_json(const nlohmann::json& j) {
  ParameterPreset p;
  p.set_preset_id(j.at("id").get<std::string>());
  p.set_strategy(j.at("strategy").get<std::string>());
  for (const auto& [k, v] : j.at("values").get<std::map<std::string, double>>())
    (*p.mutable_values())[k] = v;
  p.set_description(j.at("description").get<std::string>());
  p.set_enabled(j.at("enabled").get<bool>());
  return p;
}

nlohmann::json context_to_json(const BanditContext& c) {
  nlohmann::json j = {{"names", std::vector<std::string>(c.names().begin(), c.names().end())},
                      {"raw", std::vector<double>(c.raw().begin(), c.raw().end())}};
  if (c.standardized_size() > 0)
    j["standardized"] = std::vector<double>(c.standardized().begin(), c.standardized().end());
  return j;
}

BanditContext context_from_json(const nlohmann::json& j) {
  BanditContext c;
  for (const auto& n : j.at("names")) c.add_names(n.get<std::string>());
  for (const auto& v : j.at("raw")) c.add_raw(v.get<double>());
  if (j.contains("standardized"))
    for (const auto& v : j.at("standardized")) c.add_standardized(v.get<double>());
  return c;
}

bool has_bad_char(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) {
    return c == '.' || c <= 0x20 || c == 0x7f;
  });
}

}  // namespace

const std::vector<std::string>& context_feature_names() {
  static const std::vector<std::string> kNames = {"p_bull",       "p_bear", "p_chop",
                                                  "realized_vol", "trend",  "bias"};
  return kNames;
}

std::string decision_id(std::string_view strategy, std::string_view venue, std::string_view symbol,
                        int64_t event_time_ns) {
  return "d:" + std::string(strategy) + ":" + std::string(venue) + ":" + std::string(symbol) +
         ":" + std::to_string(event_time_ns / kNanosPerSecond);
}

std::string context_json(const BanditContext& context) {
  nlohmann::json j = nlohmann::json::object();
  for (int i = 0; i < context.names_size() && i < context.raw_size(); ++i)
    j[context.names(i)] = context.raw(i);  // non-finite values become null
  return j.dump();
}

ParamCore::ParamCore(ParamCoreConfig config, std::unique_ptr<PresetChooser> chooser)
    : config_(std::move(config)), chooser_(std::move(chooser)) {}

// ---------------------------------------------------------------- catalogue

void ParamCore::load_presets(const std::vector<ParameterPreset>& presets) {
  std::lock_guard lock(mu_);
  presets_.clear();
  for (const auto& p : presets) presets_[p.preset_id()] = canonical(p);
}

Status ParamCore::check_preset(const ParameterPreset& p) const {
  auto bad = [](std::string text) { return make_error(ErrorCode::kInvalidArgument, std::move(text)); };
  if (p.preset_id().empty()) return bad("preset_id is required");
  if (has_bad_char(p.preset_id()))
    return bad("preset_id \"" + p.preset_id() + "\" must not contain '.' or whitespace");
  if (p.strategy().empty()) return bad("strategy is required");
  if (!runtime::valid_subject_token(p.strategy()))
    return bad("strategy \"" + p.strategy() + "\" is not a valid subject token");
  std::map<std::string, double> sorted(p.values().begin(), p.values().end());
  for (const auto& [name, v] : sorted)
    if (!std::isfinite(v))
      return bad("preset \"" + p.preset_id() + "\": value \"" + name + "\" must be finite");
  std::lock_guard lock(mu_);
  auto it = presets_.find(p.preset_id());
  if (it != presets_.end() && it->second.strategy() != p.strategy())
    return bad("preset \"" + p.preset_id() + "\" belongs to strategy \"" + it->second.strategy() +
               "\", not \"" + p.strategy() + "\"");
  if (!p.enabled() && it != presets_.end() && it->second.enabled() &&
      config_.strategies.contains(p.strategy()) && enabled_presets(p.strategy()).size() == 1)
    return bad("preset \"" + p.preset_id() + "\" is the last enabled preset of strategy \"" +
               p.strategy() + "\"; enable another first");
  return ok();
}

bool ParamCore::upsert_preset(const ParameterPreset& preset) {
  std::lock_guard lock(mu_);
  const bool created = !presets_.contains(preset.preset_id());
  presets_[preset.preset_id()] = canonical(preset);
  return created;
}

std::vector<ParameterPreset> ParamCore::list_presets(std::string_view strategy) const {
  std::lock_guard lock(mu_);
  std::vector<ParameterPreset> out;
  for (const auto& [id, p] : presets_)
    if (strategy.empty() || p.strategy() == strategy) out.push_back(p);
  return out;
}

std::vector<std::string> ParamCore::strategies_without_enabled_preset() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, s] : config_.strategies)
    if (enabled_presets(name).empty()) out.push_back(name);
  return out;
}

bool ParamCore::strategy_configured(std::string_view strategy) const {
  return config_.strategies.contains(std::string(strategy));
}

std::vector<const ParameterPreset*> ParamCore::enabled_presets(std::string_view strategy) const {
  std::vector<const ParameterPreset*> out;
  for (const auto& [id, p] : presets_)
    if (p.enabled() && p.strategy() == strategy) out.push_back(&p);
  return out;
}

// ---------------------------------------------------------------- streams

void ParamCore::start_new_rows() {
  if (!pending_written_) return;
  pending_decisions_.clear();
  pending_outcomes_.clear();
  pending_written_ = false;
}

void ParamCore::remember_decision(const std::string& id, DecisionRef ref) {
  if (decisions_.emplace(id, std::move(ref)).second) decision_order_.push_back(id);
  while (decision_order_.size() > config_.remembered_decisions) {
    decisions_.erase(decision_order_.front());
    decision_order_.pop_front();
  }
}

bool ParamCore::trades(const std::string& strategy, const std::string& instrument) const {
  auto it = config_.strategies.find(strategy);
  return it != config_.strategies.end() &&
         std::find(it->second.instruments.begin(), it->second.instruments.end(), instrument) !=
             it->second.instruments.end();
}

std::vector<const std::string*> ParamCore::strategies_of(const std::string& instrument) const {
  std::vector<const std::string*> out;
  for (const auto& [name, s] : config_.strategies)
    if (trades(name, instrument)) out.push_back(&name);
  return out;
}

bool ParamCore::epoch_starts(const std::string& strategy, const std::string& instrument) const {
  auto it = epochs_.find(epoch_key(strategy, instrument));
  return it == epochs_.end() || it->second.decision_id.empty() ||
         it->second.bars >= config_.strategies.at(strategy).decision_interval_bars;
}

Verdict ParamCore::on_regime(const trading::v1::RegimePosterior& posterior,
                             std::string_view correlation_id, runtime::Outbox& out) {
  std::lock_guard lock(mu_);
  const auto& venue = posterior.instrument().venue();
  const auto& symbol = posterior.instrument().symbol();
  if (!runtime::valid_subject_token(venue) || !runtime::valid_subject_token(symbol))
    return Verdict::invalid("regime posterior has an invalid instrument \"" + venue + "/" +
                            symbol + "\"");
  const int64_t t = posterior.trace().event_time_ns();
  if (t <= 0) return Verdict::invalid("regime posterior has no trace.event_time_ns");
  if (posterior.timeframe() != config_.timeframe)
    return Verdict::ignored("timeframe " + posterior.timeframe() + " is not " + config_.timeframe);
  const std::string inst = instrument_key(venue, symbol);
  if (strategies_of(inst).empty()) return Verdict::ignored("no strategy is configured for " + inst);
  int64_t& last = last_t_[inst];
  if (t <= last)
    return Verdict::ignored("regime posterior at " + std::to_string(t) +
                            " is not after the last one at " + std::to_string(last));
  last = t;
  std::string correlation(correlation_id);
  if (correlation.empty()) correlation = posterior.trace().correlation_id();
  if (!config_.event_time_learning) {
    process(posterior, inst, correlation, out);
    return Verdict::applied();
  }
  held_.push_back({inst, posterior, std::move(correlation)});
  release(out);
  return Verdict::applied();
}

std::string ParamCore::blocked(const std::string& instrument) const {
  auto prev = processed_t_.find(instrument);
  if (prev == processed_t_.end()) return "";  // the first bar: nothing was decided before
  for (const std::string* strategy : strategies_of(instrument)) {
    if (!epoch_starts(*strategy, instrument)) continue;
    const std::string key = epoch_key(*strategy, instrument);
    auto b = books_.find(key);
    if (b == books_.end() || b->second.position_t < prev->second)
      return key + ": execsim's position at " + std::to_string(prev->second) + " (latest " +
             std::to_string(b == books_.end() ? 0 : b->second.position_t) + ")";
    const BookWatermark& w = b->second;
    uint64_t have = w.learned;
    for (const auto& q : w.queued) have += q.closed_time_ns <= w.position_t;
    if (have < w.outcomes_total)
      return key + ": outcomes through " + std::to_string(w.position_t) + " (" +
             std::to_string(have) + " of " + std::to_string(w.outcomes_total) + ")";
  }
  return "";
}

void ParamCore::release(runtime::Outbox& out) {
  while (!held_.empty() && blocked(held_.front().instrument).empty()) {
    const HeldPosterior h = std::move(held_.front());
    held_.pop_front();
    process(h.posterior, h.instrument, h.correlation_id, out);
  }
}

void ParamCore::process(const trading::v1::RegimePosterior& posterior,
                        const std::string& inst, const std::string& correlation,
                        runtime::Outbox& out) {
  const auto& venue = posterior.instrument().venue();
  const auto& symbol = posterior.instrument().symbol();
  const int64_t t = posterior.trace().event_time_ns();
  const auto prev = processed_t_.find(inst);
  const int64_t prev_t = prev == processed_t_.end() ? 0 : prev->second;
  processed_t_[inst] = t;
  BanditContext context;
  for (const auto& n : context_feature_names()) context.add_names(n);
  for (double v : {posterior.p_bull(), posterior.p_bear(), posterior.p_chop(),
                   posterior.realized_vol(), posterior.trend(), 1.0})
    context.add_raw(v);

  for (const std::string* strategy : strategies_of(inst)) {
    const StrategySettings& settings = config_.strategies.at(*strategy);
    const std::string key = epoch_key(*strategy, inst);
    if (epoch_starts(*strategy, inst)) {
      auto candidates = enabled_presets(*strategy);
      if (candidates.empty()) continue;  // prevented by check_preset and the start-up check
      if (config_.event_time_learning) learn_book(key, prev_t);
      const std::string id = decision_id(*strategy, venue, symbol, t);
      ChooserPick pick = chooser_->choose({.strategy = *strategy, .venue = venue,
                                           .symbol = symbol, .context = context,
                                           .candidates = candidates,
                                           .default_preset = settings.default_preset,
                                           .seed = seed_of(id)});
      BanditContext decided = context;
      for (double z : pick.standardized) decided.add_standardized(z);
      epochs_[key] = Epoch{id, t, 0, presets_.at(pick.preset_id), decided, pick.score};
      arms_[arm_key(*strategy, inst, pick.preset_id)].pulls++;
      remember_decision(id, {*strategy, inst, pick.preset_id, decided, t});
      start_new_rows();
      pending_decisions_.push_back({id, *strategy, venue, symbol, pick.preset_id,
                                    context_json(context), t, pick.standardized});
    }
    Epoch& epoch = epochs_[key];
    epoch.bars++;
    // The standardiser sees every bar, after the bar's decision (so a
    // decision is standardised with the statistics of the bars before it).
    chooser_->observe(*strategy, venue, symbol, context);

    trading::v1::ParameterChoice choice;
    choice.set_decision_id(epoch.decision_id);
    choice.set_strategy(*strategy);
    choice.mutable_instrument()->set_venue(venue);
    choice.mutable_instrument()->set_symbol(symbol);
    *choice.mutable_preset() = epoch.preset;
    *choice.mutable_context() = epoch.context;
    choice.set_sampled_score(epoch.score);
    choice.mutable_trace()->set_correlation_id(correlation);
    choice.mutable_trace()->set_event_time_ns(t);
    choice.mutable_trace()->set_decision_id(epoch.decision_id);
    out.emit(runtime::subjects::param_choice(*strategy, symbol),
             runtime::ids::param_choice(*strategy, venue, symbol, t), correlation, choice);
  }
}

void ParamCore::learn_book(const std::string& book, int64_t through_t) {
  auto b = books_.find(book);
  if (b == books_.end()) return;
  auto& queued = b->second.queued;
  auto later = std::stable_partition(queued.begin(), queued.end(), [&](const QueuedOutcome& q) {
    return q.closed_time_ns <= through_t;
  });
  std::sort(queued.begin(), later, [](const QueuedOutcome& a, const QueuedOutcome& b) {
    return std::tie(a.closed_time_ns, a.id) < std::tie(b.closed_time_ns, b.id);
  });
  for (auto it = queued.begin(); it != later; ++it)
    learn_one(it->decision_id, it->closed_time_ns, it->reward);
  b->second.learned += static_cast<uint64_t>(later - queued.begin());
  queued.erase(queued.begin(), later);
}

void ParamCore::learn_one(const std::string& decision_id, int64_t closed_time_ns, double reward) {
  auto ref = decisions_.find(decision_id);
  if (ref == decisions_.end()) return;  // not remembered: recorded, never learned
  const DecisionRef& d = ref->second;
  if (config_.max_reward_delay_ns > 0 && d.event_time_ns > 0 &&
      closed_time_ns - d.event_time_ns > config_.max_reward_delay_ns)
    return;  // too late to learn from; still recorded
  ArmStats& arm = arms_[arm_key(d.strategy, d.instrument, d.preset_id)];
  arm.rewards_seen++;
  arm.reward_sum += reward;
  auto slash = d.instrument.find('/');
  chooser_->learn(d.strategy, d.instrument.substr(0, slash), d.instrument.substr(slash + 1),
                  d.preset_id, d.context, reward);
}

Verdict ParamCore::on_outcome(const trading::v1::Outcome& outcome, runtime::Outbox& out,
                              std::string_view message_id) {
  std::lock_guard lock(mu_);
  if (outcome.decision_id().empty()) return Verdict::invalid("outcome has no decision_id");
  if (outcome.closed_time_ns() <= 0) return Verdict::invalid("outcome has no closed_time_ns");
  if (!std::isfinite(outcome.reward())) return Verdict::invalid("outcome reward must be finite");
  const std::string key =
      message_id.empty()
          ? outcome.decision_id() + "|" + std::to_string(outcome.closed_time_ns())
          : std::string(message_id);
  if (outcome_keys_.contains(key))
    return Verdict::ignored("outcome " + key + " was already recorded");
  outcome_keys_.emplace(key, 0);
  outcome_order_.push_back(key);
  while (outcome_order_.size() > config_.remembered_outcomes) {
    outcome_keys_.erase(outcome_order_.front());
    outcome_order_.pop_front();
  }
  start_new_rows();
  pending_outcomes_.push_back({key, outcome.decision_id(), outcome.realized_pnl_e8(),
                               outcome.fees_e8(), outcome.notional_e8(), outcome.reward(),
                               outcome.closed_time_ns()});
  const std::string inst =
      instrument_key(outcome.instrument().venue(), outcome.instrument().symbol());
  if (!config_.event_time_learning || !trades(outcome.strategy(), inst)) {
    learn_one(outcome.decision_id(), outcome.closed_time_ns(), outcome.reward());
    return Verdict::applied();
  }
  books_[epoch_key(outcome.strategy(), inst)].queued.push_back(
      {key, outcome.decision_id(), outcome.closed_time_ns(), outcome.reward()});
  release(out);
  return Verdict::applied();
}

Verdict ParamCore::on_position(const trading::v1::Position& position, runtime::Outbox& out) {
  std::lock_guard lock(mu_);
  if (!config_.event_time_learning) return Verdict::ignored("event-time learning is off");
  if (position.strategy().empty()) return Verdict::ignored("account position (no strategy)");
  const int64_t t = position.trace().event_time_ns();
  if (t <= 0) return Verdict::invalid("position has no trace.event_time_ns");
  const std::string inst =
      instrument_key(position.instrument().venue(), position.instrument().symbol());
  if (!trades(position.strategy(), inst))
    return Verdict::ignored("strategy " + position.strategy() + " is not configured for " + inst);
  BookWatermark& w = books_[epoch_key(position.strategy(), inst)];
  if (t <= w.position_t)
    return Verdict::ignored("position at " + std::to_string(t) + " is not after " +
                            std::to_string(w.position_t));
  w.position_t = t;
  w.outcomes_total = position.outcomes_total();
  release(out);
  return Verdict::applied();
}

size_t ParamCore::waiting_posteriors() const {
  std::lock_guard lock(mu_);
  return held_.size();
}

std::string ParamCore::waiting_for() const {
  std::lock_guard lock(mu_);
  return held_.empty() ? "" : blocked(held_.front().instrument);
}

bool ParamCore::learn_external(const ExternalReward& r) {
  std::lock_guard lock(mu_);
  if (r.seq <= external_seq_) return false;
  external_seq_ = r.seq;
  if (!std::isfinite(r.reward)) return false;
  const std::string inst = instrument_key(r.venue, r.symbol);
  ArmStats& arm = arms_[arm_key(r.strategy, inst, r.preset_id)];
  arm.rewards_seen++;
  arm.reward_sum += r.reward;
  chooser_->learn(r.strategy, r.venue, r.symbol, r.preset_id, r.context, r.reward);
  return true;
}

int64_t ParamCore::external_seq() const {
  std::lock_guard lock(mu_);
  return external_seq_;
}

bool ParamCore::external_catch_up(uint64_t* generation) const {
  std::lock_guard lock(mu_);
  if (generation) *generation = generation_;
  return catch_up_;
}

void ParamCore::external_caught_up(uint64_t generation) {
  std::lock_guard lock(mu_);
  if (generation == generation_) catch_up_ = false;
}

// ---------------------------------------------------------------- queries

Result<trading::v1::ParameterChoice> ParamCore::select(std::string_view strategy,
                                                       const trading::v1::Instrument& instrument,
                                                       const BanditContext& context,
                                                       int64_t event_time_ns,
                                                       std::string_view id) const {
  std::lock_guard lock(mu_);
  auto s = config_.strategies.find(std::string(strategy));
  if (s == config_.strategies.end())
    return make_error(ErrorCode::kNotFound,
                      "strategy \"" + std::string(strategy) + "\" is not configured");
  const std::string inst = instrument_key(instrument.venue(), instrument.symbol());
  if (std::find(s->second.instruments.begin(), s->second.instruments.end(), inst) ==
      s->second.instruments.end())
    return make_error(ErrorCode::kNotFound, "strategy \"" + std::string(strategy) +
                                                "\" is not configured for " + inst);
  const auto& names = context_feature_names();
  BanditContext ctx;
  for (const auto& n : names) ctx.add_names(n);
  if (context.names_size() > 0 &&
      !std::equal(context.names().begin(), context.names().end(), names.begin(), names.end()))
    return make_error(ErrorCode::kInvalidArgument,
                      "context names must be p_bull, p_bear, p_chop, realized_vol, trend, bias");
  if (context.raw_size() != static_cast<int>(names.size()))
    return make_error(ErrorCode::kInvalidArgument,
                      "context needs " + std::to_string(names.size()) + " raw values, got " +
                          std::to_string(context.raw_size()));
  for (double v : context.raw()) ctx.add_raw(v);
  auto candidates = enabled_presets(strategy);
  if (candidates.empty())
    return make_error(ErrorCode::kFailedPrecondition,
                      "strategy \"" + std::string(strategy) + "\" has no enabled preset");
  ChooserPick pick = chooser_->choose({.strategy = strategy, .venue = instrument.venue(),
                                       .symbol = instrument.symbol(), .context = ctx,
                                       .candidates = candidates,
                                       .default_preset = s->second.default_preset,
                                       .seed = seed_of(id)});
  for (double z : pick.standardized) ctx.add_standardized(z);
  trading::v1::ParameterChoice choice;
  choice.set_decision_id(std::string(id));
  choice.set_strategy(std::string(strategy));
  *choice.mutable_instrument() = instrument;
  *choice.mutable_preset() = presets_.at(pick.preset_id);
  *choice.mutable_context() = ctx;
  choice.set_sampled_score(pick.score);
  choice.mutable_trace()->set_event_time_ns(event_time_ns);
  choice.mutable_trace()->set_decision_id(std::string(id));
  return choice;
}

Result<trading::v1::InspectResponse> ParamCore::inspect(
    std::string_view strategy, const trading::v1::Instrument& instrument) const {
  std::lock_guard lock(mu_);
  if (strategy.empty()) return make_error(ErrorCode::kInvalidArgument, "strategy is required");
  const bool all = instrument.venue().empty() && instrument.symbol().empty();
  const std::string inst = instrument_key(instrument.venue(), instrument.symbol());
  // The posterior shown: the requested instrument's, or the only one's.
  std::string venue = instrument.venue(), symbol = instrument.symbol();
  if (auto s = config_.strategies.find(std::string(strategy));
      all && s != config_.strategies.end() && s->second.instruments.size() == 1) {
    const auto& only = s->second.instruments.front();
    venue = only.substr(0, only.find('/'));
    symbol = only.substr(only.find('/') + 1);
  }
  trading::v1::InspectResponse response;
  for (const auto& n : context_feature_names()) response.add_feature_names(n);
  bool known = config_.strategies.contains(std::string(strategy));
  for (const auto& [id, p] : presets_) {
    if (p.strategy() != strategy) continue;
    known = true;
    ArmStats total;
    for (const auto& [key, arm] : arms_) {
      // key = strategy|venue/symbol|preset_id
      const auto first = key.find('|');
      const auto last = key.rfind('|');
      if (key.substr(0, first) != strategy || key.substr(last + 1) != id) continue;
      if (!all && key.substr(first + 1, last - first - 1) != inst) continue;
      total.pulls += arm.pulls;
      total.rewards_seen += arm.rewards_seen;
    }
    auto* a = response.add_arms();
    a->set_preset_id(id);
    a->set_pulls(total.pulls);
    a->set_rewards_seen(total.rewards_seen);
    chooser_->describe(strategy, venue, symbol, id, *a);
  }
  if (!known)
    return make_error(ErrorCode::kNotFound, "strategy \"" + std::string(strategy) + "\" is unknown");
  return response;
}

// ---------------------------------------------------------------- checkpoint

std::string ParamCore::snapshot() const {
  std::lock_guard lock(mu_);
  nlohmann::json epochs = nlohmann::json::object();
  for (const auto& [key, e] : epochs_)
    epochs[key] = {{"decision_id", e.decision_id}, {"start_t", e.start_t},
                   {"bars", e.bars},               {"preset", preset_to_json(e.preset)},
                   {"context", context_to_json(e.context)}, {"score", e.score}};
  nlohmann::json arms = nlohmann::json::object();
  for (const auto& [key, a] : arms_)
    arms[key] = {a.pulls, a.rewards_seen, a.reward_sum};
  nlohmann::json decisions = nlohmann::json::array();
  for (const auto& id : decision_order_) {
    const auto& d = decisions_.at(id);
    decisions.push_back(
        {id, d.strategy, d.instrument, d.preset_id, context_to_json(d.context), d.event_time_ns});
  }
  nlohmann::json books = nlohmann::json::object();
  for (const auto& [key, w] : books_) {
    nlohmann::json queued = nlohmann::json::array();
    for (const auto& q : w.queued) queued.push_back({q.id, q.decision_id, q.closed_time_ns, q.reward});
    books[key] = {{"position_t", w.position_t},
                  {"outcomes_total", w.outcomes_total},
                  {"learned", w.learned},
                  {"queued", std::move(queued)}};
  }
  nlohmann::json held = nlohmann::json::array();
  for (const auto& h : held_)
    held.push_back({h.instrument, signing::to_hex(h.posterior.SerializeAsString()), h.correlation_id});
  nlohmann::json doc = {{"version", 1},
                        {"last_t", last_t_},
                        {"processed_t", processed_t_},
                        {"books", std::move(books)},
                        {"held", std::move(held)},
                        {"epochs", std::move(epochs)},
                        {"arms", std::move(arms)},
                        {"decisions", std::move(decisions)},
                        {"outcomes", outcome_order_},
                        {"external_seq", external_seq_},
                        {"chooser", chooser_->snapshot()}};
  return doc.dump();
}

Status ParamCore::restore(std::string_view snapshot) {
  std::lock_guard lock(mu_);
  try {
    auto doc = nlohmann::json::parse(snapshot);
    if (doc.at("version").get<int>() != 1)
      return make_error(ErrorCode::kDataLoss,
                        "paramctl snapshot: unsupported version " + doc.at("version").dump());
    auto last_t = doc.at("last_t").get<std::map<std::string, int64_t>>();
    std::map<std::string, Epoch> epochs;
    for (const auto& [key, e] : doc.at("epochs").items())
      epochs[key] = Epoch{e.at("decision_id").get<std::string>(), e.at("start_t").get<int64_t>(),
                          e.at("bars").get<int64_t>(), preset_from_json(e.at("preset")),
                          context_from_json(e.at("context")), e.at("score").get<double>()};
    std::map<std::string, ArmStats> arms;
    for (const auto& [key, a] : doc.at("arms").items())
      arms[key] = {a.at(0).get<uint64_t>(), a.at(1).get<uint64_t>(), a.at(2).get<double>()};
    std::map<std::string, DecisionRef> decisions;
    std::deque<std::string> decision_order;
    for (const auto& d : doc.at("decisions")) {
      const auto id = d.at(0).get<std::string>();
      decisions[id] = {d.at(1).get<std::string>(), d.at(2).get<std::string>(),
                       d.at(3).get<std::string>(), context_from_json(d.at(4)),
                       d.size() > 5 ? d.at(5).get<int64_t>() : 0};
      decision_order.push_back(id);
    }
    std::map<std::string, int> outcome_keys;
    std::deque<std::string> outcome_order;
    for (const auto& k : doc.at("outcomes")) {
      outcome_keys.emplace(k.get<std::string>(), 0);
      outcome_order.push_back(k.get<std::string>());
    }
    const int64_t external_seq = doc.value("external_seq", int64_t{0});
    // Absent in snapshots from before event-time learning: nothing was held back.
    auto processed_t = doc.contains("processed_t")
                           ? doc.at("processed_t").get<std::map<std::string, int64_t>>()
                           : last_t;
    std::map<std::string, BookWatermark> books;
    if (doc.contains("books"))
      for (const auto& [key, b] : doc.at("books").items()) {
        BookWatermark w{b.at("position_t").get<int64_t>(), b.at("outcomes_total").get<uint64_t>(),
                        b.at("learned").get<uint64_t>(), {}};
        for (const auto& q : b.at("queued"))
          w.queued.push_back({q.at(0).get<std::string>(), q.at(1).get<std::string>(),
                              q.at(2).get<int64_t>(), q.at(3).get<double>()});
        books[key] = std::move(w);
      }
    std::deque<HeldPosterior> held;
    if (doc.contains("held"))
      for (const auto& h : doc.at("held")) {
        HeldPosterior p;
        p.instrument = h.at(0).get<std::string>();
        auto bytes = signing::from_hex(h.at(1).get<std::string>());
        if (!bytes || !p.posterior.ParseFromString(*bytes))
          return make_error(ErrorCode::kDataLoss,
                            "paramctl snapshot: undecodable held posterior of " + p.instrument);
        p.correlation_id = h.at(2).get<std::string>();
        held.push_back(std::move(p));
      }
    if (auto s = chooser_->restore(doc.at("chooser").get<std::string>()); !s)
      return make_error(s.error().code, "paramctl snapshot: " + s.error().message);
    last_t_ = std::move(last_t);
    processed_t_ = std::move(processed_t);
    books_ = std::move(books);
    held_ = std::move(held);
    epochs_ = std::move(epochs);
    arms_ = std::move(arms);
    decisions_ = std::move(decisions);
    decision_order_ = std::move(decision_order);
    outcome_keys_ = std::move(outcome_keys);
    outcome_order_ = std::move(outcome_order);
    external_seq_ = external_seq;
    catch_up_ = true;
    ++generation_;
    return ok();
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kDataLoss, std::string("paramctl snapshot: ") + e.what());
  }
}

Status ParamCore::persist(pqxx::work& tx) {
  std::lock_guard lock(mu_);
  // Re-run safe: a retried transaction writes the same rows again.
  pending_written_ = true;
  for (const auto& d : pending_decisions_) {
    const char* standardized = nullptr;
    std::string text;
    if (!d.standardized.empty()) {
      text = pg_float_array(d.standardized);
      standardized = text.c_str();
    }
    tx.exec_params(
        "INSERT INTO paramctl_decisions (decision_id, strategy, venue, symbol, preset_id, "
        "context, event_time_ns, standardized) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, "
        "$8::float8[]) ON CONFLICT (decision_id) DO NOTHING",
        d.decision_id, d.strategy, d.venue, d.symbol, d.preset_id, d.context_json,
        d.event_time_ns, standardized);
  }
  for (const auto& o : pending_outcomes_)
    tx.exec_params(
        "INSERT INTO paramctl_outcomes (outcome_id, decision_id, realized_pnl_e8, fees_e8, "
        "notional_e8, reward, closed_time_ns) VALUES ($1, $2, $3, $4, $5, $6, $7) "
        "ON CONFLICT (outcome_id) DO NOTHING",
        o.outcome_id, o.decision_id, o.realized_pnl_e8, o.fees_e8, o.notional_e8, o.reward,
        o.closed_time_ns);
  return chooser_->persist(tx);
}

void ParamCore::discard_pending() {
  std::lock_guard lock(mu_);
  pending_decisions_.clear();
  pending_outcomes_.clear();
  pending_written_ = false;
}

std::vector<DecisionRow> ParamCore::pending_decisions() const {
  std::lock_guard lock(mu_);
  return pending_written_ ? std::vector<DecisionRow>{} : pending_decisions_;
}

std::vector<OutcomeRow> ParamCore::pending_outcomes() const {
  std::lock_guard lock(mu_);
  return pending_written_ ? std::vector<OutcomeRow>{} : pending_outcomes_;
}

}  // namespace tp::paramctl
