#!/usr/bin/env bash
# What an on-call stack sees of dcp, with the real tools (issue 20): promtool lints a live
# /metrics and two scrapes 10 s apart under load carry the same series; a real Prometheus
# scrapes dcp, evaluates contrib/prometheus/dcp-alerts.yml (DcpTargetTimeout fires with the
# replica's SQL thread stopped and resolves after; DcpTargetDiff fires on a direct write on the
# replica) and answers every query of contrib/grafana/dcp-dashboard.json with data; /livez
# stays 200 while /readyz is 503 in Timeout; headless Chromium renders the status page with
# one healthy and one timed-out target (DOM checked, screenshot kept in DCP_ARTIFACT_DIR).
source "$(dirname "$0")/lib.sh"
REPO=$(cd "$E2E_DIR/../.." && pwd)
ARTIFACTS=${DCP_ARTIFACT_DIR:-$WORK}
for tool in promtool prometheus chromium; do
  command -v "$tool" >/dev/null || fail "$tool is missing: run scripts/setup"
done
PROM_PID=""
stop_prometheus() { if [ -n "$PROM_PID" ]; then kill "$PROM_PID" 2>/dev/null || true; wait "$PROM_PID" 2>/dev/null || true; fi; }
trap 'rc=$?; stop_prometheus; (exit $rc); cleanup' EXIT
observe() { /usr/bin/python3 "$E2E_DIR/observe.py" "$@"; }
code_of() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT$1"; }
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
series() { http_get /metrics | grep -v '^#' | sed 's/ [^ ]*$//' | sort; }
# Conditions for wait_for (which re-runs a command, not an expanded string).
code_is() { [ "$(code_of "$1")" = "$2" ]; }
scraped() { [ "$(observe query "$PROM" 'up{job="dcp"}' | awk '{print $2}')" = 1 ]; }
has_series() { [ -n "$(observe query "$PROM" "$1")" ]; }
firing() { observe alerts "$PROM" "$1" | grep -q "target=$2\(,\|$\)"; }
silent() { [ -z "$(observe alerts "$PROM" "$1")" ]; }

start_pair 241
create_schema
write_config 1s 1 3s
# A second target, always healthy: the primary itself, read by a second collector.
sed -i 's/^target-tags = \["dst"\]/target-tags = ["dst", "mirror"]/' "$WORK/dcp.toml"
cat >> "$WORK/dcp.toml" <<TOML

[[collector]]
name = "mirror"
type = "mysql"
dsn = "mysql://dcp@127.0.0.1:$DCP_TESTDB_PRIMARY_PORT"
password-env = "DCP_E2E_PASSWORD"
server-id = 1003
  [[collector.tag]]
  name = "mirror"
  tables = ["shop.*"]
TOML
start_dcp
workload 5
wait_replicated
wait_for 30 "2 windows compared on dst" ge x 2 compared dst
wait_for 30 "2 windows compared on mirror" ge x 2 compared mirror

# promtool's linter on the live exposition, then the series set under load.
lint=$(http_get /metrics | promtool check metrics 2>&1) || fail "promtool check metrics: $lint"
[ -z "$lint" ] || fail "promtool check metrics: $lint"
log "promtool check metrics: clean ($(series | wc -l) series)"
(NEXT_ID=100000; workload 120) >/dev/null 2>&1 &
LOAD_PID=$!
series > "$WORK/series.1"
sleep 10
series > "$WORK/series.2"
kill -0 $LOAD_PID 2>/dev/null || fail "the load ended before the second scrape"
wait $LOAD_PID || fail "the background load failed"
diff "$WORK/series.1" "$WORK/series.2" > "$WORK/series.diff" || fail "series changed between scrapes: $(cat "$WORK/series.diff")"
log "two scrapes 10 s apart under load: the same $(wc -l < "$WORK/series.1") series"

# A real Prometheus with dcp's rules.
promtool check rules "$REPO/contrib/prometheus/dcp-alerts.yml" >/dev/null || fail "promtool check rules"
PROM_PORT=$(free_port)
PROM="http://127.0.0.1:$PROM_PORT"
cat > "$WORK/prometheus.yml" <<YML
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: ["$REPO/contrib/prometheus/dcp-alerts.yml"]
scrape_configs:
  - job_name: dcp
    static_configs: [{targets: ["127.0.0.1:$HTTP_PORT"]}]
YML
promtool check config "$WORK/prometheus.yml" >/dev/null || fail "promtool check config"
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/prometheus" \
  --web.listen-address="127.0.0.1:$PROM_PORT" > "$WORK/prometheus.log" 2>&1 &
PROM_PID=$!
wait_for 30 "Prometheus ready" curl -sf "$PROM/-/ready"
wait_for 30 "Prometheus scraping dcp" scraped
wait_for 30 "dcp_build_info in Prometheus" has_series dcp_build_info
# rate() needs two samples in the window and deriv() too: a few seconds of scrapes.
workload 10
wait_for 30 "dashboard queries with data" observe dashboard "$PROM" "$REPO/contrib/grafana/dcp-dashboard.json"
observe dashboard "$PROM" "$REPO/contrib/grafana/dcp-dashboard.json"
silent DcpTargetTimeout || fail "DcpTargetTimeout fires on a healthy pair"

# The replica stops applying: Timeout, readiness lost, liveness kept, the rule fires.
r "STOP SLAVE SQL_THREAD"
workload 10
wait_for 30 "a Timeout alarm" has_alarm timeout
[ "$(code_of /livez)" = 200 ] || fail "/livez is not 200 while a target is in Timeout"
[ "$(code_of /readyz)" = 503 ] || fail "/readyz is not 503 while a target is in Timeout"
[ "$(code_of /healthz)" = 503 ] || fail "/healthz (alias of /readyz) is not 503"
wait_for 20 "DcpTargetTimeout firing" firing DcpTargetTimeout dst
firing DcpTargetTimeout mirror && fail "DcpTargetTimeout fires for the healthy target"
log "DcpTargetTimeout firing: $(observe alerts "$PROM" DcpTargetTimeout)"

# The page a person opens, rendered by a real browser.
chromium_run() {
  timeout 60 chromium --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --no-first-run --user-data-dir="$WORK/chromium" "$@" 2>>"$WORK/chromium.log"
}
mkdir -p "$ARTIFACTS"
chromium_run --window-size=1280,900 --screenshot="$ARTIFACTS/status-page.png" \
  "http://127.0.0.1:$HTTP_PORT/" >/dev/null || fail "chromium screenshot failed: $(tail -5 "$WORK/chromium.log")"
[ -s "$ARTIFACTS/status-page.png" ] || fail "no screenshot"
chromium_run --dump-dom "http://127.0.0.1:$HTTP_PORT/" > "$WORK/page.html" || fail "chromium --dump-dom failed"
observe page "$WORK/page.html" > "$WORK/page.txt"
cat "$WORK/page.txt"
grep -q '^target dst state=timeout ' "$WORK/page.txt" || fail "the page does not show dst in timeout"
grep -q '^target mirror state=ok ' "$WORK/page.txt" || fail "the page does not show mirror ok"
for t in dst mirror; do
  grep "^target $t " "$WORK/page.txt" | grep -qE 'points=([2-9]|[1-9][0-9]+) polylines=[1-9]' \
    || fail "no lag sparkline for $t"
done
grep -q '^collectors source replica mirror$' "$WORK/page.txt" || fail "the page lacks collectors"
grep -qE '^alarms [1-9]' "$WORK/page.txt" || fail "the page lists no alarm"
log "status page rendered: $ARTIFACTS/status-page.png"

# Applying again: Recovered, ready again, the alert resolves.
r "START SLAVE SQL_THREAD"
wait_for 30 "a Recovered alarm" has_alarm recovered
wait_for 10 "/readyz 200 again" code_is /readyz 200
wait_for 20 "DcpTargetTimeout resolved" silent DcpTargetTimeout

# A direct write on the replica: a Diff, and the diff rule fires for dst only.
wait_replicated
r "UPDATE shop.orders SET amount = -1 WHERE id = 2"
wait_for 20 "a Diff alarm" has_alarm diff
wait_for 20 "DcpTargetDiff firing" firing DcpTargetDiff dst
firing DcpTargetDiff mirror && fail "DcpTargetDiff fires for mirror"
log "DcpTargetDiff firing: $(observe alerts "$PROM" DcpTargetDiff)"
stop_dcp TERM || fail "dcp exited with $? on SIGTERM"
echo "PASS"
