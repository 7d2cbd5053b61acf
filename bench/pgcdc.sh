#!/bin/bash
# bench/pgcdc.sh: pgcdc2jsonl against pg_recvlogical with wal2json
# (format-version=2), decoding the same slot history on one PostgreSQL 15.
#
# Both slots are made before the workload: ROWS rows inserted, then each
# updated once (2 x ROWS changes), in transactions of BATCH rows. Then each
# program decodes its slot from the start to the WAL end of the workload,
# into a file:
#   pgcdc2jsonl -e            Debezium's envelope, one line per change
#   pg_recvlogical --endpos   wal2json, one line per change (and one per
#                             BEGIN and COMMIT)
#   ROWS=100000 BATCH=1000 bench/pgcdc.sh
set -u
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lib-pg.sh
. "$TEST_DIR/lib-pg.sh"

ROWS=${ROWS:-100000}
BATCH=${BATCH:-1000}

command -v pg_recvlogical >/dev/null || error "pg_recvlogical is not installed"
echo "bench/pgcdc: starting PostgreSQL"
pg_start >/dev/null || error "PostgreSQL did not start"
# wal2json must be allowed as an output plugin where the server restricts them
pg -c "ALTER SYSTEM SET output_plugin_libraries = 'wal2json'" >/dev/null 2>&1 &&
	pg -c "SELECT pg_reload_conf()" >/dev/null
pg -c "CREATE DATABASE bench" >/dev/null || error "create database"
pg -d bench -c "CREATE TABLE payments (id int PRIMARY KEY, customer_id text,
	amount numeric(10,2), method text, status text, created_at timestamptz,
	note text)" >/dev/null || error "create table"
pgcdc2jsonl -d dbname=bench -s ours --create --snapshot never -e >/dev/null 2>&1 ||
	error "pgcdc2jsonl could not create its slot"
pg_recvlogical -d bench --slot peer --create-slot -P wal2json 2>/dev/null ||
	error "pg_recvlogical could not create a wal2json slot"

echo "bench/pgcdc: workload: $ROWS inserts and $ROWS updates, $BATCH rows a transaction"
awk -v n="$ROWS" -v b="$BATCH" 'BEGIN {
	for (i = 1; i <= n; i += b)
		printf "INSERT INTO payments SELECT g, %sC%%06s%s || g %% 100000, (g %% 50000) / 100.0, %scard%s, %spending%s, now(), repeat(%sx%s, g %% 40) FROM generate_series(%d, %d) g;\n",
			"\047", "\047", "\047", "\047", "\047", "\047", "\047", "\047", i, (i + b - 1 < n ? i + b - 1 : n)
	for (i = 1; i <= n; i += b)
		printf "UPDATE payments SET status = %sdone%s, amount = amount + 1 WHERE id BETWEEN %d AND %d;\n",
			"\047", "\047", i, (i + b - 1 < n ? i + b - 1 : n)
}' >workload.sql
pg -d bench -f workload.sql >/dev/null || error "workload failed"
end=$(pg_q bench "SELECT pg_current_wal_lsn()")
changes=$((2 * ROWS))

echo
printf '%-28s %10s %-6s %10s %16s %11s\n' program count unit time rate "peak RSS"
measure ours sh -c "pgcdc2jsonl -d dbname=bench -s ours -e >ours.jsonl"
o_s=$SECS o_r=$RSS_KB
row "pgcdc2jsonl -e" "$changes" chg "$o_s" "$o_r"
measure peer pg_recvlogical -d bench --slot peer --start --endpos="$end" \
	-o format-version=2 -o include-timestamp=1 --no-loop -f peer.jsonl
p_s=$SECS p_r=$RSS_KB
row "pg_recvlogical wal2json v2" "$changes" chg "$p_s" "$p_r"

n1=$(grep -c '"op":"[cu]"' ours.jsonl)
n2=$(grep -c '"action":"[IU]"' peer.jsonl)
echo
echo "changes written: pgcdc2jsonl=$n1 pg_recvlogical=$n2 (expected $changes each)"
echo "pgcdc2jsonl/pg_recvlogical changes/s ratio:  $(ratio "$p_s" "$o_s") (goal >= 1.5)"
echo "bytes written: pgcdc2jsonl $(wc -c <ours.jsonl), pg_recvlogical $(wc -c <peer.jsonl)"
echo "peak RSS: pgcdc2jsonl $(ratio "$o_r" 1024) MB, pg_recvlogical $(ratio "$p_r" 1024) MB"
