// paramctl's SQL outside the checkpoint path: the preset catalogue, and the
// decisions and rewards of gRPC Select / Learn (tables in migrations/).
//
//   auto created = tp::paramctl::upsert_preset(db, preset);   // true when new
//   auto all = tp::paramctl::load_presets(db);                // sorted by id
//
// Thread safety: as store::Database (calls are serialised).
#pragma once

#include <string>
#include <vector>

#include "paramctl/core/param_core.h"
#include "tp/store/database.h"
#include "trading/v1/params.pb.h"

namespace tp::paramctl {

// Inserts or replaces one preset; true when the id was new.
[[nodiscard]] Result<bool> upsert_preset(store::Database& db,
                                         const trading::v1::ParameterPreset& preset);
// Seeds the presets of the config in one transaction (idempotent).
[[nodiscard]] Status upsert_presets(store::Database& db,
                                    const std::vector<trading::v1::ParameterPreset>& presets);
[[nodiscard]] Result<std::vector<trading::v1::ParameterPreset>> load_presets(store::Database& db);

// Records a decision made outside the stream (gRPC Select); a repeat is a no-op.
[[nodiscard]] Status record_decision(store::Database& db, const DecisionRow& row);

struct LearnResult {
  bool applied = false;
  std::string text;
  ExternalReward reward;  // when applied: what to learn (seq, decision, context)
};
// Records the reward of a known decision, once.
//   applied: reward 0.25 recorded for decision "d:..." (preset "ma_trend/fast")
//   not applied: unknown decision id "x" / decision "x" already has a reward
[[nodiscard]] Result<LearnResult> record_reward(store::Database& db, const std::string& decision_id,
                                                double reward);

// Rewards recorded with seq > after_seq, in seq order, with their decisions.
[[nodiscard]] Result<std::vector<ExternalReward>> load_rewards_after(store::Database& db,
                                                                     int64_t after_seq);

}  // namespace tp::paramctl
