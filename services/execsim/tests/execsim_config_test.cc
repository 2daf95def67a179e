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

}  // namespace
}  // namespace tp::execsim
