#!/bin/bash
test_description='csv2kafka and consume when a process or the broker dies half-way'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lib-kafka.sh"

# A file of 300,000 rows, each with its number: U0000001 ... U0300000.
ROWS=300000
awk -v n=$ROWS 'BEGIN {
	print "usage_id,customer_id,event_time,units"
	for (i = 1; i <= n; i++)
		printf "U%07d,C%05d,2026-11-01T00:%02d:%02dZ,%d\n", i, i % 5000, (i / 60) % 60, i % 60, i
}' >big.csv
# The first 100,000 of them for the broker's outage.
head -n 100001 big.csv >mid.csv

# Slow enough that there is a middle to stop it in: small batches, a
# linger between them (the behaviour on failure is the same at any speed).
SLOW="-X queue.buffering.max.messages=1024 -X linger.ms=20"
SLOWER="-X queue.buffering.max.messages=1024 -X linger.ms=50"

# ids TOPIC: the row numbers in TOPIC, one a line, sorted, with repeats.
ids() {
	kcat -b "$KAFKA_BROKERS" -C -t "$1" -e -q -f '%s\n' |
		sed -n 's/^{"usage_id":"U0*\([0-9]*\)".*/\1/p' | sort -n
}
# ends TOPIC: the end offsets of the partitions of TOPIC (3 partitions).
ends() {
	kcat -b "$KAFKA_BROKERS" -Q -t "$1:0:-1" -t "$1:1:-1" -t "$1:2:-1"
}
# recs FROM TO: change records with positions lsn FROM..TO.
recs() {
	seq "$1" "$2" | sed 's/.*/{"id":"k&","source":{"connector":"postgresql","name":"p","db":"d","lsn":&,"txId":&}}/'
}
ck_lsn() { jq -e ".streams[].lsn == $2" "$1"; }
export -f ck_lsn
ck_rows() { jq -e ".streams[].rows >= $2" "$1"; }
export -f ck_rows

# This script stops and starts its broker: a cluster of its own.
# Its broker session timeout short, so that a node killed with -9 is back
# in seconds (the controller lets the old session expire first).
test_expect_success 'a Kafka node of this script' '
	kafka_start 1 &&
	printf "broker.session.timeout.ms=2000\nbroker.heartbeat.interval.ms=500\n" \
		>>"$KAFKA_DIR/node1/server.properties"
'

K=$(unique kill9)
test_expect_success 'kill -9 half-way, rerun on the checkpoint: no row lost' '
	kafka_topic "$K" 3 &&
	{ csv2kafka -b "$KAFKA_BROKERS" -k customer_id -t "$K" --checkpoint k.ck \
		--checkpoint-interval 100ms $SLOW big.csv 2>k1.err & } && pid=$! &&
	test_atexit "kill -9 $pid" &&
	wait_until 60 "100000 rows acknowledged" ck_rows k.ck 100000 &&
	kill -9 $pid &&
	{ wait $pid; test $? = 137; } &&
	jq -e ".streams[].done == false" k.ck &&
	R=$(jq ".streams[].rows" k.ck) &&
	MAX=$(jq ".streams[].sent_max" k.ck) &&
	test "$R" -lt $ROWS &&
	ids "$K" >first.ids &&
	csv2kafka -b "$KAFKA_BROKERS" -k customer_id -t "$K" --checkpoint k.ck big.csv 2>k2.err &&
	cat k2.err &&
	awk -v r="$R" "\$1 > r" first.ids >first.after &&
	F=$(wc -l <first.after) &&
	test "$F" -le $((MAX - R)) &&
	# the rows the first run got into the topic after its checkpoint are
	# read back and not sent again
	test_grep "^csv2kafka: big.csv: resuming after line $((R + 1)) ($R rows acknowledged, k.ck); $F rows after those are in $K already, not sent again" k2.err &&
	ids "$K" >all.ids &&
	seq 1 $ROWS >want.ids &&
	uniq all.ids >all.uniq &&
	test_cmp want.ids all.uniq &&
	uniq -d all.ids >dup.ids &&
	say "first run: $(wc -l <first.ids) rows in the topic, $R in the checkpoint, $F after it, $(wc -l <dup.ids) sent twice" &&
	test ! -s dup.ids &&
	jq -e ".streams[].done == true and .streams[].rows == $ROWS" k.ck
'

test_expect_success 'a rerun of a finished file sends nothing' '
	ends "$K" >ends.before &&
	test_line_count = 3 ends.before &&
	csv2kafka -b "$KAFKA_BROKERS" -k customer_id -t "$K" --checkpoint k.ck big.csv 2>k3.err &&
	ends "$K" >ends.after &&
	test_cmp ends.before ends.after
'

# One outage for all that follows: node 1 is killed while two csv2kafka
# runs are half-way through the file, one with the default message timeout
# (it must wait), one with a short one (it must give up, exit 69 or 75,
# and leave a checkpoint that loses nothing); consume meanwhile.
W=$(unique wait)
T=$(unique timeout)
C=$(unique consume)
test_expect_success 'broker killed mid-run: csv2kafka, produce with a short timeout exit 69' '
	kafka_topic "$W" 3 && kafka_topic "$T" 3 && kafka_topic "$C" 1 &&
	seq 1 10 | kcat -b "$KAFKA_BROKERS" -P -t "$C" &&
	consume -b "$KAFKA_BROKERS" -t "$C" -e >c.out &&
	test_line_count = 10 c.out &&
	{ csv2kafka -b "$KAFKA_BROKERS" -k customer_id -t "$W" --checkpoint w.ck \
		--checkpoint-interval 100ms $SLOWER mid.csv 2>w.err & } && wpid=$! &&
	test_atexit "kill -9 $wpid" &&
	{ csv2kafka -b "$KAFKA_BROKERS" -k customer_id -t "$T" --checkpoint t.ck \
		--checkpoint-interval 100ms $SLOWER -X message.timeout.ms=3000 \
		mid.csv 2>t.err & } && tpid=$! &&
	test_atexit "kill -9 $tpid" &&
	wait_until 60 "20000 rows acknowledged" ck_rows w.ck 20000 &&
	wait_until 60 "20000 rows acknowledged" ck_rows t.ck 20000 &&
	mkfifo pw.fifo pt.fifo &&
	{ produce -b "$KAFKA_BROKERS" -t "$W.p" -k id --checkpoint pw.ck \
		--checkpoint-interval 0 pw.fifo 2>pw.err & } && pwpid=$! &&
	test_atexit "kill -9 $pwpid" &&
	{ produce -b "$KAFKA_BROKERS" -t "$T.p" -k id --checkpoint pt.ck \
		--checkpoint-interval 0 -X message.timeout.ms=3000 pt.fifo 2>pt.err & } && ptpid=$! &&
	test_atexit "kill -9 $ptpid" &&
	exec 8>pw.fifo 9>pt.fifo &&
	recs 1 100 >&8 && recs 1 100 >&9 &&
	wait_until 30 "produce: 100 acknowledged" ck_lsn pw.ck 100 &&
	wait_until 30 "produce: 100 acknowledged" ck_lsn pt.ck 100 &&
	kafka_kill_node 1 &&
	recs 101 150 >&8 && recs 101 150 >&9 &&
	exec 8>&- 9>&- &&
	jq -e ".streams[].done == false" w.ck &&
	jq -e ".streams[].done == false" t.ck &&
	{ wait $tpid; st=$?; } &&
	cat t.err &&
	{ test $st = 69 || test $st = 75; } &&
	test_grep "^csv2kafka: $T: Local: Message timed out (no broker acknowledged the message within message.timeout.ms)" t.err &&
	test_grep "^csv2kafka: [0-9]* rows not acknowledged, the first at mid.csv:[0-9]*; the checkpoint resumes there: t.ck" t.err &&
	line=$(sed -n "s/.* the first at mid.csv:\([0-9]*\);.*/\1/p" t.err) &&
	jq -e ".streams[].done == false and .streams[].line == $line - 1" t.ck &&
	{ wait $ptpid; st=$?; } &&
	cat pt.err &&
	{ test $st = 69 || test $st = 75; } &&
	test_grep "^produce: 50 of 150 messages not acknowledged" pt.err &&
	ck_lsn pt.ck 100
'

test_expect_success 'consume -e with the broker gone: waits up to --timeout, exits 69' '
	test_must_fail --status=69 consume -b "$KAFKA_BROKERS" -t "$C" -e --timeout 2s >c2.out 2>c2.err &&
	test_grep "no broker reachable for [0-9]* s: giving up" c2.err
'

test_expect_success 'the broker back: the waiting runs finish, the reruns complete' '
	{ consume -b "$KAFKA_BROKERS" -G "$(unique g)" -t "$C" -c 15 >g.out 2>g.err & } && gpid=$! &&
	test_atexit "kill -9 $gpid" &&
	wait_until 30 "csv2kafka to see the broker gone" grep -q "retrying" w.err &&
	kill -0 $wpid &&
	R=$(jq ".streams[].rows" w.ck) &&
	kafka_start_node 1 &&
	wait $wpid &&
	seq 1 100000 >mid.ids &&
	ids "$W" >w.ids &&
	uniq w.ids >w.uniq &&
	test_cmp mid.ids w.uniq &&
	say "$(uniq -d w.ids | wc -l) rows twice after the broker came back; $R acknowledged when it died" &&
	jq -e ".streams[].done == true and .streams[].rows == 100000" w.ck &&
	csv2kafka -b "$KAFKA_BROKERS" -k customer_id -t "$T" --checkpoint t.ck mid.csv 2>t2.err &&
	n=$(sed -n "s/^csv2kafka: \([0-9]*\) rows not acknowledged.*/\1/p" t.err) &&
	f=$(sed -n "s/^csv2kafka: mid.csv: resuming after line $((line - 1)) .*; \([0-9]*\) rows after those are in $T already, not sent again$/\1/p" t2.err) &&
	test -n "$f" && test "$f" -le "$n" &&
	ids "$T" >t.ids &&
	uniq t.ids >t.uniq &&
	test_cmp mid.ids t.uniq &&
	uniq -d t.ids >t.dup && test ! -s t.dup &&
	wait $pwpid &&
	ck_lsn pw.ck 150 &&
	recs 101 150 | produce -b "$KAFKA_BROKERS" -t "$T.p" -k id --checkpoint pt.ck &&
	ck_lsn pt.ck 150 &&
	recs 1 150 >p.want &&
	kcat -b "$KAFKA_BROKERS" -C -t "$W.p" -e -q -f "%s\n" >pw.got &&
	test_cmp p.want pw.got &&
	kcat -b "$KAFKA_BROKERS" -C -t "$T.p" -e -q -f "%s\n" >pt.got &&
	test_cmp p.want pt.got
'

test_expect_success 'consume -G started while the broker was down read on once it came back' '
	wait_until 60 "the first 10 records" sh -c "test \$(wc -l <g.out) -ge 10" &&
	seq 11 15 | kcat -b "$KAFKA_BROKERS" -P -t "$C" &&
	wait $gpid &&
	seq 1 15 >g.want &&
	test_cmp g.want g.out
'

test_done
