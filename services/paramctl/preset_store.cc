#include "paramctl/preset_store.h"

#include <charconv>
#include <map>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "paramctl/core/pg_arrays.h"

namespace tp::paramctl {
namespace {

std::string values_json(const trading::v1::ParameterPreset& p) {
  std::map<std::string, double> sorted(p.values().begin(), p.values().end());
  return nlohmann::json(sorted).dump();
}

bool upsert_in(pqxx::work& tx, const trading::v1::ParameterPreset& p) {
  auto row = tx.exec_params1(
      "INSERT INTO paramctl_presets (preset_id, strategy, \"values\", description, enabled) "
      "VALUES ($1, $2, $3::jsonb, $4, $5) "
      "ON CONFLICT (preset_id) DO UPDATE SET strategy = EXCLUDED.strategy, "
      "\"values\" = EXCLUDED.\"values\", description = EXCLUDED.description, "
      "enabled = EXCLUDED.enabled, updated_at = now() "
      "RETURNING (xmax = 0) AS created",
      p.preset_id(), p.strategy(), values_json(p), p.description(), p.enabled());
  return row[0].as<bool>();
}

std::string number_text(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return ec == std::errc() ? std::string(buf, end) : "?";
}

}  // namespace

Result<bool> upsert_preset(store::Database& db, const trading::v1::ParameterPreset& preset) {
  return db.transact_value<bool>([&](pqxx::work& tx) -> Result<bool> {
    return upsert_in(tx, preset);
  });
}

Status upsert_presets(store::Database& db,
                      const std::vector<trading::v1::ParameterPreset>& presets) {
  return db.transact([&](pqxx::work& tx) -> Status {
    for (const auto& p : presets) upsert_in(tx, p);
    return ok();
  });
}

Result<std::vector<trading::v1::ParameterPreset>> load_presets(store::Database& db) {
  using Presets = std::vector<trading::v1::ParameterPreset>;
  return db.transact_value<Presets>([&](pqxx::work& tx) -> Result<Presets> {
    Presets out;
    auto rows = tx.exec(
        "SELECT preset_id, strategy, \"values\"::text, description, enabled "
        "FROM paramctl_presets ORDER BY preset_id COLLATE \"C\"");
    for (const auto& r : rows) {
      trading::v1::ParameterPreset p;
      p.set_preset_id(r[0].as<std::string>());
      p.set_strategy(r[1].as<std::string>());
      auto values = nlohmann::json::parse(r[2].as<std::string>(), nullptr, false);
      if (!values.is_object())
        return make_error(ErrorCode::kDataLoss,
                          "preset " + p.preset_id() + ": values are not a JSON object");
      for (const auto& [k, v] : values.items()) {
        if (!v.is_number())
          return make_error(ErrorCode::kDataLoss,
                            "preset " + p.preset_id() + ": value \"" + k + "\" is not a number");
        (*p.mutable_values())[k] = v.get<double>();
      }
      p.set_description(r[3].as<std::string>());
      p.set_enabled(r[4].as<bool>());
      out.push_back(std::move(p));
    }
    return out;
  });
}

Status record_decision(store::Database& db, const DecisionRow& d) {
  return db.transact([&](pqxx::work& tx) -> Status {
    const std::string standardized = pg_float_array(d.standardized);
    tx.exec_params(
        "INSERT INTO paramctl_decisions (decision_id, strategy, venue, symbol, preset_id, "
        "context, event_time_ns, standardized) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, "
        "$8::float8[]) ON CONFLICT (decision_id) DO NOTHING",
        d.decision_id, d.strategy, d.venue, d.symbol, d.preset_id, d.context_json,
        d.event_time_ns, d.standardized.empty() ? nullptr : standardized.c_str());
    return ok();
  });
}

namespace {

// strategy, venue, symbol, preset_id, context::text, standardized::text -> reward fields.
Status decision_fields(const pqxx::row& r, int first, ExternalReward& out) {
  out.strategy = r[first].as<std::string>();
  out.venue = r[first + 1].as<std::string>();
  out.symbol = r[first + 2].as<std::string>();
  out.preset_id = r[first + 3].as<std::string>();
  auto context = nlohmann::json::parse(r[first + 4].as<std::string>(), nullptr, false);
  if (!context.is_object())
    return make_error(ErrorCode::kDataLoss, "decision " + out.decision_id + ": context is not an object");
  out.context.Clear();
  for (const auto& name : context_feature_names()) {
    out.context.add_names(name);
    auto it = context.find(name);
    out.context.add_raw(it != context.end() && it->is_number() ? it->get<double>() : 0.0);
  }
  if (!r[first + 5].is_null()) {
    auto z = parse_pg_float_array(r[first + 5].c_str());
    if (!z) return make_error(ErrorCode::kDataLoss, "decision " + out.decision_id + ": bad standardized");
    for (double v : *z) out.context.add_standardized(v);
  }
  return ok();
}

}  // namespace

Result<LearnResult> record_reward(store::Database& db, const std::string& decision_id,
                                  double reward) {
  return db.transact_value<LearnResult>([&](pqxx::work& tx) -> Result<LearnResult> {
    auto decision = tx.exec_params(
        "SELECT strategy, venue, symbol, preset_id, context::text, standardized::text "
        "FROM paramctl_decisions WHERE decision_id = $1",
        decision_id);
    if (decision.empty()) return LearnResult{false, "unknown decision id \"" + decision_id + "\"", {}};
    auto inserted = tx.exec_params(
        "INSERT INTO paramctl_rewards (decision_id, reward) VALUES ($1, $2) "
        "ON CONFLICT (decision_id) DO NOTHING RETURNING seq",
        decision_id, number_text(reward));
    if (inserted.empty())
      return LearnResult{false, "decision \"" + decision_id + "\" already has a reward", {}};
    LearnResult out{true, "", {}};
    out.reward.seq = inserted[0][0].as<int64_t>();
    out.reward.decision_id = decision_id;
    out.reward.reward = reward;
    if (auto s = decision_fields(decision[0], 0, out.reward); !s) return std::unexpected(s.error());
    out.text = "reward " + number_text(reward) + " recorded for decision \"" + decision_id +
               "\" (preset \"" + out.reward.preset_id + "\")";
    return out;
  });
}

Result<std::vector<ExternalReward>> load_rewards_after(store::Database& db, int64_t after_seq) {
  using Rewards = std::vector<ExternalReward>;
  return db.transact_value<Rewards>([&](pqxx::work& tx) -> Result<Rewards> {
    Rewards out;
    auto rows = tx.exec_params(
        "SELECT r.seq, r.decision_id, r.reward::text, d.strategy, d.venue, d.symbol, d.preset_id, "
        "d.context::text, d.standardized::text "
        "FROM paramctl_rewards r JOIN paramctl_decisions d USING (decision_id) "
        "WHERE r.seq > $1 ORDER BY r.seq",
        after_seq);
    for (const auto& r : rows) {
      ExternalReward e;
      e.seq = r[0].as<int64_t>();
      e.decision_id = r[1].as<std::string>();
      auto text = r[2].as<std::string>();
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), e.reward);
      if (ec != std::errc() || end != text.data() + text.size())
        return make_error(ErrorCode::kDataLoss, "reward of " + e.decision_id + " is not a number");
      if (auto s = decision_fields(r, 3, e); !s) return std::unexpected(s.error());
      out.push_back(std::move(e));
    }
    return out;
  });
}

}  // namespace tp::paramctl
