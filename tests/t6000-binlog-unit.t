#!/bin/bash
test_description='binlog decoder units on real MySQL 5.7/8.0 and MariaDB 10.11 binlog files'
. "$(dirname "$0")/lib.sh"

# The MySQL files are the shared fixtures (read-only, beside the clone);
# the MariaDB one was recorded for this test (tests/data/binlog).
FIXTURES=$TOP/../shared/fixtures/mysql-binlog

test_expect_success 'the fixtures are there' '
	test -f "$FIXTURES/mysql-8.0/31_update_rows_v2/binlog.000001" &&
	test -f "$TOP/tests/data/binlog/mariadb-10.11.binlog"
'

test_expect_success 'events, rows v1/v2, TRANSACTION_PAYLOAD, checksums, values' '
	binlog "$FIXTURES" "$TOP/tests/data/binlog" >out 2>&1 || { cat out; false; } &&
	cat out &&
	test_grep " 0 failed" out
'

test_expect_success 'mariadb-binlog agrees on the MariaDB file: the row values' '
	command -v mariadb-binlog >/dev/null || { echo "mariadb-binlog missing"; false; } &&
	mariadb-binlog -v "$TOP/tests/data/binlog/mariadb-10.11.binlog" >dump.txt &&
	test_grep "@20=-8388608" dump.txt &&
	test_grep "@19=.*(65535)" dump.txt &&
	test_grep "@3=.compressed compressed compressed ." dump.txt &&
	test_grep "@21=42" dump.txt
'

# schemacheck.py FILE: each record of binlog2jsonl --schemas is
# {"schema","payload"}; the row structs' fields are the rows' keys, in
# order, of the types the values have; the same columns, the same text.
cat >schemacheck.py <<'EOF'
import base64, json, sys
INT = {"int8": 7, "int16": 15, "int32": 31, "int64": 63}
def ok(s, v):
    if v is None: return s["optional"]
    t = s["type"]
    src = s.get("parameters", {}).get("__debezium.source.column.type", "")
    if t == "struct":
        return isinstance(v, dict) and [f["field"] for f in s["fields"]] == list(v) and \
            all(ok(f, v[f["field"]]) for f in s["fields"])
    if t in INT:
        hi = 2 ** 64 if src in ("BIGINT UNSIGNED", "BIT") else 2 ** INT[t]
        return isinstance(v, int) and not isinstance(v, bool) and -2 ** INT[t] <= v < hi
    if t in ("float32", "float64"): return isinstance(v, (int, float)) and not isinstance(v, bool)
    if t == "boolean": return isinstance(v, bool)
    if t == "bytes": return isinstance(v, str) and base64.b64decode(v, validate=True) is not None
    if t == "string": return isinstance(v, str) or s.get("name") == "io.debezium.data.Json"
    return False
texts, n = {}, 0
for line in open(sys.argv[1]):
    n += 1
    r = json.loads(line)
    assert list(r) == ["schema", "payload"], "%d: keys" % n
    assert ok(r["schema"], r["payload"]), "%d: the payload does not fit its schema" % n
    t = line[len('{"schema":'):line.index(',"payload":{')]
    p = r["payload"]
    k = (p["source"]["db"], p["source"]["table"], tuple(p["after"] or p["before"]))
    assert texts.setdefault(k, t) == t, "%d: another schema for %s" % (n, k)
print("%d records, %d tables" % (n, len(texts)))
EOF

test_expect_success '--schemas on the files: every record fits its schema, the payload is the record' '
	for f in "$TOP/tests/data/binlog/mariadb-10.11.binlog" \
		"$FIXTURES"/mysql-8.0/*/binlog.0* "$FIXTURES"/mysql-5.7/mysql-bin.*; do
		for enc in plain debezium; do
			binlog2jsonl --compat=$enc --schemas "$f" >s.jsonl &&
			binlog2jsonl --compat=$enc "$f" >p.jsonl &&
			python3 schemacheck.py s.jsonl &&
			jq -c ".payload | del(.ts_ms)" s.jsonl >s.pay &&
			jq -c "del(.ts_ms)" p.jsonl >p.pay &&
			test_cmp p.pay s.pay || return 1
		done
	done &&
	binlog2jsonl --schemas "$TOP/tests/data/binlog/mariadb-10.11.binlog" | head -1 >one &&
	jq -e "(.payload.after | keys_unsorted) as \$k |
		.schema.name == \"mysql.shop.t.Envelope\" and
		(.schema.fields[1].fields | map(.field)) == \$k and (\$k | length) == 20" one
'

test_done
