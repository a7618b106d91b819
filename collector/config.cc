#include "collector/config.h"

namespace dcp::collector {

std::vector<std::string> CollectorConfig::TagNames() const {
  if (const GrpcSourceConfig* g = grpc()) return g->tags;
  std::vector<std::string> out;
  for (const TagRule& t : mysql()->tags) out.push_back(t.name);
  return out;
}

}  // namespace dcp::collector
