#!/bin/bash
test_description='the whole system on real servers: CDC, events, enrich, detect, ClickHouse, scored against the ground truth'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lib-kafka.sh"
. "$TEST_DIR/lib-mysql.sh"
. "$TEST_DIR/lib-pg.sh"
. "$TEST_DIR/lib-clickhouse.sh"
. "$TOP/pipelines/lib-system.sh"

# the contract's twelve rules (../shared/data-contract.md)
RULES_OF_CONTRACT="subscription_fraud new_account_abuse wangiri simbox irsf
	impossible_travel sim_swap_takeover imei_mismatch roaming_spike
	premium_rate_abuse payment_risk auth_failure_burst"
SYS_WAIT=150

test_expect_success 'Kafka (6 partitions), MariaDB, PostgreSQL, ClickHouse and their schemas' '
	chmod 755 "$TRASH" &&
	sys_servers
'

test_expect_success 'telco-gen data with changes, loaded into the databases' '
	sys_generate 300 1 42 &&
	test -s data/changes.jsonl &&
	sys_load &&
	test "$(my_q crm "SELECT COUNT(*) FROM customer_profiles")" = 300
'

test_expect_success 'the legs start and the CDC snapshots reach Kafka' '
	sys_legs_start
'

test_expect_success 'the events and the database changes replayed in event time' '
	sys_replay >replay.out &&
	cat replay.out &&
	grep -q credit_score_drop replay.out
'

test_expect_success 'ClickHouse holds what Kafka holds, topic by topic, and the CSV rows' '
	sys_drain &&
	for m in $SYS_EVENT_TABLES; do
		k=$(kcount "${m%%=*}") && c=$(chq "SELECT count() FROM telecom.${m#*=}") &&
		echo "${m%%=*} $k ${m#*=} $c" &&
		test "$k" -gt 0 && test "$k" = "$c" || return 1
	done &&
	for s in cdr sdr location network security service; do
		test "$(kcount "telecom-$s")" = "$(($(wc -l <"data/telecom-$s.csv") - 1))" || return 1
	done &&
	test "$(chq "SELECT uniqExact(cdr_id) FROM telecom.cdr_enriched")" = "$(kcount telecom-cdr)"
'

# The CDC mirrors keep one row per primary key once their parts merge
# (ReplacingMergeTree): FINAL gives that row now, whenever merges happen.
test_expect_success 'each CDC mirror holds every key of its topic; the current view has the last change' '
	for m in $SYS_CDC_TABLES; do
		IFS== read -r topic table key <<<"$m" &&
		sys_ends_stored "$topic" "$table" &&
		consume -b "$KAFKA_BROKERS" -q -e -t "$topic" |
			jq -r --arg k "$key" "(.after // .before)[\$k] | tostring" | sort -u >keys.kafka &&
		chq "SELECT toString($key) FROM telecom.$table FINAL" | sort -u >keys.ch &&
		echo "$topic: $(wc -l <keys.kafka) keys in Kafka, $(wc -l <keys.ch) in telecom.$table" &&
		test -s keys.kafka && test_cmp keys.kafka keys.ch || return 1
	done &&
	read -r c score <<<"$(jq -r "select(.kind == \"credit_score_drop\") | .customer_id + \" \" +
		(.sql | capture(\"SET credit_score = (?<s>[0-9]+)\").s)" data/changes.jsonl | head -n 1)" &&
	test -n "$score" &&
	test "$(chq "SELECT credit_score FROM telecom.customer_profiles_current
		WHERE customer_id = '\''$c'\''")" = "$score"
'

test_expect_success 'every rule of the contract fires on one of its scenarios at least' '
	sys_score >score.jsonl &&
	cat score.jsonl &&
	for r in $RULES_OF_CONTRACT; do
		jq -s -e --arg r "$r" "any(.[]; .rule == \$r and .found >= 1)" score.jsonl >/dev/null ||
			{ echo "rule $r found none of its scenarios"; return 1; }
	done
'

test_expect_success 'a credit score dropped during the run is used by the CDRs after it, and fires' '
	jq -r "select(.kind == \"credit_score_drop\") |
		[.customer_id, .at, (.sql | capture(\"SET credit_score = (?<s>[0-9]+)\").s)] | @tsv" \
		data/changes.jsonl >drops &&
	test -s drops &&
	while IFS="	" read -r c at s; do
		t=$(date -u -d "$at" +%s) &&
		after=$(chq "SELECT groupUniqArray(customer_credit_score) FROM telecom.cdr_enriched
			WHERE customer_id = '\''$c'\'' AND toUnixTimestamp(start_time) > $t") &&
		before=$(chq "SELECT groupUniqArray(customer_credit_score) FROM telecom.cdr_enriched
			WHERE customer_id = '\''$c'\'' AND toUnixTimestamp(start_time) < $t") &&
		fired=$(chq "SELECT count() FROM telecom.alerts WHERE rule = '\''subscription_fraud'\''
			AND customer_id = '\''$c'\'' AND toUnixTimestamp(event_time) > $t") &&
		echo "$c dropped to $s at $at: before $before, after $after, alerts after $fired" &&
		test "$after" = "[$s]" &&
		test "$before" != "[]" && test "$before" != "[$s]" &&
		test "$fired" -ge 1 || return 1
	done <drops
'

test_expect_success 'a device replaced during the run is on record for the CDRs after it' '
	jq -r "select(.kind == \"device_replaced\") |
		[.customer_id, .at, (.sql | split(\"INSERT\")[1] | capture(\"(?<i>[0-9]{15})\").i)] | @tsv" \
		data/changes.jsonl >replaced &&
	test -s replaced &&
	while IFS="	" read -r c at imei; do
		t=$(date -u -d "$at" +%s) &&
		after=$(chq "SELECT groupUniqArray(device_imei) FROM telecom.cdr_enriched
			WHERE customer_id = '\''$c'\'' AND toUnixTimestamp(start_time) > $t") &&
		mism=$(chq "SELECT count() FROM telecom.alerts WHERE rule = '\''imei_mismatch'\''
			AND customer_id = '\''$c'\''") &&
		echo "$c new device $imei at $at: device on record after: $after, imei_mismatch alerts: $mism" &&
		test "$after" = "['\''$imei'\'']" && test "$mism" = 0 || return 1
	done <replaced
'

test_expect_success 'the dead-letter files are empty' '
	find state -name "*.rejected" >dl &&
	test "$(wc -l <dl)" -ge 20 &&
	find state -name "*.rejected" -size +0 >nonempty &&
	{ test ! -s nonempty || { head -n 5 $(cat nonempty); false; }; }
'

test_expect_success 'the legs stop on SIGTERM, each with status 0' '
	sys_legs_stop &&
	test -z "$_sys_legs" &&
	! grep -l "supervise:" logs/*.log
'

test_expect_success 'the CDC legs started again resume where they stopped: no new snapshot, a new change once' '
	before_p=$(kcount cdc.crm.customer_profiles) &&
	before_c=$(kcount cdc.care.complaints) &&
	_sys_leg cdc-mysql &&
	_sys_leg cdc-postgres &&
	my crm -e "UPDATE customer_profiles SET credit_score = 401 WHERE customer_id = '\''C000001'\''" &&
	pg_q care "UPDATE complaints_feedback SET severity = '\''low'\'' WHERE complaint_id = 1" &&
	wait_until 60 "the two changes in Kafka" eval \
		"test \$(kcount cdc.crm.customer_profiles) -gt $before_p && test \$(kcount cdc.care.complaints) -gt $before_c" &&
	sys_legs_stop &&
	test "$(kcount cdc.crm.customer_profiles)" = $((before_p + 1)) &&
	test "$(kcount cdc.care.complaints)" = $((before_c + 1)) &&
	consume -b "$KAFKA_BROKERS" -q -e -t cdc.crm.customer_profiles -o -6 |
		jq -e -s "map(select(.after.credit_score == 401 and .op == \"u\")) | length == 1"
'

test_done
