#!/bin/bash
test_description='make lint: man pages and shell scripts are clean'
. "$(dirname "$0")/lib.sh"

test_expect_success 'mandoc -Tlint and shellcheck find nothing (make lint)' '
	make -s -C "$TOP" lint >out 2>&1 || { cat out; false; }
'

test_done
