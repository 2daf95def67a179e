// Internal: read a whole file into memory, errors as text an operator can act
// on ("No such file or directory"). Shared by the document loader and secret
// files.
#pragma once

#include <filesystem>
#include <string>

#include "tp/core/error.h"

namespace tp::config::internal {

// Error message is strerror text only; callers add which file and why.
[[nodiscard]] Result<std::string> read_file_text(const std::filesystem::path& path);

}  // namespace tp::config::internal
