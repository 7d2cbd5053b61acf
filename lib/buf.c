/* buf.c: a growable byte buffer, JSON string escaping, UTF-8 checks. */
#include "buf.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void
buf_init(struct buf *b)
{
	b->p = NULL;
	b->len = b->cap = 0;
}

void
buf_free(struct buf *b)
{
	free(b->p);
	buf_init(b);
}

void
buf_grow(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (need <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 256;
	while (b->cap < need)
		b->cap *= 2;
	b->p = xrealloc(b->p, b->cap);
}

const char buf_digits2[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";

const unsigned long long buf_pow10[20] = { 1ULL, 10ULL, 100ULL, 1000ULL,
    10000ULL, 100000ULL, 1000000ULL, 10000000ULL, 100000000ULL,
    1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL,
    10000000000000ULL, 100000000000000ULL, 1000000000000000ULL,
    10000000000000000ULL, 100000000000000000ULL, 1000000000000000000ULL,
    10000000000000000000ULL };

void
buf_put_u64(struct buf *b, unsigned long long v)
{
	buf_reserve(b, 20);
	b->len += buf_u64_at(b->p + b->len, v);
}

void
buf_put_i64(struct buf *b, long long v)
{
	if (v < 0) {
		buf_putc(b, '-');
		buf_put_u64(b, 0ULL - (unsigned long long)v);
	} else
		buf_put_u64(b, (unsigned long long)v);
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *
buf_cstr(struct buf *b)
{
	buf_reserve(b, 0);
	b->p[b->len] = '\0';
	return b->p;
}

size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0)
			return 0;	/* overlong */
		if (c == 0xed && s[1] >= 0xa0)
			return 0;	/* surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && s[1] < 0x90)
			return 0;
		if (c == 0xf4 && s[1] >= 0x90)
			return 0;
		return 4;
	}
	return 0;
}

size_t
utf8_check(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n) {
		/* fast path over ASCII */
		while (i + 8 <= n) {
			unsigned long long w;
			memcpy(&w, p + i, 8);
			if (w & 0x8080808080808080ULL)
				break;
			i += 8;
		}
		if (i >= n)
			break;
		if ((k = utf8_seq(p + i, n - i)) == 0)
			return i;
		i += k;
	}
	return n;
}

int
utf8_valid(const char *s, size_t n)
{
	return utf8_check(s, n) == n;
}

/* 1 for the bytes a JSON string can hold as they are. */
static const unsigned char json_plain[256] = {
	['\x20'] = 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* " */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,	/* \\ */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/*
 * The quoted string at b's end; with ascii_only, stops at the first
 * non-ASCII byte and returns 0 with b as it was. Otherwise 1.
 */
static inline int
json_str(struct buf *b, const char *s, size_t n, int ascii_only)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;
	char *o;

	/* the worst case: every byte a \u00XX or a U+FFFD */
	buf_reserve(b, 6 * n + 2);
	o = b->p + b->len;
	*o++ = '"';
	while (i < n) {
		unsigned c;

		/* eight plain bytes at a time: none below 0x20, none a quote,
		 * a backslash or non-ASCII */
		while (i + 8 <= n) {
			uint64_t w;

			memcpy(&w, p + i, 8);
			if (buf_json_unplain8(w) & 0x8080808080808080ULL)
				break;
			memcpy(o, p + i, 8);
			o += 8;
			i += 8;
		}
		/* the last bytes, fewer than eight: one word ending at the
		 * string's end when those before i in it were copied as they
		 * are (all plain), else byte by byte */
		if (i < n && n >= 8 && n - i < 8) {
			uint64_t w;

			memcpy(&w, p + n - 8, 8);
			if (!(buf_json_unplain8(w) & 0x8080808080808080ULL)) {
				memcpy(o - (i - (n - 8)), &w, 8);
				o += n - i;
				break;
			}
		}
		while (i < n && json_plain[p[i]])
			*o++ = (char)p[i++];
		if (i >= n)
			break;
		c = p[i];
		if (c >= 0x80) {
			if (ascii_only)
				return 0;
			if ((k = utf8_seq(p + i, n - i)) == 0) {
				memcpy(o, "\xef\xbf\xbd", 3);
				o += 3;
				i++;
			} else {
				memcpy(o, p + i, k);
				o += k;
				i += k;
			}
			continue;
		}
		*o++ = '\\';
		switch (c) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '\n': *o++ = 'n'; break;
		case '\r': *o++ = 'r'; break;
		case '\t': *o++ = 't'; break;
		case '\b': *o++ = 'b'; break;
		case '\f': *o++ = 'f'; break;
		default:
			*o++ = 'u';
			*o++ = '0';
			*o++ = '0';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
		i++;
	}
	*o++ = '"';
	b->len = (size_t)(o - b->p);
	return 1;
}

void
buf_json_str_any(struct buf *b, const char *s, size_t n)
{
	json_str(b, s, n, 0);
}

int
buf_json_ascii_any(struct buf *b, const char *s, size_t n)
{
	return json_str(b, s, n, 1);
}

void
buf_base64(struct buf *b, const unsigned char *p, size_t n)
{
	static const char t[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	buf_reserve(b, (n + 2) / 3 * 4);
	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		char q[4] = { t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63] };
		buf_add(b, q, 4);
	}
	if (i < n) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0);
		char q[4] = { t[v >> 18], t[(v >> 12) & 63],
		    i + 1 < n ? t[(v >> 6) & 63] : '=', '=' };
		buf_add(b, q, 4);
	}
}

int
buf_write(const struct buf *b, FILE *fp)
{
	if (b->len && fwrite(b->p, 1, b->len, fp) != b->len)
		return -1;
	return 0;
}

int
buf_read_file(struct buf *b, const char *path)
{
	FILE *f = fopen(path, "rb");
	size_t n;
	int e;

	if (f == NULL)
		return -1;
	do {
		buf_reserve(b, 8192);
		n = fread(b->p + b->len, 1, b->cap - b->len - 1, f);
		b->len += n;
	} while (n > 0);
	if (ferror(f)) {
		e = errno;
		fclose(f);
		errno = e;
		return -2;
	}
	fclose(f);
	return 0;
}

int
buf_unbase64(struct buf *b, const char *s, size_t n)
{
	unsigned acc = 0;
	int bits = 0, v;
	size_t i;

	for (i = 0; i < n; i++) {
		char ch = s[i];
		if (ch == '=')
			break;
		if (ch >= 'A' && ch <= 'Z') v = ch - 'A';
		else if (ch >= 'a' && ch <= 'z') v = ch - 'a' + 26;
		else if (ch >= '0' && ch <= '9') v = ch - '0' + 52;
		else if (ch == '+' || ch == '-') v = 62;
		else if (ch == '/' || ch == '_') v = 63;
		else return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_putc(b, (char)((acc >> bits) & 0xff));
		}
	}
	for (; i < n; i++)
		if (s[i] != '=')
			return -1;
	return 0;
}
