#!/bin/bash
test_description='pgcdc2jsonl --schemas on a real PostgreSQL: Kafka Connect schemas that describe each record, the same in the snapshot and the stream, following ALTER TABLE'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lib-pg.sh"

pg_start || error "PostgreSQL did not start"
DB=tt
q() { pg -d "$DB" "$@"; }

# tests/connect-check.py: every record fits its Kafka Connect schema, as
# JsonConverter reads it (--partial: a key-only old row; --unfit: the text of infinity, NaN).

# schemas FILE: each record's schema text, as written
schemas() {
	python3 -c '
import sys
for l in open(sys.argv[1]):
    if not l.startswith("{\"schema\":"): continue   # connect-check.py tells
    print(l[len("{\"schema\":"):l.index(",\"payload\":{")])' "$1"
}

# payloads FILE [snap]: each record's text without its schema, without
# the volatile ts_ms (and for a snapshot, its lsn and sequence: the two
# slots' consistent points differ), compared as text, exactly
payloads() {
	python3 -c '
import re, sys
for l in open(sys.argv[1]):
    l = l.rstrip("\n")
    if l.startswith("{\"schema\":"):
        l = l[l.index(",\"payload\":{") + len(",\"payload\":"):-1]
    l = re.sub(r"\"ts_ms\":\d+", "", l)
    if len(sys.argv) > 2:
        l = re.sub(r"\"lsn\":\d+|\"sequence\":\"(\\.|[^\"\\])*\"", "", l)
    print(l)' "$@"
}

# types FILE: "column type name optional source-type length scale" per
# column of the first record's after (or unwrapped row) struct
types() {
	head -1 "$1" | jq -r '.schema.fields | (map(select(.field == "after"))[0].fields // .)[]
		| select(.field | startswith("__") | not)
		| [.field, .type + (if .items then "/" + .items.type + (if .items.name then ":" + .items.name else "" end) else "" end),
		   (.name // "-"), (.optional | tostring),
		   (.parameters["__debezium.source.column.type"] // "-"),
		   (.parameters["__debezium.source.column.length"] // "-"),
		   (.parameters["__debezium.source.column.scale"] // "-")] | join(" ")'
}

cat >create.sql <<'EOF'
create domain posint as integer check (value > 0);
create type mood as enum ('sad', 'ok', 'happy');
create table ty (
	id int primary key, i2 int2 not null, i4 int4, i8 int8, num numeric,
	num2 numeric(12,4), f4 float4, f8 float8 not null, b bool, t text,
	vc varchar(30), c char(5), ba bytea, d date, tm time, tm3 time(3),
	ttz timetz, ts timestamp, ts3 timestamp(3), tstz timestamptz, iv interval,
	u uuid, j json, jb jsonb, ai int4[], at text[], ad date[], e mood,
	dom posint, m money, o oid);
create table small (id int primary key, name varchar(20) not null, amount numeric(10,2));
create table full_ri (id int not null, v text not null, w int);
alter table full_ri replica identity full;
EOF
cat >rows.sql <<'EOF'
insert into ty values
(1, -32768, -2147483648, -9223372036854775808, 12.5, 0.0001, 1.5, 1e308, true,
 'text é', 'varchar', 'ab', '\x00ff10', '2026-11-01', '08:15:02', '08:15:02.123',
 '08:15:02+02', '2026-11-01 08:15:02.123456', '2026-11-01 08:15:02.123',
 '2026-11-01 08:15:02+02', '1 year 2 months 3 days 04:05:06.5',
 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2]}', '{"k": true}',
 '{1,NULL,3}', '{"a b",NULL}', '{2026-11-01,NULL}', 'happy', 7, -1234.56, 4294967295),
(2, 0, null, null, 'NaN', null, 'NaN', '-Infinity', null, null, null, null, null,
 'infinity', null, null, null, '-infinity', null, 'infinity', null, null, null, null,
 '{}', null, null, null, null, null, null);
insert into small values (1, 'one', 1.5), (2, 'two', null);
insert into full_ri values (1, 'x', null);
EOF

cat >changes.sql <<'EOF'
update ty set i2 = 5, t = t || '+' where id = 1;
update small set id = 3 where id = 2;
update full_ri set w = 2;
delete from small where id = 1;
delete from ty where id = 2;
truncate full_ri;
EOF
cat >ddl.sql <<'EOF'
insert into small values (10, 'ten', 1);
alter table small add column note text, alter column amount type numeric(14,3);
insert into small values (11, 'eleven', 2, 'n');
EOF

# run SLOT OPTIONS...: what the slot holds now
run() {
	slot=$1; shift
	pgcdc2jsonl -d dbname=tt -s "$slot" --name pg.srv -e "$@"
}

test_expect_success 'setup: tables of many types, rows, slots with their snapshots' '
	pg -c "create database tt" &&
	q -f create.sql && q -f rows.sql &&
	run plain --create --schemas >snap.jsonl 2>err &&
	test_line_count = 5 snap.jsonl &&
	run bare --create >snap-bare.jsonl 2>err &&
	run flat --create --schemas --unwrap >snap-flat.jsonl 2>err &&
	run dbz --create --schemas --compat debezium >snap-dbz.jsonl 2>err &&
	run dbzbare --create --compat debezium >snap-dbzbare.jsonl 2>err
'

test_expect_success 'changes of every kind' '
	q -f changes.sql &&
	run plain --schemas >chg.jsonl &&
	run bare >chg-bare.jsonl &&
	run flat --schemas --unwrap >chg-flat.jsonl &&
	run dbz --schemas --compat debezium >chg-dbz.jsonl &&
	run dbzbare --compat debezium >chg-dbzbare.jsonl &&
	test "$(jq -r .payload.op chg.jsonl | sort | uniq -c | tr -s " " | tr "\n" ";")" = " 2 d; 1 t; 3 u;"
'

for f in snap chg snap-dbz chg-dbz; do
	test_expect_success "$f: every record fits its schema" "
		python3 \"\$TEST_DIR/connect-check.py\" $f.jsonl pg_srv.public postgresql --partial --unfit
	"
done
test_expect_success 'unwrapped: every record fits its schema' '
	python3 "$TEST_DIR/connect-check.py" snap-flat.jsonl pg_srv.public postgresql --partial --unfit --unwrap &&
	python3 "$TEST_DIR/connect-check.py" chg-flat.jsonl pg_srv.public postgresql --partial --unfit --unwrap &&
	grep -c "^{\"__op\":\"t\"" chg-flat.jsonl >got && echo 1 >want &&
	test_cmp want got
'

test_expect_success 'the payload is the record without --schemas' '
	payloads chg.jsonl >a && payloads chg-bare.jsonl >b && test_cmp b a &&
	payloads chg-dbz.jsonl >a && payloads chg-dbzbare.jsonl >b && test_cmp b a &&
	payloads snap.jsonl snap >a && payloads snap-bare.jsonl snap >b &&
	test_cmp b a &&
	test_line_count = 5 a
'

# tschemas FILE: "table schema-text" per distinct pair
tschemas() {
	paste -d " " <(jq -r ".payload.source.table" "$1") <(schemas "$1") | sort -u
}

test_expect_success 'snapshot and stream: the same schema text per table' '
	tschemas snap.jsonl >snap.sch && tschemas chg.jsonl >chg.sch &&
	cut -d " " -f 1 snap.sch >got &&
	printf "full_ri\nsmall\nty\n" >want && test_cmp want got &&
	cut -d " " -f 1 chg.sch >got && test_cmp want got &&
	sort -u snap.sch chg.sch >both && test_cmp snap.sch both &&
	tschemas snap-dbz.jsonl >a && tschemas chg-dbz.jsonl >b &&
	sort -u a b >both && test_cmp a both && test_line_count = 3 a &&
	! cmp -s a snap.sch &&
	schemas snap-flat.jsonl >a && schemas chg-flat.jsonl >b &&
	sort -u a b >both && test_line_count = 3 both &&
	jq -r .name both | sort -u | wc -l | grep -qx 3
'

test_expect_success 'plain encoding: the Connect types of the columns' '
	grep "\"table\":\"ty\"" snap.jsonl >ty.jsonl &&
	types ty.jsonl >got &&
	cat >want <<-\EOF &&
	id int32 - false INT4 - -
	i2 int16 - true INT2 - -
	i4 int32 - true INT4 - -
	i8 int64 - true INT8 - -
	num float64 - true NUMERIC - -
	num2 float64 - true NUMERIC 12 4
	f4 float32 - true FLOAT4 - -
	f8 float64 - true FLOAT8 - -
	b boolean - true BOOL - -
	t string - true TEXT - -
	vc string - true VARCHAR 30 -
	c string - true BPCHAR 5 -
	ba bytes - true BYTEA - -
	d string - true DATE - -
	tm string - true TIME - -
	tm3 string - true TIME 3 -
	ttz string - true TIMETZ - -
	ts string - true TIMESTAMP - -
	ts3 string - true TIMESTAMP 3 -
	tstz string io.debezium.time.ZonedTimestamp true TIMESTAMPTZ - -
	iv string - true INTERVAL - -
	u string - true UUID - -
	j string io.debezium.data.Json true JSON - -
	jb string io.debezium.data.Json true JSONB - -
	ai array/int32 - true _INT4 - -
	at array/string - true _TEXT - -
	ad array/string - true _DATE - -
	e string - true MOOD - -
	dom int32 - true POSINT - -
	m float64 - true MONEY - -
	o int64 - true OID - -
	EOF
	test_cmp want got
'

test_expect_success '--compat debezium: Debezium connector types' '
	grep "\"table\":\"ty\"" snap-dbz.jsonl >ty.jsonl &&
	types ty.jsonl >got &&
	cat >want <<-\EOF &&
	id int32 - false INT4 - -
	i2 int16 - true INT2 - -
	i4 int32 - true INT4 - -
	i8 int64 - true INT8 - -
	num string - true NUMERIC - -
	num2 string - true NUMERIC 12 4
	f4 float32 - true FLOAT4 - -
	f8 float64 - true FLOAT8 - -
	b boolean - true BOOL - -
	t string - true TEXT - -
	vc string - true VARCHAR 30 -
	c string - true BPCHAR 5 -
	ba bytes - true BYTEA - -
	d int32 io.debezium.time.Date true DATE - -
	tm int64 io.debezium.time.MicroTime true TIME - -
	tm3 int64 io.debezium.time.MicroTime true TIME 3 -
	ttz string io.debezium.time.ZonedTime true TIMETZ - -
	ts int64 io.debezium.time.MicroTimestamp true TIMESTAMP - -
	ts3 int64 io.debezium.time.MicroTimestamp true TIMESTAMP 3 -
	tstz string io.debezium.time.ZonedTimestamp true TIMESTAMPTZ - -
	iv string io.debezium.time.Interval true INTERVAL - -
	u string io.debezium.data.Uuid true UUID - -
	j string io.debezium.data.Json true JSON - -
	jb string io.debezium.data.Json true JSONB - -
	ai array/int32 - true _INT4 - -
	at array/string - true _TEXT - -
	ad array/int32:io.debezium.time.Date - true _DATE - -
	e string - true MOOD - -
	dom int32 - true POSINT - -
	m string - true MONEY - -
	o int64 - true OID - -
	EOF
	test_cmp want got &&
	jq -c ".schema.fields[2].fields | map(.field)" ty.jsonl | sort -u >got &&
	echo "[\"version\",\"connector\",\"name\",\"ts_ms\",\"snapshot\",\"db\",\"sequence\",\"schema\",\"table\",\"txId\",\"lsn\",\"xmin\",\"row\"]" >want &&
	test_cmp want got
'

test_expect_success 'required: the NOT NULL columns every row image holds' '
	grep "\"table\":\"small\"" snap.jsonl | head -1 >s.jsonl && types s.jsonl >got &&
	cat >want <<-\EOF &&
	id int32 - false INT4 - -
	name string - true VARCHAR 20 -
	amount float64 - true NUMERIC 10 2
	EOF
	test_cmp want got &&
	grep "\"table\":\"full_ri\"" snap.jsonl >s.jsonl && types s.jsonl >got &&
	cat >want <<-\EOF &&
	id int32 - false INT4 - -
	v string - false TEXT - -
	w int32 - true INT4 - -
	EOF
	test_cmp want got
'

test_expect_success 'ALTER TABLE mid-stream: the old schema before the DDL, the new after' '
	q -f ddl.sql &&
	run plain --schemas >ddl.jsonl &&
	python3 "$TEST_DIR/connect-check.py" ddl.jsonl pg_srv.public postgresql --partial --unfit &&
	test_line_count = 2 ddl.jsonl &&
	head -1 ddl.jsonl >r1 && tail -1 ddl.jsonl >r2 &&
	test "$(jq .payload.after.id r1) $(jq .payload.after.id r2)" = "10 11" &&
	schemas r1 >got && grep "^small " snap.sch | cut -d " " -f 2- >want &&
	test_cmp want got &&
	types r2 >got &&
	cat >want <<-\EOF &&
	id int32 - false INT4 - -
	name string - true VARCHAR 20 -
	amount float64 - true NUMERIC 14 3
	note string - true TEXT - -
	EOF
	test_cmp want got &&
	grep -q "\"after\":{\"id\":11,\"name\":\"eleven\",\"amount\":2.000,\"note\":\"n\"}" r2
'

test_expect_success 'a new snapshot after the DDL: the schema the stream gives' '
	run snap2 --create --schemas --snapshot initial_only -t public.small >snap2.jsonl 2>err &&
	schemas snap2.jsonl | sort -u >got && schemas r2 >want &&
	test_cmp want got
'

test_done
