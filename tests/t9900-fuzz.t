#!/bin/bash
test_description='libFuzzer on the decoders: binlog events, pgoutput, CSV, JSON check, rules parser, Avro'
. "$(dirname "$0")/lib.sh"

# Each target runs for a bounded time from its seed corpus
# (tests/fuzz/corpus/NAME, recorded data); new inputs and any crash-*,
# leak-*, timeout-* or oom-* file go to the scratch folder, never into
# the repository. A sanitizer report or a non-zero exit fails the test;
# the reproducer stays in tests/trash.t9900-fuzz and the log says how to
# run it (build/fuzz/NAME FILE). FUZZ_TIME=SECONDS runs each target longer.
# The mutations start from a fixed seed, so that a run here is a run
# elsewhere; FUZZ_SEED=N (0: one from the clock) explores other paths.
# A single allocation may reach 2 GB (lib/binlog.c inflates up to 1 GB, the
# buffer doubles): the malloc limit is above that, the RSS limit is not.

command -v clang >/dev/null 2>&1 || {
	echo "not ok 1 - clang is not installed (tests/setup-deps)"
	echo "1..1"
	exit 1
}

test_expect_success 'the fuzz targets build' '
	make -C "$TOP" --no-print-directory fuzz >make.log 2>&1 ||
		{ tail -40 make.log; false; }
'

# fuzz NAME SECONDS [LSAN_OPTIONS]
fuzz() {
	mkdir -p "$1.new" "$1.art" &&
	{ LSAN_OPTIONS="${3:-}" "$TOP/build/fuzz/$1" -max_total_time="${FUZZ_TIME:-$2}" -seed="${FUZZ_SEED:-1}" -timeout=10 \
		-rss_limit_mb=1024 -malloc_limit_mb=2100 -print_final_stats=1 \
		-artifact_prefix="$TRASH/$1.art/" "$1.new" \
		"$TOP/tests/fuzz/corpus/$1" >"$1.log" 2>&1; rc=$?; } &&
	found=$(ls "$1.art") &&
	if [ "$rc" -ne 0 ] || [ -n "$found" ] ||
		grep -E "runtime error|ERROR: (Address|Leak|UndefinedBehavior)Sanitizer" \
			"$1.log" >/dev/null
	then
		echo "$1: exit $rc, artifacts: ${found:-none}"
		grep -E -A25 "runtime error|ERROR: |SUMMARY" "$1.log" | head -60
		false
	else
		grep -E "^Done|stat::number_of_executed_units" "$1.log"
	fi
}

test_expect_success 'binlog events (FDE, TABLE_MAP, rows v1/v2, GTID, TRANSACTION_PAYLOAD)' '
	fuzz binlog_event 25
'

test_expect_success 'pgoutput messages, relation cache and values to JSON' '
	fuzz pgoutput 15
'

test_expect_success 'CSV records' '
	fuzz csvread 12
'

test_expect_success 'JSON check' '
	fuzz jvalid 6
'

test_expect_success 'rules parser' '
	fuzz rules 12
'

# avro-c keeps some of a value's pointers at unaligned addresses (packed
# structures): LeakSanitizer must look for those too, or the blocks they
# hold look leaked while the schema's value still owns them.
test_expect_success 'Avro values of a schema to JSON' '
	fuzz avro_decode 10 use_unaligned=1
'

test_done
