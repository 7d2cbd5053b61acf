#!/bin/bash
# bench/detect.sh: detect's throughput and memory on enriched events, beside
# jq doing the stateless part of the rules and beside a C floor.
#
#   detect -r rules/telecom.rules   every rule, windows and sequences
#   detect -t -r ...                every event tagged with the rules it fired
#   detect -t -a FILE -r ...        the tags and the alerts in one run, as the
#                                   processing leg runs it (in place of both)
#   detect -r stateless.rules       imei_mismatch and irsf's where-filter as
#                                   stateless rules (no window, no suppress)
#   jq -c PROGRAM                   the same two stateless rules in jq
#   floor-jansson                   each line parsed into a jansson tree,
#                                   printed and freed (bench/floor-jansson.c)
#   floor-jansson load              the same without printing: the floor of
#                                   a filter that writes little (alerts)
#
# The events are made once: telco-gen's first EVENTS events in time order
# (the six streams merged), enriched with the five tables by enrich and
# pipelines/enrich.conf; every program then reads the same file.
# Memory per active key: detect's peak RSS over the whole input, less its
# RSS on one line, over the keys with window state at the end (detect's
# active_keys statistic).
#   SEED=7 CUSTOMERS=100000 EVENTS=1000000 bench/detect.sh
set -u
. "$(dirname "$0")/lib.sh"

SEED=${SEED:-7}
CUSTOMERS=${CUSTOMERS:-100000}
EVENTS=${EVENTS:-1000000}
RULES=$TOP/rules/telecom.rules

for p in telco-gen csv2kafka enrich detect jq cc; do
	command -v "$p" >/dev/null || error "$p is missing (make; tests/setup-deps)"
done
cc -O2 -o floor-jansson "$TOP/bench/floor-jansson.c" -ljansson ||
	error "cannot build bench/floor-jansson.c (libjansson-dev)"

echo "bench/detect: seed $SEED, $CUSTOMERS customers, the first $EVENTS events"
telco-gen --seed "$SEED" --customers "$CUSTOMERS" --days 1 -o data ||
	error "telco-gen failed"
# one stream's records with their event time in front, for sort -m
timed() {
	csv2kafka --stdout -m "$1" | awk '{
		t = ""
		if (match($0, /"(start_time|event_time)":"[^"]*"/)) {
			t = substr($0, RSTART, RLENGTH)
			sub(/^"[a-z_]*":"/, "", t)
		}
		print t "\t" $0
	}'
}
tab=$(printf '\t')
LC_ALL=C sort -m -s -t "$tab" -k1,1 <(timed data/telecom-cdr.csv) \
	<(timed data/telecom-sdr.csv) <(timed data/telecom-location.csv) \
	<(timed data/telecom-network.csv) <(timed data/telecom-security.csv) \
	<(timed data/telecom-service.csv) | cut -f2- | head -n "$EVENTS" >events.jsonl
n=$(wc -l <events.jsonl)
[ "$n" -eq "$EVENTS" ] || error "only $n events made"
for t in customer=customer_profiles device=device_information \
	payments=payment_transactions behavior=customer_behavior \
	complaints=complaints_feedback; do
	csv2kafka --stdout "data/${t#*=}.csv" >"${t%%=*}.rows" ||
		error "csv2kafka --stdout data/${t#*=}.csv failed"
done
enrich -C "$TOP/pipelines/enrich.conf" -T customer=customer.rows -T device=device.rows \
	-T payments=payments.rows -T behavior=behavior.rows \
	-T complaints=complaints.rows events.jsonl >enriched.jsonl || error "enrich failed"
rm -rf data events.jsonl ./*.rows
echo "enriched events: $n, $(($(wc -c <enriched.jsonl) / 1048576)) MB"

# The stateless part, as rules and as jq.
cat >stateless.rules <<'EOF'
list high_risk_countries = ["CU", "SO", "SL", "GN", "LR", "GM", "TD", "ST",
    "MH", "TV", "NR", "TO", "PG", "ER", "KM", "LV", "LT", "BA"]
rule imei_mismatch {
	from "telecom-cdr"
	where device.imei is not null and imei is not null and imei != device.imei
}
rule high_risk_call {
	from "telecom-cdr"
	where call_type == "voice" and direction == "MO"
	    and destination_country in high_risk_countries
}
EOF
cat >stateless.jq <<'EOF'
["CU", "SO", "SL", "GN", "LR", "GM", "TD", "ST", "MH", "TV", "NR", "TO", "PG",
 "ER", "KM", "LV", "LT", "BA"] as $high_risk
| select(._kafka.topic == "telecom-cdr")
| (select(.device.imei != null and .imei != null and .imei != .device.imei)
   | {rule: "imei_mismatch", key: .customer_id, customer_id, msisdn,
      event_time: .start_time, evidence: {imei, "device.imei": .device.imei}}),
  (select(.call_type == "voice" and .direction == "MO"
          and (.destination_country as $c | $high_risk | index([$c])) != null)
   | {rule: "high_risk_call", key: .customer_id, customer_id, msisdn,
      event_time: .start_time,
      evidence: {call_type, direction, destination_country}})
EOF
detect -c -r stateless.rules || error "stateless.rules has an error"

echo
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs; the machine may be shared)"
printf '%-28s %10s %-6s %10s %16s %11s\n' program count unit time rate "peak RSS"
head -n 1 enriched.jsonl >one.jsonl
measure base detect -r "$RULES" one.jsonl >/dev/null
base_r=$RSS_KB
measure detect detect -r "$RULES" --stats-file detect.prom <enriched.jsonl >alerts.jsonl 2>detect.err
d_s=$SECS d_r=$RSS_KB
row "detect (every rule)" "$n" events "$d_s" "$d_r"
# the processing leg's detect: tagged events out, the alerts beside them
measure tag detect -t -r "$RULES" <enriched.jsonl >tagged.jsonl
t_s=$SECS t_r=$RSS_KB
row "detect -t (every rule)" "$n" events "$t_s" "$t_r"
measure tag-alerts detect -t -a tag-alerts.jsonl -r "$RULES" <enriched.jsonl >tagged2.jsonl
ta_s=$SECS ta_r=$RSS_KB
row "detect -t -a (every rule)" "$n" events "$ta_s" "$ta_r"
measure stateless detect -r stateless.rules <enriched.jsonl >stateless.out
s_s=$SECS s_r=$RSS_KB
row "detect (stateless rules)" "$n" events "$s_s" "$s_r"
measure jq jq -c -f stateless.jq <enriched.jsonl >jq.out
j_s=$SECS j_r=$RSS_KB
row "jq (stateless rules)" "$n" events "$j_s" "$j_r"
measure floor ./floor-jansson <enriched.jsonl >floor.out
f_s=$SECS f_r=$RSS_KB
row "floor-jansson (parse+print)" "$n" events "$f_s" "$f_r"
measure load ./floor-jansson load <enriched.jsonl
l_s=$SECS l_r=$RSS_KB
row "floor-jansson load (parse)" "$n" events "$l_s" "$l_r"

# Correctness beside the speed.
[ "$(wc -l <floor.out)" -eq "$n" ] || error "floor-jansson wrote the wrong count"
cmp -s alerts.jsonl tag-alerts.jsonl || error "detect -t -a wrote other alerts than detect"
cmp -s tagged.jsonl tagged2.jsonl || error "detect -t -a tagged other events than detect -t"
rm -f tagged.jsonl tagged2.jsonl
for r in imei_mismatch high_risk_call; do
	a=$(grep -c "\"rule\":\"$r\"" stateless.out)
	b=$(grep -c "\"rule\":\"$r\"" jq.out)
	echo "$r: detect $a, jq $b"
	[ "$a" -eq "$b" ] || error "detect and jq disagree on $r"
done
keys=$(awk '$1 == "telco_detect_active_keys" { print $2 }' detect.prom)
wev=$(awk '$1 == "telco_detect_window_events" { print $2 }' detect.prom)
echo "alerts (every rule): $(wc -l <alerts.jsonl); active keys at the end: $keys; events in windows: $wev"
echo "detect RSS on one line: $(ratio "$base_r" 1024) MB"
echo "memory per active key: $(awk -v a="$d_r" -v b="$base_r" -v k="$keys" 'BEGIN {
	printf "%.0f", (k > 0 ? (a - b) * 1024 / k : 0) }') bytes" \
	"($(awk -v a="$d_r" -v b="$base_r" -v k="$wev" 'BEGIN {
	printf "%.0f", (k > 0 ? (a - b) * 1024 / k : 0) }') bytes per event in a window)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "detect (every rule) / jq (stateless) events/s:      $(ratio "$j_s" "$d_s")"
echo "detect (stateless) / jq (stateless) events/s:       $(ratio "$j_s" "$s_s")"
echo "detect (every rule) / floor-jansson events/s:       $(ratio "$f_s" "$d_s")"
echo "detect (stateless) / floor-jansson events/s:        $(ratio "$f_s" "$s_s")"
echo "detect (every rule) / floor-jansson load events/s:  $(ratio "$l_s" "$d_s")"
echo "detect (stateless) / floor-jansson load events/s:   $(ratio "$l_s" "$s_s")"
echo "detect -t + detect (two runs) / detect -t -a (one): $(awk -v a="$t_s" -v b="$d_s" -v c="$ta_s" 'BEGIN {
	printf "%.2f", (c > 0 ? (a + b) / c : 0) }') (time; the processing leg's way)"
echo "peak RSS: detect $(ratio "$d_r" 1024) MB, stateless $(ratio "$s_r" 1024) MB," \
	"jq $(ratio "$j_r" 1024) MB, floor $(ratio "$f_r" 1024) MB"
