#!/usr/bin/env bash
# kill -9 dcp, change things while it is down (consistent changes and one divergence),
# restart: the divergence is reported, the consistent changes raise nothing, no window is
# reported unchecked.
source "$(dirname "$0")/lib.sh"
start_pair 241
create_schema
write_config 1s 1 10s
start_dcp
workload 10
wait_replicated
wait_for 30 "a checkpoint" ge x 3 metric dcp_checkpoint_barrier
before=$(metric dcp_checkpoint_barrier)
stop_dcp KILL || true
log "killed dcp (checkpoint before barrier $before)"
workload 15
r "UPDATE shop.orders SET note = 'diverged' WHERE id = 2"
wait_replicated
p "UPDATE shop.orders SET amount = amount + 100 WHERE id = 5"
wait_replicated
start_dcp
grep -q "from checkpoint" "$WORK/dcp.log" || fail "collectors did not resume from their checkpoints"
wait_for 20 "the Diff of the divergence made while down" has_alarm diff
line=$(grep '"kind":"diff"' "$WORK/alarms.jsonl")
echo "$line" | grep -q 'n:2' || fail "the Diff does not name key 2: $line"
echo "$line" | grep -q '"total_keys":1' || fail "consistent changes were reported: $line"
workload 5
wait_replicated
sleep 4
[ "$(alarms_of_kind diff)" = 1 ] || fail "expected one Diff, got $(alarms_of_kind diff)"
[ "$(alarms_of_kind gap)" = 0 ] || fail "a window went unchecked (Gap)"
[ "$(alarms_of_kind timeout)" = 0 ] || fail "a Timeout"
[ "$(compared)" -ge 3 ] || fail "few windows compared after restart"
stop_dcp TERM || fail "dcp exited with $? on SIGTERM"
echo "PASS"
