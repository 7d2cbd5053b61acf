# shellcheck shell=bash
# tests/lib-pg.sh: a PostgreSQL server of our own, in the scratch folder, on
# a free port, with wal_level=logical for CDC. For tests (through lib.sh),
# the demo and benchmarks (which define TRASH, test_atexit and error
# themselves, and source lib-base.sh first).
#
#   . "$TEST_DIR/lib-pg.sh"
#   pg_start || error "PostgreSQL did not start"
#   pg -d billing -c 'SELECT 1'            # psql, as postgres, stops on errors
#   pg_q billing 'SELECT count(*) FROM t'  # one query, unaligned, tab-separated,
#                                          # no header (more psql options after)
#   pg_stop                                # also done at exit
#
# PostgreSQL refuses to run as root: when we are root, initdb and the server
# run as PG_OS_USER (postgres) through runuser, on a folder that user owns.
# After pg_start these are set and exported (what libpq clients need):
#   PGHOST      127.0.0.1
#   PGPORT      its port
#   PGUSER      postgres (a superuser, trust authentication)
#   PGDATABASE  postgres
#   PG_DIR      its folder ($TRASH/pg): data/, server.log; the socket is there too
#   PG_BIN      the server's programs (/usr/lib/postgresql/15/bin)
# PG_DIR and PGPORT may be set before pg_start to choose them.
# PG_EXTRA_ARGS: more server options ("-c name=value ..."), as one string.

PG_DIR=${PG_DIR:-$TRASH/pg}
PG_OS_USER=${PG_OS_USER:-postgres}
if [ -z "${PG_BIN:-}" ]; then
	for _v in 15 16 17 14; do
		if [ -x "/usr/lib/postgresql/$_v/bin/pg_ctl" ]; then
			PG_BIN=/usr/lib/postgresql/$_v/bin
			break
		fi
	done
fi

# _pg_as CMD...: CMD as the owner of the data folder.
_pg_as() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "$PG_OS_USER" -- "$@"
	else
		"$@"
	fi
}

# pg_start: initialise the data folder when it is new, start the server,
# wait until it answers (60 s), register its stop at exit. On failure,
# print the server's log on stderr and return 1.
pg_start() {
	[ -n "${PG_BIN:-}" ] && [ -x "$PG_BIN/pg_ctl" ] || {
		echo "lib-pg: no PostgreSQL server programs (tests/setup-deps)" >&2
		return 1
	}
	mkdir -p "$PG_DIR" || return 1
	if [ "$(id -u)" -eq 0 ]; then
		chown "$PG_OS_USER" "$PG_DIR" || return 1
		_pg_as test -w "$PG_DIR" || {
			echo "lib-pg: $PG_DIR: $PG_OS_USER cannot write there" \
				"(a parent folder it cannot enter?)" >&2
			return 1
		}
	fi
	PGHOST=127.0.0.1
	PGPORT=${PGPORT:-$(free_port)}
	PGUSER=postgres
	PGDATABASE=postgres
	export PGHOST PGPORT PGUSER PGDATABASE PG_DIR PG_BIN
	if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
		_pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres \
			-E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 || {
			cat "$PG_DIR/initdb.log" >&2
			echo "lib-pg: initdb failed" >&2
			return 1
		}
	fi
	test_atexit "_pg_as '$PG_BIN/pg_ctl' -D '$PG_DIR/data' -m immediate -w -t 30 stop >/dev/null 2>&1"
	_pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -o "-p $PGPORT \
		-k $PG_DIR -c listen_addresses=127.0.0.1 -c wal_level=logical \
		-c max_replication_slots=20 -c max_wal_senders=20 -c fsync=off \
		${PG_EXTRA_ARGS:-}" start >"$PG_DIR/pg_ctl.log" 2>&1 || {
		cat "$PG_DIR/pg_ctl.log" "$PG_DIR/server.log" >&2
		echo "lib-pg: pg_ctl start failed" >&2
		return 1
	}
	if ! wait_until 60 "PostgreSQL on $PGPORT" \
		psql -X -q -d postgres -c 'SELECT 1'; then
		echo "lib-pg: PostgreSQL did not start; its log:" >&2
		cat "$PG_DIR/server.log" >&2
		return 1
	fi
}

# pg_stop: stop the server (fast shutdown) and wait (60 s).
pg_stop() {
	[ -f "$PG_DIR/data/postmaster.pid" ] || return 0
	_pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 60 stop \
		>>"$PG_DIR/pg_ctl.log" 2>&1 || {
		cat "$PG_DIR/server.log" >&2
		return 1
	}
}

# pg ARGS...: psql, no psqlrc, stopping at the first error.
pg() {
	psql -X -q -v ON_ERROR_STOP=1 "$@"
}

# pg_q DB SQL [PSQL-ARGS...]: the result, unaligned, tab-separated, no header.
pg_q() {
	psql -X -At -F '	' -v ON_ERROR_STOP=1 -d "$1" -c "$2" "${@:3}"
}
