// The offline `regime` commands as a user runs them (no broker, no database).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "regime_cli.h"

namespace tp::regime {
namespace {

struct Run {
  int code;
  std::string out, err;
};

Run run(std::vector<std::string> args) {
  args.insert(args.begin(), "regime");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::ostringstream out, err;
  const int code = run_cli(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

const std::string kCsv = std::string(TP_SOURCE_DIR) + "/data/binance-us/BTCUSDT_1m_20230301_20230321.csv";

TEST(RegimeCli, TrainJsonIsTheFittedModelAndReproducible) {
  auto a = run({"train", "--csv", kCsv, "--states", "3", "--features", "logret", "--seed", "7", "--json"});
  ASSERT_EQ(a.code, 0) << a.err;
  auto j = nlohmann::json::parse(a.out);
  EXPECT_EQ(j["states"], 3);
  EXPECT_EQ(j["observations"], 30239);  // every one-bar log return of the file
  EXPECT_EQ(j["features"], nlohmann::json::array({"logret"}));
  EXPECT_EQ(j["means"].size(), 3u);
  EXPECT_EQ(j["covariances"].size(), 3u);
  EXPECT_EQ(j["transition"].size(), 3u);
  EXPECT_EQ(j["start"].size(), 3u);
  EXPECT_EQ(j["labels"].size(), 3u);
  EXPECT_TRUE(j["converged"].is_boolean());
  EXPECT_TRUE(j["log_likelihood"].is_number());
  EXPECT_TRUE(j["iterations"].is_number_integer());
  EXPECT_EQ(j["source"], "csv:BTCUSDT_1m_20230301_20230321.csv");
  EXPECT_EQ(j["registered"], false);
  EXPECT_EQ(std::string(j["version"]).rfind("hmm-", 0), 0u);
  auto b = run({"train", "--csv", kCsv, "--states", "3", "--features", "logret", "--seed", "7", "--json"});
  EXPECT_EQ(a.out, b.out) << "same data and seed, same model bit for bit";
}

TEST(RegimeCli, DegenerateDataIsAClearErrorNotNaN) {
  const std::string path = ::testing::TempDir() + "/constant.csv";
  {
    std::ofstream f(path);
    f << "open_time,open,high,low,close,volume\n";
    for (int i = 0; i <= 200; ++i) f << 1677628800 + 60 * i << ",100,100,100,100,1\n";
  }
  auto r = run({"train", "--csv", path});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "regime train: constant prices: all 201 usable closes are 100\n");
  EXPECT_EQ(r.out, "");
  std::remove(path.c_str());
}

TEST(RegimeCli, UsageErrorsExitTwo) {
  auto r = run({"train", "--bogus", "1"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.substr(0, r.err.find('\n')), "regime: unknown option --bogus");
  r = run({"train", "--csv", kCsv, "--states", "three"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "regime train: --states must be an integer, got 'three'\n");
  r = run({"promote"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "regime promote: give exactly one VERSION\n");
}

TEST(RegimeCli, SelectComparesStateCountsOnHeldOutData) {
  auto r = run({"select", "--csv", kCsv, "--features", "logret,trend", "--states", "1,3", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["candidates"].size(), 2u);
  EXPECT_EQ(j["train_observations"].get<int>() + j["validation_observations"].get<int>(), 29520);
  EXPECT_EQ(j["best_by_bic"], 3);
  EXPECT_EQ(j["best_by_validation"], 3);
}

TEST(RegimeCli, DecodePrintsViterbiAndFilteredRegimesPerObservation) {
  auto trained = run({"train", "--csv", kCsv, "--features", "logret,rvol", "--to", "2023-03-03", "--json"});
  ASSERT_EQ(trained.code, 0) << trained.err;
  const std::string model = ::testing::TempDir() + "/model.json";
  std::ofstream(model) << trained.out;
  auto r = run({"decode", "--csv", kCsv, "--model-json", model, "--from", "2023-03-03", "--to", "2023-03-04"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, "open_time,viterbi_state,viterbi_label,p_bull,p_bear,p_chop,filtered_label");
  int rows = 0;
  while (std::getline(lines, line)) ++rows;
  EXPECT_EQ(rows, 1440 - 30);  // one day of bars less the rvol warm-up
  std::remove(model.c_str());
}

}  // namespace
}  // namespace tp::regime
