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

test_expect_success 'the tags are the same for every event' '
	for x in a b c; do
		detect -t -r "$R" --lateness 2d "$x.jsonl" >"$x.tagged" || return 1
	done &&
	test "$(wc -l <a.tagged)" = "$(wc -l <a.jsonl)" &&
	grep -c "\"rules\":\[\"" a.tagged &&
	test_cmp a.tagged b.tagged &&
	test_cmp a.tagged c.tagged
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

test_done
