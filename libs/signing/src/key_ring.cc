#include "tp/signing/key_ring.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "tp/signing/hmac.h"

namespace tp::signing {
namespace {

constexpr size_t kMinSecretBytes = 32;

using Problems = std::vector<std::string>;

// A key as read from a config source, with where each part came from and
// which parts could not be read at all (so create-time checks do not pile a
// second, confusing message onto a field that already has one).
struct KeyDraft {
  Key key;
  std::string secret_field = "secret";
  bool id_read = true;
  bool producer_read = true;
  bool secret_read = true;
  bool subjects_read = true;
};

bool is_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

std::optional<std::string> id_problem(std::string_view id) {
  if (id.empty()) return std::string("must not be empty");
  for (char c : id) {
    if (!is_id_char(c)) return std::string("must contain only letters, digits, '.', '_' and '-'");
  }
  return std::nullopt;
}

std::vector<std::string_view> split_tokens(std::string_view s) {
  std::vector<std::string_view> tokens;
  size_t start = 0;
  while (true) {
    const size_t dot = s.find('.', start);
    if (dot == std::string_view::npos) {
      tokens.push_back(s.substr(start));
      return tokens;
    }
    tokens.push_back(s.substr(start, dot - start));
    start = dot + 1;
  }
}

std::optional<std::string> pattern_problem(std::string_view pattern) {
  if (pattern.empty()) return std::string("must not be empty");
  for (char c : pattern) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u > 0x7e) return std::string("must be printable ASCII without spaces");
  }
  const auto tokens = split_tokens(pattern);
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].empty()) return std::string("has an empty token");
    if (tokens[i] == ">" && i + 1 != tokens.size()) {
      return std::string("'>' is only allowed as the last token");
    }
  }
  return std::nullopt;
}

std::string join_lines(const Problems& problems) {
  std::string out;
  for (size_t i = 0; i < problems.size(); ++i) {
    if (i > 0) out += '\n';
    out += problems[i];
  }
  return out;
}

// The checks create() makes, over drafts that may come from JSON.
void check_drafts(const std::vector<KeyDraft>& drafts,
                  const std::optional<std::string>& signing_key_id, Problems& problems) {
  if (drafts.empty()) problems.push_back("keys: at least one key is required");
  std::map<std::string, size_t, std::less<>> first_index;
  for (size_t i = 0; i < drafts.size(); ++i) {
    const KeyDraft& d = drafts[i];
    const std::string at = "keys[" + std::to_string(i) + "]";
    if (d.id_read) {
      if (auto p = id_problem(d.key.id)) {
        problems.push_back(at + ".id: " + *p);
      } else if (auto [it, inserted] = first_index.emplace(d.key.id, i); !inserted) {
        problems.push_back(at + ".id: duplicate of keys[" + std::to_string(it->second) + "].id '" +
                           d.key.id + "'");
      }
    }
    if (d.producer_read) {
      if (auto p = id_problem(d.key.producer)) problems.push_back(at + ".producer: " + *p);
    }
    if (d.secret_read && d.key.secret.size() < kMinSecretBytes) {
      problems.push_back(at + "." + d.secret_field + ": must be at least " +
                         std::to_string(kMinSecretBytes) + " bytes, got " +
                         std::to_string(d.key.secret.size()));
    }
    if (d.subjects_read) {
      for (size_t s = 0; s < d.key.subjects.size(); ++s) {
        if (auto p = pattern_problem(d.key.subjects[s])) {
          problems.push_back(at + ".subjects[" + std::to_string(s) + "]: " + *p);
        }
      }
    }
  }
  if (signing_key_id) {
    const KeyDraft* found = nullptr;
    for (const auto& d : drafts) {
      if (d.id_read && d.key.id == *signing_key_id) found = &d;
    }
    if (found == nullptr) {
      problems.push_back("signing_key: no key has id '" + *signing_key_id + "'");
    } else if (found->key.status != KeyStatus::kActive) {
      problems.push_back("signing_key: key '" + *signing_key_id +
                         "' is retired and cannot sign");
    }
  }
}

std::string trim_ascii_space(std::string_view s) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

Result<std::string> read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    return make_error(ErrorCode::kNotFound,
                      "cannot read '" + path.string() + "': " + std::strerror(err));
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) {
    return make_error(ErrorCode::kUnavailable, "cannot read '" + path.string() + "'");
  }
  return content.str();
}

// Decodes a secret given as hex. The problem text never quotes the value.
std::optional<std::string> decode_secret(std::string_view hex, const std::string& at,
                                         Problems& problems) {
  auto raw = from_hex(hex);
  if (!raw) {
    problems.push_back(at + ": " + raw.error().message);
    return std::nullopt;
  }
  return std::move(*raw);
}

std::string json_type(const nlohmann::json& j) { return j.type_name(); }

KeyDraft read_key(const nlohmann::json& j, size_t index, const std::filesystem::path& base_dir,
                  Problems& problems) {
  static const std::set<std::string, std::less<>> kKnown = {
      "id", "producer", "secret_hex", "secret_file", "secret_env", "subjects", "status"};
  const std::string at = "keys[" + std::to_string(index) + "]";
  KeyDraft d;
  if (!j.is_object()) {
    problems.push_back(at + ": must be an object, got " + json_type(j));
    d.id_read = d.producer_read = d.secret_read = d.subjects_read = false;
    return d;
  }
  for (const auto& [name, _] : j.items()) {
    if (!kKnown.contains(name)) problems.push_back(at + "." + name + ": unknown field");
  }

  auto read_string = [&](std::string_view field, std::string& out) {
    const auto it = j.find(field);
    if (it == j.end()) {
      problems.push_back(at + "." + std::string(field) + ": required");
      return false;
    }
    if (!it->is_string()) {
      problems.push_back(at + "." + std::string(field) + ": must be a string, got " +
                         json_type(*it));
      return false;
    }
    out = it->get<std::string>();
    return true;
  };
  d.id_read = read_string("id", d.key.id);
  d.producer_read = read_string("producer", d.key.producer);

  // Exactly one secret source.
  std::vector<std::string> sources;
  for (const char* s : {"secret_hex", "secret_file", "secret_env"}) {
    if (j.contains(s)) sources.emplace_back(s);
  }
  d.secret_read = false;
  if (sources.empty()) {
    problems.push_back(at + ": one of secret_hex, secret_file, secret_env is required");
  } else if (sources.size() > 1) {
    std::string list;
    for (size_t i = 0; i < sources.size(); ++i) list += (i > 0 ? " and " : "") + sources[i];
    problems.push_back(at + ": only one of secret_hex, secret_file, secret_env is allowed, got " +
                       list);
  } else {
    d.secret_field = sources.front();
    const std::string field_at = at + "." + d.secret_field;
    const auto& v = j.at(d.secret_field);
    if (!v.is_string()) {
      problems.push_back(field_at + ": must be a string, got " + json_type(v));
    } else {
      const std::string text = v.get<std::string>();
      std::optional<std::string> hex;
      if (d.secret_field == "secret_hex") {
        hex = text;
      } else if (d.secret_field == "secret_file") {
        std::filesystem::path path(text);
        if (path.is_relative()) path = base_dir / path;
        if (text.empty()) {
          problems.push_back(field_at + ": must not be empty");
        } else if (auto content = read_text_file(path); !content) {
          problems.push_back(field_at + ": " + content.error().message);
        } else {
          hex = trim_ascii_space(*content);
        }
      } else {
        const char* env = text.empty() ? nullptr : std::getenv(text.c_str());
        if (text.empty()) {
          problems.push_back(field_at + ": must not be empty");
        } else if (env == nullptr) {
          problems.push_back(field_at + ": environment variable " + text + " is not set");
        } else {
          hex = trim_ascii_space(env);
        }
      }
      if (hex) {
        if (auto secret = decode_secret(*hex, field_at, problems)) {
          d.key.secret = std::move(*secret);
          d.secret_read = true;
        }
      }
    }
  }

  if (const auto it = j.find("subjects"); it != j.end()) {
    if (!it->is_array()) {
      problems.push_back(at + ".subjects: must be an array of strings, got " + json_type(*it));
      d.subjects_read = false;
    } else {
      for (size_t s = 0; s < it->size(); ++s) {
        const auto& item = (*it)[s];
        if (!item.is_string()) {
          problems.push_back(at + ".subjects[" + std::to_string(s) + "]: must be a string, got " +
                             json_type(item));
          d.subjects_read = false;
        } else {
          d.key.subjects.push_back(item.get<std::string>());
        }
      }
    }
  }

  if (const auto it = j.find("status"); it != j.end()) {
    if (it->is_string() && it->get<std::string>() == "active") {
      d.key.status = KeyStatus::kActive;
    } else if (it->is_string() && it->get<std::string>() == "retired") {
      d.key.status = KeyStatus::kRetired;
    } else {
      problems.push_back(at + ".status: must be \"active\" or \"retired\", got " + it->dump());
    }
  }
  return d;
}

Result<KeyRing> ring_from_json(std::string_view text, const std::filesystem::path& base_dir) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // nlohmann's own message quotes the text it last read, which may be part
    // of a secret: report the position only.
    return make_error(ErrorCode::kInvalidArgument,
                      "key file: invalid JSON near byte " + std::to_string(e.byte));
  } catch (const nlohmann::json::exception&) {
    return make_error(ErrorCode::kInvalidArgument, "key file: invalid JSON");
  }
  if (!doc.is_object()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "key file: must be a JSON object, got " + json_type(doc));
  }
  Problems problems;
  for (const auto& [name, _] : doc.items()) {
    if (name != "keys" && name != "signing_key") problems.push_back(name + ": unknown field");
  }
  std::optional<std::string> signing_key_id;
  if (const auto it = doc.find("signing_key"); it != doc.end() && !it->is_null()) {
    if (it->is_string()) {
      signing_key_id = it->get<std::string>();
    } else {
      problems.push_back("signing_key: must be a string, got " + json_type(*it));
    }
  }
  std::vector<KeyDraft> drafts;
  const auto keys = doc.find("keys");
  if (keys == doc.end()) {
    problems.push_back("keys: required");
  } else if (!keys->is_array()) {
    problems.push_back("keys: must be an array, got " + json_type(*keys));
  } else {
    for (size_t i = 0; i < keys->size(); ++i) {
      drafts.push_back(read_key((*keys)[i], i, base_dir, problems));
    }
    check_drafts(drafts, signing_key_id, problems);
  }
  if (!problems.empty()) return make_error(ErrorCode::kInvalidArgument, join_lines(problems));
  std::vector<Key> ring_keys;
  ring_keys.reserve(drafts.size());
  for (auto& d : drafts) ring_keys.push_back(std::move(d.key));
  return KeyRing::create(std::move(ring_keys), std::move(signing_key_id));
}

}  // namespace

Result<KeyRing> KeyRing::create(std::vector<Key> keys, std::optional<std::string> signing_key_id) {
  std::vector<KeyDraft> drafts;
  drafts.reserve(keys.size());
  for (auto& k : keys) {
    KeyDraft d;
    d.key = std::move(k);
    drafts.push_back(std::move(d));
  }
  Problems problems;
  check_drafts(drafts, signing_key_id, problems);
  if (!problems.empty()) return make_error(ErrorCode::kInvalidArgument, join_lines(problems));
  KeyRing ring;
  for (auto& d : drafts) {
    std::string id = d.key.id;
    ring.keys_.emplace(std::move(id), std::move(d.key));
  }
  ring.signing_key_id_ = std::move(signing_key_id);
  return ring;
}

Result<KeyRing> KeyRing::from_json(std::string_view json_text) {
  return ring_from_json(json_text, std::filesystem::current_path());
}

Result<KeyRing> KeyRing::from_file(const std::string& path) {
  auto text = read_text_file(path);
  if (!text) return make_error(text.error().code, "key file: " + text.error().message);
  std::error_code ec;
  auto base = std::filesystem::absolute(std::filesystem::path(path), ec).parent_path();
  if (ec) base = std::filesystem::path(path).parent_path();
  return ring_from_json(*text, base);
}

const Key* KeyRing::signing_key() const {
  if (!signing_key_id_) return nullptr;
  return find(*signing_key_id_);
}

const Key* KeyRing::find(std::string_view key_id) const {
  const auto it = keys_.find(key_id);
  return it == keys_.end() ? nullptr : &it->second;
}

const Key* KeyRing::find_active(std::string_view key_id) const {
  const Key* key = find(key_id);
  return key != nullptr && key->status == KeyStatus::kActive ? key : nullptr;
}

std::string KeyRing::describe() const {
  size_t active = 0;
  for (const auto& [_, key] : keys_) active += key.status == KeyStatus::kActive ? 1 : 0;
  std::string out = "ring: " + std::to_string(keys_.size()) +
                    (keys_.size() == 1 ? " key (" : " keys (") + std::to_string(active) +
                    " active), ";
  out += signing_key_id_ ? "signing with " + *signing_key_id_ : std::string("verify only");
  out += ":";
  bool first = true;
  for (const auto& [id, key] : keys_) {
    out += first ? " " : ", ";
    first = false;
    out += id + " (" + key.producer + ", " +
           (key.status == KeyStatus::kActive ? "active" : "retired") + ")";
  }
  return out;
}

bool subject_matches(std::string_view pattern, std::string_view subject) {
  if (pattern.empty() || subject.empty()) return false;
  const auto p = split_tokens(pattern);
  const auto s = split_tokens(subject);
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == ">") return i + 1 == p.size() && s.size() > i;
    if (i >= s.size()) return false;
    if (p[i].empty() || s[i].empty()) return false;
    if (p[i] != "*" && p[i] != s[i]) return false;
  }
  return p.size() == s.size();
}

}  // namespace tp::signing
