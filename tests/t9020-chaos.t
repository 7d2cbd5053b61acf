#!/bin/bash
test_description='the whole system on real servers while programs of its legs are killed with SIGKILL: every record stored once, the alerts of an undisturbed run'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lib-kafka.sh"
. "$TEST_DIR/lib-mysql.sh"
. "$TEST_DIR/lib-pg.sh"
. "$TEST_DIR/lib-clickhouse.sh"
. "$TOP/pipelines/lib-system.sh"

# The run of t9000-e2e.t, smaller, with a chaos loop beside the replay: at
# random moments (CHAOS_SEED, printed, makes the choices again) it picks a
# leg at random (of CHAOS_LEGS: ingest, cdc-mysql, cdc-postgres, mirror,
# process), one of that leg's programs at random, and kills it with
# SIGKILL, CHAOS_KILLS times at least. pipelines/supervise restarts the legs as it does in
# production (SUPERVISE_MAX_DELAY keeps its backoff short here), and the
# replay runs pipelines/ingest-streams under supervise too. Every kill is
# logged in state/chaos.log (seconds since the start, leg, program, pid).
CHAOS_SEED=${CHAOS_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
CHAOS_KILLS=${CHAOS_KILLS:-20}
CHAOS_PROGRAMS="consume enrich detect ch-insert produce csv2kafka binlog2jsonl pgcdc2jsonl"
# The processing leg runs with a detect state, and so with barriers
# (pipelines/process): a restart resumes from the last state both its
# ch-insert passed, and reads the events from where that state ends.
CHAOS_LEGS=${CHAOS_LEGS:-ingest cdc-mysql cdc-postgres mirror process}
SYS_DETECT_STATE=$TRASH/state/detect.state
SYS_WAIT=150
export SUPERVISE_MAX_DELAY=2
echo "# chaos seed $CHAOS_SEED (CHAOS_SEED=$CHAOS_SEED bash $0 to choose the same again)"

# a helper that gives up (error) shows what the test had written and the kills
exec 3>&1
error() {
	{
		printf 'Bail out! %s: %s\n' "$TEST_NAME" "$*"
		# shellcheck disable=SC2154 # lib.sh's
		sed -e 's/^/#   /' "$_test_log"
		chaos_report | sed -e 's/^/#   /'
	} >&3
	exit 1
}

# chaos_targets LEG: "PID PROGRAM" of each program of LEG now running: the
# descendants of its supervise (of this script for ingest, whose
# supervise sys_replay runs)
chaos_targets() {
	_root=$$
	[ "$1" = ingest ] || _root=$(_sys_leg_pid "$1")
	[ -n "$_root" ] || return 0
	ps -e -o pid=,ppid=,comm= | awk -v root="$_root" -v leg="$1" -v progs=" $CHAOS_PROGRAMS " '
		{ pp[$1] = $2; c[$1] = $3 }
		END {
			for (p in pp) {
				if (index(progs, " " c[p] " ") == 0) continue
				if (leg == "ingest" && c[p] != "csv2kafka") continue
				for (q = pp[p]; q > 1 && q != root && (q in pp); q = pp[q]) ;
				if (q == root) print p, c[p]
			}
		}' | sort -n
}

# the chaos loop: kills until state/chaos.stop exists and CHAOS_KILLS were
# made; pauses of 0.8 to 2.8 s between kills are the chaos, not a wait
chaos_loop() {
	RANDOM=$CHAOS_SEED
	_n=0 _t0=$SECONDS
	read -r -a _legs <<<"$CHAOS_LEGS"
	while [ ! -e state/chaos.stop ] || [ "$_n" -lt "$CHAOS_KILLS" ]; do
		_ms=$((800 + RANDOM % 2000))
		sleep "$((_ms / 1000)).$(printf %03d $((_ms % 1000)))"
		_leg=${_legs[RANDOM % ${#_legs[@]}]}
		mapfile -t _cands < <(chaos_targets "$_leg")
		# csv2kafka runs a moment per slice: catch it within 3 s
		for _w in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
			[ "$_leg" = ingest ] && [ "${#_cands[@]}" = 0 ] && [ ! -e state/chaos.stop ] || break
			sleep 0.2
			mapfile -t _cands < <(chaos_targets "$_leg")
		done
		[ "${#_cands[@]}" -gt 0 ] || continue # restarting, or nothing to send
		read -r _pid _prog <<<"${_cands[RANDOM % ${#_cands[@]}]}"
		if kill -KILL "$_pid" 2>/dev/null; then
			_n=$((_n + 1))
			printf '%3d %4ds %-12s %-12s %s\n' "$_n" "$((SECONDS - _t0))" "$_leg" "$_prog" "$_pid" \
				>>state/chaos.log
		fi
	done
}

chaos_report() {
	echo "chaos seed $CHAOS_SEED; kills (n, time, leg, program, pid):"
	cat state/chaos.log
	grep -h "supervise:" logs/*.log | sort | uniq -c | sort -rn | head -n 20
	echo "records in Kafka, rows in ClickHouse (distinct positions):"
	for _m in $SYS_EVENT_TABLES; do
		echo "  ${_m%%=*} $(kcount "${_m%%=*}") telecom.${_m#*=} $(chq "SELECT count(),
			uniqExact(_kafka_partition, _kafka_offset) FROM telecom.${_m#*=} FORMAT CSV")"
	done
}

# Every event in Kafka read by the processing leg's consume: its last
# statistics line, one written after line CHAOS_STATS_FROM of
# state/consume.stats (once the kills are over: by the consume running
# now, not by one killed), has all 30 partitions at their end. enrich's
# count of events would not do: a restarted enrich counts from where the
# leg resumed. During the replay the changes of a slice may be applied as
# soon as its events are in Kafka: enrich joins each event with the tables
# as they were when the event reached Kafka, whenever it reads it.
CHAOS_STATS_FROM=0
_chaos_read_all() {
	sys_events_in_kafka || return 1
	[ "$CHAOS_STATS_FROM" -gt 0 ] || return 0
	[ "$(wc -l <state/consume.stats)" -gt "$CHAOS_STATS_FROM" ] || return 1
	tail -n 1 state/consume.stats |
		jq -e "(.partitions | length) == 30 and all(.partitions[]; .eof)" >/dev/null
}
SYS_ENRICH_READ=_chaos_read_all

# Each leg runs all its programs again (process: consume for the events
# and for each of the five tables, enrich, detect, two ch-insert).
_sys_leg_running() {
	case $1 in
	cdc-mysql) _want=2 ;;
	cdc-postgres) _want=4 ;;
	mirror) _want=22 ;;
	process) _want=10 ;;
	esac
	[ "$(chaos_targets "$1" | wc -l)" -eq "$_want" ]
}

# The reference: the alerts of an undisturbed run, computed offline by the
# same programs over the same inputs. In an undisturbed run the
# processing leg enriches the events of slice K with the tables as the
# change records before slice K left them (sys_replay applies a slice's
# changes only after enrich has read its events, and starts the next
# slice only once enrich holds them), and detect sees the enriched events
# slice after slice. So: for each slice K, csv2kafka --stdout -m turns the
# slice's CSV rows into the records ingest-streams sends (same types, same
# _kafka.topic), enrich joins them with the tables as regular files that
# hold the change records Kafka received before the slice started
# (state/slice-marks, against each record's timestamp, taken when produce
# sent it), and detect, with the processing leg's options, reads the
# enriched slices in order. Alert ids are hashes of the rule, the key and
# the first event (detect(1)): the same events give the same alerts. The
# order of events within a slice is not the leg's (consume interleaves
# partitions and topics), but detect runs its rules in event-time order
# over what arrives within the lateness, which is longer than a slice.
ref_alerts() {
	mkdir -p ref &&
	for t in customer=cdc.crm.customer_profiles device=cdc.crm.device_information \
		payments=cdc.billing.payments behavior=cdc.billing.behavior \
		complaints=cdc.care.complaints; do
		consume -b "$KAFKA_BROKERS" -q -e -m -t "${t#*=}" >"ref/${t%%=*}.all" || return 1
	done &&
	_k=0 &&
	: >ref/enriched.jsonl &&
	while read -r _mark; do
		mkdir -p "ref/s$_k" &&
		_tables=() &&
		for _n in customer device payments behavior complaints; do
			jq -c --argjson m "$_mark" 'select(._kafka.ts < $m)' "ref/$_n.all" \
				>"ref/s$_k/$_n.jsonl" || return 1
			_tables+=(--table "$_n=ref/s$_k/$_n.jsonl")
		done &&
		_csv=() &&
		for _s in $SYS_EVENT_TOPICS; do
			[ -e "parts/$_s.csv.$_k" ] || continue
			{ head -n 1 "data/$_s.csv" && cat "parts/$_s.csv.$_k"; } >"ref/s$_k/$_s.csv" &&
			_csv+=("ref/s$_k/$_s.csv") || return 1
		done &&
		if [ "${#_csv[@]}" -gt 0 ]; then
			csv2kafka --stdout -m -k customer_id "${_csv[@]}" 2>>ref/errors |
				enrich -C "$TOP/pipelines/enrich.conf" "${_tables[@]}" 2>>ref/errors \
				>>ref/enriched.jsonl || return 1
		fi &&
		_k=$((_k + 1)) || return 1
	done <state/slice-marks &&
	test "$_k" -eq "$(wc -l <state/slices)" &&
	detect -u -r "$TOP/rules/telecom.rules" --lateness "$((SYS_SLICE_HOURS + 1))h" \
		<ref/enriched.jsonl >ref/alerts.jsonl 2>>ref/errors
}

# alerts_of TABLE: its alerts, every field but detected_at (the greatest
# event time detect had seen when it wrote the alert: when, not what) and
# the positions
alerts_of() {
	chq "SELECT alert_id, rule, severity, key, customer_id, msisdn, stream,
		toString(event_time), toString(window_start), toString(score), description,
		evidence, toString(event_ids), event_count, count, toString(last_event_time)
		FROM telecom.$1 FINAL ORDER BY alert_id FORMAT TSV"
}

test_expect_success 'Kafka (6 partitions), MariaDB, PostgreSQL, ClickHouse and their schemas' '
	chmod 755 "$TRASH" &&
	sys_servers
'

test_expect_success 'telco-gen data with changes, loaded into the databases' '
	sys_generate 150 1 7 &&
	test -s data/changes.jsonl &&
	sys_load
'

test_expect_success 'the legs start and the CDC snapshots reach Kafka' '
	sys_legs_start &&
	for l in cdc-mysql cdc-postgres mirror process; do
		wait_until 30 "$l running" _sys_leg_running "$l" || return 1
	done
'

test_expect_success "the replay, with a program of a leg killed $CHAOS_KILLS times at random" '
	: >state/chaos.log &&
	{ chaos_loop & chaos=$!; } &&
	test_atexit "kill $chaos" &&
	(sys_replay) >replay.out
	st=$?
	touch state/chaos.stop
	cat replay.out
	wait_until 120 "the chaos loop to make its kills" eval "! kill -0 $chaos" || st=1
	chaos_report
	# the kills, in the TAP output also when the test passes
	sed -e "s/^/# kill /" state/chaos.log >&3
	test "$st" = 0 &&
	test "$(wc -l <state/chaos.log)" -ge "$CHAOS_KILLS" &&
	for l in $CHAOS_LEGS; do
		grep -q " $l " state/chaos.log || echo "no kill in leg $l"
	done
'

test_expect_success 'every leg was restarted and runs all its programs' '
	for l in cdc-mysql cdc-postgres mirror process; do
		k=$(grep -c " $l " state/chaos.log)
		r=$(grep -c "supervise: $l: exit .*restarting" "logs/$l.log")
		echo "# $l: $k kills, $r restarts" >&3
		test "$r" -ge 1 || test "$k" = 0 || return 1
		wait_until 60 "$l running all its programs" _sys_leg_running "$l" || {
			ps -o pid,args -p "$(chaos_targets "$l" | awk "{ print \$1 }" | paste -s -d,)"
			return 1
		}
	done &&
	! grep "not restarted" logs/*.log &&
	CHAOS_STATS_FROM=$(wc -l <state/consume.stats) &&
	test "$CHAOS_STATS_FROM" -gt 0
'

test_expect_success 'ClickHouse holds every CSV row once' '
	sys_drain || { chaos_report; return 1; }
	for m in cdr=cdr_id sdr=sdr_id security=event_id service=usage_id \
		location=customer_id,msisdn,event_time,cell_id network=cell_id,event_time \
		cdr_enriched=cdr_id; do
		table=${m%%=*} key=${m#*=} csv=data/telecom-${table%_enriched}.csv
		rows=$(($(wc -l <"$csv") - 1))
		read -r c u <<<"$(chq "SELECT count(), uniqExact($key) FROM telecom.$table FORMAT TSV")"
		k=$(kcount "telecom-${table%_enriched}")
		echo "telecom.$table: $rows CSV rows, $k records in Kafka, $c rows, $u distinct ($key)"
		test "$c" = "$rows" && test "$u" = "$rows" || { chaos_report; return 1; }
	done
'

# The CDC mirrors keep one row per primary key once their parts merge
# (ReplacingMergeTree): FINAL gives that row now. Each key the database
# ever had is there once, and the rows not deleted are the database's.
test_expect_success 'each CDC mirror holds every key of its topic once, and the current rows are the databases'"'"'' '
	for m in $SYS_CDC_TABLES; do
		IFS== read -r topic table key <<<"$m"
		wait_until 60 "$topic stored" sys_ends_stored "$topic" "$table" || { chaos_report; return 1; }
		consume -b "$KAFKA_BROKERS" -q -e -t "$topic" >"$table.kafka" &&
		jq -r --arg k "$key" "(.after // .before)[\$k] | tostring" "$table.kafka" | sort -u >keys.kafka &&
		jq -r "[.source.file, .source.pos, .source.lsn, .source.row, .op] | tostring" "$table.kafka" |
			sort | uniq -d | wc -l >dups &&
		read -r c u <<<"$(chq "SELECT count(), uniqExact($key) FROM telecom.$table FINAL FORMAT TSV")" &&
		chq "SELECT toString($key) FROM telecom.$table FINAL" | sort >keys.ch &&
		echo "$topic: $(wc -l <"$table.kafka") records ($(cat dups) changes twice), $(wc -l <keys.kafka) keys;" \
			"telecom.$table FINAL: $c rows, $u keys" &&
		test -s keys.kafka && test "$c" = "$u" && test_cmp keys.kafka keys.ch ||
			{ chaos_report; return 1; }
	done &&
	my_q crm "SELECT customer_id, credit_score FROM customer_profiles ORDER BY customer_id" >db.cp &&
	chq "SELECT customer_id, credit_score FROM telecom.customer_profiles_current ORDER BY customer_id FORMAT TSV" >ch.cp &&
	test_cmp db.cp ch.cp &&
	my_q crm "SELECT device_id, customer_id, imei, device_status FROM device_information ORDER BY device_id" >db.dev &&
	chq "SELECT device_id, customer_id, imei, device_status FROM telecom.device_information_current ORDER BY device_id FORMAT TSV" >ch.dev &&
	test_cmp db.dev ch.dev &&
	pg_q billing "SELECT transaction_id, customer_id, status FROM payment_transactions ORDER BY transaction_id" >db.pay &&
	chq "SELECT transaction_id, customer_id, status FROM telecom.payment_transactions_current ORDER BY transaction_id FORMAT TSV" >ch.pay &&
	test_cmp db.pay ch.pay &&
	pg_q care "SELECT complaint_id, customer_id, status FROM complaints_feedback ORDER BY complaint_id" >db.co &&
	chq "SELECT complaint_id, customer_id, status FROM telecom.complaints_feedback_current ORDER BY complaint_id FORMAT TSV" >ch.co &&
	test_cmp db.co ch.co
'

test_expect_success 'the alerts in ClickHouse are those of an undisturbed run' '
	ref_alerts || { cat ref/errors; return 1; }
	test -s ref/alerts.jsonl &&
	chq "CREATE TABLE telecom.alerts_ref AS telecom.alerts" &&
	ch-insert -t telecom.alerts_ref ref/alerts.jsonl &&
	alerts_of alerts_ref >alerts.ref &&
	alerts_of alerts >alerts.run &&
	chq "SELECT count(), uniqExact(alert_id) FROM telecom.alerts FINAL FORMAT TSV" >n.run &&
	echo "reference: $(wc -l <alerts.ref) alerts; ClickHouse: $(cat n.run) (rows, ids)" &&
	test "$(cut -f1 n.run)" = "$(cut -f2 n.run)" &&
	test "$(wc -l <alerts.ref)" = "$(wc -l <ref/alerts.jsonl)" &&
	test -s alerts.ref &&
	test_cmp alerts.ref alerts.run || { chaos_report; return 1; }
'

test_expect_success 'the dead-letter files are empty' '
	find state -name "*.rejected" -size +0 >nonempty &&
	{ test ! -s nonempty || { head -n 5 $(cat nonempty); false; }; }
'

test_expect_success 'the legs stop on SIGTERM' '
	sys_legs_stop
'

test_done
