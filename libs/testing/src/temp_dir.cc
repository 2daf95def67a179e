#include "tp/testing/temp_dir.h"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

namespace tp::testing {

Result<TempDir> TempDir::create(std::string_view prefix) {
  if (prefix.find('/') != std::string_view::npos) {
    return make_error(ErrorCode::kInvalidArgument,
                      "temp dir prefix must not contain '/': " + std::string(prefix));
  }
  std::error_code ec;
  std::filesystem::path base = std::filesystem::temp_directory_path(ec);
  if (ec) base = "/tmp";
  std::string templ = (base / (std::string(prefix) + "XXXXXX")).string();
  std::vector<char> buffer(templ.begin(), templ.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) {
    int err = errno;
    return make_error(ErrorCode::kUnavailable,
                      "cannot create temp dir " + templ + ": " + std::strerror(err));
  }
  return TempDir(std::string(buffer.data()));
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) {
  other.path_.clear();
}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

TempDir::~TempDir() { remove(); }

void TempDir::remove() {
  if (path_.empty()) return;
  std::error_code ec;  // best effort: a destructor cannot report failure
  std::filesystem::remove_all(path_, ec);
  path_.clear();
}

}  // namespace tp::testing
