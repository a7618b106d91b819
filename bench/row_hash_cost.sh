#!/usr/bin/env bash
# Per-row cost of SQL row-hash expressions against CHECKSUM TABLE, on one throwaway MariaDB
# with one sysbench table (ROWS, default 1,000,000) warm in the buffer pool: wall time and the
# server's CPU time of each, best of 5 interleaved rounds, and the CPU as a multiple of
# CHECKSUM TABLE's.
# Explains the verifier's CHECKSUM TABLE ratio (docs/benchmarks.md, verifier notes).
#
# Usage: bench/row_hash_cost.sh [BUILD_DIR]   env: ROWS, DCP_TEST_TMPDIR
set -euo pipefail
B=$(cd "${1:-build}" && pwd)/bin
ROWS=${ROWS:-1000000}
WORK=$(mktemp -d "${DCP_TEST_TMPDIR:-/tmp}/dcp-rowhash-XXXXXX")
trap '"$B/dcp-testdb" stop --state "$WORK/db.env" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
"$B/dcp-testdb" start --state "$WORK/db.env" --server-id 341 -- --innodb-buffer-pool-size=1G >/dev/null
# shellcheck disable=SC1091
source "$WORK/db.env"
P=$DCP_TESTDB_PRIMARY_PORT
mariadb --no-defaults -h127.0.0.1 -P"$P" -udcp -pdcp -e "CREATE DATABASE sbtest"
my() { mariadb --no-defaults -h127.0.0.1 -P"$P" -udcp -pdcp -N -B sbtest -e "$1"; }
sysbench oltp_insert --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$P" --mysql-user=dcp \
  --mysql-password=dcp --mysql-db=sbtest --tables=1 --table-size="$ROWS" prepare >/dev/null
my "SELECT COUNT(*) FROM sbtest1" >/dev/null
pid=$(cat "$(my "SELECT @@pid_file")")
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }  # the server's CPU, in 1/100 s
# The verifier's row text (chunk_sql.h; sysbench's columns are numbers and utf8mb4 text, so no
# lengths) and pt-table-checksum's.
R="CONCAT_WS(CAST(X'FF' AS BINARY), id, k, c, pad)"
PT="CONCAT_WS('#', id, k, c, pad)"
H="SHA2($R, 256)"
names=(checksum_table pt_crc32 row_text_only verifier verifier_portable verifier_full_scan
  crc_pair_linear old_verifier md5_conv)
declare -A sql=(
  [checksum_table]="CHECKSUM TABLE sbtest1"
  [pt_crc32]="SELECT COUNT(*), BIT_XOR(CRC32($PT)) FROM sbtest1"
  [row_text_only]="SELECT COUNT(*), SUM(LENGTH($R)) FROM sbtest1"
  # What the verifier runs: with CRC32C() (MariaDB >= 10.8), without it, and in full-scan mode.
  [verifier]="SELECT COUNT(*), BIT_XOR((CRC32(@h := $H) << 32) | CRC32C(@h)) FROM sbtest1"
  [verifier_portable]="SELECT COUNT(*), BIT_XOR((CRC32(LEFT(@h := CAST($H AS BINARY), 32)) << 32) | CRC32(RIGHT(@h, 32))) FROM sbtest1"
  [verifier_full_scan]="SELECT COUNT(*), COALESCE(SUM((CRC32(@h := $H) << 32) | CRC32C(@h)), 0) FROM sbtest1"
  # Not used: 64 bits of a linear code of the row text, the price of SHA-256 by difference.
  [crc_pair_linear]="SELECT COUNT(*), SUM((CRC32(@h := $R) << 32) | CRC32C(@h)) FROM sbtest1"
  # The checksum before 2026-11-22 (wrong: its second aggregate read the previous row's hash).
  [old_verifier]="SELECT COUNT(*), SUM(CRC32(@h := SHA2($PT, 256))), BIT_XOR(CRC32C(@h)) FROM sbtest1"
  [md5_conv]="SELECT COUNT(*), BIT_XOR(CAST(CONV(LEFT(MD5($R), 16), 16, 10) AS UNSIGNED)) FROM sbtest1"
)
# Every expression once per round, 5 rounds; each one's best wall and best server CPU count
# (the machine's load drifts: interleaving exposes every expression to it alike).
declare -A wall cpus
for _ in 1 2 3 4 5; do
  for n in "${names[@]}"; do
    c0=$(cpu); s=$(date +%s.%N)
    my "${sql[$n]}" >/dev/null
    e=$(date +%s.%N); c1=$(cpu)
    x=$(echo "$e - $s" | bc -l); y=$((c1 - c0))
    if [ -z "${wall[$n]:-}" ] || [ "$(echo "$x < ${wall[$n]}" | bc -l)" = 1 ]; then wall[$n]=$x; fi
    if [ -z "${cpus[$n]:-}" ] || [ "$y" -lt "${cpus[$n]}" ]; then cpus[$n]=$y; fi
  done
done
printf '%-20s %8s %14s %10s\n' expression wall_s server_cpu_s x_checksum
for n in "${names[@]}"; do
  printf '%-20s %8.3f %14.2f %10.2f\n' "$n" "${wall[$n]}" "$(echo "${cpus[$n]} / 100" | bc -l)" \
    "$(echo "${cpus[$n]} / ${cpus[checksum_table]}" | bc -l)"
done
