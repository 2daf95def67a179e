// PresetChooser: how paramctl picks a preset for a (strategy, instrument) at
// a decision epoch. Swappable: the LinTS bandit (issue #5) implements the
// same interface; DefaultPresetChooser is the deterministic stand-in.
//
//   DefaultPresetChooser chooser;
//   ChooserPick pick = chooser.choose(request);  // pick.preset_id, pick.score
//
// A chooser must be a pure function of the request and its own state (which
// it snapshots), so a replay from a checkpoint makes the same choices:
// sampling choosers draw from `request.seed`, derived from the decision id.
//
// Thread safety: none; ParamCore calls it under its own mutex.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tp/core/error.h"
#include "trading/v1/params.pb.h"

namespace tp::paramctl {

struct ChooserRequest {
  std::string_view strategy;
  std::string_view venue;
  std::string_view symbol;
  const trading::v1::BanditContext& context;
  // Enabled presets of the strategy, sorted by preset id; never empty.
  const std::vector<const trading::v1::ParameterPreset*>& candidates;
  std::string_view default_preset;  // the strategy's configured default
  uint64_t seed = 0;
};

struct ChooserPick {
  std::string preset_id;
  double score = 0;  // ParameterChoice.sampled_score
};

class PresetChooser {
 public:
  virtual ~PresetChooser() = default;
  virtual std::string_view name() const = 0;
  virtual ChooserPick choose(const ChooserRequest& request) const = 0;
  // A reward attributed to a decision that chose `preset_id` under `context`.
  virtual void learn(std::string_view strategy, std::string_view venue, std::string_view symbol,
                     std::string_view preset_id, const trading::v1::BanditContext& context,
                     double reward) = 0;
  virtual std::string snapshot() const = 0;
  [[nodiscard]] virtual Status restore(std::string_view snapshot) = 0;
};

// The default preset when it is enabled, else the first enabled preset of
// the strategy by id. Stateless; score 0.
class DefaultPresetChooser final : public PresetChooser {
 public:
  std::string_view name() const override { return "default"; }
  ChooserPick choose(const ChooserRequest& request) const override;
  void learn(std::string_view, std::string_view, std::string_view, std::string_view,
             const trading::v1::BanditContext&, double) override {}
  std::string snapshot() const override { return ""; }
  [[nodiscard]] Status restore(std::string_view) override { return ok(); }
};

}  // namespace tp::paramctl
