// Per-series publish watermarks in PostgreSQL (table tp_ingester_watermarks,
// migration migrations/0001_watermarks.sql).
//
//   WatermarkStore store(db);
//   auto last = store.load("binance-us", "BTCUSDT", "1m");   // nullopt: never published
//   store.advance({{{"binance-us", "BTCUSDT", "1m"}, open_time_ns}});
//
// advance() never moves a watermark backwards (GREATEST in SQL), so a late or
// repeated write is harmless.
//
// Threads: as store::Database (calls are serialised).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>

#include "tp/core/error.h"
#include "tp/store/database.h"

namespace tp::ingester {

using SeriesKey = std::tuple<std::string, std::string, std::string>;  // venue, symbol, timeframe

class WatermarkStore {
 public:
  explicit WatermarkStore(store::Database& db) : db_(db) {}
  [[nodiscard]] Result<std::optional<int64_t>> load(const SeriesKey& key);
  [[nodiscard]] Status advance(const std::map<SeriesKey, int64_t>& watermarks);

 private:
  store::Database& db_;
};

}  // namespace tp::ingester
