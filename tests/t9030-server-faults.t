#!/bin/bash
test_description='the legs while MariaDB, PostgreSQL, a Kafka broker of three and ClickHouse are restarted in turn: every row and every change stored once'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lib-kafka.sh"
. "$TEST_DIR/lib-mysql.sh"
. "$TEST_DIR/lib-pg.sh"
. "$TEST_DIR/lib-clickhouse.sh"
. "$TOP/pipelines/lib-system.sh"

# A Kafka cluster of three nodes (KRaft), its topics with three replicas
# and min.insync.replicas 2: the producers (idempotent, so acks=all) go on
# with one broker away and lose nothing. The CDC legs (cdc-mysql,
# cdc-postgres) and the mirror into ClickHouse run under pipelines/supervise
# as in production; the CSV streams go in small slices through
# pipelines/ingest-streams under supervise. Two writers change the
# databases all along (MariaDB: a device inserted and a credit score set per
# write; PostgreSQL: a payment inserted and one updated in billing, a
# complaint inserted in care). Each write has its number n in the values it
# writes and is retried until it succeeds; a retry of a write that was
# committed changes nothing (INSERT IGNORE, ON CONFLICT DO NOTHING, and
# updates only of a value not yet set), so each write is one change of
# each of its rows, and state/writes.* list the writes done.
#
# While this goes on, MariaDB (same data folder and port), PostgreSQL, one
# Kafka broker and ClickHouse are each stopped and started again, and the
# test waits, with deadlines, until every leg has gone on past the restart.
# At the end Kafka must hold each change of the writers once, and
# ClickHouse each CSV row once, no change record twice, every key of the
# CDC topics and the databases' current rows.
#
# The processing leg (consume | enrich | detect | ch-insert) is left out,
# as in t9020-chaos.t: its consumer group commits what consume wrote into
# the leg's first pipe, so a restart of its programs loses the events in
# flight and detect's windows with them.
SYS_WAIT=120
T0=$SECONDS
export SUPERVISE_MAX_DELAY=2
PARTS=3
CUSTOMERS=100
# slices the CSV files are sent in, each of a SLICESth of each file's rows
# (rounded up: a small file ends first); ingest runs until told to stop,
# or until the last slice
SLICES=1000

# ---- helpers

# above N CMD...: the number CMD prints is greater than N
above() {
	_n=$1
	shift
	_v=$("$@") || return 1
	[ "${_v:-0}" -gt "$_n" ]
}
# at_least N CMD...: the number CMD prints is N or more
at_least() {
	_n=$1
	shift
	_v=$("$@") || return 1
	[ "${_v:-0}" -ge "$_n" ]
}
at() { printf '[%ds]' $((SECONDS - T0)); }
lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }
chcount() { chq "SELECT count() FROM telecom.$1"; }

# the rows of telco-gen's CSV file NAME loaded into the databases
base() { _rows "$1"; }

# The writes up to the last logged one are all in Kafka: one credit score
# update per MariaDB write in cdc.crm.customer_profiles (and a device in
# cdc.crm.device_information), a payment inserted and one updated per
# PostgreSQL write in cdc.billing.payments, a complaint in cdc.care.complaints.
my_writes_in_kafka() {
	_w=$(lines state/writes.my)
	at_least $(($(base customer_profiles) + _w)) kcount cdc.crm.customer_profiles &&
		at_least $(($(base device_information) + _w)) kcount cdc.crm.device_information
}
pg_writes_in_kafka() {
	_w=$(lines state/writes.pg)
	at_least $(($(base payment_transactions) + 2 * _w)) kcount cdc.billing.payments &&
		at_least $(($(base complaints_feedback) + _w)) kcount cdc.care.complaints
}

# my_writer: MariaDB's writes until state/writers.stop; a pause of 0.1 s
# between writes (0.2 s between retries) is the workload's pace, not a wait
my_writer() {
	_n=0
	while [ ! -e state/writers.stop ]; do
		_n=$((_n + 1))
		_c=$(printf 'C%06d' $((_n % CUSTOMERS + 1)))
		until my -D crm -e "INSERT IGNORE INTO device_information
			(device_id, customer_id, device_model, os_version, imei, device_status)
			VALUES ($((100000 + _n)), '$_c', 'probe', '1', '$(printf '%015d' "$_n")', 'active');
			UPDATE customer_profiles SET credit_score = $((1000 + _n)) WHERE customer_id = '$_c'"; do
			sleep 0.2
		done
		echo "$_n" >>state/writes.my
		sleep 0.1
	done
}

pg_writer() {
	_n=0 _pay=$(base payment_transactions)
	while [ ! -e state/writers.stop ]; do
		_n=$((_n + 1))
		_c=$(printf 'C%06d' $((_n % CUSTOMERS + 1)))
		until pg -d billing -c "INSERT INTO payment_transactions
			(transaction_id, customer_id, transaction_date, amount, payment_method, status)
			VALUES ($((100000 + _n)), '$_c', '2026-11-01 12:00:00', 1.00, 'card', 'pending')
			ON CONFLICT DO NOTHING;
			UPDATE payment_transactions SET amount = $((10000 + _n))
			WHERE transaction_id = $((_n % _pay + 1)) AND amount <> $((10000 + _n))" \
			-c '\connect care' -c "INSERT INTO complaints_feedback
			(complaint_id, customer_id, complaint_type, severity, status)
			VALUES ($((100000 + _n)), '$_c', 'probe', 'low', 'open') ON CONFLICT DO NOTHING"; do
			sleep 0.2
		done
		sleep 0.1
		echo "$_n" >>state/writes.pg
	done
}

# ingest_loop: slice K of each CSV file appended to live/, then
# ingest-streams under supervise, slice after slice, until
# state/ingest.stop (what was appended is sent before it stops)
ingest_loop() {
	_k=0
	while [ ! -e state/ingest.stop ] && [ "$_k" -lt "$SLICES" ]; do
		for _f in data/telecom-*.csv; do
			_b=${_f##*/}
			_r=$(($(wc -l <"$_f") - 1))
			_step=$(((_r + SLICES - 1) / SLICES))
			_from=$((_k * _step + 2)) _to=$(((_k + 1) * _step + 1))
			[ "$_from" -gt "$((_r + 1))" ] || sed -n "$_from,${_to}p" "$_f" >>"live/$_b"
		done
		BROKERS=$KAFKA_BROKERS DATA=live STATE=state "$TOP/pipelines/supervise" \
			"$TOP/pipelines/ingest-streams" >>logs/ingest.log 2>&1 || {
			echo "ingest-streams failed" >state/ingest.failed
			return 1
		}
		_k=$((_k + 1))
		echo "$_k" >state/ingest.slices
	done
}

# the records sent from live/ so far: every row appended is in Kafka
ingested() {
	for _s in cdr sdr location network security service; do
		at_least $(($(wc -l <"live/telecom-$_s.csv") - 1)) kcount "telecom-$_s" || return 1
	done
}

# going_on WHAT: the legs go on: WHAT (my, pg, kafka, ch) gets new records
# through, beyond what it had now
going_on() {
	_w_my=$(lines state/writes.my) _w_pg=$(lines state/writes.pg)
	_k_cdr=$(kcount telecom-cdr) _c_cdr=$(chcount cdr)
	_c_dev=$(chcount device_information) _c_pay=$(chcount payment_transactions)
	wait_until "$SYS_WAIT" "MariaDB writes going on" above $((_w_my + 3)) lines state/writes.my &&
		wait_until "$SYS_WAIT" "PostgreSQL writes going on" above $((_w_pg + 3)) lines state/writes.pg &&
		wait_until "$SYS_WAIT" "the MariaDB writes in Kafka (cdc-mysql)" my_writes_in_kafka &&
		wait_until "$SYS_WAIT" "the PostgreSQL writes in Kafka (cdc-postgres)" pg_writes_in_kafka &&
		wait_until "$SYS_WAIT" "more CDRs in Kafka (ingest)" above "$_k_cdr" kcount telecom-cdr &&
		wait_until "$SYS_WAIT" "more CDRs in ClickHouse (mirror)" above "$_c_cdr" chcount cdr &&
		wait_until "$SYS_WAIT" "more device changes in ClickHouse (mirror)" \
			above "$_c_dev" chcount device_information &&
		wait_until "$SYS_WAIT" "more payment changes in ClickHouse (mirror)" \
			above "$_c_pay" chcount payment_transactions &&
		say "$(at) $1: writes $(lines state/writes.my) MariaDB, $(lines state/writes.pg) PostgreSQL;" \
			"$(kcount telecom-cdr) CDRs in Kafka, $(chcount cdr) in ClickHouse;" \
			"ingest slice $(cat state/ingest.slices 2>/dev/null)"
}

# restarts LEG: the restarts supervise made of LEG so far
restarts() { grep -c "supervise: .*restarting" "logs/$1.log" || :; }

report() {
	for l in cdc-mysql cdc-postgres mirror ingest; do
		echo "$l: $(restarts "$l") restarts by supervise"
		grep -h "supervise:" "logs/$l.log" | sort | uniq -c | head -n 5
	done
	grep -h "not restarted" logs/*.log
	return 0
}

# partitions with all three replicas in sync
in_sync() {
	_m=$(kcat -b "$KAFKA_BROKERS" -L -m 5 2>/dev/null) || return 1
	printf '%s\n' "$_m" | grep -q "isrs: " &&
		! printf '%s\n' "$_m" | grep "isrs: " | grep -vq "isrs: [0-9]*,[0-9]*,[0-9]*$"
}

# ---- the test

test_expect_success 'three Kafka nodes (KRaft), MariaDB, PostgreSQL, ClickHouse and their schemas' '
	chmod 755 "$TRASH" &&
	KAFKA_PARTITIONS=$PARTS kafka_start 3 &&
	grep -q "^min.insync.replicas=2$" "$KAFKA_DIR/node1/server.properties" &&
	my_start && pg_start && ch_start &&
	for f in "$TOP"/compose/init/clickhouse/*.sql; do
		ch_query_file "$f" || return 1
	done &&
	for t in telecom-network $SYS_EVENT_TOPICS $SYS_CDC_TOPICS; do
		kafka_topic "$t" "$PARTS" >/dev/null || return 1
	done &&
	kcat -b "$KAFKA_BROKERS" -L -t cdc.crm.customer_profiles >meta &&
	test "$(grep -c "replicas: [0-9]*,[0-9]*,[0-9]*," meta)" = "$PARTS" &&
	mkdir -p state logs live &&
	export BROKERS=$KAFKA_BROKERS CLICKHOUSE_URL=$CH_URL STATE=$TRASH/state
'

test_expect_success 'telco-gen data loaded into the databases' '
	sys_generate "$CUSTOMERS" 1 11 &&
	sys_load &&
	test "$(my_q crm "SELECT COUNT(*) FROM customer_profiles")" = "$CUSTOMERS" &&
	for f in data/telecom-*.csv; do head -n 1 "$f" >"live/${f##*/}" || return 1; done
'

test_expect_success 'the CDC legs and the mirror start under supervise; the snapshots reach ClickHouse' '
	_sys_leg cdc-mysql &&
	_sys_leg cdc-postgres &&
	wait_until "$SYS_WAIT" "the CDC snapshots in Kafka" sys_cdc_snapshot_in_kafka &&
	_sys_leg mirror &&
	for m in $SYS_CDC_TABLES; do
		wait_until "$SYS_WAIT" "${m%%=*} in ClickHouse" sys_ends_stored "${m%%=*}" "$(sys_cdc_table "$m")" || return 1
	done
'

test_expect_success 'the writers and the ingest of the CSV streams start, and go on' '
	{ my_writer 2>>logs/writer-my.log & } && wpid_my=$! &&
	{ pg_writer 2>>logs/writer-pg.log & } && wpid_pg=$! &&
	{ ingest_loop & } && ipid=$! &&
	test_atexit "kill $wpid_my $wpid_pg $ipid" &&
	going_on "before the restarts"
'

test_expect_success 'MariaDB stopped and started again (same data, same port): the writes reach Kafka and ClickHouse' '
	r0=$(restarts cdc-mysql) &&
	my_stop &&
	say "$(at) MariaDB stopped at write $(lines state/writes.my)" &&
	my_start &&
	say "$(at) MariaDB started" &&
	going_on "after MariaDB" &&
	say "cdc-mysql: $(($(restarts cdc-mysql) - r0)) restarts by supervise"
'

test_expect_success 'PostgreSQL stopped and started again: the writes reach Kafka and ClickHouse' '
	r0=$(restarts cdc-postgres) &&
	pg_stop &&
	say "$(at) PostgreSQL stopped at write $(lines state/writes.pg)" &&
	pg_start &&
	say "$(at) PostgreSQL started" &&
	going_on "after PostgreSQL" &&
	say "cdc-postgres: $(($(restarts cdc-postgres) - r0)) restarts by supervise"
'

test_expect_success 'a Kafka broker of three stopped: everything goes on; started again, it catches up' '
	r0=$(($(restarts cdc-mysql) + $(restarts cdc-postgres) + $(restarts mirror) + $(restarts ingest))) &&
	kafka_stop_node 2 &&
	say "$(at) Kafka node 2 stopped" &&
	going_on "with two brokers" &&
	kafka_start_node 2 &&
	say "$(at) Kafka node 2 started" &&
	wait_until "$SYS_WAIT" "every partition with three replicas in sync" in_sync &&
	say "$(at) every partition with three replicas in sync" &&
	going_on "with three brokers again" &&
	say "legs: $(($(restarts cdc-mysql) + $(restarts cdc-postgres) + $(restarts mirror) + $(restarts ingest) - r0)) restarts by supervise"
'

# ClickHouse 18.16 does not finish a shutdown (SIGTERM) while clients keep
# inserting on their open connections: ch_stop kills it after
# CH_STOP_TIMEOUT seconds then.
test_expect_success 'ClickHouse stopped and started again: the mirror goes on' '
	r0=$(restarts mirror) &&
	CH_STOP_TIMEOUT=10 ch_stop &&
	say "$(at) ClickHouse stopped at $(kcount telecom-cdr) CDRs in Kafka" &&
	ch_start_again &&
	say "$(at) ClickHouse started" &&
	going_on "after ClickHouse" &&
	say "mirror: $(($(restarts mirror) - r0)) restarts by supervise"
'

test_expect_success 'the writers and the ingest stop; ClickHouse holds what Kafka holds' '
	touch state/writers.stop state/ingest.stop &&
	wait_until 60 "the writers to stop" eval "! kill -0 $wpid_my 2>/dev/null && ! kill -0 $wpid_pg 2>/dev/null" &&
	wait_until "$SYS_WAIT" "the ingest to stop" eval "! kill -0 $ipid 2>/dev/null" &&
	test ! -e state/ingest.failed &&
	wait_until "$SYS_WAIT" "every CSV row in Kafka" ingested &&
	wait_until "$SYS_WAIT" "the writes in Kafka" eval "my_writes_in_kafka && pg_writes_in_kafka" &&
	wait_until "$SYS_WAIT" "ClickHouse to hold every record Kafka holds" sys_in_clickhouse cdr_enriched &&
	say "$(lines state/writes.my) MariaDB writes, $(lines state/writes.pg) PostgreSQL writes," \
		"$(cat state/ingest.slices) of $SLICES CSV slices" ||
	{ report; return 1; }
'

test_expect_success 'ClickHouse holds every CSV row once' '
	for m in cdr=cdr_id sdr=sdr_id security=event_id service=usage_id \
		location=customer_id,msisdn,event_time,cell_id network=cell_id,event_time; do
		table=${m%%=*} key=${m#*=}
		rows=$(($(wc -l <"live/telecom-$table.csv") - 1))
		read -r c u <<<"$(chq "SELECT count(), uniqExact($key) FROM telecom.$table FORMAT TSV")"
		k=$(kcount "telecom-$table")
		echo "telecom.$table: $rows CSV rows, $k records in Kafka, $c rows, $u distinct ($key)"
		test "$rows" -gt 0 && test "$k" = "$rows" && test "$c" = "$rows" && test "$u" = "$rows" ||
			return 1
	done
'

test_expect_success 'Kafka holds every change of the writers once' '
	for t in $SYS_CDC_TOPICS; do
		consume -b "$KAFKA_BROKERS" -q -e -t "$t" >"$t.kafka" || return 1
		jq -c "[.source.file, .source.pos, .source.lsn, .source.row, .op, (.after // .before)]" \
			"$t.kafka" | sort | uniq -d >"$t.dups" &&
		echo "$t: $(wc -l <"$t.kafka") records, $(wc -l <"$t.dups") twice" &&
		test ! -s "$t.dups" || { head -n 3 "$t.dups"; return 1; }
	done &&
	awk "{ print \$1 + 1000 }" state/writes.my | sort -n >want.cp &&
	jq -r "select(.op == \"u\" and .after.credit_score >= 1000) | .after.credit_score" \
		cdc.crm.customer_profiles.kafka | sort -n >got.cp &&
	test_cmp want.cp got.cp &&
	awk "{ print \$1 + 100000 }" state/writes.my | sort -n >want.dev &&
	jq -r "select(.op == \"c\" and .after.device_id >= 100000) | .after.device_id" \
		cdc.crm.device_information.kafka | sort -n >got.dev &&
	test_cmp want.dev got.dev &&
	my_q crm "SELECT device_id FROM device_information WHERE device_id >= 100000 ORDER BY device_id" >db.dev &&
	test_cmp want.dev db.dev &&
	awk "{ print \$1 + 100000 }" state/writes.pg | sort -n >want.pay &&
	jq -r "select(.op == \"c\" and .after.transaction_id >= 100000) | .after.transaction_id" \
		cdc.billing.payments.kafka | sort -n >got.pay &&
	test_cmp want.pay got.pay &&
	pg_q billing "SELECT transaction_id FROM payment_transactions WHERE transaction_id >= 100000
		ORDER BY transaction_id" >db.pay &&
	test_cmp want.pay db.pay &&
	awk "{ print \$1 + 10000 }" state/writes.pg | sort -n >want.amount &&
	jq -r "select(.op == \"u\") | (.after.amount // 0) | tonumber | select(. >= 10000) | floor" \
		cdc.billing.payments.kafka | sort -n >got.amount &&
	test_cmp want.amount got.amount &&
	jq -r "select(.op == \"c\" and .after.complaint_id >= 100000) | .after.complaint_id" \
		cdc.care.complaints.kafka | sort -n >got.co &&
	test_cmp want.pay got.co &&
	pg_q care "SELECT complaint_id FROM complaints_feedback WHERE complaint_id >= 100000
		ORDER BY complaint_id" >db.co &&
	test_cmp want.pay db.co
'

# The CDC mirrors keep one row per primary key once their parts merge
# (ReplacingMergeTree): a change record stored twice shows as two rows of
# one Kafka position until they merge, and FINAL gives each key's last
# change. The rows the writers inserted have no later change: each is
# one row, merged or not.
test_expect_success 'each CDC mirror holds every key once, no change twice, and the databases'"'"' current rows' '
	for m in $SYS_CDC_TABLES; do
		IFS== read -r topic table key <<<"$m"
		read -r c u <<<"$(chq "SELECT count(), uniqExact(_kafka_partition, _kafka_offset)
			FROM telecom.$table FORMAT TSV")"
		read -r f fk <<<"$(chq "SELECT count(), uniqExact($key) FROM telecom.$table FINAL FORMAT TSV")"
		jq -r --arg k "$key" "(.after // .before)[\$k] | tostring" "$topic.kafka" | sort -u >keys.kafka &&
		chq "SELECT toString($key) FROM telecom.$table FINAL" | sort >keys.ch &&
		echo "$topic: $(kcount "$topic") records, $(wc -l <keys.kafka) keys; telecom.$table:" \
			"$c rows, $u positions; FINAL: $f rows, $fk keys" &&
		test "$c" = "$u" && test "$f" = "$fk" && test -s keys.kafka &&
		test_cmp keys.kafka keys.ch || return 1
	done &&
	for m in device_information=device_id=my payment_transactions=transaction_id=pg \
		complaints_feedback=complaint_id=pg; do
		IFS== read -r table key w <<<"$m"
		awk "{ print \$1 + 100000 }" "state/writes.$w" | sort -n >new.want &&
		chq "SELECT $key FROM telecom.$table WHERE $key >= 100000 ORDER BY $key" >new.ch &&
		test_cmp new.want new.ch || return 1
	done &&
	my_q crm "SELECT customer_id, credit_score FROM customer_profiles ORDER BY customer_id" >db.cp &&
	chq "SELECT customer_id, credit_score FROM telecom.customer_profiles_current
		ORDER BY customer_id FORMAT TSV" >ch.cp &&
	test_cmp db.cp ch.cp &&
	my_q crm "SELECT device_id, customer_id, imei, device_status FROM device_information
		ORDER BY device_id" >db.dev &&
	chq "SELECT device_id, customer_id, imei, device_status FROM telecom.device_information_current
		ORDER BY device_id FORMAT TSV" >ch.dev &&
	test_cmp db.dev ch.dev &&
	pg_q billing "SELECT transaction_id, customer_id, amount, status FROM payment_transactions
		ORDER BY transaction_id" >db.pay &&
	chq "SELECT transaction_id, customer_id, toString(amount), status
		FROM telecom.payment_transactions_current ORDER BY transaction_id FORMAT TSV" >ch.pay &&
	test_cmp db.pay ch.pay &&
	pg_q care "SELECT complaint_id, customer_id, status FROM complaints_feedback
		ORDER BY complaint_id" >db.co &&
	chq "SELECT complaint_id, customer_id, status FROM telecom.complaints_feedback_current
		ORDER BY complaint_id FORMAT TSV" >ch.co &&
	test_cmp db.co ch.co
'

test_expect_success 'the dead-letter files are empty; no leg gave up' '
	report &&
	find state -name "*.rejected" >dl &&
	test -s dl &&
	find state -name "*.rejected" -size +0 >nonempty &&
	{ test ! -s nonempty || { head -n 5 $(cat nonempty); false; }; } &&
	! grep "not restarted" logs/*.log
'

test_expect_success 'the legs stop on SIGTERM, each with status 0' '
	sys_legs_stop
'

test_done
