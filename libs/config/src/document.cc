#include "tp/config/document.h"

#include <set>
#include <vector>

#include "file_text.h"
#include "tp/config/field_error.h"

extern char** environ;

namespace tp::config {
namespace {

// Tracks where the parser is so a repeated key can be reported by its path.
class DuplicateKeyFinder {
 public:
  bool on_event(nlohmann::json::parse_event_t event, const nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    switch (event) {
      case Event::object_start:
        stack_.push_back(Frame{.is_array = false, .path = child_path()});
        break;
      case Event::array_start:
        stack_.push_back(Frame{.is_array = true, .path = child_path()});
        break;
      case Event::object_end:
      case Event::array_end:
        if (!stack_.empty()) stack_.pop_back();
        break;
      case Event::key: {
        Frame& frame = stack_.back();
        frame.pending_key = parsed.get<std::string>();
        if (!frame.keys.insert(frame.pending_key).second) {
          errors_.push_back({child_path(), "duplicate key"});
        }
        break;
      }
      case Event::value:
        child_path();  // advances the index inside arrays
        break;
    }
    return true;
  }

  std::vector<FieldError> take_errors() { return std::move(errors_); }

 private:
  struct Frame {
    bool is_array = false;
    std::string path;
    std::set<std::string> keys;
    std::string pending_key;
    size_t next_index = 0;
  };

  std::string child_path() {
    if (stack_.empty()) return {};
    Frame& frame = stack_.back();
    if (frame.is_array) return frame.path + "[" + std::to_string(frame.next_index++) + "]";
    return frame.path.empty() ? frame.pending_key : frame.path + "." + frame.pending_key;
  }

  std::vector<Frame> stack_;
  std::vector<FieldError> errors_;
};

// nlohmann's message is "[json.exception.parse_error.101] parse error at line
// 2, column 9: syntax error while parsing ...": keep the part after the
// position, since we print our own (from the byte offset) in our own words.
std::string parser_explanation(const std::string& what) {
  const size_t column = what.find("column ");
  if (column != std::string::npos) {
    const size_t colon = what.find(": ", column);
    if (colon != std::string::npos) return what.substr(colon + 2);
  }
  const size_t bracket = what.find("] ");
  return bracket == std::string::npos ? what : what.substr(bracket + 2);
}

std::string_view json_type_name(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::array: return "array";
    case nlohmann::json::value_t::string: return "string";
    case nlohmann::json::value_t::boolean: return "boolean";
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: return "integer";
    case nlohmann::json::value_t::number_float: return "number";
    default: return "value";
  }
}

}  // namespace

Environment process_environment() {
  Environment env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view kv(*entry);
    const size_t eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

Result<Document> parse_document(std::string_view text, std::string source, Environment env,
                                std::string env_prefix) {
  DuplicateKeyFinder duplicates;
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(
        text.begin(), text.end(),
        [&duplicates](int, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
          return duplicates.on_event(event, parsed);
        },
        /*allow_exceptions=*/true, /*ignore_comments=*/true);
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is the 1-based offset of the character the parser stopped at.
    const size_t stop = e.byte == 0 ? 0 : std::min<size_t>(e.byte - 1, text.size());
    size_t line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < stop; ++i) {
      if (text[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    const size_t column = stop - line_start + 1;
    return make_error(ErrorCode::kInvalidArgument,
                      "config " + source + ": parse error at line " + std::to_string(line) +
                          ", column " + std::to_string(column) + ": " +
                          parser_explanation(e.what()));
  } catch (const nlohmann::json::exception& e) {
    return make_error(ErrorCode::kInvalidArgument,
                      "config " + source + ": " + parser_explanation(e.what()));
  }
  if (!root.is_object()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "config " + source + ": top level must be an object, got " +
                          std::string(json_type_name(root)));
  }
  if (auto errors = duplicates.take_errors(); !errors.empty()) {
    return make_error(ErrorCode::kInvalidArgument, format_errors(source, std::move(errors)));
  }
  return Document{.source = std::move(source),
                  .root = std::move(root),
                  .env = std::move(env),
                  .env_prefix = std::move(env_prefix)};
}

Result<Document> load_file(const std::filesystem::path& path, Environment env,
                           std::string env_prefix) {
  auto text = internal::read_file_text(path);
  if (!text) {
    return make_error(text.error().code,
                      "config " + path.string() + ": cannot read: " + text.error().message);
  }
  return parse_document(*text, path.string(), std::move(env), std::move(env_prefix));
}

Document environment_only(Environment env, std::string env_prefix) {
  return Document{.source = "<environment>",
                  .root = nlohmann::json::object(),
                  .env = std::move(env),
                  .env_prefix = std::move(env_prefix)};
}

}  // namespace tp::config
