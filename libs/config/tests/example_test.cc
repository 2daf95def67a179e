// The worked example of docs/configuration.md, run for real: the same file
// (tests/data/decision.example.json), the same loader, the same outputs.
#include <gtest/gtest.h>

#include <chrono>
#include <map>

#include "temp_dir.h"
#include "tp/config/reader.h"

namespace tp::config {
namespace {

using std::chrono::milliseconds;

struct DecisionConfig {
  std::string mode;
  std::string nats_url;
  std::vector<std::string> subjects;
  int64_t admin_port = 0;
  std::string db_url;
  Secret db_password;
  Secret hmac_key;
  int64_t max_position = 0;
  double max_leverage = 0;
  milliseconds order_timeout{0};
  bool kill_switch = false;
  std::map<std::string, double> strategy_weights;
};

// What a service's config.cc looks like.
Result<DecisionConfig> read_decision_config(const Document& doc, std::string* described) {
  Reader r(doc);
  DecisionConfig cfg;
  cfg.mode = r.one_of("mode", {"paper", "live"}, "paper");
  cfg.nats_url = r.string("nats.url", {.default_value = "nats://127.0.0.1:4222"});
  cfg.subjects = r.string_list("nats.subjects", {.allow_empty_list = false});
  cfg.admin_port = r.integer("admin.port", {.min = 1, .max = 65535, .default_value = 9100});
  cfg.db_url = r.string("db.url");
  cfg.db_password = r.secret("db.password");
  cfg.hmac_key = r.secret("signing.hmac_key");
  cfg.max_position = r.integer("risk.max_position", {.min = 1});
  cfg.max_leverage = r.number("risk.max_leverage", {.min = 0.0, .max = 10.0});
  cfg.order_timeout = r.duration_ms("risk.order_timeout",
                                    {.min = milliseconds(100), .default_value = milliseconds(5000)});
  cfg.kill_switch = r.boolean("risk.kill_switch", {.default_value = false});
  for (const std::string& name : r.object_keys("strategies")) {
    cfg.strategy_weights[name] =
        r.number("strategies." + name + ".max_weight", {.min = 0.0, .max = 1.0});
  }
  double total = 0;
  for (const auto& [name, weight] : cfg.strategy_weights) total += weight;
  if (total > 1.0) r.add_error("strategies", "max_weight values must add up to at most 1");
  if (auto done = r.finish(); !done) return std::unexpected(done.error());
  *described = r.describe();
  return cfg;
}

std::string example_text() {
  auto doc = load_file(std::string(TP_SOURCE_DIR) + "/libs/config/tests/data/decision.example.json",
                       {});
  EXPECT_TRUE(doc.has_value());
  return doc ? doc->root.dump() : "";
}

TEST(ExampleTest, TheDocumentedExampleLoads) {
  testing::TempDir dir;
  const std::string secret_file = dir.write("db_password", "pg-secret\n");
  std::string text = example_text();
  // The example names /run/secrets/db_password; point it at the temp file.
  const std::string original = "/run/secrets/db_password";
  text.replace(text.find(original), original.size(), secret_file);

  auto doc = parse_document(text, "/etc/tp/decision.json",
                            {{"DECISION_HMAC_KEY", "hmac-secret"},
                             {"TP_ADMIN__PORT", "9200"},
                             {"TP_NATS__SUBJECTS", "sig.>,regime.>,params.>"}});
  ASSERT_TRUE(doc.has_value()) << doc.error().message;
  std::string described;
  auto cfg = read_decision_config(*doc, &described);
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  EXPECT_EQ(cfg->admin_port, 9200);
  EXPECT_EQ(cfg->db_password.reveal(), "pg-secret");
  EXPECT_EQ(cfg->hmac_key.reveal(), "hmac-secret");
  EXPECT_EQ(cfg->order_timeout, milliseconds(5000));
  EXPECT_EQ(cfg->strategy_weights, (std::map<std::string, double>{{"mean_rev", 0.25}, {"momo", 0.5}}));
  EXPECT_EQ(described,
            "admin.port = 9200 (env TP_ADMIN__PORT)\n"
            "db.password = <redacted> (file " + secret_file + ")\n"
            "db.url = \"postgresql://tp@127.0.0.1:5432/tp\" (file)\n"
            "mode = \"paper\" (file)\n"
            "nats.subjects = [\"sig.>\",\"regime.>\",\"params.>\"] (env TP_NATS__SUBJECTS)\n"
            "nats.url = \"nats://127.0.0.1:4222\" (file)\n"
            "risk.kill_switch = false (file)\n"
            "risk.max_leverage = 2.5 (file)\n"
            "risk.max_position = 1000 (file)\n"
            "risk.order_timeout = 5000ms (file)\n"
            "signing.hmac_key = <redacted> (env DECISION_HMAC_KEY)\n"
            "strategies.mean_rev.max_weight = 0.25 (file)\n"
            "strategies.momo.max_weight = 0.5 (file)");
}

TEST(ExampleTest, TheDocumentedBrokenExampleReportsEverything) {
  std::string text = example_text();
  auto doc = parse_document(text, "/etc/tp/decision.json",
                            {{"TP_ADMIN__PORT", "70000"},
                             {"TP_RISK__MAX_POSIITON", "5"},
                             {"TP_STRATEGIES__MOMO__MAX_WEIGHT", "0.9"},
                             {"TP_RISK__KILL_SWITCH", "yes"}});
  ASSERT_TRUE(doc.has_value()) << doc.error().message;
  std::string described;
  auto cfg = read_decision_config(*doc, &described);
  ASSERT_FALSE(cfg.has_value());
  EXPECT_EQ(cfg.error().message,
            "config /etc/tp/decision.json has 6 errors:\n"
            "  admin.port: must be between 1 and 65535, got 70000 (from env TP_ADMIN__PORT)\n"
            "  db.password: cannot read secret file /run/secrets/db_password: No such file or "
            "directory\n"
            "  risk.kill_switch: expected boolean (true or false), got \"yes\" (from env "
            "TP_RISK__KILL_SWITCH)\n"
            "  risk.max_posiiton: unknown key (from env TP_RISK__MAX_POSIITON)\n"
            "  signing.hmac_key: environment variable DECISION_HMAC_KEY is not set\n"
            "  strategies: max_weight values must add up to at most 1");
}

}  // namespace
}  // namespace tp::config
