#include "collector/gtid_tracker.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "util/status_macros.h"

namespace dcp::collector {
namespace {

// MySQL GTIDs start with a 36-character uuid; MariaDB ones are three numbers.
bool LooksMysql(absl::string_view text) { return absl::StrContains(text, ':'); }

}  // namespace

absl::Status GtidTracker::Reset(absl::string_view position) {
  flavor_ = Flavor::kNone;
  maria_ = mysql::MariaGtidPosition();
  mysql_ = mysql::GtidSet();
  text_.clear();
  if (position.empty()) return absl::OkStatus();
  if (LooksMysql(position)) {
    ASSIGN_OR_RETURN(mysql_, mysql::GtidSet::Parse(position));
    flavor_ = Flavor::kMysql;
    text_ = mysql_.ToString();
  } else {
    ASSIGN_OR_RETURN(maria_, mysql::MariaGtidPosition::Parse(position));
    flavor_ = Flavor::kMaria;
    text_ = maria_.ToString();
  }
  return absl::OkStatus();
}

absl::Status GtidTracker::Commit(absl::string_view gtid) {
  if (gtid.empty()) return absl::OkStatus();
  if (LooksMysql(gtid)) {
    ASSIGN_OR_RETURN(mysql::Gtid g, mysql::Gtid::Parse(gtid));
    if (flavor_ != Flavor::kMysql) {
      RETURN_IF_ERROR(Reset(""));
      flavor_ = Flavor::kMysql;
    }
    mysql_.Add(g);
    text_ = mysql_.ToString();
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(mysql::MariaGtid g, mysql::MariaGtid::Parse(gtid));
  if (flavor_ != Flavor::kMaria) {
    RETURN_IF_ERROR(Reset(""));
    flavor_ = Flavor::kMaria;
  }
  // A position has a few domains: rendering it per transaction is cheap.
  maria_.Update(g);
  text_ = maria_.ToString();
  return absl::OkStatus();
}

}  // namespace dcp::collector
