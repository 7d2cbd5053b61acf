#!/bin/bash
test_description='the processing leg as three instances of one consumer group writes the alerts of one instance'
# On real servers, as t9000 runs the system: Kafka with six partitions per
# topic (keyed by customer_id), MariaDB, PostgreSQL, ClickHouse, the CDC
# legs, and the events replayed in slices of event time with the database
# changes between them. Two runs of pipelines/process read the same topics
# side by side, each under pipelines/supervise:
#
#   NAME                      GROUP        CH_DATABASE
#   one                       scale-one    telecom
#   three-a, three-b, three-c scale-three  telecom_s3
#
# with INSTANCE=NAME and STATE=state/NAME: its own checkpoints, dead
# letters and statistics (consume's lines in STATE/consume.stats name the
# partitions an instance holds), and DETECT_LATENESS as t9000 sets it, a
# slice and an hour, within which detect runs the events of a key in
# event-time order however partitions and topics were interleaved. 120
# customers over one day: about a minute here. The replay waits for every
# instance: a slice's changes are applied once all four enrich processes
# read its events, and the next slice starts once all four hold the
# changes, so the two runs join the same events with the same table rows.
# Asserted: the
# three instances hold 10 partitions each, every partition of the five
# event topics exactly one of them, partition P of each topic the same
# one, for the whole run, each read to its end; together they read what
# the one instance read, no record twice; the alerts in telecom_s3 equal
# those in telecom, id for id and column for column but detected_at (the
# greatest event time an instance had seen, which depends on the
# partitions it holds); each database holds every alert once, as many as
# its detect processes wrote; the enriched and tagged CDRs are equal too.
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lib-kafka.sh"
. "$TEST_DIR/lib-mysql.sh"
. "$TEST_DIR/lib-pg.sh"
. "$TEST_DIR/lib-clickhouse.sh"
. "$TOP/pipelines/lib-system.sh"

SYS_WAIT=150
THREE="three-a three-b three-c"
ALL="one $THREE"
EVENT_TOPICS="telecom-cdr telecom-sdr telecom-service telecom-security telecom-location"
# the alerts' columns but detected_at (inserted_at is not in *)
ALERT_COLS="alert_id, rule, severity, key, customer_id, msisdn, stream, event_time,
	window_start, score, description, evidence, event_ids, event_count, count,
	last_event_time, _kafka_topic, _kafka_partition, _kafka_offset, _kafka_ts"

sum() { awk '{ s += $1 } END { print s + 0 }'; }

# proc_start NAME VAR=VALUE...: pipelines/process with STATE=state/NAME and
# INSTANCE=NAME under supervise, in a process group of its own; stopped by
# _sys_stop_leg process-NAME
proc_start() {
	_n=$1
	shift
	mkdir -p "state/$_n" || return 1
	setsid env STATE="$TRASH/state/$_n" INSTANCE="$_n" DETECT_STATE= STATS_INTERVAL=300ms \
		DETECT_LATENESS="$((SYS_SLICE_HOURS + 1))h" "$@" \
		"$TOP/pipelines/supervise" "$TOP/pipelines/process" \
		>"logs/process-$_n.out" 2>"logs/process-$_n.log" &
	_sys_legs="$_sys_legs process-$_n=$!"
	test_atexit "kill -TERM -- -$! 2>/dev/null; sleep 0.5; kill -KILL -- -$! 2>/dev/null"
}

# lastp NAME: the partitions in the last statistics line of NAME's consume,
# as "topic partition position high" lines
lastp() {
	tail -n 1 "state/$1/consume.stats" 2>/dev/null |
		jq -r '.partitions[] | "\(.topic) \(.partition) \(.position) \(.high)"'
}

# the group has settled: 10 partitions each, 30 in all; the one instance 30
settled() {
	[ "$(lastp one | wc -l)" = 30 ] || return 1
	for i in $THREE; do [ "$(lastp "$i" | wc -l)" = 10 ] || return 1; done
	[ "$(for i in $THREE; do lastp "$i"; done | cut -d' ' -f1,2 | sort -u | wc -l)" = 30 ]
}

# sys_replay's conditions, over the four instances: every event in Kafka
# read by the one instance and by the three together
_sys_enrich_read() {
	sys_events_in_kafka || return 1
	[ "$(prom state/one/enrich.prom telco_enrich_events_in)" -ge "$_n" ] || return 1
	_s=0
	for _i in $THREE; do _s=$((_s + $(prom "state/$_i/enrich.prom" telco_enrich_events_in))); done
	[ "$_s" -ge "$_n" ]
}

# every change record Kafka holds applied by each of the four
_sys_tables_current() {
	set -- customer cdc.crm.customer_profiles device cdc.crm.device_information \
		payments cdc.billing.payments behavior cdc.billing.behavior \
		complaints cdc.care.complaints
	_sys_changes_in_kafka || return 1
	while [ $# -gt 0 ]; do
		_k=$(kcount "$2") || return 1
		for _i in $ALL; do
			[ "$(prom "state/$_i/enrich.prom" "telco_enrich_table_$1_changes")" -ge "$_k" ] ||
				return 1
		done
		shift 2
	done
}

# every partition read to its end by its instance (last statistics line),
# every event by enrich. (detect holds the events of the last lateness
# until its input ends: what comes out is checked once the legs stopped.)
read_to_end() {
	for _i in $ALL; do
		lastp "$_i" | awk '$3 != $4 && !($3 == "null" && $4 == 0) { bad = 1 } END { exit bad }' ||
			return 1
	done
	_sys_enrich_read
}

test_expect_success 'Kafka (6 partitions), MariaDB, PostgreSQL, ClickHouse; a second database for the three' '
	chmod 755 "$TRASH" &&
	sys_servers &&
	for f in 000-database 020-cdr-enriched 030-alerts; do
		sed "s/\<telecom\>/telecom_s3/g" "$TOP/compose/init/clickhouse/$f.sql" >"$f.sql" &&
		ch_query_file "$f.sql" || return 1
	done &&
	test "$(chq "SELECT count() FROM system.tables WHERE database = '\''telecom_s3'\''")" = 2
'

test_expect_success 'the event topics are keyed by customer_id in pipelines/ingest-streams' '
	grep -q "key=customer_id" "$TOP/pipelines/ingest-streams" &&
	grep -q -- "-k \"\$key\"" "$TOP/pipelines/ingest-streams"
'

test_expect_success 'telco-gen data with changes, loaded into the databases' '
	sys_generate 120 1 7 &&
	test -s data/changes.jsonl &&
	sys_load
'

test_expect_success 'the CDC legs; one instance in its group, three in another, settled before any event' '
	_sys_leg cdc-mysql &&
	_sys_leg cdc-postgres &&
	wait_until "$SYS_WAIT" "the CDC snapshots in Kafka" sys_cdc_snapshot_in_kafka &&
	proc_start one GROUP=scale-one CH_DATABASE=telecom &&
	for i in $THREE; do proc_start "$i" GROUP=scale-three CH_DATABASE=telecom_s3 || return 1; done &&
	wait_until "$SYS_WAIT" "the two groups to settle" settled &&
	for i in $ALL; do echo "$i: $(lastp "$i" | awk "{ print \$1 \"/\" \$2 }" | sort | tr "\n" " ")"; done &&
	test "$(kcount telecom-cdr)" = 0
'

test_expect_success 'the events and the database changes replayed in event time, read by both runs' '
	sys_replay >replay.out &&
	cat replay.out &&
	wait_until "$SYS_WAIT" "every partition read to its end, every event by enrich" read_to_end &&
	for i in $ALL; do lastp "$i" >"final.$i" || return 1; done
'

test_expect_success 'each of the three held 10 partitions, every one of 30 exactly one, P of each topic the same' '
	for i in $THREE; do sed "s/\$/ $i/" "final.$i"; done | sort -k1,1 -k2,2n >owners &&
	cat owners &&
	test "$(wc -l <owners)" = 30 &&
	test "$(cut -d" " -f1,2 owners | sort -u | wc -l)" = 30 &&
	for t in $EVENT_TOPICS; do
		test "$(awk -v t="$t" "\$1 == t { print \$2 }" owners | sort -n | tr "\n" " ")" = "0 1 2 3 4 5 " ||
			return 1
	done &&
	test "$(cut -d" " -f2,5 owners | sort -u | wc -l)" = 6 &&
	test "$(cut -d" " -f5 owners | sort | uniq -c | awk "{ print \$1 }" | tr "\n" " ")" = "10 10 10 " &&
	test "$(cut -d" " -f1,2 final.one | sort -u | wc -l)" = 30
'

test_expect_success 'every partition read to its end; no instance ever read a partition of another' '
	for t in $EVENT_TOPICS; do
		kafka-admin -b "$KAFKA_BROKERS" offsets "$t" | awk -v t="$t" "{ print t, \$1, \$3 }" || return 1
	done | sort -k1,1 -k2,2n >ends &&
	awk "{ print \$1, \$2, (\$3 == \"null\" ? 0 : \$3) }" owners >positions &&
	test_cmp ends positions &&
	awk "\$3 > 0" ends | wc -l >nonempty &&
	test "$(cat nonempty)" -ge 24 &&
	for i in $THREE; do
		jq -r ".partitions[] | select(.position != null) | \"\(.topic) \(.partition)\"" \
			"state/$i/consume.stats" | sort -u >"read.$i" &&
		cut -d" " -f1,2 "final.$i" | sort -u >"held.$i" &&
		comm -23 "read.$i" "held.$i" >"strays.$i" &&
		{ test ! -s "strays.$i" || { echo "$i read partitions it did not keep:"; cat "strays.$i"; false; }; } ||
			return 1
	done &&
	for i in $THREE; do
		jq -r ".streams | keys[]" "state/$i/ch-cdr_enriched.ckpt" | sed "s/\$/ $i/" || return 1
	done | sort >stored &&
	cat stored &&
	test "$(cut -d" " -f1 stored | sort -u | wc -l)" = "$(wc -l <stored)" &&
	test "$(awk "\$1 == \"telecom-cdr\" && \$3 > 0" ends | wc -l)" = "$(wc -l <stored)"
'

test_expect_success 'together the three read what the one read, no record twice' '
	n=0 &&
	for t in $EVENT_TOPICS; do n=$((n + $(kcount "$t"))); done &&
	one=$(tail -n 1 state/one/consume.stats | jq .messages) &&
	three=$(for i in $THREE; do tail -n 1 "state/$i/consume.stats" | jq .messages; done | sum) &&
	echo "events in Kafka $n, read by the one $one, by the three $three" &&
	test "$n" -gt 1000 && test "$one" = "$n" && test "$three" = "$n"
'

test_expect_success 'the processing legs stop on SIGTERM with status 0, writing what detect held' '
	for i in $ALL; do _sys_stop_leg "process-$i" || return 1; done &&
	! grep -l "supervise:" logs/process-*.log &&
	for d in telecom telecom_s3; do
		test "$(chq "SELECT count() FROM $d.cdr_enriched")" = "$(kcount telecom-cdr)" || return 1
	done
'

test_expect_success 'the alerts of the three equal those of the one: ids and columns but detected_at' '
	chq "SELECT $ALERT_COLS FROM telecom.alerts ORDER BY alert_id, rule FORMAT TSV" >alerts.one &&
	chq "SELECT $ALERT_COLS FROM telecom_s3.alerts ORDER BY alert_id, rule FORMAT TSV" >alerts.three &&
	chq "SELECT rule, count() FROM telecom.alerts GROUP BY rule ORDER BY rule FORMAT TSV" &&
	test "$(wc -l <alerts.one)" -ge 10 &&
	test "$(cut -f2 alerts.one | sort -u | wc -l)" -ge 4 &&
	test_cmp alerts.one alerts.three
'

test_expect_success 'each database holds every alert once, as many as its detect processes wrote' '
	one=$(prom state/one/detect.prom telco_detect_alerts_out) &&
	three=$(for i in $THREE; do prom "state/$i/detect.prom" telco_detect_alerts_out; done | sum) &&
	for d in "telecom $one" "telecom_s3 $three"; do
		set -- $d &&
		read -r rows ids <<<"$(chq "SELECT count(), uniqExact(alert_id) FROM $1.alerts FORMAT TSV")" &&
		echo "$1: $rows rows, $ids alert ids, $2 written by detect" &&
		test "$rows" = "$ids" && test "$rows" = "$2" || return 1
	done
'

test_expect_success 'the enriched and tagged CDRs of the three equal those of the one' '
	chq "SELECT * FROM telecom.cdr_enriched ORDER BY cdr_id FORMAT TSV" >cdrs.one &&
	chq "SELECT * FROM telecom_s3.cdr_enriched ORDER BY cdr_id FORMAT TSV" >cdrs.three &&
	test "$(wc -l <cdrs.one)" = "$(kcount telecom-cdr)" &&
	test "$(chq "SELECT uniqExact(cdr_id) FROM telecom_s3.cdr_enriched")" = "$(kcount telecom-cdr)" &&
	test_cmp cdrs.one cdrs.three
'

# four an instance: enrich, detect, and the two ch-insert
test_expect_success 'the dead-letter files of the four instances are empty' '
	find state/one state/three-* -name "*.rejected" >dl &&
	test "$(wc -l <dl)" = 16 &&
	find state/one state/three-* -name "*.rejected" -size +0 >nonempty &&
	{ test ! -s nonempty || { head -n 5 $(cat nonempty); false; }; }
'

test_expect_success 'the CDC legs stop on SIGTERM' '
	sys_legs_stop
'

test_done
