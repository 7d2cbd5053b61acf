#!/bin/bash
test_description='enrich --state: restart from a saved state, positions skipped, bad states refused; Debezium day counts'
. "$(dirname "$0")/lib.sh"

FAILED='payments.failed_30d=count(status in ["failed","chargeback"]) within 30d by transaction_date'
AGE='customer.account_age_days=days_since(account_creation_date)'
LAST='payments.last_status=latest(status) by transaction_date'
L='payments.last_amount=latest(amount) within 90d by created_at'
# the tables and summaries of every run here; the inputs come after
ARGS=(--row-key payments=transaction_id -s "$FAILED" -s "$LAST" --derive "$AGE" --stats 1h)

# stat FILE NAME: the value of NAME in the last statistics line of FILE
stat() {
	grep '^{"stats"' "$1" | tail -1 | jq -r ".$2"
}

# the data: telco-gen's customers and payments as change records of
# binlog2jsonl (MySQL) and pgcdc2jsonl (PostgreSQL), its CDRs as events
cat >mk.py <<'EOF'
import json, sys
d = sys.argv[1]
def rows(name):
    return [json.loads(l) for l in open(f"{d}/{name}.rows")]
def w(name, recs):
    with open(name, "w") as f:
        for r in recs:
            f.write(json.dumps(r, separators=(",", ":"), ensure_ascii=False) + "\n")
def my(op, before, after, file, pos, row, snap, ts):
    return {"before": before, "after": after, "source": {"version": "0.1.0",
        "connector": "mysql", "name": "crm", "ts_ms": ts, "snapshot": snap, "db": "crm",
        "table": "customer_profiles", "server_id": 1, "gtid": None, "file": file,
        "pos": pos, "row": row}, "op": op, "ts_ms": ts}
def pg(op, before, after, commit, lsn, row, snap, ts):
    seq = '[null,"%d"]' % lsn if commit is None else '["%d","%d"]' % (commit, lsn)
    return {"before": before, "after": after, "source": {"connector": "postgresql",
        "name": "billing", "db": "billing", "schema": "public",
        "table": "payment_transactions", "lsn": lsn, "txId": None if commit is None else 700,
        "snapshot": snap, "ts_ms": ts, "sequence": seq, "row": row}, "op": op, "ts_ms": ts}
DAY0 = 1761955200000    # 2026-11-01T00:00:00Z
cust, pay = rows("customer"), rows("payments")
T = [my("r", None, c, "binlog.000003", 154, i,
        "last" if i == len(cust) - 1 else "true", DAY0 - 86400000) for i, c in enumerate(cust)]
T2, pos = [], 1000
for i in range(40):                     # updates, two to a transaction now and then
    c = dict(cust[i]); c["credit_score"] = 300 + i; c["monthly_spending"] = 999.5
    T2.append(my("u", cust[i], c, "binlog.000003", pos, 0, "false", DAY0 + i * 1800000))
    if i % 10 == 9:
        c2 = dict(cust[i + 100]); c2["credit_score"] = 1
        T2.append(my("u", cust[i + 100], c2, "binlog.000003", pos, 1, "false", DAY0 + i * 1800000))
    pos += 300
for i in range(40, 45):                 # deletes
    T2.append(my("d", cust[i], None, "binlog.000003", pos, 0, "false", DAY0 + 72000000))
    pos += 300
for i in range(3):                      # new customers
    c = dict(cust[0]); c["customer_id"] = "C9%05d" % i
    T2.append(my("c", None, c, "binlog.000003", pos, 0, "false", DAY0 + 72000000))
    pos += 300
half = len(T2)
for i in range(45, 60):                 # after a rotation: a new file, smaller positions
    c = dict(cust[i]); c["credit_score"] = 200 + i
    T2.append(my("u", cust[i], c, "binlog.000004", 4 + 100 * (i - 45), 0, "false",
                 DAY0 + 3600000 * (i - 45)))
P = [pg("r", None, p, None, 50000000, i,
        "last" if i == len(pay) - 1 else "true", DAY0 - 86400000) for i, p in enumerate(pay)]
P2, lsn = [], 60000000
ids = sorted(set(p["customer_id"] for p in pay))
for i, cid in enumerate(ids[:30]):      # new failed payments, one transaction each
    p = {"transaction_id": str(100000 + i), "customer_id": cid,
         "transaction_date": "2026-10-25T10:00:00Z", "amount": 10.5,
         "payment_method": "card", "status": "failed", "created_at": "2026-10-25T10:00:01Z"}
    P2.append(pg("c", None, p, lsn + 500, lsn, 0, "false", DAY0 + i * 60000))
    lsn += 1000
# two transactions that interleave, written in commit order: the second
# made its change first (a smaller LSN) and commits later
late = [p for p in pay if p["customer_id"] == ids[31]][:1] + [p for p in pay if p["customer_id"] == ids[32]][:1]
for j, p in enumerate(late):
    q = dict(p); q["status"] = "chargeback"; q["transaction_date"] = "2026-10-30T00:00:00Z"
    P2.append(pg("u", {"transaction_id": p["transaction_id"]}, q,
                 lsn + 400 + 500 * j, lsn + 200 - 100 * j, 0, "false", DAY0 + 3600000))
w("T.jsonl", T); w("T2.jsonl", T2); w("T2a.jsonl", T2[:half]); w("T2b.jsonl", T2[half:])
w("P.jsonl", P); w("P2.jsonl", P2)
EOF

test_expect_success 'setup: telco-gen data as change records and events' '
	telco-gen --seed 7 --customers 200 --days 1 --start 2026-11-01 -o data >/dev/null &&
	csv2kafka --stdout data/customer_profiles.csv >data/customer.rows &&
	csv2kafka --stdout data/payment_transactions.csv >data/payments.rows &&
	python3 mk.py data &&
	csv2kafka --stdout -m data/telecom-cdr.csv >cdr.jsonl &&
	sed -n "1,1500p" cdr.jsonl >E1 &&
	sed -n "1501,3000p" cdr.jsonl >E2 &&
	test_line_count = 1500 E2 &&
	cat T.jsonl T2.jsonl >TT2.jsonl &&
	cat P.jsonl P2.jsonl >PP2.jsonl &&
	cat E1 E2 >E12 &&
	test_line_count = 200 T.jsonl &&
	test $(wc -l <T2.jsonl) -gt 60
'

test_expect_success 'a restart from --state gives what an uninterrupted run gives' '
	enrich "${ARGS[@]}" -T customer=TT2.jsonl -T payments=PP2.jsonl <E12 >full.out 2>full.err &&
	tail -n 1500 full.out >full.E2 &&
	# run 1: the first tables and events, then the end of the events
	enrich "${ARGS[@]}" --state st -T customer=T.jsonl -T payments=P.jsonl <E1 >run1.out 2>run1.err &&
	test -s st &&
	enrich "${ARGS[@]}" -T customer=T.jsonl -T payments=P.jsonl <E1 >nostate1.out 2>/dev/null &&
	test_cmp nostate1.out run1.out &&
	# run 2: the tables sent again with their changes, the next events
	enrich "${ARGS[@]}" --state st -T customer=TT2.jsonl -T payments=PP2.jsonl <E2 >run2.out 2>run2.err &&
	test_cmp full.E2 run2.out &&
	# the changes matter to these events: without them the output differs
	enrich "${ARGS[@]}" -T customer=T.jsonl -T payments=P.jsonl <E2 >old.E2 2>/dev/null &&
	test_must_fail cmp -s full.E2 old.E2 &&
	# what the state held was skipped, the changes applied
	echo 200 >want && stat run2.err table_customer_skipped >got && test_cmp want got &&
	wc -l <T2.jsonl >want && stat run2.err table_customer_changes >got && test_cmp want got &&
	wc -l <P.jsonl >want && stat run2.err table_payments_skipped >got && test_cmp want got &&
	wc -l <P2.jsonl >want && stat run2.err table_payments_changes >got && test_cmp want got &&
	stat full.err table_customer_keys >want && stat run2.err table_customer_keys >got &&
	test_cmp want got
'

test_expect_success 'the state file: header, config, positions, one line per row' '
	head -1 st >h &&
	test_grep "^enrich-state 1 config=[0-9a-f]\{16\} saved=[0-9T:.Z-]* tables=2$" h &&
	sed -n 2p st >c &&
	echo "c \"customer:key=customer_id payments:key=customer_id,row-key=transaction_id\"" >want &&
	test_cmp want c &&
	grep "^p \"mysql:crm\" " st >p &&
	test_grep "{\"file\":\"binlog.000004\",\"pos\":1404,\"row\":0,\"snapshot\":\"false\"}$" p &&
	grep "^p \"postgresql:billing:billing\" " st >p &&
	test_line_count = 1 p &&
	# one r line per row: no versions without --as-of
	grep -c "^r " st >n &&
	stat full.err versions >want && test_cmp want n &&
	tail -1 st >e && test_grep "^end $(($(wc -l <st) - 1)) [0-9a-f]\{8\}$" e
'

test_expect_success 'lines at or before the saved position are skipped, later ones applied' '
	enrich "${ARGS[@]}" --state s1 -T customer=T.jsonl -T payments=P.jsonl </dev/null 2>/dev/null &&
	# C000001 again at the last snapshot position with other values: skipped;
	# C000002 one row later in the same event: applied
	jq -c "select(.source.row == 199) | .after.customer_id = \"C000001\" | .after.credit_score = 11" T.jsonl >again &&
	jq -c "select(.source.row == 199) | .source.snapshot = \"false\" | .op = \"u\" | .after.customer_id = \"C000002\" | .after.credit_score = 22" T.jsonl >>again &&
	printf "%s\n" "{\"customer_id\":\"C000001\",\"start_time\":\"2026-11-01T12:00:00Z\"}" \
		"{\"customer_id\":\"C000002\",\"start_time\":\"2026-11-01T12:00:00Z\"}" >ev &&
	enrich "${ARGS[@]}" --state s1 -T customer=again -T payments=P.jsonl <ev >out 2>err &&
	jq -c .customer.credit_score out >got &&
	jq -r "select(.customer_id == \"C000001\") | .credit_score" data/customer.rows >want &&
	echo 22 >>want &&
	test_cmp want got &&
	echo 1 >want && stat err table_customer_skipped >got && test_cmp want got &&
	echo 1 >want && stat err table_customer_changes >got && test_cmp want got &&
	echo 0 >want && stat err rejected >got && test_cmp want got
'

test_expect_success 'a later binlog file counts after a greater pos in an earlier one' '
	enrich "${ARGS[@]}" --state s2 -T customer=T.jsonl -T payments=P.jsonl </dev/null 2>/dev/null &&
	enrich "${ARGS[@]}" --state s2 -T customer=T2a.jsonl -T payments=P.jsonl </dev/null 2>/dev/null &&
	enrich "${ARGS[@]}" --state s2 -T customer=TT2.jsonl -T payments=PP2.jsonl <E2 >out 2>err &&
	test_cmp full.E2 out &&
	cat T.jsonl T2a.jsonl | wc -l >want && stat err table_customer_skipped >got &&
	test_cmp want got
'

test_expect_success 'a later commit counts after a greater LSN of an earlier one' '
	tail -1 P2.jsonl | jq -e ".source.lsn < $(tail -2 P2.jsonl | head -1 | jq .source.lsn)" &&
	head -n -1 PP2.jsonl >P2x.jsonl &&
	enrich "${ARGS[@]}" --state s3 -T customer=TT2.jsonl -T payments=P2x.jsonl </dev/null 2>/dev/null &&
	enrich "${ARGS[@]}" --state s3 -T customer=TT2.jsonl -T payments=PP2.jsonl <E2 >out 2>err &&
	test_cmp full.E2 out &&
	echo 1 >want && stat err table_payments_changes >got && test_cmp want got
'

# kafka.py N: the lines of stdin as consume -m writes them from a topic of
# two partitions keyed by customer (_kafka, offsets per partition); the
# first N lines to k1, all of them to k2, one partition after the other
cat >kafka.py <<'EOF'
import json, sys
n, off, recs = int(sys.argv[1]), [0, 0], []
for l in sys.stdin:
    r = json.loads(l)
    cid = (r["after"] or r["before"])["customer_id"]
    p = int(cid[-1]) % 2
    r["_kafka"] = {"topic": "cdc.crm.customer_profiles", "partition": p,
                   "offset": off[p], "ts": 1, "key": cid}
    off[p] += 1
    recs.append(r)
dump = lambda r: json.dumps(r, separators=(",", ":"), ensure_ascii=False) + "\n"
open("k1", "w").writelines(dump(r) for r in recs[:n])
open("k2", "w").writelines([dump(r) for r in recs if r["_kafka"]["partition"] == 1] +
                           [dump(r) for r in recs if r["_kafka"]["partition"] == 0])
EOF

test_expect_success 'Kafka provenance: offsets per partition, whatever order partitions come in' '
	python3 kafka.py $(cat T.jsonl T2a.jsonl | wc -l) <TT2.jsonl &&
	enrich "${ARGS[@]}" --state s4 -T customer=k1 -T payments=PP2.jsonl </dev/null 2>/dev/null &&
	grep -c "^p \"kafka:cdc.crm.customer_profiles:[01]\" " s4 >n && echo 2 >want && test_cmp want n &&
	enrich "${ARGS[@]}" --state s4 -T customer=k2 -T payments=PP2.jsonl <E2 >out 2>err &&
	enrich "${ARGS[@]}" -T customer=k2 -T payments=PP2.jsonl <E2 >want.out 2>/dev/null &&
	test_cmp want.out out && test_cmp full.E2 out &&
	wc -l <k1 >want && stat err table_customer_skipped >got && test_cmp want got &&
	wc -l <T2b.jsonl >want && stat err table_customer_changes >got && test_cmp want got
'

test_expect_success 'the offset of a partition, out of the state (the example of enrich(1))' '
	S=s4 T=cdc.crm.customer_profiles &&
	off=$(sed -n "s/^p \"kafka:$T:0\" [0-9.]* //p" $S 2>/dev/null | jq .offset) &&
	jq "select(._kafka.partition == 0) | ._kafka.offset" k2 | sort -n | tail -1 >want &&
	echo $((${off:--1} + 1)) >got && echo $(($(cat want) + 1)) >want && test_cmp want got &&
	S=nosuch &&
	off=$(sed -n "s/^p \"kafka:$T:0\" [0-9.]* //p" $S 2>/dev/null | jq .offset) &&
	echo $((${off:--1} + 1)) >got && echo 0 >want && test_cmp want got
'

test_expect_success 'kill -9 between saves: the restart loses no table change' '
	enrich "${ARGS[@]}" --state sk -T customer=T.jsonl -T payments=P.jsonl </dev/null 2>/dev/null &&
	rm -f t.fifo e.fifo k.out && mkfifo t.fifo e.fifo &&
	exec 8<>t.fifo 9<>e.fifo &&
	{ enrich "${ARGS[@]}" --state sk --state-interval 5s -q 200ms -T customer=t.fifo \
		-T payments=PP2.jsonl <e.fifo >k.out 2>k.err 8>&- 9>&- & } && pid=$! &&
	test_atexit "kill -9 $pid" &&
	cat T.jsonl T2a.jsonl >&8 &&
	# the save after the first changes: the state holds the last of them
	last=$(tail -1 T2a.jsonl | jq -c .source.pos) &&
	wait_until 60 "a save with T2a" grep -q "^p \"mysql:crm\" .*\"pos\":$last," sk &&
	cat T2b.jsonl >&8 &&
	# an event after the changes sees the last of them: they are applied
	id=$(tail -1 T2b.jsonl | jq -r .after.customer_id) &&
	echo "{\"customer_id\":\"$id\",\"start_time\":\"2026-11-01T12:00:00Z\"}" >&9 &&
	wait_until 30 "the event" test -s k.out &&
	tail -1 T2b.jsonl | jq .after.credit_score >want &&
	jq .customer.credit_score k.out >got && test_cmp want got &&
	kill -9 $pid && { wait $pid; test $? = 137; } &&
	exec 8>&- 9>&- &&
	# killed before the next save: the state does not hold T2b
	test_must_fail grep -q "binlog.000004" sk &&
	enrich "${ARGS[@]}" --state sk -T customer=TT2.jsonl -T payments=PP2.jsonl <E2 >out 2>err &&
	test_cmp full.E2 out &&
	wc -l <T2b.jsonl >want && stat err table_customer_changes >got && test_cmp want got &&
	cat T.jsonl T2a.jsonl | wc -l >want && stat err table_customer_skipped >got &&
	test_cmp want got
'

for sig in TERM INT; do
	test_expect_success "SIG$sig saves the state; a restart goes on from it" '
		rm -f sg &&
		enrich "${ARGS[@]}" --state sg -T customer=T.jsonl -T payments=P.jsonl </dev/null 2>/dev/null &&
		rm -f g.fifo g.out && mkfifo g.fifo && exec 9<>g.fifo &&
		{ enrich "${ARGS[@]}" --state sg --state-interval 1h -T customer=TT2.jsonl \
			-T payments=PP2.jsonl <g.fifo >g.out 2>g.err 9>&- & } && pid=$! &&
		test_atexit "kill -9 $pid" &&
		head -1 E2 >&9 &&
		wait_until 30 "the event" test -s g.out &&
		test_must_fail grep -q "binlog.000004" sg &&
		kill -'$sig' $pid && wait $pid &&
		exec 9>&- &&
		test_grep "binlog.000004" sg &&
		enrich "${ARGS[@]}" --state sg -T customer=TT2.jsonl -T payments=PP2.jsonl <E2 >out 2>err &&
		test_cmp full.E2 out &&
		echo 0 >want && stat err table_customer_changes >got && test_cmp want got
	'
done

test_expect_success '--as-of: the versions survive a restart, none applied twice' '
	A=(-a start_time "${ARGS[@]}") &&
	enrich "${A[@]}" -T customer=TT2.jsonl -T payments=PP2.jsonl <E12 >afull.out 2>afull.err &&
	enrich "${A[@]}" --state sa -T customer=T.jsonl -T payments=P.jsonl <E1 >/dev/null 2>/dev/null &&
	enrich "${A[@]}" --state sa -T customer=TT2.jsonl -T payments=PP2.jsonl <E2 >out 2>err &&
	tail -n 1500 afull.out >want && test_cmp want out &&
	stat afull.err versions >want && stat err versions >got && test_cmp want got &&
	grep -c "^+ " sa >n && test $(cat n) -gt 0 &&
	# a state with versions is not one without
	test_must_fail --status=78 enrich "${ARGS[@]}" --state sa -T customer=T.jsonl \
		-T payments=P.jsonl </dev/null 2>err &&
	test_grep "other tables or keys" err
'

test_expect_success 'a state made with other tables or keys is refused (78)' '
	cp st st.keep &&
	test_must_fail --status=78 enrich "${ARGS[@]}" --state st -k customer=msisdn \
		-T customer=T.jsonl -T payments=P.jsonl </dev/null >out 2>err &&
	test_grep "^enrich: st: the state was made with other tables or keys (customer:key=customer_id payments:key=customer_id,row-key=transaction_id), not these (customer:key=msisdn payments:key=customer_id,row-key=transaction_id): remove it" err &&
	test_must_fail test -s out &&
	test_must_fail --status=78 enrich --state st -T customer=T.jsonl </dev/null 2>err &&
	test_must_fail --status=78 enrich -s "$FAILED" --state st -T customer=T.jsonl \
		-T payments=P.jsonl </dev/null 2>err &&
	test_grep "rows-by-text" err &&
	test_cmp st.keep st &&
	rm st.keep &&
	# other summaries and picks are not the tables shape
	enrich --row-key payments=transaction_id -s "payments.n=count()" --state st \
		-T customer=T.jsonl -T payments=P.jsonl </dev/null 2>err
'

test_expect_success 'a truncated, damaged or foreign state is an error with its line (65)' '
	n=$(wc -l <st) &&
	head -n $((n - 1)) st >bad &&
	test_must_fail --status=65 enrich "${ARGS[@]}" --state bad -T customer=T.jsonl -T payments=P.jsonl </dev/null 2>err &&
	test_grep "^enrich: bad:$n: truncated: the file ends without its end line$" err &&
	{ head -n 5 st && sed -n 6p st | head -c 20; } >bad &&
	test_must_fail --status=65 enrich "${ARGS[@]}" --state bad -T customer=T.jsonl -T payments=P.jsonl </dev/null 2>err &&
	test_grep "^enrich: bad:6: truncated: the last line has no newline$" err &&
	sed "5s/\"credit_score\":/&9/" st >bad &&
	test_must_fail cmp -s st bad &&
	test_must_fail --status=65 enrich "${ARGS[@]}" --state bad -T customer=T.jsonl -T payments=P.jsonl </dev/null 2>err &&
	test_grep "^enrich: bad:$n: checksum mismatch: the file is damaged$" err &&
	sed "6s/{/[/" st >bad &&
	test_must_fail --status=65 enrich "${ARGS[@]}" --state bad -T customer=T.jsonl -T payments=P.jsonl </dev/null 2>err &&
	test_grep "^enrich: bad:6: the row is not a JSON object$" err &&
	sed "3s/keys=/kees=/" st >bad &&
	test_must_fail --status=65 enrich "${ARGS[@]}" --state bad -T customer=T.jsonl -T payments=P.jsonl </dev/null 2>err &&
	test_grep "^enrich: bad:3: bad table line$" err &&
	sed "3s/keys=[0-9]*/keys=99999999999/" st >bad &&
	test_must_fail --status=65 enrich "${ARGS[@]}" --state bad -T customer=T.jsonl -T payments=P.jsonl </dev/null 2>err &&
	l=$(grep -n "^t \"payments\"" st | cut -d: -f1) &&
	test_grep "^enrich: bad:$l: table customer: 198 keys, 198 rows and 198 versions, not the 99999999999, 198 and 198 its t line says$" err &&
	printf "enrich-state 2 config=0 saved=x tables=1\n" >bad &&
	test_must_fail --status=65 enrich "${ARGS[@]}" --state bad -T customer=T.jsonl -T payments=P.jsonl </dev/null 2>err &&
	test_grep "^enrich: bad:1: state format 2; this enrich reads format 1$" err &&
	cp T.jsonl bad &&
	test_must_fail --status=65 enrich "${ARGS[@]}" --state bad -T customer=T.jsonl -T payments=P.jsonl </dev/null 2>err &&
	test_grep "^enrich: bad:1: not an enrich state file$" err &&
	: >bad &&
	test_must_fail --status=65 enrich "${ARGS[@]}" --state bad -T customer=T.jsonl -T payments=P.jsonl </dev/null 2>err &&
	test_grep "^enrich: bad:1: truncated" err &&
	test_must_fail --status=73 enrich --state nosuch/dir/st -T customer=T.jsonl </dev/null 2>err &&
	test_grep "nosuch/dir/st: cannot write the state beside it" err
'

test_expect_success 'the state is replaced atomically; no temp file is left' '
	ls st* >files &&
	test_must_fail grep "\.tmp\." files
'

# Debezium's encodings of the same rows: DATE as days since 1970-01-01,
# DATETIME as epoch ms (last_updated, created_at), PostgreSQL timestamp as
# microseconds (transaction_date)
cat >dbz.py <<'EOF'
import json, sys
from datetime import datetime, date, timezone
def ms(s):
    return int(datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp() * 1000)
for l in sys.stdin:
    r = json.loads(l)
    if r.get("account_creation_date"):
        r["account_creation_date"] = (date.fromisoformat(r["account_creation_date"]) - date(1970, 1, 1)).days
    if r.get("last_updated"):
        r["last_updated"] = ms(r["last_updated"])
    if r.get("transaction_date"):
        r["transaction_date"] = ms(r["transaction_date"]) * 1000
    if r.get("created_at"):
        r["created_at"] = ms(r["created_at"])
    print(json.dumps(r, separators=(",", ":"), ensure_ascii=False))
EOF

test_expect_success 'Debezium day counts and microseconds give what ISO 8601 dates give' '
	python3 dbz.py <data/customer.rows >cust.dbz &&
	python3 dbz.py <data/payments.rows >pay.dbz &&
	head -1 cust.dbz | jq -e ".account_creation_date | type == \"number\" and . < 100000" &&
	head -1 pay.dbz | jq -e ".transaction_date | type == \"number\" and . > 1e15" &&
	head -1 pay.dbz | jq -e ".created_at | type == \"number\" and . > 1e12 and . < 1e14" &&
	enrich "${ARGS[@]}" -s "$L" -T customer=data/customer.rows -T payments=data/payments.rows <E12 >iso.out 2>/dev/null &&
	enrich "${ARGS[@]}" -s "$L" -T customer=cust.dbz -T payments=pay.dbz <E12 >dbz.out 2>/dev/null &&
	V="[.customer.account_age_days, .payments.failed_30d, .payments.last_status, .payments.last_amount]" &&
	jq -c "$V" iso.out >iso.v &&
	jq -c "$V" dbz.out >dbz.v &&
	test_cmp iso.v dbz.v &&
	jq "select(.payments.last_amount != null)" dbz.out | grep -c cdr_id >n &&
	test $(cat n) -gt 0 &&
	# and both are right: the age computed here, for every event
	python3 -c "
import json
from datetime import datetime, date, timezone
cust = {}
for l in open(\"data/customer.rows\"):
    r = json.loads(l); cust[r[\"customer_id\"]] = r[\"account_creation_date\"]
for l in open(\"E12\"):
    e = json.loads(l)
    t = datetime.strptime(e[\"start_time\"], \"%Y-%m-%dT%H:%M:%SZ\").replace(tzinfo=timezone.utc)
    d = datetime.combine(date.fromisoformat(cust[e[\"customer_id\"]]), datetime.min.time(), timezone.utc)
    print((t - d).days)
" >want.age &&
	jq .customer.account_age_days dbz.out >got.age &&
	test_cmp want.age got.age &&
	# some events see failed payments within 30 days in either encoding
	jq "select(.payments.failed_30d > 0)" dbz.out | grep -c cdr_id >n &&
	test $(cat n) -gt 0
'

test_expect_success 'a restart from --state with Debezium encodings: the same output' '
	enrich "${ARGS[@]}" -s "$L" --state sd -T customer=cust.dbz -T payments=pay.dbz <E1 >/dev/null 2>/dev/null &&
	enrich "${ARGS[@]}" -s "$L" --state sd -T customer=cust.dbz -T payments=pay.dbz <E2 >out 2>err &&
	tail -n 1500 dbz.out >want && test_cmp want out
'

test_done
