#include "report.h"

#include <gtest/gtest.h>

#include "status_report.h"
#include "table.h"

namespace tp::tradectl {
namespace {

TEST(Table, AlignsColumnsWithoutTrailingSpaces) {
  Table t({{"name"}, {"n", Table::kRight}, {"note"}});
  t.add_row({"a", "1", ""});
  t.add_row({"long-name", "12345", "x"});
  EXPECT_EQ(t.render(),
            "name           n  note\n"
            "---------  -----  ----\n"
            "a              1\n"
            "long-name  12345  x\n");
}

TEST(Report, PositionsRenderFixedPointExactly) {
  PositionRow r{.strategy = "ma_trend", .venue = "binance-us", .symbol = "BTCUSDT",
                .bar_time_ns = 1677628800'000'000'000, .quantity_e8 = -25'000'000,
                .average_cost_e8 = 2'312'345'678'901, .realized_pnl_e8 = 1,
                .unrealized_pnl_e8 = -150'000'000, .fees_e8 = 2'312'345,
                .mark_price_e8 = 2'318'345'678'901, .cash_e8 = 0,
                .equity_e8 = 1'000'012'345'678'901};
  EXPECT_EQ(render_positions({r}),
            "strategy  venue       symbol   as of (bar)           quantity        avg cost            mark    realized  unrealized        fees             equity\n"
            "--------  ----------  -------  --------------------  --------  --------------  --------------  ----------  ----------  ----------  -----------------\n"
            "ma_trend  binance-us  BTCUSDT  2023-03-01T00:00:00Z     -0.25  23123.45678901  23183.45678901  0.00000001        -1.5  0.02312345  10000123.45678901\n");
  EXPECT_EQ(render_positions({}), "no positions\n");
}

TEST(Report, Audit) {
  EXPECT_EQ(render_audit({.from = 0, .checked = 1000, .seconds = 0.5}),
            "checked 1000 entries (0..999) in 0.500 s (2000 entries/s)\nOK\n");
  EXPECT_EQ(render_audit({.from = 10, .checked = 3, .seconds = 0.25, .broken_index = 13,
                          .broken_reason = "index gap at 13: entry 13 is missing (next entry is 14)"}),
            "checked 3 entries (10..12) in 0.250 s (12 entries/s)\n"
            "BROKEN at index 13: index gap at 13: entry 13 is missing (next entry is 14)\n");
  EXPECT_EQ(render_audit({.from = 0, .checked = 0, .seconds = 0}),
            "checked 0 entries in 0.000 s\nOK\n");
  EXPECT_EQ(render_audit({.from = 0, .checked = 4, .seconds = 0, .tree_checked = true, .tree_size = 4,
                          .root_hex = "ab", .nodes_checked = 7, .heads_checked = 1,
                          .latest_head_size = 4, .key_pinned = true, .notes = {"n1"}}),
            "checked 4 entries (0..3) in 0.000 s\n"
            "tree: 4 entries, root ab, 7 stored nodes matched\n"
            "tree heads: 1 verified (latest size 4), signatures checked with the pinned public key\n"
            "note: n1\nOK\n");
}

TEST(Report, Entries) {
  EXPECT_EQ(render_entries({}), "no entries\n");
  EXPECT_EQ(render_entries({{.index = 7, .published_ns = 1677628800'123'456'789, .stream = "MD",
                             .stream_sequence = 3, .message_type = "trading.v1.Bar",
                             .subject = "md.bar", .producer = "ingester", .correlation_id = "bar:1"}}),
            "index  published (UTC)           stream  seq  type            subject  producer  correlation\n"
            "-----  ------------------------  ------  ---  --------------  -------  --------  -----------\n"
            "    7  2023-03-01T00:00:00.123Z  MD        3  trading.v1.Bar  md.bar   ingester  bar:1\n"
            "1 entry\n");
}

TEST(Report, QualityLabels) {
  EXPECT_EQ(quality_label(0), "OK");
  EXPECT_EQ(quality_label(1), "ZERO_VOLUME");
  EXPECT_EQ(quality_label(1 | 4), "ZERO_VOLUME+GAP_BEFORE");
  EXPECT_EQ(quality_label(8 | 64), "OUT_OF_ORDER+0x40");
}

TEST(Report, Summary) {
  Summary s;
  s.messages_by_type = {{"trading.v1.Bar", 10}, {"trading.v1.Signal", 20},
                        {"trading.v1.OrderIntent", 3}, {"trading.v1.DecisionRejection", 17},
                        {"trading.v1.ExecutionReport", 5}, {"trading.v1.DeadLetter", 1}};
  s.bars_by_quality = {{"OK", 9}, {"ZERO_VOLUME", 1}};
  s.rejections_by_reason = {{"REJECT_NO_CHANGE", 15}, {"REJECT_FLAGGED_BAR", 2}};
  s.reports_by_exec_type = {{"EXEC_ACK", 3}, {"EXEC_FILL", 2}};
  s.dead_letters_by_reason = {{"stale", 1}};
  s.execsim_tables = true;
  s.positions = {{.strategy = "ma", .venue = "v", .symbol = "BTC", .quantity_e8 = 100'000'000,
                  .realized_pnl_e8 = 1'000'000'000, .unrealized_pnl_e8 = -50'000'000,
                  .fees_e8 = 12'345, .equity_e8 = 1'000'950'000'000}};
  s.performance = {{"v/BTC", {.bars = 3, .total_return = 0.0125, .sharpe = 1.5, .max_drawdown = 0.02}}};
  s.streams = {{"MD", 10, 10}, {"SIG", 20, std::nullopt}};
  s.audit = AuditResult{.checked = 56};
  EXPECT_EQ(render_summary(s),
            "== messages (ledger) ==\n"
            "item                  count\n"
            "--------------------  -----\n"
            "bars                     10\n"
            "  bars OK                 9\n"
            "  bars ZERO_VOLUME        1\n"
            "regime posteriors         0\n"
            "parameter choices         0\n"
            "signals                  20\n"
            "order intents             3\n"
            "rejections               17\n"
            "  REJECT_FLAGGED_BAR      2\n"
            "  REJECT_NO_CHANGE       15\n"
            "execution reports         5\n"
            "  EXEC_ACK                3\n"
            "  EXEC_FILL               2\n"
            "fills                     2\n"
            "positions                 0\n"
            "kill switch events        0\n"
            "dead letters              1\n"
            "  stale                   1\n"
            "all ledger entries       56\n"
            "\n"
            "== PnL per strategy and instrument (execsim) ==\n"
            "strategy  instrument  quantity  realized        fees  unrealized     net pnl   equity\n"
            "--------  ----------  --------  --------  ----------  ----------  ----------  -------\n"
            "ma        v/BTC              1        10  0.00012345        -0.5  9.49987655  10009.5\n"
            "\n"
            "== risk per instrument (per-bar returns, annualised x sqrt(525600)) ==\n"
            "instrument  bars   return  sharpe  max drawdown\n"
            "----------  ----  -------  ------  ------------\n"
            "v/BTC          3  1.2500%   1.500       2.0000%\n"
            "\n"
            "== streams ==\n"
            "stream  broker messages  ledger entries\n"
            "------  ---------------  --------------\n"
            "MD                   10              10\n"
            "SIG                   -              20\n"
            "\n"
            "== ledger ==\n"
            "entries: 56\n"
            "chain: OK (56 entries verified)\n");
}

TEST(Status, InterpretsAdminAnswers) {
  AdminTarget t{"decision", "http://127.0.0.1:1"};
  auto row = interpret_status(t, HttpResponse{200, "ok\n"},
                              HttpResponse{200, "ready\nbroker: ok\ndatabase: ok\n"});
  EXPECT_EQ(row.health, "ok");
  EXPECT_EQ(row.ready, "ready");
  EXPECT_EQ(row.details, "broker: ok, database: ok");
  EXPECT_TRUE(row.is_ready);

  auto down = interpret_status(
      t, HttpResponse{200, "ok\n"},
      HttpResponse{503, "not ready\nbroker: ok\ndatabase: failed: unavailable: refused\n"});
  EXPECT_EQ(down.ready, "not ready");
  EXPECT_EQ(down.details, "broker: ok, database: failed: unavailable: refused");
  EXPECT_FALSE(down.is_ready);

  Result<HttpResponse> refused = make_error(ErrorCode::kUnavailable, "GET x: Connection refused");
  auto gone = interpret_status({"ledger", "http://x"}, refused, refused);
  EXPECT_EQ(gone.health, "unreachable");
  EXPECT_EQ(gone.ready, "unreachable");
  EXPECT_EQ(gone.details, "GET x: Connection refused");

  EXPECT_EQ(render_status({row, down, gone}),
            "service   health       ready        details\n"
            "--------  -----------  -----------  --------------------------------------------------\n"
            "decision  ok           ready        broker: ok, database: ok\n"
            "decision  ok           not ready    broker: ok, database: failed: unavailable: refused\n"
            "ledger    unreachable  unreachable  GET x: Connection refused\n"
            "1 of 3 services ready\n");
}

}  // namespace
}  // namespace tp::tradectl
