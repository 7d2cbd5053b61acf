/*
 * buf: unit tests of lib/buf.c, against plain reference versions.
 *   buf ints        buf_put_u64/buf_put_i64 against printf
 *   buf short       buf_eq_short and buf_copy_short against memcmp and
 *                   memcpy, every length to 40, a difference at each byte
 *   buf json N SEED N random byte strings: buf_json_str and
 *                   buf_json_ascii against a byte-at-a-time escaper,
 *                   utf8_check against a decoder
 * Prints what failed and exits 1 when something did.
 */
#include "buf.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int failures;

static void
fail(const char *what, const unsigned char *s, size_t n, const struct buf *got,
    const struct buf *want)
{
	fprintf(stderr, "%s: input", what);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, " %02x", s[i]);
	fprintf(stderr, "\n  got  %.*s\n  want %.*s\n", (int)got->len, got->p,
	    (int)want->len, want->p);
	failures++;
}

static int
run_ints(void)
{
	static const unsigned long long u[] = { 0, 1, 9, 10, 11, 99, 100, 101,
	    999, 1000, 4294967295ULL, 4294967296ULL, 9999999999999999999ULL,
	    10000000000000000000ULL, 18446744073709551615ULL };
	static const long long s[] = { 0, -1, 1, -9, -10, -99, -100,
	    9223372036854775807LL, -9223372036854775807LL - 1 };
	struct buf got, want;
	char t[32];
	long n = 0;

	buf_init(&got);
	buf_init(&want);
	for (size_t i = 0; i < sizeof u / sizeof *u; i++, n++) {
		buf_reset(&got);
		buf_put_u64(&got, u[i]);
		buf_reset(&want);
		buf_printf(&want, "%llu", u[i]);
		if (got.len != want.len || memcmp(got.p, want.p, got.len))
			fail("u64", (const unsigned char *)"", 0, &got, &want);
	}
	for (size_t i = 0; i < sizeof s / sizeof *s; i++, n++) {
		buf_reset(&got);
		buf_put_i64(&got, s[i]);
		snprintf(t, sizeof t, "%lld", s[i]);
		if (strcmp(buf_cstr(&got), t) != 0) {
			buf_reset(&want);
			buf_puts(&want, t);
			fail("i64", (const unsigned char *)"", 0, &got, &want);
		}
	}
	/* every power of ten, and its neighbours */
	for (unsigned long long p = 1; p <= 1000000000000000000ULL; p *= 10) {
		for (long long d = -1; d <= 1; d++, n++) {
			long long v = (long long)p + d;
			buf_reset(&got);
			buf_put_i64(&got, -v);
			snprintf(t, sizeof t, "%lld", -v);
			if (strcmp(buf_cstr(&got), t) != 0) {
				buf_reset(&want);
				buf_puts(&want, t);
				fail("i64", (const unsigned char *)"", 0, &got, &want);
			}
		}
	}
	buf_free(&got);
	buf_free(&want);
	printf("%ld numbers, %d failed\n", n, failures);
	return failures ? 1 : 0;
}

/* The length of a valid UTF-8 sequence at s, or 0; written from RFC 3629's
 * table, independently of lib/buf.c. */
static size_t
ref_seq(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t k;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		k = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		k = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		k = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < k)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) ||
	    (k == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return k;
}

static void
ref_json(struct buf *b, const unsigned char *s, size_t n)
{
	char u[8];

	buf_putc(b, '"');
	for (size_t i = 0; i < n;) {
		size_t k = ref_seq(s + i, n - i);
		if (k == 0) {
			buf_puts(b, "\xef\xbf\xbd");
			i++;
			continue;
		}
		if (k > 1) {
			buf_add(b, s + i, k);
			i += k;
			continue;
		}
		switch (s[i]) {
		case '"': buf_puts(b, "\\\""); break;
		case '\\': buf_puts(b, "\\\\"); break;
		case '\n': buf_puts(b, "\\n"); break;
		case '\r': buf_puts(b, "\\r"); break;
		case '\t': buf_puts(b, "\\t"); break;
		case '\b': buf_puts(b, "\\b"); break;
		case '\f': buf_puts(b, "\\f"); break;
		default:
			if (s[i] < 0x20) {
				snprintf(u, sizeof u, "\\u%04x", s[i]);
				buf_puts(b, u);
			} else
				buf_putc(b, (char)s[i]);
		}
		i++;
	}
	buf_putc(b, '"');
}

static size_t
ref_check(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t k = ref_seq(s + i, n - i);
		if (k == 0)
			return i;
		i += k;
	}
	return n;
}

static uint64_t rng;

static unsigned
rnd(unsigned n)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)(rng >> 33) % n;
}

static int
run_json(long count, unsigned long long seed)
{
	/* mostly plain text, so that the 8-byte path is taken, with the
	 * bytes that need care mixed in */
	static const unsigned char special[] = { '"', '\\', '\n', '\t', 0,
	    0x1f, 0x7f, 0x80, 0xbf, 0xc2, 0xa9, 0xe2, 0x82, 0xac, 0xed, 0xa0,
	    0xf0, 0x9f, 0x98, 0x80, 0xf4, 0x90, 0xff, 0xc0, 0xe0 };
	unsigned char s[80];
	struct buf got, want;

	rng = seed ? seed : 1;
	buf_init(&got);
	buf_init(&want);
	for (long c = 0; c < count; c++) {
		size_t n = rnd(sizeof s);
		unsigned mix = rnd(4);
		for (size_t i = 0; i < n; i++) {
			unsigned r = rnd(16);
			if (mix == 0 || r >= mix * 2)
				s[i] = (unsigned char)(' ' + rnd(95));
			else
				s[i] = r & 1 ? special[rnd(sizeof special)] :
				    (unsigned char)rnd(256);
		}
		buf_reset(&got);
		buf_puts(&got, "x");	/* appends to what is there */
		buf_json_str(&got, (const char *)s, n);
		buf_reset(&want);
		buf_puts(&want, "x");
		ref_json(&want, s, n);
		if (got.len != want.len || memcmp(got.p, want.p, got.len))
			fail("json", s, n, &got, &want);
		/* buf_json_ascii: the same text when all is ASCII, else
		 * nothing added */
		int ascii = 1;
		for (size_t i = 0; i < n; i++)
			ascii &= s[i] < 0x80;
		buf_reset(&got);
		buf_puts(&got, "x");
		if (buf_json_ascii(&got, (const char *)s, n) != ascii ||
		    (ascii ? got.len != want.len ||
		    memcmp(got.p, want.p, got.len) != 0 : got.len != 1))
			fail("json_ascii", s, n, &got, ascii ? &want : &got);
		if (utf8_check((const char *)s, n) != ref_check(s, n)) {
			buf_reset(&got);
			buf_printf(&got, "%zu", utf8_check((const char *)s, n));
			buf_reset(&want);
			buf_printf(&want, "%zu", ref_check(s, n));
			fail("utf8_check", s, n, &got, &want);
		}
		if (failures > 10)
			break;
	}
	buf_free(&got);
	buf_free(&want);
	printf("%ld strings, %d failed\n", count, failures);
	return failures ? 1 : 0;
}

static int
run_short(void)
{
	char a[48], b[48], o[48];
	long n = 0;

	for (size_t len = 0; len <= 40; len++) {
		for (size_t i = 0; i < len; i++)
			a[i] = b[i] = (char)('a' + i % 26);
		if (!buf_eq_short(a, b, len)) {
			fprintf(stderr, "eq_short: length %zu: equal runs differ\n", len);
			failures++;
		}
		memset(o, 'x', sizeof o);
		buf_copy_short(o, a, len);
		if (memcmp(o, a, len) != 0 || o[len] != 'x') {
			fprintf(stderr, "copy_short: length %zu: wrong copy\n", len);
			failures++;
		}
		n += 2;
		for (size_t d = 0; d < len; d++, n++) {
			b[d] ^= 0x20;
			if (buf_eq_short(a, b, len)) {
				fprintf(stderr, "eq_short: length %zu: byte %zu differs,"
				    " found equal\n", len, d);
				failures++;
			}
			b[d] ^= 0x20;
		}
	}
	printf("%ld comparisons and copies, %d failed\n", n, failures);
	return failures ? 1 : 0;
}

int
main(int argc, char **argv)
{
	setprogname(argv[0]);
	if (argc >= 2 && strcmp(argv[1], "ints") == 0)
		return run_ints();
	if (argc >= 2 && strcmp(argv[1], "short") == 0)
		return run_short();
	if (argc >= 3 && strcmp(argv[1], "json") == 0)
		return run_json(atol(argv[2]),
		    argc > 3 ? strtoull(argv[3], NULL, 10) : 0);
	fprintf(stderr, "usage: buf ints | short | json N [SEED]\n");
	return EX_USAGE;
}
