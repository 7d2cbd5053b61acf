#!/bin/bash
# bench/detect-quality.sh: how well the shipped rules find telco-gen's
# injected fraud, per rule: recall over the scenarios, precision over the
# alerts, and whether near misses stay quiet.
#
#   telco-gen (every scenario, with near misses)
#   -> csv2kafka --stdout -m of the six event files (each record gets
#      _kafka.topic), merged into one stream in event-time order
#   -> enrich -C pipelines/enrich.conf, the five tables as plain rows
#      (csv2kafka --stdout of each table file)
#   -> detect -r rules/telecom.rules
#   -> pipelines/score-alerts against ground-truth.jsonl (the matching of
#      alerts to scenarios is described at the top of that script)
#
# The goal of the project: recall >= 0.98 and precision >= 0.95 for every
# rule. The exit status is 1 when a rule misses it.
#   SEED=7 CUSTOMERS=2000 DAYS=3 bench/detect-quality.sh
# FRAUD_RATE and NEAR_MISS_RATE are passed to telco-gen when set; RULES
# names another rules file.
set -u
. "$(dirname "$0")/lib.sh"

SEED=${SEED:-7}
CUSTOMERS=${CUSTOMERS:-2000}
DAYS=${DAYS:-3}
RULES=${RULES:-$TOP/rules/telecom.rules}
case $RULES in /*) ;; *) RULES=$OLDPWD/$RULES ;; esac

for p in telco-gen csv2kafka enrich detect; do
	command -v "$p" >/dev/null || error "$p is not built (make)"
done

rates=()
[ -n "${FRAUD_RATE:-}" ] && rates+=(--fraud-rate "$FRAUD_RATE")
[ -n "${NEAR_MISS_RATE:-}" ] && rates+=(--near-miss-rate "$NEAR_MISS_RATE")

echo "bench/detect-quality: seed $SEED, $CUSTOMERS customers, $DAYS days"
telco-gen --seed "$SEED" --customers "$CUSTOMERS" --days "$DAYS" "${rates[@]}" \
	-o data || error "telco-gen failed"

# The six event streams, each in time order, merged by their event time
# (start_time for CDRs, event_time for the others); sort -s keeps the order
# of a file among events of the same second.
for f in data/telecom-*.csv; do
	csv2kafka --stdout -m "$f" || error "csv2kafka --stdout -m $f failed"
done | awk '{
	t = ""
	if (match($0, /"(start_time|event_time)":"[^"]*"/)) {
		t = substr($0, RSTART, RLENGTH)
		sub(/^"[a-z_]*":"/, "", t)
		sub(/"$/, "", t)
	}
	print t "\t" $0
}' | LC_ALL=C sort -s -t "$(printf '\t')" -k1,1 | cut -f2- >events.jsonl ||
	error "merging the event streams failed"

# The tables as plain rows, under the names of pipelines/enrich.conf.
for t in customer=customer_profiles device=device_information \
	payments=payment_transactions behavior=customer_behavior \
	complaints=complaints_feedback; do
	csv2kafka --stdout "data/${t#*=}.csv" >"${t%%=*}.rows" ||
		error "csv2kafka --stdout data/${t#*=}.csv failed"
done

n=$(wc -l <events.jsonl)
measure enrich enrich -C "$TOP/pipelines/enrich.conf" -T customer=customer.rows \
	-T device=device.rows -T payments=payments.rows -T behavior=behavior.rows \
	-T complaints=complaints.rows events.jsonl >enriched.jsonl
e_s=$SECS e_r=$RSS_KB
measure detect detect -r "$RULES" enriched.jsonl >alerts.jsonl
d_s=$SECS d_r=$RSS_KB
printf '%-28s %10s %-6s %10s %16s %11s\n' stage count unit time rate "peak RSS"
row "enrich" "$n" events "$e_s" "$e_r"
row "detect" "$n" events "$d_s" "$d_r"
echo "alerts: $(wc -l <alerts.jsonl), in $TRASH/alerts.jsonl"
echo

"$TOP/pipelines/score-alerts" --rules "$RULES" alerts.jsonl data/ground-truth.jsonl |
	tee score.txt || error "score-alerts failed"
"$TOP/pipelines/score-alerts" --json --rules "$RULES" alerts.jsonl \
	data/ground-truth.jsonl >score.jsonl || error "score-alerts --json failed"

# Which scenarios were missed and which near misses fired, to look into.
python3 - score.jsonl <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("missed"):
        print("missed %s: %s" % (r["rule"], " ".join(r["missed"])))
    if r.get("near_misses_fired"):
        print("near misses fired %s: %s" % (r["rule"], " ".join(r["near_misses_fired"])))
    if r["rule"] != "total" and r["fp_unmatched"]:
        print("alerts matching nothing %s: %d" % (r["rule"], r["fp_unmatched"]))
EOF

echo
if awk '$1 != "rule" && $1 != "total" {
	if ($4 == "-" || $4 < 0.98 || ($7 != "-" && $7 < 0.95)) bad = 1
} END { exit bad }' score.txt; then
	echo "goal (recall >= 0.98, precision >= 0.95 for every rule): met"
else
	echo "goal (recall >= 0.98, precision >= 0.95 for every rule): NOT met"
	exit 1
fi
