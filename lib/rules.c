/* rules.c: lexer, parser and evaluator of the detect rules language. */
#include "rules.h"
#include "buf.h"
#include "util.h"
#include "window.h"

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum op {
	E_NUM, E_STR, E_BOOL, E_NULL, E_FIELD, E_TIME, E_STREAM, E_ID,
	E_NEG, E_NOT, E_AND, E_OR, E_ADD, E_SUB, E_MUL, E_DIV, E_MOD,
	E_EQ, E_NE, E_LT, E_LE, E_GT, E_GE, E_IN, E_NOTIN, E_ISNULL,
	E_NOTNULL, E_CALL, E_AGG
};

enum fn {
	F_LOWER, F_UPPER, F_LEN, F_SUBSTR, F_CONTAINS, F_STARTS, F_ENDS,
	F_CONCAT, F_COALESCE, F_IF, F_ABS, F_ROUND, F_FLOOR, F_CEIL, F_LEAST,
	F_GREATEST, F_NUM, F_STR, F_TS, F_HOUR, F_WEEKDAY, F_DATE, F_ISO,
	F_DISTANCE
};

static const struct {
	const char *name;
	int fn, min, max;
} funcs[] = {
	{ "lower", F_LOWER, 1, 1 }, { "upper", F_UPPER, 1, 1 },
	{ "len", F_LEN, 1, 1 }, { "substr", F_SUBSTR, 2, 3 },
	{ "contains", F_CONTAINS, 2, 2 }, { "starts_with", F_STARTS, 2, 2 },
	{ "ends_with", F_ENDS, 2, 2 }, { "concat", F_CONCAT, 1, 16 },
	{ "coalesce", F_COALESCE, 1, 16 }, { "if", F_IF, 3, 3 },
	{ "abs", F_ABS, 1, 1 }, { "round", F_ROUND, 1, 2 },
	{ "floor", F_FLOOR, 1, 1 }, { "ceil", F_CEIL, 1, 1 },
	{ "least", F_LEAST, 1, 16 }, { "greatest", F_GREATEST, 1, 16 },
	{ "num", F_NUM, 1, 1 }, { "str", F_STR, 1, 1 }, { "ts", F_TS, 1, 2 },
	{ "hour", F_HOUR, 1, 1 }, { "weekday", F_WEEKDAY, 1, 1 },
	{ "date", F_DATE, 1, 1 }, { "iso", F_ISO, 1, 1 },
	{ "distance_km", F_DISTANCE, 4, 4 },
};

/* The units of ts(n, unit) for a number, as seconds per unit (Debezium:
 * io.debezium.time.Date days, Timestamp ms, MicroTimestamp us,
 * NanoTimestamp ns). */
static const struct {
	const char *name;
	double mul, div;
} tsunits[] = {
	{ "s", 1, 1 }, { "ms", 1, 1e3 }, { "us", 1, 1e6 }, { "ns", 1, 1e9 },
	{ "days", 86400, 1 },
};

static const struct {
	const char *name;
	int kind, min, max;
} aggfuncs[] = {
	{ "count", A_COUNT, 0, 1 }, { "count_distinct", A_COUNT_DISTINCT, 1, 2 },
	{ "sum", A_SUM, 1, 2 }, { "avg", A_AVG, 1, 2 }, { "min", A_MIN, 1, 2 },
	{ "max", A_MAX, 1, 2 }, { "ratio", A_RATIO, 2, 2 },
	{ "first", A_FIRST, 1, 2 }, { "last", A_LAST, 1, 2 },
	{ "prev", A_PREV, 1, 1 },
};

struct rset {
	char *name;
	struct jval *v;
	int n;
	uint64_t hash;
};

struct expr {
	enum op op;
	int fn, slot, nargs;
	int agg;		/* E_AGG: the aggregate; ts(): its unit */
	struct jval lit;	/* E_NUM, E_STR, E_BOOL */
	struct expr *a, *b, **args;
	struct rset *set;
};

/* ---- lexer ---- */

enum tok { T_EOF, T_IDENT, T_VAR, T_STR, T_NUM, T_DUR, T_OP };

struct parser {
	const char *file, *src, *p, *end;
	int line, col;
	/* current token */
	enum tok t;
	const char *ts;		/* its text */
	size_t tl;
	int tline, tcol;
	double num;
	char *str;		/* T_STR value (owned until taken) */
	char *taken;		/* a name taken, freed if the next token fails */
	size_t slen;
	/* context */
	struct rules *rs;
	struct rule *rule;	/* rule being parsed */
	int agg_ok, in_agg;
	jmp_buf jb;
	char *err;
	size_t errlen;
};

static void __attribute__((noreturn, format(printf, 4, 5)))
perr(struct parser *p, int line, int col, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(p->err, p->errlen, "%s:%d:%d: ", p->file, line, col);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < p->errlen)
		vsnprintf(p->err + n, p->errlen - n, fmt, ap);
	va_end(ap);
	longjmp(p->jb, 1);
}

#define ERR(p, ...) perr(p, (p)->tline, (p)->tcol, __VA_ARGS__)

static void
adv(struct parser *p, size_t n)
{
	while (n-- > 0 && p->p < p->end) {
		if (*p->p == '\n') {
			p->line++;
			p->col = 1;
		} else if (((unsigned char)*p->p & 0xC0) != 0x80) {
			p->col++;
		}
		p->p++;
	}
}

static int
isid0(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
isid(int c)
{
	return isid0(c) || (c >= '0' && c <= '9');
}

static void
next(struct parser *p)
{
	free(p->str);
	p->str = NULL;
	for (;;) {
		while (p->p < p->end && (*p->p == ' ' || *p->p == '\t' ||
		    *p->p == '\n' || *p->p == '\r'))
			adv(p, 1);
		if (p->p < p->end && *p->p == '#') {
			while (p->p < p->end && *p->p != '\n')
				adv(p, 1);
			continue;
		}
		break;
	}
	p->tline = p->line;
	p->tcol = p->col;
	p->ts = p->p;
	if (p->p >= p->end) {
		p->t = T_EOF;
		p->tl = 0;
		return;
	}
	unsigned char c = *p->p;
	const char *q = p->p;

	if (c == '\0')
		ERR(p, "NUL byte in rules");
	if (isid0(c) || c == '$') {
		int var = c == '$';

		q++;
		if (var && (q >= p->end || !isid0((unsigned char)*q)))
			ERR(p, "expected a name after '$'");
		for (;;) {
			while (q < p->end && isid((unsigned char)*q))
				q++;
			if (!var && q + 1 < p->end && *q == '.' &&
			    isid0((unsigned char)q[1])) {
				q++;
				continue;
			}
			break;
		}
		p->t = var ? T_VAR : T_IDENT;
		p->tl = q - p->p;
		adv(p, p->tl);
		return;
	}
	if (c >= '0' && c <= '9') {
		char *e;
		errno = 0;
		p->num = strtod(p->p, &e);
		if (e > p->end)
			e = (char *)p->end;
		q = e;
		p->t = T_NUM;
		if (q < p->end && isid0((unsigned char)*q)) {
			const char *u = q;
			double m;
			while (q < p->end && isid((unsigned char)*q))
				q++;
			if (q - u == 2 && memcmp(u, "ms", 2) == 0) m = 0.001;
			else if (q - u == 1 && *u == 's') m = 1;
			else if (q - u == 1 && *u == 'm') m = 60;
			else if (q - u == 1 && *u == 'h') m = 3600;
			else if (q - u == 1 && *u == 'd') m = 86400;
			else if (q - u == 1 && *u == 'w') m = 7 * 86400;
			else {
				p->col += u - p->p;
				p->tcol = p->col;
				ERR(p, "unknown duration unit '%.*s' (ms, s, m, h, d, w)",
				    (int)(q - u), u);
			}
			p->num *= m;
			p->t = T_DUR;
		}
		p->tl = q - p->p;
		adv(p, p->tl);
		return;
	}
	if (c == '"') {
		struct { char *p; size_t len, cap; } b = { NULL, 0, 0 };
		q++;
		for (;;) {
			if (q >= p->end || *q == '\n') {
				free(b.p);
				ERR(p, "unterminated string");
			}
			if (*q == '"')
				break;
			char ch = *q++;
			if (ch == '\\') {
				if (q >= p->end) {
					free(b.p);
					ERR(p, "unterminated string");
				}
				switch (*q++) {
				case 'n': ch = '\n'; break;
				case 't': ch = '\t'; break;
				case '\\': ch = '\\'; break;
				case '"': ch = '"'; break;
				default:
					free(b.p);
					ERR(p, "unknown escape in string (\\n, \\t, \\\\, \\\")");
				}
			}
			if (b.len + 2 > b.cap) {
				b.cap = b.cap ? b.cap * 2 : 16;
				b.p = xrealloc(b.p, b.cap);
			}
			b.p[b.len++] = ch;
		}
		q++;
		if (b.p == NULL)
			b.p = xmalloc(1);
		b.p[b.len] = '\0';
		p->str = b.p;
		p->slen = b.len;
		p->t = T_STR;
		p->tl = q - p->p;
		adv(p, p->tl);
		return;
	}
	static const char *ops[] = { "==", "!=", "<=", ">=", "<", ">", "+",
		"-", "*", "/", "%", "(", ")", "[", "]", "{", "}", ",", "=", NULL };
	for (int i = 0; ops[i]; i++) {
		size_t l = strlen(ops[i]);
		if ((size_t)(p->end - p->p) >= l && memcmp(p->p, ops[i], l) == 0) {
			p->t = T_OP;
			p->tl = l;
			adv(p, l);
			return;
		}
	}
	if (c >= 0x20 && c < 0x7f)
		ERR(p, "unexpected character '%c'", c);
	ERR(p, "unexpected byte 0x%02x", c);
}

static int
is(struct parser *p, enum tok t, const char *s)
{
	return p->t == t && (s == NULL ||
	    (strlen(s) == p->tl && memcmp(p->ts, s, p->tl) == 0));
}

static int
accept(struct parser *p, enum tok t, const char *s)
{
	if (!is(p, t, s))
		return 0;
	next(p);
	return 1;
}

static const char *
tokdesc(struct parser *p)
{
	static char b[64];

	if (p->t == T_EOF)
		return "end of file";
	snprintf(b, sizeof(b), "'%.*s'", p->tl > 40 ? 40 : (int)p->tl, p->ts);
	return b;
}

static void
expect(struct parser *p, enum tok t, const char *s, const char *what)
{
	if (!accept(p, t, s))
		ERR(p, "expected %s, found %s", what, tokdesc(p));
}

/* ---- expressions ---- */

static struct expr *
mk(struct parser *p, enum op op)
{
	struct rules *rs = p->rs;
	struct expr *e = xcalloc(1, sizeof(*e));

	e->op = op;
	e->slot = -1;
	rs->ex = xrealloc(rs->ex, (rs->nex + 1) * sizeof(*rs->ex));
	rs->ex[rs->nex++] = e;
	return e;
}

static struct expr *mk2(struct parser *p, enum op op, struct expr *a,
    struct expr *b)
{
	struct expr *e = mk(p, op);

	e->a = a;
	e->b = b;
	return e;
}

static struct expr *expr_or(struct parser *p);

static struct rset *
find_set(struct parser *p, const char *s, size_t l)
{
	for (int i = 0; i < p->rs->nsets; i++)
		if (p->rs->sets[i]->name && strlen(p->rs->sets[i]->name) == l &&
		    memcmp(p->rs->sets[i]->name, s, l) == 0)
			return p->rs->sets[i];
	return NULL;
}

static struct rset *
new_set(struct parser *p)
{
	struct rules *rs = p->rs;
	struct rset *s = xcalloc(1, sizeof(*s));

	rs->sets = xrealloc(rs->sets, (rs->nsets + 1) * sizeof(*rs->sets));
	rs->sets[rs->nsets++] = s;
	return s;
}

/* '[' literal {',' literal} ']' */
static void
set_items(struct parser *p, struct rset *s)
{
	const char *start = p->ts;

	expect(p, T_OP, "[", "'['");
	if (!is(p, T_OP, "]")) {
		do {
			struct jval v = { 0 };
			int neg = accept(p, T_OP, "-");

			if (p->t == T_STR && !neg) {
				v.t = J_STR;
				v.s = p->str;
				v.len = p->slen;
				p->str = NULL;
			} else if (p->t == T_NUM) {
				v.t = J_NUM;
				v.n = neg ? -p->num : p->num;
			} else {
				ERR(p, "expected a string or a number in a list, found %s",
				    tokdesc(p));
			}
			s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
			s->v[s->n++] = v;
			next(p);
		} while (accept(p, T_OP, ","));
	}
	if (!is(p, T_OP, "]"))
		ERR(p, "expected ',' or ']', found %s", tokdesc(p));
	s->hash = hash64(start, p->ts + 1 - start, 7);
	next(p);
}

static void
note_field(struct parser *p, int slot)
{
	struct rule *r = p->rule;

	if (r == NULL)
		return;
	for (int i = 0; i < r->nev; i++)
		if (r->ev_slots[i] == slot)
			return;
	r->ev_slots = xrealloc(r->ev_slots, (r->nev + 1) * sizeof(int));
	r->ev_slots[r->nev++] = slot;
}

static struct expr *
primary(struct parser *p)
{
	struct expr *e;
	int line = p->tline, col = p->tcol;

	if (p->t == T_NUM || p->t == T_DUR) {
		e = mk(p, E_NUM);
		e->lit.t = J_NUM;
		e->lit.n = p->num;
		next(p);
		return e;
	}
	if (p->t == T_STR) {
		e = mk(p, E_STR);
		e->lit.t = J_STR;
		e->lit.s = p->str;
		e->lit.len = p->slen;
		p->str = NULL;
		next(p);
		return e;
	}
	if (accept(p, T_OP, "(")) {
		e = expr_or(p);
		expect(p, T_OP, ")", "')'");
		return e;
	}
	if (p->t == T_VAR) {
		if (is(p, T_VAR, "$time"))
			e = mk(p, E_TIME);
		else if (is(p, T_VAR, "$stream"))
			e = mk(p, E_STREAM);
		else if (is(p, T_VAR, "$id"))
			e = mk(p, E_ID);
		else
			ERR(p, "unknown variable %s ($time, $stream, $id)",
			    tokdesc(p));
		next(p);
		return e;
	}
	if (p->t != T_IDENT)
		ERR(p, "expected an expression, found %s", tokdesc(p));
	if (is(p, T_IDENT, "true") || is(p, T_IDENT, "false")) {
		e = mk(p, E_BOOL);
		e->lit.t = J_BOOL;
		e->lit.b = p->ts[0] == 't';
		next(p);
		return e;
	}
	if (is(p, T_IDENT, "null")) {
		next(p);
		return mk(p, E_NULL);
	}
	const char *name = p->ts;
	size_t nl = p->tl;
	next(p);
	if (!is(p, T_OP, "(")) {
		char *path = xstrndup(name, nl);

		e = mk(p, E_FIELD);
		e->slot = jf_add(p->rs->jf, path);
		free(path);
		if (!p->in_agg)
			note_field(p, e->slot);
		return e;
	}
	/* a call */
	next(p);
	for (size_t i = 0; i < sizeof(aggfuncs) / sizeof(aggfuncs[0]); i++) {
		if (strlen(aggfuncs[i].name) != nl ||
		    memcmp(aggfuncs[i].name, name, nl) != 0)
			continue;
		if (p->in_agg)
			perr(p, line, col, "aggregate %.*s inside an aggregate",
			    (int)nl, name);
		if (!p->agg_ok)
			perr(p, line, col, "aggregate %.*s outside 'having' or "
			    "'score' of a rule with a window", (int)nl, name);
		struct expr *args[2] = { NULL, NULL };
		int n = 0;
		p->in_agg = 1;
		if (!is(p, T_OP, ")")) {
			do {
				if (n == aggfuncs[i].max)
					ERR(p, "%s takes at most %d arguments",
					    aggfuncs[i].name, aggfuncs[i].max);
				args[n++] = expr_or(p);
			} while (accept(p, T_OP, ","));
		}
		p->in_agg = 0;
		if (n < aggfuncs[i].min)
			perr(p, line, col, "%s takes at least %d argument%s",
			    aggfuncs[i].name, aggfuncs[i].min,
			    aggfuncs[i].min > 1 ? "s" : "");
		if (!is(p, T_OP, ")"))
			ERR(p, "expected ',' or ')', found %s", tokdesc(p));
		struct rule *r = p->rule;
		struct agg *a;
		for (int k = 0; k < r->naggs; k++) {
			if (strlen(r->aggs[k].src) == (size_t)(p->ts + 1 - name) &&
			    memcmp(r->aggs[k].src, name, p->ts + 1 - name) == 0) {
				e = mk(p, E_AGG);
				e->agg = k;
				next(p);
				return e;
			}
		}
		if (r->naggs >= 32)
			perr(p, line, col, "more than 32 aggregates in rule %s",
			    r->name);
		r->aggs = xrealloc(r->aggs, (r->naggs + 1) * sizeof(*r->aggs));
		a = &r->aggs[r->naggs];
		memset(a, 0, sizeof(*a));
		a->kind = aggfuncs[i].kind;
		a->src = xstrndup(name, p->ts + 1 - name);
		if (a->kind == A_COUNT) {
			a->cond = args[0];
		} else if (a->kind == A_RATIO) {
			a->cond = args[0];
			a->cond2 = args[1];
		} else {
			a->arg = args[0];
			a->cond = args[1];
		}
		a->vi = a->arg ? r->nvals++ : -1;
		if (a->kind == A_COUNT_DISTINCT)
			r->hashed = 1;
		e = mk(p, E_AGG);
		e->agg = r->naggs++;
		next(p);
		return e;
	}
	for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++) {
		if (strlen(funcs[i].name) != nl ||
		    memcmp(funcs[i].name, name, nl) != 0)
			continue;
		int aline = line, acol = col;
		e = mk(p, E_CALL);
		e->fn = funcs[i].fn;
		if (!is(p, T_OP, ")")) {
			do {
				if (e->nargs == funcs[i].max)
					ERR(p, "%s takes at most %d argument%s",
					    funcs[i].name, funcs[i].max,
					    funcs[i].max > 1 ? "s" : "");
				e->args = xrealloc(e->args,
				    (e->nargs + 1) * sizeof(*e->args));
				e->args[e->nargs] = NULL;
				aline = p->tline;
				acol = p->tcol;
				e->args[e->nargs++] = expr_or(p);
			} while (accept(p, T_OP, ","));
		}
		if (e->nargs < funcs[i].min)
			perr(p, line, col, "%s takes at least %d argument%s",
			    funcs[i].name, funcs[i].min, funcs[i].min > 1 ? "s" : "");
		if (e->fn == F_TS) {
			/* the unit of a number: seconds unless named */
			e->agg = 0;
			if (e->nargs == 2) {
				const struct expr *u = e->args[1];
				size_t k, nu = sizeof(tsunits) / sizeof(tsunits[0]);
				for (k = 0; u->op == E_STR && k < nu; k++)
					if (strlen(tsunits[k].name) == u->lit.len &&
					    memcmp(tsunits[k].name, u->lit.s,
					    u->lit.len) == 0)
						break;
				if (u->op != E_STR || k == nu)
					perr(p, aline, acol, "the unit of ts is one of "
					    "\"s\", \"ms\", \"us\", \"ns\", \"days\"");
				e->agg = (int)k;
			}
		}
		expect(p, T_OP, ")", "',' or ')'");
		return e;
	}
	perr(p, line, col, "unknown function %.*s", (int)nl, name);
}

static struct expr *
unary(struct parser *p)
{
	if (accept(p, T_OP, "-"))
		return mk2(p, E_NEG, unary(p), NULL);
	return primary(p);
}

static struct expr *
mul(struct parser *p)
{
	struct expr *e = unary(p);

	for (;;) {
		if (accept(p, T_OP, "*"))
			e = mk2(p, E_MUL, e, unary(p));
		else if (accept(p, T_OP, "/"))
			e = mk2(p, E_DIV, e, unary(p));
		else if (accept(p, T_OP, "%"))
			e = mk2(p, E_MOD, e, unary(p));
		else
			return e;
	}
}

static struct expr *
add(struct parser *p)
{
	struct expr *e = mul(p);

	for (;;) {
		if (accept(p, T_OP, "+"))
			e = mk2(p, E_ADD, e, mul(p));
		else if (accept(p, T_OP, "-"))
			e = mk2(p, E_SUB, e, mul(p));
		else
			return e;
	}
}

static struct expr *
cmp(struct parser *p)
{
	static const struct { const char *s; enum op op; } ops[] = {
		{ "==", E_EQ }, { "!=", E_NE }, { "<", E_LT }, { "<=", E_LE },
		{ ">", E_GT }, { ">=", E_GE },
	};
	struct expr *e = add(p);

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (accept(p, T_OP, ops[i].s))
			return mk2(p, ops[i].op, e, add(p));
	if (is(p, T_OP, "=")) 
		ERR(p, "'=' is not a comparison: use '=='");
	if (accept(p, T_IDENT, "is")) {
		int neg = accept(p, T_IDENT, "not");
		expect(p, T_IDENT, "null", "'null' after 'is'");
		return mk2(p, neg ? E_NOTNULL : E_ISNULL, e, NULL);
	}
	int neg = 0;
	if (is(p, T_IDENT, "not")) {
		/* "x not in ..." */
		const char *sp = p->p;
		int sl = p->line, sc = p->col;
		next(p);
		if (!is(p, T_IDENT, "in"))
			ERR(p, "expected 'in' after 'not', found %s", tokdesc(p));
		(void)sp; (void)sl; (void)sc;
		neg = 1;
	}
	if (accept(p, T_IDENT, "in")) {
		struct expr *x = mk2(p, neg ? E_NOTIN : E_IN, e, NULL);
		if (is(p, T_OP, "[")) {
			x->set = new_set(p);
			set_items(p, x->set);
		} else if (p->t == T_IDENT) {
			x->set = find_set(p, p->ts, p->tl);
			if (x->set == NULL)
				ERR(p, "unknown list %s", tokdesc(p));
			if (p->rule)
				p->rule->hash ^= x->set->hash;
			next(p);
		} else {
			ERR(p, "expected '[' or a list name after 'in', found %s",
			    tokdesc(p));
		}
		return x;
	}
	return e;
}

static struct expr *
expr_not(struct parser *p)
{
	if (accept(p, T_IDENT, "not"))
		return mk2(p, E_NOT, expr_not(p), NULL);
	return cmp(p);
}

static struct expr *
expr_and(struct parser *p)
{
	struct expr *e = expr_not(p);

	while (accept(p, T_IDENT, "and"))
		e = mk2(p, E_AND, e, expr_not(p));
	return e;
}

static struct expr *
expr_or(struct parser *p)
{
	struct expr *e = expr_and(p);

	while (accept(p, T_IDENT, "or"))
		e = mk2(p, E_OR, e, expr_and(p));
	return e;
}

/* ---- statements ---- */

static char *
take_name(struct parser *p, const char *what)
{
	char *s;

	if (p->t == T_STR) {
		s = p->str;
		p->str = NULL;
	} else if (p->t == T_IDENT) {
		s = xstrndup(p->ts, p->tl);
	} else {
		ERR(p, "expected %s, found %s", what, tokdesc(p));
	}
	p->taken = s;
	next(p);
	p->taken = NULL;
	return s;
}

static double
duration(struct parser *p, const char *what)
{
	double d;

	if (p->t != T_DUR && p->t != T_NUM)
		ERR(p, "expected a duration for %s (like 10m, 24h, 7d), found %s",
		    what, tokdesc(p));
	if (p->t == T_NUM && p->num != 0)
		ERR(p, "a duration needs a unit (ms, s, m, h, d, w)");
	d = p->num;
	next(p);
	return d;
}

static void
rule_stmt(struct parser *p)
{
	struct rules *rs = p->rs;
	struct rule *r;
	const char *start = p->ts;
	int line = p->tline, col = p->tcol;
	int has_window = 0, has_suppress = 0, has_key = 0;
	struct expr *having = NULL;
	int hl = 0, hc = 0;

	next(p);
	if (p->t != T_IDENT || memchr(p->ts, '.', p->tl))
		ERR(p, "expected a rule name, found %s", tokdesc(p));
	for (int i = 0; i < rs->n; i++)
		if (strlen(rs->r[i].name) == p->tl &&
		    memcmp(rs->r[i].name, p->ts, p->tl) == 0)
			ERR(p, "rule %.*s is defined twice (first on line %d)",
			    (int)p->tl, p->ts, rs->r[i].line);
	rs->r = xrealloc(rs->r, (rs->n + 1) * sizeof(*rs->r));
	r = &rs->r[rs->n++];
	memset(r, 0, sizeof(*r));
	r->name = xstrndup(p->ts, p->tl);
	r->line = line;
	r->key_slot = -1;
	p->rule = r;
	next(p);
	expect(p, T_OP, "{", "'{'");
	while (!accept(p, T_OP, "}")) {
		int cl = p->tline, cc = p->tcol;

		if (p->t == T_EOF)
			perr(p, line, col, "rule %s: missing '}'", r->name);
		if (accept(p, T_IDENT, "severity")) {
			char *sev = take_name(p, "a severity");
			free(r->severity);
			r->severity = sev;
		} else if (accept(p, T_IDENT, "description")) {
			if (p->t != T_STR)
				ERR(p, "expected a string, found %s", tokdesc(p));
			char *desc = take_name(p, "a string");
			free(r->desc);
			r->desc = desc;
		} else if (accept(p, T_IDENT, "from")) {
			do {
				if (p->t != T_STR)
					ERR(p, "expected a stream name in quotes, found %s",
					    tokdesc(p));
				char *st = take_name(p, "a stream");
				r->streams = xrealloc(r->streams,
				    (r->nstreams + 1) * sizeof(char *));
				r->streamlen = xrealloc(r->streamlen,
				    (r->nstreams + 1) * sizeof(size_t));
				r->streamlen[r->nstreams] = strlen(st);
				r->streams[r->nstreams++] = st;
			} while (accept(p, T_OP, ","));
		} else if (accept(p, T_IDENT, "where")) {
			struct expr *w = expr_or(p);
			r->where = r->where ? mk2(p, E_AND, r->where, w) : w;
		} else if (accept(p, T_IDENT, "key")) {
			if (p->t != T_IDENT)
				ERR(p, "expected a field for 'key', found %s",
				    tokdesc(p));
			free(r->key_path);
			r->key_path = xstrndup(p->ts, p->tl);
			has_key = 1;
			next(p);
		} else if (accept(p, T_IDENT, "window")) {
			r->window = duration(p, "window");
			if (r->window <= 0)
				perr(p, cl, cc, "a window must be longer than 0");
			has_window = 1;
			if (accept(p, T_IDENT, "tumbling"))
				r->tumbling = 1;
			else
				accept(p, T_IDENT, "sliding");
		} else if (accept(p, T_IDENT, "having")) {
			if (having)
				perr(p, cl, cc, "rule %s: a second 'having'", r->name);
			hl = cl;
			hc = cc;
			p->agg_ok = 1;
			having = r->having = expr_or(p);
			p->agg_ok = 0;
		} else if (accept(p, T_IDENT, "score")) {
			p->agg_ok = 1;
			r->score = expr_or(p);
			p->agg_ok = 0;
		} else if (accept(p, T_IDENT, "suppress")) {
			r->suppress = duration(p, "suppress");
			has_suppress = 1;
		} else if (accept(p, T_IDENT, "sequence")) {
			if (r->seq_a)
				perr(p, cl, cc, "rule %s: a second 'sequence'",
				    r->name);
			r->seq_a = expr_or(p);
			expect(p, T_IDENT, "then", "'then'");
			r->seq_b = expr_or(p);
			expect(p, T_IDENT, "within", "'within'");
			r->within = duration(p, "within");
			if (r->within <= 0)
				perr(p, cl, cc, "'within' must be longer than 0");
		} else {
			ERR(p, "expected a clause (severity, description, from, "
			    "where, key, window, having, sequence, score, "
			    "suppress) or '}', found %s", tokdesc(p));
		}
	}
	if (r->seq_a && has_window)
		perr(p, line, col, "rule %s: a sequence rule has no window "
		    "('within' gives its span)", r->name);
	if (r->seq_a && having)
		perr(p, hl, hc, "rule %s: a sequence rule has no 'having'",
		    r->name);
	if (having && !has_window)
		perr(p, hl, hc, "rule %s: 'having' needs a window", r->name);
	if (!having && has_window)
		perr(p, line, col, "rule %s: a window needs 'having'", r->name);
	if (!has_window && !r->seq_a && r->naggs > 0)
		perr(p, line, col, "rule %s: aggregates need a window", r->name);
	r->stateful = has_window || r->seq_a;
	if (!has_key)
		r->key_path = xstrdup("customer_id");
	r->key_slot = jf_add(rs->jf, r->key_path);
	if (r->severity == NULL)
		r->severity = xstrdup("medium");
	if (!has_suppress)
		r->suppress = 0;
	r->hash ^= hash64(start, p->ts - start, 1);
	p->rule = NULL;
}

static void
stmt(struct parser *p)
{
	struct rules *rs = p->rs;

	if (is(p, T_IDENT, "rule")) {
		rule_stmt(p);
	} else if (accept(p, T_IDENT, "list")) {
		if (p->t != T_IDENT || memchr(p->ts, '.', p->tl))
			ERR(p, "expected a list name, found %s", tokdesc(p));
		if (find_set(p, p->ts, p->tl))
			ERR(p, "list %.*s is defined twice", (int)p->tl, p->ts);
		char *name = xstrndup(p->ts, p->tl);
		struct rset *s = new_set(p);
		s->name = name;
		next(p);
		expect(p, T_OP, "=", "'='");
		set_items(p, s);
	} else if (accept(p, T_IDENT, "lateness")) {
		rs->lateness = duration(p, "lateness");
	} else if (accept(p, T_IDENT, "time")) {
		char *stream = NULL;

		if (!accept(p, T_OP, "*")) {
			if (p->t != T_STR)
				ERR(p, "expected a stream name in quotes or '*', "
				    "found %s", tokdesc(p));
			stream = take_name(p, "a stream");
		}
		rs->tf = xrealloc(rs->tf, (rs->ntf + 1) * sizeof(*rs->tf));
		rs->tf[rs->ntf].stream = stream;
		rs->tf[rs->ntf++].slot = -1;
		if (p->t != T_IDENT)
			ERR(p, "expected a field, found %s", tokdesc(p));
		char *path = xstrndup(p->ts, p->tl);
		rs->tf[rs->ntf - 1].slot = jf_add(rs->jf, path);
		free(path);
		next(p);
	} else {
		ERR(p, "expected 'rule', 'list', 'time' or 'lateness', found %s",
		    tokdesc(p));
	}
}

struct rules *
rules_parse(const char *file, const char *text, size_t len, char *err,
    size_t errlen)
{
	struct parser p;
	struct rules *rs = xcalloc(1, sizeof(*rs));
	static const char *ids[] = { "cdr_id", "sdr_id", "usage_id",
		"event_id", NULL };

	char *copy = xmalloc(len + 1);

	memcpy(copy, text, len);
	copy[len] = '\0';
	memset(&p, 0, sizeof(p));
	p.file = file;
	p.src = p.p = copy;
	p.end = copy + len;
	p.line = p.col = 1;
	p.rs = rs;
	p.err = err;
	p.errlen = errlen;
	rs->file = xstrdup(file);
	rs->jf = jf_new();
	rs->lateness = 60;
	rs->topic_slot = jf_add(rs->jf, "_kafka.topic");
	rs->part_slot = jf_add(rs->jf, "_kafka.partition");
	rs->offset_slot = jf_add(rs->jf, "_kafka.offset");
	rs->customer_slot = jf_add(rs->jf, "customer_id");
	rs->msisdn_slot = jf_add(rs->jf, "msisdn");
	for (int i = 0; ids[i]; i++)
		rs->id_slots[rs->nid++] = jf_add(rs->jf, ids[i]);
	if (setjmp(p.jb)) {
		free(p.str);
		free(p.taken);
		free(copy);
		rules_free(rs);
		return NULL;
	}
	next(&p);
	while (p.t != T_EOF)
		stmt(&p);
	if (rs->n == 0)
		perr(&p, p.line, p.col, "no rules");
	/* default event time fields */
	int have_default = 0, have_cdr = 0;
	for (int i = 0; i < rs->ntf; i++) {
		if (rs->tf[i].stream == NULL)
			have_default = 1;
		else if (strcmp(rs->tf[i].stream, "telecom-cdr") == 0)
			have_cdr = 1;
	}
	if (!have_cdr) {
		rs->tf = xrealloc(rs->tf, (rs->ntf + 1) * sizeof(*rs->tf));
		rs->tf[rs->ntf].stream = xstrdup("telecom-cdr");
		rs->tf[rs->ntf++].slot = jf_add(rs->jf, "start_time");
	}
	if (!have_default) {
		rs->tf = xrealloc(rs->tf, (rs->ntf + 1) * sizeof(*rs->tf));
		rs->tf[rs->ntf].stream = NULL;
		rs->tf[rs->ntf++].slot = jf_add(rs->jf, "event_time");
	}
	free(p.str);
	free(copy);
	return rs;
}

struct rules *
rules_load(const char *path, char *err, size_t errlen)
{
	struct buf text;
	struct rules *rs;

	buf_init(&text);
	if (buf_read_file(&text, path) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		buf_free(&text);
		return NULL;
	}
	rs = rules_parse(path, text.p ? text.p : "", text.len, err, errlen);
	buf_free(&text);
	return rs;
}

void
rules_free(struct rules *rs)
{
	if (rs == NULL)
		return;
	for (int i = 0; i < rs->n; i++) {
		struct rule *r = &rs->r[i];
		free(r->name);
		free(r->severity);
		free(r->desc);
		for (int j = 0; j < r->nstreams; j++)
			free(r->streams[j]);
		free(r->streams);
		free(r->streamlen);
		free(r->key_path);
		for (int j = 0; j < r->naggs; j++)
			free(r->aggs[j].src);
		free(r->aggs);
		free(r->ev_slots);
	}
	free(rs->r);
	for (int i = 0; i < rs->nex; i++) {
		struct expr *e = rs->ex[i];
		if (e->op == E_STR)
			free((char *)e->lit.s);
		free(e->args);
		free(e);
	}
	free(rs->ex);
	for (int i = 0; i < rs->nsets; i++) {
		struct rset *s = rs->sets[i];
		for (int j = 0; j < s->n; j++)
			if (s->v[j].t == J_STR)
				free((char *)s->v[j].s);
		free(s->v);
		free(s->name);
		free(s);
	}
	free(rs->sets);
	for (int i = 0; i < rs->ntf; i++)
		free(rs->tf[i].stream);
	free(rs->tf);
	jf_free(rs->jf);
	free(rs->file);
	free(rs);
}

void
expr_fields(const struct expr *e, void (*fn)(int slot, void *arg), void *arg)
{
	if (e == NULL)
		return;
	if (e->op == E_FIELD)
		fn(e->slot, arg);
	expr_fields(e->a, fn, arg);
	expr_fields(e->b, fn, arg);
	for (int i = 0; i < e->nargs; i++)
		expr_fields(e->args[i], fn, arg);
}

/* ---- arena ---- */

void *
arena_alloc(struct arena *a, size_t n)
{
	n = (n + 7) & ~(size_t)7;
	if (a->n == 0 || a->used + n > a->size) {
		size_t sz = n > 8192 ? n : 8192;
		if (a->n == a->cap) {
			a->cap = a->cap ? a->cap * 2 : 8;
			a->blk = xrealloc(a->blk, a->cap * sizeof(*a->blk));
		}
		a->blk[a->n++] = xmalloc(sz);
		a->size = sz;
		a->used = 0;
	}
	a->used += n;
	return a->blk[a->n - 1] + a->used - n;
}

void
arena_reset(struct arena *a)
{
	if (a->n == 0)
		return;
	/* keep the last block only if it is the standard size */
	for (int i = 0; i < a->n - 1; i++)
		free(a->blk[i]);
	a->blk[0] = a->blk[a->n - 1];
	a->n = 1;
	a->used = 0;
}

void
arena_free(struct arena *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->blk[i]);
	free(a->blk);
	memset(a, 0, sizeof(*a));
}

/* ---- time and distance ---- */

static int
digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
parse_time(const char *s, size_t n, double *out)
{
	int y, mo, d, h = 0, mi = 0, se = 0;
	double frac = 0, off = 0;
	size_t i;

	if (n < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d) || mo < 1 || mo > 12 ||
	    d < 1 || d > 31)
		return -1;
	i = 10;
	if (i < n && (s[i] == 'T' || s[i] == ' ')) {
		if (n < i + 9 || digits(s + i + 1, 2, &h) || s[i + 3] != ':' ||
		    digits(s + i + 4, 2, &mi) || s[i + 6] != ':' ||
		    digits(s + i + 7, 2, &se) || h > 23 || mi > 59 || se > 60)
			return -1;
		i += 9;
		if (i < n && s[i] == '.') {
			double sc = 0.1;
			i++;
			if (i >= n || s[i] < '0' || s[i] > '9')
				return -1;
			while (i < n && s[i] >= '0' && s[i] <= '9') {
				frac += (s[i] - '0') * sc;
				sc /= 10;
				i++;
			}
		}
		if (i < n && s[i] == 'Z') {
			i++;
		} else if (i < n && (s[i] == '+' || s[i] == '-')) {
			int oh, om;
			if (n < i + 6 || digits(s + i + 1, 2, &oh) ||
			    s[i + 3] != ':' || digits(s + i + 4, 2, &om))
				return -1;
			off = (oh * 3600 + om * 60) * (s[i] == '+' ? 1 : -1);
			i += 6;
		}
	}
	if (i != n)
		return -1;
	*out = (double)days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
	    se + frac - off;
	return 0;
}

double
distance_km(double lat1, double lon1, double lat2, double lon2)
{
	const double r = 6371.0088, k = M_PI / 180;
	double dlat = (lat2 - lat1) * k, dlon = (lon2 - lon1) * k;
	double a = sin(dlat / 2) * sin(dlat / 2) +
	    cos(lat1 * k) * cos(lat2 * k) * sin(dlon / 2) * sin(dlon / 2);

	return 2 * r * asin(sqrt(a < 1 ? a : 1));
}

/* ---- evaluation ---- */

static const struct jval vnull = { J_NULL, 0, 0, NULL, 0 };

static struct jval
vnum(double n)
{
	struct jval v = { J_NUM, 0, n, NULL, 0 };

	if (!isfinite(n))
		v.t = J_NULL;
	return v;
}

static struct jval
vbool(int b)
{
	struct jval v = { J_BOOL, b != 0, 0, NULL, 0 };

	return v;
}

static struct jval
vstr(struct evctx *c, const char *s, size_t n)
{
	struct jval v = { J_STR, 0, 0, NULL, n };
	char *p = arena_alloc(c->ar, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	v.s = p;
	return v;
}

static inline int
veq(struct jval a, struct jval b)
{
	if (a.t != b.t)
		return 0;
	switch (a.t) {
	case J_NUM: return a.n == b.n;
	case J_BOOL: return a.b == b.b;
	case J_STR: case J_RAW:
		return a.len == b.len && buf_eq_short(a.s, b.s, a.len);
	default: return 1;
	}
}

/* -1, 0, 1, or 2 when not comparable */
static int
vcmp(struct jval a, struct jval b)
{
	if (a.t == J_NUM && b.t == J_NUM)
		return a.n < b.n ? -1 : a.n > b.n;
	if (a.t == J_STR && b.t == J_STR) {
		size_t l = a.len < b.len ? a.len : b.len;
		int r = memcmp(a.s, b.s, l);
		if (r == 0)
			return a.len < b.len ? -1 : a.len > b.len;
		return r < 0 ? -1 : 1;
	}
	if (a.t == J_BOOL && b.t == J_BOOL)
		return a.b < b.b ? -1 : a.b > b.b;
	return 2;
}

static double
tsval(struct jval v, int *ok)
{
	double t;

	*ok = 1;
	if (v.t == J_NUM)
		return v.n;
	if (v.t == J_STR && parse_time(v.s, v.len, &t) == 0)
		return t;
	*ok = 0;
	return 0;
}

static void
fmt_num(char *b, size_t n, double x)
{
	if (x == (double)(long long)x && fabs(x) < 1e15)
		snprintf(b, n, "%lld", (long long)x);
	else
		snprintf(b, n, "%.15g", x);
}

/* An operand: fields and literals without a call. */
static inline struct jval
operand(const struct expr *e, struct evctx *c)
{
	if (e->op == E_FIELD)
		return c->f[e->slot];
	if (e->op == E_STR || e->op == E_NUM || e->op == E_BOOL)
		return e->lit;
	return rules_eval(e, c);
}

static struct jval
call(const struct expr *e, struct evctx *c)
{
	struct jval a[16];	/* a[0..n) are set before they are read */
	int n = e->nargs;

	memset(a, 0, 4 * sizeof(a[0]));

	if (e->fn == F_IF) {
		a[0] = operand(e->args[0], c);
		return operand(e->args[jv_true(a[0]) ? 1 : 2], c);
	}
	if (e->fn == F_COALESCE) {
		for (int i = 0; i < n; i++) {
			a[0] = operand(e->args[i], c);
			if (a[0].t != J_NULL)
				return a[0];
		}
		return vnull;
	}
	for (int i = 0; i < n; i++)
		a[i] = operand(e->args[i], c);
	switch (e->fn) {
	case F_LOWER: case F_UPPER: {
		if (a[0].t != J_STR)
			return vnull;
		struct jval v = vstr(c, a[0].s, a[0].len);
		char *p = (char *)v.s;
		for (size_t i = 0; i < v.len; i++)
			if (e->fn == F_LOWER && p[i] >= 'A' && p[i] <= 'Z')
				p[i] += 32;
			else if (e->fn == F_UPPER && p[i] >= 'a' && p[i] <= 'z')
				p[i] -= 32;
		return v;
	}
	case F_LEN: {
		if (a[0].t != J_STR)
			return vnull;
		size_t k = 0;
		for (size_t i = 0; i < a[0].len; i++)
			k += ((unsigned char)a[0].s[i] & 0xC0) != 0x80;
		return vnum(k);
	}
	case F_SUBSTR: {
		if (a[0].t != J_STR || a[1].t != J_NUM ||
		    (n == 3 && a[2].t != J_NUM))
			return vnull;
		double st = floor(a[1].n), ln = n == 3 ? floor(a[2].n) : 1e18;
		if (st < 0)
			st = a[0].len + st < 0 ? 0 : a[0].len + st;
		if (st > a[0].len)
			st = a[0].len;
		if (ln < 0)
			ln = 0;
		if (st + ln > a[0].len)
			ln = a[0].len - st;
		return vstr(c, a[0].s + (size_t)st, (size_t)ln);
	}
	case F_CONTAINS: case F_STARTS: case F_ENDS:
		if (a[0].t != J_STR || a[1].t != J_STR)
			return vnull;
		if (a[1].len > a[0].len)
			return vbool(0);
		if (e->fn == F_STARTS)
			return vbool(memcmp(a[0].s, a[1].s, a[1].len) == 0);
		if (e->fn == F_ENDS)
			return vbool(memcmp(a[0].s + a[0].len - a[1].len, a[1].s,
			    a[1].len) == 0);
		return vbool(a[1].len == 0 ||
		    memmem(a[0].s, a[0].len, a[1].s, a[1].len) != NULL);
	case F_CONCAT: {
		size_t tot = 0;
		char nb[16][32];
		for (int i = 0; i < n; i++) {
			if (a[i].t == J_NUM) {
				fmt_num(nb[i], sizeof(nb[i]), a[i].n);
				a[i].s = nb[i];
				a[i].len = strlen(nb[i]);
			} else if (a[i].t == J_BOOL) {
				a[i].s = a[i].b ? "true" : "false";
				a[i].len = strlen(a[i].s);
			} else if (a[i].t != J_STR) {
				a[i].len = 0;
			}
			tot += a[i].len;
		}
		char *p = arena_alloc(c->ar, tot + 1);
		struct jval v = { J_STR, 0, 0, p, tot };
		for (int i = 0; i < n; i++) {
			if (a[i].len)
				memcpy(p, a[i].s, a[i].len);
			p += a[i].len;
		}
		*p = '\0';
		return v;
	}
	case F_ABS:
		return a[0].t == J_NUM ? vnum(fabs(a[0].n)) : vnull;
	case F_ROUND: {
		if (a[0].t != J_NUM || (n == 2 && a[1].t != J_NUM))
			return vnull;
		double m = n == 2 ? pow(10, floor(a[1].n)) : 1;
		return vnum(round(a[0].n * m) / m);
	}
	case F_FLOOR:
		return a[0].t == J_NUM ? vnum(floor(a[0].n)) : vnull;
	case F_CEIL:
		return a[0].t == J_NUM ? vnum(ceil(a[0].n)) : vnull;
	case F_LEAST: case F_GREATEST: {
		struct jval best = vnull;
		for (int i = 0; i < n; i++) {
			if (a[i].t == J_NULL)
				continue;
			if (best.t == J_NULL) {
				best = a[i];
				continue;
			}
			int r = vcmp(a[i], best);
			if (r == 2)
				return vnull;
			if ((e->fn == F_LEAST && r < 0) ||
			    (e->fn == F_GREATEST && r > 0))
				best = a[i];
		}
		return best;
	}
	case F_NUM: {
		if (a[0].t == J_NUM)
			return a[0];
		if (a[0].t == J_BOOL)
			return vnum(a[0].b);
		if (a[0].t != J_STR || a[0].len == 0 || a[0].len > 64)
			return vnull;
		char b[72], *end;
		memcpy(b, a[0].s, a[0].len);
		b[a[0].len] = '\0';
		double x = strtod(b, &end);
		return *end == '\0' ? vnum(x) : vnull;
	}
	case F_STR: {
		char b[40];
		if (a[0].t == J_STR)
			return a[0];
		if (a[0].t == J_NUM)
			fmt_num(b, sizeof(b), a[0].n);
		else if (a[0].t == J_BOOL)
			strcpy(b, a[0].b ? "true" : "false");
		else
			return vnull;
		return vstr(c, b, strlen(b));
	}
	case F_TS: {
		int ok;
		double t = tsval(a[0], &ok);
		if (ok && a[0].t == J_NUM)
			t = t * tsunits[e->agg].mul / tsunits[e->agg].div;
		return ok ? vnum(t) : vnull;
	}
	case F_HOUR: case F_WEEKDAY: case F_DATE: case F_ISO: {
		int ok;
		double t = tsval(a[0], &ok);
		if (!ok || fabs(t) > 1e13)
			return vnull;
		long long s = (long long)floor(t);
		long long days = (s >= 0 ? s : s - 86399) / 86400;
		if (e->fn == F_HOUR)
			return vnum((s - days * 86400) / 3600);
		if (e->fn == F_WEEKDAY)	/* 1970-01-01 was a Thursday (4) */
			return vnum(((days % 7 + 7 + 3) % 7) + 1);
		char b[32];
		iso8601_ms((long long)llround(t * 1000), b);
		if (e->fn == F_DATE)
			return vstr(c, b, 10);
		return vstr(c, b, strlen(b));
	}
	case F_DISTANCE:
		for (int i = 0; i < 4; i++)
			if (a[i].t != J_NUM)
				return vnull;
		return vnum(distance_km(a[0].n, a[1].n, a[2].n, a[3].n));
	}
	return vnull;
}

struct jval
rules_eval(const struct expr *e, struct evctx *c)
{
	struct jval a, b;

	switch (e->op) {
	case E_NUM: case E_STR: case E_BOOL:
		return e->lit;
	case E_NULL:
		return vnull;
	case E_FIELD:
		return c->f[e->slot];
	case E_TIME:
		return vnum(c->time);
	case E_STREAM:
		return c->stream;
	case E_ID:
		return c->id;
	case E_AGG:
		if (c->aggv == NULL)
			return vnull;
		if (c->agg_fill && !(c->aggdone >> e->agg & 1))
			c->agg_fill(c, e->agg);
		return c->aggv[e->agg];
	case E_NEG:
		a = operand(e->a, c);
		return a.t == J_NUM ? vnum(-a.n) : vnull;
	case E_NOT:
		a = operand(e->a, c);
		return a.t == J_BOOL ? vbool(!a.b) : vnull;
	case E_AND:
		a = operand(e->a, c);
		if (a.t == J_BOOL && !a.b)
			return a;
		b = operand(e->b, c);
		if (b.t == J_BOOL && !b.b)
			return b;
		if (a.t == J_BOOL && b.t == J_BOOL)
			return vbool(1);
		return vnull;
	case E_OR:
		a = operand(e->a, c);
		if (a.t == J_BOOL && a.b)
			return a;
		b = operand(e->b, c);
		if (b.t == J_BOOL && b.b)
			return b;
		if (a.t == J_BOOL && b.t == J_BOOL)
			return vbool(0);
		return vnull;
	case E_ADD: case E_SUB: case E_MUL: case E_DIV: case E_MOD:
		a = operand(e->a, c);
		b = operand(e->b, c);
		if (a.t != J_NUM || b.t != J_NUM)
			return vnull;
		switch (e->op) {
		case E_ADD: return vnum(a.n + b.n);
		case E_SUB: return vnum(a.n - b.n);
		case E_MUL: return vnum(a.n * b.n);
		case E_DIV: return b.n == 0 ? vnull : vnum(a.n / b.n);
		default: return b.n == 0 ? vnull : vnum(fmod(a.n, b.n));
		}
	case E_EQ: case E_NE:
		a = operand(e->a, c);
		b = operand(e->b, c);
		if (a.t == J_NULL || b.t == J_NULL)
			return vnull;
		return vbool(veq(a, b) == (e->op == E_EQ));
	case E_LT: case E_LE: case E_GT: case E_GE: {
		a = operand(e->a, c);
		b = operand(e->b, c);
		int r = vcmp(a, b);
		if (r == 2)
			return vnull;
		switch (e->op) {
		case E_LT: return vbool(r < 0);
		case E_LE: return vbool(r <= 0);
		case E_GT: return vbool(r > 0);
		default: return vbool(r >= 0);
		}
	}
	case E_IN: case E_NOTIN:
		a = operand(e->a, c);
		if (a.t == J_NULL)
			return vnull;
		for (int i = 0; i < e->set->n; i++)
			if (veq(a, e->set->v[i]))
				return vbool(e->op == E_IN);
		return vbool(e->op == E_NOTIN);
	case E_ISNULL:
		return vbool(operand(e->a, c).t == J_NULL);
	case E_NOTNULL:
		return vbool(operand(e->a, c).t != J_NULL);
	case E_CALL:
		return call(e, c);
	}
	return vnull;
}
