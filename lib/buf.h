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

/* Decimal text of v. */
void buf_put_u64(struct buf *b, unsigned long long v);
void buf_put_i64(struct buf *b, long long v);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* NUL-terminate without counting the NUL; returns b->p. */
char *buf_cstr(struct buf *b);

/*
 * Append s as a quoted JSON string. Bytes that are not valid UTF-8 are
 * written as U+FFFD, so check with utf8_valid first where that matters.
 */
void buf_json_str(struct buf *b, const char *s, size_t n);
/* The same when s is all ASCII, returning 1; otherwise 0, b unchanged. */
int buf_json_ascii(struct buf *b, const char *s, size_t n);

/* 1 if s[0..n) is valid UTF-8 (no overlongs, no surrogates), else 0. */
int utf8_valid(const char *s, size_t n);
/* Offset of the first invalid byte, or n when valid. */
size_t utf8_check(const char *s, size_t n);

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
