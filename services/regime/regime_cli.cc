#include "regime_cli.h"

#include <charconv>
#include <fstream>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "model_registry.h"
#include "promotion.h"
#include "tp/bus/jetstream_transport.h"
#include "tp/config/cli_args.h"
#include "tp/hmm/model_json.h"
#include "tp/ingester/timestamp.h"
#include "tp/runtime/topology.h"
#include "tp/signing/key_ring.h"
#include "tp/signing/signer.h"
#include "tp/store/migrations.h"
#include "tp/migrations/regime.h"

namespace tp::regime {

namespace {

constexpr int kExitOk = 0, kExitFailure = 1, kExitUsage = 2;

constexpr std::string_view kUsage =
    "usage:\n"
    "  regime train   --csv FILE | --db CONN --venue V --symbol S [--timeframe TF]\n"
    "                 [--states K] [--features LIST] [--covariance full|diagonal] [--seed S]\n"
    "                 [--restarts N] [--max-iterations N] [--from TIME] [--to TIME]\n"
    "                 [--validation-fraction F] [--json] [--register | --promote --nats URL --keys FILE]\n"
    "  regime select  --csv FILE [--states LIST] [--features LIST] [--seed S] [--validation-fraction F] [--json]\n"
    "  regime promote VERSION --db CONN --nats URL --keys FILE [--operator NAME]\n"
    "  regime models  --db CONN [--json]\n"
    "  regime decode  --csv FILE (--model-json TRAIN_JSON | --version V --db CONN) [--from TIME] [--to TIME]\n"
    "  regime [--config FILE]          run the service\n"
    "features: logret, rvol, range, trend (default logret,rvol); TIME: ISO 8601 or YYYY-MM-DD (UTC)\n";

// The arguments of one subcommand.
struct Args : config::CliArgs {
  std::string command;
};

const std::set<std::string> kFlags = {"--json", "--register", "--promote"};
// `decode` takes the model from a `train --json` file or the registry.
const std::set<std::string> kOptions = {"--csv",      "--db",       "--venue",         "--symbol",
                                        "--timeframe", "--states",  "--features",      "--covariance",
                                        "--seed",     "--restarts", "--max-iterations", "--from",
                                        "--to",       "--validation-fraction", "--nats", "--keys",
                                        "--operator", "--model-json", "--version"};

Result<Args> parse(int argc, char** argv) {
  auto parsed = config::parse_cli_args(argc, argv, 2, kFlags, kOptions);
  if (!parsed) return std::unexpected(parsed.error());
  Args a;
  static_cast<config::CliArgs&>(a) = std::move(*parsed);
  a.command = argv[1];
  return a;
}

using config::parse_integer_option;
using config::parse_number_option;

Result<int64_t> to_time(const std::string& option, std::string text) {
  if (text.size() == 10) text += " 00:00:00+00:00";
  auto t = ingester::parse_iso8601_ns(text);
  if (!t) return make_error(ErrorCode::kInvalidArgument, option + ": " + t.error().message);
  return *t;
}

std::string env_or(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : std::move(fallback);
}

Result<std::unique_ptr<store::Database>> connect(const Args& a, bool migrate) {
  auto it = a.values.find("--db");
  const std::string conn = it != a.values.end() ? it->second : env_or("TP_DB", "");
  if (conn.empty()) return make_error(ErrorCode::kInvalidArgument, "no database: pass --db CONN or set TP_DB");
  store::DatabaseOptions o;
  o.connection_string = conn;
  o.retry.max_attempts = 3;
  auto db = store::Database::connect(o);
  if (!db) return db;
  if (migrate)
    if (auto r = store::apply_migrations(**db, tp::migrations::regime_migrations()); !r)
      return std::unexpected(r.error());
  return db;
}

struct TrainInputs {
  std::vector<hmm::PriceBar> bars;
  std::string source;
};

Result<TrainInputs> load_bars(const Args& a) {
  TrainInputs in;
  int64_t from = INT64_MIN, to = INT64_MAX;
  if (auto it = a.values.find("--from"); it != a.values.end()) {
    auto t = to_time("--from", it->second);
    if (!t) return std::unexpected(t.error());
    from = *t;
  }
  if (auto it = a.values.find("--to"); it != a.values.end()) {
    auto t = to_time("--to", it->second);
    if (!t) return std::unexpected(t.error());
    to = *t;
  }
  if (auto it = a.values.find("--csv"); it != a.values.end()) {
    auto bars = hmm::read_ohlcv_csv(it->second);
    if (!bars) return std::unexpected(bars.error());
    for (auto& b : *bars)
      if (b.open_time_ns >= from && b.open_time_ns < to) in.bars.push_back(b);
    const auto slash = it->second.find_last_of('/');
    in.source = "csv:" + (slash == std::string::npos ? it->second : it->second.substr(slash + 1));
    return in;
  }
  if (!a.values.count("--venue") || !a.values.count("--symbol"))
    return make_error(ErrorCode::kInvalidArgument, "give --csv FILE, or --db CONN with --venue and --symbol");
  auto db = connect(a, true);
  if (!db) return std::unexpected(db.error());
  ModelRegistry registry(**db);
  BarRange range{a.values.at("--venue"), a.values.at("--symbol"),
                 a.values.count("--timeframe") ? a.values.at("--timeframe") : "1m",
                 from == INT64_MIN ? 0 : from, to == INT64_MAX ? INT64_MAX : to - 1};
  auto bars = registry.bars(range);
  if (!bars) return std::unexpected(bars.error());
  in.bars = std::move(*bars);
  in.source = "db:" + range.venue + "/" + range.symbol + "/" + range.timeframe;
  return in;
}

Result<TrainSpec> train_spec(const Args& a, double default_validation) {
  TrainSpec spec;
  spec.validation_fraction = default_validation;
  if (auto it = a.values.find("--features"); it != a.values.end()) {
    auto f = hmm::FeatureSpec::parse(it->second);
    if (!f) return std::unexpected(f.error());
    spec.features = *f;
  }
  if (auto it = a.values.find("--covariance"); it != a.values.end()) {
    auto c = hmm::parse_covariance_type(it->second);
    if (!c) return std::unexpected(c.error());
    spec.fit.covariance = *c;
  }
  struct IntOption {
    const char* name;
    int* target;
  };
  for (auto [name, target] : {IntOption{"--restarts", &spec.fit.restarts},
                              IntOption{"--max-iterations", &spec.fit.max_iterations}}) {
    if (auto it = a.values.find(name); it != a.values.end()) {
      auto v = parse_integer_option(name, it->second);
      if (!v) return std::unexpected(v.error());
      *target = static_cast<int>(*v);
    }
  }
  if (auto it = a.values.find("--states"); it != a.values.end() && a.command == "train") {
    auto v = parse_integer_option("--states", it->second);
    if (!v) return std::unexpected(v.error());
    spec.fit.states = static_cast<int>(*v);
  }
  if (auto it = a.values.find("--seed"); it != a.values.end()) {
    auto v = parse_integer_option("--seed", it->second);
    if (!v || *v < 0) return make_error(ErrorCode::kInvalidArgument, "--seed must be a non-negative integer");
    spec.fit.seed = static_cast<uint64_t>(*v);
  }
  if (auto it = a.values.find("--validation-fraction"); it != a.values.end()) {
    auto v = parse_number_option("--validation-fraction", it->second);
    if (!v) return std::unexpected(v.error());
    spec.validation_fraction = *v;
  }
  if (auto s = spec.fit.validate(); !s) return std::unexpected(s.error());
  return spec;
}

int fail(std::ostream& err, const std::string& command, const Error& e) {
  err << "regime " << command << ": " << e.message << "\n";
  return e.code == ErrorCode::kInvalidArgument ? kExitUsage : kExitFailure;
}

Status promote_version(const Args& a, const std::string& version, std::ostream& out);

int run_train(const Args& a, std::ostream& out, std::ostream& err) {
  auto spec = train_spec(a, 0.0);
  if (!spec) return fail(err, "train", spec.error());
  auto inputs = load_bars(a);
  if (!inputs) return fail(err, "train", inputs.error());
  auto trained = train_model(inputs->bars, *spec);
  if (!trained) {
    err << "regime train: " << trained.error().message << "\n";
    return kExitFailure;
  }
  bool registered = false;
  if (a.flags.count("--register") || a.flags.count("--promote")) {
    auto db = connect(a, true);
    if (!db) return fail(err, "train", db.error());
    ModelRegistry registry(**db);
    auto added = registry.add(make_record(*trained, inputs->source));
    if (!added) return fail(err, "train", added.error());
    registered = true;
  }
  if (a.flags.count("--promote")) {
    // Announce on stderr so --json output stays one document.
    if (auto s = promote_version(a, trained->version, a.flags.count("--json") ? err : out); !s)
      return fail(err, "train", s.error());
  }
  if (a.flags.count("--json")) {
    auto j = nlohmann::json::parse(hmm::train_report_json(trained->fit, trained->features, trained->labels,
                                                          spec->fit));
    j["version"] = trained->version;
    j["source"] = inputs->source;
    j["train_from"] = hmm::format_utc(trained->train_from_ns);
    j["train_to"] = hmm::format_utc(trained->train_to_ns);
    j["validation_fraction"] = spec->validation_fraction;
    j["validation_observations"] = trained->validation_observations;
    j["validation_log_likelihood"] = trained->validation_log_likelihood
                                         ? nlohmann::json(*trained->validation_log_likelihood)
                                         : nlohmann::json();
    j["registered"] = registered;
    out << j.dump(2) << "\n";
    return kExitOk;
  }
  const auto& r = trained->fit.report;
  out << "version        " << trained->version << (registered ? " (registered)" : "") << "\n"
      << "source         " << inputs->source << ", " << hmm::format_utc(trained->train_from_ns) << " .. "
      << hmm::format_utc(trained->train_to_ns) << "\n"
      << "features       " << trained->features.names() << ", " << trained->fit.model.states() << " states, "
      << hmm::to_string(trained->fit.model.covariance) << " covariance\n"
      << "observations   " << trained->train_observations << " train, " << trained->validation_observations
      << " validation\n"
      << std::setprecision(10) << "log-likelihood " << r.log_likelihood << " train";
  if (trained->validation_log_likelihood) out << ", " << *trained->validation_log_likelihood << " validation";
  out << "\nbic            " << trained->bic << "\n"
      << "stopped        " << hmm::to_string(r.stop) << " after " << r.iterations << " iterations\n"
      << "labels        ";
  for (auto l : trained->labels) out << " " << hmm::to_string(l);
  out << "\n";
  return kExitOk;
}

int run_select(const Args& a, std::ostream& out, std::ostream& err) {
  auto spec = train_spec(a, 0.2);
  if (!spec) return fail(err, "select", spec.error());
  if (spec->validation_fraction <= 0)
    return fail(err, "select", Error{ErrorCode::kInvalidArgument, "--validation-fraction must be > 0"});
  std::vector<int> candidates{1, 2, 3, 4, 5};
  if (auto it = a.values.find("--states"); it != a.values.end()) {
    candidates.clear();
    std::stringstream list(it->second);
    std::string item;
    while (std::getline(list, item, ',')) {
      auto v = parse_integer_option("--states", item);
      if (!v) return fail(err, "select", v.error());
      candidates.push_back(static_cast<int>(*v));
    }
  }
  auto inputs = load_bars(a);
  if (!inputs) return fail(err, "select", inputs.error());
  auto features = hmm::compute_features(inputs->bars, spec->features);
  if (!features) return fail(err, "select", features.error());
  auto split = hmm::split_chronological(*features, 1.0 - spec->validation_fraction);
  if (!split) return fail(err, "select", split.error());
  if (int c = spec->features.column(hmm::Feature::kLogReturn); c >= 0) spec->fit.order_column = c;
  auto result = hmm::select_states(split->train.values, split->validation.values, candidates, spec->fit);
  if (!result) {
    err << "regime select: " << result.error().message << "\n";
    return kExitFailure;
  }
  int best_bic = -1, best_validation = -1;
  for (size_t i = 0; i < result->size(); ++i) {
    const auto& c = (*result)[i];
    if (best_bic < 0 || c.bic < (*result)[static_cast<size_t>(best_bic)].bic) best_bic = static_cast<int>(i);
    if (best_validation < 0 ||
        c.validation_log_likelihood > (*result)[static_cast<size_t>(best_validation)].validation_log_likelihood)
      best_validation = static_cast<int>(i);
  }
  if (a.flags.count("--json")) {
    nlohmann::json j;
    j["features"] = spec->features.names();
    j["train_observations"] = split->train.rows();
    j["validation_observations"] = split->validation.rows();
    for (const auto& c : *result)
      j["candidates"].push_back({{"states", c.states},
                                 {"train_log_likelihood", c.train_log_likelihood},
                                 {"validation_log_likelihood", c.validation_log_likelihood},
                                 {"bic", c.bic}});
    j["best_by_bic"] = (*result)[static_cast<size_t>(best_bic)].states;
    j["best_by_validation"] = (*result)[static_cast<size_t>(best_validation)].states;
    out << j.dump(2) << "\n";
    return kExitOk;
  }
  out << "features " << spec->features.names() << "; " << split->train.rows() << " train and "
      << split->validation.rows() << " held-out validation observations\n"
      << "states  train log-lik      validation log-lik  bic\n";
  for (const auto& c : *result)
    out << std::setw(6) << c.states << "  " << std::setw(18) << std::setprecision(10) << c.train_log_likelihood << "  "
        << std::setw(18) << c.validation_log_likelihood << "  " << c.bic << "\n";
  out << "best by BIC: " << (*result)[static_cast<size_t>(best_bic)].states
      << " states; best by validation log-likelihood: " << (*result)[static_cast<size_t>(best_validation)].states
      << " states\n";
  return kExitOk;
}

// Registry row + signed announcement, with the key ring of the "regime" producer.
Status promote_version(const Args& a, const std::string& version, std::ostream& out) {
  const std::string keys = a.values.count("--keys") ? a.values.at("--keys") : env_or("TP_KEYS__FILE", "");
  if (keys.empty()) return make_error(ErrorCode::kInvalidArgument, "no key ring: pass --keys FILE");
  const std::string nats = a.values.count("--nats") ? a.values.at("--nats") : env_or("TP_NATS", "nats://127.0.0.1:4222");
  const std::string who = a.values.count("--operator") ? a.values.at("--operator") : env_or("USER", "operator");
  auto ring = signing::KeyRing::from_file(keys);
  if (!ring) return std::unexpected(ring.error());
  auto shared = std::make_shared<const signing::KeyRing>(std::move(*ring));
  auto signer = signing::Signer::create(shared, "regime", SystemClock::instance());
  if (!signer) return std::unexpected(signer.error());
  auto db = connect(a, true);
  if (!db) return std::unexpected(db.error());
  auto transport = bus::JetStreamTransport::connect(
      {.servers = {nats}, .name = "regime-promote", .initial_connect_deadline_ns = 5 * kNanosPerSecond});
  if (!transport) return std::unexpected(transport.error());
  for (const auto& stream : runtime::topology::streams())
    if (stream.name == runtime::topology::kControl)
      if (auto s = (*transport)->ensure_stream(stream); !s) return s;
  bus::Publisher publisher(**transport, *signer, SystemClock::instance());
  ModelRegistry registry(**db);
  auto event = promote_model(registry, publisher, version, who);
  if (!event) return std::unexpected(event.error());
  out << "promoted " << version << " (operator " << who << "); announced on " << runtime::subjects::kModelPromoted
      << "\n";
  return ok();
}

int run_promote(const Args& a, std::ostream& out, std::ostream& err) {
  if (a.positional.size() != 1)
    return fail(err, "promote", Error{ErrorCode::kInvalidArgument, "give exactly one VERSION"});
  if (auto s = promote_version(a, a.positional.front(), out); !s) return fail(err, "promote", s.error());
  return kExitOk;
}

int run_models(const Args& a, std::ostream& out, std::ostream& err) {
  auto db = connect(a, true);
  if (!db) return fail(err, "models", db.error());
  ModelRegistry registry(**db);
  auto list = registry.list();
  if (!list) return fail(err, "models", list.error());
  if (a.flags.count("--json")) {
    auto j = nlohmann::json::array();
    for (const auto& m : *list)
      j.push_back({{"version", m.version}, {"states", m.states}, {"covariance", m.covariance},
                   {"features", m.features}, {"train_source", m.train_source},
                   {"train_from", hmm::format_utc(m.train_from_ns)}, {"train_to", hmm::format_utc(m.train_to_ns)},
                   {"observations", m.observations}, {"metrics", nlohmann::json::parse(m.metrics)},
                   {"code_version", m.code_version}, {"created_at", m.created_at}, {"promoted", m.promoted}});
    out << j.dump(2) << "\n";
    return kExitOk;
  }
  out << "  version               states  features     covariance  trained on\n";
  for (const auto& m : *list)
    out << (m.promoted ? "* " : "  ") << std::left << std::setw(22) << m.version << std::setw(8) << m.states
        << std::setw(13) << m.features << std::setw(12) << m.covariance << m.train_source << " "
        << hmm::format_utc(m.train_from_ns) << " .. " << hmm::format_utc(m.train_to_ns) << "\n";
  return kExitOk;
}

// Per observation: time, Viterbi state and its label (the most likely
// path, which uses the whole series: analysis only), and the forward-filtered
// regime probabilities the live service would publish (causal).
int run_decode(const Args& a, std::ostream& out, std::ostream& err) {
  std::shared_ptr<const HmmModelVersion> version;
  if (auto it = a.values.find("--model-json"); it != a.values.end()) {
    std::ifstream in(it->second);
    if (!in) return fail(err, "decode", Error{ErrorCode::kInvalidArgument, "cannot read " + it->second});
    std::stringstream text;
    text << in.rdbuf();
    try {
      const auto j = nlohmann::json::parse(text.str());
      nlohmann::json doc = {{"format", 1},
                            {"model", j},
                            {"feature_spec", j.at("feature_spec")},
                            {"labels", j.at("labels")}};
      auto v = version_from_document(j.value("version", std::string("from-json")), doc.dump());
      if (!v) return fail(err, "decode", v.error());
      version = *v;
    } catch (const std::exception& e) {
      return fail(err, "decode", Error{ErrorCode::kInvalidArgument, it->second + ": " + e.what()});
    }
  } else if (auto v = a.values.find("--version"); v != a.values.end()) {
    auto db = connect(a, true);
    if (!db) return fail(err, "decode", db.error());
    ModelRegistry registry(**db);
    auto loaded = registry.load(v->second);
    if (!loaded) return fail(err, "decode", loaded.error());
    version = *loaded;
  } else {
    return fail(err, "decode", Error{ErrorCode::kInvalidArgument, "give --model-json FILE or --version V"});
  }
  auto inputs = load_bars(a);
  if (!inputs) return fail(err, "decode", inputs.error());
  auto features = hmm::compute_features(inputs->bars, version->spec());
  if (!features) return fail(err, "decode", features.error());
  const auto& model = *version->model();
  auto path = hmm::viterbi(model, features->values);
  if (!path) return fail(err, "decode", path.error());
  auto filtered = hmm::filter_posteriors(model, features->values);
  if (!filtered) return fail(err, "decode", filtered.error());
  out << "open_time,viterbi_state,viterbi_label,p_bull,p_bear,p_chop,filtered_label\n" << std::setprecision(6);
  for (Eigen::Index t = 0; t < features->values.rows(); ++t) {
    const RegimeEstimate e = version->estimate(filtered->row(t).transpose());
    const int state = (*path)[static_cast<size_t>(t)];
    out << hmm::format_utc(features->open_time_ns[static_cast<size_t>(t)]) << "," << state << ","
        << hmm::to_string(version->labels()[static_cast<size_t>(state)]) << "," << e.p_bull << "," << e.p_bear
        << "," << e.p_chop << "," << trading::v1::RegimeLabel_Name(e.most_likely).substr(7) << "\n";
  }
  return kExitOk;
}

}  // namespace

bool is_cli_command(std::string_view a) {
  return a == "train" || a == "select" || a == "promote" || a == "models" || a == "decode" || a == "help" ||
         a == "--help";
}

int run_cli(int argc, char** argv, std::ostream& out, std::ostream& err) {
  auto args = parse(argc, argv);
  if (!args) {
    err << "regime: " << args.error().message << "\n" << kUsage;
    return kExitUsage;
  }
  if (args->command == "train") return run_train(*args, out, err);
  if (args->command == "select") return run_select(*args, out, err);
  if (args->command == "promote") return run_promote(*args, out, err);
  if (args->command == "models") return run_models(*args, out, err);
  if (args->command == "decode") return run_decode(*args, out, err);
  out << kUsage;
  return kExitOk;
}

}  // namespace tp::regime
