#include "audit_grpc.h"

#include <pqxx/pqxx>

#include "ledger/store/ledger_table.h"
#include "tp/rpc/grpc_server.h"

namespace tp::ledger {

namespace {

grpc::Status invalid(const std::string& text) { return {grpc::StatusCode::INVALID_ARGUMENT, text}; }

}  // namespace

trading::v1::SignedTreeHead to_proto(const SignedTreeHead& h) {
  trading::v1::SignedTreeHead p;
  p.set_tree_size(h.tree_size);
  p.set_root_hash(to_bytes(h.root));
  p.set_timestamp_ns(h.timestamp_ns);
  p.set_key_id(h.key_id);
  p.set_signature(h.signature);
  return p;
}

Result<SignedTreeHead> from_proto(const trading::v1::SignedTreeHead& p) {
  auto root = to_digest(p.root_hash());
  if (!root) return make_error(ErrorCode::kInvalidArgument, "tree head root: " + root.error().message);
  return SignedTreeHead{.tree_size = p.tree_size(), .root = *root, .timestamp_ns = p.timestamp_ns(),
                        .key_id = p.key_id(), .signature = p.signature()};
}

trading::v1::AuditEntry to_proto(const Entry& e) {
  trading::v1::AuditEntry p;
  p.set_index(e.index);
  p.set_stream(e.stream);
  p.set_stream_sequence(e.stream_sequence);
  p.set_subject(e.subject);
  p.set_message_id(e.message_id);
  p.set_producer(e.producer);
  p.set_message_type(e.message_type);
  p.set_key_id(e.key_id);
  p.set_payload(e.payload);
  p.set_payload_sha256(e.payload_sha256);
  p.set_published_ns(e.published_ns);
  p.set_received_ns(e.received_ns);
  p.set_correlation_id(e.correlation_id);
  p.set_previous_hash(e.previous_hash);
  p.set_entry_hash(e.entry_hash);
  return p;
}

Entry from_proto(const trading::v1::AuditEntry& p) {
  return Entry{.index = p.index(), .stream = p.stream(), .stream_sequence = p.stream_sequence(),
               .subject = p.subject(), .message_id = p.message_id(), .producer = p.producer(),
               .message_type = p.message_type(), .key_id = p.key_id(), .payload = p.payload(),
               .payload_sha256 = p.payload_sha256(), .published_ns = p.published_ns(),
               .received_ns = p.received_ns(), .correlation_id = p.correlation_id(),
               .previous_hash = p.previous_hash(), .entry_hash = p.entry_hash()};
}

Result<uint64_t> AuditGrpcService::size_or_latest(uint64_t size) {
  if (size != 0) return size;
  auto head = issuer_.latest();
  if (!head) return std::unexpected(head.error());
  return head->tree_size;
}

grpc::Status AuditGrpcService::GetTreeHead(grpc::ServerContext*,
                                           const trading::v1::GetTreeHeadRequest* req,
                                           trading::v1::SignedTreeHead* resp) {
  if (!serving_) return rpc::starting("ledger");
  auto head = req->tree_size() == 0 ? issuer_.latest() : issuer_.head_at(req->tree_size());
  if (!head) return rpc::to_grpc(head.error());
  *resp = to_proto(*head);
  return grpc::Status::OK;
}

grpc::Status AuditGrpcService::GetInclusionProof(grpc::ServerContext*,
                                                 const trading::v1::GetInclusionProofRequest* req,
                                                 trading::v1::InclusionProof* resp) {
  if (!serving_) return rpc::starting("ledger");
  auto size = size_or_latest(req->tree_size());
  if (!size) return rpc::to_grpc(size.error());
  if (req->leaf_index() >= *size)
    return invalid("entry " + std::to_string(req->leaf_index()) + " is not in a tree of " +
                   std::to_string(*size) + " entries");
  auto proof = db_.transact_value<trading::v1::InclusionProof>(
      [&](pqxx::work& tx) -> Result<trading::v1::InclusionProof> {
        auto have = stored_size(tx);
        if (!have) return std::unexpected(have.error());
        if (*size > *have)
          return make_error(ErrorCode::kNotFound, "the log has " + std::to_string(*have) +
                                                      " entries, fewer than " + std::to_string(*size));
        auto path = stored_inclusion_proof(tx, req->leaf_index(), *size);
        if (!path) return std::unexpected(path.error());
        auto leaf = read_tree_nodes(tx, {{0, req->leaf_index()}});
        if (!leaf) return std::unexpected(leaf.error());
        trading::v1::InclusionProof p;
        p.set_leaf_index(req->leaf_index());
        p.set_tree_size(*size);
        for (const auto& d : *path) p.add_audit_path(to_bytes(d));
        if (auto it = leaf->find({0, req->leaf_index()}); it != leaf->end())
          p.set_leaf_hash(to_bytes(it->second));
        return p;
      });
  if (!proof) return rpc::to_grpc(proof.error());
  *resp = std::move(*proof);
  return grpc::Status::OK;
}

grpc::Status AuditGrpcService::GetConsistencyProof(
    grpc::ServerContext*, const trading::v1::GetConsistencyProofRequest* req,
    trading::v1::ConsistencyProof* resp) {
  if (!serving_) return rpc::starting("ledger");
  auto second = size_or_latest(req->second());
  if (!second) return rpc::to_grpc(second.error());
  if (req->first() > *second)
    return invalid("a tree of " + std::to_string(req->first()) +
                   " entries cannot be a prefix of one of " + std::to_string(*second));
  auto proof = db_.transact_value<std::vector<Digest>>([&](pqxx::work& tx) -> Result<std::vector<Digest>> {
    auto have = stored_size(tx);
    if (!have) return std::unexpected(have.error());
    if (*second > *have)
      return make_error(ErrorCode::kNotFound, "the log has " + std::to_string(*have) +
                                                  " entries, fewer than " + std::to_string(*second));
    return stored_consistency_proof(tx, req->first(), *second);
  });
  if (!proof) return rpc::to_grpc(proof.error());
  resp->set_first(req->first());
  resp->set_second(*second);
  for (const auto& d : *proof) resp->add_proof(to_bytes(d));
  return grpc::Status::OK;
}

grpc::Status AuditGrpcService::GetEntries(grpc::ServerContext*,
                                          const trading::v1::GetEntriesRequest* req,
                                          trading::v1::GetEntriesResponse* resp) {
  if (!serving_) return rpc::starting("ledger");
  EntryQuery q;
  q.from_index = req->from_index();
  if (req->to_index() != 0) q.to_index = req->to_index();
  if (req->from_time_ns() != 0) q.from_time_ns = req->from_time_ns();
  if (req->to_time_ns() != 0) q.to_time_ns = req->to_time_ns();
  q.correlation_id = req->correlation_id();
  q.subject_prefix = req->subject_prefix();
  q.message_type = req->message_type();
  q.limit = req->limit();
  q.by_published_time = req->by_published_time();
  auto rows = db_.transact_value<std::vector<Entry>>([&](pqxx::work& tx) { return query_entries(tx, q); });
  if (!rows) return rpc::to_grpc(rows.error());
  for (const auto& e : *rows) *resp->add_entries() = to_proto(e);
  return grpc::Status::OK;
}

}  // namespace tp::ledger
