#include "tp/config/secret.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sstream>

#include "temp_dir.h"
#include "tp/config/reader.h"

namespace tp::config {
namespace {

using testing::TempDir;

Document parse(std::string_view text, Environment env = {}) {
  auto doc = parse_document(text, "/etc/tp/test.json", std::move(env));
  if (!doc) ADD_FAILURE() << doc.error().message;
  return doc.value_or(Document{});
}

std::string finish_text(Reader& r) {
  auto status = r.finish();
  return status ? std::string("ok") : status.error().message;
}

TEST(SecretTest, NeverPrintsItsValue) {
  const Secret s("hunter2", "env DB_PASSWORD");
  std::ostringstream out;
  out << s;
  EXPECT_EQ(out.str(), "<redacted>");
  EXPECT_EQ(fmt::format("password={}", s), "password=<redacted>");
  EXPECT_EQ(fmt::format("[{:>12}]", s), "[  <redacted>]");
  EXPECT_EQ(s.to_string(), "<redacted>");
  EXPECT_EQ(s.reveal(), "hunter2");
  EXPECT_EQ(s.origin(), "env DB_PASSWORD");
}

TEST(SecretTest, CopiesKeepTheValueAndMovesLeaveNothingBehind) {
  Secret a(std::string(40, 'k'), "file /k");
  Secret b = a;
  EXPECT_EQ(b.reveal(), std::string(40, 'k'));
  Secret c = std::move(a);
  EXPECT_EQ(c.reveal(), std::string(40, 'k'));
  EXPECT_TRUE(a.empty());  // NOLINT: checking the moved-from state on purpose
  Secret d;
  d = std::move(c);
  EXPECT_EQ(d.reveal(), std::string(40, 'k'));
  EXPECT_TRUE(c.empty());  // NOLINT
  d = b;
  EXPECT_EQ(d.reveal(), std::string(40, 'k'));
}

TEST(SecretTest, FromFileWithTrailingNewlineTrimmed) {
  TempDir dir;
  const std::string file = dir.write("hmac", "s3cr3t-key\n");
  Document doc = parse(R"({"signing": {"hmac_key": {"file": ")" + file + R"("}}})");
  Reader r(doc);
  const Secret key = r.secret("signing.hmac_key");
  EXPECT_EQ(key.reveal(), "s3cr3t-key");
  EXPECT_EQ(finish_text(r), "ok");
  EXPECT_EQ(r.describe(), "signing.hmac_key = <redacted> (file " + file + ")");
}

TEST(SecretTest, FromEnvironmentVariableNamedInTheFile) {
  Document doc = parse(R"({"db": {"password": {"env": "PGPASSWORD"}}})",
                       {{"PGPASSWORD", "pa55"}});
  Reader r(doc);
  const Secret pw = r.secret("db.password");
  EXPECT_EQ(pw.reveal(), "pa55");
  EXPECT_EQ(finish_text(r), "ok");
  EXPECT_EQ(r.describe(), "db.password = <redacted> (env PGPASSWORD)");
}

TEST(SecretTest, ReferencedVariableWithThePrefixIsNotAnUnknownOverride) {
  Document doc = parse(R"({"db": {"password": {"env": "TP_PG_PASS"}}})", {{"TP_PG_PASS", "x"}});
  Reader r(doc);
  EXPECT_EQ(r.secret("db.password").reveal(), "x");
  EXPECT_EQ(finish_text(r), "ok");
}

TEST(SecretTest, EnvironmentOverrideHoldsTheValueItself) {
  Document doc = parse(R"({"db": {"password": {"file": "/nonexistent"}}})",
                       {{"TP_DB__PASSWORD", "from-env"}});
  Reader r(doc);
  EXPECT_EQ(r.secret("db.password").reveal(), "from-env");
  EXPECT_EQ(finish_text(r), "ok");
  EXPECT_EQ(r.describe(), "db.password = <redacted> (env TP_DB__PASSWORD)");
}

TEST(SecretTest, EnvironmentOverrideWithFileSuffixNamesAFile) {
  TempDir dir;
  const std::string file = dir.write("pw", "pw-from-file\r\n");
  Document doc = parse("{}", {{"TP_DB__PASSWORD_FILE", file}});
  Reader r(doc);
  EXPECT_EQ(r.secret("db.password").reveal(), "pw-from-file");
  EXPECT_EQ(finish_text(r), "ok");
  EXPECT_EQ(r.describe(),
            "db.password = <redacted> (file " + file + " (env TP_DB__PASSWORD_FILE))");
}

TEST(SecretTest, BothOverrideFormsAtOnceIsAnError) {
  Document doc = parse("{}", {{"TP_DB__PASSWORD", "a"}, {"TP_DB__PASSWORD_FILE", "/b"}});
  Reader r(doc);
  EXPECT_TRUE(r.secret("db.password").empty());
  EXPECT_EQ(finish_text(r),
            "config /etc/tp/test.json has 1 error:\n"
            "  db.password: set either TP_DB__PASSWORD or TP_DB__PASSWORD_FILE, not both");
}

TEST(SecretTest, MissingFileIsReportedWithItsPath) {
  TempDir dir;
  const std::string missing = (dir.path() / "absent").string();
  Document doc = parse(R"({"db": {"password": {"file": ")" + missing + R"("}}})",
                       {{"TP_SIGNING__KEY_FILE", missing}});
  Reader r(doc);
  EXPECT_TRUE(r.secret("db.password").empty());
  EXPECT_TRUE(r.secret("signing.key").empty());
  EXPECT_EQ(finish_text(r),
            "config /etc/tp/test.json has 2 errors:\n"
            "  db.password: cannot read secret file " + missing +
                ": No such file or directory\n"
                "  signing.key: cannot read secret file " + missing +
                ": No such file or directory (from env TP_SIGNING__KEY_FILE)");
}

TEST(SecretTest, UnreadableOrEmptyFileErrorsNeverShowContents) {
  TempDir dir;
  const std::string empty = dir.write("empty", "\n");
  const std::string folder = dir.path().string();
  Document doc = parse(R"({"a": {"file": ")" + empty + R"("}, "b": {"file": ")" + folder +
                       R"("}, "c": {"file": "relative/key"}})");
  Reader r(doc);
  r.secret("a");
  r.secret("b");
  r.secret("c");
  EXPECT_EQ(finish_text(r),
            "config /etc/tp/test.json has 3 errors:\n"
            "  a: secret file " + empty + " is empty\n"
            "  b: cannot read secret file " + folder + ": Is a directory\n"
            "  c: secret file path must be absolute, got \"relative/key\"");
}

TEST(SecretTest, InlineAndMalformedSecretsAreRejectedWithoutEchoingThem) {
  Document doc = parse(R"({
    "db": {"password": "hunter2"},
    "pin": 1234,
    "both": {"file": "/a", "env": "B"},
    "other": {"vault": "x"},
    "unset": {"env": "NOT_SET"},
    "blank": {"env": "BLANK"}
  })",
                       {{"BLANK", ""}});
  Reader r(doc);
  r.secret("db.password");
  r.secret("pin");
  r.secret("both");
  r.secret("other");
  r.secret("unset");
  r.secret("blank");
  const std::string text = finish_text(r);
  EXPECT_EQ(text,
            "config /etc/tp/test.json has 6 errors:\n"
            "  blank: environment variable BLANK is empty\n"
            "  both: expected {\"file\": \"/path\"} or {\"env\": \"VAR\"}, got object with keys "
            "[\"env\",\"file\"]\n"
            "  db.password: inline secrets are not allowed; use {\"file\": \"/path\"} or "
            "{\"env\": \"VAR\"}\n"
            "  other: expected {\"file\": \"/path\"} or {\"env\": \"VAR\"}, got object with keys "
            "[\"vault\"]\n"
            "  pin: expected {\"file\": \"/path\"} or {\"env\": \"VAR\"}, got integer\n"
            "  unset: environment variable NOT_SET is not set");
  EXPECT_EQ(text.find("hunter2"), std::string::npos);
  EXPECT_EQ(text.find("1234"), std::string::npos);
}

TEST(SecretTest, RequiredByDefaultOptionalOnRequest) {
  Document doc = parse("{}");
  Reader r(doc);
  EXPECT_TRUE(r.secret("db.password").empty());
  EXPECT_TRUE(r.secret("broker.api_key", {.required = false}).empty());
  EXPECT_EQ(finish_text(r), "config /etc/tp/test.json has 1 error:\n  db.password: required");
  EXPECT_EQ(r.describe(), "broker.api_key = <unset> (default)");
}

TEST(SecretTest, DescribeRedactsSecretsNextToOrdinaryValues) {
  TempDir dir;
  const std::string file = dir.write("k", "topsecret");
  Document doc = parse(R"({"nats": {"url": "nats://x:4222"}, "signing": {"key": {"file": ")" +
                           file + R"("}}})",
                       {{"TP_DB__PASSWORD", "pgsecret"}});
  Reader r(doc);
  r.string("nats.url");
  r.secret("signing.key");
  r.secret("db.password");
  EXPECT_EQ(finish_text(r), "ok");
  const std::string described = r.describe();
  EXPECT_EQ(described,
            "db.password = <redacted> (env TP_DB__PASSWORD)\n"
            "nats.url = \"nats://x:4222\" (file)\n"
            "signing.key = <redacted> (file " + file + ")");
  EXPECT_EQ(described.find("topsecret"), std::string::npos);
  EXPECT_EQ(described.find("pgsecret"), std::string::npos);
}

}  // namespace
}  // namespace tp::config
