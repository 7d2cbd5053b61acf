/* jfields.c: extract chosen fields from a JSON object in one pass. */
#include "jfields.h"
#include "buf.h"
#include "util.h"

#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

#define JN_HASH 64

#define JN_SEEN 64	/* members of an object whose names are kept */

/*
 * The name of an object's member m in the line before, and its kid (NULL:
 * none): lines of one producer name their members in one order, so the
 * name is most often the same, and found without a look in the table.
 */
struct jseen {
	const struct jnode *kid;
	size_t len;		/* > 16: none */
	char name[16];
};

struct jnode {
	char *name;
	size_t nlen;
	int slot;		/* -1 when only a prefix */
	struct jnode *kids;
	int nkids;
	int head[JN_HASH];	/* kids by hash of their name, chained by */
	int hnext;		/* the next kid of the parent in its bucket */
	struct jseen *seen;	/* JN_SEEN of them, with kids */
};

static inline unsigned
name_hash(const char *k, size_t l)
{
	if (l == 0)
		return 0;
	return (unsigned)(l * 7 + (unsigned char)k[0] * 3 +
	    (unsigned char)k[l - 1]) & (JN_HASH - 1);
}

static void
node_rehash(struct jnode *n)
{
	if (n->nkids > 0 && n->seen == NULL)
		n->seen = xmalloc(JN_SEEN * sizeof(*n->seen));
	/* its kids may have moved */
	for (int i = 0; n->seen != NULL && i < JN_SEEN; i++)
		n->seen[i].len = SIZE_MAX;
	for (int i = 0; i < JN_HASH; i++)
		n->head[i] = -1;
	for (int i = n->nkids - 1; i >= 0; i--) {
		unsigned h = name_hash(n->kids[i].name, n->kids[i].nlen);
		n->kids[i].hnext = n->head[h];
		n->head[h] = i;
	}
}

struct jfields {
	struct jnode root;
	char **paths;
	int npaths;
};

struct jfields *
jf_new(void)
{
	struct jfields *jf = xcalloc(1, sizeof(*jf));

	jf->root.slot = -1;
	node_rehash(&jf->root);
	return jf;
}

static void
node_free(struct jnode *n)
{
	for (int i = 0; i < n->nkids; i++)
		node_free(&n->kids[i]);
	free(n->kids);
	free(n->name);
	free(n->seen);
}

void
jf_free(struct jfields *jf)
{
	if (jf == NULL)
		return;
	node_free(&jf->root);
	for (int i = 0; i < jf->npaths; i++)
		free(jf->paths[i]);
	free(jf->paths);
	free(jf);
}

int
jf_count(const struct jfields *jf)
{
	return jf->npaths;
}

const char *
jf_path(const struct jfields *jf, int slot)
{
	return jf->paths[slot];
}

int
jf_add(struct jfields *jf, const char *path)
{
	struct jnode *n = &jf->root;
	const char *p = path;

	for (int i = 0; i < jf->npaths; i++)
		if (strcmp(jf->paths[i], path) == 0)
			return i;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		struct jnode *k = NULL;

		for (int i = 0; i < n->nkids; i++)
			if (n->kids[i].nlen == l && memcmp(n->kids[i].name, p, l) == 0)
				k = &n->kids[i];
		if (k == NULL) {
			n->kids = xrealloc(n->kids, (n->nkids + 1) * sizeof(*n->kids));
			k = &n->kids[n->nkids++];
			memset(k, 0, sizeof(*k));
			k->name = xstrndup(p, l);
			k->nlen = l;
			k->slot = -1;
			node_rehash(k);
			node_rehash(n);
		}
		n = k;
		if (dot == NULL)
			break;
		p = dot + 1;
	}
	jf->paths = xrealloc(jf->paths, (jf->npaths + 1) * sizeof(*jf->paths));
	jf->paths[jf->npaths] = xstrdup(path);
	n->slot = jf->npaths;
	return jf->npaths++;
}

struct jp {
	const char *end;
	char *scratch;
	struct jval *vals;
	const char *err;
};

/* Blanks are rare in JSON lines: one test when there are none. */
static inline const char *
ws(const char *p, const char *end)
{
	if (p < end && (unsigned char)*p <= ' ')
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
		    *p == '\r'))
			p++;
	return p;
}

/* Some byte of x is a quote, a backslash, a control character or not ASCII. */
static inline uint64_t
special8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ULL, high = ones * 0x80;
	uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');

	return (x | ((q - ones) & ~q) | ((b - ones) & ~b) |
	    ((x - ones * 0x20) & ~x)) & high;
}

/*
 * The first quote, backslash, control character or byte that is not ASCII
 * from p on, or end.
 */
static inline __attribute__((always_inline)) const char *
find_special(const char *p, const char *end)
{
#ifdef __SSE2__
	while (end - p >= 16) {
		__m128i y = _mm_loadu_si128((const __m128i *)p);
		__m128i sp = _mm_or_si128(_mm_or_si128(
		    _mm_cmpeq_epi8(y, _mm_set1_epi8('"')),
		    _mm_cmpeq_epi8(y, _mm_set1_epi8('\\'))),
		    _mm_cmpeq_epi8(_mm_min_epu8(y, _mm_set1_epi8(0x1f)), y));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(sp, y));
		if (m != 0)
			return p + __builtin_ctz(m);
		p += 16;
	}
#endif
	/* the lowest bit set is exact; those above it may not be */
	while (end - p >= 8) {
		uint64_t x, m;
		memcpy(&x, p, 8);
		if ((m = special8(x)) != 0) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			return p + (__builtin_ctzll(m) >> 3);
#else
			break;
#endif
		}
		p += 8;
	}
	while (p < end && *p != '"' && *p != '\\' &&
	    (unsigned char)*p >= 0x20 && (unsigned char)*p < 0x80)
		p++;
	return p;
}

/* The text of the string q..e (e at its closing quote), escapes checked. */
static int __attribute__((noinline))
unescape(struct jp *j, const char *q, const char *e, int want,
    const char **s, size_t *len)
{
	char *o = j->scratch, *o0 = o;

	while (q < e) {
		if (*q != '\\') {
			*o++ = *q++;
			continue;
		}
		q++;
		switch (*q) {
		case '"': case '\\': case '/': *o++ = *q++; break;
		case 'b': *o++ = '\b'; q++; break;
		case 'f': *o++ = '\f'; q++; break;
		case 'n': *o++ = '\n'; q++; break;
		case 'r': *o++ = '\r'; q++; break;
		case 't': *o++ = '\t'; q++; break;
		case 'u': {
			unsigned cp = 0;

			if (e - q < 5) {
				j->err = "bad \\u escape";
				return -1;
			}
			for (int i = 1; i <= 4; i++) {
				int h = hex_digit(q[i]);
				if (h < 0) {
					j->err = "bad \\u escape";
					return -1;
				}
				cp = cp << 4 | h;
			}
			q += 5;
			if (cp >= 0xDC00 && cp < 0xE000) {
				j->err = "lone low surrogate in \\u escape";
				return -1;
			}
			if (cp >= 0xD800 && cp < 0xDC00) {
				unsigned lo = 0;
				int ok = e - q >= 6 && q[0] == '\\' && q[1] == 'u';
				for (int i = 2; ok && i <= 5; i++) {
					int h = hex_digit(q[i]);
					if (h < 0)
						ok = 0;
					lo = lo << 4 | (h < 0 ? 0 : h);
				}
				if (!ok || lo < 0xDC00 || lo >= 0xE000) {
					j->err = "lone high surrogate in \\u escape";
					return -1;
				}
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				q += 6;
			}
			o = utf8_put(o, cp);
			break;
		}
		default:
			j->err = "bad escape in string";
			return -1;
		}
	}
	if (want) {
		*s = o0;
		*len = o - o0;
		*o++ = '\0';
		j->scratch = o;
	}
	return 0;
}

/*
 * Scan a string at p (at the quote); returns what follows it, NULL with
 * j->err. With want, set s and len to its text: in place when it has no
 * escapes, else unescaped into scratch.
 */
static inline __attribute__((always_inline)) const char *
str(struct jp *j, const char *p, int want, const char **s, size_t *len)
{
	const char *q = ++p, *end = j->end;
	int esc = 0;

	for (;;) {
		p = find_special(p, end);
		if (p >= end || *p == '"')
			break;
		if ((unsigned char)*p >= 0x80) {
			size_t k = utf8_seq((const unsigned char *)p,
			    (size_t)(end - p));
			if (k == 0) {
				j->err = "invalid UTF-8";
				return NULL;
			}
			p += k;
			continue;
		}
		if ((unsigned char)*p < 0x20) {
			j->err = "control character in string";
			return NULL;
		}
		/* a backslash and the byte it escapes */
		esc = 1;
		if (++p >= end)
			break;
		p++;
	}
	if (p >= end) {
		j->err = "unterminated string";
		return NULL;
	}
	if (esc)
		return unescape(j, q, p, want, s, len) < 0 ? NULL : p + 1;
	if (want) {
		*s = q;
		*len = p - q;
	}
	return p + 1;
}

static inline int
digit(const char *p, const char *end)
{
	return p < end && *p >= '0' && *p <= '9';
}

/* Powers of ten a double holds exactly. */
static const double exact10[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
	1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/*
 * A number at p, checked and, with want, read in the same pass: up to 15
 * digits without an exponent are an exact integer over an exact power of
 * ten, so one division rounds as strtod does; others go to strtod.
 */
static const char *
number(struct jp *j, const char *p, int want, double *out)
{
	const char *q = p, *end = j->end;
	uint64_t m = 0;
	int nd = 0, frac = 0, neg = 0, exp = 0;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (!digit(p, end))
		goto bad;
	if (*p == '0')
		p++;
	else
		for (; digit(p, end); p++, nd++)
			m = m * 10 + (uint64_t)(*p - '0');
	if (p < end && *p == '.') {
		p++;
		if (!digit(p, end))
			goto bad;
		for (; digit(p, end); p++, nd++, frac++)
			m = m * 10 + (uint64_t)(*p - '0');
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		exp = 1;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (!digit(p, end))
			goto bad;
		while (digit(p, end))
			p++;
	}
	if (want) {
		double v;
		if (!exp && nd <= 15) {
			v = (double)m / exact10[frac];
			*out = neg ? -v : v;
		} else {
			*out = strtod(q, NULL);
		}
	}
	return p;
bad:
	j->err = "bad number";
	return NULL;
}

static const char *
lit(struct jp *j, const char *p, const char *w, size_t n)
{
	if ((size_t)(j->end - p) < n || memcmp(p, w, n) != 0) {
		j->err = "unexpected character";
		return NULL;
	}
	return p + n;
}

static inline const struct jnode *
kid(const struct jnode *n, const char *k, size_t l)
{
	for (int i = n->head[name_hash(k, l)]; i >= 0; i = n->kids[i].hnext) {
		const struct jnode *c = &n->kids[i];
		if (c->nlen == l && buf_eq_short(c->name, k, l))
			return c;
	}
	return NULL;
}

/*
 * The value at p (blanks before it skipped); n is its node of the paths
 * asked for, or NULL. Returns what follows it, NULL with j->err.
 */
static const char *
value(struct jp *j, const char *p, const struct jnode *n, int depth)
{
	struct jval *v = n && n->slot >= 0 ? &j->vals[n->slot] : NULL;
	const char *start, *end = j->end;

	if (depth > 128) {
		j->err = "nested too deep";
		return NULL;
	}
	p = ws(p, end);
	if (p >= end) {
		j->err = "unexpected end of line";
		return NULL;
	}
	start = p;
	switch (*p) {
	case '"':
		if (v) {
			v->t = J_STR;
			return str(j, p, 1, &v->s, &v->len);
		}
		return str(j, p, 0, NULL, NULL);
	case 't':
		if ((p = lit(j, p, "true", 4)) == NULL)
			return NULL;
		if (v) {
			v->t = J_BOOL;
			v->b = 1;
		}
		return p;
	case 'f':
		if ((p = lit(j, p, "false", 5)) == NULL)
			return NULL;
		if (v) {
			v->t = J_BOOL;
			v->b = 0;
		}
		return p;
	case 'n':
		if ((p = lit(j, p, "null", 4)) == NULL)
			return NULL;
		if (v)
			v->t = J_NULL;
		return p;
	case '{': {
		/* names are looked up only where paths go on below */
		int look = n && n->nkids;

		p = ws(p + 1, end);
		if (p < end && *p == '}') {
			p++;
			goto raw;
		}
		for (int m = 0;; m++) {
			const char *k = NULL;
			size_t kl = 0;
			const struct jnode *c = NULL;

			p = ws(p, end);
			if (p >= end || *p != '"') {
				j->err = "expected a member name";
				return NULL;
			}
			if ((p = str(j, p, look, &k, &kl)) == NULL)
				return NULL;
			if (look) {
				struct jseen *e = m < JN_SEEN ? &n->seen[m] : NULL;
				if (e != NULL && e->len == kl &&
				    buf_eq_short(e->name, k, kl)) {
					c = e->kid;
				} else {
					c = kid(n, k, kl);
					if (e != NULL && kl <= sizeof(e->name)) {
						e->kid = c;
						e->len = kl;
						memcpy(e->name, k, kl);
					}
				}
			}
			if (p < end && *p != ':')
				p = ws(p, end);
			if (p >= end || *p != ':') {
				j->err = "expected ':'";
				return NULL;
			}
			p++;
			/* the common values without a call */
			if (c == NULL && p < end && *p == '"' && depth < 128) {
				if ((p = str(j, p, 0, NULL, NULL)) == NULL)
					return NULL;
			} else if ((p = value(j, p, c, depth + 1)) == NULL) {
				return NULL;
			}
			if (p < end && *p != ',')
				p = ws(p, end);
			if (p < end && *p == ',') {
				p++;
				continue;
			}
			if (p < end && *p == '}') {
				p++;
				break;
			}
			j->err = "expected ',' or '}'";
			return NULL;
		}
		goto raw;
	}
	case '[':
		p = ws(p + 1, end);
		if (p < end && *p == ']') {
			p++;
			goto raw;
		}
		for (;;) {
			if ((p = value(j, p, NULL, depth + 1)) == NULL)
				return NULL;
			p = ws(p, end);
			if (p < end && *p == ',') {
				p++;
				continue;
			}
			if (p < end && *p == ']') {
				p++;
				break;
			}
			j->err = "expected ',' or ']'";
			return NULL;
		}
		goto raw;
	default:
		if (v) {
			v->t = J_NUM;
			return number(j, p, 1, &v->n);
		}
		return number(j, p, 0, NULL);
	}
raw:
	if (v) {
		v->t = J_RAW;
		v->s = start;
		v->len = p - start;
	}
	return p;
}

int
jf_extract(const struct jfields *jf, const char *line, size_t len,
    struct jval *vals, char *scratch, const char **err)
{
	struct jp j = { line + len, scratch, vals, NULL };
	const char *p;

	memset(vals, 0, jf->npaths * sizeof(*vals));
	p = ws(line, j.end);
	if (p >= j.end || *p != '{') {
		*err = "not a JSON object";
		return -1;
	}
	if ((p = value(&j, p, &jf->root, 0)) == NULL) {
		*err = j.err;
		return -1;
	}
	p = ws(p, j.end);
	if (p != j.end) {
		*err = "trailing characters after the object";
		return -1;
	}
	return 0;
}
