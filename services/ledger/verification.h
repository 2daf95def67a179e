// The ledger's periodic self-verification: the "verification" worker runs
// LedgerVerifier::run() every `verification.interval` and exports
//   tp_ledger_verification_ok                      1 = the last run passed
//   tp_ledger_last_verification_timestamp_seconds  Unix time of that run
//
// The first run (and one every `verification.full_interval`) verifies the
// whole log from entry 0 (verify_ledger: chain, stored tree nodes, signed
// tree heads, checkpoint); the others continue from the prefix the last
// passing run verified (held in memory, see VerifiedPrefix), so their cost
// is proportional to the entries appended since. A failed run does not
// advance the prefix: the next run verifies the same range again (and the
// gauge stays 0 until the log verifies). A database error is not a
// verification result: it is logged, counts as a failed run (ok = 0), and
// the prefix is kept.
//
// Thread safety: run() from one thread (the worker); the gauges are
// thread-safe for the scraper.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "ledger/store/ledger_table.h"
#include "tp/core/clock.h"
#include "tp/observability/service_metrics.h"
#include "tp/store/database.h"

namespace prometheus {
class Gauge;
}

namespace tp::ledger {

struct VerificationOutcome {
  bool ok = false;
  bool full = false;           // verified from entry 0
  int64_t timestamp_ns = 0;    // the clock when the run started
  uint64_t from = 0;           // first entry checked by this run
  uint64_t verified_to = 0;    // entries [0, verified_to) verified so far
  std::optional<ChainBreak> broken;
  std::optional<std::string> error;  // database error (no verdict)
};

class LedgerVerifier {
 public:
  // `full_interval` 0: only the first run is full.
  LedgerVerifier(store::Database& db, const Clock& clock, obs::ServiceMetrics& metrics,
                 std::chrono::milliseconds full_interval, unsigned threads = 0);

  // One verification; sets the gauges and logs (critical on a broken log).
  VerificationOutcome run();

  // Forces the next run to verify from entry 0.
  void force_full() { prefix_.reset(); }

 private:
  store::Database& db_;
  const Clock& clock_;
  std::chrono::milliseconds full_interval_;
  unsigned threads_;
  std::optional<VerifiedPrefix> prefix_;
  int64_t last_full_ns_ = 0;
  prometheus::Gauge& ok_;
  prometheus::Gauge& timestamp_;
};

}  // namespace tp::ledger
