#include "tp/regime/regime_core.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "tp/runtime/topology.h"
#include "trading/v1/regime.pb.h"

namespace tp::regime {

namespace {

// Field order of a retained bar.
enum { kOpenTime, kCloseTime, kOpen, kHigh, kLow, kClose, kVolume, kFlags };

std::array<int64_t, 8> retained(const trading::v1::Bar& b) {
  return {b.open_time_ns(), b.close_time_ns(), b.open_e8(),   b.high_e8(),
          b.low_e8(),       b.close_e8(),      b.volume_e8(), static_cast<int64_t>(b.quality_flags())};
}

trading::v1::Bar rebuild(const std::array<int64_t, 8>& r, const trading::v1::Instrument& instrument,
                         const std::string& timeframe) {
  trading::v1::Bar b;
  *b.mutable_instrument() = instrument;
  b.set_timeframe(timeframe);
  b.set_open_time_ns(r[kOpenTime]);
  b.set_close_time_ns(r[kCloseTime]);
  b.set_open_e8(r[kOpen]);
  b.set_high_e8(r[kHigh]);
  b.set_low_e8(r[kLow]);
  b.set_close_e8(r[kClose]);
  b.set_volume_e8(r[kVolume]);
  b.set_quality_flags(static_cast<uint32_t>(r[kFlags]));
  return b;
}

}  // namespace

RegimeCore::RegimeCore(ModelVersionPtr initial, ModelLoader loader, int64_t history_bars)
    : active_(std::move(initial)),
      active_name_(active_->version()),
      loader_(std::move(loader)),
      history_bars_(std::max<int64_t>(history_bars, 1)) {}

void RegimeCore::remember(Series& s, const trading::v1::Bar& bar) {
  s.history.push_back(retained(bar));
  const auto keep = static_cast<size_t>(std::max(history_bars_, active_->priming_bars()));
  while (s.history.size() > keep) s.history.pop_front();
}

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
    Series fresh;
    fresh.model = active_->make();
    fresh.instrument = bar.instrument();
    fresh.timeframe = timeframe;
    it = series_.emplace(key, std::move(fresh)).first;
  } else if (bar.open_time_ns() <= it->second.last_open_time_ns) {
    return {BarOutcome::kIgnored, "not after the last bar of the series"};
  }
  Series& s = it->second;
  s.last_open_time_ns = bar.open_time_ns();
  remember(s, bar);
  const RegimeEstimate e = s.model->on_bar(bar);

  trading::v1::RegimePosterior p;
  *p.mutable_instrument() = bar.instrument();
  p.set_timeframe(timeframe);
  p.set_p_bull(e.p_bull);
  p.set_p_bear(e.p_bear);
  p.set_p_chop(e.p_chop);
  p.set_most_likely(e.most_likely);
  p.set_model_version(active_name_);
  p.set_warming_up(e.warming_up);
  p.set_realized_vol(e.realized_vol);
  p.set_trend(e.trend);
  p.mutable_trace()->set_correlation_id(std::string(correlation_id));
  p.mutable_trace()->set_event_time_ns(bar.open_time_ns());
  out.emit(runtime::subjects::regime(venue, symbol, timeframe),
           runtime::ids::regime(venue, symbol, timeframe, bar.open_time_ns()), correlation_id, p);
  return {};
}

Result<ActivateOutcome> RegimeCore::activate(ModelVersionPtr next) {
  if (!next) return make_error(ErrorCode::kInvalidArgument, "no model version to activate");
  ActivateOutcome outcome;
  outcome.previous = active_name_;
  if (next->version() == active_name_) return outcome;
  // Build every new instance before touching state: all or nothing.
  std::map<std::string, std::unique_ptr<RegimeModel>> fresh;
  const auto priming = static_cast<size_t>(std::max<int64_t>(next->priming_bars(), 0));
  for (const auto& [key, s] : series_) {
    auto model = next->make();
    const size_t skip = s.history.size() > priming ? s.history.size() - priming : 0;
    for (size_t i = skip; i < s.history.size(); ++i) {
      (void)model->on_bar(rebuild(s.history[i], s.instrument, s.timeframe));
      ++outcome.primed_bars;
    }
    fresh.emplace(key, std::move(model));
  }
  for (auto& [key, model] : fresh) series_.at(key).model = std::move(model);
  active_ = std::move(next);
  active_name_ = active_->version();
  outcome.switched = true;
  return outcome;
}

std::string RegimeCore::snapshot() const {
  nlohmann::json j;
  j["format"] = 2;
  j["model_version"] = active_name_;
  auto& list = j["series"] = nlohmann::json::object();
  for (const auto& [key, s] : series_) {
    list[key] = {{"last_open_time_ns", s.last_open_time_ns},
                 {"model", s.model->snapshot()},
                 {"venue", s.instrument.venue()},
                 {"symbol", s.instrument.symbol()},
                 {"timeframe", s.timeframe},
                 {"history", s.history}};
  }
  return j.dump();
}

Status RegimeCore::restore(std::string_view snapshot) {
  std::map<std::string, Series> restored;
  ModelVersionPtr version;
  try {
    const auto j = nlohmann::json::parse(snapshot);
    if (j.at("format").get<int>() != 2)
      return make_error(ErrorCode::kDataLoss, "regime snapshot has an unknown format");
    const auto name = j.at("model_version").get<std::string>();
    if (name == active_name_) {
      version = active_;
    } else if (!loader_) {
      return make_error(ErrorCode::kFailedPrecondition,
                        "regime snapshot was written by model " + name + ", this is " + active_name_);
    } else {
      // The snapshot's version stays active after a restart, even if the
      // service was configured with another: promotions go through the
      // control stream, never through a restart.
      auto loaded = loader_(name);
      if (!loaded)
        return make_error(loaded.error().code, "regime snapshot was written by model " + name +
                                                   ", which cannot be loaded: " + loaded.error().message);
      version = std::move(*loaded);
    }
    for (const auto& [key, value] : j.at("series").items()) {
      Series s;
      s.last_open_time_ns = value.at("last_open_time_ns").get<int64_t>();
      s.model = version->make();
      s.instrument.set_venue(value.at("venue").get<std::string>());
      s.instrument.set_symbol(value.at("symbol").get<std::string>());
      s.timeframe = value.at("timeframe").get<std::string>();
      for (const auto& row : value.at("history")) s.history.push_back(row.get<std::array<int64_t, 8>>());
      if (auto st = s.model->restore(value.at("model").get<std::string>()); !st) return st;
      restored.emplace(key, std::move(s));
    }
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kDataLoss, std::string("regime snapshot is unreadable: ") + e.what());
  }
  series_ = std::move(restored);
  active_ = std::move(version);
  active_name_ = active_->version();
  return ok();
}

}  // namespace tp::regime
