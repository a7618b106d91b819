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

}  // namespace

absl::StatusOr<TableMap> TableMap::Parse(Cursor& c, uint8_t post_header_len, bool mariadb,
                                         bool legacy) {
  TableMap t;
  ASSIGN_OR_RETURN(t.table_id, c.UintLe(post_header_len == 6 ? 4 : 6, "table id"));
  ASSIGN_OR_RETURN(t.flags, c.U16("table map flags"));
  if (post_header_len > 8) RETURN_IF_ERROR(c.Skip(post_header_len - 8, "post-header"));
  ASSIGN_OR_RETURN(uint8_t schema_len, c.U8("schema length"));
  ASSIGN_OR_RETURN(absl::string_view schema, c.Bytes(schema_len, "schema"));
  RETURN_IF_ERROR(c.Skip(1, "schema terminator"));
  ASSIGN_OR_RETURN(uint8_t table_len, c.U8("table length"));
  ASSIGN_OR_RETURN(absl::string_view table, c.Bytes(table_len, "table"));
  RETURN_IF_ERROR(c.Skip(1, "table terminator"));
  t.schema = std::string(schema);
  t.table = std::string(table);
  ASSIGN_OR_RETURN(uint64_t n, c.PackedInt("column count"));
  ASSIGN_OR_RETURN(absl::string_view types, c.Bytes(n, "column types"));
  t.columns.resize(n);
  for (size_t i = 0; i < n; ++i) {
    t.columns[i].type = static_cast<ColumnType>(types[i]);
    t.columns[i].real_type = t.columns[i].type;
  }
  // The 5.1 previews (FormatDescription::drop_type_codes) ended the event here: no column
  // metadata, no null bitmap.
  if (c.empty() && legacy) return t;
  ASSIGN_OR_RETURN(uint64_t meta_len, c.PackedInt("metadata length"));
  ASSIGN_OR_RETURN(Cursor meta, c.Sub(meta_len, "column metadata"));
  for (ColumnDef& col : t.columns) {
    switch (col.type) {
      case ColumnType::kFloat:
      case ColumnType::kDouble:
      case ColumnType::kTimestamp2:
      case ColumnType::kDateTime2:
      case ColumnType::kTime2: {
        ASSIGN_OR_RETURN(col.meta, meta.U8("column metadata"));
        break;
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
        break;
      }
      case ColumnType::kVarchar:
      case ColumnType::kVarString: {
        ASSIGN_OR_RETURN(col.meta, meta.U16("column metadata"));
        col.max_length = col.meta;
        break;
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
        break;
      }
      case ColumnType::kString:
      case ColumnType::kEnum:
      case ColumnType::kSet: {
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
        break;
      }
      default:
        break;
    }
  }
  ASSIGN_OR_RETURN(absl::string_view nulls, c.Bytes((n + 7) / 8, "null bitmap"));
  for (size_t i = 0; i < n; ++i) {
    t.columns[i].nullable = (static_cast<uint8_t>(nulls[i / 8]) >> (i % 8)) & 1;
  }
  // Optional metadata (binlog_row_metadata=MINIMAL/FULL): type, packed length, value.
  while (!c.empty()) {
    ASSIGN_OR_RETURN(uint8_t type, c.U8("optional metadata type"));
    ASSIGN_OR_RETURN(uint64_t len, c.PackedInt("optional metadata length"));
    ASSIGN_OR_RETURN(Cursor f, c.Sub(len, "optional metadata"));
    using Field = OptionalMetadataField;
    const auto field = static_cast<Field>(type);
    switch (field) {
      case Field::kSignedness: {  // one bit per numeric column, MSB first
        size_t k = 0;
        absl::string_view bits = f.Rest();
        for (ColumnDef& col : t.columns) {
          if (!IsNumericType(col.type)) continue;
          if (k / 8 >= bits.size()) return f.Corrupt("short SIGNEDNESS bitmap");
          col.is_unsigned = MsbBit(bits, k++);
        }
        break;
      }
      case Field::kDefaultCharset:  // the default, then (column index, charset) pairs
      case Field::kEnumAndSetDefaultCharset: {
        const bool enums = field == Field::kEnumAndSetDefaultCharset;
        ASSIGN_OR_RETURN(uint64_t def, f.PackedInt("default charset"));
        std::vector<ColumnDef*> cols;
        for (ColumnDef& col : t.columns) {
          if (enums ? IsEnumOrSet(col) : IsCharacterType(col, mariadb)) {
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
        break;
      }
      case Field::kColumnCharset:
      case Field::kEnumAndSetColumnCharset: {
        const bool enums = field == Field::kEnumAndSetColumnCharset;
        for (ColumnDef& col : t.columns) {
          if (!(enums ? IsEnumOrSet(col) : IsCharacterType(col, mariadb))) continue;
          ASSIGN_OR_RETURN(uint64_t cs, f.PackedInt("column charset"));
          col.charset = static_cast<uint16_t>(cs);
        }
        break;
      }
      case Field::kColumnName:
        for (ColumnDef& col : t.columns) {
          ASSIGN_OR_RETURN(absl::string_view name, f.PackedString("column name"));
          col.name = std::string(name);
        }
        t.has_names = true;
        break;
      case Field::kSetStrValue:
      case Field::kEnumStrValue: {
        const ColumnType want = field == Field::kSetStrValue ? ColumnType::kSet : ColumnType::kEnum;
        for (ColumnDef& col : t.columns) {
          if (col.real_type != want) continue;
          ASSIGN_OR_RETURN(uint64_t count, f.PackedInt("enum value count"));
          if (count > f.remaining()) return f.Corrupt("enum value count too large");
          col.enum_values.reserve(count);
          for (uint64_t k = 0; k < count; ++k) {
            ASSIGN_OR_RETURN(absl::string_view s, f.PackedString("enum value"));
            col.enum_values.emplace_back(s);
          }
        }
        break;
      }
      case Field::kGeometryType:
        for (ColumnDef& col : t.columns) {
          if (col.type != ColumnType::kGeometry) continue;
          ASSIGN_OR_RETURN(uint64_t g, f.PackedInt("geometry type"));
          col.geometry_type = static_cast<uint32_t>(g);
        }
        break;
      case Field::kSimplePrimaryKey:
        while (!f.empty()) {
          ASSIGN_OR_RETURN(uint64_t idx, f.PackedInt("primary key column"));
          if (idx >= t.columns.size()) return f.Corrupt("primary key column out of range");
          t.columns[idx].primary_key = true;
        }
        break;
      case Field::kPrimaryKeyWithPrefix:
        while (!f.empty()) {
          ASSIGN_OR_RETURN(uint64_t idx, f.PackedInt("primary key column"));
          RETURN_IF_ERROR(f.PackedInt("primary key prefix").status());
          if (idx >= t.columns.size()) return f.Corrupt("primary key column out of range");
          t.columns[idx].primary_key = true;
        }
        break;
      case Field::kColumnVisibility:
      case Field::kVectorDimensionality:
      default:  // and a later version's fields: not needed
        break;
    }
  }
  return t;
}
}  // namespace dcp::mysql::binlog
