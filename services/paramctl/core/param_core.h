// ParamCore: paramctl's core. Holds the preset catalogue, turns each
// in-order RegimePosterior(t) into one ParameterChoice(t) per strategy
// configured for the instrument, keeps decision epochs and per-arm counts,
// feeds the chooser (contexts, rewards), and queues the decision and outcome
// rows written with each checkpoint.
//
//   ParamCore core(config, std::make_unique<DefaultPresetChooser>());  // or a LinTsPresetChooser
//   core.load_presets(presets_from_db);
//   tp::runtime::Outbox out;
//   core.on_regime(posterior, envelope_correlation_id, out);  // -> ParameterChoice(t) x strategies
//   core.on_outcome(outcome, out, message_id);                // -> queued outcome row
//   core.on_position(position, out);                          // execsim's watermark
//
// Decision epochs: per (strategy, instrument) a new decision starts at the
// first bar and then every decision_interval_bars bars; its id is
// "d:<strategy>:<venue>:<symbol>:<unix seconds of the epoch's first bar>"
// and every choice of the epoch repeats its id, preset and context.
//
// Learning: an outcome of a remembered decision (the last
// remembered_decisions) is learned with the context recorded at the decision,
// unless it closed more than max_reward_delay_ns after the decision's first
// bar.
//
// Event-time learning (event_time_learning): outcomes are not learned on
// arrival but queued per book (strategy, instrument). A new decision epoch of
// a book at bar t waits until execsim's Position of that book for the
// previous bar t' has arrived, together with every outcome that Position's
// outcomes_total counts; then the book's outcomes closed at or before t' are
// learned in (closed_time_ns, message id) order and the choice is made.
// While an epoch waits, its posterior and every later posterior, of any
// instrument, are held back in arrival order (checkpointed), so the choices
// leave in the order of the REGIME stream (downstream joins bound how far
// one instrument may run ahead of another). The choices therefore depend only on the bars,
// never on how the REGIME, PARAMS and EXEC streams interleave. Rewards given through gRPC Learn are learned through
// learn_external() in paramctl_rewards.seq order, exactly once per state:
// the snapshot records the last seq learned, and after construction or a
// restore() external_catch_up() reports that later ones must be fed again
// (RewardFeed, reward_feed.h, does it).
//
// Rows: new decisions and outcomes are queued and written by persist() in
// the checkpoint's transaction (idempotent inserts). Once persist() ran, the
// next queued row starts a fresh queue: the runtime only handles a new
// batch after the previous one was committed or abandoned (and an abandon
// calls discard_pending() and restores the last snapshot).
//
// No I/O, no clock. Thread safety: every public method locks the core's own
// mutex, so consumer loops (under the runtime's batch mutex) and gRPC
// threads may call it concurrently.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "paramctl/core/preset_chooser.h"
#include "tp/runtime/checkpoint.h"
#include "tp/runtime/outbox.h"
#include "trading/v1/execution.pb.h"
#include "trading/v1/params.pb.h"
#include "trading/v1/regime.pb.h"
#include "trading/v1/services.pb.h"

namespace tp::paramctl {

// Names of the context features, in order (the last one is a constant 1).
const std::vector<std::string>& context_feature_names();

struct StrategySettings {
  std::vector<std::string> instruments;  // "venue/symbol"
  std::string default_preset;
  int64_t decision_interval_bars = 1;
};

struct ParamCoreConfig {
  std::string timeframe = "1m";  // regime posteriors of other timeframes are ignored
  std::map<std::string, StrategySettings> strategies;
  size_t remembered_decisions = 4096;  // decision id -> arm, to attribute outcomes
  size_t remembered_outcomes = 4096;   // (decision, closed time) keys, to skip duplicates
  // An outcome closed later than this after its decision's first bar is
  // recorded but not learned (0 = no limit).
  int64_t max_reward_delay_ns = 0;
  // Learn in event time, joined with execsim's positions (see above); false =
  // learn each outcome when it arrives.
  bool event_time_learning = false;
};

// What a handler call did with its message.
struct Verdict {
  enum class Kind { kApplied, kIgnored, kInvalid };
  Kind kind = Kind::kApplied;
  std::string text;
  static Verdict applied() { return {}; }
  static Verdict ignored(std::string why) { return {Kind::kIgnored, std::move(why)}; }
  static Verdict invalid(std::string why) { return {Kind::kInvalid, std::move(why)}; }
};

// A row of paramctl_decisions.
struct DecisionRow {
  std::string decision_id, strategy, venue, symbol, preset_id;
  std::string context_json;  // {"p_bull":..,...,"bias":1}
  int64_t event_time_ns = 0;
  std::vector<double> standardized;  // as decided on; empty = NULL
  bool operator==(const DecisionRow&) const = default;
};

// A reward recorded through gRPC Learn (paramctl_rewards joined with the
// decision's row), to be learned once in seq order.
struct ExternalReward {
  int64_t seq = 0;
  std::string decision_id, strategy, venue, symbol, preset_id;
  trading::v1::BanditContext context;  // raw (+ standardized when recorded)
  double reward = 0;
};

// A row of paramctl_outcomes.
struct OutcomeRow {
  std::string outcome_id;  // the message id ("outcome:<decision>:<order>:<n>")
  std::string decision_id;
  int64_t realized_pnl_e8 = 0, fees_e8 = 0, notional_e8 = 0;
  double reward = 0;
  int64_t closed_time_ns = 0;
  bool operator==(const OutcomeRow&) const = default;
};

// "d:ma_trend:binance-us:BTCUSDT:1677628800"
std::string decision_id(std::string_view strategy, std::string_view venue, std::string_view symbol,
                        int64_t event_time_ns);

// {"p_bull":0.7,...} for a context whose names/raw line up.
std::string context_json(const trading::v1::BanditContext& context);

class ParamCore final : public runtime::Checkpointed {
 public:
  ParamCore(ParamCoreConfig config, std::unique_ptr<PresetChooser> chooser);

  // ---- catalogue
  // Replaces the catalogue (start-up, from the database).
  void load_presets(const std::vector<trading::v1::ParameterPreset>& presets);
  // Checks a preset before it is registered. Error texts (kInvalidArgument):
  //   preset_id is required / preset_id "a.b" must not contain '.' or whitespace
  //   strategy is required / strategy "x y" is not a valid subject token
  //   preset "p": value "fast" must be finite
  //   preset "p" belongs to strategy "ma_trend", not "donchian"
  //   preset "p" is the last enabled preset of strategy "ma_trend"; enable another first
  [[nodiscard]] Status check_preset(const trading::v1::ParameterPreset& preset) const;
  // Adds or replaces; returns true when the id is new.
  bool upsert_preset(const trading::v1::ParameterPreset& preset);
  // Sorted by id; empty strategy = all.
  std::vector<trading::v1::ParameterPreset> list_presets(std::string_view strategy) const;
  // Strategies configured with no enabled preset (start-up check).
  std::vector<std::string> strategies_without_enabled_preset() const;

  // ---- streams (consumer loops)
  Verdict on_regime(const trading::v1::RegimePosterior& posterior, std::string_view correlation_id,
                    runtime::Outbox& out);
  // `message_id` identifies the outcome (duplicates are skipped); empty = the
  // key "<decision_id>|<closed_time_ns>".
  Verdict on_outcome(const trading::v1::Outcome& outcome, runtime::Outbox& out,
                     std::string_view message_id = {});
  // execsim's Position of a book: the watermark of event-time learning
  // (ignored when it is off).
  Verdict on_position(const trading::v1::Position& position, runtime::Outbox& out);
  // Posteriors held back by event-time learning, and a description of what
  // the oldest one waits for ("" when none waits).
  size_t waiting_posteriors() const;
  std::string waiting_for() const;

  // ---- queries (gRPC)
  // The choice the chooser would make now. Errors: kNotFound for an
  // unconfigured strategy or instrument, kInvalidArgument for a context
  // that does not match context_feature_names().
  [[nodiscard]] Result<trading::v1::ParameterChoice> select(
      std::string_view strategy, const trading::v1::Instrument& instrument,
      const trading::v1::BanditContext& context, int64_t event_time_ns,
      std::string_view decision_id) const;
  // Per-arm counts of a strategy (one instrument, or all when empty).
  [[nodiscard]] Result<trading::v1::InspectResponse> inspect(
      std::string_view strategy, const trading::v1::Instrument& instrument) const;
  bool strategy_configured(std::string_view strategy) const;
  std::string_view chooser_name() const { return chooser_->name(); }

  // ---- rewards from gRPC Learn
  // Learns `reward` unless its seq was learned already (seq <= external_seq()).
  // Returns whether it was learned now.
  bool learn_external(const ExternalReward& reward);
  int64_t external_seq() const;
  // Whether rewards after external_seq() may be missing from the state (true
  // after construction and after every restore()), and the generation to
  // pass to external_caught_up() once they were fed.
  bool external_catch_up(uint64_t* generation) const;
  void external_caught_up(uint64_t generation);

  // ---- checkpoint
  std::string snapshot() const override;
  [[nodiscard]] Status restore(std::string_view snapshot) override;
  [[nodiscard]] Status persist(pqxx::work& tx) override;
  void discard_pending() override;

  std::vector<DecisionRow> pending_decisions() const;
  std::vector<OutcomeRow> pending_outcomes() const;

 private:
  struct Epoch {
    std::string decision_id;
    int64_t start_t = 0;
    int64_t bars = 0;  // bars of the epoch so far
    trading::v1::ParameterPreset preset;
    trading::v1::BanditContext context;
    double score = 0;
  };
  struct ArmStats {
    uint64_t pulls = 0;
    uint64_t rewards_seen = 0;
    double reward_sum = 0;
  };
  struct DecisionRef {
    std::string strategy, instrument, preset_id;
    trading::v1::BanditContext context;
    int64_t event_time_ns = 0;
  };
  struct QueuedOutcome {
    std::string id;  // message id: the order after closed_time_ns
    std::string decision_id;
    int64_t closed_time_ns = 0;
    double reward = 0;
  };
  // Event-time learning, per book "strategy|venue/symbol".
  struct BookWatermark {
    int64_t position_t = 0;       // bar time of the latest Position received
    uint64_t outcomes_total = 0;  // that Position's outcomes_total
    uint64_t learned = 0;         // outcomes taken out of `queued` so far
    std::vector<QueuedOutcome> queued;
  };
  struct HeldPosterior {
    std::string instrument;  // "venue/symbol"
    trading::v1::RegimePosterior posterior;
    std::string correlation_id;
  };

  std::vector<const trading::v1::ParameterPreset*> enabled_presets(
      std::string_view strategy) const;
  bool trades(const std::string& strategy, const std::string& instrument) const;
  std::vector<const std::string*> strategies_of(const std::string& instrument) const;
  bool epoch_starts(const std::string& strategy, const std::string& instrument) const;
  // Why `instrument`'s next posterior cannot be processed yet ("" = it can).
  std::string blocked(const std::string& instrument) const;
  void release(runtime::Outbox& out);
  void process(const trading::v1::RegimePosterior& posterior, const std::string& instrument,
               const std::string& correlation_id, runtime::Outbox& out);
  void learn_book(const std::string& book, int64_t through_t);
  void learn_one(const std::string& decision_id, int64_t closed_time_ns, double reward);
  void start_new_rows();
  void remember_decision(const std::string& id, DecisionRef ref);

  ParamCoreConfig config_;
  std::unique_ptr<PresetChooser> chooser_;
  mutable std::mutex mu_;
  // Catalogue: not checkpointed (it lives in paramctl_presets).
  std::map<std::string, trading::v1::ParameterPreset> presets_;
  // Checkpointed state.
  std::map<std::string, int64_t> last_t_;        // instrument -> last posterior time received
  std::map<std::string, int64_t> processed_t_;   // instrument -> last posterior time processed
  std::map<std::string, BookWatermark> books_;   // event-time learning
  std::deque<HeldPosterior> held_;               // held back, in arrival order
  std::map<std::string, Epoch> epochs_;          // "strategy|venue/symbol"
  std::map<std::string, ArmStats> arms_;         // "strategy|venue/symbol|preset_id"
  std::map<std::string, DecisionRef> decisions_;  // recent decision ids
  std::deque<std::string> decision_order_;
  std::map<std::string, int> outcome_keys_;       // outcome message ids (value unused)
  std::deque<std::string> outcome_order_;
  int64_t external_seq_ = 0;  // last paramctl_rewards.seq learned
  // Not checkpointed: set by construction and restore().
  bool catch_up_ = true;
  uint64_t generation_ = 0;
  // Rows for the next checkpoint.
  std::vector<DecisionRow> pending_decisions_;
  std::vector<OutcomeRow> pending_outcomes_;
  bool pending_written_ = false;
};

}  // namespace tp::paramctl
