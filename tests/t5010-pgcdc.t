#!/bin/bash
test_description='pgcdc2jsonl on a real PostgreSQL 15: types, operations, options, failures'
. "$(dirname "$0")/lib.sh"

# A PostgreSQL of our own in the scratch folder (tests/lib-pg.sh was not
# there yet when this was written: this is the small wrapper it replaces).
pgcdc_pg_start() {
	PGBIN=/usr/lib/postgresql/15/bin
	PGDATA_DIR=$TRASH/pg
	mkdir -p "$PGDATA_DIR" && chown postgres "$PGDATA_DIR" || return 1
	PGPORT=$(free_port)
	runuser -u postgres -- "$PGBIN/initdb" -D "$PGDATA_DIR/data" -A trust \
		-U postgres >"$PGDATA_DIR/initdb.log" 2>&1 || return 1
	runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA_DIR/data" \
		-l "$PGDATA_DIR/pg.log" -o "-p $PGPORT -k $PGDATA_DIR \
		-c listen_addresses=127.0.0.1 -c wal_level=logical \
		-c max_replication_slots=20 -c max_wal_senders=20 \
		-c wal_sender_timeout=10s" start >/dev/null 2>&1 || {
		cat "$PGDATA_DIR/pg.log" >&2; return 1; }
	test_atexit "runuser -u postgres -- $PGBIN/pg_ctl -D $PGDATA_DIR/data -m immediate stop"
	PGHOST=127.0.0.1 PGUSER=postgres PGDATABASE=postgres
	export PGHOST PGPORT PGUSER PGDATABASE
	wait_until 30 "PostgreSQL on $PGPORT" "$PGBIN/pg_isready" -q
}
q() { psql -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
qa() { psql -X -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
DB=tt

# oracle.py TABLE CDC.jsonl ORACLE.json OP WHICH: every record of op OP in
# CDC.jsonl for TABLE has its WHICH image (before/after) equal to the row of
# the same id in ORACLE.json (the database's per-column text, from oracle_dump;
# filter records with grep, not jq: jq's numbers are doubles),
# once our documented encodings are mapped back to PostgreSQL's text.
cat >oracle.py <<'EOF'
import base64, json, sys, re
from decimal import Decimal
table, cdc, oracle, op, which = sys.argv[1:6]
doc = json.load(open(oracle))
types, rows = doc["types"], {r["id"]: r for r in doc["rows"]}
NUM = ("int2", "int4", "int8", "oid", "float4", "float8")
def norm(t, v):
    """our documented encoding back to PostgreSQL's text"""
    if v is None: return None
    if t.startswith("_"):
        out = []
        def flat(x):
            for e in x:
                if isinstance(e, list): flat(e)
                else: out.append(norm(t[1:], e))
        flat(v); return out
    if t in ("json", "jsonb"): return v
    if t == "bool": return "t" if v else "f"
    if t == "bytea": return "\\x" + base64.b64decode(v).hex()
    if t == "numeric": return v if isinstance(v, str) else format(v, "f")
    if t in NUM or t == "money": return v
    if t == "timestamp": return v.replace("T", " ")[:-1] if "T" in v else v
    if t == "timestamptz":
        if "T" not in v: return v
        v = v.replace("T", " ")
        return v[:-1] + "+00" if v.endswith("Z") else re.sub(r":00$", "", v)
    if t == "timetz":
        return v[:-1] + "+00" if v.endswith("Z") else re.sub(r"([+-]\d\d):00$", r"\1", v)
    return v
def pgnorm(t, v):
    """the database's text, made comparable"""
    if v is None: return None
    if t.startswith("_"): return [pgnorm(t[1:], e) for e in v]
    if t in ("json", "jsonb"): return json.loads(v, parse_float=Decimal, parse_int=Decimal)
    if t == "money": return Decimal(v.replace("$", "").replace(",", ""))
    if t in NUM and v not in ("NaN", "Infinity", "-Infinity"): return Decimal(v)
    return v
n = bad = 0
for line in open(cdc):
    rec = json.loads(line, parse_float=Decimal, parse_int=Decimal)
    if rec.get("op") != op or rec["source"]["table"] != table: continue
    img = rec[which]
    rid = int(img["id"])
    want = rows[rid]
    n += 1
    for col, t in types.items():
        if col == "id": continue
        if col not in img:
            print("missing column", col, "in", rid); bad += 1; continue
        got, exp = norm(t, img[col]), pgnorm(t, want[col])
        if got != exp:
            print(f"{op} {which} id={rid} {col} ({t}): got {got!r} want {exp!r}"); bad += 1
print(f"{n} records compared, {bad} differences")
sys.exit(1 if bad or n == 0 else 0)
EOF

# oracle_dump TABLE: the rows as the database prints each column, plus types
oracle_dump() {
	qa -c "select json_build_object('types', (select json_object_agg(a.attname,
		case when t.typtype = 'd' then bt.typname when t.typtype = 'e' then 'text'
		when et.typtype = 'd' then '_' || ebt.typname
		when et.typtype = 'e' then '_text' else t.typname end)
		from pg_attribute a join pg_type t on t.oid = a.atttypid
		left join pg_type bt on bt.oid = t.typbasetype
		left join pg_type et on et.oid = t.typelem and t.typcategory = 'A'
		left join pg_type ebt on ebt.oid = et.typbasetype
		where a.attrelid = '$1'::regclass and a.attnum > 0 and not a.attisdropped),
		'rows', (select json_agg(r) from (select * from $1 order by id) x,
		lateral (select json_object_agg(key, case
			when json_typeof(value) = 'null' then null
			else to_json(value #>> '{}') end) r
			from json_each(row_to_json(x))) rr))" >"$1.raw" &&
	python3 - "$1" <<'EOF'
import json, subprocess, sys
# row_to_json renders values in JSON, not as text: ask for each column's text
t = sys.argv[1]
doc = json.load(open(t + ".raw"))
cols = list(doc["types"].keys())
sel = ", ".join(
    f"case when {c} is null then null else coalesce((select json_agg(case when e is null "
    f"then null else concat(e) end) from unnest({c}) e), '[]') end" if doc["types"][c].startswith("_")
    else f"case when {c} is null then null else concat({c}) end" for c in cols)
q = f"select json_agg(json_build_array({sel})) from (select * from {t} order by id) x"
out = subprocess.run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", "tt", "-c", q],
                     check=True, capture_output=True, text=True).stdout
rows = []
for r in json.loads(out) or []:
    d = dict(zip(cols, r)); d["id"] = int(d["id"]); rows.append(d)
json.dump({"types": doc["types"], "rows": rows}, open(t + ".json", "w"))
EOF
}

cat >create.sql <<'EOF'
create type mood as enum ($$sad$$, $$ok$$, $$happy$$);
create domain posint as integer check (value > 0);
create domain shorttext as varchar(20);
create table torture (
	id int primary key, i2 int2, i4 int4, i8 int8, num numeric, num2 numeric(12,4),
	f4 float4, f8 float8, b bool, t text, vc varchar(30), c char(5), nm name,
	ba bytea, d date, tm time, ttz timetz, ts timestamp, tstz timestamptz,
	iv interval, u uuid, j json, jb jsonb, ai int4[], at text[], ats timestamp[],
	an numeric[], ab bool[], a2 int[][], e mood, ae mood[], dom posint, dtx shorttext,
	ip inet, cid cidr, mac macaddr, m money, o oid, bits bit(4), vb varbit);
alter table torture replica identity full;
EOF
cat >rows1.sql <<'EOF'
insert into torture values
(1, -32768, -2147483648, -9223372036854775808, $$NaN$$, 0.0001, $$NaN$$, $$Infinity$$, true,
 E'quote " back \\ nl \n tab \t uni é ☎ 🚀 ctl \x01', $$varchar$$, $$ab$$, $$name$$,
 $$\x00ff10$$, $$2026-11-01$$, $$00:00:00$$, $$08:15:02+02$$, $$2026-11-01 08:15:02.123456$$,
 $$2026-11-01 08:15:02+02$$, $$1 year 2 months 3 days 04:05:06.5$$,
 $$a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11$$, E'{\n "a": [1, 2, {"b": null}], "s": "x\\ny"}',
 $${"k": [true, 1.5e300, "\\u00e9"]}$$, $${1,NULL,3}$$, $${"a b","c,d","e\"f",NULL,"NULL",""}$$,
 $${"2026-11-01 08:15:02","infinity"}$$, $${1.5,NaN,-0.001}$$, $${t,f,NULL}$$, $${{1,2},{3,4}}$$,
 $$happy$$, $${sad,ok}$$, 7, $$dom text$$, $$192.168.0.1/24$$, $$10.0.0.0/8$$, $$08:00:2b:01:02:03$$,
 -1234.56, 4294967295, B'1010', B'101'),
(2, 32767, 2147483647, 9223372036854775807, -123456789012345678901234567890.123456789, -99999999.9999,
 $$-Infinity$$, 5e-324, false, $$$$, $$$$, $$abcde$$, $$$$, $$\x$$, $$infinity$$, $$23:59:59.999999$$,
 $$08:15:02.5-05:30$$, $$infinity$$, $$-infinity$$, $$-1 days$$, $$00000000-0000-0000-0000-000000000000$$,
 $$[]$$, $${}$$, $${}$$, $${}$$, $${}$$, $${}$$, $${}$$, $${}$$, $$sad$$, $${}$$, 1, $$$$, $$::1$$,
 $$2001:db8::/32$$, $$ff:ff:ff:ff:ff:ff$$, 0, 0, B'0000', B''),
(3, 0, 0, 0, 0, 0, 1.5, 1e308, null, null, null, null, null, null, $$0044-03-15 BC$$,
 $$24:00:00$$, $$00:00:00+14$$, $$1999-12-31 23:59:59$$, $$1970-01-01 00:00:00+00$$, $$0$$,
 null, $$null$$, $$"str"$$, null, null, null, null, null, null, null, null, null, null,
 null, null, null, null, null, null, null),
(4, null, null, null, $$1e-20$$, null, $$-0$$, $$-0$$, null, $$ $$, null, null, null, null,
 $$-infinity$$, null, null, $$-infinity$$, $$infinity$$, null, null, null, $$123$$,
 null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
EOF

test_expect_success 'start PostgreSQL 15 with wal_level=logical' '
	pgcdc_pg_start &&
	PGOPTIONS="-c datestyle=ISO -c timezone=UTC -c intervalstyle=iso_8601 -c bytea_output=hex -c lc_monetary=C" &&
	export PGOPTIONS &&
	psql -X -q -c "create database tt"
'

test_expect_success 'a type-torture table with edge values' '
	q -f create.sql &&
	q -f rows1.sql &&
	test "$(qa -c "select count(*) from torture")" = 4
'

test_expect_success 'snapshot: every value read equals what SELECT returns' '
	pgcdc2jsonl -d dbname=tt -s tort --create -t public.torture -e >snap.jsonl 2>err &&
	test_grep "created slot tort" err &&
	test_grep "created publication tort" err &&
	test_line_count = 4 snap.jsonl &&
	oracle_dump torture && cp torture.json o1.json &&
	python3 oracle.py torture snap.jsonl o1.json r after &&
	test "$(jq -r .source.snapshot snap.jsonl | tr "\n" " ")" = "true true true last "
'

test_expect_success 'insert, update and delete decode to what SELECT returns' '
	q -c "delete from torture" && q -f rows1.sql &&
	oracle_dump torture && cp torture.json o0.json &&
	q -c "update torture set id = id + 10 where id > 0" &&
	oracle_dump torture && cp torture.json o1.json &&
	q -c "update torture set i2 = 5, t = t || \$\$+\$\$, d = \$\$2000-02-29\$\$, j = \$\${\"x\":1}\$\$, ai = \$\${9}\$\$, m = 3" &&
	oracle_dump torture && cp torture.json o2.json &&
	q -c "delete from torture" &&
	pgcdc2jsonl -d dbname=tt -s tort -e >chg.jsonl &&
	test "$(jq -r .op chg.jsonl | sort | uniq -c | tr -s " " | tr "\n" ";")" = " 4 c; 8 d; 8 u;" &&
	python3 oracle.py torture chg.jsonl o0.json c after &&
	grep "\"after\":{\"id\":1[1-4],\"i2\":5," chg.jsonl >u2.jsonl &&
	test_line_count = 4 u2.jsonl &&
	python3 oracle.py torture u2.jsonl o2.json u after &&
	python3 oracle.py torture u2.jsonl o1.json u before &&
	grep "\"before\":{\"id\":1[1-4],.*\"after\":null" chg.jsonl >d2.jsonl &&
	test_line_count = 4 d2.jsonl &&
	python3 oracle.py torture d2.jsonl o2.json d before
'

test_expect_success 'the documented default encodings' '
	q -f rows1.sql &&
	pgcdc2jsonl -d dbname=tt -s tort -e >def.jsonl &&
	jq -c "select(.after.id == 1) | .after | [.num, .f4, .f8, .ba, .ttz, .ts, .tstz, .iv, .j.a, .ai, .m, .dom, .e]" def.jsonl >got &&
	cat >want <<-\EOF &&
	["NaN","NaN","Infinity","AP8Q","08:15:02+02:00","2026-11-01T08:15:02.123456Z","2026-11-01T06:15:02Z","P1Y2M3DT4H5M6.5S",[1,2,{"b":null}],[1,null,3],-1234.56,7,"happy"]
	EOF
	test_cmp want got &&
	grep "\"id\":2," def.jsonl | grep -q "\"num\":-123456789012345678901234567890.123456789,"
'

test_expect_success '--compat debezium: Debezium encodings and field order' '
	q -c "update torture set i4 = 1 where id = 1" &&
	pgcdc2jsonl -d dbname=tt -s tort -e --compat debezium >dbz.jsonl &&
	jq -c ".after | [.num2, .d, .tm, .ttz, .ts, .tstz, .j, .m]" dbz.jsonl >got &&
	cat >want <<-\EOF &&
	["0.0001",20758,0,"06:15:02Z",1793520902123456,"2026-11-01T06:15:02Z","{\n \"a\": [1, 2, {\"b\": null}], \"s\": \"x\\ny\"}","-1234.56"]
	EOF
	test_cmp want got &&
	jq -r ".source | keys_unsorted | join(\",\")" dbz.jsonl >got &&
	echo version,connector,name,ts_ms,snapshot,db,sequence,schema,table,txId,lsn,xmin,row >want &&
	test_cmp want got
'

test_expect_success 'REPLICA IDENTITY DEFAULT: no before on update, the key alone on delete' '
	q -c "create table rid (id int primary key, a text, b int)" &&
	q -c "alter publication tort add table rid" &&
	q -c "insert into rid values (1, \$\$x\$\$, 1), (2, \$\$y\$\$, 2)" &&
	q -c "update rid set a = \$\$z\$\$ where id = 1" &&
	q -c "update rid set id = 3 where id = 2" &&
	q -c "delete from rid where id = 1" &&
	pgcdc2jsonl -d dbname=tt -s tort -e -t public.rid >rid.jsonl &&
	jq -c "[.op, .before, .after]" rid.jsonl >got &&
	cat >want <<-\EOF &&
	["c",null,{"id":1,"a":"x","b":1}]
	["c",null,{"id":2,"a":"y","b":2}]
	["u",null,{"id":1,"a":"z","b":1}]
	["u",{"id":2},{"id":3,"a":"y","b":2}]
	["d",{"id":1},null]
	EOF
	test_cmp want got &&
	q -c "delete from rid where id = 3" &&
	pgcdc2jsonl -d dbname=tt -s tort -e --compat debezium >ridd.jsonl &&
	jq -c ".before" ridd.jsonl >got &&
	echo "{\"id\":3,\"a\":null,\"b\":null}" >want &&
	test_cmp want got
'

test_expect_success 'an unchanged TOASTed value is never invented' '
	q -c "create table big (id int primary key, doc text, n int)" &&
	q -c "alter table big alter doc set storage external" &&
	q -c "alter publication tort add table big" &&
	q -c "insert into big select 1, string_agg(md5(i::text), \$\$\$\$), 0 from generate_series(1, 400) i" &&
	q -c "update big set n = 1" &&
	pgcdc2jsonl -d dbname=tt -s tort -e -t public.big >toast.jsonl &&
	test "$(jq -r "select(.op == \"u\") | .after | has(\"doc\")" toast.jsonl)" = false &&
	test "$(jq -r "select(.op == \"c\") | .after.doc | length" toast.jsonl)" = 12800 &&
	q -c "update big set n = 2" &&
	pgcdc2jsonl -d dbname=tt -s tort -e -t public.big --compat debezium >toastd.jsonl &&
	test "$(jq -r .after.doc toastd.jsonl)" = __debezium_unavailable_value &&
	q -c "alter table big replica identity full" &&
	q -c "update big set n = 3" &&
	pgcdc2jsonl -d dbname=tt -s tort -e -t public.big >toastf.jsonl &&
	test "$(jq -r ".after.doc | length" toastf.jsonl)" = 12800
'

test_expect_success 'ALTER TABLE ADD and DROP COLUMN mid-stream; TRUNCATE' '
	q -c "create table alt (id int primary key, a int)" &&
	q -c "alter publication tort add table alt" &&
	q -c "insert into alt values (1, 1)" &&
	q -c "alter table alt add column b text default \$\$bee\$\$" &&
	q -c "insert into alt values (2, 2, \$\$b2\$\$)" &&
	q -c "alter table alt drop column a" &&
	q -c "insert into alt values (3, \$\$b3\$\$)" &&
	q -c "truncate alt" &&
	pgcdc2jsonl -d dbname=tt -s tort -e -t public.alt >alt.jsonl &&
	jq -c "[.op, .after, .source.table]" alt.jsonl >got &&
	cat >want <<-\EOF &&
	["c",{"id":1,"a":1},"alt"]
	["c",{"id":2,"a":2,"b":"b2"},"alt"]
	["c",{"id":3,"b":"b3"},"alt"]
	["t",null,"alt"]
	EOF
	test_cmp want got
'

test_expect_success '--unwrap and --transactions' '
	q -c "insert into alt values (4, \$\$x\$\$), (5, \$\$y\$\$)" &&
	q -c "delete from alt where id = 4" &&
	pgcdc2jsonl -d dbname=tt -s tort -e -t public.alt -w >flat.jsonl &&
	jq -c "del(.__source_ts_ms)" flat.jsonl >got &&
	cat >want <<-\EOF &&
	{"id":4,"b":"x","__op":"c","__deleted":"false"}
	{"id":5,"b":"y","__op":"c","__deleted":"false"}
	{"id":4,"__op":"d","__deleted":"true"}
	EOF
	test_cmp want got &&
	q -c "insert into alt values (6, \$\$z\$\$)" &&
	pgcdc2jsonl -d dbname=tt -s tort -e -t public.alt -T >txn.jsonl &&
	test_line_count = 3 txn.jsonl &&
	test "$(jq -r ".status // .op" txn.jsonl | tr "\n" " ")" = "BEGIN c END " &&
	id=$(jq -r "select(.status == \"BEGIN\") | .id" txn.jsonl) &&
	test "$(jq -r "select(.op) | .transaction.id" txn.jsonl)" = "$id" &&
	test "$(jq -r "select(.status == \"END\") | .event_count" txn.jsonl)" = 1
'

test_expect_success 'a missing publication or slot is a configuration error (78)' '
	test_must_fail --status=78 pgcdc2jsonl -d dbname=tt -s tort -p nopub -e 2>err &&
	test_grep "publication nopub does not exist" err &&
	test_must_fail --status=78 pgcdc2jsonl -d dbname=tt -s noslot -p tort -e 2>err &&
	test_grep "slot noslot does not exist" err
'

test_expect_success 'an unreachable server: retries, then 69' '
	port=$(free_port) &&
	test_must_fail --status=69 pgcdc2jsonl -d "host=127.0.0.1 port=$port dbname=tt" \
		-s tort --retry 1s 2>err &&
	test_grep "connect:" err
'

test_expect_success 'usage errors exit 64' '
	test_must_fail --status=64 pgcdc2jsonl -d dbname=tt 2>err &&
	test_grep usage err &&
	test_must_fail --status=64 pgcdc2jsonl -s x --snapshot sometimes 2>err &&
	test_must_fail --status=64 pgcdc2jsonl -s x extra 2>err
'

test_expect_success 'stdout on /dev/full exits 74; | head -1 ends quietly' '
	q -c "insert into alt select g, \$\$v\$\$ from generate_series(100, 20000) g" &&
	test_must_fail --status=74 pgcdc2jsonl -d dbname=tt -s tort -e >/dev/full 2>err &&
	test_grep "write error" err &&
	pgcdc2jsonl -d dbname=tt -s tort -e 2>err | head -1 >one &&
	test_line_count = 1 one &&
	test_must_fail test -s err
'

test_expect_success 'SIGTERM stops cleanly (0); statistics on SIGUSR1 and in a file' '
	pgcdc2jsonl -d dbname=tt -s tort --stats-file prom.txt >live.jsonl 2>err &
	pid=$! &&
	q -c "insert into alt values (30000, \$\$live\$\$)" &&
	wait_until 60 "the live record" grep -q "\"live\"" live.jsonl &&
	kill -USR1 $pid &&
	wait_until 10 "statistics" grep -q "\"stats\":\"pgcdc2jsonl\"" err &&
	test_grep slot_lag_bytes err &&
	kill -TERM $pid && wait $pid &&
	test_grep "^telco_pgcdc2jsonl_changes_out [1-9]" prom.txt &&
	test_grep "^telco_pgcdc2jsonl_slot_lag_seconds" prom.txt
'

# With --ack-from a checkpoint that never comes, nothing is confirmed: a
# reconnect that started again at the slot's confirmed position would
# write the records before it again.
test_expect_success 'a lost connection: it reconnects and goes on after what it wrote, nothing twice' '
	pgcdc2jsonl -d dbname=tt -s tort --ack-from none.ckpt >re.jsonl 2>re.err &
	pid=$! &&
	q -c "insert into alt values (30001, \$\$re1\$\$)" &&
	q -c "begin; insert into alt values (30002, \$\$re2\$\$); update alt set b = \$\$re2u\$\$ where id = 30001; commit" &&
	wait_until 60 "the first records" grep -q "\"re2u\"" re.jsonl &&
	test "$(qa -c "select pg_terminate_backend(active_pid) from pg_replication_slots
		where slot_name = \$\$tort\$\$")" = t &&
	wait_until 60 "the reconnect" grep -q "^pgcdc2jsonl: stream:" re.err &&
	q -c "insert into alt values (30003, \$\$re3\$\$)" &&
	wait_until 60 "the record after the reconnect" grep -q "\"re3\"" re.jsonl &&
	kill -TERM $pid && wait $pid &&
	cat re.err &&
	grep -o "\"re[0-9u]*\"" re.jsonl | sort | uniq -c >counts &&
	cat counts &&
	test "$(wc -l <re.jsonl)" = 4 &&
	test "$(awk "\$1 != 1" counts)" = "" &&
	test "$(wc -l <counts)" = 4 &&
	# a new run starts at the confirmed position (nothing confirmed):
	# the records again, confirmed this time for the tests after this one
	pgcdc2jsonl -d dbname=tt -s tort -e >rest.jsonl &&
	test "$(grep -c "\"re[0-9u]*\"" rest.jsonl)" -ge 4
'

# A transaction of 60,000 rows (some 18 MB of records) does not fit in the
# socket's buffers: with the reader of its output stopped, pgcdc2jsonl
# blocks writing it, and the connection, lost then, cuts it short.
test_expect_success 'a transaction cut short by a lost connection: each record of it once, in order' '
	rm -f cut.fifo && mkfifo cut.fifo &&
	{ pgcdc2jsonl -d dbname=tt -s tort -T >cut.fifo 2>cut.err & } &&
	pid=$! &&
	exec 7<cut.fifo &&
	q -c "insert into alt select g, \$\$cut\$\$ from generate_series(40000, 99999) g" &&
	wait_until 60 "pgcdc2jsonl blocked on its output" grep -q pipe_write "/proc/$pid/wchan" &&
	test "$(qa -c "select pg_terminate_backend(active_pid) from pg_replication_slots
		where slot_name = \$\$tort\$\$")" = t &&
	{ cat <&7 >cut.jsonl & } && cat=$! &&
	exec 7<&- &&
	wait_until 60 "the reconnect" grep -q "^pgcdc2jsonl: stream:" cut.err &&
	wait_until 60 "the end of the transaction" grep -q "\"status\":\"END\"" cut.jsonl &&
	kill -TERM $pid && wait $pid && wait $cat &&
	cat cut.err &&
	grep -c "\"status\":\"BEGIN\"" cut.jsonl >begins &&
	grep -o "\"id\":[0-9]*,\"b\":\"cut\"" cut.jsonl | tr -dc "0-9\n" >ids &&
	seq 40000 99999 >want &&
	test_cmp want ids &&
	test "$(cat begins)" = 1 &&
	grep "\"status\":\"END\"" cut.jsonl | grep -q "\"event_count\":60000"
'

test_expect_success 'an idle slot follows the server WAL end' '
	before=$(qa -c "select confirmed_flush_lsn from pg_replication_slots where slot_name = \$\$tort\$\$") &&
	psql -X -q -c "create table other_db_writes (x int); insert into other_db_writes select generate_series(1, 1000)" &&
	end=$(qa -c "select pg_current_wal_lsn()") &&
	pgcdc2jsonl -d dbname=tt -s tort -e >idle.jsonl &&
	test_line_count = 0 idle.jsonl &&
	test "$(qa -c "select confirmed_flush_lsn >= \$\$$end\$\$ from pg_replication_slots where slot_name = \$\$tort\$\$")" = t
'

test_expect_success '--snapshot initial_only reads the tables and leaves no slot' '
	pgcdc2jsonl -d dbname=tt -s once -p tort -t public.alt --snapshot initial_only >once.jsonl &&
	test "$(jq -r .op once.jsonl | sort -u)" = r &&
	test "$(qa -c "select count(*) from alt")" = "$(wc -l <once.jsonl)" &&
	test "$(qa -c "select count(*) from pg_replication_slots where slot_name = \$\$once\$\$")" = 0
'

test_expect_success '--drop removes the slot and the publication' '
	pgcdc2jsonl -d dbname=tt -s tort --drop 2>err &&
	test_grep "dropped slot tort" err &&
	test "$(qa -c "select count(*) from pg_replication_slots")" = 0 &&
	test "$(qa -c "select count(*) from pg_publication")" = 0
'

test_done
