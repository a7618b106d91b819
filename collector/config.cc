#include "collector/config.h"

namespace dcp::collector {

std::vector<std::string> CollectorConfig::TagNames() const {
  if (const GrpcSourceConfig* g = grpc()) return g->tags;
  std::vector<std::string> out;
  for (const TagRule& t : mysql()->tags) out.push_back(t.name);
  return out;
}

std::vector<mysql::Dsn> Candidates(const MysqlSourceConfig& config) {
  return config.candidates.empty() ? std::vector<mysql::Dsn>{config.dsn} : config.candidates;
}

}  // namespace dcp::collector
