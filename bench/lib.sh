# shellcheck shell=bash
# bench/lib.sh: what the benchmark scripts share: a scratch folder, the
# server helpers of the tests, and a runner that records wall time and
# peak RSS of one command.

BENCH_NAME=$(basename "$0" .sh)
TOP=$(cd "$(dirname "$0")/.." && pwd)
TEST_DIR=$TOP/tests
PATH="$TOP/bin:$TOP/build/tests:$PATH"
TRASH=$TOP/bench/out/$BENCH_NAME
export TOP PATH TRASH
rm -rf "$TRASH"
mkdir -p "$TRASH"
cd "$TRASH" || exit 1

_atexit=""
test_atexit() { _atexit="$1
$_atexit"; }
error() { echo "$BENCH_NAME: $*" >&2; exit 1; }
_bench_exit() {
	printf '%s\n' "$_atexit" | while IFS= read -r c; do
		[ -n "$c" ] && eval "$c" >/dev/null 2>&1
	done
}
trap _bench_exit EXIT
trap 'exit 130' INT TERM

# shellcheck source=tests/lib-base.sh
. "$TEST_DIR/lib-base.sh"

# measure NAME CMD...: run CMD with stdin/stdout as given by the caller;
# sets SECS, RSS_KB and CPU, and prints nothing.
measure() {
	_name=$1
	shift
	/usr/bin/time -f '%e %M %U %S' -o "$TRASH/$_name.time" "$@"
	_st=$?
	# shellcheck disable=SC2034 # read by the callers
	read -r SECS RSS_KB _u _s <"$TRASH/$_name.time"
	# CPU seconds of the command (user + system): a figure that a loaded
	# machine disturbs less than the wall time
	# shellcheck disable=SC2034
	CPU=$(awk -v u="$_u" -v s="$_s" 'BEGIN { printf "%.2f", u + s }')
	[ "$_st" -eq 0 ] || error "$_name exited $_st"
}

# row NAME COUNT UNIT SECS RSS_KB: one line of the results table.
row() {
	awk -v n="$1" -v c="$2" -v u="$3" -v s="$4" -v r="$5" 'BEGIN {
		printf "%-28s %10d %-6s %8.2f s %12.0f %s/s %8.1f MB\n",
			n, c, u, s, (s > 0 ? c / s : 0), u, r / 1024 }'
}

# ratio A B: A/B with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
