#include "tp/config/reader.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace tp::config {
namespace {

using std::chrono::milliseconds;

Document parse(std::string_view text, Environment env = {}) {
  auto doc = parse_document(text, "/etc/tp/test.json", std::move(env));
  if (!doc) ADD_FAILURE() << doc.error().message;
  return doc.value_or(Document{});
}

// The whole report a service would print, or "ok".
std::string finish_text(Reader& r) {
  auto status = r.finish();
  return status ? std::string("ok") : status.error().message;
}

TEST(ReaderTest, DefaultsApplyWhenTheFileAndEnvironmentSayNothing) {
  Document doc = parse("{}");
  Reader r(doc);
  EXPECT_EQ(r.string("nats.url", {.default_value = "nats://127.0.0.1:4222"}),
            "nats://127.0.0.1:4222");
  EXPECT_EQ(r.integer("admin.port", {.min = 1, .max = 65535, .default_value = 9100}), 9100);
  EXPECT_EQ(r.number("risk.max_leverage", {.default_value = 2.5}), 2.5);
  EXPECT_EQ(r.boolean("risk.kill_switch", {.default_value = false}), false);
  EXPECT_EQ(r.duration_ms("bus.ack_wait", {.default_value = milliseconds(30000)}),
            milliseconds(30000));
  EXPECT_EQ(r.one_of("mode", {"paper", "live"}, "paper"), "paper");
  EXPECT_EQ(r.string_list("bus.subjects", {.default_value = std::vector<std::string>{"md.>"}}),
            std::vector<std::string>{"md.>"});
  EXPECT_EQ(finish_text(r), "ok");
  EXPECT_EQ(r.describe(),
            "admin.port = 9100 (default)\n"
            "bus.ack_wait = 30000ms (default)\n"
            "bus.subjects = [\"md.>\"] (default)\n"
            "mode = \"paper\" (default)\n"
            "nats.url = \"nats://127.0.0.1:4222\" (default)\n"
            "risk.kill_switch = false (default)\n"
            "risk.max_leverage = 2.5 (default)");
}

TEST(ReaderTest, ReadsEveryTypeFromTheFile) {
  Document doc = parse(R"({
    "nats": {"url": "nats://x:4222"},
    "admin": {"port": 9200},
    "risk": {"max_leverage": 3.25, "kill_switch": true, "max_position": 10},
    "bus": {"ack_wait": "5s", "fetch_wait": 250, "subjects": ["md.bar.>", "sig.>"]},
    "mode": "live"
  })");
  Reader r(doc);
  EXPECT_EQ(r.string("nats.url"), "nats://x:4222");
  EXPECT_EQ(r.integer("admin.port", {.min = 1, .max = 65535}), 9200);
  EXPECT_EQ(r.number("risk.max_leverage"), 3.25);
  EXPECT_EQ(r.number("risk.max_position"), 10.0);  // an integer is a valid number
  EXPECT_EQ(r.boolean("risk.kill_switch"), true);
  EXPECT_EQ(r.duration_ms("bus.ack_wait"), milliseconds(5000));
  EXPECT_EQ(r.duration_ms("bus.fetch_wait"), milliseconds(250));
  EXPECT_EQ(r.string_list("bus.subjects"), (std::vector<std::string>{"md.bar.>", "sig.>"}));
  EXPECT_EQ(r.one_of("mode", {"paper", "live"}, "paper"), "live");
  EXPECT_EQ(finish_text(r), "ok");
  EXPECT_EQ(r.describe(),
            "admin.port = 9200 (file)\n"
            "bus.ack_wait = 5000ms (file)\n"
            "bus.fetch_wait = 250ms (file)\n"
            "bus.subjects = [\"md.bar.>\",\"sig.>\"] (file)\n"
            "mode = \"live\" (file)\n"
            "nats.url = \"nats://x:4222\" (file)\n"
            "risk.kill_switch = true (file)\n"
            "risk.max_leverage = 3.25 (file)\n"
            "risk.max_position = 10 (file)");
}

TEST(ReaderTest, DurationUnits) {
  Document doc = parse(R"({"a": "250ms", "b": "2m", "c": "1h", "d": "0", "e": 0})");
  Reader r(doc);
  EXPECT_EQ(r.duration_ms("a"), milliseconds(250));
  EXPECT_EQ(r.duration_ms("b"), milliseconds(120'000));
  EXPECT_EQ(r.duration_ms("c"), milliseconds(3'600'000));
  EXPECT_EQ(r.duration_ms("d"), milliseconds(0));
  EXPECT_EQ(r.duration_ms("e"), milliseconds(0));
  EXPECT_EQ(finish_text(r), "ok");
}

TEST(ReaderTest, RequiredFieldsWithoutDefaultAreReported) {
  Document doc = parse("{}");
  Reader r(doc);
  EXPECT_EQ(r.string("nats.url"), "");
  EXPECT_EQ(r.integer("admin.port"), 0);
  EXPECT_EQ(finish_text(r),
            "config /etc/tp/test.json has 2 errors:\n"
            "  admin.port: required\n"
            "  nats.url: required");
}

TEST(ReaderTest, TypeErrorsNameTheTypeAndValue) {
  Document doc = parse(R"({
    "admin": {"port": "abc"},
    "a": 1.5, "b": "x", "c": 7, "d": null, "e": {"x": 1}, "f": [1], "g": "1.5s", "h": true
  })");
  Reader r(doc);
  EXPECT_EQ(r.integer("admin.port", {.default_value = 9100}), 9100);  // default on error
  r.integer("a");
  r.number("b");
  r.string("c");
  r.boolean("d");
  r.string_list("e");
  r.string("f");
  r.duration_ms("g");
  r.integer("h");
  EXPECT_EQ(finish_text(r),
            "config /etc/tp/test.json has 9 errors:\n"
            "  a: expected integer, got number 1.5\n"
            "  admin.port: expected integer, got string \"abc\"\n"
            "  b: expected number, got string \"x\"\n"
            "  c: expected string, got integer 7\n"
            "  d: expected boolean, got null\n"
            "  e: expected list of strings, got object\n"
            "  f: expected string, got array\n"
            "  g: expected a duration (integer milliseconds, or a whole number with unit ms, s, m "
            "or h such as \"5s\"), got string \"1.5s\"\n"
            "  h: expected integer, got boolean true");
}

TEST(ReaderTest, LongStringValuesAreCutShortInErrors) {
  Document doc = parse(R"({"a": ")" + std::string(100, 'x') + R"("})");
  Reader r(doc);
  r.integer("a");
  EXPECT_EQ(r.errors().at(0).message,
            "expected integer, got string \"" + std::string(64, 'x') + "...\"");
}

TEST(ReaderTest, RangeMessages) {
  Document doc = parse(R"({
    "admin": {"port": 70000}, "lo": -1, "hi": 11,
    "lev": 0.5, "wait": "2m", "neg": -5, "ok": 10
  })");
  Reader r(doc);
  EXPECT_EQ(r.integer("admin.port", {.min = 1, .max = 65535, .default_value = 9100}), 9100);
  r.integer("lo", {.min = 0});
  r.integer("hi", {.max = 10});
  r.number("lev", {.min = 1.0, .max = 10.0});
  r.duration_ms("wait", {.min = milliseconds(1), .max = milliseconds(60000)});
  r.duration_ms("neg");
  EXPECT_EQ(r.integer("ok", {.min = 10, .max = 10}), 10);  // bounds are inclusive
  EXPECT_EQ(finish_text(r),
            "config /etc/tp/test.json has 6 errors:\n"
            "  admin.port: must be between 1 and 65535, got 70000\n"
            "  hi: must be at most 10, got 11\n"
            "  lev: must be between 1 and 10, got 0.5\n"
            "  lo: must be at least 0, got -1\n"
            "  neg: must not be negative, got -5ms\n"
            "  wait: must be between 1ms and 60000ms, got 120000ms");
}

TEST(ReaderTest, IntegerBeyondSixtyFourBitsIsRejected) {
  Document doc = parse(R"({"a": 18446744073709551615})");
  Reader r(doc);
  r.integer("a");
  EXPECT_EQ(r.errors().at(0),
            (FieldError{"a", "must be at most 9223372036854775807, got 18446744073709551615"}));
}

TEST(ReaderTest, OneOf) {
  Document doc = parse(R"({"mode": "lve", "side": 3})");
  Reader r(doc);
  EXPECT_EQ(r.one_of("mode", {"paper", "live"}, "paper"), "paper");
  r.one_of("side", {"buy", "sell"});
  r.one_of("venue", {"sim", "ib"});
  EXPECT_EQ(finish_text(r),
            "config /etc/tp/test.json has 3 errors:\n"
            "  mode: must be one of \"paper\", \"live\", got \"lve\"\n"
            "  side: expected string, got integer 3\n"
            "  venue: required");
}

TEST(ReaderTest, EmptyStringsNeedExplicitPermission) {
  Document doc = parse(R"({"a": "", "b": ""})");
  Reader r(doc);
  r.string("a");
  EXPECT_EQ(r.string("b", {.allow_empty = true}), "");
  EXPECT_EQ(finish_text(r), "config /etc/tp/test.json has 1 error:\n  a: must not be empty");
}

TEST(ReaderTest, Lists) {
  Document doc = parse(R"({
    "ok": [], "mixed": ["a", 5], "blank": ["a", ""], "scalar": "a,b", "need": []
  })");
  Reader r(doc);
  EXPECT_EQ(r.string_list("ok"), std::vector<std::string>{});
  EXPECT_EQ(r.string_list("mixed"), std::vector<std::string>{});
  r.string_list("blank");
  r.string_list("scalar");
  r.string_list("need", {.allow_empty_list = false});
  EXPECT_EQ(finish_text(r),
            "config /etc/tp/test.json has 4 errors:\n"
            "  blank[1]: must not be empty\n"
            "  mixed[1]: expected string, got integer 5\n"
            "  need: must not be empty\n"
            "  scalar: expected list of strings, got string \"a,b\"");
}

TEST(ReaderTest, NestedObjects) {
  Document doc = parse(R"({"a": {"b": {"c": {"d": 42}}}, "x": {"y": 5}})");
  Reader r(doc);
  EXPECT_EQ(r.integer("a.b.c.d"), 42);
  // "x.y" is an integer, so "x.y.z" cannot exist: say so once, at x.y.
  EXPECT_EQ(r.integer("x.y.z", {.default_value = 1}), 1);
  r.integer("x.y.w");
  EXPECT_EQ(finish_text(r),
            "config /etc/tp/test.json has 1 error:\n  x.y: expected object, got integer 5");
}

TEST(ReaderTest, MapIterationVisitsEveryEntry) {
  Document doc = parse(R"({
    "strategies": {
      "momo": {"window": 20, "symbols": ["AAPL"]},
      "mean_rev": {"window": 50, "symbols": ["MSFT", "IBM"], "windw": 3}
    }
  })");
  Reader r(doc);
  const auto names = r.object_keys("strategies");
  ASSERT_EQ(names, (std::vector<std::string>{"mean_rev", "momo"}));
  std::vector<int64_t> windows;
  for (const auto& name : names) {
    windows.push_back(r.integer("strategies." + name + ".window", {.min = 1}));
    r.string_list("strategies." + name + ".symbols");
  }
  EXPECT_EQ(windows, (std::vector<int64_t>{50, 20}));
  EXPECT_EQ(finish_text(r),
            "config /etc/tp/test.json has 1 error:\n"
            "  strategies.mean_rev.windw: unknown key");
}

TEST(ReaderTest, MapIterationOfAbsentOrWrongTypedSection) {
  Document doc = parse(R"({"limits": [1, 2]})");
  Reader r(doc);
  EXPECT_TRUE(r.object_keys("strategies").empty());
  EXPECT_TRUE(r.object_keys("limits").empty());
  EXPECT_EQ(finish_text(r),
            "config /etc/tp/test.json has 1 error:\n  limits: expected object, got array");
}

TEST(ReaderTest, MapEntryNobodyReadsIsUnknown) {
  Document doc = parse(R"({"strategies": {"momo": {"window": 1}}})");
  Reader r(doc);
  EXPECT_EQ(r.object_keys("strategies"), std::vector<std::string>{"momo"});
  EXPECT_EQ(finish_text(r),
            "config /etc/tp/test.json has 1 error:\n  strategies.momo: unknown key");
}

TEST(ReaderTest, EnvironmentCanAddMapEntries) {
  Document doc = parse(R"({"strategies": {"momo": {"window": 20}}})",
                       {{"TP_STRATEGIES__BREAKOUT__WINDOW", "10"}});
  Reader r(doc);
  const auto names = r.object_keys("strategies");
  ASSERT_EQ(names, (std::vector<std::string>{"breakout", "momo"}));
  EXPECT_EQ(r.integer("strategies.breakout.window"), 10);
  EXPECT_EQ(r.integer("strategies.momo.window"), 20);
  EXPECT_EQ(finish_text(r), "ok");
}

TEST(ReaderTest, UnknownKeysInTheFile) {
  Document doc = parse(R"({
    "admin": {"port": 9100, "prot": 1},
    "risk": {"max_posiiton": 5},
    "logging": {"level": "info"},
    "a.b": 1
  })");
  Reader r(doc);
  r.integer("admin.port");
  r.integer("risk.max_position", {.default_value = 100});
  r.integer("a.b", {.default_value = 1});
  EXPECT_EQ(finish_text(r),
            "config /etc/tp/test.json has 4 errors:\n"
            "  a.b: unknown key (keys cannot contain '.'; nest objects instead)\n"
            "  admin.prot: unknown key\n"
            "  logging: unknown key\n"
            "  risk.max_posiiton: unknown key");
}

TEST(ReaderTest, EnvironmentOverridesEveryType) {
  Document doc = parse(R"({
    "nats": {"url": "nats://file:4222"}, "admin": {"port": 9100}, "mode": "paper",
    "risk": {"kill_switch": false, "max_leverage": 1}
  })",
                       {{"TP_NATS__URL", "nats://x:4222"},
                        {"TP_ADMIN__PORT", "9200"},
                        {"TP_RISK__KILL_SWITCH", "true"},
                        {"TP_RISK__MAX_LEVERAGE", "2.5e0"},
                        {"TP_BUS__ACK_WAIT", "5s"},
                        {"TP_BUS__FETCH_WAIT", "250"},
                        {"TP_BUS__SUBJECTS", " md.bar.> , sig.>"},
                        {"TP_BUS__NONE", ""},
                        {"TP_MODE", "live"},
                        {"HOME", "/root"}});  // no prefix: not an override
  Reader r(doc);
  EXPECT_EQ(r.string("nats.url"), "nats://x:4222");
  EXPECT_EQ(r.integer("admin.port", {.min = 1, .max = 65535}), 9200);
  EXPECT_EQ(r.boolean("risk.kill_switch"), true);
  EXPECT_EQ(r.number("risk.max_leverage"), 2.5);
  EXPECT_EQ(r.duration_ms("bus.ack_wait"), milliseconds(5000));
  EXPECT_EQ(r.duration_ms("bus.fetch_wait"), milliseconds(250));
  EXPECT_EQ(r.string_list("bus.subjects"), (std::vector<std::string>{"md.bar.>", "sig.>"}));
  EXPECT_EQ(r.string_list("bus.none"), std::vector<std::string>{});
  EXPECT_EQ(r.one_of("mode", {"paper", "live"}), "live");
  EXPECT_EQ(finish_text(r), "ok");
  EXPECT_EQ(r.describe(),
            "admin.port = 9200 (env TP_ADMIN__PORT)\n"
            "bus.ack_wait = 5000ms (env TP_BUS__ACK_WAIT)\n"
            "bus.fetch_wait = 250ms (env TP_BUS__FETCH_WAIT)\n"
            "bus.none = [] (env TP_BUS__NONE)\n"
            "bus.subjects = [\"md.bar.>\",\"sig.>\"] (env TP_BUS__SUBJECTS)\n"
            "mode = \"live\" (env TP_MODE)\n"
            "nats.url = \"nats://x:4222\" (env TP_NATS__URL)\n"
            "risk.kill_switch = true (env TP_RISK__KILL_SWITCH)\n"
            "risk.max_leverage = 2.5 (env TP_RISK__MAX_LEVERAGE)");
}

TEST(ReaderTest, EnvironmentConversionErrorsNameThePathAndTheVariable) {
  Document doc = parse("{}", {{"TP_ADMIN__PORT", "abc"},
                              {"TP_RISK__KILL_SWITCH", "yes"},
                              {"TP_RISK__MAX_LEVERAGE", "nan"},
                              {"TP_BUS__ACK_WAIT", "5 sec"},
                              {"TP_BUS__SUBJECTS", "a,,b"},
                              {"TP_BUS__BATCH", "99999999999999999999"},
                              {"TP_ADMIN__THREADS", "0"},
                              {"TP_MODE", "LIVE"}});
  Reader r(doc);
  EXPECT_EQ(r.integer("admin.port", {.default_value = 9100}), 9100);
  r.boolean("risk.kill_switch");
  r.number("risk.max_leverage");
  r.duration_ms("bus.ack_wait");
  r.string_list("bus.subjects");
  r.integer("bus.batch");
  r.integer("admin.threads", {.min = 1, .max = 64});
  r.one_of("mode", {"paper", "live"});
  EXPECT_EQ(
      finish_text(r),
      "config /etc/tp/test.json has 8 errors:\n"
      "  admin.port: expected integer, got \"abc\" (from env TP_ADMIN__PORT)\n"
      "  admin.threads: must be between 1 and 64, got 0 (from env TP_ADMIN__THREADS)\n"
      "  bus.ack_wait: expected a duration (integer milliseconds, or a whole number with unit ms, "
      "s, m or h such as \"5s\"), got \"5 sec\" (from env TP_BUS__ACK_WAIT)\n"
      "  bus.batch: must be between -9223372036854775808 and 9223372036854775807, got "
      "99999999999999999999 (from env TP_BUS__BATCH)\n"
      "  bus.subjects: expected comma-separated non-empty strings, got \"a,,b\" (from env "
      "TP_BUS__SUBJECTS)\n"
      "  mode: must be one of \"paper\", \"live\", got \"LIVE\" (from env TP_MODE)\n"
      "  risk.kill_switch: expected boolean (true or false), got \"yes\" (from env "
      "TP_RISK__KILL_SWITCH)\n"
      "  risk.max_leverage: expected number, got \"nan\" (from env TP_RISK__MAX_LEVERAGE)");
}

TEST(ReaderTest, UnknownEnvironmentOverrideIsAnError) {
  Document doc = parse(R"({"admin": {"port": 9100}})", {{"TP_ADMIN__PORT", "9200"},
                                                        {"TP_RISK__MAX_POSIITON", "5"},
                                                        {"TPX_OTHER", "1"},
                                                        {"PATH", "/usr/bin"}});
  Reader r(doc);
  r.integer("admin.port");
  r.integer("risk.max_position", {.default_value = 1});
  EXPECT_EQ(finish_text(r),
            "config /etc/tp/test.json has 1 error:\n"
            "  risk.max_posiiton: unknown key (from env TP_RISK__MAX_POSIITON)");
}

TEST(ReaderTest, PrefixIsConfigurable) {
  auto doc = parse_document(R"({"admin": {"port": 1}})", "/etc/tp/x.json",
                            {{"TP_ADMIN__PORT", "2"}, {"DECISION_ADMIN__PORT", "3"}}, "DECISION_");
  ASSERT_TRUE(doc.has_value());
  Reader r(*doc);
  EXPECT_EQ(r.integer("admin.port"), 3);
  EXPECT_EQ(finish_text(r), "ok");  // TP_ADMIN__PORT is not ours to judge
  EXPECT_EQ(env_var_for("risk.max_position", "DECISION_"), "DECISION_RISK__MAX_POSITION");
}

TEST(ReaderTest, MultipleErrorsAreReportedTogetherSortedByPath) {
  Document doc = parse(R"({"admin": {"port": 70000}, "risk": {"max_posiiton": 5}})");
  Reader r(doc);
  r.string("nats.url");
  r.integer("admin.port", {.min = 1, .max = 65535, .default_value = 9100});
  r.integer("risk.max_position", {.default_value = 100});
  auto status = r.finish();
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(status.error().message,
            "config /etc/tp/test.json has 3 errors:\n"
            "  admin.port: must be between 1 and 65535, got 70000\n"
            "  nats.url: required\n"
            "  risk.max_posiiton: unknown key");
  EXPECT_EQ(r.errors(), (std::vector<FieldError>{
                            {"admin.port", "must be between 1 and 65535, got 70000"},
                            {"nats.url", "required"},
                            {"risk.max_posiiton", "unknown key"}}));
}

TEST(ReaderTest, LoaderCanAddCrossFieldErrors) {
  Document doc = parse(R"({"risk": {"max_order_qty": 50, "max_position": 10}})");
  Reader r(doc);
  const int64_t order = r.integer("risk.max_order_qty");
  const int64_t position = r.integer("risk.max_position");
  if (order > position) r.add_error("risk.max_order_qty", "must not exceed risk.max_position");
  EXPECT_EQ(finish_text(r),
            "config /etc/tp/test.json has 1 error:\n"
            "  risk.max_order_qty: must not exceed risk.max_position");
}

TEST(ReaderTest, HasSeesFileAndEnvironment) {
  Document doc = parse(R"({"tls": {"cert": "/c"}})",
                       {{"TP_METRICS__PORT", "1"}, {"TP_DB__PASSWORD_FILE", "/run/x"}});
  Reader r(doc);
  EXPECT_TRUE(r.has("tls"));
  EXPECT_TRUE(r.has("tls.cert"));
  EXPECT_FALSE(r.has("tls.key"));
  EXPECT_FALSE(r.has("tls.cert.x"));
  EXPECT_TRUE(r.has("metrics"));
  EXPECT_TRUE(r.has("metrics.port"));
  EXPECT_TRUE(r.has("db.password"));
  EXPECT_FALSE(r.has("admin"));
}

TEST(ReaderTest, ReadingAPathTwiceReportsItsErrorOnce) {
  Document doc = parse(R"({"a": "x"})");
  Reader r(doc);
  r.integer("a");
  r.integer("a");
  EXPECT_EQ(finish_text(r),
            "config /etc/tp/test.json has 1 error:\n  a: expected integer, got string \"x\"");
}

TEST(FormatErrorsTest, SingularAndPlural) {
  EXPECT_EQ(format_errors("f.json", {{"b", "y"}, {"a", "x"}, {"b", "y"}}),
            "config f.json has 2 errors:\n  a: x\n  b: y");
  EXPECT_EQ(format_errors("f.json", {{"a", "x"}}), "config f.json has 1 error:\n  a: x");
}

}  // namespace
}  // namespace tp::config
