# shellcheck shell=bash
# tests/lib-base.sh: what the server helpers (lib-kafka.sh, lib-mysql.sh,
# lib-pg.sh, ...) need from whoever sources them: tests through lib.sh, and
# the demo and benchmarks directly. A caller that is not a test defines
# TRASH (the scratch folder), test_atexit CMD and error MSG itself.

# wait_until SECONDS DESC CMD...: run CMD until it succeeds, or fail after
# SECONDS with DESC. A condition with a deadline, never a bare sleep.
wait_until() {
	_secs=$1 _desc=$2
	shift 2
	_deadline=$(($(date +%s) + _secs))
	while ! "$@" >/dev/null 2>&1; do
		if [ "$(date +%s)" -ge "$_deadline" ]; then
			echo "wait_until: timed out after ${_secs}s waiting for $_desc" >&2
			return 1
		fi
		sleep 0.1
	done
}

# free_port: a TCP port on 127.0.0.1 with nothing listening, picked at random,
# below the kernel's range of ephemeral ports when that leaves room: a port
# in it may be taken as the local end of a connection (one node of a
# cluster connecting to another) before its server binds it.
# Scripts that run at the same time could pick the same port before either
# binds it, so each pick is also claimed (mkdir is atomic) in a folder
# shared by every script of this user; claims expire after an hour.
free_port() {
	_claims=${TMPDIR:-/tmp}/telco-pipes-ports.$(id -u)
	mkdir -p "$_claims" &&
	find "$_claims" -mindepth 1 -maxdepth 1 -mmin +60 -exec rmdir {} + 2>/dev/null
	_lo=20000 _hi=50000
	read -r _elo _ 2>/dev/null <"/proc/sys/net/ipv4/ip_local_port_range"
	[ "${_elo:-0}" -lt $((_lo + 5000)) ] || [ "$_elo" -ge "$_hi" ] || _hi=$_elo
	while :; do
		_p=$(( ($(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % (_hi - _lo)) + _lo ))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$_p") 2>/dev/null &&
		   mkdir "$_claims/$_p" 2>/dev/null; then
			echo "$_p"
			return 0
		fi
	done
}

