// Output of `verifier data`: readable text, JSON (docs/verifier.md documents the schema; it is
// what `padder repair` reads), JUnit XML for CI, and fix SQL that makes the target equal to
// the source. Pure functions of a DataReport; thread-safe.
#ifndef DCP_VERIFIER_DATA_REPORT_H_
#define DCP_VERIFIER_DATA_REPORT_H_

#include <ostream>

#include "verifier/data_compare.h"
#include "verifier/schema_compare.h"

namespace dcp::verifier {

void WriteDataText(const DataReport& report, std::ostream& out);
void WriteDataJson(const DataReport& report, std::ostream& out);
void WriteDataJunit(const DataReport& report, std::ostream& out);

// DELETE for rows extra on the target, REPLACE for rows missing or different (needs the
// source values: DataOptions::collect_fix_values). Tables without a row key get a comment
// instead. Every value is a hex literal (mysql/sql_literal.h), so the file means the same
// under any sql_mode of the session that runs it; comments never hold a line break. Starts
// with SET SESSION sql_mode = '' (zero dates and the source's values as they are, as padder
// writes them), SET NAMES utf8mb4 and SET time_zone = '+00:00' (values were read in UTC); it
// restores none of them.
void WriteFixSql(const DataReport& report, std::ostream& out);

}  // namespace dcp::verifier

#endif  // DCP_VERIFIER_DATA_REPORT_H_
