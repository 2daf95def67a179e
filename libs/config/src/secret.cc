#include "tp/config/secret.h"

#include <string.h>  // explicit_bzero

#include <utility>

namespace tp::config {
namespace {

// Overwrites the whole buffer, not just size(): a shorter value assigned
// earlier, or a moved-from short string, leaves bytes past the end.
void wipe(std::string& s) {
  s.resize(s.capacity());
  explicit_bzero(s.data(), s.size());
  s.clear();
}

}  // namespace

Secret::Secret(std::string value, std::string origin)
    : value_(std::move(value)), origin_(std::move(origin)) {}

Secret::Secret(const Secret& other) : value_(other.value_), origin_(other.origin_) {}

Secret::Secret(Secret&& other) noexcept
    : value_(std::move(other.value_)), origin_(std::move(other.origin_)) {
  wipe(other.value_);
}

Secret& Secret::operator=(const Secret& other) {
  if (this != &other) {
    wipe(value_);
    value_ = other.value_;
    origin_ = other.origin_;
  }
  return *this;
}

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    wipe(value_);
    value_ = std::move(other.value_);
    origin_ = std::move(other.origin_);
    wipe(other.value_);
  }
  return *this;
}

Secret::~Secret() { wipe(value_); }

}  // namespace tp::config
