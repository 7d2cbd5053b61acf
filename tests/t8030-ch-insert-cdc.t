#!/bin/bash
test_description='ch-insert: change records of PostgreSQL and MySQL stored exactly once, through kill -9 and restarts'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lib-clickhouse.sh"
. "$TEST_DIR/lib-pg.sh"

KILLS=10
SQ=\'
count() { ch_query "SELECT count() FROM t83.$1"; }

# pg_stream SNAPSHOT TXNS: change records as pgcdc2jsonl writes them: a
# snapshot of SNAPSHOT rows that all carry the consistent point as lsn, then
# TXNS transactions in commit order whose changes have LSNs in another order
# (some below the consistent point: begun before it), each of 1 to 5 rows,
# those of every 7th transaction sharing one LSN (a multi-row insert).
# after.id is unique per record.
pg_stream() {
	jq -nc --argjson n "$1" --argjson t "$2" '
	def rec($id; $op; $lsn; $seq; $row; $snap; $tx):
		{before: null, after: {id: $id, v: "v\($id)"},
		 source: {connector: "postgresql", name: "pg", db: "billing",
			schema: "public", table: "t", lsn: $lsn, txId: $tx,
			snapshot: $snap, ts_ms: 0, sequence: $seq, row: $row},
		 op: $op, ts_ms: 0, transaction: null};
	5000000 as $C |
	(range(0; $n) | rec(. + 1; "r"; $C; "[null,\"\($C)\"]"; .;
		(if . == $n - 1 then "last" else "true" end); null)),
	(range(0; $t) as $k | (6000000 + $k * 1000) as $commit |
		(4950000 + (($k * 7919) % $t) * 200) as $base |
		range(0; 1 + $k % 5) as $j |
		($base + (if $k % 7 == 0 then 0 else $j * 8 end)) as $lsn |
		rec($n + $k * 5 + $j + 1; "c"; $lsn; "[\"\($commit)\",\"\($lsn)\"]";
			$j; "false"; 1000 + $k))'
}

# my_stream SNAPSHOT TXNS: as binlog2jsonl writes them: a snapshot at
# binlog.999999:4, rows numbered; transactions from that same position on,
# into binlog.1000000 past the middle (a name one digit longer).
my_stream() {
	jq -nc --argjson n "$1" --argjson t "$2" '
	def rec($id; $op; $file; $pos; $row; $snap):
		{before: null, after: {id: $id, v: "v\($id)"},
		 source: {version: "0.1.0", connector: "mysql", name: "my",
			ts_ms: 0, snapshot: $snap, db: "crm", table: "t",
			server_id: 1, gtid: null, file: $file, pos: $pos, row: $row},
		 op: $op, ts_ms: 0, transaction: null};
	(range(0; $n) | rec(. + 1; "r"; "binlog.999999"; 4; .;
		(if . == $n - 1 then "last" else "true" end))),
	(range(0; $t) as $k |
		(if $k < ($t / 2 | floor) then ["binlog.999999", 4 + $k * 900]
		 else ["binlog.1000000", 4 + ($k - ($t / 2 | floor)) * 900] end) as $fp |
		range(0; 1 + $k % 5) as $j |
		rec($n + $k * 5 + $j + 1; "c"; $fp[0]; $fp[1]; $j; "false"))'
}

# with_resend FILE FROM TO AFTER: FILE's records with the transactions
# FROM..TO (by their position in the input) written again after
# transaction AFTER, as a reconnected source sends what was not confirmed
with_resend() {
	awk -v from="$2" -v to="$3" -v after="$4" '
		{ key = $0; sub(/"op":.*/, "", key); sub(/.*"(txId|pos)":/, "", key)
		  sub(/,.*/, "", key) }
		/"snapshot":"(true|last)"/ { print; next }
		key != last { if (txn == after) for (i = 0; i < nr; i++) print re[i]
			txn++; last = key }
		txn >= from && txn <= to { re[nr++] = $0 }
		{ print }
		END { if (txn <= after) for (i = 0; i < nr; i++) print re[i] }' "$1"
}

mktable() { # name, position columns
	ch_query "CREATE TABLE t83.$1 (id UInt64, v String, op String, $2)
		ENGINE = MergeTree ORDER BY id"
}

# kill_at PID TABLE TARGET: kill -9 PID once TABLE holds TARGET rows (or
# when it has ended); says whether it was still running
kill_at() {
	while kill -0 "$1" 2>/dev/null && [ "$(count "$2")" -lt "$3" ]; do
		sleep 0.02
	done
	if kill -9 "$1" 2>/dev/null; then echo killed; else echo ended; fi
	wait "$1" 2>/dev/null || :
}

# runs TABLE INPUT UNIQUE: ch-insert on INPUT, killed at random points
# KILLS times; every other restart takes an older checkpoint back, as when
# the crash came between an insert and its checkpoint; then a run to the
# end. The table must hold each of the UNIQUE records once.
runs() {
	_t=$1 _in=$2 _n=$3 _k=0 _i=0
	: >"kills.$_t"
	while [ $_i -lt $KILLS ]; do
		_have=$(count "$_t")
		[ "$_have" -lt "$_n" ] || break
		_target=$((_have + 1 + RANDOM % ((_n - _have) / 3 + 1)))
		{ ch-insert -u "$CH_URL" -t "t83.$_t" -c "ck.$_t" -b $((20 + RANDOM % 300)) \
			-T 20 -R 30s "$_in" 2>>"err.$_t" & } &&
		_pid=$! &&
		kill_at "$_pid" "$_t" "$_target" >>"kills.$_t" || return 1
		if [ $((_i % 2)) = 1 ] && [ -f "ck.$_t.old" ]; then
			cp "ck.$_t.old" "ck.$_t" || return 1
		elif [ -f "ck.$_t" ]; then
			cp "ck.$_t" "ck.$_t.old" || return 1
		fi
		_i=$((_i + 1))
	done
	say "$_t: $(grep -c killed "kills.$_t") of $_i runs killed mid-run"
	ch-insert -u "$CH_URL" -t "t83.$_t" -c "ck.$_t" -R 30s -s 1h "$_in" 2>"last.$_t" || {
		cat "last.$_t"; return 1; }
	ch_query "SELECT count(), uniqExact(id), sum(id) FROM t83.$_t FORMAT TSV" >got &&
	printf "%s\t%s\t%s\n" "$_n" "$_n" "$(jq -s "map(.after.id) | unique | add" "$_in")" >want &&
	test_cmp want got
}

test_expect_success 'start ClickHouse' '
	ch_start &&
	ch_query "CREATE DATABASE t83" &&
	mktable pg "source_name String, source_db String, source_lsn UInt64,
		source_txId UInt64, source_sequence String, source_row UInt64,
		source_snapshot String" &&
	mktable pg2 "source_name String, source_db String, source_lsn UInt64,
		source_txId UInt64, source_sequence String, source_row UInt64,
		source_snapshot String" &&
	mktable my "source_name String, source_file String, source_pos UInt64,
		source_row UInt32, source_snapshot String"
'

test_expect_success 'PostgreSQL records: a snapshot on one lsn, changes in commit order' '
	pg_stream 10000 1500 >pg.plain &&
	n=$(wc -l <pg.plain) &&
	test "$(jq -r .after.id pg.plain | sort -u | wc -l)" = "$n" &&
	# the input is what the test claims: one lsn in the snapshot, LSNs out of order
	test "$(jq -r "select(.op == \"r\") | .source.lsn" pg.plain | sort -u | wc -l)" = 1 &&
	jq -r "select(.op == \"c\") | .source.lsn" pg.plain >lsns &&
	test "$(sort -n lsns | cmp -s - lsns && echo sorted)" != sorted &&
	test "$(awk "\$1 < 5000000" lsns | wc -l)" -gt 0 &&
	with_resend pg.plain 600 700 900 >pg.jsonl &&
	test "$(wc -l <pg.jsonl)" -gt "$n" &&
	echo "$n" >n.pg &&
	ch-insert -u "$CH_URL" -t t83.pg2 -R 30s -s 1h pg.jsonl 2>err &&
	test_grep "\"rows_out\":$n," err &&
	ch_query "SELECT count(), uniqExact(id) FROM t83.pg2 FORMAT TSV" >got &&
	printf "%s\t%s\n" "$n" "$n" >want && test_cmp want got
'

test_expect_success 'PostgreSQL records: killed and restarted at random points, each stored once' '
	runs pg pg.jsonl "$(cat n.pg)" &&
	jq -r ".streams[\"postgresql:pg:billing\"] | [.sequence, .row] | @tsv" ck.pg >got &&
	tail -n 1 pg.plain | jq -r ".source | [.sequence, .row] | @tsv" >want &&
	test_cmp want got
'

test_expect_success 'PostgreSQL records: a replay stores nothing, with or without a checkpoint' '
	ch-insert -u "$CH_URL" -t t83.pg -c ck.pg -s 1h pg.jsonl 2>err &&
	test_grep "\"rows_out\":0,.*\"rows_skipped\":$(wc -l <pg.jsonl)" err &&
	ch-insert -u "$CH_URL" -t t83.pg -s 1h pg.jsonl 2>err &&
	test_grep "\"rows_out\":0," err &&
	test "$(count pg)" = "$(cat n.pg)"
'

test_expect_success 'MySQL records: snapshot rows, a binlog name one digit longer, kills' '
	my_stream 10000 1500 >my.plain &&
	n=$(wc -l <my.plain) &&
	test "$(jq -r "select(.op == \"r\") | .source.pos" my.plain | sort -u)" = 4 &&
	test "$(jq -r "select(.op == \"c\") | .source.pos" my.plain | head -n 1)" = 4 &&
	test_grep "binlog.1000000" my.plain &&
	with_resend my.plain 700 800 1000 >my.jsonl &&
	test "$(wc -l <my.jsonl)" -gt "$n" &&
	runs my my.jsonl "$n" &&
	ch-insert -u "$CH_URL" -t t83.my -s 1h my.jsonl 2>err &&
	test_grep "\"rows_out\":0," err &&
	test "$(count my)" = "$n"
'

cat >a1.sql <<'EOF'
begin;
insert into t select g, 'a' from generate_series(100001, 100050) g;
EOF
cat >a2.sql <<'EOF'
insert into t select g, 'a' from generate_series(100051, 100060) g;
commit;
EOF
cat >b.sql <<'EOF'
begin;
insert into t select g, 'b' from generate_series(200001, 200040) g;
update t set v = 'b2' where id between 1 and 30;
commit;
EOF
idle_in_txn() {
	[ "$(pg_q shop "select count(*) from pg_stat_activity where state = 'idle in transaction'")" = 1 ]
}

test_expect_success 'real PostgreSQL: snapshot, interleaved transactions, a COPY, through pgcdc2jsonl' '
	pg_start &&
	pg -c "create database shop" &&
	pg -d shop -c "create table t (id int primary key, v text)" &&
	seq 1 3000 | sed "s/$/\tsnap/" | pg -d shop -c "copy t from stdin" &&
	pgcdc2jsonl -d dbname=shop -s s1 --create -e >pg1.jsonl 2>pgcdc.err &&
	test "$(jq -r "select(.op == \"r\") | .source.lsn" pg1.jsonl | sort -u | wc -l)" = 1 &&
	mkfifo a.in &&
	{ psql -X -q -v ON_ERROR_STOP=1 -d shop <a.in >a.out 2>&1 & } &&
	apid=$! &&
	exec 7>a.in &&
	cat a1.sql >&7 &&
	wait_until 30 "session A in its transaction" idle_in_txn &&
	pg -d shop -f b.sql &&
	seq 300001 300500 | sed "s/$/\tcopy/" | pg -d shop -c "copy t from stdin" &&
	cat a2.sql >&7 &&
	exec 7>&- &&
	wait $apid &&
	ch_query "CREATE TABLE t83.real (id Int32, v String, op String,
		source_name String, source_db String, source_lsn UInt64,
		source_txId UInt64, source_sequence String, source_row UInt64,
		source_snapshot String) ENGINE = MergeTree ORDER BY id" &&
	pgcdc2jsonl -d dbname=shop -s s1 -e >pg2.jsonl 2>>pgcdc.err &&
	# what makes lsn alone fail: a change below one written before it,
	# changes of one WAL record sharing their lsn
	jq -r .source.lsn pg2.jsonl >lsns &&
	test "$(awk "NR > 1 && \$1 < max { n++ } \$1 > max { max = \$1 } END { print n + 0 }" lsns)" -gt 0 &&
	test "$(sort lsns | uniq -d | wc -l)" -gt 0 &&
	cat pg1.jsonl pg2.jsonl >real.jsonl &&
	wc -l <real.jsonl >n.real &&
	test "$(cat n.real)" = $((3000 + 60 + 40 + 30 + 500)) &&
	head -n 2000 real.jsonl | ch-insert -u "$CH_URL" -t t83.real -c ck.real -b 300 &&
	{ ch-insert -u "$CH_URL" -t t83.real -c ck.real -b 170 -T 20 real.jsonl & } &&
	pid=$! &&
	kill_at $pid real 2600 &&
	ch-insert -u "$CH_URL" -t t83.real -c ck.real -s 1h real.jsonl 2>err &&
	ch_query "SELECT count() FROM t83.real FORMAT TSV" >got &&
	cat n.real >want && test_cmp want got &&
	ch_query "SELECT id, v FROM t83.real WHERE op != ${SQ}u${SQ} ORDER BY id FORMAT TSV" >got &&
	pg_q shop "select id, case when id <= 30 then ${SQ}snap${SQ} else v end from t order by id" >want &&
	test_cmp want got &&
	ch_query "SELECT id, v FROM t83.real WHERE op = ${SQ}u${SQ} ORDER BY id FORMAT TSV" >got &&
	pg_q shop "select id, v from t where id <= 30 order by id" >want &&
	test_cmp want got
'

confirmed() { pg_q shop "select confirmed_flush_lsn - '0/0'::pg_lsn from pg_replication_slots where slot_name = 's2'"; }

test_expect_success 'real PostgreSQL: --ack-from confirms a COPY only once its last row is stored' '
	pgcdc2jsonl -d dbname=shop -s s2 -p s1 --create --snapshot never -e >/dev/null 2>>pgcdc.err &&
	seq 400001 400500 | sed "s/$/\tack/" | pg -d shop -c "copy t from stdin" &&
	pgcdc2jsonl -d dbname=shop -s s2 -p s1 -e --ack-from ck.ack >ack.jsonl 2>>pgcdc.err &&
	test "$(wc -l <ack.jsonl)" = 500 &&
	commit=$(tail -n 1 ack.jsonl | jq -r ".source.sequence | fromjson | .[0]") &&
	test "$(confirmed)" -le "$commit" &&
	# the last two records share their lsn (one WAL record of the COPY)
	test "$(tail -n 2 ack.jsonl | jq -r .source.lsn | uniq | wc -l)" = 1 &&
	ch_query "CREATE TABLE t83.ack AS t83.real" &&
	head -n 499 ack.jsonl | ch-insert -u "$CH_URL" -t t83.ack -c ck.ack &&
	jq -e ".streams[\"postgresql:shop:shop\"].row == 498" ck.ack &&
	pgcdc2jsonl -d dbname=shop -s s2 -p s1 -e --ack-from ck.ack >ack2.jsonl 2>>pgcdc.err &&
	test "$(confirmed)" -le "$commit" &&
	test "$(wc -l <ack2.jsonl)" = 500 &&
	ch-insert -u "$CH_URL" -t t83.ack -c ck.ack ack2.jsonl &&
	pgcdc2jsonl -d dbname=shop -s s2 -p s1 -e --ack-from ck.ack >ack3.jsonl 2>>pgcdc.err &&
	test "$(confirmed)" -gt "$commit" &&
	test "$(count ack)" = 500
'

test_done
