#include "tp/runtime/topology.h"

namespace tp::runtime {

namespace topology {
std::vector<bus::StreamConfig> streams(int64_t duplicate_window_ns) {
  auto make = [&](std::string_view name, std::vector<std::string> subjects) {
    bus::StreamConfig c;
    c.name = name;
    c.subjects = std::move(subjects);
    c.duplicate_window_ns = duplicate_window_ns;
    return c;
  };
  auto dlq = make(kDeadLetters, {"dlq.>"});
  // A dead letter wraps the original message: leave room for an oversized one.
  dlq.max_message_bytes = 8 << 20;
  return {make(kMarketData, {"md.>"}),    make(kRegime, {"regime.>"}),
          make(kParams, {"params.>"}),    make(kSignals, {"sig.>"}),
          make(kOrders, {"orders.>"}),    make(kExecutions, {"exec.>"}),
          make(kControl, {"ctl.>"}),      dlq};
}
}  // namespace topology

bool valid_subject_token(std::string_view token) {
  if (token.empty()) return false;
  for (char c : token) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '.' || c == '*' || c == '>') return false;
  }
  return true;
}

namespace {
std::string join(std::initializer_list<std::string_view> parts, char sep) {
  std::string out;
  for (auto p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}
std::string secs(int64_t ns) { return std::to_string(ns / kNanosPerSecond); }
}  // namespace

namespace subjects {
std::string bar(std::string_view v, std::string_view s, std::string_view tf) {
  return join({"md.bar", v, s, tf}, '.');
}
std::string regime(std::string_view v, std::string_view s, std::string_view tf) {
  return join({"regime", v, s, tf}, '.');
}
std::string param_choice(std::string_view st, std::string_view s) {
  return join({"params.choice", st, s}, '.');
}
std::string param_outcome(std::string_view st, std::string_view s) {
  return join({"params.outcome", st, s}, '.');
}
std::string signal(std::string_view st, std::string_view s) { return join({"sig", st, s}, '.'); }
std::string order_intent(std::string_view s) { return join({"orders.intent", s}, '.'); }
std::string order_reject(std::string_view s) { return join({"orders.reject", s}, '.'); }
std::string order_cancel(std::string_view s) { return join({"orders.cancel", s}, '.'); }
std::string exec_report(std::string_view s) { return join({"exec.report", s}, '.'); }
std::string exec_position(std::string_view s) { return join({"exec.position", s}, '.'); }
}  // namespace subjects

namespace ids {
std::string bar(std::string_view v, std::string_view s, std::string_view tf, int64_t t) {
  return join({"bar", v, s, tf, secs(t)}, ':');
}
std::string regime(std::string_view v, std::string_view s, std::string_view tf, int64_t t) {
  return join({"regime", v, s, tf, secs(t)}, ':');
}
std::string param_choice(std::string_view st, std::string_view v, std::string_view s, int64_t t) {
  return join({"choice", st, v, s, secs(t)}, ':');
}
std::string signal(std::string_view st, std::string_view v, std::string_view s, int64_t t) {
  return join({"sig", st, v, s, secs(t)}, ':');
}
std::string decision(std::string_view st, std::string_view v, std::string_view s, int64_t t) {
  return join({"decision", st, v, s, secs(t)}, ':');
}
std::string client_order(std::string_view st, std::string_view v, std::string_view s, int64_t t) {
  return join({st, v, s, secs(t)}, '-');
}
std::string exec_report(std::string_view client_order_id, uint64_t n) {
  return join({"exec", client_order_id, std::to_string(n)}, ':');
}
std::string position(std::string_view st, std::string_view v, std::string_view s, int64_t t) {
  return join({"pos", st, v, s, secs(t)}, ':');
}
std::string outcome(std::string_view decision_id) { return join({"outcome", decision_id}, ':'); }
}  // namespace ids

}  // namespace tp::runtime
