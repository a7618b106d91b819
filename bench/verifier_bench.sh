#!/usr/bin/env bash
# verifier data vs pt-table-checksum vs CHECKSUM TABLE on a primary + native replica pair.
#
#   bench/verifier_bench.sh [BUILD_DIR] [ROWS_PER_TABLE]     (defaults: build, 1000000)
#
# Loads two sysbench tables (sbtest.sbtest1, sbtest2) of ROWS_PER_TABLE rows on a throwaway
# primary, lets the replica catch up, then times in the same run, A, B and C in turn for RUNS
# rounds (env, default 3), the best time of each counting:
#   A. verifier data --parallel 2 (no differences)
#   B. pt-table-checksum on the primary with the replica as its DSN (no differences)
#   C. CHECKSUM TABLE of both tables, on the primary and the replica in parallel
#   D. verifier data after changing 1% of rows on the replica (rows/s, differences found)
# and prints the ratios A/B and A/C of the best times (and every run's time). Servers live under $DCP_TEST_TMPDIR (default
# /tmp/dcp-bench) and are stopped at exit.
set -euo pipefail
build=${1:-build}
rows=${2:-1000000}
RUNS=${RUNS:-3}
export DCP_TEST_TMPDIR=${DCP_TEST_TMPDIR:-/tmp/dcp-bench}
mkdir -p "$DCP_TEST_TMPDIR"
state=$DCP_TEST_TMPDIR/bench-pair.env
verifier=$build/bin/verifier

"$build/bin/dcp-testdb" start --state "$state" --replica --server-id 301 -- \
  --innodb-buffer-pool-size=1G --innodb-log-file-size=512M >/dev/null
trap '"$build/bin/dcp-testdb" stop --state "$state" >/dev/null 2>&1 || true' EXIT
# shellcheck disable=SC1090
source "$state"
P=$DCP_TESTDB_PRIMARY_PORT
R=$DCP_TESTDB_REPLICA_PORT
my() { mariadb -h127.0.0.1 -udcp -pdcp -N -B "$@"; }
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l; }

my -P"$P" -e "CREATE DATABASE sbtest"
sysbench oltp_read_only --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$P" \
  --mysql-user=dcp --mysql-password=dcp --mysql-db=sbtest --tables=2 --table-size="$rows" \
  prepare >/dev/null
pos=$(my -P"$P" -e "SELECT @@gtid_binlog_pos")
my -P"$R" -e "SELECT MASTER_GTID_WAIT('$pos', 1800)" >/dev/null
# Warm both buffer pools the same way for every contender.
for port in "$P" "$R"; do
  my -P"$port" -e "SELECT COUNT(*), SUM(LENGTH(c)) FROM sbtest.sbtest1; SELECT COUNT(*), SUM(LENGTH(c)) FROM sbtest.sbtest2" >/dev/null
done

src="mysql://dcp:dcp@127.0.0.1:$P/sbtest"
dst="mysql://dcp:dcp@127.0.0.1:$R/sbtest"

my -P"$P" -e "CREATE DATABASE percona; CREATE TABLE percona.dsns (id INT AUTO_INCREMENT PRIMARY KEY, parent_id INT, dsn VARCHAR(255)); INSERT INTO percona.dsns (dsn) VALUES ('h=127.0.0.1,P=$R,u=dcp,p=dcp')"
pos=$(my -P"$P" -e "SELECT @@gtid_binlog_pos")
my -P"$R" -e "SELECT MASTER_GTID_WAIT('$pos', 60)" >/dev/null

# A, B and C take turns, RUNS rounds; each contender's best time counts (the shared machine's
# load only ever slows a run down, and interleaving exposes every contender to it alike).
best() { if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc -l)" = 1 ]; then echo "$2"; else echo "$1"; fi; }
# timed CMD...: runs CMD; sets secs_taken and rc (CMD's exit status).
timed() {
  local t0 t1
  t0=$(now)
  set +e
  "$@"
  rc=$?
  set -e
  t1=$(now)
  secs_taken=$(secs "$t0" "$t1")
}
verify() { "$verifier" data --source "$src" --target "$dst" --parallel 2 --no-progress >"$1"; }
pt_checksum() {
  pt-table-checksum "h=127.0.0.1,P=$P,u=dcp,p=dcp" --databases=sbtest \
    --recursion-method=dsn=D=percona,t=dsns --no-check-binlog-format \
    --replicate=percona.checksums >"$DCP_TEST_TMPDIR/b.txt" 2>&1
}
checksum_both() {
  my -P"$P" -e "CHECKSUM TABLE sbtest.sbtest1, sbtest.sbtest2" >"$DCP_TEST_TMPDIR/c1.txt" &
  my -P"$R" -e "CHECKSUM TABLE sbtest.sbtest1, sbtest.sbtest2" >"$DCP_TEST_TMPDIR/c2.txt" &
  wait
}
a="" b="" c="" rc_a=0 rc_b=0 same_checksum=yes runs_a="" runs_b="" runs_c=""
for round in $(seq "$RUNS"); do
  timed verify "$DCP_TEST_TMPDIR/a.txt"
  [ "$rc" = 0 ] || rc_a=$rc
  a=$(best "$a" "$secs_taken"); runs_a="$runs_a $(printf %.2f "$secs_taken")"
  timed pt_checksum
  [ "$rc" = 0 ] || rc_b=$rc
  b=$(best "$b" "$secs_taken"); runs_b="$runs_b $(printf %.2f "$secs_taken")"
  timed checksum_both
  cmp -s "$DCP_TEST_TMPDIR/c1.txt" "$DCP_TEST_TMPDIR/c2.txt" || same_checksum=no
  c=$(best "$c" "$secs_taken"); runs_c="$runs_c $(printf %.2f "$secs_taken")"
done

# 1% of rows different, on the replica only.
my -P"$R" -e "SET SESSION sql_log_bin = 0; UPDATE sbtest.sbtest1 SET c = REVERSE(c) WHERE id % 100 = 0; UPDATE sbtest.sbtest2 SET k = k + 1 WHERE id % 100 = 0"
timed verify "$DCP_TEST_TMPDIR/d.txt"
rc_d=$rc
d=$secs_taken
found=$(grep -c "different:" "$DCP_TEST_TMPDIR/d.txt" || true)
total=$((2 * rows))

printf 'rows: 2 tables x %d\n' "$rows"
printf 'rounds: %d (A, B, C in turn; best of each counts)\n' "$RUNS"
printf 'A verifier data (identical, exit %d):         %8.2f s  (runs:%s)\n' "$rc_a" "$a" "$runs_a"
printf 'B pt-table-checksum (exit %d):                 %8.2f s  (runs:%s)\n' "$rc_b" "$b" "$runs_b"
printf 'C CHECKSUM TABLE both servers in parallel:    %8.2f s  (runs:%s; checksums equal: %s)\n' "$c" "$runs_c" "$same_checksum"
printf 'A/B verifier / pt-table-checksum:             %8.3f\n' "$(echo "$a / $b" | bc -l)"
printf 'A/C verifier / CHECKSUM TABLE:                %8.3f\n' "$(echo "$a / $c" | bc -l)"
printf 'D verifier with 1%% rows different (exit %d):  %8.2f s, %.0f rows/s, %d differences found (expected %d)\n' \
  "$rc_d" "$d" "$(echo "$total / $d" | bc -l)" "$found" "$((total / 100))"
echo "RESULT bench=verifier rows_per_table=$rows runs=$RUNS a_s=$a b_s=$b c_s=$c d_s=$d rc_a=$rc_a" \
  "rc_b=$rc_b rc_d=$rc_d found=$found expected=$((total / 100)) checksums_equal=$same_checksum"
