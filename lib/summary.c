/* summary.c: conditions, summaries and derived values over row text. */
#include "summary.h"
#include "rules.h"
#include "util.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- lexer ---- */

enum tok { T_END, T_WORD, T_STR, T_NUM, T_PUNCT, T_BAD };

struct lex {
	const char *s, *p;
	enum tok t;
	char *text;		/* word, string (unescaped) or punctuation */
	size_t tlen;
	double num;
	char *err;
	size_t errlen;
	int failed;
};

static void
lex_fail(struct lex *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->failed)
		return;
	l->failed = 1;
	n = snprintf(l->err, l->errlen, "at offset %d: ", (int)(l->p - l->s));
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < l->errlen)
		vsnprintf(l->err + n, l->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static int
wordch(int c)
{
	return isalnum(c) || c == '_' || c == '.' || c == '$' || c == '\\';
}

static void
next(struct lex *l)
{
	const char *p = l->p;

	free(l->text);
	l->text = NULL;
	l->tlen = 0;
	while (isspace((unsigned char)*p))
		p++;
	l->p = p;
	if (*p == '\0') {
		l->t = T_END;
		return;
	}
	if (*p == '"') {
		struct buf b;
		buf_init(&b);
		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1]) {
				p++;
				buf_putc(&b, *p == 'n' ? '\n' : *p == 't' ? '\t' : *p);
			} else {
				buf_putc(&b, *p);
			}
		}
		if (*p != '"') {
			buf_free(&b);
			lex_fail(l, "unterminated string");
			l->t = T_BAD;
			return;
		}
		l->tlen = b.len;
		l->text = xstrndup(b.p ? b.p : "", b.len);
		buf_free(&b);
		l->p = p + 1;
		l->t = T_STR;
		return;
	}
	if (isdigit((unsigned char)*p) || ((*p == '-' || *p == '+') &&
	    isdigit((unsigned char)p[1]))) {
		char *end;
		l->num = strtod(p, &end);
		/* a duration: digits and a unit */
		if (isalpha((unsigned char)*end)) {
			while (isalnum((unsigned char)*end))
				end++;
			l->t = T_WORD;
		} else {
			l->t = T_NUM;
		}
		l->text = xstrndup(p, (size_t)(end - p));
		l->tlen = (size_t)(end - p);
		l->p = end;
		return;
	}
	if (wordch((unsigned char)*p)) {
		const char *q = p;
		while (*q && wordch((unsigned char)*q)) {
			if (*q == '\\' && q[1])
				q++;
			q++;
		}
		l->text = xstrndup(p, (size_t)(q - p));
		l->tlen = (size_t)(q - p);
		l->p = q;
		l->t = T_WORD;
		return;
	}
	if ((p[0] == '=' || p[0] == '!' || p[0] == '<' || p[0] == '>') &&
	    p[1] == '=') {
		l->text = xstrndup(p, 2);
		l->p = p + 2;
	} else if (strchr("()[],<>=", *p)) {
		l->text = xstrndup(p, 1);
		l->p = p + 1;
	} else {
		lex_fail(l, "unexpected '%c'", *p);
		l->t = T_BAD;
		return;
	}
	l->tlen = strlen(l->text);
	l->t = T_PUNCT;
}

static int
is(struct lex *l, enum tok t, const char *text)
{
	return l->t == t && (text == NULL || strcmp(l->text, text) == 0);
}

static int
accept(struct lex *l, enum tok t, const char *text)
{
	if (!is(l, t, text))
		return 0;
	next(l);
	return 1;
}

static int
expect(struct lex *l, const char *punct)
{
	if (accept(l, T_PUNCT, punct))
		return 1;
	lex_fail(l, "expected '%s'", punct);
	return 0;
}

static struct jpath *
path(struct lex *l)
{
	char e[256];
	struct jpath *p;

	if (l->t != T_WORD) {
		lex_fail(l, "expected a field");
		return NULL;
	}
	if ((p = jpath_parse(l->text, e, sizeof e)) == NULL)
		lex_fail(l, "%s", e);
	else
		next(l);
	return p;
}

/* ---- conditions ---- */

enum { L_STR, L_NUM, L_BOOL, L_NULL };

struct lit {
	int type;
	char *s;
	size_t n;
	double d;
	int b;
};

enum { C_AND, C_OR, C_NOT, C_CMP, C_IN, C_ISNULL };
enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };

struct cond {
	int kind, op, neg;
	struct cond *a, *b;
	struct jpath *f;
	struct lit *lit;
	int nlit;
};

void
cond_free(struct cond *c)
{
	if (c == NULL)
		return;
	cond_free(c->a);
	cond_free(c->b);
	jpath_free(c->f);
	for (int i = 0; i < c->nlit; i++)
		free(c->lit[i].s);
	free(c->lit);
	free(c);
}

static int
literal(struct lex *l, struct lit *v)
{
	memset(v, 0, sizeof(*v));
	if (l->t == T_STR || (l->t == T_WORD && strcmp(l->text, "true") &&
	    strcmp(l->text, "false") && strcmp(l->text, "null"))) {
		v->type = L_STR;
		v->s = xstrndup(l->text, l->tlen);
		v->n = l->tlen;
	} else if (l->t == T_NUM) {
		v->type = L_NUM;
		v->d = l->num;
	} else if (l->t == T_WORD && strcmp(l->text, "null") == 0) {
		v->type = L_NULL;
	} else if (l->t == T_WORD) {
		v->type = L_BOOL;
		v->b = strcmp(l->text, "true") == 0;
	} else {
		lex_fail(l, "expected a value");
		return -1;
	}
	next(l);
	return 0;
}

static struct cond *c_or(struct lex *l);

static struct cond *
c_new(int kind)
{
	struct cond *c = xcalloc(1, sizeof(struct cond));

	c->kind = kind;
	return c;
}

static struct cond *
c_prim(struct lex *l)
{
	struct cond *c;
	static const char *ops[] = { "==", "!=", "<", "<=", ">", ">=" };

	if (accept(l, T_WORD, "not")) {
		c = c_new(C_NOT);
		c->kind = C_NOT;
		c->a = c_prim(l);
		return c;
	}
	if (accept(l, T_PUNCT, "(")) {
		c = c_or(l);
		expect(l, ")");
		return c;
	}
	c = c_new(C_CMP);
	if ((c->f = path(l)) == NULL)
		return c;
	if (accept(l, T_WORD, "is")) {
		c->kind = C_ISNULL;
		c->neg = accept(l, T_WORD, "not");
		if (!accept(l, T_WORD, "null"))
			lex_fail(l, "expected null");
		return c;
	}
	if (is(l, T_WORD, "in") || is(l, T_WORD, "not")) {
		c->kind = C_IN;
		if (accept(l, T_WORD, "not"))
			c->neg = 1;
		if (!accept(l, T_WORD, "in")) {
			lex_fail(l, "expected in");
			return c;
		}
		if (!expect(l, "["))
			return c;
		do {
			c->lit = xrealloc(c->lit, (size_t)(c->nlit + 1) *
			    sizeof(*c->lit));
			if (literal(l, &c->lit[c->nlit]) < 0)
				return c;
			c->nlit++;
		} while (accept(l, T_PUNCT, ","));
		expect(l, "]");
		return c;
	}
	c->kind = C_CMP;
	for (c->op = 0; c->op < 6; c->op++)
		if (is(l, T_PUNCT, ops[c->op]))
			break;
	if (c->op == 6 && is(l, T_PUNCT, "="))
		c->op = OP_EQ;
	if (c->op == 6) {
		lex_fail(l, "expected a comparison after the field");
		return c;
	}
	next(l);
	c->lit = xcalloc(1, sizeof(*c->lit));
	if (literal(l, c->lit) == 0)
		c->nlit = 1;
	return c;
}

static struct cond *
c_and(struct lex *l)
{
	struct cond *c = c_prim(l);

	while (!l->failed && accept(l, T_WORD, "and")) {
		struct cond *n = c_new(C_AND);
		n->kind = C_AND;
		n->a = c;
		n->b = c_prim(l);
		c = n;
	}
	return c;
}

static struct cond *
c_or(struct lex *l)
{
	struct cond *c = c_and(l);

	while (!l->failed && accept(l, T_WORD, "or")) {
		struct cond *n = c_new(C_OR);
		n->kind = C_OR;
		n->a = c;
		n->b = c_and(l);
		c = n;
	}
	return c;
}

static void
lex_init(struct lex *l, const char *s, char *err, size_t errlen)
{
	memset(l, 0, sizeof(*l));
	l->s = l->p = s;
	l->err = err;
	l->errlen = errlen;
	next(l);
}

struct cond *
cond_parse(const char *s, char *err, size_t errlen)
{
	struct lex l;
	struct cond *c;

	lex_init(&l, s, err, errlen);
	c = c_or(&l);
	if (!l.failed && l.t != T_END)
		lex_fail(&l, "unexpected '%s'", l.text ? l.text : "");
	free(l.text);
	if (l.failed) {
		cond_free(c);
		return NULL;
	}
	return c;
}

int
json_number(const char *v, size_t n, double *out)
{
	char tmp[64], *end;

	if (n >= 2 && v[0] == '"') {
		v++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof tmp)
		return -1;
	memcpy(tmp, v, n);
	tmp[n] = '\0';
	*out = strtod(tmp, &end);
	if (*end != '\0' || end == tmp || !isfinite(*out))
		return -1;
	return 0;
}

/*
 * A number is a time in one of Debezium's encodings, told apart by its
 * magnitude: an integer under TIME_DAYS_MAX days since 1970-01-01 (a DATE:
 * io.debezium.time.Date, up to the year 4707), from TIME_MICROS_MIN
 * microseconds (MicroTimestamp, from 1973-03-03), from TIME_NANOS_MIN
 * nanoseconds (NanoTimestamp, from 1973-03-03), else milliseconds
 * (Timestamp, 1970-01-01T00:16:40Z to the year 5138).
 */
#define TIME_DAYS_MAX 1e6
#define TIME_MICROS_MIN 1e14
#define TIME_NANOS_MIN 1e17

int
json_time(const char *v, size_t n, double *out)
{
	double a;

	if (n >= 2 && v[0] == '"') {
		if (memchr(v + 1, '\\', n - 2) == NULL)
			return parse_time(v + 1, n - 2, out);
		return -1;
	}
	if (n == 0 || (v[0] != '-' && !isdigit((unsigned char)v[0])) ||
	    json_number(v, n, out) < 0)
		return -1;
	a = fabs(*out);
	if (a < TIME_DAYS_MAX && *out == floor(*out))
		*out *= 86400.0;
	else if (a >= TIME_NANOS_MIN)
		*out /= 1e9;
	else if (a >= TIME_MICROS_MIN)
		*out /= 1e6;
	else
		*out /= 1000.0;
	return 0;
}

/* Compare a value (raw JSON text) with a literal: <0, 0, >0, or 2 when
 * they cannot be compared. */
static int
compare(const char *v, size_t n, const struct lit *l)
{
	static struct buf tmp;
	double d;

	switch (l->type) {
	case L_STR: {
		const char *s = v;
		size_t sn = n;
		int r;
		if (n >= 2 && v[0] == '"' && memchr(v + 1, '\\', n - 2) == NULL) {
			s = v + 1;
			sn = n - 2;
		} else if (n >= 1 && (v[0] == '"' || v[0] == '-' ||
		    isdigit((unsigned char)v[0]))) {
			buf_reset(&tmp);
			jpath_value_text(&tmp, v, n);
			s = tmp.p ? tmp.p : "";
			sn = tmp.len;
		} else {
			return 2;
		}
		r = memcmp(s, l->s, sn < l->n ? sn : l->n);
		if (r == 0)
			r = sn < l->n ? -1 : sn > l->n ? 1 : 0;
		return r;
	}
	case L_NUM:
		if (json_number(v, n, &d) < 0)
			return 2;
		return d < l->d ? -1 : d > l->d ? 1 : 0;
	case L_BOOL:
		if (n == 4 && memcmp(v, "true", 4) == 0)
			return l->b ? 0 : 1;
		if (n == 5 && memcmp(v, "false", 5) == 0)
			return l->b ? -1 : 0;
		return 2;
	}
	return 2;
}

int
cond_eval(const struct cond *c, const char *s, size_t n)
{
	const char *v;
	size_t vn;
	int have, r;

	switch (c->kind) {
	case C_AND:
		return cond_eval(c->a, s, n) && cond_eval(c->b, s, n);
	case C_OR:
		return cond_eval(c->a, s, n) || cond_eval(c->b, s, n);
	case C_NOT:
		return !cond_eval(c->a, s, n);
	}
	have = jpath_find(c->f, s, n, &v, &vn);
	if (c->kind == C_ISNULL)
		return c->neg ? have : !have;
	if (c->kind == C_IN) {
		if (!have)
			return 0;
		for (int i = 0; i < c->nlit; i++)
			if (c->lit[i].type != L_NULL && compare(v, vn, &c->lit[i]) == 0)
				return !c->neg;
		return c->neg;
	}
	if (c->lit[0].type == L_NULL) {
		if (c->op == OP_EQ)
			return !have;
		if (c->op == OP_NE)
			return have;
		return 0;
	}
	if (!have || (r = compare(v, vn, &c->lit[0])) == 2)
		return 0;
	switch (c->op) {
	case OP_EQ: return r == 0;
	case OP_NE: return r != 0;
	case OP_LT: return r < 0;
	case OP_LE: return r <= 0;
	case OP_GT: return r > 0;
	default: return r >= 0;
	}
}

/* ---- summaries ---- */

void
summary_free(struct summary *s)
{
	if (s == NULL)
		return;
	free(s->table);
	free(s->name);
	jpath_free(s->arg);
	jpath_free(s->arg2);
	cond_free(s->where);
	jpath_free(s->by);
	free(s->spec);
	free(s);
}

static const struct {
	const char *name;
	enum sum_fn fn;
	int derive;
} fns[] = {
	{ "count", SF_COUNT, 0 }, { "sum", SF_SUM, 0 }, { "avg", SF_AVG, 0 },
	{ "min", SF_MIN, 0 }, { "max", SF_MAX, 0 },
	{ "latest", SF_LATEST, 0 }, { "earliest", SF_EARLIEST, 0 },
	{ "days_since", SF_DAYS_SINCE, 1 }, { "eq", SF_EQ, 1 },
};

struct summary *
summary_parse(const char *spec, int derive, char *err, size_t errlen)
{
	struct summary *s = xcalloc(1, sizeof(*s));
	const char *eq = strchr(spec, '='), *dot;
	struct lex l;
	size_t i;

	s->spec = xstrdup(spec);
	dot = eq ? memchr(spec, '.', (size_t)(eq - spec)) : NULL;
	if (eq == NULL || dot == NULL || dot == spec || dot + 1 == eq) {
		snprintf(err, errlen, "%s: expected TABLE.NAME=%s", spec,
		    derive ? "FUNCTION(...)" : "FUNCTION(...) [where ...] "
		    "[within ...] [by ...]");
		summary_free(s);
		return NULL;
	}
	s->table = xstrndup(spec, (size_t)(dot - spec));
	s->name = xstrndup(dot + 1, (size_t)(eq - dot - 1));
	lex_init(&l, eq + 1, err, errlen);
	for (i = 0; i < sizeof fns / sizeof fns[0]; i++)
		if (is(&l, T_WORD, fns[i].name) && fns[i].derive == derive)
			break;
	if (i == sizeof fns / sizeof fns[0]) {
		lex_fail(&l, derive ? "expected days_since(...) or eq(...)" :
		    "expected count, sum, avg, min, max, latest or earliest");
		goto out;
	}
	s->fn = fns[i].fn;
	next(&l);
	if (!expect(&l, "("))
		goto out;
	if (s->fn == SF_COUNT) {
		if (!is(&l, T_PUNCT, ")"))
			s->where = c_or(&l);
	} else {
		s->arg = path(&l);
		if (s->fn == SF_EQ && expect(&l, ","))
			s->arg2 = path(&l);
	}
	if (!expect(&l, ")"))
		goto out;
	while (!derive && !l.failed && l.t == T_WORD) {
		if (accept(&l, T_WORD, "where")) {
			struct cond *c = c_or(&l);
			if (s->where) {
				struct cond *n = c_new(C_AND);
				n->kind = C_AND;
				n->a = s->where;
				n->b = c;
				c = n;
			}
			s->where = c;
		} else if (accept(&l, T_WORD, "within")) {
			if (l.t != T_WORD || (s->within_ms =
			    parse_duration_ms(l.text)) <= 0) {
				lex_fail(&l, "expected a duration (30d, 12h, ...)");
				break;
			}
			next(&l);
		} else if (accept(&l, T_WORD, "by")) {
			s->by = path(&l);
		} else {
			break;
		}
	}
	if (!l.failed && l.t != T_END)
		lex_fail(&l, "unexpected '%s'", l.text ? l.text : "");
	if (!l.failed && (s->within_ms || s->fn == SF_LATEST ||
	    s->fn == SF_EARLIEST) && s->by == NULL)
		lex_fail(&l, "%s needs \"by FIELD\" (the row's time)",
		    s->within_ms ? "within" : fns[i].name);
out:
	free(l.text);
	if (l.failed) {
		/* say which spec */
		size_t n = strlen(err);
		char *m = xstrdup(err);
		snprintf(err, errlen, "%s: %s", spec, m);
		free(m);
		(void)n;
		summary_free(s);
		return NULL;
	}
	return s;
}

void
summary_start(struct sacc *a)
{
	memset(a, 0, sizeof(*a));
}

void
summary_row(const struct summary *s, struct sacc *a, const char *row,
    size_t n, double evtime)
{
	const char *v;
	size_t vn;
	double t = 0, d;

	if (s->by && (s->within_ms || s->fn == SF_LATEST ||
	    s->fn == SF_EARLIEST)) {
		if (!jpath_find(s->by, row, n, &v, &vn) || json_time(v, vn, &t) < 0)
			return;
		if (s->within_ms && (isnan(evtime) || t > evtime ||
		    t <= evtime - (double)s->within_ms / 1000.0))
			return;
	}
	if (s->where && !cond_eval(s->where, row, n))
		return;
	switch (s->fn) {
	case SF_COUNT:
		a->n++;
		break;
	case SF_SUM: case SF_AVG: case SF_MIN: case SF_MAX:
		if (!jpath_find(s->arg, row, n, &v, &vn) ||
		    json_number(v, vn, &d) < 0)
			return;
		if (a->n == 0 || d < a->min)
			a->min = d;
		if (a->n == 0 || d > a->max)
			a->max = d;
		a->sum += d;
		a->n++;
		break;
	case SF_LATEST: case SF_EARLIEST:
		if (!jpath_find(s->arg, row, n, &v, &vn))
			return;
		if (a->n == 0 || (s->fn == SF_LATEST ? t >= a->best : t < a->best)) {
			a->best = t;
			a->text = v;
			a->tlen = vn;
		}
		a->n++;
		break;
	default:
		break;
	}
}

void
buf_number(struct buf *b, double d)
{
	if (!isfinite(d))
		buf_puts(b, "null");
	else if (d == floor(d) && fabs(d) < 1e15)
		buf_printf(b, "%lld", (long long)d);
	else
		buf_printf(b, "%.15g", d);
}

void
summary_end(const struct summary *s, const struct sacc *a, double evtime,
    struct buf *out)
{
	if (s->within_ms && isnan(evtime)) {
		buf_puts(out, "null");	/* no event time: no span */
		return;
	}
	switch (s->fn) {
	case SF_COUNT:
		buf_printf(out, "%lld", a->n);
		return;
	case SF_SUM:
		buf_number(out, a->sum);
		return;
	default:
		break;
	}
	if (a->n == 0) {
		buf_puts(out, "null");
		return;
	}
	switch (s->fn) {
	case SF_AVG: buf_number(out, a->sum / (double)a->n); break;
	case SF_MIN: buf_number(out, a->min); break;
	case SF_MAX: buf_number(out, a->max); break;
	default: buf_add(out, a->text, a->tlen); break;
	}
}

void
derive_eval(const struct summary *s, const char *row, size_t n,
    const char *event, size_t en, double evtime, struct buf *out)
{
	const char *v, *w;
	size_t vn, wn;
	double t;

	if (!jpath_find(s->arg, row, n, &v, &vn)) {
		buf_puts(out, "null");
		return;
	}
	if (s->fn == SF_DAYS_SINCE) {
		if (isnan(evtime) || json_time(v, vn, &t) < 0)
			buf_puts(out, "null");
		else
			buf_number(out, floor((evtime - t) / 86400.0));
		return;
	}
	/* eq: the text of both values */
	if (!jpath_find(s->arg2, event, en, &w, &wn)) {
		buf_puts(out, "null");
		return;
	}
	if (vn == wn && memcmp(v, w, vn) == 0) {
		buf_puts(out, "true");
		return;
	}
	struct buf a, b;
	buf_init(&a);
	buf_init(&b);
	jpath_value_text(&a, v, vn);
	jpath_value_text(&b, w, wn);
	buf_puts(out, a.len == b.len && (a.len == 0 ||
	    memcmp(a.p, b.p, a.len) == 0) ? "true" : "false");
	buf_free(&a);
	buf_free(&b);
}

int
pick_parse(struct pick *p, const char *spec, char *err, size_t errlen)
{
	char e[256];

	memset(p, 0, sizeof(*p));
	if (strcmp(spec, "last") == 0) {
		p->mode = PICK_LAST;
		return 0;
	}
	if (strcmp(spec, "first") == 0) {
		p->mode = PICK_FIRST;
		return 0;
	}
	if (strncmp(spec, "latest:", 7) == 0)
		p->mode = PICK_LATEST;
	else if (strncmp(spec, "earliest:", 9) == 0)
		p->mode = PICK_EARLIEST;
	else {
		snprintf(err, errlen, "%s: expected latest:FIELD, earliest:FIELD, "
		    "last or first", spec);
		return -1;
	}
	if ((p->by = jpath_parse(strchr(spec, ':') + 1, e, sizeof e)) == NULL) {
		snprintf(err, errlen, "%s: %s", spec, e);
		return -1;
	}
	return 0;
}
