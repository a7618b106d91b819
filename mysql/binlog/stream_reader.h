// StreamReader: raw binlog events from a live server, read as a replica.
//
// Connects with mysql::Connection (Connector/C, used only for the connection and packet
// framing), negotiates checksums (@master_binlog_checksum / @source_binlog_checksum =
// @@global.binlog_checksum), declares @mariadb_slave_capability=4, sets the heartbeat
// period, registers as a replica (COM_REGISTER_SLAVE) with the configured server id and sends
// COM_BINLOG_DUMP from a file:position or, on MariaDB, from a GTID position
// (@slave_connect_state). Without stop_never the dump is non-blocking: Next() returns
// std::nullopt when the server reaches the end of its binlog. Events carry the file name
// of the last ROTATE and their start offset (from the header's next-position).
//
// Not thread-safe. Errors: kUnavailable for a lost connection, the server's errors mapped by
// mysql::StatusFromMysqlError (e.g. kFailedPrecondition for a purged file), kDataLoss for
// malformed packets. On MySQL, `gtid` is a GTID set ("uuid:1-5,...") sent with
// COM_BINLOG_DUMP_GTID (untested here: no MySQL server is packaged).
#ifndef DCP_MYSQL_BINLOG_STREAM_READER_H_
#define DCP_MYSQL_BINLOG_STREAM_READER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mysql/binlog/event.h"
#include "mysql/binlog/file_reader.h"
#include "mysql/connection.h"
#include "mysql/gtid.h"
#include "mysql/dsn.h"

namespace dcp::mysql::binlog {

class StreamReader final : public RawEventSource {
 public:
  struct Options {
    Dsn dsn;
    uint32_t server_id = 0;  // required, distinct from every server and replica
    std::string file;        // start file; empty with `gtid` set or for the first binlog
    uint64_t position = 4;
    // MariaDB: a GTID position ("0-1-5,1-2-7"); MySQL: the executed GTID set. Overrides
    // file/position.
    std::string gtid;
    bool stop_never = false;
    absl::Duration heartbeat = absl::Seconds(5);
  };

  static absl::StatusOr<std::unique_ptr<StreamReader>> Open(Options options);

  absl::StatusOr<std::optional<RawEvent>> Next() override;

  // The checksum algorithm the server sends events with (pass to Decoder::Options).
  ChecksumAlg checksum() const { return checksum_; }
  bool is_mariadb() const { return mariadb_; }
  const std::string& server_version() const { return version_; }

 private:
  StreamReader(Connection conn) : conn_(std::move(conn)) {}
  absl::Status Start(const Options& options);

  Connection conn_;
  ChecksumAlg checksum_ = ChecksumAlg::kOff;
  bool mariadb_ = false;
  std::string version_;
  std::optional<GtidSet> mysql_gtids_;
  std::string file_;
  std::string event_file_;  // the file of a returned ROTATE (the one it leaves)
  uint64_t next_position_ = 4;
};

}  // namespace dcp::mysql::binlog

#endif  // DCP_MYSQL_BINLOG_STREAM_READER_H_
