#include "tp/config/cli_args.h"

#include <charconv>
#include <cmath>

namespace tp::config {

std::optional<std::string> CliArgs::value(const std::string& name) const {
  auto it = values.find(name);
  if (it == values.end()) return std::nullopt;
  return it->second;
}

Result<std::optional<int64_t>> CliArgs::integer(const std::string& name) const {
  auto text = value(name);
  if (!text) return std::optional<int64_t>{};
  auto v = parse_integer_option(name, *text);
  if (!v) return std::unexpected(v.error());
  return std::optional<int64_t>{*v};
}

Result<std::optional<double>> CliArgs::number(const std::string& name) const {
  auto text = value(name);
  if (!text) return std::optional<double>{};
  auto v = parse_number_option(name, *text);
  if (!v) return std::unexpected(v.error());
  return std::optional<double>{*v};
}

Result<CliArgs> parse_cli_args(int argc, char** argv, int first, const std::set<std::string>& flags,
                               const std::set<std::string>& options) {
  CliArgs a;
  for (int i = first; i < argc; ++i) {
    const std::string arg = argv[i];
    if (flags.contains(arg)) {
      a.flags.insert(arg);
    } else if (arg.starts_with("--")) {
      if (!options.contains(arg)) return make_error(ErrorCode::kInvalidArgument, "unknown option " + arg);
      if (i + 1 >= argc) return make_error(ErrorCode::kInvalidArgument, arg + " needs a value");
      a.values[arg] = argv[++i];
    } else {
      a.positional.push_back(arg);
    }
  }
  return a;
}

Result<int64_t> parse_integer_option(const std::string& option, const std::string& text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size())
    return make_error(ErrorCode::kInvalidArgument, option + " must be an integer, got '" + text + "'");
  return v;
}

Result<double> parse_number_option(const std::string& option, const std::string& text) {
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v))
    return make_error(ErrorCode::kInvalidArgument, option + " must be a number, got '" + text + "'");
  return v;
}

}  // namespace tp::config
