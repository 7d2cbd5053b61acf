#!/bin/bash
test_description='detect: options, exit statuses, bad input, alert format, --tag'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/data/detect/events.sh"

R=$TOP/rules/telecom.rules

test_expect_success 'setup: events' '
	cdr c1 C1 M1 O1 MO voice 100 60 true 0.5 ",\"imei\":\"I1\",\"device\":{\"imei\":\"I2\"}" >mismatch.jsonl &&
	cdr c2 C2 M2 O2 MO voice 200 60 true 0.5 ",\"imei\":\"I3\",\"device\":{\"imei\":\"I3\"}" >match.jsonl &&
	cat mismatch.jsonl match.jsonl >two.jsonl
'

test_expect_success 'the shipped rules check clean and list 12 rules' '
	detect -c -r "$R" &&
	detect -p -r "$R" >list &&
	test_line_count = 12 list
'

test_expect_success 'no rules file is a usage error' '
	test_must_fail --status=64 detect two.jsonl 2>err &&
	test_grep -i usage err
'

test_expect_success 'a missing rules file exits 78' '
	test_must_fail --status=78 detect -r nosuch.rules two.jsonl 2>err &&
	test_grep "nosuch.rules: No such file" err
'

test_expect_success 'a rules file with an error: FILE:LINE:COL and 78' '
	printf "rule a {\n  where x = 1\n}\n" >bad.rules &&
	test_must_fail --status=78 detect -r bad.rules two.jsonl 2>err &&
	echo "detect: bad.rules:2:11: '\''='\'' is not a comparison: use '\''=='\''" >want &&
	test_cmp want err &&
	test_must_fail --status=78 detect -c -r bad.rules
'

test_expect_success 'a missing input file exits 66' '
	test_must_fail --status=66 detect -r "$R" nosuch.jsonl 2>err &&
	test_grep "nosuch.jsonl" err
'

test_expect_success 'bad options are usage errors' '
	test_must_fail --status=64 detect -r "$R" -e x 2>err &&
	test_must_fail --status=64 detect -r "$R" --lateness soon 2>err &&
	test_must_fail --status=64 detect -r "$R" --bogus 2>err &&
	test_grep usage err
'

test_expect_success 'imei_mismatch fires; the alert has every field' '
	detect -r "$R" two.jsonl >alerts &&
	test_line_count = 1 alerts &&
	jq -e "
		.rule == \"imei_mismatch\" and .severity == \"medium\" and
		.customer_id == \"C1\" and .msisdn == \"M1\" and .key == \"C1\" and
		.stream == \"telecom-cdr\" and
		.event_time == \"2026-11-01T00:01:40.000Z\" and
		.detected_at == \"2026-11-01T00:03:20.000Z\" and
		(.alert_id | test(\"^[0-9a-f]{16}$\")) and
		.evidence.imei == \"I1\" and .evidence[\"device.imei\"] == \"I2\" and
		.event_ids == [\"c1\"] and .count == 1" alerts
'

test_expect_success 'output is identical across runs (alert_id stable)' '
	detect -r "$R" two.jsonl >again &&
	test_cmp alerts again
'

test_expect_success '--tag passes every event with the rules it fired' '
	detect -t -r "$R" two.jsonl >tagged &&
	test_line_count = 2 tagged &&
	head -1 tagged | jq -e ".rules == [\"imei_mismatch\"] and .cdr_id == \"c1\"" &&
	tail -1 tagged | jq -e ".rules == []" &&
	sed "s/,\"rules\":\[[^]]*\]}$/}/" tagged >untagged &&
	test_cmp two.jsonl untagged
'

test_expect_success '--tag on an empty object and with blanks before the brace' '
	printf "{\"start_time\":\"2026-11-01T00:00:00Z\",\"_kafka\":{\"topic\":\"telecom-cdr\"} }\n" >blank.jsonl &&
	detect -t -r "$R" blank.jsonl >out &&
	jq -e ".rules == []" out
'

test_expect_success '--alerts: the alerts appended to a file beside the tagged events; only with --tag' '
	detect -t -a both.alerts -r "$R" two.jsonl >both.tagged &&
	test_cmp tagged both.tagged &&
	test_cmp alerts both.alerts &&
	detect -t -a both.alerts -r "$R" two.jsonl >/dev/null &&
	cat alerts alerts >twice &&
	test_cmp twice both.alerts &&
	test_must_fail --status=64 detect -a x -r "$R" two.jsonl 2>err &&
	test_grep "goes with --tag" err &&
	test_must_fail --status=73 detect -t -a nodir/x -r "$R" two.jsonl 2>err &&
	test_grep "nodir/x" err &&
	test_must_fail --status=74 detect -t -a /dev/full -r "$R" two.jsonl >/dev/null 2>err &&
	test_grep "write error on /dev/full" err
'

test_expect_success 'bad lines: FILE:LINE: reason, counted, skipped, dead-lettered' '
	{ cat mismatch.jsonl; echo "not json"; echo "{\"start_time\":\"soon\",\"_kafka\":{\"topic\":\"telecom-cdr\"}}";
	  echo "{\"a\":1}"; cat match.jsonl; } >mixed.jsonl &&
	detect -r "$R" -d dead.jsonl mixed.jsonl >out 2>err &&
	test_line_count = 1 out &&
	cat >want <<-\EOF &&
	detect: mixed.jsonl:2: not a JSON object
	detect: mixed.jsonl:3: bad event time in field start_time
	detect: mixed.jsonl:4: no event time in field event_time
	EOF
	test_cmp want err &&
	sed -n 2,4p mixed.jsonl >want &&
	test_cmp want dead.jsonl
'

test_expect_success 'a pipe that ends inside a line: said, not dead-lettered, exit 74' '
	head -c 40 match.jsonl >cut &&
	{ cat mismatch.jsonl && cat cut; } |
	test_must_fail --status=74 detect -r "$R" -d fdead.jsonl -s fstate --stats-interval 1h >out 2>err &&
	n=$(($(wc -l <mismatch.jsonl) + 1)) &&
	test_grep "^detect: <stdin>:$n: the input ends inside a line (40 bytes; its writer stopped before the newline): not taken$" err &&
	test_grep "\"rejected\":0,.*\"fragments\":1" err &&
	test_must_fail test -s fdead.jsonl &&
	# the state is saved all the same
	test -s fstate &&
	# the same bytes at the end of a file are a bad line
	cp cut cut.jsonl &&
	detect -r "$R" -d fdead.jsonl cut.jsonl >out 2>err &&
	test_grep "^detect: cut.jsonl:1: unterminated string$" err &&
	{ cat cut && echo; } >want && test_cmp want fdead.jsonl
'

test_expect_success 'bytes that are not UTF-8 and lone surrogates are rejected, dead-lettered' '
	printf "%s\n" "{\"start_time\":\"2026-11-01T00:00:00Z\",\"msisdn\":\"49\\ud800\",\"_kafka\":{\"topic\":\"telecom-cdr\"}}" >u8.jsonl &&
	printf "{\"start_time\":\"2026-11-01T00:00:00Z\",\"msisdn\":\"49\377\",\"_kafka\":{\"topic\":\"telecom-cdr\"}}\n" >>u8.jsonl &&
	printf "{\"start_time\":\"2026-11-01T00:00:00Z\",\"name\":\"Y\304\261lmaz\",\"_kafka\":{\"topic\":\"telecom-cdr\"}}\n" >>u8.jsonl &&
	detect -t -r "$R" -d dead8.jsonl u8.jsonl >out 2>err &&
	cat >want <<-\EOF &&
	detect: u8.jsonl:1: lone high surrogate in \u escape
	detect: u8.jsonl:2: invalid UTF-8
	EOF
	test_cmp want err &&
	head -n 2 u8.jsonl >want &&
	test_cmp want dead8.jsonl &&
	test_line_count = 1 out &&
	test_grep "\"name\":\"$(printf "Y\304\261lmaz")\"" out
'

test_expect_success 'more bad lines than --max-errors exits 65' '
	test_must_fail --status=65 detect -r "$R" -e 1 mixed.jsonl >out 2>err &&
	test_grep "more than 1 bad lines" err &&
	detect -r "$R" -e 3 mixed.jsonl >out 2>err
'

test_expect_success 'a line over --max-line is rejected' '
	detect -r "$R" --max-line 100 two.jsonl >out 2>err &&
	test_grep "two.jsonl:1: line too long" err
'

test_expect_success 'events from stdin, and -S names their stream' '
	sed "s/,\"_kafka\":{\"topic\":\"telecom-cdr\"}//" two.jsonl >notopic.jsonl &&
	detect -r "$R" <notopic.jsonl >out 2>err &&
	test_line_count = 0 out &&
	detect -r "$R" -S telecom-cdr - <notopic.jsonl >out &&
	test_line_count = 1 out
'

test_expect_success 'a full output exits 74' '
	test_must_fail --status=74 detect -t -r "$R" two.jsonl >/dev/full 2>err &&
	test_grep "write error" err
'

test_expect_success '| head -1 ends quietly' '
	for i in $(seq 1 3000); do cat match.jsonl; done >many.jsonl &&
	detect -t -r "$R" many.jsonl 2>err | head -1 >out &&
	test_line_count = 1 out &&
	test_must_fail test -s err
'

# catches PID SIG: process PID has a handler for signal number SIG
catches() {
	_m=$(awk '$1 == "SigCgt:" { print $2 }' "/proc/$1/status") &&
	[ $(( 0x$_m >> ($2 - 1) & 1 )) = 1 ]
}

test_expect_success 'SIGUSR1 prints statistics; SIGTERM exits 0' '
	mkfifo in.fifo &&
	{ detect -r "$R" in.fifo >out 2>err & pid=$!; } &&
	exec 3>in.fifo &&
	cat two.jsonl >&3 &&
	wait_until 10 "detect catches SIGUSR1" catches $pid 10 &&
	kill -USR1 $pid &&
	cat match.jsonl >&3 &&
	wait_until 5 "stats" grep -q "\"stats\":\"detect\"" err &&
	kill -TERM $pid && exec 3>&- &&
	wait $pid &&
	test_grep "\"events_in\":2" err &&
	jq -e "select(.rule == \"imei_mismatch\") | .count == 1" out
'

# ev ID CUST KIND TIME: a small event of stream s
ev() {
	printf '{"event_id":"%s","customer_id":"%s","kind":"%s","event_time":"%s","_kafka":{"topic":"s"}}\n' \
		"$1" "$2" "$3" "$(T "$4")"
}

# alerts_are N RULE FILE: FILE holds N alerts of RULE
alerts_are() { test "$(grep -c "\"rule\":\"$2\"" "$3")" = "$1"; }

test_expect_success 'SIGHUP reloads the rules: unchanged rules keep their windows, a bad file keeps the old rules' '
	cat >one.rules <<-\EOF &&
	lateness 0s
	rule ping {
		where kind == "ping"
		key customer_id
	}
	rule kept {
		key customer_id
		window 1h
		having count(kind == "call") >= 3
	}
	rule changed {
		key customer_id
		window 1h
		having count(kind == "call") >= 3
	}
	EOF
	sed "/rule changed/,\$ s/>= 3/>= 2 + 1/" one.rules >two.rules &&
	! cmp -s one.rules two.rules &&
	cp one.rules hup.rules &&
	rm -f hup.fifo && mkfifo hup.fifo &&
	{ detect -u -r hup.rules hup.fifo >hup.out 2>hup.err & pid=$!; } &&
	exec 4>hup.fifo &&
	{ ev e1 C1 call 1; ev e2 C1 call 2; ev p1 C1 ping 3; } >&4 &&
	wait_until 10 "the ping alert" grep -q "\"rule\":\"ping\"" hup.out &&
	cp two.rules hup.rules &&
	kill -HUP $pid &&
	ev e3 C1 call 4 >&4 &&
	wait_until 10 "the reload" grep -q "hup.rules: 3 rules reloaded" hup.err &&
	wait_until 10 "the alert of the kept rule" grep -q "\"rule\":\"kept\"" hup.out &&
	echo "rule broken {" >hup.rules &&
	kill -HUP $pid &&
	ev e4 C1 call 5 >&4 &&
	wait_until 10 "the refused reload" grep -q "keeping the rules loaded" hup.err &&
	wait_until 10 "a second alert of the kept rule" alerts_are 2 kept hup.out &&
	ev p2 C1 ping 6 >&4 &&
	wait_until 10 "the second ping alert" alerts_are 2 ping hup.out &&
	exec 4>&- &&
	wait $pid &&
	test_grep "hup.rules:1:1: .*(keeping the rules loaded)" hup.err &&
	jq -r ".rule + \" \" + .event_time" hup.out >got &&
	cat >want <<-EOF &&
	ping $(T 3 | sed "s/Z/.000Z/")
	kept $(T 4 | sed "s/Z/.000Z/")
	kept $(T 5 | sed "s/Z/.000Z/")
	ping $(T 6 | sed "s/Z/.000Z/")
	kept $(T 6 | sed "s/Z/.000Z/")
	EOF
	test_cmp want got
'

test_expect_success '--stats-file writes Prometheus text' '
	detect -r "$R" --stats-file m.prom two.jsonl >out 2>err &&
	test_grep "^telco_detect_events_in 2" m.prom
'

test_expect_success 'aggregates a having did not need are in the evidence' '
	cat >lazy.rules <<-\EOF &&
	time * start_time
	rule lazy {
		key customer_id
		window 1h
		having count() >= 2 or sum(duration_s) > 1000
		    or (false and max(charge) > 0)
	}
	EOF
	{
		cdr l1 C7 M7 O1 MO voice 100 5 true 0.5 &&
		cdr l2 C7 M7 O2 MO voice 200 7 true 0.25
	} >lazy.jsonl &&
	detect -r lazy.rules lazy.jsonl >lazy.alerts &&
	test_line_count = 1 lazy.alerts &&
	jq -e ".evidence[\"count()\"] == 2 and
		.evidence[\"sum(duration_s)\"] == 12 and
		.evidence[\"max(charge)\"] == 0.5" lazy.alerts
'

test_expect_success 'a sliding window is (time - window, time]: counts and ratios at its edge' '
	cat >edge.rules <<-\EOF &&
	time * event_time
	rule burst {
		from "telecom-sdr"
		key imsi
		window 5m
		having count() >= 3 and ratio(event_type == "auth_failure", true) >= 0.5
	}
	EOF
	{
		sdr s1 I1 auth_failure 0 &&
		sdr s2 I1 auth_failure 150 &&
		sdr s3 I1 location_update 300 &&
		sdr s4 I1 auth_failure 301 &&
		sdr s5 I1 location_update 302 &&
		sdr s6 I1 location_update 303
	} >edge.jsonl &&
	detect -r edge.rules edge.jsonl >edge.alerts &&
	test_line_count = 2 edge.alerts &&
	head -1 edge.alerts | jq -e ".event_ids == [\"s2\", \"s3\", \"s4\"] and
		.evidence[\"count()\"] == 3 and
		(.evidence[\"ratio(event_type == \\\"auth_failure\\\", true)\"] * 3 | round) == 2" &&
	tail -1 edge.alerts | jq -e ".event_ids == [\"s2\", \"s3\", \"s4\", \"s5\"] and
		.evidence[\"count()\"] == 4 and
		.evidence[\"ratio(event_type == \\\"auth_failure\\\", true)\"] == 0.5"
'

test_expect_success 'count_distinct over a long window equals a count made in the test' '
	cat >distinct.rules <<-\EOF &&
	time * start_time
	rule d {
		key k
		window 100s
		having count_distinct(x, n % 3 != 0) >= 0
	}
	EOF
	for i in $(seq 1 300); do
		if [ $((i % 7)) -eq 0 ]; then x=null; else x=$((i / 10 % 25)); fi
		printf "{\"id\":\"e%s\",\"k\":\"K\",\"n\":%s,\"x\":%s,\"start_time\":\"%s\"}\n" \
			"$i" "$i" "$x" "$(T "$i")"
	done >distinct.jsonl &&
	detect -r distinct.rules distinct.jsonl >distinct.alerts &&
	jq -r ".evidence[\"count_distinct(x, n % 3 != 0)\"]" distinct.alerts >got &&
	jq -r "[.n, .x] | @tsv" distinct.jsonl | awk -F "\t" "{
		n[NR] = \$1; x[NR] = \$2
		delete seen; c = 0
		for (j = 1; j <= NR; j++)
			if (n[j] > \$1 - 100 && n[j] % 3 != 0 && x[j] != \"\" &&
			    !(x[j] in seen)) {
				seen[x[j]] = 1
				c++
			}
		print c
	}" >want &&
	test_line_count = 300 got &&
	test_cmp want got
'

test_done
