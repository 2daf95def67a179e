#include "decision/core/decision_config.h"

#include <gtest/gtest.h>

namespace tp::decision {
namespace {

Result<DecisionConfig> load(std::string_view json) {
  auto doc = config::parse_document(json, "<test>");
  if (!doc) return std::unexpected(doc.error());
  config::Reader r(*doc);
  DecisionConfig cfg = read_decision_config(r);
  if (auto done = r.finish(); !done) return std::unexpected(done.error());
  return cfg;
}

TEST(DecisionConfig, ReadsDecimalsExactly) {
  auto cfg = load(R"({"strategies": {"momo": {"instruments": ["binance-us/BTCUSDT"],
      "max_position": "0.5", "max_order_notional": "25000.5", "lot_size": "0.0001"}},
      "risk": {"chop_scale": "0.25", "max_notional_total": "100000"}})");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  const auto& m = cfg->strategies.at("momo");
  ASSERT_EQ(m.instruments.size(), 1u);
  EXPECT_EQ(m.instruments[0].venue, "binance-us");
  EXPECT_EQ(m.instruments[0].symbol, "BTCUSDT");
  EXPECT_EQ(m.max_position_e8, 50'000'000);
  EXPECT_EQ(m.max_order_notional_e8, 2'500'050'000'000);
  EXPECT_EQ(m.lot_size_e8, 10'000);
  EXPECT_EQ(cfg->chop_scale_e8, 25'000'000);
  EXPECT_EQ(cfg->max_notional_total_e8, 10'000'000'000'000);
}

TEST(DecisionConfig, DefaultsChopScaleToOneAndNoTotalLimit) {
  auto cfg = load(R"({"strategies": {"momo": {"instruments": ["binance-us/BTCUSDT"],
      "max_position": "1", "max_order_notional": "1", "lot_size": "1"}}})");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  EXPECT_EQ(cfg->chop_scale_e8, 100'000'000);
  EXPECT_FALSE(cfg->max_notional_total_e8.has_value());
}

TEST(DecisionConfig, ReportsEveryProblem) {
  auto cfg = load(R"({"strategies": {"momo": {"instruments": ["BTCUSDT"],
      "max_position": "0.123456789", "max_order_notional": "-1", "lot_size": "0.0001"}},
      "risk": {"chop_scale": "1.5"}})");
  ASSERT_FALSE(cfg.has_value());
  EXPECT_EQ(cfg.error().message,
            "config <test> has 4 errors:\n"
            "  risk.chop_scale: must be between 0 and 1\n"
            "  strategies.momo.instruments: \"BTCUSDT\" is not \"venue/symbol\", e.g. "
            "\"binance-us/BTCUSDT\"\n"
            "  strategies.momo.max_order_notional: must be greater than 0 (got \"-1\")\n"
            "  strategies.momo.max_position: must be a decimal string with at most 8 decimals, "
            "e.g. \"0.5\" (got \"0.123456789\")");
}

TEST(DecisionConfig, NeedsAStrategy) {
  auto cfg = load(R"({})");
  ASSERT_FALSE(cfg.has_value());
  EXPECT_EQ(cfg.error().message,
            "config <test> has 1 error:\n  strategies: at least one strategy is required");
}

}  // namespace
}  // namespace tp::decision
