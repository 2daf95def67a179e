#include "tp/regime/regime_core.h"

#include <nlohmann/json.hpp>

#include "tp/runtime/topology.h"
#include "trading/v1/regime.pb.h"

namespace tp::regime {

static_assert(kUntrustedPriceFlags == (trading::v1::BAR_QUALITY_ZERO_VOLUME | trading::v1::BAR_QUALITY_OUTLIER |
                                       trading::v1::BAR_QUALITY_INCONSISTENT));

RegimeCore::RegimeCore(ModelFactory factory)
    : factory_(std::move(factory)), model_version_(factory_()->version()) {}

BarOutcome RegimeCore::on_bar(const trading::v1::Bar& bar, std::string_view correlation_id,
                              runtime::Outbox& out) {
  const auto& venue = bar.instrument().venue();
  const auto& symbol = bar.instrument().symbol();
  const auto& timeframe = bar.timeframe();
  if (!runtime::valid_subject_token(venue) || !runtime::valid_subject_token(symbol) ||
      !runtime::valid_subject_token(timeframe))
    return {BarOutcome::kInvalid, "bar has an invalid instrument or timeframe: '" + venue + "/" +
                                      symbol + "/" + timeframe + "'"};
  if (bar.close_e8() <= 0)
    return {BarOutcome::kInvalid, "bar close must be positive, got " + std::to_string(bar.close_e8())};
  if (bar.quality_flags() & trading::v1::BAR_QUALITY_OUT_OF_ORDER)
    return {BarOutcome::kIgnored, "flagged out of order"};

  const std::string key = venue + "|" + symbol + "|" + timeframe;
  auto it = series_.find(key);
  if (it == series_.end()) {
    it = series_.emplace(key, Series{0, factory_()}).first;
  } else if (bar.open_time_ns() <= it->second.last_open_time_ns) {
    return {BarOutcome::kIgnored, "not after the last bar of the series"};
  }
  Series& s = it->second;
  s.last_open_time_ns = bar.open_time_ns();
  const bool trusted = (bar.quality_flags() & kUntrustedPriceFlags) == 0;
  const RegimeEstimate e = s.model->on_bar(bar.close_e8(), trusted);

  trading::v1::RegimePosterior p;
  *p.mutable_instrument() = bar.instrument();
  p.set_timeframe(timeframe);
  p.set_p_bull(e.p_bull);
  p.set_p_bear(e.p_bear);
  p.set_p_chop(e.p_chop);
  p.set_most_likely(e.most_likely);
  p.set_model_version(s.model->version());
  p.set_warming_up(e.warming_up);
  p.set_realized_vol(e.realized_vol);
  p.set_trend(e.trend);
  p.mutable_trace()->set_correlation_id(std::string(correlation_id));
  p.mutable_trace()->set_event_time_ns(bar.open_time_ns());
  out.emit(runtime::subjects::regime(venue, symbol, timeframe),
           runtime::ids::regime(venue, symbol, timeframe, bar.open_time_ns()), correlation_id, p);
  return {};
}

std::string RegimeCore::snapshot() const {
  nlohmann::json j;
  j["format"] = 1;
  j["model_version"] = model_version_;
  auto& list = j["series"] = nlohmann::json::object();
  for (const auto& [key, s] : series_)
    list[key] = {{"last_open_time_ns", s.last_open_time_ns}, {"model", s.model->snapshot()}};
  return j.dump();
}

Status RegimeCore::restore(std::string_view snapshot) {
  std::map<std::string, Series> restored;
  try {
    const auto j = nlohmann::json::parse(snapshot);
    if (j.at("format").get<int>() != 1)
      return make_error(ErrorCode::kDataLoss, "regime snapshot has an unknown format");
    const auto version = j.at("model_version").get<std::string>();
    if (version != model_version_)
      // A different model cannot continue another model's state; starting
      // it cold would silently change outputs, so refuse.
      return make_error(ErrorCode::kFailedPrecondition,
                        "regime snapshot was written by model " + version + ", this is " + model_version_);
    for (const auto& [key, value] : j.at("series").items()) {
      Series s{value.at("last_open_time_ns").get<int64_t>(), factory_()};
      if (auto st = s.model->restore(value.at("model").get<std::string>()); !st) return st;
      restored.emplace(key, std::move(s));
    }
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kDataLoss, std::string("regime snapshot is unreadable: ") + e.what());
  }
  series_ = std::move(restored);
  return ok();
}

}  // namespace tp::regime
