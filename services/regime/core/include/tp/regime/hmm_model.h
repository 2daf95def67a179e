// The Gaussian HMM as a regime model version (docs/services/regime-hmm.md).
// A version is immutable: fitted parameters, the feature spec they were
// fitted on, and the BULL/BEAR/CHOP label of every state. Each instrument
// gets its own FeatureStream + ForwardFilter, so a bar's posterior depends
// only on that instrument's earlier bars.
//
//   auto version = HmmModelVersion::create("hmm-3f2a...", fitted.model, spec, labels);
//   auto model = (*version)->make();
//   RegimeEstimate e = model->on_bar(bar);   // O(K^2 + K D^2) per bar
//
// Bar flags: OUTLIER and INCONSISTENT bars yield no observation (their
// prices are not trusted); ZERO_VOLUME bars are observations (an unchanged
// price is what happened), as in training.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tp/hmm/features.h"
#include "tp/hmm/gaussian_hmm.h"
#include "tp/hmm/labels.h"
#include "tp/regime/model.h"

namespace tp::regime {

// Forward-filter steps after the features are warm before an estimate is
// no longer `warming_up`, and what a hot reload primes on top of the
// features' own warm-up.
inline constexpr int64_t kHmmFilterBurnIn = 60;

class HmmModelVersion final : public RegimeModelVersion,
                              public std::enable_shared_from_this<HmmModelVersion> {
 public:
  // Validates the parameters, the spec and that there is one label per state.
  [[nodiscard]] static Result<std::shared_ptr<const HmmModelVersion>> create(
      std::string version, hmm::GaussianHmm model, hmm::FeatureSpec spec, std::vector<hmm::Regime> labels);

  std::string version() const override { return version_; }
  std::unique_ptr<RegimeModel> make() const override;
  int64_t priming_bars() const override { return spec_.warmup_bars() + kHmmFilterBurnIn; }

  const std::shared_ptr<const hmm::GaussianHmm>& model() const { return model_; }
  const hmm::FeatureSpec& spec() const { return spec_; }
  const std::vector<hmm::Regime>& labels() const { return labels_; }

  // Regime probabilities and label for a state posterior (sums states by label).
  RegimeEstimate estimate(const Eigen::VectorXd& state_posterior) const;

 private:
  HmmModelVersion(std::string version, std::shared_ptr<const hmm::GaussianHmm> model, hmm::FeatureSpec spec,
                  std::vector<hmm::Regime> labels)
      : version_(std::move(version)), model_(std::move(model)), spec_(std::move(spec)),
        labels_(std::move(labels)) {}

  std::string version_;
  std::shared_ptr<const hmm::GaussianHmm> model_;
  hmm::FeatureSpec spec_;
  std::vector<hmm::Regime> labels_;
};

// The bar as the feature code sees it (prices in quote units as doubles).
hmm::PriceBar to_price_bar(const trading::v1::Bar& bar);

}  // namespace tp::regime
