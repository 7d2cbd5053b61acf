#!/bin/bash
test_description='enrich with tables from real MariaDB and PostgreSQL through binlog2jsonl, pgcdc2jsonl, produce and consume: an update, a delete and a new failed payment reach the next event'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lib-kafka.sh"
. "$TEST_DIR/lib-mysql.sh"
. "$TEST_DIR/lib-pg.sh"

FAILED='payments.failed_30d=count(status in ["failed","chargeback"]) within 30d by transaction_date'
TE=$(unique events)
TC=$(unique customers)
TP=$(unique payments)
SLOT=$(unique billing | tr -c 'a-z0-9_\n' _)
M='{"_end_of_topic":true}'
SQ=\'

# changes_applied TABLE N: enrich's last statistics say N changes applied
# to TABLE
changes_applied() {
	test "$(grep '^{"stats"' err | tail -1 | jq ".table_$1_changes")" -ge "$2"
}

# event ID CUSTOMER: a CDR into the events topic
event() {
	printf '{"cdr_id":"%s","customer_id":"%s","start_time":"2026-11-01T00:00:00Z"}\n' "$1" "$2" |
		produce -b "$KAFKA_BROKERS" -t "$TE" -k customer_id
}

# seen ID FILTER: the event ID came out; FILTER of it
seen() {
	jq -c "select(.cdr_id == \"$1\") | $2" out
}

# after_change TABLE N ID CUSTOMER FILTER: once enrich has applied N
# changes to TABLE, the CDR ID of CUSTOMER; FILTER of it once it is out
after_change() {
	wait_until 60 "change $2 of $1 applied" changes_applied "$1" "$2" &&
	event "$3" "$4" &&
	wait_until 60 "$3 out" grep -q "\"cdr_id\":\"$3\"" out &&
	seen "$3" "$5"
}

test_expect_success 'Kafka, MariaDB and PostgreSQL, with a customer table and a payment table' '
	kafka_use &&
	for t in "$TE" "$TC" "$TP"; do kafka_topic "$t" 1 || return 1; done &&
	my_start &&
	my <<-EOF &&
	CREATE DATABASE crm;
	CREATE TABLE crm.customer_profiles (customer_id VARCHAR(16) PRIMARY KEY,
		credit_score INT, monthly_spending DECIMAL(10,2));
	INSERT INTO crm.customer_profiles VALUES (${SQ}C1${SQ}, 550, 450.10), (${SQ}C2${SQ}, 700, 50.00);
	EOF
	pg_start &&
	pg -c "CREATE DATABASE billing" &&
	pg -d billing <<-EOF
	CREATE TABLE payment_transactions (transaction_id serial PRIMARY KEY,
		customer_id text, transaction_date timestamptz, amount numeric(10,2), status text);
	INSERT INTO payment_transactions (customer_id, transaction_date, amount, status) VALUES
		(${SQ}C1${SQ}, ${SQ}2026-10-20T00:00:00Z${SQ}, 10.00, ${SQ}failed${SQ}),
		(${SQ}C2${SQ}, ${SQ}2026-10-21T00:00:00Z${SQ}, 20.00, ${SQ}completed${SQ});
	EOF
'

test_expect_success 'the CDC of both into Kafka: a snapshot, then the changes' '
	{ binlog2jsonl --defaults-file="$MYSQL_DEFAULTS_FILE" -n crm -t crm.customer_profiles 2>my.err |
	  produce -b "$KAFKA_BROKERS" -t "$TC" -k after.customer_id,before.customer_id & } &&
	test_atexit "kill $! 2>/dev/null; pkill -f \"binlog2jsonl --defaults-file=$MYSQL_DEFAULTS_FILE\" 2>/dev/null; :" &&
	{ pgcdc2jsonl -d dbname=billing -s "$SLOT" --create -t public.payment_transactions 2>pg.err |
	  produce -b "$KAFKA_BROKERS" -t "$TP" -k after.customer_id,before.customer_id & } &&
	test_atexit "kill $! 2>/dev/null; pkill -f \"pgcdc2jsonl -d dbname=billing -s $SLOT\" 2>/dev/null; :" &&
	wait_until 60 "the snapshots in Kafka" sh -c "
		test \$(consume -b $KAFKA_BROKERS -t $TC -o beginning -e -q | wc -l) -eq 2 &&
		test \$(consume -b $KAFKA_BROKERS -t $TP -o beginning -e -q | wc -l) -eq 2"
'

test_expect_success 'consume | enrich, the tables from consume of the CDC topics' '
	{ consume -b "$KAFKA_BROKERS" -t "$TE" -o beginning -m -u |
	  enrich --end-marker "$M" --stats 100ms -u \
		--table customer=<(consume -b "$KAFKA_BROKERS" -t "$TC" -o beginning -u --end-marker "$M") \
		--table payments=<(consume -b "$KAFKA_BROKERS" -t "$TP" -o beginning -u --end-marker "$M") \
		--row-key payments=transaction_id --summary "$FAILED" >out 2>err & } &&
	for t in "$TE" "$TC" "$TP"; do
		test_atexit "pkill -f \"consume -b $KAFKA_BROKERS -t $t \" 2>/dev/null; :"
	done &&
	event E1 C1 && event E1b C2 &&
	wait_until 60 "the first events" sh -c "test \$(wc -l <out) -eq 2" &&
	seen E1 "[.customer.credit_score, .payments.failed_30d]" >got &&
	echo "[550,1]" >want && test_cmp want got &&
	seen E1b "[.customer.credit_score, .payments.failed_30d]" >got &&
	echo "[700,0]" >want && test_cmp want got
'

test_expect_success 'an UPDATE of credit_score in MariaDB: the next CDR has the new value' '
	echo "UPDATE crm.customer_profiles SET credit_score = 400 WHERE customer_id = ${SQ}C1${SQ}" | my &&
	after_change customer 3 E2 C1 ".customer.credit_score" >got &&
	echo 400 >want && test_cmp want got
'

test_expect_success 'a DELETE in MariaDB: the next CDR has no customer' '
	echo "DELETE FROM crm.customer_profiles WHERE customer_id = ${SQ}C1${SQ}" | my &&
	after_change customer 4 E3 C1 ".customer" >got &&
	echo null >want && test_cmp want got
'

test_expect_success 'a failed payment INSERTed in PostgreSQL: the next CDR counts it' '
	pg -d billing -c "INSERT INTO payment_transactions (customer_id, transaction_date, amount, status)
		VALUES (${SQ}C2${SQ}, ${SQ}2026-10-30T12:00:00Z${SQ}, 30.00, ${SQ}failed${SQ})" &&
	after_change payments 3 E4 C2 "[.customer.credit_score, .payments.failed_30d]" >got &&
	echo "[700,1]" >want && test_cmp want got &&
	test_grep -v "^enrich: .*:[0-9]*: " err
'

test_done
