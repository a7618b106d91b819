// Reading the daemon's TOML configuration: typed values with file:line:column positions in
// every error, unknown keys reported, secrets resolved from `<key>-env` / `<key>-file`.
// Used by daemon/config.cc only. Not thread-safe (one reader per table).
#ifndef DCP_DAEMON_TOML_READER_H_
#define DCP_DAEMON_TOML_READER_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

// Header-only and without exceptions: errors come back as toml::parse_result.
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "mysql/dsn.h"

namespace dcp::daemon {

// Debian's Abseil has its own string_view type, distinct from std::string_view.
inline std::string_view Std(absl::string_view s) { return std::string_view(s.data(), s.size()); }
inline absl::string_view Absl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Reads one TOML table, remembering which keys were consumed so that unknown keys (typos) are
// reported instead of silently ignored. Every getter returns std::nullopt for an absent key
// and kInvalidArgument "file:line:col: prefix.key: what" for a value of the wrong type.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string prefix, std::string path)
      : table_(table), prefix_(std::move(prefix)), path_(std::move(path)) {}

  // An error at `node` (the table itself when null) about `key`.
  absl::Status Error(const toml::node* node, absl::string_view key, absl::string_view msg) const;
  std::string Qualified(absl::string_view key) const;

  const toml::node* Get(absl::string_view key);
  absl::StatusOr<std::optional<std::string>> String(absl::string_view key);
  absl::StatusOr<std::optional<int64_t>> Int(absl::string_view key);
  absl::StatusOr<std::optional<bool>> Bool(absl::string_view key);
  // A duration as a string with a unit ("500ms", "2s", "1m"), within [min, max].
  absl::StatusOr<std::optional<absl::Duration>> Duration(absl::string_view key, absl::Duration min,
                                                         absl::Duration max);
  absl::StatusOr<std::optional<std::vector<std::string>>> StringArray(absl::string_view key);
  // A sub-table; nullptr when absent.
  absl::StatusOr<const toml::table*> Table(absl::string_view key);
  // An array of tables ([[key]]); empty when absent.
  absl::StatusOr<std::vector<const toml::table*>> TableArray(absl::string_view key);
  // A secret given inline (`key`, only where `inline_allowed`), by `key-env` (an environment
  // variable's name) or `key-file` (a file's path; trailing newlines dropped). An empty
  // secret is an error here, so that check-config refuses what `dcp run` would.
  absl::StatusOr<std::optional<std::string>> Secret(absl::string_view key, bool inline_allowed);

  absl::Status CheckNoUnknownKeys(absl::string_view known_list) const;

  const std::string& path() const { return path_; }
  const toml::table& table() const { return table_; }
  static std::string TypeName(const toml::node& n);

 private:
  const toml::table& table_;
  std::string prefix_;
  std::string path_;
  std::set<std::string> seen_;
};

// Limits checked before the text reaches the TOML parser, whose recursion a hostile file
// could exhaust (a key 150,000 levels deep crashed it): at most kMaxConfigBytes, at most
// kMaxNesting levels of [ and { at any point, at most kMaxDotsPerLine dots outside strings
// and comments on any line (a dotted key's depth; a real config has a handful).
// kInvalidArgument "path:line:col: ..." otherwise.
inline constexpr size_t kMaxConfigBytes = 1 << 20;
inline constexpr int kMaxNesting = 32;
inline constexpr int kMaxDotsPerLine = 64;
absl::Status CheckTomlShape(absl::string_view text, absl::string_view path);

// `dsn` with `password-env` / `password-file` (docs/config.md).
absl::StatusOr<mysql::Dsn> ReadDsn(TableReader& r);
// `dsn` as a string or an array of strings (candidate servers of one replication topology),
// each with the table's password-env / password-file; never empty.
absl::StatusOr<std::vector<mysql::Dsn>> ReadDsns(TableReader& r);

// A host:port with a port 0..65535.
absl::Status CheckListen(TableReader& r, absl::string_view key, const std::string& listen);

}  // namespace dcp::daemon

#endif  // DCP_DAEMON_TOML_READER_H_
