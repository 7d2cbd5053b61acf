# shellcheck shell=bash
# tests/lib-mysql.sh: a MariaDB server of our own, in the scratch folder, on
# a free port, with the row-based binlog CDC needs. For tests (through
# lib.sh), the demo and benchmarks (which define TRASH, test_atexit and
# error themselves, and source lib-base.sh first).
#
#   . "$TEST_DIR/lib-mysql.sh"
#   my_start || error "MariaDB did not start"
#   my -e 'CREATE DATABASE crm'            # the client, as root
#   my_q crm 'SELECT COUNT(*) FROM t'      # one query, tab-separated, no header, UTC
#   my_stop                                # also done at exit
#
# After my_start these are set and exported:
#   MYSQL_DEFAULTS_FILE  a client option file ([client]: socket, port, user root)
#   MYSQL_SOCKET         the server's socket
#   MYSQL_PORT           its TCP port on 127.0.0.1
#   MY_DIR               its folder ($TRASH/mysql): data/, server.log, pid
# MY_DIR and MYSQL_PORT may be set before my_start to choose them.
# MY_EXTRA_ARGS: more mariadbd options (a string, split on blanks).

MY_DIR=${MY_DIR:-$TRASH/mysql}
MYSQLD=${MYSQLD:-mariadbd}
MYSQL_CLIENT=${MYSQL_CLIENT:-mariadb}

# my_start: initialise the data folder when it is new, start the server,
# wait until it answers (60 s), register its stop at exit. On failure,
# print the server's log on stderr and return 1.
my_start() {
	command -v "$MYSQLD" >/dev/null 2>&1 || {
		echo "lib-mysql: $MYSQLD is not installed (tests/setup-deps)" >&2
		return 1
	}
	mkdir -p "$MY_DIR" || return 1
	MYSQL_SOCKET=$MY_DIR/sock
	MYSQL_PORT=${MYSQL_PORT:-$(free_port)}
	MYSQL_DEFAULTS_FILE=$MY_DIR/client.cnf
	# (not MYSQL_HOST: the clients read it and would leave the socket)
	export MYSQL_SOCKET MYSQL_PORT MYSQL_DEFAULTS_FILE
	cat >"$MYSQL_DEFAULTS_FILE" <<EOF
[client]
socket=$MYSQL_SOCKET
port=$MYSQL_PORT
user=root
default-character-set=utf8mb4
EOF
	_my_new=0
	if [ ! -d "$MY_DIR/data/mysql" ]; then
		_my_new=1
		# its own temporary folder, not a /tmp other programs share
		mkdir -p "$MY_DIR/tmp" &&
		mariadb-install-db --no-defaults --datadir="$MY_DIR/data" --user=root \
			--tmpdir="$MY_DIR/tmp" \
			--auth-root-authentication-method=normal --skip-test-db \
			>"$MY_DIR/install.log" 2>&1 || {
			cat "$MY_DIR/install.log" >&2
			echo "lib-mysql: mariadb-install-db failed" >&2
			return 1
		}
	fi
	mkdir -p "$MY_DIR/tmp"
	# shellcheck disable=SC2086 # MY_EXTRA_ARGS is a list of options
	"$MYSQLD" --no-defaults --datadir="$MY_DIR/data" --user=root \
		--tmpdir="$MY_DIR/tmp" \
		--socket="$MYSQL_SOCKET" --port="$MYSQL_PORT" --bind-address=127.0.0.1 \
		--log-bin="$MY_DIR/data/binlog" --server-id=1 --binlog-format=ROW \
		--binlog-row-image=FULL --binlog-row-metadata=FULL \
		--local-infile=1 --innodb-buffer-pool-size=64M --skip-name-resolve \
		--pid-file="$MY_DIR/server.pid" ${MY_EXTRA_ARGS:-} \
		>>"$MY_DIR/server.log" 2>&1 &
	echo $! >"$MY_DIR/pid"
	_my_dead=0
	# stopped and waited for, so that its files are closed before the
	# scratch folder goes
	test_atexit "my_stop || kill -9 \$(cat '$MY_DIR/pid' 2>/dev/null) 2>/dev/null"
	if ! wait_until 60 "MariaDB on $MYSQL_SOCKET" _my_up ||
		[ "$_my_dead" = 1 ]; then
		echo "lib-mysql: MariaDB did not start; its log:" >&2
		cat "$MY_DIR/server.log" >&2
		return 1
	fi
	# no anonymous users: they would shadow 'user'@'%' on the socket
	if [ "$_my_new" = 1 ]; then
		my -B -N -e "SELECT CONCAT('DROP USER ''''@', QUOTE(Host), ';')
			FROM mysql.user WHERE User = ''" | my || return 1
	fi
}

# _my_up: true when the server answers, or when it has died (_my_dead=1),
# so that a server that cannot start is reported at once, not after 60 s.
_my_up() {
	if ! kill -0 "$(cat "$MY_DIR/pid")" 2>/dev/null; then
		_my_dead=1
		return 0
	fi
	my -e 'SELECT 1'
}

# my_stop: stop the server and wait (60 s) until it has gone.
my_stop() {
	[ -f "$MY_DIR/pid" ] || return 0
	_my_pid=$(cat "$MY_DIR/pid")
	kill "$_my_pid" 2>/dev/null || { rm -f "$MY_DIR/pid"; return 0; }
	if ! wait_until 60 "MariaDB to stop" sh -c "! kill -0 $_my_pid"; then
		cat "$MY_DIR/server.log" >&2
		return 1
	fi
	rm -f "$MY_DIR/pid"
}

# my ARGS...: the client, as root, with the option file.
my() {
	"$MYSQL_CLIENT" --defaults-file="$MYSQL_DEFAULTS_FILE" "$@"
}

# my_q DB SQL: one statement's result, tab-separated, no header, in UTC.
my_q() {
	my -B -N -D "$1" -e "SET time_zone = '+00:00'; $2"
}
