#include "queries.h"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "trading/v1/control.pb.h"
#include "trading/v1/execution.pb.h"
#include "trading/v1/market_data.pb.h"
#include "trading/v1/orders.pb.h"
#include "trading/v1/regime.pb.h"

namespace tp::tradectl {

namespace {

bool table_exists(pqxx::work& tx, const std::string& name) {
  return tx.exec_params("SELECT to_regclass($1) IS NOT NULL", name)[0][0].as<bool>();
}

PositionRow position_from(const pqxx::row& r) {
  PositionRow p;
  p.strategy = r[0].c_str();
  p.venue = r[1].c_str();
  p.symbol = r[2].c_str();
  p.bar_time_ns = r[3].as<int64_t>();
  p.quantity_e8 = r[4].as<int64_t>();
  p.average_cost_e8 = r[5].as<int64_t>();
  p.realized_pnl_e8 = r[6].as<int64_t>();
  p.unrealized_pnl_e8 = r[7].as<int64_t>();
  p.fees_e8 = r[8].as<int64_t>();
  p.mark_price_e8 = r[9].as<int64_t>();
  p.cash_e8 = r[10].as<int64_t>();
  p.equity_e8 = r[11].as<int64_t>();
  return p;
}

std::vector<PositionRow> positions(pqxx::work& tx) {
  std::vector<PositionRow> out;
  for (const auto& r : tx.exec(
           "SELECT strategy, venue, symbol, bar_time_ns, quantity_e8, average_cost_e8, "
           "realized_pnl_e8, unrealized_pnl_e8, fees_e8, mark_price_e8, cash_e8, equity_e8 "
           "FROM execsim_positions ORDER BY strategy, venue, symbol"))
    out.push_back(position_from(r));
  return out;
}

// Decodes the payloads the summary breaks down, in index chunks.
void scan_ledger_payloads(pqxx::work& tx, Summary& s) {
  int64_t after = -1;
  int64_t undecodable = 0;
  for (;;) {
    auto rows = tx.exec_params(
        "SELECT index, message_type, payload FROM ledger_entries WHERE index > $1 AND "
        "message_type IN ('trading.v1.Bar', 'trading.v1.RegimePosterior', 'trading.v1.DecisionRejection', "
        "'trading.v1.ExecutionReport', 'trading.v1.DeadLetter') ORDER BY index LIMIT 10000",
        after);
    if (rows.empty()) break;
    for (const auto& r : rows) {
      after = r[0].as<int64_t>();
      const std::string type = r[1].c_str();
      const std::string payload = pqxx::binarystring(r[2]).str();
      bool ok = true;
      if (type == "trading.v1.Bar") {
        trading::v1::Bar bar;
        ok = bar.ParseFromString(payload);
        if (ok) ++s.bars_by_quality[quality_label(bar.quality_flags())];
      } else if (type == "trading.v1.RegimePosterior") {
        trading::v1::RegimePosterior p;
        ok = p.ParseFromString(payload);
        if (ok) ++s.posteriors_by_model_and_label[p.model_version() + " " + trading::v1::RegimeLabel_Name(p.most_likely())];
      } else if (type == "trading.v1.DecisionRejection") {
        trading::v1::DecisionRejection rej;
        ok = rej.ParseFromString(payload);
        if (ok) ++s.rejections_by_reason[trading::v1::RejectReason_Name(rej.reason())];
      } else if (type == "trading.v1.ExecutionReport") {
        trading::v1::ExecutionReport rep;
        ok = rep.ParseFromString(payload);
        if (ok) ++s.reports_by_exec_type[trading::v1::ExecType_Name(rep.exec_type())];
      } else {
        trading::v1::DeadLetter dl;
        ok = dl.ParseFromString(payload);
        if (ok) ++s.dead_letters_by_reason[dl.reason().empty() ? "(no reason)" : dl.reason()];
      }
      if (!ok) ++undecodable;
    }
  }
  if (undecodable > 0)
    s.notes.push_back(std::to_string(undecodable) + " ledger payloads could not be decoded");
}

void performance(pqxx::work& tx, Summary& s) {
  std::string current;
  std::vector<EquityPoint> points;
  auto flush = [&] {
    if (current.empty()) return;
    auto series = combined_equity(points);
    s.performance.push_back({current, compute_performance(series)});
    points.clear();
  };
  for (const auto& r : tx.exec(
           "SELECT venue || '/' || symbol, strategy, bar_time_ns, equity_e8 "
           "FROM execsim_position_history ORDER BY venue, symbol, bar_time_ns, strategy")) {
    const std::string instrument = r[0].c_str();
    if (instrument != current) {
      flush();
      current = instrument;
    }
    points.push_back({r[2].as<int64_t>(), r[1].c_str(), r[3].as<int64_t>()});
  }
  flush();
}

}  // namespace

Result<std::vector<PositionRow>> load_positions(store::Database& db) {
  return db.transact_value<std::vector<PositionRow>>(
      [](pqxx::work& tx) -> Result<std::vector<PositionRow>> {
        if (!table_exists(tx, "execsim_positions"))
          return make_error(ErrorCode::kNotFound,
                            "table execsim_positions does not exist (has execsim run against this "
                            "database?)");
        return positions(tx);
      });
}

Result<Summary> load_summary(store::Database& db) {
  return db.transact_value<Summary>([](pqxx::work& tx) -> Result<Summary> {
    tx.exec0("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
    Summary s;
    if (table_exists(tx, "ledger_entries")) {
      for (const auto& r : tx.exec(
               "SELECT message_type, count(*) FROM ledger_entries GROUP BY 1 ORDER BY 1"))
        s.messages_by_type[r[0].c_str()] = r[1].as<int64_t>();
      for (const auto& r :
           tx.exec("SELECT stream, count(*) FROM ledger_entries GROUP BY 1 ORDER BY 1"))
        s.streams.push_back({r[0].c_str(), r[1].as<int64_t>(), std::nullopt});
      scan_ledger_payloads(tx, s);
    } else {
      s.notes.push_back("table ledger_entries does not exist (has the ledger run?)");
    }
    s.execsim_tables = table_exists(tx, "execsim_positions") &&
                       table_exists(tx, "execsim_position_history");
    if (s.execsim_tables) {
      s.positions = positions(tx);
      performance(tx, s);
    }
    return s;
  });
}

Result<std::map<std::string, int64_t>> parse_jsz_streams(const std::string& json) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return make_error(ErrorCode::kInvalidArgument, "the /jsz answer is not JSON");
  std::map<std::string, int64_t> out;
  if (!j.contains("account_details") || !j["account_details"].is_array()) return out;
  for (const auto& account : j["account_details"]) {
    if (!account.contains("stream_detail") || !account["stream_detail"].is_array()) continue;
    for (const auto& st : account["stream_detail"]) {
      if (!st.contains("name") || !st.contains("state")) continue;
      const auto& state = st["state"];
      if (!state.contains("messages") || !state["messages"].is_number()) continue;
      out[st["name"].get<std::string>()] += state["messages"].get<int64_t>();
    }
  }
  return out;
}

}  // namespace tp::tradectl
