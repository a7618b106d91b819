#include "tests/harness/mariadb_server.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "util/status_macros.h"

namespace dcp::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kDirPrefix[] = "dcp-mariadb-";

std::string TempRoot() {
  const char* env = std::getenv("DCP_TEST_TMPDIR");
  return env != nullptr && env[0] != '\0' ? env : "/tmp";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::Status WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::trunc);
  out << content;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

std::string Tail(const std::string& text, size_t n) {
  return text.size() <= n ? text : text.substr(text.size() - n);
}

bool ProcessAlive(pid_t pid) { return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM); }

std::string FindProgram(const char* env_name, const std::vector<std::string>& candidates) {
  if (const char* env = std::getenv(env_name); env != nullptr && env[0] != '\0') return env;
  for (const std::string& c : candidates) {
    if (access(c.c_str(), X_OK) == 0) return c;
  }
  return candidates.front();
}

std::string MariadbdPath() {
  return FindProgram("DCP_MARIADBD", {"/usr/sbin/mariadbd", "/usr/bin/mariadbd"});
}

std::string InstallDbPath() {
  return FindProgram("DCP_MARIADB_INSTALL_DB",
                     {"/usr/bin/mariadb-install-db", "/usr/bin/mysql_install_db"});
}

absl::StatusOr<uint16_t> FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return absl::InternalError("bind(127.0.0.1:0) failed");
  }
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

absl::Status RunShell(const std::string& cmd, const std::string& what) {
  int rc = std::system(cmd.c_str());
  if (rc != 0) return absl::InternalError(absl::StrCat(what, " failed (", rc, "): ", cmd));
  return absl::OkStatus();
}

// Runs mariadb-install-db into `datadir`.
absl::Status InstallDatadir(const std::string& datadir) {
  std::string cmd = absl::StrCat(ShellQuote(InstallDbPath()),
                                 " --no-defaults --datadir=", ShellQuote(datadir),
                                 " --auth-root-authentication-method=normal --skip-test-db"
                                 " --skip-name-resolve");
  if (geteuid() == 0) cmd += " --user=root";
  const std::string log = datadir + ".install.log";
  cmd += absl::StrCat(" >", ShellQuote(log), " 2>&1");
  absl::Status s = RunShell(cmd, "mariadb-install-db");
  if (!s.ok()) {
    return absl::InternalError(absl::StrCat(s.message(), "\n", Tail(ReadFile(log), 2000)));
  }
  fs::remove(log);
  return absl::OkStatus();
}

// Returns a directory holding a freshly installed datadir to copy from. With DCP_BUILD_DIR
// set (ctest sets it) the template is cached there across test processes under a lock;
// otherwise it is made inside `scratch`.
absl::StatusOr<std::string> TemplateDatadir(const std::string& scratch) {
  const char* build = std::getenv("DCP_BUILD_DIR");
  if (build == nullptr || build[0] == '\0') {
    const std::string dir = scratch + "/template";
    RETURN_IF_ERROR(InstallDatadir(dir));
    return dir;
  }
  const std::string dir = absl::StrCat(build, "/testdb-template");
  const std::string lock_path = dir + ".lock";
  int lock_fd = open(lock_path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  if (lock_fd < 0) return absl::InternalError(absl::StrCat("cannot open ", lock_path));
  flock(lock_fd, LOCK_EX);
  absl::Status status = absl::OkStatus();
  if (!fs::exists(dir + "/.ready")) {
    std::error_code ec;
    fs::remove_all(dir, ec);
    const std::string tmp = absl::StrCat(dir, ".tmp.", getpid());
    fs::remove_all(tmp, ec);
    status = InstallDatadir(tmp);
    if (status.ok()) status = WriteFile(tmp + "/.ready", "ok\n");
    if (status.ok()) {
      fs::rename(tmp, dir, ec);
      if (ec) status = absl::InternalError(absl::StrCat("rename ", tmp, ": ", ec.message()));
    } else {
      fs::remove_all(tmp, ec);
    }
  }
  flock(lock_fd, LOCK_UN);
  close(lock_fd);
  RETURN_IF_ERROR(status);
  return dir;
}

// Whether `pid` is a mariadbd serving `dir` (guards against pid reuse when sweeping).
bool IsOurServer(pid_t pid, const std::string& dir) {
  std::string cmdline = ReadFile(absl::StrCat("/proc/", pid, "/cmdline"));
  return absl::StrContains(cmdline, dir);
}

void KillAndWait(pid_t pid, const std::string& dir, absl::Duration grace) {
  if (!ProcessAlive(pid) || !IsOurServer(pid, dir)) return;
  kill(pid, SIGTERM);
  const absl::Time deadline = absl::Now() + grace;
  while (ProcessAlive(pid) && IsOurServer(pid, dir) && absl::Now() < deadline) {
    waitpid(pid, nullptr, WNOHANG);
    absl::SleepFor(absl::Milliseconds(50));
  }
  if (ProcessAlive(pid) && IsOurServer(pid, dir)) {
    kill(pid, SIGKILL);
    while (ProcessAlive(pid) && IsOurServer(pid, dir)) {
      waitpid(pid, nullptr, WNOHANG);
      absl::SleepFor(absl::Milliseconds(20));
    }
  }
  waitpid(pid, nullptr, WNOHANG);
}

}  // namespace

absl::StatusOr<std::unique_ptr<MariaDbServer>> MariaDbServer::Start(const Options& options) {
  Sweep(/*all=*/false);
  std::unique_ptr<MariaDbServer> server(new MariaDbServer());
  server->options_ = options;
  server->server_id_ = options.server_id;
  std::error_code mkdir_error;
  fs::create_directories(TempRoot(), mkdir_error);
  std::string pattern = absl::StrCat(TempRoot(), "/", kDirPrefix, "XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp ", pattern, " failed"));
  }
  server->dir_ = pattern;
  RETURN_IF_ERROR(WriteFile(server->dir_ + "/owner",
                            options.detached ? std::string("detached\n")
                                             : absl::StrCat(getpid(), "\n")));
  server->socket_ = server->dir_ + "/mysql.sock";
  fs::create_directories(server->dir_ + "/tmp");
  ASSIGN_OR_RETURN(std::string tmpl, TemplateDatadir(server->dir_));
  RETURN_IF_ERROR(RunShell(absl::StrCat("cp -a ", ShellQuote(tmpl), " ",
                                        ShellQuote(server->dir_ + "/data")),
                           "copying the template datadir"));
  fs::remove(server->dir_ + "/data/.ready");
  if (tmpl == server->dir_ + "/template") fs::remove_all(tmpl);
  RETURN_IF_ERROR(server->Launch(options.startup_timeout));

  // Users are created outside the binlog so that a replica can start from an empty position.
  ASSIGN_OR_RETURN(mysql::Connection root, mysql::Connection::Open(server->RootDsn()));
  for (const char* sql : {
           "SET sql_log_bin = 0",
           "CREATE USER 'dcp'@'127.0.0.1' IDENTIFIED BY 'dcp'",
           "GRANT ALL PRIVILEGES ON *.* TO 'dcp'@'127.0.0.1' WITH GRANT OPTION",
           "CREATE USER 'dcp'@'localhost' IDENTIFIED BY 'dcp'",
           "GRANT ALL PRIVILEGES ON *.* TO 'dcp'@'localhost' WITH GRANT OPTION",
           "CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'repl'",
           "GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1'",
           "SET sql_log_bin = 1",
       }) {
    RETURN_IF_ERROR(root.Execute(sql));
  }
  return server;
}

std::vector<std::string> MariaDbServer::ServerArgs() const {
  std::vector<std::string> args = {
      MariadbdPath(),
      "--no-defaults",
      "--datadir=" + dir_ + "/data",
      "--tmpdir=" + dir_ + "/tmp",
      "--socket=" + socket_,
      "--pid-file=" + dir_ + "/mariadbd.pid",
      "--log-error=" + dir_ + "/error.log",
      absl::StrCat("--port=", port_),
      "--bind-address=127.0.0.1",
      absl::StrCat("--server-id=", server_id_),
      "--log-bin=mysql-bin",
      "--binlog-format=ROW",
      "--binlog-row-image=FULL",
      "--log-slave-updates=ON",
      "--skip-name-resolve",
      "--character-set-server=utf8mb4",
      "--collation-server=utf8mb4_general_ci",
      "--innodb-buffer-pool-size=64M",
      "--innodb-log-file-size=48M",
      "--innodb-flush-log-at-trx-commit=2",
      "--sync-binlog=0",
      "--max-connections=300",
      "--skip-slave-start",
      "--relay-log=relay-bin",
  };
  if (geteuid() == 0) args.push_back("--user=root");
  for (const std::string& a : options_.extra_args) args.push_back(a);
  return args;
}

absl::Status MariaDbServer::Launch(absl::Duration timeout) {
  const bool fixed_port = port_ != 0;
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (!fixed_port) {
      ASSIGN_OR_RETURN(port_, FreeLoopbackPort());
    }
    const std::vector<std::string> args = ServerArgs();
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const std::string out_path = dir_ + "/mariadbd.out";
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) return absl::InternalError("fork failed");
    if (pid == 0) {
      if (options_.detached) {
        setsid();
      } else {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(1);
      }
      int null_fd = open("/dev/null", O_RDONLY);
      int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (null_fd >= 0) dup2(null_fd, 0);
      if (out_fd >= 0) {
        dup2(out_fd, 1);
        dup2(out_fd, 2);
      }
      execv(argv[0], argv.data());
      _exit(127);
    }
    pid_ = pid;
    RETURN_IF_ERROR(WriteFile(dir_ + "/server.pid", absl::StrCat(pid, "\n")));

    const absl::Time deadline = absl::Now() + timeout;
    bool exited = false;
    while (absl::Now() < deadline) {
      int wstatus = 0;
      if (waitpid(pid, &wstatus, WNOHANG) == pid) {
        exited = true;
        break;
      }
      if (access(socket_.c_str(), F_OK) == 0) {
        auto conn = mysql::Connection::Open(RootDsn());
        if (conn.ok()) return absl::OkStatus();
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    const std::string log = Tail(ReadFile(dir_ + "/error.log"), 3000);
    if (!exited) {
      KillAndWait(pid, dir_, absl::Seconds(5));
      pid_ = -1;
      return absl::DeadlineExceededError(
          absl::StrCat("mariadbd did not accept connections within ", absl::FormatDuration(timeout),
                       "; error log:\n", log));
    }
    pid_ = -1;
    const bool port_clash = absl::StrContains(log, "Address already in use") ||
                            absl::StrContains(log, "Do you already have another");
    if (!port_clash || fixed_port) {
      return absl::InternalError(absl::StrCat("mariadbd exited at startup; error log:\n", log));
    }
  }
  return absl::InternalError("mariadbd could not bind a free port after 5 attempts");
}

MariaDbServer::~MariaDbServer() {
  if (released_) return;
  Stop().IgnoreError();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

mysql::Dsn MariaDbServer::Dsn() const {
  mysql::Dsn dsn;
  dsn.user = "dcp";
  dsn.password = "dcp";
  dsn.host = "127.0.0.1";
  dsn.port = port_;
  return dsn;
}

mysql::Dsn MariaDbServer::RootDsn() const {
  mysql::Dsn dsn;
  dsn.user = "root";
  dsn.socket = socket_;
  dsn.connect_timeout_s = 5;
  return dsn;
}

absl::StatusOr<mysql::Connection> MariaDbServer::Connect() const {
  return mysql::Connection::Open(Dsn());
}

absl::Status MariaDbServer::ReplicateFrom(const MariaDbServer& primary) {
  ASSIGN_OR_RETURN(mysql::Connection root, mysql::Connection::Open(RootDsn()));
  RETURN_IF_ERROR(root.Execute(absl::StrCat(
      "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=", primary.port(),
      ", MASTER_USER='repl', MASTER_PASSWORD='repl', MASTER_USE_GTID=slave_pos,"
      " MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=1")));
  RETURN_IF_ERROR(root.Execute("START SLAVE"));
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  std::string last_error;
  while (absl::Now() < deadline) {
    ASSIGN_OR_RETURN(mysql::ResultSet status, root.Query("SHOW SLAVE STATUS"));
    if (!status.rows.empty()) {
      auto field = [&](const char* name) -> std::string {
        auto idx = status.ColumnIndex(name);
        if (!idx || !status.rows[0][*idx]) return "";
        return *status.rows[0][*idx];
      };
      if (field("Slave_IO_Running") == "Yes" && field("Slave_SQL_Running") == "Yes") {
        return absl::OkStatus();
      }
      last_error = absl::StrCat("IO: ", field("Slave_IO_Running"), " ", field("Last_IO_Error"),
                                "; SQL: ", field("Slave_SQL_Running"), " ",
                                field("Last_SQL_Error"));
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("replica did not start replicating within 30s: ", last_error));
}

absl::Status MariaDbServer::WaitForReplication(const MariaDbServer& primary,
                                               absl::Duration timeout) {
  ASSIGN_OR_RETURN(mysql::Connection p, mysql::Connection::Open(primary.RootDsn()));
  ASSIGN_OR_RETURN(std::optional<std::string> pos, p.QueryValue("SELECT @@gtid_binlog_pos"));
  if (!pos || pos->empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(mysql::Connection r, mysql::Connection::Open(RootDsn()));
  ASSIGN_OR_RETURN(std::optional<std::string> rc,
                   r.QueryValue(absl::StrCat("SELECT MASTER_GTID_WAIT(", r.Quote(*pos), ", ",
                                             absl::ToDoubleSeconds(timeout), ")")));
  if (rc && *rc == "0") return absl::OkStatus();
  ASSIGN_OR_RETURN(mysql::ResultSet status, r.Query("SHOW SLAVE STATUS"));
  std::string detail;
  if (!status.rows.empty()) {
    for (const char* name : {"Slave_IO_Running", "Slave_SQL_Running", "Last_IO_Error",
                             "Last_SQL_Error", "Gtid_Slave_Pos"}) {
      if (auto idx = status.ColumnIndex(name); idx && status.rows[0][*idx]) {
        absl::StrAppend(&detail, " ", name, "=", *status.rows[0][*idx]);
      }
    }
  }
  return absl::DeadlineExceededError(
      absl::StrCat("replica did not reach primary position ", *pos, ":", detail));
}

absl::Status MariaDbServer::Stop(absl::Duration grace) {
  if (pid_ <= 0) return absl::OkStatus();
  KillAndWait(pid_, dir_, grace);
  pid_ = -1;
  return absl::OkStatus();
}

absl::Status MariaDbServer::Kill() {
  if (pid_ <= 0) return absl::FailedPreconditionError("server is not running");
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  return absl::OkStatus();
}

absl::Status MariaDbServer::Restart() {
  if (pid_ > 0) RETURN_IF_ERROR(Stop());
  return Launch(options_.startup_timeout);
}

absl::Status MariaDbServer::StopDetached(const std::string& dir) {
  if (!fs::exists(dir)) return absl::NotFoundError(absl::StrCat(dir, " does not exist"));
  int pid = 0;
  if (absl::SimpleAtoi(absl::StripAsciiWhitespace(ReadFile(dir + "/server.pid")), &pid)) {
    KillAndWait(pid, dir, absl::Seconds(30));
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("remove ", dir, ": ", ec.message()));
  return absl::OkStatus();
}

int MariaDbServer::Sweep(bool all) {
  int removed = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(TempRoot(), ec)) {
    const std::string name = entry.path().filename().string();
    if (!absl::StartsWith(name, kDirPrefix) || !entry.is_directory()) continue;
    const std::string dir = entry.path().string();
    const std::string owner(absl::StripAsciiWhitespace(ReadFile(dir + "/owner")));
    if (owner == "detached") {
      if (!all) continue;
    } else if (int owner_pid = 0; absl::SimpleAtoi(owner, &owner_pid)) {
      if (ProcessAlive(owner_pid)) continue;
    } else {
      // No owner yet: the directory may be being created right now; leave young ones.
      auto age = fs::file_time_type::clock::now() - fs::last_write_time(entry.path(), ec);
      if (!all && age < std::chrono::minutes(2)) continue;
    }
    int pid = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(ReadFile(dir + "/server.pid")), &pid)) {
      KillAndWait(pid, dir, absl::Seconds(10));
    }
    fs::remove_all(dir, ec);
    ++removed;
  }
  return removed;
}

absl::StatusOr<ReplicatedPair> StartReplicatedPair(uint32_t first_server_id,
                                                   std::vector<std::string> extra_args) {
  ReplicatedPair pair;
  MariaDbServer::Options options;
  options.extra_args = std::move(extra_args);
  options.server_id = first_server_id;
  ASSIGN_OR_RETURN(pair.primary, MariaDbServer::Start(options));
  options.server_id = first_server_id + 1;
  ASSIGN_OR_RETURN(pair.replica, MariaDbServer::Start(options));
  RETURN_IF_ERROR(pair.replica->ReplicateFrom(*pair.primary));
  return pair;
}

}  // namespace dcp::testing
