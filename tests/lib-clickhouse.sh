# shellcheck shell=bash
# tests/lib-clickhouse.sh: a real ClickHouse server for the tests.
#
#   . "$TEST_DIR/lib-clickhouse.sh"
#   ch_start               # start a server of this script's own; sets CH_URL
#   ch_query "SELECT 1"    # run a query over HTTP, result on stdout
#   ch_stop; ch_start_again  # stop it (SIGTERM) and start it on the same ports
#   ch_kill                # kill -9
#
# The server runs as the current user, bound to 127.0.0.1 on free ports,
# with its config, data and logs in $CH_DIR (under $TRASH). A server this
# script started is stopped when it exits, also when a test fails; its log
# is printed when it does not become ready in time.

CH_START_TIMEOUT=${CH_START_TIMEOUT:-60}

# ch_start: write a config (root element <yandex>, as 18.16 wants) and start.
ch_start() {
	CH_DIR=${CH_DIR:-$TRASH/clickhouse}
	command -v clickhouse-server >/dev/null ||
		error "clickhouse-server is not installed: run tests/setup-deps (make test does)"
	mkdir -p "$CH_DIR/data" "$CH_DIR/tmp" "$CH_DIR/user_files" "$CH_DIR/format_schemas"
	CH_HTTP_PORT=$(free_port)
	CH_TCP_PORT=$(free_port)
	while [ "$CH_TCP_PORT" = "$CH_HTTP_PORT" ]; do CH_TCP_PORT=$(free_port); done
	cat >"$CH_DIR/users.xml" <<EOT
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>::/0</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
    <tester>
      <password>s3cret</password>
      <networks><ip>::/0</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </tester>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries>
    <errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows>
    <execution_time>0</execution_time></interval></default></quotas>
</yandex>
EOT
	cat >"$CH_DIR/config.xml" <<EOT
<?xml version="1.0"?>
<yandex>
  <logger>
    <level>information</level>
    <log>$CH_DIR/server.log</log>
    <errorlog>$CH_DIR/server.err.log</errorlog>
    <size>100M</size>
    <count>1</count>
  </logger>
  <http_port>$CH_HTTP_PORT</http_port>
  <tcp_port>$CH_TCP_PORT</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>$CH_DIR/data/</path>
  <tmp_path>$CH_DIR/tmp/</tmp_path>
  <user_files_path>$CH_DIR/user_files/</user_files_path>
  <format_schema_path>$CH_DIR/format_schemas/</format_schema_path>
  <users_config>$CH_DIR/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>67108864</mark_cache_size>
  <max_concurrent_queries>50</max_concurrent_queries>
</yandex>
EOT
	CH_URL=http://127.0.0.1:$CH_HTTP_PORT
	export CH_URL CH_HTTP_PORT CH_TCP_PORT CH_DIR
	test_atexit ch_stop
	ch_start_again
}

# ch_start_again: start the server configured by ch_start (after ch_stop).
ch_start_again() {
	(cd "$CH_DIR" && exec clickhouse-server --config-file="$CH_DIR/config.xml" \
		>>"$CH_DIR/stdout.log" 2>&1) &
	_chpid=$!
	echo $_chpid >"$CH_DIR/pid"
	disown $_chpid 2>/dev/null || :
	_deadline=$(($(date +%s) + CH_START_TIMEOUT))
	# Ready when it answers and is still alive: an answer from a server
	# that died at once would come from someone else's on that port.
	until _ch_ready && kill -0 "$_chpid" 2>/dev/null; do
		if ! kill -0 "$_chpid" 2>/dev/null; then
			echo "ch_start: clickhouse-server exited before it was ready" >&2
			ch_print_logs
			return 1
		fi
		if [ "$(date +%s)" -ge "$_deadline" ]; then
			echo "ch_start: timed out after ${CH_START_TIMEOUT}s waiting for ClickHouse at $CH_URL" >&2
			ch_print_logs
			return 1
		fi
		sleep 0.1
	done
}

_ch_ready() {
	[ "$(curl -s --max-time 2 "$CH_URL/?query=SELECT%201")" = 1 ]
}

ch_print_logs() {
	echo "---- $CH_DIR/server.err.log (last 40 lines) ----" >&2
	tail -n 40 "$CH_DIR/server.err.log" "$CH_DIR/stdout.log" >&2 2>/dev/null
}

# ch_query SQL: run SQL over HTTP; the result on stdout, the error on stderr
# and a non-zero status when the server answers with one.
ch_query() {
	_out=$(curl -sS --max-time 60 -w '\n%{http_code}' --data-binary "$1" "$CH_URL/") || return 1
	_code=${_out##*$'\n'}
	_out=${_out%$'\n'*}
	if [ "$_code" != 200 ]; then
		printf '%s\n' "$_out" >&2
		return 1
	fi
	_out=${_out%$'\n'}
	[ -z "$_out" ] || printf '%s\n' "$_out"
}

# ch_query_file FILE: run every statement of a .sql file (split on ';' at
# the end of a line; '--' comment lines dropped).
ch_query_file() {
	awk '
		/^[ \t]*--/ { next }
		{ stmt = stmt $0 "\n" }
		/;[ \t]*$/ { sub(/;[ \t]*\n$/, "", stmt); printf "%s%c", stmt, 0; stmt = "" }
		END { if (stmt ~ /[^ \t\n]/) printf "%s%c", stmt, 0 }
	' "$1" >"$TRASH/.ch_stmts"
	while IFS= read -r -d '' _s; do
		case $_s in *[![:space:]]*) ;; *) continue ;; esac
		ch_query "$_s" || { echo "ch_query_file: $1: failed: $_s" >&2; return 1; }
	done <"$TRASH/.ch_stmts"
}

# ch_stop: stop the server (SIGTERM) and wait for it to exit; after
# CH_STOP_TIMEOUT seconds (30) kill -9 it. (18.16 may not end while clients
# keep sending on their open connections.)
ch_stop() {
	_pid=$(cat "$CH_DIR/pid" 2>/dev/null) || return 0
	kill "$_pid" 2>/dev/null || { rm -f "$CH_DIR/pid"; return 0; }
	_deadline=$(($(date +%s) + ${CH_STOP_TIMEOUT:-30}))
	while kill -0 "$_pid" 2>/dev/null; do
		if [ "$(date +%s)" -ge "$_deadline" ]; then
			kill -9 "$_pid" 2>/dev/null
			break
		fi
		sleep 0.1
	done
	rm -f "$CH_DIR/pid"
}

# ch_kill: kill -9 the server.
ch_kill() {
	_pid=$(cat "$CH_DIR/pid" 2>/dev/null) || return 0
	kill -9 "$_pid" 2>/dev/null
	while kill -0 "$_pid" 2>/dev/null; do sleep 0.05; done
	rm -f "$CH_DIR/pid"
}
