#include "mysql/statement.h"

#include <mysql.h>

#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace dcp::mysql {

Param Param::Int(int64_t v) {
  Param p;
  p.kind = Kind::kInt;
  p.i = v;
  return p;
}
Param Param::Uint(uint64_t v) {
  Param p;
  p.kind = Kind::kUint;
  p.u = v;
  return p;
}
Param Param::Float(float v) {
  Param p;
  p.kind = Kind::kFloat;
  p.d = v;
  return p;
}
Param Param::Double(double v) {
  Param p;
  p.kind = Kind::kDouble;
  p.d = v;
  return p;
}
Param Param::Decimal(std::string digits) {
  Param p;
  p.kind = Kind::kDecimal;
  p.s = std::move(digits);
  return p;
}
Param Param::Bytes(std::string bytes) {
  Param p;
  p.kind = Kind::kBytes;
  p.s = std::move(bytes);
  return p;
}
Param Param::Text(std::string text) {
  Param p;
  p.kind = Kind::kText;
  p.s = std::move(text);
  return p;
}

std::string Param::ToString() const {
  switch (kind) {
    case Kind::kNull:
      return "NULL";
    case Kind::kInt:
      return absl::StrCat(i);
    case Kind::kUint:
      return absl::StrCat(u);
    case Kind::kFloat:
      return absl::StrFormat("%.9g", d);
    case Kind::kDouble:
      return absl::StrFormat("%.17g", d);
    case Kind::kDecimal:
    case Kind::kBytes:
    case Kind::kText:
      return s;
    case Kind::kDate:
      return absl::StrFormat("%04u-%02u-%02u", year, month, day);
    case Kind::kTime:
      return absl::StrFormat("%s%02u:%02u:%02u.%06u", negative ? "-" : "", hour, minute, second,
                             microsecond);
    case Kind::kDateTime:
      return absl::StrFormat("%04u-%02u-%02u %02u:%02u:%02u.%06u", year, month, day, hour, minute,
                             second, microsecond);
  }
  return "";
}

bool operator==(const Param& a, const Param& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Param::Kind::kNull:
      return true;
    case Param::Kind::kInt:
      return a.i == b.i;
    case Param::Kind::kUint:
      return a.u == b.u;
    case Param::Kind::kFloat:
    case Param::Kind::kDouble:
      return a.d == b.d;
    case Param::Kind::kDecimal:
    case Param::Kind::kBytes:
    case Param::Kind::kText:
      return a.s == b.s;
    default:
      return a.year == b.year && a.month == b.month && a.day == b.day && a.hour == b.hour &&
             a.minute == b.minute && a.second == b.second && a.microsecond == b.microsecond &&
             a.negative == b.negative;
  }
}

absl::StatusOr<Statement> Statement::Prepare(Connection& conn, absl::string_view sql) {
  MYSQL_STMT* stmt = mysql_stmt_init(conn.raw());
  if (stmt == nullptr) return absl::ResourceExhaustedError("mysql_stmt_init failed");
  if (mysql_stmt_prepare(stmt, sql.data(), sql.size()) != 0) {
    absl::Status s = StatusFromMysqlError(mysql_stmt_errno(stmt), mysql_stmt_error(stmt),
                                          absl::StrCat("prepare ", sql.substr(0, 200)));
    mysql_stmt_close(stmt);
    return s;
  }
  return Statement(stmt, std::string(sql), mysql_stmt_param_count(stmt));
}

Statement::Statement(Statement&& other) noexcept
    : stmt_(other.stmt_),
      sql_(std::move(other.sql_)),
      param_count_(other.param_count_),
      affected_rows_(other.affected_rows_) {
  other.stmt_ = nullptr;
}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    if (stmt_ != nullptr) mysql_stmt_close(stmt_);
    stmt_ = other.stmt_;
    sql_ = std::move(other.sql_);
    param_count_ = other.param_count_;
    affected_rows_ = other.affected_rows_;
    other.stmt_ = nullptr;
  }
  return *this;
}

Statement::~Statement() {
  if (stmt_ != nullptr) mysql_stmt_close(stmt_);
}

absl::Status Statement::LastError(absl::string_view context) const {
  return StatusFromMysqlError(mysql_stmt_errno(stmt_), mysql_stmt_error(stmt_),
                              absl::StrCat(context, " ", sql_.substr(0, 200)));
}

absl::Status Statement::Run(absl::Span<const Param> params) {
  if (params.size() != param_count_) {
    return absl::InvalidArgumentError(
        absl::StrCat("statement takes ", param_count_, " parameters, got ", params.size()));
  }
  std::vector<MYSQL_BIND> binds(params.size());
  std::vector<MYSQL_TIME> times(params.size());
  std::vector<float> floats(params.size());
  std::vector<char> nulls(params.size());
  for (size_t k = 0; k < params.size(); ++k) {
    const Param& p = params[k];
    MYSQL_BIND& b = binds[k];
    std::memset(&b, 0, sizeof(b));
    switch (p.kind) {
      case Param::Kind::kNull:
        b.buffer_type = MYSQL_TYPE_NULL;
        nulls[k] = 1;
        b.is_null = reinterpret_cast<my_bool*>(&nulls[k]);
        break;
      case Param::Kind::kInt:
        b.buffer_type = MYSQL_TYPE_LONGLONG;
        b.buffer = const_cast<int64_t*>(&p.i);
        break;
      case Param::Kind::kUint:
        b.buffer_type = MYSQL_TYPE_LONGLONG;
        b.buffer = const_cast<uint64_t*>(&p.u);
        b.is_unsigned = 1;
        break;
      case Param::Kind::kFloat:
        floats[k] = static_cast<float>(p.d);
        b.buffer_type = MYSQL_TYPE_FLOAT;
        b.buffer = &floats[k];
        break;
      case Param::Kind::kDouble:
        b.buffer_type = MYSQL_TYPE_DOUBLE;
        b.buffer = const_cast<double*>(&p.d);
        break;
      case Param::Kind::kDecimal:
      case Param::Kind::kBytes:
      case Param::Kind::kText:
        // BLOB parameters arrive in the binary character set: the server stores their bytes
        // into a character column unconverted, whatever that column's character set.
        b.buffer_type = p.kind == Param::Kind::kDecimal ? MYSQL_TYPE_NEWDECIMAL
                        : p.kind == Param::Kind::kBytes ? MYSQL_TYPE_BLOB
                                                        : MYSQL_TYPE_STRING;
        b.buffer = const_cast<char*>(p.s.data());
        b.buffer_length = p.s.size();
        b.length_value = p.s.size();
        b.length = &b.length_value;
        break;
      case Param::Kind::kDate:
      case Param::Kind::kTime:
      case Param::Kind::kDateTime: {
        MYSQL_TIME& t = times[k];
        std::memset(&t, 0, sizeof(t));
        t.year = p.year;
        t.month = p.month;
        t.day = p.day;
        t.hour = p.hour;
        if (p.kind == Param::Kind::kTime) {
          // The binary protocol carries TIME hours in one byte: whole days go separately.
          t.day = p.hour / 24;
          t.hour = p.hour % 24;
        }
        t.minute = p.minute;
        t.second = p.second;
        t.second_part = p.microsecond;
        t.neg = p.negative;
        t.time_type = p.kind == Param::Kind::kDate   ? MYSQL_TIMESTAMP_DATE
                      : p.kind == Param::Kind::kTime ? MYSQL_TIMESTAMP_TIME
                                                     : MYSQL_TIMESTAMP_DATETIME;
        b.buffer_type = p.kind == Param::Kind::kDate   ? MYSQL_TYPE_DATE
                        : p.kind == Param::Kind::kTime ? MYSQL_TYPE_TIME
                                                       : MYSQL_TYPE_DATETIME;
        b.buffer = &t;
        break;
      }
    }
  }
  if (!binds.empty() && mysql_stmt_bind_param(stmt_, binds.data()) != 0) {
    return LastError("bind");
  }
  if (mysql_stmt_execute(stmt_) != 0) return LastError("execute");
  return absl::OkStatus();
}

absl::Status Statement::Execute(absl::Span<const Param> params) {
  if (absl::Status s = Run(params); !s.ok()) return s;
  affected_rows_ = mysql_stmt_affected_rows(stmt_);
  if (mysql_stmt_field_count(stmt_) > 0) mysql_stmt_free_result(stmt_);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Row>> Statement::Query(absl::Span<const Param> params) {
  if (absl::Status s = Run(params); !s.ok()) return s;
  const unsigned int n = mysql_stmt_field_count(stmt_);
  std::vector<Row> rows;
  if (n == 0) return rows;
  std::vector<MYSQL_BIND> binds(n);
  std::vector<std::string> buffers(n, std::string(256, '\0'));
  std::vector<unsigned long> lengths(n);
  std::vector<char> nulls(n), errors(n);
  for (unsigned int k = 0; k < n; ++k) {
    std::memset(&binds[k], 0, sizeof(MYSQL_BIND));
    binds[k].buffer_type = MYSQL_TYPE_STRING;
    binds[k].buffer = buffers[k].data();
    binds[k].buffer_length = buffers[k].size();
    binds[k].length = &lengths[k];
    binds[k].is_null = reinterpret_cast<my_bool*>(&nulls[k]);
    binds[k].error = reinterpret_cast<my_bool*>(&errors[k]);
  }
  if (mysql_stmt_bind_result(stmt_, binds.data()) != 0) return LastError("bind result");
  for (;;) {
    const int rc = mysql_stmt_fetch(stmt_);
    if (rc == MYSQL_NO_DATA) break;
    if (rc == 1) {
      absl::Status s = LastError("fetch");
      mysql_stmt_free_result(stmt_);
      return s;
    }
    Row row(n);
    for (unsigned int k = 0; k < n; ++k) {
      if (nulls[k]) continue;
      if (lengths[k] <= buffers[k].size()) {
        row[k] = std::string(buffers[k].data(), lengths[k]);
        continue;
      }
      // Truncated: fetch the whole column into a buffer of its real length.
      std::string big(lengths[k], '\0');
      MYSQL_BIND one;
      std::memset(&one, 0, sizeof(one));
      unsigned long len = 0;
      one.buffer_type = MYSQL_TYPE_STRING;
      one.buffer = big.data();
      one.buffer_length = big.size();
      one.length = &len;
      if (mysql_stmt_fetch_column(stmt_, &one, k, 0) != 0) {
        absl::Status s = LastError("fetch column");
        mysql_stmt_free_result(stmt_);
        return s;
      }
      big.resize(std::min<size_t>(len, big.size()));
      row[k] = std::move(big);
    }
    rows.push_back(std::move(row));
  }
  mysql_stmt_free_result(stmt_);
  return rows;
}

}  // namespace dcp::mysql
