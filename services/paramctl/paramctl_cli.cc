#include "paramctl/paramctl_cli.h"

#include <cmath>
#include <cstdio>
#include <ostream>
#include <set>
#include <string>

#include "tp/bandit/simulate.h"
#include "tp/config/cli_args.h"
#include "tp/core/error.h"

namespace tp::paramctl {
namespace {

constexpr int kExitOk = 0, kExitFailure = 1, kExitUsage = 2;

constexpr std::string_view kUsage =
    "usage:\n"
    "  paramctl simulate [--arms N] [--dim D] [--rounds T] [--seed S] [--v V] [--lambda L]\n"
    "                    [--noise SIGMA] [--decay N] [--checkpoints C] [--json]\n"
    "  paramctl [--config FILE]          run the service\n"
    "simulate: LinTS on a synthetic linear bandit (defaults: 8 arms, d = 6 with a bias,\n"
    "  10000 rounds, seed 1, v 0.5, lambda 1, noise 0.5, no decay, 10 checkpoints);\n"
    "  prints cumulative regret vs the oracle and vs uniform random play.\n";

const std::set<std::string> kOptions = {"--arms",  "--dim",   "--rounds", "--seed",       "--v",
                                        "--lambda", "--noise", "--decay",  "--checkpoints"};

int usage_error(std::ostream& err, const std::string& message) {
  err << "paramctl: " << message << "\n" << kUsage;
  return kExitUsage;
}

int run_simulate(int argc, char** argv, std::ostream& out, std::ostream& err) {
  auto args = config::parse_cli_args(argc, argv, 2, {"--json"}, kOptions);
  if (!args) return usage_error(err, args.error().message);
  const bool json = args->flag("--json");
  bandit::SimulationOptions o;
  o.model.v = 0.5;
  auto integer = [&](const char* key, auto& target, int64_t lo, int64_t hi) -> Status {
    auto v = args->integer(key);
    if (!v) return std::unexpected(v.error());
    if (!*v) return ok();
    if (**v < lo || **v > hi)
      return make_error(ErrorCode::kInvalidArgument, std::string(key) + " must be in [" +
                                                         std::to_string(lo) + ", " +
                                                         std::to_string(hi) + "]");
    target = static_cast<std::remove_reference_t<decltype(target)>>(**v);
    return ok();
  };
  auto number = [&](const char* key, double& target) -> Status {
    auto v = args->number(key);
    if (!v) return std::unexpected(v.error());
    if (*v) target = **v;
    return ok();
  };
  int64_t seed = static_cast<int64_t>(o.environment.seed);
  for (auto s : {integer("--arms", o.environment.arms, 2, 4096),
                 integer("--dim", o.environment.dimension, 1, bandit::kMaxDimension),
                 integer("--rounds", o.rounds, 2, 100'000'000),
                 integer("--seed", seed, 0, INT64_MAX),
                 integer("--checkpoints", o.checkpoints, 1, 10'000), number("--v", o.model.v),
                 number("--lambda", o.model.lambda), number("--noise", o.environment.noise),
                 number("--decay", o.model.decay)})
    if (!s) return usage_error(err, s.error().message);
  o.environment.seed = static_cast<uint64_t>(seed);
  if (o.checkpoints > o.rounds) o.checkpoints = static_cast<int>(o.rounds);
  if (auto s = o.validate(); !s) return usage_error(err, s.error().message);
  auto report = bandit::simulate(o);
  if (!report) {
    err << "paramctl simulate: " << report.error().to_string() << "\n";
    return kExitFailure;
  }
  if (json) {
    out << bandit::simulation_to_json(*report, 2) << "\n";
    return kExitOk;
  }
  char line[160];
  std::snprintf(line, sizeof line,
                "LinTS on a synthetic linear bandit: %d arms, d = %d, noise %g, v %g, lambda %g, "
                "decay %g, seed %llu\n",
                o.environment.arms, o.environment.dimension, o.environment.noise, o.model.v,
                o.model.lambda, o.model.decay, static_cast<unsigned long long>(o.environment.seed));
  out << line;
  out << "     round   regret (LinTS)   regret (uniform random)   LinTS / random\n";
  for (const auto& p : report->points) {
    std::snprintf(line, sizeof line, "%10lld %16.3f %25.3f %16.4f\n",
                  static_cast<long long>(p.round), p.regret, p.random_regret, p.ratio);
    out << line;
  }
  std::snprintf(line, sizeof line,
                "regret added: first half %.3f, second half %.3f (ratio %.3f); oracle regret is 0\n",
                report->first_half_regret, report->second_half_regret,
                report->first_half_regret > 0 ? report->second_half_regret / report->first_half_regret
                                              : 0.0);
  out << line;
  return kExitOk;
}

}  // namespace

bool is_cli_command(std::string_view a) { return a == "simulate" || a == "help" || a == "--help"; }

int run_cli(int argc, char** argv, std::ostream& out, std::ostream& err) {
  const std::string command = argc > 1 ? argv[1] : "help";
  if (command == "simulate") return run_simulate(argc, argv, out, err);
  out << kUsage;
  return kExitOk;
}

}  // namespace tp::paramctl
