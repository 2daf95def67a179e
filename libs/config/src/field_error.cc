#include "tp/config/field_error.h"

#include <algorithm>

namespace tp::config {

std::string format_errors(std::string_view source, std::vector<FieldError> errors) {
  std::sort(errors.begin(), errors.end());
  errors.erase(std::unique(errors.begin(), errors.end()), errors.end());
  std::string out = "config ";
  out += source;
  out += " has ";
  out += std::to_string(errors.size());
  out += errors.size() == 1 ? " error:" : " errors:";
  for (const FieldError& e : errors) {
    out += "\n  ";
    out += e.path;
    out += ": ";
    out += e.message;
  }
  return out;
}

}  // namespace tp::config
