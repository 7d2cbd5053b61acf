/*
 * chconv: unit tests of lib/chconv (types, values, rows) and the error
 * classification of lib/chhttp; failures on stderr, exit 1 if any.
 */
#include "chconv.h"
#include "chhttp.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static int failures, checks;

#define CHECK(cond) do { \
	checks++; \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
		failures++; \
	} \
} while (0)

/* The converted text of JSON value text for type, or "ERR: reason". */
static char *
conv(const char *type, const char *text)
{
	static char out[1024];
	struct chtype *t = chtype_parse(type);
	json_error_t je;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &je);
	struct buf b;
	char err[256];

	if (t == NULL || v == NULL)
		die(EX_SOFTWARE, "bad test case %s %s", type, text);
	buf_init(&b);
	if (chconv_value(t, v, &b, err, sizeof err) == 0)
		snprintf(out, sizeof out, "%s", buf_cstr(&b));
	else
		snprintf(out, sizeof out, "ERR: %s", err);
	buf_free(&b);
	json_decref(v);
	chtype_free(t);
	return out;
}

#define CONV(type, in, want) do { \
	const char *got_ = conv(type, in); \
	checks++; \
	if (strcmp(got_, want) != 0) { \
		fprintf(stderr, "%s:%d: %s <- %s: got %s, want %s\n", __FILE__, \
		    __LINE__, type, in, got_, want); \
		failures++; \
	} \
} while (0)

#define REJECT(type, in) do { \
	const char *got_ = conv(type, in); \
	checks++; \
	if (strncmp(got_, "ERR: ", 5) != 0) { \
		fprintf(stderr, "%s:%d: %s <- %s: got %s, want an error\n", \
		    __FILE__, __LINE__, type, in, got_); \
		failures++; \
	} \
} while (0)

static void
test_ints(void)
{
	CONV("Int8", "-128", "-128");
	REJECT("Int8", "128");
	CONV("UInt8", "255", "255");
	REJECT("UInt8", "256");
	REJECT("UInt8", "-1");
	CONV("UInt8", "true", "1");
	CONV("UInt8", "false", "0");
	CONV("UInt8", "\"true\"", "1");
	CONV("Int32", "\"42\"", "42");
	REJECT("Int32", "\"42x\"");
	REJECT("Int32", "\"\"");
	CONV("Int32", "7.0", "7");
	REJECT("Int32", "7.5");
	CONV("Int64", "-9223372036854775808", "-9223372036854775808");
	CONV("Int64", "9223372036854775807", "9223372036854775807");
	CONV("UInt64", "\"18446744073709551615\"", "18446744073709551615");
	REJECT("UInt64", "\"18446744073709551616\"");
	REJECT("Int16", "{}");
	REJECT("Int16", "null");
	CONV("Nullable(Int16)", "null", "null");
}

static void
test_floats_decimals(void)
{
	CONV("Float64", "0.1", "0.1");
	CONV("Float64", "\"2.5e3\"", "2500");
	CONV("Float64", "3", "3");
	CONV("Float32", "1e38", "1e+38");
	REJECT("Float32", "1e39");
	REJECT("Float64", "\"abc\"");
	CONV("Decimal(10, 2)", "12.5", "12.5");
	CONV("Decimal(10, 2)", "12.345", "12.35");
	CONV("Decimal(10, 2)", "\"12.50\"", "12.5");
	CONV("Decimal(10, 2)", "\"-0.01\"", "-0.01");
	CONV("Decimal(10, 2)", "\"00012.340\"", "12.34");
	CONV("Decimal(10, 2)", "\"99999999.99\"", "99999999.99");
	REJECT("Decimal(10, 2)", "\"100000000.00\"");
	REJECT("Decimal(10, 2)", "\"1.234\"");
	REJECT("Decimal(10, 2)", "\"1e3\"");
	REJECT("Decimal(10, 2)", "\"\"");
	CONV("Decimal(10, 2)", "7", "7");
	CONV("Decimal(5, 2)", "0.1", "0.1");
	CONV("Decimal64(4)", "\"1.5\"", "1.5");
	CONV("Decimal(18, 0)", "\"123456789012345678\"", "123456789012345678");
}

static void
test_strings(void)
{
	CONV("String", "\"a\\\"b\"", "\"a\\\"b\"");
	CONV("String", "\"\"", "\"\"");
	CONV("String", "123", "\"123\"");
	CONV("String", "true", "\"true\"");
	CONV("String", "{\"a\":[1,2]}", "\"{\\\"a\\\":[1,2]}\"");
	CONV("String", "\"\\u00e9\"", "\"\xc3\xa9\"");
	CONV("FixedString(2)", "\"GB\"", "\"GB\"");
	REJECT("FixedString(2)", "\"GBR\"");
	CONV("UUID", "\"61f0c404-5cb3-11e7-907b-a6006ad3dba0\"",
	    "\"61f0c404-5cb3-11e7-907b-a6006ad3dba0\"");
	REJECT("UUID", "\"61f0c404-5cb3-11e7-907b-a6006ad3dba\"");
	CONV("Enum8('low' = 1, 'high' = 2)", "\"high\"", "\"high\"");
	CONV("Enum8('low' = 1, 'high' = 2)", "1", "\"low\"");
	REJECT("Enum8('low' = 1, 'high' = 2)", "\"mid\"");
	CONV("Enum16('a\\'b' = -3)", "\"a'b\"", "\"a'b\"");
	CONV("LowCardinality(String)", "\"x\"", "\"x\"");
	CONV("Bool", "true", "true");
	CONV("Bool", "0", "false");
	REJECT("Bool", "2");
}

static void
test_times(void)
{
	CONV("DateTime", "\"2026-11-01T08:15:02Z\"", "1793520902");
	CONV("DateTime", "\"2026-11-01T09:15:02+01:00\"", "1793520902");
	CONV("DateTime", "\"2026-11-01 08:15:02\"", "1793520902");
	CONV("DateTime", "\"2026-11-01T08:15:02.999Z\"", "1793520902");
	CONV("DateTime", "1793520902", "1793520902");
	CONV("DateTime", "1793520902000", "1793520902");
	CONV("DateTime", "1793520902000000", "1793520902");
	CONV("DateTime", "\"1793520902\"", "1793520902");
	CONV("DateTime", "\"2026-11-01\"", "1793491200");
	CONV("DateTime", "\"1970-01-01T00:00:00Z\"", "0");
	CONV("DateTime('UTC')", "\"2106-02-07T06:28:15Z\"", "4294967295");
	REJECT("DateTime", "\"2106-02-07T06:28:16Z\"");
	REJECT("DateTime", "\"1969-12-31T23:59:59Z\"");
	REJECT("DateTime", "\"2026-02-29T00:00:00Z\"");
	REJECT("DateTime", "\"2026-11-01T25:00:00Z\"");
	REJECT("DateTime", "\"yesterday\"");
	CONV("DateTime", "\"2024-02-29T00:00:00Z\"", "1709164800");
	CONV("Date", "\"2026-11-01\"", "\"2026-11-01\"");
	CONV("Date", "\"2026-11-01T23:30:00-02:00\"", "\"2026-11-02\"");
	CONV("Date", "20393", "\"2025-11-01\"");
	CONV("Date", "1793520902", "\"2026-11-01\"");
	CONV("Date", "\"1970-01-01\"", "\"1970-01-01\"");
	CONV("Date", "\"2105-12-31\"", "\"2105-12-31\"");
	REJECT("Date", "\"2106-01-01\"");
	REJECT("Date", "\"1969-12-31\"");
	CONV("DateTime64(3)", "\"2026-11-01T08:15:02.5Z\"", "\"1793520902.500\"");
	CONV("DateTime64(6, 'UTC')", "1793520902123", "\"1793520902.123000\"");
	CONV("DateTime64(0)", "\"2026-11-01T08:15:02Z\"", "\"1793520902\"");
}

static void
test_arrays(void)
{
	CONV("Array(String)", "[\"a\",\"b\"]", "[\"a\",\"b\"]");
	CONV("Array(String)", "[]", "[]");
	CONV("Array(Int32)", "[1,\"2\"]", "[1,2]");
	REJECT("Array(Int32)", "[1,\"x\"]");
	REJECT("Array(Int32)", "1");
	CONV("Array(Nullable(Int8))", "[null,1]", "[null,1]");
	CONV("Array(Array(UInt8))", "[[1],[]]", "[[1],[]]");
	CONV("Tuple(Int8, String)", "[1,\"a\"]", "[1,\"a\"]");
}

static char *
row(struct chconv *cv, const char *text)
{
	static char out[2048];
	json_error_t je;
	json_t *v = json_loads(text, 0, &je);
	struct buf b;
	char err[256];

	buf_init(&b);
	if (v && chconv_row(cv, v, &b, err, sizeof err) == 0)
		snprintf(out, sizeof out, "%s", buf_cstr(&b));
	else
		snprintf(out, sizeof out, "ERR: %s", v ? err : je.text);
	buf_free(&b);
	json_decref(v);
	return out;
}

#define ROW(cv, in, want) do { \
	const char *got_ = row(cv, in); \
	checks++; \
	if (strcmp(got_, want) != 0) { \
		fprintf(stderr, "%s:%d: row %s: got %s, want %s\n", __FILE__, \
		    __LINE__, in, got_, want); \
		failures++; \
	} \
} while (0)

static void
test_rows(void)
{
	struct chconv cv;

	chconv_init(&cv);
	chconv_add(&cv, "id", "String");
	chconv_add(&cv, "customer_credit_score", "Int32");
	chconv_add(&cv, "evidence", "String");
	chconv_add(&cv, "_kafka_offset", "Int64");
	chconv_add(&cv, "n", "Nullable(Int8)");
	chconv_add(&cv, "m", "UInt8");
	chconv_add(&cv, "deep", "String");
	CHECK(chconv_find(&cv, "id", 2) == 0);
	CHECK(chconv_find(&cv, "nope", 4) == -1);
	CHECK(chconv_map(&cv, "deep", "a.b.c") == 0);
	CHECK(chconv_map(&cv, "nope", "a") == -1);

	ROW(&cv, "{\"id\":\"x\",\"customer\":{\"credit_score\":700,\"name\":\"n\"},"
	    "\"evidence\":{\"k\":1},\"_kafka\":{\"offset\":5,\"topic\":\"t\"},"
	    "\"unknown\":1}",
	    "{\"id\":\"x\",\"customer_credit_score\":700,"
	    "\"evidence\":\"{\\\"k\\\":1}\",\"_kafka_offset\":5}");
	ROW(&cv, "{\"m\":null,\"n\":null}", "{\"n\":null}");
	ROW(&cv, "{}", "{}");
	ROW(&cv, "{\"a\":{\"b\":{\"c\":\"deep\"}},\"deep\":\"top\"}",
	    "{\"deep\":\"deep\"}");
	ROW(&cv, "{\"deep\":\"top\"}", "{}");
	ROW(&cv, "{\"id\":\"x\",\"m\":300}",
	    "ERR: column m (UInt8): 300 is out of range");
	ROW(&cv, "[1]", "ERR: not a JSON object");
	chconv_free(&cv);

	/* change records: the row image, __deleted, source_* positions */
	chconv_init(&cv);
	chconv_add(&cv, "customer_id", "String");
	chconv_add(&cv, "credit_score", "Int32");
	chconv_add(&cv, "__deleted", "UInt8");
	chconv_add(&cv, "op", "String");
	chconv_add(&cv, "source_lsn", "UInt64");
	ROW(&cv, "{\"before\":null,\"after\":{\"customer_id\":\"C1\",\"credit_score\":1},"
	    "\"source\":{\"lsn\":99},\"op\":\"c\"}",
	    "{\"customer_id\":\"C1\",\"credit_score\":1,\"__deleted\":0,"
	    "\"source_lsn\":99,\"op\":\"c\"}");
	ROW(&cv, "{\"before\":{\"customer_id\":\"C1\"},\"after\":null,"
	    "\"source\":{\"lsn\":100},\"op\":\"d\"}",
	    "{\"customer_id\":\"C1\",\"__deleted\":1,\"source_lsn\":100,\"op\":\"d\"}");
	ROW(&cv, "{\"customer_id\":\"C1\",\"__deleted\":\"true\"}",
	    "{\"customer_id\":\"C1\",\"__deleted\":1}");
	chconv_free(&cv);
}

/*
 * chconv_row_text: the same row as the tree for the records it takes (0),
 * and leaves the others to the tree (1) with the output unchanged.
 */
static void
same_row(struct chconv *cv, const char *text, int want, int line)
{
	struct buf a, b;
	char err[256];
	json_error_t je;
	json_t *v = json_loads(text, 0, &je);
	int r, r2;

	buf_init(&a);
	buf_init(&b);
	buf_puts(&a, "prefix");
	r = chconv_row_text(cv, text, strlen(text), &a);
	r2 = v ? chconv_row(cv, v, &b, err, sizeof err) : -1;
	checks++;
	if (r != want || (r == 0 && (r2 != 0 || a.len != b.len + 6 ||
	    memcmp(a.p + 6, b.p, b.len) != 0)) ||
	    (r == 1 && a.len != 6)) {
		fprintf(stderr, "%s:%d: one pass %s: got %d %.*s, tree %.*s\n",
		    __FILE__, line, text, r, (int)a.len, a.p, (int)b.len, b.p);
		failures++;
	}
	json_decref(v);
	buf_free(&a);
	buf_free(&b);
}

#define SAME(cv, in, want) same_row(cv, in, want, __LINE__)

static int
text_check(struct chconv *cv, const char *text)
{
	return chconv_row_text(cv, text, strlen(text), NULL);
}

static void
test_rows_text(void)
{
	struct chconv cv;

	chconv_init(&cv);
	chconv_add(&cv, "s", "String");
	chconv_add(&cv, "i", "Int32");
	chconv_add(&cv, "u", "UInt8");
	chconv_add(&cv, "big", "Int64");
	chconv_add(&cv, "f", "Float64");
	chconv_add(&cv, "t", "DateTime");
	chconv_add(&cv, "d", "Date");
	chconv_add(&cv, "dec", "Decimal(10, 2)");
	chconv_add(&cv, "n", "Nullable(Int8)");
	chconv_add(&cv, "a", "Array(String)");
	chconv_add(&cv, "obj", "String");
	SAME(&cv, "{\"s\":\"x\",\"i\":-5,\"u\":true,\"f\":1.5,"
	    "\"t\":\"2026-11-01T08:15:02Z\",\"d\":\"2026-11-01\","
	    "\"dec\":0.10,\"n\":null,\"a\":[\"p\",\"q\"],\"other\":[1,{}]}", 0);
	SAME(&cv, " { \"s\" : 7 , \"i\" : \"12\" , \"u\" : null } ", 0);
	SAME(&cv, "{\"big\":-9223372036854775808,\"f\":-0,\"t\":1700000000}", 0);
	SAME(&cv, "{}", 0);
	SAME(&cv, "{\"s\":\"x\",\"unknown\":\"y\",\"n\":3}", 0);
	/* left to the tree */
	SAME(&cv, "{\"s\":\"a\",\"s\":\"b\"}", 1);	/* repeated key */
	SAME(&cv, "{\"s\":\"a\\\"b\"}", 1);		/* an escape */
	SAME(&cv, "{\"s\":\"\xc3\xa9\"}", 1);		/* non-ASCII */
	SAME(&cv, "{\"obj\":{\"k\":1}}", 1);		/* an object */
	SAME(&cv, "{\"big\":99999999999999999999}", 1);	/* too big */
	SAME(&cv, "{\"f\":1e400}", 1);
	SAME(&cv, "{\"i\":01}", 1);
	SAME(&cv, "{\"i\":1.}", 1);
	SAME(&cv, "{\"s\":\"x\",}", 1);
	SAME(&cv, "{\"s\":\"x\"} x", 1);
	SAME(&cv, "{\"s\":\"x\"", 1);
	SAME(&cv, "{\"u\":300}", 1);			/* does not convert */
	SAME(&cv, "[1]", 1);
	SAME(&cv, "{\"_kafka\":{\"offset\":1},\"s\":\"x\"}", 1);
	SAME(&cv, "{\"op\":\"c\",\"s\":\"x\"}", 1);
	SAME(&cv, "{\"a\":[1,2,]}", 1);
	/* the check alone (records sent as they are) */
	CHECK(text_check(&cv, "{\"u\":300,\"x\":[1,{}]}") == 0);
	CHECK(text_check(&cv, "{\"s\":\"a\",\"s\":1}") == 0);
	CHECK(text_check(&cv, "{\"s\":\"a\",}") == 1);
	CHECK(text_check(&cv, "{\"_csv\":{}}") == 1);
	CHECK(text_check(&cv, "[]") == 1);
	CHECK(chconv_map(&cv, "s", "x.y") == 0);
	SAME(&cv, "{\"i\":1}", 1);			/* a mapping */
	chconv_free(&cv);
}

static void
test_types(void)
{
	struct chtype *t;

	t = chtype_parse("Nullable(Decimal(10, 2))");
	CHECK(t && t->kind == CK_DECIMAL && t->nullable && t->precision == 10 &&
	    t->scale == 2);
	chtype_free(t);
	t = chtype_parse("Array(LowCardinality(Nullable(String)))");
	CHECK(t && t->kind == CK_ARRAY && t->elem->kind == CK_STRING &&
	    t->elem->nullable);
	chtype_free(t);
	t = chtype_parse("Enum8('a' = 1, 'b,c' = 2)");
	CHECK(t && t->kind == CK_ENUM && t->nenum == 2 &&
	    strcmp(t->enum_names[1], "b,c") == 0 && t->enum_values[1] == 2);
	chtype_free(t);
	t = chtype_parse("Int128");
	CHECK(t && t->kind == CK_OTHER);
	chtype_free(t);
	t = chtype_parse("Array(Enum8('a)");
	CHECK(t && t->kind == CK_OTHER);
	chtype_free(t);
}

static void
test_http(void)
{
	struct buf b;

	CHECK(chh_classify(200, 0) == CHH_OK);
	CHECK(chh_classify(0, 0) == CHH_RETRY);
	CHECK(chh_classify(503, 0) == CHH_RETRY);
	CHECK(chh_classify(500, 252) == CHH_RETRY);
	CHECK(chh_classify(404, 60) == CHH_FATAL);
	CHECK(chh_classify(401, 193) == CHH_FATAL);
	CHECK(chh_classify(400, 27) == CHH_DATA);
	CHECK(chh_classify(500, 26) == CHH_DATA);
	buf_init(&b);
	chh_quote(&b, "a'b\\c");
	CHECK(strcmp(buf_cstr(&b), "'a\\'b\\\\c'") == 0);
	buf_reset(&b);
	CHECK(chh_gzip("hello", 5, 1, &b) == 0 && b.len > 10 &&
	    (unsigned char)b.p[0] == 0x1f && (unsigned char)b.p[1] == 0x8b);
	buf_free(&b);
}

int
main(void)
{
	long long s;
	long ns;

	setprogname("chconv");
	test_ints();
	test_floats_decimals();
	test_strings();
	test_times();
	test_arrays();
	test_rows();
	test_rows_text();
	test_types();
	test_http();
	CHECK(chconv_parse_time("2026-11-01T08:15:02.123456789Z", 30, &s, &ns) == 0 &&
	    s == 1793520902 && ns == 123456789);
	CHECK(chconv_parse_time("2026-11-01T08:15", 16, &s, &ns) == 0 &&
	    s == 1793520900);
	CHECK(chconv_parse_time("2026-11-01T08:15:02+0530", 24, &s, &ns) == 0 &&
	    s == 1793520902 - 19800);
	CHECK(chconv_parse_time("2026-11-01T08:15:02Zx", 21, &s, &ns) == -1);
	CHECK(chconv_parse_time("2026-13-01", 10, &s, &ns) == -1);
	if (failures) {
		fprintf(stderr, "chconv: %d of %d checks failed\n", failures, checks);
		return 1;
	}
	printf("chconv: %d checks passed\n", checks);
	return 0;
}
