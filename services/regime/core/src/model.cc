#include "tp/regime/model.h"

#include <bit>
#include <cmath>
#include <nlohmann/json.hpp>

namespace tp::regime {

namespace {

uint64_t bits(double v) { return std::bit_cast<uint64_t>(v); }
double from_bits(uint64_t v) { return std::bit_cast<double>(v); }
double alpha_for(double half_life) { return 1.0 - std::exp2(-1.0 / half_life); }

}  // namespace

Status validate(const EwmaConfig& c) {
  auto bad = [](std::string what) { return make_error(ErrorCode::kInvalidArgument, std::move(what)); };
  if (!(c.trend_half_life_bars >= 1)) return bad("trend_half_life_bars must be >= 1");
  if (!(c.vol_half_life_bars >= 1)) return bad("vol_half_life_bars must be >= 1");
  if (c.warmup_bars < 0) return bad("warmup_bars must be >= 0");
  if (!(c.sharpness > 0) || !std::isfinite(c.sharpness)) return bad("sharpness must be positive");
  if (!std::isfinite(c.chop_threshold) || c.chop_threshold < 0) return bad("chop_threshold must be >= 0");
  return ok();
}

trading::v1::RegimeLabel most_likely(double p_bull, double p_bear, double p_chop) {
  if (p_chop >= p_bull && p_chop >= p_bear) return trading::v1::REGIME_CHOP;
  if (p_bull >= p_bear) return trading::v1::REGIME_BULL;
  return trading::v1::REGIME_BEAR;
}

EwmaRegimeModel::EwmaRegimeModel(EwmaConfig config)
    : config_(config),
      alpha_trend_(alpha_for(config.trend_half_life_bars)),
      alpha_vol_(alpha_for(config.vol_half_life_bars)) {}

RegimeEstimate EwmaRegimeModel::on_bar(const trading::v1::Bar& bar) {
  constexpr uint32_t kUntrusted = trading::v1::BAR_QUALITY_ZERO_VOLUME | trading::v1::BAR_QUALITY_OUTLIER |
                                  trading::v1::BAR_QUALITY_INCONSISTENT;
  return on_close(bar.close_e8(), (bar.quality_flags() & kUntrusted) == 0);
}

RegimeEstimate EwmaRegimeModel::on_close(int64_t close_e8, bool update) {
  if (update && close_e8 > 0) {
    if (previous_close_e8_) {
      const double r = std::log(static_cast<double>(close_e8) / static_cast<double>(*previous_close_e8_));
      trend_ = (1.0 - alpha_trend_) * trend_ + alpha_trend_ * r;
      variance_ = (1.0 - alpha_vol_) * variance_ + alpha_vol_ * r * r;
      ++returns_;
    }
    previous_close_e8_ = close_e8;
  }
  return estimate();
}

RegimeEstimate EwmaRegimeModel::estimate() const {
  RegimeEstimate e;
  e.trend = trend_;
  e.realized_vol = std::sqrt(variance_);
  const double noise = e.realized_vol * std::sqrt(alpha_trend_ / (2.0 - alpha_trend_));
  const double z = noise > 0 ? trend_ / noise : 0.0;
  const double k = config_.sharpness;
  const double l_bull = k * z, l_bear = -k * z, l_chop = k * config_.chop_threshold;
  const double top = std::max({l_bull, l_bear, l_chop});
  const double w_bull = std::exp(l_bull - top), w_bear = std::exp(l_bear - top),
               w_chop = std::exp(l_chop - top);
  const double sum = w_bull + w_bear + w_chop;
  e.p_bull = w_bull / sum;
  e.p_bear = w_bear / sum;
  e.p_chop = w_chop / sum;
  e.most_likely = most_likely(e.p_bull, e.p_bear, e.p_chop);
  e.warming_up = returns_ < config_.warmup_bars;
  return e;
}

std::string EwmaRegimeModel::snapshot() const {
  nlohmann::json j;
  j["trend_bits"] = bits(trend_);
  j["variance_bits"] = bits(variance_);
  j["previous_close_e8"] = previous_close_e8_ ? nlohmann::json(*previous_close_e8_) : nlohmann::json();
  j["returns"] = returns_;
  return j.dump();
}

Status EwmaRegimeModel::restore(std::string_view snapshot) {
  try {
    const auto j = nlohmann::json::parse(snapshot);
    const double trend = from_bits(j.at("trend_bits").get<uint64_t>());
    const double variance = from_bits(j.at("variance_bits").get<uint64_t>());
    std::optional<int64_t> previous;
    if (!j.at("previous_close_e8").is_null()) previous = j.at("previous_close_e8").get<int64_t>();
    const int64_t returns = j.at("returns").get<int64_t>();
    if (!std::isfinite(trend) || !std::isfinite(variance) || variance < 0 || returns < 0)
      return make_error(ErrorCode::kDataLoss, "ewma-v1 snapshot holds invalid values");
    trend_ = trend;
    variance_ = variance;
    previous_close_e8_ = previous;
    returns_ = returns;
    return ok();
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kDataLoss, std::string("ewma-v1 snapshot is unreadable: ") + e.what());
  }
}

}  // namespace tp::regime
