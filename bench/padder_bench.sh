#!/usr/bin/env bash
# padder replay throughput against the reference `mariadb-binlog FILE | mariadb`, same run.
#
# A throwaway source gets a sysbench-style table (sbtest1: id PK, k INT with an index,
# c CHAR(120), pad CHAR(60)). Its binlog range of the workload is then applied four times,
# each into its own fresh throwaway target holding an identical starting table, in the order
# reference, padder, padder, reference (so that a load drifting on the shared machine weighs
# on both sides alike): by the reference pipeline `mariadb-binlog | mariadb` (into
# sb.sbtest1) and by padder (schema-rename sb -> sbp, into sbp.sbtest1). Every result is
# checked against the source (CHECKSUM TABLE). Prints each apply's wall time and the target
# server's CPU time (stderr), then the mean wall time of each side and the ratio
# reference/padder (>= 1: padder is at least as fast).
#
# Workloads (WORKLOAD=...):
#   insert (default)  the table starts empty; ROWS rows inserted in transactions of 1,000
#   mixed             the table starts with ROWS rows (the same on the source and every
#                     target); then ROWS/1,000 transactions of 500 updates (k and c of a run
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
  for s in src ref1 pad1 pad2 ref2; do "$BUILD/bin/dcp-testdb" stop --state "$W/$s.env" >/dev/null 2>&1 || true; done
  rm -rf "$W"
}
trap cleanup EXIT
TARGETS="ref1 pad1 pad2 ref2"
"$BUILD/bin/dcp-testdb" start --state "$W/src.env" --server-id 301 >/dev/null
id=302
for s in $TARGETS; do "$BUILD/bin/dcp-testdb" start --state "$W/$s.env" --server-id $id >/dev/null; id=$((id + 1)); done
port() { sed -n 's/^DCP_TESTDB_PRIMARY_PORT=//p' "$W/$1.env"; }
db() { case "$1" in ref*) echo sb ;; *) echo sbp ;; esac; }
SRC_PORT=$(port src)
SRC_DIR=$(sed -n 's/^DCP_TESTDB_PRIMARY_DIR=//p' "$W/src.env")
sql() { mariadb --no-defaults -h127.0.0.1 -P"$1" -udcp -pdcp -N -B "${@:2}"; }
src() { sql "$SRC_PORT" -e "$1"; }
DDL="(id INT NOT NULL PRIMARY KEY, k INT NOT NULL DEFAULT 0, c CHAR(120) NOT NULL DEFAULT '',
      pad CHAR(60) NOT NULL DEFAULT '', KEY k_1 (k)) ENGINE=InnoDB"

src "CREATE DATABASE sb; CREATE TABLE sb.sbtest1 $DDL"
for s in $TARGETS; do sql "$(port $s)" -e "CREATE DATABASE $(db $s); CREATE TABLE $(db $s).sbtest1 $DDL"; done
if [ "$WORKLOAD" = mixed ]; then
  # The starting rows, deterministic, loaded into every server alike.
  echo "source and targets: loading $ROWS rows..." >&2
  fill() { awk -v n="$ROWS" 'BEGIN { for (i = 0; i * 1000 < n; i++)
    printf "INSERT INTO sbtest1 SELECT %d + seq, CRC32(%d + seq) %% %d, LEFT(CONCAT(SHA2(%d + seq, 256), SHA2(seq, 512)), 119), LEFT(SHA2(-seq - %d, 256), 59) FROM seq_1_to_1000;\n", i * 1000, i * 1000, n, i * 1000, i }'; }
  fill | sql "$SRC_PORT" -Dsb &
  for s in $TARGETS; do fill | sql "$(port $s)" -D"$(db $s)" & done
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
server_cpu() {  # utime + stime of the target's mariadbd, in clock ticks
  local dir
  dir=$(sed -n 's/^DCP_TESTDB_PRIMARY_DIR=//p' "$W/$1.env")
  awk '{print $14 + $15}' "/proc/$(cat "$dir/mariadbd.pid")/stat"
}
apply() {  # apply TARGET: prints its wall time in seconds
  local s=$1 t0 t1 c0 c1
  if [ "${s#ref}" != "$s" ]; then
    c0=$(server_cpu "$s")
    t0=$(now)
    mariadb-binlog --start-position="$POS" --stop-position="$END_POS" "$BINLOG" |
      mariadb --no-defaults -h127.0.0.1 -P"$(port "$s")" -udcp -pdcp
    t1=$(now)
  else
    cat > "$W/$s.toml" <<TOML
[padder]
binlog-list = ["$BINLOG"]
batch-size = $BATCH
enable-delete = true
checkpoint-file = "$W/$s.checkpoint"
conflict-log = "$W/$s.conflict.log"
conflict-policy = "fail"
schema-rename = { sb = "sbp" }
[padder.mysql.target]
host = "127.0.0.1"
port = $(port "$s")
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
    c0=$(server_cpu "$s")
    t0=$(now)
    "$BUILD/bin/padder" --config "$W/$s.toml" --no-progress >"$W/$s.out"
    t1=$(now)
    cat "$W/$s.out" >&2
  fi
  c1=$(server_cpu "$s")
  local got
  got=$(sql "$(port "$s")" -e "CHECKSUM TABLE $(db "$s").sbtest1" | awk '{print $2}')
  [ "$got" = "$SUM" ] || { echo "$s: result differs from the source" >&2; exit 1; }
  awk -v s="$s" -v t0="$t0" -v t1="$t1" -v c="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" \
    -v l="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
    printf "%s: %.1f s wall, target server CPU %.1f s, load %s\n", s, t1 - t0, c / hz, l > "/dev/stderr"
    printf "%.3f\n", t1 - t0 }'
}
R1=$(apply ref1)
P1=$(apply pad1)
P2=$(apply pad2)
R2=$(apply ref2)
echo "workload: $WORKLOAD, batch-size $BATCH, load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
awk -v rows="$ROWS" -v r1="$R1" -v r2="$R2" -v p1="$P1" -v p2="$P2" 'BEGIN { r = (r1 + r2) / 2; p = (p1 + p2) / 2
  printf "rows: %d\nreference (mariadb-binlog | mariadb): %.1f s (%.0f rows/s, mean of %.1f and %.1f)\n", rows, r, rows / r, r1, r2
  printf "padder: %.1f s (%.0f rows/s, mean of %.1f and %.1f)\nratio reference/padder: %.2f\n", p, rows / p, p1, p2, r / p }'
