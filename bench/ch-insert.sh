#!/bin/bash
# bench/ch-insert.sh: ch-insert against clickhouse-client, the same CDR rows
# into the same table (compose's telecom.cdr, twice), on one ClickHouse.
#
#   ch-insert -t telecom.cdr  JSON lines as csv2kafka --stdout writes them,
#                             converted by ch-insert to the column types
#                             (ISO times, booleans, nulls), HTTP, no gzip
#                             (its default for a loopback server),
#                             TabSeparated bodies (its default here)
#   ch-insert -f json         the same, JSONEachRow bodies
#   clickhouse-client --query "INSERT INTO telecom.cdr_client FORMAT
#                             JSONEachRow"  the same rows already in the form
#                             18.16's parser takes (converted by sed
#                             beforehand, not timed), native TCP protocol
#   ch-insert -r              that pre-converted file sent as it is
#   ch-insert -z 1            as the first, request bodies gzip-compressed
#                             (the default for a server on another machine)
#   curl --data-binary        the pre-converted file in one HTTP request:
#                             the floor of HTTP with JSONEachRow, what the
#                             server's own parsing takes
#
# The rows come from telco-gen (CUSTOMERS customers, DAYS days), the first
# ROWS of its CDRs.
#   ROWS=1000000 CUSTOMERS=20000 DAYS=3 bench/ch-insert.sh
set -u
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lib-clickhouse.sh
. "$TEST_DIR/lib-clickhouse.sh"

ROWS=${ROWS:-1000000}
CUSTOMERS=${CUSTOMERS:-20000}
DAYS=${DAYS:-3}
SCHEMA=$TOP/compose/init/clickhouse

command -v clickhouse-client >/dev/null || error "clickhouse-client is not installed"
echo "bench/ch-insert: generating CDRs ($CUSTOMERS customers, $DAYS days)"
telco-gen --seed 1 --customers "$CUSTOMERS" --days "$DAYS" -o gen >/dev/null ||
	error "telco-gen failed"
head -n $((ROWS + 1)) gen/telecom-cdr.csv >cdr.csv
ROWS=$(($(wc -l <cdr.csv) - 1))
csv2kafka --stdout cdr.csv >cdr.jsonl || error "csv2kafka --stdout failed"
# what clickhouse-client's JSONEachRow (18.16) takes: no nulls in String,
# 0/1 for UInt8, 'YYYY-MM-DD hh:mm:ss' for DateTime
sed -E 's/:null/:""/g; s/:true/:1/g; s/:false/:0/g;
	s/"([0-9]{4}-[0-9]{2}-[0-9]{2})T([0-9]{2}:[0-9]{2}:[0-9]{2})Z"/"\1 \2"/g' \
	cdr.jsonl >cdr.ch.jsonl
[ "$(wc -l <cdr.jsonl)" -eq "$ROWS" ] || error "wrong row count in cdr.jsonl"

echo "bench/ch-insert: starting ClickHouse"
ch_start >/dev/null || error "ClickHouse did not start"
ch_query_file "$SCHEMA/000-database.sql" || error "schema"
ch_query_file "$SCHEMA/010-events.sql" || error "schema"
ch_query "CREATE TABLE telecom.cdr_client AS telecom.cdr" || error "cdr_client"
ch_query "CREATE TABLE telecom.cdr_raw AS telecom.cdr" || error "cdr_raw"
ch_query "CREATE TABLE telecom.cdr_z1 AS telecom.cdr" || error "cdr_z1"
ch_query "CREATE TABLE telecom.cdr_curl AS telecom.cdr" || error "cdr_curl"
ch_query "CREATE TABLE telecom.cdr_json AS telecom.cdr" || error "cdr_json"

echo
printf '%-28s %10s %-6s %10s %16s %11s\n' program count unit time rate "peak RSS"
measure ours ch-insert -u "$CH_URL" -t telecom.cdr cdr.jsonl
o_s=$SECS o_r=$RSS_KB
row "ch-insert (converting)" "$ROWS" rows "$o_s" "$o_r"
measure json ch-insert -f json -u "$CH_URL" -t telecom.cdr_json cdr.jsonl
j_s=$SECS j_r=$RSS_KB
row "ch-insert -f json" "$ROWS" rows "$j_s" "$j_r"
measure client sh -c "clickhouse-client --host 127.0.0.1 --port $CH_TCP_PORT \
	--query 'INSERT INTO telecom.cdr_client FORMAT JSONEachRow' <cdr.ch.jsonl"
p_s=$SECS p_r=$RSS_KB
row "clickhouse-client (TCP)" "$ROWS" rows "$p_s" "$p_r"
measure raw ch-insert -r -u "$CH_URL" -t telecom.cdr_raw cdr.ch.jsonl
r_s=$SECS r_r=$RSS_KB
row "ch-insert -r (as they are)" "$ROWS" rows "$r_s" "$r_r"
measure z1 ch-insert -z 1 -u "$CH_URL" -t telecom.cdr_z1 cdr.jsonl
z_s=$SECS z_r=$RSS_KB
row "ch-insert -z 1 (gzip)" "$ROWS" rows "$z_s" "$z_r"
measure curl curl -sSf --data-binary @cdr.ch.jsonl -o /dev/null \
	"$CH_URL/?query=INSERT%20INTO%20telecom.cdr_curl%20FORMAT%20JSONEachRow"
f_s=$SECS f_r=$RSS_KB
row "curl (one HTTP request)" "$ROWS" rows "$f_s" "$f_r"

# Correctness beside the speed: the tables hold the same rows.
sig="count(), uniqExact(cdr_id), sum(duration_s), sum(charge), sum(answered),
	sum(toUInt32(start_time)), uniqExact(other_msisdn)"
a=$(ch_query "SELECT $sig FROM telecom.cdr FORMAT TSV")
b=$(ch_query "SELECT $sig FROM telecom.cdr_client FORMAT TSV")
c=$(ch_query "SELECT $sig FROM telecom.cdr_raw FORMAT TSV")
d=$(ch_query "SELECT $sig FROM telecom.cdr_z1 FORMAT TSV")
e=$(ch_query "SELECT $sig FROM telecom.cdr_curl FORMAT TSV")
g=$(ch_query "SELECT $sig FROM telecom.cdr_json FORMAT TSV")
echo
echo "rows, ids, sums:  ch-insert   $a"
echo "                  client      $b"
echo "                  ch-insert -r $c"
echo "                  ch-insert -z 1 $d"
echo "                  curl        $e"
echo "                  ch-insert -f json $g"
[ "$a" = "$b" ] && [ "$a" = "$c" ] && [ "$a" = "$d" ] && [ "$a" = "$e" ] && [ "$a" = "$g" ] ||
	echo "THE TABLES DIFFER"
echo "ch-insert/clickhouse-client rows/s ratio:     $(ratio "$p_s" "$o_s") (goal >= 0.9)"
echo "ch-insert -f json/clickhouse-client rows/s ratio: $(ratio "$p_s" "$j_s")"
echo "ch-insert -r/clickhouse-client rows/s ratio:  $(ratio "$p_s" "$r_s")"
echo "ch-insert -z 1/clickhouse-client rows/s ratio: $(ratio "$p_s" "$z_s")"
echo "curl/clickhouse-client rows/s ratio:          $(ratio "$p_s" "$f_s")"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "peak RSS: ch-insert $(ratio "$o_r" 1024) MB, clickhouse-client $(ratio "$p_r" 1024) MB, ch-insert -r $(ratio "$r_r" 1024) MB"
