// Versioned SQL migrations, applied at start-up, idempotently and safely
// when several processes start at once. See docs/storage.md.
//
//   // CMake: tp_embed_sql_migrations(TARGET ledger_shell COMPONENT ledger
//   //                                DIR ${CMAKE_CURRENT_SOURCE_DIR}/migrations)
//   #include "tp/migrations/ledger.h"
//   auto report = tp::store::apply_migrations(*db, tp::migrations::ledger_migrations());
//   if (!report) return std::unexpected(report.error());  // e.g. kDataLoss
//
// Each migration runs in its own transaction together with its row in
// tp_schema_migrations, under a transaction-scoped advisory lock keyed on
// the component, so it is applied exactly once. An applied migration whose
// SQL has changed is kDataLoss; one recorded in the database but unknown to
// this binary is kFailedPrecondition (the database is newer than the code).
//
// Threads: apply_migrations uses the Database (which serialises calls);
// the other functions are pure.
#pragma once

#include <string>
#include <vector>

#include "tp/core/error.h"
#include "tp/store/database.h"

namespace tp::store {

struct Migration {
  int version = 0;   // > 0, strictly increasing within a set
  std::string name;  // [a-z0-9_]+, e.g. "add_index"
  std::string sql;   // may hold several statements
};

struct MigrationSet {
  std::string component;  // [a-z][a-z0-9_]*, e.g. "ledger"
  std::vector<Migration> migrations;
};

struct MigrationReport {
  std::vector<int> applied;  // versions applied by this call, in order
  int already_applied = 0;   // versions found already applied
};

// "ledger/0002_add_index": how errors, logs and docs name a migration.
std::string migration_id(const std::string& component, const Migration& m);

// Lowercase hex SHA-256 of the SQL text: the checksum stored per migration.
std::string sql_checksum(std::string_view sql);

// Checks names, versions (positive, strictly increasing, no duplicates) and
// that no SQL is blank. Reports every problem, joined by "; ".
[[nodiscard]] Status validate_migrations(const MigrationSet& set);

// Creates tp_schema_migrations if needed, verifies the checksums of applied
// migrations and applies the pending ones in version order.
[[nodiscard]] Result<MigrationReport> apply_migrations(Database& db, const MigrationSet& set);

}  // namespace tp::store
