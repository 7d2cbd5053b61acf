#!/bin/bash
# bench/e2e.sh: the system end to end on this machine, as the pipelines run
# it: telco-gen's six CSV files into Kafka (pipelines/ingest-streams), every
# topic into ClickHouse (pipelines/mirror), and, all the while, a stream of
# UPDATEs to crm.customer_profiles in MariaDB captured by pipelines/cdc-mysql
# (binlog2jsonl | produce) into cdc.crm.customer_profiles, mirrored too.
#
# Figures:
#   events/s      the CSV rows in ClickHouse over the wall time from the
#                 start of ingest-streams to the last of them stored
#   CDC freshness the database commit to the change record in Kafka, p50,
#                 p99 and max over the UPDATEs made while the events flow.
#                 Each UPDATE stores its own time (SYSDATE(6), in the
#                 column bench_commit_us that this script adds, as it
#                 autocommits), the topic keeps the broker's append time
#                 (message.timestamp.type=LogAppendTime), which consume -m
#                 gives as _kafka.ts; also to ClickHouse, where inserted_at
#                 has whole seconds only
#   peak RSS      of each leg, its processes together (sampled every 0.2 s)
#
#   CUSTOMERS=10000 DAYS=1 UPDATE_MS=20 bench/e2e.sh
#
#   CUSTOMERS, DAYS  telco-gen's size (10000 customers, 1 day: about 580,000 events)
#   UPDATE_MS        the pause between two UPDATEs (20 ms: up to 50 a second)
#   WAIT             the deadline of each wait, in seconds (300)
set -u
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lib-kafka.sh
. "$TEST_DIR/lib-kafka.sh"
# shellcheck source=tests/lib-mysql.sh
. "$TEST_DIR/lib-mysql.sh"
# shellcheck source=tests/lib-clickhouse.sh
. "$TEST_DIR/lib-clickhouse.sh"
# kcount TOPIC, sys_ends_stored TOPIC TABLE
# shellcheck source=pipelines/lib-system.sh
. "$TOP/pipelines/lib-system.sh"

CUSTOMERS=${CUSTOMERS:-10000}
DAYS=${DAYS:-1}
UPDATE_MS=${UPDATE_MS:-20}
WAIT=${WAIT:-300}
STREAMS="cdr sdr location network security service"
CDC_TOPIC=cdc.crm.customer_profiles

say() { printf '[%3ds] bench/e2e: %s\n' "$SECONDS" "$*"; }
now_ms() { date +%s%3N; }
# quantiles: p50 p99 max of numbers on stdin, one a line ("- - -" when none)
quantiles() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "0 - - -"; exit }
		printf "%d %.1f %.1f %.1f\n", NR, v[int((NR + 1) * 0.5)], v[int(NR * 0.99 + 0.99)], v[NR] }'
}

say "starting Kafka (1 node, 6 partitions), MariaDB, ClickHouse"
KAFKA_PARTITIONS=6 kafka_start 1 || error "Kafka did not start"
my_start >/dev/null || error "MariaDB did not start"
ch_start || error "ClickHouse did not start"
for f in "$TOP"/compose/init/clickhouse/*.sql; do
	ch_query_file "$f" || error "ClickHouse: $f failed"
done
for s in $STREAMS; do
	kafka_topic "telecom-$s" 6 >/dev/null || error "topic telecom-$s not created"
done
kafka_topic "$CDC_TOPIC" 6 >/dev/null || error "topic $CDC_TOPIC not created"
# the broker's clock on the change records: the time they are in the topic
java -Xmx128m -XX:+UseSerialGC -Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" \
	-Dkafka.logs.dir="$TRASH" -cp "$KAFKA_JARS/*" kafka.admin.ConfigCommand \
	--bootstrap-server "$KAFKA_BROKERS" --alter --entity-type topics \
	--entity-name "$CDC_TOPIC" --add-config message.timestamp.type=LogAppendTime \
	>config.log 2>&1 || error "could not set LogAppendTime on $CDC_TOPIC: $(tail -3 config.log)"

say "telco-gen: $CUSTOMERS customers, $DAYS day(s); loading MariaDB's crm"
mkdir -p state logs
telco-gen --seed 42 --customers "$CUSTOMERS" --days "$DAYS" -o data >logs/telco-gen.log 2>&1 ||
	error "telco-gen failed"
DATA=data "$TOP/pipelines/load-databases" --init --only mysql >logs/load.log 2>&1 ||
	error "load-databases failed: $(tail -3 logs/load.log)"
my crm -e "ALTER TABLE customer_profiles ADD COLUMN bench_commit_us BIGINT" ||
	error "alter crm.customer_profiles"
ch_query "ALTER TABLE telecom.customer_profiles ADD COLUMN bench_commit_us Nullable(Int64)" ||
	error "alter telecom.customer_profiles"
# The UPDATEs: one client session runs them, each its own transaction,
# until bench.stop holds 1. SYSDATE(6), not NOW(6): the time of the
# statement, not of the procedure's start.
my -e "CREATE DATABASE bench; CREATE TABLE bench.stop (v INT); INSERT INTO bench.stop VALUES (0);
	CREATE TABLE bench.ids (n INT PRIMARY KEY, customer_id VARCHAR(50));
	INSERT INTO bench.ids SELECT ROW_NUMBER() OVER (ORDER BY customer_id) - 1, customer_id
		FROM crm.customer_profiles" || error "bench tables"
my <<'EOT' || error "bench.updates"
DELIMITER //
CREATE PROCEDURE bench.updates(pause DOUBLE)
BEGIN
	DECLARE i INT DEFAULT 0;
	DECLARE n INT;
	SELECT COUNT(*) INTO n FROM bench.ids;
	WHILE (SELECT v FROM bench.stop) = 0 DO
		UPDATE crm.customer_profiles p JOIN bench.ids b ON b.customer_id = p.customer_id
			SET p.bench_commit_us = FLOOR(UNIX_TIMESTAMP(SYSDATE(6)) * 1000000)
			WHERE b.n = i MOD n;
		SET i = i + 1;
		DO SLEEP(pause);
	END WHILE;
	SELECT i;
END //
DELIMITER ;
EOT
events=0
for s in $STREAMS; do
	events=$((events + $(wc -l <"data/telecom-$s.csv") - 1))
done

export BROKERS=$KAFKA_BROKERS CLICKHOUSE_URL=$CH_URL STATE=$TRASH/state
# leg NAME VAR=VALUE...: pipelines/NAME in a session of its own, whose
# id is in pid_NAME
pid_cdc_mysql="" pid_mirror="" pid_ingest_streams=""
leg() {
	_n=$1
	shift
	setsid env "$@" "$TOP/pipelines/$_n" >"logs/$_n.out" 2>"logs/$_n.log" &
	eval "pid_${_n//-/_}=$!"
	test_atexit "kill -TERM -- -$! 2>/dev/null; sleep 0.5; kill -KILL -- -$! 2>/dev/null"
}
# the RSS of a session's processes, summed, in kB
session_rss() {
	ps -o rss= -s "$1" 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'
}

say "the CDC leg: snapshot of crm.customer_profiles ($CUSTOMERS rows)"
leg cdc-mysql CDC_TABLES=crm.customer_profiles MYSQL_DEFAULTS_FILE="$MYSQL_DEFAULTS_FILE"
wait_until "$WAIT" "the snapshot in Kafka" \
	eval "[ \$(kcount $CDC_TOPIC) -ge $CUSTOMERS ]" || error "no snapshot (logs/cdc-mysql.log)"
leg mirror MIRRORS="telecom-cdr=cdr telecom-sdr=sdr telecom-location=location
	telecom-network=network telecom-security=security telecom-service=service
	$CDC_TOPIC=customer_profiles"

ch_events() {
	ch_query "SELECT (SELECT count() FROM telecom.cdr) + (SELECT count() FROM telecom.sdr)
		+ (SELECT count() FROM telecom.location) + (SELECT count() FROM telecom.network)
		+ (SELECT count() FROM telecom.security) + (SELECT count() FROM telecom.service)"
}
wait_until "$WAIT" "the snapshot in ClickHouse" eval \
	"[ \"\$(ch_query 'SELECT count() FROM telecom.customer_profiles')\" -ge $CUSTOMERS ]" ||
	error "the mirror does not store the snapshot (logs/mirror.log)"

say "$events events from the CSV files, with UPDATEs every $UPDATE_MS ms"
pause=$(awk -v m="$UPDATE_MS" 'BEGIN { printf "%.3f", m / 1000 }')
my -B -N -e "CALL bench.updates($pause)" >state/updates.out 2>logs/updates.log &
upd_pid=$!
test_atexit "kill $upd_pid 2>/dev/null"
t0=$(now_ms)
leg ingest-streams DATA=data
peak_cdc=0 peak_mirror=0 peak_ingest=0
stored=0
deadline=$(($(date +%s) + WAIT))
while :; do
	# the peak RSS of each leg, its processes together
	r=$(session_rss "$pid_cdc_mysql")
	[ "$r" -le "$peak_cdc" ] || peak_cdc=$r
	r=$(session_rss "$pid_mirror")
	[ "$r" -le "$peak_mirror" ] || peak_mirror=$r
	r=$(session_rss "$pid_ingest_streams")
	[ "$r" -le "$peak_ingest" ] || peak_ingest=$r
	stored=$(ch_events) || stored=0
	[ "$stored" -lt "$events" ] || break
	[ "$(date +%s)" -lt "$deadline" ] ||
		error "ClickHouse holds $stored of $events events after ${WAIT}s (logs/)"
	sleep 0.2
done
t1=$(now_ms)
wait "$pid_ingest_streams" || error "ingest-streams failed: $(tail -3 logs/ingest-streams.log)"
my -e "UPDATE bench.stop SET v = 1" || error "stop the UPDATEs"
wait "$upd_pid" || error "the UPDATEs failed: $(cat logs/updates.log)"
updates=$(tail -n 1 state/updates.out)
say "$updates UPDATEs made; waiting for them in Kafka and in ClickHouse"
wait_until "$WAIT" "the UPDATEs in Kafka" \
	eval "[ \$(kcount $CDC_TOPIC) -ge $((CUSTOMERS + updates)) ]" ||
	error "Kafka has $(kcount $CDC_TOPIC) change records, $((CUSTOMERS + updates)) expected"
# the last record of each partition stored (ReplacingMergeTree may merge
# older changes of a key away)
wait_until "$WAIT" "the UPDATEs in ClickHouse" sys_ends_stored "$CDC_TOPIC" customer_profiles ||
	error "ClickHouse does not hold the last change records of $CDC_TOPIC"

# the legs stopped as a supervisor does (SIGTERM: each drains what it read)
for p in "$pid_cdc_mysql" "$pid_mirror"; do
	kill -TERM "$p"
	wait "$p" || error "a leg stopped with status $? (logs/)"
done
consume -b "$KAFKA_BROKERS" -q -e -m -t "$CDC_TOPIC" >state/cdc.jsonl ||
	error "consume $CDC_TOPIC"
read -r fk_n fk50 fk99 fkmax <<<"$(jq -r 'select(.op == "u" and .after.bench_commit_us != null) |
	._kafka.ts - .after.bench_commit_us / 1000' state/cdc.jsonl | quantiles)"
read -r fc_n fc50 fc99 fcmax <<<"$(ch_query "SELECT toInt64(toUnixTimestamp(inserted_at)) * 1000
	- intDiv(bench_commit_us, 1000) FROM telecom.customer_profiles
	WHERE op = 'u' AND bench_commit_us IS NOT NULL" | quantiles)"

secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1000 }')
echo
printf '%-28s %10s %-6s %10s %16s %11s\n' stage count unit time rate "peak RSS"
row "CSV -> Kafka -> ClickHouse" "$stored" events "$secs" "$((peak_ingest + peak_mirror))"
row "  CDC leg (UPDATEs)" "$updates" rows "$secs" "$peak_cdc"
echo
echo "events: $events CSV rows, $stored in ClickHouse, $(ratio "$stored" "$secs") events/s end to end"
echo "CDC freshness, commit to Kafka (broker append time), $fk_n UPDATEs: p50 $fk50 ms, p99 $fk99 ms, max $fkmax ms"
echo "CDC freshness, commit to ClickHouse, $fc_n rows: p50 $fc50 ms, p99 $fc99 ms, max $fcmax ms" \
	"(inserted_at is cut to the second: each up to 1000 ms more)"
echo "peak RSS (sampled every 0.2 s, each leg's processes together): ingest-streams $(ratio "$peak_ingest" 1024) MB, mirror $(ratio "$peak_mirror" 1024) MB," \
	"cdc-mysql $(ratio "$peak_cdc" 1024) MB; total $(ratio $((peak_ingest + peak_mirror + peak_cdc)) 1024) MB"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
