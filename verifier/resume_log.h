// The --resume file of `verifier data`: lines "upto<TAB>schema.table<TAB><hex key>" (the upper
// bound of the longest run of a table's finished chunks) and "done<TAB>schema.table", appended
// as chunks finish. A later run reads them back to skip finished tables and start the others
// after their recorded key.
#ifndef DCP_VERIFIER_RESUME_LOG_H_
#define DCP_VERIFIER_RESUME_LOG_H_

#include <map>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "verifier/chunk_sql.h"

namespace dcp::verifier {

// A key as the file holds it: each value in hex, comma-separated.
std::string EncodeKey(const KeyValue& k);
KeyValue DecodeKey(absl::string_view s);

// Appends records to the file (opened per record; every line flushed). Thread-safe.
class ResumeLog {
 public:
  // An empty path: records are dropped.
  explicit ResumeLog(std::string path) : path_(std::move(path)) {}
  bool enabled() const { return !path_.empty(); }
  void Write(const std::string& line);

 private:
  const std::string path_;
  absl::Mutex mu_;
};

// What a previous run recorded: per source table, the key it had verified up to, and the
// tables it finished.
struct ResumeState {
  std::map<std::string, KeyValue> upto;
  std::set<std::string> done;
};

// Reads `path` (empty, or a file that does not exist: nothing recorded). Lines of another
// form are ignored.
ResumeState ReadResume(const std::string& path);

}  // namespace dcp::verifier

#endif  // DCP_VERIFIER_RESUME_LOG_H_
