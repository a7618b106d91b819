#!/usr/bin/env bash
# Split topology throughput: `dcp collect` (MySQL collector -> Pusher -> gRPC) into a remote
# `dcp run` (gRPC collector -> checker), against the in-process path (`dcp run` with the MySQL
# collector itself), on the same binlog in the same run.
#
# A throwaway MariaDB gets a barrier row, one barrier, ROWS (default 500,000) sysbench rows
# (oltp_insert prepare: multi-row inserts) and a closing barrier. Then, best of RUNS (default 2):
#   ref    dcp run, MySQL collector from the binlog's start: seconds until its
#          dcp_collector_messages_total reaches the row + barrier count
#   split  dcp run with a gRPC collector + dcp collect from the binlog's start: seconds until
#          the gRPC collector's dcp_collector_messages_total reaches the same count
# The checker's target tag receives nothing (its timeout is an hour): both runs only ingest.
#
# Usage: bench/collect_bench.sh [BUILD_DIR]   env: ROWS, RUNS, DCP_TEST_TMPDIR
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
ROWS=${ROWS:-500000}
RUNS=${RUNS:-2}
export DCP_BUILD_DIR=$BUILD
WORK=$(mktemp -d "${DCP_TEST_TMPDIR:-/tmp}/dcp-collect-bench-XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  "$BUILD/bin/dcp-testdb" stop --state "$WORK/db.env" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
"$BUILD/bin/dcp-testdb" start --state "$WORK/db.env" --server-id 321 >/dev/null
# shellcheck disable=SC1091
source "$WORK/db.env"
PORT=$DCP_TESTDB_PRIMARY_PORT
my() { mariadb --no-defaults -h127.0.0.1 -P"$PORT" -udcp -pdcp -N -B -e "$1"; }
my "CREATE DATABASE drc; CREATE TABLE drc.barrier (id INT UNSIGNED NOT NULL AUTO_INCREMENT,
  \`offset\` BIGINT UNSIGNED NOT NULL DEFAULT 0, ts TIMESTAMP NOT NULL DEFAULT
  CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, PRIMARY KEY (id));
  INSERT INTO drc.barrier (id) VALUES (1); CREATE DATABASE sbtest"
START=$(my "SHOW MASTER STATUS" | awk '{print $1 ":" $2}')
my "UPDATE drc.barrier SET \`offset\` = \`offset\` + 1 WHERE id = 1"
sysbench oltp_insert --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$PORT" \
  --mysql-user=dcp --mysql-password=dcp --mysql-db=sbtest --tables=1 --table-size="$ROWS" \
  prepare >/dev/null
my "UPDATE drc.barrier SET \`offset\` = \`offset\` + 1 WHERE id = 1"
export DCP_BENCH_PASSWORD=dcp

checker_config() {  # $1: file, $2: collectors section
  cat > "$1" <<TOML
$2

[checker]
source-tag = "src"
target-tags = ["dst"]
timeout = "1h"
max-buffered-changes = 100000000

[http]
listen = "127.0.0.1:0"

[state]
dir = "$WORK/state-$RANDOM$RANDOM"
TOML
}
MYSQL_COLLECTOR="[[collector]]
name = \"src\"
dsn = \"mysql://dcp@127.0.0.1:$PORT\"
password-env = \"DCP_BENCH_PASSWORD\"
server-id = 3001
start-position = \"$START\"
  [[collector.tag]]
  name = \"src\"
  tables = [\"sbtest.*\"]"
IDLE_TARGET="[[collector]]
name = \"idle\"
type = \"grpc\"
listen = \"127.0.0.1:0\"
tags = [\"dst\"]"

start_dcp() {  # $1: config, $2: log; sets DCP_PID and HTTP
  "$BUILD/bin/dcp" run --config "$1" > "$2" 2>&1 &
  DCP_PID=$!
  PIDS+=("$DCP_PID")
  HTTP=""
  for _ in $(seq 300); do
    HTTP=$(grep -o 'http: listening on [0-9.]*:[0-9]*' "$2" | head -1 | sed 's/.*://') || true
    [ -n "$HTTP" ] && return 0
    sleep 0.05
  done
  echo "dcp did not start: $(tail -5 "$2")" >&2
  exit 1
}
metric() { curl -s --max-time 5 "http://127.0.0.1:$HTTP/metrics" | awk -v n="$1" '$1 == n { printf "%.0f\n", $2 }'; }
# wait_count NAME N: seconds (since $T0) until metric NAME reaches N.
wait_count() {
  local v
  while :; do
    v=$(metric "$1")
    if [ -n "$v" ] && [ "${v%.*}" -ge "$2" ]; then break; fi
    kill -0 "$DCP_PID" 2>/dev/null || { echo "dcp died" >&2; exit 1; }
    sleep 0.05
  done
  echo "$(date +%s.%N) - $T0" | bc -l
}
now() { date +%s.%N; }
# The previous run's binlog connection stays registered until the server's next heartbeat;
# wait for it to go so that no run's clock includes that wait.
no_replicas() {
  for _ in $(seq 100); do
    [ -z "$(my "SHOW SLAVE HOSTS")" ] && return 0
    sleep 0.1
  done
  echo "a replica registration did not go away" >&2
  exit 1
}

# The count to reach: what the in-process collector delivers once it is idle.
count_ref() {
  local c
  checker_config "$WORK/ref.toml" "$MYSQL_COLLECTOR

$IDLE_TARGET"
  no_replicas
  T0=$(now)
  start_dcp "$WORK/ref.toml" "$WORK/ref.log"
  local last=-1 v
  while :; do
    sleep 1
    v=$(metric 'dcp_collector_messages_total{collector="src",type="mysql"}')
    [ "$v" = "$last" ] && break
    last=$v
  done
  kill "$DCP_PID"; wait "$DCP_PID" || true
  c=${last%.*}
  echo "$c"
}
N=$(count_ref)
[ "$N" -ge "$ROWS" ] || { echo "the collector delivered $N messages for $ROWS rows" >&2; exit 1; }

best_ref="" best_split=""
for _ in $(seq "$RUNS"); do
  checker_config "$WORK/ref.toml" "$MYSQL_COLLECTOR

$IDLE_TARGET"
  no_replicas
  T0=$(now)
  start_dcp "$WORK/ref.toml" "$WORK/ref.log"
  t=$(wait_count 'dcp_collector_messages_total{collector="src",type="mysql"}' "$N")
  kill "$DCP_PID"; wait "$DCP_PID" || true
  if [ -z "$best_ref" ] || [ "$(echo "$t < $best_ref" | bc -l)" = 1 ]; then best_ref=$t; fi

  checker_config "$WORK/checker.toml" "[[collector]]
name = \"ingest\"
type = \"grpc\"
listen = \"127.0.0.1:0\"
tags = [\"src\", \"dst\"]"
  start_dcp "$WORK/checker.toml" "$WORK/checker.log"
  GRPC=""
  for _ in $(seq 100); do
    GRPC=$(grep -o 'grpc listening on 127.0.0.1:[0-9]*' "$WORK/checker.log" | head -1 | sed 's/.*://') || true
    [ -n "$GRPC" ] && break
    sleep 0.05
  done
  [ -n "$GRPC" ] || { echo "no gRPC port in the checker's log" >&2; exit 1; }
  cat > "$WORK/collect.toml" <<TOML
$MYSQL_COLLECTOR

[state]
dir = "$WORK/collect-state-$RANDOM$RANDOM"

[collect]
target = "127.0.0.1:$GRPC"
TOML
  no_replicas
  T0=$(now)
  "$BUILD/bin/dcp" collect --config "$WORK/collect.toml" > "$WORK/collect.log" 2>&1 &
  COLLECT_PID=$!
  PIDS+=("$COLLECT_PID")
  t=$(wait_count 'dcp_collector_messages_total{collector="ingest",type="grpc"}' "$N")
  kill "$COLLECT_PID" "$DCP_PID"; wait "$COLLECT_PID" "$DCP_PID" || true
  if [ -z "$best_split" ] || [ "$(echo "$t < $best_split" | bc -l)" = 1 ]; then best_split=$t; fi
done

echo "collect: $N messages ($ROWS rows + barriers) from one binlog; best of $RUNS runs"
printf 'ref   dcp run, in-process MySQL collector:        %7.3f s %10.0f msg/s\n' "$best_ref" "$(echo "$N / $best_ref" | bc -l)"
printf 'split dcp collect -> gRPC -> dcp run:              %7.3f s %10.0f msg/s  %5.2fx of ref\n' \
  "$best_split" "$(echo "$N / $best_split" | bc -l)" "$(echo "$best_ref / $best_split" | bc -l)"
echo "RESULT bench=collect messages=$N ref_s=$best_ref split_s=$best_split ratio=$(echo "$best_ref / $best_split" | bc -l)"
