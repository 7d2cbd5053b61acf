#!/bin/bash
test_description='produce on a real Kafka: keys, topic templates, headers, tombstones, bad lines, checkpoint'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lib-kafka.sh"

ORACLE=$TEST_DIR/data/csv/oracle.py

test_must_be_empty() {
	if [ -s "$1" ]; then
		echo "$1 is not empty:" >&2
		cat "$1" >&2
		return 1
	fi
}

# Change records of two databases whose name is this run's own, so that
# the topics the template makes are new: cdc.$DB.customer_profiles and
# cdc.$DB.payment_transactions, renamed to cdc.$DB.payments.
DB=$(unique db | tr -c 'a-zA-Z0-9\n' _)
cat >cdc.jsonl <<EOF
{"before":null,"after":{"customer_id":"C1","age":30},"source":{"connector":"mysql","name":"crm","db":"$DB","table":"customer_profiles","file":"binlog.000001","pos":100,"row":0},"op":"c","ts_ms":1}
[1,2]
{"before":null,"after":{"customer_id":"C2","amount":12.50},"source":{"connector":"postgresql","name":"billing","db":"$DB","schema":"public","table":"payment_transactions","lsn":1234,"txId":5},"op":"c","ts_ms":2}
{"broken":
{"before":{"customer_id":"C1","age":30},"after":{"customer_id":"C1","age":31},"source":{"connector":"mysql","name":"crm","db":"$DB","table":"customer_profiles","file":"binlog.000001","pos":150,"row":0},"op":"u","ts_ms":3}

"just a string"
{"before":{"customer_id":"C1","age":31},"after":null,"source":{"connector":"mysql","name":"crm","db":"$DB","table":"customer_profiles","file":"binlog.000001","pos":200,"row":0},"op":"d","ts_ms":4}
{"a":1} {"b":2}
{"bad utf-8":"$(printf '\377')"}
{"before":null,"after":{"customer_id":"C3","amount":1},"source":{"connector":"postgresql","name":"billing","db":"$DB","schema":"public","table":"payment_transactions","lsn":1300,"txId":6},"op":"c","ts_ms":5}
EOF
# lines 2, 4, 7, 9, 10 are not JSON objects; line 6 is blank (no record)
sed -n '2p;4p;7p;9p;10p' cdc.jsonl >bad.want
grep '"op":"[cud]"' cdc.jsonl >good.want

test_expect_success 'a Kafka broker' '
	kafka_use
'

test_expect_success 'template, rename map, key path, headers, tombstones' '
	produce -b "$KAFKA_BROKERS" -t "cdc.{source.db}.{source.table}" \
		--rename "cdc.$DB.payment_transactions=cdc.$DB.payments" \
		-k after.customer_id,before.customer_id -H "op={op}" -H src=test \
		--tombstones --checkpoint ck.json --dead-letter dl.jsonl \
		cdc.jsonl 2>p.err &&
	kcat -b "$KAFKA_BROKERS" -C -t "cdc.$DB.customer_profiles" -e -q -J >prof.json &&
	kcat -b "$KAFKA_BROKERS" -C -t "cdc.$DB.payments" -e -q -J >pay.json &&
	test_line_count = 4 prof.json &&
	test_line_count = 2 pay.json &&
	jq -r "[.key, (.headers|tostring), (.payload|tostring)] | @tsv" prof.json >prof.tsv &&
	printf "%s\t%s\t%s\n" \
		C1 "[\"op\",\"c\",\"src\",\"test\"]" "$(sed -n 1p good.want)" \
		C1 "[\"op\",\"u\",\"src\",\"test\"]" "$(sed -n 3p good.want)" \
		C1 "[\"op\",\"d\",\"src\",\"test\"]" "$(sed -n 4p good.want)" \
		C1 null null >prof.want &&
	test_cmp prof.want prof.tsv &&
	jq -r "[.key, (.payload|tostring)] | @tsv" pay.json >pay.tsv &&
	printf "%s\t%s\n" C2 "$(sed -n 2p good.want)" C3 "$(sed -n 5p good.want)" >pay.want &&
	test_cmp pay.want pay.tsv &&
	kcat -b "$KAFKA_BROKERS" -L -t "cdc.$DB.payment_transactions" >md 2>&1 &&
	test_grep -v "topic \"cdc.$DB.payment_transactions\" with [1-9]" md
'

test_expect_success 'payloads are the lines as they came, byte for byte' '
	kcat -b "$KAFKA_BROKERS" -C -t "cdc.$DB.payments" -e -q -f "%s\n" >pay.raw &&
	grep payment_transactions good.want >pay.rawwant &&
	cmp pay.rawwant pay.raw
'

test_expect_success 'lines that are not JSON objects: line numbers, dead letters, not sent' '
	cat >bad.msgs <<-EOF &&
	produce: cdc.jsonl:2: not a JSON object: an array
	produce: cdc.jsonl:4: not a JSON object: unexpected end at byte 11
	produce: cdc.jsonl:7: not a JSON object: a string
	EOF
	grep -v "^produce: rdkafka: " p.err >p.msgs &&
	head -3 p.msgs >p.head &&
	test_cmp bad.msgs p.head &&
	test_grep "^produce: cdc.jsonl:9: not a JSON object: " p.msgs &&
	test_grep "^produce: cdc.jsonl:10: not a JSON object: .*UTF-8" p.msgs &&
	test_line_count = 5 p.msgs &&
	cmp bad.want dl.jsonl &&
	kcat -b "$KAFKA_BROKERS" -C -t "cdc.$DB.customer_profiles" -e -q -f "%s\n" >all.raw &&
	kcat -b "$KAFKA_BROKERS" -C -t "cdc.$DB.payments" -e -q -f "%s\n" >>all.raw &&
	test_grep -v "broken\|just a string\|\"a\":1\|bad utf-8" all.raw
'

test_expect_success '--checkpoint: the last position of each source, acknowledged' '
	jq -c ".streams | to_entries | map(.value) | sort_by(.lsn // .pos)" ck.json >ck.got &&
	echo "[{\"file\":\"binlog.000001\",\"pos\":200,\"row\":0},{\"lsn\":1300,\"txId\":6}]" >ck.want &&
	test_cmp ck.want ck.got
'

test_expect_success '--max-errors: stop at the error past the limit, exit 65' '
	test_must_fail --status=65 produce -b "$KAFKA_BROKERS" -t "$(unique maxerr)" \
		--max-errors 1 cdc.jsonl 2>m.err &&
	test_grep "cdc.jsonl:2:" m.err &&
	test_grep "cdc.jsonl:4:" m.err &&
	test_grep -v "cdc.jsonl:7:" m.err &&
	test_grep "more than 1 bad records" m.err
'

test_expect_success '--max-line-bytes: a longer line is rejected with its number' '
	{ echo "{\"k\":\"a\"}"; printf "{\"k\":\"%s\"}\n" "$(head -c 3000 /dev/zero | tr "\0" x)"; echo "{\"k\":\"b\"}"; } >long.jsonl &&
	L=$(unique long) &&
	produce -b "$KAFKA_BROKERS" -t "$L" -k k --max-line-bytes 1k --dead-letter long.dl long.jsonl 2>l.err &&
	test_grep "^produce: long.jsonl:2: line longer than 1024 bytes" l.err &&
	kcat -b "$KAFKA_BROKERS" -C -t "$L" -e -q -f "%k\n" >l.keys &&
	printf "a\nb\n" >l.want &&
	test_cmp l.want l.keys &&
	test_line_count = 1 long.dl
'

test_expect_success 'a pipe that ends inside a line: said, not sent, not dead-lettered, exit 74' '
	F=$(unique frag) &&
	{ echo "{\"k\":\"a\"}" && printf "{\"k\":\"b\",\"v"; } |
	test_must_fail --status=74 produce -b "$KAFKA_BROKERS" -t "$F" -k k \
		--dead-letter frag.dl --stats-file frag.prom 2>f.err &&
	test_grep "^produce: <stdin>:2: the input ends inside a line (11 bytes; its writer stopped before the newline): not taken$" f.err &&
	test_grep "^telco_produce_fragments 1$" frag.prom &&
	test_must_fail test -s frag.dl &&
	kcat -b "$KAFKA_BROKERS" -C -t "$F" -e -q -f "%k\n" >f.keys &&
	echo a >f.want && test_cmp f.want f.keys
'

# Keys with a partitioner that must be the Java client's: kcat with
# murmur2_random, and Python's murmur2 here, put every key where produce did.
K=$(unique keys)
test_expect_success 'kcat reads the keys and partitions produce chose (murmur2)' '
	kafka_topic "$K" 6 &&
	seq 1 300 | sed "s/.*/{\"id\":\"K&\",\"n\":&,\"_kafka\":{\"topic\":\"old\",\"partition\":0,\"offset\":&}}/" >keys.jsonl &&
	produce -b "$KAFKA_BROKERS" -t "$K" -k id keys.jsonl &&
	kcat -b "$KAFKA_BROKERS" -C -t "$K" -e -q -f "%k %p %s\n" | sort -V >kp.out &&
	test_line_count = 300 kp.out &&
	seq 1 300 | sed "s/.*/K& K& {\"id\":\"K&\",\"n\":&}/" >kp.want0 &&
	cut -d" " -f1,3 kp.out >kp.got0 &&
	sed "s/^K[0-9]* //" kp.want0 >kp.want1 &&
	test_cmp kp.want1 kp.got0 &&
	cut -d" " -f1,2 kp.out >kp.ours &&
	cut -d" " -f1 kp.ours | python3 "$ORACLE" murmur2 6 >kp.java &&
	test_cmp kp.java kp.ours &&
	cut -d" " -f2 kp.ours | sort -u >parts &&
	test_line_count = 6 parts &&
	K2=$(unique keys2) && kafka_topic "$K2" 6 &&
	cut -d" " -f1 kp.ours | sed "s/\$/:v/" |
		kcat -b "$KAFKA_BROKERS" -P -t "$K2" -K: -X partitioner=murmur2_random &&
	kcat -b "$KAFKA_BROKERS" -C -t "$K2" -e -q -f "%k %p\n" | sort -V >kp.kcat &&
	test_cmp kp.ours kp.kcat
'

test_expect_success '--keep-meta keeps _kafka; -p chooses the partition' '
	K3=$(unique meta) && kafka_topic "$K3" 3 &&
	head -3 keys.jsonl | produce -b "$KAFKA_BROKERS" -t "$K3" -p 2 --keep-meta &&
	kcat -b "$KAFKA_BROKERS" -C -t "$K3" -e -q -f "%p %s\n" >km.out &&
	head -3 keys.jsonl | sed "s/^/2 /" >km.want &&
	test_cmp km.want km.out
'

# While produce runs on a pipe, the checkpoint follows the records the
# broker acknowledged: each position is there once its record is in Kafka.
test_expect_success '--checkpoint follows the acknowledgements during a run' '
	T=$(unique live) &&
	mkfifo fifo &&
	{ produce -b "$KAFKA_BROKERS" -t "$T" -k id --checkpoint live.ck \
		--checkpoint-interval 0 fifo 2>live.err & } && pid=$! &&
	test_atexit "kill $pid" &&
	exec 7>fifo &&
	for i in 1 2 3; do
		echo "{\"id\":\"k$i\",\"source\":{\"connector\":\"postgresql\",\"name\":\"live\",\"db\":\"d\",\"lsn\":$i,\"txId\":$i}}" >&7 &&
		wait_until 30 "record $i in Kafka" sh -c "kcat -b $KAFKA_BROKERS -C -t $T -e -q -f \"%k\n\" | grep -qx k$i" &&
		wait_until 30 "checkpoint at lsn $i" sh -c "jq -e \".streams[].lsn == $i\" live.ck" || return 1
	done &&
	exec 7>&- &&
	wait $pid &&
	jq -e ".streams | length == 1" live.ck
'

test_expect_success 'stdin: a missing topic option and no brokers are usage errors' '
	test_must_fail --status=64 produce -b "$KAFKA_BROKERS" </dev/null 2>u.err &&
	test_grep "no topic" u.err &&
	test_must_fail --status=64 produce -t x </dev/null 2>u.err &&
	test_grep "no brokers" u.err &&
	test_must_fail --status=66 produce -b "$KAFKA_BROKERS" -t x nosuch.jsonl 2>u.err &&
	test_grep "nosuch.jsonl" u.err
'

test_done
