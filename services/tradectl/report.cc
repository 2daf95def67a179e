#include "report.h"

#include <cinttypes>
#include <cstdio>
#include <ctime>

#include "table.h"
#include "tp/core/fixed_point.h"

namespace tp::tradectl {

namespace {

std::string fx(int64_t e8) { return fixed::to_string(e8); }

std::string printf_string(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

int64_t count_of(const std::map<std::string, int64_t>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? 0 : it->second;
}

int64_t total(const std::map<std::string, int64_t>& m) {
  int64_t n = 0;
  for (const auto& [k, v] : m) n += v;
  return n;
}

}  // namespace

std::string format_time(int64_t unix_ns) {
  std::time_t secs = static_cast<std::time_t>(unix_ns / 1'000'000'000);
  if (unix_ns < 0 && unix_ns % 1'000'000'000 != 0) --secs;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string render_positions(const std::vector<PositionRow>& rows) {
  Table t({{"strategy"}, {"venue"}, {"symbol"}, {"as of (bar)"}, {"quantity", Table::kRight},
           {"avg cost", Table::kRight}, {"mark", Table::kRight}, {"realized", Table::kRight},
           {"unrealized", Table::kRight}, {"fees", Table::kRight}, {"equity", Table::kRight}});
  for (const auto& r : rows)
    t.add_row({r.strategy, r.venue, r.symbol, format_time(r.bar_time_ns), fx(r.quantity_e8),
               fx(r.average_cost_e8), fx(r.mark_price_e8), fx(r.realized_pnl_e8),
               fx(r.unrealized_pnl_e8), fx(r.fees_e8), fx(r.equity_e8)});
  if (rows.empty()) return "no positions\n";
  return t.render();
}

std::string render_audit(const AuditResult& r) {
  std::string out = "checked " + std::to_string(r.checked) + " entries";
  if (r.checked > 0)
    out += " (" + std::to_string(r.from) + ".." + std::to_string(r.from + r.checked - 1) + ")";
  out += " in " + printf_string("%.3f", r.seconds) + " s";
  if (r.seconds > 0 && r.checked > 0)
    out += " (" + std::to_string(static_cast<int64_t>(static_cast<double>(r.checked) / r.seconds)) +
           " entries/s)";
  out += "\n";
  if (r.tree_checked) {
    out += "tree: " + std::to_string(r.tree_size) + " entries, root " + r.root_hex + ", " +
           std::to_string(r.nodes_checked) + " stored nodes matched\n";
    out += "tree heads: " + std::to_string(r.heads_checked) + " verified";
    if (r.latest_head_size) out += " (latest size " + std::to_string(*r.latest_head_size) + ")";
    out += r.key_pinned ? ", signatures checked with the pinned public key\n"
                        : ", signatures checked with the keys recorded in the database (pass "
                          "--public-key to pin one)\n";
  }
  for (const auto& note : r.notes) out += "note: " + note + "\n";
  if (r.broken_index)
    out += "BROKEN at index " + std::to_string(*r.broken_index) + ": " + r.broken_reason + "\n";
  else
    out += "OK\n";
  return out;
}

std::string format_time_ms(int64_t unix_ns) {
  const int64_t ms = unix_ns >= 0 ? (unix_ns / 1'000'000) % 1000 : 0;
  std::string base = format_time(unix_ns);  // "...:SSZ"
  if (!base.empty() && base.back() == 'Z') base.pop_back();
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%03dZ", static_cast<int>(ms));
  return base + frac;
}

std::string render_entries(const std::vector<EntryRow>& rows) {
  if (rows.empty()) return "no entries\n";
  Table t({{"index", Table::kRight},
           {"published (UTC)"},
           {"stream"},
           {"seq", Table::kRight},
           {"type"},
           {"subject"},
           {"producer"},
           {"correlation"}});
  for (const auto& r : rows)
    t.add_row({std::to_string(r.index), format_time_ms(r.published_ns), r.stream,
               std::to_string(r.stream_sequence), r.message_type, r.subject, r.producer,
               r.correlation_id});
  return t.render() + std::to_string(rows.size()) + (rows.size() == 1 ? " entry\n" : " entries\n");
}

std::string quality_label(uint32_t flags) {
  if (flags == 0) return "OK";
  static const std::pair<uint32_t, const char*> kNames[] = {
      {1, "ZERO_VOLUME"}, {2, "OUTLIER"}, {4, "GAP_BEFORE"}, {8, "OUT_OF_ORDER"},
      {16, "INCONSISTENT"}};
  std::string out;
  uint32_t rest = flags;
  for (const auto& [bit, name] : kNames) {
    if (!(flags & bit)) continue;
    if (!out.empty()) out += "+";
    out += name;
    rest &= ~bit;
  }
  if (rest != 0) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%" PRIx32, rest);
    if (!out.empty()) out += "+";
    out += buf;
  }
  return out;
}

std::string render_summary(const Summary& s) {
  std::string out;
  out += "== messages (ledger) ==\n";
  Table m({{"item"}, {"count", Table::kRight}});
  m.add_row({"bars", std::to_string(count_of(s.messages_by_type, "trading.v1.Bar"))});
  for (const auto& [label, n] : s.bars_by_quality) m.add_row({"  bars " + label, std::to_string(n)});
  m.add_row({"regime posteriors", std::to_string(count_of(s.messages_by_type, "trading.v1.RegimePosterior"))});
  for (const auto& [label, n] : s.posteriors_by_model_and_label) m.add_row({"  " + label, std::to_string(n)});
  m.add_row({"parameter choices", std::to_string(count_of(s.messages_by_type, "trading.v1.ParameterChoice"))});
  m.add_row({"signals", std::to_string(count_of(s.messages_by_type, "trading.v1.Signal"))});
  m.add_row({"order intents", std::to_string(count_of(s.messages_by_type, "trading.v1.OrderIntent"))});
  m.add_row({"rejections", std::to_string(count_of(s.messages_by_type, "trading.v1.DecisionRejection"))});
  for (const auto& [reason, n] : s.rejections_by_reason)
    m.add_row({"  " + reason, std::to_string(n)});
  m.add_row({"execution reports", std::to_string(count_of(s.messages_by_type, "trading.v1.ExecutionReport"))});
  for (const auto& [type, n] : s.reports_by_exec_type) m.add_row({"  " + type, std::to_string(n)});
  m.add_row({"fills", std::to_string(count_of(s.reports_by_exec_type, "EXEC_FILL") +
                                      count_of(s.reports_by_exec_type, "EXEC_PARTIAL_FILL"))});
  m.add_row({"positions", std::to_string(count_of(s.messages_by_type, "trading.v1.Position"))});
  m.add_row({"kill switch events", std::to_string(count_of(s.messages_by_type, "trading.v1.KillSwitch"))});
  m.add_row({"dead letters", std::to_string(count_of(s.messages_by_type, "trading.v1.DeadLetter"))});
  for (const auto& [reason, n] : s.dead_letters_by_reason) m.add_row({"  " + reason, std::to_string(n)});
  m.add_row({"all ledger entries", std::to_string(total(s.messages_by_type))});
  out += m.render();

  out += "\n== PnL per strategy and instrument (execsim) ==\n";
  if (!s.execsim_tables) {
    out += "execsim tables not found\n";
  } else if (s.positions.empty()) {
    out += "no positions\n";
  } else {
    Table p({{"strategy"}, {"instrument"}, {"quantity", Table::kRight},
             {"realized", Table::kRight}, {"fees", Table::kRight}, {"unrealized", Table::kRight},
             {"net pnl", Table::kRight}, {"equity", Table::kRight}});
    for (const auto& r : s.positions)
      p.add_row({r.strategy, r.venue + "/" + r.symbol, fx(r.quantity_e8), fx(r.realized_pnl_e8),
                 fx(r.fees_e8), fx(r.unrealized_pnl_e8),
                 fx(r.realized_pnl_e8 - r.fees_e8 + r.unrealized_pnl_e8), fx(r.equity_e8)});
    out += p.render();
  }

  out += "\n== risk per instrument (per-bar returns, annualised x sqrt(525600)) ==\n";
  if (s.performance.empty()) {
    out += "no equity history\n";
  } else {
    Table r({{"instrument"}, {"bars", Table::kRight}, {"return", Table::kRight},
             {"sharpe", Table::kRight}, {"max drawdown", Table::kRight}});
    for (const auto& ip : s.performance) {
      const auto& p = ip.performance;
      r.add_row({ip.instrument, std::to_string(p.bars),
                 printf_string("%.4f%%", p.total_return * 100.0),
                 p.sharpe ? printf_string("%.3f", *p.sharpe) : "n/a",
                 printf_string("%.4f%%", p.max_drawdown * 100.0)});
    }
    out += r.render();
  }

  if (!s.streams.empty()) {
    out += "\n== streams ==\n";
    Table st({{"stream"}, {"broker messages", Table::kRight}, {"ledger entries", Table::kRight}});
    for (const auto& c : s.streams)
      st.add_row({c.stream, c.broker_messages ? std::to_string(*c.broker_messages) : "-",
                  std::to_string(c.ledger_entries)});
    out += st.render();
  }

  out += "\n== ledger ==\n";
  out += "entries: " + std::to_string(total(s.messages_by_type)) + "\n";
  if (s.audit) {
    out += "chain: " + (s.audit->broken_index
                            ? "BROKEN at index " + std::to_string(*s.audit->broken_index) + ": " +
                                  s.audit->broken_reason
                            : "OK (" + std::to_string(s.audit->checked) + " entries verified)") +
           "\n";
  } else {
    out += "chain: not verified\n";
  }
  for (const auto& n : s.notes) out += "note: " + n + "\n";
  return out;
}

}  // namespace tp::tradectl
