#!/usr/bin/env bash
# MySQL collector throughput (decode + key + canonical content + checksum) vs mariadb-binlog,
# on the same binlog in the same run.
#
# Makes a binlog holding a barrier and then ROWS (default 1,000,000) sysbench-style rows
# (sysbench oltp_insert prepare) on a throwaway MariaDB, then times, best of RUNS (default 3):
#   ref  mariadb-binlog --base64-output=decode-rows -v FILES > /dev/null
#   (c1) build/bin/collector_bench --encode-only: decode + key + canonical content + checksum
#   (c2) build/bin/collector_bench: the whole collector, also building the dcp.Messages and
#        delivering them to a sink in transactions
# and prints rows/s and the ratios to ref.
#
# Usage: bench/collector_bench.sh [BUILD_DIR]   env: ROWS, RUNS, DCP_TEST_TMPDIR
set -euo pipefail
BUILD=${1:-build}
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}
BUILD=$(cd "$BUILD" && pwd)
export DCP_BUILD_DIR=$BUILD
STATE=$(mktemp -u "${DCP_TEST_TMPDIR:-/tmp}/dcp-collector-bench-XXXXXX.env")
"$BUILD/bin/dcp-testdb" start --state "$STATE" --server-id 311 >/dev/null
trap '"$BUILD/bin/dcp-testdb" stop --state "$STATE" >/dev/null 2>&1 || true' EXIT
# shellcheck disable=SC1090
source "$STATE"
SOCK=$DCP_TESTDB_PRIMARY_SOCKET
DIR=$DCP_TESTDB_PRIMARY_DIR
mysql_() { mariadb --socket="$SOCK" -udcp -pdcp "$@"; }

mysql_ -e "CREATE DATABASE drc; CREATE TABLE drc.barrier (id INT UNSIGNED NOT NULL
  AUTO_INCREMENT, \`offset\` BIGINT UNSIGNED NOT NULL DEFAULT 0, ts TIMESTAMP NOT NULL DEFAULT
  CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, PRIMARY KEY (id));
  INSERT INTO drc.barrier (id) VALUES (1); CREATE DATABASE sbtest"
FIRST=$(mysql_ -N -e "SHOW MASTER STATUS" | awk '{print $1}')
sysbench oltp_insert --db-driver=mysql --mysql-socket="$SOCK" --mysql-user=dcp \
  --mysql-password=dcp --mysql-db=sbtest --tables=1 --table-size="$ROWS" prepare >/dev/null
mysql_ -e "FLUSH BINARY LOGS"
FILES=$(mysql_ -N -e "SHOW BINARY LOGS" | awk '{print $1}' | head -n -1 | sed "s|^|$DIR/data/|")

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
DSN="mysql://dcp:dcp@127.0.0.1:$DCP_TESTDB_PRIMARY_PORT"
OUT=$("$BUILD/bin/collector_bench" "$DSN" "$DIR/data" "$FIRST" 'sbtest.*')
N=$(echo "$OUT" | sed -E 's/.*payloads=([0-9]+).*/\1/')
if [ "$N" != "$ROWS" ]; then
  echo "collector delivered $N messages for $ROWS rows: $OUT" >&2
  exit 1
fi
# shellcheck disable=SC2086
T_REF=$(best mariadb-binlog --base64-output=decode-rows -v $FILES)
T_C1=$(best "$BUILD/bin/collector_bench" --encode-only "$DSN" "$DIR/data" "$FIRST" 'sbtest.*')
T_C2=$(best "$BUILD/bin/collector_bench" "$DSN" "$DIR/data" "$FIRST" 'sbtest.*')
row() {
  printf '%-52s %8.3f s %12.0f rows/s  %6.2fx\n' "$1" "$2" "$(echo "$N / $2" | bc -l)" \
    "$(echo "$T_REF / $2" | bc -l)"
}
echo "collector: $N rows (sysbench oltp_insert prepare); best of $RUNS runs"
row "mariadb-binlog --base64-output=decode-rows -v" "$T_REF"
row "(c1) decode+key+content+checksum" "$T_C1"
row "(c2) whole collector (also messages, delivery)" "$T_C2"
echo "RESULT bench=collector rows=$N runs=$RUNS ref_s=$T_REF c1_s=$T_C1 c2_s=$T_C2"
