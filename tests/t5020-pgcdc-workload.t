#!/bin/bash
test_description='pgcdc2jsonl under a pgbench workload: snapshot with writers, replay, kill -9 into Kafka, one big transaction'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lib-pg.sh"
. "$TEST_DIR/lib-kafka.sh"

DB=billing
# The tables captured. pgbench_history has no primary key: it gets REPLICA
# IDENTITY FULL, and the replayer keeps it as a multiset of whole rows
# (pgbench only ever inserts into it).
TABLES=public.pgbench_accounts,public.pgbench_branches,public.pgbench_tellers,public.pgbench_history,public.payment_transactions,public.customer_behavior
KILLS=6
SQ=\'

# cdc.py: the replayer and the checks, on change records and the database.
#   cdc.py replay [--repeats] OUTDIR FILE...   rebuild the tables from the
#       records into OUTDIR/TABLE, one canonical row per line, sorted.
#       Records must come in (commit, lsn, row) order; without --repeats a
#       position seen twice is an error, with it a repeat must carry the
#       same change and is skipped (at-least-once delivery). An insert of a
#       key already present, an update or delete of an absent key, an
#       update onto another row's key are errors.
#   cdc.py dump OUTDIR        the tables as SELECT shows them, the same way.
#   cdc.py kills REF KAFKA KILLS   the kill -9 checks (see the test).
# Values are normalised on both sides from their type: numbers (JSON
# numbers from row_to_json, exact digits from pgcdc2jsonl) as decimals,
# timestamps through datetime (row_to_json has no zone, pgcdc2jsonl a Z),
# the rest as text.
cat >cdc.py <<'EOF'
import json, os, re, subprocess, sys
from datetime import datetime
from decimal import Decimal

DB = os.environ.get("DB", "billing")
TABLES = os.environ["TABLES"].split(",")

def psql(q):
    return subprocess.run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", DB, "-c", q],
                          check=True, capture_output=True, text=True).stdout

def schema():
    s = {}
    for t in TABLES:
        cols = [l.split("|") for l in psql(
            f"select a.attname, ty.typname from pg_attribute a join pg_type ty "
            f"on ty.oid = a.atttypid where a.attrelid = '{t}'::regclass "
            f"and a.attnum > 0 and not a.attisdropped order by a.attnum").splitlines()]
        keys = psql(f"select a.attname from pg_index i join pg_attribute a on "
                    f"a.attrelid = i.indrelid and a.attnum = any(i.indkey::int2[]) "
                    f"where i.indrelid = '{t}'::regclass and i.indisprimary "
                    f"order by array_position(i.indkey::int2[], a.attnum)").split()
        s[t] = {"cols": [c for c, _ in cols], "types": dict(cols), "keys": keys}
    return s

NUM = ("int2", "int4", "int8", "numeric", "float4", "float8")
def canon(ty, v):
    if v is None:
        return None
    if ty in NUM:
        return format(Decimal(str(v)).normalize(), "f")
    if ty == "timestamp":
        return datetime.fromisoformat(v[:-1] if v.endswith("Z") else v).isoformat()
    if ty == "bool":
        return "t" if v is True else "f" if v is False else v
    return v

def row_text(sc, row):
    return json.dumps([canon(sc["types"][c], row.get(c)) for c in sc["cols"]])

def write_tables(outdir, s, rows_of):
    os.makedirs(outdir, exist_ok=True)
    for t in TABLES:
        with open(os.path.join(outdir, t), "w") as f:
            for line in sorted(rows_of(t)):
                f.write(line + "\n")

def position(rec):
    src = rec["source"]
    seq = json.loads(src["sequence"])
    if src["txId"] is None:
        return (0, 0, int(seq[1]), int(src["row"]))
    return (1, int(seq[0]), int(seq[1]), int(src["row"]))

def records(files):
    for fn in files:
        with open(fn) as f:
            for n, line in enumerate(f, 1):
                yield fn, n, json.loads(line, parse_float=Decimal), line

POS = re.compile(r'"txId":(null|\d+),.*"sequence":"\[(null|\\"\d+\\"),\\"(\d+)\\"\]","row":(\d+)')
def positions(fn):
    """the positions of a file's records, without parsing them whole"""
    out = []
    for line in open(fn):
        m = POS.search(line, line.rfind('"source":{'))
        if m.group(1) == "null":
            out.append((0, 0, int(m.group(3)), int(m.group(4))))
        else:
            out.append((1, int(m.group(2).strip('\\"')), int(m.group(3)), int(m.group(4))))
    return out

def replay(argv):
    repeats = argv[0] == "--repeats"
    if repeats:
        argv = argv[1:]
    outdir, files = argv[0], argv[1:]
    s = schema()
    keyed = {t: {} for t in TABLES}       # key -> row
    multi = {t: {} for t in TABLES}       # row text -> count, for tables without a key
    seen, last, errors = {}, None, []
    ops = {}
    nrep = 0
    def err(where, msg):
        errors.append(f"{where}: {msg}")
    for fn, n, rec, line in records(files):
        where = f"{fn}:{n}"
        src = rec["source"]
        t = src["schema"] + "." + src["table"]
        if t not in s:
            err(where, f"a record of {t}, not captured"); continue
        sc = s[t]
        pos = position(rec)
        # the change itself: before, after and op (ts_ms is when it was written)
        change = line[:line.rfind(',"source":{')] + rec["op"] if repeats else None
        if pos in seen:
            if not repeats:
                err(where, f"position {pos} written twice (first at {seen[pos][0]})")
            elif seen[pos][1] != change:
                err(where, f"position {pos} again with another change")
            nrep += 1
            continue
        seen[pos] = (where, change)
        if last is not None and pos <= last:
            err(where, f"position {pos} after {last}: not in commit order")
        last = pos
        op, before, after = rec["op"], rec["before"], rec["after"]
        ops[op] = ops.get(op, 0) + 1
        if op == "t":
            keyed[t].clear(); multi[t].clear(); continue
        if not sc["keys"]:
            m = multi[t]
            if op in ("u", "d"):
                k = row_text(sc, before)
                if m.get(k, 0) == 0:
                    err(where, f"{op} of a row not present: {k}"); continue
                m[k] -= 1
                if m[k] == 0:
                    del m[k]
            if op in ("r", "c", "u"):
                k = row_text(sc, after)
                m[k] = m.get(k, 0) + 1
            continue
        tab = keyed[t]
        def key(row):
            return tuple(canon(sc["types"][c], row[c]) for c in sc["keys"])
        if op in ("r", "c"):
            k = key(after)
            if k in tab:
                err(where, f"{op} of {t} key {k} already present")
            tab[k] = after
        elif op == "u":
            old = key(before) if before else key(after)
            if old not in tab:
                err(where, f"u of {t} key {old} not present"); continue
            row = dict(tab.pop(old))
            row.update(after)           # columns not sent keep their value
            new = key(row)
            if new in tab:
                err(where, f"u of {t} key {old} onto {new}, already present")
            tab[new] = row
        elif op == "d":
            k = key(before)
            if k not in tab:
                err(where, f"d of {t} key {k} not present"); continue
            del tab[k]
        else:
            err(where, f"unknown op {op}")
    def rows_of(t):
        if s[t]["keys"]:
            return [row_text(s[t], r) for r in keyed[t].values()]
        return [k for k, c in multi[t].items() for _ in range(c)]
    write_tables(outdir, s, rows_of)
    print(f"replayed {len(seen)} records {json.dumps(ops, sort_keys=True)}, {nrep} repeats skipped")
    for e in errors[:30]:
        print(e)
    if errors:
        print(f"{len(errors)} errors")
    return 1 if errors or not seen else 0

def dump(argv):
    outdir = argv[0]
    s = schema()
    def rows_of(t):
        out = psql(f"select row_to_json(x) from {t} x")
        return [row_text(s[t], json.loads(l, parse_float=Decimal)) for l in out.splitlines()]
    write_tables(outdir, s, rows_of)
    return 0

def kills(argv):
    """REF: every change from a slot that saw them all; KAFKA: the topic
    at the end; KILLS: lines of 'N CONFIRMED CKPT TOPIC-THEN' per kill."""
    ref, final, killfile = argv
    fin = set(positions(final))
    snap = {p for p in fin if p[0] == 0}
    points = {p[2] for p in snap}
    if len(points) != 1:
        print(f"snapshot records at {len(points)} consistent points"); return 1
    point = points.pop()
    want = {p for p in positions(ref) if p[0] == 1}
    want = {p for p in want if p[1] >= point}
    got = {p for p in fin if p[0] == 1}
    bad = 0
    if got != want:
        print(f"streamed: {len(want)} changes committed after the snapshot, "
              f"Kafka has {len(got)}; lost {sorted(want - got)[:5]}, "
              f"extra {sorted(got - want)[:5]}")
        bad += 1
    every = sorted(snap | want)
    print(f"{len(snap)} snapshot records, {len(want)} changes, consistent point {point}")
    for line in open(killfile):
        n, confirmed, ck, then = line.split()
        confirmed = int(confirmed)
        have = set(positions(then))
        missing = [p for p in every if p not in have]
        doc = json.load(open(ck))["streams"]
        stream = [v for k, v in doc.items() if k.startswith("postgresql:")]
        if len(stream) != 1:
            print(f"kill {n}: checkpoint streams {list(doc)}"); bad += 1; continue
        c = stream[0]
        seq = json.loads(c["sequence"])
        ckpos = (0, 0, int(seq[1]), c["row"]) if c["txId"] is None else \
            (1, int(seq[0]), int(seq[1]), c["row"])
        # (1) the checkpoint holds only what Kafka has, with all before it
        lost = [p for p in missing if p <= ckpos]
        if lost:
            print(f"kill {n}: checkpoint at {ckpos}, Kafka lacks {lost[:3]}"); bad += 1
        # (2) the slot gives back every change Kafka lacks: a transaction
        # whose commit is below confirmed_flush_lsn is never sent again
        if missing and (missing[0][0] == 0 or missing[0][1] < confirmed):
            print(f"kill {n}: confirmed_flush_lsn {confirmed} passed {missing[0]}, "
                  f"not in Kafka ({len(missing)} missing)"); bad += 1
        # (3) nor past the transaction after the checkpoint's
        nxt = [p[1] for p in every if p > ckpos and p[1] != ckpos[1]]
        if nxt and confirmed > nxt[0]:
            print(f"kill {n}: confirmed_flush_lsn {confirmed} past the commit "
                  f"{nxt[0]} after the checkpoint's transaction {ckpos}"); bad += 1
        print(f"kill {n}: confirmed {confirmed}, checkpoint {ckpos}, "
              f"{len(have)} in Kafka, {len(missing)} still to come")
    return 1 if bad else 0

sys.exit({"replay": replay, "dump": dump, "kills": kills}[sys.argv[1]](sys.argv[2:]))
EOF

# dml.py SEED TXNS PAUSE: randomized DML on the billing tables, as SQL
# for one psql session: multi-row inserts, updates of several columns (to
# NULL too), primary-key changes, deletes of one or many rows,
# transactions of several statements, some rolled back. Its ids stay
# apart from the serials (keys moved up by 10,000,000, or negated). A
# pause of PAUSE/100 s every 10 transactions; TXNS 0: until a file "stop".
cat >dml.py <<'EOF'
import os, random, sys
seed, txns, pause = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(seed)
METHODS = ["card", "bank_transfer", "wallet", "voucher", "direct_debit"]
STATUS = ["completed", "failed", "pending", "refunded", "chargeback"]
SERVICES = ["voice", "data", "sms", "roaming", "streaming", "it's \"quoted\"", "ünïcödé ☎"]
def cust(): return "'C%05d'" % rnd.randrange(2000)
def ts():
    return "'2026-%02d-%02d %02d:%02d:%02d%s'" % (rnd.randint(1, 12), rnd.randint(1, 28),
        rnd.randrange(24), rnd.randrange(60), rnd.randrange(60),
        rnd.choice(["", ".5", ".123456", ".000001"]))
def amount(): return "%d.%02d" % (rnd.randrange(-500, 99999), rnd.randrange(100))
def pay_row():
    return "(%s, %s, %s, '%s', '%s', %s)" % (cust(), ts(), amount(), rnd.choice(METHODS),
        rnd.choice(STATUS), rnd.choice([ts(), "null"]))
def beh_row():
    return "(%s, %s, %s, %s, %s, %s)" % (cust(), rnd.choice([str(rnd.randrange(4000)), "null"]),
        "%d.%02d" % (rnd.randrange(1000), rnd.randrange(100)),
        "$$%s$$" % rnd.choice(SERVICES), ts(), ts())
def stmt():
    k = rnd.randrange(12)
    if k < 3:
        return ("insert into payment_transactions (customer_id, transaction_date, amount, "
                "payment_method, status, created_at) values " +
                ", ".join(pay_row() for _ in range(rnd.randint(1, 6))))
    if k < 5:
        return ("insert into customer_behavior (customer_id, avg_session_duration, "
                "app_usage_hours, favorite_service, last_login, created_at) values " +
                ", ".join(beh_row() for _ in range(rnd.randint(1, 4))))
    if k == 5:
        return ("update payment_transactions set status = '%s', amount = amount + 0.01, "
                "created_at = %s where customer_id = %s" %
                (rnd.choice(STATUS), rnd.choice([ts(), "null"]), cust()))
    if k == 6:
        return ("update customer_behavior set app_usage_hours = %d.%02d, favorite_service = %s, "
                "last_login = now()::timestamp where behavior_id %% 17 = %d" %
                (rnd.randrange(1000), rnd.randrange(100), rnd.choice(["null", "$$tv$$"]),
                 rnd.randrange(17)))
    if k == 7:   # primary keys moved: several rows in one statement
        a = rnd.randrange(1, 9000)
        return ("update payment_transactions set transaction_id = transaction_id + 10000000 "
                "where transaction_id between %d and %d" % (a, a + rnd.randrange(4)))
    if k == 8:
        return ("update customer_behavior set behavior_id = -behavior_id, avg_session_duration = "
                "coalesce(avg_session_duration, 0) + 1 where behavior_id = "
                "(select max(behavior_id) from customer_behavior where behavior_id %% 5 = %d)" %
                rnd.randrange(5))
    if k == 9:
        return "delete from payment_transactions where customer_id = %s" % cust()
    if k == 10:
        a = rnd.randrange(1, 9000)
        return "delete from customer_behavior where abs(behavior_id) between %d and %d" % (a, a + 3)
    return ("update payment_transactions set payment_method = 'card' where transaction_id in "
            "(select transaction_id from payment_transactions order by transaction_id desc limit %d)"
            % rnd.randint(1, 5))
print("\\set ON_ERROR_STOP 1")
i = 0
while i < txns or (txns == 0 and not os.path.exists("stop")):
    n = rnd.randint(1, 4)
    if n == 1:
        print(stmt() + ";")
    else:
        print("begin;")
        for _ in range(n):
            print(stmt() + ";")
        print("rollback;" if rnd.randrange(6) == 0 else "commit;")
    if pause and i % 10 == 9:
        print("select pg_sleep(%g);" % (pause / 100.0), flush=True)
    i += 1
EOF

slot_col() { # SLOT COLUMN
	pg_q $DB "select $2 from pg_replication_slots where slot_name = $SQ$1$SQ"
}
confirmed() { pg_q $DB "select confirmed_flush_lsn - ${SQ}0/0${SQ}::pg_lsn from pg_replication_slots where slot_name = $SQ$1$SQ"; }
slot_inactive() { [ "$(slot_col "$1" active)" = f ]; }
slot_caught_up() { # SLOT LSN: confirmed at or past LSN
	[ "$(pg_q $DB "select confirmed_flush_lsn >= $SQ$2$SQ from pg_replication_slots where slot_name = $SQ$1$SQ")" = t ]
}
history_over() { [ "$(pg_q $DB "select count(*) from pgbench_history")" -gt "$1" ]; }
gone() { ! kill -0 "$1" 2>/dev/null; }
dml() { # SEED TXNS PAUSE: run dml.py's statements in one session
	python3 dml.py "$1" "$2" "$3" | psql -X -q -d $DB >/dev/null
}
compare() { # DIR: every table of DIR as SELECT shows it now
	rm -rf want && python3 cdc.py dump want &&
	for t in $(echo "$TABLES" | tr , " "); do
		test_cmp "want/$t" "$1/$t" || return 1
	done
}
export DB TABLES

test_expect_success 'PostgreSQL 15, pgbench tables and the billing tables' '
	pg_start &&
	pg -c "create database $DB" &&
	pgbench -i -s 1 -q $DB >init.log 2>&1 &&
	pg -d $DB -c "alter table pgbench_history replica identity full" &&
	pg -d $DB -c "create table payment_transactions (transaction_id serial primary key,
		customer_id varchar(50), transaction_date timestamp, amount decimal(10,2),
		payment_method varchar(50), status varchar(20), created_at timestamp)" &&
	pg -d $DB -c "create table customer_behavior (behavior_id serial primary key,
		customer_id varchar(50), avg_session_duration int, app_usage_hours decimal(5,2),
		favorite_service varchar(100), last_login timestamp, created_at timestamp)" &&
	dml 1 400 0 &&
	test "$(pg_q $DB "select count(*) > 500 from payment_transactions")" = t &&
	test "$(pg_q $DB "select count(*) from pgbench_accounts")" = 100000
'

# pgbench and our DML run while the slot is created and the tables are read;
# the first pgcdc2jsonl streams on after its snapshot, is stopped once it has
# everything, more DML comes, a second one (-e) takes the rest.
test_expect_success 'snapshot while pgbench and DML write; streamed on; then -e' '
	{ pgbench -c 4 -j 2 -t 750 -R 500 -n $DB >bench1.log 2>&1 & } && bpid=$! &&
	{ dml 2 600 5 & } && dpid=$! &&
	wait_until 30 "pgbench under way" history_over 200 &&
	{ pgcdc2jsonl -d dbname=$DB -s w1 -t "$TABLES" --create --status-interval 100ms \
		>a.jsonl 2>a.err & } && apid=$! &&
	wait_until 60 "the snapshot" grep -q "snapshot:" a.err &&
	wait $bpid && wait $dpid &&
	test_grep "number of transactions actually processed: 3000/3000" bench1.log &&
	end=$(pg_q $DB "select pg_current_wal_lsn()") &&
	wait_until 60 "w1 confirmed up to $end" slot_caught_up w1 "$end" &&
	kill -TERM $apid && wait $apid &&
	dml 3 150 0 &&
	pgcdc2jsonl -d dbname=$DB -s w1 -e >b.jsonl 2>b.err &&
	say "snapshot $(grep -c "\"op\":\"r\"" a.jsonl) rows, then $(grep -vc "\"op\":\"r\"" a.jsonl) + $(wc -l <b.jsonl) changes" &&
	# the snapshot was taken in the middle of the workload: pgbench_history
	# rows read by it, and inserted after its consistent point
	test "$(grep -c "\"table\":\"pgbench_history\".*\"op\":\"r\"" a.jsonl)" -gt 0 &&
	test "$(grep -c "\"table\":\"pgbench_history\".*\"op\":\"c\"" a.jsonl)" -gt 0 &&
	test -s b.jsonl
'

test_expect_success 'replaying snapshot and changes rebuilds every table as SELECT shows it' '
	python3 cdc.py replay got a.jsonl b.jsonl >replay.out &&
	cat replay.out &&
	compare got
'

test_expect_success 'no change lost, none twice: positions in commit order, keys consistent' '
	# the replay above fails on a repeated position (sequence, row), on
	# records out of commit order and on an insert of a present key: it
	# sees each of them
	head -n 1000 a.jsonl >head.jsonl &&
	sed -n 999p a.jsonl >dup.jsonl &&
	test_must_fail python3 cdc.py replay bad head.jsonl dup.jsonl >bad.out &&
	test_grep "written twice" bad.out &&
	# an insert of a key present, at a position of its own past the end
	sed -n 5p a.jsonl | jq -c ".op = \"c\" | .source.txId = 1 |
		.source.sequence = \"[\\\"99999999999\\\",\\\"1\\\"]\"" >ins.jsonl &&
	test_must_fail python3 cdc.py replay bad head.jsonl ins.jsonl >bad.out &&
	test_grep "already present" bad.out &&
	# records out of order
	sed -n 999p a.jsonl >ooo.jsonl && sed -n 998p a.jsonl >>ooo.jsonl &&
	test_must_fail python3 cdc.py replay bad ooo.jsonl >bad.out &&
	test_grep "not in commit order" bad.out &&
	# one change left out: a table differs from SELECT
	sed "\$d" b.jsonl >lost.jsonl &&
	{ python3 cdc.py replay bad a.jsonl lost.jsonl >bad.out || :; } &&
	! compare bad 2>/dev/null &&
	# primary-key updates and rolled-back transactions were in the workload
	test "$(cat a.jsonl b.jsonl | grep "^{\"before\":{\"transaction_id\":[0-9]*}," | grep -c "\"op\":\"u\"")" -gt 0 &&
	test "$(pg_q $DB "select count(*) from customer_behavior where behavior_id < 0")" -gt 0 &&
	test "$(pg_q $DB "select count(*) from payment_transactions where transaction_id > 10000000")" -gt 0
'

# The CDC leg, pgcdc2jsonl --ack-from F | produce --checkpoint F, into one
# topic of one partition. produce keeps in F the position of the last
# record the broker acknowledged with all before it; pgcdc2jsonl confirms
# a transaction (its commit's end) to the server only once F's position
# has reached the transaction's last record, and sends the confirmation at
# its status interval (100ms here).
leg_start() { # RUN
	rm -f leg.fifo && mkfifo leg.fifo &&
	{ produce -b "$KAFKA_BROKERS" -t "$TOPIC" --checkpoint leg.ckpt \
		--checkpoint-interval 100 <leg.fifo 2>>"produce.$1.err" & } &&
	ppid=$! &&
	{ pgcdc2jsonl -d dbname=$DB -s k1 -t "$TABLES" --create --ack-from leg.ckpt \
		--status-interval 100ms >leg.fifo 2>>"pgcdc.$1.err" & } &&
	cpid=$!
}
cpid="" ppid=""
test_atexit '[ -z "$cpid$ppid" ] || kill -9 $cpid $ppid'
ckpt_streaming() { # the checkpoint is past the snapshot's last record
	jq -e ".streams[] | select(.snapshot == \"last\" or .snapshot == \"false\")" leg.ckpt
}
ckpt_moved() { # PREV: the checkpoint holds another position than PREV
	jq -c .streams leg.ckpt >ckpt.now && ! cmp -s ckpt.now "$1"
}

test_expect_success 'a Kafka broker and the topic of the CDC leg' '
	kafka_use &&
	TOPIC=$(unique cdc) &&
	kafka_topic "$TOPIC" 1
'

# kill_runs WRITER-PID...: the runs of the leg, each killed; stops at the
# first failure
kill_runs() {
	: >kills && : >ckpt.prev && i=0 || return 1
	while [ $i -lt $KILLS ]; do
		leg_start $i || return 1
		if [ $i = 0 ]; then
			wait_until 120 "the snapshot in Kafka" ckpt_streaming || return 1
		else
			wait_until 60 "run $i to make progress" ckpt_moved ckpt.prev || return 1
		fi
		# a random moment to kill at (not a wait for anything)
		sleep "0.$((RANDOM % 8))$((RANDOM % 10))"
		w=writing
		for _w; do kill -0 "$_w" 2>/dev/null || w=stopped; done
		case $((i % 3)) in
		0) kill -9 $cpid $ppid ;;
		1) kill -9 $ppid && wait_until 30 "pgcdc2jsonl to die of SIGPIPE" gone $cpid ;;
		2) kill -9 $cpid && wait_until 60 "produce to drain and exit" gone $ppid ;;
		esac || return 1
		wait $cpid; cst=$?
		wait $ppid; pst=$?
		echo "run $i: pgcdc2jsonl $cst, produce $pst, writers $w" >>kills
		case $((i % 3)) in
		0) [ $cst = 137 ] && [ $pst = 137 ] ;;
		1) [ $pst = 137 ] && [ $cst = 141 ] ;;
		2) [ $cst = 137 ] && [ $pst = 0 ] ;;
		esac || { cat kills; return 1; }
		wait_until 30 "slot k1 inactive" slot_inactive k1 || return 1
		c=$(confirmed k1) && cp leg.ckpt "ckpt.$i" &&
		jq -c .streams leg.ckpt >ckpt.prev &&
		consume -b "$KAFKA_BROKERS" -t "$TOPIC" -e >"topic.$i" || return 1
		echo "$i $c ckpt.$i topic.$i" >>kill.tsv
		i=$((i + 1))
	done
}

# Each run is killed (-9) at a random moment after it made progress: both
# programs, produce alone (pgcdc2jsonl then dies of SIGPIPE), or
# pgcdc2jsonl alone (produce then drains and exits). After each kill, with
# the slot inactive, confirmed_flush_lsn, the checkpoint and what the topic
# holds are kept for the checks below.
test_expect_success "kill -9 of the CDC leg $KILLS times while pgbench and DML write" '
	rm -f stop &&
	{ while [ ! -f stop ]; do
		pgbench -c 2 -j 2 -T 2 -R 150 -n $DB >>bench2.log 2>&1 || exit 1
	  done & } && bpid=$! &&
	{ dml 4 0 15 & } && dpid=$! &&
	test_atexit "touch $TRASH/stop" &&
	kill_runs $bpid $dpid; st=$?
	# the writers are stopped whatever happened
	touch stop && wait $bpid && wait $dpid &&
	test $st = 0 &&
	cat kills &&
	test "$(grep -c "writers writing" kills)" = $KILLS &&
	say "confirmed_flush_lsn after each kill: $(cut -d" " -f2 kill.tsv | tr "\n" " ")" &&
	# the confirmed position moved while the leg was killed and restarted
	test "$(cut -d" " -f2 kill.tsv | sort -u | wc -l)" -ge 2
'

test_expect_success 'the leg run to the end: every change is in Kafka (repeats allowed)' '
	{ produce -b "$KAFKA_BROKERS" -t "$TOPIC" --checkpoint leg.ckpt \
		<leg.fifo 2>>produce.end.err & } &&
	ppid=$! &&
	pgcdc2jsonl -d dbname=$DB -s k1 -t "$TABLES" --ack-from leg.ckpt -e >leg.fifo 2>>pgcdc.end.err &&
	wait $ppid &&
	consume -b "$KAFKA_BROKERS" -t "$TOPIC" -e >topic.end &&
	python3 cdc.py replay --repeats kgot topic.end >kreplay.out &&
	cat kreplay.out &&
	compare kgot
'

test_expect_success 'after every kill, confirmed_flush_lsn had not passed what Kafka held' '
	pgcdc2jsonl -d dbname=$DB -s w1 -e >c.jsonl 2>c.err &&
	# the reference: every change since the first snapshot, in one slot
	python3 cdc.py replay got a.jsonl b.jsonl c.jsonl &&
	compare got &&
	python3 cdc.py kills c.jsonl topic.end kill.tsv >kills.out &&
	cat kills.out &&
	test "$(grep -c "^kill [0-9]*: confirmed" kills.out)" = $KILLS &&
	# and the check sees a slot confirmed too far
	awk "NR == 2 { \$2 = \$2 + 100000000 } { print }" kill.tsv >kill.bad &&
	test_must_fail python3 cdc.py kills c.jsonl topic.end kill.bad >kills.bad &&
	test_grep "passed" kills.bad
'

# One transaction of a million rows: pgoutput sends it at its commit and
# pgcdc2jsonl writes it row by row, so its memory stays flat.
asan() {
	ldd "$TOP/bin/pgcdc2jsonl" 2>/dev/null | grep -q libasan ||
	nm "$TOP/bin/pgcdc2jsonl" 2>/dev/null | grep -q __asan_init
}
test_expect_success 'a transaction of 1,000,000 rows streams through' '
	pg -d $DB -c "create table million (id int primary key, n int, s text)" &&
	pgcdc2jsonl -d dbname=$DB -s m1 -t public.million --create --snapshot never -e 2>m.err &&
	pg -d $DB -c "insert into million select g, g % 977, md5(g::text) from generate_series(1, 1000000) g" &&
	{ /usr/bin/time -v -o m.time pgcdc2jsonl -d dbname=$DB -s m1 -e 2>>m.err
	  echo $? >m.status; } |
		awk "/\"op\":\"c\"/ { c++ } END { print NR, c }" >m.count &&
	test "$(cat m.status)" = 0 &&
	echo "1000000 1000000" >m.want && test_cmp m.want m.count &&
	rss=$(sed -n "s/.*Maximum resident set size (kbytes): //p" m.time) &&
	say "pgcdc2jsonl peak RSS ${rss} kB for 1,000,000 rows" &&
	test -n "$rss"
'
if asan; then
	# lib.sh has no skip for one test: the TAP line, counted as lib.sh does
	test_count=$((test_count + 1))
	printf 'ok %d - peak RSS under 30 MB # SKIP built with AddressSanitizer\n' "$test_count"
else
	test_expect_success 'peak RSS under 30 MB' '
		test "$rss" -lt 30720
	'
fi

# A run killed while its snapshot is read: the slot survives, its
# exported snapshot does not, and downstream has only part of the rows.
# The next run sees in --ack-from that the snapshot never completed and
# takes a new slot and snapshot (Debezium's initial mode), so every row
# reaches Kafka.
topic_count() { kafka-admin -b "$KAFKA_BROKERS" offsets "$1" | awk '{ n += $3 - $2 } END { print n + 0 }'; }
snap_acked() { jq -e ".streams[] | select(.snapshot == \"true\")" sk.ckpt >/dev/null 2>&1; }
test_expect_success 'kill -9 during the snapshot: the next run takes it again, no row lost' '
	pg -d $DB -c "create table snapk (id int primary key, s text)" &&
	pg -d $DB -c "insert into snapk select g, md5(g::text) from generate_series(1, 500000) g" &&
	TOPIC2=$(unique snapk) && kafka_topic "$TOPIC2" 1 &&
	rm -f sk.fifo && mkfifo sk.fifo &&
	{ produce -b "$KAFKA_BROKERS" -t "$TOPIC2" --checkpoint sk.ckpt \
		--checkpoint-interval 100 <sk.fifo 2>sk.produce1.err & } &&
	ppid=$! &&
	{ pgcdc2jsonl -d dbname=$DB -s snapk -t public.snapk --create --ack-from sk.ckpt \
		--status-interval 100ms >sk.fifo 2>sk.pgcdc1.err & } &&
	cpid=$! &&
	wait_until 120 "part of the snapshot acknowledged" snap_acked &&
	kill -9 $cpid $ppid && { wait $cpid $ppid; true; } && cpid="" ppid="" &&
	snap_acked &&
	test "$(slot_col snapk slot_name)" = snapk &&
	before=$(topic_count "$TOPIC2") && say "killed with $before of 500000 rows in Kafka" &&
	test "$before" -lt 500000 &&
	pgcdc2jsonl -d dbname=$DB -s snapk -t public.snapk --ack-from sk.ckpt -e 2>sk.pgcdc2.err |
		produce -b "$KAFKA_BROKERS" -t "$TOPIC2" --checkpoint sk.ckpt 2>sk.produce2.err &&
	test_grep "did not complete downstream" sk.pgcdc2.err &&
	consume -b "$KAFKA_BROKERS" -t "$TOPIC2" -e 2>/dev/null |
		jq -r "select(.op == \"r\") | .after.id" | sort -u | wc -l >sk.ids &&
	echo 500000 >sk.want && test_cmp sk.want sk.ids &&
	jq -e ".streams[] | select(.snapshot == \"last\" or .snapshot == \"false\")" sk.ckpt >/dev/null
'

test_done
