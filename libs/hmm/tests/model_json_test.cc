#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <nlohmann/json.hpp>

#include "test_support.h"
#include "tp/hmm/model_json.h"

namespace tp::hmm {
namespace {

using testing::sample_hmm;

bool same_model_bits(const GaussianHmm& a, const GaussianHmm& b) {
  if (a.covariance != b.covariance || a.states() != b.states()) return false;
  if (!testing::same_bits(a.start, b.start) || !testing::same_bits(a.transition, b.transition)) return false;
  for (int k = 0; k < a.states(); ++k) {
    const auto ks = static_cast<size_t>(k);
    if (!testing::same_bits(a.means[ks], b.means[ks]) || !testing::same_bits(a.covariances[ks], b.covariances[ks]))
      return false;
  }
  return true;
}

// Doubles that are hard to print: no short decimal form, extremes, subnormals.
GaussianHmm awkward_model() {
  testing::TestRng rng(77);
  GaussianHmm m;
  m.covariance = CovarianceType::kFull;
  m.start = Eigen::Vector3d(1.0 / 3, 1.0 / 7, 0);
  m.start[2] = 1.0 - m.start[0] - m.start[1];
  m.transition.resize(3, 3);
  for (int i = 0; i < 3; ++i) {
    double rest = 1.0;
    for (int j = 0; j < 2; ++j) {
      m.transition(i, j) = rng.uniform() * rest * 0.5;
      rest -= m.transition(i, j);
    }
    m.transition(i, 2) = rest;
  }
  m.means = {Eigen::Vector2d(0.1, -1e-300), Eigen::Vector2d(5e-324, 123456789.123456789),
             Eigen::Vector2d(std::nextafter(1.0, 2.0), -std::numbers::pi)};
  for (int k = 0; k < 3; ++k) {
    Eigen::Matrix2d c;
    const double a = 1e-7 * (1 + rng.uniform()), b = 0.3 * (1 + rng.uniform()), r = 0.9 * rng.uniform();
    c << a, r * std::sqrt(a * b), r * std::sqrt(a * b), b;
    m.covariances.push_back(c);
  }
  return m;
}

TEST(ModelJson, RoundTripsBitForBit) {
  const GaussianHmm m = awkward_model();
  ASSERT_TRUE(m.validate()) << m.validate().error().message;
  const std::string text = model_to_json(m);
  auto back = model_from_json(text);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_TRUE(same_model_bits(m, *back));
  EXPECT_EQ(model_to_json(*back), text);
  EXPECT_EQ(model_to_json(*back, 2), model_to_json(m, 2));

  // Many random doubles through nlohmann's printer and parser.
  testing::TestRng rng(5);
  for (int i = 0; i < 20000; ++i) {
    const double v = std::bit_cast<double>(rng.next());
    if (!std::isfinite(v)) continue;
    const double w = nlohmann::json::parse(nlohmann::json(v).dump()).get<double>();
    ASSERT_EQ(std::bit_cast<uint64_t>(v), std::bit_cast<uint64_t>(w)) << nlohmann::json(v).dump();
  }
}

TEST(ModelJson, RoundTripsAFittedDiagonalModel) {
  const auto s = sample_hmm(testing::three_state_2d(CovarianceType::kDiagonal), 3000, 1);
  FitOptions o;
  o.covariance = CovarianceType::kDiagonal;
  auto r = fit(s.x, o);
  ASSERT_TRUE(r);
  const std::string text = model_to_json(r->model);
  auto back = model_from_json(text);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_TRUE(same_model_bits(r->model, *back));
  EXPECT_EQ(nlohmann::json::parse(text)["covariance_type"], "diagonal");
}

TEST(ModelJson, RejectsMalformedDocuments) {
  const GaussianHmm m = testing::three_state_1d();
  auto j = nlohmann::json::parse(model_to_json(m));
  auto error_of = [](const nlohmann::json& doc) {
    auto r = model_from_json(doc.dump());
    return r ? std::string("<ok>") : r.error().message;
  };
  auto broken = j;
  broken.erase("transition");
  EXPECT_EQ(error_of(broken), "model JSON lacks 'transition'");
  broken = j;
  broken["means"][1] = nlohmann::json::array({1.0, 2.0});
  EXPECT_EQ(error_of(broken), "means[1] must be an array of 1 numbers");
  broken = j;
  broken["covariance_type"] = "spherical";
  EXPECT_EQ(error_of(broken), "model JSON: unknown covariance type 'spherical' (known: full, diagonal)");
  broken = j;
  broken["start"] = nlohmann::json::array({0.5, 0.5, 0.5});
  EXPECT_EQ(error_of(broken), "model JSON: start sums to 1.5, not 1");
  broken = j;
  broken["covariances"][0][0][0] = "x";
  EXPECT_EQ(error_of(broken), "covariances[0][0][0] is not a number");
  EXPECT_EQ(model_from_json("{").error().code, ErrorCode::kInvalidArgument);
}

TEST(FeatureSpecJson, RoundTripsAndValidates) {
  FeatureSpec s = *FeatureSpec::parse("logret,trend,range");
  s.vol_window = 17;
  s.trend_window = 99;
  s.max_zero_volume_run = 12;
  s.min_observations = 5000;
  const std::string text = feature_spec_to_json(s);
  auto back = feature_spec_from_json(text);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, s);
  EXPECT_EQ(feature_spec_to_json(*back), text);

  auto defaults = feature_spec_from_json(R"({"features": ["logret"]})");
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->vol_window, FeatureSpec{}.vol_window);
  EXPECT_EQ(feature_spec_from_json(R"({"vol_window": 3})").error().message,
            "feature spec: 'features' must be an array of names");
  EXPECT_EQ(feature_spec_from_json(R"({"features": ["logret", "vix"]})").error().message,
            "feature spec: unknown feature 'vix' (known: logret, rvol, range, trend)");
  EXPECT_EQ(feature_spec_from_json(R"({"features": ["logret"], "vol_window": 0})").error().message,
            "feature spec: vol_window must be >= 1, got 0");
  EXPECT_EQ(feature_spec_from_json(R"({"features": ["logret"], "vol_window": 2.5})").error().message,
            "feature spec: 'vol_window' must be an integer");
}

TEST(TrainReportJson, HasEveryFieldAndIsAlsoAModelDocument) {
  const auto s = sample_hmm(testing::three_state_1d(), 3000, 2);
  FitOptions o;
  o.seed = 7;
  auto r = fit(s.x, o);
  ASSERT_TRUE(r);
  const FeatureSpec spec = *FeatureSpec::parse("logret");
  auto labels = label_states(r->model, spec);
  ASSERT_TRUE(labels);
  const std::string text = train_report_json(*r, spec, *labels, o);
  const auto j = nlohmann::json::parse(text);
  for (const char* key : {"states", "covariance_type", "features", "feature_spec", "means", "covariances",
                          "transition", "start", "log_likelihood", "observations", "iterations", "converged",
                          "stop_reason", "labels", "bic", "seed", "restarts", "restart_log_likelihoods"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["states"], 3);
  EXPECT_EQ(j["covariance_type"], "full");
  EXPECT_EQ(j["features"], nlohmann::json::array({"logret"}));
  EXPECT_EQ(j["feature_spec"]["vol_window"], 30);
  EXPECT_EQ(j["means"].size(), 3u);
  EXPECT_EQ(j["covariances"][2].size(), 1u);
  EXPECT_EQ(j["transition"][0].size(), 3u);
  EXPECT_EQ(j["log_likelihood"].get<double>(), r->report.log_likelihood);
  EXPECT_EQ(j["observations"], 3000);
  EXPECT_EQ(j["iterations"], r->report.iterations);
  EXPECT_EQ(j["converged"], r->report.stop == StopReason::kConverged);
  EXPECT_EQ(j["stop_reason"], to_string(r->report.stop));
  EXPECT_EQ(j["labels"], nlohmann::json::array({"BEAR", "CHOP", "BULL"}));
  EXPECT_EQ(j["bic"].get<double>(), bic(r->report.log_likelihood, 14, 3000));
  EXPECT_EQ(j["seed"], 7);
  EXPECT_EQ(j["restarts"], 8);
  EXPECT_EQ(j["restart_log_likelihoods"].get<std::vector<double>>(), r->report.restart_log_likelihoods);

  auto model = model_from_json(text);
  ASSERT_TRUE(model) << model.error().message;
  EXPECT_TRUE(same_model_bits(*model, r->model));
  auto back_spec = feature_spec_from_json(j["feature_spec"].dump());
  ASSERT_TRUE(back_spec);
  EXPECT_EQ(*back_spec, spec);
}

}  // namespace
}  // namespace tp::hmm
