// Command-line arguments of the binaries' offline subcommands
// (`regime train ...`, `paramctl simulate ...`): flags, options with one
// value, positionals; unknown options are errors, with the texts users see.
//
//   auto args = tp::config::parse_cli_args(argc, argv, /*first=*/2, {"--json"}, {"--seed", "--csv"});
//   if (!args) { err << args.error().message; }        // "unknown option --bogus"
//   if (auto seed = args->integer("--seed"); !seed) ... // "--seed must be an integer, got 'x'"
//   bool json = args->flag("--json");
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tp/core/error.h"

namespace tp::config {

struct CliArgs {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;
  std::set<std::string> flags;

  bool flag(const std::string& name) const { return flags.contains(name); }
  std::optional<std::string> value(const std::string& name) const;
  // nullopt when the option is absent; an error when it is not a whole integer.
  [[nodiscard]] Result<std::optional<int64_t>> integer(const std::string& name) const;
  // nullopt when absent; an error when it is not a finite number.
  [[nodiscard]] Result<std::optional<double>> number(const std::string& name) const;
};

// Parses argv[first..argc). kInvalidArgument: "unknown option X", "X needs a value".
[[nodiscard]] Result<CliArgs> parse_cli_args(int argc, char** argv, int first, const std::set<std::string>& flags,
                                             const std::set<std::string>& options);

// "<option> must be an integer, got '<text>'" / "<option> must be a number, got '<text>'".
[[nodiscard]] Result<int64_t> parse_integer_option(const std::string& option, const std::string& text);
[[nodiscard]] Result<double> parse_number_option(const std::string& option, const std::string& text);

}  // namespace tp::config
