#include "tp/hmm/features.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "internal.h"

namespace tp::hmm {

namespace {

using detail::fmt;

constexpr Feature kAllFeatures[] = {Feature::kLogReturn, Feature::kRealizedVol, Feature::kLogRange,
                                    Feature::kTrend};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool has(const FeatureSpec& spec, Feature f) {
  return std::find(spec.features.begin(), spec.features.end(), f) != spec.features.end();
}

// Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

Error invalid(std::string message) { return Error{ErrorCode::kInvalidArgument, std::move(message)}; }

}  // namespace

std::string format_utc(int64_t epoch_ns) {
  int64_t secs = epoch_ns / 1'000'000'000;
  int64_t frac = epoch_ns % 1'000'000'000;
  if (frac < 0) {
    frac += 1'000'000'000;
    secs -= 1;
  }
  int64_t days = secs / 86400;
  int64_t sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    days -= 1;
  }
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d", static_cast<long long>(y), m, d,
                        static_cast<int>(sod / 3600), static_cast<int>(sod / 60 % 60), static_cast<int>(sod % 60));
  std::string out(buf, static_cast<size_t>(n));
  if (frac != 0) {
    std::snprintf(buf, sizeof buf, ".%09lld", static_cast<long long>(frac));
    std::string f(buf);
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  out += 'Z';
  return out;
}

namespace detail {
// Shared with csv.cc.
int64_t epoch_days(int64_t y, unsigned m, unsigned d) { return days_from_civil(y, m, d); }
}  // namespace detail

std::string_view to_string(Feature feature) {
  switch (feature) {
    case Feature::kLogReturn: return "logret";
    case Feature::kRealizedVol: return "rvol";
    case Feature::kLogRange: return "range";
    case Feature::kTrend: return "trend";
  }
  return "unknown";
}

Result<FeatureSpec> FeatureSpec::parse(std::string_view comma_list) {
  FeatureSpec spec;
  spec.features.clear();
  std::string_view rest = comma_list;
  while (true) {
    const size_t comma = rest.find(',');
    const std::string_view name = trim(rest.substr(0, comma));
    if (name.empty())
      return std::unexpected(invalid("feature list '" + std::string(comma_list) +
                                     "' has an empty name (expected e.g. \"logret,rvol\")"));
    bool found = false;
    for (Feature f : kAllFeatures) {
      if (to_string(f) != name) continue;
      if (has(spec, f))
        return std::unexpected(invalid("feature '" + std::string(name) + "' is listed twice"));
      spec.features.push_back(f);
      found = true;
    }
    if (!found)
      return std::unexpected(
          invalid("unknown feature '" + std::string(name) + "' (known: logret, rvol, range, trend)"));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return spec;
}

std::string FeatureSpec::names() const {
  std::string out;
  for (Feature f : features) {
    if (!out.empty()) out += ',';
    out += to_string(f);
  }
  return out;
}

int FeatureSpec::warmup_bars() const {
  int w = 0;
  for (Feature f : features) {
    switch (f) {
      case Feature::kLogReturn: w = std::max(w, 1); break;
      case Feature::kRealizedVol: w = std::max(w, vol_window); break;
      case Feature::kLogRange: break;
      case Feature::kTrend: w = std::max(w, trend_window); break;
    }
  }
  return w;
}

int FeatureSpec::column(Feature feature) const {
  for (size_t i = 0; i < features.size(); ++i)
    if (features[i] == feature) return static_cast<int>(i);
  return -1;
}

Status FeatureSpec::validate() const {
  if (features.empty()) return make_error(ErrorCode::kInvalidArgument, "feature spec has no features");
  for (size_t i = 0; i < features.size(); ++i)
    for (size_t j = i + 1; j < features.size(); ++j)
      if (features[i] == features[j])
        return make_error(ErrorCode::kInvalidArgument,
                          "feature '" + std::string(to_string(features[i])) + "' is listed twice");
  if (vol_window < 1) return make_error(ErrorCode::kInvalidArgument, "vol_window must be >= 1, got " + std::to_string(vol_window));
  if (trend_window < 1)
    return make_error(ErrorCode::kInvalidArgument, "trend_window must be >= 1, got " + std::to_string(trend_window));
  if (max_zero_volume_run < 0)
    return make_error(ErrorCode::kInvalidArgument,
                      "max_zero_volume_run must be >= 0, got " + std::to_string(max_zero_volume_run));
  if (min_observations < 1)
    return make_error(ErrorCode::kInvalidArgument,
                      "min_observations must be >= 1, got " + std::to_string(min_observations));
  return ok();
}

// ---------------------------------------------------------------------------
// FeatureStream

FeatureStream::FeatureStream(FeatureSpec spec) : spec_(std::move(spec)) {
  if (has(spec_, Feature::kRealizedVol)) returns_.assign(static_cast<size_t>(std::max(spec_.vol_window, 1)), 0.0);
  if (has(spec_, Feature::kTrend)) closes_.assign(static_cast<size_t>(spec_.trend_window) + 1, 0.0);
}

std::optional<Eigen::VectorXd> FeatureStream::on_bar(const PriceBar& bar) {
  if (!bar.usable || !std::isfinite(bar.close) || !(bar.close > 0)) return std::nullopt;
  if (usable_bars_ > 0 && bar.open_time_ns <= last_open_time_ns_) return std::nullopt;
  const bool need_range = has(spec_, Feature::kLogRange);
  if (need_range && !(std::isfinite(bar.high) && std::isfinite(bar.low) && bar.low > 0 && bar.high > 0))
    return std::nullopt;

  // prev close = the newest entry of the close history; kept in closes_ when
  // trend is on, else in the single slot below.
  double r = 0;
  const bool have_prev = usable_bars_ > 0;
  if (have_prev) r = std::log(bar.close / prev_close_);
  if (have_prev && !returns_.empty()) {
    returns_[static_cast<size_t>(returns_seen_ % static_cast<int64_t>(returns_.size()))] = r;
  }
  if (have_prev) ++returns_seen_;
  if (!closes_.empty()) closes_[static_cast<size_t>(closes_seen_ % static_cast<int64_t>(closes_.size()))] = bar.close;
  ++closes_seen_;
  prev_close_ = bar.close;
  last_open_time_ns_ = bar.open_time_ns;
  ++usable_bars_;
  if (usable_bars_ <= spec_.warmup_bars()) return std::nullopt;

  Eigen::VectorXd obs(spec_.dimension());
  for (int c = 0; c < spec_.dimension(); ++c) {
    switch (spec_.features[static_cast<size_t>(c)]) {
      case Feature::kLogReturn: obs[c] = r; break;
      case Feature::kRealizedVol: {
        // Oldest to newest: a fixed summation order, no running-sum drift.
        const int64_t n = static_cast<int64_t>(returns_.size());
        double sum = 0;
        for (int64_t i = 0; i < n; ++i) {
          const double v = returns_[static_cast<size_t>((returns_seen_ + i) % n)];
          sum += v * v;
        }
        const double rv = std::sqrt(sum / static_cast<double>(n));
        obs[c] = std::log(std::max(rv, kRealizedVolFloor));
        break;
      }
      case Feature::kLogRange: obs[c] = std::log(bar.high / bar.low); break;
      case Feature::kTrend: {
        const int64_t n = static_cast<int64_t>(closes_.size());
        const double oldest = closes_[static_cast<size_t>(closes_seen_ % n)];
        obs[c] = std::log(bar.close / oldest);
        break;
      }
    }
  }
  return obs;
}

std::string FeatureStream::snapshot() const {
  nlohmann::json j;
  j["features"] = spec_.names();
  j["vol_window"] = spec_.vol_window;
  j["trend_window"] = spec_.trend_window;
  j["usable_bars"] = usable_bars_;
  j["last_open_time_ns"] = last_open_time_ns_;
  j["prev_close_bits"] = detail::bits(prev_close_);
  j["returns_seen"] = returns_seen_;
  j["closes_seen"] = closes_seen_;
  auto& rb = j["returns_bits"] = nlohmann::json::array();
  for (double v : returns_) rb.push_back(detail::bits(v));
  auto& cb = j["closes_bits"] = nlohmann::json::array();
  for (double v : closes_) cb.push_back(detail::bits(v));
  return j.dump();
}

Status FeatureStream::restore(std::string_view snapshot) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(snapshot);
    const std::string names = j.at("features").get<std::string>();
    const int vol_window = j.at("vol_window").get<int>();
    const int trend_window = j.at("trend_window").get<int>();
    if (names != spec_.names() || (has(spec_, Feature::kRealizedVol) && vol_window != spec_.vol_window) ||
        (has(spec_, Feature::kTrend) && trend_window != spec_.trend_window))
      return make_error(ErrorCode::kFailedPrecondition,
                        "feature snapshot was taken with features " + names + " (vol_window " +
                            std::to_string(vol_window) + ", trend_window " + std::to_string(trend_window) +
                            "), this stream has " + spec_.names() + " (vol_window " +
                            std::to_string(spec_.vol_window) + ", trend_window " +
                            std::to_string(spec_.trend_window) + ")");
    FeatureStream next(spec_);
    next.usable_bars_ = j.at("usable_bars").get<int64_t>();
    next.last_open_time_ns_ = j.at("last_open_time_ns").get<int64_t>();
    next.prev_close_ = detail::from_bits(j.at("prev_close_bits").get<uint64_t>());
    next.returns_seen_ = j.at("returns_seen").get<int64_t>();
    next.closes_seen_ = j.at("closes_seen").get<int64_t>();
    const auto& rb = j.at("returns_bits");
    const auto& cb = j.at("closes_bits");
    if (rb.size() != next.returns_.size() || cb.size() != next.closes_.size())
      return make_error(ErrorCode::kDataLoss, "feature snapshot has history buffers of the wrong size");
    for (size_t i = 0; i < rb.size(); ++i) next.returns_[i] = detail::from_bits(rb[i].get<uint64_t>());
    for (size_t i = 0; i < cb.size(); ++i) next.closes_[i] = detail::from_bits(cb[i].get<uint64_t>());
    bool sane = next.usable_bars_ >= 0 && next.returns_seen_ >= 0 && next.closes_seen_ == next.usable_bars_ &&
                next.returns_seen_ == std::max<int64_t>(next.usable_bars_ - 1, 0) &&
                (next.usable_bars_ == 0 || (std::isfinite(next.prev_close_) && next.prev_close_ > 0));
    for (double v : next.returns_) sane = sane && std::isfinite(v);
    for (double v : next.closes_) sane = sane && std::isfinite(v) && v >= 0;
    if (!sane) return make_error(ErrorCode::kDataLoss, "feature snapshot holds inconsistent values");
    *this = std::move(next);
    return ok();
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kDataLoss, std::string("feature snapshot is unreadable: ") + e.what());
  }
}

// ---------------------------------------------------------------------------
// Batch

Result<FeatureMatrix> compute_features(std::span<const PriceBar> bars, const FeatureSpec& spec) {
  if (auto valid = spec.validate(); !valid) return std::unexpected(valid.error());
  const int64_t n = static_cast<int64_t>(bars.size());

  // 1. Per-bar checks on usable bars.
  int64_t usable = 0;
  const PriceBar* prev = nullptr;
  for (int64_t i = 0; i < n; ++i) {
    const PriceBar& b = bars[static_cast<size_t>(i)];
    if (!b.usable) continue;
    const std::string at = "bar " + std::to_string(i) + ": ";
    const std::pair<const char*, double> prices[] = {
        {"open", b.open}, {"high", b.high}, {"low", b.low}, {"close", b.close}};
    for (const auto& [name, v] : prices) {
      if (!std::isfinite(v)) return std::unexpected(invalid(at + name + " is not finite"));
      if (!(v > 0)) return std::unexpected(invalid(at + name + " must be positive, got " + fmt(v)));
    }
    if (!std::isfinite(b.volume)) return std::unexpected(invalid(at + "volume is not finite"));
    if (b.volume < 0) return std::unexpected(invalid(at + "volume must not be negative, got " + fmt(b.volume)));
    if (b.high < b.low)
      return std::unexpected(invalid(at + "high " + fmt(b.high) + " is below low " + fmt(b.low)));
    if (b.close < b.low || b.close > b.high)
      return std::unexpected(invalid(at + "close " + fmt(b.close) + " is outside [low " + fmt(b.low) + ", high " +
                                     fmt(b.high) + "]"));
    if (prev && b.open_time_ns <= prev->open_time_ns)
      return std::unexpected(invalid(at + "open time " + format_utc(b.open_time_ns) +
                                     " is not after the previous bar's " + format_utc(prev->open_time_ns)));
    prev = &b;
    ++usable;
  }

  // 2. Zero-volume stretches (over usable bars; unusable bars are transparent).
  int64_t run = 0;
  int64_t run_start_ns = 0;
  for (const PriceBar& b : bars) {
    if (!b.usable) continue;
    if (b.volume == 0) {
      if (run == 0) run_start_ns = b.open_time_ns;
      ++run;
    } else {
      run = 0;
    }
    if (run > spec.max_zero_volume_run) {
      // Report the whole stretch.
      int64_t length = 0;
      bool inside = false;
      for (const PriceBar& c : bars) {
        if (!c.usable) continue;
        if (c.open_time_ns == run_start_ns) inside = true;
        if (!inside) continue;
        if (c.volume != 0) break;
        ++length;
      }
      return std::unexpected(invalid("zero-volume stretch of " + std::to_string(length) + " bars starting at " +
                                     format_utc(run_start_ns) + " exceeds max_zero_volume_run " +
                                     std::to_string(spec.max_zero_volume_run)));
    }
  }

  // 3. Counts.
  const int64_t warmup = spec.warmup_bars();
  const int64_t needed = warmup + spec.min_observations;
  if (n < needed)
    return std::unexpected(invalid("too few bars: got " + std::to_string(n) + ", need at least " +
                                   std::to_string(needed) + " (" + std::to_string(warmup) + " warm-up + " +
                                   std::to_string(spec.min_observations) + " observations for features " +
                                   spec.names() + ")"));
  const int64_t rows = std::max<int64_t>(usable - warmup, 0);
  if (rows < spec.min_observations)
    return std::unexpected(invalid("too few observations: got " + std::to_string(rows) + " from " +
                                   std::to_string(n) + " bars (" + std::to_string(usable) +
                                   " usable), need at least " + std::to_string(spec.min_observations)));

  // 4. Constant prices.
  const PriceBar* first = nullptr;
  bool constant = true;
  for (const PriceBar& b : bars) {
    if (!b.usable) continue;
    if (!first) first = &b;
    else if (b.close != first->close) {
      constant = false;
      break;
    }
  }
  if (constant)
    return std::unexpected(invalid("constant prices: all " + std::to_string(usable) + " usable closes are " +
                                   fmt(first->close)));

  FeatureMatrix out;
  out.values.resize(rows, spec.dimension());
  out.open_time_ns.reserve(static_cast<size_t>(rows));
  FeatureStream stream(spec);
  int64_t row = 0;
  for (const PriceBar& b : bars) {
    auto obs = stream.on_bar(b);
    if (!obs) continue;
    out.values.row(row++) = obs->transpose();
    out.open_time_ns.push_back(b.open_time_ns);
  }
  if (row != rows)
    return std::unexpected(Error{ErrorCode::kInternal, "feature stream produced " + std::to_string(row) +
                                                           " rows, expected " + std::to_string(rows)});
  return out;
}

Result<FeatureSplit> split_chronological(const FeatureMatrix& features, double train_fraction) {
  if (!(train_fraction > 0 && train_fraction < 1))
    return std::unexpected(invalid("train_fraction must be in (0, 1), got " + fmt(train_fraction)));
  const int64_t T = features.rows();
  const int64_t n_train = static_cast<int64_t>(std::floor(train_fraction * static_cast<double>(T)));
  if (n_train < 1 || n_train >= T)
    return std::unexpected(invalid("cannot split " + std::to_string(T) + " observations at " + fmt(train_fraction) +
                                   ": both parts must be non-empty"));
  FeatureSplit s;
  s.train.values = features.values.topRows(n_train);
  s.validation.values = features.values.bottomRows(T - n_train);
  if (static_cast<int64_t>(features.open_time_ns.size()) == T) {
    s.train.open_time_ns.assign(features.open_time_ns.begin(), features.open_time_ns.begin() + n_train);
    s.validation.open_time_ns.assign(features.open_time_ns.begin() + n_train, features.open_time_ns.end());
  }
  return s;
}

}  // namespace tp::hmm
