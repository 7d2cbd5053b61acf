# shellcheck shell=bash
# pipelines/lib-leg.sh: run the processes of one leg in the background,
# joined by FIFOs, and wait for them as one. Sourced by the leg scripts.
#
#   leg_fifo NAME          a FIFO $LEG_DIR/NAME (made afresh); prints its path
#   CMD... >F & leg_source $!   a process that reads from outside (consume,
#                               binlog2jsonl)
#   CMD... <F & leg_sink $!     a process that reads from the leg
#   leg_wait               wait for them all; exits with the leg's status
#
# SIGTERM or SIGINT stops the sources only: what they wrote drains through
# the sinks, which end at the end of their input, so nothing read is lost.
# When every sink has ended the sources still running are stopped; when a
# process fails, the others are stopped and its status is the leg's.

_leg_src="" _leg_all="" _leg_stop=0

leg_fifo() {
	mkdir -p "$LEG_DIR" || exit 73
	rm -f "$LEG_DIR/$1"
	mkfifo "$LEG_DIR/$1" || exit 73
	printf '%s\n' "$LEG_DIR/$1"
}

leg_source() { _leg_src="$_leg_src $1" _leg_all="$_leg_all $1"; }

leg_sink() { _leg_all="$_leg_all $1"; }

_leg_term() {
	# shellcheck disable=SC2086 # lists of pids
	[ $# -eq 0 ] || kill -TERM "$@" 2>/dev/null
}

_leg_drop() { # PID LIST: LIST without PID
	_l=""
	for _x in $2; do [ "$_x" = "$1" ] || _l="$_l $_x"; done
	printf '%s' "$_l"
}

leg_wait() {
	trap '_leg_stop=1; _leg_term $_leg_src' TERM INT
	_st=0
	while [ -n "${_leg_all// /}" ]; do
		# A process that ended while the shell was busy elsewhere (before
		# leg_wait, or as others ended) is one bash has reaped and
		# forgotten as a job: wait -n no longer sees it, but wait PID
		# still gives its status. So look for those first, and let a
		# tick end each wait -n within a second.
		_p="" _s=0
		for _x in $_leg_all; do
			kill -0 "$_x" 2>/dev/null && continue
			wait "$_x" 2>/dev/null
			_s=$? _p=$_x
			break
		done
		if [ -z "$_p" ]; then
			sleep 1 &
			_tick=$!
			# shellcheck disable=SC2086
			wait -n -p _p $_leg_all "$_tick" 2>/dev/null
			_s=$?
			kill "$_tick" 2>/dev/null
			wait "$_tick" 2>/dev/null
			# the tick, a signal, or one that ended unseen: look again
			[ -n "${_p:-}" ] && [ "$_p" != "$_tick" ] || continue
		fi
		_leg_all=$(_leg_drop "$_p" "$_leg_all")
		case " $_leg_src " in *" $_p "*) _leg_src=$(_leg_drop "$_p" "$_leg_src") ;; esac
		if [ "$_s" -ne 0 ] && [ "$_st" -eq 0 ] &&
			! { [ "$_leg_stop" = 1 ] && [ "$_s" -eq 143 ]; }; then
			_st=$_s
			[ "$_s" -eq 141 ] || _leg_term $_leg_all
		fi
		_sinks=$_leg_all
		for _x in $_leg_src; do _sinks=$(_leg_drop "$_x" "$_sinks"); done
		[ -n "${_sinks// /}" ] || _leg_term $_leg_src
	done
	exit "$_st"
}
