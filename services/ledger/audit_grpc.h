// trading.v1.AuditService over the ledger's tables (docs/services/ledger.md):
//   GetTreeHead          tree_size 0: the latest signed head; else the head
//                        of that size (signed on demand if none was issued)
//   GetInclusionProof    RFC 6962 audit path of leaf_index in a tree of
//                        tree_size (0: the latest head's size), from stored nodes
//   GetConsistencyProof  RFC 6962 proof that `first` is a prefix of `second`
//                        (0: the latest head's size)
//   GetEntries           entries by index range, published time range,
//                        correlation id, subject prefix, message type
//
// Threading: gRPC threads; the database is serialised by store::Database,
// signing by the TreeHeadIssuer.
#pragma once

#include <atomic>

#include "ledger/core/entry.h"
#include "ledger/core/tree_head.h"
#include "tp/store/database.h"
#include "trading/v1/services.grpc.pb.h"
#include "tree_heads.h"

namespace tp::ledger {

trading::v1::SignedTreeHead to_proto(const SignedTreeHead& head);
[[nodiscard]] Result<SignedTreeHead> from_proto(const trading::v1::SignedTreeHead& head);
trading::v1::AuditEntry to_proto(const Entry& entry);
Entry from_proto(const trading::v1::AuditEntry& entry);

class AuditGrpcService final : public trading::v1::AuditService::Service {
 public:
  AuditGrpcService(store::Database& db, TreeHeadIssuer& issuer) : db_(db), issuer_(issuer) {}

  void set_serving(bool serving) { serving_ = serving; }

  grpc::Status GetTreeHead(grpc::ServerContext*, const trading::v1::GetTreeHeadRequest*,
                           trading::v1::SignedTreeHead*) override;
  grpc::Status GetInclusionProof(grpc::ServerContext*, const trading::v1::GetInclusionProofRequest*,
                                 trading::v1::InclusionProof*) override;
  grpc::Status GetConsistencyProof(grpc::ServerContext*,
                                   const trading::v1::GetConsistencyProofRequest*,
                                   trading::v1::ConsistencyProof*) override;
  grpc::Status GetEntries(grpc::ServerContext*, const trading::v1::GetEntriesRequest*,
                          trading::v1::GetEntriesResponse*) override;

 private:
  Result<uint64_t> size_or_latest(uint64_t size);

  store::Database& db_;
  TreeHeadIssuer& issuer_;
  std::atomic<bool> serving_{false};
};

}  // namespace tp::ledger
