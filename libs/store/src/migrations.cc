#include "tp/store/migrations.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <optional>
#include <pqxx/except>
#include <pqxx/result>
#include <set>

#include "tp/store/pqxx_error.h"

namespace tp::store {
namespace {

constexpr std::string_view kLedgerTable = "tp_schema_migrations";
constexpr size_t kShownChecksumChars = 12;

std::string padded_version(int version) {
  char buffer[16];
  std::snprintf(buffer, sizeof(buffer), "%04d", version);
  return buffer;
}

std::string file_stem(int version, const std::string& name) {
  return padded_version(version) + "_" + name;
}

bool valid_component(const std::string& s) {
  return !s.empty() && std::islower(static_cast<unsigned char>(s[0])) &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) {
           return std::islower(c) || std::isdigit(c) || c == '_';
         });
}

bool valid_name(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::islower(c) || std::isdigit(c) || c == '_';
  });
}

bool blank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); });
}

std::array<unsigned char, 32> sha256(std::string_view data) {
  std::array<unsigned char, 32> digest{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 ||
      length != digest.size()) {
    std::abort();  // OpenSSL cannot fail here short of a broken installation
  }
  return digest;
}

// pg_advisory_xact_lock takes a bigint; derive it from a name so every
// process computes the same key without coordination.
int64_t advisory_key(std::string_view name) {
  auto digest = sha256(name);
  uint64_t key = 0;
  for (int i = 0; i < 8; ++i) key = (key << 8) | digest[static_cast<size_t>(i)];
  return static_cast<int64_t>(key);
}

std::string abbreviated(const std::string& checksum) {
  return checksum.substr(0, kShownChecksumChars) + "...";
}

}  // namespace

std::string migration_id(const std::string& component, const Migration& m) {
  return component + "/" + file_stem(m.version, m.name);
}

std::string sql_checksum(std::string_view sql) {
  static constexpr char kHex[] = "0123456789abcdef";
  auto digest = sha256(sql);
  std::string out;
  out.reserve(64);
  for (unsigned char byte : digest) {
    out += kHex[byte >> 4];
    out += kHex[byte & 0x0f];
  }
  return out;
}

Status validate_migrations(const MigrationSet& set) {
  std::vector<std::string> problems;
  if (set.component.empty()) {
    problems.push_back("migration set has an empty component name");
  } else if (!valid_component(set.component)) {
    problems.push_back("migration set '" + set.component +
                       "': component name must match [a-z][a-z0-9_]*");
  }
  std::map<int, const Migration*> seen;
  const Migration* previous = nullptr;
  for (const Migration& m : set.migrations) {
    const std::string id = migration_id(set.component, m);
    if (m.version <= 0) problems.push_back("migration " + id + ": version must be positive");
    if (!valid_name(m.name)) problems.push_back("migration " + id + ": name must match [a-z0-9_]+");
    if (blank(m.sql)) problems.push_back("migration " + id + ": SQL is empty");
    if (auto it = seen.find(m.version); it != seen.end()) {
      problems.push_back("migration " + id + ": duplicate version " + std::to_string(m.version) +
                         " (also " + file_stem(it->second->version, it->second->name) + ")");
    } else if (previous != nullptr && m.version < previous->version) {
      problems.push_back("migration " + id + ": version " + std::to_string(m.version) +
                         " comes after version " + std::to_string(previous->version) + " (" +
                         file_stem(previous->version, previous->name) +
                         "); versions must be strictly increasing");
    }
    seen.emplace(m.version, &m);
    previous = &m;
  }
  if (problems.empty()) return ok();
  std::string message;
  for (const std::string& p : problems) {
    if (!message.empty()) message += "; ";
    message += p;
  }
  return make_error(ErrorCode::kInvalidArgument, message);
}

Result<MigrationReport> apply_migrations(Database& db, const MigrationSet& set) {
  if (Status valid = validate_migrations(set); !valid) return std::unexpected(valid.error());

  // CREATE TABLE IF NOT EXISTS is not safe against itself (two sessions can
  // both try to create the row type), so creation is serialised too.
  Status ledger = db.transact([&](pqxx::work& tx) -> Status {
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", advisory_key(kLedgerTable));
    if (!tx.exec("SELECT to_regclass('tp_schema_migrations')")[0][0].is_null()) return ok();
    tx.exec(
        "CREATE TABLE tp_schema_migrations ("
        " component text NOT NULL,"
        " version integer NOT NULL,"
        " name text NOT NULL,"
        " checksum text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now(),"
        " PRIMARY KEY (component, version))");
    return ok();
  });
  if (!ledger) {
    Error e = ledger.error();
    e.message = "cannot create tp_schema_migrations: " + e.message;
    return std::unexpected(e);
  }

  const int64_t lock_key = advisory_key(std::string(kLedgerTable) + "/" + set.component);
  MigrationReport report;
  bool first_look = true;
  while (true) {
    std::optional<int> applied_now;
    // One transaction per migration: the lock, the ledger check, the SQL and
    // the ledger row commit together or not at all. The ledger is re-read
    // under the lock every time, so a concurrent migrator's work is seen.
    Status step = db.transact([&](pqxx::work& tx) -> Status {
      applied_now.reset();
      tx.exec_params("SELECT pg_advisory_xact_lock($1)", lock_key);
      pqxx::result rows = tx.exec_params(
          "SELECT version, name, checksum FROM tp_schema_migrations"
          " WHERE component = $1 ORDER BY version",
          set.component);
      std::set<int> applied;
      for (const auto& row : rows) {
        const int version = row[0].as<int>();
        const std::string name = row[1].as<std::string>();
        const std::string checksum = row[2].as<std::string>();
        auto it = std::find_if(set.migrations.begin(), set.migrations.end(),
                               [&](const Migration& m) { return m.version == version; });
        if (it == set.migrations.end()) {
          return make_error(ErrorCode::kFailedPrecondition,
                            "migration " + set.component + "/" + file_stem(version, name) +
                                " is recorded in tp_schema_migrations but unknown to this binary "
                                "(was the database migrated by a newer version?)");
        }
        const std::string now = sql_checksum(it->sql);
        if (now != checksum) {
          return make_error(ErrorCode::kDataLoss,
                            "migration " + migration_id(set.component, *it) +
                                ": checksum changed since it was applied (applied " +
                                abbreviated(checksum) + ", now " + abbreviated(now) + ")");
        }
        applied.insert(version);
      }
      if (first_look) report.already_applied = static_cast<int>(applied.size());
      first_look = false;

      auto pending = std::find_if(set.migrations.begin(), set.migrations.end(),
                                  [&](const Migration& m) { return !applied.contains(m.version); });
      if (pending == set.migrations.end()) return ok();
      const std::string id = migration_id(set.component, *pending);
      try {
        tx.exec(pending->sql);
      } catch (const pqxx::sql_error& e) {
        if (!tx.conn().is_open()) throw;  // let transact() reconnect and retry
        Error error = error_from_exception(e);
        error.message = "migration " + id + " failed: " + error.message;
        return std::unexpected(error);
      }
      tx.exec_params(
          "INSERT INTO tp_schema_migrations (component, version, name, checksum)"
          " VALUES ($1, $2, $3, $4)",
          set.component, pending->version, pending->name, sql_checksum(pending->sql));
      applied_now = pending->version;
      return ok();
    });
    if (!step) return std::unexpected(step.error());
    if (!applied_now) return report;
    report.applied.push_back(*applied_now);
  }
}

}  // namespace tp::store
