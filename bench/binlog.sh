#!/bin/bash
# bench/binlog.sh: binlog2jsonl against mariadb-binlog, decoding the same
# binlog range of one MariaDB 10.11 from the server.
#
# Workload: ROWS rows inserted, then each updated once (2 x ROWS row
# changes), in transactions of BATCH rows. Then, from the first binlog file
# to the end:
#   binlog2jsonl --start FILE:4 -e       one JSON line per row change
#   mariadb-binlog --read-from-remote-server --verbose
#     --base64-output=decode-rows FILE...  its text, a "### INSERT/UPDATE"
#                                          block per row
#   ROWS=100000 BATCH=1000 bench/binlog.sh
set -u
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lib-mysql.sh
. "$TEST_DIR/lib-mysql.sh"

ROWS=${ROWS:-100000}
BATCH=${BATCH:-1000}

command -v mariadb-binlog >/dev/null || error "mariadb-binlog is not installed"
echo "bench/binlog: starting MariaDB"
my_start >/dev/null || error "MariaDB did not start"
my -e "CREATE DATABASE crm; CREATE TABLE crm.payments (id INT PRIMARY KEY,
	customer_id VARCHAR(20), amount DECIMAL(10,2), method VARCHAR(20),
	status VARCHAR(20), created_at DATETIME, note VARCHAR(64))" ||
	error "create table"
first=$(my_q crm "SHOW BINARY LOGS" | head -n 1 | cut -f1)

echo "bench/binlog: workload: $ROWS inserts and $ROWS updates, $BATCH rows a transaction"
awk -v n="$ROWS" -v b="$BATCH" 'BEGIN {
	q = "\047"
	for (i = 1; i <= n; i += b) {
		printf "INSERT INTO crm.payments VALUES "
		for (j = i; j < i + b && j <= n; j++)
			printf "%s(%d,%sC%06d%s,%d.%02d,%scard%s,%spending%s,%s2026-11-01 08:15:02%s,%s%s%s)",
				(j > i ? "," : ""), j, q, j % 100000, q, j % 500, j % 100, q, q, q, q, q, q,
				q, substr("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 1, j % 40), q
		print ";"
	}
	for (i = 1; i <= n; i += b)
		printf "UPDATE crm.payments SET status = %sdone%s, amount = amount + 1 WHERE id BETWEEN %d AND %d;\n",
			q, q, i, (i + b - 1 < n ? i + b - 1 : n)
}' >workload.sql
my crm <workload.sql || error "workload failed"
my -e "FLUSH BINARY LOGS" || error "flush logs"
my_q crm "SHOW BINARY LOGS" | cut -f1 >logs
# the range: every file of the workload (the new empty one left out)
files=$(head -n -1 logs | tr '\n' ' ')
changes=$((2 * ROWS))

echo
printf '%-28s %10s %-6s %10s %16s %11s\n' program count unit time rate "peak RSS"
measure ours sh -c "binlog2jsonl -h 127.0.0.1 -P $MYSQL_PORT -u root \
	--snapshot=never --start=$first:4 -e >ours.jsonl"
o_s=$SECS o_r=$RSS_KB o_c=$CPU
row "binlog2jsonl -e" "$changes" rows "$o_s" "$o_r"
# shellcheck disable=SC2086 # the file names, split on purpose
measure peer sh -c "mariadb-binlog --read-from-remote-server -h 127.0.0.1 \
	-P $MYSQL_PORT -u root --verbose --base64-output=decode-rows $files >peer.txt"
p_s=$SECS p_r=$RSS_KB p_c=$CPU
row "mariadb-binlog -v (remote)" "$changes" rows "$p_s" "$p_r"

# The same two runs with their output read through a pipe, as in a
# pipeline (binlog2jsonl | produce): the cost of writing the output to a
# file, which grows with its size, left out for both.
# shellcheck disable=SC2086
measure ours-pipe sh -c "binlog2jsonl -h 127.0.0.1 -P $MYSQL_PORT -u root \
	--snapshot=never --start=$first:4 -e | wc -c >ours.bytes"
op_s=$SECS op_r=$RSS_KB op_c=$CPU
row "binlog2jsonl -e | wc -c" "$changes" rows "$op_s" "$op_r"
# shellcheck disable=SC2086
measure peer-pipe sh -c "mariadb-binlog --read-from-remote-server -h 127.0.0.1 \
	-P $MYSQL_PORT -u root --verbose --base64-output=decode-rows $files | wc -c >peer.bytes"
pp_s=$SECS pp_r=$RSS_KB pp_c=$CPU
row "mariadb-binlog -v | wc -c" "$changes" rows "$pp_s" "$pp_r"
[ "$(cat ours.bytes)" -eq "$(wc -c <ours.jsonl)" ] ||
	error "binlog2jsonl wrote $(cat ours.bytes) bytes into the pipe, $(wc -c <ours.jsonl) into the file"
echo "mariadb-binlog wrote $(cat peer.bytes) bytes into the pipe, $(wc -c <peer.txt) into the file"
n1=$(grep -c '"op":"[cu]"' ours.jsonl)
n2=$(grep -c '^### \(INSERT\|UPDATE\)' peer.txt)
echo
echo "row changes written: binlog2jsonl=$n1 mariadb-binlog=$n2 (expected $changes each)"
echo "binlog2jsonl/mariadb-binlog rows/s ratio, output to a file: $(ratio "$p_s" "$o_s"), to a pipe: $(ratio "$pp_s" "$op_s") (goal >= 2)"
echo "CPU seconds to a file: binlog2jsonl $o_c, mariadb-binlog $p_c (ratio $(ratio "$p_c" "$o_c"))"
echo "CPU seconds to a pipe: binlog2jsonl $op_c, mariadb-binlog $pp_c (ratio $(ratio "$pp_c" "$op_c"))"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "bytes written: binlog2jsonl $(wc -c <ours.jsonl), mariadb-binlog $(wc -c <peer.txt)"
echo "peak RSS: binlog2jsonl $(ratio "$o_r" 1024) MB, mariadb-binlog $(ratio "$p_r" 1024) MB"
