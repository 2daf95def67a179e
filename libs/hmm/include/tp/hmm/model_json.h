// JSON for models, feature specs and the `regime train --json` report.
//
//   std::string text = tp::hmm::model_to_json(fitted.model);
//   auto model = tp::hmm::model_from_json(text);          // bit-identical doubles
//   std::string report = tp::hmm::train_report_json(fitted, spec, labels, options);
//   auto again = tp::hmm::model_from_json(report);        // a train report is also a model document
//
// Doubles are written in the shortest form that reads back to the same bits
// (nlohmann::json), so model_to_json(model_from_json(s)) == s. Model document:
//   {"covariance_type": "full"|"diagonal", "states": K, "dimension": D,
//    "start": [K], "transition": [[K] x K], "means": [[D] x K],
//    "covariances": [[[D] x D] x K]}
// Feature spec document:
//   {"features": ["logret", "rvol"], "vol_window": 30, "trend_window": 720,
//    "max_zero_volume_run": 240, "min_observations": 100}
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tp/core/error.h"
#include "tp/hmm/features.h"
#include "tp/hmm/gaussian_hmm.h"
#include "tp/hmm/labels.h"

namespace tp::hmm {

// indent < 0: one line; otherwise pretty-printed with that many spaces.
std::string model_to_json(const GaussianHmm& model, int indent = -1);
// Reads a model document (extra fields are ignored) and validates it.
// Errors: kInvalidArgument naming the missing or malformed field.
Result<GaussianHmm> model_from_json(std::string_view text);

std::string feature_spec_to_json(const FeatureSpec& spec, int indent = -1);
// Missing window fields take their defaults; "features" is required.
Result<FeatureSpec> feature_spec_from_json(std::string_view text);

// The `regime train --json` document: the model fields above plus
//   "features" (names), "feature_spec" (object), "log_likelihood",
//   "observations", "iterations", "converged", "stop_reason", "labels",
//   "bic", "seed", "restarts", "restart_log_likelihoods".
std::string train_report_json(const FitResult& result, const FeatureSpec& spec, const std::vector<Regime>& labels,
                              const FitOptions& options, int indent = 2);

}  // namespace tp::hmm
