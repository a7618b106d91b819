#!/usr/bin/env bash
# Alarm sinks on a bad day, with the real dcp binary:
#  - the alarm log lives on a tiny tmpfs that fills up: the failure is logged and counted, no
#    line is torn, and once space is back every alarm is there, each line valid JSON;
#  - alarm sequence numbers go on across a restart and never repeat;
#  - a webhook URL with a secret in its path and query never appears in dcp's log.
# The tmpfs part needs root (mount); without it, it is skipped and says so.
source "$(dirname "$0")/lib.sh"
start_pair 261
create_schema
start_webhook
secret_url="${WEBHOOK_URL%/hook}/services/T000/B000/SLACKTOKEN?token=QUERYSECRET"
alarm_dir="$WORK/alarmfs"
mkdir -p "$alarm_dir"
full_disk=0
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=64k tmpfs "$alarm_dir" 2>/dev/null; then
  full_disk=1
  trap 'umount "$alarm_dir" 2>/dev/null || true; cleanup' EXIT
else
  log "SKIP (full disk part): cannot mount a tmpfs here (not root?)"
fi
pair_config "$DCP_TESTDB_PRIMARY_PORT" "$DCP_TESTDB_REPLICA_PORT" "shop.*" 1s 0 10s "$WORK" \
  DCP_E2E_PASSWORD "webhook = \"$secret_url\"" > "$WORK/dcp.toml"
sed -i "s|^log = .*|log = \"$alarm_dir/alarms.jsonl\"|" "$WORK/dcp.toml"
# diverge N FROM: N rows written on the replica only, each in its own window (a Diff each).
diverge() {
  for i in $(seq "$2" $(($2 + $1 - 1))); do
    r "INSERT INTO shop.orders VALUES ($((1000 + i)), $i, 'replica only')"
    sleep 1.1
  done
}
alarm_lines() { cat "$alarm_dir/alarms.jsonl" 2>/dev/null | wc -l; }
log_metric() { metric "dcp_alarm_sink_$1{sink=\"log\",type=\"log\"}"; }

# With the tmpfs full from the start, the first alarm already finds no room.
[ $full_disk = 1 ] && { dd if=/dev/zero of="$alarm_dir/filler" bs=4k 2>/dev/null || true; }
start_dcp
workload 5
wait_replicated
wait_for 30 "2 windows compared" ge x 2 compared
diverge 3 1
wait_for 20 "three alarms raised" ge x 3 metric 'dcp_alarms_total{kind="diff"}'
if [ $full_disk = 1 ]; then
  wait_for 10 "the write failure logged" grep -q "cannot write alarm log" "$WORK/dcp.log"
  ge x 1 log_metric errors_total || fail "the failure was not counted"
  ge x 1 log_metric pending || fail "no alarm waits for room"
  rm -f "$alarm_dir/filler"
  diverge 1 10  # the next alarm writes what waited, then itself
  wait_for 20 "every alarm written" eq x 0 log_metric pending
fi
all_written() { [ "$(alarm_lines)" -ge "$(metric 'dcp_alarms_total{kind="diff"}')" ]; }
wait_for 20 "the alarm log has every alarm" all_written
cp "$alarm_dir/alarms.jsonl" "$WORK/alarms.before"
stop_dcp TERM || fail "dcp exited with $? on SIGTERM"
start_dcp
diverge 2 30
wait_for 20 "Diffs after the restart" ge x $(($(lines_of "$WORK/alarms.before") + 1)) alarm_lines
sleep 2
stop_dcp TERM || fail "dcp exited with $? on SIGTERM"

/usr/bin/python3 - "$alarm_dir/alarms.jsonl" "$WORK/alarms.before" <<'PY' || fail "alarm log check"
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
assert lines[-1] == "", "the log does not end with a newline"
docs = [json.loads(l) for l in lines[:-1]]  # raises on a torn line
seqs = [d["sequence"] for d in docs]
assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), f"sequences repeat or go back: {seqs}"
before = len(open(sys.argv[2], encoding="utf-8").read().split("\n")) - 1
assert seqs[before] > seqs[before - 1], "the sequence did not go on after the restart"
assert all(d.get("incident_key") for d in docs), "an alarm without an incident key"
print(f"{len(docs)} alarms, valid JSON lines, sequences {seqs}")
PY
grep -q "SLACKTOKEN\|QUERYSECRET\|/services/" "$WORK/dcp.log" && fail "the webhook URL's secret was logged"
grep -q "alarm sink webhook: webhook http://127.0.0.1:" "$WORK/dcp.log" || fail "the webhook sink's line"
wait_for 10 "the webhook got the alarms" ge x 4 lines_of "$WORK/webhook.jsonl"
echo "PASS"
