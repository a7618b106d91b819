#include "verifier/gravity_mode.h"

#include <toml++/toml.h>

#include <algorithm>
#include <mutex>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "mysql/connection.h"
#include "mysql/schema.h"
#include "mysql/sql_literal.h"
#include "util/status_macros.h"
#include "verifier/session.h"
#include "verifier/table_filter.h"

namespace dcp::verifier {
namespace {

absl::StatusOr<mysql::Dsn> DbConfig(const toml::table& root, const char* key) {
  const toml::table* t = root[key].as_table();
  if (t == nullptr)
    return absl::InvalidArgumentError(absl::StrCat("config: [", key, "] is missing"));
  mysql::Dsn dsn;
  dsn.host = (*t)["host"].value_or(std::string("127.0.0.1"));
  const int64_t port = (*t)["port"].value_or(int64_t{3306});
  if (port <= 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("config: ", key, ".port is out of range"));
  }
  dsn.port = static_cast<uint16_t>(port);
  dsn.user = (*t)["username"].value_or(std::string());
  if (auto p = (*t)["password"].value<std::string>()) dsn.password = *p;
  dsn.database = (*t)["schema"].value_or(std::string());
  if (dsn.database.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("config: ", key, ".schema is required"));
  }
  return dsn;
}

// Parses a string key "prefix<digits>" into its number.
absl::StatusOr<int64_t> StringNumber(const std::string& prefix, const std::string& s) {
  if (s.compare(0, prefix.size(), prefix) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", s, "' does not start with prefix '", prefix, "'"));
  }
  int64_t v = 0;
  if (!absl::SimpleAtoi(s.substr(prefix.size()), &v)) {
    return absl::InvalidArgumentError(absl::StrCat("'", s, "': no number after the prefix"));
  }
  return v;
}

struct Codec {
  std::string type;
  std::string prefix;
  size_t width = 0;  // digits of string values (zero padded)

  std::string Literal(int64_t v) const {
    if (type == "int") return absl::StrCat(v);
    return mysql::Utf8mb4Literal(Text(v));
  }
  std::string Text(int64_t v) const {
    if (type == "int") return absl::StrCat(v);
    if (type == "time") {
      return absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixSeconds(v), absl::UTCTimeZone());
    }
    std::string digits = absl::StrCat(v);
    if (digits.size() < width) digits = std::string(width - digits.size(), '0') + digits;
    return prefix + digits;
  }
};

// Compares one table pair; appends its report lines. Returns whether it differs.
absl::StatusOr<bool> CompareTable(const GravityConfig& cfg, const std::string& source_table,
                                  const std::string& target_table, std::string* lines) {
  ASSIGN_OR_RETURN(mysql::Connection s, OpenSession(cfg.source));
  ASSIGN_OR_RETURN(mysql::Connection t, OpenSession(cfg.target));
  const std::string col = mysql::QuoteIdentifier(cfg.col_name);
  const std::string sq = absl::StrCat(mysql::QuoteIdentifier(cfg.source.database), ".",
                                      mysql::QuoteIdentifier(source_table));
  const std::string tq = absl::StrCat(mysql::QuoteIdentifier(cfg.target.database), ".",
                                      mysql::QuoteIdentifier(target_table));
  Codec codec{cfg.col_type, cfg.prefix, 0};
  int64_t lo = 0, hi = 0;
  if (cfg.col_type == "string") {
    ASSIGN_OR_RETURN(lo, StringNumber(cfg.prefix, cfg.min_string));
    ASSIGN_OR_RETURN(hi, StringNumber(cfg.prefix, cfg.max_string));
    codec.width = cfg.min_string.size() - cfg.prefix.size();
  } else {
    const std::string expr =
        cfg.col_type == "time" ? absl::StrCat("UNIX_TIMESTAMP(", col, ")") : col;
    bool any = false;
    for (auto [conn, table] : {std::pair{&s, sq}, std::pair{&t, tq}}) {
      ASSIGN_OR_RETURN(mysql::ResultSet rs, conn->Query(absl::StrCat("SELECT MIN(", expr, "), MAX(",
                                                                     expr, ") FROM ", table)));
      if (!rs.rows[0][0]) continue;
      int64_t mn = 0, mx = 0;
      double dmn = 0, dmx = 0;
      if (!absl::SimpleAtod(*rs.rows[0][0], &dmn) || !absl::SimpleAtod(*rs.rows[0][1], &dmx)) {
        return absl::InvalidArgumentError(
            absl::StrCat("col-name ", cfg.col_name, " is not of col-type ", cfg.col_type));
      }
      mn = static_cast<int64_t>(dmn);
      mx = static_cast<int64_t>(dmx);
      lo = any ? std::min(lo, mn) : mn;
      hi = any ? std::max(hi, mx) : mx;
      any = true;
    }
    if (!any) return false;  // both empty
  }
  RangeCounter counter = [&](int64_t a, int64_t b) -> absl::StatusOr<std::pair<int64_t, int64_t>> {
    int64_t n[2] = {0, 0};
    int i = 0;
    for (auto [conn, table] : {std::pair{&s, sq}, std::pair{&t, tq}}) {
      ASSIGN_OR_RETURN(
          std::optional<std::string> v,
          conn->QueryValue(absl::StrCat("SELECT count(*) FROM ", table, " WHERE ", col, " BETWEEN ",
                                        codec.Literal(a), " AND ", codec.Literal(b))));
      absl::SimpleAtoi(v.value_or("0"), &n[i++]);
    }
    return std::make_pair(n[0], n[1]);
  };
  ASSIGN_OR_RETURN(std::vector<CountRange> ranges, BisectCounts(lo, hi, counter));
  for (const CountRange& r : ranges) {
    absl::StrAppend(lines, codec.Text(r.lo), " ~ ", codec.Text(r.hi),
                    ": target - source = ", r.target - r.source, "\n");
  }
  return !ranges.empty();
}

}  // namespace

absl::StatusOr<GravityConfig> GravityConfig::Parse(const std::string& text) {
  toml::table root;
  try {
    root = toml::parse(text);
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat("config: ", std::string(e.description()),
                                                   " at line ",
                                                   static_cast<uint64_t>(e.source().begin.line)));
  }
  GravityConfig c;
  ASSIGN_OR_RETURN(c.source, DbConfig(root, "source"));
  ASSIGN_OR_RETURN(c.target, DbConfig(root, "target"));
  c.source_table = root["source-table"].value_or(std::string());
  c.target_table = root["target-table"].value_or(c.source_table);
  c.shading = root["shading"].value_or(false);
  c.col_name = root["col-name"].value_or(std::string());
  c.col_type = root["col-type"].value_or(std::string("int"));
  c.min_string = root["min-string"].value_or(std::string());
  c.max_string = root["max-string"].value_or(std::string());
  c.prefix = root["prefix"].value_or(std::string());
  c.parallel = static_cast<int>(root["parallel"].value_or(int64_t{1}));
  if (c.source_table.empty()) return absl::InvalidArgumentError("config: source-table is required");
  if (c.col_name.empty()) return absl::InvalidArgumentError("config: col-name is required");
  if (c.col_type != "int" && c.col_type != "time" && c.col_type != "string") {
    return absl::InvalidArgumentError(
        absl::StrCat("config: col-type must be int, time or string, not '", c.col_type, "'"));
  }
  if (c.col_type == "string" && (c.min_string.empty() || c.max_string.empty())) {
    return absl::InvalidArgumentError("config: col-type string needs min-string and max-string");
  }
  if (c.parallel < 1) c.parallel = 1;
  return c;
}

absl::StatusOr<std::vector<CountRange>> BisectCounts(int64_t lo, int64_t hi,
                                                     const RangeCounter& count) {
  std::vector<CountRange> out;
  std::vector<std::pair<int64_t, int64_t>> stack = {{lo, hi}};
  while (!stack.empty()) {
    auto [a, b] = stack.back();
    stack.pop_back();
    if (a > b) continue;
    ASSIGN_OR_RETURN(auto counts, count(a, b));
    const int64_t cs = counts.first, ct = counts.second;
    if (cs == ct) continue;
    const int64_t diff = ct > cs ? ct - cs : cs - ct;
    if (b - a < 10 || (cs < 20 && ct < 20 && diff < 10)) {
      out.push_back(CountRange{a, b, cs, ct});
      continue;
    }
    const int64_t mid = a + (b - a) / 2;
    // Upper half pushed first so the lower half is examined (and reported) first.
    stack.push_back({mid + 1, b});
    stack.push_back({a, mid});
  }
  return out;
}

int RunGravityMode(const GravityConfig& cfg, std::ostream& out, std::ostream& err) {
  std::vector<std::pair<std::string, std::string>> pairs;
  if (cfg.shading) {
    auto s = OpenSession(cfg.source);
    auto t = s.ok() ? OpenSession(cfg.target) : s.status();
    if (!s.ok() || !t.ok()) {
      err << "verifier: " << (s.ok() ? t.status() : s.status()).message() << "\n";
      return 2;
    }
    auto sl = mysql::ListTables(*s, cfg.source.database);
    auto tl = mysql::ListTables(*t, cfg.target.database);
    if (!sl.ok() || !tl.ok()) {
      err << "verifier: " << (sl.ok() ? tl.status() : sl.status()).message() << "\n";
      return 2;
    }
    std::vector<std::string> sn, tn;
    for (const auto& n : *sl) {
      if (GlobMatches(cfg.source_table, {"", n.second})) sn.push_back(n.second);
    }
    for (const auto& n : *tl) {
      if (GlobMatches(cfg.target_table, {"", n.second})) tn.push_back(n.second);
    }
    if (sn != tn) {
      out << "table lists differ:\n  source: " << absl::StrJoin(sn, ", ")
          << "\n  target: " << absl::StrJoin(tn, ", ") << "\n";
      return 1;
    }
    for (const std::string& n : sn) pairs.emplace_back(n, n);
  } else {
    pairs.emplace_back(cfg.source_table, cfg.target_table);
  }
  std::mutex mu;
  std::vector<std::string> lines(pairs.size());
  std::vector<absl::Status> errors(pairs.size());
  std::vector<bool> differs(pairs.size(), false);
  size_t next = 0;
  auto work = [&] {
    for (;;) {
      size_t i;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (next >= pairs.size()) return;
        i = next++;
      }
      auto r = CompareTable(cfg, pairs[i].first, pairs[i].second, &lines[i]);
      if (!r.ok()) {
        errors[i] = r.status();
      } else {
        differs[i] = *r;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < std::min<int>(cfg.parallel, static_cast<int>(pairs.size())); ++i) {
    threads.emplace_back(work);
  }
  for (std::thread& th : threads) th.join();
  int rc = 0;
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (!errors[i].ok()) {
      err << "verifier: " << pairs[i].first << ": " << errors[i].message() << "\n";
      rc = 2;
      continue;
    }
    if (differs[i]) {
      out << "table " << cfg.source.database << "." << pairs[i].first << " -> "
          << cfg.target.database << "." << pairs[i].second << ":\n"
          << lines[i];
      if (rc == 0) rc = 1;
    } else {
      out << "table " << cfg.source.database << "." << pairs[i].first << ": counts equal\n";
    }
  }
  return rc;
}

}  // namespace dcp::verifier
