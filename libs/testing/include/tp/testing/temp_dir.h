// A private temporary directory for one test, removed with everything in it
// when the owning TempDir is destroyed.
//
//   auto dir = tp::testing::TempDir::create("tp-ledger-");
//   ASSERT_TRUE(dir) << dir.error().to_string();
//   write_file(dir->path() + "/input.csv", ...);
//   // ~TempDir removes the directory recursively.
//
// Created under std::filesystem::temp_directory_path() ($TMPDIR or /tmp)
// with mkdtemp, so two tests never share a directory.
//
// Ownership: the TempDir object owns the directory; moving transfers that
// ownership. Threads: not synchronised; use from one thread at a time.
#pragma once

#include <string>
#include <string_view>

#include "tp/core/error.h"

namespace tp::testing {

class TempDir {
 public:
  // prefix must be a plain file-name prefix (no '/'); six random
  // characters are appended to it.
  [[nodiscard]] static Result<TempDir> create(std::string_view prefix);

  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  // Absolute path, without a trailing '/'. Empty after a move.
  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  void remove();

  std::string path_;
};

}  // namespace tp::testing
