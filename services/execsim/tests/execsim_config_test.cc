#include "execsim/core/execsim_config.h"

#include <gtest/gtest.h>

namespace tp::execsim {
namespace {

Result<ExecsimConfig> load(std::string_view json) {
  auto doc = config::parse_document(json, "<test>");
  if (!doc) return std::unexpected(doc.error());
  config::Reader r(*doc);
  ExecsimConfig cfg = read_execsim_config(r);
  if (auto done = r.finish(); !done) return std::unexpected(done.error());
  return cfg;
}

TEST(ExecsimConfig, ReadsBooksAndTheFillModel) {
  auto cfg = load(R"({"strategies": {"momo": {"instruments": ["binance-us/BTCUSDT"],
      "initial_cash": "100000.5"}},
      "execution": {"slippage_bps": 5, "taker_fee_bps": 10, "maker_fee_bps": 2,
                    "max_volume_share": "0.25"}})");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  const auto& m = cfg->strategies.at("momo");
  ASSERT_EQ(m.instruments.size(), 1u);
  EXPECT_EQ(m.instruments[0].to_string(), "binance-us/BTCUSDT");
  EXPECT_EQ(m.initial_cash_e8, 10'000'050'000'000);
  EXPECT_EQ(cfg->fills.slippage_bps, 5);
  EXPECT_EQ(cfg->fills.taker_fee_bps, 10);
  EXPECT_EQ(cfg->fills.maker_fee_bps, 2);
  EXPECT_EQ(cfg->fills.max_volume_share_e8, 25'000'000);
  EXPECT_EQ(cfg->finished_order_memory, 4096);
}

TEST(ExecsimConfig, ReportsEveryProblem) {
  auto cfg = load(R"({"strategies": {"momo": {"instruments": ["x"], "initial_cash": "1e5"}},
      "execution": {"max_volume_share": "1.5", "slippage_bps": 20000}})");
  ASSERT_FALSE(cfg.has_value());
  EXPECT_EQ(cfg.error().message,
            "config <test> has 4 errors:\n"
            "  execution.max_volume_share: must be greater than 0 and at most 1\n"
            "  execution.slippage_bps: must be between 0 and 1000, got 20000\n"
            "  strategies.momo.initial_cash: must be a decimal string with at most 8 decimals, "
            "e.g. \"0.5\" (got \"1e5\")\n"
            "  strategies.momo.instruments: \"x\" is not \"venue/symbol\", e.g. "
            "\"binance-us/BTCUSDT\"");
}

TEST(ExecsimConfig, ReadsEveryFillAssumption) {
  auto cfg = load(R"({"strategies": {"momo": {"instruments": ["binance-us/BTCUSDT"],
      "initial_cash": "1"}},
      "grpc": {"address": "127.0.0.1:0"},
      "execution": {"slippage_atr_fraction": "0.5", "impact_coefficient": "0.1", "atr_bars": 20,
                    "fee_tiers": {"vip": {"min_volume": "1000000", "maker_bps": "1",
                                          "taker_bps": "7.5"},
                                  "base": {"min_volume": "0", "maker_bps": "2", "taker_bps": "10"}},
                    "fee_tier_window_days": 0, "min_fee_per_order": "1.25",
                    "intrabar_path": "bar_direction", "gap_fill": "order_price",
                    "limit_fill": "touch", "iceberg_slices_per_bar": 3, "latency": "250ms",
                    "session_end_utc": "21:30", "no_fill_flags": ["ZERO_VOLUME", "OUTLIER"]}})");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  const FillModel& f = cfg->fills;
  EXPECT_EQ(f.slippage_atr_fraction_e8, 50'000'000);
  EXPECT_EQ(f.impact_coefficient_e8, 10'000'000);
  EXPECT_EQ(f.atr_bars, 20);
  ASSERT_EQ(f.fee_tiers.size(), 2u);
  EXPECT_EQ(f.fee_tiers[0].name, "base");  // sorted by min_volume
  EXPECT_EQ(f.fee_tiers[1].taker_bps_e8, 750'000'000);
  EXPECT_EQ(f.fee_tier_window_days, 0);
  EXPECT_EQ(f.min_fee_per_order_e8, 125'000'000);
  EXPECT_EQ(f.path, IntrabarPath::kBarDirection);
  EXPECT_EQ(f.gap_fill, GapFill::kOrderPrice);
  EXPECT_EQ(f.limit_fill, LimitFill::kTouch);
  EXPECT_EQ(f.iceberg_slices_per_bar, 3);
  EXPECT_EQ(f.latency_ns, 250'000'000);
  EXPECT_EQ(f.session_end_ns, (21 * 3600 + 30 * 60) * 1'000'000'000LL);
  EXPECT_EQ(f.no_fill_flags, 3u);
  EXPECT_EQ(cfg->grpc_address, "127.0.0.1:0");
  // Defaults.
  auto d = load(R"({"strategies": {"m": {"instruments": ["v/S"], "initial_cash": "1"}}})");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->fills.path, IntrabarPath::kNearerExtremeFirst);
  EXPECT_EQ(d->fills.no_fill_flags, 1u | 2u | 4u | 16u);
  EXPECT_EQ(d->fills.tiers().size(), 1u);
  EXPECT_EQ(d->grpc_address, "127.0.0.1:50065");
}

TEST(ExecsimConfig, RejectsBadFillAssumptions) {
  auto cfg = load(R"({"strategies": {"m": {"instruments": ["v/S"], "initial_cash": "1"}},
      "execution": {"fee_tiers": {"a": {"min_volume": "5", "maker_bps": "1", "taker_bps": "2"}},
                    "intrabar_path": "random", "session_end_utc": "25:00",
                    "no_fill_flags": ["LATE"]}})");
  ASSERT_FALSE(cfg.has_value());
  const std::string& m = cfg.error().message;
  EXPECT_NE(m.find("execution.fee_tiers: one tier must have min_volume \"0\""), std::string::npos) << m;
  EXPECT_NE(m.find("execution.intrabar_path"), std::string::npos) << m;
  EXPECT_NE(m.find("execution.session_end_utc: must be \"HH:MM\" (UTC), got \"25:00\""), std::string::npos) << m;
  EXPECT_NE(m.find("\"LATE\" is not one of ZERO_VOLUME, OUTLIER, GAP_BEFORE, INCONSISTENT"), std::string::npos) << m;
}

TEST(ExecsimConfig, ReadsTheBuyingPowerLimit) {
  const char* base = R"({"strategies": {"m": {"instruments": ["v/S"], "initial_cash": "1"}}})";
  auto d = load(base);
  ASSERT_TRUE(d.has_value()) << d.error().message;
  EXPECT_EQ(d->fills.max_leverage_e8, 100'000'000);  // default 1: a cash account
  auto with = [](const char* leverage) {
    return load(std::string(R"({"strategies": {"m": {"instruments": ["v/S"], "initial_cash": "1"}},
        "account": {"max_leverage": ")") + leverage + "\"}}");
  };
  auto two = with("2.5");
  ASSERT_TRUE(two.has_value()) << two.error().message;
  EXPECT_EQ(two->fills.max_leverage_e8, 250'000'000);
  auto off = with("0");
  ASSERT_TRUE(off.has_value()) << off.error().message;
  EXPECT_EQ(off->fills.max_leverage_e8, 0);  // no check
  auto bad = with("-1");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("account.max_leverage: must not be negative"), std::string::npos)
      << bad.error().message;
}

}  // namespace
}  // namespace tp::execsim
