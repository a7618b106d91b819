#!/usr/bin/env bash
# Bad configs: exit status 2 and the documented one-line error, for check-config and run.
set -euo pipefail
: "${DCP_BIN:?}"
WORK=$(mktemp -d "${DCP_TEST_TMPDIR:-/tmp}/dcp-e2e-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect_error PATTERN ARGS...: dcp ARGS exits 2 with one stderr line matching PATTERN.
expect_error() {
  local pattern=$1 rc=0
  shift
  "$DCP_BIN" "$@" > "$WORK/out" 2> "$WORK/err" || rc=$?
  [ $rc -eq 2 ] || fail "dcp $* exited $rc (want 2): $(cat "$WORK/err")"
  if [ -z "${STARTUP_LOG:-}" ]; then
    [ "$(wc -l < "$WORK/err")" = 1 ] || fail "dcp $*: not one line: $(cat "$WORK/err")"
  fi
  # The error is the last line (after startup log lines, when the config was valid).
  tail -n 1 "$WORK/err" | grep -Eq "^dcp: .*$pattern" ||
    fail "dcp $*: '$(tail -n 1 "$WORK/err")' does not match '$pattern'"
  echo "ok: dcp $* -> $(tail -n 1 "$WORK/err")"
}
base() {
  cat <<TOML
[[collector]]
name = "source"
type = "mysql"
dsn = "mysql://dcp:secret@127.0.0.1:1"
server-id = 1001
  [[collector.tag]]
  name = "src"
  tables = ["shop.*"]

[[collector]]
name = "replica"
type = "mysql"
dsn = "mysql://dcp:secret@127.0.0.1:1"
server-id = 1002
  [[collector.tag]]
  name = "dst"
  tables = ["shop.*"]

[state]
dir = "$WORK/state"
[http]
listen = "127.0.0.1:0"
TOML
}
{ base; printf '[checker]\nsource-tag = "src"\ntarget-tags = ["dst"]\nmdoe = "state"\n'; } > "$WORK/unknown.toml"
expect_error 'unknown.toml:[0-9]+:[0-9]+: checker.mdoe: unknown key' run --config "$WORK/unknown.toml"
expect_error 'unknown.toml:[0-9]+:[0-9]+: checker.mdoe: unknown key' --config "$WORK/unknown.toml"
expect_error 'unknown.toml:[0-9]+:[0-9]+: checker.mdoe: unknown key' check-config "$WORK/unknown.toml"
{ base; printf '[checker]\nsource-tag = "src"\ntarget-tags = ["dst"]\ntolerance = "two"\n'; } > "$WORK/type.toml"
expect_error 'type.toml:[0-9]+:[0-9]+: checker.tolerance: expected an integer' run --config "$WORK/type.toml"
{ base; printf '[checker]\nsource-tag = "src"\ntarget-tags = ["dst", "nowhere"]\n'; } > "$WORK/tag.toml"
expect_error 'tag.toml:[0-9]+:[0-9]+: checker.target-tags: .*nowhere' run --config "$WORK/tag.toml"
{ base; printf '[checker]\nsource-tag = "src"\ntarget-tags = ["src"]\n'; } > "$WORK/self.toml"
expect_error 'self.toml:[0-9]+:[0-9]+: checker.(source-tag|target-tags): ' run --config "$WORK/self.toml"
base | sed 's/server-id = 1002/server-id = 1001/' > "$WORK/dup.toml"
printf '[checker]\nsource-tag = "src"\ntarget-tags = ["dst"]\n' >> "$WORK/dup.toml"
expect_error 'dup.toml:[0-9]+:[0-9]+: collector\[2\].server-id: duplicate server id 1001' run --config "$WORK/dup.toml"
expect_error 'missing.toml' run --config "$WORK/missing.toml"
# A valid file whose server is unreachable: the collector, its address, no password.
{ base; printf '[checker]\nsource-tag = "src"\ntarget-tags = ["dst"]\n'; } > "$WORK/down.toml"
STARTUP_LOG=1 expect_error "down.toml: collector 'source' \(127.0.0.1:1\): cannot reach" run --config "$WORK/down.toml"
if grep -q secret "$WORK/err"; then fail "the password was printed"; fi
rc=0; "$DCP_BIN" run 2> "$WORK/err" || rc=$?; [ $rc -eq 2 ] && grep -q 'dcp run: --config is required' "$WORK/err" || fail "dcp run without --config"
echo "PASS"
