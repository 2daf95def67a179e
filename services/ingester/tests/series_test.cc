#include "tp/ingester/series.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace tp::ingester {
namespace {

using namespace trading::v1;
constexpr int64_t kS = 1'000'000'000;

SourceSpec spec(std::string path = "data/x/BTCUSDT.csv") {
  SourceSpec s;
  s.name = "btcusdt";
  s.path = std::move(path);
  s.venue = "binance-us";
  s.symbol = "BTCUSDT";
  s.timeframe = "1m";
  return s;
}

TEST(SeriesIngest, BuildsTheBarMessage) {
  SeriesIngest series(spec());
  EXPECT_EQ(series.on_line("open_time,open,high,low,close,volume\r").kind, LineResult::kHeader);
  auto r = series.on_line("2023-03-01 00:00:00+00:00,23140.48,23150.77,23128.52,23142.31,2.131777\r");
  ASSERT_EQ(r.kind, LineResult::kBar);
  EXPECT_EQ(r.subject, "md.bar.binance-us.BTCUSDT.1m");
  EXPECT_EQ(r.message_id, "bar:binance-us:BTCUSDT:1m:1677628800");
  const Bar& b = r.bar;
  EXPECT_EQ(b.instrument().venue(), "binance-us");
  EXPECT_EQ(b.instrument().symbol(), "BTCUSDT");
  EXPECT_EQ(b.timeframe(), "1m");
  EXPECT_EQ(b.open_time_ns(), 1677628800 * kS);
  EXPECT_EQ(b.close_time_ns(), 1677628860 * kS);
  EXPECT_EQ(b.open_e8(), 2314048000000);
  EXPECT_EQ(b.high_e8(), 2315077000000);
  EXPECT_EQ(b.low_e8(), 2312852000000);
  EXPECT_EQ(b.close_e8(), 2314231000000);
  EXPECT_EQ(b.volume_e8(), 213177700);
  EXPECT_EQ(b.quality_flags(), 0u);
  EXPECT_EQ(b.source(), "BTCUSDT.csv");
  EXPECT_EQ(b.trace().correlation_id(), "bar:binance-us:BTCUSDT:1m:1677628800");
  EXPECT_EQ(b.trace().event_time_ns(), 1677628800 * kS);
}

TEST(SeriesIngest, BlankMalformedOutOfOrderAndGapRows) {
  SeriesIngest series(spec());
  EXPECT_EQ(series.on_line("\xEF\xBB\xBFopen_time,open,high,low,close,volume").kind, LineResult::kHeader);
  EXPECT_EQ(series.on_line("").kind, LineResult::kBlank);
  EXPECT_EQ(series.on_line("2023-03-01T00:01:00Z,10,10.1,9.9,10,1").bar.quality_flags(), 0u);
  auto bad = series.on_line("2023-03-01T00:02:00Z,10,11,9,ten,1");
  EXPECT_EQ(bad.kind, LineResult::kRejected);
  EXPECT_EQ(bad.reason, "bad_number");
  auto dup = series.on_line("2023-03-01T00:01:00Z,10,10.1,9.9,10,1");
  ASSERT_EQ(dup.kind, LineResult::kBar);
  EXPECT_EQ(dup.bar.quality_flags(), uint32_t(BAR_QUALITY_OUT_OF_ORDER));
  auto gap = series.on_line("2023-03-01T00:04:00Z,10,10.1,9.9,10,0");
  EXPECT_EQ(gap.bar.quality_flags(), uint32_t(BAR_QUALITY_GAP_BEFORE | BAR_QUALITY_ZERO_VOLUME));
  EXPECT_EQ(series.on_line("2023-03-01T00:05:00Z,10,11,9").reason, "column_count");
}

TEST(SeriesIngest, HeaderErrorStopsTheFile) {
  SeriesIngest series(spec());
  auto r = series.on_line("time,o,h,l,c,v");
  EXPECT_EQ(r.kind, LineResult::kHeaderError);
  EXPECT_EQ(r.detail, "header has no column(s) open_time, open, high, low, close, volume");
  EXPECT_EQ(series.on_line("2023-03-01T00:05:00Z,10,11,9,10,1").kind, LineResult::kHeaderError);
}

TEST(SeriesIngest, HeaderlessEpochLayout) {
  SourceSpec s = spec();
  s.layout.header = false;
  s.layout.columns = CsvLayout::default_indexes();
  s.layout.time_format = TimeFormat::kEpochMillis;
  ASSERT_TRUE(validate(s));
  SeriesIngest series(s);
  auto r = series.on_line("1677628800000,1,2,0.5,1.5,3");
  ASSERT_EQ(r.kind, LineResult::kBar);
  EXPECT_EQ(r.bar.open_time_ns(), 1677628800 * kS);
  EXPECT_EQ(r.bar.close_e8(), 150000000);
}

TEST(SeriesIngest, ValidateNamesTheField) {
  SourceSpec s = spec();
  s.venue = "binance.us";
  EXPECT_EQ(validate(s).error().message, "venue 'binance.us' is not a valid subject token");
  s = spec();
  s.timeframe = "1x";
  EXPECT_EQ(validate(s).error().message,
            "timeframe: bad timeframe '1x' (expected <n>s, <n>m, <n>h or <n>d, e.g. 1m)");
}

TEST(Pacer, RealTimeMultiplier) {
  Pacer max(std::nullopt);
  EXPECT_EQ(max.delay_ns(0), 0);
  EXPECT_EQ(max.delay_ns(60 * kS), 0);
  Pacer sixty(60.0);
  EXPECT_EQ(sixty.delay_ns(1000 * kS), 0);
  EXPECT_EQ(sixty.delay_ns(1060 * kS), kS);       // one minute of data in one second
  EXPECT_EQ(sixty.delay_ns(1060 * kS), 0);        // same time (another instrument)
  EXPECT_EQ(sixty.delay_ns(1000 * kS), 0);        // earlier: no wait
  EXPECT_EQ(sixty.delay_ns(1180 * kS), 2 * kS);   // from the latest, 1060
}

// Runs a whole bundled file through the series, as the service does.
struct FileCounts {
  int64_t bars = 0, rejected = 0, below_watermark = 0;
  std::map<std::string, int64_t> flags;
  std::vector<std::string> outlier_times;
  std::vector<Bar> bars_out;
};

FileCounts ingest(const std::string& file, const std::string& symbol,
                  std::optional<int64_t> watermark = std::nullopt, bool keep = false) {
  SourceSpec s = spec(std::string(TP_SOURCE_DIR) + "/data/binance-us/" + file);
  s.symbol = symbol;
  SeriesIngest series(s);
  series.set_watermark(watermark);
  std::ifstream in(s.path);
  EXPECT_TRUE(in) << s.path;
  FileCounts c;
  std::string line;
  while (std::getline(in, line)) {
    auto r = series.on_line(line);
    if (r.kind == LineResult::kRejected || r.kind == LineResult::kHeaderError) ++c.rejected;
    if (r.kind == LineResult::kBelowWatermark) ++c.below_watermark;
    if (r.kind != LineResult::kBar) continue;
    ++c.bars;
    for (const auto& f : flag_names(r.bar.quality_flags())) ++c.flags[f];
    if (r.bar.quality_flags() & BAR_QUALITY_OUTLIER)
      c.outlier_times.push_back(std::to_string(r.bar.open_time_ns() / kS) + " high " +
                                std::to_string(r.bar.high_e8() / 100'000'000));
    if (keep) c.bars_out.push_back(r.bar);
  }
  return c;
}

// The counts docs/data-quality.md reports.
TEST(BundledData, BtcUsdtFlags) {
  auto c = ingest("BTCUSDT_1m_20230301_20230321.csv", "BTCUSDT");
  EXPECT_EQ(c.bars, 30240);
  EXPECT_EQ(c.rejected, 0);
  EXPECT_EQ(c.flags, (std::map<std::string, int64_t>{{"zero_volume", 658}}));
}

TEST(BundledData, BtcUsdcFlagsTheBadPrints) {
  auto c = ingest("BTCUSDC_1m_20230301_20230321.csv", "BTCUSDC");
  EXPECT_EQ(c.bars, 30240);
  EXPECT_EQ(c.rejected, 0);
  EXPECT_EQ(c.flags, (std::map<std::string, int64_t>{{"zero_volume", 12971}, {"outlier", 8}}));
  // 2023-03-11 04:32, 06:20, 14:12; 2023-03-13 04:14, 04:22, 04:24, 05:49; 2023-03-14 14:24.
  EXPECT_EQ(c.outlier_times,
            (std::vector<std::string>{"1678509120 high 22450", "1678515600 high 22520",
                                      "1678543920 high 22600", "1678680840 high 24246",
                                      "1678681320 high 23788", "1678681440 high 24900",
                                      "1678686540 high 23754", "1678803840 high 31000"}));
}

// A restart mid-file: rows up to the watermark are not published again, and
// every later bar (flags included) is identical to the uninterrupted run.
TEST(BundledData, ResumeAfterWatermarkIsIdentical) {
  auto full = ingest("BTCUSDC_1m_20230301_20230321.csv", "BTCUSDC", std::nullopt, true);
  const int64_t watermark = full.bars_out[19583].open_time_ns();  // the bar before 31,000
  auto resumed = ingest("BTCUSDC_1m_20230301_20230321.csv", "BTCUSDC", watermark, true);
  EXPECT_EQ(resumed.below_watermark, 19584);
  ASSERT_EQ(resumed.bars_out.size(), full.bars_out.size() - 19584);
  for (size_t i = 0; i < resumed.bars_out.size(); ++i)
    ASSERT_EQ(resumed.bars_out[i].SerializeAsString(), full.bars_out[i + 19584].SerializeAsString()) << i;
  EXPECT_EQ(resumed.bars_out[0].high_e8(), 3100000000000);
  EXPECT_EQ(resumed.bars_out[0].quality_flags(), uint32_t(BAR_QUALITY_OUTLIER));
}

}  // namespace
}  // namespace tp::ingester
