#include "tp/ingester/series.h"

#include <cmath>

#include "tp/runtime/topology.h"

namespace tp::ingester {

Status validate(const SourceSpec& spec) {
  auto bad = [](std::string what) { return make_error(ErrorCode::kInvalidArgument, std::move(what)); };
  if (spec.path.empty()) return bad("path must not be empty");
  if (!runtime::valid_subject_token(spec.venue)) return bad("venue '" + spec.venue + "' is not a valid subject token");
  if (!runtime::valid_subject_token(spec.symbol))
    return bad("symbol '" + spec.symbol + "' is not a valid subject token");
  auto tf = parse_timeframe(spec.timeframe);
  if (!tf) return bad("timeframe: " + tf.error().message);
  if (auto s = CsvRowParser::validate(spec.layout); !s) return bad("columns: " + s.error().message);
  QualityConfig q = spec.quality;
  q.timeframe_ns = *tf;
  if (auto s = validate(q); !s) return bad("quality: " + s.error().message);
  return ok();
}

namespace {

QualityConfig with_timeframe(QualityConfig q, const std::string& timeframe) {
  q.timeframe_ns = parse_timeframe(timeframe).value_or(q.timeframe_ns);
  return q;
}

std::string base_name(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

SeriesIngest::SeriesIngest(SourceSpec spec)
    : spec_(std::move(spec)),
      source_label_(base_name(spec_.path)),
      subject_(runtime::subjects::bar(spec_.venue, spec_.symbol, spec_.timeframe)),
      parser_(spec_.layout),
      rules_(with_timeframe(spec_.quality, spec_.timeframe)) {
  spec_.quality = with_timeframe(spec_.quality, spec_.timeframe);
}

LineResult SeriesIngest::on_line(std::string_view text) {
  LineResult result;
  std::string_view trimmed = text;
  while (!trimmed.empty() && (trimmed.back() == '\r' || trimmed.back() == ' ' || trimmed.back() == '\t'))
    trimmed.remove_suffix(1);
  while (!trimmed.empty() && (trimmed.front() == ' ' || trimmed.front() == '\t')) trimmed.remove_prefix(1);
  if (trimmed.empty()) return result;  // kBlank
  if (spec_.layout.header && !header_seen_) {
    header_seen_ = true;
    // A UTF-8 byte-order mark before the first column name is not part of it.
    if (trimmed.starts_with("\xEF\xBB\xBF")) trimmed.remove_prefix(3);
    if (auto s = parser_.on_header(trimmed); !s) {
      result.kind = LineResult::kHeaderError;
      result.detail = s.error().message;
      return result;
    }
    result.kind = LineResult::kHeader;
    return result;
  }
  if (!parser_.ready()) {
    result.kind = LineResult::kHeaderError;
    result.detail = "no usable header row";
    return result;
  }
  auto raw = parser_.parse(trimmed);
  if (!raw) {
    result.kind = LineResult::kRejected;
    result.reason = raw.error().reason;
    result.detail = raw.error().detail;
    return result;
  }
  const uint32_t flags = rules_.assess(*raw);
  if (watermark_ && raw->open_time_ns <= *watermark_) {
    result.kind = LineResult::kBelowWatermark;
    return result;
  }
  result.kind = LineResult::kBar;
  result.subject = subject_;
  result.message_id = runtime::ids::bar(spec_.venue, spec_.symbol, spec_.timeframe, raw->open_time_ns);
  auto& bar = result.bar;
  bar.mutable_instrument()->set_venue(spec_.venue);
  bar.mutable_instrument()->set_symbol(spec_.symbol);
  bar.set_timeframe(spec_.timeframe);
  bar.set_open_time_ns(raw->open_time_ns);
  bar.set_close_time_ns(raw->open_time_ns + spec_.quality.timeframe_ns);
  bar.set_open_e8(raw->open_e8);
  bar.set_high_e8(raw->high_e8);
  bar.set_low_e8(raw->low_e8);
  bar.set_close_e8(raw->close_e8);
  bar.set_volume_e8(raw->volume_e8);
  bar.set_quality_flags(flags);
  bar.set_source(source_label_);
  bar.mutable_trace()->set_correlation_id(result.message_id);
  bar.mutable_trace()->set_event_time_ns(raw->open_time_ns);
  return result;
}

int64_t Pacer::delay_ns(int64_t t) {
  if (!multiplier_) return 0;
  if (!latest_ns_) {
    latest_ns_ = t;
    return 0;
  }
  if (t <= *latest_ns_) return 0;
  const int64_t delta = t - *latest_ns_;
  latest_ns_ = t;
  return static_cast<int64_t>(std::llround(static_cast<double>(delta) / *multiplier_));
}

}  // namespace tp::ingester
