#!/bin/bash
test_description='Avro to and from JSON without a registry: bytes, logical types, errors'
. "$(dirname "$0")/lib.sh"

test_expect_success 'JSON to Avro bytes and back, Avro JSON, refusals and bad bytes: the cases' '
	avrojson cases >out 2>&1 || { cat out; false; } &&
	test_grep " 0 failed" out
'

test_done
