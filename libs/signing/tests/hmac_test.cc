#include "tp/signing/hmac.h"

#include <gtest/gtest.h>

#include <set>

namespace tp::signing {
namespace {


struct Rfc4231Case {
  int number;
  std::string key;
  std::string data;
  std::string expected_hex;  // case 5 is truncated to 128 bits
};

// RFC 4231, section 4: HMAC-SHA-256 test vectors.
std::vector<Rfc4231Case> rfc4231_cases() {
  std::string key4;
  for (int i = 1; i <= 25; ++i) key4 += static_cast<char>(i);
  return {
      {1, std::string(20, '\x0b'), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {2, "Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {3, std::string(20, '\xaa'), std::string(50, '\xdd'),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {4, key4, std::string(50, '\xcd'),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {5, std::string(20, '\x0c'), "Test With Truncation", "a3b6167473100ee06e0c796c2955552b"},
      {6, std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {7, std::string(131, '\xaa'),
       "This is a test using a larger than block-size key and a larger than block-size data. "
       "The key needs to be hashed before being used by the HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
}

TEST(Hmac, MatchesEveryRfc4231TestCase) {
  const auto cases = rfc4231_cases();
  ASSERT_EQ(cases.size(), 7u);
  for (const auto& c : cases) {
    SCOPED_TRACE("RFC 4231 test case " + std::to_string(c.number));
    const std::string mac = hmac_sha256(c.key, c.data);
    ASSERT_EQ(mac.size(), 32u);
    const std::string hex = to_hex(mac);
    if (c.number == 5) {
      EXPECT_EQ(hex.substr(0, 32), c.expected_hex);  // the RFC gives the first 128 bits only
      EXPECT_NE(hex.substr(32), std::string(32, '0'));
    } else {
      EXPECT_EQ(hex, c.expected_hex);
    }
  }
}

TEST(Hmac, EmptyKeyAndMessageStillHash) {
  // Python: hmac.new(b"", b"", hashlib.sha256).hexdigest()
  EXPECT_EQ(to_hex(hmac_sha256("", "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(Sha256, MatchesFipsExamples) {
  EXPECT_EQ(to_hex(sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(to_hex(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Hex, RoundTripsAllByteValues) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  const std::string hex = to_hex(all);
  EXPECT_EQ(hex.substr(0, 8), "00010203");
  EXPECT_EQ(hex.substr(hex.size() - 4), "feff");
  EXPECT_EQ(from_hex(hex).value(), all);
  EXPECT_EQ(from_hex("ABCDEF").value(), "\xab\xcd\xef");
}

TEST(Hex, RejectsOddLengthAndNonHexWithoutEchoingInput) {
  EXPECT_EQ(from_hex("abc").error().message, "invalid hex: odd length 3");
  EXPECT_EQ(from_hex("00zz").error().message, "invalid hex: non-hex character at offset 2");
  EXPECT_EQ(from_hex("0g").error().message, "invalid hex: non-hex character at offset 1");
  EXPECT_EQ(from_hex("").value(), "");
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "xbc"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_FALSE(constant_time_equal("", "a"));
}

TEST(RandomBytes, HasRequestedLengthAndDiffers) {
  EXPECT_EQ(random_bytes(0).size(), 0u);
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(random_bytes(16));
  EXPECT_EQ(seen.size(), 100u);
  EXPECT_EQ(random_bytes(1000).size(), 1000u);
}

}  // namespace
}  // namespace tp::signing
