#!/bin/bash
test_description='Avro with a schema registry over https: the CA from SCHEMA_REGISTRY_CA'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lib-kafka.sh"
. "$TEST_DIR/lib-registry.sh"

D=$TEST_DIR/data/avro

test_expect_success 'a schema registry on https only, and a Kafka broker' '
	REGISTRY_TLS=1 registry_start nowait &&
	kafka_use &&
	registry_wait &&
	case $REGISTRY_URL in https://*) ;; *) false ;; esac &&
	test_must_fail curl -s -o /dev/null "$REGISTRY_URL/subjects"
'

T=$(unique tls)
test_expect_success 'produce and consume -s avro through https with the registry'"'"'s CA' '
	kafka_topic "$T" 1 &&
	SCHEMA_REGISTRY_CA=$REGISTRY_CA produce -b "$KAFKA_BROKERS" -t "$T" -s avro \
		-r "$REGISTRY_URL" --schema "$D/cdr.avsc" "$D/types.jsonl" &&
	SCHEMA_REGISTRY_CA=$REGISTRY_CA consume -b "$KAFKA_BROKERS" -t "$T" -s avro \
		-r "$REGISTRY_URL" -e >out &&
	test_cmp "$D/types.jsonl" out
'

test_expect_success 'a certificate that does not verify is bad configuration (78), at once' '
	test_must_fail --status=78 env -u SCHEMA_REGISTRY_CA produce -b "$KAFKA_BROKERS" \
		-t "$T" -s avro -r "$REGISTRY_URL" --schema "$D/cdr.avsc" "$D/types.jsonl" \
		2>produce.err &&
	test_grep "registry $REGISTRY_URL: .*certificate" produce.err &&
	test_must_fail --status=78 env -u SCHEMA_REGISTRY_CA consume -b "$KAFKA_BROKERS" \
		-t "$T" -s avro -r "$REGISTRY_URL" -e >none 2>consume.err &&
	test_line_count = 0 none &&
	test_grep "offset 0: value: registry $REGISTRY_URL: .*certificate" consume.err
'

test_done
