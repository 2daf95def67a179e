#include "tp/config/exit_on_error.h"

#include <gtest/gtest.h>

#include "tp/config/reader.h"

namespace tp::config {
namespace {

TEST(ExitOnErrorTest, ValuePassesThrough) {
  EXPECT_EQ(or_exit(Result<int>(7)), 7);
  or_exit(ok());
}

TEST(ExitOnErrorDeathTest, PrintsTheReportAndExitsWithStatusTwo) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto doc = parse_document(R"({"admin": {"port": 70000}})", "/etc/tp/decision.json");
  ASSERT_TRUE(doc.has_value());
  Reader r(*doc);
  r.integer("admin.port", {.min = 1, .max = 65535});
  const Status status = r.finish();
  // The report goes to stderr as is, without the "invalid_argument: " prefix.
  EXPECT_EXIT(or_exit(status), ::testing::ExitedWithCode(2),
              "^config /etc/tp/decision.json has 1 error:\n"
              "  admin.port: must be between 1 and 65535, got 70000\n$");
  EXPECT_EXIT(or_exit(Result<int>(make_error(ErrorCode::kNotFound, "config x: cannot read"))),
              ::testing::ExitedWithCode(2), "^config x: cannot read\n$");
}

}  // namespace
}  // namespace tp::config
