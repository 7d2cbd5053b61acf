#!/bin/bash
test_description='csv2kafka on a real Kafka: round trip, kcat as the peer, bad input'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lib-kafka.sh"

# test_must_be_empty FILE
test_must_be_empty() {
	if [ -s "$1" ]; then
		echo "$1 is not empty:" >&2
		cat "$1" >&2
		return 1
	fi
}

DATA=$TEST_DIR/data
ORACLE=$DATA/csv/oracle.py
EDGE=$DATA/csv/telecom-edge.csv

test_expect_success 'a Kafka broker, generated CSV files' '
	kafka_use &&
	telco-gen --seed 1 --customers 200 --days 1 -o gen &&
	ls gen/*.csv >files &&
	test_line_count -ge 11 files
'

# The edge-case file: a BOM, CRLF line ends, quoted fields with commas,
# quotes and line ends (CRLF and LF), empty cells (null) and an empty
# quoted cell (an empty string), msisdn and IMEIs with leading zeros and
# more digits than a double holds, typed columns of the data contract.
cat >edge.expect <<'EOF'
{"event_id":"E1","customer_id":"C001","msisdn":"01701234567","imei":"35349206123456789012","event_time":"2026-11-01T08:15:02Z","note":"hello, world","amount":12.50,"units":3,"roaming":true}
{"event_id":"E2","customer_id":"C002","msisdn":"0049170","imei":"000123","event_time":"2026-11-01T08:15:03.250Z","note":"she said \"hi\"","amount":null,"units":null,"roaming":false}
{"event_id":"E3","customer_id":"C003","msisdn":null,"imei":null,"event_time":"2026-11-01T08:15:04Z","note":"line one\r\nline two, \"quoted\"\r\nline three","amount":0.00,"units":0,"roaming":null}
{"event_id":"E4","customer_id":"C004","msisdn":"","imei":"","event_time":"2026-11-01T08:15:05Z","note":"","amount":-7.25,"units":-1,"roaming":true}
{"event_id":"E5","customer_id":"C,005","msisdn":"+49 170","imei":"\u200b1","event_time":"2026-11-01T08:15:06Z","note":"Grüße 東京 \\ / \ttab","amount":100,"units":12345678901,"roaming":false}
{"event_id":"E6","customer_id":"C006","msisdn":"00000000000000000001","imei":"990000862471854012345678","event_time":"2026-11-01T08:15:07Z","note":"a\nb","amount":1,"units":2,"roaming":true}
EOF
# the zero-width space of E5, written as an escape above for the reader
sed 's/\\u200b/\xe2\x80\x8b/' edge.expect >edge.expect.tmp && mv edge.expect.tmp edge.expect

test_expect_success 'edge cases: --stdout gives the typed rows' '
	csv2kafka --stdout -k customer_id "$EDGE" >edge.out 2>err &&
	test_cmp edge.expect edge.out &&
	test_must_be_empty err
'

test_expect_success '--stdout agrees with Python csv on every generated file' '
	for f in $(cat files) "$EDGE"; do
		csv2kafka --stdout "$f" >one.jsonl &&
		python3 "$ORACLE" rows "$f" one.jsonl || return 1
	done
'

# Each file to its own topic: P.NAME, keyed by customer_id (cells: cell_id).
P=$(unique rt)
test_expect_success 'round trip: csv2kafka -b, consume -e gives what --stdout gives' '
	mkdir rt &&
	for f in $(cat files) "$EDGE"; do
		cp "$f" "rt/$P.$(basename "$f")" || return 1
	done &&
	mv "rt/$P.telecom-network.csv" cells.csv &&
	csv2kafka -b "$KAFKA_BROKERS" -k customer_id rt/*.csv 2>err &&
	csv2kafka -b "$KAFKA_BROKERS" -k cell_id -t "$P.telecom-network" cells.csv 2>>err &&
	! grep -v "^csv2kafka: rdkafka: GETPID: " err &&
	: >want && : >got &&
	for f in rt/*.csv; do
		t=$(basename "$f" .csv) &&
		csv2kafka --stdout -k customer_id "$f" >>want &&
		consume -b "$KAFKA_BROKERS" -t "$t" -e >>got || return 1
	done &&
	csv2kafka --stdout -k cell_id cells.csv >>want &&
	consume -b "$KAFKA_BROKERS" -t "$P.telecom-network" -e >>got &&
	sort want >want.sorted && sort got >got.sorted &&
	test_line_count -gt 17000 want.sorted &&
	test_cmp want.sorted got.sorted
'

test_expect_success 'round trip with provenance: -m keys and topics agree, _kafka aside' '
	t=$P.telecom-cdr &&
	csv2kafka --stdout -m -k customer_id "rt/$t.csv" >want.m &&
	consume -b "$KAFKA_BROKERS" -t "$t" -e -m >got.m &&
	python3 "$ORACLE" strip want.m | sort >want.s &&
	python3 "$ORACLE" strip got.m | sort >got.s &&
	test_cmp want.s got.s &&
	jq -r "[._kafka.topic, ._kafka.key, .customer_id] | @tsv" want.m | sort >want.k &&
	jq -r "[._kafka.topic, ._kafka.key, .customer_id] | @tsv" got.m | sort >got.k &&
	test_cmp want.k got.k &&
	awk -F"\t" -v t="$t" "\$1 != t || \$2 != \$3 { bad = 1 } END { exit bad }" got.k
'

# kcat as the peer: same keys, same payloads, the same partition per key
# as librdkafka's murmur2_random (the Java client's) and as Python's
# murmur2 computed here.
K=$(unique kcat)
test_expect_success 'kcat reads what csv2kafka wrote: keys, payloads, partitions' '
	kafka_topic "$K" 6 &&
	csv2kafka -b "$KAFKA_BROKERS" -k customer_id -t "$K" gen/telecom-cdr.csv gen/telecom-sdr.csv "$EDGE" &&
	kcat -b "$KAFKA_BROKERS" -C -t "$K" -e -q -f "%k %p %s\n" >kc.out &&
	{ csv2kafka --stdout -k customer_id gen/telecom-cdr.csv gen/telecom-sdr.csv "$EDGE" | sort >kc.want; } &&
	kcat -b "$KAFKA_BROKERS" -C -t "$K" -e -q -f "%s\n" | sort >kc.got &&
	test_cmp kc.want kc.got &&
	grep "^C[0-9,]* [0-5] {" kc.out | cut -d" " -f1,2 | sort -u >kp.ours &&
	test_line_count -gt 150 kp.ours &&
	cut -d" " -f1 kp.ours | sort -u >keys &&
	test_cmp keys <(cut -d" " -f1 kp.ours) &&
	python3 "$ORACLE" murmur2 6 <keys | sort >kp.java &&
	test_cmp kp.java kp.ours
'

K2=$(unique kcatp)
test_expect_success 'kcat -P with murmur2_random puts each key where csv2kafka did' '
	kafka_topic "$K2" 6 &&
	sed "s/\$/:x/" keys | kcat -b "$KAFKA_BROKERS" -P -t "$K2" -K: -X partitioner=murmur2_random &&
	kcat -b "$KAFKA_BROKERS" -C -t "$K2" -e -q -f "%k %p\n" | sort >kp.kcat &&
	test_cmp kp.ours kp.kcat
'

# The corpus of bad files: NAME.csv, NAME.err (the messages, exactly),
# NAME.status, NAME.args (options). The dead letters are the lines the
# messages name, byte for byte; good rows still go through.
test_expect_success 'bad input: each file gives its messages and exit status (--stdout)' '
	for f in "$DATA"/csv-bad/*.csv; do
		n=$(basename "$f" .csv) &&
		cp "$f" . &&
		args= &&
		if [ -f "$DATA/csv-bad/$n.args" ]; then args=$(cat "$DATA/csv-bad/$n.args"); fi &&
		rm -f dl &&
		{ csv2kafka --stdout --dead-letter dl $args "$n.csv" >"$n.out" 2>"$n.stderr"; st=$?; } &&
		echo "$n: exit $st" &&
		test "$st" = "$(cat "$DATA/csv-bad/$n.status")" &&
		test_cmp "$DATA/csv-bad/$n.err" "$n.stderr" &&
		sed -n "s/^csv2kafka: $n.csv:\([0-9]*\): [^h].*/\1p/p" "$n.stderr" >lines.sed &&
		sed -n -f lines.sed "$n.csv" >"$n.dl.want" &&
		if [ -s "$n.dl.want" ]; then cmp "$n.dl.want" dl; else test_must_be_empty "$n.out"; fi || return 1
	done
'

test_expect_success 'bad input: the good rows are the rows no message names' '
	for n in columns quoting types utf8 oversized; do
		sed -n "s/^csv2kafka: $n.csv:\([0-9]*\): .*/\1d/p" "$n.stderr" >keep.sed &&
		sed -e 1d -f keep.sed "$n.csv" | sed -n "s/^\([^,]*\),.*/\1/p" >"$n.ids" &&
		sed -n "s/^{\"[a-z_]*\":\"\([^\"]*\)\".*/\1/p" "$n.out" >"$n.outids" &&
		test_cmp "$n.ids" "$n.outids" || return 1
	done
'

B=$(unique bad)
test_expect_success 'bad input through Kafka: same messages, only good rows in the topic' '
	cp "$DATA"/csv-bad/types.csv "$DATA"/csv-bad/columns.csv . &&
	{ csv2kafka -b "$KAFKA_BROKERS" -t "$B" --dead-letter dl.k types.csv columns.csv 2>k.err; st=$?; } &&
	test "$st" = 0 &&
	grep -v "^csv2kafka: rdkafka: " k.err >k.msgs &&
	cat "$DATA"/csv-bad/types.err "$DATA"/csv-bad/columns.err >k.want &&
	test_cmp k.want k.msgs &&
	consume -b "$KAFKA_BROKERS" -t "$B" -e >k.out &&
	cat types.out columns.out >k.wantout &&
	test_cmp k.wantout k.out &&
	cat types.dl.want columns.dl.want >k.dlwant &&
	cmp k.dlwant dl.k
'

test_expect_success '--max-errors stops the run: 65, rows after the limit not read' '
	test_must_fail --status=65 csv2kafka --stdout --max-errors 1 --dead-letter dl.m types.csv >m.out 2>m.err &&
	test_grep "types.csv:3: column \"duration_s\"" m.err &&
	test_grep "types.csv:4: column \"answered\"" m.err &&
	test_grep -v "types.csv:5:" m.err &&
	test_grep "more than 1 bad rows (--max-errors): stopping" m.err &&
	test_line_count = 2 dl.m &&
	test_line_count -le 1 m.out &&
	test_must_fail --status=65 csv2kafka --stdout --max-errors 0 columns.csv >m0.out 2>m0.err &&
	test_grep "columns.csv:3:" m0.err &&
	test_grep -v "columns.csv:4:" m0.err
'

test_expect_success 'a header the key is not in, a missing file: stop before any row' '
	test_must_fail --status=65 csv2kafka --stdout -k nosuch "$EDGE" >h.out 2>h.err &&
	test_grep "telecom-edge.csv:1: header: no column \"nosuch\" for the key (-k)" h.err &&
	test_must_be_empty h.out &&
	test_must_fail --status=66 csv2kafka --stdout "$EDGE" nosuch.csv >h.out 2>h.err &&
	test_grep "nosuch.csv: No such file or directory" h.err &&
	test_must_be_empty h.out
'

# SIGTERM: stop reading, wait for what is in flight, save the checkpoint,
# exit 0; the rerun sends the rest, and nothing twice.
S=$(unique term)
test_expect_success 'SIGTERM half-way: exit 0, the rerun sends the rest, nothing twice' '
	awk "BEGIN { print \"usage_id,customer_id,units\"; for (i = 1; i <= 200000; i++) printf \"U%07d,C%04d,%d\n\", i, i % 1000, i }" >term.csv &&
	kafka_topic "$S" 3 &&
	{ csv2kafka -b "$KAFKA_BROKERS" -k customer_id -t "$S" --checkpoint term.ck \
		--checkpoint-interval 100ms -X queue.buffering.max.messages=1024 \
		-X linger.ms=20 term.csv 2>term1.err & } && pid=$! &&
	test_atexit "kill -9 $pid" &&
	wait_until 60 "20000 rows acknowledged" jq -e ".streams[].rows >= 20000" term.ck &&
	kill -TERM $pid &&
	wait $pid &&
	jq -e ".streams[].done == false and .streams[].rows == .streams[].sent_max" term.ck &&
	R=$(jq ".streams[].rows" term.ck) &&
	kcat -b "$KAFKA_BROKERS" -C -t "$S" -e -q -f "%s\n" >term1.out &&
	test_line_count = "$R" term1.out &&
	csv2kafka -b "$KAFKA_BROKERS" -k customer_id -t "$S" --checkpoint term.ck term.csv 2>term2.err &&
	test_grep "^csv2kafka: term.csv: resuming after line $((R + 1)) ($R rows acknowledged, term.ck)\$" term2.err &&
	csv2kafka --stdout term.csv | sort >term.want &&
	kcat -b "$KAFKA_BROKERS" -C -t "$S" -e -q -f "%s\n" | sort >term.got &&
	test_cmp term.want term.got
'

test_expect_success 'stdout on /dev/full: exit 74 with a message' '
	test_must_fail --status=74 csv2kafka --stdout gen/telecom-cdr.csv >/dev/full 2>full.err &&
	test_grep "csv2kafka: .*standard output.*No space left on device" full.err
'

test_expect_success '| head -1 ends quietly' '
	{ csv2kafka --stdout gen/telecom-cdr.csv 2>pipe.err; echo $? >pipe.st; } | head -1 >pipe.out &&
	test_line_count = 1 pipe.out &&
	test_must_be_empty pipe.err &&
	st=$(cat pipe.st) && { test "$st" = 141 || test "$st" = 0; }
'

test_done
