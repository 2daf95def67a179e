#include "ledger/core/chain_verifier.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>

#include "tp/signing/hmac.h"

namespace tp::ledger {

namespace {

std::string hex(std::string_view bytes) { return signing::to_hex(bytes); }

std::string n(uint64_t v) { return std::to_string(v); }

std::string hexd(const Digest& d) { return hex(to_bytes(d)); }

bool same(std::string_view bytes, const Digest& d) {
  return bytes.size() == d.size() && std::equal(d.begin(), d.end(), reinterpret_cast<const unsigned char*>(bytes.data()));
}

}  // namespace

ChainVerifier::ChainVerifier(uint64_t first_index, std::string expected_previous_hash,
                             CompactRange tree)
    : next_index_(first_index),
      previous_hash_(std::move(expected_previous_hash)),
      tree_(std::move(tree)),
      tree_enabled_(tree_.size() == first_index) {}

bool ChainVerifier::fail(uint64_t index, std::string reason) {
  broken_ = ChainBreak{index, std::move(reason)};
  return false;
}

bool ChainVerifier::check(const Entry& row) { return check_all({&row, 1}, 1); }

bool ChainVerifier::check_all(std::span<const Entry> rows, unsigned threads) {
  if (collect_) completed_.clear();
  if (broken_) return false;
  hashes_.resize(rows.size());
  auto hash_range = [&](size_t begin, size_t end, std::string& scratch) {
    for (size_t i = begin; i < end; ++i) {
      const Entry& r = rows[i];
      sha256_into(r.payload, hashes_[i].payload.data());
      entry_and_leaf_hash(r, scratch, hashes_[i].entry.data(), hashes_[i].leaf.data());
    }
  };
  constexpr size_t kBlock = 512;
  threads = std::max(1u, threads);
  if (threads == 1 || rows.size() < 2 * kBlock) {
    hash_range(0, rows.size(), scratch_);
    for (size_t i = 0; i < rows.size(); ++i)
      if (!check_hashed(rows[i], hashes_[i])) return false;
    return true;
  }
  // Blocks are hashed by every thread (work sharing); this thread also runs
  // the sequential checks of each block as soon as it is hashed, so both
  // phases overlap.
  const size_t blocks = (rows.size() + kBlock - 1) / kBlock;
  std::unique_ptr<std::atomic<bool>[]> hashed(new std::atomic<bool>[blocks]);
  for (size_t b = 0; b < blocks; ++b) hashed[b].store(false, std::memory_order_relaxed);
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  auto hash_block = [&](size_t b, std::string& scratch) {
    hash_range(b * kBlock, std::min(rows.size(), (b + 1) * kBlock), scratch);
    hashed[b].store(true, std::memory_order_release);
  };
  std::vector<std::thread> helpers;
  for (unsigned t = 1; t < threads; ++t)
    helpers.emplace_back([&] {
      std::string scratch;
      while (!stop.load(std::memory_order_relaxed)) {
        const size_t b = next.fetch_add(1);
        if (b >= blocks) break;
        hash_block(b, scratch);
      }
    });
  bool good = true;
  for (size_t check = 0; check < blocks && good;) {
    if (hashed[check].load(std::memory_order_acquire)) {
      for (size_t i = check * kBlock; i < std::min(rows.size(), (check + 1) * kBlock); ++i)
        if (!check_hashed(rows[i], hashes_[i])) {
          good = false;
          break;
        }
      ++check;
    } else if (const size_t b = next.fetch_add(1); b < blocks) {
      hash_block(b, scratch_);
    } else {
      std::this_thread::yield();  // a helper is finishing block `check`
    }
  }
  stop.store(true);
  for (auto& h : helpers) h.join();
  return good;
}

bool ChainVerifier::check_hashed(const Entry& row, const RowHashes& h) {
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
  if (!same(row.payload_sha256, h.payload))
    return fail(i, "payload digest mismatch at index " + n(i) + ": payload_sha256 is " +
                       hex(row.payload_sha256) + ", payload hashes to " + hexd(h.payload));
  if (!same(row.entry_hash, h.entry))
    return fail(i, "hash mismatch at index " + n(i) + ": entry_hash is " + hex(row.entry_hash) +
                       ", recomputed " + hexd(h.entry));
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
  previous_hash_.assign(reinterpret_cast<const char*>(h.entry.data()), h.entry.size());
  if (tree_enabled_) tree_.append(h.leaf, collect_ ? &completed_ : nullptr);
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
