#!/usr/bin/env bash
# dcp under load: the real dcp daemon watching a MariaDB primary + native replica while
# sysbench drives the primary at its maximum write rate.
#
# A throwaway pair (build/bin/dcp-testdb start --replica) gets TABLES sysbench tables of
# TABLE_SIZE rows. If THREADS is "auto" (the default), short sysbench runs (CALIB_TIME s each)
# at 1, 2, 4, 8 and 16 threads pick the thread count with the highest transactions/s (the
# primary's write rate maxes out there). Then build/bin/dcp runs with a barrier (1 s), a MySQL
# collector on the primary (tag src) and one on the replica (tag dst), both on sbtest.*, state
# mode, and
# `sysbench WORKLOAD run` drives the primary for DURATION seconds. Every second the script
# samples dcp's /proc/PID/stat (utime+stime), dcp's replication lag
# (dcp_tag_lag_seconds{tag="dst"} from /metrics) and the replica's
# SHOW SLAVE STATUS Seconds_Behind_Master. After the load it waits for the replica to catch
# up and for dcp to compare windows past the last barrier of the load, then checks that dcp
# raised no alarm at all (any alarm here is a false one: the pair is consistent; the checker's
# timeout is TIMEOUT, longer than any lag this run can build) and that it compared windows.
#
# Prints a summary and a final machine-readable line:
#   RESULT bench=load tps=... threads=... duration_s=... dcp_cpu_pct=... dcp_peak_rss_kb=...
#          dcp_lag_median_s=... dcp_lag_max_s=... sbm_median_s=... sbm_max_s=... ...
# Exit status non-zero when anything failed, including a false alarm.
#
# Usage: bench/load_bench.sh [BUILD_DIR]
#   env: DURATION (60), THREADS (auto), WORKLOAD (oltp_write_only), TABLES (4),
#        TABLE_SIZE (50000), TIMEOUT (120s), CALIB_TIME (5: seconds per calibration run),
#        DCP_TEST_TMPDIR
set -euo pipefail
BUILD=${1:-build}
BUILD=$(cd "$BUILD" && pwd)
DURATION=${DURATION:-60}
THREADS=${THREADS:-auto}
WORKLOAD=${WORKLOAD:-oltp_write_only}
TABLES=${TABLES:-4}
TABLE_SIZE=${TABLE_SIZE:-50000}
TIMEOUT=${TIMEOUT:-120s}
CALIB_TIME=${CALIB_TIME:-5}
export DCP_BUILD_DIR=$BUILD
export DCP_TEST_TMPDIR=${DCP_TEST_TMPDIR:-/tmp/dcp-load-bench}
mkdir -p "$DCP_TEST_TMPDIR"
W=$(mktemp -d "$DCP_TEST_TMPDIR/load-bench-XXXXXX")
DCP_PID=""
export DCP_LOAD_BENCH_PASSWORD=dcp  # read by the config's password-env

log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
fail() {
  echo "load_bench: FAIL: $*" >&2
  echo "--- dcp log (last 30 lines)" >&2
  tail -n 30 "$W/dcp.log" >&2 2>/dev/null || true
  echo "--- alarms" >&2
  head -c 4000 "$W/alarms.jsonl" >&2 2>/dev/null || true
  exit 1
}
cleanup() {
  local rc=$?
  if [ -n "$DCP_PID" ] && kill -0 "$DCP_PID" 2>/dev/null; then kill -KILL "$DCP_PID" || true; fi
  "$BUILD/bin/dcp-testdb" stop --state "$W/pair.env" >/dev/null 2>&1 || true
  if [ $rc -eq 0 ]; then rm -rf "$W"; else echo "(files kept in $W)" >&2; fi
}
trap cleanup EXIT

"$BUILD/bin/dcp-testdb" start --state "$W/pair.env" --replica --server-id 341 -- \
  --innodb-buffer-pool-size=512M >/dev/null
# shellcheck disable=SC1091
source "$W/pair.env"
P=$DCP_TESTDB_PRIMARY_PORT
R=$DCP_TESTDB_REPLICA_PORT
p() { mariadb --no-defaults -h127.0.0.1 -P"$P" -udcp -pdcp -N -B -e "$1"; }
r() { mariadb --no-defaults -h127.0.0.1 -P"$R" -udcp -pdcp -N -B -e "$1"; }
sb() {  # sb COMMAND [ARGS]: sysbench WORKLOAD against the primary
  local cmd=$1
  shift
  sysbench "$WORKLOAD" --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$P" \
    --mysql-user=dcp --mysql-password=dcp --mysql-db=sbtest --tables="$TABLES" \
    --table-size="$TABLE_SIZE" "$@" "$cmd"
}
tps_of() { sed -n -E 's/^ *transactions: *[0-9]+ *\(([0-9.]+) per sec\.\).*/\1/p' "$1"; }
wait_replicated() {
  local pos
  pos=$(p "SELECT @@gtid_binlog_pos")
  [ "$(r "SELECT MASTER_GTID_WAIT('$pos', ${1:-600})")" = "0" ] || fail "replica did not reach $pos"
}

p "CREATE DATABASE sbtest"
log "prepare: $TABLES tables x $TABLE_SIZE rows"
sb prepare >/dev/null
wait_replicated

CALIB=none
if [ "$THREADS" = auto ]; then
  CALIB=""
  best=0
  THREADS=1
  for t in 1 2 4 8 16; do
    sb run --threads="$t" --time="$CALIB_TIME" >"$W/calib-$t.txt" 2>&1 || fail "sysbench calibration ($t threads)"
    tps=$(tps_of "$W/calib-$t.txt")
    log "calibration: $t threads -> $tps tx/s"
    CALIB="$CALIB${CALIB:+,}$t:${tps%.*}"
    # No early stop: on a shared machine one slow sample must not end the search.
    if awk -v a="$tps" -v b="$best" 'BEGIN { exit !(a > b) }'; then
      best=$tps
      THREADS=$t
    fi
  done
  log "threads: $THREADS (max write rate $best tx/s in calibration)"
  wait_replicated
fi

# shellcheck disable=SC1091
source "$(dirname "${BASH_SOURCE[0]}")/../tests/e2e/pair_config.sh"
pair_config "$P" "$R" "sbtest.*" 1s 2 "$TIMEOUT" "$W" DCP_LOAD_BENCH_PASSWORD >"$W/dcp.toml"

: >"$W/dcp.log"
"$BUILD/bin/dcp" run --config "$W/dcp.toml" >>"$W/dcp.log" 2>&1 &
DCP_PID=$!
HTTP_PORT=""
for _ in $(seq 300); do
  line=$(grep -o 'http: listening on [0-9.]*:[0-9]*' "$W/dcp.log" || true)
  if [ -n "$line" ]; then HTTP_PORT=${line##*:}; break; fi
  kill -0 "$DCP_PID" 2>/dev/null || fail "dcp exited at start"
  sleep 0.1
done
[ -n "$HTTP_PORT" ] || fail "dcp did not start its HTTP server"
metrics() { curl -s --max-time 5 "http://127.0.0.1:$HTTP_PORT/metrics"; }
metric() { { metrics || true; } | awk -v n="$1" '$1 == n { print $2 }'; }
compared() {
  { metrics || true; } | awk 'index($1, "dcp_target_windows_total{target=\"dst\",") == 1 \
    { n += $2; seen = 1 } END { if (seen) print n }'
}
# Before the load: dcp is connected and compares windows.
for _ in $(seq 60); do
  c=$(compared)
  [ -n "$c" ] && [ "${c%.*}" -ge 2 ] && break
  kill -0 "$DCP_PID" 2>/dev/null || fail "dcp died"
  sleep 0.5
done
[ -n "$c" ] && [ "${c%.*}" -ge 2 ] || fail "dcp compared no window within 30 s of starting"
log "dcp running (pid $DCP_PID, http port $HTTP_PORT), $c windows compared"

HZ=$(getconf CLK_TCK)
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$DCP_PID/stat"; }
sbm() {
  { mariadb --no-defaults -h127.0.0.1 -P"$R" -udcp -pdcp -e 'SHOW SLAVE STATUS\G' || true; } |
    awk '$1 == "Seconds_Behind_Master:" { print $2 }'
}
log "load: sysbench $WORKLOAD, $THREADS threads, $DURATION s"
sb run --threads="$THREADS" --time="$DURATION" >"$W/sysbench.txt" 2>&1 &
SB_PID=$!
t_start=$(date +%s.%N)
ticks_start=$(cpu_ticks)
: >"$W/samples.txt"
while kill -0 "$SB_PID" 2>/dev/null; do
  t_iter=$(date +%s.%N)
  # time, dcp cpu ticks, dcp lag (s, "NA" when absent), Seconds_Behind_Master ("NA" when NULL)
  lag=$(metric 'dcp_tag_lag_seconds{tag="dst"}')
  s=$(sbm)
  [ -n "$s" ] && [ "$s" != NULL ] || s=NA
  echo "$(date +%s.%N) $(cpu_ticks) ${lag:-NA} $s" >>"$W/samples.txt"
  sleep "$(awk -v s="$t_iter" -v n="$(date +%s.%N)" 'BEGIN { d = 1 - (n - s); print (d > 0 ? d : 0) }')"
done
wait "$SB_PID" || fail "sysbench run failed: $(tail -n 5 "$W/sysbench.txt")"
t_end=$(date +%s.%N)
ticks_end=$(cpu_ticks)
TPS=$(tps_of "$W/sysbench.txt")
[ -n "$TPS" ] || fail "no transactions/s in sysbench's output"
kill -0 "$DCP_PID" 2>/dev/null || fail "dcp died during the load"
RSS_KB=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$DCP_PID/status")
CPU_PCT=$(awk -v a="$ticks_start" -v b="$ticks_end" -v hz="$HZ" -v s="$t_start" -v e="$t_end" \
  'BEGIN { printf "%.1f", (b - a) / hz / (e - s) * 100 }')

# After the load: the replica catches up, then dcp compares past the load's last barrier.
c_start=$(date +%s.%N)
wait_replicated 600
CATCHUP=$(awk -v s="$c_start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
last=$(p 'SELECT `offset` FROM drc.barrier WHERE id = 1')
want=$((last + 4))  # past tolerance (2) + 1 further barrier
for _ in $(seq 240); do
  b=$(metric 'dcp_tag_last_barrier{tag="dst"}')
  [ -n "$b" ] && [ "${b%.*}" -ge "$want" ] && break
  kill -0 "$DCP_PID" 2>/dev/null || fail "dcp died after the load"
  sleep 0.5
done
[ -n "$b" ] && [ "${b%.*}" -ge "$want" ] || fail "dcp's dst stream did not reach barrier $want (at ${b:-none})"
sleep 2  # the comparison of the last window follows the barrier's arrival
DCP_DRAIN=$(awk -v s="$c_start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
metrics >"$W/metrics.txt"
m() { awk -v n="$1" '$1 == n { print $2 }' "$W/metrics.txt"; }
SAME=$(m 'dcp_target_windows_total{target="dst",result="same"}')
WINDOWS=$(( ${SAME%.*} + $(m 'dcp_target_windows_total{target="dst",result="diff"}' | cut -d. -f1) ))
ROWS_SRC=$(m 'dcp_tag_changes_total{tag="src"}')
ALARMS=0
for kind in diff timeout recovered gap overflow; do
  n=$(m "dcp_alarms_total{kind=\"$kind\"}")
  ALARMS=$((ALARMS + ${n%.*}))
done
LOGGED=$(grep -c . "$W/alarms.jsonl" 2>/dev/null || true)
kill -TERM "$DCP_PID"
wait "$DCP_PID" || fail "dcp exited with an error at SIGTERM"
DCP_PID=""

stats() {  # stats COLUMN: "median max" of the numeric samples in that column
  awk -v c="$1" '$c != "NA" { print $c }' "$W/samples.txt" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) { print "NA NA"; exit }
      med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%.2f %.2f\n", med, v[NR] }'
}
read -r LAG_MED LAG_MAX < <(stats 3)
read -r SBM_MED SBM_MAX < <(stats 4)
SAMPLES=$(wc -l <"$W/samples.txt")

echo "load: sysbench $WORKLOAD, $TABLES tables x $TABLE_SIZE rows, $THREADS threads, ${DURATION} s: $TPS tx/s"
echo "dcp: CPU $CPU_PCT % of one core during the load, peak RSS $RSS_KB kB, $ROWS_SRC source changes"
echo "lag ($SAMPLES samples, 1/s): dcp median $LAG_MED s max $LAG_MAX s; Seconds_Behind_Master median $SBM_MED s max $SBM_MAX s"
echo "after the load: replica caught up in $CATCHUP s, dcp compared past the last barrier in $DCP_DRAIN s"
echo "windows compared: $WINDOWS (same: $SAME); alarms: $ALARMS (lines in the alarm log: $LOGGED)"
echo "RESULT bench=load tps=$TPS threads=$THREADS duration_s=$DURATION dcp_cpu_pct=$CPU_PCT" \
  "dcp_peak_rss_kb=$RSS_KB dcp_lag_median_s=$LAG_MED dcp_lag_max_s=$LAG_MAX" \
  "sbm_median_s=$SBM_MED sbm_max_s=$SBM_MAX catchup_s=$CATCHUP windows=${WINDOWS%.*}" \
  "same=${SAME%.*} alarms=$ALARMS samples=$SAMPLES calibration=$CALIB"
[ "$ALARMS" = 0 ] && [ "$LOGGED" = 0 ] || fail "dcp raised $ALARMS alarm(s) on a consistent pair under load"
[ "${WINDOWS%.*}" = "${SAME%.*}" ] || fail "windows compared $WINDOWS but same $SAME"
