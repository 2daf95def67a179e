#include "cli.h"

#include <charconv>
#include <ctime>

namespace tp::tradectl {

namespace {

Error usage_error(const std::string& message) { return {ErrorCode::kInvalidArgument, message}; }

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(sep, start);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(item);
    start = end + 1;
  }
  return out;
}

std::string env_or(const Environment& env, const std::string& name, const std::string& fallback) {
  auto it = env.find(name);
  return it == env.end() || it->second.empty() ? fallback : it->second;
}

std::optional<uint64_t> to_u64(const std::string& s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// Walks "--flag value" pairs of one subcommand.
class Flags {
 public:
  Flags(std::string command, const std::vector<std::string>& args, size_t first)
      : command_(std::move(command)), args_(args), i_(first) {}

  bool done() const { return i_ >= args_.size(); }
  const std::string& peek() const { return args_[i_]; }
  void skip() { ++i_; }

  // The value after the current flag; error if missing.
  Result<std::string> value() {
    const std::string flag = args_[i_];
    if (i_ + 1 >= args_.size() || args_[i_ + 1].starts_with("--"))
      return std::unexpected(usage_error(command_ + ": " + flag + " needs a value"));
    i_ += 2;
    return args_[i_ - 1];
  }
  Result<uint64_t> number() {
    const std::string flag = args_[i_];
    auto v = value();
    if (!v) return std::unexpected(v.error());
    auto n = to_u64(*v);
    if (!n)
      return std::unexpected(
          usage_error(command_ + ": " + flag + " needs a non-negative integer, got '" + *v + "'"));
    return *n;
  }
  Error unknown() const {
    return usage_error(command_ + ": unknown " +
                       std::string(peek().starts_with("-") ? "option" : "argument") + " '" +
                       peek() + "'");
  }

 private:
  std::string command_;
  const std::vector<std::string>& args_;
  size_t i_;
};

}  // namespace

std::string command_name(Command command) {
  switch (command) {
    case Command::kHelp: return "help";
    case Command::kStatus: return "status";
    case Command::kPositions: return "positions";
    case Command::kKillSwitch: return "killswitch";
    case Command::kAuditVerify: return "audit verify";
    case Command::kSummary: return "summary";
    case Command::kAuditProve: return "audit prove";
    case Command::kAuditConsistency: return "audit consistency";
    case Command::kAuditEntries: return "audit entries";
  }
  return "help";
}

std::string usage(const std::string& topic) {
  if (topic == "status")
    return "usage: tradectl status [--admin NAME=URL[,NAME=URL...]]...\n"
           "  GET /healthz and /readyz of every service admin endpoint and print a table.\n"
           "  --admin   endpoints (repeatable); default: $TP_ADMIN_URLS\n"
           "            e.g. decision=http://127.0.0.1:9104\n"
           "  exit 0 if every service is ready, 1 otherwise, 2 on usage errors\n";
  if (topic == "positions")
    return "usage: tradectl positions [--db CONN]\n"
           "  Print the latest position per strategy and instrument (execsim_positions).\n"
           "  --db      libpq connection string; default: $TP_DB or\n"
           "            \"" + std::string(kDefaultDb) + "\"\n";
  if (topic == "killswitch")
    return "usage: tradectl killswitch on|off [--reason TEXT] [--scope SCOPE] [--keys FILE]\n"
           "                          [--nats URL] [--operator NAME]\n"
           "  Publish a signed trading.v1.KillSwitch on ctl.killswitch and wait for the broker.\n"
           "  --reason    why (required for 'on')\n"
           "  --scope     \"*\" (default), a strategy id or a symbol\n"
           "  --keys      key ring with a 'tradectl' signing key; default: $TP_KEYS__FILE\n"
           "  --nats      broker URL(s), comma-separated; default: $TP_NATS__URLS or " +
           std::string(kDefaultNats) + "\n"
           "  --operator  who flips it; default: $USER\n";
  if (topic == "audit verify")
    return "usage: tradectl audit verify [--db CONN] [--from N] [--to M] [--public-key FILE]\n"
           "  Recompute the ledger's hash chain and Merkle tree over entries N..M (default:\n"
           "  all), compare them with the stored tree nodes and every signed tree head, and\n"
           "  print OK or the first broken entry and why. Exit 1 if anything is broken.\n"
           "  --db          libpq connection string; default: $TP_DB or\n"
           "                \"" + std::string(kDefaultDb) + "\"\n"
           "  --public-key  the ledger's tree-head public key (PEM or hex), pinned out of\n"
           "                band; default: $TP_LEDGER_PUBLIC_KEY, else the keys recorded in\n"
           "                the database (which a database attacker could replace)\n";
  if (topic == "audit prove")
    return "usage: tradectl audit prove --entry N [--size S] [--ledger HOST:PORT] [--public-key FILE]\n"
           "  Fetch entry N, a signed tree head (of size S, default the latest) and the\n"
           "  inclusion proof of N from the ledger's AuditService, and verify them here:\n"
           "  the head's Ed25519 signature, the entry's hashes, the proof against the root.\n"
           "  --ledger      gRPC address; default: $TP_LEDGER_GRPC or " + std::string(kDefaultLedger) + "\n"
           "  --public-key  tree-head public key file; default: $TP_LEDGER_PUBLIC_KEY (required)\n"
           "  exit 1 if anything does not verify\n";
  if (topic == "audit consistency")
    return "usage: tradectl audit consistency --from SIZE1 [--to SIZE2] [--ledger HOST:PORT]\n"
           "                                  [--public-key FILE]\n"
           "  Fetch the signed tree heads of SIZE1 and SIZE2 (default: the latest) and the\n"
           "  consistency proof between them, and verify here that the log of SIZE2\n"
           "  entries extends the log of SIZE1 (RFC 6962) and both signatures.\n"
           "  --ledger      gRPC address; default: $TP_LEDGER_GRPC or " + std::string(kDefaultLedger) + "\n"
           "  --public-key  tree-head public key file; default: $TP_LEDGER_PUBLIC_KEY (required)\n"
           "  exit 1 if anything does not verify\n";
  if (topic == "audit entries")
    return "usage: tradectl audit entries [--correlation ID] [--subject PREFIX] [--type TYPE]\n"
           "                              [--since TIME] [--until TIME] [--from-index N]\n"
           "                              [--limit N] [--ledger HOST:PORT]\n"
           "  List ledger entries from the AuditService. With --correlation, the timeline of\n"
           "  a trade (bar -> signal -> order -> fill) ordered by signed publish time;\n"
           "  otherwise by index. TIME: ns since the epoch or 2023-03-01T00:00:00Z (UTC),\n"
           "  on the signed publish time; --until is exclusive. --limit default 100.\n"
           "  --ledger  gRPC address; default: $TP_LEDGER_GRPC or " + std::string(kDefaultLedger) + "\n";
  if (topic == "audit")
    return usage("audit verify") + usage("audit prove") + usage("audit consistency") +
           usage("audit entries");
  if (topic == "summary")
    return "usage: tradectl summary [--db CONN] [--nats-monitor URL]\n"
           "  End-of-run report: message counts from the ledger, PnL, Sharpe and max\n"
           "  drawdown from execsim's tables, and the ledger chain verification.\n"
           "  --db            libpq connection string; default: $TP_DB or\n"
           "                  \"" + std::string(kDefaultDb) + "\"\n"
           "  --nats-monitor  nats-server monitoring URL (e.g. http://127.0.0.1:8222) to\n"
           "                  compare stream sizes; default: $TP_NATS_MONITOR\n"
           "  exit 1 if the ledger chain is broken\n";
  return "usage: tradectl <command> [options]\n"
         "commands:\n"
         "  status                   health and readiness of every service\n"
         "  positions                latest positions per strategy and instrument\n"
         "  killswitch on|off        flip the kill switch (signed ctl.killswitch)\n"
         "  audit verify             verify the ledger's hash chain, Merkle tree, tree heads\n"
         "  audit prove              verify an entry's inclusion proof (gRPC, offline check)\n"
         "  audit consistency        verify that the log extends an earlier signed head\n"
         "  audit entries            list entries: a trade's timeline, by time, subject, type\n"
         "  summary                  end-of-run report\n"
         "  orders                   orders and their execution events (execsim)\n"
         "  history                  position history over a time range\n"
         "  stats                    trade statistics: win rate, profit factor, Sharpe, ...\n"
         "  trades                   closed trades with entry, exit and net PnL\n"
         "  outcomes                 realised outcomes by decision id\n"
         "  help [command]           this text, or a command's usage\n"
         "exit codes: 0 ok, 1 failure, 2 usage error\n";
}

Result<int64_t> parse_time(const std::string& text) {
  if (!text.empty() && (std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '-') &&
      text.find('T') == std::string::npos) {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec == std::errc() && p == text.data() + text.size()) return v;
  }
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) == 6 &&
      static_cast<size_t>(consumed) == text.size()) {
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<int64_t>(timegm(&tm)) * 1'000'000'000;
  }
  return std::unexpected(
      usage_error("'" + text + "' is not a time (ns since the epoch or 2023-03-01T00:00:00Z)"));
}

Result<std::vector<AdminTarget>> parse_admin_list(const std::string& text) {
  std::vector<AdminTarget> out;
  for (const auto& item : split(text, ',')) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size())
      return std::unexpected(
          usage_error("status: admin endpoint '" + item + "' is not NAME=http://HOST:PORT"));
    AdminTarget t{item.substr(0, eq), item.substr(eq + 1)};
    if (!t.url.starts_with("http://"))
      return std::unexpected(usage_error("status: admin endpoint '" + item +
                                         "' must be an http:// URL"));
    out.push_back(std::move(t));
  }
  return out;
}

Result<Options> parse_command_line(const std::vector<std::string>& args, const Environment& env) {
  Options o;
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    o.command = Command::kHelp;
    if (args.size() > 1) o.help_topic = args[1];
    return o;
  }
  o.db = env_or(env, "TP_DB", kDefaultDb);
  const std::string& cmd = args[0];
  size_t first = 1;
  std::string name = cmd;
  if (cmd == "status") {
    o.command = Command::kStatus;
  } else if (cmd == "positions") {
    o.command = Command::kPositions;
  } else if (cmd == "killswitch") {
    o.command = Command::kKillSwitch;
    if (args.size() < 2 || (args[1] != "on" && args[1] != "off"))
      return std::unexpected(usage_error("killswitch: expected 'on' or 'off'" +
                                         (args.size() < 2 ? std::string() : ", got '" + args[1] + "'")));
    o.engage = args[1] == "on";
    first = 2;
  } else if (cmd == "audit") {
    static const std::map<std::string, Command> kAudit = {{"verify", Command::kAuditVerify},
                                                          {"prove", Command::kAuditProve},
                                                          {"consistency", Command::kAuditConsistency},
                                                          {"entries", Command::kAuditEntries}};
    auto it = args.size() < 2 ? kAudit.end() : kAudit.find(args[1]);
    if (it == kAudit.end())
      return std::unexpected(usage_error("audit: expected 'verify', 'prove', 'consistency' or 'entries'" +
                                         (args.size() < 2 ? std::string() : ", got '" + args[1] + "'")));
    o.command = it->second;
    name = "audit " + args[1];
    first = 2;
    o.ledger = env_or(env, "TP_LEDGER_GRPC", kDefaultLedger);
    o.public_key_file = env_or(env, "TP_LEDGER_PUBLIC_KEY", "");
  } else if (cmd == "summary") {
    o.command = Command::kSummary;
  } else {
    return std::unexpected(usage_error("unknown command '" + cmd + "'"));
  }

  Flags f(name, args, first);
  std::vector<std::string> admin_lists;
  std::optional<std::string> nats;
  std::optional<std::string> keys;
  bool have_from = false;
  bool have_entry = false;
  while (!f.done()) {
    const std::string flag = f.peek();
    if (flag == "--help" || flag == "-h") {
      Options help;
      help.command = Command::kHelp;
      help.help_topic = name;
      return help;
    }
    const bool db_flag = flag == "--db" && (o.command == Command::kPositions ||
                                            o.command == Command::kAuditVerify ||
                                            o.command == Command::kSummary);
    if (db_flag) {
      auto v = f.value();
      if (!v) return std::unexpected(v.error());
      o.db = *v;
    } else if (o.command == Command::kStatus && flag == "--admin") {
      auto v = f.value();
      if (!v) return std::unexpected(v.error());
      admin_lists.push_back(*v);
    } else if (o.command == Command::kKillSwitch && flag == "--reason") {
      auto v = f.value();
      if (!v) return std::unexpected(v.error());
      o.reason = *v;
    } else if (o.command == Command::kKillSwitch && flag == "--scope") {
      auto v = f.value();
      if (!v) return std::unexpected(v.error());
      o.scope = *v;
    } else if (o.command == Command::kKillSwitch && flag == "--keys") {
      auto v = f.value();
      if (!v) return std::unexpected(v.error());
      keys = *v;
    } else if (o.command == Command::kKillSwitch && flag == "--nats") {
      auto v = f.value();
      if (!v) return std::unexpected(v.error());
      nats = *v;
    } else if (o.command == Command::kKillSwitch && flag == "--operator") {
      auto v = f.value();
      if (!v) return std::unexpected(v.error());
      o.operator_name = *v;
    } else if ((o.command == Command::kAuditVerify || o.command == Command::kAuditConsistency) &&
               flag == "--from") {
      auto v = f.number();
      if (!v) return std::unexpected(v.error());
      o.from = *v;
      have_from = true;
    } else if ((o.command == Command::kAuditVerify || o.command == Command::kAuditConsistency) &&
               flag == "--to") {
      auto v = f.number();
      if (!v) return std::unexpected(v.error());
      o.to = *v;
    } else if ((o.command == Command::kAuditVerify || o.command == Command::kAuditProve ||
                o.command == Command::kAuditConsistency) &&
               flag == "--public-key") {
      auto v = f.value();
      if (!v) return std::unexpected(v.error());
      o.public_key_file = *v;
    } else if ((o.command == Command::kAuditProve || o.command == Command::kAuditConsistency ||
                o.command == Command::kAuditEntries) &&
               flag == "--ledger") {
      auto v = f.value();
      if (!v) return std::unexpected(v.error());
      o.ledger = *v;
    } else if (o.command == Command::kAuditProve && flag == "--entry") {
      auto v = f.number();
      if (!v) return std::unexpected(v.error());
      o.entry = *v;
      have_entry = true;
    } else if (o.command == Command::kAuditProve && flag == "--size") {
      auto v = f.number();
      if (!v) return std::unexpected(v.error());
      if (*v == 0) return std::unexpected(usage_error("audit prove: --size must be positive"));
      o.size = *v;
    } else if (o.command == Command::kAuditEntries &&
               (flag == "--correlation" || flag == "--subject" || flag == "--type")) {
      auto v = f.value();
      if (!v) return std::unexpected(v.error());
      (flag == "--correlation" ? o.correlation_id : flag == "--subject" ? o.subject_prefix
                                                                        : o.message_type) = *v;
    } else if (o.command == Command::kAuditEntries && (flag == "--since" || flag == "--until")) {
      auto v = f.value();
      if (!v) return std::unexpected(v.error());
      auto t = parse_time(*v);
      if (!t) return std::unexpected(usage_error("audit entries: " + flag + ": " + t.error().message));
      (flag == "--since" ? o.since_ns : o.until_ns) = *t;
    } else if (o.command == Command::kAuditEntries && flag == "--from-index") {
      auto v = f.number();
      if (!v) return std::unexpected(v.error());
      o.from_index = *v;
    } else if (o.command == Command::kAuditEntries && flag == "--limit") {
      auto v = f.number();
      if (!v) return std::unexpected(v.error());
      if (*v == 0 || *v > 10'000)
        return std::unexpected(usage_error("audit entries: --limit must be 1..10000"));
      o.limit = static_cast<uint32_t>(*v);
    } else if (o.command == Command::kSummary && flag == "--nats-monitor") {
      auto v = f.value();
      if (!v) return std::unexpected(v.error());
      o.nats_monitor = *v;
    } else {
      return std::unexpected(f.unknown());
    }
  }

  switch (o.command) {
    case Command::kStatus: {
      if (admin_lists.empty()) {
        const std::string fromenv = env_or(env, "TP_ADMIN_URLS", "");
        if (fromenv.empty())
          return std::unexpected(
              usage_error("status: no admin endpoints: pass --admin NAME=URL or set TP_ADMIN_URLS"));
        admin_lists.push_back(fromenv);
      }
      for (const auto& list : admin_lists) {
        auto targets = parse_admin_list(list);
        if (!targets) return std::unexpected(targets.error());
        o.admins.insert(o.admins.end(), targets->begin(), targets->end());
      }
      if (o.admins.empty())
        return std::unexpected(usage_error("status: no admin endpoints in '" + admin_lists[0] + "'"));
      break;
    }
    case Command::kKillSwitch: {
      o.keys_file = keys ? *keys : env_or(env, "TP_KEYS__FILE", "");
      if (o.keys_file.empty())
        return std::unexpected(
            usage_error("killswitch: no key ring: pass --keys FILE or set TP_KEYS__FILE"));
      o.nats_urls = split(nats ? *nats : env_or(env, "TP_NATS__URLS", kDefaultNats), ',');
      if (o.nats_urls.empty()) return std::unexpected(usage_error("killswitch: --nats is empty"));
      if (o.engage && o.reason.empty())
        return std::unexpected(usage_error("killswitch: 'on' needs --reason TEXT"));
      if (o.scope.empty()) return std::unexpected(usage_error("killswitch: --scope is empty"));
      if (o.operator_name.empty()) o.operator_name = env_or(env, "USER", "tradectl");
      break;
    }
    case Command::kAuditVerify:
      if (o.to && *o.to < o.from)
        return std::unexpected(usage_error("audit verify: --to " + std::to_string(*o.to) +
                                           " is before --from " + std::to_string(o.from)));
      break;
    case Command::kAuditProve:
      if (!have_entry) return std::unexpected(usage_error("audit prove: --entry N is required"));
      if (o.size && o.entry >= *o.size)
        return std::unexpected(usage_error("audit prove: entry " + std::to_string(o.entry) +
                                           " is not in a tree of " + std::to_string(*o.size) +
                                           " entries"));
      if (o.public_key_file.empty())
        return std::unexpected(usage_error(
            "audit prove: no tree-head public key: pass --public-key FILE or set TP_LEDGER_PUBLIC_KEY"));
      break;
    case Command::kAuditConsistency:
      if (!have_from)
        return std::unexpected(usage_error("audit consistency: --from SIZE1 is required"));
      if (o.to && *o.to < o.from)
        return std::unexpected(usage_error("audit consistency: --to " + std::to_string(*o.to) +
                                           " is before --from " + std::to_string(o.from)));
      if (o.public_key_file.empty())
        return std::unexpected(usage_error("audit consistency: no tree-head public key: pass "
                                           "--public-key FILE or set TP_LEDGER_PUBLIC_KEY"));
      break;
    case Command::kAuditEntries:
      if (o.since_ns && o.until_ns && *o.until_ns <= *o.since_ns)
        return std::unexpected(usage_error("audit entries: --until must be after --since"));
      break;
    case Command::kSummary:
      if (o.nats_monitor.empty()) o.nats_monitor = env_or(env, "TP_NATS_MONITOR", "");
      break;
    default:
      break;
  }
  return o;
}

}  // namespace tp::tradectl
