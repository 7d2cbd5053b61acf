#!/bin/bash
test_description='produce -s avro without --schema: Avro schemas derived from the Kafka Connect schemas change records carry, with a real registry and a real Kafka'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lib-kafka.sh"
. "$TEST_DIR/lib-registry.sh"
. "$TEST_DIR/lib-mysql.sh"
. "$TEST_DIR/lib-pg.sh"

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

# payloads FILE...: each record's payload as consume -s avro gives it back
# (a JSON document embedded as its text, an unsigned 64-bit integer as a
# decimal string, a column left out as null); Python, whose integers have
# no bound
payloads() {
	python3 -c '
import json, sys
for path in sys.argv[1:]:
    for line in open(path, encoding="utf-8"):
        rec = json.loads(line)
        p = rec["payload"]
        for side in ("before", "after"):
            row = p[side]
            if row is None:
                continue
            # a column a row leaves out (PostgreSQL'"'"'s key-only old row)
            # is null, as Kafka Connect reads it
            s = [f for f in rec["schema"]["fields"] if f["field"] == side][0]
            row = p[side] = {f["field"]: row.get(f["field"]) for f in s["fields"]}
            for col in ("doc", "extra"):
                if row.get(col) is not None and not isinstance(row[col], str):
                    row[col] = json.dumps(row[col], ensure_ascii=False, separators=(",", ":"))
            if row.get("big") is not None:
                row["big"] = str(row["big"])
        print(json.dumps(p, ensure_ascii=False, separators=(",", ":")))
' "$@"
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

# From MariaDB: binlog2jsonl --schemas | produce -s avro, a column added
# between two runs of the same pipeline (the second resumes from the
# checkpoint of the first).
test_expect_success 'MariaDB with a table of the CRM kind' '
	my_start &&
	my -e "CREATE DATABASE crm; CREATE TABLE crm.accounts (
		id INT PRIMARY KEY, name VARCHAR(40) NOT NULL,
		balance DECIMAL(12,2), since DATE, updated TIMESTAMP(6) NULL,
		doc JSON, big BIGINT UNSIGNED);
		INSERT INTO crm.accounts VALUES
		(1, \"Ana\", 120.50, \"2021-03-04\", \"2024-02-29 13:45:06.789123\", \"{\\\"a\\\": [1, 2]}\", 18446744073709551615),
		(2, \"Bø\", -0.07, NULL, NULL, NULL, 0)"
'

C=$(unique cdc)
# pipeline RUN: the CDC leg into topic $C, resuming from ck.json
pipeline() {
	binlog2jsonl --defaults-file="$MYSQL_DEFAULTS_FILE" -n shop -t crm.accounts \
		--schemas -e ${2:+--resume=ck.json} >"$1.jsonl" &&
	produce -b "$KAFKA_BROKERS" -t "$C" -s avro -r "$REGISTRY_URL" \
		--checkpoint ck.json "$1.jsonl"
}


test_expect_success 'snapshot and changes: one schema version, every value back as it was written' '
	kafka_topic "$C" 1 &&
	pipeline run1 &&
	my -e "UPDATE crm.accounts SET balance = balance + 1 WHERE id = 2;
		DELETE FROM crm.accounts WHERE id = 1" &&
	pipeline run2 resume &&
	registry_curl GET "/subjects/$C-value/versions" >versions &&
	printf "[1]\n200\n" >versions.want &&
	test_cmp versions.want versions &&
	consume -b "$KAFKA_BROKERS" -t "$C" -s avro -r "$REGISTRY_URL" -e >out &&
	payloads run1.jsonl run2.jsonl >want &&
	test_line_count = 4 want &&
	test_cmp want out
'

test_expect_success 'a column added in MariaDB mid-stream: a compatible second version, both decode' '
	registry_curl PUT "/config/$C-value" "{\"compatibility\":\"BACKWARD\"}" >cfg &&
	my -e "ALTER TABLE crm.accounts ADD COLUMN tier VARCHAR(16) NULL;
		INSERT INTO crm.accounts (id, name, tier) VALUES (3, \"Cy\", \"gold\");
		UPDATE crm.accounts SET tier = \"silver\" WHERE id = 2" &&
	pipeline run3 resume &&
	registry_curl GET "/subjects/$C-value/versions" >versions &&
	printf "[1,2]\n200\n" >versions.want &&
	test_cmp versions.want versions &&
	consume -b "$KAFKA_BROKERS" -t "$C" -s avro -r "$REGISTRY_URL" -e >out &&
	payloads run1.jsonl run2.jsonl run3.jsonl >want &&
	test_line_count = 6 want &&
	test_cmp want out &&
	jq -c "select(.after != null) | .after | has(\"tier\")" out >has &&
	printf "false\nfalse\nfalse\ntrue\ntrue\n" >has.want &&
	test_cmp has.want has
'

# From PostgreSQL: pgcdc2jsonl --schemas | produce -s avro.
P=$(unique pgcdc)
# pg_leg RUN: the slot's changes since the last run into topic $P
pg_leg() {
	pgcdc2jsonl -d dbname=billing -s avro_leg --name pg --schemas -e >"$1.jsonl" &&
	produce -b "$KAFKA_BROKERS" -t "$P" -s avro -r "$REGISTRY_URL" "$1.jsonl"
}
test_expect_success 'PostgreSQL: snapshot and changes through the derived schema, every value back' '
	pg_start &&
	pg -c "create database billing" &&
	pg -d billing -c "create table payments (id int primary key,
		customer_id varchar(20) not null, amount numeric(10,2), paid_on date,
		at timestamptz, extra jsonb);
		insert into payments values
		(1, \$\$C1\$\$, 120.50, \$\$2024-02-29\$\$, \$\$2024-02-29 13:45:06.789123+00\$\$, \$\${\"a\": [1, 2]}\$\$),
		(2, \$\$C2\$\$, null, null, null, null)" &&
	kafka_topic "$P" 1 &&
	pgcdc2jsonl -d dbname=billing -s avro_leg --name pg --schemas -e --create >pg1.jsonl &&
	produce -b "$KAFKA_BROKERS" -t "$P" -s avro -r "$REGISTRY_URL" pg1.jsonl &&
	pg -d billing -c "update payments set amount = 7.25 where id = 2;
		delete from payments where id = 1" &&
	pg_leg pg2 &&
	consume -b "$KAFKA_BROKERS" -t "$P" -s avro -r "$REGISTRY_URL" -e >out &&
	payloads pg1.jsonl pg2.jsonl >want &&
	test_line_count = 4 want &&
	test_cmp want out
'

test_done
