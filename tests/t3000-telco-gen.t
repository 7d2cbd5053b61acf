#!/bin/bash
test_description='telco-gen: deterministic files, the contract columns, ordered events, ground truth that holds'
. "$(dirname "$0")/lib.sh"

GEN="telco-gen --customers 300 --days 2 --start 2026-11-01"

# check.py DIR: the files of DIR read with python's csv module against the
# columns and types of the data contract (written out here from
# ../shared/data-contract.md, not taken from the program), events in time
# order, and every ground-truth scenario against the events it names.
cat >check.py <<'EOF'
import csv, json, re, sys
from collections import Counter, defaultdict
from datetime import datetime, timezone
d = sys.argv[1]
ID, S, I, D, F, B, TS, DATE = "id", "s", "i", "d", "f", "b", "ts", "date"
contract = {
 "customer_profiles": [("customer_id", ID), ("customer_name", S), ("age", I), ("gender", S),
   ("location", S), ("account_creation_date", DATE), ("plan_type", S), ("monthly_spending", D),
   ("credit_score", I), ("avg_payment_delay", I), ("last_updated", TS)],
 "device_information": [("device_id", I), ("customer_id", ID), ("device_model", S),
   ("os_version", S), ("imei", ID), ("device_status", S), ("last_updated", TS)],
 "payment_transactions": [("transaction_id", I), ("customer_id", ID), ("transaction_date", TS),
   ("amount", D), ("payment_method", S), ("status", "completed failed pending refunded chargeback"),
   ("created_at", TS)],
 "customer_behavior": [("behavior_id", I), ("customer_id", ID), ("avg_session_duration", I),
   ("app_usage_hours", D), ("favorite_service", S), ("last_login", TS), ("created_at", TS)],
 "complaints_feedback": [("complaint_id", I), ("customer_id", ID), ("complaint_type", S),
   ("severity", "low medium high critical"), ("status", "open in_progress resolved closed"),
   ("created_at", TS), ("resolved_at", TS)],
 "telecom-cdr": [("cdr_id", ID), ("customer_id", ID), ("msisdn", ID), ("other_msisdn", ID),
   ("direction", "MO MT"), ("call_type", "voice sms data"), ("start_time", TS), ("duration_s", I),
   ("answered", B), ("cell_id", ID), ("imei", ID), ("imsi", ID), ("destination_country", S),
   ("roaming", B), ("visited_country", S), ("charge", D)],
 "telecom-sdr": [("sdr_id", ID), ("customer_id", ID), ("imsi", ID), ("msisdn", ID),
   ("event_time", TS), ("event_type", "attach detach location_update auth_request auth_failure call_setup sms_mo"),
   ("protocol", "MAP Diameter SIP"), ("cell_id", ID), ("result_code", I)],
 "telecom-location": [("customer_id", ID), ("msisdn", ID), ("event_time", TS), ("cell_id", ID),
   ("latitude", F), ("longitude", F), ("country", S)],
 "telecom-network": [("cell_id", ID), ("event_time", TS), ("cpu_load", F), ("call_drop_rate", F),
   ("latency_ms", I), ("throughput_mbps", F), ("active_subscribers", I)],
 "telecom-security": [("event_id", ID), ("customer_id", ID), ("event_time", TS),
   ("event_type", "sim_swap imei_change password_reset login_failure port_out_request"),
   ("imei", ID), ("imsi", ID), ("source_ip", S), ("channel", "store web app call_center")],
 "telecom-service": [("usage_id", ID), ("customer_id", ID), ("event_time", TS),
   ("service_type", "premium_sms vas_subscription data_bundle international_topup app_purchase"),
   ("service_name", S), ("amount", D), ("units", I)],
}
pat = {I: r"-?\d+", D: r"-?\d+\.\d+|-?\d+", F: r"-?\d+(\.\d+)?([eE][-+]?\d+)?",
       B: r"true|false", TS: r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", DATE: r"\d{4}-\d\d-\d\d"}
bad = 0
def fail(msg):
    global bad
    bad += 1
    if bad < 20: print(msg)
rows = {}
for name, cols in contract.items():
    with open(f"{d}/{name}.csv", newline="", encoding="utf-8") as f:
        r = csv.reader(f)
        hdr = next(r)
        if hdr != [c for c, _ in cols]: fail(f"{name}: header {hdr}")
        data = []
        for ln, row in enumerate(r, 2):
            if len(row) != len(cols):
                fail(f"{name}:{ln}: {len(row)} fields"); continue
            for v, (c, t) in zip(row, cols):
                if v == "": continue
                if t in pat:
                    if not re.fullmatch(pat[t], v): fail(f"{name}:{ln}: {c}: {v!r} is not {t}")
                elif " " in t and v not in t.split(): fail(f"{name}:{ln}: {c}: {v!r} not in ({t})")
            data.append(dict(zip(hdr, row)))
    rows[name] = data
    if not data: fail(f"{name}: no rows")
# events in time order
def ts(v): return datetime.strptime(v[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp()
for name in contract:
    if not name.startswith("telecom-"): continue
    tcol = "start_time" if name == "telecom-cdr" else "event_time"
    times = [r[tcol] for r in rows[name]]
    for i in range(1, len(times)):
        if times[i] < times[i - 1]:
            fail(f"{name}:{i + 2}: {times[i]} before {times[i - 1]}"); break
# the primary keys of the tables are unique, events refer to known customers
custs = {r["customer_id"] for r in rows["customer_profiles"]}
for name, key in [("customer_profiles", "customer_id"), ("device_information", "device_id"),
                  ("payment_transactions", "transaction_id"), ("customer_behavior", "behavior_id"),
                  ("complaints_feedback", "complaint_id"), ("telecom-cdr", "cdr_id"),
                  ("telecom-sdr", "sdr_id"), ("telecom-security", "event_id"), ("telecom-service", "usage_id")]:
    keys = [r[key] for r in rows[name]]
    if len(set(keys)) != len(keys): fail(f"{name}: {key} not unique")
    for r in rows[name]:
        if name != "customer_profiles" and r["customer_id"] not in custs:
            fail(f"{name}: {key} {r[key]}: unknown customer {r['customer_id']}"); break
active = Counter(r["customer_id"] for r in rows["device_information"] if r["device_status"] == "active")
if any(active[c] != 1 for c in custs): fail("not every customer has exactly one active device")
# ground truth
idcol = {"telecom-cdr": "cdr_id", "telecom-sdr": "sdr_id", "telecom-security": "event_id",
         "telecom-service": "usage_id"}
index = {s: {r[c]: r for r in rows[s]} for s, c in idcol.items()}
byrule = Counter()
changes = {}
try:
    for l in open(sys.argv[2]):
        c = json.loads(l); changes[c["id"]] = c
except IndexError:
    pass
nscen = nchg = 0
for ln, l in enumerate(open(f"{d}/ground-truth.jsonl"), 1):
    s = json.loads(l)
    nscen += 1
    for k in ("scenario_id", "rule", "near_miss", "customer_id", "msisdn", "start", "end", "events"):
        if k not in s: fail(f"ground-truth:{ln}: no {k}")
    byrule[(s["rule"], s["near_miss"])] += 1
    if s["customer_id"] not in custs: fail(f"ground-truth:{ln}: unknown customer")
    n = 0
    for stream, ids in s["events"].items():
        for e in ids:
            n += 1
            if stream == "telecom-location":
                r = rows[stream][e - 1] if isinstance(e, int) and 0 < e <= len(rows[stream]) else None
            else:
                r = index[stream].get(e)
            if r is None:
                fail(f"ground-truth:{ln}: {stream} {e}: no such event"); continue
            if r["customer_id"] != s["customer_id"]:
                fail(f"ground-truth:{ln}: {stream} {e}: customer {r['customer_id']}")
            t = r.get("start_time") or r["event_time"]
            if not s["start"] <= t <= s["end"]:
                fail(f"ground-truth:{ln}: {stream} {e}: {t} outside {s['start']}..{s['end']}")
            if "msisdn" in r and r["msisdn"] != s["msisdn"]:
                fail(f"ground-truth:{ln}: {stream} {e}: msisdn {r['msisdn']}")
    if n == 0: fail(f"ground-truth:{ln}: no events")
    ch = s.get("change")
    if ch:
        nchg += 1
        if changes and (ch["id"] not in changes or changes[ch["id"]].get("scenario") != s["scenario_id"]
                        or changes[ch["id"]]["at"] != ch["at"]):
            fail(f"ground-truth:{ln}: change {ch['id']} not in the change script as such")
    # a few rules recomputed from the events named (positives over the
    # threshold, near misses under it)
    rule, near = s["rule"], s["near_miss"]
    evs = {st: [index[st][e] for e in ids if e in index.get(st, {})] for st, ids in s["events"].items()}
    fired = None
    if rule == "wangiri":
        calls = [r for r in evs.get("telecom-cdr", []) if r["direction"] == "MO" and r["call_type"] == "voice"
                 and (int(r["duration_s"]) <= 3 or r["answered"] == "false")]
        best = 0
        for i, a in enumerate(calls):
            win = {b["other_msisdn"] for b in calls[i:] if ts(b["start_time"]) - ts(a["start_time"]) <= 600}
            best = max(best, len(win))
        fired = best >= 30
    elif rule == "auth_failure_burst":
        f = [ts(r["event_time"]) for r in evs.get("telecom-sdr", []) if r["event_type"] == "auth_failure"]
        fired = any(sum(1 for u in f[i:] if u - t <= 300) >= 10 for i, t in enumerate(f))
    elif rule == "premium_rate_abuse":
        v = [(ts(r["event_time"]), float(r["amount"])) for r in evs.get("telecom-service", [])
             if r["service_type"] in ("premium_sms", "vas_subscription")]
        fired = any(sum(a for u, a in v if 0 <= u - t < 86400) > 100 for t, _ in v)
    elif rule == "roaming_spike":
        v = [(ts(r["start_time"]), float(r["charge"])) for r in evs.get("telecom-cdr", []) if r["roaming"] == "true"]
        fired = any(sum(a for u, a in v if 0 <= u - t < 4 * 3600) > 200 for t, _ in v)
    if fired is not None and fired == near:
        fail(f"ground-truth:{ln}: {rule} near_miss={near} but its events {'do' if fired else 'do not'} fire it")
rules = ["subscription_fraud", "new_account_abuse", "wangiri", "simbox", "irsf", "impossible_travel",
         "sim_swap_takeover", "imei_mismatch", "roaming_spike", "premium_rate_abuse", "payment_risk",
         "auth_failure_burst"]
for r in rules:
    if byrule[(r, False)] == 0: fail(f"no scenario of {r}")
    if byrule[(r, True)] == 0: fail(f"no near miss of {r}")
if changes and nchg == 0: fail("no scenario depends on a change")
print(f"{sum(len(v) for v in rows.values())} rows, {nscen} scenarios, {nchg} with a change, {bad} problems")
sys.exit(1 if bad else 0)
EOF

test_expect_success 'the same seed gives the same bytes' '
	$GEN --seed 7 --changes a.changes -o a &&
	$GEN --seed 7 --changes b.changes -o b &&
	ls a >files && test_line_count = 13 files &&
	for f in $(cat files); do cmp a/$f b/$f || return 1; done &&
	cmp a.changes b.changes
'

test_expect_success 'another seed gives other data' '
	$GEN --seed 8 --changes c.changes -o c &&
	for f in customer_profiles.csv telecom-cdr.csv telecom-sdr.csv \
		telecom-location.csv ground-truth.jsonl; do
		! cmp -s a/$f c/$f || { echo "$f is the same" >&2; return 1; }
	done &&
	! cmp -s a.changes c.changes
'

test_expect_success 'every CSV file parses with csv2kafka --stdout, one record per row' '
	for f in a/*.csv; do
		csv2kafka --stdout "$f" >out.jsonl 2>err &&
		test_must_fail test -s err &&
		rows=$(($(wc -l <"$f") - 1)) &&
		test "$rows" -gt 0 &&
		test_line_count = "$rows" out.jsonl || return 1
	done &&
	csv2kafka --stdout a/customer_profiles.csv | head -1 >one &&
	test_grep "\"credit_score\":[0-9]" one
'

test_expect_success 'the manifest counts the rows of every file' '
	python3 -c "
import json, sys
m = json.load(open(\"a/manifest.json\"))
for f, n in m[\"rows\"].items():
    got = sum(1 for _ in open(\"a/\" + f)) - (0 if f.endswith(\".jsonl\") else 1)
    if got != n: sys.exit(f\"{f}: {got} rows, manifest says {n}\")
"
'

test_expect_success 'contract columns and types, time order, ground truth that names real events' '
	python3 check.py a a.changes >check.out 2>&1 || { cat check.out >&2; false; } &&
	cat check.out
'

test_expect_success 'every rule has labelled scenarios and near misses' '
	for r in subscription_fraud new_account_abuse wangiri simbox irsf \
		impossible_travel sim_swap_takeover imei_mismatch roaming_spike \
		premium_rate_abuse payment_risk auth_failure_burst; do
		grep "\"rule\":\"$r\",\"near_miss\":false" a/ground-truth.jsonl >/dev/null &&
		grep "\"rule\":\"$r\",\"near_miss\":true" a/ground-truth.jsonl >/dev/null ||
		{ echo "$r: missing" >&2; return 1; }
	done
'

test_expect_success 'scenarios that depend on a change name it, and the change script has it' '
	grep "\"change\":{\"id\":" a/ground-truth.jsonl >dep &&
	test_line_count -gt 0 dep &&
	for id in $(grep -o "\"change\":{\"id\":\"[A-Z0-9]*\"" dep | cut -d\" -f6); do
		grep "\"id\":\"$id\"" a.changes | grep "\"scenario\":\"S" >/dev/null || return 1
	done &&
	for k in credit_score_drop payment_failed device_replaced complaint_opened; do
		grep "\"kind\":\"$k\"" a.changes >/dev/null || { echo "no $k" >&2; return 1; }
	done
'

test_expect_success '--fraud-rate and --near-miss-rate set how many scenarios there are' '
	telco-gen --seed 7 --customers 1000 --fraud-rate 0 -o r0 &&
	test_line_count = 0 r0/ground-truth.jsonl &&
	telco-gen --seed 7 --customers 1000 --fraud-rate 0.01 -o r1 &&
	telco-gen --seed 7 --customers 1000 --fraud-rate 0.03 -o r3 &&
	n1=$(wc -l <r1/ground-truth.jsonl) && n3=$(wc -l <r3/ground-truth.jsonl) &&
	test "$n3" -gt "$n1" &&
	telco-gen --seed 7 --customers 1000 --fraud-rate 0.02 --near-miss-rate 0 -o rn &&
	test_must_fail grep "\"near_miss\":true" rn/ground-truth.jsonl &&
	grep -c "\"near_miss\":false" rn/ground-truth.jsonl
'

test_expect_success '--scenarios picks rules' '
	telco-gen --seed 7 --customers 500 --scenarios wangiri,irsf -o sc &&
	grep -o "\"rule\":\"[a-z_]*\"" sc/ground-truth.jsonl | sort -u >rules &&
	printf "\"rule\":\"irsf\"\n\"rule\":\"wangiri\"\n" >expect &&
	test_cmp expect rules
'

test_expect_success '--days 3 writes three days of events' '
	telco-gen --seed 7 --customers 100 --days 1 -o d1 &&
	telco-gen --seed 7 --customers 100 --days 3 -o d3 &&
	tail -n 1 d3/telecom-cdr.csv | cut -d, -f7 >last &&
	test_grep "^2026-11-03T" last
'

test_expect_success 'bad arguments are usage errors (64)' '
	test_must_fail --status=64 telco-gen --customers 10 2>err &&
	test_grep "give -o DIR" err &&
	test_must_fail --status=64 telco-gen --customers 0 -o x 2>err &&
	test_must_fail --status=64 telco-gen --customers ten -o x 2>err &&
	test_must_fail --status=64 telco-gen --days 0 -o x 2>err &&
	test_must_fail --status=64 telco-gen --fraud-rate 1.5 -o x 2>err &&
	test_must_fail --status=64 telco-gen --start yesterday -o x 2>err &&
	test_grep "start" err &&
	test_must_fail --status=64 telco-gen --scenarios nosuchrule -o x 2>err &&
	test_grep "nosuchrule" err &&
	test_must_fail --status=64 telco-gen -o x extra 2>err &&
	test_must_fail --status=64 telco-gen --no-such-option 2>err &&
	test_grep usage err &&
	test_must_fail test -e x
'

test_expect_success 'an output folder that cannot be written: a clear message, 73' '
	mkdir ro && chmod 555 ro &&
	test_must_fail --status=73 runuser -u nobody -- telco-gen --customers 5 -o ro/out 2>err &&
	test_grep "ro/out: Permission denied" err &&
	test_must_fail --status=73 runuser -u nobody -- telco-gen --customers 5 -o ro 2>err &&
	test_grep "ro/.*: Permission denied" err &&
	: >afile &&
	test_must_fail --status=73 telco-gen --customers 5 -o afile 2>err &&
	test_grep "afile: not a folder" err &&
	test_must_fail --status=73 telco-gen --customers 5 -o ok --changes nodir/c 2>err &&
	test_grep "nodir/c: No such file" err &&
	test_must_fail test -e ok/telecom-cdr.csv &&
	telco-gen --customers 5 --changes new/changes.jsonl -o new &&
	test -s new/changes.jsonl
'

test_expect_success 'a full disk is a write error (74)' '
	test -w /dev/full &&
	mkdir full && ln -s /dev/full full/telecom-cdr.csv &&
	test_must_fail --status=74 telco-gen --customers 50 -o full 2>err &&
	test_grep "write error" err
'

test_expect_success '--help and --version' '
	telco-gen --help >out && test_grep "^usage: telco-gen" out &&
	telco-gen --version >out && test_grep "^telco-gen " out
'

test_done
