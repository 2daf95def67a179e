#include "ledger/core/ledger_core.h"

#include <nlohmann/json.hpp>

#include "tp/signing/hmac.h"

namespace tp::ledger {

namespace {

Status snapshot_error(const std::string& what) {
  return make_error(ErrorCode::kDataLoss, "ledger snapshot: " + what);
}

}  // namespace

uint64_t LedgerCore::last_sequence(std::string_view stream) const {
  auto it = last_sequence_.find(stream);
  return it == last_sequence_.end() ? 0 : it->second;
}

AppendResult LedgerCore::append(const Message& m) {
  if (written_) {
    // The previous batch's checkpoint committed (otherwise the runtime
    // would have called discard_unwritten()): its entries are stored.
    unwritten_.clear();
    unwritten_nodes_.clear();
    written_ = false;
  }
  auto it = last_sequence_.find(m.stream);
  if (it != last_sequence_.end() && m.stream_sequence <= it->second)
    return AppendResult::kDuplicate;

  Entry e;
  e.index = next_index_;
  e.stream = std::string(m.stream);
  e.stream_sequence = m.stream_sequence;
  e.subject = std::string(m.subject);
  e.message_id = std::string(m.message_id);
  e.producer = std::string(m.producer);
  e.message_type = std::string(m.message_type);
  e.key_id = std::string(m.key_id);
  e.payload = std::string(m.payload);
  e.payload_sha256 = sha256(e.payload);
  e.published_ns = m.published_ns;
  e.received_ns = m.received_ns;
  e.correlation_id = std::string(m.correlation_id);
  e.previous_hash = last_hash_;
  Digest entry{};
  Digest leaf{};
  entry_and_leaf_hash(e, scratch_, entry.data(), leaf.data());
  e.entry_hash = to_bytes(entry);
  tree_.append(leaf, &unwritten_nodes_);

  last_hash_ = e.entry_hash;
  ++next_index_;
  if (it == last_sequence_.end())
    last_sequence_.emplace(std::string(m.stream), m.stream_sequence);
  else
    it->second = m.stream_sequence;
  unwritten_.push_back(std::move(e));
  return AppendResult::kAppended;
}

bool LedgerCore::mark_written() {
  const bool first = !written_;
  written_ = true;
  return first;
}

void LedgerCore::discard_unwritten() {
  unwritten_.clear();
  unwritten_nodes_.clear();
  written_ = false;
}

Status LedgerCore::set_tree(CompactRange tree) {
  if (tree.size() != next_index_)
    return make_error(ErrorCode::kDataLoss, "ledger tree: the rebuilt tree has " +
                                                std::to_string(tree.size()) + " leaves, the chain " +
                                                std::to_string(next_index_) + " entries");
  tree_ = std::move(tree);
  needs_tree_ = false;
  return ok();
}

std::string LedgerCore::snapshot() const {
  nlohmann::json j;
  j["next_index"] = next_index_;
  j["last_hash"] = signing::to_hex(last_hash_);
  nlohmann::json seq = nlohmann::json::object();
  for (const auto& [stream, s] : last_sequence_) seq[stream] = s;
  j["last_sequence"] = std::move(seq);
  nlohmann::json tree = nlohmann::json::array();
  for (const auto& h : tree_.hashes()) tree.push_back(signing::to_hex(to_bytes(h)));
  j["tree"] = std::move(tree);
  return j.dump();
}

Status LedgerCore::restore(std::string_view snapshot) {
  auto j = nlohmann::json::parse(snapshot, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return snapshot_error("not a JSON object");
  if (!j.contains("next_index") || !j["next_index"].is_number_unsigned())
    return snapshot_error("next_index must be an unsigned integer");
  if (!j.contains("last_hash") || !j["last_hash"].is_string())
    return snapshot_error("last_hash must be 64 hex characters");
  auto hash = signing::from_hex(j["last_hash"].get<std::string>());
  if (!hash || hash->size() != kHashSize)
    return snapshot_error("last_hash must be 64 hex characters");
  if (!j.contains("last_sequence") || !j["last_sequence"].is_object())
    return snapshot_error("last_sequence must be an object");
  std::map<std::string, uint64_t, std::less<>> sequences;
  for (const auto& [stream, s] : j["last_sequence"].items()) {
    if (!s.is_number_unsigned())
      return snapshot_error("last_sequence." + stream + " must be an unsigned integer");
    sequences[stream] = s.get<uint64_t>();
  }
  const auto next = j["next_index"].get<uint64_t>();
  if (next == 0 && *hash != zero_hash())
    return snapshot_error("an empty chain must have the zero last_hash");
  CompactRange tree;
  bool needs_tree = false;
  if (j.contains("tree")) {
    if (!j["tree"].is_array()) return snapshot_error("tree must be an array of hashes");
    std::vector<Digest> hashes;
    for (const auto& h : j["tree"]) {
      if (!h.is_string()) return snapshot_error("tree hashes must be 64 hex characters");
      auto bytes = signing::from_hex(h.get<std::string>());
      if (!bytes) return snapshot_error("tree hashes must be 64 hex characters");
      auto d = to_digest(*bytes);
      if (!d) return snapshot_error("tree hashes must be 64 hex characters");
      hashes.push_back(*d);
    }
    auto range = CompactRange::create(next, std::move(hashes));
    if (!range) return snapshot_error(range.error().message);
    tree = std::move(*range);
  } else {
    needs_tree = next > 0;  // written before the Merkle tree: rebuild it
  }
  next_index_ = next;
  tree_ = std::move(tree);
  needs_tree_ = needs_tree;
  last_hash_ = std::move(*hash);
  last_sequence_ = std::move(sequences);
  discard_unwritten();
  return ok();
}

}  // namespace tp::ledger
