# shellcheck shell=bash
# pipelines/lib-system.sh: the whole system on this machine, as functions
# that pipelines/demo and tests/t9000-e2e.t share. The caller defines TRASH
# (the scratch folder, also the working directory), test_atexit CMD and
# error MSG, puts bin/ and build/tests on PATH, and sources
# tests/lib-base.sh, lib-kafka.sh, lib-mysql.sh, lib-pg.sh and
# lib-clickhouse.sh first. In $TRASH: data/ (telco-gen), state/ (the legs'
# checkpoints, dead letters, statistics), logs/ (their standard error).
#
#   sys_servers                 Kafka (1 node, 6 partitions), MariaDB, PostgreSQL,
#                               ClickHouse; ClickHouse's schema; the topics
#   sys_generate CUSTOMERS DAYS SEED   data/ and data/changes.jsonl
#   sys_load                    the databases' schemas and tables (load-databases --init)
#   sys_legs_start              cdc-mysql, cdc-postgres, mirror, process under supervise
#   sys_replay                  the events and the database changes, interleaved
#                               in event time (see below); state/slice-marks
#                               has the wall clock at each slice's start
#   sys_drain                   wait until ClickHouse holds what Kafka holds, then
#                               stop the processing leg, which writes its held alerts
#                               and events
#   sys_legs_stop               stop the legs (SIGTERM: each drains what it read)
#   kcount TOPIC                the records in a topic
#   chq SQL                     a ClickHouse query, tab-separated
SYS_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SYS_EVENT_TOPICS="telecom-cdr telecom-sdr telecom-service telecom-security telecom-location"
SYS_CDC_TOPICS="cdc.crm.customer_profiles cdc.crm.device_information cdc.billing.payments
	cdc.billing.behavior cdc.care.complaints"

SYS_SLICE_HOURS=${SYS_SLICE_HOURS:-6}
# the condition sys_replay waits on before it applies a slice's changes
SYS_ENRICH_READ=${SYS_ENRICH_READ:-_sys_enrich_read}
SYS_WAIT=${SYS_WAIT:-120}
: "${SYS_LOG:=/dev/null}"
_sys_legs=""

sys_say() { printf '[%3ds] %s\n' "$SECONDS" "$*"; }

chq() { ch_query "$1"; }

# kcount TOPIC: the records Kafka holds in TOPIC (0 before it exists)
kcount() {
	_o=$(kafka-admin -b "$KAFKA_BROKERS" offsets "$1" 2>/dev/null) || { echo 0; return 1; }
	printf '%s\n' "$_o" | awk '{ n += $3 - $2 } END { print n + 0 }'
}

# prom FILE NAME: a value of a Prometheus text file (0 when absent)
prom() {
	awk -v n="$2" '$1 == n { v = $2 } END { print v + 0 }' "$1" 2>/dev/null || echo 0
}

sys_servers() {
	KAFKA_PARTITIONS=6 kafka_start 1 || error "Kafka did not start"
	my_start || error "MariaDB did not start"
	pg_start || error "PostgreSQL did not start"
	ch_start || error "ClickHouse did not start"
	for f in "$SYS_TOP"/compose/init/clickhouse/*.sql; do
		ch_query_file "$f" || error "ClickHouse: $f failed"
	done
	for t in telecom-network $SYS_EVENT_TOPICS $SYS_CDC_TOPICS; do
		kafka_topic "$t" 6 >/dev/null || error "topic $t not created"
	done
	mkdir -p state logs
	export BROKERS=$KAFKA_BROKERS CLICKHOUSE_URL=$CH_URL STATE=$TRASH/state
}

sys_generate() {
	telco-gen --seed "$3" --customers "$1" --days "$2" \
		--changes data/changes.jsonl -o data || error "telco-gen failed"
}

sys_load() {
	DATA=data "$SYS_TOP/pipelines/load-databases" --init >>logs/load.log 2>&1 ||
		error "load-databases failed: $(tail -3 logs/load.log)"
}

# _sys_leg NAME [VAR=VALUE...]: start pipelines/NAME under supervise
_sys_leg() {
	_n=$1
	shift
	# in a process group of its own (setsid), so that an early exit can end
	# every process of the leg by the group's id
	setsid env "$@" "$SYS_TOP/pipelines/supervise" "$SYS_TOP/pipelines/$_n" \
		>"logs/$_n.out" 2>"logs/$_n.log" &
	_sys_legs="$_sys_legs $_n=$!"
	test_atexit "kill -TERM -- -$! 2>/dev/null; sleep 0.5; kill -KILL -- -$! 2>/dev/null"
}

_sys_leg_pid() {
	for _l in $_sys_legs; do [ "${_l%%=*}" = "$1" ] && echo "${_l#*=}"; done
}

# _rows TABLE: rows of telco-gen's CSV file TABLE.csv (its manifest)
_rows() { jq -r --arg f "$1.csv" '.rows[$f]' data/manifest.json; }

sys_cdc_snapshot_in_kafka() {
	[ "$(kcount cdc.crm.customer_profiles)" -ge "$(_rows customer_profiles)" ] &&
		[ "$(kcount cdc.crm.device_information)" -ge "$(_rows device_information)" ] &&
		[ "$(kcount cdc.billing.payments)" -ge "$(_rows payment_transactions)" ] &&
		[ "$(kcount cdc.billing.behavior)" -ge "$(_rows customer_behavior)" ] &&
		[ "$(kcount cdc.care.complaints)" -ge "$(_rows complaints_feedback)" ]
}

sys_legs_start() {
	_sys_leg cdc-mysql
	_sys_leg cdc-postgres
	wait_until "$SYS_WAIT" "the CDC snapshots in Kafka" sys_cdc_snapshot_in_kafka ||
		error "CDC snapshots did not reach Kafka (logs/cdc-*.log)"
	_sys_leg mirror
	# no window state (SYS_DETECT_STATE empty): stopping the leg writes the
	# alerts held for suppression and events as late as a slice of the
	# replay is long (see below); with one, detect --drain does that when
	# the leg stops, and a program of the leg killed loses nothing
	_sys_leg process DETECT_STATE="${SYS_DETECT_STATE:-}" \
		DETECT_DRAIN="${SYS_DETECT_STATE:+1}" DETECT_STATE_INTERVAL=1s \
		STATS_INTERVAL=300ms DETECT_LATENESS="$((SYS_SLICE_HOURS + 1))h"
}

# The events are generated for past days, the changes at times among them:
# replayed as fast as Kafka takes them, every event would be joined with
# the tables as they end. So the replay goes in slices of event time, cut
# at each scenario's change and every SYS_SLICE_HOURS hours: the rows of
# the slice are appended to the CSV files in live/ and sent by
# pipelines/ingest-streams under pipelines/supervise (which resumes each
# file where it stopped, also after a crash);
# once enrich has read them all, the changes up to the end of the slice
# are applied (pipelines/apply-changes --speed 0), and the next slice
# starts once enrich has applied every change record Kafka holds. A change
# is then seen by the events after it, and not by those before it.

# sys_events_in_kafka: every event of the slices sent so far in Kafka;
# sets _n to the records of the event topics
sys_events_in_kafka() {
	_n=0
	for _t in $SYS_EVENT_TOPICS; do
		_c=$(kcount "$_t") || return 1
		_n=$((_n + _c))
	done
	[ "$_n" -ge "$(cat state/expect.events)" ]
}

_sys_enrich_read() { # all the events in Kafka read by enrich
	sys_events_in_kafka &&
		[ "$(prom state/enrich.prom telco_enrich_events_in)" -ge "$_n" ]
}

# _sys_changes_in_kafka: each CDC topic holds the change records of the
# changes applied so far (state/expect.TOPIC counts the snapshot and them,
# state/expect-changes.TOPIC them alone). A CDC leg restarted after a
# crash sends again what came after its checkpoint, so the records are
# counted once per position: a count of records could be made of copies
# of old changes while the newest is still on its way.
_sys_changes_in_kafka() {
	for _t in $SYS_CDC_TOPICS; do
		[ "$(kcount "$_t")" -ge "$(cat "state/expect.$_t")" ] || return 1
	done
	for _t in $SYS_CDC_TOPICS; do
		[ "$(cat "state/expect-changes.$_t")" -gt 0 ] || continue
		_c=$(consume -b "$KAFKA_BROKERS" -q -e -t "$_t" |
			jq -r 'select(.op != "r") | [.op, .source.file, .source.pos, .source.lsn, .source.row] | tostring' |
			sort -u | wc -l) || return 1
		[ "$_c" -ge "$(cat "state/expect-changes.$_t")" ] || return 1
	done
}

_sys_tables_current() { # Kafka holds the changes applied; enrich has them
	# the counts enrich must reach are read after that, so they hold them
	_sys_changes_in_kafka || return 1
	set -- customer cdc.crm.customer_profiles device cdc.crm.device_information \
		payments cdc.billing.payments behavior cdc.billing.behavior \
		complaints cdc.care.complaints
	while [ $# -gt 0 ]; do
		_k=$(kcount "$2") || return 1
		[ "$(prom state/enrich.prom "telco_enrich_table_$1_changes")" -ge "$_k" ] || return 1
		shift 2
	done
}

# _sys_expect TOPIC N: N more change records expected in TOPIC
_sys_expect() {
	echo $(($(cat "state/expect.$1") + $2)) >"state/expect.$1"
	echo $(($(cat "state/expect-changes.$1") + $2)) >"state/expect-changes.$1"
}

sys_replay() {
	_start=$(jq -r .start data/manifest.json)
	_end=$(jq -r .end data/manifest.json)
	echo "$(_rows customer_profiles)" >state/expect.cdc.crm.customer_profiles
	echo "$(_rows device_information)" >state/expect.cdc.crm.device_information
	echo "$(_rows payment_transactions)" >state/expect.cdc.billing.payments
	echo "$(_rows customer_behavior)" >state/expect.cdc.billing.behavior
	echo "$(_rows complaints_feedback)" >state/expect.cdc.care.complaints
	for _t in $SYS_CDC_TOPICS; do echo 0 >"state/expect-changes.$_t"; done
	{
		jq -r 'select(.scenario != null) | .at' data/changes.jsonl
		_t=$(date -u -d "$_start" +%s)
		_e=$(date -u -d "$_end" +%s)
		while [ "$_t" -lt "$_e" ]; do
			_t=$((_t + SYS_SLICE_HOURS * 3600))
			date -u -d "@$_t" +%Y-%m-%dT%H:%M:%SZ
		done
	} | sort -u | awk -v e="$_end" '$0 <= e' >state/slices
	echo "$_end" >>state/slices
	sort -u -o state/slices state/slices
	mkdir -p live parts
	: >state/slice-marks
	# each file's rows by slice: parts/FILE.K (times are ISO 8601 in UTC)
	for _f in data/telecom-*.csv; do
		_b=${_f##*/}
		awk -F, -v out="parts/$_b" -v live="live/$_b" '
			BEGIN { k = 0 }
			NR == FNR { b[n++] = $0; next }
			FNR == 1 {
				for (i = 1; i <= NF; i++)
					if ($i == "start_time" || $i == "event_time") c = i
				print > live; close(live); next
			}
			{ while (k < n - 1 && $c >= b[k]) k++; print > (out "." k) }
		' state/slices "$_f"
	done
	_slice=0 _prev="" _nslices=$(wc -l <state/slices)
	echo 0 >state/expect.events
	while read -r _bound; do
		for _p in parts/*.csv."$_slice"; do
			[ -e "$_p" ] || continue
			_b=${_p##*/}
			cat "$_p" >>"live/${_b%.*}"
			case $_b in telecom-network.*) ;; *)
				echo $(($(cat state/expect.events) + $(wc -l <"$_p"))) >state/expect.events ;;
			esac
		done
		# the wall clock as the slice starts: a change record produced
		# before it was applied before the slice's events
		date +%s%3N >>state/slice-marks
		BROKERS=$KAFKA_BROKERS DATA=live STATE=state "$SYS_TOP/pipelines/supervise" \
			"$SYS_TOP/pipelines/ingest-streams" >>logs/ingest.log 2>&1 ||
			error "ingest-streams failed: $(tail -3 logs/ingest.log)"
		wait_until "$SYS_WAIT" "enrich reading the events before $_bound" "$SYS_ENRICH_READ" ||
			error "the processing leg does not read the events (logs/process.log)"
		jq -c --arg a "$_prev" --arg b "$_bound" 'select(.at > $a and .at <= $b)' \
			data/changes.jsonl >state/changes.slice
		_what=""
		if [ -s state/changes.slice ]; then
			while read -r _kind _cust; do
				case $_kind in
				credit_score_drop) _sys_expect cdc.crm.customer_profiles 1 ;;
				device_replaced) _sys_expect cdc.crm.device_information 2 ;;
				payment | payment_failed) _sys_expect cdc.billing.payments 1 ;;
				complaint_*) _sys_expect cdc.care.complaints 1 ;;
				esac
				case $_kind in
				credit_score_drop | device_replaced | payment_failed) _what="$_what $_kind $_cust," ;;
				esac
			done < <(jq -r '"\(.kind) \(.customer_id)"' state/changes.slice)
			DATA=data "$SYS_TOP/pipelines/apply-changes" --speed 0 state/changes.slice \
				>>logs/changes.log 2>&1 || error "apply-changes failed: $(tail -3 logs/changes.log)"
		fi
		wait_until "$SYS_WAIT" "the changes up to $_bound in enrich's tables" _sys_tables_current ||
			error "the changes do not reach enrich (logs/cdc-*.log, logs/process.log)"
		_slice=$((_slice + 1))
		sys_say "slice $_slice/$_nslices: events up to $_bound: $(prom state/enrich.prom telco_enrich_events_in) enriched;" \
			"$(wc -l <state/changes.slice) changes applied${_what:+:${_what%,}}"
		_prev=$_bound
	done <state/slices
	[ -n "$_prev" ] || error "nothing to replay"
}

_sys_ch_count() { chq "SELECT count() FROM telecom.$1"; }

SYS_EVENT_TABLES="telecom-cdr=cdr telecom-sdr=sdr telecom-location=location
	telecom-network=network telecom-security=security telecom-service=service
	telecom-cdr=cdr_enriched"
# TOPIC=TABLE=KEY: each CDC topic, its ClickHouse mirror, its primary key
SYS_CDC_TABLES="cdc.crm.customer_profiles=customer_profiles=customer_id
	cdc.crm.device_information=device_information=device_id
	cdc.billing.payments=payment_transactions=transaction_id
	cdc.billing.behavior=customer_behavior=behavior_id
	cdc.care.complaints=complaints_feedback=complaint_id"
# sys_cdc_table TOPIC=TABLE=KEY: the TABLE
sys_cdc_table() { _t=${1#*=}; echo "${_t%%=*}"; }

# sys_ends_stored TOPIC TABLE: the last record of every partition of TOPIC
# is in TABLE. For the CDC mirrors, whose merges keep one row per primary
# key (ReplacingMergeTree), counts fall below Kafka's once parts merge; a
# partition's last record is never merged away (a later change of its key
# would be later in the same partition).
sys_ends_stored() {
	_o=$(kafka-admin -b "$KAFKA_BROKERS" offsets "$1" 2>/dev/null) || return 1
	_c=$(chq "SELECT _kafka_partition, max(_kafka_offset) + 1 FROM telecom.$2
		GROUP BY _kafka_partition FORMAT TSV") || return 1
	[ "$(printf '%s\n' "$_o" | awk '$3 > $2 { print $1, $3 }' | sort)" = \
		"$(printf '%s\n' "$_c" | awk 'NF { print $1, $2 }' | sort)" ]
}

# sys_in_clickhouse [TABLE]: every topic's records in its ClickHouse
# table (but TABLE)
sys_in_clickhouse() {
	for _m in $SYS_EVENT_TABLES; do
		[ "${_m#*=}" != "${1:-}" ] || continue
		[ "$(_sys_ch_count "${_m#*=}")" = "$(kcount "${_m%%=*}")" ] || return 1
	done
	for _m in $SYS_CDC_TABLES; do
		sys_ends_stored "${_m%%=*}" "$(sys_cdc_table "$_m")" || return 1
	done
}

_sys_leg_stopped() { ! kill -0 "$(_sys_leg_pid "$1")" 2>/dev/null; }

# _sys_stop_leg NAME: SIGTERM to its supervise, which passes it on; the
# leg's exit status (0 when it drained and stopped cleanly)
_sys_stop_leg() {
	_p=$(_sys_leg_pid "$1")
	[ -n "$_p" ] || return 0
	kill -TERM "$_p" 2>/dev/null
	wait_until "$SYS_WAIT" "$1 to stop" _sys_leg_stopped "$1" || {
		echo "lib-system: $1 did not stop" >&2
		return 1
	}
	wait "$_p"
	_st=$?
	_sys_legs=$(printf '%s\n' $_sys_legs | grep -v "^$1=")
	[ "$_st" -eq 0 ] || echo "lib-system: $1 stopped with status $_st" >&2
	return "$_st"
}

# detect holds the events of the last DETECT_LATENESS of event time, to
# run them in order (detect(1)), until its input ends: the enriched CDRs
# are all in ClickHouse once the processing leg has stopped, which it may
# once enrich has read every event
_sys_drain_ready() { sys_in_clickhouse cdr_enriched && "${SYS_ENRICH_READ:-_sys_enrich_read}"; }

sys_drain() {
	wait_until "$SYS_WAIT" "ClickHouse to hold every record Kafka holds" _sys_drain_ready ||
		error "ClickHouse does not hold what Kafka holds (logs/mirror.log, logs/process.log)"
	_sys_stop_leg process || error "the processing leg did not stop"
	wait_until "$SYS_WAIT" "ClickHouse to hold every enriched CDR" sys_in_clickhouse ||
		error "ClickHouse does not hold every enriched CDR (logs/process.log)"
}

sys_legs_stop() {
	_all=0
	for _l in process mirror cdc-postgres cdc-mysql; do _sys_stop_leg "$_l" || _all=1; done
	return "$_all"
}

# sys_score: precision and recall per rule, as JSON lines on stdout
# {"rule","alerts","true_pos","false_pos","scenarios","found","missed":[ids]}.
# An alert is true when a scenario (not a near miss) of its rule, or one
# that also fires it by design (also_fires), has the alert's customer and
# the alert's event time within the scenario's span, give or take 30 min;
# any other alert is false, near misses that fired included. A scenario is
# found when a true alert of its own rule matches it.
sys_score() {
	chq "SELECT DISTINCT alert_id, rule, customer_id, toUnixTimestamp(event_time) AS t
		FROM telecom.alerts FORMAT JSONEachRow" >state/alerts.jsonl || return 1
	jq -n -c --slurpfile a state/alerts.jsonl --slurpfile g data/ground-truth.jsonl '
		def span: [(.start | fromdateiso8601) - 1800, (.end | fromdateiso8601) + 1800];
		($g | map(select(.near_miss != true))) as $sc |
		def hits($al): [$sc[] | select((.rule == $al.rule or ((.also_fires // []) | index($al.rule)))
			and .customer_id == $al.customer_id and (span as $s | $al.t >= $s[0] and $al.t <= $s[1]))];
		([$a[] | . + {hits: hits(.)}]) as $aa |
		([$sc[].rule] + [$a[].rule] | unique)[] as $r |
		($aa | map(select(.rule == $r))) as $ra |
		($sc | map(select(.rule == $r))) as $rs |
		($rs | map(.scenario_id as $id | select(any($ra[]; any(.hits[]; .scenario_id == $id))))) as $found |
		{rule: $r, alerts: ($ra | length),
		 true_pos: ($ra | map(select(.hits | length > 0)) | length),
		 false_pos: ($ra | map(select(.hits | length == 0)) | length),
		 scenarios: ($rs | length), found: ($found | length),
		 missed: ([$rs[].scenario_id] - [$found[].scenario_id])}'
}

sys_summary() {
	echo
	echo "Events per topic"
	printf '  %-18s %9s %9s %11s\n' topic "CSV rows" Kafka ClickHouse
	for _m in telecom-cdr=cdr telecom-sdr=sdr telecom-location=location \
		telecom-network=network telecom-security=security telecom-service=service; do
		printf '  %-18s %9s %9s %11s\n' "${_m%%=*}" "$(_rows "${_m%%=*}")" \
			"$(kcount "${_m%%=*}")" "$(_sys_ch_count "${_m#*=}")"
	done
	printf '  %-18s %9s %9s %11s   (telecom.cdr_enriched)\n' "enriched CDRs" - - \
		"$(_sys_ch_count cdr_enriched)"
	echo
	echo "CDC: change records per topic (from Kafka), rows now in the ClickHouse mirror"
	printf '  %-28s %8s %8s %8s %8s %8s %10s\n' topic snapshot insert update delete Kafka ClickHouse
	for _m in $SYS_CDC_TABLES; do
		consume -b "$KAFKA_BROKERS" -q -e -m -t "${_m%%=*}" >"state/${_m%%=*}.jsonl"
		read -r _r _c _u _d <<<"$(jq -s -r '[map(select(.op == "r")), map(select(.op == "c")),
			map(select(.op == "u")), map(select(.op == "d"))] | map(length) | @tsv' \
			"state/${_m%%=*}.jsonl")"
		printf '  %-28s %8s %8s %8s %8s %8s %10s\n' "${_m%%=*}" "$_r" "$_c" "$_u" "$_d" \
			"$(kcount "${_m%%=*}")" "$(chq "SELECT count() FROM telecom.$(sys_cdc_table "$_m")_current")"
	done
	echo
	echo "Alerts per rule (telecom.alerts), with the first of each"
	chq "SELECT rule, uniqExact(alert_id), argMin(customer_id, event_time),
		toString(min(event_time)), argMin(evidence, event_time)
		FROM telecom.alerts GROUP BY rule ORDER BY rule FORMAT TSV" |
		while IFS=$'\t' read -r _r _n _c _t _e; do
			printf '  %-20s %5s   e.g. %s at %s %s\n' "$_r" "$_n" "$_c" "$_t" "$_e" | cut -c1-200
		done
	echo
	echo "Precision and recall per rule, against data/ground-truth.jsonl"
	printf '  %-20s %6s %5s %5s %9s %6s %10s %7s\n' rule alerts TP FP scenarios found precision recall
	sys_score | jq -r '[.rule, .alerts, .true_pos, .false_pos, .scenarios, .found,
		(if .alerts > 0 then (.true_pos / .alerts * 100 | floor | tostring) + "%" else "-" end),
		(if .scenarios > 0 then (.found / .scenarios * 100 | floor | tostring) + "%" else "-" end)] | @tsv' |
		while IFS=$'\t' read -r _r _a _tp _fp _s _f _p _rc; do
			printf '  %-20s %6s %5s %5s %9s %6s %10s %7s\n' "$_r" "$_a" "$_tp" "$_fp" "$_s" "$_f" "$_p" "$_rc"
		done
	echo
	echo "Scenarios that depend on a database change (CDC), and what detection saw"
	jq -r 'select(.change != null) | [.scenario_id, .rule, .near_miss, .customer_id,
		.change.kind, .change.at] | @tsv' data/ground-truth.jsonl |
		while IFS=$'\t' read -r _id _r _nm _c _k _at; do
			_fired=$(chq "SELECT toString(min(event_time)) FROM telecom.alerts
				WHERE rule = '$_r' AND customer_id = '$_c' HAVING count() > 0 FORMAT TSV")
			_cs=""
			[ "$_k" != credit_score_drop ] || _cs=" credit_score seen by its CDRs: $(chq "SELECT
				arrayStringConcat(groupUniqArray(toString(customer_credit_score)), ',')
				FROM (SELECT customer_credit_score FROM telecom.cdr_enriched
				WHERE customer_id = '$_c' ORDER BY start_time)")"
			_w=$([ "$_nm" = true ] && echo "near miss" || echo scenario)
			printf '  %s %-18s %-9s %s %s at %s: %s%s\n' "$_id" "$_r" "$_w" "$_c" "$_k" "$_at" \
				"$([ -n "$_fired" ] && echo "fired at $_fired" || echo "did not fire")" "$_cs"
		done
	echo
	echo "CDC freshness: database commit (source.ts_ms) to ..., changes made during the run"
	cat state/cdc.*.jsonl | jq -r 'select(.op != "r") | ._kafka.ts - .source.ts_ms' | sort -n |
		awk '{ v[NR] = $1 } END { if (NR) printf "  %d changes; in Kafka (record timestamp): p50 %d ms, p99 %d ms, max %d ms\n",
			NR, v[int((NR + 1) * 0.5)], v[int(NR * 0.99 + 0.99)], v[NR] }'
	_fresh="SELECT toInt64(toUnixTimestamp(inserted_at)) * 1000 - toInt64(source_ts_ms) AS ms FROM telecom"
	chq "SELECT count(), quantileExact(0.5)(ms), quantileExact(0.99)(ms) FROM (
		$_fresh.customer_profiles WHERE op != 'r' UNION ALL
		$_fresh.device_information WHERE op != 'r' UNION ALL
		$_fresh.payment_transactions WHERE op != 'r' UNION ALL
		$_fresh.customer_behavior WHERE op != 'r' UNION ALL
		$_fresh.complaints_feedback WHERE op != 'r') FORMAT TSV" |
		while IFS=$'\t' read -r _n _c50 _c99; do
			echo "  in ClickHouse (inserted_at, whole seconds; $_n rows not merged away): p50 $_c50 ms, p99 $_c99 ms"
		done
	_first=$(jq -r 'select(.kind == "credit_score_drop") | .customer_id' data/changes.jsonl | head -n 1)
	if [ -n "$_first" ]; then
		chq "SELECT customer_id, toString(min(inserted_at)) FROM telecom.cdr_enriched
			WHERE customer_id = '$_first' AND customer_last_updated = (SELECT max(last_updated)
			FROM telecom.customer_profiles WHERE customer_id = '$_first') GROUP BY customer_id FORMAT TSV" |
			while IFS=$'\t' read -r _c _t; do
				echo "  the credit score drop of $_c was first used by an enriched CDR stored at $_t" \
					"(commit at $(jq -r --arg c "$_c" 'select(.op == "u" and .after.customer_id == $c) |
					.source.ts_ms / 1000 | todate' state/cdc.crm.customer_profiles.jsonl | head -n 1))"
			done
	fi
	echo
	_dl=$(find state -name '*.rejected' -size +0 2>/dev/null)
	if [ -z "$_dl" ]; then
		echo "Dead letters: none ($(find state -name '*.rejected' | wc -l) files, all empty)"
	else
		echo "Dead letters:"
		for _f in $_dl; do echo "  $_f: $(wc -l <"$_f") lines"; done
	fi
}
