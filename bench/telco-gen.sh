#!/bin/bash
# bench/telco-gen.sh: how fast telco-gen writes event rows, on one core, and
# that its memory does not grow with --days.
#
# Each run writes every file (tables, six event streams, ground truth, the
# change script) into the scratch folder; rows/s counts the event rows of
# the six telecom-*.csv files (from the manifest) over wall time.
#   CUSTOMERS=20000 DAYS="1 4 8" SEED=1 bench/telco-gen.sh
set -u
. "$(dirname "$0")/lib.sh"

CUSTOMERS=${CUSTOMERS:-20000}
DAYS=${DAYS:-1 4 8}
SEED=${SEED:-1}

command -v telco-gen >/dev/null || error "telco-gen is not built (make)"
# one core: pin when taskset is there
pin=
command -v taskset >/dev/null && pin="taskset -c 0"

events() {
	python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
print(sum(n for f, n in m["rows"].items() if f.startswith("telecom-")))' "$1"
}

echo "bench/telco-gen: $CUSTOMERS customers, seed $SEED, days: $DAYS${pin:+ (pinned to CPU 0)}"
printf '%-28s %10s %-6s %10s %18s %11s\n' run rows "" time rate "peak RSS"
for d in $DAYS; do
	rm -rf "out.$d"
	# shellcheck disable=SC2086 # $pin is a command prefix or nothing
	measure "days-$d" $pin telco-gen --seed "$SEED" --customers "$CUSTOMERS" \
		--days "$d" --changes "changes.$d" -o "out.$d"
	n=$(events "out.$d/manifest.json") || error "no manifest for --days $d"
	row "telco-gen --days $d" "$n" rows "$SECS" "$RSS_KB"
	rm -rf "out.$d" "changes.$d"
done
