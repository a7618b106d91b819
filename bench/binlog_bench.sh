#!/usr/bin/env bash
# Binlog decoding speed vs mariadb-binlog, on the same file in the same run.
#
# Makes a binlog of ROWS (default 1,000,000) sysbench-style rows (sysbench oltp_insert
# prepare: id INT, k INT, c CHAR(120), pad CHAR(60), multi-row inserts) on a throwaway
# MariaDB (build/bin/dcp-testdb), then times, best of RUNS (default 3):
#   ref  mariadb-binlog --base64-output=decode-rows -v FILE > /dev/null
#   (a)  build/bin/binlog_decode_bench FILE   (every row image decoded into typed Values)
#   (b)  build/bin/dcp binlog --file FILE > /dev/null   (JSON lines)
# and prints rows/s, MB/s and the ratios (a)/ref and (b)/ref.
#
# Usage: bench/binlog_bench.sh [BUILD_DIR]   env: ROWS, RUNS, DCP_TEST_TMPDIR, KEEP (a dir
# to copy the binlog into, for profiling)
set -euo pipefail
BUILD=${1:-build}
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}
BUILD=$(cd "$BUILD" && pwd)
export DCP_BUILD_DIR=$BUILD
STATE=$(mktemp -u "${DCP_TEST_TMPDIR:-/tmp}/dcp-binlog-bench-XXXXXX.env")
"$BUILD/bin/dcp-testdb" start --state "$STATE" --server-id 301 >/dev/null
trap '"$BUILD/bin/dcp-testdb" stop --state "$STATE" >/dev/null 2>&1 || true' EXIT
# shellcheck disable=SC1090
source "$STATE"
SOCK=$DCP_TESTDB_PRIMARY_SOCKET
DIR=$DCP_TESTDB_PRIMARY_DIR
mysql_() { mariadb --socket="$SOCK" -udcp -pdcp "$@"; }

mysql_ -e "CREATE DATABASE sbtest"
sysbench oltp_insert --db-driver=mysql --mysql-socket="$SOCK" --mysql-user=dcp \
  --mysql-password=dcp --mysql-db=sbtest --tables=1 --table-size="$ROWS" prepare >/dev/null
mysql_ -e "FLUSH BINARY LOGS"
FILES=$(mysql_ -N -e "SHOW BINARY LOGS" | awk '{print $1}' | head -n -1 | sed "s|^|$DIR/data/|")
BYTES=$(cat $FILES | wc -c)
if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp $FILES "$KEEP/"; fi

best() {  # best wall time in seconds of RUNS runs of "$@"
  local best=""
  for _ in $(seq "$RUNS"); do
    local s e t
    s=$(date +%s.%N)
    "$@" >/dev/null
    e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  echo "$best"
}
# shellcheck disable=SC2086
DECODED=$("$BUILD/bin/binlog_decode_bench" $FILES)
N=$(echo "$DECODED" | sed -E 's/.*rows=([0-9]+).*/\1/')
# shellcheck disable=SC2086
REF_ROWS=$(mariadb-binlog --base64-output=decode-rows -v $FILES | grep -c '^### INSERT INTO')
if [ "$N" != "$REF_ROWS" ]; then
  echo "row count mismatch: dcp $N, mariadb-binlog $REF_ROWS" >&2
  exit 1
fi
# shellcheck disable=SC2086
T_REF=$(best mariadb-binlog --base64-output=decode-rows -v $FILES)
# shellcheck disable=SC2086
T_A=$(best "$BUILD/bin/binlog_decode_bench" $FILES)
# shellcheck disable=SC2086
T_B=$(best "$BUILD/bin/dcp" binlog --file $FILES)

row() {
  printf '%-48s %8.3f s %12.0f rows/s %8.1f MB/s  %6.2fx\n' "$1" "$2" \
    "$(echo "$N / $2" | bc -l)" "$(echo "$BYTES / $2 / 1000000" | bc -l)" \
    "$(echo "$T_REF / $2" | bc -l)"
}
echo "binlog: $N rows, $BYTES bytes in $(echo $FILES | wc -w) file(s); best of $RUNS runs"
row "mariadb-binlog --base64-output=decode-rows -v" "$T_REF"
row "(a) typed decoding (binlog_decode_bench)" "$T_A"
row "(b) dcp binlog (JSON lines)" "$T_B"
echo "RESULT bench=binlog rows=$N bytes=$BYTES runs=$RUNS ref_s=$T_REF a_s=$T_A b_s=$T_B"
