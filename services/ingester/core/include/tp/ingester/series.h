// One CSV source turned into flagged trading.v1.Bar messages, line by line,
// without any I/O: the shell reads the file and feeds the lines.
//
//   SeriesIngest series(spec);                       // spec validated by validate(spec)
//   series.set_watermark(saved_open_time_ns);        // resume after a restart
//   for (each line) {
//     LineResult r = series.on_line(text);
//     if (r.kind == LineResult::kBar) publisher.publish(r.subject, r.message_id, r.message_id, r.bar);
//   }
//
// Rows at or below the watermark still pass through the quality rules (so
// the rolling state, and therefore every later flag, is identical to an
// uninterrupted run) but come back as kBelowWatermark and are not published.
//
// Single-threaded: one instance per source.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tp/ingester/csv_layout.h"
#include "tp/ingester/quality.h"
#include "trading/v1/market_data.pb.h"

namespace tp::ingester {

struct SourceSpec {
  std::string name;    // config key, e.g. "btcusdt"
  std::string path;    // as configured (relative paths are the shell's business)
  std::string venue;   // "binance-us"
  std::string symbol;  // "BTCUSDT"
  std::string timeframe = "1m";
  CsvLayout layout;
  QualityConfig quality;  // quality.timeframe_ns is set from `timeframe`
};

// Checks venue/symbol/timeframe tokens, the layout and the quality settings;
// the message starts with the offending field name.
[[nodiscard]] Status validate(const SourceSpec& spec);

struct LineResult {
  enum Kind {
    kBlank,           // empty line: ignored
    kHeader,          // the header row
    kHeaderError,     // the header lacks a configured column: the file cannot be read
    kRejected,        // malformed row (reason/detail say why)
    kBelowWatermark,  // already published before a restart
    kBar,             // a bar to publish
  };
  Kind kind = kBlank;
  std::string reason;  // kRejected: RowError::reason
  std::string detail;  // kRejected / kHeaderError: human-readable text
  trading::v1::Bar bar;
  std::string subject;
  std::string message_id;
};

class SeriesIngest {
 public:
  explicit SeriesIngest(SourceSpec spec);

  void set_watermark(std::optional<int64_t> open_time_ns) { watermark_ = open_time_ns; }
  const SourceSpec& spec() const { return spec_; }

  LineResult on_line(std::string_view text);

 private:
  SourceSpec spec_;
  std::string source_label_;  // file name without directories
  std::string subject_;
  CsvRowParser parser_;
  QualityRules rules_;
  std::optional<int64_t> watermark_;
  bool header_seen_ = false;
};

// Real-time pacing: how long to wait before publishing a bar with event time
// `t` when replaying at `multiplier` times real time (nullopt = as fast as
// possible). The first bar goes at once; later bars wait (t - latest t so
// far) / multiplier; a bar that is not later than the latest waits 0.
class Pacer {
 public:
  explicit Pacer(std::optional<double> multiplier) : multiplier_(multiplier) {}
  int64_t delay_ns(int64_t event_time_ns);

 private:
  std::optional<double> multiplier_;
  std::optional<int64_t> latest_ns_;
};

}  // namespace tp::ingester
