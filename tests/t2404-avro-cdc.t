#!/bin/bash
test_description='produce -s avro without --schema: Avro schemas derived from the Kafka Connect schemas change records carry, with a real registry and a real Kafka'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lib-kafka.sh"
. "$TEST_DIR/lib-registry.sh"

# tests/data/avro/connect-*.jsonl are change records in Kafka Connect's
# JsonConverter form ({"schema":...,"payload":...}) of one table:
# connect-v1 three records of a first schema, connect-v2 two of a second
# (one optional column more), connect-refused one whose column "name"
# became an int32.
D=$TEST_DIR/data/avro

test_expect_success 'a schema registry and a Kafka broker' '
	registry_start nowait &&
	kafka_use &&
	registry_wait
'

# payloads FILE: each record's payload, the way consume -s avro gives it back
payloads() {
	jq -c ".payload | (.before, .after) |= (if . == null then . else
		{id, name, balance, since, updated} + (if has(\"tier\") then {tier} else {} end) end)
		| {before, after, source, op, ts_ms}" "$1"
}

T=$(unique accounts)
test_expect_success 'records of one schema: registered once under TOPIC-value, the payloads come back' '
	kafka_topic "$T" 1 &&
	produce -b "$KAFKA_BROKERS" -t "$T" -s avro -r "$REGISTRY_URL" \
		"$D/connect-v1.jsonl" &&
	registry_curl GET "/subjects/$T-value/versions" >versions &&
	printf "[1]\n200\n" >versions.want &&
	test_cmp versions.want versions &&
	consume -b "$KAFKA_BROKERS" -t "$T" -s avro -r "$REGISTRY_URL" -e >out &&
	payloads "$D/connect-v1.jsonl" >want &&
	test_cmp want out
'

test_expect_success 'the derived Avro schema: Debezium'"'"'s envelope, logical types for the decimal, date and timestamp' '
	registry_curl GET "/subjects/$T-value/versions/1" >v1 &&
	head -n 1 v1 | jq -r .schema >schema.json &&
	jq -r "[.type, .name, .namespace] | @tsv" schema.json >top &&
	printf "record\tEnvelope\tshop.crm.accounts\n" >top.want &&
	test_cmp top.want top &&
	jq -c ".fields[] | select(.name == \"before\") | .type[1].fields[]
		| {name, t: (if (.type | type) == \"array\" then .type[1] else .type end)}
		| {name, type: (.t | if type == \"object\" then (.logicalType // .type) else . end)}" \
		schema.json >cols &&
	cat >cols.want <<-\EOC &&
	{"name":"id","type":"int"}
	{"name":"name","type":"string"}
	{"name":"balance","type":"decimal"}
	{"name":"since","type":"date"}
	{"name":"updated","type":"timestamp-micros"}
	EOC
	test_cmp cols.want cols
'

test_expect_success 'a column added: a second version under the same subject, both versions decode' '
	registry_curl PUT "/config/$T-value" "{\"compatibility\":\"BACKWARD\"}" >cfg &&
	tail -n 1 cfg >cfg.status && echo 200 >cfg.want && test_cmp cfg.want cfg.status &&
	produce -b "$KAFKA_BROKERS" -t "$T" -s avro -r "$REGISTRY_URL" \
		"$D/connect-v2.jsonl" &&
	registry_curl GET "/subjects/$T-value/versions" >versions &&
	printf "[1,2]\n200\n" >versions.want &&
	test_cmp versions.want versions &&
	consume -b "$KAFKA_BROKERS" -t "$T" -s avro -r "$REGISTRY_URL" -e >out &&
	cat "$D/connect-v1.jsonl" "$D/connect-v2.jsonl" >all.jsonl &&
	payloads all.jsonl >want &&
	test_cmp want out
'

test_expect_success 'an evolution the registry refuses: exit 65, the reason, nothing sent' '
	test_must_fail --status=65 produce -b "$KAFKA_BROKERS" -t "$T" -s avro \
		-r "$REGISTRY_URL" "$D/connect-refused.jsonl" 2>err &&
	test_grep "connect-refused.jsonl:1: the schema derived: refused by the registry: subject $T-value: .*ncompatible" err &&
	consume -b "$KAFKA_BROKERS" -t "$T" -s avro -r "$REGISTRY_URL" -e >out &&
	test_line_count = 5 out
'

test_expect_success 'a record without a Connect schema is rejected, named, and kept in the dead letters' '
	printf "%s\n" "{\"id\":1}" >plain.jsonl &&
	test_must_fail --status=65 produce -b "$KAFKA_BROKERS" -t "$T" -s avro \
		-r "$REGISTRY_URL" --max-errors 0 --dead-letter dl plain.jsonl 2>err &&
	test_grep "plain.jsonl:1: no schema and payload" err &&
	test_cmp plain.jsonl dl
'

test_done
