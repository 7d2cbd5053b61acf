# shellcheck shell=bash
# tests/lib-registry.sh: a real schema registry for the tests.
#
#   . "$TEST_DIR/lib-registry.sh"
#   registry_start         # sets REGISTRY_URL (Confluent's REST API)
#   registry_start nowait; kafka_use; registry_wait   # both at once
#   REGISTRY_TLS=1 registry_start   # https only, its certificate in REGISTRY_CA
#   registry_serde_write TOPIC SCHEMA <json >base64   # another client's bytes
#
# Apicurio Registry 2.4.2 with its in-memory storage, bound to 127.0.0.1 on
# a free port, its log in $REGISTRY_DIR. Its Confluent-compatible API is
# under /apis/ccompat/v6 (REGISTRY_URL), its own under /apis/registry/v2
# (REGISTRY_API_URL). tests/setup-deps builds it into the cache from
# Maven Central. A registry this script started is stopped when it exits,
# also when a test fails.

REGISTRY_HOME=${REGISTRY_HOME:-${TP_CACHE:-$HOME/.cache/telco-pipes}/apicurio-registry-2.4.2}
REGISTRY_SERDE=${REGISTRY_SERDE:-${TP_CACHE:-$HOME/.cache/telco-pipes}/apicurio-serde-2.4.2}
REGISTRY_START_TIMEOUT=${REGISTRY_START_TIMEOUT:-120}

registry_start() {
	REGISTRY_DIR=${REGISTRY_DIR:-$TRASH/registry}
	[ -f "$REGISTRY_HOME/.complete" ] ||
		error "no Apicurio Registry in $REGISTRY_HOME: run tests/setup-deps (make test does)"
	mkdir -p "$REGISTRY_DIR"
	REGISTRY_PORT=$(free_port)
	_scheme=http _tls=""
	if [ -n "${REGISTRY_TLS:-}" ]; then
		REGISTRY_CA=$REGISTRY_DIR/cert.pem
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
			-addext subjectAltName=IP:127.0.0.1 -keyout "$REGISTRY_DIR/key.pem" \
			-out "$REGISTRY_CA" >"$REGISTRY_DIR/openssl.log" 2>&1 ||
			error "openssl could not make a certificate"
		export REGISTRY_CA
		_scheme=https
		_tls="-Dquarkus.http.ssl-port=$REGISTRY_PORT -Dquarkus.http.port=$(free_port)
-Dquarkus.http.insecure-requests=disabled
-Dquarkus.http.ssl.certificate.files=$REGISTRY_CA
-Dquarkus.http.ssl.certificate.key-files=$REGISTRY_DIR/key.pem"
	fi
	REGISTRY_URL=$_scheme://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v6
	REGISTRY_API_URL=$_scheme://127.0.0.1:$REGISTRY_PORT/apis/registry/v2
	export REGISTRY_URL REGISTRY_API_URL
	(
		cd "$REGISTRY_DIR" || exit 1
		# shellcheck disable=SC2086 # _tls is a list of options
		exec java -Xms64m -Xmx${REGISTRY_HEAP:-384m} -XX:+UseSerialGC \
			-Djava.awt.headless=true \
			-Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$REGISTRY_PORT" \
			$_tls -jar "$REGISTRY_HOME/registry.jar"
	) >"$REGISTRY_DIR/registry.log" 2>&1 &
	echo $! >"$REGISTRY_DIR/pid"
	disown $! 2>/dev/null || :
	test_atexit registry_stop
	[ "${1:-}" = nowait ] || registry_wait
}

# registry_wait: wait until the registry answers.
registry_wait() {
	if ! wait_until "$REGISTRY_START_TIMEOUT" "schema registry at $REGISTRY_URL" \
		_registry_ready; then
		echo "---- $REGISTRY_DIR/registry.log (last 40 lines) ----" >&2
		tail -n 40 "$REGISTRY_DIR/registry.log" >&2
		return 1
	fi
}

_registry_ready() {
	kill -0 "$(cat "$REGISTRY_DIR/pid")" 2>/dev/null || return 1
	[ "$(curl -s ${REGISTRY_CA:+--cacert "$REGISTRY_CA"} -o /dev/null \
		-w '%{http_code}' "$REGISTRY_URL/subjects")" = 200 ]
}

registry_stop() {
	_pf=$REGISTRY_DIR/pid
	[ -f "$_pf" ] || return 0
	kill -9 "$(cat "$_pf")" 2>/dev/null
	rm -f "$_pf"
	return 0
}

# registry_curl METHOD PATH [JSON]: one request to the registry's API;
# prints the body, then the HTTP status on a line of its own.
registry_curl() {
	curl -s ${REGISTRY_CA:+--cacert "$REGISTRY_CA"} -X "$1" \
		-H 'Content-Type: application/vnd.schemaregistry.v1+json' \
		${3:+--data-binary "$3"} -w '\n%{http_code}\n' "$REGISTRY_URL$2"
}

# registry_serde_write TOPIC SCHEMA-FILE: values in Avro's JSON encoding on
# stdin, serialized by Apicurio Registry's Kafka serializer for Avro in
# Confluent's framing, one message a line in base64 on stdout.
registry_serde_write() {
	[ -f "$REGISTRY_SERDE/.complete" ] ||
		error "no Apicurio serializer in $REGISTRY_SERDE: run tests/setup-deps"
	java -Xmx256m -XX:+UseSerialGC -cp "$REGISTRY_SERDE/*" \
		"$TEST_DIR/registry/serde/AvroWrite.java" "$REGISTRY_API_URL" "$1" "$2"
}
