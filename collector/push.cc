#include "collector/push.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "nlohmann/json.hpp"
#include "util/cli.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace dcp::collector {
namespace {

using nlohmann::json;

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The bytes of {"base64": ...} or {"hex": ...}; nullopt for other values.
absl::StatusOr<std::optional<std::string>> EncodedBytes(const json& v) {
  if (!v.is_object() || v.size() != 1) return std::optional<std::string>();
  auto it = v.begin();
  if (!it.value().is_string()) return std::optional<std::string>();
  const std::string& text = it.value().get_ref<const std::string&>();
  std::string bytes;
  if (it.key() == "base64") {
    if (!absl::Base64Unescape(text, &bytes)) return absl::InvalidArgumentError("bad base64");
    return std::optional<std::string>(std::move(bytes));
  }
  if (it.key() == "hex") {
    if (text.size() % 2 != 0 ||
        text.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
      return absl::InvalidArgumentError("bad hex");
    }
    return std::optional<std::string>(absl::HexStringToBytes(text));
  }
  return std::optional<std::string>();
}

std::optional<std::string> NumberValue(const json& v) {
  if (v.is_number_unsigned()) return encoding::Unsigned(v.get<uint64_t>());
  if (v.is_number_integer()) return encoding::Integer(v.get<int64_t>());
  if (v.is_number_float()) return encoding::Double(v.get<double>());
  if (v.is_boolean()) return encoding::Integer(v.get<bool>() ? 1 : 0);
  return std::nullopt;
}

absl::StatusOr<encoding::Value> Canonical(const json& v, ColumnKind kind) {
  if (v.is_null()) return encoding::Value();
  ASSIGN_OR_RETURN(std::optional<std::string> bytes, EncodedBytes(v));
  const bool is_string = v.is_string();
  const std::string text = is_string ? v.get<std::string>() : bytes.value_or("");
  const bool textual = is_string || bytes.has_value();
  switch (kind) {
    case ColumnKind::kAuto:
      if (auto n = NumberValue(v)) return encoding::Value(*n);
      if (is_string) return encoding::Value(encoding::Text(text));
      if (bytes) return encoding::Value(encoding::Binary(*bytes));
      return encoding::Json(v.dump());
    case ColumnKind::kNumber:
      if (auto n = NumberValue(v)) return encoding::Value(*n);
      if (is_string) return encoding::Decimal(text);
      break;
    case ColumnKind::kText:
      if (textual) return encoding::Value(encoding::Text(text));
      break;
    case ColumnKind::kChar:
      if (textual) return encoding::Value(encoding::Char(text));
      break;
    case ColumnKind::kBinary:
      if (textual) return encoding::Value(encoding::Binary(text));
      break;
    case ColumnKind::kDate:
      if (is_string) return encoding::Date(text);
      break;
    case ColumnKind::kTime:
      if (is_string) return encoding::Time(text);
      break;
    case ColumnKind::kDateTime:
      if (is_string) return encoding::DateTime(text);
      break;
    case ColumnKind::kJson:
      // MariaDB's JSON arrives as its text; MySQL's as the embedded document.
      if (textual) return encoding::Json(text);
      return encoding::Json(v.dump());
  }
  return absl::InvalidArgumentError(absl::StrCat("value ", v.dump(), " does not fit its kind"));
}

absl::StatusOr<uint64_t> UnsignedOf(const json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0) return static_cast<uint64_t>(v.get<int64_t>());
  uint64_t out = 0;
  if (v.is_string() && absl::SimpleAtoi(v.get<std::string>(), &out)) return out;
  return absl::InvalidArgumentError("not an unsigned integer");
}

}  // namespace

absl::StatusOr<ColumnKind> ParseColumnKind(absl::string_view name) {
  static const std::pair<const char*, ColumnKind> kNames[] = {
      {"auto", ColumnKind::kAuto},   {"number", ColumnKind::kNumber},
      {"text", ColumnKind::kText},   {"char", ColumnKind::kChar},
      {"binary", ColumnKind::kBinary}, {"date", ColumnKind::kDate},
      {"time", ColumnKind::kTime},   {"datetime", ColumnKind::kDateTime},
      {"json", ColumnKind::kJson},
  };
  for (const auto& [n, k] : kNames) {
    if (name == n) return k;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown column kind '", name, "'"));
}

absl::StatusOr<std::optional<Message>> LineEncoder::Encode(absl::string_view line) {
  if (absl::StripAsciiWhitespace(line).empty()) return std::optional<Message>();
  json j = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return absl::InvalidArgumentError("not a JSON object");
  auto str = [&j](const char* k) -> std::string {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const std::string db = str("db");
  const std::string table = str("table");
  const std::string op = str("op");
  if (db.empty() || table.empty()) return absl::InvalidArgumentError("missing db or table");
  if (op != "insert" && op != "update" && op != "delete") {
    return absl::InvalidArgumentError(absl::StrCat("bad op '", op, "'"));
  }
  const bool is_delete = op == "delete";
  const json* image = nullptr;
  if (auto it = j.find(is_delete ? "before" : "after"); it != j.end() && it->is_object()) {
    image = &*it;
  }
  if (image == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("no ", is_delete ? "before" : "after",
                                                   " image"));
  }
  Message m;
  // The change's origin, as the MySQL collector names it: the GTID, else the file:offset.
  std::string origin = str("gtid");
  if (origin.empty()) origin = str("pos");
  m.set_id(origin);
  m.set_tag(options_.tag);
  if (auto ts = j.find("ts"); ts != j.end() && ts->is_number_unsigned()) {
    m.set_timestamp(ts->get<uint64_t>());
  }

  if (db == options_.barrier_schema && table == options_.barrier_table) {
    if (is_delete) return std::optional<Message>();
    auto id = image->find("id");
    auto offset = image->find("offset");
    if (id == image->end() || offset == image->end()) return std::optional<Message>();
    absl::StatusOr<uint64_t> id_value = UnsignedOf(*id);
    absl::StatusOr<uint64_t> offset_value = UnsignedOf(*offset);
    if (!id_value.ok() || *id_value != options_.barrier_id || !offset_value.ok()) {
      return std::optional<Message>();
    }
    m.set_barrier(*offset_value);
    seen_barrier_ = true;
    return std::optional<Message>(std::move(m));
  }

  const std::string qualified = absl::StrCat(db, ".", table);
  std::vector<std::string> key_columns;
  if (auto k = j.find("key"); k != j.end() && k->is_array()) {
    for (const json& c : *k) {
      if (!c.is_string()) return absl::InvalidArgumentError("\"key\" holds a non-string");
      key_columns.push_back(c.get<std::string>());
    }
  } else if (auto it = options_.keys.find(qualified); it != options_.keys.end()) {
    key_columns = it->second;
  }
  if (key_columns.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no key columns for table ", qualified, " (give --key ", qualified,
                     "=col1,col2 or a \"key\" array on the line)"));
  }
  if (!seen_barrier_) {
    ++dropped_;
    return std::optional<Message>();
  }

  std::vector<encoding::Column> columns;
  columns.reserve(image->size());
  for (auto it = image->begin(); it != image->end(); ++it) {
    const std::string name = absl::AsciiStrToLower(it.key());
    ColumnKind kind = ColumnKind::kAuto;
    if (auto k = options_.kinds.find(absl::StrCat(qualified, ".", name)); k != options_.kinds.end()) {
      kind = k->second;
    }
    absl::StatusOr<encoding::Value> v = Canonical(it.value(), kind);
    if (!v.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("column ", qualified, ".", it.key(), ": ", v.status().message()));
    }
    columns.push_back({name, *std::move(v)});
  }
  std::vector<encoding::Value> key_values;
  for (const std::string& k : key_columns) {
    const std::string lower = absl::AsciiStrToLower(k);
    const encoding::Column* found = nullptr;
    for (const encoding::Column& c : columns) {
      if (c.name == lower) found = &c;
    }
    if (found == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("key column ", k, " of ", qualified, " is not in the row image"));
    }
    key_values.push_back(found->value);
  }
  Payload* p = m.mutable_payload();
  p->set_id(encoding::Key(qualified, key_values));
  p->set_content(is_delete ? std::string(encoding::kDeleteContent)
                           : encoding::Content(std::move(columns)));
  m.set_checksum(encoding::Checksum(p->content()));
  return std::optional<Message>(std::move(m));
}

void AddPushFlags(CLI::App* cmd, PushFlags* f) {
  cmd->add_option("--target", f->target, "the dcp gRPC collector, host:port")->required();
  cmd->add_option("--tag", f->tag, "the collector tag the changes are for")->required();
  cmd->add_option("--token-file", f->token_file, "a file holding the bearer token");
  cmd->add_option("--tls-ca", f->tls_ca, "PEM roots to verify the collector with (TLS)");
  cmd->add_option("--tls-server-name", f->tls_server_name, "the name to verify (TLS)");
  cmd->add_option("--file", f->file, "JSON lines of `dcp binlog` (default: stdin)");
  cmd->add_option("--key", f->keys, "schema.table=col1[,col2...]: key columns (repeatable)")
      ->take_all()
      ->expected(1);
  cmd->add_option("--type", f->types, "schema.table.column=KIND: how to read a value (repeatable)")
      ->take_all()
      ->expected(1);
  cmd->add_option("--barrier-table", f->barrier_table, "schema.table (default drc.barrier)");
  cmd->add_option("--barrier-id", f->barrier_id, "this checker's barrier row id (default 1)");
  cmd->add_option("--batch", f->batch, "messages per request");
}

absl::StatusOr<PushOptions> FinishPushOptions(const PushFlags& f) {
  PushOptions o;
  o.pusher.target = f.target;
  o.tag = f.tag;
  o.pusher.tls_server_name = f.tls_server_name;
  o.file = f.file;
  o.barrier_id = f.barrier_id;
  for (const std::string& value : f.keys) {
    std::pair<std::string, std::string> kv = absl::StrSplit(value, absl::MaxSplits('=', 1));
    std::vector<std::string> cols = absl::StrSplit(kv.second, ',', absl::SkipEmpty());
    if (kv.first.find('.') == std::string::npos || cols.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--key ", value, ": expected schema.table=col1[,col2...]"));
    }
    o.keys[kv.first] = std::move(cols);
  }
  for (const std::string& value : f.types) {
    std::pair<std::string, std::string> kv = absl::StrSplit(value, absl::MaxSplits('=', 1));
    std::vector<absl::string_view> parts = absl::StrSplit(kv.first, '.');
    if (parts.size() != 3) {
      return absl::InvalidArgumentError(
          absl::StrCat("--type ", value, ": expected schema.table.column=KIND"));
    }
    ASSIGN_OR_RETURN(ColumnKind kind, ParseColumnKind(kv.second));
    // Content() lower-cases column names; tables keep their case.
    o.kinds[absl::StrCat(parts[0], ".", parts[1], ".", absl::AsciiStrToLower(parts[2]))] = kind;
  }
  std::pair<std::string, std::string> st = absl::StrSplit(f.barrier_table, absl::MaxSplits('.', 1));
  if (st.first.empty() || st.second.empty()) {
    return absl::InvalidArgumentError("--barrier-table: expected schema.table");
  }
  o.barrier_schema = st.first;
  o.barrier_table = st.second;
  if (f.batch > 0) o.pusher.max_batch_messages = f.batch;
  if (o.pusher.target.empty()) return absl::InvalidArgumentError("--target is required");
  if (o.tag.empty()) return absl::InvalidArgumentError("--tag is required");
  if (!f.token_file.empty()) {
    ASSIGN_OR_RETURN(std::string token, ReadWholeFile(f.token_file));
    token = std::string(absl::StripAsciiWhitespace(token));
    if (token.empty()) return absl::InvalidArgumentError("--token-file: the file is empty");
    o.pusher.token = std::move(token);
  }
  if (!f.tls_ca.empty()) {
    ASSIGN_OR_RETURN(std::string pem, ReadWholeFile(f.tls_ca));
    o.pusher.tls_root_certs_pem = std::move(pem);
  }
  return o;
}

absl::StatusOr<PushOptions> ParsePushArgs(int argc, char** argv) {
  cli::CommonFlags common;
  auto app = cli::NewApp("push", "push JSON-lines row changes to a dcp gRPC collector", &common);
  PushFlags flags;
  AddPushFlags(app.get(), &flags);
  std::ostringstream out, err;
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (std::optional<int> code = cli::Parse(*app, args, common, out, err)) {
    return absl::InvalidArgumentError(err.str());
  }
  return FinishPushOptions(flags);
}

absl::StatusOr<PushStats> RunPush(const PushOptions& options, std::istream& in) {
  ASSIGN_OR_RETURN(std::unique_ptr<Pusher> pusher, Pusher::Create(options.pusher));
  LineEncoder encoder(options);
  PushStats stats;
  std::string line;
  while (std::getline(in, line)) {
    ++stats.lines;
    absl::StatusOr<std::optional<Message>> m = encoder.Encode(line);
    if (!m.ok()) {
      // What came before the bad line is delivered: a rerun from that line loses nothing.
      absl::Status flushed = pusher->Flush();
      if (!flushed.ok()) return flushed;
      return absl::InvalidArgumentError(
          absl::StrCat("line ", stats.lines, ": ", m.status().message()));
    }
    if (!m->has_value()) continue;
    if ((*m)->has_barrier()) ++stats.barriers;
    ++stats.messages;
    RETURN_IF_ERROR(pusher->Push(*std::move(*m)));
  }
  RETURN_IF_ERROR(pusher->Flush());
  stats.dropped_before_barrier = encoder.dropped_before_barrier();
  std::vector<PushRejection> rejections = pusher->TakeRejections();
  stats.rejected = pusher->stats().rejected;
  if (stats.rejected > 0) {
    std::string first = rejections.empty()
                            ? std::string()
                            : absl::StrCat(": first: tag ", rejections[0].tag, " seq ",
                                           rejections[0].seq, " code ", rejections[0].code, " ",
                                           rejections[0].msg);
    return absl::FailedPreconditionError(
        absl::StrCat("the collector rejected ", stats.rejected, " messages", first));
  }
  return stats;
}

absl::StatusOr<PushStats> RunPush(const PushOptions& options) {
  if (options.file.empty() || options.file == "-") return RunPush(options, std::cin);
  std::ifstream f(options.file, std::ios::binary);
  if (!f) return absl::InvalidArgumentError(absl::StrCat("cannot read ", options.file));
  return RunPush(options, f);
}

int RunPushCommand(const PushOptions& options) {
  absl::StatusOr<PushStats> stats = RunPush(options);
  if (!stats.ok()) return cli::Fail("dcp push", stats.status(), cli::kUsageExit);
  std::cerr << FormatUserLine(
      LogLevel::kInfo, "dcp push",
      absl::StrCat(stats->lines, " lines, ", stats->messages, " messages (", stats->barriers,
                   " barriers), ", stats->dropped_before_barrier,
                   " dropped before the first barrier"));
  return 0;
}

}  // namespace dcp::collector
