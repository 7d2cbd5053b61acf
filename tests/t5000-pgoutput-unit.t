#!/bin/bash
test_description='pgoutput decoder units on messages recorded from PostgreSQL 15'
. "$(dirname "$0")/lib.sh"

test_expect_success 'Begin, Relation, Insert, Update (old key, old row, TOAST), Delete, Truncate, Commit' '
	pgoutput "$TOP/tests/data/pgoutput/pg15-proto1.tsv" >out 2>&1 ||
		{ cat out; false; } &&
	cat out &&
	test_grep " 0 failed" out
'

test_done
