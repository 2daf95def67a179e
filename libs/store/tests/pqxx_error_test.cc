#include "tp/store/pqxx_error.h"

#include <gtest/gtest.h>

#include <pqxx/except>
#include <stdexcept>

namespace tp::store {
namespace {

TEST(PqxxErrorTest, UniqueViolationIsAlreadyExistsOnOneLine) {
  pqxx::unique_violation e(
      "ERROR:  duplicate key value violates unique constraint \"fills_pkey\"\n"
      "DETAIL:  Key (id)=(1) already exists.\n",
      "INSERT INTO fills VALUES (1)", "23505");
  EXPECT_EQ(error_from_exception(e).to_string(),
            "already_exists: postgres: ERROR: duplicate key value violates unique constraint "
            "\"fills_pkey\" DETAIL: Key (id)=(1) already exists. (SQLSTATE 23505)");
}

TEST(PqxxErrorTest, SyntaxErrorIsInvalidArgument) {
  pqxx::syntax_error e("ERROR:  syntax error at or near \"SELEC\"\n", "SELEC 1", "42601");
  EXPECT_EQ(error_from_exception(e).to_string(),
            "invalid_argument: postgres: ERROR: syntax error at or near \"SELEC\" "
            "(SQLSTATE 42601)");
}

TEST(PqxxErrorTest, BrokenConnectionIsUnavailable) {
  pqxx::broken_connection e("server closed the connection unexpectedly\n");
  EXPECT_EQ(error_from_exception(e).to_string(),
            "unavailable: postgres: server closed the connection unexpectedly");
}

TEST(PqxxErrorTest, InDoubtCommitSaysTheOutcomeIsUnknown) {
  pqxx::in_doubt_error e("Connection lost while committing.");
  EXPECT_EQ(error_from_exception(e).to_string(),
            "unavailable: postgres: commit outcome unknown (connection lost during COMMIT; check "
            "whether the transaction took effect before retrying): Connection lost while "
            "committing.");
}

TEST(PqxxErrorTest, RowCountMismatchIsFailedPrecondition) {
  pqxx::unexpected_rows e("Expected 1 row(s) of data from query, got 0.");
  EXPECT_EQ(error_from_exception(e).to_string(),
            "failed_precondition: postgres: Expected 1 row(s) of data from query, got 0.");
}

TEST(PqxxErrorTest, ConversionErrorIsInternal) {
  pqxx::conversion_error e("Could not convert string to integer: 'abc'");
  EXPECT_EQ(error_from_exception(e).code, ErrorCode::kInternal);
}

TEST(PqxxErrorTest, ForeignExceptionsAreInternal) {
  std::runtime_error e("boom");
  EXPECT_EQ(error_from_exception(e).to_string(), "internal: unexpected exception: boom");
}

TEST(PqxxErrorTest, SqlStateTable) {
  struct Case {
    const char* sqlstate;
    ErrorCode code;
  };
  const Case cases[] = {
      {"23505", ErrorCode::kAlreadyExists},      {"42P07", ErrorCode::kAlreadyExists},
      {"42P04", ErrorCode::kAlreadyExists},      {"23503", ErrorCode::kFailedPrecondition},
      {"23502", ErrorCode::kFailedPrecondition}, {"23514", ErrorCode::kFailedPrecondition},
      {"P0001", ErrorCode::kFailedPrecondition}, {"25006", ErrorCode::kFailedPrecondition},
      {"42501", ErrorCode::kPermissionDenied},   {"28P01", ErrorCode::kPermissionDenied},
      {"42601", ErrorCode::kInvalidArgument},    {"42P01", ErrorCode::kInvalidArgument},
      {"22012", ErrorCode::kInvalidArgument},    {"22P02", ErrorCode::kInvalidArgument},
      {"40001", ErrorCode::kUnavailable},        {"40P01", ErrorCode::kUnavailable},
      {"08006", ErrorCode::kUnavailable},        {"57P01", ErrorCode::kUnavailable},
      {"57014", ErrorCode::kTimeout},            {"55P03", ErrorCode::kTimeout},
      {"53300", ErrorCode::kResourceExhausted},  {"53100", ErrorCode::kResourceExhausted},
      {"XX001", ErrorCode::kDataLoss},           {"XX000", ErrorCode::kInternal},
      {"0A000", ErrorCode::kInternal},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(error_code_for_sqlstate(c.sqlstate), c.code) << c.sqlstate;
  }
}

}  // namespace
}  // namespace tp::store
