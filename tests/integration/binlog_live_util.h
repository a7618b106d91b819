// Helpers for the live binlog tests: the server's view of a table (SELECT) and the decoded
// view (row changes replayed into a map keyed by primary key), both as canonical text.
#ifndef DCP_TESTS_INTEGRATION_BINLOG_LIVE_UTIL_H_
#define DCP_TESTS_INTEGRATION_BINLOG_LIVE_UTIL_H_

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "mysql/binlog/event.h"
#include "mysql/binlog/rows.h"
#include "mysql/binlog/value.h"
#include "mysql/connection.h"
#include "util/status_macros.h"

namespace dcp::mysql::binlog::testing_util {

// How a column is compared: as the server prints it, as HEX(CAST(col AS BINARY)), as a
// float/double (numerically), or as CAST(col AS UNSIGNED) (BIT).
enum class Kind { kText, kHex, kFloat, kDouble, kBit };

struct Column {
  std::string name;
  std::string sql_type;
  Kind kind = Kind::kText;
  bool key = false;
};

using Cells = std::vector<std::optional<std::string>>;
using Key = std::vector<std::string>;
using Table = std::map<Key, Cells>;

inline Key KeyOf(const std::vector<Column>& cols, const Cells& row) {
  Key k;
  for (size_t i = 0; i < cols.size(); ++i) {
    if (cols[i].key) k.push_back(row[i].value_or("NULL"));
  }
  return k;
}

inline absl::StatusOr<Table> ServerTable(mysql::Connection& conn, const std::string& db,
                                         const std::string& name, const std::vector<Column>& cols) {
  std::vector<std::string> exprs;
  for (const Column& c : cols) {
    const std::string q = absl::StrCat("`", c.name, "`");
    switch (c.kind) {
      case Kind::kHex:
        exprs.push_back(absl::StrCat("HEX(CAST(", q, " AS BINARY))"));
        break;
      case Kind::kBit:
        exprs.push_back(absl::StrCat("CAST(", q, " AS UNSIGNED)"));
        break;
      default:
        exprs.push_back(q);
    }
  }
  ASSIGN_OR_RETURN(mysql::ResultSet rs,
                   conn.Query(absl::StrCat("SELECT ", absl::StrJoin(exprs, ", "), " FROM `", db,
                                           "`.`", name, "`")));
  Table t;
  for (const mysql::Row& r : rs.rows) {
    Cells cells(r.begin(), r.end());
    t[KeyOf(cols, cells)] = cells;
  }
  return t;
}

// The canonical text of a decoded value of `col` compared as `kind`.
inline absl::StatusOr<std::optional<std::string>> DecodedText(const ColumnDef& col, const Value& v,
                                                              Kind kind) {
  if (v.kind == ValueKind::kNull || v.kind == ValueKind::kAbsent) return std::nullopt;
  switch (kind) {
    case Kind::kHex: {
      std::string bytes(v.bytes);
      // BINARY(N) is logged without its trailing zero bytes.
      if (col.real_type == ColumnType::kString && col.charset == 63) {
        bytes.resize(std::max<size_t>(bytes.size(), col.max_length), '\0');
      }
      return absl::AsciiStrToUpper(absl::BytesToHexString(bytes));
    }
    case Kind::kFloat: {
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof(buf), static_cast<double>(v.f));
      return std::string(buf, r.ptr - buf);
    }
    case Kind::kDouble: {
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof(buf), v.d);
      return std::string(buf, r.ptr - buf);
    }
    case Kind::kBit:
      return absl::StrCat(v.u);
    case Kind::kText:
      if (v.kind == ValueKind::kEnum) {
        if (v.u == 0) return std::string();
        if (v.u > col.enum_values.size()) return absl::DataLossError("ENUM index out of range");
        return col.enum_values[v.u - 1];
      }
      if (v.kind == ValueKind::kSet) {
        std::vector<std::string> parts;
        for (size_t i = 0; i < col.enum_values.size(); ++i) {
          if ((v.u >> i) & 1) parts.push_back(col.enum_values[i]);
        }
        return absl::StrJoin(parts, ",");
      }
      {
        std::string s;
        RETURN_IF_ERROR(AppendText(v, &s));
        return s;
      }
  }
  return std::nullopt;
}

// Applies one decoded row change to `table`. Columns are matched by name (the tests run
// with binlog_row_metadata=FULL).
inline absl::Status Replay(const TableMap& map, const std::vector<Column>& cols,
                           const RowChange& change, Table& table) {
  std::vector<int> index(map.columns.size(), -1);
  for (size_t i = 0; i < map.columns.size(); ++i) {
    for (size_t k = 0; k < cols.size(); ++k) {
      if (map.columns[i].name == cols[k].name) index[i] = static_cast<int>(k);
    }
    if (index[i] < 0)
      return absl::InternalError(absl::StrCat("unknown column ", map.columns[i].name));
  }
  auto apply = [&](const std::vector<Value>& image, Cells& row) -> absl::Status {
    for (size_t i = 0; i < image.size(); ++i) {
      if (image[i].kind == ValueKind::kAbsent) continue;
      ASSIGN_OR_RETURN(row[index[i]], DecodedText(map.columns[i], image[i], cols[index[i]].kind));
    }
    return absl::OkStatus();
  };
  auto find = [&](const std::vector<Value>& before) -> absl::StatusOr<Table::iterator> {
    Cells probe(cols.size());
    RETURN_IF_ERROR(apply(before, probe));
    auto it = table.find(KeyOf(cols, probe));
    if (it == table.end()) {
      return absl::InternalError(
          absl::StrCat("no decoded row with key ", absl::StrJoin(KeyOf(cols, probe), ",")));
    }
    return it;
  };
  switch (change.op) {
    case RowOp::kInsert: {
      Cells row(cols.size());
      RETURN_IF_ERROR(apply(change.after, row));
      table[KeyOf(cols, row)] = row;
      return absl::OkStatus();
    }
    case RowOp::kDelete: {
      ASSIGN_OR_RETURN(auto it, find(change.before));
      table.erase(it);
      return absl::OkStatus();
    }
    case RowOp::kUpdate: {
      ASSIGN_OR_RETURN(auto it, find(change.before));
      Cells row = it->second;
      table.erase(it);
      RETURN_IF_ERROR(apply(change.after, row));
      table[KeyOf(cols, row)] = row;
      return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

inline bool SameCell(Kind kind, const std::optional<std::string>& server,
                     const std::optional<std::string>& decoded) {
  if (!server.has_value() || !decoded.has_value()) return server.has_value() == decoded.has_value();
  if (kind == Kind::kFloat) {
    return std::strtof(server->c_str(), nullptr) ==
           static_cast<float>(std::strtod(decoded->c_str(), nullptr));
  }
  if (kind == Kind::kDouble) {
    const double a = std::strtod(server->c_str(), nullptr);
    const double b = std::strtod(decoded->c_str(), nullptr);
    return a == b || std::fabs(a - b) <= 1e-14 * std::fabs(a);
  }
  return *server == *decoded;
}

inline void Compare(const std::vector<Column>& cols, const Table& server, const Table& decoded) {
  EXPECT_EQ(server.size(), decoded.size());
  for (const auto& [key, row] : server) {
    auto it = decoded.find(key);
    if (it == decoded.end()) {
      ADD_FAILURE() << "row " << absl::StrJoin(key, ",") << " not decoded";
      continue;
    }
    for (size_t i = 0; i < cols.size(); ++i) {
      EXPECT_TRUE(SameCell(cols[i].kind, row[i], it->second[i]))
          << "row " << absl::StrJoin(key, ",") << " column " << cols[i].name << ": server "
          << row[i].value_or("NULL").substr(0, 200) << " decoded "
          << it->second[i].value_or("NULL").substr(0, 200);
    }
  }
}

}  // namespace dcp::mysql::binlog::testing_util

#endif  // DCP_TESTS_INTEGRATION_BINLOG_LIVE_UTIL_H_
