#include "verifier/schema_diff.h"

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace dcp::verifier {
namespace {

using mysql::ColumnSchema;
using mysql::ForeignKeySchema;
using mysql::IndexSchema;
using mysql::TableSchema;

std::string Opt(const std::optional<std::string>& v) { return v ? *v : "(none)"; }

// EXTRA without the parts that other classes cover.
std::string OtherExtra(const ColumnSchema& c) {
  std::string e = c.extra;
  for (absl::string_view part : {"auto_increment", "stored generated", "virtual generated",
                                 "persistent generated", "virtual stored", "persistent"}) {
    e = absl::StrReplaceAll(e, {{part, ""}});
  }
  return std::string(absl::StripAsciiWhitespace(e));
}

std::string GeneratedText(const ColumnSchema& c) {
  if (!c.generation_expression) return "(not generated)";
  const bool stored =
      absl::StrContains(c.extra, "stored") || absl::StrContains(c.extra, "persistent");
  return absl::StrCat(*c.generation_expression, stored ? " STORED" : " VIRTUAL");
}

std::string IndexText(const IndexSchema& i) {
  return absl::StrCat(i.unique ? "UNIQUE " : "", i.type, " ", i.PartsToString());
}

std::string CreateOptionsWithoutRowFormat(const std::string& options) {
  std::vector<std::string> kept;
  for (absl::string_view part : absl::StrSplit(options, ' ', absl::SkipEmpty())) {
    if (absl::StartsWithIgnoreCase(part, "row_format=")) continue;
    kept.emplace_back(part);
  }
  std::sort(kept.begin(), kept.end());
  return absl::StrJoin(kept, " ");
}

class Comparer {
 public:
  Comparer(const TableSchema& s, const TableSchema& t, const std::set<std::string>& ignore)
      : s_(s), t_(t), ignore_(ignore) {}

  void Add(const std::string& cls, std::string object, std::optional<std::string> sv,
           std::optional<std::string> tv) {
    if (ignore_.count(cls) > 0) return;
    out_.push_back(SchemaDifference{cls, s_.QualifiedName(), t_.QualifiedName(), std::move(object),
                                    std::move(sv), std::move(tv)});
  }
  template <typename T>
  void IfDiffers(const std::string& cls, const std::string& object, const T& sv, const T& tv) {
    if (sv != tv) Add(cls, object, sv, tv);
  }

  // Position of each column among the columns both sides have, so that a missing column
  // is not also reported as moving every later one.
  static std::map<std::string, int> CommonPositions(const TableSchema& a, const TableSchema& b) {
    std::map<std::string, int> out;
    int pos = 0;
    for (const ColumnSchema& c : a.columns) {
      if (b.FindColumn(c.name) != nullptr) out[absl::AsciiStrToLower(c.name)] = ++pos;
    }
    return out;
  }

  void Columns() {
    const std::map<std::string, int> spos = CommonPositions(s_, t_);
    const std::map<std::string, int> tpos = CommonPositions(t_, s_);
    for (const ColumnSchema& sc : s_.columns) {
      const std::string obj = absl::StrCat("column ", sc.name);
      const ColumnSchema* tc = t_.FindColumn(sc.name);
      if (tc == nullptr) {
        Add("column", obj, sc.column_type, std::nullopt);
        continue;
      }
      const std::string key = absl::AsciiStrToLower(sc.name);
      if (spos.at(key) != tpos.at(key)) {
        Add("column_order", obj, absl::StrCat(sc.ordinal), absl::StrCat(tc->ordinal));
      }
      IfDiffers("type", obj, absl::AsciiStrToLower(sc.column_type),
                absl::AsciiStrToLower(tc->column_type));
      IfDiffers("nullability", obj, std::string(sc.nullable ? "NULL" : "NOT NULL"),
                std::string(tc->nullable ? "NULL" : "NOT NULL"));
      IfDiffers("default", obj, Opt(sc.default_value), Opt(tc->default_value));
      IfDiffers("charset", obj, Opt(sc.charset), Opt(tc->charset));
      // A different character set implies a different collation: reported once, as charset.
      if (sc.charset == tc->charset) {
        IfDiffers("collation", obj, Opt(sc.collation), Opt(tc->collation));
      }
      IfDiffers("generated", obj, GeneratedText(sc), GeneratedText(*tc));
      IfDiffers("auto_increment", obj,
                std::string(sc.auto_increment() ? "auto_increment" : "(none)"),
                std::string(tc->auto_increment() ? "auto_increment" : "(none)"));
      IfDiffers("extra", obj, OtherExtra(sc), OtherExtra(*tc));
      IfDiffers("comment", obj, sc.comment, tc->comment);
    }
    for (const ColumnSchema& tc : t_.columns) {
      if (s_.FindColumn(tc.name) == nullptr) {
        Add("column", absl::StrCat("column ", tc.name), std::nullopt, tc.column_type);
      }
    }
  }

  void Keys() {
    auto pk = [](const TableSchema& t) -> std::optional<std::string> {
      if (!t.primary_key) return std::nullopt;
      return t.primary_key->PartsToString();
    };
    IfDiffers("primary_key", "primary key", pk(s_), pk(t_));
    for (const IndexSchema& si : s_.indexes) {
      const std::string obj = absl::StrCat("index ", si.name);
      const IndexSchema* ti = t_.FindIndex(si.name);
      if (ti == nullptr) {
        Add("index", obj, IndexText(si), std::nullopt);
      } else {
        IfDiffers("index", obj, IndexText(si), IndexText(*ti));
      }
    }
    for (const IndexSchema& ti : t_.indexes) {
      if (s_.FindIndex(ti.name) == nullptr) {
        Add("index", absl::StrCat("index ", ti.name), std::nullopt, IndexText(ti));
      }
    }
    auto find_fk = [](const TableSchema& t, const std::string& name) -> const ForeignKeySchema* {
      for (const ForeignKeySchema& fk : t.foreign_keys) {
        if (absl::EqualsIgnoreCase(fk.name, name)) return &fk;
      }
      return nullptr;
    };
    for (const ForeignKeySchema& sf : s_.foreign_keys) {
      const std::string obj = absl::StrCat("foreign key ", sf.name);
      const ForeignKeySchema* tf = find_fk(t_, sf.name);
      if (tf == nullptr) {
        Add("foreign_key", obj, sf.ToString(), std::nullopt);
      } else {
        IfDiffers("foreign_key", obj, sf.ToString(), tf->ToString());
      }
    }
    for (const ForeignKeySchema& tf : t_.foreign_keys) {
      if (find_fk(s_, tf.name) == nullptr) {
        Add("foreign_key", absl::StrCat("foreign key ", tf.name), std::nullopt, tf.ToString());
      }
    }
  }

  void Options() {
    const mysql::TableOptions& so = s_.options;
    const mysql::TableOptions& to = t_.options;
    IfDiffers("engine", "option engine", so.engine, to.engine);
    IfDiffers("table_charset", "option default charset", so.charset, to.charset);
    if (so.charset == to.charset) {
      IfDiffers("table_collation", "option default collation", so.collation, to.collation);
    }
    IfDiffers("row_format", "option row_format", so.row_format, to.row_format);
    IfDiffers("create_options", "option create_options",
              CreateOptionsWithoutRowFormat(so.create_options),
              CreateOptionsWithoutRowFormat(to.create_options));
    IfDiffers("comment", "option comment", so.comment, to.comment);
    auto ai = [](const std::optional<uint64_t>& v) {
      return v ? absl::StrCat(*v) : std::string("(none)");
    };
    IfDiffers("auto_increment", "option auto_increment", ai(so.auto_increment),
              ai(to.auto_increment));
  }

  std::vector<SchemaDifference> Take() { return std::move(out_); }

 private:
  const TableSchema& s_;
  const TableSchema& t_;
  const std::set<std::string>& ignore_;
  std::vector<SchemaDifference> out_;
};

}  // namespace

const std::vector<std::string>& SchemaDifferenceClasses() {
  static const auto* classes = new std::vector<std::string>{
      "table",   "column",        "column_order",    "type",       "nullability",
      "default", "charset",       "collation",       "generated",  "auto_increment",
      "extra",   "comment",       "primary_key",     "index",      "foreign_key",
      "engine",  "table_charset", "table_collation", "row_format", "create_options"};
  return *classes;
}

absl::StatusOr<std::set<std::string>> ParseIgnoreClasses(const std::vector<std::string>& values) {
  std::set<std::string> out;
  const auto& known = SchemaDifferenceClasses();
  for (const std::string& v : values) {
    for (absl::string_view part : absl::StrSplit(v, ',', absl::SkipWhitespace())) {
      std::string cls(absl::StripAsciiWhitespace(part));
      if (std::find(known.begin(), known.end(), cls) == known.end()) {
        return absl::InvalidArgumentError(absl::StrCat("--ignore: unknown class '", cls,
                                                       "'; known: ", absl::StrJoin(known, ",")));
      }
      out.insert(std::move(cls));
    }
  }
  return out;
}

std::string SchemaDifference::ToString() const {
  std::string table = source_table == target_table
                          ? source_table
                          : absl::StrCat(source_table, " -> ", target_table);
  return absl::StrCat(table, ": ", object, ": ", diff_class, ": source ",
                      source_value ? *source_value : "(missing)", ", target ",
                      target_value ? *target_value : "(missing)");
}

bool operator==(const SchemaDifference& a, const SchemaDifference& b) {
  return a.diff_class == b.diff_class && a.source_table == b.source_table &&
         a.target_table == b.target_table && a.object == b.object &&
         a.source_value == b.source_value && a.target_value == b.target_value;
}

std::vector<SchemaDifference> CompareTableSchemas(const mysql::TableSchema& source,
                                                  const mysql::TableSchema& target,
                                                  const std::set<std::string>& ignore) {
  Comparer c(source, target, ignore);
  c.Columns();
  c.Keys();
  c.Options();
  return c.Take();
}

}  // namespace dcp::verifier
