#include "verification.h"

#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "tp/observability/log.h"

namespace tp::ledger {

LedgerVerifier::LedgerVerifier(store::Database& db, const Clock& clock,
                               obs::ServiceMetrics& metrics,
                               std::chrono::milliseconds full_interval, unsigned threads)
    : db_(db),
      clock_(clock),
      full_interval_(full_interval),
      threads_(threads),
      ok_(prometheus::BuildGauge()
              .Name("tp_ledger_verification_ok")
              .Help("1 if the last periodic verification of the hash chain, Merkle tree and "
                    "signed tree heads passed, 0 if not.")
              .Labels(metrics.constant_labels())
              .Register(metrics.registry())
              .Add({})),
      timestamp_(prometheus::BuildGauge()
                     .Name("tp_ledger_last_verification_timestamp_seconds")
                     .Help("Unix time of the last periodic verification (passed or not).")
                     .Labels(metrics.constant_labels())
                     .Register(metrics.registry())
                     .Add({})) {}

VerificationOutcome LedgerVerifier::run() {
  VerificationOutcome out;
  out.timestamp_ns = clock_.now_ns();
  const bool full = !prefix_ || (full_interval_.count() > 0 &&
                                 out.timestamp_ns - last_full_ns_ >=
                                     std::chrono::nanoseconds(full_interval_).count());
  out.full = full;
  VerifyOptions options{.threads = threads_};
  if (!full) options.seed = prefix_;
  out.from = full ? 0 : prefix_->next_index;
  auto report = verify_ledger(db_, options);
  if (!report) {
    out.error = report.error().to_string();
    out.verified_to = prefix_ ? prefix_->next_index : 0;
    log::error("ledger: verification could not run", {{"error", *out.error}});
  } else if (report->broken) {
    out.broken = report->broken;
    out.verified_to = prefix_ ? prefix_->next_index : 0;
    log::critical("ledger: verification FAILED",
                  {{"first_bad_index", static_cast<int64_t>(report->broken->index)},
                   {"reason", report->broken->reason},
                   {"from", static_cast<int64_t>(out.from)},
                   {"full", full}});
  } else {
    out.ok = true;
    prefix_ = report->verified;
    if (full) last_full_ns_ = out.timestamp_ns;
    out.verified_to = prefix_ ? prefix_->next_index : 0;
    log::info("ledger: verified",
              {{"from", static_cast<int64_t>(out.from)},
               {"entries", static_cast<int64_t>(out.verified_to)},
               {"tree_heads", static_cast<int64_t>(report->tree_heads_checked)},
               {"full", full}});
    for (const auto& note : report->notes) log::warn("ledger: verification note", {{"note", note}});
  }
  ok_.Set(out.ok ? 1 : 0);
  timestamp_.Set(static_cast<double>(out.timestamp_ns) / 1e9);
  return out;
}

}  // namespace tp::ledger
