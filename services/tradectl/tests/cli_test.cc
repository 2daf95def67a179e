#include "cli.h"

#include <gtest/gtest.h>

namespace tp::tradectl {
namespace {

Result<Options> parse(std::vector<std::string> args, Environment env = {}) {
  return parse_command_line(args, env);
}

std::string error_of(std::vector<std::string> args, Environment env = {}) {
  auto r = parse(std::move(args), std::move(env));
  return r ? "ok" : r.error().message;
}

TEST(Cli, HelpForms) {
  for (auto args : std::vector<std::vector<std::string>>{{}, {"help"}, {"--help"}, {"-h"}}) {
    auto o = parse(args);
    ASSERT_TRUE(o);
    EXPECT_EQ(o->command, Command::kHelp);
  }
  auto o = parse({"audit", "verify", "--help"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->command, Command::kHelp);
  EXPECT_EQ(o->help_topic, "audit verify");
  EXPECT_NE(usage("audit verify").find("usage: tradectl audit verify [--db CONN]"), std::string::npos);
  EXPECT_NE(usage().find("exit codes: 0 ok, 1 failure, 2 usage error"), std::string::npos);
}

TEST(Cli, StatusTakesAdminUrlsFromFlagsOrEnvironment) {
  auto o = parse({"status", "--admin", "decision=http://127.0.0.1:9104,ledger=http://127.0.0.1:9107",
                  "--admin", "signal=http://h:1"});
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->command, Command::kStatus);
  EXPECT_EQ(o->admins, (std::vector<AdminTarget>{{"decision", "http://127.0.0.1:9104"},
                                                 {"ledger", "http://127.0.0.1:9107"},
                                                 {"signal", "http://h:1"}}));
  auto env = parse({"status"}, {{"TP_ADMIN_URLS", "a=http://x:1, b=http://y:2"}});
  ASSERT_TRUE(env);
  EXPECT_EQ(env->admins, (std::vector<AdminTarget>{{"a", "http://x:1"}, {"b", "http://y:2"}}));
  EXPECT_EQ(error_of({"status"}),
            "status: no admin endpoints: pass --admin NAME=URL or set TP_ADMIN_URLS");
  EXPECT_EQ(error_of({"status", "--admin", "decision"}),
            "status: admin endpoint 'decision' is not NAME=http://HOST:PORT");
  EXPECT_EQ(error_of({"status", "--admin", "d=https://x"}),
            "status: admin endpoint 'd=https://x' must be an http:// URL");
  EXPECT_EQ(error_of({"status", "--admin"}), "status: --admin needs a value");
}

TEST(Cli, DatabaseDefaultsAndOverrides) {
  auto o = parse({"positions"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->db, "host=127.0.0.1 port=55432 user=tp dbname=trading");
  o = parse({"positions"}, {{"TP_DB", "host=db"}});
  EXPECT_EQ(o->db, "host=db");
  o = parse({"summary", "--db", "host=x"}, {{"TP_DB", "host=db"}});
  EXPECT_EQ(o->db, "host=x");
  EXPECT_EQ(error_of({"positions", "--from", "1"}), "positions: unknown option '--from'");
  EXPECT_EQ(error_of({"positions", "extra"}), "positions: unknown argument 'extra'");
}

TEST(Cli, KillSwitch) {
  auto o = parse({"killswitch", "on", "--reason", "drill", "--keys", "/k.json"}, {{"USER", "ann"}});
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->command, Command::kKillSwitch);
  EXPECT_TRUE(o->engage);
  EXPECT_EQ(o->reason, "drill");
  EXPECT_EQ(o->scope, "*");
  EXPECT_EQ(o->operator_name, "ann");
  EXPECT_EQ(o->keys_file, "/k.json");
  EXPECT_EQ(o->nats_urls, std::vector<std::string>{"nats://127.0.0.1:4222"});

  o = parse({"killswitch", "off", "--scope", "ma_trend", "--operator", "bob"},
            {{"TP_KEYS__FILE", "/env.json"}, {"TP_NATS__URLS", "nats://a:1,nats://b:2"}});
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_FALSE(o->engage);
  EXPECT_EQ(o->scope, "ma_trend");
  EXPECT_EQ(o->operator_name, "bob");
  EXPECT_EQ(o->keys_file, "/env.json");
  EXPECT_EQ(o->nats_urls, (std::vector<std::string>{"nats://a:1", "nats://b:2"}));

  EXPECT_EQ(error_of({"killswitch"}), "killswitch: expected 'on' or 'off'");
  EXPECT_EQ(error_of({"killswitch", "maybe"}), "killswitch: expected 'on' or 'off', got 'maybe'");
  EXPECT_EQ(error_of({"killswitch", "on", "--reason", "x"}),
            "killswitch: no key ring: pass --keys FILE or set TP_KEYS__FILE");
  EXPECT_EQ(error_of({"killswitch", "on", "--keys", "k"}), "killswitch: 'on' needs --reason TEXT");
  EXPECT_EQ(error_of({"killswitch", "off", "--keys", "k", "--scope", ""}),
            "killswitch: --scope is empty");
}

TEST(Cli, AuditProveConsistencyAndEntries) {
  const Environment env = {{"TP_LEDGER_PUBLIC_KEY", "/k.pub"}, {"TP_LEDGER_GRPC", "h:1"}};
  auto o = parse({"audit", "prove", "--entry", "42", "--size", "100"}, env);
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->command, Command::kAuditProve);
  EXPECT_EQ(o->entry, 42u);
  EXPECT_EQ(o->size, 100u);
  EXPECT_EQ(o->public_key_file, "/k.pub");
  EXPECT_EQ(o->ledger, "h:1");
  o = parse({"audit", "prove", "--entry", "1", "--public-key", "/p", "--ledger", "x:2"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->public_key_file, "/p");
  EXPECT_EQ(o->ledger, "x:2");
  EXPECT_EQ(parse({"audit", "prove", "--entry", "1", "--public-key", "/p"})->ledger, kDefaultLedger);
  EXPECT_EQ(error_of({"audit", "prove"}, env), "audit prove: --entry N is required");
  EXPECT_EQ(error_of({"audit", "prove", "--entry", "5"}),
            "audit prove: no tree-head public key: pass --public-key FILE or set TP_LEDGER_PUBLIC_KEY");
  EXPECT_EQ(error_of({"audit", "prove", "--entry", "5", "--size", "5"}, env),
            "audit prove: entry 5 is not in a tree of 5 entries");
  EXPECT_EQ(error_of({"audit", "prove", "--entry", "5", "--from", "1"}, env),
            "audit prove: unknown option '--from'");

  o = parse({"audit", "consistency", "--from", "10", "--to", "20"}, env);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->command, Command::kAuditConsistency);
  EXPECT_EQ(o->from, 10u);
  EXPECT_EQ(o->to, 20u);
  EXPECT_EQ(error_of({"audit", "consistency"}, env), "audit consistency: --from SIZE1 is required");
  EXPECT_EQ(error_of({"audit", "consistency", "--from", "9", "--to", "8"}, env),
            "audit consistency: --to 8 is before --from 9");

  o = parse({"audit", "entries", "--correlation", "bar:1", "--subject", "md.", "--type", "T",
             "--since", "2023-03-01T00:00:00Z", "--until", "1677628860000000000", "--limit", "5",
             "--from-index", "3"});
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->command, Command::kAuditEntries);
  EXPECT_EQ(o->correlation_id, "bar:1");
  EXPECT_EQ(o->subject_prefix, "md.");
  EXPECT_EQ(o->message_type, "T");
  EXPECT_EQ(o->since_ns, 1677628800'000'000'000);
  EXPECT_EQ(o->until_ns, 1677628860'000'000'000);
  EXPECT_EQ(o->limit, 5u);
  EXPECT_EQ(o->from_index, 3u);
  EXPECT_EQ(error_of({"audit", "entries", "--since", "yesterday"}),
            "audit entries: --since: 'yesterday' is not a time (ns since the epoch or "
            "2023-03-01T00:00:00Z)");
  EXPECT_EQ(error_of({"audit", "entries", "--limit", "0"}), "audit entries: --limit must be 1..10000");
  EXPECT_EQ(error_of({"audit", "entries", "--since", "10", "--until", "10"}),
            "audit entries: --until must be after --since");
  EXPECT_NE(usage("audit").find("usage: tradectl audit prove --entry N"), std::string::npos);
  EXPECT_NE(usage("audit consistency").find("--from SIZE1"), std::string::npos);
}

TEST(Cli, AuditVerify) {
  auto o = parse({"audit", "verify", "--from", "10", "--to", "20", "--db", "host=x"});
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->command, Command::kAuditVerify);
  EXPECT_EQ(o->from, 10u);
  EXPECT_EQ(o->to, 20u);
  EXPECT_EQ(o->db, "host=x");
  EXPECT_EQ(error_of({"audit"}), "audit: expected 'verify', 'prove', 'consistency' or 'entries'");
  EXPECT_EQ(error_of({"audit", "check"}),
            "audit: expected 'verify', 'prove', 'consistency' or 'entries', got 'check'");
  EXPECT_EQ(error_of({"audit", "verify", "--from", "x"}),
            "audit verify: --from needs a non-negative integer, got 'x'");
  EXPECT_EQ(error_of({"audit", "verify", "--to", "-1"}),
            "audit verify: --to needs a non-negative integer, got '-1'");
  EXPECT_EQ(error_of({"audit", "verify", "--to"}), "audit verify: --to needs a value");
  EXPECT_EQ(error_of({"audit", "verify", "--from", "5", "--to", "4"}),
            "audit verify: --to 4 is before --from 5");
}

TEST(Cli, SummaryAndUnknownCommand) {
  auto o = parse({"summary"}, {{"TP_NATS_MONITOR", "http://127.0.0.1:8222"}});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->command, Command::kSummary);
  EXPECT_EQ(o->nats_monitor, "http://127.0.0.1:8222");
  o = parse({"summary", "--nats-monitor", "http://m:1"});
  EXPECT_EQ(o->nats_monitor, "http://m:1");
  EXPECT_EQ(error_of({"frobnicate"}), "unknown command 'frobnicate'");
}

}  // namespace
}  // namespace tp::tradectl
