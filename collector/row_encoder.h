// TableEncoder: turns decoded binlog row images of one table into the canonical key,
// content and checksum (collector/encoding.h, docs/encoding.md).
//
// Built from the table's schema as information_schema describes it (column names, types,
// signedness, ENUM/SET labels, key) and the tag rule (ignored columns, key override, the
// name rows are compared under). Before encoding rows of a TABLE_MAP, CheckTableMap() tells
// whether the schema still describes the binlog's columns: a DDL not yet seen, or a schema
// read too late, is reported (kFailedPrecondition) instead of producing wrong checksums.
//
// Immutable after Create(); thread-safe.
#ifndef DCP_COLLECTOR_ROW_ENCODER_H_
#define DCP_COLLECTOR_ROW_ENCODER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "collector/encoding.h"
#include "collector/tags.h"
#include "mysql/binlog/event.h"
#include "mysql/binlog/value.h"
#include "mysql/schema.h"

namespace dcp::collector {

struct EncodedRow {
  std::string key;
  std::string content;   // encoding::kDeleteContent for a delete
  std::string checksum;
};

class TableEncoder {
 public:
  // kFailedPrecondition when the table has no primary key, no usable unique key and no
  // key-columns override, or an override names a missing column.
  // `json_columns`: columns holding JSON that the schema reports as text (MariaDB's JSON
  // is LONGTEXT with a json_valid() check; see MariaDbJsonColumns()); they are encoded as
  // JSON, so that MariaDB and MySQL copies of a document compare equal.
  static absl::StatusOr<TableEncoder> Create(const mysql::TableSchema& schema,
                                             const TagRule& rule,
                                             const std::vector<std::string>& json_columns = {});

  // OK when `map` has the schema's columns (count and compatible types, names when the
  // binlog carries them); kFailedPrecondition naming the first mismatch otherwise.
  absl::Status CheckTableMap(const mysql::binlog::TableMap& map) const;

  // The row's canonical key, from a FULL image.
  absl::StatusOr<std::string> Key(const std::vector<mysql::binlog::Value>& image) const;
  absl::Status KeyInto(const std::vector<mysql::binlog::Value>& image, std::string* key) const;
  // Key, content and checksum of an inserted row or an update's after-image.
  absl::StatusOr<EncodedRow> EncodeRow(const std::vector<mysql::binlog::Value>& image) const;
  // EncodeRow() into caller-owned strings (replaced), e.g. a protobuf message's fields, to
  // save copies on the collector's hot path.
  absl::Status EncodeRowInto(const std::vector<mysql::binlog::Value>& image, std::string* key,
                             std::string* content, std::string* checksum) const;
  // Key and the delete marker of a deleted row (its before-image).
  absl::StatusOr<EncodedRow> EncodeDelete(const std::vector<mysql::binlog::Value>& image) const;

  // The canonical value of column `index` of `image` (exposed for tests and tools).
  absl::StatusOr<encoding::Value> CanonicalValue(const std::vector<mysql::binlog::Value>& image,
                                                 size_t index) const;

  const std::string& compared_name() const { return compared_name_; }
  const std::vector<size_t>& key_columns() const { return key_; }

 private:
  struct Column {
    std::string name;  // lower-cased
    std::string data_type;
    // How string and blob values of the column are encoded, resolved once from the schema so
    // that no value compares type names.
    enum class Text : uint8_t { kText, kChar, kJson, kBinary };
    Text text = Text::kText;
    bool is_unsigned = false;
    bool binary = false;  // binary string/blob, geometry
    bool ignored = false;
    std::vector<std::string> labels;  // ENUM/SET
  };
  TableEncoder() = default;
  // Appends column `index`'s canonical value as a JSON string literal (or null): the same
  // bytes as json::AppendString(CanonicalValue()), without intermediate strings on
  // the common paths.
  absl::Status AppendCanonical(const std::vector<mysql::binlog::Value>& image, size_t index,
                               std::string* out) const;

  std::string table_;          // schema.table as on this server
  std::string compared_name_;  // after rename rules
  std::vector<Column> columns_;
  std::vector<size_t> key_;
  // Precomputed for EncodeRow/Key: non-ignored columns in content order (sorted by name),
  // each with its `{"name":` / `,"name":` prefix, and the key's `["table"` prefix.
  std::vector<std::pair<size_t, std::string>> content_;
  std::string key_prefix_;
};

// Columns of `schema`.`table` constrained by json_valid() (MariaDB's JSON columns).
absl::StatusOr<std::vector<std::string>> MariaDbJsonColumns(mysql::Connection& conn,
                                                            absl::string_view schema,
                                                            absl::string_view table);

// The labels of an ENUM/SET column type text, e.g. "enum('a','it''s')" -> {"a", "it's"}.
std::vector<std::string> ParseEnumLabels(absl::string_view column_type);

}  // namespace dcp::collector

#endif  // DCP_COLLECTOR_ROW_ENCODER_H_
