#!/bin/bash
# bench/enrich.sh: enrich joining CDRs with a customer table, beside Miller's
# join, a jq lookup and a C floor, on the same files.
#
#   enrich -T customer=customer.rows     the row as member "customer"
#   mlr --jsonl join --ur -j customer_id -f customer.rows
#                                        the row's fields merged in (Miller
#                                        loads the left file in memory)
#   jq -n --slurpfile t customer.rows '(reduce ...) as $i | inputs | .customer = $i[.customer_id]'
#                                        the table an object by customer_id
#                                        (a reduce: jq 1.6's INDEX copies the
#                                        object at each row, quadratic)
#   floor-jansson lookup customer=customer.rows
#                                        each line parsed into a jansson tree,
#                                        the row looked up in a jansson object
#                                        and added, printed, freed
#
# The table is telco-gen's customer_profiles (CUSTOMERS rows, as plain rows
# from csv2kafka --stdout), the events its first CDRS CDRs (csv2kafka
# --stdout -m). Each program reads the table, then every CDR; the time
# includes loading the table.
#
# enrich runs on all CDRS CDRs, its output read through a pipe (as in a
# pipeline). The peers, slower by orders of magnitude, run on the first
# PEER_CDRS of them (all by default), as does enrich a second time, to
# files, for the same work and for the comparison of their outputs. The
# table's memory: enrich's peak RSS reading the table alone, less its RSS
# with an empty table, over the rows. enrich's rate over all CDRs is
# given twice: with the table's load, and without it (the time of the run
# that loads the table alone taken out), the rate of a running join.
#   SEED=7 CUSTOMERS=100000 CDRS=1000000 bench/enrich.sh
#   CUSTOMERS=1000000 CDRS=10000000 PEER_CDRS=1000000 bench/enrich.sh
set -u
. "$(dirname "$0")/lib.sh"

SEED=${SEED:-7}
CUSTOMERS=${CUSTOMERS:-100000}
CDRS=${CDRS:-1000000}
PEER_CDRS=${PEER_CDRS:-$CDRS}
[ "$PEER_CDRS" -le "$CDRS" ] || error "PEER_CDRS ($PEER_CDRS) is more than CDRS ($CDRS)"

for p in telco-gen csv2kafka enrich jq mlr cc; do
	command -v "$p" >/dev/null ||
		error "$p is missing (make; tests/setup-deps installs jq and miller)"
done
cc -O2 -o floor-jansson "$TOP/bench/floor-jansson.c" -ljansson ||
	error "cannot build bench/floor-jansson.c (libjansson-dev)"

echo "bench/enrich: seed $SEED, a table of $CUSTOMERS customers, $CDRS CDRs"
telco-gen --seed "$SEED" --customers "$CUSTOMERS" --days 1 -o data ||
	error "telco-gen failed"
csv2kafka --stdout data/customer_profiles.csv >customer.rows ||
	error "csv2kafka --stdout data/customer_profiles.csv failed"
csv2kafka --stdout -m data/telecom-cdr.csv | head -n "$CDRS" >cdr.jsonl
rm -rf data
n=$(wc -l <cdr.jsonl)
[ "$n" -eq "$CDRS" ] || error "only $n CDRs made (more customers or fewer CDRs)"
echo "table: $(wc -l <customer.rows) rows, $(($(wc -c <customer.rows) / 1048576)) MB;" \
	"CDRs: $n, $(($(wc -c <cdr.jsonl) / 1048576)) MB"

echo
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs; the machine may be shared)"
printf '%-28s %10s %-6s %10s %16s %11s\n' program count unit time rate "peak RSS"
measure table-only enrich -T customer=customer.rows </dev/null >/dev/null
t_r=$RSS_KB t_s=$SECS t_c=$CPU
: >empty.rows
measure empty enrich -T customer=empty.rows </dev/null >/dev/null
z_r=$RSS_KB
measure enrich-all enrich -T customer=customer.rows cdr.jsonl > >(wc -l >enrich-all.count)
wait $!
a_s=$SECS a_r=$RSS_KB a_c=$CPU
[ "$(cat enrich-all.count)" -eq "$n" ] || error "enrich wrote $(cat enrich-all.count) lines, not $n"
row "enrich (all CDRs, a pipe)" "$n" events "$a_s" "$a_r"
if [ "$PEER_CDRS" -lt "$n" ]; then
	head -n "$PEER_CDRS" cdr.jsonl >cdr-peers.jsonl
	mv cdr-peers.jsonl cdr.jsonl
	n=$PEER_CDRS
	echo "the peers, and enrich again, on the first $n CDRs:"
fi
measure enrich enrich -T customer=customer.rows cdr.jsonl >enrich.out
e_s=$SECS e_r=$RSS_KB
row "enrich" "$n" events "$e_s" "$e_r"
measure mlr mlr --jsonl join --ur -j customer_id -f customer.rows cdr.jsonl >mlr.out
m_s=$SECS m_r=$RSS_KB
row "mlr join" "$n" events "$m_s" "$m_r"
measure jq jq -n -c --slurpfile t customer.rows \
	'(reduce $t[] as $r ({}; .[$r.customer_id] = $r)) as $i | inputs | .customer = $i[.customer_id]' \
	cdr.jsonl >jq.out
j_s=$SECS j_r=$RSS_KB
row "jq lookup" "$n" events "$j_s" "$j_r"
measure floor ./floor-jansson lookup customer=customer.rows customer_id <cdr.jsonl >floor.out
f_s=$SECS f_r=$RSS_KB
row "floor-jansson lookup" "$n" events "$f_s" "$f_r"

# Correctness beside the speed: every CDR out, the same rows joined.
for o in enrich mlr jq floor; do
	[ "$(wc -l <"$o.out")" -eq "$n" ] || error "$o wrote $(wc -l <"$o.out") lines, not $n"
done
miss_e=$(grep -c '"customer":null' enrich.out)
miss_j=$(grep -c '"customer":null' jq.out)
miss_f=$(grep -c '"customer":null' floor.out)
miss_m=$(grep -vc '"credit_score":' mlr.out)
echo "CDRs without a customer row: enrich $miss_e, mlr $miss_m, jq $miss_j, floor $miss_f"
[ "$miss_e" -eq "$miss_j" ] && [ "$miss_e" -eq "$miss_f" ] && [ "$miss_e" -eq "$miss_m" ] ||
	error "the programs disagree on the rows joined"
sample=$(awk 'NR == 1000 { print; exit }' enrich.out)
[ "$(printf '%s\n' "$sample" | jq -c .customer)" = \
	"$(awk 'NR == 1000 { print; exit }' jq.out | jq -c .customer)" ] ||
	error "enrich and jq joined different rows for line 1000"

echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "enrich / mlr join events/s:        $(ratio "$m_s" "$e_s")"
echo "enrich / jq lookup events/s:       $(ratio "$j_s" "$e_s")"
echo "enrich / floor-jansson events/s:   $(ratio "$f_s" "$e_s")"
echo "enrich, all $(cat enrich-all.count) CDRs: $(awk -v n="$(cat enrich-all.count)" -v s="$a_s" 'BEGIN { printf "%.0f", n / s }') events/s" \
	"($(awk -v n="$(cat enrich-all.count)" -v s="$a_c" 'BEGIN { printf "%.0f", n / s }') per CPU second)"
echo "the same, the table's load ($t_s s, $t_c CPU s) left out:" \
	"$(awk -v n="$(cat enrich-all.count)" -v s="$a_s" -v t="$t_s" 'BEGIN { printf "%.0f", n / (s - t) }') events/s" \
	"($(awk -v n="$(cat enrich-all.count)" -v s="$a_c" -v t="$t_c" 'BEGIN { printf "%.0f", n / (s - t) }') per CPU second)"
echo "table memory: $(awk -v t="$t_r" -v z="$z_r" -v r="$(wc -l <customer.rows)" \
	'BEGIN { printf "%.0f bytes a row (%.1f MB for %d rows)", (t - z) * 1024 / r, (t - z) / 1024, r }')"
echo "peak RSS: enrich $(ratio "$e_r" 1024) MB, mlr $(ratio "$m_r" 1024) MB," \
	"jq $(ratio "$j_r" 1024) MB, floor $(ratio "$f_r" 1024) MB"
