#!/bin/bash
test_description='ch-insert: server stopped and restarted, retry limits, signals, uncertain inserts'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lib-clickhouse.sh"

# gen FIRST LAST [PARTITION]: records with _kafka positions (offset = id)
gen() {
	awk -v a="$1" -v b="$2" -v p="${3:-0}" 'BEGIN { for (i = a; i <= b; i++)
		printf "{\"id\":%d,\"v\":\"r%d\",\"_kafka\":{\"topic\":\"t\",\"partition\":%d,\"offset\":%d}}\n", i, i, p, i }'
}
count() { ch_query "SELECT count() FROM t8s.$1"; }
has_rows() { [ "$(count "$1")" = "$2" ]; }
# catches_usr1 PID: PID has its SIGUSR1 handler in place (SigCgt bit 10)
catches_usr1() {
	_m=$(awk '/^SigCgt:/ { print $2 }' "/proc/$1/status") &&
	[ $((0x$_m & 0x200)) -ne 0 ]
}
mktable() {
	ch_query "CREATE TABLE t8s.$1 (id UInt32, v String, _kafka_topic String,
		_kafka_partition Int32, _kafka_offset Int64)
		ENGINE = MergeTree PARTITION BY intDiv(id, 1000) ORDER BY id"
}

test_expect_success 'start ClickHouse' '
	ch_start &&
	ch_query "CREATE DATABASE t8s" &&
	mktable a && mktable b && mktable c && mktable d && mktable e &&
	mktable f && mktable g
'

test_expect_success 'server stopped during a run: ch-insert waits, resumes, loses nothing' '
	gen 1 5000 >part1 && gen 5001 10000 >part2 &&
	mkfifo in1 &&
	{ { ch-insert -u "$CH_URL" -t t8s.a -c ck.a -T 50 -R 60s <in1 2>err.a
	    echo $? >rc.a; } & } &&
	pid=$! &&
	exec 3>in1 &&
	cat part1 >&3 &&
	wait_until 60 "the first half stored" has_rows a 5000 &&
	ch_stop &&
	# ch-insert reads no more while it retries: the writer must not block us
	{ cat part2 >&3 & } && writer=$! &&
	wait_until 60 "ch-insert retrying" grep -q "retrying" err.a &&
	ch_start_again &&
	wait $writer &&
	exec 3>&- &&
	wait $pid &&
	{ test "$(cat rc.a)" = 0 || { cat err.a; false; }; } &&
	ch_query "SELECT count(), uniqExact(id), sum(id) FROM t8s.a FORMAT TSV" >got &&
	echo "10000	10000	50005000" >want && test_cmp want got &&
	jq -c .streams ck.a >got &&
	echo "{\"kafka:t:0\":{\"offset\":10000,\"partition\":0,\"topic\":\"t\"}}" >want &&
	test_cmp want got
'

test_expect_success 'after the retry time, exit 75 with the checkpoint intact' '
	gen 1 100 | ch-insert -u "$CH_URL" -t t8s.b -c ck.b -R 30s &&
	cp ck.b ck.b.before &&
	gen 101 200 >more &&
	mkfifo in3 &&
	{ { ch-insert -u "$CH_URL" -t t8s.b -c ck.b -R 1s -T 50 <in3 2>err
	    echo $? >rc.b; } & } &&
	pid=$! &&
	exec 5>in3 &&
	wait_until 10 "ch-insert running" pgrep -P $pid -x ch-insert &&
	wait_until 20 "ch-insert past DESCRIBE" catches_usr1 "$(pgrep -P $pid -x ch-insert)" &&
	ch_stop &&
	cat more >&5 &&
	exec 5>&- &&
	wait $pid &&
	{ test "$(cat rc.b)" = 75 || { cat err; false; }; } &&
	test_grep "gave up after" err &&
	test_cmp ck.b.before ck.b &&
	test_must_fail --status=69 ch-insert -u "$CH_URL" -t t8s.b -c ck.b -R 1s more 2>err &&
	test_grep "gave up after" err &&
	test_cmp ck.b.before ck.b &&
	ch_start_again &&
	ch-insert -u "$CH_URL" -t t8s.b -c ck.b -R 30s more &&
	ch_query "SELECT count(), uniqExact(id) FROM t8s.b FORMAT TSV" >got &&
	echo "200	200" >want && test_cmp want got
'

test_expect_success 'SIGTERM: stop reading, flush the batch, checkpoint, exit 0' '
	mkfifo in2 &&
	{ { ch-insert -u "$CH_URL" -t t8s.c -c ck.c -T 1h -R 30s <in2 2>err.c
	    echo $? >rc.c; } & } &&
	pid=$! &&
	exec 4>in2 &&
	gen 1 300 >&4 &&
	wait_until 10 "ch-insert running" pgrep -P $pid -x ch-insert &&
	chpid=$(pgrep -P $pid -x ch-insert) &&
	wait_until 20 "ch-insert handling SIGUSR1" catches_usr1 $chpid &&
	wait_until 20 "the 300 records read and held in the batch" sh -c "
		kill -USR1 $chpid; grep -q rows_in.:300,.rows_out.:0, err.c" &&
	kill -TERM "$chpid" &&
	wait "$pid" &&
	exec 4>&- &&
	{ test "$(cat rc.c)" = 0 || { cat err.c; false; }; } &&
	has_rows c 300 &&
	jq -e ".streams[\"kafka:t:0\"].offset == 300" ck.c
'

test_expect_success 'an insert that succeeded but timed out is not stored twice' '
	ch_query "CREATE TABLE t8s.slow (id UInt32) ENGINE = Memory" &&
	ch_query "CREATE MATERIALIZED VIEW t8s.mv TO t8s.slow AS SELECT id + sleep(2) * 0 AS id FROM t8s.d" &&
	gen 1 1000 >slow.jsonl &&
	ch-insert -u "$CH_URL" -t t8s.d -c ck.d --timeout 1s -R 60s slow.jsonl 2>err &&
	test_grep "retrying" err &&
	ch_query "SELECT count(), uniqExact(id) FROM t8s.d FORMAT TSV" >got &&
	echo "1000	1000" >want && test_cmp want got
'

test_expect_success 'records at or below the checkpoint are skipped; restart without a checkpoint' '
	gen 1 500 >e.jsonl &&
	ch-insert -u "$CH_URL" -t t8s.e -c ck.e -R 30s e.jsonl &&
	ch-insert -u "$CH_URL" -t t8s.e -c ck.e -R 30s -s 1h e.jsonl 2>err &&
	test_grep "\"rows_skipped\":500" err &&
	gen 1 700 >e2.jsonl &&
	ch-insert -u "$CH_URL" -t t8s.e -R 30s -s 1h e2.jsonl 2>err &&
	test_grep "\"rows_out\":200,\"rows_rejected\":0,\"rows_skipped\":500" err &&
	ch_query "SELECT count(), uniqExact(id) FROM t8s.e FORMAT TSV" >got &&
	echo "700	700" >want && test_cmp want got
'

# ckpt_barrier FILE N: FILE is a checkpoint with "barrier":N
ckpt_barrier() { jq -e ".barrier == $2" "$1"; }

test_expect_success 'a barrier stores the batch held and checkpoints its number at once' '
	mkfifo inf &&
	{ { ch-insert -u "$CH_URL" -t t8s.f -c ck.f -b 1000 -T 1h -R 30s -s 1h \
		<inf 2>err.f; echo $? >rc.f; } & } &&
	pid=$! &&
	exec 6>inf &&
	gen 1 300 >&6 &&
	echo "{\"_barrier\":17}" >&6 &&
	wait_until 30 "the barrier checkpointed" ckpt_barrier ck.f 17 &&
	has_rows f 300 &&
	jq -c .streams ck.f >got &&
	echo "{\"kafka:t:0\":{\"offset\":300,\"partition\":0,\"topic\":\"t\"}}" >want &&
	test_cmp want got &&
	gen 301 1300 >&6 &&
	wait_until 30 "the next full batch checkpointed" \
		jq -e ".streams[\"kafka:t:0\"].offset == 1300" ck.f &&
	ckpt_barrier ck.f 17 &&
	echo "{\"_barrier\":3,\"x\":1}" >&6 &&
	exec 6>&- &&
	wait $pid &&
	{ test "$(cat rc.f)" = 0 || { cat err.f; false; }; } &&
	test_grep "\"rows_in\":1301,\"rows_out\":1301,.*\"barriers\":1," err.f &&
	ch_query "SELECT count(), countIf(id = 0), uniqExact(id) FROM t8s.f FORMAT TSV" >got &&
	echo "1301	1	1301" >want && test_cmp want got &&
	ckpt_barrier ck.f 17 &&
	gen 1301 1400 | ch-insert -u "$CH_URL" -t t8s.f -c ck.f -R 30s &&
	jq -c "[.barrier, .streams[\"kafka:t:0\"].offset]" ck.f >got &&
	echo "[17,1400]" >want && test_cmp want got &&
	jq -e "has(\"barrier\") | not" ck.a
'

test_expect_success 'a barrier without -c only sends the batch' '
	mkfifo ing &&
	{ { ch-insert -u "$CH_URL" -t t8s.g -b 1000 -T 1h -R 30s <ing 2>err.g
	    echo $? >rc.g; } & } &&
	pid=$! &&
	exec 7>ing &&
	gen 1 200 >&7 &&
	echo "{ \"_barrier\": 0 }" >&7 &&
	wait_until 30 "the batch before the barrier stored" has_rows g 200 &&
	gen 201 250 >&7 &&
	exec 7>&- &&
	wait $pid &&
	{ test "$(cat rc.g)" = 0 || { cat err.g; false; }; } &&
	has_rows g 250
'

test_done
