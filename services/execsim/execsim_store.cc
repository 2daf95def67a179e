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

std::string tif_word(v1::TimeInForce tif) {
  return tif == v1::TIME_IN_FORCE_UNSPECIFIED ? "GTC"
                                              : strip(v1::TimeInForce_Name(tif), "TIME_IN_FORCE_");
}

pqxx::binarystring bytes_of(const google::protobuf::Message& m) {
  std::string s = m.SerializeAsString();
  return pqxx::binarystring(s.data(), s.size());
}

}  // namespace

Status write_rows(pqxx::work& tx, const PendingRows& rows) {
  for (const auto& o : rows.orders) {
    tx.exec_params(
        "INSERT INTO execsim_orders (client_order_id, strategy, venue, symbol, side, order_type, "
        "time_in_force, quantity_e8, limit_price_e8, status, leaves_quantity_e8, "
        "decision_time_ns, updated_time_ns, decision_id, correlation_id, stop_price_e8, "
        "trail_amount_e8, trail_bps, display_quantity_e8, expire_time_ns, reduce_only, post_only, "
        "contingency, parent_order_id, order_status, order_quantity_e8, order_pb) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'NEW', $8, $10, $10, $11, $12, $13, $14, $15, "
        "$16, $17, $18, $19, $20, $21, 'PENDING_NEW', $8, $22) "
        "ON CONFLICT (client_order_id) DO NOTHING",
        o.client_order_id(), o.strategy(), o.instrument().venue(), o.instrument().symbol(),
        side_word(o.side()), strip(v1::OrderType_Name(o.type()), "ORDER_TYPE_"),
        tif_word(o.time_in_force()), o.quantity_e8(), o.limit_price_e8(),
        o.trace().event_time_ns(), o.trace().decision_id(), o.trace().correlation_id(),
        o.stop_price_e8(), o.trail_amount_e8(), o.trail_bps(), o.display_quantity_e8(),
        o.expire_time_ns(), o.reduce_only(), o.post_only(),
        strip(v1::ContingencyType_Name(o.contingency()), "CONTINGENCY_"), o.parent_order_id(),
        bytes_of(o));
  }
  for (const auto& r : rows.reports) {
    // Reports are applied in order, so the row ends at the latest state.
    tx.exec_params(
        "UPDATE execsim_orders SET status = $2, cumulative_quantity_e8 = $3, "
        "leaves_quantity_e8 = $4, average_price_e8 = $5, last_text = $6, updated_time_ns = $7, "
        "order_status = $8, order_quantity_e8 = $9, cumulative_fees_e8 = $10, "
        "reject_reason = $11, stop_price_e8 = CASE WHEN $12::bigint <> 0 THEN $12::bigint "
        "ELSE stop_price_e8 END WHERE client_order_id = $1",
        r.client_order_id(), strip(v1::ExecType_Name(r.exec_type()), "EXEC_"),
        r.cumulative_quantity_e8(), r.leaves_quantity_e8(), r.average_price_e8(), r.text(),
        r.transact_time_ns(), strip(v1::OrderStatus_Name(r.order_status()), "ORDER_STATUS_"),
        r.order_quantity_e8(), r.cumulative_fees_e8(),
        r.reject_reason() == v1::REJECT_REASON_UNSPECIFIED
            ? std::string()
            : strip(v1::RejectReason_Name(r.reject_reason()), "REJECT_"),
        r.stop_price_e8());
    const auto colon = r.exec_id().rfind(':');
    const int64_t event_no =
        colon == std::string::npos ? 0 : std::stoll(r.exec_id().substr(colon + 1));
    tx.exec_params(
        "INSERT INTO execsim_order_events (exec_id, client_order_id, event_no, strategy, venue, "
        "symbol, exec_type, order_status, reject_reason, transact_time_ns, text, report_pb) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
        "ON CONFLICT (exec_id) DO NOTHING",
        r.exec_id(), r.client_order_id(), event_no, r.strategy(), r.instrument().venue(),
        r.instrument().symbol(), strip(v1::ExecType_Name(r.exec_type()), "EXEC_"),
        strip(v1::OrderStatus_Name(r.order_status()), "ORDER_STATUS_"),
        r.reject_reason() == v1::REJECT_REASON_UNSPECIFIED
            ? std::string()
            : strip(v1::RejectReason_Name(r.reject_reason()), "REJECT_"),
        r.transact_time_ns(), r.text(), bytes_of(r));
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
  for (const auto& o : rows.replaced) {
    tx.exec_params(
        "UPDATE execsim_orders SET limit_price_e8 = $2, trail_amount_e8 = $3, trail_bps = $4, "
        "display_quantity_e8 = $5, expire_time_ns = $6, reduce_only = $7, post_only = $8, "
        "time_in_force = $9, order_pb = $10, stop_price_e8 = CASE WHEN $11::bigint <> 0 "
        "THEN $11::bigint ELSE stop_price_e8 END WHERE client_order_id = $1",
        o.client_order_id(), o.limit_price_e8(), o.trail_amount_e8(), o.trail_bps(),
        o.display_quantity_e8(), o.expire_time_ns(), o.reduce_only(), o.post_only(),
        tif_word(o.time_in_force()), bytes_of(o), o.stop_price_e8());
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
  for (const auto& t : rows.trades) {
    tx.exec_params(
        "INSERT INTO execsim_trades (exec_id, client_order_id, strategy, venue, symbol, "
        "position_side, quantity_e8, entry_price_e8, exit_price_e8, entry_notional_e8, "
        "gross_pnl_e8, fees_e8, net_pnl_e8, closed_time_ns, decision_id) VALUES ($1, $2, $3, $4, "
        "$5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT (exec_id) DO NOTHING",
        t.exec_id(), t.client_order_id(), t.strategy(), t.instrument().venue(),
        t.instrument().symbol(), t.position_side() == v1::SIDE_BUY ? "LONG" : "SHORT",
        t.quantity_e8(), t.entry_price_e8(), t.exit_price_e8(), t.entry_notional_e8(),
        t.gross_pnl_e8(), t.fees_e8(), t.net_pnl_e8(), t.closed_time_ns(), t.decision_id());
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
