#!/usr/bin/env bash
# The replica's SQL thread stopped longer than the timeout: one Timeout, /healthz 503; started
# again: Recovered, no Diff.
source "$(dirname "$0")/lib.sh"
start_pair 231
create_schema
write_config 1s 1 3s
start_dcp
workload 5
wait_replicated
wait_for 30 "2 windows compared" ge x 2 compared
r "STOP SLAVE SQL_THREAD"
workload 10
wait_for 20 "a Timeout alarm" has_alarm timeout
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/healthz")" = 503 ] || fail "/healthz not 503 in timeout"
http_get /healthz | grep -q "target 'dst' in timeout" || fail "/healthz gives no reason"
sleep 2
r "START SLAVE SQL_THREAD"
wait_for 30 "a Recovered alarm" has_alarm recovered
wait_replicated
workload 5
wait_replicated
sleep 4
[ "$(alarms_of_kind timeout)" = 1 ] || fail "expected one Timeout, got $(alarms_of_kind timeout)"
[ "$(alarms_of_kind recovered)" = 1 ] || fail "expected one Recovered"
[ "$(alarms_of_kind diff)" = 0 ] || fail "a Diff after a late but consistent replica"
[ "$(alarms_of_kind gap)" = 0 ] || fail "a Gap after a late replica"
healthz_ok() { [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/healthz")" = 200 ]; }
wait_for 10 "/healthz 200 again" healthz_ok
stop_dcp TERM || fail "dcp exited with $? on SIGTERM"
echo "PASS"
