// Signed tree heads (docs/ledger.md, "Signed tree heads"): the ledger's
// signed statement "the log of `tree_size` entries has Merkle root `root`",
// at `timestamp_ns`, with Ed25519 (OpenSSL), so anyone holding the public key
// can check it without being able to forge one.
//
//   auto signer = tp::ledger::TreeHeadSigner::load_or_create("var/keys/ledger-tree-head.pem", true);
//   SignedTreeHead sth = signer->sign(size, root, now_ns);
//   auto ok = tp::ledger::verify_tree_head(sth, signer->public_key());
//
// Signed message (all integers big-endian, str(b) = u32(len) || b):
//   str("tp-ledger-tree-head/1") || u64(tree_size) || str(root) ||
//   i64(timestamp_ns) || str(key_id)
// key_id = "ed25519:" + the first 16 hex digits of SHA-256(raw public key).
//
// Key files: the private key is a PKCS#8 PEM file (what `openssl genpkey
// -algorithm ed25519` writes); the public key is a SubjectPublicKeyInfo PEM
// file (`openssl pkey -pubout`) or 64 hex digits of the raw key.
//
// Thread safety: a TreeHeadSigner is immutable after creation; sign() may be
// called from any thread. The free functions are pure.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "ledger/core/merkle.h"
#include "tp/core/error.h"

namespace tp::ledger {

inline constexpr std::string_view kTreeHeadTag = "tp-ledger-tree-head/1";
inline constexpr std::string_view kTreeHeadAlgorithm = "ed25519";

struct SignedTreeHead {
  uint64_t tree_size = 0;
  Digest root{};
  int64_t timestamp_ns = 0;
  std::string key_id;
  std::string signature;  // 64 raw bytes (Ed25519)
  bool operator==(const SignedTreeHead&) const = default;
};

// The bytes that are signed.
std::string tree_head_message(const SignedTreeHead& head);

// "ed25519:" + 16 lowercase hex digits of SHA-256(public_key).
std::string key_id_for(std::string_view public_key);

// PEM (-----BEGIN PUBLIC KEY-----) or 64 hex digits -> raw 32-byte Ed25519 key.
[[nodiscard]] Result<std::string> parse_public_key(std::string_view text);
// Reads a file holding either form.
[[nodiscard]] Result<std::string> read_public_key_file(const std::string& path);
std::string public_key_pem(std::string_view raw_public_key);

// ok(), or kPermissionDenied naming what is wrong: a key id that does not
// belong to the key, or a signature that does not verify.
[[nodiscard]] Status verify_tree_head(const SignedTreeHead& head, std::string_view public_key);

class TreeHeadSigner {
 public:
  // From a PKCS#8 PEM private key.
  [[nodiscard]] static Result<TreeHeadSigner> from_private_key_pem(std::string_view pem);
  // From the 32-byte RFC 8032 private key (seed); used by tests.
  [[nodiscard]] static Result<TreeHeadSigner> from_seed(std::string_view seed);
  // A fresh random key.
  [[nodiscard]] static Result<TreeHeadSigner> generate();
  // Loads `path`; if it does not exist and `create` is set, generates a key
  // and writes it there (mode 0600) and its public key to `path + ".pub"`.
  [[nodiscard]] static Result<TreeHeadSigner> load_or_create(const std::string& path, bool create);

  TreeHeadSigner(TreeHeadSigner&&) noexcept;
  TreeHeadSigner& operator=(TreeHeadSigner&&) noexcept;
  ~TreeHeadSigner();

  const std::string& public_key() const { return public_key_; }  // raw 32 bytes
  const std::string& key_id() const { return key_id_; }
  std::string private_key_pem() const;

  SignedTreeHead sign(uint64_t tree_size, const Digest& root, int64_t timestamp_ns) const;

 private:
  struct Key;
  explicit TreeHeadSigner(std::unique_ptr<Key> key);
  std::unique_ptr<Key> key_;
  std::string public_key_;
  std::string key_id_;
};

}  // namespace tp::ledger
