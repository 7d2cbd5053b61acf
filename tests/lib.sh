# shellcheck shell=bash
# tests/lib.sh: the TAP test library every test script sources.
#
#   #!/bin/bash
#   test_description='what this script tests'
#   . "$(dirname "$0")/lib.sh"
#   test_expect_success 'name' '
#           command && command
#   '
#   test_done
#
# Each script runs in its own scratch folder, tests/trash.NAME, removed at
# the end when every test passed (kept for a look when one failed, or with
# TEST_KEEP=1). bin/ is first on PATH. TEST_VERBOSE=1 shows each test's
# output as it runs; otherwise a failing test's output is printed as TAP
# comments. Functions registered with test_atexit run at exit, also when a
# test fails or the script is interrupted.

TEST_NAME=$(basename "$0" .t)
TEST_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$TEST_DIR/.." && pwd)
PATH="$TOP/bin:$TOP/build/tests:$PATH"
export PATH TOP TEST_DIR
LC_ALL=C.UTF-8
export LC_ALL
TRASH="$TOP/tests/trash.$TEST_NAME"
export TRASH

[ -z "${test_description:-}" ] || printf '# %s: %s\n' "$TEST_NAME" "$test_description"

rm -rf "$TRASH"
mkdir -p "$TRASH" || exit 1
cd "$TRASH" || exit 1

# shellcheck source=tests/lib-base.sh
. "$TEST_DIR/lib-base.sh"

test_count=0
test_failures=0
_atexit_cmds=""
_test_log="$TRASH/.test.log"

# test_atexit CMD: run CMD (a string) when the script exits, in reverse order.
test_atexit() {
	_atexit_cmds="$1
$_atexit_cmds"
}

_run_atexit() {
	_status=$?
	trap - EXIT INT TERM
	_cmds=$_atexit_cmds
	_atexit_cmds=""
	printf '%s\n' "$_cmds" | while IFS= read -r _c; do
		[ -n "$_c" ] && eval "$_c" >/dev/null 2>&1
	done
	if [ "$_status" -eq 0 ] && [ "$test_failures" -eq 0 ] &&
	   [ -z "${TEST_KEEP:-}" ]; then
		cd "$TOP" && rm -rf "$TRASH"
	fi
	exit "$_status"
}
trap _run_atexit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say() { printf '# %s\n' "$*"; }

# error MSG: a broken test script, not a failed test.
error() {
	printf 'Bail out! %s: %s\n' "$TEST_NAME" "$*"
	exit 1
}

_test_ok() {
	test_count=$((test_count + 1))
	printf 'ok %d - %s\n' "$test_count" "$1"
}

_test_not_ok() {
	test_count=$((test_count + 1))
	test_failures=$((test_failures + 1))
	{
		printf 'not ok %d - %s\n' "$test_count" "$1"
		sed -e 's/^/#   /' "$_test_log"
		printf '#   (test body)\n'
		printf '%s\n' "$2" | sed -e 's/^/#   > /'
	} | tee -a "$TRASH/.failed.log"
}

# test_expect_success DESC BODY: BODY is evaluated in this shell (set
# variables persist); the test passes when it exits 0. BODY runs inside a
# function, so that `|| return 1` in a loop fails the test (and does not
# return from test_expect_success without a verdict).
_test_eval() {
	eval "$1"
}

test_expect_success() {
	[ $# -eq 2 ] || error "test_expect_success takes 2 arguments"
	if _test_eval "$2" >"$_test_log" 2>&1 </dev/null; then
		_test_ok "$1"
		[ -z "${TEST_VERBOSE:-}" ] || sed -e 's/^/#   /' "$_test_log"
	else
		_test_not_ok "$1" "$2"
	fi
}

test_done() {
	printf '1..%d\n' "$test_count"
	[ "$test_failures" -eq 0 ] || exit 1
	exit 0
}

# test_skip_all REASON: the whole script cannot run here. Never used to hide
# a missing server: the harness installs and starts what tests need.
test_skip_all() {
	printf '1..0 # SKIP %s\n' "$*"
	exit 0
}

# test_must_fail [--status=N] CMD...: CMD must exit non-zero (and with N when
# given); a death by signal (a crash) is never an expected failure.
test_must_fail() {
	_want=""
	case "$1" in
	--status=*) _want=${1#--status=}; shift ;;
	esac
	"$@"
	_got=$?
	if [ "$_got" -eq 0 ]; then
		echo "test_must_fail: $* succeeded" >&2
		return 1
	fi
	if [ "$_got" -gt 128 ]; then
		echo "test_must_fail: $* died of signal $((_got - 128))" >&2
		return 1
	fi
	if [ -n "$_want" ] && [ "$_got" -ne "$_want" ]; then
		echo "test_must_fail: $* exited $_got, expected $_want" >&2
		return 1
	fi
	return 0
}

# test_status N CMD...: CMD must exit with status N exactly.
test_status() {
	_want=$1
	shift
	"$@"
	_got=$?
	if [ "$_got" -ne "$_want" ]; then
		echo "test_status: $* exited $_got, expected $_want" >&2
		return 1
	fi
}

# test_cmp EXPECTED ACTUAL
test_cmp() {
	diff -u "$1" "$2" >&2
}

# test_line_count OP N FILE, as git's: test_line_count = 3 out
test_line_count() {
	_n=$(wc -l <"$3" | tr -d ' ')
	if ! test "$_n" "$1" "$2"; then
		echo "test_line_count: $3 has $_n lines, expected $1 $2" >&2
		return 1
	fi
}

# test_grep [-v] [grep options] PATTERN FILE: like grep, and shows the file
# when it does not match as expected.
test_grep() {
	if [ "$1" = "-v" ]; then
		shift
		if grep "$@" >/dev/null; then
			for _f; do :; done
			echo "test_grep: unexpected match for $* in:" >&2
			cat "$_f" >&2
			return 1
		fi
		return 0
	fi
	if ! grep "$@" >/dev/null; then
		for _f; do :; done
		echo "test_grep: no match for $* in:" >&2
		cat "$_f" >&2
		return 1
	fi
}

# unique NAME: NAME made unique to this script and run (topics, groups).
unique() {
	printf '%s-%s-%s\n' "$TEST_NAME" "$1" "$$"
}
