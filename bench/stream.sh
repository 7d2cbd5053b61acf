#!/bin/bash
# bench/stream.sh: the stream layer against kcat, on one broker, in one run.
#
#   csv2kafka -b      vs  kcat -P fed the same rows already as JSON lines
#   consume -e        vs  kcat -C -e
#
# Both producers use the same settings (idempotence, acks=all, the murmur2
# partitioner, linger.ms=5) and the same keys; both consumers read the same
# topic from the beginning to its end into /dev/null.
#   ROWS=1000000 PARTITIONS=6 bench/stream.sh
set -u
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lib-kafka.sh
. "$TEST_DIR/lib-kafka.sh"

ROWS=${ROWS:-1000000}
PARTITIONS=${PARTITIONS:-6}

echo "bench/stream: generating $ROWS CDR rows"
awk -v n="$ROWS" 'BEGIN {
	srand(7);
	print "cdr_id,customer_id,msisdn,other_msisdn,direction,call_type,start_time,duration_s,answered,cell_id,imei,imsi,destination_country,roaming,visited_country,charge";
	for (i = 1; i <= n; i++) {
		c = int(rand() * 100000);
		printf "CDR%09d,C%06d,0%09d,44%010d,%s,%s,2026-11-01T%02d:%02d:%02dZ,%d,%s,%d,35%013d,2340%011d,%s,%s,%s,%d.%02d\n",
			i, c, 700000000 + c, int(rand() * 1e10), (rand() < .6 ? "MO" : "MT"),
			(rand() < .7 ? "voice" : "sms"), int(i / 42000) % 24, int(rand() * 60),
			int(rand() * 60), int(rand() * 600), (rand() < .9 ? "true" : "false"),
			10000 + c % 500, c, c, (rand() < .9 ? "GB" : "FR"),
			(rand() < .05 ? "true" : "false"), (rand() < .05 ? "ES" : ""),
			int(rand() * 5), int(rand() * 100);
	}
}' >cdr.csv
csv2kafka --stdout cdr.csv >cdr.jsonl || error "csv2kafka --stdout failed"
tail -n +2 cdr.csv | cut -d, -f2 | paste - cdr.jsonl >keyed.tsv
[ "$(wc -l <keyed.tsv)" -eq "$ROWS" ] || error "keyed input has the wrong row count"

echo "bench/stream: starting Kafka"
kafka_start 1 >/dev/null || error "Kafka did not start"
kafka_topic ours "$PARTITIONS" >/dev/null
kafka_topic peer "$PARTITIONS" >/dev/null
X="-X enable.idempotence=true -X acks=all -X partitioner=murmur2_random -X linger.ms=5"
# The first idempotent producer after the broker starts waits for the
# transaction coordinator to load (GETPID retries): pay that before timing,
# so that neither program measured first carries it.
# shellcheck disable=SC2086
echo warm | kcat -P -b "$KAFKA_BROKERS" -t warmup $X ||
	error "kcat could not produce to the new broker"
kcat -C -b "$KAFKA_BROKERS" -t warmup -o beginning -e -q >/dev/null ||
	error "kcat could not consume from the new broker"

echo
printf '%-28s %10s %-6s %10s %16s %11s\n' program count unit time rate "peak RSS"
# shellcheck disable=SC2086
measure csv2kafka csv2kafka -b "$KAFKA_BROKERS" -t ours -k customer_id $X cdr.csv
c_s=$SECS c_r=$RSS_KB
row "csv2kafka -b (CSV)" "$ROWS" rows "$c_s" "$c_r"
# shellcheck disable=SC2086
measure kcatP kcat -P -b "$KAFKA_BROKERS" -t peer -K '	' $X -l keyed.tsv
k_s=$SECS k_r=$RSS_KB
row "kcat -P (JSON lines)" "$ROWS" rows "$k_s" "$k_r"

measure consume sh -c "consume -b '$KAFKA_BROKERS' -t ours -o beginning -e >/dev/null"
cc_s=$SECS cc_r=$RSS_KB
row "consume -e" "$ROWS" msgs "$cc_s" "$cc_r"
measure kcatC sh -c "kcat -C -b '$KAFKA_BROKERS' -t ours -o beginning -e -q >/dev/null"
kc_s=$SECS kc_r=$RSS_KB
row "kcat -C -e" "$ROWS" msgs "$kc_s" "$kc_r"

# Correctness beside the speed: both topics hold every row.
n1=$(kafka-admin -b "$KAFKA_BROKERS" offsets ours | awk '{ s += $3 - $2 } END { print s }')
n2=$(kafka-admin -b "$KAFKA_BROKERS" offsets peer | awk '{ s += $3 - $2 } END { print s }')
echo
echo "messages in topic: ours=$n1 peer=$n2 (expected $ROWS each)"
echo "csv2kafka/kcat -P rows/s ratio:  $(ratio "$k_s" "$c_s") (goal >= 1.0)"
echo "consume/kcat -C msgs/s ratio:    $(ratio "$kc_s" "$cc_s") (goal >= 1.0)"
echo "peak RSS: csv2kafka $(ratio "$c_r" 1024) MB, kcat -P $(ratio "$k_r" 1024) MB, consume $(ratio "$cc_r" 1024) MB, kcat -C $(ratio "$kc_r" 1024) MB"
