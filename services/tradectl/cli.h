// tradectl's command line: subcommands, options, environment defaults and
// usage texts. Pure (the environment is passed in), so it is unit-tested.
//
//   auto parsed = tp::tradectl::parse_command_line({"audit", "verify", "--from", "10"}, env);
//   if (!parsed) { std::cerr << parsed.error() << "\n"; return kExitUsage; }
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tp/core/error.h"

namespace tp::tradectl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

inline constexpr const char* kDefaultDb = "host=127.0.0.1 port=55432 user=tp dbname=trading";
inline constexpr const char* kDefaultNats = "nats://127.0.0.1:4222";
inline constexpr const char* kDefaultLedger = "127.0.0.1:50063";

using Environment = std::map<std::string, std::string>;

enum class Command {
  kHelp,
  kStatus,
  kPositions,
  kKillSwitch,
  kAuditVerify,
  kSummary,
  kAuditProve,
  kAuditConsistency,
  kAuditEntries
};

struct AdminTarget {
  std::string name;  // "decision"
  std::string url;   // "http://127.0.0.1:9104"
  bool operator==(const AdminTarget&) const = default;
};

struct Options {
  Command command = Command::kHelp;
  std::string help_topic;  // for kHelp: "" or a subcommand name
  // status
  std::vector<AdminTarget> admins;
  // positions, audit verify, summary
  std::string db = kDefaultDb;
  // killswitch
  bool engage = false;
  std::string reason;
  std::string scope = "*";
  std::string operator_name;
  std::string keys_file;
  std::vector<std::string> nats_urls;
  // audit verify: entries from..to; audit consistency: tree sizes from -> to
  uint64_t from = 0;
  std::optional<uint64_t> to;
  // audit verify/prove/consistency: the pinned tree-head public key file
  std::string public_key_file;
  // audit prove/consistency/entries: the ledger's gRPC address
  std::string ledger = kDefaultLedger;
  // audit prove
  uint64_t entry = 0;
  std::optional<uint64_t> size;  // tree size to prove against; empty = the latest head
  // audit entries
  std::string correlation_id;
  std::string subject_prefix;
  std::string message_type;
  std::optional<int64_t> since_ns;
  std::optional<int64_t> until_ns;
  uint64_t from_index = 0;
  uint32_t limit = 100;
  // summary
  std::string nats_monitor;  // empty: skip broker stream counts
};

// Usage text of one subcommand ("" = the overview).
std::string usage(const std::string& topic = "");

// Parses argv[1..]. Environment defaults: TP_ADMIN_URLS (status),
// TP_DB (database), TP_KEYS__FILE and TP_NATS__URLS (killswitch),
// TP_NATS_MONITOR (summary), USER (operator), TP_LEDGER_GRPC and
// TP_LEDGER_PUBLIC_KEY (audit). The error message is one
// line naming the problem, e.g. "audit verify: --from needs a number, got 'x'";
// print it with the subcommand's usage and exit kExitUsage.
[[nodiscard]] Result<Options> parse_command_line(const std::vector<std::string>& args,
                                                 const Environment& env);

// A time for `audit entries --since/--until`: nanoseconds since the epoch,
// or UTC "2023-03-01T00:00:00Z".
[[nodiscard]] Result<int64_t> parse_time(const std::string& text);

// "name=url,name=url" -> targets; errors name the bad item.
[[nodiscard]] Result<std::vector<AdminTarget>> parse_admin_list(const std::string& text);

// The subcommand name of a parse for messages ("audit verify").
std::string command_name(Command command);

}  // namespace tp::tradectl
