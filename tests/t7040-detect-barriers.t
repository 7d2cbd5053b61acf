#!/bin/bash
test_description='detect: Kafka positions in the state, events seen before skipped, barriers committed once the sinks pass them, a restart after SIGKILL'
. "$(dirname "$0")/lib.sh"

R=$TOP/rules/telecom.rules
STREAMS="cdr sdr service location security"

# A sink as ch-insert -c is one for barriers: it stores each record (here:
# appends it to OUT) and, at a barrier, writes its number into the
# checkpoint ACK, replaced by rename.
cat >sink <<\EOF
#!/bin/bash
while IFS= read -r l; do
	case $l in
	'{"_barrier":'*)
		n=${l#*:} n=${n%\}}
		printf '{"version":1,"streams":{},"barrier":%s}\n' "$n" >"$2.tmp" &&
			mv "$2.tmp" "$2" ;;
	*) printf '%s\n' "$l" >>"$1" ;;
	esac
done
EOF
chmod +x sink

# One day of telco-gen events of five streams with the positions a
# consumer gives them: three partitions a topic, offsets from 0 in each.
test_expect_success 'setup: events with _kafka positions, and an uninterrupted run' '
	telco-gen --seed 5 --customers 80 --days 1 -o gen >/dev/null &&
	for s in $STREAMS; do
		csv2kafka --stdout -m "gen/telecom-$s.csv" |
			awk -v t="telecom-$s" "{
				p = NR % 3; o = n[p]++
				sub(\"\\\"_kafka\\\":{\\\"topic\\\":\\\"\" t \"\\\"}\",
				    \"\\\"_kafka\\\":{\\\"topic\\\":\\\"\" t \"\\\",\\\"partition\\\":\" p \",\\\"offset\\\":\" o \"}\")
				print
			}" >"$s.jsonl" || return 1
	done &&
	paste -d "\n" cdr.jsonl sdr.jsonl service.jsonl location.jsonl security.jsonl |
		grep -v "^\$" >all.jsonl &&
	test "$(grep -c "\"partition\":2,\"offset\":" all.jsonl)" -gt 1000 &&
	detect -t -a full.alerts -r "$R" --lateness 2d all.jsonl >full.tagged &&
	test "$(wc -l <full.alerts)" -ge 3
'

test_expect_success 'the state holds the last position of each partition' '
	detect -r "$R" --lateness 2d -s st all.jsonl >/dev/null &&
	jq -r ".streams | to_entries[] | \"\(.key) \(.value.offset)\"" st | sort >got &&
	for s in $STREAMS; do
		for p in 0 1 2; do
			o=$(grep -o "\"_kafka\":{\"topic\":\"telecom-$s\",\"partition\":$p,\"offset\":[0-9]*" \
				all.jsonl | tail -n 1 | sed "s/.*://")
			[ -z "$o" ] || echo "kafka:telecom-$s:$p $o"
		done
	done | sort >want &&
	test_cmp want got
'

test_expect_success 'events at or below the state'"'"'s positions are skipped, and counted' '
	detect -r "$R" --lateness 2d -s st --stats-interval 1h all.jsonl >again 2>err &&
	! test -s again &&
	test_grep "\"skipped\":$(wc -l <all.jsonl)," err
'

test_expect_success 'a run resumed on the whole input again writes what an uninterrupted run writes' '
	head -n 2500 all.jsonl >first &&
	rm -f half.alerts &&
	detect -t -a half.alerts -r "$R" --lateness 2d -s st2 first >half.tagged &&
	detect -t -a half.alerts -r "$R" --lateness 2d -s st2 --drain all.jsonl >>half.tagged &&
	test_cmp full.tagged half.tagged &&
	test_cmp full.alerts half.alerts
'

test_expect_success '--barrier-ack and --drain go with --state' '
	test_must_fail --status=64 detect -r "$R" --barrier-ack ack all.jsonl 2>err &&
	test_grep "barrier-ack goes with --state" err &&
	test_must_fail --status=64 detect -r "$R" --drain all.jsonl 2>err &&
	test_grep "drain goes with --state" err
'

test_expect_success 'barriers: in both outputs, after what came before them; the state committed once both sinks passed them' '
	mkfifo fa &&
	{ ./sink out.alerts ack.alerts <fa & } &&
	detect -t -a fa -r "$R" --lateness 2d -s bs --drain --state-interval 1ms \
		--barrier-ack ack.tagged --barrier-ack ack.alerts --stats-interval 1h \
		all.jsonl 2>err | ./sink out.tagged ack.tagged &&
	wait &&
	test_cmp full.tagged out.tagged &&
	test_cmp full.alerts out.alerts &&
	n=$(jq .barrier bs) &&
	test "$n" -ge 1 &&
	test_grep "\"barriers\":$n," err &&
	test "$(jq .barrier ack.tagged)" = "$n" &&
	test "$(jq .barrier ack.alerts)" = "$n" &&
	! test -e bs.pending
'

test_expect_success 'a barrier no sink passed: the state stays as it was, and the next run drops it' '
	cp bs bs.before &&
	echo "{\"version\":1,\"streams\":{},\"barrier\":1}" >ack.never &&
	detect -r "$R" --lateness 2d -s bs --barrier-ack ack.never --barrier-wait 200ms \
		all.jsonl >out 2>err &&
	test_grep "barrier $((n + 1)) not passed by every sink" err &&
	test_cmp bs.before bs &&
	test "$(jq .barrier bs.pending)" = "$((n + 1))" &&
	detect -r "$R" --lateness 2d -s bs --barrier-ack ack.never --barrier-wait 200ms \
		</dev/null 2>err &&
	test_cmp bs.before bs &&
	test "$(jq .barrier bs.pending)" = "$((n + 1))"
'

test_expect_success 'a pending state every sink has passed is committed at the next start' '
	echo "{\"version\":1,\"streams\":{},\"barrier\":$((n + 1))}" >ack.never &&
	detect -r "$R" --lateness 2d -s bs --barrier-ack ack.never --barrier-wait 200ms \
		</dev/null 2>err &&
	test "$(jq .barrier bs)" = "$((n + 1))" &&
	test "$(jq .barrier bs.pending)" = "$((n + 2))"
'

# Killed with SIGKILL after a state was committed, then started again on
# the whole input: the records the sinks hold (each line once) are those
# of an uninterrupted run, none missing. The events in event-time order
# (each partition still in offset order) and a short lateness, so that
# records reach the sinks before the kill.
acked() { [ "$(jq .barrier "$1" 2>/dev/null || echo 0)" -ge "$2" ]; }
committed() { [ -e ks ] && [ "$(jq .barrier ks)" -ge 1 ]; }

test_expect_success 'killed with SIGKILL and started again: every record in the sinks, as in an uninterrupted run' '
	jq -s -c "sort_by(.start_time // .event_time) | .[]" all.jsonl >sorted.jsonl &&
	rm -f sorted.alerts &&
	detect -t -a sorted.alerts -r "$R" --lateness 10m sorted.jsonl >sorted.tagged &&
	rm -f k.* ks ks.pending &&
	mkfifo kin ka &&
	{ ./sink k.alerts k.ack.alerts <ka & } &&
	{ detect -t -a ka -r "$R" --lateness 10m -s ks --state-interval 1ms \
		--barrier-ack k.ack.tagged --barrier-ack k.ack.alerts <kin |
		./sink k.tagged k.ack.tagged & } &&
	exec 5>kin &&
	head -n 1500 sorted.jsonl >&5 &&
	wait_until 30 "the sinks to pass barrier 1" eval "acked k.ack.tagged 1 && acked k.ack.alerts 1" &&
	sed -n "1501,3000p" sorted.jsonl >&5 &&
	wait_until 30 "a state committed" committed &&
	pkill -KILL -f "detect -t -a ka" &&
	exec 5>&- &&
	wait &&
	before=$(wc -l <k.tagged) &&
	test "$before" -gt 0 && test "$before" -lt "$(wc -l <sorted.jsonl)" &&
	{ ./sink k.alerts k.ack.alerts <ka & } &&
	detect -t -a ka -r "$R" --lateness 10m -s ks --drain --state-interval 1ms \
		--barrier-ack k.ack.tagged --barrier-ack k.ack.alerts sorted.jsonl |
		./sink k.tagged k.ack.tagged &&
	wait &&
	echo "$before tagged events stored before the kill, $(wc -l <k.tagged) in all" &&
	sort -u k.tagged >k.tagged.set && sort -u sorted.tagged >want.tagged.set &&
	test_cmp want.tagged.set k.tagged.set &&
	sort -u k.alerts >k.alerts.set && sort -u sorted.alerts >want.alerts.set &&
	test_cmp want.alerts.set k.alerts.set &&
	test "$(wc -l <want.alerts.set)" -ge 1
'

test_done
