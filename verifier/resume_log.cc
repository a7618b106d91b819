#include "verifier/resume_log.h"

#include <fstream>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace dcp::verifier {

std::string EncodeKey(const KeyValue& k) {
  std::vector<std::string> parts;
  for (const std::string& v : k) parts.push_back(absl::BytesToHexString(v));
  return absl::StrJoin(parts, ",");
}

KeyValue DecodeKey(absl::string_view s) {
  KeyValue out;
  for (absl::string_view p : absl::StrSplit(s, ',')) out.push_back(absl::HexStringToBytes(p));
  return out;
}

void ResumeLog::Write(const std::string& line) {
  if (path_.empty()) return;
  absl::MutexLock lock(&mu_);
  std::ofstream f(path_, std::ios::app);
  f << line << "\n";
  f.flush();
}

ResumeState ReadResume(const std::string& path) {
  ResumeState st;
  if (path.empty()) return st;
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line)) {
    std::vector<std::string> parts = absl::StrSplit(line, '\t');
    if (parts.size() == 2 && parts[0] == "done") st.done.insert(parts[1]);
    if (parts.size() == 3 && parts[0] == "upto") st.upto[parts[1]] = DecodeKey(parts[2]);
  }
  return st;
}

}  // namespace dcp::verifier
