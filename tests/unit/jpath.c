/*
 * jpath: unit tests of lib/jpath, one group per argument
 * (path, text, template, member); failures on stderr, exit 1 if any.
 */
#include "jpath.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static int failures;

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
		failures++; \
	} \
} while (0)

static json_t *
doc(const char *text)
{
	json_error_t je;
	json_t *v = json_loads(text, JSON_ALLOW_NUL, &je);

	if (v == NULL)
		die(EX_SOFTWARE, "bad test document %s: %s", text, je.text);
	return v;
}

/*
 * The text of path spec in document text, from the tree (tree=1) or from
 * the text, or "(absent)" / "(bad path)".
 */
static char *
get(const char *spec, const char *text, int tree)
{
	char err[256];
	struct jpath *p = jpath_parse(spec, err, sizeof err);
	json_t *root, *v;
	const char *t;
	size_t tn;
	struct buf b;

	if (p == NULL)
		return xstrdup("(bad path)");
	buf_init(&b);
	if (tree) {
		root = doc(text);
		if ((v = jpath_get(p, root)) == NULL)
			buf_puts(&b, "(absent)");
		else
			jpath_text(&b, v);
		json_decref(root);
	} else {
		struct jmember m[16];
		struct jvalid jv;
		size_t nm;
		int found = jpath_find(p, text, strlen(text), &t, &tn);
		const char *t2;
		size_t tn2;
		/* the members noted by jvalid_members find the same value */
		if (jvalid_members(text, strlen(text), &jv, m, 16, &nm) ==
		    JV_OBJECT && nm <= 16) {
			int found2 = jpath_find_members(p, text, strlen(text),
			    m, nm, &t2, &tn2);
			if (found2 != found || (found && (t2 != t || tn2 != tn))) {
				fprintf(stderr, "path %s in %s: jpath_find_members "
				    "differs\n", spec, text);
				failures++;
			}
		}
		if (!found)
			buf_puts(&b, "(absent)");
		else
			jpath_value_text(&b, t, tn);
	}
	jpath_free(p);
	return buf_cstr(&b);
}

/* Tree and text give want_tree and want_text. */
static int
get_is2(const char *spec, const char *text, const char *want_tree,
    const char *want_text)
{
	int ok = 1;

	for (int tree = 0; tree <= 1; tree++) {
		const char *want = tree ? want_tree : want_text;
		char *got = get(spec, text, tree);
		if (strcmp(got, want) != 0) {
			fprintf(stderr, "path %s in %s (%s): got \"%s\", want "
			    "\"%s\"\n", spec, text, tree ? "tree" : "text", got,
			    want);
			ok = 0;
		}
		free(got);
	}
	return ok;
}

static int
get_is(const char *spec, const char *text, const char *want)
{
	return get_is2(spec, text, want, want);
}

static void
test_path(void)
{
	const char *cr = "{\"before\":null,\"after\":{\"customer_id\":\"C1\","
	    "\"n\":7},\"source\":{\"db\":\"crm\"},\"a.b\":1,\"x\":[10,20]}";
	const char *del = "{\"before\":{\"customer_id\":\"C9\"},\"after\":null}";
	char err[256];

	CHECK(get_is("after.customer_id", cr, "C1"));
	CHECK(get_is("after.n", cr, "7"));
	CHECK(get_is("source.db", cr, "crm"));
	CHECK(get_is("after.customer_id,before.customer_id", del, "C9"));
	CHECK(get_is("before.customer_id,after.customer_id", cr, "C1"));
	CHECK(get_is("after.missing", cr, "(absent)"));
	CHECK(get_is("before", cr, "(absent)"));
	CHECK(get_is("a\\.b", cr, "1"));
	CHECK(get_is("a.b", cr, "(absent)"));
	CHECK(get_is("x.1", cr, "20"));
	CHECK(get_is("x.2", cr, "(absent)"));
	CHECK(get_is("x.01", cr, "(absent)"));
	CHECK(get_is("after.customer_id.z", cr, "(absent)"));
	CHECK(get_is("a\\,b", "{\"a,b\":true}", "true"));
	CHECK(get_is("a", "{\"a\":1,\"b\":0,\"a\":2}", "2"));
	CHECK(get_is("a.c", "{\"a\":{\"c\":1},\"a\":{\"c\":3}}", "3"));
	CHECK(get_is("ab", "{\"\\u0061b\":5}", "5"));
	CHECK(get_is2("a", " { \"a\" : [ 1 ] } ", "[1]", "[ 1 ]"));
	CHECK(get_is("", cr, "(bad path)"));
	CHECK(get_is("a..b", cr, "(bad path)"));
	CHECK(get_is(".a", cr, "(bad path)"));
	CHECK(get_is("a,", cr, "(bad path)"));
	CHECK(get_is("a\\", cr, "(bad path)"));
	CHECK(jpath_parse("a..b", err, sizeof err) == NULL &&
	    strstr(err, "empty field name") != NULL);
}

static void
test_text(void)
{
	const char *d = "{\"s\":\"caf\\u00e9 \\\"q\\\"\",\"i\":-42,\"big\":9007199254740993,"
	    "\"r\":12.5,\"r2\":0.1,\"r3\":100.0,\"r4\":1e300,\"t\":true,\"f\":false,"
	    "\"o\":{\"a\":[1,\"x\"]},\"e\":\"\",\"nul\":\"a\\u0000b\"}";
	char *s;

	CHECK(get_is("s", d, "caf\xc3\xa9 \"q\""));
	CHECK(get_is("i", d, "-42"));
	CHECK(get_is("big", d, "9007199254740993"));
	CHECK(get_is("r", d, "12.5"));
	CHECK(get_is("r2", d, "0.1"));
	CHECK(get_is("r3", d, "100.0"));
	CHECK(get_is2("r4", d, "1e+300", "1e300"));
	CHECK(get_is2("sp", "{\"sp\" : { \"a\" : 1 } }", "{\"a\":1}",
	    "{ \"a\" : 1 }"));
	CHECK(get_is("t", d, "true"));
	CHECK(get_is("f", d, "false"));
	CHECK(get_is("o", d, "{\"a\":[1,\"x\"]}"));
	CHECK(get_is("e", d, ""));
	for (int tree = 0; tree <= 1; tree++) {
		s = get("nul", d, tree);
		CHECK(memcmp(s, "a\0b", 3) == 0);
		free(s);
	}
}

static int
render_is(const char *spec, const char *text, const char *want)
{
	char err[256];
	struct jtmpl *t = jtmpl_parse(spec, err, sizeof err);
	const char *missing = NULL;
	json_t *root;
	struct buf b;
	int ok = 1, r;

	if (t == NULL) {
		ok = strcmp(want, "(bad template)") == 0;
		if (!ok)
			fprintf(stderr, "template %s: %s\n", spec, err);
		return ok;
	}
	root = doc(text);
	buf_init(&b);
	for (int tree = 0; tree <= 1; tree++) {
		buf_reset(&b);
		if (tree)
			r = jtmpl_render(t, root, &b, &missing);
		else
			r = jtmpl_render_text(t, text, strlen(text), &b, &missing);
		if (r != 0) {
			buf_reset(&b);
			buf_printf(&b, "(missing %s)", missing);
		}
		buf_cstr(&b);
		if (strcmp(b.p, want) != 0) {
			fprintf(stderr, "template %s on %s (%s): got \"%s\", "
			    "want \"%s\"\n", spec, text, tree ? "tree" : "text",
			    b.p, want);
			ok = 0;
		}
	}
	buf_free(&b);
	json_decref(root);
	jtmpl_free(t);
	return ok;
}

static void
test_template(void)
{
	const char *cr = "{\"source\":{\"db\":\"crm\",\"table\":\"customer_profiles\","
	    "\"schema\":null},\"n\":3}";
	char err[256];
	struct jtmpl *t;

	CHECK(render_is("cdc.{source.db}.{source.table}", cr,
	    "cdc.crm.customer_profiles"));
	CHECK(render_is("plain-topic", cr, "plain-topic"));
	CHECK(render_is("p{n}", cr, "p3"));
	CHECK(render_is("{source.schema,source.db}", cr, "crm"));
	CHECK(render_is("x.{source.schema}", cr, "(missing source.schema)"));
	CHECK(render_is("{{lit}}", cr, "{lit}"));
	CHECK(render_is("a{", cr, "(bad template)"));
	CHECK(render_is("a}", cr, "(bad template)"));
	CHECK(render_is("{}", cr, "(bad template)"));
	CHECK(render_is("{a\\}b}", "{\"a}b\":\"ok\"}", "ok"));
	CHECK(render_is("", cr, ""));
	t = jtmpl_parse("t.x", err, sizeof err);
	CHECK(t && jtmpl_is_literal(t) && strcmp(jtmpl_literal(t), "t.x") == 0);
	jtmpl_free(t);
	t = jtmpl_parse("t.{x}", err, sizeof err);
	CHECK(t && !jtmpl_is_literal(t) && jtmpl_literal(t) == NULL);
	jtmpl_free(t);
}

static int
strip_is(const char *text, const char *want)
{
	size_t from, to, n = strlen(text);
	struct buf b;
	int ok;

	buf_init(&b);
	if (jtext_member_span(text, n, "_kafka", &from, &to)) {
		buf_add(&b, text, from);
		buf_add(&b, text + to, n - to);
	} else {
		buf_puts(&b, "(none)");
	}
	buf_cstr(&b);
	ok = strcmp(b.p, want) == 0;
	if (!ok)
		fprintf(stderr, "strip %s: got %s, want %s\n", text, b.p, want);
	buf_free(&b);
	return ok;
}

static void
test_member(void)
{
	CHECK(strip_is("{\"a\":1,\"_kafka\":{\"topic\":\"t\",\"offset\":5}}",
	    "{\"a\":1}"));
	CHECK(strip_is("{\"_kafka\":{\"k\":\"}\"},\"a\":1}", "{\"a\":1}"));
	CHECK(strip_is("{\"_kafka\":{}}", "{}"));
	CHECK(strip_is("{\"a\":[1,{\"_kafka\":1}],\"b\":\"_kafka\"}", "(none)"));
	CHECK(strip_is("{\"a\":\"x\\\"\",\"_kafka\":null,\"z\":2}",
	    "{\"a\":\"x\\\"\",\"z\":2}"));
	CHECK(strip_is(" { \"a\" : 1 , \"_kafka\" : [ ] } ", " { \"a\" : 1  } "));
	CHECK(strip_is("{\"\\u005fkafka\":1,\"b\":2}", "{\"b\":2}"));
	CHECK(strip_is("{}", "(none)"));
	CHECK(strip_is("{\"a\":true,\"b\":-1.5e3}", "(none)"));
}

int
main(int argc, char *argv[])
{
	setprogname(argv[0]);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "path") == 0)
			test_path();
		else if (strcmp(argv[i], "text") == 0)
			test_text();
		else if (strcmp(argv[i], "template") == 0)
			test_template();
		else if (strcmp(argv[i], "member") == 0)
			test_member();
		else
			die(EX_USAGE, "unknown group %s", argv[i]);
	}
	return failures ? 1 : 0;
}
