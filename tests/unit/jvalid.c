/*
 * jvalid: unit test of lib/jvalid.c.
 *   jvalid cases        the table below
 *   jvalid fuzz N SEED  N mutated documents, each checked against jansson
 *   jvalid bench FILE   validate every line of FILE, print the time
 * Prints what failed and exits 1 when something did.
 */
#include "jvalid.h"
#include "util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct jcase {
	const char *in;
	size_t len;		/* 0: strlen(in) */
	enum jv_type want;
	int empty, newlines;
};

#define C(s, t) { s, 0, t, 0, 0 }
#define CE(s, t) { s, 0, t, 1, 0 }
#define CN(s, t) { s, 0, t, 0, 1 }
#define BAD(s) { s, 0, JV_INVALID, 0, 0 }

static const struct jcase cases[] = {
	C("{\"a\":1}", JV_OBJECT),
	C("  {\"a\" : [1, 2.5, -3e10, 0.0e+1, -0, 1E-2]}\t", JV_OBJECT),
	CE("{}", JV_OBJECT),
	CE(" { } ", JV_OBJECT),
	CE("[]", JV_ARRAY),
	C("[[]]", JV_ARRAY),
	C("[{}]", JV_ARRAY),
	C("\"x\"", JV_STRING),
	C("\"\"", JV_STRING),
	C("0", JV_NUMBER),
	C("-0.5", JV_NUMBER),
	C("123456789012345678901234567890", JV_NUMBER),
	C("true", JV_TRUE),
	C("false", JV_FALSE),
	C("null", JV_NULL),
	C(" null\n", JV_NULL),
	C("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\uD83D\\uDE00\"", JV_STRING),
	C("\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\"", JV_STRING),
	C("\"\xef\xbf\xbf\xf4\x8f\xbf\xbf\"", JV_STRING),
	C("{\"a\":{\"b\":{\"c\":[true,false,null]}}}", JV_OBJECT),
	CN("{\n  \"a\": 1,\r\n  \"b\": [\n    2\n  ]\n}\n", JV_OBJECT),
	C("\n\n{\"a\":1}\n\n", JV_OBJECT),
	C("\"a long string with no escapes at all, to run the eight-byte path\"",
	    JV_STRING),
	BAD(""),
	BAD("   "),
	BAD("{"),
	BAD("}"),
	BAD("{\"a\"}"),
	BAD("{\"a\":}"),
	BAD("{\"a\":1,}"),
	BAD("{,}"),
	BAD("{a:1}"),
	BAD("{'a':1}"),
	BAD("[1,]"),
	BAD("[1 2]"),
	BAD("[1]]"),
	BAD("{\"a\":1}}"),
	BAD("{\"a\":1} x"),
	BAD("{\"a\":1}{\"b\":2}"),
	BAD("1 2"),
	BAD("01"),
	BAD("-"),
	BAD("1."),
	BAD(".5"),
	BAD("1e"),
	BAD("1e+"),
	BAD("+1"),
	BAD("0x10"),
	BAD("NaN"),
	BAD("Infinity"),
	BAD("tru"),
	BAD("truee"),
	BAD("nul"),
	BAD("True"),
	BAD("\"abc"),
	BAD("\"a\nb\""),
	BAD("\"a\tb\""),
	BAD("\"\\x\""),
	BAD("\"\\u12\""),
	BAD("\"\\u12g4\""),
	BAD("\"\\uD800\""),
	BAD("\"\\uD800x\""),
	BAD("\"\\uD800\\u0041\""),
	BAD("\"\\uDC00\""),
	BAD("\"\\uDC00\\uD800\""),
	BAD("\"\xff\""),
	BAD("\"\xc0\xaf\""),
	BAD("\"\xe0\x80\xaf\""),
	BAD("\"\xed\xa0\x80\""),
	BAD("\"\xf4\x90\x80\x80\""),
	BAD("\"\xf8\x88\x80\x80\x80\""),
	BAD("\"\xc3\""),
	BAD("\"\xe2\x82\""),
	BAD("\xef\xbb\xbf{}"),
	BAD("{\"a\":1}\v"),
	BAD("[1,\f2]"),
	{ "\"a\0b\"", 5, JV_INVALID, 0, 0 },
	{ "{\"a\":1}\0", 8, JV_INVALID, 0, 0 },
	{ "\"\\u0000\"", 0, JV_STRING, 0, 0 },
};

static int
run_cases(void)
{
	size_t i, n;
	int fails = 0;
	struct jvalid v;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct jcase *c = &cases[i];
		enum jv_type t;

		n = c->len ? c->len : strlen(c->in);
		t = jvalid(c->in, n, &v);
		if (t != c->want || (t != JV_INVALID &&
		    (v.empty != c->empty || v.newlines != c->newlines))) {
			printf("case %zu: %s: got %s empty %d newlines %d (%s at %zu),"
			    " want %s empty %d newlines %d\n", i, c->in,
			    jv_type_name(t), v.empty, v.newlines,
			    v.err ? v.err : "-", v.err_off,
			    jv_type_name(c->want), c->empty, c->newlines);
			fails++;
		}
		if (t != JV_INVALID) {
			/* start and end frame the value without its blanks */
			if (strchr(" \t\r\n", c->in[v.start]) ||
			    strchr(" \t\r\n", c->in[v.end - 1]) ||
			    (t == JV_OBJECT && c->in[v.end - 1] != '}')) {
				printf("case %zu: %s: bad frame %zu..%zu\n", i,
				    c->in, v.start, v.end);
				fails++;
			}
		}
	}

	/* nesting: the limit is accepted, one more is refused */
	{
		size_t d = JV_MAX_DEPTH;
		char *s = xmalloc(2 * d + 2);

		memset(s, '[', d);
		memset(s + d, ']', d);
		if (jvalid(s, 2 * d, &v) != JV_ARRAY) {
			printf("depth %zu refused: %s\n", d, v.err);
			fails++;
		}
		memset(s, '[', d + 1);
		memset(s + d + 1, ']', d + 1);
		if (jvalid(s, 2 * d + 2, &v) != JV_INVALID) {
			printf("depth %zu accepted\n", d + 1);
			fails++;
		}
		free(s);
	}
	printf("%zu cases, %d failed\n", sizeof cases / sizeof cases[0] + 2,
	    fails);
	return fails != 0;
}

static unsigned long long rng;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static const char *const seeds[] = {
	"{\"customer_id\":\"C0001\",\"cost\":8.02,\"roaming\":false,"
	    "\"tags\":[\"a\",\"b\"],\"x\":null,\"n\":-1.5e3}",
	"[1,2,[3,{\"a\":\"\\u00e9\\n\"}],true]",
	"\"h\xc3\xa9llo \xf0\x9f\x98\x80 \\uD83D\\uDE00\"",
	"{\"a\":{\"b\":{\"c\":{}}},\"d\":[]}",
	" { \"k\" : \"v\" } ",
};

/* jansson's own limits, which are not errors of JSON */
static int
jansson_limit(const json_error_t *err)
{
	return strstr(err->text, "too big") != NULL ||
	    strstr(err->text, "overflow") != NULL ||
	    strstr(err->text, "maximum parsing depth") != NULL;
}

/*
 * jvalid_members agrees with jvalid on doc, and for an object its members
 * are those jansson reads: each name and value span parsed on its own
 * equals jansson's member (the last of a repeated name). 1 if not.
 */
static int
check_members(const char *doc, size_t n, enum jv_type t,
    const struct jvalid *v, json_t *j)
{
	struct jmember m[8];
	struct jvalid w;
	size_t nm = 99, max = 8;
	enum jv_type u = jvalid_members(doc, n, &w, m, max, &nm);

	if (u != t || (t != JV_INVALID && (w.start != v->start ||
	    w.end != v->end || w.empty != v->empty)) ||
	    (t == JV_INVALID && (w.err_off != v->err_off || w.err != v->err))) {
		printf("jvalid_members: %s, jvalid: %s: ", jv_type_name(u),
		    jv_type_name(t));
		return 1;
	}
	if (t != JV_OBJECT)
		return 0;
	if (nm > max)
		return json_object_size(j) <= max ?
		    (printf("jvalid_members: %zu members, jansson %zu: ", nm,
		    json_object_size(j)), 1) : 0;
	for (size_t i = 0; i < nm; i++) {
		json_t *k = json_loadb(doc + m[i].ks, m[i].ke - m[i].ks,
		    JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		json_t *x = json_loadb(doc + m[i].vs, m[i].ve - m[i].vs,
		    JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		int esc = memchr(doc + m[i].ks, '\\', m[i].ke - m[i].ks) != NULL;
		int bad = k == NULL || x == NULL || !json_is_string(k) ||
		    esc != m[i].esc;
		if (!bad) {
			json_t *want = json_object_getn(j, json_string_value(k),
			    json_string_length(k));
			int last = 1;
			for (size_t l = i + 1; l < nm; l++)
				if (m[l].ke - m[l].ks == m[i].ke - m[i].ks &&
				    memcmp(doc + m[l].ks, doc + m[i].ks,
				    m[i].ke - m[i].ks) == 0)
					last = 0;
			bad = want == NULL || (last && !json_equal(want, x));
		}
		json_decref(k);
		json_decref(x);
		if (bad) {
			printf("jvalid_members: member %zu wrong: ", i);
			return 1;
		}
	}
	if (nm != json_object_size(j) && nm == 0) {
		printf("jvalid_members: no members, jansson %zu: ",
		    json_object_size(j));
		return 1;
	}
	return 0;
}

static int
run_fuzz(long count, unsigned long long seed)
{
	static const char alphabet[] = "{}[]\",:\\/ \t\n0123456789.eE+-truefalsn"
	    "u\xc3\xa9\xff\x80\xed\xa0";
	char doc[512];
	struct jvalid v;
	json_error_t jerr;
	long i, valid = 0, fails = 0;

	rng = seed ? seed : 88172645463325252ULL;
	for (i = 0; i < count; i++) {
		const char *s = seeds[rnd(sizeof seeds / sizeof seeds[0])];
		size_t n = strlen(s), k, edits = 1 + rnd(3);
		enum jv_type t;
		json_t *j;
		int ok;

		memcpy(doc, s, n);
		for (k = 0; k < edits; k++) {
			size_t at = rnd((unsigned)n + 1);
			char c = alphabet[rnd(sizeof alphabet - 1)];

			switch (rnd(3)) {
			case 0:	/* replace */
				if (at < n)
					doc[at] = c;
				break;
			case 1:	/* insert */
				if (n < sizeof doc - 1) {
					memmove(doc + at + 1, doc + at, n - at);
					doc[at] = c;
					n++;
				}
				break;
			default: /* delete */
				if (at < n) {
					memmove(doc + at, doc + at + 1, n - at - 1);
					n--;
				}
			}
		}
		t = jvalid(doc, n, &v);
		j = json_loadb(doc, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
		ok = j != NULL;
		if (!ok && jansson_limit(&jerr)) {
			json_decref(j);
			continue;
		}
		if ((t != JV_INVALID) != ok ||
		    (ok && ((t == JV_OBJECT) != json_is_object(j) ||
		    (t == JV_ARRAY) != json_is_array(j) ||
		    (t == JV_STRING) != json_is_string(j)))) {
			printf("fuzz %ld: jvalid %s (%s at %zu), jansson %s (%s): ",
			    i, jv_type_name(t), v.err ? v.err : "-", v.err_off,
			    ok ? "valid" : "invalid", ok ? "-" : jerr.text);
			fwrite(doc, 1, n, stdout);
			putchar('\n');
			if (++fails > 20)
				break;
		}
		if (check_members(doc, n, t, &v, j)) {
			fwrite(doc, 1, n, stdout);
			putchar('\n');
			if (++fails > 20)
				break;
		}
		valid += ok;
		json_decref(j);
	}
	printf("%ld documents, %ld valid, %ld disagreements\n", i, valid, fails);
	return fails != 0;
}

static int
run_bench(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long lines = 0, valid = 0;
	long long t0, bytes = 0;
	struct jvalid v;

	if (fp == NULL)
		die(EX_NOINPUT, "%s:", path);
	t0 = mono_ms();
	while ((n = getline(&line, &cap, fp)) > 0) {
		lines++;
		bytes += n;
		valid += jvalid(line, (size_t)n, &v) != JV_INVALID;
	}
	printf("%ld lines, %ld valid, %lld bytes, %lld ms\n", lines, valid,
	    bytes, mono_ms() - t0);
	free(line);
	fclose(fp);
	return 0;
}

int
main(int argc, char **argv)
{
	setprogname(argv[0]);
	if (argc >= 2 && strcmp(argv[1], "cases") == 0)
		return run_cases();
	if (argc >= 3 && strcmp(argv[1], "fuzz") == 0)
		return run_fuzz(atol(argv[2]),
		    argc > 3 ? strtoull(argv[3], NULL, 10) : 0);
	if (argc >= 3 && strcmp(argv[1], "bench") == 0)
		return run_bench(argv[2]);
	fprintf(stderr, "usage: jvalid cases | fuzz N [SEED] | bench FILE\n");
	return EX_USAGE;
}
