#include "mysql/binlog/stream_reader.h"

#include <mysql.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "util/status_macros.h"

namespace dcp::mysql::binlog {
namespace {

constexpr uint16_t kDumpNonBlock = 1;
constexpr int kComBinlogDumpGtid = 0x1e;  // not in Connector/C's enum

void PutLe(std::string& b, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) b.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

absl::Status CommandError(MYSQL* m, absl::string_view what) {
  return StatusFromMysqlError(mysql_errno(m), mysql_error(m), what);
}

}  // namespace

absl::StatusOr<std::unique_ptr<StreamReader>> StreamReader::Open(Options options) {
  if (options.server_id == 0) {
    return absl::InvalidArgumentError("a replica server id (non-zero) is required");
  }
  ASSIGN_OR_RETURN(Connection conn, Connection::Open(options.dsn));
  std::unique_ptr<StreamReader> r(new StreamReader(std::move(conn)));
  RETURN_IF_ERROR(r->Start(options));
  return r;
}

absl::Status StreamReader::Start(const Options& options) {
  version_ = conn_.ServerVersion();
  mariadb_ = conn_.IsMariaDb();
  ASSIGN_OR_RETURN(std::optional<std::string> alg,
                   conn_.QueryValue("SELECT @@global.binlog_checksum"));
  checksum_ = alg.has_value() && *alg == "CRC32" ? ChecksumAlg::kCrc32 : ChecksumAlg::kOff;
  // Tell the server we understand its checksums (both spellings; MySQL >= 8.0.26 reads the
  // source_ one, older servers and MariaDB the master_ one).
  RETURN_IF_ERROR(conn_.Execute("SET @master_binlog_checksum = @@global.binlog_checksum"));
  (void)conn_.Execute("SET @source_binlog_checksum = @@global.binlog_checksum");
  const int64_t heartbeat_ns = absl::ToInt64Nanoseconds(options.heartbeat);
  RETURN_IF_ERROR(conn_.Execute(absl::StrCat("SET @master_heartbeat_period = ", heartbeat_ns)));
  if (mariadb_) {
    // 4: MARIA_SLAVE_CAPABILITY_GTID (GTID events, GTID_LIST, BINLOG_CHECKPOINT, annotations).
    RETURN_IF_ERROR(conn_.Execute("SET @mariadb_slave_capability = 4"));
    if (!options.gtid.empty()) {
      RETURN_IF_ERROR(
          conn_.Execute(absl::StrCat("SET @slave_connect_state = ", conn_.Quote(options.gtid))));
      RETURN_IF_ERROR(conn_.Execute("SET @slave_gtid_strict_mode = 0"));
      RETURN_IF_ERROR(conn_.Execute("SET @slave_gtid_ignore_duplicates = 0"));
    }
  } else if (!options.gtid.empty()) {
    ASSIGN_OR_RETURN(mysql_gtids_, GtidSet::Parse(options.gtid));
  }
  MYSQL* m = conn_.raw();
  // COM_REGISTER_SLAVE: server id, host, user, password, port, rank, master id.
  std::string reg;
  PutLe(reg, options.server_id, 4);
  reg.push_back(0);  // host
  reg.push_back(0);  // user
  reg.push_back(0);  // password
  PutLe(reg, 0, 2);
  PutLe(reg, 0, 4);
  PutLe(reg, 0, 4);
  if (m->methods->db_command(m, COM_REGISTER_SLAVE, reg.data(), reg.size(), 0, nullptr) != 0) {
    return CommandError(m, "COM_REGISTER_SLAVE");
  }
  if (mysql_gtids_.has_value()) {
    // COM_BINLOG_DUMP_GTID (MySQL): flags, server id, file name (empty), position 4, and the
    // executed GTID set in its binary encoding; BINLOG_THROUGH_GTID (4) selects the set.
    const std::string set = mysql_gtids_->Encode();
    std::string dump;
    PutLe(dump, (options.stop_never ? 0 : kDumpNonBlock) | 4, 2);
    PutLe(dump, options.server_id, 4);
    PutLe(dump, 0, 4);  // file name length
    PutLe(dump, 4, 8);  // position
    PutLe(dump, set.size(), 4);
    dump.append(set);
    if (m->methods->db_command(m, static_cast<enum_server_command>(kComBinlogDumpGtid), dump.data(),
                               dump.size(), 1, nullptr) != 0) {
      return CommandError(m, "COM_BINLOG_DUMP_GTID");
    }
    file_.clear();
    next_position_ = 4;
    return absl::OkStatus();
  }
  file_ = options.gtid.empty() ? options.file : "";
  const uint64_t position = options.gtid.empty() ? options.position : 4;
  if (position > UINT32_MAX) return absl::InvalidArgumentError("start position beyond 4 GiB");
  std::string dump;
  PutLe(dump, position, 4);
  PutLe(dump, options.stop_never ? 0 : kDumpNonBlock, 2);
  PutLe(dump, options.server_id, 4);
  dump.append(file_);
  if (m->methods->db_command(m, COM_BINLOG_DUMP, dump.data(), dump.size(), 1, nullptr) != 0) {
    return CommandError(m, "COM_BINLOG_DUMP");
  }
  next_position_ = position;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<RawEvent>> StreamReader::Next() {
  MYSQL* m = conn_.raw();
  const unsigned long len = mysql_net_read_packet(m);
  if (len == packet_error || len == 0) {
    return CommandError(m, file_.empty() ? std::string("reading the binlog stream")
                                         : absl::StrCat("reading the binlog stream at ", file_,
                                                        ":", next_position_));
  }
  const char* p = reinterpret_cast<const char*>(m->net.read_pos);
  if (static_cast<uint8_t>(p[0]) == 0xfe && len < 8) return std::nullopt;  // EOF: end of binlog
  if (p[0] != 0) {
    return absl::DataLossError(absl::StrCat("binlog stream packet starts with ",
                                            static_cast<int>(static_cast<uint8_t>(p[0]))));
  }
  RawEvent ev;
  ev.bytes = absl::string_view(p + 1, len - 1);
  if (ev.bytes.size() < EventHeader::kSize) {
    return absl::DataLossError("binlog stream packet shorter than an event header");
  }
  uint32_t log_pos, size;
  std::memcpy(&size, ev.bytes.data() + 9, 4);
  std::memcpy(&log_pos, ev.bytes.data() + 13, 4);
  const auto type = static_cast<EventType>(ev.bytes[4]);
  if (type == EventType::kRotate && ev.bytes.size() >= EventHeader::kSize + 8) {
    // The next events belong to the named file (a real or an artificial rotation).
    size_t name_len = ev.bytes.size() - EventHeader::kSize - 8;
    if (checksum_ == ChecksumAlg::kCrc32 && name_len >= 4) name_len -= 4;
    uint64_t pos;
    std::memcpy(&pos, ev.bytes.data() + EventHeader::kSize, 8);
    event_file_ = file_;
    ev.file = event_file_;
    ev.offset = log_pos > size ? log_pos - size : next_position_;
    file_.assign(ev.bytes.data() + EventHeader::kSize + 8, name_len);
    next_position_ = pos;
    return ev;
  }
  ev.file = file_;
  if (log_pos >= size && log_pos != 0) {
    ev.offset = log_pos - size;
    next_position_ = log_pos;
  } else {
    ev.offset = next_position_;  // artificial events (log_pos 0) do not move the position
  }
  return ev;
}

}  // namespace dcp::mysql::binlog
