#!/bin/bash
test_description='ch-insert: conversion to column types, flattening, mappings, dead letters'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lib-clickhouse.sh"
q=\'

test_expect_success 'unit tests of lib/chconv and lib/chhttp' '
	chconv >out &&
	test_grep "checks passed" out
'

test_expect_success 'start ClickHouse' '
	ch_start &&
	ch_query "SELECT version()" >version &&
	say "ClickHouse $(cat version)" &&
	ch_query "CREATE DATABASE t8"
'

test_expect_success 'every column type, with edge values' '
	ch_query "CREATE TABLE t8.types (
		id String, i8 Int8, u8 UInt8, i64 Int64, u64 UInt64, f32 Float32,
		f64 Float64, dec Decimal(10, 2), dec18 Decimal(18, 4), s String,
		fs FixedString(2), d Date, dt DateTime, b UInt8, e Enum8(${q}low${q} = 1, ${q}high${q} = 2),
		u UUID, n Nullable(Int32), ns Nullable(String), arr Array(String),
		ai Array(Int32), an Array(Nullable(Float64)))
		ENGINE = MergeTree ORDER BY id" &&
	cat >in.jsonl <<-\EOT &&
	{"id":"min","i8":-128,"u8":0,"i64":-9223372036854775808,"u64":0,"f32":-16777216,"f64":-1.7976931348623157e308,"dec":"-99999999.99","dec18":"-99999999999999.9999","s":"","fs":"","d":"1970-01-01","dt":"1970-01-01T00:00:00Z","b":false,"e":"low","u":"00000000-0000-0000-0000-000000000000","n":null,"ns":null,"arr":[],"ai":[],"an":[]}
	{"id":"max","i8":127,"u8":255,"i64":9223372036854775807,"u64":"18446744073709551615","f32":16777216,"f64":1.7976931348623157e308,"dec":99999999.99,"dec18":"99999999999999.9999","s":"caf\u00e9 \"q\" \\ \t","fs":"GB","d":"2105-12-31","dt":"2106-02-07T06:28:15Z","b":true,"e":2,"u":"61f0c404-5cb3-11e7-907b-a6006ad3dba0","n":2147483647,"ns":"x","arr":["a","b"],"ai":[-1,"2"],"an":[null,0.5]}
	{"id":"conv","i8":"12","u8":"true","i64":1.0,"u64":7,"f32":"0.5","f64":"1e-300","dec":12.5,"dec18":7,"s":42,"fs":"F","d":1793520902,"dt":"2026-11-01T09:15:02+01:00","b":1,"e":"high","n":"-5","ns":12.5,"arr":[1,true],"ai":["3"]}
	{"id":"epoch","d":20393,"dt":1793520902123,"s":{"nested":[1,2]}}
	EOT
	ch-insert -u "$CH_URL" -t t8.types -d dead in.jsonl &&
	test_must_fail test -s dead &&
	# Date and DateTime as numbers: 18.16 shows dates past 2105 wrapped
	ch_query "SELECT id, i8, u8, i64, u64, f32, f64, dec, dec18, s, fs,
		toUInt16(d), toUInt32(dt), b, e, u, n, ns, arr, ai, an
		FROM t8.types ORDER BY id FORMAT TSV" >got &&
	printf "%s\n" \
	"conv	12	1	1	7	0.5	1e-300	12.50	7.0000	42	F\\0	20758	1793520902	1	high	00000000-0000-0000-0000-000000000000	-5	12.5	[${q}1${q},${q}true${q}]	[3]	[]" \
	"epoch	0	0	0	0	0	0	0.00	0.0000	{\"nested\":[1,2]}	\\0\\0	20393	1793520902	0	low	00000000-0000-0000-0000-000000000000	\\N	\\N	[]	[]	[]" \
	"max	127	255	9223372036854775807	18446744073709551615	16777216	1.7976931348623157e308	99999999.99	99999999999999.9999	café \"q\" \\\\ \\t	GB	49672	4294967295	1	high	61f0c404-5cb3-11e7-907b-a6006ad3dba0	2147483647	x	[${q}a${q},${q}b${q}]	[-1,2]	[NULL,0.5]" \
	"min	-128	0	-9223372036854775808	0	-16777216	-1.7976931348623157e308	-99999999.99	-99999999999999.9999		\\0\\0	0	0	0	low	00000000-0000-0000-0000-000000000000	\\N	\\N	[]	[]	[]" >want &&
	test_cmp want got
'

test_expect_success 'bad values are rejected alone, with their reasons' '
	cat >bad.jsonl <<-\EOT &&
	{"id":"ok1","i8":1}
	{"id":"b1","i8":128}
	{"id":"b2","u8":-1}
	not json
	{"id":"b3","dec":"1.234"}
	{"id":"b4","d":"2106-01-01"}
	{"id":"b5","dt":"1969-12-31T23:59:59Z"}
	{"id":"b6","fs":"GBR"}
	{"id":"b7","e":"mid"}
	{"id":"b8","u":"nope"}
	{"id":"b9","ai":[1,"x"]}
	{"id":"b10","arr":"notarray"}
	[1,2]
	{"id":"ok2","i8":2}
	EOT
	ch-insert -u "$CH_URL" -t t8.types -d dead2 bad.jsonl 2>err &&
	test_line_count = 12 dead2 &&
	test_line_count = 12 err &&
	test_grep "^ch-insert: bad.jsonl:2: column i8 (Int8): 128 is out of range$" err &&
	test_grep "^ch-insert: bad.jsonl:4: not JSON" err &&
	test_grep "bad.jsonl:5: column dec (Decimal(10, 2)): 1.234 has more than 2 decimal places" err &&
	jq -r ".line" dead2 | tr "\n" " " >lines &&
	printf "2 3 4 5 6 7 8 9 10 11 12 13 " >want && test_cmp want lines &&
	jq -r "select(.line == 9) | .reason, .record, .file" dead2 >r9 &&
	printf "%s\n" "column e (Enum8(${q}low${q} = 1, ${q}high${q} = 2)): \"mid\" is not an element of Enum8(${q}low${q} = 1, ${q}high${q} = 2)" \
		"{\"id\":\"b7\",\"e\":\"mid\"}" bad.jsonl >want && test_cmp want r9 &&
	ch_query "SELECT id FROM t8.types WHERE id LIKE ${q}ok%${q} ORDER BY id FORMAT TSV" >got &&
	printf "ok1\nok2\n" >want && test_cmp want got
'

test_expect_success 'a server error on a batch is narrowed to the rows that caused it' '
	ch_query "CREATE TABLE t8.raw (id UInt32, v Int32) ENGINE = MergeTree ORDER BY id" &&
	awk "BEGIN { for (i = 1; i <= 1000; i++)
		if (i == 17 || i == 500 || i == 999) printf \"{\\\"id\\\":%d,\\\"v\\\":\\\"x%d\\\"}\n\", i, i;
		else printf \"{\\\"id\\\":%d,\\\"v\\\":%d}\n\", i, i }" >raw.jsonl &&
	ch-insert -r -u "$CH_URL" -t t8.raw -d dead3 raw.jsonl 2>err &&
	jq -r .line dead3 | tr "\n" " " >lines &&
	printf "17 500 999 " >want && test_cmp want lines &&
	test_grep "server: .*(HTTP [45]00)" dead3 &&
	ch_query "SELECT count(), sum(id) FROM t8.raw FORMAT TSV" >got &&
	echo "997	$((500500 - 17 - 500 - 999))" >want && test_cmp want got
'

# dflt: the INSERT (TabSeparated) leaves the column out, so the server
# computes its DEFAULT expression
test_expect_success 'nested objects flatten with _, mappings take precedence, missing fields default' '
	ch_query "CREATE TABLE t8.flat (id String, customer_credit_score Int32,
		customer_plan_type String, _kafka_topic String, score Float64,
		evidence String, cust Int32, missing_num Int64, missing_arr Array(String),
		missing_null Nullable(String), dflt UInt8 DEFAULT 7)
		ENGINE = MergeTree ORDER BY id" &&
	cat >flat.jsonl <<-\EOT &&
	{"id":"a","customer":{"credit_score":612,"plan_type":"prepaid","extra":{"x":1}},"_kafka":{"topic":"telecom-cdr","partition":0},"detail":{"score":0.75},"evidence":{"calls":31,"window":"10m"},"nope":1}
	{"id":"b","customer":null}
	EOT
	ch-insert -u "$CH_URL" -t t8.flat -m score=detail.score -m cust=customer.credit_score flat.jsonl &&
	ch_query "SELECT * FROM t8.flat ORDER BY id FORMAT TSV" >got &&
	printf "%s\n" "a	612	prepaid	telecom-cdr	0.75	{\"calls\":31,\"window\":\"10m\"}	612	0	[]	\\N	7" \
		"b	0			0		0	0	[]	\\N	7" >want &&
	test_cmp want got
'

test_expect_success 'configuration errors: no table, no column, bad option values' '
	echo "{}" >one.jsonl &&
	test_must_fail --status=78 ch-insert -u "$CH_URL" -t t8.nosuch one.jsonl 2>err &&
	test_grep "^ch-insert: table t8.nosuch: no such table (HTTP 404)$" err &&
	test_must_fail --status=78 ch-insert -u "$CH_URL" -t nodb.x one.jsonl 2>err &&
	test_must_fail --status=78 ch-insert -u "$CH_URL" -t t8.flat -m nope=a one.jsonl 2>err &&
	test_grep "no column nope" err &&
	test_must_fail --status=64 ch-insert -t t8.flat -b 0 one.jsonl 2>err &&
	test_must_fail --status=64 ch-insert one.jsonl 2>err &&
	test_grep usage err &&
	test_must_fail --status=66 ch-insert -u "$CH_URL" -t t8.flat no-such-file 2>err &&
	test_must_fail --status=78 ch-insert -u ftp://x -t t8.flat one.jsonl 2>err
'

test_expect_success 'user and password from the environment or a config file' '
	CLICKHOUSE_USER=tester CLICKHOUSE_PASSWORD=s3cret \
		ch-insert -u "$CH_URL" -t t8.flat one.jsonl &&
	test_must_fail --status=78 env CLICKHOUSE_USER=tester CLICKHOUSE_PASSWORD=bad \
		ch-insert -u "$CH_URL" -t t8.flat one.jsonl 2>err &&
	test_grep "HTTP 401" err &&
	printf "# ch-insert\nurl = %s\nuser = tester\npassword = s3cret\n" "$CH_URL" >conf &&
	ch-insert -C conf -t t8.flat one.jsonl &&
	printf "user tester\n" >conf2 &&
	test_must_fail --status=78 ch-insert -C conf2 -t t8.flat one.jsonl 2>err &&
	test_grep "conf2:1: expected key = value" err
'

test_expect_success '--max-errors stops with 65 after the good rows are stored' '
	ch_query "CREATE TABLE t8.me (id Int32) ENGINE = MergeTree ORDER BY id" &&
	printf "{\"id\":1}\n{\"id\":\"x\"}\n{\"id\":2}\n{\"id\":\"y\"}\n{\"id\":3}\n" >me.jsonl &&
	test_must_fail --status=65 ch-insert -e 1 -u "$CH_URL" -t t8.me me.jsonl 2>err &&
	test_grep "me.jsonl:4: more than 1 records rejected" err &&
	ch_query "SELECT groupArray(id) FROM t8.me" >got &&
	echo "[1,2]" >want && test_cmp want got
'

test_expect_success 'statistics as JSON lines and a Prometheus file' '
	ch-insert -u "$CH_URL" -t t8.me -s 1h --stats-file prom me.jsonl 2>err &&
	test_grep "^{\"stats\":\"ch-insert\",.*\"rows_in\":5,\"rows_out\":3,\"rows_rejected\":2" err &&
	test_grep "^telco_ch_insert_rows_out 3$" prom
'

test_expect_success 'a pipe that ends inside a line: said, not dead-lettered, exit 74' '
	ch_query "CREATE TABLE t8.frag (id Int32) ENGINE = MergeTree ORDER BY id" &&
	{ printf "{\"id\":1}\n{\"id\":2}\n" && printf "{\"id\":"; } |
	test_must_fail --status=74 ch-insert -u "$CH_URL" -t t8.frag -d fdead -s 1h 2>err &&
	test_grep "^ch-insert: <stdin>:3: the input ends inside a line (6 bytes; its writer stopped before the newline): not taken$" err &&
	test_grep "\"rows_out\":2,.*\"fragments\":1" err &&
	test_must_fail test -s fdead &&
	ch_query "SELECT groupArray(id) FROM t8.frag" >got &&
	echo "[1,2]" >want && test_cmp want got &&
	# a whole record without its newline is stored
	printf "{\"id\":3}" | ch-insert -u "$CH_URL" -t t8.frag &&
	ch_query "SELECT count() FROM t8.frag" >got &&
	echo 3 >want && test_cmp want got
'

test_expect_success 'barrier records: only {"_barrier":N} alone, never inserted' '
	ch_query "CREATE TABLE t8.bar (n Int32, _barrier String) ENGINE = MergeTree ORDER BY n" &&
	printf "%s\n" "{\"n\":1}" "{\"_barrier\":5}" "	{ \"_barrier\" :	6 } " \
		"{\"n\":2,\"_barrier\":\"a\"}" "{\"_barrier\":3,\"x\":1}" \
		"{\"_barrier\":-1}" "{\"_barrier\":1.5}" "{\"_barrier\":\"7\"}" \
		"{\"_barrier\":8}" "{\"n\":3}" "{\"\\u005fbarrier\":9}" "{\"n\":4}" >bar.jsonl &&
	ch-insert -u "$CH_URL" -t t8.bar -c ck.bar -d dead.bar -s 1h \
		--stats-file bar.prom bar.jsonl 2>err &&
	test_must_fail test -s dead.bar &&
	ch_query "SELECT n, _barrier FROM t8.bar ORDER BY n, _barrier FORMAT TSV" >got &&
	printf "%s\n" "0	-1" "0	1.5" "0	3" "0	7" "1	" "2	a" "3	" "4	" >want &&
	test_cmp want got &&
	jq -c "{barrier, streams}" ck.bar >got &&
	echo "{\"barrier\":9,\"streams\":{}}" >want && test_cmp want got &&
	test_grep "\"rows_in\":8,\"rows_out\":8,.*\"batches\":[0-9]*,\"barriers\":4," err &&
	test_grep "^telco_ch_insert_barriers 4$" bar.prom
'

test_expect_success 'barrier records with -r and -f json' '
	ch_query "CREATE TABLE t8.bar2 (n Int32) ENGINE = MergeTree ORDER BY n" &&
	printf "%s\n" "{\"n\":1}" "{\"_barrier\":1}" "{\"n\":2}" >bar2.jsonl &&
	ch-insert -r -u "$CH_URL" -t t8.bar2 -c ck.raw -d dead.raw bar2.jsonl &&
	ch-insert -f json -u "$CH_URL" -t t8.bar2 -c ck.json -d dead.json bar2.jsonl &&
	test_must_fail test -s dead.raw && test_must_fail test -s dead.json &&
	jq -e ".barrier == 1" ck.raw && jq -e ".barrier == 1" ck.json &&
	ch_query "SELECT groupArray(n) FROM (SELECT n FROM t8.bar2 ORDER BY n)" >got &&
	echo "[1,1,2,2]" >want && test_cmp want got
'

test_expect_success 'gzip off and on give the same rows' '
	ch_query "CREATE TABLE t8.gz (id Int32) ENGINE = MergeTree ORDER BY id" &&
	seq 1 5000 | sed "s/.*/{\"id\":&}/" >gz.jsonl &&
	ch-insert -z 0 -u "$CH_URL" -t t8.gz gz.jsonl &&
	ch-insert -z 9 -b 1000 -u "$CH_URL" -t t8.gz gz.jsonl &&
	ch_query "SELECT count(), sum(id) FROM t8.gz FORMAT TSV" >got &&
	echo "10000	25005000" >want && test_cmp want got
'

test_done
