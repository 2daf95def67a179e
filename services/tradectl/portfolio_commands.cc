#include "portfolio_commands.h"

#include "execsim/query/portfolio_queries.h"
#include "portfolio_cli.h"
#include "tp/store/database.h"

namespace tp::tradectl {

namespace v1 = trading::v1;

std::optional<int> run_portfolio(const std::vector<std::string>& args, const Environment& env,
                                 std::ostream& out, std::ostream& err) {
  if (args.empty()) return std::nullopt;
  if ((args[0] == "help" || args[0] == "--help" || args[0] == "-h") && args.size() > 1 &&
      is_portfolio_command(args[1])) {
    out << portfolio_usage(args[1]);
    return kExitOk;
  }
  if (!is_portfolio_command(args[0])) return std::nullopt;
  const std::string& cmd = args[0];
  auto o = parse_portfolio_command(args, env);
  if (!o) {
    err << "tradectl: " << o.error().message << "\n" << portfolio_usage(cmd);
    return kExitUsage;
  }
  if (o->help) {
    out << portfolio_usage(cmd);
    return kExitOk;
  }
  auto db = store::Database::connect(
      {.connection_string = o->db,
       .retry = {.max_attempts = 2, .initial_backoff = std::chrono::milliseconds(200)}});
  if (!db) {
    err << "tradectl: " << cmd << ": " << db.error().to_string() << "\n";
    return kExitFailure;
  }
  auto fail = [&](const Error& e) {
    err << "tradectl: " << cmd << ": " << e.to_string() << "\n";
    return kExitFailure;
  };
  v1::Instrument instrument;
  instrument.set_venue(o->venue);
  instrument.set_symbol(o->symbol);
  switch (o->command) {
    case PortfolioCommand::kOrders: {
      v1::GetOrdersRequest req;
      req.set_symbol(o->symbol);
      req.set_open_only(o->open_only);
      req.set_strategy(o->strategy);
      req.set_client_order_id(o->id);
      req.set_from_ns(o->from_ns);
      req.set_to_ns(o->to_ns);
      req.set_limit(o->limit);
      auto r = execsim::query_orders(**db, req);
      if (!r) return fail(r.error());
      if (!o->id.empty() && r->orders_size() == 0) {
        err << "tradectl: orders: no order " << o->id << "\n";
        return kExitFailure;
      }
      out << (o->id.empty() ? render_orders(*r) : render_order_events(*r));
      return kExitOk;
    }
    case PortfolioCommand::kHistory: {
      v1::GetPositionHistoryRequest req;
      *req.mutable_instrument() = instrument;
      req.set_strategy(o->strategy);
      req.set_from_ns(o->from_ns);
      req.set_to_ns(o->to_ns);
      req.set_limit(o->limit);
      auto r = execsim::query_position_history(**db, req);
      if (!r) return fail(r.error());
      out << render_history(*r);
      return kExitOk;
    }
    case PortfolioCommand::kStats: {
      v1::GetTradeStatsRequest req;
      *req.mutable_instrument() = instrument;
      req.set_strategy(o->strategy);
      req.set_from_ns(o->from_ns);
      req.set_to_ns(o->to_ns);
      auto r = execsim::query_trade_stats(**db, req);
      if (!r) return fail(r.error());
      out << render_stats(*r, *o);
      return kExitOk;
    }
    case PortfolioCommand::kTrades: {
      v1::GetTradesRequest req;
      *req.mutable_instrument() = instrument;
      req.set_strategy(o->strategy);
      req.set_from_ns(o->from_ns);
      req.set_to_ns(o->to_ns);
      req.set_limit(o->limit);
      auto r = execsim::query_trades(**db, req);
      if (!r) return fail(r.error());
      out << render_trades(*r);
      return kExitOk;
    }
    case PortfolioCommand::kOutcomes: {
      v1::GetOutcomesRequest req;
      req.set_decision_id(o->decision_id);
      req.set_strategy(o->strategy);
      req.set_symbol(o->symbol);
      req.set_from_ns(o->from_ns);
      req.set_to_ns(o->to_ns);
      req.set_limit(o->limit);
      auto r = execsim::query_outcomes(**db, req);
      if (!r) return fail(r.error());
      out << render_outcomes(*r);
      return kExitOk;
    }
  }
  return kExitUsage;
}

}  // namespace tp::tradectl
