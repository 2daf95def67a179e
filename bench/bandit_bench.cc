// LinTS bandit benchmarks (issue #5), single-threaded, one process:
//   select   tp::bandit::LinTs::select for 16 features and 32 arms (one
//            posterior sample per arm: 16 normals + one back substitution,
//            then the argmax), timed per call; median and p99 in us over
//            --calls calls, the median of --repeat rounds reported.
//   chooser  the same through paramctl's LinTsPresetChooser::choose (feature
//            standardisation, preset lookup, per-decision seeding).
//   learn    LinTs::learn (B, f, rank-one Cholesky update, y = L^-1 f).
// Target: select < 50 us. Output: JSON on stdout.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "paramctl/core/lints_chooser.h"
#include "tp/bandit/lin_ts.h"
#include "tp/bandit/random.h"

namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
}

[[noreturn]] void die(const std::string& what, const tp::Error& e) {
  std::cerr << "bandit_bench: " << what << ": " << e.to_string() << "\n";
  std::exit(1);
}

std::vector<double> context(tp::bandit::Rng& rng, int d) {
  std::vector<double> x(static_cast<size_t>(d));
  for (int j = 0; j + 1 < d; ++j) x[static_cast<size_t>(j)] = rng.normal();
  x[static_cast<size_t>(d - 1)] = 1.0;
  return x;
}

struct Timing {
  double median_us = 0, p99_us = 0;
};

}  // namespace

int main(int argc, char** argv) {
  int calls = 20'000, repeat = 5, features = 16, arms = 32;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--calls") calls = std::atoi(argv[i + 1]);
    else if (a == "--repeat") repeat = std::atoi(argv[i + 1]);
    else if (a == "--features") features = std::atoi(argv[i + 1]);
    else if (a == "--arms") arms = std::atoi(argv[i + 1]);
  }
  tp::bandit::LinTsOptions options;
  options.dimension = features;
  options.v = 0.5;
  auto model = tp::bandit::LinTs::create(options);
  if (!model) die("model", model.error());
  for (int k = 0; k < arms; ++k) model->add_arm("arm" + std::to_string(k));
  tp::bandit::Rng data(1);
  // Some history per arm, so the factors are not the prior's.
  for (int k = 0; k < arms; ++k)
    for (int i = 0; i < 50; ++i)
      if (auto s = model->learn(k, context(data, features), data.normal()); !s) die("learn", s.error());

  std::vector<std::vector<double>> xs;
  for (int i = 0; i < 1024; ++i) xs.push_back(context(data, features));
  double sink = 0;

  // select
  std::vector<double> select_medians, select_p99s;
  tp::bandit::Rng rng(2);
  for (int r = 0; r < repeat; ++r) {
    std::vector<double> us;
    us.reserve(static_cast<size_t>(calls));
    for (int i = 0; i < calls; ++i) {
      const auto& x = xs[static_cast<size_t>(i) & 1023];
      const auto t0 = Clock::now();
      const auto pick = model->select(x, rng);
      const auto t1 = Clock::now();
      sink += pick.score;
      us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    select_medians.push_back(median(us));
    select_p99s.push_back(percentile(us, 0.99));
  }

  // The same through paramctl's chooser.
  std::vector<std::string> names;
  for (int j = 0; j + 1 < features; ++j) names.push_back("f" + std::to_string(j));
  names.push_back("bias");
  tp::paramctl::LinTsChooserConfig cc;
  cc.model.v = 0.5;
  cc.standardize_min_observations = 2;
  auto chooser = tp::paramctl::LinTsPresetChooser::create(cc, names);
  if (!chooser) die("chooser", chooser.error());
  std::vector<trading::v1::ParameterPreset> presets(static_cast<size_t>(arms));
  std::vector<const trading::v1::ParameterPreset*> candidates;
  for (int k = 0; k < arms; ++k) {
    char id[32];
    std::snprintf(id, sizeof id, "s/p%02d", k);
    presets[static_cast<size_t>(k)].set_preset_id(id);
    presets[static_cast<size_t>(k)].set_strategy("s");
    presets[static_cast<size_t>(k)].set_enabled(true);
    candidates.push_back(&presets[static_cast<size_t>(k)]);
  }
  auto as_context = [&](const std::vector<double>& x) {
    trading::v1::BanditContext c;
    for (const auto& n : names) c.add_names(n);
    for (double v : x) c.add_raw(v);
    return c;
  };
  for (int i = 0; i < 200; ++i) (*chooser)->observe("s", "v", "x", as_context(xs[static_cast<size_t>(i)]));
  for (int k = 0; k < arms; ++k)
    for (int i = 0; i < 50; ++i) {
      auto c = as_context(context(data, features));
      (*chooser)->learn("s", "v", "x", presets[static_cast<size_t>(k)].preset_id(), c, data.normal());
    }
  std::vector<trading::v1::BanditContext> contexts;
  for (int i = 0; i < 1024; ++i) contexts.push_back(as_context(xs[static_cast<size_t>(i)]));
  std::vector<double> chooser_medians, chooser_p99s;
  for (int r = 0; r < repeat; ++r) {
    std::vector<double> us;
    us.reserve(static_cast<size_t>(calls));
    for (int i = 0; i < calls; ++i) {
      tp::paramctl::ChooserRequest request{.strategy = "s", .venue = "v", .symbol = "x",
                                           .context = contexts[static_cast<size_t>(i) & 1023],
                                           .candidates = candidates, .default_preset = "s/p00",
                                           .seed = static_cast<uint64_t>(i)};
      const auto t0 = Clock::now();
      const auto pick = (*chooser)->choose(request);
      const auto t1 = Clock::now();
      sink += pick.score;
      us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    chooser_medians.push_back(median(us));
    chooser_p99s.push_back(percentile(us, 0.99));
  }

  // learn
  std::vector<double> learn_medians;
  for (int r = 0; r < repeat; ++r) {
    std::vector<double> us;
    us.reserve(static_cast<size_t>(calls));
    for (int i = 0; i < calls; ++i) {
      const auto& x = xs[static_cast<size_t>(i) & 1023];
      const double reward = 0.1 * x[0];
      const int arm = i % arms;
      const auto t0 = Clock::now();
      const auto s = model->learn(arm, x, reward);
      const auto t1 = Clock::now();
      if (!s) die("learn", s.error());
      us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    learn_medians.push_back(median(us));
  }

  const double select_us = median(select_medians);
  nlohmann::json out = {
      {"features", features},
      {"arms", arms},
      {"calls_per_round", calls},
      {"rounds", repeat},
      {"select_us_median", select_us},
      {"select_us_p99", median(select_p99s)},
      {"chooser_select_us_median", median(chooser_medians)},
      {"chooser_select_us_p99", median(chooser_p99s)},
      {"learn_us_median", median(learn_medians)},
      {"select_target_us", 50.0},
      {"select_target_met", select_us < 50.0},
      {"checksum", sink}};
  std::cout << out.dump(2) << "\n";
  return 0;
}
