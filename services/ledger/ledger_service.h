// The ledger service shell: one durable consumer per stream ("ledger-<STREAM>"),
// every verified message appended to the hash chain and the Merkle tree,
// entries and tree nodes written in the checkpoint transaction under the
// append-only writer role, signed tree heads issued periodically, and the
// gRPC AuditService. See services/ledger/README.md.
//
// Threading: the runtime's consumer loops call the handler and the
// Checkpointed methods one batch at a time (shared batch mutex); the
// "tree-heads" and "verification" workers and the gRPC threads only use the database (through
// store::Database, which serialises calls) and the issuer; the probe's
// prometheus metrics are thread-safe for the scraper.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ledger/core/ledger_core.h"
#include "ledger/core/tree_head.h"
#include "tp/runtime/service.h"

namespace tp::rpc {
class GrpcServer;
}

namespace tp::ledger {

class LedgerProbe;
class TreeHeadIssuer;
class AuditGrpcService;
class LedgerVerifier;

struct LedgerConfig {
  std::string grpc_address = "127.0.0.1:50063";
  std::chrono::milliseconds tree_head_interval{10'000};
  std::string key_file;  // empty: ledger-tree-head.pem beside keys.file
  bool create_key = true;
  // Periodic self-verification (verification.h); 0 = off.
  std::chrono::milliseconds verification_interval{5 * 60'000};
  // How often a run re-verifies from entry 0 instead of incrementally
  // (0 = only the first run after start-up).
  std::chrono::milliseconds verification_full_interval{24 * 3600'000};
};

class LedgerService final : public runtime::Service {
 public:
  LedgerService();
  ~LedgerService() override;

  std::string name() const override { return "ledger"; }
  void read_config(config::Reader& reader) override;
  std::vector<store::MigrationSet> migrations() const override;
  [[nodiscard]] Status start(runtime::ServiceContext& context) override;
  void stop() override;

 private:
  class Checkpoint;
  LedgerConfig config_;
  LedgerCore core_;
  std::unique_ptr<LedgerProbe> probe_;
  std::unique_ptr<Checkpoint> checkpoint_;
  std::optional<TreeHeadSigner> signer_;
  std::unique_ptr<TreeHeadIssuer> issuer_;
  std::unique_ptr<store::Database> verify_db_;  // the verifier's own connection
  std::unique_ptr<LedgerVerifier> verifier_;
  std::unique_ptr<AuditGrpcService> grpc_service_;
  std::unique_ptr<rpc::GrpcServer> server_;
};

}  // namespace tp::ledger
