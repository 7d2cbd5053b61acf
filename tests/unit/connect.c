/*
 * connect: cases of lib/connect without a server.
 *   connect cases     Connect schemas of change records, their Avro
 *                     schemas, and records through them to Avro and back
 */
#include "avrojson.h"
#include "connect.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failed, run;

static void
check(int ok, const char *what, const char *detail)
{
	run++;
	if (!ok) {
		failed++;
		printf("FAIL %s%s%s\n", what, detail ? ": " : "",
		    detail ? detail : "");
	}
}

static const char *const p_dec[] = { "__debezium.source.column.type",
    "DECIMAL", "__debezium.source.column.length", "10",
    "__debezium.source.column.scale", "2", NULL };
static const char *const p_date[] = { "__debezium.source.column.type",
    "DATE", NULL };
static const char *const p_dt[] = { "__debezium.source.column.type",
    "DATETIME", "__debezium.source.column.length", "3", NULL };
static const char *const p_ts[] = { "__debezium.source.column.type",
    "TIMESTAMP", "__debezium.source.column.length", "6", NULL };
static const char *const p_ubig[] = { "__debezium.source.column.type",
    "BIGINT UNSIGNED", NULL };
static const char *const p_dbz[] = { "scale", "2",
    "connect.decimal.precision", "10", NULL };
static const char *const p_skip[] = { "__debezium.source.column.type",
    "VARCHAR", "__debezium.source.column.length", NULL, NULL };

static const char source[] =
    "{\"type\":\"string\",\"optional\":false,\"field\":\"connector\"},"
    "{\"type\":\"string\",\"optional\":false,\"field\":\"db\"},"
    "{\"type\":\"int64\",\"optional\":false,\"field\":\"pos\"}";

static void
columns(struct buf *f)
{
	buf_reset(f);
	cs_field(f, "id", 2, "int32", 0, NULL, NULL);
	cs_field(f, "name", 4, "string", 1, NULL, p_skip);
	cs_field(f, "amount", 6, "string", 1, NULL, p_dec);
	cs_field(f, "day", 3, "string", 1, NULL, p_date);
	cs_field(f, "at", 2, "string", 1, NULL, p_dt);
	cs_field(f, "seen", 4, "string", 1, "io.debezium.time.ZonedTimestamp",
	    p_ts);
	cs_field(f, "doc", 3, "string", 1, "io.debezium.data.Json", NULL);
	cs_field(f, "big", 3, "int64", 1, NULL, p_ubig);
	cs_field(f, "price", 5, "bytes", 1,
	    "org.apache.kafka.connect.data.Decimal", p_dbz);
	cs_field(f, "days", 4, "int32", 1, "io.debezium.time.Date", NULL);
	cs_field(f, "raw", 3, "bytes", 1, NULL, NULL);
}

/* The record in, through the Avro schema of its Connect schema, back out. */
static void
through(const char *what, int unwrap, const char *payload, const char *want)
{
	struct buf f, env, bin, out, fixed;
	struct cs_avro a;
	struct avsch s;
	char err[600], *text;
	json_t *cs, *p;

	buf_init(&f);
	buf_init(&env);
	buf_init(&bin);
	buf_init(&out);
	buf_init(&fixed);
	columns(&f);
	cs_envelope(&env, "srv", "crm", "t_1", &f, "io.debezium.connector.mysql.Source",
	    source, unwrap);
	cs = json_loadb(env.p, env.len, 0, NULL);
	check(cs != NULL, what, "the Connect schema is JSON");
	if (cs == NULL)
		goto out;
	if (cs_to_avro(cs, &a, err, sizeof err) < 0) {
		check(0, what, err);
		json_decref(cs);
		goto out;
	}
	check(a.unwrap == unwrap, what, "unwrapped or not");
	text = json_dumps(a.schema, JSON_COMPACT);
	if (avsch_load(&s, text, strlen(text), err, sizeof err) < 0) {
		check(0, what, err);
		puts(text);
	} else {
		if (cs_fix_text(&a, payload, strlen(payload), &fixed))
			p = json_loadb(fixed.p, fixed.len, 0, NULL);
		else
			p = json_loads(payload, 0, NULL);
		if (p == NULL)
			check(0, what, "the payload is not JSON after its fixes");
		else if (cs_fix_payload(&a, p, err, sizeof err) < 0)
			check(0, what, err);
		else if (avsch_encode(&s, p, &bin, err, sizeof err) < 0)
			check(0, what, err);
		else if (avsch_decode(&s, bin.p, bin.len, 0, &out, err,
		    sizeof err) < 0)
			check(0, what, err);
		else {
			buf_cstr(&out);
			check(strcmp(out.p, want) == 0, what, out.p);
		}
		json_decref(p);
		avsch_free(&s);
	}
	free(text);
	cs_avro_free(&a);
	json_decref(cs);
out:
	buf_free(&f);
	buf_free(&env);
	buf_free(&bin);
	buf_free(&out);
	buf_free(&fixed);
}

static void
avro_type_of(const char *what, const char *field, const char *want)
{
	struct buf f, env;
	struct cs_avro a;
	char err[600];
	json_t *cs;

	buf_init(&f);
	buf_init(&env);
	columns(&f);
	cs_envelope(&env, "srv", "crm", "t_1", &f, "io.debezium.connector.mysql.Source",
	    source, 1);
	cs = json_loadb(env.p, env.len, 0, NULL);
	if (cs_to_avro(cs, &a, err, sizeof err) < 0)
		check(0, what, err);
	else {
		json_t *fields = json_object_get(a.schema, "fields"), *x;
		size_t i;
		char *got = NULL;

		json_array_foreach(fields, i, x)
			if (strcmp(json_string_value(json_object_get(x, "name")),
			    field) == 0)
				got = json_dumps(json_object_get(x, "type"),
				    JSON_COMPACT | JSON_SORT_KEYS);
		check(got && strcmp(got, want) == 0, what, got);
		free(got);
		cs_avro_free(&a);
	}
	json_decref(cs);
	buf_free(&f);
	buf_free(&env);
}

static void
refused(const char *what, const char *connect, const char *why)
{
	struct cs_avro a;
	char err[600];
	json_t *cs = json_loads(connect, 0, NULL);

	if (cs_to_avro(cs, &a, err, sizeof err) == 0) {
		check(0, what, "accepted");
		cs_avro_free(&a);
	} else
		check(strstr(err, why) != NULL, what, err);
	json_decref(cs);
}

int
main(int argc, char **argv)
{
	struct buf b;

	if (argc < 2 || strcmp(argv[1], "cases") != 0)
		die(64, "usage: connect cases");

	buf_init(&b);
	cs_adjust(&b, "9db-x.y", 7);
	buf_cstr(&b);
	check(strcmp(b.p, "_9db_x_y") == 0, "cs_adjust", b.p);
	buf_free(&b);

	through("an envelope: every kind of column, Debezium's decimal too", 0,
	    "{\"before\":null,\"after\":{\"id\":7,\"name\":\"Zoë\","
	    "\"amount\":\"-12.50\",\"day\":\"2024-02-29\","
	    "\"at\":\"2024-02-29T13:45:06.789\",\"seen\":\"2024-02-29T13:45:06.789123Z\","
	    "\"doc\":{\"a\":[1,2]},\"big\":18446744073709551615,\"price\":\"/7Y=\","
	    "\"days\":19782,\"raw\":\"AAEC\"},\"source\":{\"connector\":\"mysql\","
	    "\"db\":\"crm\",\"pos\":4},\"op\":\"c\",\"ts_ms\":1,\"transaction\":null}",
	    "{\"before\":null,\"after\":{\"id\":7,\"name\":\"Zoë\",\"amount\":\"-12.50\","
	    "\"day\":\"2024-02-29\",\"at\":\"2024-02-29T13:45:06.789000\","
	    "\"seen\":\"2024-02-29T13:45:06.789123Z\",\"doc\":\"{\\\"a\\\":[1,2]}\","
	    "\"big\":\"18446744073709551615\",\"price\":\"-0.74\",\"days\":\"2024-02-29\","
	    "\"raw\":\"AAEC\"},\"source\":{\"connector\":\"mysql\",\"db\":\"crm\","
	    "\"pos\":4},\"op\":\"c\",\"ts_ms\":1,\"transaction\":null}");
	through("an update: before and after share one record type", 0,
	    "{\"before\":{\"id\":1},\"after\":{\"id\":1,\"amount\":\"0.00\"},"
	    "\"source\":{\"connector\":\"mysql\",\"db\":\"crm\",\"pos\":9},"
	    "\"op\":\"u\",\"ts_ms\":2}",
	    "{\"before\":{\"id\":1,\"name\":null,\"amount\":null,\"day\":null,"
	    "\"at\":null,\"seen\":null,\"doc\":null,\"big\":null,\"price\":null,"
	    "\"days\":null,\"raw\":null},\"after\":{\"id\":1,\"name\":null,"
	    "\"amount\":\"0.00\",\"day\":null,\"at\":null,\"seen\":null,\"doc\":null,"
	    "\"big\":null,\"price\":null,\"days\":null,\"raw\":null},"
	    "\"source\":{\"connector\":\"mysql\",\"db\":\"crm\",\"pos\":9},"
	    "\"op\":\"u\",\"ts_ms\":2,\"transaction\":null}");
	through("Debezium's wrapped BIGINT UNSIGNED comes back unsigned", 1,
	    "{\"id\":4,\"big\":-1,\"__op\":\"c\",\"__deleted\":\"false\","
	    "\"__source_ts_ms\":6}",
	    "{\"id\":4,\"name\":null,\"amount\":null,\"day\":null,\"at\":null,"
	    "\"seen\":null,\"doc\":null,\"big\":\"18446744073709551615\",\"price\":null,"
	    "\"days\":null,\"raw\":null,\"__op\":\"c\",\"__deleted\":\"false\","
	    "\"__source_ts_ms\":6}");
	through("unwrapped: the row and __op, __deleted, __source_ts_ms", 1,
	    "{\"id\":3,\"big\":12,\"price\":\"AA==\",\"__op\":\"d\",\"__deleted\":\"true\","
	    "\"__source_ts_ms\":5}",
	    "{\"id\":3,\"name\":null,\"amount\":null,\"day\":null,\"at\":null,"
	    "\"seen\":null,\"doc\":null,\"big\":\"12\",\"price\":\"0.00\",\"days\":null,"
	    "\"raw\":null,\"__op\":\"d\",\"__deleted\":\"true\",\"__source_ts_ms\":5}");

	avro_type_of("a DECIMAL in the plain encoding is Avro's decimal", "amount",
	    "[\"null\",{\"connect.parameters\":{\"__debezium.source.column.length\":"
	    "\"10\",\"__debezium.source.column.scale\":\"2\","
	    "\"__debezium.source.column.type\":\"DECIMAL\"},\"logicalType\":"
	    "\"decimal\",\"precision\":10,\"scale\":2,\"type\":\"bytes\"}]");
	avro_type_of("a required column is not a union", "id", "{\"type\":\"int\"}");
	avro_type_of("a ZonedTimestamp is timestamp-micros", "seen",
	    "[\"null\",{\"connect.name\":\"io.debezium.time.ZonedTimestamp\","
	    "\"connect.parameters\":{\"__debezium.source.column.length\":\"6\","
	    "\"__debezium.source.column.type\":\"TIMESTAMP\"},\"connect.version\":1,"
	    "\"logicalType\":\"timestamp-micros\",\"type\":\"long\"}]");
	avro_type_of("a parameter without a value is left out", "name",
	    "[\"null\",{\"connect.parameters\":{\"__debezium.source.column.type\":"
	    "\"VARCHAR\"},\"type\":\"string\"}]");

	refused("a column name Avro cannot hold",
	    "{\"type\":\"struct\",\"fields\":[{\"type\":\"int32\",\"optional\":false,"
	    "\"field\":\"a-b\"}],\"optional\":false,\"name\":\"x.Value\"}",
	    "field \"a-b\" is not an Avro name");
	refused("an unknown Connect type",
	    "{\"type\":\"struct\",\"fields\":[{\"type\":\"int128\",\"optional\":false,"
	    "\"field\":\"a\"}],\"optional\":false,\"name\":\"x.Value\"}",
	    "unknown Connect type \"int128\"");
	refused("not a struct", "{\"type\":\"string\"}", "not a Connect struct");

	printf("%d cases, %d failed\n", run, failed);
	return failed ? 1 : 0;
}
