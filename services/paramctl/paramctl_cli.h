// The paramctl binary's offline commands (the service runs when the first
// argument is not one of them):
//
//   paramctl simulate [--arms N] [--dim D] [--rounds T] [--seed S] [--v V]
//                     [--lambda L] [--noise SIGMA] [--decay N] [--checkpoints C] [--json]
//
// `simulate` runs the real LinTS code (tp::bandit) against a synthetic
// linear environment (tp/bandit/simulate.h) and prints the cumulative regret
// against the oracle and against uniform random play at C checkpoints, so
// users can tune v. `--json` prints the document of
// tp::bandit::simulation_to_json and nothing else on standard output.
// Errors go to standard error; exit 0 on success, 1 on failure, 2 on a
// usage error.
#pragma once

#include <iosfwd>
#include <string_view>

namespace tp::paramctl {

bool is_cli_command(std::string_view first_argument);
int run_cli(int argc, char** argv, std::ostream& out, std::ostream& err);

}  // namespace tp::paramctl
