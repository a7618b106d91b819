// Statement: an owned server-side prepared statement (Connector/C mysql_stmt_*) with typed
// parameter binding, so that values reach the server exactly (no SQL text round trip).
//
// Param is a small owned value: NULL, signed/unsigned integer, float, double, DECIMAL (exact
// decimal text), bytes (bound as binary: stored into character columns byte for byte, in
// the column's own character set), text (in the connection's utf8mb4) or a temporal value
// (MYSQL_TIME). Results are fetched as text, like Connection::Query.
//
// A Statement borrows its Connection, which must outlive it and must not be moved while the
// statement exists. Not thread-safe. Errors map like Connection's (StatusFromMysqlError).
#ifndef DCP_MYSQL_STATEMENT_H_
#define DCP_MYSQL_STATEMENT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "mysql/connection.h"

struct st_mysql_stmt;  // MYSQL_STMT

namespace dcp::mysql {

struct Param {
  enum class Kind : uint8_t {
    kNull,
    kInt,
    kUint,
    kFloat,
    kDouble,
    kDecimal,
    kBytes,
    kText,
    kDate,
    kTime,
    kDateTime
  };
  Kind kind = Kind::kNull;
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;   // kFloat keeps the float's exact value here
  std::string s;  // kDecimal, kBytes, kText
  // Temporal parts (kDate, kTime, kDateTime).
  uint32_t year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, microsecond = 0;
  bool negative = false;

  static Param Null() { return Param(); }
  static Param Int(int64_t v);
  static Param Uint(uint64_t v);
  static Param Float(float v);
  static Param Double(double v);
  static Param Decimal(std::string digits);
  static Param Bytes(std::string bytes);
  static Param Text(std::string text);

  bool is_null() const { return kind == Kind::kNull; }
  // Readable form for logs and conflict records (bytes as is; temporal as SQL text).
  std::string ToString() const;

  friend bool operator==(const Param& a, const Param& b);
  friend bool operator!=(const Param& a, const Param& b) { return !(a == b); }
};

class Statement {
 public:
  // Prepares `sql` (with ? placeholders) on `conn`.
  static absl::StatusOr<Statement> Prepare(Connection& conn, absl::string_view sql);

  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Number of ? placeholders.
  size_t param_count() const { return param_count_; }

  // Executes with `params` (exactly param_count() of them); discards any result.
  absl::Status Execute(absl::Span<const Param> params);
  // Executes and fetches every row as text (std::nullopt for NULL).
  absl::StatusOr<std::vector<Row>> Query(absl::Span<const Param> params);

  // Rows changed by the last Execute().
  uint64_t affected_rows() const { return affected_rows_; }
  const std::string& sql() const { return sql_; }

 private:
  Statement(st_mysql_stmt* stmt, std::string sql, size_t param_count)
      : stmt_(stmt), sql_(std::move(sql)), param_count_(param_count) {}
  absl::Status Run(absl::Span<const Param> params);
  absl::Status LastError(absl::string_view context) const;

  st_mysql_stmt* stmt_ = nullptr;
  std::string sql_;
  size_t param_count_ = 0;
  uint64_t affected_rows_ = 0;
};

}  // namespace dcp::mysql

#endif  // DCP_MYSQL_STATEMENT_H_
