# Shared helpers for the dcp end-to-end tests: a real MariaDB primary + native replica
# (dcp-testdb), the real dcp binary, a local webhook receiver. Sourced by each e2e_*.sh.
# Needs DCP_BIN, TESTDB_BIN (set by ctest); uses DCP_TEST_TMPDIR for servers and files.
set -euo pipefail
: "${DCP_BIN:?set DCP_BIN to build/bin/dcp}"
: "${TESTDB_BIN:?set TESTDB_BIN to build/bin/dcp-testdb}"
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC1091
source "$E2E_DIR/pair_config.sh"
WORK=$(mktemp -d "${DCP_TEST_TMPDIR:-/tmp}/dcp-e2e-XXXXXX")
DCP_PID=""
WEBHOOK_PID=""
HTTP_PORT=""
export DCP_E2E_PASSWORD=dcp  # read by the config's password-env, never on a command line

log() { echo "[$(date -u +%H:%M:%S)] $*"; }
fail() {
  echo "FAIL: $*" >&2
  echo "--- dcp log (last 60 lines)" >&2
  tail -n 60 "$WORK/dcp.log" >&2 2>/dev/null || true
  echo "--- alarms" >&2
  cat "$WORK/alarms.jsonl" >&2 2>/dev/null || true
  exit 1
}

cleanup() {
  local rc=$?
  if [ -n "$DCP_PID" ] && kill -0 "$DCP_PID" 2>/dev/null; then kill -KILL "$DCP_PID" || true; fi
  if [ -n "$WEBHOOK_PID" ]; then kill "$WEBHOOK_PID" 2>/dev/null || true; fi
  "$TESTDB_BIN" stop --state "$WORK/pair.env" >/dev/null 2>&1 || true
  if [ $rc -eq 0 ]; then rm -rf "$WORK"; else echo "(files kept in $WORK)" >&2; fi
}
trap cleanup EXIT

start_pair() {
  "$TESTDB_BIN" start --state "$WORK/pair.env" --replica --server-id "${1:-201}" >/dev/null
  # shellcheck disable=SC1091
  source "$WORK/pair.env"
}
p() { mariadb --no-defaults -h127.0.0.1 -P"$DCP_TESTDB_PRIMARY_PORT" -udcp -pdcp -N -B -e "$1"; }
r() { mariadb --no-defaults -h127.0.0.1 -P"$DCP_TESTDB_REPLICA_PORT" -udcp -pdcp -N -B -e "$1"; }

create_schema() {
  p "CREATE DATABASE IF NOT EXISTS shop;
     CREATE TABLE IF NOT EXISTS shop.orders (id INT PRIMARY KEY, amount INT, note VARCHAR(64));"
  wait_replicated
}
wait_replicated() {
  local pos
  pos=$(p "SELECT @@gtid_binlog_pos")
  [ "$(r "SELECT MASTER_GTID_WAIT('$pos', 30)")" = "0" ] || fail "replica did not reach $pos"
}

# start_webhook: a receiver appending each alarm to $WORK/webhook.jsonl; sets WEBHOOK_URL.
start_webhook() {
  /usr/bin/python3 "$E2E_DIR/webhook_receiver.py" "$WORK/webhook.port" "$WORK/webhook.jsonl" &
  WEBHOOK_PID=$!
  for _ in $(seq 100); do [ -s "$WORK/webhook.port" ] && break; sleep 0.1; done
  WEBHOOK_URL="http://127.0.0.1:$(cat "$WORK/webhook.port")/hook"
}

# write_config [interval] [tolerance] [timeout]
write_config() {
  local hook=""
  if [ -n "${WEBHOOK_URL:-}" ]; then hook="webhook = \"$WEBHOOK_URL\""; fi
  pair_config "$DCP_TESTDB_PRIMARY_PORT" "$DCP_TESTDB_REPLICA_PORT" "shop.*" "${1:-1s}" \
    "${2:-1}" "${3:-10s}" "$WORK" DCP_E2E_PASSWORD "$hook" > "$WORK/dcp.toml"
}

start_dcp() {
  touch "$WORK/dcp.log"
  local skip
  skip=$(wc -l < "$WORK/dcp.log")
  "$DCP_BIN" run --config "$WORK/dcp.toml" >> "$WORK/dcp.log" 2>&1 &
  DCP_PID=$!
  local line=""
  for _ in $(seq 300); do
    line=$(tail -n +"$((skip + 1))" "$WORK/dcp.log" | grep -o 'http: listening on [0-9.]*:[0-9]*' || true)
    [ -n "$line" ] && break
    kill -0 "$DCP_PID" 2>/dev/null || fail "dcp exited at start"
    sleep 0.1
  done
  [ -n "$line" ] || fail "dcp did not start its HTTP server"
  HTTP_PORT=${line##*:}
  log "dcp running (pid $DCP_PID, http port $HTTP_PORT)"
}

# stop_dcp [signal]: returns dcp's exit status.
stop_dcp() {
  local sig=${1:-TERM} rc=0
  kill -"$sig" "$DCP_PID"
  wait "$DCP_PID" || rc=$?
  DCP_PID=""
  sleep 0.2
  return $rc
}

http_get() { curl -s --max-time 5 "http://127.0.0.1:$HTTP_PORT$1"; }
# metric NAME_WITH_LABELS: the sample's value, empty when absent.
metric() { http_get /metrics | awk -v n="$1" '$1 == n { print $2 }'; }
# compared [TARGET]: windows compared for the target (same + diff).
compared() {
  http_get /metrics | awk -v t="target=\"${1:-dst}\"" \
    'index($1, "dcp_target_windows_total{" t ",") == 1 { n += $2 } END { print n + 0 }'
}

# wait_for SECONDS DESCRIPTION COMMAND...: polls every 0.5 s.
wait_for() {
  local secs=$1 what=$2
  shift 2
  local deadline=$((SECONDS + secs))
  while [ $SECONDS -lt $deadline ]; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  fail "timed out after ${secs}s waiting for: $what"
}

# ge x N COMMAND...: COMMAND's output is a number >= N; eq x V COMMAND...: it is V. Conditions
# for wait_for, which re-runs COMMAND (an argument "$(...)" would be expanded only once).
ge() { local v; v=$("${@:3}"); [ -n "$v" ] && awk -v a="$v" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
eq() { local v; v=$("${@:3}"); [ "$v" = "$2" ]; }
lines_of() { wc -l < "$1" 2>/dev/null || echo 0; }
alarms_of_kind() { grep -c "\"kind\":\"$1\"" "$WORK/alarms.jsonl" 2>/dev/null || true; }
has_alarm() { [ "$(alarms_of_kind "$1")" -ge "${2:-1}" ]; }

# workload N: N small consistent transactions on the primary, a few per second.
NEXT_ID=1
workload() {
  local n=$1 i
  for ((i = 0; i < n; i++)); do
    p "INSERT INTO shop.orders VALUES ($NEXT_ID, $((NEXT_ID * 10)), 'o$NEXT_ID');
       UPDATE shop.orders SET amount = amount + 1 WHERE id = $(( (NEXT_ID + 1) / 2 ));"
    NEXT_ID=$((NEXT_ID + 1))
    sleep 0.1
  done
}
