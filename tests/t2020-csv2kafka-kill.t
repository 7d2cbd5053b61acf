#!/bin/bash
test_description='csv2kafka killed with SIGKILL between checkpoints, run again: every row in the topic once'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lib-kafka.sh"

# kcount TOPIC: the records the topic holds
kcount() {
	kafka-admin -b "$KAFKA_BROKERS" offsets "$1" | awk '{ n += $3 - $2 } END { print n + 0 }'
}

test_expect_success 'a Kafka broker, a topic of 3 partitions, 200000 rows' '
	kafka_use &&
	kafka_topic kill-once 3 >/dev/null &&
	{ echo "id,customer_id,v" && seq 1 200000 | awk "{ print \$1 \",C\" (\$1 % 97) \",x\" }"; } >rows.csv
'

# No checkpoint is written during the run (an interval of an hour) but the
# one that bounds the rows sent: when the process is killed, the topic
# holds rows the checkpoint does not cover.
test_expect_success 'killed after acknowledgements the checkpoint does not hold' '
	{ csv2kafka -b "$KAFKA_BROKERS" -t kill-once -k customer_id --checkpoint rows.ckpt \
		--checkpoint-interval 1h rows.csv 2>err1 & pid=$!; } &&
	wait_until 60 "rows in the topic" eval "test \$(kcount kill-once) -gt 50000" &&
	kill -KILL "$pid" &&
	{ wait "$pid"; test $? = 137; } &&
	n=$(kcount kill-once) &&
	acked=$(jq ".streams[].rows" rows.ckpt) &&
	echo "$n in the topic, $acked in the checkpoint" &&
	test "$n" -lt 200000 && test "$acked" -lt "$n"
'

test_expect_success 'run again: the rows found in the topic are not sent again' '
	csv2kafka -b "$KAFKA_BROKERS" -t kill-once -k customer_id --checkpoint rows.ckpt \
		rows.csv 2>err2 &&
	cat err2 &&
	grep -q "rows after those are in kill-once already, not sent again" err2 &&
	test "$(kcount kill-once)" = 200000 &&
	consume -b "$KAFKA_BROKERS" -q -e -t kill-once | jq -r .id | sort -n >ids &&
	seq 1 200000 >ids.expect &&
	test_cmp ids.expect ids
'

test_done
