#!/usr/bin/env bash
# The whole chain to a real Alertmanager: the dcp binary against a MariaDB primary and native
# replica, with an alertmanager sink (min-severity critical), [alarm] instance and a severity
# override (timeout critical):
#  - the replica's SQL thread stopped: a Timeout, active in Alertmanager as DcpTimeout with
#    dcp's labels;
#  - started again: the Recovered (info, yet delivered: it follows its Timeout) resolves it;
#  - a direct write on the replica: a Diff, active as DcpDiff, its incident_key naming the key;
#  - every line of the alarm log carries severity and instance; the sink counted no error.
# Skipped (exit 77) when prometheus-alertmanager is not installed.
AM_BIN=${DCP_ALERTMANAGER:-/usr/bin/prometheus-alertmanager}
if [ ! -x "$AM_BIN" ]; then
  echo "SKIP: $AM_BIN not installed (apt-get install prometheus-alertmanager; scripts/setup does)"
  exit 77
fi
source "$(dirname "$0")/lib.sh"
AM_PID=""
trap '[ -n "$AM_PID" ] && kill "$AM_PID" 2>/dev/null; cleanup' EXIT

# start_alertmanager: on a free loopback port (a few tries: the port may be taken meanwhile),
# its data in $WORK, killed with this script (setpriv --pdeathsig) and by the EXIT trap.
start_alertmanager() {
  printf 'route:\n  receiver: blackhole\n  group_by: [incident_key]\nreceivers:\n  - name: blackhole\n' \
    > "$WORK/alertmanager.yml"
  local try
  for try in 1 2 3; do
    AM_PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    setpriv --pdeathsig KILL "$AM_BIN" --config.file="$WORK/alertmanager.yml" \
      --storage.path="$WORK/am-data-$try" --web.listen-address="127.0.0.1:$AM_PORT" \
      --cluster.listen-address= --log.level=warn > "$WORK/alertmanager.log" 2>&1 &
    AM_PID=$!
    for _ in $(seq 300); do
      curl -sf --max-time 2 "http://127.0.0.1:$AM_PORT/-/ready" >/dev/null && return 0
      kill -0 "$AM_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill "$AM_PID" 2>/dev/null || true
    AM_PID=""
  done
  cat "$WORK/alertmanager.log" >&2
  fail "Alertmanager did not start"
}

# am_alert KEY=VALUE...: prints the first active alert whose labels have all these values;
# fails when there is none.
am_alert() {
  curl -s --max-time 5 "http://127.0.0.1:$AM_PORT/api/v2/alerts" | /usr/bin/python3 -c '
import json, sys
want = dict(a.split("=", 1) for a in sys.argv[1:])
for alert in json.load(sys.stdin):
    if all(alert["labels"].get(k) == v for k, v in want.items()):
        print(json.dumps(alert["labels"], sort_keys=True)); sys.exit(0)
sys.exit(1)' "$@"
}
no_am_alert() { ! am_alert "$@"; }

start_pair 271
create_schema
start_alertmanager
pair_config "$DCP_TESTDB_PRIMARY_PORT" "$DCP_TESTDB_REPLICA_PORT" "shop.*" 1s 1 3s "$WORK" \
  DCP_E2E_PASSWORD 'instance = "e2e-checker"
severity = { timeout = "critical" }
status-url = "http://127.0.0.1:1/status"' > "$WORK/dcp.toml"
cat >> "$WORK/dcp.toml" <<TOML

[[alarm.sink]]
type = "alertmanager"
url = "http://127.0.0.1:$AM_PORT"
min-severity = "critical"
TOML
start_dcp
workload 5
wait_replicated
wait_for 30 "2 windows compared" ge x 2 compared

r "STOP SLAVE SQL_THREAD"
workload 10
wait_for 20 "a Timeout alarm" has_alarm timeout
wait_for 20 "DcpTimeout active in Alertmanager" am_alert alertname=DcpTimeout
labels=$(am_alert alertname=DcpTimeout)
log "Timeout in Alertmanager: $labels"
expected='{"alertname": "DcpTimeout", "incident_key": "timeout:src->dst", "instance": "e2e-checker", "kind": "timeout", "severity": "critical", "source_tag": "src", "target_tag": "dst"}'
[ "$labels" = "$expected" ] || fail "DcpTimeout labels: $labels"
r "START SLAVE SQL_THREAD"
wait_for 30 "a Recovered alarm" has_alarm recovered
wait_for 20 "the Timeout resolved in Alertmanager" no_am_alert alertname=DcpTimeout

r "UPDATE shop.orders SET amount = -1 WHERE id = 3"
wait_for 15 "a Diff alarm" has_alarm diff
wait_for 20 "DcpDiff active in Alertmanager" am_alert alertname=DcpDiff severity=critical \
  instance=e2e-checker source_tag=src target_tag=dst
am_alert alertname=DcpDiff | grep -q '"incident_key": "diff:src->dst:.*n:3' \
  || fail "the Diff's incident_key does not name key 3: $(am_alert alertname=DcpDiff)"

/usr/bin/python3 - "$WORK/alarms.jsonl" <<'PY' || fail "alarm log check"
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
assert docs, "no alarm"
expected = {"timeout": "critical", "recovered": "info", "diff": "critical", "gap": "warning"}
for d in docs:
    assert d["instance"] == "e2e-checker", d
    assert d["severity"] == expected.get(d["kind"], d["severity"]), d
print("alarm log:", ", ".join(f'{d["kind"]}/{d["severity"]}' for d in docs))
PY
delivered=$(metric 'dcp_alarm_sink_delivered_total{sink="alertmanager",type="alertmanager"}')
[ "${delivered:-0}" -ge 3 ] || fail "alertmanager sink delivered ${delivered:-0} alarms, expected >= 3"
[ "$(metric 'dcp_alarm_sink_errors_total{sink="alertmanager",type="alertmanager"}')" = 0 ] \
  || fail "alertmanager sink errors"
stop_dcp TERM || fail "dcp exited with $? on SIGTERM"
echo "PASS"
