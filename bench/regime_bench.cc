// Regime HMM benchmarks, single-threaded, medians over repeats:
//   training   fit a 3-state full-covariance HMM on the bundled BTCUSDT
//              file (30k one-minute bars) with the default restarts;
//              features "logret,rvol" and "logret,trend"; CPU seconds.
//              Baseline beside it: one EM iteration of the same fit.
//   online     ForwardFilter::update per bar for K = 2..16 states (D = 2),
//              to show the O(K^2) transition step: ns per update and
//              ns / K^2; and the whole per-bar cost in the service
//              (features + filter + labels, HmmRegimeModel::on_bar) for K = 3.
// Output: JSON on stdout.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tp/hmm/features.h"
#include "tp/hmm/gaussian_hmm.h"
#include "tp/regime/hmm_model.h"
#include "tp/regime/training.h"

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

[[noreturn]] void die(const std::string& what, const tp::Error& e) {
  std::cerr << "regime_bench: " << what << ": " << e.to_string() << "\n";
  std::exit(1);
}

// A K-state, 2-D model with well separated states (the cost does not depend on the values).
tp::hmm::GaussianHmm synthetic(int k) {
  tp::hmm::GaussianHmm m;
  m.start = Eigen::VectorXd::Constant(k, 1.0 / k);
  m.transition = Eigen::MatrixXd::Constant(k, k, 0.1 / (k - 1));
  for (int i = 0; i < k; ++i) {
    m.transition(i, i) = 0.9;
    Eigen::VectorXd mean(2);
    mean << 0.001 * (i - k / 2), -7.0 + 0.2 * i;
    m.means.push_back(mean);
    Eigen::MatrixXd cov(2, 2);
    cov << 1e-6, 1e-7, 1e-7, 0.05;
    m.covariances.push_back(cov);
  }
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  std::string csv = "data/binance-us/BTCUSDT_1m_20230301_20230321.csv";
  int repeat = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--csv") csv = argv[i + 1];
    else if (a == "--repeat") repeat = std::atoi(argv[i + 1]);
  }
  auto bars = tp::hmm::read_ohlcv_csv(csv);
  if (!bars) die("csv", bars.error());
  nlohmann::json out;
  out["bars"] = bars->size();
  out["repeat"] = repeat;

  for (const std::string features : {"logret,rvol", "logret,trend"}) {
    auto spec = tp::hmm::FeatureSpec::parse(features);
    if (!spec) die("features", spec.error());
    auto matrix = tp::hmm::compute_features(*bars, *spec);
    if (!matrix) die("features", matrix.error());
    tp::hmm::FitOptions options;
    options.order_column = 0;
    std::vector<double> fit_s, iteration_s;
    tp::hmm::FitReport last;
    for (int r = 0; r < repeat; ++r) {
      const double t0 = cpu_seconds();
      auto fitted = tp::hmm::fit(matrix->values, options);
      const double t1 = cpu_seconds();
      if (!fitted) die("fit", fitted.error());
      fit_s.push_back(t1 - t0);
      last = fitted->report;
      tp::hmm::FitOptions one = options;
      one.restarts = 1;
      one.max_iterations = 1;
      const double u0 = cpu_seconds();
      auto single = tp::hmm::fit(matrix->values, one);
      const double u1 = cpu_seconds();
      if (!single) die("fit", single.error());
      iteration_s.push_back(u1 - u0);
    }
    out["training"].push_back({{"features", features},
                               {"states", options.states},
                               {"covariance", "full"},
                               {"restarts", options.restarts},
                               {"observations", matrix->rows()},
                               {"cpu_seconds_median", median(fit_s)},
                               {"one_iteration_cpu_seconds_median", median(iteration_s)},
                               {"fit_to_one_iteration_ratio", median(fit_s) / median(iteration_s)},
                               {"iterations_of_best_restart", last.iterations},
                               {"stop_reason", std::string(tp::hmm::to_string(last.stop))},
                               {"target_seconds", 1.0},
                               {"target_met", median(fit_s) < 1.0}});
  }

  // Online: the forward filter alone, per K.
  Eigen::MatrixXd observations(4096, 2);
  for (int t = 0; t < observations.rows(); ++t) {
    observations(t, 0) = 0.001 * std::sin(0.37 * t);
    observations(t, 1) = -7.0 + 0.5 * std::cos(0.11 * t);
  }
  for (int k : {2, 3, 4, 8, 16}) {
    auto model = std::make_shared<const tp::hmm::GaussianHmm>(synthetic(k));
    auto filter = tp::hmm::ForwardFilter::make(model);
    if (!filter) die("filter", filter.error());
    std::vector<double> per_update;
    double sink = 0;
    for (int r = 0; r < repeat * 4; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      for (int t = 0; t < observations.rows(); ++t) sink += filter->update(observations.row(t).transpose())[0];
      const auto t1 = std::chrono::steady_clock::now();
      per_update.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / observations.rows());
    }
    const double ns = median(per_update);
    out["online_update"].push_back(
        {{"states", k}, {"dimension", 2}, {"ns_per_update_median", ns}, {"ns_per_k_squared", ns / (k * k)},
         {"checksum", sink}});
  }

  // The whole per-bar cost in the service for the default 3-state model.
  {
    auto spec = tp::hmm::FeatureSpec::parse("logret,trend");
    tp::regime::TrainSpec train;
    train.features = *spec;
    std::vector<tp::hmm::PriceBar> head(bars->begin(), bars->begin() + std::min<size_t>(bars->size(), 10'080));
    auto trained = tp::regime::train_model(head, train);
    if (!trained) die("train", trained.error());
    auto version = tp::regime::version_from_document(trained->version, trained->parameters_document);
    if (!version) die("version", version.error());
    std::vector<trading::v1::Bar> proto;
    for (const auto& b : *bars) {
      trading::v1::Bar p;
      p.set_open_time_ns(b.open_time_ns);
      p.set_open_e8(static_cast<int64_t>(b.open * 1e8));
      p.set_high_e8(static_cast<int64_t>(b.high * 1e8));
      p.set_low_e8(static_cast<int64_t>(b.low * 1e8));
      p.set_close_e8(static_cast<int64_t>(b.close * 1e8));
      p.set_volume_e8(static_cast<int64_t>(b.volume * 1e8));
      proto.push_back(p);
    }
    std::vector<double> per_bar;
    double sink = 0;
    for (int r = 0; r < repeat; ++r) {
      auto model = (*version)->make();
      const auto t0 = std::chrono::steady_clock::now();
      for (const auto& b : proto) sink += model->on_bar(b).p_bull;
      const auto t1 = std::chrono::steady_clock::now();
      per_bar.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / proto.size());
    }
    out["per_bar_in_service"] = {{"features", "logret,trend"},
                                 {"states", 3},
                                 {"ns_per_bar_median", median(per_bar)},
                                 {"checksum", sink}};
  }
  std::cout << out.dump(2) << "\n";
  return 0;
}
