#include "paramctl/core/lints_chooser.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "paramctl/core/pg_arrays.h"
#include "tp/bandit/random.h"

namespace tp::paramctl {
namespace {

using trading::v1::BanditContext;

std::vector<double> row_major(const Eigen::MatrixXd& m) {
  std::vector<double> out;
  out.reserve(static_cast<size_t>(m.size()));
  for (Eigen::Index i = 0; i < m.rows(); ++i)
    for (Eigen::Index j = 0; j < m.cols(); ++j) out.push_back(m(i, j));
  return out;
}

std::vector<double> to_vector(const Eigen::VectorXd& v) { return {v.data(), v.data() + v.size()}; }

}  // namespace

Result<std::unique_ptr<LinTsPresetChooser>> LinTsPresetChooser::create(
    LinTsChooserConfig config, std::vector<std::string> names) {
  config.model.dimension = static_cast<int>(names.size());
  auto prior = bandit::LinTs::create(config.model);
  if (!prior) return std::unexpected(prior.error());
  bandit::StandardizerOptions standardize;
  standardize.dimension = config.model.dimension;
  standardize.clip = config.standardize_clip;
  standardize.min_observations = config.standardize_min_observations;
  for (size_t j = 0; j < names.size(); ++j)
    if (names[j] == "bias") standardize.passthrough.push_back(static_cast<int>(j));
  auto s = bandit::Standardizer::create(standardize);
  if (!s) return std::unexpected(s.error());
  return std::unique_ptr<LinTsPresetChooser>(new LinTsPresetChooser(
      std::move(config), std::move(names), standardize, Model{std::move(*s), std::move(*prior)}));
}

LinTsPresetChooser::LinTsPresetChooser(LinTsChooserConfig config, std::vector<std::string> names,
                                       bandit::StandardizerOptions standardize, Model prior)
    : config_(std::move(config)),
      names_(std::move(names)),
      standardize_(std::move(standardize)),
      prior_(std::move(prior)) {}

std::string LinTsPresetChooser::key(std::string_view strategy, std::string_view venue,
                                    std::string_view symbol) const {
  if (config_.pool_instruments) return std::string(strategy) + "|*";
  return std::string(strategy) + "|" + std::string(venue) + "/" + std::string(symbol);
}

const bandit::LinTs* LinTsPresetChooser::model(const std::string& key) const {
  auto it = models_.find(key);
  return it == models_.end() ? nullptr : &it->second.lints;
}

const bandit::Standardizer* LinTsPresetChooser::standardizer(const std::string& key) const {
  auto it = models_.find(key);
  return it == models_.end() ? nullptr : &it->second.standardizer;
}

LinTsPresetChooser::Model& LinTsPresetChooser::model_for(const std::string& key) {
  auto it = models_.find(key);
  if (it == models_.end()) it = models_.emplace(key, prior_).first;
  return it->second;
}

void LinTsPresetChooser::touch(const std::string& key) {
  if (written_) {
    dirty_.clear();
    written_ = false;
  }
  dirty_.insert(key);
}

std::vector<double> LinTsPresetChooser::raw_of(const BanditContext& context) const {
  std::vector<double> raw(names_.size(), 0.0);
  for (size_t j = 0; j < raw.size() && static_cast<int>(j) < context.raw_size(); ++j)
    raw[j] = context.raw(static_cast<int>(j));
  return raw;
}

ChooserPick LinTsPresetChooser::choose(const ChooserRequest& request) const {
  auto it = models_.find(key(request.strategy, request.venue, request.symbol));
  const Model& m = it == models_.end() ? prior_ : it->second;
  ChooserPick pick;
  pick.standardized = m.standardizer.standardize(raw_of(request.context));
  bandit::Rng rng(bandit::mix_seed(request.seed, config_.seed));
  bool any = false;
  for (const auto* preset : request.candidates) {
    const int arm = m.lints.find_arm(preset->preset_id());
    const double score = m.lints.sample_score(arm, pick.standardized, rng);
    if (!any || score > pick.score) {
      pick.preset_id = preset->preset_id();
      pick.score = score;
      any = true;
    }
  }
  return pick;
}

void LinTsPresetChooser::observe(std::string_view strategy, std::string_view venue,
                                 std::string_view symbol, const BanditContext& context) {
  const std::string k = key(strategy, venue, symbol);
  model_for(k).standardizer.observe(raw_of(context));
  touch(k);
}

void LinTsPresetChooser::learn(std::string_view strategy, std::string_view venue,
                               std::string_view symbol, std::string_view preset_id,
                               const BanditContext& context, double reward) {
  const std::string k = key(strategy, venue, symbol);
  Model& m = model_for(k);
  std::vector<double> z;
  if (context.standardized_size() == static_cast<int>(names_.size()))
    z.assign(context.standardized().begin(), context.standardized().end());
  else
    z = m.standardizer.standardize(raw_of(context));
  const int arm = m.lints.add_arm(std::string(preset_id));
  // Only a non-finite value can fail, and ParamCore rejects those before.
  if (m.lints.learn(arm, z, reward)) touch(k);
}

void LinTsPresetChooser::describe(std::string_view strategy, std::string_view venue,
                                  std::string_view symbol, std::string_view preset_id,
                                  trading::v1::ArmPosterior& out) const {
  if (!config_.pool_instruments && venue.empty() && symbol.empty()) return;
  auto it = models_.find(key(strategy, venue, symbol));
  const bandit::LinTs& lints = it == models_.end() ? prior_.lints : it->second.lints;
  const int arm = lints.find_arm(preset_id);
  out.clear_mean();
  out.clear_stddev();
  if (arm < 0) {
    const double sd = lints.exploration() / std::sqrt(config_.model.lambda);
    for (size_t j = 0; j < names_.size(); ++j) {
      out.add_mean(0.0);
      out.add_stddev(sd);
    }
    return;
  }
  for (double v : lints.mean(arm)) out.add_mean(v);
  for (double v : lints.stddev(arm)) out.add_stddev(v);
}

std::string LinTsPresetChooser::snapshot() const {
  nlohmann::json models = nlohmann::json::object();
  for (const auto& [k, m] : models_)
    models[k] = {{"standardizer", nlohmann::json::parse(m.standardizer.snapshot())},
                 {"lints", nlohmann::json::parse(m.lints.snapshot())}};
  return nlohmann::json{{"version", 1}, {"models", std::move(models)}}.dump();
}

Status LinTsPresetChooser::restore(std::string_view snapshot) {
  std::map<std::string, Model> models;
  if (!snapshot.empty()) {
    auto doc = nlohmann::json::parse(snapshot, nullptr, false);
    if (!doc.is_object() || !doc.contains("models") || !doc["models"].is_object())
      return make_error(ErrorCode::kDataLoss, "lints chooser snapshot: not a LinTS chooser snapshot");
    if (doc.value("version", 0) != 1)
      return make_error(ErrorCode::kDataLoss, "lints chooser snapshot: unsupported version");
    for (const auto& [k, j] : doc["models"].items()) {
      if (!j.contains("standardizer") || !j.contains("lints"))
        return make_error(ErrorCode::kDataLoss, "lints chooser snapshot: model " + k + " is incomplete");
      auto s = bandit::Standardizer::restore(j["standardizer"].dump(), standardize_);
      if (!s) return make_error(s.error().code, "model " + k + ": " + s.error().message);
      auto l = bandit::LinTs::restore(j["lints"].dump(), config_.model);
      if (!l) return make_error(l.error().code, "model " + k + ": " + l.error().message);
      models.emplace(k, Model{std::move(*s), std::move(*l)});
    }
  }
  models_ = std::move(models);
  // The tables are rewritten from the restored state at the next persist().
  dirty_.clear();
  written_ = false;
  for (const auto& [k, m] : models_) dirty_.insert(k);
  return ok();
}

Status LinTsPresetChooser::persist(pqxx::work& tx) {
  written_ = true;
  const std::string names = pg_text_array(names_);
  const int d = static_cast<int>(names_.size());
  for (const auto& k : dirty_) {
    auto it = models_.find(k);
    if (it == models_.end()) continue;
    const Model& m = it->second;
    const auto bar = k.find('|');
    const std::string strategy = k.substr(0, bar);
    std::string venue = "*", symbol = "*";
    if (k.compare(bar + 1, std::string::npos, "*") != 0) {
      const auto slash = k.find('/', bar);
      venue = k.substr(bar + 1, slash - bar - 1);
      symbol = k.substr(slash + 1);
    }
    std::vector<int64_t> counts;
    std::vector<double> means, stddevs, m2s;
    for (int j = 0; j < d; ++j) {
      counts.push_back(m.standardizer.count(j));
      means.push_back(m.standardizer.mean(j));
      stddevs.push_back(m.standardizer.stddev(j));
      m2s.push_back(m.standardizer.m2(j));
    }
    std::string v_eff;
    append_pg_double(v_eff, m.lints.exploration());
    std::string count_text = "{";
    for (size_t j = 0; j < counts.size(); ++j) count_text += (j ? "," : "") + std::to_string(counts[j]);
    count_text += "}";
    tx.exec_params(
        "INSERT INTO paramctl_bandit_features (strategy, venue, symbol, feature_names, "
        "observations, mean, stddev, m2, rewards_learned, v_effective) "
        "VALUES ($1, $2, $3, $4::text[], $5::bigint[], $6::float8[], $7::float8[], $8::float8[], "
        "$9, $10::float8) "
        "ON CONFLICT (strategy, venue, symbol) DO UPDATE SET feature_names = EXCLUDED.feature_names, "
        "observations = EXCLUDED.observations, mean = EXCLUDED.mean, stddev = EXCLUDED.stddev, "
        "m2 = EXCLUDED.m2, rewards_learned = EXCLUDED.rewards_learned, "
        "v_effective = EXCLUDED.v_effective, updated_at = now()",
        strategy, venue, symbol, names, count_text, pg_float_array(means),
        pg_float_array(stddevs), pg_float_array(m2s),
        static_cast<int64_t>(m.lints.rewards_learned()), v_eff);
    for (int a = 0; a < m.lints.arms(); ++a) {
      const auto& arm = m.lints.arm(a);
      std::string reward_sum;
      append_pg_double(reward_sum, arm.reward_sum);
      tx.exec_params(
          "INSERT INTO paramctl_bandit_arms (strategy, venue, symbol, preset_id, feature_names, "
          "rewards_learned, reward_sum, mean, stddev, b, f, cholesky, v_effective) "
          "VALUES ($1, $2, $3, $4, $5::text[], $6, $7::float8, $8::float8[], $9::float8[], "
          "$10::float8[], $11::float8[], $12::float8[], $13::float8) "
          "ON CONFLICT (strategy, venue, symbol, preset_id) DO UPDATE SET "
          "feature_names = EXCLUDED.feature_names, rewards_learned = EXCLUDED.rewards_learned, "
          "reward_sum = EXCLUDED.reward_sum, mean = EXCLUDED.mean, stddev = EXCLUDED.stddev, "
          "b = EXCLUDED.b, f = EXCLUDED.f, cholesky = EXCLUDED.cholesky, "
          "v_effective = EXCLUDED.v_effective, updated_at = now()",
          strategy, venue, symbol, arm.id, names, static_cast<int64_t>(arm.rewards), reward_sum,
          pg_float_array(to_vector(m.lints.mean(a))), pg_float_array(to_vector(m.lints.stddev(a))),
          pg_float_matrix(row_major(m.lints.b_matrix(a)), static_cast<size_t>(d)),
          pg_float_array(arm.f),
          pg_float_matrix(row_major(m.lints.l_matrix(a)), static_cast<size_t>(d)), v_eff);
    }
  }
  return ok();
}

}  // namespace tp::paramctl
