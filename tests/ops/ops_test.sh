#!/usr/bin/env bash
# Operator experience of verifier and padder against a real primary + replica (issue 19):
#   1. secrets: `P=... verifier data --source 'mysql://op@h:port?password-env=P'` works, and
#      /proc/PID/cmdline during the run, stdout and stderr never hold the password; a password
#      written in a DSN works with a warning and is gone from /proc/PID/cmdline once parsed;
#      MYSQL_PWD and --defaults-file ([client] password) work; a wrong password's error and a
#      JSON report do not show it;
#   2. progress: `--progress log,1s` over a run of several seconds leaves newline-terminated
#      lines with a percent and an ETA, and no '\r';
#   3. --log-format=json: every line of stderr is a JSON object;
#   4. verifier data --max-lag 2s with the replica's SQL thread stopped and writes on the
#      primary: "throttled" logged within seconds, no rows done over three progress intervals
#      while stopped; after START SLAVE it resumes and finishes with exit 0; the same with the
#      lag read from a heartbeat table (a number over 2 s, not only "unknown"), and with
#      --max-load Threads_running=N while N+ queries run on the source;
#   5. the same for padder replaying binlogs into the primary (nothing applied while the
#      replica is stopped; everything after), and padder repair --max-lag.
# "No progress while throttled" is observed over progress lines (one per second, written by
# the tools themselves while paused), not over a sleep.
# Needs VERIFIER_BIN, PADDER_BIN, TESTDB_BIN; servers under DCP_TEST_TMPDIR.
set -euo pipefail
: "${VERIFIER_BIN:?}" "${PADDER_BIN:?}" "${TESTDB_BIN:?}"
WORK=$(mktemp -d "${DCP_TEST_TMPDIR:-/tmp}/dcp-ops-XXXXXX")
BG="" HB=""
cleanup() {
  local rc=$?
  [ -n "$BG" ] && kill "$BG" 2>/dev/null || true
  [ -n "$HB" ] && kill "$HB" 2>/dev/null || true
  "$TESTDB_BIN" stop --state "$WORK/pair.env" >/dev/null 2>&1 || true
  "$TESTDB_BIN" stop --state "$WORK/source.env" >/dev/null 2>&1 || true
  if [ $rc -eq 0 ]; then rm -rf "$WORK"; else echo "(files kept in $WORK)" >&2; fi
}
trap cleanup EXIT
log() { echo "[$(date -u +%H:%M:%S)] $*"; }
fail() { echo "FAIL: $*" >&2; for f in "$WORK"/*.err; do echo "--- $f" >&2; tail -n 20 "$f" >&2; done; exit 1; }
trap 'fail "killed (ctest timeout?)"' TERM INT

"$TESTDB_BIN" start --state "$WORK/pair.env" --replica --server-id 401 >/dev/null
# shellcheck disable=SC1091
source "$WORK/pair.env"
PP=$DCP_TESTDB_PRIMARY_PORT RP=$DCP_TESTDB_REPLICA_PORT
q() { mariadb --no-defaults -h127.0.0.1 -P"$1" -udcp -pdcp -N -B -e "$2"; }
p() { q "$PP" "$1"; }
r() { q "$RP" "$1"; }
wait_replicated() {
  [ "$(r "SELECT MASTER_GTID_WAIT('$(p "SELECT @@gtid_binlog_pos")', 60)")" = 0 ] \
    || fail "replica did not catch up"
}
# seconds since $1 (an $EPOCHREALTIME), to 0.1 s
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
# progress lines of log $1 written after its first "throttled" line
paused_lines() { sed -n '/throttle: throttled/,$p' "$1" | grep 'progress: ' || true; }
# waits up to $1 seconds until log $2 has $3 progress lines after "throttled"
wait_paused_lines() {
  wait_for "$1" "[ \$(paused_lines $2 | wc -l) -ge $3 ]"
}
# waits up to $1 seconds for `$2` (a command) to succeed
wait_for() {
  local n=$(($1 * 10))
  while ! eval "$2" >/dev/null 2>&1; do
    n=$((n - 1)); [ $n -gt 0 ] || return 1; sleep 0.1
  done
}

SECRET='Op-S3cret-pw'
log "schema: ops.big (300,000 rows), ops.w, a user op with password $SECRET"
p "CREATE DATABASE ops;
   CREATE TABLE ops.big (id INT PRIMARY KEY, v VARCHAR(64), n BIGINT);
   INSERT INTO ops.big SELECT seq, MD5(seq), seq * 7 FROM ops.seq_1_to_300000;
   CREATE TABLE ops.w (id INT PRIMARY KEY, v INT);
   INSERT INTO ops.w SELECT seq, seq FROM ops.seq_1_to_1000;
   CREATE TABLE ops.t (id INT PRIMARY KEY, v VARCHAR(32));
   CREATE USER op@'%' IDENTIFIED BY '$SECRET';
   GRANT ALL ON *.* TO op@'%';"
wait_replicated
# 25-row chunks, one worker: 12,000 chunks take 4 s on an idle machine, 30 s on a busy one.
cat > "$WORK/verifier.toml" <<TOML
[data]
parallel = 1
[[table]]
name = "ops.big"
chunk-rows = 25
TOML

log "1-3. verifier data with password-env, progress log,1s, JSON log"
export P="$SECRET"
SRC="mysql://op@127.0.0.1:$PP?password-env=P"
TGT="mysql://op@127.0.0.1:$RP?password-env=P"
"$VERIFIER_BIN" data --config "$WORK/verifier.toml" --source "$SRC" --target "$TGT" \
  --tables ops.big --progress log,1s > "$WORK/v1.out" 2> "$WORK/v1.err" &
BG=$!
seen=0
while kill -0 "$BG" 2>/dev/null; do
  if args=$(tr '\0' ' ' < "/proc/$BG/cmdline" 2>/dev/null); then
    seen=$((seen + 1))
    grep -qF "$SECRET" <<<"$args" && fail "the password is in /proc/$BG/cmdline: $args"
  fi
  sleep 0.2
done
rc=0; wait "$BG" || rc=$?; BG=""
[ $rc -eq 0 ] || fail "verifier data exited $rc"
[ $seen -ge 10 ] || fail "the run was too short to watch ($seen looks)"
grep -q "ops.big: identical (300000 rows" "$WORK/v1.out" || fail "report: $(cat "$WORK/v1.out")"
cat "$WORK/v1.out" "$WORK/v1.err" | grep -qF "$SECRET" && fail "the password is in the output"
lines=$(grep -c 'progress: .*%.*ETA [0-9]*:[0-9][0-9]:[0-9][0-9]' "$WORK/v1.err" || true)
[ "$lines" -ge 3 ] || fail "expected >= 3 progress lines with percent and ETA, got $lines"
grep -q $'\r' "$WORK/v1.err" && fail "a carriage return in the log"
[ -z "$(tail -c 1 "$WORK/v1.err")" ] || fail "the log does not end with a newline"
log "   $seen looks at /proc/PID/cmdline, $lines progress lines: $(grep 'progress: ' "$WORK/v1.err" | sed -n 2p)"

log "   inline password: warned, scrubbed from /proc/PID/cmdline, JSON log lines"
"$VERIFIER_BIN" data --config "$WORK/verifier.toml" --log-format=json --progress log,1s \
  --source "mysql://op:$SECRET@127.0.0.1:$PP" --target "$TGT" --tables ops.big \
  > "$WORK/v2.out" 2> "$WORK/v2.err" &
BG=$!
wait_for 10 "grep -q progress $WORK/v2.err" || fail "no progress line"
args=$(tr '\0' ' ' < "/proc/$BG/cmdline")
grep -qF "$SECRET" <<<"$args" && fail "the inline password is still in /proc/PID/cmdline: $args"
grep -qF "mysql://op:xxxxxxxxxxxx@" <<<"$args" || fail "cmdline not as expected: $args"
rc=0; wait "$BG" || rc=$?; BG=""
[ $rc -eq 0 ] || fail "verifier data (inline password) exited $rc"
grep -q "the password in the DSN can be read by every local user" "$WORK/v2.err" \
  || fail "no warning for the inline password"
grep -qF "$SECRET" "$WORK/v2.err" && fail "the password is in stderr"
python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) >= 4, lines
for l in lines:
    o = json.loads(l)
    assert o["program"] == "verifier" and o["level"] in ("info", "warning"), o
' "$WORK/v2.err" || fail "stderr under --log-format=json is not JSON lines"

log "   MYSQL_PWD, --defaults-file, a wrong password"
MYSQL_PWD="$SECRET" "$VERIFIER_BIN" data --source "mysql://op@127.0.0.1:$PP" \
  --target "mysql://op@127.0.0.1:$RP" --tables ops.w --no-progress > "$WORK/pwd.out" 2> "$WORK/pwd.err" \
  || fail "verifier data with MYSQL_PWD: $(cat "$WORK/pwd.out" "$WORK/pwd.err")"
grep -q "ops.w: identical (1000 rows" "$WORK/pwd.out" || fail "MYSQL_PWD report: $(cat "$WORK/pwd.out")"
printf '[client]\nuser=op\npassword=%s\n' "$SECRET" > "$WORK/my.cnf"
chmod 600 "$WORK/my.cnf"
env -u P "$VERIFIER_BIN" data --defaults-file "$WORK/my.cnf" --source "mysql://127.0.0.1:$PP" \
  --target "mysql://127.0.0.1:$RP" --tables ops.w --format json --no-progress \
  > "$WORK/cnf.json" 2> "$WORK/cnf.err" \
  || fail "verifier data --defaults-file: $(cat "$WORK/cnf.json" "$WORK/cnf.err")"
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$WORK/cnf.json" \
  || fail "the JSON report does not parse"
rc=0
"$VERIFIER_BIN" data --source "mysql://op:Wr0ng-$SECRET@127.0.0.1:$PP" --target "$TGT" \
  --tables ops.w --no-progress > "$WORK/bad.out" 2> "$WORK/bad.err" || rc=$?
[ $rc -ne 0 ] || fail "a wrong password was accepted"
grep -qi "access denied" "$WORK/bad.err" || fail "no access-denied error: $(cat "$WORK/bad.err")"
cat "$WORK"/pwd.* "$WORK"/cnf.* "$WORK"/bad.* | grep -qF "$SECRET" \
  && fail "a password is in an output, a report or an error: $(grep -F "$SECRET" "$WORK"/pwd.* "$WORK"/cnf.* "$WORK"/bad.*)"
log "   wrong password exits $rc: $(grep -i 'access denied' "$WORK/bad.err" | head -n 1)"

log "4. verifier data --max-lag 2s with the replica's SQL thread stopped"
r "STOP SLAVE SQL_THREAD"
p "UPDATE ops.w SET v = v + 1 WHERE id <= 500"
"$VERIFIER_BIN" data --source "$SRC" --target "$TGT" --tables ops.w --max-lag 2s \
  --progress log,1s --recheck 3 > "$WORK/v3.out" 2> "$WORK/v3.err" &
BG=$!
t0=$EPOCHREALTIME
wait_for 10 "grep -q 'throttled' $WORK/v3.err" || fail "not throttled within 10 s"
log "   throttled $(since "$t0") s after the start: $(grep throttled "$WORK/v3.err")"
wait_paused_lines 15 "$WORK/v3.err" 3 || fail "no 3 progress lines while throttled"
kill -0 "$BG" || fail "verifier finished while the replica was stopped"
paused_lines "$WORK/v3.err" | grep -v ' 0/1000 rows' | grep -q . \
  && fail "rows were compared while throttled: $(paused_lines "$WORK/v3.err" | tail -1)"
log "   $(paused_lines "$WORK/v3.err" | wc -l) progress lines while paused, all 0/1000 rows"
t0=$EPOCHREALTIME
r "START SLAVE SQL_THREAD"
rc=0; wait "$BG" || rc=$?; BG=""
[ $rc -eq 0 ] || fail "verifier data exited $rc after START SLAVE: $(cat "$WORK/v3.out")"
grep -q "throttle: resumed after" "$WORK/v3.err" || fail "no resume logged"
grep -q "ops.w: identical (1000 rows" "$WORK/v3.out" || fail "report: $(cat "$WORK/v3.out")"
log "   finished $(since "$t0") s after START SLAVE; $(grep 'resumed after' "$WORK/v3.err")"

log "4b. verifier data --max-lag 2s --barrier-table: the heartbeat's lag, a number"
p "CREATE TABLE ops.hb (id INT PRIMARY KEY, ts DATETIME(6)); INSERT INTO ops.hb VALUES (1, NOW(6))"
wait_replicated
# The heartbeat, as the daemon's barrier writer bumps its table: every 0.2 s, one connection
# (whose id is printed first, to KILL it at the end).
printf '%s\n' 'SELECT CONNECTION_ID();' 'DELIMITER //' \
  'BEGIN NOT ATOMIC LOOP UPDATE ops.hb SET ts = NOW(6) WHERE id = 1; DO SLEEP(0.2); END LOOP; END //' \
  | mariadb --no-defaults --unbuffered -h127.0.0.1 -P"$PP" -udcp -pdcp -N -B > "$WORK/hb.out" 2> "$WORK/hb.err" &
HB=$!
wait_for 10 "[ -s $WORK/hb.out ]" || fail "the heartbeat did not start: $(cat "$WORK/hb.err")"
HBLAG="SELECT TIMESTAMPDIFF(MICROSECOND, MAX(ts), NOW(6)) / 1e6 > 3 FROM ops.hb"
r "STOP SLAVE SQL_THREAD"
wait_for 20 "[ \$(r '$HBLAG') = 1 ]" || fail "the heartbeat lag did not pass 3 s"
"$VERIFIER_BIN" data --source "$SRC" --target "$TGT" --tables ops.w --max-lag 2s \
  --barrier-table ops.hb --progress log,1s > "$WORK/v5.out" 2> "$WORK/v5.err" &
BG=$!
wait_for 10 "grep -q 'throttled' $WORK/v5.err" || fail "not throttled by the heartbeat within 10 s"
grep -Eq "throttled \(paused\): heartbeat lag of replica 127.0.0.1:$RP [0-9.]+s > max 2s" \
  "$WORK/v5.err" || fail "throttle reason: $(grep throttled "$WORK/v5.err")"
wait_paused_lines 15 "$WORK/v5.err" 3 || fail "no 3 progress lines while throttled"
paused_lines "$WORK/v5.err" | grep -v ' 0/1000 rows' | grep -q . \
  && fail "rows were compared while throttled: $(paused_lines "$WORK/v5.err" | tail -1)"
r "START SLAVE SQL_THREAD"
rc=0; wait "$BG" || rc=$?; BG=""
[ $rc -eq 0 ] || fail "verifier data (heartbeat) exited $rc: $(cat "$WORK/v5.out")"
grep -q "throttle: resumed after" "$WORK/v5.err" || fail "no resume logged (heartbeat)"
kill -0 "$HB" || fail "the heartbeat stopped: $(cat "$WORK/hb.err")"
p "KILL $(head -n 1 "$WORK/hb.out")"
wait "$HB" 2>/dev/null || true; HB=""
log "   $(grep -o 'throttled (paused): .*' "$WORK/v5.err"); $(grep -o 'resumed after [0-9:]*' "$WORK/v5.err")"

log "4c. verifier data --max-load Threads_running=8 while 12 queries run on the source"
busy=()
for i in $(seq 12); do
  mariadb --no-defaults -h127.0.0.1 -P"$PP" -udcp -pdcp -e "SELECT SLEEP(300), 'ops-busy'" \
    > /dev/null 2>&1 &
  busy+=($!)
done
wait_for 10 "[ \$(p \"SHOW GLOBAL STATUS LIKE 'Threads_running'\" | cut -f2) -gt 12 ]" \
  || fail "the busy queries did not start"
"$VERIFIER_BIN" data --source "$SRC" --target "$TGT" --tables ops.w --max-load Threads_running=8 \
  --progress log,1s > "$WORK/v6.out" 2> "$WORK/v6.err" &
BG=$!
wait_for 10 "grep -q 'throttled' $WORK/v6.err" || fail "not throttled by the load within 10 s"
grep -Eq "throttled \(paused\): Threads_running on 127.0.0.1:$PP [0-9]+ > max 8" "$WORK/v6.err" \
  || fail "throttle reason: $(grep throttled "$WORK/v6.err")"
wait_paused_lines 15 "$WORK/v6.err" 3 || fail "no 3 progress lines while throttled"
paused_lines "$WORK/v6.err" | grep -v ' 0/1000 rows' | grep -q . \
  && fail "rows were compared while throttled: $(paused_lines "$WORK/v6.err" | tail -1)"
for id in $(p "SELECT id FROM information_schema.PROCESSLIST WHERE INFO LIKE '%ops-busy%' AND INFO NOT LIKE '%PROCESSLIST%'"); do
  p "KILL QUERY $id"
done
wait "${busy[@]}" 2>/dev/null || true
rc=0; wait "$BG" || rc=$?; BG=""
[ $rc -eq 0 ] || fail "verifier data (load) exited $rc: $(cat "$WORK/v6.out")"
grep -q "throttle: resumed after" "$WORK/v6.err" || fail "no resume logged (load)"
log "   $(grep -o 'throttled (paused): .*' "$WORK/v6.err"); $(grep -o 'resumed after [0-9:]*' "$WORK/v6.err")"

log "5. padder --max-lag 2s replaying binlogs into the primary, replica stopped"
"$TESTDB_BIN" start --state "$WORK/source.env" --server-id 411 >/dev/null
SP=$(sed -n 's/^DCP_TESTDB_PRIMARY_PORT=//p' "$WORK/source.env" | head -n 1)
SDIR=$(sed -n 's/^DCP_TESTDB_PRIMARY_DIR=//p' "$WORK/source.env" | head -n 1)
q "$SP" "CREATE DATABASE ops; CREATE TABLE ops.t (id INT PRIMARY KEY, v VARCHAR(32))"
for i in $(seq 0 199); do
  echo "INSERT INTO ops.t SELECT seq, CONCAT('row ', seq) FROM ops.seq_$((i * 10 + 1))_to_$((i * 10 + 10));"
done | mariadb --no-defaults -h127.0.0.1 -P"$SP" -udcp -pdcp ops
files=$(q "$SP" "SHOW BINARY LOGS" | awk -v d="$SDIR/data" '{printf "%s\"%s/%s\"", (NR > 1 ? ", " : ""), d, $1}')
cat > "$WORK/padder.toml" <<TOML
[padder]
binlog-list = [$files]
include-tables = ["ops.t"]
ddl = "skip"
batch-size = 10
conflict-log = "$WORK/conflict.log"
[padder.mysql.target]
host = "127.0.0.1"
port = $PP
username = "op"
password-env = "P"
TOML
r "STOP SLAVE SQL_THREAD"
p "UPDATE ops.w SET v = v + 1 WHERE id <= 10"
"$PADDER_BIN" --config "$WORK/padder.toml" --max-lag 2s --replica "$TGT" --progress log,1s \
  > "$WORK/p1.out" 2> "$WORK/p1.err" &
BG=$!
t0=$EPOCHREALTIME
wait_for 10 "grep -q 'throttled' $WORK/p1.err" || fail "padder not throttled within 10 s"
log "   throttled $(since "$t0") s after the start: $(grep -o 'throttled (paused): .*' "$WORK/p1.err")"
wait_paused_lines 15 "$WORK/p1.err" 3 || fail "padder: no 3 progress lines while throttled"
kill -0 "$BG" || fail "padder finished while the replica was stopped"
[ "$(p "SELECT COUNT(*) FROM ops.t")" = 0 ] || fail "padder applied rows while throttled"
[ "$(paused_lines "$WORK/p1.err" | grep -o '[0-9]*/[0-9]* bytes' | sort -u | wc -l)" = 1 ] \
  || fail "padder read on while throttled: $(paused_lines "$WORK/p1.err")"
log "   $(paused_lines "$WORK/p1.err" | wc -l) progress lines while paused, 0 rows in ops.t"
r "START SLAVE SQL_THREAD"
rc=0; wait "$BG" || rc=$?; BG=""
[ $rc -eq 0 ] || fail "padder exited $rc: $(cat "$WORK/p1.out")"
[ "$(p "SELECT COUNT(*) FROM ops.t")" = 2000 ] || fail "padder applied $(p "SELECT COUNT(*) FROM ops.t") rows, not 2000"
grep -q "progress: finished: 100.0% .* bytes" "$WORK/p1.err" || fail "no final padder progress line"
grep -q "throttle: resumed after" "$WORK/p1.err" || fail "padder: no resume logged"
grep -qF "$SECRET" "$WORK/p1.out" "$WORK/p1.err" && fail "the password is in padder's output"
log "   padder applied 2000 rows after the pause: $(grep 'resumed after' "$WORK/p1.err")"

log "   padder repair --max-lag 2s, replica stopped"
wait_replicated
r "DELETE FROM ops.w WHERE id IN (1, 2, 3)"   # divergence on the replica
rc=0
"$VERIFIER_BIN" data --source "$SRC" --target "$TGT" --tables ops.w --format json \
  --no-progress > "$WORK/report.json" 2> "$WORK/v4.err" || rc=$?
[ $rc -eq 1 ] || fail "verifier found no difference to repair (exit $rc)"
r "STOP SLAVE SQL_THREAD"
p "UPDATE ops.w SET v = v + 1 WHERE id > 900"
"$PADDER_BIN" repair --report "$WORK/report.json" --source "$SRC" --target "$TGT" \
  --max-lag 2s --replica "$TGT" --progress log,1s > "$WORK/p2.out" 2> "$WORK/p2.err" &
BG=$!
wait_for 10 "grep -q 'throttled' $WORK/p2.err" || fail "padder repair not throttled within 10 s"
wait_paused_lines 15 "$WORK/p2.err" 3 || fail "padder repair: no 3 progress lines while throttled"
paused_lines "$WORK/p2.err" | grep -v ' 0/3 keys' | grep -q . \
  && fail "repair advanced while throttled: $(paused_lines "$WORK/p2.err" | tail -1)"
[ "$(r "SELECT COUNT(*) FROM ops.w WHERE id <= 3")" = 0 ] || fail "repair wrote while throttled"
r "START SLAVE SQL_THREAD"
rc=0; wait "$BG" || rc=$?; BG=""
[ $rc -eq 0 ] || fail "padder repair exited $rc: $(cat "$WORK/p2.out" "$WORK/p2.err")"
[ "$(r "SELECT COUNT(*) FROM ops.w WHERE id <= 3")" = 3 ] || fail "repair did not restore the rows"
grep -q "progress: finished: 100.0% 3/3 keys" "$WORK/p2.err" || fail "no repair progress line"
grep -q "throttle: resumed after" "$WORK/p2.err" || fail "padder repair: no resume logged"
cat "$WORK"/p2.* "$WORK/report.json" | grep -qF "$SECRET" && fail "the password is in repair's output or the report"
log "   $(paused_lines "$WORK/p2.err" | wc -l) progress lines at 0/3 keys while paused; $(grep -o 'resumed after [0-9:]*' "$WORK/p2.err")"
log "ok"
