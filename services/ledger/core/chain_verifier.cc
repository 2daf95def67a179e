#include "ledger/core/chain_verifier.h"

#include "tp/signing/hmac.h"

namespace tp::ledger {

namespace {

std::string hex(std::string_view bytes) { return signing::to_hex(bytes); }

std::string n(uint64_t v) { return std::to_string(v); }

}  // namespace

ChainVerifier::ChainVerifier(uint64_t first_index, std::string expected_previous_hash)
    : next_index_(first_index), previous_hash_(std::move(expected_previous_hash)) {}

bool ChainVerifier::fail(uint64_t index, std::string reason) {
  broken_ = ChainBreak{index, std::move(reason)};
  return false;
}

bool ChainVerifier::check(const Entry& row) {
  if (broken_) return false;
  const uint64_t i = next_index_;
  if (row.index > i)
    return fail(i, "index gap at " + n(i) + ": entry " + n(i) + " is missing (next entry is " +
                       n(row.index) + ")");
  if (row.index < i)
    return fail(i, "index out of order at " + n(i) + ": found entry " + n(row.index));
  if (row.previous_hash != previous_hash_)
    return fail(i, "previous hash mismatch at index " + n(i) + ": previous_hash is " +
                       hex(row.previous_hash) + ", expected " + hex(previous_hash_));
  const std::string digest = sha256(row.payload);
  if (row.payload_sha256 != digest)
    return fail(i, "payload digest mismatch at index " + n(i) + ": payload_sha256 is " +
                       hex(row.payload_sha256) + ", payload hashes to " + hex(digest));
  std::string recomputed = entry_hash(row, scratch_);
  if (row.entry_hash != recomputed)
    return fail(i, "hash mismatch at index " + n(i) + ": entry_hash is " + hex(row.entry_hash) +
                       ", recomputed " + hex(recomputed));
  auto it = streams_.find(row.stream);
  if (it != streams_.end() && row.stream_sequence <= it->second.sequence) {
    if (row.stream_sequence == it->second.sequence)
      return fail(i, "duplicated (stream, stream_sequence) (" + row.stream + ", " +
                         n(row.stream_sequence) + ") at index " + n(i) + ": first at index " +
                         n(it->second.index));
    return fail(i, "stream sequence out of order at index " + n(i) + ": (" + row.stream + ", " +
                       n(row.stream_sequence) + ") after (" + row.stream + ", " +
                       n(it->second.sequence) + ") at index " + n(it->second.index));
  }
  if (it == streams_.end())
    streams_.emplace(row.stream, StreamPosition{row.stream_sequence, i});
  else
    it->second = StreamPosition{row.stream_sequence, i};
  previous_hash_ = std::move(recomputed);
  ++next_index_;
  ++checked_;
  return true;
}

void ChainVerifier::expect_end(uint64_t expected_end) {
  if (broken_ || next_index_ >= expected_end) return;
  const uint64_t i = next_index_;
  (void)fail(i, "index gap at " + n(i) + ": entries " + n(i) + ".." + n(expected_end - 1) +
                    " are missing (the log ends at " + n(i) + " entries)");
}

}  // namespace tp::ledger
