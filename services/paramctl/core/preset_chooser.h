// PresetChooser: how paramctl picks a preset for a (strategy, instrument) at
// a decision epoch. Swappable: LinTsPresetChooser (core/lints_chooser.h, the
// LinTS bandit of issue #5) and DefaultPresetChooser (deterministic stand-in)
// implement it.
//
//   DefaultPresetChooser chooser;
//   ChooserPick pick = chooser.choose(request);  // pick.preset_id, pick.score
//
// A chooser must be a pure function of the request and its own state (which
// it snapshots), so a replay from a checkpoint makes the same choices:
// sampling choosers draw from `request.seed`, derived from the decision id.
// choose() never changes the state (gRPC Select previews with it); the state
// changes only through observe() (every in-order context of the stream) and
// learn() (rewards), both called by ParamCore in a deterministic order.
//
// Thread safety: none; ParamCore calls it under its own mutex.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

#include "tp/core/error.h"
#include "trading/v1/params.pb.h"
#include "trading/v1/services.pb.h"

namespace tp::paramctl {

struct ChooserRequest {
  std::string_view strategy;
  std::string_view venue;
  std::string_view symbol;
  const trading::v1::BanditContext& context;  // names and raw values
  // Enabled presets of the strategy, sorted by preset id; never empty.
  const std::vector<const trading::v1::ParameterPreset*>& candidates;
  std::string_view default_preset;  // the strategy's configured default
  uint64_t seed = 0;
};

struct ChooserPick {
  std::string preset_id;
  double score = 0;  // ParameterChoice.sampled_score
  // The features the decision used after standardisation (recorded in
  // BanditContext.standardized and learned from later); empty when the
  // chooser does not use features.
  std::vector<double> standardized;
};

class PresetChooser {
 public:
  virtual ~PresetChooser() = default;
  virtual std::string_view name() const = 0;
  virtual ChooserPick choose(const ChooserRequest& request) const = 0;
  // Every in-order context of an instrument, once per strategy trading it,
  // after that bar's decision (if the bar started an epoch).
  virtual void observe(std::string_view /*strategy*/, std::string_view /*venue*/,
                       std::string_view /*symbol*/, const trading::v1::BanditContext& /*context*/) {}
  // A reward attributed to a decision that chose `preset_id` under `context`
  // (as recorded at the decision: raw and standardized values).
  virtual void learn(std::string_view strategy, std::string_view venue, std::string_view symbol,
                     std::string_view preset_id, const trading::v1::BanditContext& context,
                     double reward) = 0;
  // Posterior summary of one arm for Inspect (fills mean/stddev when the
  // chooser has a model for it). Empty venue/symbol: all instruments.
  virtual void describe(std::string_view /*strategy*/, std::string_view /*venue*/,
                        std::string_view /*symbol*/, std::string_view /*preset_id*/,
                        trading::v1::ArmPosterior& /*out*/) const {}
  virtual std::string snapshot() const = 0;
  [[nodiscard]] virtual Status restore(std::string_view snapshot) = 0;
  // Rows for operators, written in the checkpoint's transaction; must be
  // safe to run again with the same state (a retried transaction).
  [[nodiscard]] virtual Status persist(pqxx::work&) { return ok(); }
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
