// The source version the binary was built from: `git describe --always
// --dirty` of the tree at build time, e.g. "a8df2081c0de-dirty", or
// "unknown". Stored with every regime model so a fit can be reproduced.
//
//   registry_row.code_version = tp::code_version();
//
// Link tp::code_version (regenerated on every build, recompiled only when
// the version changes).
#pragma once

namespace tp {
const char* code_version();
}  // namespace tp
