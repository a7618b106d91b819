#include "collector/delivered_log.h"

#include <utility>

namespace dcp::collector {

void DeliveredLog::Add(const std::string& gtid, const std::vector<checker::Change>& changes) {
  if (gtid.empty()) return;
  if (!txns_.empty() && txns_.back().gtid == gtid) return;  // re-read after a failed delivery
  Txn t;
  t.gtid = gtid;
  for (const checker::Change& c : changes) {
    if (const auto* row = std::get_if<checker::RowChange>(&c.body)) {
      t.keys.push_back(FailoverLoss::Key{c.tag, row->key, gtid});
    }
  }
  if (t.keys.empty()) return;
  keys_ += t.keys.size();
  txns_.push_back(std::move(t));
  while (keys_ > max_keys_ && txns_.size() > 1) {
    keys_ -= txns_.front().keys.size();
    txns_.pop_front();
    dropped_ = true;
  }
}

DeliveredLog::Lost DeliveredLog::TakeLost(
    const std::function<bool(const std::string& gtid)>& held) {
  Lost lost;
  lost.complete = !dropped_;
  std::deque<Txn> kept;
  for (Txn& t : txns_) {
    if (held(t.gtid)) {
      kept.push_back(std::move(t));
      continue;
    }
    ++lost.transactions;
    keys_ -= t.keys.size();
    for (FailoverLoss::Key& k : t.keys) lost.keys.push_back(std::move(k));
  }
  txns_ = std::move(kept);
  return lost;
}

}  // namespace dcp::collector
