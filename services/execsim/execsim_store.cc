#include "execsim/execsim_store.h"

#include <pqxx/pqxx>

#include "tp/core/fixed_point.h"

namespace tp::execsim {

namespace v1 = trading::v1;

namespace {

std::string side_word(v1::Side side) {
  return side == v1::SIDE_BUY ? "BUY" : side == v1::SIDE_SELL ? "SELL" : "UNSPECIFIED";
}

// "EXEC_PARTIAL_FILL" -> "PARTIAL_FILL", "ORDER_TYPE_LIMIT" -> "LIMIT".
std::string strip(const std::string& name, std::string_view prefix) {
  return name.starts_with(prefix) ? name.substr(prefix.size()) : name;
}

}  // namespace

Status write_rows(pqxx::work& tx, const PendingRows& rows) {
  for (const auto& o : rows.orders) {
    std::string tif = o.time_in_force() == v1::TIME_IN_FORCE_UNSPECIFIED
                          ? "GTC"
                          : strip(v1::TimeInForce_Name(o.time_in_force()), "TIME_IN_FORCE_");
    tx.exec_params(
        "INSERT INTO execsim_orders (client_order_id, strategy, venue, symbol, side, order_type, "
        "time_in_force, quantity_e8, limit_price_e8, status, leaves_quantity_e8, "
        "decision_time_ns, updated_time_ns, decision_id, correlation_id) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'NEW', $8, $10, $10, $11, $12) "
        "ON CONFLICT (client_order_id) DO NOTHING",
        o.client_order_id(), o.strategy(), o.instrument().venue(), o.instrument().symbol(),
        side_word(o.side()), strip(v1::OrderType_Name(o.type()), "ORDER_TYPE_"), tif,
        o.quantity_e8(), o.limit_price_e8(), o.trace().event_time_ns(), o.trace().decision_id(),
        o.trace().correlation_id());
  }
  for (const auto& r : rows.reports) {
    // Reports are applied in order, so the row ends at the latest state.
    tx.exec_params(
        "UPDATE execsim_orders SET status = $2, cumulative_quantity_e8 = $3, "
        "leaves_quantity_e8 = $4, average_price_e8 = $5, last_text = $6, updated_time_ns = $7 "
        "WHERE client_order_id = $1",
        r.client_order_id(), strip(v1::ExecType_Name(r.exec_type()), "EXEC_"),
        r.cumulative_quantity_e8(), r.leaves_quantity_e8(), r.average_price_e8(), r.text(),
        r.transact_time_ns());
    if (r.exec_type() != v1::EXEC_FILL && r.exec_type() != v1::EXEC_PARTIAL_FILL) continue;
    tx.exec_params(
        "INSERT INTO execsim_fills (exec_id, client_order_id, strategy, venue, symbol, side, "
        "quantity_e8, price_e8, notional_e8, fee_e8, liquidity, bar_time_ns, decision_id, "
        "correlation_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) "
        "ON CONFLICT (exec_id) DO NOTHING",
        r.exec_id(), r.client_order_id(), r.strategy(), r.instrument().venue(),
        r.instrument().symbol(), side_word(r.side()), r.last_quantity_e8(), r.last_price_e8(),
        fixed::mul(r.last_quantity_e8(), r.last_price_e8()), r.fee_e8(),
        strip(v1::Liquidity_Name(r.liquidity()), "LIQUIDITY_"), r.transact_time_ns(),
        r.trace().decision_id(), r.trace().correlation_id());
  }
  for (const auto& p : rows.positions) {
    for (const char* table : {"execsim_position_history", "execsim_positions"}) {
      const bool latest = std::string_view(table) == "execsim_positions";
      tx.exec_params(
          std::string("INSERT INTO ") + table +
              " (strategy, venue, symbol, bar_time_ns, as_of_ns, quantity_e8, average_cost_e8, "
              "realized_pnl_e8, unrealized_pnl_e8, fees_e8, mark_price_e8, cash_e8, equity_e8) "
              "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) " +
              (latest ? "ON CONFLICT (strategy, venue, symbol) DO UPDATE SET "
                        "bar_time_ns = EXCLUDED.bar_time_ns, as_of_ns = EXCLUDED.as_of_ns, "
                        "quantity_e8 = EXCLUDED.quantity_e8, "
                        "average_cost_e8 = EXCLUDED.average_cost_e8, "
                        "realized_pnl_e8 = EXCLUDED.realized_pnl_e8, "
                        "unrealized_pnl_e8 = EXCLUDED.unrealized_pnl_e8, "
                        "fees_e8 = EXCLUDED.fees_e8, mark_price_e8 = EXCLUDED.mark_price_e8, "
                        "cash_e8 = EXCLUDED.cash_e8, equity_e8 = EXCLUDED.equity_e8 "
                        "WHERE execsim_positions.bar_time_ns <= EXCLUDED.bar_time_ns"
                      : "ON CONFLICT DO NOTHING"),
          p.strategy(), p.instrument().venue(), p.instrument().symbol(),
          p.trace().event_time_ns(), p.as_of_ns(), p.quantity_e8(), p.average_cost_e8(),
          p.realized_pnl_e8(), p.unrealized_pnl_e8(), p.fees_e8(), p.mark_price_e8(), p.cash_e8(),
          p.equity_e8());
    }
  }
  for (const auto& [id, o] : rows.outcomes) {
    tx.exec_params(
        "INSERT INTO execsim_outcomes (outcome_id, decision_id, strategy, venue, symbol, "
        "realized_pnl_e8, fees_e8, notional_e8, reward, closed_time_ns) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (outcome_id) DO NOTHING",
        id, o.decision_id(), o.strategy(), o.instrument().venue(), o.instrument().symbol(),
        o.realized_pnl_e8(), o.fees_e8(), o.notional_e8(), o.reward(), o.closed_time_ns());
  }
  return ok();
}

Status PersistedExecsim::persist(pqxx::work& tx) {
  if (auto s = write_rows(tx, core_.pending_rows()); !s) return s;
  written_ = true;
  return ok();
}

}  // namespace tp::execsim
