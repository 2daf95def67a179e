#include <gtest/gtest.h>

#include "tp/store/database.h"
#include "tp/store/migrations.h"

namespace tp::store {
namespace {

using std::chrono::milliseconds;

MigrationSet two_migrations() {
  return MigrationSet{"ledger",
                      {{1, "create_entries", "CREATE TABLE entries (id bigint);"},
                       {2, "add_index", "CREATE INDEX entries_id ON entries (id);"}}};
}

std::string problem(const MigrationSet& set) {
  Status s = validate_migrations(set);
  return s ? "ok" : s.error().to_string();
}

TEST(MigrationValidationTest, AcceptsStrictlyIncreasingVersions) {
  EXPECT_EQ(problem(two_migrations()), "ok");
  EXPECT_EQ(problem(MigrationSet{"ledger", {{1, "a", "SELECT 1"}, {7, "b", "SELECT 2"}}}), "ok");
}

TEST(MigrationValidationTest, AcceptsAnEmptySet) {
  EXPECT_EQ(problem(MigrationSet{"ledger", {}}), "ok");
}

TEST(MigrationValidationTest, RejectsADuplicateVersion) {
  MigrationSet set = two_migrations();
  set.migrations.push_back({2, "add_other_index", "CREATE INDEX x ON entries (id);"});
  EXPECT_EQ(problem(set),
            "invalid_argument: migration ledger/0002_add_other_index: duplicate version 2 "
            "(also 0002_add_index)");
}

TEST(MigrationValidationTest, RejectsVersionsOutOfOrder) {
  MigrationSet set{"ledger", {{3, "third", "SELECT 3"}, {2, "second", "SELECT 2"}}};
  EXPECT_EQ(problem(set),
            "invalid_argument: migration ledger/0002_second: version 2 comes after version 3 "
            "(0003_third); versions must be strictly increasing");
}

TEST(MigrationValidationTest, RejectsNonPositiveVersions) {
  EXPECT_EQ(problem(MigrationSet{"ledger", {{0, "zero", "SELECT 1"}}}),
            "invalid_argument: migration ledger/0000_zero: version must be positive");
  EXPECT_EQ(problem(MigrationSet{"ledger", {{-1, "negative", "SELECT 1"}}}),
            "invalid_argument: migration ledger/-001_negative: version must be positive");
}

TEST(MigrationValidationTest, RejectsBadNamesAndBlankSql) {
  EXPECT_EQ(problem(MigrationSet{"ledger", {{1, "Add-Index", "SELECT 1"}}}),
            "invalid_argument: migration ledger/0001_Add-Index: name must match [a-z0-9_]+");
  EXPECT_EQ(problem(MigrationSet{"ledger", {{1, "", "SELECT 1"}}}),
            "invalid_argument: migration ledger/0001_: name must match [a-z0-9_]+");
  EXPECT_EQ(problem(MigrationSet{"ledger", {{1, "blank", " \n\t"}}}),
            "invalid_argument: migration ledger/0001_blank: SQL is empty");
}

TEST(MigrationValidationTest, RejectsBadComponentNames) {
  EXPECT_EQ(problem(MigrationSet{"", {}}),
            "invalid_argument: migration set has an empty component name");
  EXPECT_EQ(problem(MigrationSet{"Ledger", {}}),
            "invalid_argument: migration set 'Ledger': component name must match [a-z][a-z0-9_]*");
  EXPECT_EQ(problem(MigrationSet{"1ledger", {}}),
            "invalid_argument: migration set '1ledger': component name must match "
            "[a-z][a-z0-9_]*");
}

TEST(MigrationValidationTest, ReportsEveryProblemAtOnce) {
  MigrationSet set{"ledger",
                   {{1, "a", "SELECT 1"}, {1, "b", ""}, {0, "c", "SELECT 0"}}};
  EXPECT_EQ(problem(set),
            "invalid_argument: migration ledger/0001_b: SQL is empty; "
            "migration ledger/0001_b: duplicate version 1 (also 0001_a); "
            "migration ledger/0000_c: version must be positive; "
            "migration ledger/0000_c: version 0 comes after version 1 (0001_b); "
            "versions must be strictly increasing");
}

TEST(MigrationIdTest, PadsTheVersionToFourDigits) {
  EXPECT_EQ(migration_id("ledger", Migration{2, "add_index", ""}), "ledger/0002_add_index");
  EXPECT_EQ(migration_id("execsim", Migration{12345, "big", ""}), "execsim/12345_big");
}

TEST(SqlChecksumTest, IsLowercaseHexSha256) {
  EXPECT_EQ(sql_checksum("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sql_checksum(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(BackoffTest, GrowsByTheMultiplierUpToTheCap) {
  RetryPolicy policy{.max_attempts = 10,
                     .initial_backoff = milliseconds(100),
                     .max_backoff = milliseconds(1000),
                     .multiplier = 2.0};
  EXPECT_EQ(backoff_after(policy, 1), milliseconds(100));
  EXPECT_EQ(backoff_after(policy, 2), milliseconds(200));
  EXPECT_EQ(backoff_after(policy, 3), milliseconds(400));
  EXPECT_EQ(backoff_after(policy, 4), milliseconds(800));
  EXPECT_EQ(backoff_after(policy, 5), milliseconds(1000));
  EXPECT_EQ(backoff_after(policy, 60), milliseconds(1000));
}

}  // namespace
}  // namespace tp::store
