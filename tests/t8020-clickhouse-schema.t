#!/bin/bash
test_description='compose: the ClickHouse schema filled through ch-insert, the dashboard queries, the deployment files'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lib-clickhouse.sh"

SCHEMA=$TOP/compose/init/clickhouse
PROV=$TOP/compose/grafana/provisioning
DASH=$PROV/dashboards/telco-pipes.json
STREAMS="cdr sdr location network security service"
MIRRORS="customer_profiles device_information payment_transactions customer_behavior complaints_feedback"
SQ=\'
command -v docker-compose >/dev/null ||
	error "docker-compose is not installed: run tests/setup-deps (make test does)"

count() { ch_query "SELECT count() FROM telecom.$1"; }
tsv() { ch_query "$1 FORMAT TSV"; }
rows() { echo $(($(wc -l <"$1") - 1)); }

# with_offsets PARTITION: _kafka.partition and .offset (0, 1, ...) and .ts
# added to records, as consume -m gives them
with_offsets() {
	jq -cn --argjson p "$1" --argjson ts "$(($(date +%s) * 1000))" \
		'foreach inputs as $r (-1; . + 1; . as $o | $r |
		 ._kafka.partition = $p | ._kafka.offset = $o | ._kafka.ts = $ts)'
}

# insert TABLE FILE [ch-insert options]: ch-insert with statistics kept
insert() {
	_t=$1 _f=$2
	shift 2
	ch-insert -u "$CH_URL" -t "telecom.$_t" -d "dead.$_t" -s 1h "$@" "$_f" 2>"err.$_t" &&
		grep "^{\"stats\":" "err.$_t" >>"stats.$_t" &&
		test_must_fail test -s "dead.$_t"
}

# stat NAME TABLE: a counter of the last ch-insert run into TABLE
stat() { grep "^{\"stats\":" "err.$2" | jq ".$1"; }

test_expect_success 'the schema is accepted, in file order, twice' '
	ch_start &&
	ls "$SCHEMA"/*.sql >files &&
	test_line_count -ge 5 files &&
	while read -r f; do ch_query_file "$f" || return 1; done <files &&
	while read -r f; do ch_query_file "$f" || return 1; done <files &&
	ch_query "SELECT name FROM system.tables WHERE database = ${SQ}telecom${SQ} ORDER BY name" >tables &&
	for t in $STREAMS cdr_enriched alerts $MIRRORS pipeline_metrics; do
		test_grep -x "$t" tables || return 1
	done &&
	for t in $MIRRORS; do test_grep -x "${t}_current" tables || return 1; done
'

test_expect_success 'every table ch-insert fills has the columns of a record position' '
	for t in $STREAMS cdr_enriched alerts $MIRRORS pipeline_metrics; do
		ch_query "SELECT groupArray(name) FROM system.columns WHERE database = ${SQ}telecom${SQ}
			AND table = ${SQ}$t${SQ} AND name IN (${SQ}_kafka_topic${SQ},
			${SQ}_kafka_partition${SQ}, ${SQ}_kafka_offset${SQ})" >cols &&
		test_grep _kafka_topic cols && test_grep _kafka_partition cols &&
		test_grep _kafka_offset cols || return 1
	done &&
	for t in customer_profiles device_information; do
		tsv "SELECT count() FROM system.columns WHERE database = ${SQ}telecom${SQ}
			AND table = ${SQ}$t${SQ} AND name IN (${SQ}source_name${SQ},
			${SQ}source_file${SQ}, ${SQ}source_pos${SQ}, ${SQ}source_row${SQ})" >n &&
		echo 4 >want && test_cmp want n || return 1
	done &&
	for t in payment_transactions customer_behavior complaints_feedback; do
		tsv "SELECT count() FROM system.columns WHERE database = ${SQ}telecom${SQ}
			AND table = ${SQ}$t${SQ} AND name IN (${SQ}source_name${SQ},
			${SQ}source_db${SQ}, ${SQ}source_lsn${SQ})" >n &&
		echo 3 >want && test_cmp want n || return 1
	done
'

test_expect_success 'events: generated, enriched, tagged by detect' '
	telco-gen --seed 1 --customers 50 --days 1 -o gen &&
	for s in $STREAMS; do
		csv2kafka --stdout -m "gen/telecom-$s.csv" | with_offsets 0 >"$s.jsonl" || return 1
		test "$(wc -l <"$s.jsonl")" = "$(rows "gen/telecom-$s.csv")" || return 1
	done &&
	csv2kafka --stdout gen/customer_profiles.csv >cust.jsonl &&
	csv2kafka --stdout gen/device_information.csv >dev.jsonl &&
	csv2kafka --stdout gen/payment_transactions.csv >pay.jsonl &&
	cat cdr.jsonl sdr.jsonl location.jsonl network.jsonl security.jsonl service.jsonl |
	jq -cn --slurpfile cust cust.jsonl --slurpfile dev dev.jsonl --slurpfile pay pay.jsonl "
		(\$cust | map({(.customer_id): .}) | add) as \$c |
		(\$dev | map(select(.device_status == \"active\") | {(.customer_id): .}) | add) as \$d |
		(\$pay | map(select(.status == \"failed\" or .status == \"chargeback\"))
			| group_by(.customer_id) | map({(.[0].customer_id): length}) | add) as \$f |
		inputs | if .customer_id then
			. + {customer: \$c[.customer_id], device: \$d[.customer_id],
			     payments: {failed_30d: (\$f[.customer_id] // 0)}}
		else . end" >enriched.unsorted &&
	jq -cs "sort_by(.start_time // .event_time)[]" enriched.unsorted >enriched.jsonl &&
	detect -t -r "$TOP/rules/telecom.rules" enriched.jsonl >tagged.jsonl &&
	test "$(wc -l <tagged.jsonl)" = "$(wc -l <enriched.jsonl)" &&
	detect -r "$TOP/rules/telecom.rules" enriched.jsonl >alerts.jsonl &&
	test_line_count -ge 3 alerts.jsonl &&
	for s in $STREAMS; do
		jq -c --arg t "telecom-$s" "select(._kafka.topic == \$t)" tagged.jsonl >"tagged.$s" || return 1
		test "$(wc -l <"tagged.$s")" = "$(wc -l <"$s.jsonl")" || return 1
	done &&
	jq -c "select(.rules != [])" tagged.cdr >fired.cdr &&
	test -s fired.cdr
'

test_expect_success 'event tables: every record stored once, with its values' '
	for s in $STREAMS; do
		insert "$s" "tagged.$s" -c "ck.$s" &&
		test "$(count "$s")" = "$(rows "gen/telecom-$s.csv")" || return 1
	done &&
	awk -F, "NR > 1 { d += \$8; c += \$16 } END { printf \"%d\t%.2f\n\", d, c }" \
		gen/telecom-cdr.csv >want &&
	tsv "SELECT sum(duration_s), sum(charge) FROM telecom.cdr" >got &&
	test_cmp want got &&
	sed -n 2p gen/telecom-cdr.csv | awk -F, -v OFS="\t" "{
		gsub(/T/, \" \", \$7); sub(/Z/, \"\", \$7)
		print \$1, \$2, \$3, \$5, \$6, \$7, \$8, (\$9 == \"true\"), \$10, (\$14 == \"true\"), \$16 }" >want &&
	id=$(cut -f1 want) &&
	tsv "SELECT cdr_id, customer_id, msisdn, direction, call_type, start_time, duration_s,
		answered, cell_id, roaming, charge FROM telecom.cdr WHERE cdr_id = ${SQ}$id${SQ}" >got &&
	test_cmp want got &&
	tsv "SELECT _kafka_topic, _kafka_partition, _kafka_offset FROM telecom.cdr
		WHERE cdr_id = ${SQ}$id${SQ}" >got &&
	printf "telecom-cdr\t0\t0\n" >want && test_cmp want got &&
	tsv "SELECT min(_kafka_offset), max(_kafka_offset), uniqExact(_kafka_offset)
		FROM telecom.network" >got &&
	n=$(rows gen/telecom-network.csv) &&
	printf "0\t%d\t%d\n" $((n - 1)) "$n" >want && test_cmp want got &&
	jq -r "[.cell_id, .event_time, .latency_ms, .active_subscribers] | @tsv" tagged.network |
		sed "s/T/ /; s/Z//" | sort | head -3 >want &&
	tsv "SELECT cell_id, event_time, latency_ms, active_subscribers FROM telecom.network
		ORDER BY cell_id, event_time LIMIT 3" >got &&
	test_cmp want got &&
	test "$(count "cdr WHERE notEmpty(rules)")" = "$(wc -l <fired.cdr)" &&
	jq -r ".rules[]" tagged.cdr tagged.sdr tagged.location tagged.network \
		tagged.security tagged.service | sort | uniq -c | awk "{ print \$2 \"\t\" \$1 }" >want &&
	tsv "SELECT r, count() FROM (SELECT arrayJoin(rules) AS r FROM telecom.cdr
		UNION ALL SELECT arrayJoin(rules) AS r FROM telecom.sdr
		UNION ALL SELECT arrayJoin(rules) AS r FROM telecom.location
		UNION ALL SELECT arrayJoin(rules) AS r FROM telecom.network
		UNION ALL SELECT arrayJoin(rules) AS r FROM telecom.security
		UNION ALL SELECT arrayJoin(rules) AS r FROM telecom.service) GROUP BY r ORDER BY r" >got &&
	test_cmp want got
'

test_expect_success 'event tables: a replay is skipped by its positions, with or without a checkpoint' '
	for s in $STREAMS; do
		before=$(count "$s") &&
		insert "$s" "tagged.$s" -c "ck.$s" &&
		test "$(stat rows_skipped "$s")" = "$before" &&
		insert "$s" "tagged.$s" &&
		test "$(stat rows_skipped "$s")" = "$before" &&
		test "$(stat rows_out "$s")" = 0 &&
		test "$(count "$s")" = "$before" || return 1
	done
'

test_expect_success 'enriched CDRs: the joined tables flattened, the rules fired' '
	insert cdr_enriched tagged.cdr &&
	test "$(count cdr_enriched)" = "$(wc -l <tagged.cdr)" &&
	test "$(count "cdr_enriched WHERE flagged")" = "$(wc -l <fired.cdr)" &&
	jq -r "select(.customer_id == \"C000001\") | [.customer_id, .credit_score, .plan_type,
		.monthly_spending, .account_creation_date] | @tsv" cust.jsonl >want &&
	tsv "SELECT DISTINCT customer_id, customer_credit_score, customer_plan_type,
		customer_monthly_spending, customer_account_creation_date
		FROM telecom.cdr_enriched WHERE customer_id = ${SQ}C000001${SQ}" >got &&
	test_cmp want got &&
	jq -s -r "map(select(.device != null)) | length" tagged.cdr >want &&
	tsv "SELECT count() FROM telecom.cdr_enriched WHERE device_imei IS NOT NULL" >got &&
	test_cmp want got &&
	jq -s -r "map(.payments.failed_30d) | add" tagged.cdr >want &&
	tsv "SELECT sum(payments_failed_30d) FROM telecom.cdr_enriched" >got &&
	test_cmp want got &&
	jq -s -r "map(select(.imei != .device.imei and .device != null)) | length" tagged.cdr >want &&
	tsv "SELECT countIf(has(rules, ${SQ}imei_mismatch${SQ})) FROM telecom.cdr_enriched" >got.im &&
	tsv "SELECT count() FROM telecom.cdr_enriched WHERE device_imei IS NOT NULL AND imei != device_imei" >got &&
	test_cmp want got &&
	test "$(cat got.im)" -le "$(cat got)"
'

test_expect_success 'alerts: stored with their fields, a replay kept once' '
	insert alerts alerts.jsonl &&
	test "$(count alerts)" = "$(wc -l <alerts.jsonl)" &&
	jq -r "[.alert_id, .rule, .severity, .customer_id, (.event_time | sub(\"T\"; \" \") | sub(\"\\\\.000Z\"; \"\")),
		(.event_count // 0), (.event_ids | length), .count] | @tsv" alerts.jsonl | sort >want &&
	tsv "SELECT alert_id, rule, severity, customer_id, event_time, event_count, length(event_ids),
		count FROM telecom.alerts ORDER BY alert_id" >got &&
	test_cmp want got &&
	jq -r "select(.rule == \"wangiri\") | [.alert_id, .evidence[\"count_distinct(other_msisdn)\"]] | @tsv" \
		alerts.jsonl | sort >want &&
	test -s want &&
	tsv "SELECT alert_id, visitParamExtractUInt(evidence, ${SQ}count_distinct(other_msisdn)${SQ})
		FROM telecom.alerts WHERE rule = ${SQ}wangiri${SQ} ORDER BY alert_id" >got &&
	test_cmp want got &&
	insert alerts alerts.jsonl &&
	n=$(jq -r .alert_id alerts.jsonl | sort -u | wc -l) &&
	test "$(count alerts)" = $((2 * $(wc -l <alerts.jsonl))) &&
	test "$(count "alerts FINAL")" = "$n" &&
	ch_query "OPTIMIZE TABLE telecom.alerts FINAL" &&
	test "$(count alerts)" = "$n"
'

# Change records in Debezium's envelope, as binlog2jsonl and pgcdc2jsonl
# write them; NOW is the commit time (ms).
mysql_change() { # op table before after file pos row
	printf '{"before":%s,"after":%s,"source":{"version":"0.1.0","connector":"mysql","name":"mysql","ts_ms":NOW,"snapshot":"%s","db":"crm","table":"%s","server_id":1,"gtid":"3E11FA47-71CA-11E1-9E33-C80AA9429562:%s","file":"%s","pos":%s,"row":%s},"op":"%s","ts_ms":NOW,"transaction":null}\n' \
		"$3" "$4" "$([ "$1" = r ] && echo true || echo false)" "$2" "$6" "$5" "$6" "$7" "$1"
}
pg_change() { # op db table before after lsn txid
	printf '{"before":%s,"after":%s,"source":{"connector":"postgresql","name":"%s","db":"%s","schema":"public","table":"%s","lsn":%s,"txId":%s,"snapshot":"%s","ts_ms":NOW},"op":"%s","ts_ms":NOW,"transaction":null}\n' \
		"$4" "$5" "$2" "$2" "$3" "$6" "$7" "$([ "$1" = r ] && echo true || echo false)" "$1"
}
p1='{"customer_id":"C000001","customer_name":"Klaus M\u00fcller","age":84,"gender":"female","location":"Hamburg, DE","account_creation_date":"2026-04-11","plan_type":"business","monthly_spending":"267.81","credit_score":665,"avg_payment_delay":17,"last_updated":"2026-10-12T17:02:06Z"}'
d1='{"device_id":1,"customer_id":"C000001","device_model":"Google Pixel 8","os_version":"Android 14","imei":"355496100000000","device_status":"active","last_updated":"2026-10-23T20:37:49Z"}'
t1='{"transaction_id":1,"customer_id":"C000001","transaction_date":"2026-08-15T09:51:44Z","amount":101.09,"payment_method":"credit_card","status":"completed","created_at":"2026-08-15T09:51:46Z"}'
t2='{"transaction_id":2,"customer_id":"C000002","transaction_date":"2026-11-01T10:00:00Z","amount":49.90,"payment_method":"paypal","status":"pending","created_at":"2026-11-01T10:00:01Z"}'
b1='{"behavior_id":7,"customer_id":"C000003","avg_session_duration":781,"app_usage_hours":23.65,"favorite_service":"video_calls","last_login":"2026-10-25T03:11:12Z","created_at":"2026-07-28T01:46:11Z"}'
c1='{"complaint_id":1,"customer_id":"C000004","complaint_type":"billing_dispute","severity":"critical","status":"open","created_at":"2026-09-07T00:10:43Z","resolved_at":null}'
p2='{"customer_id":"C000002","customer_name":"Mehmet Schneider","age":45,"gender":"male","location":"Hamburg, DE","account_creation_date":"2017-12-24","plan_type":"basic","monthly_spending":"22.24","credit_score":755,"avg_payment_delay":2,"last_updated":"2026-10-30T12:46:17Z"}'

test_expect_success 'CDC mirrors: the latest change per key by source position, deletes flagged' '
	now=$(($(date +%s) * 1000 - 5000)) &&
	p1a=$(echo "$p1" | jq -c ".credit_score = 590") &&
	p1b=$(echo "$p1" | jq -c ".credit_score = 580 | .plan_type = \"premium\"") &&
	{
		mysql_change r customer_profiles null "$p1" binlog.000001 4 0
		mysql_change r customer_profiles null "$p2" binlog.000001 4 1
		mysql_change u customer_profiles "$p1a" "$p1b" binlog.000002 300 0
		mysql_change d customer_profiles "$p2" null binlog.000002 900 0
	} | sed "s/NOW/$now/g" >cp.1 &&
	mysql_change u customer_profiles "$p1" "$p1a" binlog.000001 4000000000 3 |
		sed "s/NOW/$now/g" >cp.2 &&
	insert customer_profiles cp.1 &&
	insert customer_profiles cp.2 &&
	test "$(count customer_profiles)" = 5 &&
	tsv "SELECT customer_id, credit_score, plan_type, monthly_spending, op, source_file
		FROM telecom.customer_profiles_current ORDER BY customer_id" >got &&
	printf "C000001\t580\tpremium\t267.81\tu\tbinlog.000002\n" >want &&
	test_cmp want got &&
	tsv "SELECT customer_id, __deleted, op FROM telecom.customer_profiles FINAL ORDER BY customer_id" >got &&
	printf "C000001\t0\tu\nC000002\t1\td\n" >want && test_cmp want got &&
	cat cp.1 cp.2 >cp.all &&
	insert customer_profiles cp.all &&
	test "$(stat rows_skipped customer_profiles)" = 5 &&
	test "$(count customer_profiles)" = 5 &&
	{
		mysql_change c device_information null "$d1" binlog.000002 1000 0
		mysql_change u device_information "$d1" "$(echo "$d1" | jq -c ".device_status = \"lost\"")" binlog.000002 1400 0
	} | sed "s/NOW/$now/g" >dev.cdc &&
	insert device_information dev.cdc &&
	tsv "SELECT device_id, customer_id, imei, device_status FROM telecom.device_information_current" >got &&
	printf "1\tC000001\t355496100000000\tlost\n" >want && test_cmp want got
'

test_expect_success 'CDC mirrors from PostgreSQL: LSN order, key-only deletes' '
	{
		pg_change r billing payment_transactions null "$t1" 26000000 null
		pg_change c billing payment_transactions null "$t2" 26000500 741
		pg_change u billing payment_transactions null "$(echo "$t2" | jq -c ".status = \"failed\"")" 26000900 742
		pg_change d billing payment_transactions "{\"transaction_id\":1}" null 26001200 743
	} | sed "s/NOW/$now/g" >pay.cdc &&
	insert payment_transactions pay.cdc &&
	tsv "SELECT transaction_id, customer_id, amount, status, source_lsn, source_txId
		FROM telecom.payment_transactions_current" >got &&
	printf "2\tC000002\t49.90\tfailed\t26000900\t742\n" >want && test_cmp want got &&
	tsv "SELECT transaction_id, __deleted FROM telecom.payment_transactions FINAL ORDER BY transaction_id" >got &&
	printf "1\t1\n2\t0\n" >want && test_cmp want got &&
	pg_change c billing customer_behavior null "$b1" 26002000 744 | sed "s/NOW/$now/g" >beh.cdc &&
	insert customer_behavior beh.cdc &&
	tsv "SELECT behavior_id, app_usage_hours, last_login FROM telecom.customer_behavior_current" >got &&
	printf "7\t23.65\t2026-10-25 03:11:12\n" >want && test_cmp want got &&
	{
		pg_change c care complaints_feedback null "$c1" 500 10
		pg_change u care complaints_feedback null "$(echo "$c1" | jq -c ".status = \"resolved\" | .resolved_at = \"2026-09-09T17:31:43Z\"")" 600 11
	} | sed "s/NOW/$now/g" >compl.cdc &&
	insert complaints_feedback compl.cdc &&
	tsv "SELECT complaint_id, status, resolved_at, source_db FROM telecom.complaints_feedback_current" >got &&
	printf "1\tresolved\t2026-09-09 17:31:43\tcare\n" >want && test_cmp want got &&
	for t in payment_transactions:pay customer_behavior:beh complaints_feedback:compl; do
		before=$(count "${t%:*}") &&
		insert "${t%:*}" "${t#*:}.cdc" &&
		test "$(stat rows_skipped "${t%:*}")" = "$before" &&
		test "$(count "${t%:*}")" = "$before" || return 1
	done
'

test_expect_success 'pipeline_metrics: statistics lines of the runs above, and consumer lag' '
	ls stats.* >stat-files &&
	for f in $(cat stat-files); do
		jq -c --arg leg t8020 --arg instance "$(hostname)/telecom.${f#stats.}" \
			"{time: .ts, program: .stats, leg: \$leg, instance: \$instance,
			  counters: del(.ts, .stats)}" "$f" || return 1
	done >metrics.jsonl &&
	cat stats.* >stats.jsonl &&
	printf "%s\n" "{\"program\":\"consume\",\"time\":\"$(date -u +%Y-%m-%dT%H:%M:%S.000Z)\",\"messages\":10,\"bytes\":900,\"errors\":0,\"rate\":1.0,\"partitions\":[{\"topic\":\"telecom-cdr\",\"partition\":0,\"position\":10,\"high\":25,\"lag\":15,\"eof\":false},{\"topic\":\"telecom-cdr\",\"partition\":1,\"position\":3,\"high\":3,\"lag\":0,\"eof\":true}]}" |
	jq -c --arg leg t8020 ".program as \$p | .time as \$t | .partitions[] |
		{time: \$t, program: \$p, leg: \$leg, topic, partition, counters: {position, high, lag}}" >>metrics.jsonl &&
	jq -s "map(.rows_out) | add" stats.jsonl >want.out &&
	jq -s "map(.rows_in) | add" stats.jsonl >want.in &&
	insert pipeline_metrics metrics.jsonl &&
	test "$(count pipeline_metrics)" = "$(wc -l <metrics.jsonl)" &&
	tsv "SELECT sum(rows_out) FROM telecom.pipeline_metrics WHERE program = ${SQ}ch-insert${SQ}" >got &&
	test_cmp want.out got &&
	tsv "SELECT sum(rows_in) FROM telecom.pipeline_metrics WHERE program = ${SQ}ch-insert${SQ}" >got &&
	test_cmp want.in got &&
	tsv "SELECT sum(rejected) FROM telecom.pipeline_metrics" >got &&
	echo 0 >want && test_cmp want got &&
	tsv "SELECT uniqExact(instance) FROM telecom.pipeline_metrics WHERE program = ${SQ}ch-insert${SQ}" >got &&
	wc -l <stat-files >want && test_cmp want got &&
	tsv "SELECT topic, partition, lag FROM telecom.pipeline_metrics WHERE topic != ${SQ}${SQ} ORDER BY partition" >got &&
	printf "telecom-cdr\t0\t15\ntelecom-cdr\t1\t0\n" >want && test_cmp want got
'

test_expect_success 'the dashboard: every panel has a query on the provisioned data source' '
	jq -e . "$DASH" >/dev/null &&
	uid=$(python3 -c "import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))[\"datasources\"][0][\"uid\"])" \
		"$PROV/datasources/clickhouse.yaml") &&
	jq -r ".panels[] | [.title, (.targets | length), .datasource.uid, (.targets[] | .datasource.uid)] | @tsv" \
		"$DASH" >panels &&
	test_line_count -ge 8 panels &&
	awk -F "\t" -v u="$uid" "\$2 < 1 || \$3 != u || \$4 != u" panels >bad &&
	test_must_fail test -s bad &&
	for p in "Alerts by rule" "Alerts by severity" "Top customers by alerts" "Events per topic per minute" \
		"CDC freshness" "Pipeline throughput" "Rejected records" "Consumer lag"; do
		test_grep -q "^$p	" panels || return 1
	done
'

test_expect_success 'the dashboard queries run and return rows' '
	from=$(ch_query "SELECT toUInt32(min(start_time)) - 86400 FROM telecom.cdr") &&
	to=$(ch_query "SELECT toUInt32(now()) + 3600") &&
	jq -j ".panels[] | .targets[] | .rawSql, \"\u0000\"" "$DASH" >queries &&
	n=0 &&
	while IFS= read -r -d "" sql; do
		n=$((n + 1)) &&
		printf "%s" "$sql" | sed -e "s/\\\$__timeFilter(\([a-z_]*\))/\1 >= toDateTime($from) AND \1 <= toDateTime($to)/g" \
			-e "s/\\\$__fromTime/toDateTime($from)/g" -e "s/\\\$__toTime/toDateTime($to)/g" \
			-e "s/\\\$__interval_s/60/g" >"q.$n" &&
		test_grep -v "\\$" "q.$n" &&
		ch_query "$(cat "q.$n") FORMAT TSV" >"r.$n" &&
		{ test -s "r.$n" || { echo "no rows from query $n:"; cat "q.$n"; false; }; } || return 1
	done <queries &&
	test "$n" -ge 9 &&
	jq -r "[.customer_id, .alert_id] | @tsv" alerts.jsonl | sort -u | cut -f1 | uniq -c | sort -k1,1nr -k2 | head -1 | awk "{ print \$2 \"\t\" \$1 }" >want &&
	head -1 r.4 | cut -f1,2 >got && test_cmp want got
'

test_expect_success 'deployment files: YAML parses, compose names the services' '
	C=$TOP/compose/docker-compose.yml &&
	for f in "$C" "$PROV"/datasources/*.yaml "$PROV"/dashboards/*.yaml; do
		python3 -c "import sys, yaml; yaml.safe_load(open(sys.argv[1]))" "$f" || return 1
	done &&
	python3 -c "import sys, yaml; print(\"\n\".join(sorted(yaml.safe_load(open(sys.argv[1]))[\"services\"])))" \
		"$C" >services &&
	for s in mysql postgres kafka1 kafka2 kafka3 clickhouse grafana kafka-ui schema-registry \
		cdc-mysql cdc-postgres process ingest-streams; do
		test_grep -x "$s" services || return 1
	done &&
	for d in mysql postgres clickhouse; do
		test_grep "./init/$d:/docker-entrypoint-initdb.d" "$C" || return 1
	done &&
	test_grep "binlog-row-metadata=FULL" "$C" &&
	test_grep "gtid-mode=ON" "$C" &&
	test_grep "wal_level=logical" "$C" &&
	test -f "$TOP/compose/README"
'

test_expect_success 'deployment files: docker-compose config accepts the compose file' '
	(cd "$TOP/compose" && docker-compose -f docker-compose.yml --profile demo config -q) &&
	(cd "$TOP/compose" && docker-compose -f docker-compose.yml --profile demo config --services) >svc &&
	sort svc >got && sort services >want && test_cmp want got
'

test_expect_success 'the image installs the shared libraries the programs link' '
	sed -n "/^FROM debian:12-slim/,\$p" "$TOP/compose/Dockerfile" >runtime &&
	test -s runtime &&
	# the image is built without SANITIZE: sanitizer runtimes are not its
	objdump -p "$TOP"/bin/* | awk "/NEEDED/ { print \$2 }" |
		grep -v -E "^lib(asan|ubsan|lsan|tsan)\.so" | sort -u >needed &&
	test_line_count -ge 5 needed &&
	while read -r l; do
		p=$(ldconfig -p | awk -v l="$l" "\$1 == l { print \$NF; exit }") &&
		r=$(readlink -f "$p") &&
		{ dpkg -S "$r" 2>/dev/null || dpkg -S "${r#/usr}"; } | cut -d: -f1 | head -n 1 || return 1
	done <needed | sort -u >pkgs &&
	test_grep -x librdkafka1 pkgs &&
	for p in $(cat pkgs); do
		test "$p" = libc6 || test_grep -w "$p" runtime || return 1
	done &&
	test_grep "make install" "$TOP/compose/Dockerfile"
'

# The same files on a current ClickHouse, when chDB (ClickHouse in a Python
# module) is at hand: CHDB_PYTHON names a python3 that imports chdb.
CHDB_PYTHON=${CHDB_PYTHON:-python3}
if "$CHDB_PYTHON" -c "import chdb" 2>/dev/null; then
test_expect_success 'a current ClickHouse (chDB) accepts the schema and runs the dashboard queries' '
	cat >chdb-check.py <<-\EOF &&
	import glob, json, re, sys
	import chdb
	from chdb import session
	s = session.Session("chdb-data")
	print("ClickHouse", str(s.query("SELECT version()", "TSV")).strip())
	for f in sorted(glob.glob(sys.argv[1] + "/*.sql")):
	    lines = [l for l in open(f).read().split("\n") if not re.match(r"\s*--", l)]
	    for st in re.split(r";[ \t]*\n", "\n".join(lines) + "\n"):
	        if st.strip():
	            s.query(st)
	d = json.load(open(sys.argv[2]))
	for p in d["panels"]:
	    for t in p["targets"]:
	        q = re.sub(r"\$__timeFilter\(([a-z_]+)\)",
	                   r"\1 >= toDateTime(1790000000) AND \1 <= toDateTime(1800000000)", t["rawSql"])
	        s.query(q.replace("$__interval_s", "60"), "TSV")
	        print("ran:", p["title"])
	EOF
	"$CHDB_PYTHON" chdb-check.py "$SCHEMA" "$DASH" >chdb.out &&
	say "$(head -n 1 chdb.out)" &&
	grep -c "^ran:" chdb.out >n &&
	jq "[.panels[].targets[]] | length" "$DASH" >want && test_cmp want n
'
else
	say "chDB is not installed: the files were not run on a current ClickHouse"
fi

test_done
