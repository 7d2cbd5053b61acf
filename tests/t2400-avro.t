#!/bin/bash
test_description='Confluent-framed Avro with a real schema registry and a real Kafka'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lib-kafka.sh"
. "$TEST_DIR/lib-registry.sh"

D=$TEST_DIR/data/avro

# raw T OFFSET FILE: the bytes of one message's value, as they are.
raw() {
	kcat -C -b "$KAFKA_BROKERS" -t "$1" -p 0 -o "$2" -c 1 -e -q -f '%s' >"$3"
}

# schema_id SUBJECT SCHEMA-FILE: the id the registry has for it.
schema_id() {
	registry_curl POST "/subjects/$1" "$(jq -c -n --rawfile s "$2" '{schema: $s}')" |
		head -n 1 | jq -r .id
}

test_expect_success 'a schema registry and a Kafka broker' '
	registry_start nowait &&
	kafka_use &&
	registry_wait &&
	registry_curl GET /subjects >subjects &&
	tail -n 1 subjects >status &&
	echo 200 >status.want &&
	test_cmp status.want status
'

T=$(unique types)
test_expect_success 'JSON -> produce -s avro -> consume -s avro: the same JSON, every logical type' '
	kafka_topic "$T" 1 &&
	produce -b "$KAFKA_BROKERS" -t "$T" -s avro -r "$REGISTRY_URL" \
		--schema "$D/cdr.avsc" "$D/types.jsonl" &&
	consume -b "$KAFKA_BROKERS" -t "$T" -s avro -r "$REGISTRY_URL" -e >out &&
	test_cmp "$D/types.jsonl" out
'

test_expect_success 'the schema is registered under TOPIC-value, and the messages name its id' '
	registry_curl GET /subjects >subjects &&
	test_grep "\"$T-value\"" subjects &&
	id=$(schema_id "$T-value" "$D/cdr.avsc") &&
	test -n "$id" && test "$id" != null &&
	for o in 0 1 2; do
		raw "$T" $o msg$o &&
		od -An -tu1 -N5 msg$o | tr -s " " | sed "s/^ //;s/ $//" >hdr$o &&
		printf "0 %d %d %d %d\n" $((id >> 24 & 255)) $((id >> 16 & 255)) \
			$((id >> 8 & 255)) $((id & 255)) >hdr.want &&
		test_cmp hdr.want hdr$o || return 1
	done
'

test_expect_success 'the bytes decode with the Avro C library'"'"'s own reader' '
	consume -b "$KAFKA_BROKERS" -t "$T" -s avro -r "$REGISTRY_URL" -e \
		--avro-strict -c 2 >strict &&
	for o in 0 1; do
		avro-read "$D/cdr.avsc" msg$o >read$o &&
		cut -f1 read$o >id$o &&
		echo "$id" >id.want &&
		test_cmp id.want id$o &&
		cut -f2- read$o | jq -c "del(.raw, .cell)" >avroc$o &&
		sed -n "$((o + 1))p" strict | jq -c "del(.raw, .cell)" >ours$o &&
		test_cmp avroc$o ours$o || return 1
	done &&
	jq -c "[.amount, .fx, .day, .tod, .at, .cell]" strict >typed &&
	cat >typed.want <<-\EOF &&
	["\u0004â","ÿÿÿÿÿÿÿÿ",19782,49506789,1709214306789,{"telco.test.Cell":{"id":"c-1","kind":"DATA"}}]
	["ÿ\u0017+Zð\u0001","\rà¶³§cÿÿ",-25567,86399999,-2164406400000,null]
	EOF
	test_cmp typed.want typed
'

J=$(unique java)
test_expect_success 'what Apicurio'"'"'s Java serializer writes (with schema references) decodes here' '
	kafka_topic "$J" 1 &&
	registry_serde_write "$J" "$D/cdr.avsc" <strict >java.b64 &&
	test_line_count = 2 java.b64 &&
	n=0 &&
	while read -r m; do
		n=$((n + 1)) &&
		echo "$m" | base64 -d >java$n.bin &&
		kcat -P -b "$KAFKA_BROKERS" -t "$J" -p 0 java$n.bin || return 1
	done <java.b64 &&
	consume -b "$KAFKA_BROKERS" -t "$J" -s avro -r "$REGISTRY_URL" -e >java.out &&
	head -n 2 "$D/types.jsonl" >java.want &&
	test_cmp java.want java.out &&
	registry_curl GET /subjects | head -n 1 >subjects &&
	test_grep "\"$J-value\"" subjects &&
	test_grep "\"telco.test.Kind\"" subjects
'

K=$(unique keys)
test_expect_success 'keys and values in Avro: -s key=avro -s value=avro, the key in _kafka' '
	kafka_topic "$K" 1 &&
	kafka_topic "$K-k" 1 &&
	echo "{\"type\":\"record\",\"name\":\"Key\",\"fields\":[{\"name\":\"customer_id\",\"type\":\"string\"}]}" >key.avsc &&
	echo "{\"customer_id\":\"C000042\"}" >key.json &&
	produce -b "$KAFKA_BROKERS" -t "$K-k" -s avro -r "$REGISTRY_URL" --schema key.avsc key.json &&
	raw "$K-k" 0 key.bin &&
	kafka-put -b "$KAFKA_BROKERS" "$K" 0 key.bin msg0 &&
	consume -b "$KAFKA_BROKERS" -t "$K" -s key=avro -s value=avro -r "$REGISTRY_URL" \
		-e -m >kv.out &&
	jq -c "._kafka.key" kv.out >kv.key &&
	test_cmp key.json kv.key &&
	sed "s/,\"_kafka\":{.*}}\$/}/" kv.out >kv.value &&
	head -n 1 "$D/types.jsonl" >kv.value.want &&
	test_cmp kv.value.want kv.value &&
	consume -b "$KAFKA_BROKERS" -t "$K" -s value=avro -r "$REGISTRY_URL" -e -m >v.out &&
	jq -j "._kafka.key" v.out >v.key &&
	cmp key.bin v.key
'

test_expect_success 'produce -s key=avro: the key -k finds, in Avro, under TOPIC-key' '
	kafka_topic "$K-p" 1 &&
	echo "\"string\"" >name.avsc &&
	produce -b "$KAFKA_BROKERS" -t "$K-p" -k name -s avro -s key=avro -r "$REGISTRY_URL" \
		--schema "$D/cdr.avsc" --key-schema name.avsc "$D/types.jsonl" &&
	registry_curl GET /subjects | head -n 1 >subjects &&
	test_grep "\"$K-p-key\"" subjects &&
	consume -b "$KAFKA_BROKERS" -t "$K-p" -s key=avro -s value=avro -r "$REGISTRY_URL" \
		-e -m >pk.out &&
	jq -c "._kafka.key" pk.out >pk.keys &&
	jq -c ".name" "$D/types.jsonl" >pk.keys.want &&
	test_cmp pk.keys.want pk.keys &&
	test_must_fail --status=64 produce -b "$KAFKA_BROKERS" -t "$K-p" -s key=avro \
		-r "$REGISTRY_URL" --key-schema name.avsc "$D/types.jsonl" 2>pk.err &&
	test_grep "needs a registry (-r), a key (-k)" pk.err
'

test_expect_success 'with -m, the decoded value gets its provenance' '
	consume -b "$KAFKA_BROKERS" -t "$T" -s avro -r "$REGISTRY_URL" -e -m >meta &&
	sed "s/,\"_kafka\":{[^{}]*}}\$/}/" meta >meta.values &&
	test_cmp "$D/types.jsonl" meta.values &&
	jq -r "._kafka.offset" meta >offsets &&
	printf "0\n1\n2\n" >offsets.want &&
	test_cmp offsets.want offsets
'

B=$(unique bad)
test_expect_success 'unknown schema id, truncated, bad magic, not a value: reported, dead-lettered, skipped' '
	kafka_topic "$B" 1 &&
	{ printf "\000\000\017\102\077"; tail -c +6 msg0; } >unknown.bin &&
	printf "\000\000\000" >short.bin &&
	{ printf "\001"; tail -c +2 msg0; } >magic.bin &&
	head -c 20 msg0 >cut.bin &&
	kcat -P -b "$KAFKA_BROKERS" -t "$B" -p 0 unknown.bin &&
	kcat -P -b "$KAFKA_BROKERS" -t "$B" -p 0 short.bin &&
	kcat -P -b "$KAFKA_BROKERS" -t "$B" -p 0 magic.bin &&
	kcat -P -b "$KAFKA_BROKERS" -t "$B" -p 0 cut.bin &&
	kcat -P -b "$KAFKA_BROKERS" -t "$B" -p 0 msg1 &&
	consume -b "$KAFKA_BROKERS" -t "$B" -s avro -r "$REGISTRY_URL" -e \
		--dead-letter dl.jsonl >bad.out 2>bad.err &&
	sed -n 2p "$D/types.jsonl" >bad.want &&
	test_cmp bad.want bad.out &&
	test_grep "^consume: $B \[0\] offset 0: value: schema id 999999: not in the registry" bad.err &&
	test_grep "^consume: $B \[0\] offset 1: value: truncated" bad.err &&
	test_grep "^consume: $B \[0\] offset 2: value: not Confluent.s Avro framing (magic byte 1" bad.err &&
	test_grep "^consume: $B \[0\] offset 3: value: schema id $id: not a value of its schema" bad.err &&
	test_line_count = 4 bad.err &&
	test_line_count = 4 dl.jsonl &&
	jq -r ".offset" dl.jsonl | paste -s -d " " >dl.offsets &&
	echo "0 1 2 3" >dl.offsets.want &&
	test_cmp dl.offsets.want dl.offsets &&
	n=0 &&
	for f in unknown short magic cut; do
		n=$((n + 1)) &&
		sed -n "${n}p" dl.jsonl | jq -r .value_base64 | base64 -d >back.bin &&
		cmp $f.bin back.bin || return 1
	done
'

test_expect_success '--max-errors 0: the first record that cannot be decoded stops consume (65)' '
	test_must_fail --status=65 consume -b "$KAFKA_BROKERS" -t "$B" -s avro \
		-r "$REGISTRY_URL" -e --max-errors 0 >stop.out 2>stop.err &&
	test_line_count = 0 stop.out &&
	test_grep "more than 0 bad records" stop.err
'

test_expect_success 'a registry that does not answer stops consume (69) before the record' '
	port=$(free_port) &&
	test_must_fail --status=69 consume -b "$KAFKA_BROKERS" -t "$T" -s avro \
		-r "http://127.0.0.1:$port" -e >down.out 2>down.err &&
	test_line_count = 0 down.out &&
	test_grep "offset 0: value: registry http://127.0.0.1:$port" down.err
'

E=$(unique evolve)
test_expect_success 'a compatible evolution registers version 2, and both versions decode' '
	kafka_topic "$E" 1 &&
	jq -c "{type, name, fields: [.fields[] | select(.name == \"id\" or .name == \"name\")]}" \
		"$D/cdr.avsc" >v1.avsc &&
	jq -c ".fields += [{name: \"imsi\", type: [\"null\", \"string\"], default: null}]" \
		v1.avsc >v2.avsc &&
	registry_curl PUT "/config/$E-value" "{\"compatibility\":\"BACKWARD\"}" >cfg &&
	test_grep BACKWARD cfg &&
	echo "{\"id\":1,\"name\":\"one\"}" >v1.in &&
	echo "{\"id\":2,\"name\":\"two\",\"imsi\":\"001010123456789\"}" >v2.in &&
	produce -b "$KAFKA_BROKERS" -t "$E" -s avro -r "$REGISTRY_URL" --schema v1.avsc v1.in &&
	produce -b "$KAFKA_BROKERS" -t "$E" -s avro -r "$REGISTRY_URL" --schema v2.avsc v2.in &&
	registry_curl GET "/subjects/$E-value/versions" | head -n 1 >versions &&
	echo "[1,2]" >versions.want &&
	test_cmp versions.want versions &&
	consume -b "$KAFKA_BROKERS" -t "$E" -s avro -r "$REGISTRY_URL" -e >evolved &&
	cat v1.in v2.in >evolved.want &&
	test_cmp evolved.want evolved
'

test_expect_success 'an evolution the registry refuses: its message, exit 65, nothing sent' '
	jq -c "(.fields[] | select(.name == \"id\") | .type) = \"string\"" v1.avsc >bad.avsc &&
	echo "{\"id\":\"3\",\"name\":\"three\"}" >bad.in &&
	test_must_fail --status=65 produce -b "$KAFKA_BROKERS" -t "$E" -s avro \
		-r "$REGISTRY_URL" --schema bad.avsc bad.in 2>refused.err &&
	test_grep "bad.avsc: refused by the registry: subject $E-value: .*ncompatible" refused.err &&
	kafka-admin -b "$KAFKA_BROKERS" offsets "$E" >offsets &&
	printf "0\t0\t2\n" >offsets.want &&
	test_cmp offsets.want offsets
'

test_expect_success 'a line that does not fit the schema is rejected with its field, dead-lettered' '
	{
		echo "{\"id\":4,\"name\":\"four\"}" &&
		echo "{\"id\":\"x\",\"name\":\"five\"}" &&
		echo "{\"name\":\"six\"}" &&
		echo "{\"id\":7,\"name\":\"seven\",\"extra\":1}"
	} >mixed.in &&
	produce -b "$KAFKA_BROKERS" -t "$E" -s avro -r "$REGISTRY_URL" --schema v1.avsc \
		--dead-letter mixed.dl mixed.in 2>mixed.err &&
	test_grep "mixed.in:2: not a value of v1.avsc: .id: expected an integer, got a string" mixed.err &&
	test_grep "mixed.in:3: not a value of v1.avsc: .id: missing, and the schema gives no default" mixed.err &&
	test_grep "mixed.in:4: not a value of v1.avsc: field \"extra\" is not in the schema" mixed.err &&
	sed -n 2,4p mixed.in >mixed.dl.want &&
	test_cmp mixed.dl.want mixed.dl &&
	consume -b "$KAFKA_BROKERS" -t "$E" -s avro -r "$REGISTRY_URL" -e -o 2 >four &&
	head -n 1 mixed.in >four.want &&
	test_cmp four.want four
'

S=$(unique strategy)
test_expect_success '--subject-strategy record and topic-record name the subjects so' '
	kafka_topic "$S" 1 &&
	produce -b "$KAFKA_BROKERS" -t "$S" -s avro -r "$REGISTRY_URL" --schema "$D/cdr.avsc" \
		--subject-strategy record "$D/types.jsonl" &&
	produce -b "$KAFKA_BROKERS" -t "$S" -s avro -r "$REGISTRY_URL" --schema "$D/cdr.avsc" \
		--subject-strategy topic-record "$D/types.jsonl" &&
	registry_curl GET /subjects | head -n 1 | jq -r ".[]" | sort >subjects &&
	test_grep -x "telco.test.Cdr" subjects &&
	test_grep -x "$S-telco.test.Cdr" subjects &&
	test_grep -v -x "$S-value" subjects &&
	consume -b "$KAFKA_BROKERS" -t "$S" -s avro -r "$REGISTRY_URL" -e >both &&
	cat "$D/types.jsonl" "$D/types.jsonl" >both.want &&
	test_cmp both.want both
'

test_expect_success '--no-register: a schema not under the subject is an error (78)' '
	test_must_fail --status=78 produce -b "$KAFKA_BROKERS" -t "$(unique none)" -s avro \
		-r "$REGISTRY_URL" --schema v1.avsc --no-register v1.in 2>noreg.err &&
	test_grep "v1.avsc: not registered" noreg.err
'

test_expect_success 'usage: -s avro without -r, -J with -s' '
	test_must_fail --status=64 consume -b "$KAFKA_BROKERS" -t "$T" -s avro -e 2>u1 &&
	test_grep "needs a schema registry" u1 &&
	test_must_fail --status=64 consume -b "$KAFKA_BROKERS" -t "$T" -s avro -r "$REGISTRY_URL" -J -e 2>u2 &&
	test_must_fail --status=64 consume -b "$KAFKA_BROKERS" -t "$T" -s json -e 2>u3 &&
	test_must_fail --status=64 produce -b "$KAFKA_BROKERS" -t "$T" -s avro --schema v1.avsc v1.in 2>u4 &&
	test_grep "needs a registry" u4
'

lines_at_least() {
	[ "$(wc -l <"$1")" -ge "$2" ]
}

O=$(unique outage)
test_expect_success 'ids already known decode while the registry is down' '
	kafka_topic "$O" 1 &&
	kcat -P -b "$KAFKA_BROKERS" -t "$O" -p 0 msg0 &&
	{ consume -b "$KAFKA_BROKERS" -t "$O" -G "$O" -s avro -r "$REGISTRY_URL" \
		>outage.out 2>outage.err & echo $! >consume.pid; } &&
	test_atexit "kill $(cat consume.pid) 2>/dev/null" &&
	wait_until 60 "the first record decoded" lines_at_least outage.out 1 &&
	registry_stop &&
	test_must_fail curl -s -o /dev/null "$REGISTRY_URL/subjects" &&
	kcat -P -b "$KAFKA_BROKERS" -t "$O" -p 0 msg1 &&
	wait_until 60 "the second record decoded" lines_at_least outage.out 2 &&
	kill "$(cat consume.pid)" &&
	wait "$(cat consume.pid)" &&
	head -n 2 "$D/types.jsonl" >outage.want &&
	test_cmp outage.want outage.out &&
	test_grep -v registry outage.err
'

test_done
