#!/bin/bash
test_description='Confluent-framed Avro with a real schema registry and a real Kafka'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lib-kafka.sh"
. "$TEST_DIR/lib-registry.sh"

test_expect_success 'a schema registry' '
	registry_start &&
	registry_curl GET /subjects >subjects &&
	printf "[]\n200\n" >subjects.want &&
	test_cmp subjects.want subjects
'

test_done
