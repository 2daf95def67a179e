// LinTsPresetChooser: paramctl's LinTS bandit (issue #5). One disjoint
// linear Thompson Sampling model (tp::bandit::LinTs) per (strategy,
// instrument) -- or per strategy with pool_instruments -- with one arm per
// preset, over the standardised context (tp::bandit::Standardizer).
//
//   LinTsChooserConfig cfg;            // v, lambda, clip, scale, decay, seed, ...
//   auto chooser = LinTsPresetChooser::create(cfg, context_feature_names());
//   ParamCore core(config, std::move(*chooser));
//
// choose(): z = standardize(raw) with the statistics of the bars before this
// one; for each enabled preset in id order, theta ~ N(B^-1 f, v_n^2 B^-1)
// drawn from Rng(mix_seed(request.seed, seed)) (a preset with no data
// samples the prior); the preset with the highest z'theta wins; its score is
// the sampled z'theta and z is returned to be recorded with the decision.
// observe(): every in-order context updates the standardiser (Welford).
// learn(): the reward of a decision updates its preset's arm with the z the
// decision recorded (a context recorded without z is standardised with the
// current statistics). The bias feature is never standardised.
//
// persist() upserts the changed models into paramctl_bandit_arms and
// paramctl_bandit_features (migrations/0002_bandit.sql); the snapshot is the
// source of truth for restarts (exact bit patterns).
//
// Thread safety: none; ParamCore calls it under its own mutex.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "paramctl/core/preset_chooser.h"
#include "tp/bandit/lin_ts.h"
#include "tp/bandit/standardizer.h"

namespace tp::paramctl {

struct LinTsChooserConfig {
  // dimension is set from the feature names; v, lambda, reward_clip,
  // reward_scale, decay, v_min as in tp::bandit::LinTsOptions.
  bandit::LinTsOptions model;
  double standardize_clip = 5.0;
  int64_t standardize_min_observations = 30;
  bool pool_instruments = false;
  uint64_t seed = 0;
};

class LinTsPresetChooser final : public PresetChooser {
 public:
  // kInvalidArgument for bad options.
  [[nodiscard]] static Result<std::unique_ptr<LinTsPresetChooser>> create(
      LinTsChooserConfig config, std::vector<std::string> feature_names);

  std::string_view name() const override { return "lints"; }
  ChooserPick choose(const ChooserRequest& request) const override;
  void observe(std::string_view strategy, std::string_view venue, std::string_view symbol,
               const trading::v1::BanditContext& context) override;
  void learn(std::string_view strategy, std::string_view venue, std::string_view symbol,
             std::string_view preset_id, const trading::v1::BanditContext& context,
             double reward) override;
  void describe(std::string_view strategy, std::string_view venue, std::string_view symbol,
                std::string_view preset_id, trading::v1::ArmPosterior& out) const override;
  // {"version":1,"models":{"<strategy>|<venue>/<symbol>":{"standardizer":{..},"lints":{..}}}}
  // ("<strategy>|*" when instruments are pooled). "" restores an empty state.
  std::string snapshot() const override;
  [[nodiscard]] Status restore(std::string_view snapshot) override;
  [[nodiscard]] Status persist(pqxx::work& tx) override;

  const LinTsChooserConfig& config() const { return config_; }
  // The model of a key ("strategy|venue/symbol"), or nullptr (tests, bench).
  const bandit::LinTs* model(const std::string& key) const;
  const bandit::Standardizer* standardizer(const std::string& key) const;
  std::string key(std::string_view strategy, std::string_view venue, std::string_view symbol) const;

 private:
  struct Model {
    bandit::Standardizer standardizer;
    bandit::LinTs lints;
  };
  LinTsPresetChooser(LinTsChooserConfig config, std::vector<std::string> names,
                     bandit::StandardizerOptions standardize, Model prior);
  Model& model_for(const std::string& key);
  void touch(const std::string& key);
  std::vector<double> raw_of(const trading::v1::BanditContext& context) const;

  LinTsChooserConfig config_;
  std::vector<std::string> names_;
  bandit::StandardizerOptions standardize_;
  Model prior_;  // no data: what a model that does not exist yet would say
  std::map<std::string, Model> models_;
  std::set<std::string> dirty_;  // models changed since the last persist()
  bool written_ = false;         // persist() ran; the next change starts a new set
};

}  // namespace tp::paramctl
