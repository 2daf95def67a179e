// Training a regime HMM version from bars, reproducibly: the same bars,
// spec, options and seed give the same parameters bit for bit, and so the
// same content-addressed version name.
//
//   TrainSpec spec;                                 // 3 states, logret+rvol, full, seed 1
//   spec.validation_fraction = 0.2;                 // hold out the last 20% of observations
//   auto trained = train_model(bars, spec);
//   trained->version;                               // "hmm-5d41402abc4b2a76"
//   trained->parameters_document;                   // what the registry stores
//   auto version = version_from_document(trained->version, trained->parameters_document);
//
// Validation: the model is fitted on the first (1 - validation_fraction) of
// the observations in time order and scored on the rest, which it never saw.
// With validation_fraction 0 it is fitted on everything and has no
// validation score.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tp/hmm/features.h"
#include "tp/hmm/gaussian_hmm.h"
#include "tp/hmm/labels.h"
#include "tp/regime/hmm_model.h"

namespace tp::regime {

inline constexpr std::string_view kHmmModelName = "regime-hmm";

struct TrainSpec {
  hmm::FeatureSpec features;
  hmm::FitOptions fit;
  double validation_fraction = 0.0;
};

struct TrainedModel {
  std::string version;              // "hmm-" + 16 hex of SHA-256(parameters_document)
  hmm::FeatureSpec features;
  hmm::FitResult fit;
  std::vector<hmm::Regime> labels;  // per state, in the model's canonical order
  int64_t train_observations = 0;
  int64_t validation_observations = 0;
  std::optional<double> validation_log_likelihood;
  double bic = 0;
  int64_t train_from_ns = 0;        // open time of the first and last bar used
  int64_t train_to_ns = 0;
  std::string parameters_document;  // JSON: format, model, feature_spec, labels
  std::string metrics_document;     // JSON: log-likelihoods, bic, iterations, stop reason, seed, ...
};

[[nodiscard]] Result<TrainedModel> train_model(std::span<const hmm::PriceBar> bars, const TrainSpec& spec);

// Rebuilds a version from what the registry stored.
[[nodiscard]] Result<std::shared_ptr<const HmmModelVersion>> version_from_document(
    std::string version, std::string_view parameters_document);

// "hmm-" + the first 16 hex digits of SHA-256 over the document's bytes.
std::string content_version(std::string_view parameters_document);

}  // namespace tp::regime
