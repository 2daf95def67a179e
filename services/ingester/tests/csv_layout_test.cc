#include "tp/ingester/csv_layout.h"

#include <gtest/gtest.h>

namespace tp::ingester {
namespace {

TEST(SplitCsv, TrimsAndUnquotes) {
  auto f = split_csv_line(" a , \"b c\" ,,d\r");
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(f[0], "a");
  EXPECT_EQ(f[1], "b c");
  EXPECT_EQ(f[2], "");
  EXPECT_EQ(f[3], "d");
}

TEST(CsvRowParser, BundledLayoutExactFixedPoint) {
  CsvRowParser p(CsvLayout{});
  ASSERT_FALSE(p.ready());
  ASSERT_TRUE(p.on_header("open_time,open,high,low,close,volume"));
  auto bar = p.parse("2023-03-01 00:00:00+00:00,23140.48,23150.77,23128.52,23142.31,2.131777");
  ASSERT_TRUE(bar) << bar.error().detail;
  EXPECT_EQ(bar->open_time_ns, 1677628800'000'000'000);
  EXPECT_EQ(bar->open_e8, 2314048000000);
  EXPECT_EQ(bar->high_e8, 2315077000000);
  EXPECT_EQ(bar->low_e8, 2312852000000);
  EXPECT_EQ(bar->close_e8, 2314231000000);
  EXPECT_EQ(bar->volume_e8, 213177700);
}

TEST(CsvRowParser, HeaderInAnyOrderWithExtraColumns) {
  CsvLayout layout;
  layout.columns = {"ts", "o", "h", "l", "c", "v"};
  layout.time_format = TimeFormat::kEpochMillis;
  CsvRowParser p(layout);
  ASSERT_TRUE(p.on_header("v,c,trades,l,h,o,ts"));
  auto bar = p.parse("1.5,100.25,17,99,101,100,1677628800000");
  ASSERT_TRUE(bar) << bar.error().detail;
  EXPECT_EQ(bar->open_time_ns, 1677628800'000'000'000);
  EXPECT_EQ(bar->open_e8, 10000000000);
  EXPECT_EQ(bar->high_e8, 10100000000);
  EXPECT_EQ(bar->low_e8, 9900000000);
  EXPECT_EQ(bar->close_e8, 10025000000);
  EXPECT_EQ(bar->volume_e8, 150000000);
  // With a header the field count must match exactly.
  EXPECT_EQ(p.parse("1.5,100.25,17,99,101,100").error().detail, "expected 7 fields, got 6");
}

TEST(CsvRowParser, MissingHeaderColumnsAreNamed) {
  CsvRowParser p(CsvLayout{});
  EXPECT_EQ(p.on_header("time,open,high,low,close").error().message,
            "header has no column(s) open_time, volume");
  EXPECT_FALSE(p.ready());
}

TEST(CsvRowParser, HeaderlessByIndexEpochSeconds) {
  CsvLayout layout;
  layout.header = false;
  layout.columns = {"5", "0", "1", "2", "3", "4"};
  layout.time_format = TimeFormat::kEpochSeconds;
  CsvRowParser p(layout);
  ASSERT_TRUE(p.ready());
  auto bar = p.parse("10,12,9,11,0.00000001,1677628860,extra");
  ASSERT_TRUE(bar) << bar.error().detail;
  EXPECT_EQ(bar->open_time_ns, 1677628860'000'000'000);
  EXPECT_EQ(bar->open_e8, 1000000000);
  EXPECT_EQ(bar->volume_e8, 1);
  EXPECT_EQ(p.parse("10,12,9,11,1").error().detail, "expected at least 6 fields, got 5");
}

TEST(CsvRowParser, RejectionsHaveStableReasonsAndExactText) {
  CsvRowParser p(CsvLayout{});
  ASSERT_TRUE(p.on_header("open_time,open,high,low,close,volume"));
  auto e1 = p.parse("2023-03-01 00:00:00,1,1,1,1,1").error();
  EXPECT_EQ(e1.reason, "bad_time");
  EXPECT_EQ(e1.detail, "bad ISO 8601 time '2023-03-01 00:00:00': missing UTC offset (Z or +HH:MM)");
  auto e2 = p.parse("2023-03-01T00:00:00Z,1,abc,1,1,1").error();
  EXPECT_EQ(e2.reason, "bad_number");
  EXPECT_EQ(e2.detail.substr(0, 11), "high 'abc':");
  auto e3 = p.parse("2023-03-01T00:00:00Z,1,1,1,1,0.123456789").error();
  EXPECT_EQ(e3.reason, "bad_number");
  EXPECT_EQ(e3.detail.substr(0, 20), "volume '0.123456789'");
  auto e4 = p.parse("2023-03-01T00:00:00Z,1,1,0,1,1").error();
  EXPECT_EQ(e4.reason, "bad_value");
  EXPECT_EQ(e4.detail, "low must be positive, got 0");
  auto e5 = p.parse("2023-03-01T00:00:00Z,1,1,1,1,-2.5").error();
  EXPECT_EQ(e5.reason, "bad_value");
  EXPECT_EQ(e5.detail, "volume must not be negative, got -2.5");
  auto e6 = p.parse("2023-03-01T00:00:00Z,1,1,1").error();
  EXPECT_EQ(e6.reason, "column_count");
  EXPECT_EQ(e6.detail, "expected 6 fields, got 4");
  EXPECT_EQ(p.parse("2023-03-01T00:00:00Z,1,1,1,1,1e-9").error().reason, "bad_number");
  EXPECT_EQ(p.parse("2023-03-01T00:00:00Z,1,1,1,1,1e+").error().reason, "bad_number");
  // The bundled BTCUSDT file writes tiny volumes like this (line 15016).
  EXPECT_EQ(p.parse("2023-03-11 10:14:00+00:00,20081.61,20081.61,20081.61,20081.61,9e-05")->volume_e8, 9000);
}

TEST(ExpandExponent, ExactTextualShift) {
  EXPECT_EQ(expand_exponent("9e-05"), "0.00009");
  EXPECT_EQ(expand_exponent("5.4e-05"), "0.000054");
  EXPECT_EQ(expand_exponent("1.5E+3"), "1500");
  EXPECT_EQ(expand_exponent("-2.50e1"), "-25");
  EXPECT_EQ(expand_exponent("1e-8"), "0.00000001");
  EXPECT_EQ(expand_exponent("1e-9"), "0.000000001");  // from_string refuses it: no rounding
  EXPECT_EQ(expand_exponent("123.45"), "123.45");
  EXPECT_EQ(expand_exponent("1e"), "1e");
  EXPECT_EQ(expand_exponent("1e9999"), "1e9999");
  EXPECT_EQ(expand_exponent("x1e2"), "x1e2");
}

TEST(CsvRowParser, ValidateLayout) {
  CsvLayout layout;
  layout.header = false;
  EXPECT_EQ(CsvRowParser::validate(layout).error().message,
            "column open_time must be a 0-based index such as \"3\" when the file has no header, "
            "got 'open_time'");
  layout.columns = CsvLayout::default_indexes();
  EXPECT_TRUE(CsvRowParser::validate(layout));
  layout.columns[kClose] = "1";
  EXPECT_EQ(CsvRowParser::validate(layout).error().message,
            "column close uses '1', already used by another column");
}

}  // namespace
}  // namespace tp::ingester
