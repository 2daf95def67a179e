// Observation features for the Gaussian HMM, batch and online, from OHLCV bars.
//
//   auto bars = tp::hmm::read_ohlcv_csv("data/binance-us/BTCUSDT_1m_20230301_20230321.csv");
//   auto spec = tp::hmm::FeatureSpec::parse("logret,rvol");        // spec->names() == "logret,rvol"
//   auto x = tp::hmm::compute_features(*bars, *spec);             // x->values is T x 2
//
//   tp::hmm::FeatureStream live(*spec);                            // the online twin
//   for (const auto& bar : *bars)
//     if (auto obs = live.on_bar(bar)) use(*obs);                  // same numbers, bit for bit
//
// Features (docs/services/regime-hmm.md has the derivations). Over usable bars
// only; r_t = ln(close_t / close_prev) where close_prev is the close of the
// previous usable bar (a return spans any unusable bars and time gaps):
//   logret  r_t                                          one-bar log return, raw units
//   rvol    ln(max(sqrt((1/W) sum_{i<W} r_{t-i}^2), kRealizedVolFloor))
//                                                        W = vol_window, includes r_t
//   range   ln(high_t / low_t)                           the bar's own log range
//   trend   ln(close_t / close_{t-N}) = sum_{i<N} r_{t-i}  N = trend_window usable bars
// Each observation row belongs to one usable bar; a bar yields a row once every
// feature is defined (warmup_bars() usable bars come first without a row).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "tp/core/error.h"

namespace tp::hmm {

struct PriceBar {
  int64_t open_time_ns = 0;
  double open = 0, high = 0, low = 0, close = 0, volume = 0;
  // false: the bar's prices must not be used (a flagged bad print, an
  // inconsistent bar). It yields no observation, is skipped by every check,
  // and does not become the previous close: the next return spans it.
  bool usable = true;
};

enum class Feature { kLogReturn, kRealizedVol, kLogRange, kTrend };

// "logret", "rvol", "range", "trend".
std::string_view to_string(Feature feature);

// ln(rvol) is floored here (per-bar vol, log-return units) so that a window of
// unchanged closes (zero-volume stretch) gives ln(1e-6) = -13.8, never -inf.
inline constexpr double kRealizedVolFloor = 1e-6;

struct FeatureSpec {
  std::vector<Feature> features{Feature::kLogReturn, Feature::kRealizedVol};
  int vol_window = 30;             // returns in the realized-vol window (rvol)
  int trend_window = 720;          // returns in the trend window (trend): 12 h of 1m bars
  int max_zero_volume_run = 240;   // longer stretches of usable zero-volume bars are an error
  int64_t min_observations = 100;  // compute_features refuses fewer rows

  // "logret,rvol" (spaces around names allowed); windows keep their defaults.
  static Result<FeatureSpec> parse(std::string_view comma_list);
  std::string names() const;  // "logret,rvol"
  int dimension() const { return static_cast<int>(features.size()); }
  // Usable bars consumed before the first observation: 1 for logret, W for
  // rvol, N for trend, 0 for range; the maximum over the features.
  int warmup_bars() const;
  // Column of `feature` in the observation vector, or -1.
  int column(Feature feature) const;
  [[nodiscard]] Status validate() const;

  bool operator==(const FeatureSpec&) const = default;
};

struct FeatureMatrix {
  Eigen::MatrixXd values;             // T x D, one row per observation, columns in spec order
  std::vector<int64_t> open_time_ns;  // of the bar each row belongs to

  int64_t rows() const { return values.rows(); }
};

// Validates the bars, then runs a FeatureStream over them. Errors
// (kInvalidArgument, checked in this order; docs/services/regime-hmm.md):
//   "bar <i>: <field> is not finite"                 (usable bars only; i is 0-based)
//   "bar <i>: <field> must be positive, got <v>"     (open/high/low/close)
//   "bar <i>: volume must not be negative, got <v>"
//   "bar <i>: high <h> is below low <l>" / "bar <i>: close <c> is outside [low <l>, high <h>]"
//   "bar <i>: open time <iso> is not after the previous bar's <iso>"
//   "zero-volume stretch of <n> bars starting at <iso> exceeds max_zero_volume_run <m>"
//   "too few bars: got <n>, need at least <w + m> (<w> warm-up + <m> observations for features <names>)"
//   "too few observations: got <k> from <n> bars (<u> usable), need at least <m>"
//   "constant prices: all <u> usable closes are <c>"
// Zero-volume bars are otherwise ordinary observations (no trade, unchanged price).
Result<FeatureMatrix> compute_features(std::span<const PriceBar> bars, const FeatureSpec& spec);

// The online twin of compute_features: the same arithmetic in the same order,
// so the same bar sequence gives bit-identical observations. It does not
// validate data quality (that is the batch function's and the ingester's
// job): an unusable bar, or one with a non-finite or non-positive close, or
// whose open time is not after the last accepted bar, is skipped (nullopt,
// state untouched).
class FeatureStream {
 public:
  explicit FeatureStream(FeatureSpec spec);

  // The observation for this bar, or nullopt during warm-up / for skipped bars.
  std::optional<Eigen::VectorXd> on_bar(const PriceBar& bar);

  const FeatureSpec& spec() const { return spec_; }
  int64_t usable_bars() const { return usable_bars_; }
  bool warm() const { return usable_bars_ > spec_.warmup_bars(); }

  // Exact state as JSON text (doubles as bit patterns). restore() refuses a
  // snapshot taken with another spec (kFailedPrecondition) or a corrupt one
  // (kDataLoss) and leaves the stream untouched.
  std::string snapshot() const;
  [[nodiscard]] Status restore(std::string_view snapshot);

 private:
  FeatureSpec spec_;
  int64_t usable_bars_ = 0;
  int64_t last_open_time_ns_ = 0;
  double prev_close_ = 0;  // close of the last usable bar (when usable_bars_ > 0)
  // Ring buffers indexed by (count seen) modulo capacity: the last vol_window
  // returns (rvol) and the last trend_window + 1 closes (trend); empty when
  // the spec does not need them.
  std::vector<double> returns_;
  std::vector<double> closes_;
  int64_t returns_seen_ = 0;
  int64_t closes_seen_ = 0;
};

// Chronological split: the first floor(train_fraction * T) rows train, the
// rest validate (both must be non-empty; 0 < train_fraction < 1).
struct FeatureSplit {
  FeatureMatrix train;
  FeatureMatrix validation;
};
Result<FeatureSplit> split_chronological(const FeatureMatrix& features, double train_fraction = 0.8);

// Reads the bundled CSV format: header exactly `open_time,open,high,low,close,volume`
// (a trailing \r is tolerated), one bar per line, blank lines skipped.
// open_time: ISO-8601 "YYYY-MM-DD[ T]HH:MM:SS[.fff][Z|+HH:MM|-HH:MM]" (no
// suffix = UTC), or integer epoch seconds (|v| < 1e11) or milliseconds.
// A bar is marked usable = false (kept, not an error) if a price is <= 0,
// high < low, or close is outside [low, high]. Errors name "<path>:<line>":
// unreadable file, wrong header, wrong field count, unparseable or non-finite
// number, negative volume, bad timestamp. Outliers are not detected here.
Result<std::vector<PriceBar>> read_ohlcv_csv(const std::string& path);

// "2023-03-09T00:00:00Z" (fraction of a second appended when non-zero).
std::string format_utc(int64_t epoch_ns);

}  // namespace tp::hmm
