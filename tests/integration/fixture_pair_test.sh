#!/usr/bin/env bash
# Uses the ctest fixture mariadb_pair (dcp-testdb start/stop): writes on the primary with the
# mariadb command-line client and reads the row back on the replica.
set -euo pipefail
: "${DCP_TESTDB_STATE:?run through ctest: the fixture state file is missing}"
# shellcheck disable=SC1090
source "$DCP_TESTDB_STATE"
p() { mariadb --no-defaults -h127.0.0.1 -P"$DCP_TESTDB_PRIMARY_PORT" -udcp -pdcp -N -B -e "$1"; }
r() { mariadb --no-defaults -h127.0.0.1 -P"$DCP_TESTDB_REPLICA_PORT" -udcp -pdcp -N -B -e "$1"; }
value="fixture-$$-$RANDOM"
p "CREATE DATABASE IF NOT EXISTS fixture_test"
p "CREATE TABLE IF NOT EXISTS fixture_test.t (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(64))"
p "INSERT INTO fixture_test.t (v) VALUES ('$value')"
pos=$(p "SELECT @@gtid_binlog_pos")
got=$(r "SELECT MASTER_GTID_WAIT('$pos', 30)")
[ "$got" = "0" ] || { echo "replica did not reach $pos"; exit 1; }
seen=$(r "SELECT COUNT(*) FROM fixture_test.t WHERE v = '$value'")
[ "$seen" = "1" ] || { echo "expected the row on the replica, found $seen"; exit 1; }
echo "fixture pair: row replicated (primary port $DCP_TESTDB_PRIMARY_PORT, replica port $DCP_TESTDB_REPLICA_PORT)"
