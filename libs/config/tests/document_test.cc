#include "tp/config/document.h"

#include <gtest/gtest.h>

#include "temp_dir.h"
#include "tp/config/reader.h"

namespace tp::config {
namespace {

using testing::TempDir;

std::string error_of(const Result<Document>& doc) {
  return doc ? std::string("ok") : doc.error().message;
}

TEST(DocumentTest, LoadsAFileAndKeepsEnvironmentAndPrefix) {
  TempDir dir;
  const std::string path = dir.write("decision.json", R"({"admin": {"port": 9200}})");
  auto doc = load_file(path, {{"TP_MODE", "live"}}, "TP_");
  ASSERT_TRUE(doc.has_value()) << doc.error().message;
  EXPECT_EQ(doc->source, path);
  EXPECT_EQ(doc->root["admin"]["port"], 9200);
  EXPECT_EQ(doc->env.at("TP_MODE"), "live");
  EXPECT_EQ(doc->env_prefix, "TP_");
}

TEST(DocumentTest, MissingFile) {
  TempDir dir;
  const std::string path = (dir.path() / "nope.json").string();
  auto doc = load_file(path, {});
  ASSERT_FALSE(doc.has_value());
  EXPECT_EQ(doc.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(doc.error().message, "config " + path + ": cannot read: No such file or directory");
}

TEST(DocumentTest, ParseErrorNamesFileLineAndColumn) {
  TempDir dir;
  // The trailing comma makes the '}' on line 4, column 3 unexpected.
  const std::string path = dir.write("bad.json",
                                     "{\n"
                                     "  \"admin\": {\n"
                                     "    \"port\": 9100,\n"
                                     "  }\n"
                                     "}\n");
  auto doc = load_file(path, {});
  EXPECT_EQ(error_of(doc),
            "config " + path +
                ": parse error at line 4, column 3: syntax error while parsing object key - "
                "unexpected '}'; expected string literal");
}

TEST(DocumentTest, ParseErrorPositions) {
  EXPECT_EQ(error_of(parse_document(R"({"a": tru})", "x.json")),
            "config x.json: parse error at line 1, column 10: syntax error while parsing value - "
            "invalid literal; last read: '\"a\": tru}'");
  // The position is where the parser stopped: the end of the unexpected token.
  EXPECT_EQ(error_of(parse_document("{\"a\": 1\n \"b\": 2}", "x.json")),
            "config x.json: parse error at line 2, column 4: syntax error while parsing object - "
            "unexpected string literal; expected '}'");
  EXPECT_EQ(error_of(parse_document("", "x.json")),
            "config x.json: parse error at line 1, column 1: syntax error while parsing value - "
            "unexpected end of input; expected '[', '{', or a literal");
  // nlohmann's own text would say "line 2, column 0" here; we point at the newline.
  EXPECT_EQ(error_of(parse_document("{\"a\": \"x\ny\"}", "x.json")),
            "config x.json: parse error at line 1, column 9: syntax error while parsing value - "
            "invalid string: control character U+000A (LF) must be escaped to \\u000A or \\n; "
            "last read: '\"x<U+000A>'");
}

TEST(DocumentTest, CommentsAreAllowed) {
  auto doc = parse_document(
      "{\n"
      "  // one slot per core; the box has two\n"
      "  \"workers\": 2, /* block comments too */\n"
      "  \"mode\": \"paper\"\n"
      "}\n",
      "x.json");
  ASSERT_TRUE(doc.has_value()) << doc.error().message;
  EXPECT_EQ(doc->root["workers"], 2);
}

TEST(DocumentTest, DuplicateKeysAreErrorsWithTheirPaths) {
  auto doc = parse_document(R"({
    "admin": {"port": 9100, "port": 9200},
    "list": [{"a": 1}, {"a": 1, "a": 2}],
    "mode": "paper",
    "mode": "live"
  })",
                            "x.json");
  EXPECT_EQ(error_of(doc),
            "config x.json has 3 errors:\n"
            "  admin.port: duplicate key\n"
            "  list[1].a: duplicate key\n"
            "  mode: duplicate key");
}

TEST(DocumentTest, TopLevelMustBeAnObject) {
  EXPECT_EQ(error_of(parse_document("[1, 2]", "x.json")),
            "config x.json: top level must be an object, got array");
}

TEST(DocumentTest, EnvironmentOnlyConfiguration) {
  Document doc = environment_only({{"TP_ADMIN__PORT", "9300"}});
  Reader r(doc);
  EXPECT_EQ(r.integer("admin.port"), 9300);
  r.string("nats.url");
  auto status = r.finish();
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().message, "config <environment> has 1 error:\n  nats.url: required");
}

TEST(DocumentTest, ProcessEnvironmentSnapshot) {
  // Reads (never writes) the real environment: ctest always sets PATH.
  const Environment env = process_environment();
  ASSERT_TRUE(env.contains("PATH"));
  EXPECT_EQ(env.at("PATH"), std::string(getenv("PATH")));
}

}  // namespace
}  // namespace tp::config
