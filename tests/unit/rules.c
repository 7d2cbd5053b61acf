/*
 * rules: unit tests of lib/rules (lexer, parser and its error positions,
 * every operator and function, null handling), lib/jfields,
 * lib/window, and lib/rules_run's state of keys (per rule, swept away,
 * kept across a reload); failures on stderr, exit 1 if any.
 */
#include "jfields.h"
#include "rules.h"
#include "rules_run.h"
#include "util.h"
#include "window.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures, checks;

#define CHECK(cond) do { \
	checks++; \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
		failures++; \
	} \
} while (0)

#define CHECK_STR(got, want) do { \
	const char *g_ = (got), *w_ = (want); \
	checks++; \
	if (strcmp(g_, w_) != 0) { \
		fprintf(stderr, "%s:%d: got '%s', want '%s'\n", __FILE__, \
		    __LINE__, g_, w_); \
		failures++; \
	} \
} while (0)

static char res[512];

static const char *
show(struct jval v)
{
	switch (v.t) {
	case J_NULL: return "null";
	case J_BOOL: return v.b ? "true" : "false";
	case J_NUM:
		snprintf(res, sizeof(res), "%.15g", v.n);
		return res;
	case J_STR: case J_RAW:
		snprintf(res, sizeof(res), "'%.*s'", (int)v.len, v.s);
		return res;
	}
	return "?";
}

/* Evaluate expression text against an event (a JSON object). */
static const char *
ev(const char *expr, const char *event)
{
	char text[2048], err[256], scratch[2048];
	struct rules *rs;
	struct jval f[64];
	struct arena ar = { 0 };
	struct evctx c;
	const char *jerr;

	snprintf(text, sizeof(text),
	    "list hr = [\"CU\", \"SO\"]\nrule t {\n where %s\n}\n", expr);
	if ((rs = rules_parse("t.rules", text, strlen(text), err,
	    sizeof(err))) == NULL) {
		snprintf(res, sizeof(res), "error: %s", err);
		return res;
	}
	if (jf_extract(rs->jf, event, strlen(event), f, scratch, &jerr) < 0) {
		snprintf(res, sizeof(res), "bad event: %s", jerr);
		rules_free(rs);
		return res;
	}
	memset(&c, 0, sizeof(c));
	c.f = f;
	c.time = 1793530000;
	c.stream.t = J_STR;
	c.stream.s = "telecom-cdr";
	c.stream.len = 11;
	c.id = c.stream;
	c.ar = &ar;
	{
		char tmp[512];
		snprintf(tmp, sizeof(tmp), "%s", show(rules_eval(rs->r[0].where, &c)));
		memcpy(res, tmp, sizeof(res));
	}
	arena_free(&ar);
	rules_free(rs);
	return res;
}

static const char *
perr(const char *text)
{
	struct rules *rs = rules_parse("x.rules", text, strlen(text), res,
	    sizeof(res));

	if (rs) {
		rules_free(rs);
		return "(parsed)";
	}
	return res;
}

static const char *E = "{\"a\":2,\"b\":3.5,\"s\":\"Hello\",\"t\":true,"
    "\"n\":null,\"c\":{\"x\":10,\"y\":{\"z\":\"deep\"}},\"arr\":[1,2],"
    "\"when\":\"2026-11-01T08:15:02Z\",\"esc\":\"a\\\"b\\u00e9\"}";

static void
test_eval(void)
{
	CHECK_STR(ev("a + b * 2", E), "9");
	CHECK_STR(ev("(a + b) * 2", E), "11");
	CHECK_STR(ev("a - 5", E), "-3");
	CHECK_STR(ev("-a", E), "-2");
	CHECK_STR(ev("7 % 4", E), "3");
	CHECK_STR(ev("a / 0", E), "null");
	CHECK_STR(ev("1 / 4", E), "0.25");
	CHECK_STR(ev("a == 2", E), "true");
	CHECK_STR(ev("a != 2", E), "false");
	CHECK_STR(ev("a < b", E), "true");
	CHECK_STR(ev("a <= 2", E), "true");
	CHECK_STR(ev("a > 2", E), "false");
	CHECK_STR(ev("a >= 3", E), "false");
	CHECK_STR(ev("s == \"Hello\"", E), "true");
	CHECK_STR(ev("s < \"Help\"", E), "true");
	CHECK_STR(ev("s == 2", E), "false");
	CHECK_STR(ev("s < 2", E), "null");
	CHECK_STR(ev("t", E), "true");
	CHECK_STR(ev("t == true", E), "true");
	CHECK_STR(ev("c.x", E), "10");
	CHECK_STR(ev("c.y.z", E), "'deep'");
	CHECK_STR(ev("c.nothing", E), "null");
	CHECK_STR(ev("nothing.at.all", E), "null");
	CHECK_STR(ev("esc", E), "'a\"b\xc3\xa9'");
	CHECK_STR(ev("arr", E), "'[1,2]'");
	/* three-valued logic */
	CHECK_STR(ev("n == 1", E), "null");
	CHECK_STR(ev("n != 1", E), "null");
	CHECK_STR(ev("n + 1", E), "null");
	CHECK_STR(ev("not n", E), "null");
	CHECK_STR(ev("n == 1 and false", E), "false");
	CHECK_STR(ev("n == 1 and true", E), "null");
	CHECK_STR(ev("n == 1 or true", E), "true");
	CHECK_STR(ev("n == 1 or false", E), "null");
	CHECK_STR(ev("true and true", E), "true");
	CHECK_STR(ev("false or false", E), "false");
	CHECK_STR(ev("not t", E), "false");
	CHECK_STR(ev("not not t", E), "true");
	CHECK_STR(ev("n is null", E), "true");
	CHECK_STR(ev("missing is null", E), "true");
	CHECK_STR(ev("a is not null", E), "true");
	CHECK_STR(ev("a is null", E), "false");
	CHECK_STR(ev("null", E), "null");
	/* in */
	CHECK_STR(ev("\"CU\" in hr", E), "true");
	CHECK_STR(ev("\"FR\" in hr", E), "false");
	CHECK_STR(ev("\"FR\" not in hr", E), "true");
	CHECK_STR(ev("a in [1, 2, 3]", E), "true");
	CHECK_STR(ev("a in [-2, 5]", E), "false");
	CHECK_STR(ev("n in [1]", E), "null");
	CHECK_STR(ev("s in [\"Hello\", \"x\"]", E), "true");
	CHECK_STR(ev("a in []", E), "false");
	/* durations are seconds */
	CHECK_STR(ev("10m", E), "600");
	CHECK_STR(ev("24h + 1s", E), "86401");
	CHECK_STR(ev("7d == 1w", E), "true");
	CHECK_STR(ev("500ms", E), "0.5");
	/* variables */
	CHECK_STR(ev("$time", E), "1793530000");
	CHECK_STR(ev("$stream", E), "'telecom-cdr'");
	CHECK_STR(ev("$id", E), "'telecom-cdr'");
	/* strings */
	CHECK_STR(ev("lower(s)", E), "'hello'");
	CHECK_STR(ev("upper(s)", E), "'HELLO'");
	CHECK_STR(ev("lower(a)", E), "null");
	CHECK_STR(ev("len(s)", E), "5");
	CHECK_STR(ev("len(esc)", E), "4");
	CHECK_STR(ev("substr(s, 1, 3)", E), "'ell'");
	CHECK_STR(ev("substr(s, 3)", E), "'lo'");
	CHECK_STR(ev("substr(s, -2)", E), "'lo'");
	CHECK_STR(ev("substr(s, 9, 2)", E), "''");
	CHECK_STR(ev("contains(s, \"ell\")", E), "true");
	CHECK_STR(ev("contains(s, \"xyz\")", E), "false");
	CHECK_STR(ev("contains(n, \"x\")", E), "null");
	CHECK_STR(ev("starts_with(s, \"He\")", E), "true");
	CHECK_STR(ev("starts_with(s, \"he\")", E), "false");
	CHECK_STR(ev("ends_with(s, \"llo\")", E), "true");
	CHECK_STR(ev("concat(s, \"-\", a, \"-\", t, n)", E), "'Hello-2-true'");
	CHECK_STR(ev("coalesce(n, missing, a, b)", E), "2");
	CHECK_STR(ev("coalesce(n)", E), "null");
	CHECK_STR(ev("if(a > 1, \"big\", \"small\")", E), "'big'");
	CHECK_STR(ev("if(n, 1, 0)", E), "0");
	CHECK_STR(ev("num(\"12.5\")", E), "12.5");
	CHECK_STR(ev("num(\"x\")", E), "null");
	CHECK_STR(ev("str(b)", E), "'3.5'");
	CHECK_STR(ev("str(a)", E), "'2'");
	/* numbers */
	CHECK_STR(ev("abs(-3)", E), "3");
	CHECK_STR(ev("round(b)", E), "4");
	CHECK_STR(ev("round(3.14159, 2)", E), "3.14");
	CHECK_STR(ev("floor(b)", E), "3");
	CHECK_STR(ev("ceil(b)", E), "4");
	CHECK_STR(ev("least(a, b, n)", E), "2");
	CHECK_STR(ev("greatest(a, b)", E), "3.5");
	CHECK_STR(ev("least(a, s)", E), "null");
	/* time */
	CHECK_STR(ev("ts(when)", E), "1793520902");
	CHECK_STR(ev("ts(\"2026-11-01\")", E), "1793491200");
	CHECK_STR(ev("ts(\"2026-11-01T08:15:02.250Z\")", E), "1793520902.25");
	CHECK_STR(ev("ts(\"2026-11-01T10:15:02+02:00\")", E), "1793520902");
	CHECK_STR(ev("ts(\"yesterday\")", E), "null");
	CHECK_STR(ev("ts(\"2026-13-01\")", E), "null");
	/* numbers: seconds, or in the unit named (Debezium's Date counts
	 * days, Timestamp ms, MicroTimestamp us, NanoTimestamp ns) */
	CHECK_STR(ev("ts(a)", E), "2");
	CHECK_STR(ev("ts(a, \"s\")", E), "2");
	CHECK_STR(ev("ts(20758, \"days\")", E), "1793491200");
	CHECK_STR(ev("ts(20758, \"days\") == ts(\"2026-11-01\")", E), "true");
	CHECK_STR(ev("date(ts(-1, \"days\"))", E), "'1969-12-31'");
	CHECK_STR(ev("ts(1793520902250, \"ms\")", E), "1793520902.25");
	CHECK_STR(ev("ts(1793520902250000, \"us\")", E), "1793520902.25");
	CHECK_STR(ev("ts(1793520902250000000, \"ns\")", E), "1793520902.25");
	CHECK_STR(ev("iso(ts(1793520902250, \"ms\"))", E),
	    "'2026-11-01T08:15:02.250Z'");
	CHECK_STR(ev("ts(when, \"days\")", E), "1793520902");
	CHECK_STR(ev("ts(n, \"days\")", E), "null");
	CHECK_STR(ev("ts(s, \"ms\")", E), "null");
	CHECK_STR(ev("hour(when)", E), "8");
	CHECK_STR(ev("weekday(when)", E), "7");	/* a Sunday */
	CHECK_STR(ev("date(when)", E), "'2026-11-01'");
	CHECK_STR(ev("iso(ts(when) + 1h)", E), "'2026-11-01T09:15:02.000Z'");
	CHECK_STR(ev("$time - ts(\"2026-11-01\") < 7d", E), "true");
	/* distance: Paris to London, about 344 km */
	CHECK_STR(ev("round(distance_km(48.8566, 2.3522, 51.5074, -0.1278))", E),
	    "344");
	CHECK_STR(ev("distance_km(1, 2, 1, 2)", E), "0");
	CHECK_STR(ev("distance_km(n, 2, 1, 2)", E), "null");
}

static void
test_errors(void)
{
	CHECK_STR(perr(""), "x.rules:1:1: no rules");
	CHECK_STR(perr("rule a {\n  where x ==\n}\n"),
	    "x.rules:3:1: expected an expression, found '}'");
	CHECK_STR(perr("rule a {\n  wher x\n}"),
	    "x.rules:2:3: expected a clause (severity, description, from, "
	    "where, key, window, having, sequence, score, suppress) or '}', "
	    "found 'wher'");
	CHECK_STR(perr("rule a { where x = 1 }"),
	    "x.rules:1:18: '=' is not a comparison: use '=='");
	CHECK_STR(perr("rule a { where foo(x) }"),
	    "x.rules:1:16: unknown function foo");
	CHECK_STR(perr("rule a { where lower(x, y) }"),
	    "x.rules:1:25: lower takes at most 1 argument");
	CHECK_STR(perr("rule a { where ts(x, \"weeks\") > 0 }"),
	    "x.rules:1:22: the unit of ts is one of \"s\", \"ms\", \"us\", "
	    "\"ns\", \"days\"");
	CHECK_STR(perr("rule a { where ts(x, u) > 0 }"),
	    "x.rules:1:22: the unit of ts is one of \"s\", \"ms\", \"us\", "
	    "\"ns\", \"days\"");
	CHECK_STR(perr("rule a { where ts(x, \"ms\", 1) > 0 }"),
	    "x.rules:1:28: ts takes at most 2 arguments");
	CHECK_STR(perr("rule a { where distance_km(1, 2) }"),
	    "x.rules:1:16: distance_km takes at least 4 arguments");
	CHECK_STR(perr("rule a { where count() > 1 }"),
	    "x.rules:1:16: aggregate count outside 'having' or 'score' of a "
	    "rule with a window");
	CHECK_STR(perr("rule a { window 5m having sum(count()) > 1 }"),
	    "x.rules:1:31: aggregate count inside an aggregate");
	CHECK_STR(perr("rule a { where x in nolist }"),
	    "x.rules:1:21: unknown list 'nolist'");
	CHECK_STR(perr("rule a { where s == \"abc }"),
	    "x.rules:1:21: unterminated string");
	CHECK_STR(perr("rule a { window 10x having count() > 1 }"),
	    "x.rules:1:19: unknown duration unit 'x' (ms, s, m, h, d, w)");
	CHECK_STR(perr("rule a { window 10 having count() > 1 }"),
	    "x.rules:1:17: a duration needs a unit (ms, s, m, h, d, w)");
	CHECK_STR(perr("rule a { having count() > 1 }"),
	    "x.rules:1:10: rule a: 'having' needs a window");
	CHECK_STR(perr("rule a { window 1h }"),
	    "x.rules:1:1: rule a: a window needs 'having'");
	CHECK_STR(perr("rule a { where x }\nrule a { where y }"),
	    "x.rules:2:6: rule a is defined twice (first on line 1)");
	CHECK_STR(perr("rule a { where x\n"),
	    "x.rules:1:1: rule a: missing '}'");
	CHECK_STR(perr("rule a { where $nope }"),
	    "x.rules:1:16: unknown variable '$nope' ($time, $stream, $id)");
	CHECK_STR(perr("rule a { where x @ 1 }"),
	    "x.rules:1:18: unexpected character '@'");
	CHECK_STR(perr("list l = [1, x]\nrule a { where y }"),
	    "x.rules:1:14: expected a string or a number in a list, found 'x'");
	CHECK_STR(perr("# comment\n\n   bogus"),
	    "x.rules:3:4: expected 'rule', 'list', 'time' or 'lateness', "
	    "found 'bogus'");
	CHECK_STR(perr("rule a { sequence x == 1 then y == 2 }"),
	    "x.rules:1:38: expected 'within', found '}'");
	CHECK_STR(perr("rule a { where (x > 1 }"),
	    "x.rules:1:23: expected ')', found '}'");
	CHECK_STR(perr("rule a { where x\xc3\xa9 }"),
	    "x.rules:1:17: unexpected byte 0xc3");
	CHECK_STR(perr("rule a { where x not y }"),
	    "x.rules:1:22: expected 'in' after 'not', found 'y'");
	CHECK_STR(perr("rule a { key 5 }"),
	    "x.rules:1:14: expected a field for 'key', found '5'");
	CHECK_STR(perr("rule a {\n\twhere x == 1\n\tkey msisdn\n\twindow 10m tumbling\n"
	    "\thaving count() >= 3 and min(x) < 2 and max(x) > 0 and "
	    "avg(x) > 0 and first(x) == 1 and last(x) == 1 and prev(x) == 1 "
	    "and ratio(x == 1, true) > 0.5 and count_distinct(x, x > 0) > 0\n"
	    "\tscore sum(x)\n\tsuppress 1h\n}\n"), "(parsed)");
	CHECK_STR(perr("lateness 5m\ntime \"telecom-cdr\" start_time\n"
	    "time * event_time\nrule b { from \"a\", \"b\" sequence x then y "
	    "within 1h }"), "(parsed)");
	/* the shipped rules parse */
	char path[1024];
	snprintf(path, sizeof(path), "%s/rules/telecom.rules",
	    getenv("TOP") ? getenv("TOP") : ".");
	struct rules *rs = rules_load(path, res, sizeof(res));
	CHECK(rs != NULL);
	if (rs) {
		CHECK(rs->n == 12);
		rules_free(rs);
	}
}

static void
test_jfields(void)
{
	struct jfields *jf = jf_new();
	struct jval v[8];
	char scratch[256];
	const char *err;
	int a = jf_add(jf, "a"), b = jf_add(jf, "o.b"), c = jf_add(jf, "o.c.d");

	CHECK(jf_add(jf, "a") == a);
	CHECK(jf_count(jf) == 3);
	CHECK_STR(jf_path(jf, b), "o.b");
	const char *t1 = " { \"x\" : [1, {\"a\": 5}], \"a\" : -1.5e2, "
	    "\"o\" : {\"b\":\"q\\n\", \"c\":{\"d\":false}} } ";
	CHECK(jf_extract(jf, t1, strlen(t1), v, scratch, &err) == 0);
	CHECK(v[a].t == J_NUM && v[a].n == -150);
	CHECK(v[b].t == J_STR && v[b].len == 2 && memcmp(v[b].s, "q\n", 2) == 0);
	CHECK(v[c].t == J_BOOL && v[c].b == 0);
	const char *t2 = "{\"o\":5}";
	CHECK(jf_extract(jf, t2, strlen(t2), v, scratch, &err) == 0);
	CHECK(v[a].t == J_NULL && v[b].t == J_NULL);
	static const char *bad[] = { "", "[]", "{", "{\"a\":}", "{\"a\":1,}",
		"{\"a\":01}", "{\"a\":1} x", "{\"a\":\"\\q\"}", "{\"a\":tru}",
		"{a:1}", "{\"a\":\"x\ty\"}", "{\"a\":[1,]}", "{\"a\":-}", NULL };
	for (int i = 0; bad[i]; i++) {
		err = NULL;
		CHECK(jf_extract(jf, bad[i], strlen(bad[i]), v, scratch, &err) < 0);
		CHECK(err != NULL);
	}
	/* numbers read as strtod reads them, to the last bit: decimals of
	 * up to 15 digits and the others */
	unsigned long long x = 0x9e3779b97f4a7c15ULL;
	int nbad = 0;
	for (int i = 0; i < 20000; i++) {
		char line[96], num[64];
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		int digits = 1 + (int)(x % 19), point = (int)(x >> 8) % (digits + 1);
		unsigned long long r = x >> 20;
		char *o = num;
		if (x >> 63)
			*o++ = '-';
		for (int d = 0; d < digits; d++) {
			if (d == point && d > 0)
				*o++ = '.';
			/* no leading zero before more digits */
			*o++ = (char)('0' + (d == 0 && point != 1 && digits > 1 ?
			    1 + r % 9 : r % 10));
			r = r / 10 ? r / 10 : x >> 33;
		}
		if (i % 7 == 0)
			o += sprintf(o, "e%d", (int)(x % 40) - 20);
		*o = '\0';
		snprintf(line, sizeof(line), "{\"a\":%s}", num);
		double want = strtod(num, NULL);
		if (jf_extract(jf, line, strlen(line), v, scratch, &err) != 0 ||
		    v[a].t != J_NUM || memcmp(&v[a].n, &want, sizeof(want)) != 0) {
			if (nbad++ < 3)
				fprintf(stderr, "number %s: %.17g, strtod %.17g\n",
				    num, v[a].n, want);
		}
	}
	CHECK(nbad == 0);
	/* UTF-8 kept as it is; bytes that are not UTF-8 and lone
	 * surrogates refused, in names and values, as lib/jvalid does */
	const char *t3 = "{\"a\":\"Y\xc4\xb1lmaz \xe2\x82\xac \xf0\x9f\x93\x9e \\ud83d\\udcde\"}";
	CHECK(jf_extract(jf, t3, strlen(t3), v, scratch, &err) == 0);
	CHECK(v[a].t == J_STR && v[a].len == 21 &&
	    memcmp(v[a].s, "Y\xc4\xb1lmaz \xe2\x82\xac \xf0\x9f\x93\x9e \xf0\x9f\x93\x9e", 21) == 0);
	static const char *bad8[] = { "{\"a\":\"\xff\"}", "{\"a\":\"\xc3\x28\"}",
		"{\"a\":\"\xc0\xaf\"}", "{\"a\":\"\xed\xa0\x80\"}",
		"{\"a\":\"\xe2\x82\"}", "{\"a\":\"abcdefghijklmnopq\x80\"}",
		"{\"\xfe\":1}", "{\"x\":{\"y\":\"\xf5\x80\x80\x80\"}}",
		"{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\"}",
		"{\"a\":\"\\ud800\\u0041\"}", NULL };
	for (int i = 0; bad8[i]; i++) {
		err = NULL;
		CHECK(jf_extract(jf, bad8[i], strlen(bad8[i]), v, scratch, &err) < 0);
		CHECK(err != NULL && (strstr(err, "UTF-8") || strstr(err, "surrogate")));
	}
	/* the same names in other orders, a name where another was, and a
	 * path added after some objects: all read right */
	static const char *orders[] = {
		"{\"a\":1,\"z\":0,\"o\":{\"b\":\"x\",\"c\":{\"d\":true}}}",
		"{\"a\":2,\"z\":0,\"o\":{\"b\":\"y\",\"c\":{\"d\":true}}}",
		"{\"o\":{\"c\":{\"d\":false},\"b\":\"w\"},\"z\":0,\"a\":3}",
		"{\"z\":0,\"a\":4,\"o\":{\"bb\":1,\"b\":\"v\"}}",
		"{\"a\":5,\"b\":0,\"o\":{\"b\":\"u\",\"c\":7}}",
		/* names written with escapes, of another length at the same
		 * place, or longer than a word or two */
		"{\"\\u0061\":6,\"z\":0,\"o\":{\"\\u0062\":\"t\",\"c\":{\"d\":true}}}",
		"{\"zzzzzzzzzzzzzzzzzzzz\":0,\"a\":7,\"o\":{\"b\":\"s\",\"c\":{\"d\":1}}}",
		"{\"aa\":0,\"a\":8,\"o\":{\"bbbbbbbbbbbbbbbbbbb\":1,\"b\":\"r\"}}",
	};
	static const double wa[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static const char *wb[] = { "x", "y", "w", "v", "u", "t", "s", "r" };
	static const int wc[] = { J_BOOL, J_BOOL, J_BOOL, J_NULL, J_NULL,
		J_BOOL, J_NUM, J_NULL };
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 8; i++) {
			const char *t = orders[i];
			CHECK(jf_extract(jf, t, strlen(t), v, scratch, &err) == 0);
			CHECK(v[a].t == J_NUM && v[a].n == wa[i]);
			CHECK(v[b].t == J_STR && v[b].len == 1 && v[b].s[0] == wb[i][0]);
			CHECK(v[c].t == (enum jtype)wc[i]);
		}
		if (round == 0) {
			int z = jf_add(jf, "z");
			CHECK(z == 3);
			CHECK(jf_extract(jf, orders[3], strlen(orders[3]), v, scratch,
			    &err) == 0);
			CHECK(v[z].t == J_NUM && v[z].n == 0 && v[a].n == 4);
		}
	}
	jf_free(jf);
}

/* Strings of every length to 40 with a special byte at every offset, and
 * many names in the same buckets of a level. */
static void
test_jfields_scan(void)
{
	struct jfields *jf = jf_new();
	struct jval v[128];
	char line[1024], want[64], scratch[1024];
	const char *err;
	int a = jf_add(jf, "a"), ok = 1, bad = 1;

	for (int len = 0; len <= 40; len++) {
		for (int at = 0; at <= len; at++) {
			/* plain text with UTF-8 (not cut inside its
			 * character), an escape at "at" */
			int n = snprintf(line, sizeof(line), "{\"b\":\"%.*s\",\"a\":\"",
			    len == 21 ? 22 : len,
			    "0123456789abcdefghij\xc3\xa9klmnopqrstuvwxyzABCDEFGH");
			int w = 0;
			for (int i = 0; i < len; i++) {
				char ch = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF"[i];
				if (i == at) {
					line[n++] = '\\';
					line[n++] = 'n';
					want[w++] = '\n';
				} else {
					line[n++] = ch;
					want[w++] = ch;
				}
			}
			n += snprintf(line + n, sizeof(line) - n, "\",\"c\":1}");
			if (jf_extract(jf, line, n, v, scratch, &err) < 0 ||
			    v[a].t != J_STR || v[a].len != (size_t)w ||
			    memcmp(v[a].s, want, w) != 0)
				ok = 0;
			/* a control character at "at" is refused */
			if (at < len) {
				line[n - 9 - len + at] = '\x01';
				if (jf_extract(jf, line, n, v, scratch, &err) == 0)
					bad = 0;
			}
		}
	}
	CHECK(ok);
	CHECK(bad);
	/* an unterminated string at every length */
	for (int len = 0; len <= 20; len++) {
		int n = snprintf(line, sizeof(line), "{\"a\":\"%.*s", len,
		    "abcdefghijklmnopqrstuvwxyz");
		if (jf_extract(jf, line, n, v, scratch, &err) == 0)
			bad = 0;
	}
	CHECK(bad);
	jf_free(jf);

	jf = jf_new();
	for (int i = 0; i < 100; i++) {
		snprintf(line, sizeof(line), "k%d", i);
		CHECK(jf_add(jf, line) == i);
	}
	CHECK(jf_add(jf, "k7.x") == 100);
	int n = snprintf(line, sizeof(line), "{");
	for (int i = 99; i >= 0; i -= 3)
		n += snprintf(line + n, sizeof(line) - n, "\"k%d\":%d,", i, i);
	snprintf(line + n, sizeof(line) - n, "\"z\":0}");
	CHECK(jf_extract(jf, line, strlen(line), v, scratch, &err) == 0);
	ok = 1;
	for (int i = 0; i < 100; i++)
		if ((i % 3 == 0) != (v[i].t == J_NUM) ||
		    (v[i].t == J_NUM && v[i].n != i))
			ok = 0;
	CHECK(ok);
	jf_free(jf);
}

static void
test_time(void)
{
	double t;

	CHECK(parse_time("1970-01-01T00:00:00Z", 20, &t) == 0 && t == 0);
	CHECK(parse_time("2000-03-01T00:00:00Z", 20, &t) == 0 && t == 951868800);
	CHECK(parse_time("2026-11-01 08:15:02", 19, &t) == 0 && t == 1793520902);
	CHECK(parse_time("2026-11-01T08:15", 16, &t) < 0);
	CHECK(parse_time("2026-11-01T08:15:02Zx", 21, &t) < 0);
	CHECK(fabs(distance_km(0, 0, 0, 1) - 111.195) < 0.01);
}

static void
test_window(void)
{
	struct wtable wt;
	struct jval v = { J_STR, 0, 0, "abc", 3 };
	struct wkey *k;

	wt_init(&wt);
	k = wt_get(&wt, "K", 1, 1);
	CHECK(wt_get(&wt, "K", 1, 0) == k);
	CHECK(wt_get(&wt, "L", 1, 0) == NULL);
	CHECK(wk_insert(&wt, k, went_new(10, 0, "a", 1, &v, 1, 1)) == 0);
	CHECK(wk_insert(&wt, k, went_new(30, 0, "c", 1, &v, 1, 1)) == 1);
	CHECK(wk_insert(&wt, k, went_new(20, 0, "b", 1, &v, 1, 1)) == 1);
	CHECK(wk_insert(&wt, k, went_new(20, 0, "b2", 2, &v, 1, 1)) == 2);
	CHECK(wk_len(k) == 4);
	CHECK_STR(went_id(wk_at(k, 1)), "b");
	CHECK_STR(went_id(wk_at(k, 2)), "b2");
	CHECK(went_val(wk_at(k, 0), 0).t == J_STR &&
	    went_val(wk_at(k, 0), 0).len == 3 &&
	    strcmp(went_val(wk_at(k, 0), 0).s, "abc") == 0);
	/* each kind of value kept, with and without its hash */
	struct jval kv[4] = {
		{ J_NUM, 0, 2.5, NULL, 0 }, { J_BOOL, 1, 0, NULL, 0 },
		{ J_NULL, 0, 0, NULL, 0 }, { J_RAW, 0, 0, "[1,2]", 5 },
	};
	for (int hashed = 0; hashed < 2; hashed++) {
		struct wentry *e = went_new(5, 2, "id9", 3, kv, 4, hashed);
		CHECK(went_val(e, 0).t == J_NUM && went_val(e, 0).n == 2.5);
		CHECK(went_val(e, 1).t == J_BOOL && went_val(e, 1).b == 1);
		CHECK(went_val(e, 2).t == J_NULL);
		CHECK(went_val(e, 3).t == J_STR && went_val(e, 3).len == 5 &&
		    strcmp(went_val(e, 3).s, "[1,2]") == 0);
		CHECK(strcmp(went_id(e), "id9") == 0 && e->flags == 2 && e->t == 5);
		for (int i = 0; hashed && i < 4; i++)
			CHECK(went_hashes(e)[i] == wval_hash(&kv[i]));
		free(e);
	}
	wk_evict(&wt, k, 20, 100);
	CHECK(wk_len(k) == 3);
	wk_evict(&wt, k, 0, 1);
	CHECK(wk_len(k) == 1 && wk_at(k, 0)->t == 30);
	for (int i = 0; i < 1000; i++) {
		char s[16];
		snprintf(s, sizeof(s), "k%d", i);
		struct wkey *x = wt_get(&wt, s, strlen(s), 1);
		wk_insert(&wt, x, went_new(i, 0, s, strlen(s), NULL, 0, 0));
	}
	CHECK(wt.nkeys == 1001);
	wt_sweep(&wt, 500, 100);
	CHECK(wt.nkeys == 500);
	CHECK(wt.nentries == 500);
	wt_free(&wt);
}

/*
 * The key table against a list of its keys: keys whose hashes share their
 * low bits (long runs of slots, round the table's end) made, removed one
 * by one and swept, each key left found and each removed one not.
 */
static void
test_window_table(void)
{
	enum { N = 3000 };
	static char live[N];
	static double t[N];
	struct wtable wt;
	unsigned long long x = 88172645463325252ULL;
	size_t nlive = 0;
	char s[16];
	int bad = 0;

	wt_init(&wt);
	for (int round = 0; round < 6; round++) {
		for (int i = 0; i < N; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			snprintf(s, sizeof(s), "k%d", i);
			/* a third in one run ending at the table's end */
			uint64_t h = i % 3 == 0 ? (uint64_t)i << 32 | 0xffff :
			    hash_words(s, strlen(s));
			struct wkey *k = wt_get_h(&wt, s, strlen(s), h, 0);
			if ((k != NULL) != (live[i] != 0))
				bad++;
			if (x % 4 == 0 && k != NULL) {
				wt_del(&wt, k);
				live[i] = 0;
				nlive--;
			} else if (x % 4 == 1 && k == NULL) {
				k = wt_get_h(&wt, s, strlen(s), h, 1);
				t[i] = round * N + i;
				wk_insert(&wt, k, went_new(t[i], 0, s,
				    strlen(s), NULL, 0, 0));
				live[i] = 1;
				nlive++;
			}
		}
		CHECK(wt.nkeys == nlive);
		CHECK(bad == 0);
	}
	/* a sweep takes each key whose event is older */
	wt_sweep(&wt, 3.0 * N, 1000);
	nlive = 0;
	for (int i = 0; i < N; i++) {
		snprintf(s, sizeof(s), "k%d", i);
		uint64_t h = i % 3 == 0 ? (uint64_t)i << 32 | 0xffff :
		    hash_words(s, strlen(s));
		struct wkey *k = wt_get_h(&wt, s, strlen(s), h, 0);
		if ((k != NULL) != (live[i] && t[i] >= 3.0 * N))
			bad++;
		nlive += k != NULL;
	}
	CHECK(bad == 0);
	CHECK(wt.nkeys == nlive && nlive > 0);
	size_t seen = 0;
	for (size_t i = 0; i < wt.cap; i++)
		seen += wt_slot(&wt, i) != NULL;
	CHECK(seen == nlive);
	wt_free(&wt);
}

/* How many alerts of rule name b holds from offset from on. */
static int
alerts_of(const struct buf *b, size_t from, const char *name)
{
	char pat[64];
	int n = 0;
	const char *p = b->p + from, *end = b->p + b->len;

	snprintf(pat, sizeof(pat), "\"rule\":\"%s\"", name);
	while (p < end && (p = memmem(p, (size_t)(end - p), pat,
	    strlen(pat))) != NULL) {
		n++;
		p += strlen(pat);
	}
	return n;
}

static struct rules *
engine_rules(int by3)
{
	char text[1024], err[256];
	struct rules *rs;

	snprintf(text, sizeof(text),
	    "lateness 0s\ntime * event_time\n"
	    "rule by3 {\n severity low\n key customer_id\n window 10m\n"
	    " having count() >= %d\n}\n"
	    "rule by2 {\n severity low\n key customer_id\n window 10m\n"
	    " having count() >= 2\n}\n"
	    "rule bym {\n severity low\n key msisdn\n window 10m\n"
	    " having count() >= 2\n}\n", by3);
	rs = rules_parse("k.rules", text, strlen(text), err, sizeof(err));
	if (rs == NULL)
		fprintf(stderr, "engine_rules: %s\n", err);
	return rs;
}

/* One event of customer cu and msisdn m, s seconds after the start. */
static void
event_at(struct engine *en, struct buf *out, const char *cu, const char *m,
    int s)
{
	char line[256], when[32];
	const char *err = NULL;
	long long t = 1793491200LL + s;	/* 2026-11-01T00:00:00Z */

	snprintf(when, sizeof(when), "2026-11-01T%02lld:%02lld:%02lldZ",
	    (t - 1793491200LL) / 3600, (t - 1793491200LL) / 60 % 60,
	    (t - 1793491200LL) % 60);
	snprintf(line, sizeof(line), "{\"customer_id\":\"%s\",\"msisdn\":"
	    "\"%s\",\"event_time\":\"%s\"}", cu, m, when);
	checks++;
	if (engine_event(en, line, strlen(line), out, &err) != 0) {
		fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, line, err);
		failures++;
	}
}

/* An event, and the alerts of each rule it makes. */
struct step {
	const char *cu, *m;
	int t;
	int by3, by2, bym;
};

static void
steps(struct engine *en, struct buf *out, const struct step *st, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t at = out->len;
		int g3, g2, gm;
		event_at(en, out, st[i].cu, st[i].m, st[i].t);
		g3 = alerts_of(out, at, "by3");
		g2 = alerts_of(out, at, "by2");
		gm = alerts_of(out, at, "bym");
		checks++;
		if (g3 != st[i].by3 || g2 != st[i].by2 || gm != st[i].bym) {
			fprintf(stderr, "%s:%d: %s %s at %d s: alerts by3 %d "
			    "by2 %d bym %d, want %d %d %d\n", __FILE__, __LINE__,
			    st[i].cu, st[i].m, st[i].t, g3, g2, gm, st[i].by3,
			    st[i].by2, st[i].bym);
			failures++;
		}
	}
}

/*
 * Each rule keeps its own state of each key: rules keyed by one field
 * count apart, and a msisdn with a customer_id's text is another key. A
 * key swept away starts again; a reload keeps the state of unchanged rules.
 */
static void
test_engine_keys(void)
{
	struct engine_opts o = { 0, 0, "test", 0 };
	struct engine_stats st;
	struct rules *rs = engine_rules(3);
	struct engine *en;
	struct buf out;

	if (rs == NULL) {
		failures++;
		return;
	}
	buf_init(&out);
	en = engine_new(rs, &o);
	static const struct step before[] = {
		{ "A", "m1", 0, 0, 0, 0 },
		{ "A", "m1", 1, 0, 1, 1 },
		/* the same customer with another msisdn: its first event */
		{ "A", "m9", 2, 1, 1, 0 },
		/* a msisdn with the text of a customer_id is another key */
		{ "X", "X", 3, 0, 0, 0 },
		{ "Y", "X", 4, 0, 0, 1 },
		{ "X", "Y", 5, 0, 1, 0 },
		/* two hours on, the 10 min windows of all but B are empty */
		{ "B", "m2", 7200, 0, 0, 0 },
	}, swept[] = {
		{ "X", "X", 7200, 0, 0, 0 },
		{ "A", "m1", 7201, 0, 0, 0 },
		{ "A", "m1", 7202, 0, 1, 1 },
	}, same[] = {
		{ "A", "m3", 7203, 1, 1, 0 },
	}, changed[] = {
		{ "A", "m3", 7204, 0, 1, 1 },
		{ "A", "m3", 7205, 0, 1, 1 },
		{ "A", "m3", 7206, 0, 1, 1 },
		{ "A", "m3", 7207, 1, 1, 1 },
	};
	steps(en, &out, before, sizeof(before) / sizeof(before[0]));
	/* their keys go in a sweep */
	engine_sweep(en);
	engine_stats(en, &st);
	CHECK(st.keys == 3);
	steps(en, &out, swept, sizeof(swept) / sizeof(swept[0]));
	/* the same rules again: their state is kept */
	engine_reload(en, engine_rules(3), &out);
	steps(en, &out, same, sizeof(same) / sizeof(same[0]));
	/* by3 changed (4 events): its state starts again; by2's goes on */
	engine_reload(en, engine_rules(4), &out);
	steps(en, &out, changed, sizeof(changed) / sizeof(changed[0]));
	/* many keys, most swept away, and the rest still counted */
	for (int i = 0; i < 5000; i++) {
		char cu[16];
		snprintf(cu, sizeof(cu), "K%d", i);
		event_at(en, &out, cu, cu, 8000 + i / 2);
	}
	/* at 10499 s the sweep keeps 9899 s on (K3798 and after), and an
	 * event at 10500 s counts from after 9900 s (K3802 and after) */
	engine_sweep(en);
	engine_stats(en, &st);
	CHECK(st.keys == 3 * 1202);
	static const struct step after[] = {
		{ "K4999", "K4999", 10500, 0, 1, 1 },
		{ "K0", "K0", 10500, 0, 0, 0 },
		{ "K3802", "K3802", 10500, 0, 1, 1 },
	};
	steps(en, &out, after, sizeof(after) / sizeof(after[0]));
	engine_free(en);
	buf_free(&out);
}

/*
 * An event no rule takes (its stream has none, or each where is false, or
 * its key is missing) is not held for ordering: a state saved holds only
 * the others. With --tag every event is held, to be written in its place.
 * The alerts are those of a run that held them all.
 */
static void
test_engine_takers(void)
{
	static const char text[] =
	    "lateness 1h\ntime * event_time\n"
	    "rule big {\n severity low\n from \"A\"\n where x > 5\n"
	    " key customer_id\n window 10m\n having count() >= 2\n}\n";
	static const char *ev[] = {
		"{\"_kafka\":{\"topic\":\"B\"},\"customer_id\":\"C1\",\"x\":9,"
		    "\"event_time\":\"2026-11-01T00:00:01Z\"}",
		"{\"_kafka\":{\"topic\":\"A\"},\"customer_id\":\"C1\",\"x\":1,"
		    "\"event_time\":\"2026-11-01T00:00:02Z\"}",
		"{\"_kafka\":{\"topic\":\"A\"},\"x\":9,"
		    "\"event_time\":\"2026-11-01T00:00:03Z\"}",
		"{\"_kafka\":{\"topic\":\"A\"},\"customer_id\":\"C1\",\"x\":9,"
		    "\"event_time\":\"2026-11-01T00:00:04Z\"}",
		"{\"_kafka\":{\"topic\":\"A\"},\"customer_id\":\"C1\",\"x\":7,"
		    "\"event_time\":\"2026-11-01T00:00:05Z\"}",
	};
	char path[] = "/tmp/rules-takers-XXXXXX", err[256];
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	close(fd);
	for (int tag = 0; tag < 2; tag++) {
		struct engine_opts o = { tag, 0, "test", 1 };
		struct rules *rs = rules_parse("t.rules", text, strlen(text),
		    err, sizeof(err));
		struct engine *en;
		struct buf out;
		json_t *st;
		const char *e = NULL;

		CHECK(rs != NULL);
		if (rs == NULL)
			continue;
		buf_init(&out);
		en = engine_new(rs, &o);
		struct buf alerts;
		buf_init(&alerts);
		engine_alerts_to(en, &alerts);
		for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++)
			CHECK(engine_event(en, ev[i], strlen(ev[i]), &out, &e) == 0);
		CHECK(engine_save(en, path, err, sizeof(err)) == 0);
		st = json_load_file(path, 0, NULL);
		CHECK(st != NULL);
		size_t whole = 0, places = 0, k;
		json_t *h;
		json_array_foreach(json_object_get(st, "held"), k, h) {
			whole += json_is_string(json_array_get(h, 1));
			places += json_is_null(json_array_get(h, 1));
		}
		CHECK(whole == (tag ? 5u : 2u) && places == (tag ? 0u : 3u));
		json_decref(st);
		/* all of them run at the end: the two taken fire once */
		engine_flush(en, &out);
		if (!tag)
			buf_add(&alerts, out.p, out.len);
		buf_add(&alerts, "", 1);
		CHECK(alerts_of(&alerts, 0, "big") == 1);
		/* with --tag each event is written, in order */
		CHECK(!tag || (memmem(out.p, out.len, "\"x\":1,", 6) != NULL &&
		    alerts_of(&out, 0, "big") == 0));
		engine_free(en);
		buf_free(&out);
		buf_free(&alerts);
	}
	unlink(path);
}

int
main(void)
{
	test_eval();
	test_errors();
	test_jfields();
	test_jfields_scan();
	test_time();
	test_window();
	test_window_table();
	test_engine_keys();
	test_engine_takers();
	printf("rules: %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
