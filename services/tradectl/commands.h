// The subcommands of tradectl, each returning a process exit code
// (kExitOk, kExitFailure); output goes to `out`, errors to `err`.
//
//   tp::tradectl::Options o = ...parse_command_line(...);
//   return tp::tradectl::run(o, std::cout, std::cerr);
//
// Thread safety: one command per process; not reentrant with itself on the
// same streams.
#pragma once

#include <ostream>

#include "cli.h"

namespace tp::tradectl {

int run_status(const Options& options, std::ostream& out, std::ostream& err);
int run_positions(const Options& options, std::ostream& out, std::ostream& err);
int run_killswitch(const Options& options, std::ostream& out, std::ostream& err);
int run_audit_verify(const Options& options, std::ostream& out, std::ostream& err);
int run_audit_prove(const Options& options, std::ostream& out, std::ostream& err);
int run_audit_consistency(const Options& options, std::ostream& out, std::ostream& err);
int run_audit_entries(const Options& options, std::ostream& out, std::ostream& err);
int run_summary(const Options& options, std::ostream& out, std::ostream& err);

// Dispatches on options.command (kHelp prints the usage).
int run(const Options& options, std::ostream& out, std::ostream& err);

// Parses argv and runs; usage errors print the message and the
// subcommand's usage to `err` and return kExitUsage.
int main_with(int argc, char** argv, std::ostream& out, std::ostream& err);

}  // namespace tp::tradectl
