#!/usr/bin/env bash
# A direct write on the replica: one Diff naming the table and key, in the alarm log and at
# the webhook, within (tolerance + 1) x interval + a few seconds.
source "$(dirname "$0")/lib.sh"
start_pair 221
create_schema
start_webhook
write_config 1s 1 10s
start_dcp
workload 10
wait_replicated
wait_for 30 "2 windows compared" ge x 2 compared
r "UPDATE shop.orders SET amount = -1 WHERE id = 3"
written=$SECONDS
wait_for $(((1 + 1) * 1 + 5)) "a Diff alarm" has_alarm diff
log "Diff after $((SECONDS - written)) s"
line=$(grep '"kind":"diff"' "$WORK/alarms.jsonl")
echo "$line" | grep -q 'shop.orders' || fail "the Diff does not name the table: $line"
echo "$line" | grep -q 'n:3' || fail "the Diff does not name key 3: $line"
echo "$line" | grep -q '"total_keys":1' || fail "the Diff is not about one key: $line"
wait_for 10 "the Diff at the webhook" grep -q '"kind":"diff"' "$WORK/webhook.jsonl"
grep '"kind":"diff"' "$WORK/webhook.jsonl" | grep -q 'n:3' || fail "webhook body lacks the key"
workload 10
sleep 3
[ "$(alarms_of_kind diff)" = 1 ] || fail "expected exactly one Diff, got $(alarms_of_kind diff)"
[ "$(wc -l < "$WORK/alarms.jsonl")" = 1 ] || fail "unexpected extra alarms"
[ "$(metric 'dcp_alarms_total{kind="diff"}')" = 1 ] || fail "dcp_alarms_total diff != 1"
wait_for 10 "webhook delivered metric" ge x 1 metric 'dcp_alarm_sink_delivered_total{sink="webhook",type="webhook"}'
# SIGHUP reopens the alarm log (log rotation): the next alarm goes to the new file.
mv "$WORK/alarms.jsonl" "$WORK/alarms.jsonl.1"
kill -HUP "$DCP_PID"
wait_for 5 "log files reopened" grep -q "log files reopened" "$WORK/dcp.log"
r "DELETE FROM shop.orders WHERE id = 4"
wait_for 10 "a Diff in the reopened alarm log" has_alarm diff
grep '"kind":"diff"' "$WORK/alarms.jsonl" | grep -q 'n:4' || fail "the new Diff does not name key 4"
kill -0 "$DCP_PID" || fail "dcp died on SIGHUP"
stop_dcp TERM || fail "dcp exited with $? on SIGTERM"
echo "PASS"
