#!/bin/bash
test_description='detect: unit tests of the rules language, jfields and windows'
. "$(dirname "$0")/lib.sh"

test_expect_success 'rules language, field extractor and window units' '
	rules >out 2>&1 || { cat out; false; } &&
	cat out
'

test_done
