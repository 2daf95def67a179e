// The ledger_entries table: batched appends (in the checkpoint transaction)
// and chunked reads for verification. Schema: services/ledger/migrations.
//
//   // in Checkpointed::persist(pqxx::work& tx):
//   if (auto s = tp::ledger::write_entries(tx, core.unwritten()); !s) return s;
//
//   auto report = tp::ledger::verify_ledger(db, {.from = 0});
//   if (report && report->broken) std::cout << report->broken->reason;
//
// Thread safety: as the pqxx transaction / store::Database passed in.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ledger/core/chain_verifier.h"
#include "ledger/core/entry.h"
#include "tp/core/error.h"
#include "tp/store/database.h"

namespace tp::ledger {

// Appends the rows with one multi-row INSERT. A (stream, stream_sequence) or
// index already present fails the transaction (kAlreadyExists via
// store::Database), which is the last line of defence against duplicates.
[[nodiscard]] Status write_entries(pqxx::work& tx, std::span<const Entry> entries);

// Rows [from, from + limit) that exist, in index order.
[[nodiscard]] Result<std::vector<Entry>> read_entries(pqxx::work& tx, uint64_t from,
                                                      uint64_t limit);

struct VerifyOptions {
  uint64_t from = 0;
  std::optional<uint64_t> to;  // inclusive; empty = to the end of the log
  uint64_t chunk_rows = 20'000;
  // Called after every chunk with the number of rows checked so far.
  std::function<void(uint64_t)> progress;
};

struct VerifyReport {
  uint64_t from = 0;
  uint64_t checked = 0;  // entries that verified
  // Chain head recorded in the ledger's checkpoint, if any: the log must be
  // at least this long (a deleted tail is otherwise invisible).
  std::optional<uint64_t> checkpoint_next_index;
  std::optional<ChainBreak> broken;
};

// Recomputes the chain over [from, to] in one repeatable-read snapshot,
// reading chunk_rows rows at a time. Errors are database errors only; a
// broken chain is a report with `broken` set.
[[nodiscard]] Result<VerifyReport> verify_ledger(store::Database& db, const VerifyOptions& options);

}  // namespace tp::ledger
