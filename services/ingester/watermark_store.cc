#include "watermark_store.h"

#include <pqxx/pqxx>

namespace tp::ingester {

Result<std::optional<int64_t>> WatermarkStore::load(const SeriesKey& key) {
  return db_.transact_value<std::optional<int64_t>>(
      [&](pqxx::work& tx) -> Result<std::optional<int64_t>> {
        auto rows = tx.exec_params(
            "SELECT open_time_ns FROM tp_ingester_watermarks "
            "WHERE venue = $1 AND symbol = $2 AND timeframe = $3",
            std::get<0>(key), std::get<1>(key), std::get<2>(key));
        if (rows.empty()) return std::optional<int64_t>{};
        return std::optional<int64_t>{rows[0][0].as<int64_t>()};
      });
}

Status WatermarkStore::advance(const std::map<SeriesKey, int64_t>& watermarks) {
  if (watermarks.empty()) return ok();
  return db_.transact([&](pqxx::work& tx) -> Status {
    for (const auto& [key, open_time_ns] : watermarks) {
      tx.exec_params(
          "INSERT INTO tp_ingester_watermarks (venue, symbol, timeframe, open_time_ns) "
          "VALUES ($1, $2, $3, $4) ON CONFLICT (venue, symbol, timeframe) DO UPDATE SET "
          "open_time_ns = GREATEST(tp_ingester_watermarks.open_time_ns, EXCLUDED.open_time_ns), "
          "updated_at = now()",
          std::get<0>(key), std::get<1>(key), std::get<2>(key), open_time_ns);
    }
    return ok();
  });
}

}  // namespace tp::ingester
