#!/bin/bash
test_description='a schema registry behind a reverse proxy with basic authentication and TLS'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lib-kafka.sh"
. "$TEST_DIR/lib-registry.sh"

D=$TEST_DIR/data/avro
N=$TRASH/nginx

command -v nginx >/dev/null || PATH=$PATH:/usr/sbin
command -v nginx >/dev/null ||
	error "nginx is not installed: run tests/setup-deps (make test does)"

# nginx_start: nginx in $N, its own configuration, pid file, logs and
# temporary files there, in front of the registry: basic authentication
# (alice, password "secret") on http at $PROXY_URL and on https at
# $PROXY_TLS_URL, whose certificate a CA of this test ($N/ca.pem) signs.
nginx_start() {
	mkdir -p "$N/tmp" &&
	printf 'alice:%s\n' "$(openssl passwd -apr1 secret)" >"$N/htpasswd" &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=t2403 test CA" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign \
		-keyout "$N/ca.key" -out "$N/ca.pem" >"$N/openssl.log" 2>&1 &&
	openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
		-keyout "$N/server.key" -out "$N/server.csr" >>"$N/openssl.log" 2>&1 &&
	printf 'subjectAltName=IP:127.0.0.1\n' >"$N/server.ext" &&
	openssl x509 -req -in "$N/server.csr" -CA "$N/ca.pem" -CAkey "$N/ca.key" \
		-CAcreateserial -days 2 -extfile "$N/server.ext" \
		-out "$N/server.pem" >>"$N/openssl.log" 2>&1 || return 1
	_port=$(free_port) _tport=$(free_port) _up=${REGISTRY_URL#http://}
	_up=${_up%%/*}
	PROXY_URL=http://127.0.0.1:$_port/apis/ccompat/v6
	PROXY_TLS_URL=https://127.0.0.1:$_tport/apis/ccompat/v6
	{
		[ "$(id -u)" -ne 0 ] || echo "user root;"
		cat <<-EOF
		daemon off;
		worker_processes 1;
		pid $N/nginx.pid;
		error_log $N/error.log info;
		events { worker_connections 64; }
		http {
			access_log $N/access.log;
			client_body_temp_path $N/tmp/body;
			proxy_temp_path $N/tmp/proxy;
			fastcgi_temp_path $N/tmp/fastcgi;
			uwsgi_temp_path $N/tmp/uwsgi;
			scgi_temp_path $N/tmp/scgi;
			auth_basic "schema registry";
			auth_basic_user_file $N/htpasswd;
			server {
				listen 127.0.0.1:$_port;
				location / { proxy_pass http://$_up; }
			}
			server {
				listen 127.0.0.1:$_tport ssl;
				ssl_certificate $N/server.pem;
				ssl_certificate_key $N/server.key;
				location / { proxy_pass http://$_up; }
			}
		}
		EOF
	} >"$N/nginx.conf" &&
	{ nginx -p "$N" -e "$N/error.log" -c "$N/nginx.conf" >"$N/nginx.out" 2>&1 &
	  echo $! >"$N/master.pid"; } &&
	test_atexit nginx_stop &&
	if ! wait_until 30 "nginx in front of the registry" _nginx_ready; then
		cat "$N/nginx.out" "$N/error.log" >&2
		return 1
	fi
}

# both ports answer, and ask for credentials
_nginx_ready() {
	kill -0 "$(cat "$N/master.pid")" || return 1
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$PROXY_URL/subjects")" = 401 ] &&
	[ "$(curl -s --cacert "$N/ca.pem" -o /dev/null -w '%{http_code}' \
		"$PROXY_TLS_URL/subjects")" = 401 ]
}

nginx_stop() {
	[ -f "$N/master.pid" ] || return 0
	kill "$(cat "$N/master.pid")" 2>/dev/null
	rm -f "$N/master.pid"
}

# count TOPIC: how many messages partition 0 holds
count() {
	kcat -C -b "$KAFKA_BROKERS" -t "$1" -p 0 -o beginning -e -q -f 'x\n' | wc -l
}

test_expect_success 'a schema registry, nginx with basic authentication in front, a Kafka broker' '
	registry_start nowait &&
	kafka_use &&
	registry_wait &&
	nginx_start &&
	curl -s -o /dev/null -w "%{http_code}\n" -u alice:secret "$PROXY_URL/subjects" >ok &&
	curl -s -o /dev/null -w "%{http_code}\n" -u alice:wrong "$PROXY_URL/subjects" >bad &&
	echo 200 >ok.want && echo 401 >bad.want &&
	test_cmp ok.want ok && test_cmp bad.want bad
'

T=$(unique auth)
cat >producer.properties <<EOF
# the registry of a Confluent client's configuration
schema.registry.url=$PROXY_URL
schema.registry.basic.auth.user.info=alice:secret
EOF

test_expect_success 'produce -s avro: the registry and its credentials from a properties file (-F)' '
	kafka_topic "$T" 1 &&
	env -u SCHEMA_REGISTRY_USER_INFO produce -b "$KAFKA_BROKERS" -t "$T" -s avro \
		-F producer.properties --schema "$D/cdr.avsc" "$D/types.jsonl" &&
	registry_curl GET /subjects >subjects &&
	test_grep "\"$T-value\"" subjects &&
	test "$(count "$T")" -eq "$(wc -l <"$D/types.jsonl")" &&
	test_grep " - alice \[.*\"POST /apis/ccompat/v6/subjects/$T-value/versions HTTP/[0-9.]*\" 200 " \
		"$N/access.log"
'

test_expect_success 'consume -s avro: credentials from SCHEMA_REGISTRY_USER_INFO' '
	SCHEMA_REGISTRY_USER_INFO=alice:secret consume -b "$KAFKA_BROKERS" -t "$T" \
		-s avro -r "$PROXY_URL" -e >out &&
	test_cmp "$D/types.jsonl" out
'

G=$(unique group)
test_expect_success 'a wrong password: consume says the registry refused it (78), writes and commits nothing' '
	test_must_fail --status=78 env SCHEMA_REGISTRY_USER_INFO=alice:wrong consume \
		-b "$KAFKA_BROKERS" -t "$T" -G "$G" -s avro -r "$PROXY_URL" -e \
		>bad.out 2>bad.err &&
	test_line_count = 0 bad.out &&
	test_grep "registry $PROXY_URL: authentication refused for user alice" bad.err &&
	test_grep -v secret bad.err && test_grep -v wrong bad.err &&
	SCHEMA_REGISTRY_USER_INFO=alice:secret consume -b "$KAFKA_BROKERS" -t "$T" \
		-G "$G" -s avro -r "$PROXY_URL" -e >again.out &&
	test_cmp "$D/types.jsonl" again.out
'

B=$(unique bad)
test_expect_success 'a wrong password: produce says the registry refused it (78), sends nothing' '
	kafka_topic "$B" 1 &&
	sed "s/alice:secret/alice:wrong/" producer.properties >bad.properties &&
	test_must_fail --status=78 produce -b "$KAFKA_BROKERS" -t "$B" -s avro \
		-F bad.properties --schema "$D/cdr.avsc" "$D/types.jsonl" 2>pbad.err &&
	test_grep "registry $PROXY_URL: authentication refused for user alice" pbad.err &&
	test "$(count "$B")" -eq 0 &&
	registry_curl GET /subjects >subjects &&
	test_grep -v "\"$B-value\"" subjects
'

test_expect_success 'no credentials at all: the error says where they are given' '
	test_must_fail --status=78 env -u SCHEMA_REGISTRY_USER_INFO consume \
		-b "$KAFKA_BROKERS" -t "$T" -s avro -r "$PROXY_URL" -e >none.out 2>none.err &&
	test_line_count = 0 none.out &&
	test_grep "authentication refused: .*schema.registry.basic.auth.user.info" none.err
'

test_expect_success 'the configuration comes before the environment; basic.auth.user.info as Confluent spells it' '
	printf "basic.auth.user.info=alice:secret\n" >consumer.properties &&
	SCHEMA_REGISTRY_USER_INFO=alice:wrong consume -b "$KAFKA_BROKERS" -t "$T" \
		-s avro -r "$PROXY_URL" -F consumer.properties -e >conf.out &&
	test_cmp "$D/types.jsonl" conf.out &&
	test_must_fail --status=78 env SCHEMA_REGISTRY_USER_INFO=alice:secret consume \
		-b "$KAFKA_BROKERS" -t "$T" -s avro -r "$PROXY_URL" \
		-X schema.registry.basic.auth.user.info=alice:wrong -e >/dev/null 2>x.err &&
	test_grep "authentication refused for user alice" x.err
'

test_expect_success '-r comes before schema.registry.url' '
	test_must_fail --status=78 produce -b "$KAFKA_BROKERS" -t "$B" -s avro \
		-F producer.properties -r "$PROXY_TLS_URL" \
		--schema "$D/cdr.avsc" "$D/types.jsonl" 2>r.err &&
	test_grep "registry $PROXY_TLS_URL: .*certificate" r.err &&
	test "$(count "$B")" -eq 0
'

test_expect_success 'https: schema.registry.ssl.ca.location verifies the proxy'"'"'s certificate' '
	cat >tls.properties <<-EOF &&
	schema.registry.url=$PROXY_TLS_URL
	schema.registry.ssl.ca.location=$N/ca.pem
	schema.registry.basic.auth.user.info=alice:secret
	EOF
	env -u SCHEMA_REGISTRY_CA -u SCHEMA_REGISTRY_USER_INFO consume \
		-b "$KAFKA_BROKERS" -t "$T" -s avro -F tls.properties -e >tls.out &&
	test_cmp "$D/types.jsonl" tls.out &&
	grep -v ssl.ca.location tls.properties >notls.properties &&
	test_must_fail --status=78 env -u SCHEMA_REGISTRY_CA consume \
		-b "$KAFKA_BROKERS" -t "$T" -s avro -F notls.properties -e \
		>notls.out 2>notls.err &&
	test_line_count = 0 notls.out &&
	test_grep "registry $PROXY_TLS_URL: .*certificate" notls.err
'

test_done
