// The platform's streams, subjects and deterministic message ids, declared
// once (docs/pipeline.md is the prose version).
//
//   auto subject = tp::runtime::subjects::bar("binance-us", "BTCUSDT", "1m");
//   // "md.bar.binance-us.BTCUSDT.1m"
//   auto id = tp::runtime::ids::bar("binance-us", "BTCUSDT", "1m", open_time_ns);
//   // "bar:binance-us:BTCUSDT:1m:1677628800"
//   for (const auto& s : tp::runtime::topology::streams()) transport.ensure_stream(s);
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tp/bus/transport.h"

namespace tp::runtime {

namespace topology {
inline constexpr std::string_view kMarketData = "MD";
inline constexpr std::string_view kRegime = "REGIME";
inline constexpr std::string_view kParams = "PARAMS";
inline constexpr std::string_view kSignals = "SIG";
inline constexpr std::string_view kOrders = "ORDERS";
inline constexpr std::string_view kExecutions = "EXEC";
inline constexpr std::string_view kControl = "CTL";
inline constexpr std::string_view kDeadLetters = "DLQ";

// Every stream of the platform, file-backed, with the given duplicate window.
std::vector<bus::StreamConfig> streams(int64_t duplicate_window_ns = 2 * 60 * kNanosPerSecond);
}  // namespace topology

// True when `token` can be one token of a subject: non-empty, and no '.',
// '*', '>', whitespace or control characters.
bool valid_subject_token(std::string_view token);

namespace subjects {
std::string bar(std::string_view venue, std::string_view symbol, std::string_view timeframe);
std::string regime(std::string_view venue, std::string_view symbol, std::string_view timeframe);
std::string param_choice(std::string_view strategy, std::string_view symbol);
std::string param_outcome(std::string_view strategy, std::string_view symbol);
std::string signal(std::string_view strategy, std::string_view symbol);
std::string order_intent(std::string_view symbol);
std::string order_reject(std::string_view symbol);
std::string order_cancel(std::string_view symbol);
std::string exec_report(std::string_view symbol);
std::string exec_position(std::string_view symbol);
inline constexpr std::string_view kKillSwitch = "ctl.killswitch";
inline constexpr std::string_view kModelPromoted = "ctl.model";
}  // namespace subjects

namespace ids {
// Times are the bar's open time in ns; ids carry whole Unix seconds.
std::string bar(std::string_view venue, std::string_view symbol, std::string_view timeframe,
                int64_t open_time_ns);
std::string regime(std::string_view venue, std::string_view symbol, std::string_view timeframe,
                   int64_t open_time_ns);
std::string param_choice(std::string_view strategy, std::string_view venue,
                         std::string_view symbol, int64_t open_time_ns);
std::string signal(std::string_view strategy, std::string_view venue, std::string_view symbol,
                   int64_t open_time_ns);
std::string decision(std::string_view strategy, std::string_view venue, std::string_view symbol,
                     int64_t open_time_ns);
std::string client_order(std::string_view strategy, std::string_view venue,
                         std::string_view symbol, int64_t open_time_ns);
std::string exec_report(std::string_view client_order_id, uint64_t event_number);
std::string position(std::string_view strategy, std::string_view venue, std::string_view symbol,
                     int64_t open_time_ns);
std::string outcome(std::string_view decision_id);
}  // namespace ids

}  // namespace tp::runtime
