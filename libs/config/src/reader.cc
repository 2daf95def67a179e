#include "tp/config/reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <expected>
#include <limits>
#include <utility>

#include "file_text.h"

namespace tp::config {
namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;

// What went wrong converting one value. `subpath` points inside it
// ("[2]" for a list element) when the problem is narrower than the field.
struct Problem {
  Problem(std::string m) : message(std::move(m)) {}  // NOLINT: implicit on purpose
  Problem(std::string sub, std::string m) : message(std::move(m)), subpath(std::move(sub)) {}
  std::string message;
  std::string subpath;
};

template <typename T>
using Converted = std::expected<T, Problem>;

constexpr size_t kMaxShownChars = 64;

// A string as the user would type it in JSON, cut short so a pasted blob
// cannot flood the error report.
std::string json_quoted(std::string_view s) {
  std::string shown(s.substr(0, std::min(s.size(), kMaxShownChars)));
  std::string out = json(shown).dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > kMaxShownChars) out.insert(out.size() - 1, "...");
  return out;
}

std::string type_name(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "integer";
    case json::value_t::number_float: return "number";
    case json::value_t::string: return "string";
    case json::value_t::object: return "object";
    case json::value_t::array: return "array";
    default: return "value";
  }
}

// "string \"abc\"", "integer 5", "object": the type, and the value when short.
std::string describe_json(const json& j) {
  switch (j.type()) {
    case json::value_t::boolean:
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return type_name(j) + " " + j.dump();
    case json::value_t::string: return "string " + json_quoted(j.get_ref<const std::string&>());
    default: return type_name(j);
  }
}

std::string render_double(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return std::to_string(v);
  return std::string(buf, end);
}

std::string render_ms(milliseconds d) { return std::to_string(d.count()) + "ms"; }

std::string render_list(const std::vector<std::string>& items) {
  return json(items).dump(-1, ' ', false, json::error_handler_t::replace);
}

template <typename T, typename Render>
std::optional<std::string> range_problem(T v, const std::optional<T>& min,
                                         const std::optional<T>& max, Render render) {
  if ((!min || v >= *min) && (!max || v <= *max)) return std::nullopt;
  if (min && max) {
    return "must be between " + render(*min) + " and " + render(*max) + ", got " + render(v);
  }
  if (min) return "must be at least " + render(*min) + ", got " + render(v);
  return "must be at most " + render(*max) + ", got " + render(v);
}

std::string render_int(int64_t v) { return std::to_string(v); }

Converted<int64_t> integer_from_json(const json& j) {
  if (j.is_number_unsigned()) {
    const uint64_t u = j.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return std::unexpected(Problem("must be at most " +
                                     render_int(std::numeric_limits<int64_t>::max()) +
                                     ", got " + j.dump()));
    }
    return static_cast<int64_t>(u);
  }
  if (j.is_number_integer()) return j.get<int64_t>();
  return std::unexpected(Problem("expected integer, got " + describe_json(j)));
}

Converted<int64_t> integer_from_text(std::string_view text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc::result_out_of_range) {
    return std::unexpected(Problem("must be between " +
                                   render_int(std::numeric_limits<int64_t>::min()) + " and " +
                                   render_int(std::numeric_limits<int64_t>::max()) + ", got " +
                                   std::string(text)));
  }
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return std::unexpected(Problem("expected integer, got " + json_quoted(text)));
  }
  return v;
}

Converted<double> number_from_text(std::string_view text) {
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) {
    return std::unexpected(Problem("expected number, got " + json_quoted(text)));
  }
  return v;
}

// "250" (ms), "250ms", "5s", "2m", "1h".
Converted<milliseconds> duration_from_text(std::string_view text, std::string_view shown) {
  const std::string expected =
      "expected a duration (integer milliseconds, or a whole number with unit ms, s, m or h "
      "such as \"5s\"), got ";
  size_t digits_end = 0;
  if (digits_end < text.size() && text[digits_end] == '-') ++digits_end;
  while (digits_end < text.size() && text[digits_end] >= '0' && text[digits_end] <= '9') {
    ++digits_end;
  }
  int64_t amount = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + digits_end, amount);
  if (ec != std::errc() || end != text.data() + digits_end) {
    return std::unexpected(Problem(expected + std::string(shown)));
  }
  const std::string_view unit = text.substr(digits_end);
  int64_t scale = 0;
  if (unit.empty() || unit == "ms") {
    scale = 1;
  } else if (unit == "s") {
    scale = 1000;
  } else if (unit == "m") {
    scale = 60'000;
  } else if (unit == "h") {
    scale = 3'600'000;
  } else {
    return std::unexpected(Problem(expected + std::string(shown)));
  }
  int64_t ms = 0;
  if (__builtin_mul_overflow(amount, scale, &ms)) {
    return std::unexpected(Problem("duration out of range, got " + std::string(shown)));
  }
  return milliseconds(ms);
}

Converted<milliseconds> duration_from_json(const json& j) {
  if (j.is_number_integer() || j.is_number_unsigned()) {
    auto ms = integer_from_json(j);
    if (!ms) return std::unexpected(ms.error());
    return milliseconds(*ms);
  }
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    return duration_from_text(s, describe_json(j));
  }
  return duration_from_text("?", describe_json(j));
}

std::vector<std::string> split_segments(std::string_view path) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t dot = path.find('.', start);
    out.emplace_back(path.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

std::string trim_spaces(std::string_view s) {
  const size_t first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const size_t last = s.find_last_not_of(" \t");
  return std::string(s.substr(first, last - first + 1));
}

std::string with_env_suffix(std::string message, std::string_view env_var) {
  if (!env_var.empty()) {
    message += " (from env ";
    message += env_var;
    message += ")";
  }
  return message;
}

}  // namespace

std::string env_var_for(std::string_view path, std::string_view prefix) {
  std::string out(prefix);
  for (char c : path) {
    if (c == '.') {
      out += "__";
    } else if (c >= 'a' && c <= 'z') {
      out += static_cast<char>(c - 'a' + 'A');
    } else {
      out += c;
    }
  }
  return out;
}

struct Reader::Lookup {
  std::string path;
  const json* node = nullptr;        // the file's value, when present
  std::string env_var;               // the override variable's name, when set
  const std::string* env_value = nullptr;
  bool blocked = false;              // a parent is not an object (already reported)
};

Reader::Reader(const Document& doc) : doc_(doc) {}

Reader::Lookup Reader::find(std::string_view path) {
  Lookup lookup;
  lookup.path = std::string(path);
  consumed_.insert(lookup.path);
  for (size_t dot = path.find('.'); dot != std::string_view::npos; dot = path.find('.', dot + 1)) {
    known_.insert(std::string(path.substr(0, dot)));
  }
  known_.insert(lookup.path);

  const json* node = &doc_.root;
  std::string so_far;
  for (const std::string& segment : split_segments(path)) {
    if (!node->is_object()) {
      report(so_far, "expected object, got " + describe_json(*node));
      consumed_.insert(so_far);
      lookup.blocked = true;
      node = nullptr;
      break;
    }
    auto it = node->find(segment);
    if (it == node->end()) {
      node = nullptr;
      break;
    }
    node = &*it;
    so_far = so_far.empty() ? segment : so_far + "." + segment;
  }
  lookup.node = node;

  std::string var = env_var_for(path, doc_.env_prefix);
  if (auto it = doc_.env.find(var); it != doc_.env.end()) {
    used_env_.insert(var);
    lookup.env_value = &it->second;
    lookup.env_var = std::move(var);
  }
  return lookup;
}

void Reader::report(std::string path, std::string message, std::string_view env_var) {
  errors_.push_back({std::move(path), with_env_suffix(std::move(message), env_var)});
}

void Reader::record(std::string path, std::string rendered, std::string origin) {
  effective_[std::move(path)] = {std::move(rendered), std::move(origin)};
}

void Reader::add_error(std::string path, std::string message) {
  report(std::move(path), std::move(message));
}

template <typename T, typename FromJson, typename FromEnv, typename Check, typename Render>
T Reader::read_value(std::string_view path, const std::optional<T>& default_value,
                     FromJson from_json, FromEnv from_env, Check check, Render render) {
  Lookup l = find(path);
  auto accept = [&](Converted<T> v, std::string_view env_var, std::string origin) -> T {
    if (!v) {
      report(l.path + v.error().subpath, std::move(v.error().message), env_var);
      return default_value.value_or(T{});
    }
    if (std::optional<std::string> problem = check(*v)) {
      report(l.path, std::move(*problem), env_var);
      return default_value.value_or(T{});
    }
    record(l.path, render(*v), std::move(origin));
    return std::move(*v);
  };
  if (l.env_value != nullptr) return accept(from_env(*l.env_value), l.env_var, "env " + l.env_var);
  if (l.node != nullptr) return accept(from_json(*l.node), {}, "file");
  if (l.blocked) return default_value.value_or(T{});
  if (default_value) {
    record(l.path, render(*default_value), "default");
    return *default_value;
  }
  report(l.path, "required");
  return T{};
}

std::string Reader::string(std::string_view path, StringOptions options) {
  auto from_json = [](const json& j) -> Converted<std::string> {
    if (!j.is_string()) return std::unexpected(Problem("expected string, got " + describe_json(j)));
    return j.get<std::string>();
  };
  auto from_env = [](const std::string& s) -> Converted<std::string> { return s; };
  auto check = [&](const std::string& s) -> std::optional<std::string> {
    if (s.empty() && !options.allow_empty) return "must not be empty";
    return std::nullopt;
  };
  return read_value<std::string>(path, options.default_value, from_json, from_env, check,
                                 [](const std::string& s) { return json_quoted(s); });
}

int64_t Reader::integer(std::string_view path, IntegerOptions options) {
  auto check = [&](int64_t v) { return range_problem(v, options.min, options.max, render_int); };
  return read_value<int64_t>(path, options.default_value, integer_from_json, integer_from_text,
                             check, render_int);
}

double Reader::number(std::string_view path, NumberOptions options) {
  auto from_json = [](const json& j) -> Converted<double> {
    if (!j.is_number()) return std::unexpected(Problem("expected number, got " + describe_json(j)));
    return j.get<double>();
  };
  auto check = [&](double v) { return range_problem(v, options.min, options.max, render_double); };
  return read_value<double>(path, options.default_value, from_json, number_from_text, check,
                            render_double);
}

bool Reader::boolean(std::string_view path, BooleanOptions options) {
  auto from_json = [](const json& j) -> Converted<bool> {
    if (!j.is_boolean()) {
      return std::unexpected(Problem("expected boolean, got " + describe_json(j)));
    }
    return j.get<bool>();
  };
  auto from_env = [](const std::string& s) -> Converted<bool> {
    if (s == "true") return true;
    if (s == "false") return false;
    return std::unexpected(Problem("expected boolean (true or false), got " + json_quoted(s)));
  };
  return read_value<bool>(
      path, options.default_value, from_json, from_env,
      [](bool) { return std::optional<std::string>(); },
      [](bool b) { return std::string(b ? "true" : "false"); });
}

milliseconds Reader::duration_ms(std::string_view path, DurationOptions options) {
  auto from_env = [](const std::string& s) { return duration_from_text(s, json_quoted(s)); };
  auto check = [&](milliseconds v) -> std::optional<std::string> {
    if (v < milliseconds(0)) return "must not be negative, got " + render_ms(v);
    return range_problem(v, options.min, options.max, render_ms);
  };
  return read_value<milliseconds>(path, options.default_value, duration_from_json, from_env,
                                  check, render_ms);
}

std::string Reader::one_of(std::string_view path, const std::vector<std::string>& allowed,
                           std::optional<std::string> default_value) {
  auto from_json = [](const json& j) -> Converted<std::string> {
    if (!j.is_string()) return std::unexpected(Problem("expected string, got " + describe_json(j)));
    return j.get<std::string>();
  };
  auto from_env = [](const std::string& s) -> Converted<std::string> { return s; };
  auto check = [&](const std::string& s) -> std::optional<std::string> {
    if (std::find(allowed.begin(), allowed.end(), s) != allowed.end()) return std::nullopt;
    std::string message = "must be one of ";
    for (size_t i = 0; i < allowed.size(); ++i) {
      if (i > 0) message += ", ";
      message += json_quoted(allowed[i]);
    }
    return message + ", got " + json_quoted(s);
  };
  return read_value<std::string>(path, default_value, from_json, from_env, check,
                                 [](const std::string& s) { return json_quoted(s); });
}

std::vector<std::string> Reader::string_list(std::string_view path, StringListOptions options) {
  auto from_json = [](const json& j) -> Converted<std::vector<std::string>> {
    if (!j.is_array()) {
      return std::unexpected(Problem("expected list of strings, got " + describe_json(j)));
    }
    std::vector<std::string> items;
    for (size_t i = 0; i < j.size(); ++i) {
      const std::string at = "[" + std::to_string(i) + "]";
      if (!j[i].is_string()) {
        return std::unexpected(Problem(at, "expected string, got " + describe_json(j[i])));
      }
      if (j[i].get_ref<const std::string&>().empty()) {
        return std::unexpected(Problem(at, "must not be empty"));
      }
      items.push_back(j[i].get<std::string>());
    }
    return items;
  };
  auto from_env = [](const std::string& s) -> Converted<std::vector<std::string>> {
    std::vector<std::string> items;
    if (trim_spaces(s).empty()) return items;
    size_t start = 0;
    for (;;) {
      const size_t comma = s.find(',', start);
      std::string item =
          trim_spaces(std::string_view(s).substr(start, comma == std::string::npos
                                                            ? std::string::npos
                                                            : comma - start));
      if (item.empty()) {
        return std::unexpected(
            Problem("expected comma-separated non-empty strings, got " + json_quoted(s)));
      }
      items.push_back(std::move(item));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return items;
  };
  auto check = [&](const std::vector<std::string>& items) -> std::optional<std::string> {
    if (items.empty() && !options.allow_empty_list) return "must not be empty";
    return std::nullopt;
  };
  return read_value<std::vector<std::string>>(path, options.default_value, from_json, from_env,
                                              check, render_list);
}

Secret Reader::secret_from_file(const std::string& path, const std::string& file,
                                std::string_view env_var) {
  if (file.empty() || file.front() != '/') {
    report(path, "secret file path must be absolute, got " + json_quoted(file), env_var);
    return {};
  }
  auto text = internal::read_file_text(file);
  if (!text) {
    // strerror text only: never any part of the file.
    report(path, "cannot read secret file " + file + ": " + text.error().message, env_var);
    return {};
  }
  // Files written with `echo` or an editor end in a newline that is not
  // part of the key.
  while (!text->empty() && (text->back() == '\n' || text->back() == '\r')) text->pop_back();
  if (text->empty()) {
    report(path, "secret file " + file + " is empty", env_var);
    return {};
  }
  std::string origin = "file " + file;
  if (!env_var.empty()) origin += " (env " + std::string(env_var) + ")";
  record(path, std::string(Secret::kRedacted), origin);
  return Secret(std::move(*text), std::move(origin));
}

Secret Reader::secret(std::string_view path, SecretOptions options) {
  Lookup l = find(path);
  const std::string file_var = env_var_for(path, doc_.env_prefix) + "_FILE";
  const auto file_it = doc_.env.find(file_var);
  if (file_it != doc_.env.end()) used_env_.insert(file_var);

  if (l.env_value != nullptr && file_it != doc_.env.end()) {
    report(l.path, "set either " + l.env_var + " or " + file_var + ", not both");
    return {};
  }
  if (l.env_value != nullptr) {
    if (l.env_value->empty()) {
      report(l.path, "must not be empty", l.env_var);
      return {};
    }
    record(l.path, std::string(Secret::kRedacted), "env " + l.env_var);
    return Secret(*l.env_value, "env " + l.env_var);
  }
  if (file_it != doc_.env.end()) return secret_from_file(l.path, file_it->second, file_var);

  if (l.node != nullptr) {
    const json& j = *l.node;
    const std::string expected = R"(expected {"file": "/path"} or {"env": "VAR"}, got )";
    if (j.is_string()) {
      // Never echo the value: it is probably the secret.
      report(l.path, R"(inline secrets are not allowed; use {"file": "/path"} or {"env": "VAR"})");
      return {};
    }
    if (!j.is_object() || j.size() != 1 || !j.begin().value().is_string() ||
        (j.begin().key() != "file" && j.begin().key() != "env")) {
      report(l.path, expected + (j.is_object() ? "object with keys " + [&] {
        std::vector<std::string> keys;
        for (const auto& item : j.items()) keys.push_back(item.key());
        return render_list(keys);
      }() : type_name(j)));
      return {};
    }
    const std::string& ref = j.begin().value().get_ref<const std::string&>();
    if (j.begin().key() == "file") return secret_from_file(l.path, ref, {});
    auto env_it = doc_.env.find(ref);
    if (env_it == doc_.env.end()) {
      report(l.path, "environment variable " + ref + " is not set");
      return {};
    }
    // A variable that happens to carry the override prefix is used, not unknown.
    used_env_.insert(ref);
    if (env_it->second.empty()) {
      report(l.path, "environment variable " + ref + " is empty");
      return {};
    }
    record(l.path, std::string(Secret::kRedacted), "env " + ref);
    return Secret(env_it->second, "env " + ref);
  }
  if (l.blocked) return {};
  if (!options.required) {
    record(l.path, "<unset>", "default");
    return {};
  }
  report(l.path, "required");
  return {};
}

std::string Reader::path_of_env_var(std::string_view name) const {
  std::string_view rest = name.substr(std::min(name.size(), doc_.env_prefix.size()));
  std::string path;
  for (size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '_' && i + 1 < rest.size() && rest[i + 1] == '_') {
      path += '.';
      ++i;
    } else if (rest[i] >= 'A' && rest[i] <= 'Z') {
      path += static_cast<char>(rest[i] - 'A' + 'a');
    } else {
      path += rest[i];
    }
  }
  return path;
}

std::vector<std::string> Reader::object_keys(std::string_view path) {
  std::set<std::string> keys;
  known_.insert(std::string(path));
  for (size_t dot = path.find('.'); dot != std::string_view::npos; dot = path.find('.', dot + 1)) {
    known_.insert(std::string(path.substr(0, dot)));
  }

  const json* node = &doc_.root;
  std::string so_far;
  for (const std::string& segment : split_segments(path)) {
    if (!node->is_object()) break;
    auto it = node->find(segment);
    if (it == node->end()) {
      node = nullptr;
      break;
    }
    node = &*it;
    so_far = so_far.empty() ? segment : so_far + "." + segment;
  }
  if (node != nullptr && so_far == path) {
    if (node->is_object()) {
      // Keys with '.' cannot be addressed by a path; finish() reports them.
      for (const auto& item : node->items()) {
        if (item.key().find('.') == std::string::npos) keys.insert(item.key());
      }
    } else {
      report(std::string(path), "expected object, got " + describe_json(*node));
      consumed_.insert(std::string(path));
    }
  }

  const std::string below = std::string(path) + ".";
  for (auto it = doc_.env.lower_bound(doc_.env_prefix);
       it != doc_.env.end() && it->first.starts_with(doc_.env_prefix); ++it) {
    const std::string var_path = path_of_env_var(it->first);
    if (!var_path.starts_with(below)) continue;
    std::string key = var_path.substr(below.size());
    key = key.substr(0, key.find('.'));
    if (!key.empty()) keys.insert(std::move(key));
  }
  return {keys.begin(), keys.end()};
}

bool Reader::has(std::string_view path) const {
  const json* node = &doc_.root;
  bool in_file = true;
  for (const std::string& segment : split_segments(path)) {
    if (!node->is_object()) {
      in_file = false;
      break;
    }
    auto it = node->find(segment);
    if (it == node->end()) {
      in_file = false;
      break;
    }
    node = &*it;
  }
  if (in_file) return true;
  const std::string exact(path);
  const std::string below = exact + ".";
  const std::string as_secret_file = exact + "_file";
  for (auto it = doc_.env.lower_bound(doc_.env_prefix);
       it != doc_.env.end() && it->first.starts_with(doc_.env_prefix); ++it) {
    const std::string var_path = path_of_env_var(it->first);
    if (var_path == exact || var_path == as_secret_file || var_path.starts_with(below)) return true;
  }
  return false;
}

void Reader::check_unknown_file_keys(const json& node, const std::string& prefix) {
  for (const auto& item : node.items()) {
    const std::string& key = item.key();
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    if (key.find('.') != std::string::npos) {
      report(path, "unknown key (keys cannot contain '.'; nest objects instead)");
      continue;
    }
    if (consumed_.contains(path)) continue;
    if (known_.contains(path) && item.value().is_object()) {
      check_unknown_file_keys(item.value(), path);
      continue;
    }
    report(path, "unknown key");
  }
}

Status Reader::finish() {
  if (!finished_) {
    finished_ = true;
    check_unknown_file_keys(doc_.root, "");
    for (auto it = doc_.env.lower_bound(doc_.env_prefix);
         it != doc_.env.end() && it->first.starts_with(doc_.env_prefix); ++it) {
      if (used_env_.contains(it->first)) continue;
      std::string path = path_of_env_var(it->first);
      report(path.empty() ? it->first : std::move(path), "unknown key", it->first);
    }
  }
  if (errors_.empty()) return ok();
  return make_error(ErrorCode::kInvalidArgument, format_errors(doc_.source, errors_));
}

std::vector<FieldError> Reader::errors() const {
  std::vector<FieldError> sorted = errors_;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  return sorted;
}

std::string Reader::describe() const {
  std::string out;
  for (const auto& [path, value] : effective_) {
    if (!out.empty()) out += '\n';
    out += path;
    out += " = ";
    out += value.first;
    out += " (";
    out += value.second;
    out += ")";
  }
  return out;
}

}  // namespace tp::config
