// DeliveredLog: the keys of the last transactions a source collector delivered, by GTID, so
// that a failover that lost some of them can name their tables and keys (FailoverLoss).
// Bounded by the number of keys it keeps (oldest transactions dropped first); Lost() says
// whether it still covered every transaction it is asked about.
//
// Not thread-safe (the collector's thread).
#ifndef DCP_COLLECTOR_DELIVERED_LOG_H_
#define DCP_COLLECTOR_DELIVERED_LOG_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "checker/change.h"
#include "collector/collector.h"

namespace dcp::collector {

class DeliveredLog {
 public:
  explicit DeliveredLog(size_t max_keys = 200'000) : max_keys_(max_keys) {}

  // Records a delivered transaction's row keys (barriers are not kept). Transactions
  // without a GTID are not recorded: they cannot be matched against another server.
  void Add(const std::string& gtid, const std::vector<checker::Change>& changes);

  struct Lost {
    std::vector<FailoverLoss::Key> keys;
    size_t transactions = 0;  // recorded transactions that were lost
    // False when transactions were dropped from the log (older ones may be lost too).
    bool complete = true;
  };
  // Removes and returns the recorded transactions for which `held(gtid)` is false.
  Lost TakeLost(const std::function<bool(const std::string& gtid)>& held);

  size_t keys() const { return keys_; }

 private:
  struct Txn {
    std::string gtid;
    std::vector<FailoverLoss::Key> keys;
  };
  const size_t max_keys_;
  std::deque<Txn> txns_;
  size_t keys_ = 0;
  bool dropped_ = false;
};

}  // namespace dcp::collector

#endif  // DCP_COLLECTOR_DELIVERED_LOG_H_
