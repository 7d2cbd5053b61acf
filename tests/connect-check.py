"""connect-check.py: change records in Kafka Connect's JsonConverter form.

    python3 tests/connect-check.py FILE PREFIX CONNECTOR [options]

Every line of FILE must be {"schema","payload"}: the envelope (or, with
--unwrap, the flat row) of Debezium named after PREFIX (server.db or
server.schema) and the table, the source struct of CONNECTOR (mysql,
postgresql), and each value of the form its field's schema says, as
Kafka Connect's JsonConverter reads it.
  --unwrap   the flat form; a truncate without a row has no schema
  --partial  a row may leave columns out (PostgreSQL's key-only old row):
             its keys are the fields in order, some missing, read as null
  --unfit    text of infinity and NaN in a field that is not a string is
             counted, not an error (the values pgcdc2jsonl(1) says do not fit)
"""
import base64, json, re, sys

path, prefix, connector = sys.argv[1:4]
opts = set(sys.argv[4:])
unwrap, partial, allow_unfit = "--unwrap" in opts, "--partial" in opts, "--unfit" in opts
INT = {"int8": 7, "int16": 15, "int32": 31, "int64": 63}
UNFIT = ("infinity", "-infinity", "NaN", "Infinity", "-Infinity")
n = unfit = 0


def bad(msg):
    print("%s:%d: %s" % (path, n, msg))
    sys.exit(1)


def check(s, v, where):
    global unfit
    if v is None:
        if not s["optional"]:
            bad("%s: null in a required field" % where)
        return
    t = s["type"]
    src = s.get("parameters", {}).get("__debezium.source.column.type", "")
    if allow_unfit and t != "string" and v in UNFIT:
        unfit += 1
        return
    if t == "struct":
        if not isinstance(v, dict):
            bad("%s: not an object" % where)
        names = [f["field"] for f in s["fields"]]
        keys = [k for k in names if k in v] if partial else names
        if keys != list(v):
            bad("%s: fields %s, keys %s" % (where, names, list(v)))
        for f in s["fields"]:
            check(f, v.get(f["field"]), where + "." + f["field"])
    elif t == "array":
        if not isinstance(v, list):
            bad("%s: %r not an array" % (where, v))
        for i, e in enumerate(v):
            check(s["items"], e, "%s[%d]" % (where, i))
    elif t in INT:
        if not isinstance(v, int) or isinstance(v, bool):
            bad("%s: %r not an integer" % (where, v))
        # an unsigned 64-bit column's plain value goes past int64 (connect.h)
        hi = 2 ** 64 if t == "int64" and src in ("BIGINT UNSIGNED", "BIT") else 2 ** INT[t]
        if not -2 ** INT[t] <= v < hi:
            bad("%s: %r out of %s" % (where, v, t))
    elif t in ("float32", "float64"):
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            bad("%s: %r not a number" % (where, v))
    elif t == "boolean":
        if not isinstance(v, bool):
            bad("%s: %r not a boolean" % (where, v))
    elif t == "string":
        # a plain JSON column embeds its document (connect.h's exception)
        if not isinstance(v, str) and s.get("name") != "io.debezium.data.Json":
            bad("%s: %r not a string" % (where, v))
    elif t == "bytes":
        if not isinstance(v, str):
            bad("%s: %r not base64" % (where, v))
        base64.b64decode(v, validate=True)
    else:
        bad("%s: type %s" % (where, t))


value_re = re.compile(r"^%s\.[a-z_]+\.Value$" % re.escape(prefix))
for line in open(path, encoding="utf-8"):
    n += 1
    r = json.loads(line)
    if unwrap and r.get("__op") == "t" and "schema" not in r:
        continue
    if list(r) != ["schema", "payload"]:
        bad("keys %s" % list(r))
    s, p = r["schema"], r["payload"]
    if s["optional"] or s["type"] != "struct":
        bad("the schema is not a required struct")
    if unwrap:
        if not value_re.match(s["name"]):
            bad("name %s" % s["name"])
    else:
        t = p["source"]["table"]
        if s["name"] != "%s.%s.Envelope" % (prefix, t):
            bad("name %s" % s["name"])
        want = ["%s.%s.Value" % (prefix, t)] * 2 + ["io.debezium.connector.%s.Source" % connector]
        if [f.get("name") for f in s["fields"][:3]] != want:
            bad("struct names %s" % [f.get("name") for f in s["fields"]])
    check(s, p, "")
print("%d records, %d values that do not fit" % (n, unfit))
sys.exit(0 if n else 1)
