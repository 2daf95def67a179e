// A service's set of HMAC keys, with ids, so keys rotate without downtime.
//
// Each key belongs to exactly one producer and may restrict the subjects that
// producer publishes on (NATS wildcards: `*` one token, `>` the rest). A key
// that leaks from one strategy therefore cannot sign executions: the verifier
// rejects a message whose producer is not the key's owner, or whose subject is
// outside the key's subjects.
//
// Rotation: add the new key as active on every verifier, then make it the
// signing key of the producer, then retire the old key (docs/protocol.md, "Key rotation").
//
// Loading: from a JSON document (docs/protocol.md, "Key files"):
//   {"signing_key": "ingester-2026-11",
//    "keys": [{"id": "ingester-2026-11", "producer": "ingester",
//              "secret_hex": "...", "subjects": ["md.>"], "status": "active"}]}
// Instead of secret_hex a key may give "secret_file" (path to a file holding
// hex) or "secret_env" (name of an environment variable holding hex). Secrets
// are never logged or printed; describe() prints ids only.
//
// Thread safety: immutable after construction; share a const KeyRing freely.
// Replace the whole ring (e.g. via std::shared_ptr swap) to reload keys.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tp/core/error.h"

namespace tp::signing {

enum class KeyStatus { kActive, kRetired };

struct Key {
  std::string id;
  std::string producer;
  std::string secret;                  // raw bytes, at least 32
  std::vector<std::string> subjects;   // empty = any subject
  KeyStatus status = KeyStatus::kActive;
};

class KeyRing {
 public:
  // Validates all keys at once; the error lists every problem, one per line,
  // e.g. "keys[1].secret: must be at least 32 bytes, got 16".
  [[nodiscard]] static Result<KeyRing> create(std::vector<Key> keys,
                                              std::optional<std::string> signing_key_id);
  [[nodiscard]] static Result<KeyRing> from_json(std::string_view json_text);
  [[nodiscard]] static Result<KeyRing> from_file(const std::string& path);

  // The key used to sign, if this ring signs at all (verifier-only rings don't).
  const Key* signing_key() const;
  // An active key with this id, or nullptr (unknown or retired).
  const Key* find_active(std::string_view key_id) const;
  const Key* find(std::string_view key_id) const;

  // "ring: 3 keys (2 active), signing with ingester-2026-11" — ids only.
  std::string describe() const;

 private:
  std::map<std::string, Key, std::less<>> keys_;
  std::optional<std::string> signing_key_id_;
};

// NATS subject wildcard match: "md.bar.*.BTCUSDT.>" etc.
bool subject_matches(std::string_view pattern, std::string_view subject);

}  // namespace tp::signing
