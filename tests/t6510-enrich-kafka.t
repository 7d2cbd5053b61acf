#!/bin/bash
test_description='enrich on a real Kafka: tables from consume of CDC topics, a live change used by the next event'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lib-kafka.sh"

FAILED='payments.failed_30d=count(status in ["failed","chargeback"]) within 30d by transaction_date'
TE=$(unique events)
TC=$(unique customers)
TP=$(unique payments)

# cr OP BEFORE AFTER TS: a change record in Debezium's envelope
cr() {
	printf '{"before":%s,"after":%s,"source":{"connector":"mysql","ts_ms":%s},"op":"%s","ts_ms":%s}\n' \
		"$2" "$3" "$4" "$1" "$4"
}

# changes_applied TABLE N: enrich reported N changes applied to TABLE
changes_applied() {
	grep -q "\"table_$1_changes\":$2[,}]" err
}

test_expect_success 'a Kafka broker and topics' '
	kafka_use &&
	kafka_topic "$TE" 1 &&
	kafka_topic "$TC" 1 &&
	kafka_topic "$TP" 1
'

test_expect_success 'setup: the CDC topics hold a snapshot' '
	{
		cr r null "{\"customer_id\":\"C1\",\"credit_score\":550,\"monthly_spending\":450.10}" 1000 &&
		cr r null "{\"customer_id\":\"C2\",\"credit_score\":700,\"monthly_spending\":50.00}" 1000
	} | produce -b "$KAFKA_BROKERS" -t "$TC" -k after.customer_id,before.customer_id &&
	{
		cr r null "{\"transaction_id\":1,\"customer_id\":\"C1\",\"status\":\"failed\",\"transaction_date\":\"2026-10-20T00:00:00Z\"}" 1000 &&
		cr r null "{\"transaction_id\":2,\"customer_id\":\"C1\",\"status\":\"chargeback\",\"transaction_date\":\"2026-10-25T00:00:00Z\"}" 1000 &&
		cr r null "{\"transaction_id\":3,\"customer_id\":\"C1\",\"status\":\"failed\",\"transaction_date\":\"2026-09-01T00:00:00Z\"}" 1000
	} | produce -b "$KAFKA_BROKERS" -t "$TP" -k after.customer_id
'

event() {
	printf '{"cdr_id":"%s","customer_id":"%s","start_time":"2026-11-01T00:00:00Z","charge":1.50}\n' "$1" "$2" |
		produce -b "$KAFKA_BROKERS" -t "$TE" -k customer_id
}

test_expect_success 'consume | enrich --table <(consume): a live change is used by the next event' '
	B=$KAFKA_BROKERS &&
	{ consume -b "$B" -t "$TE" -o beginning -m -u -c 3 |
	  enrich -q 2s --stats 200ms \
		--table customer=<(consume -b "$B" -t "$TC" -o beginning -u -c 4) \
		--table payments=<(consume -b "$B" -t "$TP" -o beginning -u -c 3) \
		--row-key payments=transaction_id --summary "$FAILED" >out 2>err & } &&
	pid=$! &&
	test_atexit "kill $pid" &&
	wait_until 60 "the snapshot applied" changes_applied customer 2 &&
	event E1 C1 &&
	wait_until 60 "the first event" test -s out &&
	jq -c "[.cdr_id, .customer.credit_score, .payments.failed_30d, ._kafka.topic]" out >got &&
	echo "[\"E1\",550,2,\"$TE\"]" >want &&
	test_cmp want got &&
	cr u "{\"customer_id\":\"C1\",\"credit_score\":550}" "{\"customer_id\":\"C1\",\"credit_score\":400,\"monthly_spending\":450.10}" 2000 |
		produce -b "$B" -t "$TC" -k after.customer_id &&
	wait_until 60 "the change applied" changes_applied customer 3 &&
	event E2 C1 &&
	wait_until 60 "the second event" sh -c "test \$(wc -l <out) -eq 2" &&
	sed -n 2p out | jq -c "[.cdr_id, .customer.credit_score]" >got &&
	echo "[\"E2\",400]" >want &&
	test_cmp want got &&
	cr d "{\"customer_id\":\"C1\"}" null 3000 |
		produce -b "$B" -t "$TC" -k before.customer_id &&
	wait_until 60 "the delete applied" changes_applied customer 4 &&
	event E3 C1 &&
	wait $pid &&
	sed -n 3p out | jq -c "[.cdr_id, .customer]" >got &&
	echo "[\"E3\",null]" >want &&
	test_cmp want got &&
	test_grep -v "^enrich: .*:[0-9]*: " err
'

test_expect_success 'a replay with --as-of gives the version valid at each event time' '
	B=$KAFKA_BROKERS &&
	printf "%s\n" \
		"{\"cdr_id\":\"A1\",\"customer_id\":\"C2\",\"start_time\":\"1970-01-01T00:00:01.500Z\"}" \
		"{\"cdr_id\":\"A2\",\"customer_id\":\"C2\",\"start_time\":\"1970-01-01T00:00:02.500Z\"}" |
		produce -b "$B" -t "$TE" -k customer_id &&
	cr u null "{\"customer_id\":\"C2\",\"credit_score\":650}" 2000 |
		produce -b "$B" -t "$TC" -k after.customer_id &&
	consume -b "$B" -t "$TE" -o beginning -e -m |
	enrich --as-of start_time -q 2s \
		--table customer=<(consume -b "$B" -t "$TC" -o beginning -e) >replay &&
	jq -r "select(.cdr_id | startswith(\"A\")) | [.cdr_id, .customer.credit_score] | @tsv" replay >got &&
	printf "A1\t700\nA2\t650\n" >want &&
	test_cmp want got
'

test_done
