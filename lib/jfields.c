/* jfields.c: extract chosen fields from a JSON object in one pass. */
#include "jfields.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define JN_HASH 64

struct jnode {
	char *name;
	size_t nlen;
	int slot;		/* -1 when only a prefix */
	struct jnode *kids;
	int nkids;
	int head[JN_HASH];	/* kids by hash of their name, chained by */
	int hnext;		/* the next kid of the parent in its bucket */
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
	const char *p, *end;
	char *scratch;
	struct jval *vals;
	const char *err;
};

static inline void
ws(struct jp *j)
{
	while (j->p < j->end && (unsigned char)*j->p <= ' ' &&
	    (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

/* Some byte of x is a quote, a backslash or a control character. */
static inline uint64_t
special8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ULL, high = ones * 0x80;
	uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');

	return (((q - ones) & ~q) | ((b - ones) & ~b) |
	    ((x - ones * 0x20) & ~x)) & high;
}

/* The escapes of the string q..j->p-1 (its closing quote at j->p-1). */
static int __attribute__((noinline))
unescape(struct jp *j, const char *q, int want, const char **s, size_t *len)
{
	char *o = j->scratch, *o0 = o;
	const char *e = j->p - 1;

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
			if (cp >= 0xD800 && cp < 0xDC00 && e - q >= 6 &&
			    q[0] == '\\' && q[1] == 'u') {
				unsigned lo = 0;
				int ok = 1;
				for (int i = 2; i <= 5; i++) {
					int h = hex_digit(q[i]);
					if (h < 0)
						ok = 0;
					lo = lo << 4 | (h < 0 ? 0 : h);
				}
				if (ok && lo >= 0xDC00 && lo < 0xE000) {
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					q += 6;
				}
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
 * Scan a string at j->p (at the quote). With want, set s and len to its
 * text: in place when it has no escapes, else unescaped into scratch.
 */
static inline int
str(struct jp *j, int want, const char **s, size_t *len)
{
	const char *q = ++j->p;
	int esc = 0;

	for (;;) {
		uint64_t x, m;

		/* eight bytes at a time up to the first special one (the
		 * lowest bit set is exact; those above it may not be) */
		while (j->end - j->p >= 8) {
			memcpy(&x, j->p, 8);
			if ((m = special8(x)) != 0) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
				j->p += __builtin_ctzll(m) >> 3;
#endif
				break;
			}
			j->p += 8;
		}
		if (j->p >= j->end || *j->p == '"')
			break;
		unsigned char c = *j->p;

		if (c < 0x20) {
			j->err = "control character in string";
			return -1;
		}
		if (c == '\\') {
			esc = 1;
			j->p++;
			if (j->p >= j->end)
				break;
		}
		j->p++;
	}
	if (j->p >= j->end) {
		j->err = "unterminated string";
		return -1;
	}
	j->p++;
	if (esc)
		return unescape(j, q, want, s, len);
	if (want) {
		*s = q;
		*len = j->p - 1 - q;
	}
	return 0;
}

static int value(struct jp *j, const struct jnode *n, int depth);

static int
number(struct jp *j, int want, double *out)
{
	const char *q = j->p;

	if (*j->p == '-')
		j->p++;
	if (j->p >= j->end || *j->p < '0' || *j->p > '9')
		goto bad;
	if (*j->p == '0')
		j->p++;
	else
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			goto bad;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			goto bad;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (want) {
		/* fast path for plain integers and decimals */
		const char *r = q;
		int neg = 0;
		double v = 0;

		if (*r == '-') {
			neg = 1;
			r++;
		}
		while (r < j->p && *r >= '0' && *r <= '9')
			v = v * 10 + (*r++ - '0');
		if (r < j->p && *r == '.') {
			double scale = 1;
			r++;
			while (r < j->p && *r >= '0' && *r <= '9' && scale > 1e-15) {
				scale /= 10;
				v += (*r++ - '0') * scale;
			}
			while (r < j->p && *r >= '0' && *r <= '9')
				r++;
		}
		if (r < j->p || j->p - q > 17)
			v = strtod(q, NULL);
		else if (neg)
			v = -v;
		*out = v;
	}
	return 0;
bad:
	j->err = "bad number";
	return -1;
}

static int
lit(struct jp *j, const char *w, size_t n)
{
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0) {
		j->err = "unexpected character";
		return -1;
	}
	j->p += n;
	return 0;
}

static const struct jnode *
kid(const struct jnode *n, const char *k, size_t l)
{
	if (n == NULL)
		return NULL;
	for (int i = n->head[name_hash(k, l)]; i >= 0; i = n->kids[i].hnext) {
		const struct jnode *c = &n->kids[i];
		if (c->nlen == l && memcmp(c->name, k, l) == 0)
			return c;
	}
	return NULL;
}

static int
value(struct jp *j, const struct jnode *n, int depth)
{
	struct jval *v = n && n->slot >= 0 ? &j->vals[n->slot] : NULL;
	const char *start;

	if (depth > 128) {
		j->err = "nested too deep";
		return -1;
	}
	ws(j);
	if (j->p >= j->end) {
		j->err = "unexpected end of line";
		return -1;
	}
	start = j->p;
	switch (*j->p) {
	case '"':
		if (v) {
			v->t = J_STR;
			return str(j, 1, &v->s, &v->len);
		}
		return str(j, 0, NULL, NULL);
	case 't':
		if (lit(j, "true", 4) < 0)
			return -1;
		if (v) {
			v->t = J_BOOL;
			v->b = 1;
		}
		return 0;
	case 'f':
		if (lit(j, "false", 5) < 0)
			return -1;
		if (v) {
			v->t = J_BOOL;
			v->b = 0;
		}
		return 0;
	case 'n':
		if (lit(j, "null", 4) < 0)
			return -1;
		if (v)
			v->t = J_NULL;
		return 0;
	case '{':
		j->p++;
		ws(j);
		if (j->p < j->end && *j->p == '}') {
			j->p++;
			goto raw;
		}
		for (;;) {
			const char *k = NULL;
			size_t kl = 0;
			const struct jnode *c;

			ws(j);
			if (j->p >= j->end || *j->p != '"') {
				j->err = "expected a member name";
				return -1;
			}
			if (str(j, n && n->nkids, &k, &kl) < 0)
				return -1;
			c = kid(n, k, kl);
			ws(j);
			if (j->p >= j->end || *j->p != ':') {
				j->err = "expected ':'";
				return -1;
			}
			j->p++;
			if (value(j, c, depth + 1) < 0)
				return -1;
			ws(j);
			if (j->p < j->end && *j->p == ',') {
				j->p++;
				continue;
			}
			if (j->p < j->end && *j->p == '}') {
				j->p++;
				break;
			}
			j->err = "expected ',' or '}'";
			return -1;
		}
		goto raw;
	case '[':
		j->p++;
		ws(j);
		if (j->p < j->end && *j->p == ']') {
			j->p++;
			goto raw;
		}
		for (;;) {
			if (value(j, NULL, depth + 1) < 0)
				return -1;
			ws(j);
			if (j->p < j->end && *j->p == ',') {
				j->p++;
				continue;
			}
			if (j->p < j->end && *j->p == ']') {
				j->p++;
				break;
			}
			j->err = "expected ',' or ']'";
			return -1;
		}
		goto raw;
	default:
		if (v) {
			v->t = J_NUM;
			return number(j, 1, &v->n);
		}
		return number(j, 0, NULL);
	}
raw:
	if (v) {
		v->t = J_RAW;
		v->s = start;
		v->len = j->p - start;
	}
	return 0;
}

int
jf_extract(const struct jfields *jf, const char *line, size_t len,
    struct jval *vals, char *scratch, const char **err)
{
	struct jp j = { line, line + len, scratch, vals, NULL };

	memset(vals, 0, jf->npaths * sizeof(*vals));
	ws(&j);
	if (j.p >= j.end || *j.p != '{') {
		*err = "not a JSON object";
		return -1;
	}
	if (value(&j, &jf->root, 0) < 0) {
		*err = j.err;
		return -1;
	}
	ws(&j);
	if (j.p != j.end) {
		*err = "trailing characters after the object";
		return -1;
	}
	return 0;
}
