/*
 * enrich: unit tests of lib/table (the keyed store), lib/summary
 * (conditions, summaries, derived values) and lib/enrich_io (lines from a
 * non-blocking descriptor). Failures on stderr, exit 1 if any.
 */
#include "enrich_io.h"
#include "rules.h"
#include "summary.h"
#include "table.h"
#include "util.h"

#include <errno.h>
#include <math.h>
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

#define S(x) x, strlen(x)

/* The text of (key, rkey) at asof, or "-" when there is none. */
static const char *
at(struct table *t, const char *key, const char *rkey, long long asof)
{
	const struct tentry *e = table_get(t, S(key));
	size_t n;
	const char *s;

	if (e == NULL)
		return "-";
	for (uint32_t i = 0; i < e->nrows; i++) {
		const struct trow *r = &e->rows[i];
		if ((rkey == NULL) != (r->rkey == NULL) ||
		    (rkey && strcmp(rkey, r->rkey)))
			continue;
		s = trow_at(t, r, asof, &n);
		return s ? s : "-";
	}
	return "-";
}

static void
test_table_latest(void)
{
	struct table *t = table_new(0, 1, 0);
	char k[32], v[64];

	table_put(t, S("C1"), NULL, 0, TABLE_ALWAYS, S("{\"a\":1}"));
	table_put(t, S("C1"), NULL, 0, 5, S("{\"a\":2}"));
	CHECK(strcmp(at(t, "C1", NULL, TABLE_LATEST), "{\"a\":2}") == 0);
	CHECK(table_keys(t) == 1 && table_rows(t) == 1 && table_versions(t) == 1);
	CHECK(table_del(t, S("C1"), NULL, 0, 6) == 1);
	CHECK(table_get(t, S("C1")) == NULL && table_keys(t) == 0);
	CHECK(table_del(t, S("C1"), NULL, 0, 6) == 0);
	/* many keys: growth, then deletes in the middle of probe chains */
	for (int i = 0; i < 20000; i++) {
		snprintf(k, sizeof k, "K%d", i);
		snprintf(v, sizeof v, "{\"i\":%d}", i);
		table_put(t, S(k), NULL, 0, 0, S(v));
	}
	CHECK(table_keys(t) == 20000);
	int deleted = 0;
	for (int i = 0; i < 20000; i += 2) {
		snprintf(k, sizeof k, "K%d", i);
		deleted += table_del(t, S(k), NULL, 0, 0);
	}
	CHECK(deleted == 10000);
	int ok = 1;
	for (int i = 0; i < 20000; i++) {
		snprintf(k, sizeof k, "K%d", i);
		snprintf(v, sizeof v, "{\"i\":%d}", i);
		const char *got = at(t, k, NULL, TABLE_LATEST);
		if (i % 2 ? strcmp(got, v) != 0 : strcmp(got, "-") != 0)
			ok = 0;
	}
	CHECK(ok);
	CHECK(table_keys(t) == 10000);
	/* several rows per key */
	table_put(t, S("M"), S("1"), 0, S("{\"r\":1}"));
	table_put(t, S("M"), S("2"), 0, S("{\"r\":2}"));
	table_put(t, S("M"), S("1"), 0, S("{\"r\":11}"));
	CHECK(table_get(t, S("M"))->nrows == 2);
	CHECK(strcmp(at(t, "M", "1", TABLE_LATEST), "{\"r\":11}") == 0);
	CHECK(table_del(t, S("M"), S("1"), 0) == 1);
	CHECK(table_get(t, S("M"))->nrows == 1);
	CHECK(strcmp(at(t, "M", "2", TABLE_LATEST), "{\"r\":2}") == 0);
	/* a row found by its row key alone */
	CHECK(table_find_row(t, S("2")) == table_get(t, S("M")));
	CHECK(table_find_row(t, S("1")) == NULL);
	table_truncate(t, 0);
	CHECK(table_keys(t) == 0 && table_get(t, S("M")) == NULL);
	table_free(t);
}

/*
 * Many upserts, deletes and truncates of rows of every size, a few keys
 * with several rows, checked against a plain model: the table's memory
 * reuses what it frees, and no row may see another's bytes.
 */
#define CH_KEYS 3000
#define CH_ROWS 3

static void
test_table_churn(void)
{
	static char *model[CH_KEYS][CH_ROWS];
	struct table *t = table_new(0, 1, 0);
	unsigned long long x = 88172645463325252ULL;
	char k[32], rk[8], *v = xmalloc(20000);
	int bad = 0;

	for (int op = 0; op < 300000; op++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		int key = (int)(x % CH_KEYS), row = key % 7 == 0 ?
		    (int)((x >> 20) % CH_ROWS) : 0, what = (int)((x >> 40) % 10);
		const char *rkey = key % 7 == 0 ? rk : NULL;
		snprintf(k, sizeof k, "K%d", key);
		snprintf(rk, sizeof rk, "%d", row);
		if (what < 7) {
			/* sizes across the classes and past them */
			size_t n = (size_t)(x >> 33) % (what == 0 ? 9000 : 300);
			int len = snprintf(v, 40, "{\"k\":%d,\"op\":%d,\"s\":\"",
			    key, op);
			memset(v + len, 'a' + op % 26, n);
			memcpy(v + len + n, "\"}", 3);
			table_put(t, S(k), rkey, rkey ? strlen(rkey) : 0, 0, S(v));
			free(model[key][row]);
			model[key][row] = xstrdup(v);
		} else if (what < 9) {
			int had = model[key][row] != NULL;
			if (table_del(t, S(k), rkey, rkey ? strlen(rkey) : 0, 0) !=
			    had)
				bad++;
			free(model[key][row]);
			model[key][row] = NULL;
		} else if (op % 50000 == 9) {
			table_truncate(t, 0);
			for (int i = 0; i < CH_KEYS; i++)
				for (int j = 0; j < CH_ROWS; j++) {
					free(model[i][j]);
					model[i][j] = NULL;
				}
		}
	}
	for (int i = 0; i < CH_KEYS; i++)
		for (int j = 0; j < (i % 7 == 0 ? CH_ROWS : 1); j++) {
			snprintf(k, sizeof k, "K%d", i);
			snprintf(rk, sizeof rk, "%d", j);
			const char *got = at(t, k, i % 7 == 0 ? rk : NULL,
			    TABLE_LATEST);
			if (strcmp(got, model[i][j] ? model[i][j] : "-") != 0)
				bad++;
			free(model[i][j]);
		}
	CHECK(bad == 0);
	free(v);
	table_free(t);
}

static int
dump_line(void *arg, const char *line, size_t n)
{
	struct buf *b = arg;

	buf_add(b, line, n);
	buf_putc(b, '\n');
	return 0;
}

static void
test_table_compact(void)
{
	/* rows kept in their compact form give back the same bytes */
	static const char *rows[] = {
		"{\"customer_id\":\"C1\",\"name\":\"\\u00e9 \\\"q\\\"\",\"n\":-1.5e3,"
		    "\"o\":{\"a\":[1,{}]},\"t\":true,\"z\":null}",
		"{\"customer_id\":\"C2\",\"name\":\"x\",\"n\":2,\"o\":{},"
		    "\"t\":false,\"z\":1}",
		"{ \"customer_id\" : \"C3\" }",	/* blanks: kept as it is */
		"{\"customer_id\":\"C4\",\"customer_id\":\"C4\"}",
		"{\"\\u0063\":\"C5\",\"n\":\"\"}",
		"{}",
		"{\"a\":\"\"}",
	};
	struct table *t = table_new(0, 1, 0), *u = table_new(0, 1, 0);
	struct table_undump ud;
	struct buf b, scratch;
	char k[16];
	const char *line, *nl, *why = NULL;

	buf_init(&b);
	buf_init(&scratch);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		snprintf(k, sizeof k, "K%zu", i);
		table_put(t, S(k), NULL, 0, TABLE_ALWAYS, rows[i], strlen(rows[i]));
	}
	/* the same shape many times, and a value longer than 127 bytes */
	char big[400];
	memset(big, 'x', sizeof big);
	snprintf(big, sizeof big, "{\"customer_id\":\"C9\",\"name\":\"%0300d\"}", 7);
	table_put(t, S("K9"), NULL, 0, TABLE_ALWAYS, big, strlen(big));
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		snprintf(k, sizeof k, "K%zu", i);
		CHECK(strcmp(at(t, k, NULL, TABLE_LATEST), rows[i]) == 0);
	}
	CHECK(strcmp(at(t, "K9", NULL, TABLE_LATEST), big) == 0);
	/* saved and loaded: the same texts */
	CHECK(table_dump(t, &scratch, dump_line, &b) == 0);
	buf_cstr(&b);
	table_undump_init(&ud);
	for (line = b.p; (nl = strchr(line, '\n')) != NULL; line = nl + 1)
		if ((why = table_undump(u, &ud, line, (size_t)(nl - line))) != NULL)
			break;
	CHECK(why == NULL);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		snprintf(k, sizeof k, "K%zu", i);
		CHECK(strcmp(at(u, k, NULL, TABLE_LATEST), rows[i]) == 0);
	}
	CHECK(strcmp(at(u, "K9", NULL, TABLE_LATEST), big) == 0);
	table_undump_free(&ud);
	buf_free(&b);
	buf_free(&scratch);
	table_free(t);
	table_free(u);
}

static void
test_table_history(void)
{
	/* the same versions in two orders give the same answers */
	static const struct { long long ts; const char *text; } vs[] = {
		{ TABLE_ALWAYS, "{\"v\":0}" }, { 100, "{\"v\":1}" },
		{ 200, NULL }, { 300, "{\"v\":3}" },
	};
	static const long long probes[] = { 50, 100, 150, 200, 250, 300, 1000 };
	static const char *want[] = { "{\"v\":0}", "{\"v\":1}", "{\"v\":1}",
		"-", "-", "{\"v\":3}", "{\"v\":3}" };
	for (int order = 0; order < 2; order++) {
		struct table *t = table_new(1, 64, 0);
		for (int j = 0; j < 4; j++) {
			int i = order ? 3 - j : j;
			if (vs[i].text)
				table_put(t, S("C"), NULL, 0, vs[i].ts, S(vs[i].text));
			else
				table_del(t, S("C"), NULL, 0, vs[i].ts);
		}
		for (int p = 0; p < 7; p++)
			CHECK(strcmp(at(t, "C", NULL, probes[p]), want[p]) == 0);
		CHECK(table_versions(t) == 4);
		table_free(t);
	}
	/* bounds: at most 3 versions; none superseded 1000 ms before the newest */
	struct table *t = table_new(1, 3, 0);
	for (int i = 1; i <= 5; i++) {
		char v[16];
		snprintf(v, sizeof v, "{\"v\":%d}", i);
		table_put(t, S("C"), NULL, 0, i * 10, S(v));
	}
	CHECK(table_versions(t) == 3);
	CHECK(strcmp(at(t, "C", NULL, 35), "{\"v\":3}") == 0);
	CHECK(strcmp(at(t, "C", NULL, 25), "-") == 0);
	table_free(t);
	t = table_new(1, 64, 1000);
	table_put(t, S("C"), NULL, 0, 0, S("{\"v\":0}"));
	table_put(t, S("C"), NULL, 0, 500, S("{\"v\":1}"));
	table_put(t, S("C"), NULL, 0, 1600, S("{\"v\":2}"));
	/* v0 was superseded at 500, more than 1000 before 1600: dropped;
	 * v1 still holds at 600 */
	CHECK(table_versions(t) == 2);
	CHECK(strcmp(at(t, "C", NULL, 600), "{\"v\":1}") == 0);
	CHECK(strcmp(at(t, "C", NULL, 100), "-") == 0);
	/* truncate with history: rows deleted from then on */
	table_truncate(t, 2000);
	CHECK(strcmp(at(t, "C", NULL, 1999), "{\"v\":2}") == 0);
	CHECK(strcmp(at(t, "C", NULL, 2000), "-") == 0);
	table_free(t);
}

static int
cond(const char *c, const char *row)
{
	char err[256];
	struct cond *k = cond_parse(c, err, sizeof err);
	int r;

	if (k == NULL) {
		fprintf(stderr, "cond %s: %s\n", c, err);
		return -1;
	}
	r = cond_eval(k, row, strlen(row));
	cond_free(k);
	return r;
}

static int
cond_bad(const char *c)
{
	char err[256];
	struct cond *k = cond_parse(c, err, sizeof err);

	cond_free(k);
	return k == NULL;
}

static void
test_cond(void)
{
	const char *r = "{\"status\":\"failed\",\"amount\":12.5,\"n\":\"7\","
	    "\"ok\":true,\"z\":null,\"s\":\"a\\\"b\",\"d\":{\"x\":1}}";

	CHECK(cond("status == \"failed\"", r) == 1);
	CHECK(cond("status == failed", r) == 1);
	CHECK(cond("status==failed", r) == 1);
	CHECK(cond("status = failed", r) == 1);
	CHECK(cond("status != failed", r) == 0);
	CHECK(cond("status in [\"failed\", \"chargeback\"]", r) == 1);
	CHECK(cond("status not in [\"failed\", \"chargeback\"]", r) == 0);
	CHECK(cond("status in [completed]", r) == 0);
	CHECK(cond("amount > 12", r) == 1);
	CHECK(cond("amount >= 12.5 and amount <= 12.5", r) == 1);
	CHECK(cond("amount < 12", r) == 0);
	CHECK(cond("n == 7", r) == 1);		/* numeric string */
	CHECK(cond("amount == \"12.5\"", r) == 1);	/* a number's text */
	CHECK(cond("ok == true", r) == 1);
	CHECK(cond("ok == false", r) == 0);
	CHECK(cond("z is null", r) == 1);
	CHECK(cond("missing is null", r) == 1);
	CHECK(cond("amount is not null", r) == 1);
	CHECK(cond("z == null", r) == 1);
	CHECK(cond("missing == failed", r) == 0);
	CHECK(cond("missing != failed", r) == 0);	/* absent: false */
	CHECK(cond("s == \"a\\\"b\"", r) == 1);		/* escapes */
	CHECK(cond("d.x == 1", r) == 1);
	CHECK(cond("not status == completed", r) == 1);
	CHECK(cond("status == completed or (amount > 10 and ok == true)", r) == 1);
	CHECK(cond("status == completed or amount > 10 and ok == false", r) == 0);
	CHECK(cond_bad("status =="));
	CHECK(cond_bad("status in [\"a\""));
	CHECK(cond_bad("== 3"));
	CHECK(cond_bad("status == \"open"));
	CHECK(cond_bad("a == 1 b"));
}

/* Run summary spec over rows (NULL-terminated) at event time t. */
static char *
sum(const char *spec, const char **rows, double t)
{
	char err[256];
	struct summary *s = summary_parse(spec, 0, err, sizeof err);
	struct sacc a;
	struct buf b;

	if (s == NULL) {
		fprintf(stderr, "summary %s: %s\n", spec, err);
		return xstrdup("(bad)");
	}
	summary_start(&a);
	for (int i = 0; rows[i]; i++)
		summary_row(s, &a, rows[i], strlen(rows[i]), t);
	buf_init(&b);
	summary_end(s, &a, t, &b);
	summary_free(s);
	return buf_cstr(&b);
}

static int
sum_is(const char *spec, const char **rows, double t, const char *want)
{
	char *got = sum(spec, rows, t);
	int ok = strcmp(got, want) == 0;

	if (!ok)
		fprintf(stderr, "%s: got %s, want %s\n", spec, got, want);
	free(got);
	return ok;
}

static void
test_summary(void)
{
	const char *rows[] = {
		"{\"status\":\"failed\",\"amount\":10,\"transaction_date\":\"2026-10-20T00:00:00Z\"}",
		"{\"status\":\"chargeback\",\"amount\":\"20.50\",\"transaction_date\":\"2026-10-25T00:00:00Z\"}",
		"{\"status\":\"failed\",\"amount\":30,\"transaction_date\":\"2026-09-01T00:00:00Z\"}",
		"{\"status\":\"completed\",\"amount\":40,\"transaction_date\":\"2026-10-26T00:00:00Z\"}",
		"{\"status\":\"failed\",\"amount\":50,\"transaction_date\":\"2026-11-02T00:00:00Z\"}",
		NULL
	};
	const char *none[] = { NULL };
	double t;
	char err[256];

	CHECK(parse_time(S("2026-11-01T00:00:00Z"), &t) == 0);
	CHECK(sum_is("p.failed_30d=count(status in [\"failed\",\"chargeback\"]) "
	    "within 30d by transaction_date", rows, t, "2"));
	/* the boundary: (t - 30d, t] */
	CHECK(sum_is("p.x=count() within 6d by transaction_date", rows, t, "0"));
	CHECK(sum_is("p.x=count() within 7d by transaction_date", rows, t, "1"));
	CHECK(sum_is("p.x=count() within 8d by transaction_date", rows, t, "2"));
	CHECK(sum_is("p.x=count() within 13d by transaction_date", rows, t, "3"));
	CHECK(sum_is("p.n=count()", rows, t, "5"));
	CHECK(sum_is("p.n=count(status == failed)", rows, t, "3"));
	CHECK(sum_is("p.s=sum(amount)", rows, t, "150.5"));
	CHECK(sum_is("p.s=sum(amount) where status == failed", rows, t, "90"));
	CHECK(sum_is("p.a=avg(amount) where status == failed", rows, t, "30"));
	CHECK(sum_is("p.m=min(amount)", rows, t, "10"));
	CHECK(sum_is("p.m=max(amount) within 30d by transaction_date", rows, t, "40"));
	CHECK(sum_is("p.l=latest(status) by transaction_date", rows, t, "\"failed\""));
	CHECK(sum_is("p.l=latest(status) within 30d by transaction_date", rows, t,
	    "\"completed\""));
	CHECK(sum_is("p.e=earliest(amount) by transaction_date", rows, t, "30"));
	CHECK(sum_is("p.n=count()", none, t, "0"));
	CHECK(sum_is("p.s=sum(amount)", none, t, "0"));
	CHECK(sum_is("p.m=max(amount)", none, t, "null"));
	/* no event time: a span has no answer */
	CHECK(sum_is("p.x=count() within 30d by transaction_date", rows, NAN, "null"));
	CHECK(summary_parse("p.x=count() within 30d", 0, err, sizeof err) == NULL);
	CHECK(summary_parse("p.x=latest(a)", 0, err, sizeof err) == NULL);
	CHECK(summary_parse("x=count()", 0, err, sizeof err) == NULL);
	CHECK(summary_parse("p.x=median(a)", 0, err, sizeof err) == NULL);
	CHECK(summary_parse("p.x=count() within soon by a", 0, err, sizeof err) == NULL);
	CHECK(summary_parse("p.x=days_since(a)", 0, err, sizeof err) == NULL);
	struct summary *s = summary_parse("payments.failed_30d=count() within 30d "
	    "by transaction_date", 0, err, sizeof err);
	CHECK(s && strcmp(s->table, "payments") == 0 &&
	    strcmp(s->name, "failed_30d") == 0 && s->within_ms == 30 * 86400000LL);
	summary_free(s);
}

static char *
derive(const char *spec, const char *row, const char *ev, double t)
{
	char err[256];
	struct summary *s = summary_parse(spec, 1, err, sizeof err);
	struct buf b;

	if (s == NULL)
		return xstrdup("(bad)");
	buf_init(&b);
	derive_eval(s, row, strlen(row), ev, strlen(ev), t, &b);
	summary_free(s);
	return buf_cstr(&b);
}

static void
test_derive(void)
{
	double t;
	char *r;

	CHECK(parse_time(S("2026-11-01T08:00:00Z"), &t) == 0);
#define D(spec, row, ev, t, want) do { \
	r = derive(spec, row, ev, t); \
	CHECK(strcmp(r, want) == 0); \
	if (strcmp(r, want)) fprintf(stderr, "  %s: got %s\n", spec, r); \
	free(r); \
} while (0)
	D("c.age=days_since(d)", "{\"d\":\"2026-10-28\"}", "{}", t, "4");
	D("c.age=days_since(d)", "{\"d\":\"2026-11-01\"}", "{}", t, "0");
	D("c.age=days_since(d)", "{\"d\":\"2026-11-02\"}", "{}", t, "-1");
	D("c.age=days_since(d)", "{\"d\":\"soon\"}", "{}", t, "null");
	D("c.age=days_since(d)", "{}", "{}", t, "null");
	D("c.age=days_since(d)", "{\"d\":\"2026-10-28\"}", "{}", NAN, "null");
	D("d.m=eq(imei,imei)", "{\"imei\":\"35\"}", "{\"imei\":\"35\"}", t, "true");
	D("d.m=eq(imei,imei)", "{\"imei\":\"35\"}", "{\"imei\":\"36\"}", t, "false");
	D("d.m=eq(imei,imei)", "{\"imei\":35}", "{\"imei\":\"35\"}", t, "true");
	D("d.m=eq(imei,imei)", "{\"imei\":\"35\"}", "{}", t, "null");
	D("d.m=eq(imei,ev.imei)", "{\"imei\":\"35\"}", "{\"ev\":{\"imei\":\"35\"}}",
	    t, "true");
	D("d.m=count()", "{}", "{}", t, "(bad)");
	D("d.m=eq(imei)", "{}", "{}", t, "(bad)");

	struct pick p;
	char err[256];
	CHECK(pick_parse(&p, "latest:last_updated", err, sizeof err) == 0 &&
	    p.mode == PICK_LATEST);
	jpath_free(p.by);
	CHECK(pick_parse(&p, "first", err, sizeof err) == 0 && p.mode == PICK_FIRST);
	CHECK(pick_parse(&p, "newest", err, sizeof err) < 0);
}

static void
test_lines(void)
{
	int fd[2];
	struct fdlines f;
	char *line;
	size_t len;

	if (pipe(fd) < 0)
		die(EX_OSERR, "pipe:");
	fdl_init_fd(&f, fd[0], "pipe", 8);
	CHECK(fdl_fill(&f) < 0 && errno == EAGAIN);	/* non-blocking */
	CHECK(write(fd[1], "ab\ncd", 5) == 5);
	CHECK(fdl_fill(&f) == 5);
	CHECK(fdl_next(&f, &line, &len) == FDL_OK && len == 2 &&
	    strcmp(line, "ab") == 0 && f.lineno == 1);
	CHECK(fdl_next(&f, &line, &len) == FDL_NONE);	/* "cd" incomplete */
	CHECK(write(fd[1], "e\n0123456789abc\nlast", 20) == 20);
	CHECK(fdl_fill(&f) == 20);
	CHECK(fdl_next(&f, &line, &len) == FDL_OK && strcmp(line, "cde") == 0);
	CHECK(fdl_next(&f, &line, &len) == FDL_TOOLONG && len == 8 &&
	    memcmp(line, "01234567", 8) == 0 && f.lineno == 3);
	CHECK(fdl_next(&f, &line, &len) == FDL_NONE);
	/* a too-long line arriving in pieces is reported once */
	CHECK(write(fd[1], "xxxxxxxxxxxx", 12) == 12);
	CHECK(fdl_fill(&f) == 12);
	CHECK(fdl_next(&f, &line, &len) == FDL_TOOLONG && f.lineno == 4);
	CHECK(write(fd[1], "yyyy\nok\n", 8) == 8);
	CHECK(fdl_fill(&f) == 8);
	CHECK(fdl_next(&f, &line, &len) == FDL_OK && strcmp(line, "ok") == 0 &&
	    f.lineno == 5);
	CHECK(write(fd[1], "tail", 4) == 4);
	close(fd[1]);
	while (fdl_fill(&f) > 0)
		;
	CHECK(f.eof);
	CHECK(fdl_next(&f, &line, &len) == FDL_OK && strcmp(line, "tail") == 0 &&
	    f.lineno == 6);
	CHECK(fdl_next(&f, &line, &len) == FDL_EOF);
	fdl_close(&f);
}

int
main(void)
{
	setprogname("enrich-unit");
	test_table_latest();
	test_table_churn();
	test_table_history();
	test_table_compact();
	test_cond();
	test_summary();
	test_derive();
	test_lines();
	printf("enrich units: %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
