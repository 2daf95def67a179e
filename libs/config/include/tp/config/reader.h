// Reader: the one place a service turns a Document into its typed config,
// collecting every problem instead of stopping at the first.
//
//   tp::Result<DecisionConfig> read_decision_config(const tp::config::Document& doc) {
//     tp::config::Reader r(doc);
//     DecisionConfig cfg;
//     cfg.nats_url = r.string("nats.url", {.default_value = "nats://127.0.0.1:4222"});
//     cfg.admin_port = r.integer("admin.port", {.min = 1, .max = 65535, .default_value = 9100});
//     cfg.mode = r.one_of("mode", {"paper", "live"}, "paper");
//     cfg.db_password = r.secret("db.password");
//     for (const auto& name : r.object_keys("strategies"))
//       cfg.strategies[name].window = r.integer("strategies." + name + ".window", {.min = 1});
//     if (auto done = r.finish(); !done) return std::unexpected(done.error());
//     return cfg;
//   }
//
// Rules (docs/configuration.md is the operator-facing version):
// - Paths are dotted object keys: "admin.port" is {"admin": {"port": ...}}.
// - An environment variable <prefix><PATH> overrides the file, where PATH is
//   the path upper-cased with "." replaced by "__": TP_ADMIN__PORT -> admin.port.
//   Its text is converted to the type the read asks for.
// - A field with no value and no default is "required".
// - finish() reports every key in the file and every <prefix>* variable that
//   no read asked for as "unknown key", then returns all errors at once,
//   sorted by path (format in field_error.h).
// - A getter never fails: on error it records the problem and returns the
//   default (or an empty value), so a loader reads everything and the
//   operator sees all problems in one run.
//
// Single-threaded: one Reader per load, used by the thread that loads config.
// The Document must outlive the Reader.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tp/config/document.h"
#include "tp/config/field_error.h"
#include "tp/config/secret.h"
#include "tp/core/error.h"

namespace tp::config {

struct StringOptions {
  std::optional<std::string> default_value;
  // Most strings (URLs, subjects, names) are wrong when empty, so an empty
  // value is an error unless asked for.
  bool allow_empty = false;
};

struct IntegerOptions {
  std::optional<int64_t> min;
  std::optional<int64_t> max;
  std::optional<int64_t> default_value;
};

struct NumberOptions {
  std::optional<double> min;
  std::optional<double> max;
  std::optional<double> default_value;
};

struct BooleanOptions {
  std::optional<bool> default_value;
};

// A duration is an integer number of milliseconds (250) or a string with a
// unit: "250ms", "5s", "2m", "1h". Negative durations are always an error.
struct DurationOptions {
  std::optional<std::chrono::milliseconds> min;
  std::optional<std::chrono::milliseconds> max;
  std::optional<std::chrono::milliseconds> default_value;
};

struct StringListOptions {
  std::optional<std::vector<std::string>> default_value;
  bool allow_empty_list = true;
};

struct SecretOptions {
  bool required = true;
};

class Reader {
 public:
  explicit Reader(const Document& doc);
  // The Reader keeps a reference: refuse a temporary that would dangle.
  explicit Reader(Document&&) = delete;
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  std::string string(std::string_view path, StringOptions options = {});
  int64_t integer(std::string_view path, IntegerOptions options = {});
  double number(std::string_view path, NumberOptions options = {});
  bool boolean(std::string_view path, BooleanOptions options = {});
  std::chrono::milliseconds duration_ms(std::string_view path, DurationOptions options = {});
  // A string that must be one of `allowed` (case-sensitive).
  std::string one_of(std::string_view path, const std::vector<std::string>& allowed,
                     std::optional<std::string> default_value = std::nullopt);
  // A JSON array of strings; from the environment, comma-separated with
  // surrounding spaces trimmed ("" is the empty list).
  std::vector<std::string> string_list(std::string_view path, StringListOptions options = {});
  // {"file": "/run/secrets/x"} or {"env": "VAR"}; never an inline string.
  // From the environment: <VAR> holds the value, <VAR>_FILE names a file.
  Secret secret(std::string_view path, SecretOptions options = {});

  // The keys of the object at `path` (sorted), plus names that only appear in
  // override variables (TP_STRATEGIES__MOMO__WINDOW adds "momo" to
  // object_keys("strategies")). Empty when absent. Reading the keys does not
  // consume them: the loader must read each entry's fields.
  std::vector<std::string> object_keys(std::string_view path);

  // True when the file or an override variable sets `path` (or something
  // below it). Lets a loader treat a whole section as optional.
  bool has(std::string_view path) const;

  // Records a problem the loader found itself (cross-field rules, e.g.
  // "risk.max_order_qty: must not exceed risk.max_position").
  void add_error(std::string path, std::string message);

  // Adds "unknown key" for everything never read, then returns ok() or a
  // kInvalidArgument Error whose message is format_errors(source, errors()).
  // Call once, after all reads.
  [[nodiscard]] Status finish();

  // Errors so far (finish() adds the unknown keys), sorted by path.
  std::vector<FieldError> errors() const;

  // The effective configuration, one "path = value (origin)" line per field
  // read, sorted by path, for a start-up log line. Secrets show <redacted>
  // and where they came from. Origins: "file", "default", "env TP_X".
  std::string describe() const;

 private:
  struct Lookup;

  // Registers `path` as read, finds it in the file and the environment.
  Lookup find(std::string_view path);
  // Shared shape of every typed getter: environment over file over default,
  // convert, check, record for describe(). Defined in reader.cc only.
  template <typename T, typename FromJson, typename FromEnv, typename Check, typename Render>
  T read_value(std::string_view path, const std::optional<T>& default_value, FromJson from_json,
               FromEnv from_env, Check check, Render render);
  // Appends " (from env VAR)" when `env_var` is not empty.
  void report(std::string path, std::string message, std::string_view env_var = {});
  void record(std::string path, std::string rendered, std::string origin);
  void check_unknown_file_keys(const nlohmann::json& node, const std::string& prefix);
  Secret secret_from_file(const std::string& path, const std::string& file,
                          std::string_view env_var);
  // The config path an override variable names, e.g. TP_ADMIN__PORT -> "admin.port".
  std::string path_of_env_var(std::string_view name) const;

  const Document& doc_;
  std::vector<FieldError> errors_;
  std::set<std::string, std::less<>> consumed_;  // paths read whole (leaves, lists, secrets)
  std::set<std::string, std::less<>> known_;     // consumed paths and all their ancestors
  std::set<std::string, std::less<>> used_env_;  // override variables a read consumed
  std::map<std::string, std::pair<std::string, std::string>, std::less<>> effective_;
  bool finished_ = false;
};

// "TP_ADMIN__PORT" for ("admin.port", "TP_").
std::string env_var_for(std::string_view path, std::string_view prefix);

}  // namespace tp::config
