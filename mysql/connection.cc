#include "mysql/connection.h"

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include <mutex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace dcp::mysql {
namespace {

void InitLibraryOnce() {
  static std::once_flag once;
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
}

}  // namespace

std::optional<size_t> ResultSet::ColumnIndex(absl::string_view name) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (absl::EqualsIgnoreCase(columns[i], name)) return i;
  }
  return std::nullopt;
}

absl::Status StatusFromMysqlError(unsigned int error_number, absl::string_view message,
                                  absl::string_view context) {
  const std::string text = absl::StrCat(context, ": error ", error_number, ": ", message);
  switch (error_number) {
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_UNKNOWN_HOST:
    case CR_SERVER_LOST_EXTENDED:
    case ER_CON_COUNT_ERROR:
    case ER_SERVER_SHUTDOWN:
    case ER_CONNECTION_KILLED:
    case ER_QUERY_INTERRUPTED:
      return absl::UnavailableError(text);
    case ER_ACCESS_DENIED_ERROR:
    case ER_DBACCESS_DENIED_ERROR:
    case ER_TABLEACCESS_DENIED_ERROR:
    case ER_COLUMNACCESS_DENIED_ERROR:
    case ER_SPECIFIC_ACCESS_DENIED_ERROR:
    case ER_ACCESS_DENIED_NO_PASSWORD_ERROR:
      return absl::PermissionDeniedError(text);
    // The server will not send the binlog from the requested place: purged, or a GTID it
    // never had. Retrying the same place cannot help.
    case ER_MASTER_FATAL_ERROR_READING_BINLOG:
      return absl::FailedPreconditionError(text);
    case ER_BAD_DB_ERROR:
    case ER_NO_SUCH_TABLE:
    case ER_BAD_FIELD_ERROR:
      return absl::NotFoundError(text);
    case ER_PARSE_ERROR:
    case ER_SYNTAX_ERROR:
      return absl::InvalidArgumentError(text);
    case ER_DUP_ENTRY:
    case ER_TABLE_EXISTS_ERROR:
      return absl::AlreadyExistsError(text);
    case ER_LOCK_DEADLOCK:
    case ER_LOCK_WAIT_TIMEOUT:
      return absl::AbortedError(text);
    default:
      return absl::InternalError(text);
  }
}

absl::StatusOr<Connection> Connection::Open(const Dsn& dsn) {
  InitLibraryOnce();
  MYSQL* mysql = mysql_init(nullptr);
  if (mysql == nullptr) return absl::ResourceExhaustedError("mysql_init failed");
  unsigned int connect_timeout = static_cast<unsigned int>(dsn.connect_timeout_s);
  mysql_optionsv(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  if (dsn.read_timeout_s > 0) {
    unsigned int t = static_cast<unsigned int>(dsn.read_timeout_s);
    mysql_optionsv(mysql, MYSQL_OPT_READ_TIMEOUT, &t);
  }
  if (dsn.write_timeout_s > 0) {
    unsigned int t = static_cast<unsigned int>(dsn.write_timeout_s);
    mysql_optionsv(mysql, MYSQL_OPT_WRITE_TIMEOUT, &t);
  }
  mysql_optionsv(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  mysql_optionsv(mysql, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
  my_bool verify = 0;
  if (dsn.ssl_mode == "required") {
    my_bool enforce = 1;
    mysql_optionsv(mysql, MYSQL_OPT_SSL_ENFORCE, &enforce);
  }
  if (!dsn.ssl_ca.empty()) {
    mysql_optionsv(mysql, MYSQL_OPT_SSL_CA, dsn.ssl_ca.c_str());
    verify = 1;
  }
  mysql_optionsv(mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
  const bool use_socket = !dsn.socket.empty();
  const char* host = use_socket ? "localhost" : dsn.host.c_str();
  if (mysql_real_connect(mysql, host, dsn.user.c_str(),
                         dsn.password ? dsn.password->c_str() : nullptr,
                         dsn.database.empty() ? nullptr : dsn.database.c_str(),
                         use_socket ? 0 : dsn.port, use_socket ? dsn.socket.c_str() : nullptr,
                         CLIENT_MULTI_RESULTS) == nullptr) {
    absl::Status status = StatusFromMysqlError(mysql_errno(mysql), mysql_error(mysql),
                                               absl::StrCat("connect to ", dsn.ToString()));
    mysql_close(mysql);
    return status;
  }
  return Connection(mysql, dsn);
}

Connection::Connection(Connection&& other) noexcept
    : mysql_(other.mysql_), dsn_(std::move(other.dsn_)), affected_rows_(other.affected_rows_) {
  other.mysql_ = nullptr;
}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    if (mysql_ != nullptr) mysql_close(mysql_);
    mysql_ = other.mysql_;
    dsn_ = std::move(other.dsn_);
    affected_rows_ = other.affected_rows_;
    other.mysql_ = nullptr;
  }
  return *this;
}

Connection::~Connection() {
  if (mysql_ != nullptr) mysql_close(mysql_);
}

absl::Status Connection::LastError(absl::string_view context) const {
  return StatusFromMysqlError(mysql_errno(mysql_), mysql_error(mysql_),
                              absl::StrCat(dsn_.Address(), ": ", context));
}

namespace {
// Keeps error messages short: statements can be long.
std::string Abbreviate(absl::string_view sql) {
  if (sql.size() <= 200) return std::string(sql);
  return absl::StrCat(sql.substr(0, 200), "...");
}
}  // namespace

absl::Status Connection::Execute(absl::string_view sql) {
  if (mysql_ == nullptr) return absl::FailedPreconditionError("connection is closed");
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
    return LastError(Abbreviate(sql));
  }
  affected_rows_ = 0;
  // Drain every result so the connection is ready for the next statement.
  do {
    MYSQL_RES* res = mysql_store_result(mysql_);
    if (res != nullptr) {
      mysql_free_result(res);
    } else if (mysql_field_count(mysql_) != 0) {
      return LastError(Abbreviate(sql));
    } else {
      affected_rows_ = mysql_affected_rows(mysql_);
    }
    int next = mysql_next_result(mysql_);
    if (next > 0) return LastError(Abbreviate(sql));
    if (next < 0) break;
  } while (true);
  return absl::OkStatus();
}

absl::StatusOr<ResultSet> Connection::Query(absl::string_view sql) {
  if (mysql_ == nullptr) return absl::FailedPreconditionError("connection is closed");
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
    return LastError(Abbreviate(sql));
  }
  ResultSet result;
  MYSQL_RES* res = mysql_store_result(mysql_);
  if (res == nullptr) {
    if (mysql_field_count(mysql_) != 0) return LastError(Abbreviate(sql));
  } else {
    const unsigned int n = mysql_num_fields(res);
    MYSQL_FIELD* fields = mysql_fetch_fields(res);
    result.columns.reserve(n);
    for (unsigned int i = 0; i < n; ++i) result.columns.emplace_back(fields[i].name);
    result.rows.reserve(mysql_num_rows(res));
    while (MYSQL_ROW row = mysql_fetch_row(res)) {
      unsigned long* lengths = mysql_fetch_lengths(res);
      Row out;
      out.reserve(n);
      for (unsigned int i = 0; i < n; ++i) {
        if (row[i] == nullptr) {
          out.emplace_back(std::nullopt);
        } else {
          out.emplace_back(std::string(row[i], lengths[i]));
        }
      }
      result.rows.push_back(std::move(out));
    }
    mysql_free_result(res);
  }
  // Discard any further result sets (e.g. from CALL).
  while (mysql_next_result(mysql_) == 0) {
    if (MYSQL_RES* extra = mysql_store_result(mysql_)) mysql_free_result(extra);
  }
  if (mysql_errno(mysql_) != 0) return LastError(Abbreviate(sql));
  return result;
}

absl::StatusOr<std::optional<std::string>> Connection::QueryValue(absl::string_view sql) {
  auto result = Query(sql);
  if (!result.ok()) return result.status();
  if (result->rows.empty() || result->rows[0].empty()) {
    return absl::NotFoundError(absl::StrCat("no row from: ", Abbreviate(sql)));
  }
  return result->rows[0][0];
}

std::string Connection::Quote(absl::string_view value) const {
  std::string out(value.size() * 2 + 3, '\0');
  out[0] = '\'';
  unsigned long n = mysql_real_escape_string(mysql_, out.data() + 1, value.data(), value.size());
  out.resize(n + 1);
  out.push_back('\'');
  return out;
}

std::string Connection::ServerVersion() const {
  const char* v = mysql_get_server_info(mysql_);
  return v == nullptr ? std::string() : std::string(v);
}

bool Connection::IsMariaDb() const { return absl::StrContains(ServerVersion(), "MariaDB"); }

std::string QuoteIdentifier(absl::string_view name) {
  return absl::StrCat("`", absl::StrReplaceAll(name, {{"`", "``"}}), "`");
}

}  // namespace dcp::mysql
