#!/bin/bash
test_description='binlog2jsonl --schemas on a real MariaDB: Kafka Connect schemas that describe each record, the same in the snapshot and the stream, following DDL'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lib-mysql.sh"

command -v mariadbd >/dev/null || test_skip_all 'mariadbd is not installed (tests/setup-deps)'
my_start || error "MariaDB did not start"
test_atexit my_stop

B2J="binlog2jsonl --defaults-file=$MYSQL_DEFAULTS_FILE -n my.srv"

# tests/connect-check.py: every record fits its Kafka Connect schema, as
# JsonConverter reads it.

# schemas FILE: each record's schema text, as written
schemas() {
	python3 -c '
import sys
for l in open(sys.argv[1]):
    assert l.startswith("{\"schema\":")
    print(l[len("{\"schema\":"):l.index(",\"payload\":{")])' "$1"
}

# payloads FILE: each record without its schema, without ts_ms
payloads() {
	jq -c '(if has("payload") then .payload else . end) | del(.ts_ms)' "$1"
}

cat >tables.sql <<'EOF'
CREATE DATABASE t;
CREATE TABLE t.ty (id INT PRIMARY KEY,
	ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, su SMALLINT UNSIGNED,
	mi MEDIUMINT, mu MEDIUMINT UNSIGNED, i INT NOT NULL DEFAULT 0, iu INT UNSIGNED,
	bi BIGINT, bu BIGINT UNSIGNED, d DECIMAL(65,30), d2 DECIMAL(10,2) NOT NULL DEFAULT 0,
	du DECIMAL(5,1) UNSIGNED, f FLOAT, db DOUBLE, b1 BIT(1), b12 BIT(12), b64 BIT(64),
	y YEAR, dt DATE NOT NULL DEFAULT '2000-01-01', tm TIME, tm3 TIME(3), dtm DATETIME,
	dtm3 DATETIME(3), dtm6 DATETIME(6), ts TIMESTAMP NULL, ts6 TIMESTAMP(6) NULL,
	c CHAR(10), vc VARCHAR(300) NOT NULL DEFAULT '', l1 VARCHAR(20) CHARACTER SET latin1,
	tt TINYTEXT, tx TEXT, mt MEDIUMTEXT, lt LONGTEXT, bn BINARY(4), vb VARBINARY(10),
	tb TINYBLOB, bl BLOB, mb MEDIUMBLOB, lb LONGBLOB,
	e ENUM('a','b','it''s'), s SET('x','y','z'), j JSON, g GEOMETRY, pt POINT,
	el ENUM('été','x') CHARACTER SET latin1)
	DEFAULT CHARSET=utf8mb4;
CREATE TABLE t.small (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL,
	amount DECIMAL(10,2), at DATETIME(3));
EOF

test_expect_success 'setup: a table of every type, a small one' '
	my <tables.sql
'

cat >rows.sql <<'EOF'
SET time_zone='+00:00';
INSERT INTO t.ty VALUES (1,-128,255,-32768,65535,-8388608,16777215,-2147483648,4294967295,
 -9223372036854775808,18446744073709551615,
 '-12345678901234567890123456789012345.123456789012345678901234567890', -99999999.99, 9999.9,
 3.40282e38, -1.7976931348623157e308, 1, 4095, 18446744073709551615,
 2155, '9999-12-31', '-838:59:59', '838:59:59.999',
 '1000-01-01 00:00:00', '2026-11-25 12:00:00.123', '9999-12-31 23:59:59.999999',
 '2038-01-19 03:14:07', '2000-02-29 12:34:56.000001',
 'abc', 'héllo 😀 "q"', 'Ångström', 't', 'text 中文', 'medium', REPEAT('long ', 100),
 0x00ff0102, 0x0001, 0x00, 0xdeadbeef, 0xab, X'', 'it''s', 'x,z', '{"a":[1,2.5,null,true],"b":"s"}',
 ST_GeomFromText('LINESTRING(0 0,1 1.5,-2 3)'), ST_GeomFromText('POINT(1 2)'), 'été');
INSERT INTO t.ty (id) VALUES (2), (3);
INSERT INTO t.ty (id, dt, dtm, ts, e, s, b1) VALUES (4, '0000-00-00', '0000-00-00 00:00:00', '1970-01-01 00:00:01', 'a', '', 0);
UPDATE t.ty SET ti = 5, j = '[]', d = -d WHERE id IN (1, 4);
DELETE FROM t.ty WHERE id = 2;
INSERT INTO t.small VALUES (1, 'one', 1.5, '2026-01-02 03:04:05.678'), (2, 'two', NULL, NULL);
UPDATE t.small SET amount = 2.25 WHERE id = 2;
EOF

test_expect_success 'stream: every record carries its schema; the payload is the record without it' '
	start=$(my -N -e "SHOW MASTER STATUS" | awk "{print \$1\":\"\$2}") &&
	echo "$start" >start &&
	my <rows.sql &&
	$B2J -e --start="$start" -t "t.*" --schemas >s.jsonl &&
	$B2J -e --start="$start" -t "t.*" >p.jsonl &&
	test_line_count = 10 s.jsonl &&
	python3 "$TEST_DIR/connect-check.py" s.jsonl my_srv.t mysql &&
	payloads s.jsonl >s.pay && payloads p.jsonl >p.pay &&
	test_cmp p.pay s.pay
'

test_expect_success 'one schema per table, built once: the same text in every record' '
	jq -r .payload.source.table s.jsonl | uniq -c | awk "{print \$1, \$2}" >tables &&
	printf "7 ty\n3 small\n" >tables.want && test_cmp tables.want tables &&
	schemas s.jsonl | sort -u >uniq && test_line_count = 2 uniq
'

# expect.py FILE ENC: the field schemas of t.ty against what each type is
cat >expect.py <<'EOF'
import json, sys
path, enc = sys.argv[1], sys.argv[2]
dbz = enc == "debezium"
S = "__debezium.source.column."
def F(t, src, opt=True, name=None, _len=None, _scale=None, **params):
    p = dict(params)
    p[S + "type"] = src
    if _len is not None: p[S + "length"] = str(_len)
    if _scale is not None: p[S + "scale"] = str(_scale)
    d = {"type": t, "optional": opt}
    if name: d["name"] = name; d["version"] = 1
    d["parameters"] = p
    return d
def dec(prec, scale, src="DECIMAL", opt=True):
    if dbz:
        return F("bytes", src, opt, "org.apache.kafka.connect.data.Decimal", prec, scale,
                 **{"scale": str(scale), "connect.decimal.precision": str(prec)})
    return F("string", src, opt, None, prec, scale)
def tm(kind, fsp, opt=True):
    if kind == "TIME":
        return F("int64", "TIME", opt, "io.debezium.time.MicroTime", fsp) if dbz else F("string", "TIME", opt, None, fsp)
    if kind == "DATETIME":
        if dbz: return F("int64", "DATETIME", True, "io.debezium.time.Timestamp" if fsp <= 3 else "io.debezium.time.MicroTimestamp", fsp)
        return F("string", "DATETIME", opt, None, fsp)
    return F("string", "TIMESTAMP", True if dbz else opt, "io.debezium.time.ZonedTimestamp", fsp)
def bits(n):
    if not dbz: return F("int64", "BIT", True, None, n)
    if n == 1: return F("boolean", "BIT", True, None, 1)
    return F("bytes", "BIT", True, "io.debezium.data.Bits", n, length=str(n))
geo = lambda: {"type": "struct", "fields": [{"type": "bytes", "optional": False, "field": "wkb"},
    {"type": "int32", "optional": True, "field": "srid"}], "optional": True,
    "name": "io.debezium.data.geometry.Geometry", "version": 1, "parameters": {S + "type": "GEOMETRY"}}
want = {
 "id": F("int32", "INT", False), "ti": F("int16", "TINYINT"), "tu": F("int16", "TINYINT UNSIGNED"),
 "si": F("int16", "SMALLINT"), "su": F("int32", "SMALLINT UNSIGNED"), "mi": F("int32", "MEDIUMINT"),
 "mu": F("int32", "MEDIUMINT UNSIGNED"), "i": F("int32", "INT", False), "iu": F("int64", "INT UNSIGNED"),
 "bi": F("int64", "BIGINT"), "bu": F("int64", "BIGINT UNSIGNED"), "d": dec(65, 30),
 "d2": dec(10, 2, opt=False), "du": dec(5, 1, "DECIMAL UNSIGNED"),
 "f": F("float32", "FLOAT"), "db": F("float64", "DOUBLE"), "b1": bits(1), "b12": bits(12), "b64": bits(64),
 "y": F("int32", "YEAR", True, "io.debezium.time.Year"),
 "dt": F("int32", "DATE", True, "io.debezium.time.Date") if dbz else F("string", "DATE", False),
 "tm": tm("TIME", 0), "tm3": tm("TIME", 3), "dtm": tm("DATETIME", 0), "dtm3": tm("DATETIME", 3),
 "dtm6": tm("DATETIME", 6), "ts": tm("TIMESTAMP", 0), "ts6": tm("TIMESTAMP", 6),
 "c": F("string", "CHAR"), "vc": F("string", "VARCHAR", False), "l1": F("string", "VARCHAR"),
 "tt": F("string", "TINYTEXT"), "tx": F("string", "TEXT"), "mt": F("string", "MEDIUMTEXT"),
 "lt": F("string", "LONGTEXT"), "bn": F("bytes", "BINARY"), "vb": F("bytes", "VARBINARY"),
 "tb": F("bytes", "TINYBLOB"), "bl": F("bytes", "BLOB"), "mb": F("bytes", "MEDIUMBLOB"),
 "lb": F("bytes", "LONGBLOB"),
 "e": F("string", "ENUM", True, "io.debezium.data.Enum", allowed="a,b,it's"),
 "s": F("string", "SET", True, "io.debezium.data.EnumSet", allowed="x,y,z"),
 # MariaDB's JSON is a LONGTEXT (with a CHECK), in the binlog as in information_schema
 "j": F("string", "LONGTEXT"), "g": geo(), "pt": geo(),
 "el": F("string", "ENUM", True, "io.debezium.data.Enum", allowed="été,x"),
}
errors = 0
for line in open(path):
    r = json.loads(line)
    fields = r["schema"]["fields"]
    if r["schema"]["name"].endswith(".Envelope"):
        fields = fields[1]["fields"]
    got = {f.pop("field"): f for f in fields}
    for k in list(got):
        if k.startswith("__"): del got[k]
    if list(got) != list(want):
        print("columns", list(got)); sys.exit(1)
    for k in want:
        if got[k] != want[k]:
            errors += 1
            print("%s: got  %s\n%s  want %s" % (k, json.dumps(got[k], sort_keys=True), " " * len(k), json.dumps(want[k], sort_keys=True)))
    break
sys.exit(1 if errors else 0)
EOF

test_expect_success 'the every-type table: each column its Connect type, name and source type' '
	grep "\"table\":\"ty\"" s.jsonl | head -1 >ty1 &&
	python3 expect.py ty1 plain
'

test_expect_success 'the snapshot and the stream: byte-identical schemas' '
	$B2J -e --snapshot=initial_only -t "t.*" --schemas >snap.jsonl &&
	test_line_count = 5 snap.jsonl &&
	python3 "$TEST_DIR/connect-check.py" snap.jsonl my_srv.t mysql &&
	jq -r .payload.op snap.jsonl | sort -u >ops && echo r >ops.want && test_cmp ops.want ops &&
	{ schemas snap.jsonl; schemas s.jsonl; } | sort -u >both &&
	test_cmp uniq both &&
	$B2J -e --snapshot=initial_only -t "t.*" >snap.plain &&
	payloads snap.jsonl | jq -c "del(.source.ts_ms)" >a &&
	payloads snap.plain | jq -c "del(.source.ts_ms)" >b &&
	test_cmp b a
'

test_expect_success '--compat=debezium: Debezium types; snapshot and stream agree' '
	$B2J -e --start="$(cat start)" -t "t.*" --schemas --compat=debezium >ds.jsonl &&
	$B2J -e --start="$(cat start)" -t "t.*" --compat=debezium >dp.jsonl &&
	python3 "$TEST_DIR/connect-check.py" ds.jsonl my_srv.t mysql &&
	payloads ds.jsonl >ds.pay && payloads dp.jsonl >dp.pay && test_cmp dp.pay ds.pay &&
	grep "\"table\":\"ty\"" ds.jsonl | head -1 >dty1 &&
	python3 expect.py dty1 debezium &&
	$B2J -e --snapshot=initial_only -t "t.*" --schemas --compat=debezium >dsnap.jsonl &&
	python3 "$TEST_DIR/connect-check.py" dsnap.jsonl my_srv.t mysql &&
	schemas ds.jsonl | sort -u >du && test_line_count = 2 du &&
	{ schemas dsnap.jsonl; schemas ds.jsonl; } | sort -u >dboth && test_cmp du dboth &&
	! test_cmp uniq du >/dev/null
'

test_expect_success '--unwrap: the row struct plus __op, __deleted, __source_ts_ms' '
	$B2J -e --start="$(cat start)" -t "t.small" --schemas --unwrap >us.jsonl &&
	$B2J -e --start="$(cat start)" -t "t.small" --unwrap >up.jsonl &&
	test_line_count = 3 us.jsonl &&
	python3 "$TEST_DIR/connect-check.py" us.jsonl my_srv.t mysql --unwrap &&
	jq -c .payload us.jsonl >us.pay && test_cmp up.jsonl us.pay &&
	jq -e -s "map(.schema.name) | unique == [\"my_srv.t.small.Value\"]" us.jsonl &&
	jq -e -s "map(.schema.fields | map(.field)) | unique ==
		[[\"id\",\"name\",\"amount\",\"at\",\"__op\",\"__deleted\",\"__source_ts_ms\"]]" us.jsonl &&
	$B2J -e --snapshot=initial_only -t "t.small" --schemas --unwrap >usnap.jsonl &&
	{ schemas usnap.jsonl; schemas us.jsonl; } | sort -u >uboth && test_line_count = 1 uboth
'

test_expect_success 'ALTER TABLE ADD COLUMN mid-stream: the old schema before, one optional field more after' '
	start=$(my -N -e "SHOW MASTER STATUS" | awk "{print \$1\":\"\$2}") &&
	my t -e "INSERT INTO small VALUES (10, \"before\", 1, NULL);
		ALTER TABLE small ADD COLUMN extra INT;
		INSERT INTO small VALUES (11, \"after\", 2, NULL, 7);
		UPDATE small SET extra = 8 WHERE id = 11" &&
	$B2J -e --start="$start" -t t.small --schemas >alter.jsonl &&
	test_line_count = 3 alter.jsonl &&
	python3 "$TEST_DIR/connect-check.py" alter.jsonl my_srv.t mysql &&
	schemas alter.jsonl >alter.s &&
	sed -n 1p alter.s >old && grep -Fx -f old uniq &&
	sed -n 2p alter.s >new && sed -n 3p alter.s | test_cmp new - &&
	! test_cmp old new >/dev/null &&
	sed -n 2p alter.jsonl | jq -c "[.schema.fields[1].fields[] | .field]" >names &&
	echo "[\"id\",\"name\",\"amount\",\"at\",\"extra\"]" >names.want && test_cmp names.want names &&
	sed -n 2p alter.jsonl | jq -e ".schema.fields[1].fields[4] == {\"type\":\"int32\",\"optional\":true,
		\"parameters\":{\"__debezium.source.column.type\":\"INT\"},\"field\":\"extra\"}" &&
	$B2J -e --snapshot=initial_only -t t.small --schemas >snap2.jsonl &&
	schemas snap2.jsonl | sort -u | test_cmp new -
'

test_expect_success 'without --schemas nothing changes: no schema anywhere' '
	! grep -q "\"schema\":" p.jsonl snap.plain dp.jsonl up.jsonl
'

test_done
