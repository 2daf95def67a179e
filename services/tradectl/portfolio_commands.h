// Runs tradectl's portfolio commands (orders, history, stats, trades,
// outcomes; portfolio_cli.h) against PostgreSQL.
//
//   if (auto code = tp::tradectl::run_portfolio(args, env, std::cout, std::cerr)) return *code;
//
// Returns nullopt when args name none of them (nor "help <one of them>"),
// otherwise the exit code (0 ok, 1 failure, 2 usage error).
// Thread safety: one command per process.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "cli.h"

namespace tp::tradectl {

std::optional<int> run_portfolio(const std::vector<std::string>& args, const Environment& env,
                                 std::ostream& out, std::ostream& err);

}  // namespace tp::tradectl
