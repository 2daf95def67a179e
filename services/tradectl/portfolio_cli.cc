#include "portfolio_cli.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "report.h"
#include "table.h"
#include "tp/core/fixed_point.h"

namespace tp::tradectl {

namespace v1 = trading::v1;

namespace {

Error usage_error(const std::string& message) { return {ErrorCode::kInvalidArgument, message}; }

std::string fx(int64_t e8) { return fixed::to_string(e8); }

std::string ratio(double v, const char* format = "%.4f") {
  if (std::isnan(v)) return "n/a";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string percent(double v) { return std::isnan(v) ? "n/a" : ratio(v * 100, "%.2f") + "%"; }

std::string strip(const std::string& name, std::string_view prefix) {
  return name.starts_with(prefix) ? name.substr(prefix.size()) : name;
}

const char* kCommon =
    "  --db        libpq connection string; default: $TP_DB or\n"
    "              \"host=127.0.0.1 port=55432 user=tp dbname=trading\"\n"
    "  --from/--to time range (inclusive), ns since the epoch or 2023-03-01[T00:00:00Z]\n";

// days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace

bool is_portfolio_command(const std::string& name) {
  return name == "orders" || name == "history" || name == "stats" || name == "trades" ||
         name == "outcomes";
}

std::string portfolio_usage(const std::string& topic) {
  if (topic == "orders")
    return std::string(
               "usage: tradectl orders [--strategy S] [--symbol SYM] [--open] [--from T] [--to T]\n"
               "                       [--limit N] [--db CONN]\n"
               "       tradectl orders --id CLIENT_ORDER_ID [--db CONN]\n"
               "  Orders as execsim holds them (latest N by decision time, default 1000) with\n"
               "  their state, fills and last event; --open: only working ones. --id: one\n"
               "  order and every execution report of it, with the venue's explanation.\n") +
           kCommon;
  if (topic == "history")
    return std::string(
               "usage: tradectl history [--strategy S] [--venue V] [--symbol SYM] [--from T]\n"
               "                        [--to T] [--limit N] [--db CONN]\n"
               "  Position after every bar (execsim_position_history): quantity, average\n"
               "  cost, mark, realized and unrealized PnL, fees, cash, equity.\n") +
           kCommon;
  if (topic == "stats")
    return std::string(
               "usage: tradectl stats [--strategy S] [--venue V] [--symbol SYM] [--from T] [--to T]\n"
               "                      [--db CONN]\n"
               "  Trade statistics over the range: trades (closing fills), win rate, average\n"
               "  win and loss, profit factor, Sharpe, Sortino, max drawdown, volatility,\n"
               "  turnover, exposure. Formulas: docs/services/execsim.md.\n") +
           kCommon;
  if (topic == "trades")
    return std::string(
               "usage: tradectl trades [--strategy S] [--venue V] [--symbol SYM] [--from T]\n"
               "                       [--to T] [--limit N] [--db CONN]\n"
               "  Closed trades: each closing fill with entry and exit price, gross PnL,\n"
               "  fees (including the opening fees of the closed quantity) and net PnL.\n") +
           kCommon;
  if (topic == "outcomes")
    return std::string(
               "usage: tradectl outcomes [--decision ID] [--strategy S] [--symbol SYM] [--from T]\n"
               "                         [--to T] [--limit N] [--db CONN]\n"
               "  Realised outcomes attributed to the decision ids that produced them (what\n"
               "  paramctl learns from): net PnL, fees, entry notional, reward.\n") +
           kCommon;
  return "";
}

Result<int64_t> parse_portfolio_time(const std::string& text) {
  int64_t ns = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), ns);
  if (ec == std::errc() && p == text.data() + text.size()) return ns;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  char z = 0;
  const bool date_only = text.size() == 10 && std::sscanf(text.c_str(), "%4d-%2d-%2d", &y, &mo, &d) == 3;
  const bool full = text.size() == 20 &&
                    std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &s, &z) == 7 &&
                    z == 'Z';
  if ((!date_only && !full) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59)
    return std::unexpected(usage_error("'" + text +
                                       "' is not a time: ns since the epoch, 2023-03-01 or "
                                       "2023-03-01T00:00:00Z"));
  const int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return ((days * 86400 + h * 3600 + mi * 60 + s) * 1'000'000'000LL);
}

Result<PortfolioOptions> parse_portfolio_command(const std::vector<std::string>& args,
                                                 const Environment& env) {
  PortfolioOptions o;
  const std::string& cmd = args.at(0);
  o.command = cmd == "orders"    ? PortfolioCommand::kOrders
              : cmd == "history" ? PortfolioCommand::kHistory
              : cmd == "stats"   ? PortfolioCommand::kStats
              : cmd == "trades"  ? PortfolioCommand::kTrades
                                 : PortfolioCommand::kOutcomes;
  if (auto it = env.find("TP_DB"); it != env.end() && !it->second.empty()) o.db = it->second;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& flag = args[i];
    if (flag == "--help" || flag == "-h") {
      o.help = true;
      return o;
    }
    if (flag == "--open" && o.command == PortfolioCommand::kOrders) {
      o.open_only = true;
      continue;
    }
    auto value = [&]() -> Result<std::string> {
      if (i + 1 >= args.size() || args[i + 1].starts_with("--"))
        return std::unexpected(usage_error(cmd + ": " + flag + " needs a value"));
      return args[++i];
    };
    const bool any = true;
    const bool orders = o.command == PortfolioCommand::kOrders;
    const bool outcomes = o.command == PortfolioCommand::kOutcomes;
    const bool listing = o.command != PortfolioCommand::kStats;
    std::string* target = nullptr;
    if (flag == "--db" && any) target = &o.db;
    else if (flag == "--strategy") target = &o.strategy;
    else if (flag == "--symbol") target = &o.symbol;
    else if (flag == "--venue" && !orders && !outcomes) target = &o.venue;
    else if (flag == "--id" && orders) target = &o.id;
    else if (flag == "--decision" && outcomes) target = &o.decision_id;
    if (target) {
      auto v = value();
      if (!v) return std::unexpected(v.error());
      *target = *v;
      continue;
    }
    if (flag == "--from" || flag == "--to") {
      auto v = value();
      if (!v) return std::unexpected(v.error());
      auto t = parse_portfolio_time(*v);
      if (!t) return std::unexpected(usage_error(cmd + ": " + flag + ": " + t.error().message));
      (flag == "--from" ? o.from_ns : o.to_ns) = *t;
      continue;
    }
    if (flag == "--limit" && listing) {
      auto v = value();
      if (!v) return std::unexpected(v.error());
      uint32_t n = 0;
      auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
      if (ec != std::errc() || p != v->data() + v->size() || n == 0)
        return std::unexpected(usage_error(cmd + ": --limit needs a positive integer, got '" + *v + "'"));
      o.limit = n;
      continue;
    }
    return std::unexpected(usage_error(cmd + ": unknown " +
                                       std::string(flag.starts_with("-") ? "option" : "argument") +
                                       " '" + flag + "'"));
  }
  if (o.to_ns != 0 && o.to_ns < o.from_ns)
    return std::unexpected(usage_error(cmd + ": --to is before --from"));
  return o;
}

std::string render_orders(const v1::GetOrdersResponse& r) {
  if (r.orders_size() == 0) return "no orders\n";
  Table t({{"decided (bar)"}, {"client_order_id"}, {"strategy"}, {"symbol"}, {"side"}, {"type"},
           {"tif"}, {"quantity", Table::kRight}, {"limit", Table::kRight}, {"stop", Table::kRight},
           {"status"}, {"filled", Table::kRight}, {"avg price", Table::kRight},
           {"fees", Table::kRight}, {"last event"}});
  for (int i = 0; i < r.orders_size(); ++i) {
    const auto& o = r.orders(i);
    const auto& e = r.last_reports(i);
    const std::string status = e.order_status() != v1::ORDER_STATUS_UNSPECIFIED
                                   ? strip(v1::OrderStatus_Name(e.order_status()), "ORDER_STATUS_")
                                   : strip(v1::ExecType_Name(e.exec_type()), "EXEC_");
    t.add_row({format_time(o.trace().event_time_ns()), o.client_order_id(), o.strategy(),
               o.instrument().symbol(), strip(v1::Side_Name(o.side()), "SIDE_"),
               strip(v1::OrderType_Name(o.type()), "ORDER_TYPE_"),
               o.time_in_force() == v1::TIME_IN_FORCE_UNSPECIFIED
                   ? "GTC"
                   : strip(v1::TimeInForce_Name(o.time_in_force()), "TIME_IN_FORCE_"),
               fx(e.order_quantity_e8() != 0 ? e.order_quantity_e8() : o.quantity_e8()),
               o.limit_price_e8() ? fx(o.limit_price_e8()) : "",
               e.stop_price_e8() ? fx(e.stop_price_e8()) : (o.stop_price_e8() ? fx(o.stop_price_e8()) : ""),
               status, fx(e.cumulative_quantity_e8()),
               e.cumulative_quantity_e8() ? fx(e.average_price_e8()) : "",
               fx(e.cumulative_fees_e8()), e.text()});
  }
  return t.render() + std::to_string(r.orders_size()) + " orders\n";
}

std::string render_order_events(const v1::GetOrdersResponse& r) {
  std::string out = render_orders(r);
  if (r.events_size() == 0) return out;
  Table t({{"#", Table::kRight}, {"bar"}, {"event"}, {"status"}, {"qty", Table::kRight},
           {"price", Table::kRight}, {"fee", Table::kRight}, {"filled", Table::kRight},
           {"leaves", Table::kRight}, {"reason"}, {"explanation"}});
  for (const auto& e : r.events()) {
    const auto colon = e.exec_id().rfind(':');
    t.add_row({colon == std::string::npos ? "" : e.exec_id().substr(colon + 1),
               format_time(e.transact_time_ns()), strip(v1::ExecType_Name(e.exec_type()), "EXEC_"),
               strip(v1::OrderStatus_Name(e.order_status()), "ORDER_STATUS_"),
               e.last_quantity_e8() ? fx(e.last_quantity_e8()) : "",
               e.last_quantity_e8() ? fx(e.last_price_e8()) : "",
               e.last_quantity_e8() ? fx(e.fee_e8()) : "", fx(e.cumulative_quantity_e8()),
               fx(e.leaves_quantity_e8()),
               e.reject_reason() == v1::REJECT_REASON_UNSPECIFIED
                   ? ""
                   : strip(v1::RejectReason_Name(e.reject_reason()), "REJECT_"),
               e.text()});
  }
  return out + "\nevents\n" + t.render();
}

std::string render_history(const v1::GetPositionHistoryResponse& r) {
  if (r.positions_size() == 0) return "no positions\n";
  Table t({{"bar"}, {"strategy"}, {"venue"}, {"symbol"}, {"quantity", Table::kRight},
           {"avg cost", Table::kRight}, {"mark", Table::kRight}, {"realized", Table::kRight},
           {"unrealized", Table::kRight}, {"fees", Table::kRight}, {"cash", Table::kRight},
           {"equity", Table::kRight}});
  for (const auto& p : r.positions())
    t.add_row({format_time(p.trace().event_time_ns()), p.strategy(), p.instrument().venue(),
               p.instrument().symbol(), fx(p.quantity_e8()), fx(p.average_cost_e8()),
               fx(p.mark_price_e8()), fx(p.realized_pnl_e8()), fx(p.unrealized_pnl_e8()),
               fx(p.fees_e8()), fx(p.cash_e8()), fx(p.equity_e8())});
  return t.render();
}

std::string render_stats(const v1::TradeStats& s, const PortfolioOptions& o) {
  std::string scope = o.strategy.empty() ? "all strategies" : "strategy " + o.strategy;
  scope += o.symbol.empty() ? (o.venue.empty() ? ", all instruments" : ", venue " + o.venue)
                            : ", " + (o.venue.empty() ? std::string() : o.venue + "/") + o.symbol;
  if (o.from_ns || o.to_ns)
    scope += ", " + (o.from_ns ? format_time(o.from_ns) : std::string("start")) + " .. " +
             (o.to_ns ? format_time(o.to_ns) : std::string("end"));
  Table t({{"statistic"}, {"value", Table::kRight}});
  t.add_row({"trades (closing fills)", std::to_string(s.trades())});
  t.add_row({"wins / losses", std::to_string(s.wins()) + " / " + std::to_string(s.losses())});
  t.add_row({"win rate", percent(s.win_rate())});
  t.add_row({"average win", fx(s.average_win_e8())});
  t.add_row({"average loss", fx(s.average_loss_e8())});
  t.add_row({"profit factor", ratio(s.profit_factor())});
  t.add_row({"net PnL of trades", fx(s.net_pnl_e8())});
  t.add_row({"realized PnL (gross)", fx(s.realized_pnl_e8())});
  t.add_row({"fees (all fills)", fx(s.fees_e8())});
  t.add_row({"fills", std::to_string(s.fills())});
  t.add_row({"turnover", fx(s.turnover_e8())});
  t.add_row({"turnover / mean equity", ratio(s.turnover_ratio())});
  t.add_row({"bars", std::to_string(s.bars())});
  t.add_row({"start equity", fx(s.start_equity_e8())});
  t.add_row({"end equity", fx(s.end_equity_e8())});
  t.add_row({"total return", percent(s.total_return())});
  t.add_row({"Sharpe (annualised)", ratio(s.sharpe())});
  t.add_row({"Sortino (annualised)", ratio(s.sortino())});
  t.add_row({"volatility (annualised)", percent(s.volatility())});
  t.add_row({"max drawdown", percent(s.max_drawdown())});
  t.add_row({"exposure", percent(s.exposure())});
  t.add_row({"periods per year", ratio(s.periods_per_year(), "%.0f")});
  return "trade statistics: " + scope + "\n" + t.render();
}

std::string render_trades(const v1::GetTradesResponse& r) {
  if (r.trades_size() == 0) return "no closed trades\n";
  Table t({{"closed (bar)"}, {"strategy"}, {"symbol"}, {"position"}, {"quantity", Table::kRight},
           {"entry", Table::kRight}, {"exit", Table::kRight}, {"gross", Table::kRight},
           {"fees", Table::kRight}, {"net", Table::kRight}, {"fill"}, {"decision"}});
  int64_t net = 0;
  for (const auto& x : r.trades()) {
    net += x.net_pnl_e8();
    t.add_row({format_time(x.closed_time_ns()), x.strategy(), x.instrument().symbol(),
               x.position_side() == v1::SIDE_BUY ? "LONG" : "SHORT", fx(x.quantity_e8()),
               fx(x.entry_price_e8()), fx(x.exit_price_e8()), fx(x.gross_pnl_e8()), fx(x.fees_e8()),
               fx(x.net_pnl_e8()), x.exec_id(), x.decision_id()});
  }
  return t.render() + std::to_string(r.trades_size()) + " trades, net " + fx(net) + "\n";
}

std::string render_outcomes(const v1::GetOutcomesResponse& r) {
  if (r.outcomes_size() == 0) return "no outcomes\n";
  Table t({{"closed (bar)"}, {"decision"}, {"strategy"}, {"symbol"}, {"net PnL", Table::kRight},
           {"fees", Table::kRight}, {"notional", Table::kRight}, {"reward", Table::kRight},
           {"outcome id"}});
  for (int i = 0; i < r.outcomes_size(); ++i) {
    const auto& o = r.outcomes(i);
    t.add_row({format_time(o.closed_time_ns()), o.decision_id(), o.strategy(),
               o.instrument().symbol(), fx(o.realized_pnl_e8()), fx(o.fees_e8()),
               fx(o.notional_e8()), ratio(o.reward(), "%.6f"),
               i < r.outcome_ids_size() ? r.outcome_ids(i) : ""});
  }
  return t.render() + std::to_string(r.outcomes_size()) + " outcomes, net " +
         fx(r.realized_pnl_e8()) + "\n";
}

}  // namespace tp::tradectl
