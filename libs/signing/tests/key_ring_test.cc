#include "tp/signing/key_ring.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tp/signing/hmac.h"

namespace tp::signing {
namespace {

const std::string kSecretHex(64, '1');            // 32 bytes of 0x11
const std::string kOtherSecretHex(64, '2');       // 32 bytes of 0x22
const std::string kShortSecretHex(32, '3');       // 16 bytes

Key make_key(std::string id, std::string producer, std::vector<std::string> subjects = {},
             KeyStatus status = KeyStatus::kActive) {
  return Key{std::move(id), std::move(producer), from_hex(kSecretHex).value(),
             std::move(subjects), status};
}

// A directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("tp_signing_test_" + to_hex(random_bytes(8)));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path write(const std::string& name, const std::string& content) const {
    const auto p = path_ / name;
    std::ofstream(p) << content;
    return p;
  }

 private:
  std::filesystem::path path_;
};

TEST(KeyRing, CreatesAndFindsKeys) {
  auto ring = KeyRing::create({make_key("ingester-1", "ingester", {"md.>"}),
                               make_key("ingester-0", "ingester", {}, KeyStatus::kRetired),
                               make_key("signal-1", "signal")},
                              "ingester-1");
  ASSERT_TRUE(ring) << ring.error().message;
  ASSERT_NE(ring->signing_key(), nullptr);
  EXPECT_EQ(ring->signing_key()->id, "ingester-1");
  EXPECT_NE(ring->find_active("signal-1"), nullptr);
  EXPECT_EQ(ring->find_active("ingester-0"), nullptr);
  ASSERT_NE(ring->find("ingester-0"), nullptr);
  EXPECT_EQ(ring->find("ingester-0")->status, KeyStatus::kRetired);
  EXPECT_EQ(ring->find("nope"), nullptr);
  EXPECT_EQ(ring->find_active("nope"), nullptr);
}

TEST(KeyRing, VerifierOnlyRingHasNoSigningKey) {
  auto ring = KeyRing::create({make_key("signal-1", "signal")}, std::nullopt);
  ASSERT_TRUE(ring);
  EXPECT_EQ(ring->signing_key(), nullptr);
  EXPECT_EQ(ring->describe(), "ring: 1 key (1 active), verify only: signal-1 (signal, active)");
}

TEST(KeyRing, CreateReportsEveryProblemWithItsPath) {
  Key short_secret = make_key("k1", "ingester");
  short_secret.secret = from_hex(kShortSecretHex).value();
  auto ring = KeyRing::create(
      {make_key("k0", "ingester", {"md.>", "md..x", "a.>.b", ""}), short_secret,
       make_key("k0", ""), make_key("bad id", "sig/x"),
       make_key("k4", "ingester", {}, KeyStatus::kRetired)},
      "k4");
  ASSERT_FALSE(ring);
  EXPECT_EQ(ring.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ring.error().message,
            "keys[0].subjects[1]: has an empty token\n"
            "keys[0].subjects[2]: '>' is only allowed as the last token\n"
            "keys[0].subjects[3]: must not be empty\n"
            "keys[1].secret: must be at least 32 bytes, got 16\n"
            "keys[2].id: duplicate of keys[0].id 'k0'\n"
            "keys[2].producer: must not be empty\n"
            "keys[3].id: must contain only letters, digits, '.', '_' and '-'\n"
            "keys[3].producer: must contain only letters, digits, '.', '_' and '-'\n"
            "signing_key: key 'k4' is retired and cannot sign");
}

TEST(KeyRing, CreateRejectsEmptyRingAndUnknownSigningKey) {
  EXPECT_EQ(KeyRing::create({}, "x").error().message,
            "keys: at least one key is required\n"
            "signing_key: no key has id 'x'");
}

TEST(KeyRing, DescribeListsIdsButNeverSecrets) {
  auto ring = KeyRing::create({make_key("ingester-2026-11", "ingester"),
                               make_key("ingester-2026-10", "ingester", {}, KeyStatus::kRetired),
                               make_key("signal-1", "signal")},
                              "ingester-2026-11");
  ASSERT_TRUE(ring);
  const std::string text = ring->describe();
  EXPECT_EQ(text,
            "ring: 3 keys (2 active), signing with ingester-2026-11: "
            "ingester-2026-10 (ingester, retired), ingester-2026-11 (ingester, active), "
            "signal-1 (signal, active)");
  EXPECT_EQ(text.find(kSecretHex.substr(0, 8)), std::string::npos);
  EXPECT_EQ(text.find(from_hex(kSecretHex).value()), std::string::npos);
}

TEST(KeyRingJson, LoadsSecretsFromHexFileAndEnvironment) {
  TempDir dir;
  dir.write("signal.key", kOtherSecretHex + "\n");
  ::setenv("TP_SIGNING_TEST_SECRET", kSecretHex.c_str(), 1);
  const auto path = dir.write("keys.json", R"({
    "signing_key": "ingester-2",
    "keys": [
      {"id": "ingester-1", "producer": "ingester", "secret_hex": ")" +
                                                   kSecretHex + R"(", "status": "retired"},
      {"id": "ingester-2", "producer": "ingester", "secret_env": "TP_SIGNING_TEST_SECRET",
       "subjects": ["md.bar.>", "md.quality.*"]},
      {"id": "signal-1", "producer": "signal", "secret_file": "signal.key", "status": "active"}
    ]})");
  auto ring = KeyRing::from_file(path.string());
  ::unsetenv("TP_SIGNING_TEST_SECRET");
  ASSERT_TRUE(ring) << ring.error().message;
  EXPECT_EQ(ring->signing_key()->id, "ingester-2");
  EXPECT_EQ(ring->signing_key()->secret, from_hex(kSecretHex).value());
  EXPECT_EQ(ring->signing_key()->subjects, (std::vector<std::string>{"md.bar.>", "md.quality.*"}));
  EXPECT_EQ(ring->find("ingester-1")->status, KeyStatus::kRetired);
  // The relative secret_file resolves against the key file's directory.
  EXPECT_EQ(ring->find_active("signal-1")->secret, from_hex(kOtherSecretHex).value());
  EXPECT_TRUE(ring->find_active("signal-1")->subjects.empty());
}

TEST(KeyRingJson, ReportsEveryProblemAtOnce) {
  ::unsetenv("TP_SIGNING_TEST_UNSET");
  const std::string json = R"({
    "signing_key": "k9",
    "extra": 1,
    "keys": [
      {"id": "k0", "producer": "ingester", "secret_hex": ")" + kShortSecretHex + R"(",
       "subjects": "md.>", "statuss": "active"},
      {"producer": 7, "secret_hex": "zz", "secret_env": "X"},
      {"id": "k2", "producer": "p", "secret_env": "TP_SIGNING_TEST_UNSET", "status": "old"},
      {"id": "k3", "producer": "p", "secret_file": "/nonexistent/tp/key", "subjects": ["a", 5]},
      {"id": "k4", "producer": "p", "secret_hex": "abc"},
      "k5"
    ]})";
  auto ring = KeyRing::from_json(json);
  ASSERT_FALSE(ring);
  EXPECT_EQ(ring.error().message,
            "extra: unknown field\n"
            "keys[0].statuss: unknown field\n"
            "keys[0].subjects: must be an array of strings, got string\n"
            "keys[1].id: required\n"
            "keys[1].producer: must be a string, got number\n"
            "keys[1]: only one of secret_hex, secret_file, secret_env is allowed, got secret_hex "
            "and secret_env\n"
            "keys[2].secret_env: environment variable TP_SIGNING_TEST_UNSET is not set\n"
            "keys[2].status: must be \"active\" or \"retired\", got \"old\"\n"
            "keys[3].secret_file: cannot read '/nonexistent/tp/key': No such file or directory\n"
            "keys[3].subjects[1]: must be a string, got number\n"
            "keys[4].secret_hex: invalid hex: odd length 3\n"
            "keys[5]: must be an object, got string\n"
            "keys[0].secret_hex: must be at least 32 bytes, got 16\n"
            "signing_key: no key has id 'k9'");
}

TEST(KeyRingJson, RejectsDocumentsOfTheWrongShape) {
  EXPECT_EQ(KeyRing::from_json("[]").error().message, "key file: must be a JSON object, got array");
  EXPECT_EQ(KeyRing::from_json("{}").error().message, "keys: required");
  EXPECT_EQ(KeyRing::from_json(R"({"keys": {}})").error().message,
            "keys: must be an array, got object");
  EXPECT_EQ(KeyRing::from_json(R"({"keys": [{"id": "a", "producer": "b"}]})").error().message,
            "keys[0]: one of secret_hex, secret_file, secret_env is required");
  EXPECT_EQ(KeyRing::from_json(R"({"signing_key": 5, "keys": []})").error().message,
            "signing_key: must be a string, got number\n"
            "keys: at least one key is required");
}

TEST(KeyRingJson, SyntaxErrorsDoNotQuoteTheDocument) {
  const std::string json = R"({"keys": [{"id": "a", "secret_hex": "deadbeefdeadbeef)";
  auto ring = KeyRing::from_json(json);
  ASSERT_FALSE(ring);
  EXPECT_EQ(ring.error().message.rfind("key file: invalid JSON near byte ", 0), 0u)
      << ring.error().message;
  EXPECT_EQ(ring.error().message.find("deadbeef"), std::string::npos);
}

TEST(KeyRingJson, MissingKeyFileIsNamed) {
  auto ring = KeyRing::from_file("/nonexistent/tp/keys.json");
  ASSERT_FALSE(ring);
  EXPECT_EQ(ring.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(ring.error().message,
            "key file: cannot read '/nonexistent/tp/keys.json': No such file or directory");
}

TEST(SubjectMatches, FollowsNatsWildcards) {
  EXPECT_TRUE(subject_matches("md.bar.binance-us.BTCUSDT.1m", "md.bar.binance-us.BTCUSDT.1m"));
  EXPECT_TRUE(subject_matches("md.>", "md.bar.binance-us.BTCUSDT.1m"));
  EXPECT_TRUE(subject_matches("md.bar.*.BTCUSDT.>", "md.bar.binance-us.BTCUSDT.1m"));
  EXPECT_TRUE(subject_matches("*.*", "a.b"));
  EXPECT_TRUE(subject_matches(">", "a"));
  EXPECT_FALSE(subject_matches("md.>", "md"));  // '>' needs at least one token
  EXPECT_FALSE(subject_matches("md.*", "md.bar.x"));
  EXPECT_FALSE(subject_matches("md.*", "md"));
  EXPECT_FALSE(subject_matches("md.bar", "md.bar.x"));
  EXPECT_FALSE(subject_matches("md.bar.x", "md.bar"));
  EXPECT_FALSE(subject_matches("md.bar", "md.baz"));
  EXPECT_FALSE(subject_matches("md.>.x", "md.a.x"));  // invalid pattern matches nothing
  EXPECT_FALSE(subject_matches("", "md"));
  EXPECT_FALSE(subject_matches("sig.*", "sigx.a"));
  EXPECT_FALSE(subject_matches("orders.intent.*", "orders.intentX.BTCUSDT"));
}

}  // namespace
}  // namespace tp::signing
