#include "execsim/query/portfolio_queries.h"

#include <algorithm>
#include <pqxx/pqxx>

#include "execsim/core/portfolio_stats.h"

namespace tp::execsim {

namespace v1 = trading::v1;

namespace {

constexpr const char* kOpenStatuses = "('PENDING_NEW', 'NEW', 'INACTIVE', 'TRIGGERED', 'PARTIALLY_FILLED')";

// Runs `body` in a consistent read-only snapshot; a missing table is kNotFound.
template <typename T>
Result<T> read(store::Database& db, const std::vector<const char*>& tables,
               const std::function<T(pqxx::work&)>& body) {
  return db.transact_value<T>([&](pqxx::work& tx) -> Result<T> {
    tx.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    for (const char* t : tables)
      if (!tx.exec_params("SELECT to_regclass($1) IS NOT NULL", std::string(t))[0][0].as<bool>())
        return make_error(ErrorCode::kNotFound,
                          std::string("table ") + t +
                              " does not exist (has execsim ever started on this database?)");
    return body(tx);
  });
}

int64_t i64(const pqxx::field& f) { return f.is_null() ? 0 : f.as<int64_t>(); }
std::string str(const pqxx::field& f) { return f.is_null() ? std::string() : std::string(f.c_str()); }

template <typename Message>
bool parse(const pqxx::field& f, Message& m) {
  if (f.is_null()) return false;
  const std::string bytes = pqxx::binarystring(f).str();
  return m.ParseFromString(bytes);
}

v1::Side side_of(const std::string& s) {
  return s == "BUY" ? v1::SIDE_BUY : s == "SELL" ? v1::SIDE_SELL : v1::SIDE_UNSPECIFIED;
}

template <typename Enum>
Enum enum_of(bool (*parse)(const std::string&, Enum*), const std::string& prefix,
             const std::string& word) {
  Enum e{};
  if (!parse(prefix + word, &e)) e = Enum{};
  return e;
}

// Columns: strategy, venue, symbol, bar_time_ns, as_of_ns, quantity, average cost,
// realized, unrealized, fees, mark, cash, equity.
constexpr const char* kPositionColumns =
    "strategy, venue, symbol, bar_time_ns, as_of_ns, quantity_e8, average_cost_e8, "
    "realized_pnl_e8, unrealized_pnl_e8, fees_e8, mark_price_e8, cash_e8, equity_e8";

v1::Position position_from(const pqxx::row& r) {
  v1::Position p;
  p.set_strategy(str(r[0]));
  p.mutable_instrument()->set_venue(str(r[1]));
  p.mutable_instrument()->set_symbol(str(r[2]));
  p.mutable_trace()->set_event_time_ns(i64(r[3]));
  p.set_as_of_ns(i64(r[4]));
  p.set_quantity_e8(i64(r[5]));
  p.set_average_cost_e8(i64(r[6]));
  p.set_realized_pnl_e8(i64(r[7]));
  p.set_unrealized_pnl_e8(i64(r[8]));
  p.set_fees_e8(i64(r[9]));
  p.set_mark_price_e8(i64(r[10]));
  p.set_cash_e8(i64(r[11]));
  p.set_equity_e8(i64(r[12]));
  return p;
}

uint32_t limit_or(uint32_t limit, uint32_t fallback) { return limit == 0 ? fallback : limit; }

}  // namespace

Result<v1::GetPositionsResponse> query_positions(store::Database& db,
                                                 const v1::GetPositionsRequest& req) {
  return read<v1::GetPositionsResponse>(
      db, {"execsim_positions", "execsim_fills"}, [&](pqxx::work& tx) {
        v1::GetPositionsResponse out;
        const auto rows = tx.exec_params(
            std::string("SELECT ") + kPositionColumns +
                ", (SELECT COALESCE(SUM(CASE WHEN f.side = 'BUY' THEN f.notional_e8 ELSE "
                "-f.notional_e8 END) + SUM(f.fee_e8), 0) FROM execsim_fills f WHERE f.strategy = "
                "p.strategy AND f.venue = p.venue AND f.symbol = p.symbol AND f.bar_time_ns <= "
                "p.bar_time_ns) FROM execsim_positions p WHERE ($1::text = '' OR venue = $1::text) "
                "AND ($2::text = '' OR strategy = $2::text) AND ($3::text = '' OR symbol = $3::text) "
                "ORDER BY strategy, venue, symbol",
            req.venue(), req.strategy(), req.symbol());
        for (const auto& r : rows) {
          v1::Position p = position_from(r);
          out.set_cash_e8(out.cash_e8() + p.cash_e8());
          out.set_equity_e8(out.equity_e8() + p.equity_e8());
          out.set_realized_pnl_e8(out.realized_pnl_e8() + p.realized_pnl_e8());
          out.set_unrealized_pnl_e8(out.unrealized_pnl_e8() + p.unrealized_pnl_e8());
          out.set_fees_e8(out.fees_e8() + p.fees_e8());
          // cash = initial - sum(signed notional) - sum(fees), so initial is exact.
          out.set_initial_cash_e8(out.initial_cash_e8() + p.cash_e8() + i64(r[13]));
          *out.add_positions() = std::move(p);
        }
        return out;
      });
}

Result<v1::GetOrdersResponse> query_orders(store::Database& db, const v1::GetOrdersRequest& req) {
  return read<v1::GetOrdersResponse>(
      db, {"execsim_orders", "execsim_order_events"}, [&](pqxx::work& tx) {
        v1::GetOrdersResponse out;
        const auto rows = tx.exec_params(
            std::string(
                "SELECT order_pb, client_order_id, strategy, venue, symbol, side, order_type, "
                "time_in_force, quantity_e8, limit_price_e8, stop_price_e8, decision_time_ns, "
                "decision_id, correlation_id, (SELECT report_pb FROM execsim_order_events e WHERE "
                "e.client_order_id = o.client_order_id ORDER BY event_no DESC LIMIT 1), status, "
                "cumulative_quantity_e8, leaves_quantity_e8, average_price_e8, last_text, "
                "updated_time_ns FROM execsim_orders o WHERE ($1::text = '' OR symbol = $1::text) "
                "AND ($2::boolean = false OR order_status IN ") +
                kOpenStatuses +
                " OR (order_status = '' AND status IN ('NEW', 'ACK', 'PARTIAL_FILL'))) "
                "AND ($3::text = '' OR strategy = $3::text) AND ($4::text = '' OR client_order_id "
                "= $4::text) AND ($5::bigint = 0 OR decision_time_ns >= $5::bigint) AND "
                "($6::bigint = 0 OR decision_time_ns <= $6::bigint) "
                "ORDER BY decision_time_ns DESC, client_order_id DESC LIMIT $7::bigint",
            req.symbol(), req.open_only(), req.strategy(), req.client_order_id(), req.from_ns(),
            req.to_ns(), static_cast<int64_t>(limit_or(req.limit(), 1000)));
        std::vector<std::pair<v1::Order, v1::ExecutionReport>> found;
        for (const auto& r : rows) {
          v1::Order o;
          if (!parse(r[0], o)) {  // a row from before order_pb existed
            o.set_client_order_id(str(r[1]));
            o.set_strategy(str(r[2]));
            o.mutable_instrument()->set_venue(str(r[3]));
            o.mutable_instrument()->set_symbol(str(r[4]));
            o.set_side(side_of(str(r[5])));
            o.set_type(enum_of<v1::OrderType>(v1::OrderType_Parse, "ORDER_TYPE_", str(r[6])));
            o.set_time_in_force(
                enum_of<v1::TimeInForce>(v1::TimeInForce_Parse, "TIME_IN_FORCE_", str(r[7])));
            o.set_quantity_e8(i64(r[8]));
            o.set_limit_price_e8(i64(r[9]));
            o.set_stop_price_e8(i64(r[10]));
            o.mutable_trace()->set_event_time_ns(i64(r[11]));
            o.mutable_trace()->set_decision_id(str(r[12]));
            o.mutable_trace()->set_correlation_id(str(r[13]));
          }
          v1::ExecutionReport last;
          if (!parse(r[14], last)) {
            last.set_client_order_id(o.client_order_id());
            *last.mutable_instrument() = o.instrument();
            last.set_side(o.side());
            last.set_exec_type(enum_of<v1::ExecType>(v1::ExecType_Parse, "EXEC_", str(r[15])));
            last.set_cumulative_quantity_e8(i64(r[16]));
            last.set_leaves_quantity_e8(i64(r[17]));
            last.set_average_price_e8(i64(r[18]));
            last.set_text(str(r[19]));
            last.set_transact_time_ns(i64(r[20]));
            last.set_strategy(o.strategy());
          }
          found.emplace_back(std::move(o), std::move(last));
        }
        std::reverse(found.begin(), found.end());  // oldest first
        for (auto& [o, r] : found) {
          *out.add_orders() = std::move(o);
          *out.add_last_reports() = std::move(r);
        }
        if (!req.client_order_id().empty()) {
          for (const auto& r : tx.exec_params(
                   "SELECT report_pb FROM execsim_order_events WHERE client_order_id = $1 ORDER BY "
                   "event_no",
                   req.client_order_id())) {
            v1::ExecutionReport e;
            if (parse(r[0], e)) *out.add_events() = std::move(e);
          }
        }
        return out;
      });
}

Result<v1::GetPositionHistoryResponse> query_position_history(
    store::Database& db, const v1::GetPositionHistoryRequest& req) {
  return read<v1::GetPositionHistoryResponse>(
      db, {"execsim_position_history"}, [&](pqxx::work& tx) {
        v1::GetPositionHistoryResponse out;
        for (const auto& r : tx.exec_params(
                 std::string("SELECT ") + kPositionColumns +
                     " FROM execsim_position_history WHERE ($1::text = '' OR venue = $1::text) AND "
                     "($2::text = '' OR symbol = $2::text) AND ($3::text = '' OR strategy = "
                     "$3::text) AND ($4::bigint = 0 OR bar_time_ns >= $4::bigint) AND ($5::bigint "
                     "= 0 OR bar_time_ns <= $5::bigint) ORDER BY bar_time_ns, strategy, venue, "
                     "symbol LIMIT $6::bigint",
                 req.instrument().venue(), req.instrument().symbol(), req.strategy(),
                 req.from_ns(), req.to_ns(), static_cast<int64_t>(limit_or(req.limit(), 100000))))
          *out.add_positions() = position_from(r);
        return out;
      });
}

Result<v1::TradeStats> query_trade_stats(store::Database& db, const v1::GetTradeStatsRequest& req) {
  return read<v1::TradeStats>(
      db, {"execsim_position_history", "execsim_trades", "execsim_fills"}, [&](pqxx::work& tx) {
        StatsInput in;
        const std::string filter =
            "($1::text = '' OR venue = $1::text) AND ($2::text = '' OR symbol = $2::text) AND "
            "($3::text = '' OR strategy = $3::text) AND ($4::bigint = 0 OR {t} >= $4::bigint) AND "
            "($5::bigint = 0 OR {t} <= $5::bigint)";
        auto with_time = [&](const std::string& column) {
          std::string f = filter;
          for (size_t at; (at = f.find("{t}")) != std::string::npos;) f.replace(at, 3, column);
          return f;
        };
        const auto& i = req.instrument();
        for (const auto& r : tx.exec_params(
                 "SELECT strategy || '/' || venue || '/' || symbol, bar_time_ns, equity_e8, "
                 "quantity_e8 FROM execsim_position_history WHERE " +
                     with_time("bar_time_ns") + " ORDER BY bar_time_ns, strategy, venue, symbol",
                 i.venue(), i.symbol(), req.strategy(), req.from_ns(), req.to_ns()))
          in.points.push_back({i64(r[1]), str(r[0]), i64(r[2]), i64(r[3])});
        for (const auto& r : tx.exec_params(
                 "SELECT gross_pnl_e8, net_pnl_e8 FROM execsim_trades WHERE " +
                     with_time("closed_time_ns") + " ORDER BY closed_time_ns, exec_id",
                 i.venue(), i.symbol(), req.strategy(), req.from_ns(), req.to_ns()))
          in.trades.push_back({i64(r[0]), i64(r[1])});
        const auto f = tx.exec_params(
            "SELECT COALESCE(SUM(notional_e8), 0), COALESCE(SUM(fee_e8), 0), COUNT(*) FROM "
            "execsim_fills WHERE " + with_time("bar_time_ns"),
            i.venue(), i.symbol(), req.strategy(), req.from_ns(), req.to_ns());
        in.turnover_e8 = i64(f[0][0]);
        in.fees_e8 = i64(f[0][1]);
        in.fills = static_cast<uint64_t>(i64(f[0][2]));
        return compute_trade_stats(in);
      });
}

Result<v1::GetOutcomesResponse> query_outcomes(store::Database& db,
                                               const v1::GetOutcomesRequest& req) {
  return read<v1::GetOutcomesResponse>(db, {"execsim_outcomes"}, [&](pqxx::work& tx) {
    v1::GetOutcomesResponse out;
    for (const auto& r : tx.exec_params(
             "SELECT outcome_id, decision_id, strategy, venue, symbol, realized_pnl_e8, fees_e8, "
             "notional_e8, reward, closed_time_ns FROM execsim_outcomes WHERE ($1::text = '' OR "
             "decision_id = $1::text) AND ($2::text = '' OR strategy = $2::text) AND ($3::text = "
             "'' OR symbol = $3::text) AND ($4::bigint = 0 OR closed_time_ns >= $4::bigint) AND "
             "($5::bigint = 0 OR closed_time_ns <= $5::bigint) ORDER BY closed_time_ns, outcome_id "
             "LIMIT $6::bigint",
             req.decision_id(), req.strategy(), req.symbol(), req.from_ns(), req.to_ns(),
             static_cast<int64_t>(limit_or(req.limit(), 10000)))) {
      v1::Outcome& o = *out.add_outcomes();
      out.add_outcome_ids(str(r[0]));
      o.set_decision_id(str(r[1]));
      o.set_strategy(str(r[2]));
      o.mutable_instrument()->set_venue(str(r[3]));
      o.mutable_instrument()->set_symbol(str(r[4]));
      o.set_realized_pnl_e8(i64(r[5]));
      o.set_fees_e8(i64(r[6]));
      o.set_notional_e8(i64(r[7]));
      o.set_reward(r[8].as<double>());
      o.set_closed_time_ns(i64(r[9]));
      o.mutable_trace()->set_decision_id(o.decision_id());
      o.mutable_trace()->set_event_time_ns(o.closed_time_ns());
      out.set_realized_pnl_e8(out.realized_pnl_e8() + o.realized_pnl_e8());
    }
    return out;
  });
}

Result<v1::GetTradesResponse> query_trades(store::Database& db, const v1::GetTradesRequest& req) {
  return read<v1::GetTradesResponse>(db, {"execsim_trades"}, [&](pqxx::work& tx) {
    v1::GetTradesResponse out;
    for (const auto& r : tx.exec_params(
             "SELECT exec_id, client_order_id, strategy, venue, symbol, position_side, "
             "quantity_e8, entry_price_e8, exit_price_e8, entry_notional_e8, gross_pnl_e8, "
             "fees_e8, net_pnl_e8, closed_time_ns, decision_id FROM execsim_trades WHERE "
             "($1::text = '' OR strategy = $1::text) AND ($2::text = '' OR venue = $2::text) AND "
             "($3::text = '' OR symbol = $3::text) AND ($4::bigint = 0 OR closed_time_ns >= "
             "$4::bigint) AND ($5::bigint = 0 OR closed_time_ns <= $5::bigint) ORDER BY "
             "closed_time_ns, exec_id LIMIT $6::bigint",
             req.strategy(), req.instrument().venue(), req.instrument().symbol(), req.from_ns(),
             req.to_ns(), static_cast<int64_t>(limit_or(req.limit(), 10000)))) {
      v1::ClosedTrade& t = *out.add_trades();
      t.set_exec_id(str(r[0]));
      t.set_client_order_id(str(r[1]));
      t.set_strategy(str(r[2]));
      t.mutable_instrument()->set_venue(str(r[3]));
      t.mutable_instrument()->set_symbol(str(r[4]));
      t.set_position_side(str(r[5]) == "LONG" ? v1::SIDE_BUY : v1::SIDE_SELL);
      t.set_quantity_e8(i64(r[6]));
      t.set_entry_price_e8(i64(r[7]));
      t.set_exit_price_e8(i64(r[8]));
      t.set_entry_notional_e8(i64(r[9]));
      t.set_gross_pnl_e8(i64(r[10]));
      t.set_fees_e8(i64(r[11]));
      t.set_net_pnl_e8(i64(r[12]));
      t.set_closed_time_ns(i64(r[13]));
      t.set_decision_id(str(r[14]));
    }
    return out;
  });
}

}  // namespace tp::execsim
