#include "tp/regime/hmm_model.h"

#include <bit>
#include <nlohmann/json.hpp>

namespace tp::regime {

namespace {

constexpr double kE8 = 1e8;

class HmmRegimeModel final : public RegimeModel {
 public:
  explicit HmmRegimeModel(std::shared_ptr<const HmmModelVersion> version)
      : version_(std::move(version)), features_(version_->spec()), filter_(version_->model()) {}

  std::string version() const override { return version_->version(); }

  RegimeEstimate on_bar(const trading::v1::Bar& bar) override {
    if (auto observation = features_.on_bar(to_price_bar(bar))) {
      filter_.update(*observation);
      last_observation_ = std::move(*observation);
    }
    RegimeEstimate e = version_->estimate(filter_.posterior());
    e.warming_up = filter_.steps() < kHmmFilterBurnIn;
    const auto& spec = version_->spec();
    if (last_observation_.size() == spec.dimension()) {
      if (int c = spec.column(hmm::Feature::kRealizedVol); c >= 0) e.realized_vol = last_observation_[c];
      int t = spec.column(hmm::Feature::kTrend);
      if (t < 0) t = spec.column(hmm::Feature::kLogReturn);
      if (t >= 0) e.trend = last_observation_[t];
    }
    return e;
  }

  std::string snapshot() const override {
    nlohmann::json j;
    j["features"] = features_.snapshot();
    j["filter"] = filter_.snapshot();
    std::vector<double> last(last_observation_.data(), last_observation_.data() + last_observation_.size());
    std::vector<uint64_t> bits;
    for (double v : last) bits.push_back(std::bit_cast<uint64_t>(v));
    j["last_observation_bits"] = bits;
    return j.dump();
  }

  Status restore(std::string_view snapshot) override {
    try {
      const auto j = nlohmann::json::parse(snapshot);
      hmm::FeatureStream features(version_->spec());
      if (auto s = features.restore(j.at("features").get<std::string>()); !s) return s;
      hmm::ForwardFilter filter(version_->model());
      if (auto s = filter.restore(j.at("filter").get<std::string>()); !s) return s;
      const auto bits = j.at("last_observation_bits").get<std::vector<uint64_t>>();
      Eigen::VectorXd last(static_cast<Eigen::Index>(bits.size()));
      for (size_t i = 0; i < bits.size(); ++i) last[static_cast<Eigen::Index>(i)] = std::bit_cast<double>(bits[i]);
      features_ = std::move(features);
      filter_ = std::move(filter);
      last_observation_ = std::move(last);
      return ok();
    } catch (const std::exception& e) {
      return make_error(ErrorCode::kDataLoss,
                        "regime model " + version_->version() + " snapshot is unreadable: " + e.what());
    }
  }

 private:
  std::shared_ptr<const HmmModelVersion> version_;
  hmm::FeatureStream features_;
  hmm::ForwardFilter filter_;
  Eigen::VectorXd last_observation_;
};

}  // namespace

hmm::PriceBar to_price_bar(const trading::v1::Bar& bar) {
  constexpr uint32_t kUntrusted = trading::v1::BAR_QUALITY_OUTLIER | trading::v1::BAR_QUALITY_INCONSISTENT;
  hmm::PriceBar p;
  p.open_time_ns = bar.open_time_ns();
  p.open = static_cast<double>(bar.open_e8()) / kE8;
  p.high = static_cast<double>(bar.high_e8()) / kE8;
  p.low = static_cast<double>(bar.low_e8()) / kE8;
  p.close = static_cast<double>(bar.close_e8()) / kE8;
  p.volume = static_cast<double>(bar.volume_e8()) / kE8;
  p.usable = (bar.quality_flags() & kUntrusted) == 0;
  return p;
}

Result<std::shared_ptr<const HmmModelVersion>> HmmModelVersion::create(std::string version,
                                                                        hmm::GaussianHmm model,
                                                                        hmm::FeatureSpec spec,
                                                                        std::vector<hmm::Regime> labels) {
  if (version.empty()) return make_error(ErrorCode::kInvalidArgument, "model version is empty");
  if (auto s = model.validate(); !s) return std::unexpected(s.error());
  if (auto s = spec.validate(); !s) return std::unexpected(s.error());
  if (model.dimension() != spec.dimension())
    return make_error(ErrorCode::kInvalidArgument,
                      "model " + version + " has dimension " + std::to_string(model.dimension()) +
                          " but its features '" + spec.names() + "' have " + std::to_string(spec.dimension()));
  if (static_cast<int>(labels.size()) != model.states())
    return make_error(ErrorCode::kInvalidArgument,
                      "model " + version + " has " + std::to_string(model.states()) + " states but " +
                          std::to_string(labels.size()) + " labels");
  return std::shared_ptr<const HmmModelVersion>(new HmmModelVersion(
      std::move(version), std::make_shared<const hmm::GaussianHmm>(std::move(model)), std::move(spec),
      std::move(labels)));
}

std::unique_ptr<RegimeModel> HmmModelVersion::make() const {
  // The instance keeps its version alive.
  return std::make_unique<HmmRegimeModel>(shared_from_this());
}

RegimeEstimate HmmModelVersion::estimate(const Eigen::VectorXd& posterior) const {
  const hmm::RegimeProbabilities p = hmm::regime_probabilities(posterior, labels_);
  RegimeEstimate e;
  e.p_bull = p.bull;
  e.p_bear = p.bear;
  e.p_chop = p.chop;
  e.most_likely = most_likely(e.p_bull, e.p_bear, e.p_chop);
  return e;
}

}  // namespace tp::regime
