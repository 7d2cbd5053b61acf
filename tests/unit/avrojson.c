/*
 * avrojson: cases of lib/avrojson without a registry.
 *   avrojson cases       JSON -> Avro -> JSON, the bytes and the errors
 */
#include "avrojson.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failed, run;

static void
load(struct avsch *s, const char *schema)
{
	char err[512];

	if (avsch_load(s, schema, strlen(schema), err, sizeof err) < 0)
		die(70, "%s: %s", schema, err);
}

static void
hex(struct buf *h, const struct buf *b)
{
	buf_reset(h);
	for (size_t i = 0; i < b->len; i++)
		buf_printf(h, "%02x", (unsigned char)b->p[i]);
	buf_cstr(h);
}

/* in encodes to the bytes want (hex) and decodes back to out (NULL: in). */
static void
both(const char *schema, const char *in, const char *want, const char *out)
{
	struct avsch s;
	struct buf b, h, o;
	char err[512];
	json_t *j = json_loads(in, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);

	run++;
	load(&s, schema);
	buf_init(&b);
	buf_init(&h);
	buf_init(&o);
	if (j == NULL || avsch_encode(&s, j, &b, err, sizeof err) < 0) {
		printf("FAIL %s %s: encode: %s\n", schema, in, j ? err : "bad JSON");
		failed++;
		goto out;
	}
	hex(&h, &b);
	if (strcmp(h.p ? h.p : "", want) != 0) {
		printf("FAIL %s %s: bytes %s, want %s\n", schema, in, h.p, want);
		failed++;
		goto out;
	}
	if (avsch_decode(&s, b.p, b.len, 0, &o, err, sizeof err) < 0) {
		printf("FAIL %s %s: decode: %s\n", schema, in, err);
		failed++;
		goto out;
	}
	buf_cstr(&o);
	if (strcmp(o.p, out ? out : in) != 0) {
		printf("FAIL %s %s: decoded %s\n", schema, in, o.p);
		failed++;
	}
out:
	json_decref(j);
	buf_free(&b);
	buf_free(&h);
	buf_free(&o);
	avsch_free(&s);
}

/* in does not encode, with an error containing why. */
static void
refused(const char *schema, const char *in, const char *why)
{
	struct avsch s;
	struct buf b;
	char err[512];
	json_t *j = json_loads(in, JSON_DECODE_ANY, NULL);

	run++;
	load(&s, schema);
	buf_init(&b);
	if (avsch_encode(&s, j, &b, err, sizeof err) == 0) {
		printf("FAIL %s %s: encoded, want an error with %s\n", schema, in, why);
		failed++;
	} else if (strstr(err, why) == NULL) {
		printf("FAIL %s %s: error %s, want %s\n", schema, in, err, why);
		failed++;
	}
	json_decref(j);
	buf_free(&b);
	avsch_free(&s);
}

/* The bytes (hex) decode, strict or not, to want, or fail with want. */
static void
decoded(const char *schema, const char *bytes, int strict, const char *want)
{
	struct avsch s;
	struct buf o;
	char err[512], bin[256];
	size_t n = strlen(bytes) / 2;

	run++;
	for (size_t i = 0; i < n; i++)
		bin[i] = (char)(hex_digit(bytes[2 * i]) << 4 | hex_digit(bytes[2 * i + 1]));
	load(&s, schema);
	buf_init(&o);
	if (avsch_decode(&s, bin, n, strict, &o, err, sizeof err) < 0) {
		if (strstr(err, want) == NULL) {
			printf("FAIL %s %s: error %s, want %s\n", schema, bytes, err, want);
			failed++;
		}
	} else {
		buf_cstr(&o);
		if (strcmp(o.p, want) != 0) {
			printf("FAIL %s %s: %s, want %s\n", schema, bytes, o.p, want);
			failed++;
		}
	}
	buf_free(&o);
	avsch_free(&s);
}

#define DEC(p, s) "{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":" #p ",\"scale\":" #s "}"
#define FIX(n, p, s) "{\"type\":\"fixed\",\"name\":\"F\",\"size\":" #n ",\"logicalType\":\"decimal\",\"precision\":" #p ",\"scale\":" #s "}"
#define LT(t, l) "{\"type\":\"" t "\",\"logicalType\":\"" l "\"}"

static void
cases(void)
{
	/* decimals: two's complement, shortest, exact text */
	both(DEC(10, 2), "\"0.00\"", "0200", NULL);
	both(DEC(10, 2), "\"1.00\"", "0264", NULL);
	both(DEC(10, 2), "\"-0.01\"", "02ff", NULL);
	both(DEC(10, 2), "\"1.28\"", "040080", NULL);
	both(DEC(10, 2), "\"-1.28\"", "0280", NULL);
	both(DEC(10, 2), "\"-1.29\"", "04ff7f", NULL);
	both(DEC(10, 2), "\"12.5\"", "0404e2", "\"12.50\"");
	both(DEC(10, 2), "12.5", "0404e2", "\"12.50\"");
	both(DEC(10, 2), "7", "0402bc", "\"7.00\"");
	both(DEC(10, 0), "\"-7\"", "02f9", NULL);
	both(DEC(39, 0), "\"170141183460469231731687303715884105727\"",
	    "207fffffffffffffffffffffffffffffff", NULL);
	both(DEC(39, 0), "\"-170141183460469231731687303715884105728\"",
	    "2080000000000000000000000000000000", NULL);
	both(FIX(4, 9, 4), "\"-0.0001\"", "ffffffff", NULL);
	both(FIX(4, 9, 4), "\"1.0000\"", "00002710", NULL);
	refused(DEC(10, 2), "\"1.234\"", "more than 2 digit(s) after the point");
	refused(DEC(4, 2), "\"123.45\"", "more than 4 significant digit(s)");
	refused(DEC(10, 2), "\"1e3\"", "is not a decimal number");
	refused(FIX(2, 9, 0), "\"100000\"", "too large for fixed(2)");
	/* dates and times */
	both(LT("int", "date"), "\"1970-01-01\"", "00", NULL);
	both(LT("int", "date"), "\"1969-12-31\"", "01", NULL);
	both(LT("int", "date"), "\"2000-03-01\"", "92ac01", NULL);
	both(LT("int", "date"), "11016", "90ac01", "\"2000-02-29\"");
	both(LT("int", "time-millis"), "\"23:59:59.999\"", "feefb252", NULL);
	both(LT("int", "time-millis"), "\"12:00:00.5\"", "e8bf9929",
	    "\"12:00:00.500\"");
	both(LT("long", "time-micros"), "\"00:00:01\"", "80897a",
	    "\"00:00:01.000000\"");
	both(LT("long", "timestamp-millis"), "\"1970-01-01T00:00:00.001Z\"", "02",
	    NULL);
	both(LT("long", "timestamp-millis"), "\"1969-12-31T23:59:59.999Z\"", "01",
	    NULL);
	both(LT("long", "timestamp-millis"), "\"1970-01-01T01:00:00+01:00\"", "00",
	    "\"1970-01-01T00:00:00.000Z\"");
	both(LT("long", "timestamp-micros"), "\"1970-01-01 00:00:00.000001\"",
	    "02", "\"1970-01-01T00:00:00.000001Z\"");
	both(LT("long", "local-timestamp-millis"), "\"2026-11-01T08:15:02.250\"",
	    "d481e9e2b268", NULL);
	both(LT("long", "timestamp-millis"), "-9223372036854775808",
	    "ffffffffffffffffff01", "-9223372036854775808");
	refused(LT("long", "timestamp-millis"), "\"2026-11-01T08:15:02.2501Z\"",
	    "is not a timestamp-millis");
	refused(LT("int", "date"), "\"2026-13-01\"", "is not a date");
	/* unions, records, defaults, enums, maps */
	both("[\"null\",\"string\"]", "null", "00", NULL);
	both("[\"null\",\"string\"]", "\"x\"", "020278", NULL);
	both("[\"null\",\"long\",\"string\"]", "\"x\"", "040278", NULL);
	both("[\"int\",\"double\"]", "1.5", "02000000000000f83f", NULL);
	both("{\"type\":\"record\",\"name\":\"R\",\"fields\":["
	    "{\"name\":\"a\",\"type\":\"int\",\"default\":7},"
	    "{\"name\":\"b\",\"type\":[\"null\",\"R\"]}]}",
	    "{\"b\":{\"a\":1}}", "0e020200", "{\"a\":7,\"b\":{\"a\":1,\"b\":null}}");
	both("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\"]}",
	    "\"B\"", "02", NULL);
	both("{\"type\":\"map\",\"values\":\"boolean\"}", "{\"k\":true}",
	    "02026b0100", NULL);
	both("\"bytes\"", "\"AP8=\"", "0400ff", NULL);
	both("\"double\"", "\"NaN\"", "000000000000f87f", NULL);
	both("\"float\"", "-0.0", "00000080", NULL);
	both("\"string\"", "\"caf\\u00e9\"", "0a636166c3a9", "\"café\"");
	refused("[\"null\",\"long\"]", "\"x\"", "expected an integer, got a string");
	refused("[\"long\",\"boolean\"]", "\"x\"", "no type of the union takes a string");
	refused("{\"type\":\"record\",\"name\":\"R\",\"fields\":["
	    "{\"name\":\"a\",\"type\":\"int\"}]}", "{}", ".a: missing");
	refused("{\"type\":\"record\",\"name\":\"R\",\"fields\":["
	    "{\"name\":\"a\",\"type\":\"int\"}]}", "{\"a\":1,\"z\":2}",
	    "field \"z\" is not in the schema");
	refused("\"int\"", "2147483648", "does not fit an int");
	/* strict: Avro's JSON encoding */
	decoded("[\"null\",{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"n\","
	    "\"fields\":[{\"name\":\"a\",\"type\":[\"null\",\"int\"]}]}]",
	    "020202", 1, "{\"n.R\":{\"a\":{\"int\":1}}}");
	decoded("\"bytes\"", "0400ff", 1, "\"\\u0000ÿ\"");
	decoded(LT("int", "date"), "02", 1, "1");
	/* bad bytes: errors, never an allocation the bytes cannot hold */
	decoded("\"string\"", "feffffffffffffff7f", 0, "a length of");
	decoded("{\"type\":\"array\",\"items\":\"null\"}", "feffffffffffffff7f",
	    0, "items, with 0 bytes left");
	decoded("\"string\"", "0678", 0, "a length of 3, with 1 bytes left");
	decoded("\"long\"", "0202", 0, "1 byte(s) left after the value");
	decoded("\"long\"", "ff", 0, "truncated");
	decoded("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]}", "02", 0,
	    "enum symbol 1 not in the schema");
	decoded("[\"null\",\"int\"]", "04", 0, "union branch 2 not in the schema");
	decoded(LT("int", "date"), "feffffff0f", 0, "2147483647");
}

int
main(int argc, char **argv)
{
	setprogname(argv[0]);
	if (argc != 2 || strcmp(argv[1], "cases") != 0)
		die(64, "usage: avrojson cases");
	cases();
	printf("%d cases, %d failed\n", run, failed);
	return failed != 0;
}
