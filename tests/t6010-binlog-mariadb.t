#!/bin/bash
test_description='binlog2jsonl on a real MariaDB: every type against SELECT, replay, snapshot, restarts'
. "$(dirname "$0")/lib.sh"

command -v mariadbd >/dev/null || test_skip_all 'mariadbd is not installed (tests/setup-deps)'

# A MariaDB of our own in the scratch folder, with a row-based binlog.
MY=$TRASH/my
MYSOCK=$MY/sock
my_start() {
	mariadbd --no-defaults --datadir="$MY/data" --user=root \
		--socket="$MYSOCK" --port="$MYPORT" --bind-address=127.0.0.1 \
		--log-bin="$MY/data/binlog" --server-id=1 --binlog-format=ROW \
		--binlog-row-image=FULL --binlog-row-metadata=FULL \
		--innodb-buffer-pool-size=32M --skip-name-resolve \
		>>"$MY/server.log" 2>&1 &
	echo $! >"$MY/pid"
	wait_until 60 "MariaDB on $MYSOCK" my -e 'SELECT 1'
}
my_stop() {
	pid=$(cat "$MY/pid") &&
	kill "$pid" &&
	wait_until 60 "MariaDB to stop" sh -c "! kill -0 $pid"
}
my() { mariadb --no-defaults --default-character-set=utf8mb4 -S "$MYSOCK" -uroot "$@"; }

mkdir -p "$MY"
MYPORT=$(free_port)
mariadb-install-db --no-defaults --datadir="$MY/data" --user=root \
	--auth-root-authentication-method=normal >"$MY/install.log" 2>&1 ||
	error "mariadb-install-db failed: $(tail -5 "$MY/install.log")"
test_atexit 'my_stop'
my_start || { cat "$MY/server.log"; error "MariaDB did not start"; }

cat >my.cnf <<EOF
[client]
socket=$MYSOCK
user=root
EOF
B2J="binlog2jsonl --defaults-file=$TRASH/my.cnf"

# replay.py: rebuild tables from change records and compare each value with
# what SELECT returns (the database is the oracle).
cat >replay.py <<'EOF'
import base64, json, subprocess, sys
cdc, db, table, pk, sock = sys.argv[1:6]
def q(sql):
    r = subprocess.run(["mariadb", "--no-defaults", "-S", sock, "-uroot", "-B", "-N",
                        "--default-character-set=utf8mb4", "-e", sql],
                       check=True, capture_output=True, text=True)
    return [l.split("\t") for l in r.stdout.splitlines()]
cols = q("SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE "
         "TABLE_SCHEMA='%s' AND TABLE_NAME='%s' ORDER BY ORDINAL_POSITION" % (db, table))
INTS = {"tinyint", "smallint", "mediumint", "int", "bigint", "decimal", "year"}
TEXT = {"char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set", "json"}
BIN = {"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"}
GEO = {"geometry", "point", "linestring", "polygon", "multipoint", "multilinestring",
       "multipolygon", "geometrycollection"}
def expr(c, t):
    if t in TEXT: return "HEX(CONVERT(`%s` USING utf8mb4))" % c
    if t in BIN or t in GEO: return "HEX(`%s`)" % c
    if t == "bit": return "CAST(`%s`+0 AS CHAR)" % c
    return "CAST(`%s` AS CHAR)" % c
sel = ", ".join(expr(c, t) for c, t in cols)
rows = q("SET time_zone='+00:00'; SELECT %s FROM `%s`.`%s`" % (sel, db, table))
names = [c for c, _ in cols]
types = dict(cols)
db_rows = {}
for r in rows:
    d = dict(zip(names, [None if v == "NULL" else v for v in r]))
    db_rows[d[pk]] = d
def norm(t, v):
    if v is None: return None
    if t in TEXT: return v.encode("utf-8").hex().upper()
    if t in BIN: return base64.b64decode(v).hex().upper()
    if t in GEO: return (int(v["srid"]).to_bytes(4, "little") + base64.b64decode(v["wkb"])).hex().upper()
    if t == "timestamp": return v.rstrip("Z").replace("T", " ")
    if t == "datetime": return v.replace("T", " ")
    return str(v)
state = {}
errors = 0
def err(msg):
    global errors
    errors += 1
    if errors < 20: print(msg)
n = 0
for line in open(cdc):
    if not line.endswith("\n"): break
    r = json.loads(line)
    s = r["source"]
    if s["db"] != db or s["table"] != table: continue
    n += 1
    op, b, a = r["op"], r["before"], r["after"]
    if op in ("u", "d"):
        k = str(b[pk])
        if k not in state: err("gap: %s of missing %s at %s:%s/%s" % (op, k, s["file"], s["pos"], s["row"]))
        elif state[k] != b: err("before image differs for %s: %s != %s" % (k, b, state[k]))
        state.pop(k, None)
    if op in ("c", "r", "u"):
        k = str(a[pk])
        if k in state: err("duplicate: %s of existing %s at %s:%s/%s" % (op, k, s["file"], s["pos"], s["row"]))
        state[k] = a
if set(state) != set(db_rows):
    err("rows: replayed %d, table %d; only replayed %s, only in table %s" % (
        len(state), len(db_rows), sorted(set(state) - set(db_rows))[:5],
        sorted(set(db_rows) - set(state))[:5]))
for k in sorted(set(state) & set(db_rows)):
    for c in names:
        t = types[c]
        if c not in state[k]:
            err("%s: column %s missing" % (k, c)); continue
        got, want = norm(t, state[k][c]), db_rows[k][c]
        if t in ("float", "double") and got is not None and want is not None:
            g, w = float(got), float(want)
            if abs(g - w) > abs(w) * (1e-6 if t == "float" else 1e-14): err("%s.%s: %s != %s" % (k, c, got, want))
        elif got != want:
            err("%s.%s (%s): decoded %r, SELECT %r" % (k, c, t, got, want))
print("%d records, %d rows, %d errors" % (n, len(state), errors))
sys.exit(1 if errors else 0)
EOF

# mkckpt.py OUT CKPT NAME: the checkpoint produce would write after the
# last complete record of OUT.
cat >mkckpt.py <<'EOF'
import json, sys
last = None
for line in open(sys.argv[1]):
    if line.endswith("\n"): last = json.loads(line)
s = last["source"]
pos = {k: s[k] for k in ("file", "pos", "row", "gtid", "server_id", "snapshot") if k in s}
json.dump({"version": 1, "program": "produce", "streams": {"mysql:" + sys.argv[3]: pos}}, open(sys.argv[2], "w"))
EOF

# workload.py SEED N: random statements on t.w (multi-row inserts, updates,
# primary key updates, deletes, transactions, rollbacks) as SQL.
cat >workload.py <<'EOF'
import random, sys
rnd = random.Random(int(sys.argv[1])); n = int(sys.argv[2]); base = int(sys.argv[3]) if len(sys.argv) > 3 else 0
ids = list(range(base + 1, base + 21))
print("INSERT INTO t.w VALUES " + ",".join("(%d,'v%d',%d.%02d,NOW(6))" % (i, i, i, i % 100) for i in ids) + ";")
nxt = base + 100
def stmt():
    global nxt
    k = rnd.random()
    if k < 0.3:
        vals = []
        for _ in range(rnd.randint(1, 5)):
            nxt += 1; vals.append("(%d,'n%d\\'s é',%d.5,NOW(6))" % (nxt, nxt, rnd.randint(-999, 999)))
        return "INSERT INTO t.w VALUES " + ",".join(vals) + ";"
    if k < 0.55:
        return "UPDATE t.w SET s=CONCAT(s,'+'), d=d+1 WHERE id %% %d = %d;" % (rnd.randint(2, 7), rnd.randint(0, 1))
    if k < 0.65:
        nxt += 1
        return "UPDATE t.w SET id=%d WHERE id=(SELECT id FROM (SELECT MIN(id) AS id FROM t.w) x);" % nxt
    if k < 0.8:
        return "DELETE FROM t.w WHERE id %% %d = 0 LIMIT 2;" % rnd.randint(3, 11)
    if k < 0.9:
        return "BEGIN; " + stmt() + " " + stmt() + " COMMIT;"
    return "BEGIN; " + stmt() + " ROLLBACK;"
for _ in range(n): print(stmt())
EOF

test_expect_success 'setup: a type-torture table and a workload table' '
	my -e "CREATE DATABASE t; CREATE DATABASE other" &&
	my t -e "CREATE TABLE ty (id INT PRIMARY KEY,
		ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, su SMALLINT UNSIGNED,
		mi MEDIUMINT, mu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED,
		bi BIGINT, bu BIGINT UNSIGNED, d DECIMAL(65,30), d2 DECIMAL(10,2),
		d0 DECIMAL(18,0), f FLOAT, db DOUBLE, b1 BIT(1), b12 BIT(12), b64 BIT(64),
		y YEAR, dt DATE, tm TIME, tm3 TIME(3), tm6 TIME(6), dtm DATETIME,
		dtm1 DATETIME(1), dtm3 DATETIME(3), dtm6 DATETIME(6), ts TIMESTAMP NULL,
		ts2 TIMESTAMP(2) NULL, ts6 TIMESTAMP(6) NULL, c CHAR(10), c255 CHAR(255),
		vc VARCHAR(300), vs VARCHAR(10), l1 VARCHAR(20) CHARACTER SET latin1,
		lc CHAR(5) CHARACTER SET latin1, tt TINYTEXT, tx TEXT, mt MEDIUMTEXT,
		lt LONGTEXT, bn BINARY(4), vb VARBINARY(10), tb TINYBLOB, bl BLOB,
		mb MEDIUMBLOB, lb LONGBLOB, e ENUM(\"a\",\"b\",\"c\"), s SET(\"x\",\"y\",\"z\"),
		j JSON, g GEOMETRY, pt POINT) DEFAULT CHARSET=utf8mb4" &&
	my t -e "CREATE TABLE w (id BIGINT PRIMARY KEY, s VARCHAR(200), d DECIMAL(12,2), t DATETIME(6)) DEFAULT CHARSET=utf8mb4" &&
	my other -e "CREATE TABLE x (id INT PRIMARY KEY, v INT)"
'

cat >torture.sql <<'EOF'
SET time_zone='+00:00';
INSERT INTO t.ty VALUES (1,-128,255,-32768,65535,-8388608,16777215,-2147483648,4294967295,
 -9223372036854775808,18446744073709551615,
 '-12345678901234567890123456789012345.123456789012345678901234567890', -99999999.99,
 999999999999999999, 3.40282e38, -1.7976931348623157e308, 1, 4095, 18446744073709551615,
 2155, '9999-12-31', '-838:59:59', '838:59:59.999', '-00:00:01.000001',
 '1000-01-01 00:00:00', '2026-11-25 12:00:00.1', '2026-11-25 12:00:00.123', '9999-12-31 23:59:59.999999',
 '2038-01-19 03:14:07', '1970-01-01 00:00:01.01', '2000-02-29 12:34:56.000001',
 'abc', REPEAT('z', 255), 'héllo 😀 "q" \\ \n\t\r\0 end', '', 'Ångström ×', 'ÿ€',
 't', 'text 中文', 'medium', REPEAT('long ', 1000), 0x00ff0102, 0x0001, 0x00, 0xdeadbeef,
 REPEAT(0xab, 70000), X'', 'b', 'x,z', '{"a":[1,2.5,null,true],"b":"s","n":{"k":-1}}',
 ST_GeomFromText('LINESTRING(0 0,1 1.5,-2 3)'), ST_GeomFromText('POINT(1 2)'));
INSERT INTO t.ty (id) VALUES (2), (3);
INSERT INTO t.ty (id, ti, tu, bi, bu, d, d2, d0, f, db, b1, b12, b64, y, dt, tm, tm6, dtm, dtm6, ts, ts6, c, vc, e, s)
 VALUES (4, 127, 0, 9223372036854775807, 0, 0, 0.01, -1, -0.5, 1e-300, 0, 1, 0, 1901,
 '1000-01-01', '00:00:00', '838:59:59.000000', '2026-01-01 00:00:00', '2026-01-01 00:00:00.000000',
 '1970-01-01 00:00:01', '2038-01-19 03:14:07.999999', '', 'x', 'a', ''),
 (5, 0, 1, -1, 1, '0.000000000000000000000000000001', -0.01, 0, 1.17549e-38, 2.2250738585072014e-308, 1, 2048, 9223372036854775808, 1970,
 '0000-00-00', '-00:00:00.5', '-12:00:00.5', '0000-00-00 00:00:00', '1970-01-01 00:00:00.5', NULL, NULL, 'a b', 'ÿ', 'c', 'x,y,z');
UPDATE t.ty SET ti = -ti - 1, vc = CONCAT(vc, '+'), j = '[]', d = -d WHERE id IN (1, 4);
UPDATE t.ty SET lt = 'short now', mb = 0x01, g = ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))') WHERE id = 1;
DELETE FROM t.ty WHERE id = 2;
UPDATE t.ty SET id = 30 WHERE id = 3;
INSERT INTO other.x VALUES (1, 1);
EOF

test_expect_success 'every type: decoded values equal what SELECT returns' '
	my <torture.sql &&
	$B2J -e --snapshot=never -t "t.ty" >ty.jsonl &&
	test_line_count = 10 ty.jsonl &&
	python3 replay.py ty.jsonl t ty id "$MYSOCK"
'

test_expect_success 'edge values come out exactly as expected' '
	head -1 ty.jsonl >row1 &&
	test_grep "\"bu\":18446744073709551615," row1 &&
	test_grep "\"d\":\"-12345678901234567890123456789012345.123456789012345678901234567890\"" row1 &&
	test_grep "\"tm\":\"-838:59:59\"" row1 &&
	test_grep "\"tm6\":\"-00:00:01.000001\"" row1 &&
	test_grep "\"dtm1\":\"2026-11-25T12:00:00.1\"" row1 &&
	test_grep "\"ts2\":\"1970-01-01T00:00:01.01Z\"" row1 &&
	test_grep "\"b12\":4095" row1 &&
	test_grep "\"l1\":\"Ångström ×\"" row1 &&
	test_grep "\"bn\":\"AP8BAg==\"" row1 &&
	test_grep "\"e\":\"b\",\"s\":\"x,z\"" row1 &&
	sed -n 5p ty.jsonl >row5 &&
	test_grep "\"dt\":\"0000-00-00\"" row5 &&
	test_grep "\"dtm\":\"0000-00-00T00:00:00\"" row5
'

test_expect_success 'records: ops, source fields, and tables left out' '
	test "$(jq -r .op ty.jsonl | tr -d "\n")" = cccccuuudu &&
	jq -e "select(.source.connector != \"mysql\" or .source.db != \"t\" or
		.source.table != \"ty\" or .source.snapshot != \"false\" or
		(.source.gtid | test(\"^0-1-[0-9]+$\") | not) or
		(.source.file | test(\"^binlog\\\\.0+[0-9]+$\") | not) or
		.source.server_id != 1)" ty.jsonl >bad; test ! -s bad &&
	! grep -q "\"other\"" ty.jsonl
'

test_expect_success 'a randomized workload replays into the table SELECT shows' '
	python3 workload.py 42 300 >work.sql &&
	my --force <work.sql 2>work.err &&
	$B2J -e --snapshot=never -t "t.w" >w.jsonl &&
	python3 replay.py w.jsonl t w id "$MYSOCK"
'

test_expect_success 'the snapshot: op r, "last" on the last record, then streaming' '
	$B2J -e -t "t.w,t.ty" --snapshot=initial_only >snap.jsonl &&
	jq -r .op snap.jsonl | sort -u >ops && echo r >expect && test_cmp expect ops &&
	test "$(tail -1 snap.jsonl | jq -r .source.snapshot)" = last &&
	test "$(jq -r .source.snapshot snap.jsonl | sort | uniq -c | wc -l)" = 2 &&
	python3 replay.py snap.jsonl t w id "$MYSOCK" &&
	python3 replay.py snap.jsonl t ty id "$MYSOCK"
'

test_expect_success 'ALTER TABLE mid-stream: names and types follow the table' '
	start=$(my -N -e "SHOW MASTER STATUS" | awk "{print \$1\":\"\$2}") &&
	my t -e "INSERT INTO w VALUES (5001, \"before\", 1, NOW());
		ALTER TABLE w ADD COLUMN extra INT DEFAULT 7 AFTER s;
		INSERT INTO w (id, s, d) VALUES (5002, \"after\", 2);
		ALTER TABLE w DROP COLUMN extra, MODIFY d DECIMAL(14,3);
		UPDATE w SET d = 3.125 WHERE id = 5002" &&
	$B2J -e --start="$start" -t t.w >alter.jsonl &&
	test_line_count = 3 alter.jsonl &&
	sed -n 2p alter.jsonl | jq -e ".after.extra == 7" &&
	sed -n 3p alter.jsonl | jq -e ".after.d == \"3.125\" and (.after | has(\"extra\") | not)"
'

test_expect_success 'snapshot with concurrent writers: no gap, no duplicate' '
	( i=0; while test $i -lt 60; do
		my t -e "INSERT INTO w VALUES ($((10000 + i)), \"c\", $i, NOW());
			UPDATE w SET d = d + 1 WHERE id % 5 = $((i % 5));
			DELETE FROM w WHERE id = $((10000 + i - 3))" || exit 1
		i=$((i + 1))
	  done ) &
	writer=$! &&
	{ $B2J -t t.w --unbuffered --heartbeat=1s >conc.jsonl 2>conc.err & } &&
	b2j=$! &&
	wait $writer &&
	my t -e "INSERT INTO w VALUES (99999, \"marker\", 0, NOW())" &&
	wait_until 30 "the marker row" grep -q "\"marker\"" conc.jsonl &&
	kill $b2j && wait $b2j &&
	grep -q "\"snapshot\":\"last\"" conc.jsonl &&
	python3 replay.py conc.jsonl t w id "$MYSOCK"
'

test_expect_success 'kill -9, then --resume from the last record: nothing lost or repeated' '
	python3 workload.py 7 200 20000 >work2.sql &&
	my t -e "DELETE FROM w" &&
	start=$(my -N -e "SHOW MASTER STATUS" | awk "{print \$1\":\"\$2}") &&
	my --force <work2.sql 2>/dev/null &&
	my t -e "INSERT INTO w VALUES (99998, \"marker2\", 0, NOW())" &&
	$B2J -e --start="$start" -t t.w >all.jsonl &&
	total=$(wc -l <all.jsonl) &&
	test "$total" -gt 100 &&
	{ $B2J --start="$start" -t t.w --unbuffered >part1.jsonl & } &&
	b2j=$! &&
	wait_until 30 "some records" sh -c "test \$(wc -l <part1.jsonl) -ge $((total / 2))" &&
	kill -9 $b2j; wait $b2j;
	python3 mkckpt.py part1.jsonl ckpt.json mysql &&
	$B2J -e -t t.w --resume=ckpt.json >part2.jsonl &&
	cat part1.jsonl part2.jsonl >resumed.jsonl &&
	test "$(wc -l <resumed.jsonl)" = "$total" &&
	jq -c "[.source.file,.source.pos,.source.row]" resumed.jsonl | sort | uniq -d >dups &&
	test ! -s dups &&
	python3 replay.py resumed.jsonl t w id "$MYSOCK"
'

test_expect_success '--start-gtid (MariaDB): what follows a transaction, exactly; a bad set is 64' '
	jq -r .source.gtid all.jsonl | uniq >gtids &&
	test "$(wc -l <gtids)" -gt 10 &&
	g=$(sed -n 5p gtids) &&
	awk -v g="\"gtid\":\"$g\"" "seen && index(\$0, g) == 0 { print } index(\$0, g) { seen = 1 }" \
		all.jsonl >want.jsonl &&
	test -s want.jsonl &&
	$B2J -e -t t.w --start-gtid="$g" >gtid.jsonl &&
	jq -c "[.source.file,.source.pos,.source.row,.after,.before]" gtid.jsonl >got.k &&
	jq -c "[.source.file,.source.pos,.source.row,.after,.before]" want.jsonl >want.k &&
	test_cmp want.k got.k &&
	test_must_fail --status=64 $B2J -e --start-gtid=3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5 \
		--retry-time=5s >bad.jsonl 2>bad.err &&
	test ! -s bad.jsonl &&
	test_grep "start-gtid" bad.err
'

test_expect_success 'server restart and binlog rotation while streaming' '
	my t -e "DELETE FROM w" &&
	start=$(my -N -e "SHOW MASTER STATUS" | awk "{print \$1\":\"\$2}") &&
	{ $B2J --start="$start" -t t.w --unbuffered --heartbeat=1s --retry-time=60s -v \
		>restart.jsonl 2>restart.err & } &&
	b2j=$! &&
	my t -e "INSERT INTO w VALUES (1, \"a\", 1, NOW()), (2, \"b\", 2, NOW())" &&
	my -e "FLUSH LOGS" &&
	my t -e "UPDATE w SET s = \"a2\" WHERE id = 1" &&
	wait_until 20 "2 rows" sh -c "test \$(wc -l <restart.jsonl) -ge 3" &&
	my_stop && my_start &&
	my t -e "INSERT INTO w VALUES (3, \"c\", 3, NOW()); DELETE FROM w WHERE id = 2" &&
	my -e "FLUSH LOGS" &&
	my t -e "INSERT INTO w VALUES (99997, \"marker3\", 0, NOW())" &&
	wait_until 60 "the marker after the restart" grep -q marker3 restart.jsonl &&
	kill $b2j && wait $b2j &&
	test_line_count = 6 restart.jsonl &&
	test_grep reconnecting restart.err &&
	python3 replay.py restart.jsonl t w id "$MYSOCK"
'

test_expect_success 'a purged binlog is a clear error (69)' '
	first=$(my -N -e "SHOW BINARY LOGS" | head -1 | cut -f1) &&
	my -e "FLUSH LOGS" &&
	last=$(my -N -e "SHOW MASTER STATUS" | cut -f1) &&
	my -e "PURGE BINARY LOGS TO \"$last\"" &&
	test_must_fail --status=69 $B2J -e --start="$first:4" --retry-time=2s >/dev/null 2>err &&
	test_grep -i "purged" err
'

test_expect_success '--compat=debezium and --unwrap' '
	$B2J -e -t t.ty --snapshot=initial_only --compat=debezium >dbz.jsonl &&
	jq -c "select(.after.id == 4) | .after" dbz.jsonl >r4 &&
	jq -e ".dt == -354285 and .b1 == false and .tm == 0 and .dtm == 1767225600000 and
		.dtm6 == 1767225600000000 and .ts == \"1970-01-01T00:00:01Z\" and
		.bi == 9223372036854775807" r4 &&
	$B2J -e -t t.ty --snapshot=initial_only --unwrap >unw.jsonl &&
	jq -s -e "map(select(.id == 4)) | length == 1 and .[0].__op == \"r\" and
		.[0].__deleted == \"false\"" unw.jsonl
'

test_expect_success 'output errors: /dev/full is 74, a closed pipe is quiet' '
	test_must_fail --status=74 $B2J -e -t t.ty --snapshot=initial_only >/dev/full 2>err &&
	$B2J -e -t t.ty --snapshot=initial_only 2>err | head -1 >one &&
	test_line_count = 1 one && test ! -s err
'

test_expect_success 'a server that is not there: 69 after --retry-time' '
	test_must_fail --status=69 binlog2jsonl -h 127.0.0.1 -P 1 -u root \
		--retry-time=1s -e 2>err &&
	test_grep "connect" err
'

test_done
