// MysqlTarget: Target over one connection to a MySQL-family server, with prepared statements
// cached per table and per set of present columns. Values are bound as typed parameters
// (mysql/statement.h). The session runs with sql_mode='' (zero dates, exact values as the
// source wrote them), time_zone='+00:00' (TIMESTAMP values arrive in UTC) and
// foreign_key_checks=0 (the source already checked them). Not thread-safe.
#ifndef DCP_PADDER_MYSQL_TARGET_H_
#define DCP_PADDER_MYSQL_TARGET_H_

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "mysql/connection.h"
#include "mysql/dsn.h"
#include "mysql/schema.h"
#include "mysql/statement.h"
#include "padder/target.h"

namespace dcp::padder {

class MysqlTarget final : public Target {
 public:
  static absl::StatusOr<std::unique_ptr<MysqlTarget>> Open(const mysql::Dsn& dsn);

  absl::StatusOr<const TableInfo*> Table(const std::string& schema,
                                         const std::string& table) override;
  absl::Status Begin() override;
  absl::Status Commit() override;
  absl::Status Rollback() override;
  absl::StatusOr<Match> Probe(const TableInfo& t, const Image& key_from,
                              const Image& compare) override;
  absl::StatusOr<std::optional<mysql::Row>> Read(const TableInfo& t,
                                                 const Image& key_from) override;
  absl::Status Insert(const TableInfo& t, const Image& row, bool replace) override;
  absl::StatusOr<bool> InsertIfAbsent(const TableInfo& t, const Image& row) override;
  absl::Status InsertMany(const TableInfo& t, const std::vector<const Image*>& rows) override;
  absl::Status Update(const TableInfo& t, const Image& key_from, const Image& after) override;
  absl::Status Delete(const TableInfo& t, const Image& key_from) override;
  absl::StatusOr<uint64_t> CountEqual(const TableInfo& t,
                                      const std::vector<const Image*>& images) override;
  absl::Status UpdateMany(const TableInfo& t, const std::vector<const Image*>& afters) override;
  absl::StatusOr<uint64_t> DeleteMany(const TableInfo& t,
                                      const std::vector<const Image*>& keys) override;

  mysql::Connection& connection() { return *conn_; }

 private:
  explicit MysqlTarget(std::unique_ptr<mysql::Connection> conn) : conn_(std::move(conn)) {}
  // The statement for `sql`, prepared once.
  absl::StatusOr<mysql::Statement*> Prepared(const std::string& sql);
  // "`a` = ? AND `b` = ?" for the key of `t` (all present columns of `key_from` without a
  // key), appending the key parameters.
  absl::StatusOr<uint64_t> InsertRow(const TableInfo& t, const Image& row, const char* verb);
  std::string KeyWhere(const TableInfo& t, const Image& key_from,
                       std::vector<mysql::Param>& params) const;

  std::unique_ptr<mysql::Connection> conn_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<TableInfo>> tables_;
  absl::flat_hash_map<std::string, std::unique_ptr<mysql::Statement>> statements_;
};

// Builds the TableInfo of a table schema read from information_schema.
TableInfo TableInfoFromSchema(const mysql::TableSchema& schema);

}  // namespace dcp::padder

#endif  // DCP_PADDER_MYSQL_TARGET_H_
