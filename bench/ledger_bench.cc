// Ledger benchmarks, each beside a baseline measured in the same run:
//   append     LedgerCore (entry hash, leaf hash, tree nodes) + one transaction
//              per batch into a real PostgreSQL exactly as the service writes
//              it: SET LOCAL ROLE tp_ledger_writer, COPY of the entries and
//              tree nodes, the checkpoint upsert (tp::runtime::CheckpointStore)
//   baseline   a plain multi-row INSERT of the same rows (hashes precomputed)
//              into a table with the same columns and only a primary key, one
//              transaction per batch, no hashing, no tree, no checkpoint
//   verify     ChainVerifier::check_all over in-memory entries (payload digest,
//              entry hash, leaf hash, tree), on all cores and on one
//   sha256     raw SHA-256 of each entry's bytes (payload || canonical
//              encoding) on one core: the least any verifier must hash
//   verify_db  verify_ledger() over the appended log read from PostgreSQL
// Figures are medians of --repeat rounds. Output: JSON on stdout.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "ledger/core/chain_verifier.h"
#include "ledger/core/ledger_core.h"
#include "ledger/store/ledger_table.h"
#include "tp/migrations/ledger.h"
#include "tp/runtime/checkpoint.h"
#include "tp/store/migrations.h"
#include "tp/testing/postgres_server.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

[[noreturn]] void die(const std::string& what, const tp::Error& e) {
  std::cerr << "ledger_bench: " << what << ": " << e.to_string() << "\n";
  std::exit(1);
}

struct Args {
  uint64_t entries = 100'000;
  uint64_t verify_entries = 300'000;
  int repeat = 3;
  size_t batch = 256;
  size_t payload_bytes = 96;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const uint64_t v = std::stoull(argv[i + 1]);
    if (k == "--entries") a.entries = v;
    else if (k == "--verify-entries") a.verify_entries = v;
    else if (k == "--repeat") a.repeat = static_cast<int>(v);
    else if (k == "--batch") a.batch = v;
    else if (k == "--payload-bytes") a.payload_bytes = v;
    else {
      std::cerr << "usage: ledger_bench [--entries N] [--verify-entries N] [--repeat R] [--batch B] "
                   "[--payload-bytes P]\n";
      std::exit(2);
    }
  }
  return a;
}

// Message fields shaped like the platform's (a Bar on MD, ...).
struct Source {
  std::vector<std::string> subjects, ids, payloads;
  const char* streams[4] = {"MD", "SIG", "ORDERS", "EXEC"};
  explicit Source(uint64_t n, size_t payload_bytes) {
    subjects.reserve(n);
    ids.reserve(n);
    payloads.reserve(n);
    for (uint64_t i = 0; i < n; ++i) {
      subjects.push_back("md.bar.binance-us.BTCUSDT.1m." + std::to_string(i % 97));
      ids.push_back("bar:binance-us:BTCUSDT:1m:" + std::to_string(1677628800 + i * 60));
      std::string p(payload_bytes, '\0');
      for (size_t b = 0; b < payload_bytes; ++b) p[b] = static_cast<char>((i * 131 + b * 7) & 0xff);
      payloads.push_back(std::move(p));
    }
  }
  tp::ledger::Message message(uint64_t i) const {
    return {.stream = streams[i % 4],
            .stream_sequence = i / 4 + 1,
            .subject = subjects[i],
            .message_id = ids[i],
            .producer = "ingester",
            .message_type = "trading.v1.Bar",
            .key_id = "ingester-1",
            .payload = payloads[i],
            .published_ns = 1677628860000000000 + static_cast<int64_t>(i),
            .received_ns = 1677628860000000000 + static_cast<int64_t>(i) + 1000,
            .correlation_id = ids[i]};
  }
};

std::unique_ptr<tp::store::Database> fresh_db(tp::testing::PostgresServer& pg, const std::string& name,
                                              bool ledger_schema) {
  auto conn = pg.create_database(name);
  if (!conn) die("create database", conn.error());
  auto db = tp::store::Database::connect({.connection_string = *conn});
  if (!db) die("connect", db.error());
  if (ledger_schema) {
    for (const auto& set : {tp::runtime::checkpoint_migrations(), tp::migrations::ledger_migrations()})
      if (auto r = tp::store::apply_migrations(**db, set); !r) die("migrations", r.error());
  }
  return std::move(*db);
}

// The service's write path; returns entries/s.
double append_round(tp::store::Database& db, const Source& src, uint64_t n, size_t batch) {
  tp::ledger::LedgerCore core;
  tp::runtime::CheckpointStore checkpoints(db, "ledger");
  auto role = db.transact_value<std::optional<std::string>>(
      [](pqxx::work& tx) { return tp::ledger::writer_role(tx); });
  if (!role) die("writer role", role.error());
  std::map<std::string, uint64_t> applied;
  const auto start = Clock::now();
  for (uint64_t i = 0; i < n; i += batch) {
    const uint64_t end = std::min<uint64_t>(n, i + batch);
    for (uint64_t k = i; k < end; ++k) (void)core.append(src.message(k));
    applied["ledger-MD"] = end;
    auto s = checkpoints.save({core.snapshot(), applied}, [&](pqxx::work& tx) -> tp::Status {
      if (*role) tx.exec0("SET LOCAL ROLE " + tx.quote_name(**role));
      if (auto w = tp::ledger::write_batch(tx, core.unwritten(), core.unwritten_nodes()); !w) return w;
      if (*role) tx.exec0("RESET ROLE");
      return tp::ok();
    });
    if (!s) die("append", s.error());
    core.mark_written();
  }
  return static_cast<double>(n) / seconds_since(start);
}

// Plain multi-row INSERT of the same rows, hashes precomputed; entries/s.
double baseline_round(tp::store::Database& db, const std::vector<tp::ledger::Entry>& rows, size_t batch) {
  if (auto s = db.execute(
          "CREATE TABLE plain_entries (index bigint PRIMARY KEY, stream text, stream_sequence bigint, "
          "subject text, message_id text, producer text, message_type text, key_id text, payload bytea, "
          "payload_sha256 bytea, published_ns bigint, received_ns bigint, correlation_id text, "
          "previous_hash bytea, entry_hash bytea)");
      !s)
    die("baseline table", s.error());
  const auto start = Clock::now();
  for (size_t i = 0; i < rows.size(); i += batch) {
    auto s = db.transact([&](pqxx::work& tx) -> tp::Status {
      std::string sql = "INSERT INTO plain_entries VALUES ";
      auto bytes = [&](const std::string& b) {
        return tx.quote_raw(reinterpret_cast<const unsigned char*>(b.data()), b.size());
      };
      for (size_t k = i; k < std::min(rows.size(), i + batch); ++k) {
        const auto& e = rows[k];
        if (k > i) sql += ',';
        sql += "(" + std::to_string(e.index) + "," + tx.quote(e.stream) + "," +
               std::to_string(e.stream_sequence) + "," + tx.quote(e.subject) + "," +
               tx.quote(e.message_id) + "," + tx.quote(e.producer) + "," + tx.quote(e.message_type) +
               "," + tx.quote(e.key_id) + "," + bytes(e.payload) + "," + bytes(e.payload_sha256) + "," +
               std::to_string(e.published_ns) + "," + std::to_string(e.received_ns) + "," +
               tx.quote(e.correlation_id) + "," + bytes(e.previous_hash) + "," + bytes(e.entry_hash) + ")";
      }
      tx.exec0(sql);
      return tp::ok();
    });
    if (!s) die("baseline insert", s.error());
  }
  return static_cast<double>(rows.size()) / seconds_since(start);
}

std::vector<tp::ledger::Entry> build(const Source& src, uint64_t n) {
  tp::ledger::LedgerCore core;
  for (uint64_t i = 0; i < n; ++i) (void)core.append(src.message(i));
  return core.unwritten();
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());

  // ---- verification, in memory
  const Source vsrc(args.verify_entries, args.payload_bytes);
  const auto chain = build(vsrc, args.verify_entries);
  std::vector<std::string> raw;  // payload || encoding, per entry
  raw.reserve(chain.size());
  for (const auto& e : chain) raw.push_back(e.payload + tp::ledger::canonical_encoding(e));
  std::vector<double> verify, verify_one, sha;
  for (int r = 0; r < args.repeat; ++r) {
    for (unsigned t : {threads, 1u}) {
      tp::ledger::ChainVerifier v;
      const auto start = Clock::now();
      if (!v.check_all(chain, t) || v.checked() != chain.size()) {
        std::cerr << "ledger_bench: the chain does not verify\n";
        return 1;
      }
      (t == threads ? verify : verify_one).push_back(static_cast<double>(chain.size()) / seconds_since(start));
    }
    unsigned char out[32];
    unsigned char sink = 0;
    const auto start = Clock::now();
    for (const auto& b : raw) {
      SHA256_CTX c;
      SHA256_Init(&c);
      SHA256_Update(&c, b.data(), b.size());
      SHA256_Final(out, &c);
      sink ^= out[0];
    }
    sha.push_back(static_cast<double>(raw.size()) / seconds_since(start));
    if (sink == 0xff) std::cerr << "";  // keep the loop
  }

  // ---- appends into PostgreSQL
  auto pg = tp::testing::PostgresServer::start();
  if (!pg) die("postgres", pg.error());
  const Source src(args.entries, args.payload_bytes);
  const auto rows = build(src, args.entries);
  std::vector<double> append, baseline, verify_db;
  for (int r = 0; r < args.repeat; ++r) {
    auto base_db = fresh_db(**pg, "baseline_" + std::to_string(r), false);
    baseline.push_back(baseline_round(*base_db, rows, args.batch));
    auto db = fresh_db(**pg, "append_" + std::to_string(r), true);
    append.push_back(append_round(*db, src, args.entries, args.batch));
    const auto start = Clock::now();
    auto report = tp::ledger::verify_ledger(*db, {});
    if (!report) die("verify_ledger", report.error());
    if (report->broken || report->checked != args.entries) {
      std::cerr << "ledger_bench: the stored log does not verify: "
                << (report->broken ? report->broken->reason : "short") << "\n";
      return 1;
    }
    verify_db.push_back(static_cast<double>(report->checked) / seconds_since(start));
  }

  const double append_m = median(append), baseline_m = median(baseline);
  const double verify_m = median(verify), sha_m = median(sha);
  nlohmann::json j = {
      {"entries_per_round", args.entries},
      {"verify_entries", args.verify_entries},
      {"payload_bytes", args.payload_bytes},
      {"batch_size", args.batch},
      {"rounds", args.repeat},
      {"threads", threads},
      {"append_per_second", append_m},
      {"append_rounds", append},
      {"baseline_insert_per_second", baseline_m},
      {"baseline_insert_rounds", baseline},
      {"append_to_baseline_ratio", baseline_m > 0 ? append_m / baseline_m : 0},
      {"verify_per_second", verify_m},
      {"verify_rounds", verify},
      {"verify_single_thread_per_second", median(verify_one)},
      {"baseline_sha256_per_second", sha_m},
      {"verify_to_sha256_ratio", sha_m > 0 ? verify_m / sha_m : 0},
      {"verify_db_per_second", median(verify_db)},
      {"target_append_per_second", 20000},
      {"target_verify_per_second", 1000000},
      {"meets_append_target", append_m >= 20000},
      {"meets_verify_target", verify_m >= 1000000}};
  std::cout << j.dump(2) << "\n";
  return 0;
}
