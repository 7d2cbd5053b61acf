# shellcheck shell=bash
# tests/lib-kafka.sh: real Apache Kafka brokers (KRaft) for the tests.
#
#   . "$TEST_DIR/lib-kafka.sh"
#   kafka_use              # the run's shared one-node cluster, or a new one
#   kafka_start 3          # a cluster of three nodes of this script's own
#   kafka_topic NAME 6     # create a topic with 6 partitions
#   kafka_kill_node 2; kafka_start_node 2
#
# Nodes are broker and controller in one process, bound to 127.0.0.1 on free
# ports, with their data and logs in $KAFKA_DIR. The jars come from the
# cache that tests/setup-deps fills from Maven Central. A cluster this script
# started is stopped when it exits, also when a test fails.

# shellcheck disable=SC2154 # _p and _c are set through eval
KAFKA_VERSION=3.9.1
KAFKA_JARS=${KAFKA_JARS:-${TP_CACHE:-$HOME/.cache/telco-pipes}/kafka-$KAFKA_VERSION}
KAFKA_START_TIMEOUT=${KAFKA_START_TIMEOUT:-120}

# Always run in the background (`_kafka_java ... &`): exec makes $! the pid
# of java itself, so that kafka_kill_node and kafka_stop stop the broker and
# not only the subshell that started it.
_kafka_java() {
	exec java -Xms64m -Xmx${KAFKA_HEAP:-384m} -XX:+UseSerialGC -Djava.awt.headless=true \
		-Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" \
		-cp "$KAFKA_JARS/*" "$@"
}

# kafka_start [N]: start a cluster of N nodes (default 1); sets KAFKA_BROKERS.
kafka_start() {
	KAFKA_NODES=${1:-1}
	KAFKA_DIR=${KAFKA_DIR:-$TRASH/kafka}
	[ -f "$KAFKA_JARS/.complete" ] ||
		error "no Kafka jars in $KAFKA_JARS: run tests/setup-deps (make test does)"
	mkdir -p "$KAFKA_DIR"
	cat >"$KAFKA_DIR/log4j.properties" <<EOT
log4j.rootLogger=INFO, F
log4j.appender.F=org.apache.log4j.FileAppender
log4j.appender.F.File=\${kafka.logs.dir}/server.log
log4j.appender.F.layout=org.apache.log4j.PatternLayout
log4j.appender.F.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.org.apache.kafka.controller=INFO
EOT
	_voters="" KAFKA_BROKERS=""
	_i=1
	while [ "$_i" -le "$KAFKA_NODES" ]; do
		eval "KAFKA_PORT_$_i=$(free_port)"
		eval "KAFKA_CPORT_$_i=$(free_port)"
		eval "_p=\$KAFKA_PORT_$_i _c=\$KAFKA_CPORT_$_i"
		_voters="$_voters${_voters:+,}$_i@127.0.0.1:$_c"
		KAFKA_BROKERS="$KAFKA_BROKERS${KAFKA_BROKERS:+,}127.0.0.1:$_p"
		_i=$((_i + 1))
	done
	_rf=$KAFKA_NODES
	[ "$_rf" -le 3 ] || _rf=3
	_isr=1
	[ "$_rf" -lt 3 ] || _isr=2
	_cluster=$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | cut -c1-22)
	# an id that starts with '-' would be read by kafka-storage as an option
	case $_cluster in -*) _cluster=A${_cluster#?} ;; esac
	_i=1
	while [ "$_i" -le "$KAFKA_NODES" ]; do
		eval "_p=\$KAFKA_PORT_$_i _c=\$KAFKA_CPORT_$_i"
		_d="$KAFKA_DIR/node$_i"
		mkdir -p "$_d/data"
		cat >"$_d/server.properties" <<EOT
process.roles=broker,controller
node.id=$_i
controller.quorum.voters=$_voters
listeners=PLAINTEXT://127.0.0.1:$_p,CONTROLLER://127.0.0.1:$_c
advertised.listeners=PLAINTEXT://127.0.0.1:$_p
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$_d/data
num.partitions=${KAFKA_PARTITIONS:-1}
default.replication.factor=$_rf
min.insync.replicas=$_isr
offsets.topic.replication.factor=$_rf
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=$_rf
transaction.state.log.min.isr=$_isr
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
log.flush.interval.messages=9223372036854775807
EOT
		_kafka_java -Dkafka.logs.dir="$_d" kafka.tools.StorageTool format \
			-t "$_cluster" -c "$_d/server.properties" >"$_d/format.log" 2>&1 &
		_i=$((_i + 1))
	done
	wait
	test_atexit kafka_stop
	_i=1
	while [ "$_i" -le "$KAFKA_NODES" ]; do
		kafka_start_node "$_i" nowait || return 1
		_i=$((_i + 1))
	done
	export KAFKA_BROKERS
	kafka_wait_ready "$KAFKA_NODES"
}

# kafka_start_node I [nowait]: start node I of the cluster again.
kafka_start_node() {
	_d="$KAFKA_DIR/node$1"
	_kafka_java -Dkafka.logs.dir="$_d" kafka.Kafka "$_d/server.properties" \
		>>"$_d/stdout.log" 2>&1 &
	echo $! >"$_d/pid"
	disown $! 2>/dev/null || :
	[ "${2:-}" = nowait ] || kafka_wait_ready "$KAFKA_NODES"
}

# kafka_wait_ready N: wait until the cluster's metadata shows N brokers.
kafka_wait_ready() {
	if ! wait_until "$KAFKA_START_TIMEOUT" "$1 Kafka broker(s) at $KAFKA_BROKERS" \
		_kafka_has_brokers "$1"; then
		kafka_print_logs
		return 1
	fi
}

_kafka_has_brokers() {
	_n=$(kcat -b "$KAFKA_BROKERS" -L -m 3 2>/dev/null | sed -n 's/^ *\([0-9]*\) brokers:$/\1/p')
	[ "${_n:-0}" -ge "$1" ]
}

kafka_print_logs() {
	for _d in "$KAFKA_DIR"/node*; do
		echo "---- $_d/server.log (last 40 lines) ----" >&2
		tail -n 40 "$_d/server.log" "$_d/stdout.log" >&2 2>/dev/null
	done
}

# kafka_stop_node I: stop node I cleanly (SIGTERM) and wait for it.
kafka_stop_node() {
	_pid=$(cat "$KAFKA_DIR/node$1/pid" 2>/dev/null) || return 0
	kill "$_pid" 2>/dev/null || return 0
	_deadline=$(($(date +%s) + 30))
	while kill -0 "$_pid" 2>/dev/null; do
		if [ "$(date +%s)" -ge "$_deadline" ]; then
			kill -9 "$_pid" 2>/dev/null
			break
		fi
		sleep 0.1
	done
	rm -f "$KAFKA_DIR/node$1/pid"
}

# kafka_kill_node I: kill -9 node I.
kafka_kill_node() {
	_pid=$(cat "$KAFKA_DIR/node$1/pid" 2>/dev/null) || return 0
	kill -9 "$_pid" 2>/dev/null
	while kill -0 "$_pid" 2>/dev/null; do sleep 0.05; done
	rm -f "$KAFKA_DIR/node$1/pid"
}

kafka_stop() {
	for _pf in "$KAFKA_DIR"/node*/pid; do
		[ -f "$_pf" ] && kill -9 "$(cat "$_pf")" 2>/dev/null
		rm -f "$_pf"
	done
	return 0
}

# kafka_use: the cluster tests/run started for the whole run (one node), or
# one of this script's own when the script runs alone.
kafka_use() {
	if [ -n "${TELCO_KAFKA_BROKERS:-}" ]; then
		KAFKA_BROKERS=$TELCO_KAFKA_BROKERS
		export KAFKA_BROKERS
		return 0
	fi
	kafka_start 1
}

# kafka_topic NAME PARTITIONS [REPLICATION]: create a topic and wait for it.
kafka_topic() {
	kafka-admin -b "$KAFKA_BROKERS" create "$1" "${2:-1}" "${3:--1}"
}
