// Execution report texts: every engine event explained in words, from the
// facts the engine recorded (the rule applied, reference price, slippage
// parts, fee tier, caps). The engine stays free of string formatting on its
// hot path; the core renders each event once, into ExecutionReport.text.
//
//   "MARKET at open 30100 + 10 bps slippage = 30130.1; taker fee 10 bps"
//   "STOP 29000 gapped through: open 28500 - 10 bps slippage = 28471.5; taker fee 10 bps"
//   std::string text = describe(event, model);
//
// Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>

#include "execsim/core/engine.h"

namespace tp::execsim {

std::string describe(const Event& event, const FillModel& model);

// "2023-03-01T00:00:00Z" (UTC, whole seconds; fractions shown when present).
std::string iso_utc(int64_t t_ns);

}  // namespace tp::execsim
