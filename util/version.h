// The build's version (the CMake project version) and git revision (`git describe --always
// --dirty` at build time, "unknown" outside a checkout), for --version, dcp_build_info and
// logs.
#ifndef DCP_UTIL_VERSION_H_
#define DCP_UTIL_VERSION_H_

#include "absl/strings/string_view.h"

namespace dcp {

absl::string_view Version();
absl::string_view Revision();

}  // namespace dcp

#endif  // DCP_UTIL_VERSION_H_
