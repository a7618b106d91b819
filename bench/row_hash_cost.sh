#!/usr/bin/env bash
# Per-row cost of SQL row-hash expressions against CHECKSUM TABLE, on one throwaway MariaDB
# with one sysbench table (ROWS, default 1,000,000) warm in the buffer pool; best of 3 each.
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
R="CONCAT_WS('#', id, k, c, pad)"
t() {
  local best=999 s e x
  for _ in 1 2 3; do
    s=$(date +%s.%N); my "$2" >/dev/null; e=$(date +%s.%N)
    x=$(echo "$e - $s" | bc -l)
    best=$(echo "if ($x < $best) $x else $best" | bc -l)
  done
  printf '%-16s %6.3f s\n' "$1" "$best"
}
t checksum_table "CHECKSUM TABLE sbtest1"
t pt_crc32 "SELECT COUNT(*), BIT_XOR(CRC32($R)) FROM sbtest1"
t concat_only "SELECT COUNT(*), SUM(LENGTH($R)) FROM sbtest1"
t sha2_32bit "SELECT COUNT(*), BIT_XOR(CRC32(SHA2($R, 256))) FROM sbtest1"
t verifier "SELECT COUNT(*), SUM((CRC32(LEFT(@h := CAST(SHA2($R, 256) AS BINARY), 32)) << 32) | CRC32(RIGHT(@h, 32))) FROM sbtest1"
t old_verifier "SELECT COUNT(*), SUM(CRC32(@h := SHA2($R, 256))), BIT_XOR(CRC32C(@h)) FROM sbtest1"
t sha1 "SELECT COUNT(*), SUM(CRC32(@h := SHA1($R))), BIT_XOR(CRC32C(@h)) FROM sbtest1"
t sha2_unhex "SELECT COUNT(*), SUM(CRC32(@h := UNHEX(SHA2($R, 256)))), BIT_XOR(CRC32C(@h)) FROM sbtest1"
t md5 "SELECT COUNT(*), SUM(CRC32(@h := MD5($R))), BIT_XOR(CRC32C(@h)) FROM sbtest1"
t md5_unhex "SELECT COUNT(*), SUM(CRC32(@h := UNHEX(MD5($R)))), BIT_XOR(CRC32C(@h)) FROM sbtest1"
t md5_conv "SELECT COUNT(*), SUM(CONV(LEFT(MD5($R), 16), 16, 10)) FROM sbtest1"
