// Regime models: per-instrument, causal (forward-only) estimators that turn
// one bar at a time into bull/bear/chop probabilities. RegimeCore only talks
// to these interfaces:
//   RegimeModelVersion  one immutable model version (its parameters); makes
//                       per-instrument RegimeModel instances
//   RegimeModel         the causal state of one instrument under that version
// Two versions exist: the Gaussian HMM of the registry (hmm_model.h) and the
// "ewma-v1" rule below, the fallback while no HMM has been promoted.
//
//   auto version = std::make_shared<EwmaModelVersion>(EwmaConfig{});
//   std::unique_ptr<RegimeModel> model = version->make();
//   RegimeEstimate e = model->on_bar(bar);        // trading::v1::Bar
//   std::string saved = model->snapshot();         // restore(saved) reproduces it bit for bit
//
// Single-threaded: a model belongs to one core. Versions are immutable and
// may be shared across threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tp/core/error.h"
#include "trading/v1/market_data.pb.h"
#include "trading/v1/regime.pb.h"

namespace tp::regime {

struct RegimeEstimate {
  double p_bull = 0;
  double p_bear = 0;
  double p_chop = 0;
  trading::v1::RegimeLabel most_likely = trading::v1::REGIME_UNSPECIFIED;
  bool warming_up = true;
  double realized_vol = 0;
  double trend = 0;
};

class RegimeModel {
 public:
  virtual ~RegimeModel() = default;
  // Registry version written into every posterior, e.g. "ewma-v1".
  virtual std::string version() const = 0;
  // The estimate for this bar. The model decides which quality flags make a
  // bar's prices untrusted (then the state is left untouched and the
  // estimate of the previous state is returned).
  virtual RegimeEstimate on_bar(const trading::v1::Bar& bar) = 0;
  // Exact state, as text (bit patterns of the doubles, so nothing rounds).
  virtual std::string snapshot() const = 0;
  [[nodiscard]] virtual Status restore(std::string_view snapshot) = 0;
};

class RegimeModelVersion {
 public:
  virtual ~RegimeModelVersion() = default;
  virtual std::string version() const = 0;
  virtual std::unique_ptr<RegimeModel> make() const = 0;
  // Bars of history a fresh instance needs before its estimates are warm;
  // on a hot reload the core replays this many retained bars into it.
  virtual int64_t priming_bars() const = 0;
};

using ModelVersionPtr = std::shared_ptr<const RegimeModelVersion>;
// Finds a version by name (the registry in the service, a map in tests).
using ModelLoader = std::function<Result<ModelVersionPtr>(std::string_view version)>;

// The "ewma-v1" rule (docs/services/regime.md):
//   r_t     = ln(close_t / close_prev)        over trusted bars only
//   trend_t = (1 - a_t) trend + a_t r_t        a_t = 1 - 2^(-1 / trend_half_life_bars)
//   var_t   = (1 - a_v) var   + a_v r_t^2      a_v = 1 - 2^(-1 / vol_half_life_bars)
//   vol_t   = sqrt(var_t)                     (realized_vol, per bar, log units)
//   z_t     = trend_t / (vol_t * sqrt(a_t / (2 - a_t)))   (0 when vol_t = 0)
//   (p_bull, p_bear, p_chop) = softmax(k z, -k z, k c)    k = sharpness, c = chop_threshold
// warming_up until warmup_bars returns have been applied.
struct EwmaConfig {
  double trend_half_life_bars = 240;
  double vol_half_life_bars = 240;
  int64_t warmup_bars = 240;
  double sharpness = 2.0;
  double chop_threshold = 0.5;
};

[[nodiscard]] Status validate(const EwmaConfig& config);

class EwmaRegimeModel final : public RegimeModel {
 public:
  static constexpr std::string_view kVersion = "ewma-v1";
  explicit EwmaRegimeModel(EwmaConfig config);

  std::string version() const override { return std::string(kVersion); }
  // Bars flagged ZERO_VOLUME, OUTLIER or INCONSISTENT do not update it.
  RegimeEstimate on_bar(const trading::v1::Bar& bar) override;
  RegimeEstimate on_close(int64_t close_e8, bool update);
  std::string snapshot() const override;
  [[nodiscard]] Status restore(std::string_view snapshot) override;

 private:
  RegimeEstimate estimate() const;

  EwmaConfig config_;
  double alpha_trend_;
  double alpha_vol_;
  double trend_ = 0;
  double variance_ = 0;
  std::optional<int64_t> previous_close_e8_;
  int64_t returns_ = 0;
};

class EwmaModelVersion final : public RegimeModelVersion {
 public:
  explicit EwmaModelVersion(EwmaConfig config) : config_(config) {}
  std::string version() const override { return std::string(EwmaRegimeModel::kVersion); }
  std::unique_ptr<RegimeModel> make() const override { return std::make_unique<EwmaRegimeModel>(config_); }
  int64_t priming_bars() const override { return config_.warmup_bars + 1; }

 private:
  EwmaConfig config_;
};

// Maps probabilities to the label: argmax, ties resolved CHOP, BULL, BEAR.
trading::v1::RegimeLabel most_likely(double p_bull, double p_bear, double p_chop);

}  // namespace tp::regime
