/* buf.h: a growable byte buffer, JSON string escaping, UTF-8 checks. */
#ifndef TP_BUF_H
#define TP_BUF_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>

struct buf {
	char *p;
	size_t len, cap;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
/* Grow so that extra more bytes and a NUL fit (buf_reserve's slow path). */
void buf_grow(struct buf *b, size_t extra);
static inline void buf_reset(struct buf *b) { b->len = 0; }

static inline void
buf_reserve(struct buf *b, size_t extra)
{
	if (b->len + extra + 1 > b->cap)
		buf_grow(b, extra);
}

static inline void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;	/* p may be NULL then, which memcpy may not see */
	buf_reserve(b, n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static inline void
buf_putc(struct buf *b, char c)
{
	buf_reserve(b, 1);
	b->p[b->len++] = c;
}

/* inline, so that a literal's length is known when compiled */
static inline void
buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/*
 * For hot paths that make room once and then write at a pointer.
 */
extern const char buf_digits2[201];	/* "00" "01" ... "99" */
extern const unsigned long long buf_pow10[20];

/* The decimal digits of v at o (room for 20); returns their count. */
static inline size_t
buf_u64_at(char *o, unsigned long long v)
{
	/* about log10 from the bit length, then one comparison (v | 1:
	 * one digit for 0) */
	int t = (64 - __builtin_clzll(v | 1)) * 1233 >> 12;
	size_t n = (size_t)t + ((v | 1) >= buf_pow10[t]);
	char *e = o + n;

	while (v >= 100) {
		unsigned r = (unsigned)(v % 100);

		v /= 100;
		e -= 2;
		memcpy(e, buf_digits2 + 2 * r, 2);
	}
	if (v >= 10)
		memcpy(e - 2, buf_digits2 + 2 * v, 2);
	else
		e[-1] = (char)('0' + v);
	return n;
}

/*
 * The high bit of each byte of the 8 bytes w that a JSON string cannot
 * hold as it is (below 0x20, a quote, a backslash) or that is not ASCII;
 * the other bits are noise.
 */
static inline unsigned long long
buf_json_unplain8(unsigned long long w)
{
	unsigned long long lo, q, bs;

	lo = (w - 0x2020202020202020ULL) & ~w;
	q = w ^ 0x2222222222222222ULL;
	q = (q - 0x0101010101010101ULL) & ~q;
	bs = w ^ 0x5c5c5c5c5c5c5c5cULL;
	bs = (bs - 0x0101010101010101ULL) & ~bs;
	return lo | q | bs | w;
}

/* 1 when s[0..n) is ASCII that a JSON string holds as it is. */
static inline int
buf_json_plain(const char *s, size_t n)
{
	unsigned long long w, acc;
	size_t i;

	if (n >= 8) {
		acc = 0;
		for (i = 0; i + 8 <= n; i += 8) {
			memcpy(&w, s + i, 8);
			acc |= buf_json_unplain8(w);
		}
		if (i < n) {
			memcpy(&w, s + n - 8, 8);
			acc |= buf_json_unplain8(w);
		}
	} else if (n >= 4) {
		unsigned a, z;

		memcpy(&a, s, 4);
		memcpy(&z, s + n - 4, 4);
		acc = buf_json_unplain8(a | (unsigned long long)z << 32);
	} else {
		w = 0x6161616161616161ULL;	/* plain bytes, then s's */
		for (i = 0; i < n; i++)
			w = w << 8 | (unsigned char)s[i];
		acc = buf_json_unplain8(w);
	}
	return !(acc & 0x8080808080808080ULL);
}

/* memcpy for short runs (in words, overlapping when n is not one). */
static inline void
buf_copy_short(char *o, const char *s, size_t n)
{
	if (n > 16 && n <= 32) {
		struct { char c[16]; } a, z;

		memcpy(&a, s, 16);
		memcpy(&z, s + n - 16, 16);
		memcpy(o, &a, 16);
		memcpy(o + n - 16, &z, 16);
	} else if (n >= 8 && n <= 16) {
		unsigned long long a, z;

		memcpy(&a, s, 8);
		memcpy(&z, s + n - 8, 8);
		memcpy(o, &a, 8);
		memcpy(o + n - 8, &z, 8);
	} else if (n >= 4 && n < 8) {
		unsigned a, z;

		memcpy(&a, s, 4);
		memcpy(&z, s + n - 4, 4);
		memcpy(o, &a, 4);
		memcpy(o + n - 4, &z, 4);
	} else if (n < 4) {
		for (size_t i = 0; i < n; i++)
			o[i] = s[i];
	} else
		memcpy(o, s, n);
}

/* memcmp(a, b, n) == 0 for short runs (in words, overlapping). */
static inline int
buf_eq_short(const char *a, const char *b, size_t n)
{
	if (n >= 8 && n <= 16) {
		unsigned long long x, y, u, v;

		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		memcpy(&u, a + n - 8, 8);
		memcpy(&v, b + n - 8, 8);
		return ((x ^ y) | (u ^ v)) == 0;
	}
	if (n >= 4 && n < 8) {
		unsigned x, y, u, v;

		memcpy(&x, a, 4);
		memcpy(&y, b, 4);
		memcpy(&u, a + n - 4, 4);
		memcpy(&v, b + n - 4, 4);
		return ((x ^ y) | (u ^ v)) == 0;
	}
	if (n < 4) {
		for (size_t i = 0; i < n; i++)
			if (a[i] != b[i])
				return 0;
		return 1;
	}
	return memcmp(a, b, n) == 0;
}

/* Decimal text of v. */
void buf_put_u64(struct buf *b, unsigned long long v);
void buf_put_i64(struct buf *b, long long v);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* NUL-terminate without counting the NUL; returns b->p. */
char *buf_cstr(struct buf *b);

/* buf_json_str and buf_json_ascii for any string (buf.c) */
void buf_json_str_any(struct buf *b, const char *s, size_t n);
int buf_json_ascii_any(struct buf *b, const char *s, size_t n);

/*
 * A short string (16 bytes at most) that a JSON string holds as it is,
 * quoted at b's end in place: most values are, and a call and the room
 * for the worst case are most of their cost. 1 when it was, else 0.
 */
static inline int
buf_json_short_plain(struct buf *b, const char *s, size_t n)
{
	char *o;

	if (n > 16 || !buf_json_plain(s, n))
		return 0;
	buf_reserve(b, n + 2);
	o = b->p + b->len;
	o[0] = '"';
	buf_copy_short(o + 1, s, n);
	o[n + 1] = '"';
	b->len += n + 2;
	return 1;
}

/*
 * Append s as a quoted JSON string. Bytes that are not valid UTF-8 are
 * written as U+FFFD, so check with utf8_valid first where that matters.
 */
static inline void
buf_json_str(struct buf *b, const char *s, size_t n)
{
	if (!buf_json_short_plain(b, s, n))
		buf_json_str_any(b, s, n);
}

/* The same when s is all ASCII, returning 1; otherwise 0, b unchanged. */
static inline int
buf_json_ascii(struct buf *b, const char *s, size_t n)
{
	return buf_json_short_plain(b, s, n) || buf_json_ascii_any(b, s, n);
}

/* 1 if s[0..n) is valid UTF-8 (no overlongs, no surrogates), else 0. */
int utf8_valid(const char *s, size_t n);
/* Offset of the first invalid byte, or n when valid. */
size_t utf8_check(const char *s, size_t n);
/* Length of the valid UTF-8 sequence at s (1..4; n > 0), or 0 if invalid. */
size_t utf8_seq(const unsigned char *s, size_t n);

/* Standard base64 (RFC 4648) of n bytes, appended. */
void buf_base64(struct buf *b, const unsigned char *p, size_t n);
/* Append the bytes of base64 text s[0..n) (standard or URL-safe, padding
 * optional); 0, or -1 when it is not base64. */
int buf_unbase64(struct buf *b, const char *s, size_t n);
/*
 * Append the whole file at path to b. Returns 0; -1 when it cannot be
 * opened, -2 when reading it fails (errno tells why, b holds what was read).
 */
int buf_read_file(struct buf *b, const char *path);

/* Write the whole buffer to fp; returns 0 or -1 (errno set). */
int buf_write(const struct buf *b, FILE *fp);

#endif
