// A parsed configuration: the JSON file, the environment it may be overridden
// from, and the prefix that marks override variables.
//
//   auto doc = tp::config::load_file("/etc/tp/decision.json",
//                                    tp::config::process_environment());
//   if (!doc) { /* doc.error().message names the file, line and column */ }
//   tp::config::Reader r(*doc);  // see reader.h
//
// The environment is an ordinary map so tests inject it instead of touching
// the process environment; only a service's main() calls
// process_environment(). The file may contain // and /* */ comments (so an
// operator can say why a limit is what it is); anything else must be strict
// JSON. A key repeated inside one object is an error, because JSON parsers
// silently keep the last one and an operator would be editing the wrong line.
//
// A Document is an immutable value: build it once at start-up, then share it
// (read-only) between threads if needed.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "tp/core/error.h"

namespace tp::config {

// Environment variables by name. Reads look up variables by exact name.
using Environment = std::map<std::string, std::string, std::less<>>;

inline constexpr std::string_view kDefaultEnvPrefix = "TP_";

struct Document {
  // How errors name this configuration: the file path, or "<inline>".
  std::string source;
  // Always an object (an empty object when there is no file).
  nlohmann::json root = nlohmann::json::object();
  // The whole environment: `<prefix>...` variables are overrides, and
  // {"env": "VAR"} secrets may name any variable.
  Environment env;
  std::string env_prefix = std::string(kDefaultEnvPrefix);
};

// A snapshot of this process's environment (reads `environ`). Call it from
// main() before starting threads; setenv() races with it.
Environment process_environment();

// Parses `text` as the configuration named `source`. Errors (kInvalidArgument):
//   "config <source>: parse error at line L, column C: <what the parser expected>"
//   "config <source>: top level must be an object, got array"
//   "config <source> has N errors:\n  <path>: duplicate key\n..."
[[nodiscard]] Result<Document> parse_document(std::string_view text, std::string source,
                                              Environment env = {},
                                              std::string env_prefix = std::string(kDefaultEnvPrefix));

// Reads and parses a file. Besides the parse_document errors:
//   "config <path>: cannot read: No such file or directory" (kNotFound or kPermissionDenied ...)
[[nodiscard]] Result<Document> load_file(const std::filesystem::path& path, Environment env,
                                         std::string env_prefix = std::string(kDefaultEnvPrefix));

// A configuration with no file: everything comes from defaults and the
// environment. Errors name the source "<environment>".
Document environment_only(Environment env, std::string env_prefix = std::string(kDefaultEnvPrefix));

}  // namespace tp::config
