#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "mysql/binlog/event.h"
#include "util/status_macros.h"

namespace dcp::mysql::binlog {
namespace {

// The fields of TABLE_MAP's optional metadata (binlog_row_metadata=MINIMAL/FULL), with
// MySQL's names (Table_map_log_event::Optional_metadata_field_type).
enum class OptionalMetadataField : uint8_t {
  kSignedness = 1,
  kDefaultCharset = 2,
  kColumnCharset = 3,
  kColumnName = 4,
  kSetStrValue = 5,
  kEnumStrValue = 6,
  kGeometryType = 7,
  kSimplePrimaryKey = 8,
  kPrimaryKeyWithPrefix = 9,
  kEnumAndSetDefaultCharset = 10,
  kEnumAndSetColumnCharset = 11,
  kColumnVisibility = 12,
  kVectorDimensionality = 13,
};

bool IsNumericType(ColumnType t) {
  switch (t) {
    case ColumnType::kTiny:
    case ColumnType::kShort:
    case ColumnType::kInt24:
    case ColumnType::kLong:
    case ColumnType::kLongLong:
    case ColumnType::kNewDecimal:
    case ColumnType::kDecimal:
    case ColumnType::kFloat:
    case ColumnType::kDouble:
      return true;
    default:
      return false;
  }
}

// Which columns the charset metadata lists. MariaDB lists every column with a character set
// in its binlog type info, GEOMETRY (binary) included. MySQL (Table_map_log_event's
// is_character_type) lists the binlog types STRING (CHAR/BINARY; ENUM and SET have their own
// fields), VAR_STRING, VARCHAR, BLOB (every TEXT and BLOB) and, from 9.0, VECTOR (binary);
// not JSON or GEOMETRY.
bool IsCharacterType(const ColumnDef& c, bool mariadb) {
  if (c.type == ColumnType::kGeometry) return mariadb;
  if (c.type == ColumnType::kVector) return true;
  switch (c.real_type) {
    case ColumnType::kString:
    case ColumnType::kVarString:
    case ColumnType::kVarchar:
    case ColumnType::kBlob:
    case ColumnType::kTinyBlob:
    case ColumnType::kMediumBlob:
    case ColumnType::kLongBlob:
      return c.type != ColumnType::kJson;
    default:
      return false;
  }
}

bool IsEnumOrSet(const ColumnDef& c) {
  return c.real_type == ColumnType::kEnum || c.real_type == ColumnType::kSet;
}

// A bitmap of `n` bits stored most-significant bit first (optional metadata).
bool MsbBit(absl::string_view bits, size_t i) {
  return (static_cast<uint8_t>(bits[i / 8]) >> (7 - i % 8)) & 1;
}

// Reads one TABLE_MAP body, part by part in the order the event holds them, into a TableMap.
// One parser per event.
class TableMapParser {
 public:
  TableMapParser(Cursor& c, bool mariadb) : c_(c), mariadb_(mariadb) {}

  absl::StatusOr<TableMap> Parse(uint8_t post_header_len, bool legacy) {
    RETURN_IF_ERROR(ReadNames(post_header_len));
    RETURN_IF_ERROR(ReadColumnTypes());
    // The 5.1 previews (FormatDescription::drop_type_codes) ended the event here: no column
    // metadata, no null bitmap.
    if (c_.empty() && legacy) return std::move(t_);
    RETURN_IF_ERROR(ReadColumnMetadata());
    RETURN_IF_ERROR(ReadNullability());
    while (!c_.empty()) RETURN_IF_ERROR(ReadOptionalField());
    return std::move(t_);
  }

 private:
  // The post-header (table id, flags) and the schema and table names.
  absl::Status ReadNames(uint8_t post_header_len) {
    ASSIGN_OR_RETURN(t_.table_id, c_.UintLe(post_header_len == 6 ? 4 : 6, "table id"));
    ASSIGN_OR_RETURN(t_.flags, c_.U16("table map flags"));
    if (post_header_len > 8) RETURN_IF_ERROR(c_.Skip(post_header_len - 8, "post-header"));
    ASSIGN_OR_RETURN(uint8_t schema_len, c_.U8("schema length"));
    ASSIGN_OR_RETURN(absl::string_view schema, c_.Bytes(schema_len, "schema"));
    RETURN_IF_ERROR(c_.Skip(1, "schema terminator"));
    ASSIGN_OR_RETURN(uint8_t table_len, c_.U8("table length"));
    ASSIGN_OR_RETURN(absl::string_view table, c_.Bytes(table_len, "table"));
    RETURN_IF_ERROR(c_.Skip(1, "table terminator"));
    t_.schema = std::string(schema);
    t_.table = std::string(table);
    return absl::OkStatus();
  }

  // The column count and the array of column types.
  absl::Status ReadColumnTypes() {
    ASSIGN_OR_RETURN(uint64_t n, c_.PackedInt("column count"));
    ASSIGN_OR_RETURN(absl::string_view types, c_.Bytes(n, "column types"));
    t_.columns.resize(n);
    for (size_t i = 0; i < n; ++i) {
      t_.columns[i].type = static_cast<ColumnType>(types[i]);
      t_.columns[i].real_type = t_.columns[i].type;
    }
    return absl::OkStatus();
  }

  // The packed-length block of per-type column metadata.
  absl::Status ReadColumnMetadata() {
    ASSIGN_OR_RETURN(uint64_t meta_len, c_.PackedInt("metadata length"));
    ASSIGN_OR_RETURN(Cursor meta, c_.Sub(meta_len, "column metadata"));
    for (ColumnDef& col : t_.columns) RETURN_IF_ERROR(ReadTypeMetadata(meta, col));
    return absl::OkStatus();
  }

  // The metadata of one column, whose size and meaning depend on its type.
  static absl::Status ReadTypeMetadata(Cursor& meta, ColumnDef& col) {
    switch (col.type) {
      case ColumnType::kFloat:
      case ColumnType::kDouble:
      case ColumnType::kTimestamp2:
      case ColumnType::kDateTime2:
      case ColumnType::kTime2: {
        ASSIGN_OR_RETURN(col.meta, meta.U8("column metadata"));
        return absl::OkStatus();
      }
      case ColumnType::kBlob:
      case ColumnType::kTinyBlob:
      case ColumnType::kMediumBlob:
      case ColumnType::kLongBlob:
      case ColumnType::kGeometry:
      case ColumnType::kJson:
      case ColumnType::kVector: {
        ASSIGN_OR_RETURN(col.meta, meta.U8("column metadata"));
        if (col.meta < 1 || col.meta > 4) {
          return meta.Corrupt(absl::StrCat("blob length size ", col.meta));
        }
        col.max_length = col.meta;
        return absl::OkStatus();
      }
      case ColumnType::kVarchar:
      case ColumnType::kVarString: {
        ASSIGN_OR_RETURN(col.meta, meta.U16("column metadata"));
        col.max_length = col.meta;
        return absl::OkStatus();
      }
      case ColumnType::kBit:
      case ColumnType::kNewDecimal:
      case ColumnType::kDecimal: {
        // Stored as two bytes: BIT (bits % 8, bytes), DECIMAL (precision, scale).
        ASSIGN_OR_RETURN(uint8_t b0, meta.U8("column metadata"));
        ASSIGN_OR_RETURN(uint8_t b1, meta.U8("column metadata"));
        col.meta = static_cast<uint16_t>(b0 << 8 | b1);
        if (col.type == ColumnType::kNewDecimal && DecimalBinarySize(b0, b1) == 0) {
          return meta.Corrupt(absl::StrCat("DECIMAL(", b0, ",", b1, ")"));
        }
        return absl::OkStatus();
      }
      case ColumnType::kString:
      case ColumnType::kEnum:
      case ColumnType::kSet:
        return ReadStringMetadata(meta, col);
      default:
        return absl::OkStatus();
    }
  }

  // STRING, ENUM and SET: the real type and the length (CHAR) or value size (ENUM, SET).
  static absl::Status ReadStringMetadata(Cursor& meta, ColumnDef& col) {
    ASSIGN_OR_RETURN(uint8_t b0, meta.U8("column metadata"));
    ASSIGN_OR_RETURN(uint8_t b1, meta.U8("column metadata"));
    col.meta = static_cast<uint16_t>(b0 << 8 | b1);
    // CHAR lengths > 255 carry their two high bits, inverted, in bits 4-5 of byte 0.
    if ((b0 & 0x30) != 0x30) {
      col.real_type = static_cast<ColumnType>(b0 | 0x30);
      col.max_length = b1 | (((b0 & 0x30) ^ 0x30) << 4);
    } else {
      col.real_type = static_cast<ColumnType>(b0);
      col.max_length = b1;
    }
    if (col.type != ColumnType::kString) col.real_type = col.type;
    return absl::OkStatus();
  }

  // The bitmap of nullable columns.
  absl::Status ReadNullability() {
    const size_t n = t_.columns.size();
    ASSIGN_OR_RETURN(absl::string_view nulls, c_.Bytes((n + 7) / 8, "null bitmap"));
    for (size_t i = 0; i < n; ++i) {
      t_.columns[i].nullable = (static_cast<uint8_t>(nulls[i / 8]) >> (i % 8)) & 1;
    }
    return absl::OkStatus();
  }

  // One optional metadata field: type, packed length, value.
  absl::Status ReadOptionalField() {
    ASSIGN_OR_RETURN(uint8_t type, c_.U8("optional metadata type"));
    ASSIGN_OR_RETURN(uint64_t len, c_.PackedInt("optional metadata length"));
    ASSIGN_OR_RETURN(Cursor f, c_.Sub(len, "optional metadata"));
    using Field = OptionalMetadataField;
    switch (static_cast<Field>(type)) {
      case Field::kSignedness:
        return ReadSignedness(f);
      case Field::kDefaultCharset:
        return ReadDefaultCharsets(f, /*enums=*/false);
      case Field::kEnumAndSetDefaultCharset:
        return ReadDefaultCharsets(f, /*enums=*/true);
      case Field::kColumnCharset:
        return ReadColumnCharsets(f, /*enums=*/false);
      case Field::kEnumAndSetColumnCharset:
        return ReadColumnCharsets(f, /*enums=*/true);
      case Field::kColumnName:
        return ReadColumnNames(f);
      case Field::kSetStrValue:
        return ReadEnumStrings(f, ColumnType::kSet);
      case Field::kEnumStrValue:
        return ReadEnumStrings(f, ColumnType::kEnum);
      case Field::kGeometryType:
        return ReadGeometryTypes(f);
      case Field::kSimplePrimaryKey:
        return ReadPrimaryKey(f, /*with_prefix=*/false);
      case Field::kPrimaryKeyWithPrefix:
        return ReadPrimaryKey(f, /*with_prefix=*/true);
      case Field::kColumnVisibility:
      case Field::kVectorDimensionality:
        return absl::OkStatus();  // not needed
    }
    return absl::OkStatus();  // a later version's field
  }

  // SIGNEDNESS: one bit per numeric column, MSB first.
  absl::Status ReadSignedness(Cursor& f) {
    size_t k = 0;
    absl::string_view bits = f.Rest();
    for (ColumnDef& col : t_.columns) {
      if (!IsNumericType(col.type)) continue;
      if (k / 8 >= bits.size()) return f.Corrupt("short SIGNEDNESS bitmap");
      col.is_unsigned = MsbBit(bits, k++);
    }
    return absl::OkStatus();
  }

  // Whether the charset fields list `col`: the ENUM_AND_SET_* ones (`enums`) or the others.
  bool ListsCharset(const ColumnDef& col, bool enums) const {
    return enums ? IsEnumOrSet(col) : IsCharacterType(col, mariadb_);
  }

  // DEFAULT_CHARSET, ENUM_AND_SET_DEFAULT_CHARSET: the default, then (column index, charset)
  // pairs for the listed columns that differ.
  absl::Status ReadDefaultCharsets(Cursor& f, bool enums) {
    ASSIGN_OR_RETURN(uint64_t def, f.PackedInt("default charset"));
    std::vector<ColumnDef*> cols;
    for (ColumnDef& col : t_.columns) {
      if (ListsCharset(col, enums)) {
        col.charset = static_cast<uint16_t>(def);
        cols.push_back(&col);
      }
    }
    while (!f.empty()) {
      ASSIGN_OR_RETURN(uint64_t idx, f.PackedInt("charset column index"));
      ASSIGN_OR_RETURN(uint64_t cs, f.PackedInt("charset"));
      if (idx >= cols.size()) return f.Corrupt("charset column index out of range");
      cols[idx]->charset = static_cast<uint16_t>(cs);
    }
    return absl::OkStatus();
  }

  // COLUMN_CHARSET, ENUM_AND_SET_COLUMN_CHARSET: one charset per listed column.
  absl::Status ReadColumnCharsets(Cursor& f, bool enums) {
    for (ColumnDef& col : t_.columns) {
      if (!ListsCharset(col, enums)) continue;
      ASSIGN_OR_RETURN(uint64_t cs, f.PackedInt("column charset"));
      col.charset = static_cast<uint16_t>(cs);
    }
    return absl::OkStatus();
  }

  // COLUMN_NAME: one packed-length name per column.
  absl::Status ReadColumnNames(Cursor& f) {
    for (ColumnDef& col : t_.columns) {
      ASSIGN_OR_RETURN(absl::string_view name, f.PackedString("column name"));
      col.name = std::string(name);
    }
    t_.has_names = true;
    return absl::OkStatus();
  }

  // SET_STR_VALUE, ENUM_STR_VALUE: per column of type `want`, a count and the strings.
  absl::Status ReadEnumStrings(Cursor& f, ColumnType want) {
    for (ColumnDef& col : t_.columns) {
      if (col.real_type != want) continue;
      ASSIGN_OR_RETURN(uint64_t count, f.PackedInt("enum value count"));
      if (count > f.remaining()) return f.Corrupt("enum value count too large");
      col.enum_values.reserve(count);
      for (uint64_t k = 0; k < count; ++k) {
        ASSIGN_OR_RETURN(absl::string_view s, f.PackedString("enum value"));
        col.enum_values.emplace_back(s);
      }
    }
    return absl::OkStatus();
  }

  // GEOMETRY_TYPE: one packed integer per GEOMETRY column.
  absl::Status ReadGeometryTypes(Cursor& f) {
    for (ColumnDef& col : t_.columns) {
      if (col.type != ColumnType::kGeometry) continue;
      ASSIGN_OR_RETURN(uint64_t g, f.PackedInt("geometry type"));
      col.geometry_type = static_cast<uint32_t>(g);
    }
    return absl::OkStatus();
  }

  // SIMPLE_PRIMARY_KEY: column indexes; PRIMARY_KEY_WITH_PREFIX (`with_prefix`): (column
  // index, prefix length) pairs.
  absl::Status ReadPrimaryKey(Cursor& f, bool with_prefix) {
    while (!f.empty()) {
      ASSIGN_OR_RETURN(uint64_t idx, f.PackedInt("primary key column"));
      if (with_prefix) RETURN_IF_ERROR(f.PackedInt("primary key prefix").status());
      if (idx >= t_.columns.size()) return f.Corrupt("primary key column out of range");
      t_.columns[idx].primary_key = true;
    }
    return absl::OkStatus();
  }

  Cursor& c_;
  const bool mariadb_;
  TableMap t_;
};

}  // namespace

absl::StatusOr<TableMap> TableMap::Parse(Cursor& c, uint8_t post_header_len, bool mariadb,
                                         bool legacy) {
  return TableMapParser(c, mariadb).Parse(post_header_len, legacy);
}

absl::StatusOr<const TableMap*> Decoder::DecodeTableMap(const EventHeader& h, Cursor& body) {
  ASSIGN_OR_RETURN(TableMap t, TableMap::Parse(body, format_.PostHeaderLength(h.type, 8),
                                               format_.IsMariaDb(), format_.drop_type_codes));
  auto& slot = tables_[t.table_id];
  if (slot == nullptr) {
    slot = std::make_unique<TableMap>(std::move(t));
  } else {
    *slot = std::move(t);
  }
  return slot.get();
}

}  // namespace dcp::mysql::binlog
