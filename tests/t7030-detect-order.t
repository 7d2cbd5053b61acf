#!/bin/bash
test_description='detect: the same alerts and tags however the streams were interleaved within the lateness'
. "$(dirname "$0")/lib.sh"

R=$TOP/rules/telecom.rules
STREAMS="cdr sdr service location security"

test_expect_success 'setup: one day of telco-gen events of five streams, as csv2kafka writes them' '
	telco-gen --seed 3 --customers 80 --days 1 -o gen >/dev/null &&
	for s in $STREAMS; do
		csv2kafka --stdout -m "gen/telecom-$s.csv" >"$s.jsonl" || return 1
	done &&
	test "$(cat ./*.jsonl | wc -l)" -gt 4000
'

# stream after stream, in two orders, and the lines of every stream dealt
# round robin: a consumer that reads partitions or topics one after the
# other, or mixes them
test_expect_success 'three interleavings of the same events' '
	cat cdr.jsonl sdr.jsonl service.jsonl location.jsonl security.jsonl >a.jsonl &&
	cat security.jsonl location.jsonl service.jsonl sdr.jsonl cdr.jsonl >b.jsonl &&
	paste -d "\n" cdr.jsonl sdr.jsonl service.jsonl location.jsonl security.jsonl |
		grep -v "^\$" >c.jsonl &&
	test "$(sort a.jsonl | md5sum)" = "$(sort b.jsonl | md5sum)" &&
	test "$(sort a.jsonl | md5sum)" = "$(sort c.jsonl | md5sum)" &&
	! cmp -s a.jsonl b.jsonl
'

test_expect_success 'the alerts are the same, byte for byte, with a lateness that spans the mix' '
	for x in a b c; do
		detect -r "$R" --lateness 2d "$x.jsonl" >"$x.alerts" 2>"$x.err" || return 1
	done &&
	test "$(wc -l <a.alerts)" -ge 5 &&
	test_cmp a.alerts b.alerts &&
	test_cmp a.alerts c.alerts
'

# untag FILE: the events of detect -t without the rules they fired
untag() { sed "s/,\"rules\":\[[^]]*\]}\$/}/" "$1"; }

test_expect_success 'the tags are the same for every event, and the events come out as they came in' '
	for x in a b c; do
		detect -t -r "$R" --lateness 2d "$x.jsonl" >"$x.tagged" &&
		untag "$x.tagged" >"$x.untagged" &&
		test_cmp "$x.jsonl" "$x.untagged" &&
		sort "$x.tagged" >"$x.sorted" || return 1
	done &&
	grep -c "\"rules\":\[\"" a.tagged &&
	test_cmp a.sorted b.sorted &&
	test_cmp a.sorted c.sorted
'

# One partition whose event times go back: every other pair of records
# swapped, with the offsets a consumer gives them. A sink that skips
# offsets lower than the last it stored (ch-insert) needs them in order.
test_expect_success '--tag: a partition whose times go back within the lateness comes out in its order' '
	cat >swap.awk <<-\EOF &&
	NR % 2 == 1 { held = $0; next }
	{ print; print held }
	END { if (NR % 2 == 1) print held }
	EOF
	cat >offsets.awk <<-\EOF &&
	{
		sub(/"_kafka":\{"topic":"telecom-cdr"\}/,
		    "\"_kafka\":{\"topic\":\"telecom-cdr\",\"partition\":0,\"offset\":" NR - 1 "}")
		print
	}
	EOF
	awk -f swap.awk cdr.jsonl | awk -f offsets.awk >back.jsonl &&
	jq -r .start_time back.jsonl >times &&
	test "$(awk "NR > 1 && \$0 < prev { n++ } { prev = \$0 } END { print n + 0 }" times)" -gt 100 &&
	detect -t -r "$R" --lateness 1h back.jsonl >back.tagged &&
	untag back.tagged >back.untagged &&
	test_cmp back.jsonl back.untagged &&
	jq -r "._kafka.offset" back.tagged >offsets &&
	seq 0 $(($(wc -l <back.jsonl) - 1)) >want &&
	test_cmp want offsets &&
	detect -t -r "$R" --lateness 1h cdr.jsonl | jq -c "[.cdr_id, .rules]" | sort >want &&
	jq -c "[.cdr_id, .rules]" back.tagged | sort >got &&
	test_cmp want got &&
	grep -c "\"rules\":\[\"" back.tagged
'

test_expect_success 'a state file carries the events held for ordering to the next run' '
	head -n 3000 a.jsonl >first && tail -n +3001 a.jsonl >rest &&
	detect -r "$R" --lateness 2d -s st first >part1 &&
	jq -e ".held | length > 0" st >/dev/null &&
	detect -r "$R" --lateness 2d -s st rest >part2 &&
	detect -r "$R" --lateness 2d -s st2 a.jsonl >whole &&
	cat part1 part2 >parts &&
	test_cmp whole parts
'

test_expect_success '--tag: a state file carries the tagged events that wait for earlier ones' '
	head -n 3000 c.jsonl >first && tail -n +3001 c.jsonl >rest &&
	detect -t -r "$R" --lateness 1h -s tst first >part1 &&
	jq -e ".held | length > 0" tst >/dev/null &&
	jq -e ".out_waiting | length > 0" tst >/dev/null &&
	detect -t -r "$R" --lateness 1h -s tst rest >part2 &&
	detect -t -r "$R" --lateness 1h -s tst2 c.jsonl >whole &&
	cat part1 part2 >parts &&
	test_cmp whole parts &&
	detect -t -r "$R" --lateness 1h c.jsonl >all &&
	untag all >untagged &&
	test_cmp c.jsonl untagged &&
	head -n $(wc -l <whole) all >head &&
	test_cmp head whole
'

test_expect_success '--tag --alerts: in one run the alerts of a run without --tag and the events of one with it, across a state file too' '
	detect -r "$R" --lateness 2d a.jsonl >alerts &&
	test -s alerts &&
	detect -t -r "$R" --lateness 2d a.jsonl >tagged &&
	detect -t -a both.alerts -r "$R" --lateness 2d a.jsonl >both.tagged &&
	test_cmp alerts both.alerts &&
	test_cmp tagged both.tagged &&
	head -n 3000 a.jsonl >first && tail -n +3001 a.jsonl >rest &&
	detect -t -a parts.alerts -r "$R" --lateness 2d -s ast first >part1 &&
	detect -t -a parts.alerts -r "$R" --lateness 2d -s ast rest >part2 &&
	detect -t -a whole.alerts -r "$R" --lateness 2d -s ast2 a.jsonl >whole &&
	cat part1 part2 >parts &&
	test_cmp whole parts &&
	test_cmp whole.alerts parts.alerts &&
	detect -r "$R" --lateness 2d -s ast3 a.jsonl >plain.alerts &&
	test_cmp plain.alerts whole.alerts
'

test_done
