#!/usr/bin/env bash
# padder replay throughput against the reference `mariadb-binlog FILE | mariadb`, same run.
#
# A throwaway source gets a sysbench-style table (sbtest1: id PK, k INT with an index,
# c CHAR(120), pad CHAR(60)). Its binlog range of the workload is then applied to two
# identical throwaway targets, each started fresh with an identical starting table: one by the
# reference pipeline (into sb.sbtest1), one by padder (schema-rename sb -> sbp, into
# sbp.sbtest1). Both results are checked against the source (CHECKSUM TABLE). Prints both
# wall times and the ratio reference/padder (>= 1: padder is at least as fast).
#
# Workloads (WORKLOAD=...):
#   insert (default)  the table starts empty; ROWS rows inserted in transactions of 1,000
#   mixed             the table starts with ROWS rows (the same on the source and both
#                     targets); then ROWS/1,000 transactions of 500 updates (k and c of a run
#                     of ids), 250 deletes and 250 inserts: ROWS row changes (enable-delete on)
#
#   [WORKLOAD=mixed] [BATCH=100] bench/padder_bench.sh [ROWS]
#       (ROWS default 1000000; build dir: $BUILD or ./build; BATCH: padder's batch-size)
set -euo pipefail
ROWS=${1:-1000000}
BUILD=${BUILD:-build}
WORKLOAD=${WORKLOAD:-insert}
BATCH=${BATCH:-100}
case "$WORKLOAD" in insert | mixed) ;; *) echo "WORKLOAD must be insert or mixed" >&2; exit 2 ;; esac
export DCP_TEST_TMPDIR=${DCP_TEST_TMPDIR:-/tmp/dcp-padder-bench}
mkdir -p "$DCP_TEST_TMPDIR"
W=$(mktemp -d "$DCP_TEST_TMPDIR/bench-XXXXXX")
cleanup() {
  for s in src ref pad; do "$BUILD/bin/dcp-testdb" stop --state "$W/$s.env" >/dev/null 2>&1 || true; done
  rm -rf "$W"
}
trap cleanup EXIT
"$BUILD/bin/dcp-testdb" start --state "$W/src.env" --server-id 301 >/dev/null
"$BUILD/bin/dcp-testdb" start --state "$W/ref.env" --server-id 302 >/dev/null
"$BUILD/bin/dcp-testdb" start --state "$W/pad.env" --server-id 303 >/dev/null
port() { sed -n 's/^DCP_TESTDB_PRIMARY_PORT=//p' "$W/$1.env"; }
SRC_PORT=$(port src)
REF_PORT=$(port ref)
PAD_PORT=$(port pad)
SRC_DIR=$(sed -n 's/^DCP_TESTDB_PRIMARY_DIR=//p' "$W/src.env")
sql() { mariadb --no-defaults -h127.0.0.1 -P"$1" -udcp -pdcp -N -B "${@:2}"; }
src() { sql "$SRC_PORT" -e "$1"; }
DDL="(id INT NOT NULL PRIMARY KEY, k INT NOT NULL DEFAULT 0, c CHAR(120) NOT NULL DEFAULT '',
      pad CHAR(60) NOT NULL DEFAULT '', KEY k_1 (k)) ENGINE=InnoDB"

src "CREATE DATABASE sb; CREATE TABLE sb.sbtest1 $DDL"
sql "$REF_PORT" -e "CREATE DATABASE sb; CREATE TABLE sb.sbtest1 $DDL"
sql "$PAD_PORT" -e "CREATE DATABASE sbp; CREATE TABLE sbp.sbtest1 $DDL"
if [ "$WORKLOAD" = mixed ]; then
  # The starting rows, deterministic, loaded into the three servers alike.
  echo "source and targets: loading $ROWS rows..." >&2
  fill() { awk -v n="$ROWS" 'BEGIN { for (i = 0; i * 1000 < n; i++)
    printf "INSERT INTO sbtest1 SELECT %d + seq, CRC32(%d + seq) %% %d, LEFT(CONCAT(SHA2(%d + seq, 256), SHA2(seq, 512)), 119), LEFT(SHA2(-seq - %d, 256), 59) FROM seq_1_to_1000;\n", i * 1000, i * 1000, n, i * 1000, i }'; }
  fill | sql "$SRC_PORT" -Dsb &
  fill | sql "$REF_PORT" -Dsb &
  fill | sql "$PAD_PORT" -Dsbp &
  wait
fi
read -r FILE POS < <(src "SHOW MASTER STATUS" | awk '{print $1, $2}')
echo "source: $WORKLOAD workload, $ROWS row changes..." >&2
if [ "$WORKLOAD" = insert ]; then
  awk -v n="$ROWS" 'BEGIN { for (i = 0; i * 1000 < n; i++)
    printf "INSERT INTO sb.sbtest1 SELECT %d + seq, FLOOR(RAND() * %d), LEFT(CONCAT(SHA2(%d + seq, 256), SHA2(seq, 512)), 119), LEFT(SHA2(-seq - %d, 256), 59) FROM seq_1_to_1000;\n", i * 1000, n, i * 1000, i }'
else
  awk -v n="$ROWS" 'BEGIN { for (i = 0; i * 1000 < n; i++) {
    b = i * 1000
    printf "BEGIN;\n"
    printf "UPDATE sb.sbtest1 SET k = k + 1, c = LEFT(SHA2(CONCAT(id, \"u\"), 512), 119) WHERE id BETWEEN %d AND %d;\n", b + 1, b + 500
    printf "DELETE FROM sb.sbtest1 WHERE id BETWEEN %d AND %d;\n", b + 501, b + 750
    printf "INSERT INTO sb.sbtest1 SELECT %d + seq, CRC32(seq) %% %d, LEFT(SHA2(seq, 512), 119), LEFT(SHA2(-seq, 256), 59) FROM seq_1_to_250;\n", n + i * 250, n
    printf "COMMIT;\n" } }'
fi | sql "$SRC_PORT" -Dsb
read -r END_FILE END_POS < <(src "SHOW MASTER STATUS" | awk '{print $1, $2}')
[ "$FILE" = "$END_FILE" ] || { echo "the workload spans binlog files; raise max_binlog_size" >&2; exit 1; }
SUM=$(src "CHECKSUM TABLE sb.sbtest1" | awk '{print $2}')
BINLOG="$SRC_DIR/data/$FILE"
ls -l "$BINLOG" >&2

now() { date +%s.%N; }
t0=$(now)
mariadb-binlog --start-position="$POS" --stop-position="$END_POS" "$BINLOG" |
  mariadb --no-defaults -h127.0.0.1 -P"$REF_PORT" -udcp -pdcp
t1=$(now)
cat > "$W/padder.toml" <<TOML
[padder]
binlog-list = ["$BINLOG"]
batch-size = $BATCH
enable-delete = true
checkpoint-file = "$W/checkpoint"
conflict-log = "$W/conflict.log"
conflict-policy = "fail"
schema-rename = { sb = "sbp" }
[padder.mysql.target]
host = "127.0.0.1"
port = $PAD_PORT
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
REF_SUM=$(sql "$REF_PORT" -e "CHECKSUM TABLE sb.sbtest1" | awk '{print $2}')
PAD_SUM=$(sql "$PAD_PORT" -e "CHECKSUM TABLE sbp.sbtest1" | awk '{print $2}')
[ "$REF_SUM" = "$SUM" ] || { echo "reference result differs from the source" >&2; exit 1; }
[ "$PAD_SUM" = "$SUM" ] || { echo "padder result differs from the source" >&2; exit 1; }
echo "workload: $WORKLOAD, load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
awk -v rows="$ROWS" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v t3="$t3" 'BEGIN { r = t1 - t0; p = t3 - t2
  printf "rows: %d\nreference (mariadb-binlog | mariadb): %.1f s (%.0f rows/s)\n", rows, r, rows / r
  printf "padder: %.1f s (%.0f rows/s)\nratio reference/padder: %.2f\n", p, rows / p, r / p }'
