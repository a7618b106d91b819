#!/usr/bin/env bash
# A consistent workload for a while: zero alarms, windows compared, a lag figure, healthy;
# SIGTERM stops dcp with status 0 within a few seconds and leaves resume checkpoints.
source "$(dirname "$0")/lib.sh"
start_pair 211
create_schema
write_config 1s 1 10s
start_dcp
workload 30
wait_replicated
wait_for 30 "5 windows compared" ge x 5 compared
wait_for 10 "a lag figure" ge x 0 metric 'dcp_tag_lag_seconds{tag="dst"}'
sleep 3
[ "$(metric 'dcp_tag_changes_total{tag="dst"}')" -ge 60 ] || fail "the checker did not see the workload on dst"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/healthz")" = 200 ] || fail "/healthz not 200"
http_get /status | grep -q '"healthy":true' || fail "/status not healthy"
[ ! -s "$WORK/alarms.jsonl" ] || fail "alarms raised on a consistent workload"
for kind in diff timeout gap overflow; do
  [ "$(metric "dcp_alarms_total{kind=\"$kind\"}")" = 0 ] || fail "dcp_alarms_total{kind=$kind} not 0"
done
log "compared $(compared) windows, lag $(metric 'dcp_tag_lag_seconds{tag="dst"}') s"
start=$SECONDS
rc=0
stop_dcp TERM || rc=$?
[ $rc -eq 0 ] || fail "dcp exited with $rc on SIGTERM"
[ $((SECONDS - start)) -le 5 ] || fail "dcp took $((SECONDS - start)) s to stop"
[ -s "$WORK/state/collector-source.json" ] && [ -s "$WORK/state/collector-replica.json" ] || fail "no checkpoints"
grep -q "dcp stopped" "$WORK/dcp.log" || fail "no clean stop in the log"
if grep -q "dcp_e2e\|:dcp@" "$WORK/dcp.log"; then fail "a password reached the log"; fi
echo "PASS"
