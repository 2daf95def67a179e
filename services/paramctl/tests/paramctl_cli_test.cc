// `paramctl simulate`.
#include "paramctl/paramctl_cli.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tp::paramctl {
namespace {

int run(std::vector<std::string> args, std::string* out, std::string* err = nullptr) {
  args.insert(args.begin(), "paramctl");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::ostringstream o, e;
  const int code = run_cli(static_cast<int>(argv.size()), argv.data(), o, e);
  *out = o.str();
  if (err) *err = e.str();
  return code;
}

TEST(ParamctlCli, SimulateJson) {
  EXPECT_TRUE(is_cli_command("simulate"));
  EXPECT_FALSE(is_cli_command("--config"));
  std::string out;
  ASSERT_EQ(run({"simulate", "--arms", "4", "--dim", "3", "--rounds", "3000", "--seed", "5",
                 "--v", "0.3", "--json"},
                &out),
            0);
  auto doc = nlohmann::json::parse(out);
  EXPECT_EQ(doc["arms"], 4);
  EXPECT_EQ(doc["dimension"], 3);
  EXPECT_EQ(doc["rounds"], 3000);
  EXPECT_EQ(doc["seed"], 5);
  EXPECT_EQ(doc["v"], 0.3);
  ASSERT_EQ(doc["checkpoints"].size(), 10u);
  EXPECT_EQ(doc["checkpoints"][9]["round"], 3000);
  EXPECT_LT(doc["final"]["ratio"].get<double>(), 1.0 / 3);
  std::string again;
  ASSERT_EQ(run({"simulate", "--arms", "4", "--dim", "3", "--rounds", "3000", "--seed", "5",
                 "--v", "0.3", "--json"},
                &again),
            0);
  EXPECT_EQ(out, again);
}

TEST(ParamctlCli, SimulateTextAndErrors) {
  std::string out, err;
  ASSERT_EQ(run({"simulate", "--rounds", "500", "--checkpoints", "5"}, &out), 0);
  EXPECT_NE(out.find("regret (uniform random)"), std::string::npos) << out;
  EXPECT_NE(out.find("       500 "), std::string::npos) << out;
  EXPECT_EQ(run({"simulate", "--arms", "x"}, &out, &err), 2);
  EXPECT_NE(err.find("--arms must be an integer, got 'x'"), std::string::npos) << err;
  EXPECT_EQ(run({"simulate", "--v", "-1"}, &out, &err), 2);
  EXPECT_NE(err.find("v must be finite and > 0, got -1"), std::string::npos) << err;
  EXPECT_EQ(run({"simulate", "--bogus"}, &out, &err), 2);
  EXPECT_NE(err.find("unknown option --bogus"), std::string::npos);
  EXPECT_EQ(run({"simulate", "--rounds"}, &out, &err), 2);
  EXPECT_EQ(run({"help"}, &out), 0);
  EXPECT_NE(out.find("paramctl simulate"), std::string::npos);
}

}  // namespace
}  // namespace tp::paramctl
