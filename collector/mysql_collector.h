// MysqlCollector: from a MySQL/MariaDB binlog to tagged, keyed, checksummed changes.
//
// Reads row events through a RawEventSource opened by an injected factory (a live replica
// stream in the daemon, binlog files in tests and in padder-like tools), assembles them into
// transactions, and at each commit delivers one row checker::Change per row and tag
// (canonical key, checksum and, when kept, content; docs/encoding.md; a delete is its key
// alone) plus one barrier Change per tag for each change of its barrier row in
// `drc.barrier`, all in binlog order, to a MessageSink.
// Payloads before the first barrier are dropped and counted. After each delivered transaction
// the resume position (file:pos and GTID position) advances; it is saved to the checkpoint
// file at barriers, at least every `checkpoint_interval`, and when Run() returns, so a
// restart resumes after the last delivered transaction: nothing is lost, and what may be
// delivered twice after a crash carries the same ids (GTID or file:pos).
//
// Connection loss or a broken stream: the partial transaction is dropped, the factory is
// called again from the last delivered position with bounded exponential backoff, and
// `on_reconnect` is told. The stream resumes exactly where delivery stopped, so the daemon
// only logs and counts reconnects; it does not mark the window unchecked.
//
// Schemas come from a SchemaSource (information_schema); they are re-read after DDL and
// when a TABLE_MAP does not match; rows that still do not match are not encoded (they would
// get wrong checksums): they are counted and reported through `on_notice`.
//
// Thread-safety: Run() is called once, from one thread; stats() and position() may be called
// from any thread.
#ifndef DCP_COLLECTOR_MYSQL_COLLECTOR_H_
#define DCP_COLLECTOR_MYSQL_COLLECTOR_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "collector/checkpoint.h"
#include "collector/gtid_tracker.h"
#include "collector/message_sink.h"
#include "collector/row_encoder.h"
#include "collector/tags.h"
#include "mysql/binlog/file_reader.h"
#include "mysql/binlog/stream_reader.h"
#include "mysql/connection.h"
#include "mysql/schema.h"
#include "util/clock.h"

namespace dcp::collector {

// Where to start (or resume) reading.
struct StartPoint {
  std::string file;  // empty: the first binlog file / the GTID position
  uint64_t position = 4;
  // MariaDB GTID position or MySQL executed GTID set at this point ("" unknown). A source
  // opens at file:position when `file` is set, else at this GTID position.
  std::string gtid;
  uint32_t server_id = 0;  // the server whose binlog `file` is (0: unknown)

  std::string ToString() const;
};

// Table schemas for the collector. Implementations need not be thread-safe.
class SchemaSource {
 public:
  virtual ~SchemaSource() = default;
  virtual absl::StatusOr<mysql::TableSchema> Read(const std::string& schema,
                                                  const std::string& table) = 0;
  // Columns holding JSON that the schema reports as text (MariaDB).
  virtual absl::StatusOr<std::vector<std::string>> JsonColumns(const std::string& schema,
                                                               const std::string& table) = 0;
};

// A SchemaSource over a connection it owns, reconnecting when the connection was lost.
class ConnectionSchemaSource final : public SchemaSource {
 public:
  explicit ConnectionSchemaSource(mysql::Dsn dsn) : dsn_(std::move(dsn)) {}
  absl::StatusOr<mysql::TableSchema> Read(const std::string& schema,
                                          const std::string& table) override;
  absl::StatusOr<std::vector<std::string>> JsonColumns(const std::string& schema,
                                                       const std::string& table) override;
  // Reads from another server from now on (the collector switched servers).
  void Repoint(mysql::Dsn dsn) {
    dsn_ = std::move(dsn);
    conn_.reset();
  }

 private:
  absl::StatusOr<mysql::Connection*> Conn();
  mysql::Dsn dsn_;
  std::optional<mysql::Connection> conn_;
};

using SourceFactory = std::function<absl::StatusOr<std::unique_ptr<mysql::binlog::RawEventSource>>(
    const StartPoint&)>;

// Opens a live replica stream of the server at `dsn`, registering as `server_id`, from the
// start point (MariaDB GTID position when set, else file:position). The stream never ends;
// heartbeats every `heartbeat` keep Run() responsive to its stop flag.
SourceFactory LiveBinlogSource(mysql::Dsn dsn, uint32_t server_id,
                               absl::Duration heartbeat = absl::Seconds(1));

// Reads the binlog files of a server's data directory `datadir` from the start point (the
// first file is `first_file` when the start point names none), following rotations to the
// newest file; the source ends at the end of the last file. For replays, tests and benches.
SourceFactory FileBinlogSource(std::string datadir, std::string first_file = "mysql-bin.000001");

class MysqlCollector {
 public:
  struct Options {
    std::string name;
    std::vector<TagRule> tags;
    std::string barrier_schema = "drc";
    std::string barrier_table = "barrier";
    uint64_t barrier_id = 1;
    StartPoint start;             // used when there is no checkpoint
    std::string checkpoint_path;  // empty: no checkpoint file
    absl::Duration checkpoint_interval = absl::Seconds(1);
    // Hand each row's canonical content (docs/encoding.md) to the sink along with its key
    // and checksum; off (the daemon's checker compares checksums), it is computed and dropped.
    bool keep_content = false;
    // Return from Run() when the source reports its end (files); a live source never ends.
    bool stop_at_end = false;
    absl::Duration initial_backoff = absl::Milliseconds(100);
    absl::Duration max_backoff = absl::Seconds(10);
    bool verify_checksums = true;
    Clock* clock = Clock::Real();
    // Called after a lost stream, before resuming, with the cause.
    std::function<void(const std::string& cause)> on_reconnect;
    // With auto_checkpoint, for a sink that numbers messages (dcp collect): called when a
    // checkpoint is saved, its result is saved with it (Checkpoint::seqs); `restore_seqs` is
    // called with the saved numbers before anything is delivered after resuming from it.
    std::function<std::map<std::string, uint64_t>()> checkpoint_seqs;
    std::function<void(const std::map<std::string, uint64_t>&)> restore_seqs;
    // Called for conditions an operator must know about (stale schema, skipped rows).
    std::function<void(const std::string& notice)> on_notice;
    // Called after a transaction holding this collector's barrier row was delivered, with the
    // barrier's offset and the position *before* that transaction: resuming there re-reads
    // the barrier first, so a checker that lost its state restarts at that window. A daemon
    // that checkpoints by completed windows uses this with auto_checkpoint = false.
    std::function<void(uint64_t offset, const StartPoint& before)> on_barrier_position;
    // Save the checkpoint file as described above; false leaves checkpointing to the caller
    // (the checkpoint file is then only read, at start).
    bool auto_checkpoint = true;
    // Called at each commit with the transaction's GTID ("" without one) and the changes it
    // is about to hand to the sink (a failover's lost transactions are named from these,
    // collector/mysql_source.h). A transaction whose delivery fails is read and reported
    // again.
    std::function<void(const std::string& gtid, const std::vector<checker::Change>& changes)>
        on_delivered;
  };

  struct Stats {
    uint64_t events = 0;
    uint64_t rows = 0;
    uint64_t messages = 0;
    uint64_t barriers = 0;
    uint64_t transactions = 0;
    uint64_t dropped_before_barrier = 0;
    uint64_t skipped_rows = 0;  // rows that could not be encoded against their schema
    uint64_t reconnects = 0;
    bool connected = false;
  };

  // `sink`, `schemas` are not owned and must outlive the collector.
  MysqlCollector(Options options, SourceFactory factory, SchemaSource* schemas, MessageSink* sink);
  ~MysqlCollector();
  MysqlCollector(const MysqlCollector&) = delete;
  MysqlCollector& operator=(const MysqlCollector&) = delete;

  // Reads and delivers until `stop()` returns true (checked between events and while
  // backing off), or the source ends with stop_at_end. Returns OK then; errors only for
  // conditions a retry cannot fix (a corrupt checkpoint, a resume position the server no
  // longer has, a sink that was closed).
  absl::Status Run(const std::function<bool()>& stop);

  Stats stats() const;
  // The resume position after the last delivered transaction.
  StartPoint position() const;
  // Moves the resume position to `start` (file, GTID position, server): for a SourceFactory
  // that opened its source elsewhere than at position() (another server). Call only from
  // the factory, which Run() calls on its thread.
  void RestartFrom(const StartPoint& start);

 private:
  struct TableState;
  struct Pending;

  absl::Status Stream(const std::function<bool()>& stop, mysql::binlog::RawEventSource& source);
  absl::Status HandleRows(const mysql::binlog::Event& event, const mysql::binlog::RowsEvent& rows);
  absl::StatusOr<TableState*> Table(const mysql::binlog::TableMap& map);
  absl::Status Commit(const std::string& file, uint64_t next_position,
                      const std::function<bool()>& stop);
  void Notice(const std::string& text);
  absl::Status SaveCheckpoint();

  Options options_;
  SourceFactory factory_;
  SchemaSource* schemas_;
  MessageSink* sink_;
  TagMatcher matcher_;
  std::optional<CheckpointStore> checkpoints_;

  // Stream state (Run() thread only).
  std::map<std::string, std::unique_ptr<TableState>> tables_;
  std::vector<checker::Change> pending_;
  std::string content_scratch_;  // row contents not kept (Options::keep_content false)
  bool pending_barrier_ = false;
  std::string txn_gtid_;
  GtidTracker gtid_;
  bool seen_barrier_ = false;
  std::vector<std::pair<uint64_t, StartPoint>> txn_barriers_;  // in the pending transaction
  bool in_txn_ = false;
  bool reached_end_ = false;
  std::string position_file_hint_;  // the file of the current event, for origins
  absl::Time last_checkpoint_ = absl::InfinitePast();

  mutable absl::Mutex mu_;
  Stats stats_ ABSL_GUARDED_BY(mu_);
  StartPoint position_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcp::collector

#endif  // DCP_COLLECTOR_MYSQL_COLLECTOR_H_
