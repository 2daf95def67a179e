// RewardFeed: rewards given through gRPC Learn, from paramctl_rewards into
// the core's chooser, each exactly once and in paramctl_rewards.seq order.
//
//   RewardFeed feed(core, db);
//   auto result = feed.learn("sel:ma:...", 0.002);   // record, then learn at once
//   if (auto s = feed.catch_up(); !s) ...            // before the core handles input
//
// The checkpoint snapshot records the last seq learned. After construction
// and after every restore() (start-up, an abandoned batch) the core may lack
// rewards recorded later; catch_up() loads those (seq > core.external_seq())
// and learns them before anything else reaches the core. learn() catches up
// first, then records the reward and learns it, under one mutex, so learning
// follows seq order.
//
// Thread safety: all methods may be called from any thread (own mutex; the
// Database serialises queries; ParamCore locks itself). Lock order: the
// runtime's batch mutex, then this mutex, then the core's.
#pragma once

#include <mutex>
#include <string>

#include "paramctl/core/param_core.h"
#include "paramctl/preset_store.h"
#include "tp/store/database.h"

namespace tp::paramctl {

class RewardFeed {
 public:
  RewardFeed(ParamCore& core, store::Database& db) : core_(core), db_(db) {}

  // No-op unless the core needs it. kUnavailable etc. from the database.
  [[nodiscard]] Status catch_up();
  [[nodiscard]] Result<LearnResult> learn(const std::string& decision_id, double reward);

 private:
  Status catch_up_locked();
  ParamCore& core_;
  store::Database& db_;
  std::mutex mu_;
};

}  // namespace tp::paramctl
