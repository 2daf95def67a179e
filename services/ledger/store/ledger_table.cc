#include "ledger/store/ledger_table.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <thread>
#include <tuple>

#include "tp/signing/hmac.h"

namespace tp::ledger {

namespace {

constexpr const char* kColumns =
    "index, stream, stream_sequence, subject, message_id, producer, message_type, key_id, "
    "payload, payload_sha256, published_ns, received_ns, correlation_id, previous_hash, "
    "entry_hash";

// bytea in COPY text format: "\x<hex>" (stream_to escapes the backslash).
std::string bytea_text(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.resize(2 + bytes.size() * 2);
  out[0] = '\\';
  out[1] = 'x';
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    out[2 + 2 * i] = kHex[b >> 4];
    out[3 + 2 * i] = kHex[b & 0xf];
  }
  return out;
}

std::string raw(const pqxx::field& f) {
  pqxx::binarystring b(f);
  return b.str();
}

Digest digest_of(const pqxx::field& f) {
  pqxx::binarystring b(f);
  Digest d{};
  if (b.size() == d.size()) std::copy(b.data(), b.data() + b.size(), d.data());
  return d;
}

std::string quote_bytes(pqxx::work& tx, std::string_view bytes) {
  return tx.quote_raw(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

std::string hex(const Digest& d) { return signing::to_hex(to_bytes(d)); }
std::string n(uint64_t v) { return std::to_string(v); }

Entry entry_from_row(const pqxx::row& r) {
  Entry e;
  e.index = r[0].as<uint64_t>();
  e.stream = r[1].c_str();
  e.stream_sequence = r[2].as<uint64_t>();
  e.subject = r[3].c_str();
  e.message_id = r[4].c_str();
  e.producer = r[5].c_str();
  e.message_type = r[6].c_str();
  e.key_id = r[7].c_str();
  e.payload = raw(r[8]);
  e.payload_sha256 = raw(r[9]);
  e.published_ns = r[10].as<int64_t>();
  e.received_ns = r[11].as<int64_t>();
  e.correlation_id = r[12].c_str();
  e.previous_hash = raw(r[13]);
  e.entry_hash = raw(r[14]);
  return e;
}

SignedTreeHead head_from_row(const pqxx::row& r) {
  SignedTreeHead h;
  h.tree_size = r[0].as<uint64_t>();
  h.root = digest_of(r[1]);
  h.timestamp_ns = r[2].as<int64_t>();
  h.key_id = r[3].c_str();
  h.signature = raw(r[4]);
  return h;
}

constexpr const char* kHeadColumns = "tree_size, root_hash, timestamp_ns, key_id, signature";

struct CheckpointHead {
  uint64_t next_index = 0;
  std::string last_hash;
  std::optional<std::vector<Digest>> tree;  // compact range, if recorded
};

// The chain head in the ledger's own checkpoint (written in the same
// transaction as the rows), or nothing if the ledger never checkpointed.
Result<std::optional<CheckpointHead>> checkpoint_head(pqxx::work& tx) {
  auto exists = tx.exec("SELECT to_regclass('tp_checkpoints') IS NOT NULL");
  if (!exists[0][0].as<bool>()) return std::optional<CheckpointHead>{};
  auto rows = tx.exec("SELECT snapshot FROM tp_checkpoints WHERE service = 'ledger'");
  if (rows.empty()) return std::optional<CheckpointHead>{};
  auto j = nlohmann::json::parse(raw(rows[0][0]), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("next_index") ||
      !j["next_index"].is_number_unsigned() || !j.contains("last_hash") ||
      !j["last_hash"].is_string())
    return make_error(ErrorCode::kDataLoss, "the ledger checkpoint is not a valid chain head");
  auto hash = signing::from_hex(j["last_hash"].get<std::string>());
  if (!hash) return make_error(ErrorCode::kDataLoss, "the ledger checkpoint's last_hash is not hex");
  CheckpointHead head{j["next_index"].get<uint64_t>(), *hash, std::nullopt};
  if (j.contains("tree") && j["tree"].is_array()) {
    std::vector<Digest> tree;
    for (const auto& h : j["tree"]) {
      Result<Digest> d = make_error(ErrorCode::kDataLoss, "");
      if (h.is_string())
        if (auto bytes = signing::from_hex(h.get<std::string>())) d = to_digest(*bytes);
      if (!d) return make_error(ErrorCode::kDataLoss, "the ledger checkpoint's tree is not a list of hashes");
      tree.push_back(*d);
    }
    head.tree = std::move(tree);
  }
  return std::optional<CheckpointHead>(std::move(head));
}

bool has_table(pqxx::work& tx, const char* name) {
  return tx.exec_params("SELECT to_regclass($1) IS NOT NULL", std::string(name))[0][0].as<bool>();
}

std::string describe_node(const TreeNode& node) {
  const uint64_t first = node.index << node.level;
  const uint64_t last = ((node.index + 1) << node.level) - 1;
  if (node.level == 0) return "leaf hash of entry " + n(first) + " (tree node (0, " + n(node.index) + "))";
  return "tree node (" + n(node.level) + ", " + n(node.index) + ") over entries " + n(first) + ".." +
         n(last);
}

uint64_t last_entry_of(const TreeNode& node) { return ((node.index + 1) << node.level) - 1; }

// Nodes in append order -> one (leaf, level 0.. hashes) row per completing entry.
Result<std::vector<std::pair<uint64_t, std::string>>> group_by_leaf(std::span<const TreeNode> nodes) {
  std::vector<std::pair<uint64_t, std::string>> rows;
  for (const TreeNode& node : nodes) {
    const uint64_t leaf = last_entry_of(node);
    if (node.level == 0) {
      rows.emplace_back(leaf, to_bytes(node.hash));
    } else if (rows.empty() || rows.back().first != leaf ||
               rows.back().second.size() != 32u * node.level) {
      return make_error(ErrorCode::kInvalidArgument,
                        "tree nodes must come in append order (node (" + std::to_string(node.level) +
                            ", " + n(node.index) + ") out of place)");
    } else {
      rows.back().second += to_bytes(node.hash);
    }
  }
  return rows;
}

// A stored row -> the nodes it may hold: level L only if entry `leaf`
// completes a subtree of 2^L entries (bytes beyond those are ignored).
void unpack_row(uint64_t leaf, const std::string& hashes, std::map<NodeKey, Digest>& out) {
  for (uint32_t level = 0; level < 64 && 32u * (level + 1) <= hashes.size() &&
                           (level == 0 || ((leaf + 1) & ((uint64_t{1} << level) - 1)) == 0);
       ++level) {
    Digest d;
    std::copy(hashes.begin() + 32 * level, hashes.begin() + 32 * (level + 1),
              reinterpret_cast<char*>(d.data()));
    out[{level, ((leaf + 1) >> level) - 1}] = d;
  }
}

}  // namespace

Status write_entries(pqxx::work& tx, std::span<const Entry> entries) {
  if (entries.empty()) return ok();
  pqxx::stream_to copy(tx, "ledger_entries",
                       std::vector<std::string>{"index", "stream", "stream_sequence", "subject",
                                                "message_id", "producer", "message_type", "key_id",
                                                "payload", "payload_sha256", "published_ns",
                                                "received_ns", "correlation_id", "previous_hash",
                                                "entry_hash"});
  for (const Entry& e : entries) {
    copy << std::make_tuple(static_cast<int64_t>(e.index), e.stream,
                            static_cast<int64_t>(e.stream_sequence), e.subject, e.message_id,
                            e.producer, e.message_type, e.key_id, bytea_text(e.payload),
                            bytea_text(e.payload_sha256), e.published_ns, e.received_ns,
                            e.correlation_id, bytea_text(e.previous_hash), bytea_text(e.entry_hash));
  }
  copy.complete();
  return ok();
}

Status write_tree_nodes(pqxx::work& tx, std::span<const TreeNode> nodes) {
  if (nodes.empty()) return ok();
  auto rows = group_by_leaf(nodes);
  if (!rows) return std::unexpected(rows.error());
  pqxx::stream_to copy(tx, "ledger_tree_nodes", std::vector<std::string>{"leaf", "hashes"});
  for (const auto& [leaf, hashes] : *rows)
    copy << std::make_tuple(static_cast<int64_t>(leaf), bytea_text(hashes));
  copy.complete();
  return ok();
}

Status write_batch(pqxx::work& tx, std::span<const Entry> entries, std::span<const TreeNode> nodes) {
  if (auto s = write_entries(tx, entries); !s) return s;
  return write_tree_nodes(tx, nodes);
}

Result<std::optional<std::string>> writer_role(pqxx::work& tx) {
  auto r = tx.exec_params(
      "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AND "
      "pg_has_role(session_user, (SELECT oid FROM pg_roles WHERE rolname = $1), 'MEMBER')",
      std::string(kWriterRole));
  if (r[0][0].is_null() || !r[0][0].as<bool>()) return std::optional<std::string>{};
  return std::optional<std::string>(kWriterRole);
}

Result<std::vector<Entry>> read_entries(pqxx::work& tx, uint64_t from, uint64_t limit) {
  std::vector<Entry> out;
  auto rows = tx.exec_params(std::string("SELECT ") + kColumns +
                                 " FROM ledger_entries WHERE index >= $1 ORDER BY index LIMIT $2",
                             static_cast<int64_t>(from), static_cast<int64_t>(limit));
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(entry_from_row(r));
  return out;
}

Result<uint64_t> stored_size(pqxx::work& tx) {
  auto r = tx.exec("SELECT coalesce(max(index) + 1, 0) FROM ledger_entries");
  return r[0][0].as<uint64_t>();
}

Result<std::map<NodeKey, Digest>> read_tree_nodes(pqxx::work& tx, const std::vector<NodeKey>& wanted) {
  std::map<NodeKey, Digest> out;
  if (wanted.empty()) return out;
  std::string sql = "SELECT leaf, hashes FROM ledger_tree_nodes WHERE leaf IN (";
  for (size_t i = 0; i < wanted.size(); ++i) {
    if (i) sql += ',';
    sql += n(((wanted[i].second + 1) << wanted[i].first) - 1);
  }
  sql += ")";
  std::map<NodeKey, Digest> all;
  for (const auto& r : tx.exec(sql)) unpack_row(r[0].as<uint64_t>(), raw(r[1]), all);
  for (const auto& key : wanted)
    if (auto it = all.find(key); it != all.end()) out.insert(*it);
  return out;
}

namespace {

// Runs `compute` over the stored nodes it announces (`wanted`), fetched in one query.
template <typename T, typename F>
Result<T> with_stored_nodes(pqxx::work& tx, const std::vector<NodeKey>& wanted, F&& compute) {
  auto nodes = read_tree_nodes(tx, wanted);
  if (!nodes) return std::unexpected(nodes.error());
  NodeSource source = [&](uint32_t level, uint64_t index) -> Result<Digest> {
    auto it = nodes->find({level, index});
    if (it == nodes->end())
      return make_error(ErrorCode::kDataLoss,
                        "tree node (" + std::to_string(level) + ", " + n(index) +
                            ") is missing from ledger_tree_nodes");
    return it->second;
  };
  return compute(source);
}

}  // namespace

Result<Digest> stored_root(pqxx::work& tx, uint64_t size) {
  return with_stored_nodes<Digest>(tx, nodes_for_root(size),
                                   [&](const NodeSource& s) { return root_at(size, s); });
}

Result<std::vector<Digest>> stored_inclusion_proof(pqxx::work& tx, uint64_t leaf, uint64_t size) {
  if (leaf >= size) return inclusion_proof(leaf, size, nullptr);  // the error
  return with_stored_nodes<std::vector<Digest>>(
      tx, nodes_for_inclusion(leaf, size), [&](const NodeSource& s) { return inclusion_proof(leaf, size, s); });
}

Result<std::vector<Digest>> stored_consistency_proof(pqxx::work& tx, uint64_t first, uint64_t second) {
  if (first > second) return consistency_proof(first, second, nullptr);
  return with_stored_nodes<std::vector<Digest>>(
      tx, nodes_for_consistency(first, second),
      [&](const NodeSource& s) { return consistency_proof(first, second, s); });
}

Status store_signing_key(pqxx::work& tx, const std::string& key_id, const std::string& public_key,
                         int64_t now_ns) {
  tx.exec_params(
      "INSERT INTO ledger_signing_keys (key_id, algorithm, public_key, first_used_ns) "
      "VALUES ($1, 'ed25519', $2, $3) ON CONFLICT (key_id) DO NOTHING",
      key_id, pqxx::binarystring(public_key.data(), public_key.size()), now_ns);
  auto r = tx.exec_params("SELECT public_key FROM ledger_signing_keys WHERE key_id = $1", key_id);
  if (r.empty() || raw(r[0][0]) != public_key)
    return make_error(ErrorCode::kFailedPrecondition,
                      "ledger_signing_keys holds another public key for " + key_id);
  return ok();
}

Result<std::map<std::string, std::string>> signing_keys(pqxx::work& tx) {
  std::map<std::string, std::string> out;
  for (const auto& r : tx.exec("SELECT key_id, public_key FROM ledger_signing_keys"))
    out[r[0].c_str()] = raw(r[1]);
  return out;
}

Result<SignedTreeHead> store_tree_head(pqxx::work& tx, const SignedTreeHead& h) {
  const std::string root = to_bytes(h.root);
  tx.exec_params(std::string("INSERT INTO ledger_tree_heads (") + kHeadColumns +
                     ") VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tree_size) DO NOTHING",
                 static_cast<int64_t>(h.tree_size), pqxx::binarystring(root.data(), root.size()),
                 h.timestamp_ns, h.key_id,
                 pqxx::binarystring(h.signature.data(), h.signature.size()));
  auto stored = load_tree_head(tx, h.tree_size);
  if (!stored) return std::unexpected(stored.error());
  if (!*stored) return make_error(ErrorCode::kInternal, "tree head " + n(h.tree_size) + " vanished");
  return **stored;
}

Result<std::optional<SignedTreeHead>> load_tree_head(pqxx::work& tx, uint64_t size) {
  auto r = tx.exec_params(std::string("SELECT ") + kHeadColumns +
                              " FROM ledger_tree_heads WHERE tree_size = $1",
                          static_cast<int64_t>(size));
  if (r.empty()) return std::optional<SignedTreeHead>{};
  return std::optional<SignedTreeHead>(head_from_row(r[0]));
}

Result<std::optional<SignedTreeHead>> latest_tree_head(pqxx::work& tx) {
  auto r = tx.exec(std::string("SELECT ") + kHeadColumns +
                   " FROM ledger_tree_heads ORDER BY tree_size DESC LIMIT 1");
  if (r.empty()) return std::optional<SignedTreeHead>{};
  return std::optional<SignedTreeHead>(head_from_row(r[0]));
}

Result<std::vector<SignedTreeHead>> tree_heads_between(pqxx::work& tx, uint64_t first, uint64_t last) {
  std::vector<SignedTreeHead> out;
  const auto capped = static_cast<int64_t>(std::min<uint64_t>(last, INT64_MAX));
  for (const auto& r : tx.exec_params(std::string("SELECT ") + kHeadColumns +
                                          " FROM ledger_tree_heads WHERE tree_size >= $1 AND "
                                          "tree_size <= $2 ORDER BY tree_size",
                                      static_cast<int64_t>(first), capped))
    out.push_back(head_from_row(r));
  return out;
}

Result<std::vector<Entry>> query_entries(pqxx::work& tx, const EntryQuery& q) {
  std::string where = "index >= " + n(q.from_index);
  if (q.to_index) where += " AND index < " + n(*q.to_index);
  if (q.from_time_ns) where += " AND published_ns >= " + std::to_string(*q.from_time_ns);
  if (q.to_time_ns) where += " AND published_ns < " + std::to_string(*q.to_time_ns);
  if (!q.correlation_id.empty())
    where += " AND correlation_id = " + tx.quote(q.correlation_id) + " AND correlation_id <> ''";
  if (!q.message_type.empty()) where += " AND message_type = " + tx.quote(q.message_type);
  if (!q.subject_prefix.empty()) {
    std::string pattern;
    for (char c : q.subject_prefix) {
      if (c == '\\' || c == '%' || c == '_') pattern += '\\';
      pattern += c;
    }
    pattern += '%';
    where += " AND subject LIKE " + tx.quote(pattern);
  }
  const uint32_t limit = std::min(q.limit == 0 ? 1000u : q.limit, kMaxQueryLimit);
  std::string columns = kColumns;
  if (!q.with_payload) columns.replace(columns.find("payload, "), 9, "''::bytea, ");
  auto rows = tx.exec("SELECT " + columns + " FROM ledger_entries WHERE " + where +
                      (q.by_published_time ? " ORDER BY published_ns, index" : " ORDER BY index") +
                      " LIMIT " + std::to_string(limit));
  std::vector<Entry> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(entry_from_row(r));
  return out;
}

Result<CompactRange> backfill_tree(store::Database& db, uint64_t size) {
  constexpr uint64_t kChunk = 20'000;
  ChainVerifier verifier;
  verifier.collect_nodes(true);
  while (verifier.next_index() < size) {
    const uint64_t from = verifier.next_index();
    auto s = db.transact([&](pqxx::work& tx) -> Status {
      auto rows = read_entries(tx, from, std::min(kChunk, size - from));
      if (!rows) return std::unexpected(rows.error());
      ChainVerifier attempt = verifier;  // the body may be re-run
      if (rows->empty() || !attempt.check_all(*rows, 1) || attempt.next_index() > size) {
        const std::string why = attempt.broken() ? attempt.broken()->reason
                                                 : "entry " + n(from) + " is missing";
        return make_error(ErrorCode::kDataLoss,
                          "cannot build the Merkle tree over a broken chain: " + why);
      }
      // Idempotent: nodes stored by an earlier, interrupted backfill stay.
      auto grouped = group_by_leaf(attempt.completed_nodes());
      if (!grouped) return std::unexpected(grouped.error());
      for (size_t i = 0; i < grouped->size(); i += 1000) {
        std::string sql = "INSERT INTO ledger_tree_nodes (leaf, hashes) VALUES ";
        for (size_t k = i; k < std::min(grouped->size(), i + 1000); ++k) {
          if (k > i) sql += ',';
          sql += "(" + n((*grouped)[k].first) + "," + quote_bytes(tx, (*grouped)[k].second) + ")";
        }
        tx.exec0(sql + " ON CONFLICT (leaf) DO NOTHING");
      }
      verifier = std::move(attempt);
      return ok();
    });
    if (!s) return std::unexpected(s.error());
  }
  return verifier.tree();
}

Result<VerifyReport> verify_ledger(store::Database& db, const VerifyOptions& options) {
  if (options.to && *options.to < options.from)
    return make_error(ErrorCode::kInvalidArgument,
                      "--to " + n(*options.to) + " is before --from " + n(options.from));
  if (options.chunk_rows == 0)
    return make_error(ErrorCode::kInvalidArgument, "chunk_rows must be positive");
  const unsigned threads =
      options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  return db.transact_value<VerifyReport>([&](pqxx::work& tx) -> Result<VerifyReport> {
    // One snapshot for every chunk, while the ledger keeps appending.
    tx.exec0("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
    VerifyReport report;
    report.from = options.from;
    report.key_pinned = options.public_key.has_value();
    auto head = checkpoint_head(tx);
    if (!head) return std::unexpected(head.error());
    if (*head) report.checkpoint_next_index = (*head)->next_index;

    const uint64_t from = options.seed ? options.seed->next_index : options.from;
    report.from = from;
    std::string previous = zero_hash();
    if (from > 0) {
      auto rows = tx.exec_params("SELECT entry_hash FROM ledger_entries WHERE index = $1",
                                 static_cast<int64_t>(from - 1));
      if (rows.empty()) {
        report.broken = ChainBreak{from - 1,
                                   "index gap at " + n(from - 1) + ": entry " +
                                       n(from - 1) + " (the link into --from) is missing"};
        return report;
      }
      previous = raw(rows[0][0]);
      if (options.seed && previous != options.seed->last_hash) {
        report.broken = ChainBreak{
            from - 1, "hash mismatch at index " + n(from - 1) + ": entry_hash is " +
                          signing::to_hex(previous) + ", verified earlier as " +
                          signing::to_hex(options.seed->last_hash)};
        return report;
      }
    }

    // The Merkle tree: seeded with the stored subtrees of [0, from) (which
    // must equal the verified seed's, when there is one).
    bool tree = has_table(tx, "ledger_tree_nodes") && has_table(tx, "ledger_tree_heads");
    CompactRange seed;
    if (!tree) {
      report.notes.push_back("no Merkle tree in this database (migration ledger/0002 not applied)");
    } else if (from > 0) {
      const auto wanted = range_decomposition(0, from);
      auto nodes = read_tree_nodes(tx, wanted);
      if (!nodes) return std::unexpected(nodes.error());
      std::vector<Digest> hashes;
      for (const auto& key : wanted)
        if (auto it = nodes->find(key); it != nodes->end()) hashes.push_back(it->second);
      if (options.seed && options.seed->tree_checked) {
        const auto& trusted = options.seed->tree.hashes();
        for (size_t i = 0; i < wanted.size(); ++i) {
          const TreeNode node{wanted[i].first, wanted[i].second, trusted[i]};
          if (i >= hashes.size() || hashes[i] != trusted[i]) {
            report.broken = ChainBreak{
                last_entry_of(node), "tree node mismatch at index " + n(last_entry_of(node)) +
                                         ": the stored " + describe_node(node) +
                                         " is missing or differs from the one verified earlier (" +
                                         hex(trusted[i]) + ")"};
            return report;
          }
        }
        seed = options.seed->tree;
      } else if (hashes.size() == wanted.size()) {
        seed = *CompactRange::create(from, std::move(hashes));
      } else {
        tree = false;
        report.notes.push_back("Merkle tree not checked: stored tree nodes over entries 0.." +
                               n(from - 1) + " are missing (verify from 0 to find out why)");
      }
    }
    ChainVerifier verifier(from, previous, tree ? std::move(seed) : CompactRange{});
    verifier.collect_nodes(tree);

    std::map<std::string, std::string> keys;
    std::vector<SignedTreeHead> heads;
    if (tree) {
      auto k = signing_keys(tx);
      if (!k) return std::unexpected(k.error());
      keys = std::move(*k);
      auto h = tree_heads_between(tx, from + 1,
                                  options.to ? *options.to + 1 : std::numeric_limits<uint64_t>::max());
      if (!h) return std::unexpected(h.error());
      heads = std::move(*h);
    }
    size_t next_head = 0;
    uint64_t last_good_size = from;  // entries before it match a signed head (or --from)
    std::optional<ChainBreak> tree_break;

    // Compares the nodes completed by entries [a, verifier.next_index()) with the stored ones.
    auto compare_nodes = [&](uint64_t a) {
      const uint64_t b = verifier.next_index();
      const auto& completed = verifier.completed_nodes();
      if (completed.empty() || b <= a) return;
      std::map<NodeKey, Digest> stored;
      for (const auto& r : tx.exec_params(
               "SELECT leaf, hashes FROM ledger_tree_nodes WHERE leaf >= $1 AND leaf < $2",
               static_cast<int64_t>(a), static_cast<int64_t>(b)))
        unpack_row(r[0].as<uint64_t>(), raw(r[1]), stored);
      for (const TreeNode& node : completed) {
        auto it = stored.find({node.level, node.index});
        if (it == stored.end()) {
          tree_break = ChainBreak{last_entry_of(node), "tree node missing at index " +
                                                           n(last_entry_of(node)) + ": the " +
                                                           describe_node(node) +
                                                           " is not in ledger_tree_nodes"};
          return;
        }
        if (it->second != node.hash) {
          tree_break = ChainBreak{last_entry_of(node),
                                  "tree node mismatch at index " + n(last_entry_of(node)) +
                                      ": the stored " + describe_node(node) + " is " +
                                      hex(it->second) + ", recomputed " + hex(node.hash)};
          return;
        }
        ++report.nodes_checked;
      }
    };

    // Checks the signed heads of the size the verifier has reached.
    auto check_heads = [&] {
      const uint64_t size = verifier.next_index();
      while (next_head < heads.size() && heads[next_head].tree_size <= size) {
        const SignedTreeHead& h = heads[next_head++];
        if (h.tree_size < size) continue;  // only when verifying from inside a head's range
        const Digest root = verifier.tree().root();
        if (h.root != root) {
          tree_break = ChainBreak{
              last_good_size, "tree head mismatch at size " + n(size) + ": the head signed at " +
                                  std::to_string(h.timestamp_ns) + " ns has root " + hex(h.root) +
                                  ", entries 0.." + n(size - 1) + " hash to " + hex(root) +
                                  " (an entry in " + n(last_good_size) + ".." + n(size - 1) +
                                  " was changed after it was signed)"};
          return;
        }
        Status sig;
        if (options.public_key) {
          sig = verify_tree_head(h, *options.public_key);
        } else if (auto k = keys.find(h.key_id); k == keys.end()) {
          sig = make_error(ErrorCode::kPermissionDenied,
                           "tree head of size " + n(size) + " is signed by unknown key " + h.key_id);
        } else {
          sig = verify_tree_head(h, k->second);
        }
        if (!sig) {
          tree_break = ChainBreak{size - 1, "tree head signature invalid at size " + n(size) + ": " +
                                                sig.error().message};
          return;
        }
        ++report.tree_heads_checked;
        report.latest_tree_head = h;
        last_good_size = size;
      }
    };

    uint64_t next = from;
    bool more = true;
    while (more && !tree_break) {
      uint64_t limit = options.chunk_rows;
      if (options.to) limit = std::min<uint64_t>(limit, *options.to - next + 1);
      auto rows = read_entries(tx, next, limit);
      if (!rows) return std::unexpected(rows.error());
      std::span<const Entry> rest(*rows);
      // Segments end where a signed head's size is reached.
      while (!rest.empty() && !verifier.broken() && !tree_break) {
        size_t take = rest.size();
        while (next_head < heads.size() && heads[next_head].tree_size <= verifier.next_index())
          check_heads();
        if (tree_break) break;
        if (next_head < heads.size())
          take = std::min<uint64_t>(take, heads[next_head].tree_size - verifier.next_index());
        const uint64_t a = verifier.next_index();
        (void)verifier.check_all(rest.subspan(0, take), threads);
        if (tree) {
          compare_nodes(a);
          if (!tree_break) check_heads();
        }
        rest = rest.subspan(take);
      }
      if (verifier.broken() || tree_break) break;
      more = rows->size() == limit && !(options.to && verifier.next_index() > *options.to);
      next = verifier.next_index();
      if (options.progress) options.progress(verifier.checked());
    }
    const uint64_t end = verifier.next_index();
    if (!verifier.broken() && !tree_break) {
      if (options.to) {
        verifier.expect_end(*options.to + 1);
      } else {
        if (*head) {
          const auto& cp = **head;
          if (end < cp.next_index) {
            verifier.expect_end(cp.next_index);
          } else if (end > cp.next_index) {
            report.broken = ChainBreak{cp.next_index, "entries beyond the checkpoint at " +
                                                          n(cp.next_index) +
                                                          ": the ledger checkpoint records " +
                                                          n(cp.next_index) +
                                                          " entries, the log has " + n(end)};
          } else if (end > from && cp.last_hash != verifier.last_hash()) {
            report.broken = ChainBreak{
                end - 1, "chain head mismatch at index " + n(end - 1) +
                             ": the ledger checkpoint records last hash " +
                             signing::to_hex(cp.last_hash) + ", the log ends with " +
                             signing::to_hex(verifier.last_hash())};
          } else if (tree && cp.tree && *cp.tree != verifier.tree().hashes()) {
            report.broken = ChainBreak{
                end == 0 ? 0 : end - 1,
                "tree mismatch at index " + n(end == 0 ? 0 : end - 1) +
                    ": the ledger checkpoint's Merkle tree of " + n(end) +
                    " entries differs from the recomputed one"};
          }
        }
        // A signed head larger than the log: entries were removed.
        if (!report.broken && !verifier.broken() && next_head < heads.size()) {
          const auto& h = heads[next_head];
          report.broken = ChainBreak{end, "index gap at " + n(end) + ": a tree head of size " +
                                              n(h.tree_size) + " was signed, the log ends at " +
                                              n(end) + " entries"};
        }
      }
    }
    report.checked = verifier.checked();
    if (tree_break && (!verifier.broken() || tree_break->index < verifier.broken()->index))
      report.broken = tree_break;
    if (!report.broken) report.broken = verifier.broken();
    report.tree_checked = tree;
    if (tree) {
      report.tree_size = verifier.tree().size();
      report.root = verifier.tree().root();
    }
    if (!report.broken)
      report.verified = VerifiedPrefix{.next_index = verifier.next_index(),
                                       .last_hash = verifier.last_hash(),
                                       .tree_checked = tree,
                                       .tree = tree ? verifier.tree() : CompactRange{}};
    return report;
  });
}

}  // namespace tp::ledger
