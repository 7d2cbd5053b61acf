#!/bin/bash
test_description='detect with the shipped rules finds every injected scenario of telco-gen, and no near miss'
. "$(dirname "$0")/lib.sh"

R=$TOP/rules/telecom.rules
SCORE=$TOP/pipelines/score-alerts

# rule_is RULE EXPR: EXPR is true of RULE's line in the file score.
rule_is() {
	jq -s -e "map(select(.rule == \"$1\")) | length == 1 and (.[0] | $2)" score
}

# score-alerts first, on ground truth and alerts made by hand, so that what
# it says about detect below can be trusted.
test_expect_success 'score-alerts: matching by key and time window, near misses, also_fires' '
	cat >gt.jsonl <<-\EOF &&
	{"scenario_id":"S1","rule":"irsf","near_miss":false,"customer_id":"C1","msisdn":"491","start":"2026-11-01T10:00:00Z","end":"2026-11-01T10:30:00Z","evidence":{}}
	{"scenario_id":"S2","rule":"irsf","near_miss":false,"customer_id":"C2","msisdn":"492","start":"2026-11-01T10:00:00Z","end":"2026-11-01T10:30:00Z","evidence":{}}
	{"scenario_id":"S3","rule":"irsf","near_miss":true,"customer_id":"C3","msisdn":"493","start":"2026-11-01T10:00:00Z","end":"2026-11-01T10:30:00Z","evidence":{}}
	{"scenario_id":"S4","rule":"wangiri","near_miss":false,"customer_id":"C4","msisdn":"494","start":"2026-11-01T10:00:00Z","end":"2026-11-01T10:05:00Z","evidence":{}}
	{"scenario_id":"S5","rule":"sim_swap_takeover","near_miss":false,"customer_id":"C5","msisdn":"495","start":"2026-11-01T10:00:00Z","end":"2026-11-01T12:00:00Z","also_fires":["imei_mismatch"],"evidence":{}}
	EOF
	cat >alerts.jsonl <<-\EOF &&
	{"rule":"irsf","key":"C1","customer_id":"C1","event_time":"2026-11-01T11:20:00.000Z"}
	{"rule":"irsf","key":"C2","customer_id":"C2","event_time":"2026-11-01T11:40:00.000Z"}
	{"rule":"irsf","key":"C3","customer_id":"C3","event_time":"2026-11-01T10:20:00.000Z"}
	{"rule":"irsf","key":"C9","customer_id":"C9","event_time":"2026-11-01T10:20:00.000Z"}
	{"rule":"wangiri","key":"494","customer_id":"C4","event_time":"2026-11-01T10:04:00.000Z"}
	{"rule":"imei_mismatch","key":"C5","customer_id":"C5","event_time":"2026-11-01T11:00:00.000Z"}
	EOF
	"$SCORE" --json --rules "$R" alerts.jsonl gt.jsonl >score &&
	# irsf: window 1h, lateness 5m: C1 at end+50m matches, C2 at end+70m
	# does not; C3 is a near miss; C9 is no scenario.
	rule_is irsf ".scenarios == 2 and .detected == 1 and
		.alerts == 4 and .true == 1 and .near_misses == 1 and .nm_fired == 1 and
		.fp_near_miss == 1 and .fp_unmatched == 2 and .recall == 0.5 and
		.precision == 0.25 and .missed == [\"S2\"]" &&
	rule_is wangiri ".detected == 1 and .true == 1" &&
	rule_is imei_mismatch ".scenarios == 1 and .detected == 1 and
		.precision == 1" &&
	rule_is sim_swap_takeover ".scenarios == 1 and .detected == 0 and
		.alerts == 0 and .precision == null" &&
	"$SCORE" --rules "$R" alerts.jsonl gt.jsonl >table &&
	test_grep "^irsf  *2  *1  *0.500  *4  *1  *0.250  *1  *1$" table
'

test_expect_success 'score-alerts: bad usage, missing and bad input' '
	test_must_fail --status=64 "$SCORE" alerts.jsonl 2>err &&
	test_grep usage err &&
	test_must_fail --status=66 "$SCORE" nosuch.jsonl gt.jsonl 2>err &&
	test_grep "nosuch.jsonl" err &&
	echo "{not json" >bad.jsonl &&
	test_must_fail --status=65 "$SCORE" bad.jsonl gt.jsonl 2>err &&
	test_grep "bad.jsonl:1:" err &&
	test_must_fail --status=74 "$SCORE" alerts.jsonl gt.jsonl >/dev/full
'

# The data: every scenario and its near miss, a few of each rule.
test_expect_success 'setup: telco-gen, events merged in time order, tables as rows' '
	telco-gen --seed 5 --customers 600 --days 2 -o data &&
	for f in data/telecom-*.csv; do
		csv2kafka --stdout -m "$f" || return 1
	done >unsorted.jsonl &&
	awk "{
		t = \"\"
		if (match(\$0, /\"(start_time|event_time)\":\"[^\"]*\"/)) {
			t = substr(\$0, RSTART, RLENGTH); sub(/^\"[a-z_]*\":\"/, \"\", t)
		}
		print t \"\t\" \$0
	}" unsorted.jsonl | LC_ALL=C sort -s -t "	" -k1,1 | cut -f2- >events.jsonl &&
	test $(wc -l <events.jsonl) -eq $(wc -l <unsorted.jsonl) &&
	csv2kafka --stdout data/customer_profiles.csv >customer.rows &&
	csv2kafka --stdout data/device_information.csv >device.rows &&
	csv2kafka --stdout data/payment_transactions.csv >payments.rows &&
	csv2kafka --stdout data/customer_behavior.csv >behavior.rows &&
	csv2kafka --stdout data/complaints_feedback.csv >complaints.rows &&
	enrich -C "$TOP/pipelines/enrich.conf" -T customer=customer.rows \
		-T device=device.rows -T payments=payments.rows \
		-T behavior=behavior.rows -T complaints=complaints.rows \
		events.jsonl >enriched.jsonl &&
	test $(wc -l <enriched.jsonl) -eq $(wc -l <events.jsonl) &&
	detect -r "$R" enriched.jsonl >alerts.jsonl &&
	test -s alerts.jsonl &&
	"$SCORE" --json --rules "$R" alerts.jsonl data/ground-truth.jsonl >score &&
	{ TEST_VERBOSE=1 "$SCORE" --rules "$R" alerts.jsonl data/ground-truth.jsonl >&2 || :; }
'

test_expect_success 'every rule has scenarios and near misses in the data' '
	jq -r .rule data/ground-truth.jsonl | sort -u >rules &&
	test_line_count = 12 rules &&
	jq -c "select(.rule != \"total\") | .scenarios >= 3 and .near_misses >= 3" score >ok &&
	test_line_count = 12 ok &&
	test_must_fail grep -v true ok
'

test_expect_success 'recall is 1 for every rule' '
	jq -c "select(.recall != 1)" score >bad &&
	{ test_must_fail test -s bad || { cat bad >&2; false; }; }
'

test_expect_success 'no near miss fires its rule' '
	jq -c "select(.nm_fired != 0 or .fp_near_miss != 0)" score >bad &&
	{ test_must_fail test -s bad || { cat bad >&2; false; }; }
'

test_expect_success 'no alert matches nothing' '
	jq -c "select(.fp_unmatched != 0)" score >bad &&
	{ test_must_fail test -s bad || { cat bad >&2; false; }; }
'

# The same, without score-alerts: by customer alone, whatever the time.
test_expect_success 'by customer: each scenario customer has an alert of its rule, no other customer has one' '
	jq -r "select(.near_miss == false) |
		(.customer_id + \" \" + .rule), (.customer_id + \" \" + (.also_fires // [])[])" \
		data/ground-truth.jsonl | sort -u >want &&
	jq -r ".customer_id + \" \" + .rule" alerts.jsonl | sort -u >got &&
	test_cmp want got
'

test_done
