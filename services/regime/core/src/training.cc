#include "tp/regime/training.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "tp/hmm/model_json.h"
#include "tp/signing/hmac.h"

namespace tp::regime {

namespace {

nlohmann::json labels_json(const std::vector<hmm::Regime>& labels) {
  auto a = nlohmann::json::array();
  for (auto l : labels) a.push_back(std::string(hmm::to_string(l)));
  return a;
}

}  // namespace

std::string content_version(std::string_view parameters_document) {
  const std::string digest = signing::sha256(parameters_document);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "hmm-";
  for (size_t i = 0; i < 8; ++i) {
    const auto b = static_cast<unsigned char>(digest[i]);
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

Result<TrainedModel> train_model(std::span<const hmm::PriceBar> bars, const TrainSpec& spec) {
  if (!(spec.validation_fraction >= 0 && spec.validation_fraction < 1))
    return make_error(ErrorCode::kInvalidArgument, "validation_fraction must be in [0, 1), got " +
                                                       std::to_string(spec.validation_fraction));
  auto features = hmm::compute_features(bars, spec.features);
  if (!features) return std::unexpected(features.error());
  hmm::FeatureMatrix train = std::move(*features);
  std::optional<hmm::FeatureMatrix> validation;
  if (spec.validation_fraction > 0) {
    auto split = hmm::split_chronological(train, 1.0 - spec.validation_fraction);
    if (!split) return std::unexpected(split.error());
    train = std::move(split->train);
    validation = std::move(split->validation);
  }
  hmm::FitOptions options = spec.fit;
  if (int c = spec.features.column(hmm::Feature::kLogReturn); c >= 0) options.order_column = c;
  auto fitted = hmm::fit(train.values, options);
  if (!fitted) return std::unexpected(fitted.error());
  auto labels = hmm::label_states(fitted->model, spec.features);
  if (!labels) return std::unexpected(labels.error());

  TrainedModel t;
  t.features = spec.features;
  t.fit = std::move(*fitted);
  t.labels = std::move(*labels);
  t.train_observations = train.rows();
  t.train_from_ns = train.open_time_ns.front();
  t.train_to_ns = train.open_time_ns.back();
  t.bic = hmm::bic(t.fit.report.log_likelihood, t.fit.model.free_parameters(), t.train_observations);
  if (validation) {
    auto ll = hmm::log_likelihood(t.fit.model, validation->values);
    if (!ll) return std::unexpected(ll.error());
    t.validation_log_likelihood = *ll;
    t.validation_observations = validation->rows();
  }

  nlohmann::json parameters;
  parameters["format"] = 1;
  parameters["model"] = nlohmann::json::parse(hmm::model_to_json(t.fit.model));
  parameters["feature_spec"] = nlohmann::json::parse(hmm::feature_spec_to_json(t.features));
  parameters["labels"] = labels_json(t.labels);
  t.parameters_document = parameters.dump();
  t.version = content_version(t.parameters_document);

  const auto& r = t.fit.report;
  nlohmann::json metrics;
  metrics["train_log_likelihood"] = r.log_likelihood;
  metrics["train_observations"] = t.train_observations;
  metrics["validation_log_likelihood"] =
      t.validation_log_likelihood ? nlohmann::json(*t.validation_log_likelihood) : nlohmann::json();
  metrics["validation_observations"] = t.validation_observations;
  metrics["bic"] = t.bic;
  metrics["iterations"] = r.iterations;
  metrics["converged"] = r.stop == hmm::StopReason::kConverged;
  metrics["stop_reason"] = std::string(hmm::to_string(r.stop));
  metrics["seed"] = options.seed;
  metrics["restarts"] = options.restarts;
  metrics["restart_log_likelihoods"] = r.restart_log_likelihoods;
  metrics["best_restart"] = r.best_restart;
  t.metrics_document = metrics.dump();
  return t;
}

Result<std::shared_ptr<const HmmModelVersion>> version_from_document(std::string version,
                                                                     std::string_view document) {
  try {
    const auto j = nlohmann::json::parse(document);
    if (j.at("format").get<int>() != 1)
      return make_error(ErrorCode::kDataLoss, "model " + version + ": unknown parameters format");
    auto model = hmm::model_from_json(j.at("model").dump());
    if (!model) return make_error(ErrorCode::kDataLoss, "model " + version + ": " + model.error().message);
    auto spec = hmm::feature_spec_from_json(j.at("feature_spec").dump());
    if (!spec) return make_error(ErrorCode::kDataLoss, "model " + version + ": " + spec.error().message);
    std::vector<hmm::Regime> labels;
    for (const auto& l : j.at("labels")) {
      auto label = hmm::parse_regime(l.get<std::string>());
      if (!label) return make_error(ErrorCode::kDataLoss, "model " + version + ": " + label.error().message);
      labels.push_back(*label);
    }
    return HmmModelVersion::create(std::move(version), std::move(*model), std::move(*spec), std::move(labels));
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kDataLoss, "model " + version + ": parameters are unreadable: " + e.what());
  }
}

}  // namespace tp::regime
