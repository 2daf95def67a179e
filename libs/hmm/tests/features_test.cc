#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "test_support.h"
#include "tp/hmm/features.h"

namespace tp::hmm {
namespace {

using testing::data_file;
using testing::same_bits;

constexpr int64_t kT0 = 1677628800LL * 1'000'000'000;  // 2023-03-01T00:00:00Z
constexpr int64_t kMinute = 60LL * 1'000'000'000;

// Bars with the given closes; open = previous close, high/low bracket them,
// volume 1.
std::vector<PriceBar> bars_from(const std::vector<double>& closes) {
  std::vector<PriceBar> out;
  for (size_t i = 0; i < closes.size(); ++i) {
    PriceBar b;
    b.open_time_ns = kT0 + static_cast<int64_t>(i) * kMinute;
    b.close = closes[i];
    b.open = i == 0 ? closes[i] : closes[i - 1];
    b.high = std::max(b.open, b.close) * 1.001;
    b.low = std::min(b.open, b.close) * 0.999;
    b.volume = 1;
    out.push_back(b);
  }
  return out;
}

// A deterministic wiggly price path of n bars.
std::vector<double> path(int n) {
  std::vector<double> c;
  double p = 100;
  for (int i = 0; i < n; ++i) {
    p *= std::exp(0.001 * std::sin(0.37 * i) + 0.0005 * std::cos(1.3 * i));
    c.push_back(p);
  }
  return c;
}

FeatureSpec spec_of(const char* names, int64_t min_observations = 1) {
  auto s = FeatureSpec::parse(names);
  EXPECT_TRUE(s.has_value()) << names;
  s->min_observations = min_observations;
  return *s;
}

std::string error_of(std::span<const PriceBar> bars, const FeatureSpec& spec) {
  auto r = compute_features(bars, spec);
  if (r) return "<no error>";
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  return r.error().message;
}

TEST(FeatureSpec, ParsesNamesKeepsOrderAndRejectsBadLists) {
  auto s = FeatureSpec::parse(" rvol , logret,range,trend");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->names(), "rvol,logret,range,trend");
  EXPECT_EQ(s->dimension(), 4);
  EXPECT_EQ(s->column(Feature::kLogReturn), 1);
  EXPECT_EQ(FeatureSpec{}.names(), "logret,rvol");

  EXPECT_EQ(FeatureSpec::parse("logret,vol").error().message, "unknown feature 'vol' (known: logret, rvol, range, trend)");
  EXPECT_EQ(FeatureSpec::parse("logret,logret").error().message, "feature 'logret' is listed twice");
  EXPECT_EQ(FeatureSpec::parse("logret,").error().message,
            "feature list 'logret,' has an empty name (expected e.g. \"logret,rvol\")");
  EXPECT_EQ(FeatureSpec::parse("").error().code, ErrorCode::kInvalidArgument);
}

TEST(FeatureSpec, WarmupIsTheLongestFeatureHistory) {
  EXPECT_EQ(spec_of("logret").warmup_bars(), 1);
  EXPECT_EQ(spec_of("range").warmup_bars(), 0);
  FeatureSpec s = spec_of("logret,rvol,trend");
  s.vol_window = 7;
  s.trend_window = 5;
  EXPECT_EQ(s.warmup_bars(), 7);
  s.trend_window = 50;
  EXPECT_EQ(s.warmup_bars(), 50);
}

TEST(ComputeFeatures, LogretAloneIsExactlyTheConsecutiveLogReturns) {
  const auto closes = path(200);
  const auto bars = bars_from(closes);
  auto x = compute_features(bars, spec_of("logret"));
  ASSERT_TRUE(x) << x.error().message;
  ASSERT_EQ(x->rows(), 199);
  ASSERT_EQ(x->values.cols(), 1);
  for (int i = 0; i < 199; ++i) {
    EXPECT_EQ(x->values(i, 0), std::log(closes[static_cast<size_t>(i + 1)] / closes[static_cast<size_t>(i)])) << i;
    EXPECT_EQ(x->open_time_ns[static_cast<size_t>(i)], bars[static_cast<size_t>(i + 1)].open_time_ns);
  }
}

TEST(ComputeFeatures, RealizedVolRangeAndTrendFollowTheirFormulas) {
  const auto closes = path(60);
  auto bars = bars_from(closes);
  FeatureSpec spec = spec_of("logret,rvol,range,trend");
  spec.vol_window = 5;
  spec.trend_window = 8;
  auto x = compute_features(bars, spec);
  ASSERT_TRUE(x) << x.error().message;
  ASSERT_EQ(x->rows(), 60 - 8);  // warm-up = max(1, 5, 0, 8)
  for (int row = 0; row < x->rows(); ++row) {
    const int t = row + 8;  // bar index
    const auto r = [&](int i) { return std::log(closes[static_cast<size_t>(i)] / closes[static_cast<size_t>(i - 1)]); };
    double sum = 0;
    for (int i = t - 4; i <= t; ++i) sum += r(i) * r(i);
    EXPECT_EQ(x->values(row, 0), r(t));
    EXPECT_NEAR(x->values(row, 1), std::log(std::sqrt(sum / 5)), 1e-12);
    EXPECT_EQ(x->values(row, 2), std::log(bars[static_cast<size_t>(t)].high / bars[static_cast<size_t>(t)].low));
    EXPECT_EQ(x->values(row, 3), std::log(closes[static_cast<size_t>(t)] / closes[static_cast<size_t>(t - 8)]));
  }
}

TEST(ComputeFeatures, ZeroVolumeBarsAreObservationsAndFlatVolIsFloored) {
  std::vector<double> closes = path(20);
  for (int i = 0; i < 10; ++i) closes.push_back(closes.back());  // 10 unchanged closes
  auto bars = bars_from(closes);
  for (size_t i = 20; i < 30; ++i) {
    bars[i].volume = 0;
    bars[i].high = bars[i].low = bars[i].open = bars[i].close;
  }
  FeatureSpec spec = spec_of("logret,rvol");
  spec.vol_window = 5;
  auto x = compute_features(bars, spec);
  ASSERT_TRUE(x) << x.error().message;
  ASSERT_EQ(x->rows(), 25);
  // The last rows: zero return, and five zero returns in the window -> the floor.
  EXPECT_EQ(x->values(24, 0), 0.0);
  EXPECT_EQ(x->values(24, 1), std::log(kRealizedVolFloor));
  EXPECT_TRUE(x->values.allFinite());
}

TEST(ComputeFeatures, AnUnusableBarYieldsNothingAndTheNextReturnSpansIt) {
  const auto closes = path(30);
  auto bars = bars_from(closes);
  bars[10].usable = false;
  bars[10].close = std::numeric_limits<double>::quiet_NaN();  // never looked at
  bars[10].high = -5;
  auto x = compute_features(bars, spec_of("logret"));
  ASSERT_TRUE(x) << x.error().message;
  ASSERT_EQ(x->rows(), 28);
  EXPECT_EQ(x->open_time_ns[9], bars[11].open_time_ns);
  EXPECT_EQ(x->values(8, 0), std::log(closes[9] / closes[8]));
  EXPECT_EQ(x->values(9, 0), std::log(closes[11] / closes[9]));
}

TEST(ComputeFeatures, DegenerateInputsFailWithExactMessages) {
  const FeatureSpec spec = FeatureSpec{};  // logret,rvol; 30 warm-up; 100 observations
  EXPECT_EQ(error_of(bars_from(path(129)), spec),
            "too few bars: got 129, need at least 130 (30 warm-up + 100 observations for features logret,rvol)");

  auto some_unusable = bars_from(path(140));
  for (size_t i = 0; i < 12; ++i) some_unusable[i * 10].usable = false;
  EXPECT_EQ(error_of(some_unusable, spec), "too few observations: got 98 from 140 bars (128 usable), need at least 100");

  EXPECT_EQ(error_of(bars_from(std::vector<double>(200, 21000.5)), spec),
            "constant prices: all 200 usable closes are 21000.5");

  auto stale = bars_from(path(600));
  for (size_t i = 100; i < 100 + 241; ++i) stale[i].volume = 0;
  EXPECT_EQ(error_of(stale, spec),
            "zero-volume stretch of 241 bars starting at 2023-03-01T01:40:00Z exceeds max_zero_volume_run 240");
  for (size_t i = 100; i < 100 + 240; ++i) stale[i].volume = 0;
  stale[340].volume = 1;
  EXPECT_TRUE(compute_features(stale, spec)) << "a stretch of exactly max_zero_volume_run is allowed";

  auto bars = bars_from(path(200));
  bars[17].close = std::numeric_limits<double>::infinity();
  EXPECT_EQ(error_of(bars, spec), "bar 17: close is not finite");
  bars = bars_from(path(200));
  bars[3].volume = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(error_of(bars, spec), "bar 3: volume is not finite");
  bars = bars_from(path(200));
  bars[5].low = 0;
  EXPECT_EQ(error_of(bars, spec), "bar 5: low must be positive, got 0");
  bars = bars_from(path(200));
  bars[6].open = -2.5;
  EXPECT_EQ(error_of(bars, spec), "bar 6: open must be positive, got -2.5");
  bars = bars_from(path(200));
  bars[7].volume = -1;
  EXPECT_EQ(error_of(bars, spec), "bar 7: volume must not be negative, got -1");
  bars = bars_from(path(200));
  bars[8].high = 1;
  bars[8].low = 2;
  EXPECT_EQ(error_of(bars, spec), "bar 8: high 1 is below low 2");
  bars = bars_from(path(200));
  bars[9].close = bars[9].high * 2;
  bars[9].close = 300;
  bars[9].high = 200;
  bars[9].low = 100;
  EXPECT_EQ(error_of(bars, spec), "bar 9: close 300 is outside [low 100, high 200]");
  bars = bars_from(path(200));
  bars[12].open_time_ns = bars[11].open_time_ns;
  EXPECT_EQ(error_of(bars, spec),
            "bar 12: open time 2023-03-01T00:11:00Z is not after the previous bar's 2023-03-01T00:11:00Z");
  // A bar marked unusable is exempt from every check.
  bars = bars_from(path(200));
  bars[17].close = -1;
  bars[17].usable = false;
  EXPECT_TRUE(compute_features(bars, spec));
}

TEST(ComputeFeatures, RejectsAnInvalidSpec) {
  FeatureSpec spec;
  spec.vol_window = 0;
  EXPECT_EQ(error_of(bars_from(path(200)), spec), "vol_window must be >= 1, got 0");
}

TEST(FeatureStream, MatchesComputeFeaturesBitForBitOnRealData) {
  // BTCUSDC: 12,971 zero-volume bars and a bad print, all four features.
  auto bars = read_ohlcv_csv(data_file("BTCUSDC_1m_20230301_20230321.csv"));
  ASSERT_TRUE(bars) << bars.error().message;
  bars->at(5000).usable = false;  // and an unusable bar
  for (const char* names : {"logret", "logret,rvol", "rvol,range,logret,trend"}) {
    const FeatureSpec spec = spec_of(names, 100);
    auto batch = compute_features(*bars, spec);
    ASSERT_TRUE(batch) << batch.error().message;
    FeatureStream stream(spec);
    Eigen::MatrixXd online(batch->rows(), spec.dimension());
    int64_t row = 0;
    for (const PriceBar& b : *bars) {
      auto obs = stream.on_bar(b);
      if (!obs) continue;
      ASSERT_LT(row, batch->rows());
      EXPECT_EQ(batch->open_time_ns[static_cast<size_t>(row)], b.open_time_ns);
      online.row(row++) = obs->transpose();
    }
    ASSERT_EQ(row, batch->rows()) << names;
    EXPECT_TRUE(same_bits(online, batch->values)) << names;
    EXPECT_TRUE(batch->values.allFinite()) << names;
  }
}

TEST(FeatureStream, SnapshotRestoreContinuesBitForBit) {
  const auto bars = bars_from(path(400));
  FeatureSpec spec = spec_of("logret,rvol,trend");
  spec.vol_window = 13;
  spec.trend_window = 50;
  FeatureStream a(spec);
  for (size_t i = 0; i < 123; ++i) (void)a.on_bar(bars[i]);
  const std::string snap = a.snapshot();
  FeatureStream b(spec);
  ASSERT_TRUE(b.restore(snap));
  EXPECT_EQ(b.snapshot(), snap);
  for (size_t i = 123; i < bars.size(); ++i) {
    auto x = a.on_bar(bars[i]);
    auto y = b.on_bar(bars[i]);
    ASSERT_EQ(x.has_value(), y.has_value());
    if (x) {
      EXPECT_TRUE(same_bits(*x, *y)) << i;
    }
  }

  FeatureSpec other = spec;
  other.vol_window = 14;
  FeatureStream c(other);
  auto refused = c.restore(snap);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(refused.error().message,
            "feature snapshot was taken with features logret,rvol,trend (vol_window 13, trend_window 50), "
            "this stream has logret,rvol,trend (vol_window 14, trend_window 50)");
  const std::string current = b.snapshot();
  EXPECT_EQ(b.restore("{not json").error().code, ErrorCode::kDataLoss);
  EXPECT_EQ(b.restore(R"({"features":"logret,rvol,trend","vol_window":13,"trend_window":50})").error().code,
            ErrorCode::kDataLoss);
  EXPECT_EQ(b.snapshot(), current) << "a failed restore leaves the stream untouched";
}

TEST(FeatureStream, SkipsUnusableAndOutOfOrderBars) {
  FeatureStream s(spec_of("logret"));
  auto bars = bars_from({100, 101, 102, 103});
  EXPECT_FALSE(s.on_bar(bars[0]));
  auto r1 = s.on_bar(bars[1]);
  ASSERT_TRUE(r1);
  EXPECT_EQ((*r1)[0], std::log(101.0 / 100.0));
  EXPECT_FALSE(s.on_bar(bars[1])) << "same open time again";
  PriceBar bad = bars[2];
  bad.usable = false;
  EXPECT_FALSE(s.on_bar(bad));
  EXPECT_EQ(s.usable_bars(), 2);
  auto r3 = s.on_bar(bars[3]);
  ASSERT_TRUE(r3);
  EXPECT_EQ((*r3)[0], std::log(103.0 / 101.0));
}

TEST(SplitChronological, FirstPartTrainsLastPartValidates) {
  FeatureMatrix m;
  m.values.resize(10, 1);
  for (int i = 0; i < 10; ++i) {
    m.values(i, 0) = i;
    m.open_time_ns.push_back(i);
  }
  auto s = split_chronological(m, 0.8);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->train.rows(), 8);
  EXPECT_EQ(s->validation.rows(), 2);
  EXPECT_EQ(s->validation.values(0, 0), 8);
  EXPECT_EQ(s->validation.open_time_ns[1], 9);
  EXPECT_EQ(split_chronological(m, 1.0).error().message, "train_fraction must be in (0, 1), got 1");
  EXPECT_EQ(split_chronological(m, 0.05).error().message,
            "cannot split 10 observations at 0.05: both parts must be non-empty");
}

class CsvTest : public ::testing::Test {
 protected:
  std::string write(const std::string& text) {
    path_ = (std::filesystem::temp_directory_path() /
             ("hmm_csv_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".csv"))
                .string();
    std::ofstream(path_) << text;
    return path_;
  }
  void TearDown() override {
    if (!path_.empty()) std::filesystem::remove(path_);
  }
  std::string path_;
};

TEST_F(CsvTest, ReadsTheBundledFile) {
  auto bars = read_ohlcv_csv(data_file("BTCUSDT_1m_20230301_20230321.csv"));
  ASSERT_TRUE(bars) << bars.error().message;
  ASSERT_EQ(bars->size(), 30240u);
  EXPECT_EQ(format_utc(bars->front().open_time_ns), "2023-03-01T00:00:00Z");
  EXPECT_EQ(format_utc(bars->back().open_time_ns), "2023-03-21T23:59:00Z");
  EXPECT_EQ(bars->front().open, 23140.48);
  EXPECT_EQ(bars->front().volume, 2.131777);
  size_t zero_volume = 0;
  for (const auto& b : *bars) zero_volume += b.volume == 0;
  EXPECT_EQ(zero_volume, 658u);
}

TEST_F(CsvTest, ParsesEveryTimestampFormAndFlagsInconsistentBars) {
  const std::string p = write(
      "open_time,open,high,low,close,volume\r\n"
      "2023-03-01 01:00:00+01:00,10,11,9,10.5,1\r\n"  // = 00:00Z
      "2023-03-01T00:01:00Z,10,11,9,10.5,0\n"
      "\n"
      "2023-03-01T00:02:30.25,10,11,9,10.5,0\n"
      "1677628980,10,9,11,10,1\n"       // epoch seconds (00:03); high < low
      "1677629040000,10,11,9,12,1\n"    // epoch ms (00:04); close > high
      "1677629100,0,11,9,10,1\n");      // open 0
  auto bars = read_ohlcv_csv(p);
  ASSERT_TRUE(bars) << bars.error().message;
  ASSERT_EQ(bars->size(), 6u);
  EXPECT_EQ(format_utc((*bars)[0].open_time_ns), "2023-03-01T00:00:00Z");
  EXPECT_EQ(format_utc((*bars)[1].open_time_ns), "2023-03-01T00:01:00Z");
  EXPECT_EQ(format_utc((*bars)[2].open_time_ns), "2023-03-01T00:02:30.25Z");
  EXPECT_EQ(format_utc((*bars)[3].open_time_ns), "2023-03-01T00:03:00Z");
  EXPECT_EQ(format_utc((*bars)[4].open_time_ns), "2023-03-01T00:04:00Z");
  EXPECT_TRUE((*bars)[0].usable);
  EXPECT_TRUE((*bars)[1].usable);
  EXPECT_FALSE((*bars)[3].usable);
  EXPECT_FALSE((*bars)[4].usable);
  EXPECT_FALSE((*bars)[5].usable);
}

TEST_F(CsvTest, ErrorsNameTheLine) {
  std::string p = write("time,open,high,low,close,volume\n");
  EXPECT_EQ(read_ohlcv_csv(p).error().message,
            p + ":1: expected header 'open_time,open,high,low,close,volume', got 'time,open,high,low,close,volume'");
  p = write("open_time,open,high,low,close,volume\n2023-03-01 00:00:00+00:00,1,2,1,1.5\n");
  EXPECT_EQ(read_ohlcv_csv(p).error().message, p + ":2: expected 6 fields, got 5");
  p = write("open_time,open,high,low,close,volume\n2023-03-01 00:00:00+00:00,1,2,1,1.5,1\n2023-03-01 00:01:00,1,2x,1,1.5,1\n");
  EXPECT_EQ(read_ohlcv_csv(p).error().message, p + ":3: high '2x' is not a number");
  p = write("open_time,open,high,low,close,volume\n2023-03-01 00:00:00+00:00,1,2,1,nan,1\n");
  EXPECT_EQ(read_ohlcv_csv(p).error().message, p + ":2: close 'nan' is not finite");
  p = write("open_time,open,high,low,close,volume\n2023-02-30 00:00:00,1,2,1,1.5,1\n");
  EXPECT_EQ(read_ohlcv_csv(p).error().message,
            p + ":2: open_time '2023-02-30 00:00:00' is neither ISO-8601 (YYYY-MM-DD HH:MM:SS[+HH:MM]) nor epoch "
                "seconds/milliseconds");
  p = write("open_time,open,high,low,close,volume\n2023-03-01 00:00:00,1,2,1,1.5,-3\n");
  EXPECT_EQ(read_ohlcv_csv(p).error().message, p + ":2: volume must not be negative, got -3");
  p = write("");
  EXPECT_EQ(read_ohlcv_csv(p).error().message, p + ":1: empty file, expected header 'open_time,open,high,low,close,volume'");
  EXPECT_EQ(read_ohlcv_csv("/nonexistent/bars.csv").error().code, ErrorCode::kNotFound);
}

TEST(FormatUtc, PrintsIso8601) {
  EXPECT_EQ(format_utc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_utc(kT0 + 9 * 86400LL * 1'000'000'000 + 123), "2023-03-10T00:00:00.000000123Z");
  EXPECT_EQ(format_utc(-1'000'000'000), "1969-12-31T23:59:59Z");
}

}  // namespace
}  // namespace tp::hmm
