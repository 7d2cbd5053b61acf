#!/bin/bash
test_description='ch-insert -f tsv: the same rows as JSONEachRow, whatever the values; column sets; refusals'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lib-clickhouse.sh"

COLS="id UInt32, s String, n Nullable(String), f Float64, d Decimal(12, 3),
	day Date, t DateTime, a Array(String), an Array(Nullable(UInt32)),
	aa Array(Array(UInt8)), fs FixedString(4), e Enum8('one' = 1, 'two' = 2),
	u UUID, ni Nullable(Int64),
	dflt String DEFAULT concat('d', toString(id)), m UInt64 MATERIALIZED id * 2"
# every column, as text, in one order: the two tables must agree on it.
# Not dflt: a row without it gets its DEFAULT expression in TabSeparated
# (the column is left out of that INSERT), while 18.16's JSONEachRow
# stores the type's default for a field a row leaves out (later releases
# compute the expression there too: input_format_defaults_for_omitted_fields).
DUMP="SELECT id, s, n, f, d, day, toUInt32(t), a, an, aa, fs, e, u, ni, m
	FROM tsv.TABLE ORDER BY id FORMAT TabSeparated"

test_expect_success 'start ClickHouse; two tables of every kind of column' '
	ch_start &&
	ch_query "CREATE DATABASE tsv" &&
	ch_query "CREATE TABLE tsv.j ($COLS) ENGINE = MergeTree ORDER BY id" &&
	ch_query "CREATE TABLE tsv.t ($COLS) ENGINE = MergeTree ORDER BY id"
'

# Strings with every byte TabSeparated escapes, quotes and backslashes in
# and out of arrays, Unicode escapes (a surrogate pair), nulls, numbers
# where strings go, missing fields of each kind.
test_expect_success 'records with hard values' '
	python3 - >in.jsonl <<-\PY
	import json, random
	random.seed(7)
	hard = ["tab\there", "nl\nhere", "cr\rhere", "back\\slash", "quote\"d",
	        "single'"'"'q", "\b\f", "\u00e9\u4e2d\U0001F600", "",
	        "\\t literal", "[not, an] array", "a,b"]
	for i in range(1, 3001):
	    r = {"id": i}
	    if i % 7: r["s"] = random.choice(hard) + str(i)
	    if i % 3: r["n"] = None if i % 2 else random.choice(hard)
	    if i % 5: r["f"] = random.choice([0.5, -1e100, 3, "2.25", 1.0e-7])
	    if i % 4: r["d"] = random.choice(["123456789.125", -0.5, 7, "0.001"])
	    if i % 6: r["day"] = random.choice(["2026-12-01", "1970-01-01T23:59:59Z", 20000])
	    if i % 8: r["t"] = random.choice(["2026-12-01T10:11:12Z", 5, 1796161694, "2026-12-01T10:11:12+02:00"])
	    if i % 9: r["a"] = random.sample(hard, random.randint(0, 4))
	    if i % 10: r["an"] = [None, 1, 4294967295][: random.randint(0, 3)]
	    if i % 11: r["aa"] = [[1, 2], [], [255]][: random.randint(0, 3)]
	    if i % 12: r["fs"] = random.choice(["abcd", "ab", ""])
	    if i % 13: r["e"] = random.choice(["one", "two", 2])
	    if i % 14: r["u"] = "123e4567-e89b-12d3-a456-4266141740%02d" % (i % 100)
	    if i % 16: r["ni"] = random.choice([None, -9223372036854775808, 9223372036854775807, True])
	    if i % 17 == 0: r["dflt"] = "given" + str(i)
	    r["unknown"] = {"x": [1, {"y": "z"}]}
	    print(json.dumps(r, ensure_ascii=(i % 2 == 0)))
	PY
	test_line_count = 3000 in.jsonl
'

test_expect_success '-f tsv stores what -f json stores, column by column' '
	ch-insert -u "$CH_URL" -t tsv.j -f json -b 500 --stats-file j.prom in.jsonl &&
	ch-insert -u "$CH_URL" -t tsv.t -f tsv -b 500 --stats-file t.prom in.jsonl &&
	ch_query "$(echo "$DUMP" | sed s/TABLE/j/)" >j.tsv &&
	ch_query "$(echo "$DUMP" | sed s/TABLE/t/)" >t.tsv &&
	test_line_count = 3000 j.tsv &&
	test_cmp j.tsv t.tsv &&
	grep -q "^telco_ch_insert_rows_out 3000" t.prom &&
	grep -q "^telco_ch_insert_rows_rejected 0" t.prom &&
	# the bodies were TabSeparated: smaller than the JSON ones
	jb=$(awk "/^telco_ch_insert_bytes_sent/ { print \$2 }" j.prom) &&
	tb=$(awk "/^telco_ch_insert_bytes_sent/ { print \$2 }" t.prom) &&
	test "$tb" -lt "$jb"
'

test_expect_success 'a missing DEFAULT column is computed by the server; rows with and without it in separate inserts' '
	q=$(printf "\047") &&
	test "$(ch_query "SELECT count() FROM tsv.t WHERE dflt = concat(${q}d${q}, toString(id))")" = \
		"$(grep -vc "\"dflt\"" in.jsonl)" &&
	test "$(ch_query "SELECT count() FROM tsv.t WHERE dflt LIKE ${q}given%${q}")" = \
		"$(grep -c "\"dflt\"" in.jsonl)" &&
	test "$(ch_query "SELECT count() FROM tsv.t WHERE m = id * 2")" = 3000
'

test_expect_success 'a value that does not convert is dead-lettered with its line, the rest stored' '
	ch_query "CREATE TABLE tsv.small (id UInt32, day Date) ENGINE = MergeTree ORDER BY id" &&
	printf "%s\n" "{\"id\":1,\"day\":\"2026-01-01\"}" "{\"id\":2,\"day\":\"not a day\"}" \
		"{\"id\":3,\"day\":\"2026-01-03\"}" >small.jsonl &&
	ch-insert -u "$CH_URL" -t tsv.small -f tsv -d dead.jsonl small.jsonl 2>err &&
	test "$(ch_query "SELECT groupArray(id) FROM (SELECT id FROM tsv.small ORDER BY id)")" = "[1,3]" &&
	test_line_count = 1 dead.jsonl &&
	test_grep "\"line\":2," dead.jsonl &&
	test_grep "small.jsonl:2: " err
'

test_expect_success '-f tsv on a table whose columns have no TabSeparated form: 78, named' '
	ch_query "CREATE TABLE tsv.tup (id UInt32, p Tuple(UInt8, String)) ENGINE = MergeTree ORDER BY id" &&
	echo "{\"id\":1}" >one.jsonl &&
	test_must_fail --status=78 ch-insert -u "$CH_URL" -t tsv.tup -f tsv one.jsonl 2>err &&
	test_grep "column p" err &&
	ch-insert -u "$CH_URL" -t tsv.tup one.jsonl &&
	test "$(ch_query "SELECT count() FROM tsv.tup")" = 1 &&
	test_must_fail --status=64 ch-insert -u "$CH_URL" -t tsv.tup -f xml one.jsonl 2>err &&
	test_must_fail --status=64 ch-insert -u "$CH_URL" -t tsv.tup -r -f tsv one.jsonl 2>err
'

test_done
