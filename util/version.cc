#include "util/version.h"

#include "util/version_gen.h"

namespace dcp {

absl::string_view Version() { return DCP_VERSION_STRING; }
absl::string_view Revision() { return DCP_REVISION_STRING; }

}  // namespace dcp
