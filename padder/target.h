// Target: where padder applies row changes, and what it needs to know about the target's
// tables. An interface so the apply engine (engine.h) can be tested against a fake; the real
// implementation over a MySQL-family server is MysqlTarget (mysql_target.h).
//
// Images are rows by column position: std::nullopt marks a column absent from the image
// (binlog_row_image=MINIMAL/NOBLOB) and such columns are neither compared nor written.
#ifndef DCP_PADDER_TARGET_H_
#define DCP_PADDER_TARGET_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mysql/connection.h"
#include "mysql/statement.h"

namespace dcp::padder {

using Image = std::vector<std::optional<mysql::Param>>;

// What the engine needs of one target table.
struct TableInfo {
  std::string schema;
  std::string name;
  std::vector<std::string> columns;  // in ordinal order
  // Column positions of the row key (primary key, else a NOT NULL unique key). Empty: the
  // table has no key and rows are identified by all their present columns.
  std::vector<size_t> key;
  std::string key_index;           // the key's index name ("PRIMARY" for the primary key)
  std::vector<bool> generated;     // generated columns are never written nor compared
  std::vector<bool> utf8_text;     // character columns in a utf8 character set
  std::vector<int> pad_to;         // BINARY(N): N, UUID/INET6: 16; 0 otherwise
  std::vector<int> unsigned_bits;  // unsigned integer columns: their width; 0 otherwise
  // The table has a unique key (primary or unique index) besides `key`.
  bool other_unique_key = false;

  std::string QualifiedName() const { return schema + "." + name; }
};

// The target's row at an image's key compared with an image.
enum class Match { kMissing, kEqual, kDiffers };

class Target {
 public:
  virtual ~Target() = default;

  // The table's description, or nullptr when the target has no such table.
  virtual absl::StatusOr<const TableInfo*> Table(const std::string& schema,
                                                 const std::string& table) = 0;

  virtual absl::Status Begin() = 0;
  virtual absl::Status Commit() = 0;
  virtual absl::Status Rollback() = 0;

  // Looks up the row whose key equals `key_from`'s key columns and compares it with the
  // present columns of `compare` (exactly, NULL equal to NULL).
  virtual absl::StatusOr<Match> Probe(const TableInfo& t, const Image& key_from,
                                      const Image& compare) = 0;
  // The target row at `key_from`'s key as text (for conflict records), or std::nullopt.
  virtual absl::StatusOr<std::optional<mysql::Row>> Read(const TableInfo& t,
                                                         const Image& key_from) = 0;
  // INSERT (or REPLACE) of the present columns of `row`.
  virtual absl::Status Insert(const TableInfo& t, const Image& row, bool replace) = 0;
  // INSERT IGNORE of the present columns of `row`: true when the row was inserted, false
  // when a key was taken (nothing changed).
  virtual absl::StatusOr<bool> InsertIfAbsent(const TableInfo& t, const Image& row) = 0;
  // One multi-row INSERT of `rows` (all with the same present columns). kAlreadyExists when
  // a key is taken: then the statement inserted nothing (statement rollback, InnoDB).
  virtual absl::Status InsertMany(const TableInfo& t, const std::vector<const Image*>& rows) = 0;
  // UPDATE of the row at `key_from`'s key to the present columns of `after`.
  virtual absl::Status Update(const TableInfo& t, const Image& key_from, const Image& after) = 0;
  // DELETE of the row at `key_from`'s key.
  virtual absl::Status Delete(const TableInfo& t, const Image& key_from) = 0;

  // Batched forms for runs of row changes of one keyed table (`t.key` not empty), each one
  // statement and one round trip. The images of one call share their present columns and
  // carry every key column; no key occurs twice.
  //
  // How many of `images` find their row (by key) on the target equal to them, compared as
  // Probe(t, image, image) compares: images.size() exactly when every Probe would say kEqual.
  virtual absl::StatusOr<uint64_t> CountEqual(const TableInfo& t,
                                              const std::vector<const Image*>& images) = 0;
  // Sets the present non-key columns of every row of `afters` on the target row with the same
  // key. Contract (the caller's): each key exists on the target and `t.other_unique_key` is
  // false; then this changes exactly what one UPDATE per row would.
  virtual absl::Status UpdateMany(const TableInfo& t, const std::vector<const Image*>& afters) = 0;
  // Deletes the rows at the keys of `keys`; returns how many rows were deleted.
  virtual absl::StatusOr<uint64_t> DeleteMany(const TableInfo& t,
                                              const std::vector<const Image*>& keys) = 0;
};

}  // namespace dcp::padder

#endif  // DCP_PADDER_TARGET_H_
