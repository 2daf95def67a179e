// The one place where libpqxx exceptions become tp::Error values.
//
//   try { ... pqxx ... } catch (const std::exception& e) {
//     return std::unexpected(tp::store::error_from_exception(e));
//   }
//
// Database::transact() already does this for its body; call it directly
// only where pqxx is used outside a Database (e.g. test fixtures).
//
// Mapping (SQLSTATE first, then exception type):
//   23505 unique_violation                      -> kAlreadyExists
//   42P04/42P06/42P07/42710/42701/42723 duplicate object -> kAlreadyExists
//   other 23xxx integrity violations, P0001 RAISE, 25xxx, 55xxx (except 55P03)
//                                               -> kFailedPrecondition
//   42501 insufficient_privilege, 28xxx auth    -> kPermissionDenied
//   other 42xxx syntax/undefined, 22xxx data    -> kInvalidArgument
//   40xxx serialization/deadlock, 08xxx, 57P01-57P03 shutdown
//                                               -> kUnavailable (retry)
//   57014 query_canceled (statement_timeout), 55P03 lock_not_available
//                                               -> kTimeout
//   53xxx insufficient resources                -> kResourceExhausted
//   XX001/XX002 data corrupted                  -> kDataLoss
//   broken_connection                           -> kUnavailable
//   in_doubt_error (connection lost during COMMIT) -> kUnavailable, with
//     "commit outcome unknown" in the message: check before retrying
//   unexpected_rows (exec1/exec0 row count)     -> kFailedPrecondition
//   range_error                                 -> kInvalidArgument
//   usage/argument/conversion errors           -> kInternal
//   any other exception                        -> kInternal, "unexpected exception: <what>"
//
// Messages read "postgres: <server message on one line> (SQLSTATE 23505)".
// Threads: pure functions; any thread.
#pragma once

#include <exception>
#include <string_view>

#include "tp/core/error.h"

namespace tp::store {

ErrorCode error_code_for_sqlstate(std::string_view sqlstate);

Error error_from_exception(const std::exception& e);

}  // namespace tp::store
