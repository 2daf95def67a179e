#include "file_text.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace tp::config::internal {
namespace {

ErrorCode code_for_errno(int err) {
  switch (err) {
    case ENOENT:
    case ENOTDIR: return ErrorCode::kNotFound;
    case EACCES:
    case EPERM: return ErrorCode::kPermissionDenied;
    default: return ErrorCode::kInvalidArgument;
  }
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

Result<std::string> read_file_text(const std::filesystem::path& path) {
  errno = 0;
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    const int err = errno;
    return make_error(code_for_errno(err), std::strerror(err));
  }
  std::string text;
  char buffer[8192];
  for (;;) {
    const size_t n = std::fread(buffer, 1, sizeof buffer, file.get());
    text.append(buffer, n);
    if (n < sizeof buffer) {
      if (std::ferror(file.get())) {
        // fopen() succeeds on a directory; the read is what fails (EISDIR).
        const int err = errno;
        return make_error(code_for_errno(err), std::strerror(err));
      }
      break;
    }
  }
  return text;
}

}  // namespace tp::config::internal
