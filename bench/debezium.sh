#!/bin/bash
# bench/debezium.sh: the CDC leg against the plan's own stack for the same
# work: the row changes of one MariaDB 10.11 table into Kafka through
#   (a) binlog2jsonl | produce                      (pipelines/cdc-mysql)
#   (b) Debezium's MariaDB connector (3.4.0.Final) on Kafka Connect 4.3.0
#       standalone (connect-runtime and the connector from Maven Central,
#       the connector in a folder of plugin.path), JSON values without
#       schemas. Not Debezium 3.6.1: its MariaDB connector is not found on
#       Maven Central here, and its MySQL connector refuses MariaDB 10.11
#       (it takes 10.11 for a MySQL version and asks for SHOW BINARY LOG
#       STATUS, which MariaDB does not have)
# into the same one-node Kafka, one topic each.
#
# Workload, before either starts: ROWS rows inserted into
# crm.customer_profiles, then each updated once (N = 2 x ROWS row changes),
# in transactions of BATCH rows. Each side then reads the binlog from the
# position before the workload (Debezium: its offset set there through
# Connect's REST interface, snapshot.mode=recovery) and is timed from its start until its topic holds N records
# (end offsets polled every 0.2 s, with a deadline), its peak RSS read from
# /proc/PID/status (VmHWM) of each of its processes before it is stopped.
# The JVM runs as connect-standalone.sh runs it (-Xms256M -Xmx2G, G1).
#
#   ROWS=50000 BATCH=1000 bench/debezium.sh
#
# The jars are fetched once with Maven (bench/debezium/*.pom.xml) into
# $TP_CACHE (~/.cache/telco-pipes): connect-4.3.0-1/ and
# debezium-3.4.0.Final/debezium-connector-mariadb/.
set -u
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lib-kafka.sh
. "$TEST_DIR/lib-kafka.sh"
# shellcheck source=tests/lib-mysql.sh
. "$TEST_DIR/lib-mysql.sh"
# kcount TOPIC
# shellcheck source=pipelines/lib-system.sh
. "$TOP/pipelines/lib-system.sh"

ROWS=${ROWS:-50000}
BATCH=${BATCH:-1000}
WAIT=${WAIT:-300}
CACHE=${TP_CACHE:-$HOME/.cache/telco-pipes}
CONNECT_JARS=$CACHE/connect-4.3.0-1
DBZ_PLUGINS=$CACHE/debezium-3.4.0.Final
say() { printf '[%3ds] bench/debezium: %s\n' "$SECONDS" "$*"; }
now_ms() { date +%s%3N; }

# fetch POM DIR: the POM's runtime dependencies copied into DIR, once
fetch() {
	[ -f "$2/.complete" ] && return 0
	command -v mvn >/dev/null || error "cannot fetch $2: Maven (mvn) is not installed"
	say "fetching $(basename "$1" .pom.xml) jars from Maven Central into $2"
	rm -rf "$2"
	mkdir -p "$2"
	mvn -q -B -f "$1" dependency:copy-dependencies -DincludeScope=runtime \
		-DoutputDirectory="$2" >"$TRASH/mvn-$(basename "$1" .pom.xml).log" 2>&1 ||
		error "Maven could not fetch $1: $(grep ERROR "$TRASH/mvn-$(basename "$1" .pom.xml).log" | head -3)"
	touch "$2/.complete"
}
command -v java >/dev/null || error "no java: Debezium 3.x needs Java 17 or later"
jv=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)
[ "${jv:-0}" -ge 17 ] || error "java $jv: Debezium 3.x and Kafka Connect 4.x need Java 17 or later"
fetch "$TOP/bench/debezium/connect.pom.xml" "$CONNECT_JARS"
fetch "$TOP/bench/debezium/plugin.pom.xml" "$DBZ_PLUGINS/debezium-connector-mariadb"

say "starting Kafka (1 node) and MariaDB"
kafka_start 1 || error "Kafka did not start"
my_start >/dev/null || error "MariaDB did not start"
my <"$TOP/compose/init/mysql/01-crm.sql" || error "the crm schema"
# where the workload starts: binlog file, position and MariaDB GTID state
read -r bfile bpos _ <<<"$(my_q crm "SHOW MASTER STATUS")"
gtid=$(my_q crm "SELECT @@gtid_binlog_pos")
[ -n "$bfile" ] && [ -n "$bpos" ] || error "SHOW MASTER STATUS: no binlog position"
changes=$((2 * ROWS))

say "workload: $ROWS inserts and $ROWS updates, $BATCH rows a transaction"
awk -v n="$ROWS" -v b="$BATCH" 'BEGIN {
	q = "\047"
	for (i = 1; i <= n; i += b) {
		printf "INSERT INTO crm.customer_profiles (customer_id, customer_name, age, gender, location, account_creation_date, plan_type, monthly_spending, credit_score, avg_payment_delay) VALUES "
		for (j = i; j < i + b && j <= n; j++)
			printf "%s(%sC%07d%s,%sCustomer %d%s,%d,%s%s%s,%sCity %d%s,%s2024-0%d-1%d%s,%spostpaid%s,%d.%02d,%d,%d)",
				(j > i ? "," : ""), q, j, q, q, j, q, 18 + j % 60, q, (j % 2 ? "F" : "M"), q,
				q, j % 97, q, q, 1 + j % 9, j % 10, q, q, q, j % 300, j % 100, 300 + j % 550, j % 30
		print ";"
	}
	for (i = 1; i <= n; i += b)
		printf "UPDATE crm.customer_profiles SET credit_score = credit_score + 1, plan_type = %sprepaid%s WHERE customer_id BETWEEN %sC%07d%s AND %sC%07d%s;\n",
			q, q, q, i, q, q, (i + b - 1 < n ? i + b - 1 : n), q
}' >workload.sql
my <workload.sql || error "workload failed"

# the peak RSS (VmHWM) of processes, summed, in kB
hwm() {
	for _p in "$@"; do
		awk '$1 == "VmHWM:" { print $2 }' "/proc/$_p/status" 2>/dev/null
	done | awk '{ s += $1 } END { print s + 0 }'
}
# wait_count TOPIC: poll until TOPIC holds $changes records; sets T_FIRST
# (the first poll that saw a record) and T_ALL, in ms
wait_count() {
	T_FIRST="" T_ALL=""
	_deadline=$(($(date +%s) + WAIT))
	while :; do
		_n=$(kcount "$1")
		[ "$_n" -eq 0 ] || [ -n "$T_FIRST" ] || T_FIRST=$(now_ms)
		if [ "$_n" -ge "$changes" ]; then
			T_ALL=$(now_ms)
			return 0
		fi
		[ "$(date +%s)" -lt "$_deadline" ] || return 1
		sleep 0.2
	done
}

echo
say "(a) binlog2jsonl | produce"
mkfifo ours.fifo
t0=$(now_ms)
produce -b "$KAFKA_BROKERS" -t ours.crm.customer_profiles -k after.customer_id,before.customer_id \
	<ours.fifo 2>ours-produce.log &
prod_pid=$!
binlog2jsonl -h 127.0.0.1 -P "$MYSQL_PORT" -u root -t crm.customer_profiles \
	--snapshot=never --start="$bfile:$bpos" >ours.fifo 2>ours-binlog.log &
bin_pid=$!
test_atexit "kill $bin_pid $prod_pid 2>/dev/null"
wait_count ours.crm.customer_profiles ||
	error "(a): $(kcount ours.crm.customer_profiles) of $changes records after ${WAIT}s"
o_s=$(awk -v a="$t0" -v b="$T_ALL" 'BEGIN { printf "%.2f", (b - a) / 1000 }')
o_str=$(awk -v a="$T_FIRST" -v b="$T_ALL" 'BEGIN { printf "%.2f", (b - a) / 1000 }')
o_r=$(hwm "$bin_pid" "$prod_pid")
o_cpu=$(awk '{ s += $14 + $15 } END { printf "%.2f", s / 100 }' "/proc/$bin_pid/stat" "/proc/$prod_pid/stat")
kill "$bin_pid"
wait "$prod_pid" "$bin_pid" 2>/dev/null

echo
say "(b) Debezium on Kafka Connect standalone"
mkdir -p connect
cat >connect/worker.properties <<EOT
bootstrap.servers=$KAFKA_BROKERS
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
key.converter.schemas.enable=false
value.converter.schemas.enable=false
offset.storage.file.filename=$TRASH/connect/offsets
offset.flush.interval.ms=1000
plugin.path=$DBZ_PLUGINS
plugin.discovery=only_scan
EOT
rest_port=$(free_port)
echo "listeners=http://127.0.0.1:$rest_port" >>connect/worker.properties
REST=http://127.0.0.1:$rest_port
# the connector's configuration, given through the REST interface: its
# validation errors come back there, one by one
jq -n --arg port "$MYSQL_PORT" --arg b "$KAFKA_BROKERS" '{
	"name": "dbz-mariadb",
	"connector.class": "io.debezium.connector.mariadb.MariaDbConnector",
	"tasks.max": "1",
	"database.hostname": "127.0.0.1",
	"database.port": $port,
	"database.user": "root",
	"database.server.id": "4242",
	"topic.prefix": "dbz",
	"database.include.list": "crm",
	"table.include.list": "crm.customer_profiles",
	"snapshot.mode": "recovery",
	"include.schema.changes": "false",
	"schema.history.internal.kafka.bootstrap.servers": $b,
	"schema.history.internal.kafka.topic": "dbz.schema-history"
}' >connect/mariadb.json
cat >connect/log4j.properties <<EOT
log4j.rootLogger=INFO, F
log4j.appender.F=org.apache.log4j.FileAppender
log4j.appender.F.File=$TRASH/connect/connect.log
log4j.appender.F.layout=org.apache.log4j.PatternLayout
log4j.appender.F.layout.ConversionPattern=[%d] %p %m (%c)%n
EOT
t0=$(now_ms)
java -Xms256M -Xmx2G -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
	-XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
	-Djava.awt.headless=true -Dlog4j.configuration="file:$TRASH/connect/log4j.properties" \
	-cp "$CONNECT_JARS/*" org.apache.kafka.connect.cli.ConnectStandalone \
	connect/worker.properties >connect/stdout.log 2>&1 &
jvm_pid=$!
test_atexit "kill -9 $jvm_pid 2>/dev/null"
connect_up() {
	kill -0 "$jvm_pid" 2>/dev/null || return 0
	curl -sf "$REST/connector-plugins" >connect/plugins.json
}
wait_until "$WAIT" "Kafka Connect's REST interface" connect_up &&
	kill -0 "$jvm_pid" 2>/dev/null ||
	error "(b): Kafka Connect did not start: $(grep -h -m 3 ERROR connect/connect.log connect/stdout.log)"
jq -e 'any(.[]; .class == "io.debezium.connector.mariadb.MariaDbConnector")' connect/plugins.json >/dev/null ||
	error "(b): Kafka Connect does not list Debezium's MariaDbConnector in $DBZ_PLUGINS: $(jq -c '[.[].class]' connect/plugins.json)"
curl -s -X PUT -H 'Content-Type: application/json' --data @connect/mariadb.json \
	"$REST/connector-plugins/MariaDbConnector/config/validate" >connect/validate.json ||
	error "(b): no answer to the validation of the connector's configuration"
[ "$(jq .error_count connect/validate.json)" = 0 ] ||
	error "(b): Debezium refuses the configuration: $(jq -r '.configs[].value |
		select(.errors | length > 0) | .name + ": " + (.errors | join("; "))' connect/validate.json)"
# Debezium 3.x has no snapshot.mode=never (read the binlog from a given
# place): the connector is created stopped, its offset set to the binlog
# position and GTID state before the workload (KIP-875), and resumed;
# snapshot.mode=recovery takes the table's schema from the server, then
# streams from that offset.
jq '{name: "dbz-mariadb", config: ., initial_state: "STOPPED"}' connect/mariadb.json |
	curl -s -X POST -H 'Content-Type: application/json' --data @- "$REST/connectors" >connect/created.json
jq -e .name connect/created.json >/dev/null ||
	error "(b): the connector could not be created: $(cat connect/created.json)"
dbz_state() {
	curl -s "$REST/connectors/dbz-mariadb/status" | jq -r .connector.state
}
wait_until 60 "the connector stopped" eval '[ "$(dbz_state)" = STOPPED ]' ||
	error "(b): the connector is $(dbz_state), not STOPPED"
jq -n --arg f "$bfile" --argjson p "$bpos" --arg g "$gtid" \
	'{offsets: [{partition: {server: "dbz"}, offset: {file: $f, pos: $p, gtids: $g}}]}' |
	curl -s -X PATCH -H 'Content-Type: application/json' --data @- \
		"$REST/connectors/dbz-mariadb/offsets" >connect/offsets.json
jq -e '.message and (.error_code | not)' connect/offsets.json >/dev/null ||
	error "(b): the connector's offset could not be set: $(cat connect/offsets.json)"
curl -s -X PUT "$REST/connectors/dbz-mariadb/resume" >/dev/null ||
	error "(b): the connector could not be resumed"
if ! wait_count dbz.crm.customer_profiles; then
	kill -0 "$jvm_pid" 2>/dev/null || say "Kafka Connect exited"
	grep -h -m 5 'ERROR\|Exception' connect/connect.log connect/stdout.log >&2
	error "(b): $(kcount dbz.crm.customer_profiles) of $changes records after ${WAIT}s (connect/*.log)"
fi
d_s=$(awk -v a="$t0" -v b="$T_ALL" 'BEGIN { printf "%.2f", (b - a) / 1000 }')
d_str=$(awk -v a="$T_FIRST" -v b="$T_ALL" 'BEGIN { printf "%.2f", (b - a) / 1000 }')
d_r=$(hwm "$jvm_pid")
d_cpu=$(awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$jvm_pid/stat")
kill "$jvm_pid"
wait "$jvm_pid" 2>/dev/null

# the two topics hold the same changes: each key's last credit_score
for t in ours dbz; do
	consume -b "$KAFKA_BROKERS" -q -e -t "$t.crm.customer_profiles" |
		jq -r '[.after.customer_id, .after.credit_score, .op] | @tsv' | sort >"$t.rows"
done
cmp -s ours.rows dbz.rows || error "the topics differ: $(diff ours.rows dbz.rows | head -3)"

echo
printf '%-28s %10s %-6s %10s %16s %11s\n' program count unit time rate "peak RSS"
row "binlog2jsonl | produce" "$changes" rows "$o_s" "$o_r"
row "Debezium on Connect" "$changes" rows "$d_s" "$d_r"
row "  streaming only (ours)" "$changes" rows "$o_str" "$o_r"
row "  streaming only (Debezium)" "$changes" rows "$d_str" "$d_r"
echo
echo "row changes in each topic: $changes, the same keys and values in both"
echo "binlog2jsonl|produce / Debezium rows/s ratio, start to last record: $(ratio "$d_s" "$o_s")," \
	"first to last record seen: $(ratio "$d_str" "$o_str")"
echo "peak RSS: binlog2jsonl + produce $(ratio "$o_r" 1024) MB, Kafka Connect JVM $(ratio "$d_r" 1024) MB" \
	"(RSS ratio Debezium/ours $(ratio "$d_r" "$o_r"))"
echo "CPU seconds: binlog2jsonl + produce $o_cpu, Kafka Connect $d_cpu (ratio $(ratio "$d_cpu" "$o_cpu"))"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
