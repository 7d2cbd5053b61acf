#!/bin/bash
test_description='Avro to and from JSON without a registry: bytes, logical types, errors, schemas derived from Connect schemas'
. "$(dirname "$0")/lib.sh"

test_expect_success 'JSON to Avro bytes and back, Avro JSON, refusals and bad bytes: the cases' '
	avrojson cases >out 2>&1 || { cat out; false; } &&
	test_grep " 0 failed" out
'

test_expect_success 'Connect schemas of change records, their Avro schemas, records through them: the cases' '
	connect cases >out 2>&1 || { cat out; false; } &&
	test_grep " 0 failed" out
'

test_done
