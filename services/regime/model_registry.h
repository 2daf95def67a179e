// The regime model registry and bar store in PostgreSQL (tables in
// migrations/0001_model_registry_and_bars.sql, docs/services/regime-hmm.md).
//
//   ModelRegistry registry(db);
//   auto added = registry.add(record);              // false: that version was already there
//   auto current = registry.promoted();             // nullopt before the first promotion
//   auto version = registry.load(*current);         // ready-to-run HmmModelVersion
//   auto bars = registry.bars({"binance-us", "BTCUSDT", "1m", from_ns, to_ns});
//
// Versions are content-addressed and rows are never updated, so a version
// name always means the same parameters: load() re-hashes the stored
// document and refuses one that does not match its name.
//
// Thread safety: as store::Database (calls are serialised).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tp/hmm/features.h"
#include "tp/regime/hmm_model.h"
#include "tp/regime/training.h"
#include "tp/store/database.h"
#include "trading/v1/market_data.pb.h"

namespace tp::regime {

struct ModelRecord {
  std::string version;
  std::string name{kHmmModelName};
  int states = 0;
  std::string covariance;    // "full" | "diagonal"
  std::string features;      // "logret,rvol"
  std::string parameters;    // the exact parameters document
  std::string train_source;  // "csv:<file>" | "db:<venue>/<symbol>/<tf>"
  int64_t train_from_ns = 0;
  int64_t train_to_ns = 0;
  int64_t observations = 0;
  std::string metrics;       // JSON
  std::string code_version;
  std::string created_at;    // ISO 8601, set by the database
  bool promoted = false;     // the latest promotion names it
};

ModelRecord make_record(const TrainedModel& trained, std::string train_source);

struct BarRange {
  std::string venue, symbol, timeframe;
  int64_t from_ns = 0;                  // inclusive
  int64_t to_ns = INT64_MAX;            // inclusive
};

class ModelRegistry {
 public:
  explicit ModelRegistry(store::Database& db) : db_(db) {}

  [[nodiscard]] Result<bool> add(const ModelRecord& record);
  // kNotFound: "no regime model version 'x'".
  [[nodiscard]] Result<ModelRecord> get(const std::string& version);
  [[nodiscard]] Result<std::vector<ModelRecord>> list();  // newest first
  [[nodiscard]] Result<std::optional<std::string>> promoted();
  // Appends a promotion row; returns its id.
  [[nodiscard]] Result<int64_t> record_promotion(const std::string& version, const std::string& operator_name);
  [[nodiscard]] Result<std::shared_ptr<const HmmModelVersion>> load(const std::string& version);

  // Bars the regime service stored, in open-time order (training source).
  [[nodiscard]] Result<std::vector<hmm::PriceBar>> bars(const BarRange& range);

 private:
  store::Database& db_;
};

// Rows for regime_bars, written in the checkpoint's transaction.
[[nodiscard]] Status insert_bars(pqxx::work& tx, const std::vector<trading::v1::Bar>& bars);

}  // namespace tp::regime
