/* jvalid.c: a one-pass, allocation-free JSON validator (RFC 8259). */
#include "jvalid.h"

#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Bytes inside a string: 0 plain, 1 '"', 2 '\\', 3 control, 4 not ASCII. */
static const unsigned char sclass[256] = {
	[0x00 ... 0x1f] = 3,
	['"'] = 1,
	['\\'] = 2,
	[0x80 ... 0xff] = 4,
};

/* Hexadecimal digit values plus one; 0 for what is not a digit. */
static const unsigned char hex1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
	['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

#define ONES	0x0101010101010101ULL
#define HIGHS	0x8080808080808080ULL

/* Nonzero when one of the 8 bytes of w needs a look inside a string. */
static inline uint64_t
special8(uint64_t w)
{
	uint64_t q = w ^ (ONES * '"'), b = w ^ (ONES * '\\');

	return (w | ((w - ONES * 0x20) & ~w) | ((q - ONES) & ~q) |
	    ((b - ONES) & ~b)) & HIGHS;
}

/*
 * The first byte from p on that needs a look inside a string,
 * or e when there is none: 16 bytes at a time with SSE2, 8 at
 * a time elsewhere (the lowest byte flagged by special8 is always a true
 * one: a borrow only runs upward from a byte that matched).
 */
static inline const unsigned char *
skip_plain(const unsigned char *p, const unsigned char *e)
{
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
	const __m128i ctl = _mm_set1_epi8(0x1f);
	__m128i v;
	unsigned m;

	while (e - p >= 16) {
		v = _mm_loadu_si128((const __m128i *)(const void *)p);
		m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi8(v, quote),
		    _mm_cmpeq_epi8(v, bslash)),
		    _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(v, ctl), v), v)));
		if (m)
			return p + __builtin_ctz(m);
		p += 16;
	}
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	{
		uint64_t w, x;

		while (e - p >= 8) {
			memcpy(&w, p, 8);
			if ((x = special8(w)) != 0)
				return p + (__builtin_ctzll(x) >> 3);
			p += 8;
		}
	}
#else
	{
		uint64_t w;

		while (e - p >= 8) {
			memcpy(&w, p, 8);
			if (special8(w))
				break;
			p += 8;
		}
	}
#endif
	while (p < e && sclass[*p] == 0)
		p++;
	return p;
}

/* Four hex digits at p (p + 4 <= e checked by the caller); -1 if bad. */
static inline long
hex4(const unsigned char *p)
{
	unsigned a = hex1[p[0]], b = hex1[p[1]], c = hex1[p[2]], d = hex1[p[3]];

	if (a == 0 || b == 0 || c == 0 || d == 0)
		return -1;
	return (long)((a - 1) << 12 | (b - 1) << 8 | (c - 1) << 4 | (d - 1));
}

/*
 * Scan a string whose opening quote is just before p. Returns the byte
 * after the closing quote, or NULL with *at and *why set.
 */
static const unsigned char *
scan_string_rest(const unsigned char *p, const unsigned char *e,
    const unsigned char **at, const char **why, int *esc)
{
	long u, lo;
	unsigned c;

	for (;;) {
		p = skip_plain(p, e);
		if (p == e) {
			*why = "unterminated string";
			goto bad;
		}
		if (*p == '"')
			return p + 1;
		switch (sclass[*p]) {
		case 1:
			return p + 1;
		case 2:
			*esc = 1;
			if (e - p < 2) {
				*why = "unterminated string";
				goto bad;
			}
			switch (p[1]) {
			case '"': case '\\': case '/': case 'b': case 'f':
			case 'n': case 'r': case 't':
				p += 2;
				continue;
			case 'u':
				break;
			default:
				*why = "bad escape";
				goto bad;
			}
			if (e - p < 6 || (u = hex4(p + 2)) < 0) {
				*why = "bad \\u escape";
				goto bad;
			}
			if (u >= 0xdc00 && u <= 0xdfff) {
				*why = "lone low surrogate in \\u escape";
				goto bad;
			}
			if (u >= 0xd800 && u <= 0xdbff) {
				if (e - p < 12 || p[6] != '\\' || p[7] != 'u' ||
				    (lo = hex4(p + 8)) < 0xdc00 || lo > 0xdfff) {
					*why = "lone high surrogate in \\u escape";
					goto bad;
				}
				p += 12;
			} else
				p += 6;
			continue;
		case 3:
			*why = "control character in string";
			goto bad;
		default:
			c = *p;
			if (c < 0xc2 || c > 0xf4) {
				*why = "invalid UTF-8";
				goto bad;
			}
			if (c <= 0xdf) {
				if (e - p < 2 || (p[1] & 0xc0) != 0x80) {
					*why = "invalid UTF-8";
					goto bad;
				}
				p += 2;
			} else if (c <= 0xef) {
				if (e - p < 3 || (p[1] & 0xc0) != 0x80 ||
				    (p[2] & 0xc0) != 0x80 ||
				    (c == 0xe0 && p[1] < 0xa0) ||
				    (c == 0xed && p[1] >= 0xa0)) {
					*why = "invalid UTF-8";
					goto bad;
				}
				p += 3;
			} else {
				if (e - p < 4 || (p[1] & 0xc0) != 0x80 ||
				    (p[2] & 0xc0) != 0x80 ||
				    (p[3] & 0xc0) != 0x80 ||
				    (c == 0xf0 && p[1] < 0x90) ||
				    (c == 0xf4 && p[1] >= 0x90)) {
					*why = "invalid UTF-8";
					goto bad;
				}
				p += 4;
			}
			continue;
		}
	}
bad:
	*at = p;
	return NULL;
}

/* The usual string, plain ASCII up to its closing quote, inline. */
static inline __attribute__((always_inline)) const unsigned char *
scan_string(const unsigned char *p, const unsigned char *e,
    const unsigned char **at, const char **why, int *esc)
{
	const unsigned char *q = skip_plain(p, e);

	if (q < e && *q == '"')
		return q + 1;
	return scan_string_rest(q, e, at, why, esc);
}

#define ISDIGIT(c) ((unsigned)(c) - '0' < 10)

/* Scan a number starting at p; NULL with *at and *why set if bad. */
static const unsigned char *
scan_number(const unsigned char *p, const unsigned char *e,
    const unsigned char **at, const char **why)
{
	if (*p == '-')
		p++;
	if (p == e || !ISDIGIT(*p))
		goto bad;
	if (*p == '0')
		p++;
	else
		while (p < e && ISDIGIT(*p))
			p++;
	if (p < e && *p == '.') {
		p++;
		if (p == e || !ISDIGIT(*p))
			goto bad;
		while (p < e && ISDIGIT(*p))
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if (p == e || !ISDIGIT(*p))
			goto bad;
		while (p < e && ISDIGIT(*p))
			p++;
	}
	return p;
bad:
	*why = "bad number";
	*at = p;
	return NULL;
}

/* Skip whitespace from p, where there is some; note line breaks in *nl. */
static __attribute__((noinline)) const unsigned char *
skip_ws_rest(const unsigned char *p, const unsigned char *e, int *nl)
{
	while (p < e) {
		if (*p == ' ' || *p == '\t')
			p++;
		else if (*p == '\n' || *p == '\r') {
			*nl = 1;
			p++;
		} else
			break;
	}
	return p;
}

/*
 * Skip whitespace; note line breaks in *nl. Compact JSON has none, and
 * that case costs a comparison or two here.
 */
static inline __attribute__((always_inline)) const unsigned char *
skip_ws(const unsigned char *p, const unsigned char *e, int *nl)
{
	if (__builtin_expect(p < e && *p > ' ', 1))
		return p;
	return skip_ws_rest(p, e, nl);
}

/*
 * A value that is not an object or an array, at p (p < e): the byte after
 * it, or NULL with *at and *why set.
 */
static inline __attribute__((always_inline)) const unsigned char *
scan_scalar(const unsigned char *p, const unsigned char *e,
    const unsigned char **at, const char **why)
{
	int esc = 0;

	switch (*p) {
	case '"':
		return scan_string(p + 1, e, at, why, &esc);
	case 't':
		if (e - p < 4 || memcmp(p, "true", 4) != 0)
			break;
		return p + 4;
	case 'f':
		if (e - p < 5 || memcmp(p, "false", 5) != 0)
			break;
		return p + 5;
	case 'n':
		if (e - p < 4 || memcmp(p, "null", 4) != 0)
			break;
		return p + 4;
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return scan_number(p, e, at, why);
	default:
		*why = "unexpected character";
		*at = p;
		return NULL;
	}
	*why = "bad literal";
	*at = p;
	return NULL;
}

/*
 * The validator's machine: one value from p (not a blank), nested at
 * depth0. Returns the byte after it, or NULL with *at and *why set.
 * *empty is set when the value is an empty object or array; *nl when a
 * line break lies between its tokens.
 */
static const unsigned char *
machine(const unsigned char *p, const unsigned char *e, size_t depth0,
    int *nl, int *empty, const unsigned char **at, const char **why)
{
	const unsigned char *q;
	unsigned char stack[JV_MAX_DEPTH / 8];
	size_t depth = depth0;
	int esc = 0;

value:
	if (p == e) {
		*why = "unexpected end";
		goto bad;
	}
	switch (*p) {
	case '{':
	case '[':
		if (depth == JV_MAX_DEPTH) {
			*why = "nested too deep";
			goto bad;
		}
		if (*p == '{')
			stack[depth >> 3] |= (unsigned char)(1u << (depth & 7));
		else
			stack[depth >> 3] &= (unsigned char)~(1u << (depth & 7));
		depth++;
		q = p++;
		p = skip_ws(p, e, nl);
		if (p < e && *p == (*q == '{' ? '}' : ']')) {
			p++;
			if (--depth == depth0)
				*empty = 1;
			goto after;
		}
		if (*q == '[')
			goto value;
		goto key;
	default:
		if ((p = scan_scalar(p, e, at, why)) == NULL)
			return NULL;
		goto after;
	}

key:
	if (p == e || *p != '"') {
		*why = "expected a string as member name";
		goto bad;
	}
	if ((p = scan_string(p + 1, e, at, why, &esc)) == NULL)
		return NULL;
	p = skip_ws(p, e, nl);
	if (p == e || *p != ':') {
		*why = "expected ':'";
		goto bad;
	}
	p++;
	p = skip_ws(p, e, nl);
	goto value;

after:
	if (depth == depth0)
		return p;
	p = skip_ws(p, e, nl);
	if (p == e) {
		*why = "unexpected end";
		goto bad;
	}
	if (stack[(depth - 1) >> 3] & (1u << ((depth - 1) & 7))) {
		if (*p == ',') {
			p++;
			p = skip_ws(p, e, nl);
			goto key;
		}
		if (*p == '}') {
			p++;
			depth--;
			goto after;
		}
		*why = "expected ',' or '}'";
		goto bad;
	}
	if (*p == ',') {
		p++;
		p = skip_ws(p, e, nl);
		goto value;
	}
	if (*p == ']') {
		p++;
		depth--;
		goto after;
	}
	*why = "expected ',' or ']'";
bad:
	*at = p;
	return NULL;
}

/*
 * The members of a top-level object, its '{' at p: the machine's work at
 * depth 1 done here, noting each member, and nested values left to the
 * machine. The same verdicts and messages as the machine.
 */
static const unsigned char *
members(const unsigned char *b, const unsigned char *p,
    const unsigned char *e, int *nl, int *empty, struct jmember *m,
    size_t max, size_t *count, const unsigned char **at, const char **why)
{
	const unsigned char *k, *ke, *v, *q;
	size_t n = 0;
	int esc, dummy = 0;

	p = skip_ws(p + 1, e, nl);
	if (p < e && *p == '}') {
		*empty = 1;
		*count = 0;
		return p + 1;
	}
	for (;;) {
		if (p == e || *p != '"') {
			*why = "expected a string as member name";
			goto bad;
		}
		k = p;
		esc = 0;
		q = skip_plain(p + 1, e);
		if (__builtin_expect(e - q > 1 && q[0] == '"' && q[1] == ':', 1)) {
			/* compact JSON: a plain name, ':' right after it */
			ke = q + 1;
			p = q + 2;
		} else {
			if ((p = scan_string_rest(q, e, at, why, &esc)) == NULL)
				return NULL;
			ke = p;
			p = skip_ws(p, e, nl);
			if (p == e || *p != ':') {
				*why = "expected ':'";
				goto bad;
			}
			p++;
		}
		p = skip_ws(p, e, nl);
		if (p == e) {
			*why = "unexpected end";
			goto bad;
		}
		v = p;
		if (*p == '{' || *p == '[')
			p = machine(p, e, 1, nl, &dummy, at, why);
		else
			p = scan_scalar(p, e, at, why);
		if (p == NULL)
			return NULL;
		if (n < max) {
			m[n].ks = (size_t)(k - b);
			m[n].ke = (size_t)(ke - b);
			m[n].vs = (size_t)(v - b);
			m[n].ve = (size_t)(p - b);
			m[n].esc = esc;
		}
		n += n <= max;
		if (__builtin_expect(p < e && *p == ',', 1)) {
			p = skip_ws(p + 1, e, nl);
			continue;
		}
		p = skip_ws(p, e, nl);
		if (p == e) {
			*why = "unexpected end";
			goto bad;
		}
		if (*p == ',') {
			p = skip_ws(p + 1, e, nl);
			continue;
		}
		if (*p == '}') {
			*count = n;
			return p + 1;
		}
		*why = "expected ',' or '}'";
		goto bad;
	}
bad:
	*at = p;
	return NULL;
}

static enum jv_type
validate(const char *s, size_t n, struct jvalid *v, struct jmember *m,
    size_t max, size_t *nm)
{
	const unsigned char *b = (const unsigned char *)s, *e = b + n, *p = b;
	const unsigned char *at = NULL;
	const char *why = NULL;
	int nl = 0, outer = 0;	/* line breaks inside, around the value */
	size_t count = 0;

	if (m)
		*nm = 0;
	v->type = JV_INVALID;
	v->start = v->end = 0;
	v->empty = 0;
	v->newlines = 0;
	v->err = NULL;
	v->err_off = 0;

	p = skip_ws(p, e, &outer);
	if (p == e) {
		why = "no value";
		at = p;
		goto bad;
	}
	v->start = (size_t)(p - b);
	switch (*p) {
	case '{': v->type = JV_OBJECT; break;
	case '[': v->type = JV_ARRAY; break;
	case '"': v->type = JV_STRING; break;
	case 't': v->type = JV_TRUE; break;
	case 'f': v->type = JV_FALSE; break;
	case 'n': v->type = JV_NULL; break;
	default: v->type = JV_NUMBER; break;
	}
	if (m && *p == '{')
		p = members(b, p, e, &nl, &v->empty, m, max, &count, &at, &why);
	else
		p = machine(p, e, 0, &nl, &v->empty, &at, &why);
	if (p == NULL)
		goto bad;
	if (m)
		*nm = count;
	v->end = (size_t)(p - b);
	v->newlines = nl;
	p = skip_ws(p, e, &outer);
	if (p != e) {
		why = "garbage after the value";
		at = p;
		goto bad;
	}
	return v->type;

bad:
	if (m)
		*nm = 0;
	v->type = JV_INVALID;
	v->err = why;
	v->err_off = (size_t)(at - b);
	v->empty = 0;
	return JV_INVALID;
}

enum jv_type
jvalid(const char *s, size_t n, struct jvalid *v)
{
	return validate(s, n, v, NULL, 0, NULL);
}

enum jv_type
jvalid_members(const char *s, size_t n, struct jvalid *v, struct jmember *m,
    size_t max, size_t *nm)
{
	return validate(s, n, v, m, max, nm);
}

const char *
jv_type_name(enum jv_type t)
{
	static const char *const names[] = {
		"invalid", "object", "array", "string", "number", "true",
		"false", "null"
	};

	return (unsigned)t < sizeof names / sizeof names[0] ? names[t] :
	    "invalid";
}
