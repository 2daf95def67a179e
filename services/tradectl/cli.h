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

using Environment = std::map<std::string, std::string>;

enum class Command { kHelp, kStatus, kPositions, kKillSwitch, kAuditVerify, kSummary };

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
  // audit verify
  uint64_t from = 0;
  std::optional<uint64_t> to;
  // summary
  std::string nats_monitor;  // empty: skip broker stream counts
};

// Usage text of one subcommand ("" = the overview).
std::string usage(const std::string& topic = "");

// Parses argv[1..]. Environment defaults: TP_ADMIN_URLS (status),
// TP_DB (database), TP_KEYS__FILE and TP_NATS__URLS (killswitch),
// TP_NATS_MONITOR (summary), USER (operator). The error message is one
// line naming the problem, e.g. "audit verify: --from needs a number, got 'x'";
// print it with the subcommand's usage and exit kExitUsage.
[[nodiscard]] Result<Options> parse_command_line(const std::vector<std::string>& args,
                                                 const Environment& env);

// "name=url,name=url" -> targets; errors name the bad item.
[[nodiscard]] Result<std::vector<AdminTarget>> parse_admin_list(const std::string& text);

// The subcommand name of a parse for messages ("audit verify").
std::string command_name(Command command);

}  // namespace tp::tradectl
