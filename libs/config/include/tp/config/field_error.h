// One problem found in a configuration, and the one stable way to print many.
//
//   std::vector<FieldError> errors = {{"nats.url", "required"},
//                                     {"admin.port", "must be between 1 and 65535, got 70000"}};
//   format_errors("/etc/tp/decision.json", errors);
//   // "config /etc/tp/decision.json has 2 errors:\n"
//   // "  admin.port: must be between 1 and 65535, got 70000\n"
//   // "  nats.url: required"
//
// The text is part of the operator interface (docs/configuration.md) and is
// asserted verbatim by tests, so change it only deliberately.
//
// Pure functions and plain values: callable from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tp::config {

struct FieldError {
  std::string path;     // dotted field path, e.g. "admin.port" or "bus.subjects[2]"
  std::string message;  // what is wrong, e.g. "required"

  friend bool operator==(const FieldError&, const FieldError&) = default;
  friend auto operator<=>(const FieldError&, const FieldError&) = default;
};

// Sorts by path (then message), drops exact duplicates and renders
// "config <source> has N error(s):" followed by one "  <path>: <message>" line
// per error, joined by '\n' with no trailing newline.
std::string format_errors(std::string_view source, std::vector<FieldError> errors);

}  // namespace tp::config
