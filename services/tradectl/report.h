// What tradectl prints for `positions`, `audit verify` and `summary`: plain
// data gathered from PostgreSQL (queries.h) and pure renderers, so the
// formatting is unit-tested without a database. Money is rendered exactly
// with tp::fixed::to_string.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "performance.h"

namespace tp::tradectl {

struct PositionRow {
  std::string strategy;
  std::string venue;
  std::string symbol;
  int64_t bar_time_ns = 0;
  int64_t quantity_e8 = 0;
  int64_t average_cost_e8 = 0;
  int64_t realized_pnl_e8 = 0;    // gross of fees
  int64_t unrealized_pnl_e8 = 0;
  int64_t fees_e8 = 0;
  int64_t mark_price_e8 = 0;
  int64_t cash_e8 = 0;
  int64_t equity_e8 = 0;
};

// "2023-03-01T00:00:00Z" for a Unix time in ns (UTC, whole seconds).
std::string format_time(int64_t unix_ns);

std::string render_positions(const std::vector<PositionRow>& rows);

struct AuditResult {
  uint64_t from = 0;
  uint64_t checked = 0;
  double seconds = 0;
  std::optional<uint64_t> broken_index;
  std::string broken_reason;
  // The Merkle tree and signed tree heads (audit verify).
  bool tree_checked = false;
  uint64_t tree_size = 0;
  std::string root_hex;
  uint64_t nodes_checked = 0;
  uint64_t heads_checked = 0;
  std::optional<uint64_t> latest_head_size;
  bool key_pinned = false;
  std::vector<std::string> notes;
};

// "checked 1200 entries (0..1199) in 0.012 s (100000 entries/s)\n"
// ["tree: ...\ntree heads: ...\n"] ["note: ...\n"...] "OK\n" or
// "BROKEN at index 7: hash mismatch at index 7: ...\n".
std::string render_audit(const AuditResult& result);

// One ledger entry as `audit entries` lists it.
struct EntryRow {
  uint64_t index = 0;
  int64_t published_ns = 0;
  std::string stream;
  uint64_t stream_sequence = 0;
  std::string message_type;
  std::string subject;
  std::string producer;
  std::string correlation_id;
};

// A table (index, published (UTC, ms), stream, seq, type, subject,
// producer, correlation) and "N entries\n"; "no entries\n" when empty.
std::string render_entries(const std::vector<EntryRow>& rows);

// "2023-03-01T00:00:00.123Z" for a Unix time in ns (UTC, milliseconds).
std::string format_time_ms(int64_t unix_ns);

struct InstrumentPerformance {
  std::string instrument;  // "venue/symbol"
  Performance performance;
};

struct StreamCount {
  std::string stream;
  int64_t ledger_entries = 0;
  std::optional<int64_t> broker_messages;  // from the nats monitor, if asked
};

struct Summary {
  std::map<std::string, int64_t> messages_by_type;      // every ledger entry
  std::map<std::string, int64_t> bars_by_quality;       // "OK", "ZERO_VOLUME+GAP_BEFORE", ...
  std::map<std::string, int64_t> posteriors_by_model_and_label;  // "hmm-5d41402abc4b2a76 REGIME_BULL"
  std::map<std::string, int64_t> rejections_by_reason;  // REJECT_* names
  std::map<std::string, int64_t> reports_by_exec_type;  // EXEC_* names
  std::map<std::string, int64_t> dead_letters_by_reason;
  bool execsim_tables = false;
  std::vector<PositionRow> positions;
  std::vector<InstrumentPerformance> performance;
  std::vector<StreamCount> streams;
  std::optional<AuditResult> audit;
  std::vector<std::string> notes;  // e.g. what could not be read
};

// "OK" for 0; otherwise the flag names joined by '+', e.g. "ZERO_VOLUME+GAP_BEFORE";
// unknown bits as "0x40".
std::string quality_label(uint32_t flags);

std::string render_summary(const Summary& summary);

}  // namespace tp::tradectl
