#include "model_registry.h"

#include <pqxx/pqxx>

#include "tp/core/code_version.h"

namespace tp::regime {

namespace {

constexpr const char* kSelect =
    "SELECT m.version, m.name, m.states, m.covariance, m.features, m.parameters, m.train_source, "
    "m.train_from_ns, m.train_to_ns, m.observations, m.metrics::text, m.code_version, "
    "to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
    "m.version = (SELECT version FROM regime_promotions ORDER BY promotion_id DESC LIMIT 1) "
    "FROM regime_models m ";

ModelRecord from_row(const pqxx::row& r) {
  ModelRecord m;
  m.version = r[0].as<std::string>();
  m.name = r[1].as<std::string>();
  m.states = r[2].as<int>();
  m.covariance = r[3].as<std::string>();
  m.features = r[4].as<std::string>();
  m.parameters = r[5].as<std::string>();
  m.train_source = r[6].as<std::string>();
  m.train_from_ns = r[7].as<int64_t>();
  m.train_to_ns = r[8].as<int64_t>();
  m.observations = r[9].as<int64_t>();
  m.metrics = r[10].as<std::string>();
  m.code_version = r[11].as<std::string>();
  m.created_at = r[12].as<std::string>();
  m.promoted = !r[13].is_null() && r[13].as<bool>();
  return m;
}

}  // namespace

ModelRecord make_record(const TrainedModel& t, std::string train_source) {
  ModelRecord m;
  m.version = t.version;
  m.states = t.fit.model.states();
  m.covariance = std::string(hmm::to_string(t.fit.model.covariance));
  m.features = t.features.names();
  m.parameters = t.parameters_document;
  m.train_source = std::move(train_source);
  m.train_from_ns = t.train_from_ns;
  m.train_to_ns = t.train_to_ns;
  m.observations = t.train_observations;
  m.metrics = t.metrics_document;
  m.code_version = code_version();
  return m;
}

Result<bool> ModelRegistry::add(const ModelRecord& m) {
  if (content_version(m.parameters) != m.version)
    return make_error(ErrorCode::kInvalidArgument,
                      "model version " + m.version + " does not match its parameters (expected " +
                          content_version(m.parameters) + ")");
  return db_.transact_value<bool>([&](pqxx::work& tx) -> Result<bool> {
    auto r = tx.exec_params(
        "INSERT INTO regime_models (version, name, states, covariance, features, parameters, train_source, "
        "train_from_ns, train_to_ns, observations, metrics, code_version) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12) ON CONFLICT (version) DO NOTHING",
        m.version, m.name, m.states, m.covariance, m.features, m.parameters, m.train_source, m.train_from_ns,
        m.train_to_ns, m.observations, m.metrics, m.code_version);
    return r.affected_rows() == 1;
  });
}

Result<ModelRecord> ModelRegistry::get(const std::string& version) {
  return db_.transact_value<ModelRecord>([&](pqxx::work& tx) -> Result<ModelRecord> {
    auto rows = tx.exec_params(std::string(kSelect) + "WHERE m.version = $1", version);
    if (rows.empty()) return make_error(ErrorCode::kNotFound, "no regime model version '" + version + "'");
    return from_row(rows[0]);
  });
}

Result<std::vector<ModelRecord>> ModelRegistry::list() {
  using Records = std::vector<ModelRecord>;
  return db_.transact_value<Records>([&](pqxx::work& tx) -> Result<Records> {
    Records out;
    for (const auto& r : tx.exec(std::string(kSelect) + "ORDER BY m.created_at DESC, m.version"))
      out.push_back(from_row(r));
    return out;
  });
}

Result<std::optional<std::string>> ModelRegistry::promoted() {
  using Version = std::optional<std::string>;
  return db_.transact_value<Version>([&](pqxx::work& tx) -> Result<Version> {
    auto rows = tx.exec("SELECT version FROM regime_promotions ORDER BY promotion_id DESC LIMIT 1");
    if (rows.empty()) return Version{};
    return Version{rows[0][0].as<std::string>()};
  });
}

Result<int64_t> ModelRegistry::record_promotion(const std::string& version, const std::string& operator_name) {
  return db_.transact_value<int64_t>([&](pqxx::work& tx) -> Result<int64_t> {
    auto exists = tx.exec_params("SELECT 1 FROM regime_models WHERE version = $1", version);
    if (exists.empty()) return make_error(ErrorCode::kNotFound, "no regime model version '" + version + "'");
    return tx.exec_params1("INSERT INTO regime_promotions (version, operator) VALUES ($1, $2) "
                           "RETURNING promotion_id",
                           version, operator_name)[0]
        .as<int64_t>();
  });
}

Result<std::shared_ptr<const HmmModelVersion>> ModelRegistry::load(const std::string& version) {
  auto record = get(version);
  if (!record) return std::unexpected(record.error());
  if (content_version(record->parameters) != version)
    return make_error(ErrorCode::kDataLoss, "regime model " + version +
                                                ": stored parameters do not hash to the version name");
  return version_from_document(version, record->parameters);
}

Result<std::vector<hmm::PriceBar>> ModelRegistry::bars(const BarRange& range) {
  using Bars = std::vector<hmm::PriceBar>;
  return db_.transact_value<Bars>([&](pqxx::work& tx) -> Result<Bars> {
    Bars out;
    auto rows = tx.exec_params(
        "SELECT open_time_ns, open_e8, high_e8, low_e8, close_e8, volume_e8, quality_flags FROM regime_bars "
        "WHERE venue = $1 AND symbol = $2 AND timeframe = $3 AND open_time_ns BETWEEN $4 AND $5 "
        "ORDER BY open_time_ns",
        range.venue, range.symbol, range.timeframe, range.from_ns, range.to_ns);
    out.reserve(rows.size());
    for (const auto& r : rows) {
      trading::v1::Bar b;
      b.set_open_time_ns(r[0].as<int64_t>());
      b.set_open_e8(r[1].as<int64_t>());
      b.set_high_e8(r[2].as<int64_t>());
      b.set_low_e8(r[3].as<int64_t>());
      b.set_close_e8(r[4].as<int64_t>());
      b.set_volume_e8(r[5].as<int64_t>());
      b.set_quality_flags(r[6].as<uint32_t>());
      // Out-of-order bars were never part of the series.
      if (b.quality_flags() & trading::v1::BAR_QUALITY_OUT_OF_ORDER) continue;
      out.push_back(to_price_bar(b));
    }
    return out;
  });
}

Status insert_bars(pqxx::work& tx, const std::vector<trading::v1::Bar>& bars) {
  if (bars.empty()) return ok();
  // One multi-row statement per 500 bars.
  for (size_t start = 0; start < bars.size(); start += 500) {
    const size_t end = std::min(bars.size(), start + 500);
    std::string sql =
        "INSERT INTO regime_bars (venue, symbol, timeframe, open_time_ns, open_e8, high_e8, low_e8, close_e8, "
        "volume_e8, quality_flags) VALUES ";
    for (size_t i = start; i < end; ++i) {
      const auto& b = bars[i];
      if (i > start) sql += ",";
      sql += "(" + tx.quote(b.instrument().venue()) + "," + tx.quote(b.instrument().symbol()) + "," +
             tx.quote(b.timeframe()) + "," + std::to_string(b.open_time_ns()) + "," + std::to_string(b.open_e8()) +
             "," + std::to_string(b.high_e8()) + "," + std::to_string(b.low_e8()) + "," +
             std::to_string(b.close_e8()) + "," + std::to_string(b.volume_e8()) + "," +
             std::to_string(b.quality_flags()) + ")";
    }
    sql += " ON CONFLICT DO NOTHING";
    tx.exec(sql);
  }
  return ok();
}

}  // namespace tp::regime
