#include "tp/hmm/model_json.h"

#include <nlohmann/json.hpp>

namespace tp::hmm {

namespace {

using nlohmann::json;

json model_object(const GaussianHmm& m) {
  json j;
  j["covariance_type"] = std::string(to_string(m.covariance));
  j["states"] = m.states();
  j["dimension"] = m.dimension();
  json start = json::array();
  for (int k = 0; k < m.start.size(); ++k) start.push_back(m.start[k]);
  j["start"] = std::move(start);
  json transition = json::array();
  for (int i = 0; i < m.transition.rows(); ++i) {
    json row = json::array();
    for (int k = 0; k < m.transition.cols(); ++k) row.push_back(m.transition(i, k));
    transition.push_back(std::move(row));
  }
  j["transition"] = std::move(transition);
  json means = json::array();
  for (const auto& mu : m.means) {
    json row = json::array();
    for (int d = 0; d < mu.size(); ++d) row.push_back(mu[d]);
    means.push_back(std::move(row));
  }
  j["means"] = std::move(means);
  json covs = json::array();
  for (const auto& c : m.covariances) {
    json mat = json::array();
    for (int i = 0; i < c.rows(); ++i) {
      json row = json::array();
      for (int k = 0; k < c.cols(); ++k) row.push_back(c(i, k));
      mat.push_back(std::move(row));
    }
    covs.push_back(std::move(mat));
  }
  j["covariances"] = std::move(covs);
  return j;
}

json spec_object(const FeatureSpec& s) {
  json j;
  json names = json::array();
  for (Feature f : s.features) names.push_back(std::string(to_string(f)));
  j["features"] = std::move(names);
  j["vol_window"] = s.vol_window;
  j["trend_window"] = s.trend_window;
  j["max_zero_volume_run"] = s.max_zero_volume_run;
  j["min_observations"] = s.min_observations;
  return j;
}

std::string dump(const json& j, int indent) { return j.dump(indent < 0 ? -1 : indent); }

Error bad(std::string m) { return Error{ErrorCode::kInvalidArgument, std::move(m)}; }

// Reads a number array of exactly n entries.
Result<Eigen::VectorXd> vector_field(const json& j, const std::string& where, int n) {
  if (!j.is_array() || static_cast<int>(j.size()) != n)
    return std::unexpected(bad(where + " must be an array of " + std::to_string(n) + " numbers"));
  Eigen::VectorXd v(n);
  for (int i = 0; i < n; ++i) {
    if (!j[static_cast<size_t>(i)].is_number())
      return std::unexpected(bad(where + "[" + std::to_string(i) + "] is not a number"));
    v[i] = j[static_cast<size_t>(i)].get<double>();
  }
  return v;
}

Result<Eigen::MatrixXd> matrix_field(const json& j, const std::string& where, int rows, int cols) {
  if (!j.is_array() || static_cast<int>(j.size()) != rows)
    return std::unexpected(bad(where + " must be an array of " + std::to_string(rows) + " rows"));
  Eigen::MatrixXd m(rows, cols);
  for (int i = 0; i < rows; ++i) {
    auto row = vector_field(j[static_cast<size_t>(i)], where + "[" + std::to_string(i) + "]", cols);
    if (!row) return std::unexpected(row.error());
    m.row(i) = row->transpose();
  }
  return m;
}

Result<FeatureSpec> spec_from_object(const json& j) {
  if (!j.is_object()) return std::unexpected(bad("feature spec must be a JSON object"));
  if (!j.contains("features") || !j["features"].is_array())
    return std::unexpected(bad("feature spec: 'features' must be an array of names"));
  std::string list;
  for (const auto& f : j["features"]) {
    if (!f.is_string()) return std::unexpected(bad("feature spec: 'features' must be an array of names"));
    if (!list.empty()) list += ',';
    list += f.get<std::string>();
  }
  auto spec = FeatureSpec::parse(list);
  if (!spec) return std::unexpected(bad("feature spec: " + spec.error().message));
  auto read_int = [&](const char* key, auto& target) -> Status {
    if (!j.contains(key)) return ok();
    if (!j[key].is_number_integer())
      return make_error(ErrorCode::kInvalidArgument, std::string("feature spec: '") + key + "' must be an integer");
    target = j[key].get<std::remove_reference_t<decltype(target)>>();
    return ok();
  };
  for (auto st : {read_int("vol_window", spec->vol_window), read_int("trend_window", spec->trend_window),
                  read_int("max_zero_volume_run", spec->max_zero_volume_run),
                  read_int("min_observations", spec->min_observations)})
    if (!st) return std::unexpected(st.error());
  if (auto v = spec->validate(); !v) return std::unexpected(bad("feature spec: " + v.error().message));
  return spec;
}

}  // namespace

std::string model_to_json(const GaussianHmm& model, int indent) { return dump(model_object(model), indent); }

Result<GaussianHmm> model_from_json(std::string_view text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const std::exception& e) {
    return std::unexpected(bad(std::string("model JSON does not parse: ") + e.what()));
  }
  if (!j.is_object()) return std::unexpected(bad("model JSON must be an object"));
  for (const char* key : {"covariance_type", "states", "dimension", "start", "transition", "means", "covariances"})
    if (!j.contains(key)) return std::unexpected(bad(std::string("model JSON lacks '") + key + "'"));
  if (!j["covariance_type"].is_string()) return std::unexpected(bad("model JSON: 'covariance_type' must be a string"));
  auto type = parse_covariance_type(j["covariance_type"].get<std::string>());
  if (!type) return std::unexpected(bad("model JSON: " + type.error().message));
  if (!j["states"].is_number_integer() || !j["dimension"].is_number_integer())
    return std::unexpected(bad("model JSON: 'states' and 'dimension' must be integers"));
  const int64_t K64 = j["states"].get<int64_t>(), D64 = j["dimension"].get<int64_t>();
  if (K64 < 1 || K64 > 64 || D64 < 1 || D64 > 64)
    return std::unexpected(bad("model JSON: states and dimension must be in [1, 64]"));
  const int K = static_cast<int>(K64), D = static_cast<int>(D64);
  GaussianHmm m;
  m.covariance = *type;
  auto start = vector_field(j["start"], "start", K);
  if (!start) return std::unexpected(start.error());
  m.start = *start;
  auto transition = matrix_field(j["transition"], "transition", K, K);
  if (!transition) return std::unexpected(transition.error());
  m.transition = *transition;
  if (!j["means"].is_array() || static_cast<int>(j["means"].size()) != K)
    return std::unexpected(bad("means must be an array of " + std::to_string(K) + " vectors"));
  if (!j["covariances"].is_array() || static_cast<int>(j["covariances"].size()) != K)
    return std::unexpected(bad("covariances must be an array of " + std::to_string(K) + " matrices"));
  for (int k = 0; k < K; ++k) {
    auto mu = vector_field(j["means"][static_cast<size_t>(k)], "means[" + std::to_string(k) + "]", D);
    if (!mu) return std::unexpected(mu.error());
    auto c = matrix_field(j["covariances"][static_cast<size_t>(k)], "covariances[" + std::to_string(k) + "]", D, D);
    if (!c) return std::unexpected(c.error());
    m.means.push_back(*mu);
    m.covariances.push_back(*c);
  }
  if (auto v = m.validate(); !v) return std::unexpected(bad("model JSON: " + v.error().message));
  return m;
}

std::string feature_spec_to_json(const FeatureSpec& spec, int indent) { return dump(spec_object(spec), indent); }

Result<FeatureSpec> feature_spec_from_json(std::string_view text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const std::exception& e) {
    return std::unexpected(bad(std::string("feature spec JSON does not parse: ") + e.what()));
  }
  return spec_from_object(j);
}

std::string train_report_json(const FitResult& result, const FeatureSpec& spec, const std::vector<Regime>& labels,
                              const FitOptions& options, int indent) {
  const FitReport& r = result.report;
  json j = model_object(result.model);
  json names = json::array();
  for (Feature f : spec.features) names.push_back(std::string(to_string(f)));
  j["features"] = std::move(names);
  j["feature_spec"] = spec_object(spec);
  j["log_likelihood"] = r.log_likelihood;
  j["observations"] = r.observations;
  j["iterations"] = r.iterations;
  j["converged"] = r.stop == StopReason::kConverged;
  j["stop_reason"] = std::string(to_string(r.stop));
  json label_names = json::array();
  for (Regime g : labels) label_names.push_back(std::string(to_string(g)));
  j["labels"] = std::move(label_names);
  j["bic"] = bic(r.log_likelihood, result.model.free_parameters(), r.observations);
  j["seed"] = options.seed;
  j["restarts"] = options.restarts;
  j["restart_log_likelihoods"] = r.restart_log_likelihoods;
  j["best_restart"] = r.best_restart;
  j["tolerance"] = options.tolerance;
  j["max_iterations"] = options.max_iterations;
  j["covariance_floor"] = options.covariance_floor;
  j["transition_pseudocount"] = options.transition_pseudocount;
  return dump(j, indent);
}

}  // namespace tp::hmm
