#!/bin/bash
test_description='library units without servers: buffers and JSON strings, lines, the JSON check, JSON paths'
. "$(dirname "$0")/lib.sh"

test_expect_success 'numbers: buf_put_u64 and buf_put_i64 write what printf does' '
	buf ints >out 2>&1 || { cat out; false; } &&
	test_grep " 0 failed" out
'

test_expect_success 'short runs: buf_eq_short and buf_copy_short agree with memcmp and memcpy' '
	buf short >out 2>&1 || { cat out; false; } &&
	test_grep "^[1-9][0-9]* comparisons and copies, 0 failed" out
'

test_expect_success 'JSON strings: escaping and UTF-8 checks agree with byte-at-a-time references' '
	buf json 300000 11 >out 2>&1 || { cat out; false; } &&
	test_grep "^300000 strings, 0 failed" out
'

test_expect_success 'lines: lr_next agrees with a reference splitter on files and pipes' '
	lineio 400 5 >out 2>&1 || { cat out; false; } &&
	test_grep "^400 inputs, 0 failed" out
'

test_expect_success 'the JSON check: its cases' '
	jvalid cases >out 2>&1 || { cat out; false; } &&
	test_grep " 0 failed" out
'

test_expect_success 'the JSON check agrees with jansson on mutated documents' '
	jvalid fuzz 50000 5 >out 2>&1 || { cat out; false; } &&
	test_grep " 0 disagreements" out
'

test_expect_success 'JSON paths, text, templates and members' '
	jpath path text template member
'

test_done
