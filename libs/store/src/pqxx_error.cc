#include "tp/store/pqxx_error.h"

#include <cctype>
#include <pqxx/except>
#include <string>

namespace tp::store {
namespace {

// pqxx messages are multi-line ("ERROR:  ...\nDETAIL:  ...\n"); log lines
// and error strings want one line with single spaces.
std::string one_line(std::string_view text) {
  std::string out;
  bool pending_space = false;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

bool has_class(std::string_view sqlstate, std::string_view cls) {
  return sqlstate.size() == 5 && sqlstate.substr(0, 2) == cls;
}

}  // namespace

ErrorCode error_code_for_sqlstate(std::string_view s) {
  if (s == "23505" || s == "42P04" || s == "42P06" || s == "42P07" || s == "42710" ||
      s == "42701" || s == "42723") {
    return ErrorCode::kAlreadyExists;
  }
  if (s == "42501" || has_class(s, "28")) return ErrorCode::kPermissionDenied;
  if (s == "57014" || s == "55P03") return ErrorCode::kTimeout;
  if (s == "57P01" || s == "57P02" || s == "57P03" || has_class(s, "40") || has_class(s, "08")) {
    return ErrorCode::kUnavailable;
  }
  if (has_class(s, "53")) return ErrorCode::kResourceExhausted;
  if (s == "XX001" || s == "XX002") return ErrorCode::kDataLoss;
  if (has_class(s, "23") || s == "P0001" || has_class(s, "25") || has_class(s, "55")) {
    return ErrorCode::kFailedPrecondition;
  }
  if (has_class(s, "42") || has_class(s, "22")) return ErrorCode::kInvalidArgument;
  return ErrorCode::kInternal;
}

Error error_from_exception(const std::exception& e) {
  const std::string text = one_line(e.what());
  if (dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr) {
    return Error{ErrorCode::kUnavailable,
                 "postgres: commit outcome unknown (connection lost during COMMIT; check "
                 "whether the transaction took effect before retrying): " + text};
  }
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e); sql != nullptr) {
    const std::string& state = sql->sqlstate();
    if (state.empty()) return Error{ErrorCode::kInternal, "postgres: " + text};
    return Error{error_code_for_sqlstate(state), "postgres: " + text + " (SQLSTATE " + state + ")"};
  }
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) {
    return Error{ErrorCode::kUnavailable, "postgres: " + text};
  }
  if (dynamic_cast<const pqxx::unexpected_rows*>(&e) != nullptr) {
    return Error{ErrorCode::kFailedPrecondition, "postgres: " + text};
  }
  if (dynamic_cast<const pqxx::range_error*>(&e) != nullptr) {
    return Error{ErrorCode::kInvalidArgument, "postgres: " + text};
  }
  if (dynamic_cast<const pqxx::pqxx_exception*>(&e) != nullptr) {
    return Error{ErrorCode::kInternal, "postgres: " + text};
  }
  return Error{ErrorCode::kInternal, "unexpected exception: " + text};
}

}  // namespace tp::store
