#include "paramctl/reward_feed.h"

namespace tp::paramctl {

Status RewardFeed::catch_up() {
  uint64_t generation = 0;
  if (!core_.external_catch_up(&generation)) return ok();
  std::lock_guard lock(mu_);
  return catch_up_locked();
}

Status RewardFeed::catch_up_locked() {
  uint64_t generation = 0;
  if (!core_.external_catch_up(&generation)) return ok();
  auto rewards = load_rewards_after(db_, core_.external_seq());
  if (!rewards) return std::unexpected(rewards.error());
  for (const auto& r : *rewards) core_.learn_external(r);
  // A restore() in between (another generation) leaves the flag set.
  core_.external_caught_up(generation);
  return ok();
}

Result<LearnResult> RewardFeed::learn(const std::string& decision_id, double reward) {
  std::lock_guard lock(mu_);
  if (auto s = catch_up_locked(); !s) return std::unexpected(s.error());
  auto result = record_reward(db_, decision_id, reward);
  if (!result) return result;
  if (result->applied) core_.learn_external(result->reward);
  return result;
}

}  // namespace tp::paramctl
