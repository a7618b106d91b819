#!/usr/bin/env bash
# padder replay throughput against the reference `mariadb-binlog FILE | mariadb`, same run.
#
# A throwaway source gets a sysbench-style table (sbtest1: id PK, k INT with an index,
# c CHAR(120), pad CHAR(60)) filled with ROWS rows in transactions of 1,000 rows. Its binlog
# (from after the CREATE TABLE) is then applied to a throwaway target twice, each time into
# an identical empty table: once by the reference pipeline into sb.sbtest1, once by padder
# (schema-rename sb -> sbp) into sbp.sbtest1. Both results are checked against the source
# (CHECKSUM TABLE). Prints both wall times and the ratio reference/padder (>= 1: padder is
# at least as fast).
#
#   bench/padder_bench.sh [ROWS]        (default 1000000; build dir: $BUILD or ./build)
set -euo pipefail
ROWS=${1:-1000000}
BUILD=${BUILD:-build}
export DCP_TEST_TMPDIR=${DCP_TEST_TMPDIR:-/tmp/dcp-padder-bench}
mkdir -p "$DCP_TEST_TMPDIR"
W=$(mktemp -d "$DCP_TEST_TMPDIR/bench-XXXXXX")
cleanup() {
  "$BUILD/bin/dcp-testdb" stop --state "$W/src.env" >/dev/null 2>&1 || true
  "$BUILD/bin/dcp-testdb" stop --state "$W/dst.env" >/dev/null 2>&1 || true
  rm -rf "$W"
}
trap cleanup EXIT
"$BUILD/bin/dcp-testdb" start --state "$W/src.env" --server-id 301 >/dev/null
SRC_PORT=$(sed -n 's/^DCP_TESTDB_PRIMARY_PORT=//p' "$W/src.env")
SRC_DIR=$(sed -n 's/^DCP_TESTDB_PRIMARY_DIR=//p' "$W/src.env")
"$BUILD/bin/dcp-testdb" start --state "$W/dst.env" --server-id 302 >/dev/null
DST_PORT=$(sed -n 's/^DCP_TESTDB_PRIMARY_PORT=//p' "$W/dst.env")
src() { mariadb --no-defaults -h127.0.0.1 -P"$SRC_PORT" -udcp -pdcp -N -B -e "$1"; }
dst() { mariadb --no-defaults -h127.0.0.1 -P"$DST_PORT" -udcp -pdcp -N -B -e "$1"; }
DDL="(id INT NOT NULL PRIMARY KEY, k INT NOT NULL DEFAULT 0, c CHAR(120) NOT NULL DEFAULT '',
      pad CHAR(60) NOT NULL DEFAULT '', KEY k_1 (k)) ENGINE=InnoDB"

src "CREATE DATABASE sb; CREATE TABLE sb.sbtest1 $DDL"
read -r FILE POS < <(src "SHOW MASTER STATUS" | awk '{print $1, $2}')
echo "source: filling $ROWS rows..." >&2
awk -v n="$ROWS" 'BEGIN { for (i = 0; i * 1000 < n; i++)
  printf "INSERT INTO sb.sbtest1 SELECT %d + seq, FLOOR(RAND() * %d), LEFT(CONCAT(SHA2(%d + seq, 256), SHA2(seq, 512)), 119), LEFT(SHA2(-seq - %d, 256), 59) FROM seq_1_to_1000;\n", i * 1000, n, i * 1000, i }' |
  mariadb --no-defaults -h127.0.0.1 -P"$SRC_PORT" -udcp -pdcp -Dsb
read -r END_FILE END_POS < <(src "SHOW MASTER STATUS" | awk '{print $1, $2}')
[ "$FILE" = "$END_FILE" ] || { echo "the workload spans binlog files; raise max_binlog_size" >&2; exit 1; }
SUM=$(src "CHECKSUM TABLE sb.sbtest1" | awk '{print $2}')
BINLOG="$SRC_DIR/data/$FILE"
ls -l "$BINLOG" >&2

dst "CREATE DATABASE sb; CREATE TABLE sb.sbtest1 $DDL; CREATE DATABASE sbp; CREATE TABLE sbp.sbtest1 $DDL"

now() { date +%s.%N; }
t0=$(now)
mariadb-binlog --start-position="$POS" --stop-position="$END_POS" "$BINLOG" |
  mariadb --no-defaults -h127.0.0.1 -P"$DST_PORT" -udcp -pdcp
t1=$(now)
cat > "$W/padder.toml" <<TOML
[padder]
binlog-list = ["$BINLOG"]
batch-size = 100
checkpoint-file = "$W/checkpoint"
conflict-log = "$W/conflict.log"
conflict-policy = "fail"
schema-rename = { sb = "sbp" }
[padder.mysql.target]
host = "127.0.0.1"
port = $DST_PORT
username = "dcp"
password = "dcp"
schema = "sb"
[padder.mysql.start-position]
binlog-name = "$FILE"
binlog-pos = $POS
[padder.mysql.stop-position]
binlog-name = "$FILE"
binlog-pos = $END_POS
TOML
t2=$(now)
"$BUILD/bin/padder" --config "$W/padder.toml" --no-progress >"$W/padder.out"
t3=$(now)
cat "$W/padder.out" >&2
REF_SUM=$(dst "CHECKSUM TABLE sb.sbtest1" | awk '{print $2}')
PAD_SUM=$(dst "CHECKSUM TABLE sbp.sbtest1" | awk '{print $2}')
[ "$REF_SUM" = "$SUM" ] || { echo "reference result differs from the source" >&2; exit 1; }
[ "$PAD_SUM" = "$SUM" ] || { echo "padder result differs from the source" >&2; exit 1; }
awk -v rows="$ROWS" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v t3="$t3" 'BEGIN { r = t1 - t0; p = t3 - t2
  printf "rows: %d\nreference (mariadb-binlog | mariadb): %.1f s (%.0f rows/s)\n", rows, r, rows / r
  printf "padder: %.1f s (%.0f rows/s)\nratio reference/padder: %.2f\n", p, rows / p, r / p }'
