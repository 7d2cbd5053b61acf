#!/bin/bash
test_description='enrich: tables from files, FIFOs and process substitution; ordering, as-of, errors'
. "$(dirname "$0")/lib.sh"

CONF=$TOP/pipelines/enrich.conf
FAILED='payments.failed_30d=count(status in ["failed","chargeback"]) within 30d by transaction_date'
ACTIVE='device=device_status == "active"'

# cr OP BEFORE AFTER TS: a change record in Debezium's envelope
cr() {
	printf '{"before":%s,"after":%s,"source":{"connector":"mysql","ts_ms":%s},"op":"%s","ts_ms":%s}\n' \
		"$2" "$3" "$4" "$1" "$4"
}

# stop_writer PID: end a background writer of this script
stop_writer() {
	kill "$1" 2>/dev/null
	return 0
}

test_expect_success 'unit tests of lib/table, lib/summary, lib/enrich_io' '
	enrich_units >out 2>&1 || { cat out; false; } &&
	cat out &&
	test_grep "0 failed" out
'

test_expect_success 'setup: tables and events' '
	cr r null "{\"customer_id\":\"C1\",\"monthly_spending\":450.10,\"credit_score\":550,\"account_creation_date\":\"2026-10-28\"}" 1000 >customers.jsonl &&
	cr r null "{\"customer_id\":\"C2\",\"monthly_spending\":50.00,\"credit_score\":750,\"account_creation_date\":\"2020-01-01\"}" 1000 >>customers.jsonl &&
	cr r null "{\"customer_id\":\"C3\",\"monthly_spending\":1.00,\"credit_score\":1,\"account_creation_date\":\"2020-01-01\"}" 1000 >>customers.jsonl &&
	cr u "{\"customer_id\":\"C2\",\"credit_score\":750}" "{\"customer_id\":\"C2\",\"monthly_spending\":60.00,\"credit_score\":700,\"account_creation_date\":\"2020-01-01\"}" 2000 >>customers.jsonl &&
	cr d "{\"customer_id\":\"C3\"}" null 3000 >>customers.jsonl &&
	cat >devices.jsonl <<-\EOF &&
	{"device_id":1,"customer_id":"C1","imei":"111","device_status":"inactive","last_updated":"2026-10-05T00:00:00Z"}
	{"device_id":2,"customer_id":"C1","imei":"222","device_status":"active","last_updated":"2026-10-02T00:00:00Z"}
	{"device_id":3,"customer_id":"C1","imei":"333","device_status":"active","last_updated":"2026-10-03T00:00:00Z"}
	{"device_id":4,"customer_id":"C2","imei":"444","device_status":"lost","last_updated":"2026-10-03T00:00:00Z"}
	EOF
	cat >payments.jsonl <<-\EOF &&
	{"transaction_id":1,"customer_id":"C1","status":"failed","amount":"10.00","transaction_date":"2026-10-20T00:00:00Z"}
	{"transaction_id":2,"customer_id":"C1","status":"chargeback","amount":"20.00","transaction_date":"2026-10-25T00:00:00Z"}
	{"transaction_id":3,"customer_id":"C1","status":"failed","amount":"30.00","transaction_date":"2026-09-01T00:00:00Z"}
	{"transaction_id":4,"customer_id":"C1","status":"completed","amount":"40.00","transaction_date":"2026-10-26T00:00:00Z"}
	{"transaction_id":5,"customer_id":"C1","status":"failed","amount":"50.00","transaction_date":"2026-11-02T00:00:00Z"}
	{"transaction_id":6,"customer_id":"C2","status":"completed","amount":"5.00","transaction_date":"2026-10-30T00:00:00Z"}
	EOF
	cat >events.jsonl <<-\EOF
	{"cdr_id":"X1","customer_id":"C1","start_time":"2026-11-01T00:00:00Z","imei":"333","charge":1.50,"_kafka":{"topic":"telecom-cdr","partition":0,"offset":7,"ts":1,"key":"C1"}}
	{"sdr_id":"S1","customer_id":"C2","event_time":"2026-11-01T00:00:00Z","imei":"999"}
	{"customer_id":"C3","event_time":"2026-11-01T00:00:00Z"}
	{"cell_id":"CELL1","event_time":"2026-11-01T00:00:00Z"}
	EOF
'

test_expect_success 'every event passes through unchanged, tables added after its fields' '
	enrich -T customer=customers.jsonl -T device=devices.jsonl \
		--row-key device=device_id --pick device=latest:last_updated \
		--where "$ACTIVE" <events.jsonl >out &&
	test_line_count = 4 out &&
	jq -c "del(.customer, .device)" out >back &&
	jq -c . events.jsonl >orig &&
	test_cmp orig back &&
	# the text of the event is kept as it was (1.50 stays 1.50)
	while IFS= read -r e && IFS= read -r o <&3; do
		case "$o" in "${e%\}},"*) ;; *) echo "changed: $o" >&2; return 1 ;; esac
	done <events.jsonl 3<out
'

test_expect_success 'change records: snapshot, update, delete; a miss is null' '
	enrich -T customer=customers.jsonl <events.jsonl >out &&
	jq -c "[.customer.credit_score, .customer.monthly_spending]" out >got &&
	printf "%s\n" "[550,450.1]" "[700,60]" "[null,null]" "[null,null]" >want &&
	test_cmp want got &&
	jq -c ".customer" out >objs &&
	sed -n "3p;4p" objs >miss &&
	printf "null\nnull\n" >want &&
	test_cmp want miss &&
	grep -c "\"monthly_spending\":450.10," out >n && echo 1 >want && test_cmp want n
'

test_expect_success 'Kafka tombstones in a table are skipped' '
	{ cat customers.jsonl && echo null &&
	  echo "{\"_value\":null,\"_kafka\":{\"topic\":\"t\",\"partition\":0,\"offset\":5}}"; } >tomb.jsonl &&
	enrich -T customer=tomb.jsonl --stats 1h <events.jsonl >out 2>err &&
	enrich -T customer=customers.jsonl <events.jsonl >want &&
	test_cmp want out &&
	test_grep "\"rejected\":0," err &&
	test_grep "\"table_customer_changes\":5}" err
'

test_expect_success '--miss omit leaves the member out' '
	enrich --miss omit -T customer=customers.jsonl <events.jsonl >out &&
	jq -c "has(\"customer\")" out >got &&
	printf "true\ntrue\nfalse\nfalse\n" >want &&
	test_cmp want got
'

test_expect_success 'device: the active device last updated; imei_match; account age' '
	enrich -T customer=customers.jsonl -T device=devices.jsonl \
		--row-key device=device_id --pick device=latest:last_updated \
		--where "$ACTIVE" --derive "device.imei_match=eq(imei,imei)" \
		--derive "customer.account_age_days=days_since(account_creation_date)" \
		<events.jsonl >out &&
	jq -c "[.device.device_id, .device.imei_match, .customer.account_age_days]" out >got &&
	printf "%s\n" "[3,true,4]" "[null,null,2496]" "[null,null,null]" "[null,null,null]" >want &&
	test_cmp want got
'

test_expect_success 'payments: failed or charged back in the 30 days before the event' '
	enrich -T payments=payments.jsonl --row-key payments=transaction_id \
		-s "$FAILED" -s "payments.total=sum(amount)" \
		-s "payments.last=latest(status) within 30d by transaction_date" \
		<events.jsonl >out &&
	jq -c ".payments" out >got &&
	printf "%s\n" "{\"failed_30d\":2,\"total\":150,\"last\":\"completed\"}" \
		"{\"failed_30d\":0,\"total\":5,\"last\":\"completed\"}" null null >want &&
	test_cmp want got
'

test_expect_success 'the time field is an option: first present wins' '
	printf "%s\n" "{\"customer_id\":\"C1\",\"t\":\"2026-10-26T12:00:00Z\",\"start_time\":\"2026-11-01T00:00:00Z\"}" >ev &&
	enrich -t t,start_time -T payments=payments.jsonl --row-key payments=transaction_id \
		-s "$FAILED" <ev >out &&
	jq -c .payments.failed_30d out >got && echo 2 >want && test_cmp want got &&
	enrich -t nosuch -T payments=payments.jsonl --row-key payments=transaction_id \
		-s "$FAILED" <ev >out &&
	jq -c .payments.failed_30d out >got && echo null >want && test_cmp want got
'

test_expect_success 'payment rows are upserted and deleted by their row key, also by it alone' '
	{
		cat payments.jsonl &&
		cr u "{\"transaction_id\":4,\"customer_id\":\"C1\"}" "{\"transaction_id\":4,\"customer_id\":\"C1\",\"status\":\"failed\",\"amount\":\"40.00\",\"transaction_date\":\"2026-10-26T00:00:00Z\"}" 5000 &&
		cr d "{\"transaction_id\":1,\"customer_id\":\"C1\"}" null 6000 &&
		cr d "{\"transaction_id\":2}" null 6001 &&
		cr d "{\"transaction_id\":99}" null 6002
	} >pay2.jsonl &&
	enrich -T payments=pay2.jsonl --row-key payments=transaction_id \
		-s "$FAILED" -s "payments.n=count()" <events.jsonl >out 2>err &&
	test_must_fail test -s err &&
	jq -c ".payments" out | head -1 >got &&
	echo "{\"failed_30d\":1,\"n\":3}" >want &&
	test_cmp want got
'

test_expect_success 'unwrapped change records and truncate' '
	cat >unwrapped.jsonl <<-\EOF &&
	{"customer_id":"C1","credit_score":1,"__op":"c","__deleted":"false","__source_ts_ms":1}
	{"customer_id":"C2","credit_score":2,"__op":"c","__deleted":"false","__source_ts_ms":1}
	{"customer_id":"C2","credit_score":2,"__op":"d","__deleted":"true","__source_ts_ms":2}
	EOF
	enrich -T customer=unwrapped.jsonl <events.jsonl >out &&
	jq -c ".customer" out | head -2 >got &&
	printf "%s\n" "{\"customer_id\":\"C1\",\"credit_score\":1}" null >want &&
	test_cmp want got &&
	{ cat customers.jsonl && echo "{\"before\":null,\"after\":null,\"source\":{},\"op\":\"t\",\"ts_ms\":9}"; } >trunc.jsonl &&
	enrich -T customer=trunc.jsonl <events.jsonl >out &&
	jq -c ".customer" out | sort -u >got &&
	echo null >want && test_cmp want got
'

test_expect_success 'a key that changes moves the row; --key and --event-key' '
	{
		echo "{\"id\":\"A\",\"v\":1}" &&
		cr u "{\"id\":\"A\",\"v\":1}" "{\"id\":\"B\",\"v\":2}" 5
	} >moved.jsonl &&
	printf "%s\n" "{\"who\":\"A\"}" "{\"who\":\"B\"}" >ev &&
	enrich -T t=moved.jsonl -k t=id --event-key t=who <ev >out &&
	jq -c ".t.v" out >got && printf "null\n2\n" >want && test_cmp want got
'

test_expect_success 'tables from a FIFO and from process substitution' '
	mkfifo fifo &&
	{ cat customers.jsonl >fifo & } &&
	enrich -T customer=fifo -T device=<(cat devices.jsonl) --row-key device=device_id \
		--pick device=latest:last_updated --where "$ACTIVE" <events.jsonl >out &&
	enrich -T customer=customers.jsonl -T device=devices.jsonl --row-key device=device_id \
		--pick device=latest:last_updated --where "$ACTIVE" <events.jsonl >want &&
	test_cmp want out
'

test_expect_success 'start-up waits for a quiet table, then events flow' '
	rm -f q.fifo && mkfifo q.fifo &&
	{ { cat customers.jsonl && exec sleep 60; } >q.fifo & } && w=$! &&
	test_atexit "kill $w" &&
	enrich -q 2s -T customer=q.fifo <events.jsonl >out &&
	stop_writer $w &&
	jq -c .customer.credit_score out | head -1 >got && echo 550 >want &&
	test_cmp want got
'

test_expect_success 'start-up ends at --end-marker, which is not a row' '
	rm -f m.fifo && mkfifo m.fifo &&
	{ { cat customers.jsonl && echo "#caught-up" && exec sleep 60; } >m.fifo & } && w=$! &&
	test_atexit "kill $w" &&
	enrich -q 1h --end-marker "#caught-up" -T customer=m.fifo <events.jsonl >out 2>err &&
	stop_writer $w &&
	test_line_count = 4 out &&
	test_must_fail test -s err
'

test_expect_success 'with --end-marker a table silent past -q has not caught up: events wait' '
	rm -f w.fifo && mkfifo w.fifo &&
	exec 8<>w.fifo &&
	{ enrich -q 100ms --end-marker "#caught-up" -T customer=w.fifo --stats 100ms \
		<events.jsonl >wout 2>werr 8>&- & } && pid=$! &&
	test_atexit "kill $pid" &&
	# ten statistics lines 100 ms apart: the table has been silent for
	# ten times -q, and no event has come out
	wait_until 30 "ten statistics lines or an event" \
		sh -c "test -s wout || test \$(grep -c ^{\\\"stats\\\" werr) -ge 10" &&
	test_must_fail test -s wout &&
	test_must_fail grep -v "\"events_in\":0," werr &&
	{ cat customers.jsonl && echo "#caught-up"; } >&8 &&
	wait $pid && exec 8>&- &&
	jq -c "[.customer_id, .customer.credit_score]" wout >got &&
	printf "%s\n" "[\"C1\",550]" "[\"C2\",700]" "[\"C3\",null]" "[null,null]" >want &&
	test_cmp want got
'

test_expect_success '--start-timeout starts without a table that never quiets down' '
	rm -f s.fifo && mkfifo s.fifo &&
	{ { while :; do echo; sleep 0.05; done; } >s.fifo & } && w=$! &&
	test_atexit "kill $w" &&
	enrich -q 1h --start-timeout 500ms -T customer=s.fifo <events.jsonl >out 2>err &&
	stop_writer $w &&
	test_line_count = 4 out &&
	test_grep "table customer not caught up" err
'

test_expect_success 'ordering: a change written before an event is applied before it' '
	rm -f t.fifo e.fifo live.out && mkfifo t.fifo e.fifo &&
	exec 8<>t.fifo 9<>e.fifo &&
	cat customers.jsonl >&8 &&
	{ enrich -q 200ms -T customer=t.fifo <e.fifo >live.out 2>live.err 8>&- 9>&- & } && pid=$! &&
	test_atexit "kill $pid" &&
	i=0 &&
	while [ $i -lt 50 ]; do
		cr u null "{\"customer_id\":\"C1\",\"credit_score\":$i}" $((10000 + i)) >&8 &&
		echo "{\"customer_id\":\"C1\",\"n\":$i}" >&9 &&
		i=$((i + 1)) || return 1
	done &&
	exec 9>&- &&
	wait_until 30 "50 events out" sh -c "test \$(wc -l <live.out) -eq 50" &&
	wait $pid &&
	exec 8>&- &&
	# each event sees at least the change written before it, and
	# changes only move forward
	jq -c "select(.customer.credit_score < .n)" live.out >early &&
	test_must_fail test -s early &&
	jq -r .customer.credit_score live.out >seen &&
	sort -n seen >sorted &&
	test_cmp sorted seen &&
	tail -1 seen >last && echo 49 >want && test_cmp want last
'

test_expect_success 'ordering: a live change is used by the next event' '
	rm -f t.fifo e.fifo live.out && mkfifo t.fifo e.fifo &&
	exec 8<>t.fifo 9<>e.fifo &&
	cat customers.jsonl >&8 &&
	{ enrich -q 200ms -T customer=t.fifo <e.fifo >live.out 8>&- 9>&- & } && pid=$! &&
	test_atexit "kill $pid" &&
	echo "{\"customer_id\":\"C9\",\"n\":1}" >&9 &&
	wait_until 30 "first event" test -s live.out &&
	cr c null "{\"customer_id\":\"C9\",\"credit_score\":9}" 20000 >&8 &&
	echo "{\"customer_id\":\"C9\",\"n\":2}" >&9 &&
	wait_until 30 "second event" sh -c "test \$(wc -l <live.out) -eq 2" &&
	cr d "{\"customer_id\":\"C9\"}" null 20001 >&8 &&
	echo "{\"customer_id\":\"C9\",\"n\":3}" >&9 &&
	exec 9>&- && wait $pid && exec 8>&- &&
	jq -c ".customer.credit_score" live.out >got &&
	printf "null\n9\nnull\n" >want &&
	test_cmp want got
'

# the versions of C1 in as-of tests: 500 from the start, 600 from
# 2026-11-01, deleted from 2026-11-02, 700 from 2026-11-03
asof_table() {
	cr r null '{"customer_id":"C1","credit_score":500}' 1 &&
	cr u '{"customer_id":"C1"}' '{"customer_id":"C1","credit_score":600}' 1761955200000 &&
	cr d '{"customer_id":"C1"}' null 1762041600000 &&
	cr c null '{"customer_id":"C1","credit_score":700}' 1762128000000
}

test_expect_success '--as-of: each event sees the version valid at its time' '
	asof_table >v.jsonl &&
	printf "%s\n" 2025-10-31T00:00:00Z 2025-11-01T00:00:00Z 2025-11-01T12:00:00Z \
		2025-11-02T00:00:00Z 2025-11-03T00:00:00Z 2025-10-01T00:00:00Z |
		sed "s/.*/{\"customer_id\":\"C1\",\"event_time\":\"&\"}/" >ve.jsonl &&
	enrich -a event_time -T customer=v.jsonl <ve.jsonl >out &&
	jq -c .customer.credit_score out >got &&
	printf "%s\n" 500 600 600 null 700 500 >want &&
	test_cmp want got
'

test_expect_success '--as-of: the same output whatever order the table lines come in' '
	tac v.jsonl >rev.jsonl &&
	sed -n "2p;4p;1p;3p" v.jsonl >mixed.jsonl &&
	enrich -a event_time -T customer=rev.jsonl <ve.jsonl >out.rev &&
	enrich -a event_time -T customer=mixed.jsonl <ve.jsonl >out.mixed &&
	test_cmp out out.rev &&
	test_cmp out out.mixed
'

test_expect_success '--as-of: an event waits until the table has reached its time' '
	rm -f a.fifo && mkfifo a.fifo &&
	exec 8<>a.fifo &&
	{ cr r null "{\"customer_id\":\"C1\",\"credit_score\":500}" 1 && echo "#ready"; } >&8 &&
	echo "{\"customer_id\":\"C1\",\"event_time\":\"2025-11-01T12:00:00Z\"}" >ev &&
	{ enrich -a event_time -q 1h --end-marker "#ready" -T customer=a.fifo --stats 100ms <ev >aout 2>aerr 8>&- & } &&
	pid=$! && test_atexit "kill $pid" &&
	wait_until 30 "a held event" grep -q "\"held\":1" aerr &&
	test_must_fail test -s aout &&
	cr u null "{\"customer_id\":\"C1\",\"credit_score\":600}" 1761955200000 >&8 &&
	cr u null "{\"customer_id\":\"C1\",\"credit_score\":700}" 1762128000000 >&8 &&
	wait $pid && exec 8>&- &&
	jq -c .customer.credit_score aout >got && echo 600 >want && test_cmp want got
'

test_expect_success '--as-of: --max-held bounds the events held' '
	rm -f h2.fifo && mkfifo h2.fifo &&
	exec 8<>h2.fifo &&
	{ cr r null "{\"customer_id\":\"C1\",\"credit_score\":500}" 1 && echo "#ready"; } >&8 &&
	printf "%s\n" "{\"customer_id\":\"C1\",\"event_time\":\"2025-11-01T00:00:00Z\",\"n\":1}" \
		"{\"customer_id\":\"C1\",\"event_time\":\"2025-11-02T00:00:00Z\",\"n\":2}" \
		"{\"customer_id\":\"C1\",\"event_time\":\"2025-11-03T00:00:00Z\",\"n\":3}" >ev3 &&
	{ enrich -a event_time -q 1h --end-marker "#ready" --max-held 1 -T customer=h2.fifo \
		--stats 100ms <ev3 >hout 2>herr 8>&- & } &&
	pid=$! && test_atexit "kill $pid" &&
	wait_until 30 "forced events" grep -q "\"forced\":2" herr &&
	wait_until 30 "two events out" sh -c "test \$(wc -l <hout) -eq 2" &&
	jq -c .n hout >got && printf "1\n2\n" >want && test_cmp want got &&
	kill -TERM $pid && wait $pid && exec 8>&- &&
	jq -c .n hout >got && printf "1\n2\n3\n" >want && test_cmp want got
'

test_expect_success '--as-of: --history bounds the versions kept' '
	enrich -a event_time --history 1d -T customer=v.jsonl --stats 1h <ve.jsonl >out 2>err &&
	test_grep "\"versions\":2," err &&
	enrich -a event_time --max-versions 1 -T customer=v.jsonl --stats 1h <ve.jsonl >out 2>err &&
	test_grep "\"versions\":1," err &&
	jq -c .customer.credit_score out | sort -u >got &&
	printf "700\nnull\n" >want && test_cmp want got
'

# With --version-time _kafka.ts the versions of C1 hold from their records'
# Kafka times, not their source.ts_ms: 500 from the start (a snapshot row
# of a later Kafka time), 600 from T0+100s (its source time is later), 700
# from T0+200s (its source time is between), deleted from T0+300s, 800 from
# T0+400s (a record without _kafka: its source time). C2 is a plain row from
# T0+100s, C3 one without _kafka, valid from the start.
T0=1733300000000

# crk OP BEFORE AFTER SOURCE_TS KAFKA_TS OFFSET: a change record as read by
# consume -m
crk() {
	printf '{"before":%s,"after":%s,"source":{"connector":"mysql","ts_ms":%s},"op":"%s","ts_ms":%s,"_kafka":{"topic":"cdc.crm.customer_profiles","partition":0,"offset":%s,"ts":%s,"key":null}}\n' \
		"$2" "$3" "$4" "$1" "$4" "$6" "$5"
}

# kev N CUSTOMER KAFKA_TS: an event as read by consume -m
kev() {
	printf '{"n":%s,"customer_id":"%s","_kafka":{"topic":"telecom-cdr","partition":0,"offset":%s,"ts":%s,"key":null}}\n' \
		"$1" "$2" "$1" "$3"
}

test_expect_success '--version-time: setup' '
	crk r null "{\"customer_id\":\"C1\",\"credit_score\":500}" 1 $((T0 + 1000)) 0 >kt1 &&
	echo "{\"customer_id\":\"C3\",\"credit_score\":300}" >>kt1 &&
	crk u "{\"customer_id\":\"C1\"}" "{\"customer_id\":\"C1\",\"credit_score\":600}" $((T0 + 900000)) $((T0 + 100000)) 1 >>kt1 &&
	echo "{\"customer_id\":\"C2\",\"credit_score\":200,\"_kafka\":{\"topic\":\"t\",\"partition\":0,\"offset\":2,\"ts\":$((T0 + 100000))}}" >>kt1 &&
	crk u "{\"customer_id\":\"C1\"}" "{\"customer_id\":\"C1\",\"credit_score\":700}" $((T0 + 150000)) $((T0 + 200000)) 3 >kt2 &&
	crk d "{\"customer_id\":\"C1\"}" null $((T0 + 250000)) $((T0 + 300000)) 4 >>kt2 &&
	cr c null "{\"customer_id\":\"C1\",\"credit_score\":800}" $((T0 + 400000)) >>kt2 &&
	cat kt1 kt2 >kt.jsonl &&
	{
		kev 0 C1 $((T0 - 1000000)) && kev 1 C1 $((T0 + 99999)) &&
		kev 2 C2 $((T0 + 50000)) && kev 3 C3 $((T0 + 50000)) &&
		kev 4 C1 $((T0 + 100000)) && kev 5 C1 $((T0 + 150000)) &&
		kev 6 C2 $((T0 + 200000)) && kev 7 C1 $((T0 + 200000)) &&
		kev 8 C1 $((T0 + 300000)) && kev 9 C1 $((T0 + 400000))
	} >kev.jsonl &&
	printf "%s\n" "[0,500]" "[1,500]" "[2,null]" "[3,300]" "[4,600]" "[5,600]" \
		"[6,200]" "[7,700]" "[8,null]" "[9,800]" >kwant
'

test_expect_success '--version-time: each event sees the versions at or before its Kafka time' '
	enrich -a _kafka.ts --version-time _kafka.ts -T customer=kt.jsonl <kev.jsonl >kout &&
	jq -c "[.n, .customer.credit_score]" kout >got &&
	test_cmp kwant got &&
	# without it, by source.ts_ms: 700 already at T0+150s, 600 only later
	enrich -a _kafka.ts -T customer=kt.jsonl <kev.jsonl >out &&
	jq -c "[.n, .customer.credit_score]" out >got &&
	sed -n 5,6p got >both &&
	printf "%s\n" "[4,500]" "[5,700]" >want &&
	test_cmp want both
'

test_expect_success '--version-time: the same output whatever the order of table lines and events' '
	tac kt.jsonl >ktrev.jsonl &&
	enrich -a _kafka.ts --version-time _kafka.ts -T customer=ktrev.jsonl <kev.jsonl >out &&
	test_cmp kout out &&
	# live: events arrive before the changes of their time and wait for
	# them, by the Kafka times of the table lines, not by source.ts_ms,
	# which the 600 took far ahead
	rm -f k.fifo && mkfifo k.fifo &&
	exec 8<>k.fifo &&
	{ cat kt1 && echo "#ready"; } >&8 &&
	{ enrich -a _kafka.ts --version-time _kafka.ts -q 1h --end-marker "#ready" \
		-T customer=k.fifo --stats 100ms <kev.jsonl >klive 2>kerr 8>&- & } &&
	pid=$! && test_atexit "kill $pid" &&
	wait_until 30 "held events" grep -q "\"held\":5" kerr &&
	wait_until 30 "five events out" sh -c "test \$(wc -l <klive) -eq 5" &&
	cat kt2 >&8 &&
	wait $pid && exec 8>&- &&
	test_cmp kout klive
'

test_expect_success '--version-time: ISO 8601 times; in a config file' '
	jq -c "if ._kafka.ts then ._kafka.ts |= (. / 1000 | todate) else . end" \
		kt.jsonl >ktiso.jsonl &&
	test_grep "\"ts\":\"2024-12-04T08:15:00Z\"" ktiso.jsonl &&
	enrich -a _kafka.ts --version-time _kafka.ts -T customer=ktiso.jsonl <kev.jsonl >out &&
	jq -c "[.n, .customer.credit_score]" out >got &&
	test_cmp kwant got &&
	printf "%s\n" "as-of _kafka.ts" "version-time _kafka.ts" >vt.conf &&
	enrich -C vt.conf -T customer=kt.jsonl <kev.jsonl >out &&
	test_cmp kout out
'

test_expect_success '--version-time without --as-of is a usage error (64)' '
	test_must_fail --status=64 enrich --version-time _kafka.ts \
		-T customer=kt.jsonl </dev/null 2>err &&
	test_grep "^enrich: --version-time needs --as-of$" err
'

test_expect_success 'bad lines: FILE:LINE: reason, dead-lettered, counted' '
	{ cat customers.jsonl && echo "not json" && echo "{\"after\":{},\"op\":\"c\"}" && echo "[1]"; } >badt.jsonl &&
	{ echo "{\"customer_id\":\"C1\"}" && echo "{\"customer_id\":" && echo "42"; } >bade.jsonl &&
	enrich -d dead -T customer=badt.jsonl <bade.jsonl >out 2>err &&
	test_line_count = 1 out &&
	test_grep "^enrich: badt.jsonl:6: not JSON$" err &&
	test_grep "^enrich: badt.jsonl:7: no join key in the row$" err &&
	test_grep "^enrich: badt.jsonl:8: not a JSON object$" err &&
	test_grep "^enrich: <stdin>:2: not JSON" err &&
	test_grep "^enrich: <stdin>:3: not a JSON object (number)$" err &&
	printf "%s\n" "not json" "{\"after\":{},\"op\":\"c\"}" "[1]" "{\"customer_id\":" 42 >want &&
	test_cmp want dead
'

test_expect_success 'a pipe that ends inside a line: said, not dead-lettered, exit 74' '
	# a writer killed in the middle of a record: the bytes it wrote of it
	# are no record, the input is broken; the join goes on after a table
	printf "%s\n" "{\"customer_id\":\"C2\",\"credit_score\":1}" >cut.jsonl &&
	printf "{\"customer_id\":\"C1\",\"cr" >>cut.jsonl &&
	{ echo "{\"customer_id\":\"C2\"}" && printf "{\"customer_id\":\"C1\",\"ev"; } |
	test_must_fail --status=74 enrich -d fdead -T customer=<(cat cut.jsonl) --stats 1h \
		>fout 2>ferr &&
	test_grep "^enrich: /dev/fd/[0-9]*:2: the input ends inside a line (23 bytes; its writer stopped before the newline): not taken$" ferr &&
	test_grep "^enrich: <stdin>:2: the input ends inside a line (23 bytes; its writer stopped before the newline): not taken$" ferr &&
	test_grep "\"rejected\":0,\"fragments\":2," ferr &&
	test_must_fail test -s fdead &&
	jq -c ".customer.credit_score" fout >got && echo 1 >want && test_cmp want got &&
	# a whole object without its newline is a record
	printf "{\"customer_id\":\"C2\"}" | enrich -T customer=<(cat cut.jsonl | head -1) >fout 2>ferr &&
	test_line_count = 1 fout &&
	# from a regular file the same bytes are a bad line
	cp cut.jsonl cutfile.jsonl &&
	enrich -d fdead -T customer=cutfile.jsonl </dev/null 2>ferr &&
	test_grep "^enrich: cutfile.jsonl:2: not JSON" ferr &&
	{ tail -1 cut.jsonl && echo; } >want && test_cmp want fdead
'

test_expect_success '--max-errors: exit 65 past the limit' '
	test_must_fail --status=65 enrich -e 1 -T customer=badt.jsonl <bade.jsonl >out 2>err &&
	test_grep "more than 1 bad lines" err &&
	enrich -e 5 -T customer=badt.jsonl <bade.jsonl >out 2>err
'

test_expect_success 'a line too long is rejected' '
	x=$(head -c 3000 /dev/zero | tr "\\0" x) &&
	echo "{\"customer_id\":\"$x\"}" >long.jsonl &&
	cat events.jsonl >>long.jsonl &&
	enrich --max-line 1k -T customer=customers.jsonl <long.jsonl >out 2>err &&
	test_line_count = 4 out &&
	test_grep "<stdin>:1: line too long" err
'

test_expect_success 'a table of 70000 keys (lookups prefetched) joins each event as jq does' '
	awk "BEGIN { for (i = 0; i < 70000; i++)
		printf \"{\\\"customer_id\\\":\\\"C%06d\\\",\\\"n\\\":%d}\\n\", i, i }" >big.jsonl &&
	awk "BEGIN { for (i = 0; i < 5000; i++) {
		k = (i * 7919) % 80000
		if (i % 5 == 0) printf \"{\\\"x\\\":{\\\"customer_id\\\":\\\"C000001\\\"},\\\"customer_id\\\":\\\"C%06d\\\"}\\n\", k
		else if (i % 7 == 0) printf \"{\\\"customer_id\\\":\\\"C\\\\u0030%05d\\\",\\\"i\\\":%d}\\n\", k % 100000, i
		else if (i % 11 == 0) printf \"{\\\"i\\\":%d}\\n\", i
		else if (i % 13 == 0) printf \"{\\\"customer_id\\\":%d}\\n\", k
		else printf \"{\\\"i\\\":%d, \\\"customer_id\\\" : \\\"C%06d\\\"}\\n\", i, k } }" >bigev.jsonl &&
	enrich -T customer=big.jsonl bigev.jsonl >out &&
	jq -c -n --slurpfile t big.jsonl "(reduce \$t[] as \$r ({}; .[\$r.customer_id] = \$r)) as \$m |
		inputs | .customer = (if (.customer_id | type) == \"string\" then \$m[.customer_id] else null end)" \
		bigev.jsonl >want &&
	jq -c . out >got &&
	test_line_count = 5000 got &&
	test "$(grep -c "\"n\":" got)" -gt 3000 &&
	test_cmp want got
'

test_expect_success 'usage errors: 64; missing table: 66; bad config: 78' '
	test_must_fail --status=64 enrich <events.jsonl 2>err &&
	test_grep -i usage err &&
	test_must_fail --status=64 enrich -T customer=customers.jsonl -s "nosuch.x=count()" </dev/null 2>err &&
	test_grep "no --table nosuch" err &&
	test_must_fail --status=64 enrich -T p=payments.jsonl -s "p.x=count() within 30d" </dev/null 2>err &&
	test_grep "needs \"by FIELD\"" err &&
	test_must_fail --status=64 enrich -T p=payments.jsonl --pick p=newest </dev/null 2>err &&
	test_must_fail --status=64 enrich -T p=payments.jsonl --pick p=last --where "p=status ==" </dev/null 2>err &&
	test_must_fail --status=66 enrich -T customer=nosuch.jsonl </dev/null 2>err &&
	test_grep "nosuch.jsonl: No such file" err &&
	echo "frobnicate yes" >bad.conf &&
	test_must_fail --status=78 enrich -C bad.conf -T customer=customers.jsonl </dev/null 2>err &&
	test_grep "bad.conf:1: unknown option frobnicate" err
'

test_expect_success 'stdout on /dev/full exits 74; | head -1 ends quietly' '
	test_must_fail --status=74 enrich -T customer=customers.jsonl <events.jsonl >/dev/full 2>err &&
	test_grep "standard output" err &&
	for i in $(seq 1 2000); do cat events.jsonl; done >many.jsonl &&
	{ enrich -T customer=customers.jsonl <many.jsonl 2>err; echo $? >st; } | head -1 >first &&
	test_line_count = 1 first &&
	echo 141 >want && test_cmp want st &&
	test_must_fail test -s err
'

test_expect_success 'SIGUSR1 prints statistics; --stats-file writes Prometheus text' '
	rm -f u.fifo out && mkfifo u.fifo && exec 9<>u.fifo &&
	{ enrich -T customer=customers.jsonl --stats-file prom <u.fifo >out 2>err 9>&- & } && pid=$! &&
	test_atexit "kill $pid" &&
	cat events.jsonl >&9 &&
	wait_until 30 "4 events" sh -c "test \$(wc -l <out) -eq 4" &&
	kill -USR1 $pid &&
	wait_until 30 "statistics" grep -q "\"events_out\":4" err &&
	test_grep "\"table_customer_keys\":2" err &&
	exec 9>&- && wait $pid &&
	test_grep "^telco_enrich_misses 2$" prom
'

test_expect_success 'SIGHUP reads table files again; SIGTERM exits 0' '
	cp customers.jsonl hup.jsonl &&
	rm -f h.fifo out && mkfifo h.fifo && exec 9<>h.fifo &&
	{ enrich -T customer=hup.jsonl <h.fifo >out 2>err 9>&- & } && pid=$! &&
	test_atexit "kill $pid" &&
	echo "{\"customer_id\":\"C7\"}" >&9 &&
	wait_until 30 "first event" test -s out &&
	echo "{\"customer_id\":\"C7\",\"credit_score\":7}" >>hup.jsonl &&
	kill -HUP $pid &&
	wait_until 30 "reloaded" grep -q "table customer reloaded" err &&
	echo "{\"customer_id\":\"C7\"}" >&9 &&
	wait_until 30 "second event" sh -c "test \$(wc -l <out) -eq 2" &&
	kill -TERM $pid && wait $pid &&
	exec 9>&- &&
	jq -c .customer.credit_score out >got && printf "null\n7\n" >want &&
	test_cmp want got
'

test_expect_success 'pipelines/enrich.conf: five tables into detect(1)' '
	cat >behavior.jsonl <<-\EOF &&
	{"behavior_id":1,"customer_id":"C1","favorite_service":"voice","created_at":"2026-10-01T00:00:00Z"}
	{"behavior_id":2,"customer_id":"C1","favorite_service":"data","created_at":"2026-10-15T00:00:00Z"}
	EOF
	cat >complaints.jsonl <<-\EOF &&
	{"complaint_id":1,"customer_id":"C1","severity":"high","status":"open","created_at":"2026-10-30T00:00:00Z"}
	{"complaint_id":2,"customer_id":"C1","severity":"low","status":"closed","created_at":"2026-10-31T00:00:00Z"}
	EOF
	printf "%s\n" \
		"{\"cdr_id\":\"K1\",\"customer_id\":\"C1\",\"msisdn\":\"M1\",\"other_msisdn\":\"O1\",\"direction\":\"MO\",\"call_type\":\"voice\",\"start_time\":\"2026-11-01T00:00:00Z\",\"duration_s\":60,\"answered\":true,\"imei\":\"999\",\"charge\":60.00,\"_kafka\":{\"topic\":\"telecom-cdr\"}}" >cdr.jsonl &&
	enrich -C "$CONF" -T customer=customers.jsonl -T device=devices.jsonl \
		-T payments=payments.jsonl -T behavior=behavior.jsonl \
		-T complaints=complaints.jsonl <cdr.jsonl >enriched &&
	jq -c "[.customer.account_age_days, .device.imei, .device.imei_match, .payments.failed_30d, .behavior.favorite_service, .complaints.open, .complaints.latest_severity]" enriched >got &&
	echo "[4,\"333\",false,2,\"data\",1,\"low\"]" >want &&
	test_cmp want got &&
	detect -r "$TOP/rules/telecom.rules" enriched >alerts &&
	jq -r .rule alerts | sort >rules &&
	printf "imei_mismatch\npayment_risk\n" >want &&
	test_cmp want rules
'

test_done
