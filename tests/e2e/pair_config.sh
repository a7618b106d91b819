# pair_config: prints the dcp config used by the end-to-end tests, the fault scenario and
# bench/load_bench.sh for a primary + native replica: a barrier on the primary, a MySQL
# collector on each (tags src and dst), a state-mode checker, a JSON-lines alarm log,
# HTTP on a free loopback port, state under DIR.
#
#   pair_config PRIMARY_PORT REPLICA_PORT TABLES_GLOB INTERVAL TOLERANCE TIMEOUT DIR \
#               PASSWORD_ENV [ALARM_EXTRA] [CHECKER_EXTRA]
#
# ALARM_EXTRA and CHECKER_EXTRA are extra TOML lines for [alarm] (e.g. a webhook) and
# [checker] (e.g. max-sample-keys). Sourced by bash scripts; called by scenario.py.
pair_config() {
  cat <<TOML
[barrier]
dsn = "mysql://dcp@127.0.0.1:$1"
password-env = "$8"
id = 1
interval = "$4"

[[collector]]
name = "source"
type = "mysql"
dsn = "mysql://dcp@127.0.0.1:$1"
password-env = "$8"
server-id = 1001
  [[collector.tag]]
  name = "src"
  tables = ["$3"]

[[collector]]
name = "replica"
type = "mysql"
dsn = "mysql://dcp@127.0.0.1:$2"
password-env = "$8"
server-id = 1002
  [[collector.tag]]
  name = "dst"
  tables = ["$3"]

[checker]
source-tag = "src"
target-tags = ["dst"]
tolerance = $5
timeout = "$6"
${10:-}

[alarm]
log = "$7/alarms.jsonl"
${9:-}

[http]
listen = "127.0.0.1:0"

[state]
dir = "$7/state"
TOML
}
