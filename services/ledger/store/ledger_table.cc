#include "ledger/store/ledger_table.h"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "tp/signing/hmac.h"

namespace tp::ledger {

namespace {

constexpr const char* kColumns =
    "index, stream, stream_sequence, subject, message_id, producer, message_type, key_id, "
    "payload, payload_sha256, published_ns, received_ns, correlation_id, previous_hash, "
    "entry_hash";

std::string bytea(const pqxx::work& tx, const std::string& bytes) {
  return tx.quote_raw(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

std::string raw(const pqxx::field& f) {
  pqxx::binarystring b(f);
  return b.str();
}

Entry entry_from_row(const pqxx::row& r) {
  Entry e;
  e.index = r[0].as<uint64_t>();
  e.stream = r[1].c_str();
  e.stream_sequence = r[2].as<uint64_t>();
  e.subject = r[3].c_str();
  e.message_id = r[4].c_str();
  e.producer = r[5].c_str();
  e.message_type = r[6].c_str();
  e.key_id = r[7].c_str();
  e.payload = raw(r[8]);
  e.payload_sha256 = raw(r[9]);
  e.published_ns = r[10].as<int64_t>();
  e.received_ns = r[11].as<int64_t>();
  e.correlation_id = r[12].c_str();
  e.previous_hash = raw(r[13]);
  e.entry_hash = raw(r[14]);
  return e;
}

struct CheckpointHead {
  uint64_t next_index = 0;
  std::string last_hash;
};

// The chain head in the ledger's own checkpoint (written in the same
// transaction as the rows), or nothing if the ledger never checkpointed.
Result<std::optional<CheckpointHead>> checkpoint_head(pqxx::work& tx) {
  auto exists = tx.exec("SELECT to_regclass('tp_checkpoints') IS NOT NULL");
  if (!exists[0][0].as<bool>()) return std::optional<CheckpointHead>{};
  auto rows = tx.exec("SELECT snapshot FROM tp_checkpoints WHERE service = 'ledger'");
  if (rows.empty()) return std::optional<CheckpointHead>{};
  auto j = nlohmann::json::parse(raw(rows[0][0]), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("next_index") ||
      !j["next_index"].is_number_unsigned() || !j.contains("last_hash") ||
      !j["last_hash"].is_string())
    return make_error(ErrorCode::kDataLoss, "the ledger checkpoint is not a valid chain head");
  auto hash = signing::from_hex(j["last_hash"].get<std::string>());
  if (!hash) return make_error(ErrorCode::kDataLoss, "the ledger checkpoint's last_hash is not hex");
  return std::optional<CheckpointHead>(CheckpointHead{j["next_index"].get<uint64_t>(), *hash});
}

}  // namespace

Status write_entries(pqxx::work& tx, std::span<const Entry> entries) {
  if (entries.empty()) return ok();
  std::string sql = "INSERT INTO ledger_entries (";
  sql += kColumns;
  sql += ") VALUES ";
  bool first = true;
  for (const Entry& e : entries) {
    if (!first) sql += ',';
    first = false;
    sql += '(';
    sql += std::to_string(e.index) + ',' + tx.quote(e.stream) + ',' +
           std::to_string(e.stream_sequence) + ',' + tx.quote(e.subject) + ',' +
           tx.quote(e.message_id) + ',' + tx.quote(e.producer) + ',' + tx.quote(e.message_type) +
           ',' + tx.quote(e.key_id) + ',' + bytea(tx, e.payload) + ',' +
           bytea(tx, e.payload_sha256) + ',' + std::to_string(e.published_ns) + ',' +
           std::to_string(e.received_ns) + ',' + tx.quote(e.correlation_id) + ',' +
           bytea(tx, e.previous_hash) + ',' + bytea(tx, e.entry_hash);
    sql += ')';
  }
  tx.exec0(sql);
  return ok();
}

Result<std::vector<Entry>> read_entries(pqxx::work& tx, uint64_t from, uint64_t limit) {
  std::vector<Entry> out;
  auto rows = tx.exec_params(std::string("SELECT ") + kColumns +
                                 " FROM ledger_entries WHERE index >= $1 ORDER BY index LIMIT $2",
                             static_cast<int64_t>(from), static_cast<int64_t>(limit));
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(entry_from_row(r));
  return out;
}

Result<VerifyReport> verify_ledger(store::Database& db, const VerifyOptions& options) {
  if (options.to && *options.to < options.from)
    return make_error(ErrorCode::kInvalidArgument,
                      "--to " + std::to_string(*options.to) + " is before --from " +
                          std::to_string(options.from));
  if (options.chunk_rows == 0)
    return make_error(ErrorCode::kInvalidArgument, "chunk_rows must be positive");
  return db.transact_value<VerifyReport>([&](pqxx::work& tx) -> Result<VerifyReport> {
    // One snapshot for every chunk, while the ledger keeps appending.
    tx.exec0("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
    VerifyReport report;
    report.from = options.from;
    auto head = checkpoint_head(tx);
    if (!head) return std::unexpected(head.error());
    if (*head) report.checkpoint_next_index = (*head)->next_index;

    std::string previous = zero_hash();
    if (options.from > 0) {
      auto rows = tx.exec_params("SELECT entry_hash FROM ledger_entries WHERE index = $1",
                                 static_cast<int64_t>(options.from - 1));
      if (rows.empty()) {
        report.broken = ChainBreak{options.from - 1,
                                   "index gap at " + std::to_string(options.from - 1) + ": entry " +
                                       std::to_string(options.from - 1) +
                                       " (the link into --from) is missing"};
        return report;
      }
      previous = raw(rows[0][0]);
    }
    ChainVerifier verifier(options.from, previous);
    uint64_t next = options.from;
    bool more = true;
    while (more) {
      uint64_t limit = options.chunk_rows;
      if (options.to) limit = std::min<uint64_t>(limit, *options.to - next + 1);
      auto rows = read_entries(tx, next, limit);
      if (!rows) return std::unexpected(rows.error());
      for (const Entry& e : *rows) {
        if (!verifier.check(e)) break;
      }
      if (verifier.broken()) break;
      more = rows->size() == limit && !(options.to && verifier.next_index() > *options.to);
      next = verifier.next_index();
      if (options.progress) options.progress(verifier.checked());
    }
    if (!verifier.broken()) {
      if (options.to) {
        verifier.expect_end(*options.to + 1);
      } else if (*head) {
        const uint64_t end = verifier.next_index();
        const auto& cp = **head;
        if (end < cp.next_index) {
          verifier.expect_end(cp.next_index);
        } else if (end > cp.next_index) {
          report.broken =
              ChainBreak{cp.next_index, "entries beyond the checkpoint at " +
                                            std::to_string(cp.next_index) +
                                            ": the ledger checkpoint records " +
                                            std::to_string(cp.next_index) +
                                            " entries, the log has " + std::to_string(end)};
        } else if (end > options.from && cp.last_hash != verifier.last_hash()) {
          report.broken = ChainBreak{
              end - 1, "chain head mismatch at index " + std::to_string(end - 1) +
                           ": the ledger checkpoint records last hash " +
                           signing::to_hex(cp.last_hash) + ", the log ends with " +
                           signing::to_hex(verifier.last_hash())};
        }
      }
    }
    report.checked = verifier.checked();
    if (!report.broken) report.broken = verifier.broken();
    return report;
  });
}

}  // namespace tp::ledger
