/* mysqltypes.c: MySQL / MariaDB column values as JSON text. */
#include "mysqltypes.h"
#include "connect.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mysql.h>

/* Little- and big-endian readers. */
static uint64_t
le(const unsigned char *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t
be(const unsigned char *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* n digits, zero-padded. */
static void
put_dig(struct buf *b, unsigned v, int n)
{
	char tmp[12];
	for (int i = n - 1; i >= 0; i--) {
		tmp[i] = '0' + v % 10;
		v /= 10;
	}
	buf_add(b, tmp, n);
}

/* Fraction of a second in µs, written with fsp digits (none when 0). */
static void
put_frac(struct buf *b, unsigned long us, int fsp)
{
	static const unsigned long div[] = { 1000000, 100000, 10000, 1000, 100,
	    10, 1 };
	if (fsp <= 0)
		return;
	if (fsp > 6)
		fsp = 6;
	buf_putc(b, '.');
	put_dig(b, (unsigned)(us / div[fsp]), fsp);
}

/* ---- character sets ---- */

static const unsigned short cp1252[32] = {
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

static int
is_latin1(unsigned cs)
{
	switch (cs) {
	case 5: case 8: case 15: case 31: case 47: case 48: case 49: case 94:
		return 1;
	}
	return 0;
}

void
my_json_text(struct buf *out, const unsigned char *s, size_t n, unsigned cs)
{
	size_t i;

	if (!is_latin1(cs)) {
		buf_json_str(out, (const char *)s, n);
		return;
	}
	if (buf_json_ascii(out, (const char *)s, n))
		return;
	/* Convert to UTF-8 first (cp1252, which MySQL calls latin1). */
	struct buf u;
	buf_init(&u);
	buf_reserve(&u, n * 3);
	for (i = 0; i < n; i++) {
		unsigned c = s[i];
		if (c >= 0x80 && c < 0xA0)
			c = cp1252[c - 0x80];
		u.len = (size_t)(utf8_put(u.p + u.len, c) - u.p);
	}
	buf_json_str(out, u.p, u.len);
	buf_free(&u);
}

static void
put_bytes(struct buf *out, const unsigned char *p, size_t n)
{
	buf_putc(out, '"');
	buf_base64(out, p, n);
	buf_putc(out, '"');
}

/* A string column: text in its charset, or base64 when binary. */
static void
put_string(struct buf *out, const struct mycol *c, const unsigned char *p,
    size_t n)
{
	if (c->charset == MY_CHARSET_BINARY ||
	    (c->charset == 0 && !utf8_valid((const char *)p, n)))
		put_bytes(out, p, n);
	else
		my_json_text(out, p, n, c->charset);
}

/* ---- DECIMAL ---- */

static const int dig2bytes[10] = { 0, 1, 1, 2, 2, 3, 3, 4, 4, 4 };

int
my_decimal_size(int prec, int scale)
{
	int intg = prec - scale;
	if (prec <= 0 || scale < 0 || intg < 0 || prec > 81)
		return -1;
	return intg / 9 * 4 + dig2bytes[intg % 9] + scale / 9 * 4 +
	    dig2bytes[scale % 9];
}

/* v in decimal at dst, zero-padded to n digits (more when a corrupt
 * group holds more, as printf's %0*u would); returns the count. */
static int
dig_into(char *dst, unsigned v, int n)
{
	char tmp[12];
	int k = 0;

	do {
		tmp[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (k < n)
		tmp[k++] = '0';
	for (int i = 0; i < k; i++)
		dst[i] = tmp[k - 1 - i];
	return k;
}

int
my_decimal_str(struct buf *out, const unsigned char *p, int prec, int scale)
{
	int size = my_decimal_size(prec, scale);
	unsigned char d[48];
	int intg = prec - scale, i = 0, started = 0;
	char digits[96];
	int nd = 0;

	if (size <= 0 || size > (int)sizeof d)
		return -1;
	memcpy(d, p, size);
	int neg = !(d[0] & 0x80);
	d[0] ^= 0x80;
	if (neg)
		for (int k = 0; k < size; k++)
			d[k] ^= 0xFF;
	if (intg <= 18 && scale <= 9) {
		/* the common case: the integer part fits 64 bits, the fraction
		 * one group */
		int lead = intg % 9, lb = dig2bytes[lead];
		uint64_t ip = 0;
		uint32_t g;
		int ok = 1;
		if (lb) {
			g = (uint32_t)be(d + i, lb);
			ok &= g < 1000000000u;
			ip = g;
			i += lb;
		}
		for (int k = 0; k < intg / 9; k++) {
			g = (uint32_t)be(d + i, 4);
			ok &= g < 1000000000u;
			ip = ip * 1000000000u + g;
			i += 4;
		}
		static const uint32_t pow10[10] = { 1, 10, 100, 1000, 10000,
		    100000, 1000000, 10000000, 100000000, 1000000000 };
		uint32_t frac = 0;
		if (scale > 0) {
			frac = (uint32_t)be(d + i, scale == 9 ? 4 : dig2bytes[scale]);
			ok &= frac < pow10[scale];
		}
		if (ok) {
			if (neg)
				buf_putc(out, '-');
			buf_put_u64(out, ip);
			if (scale > 0) {
				char f[12];
				buf_putc(out, '.');
				buf_add(out, f, (size_t)dig_into(f, frac, scale));
			}
			return size;
		}
		i = 0;	/* a corrupt group: the general way says it as it is */
	}
	/* integer part: leading partial group, then groups of 9 */
	int lead = intg % 9, lb = dig2bytes[lead];
	if (lb) {
		nd += dig_into(digits + nd, (unsigned)be(d + i, lb), lead);
		i += lb;
	}
	for (int g = 0; g < intg / 9; g++) {
		nd += dig_into(digits + nd, (unsigned)be(d + i, 4), 9);
		i += 4;
	}
	if (neg)
		buf_putc(out, '-');
	for (int k = 0; k < nd; k++) {
		if (!started && digits[k] == '0')
			continue;
		started = 1;
		buf_putc(out, digits[k]);
	}
	if (!started)
		buf_putc(out, '0');
	if (scale > 0) {
		nd = 0;
		for (int g = 0; g < scale / 9; g++) {
			nd += dig_into(digits + nd, (unsigned)be(d + i, 4), 9);
			i += 4;
		}
		int tail = scale % 9;
		if (tail) {
			nd += dig_into(digits + nd,
			    (unsigned)be(d + i, dig2bytes[tail]), tail);
		}
		buf_putc(out, '.');
		buf_add(out, digits, nd);
	}
	return size;
}

/*
 * Debezium's precise decimal: base64 of the unscaled value as big-endian
 * two's complement, minimal length.
 */
static void
put_decimal_precise(struct buf *out, const char *s, size_t n)
{
	unsigned char mag[40] = { 0 };	/* big-endian magnitude */
	int neg = 0;
	size_t i = 0;
	if (i < n && s[i] == '-') {
		neg = 1;
		i++;
	}
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			continue;
		unsigned carry = s[i] - '0';
		for (int k = sizeof mag - 1; k >= 0; k--) {
			unsigned v = mag[k] * 10u + carry;
			mag[k] = v & 0xFF;
			carry = v >> 8;
		}
	}
	if (neg) {	/* two's complement */
		unsigned carry = 1;
		for (int k = sizeof mag - 1; k >= 0; k--) {
			unsigned v = (unsigned)(unsigned char)~mag[k] + carry;
			mag[k] = v & 0xFF;
			carry = v >> 8;
		}
	}
	int start = 0;
	while (start < (int)sizeof mag - 1) {
		if (!neg && mag[start] == 0 && !(mag[start + 1] & 0x80))
			start++;
		else if (neg && mag[start] == 0xFF && (mag[start + 1] & 0x80))
			start++;
		else
			break;
	}
	put_bytes(out, mag + start, sizeof mag - start);
}

/* ---- dates and times ---- */

struct mytime {
	int neg;
	unsigned year, month, day, hour, minute, second;
	unsigned long us;
};

static void
put_date(struct buf *out, const struct mytime *t)
{
	put_dig(out, t->year, 4);
	buf_putc(out, '-');
	put_dig(out, t->month, 2);
	buf_putc(out, '-');
	put_dig(out, t->day, 2);
}

static void
put_hms(struct buf *out, const struct mytime *t, int fsp)
{
	put_dig(out, t->hour, 2);
	buf_putc(out, ':');
	put_dig(out, t->minute, 2);
	buf_putc(out, ':');
	put_dig(out, t->second, 2);
	put_frac(out, t->us, fsp);
}

static long long
epoch_us(const struct mytime *t)
{
	long long d = days_from_civil(t->year, t->month ? t->month : 1,
	    t->day ? t->day : 1);
	/* unsigned: a malformed year (old DATETIME's up to 1.8e9) wraps
	 * instead of overflowing */
	return (long long)((((unsigned long long)d * 24 + t->hour) * 60 +
	    t->minute) * 60000000ULL + t->second * 1000000ULL + t->us);
}

static void
out_date(struct buf *out, const struct mytime *t, enum my_enc enc)
{
	if (enc == MY_ENC_DEBEZIUM) {
		if (t->year == 0 && t->month == 0 && t->day == 0)
			buf_puts(out, "null");
		else
			buf_put_i64(out, days_from_civil(t->year, t->month, t->day));
		return;
	}
	buf_putc(out, '"');
	put_date(out, t);
	buf_putc(out, '"');
}

static void
out_datetime(struct buf *out, const struct mytime *t, int fsp,
    enum my_enc enc)
{
	if (enc == MY_ENC_DEBEZIUM) {
		if (t->year == 0 && t->month == 0 && t->day == 0)
			buf_puts(out, "null");
		else if (fsp <= 3)
			buf_put_i64(out, epoch_us(t) / 1000);
		else
			buf_put_i64(out, epoch_us(t));
		return;
	}
	buf_putc(out, '"');
	put_date(out, t);
	buf_putc(out, 'T');
	put_hms(out, t, fsp);
	buf_putc(out, '"');
}

static void
out_timestamp(struct buf *out, long long secs, unsigned long us, int fsp,
    enum my_enc enc)
{
	struct tm tm;
	time_t tt = (time_t)secs;
	struct mytime t;

	if (secs == 0 && us == 0) {	/* the zero timestamp */
		if (enc == MY_ENC_DEBEZIUM)
			buf_puts(out, "null");
		else {
			buf_puts(out, "\"0000-00-00T00:00:00");
			put_frac(out, 0, fsp);
			buf_puts(out, "Z\"");
		}
		return;
	}
	gmtime_r(&tt, &tm);
	t.year = tm.tm_year + 1900;
	t.month = tm.tm_mon + 1;
	t.day = tm.tm_mday;
	t.hour = tm.tm_hour;
	t.minute = tm.tm_min;
	t.second = tm.tm_sec;
	t.us = us;
	buf_putc(out, '"');
	put_date(out, &t);
	buf_putc(out, 'T');
	put_hms(out, &t, fsp);
	buf_puts(out, "Z\"");
}

static void
out_time(struct buf *out, const struct mytime *t, int fsp, enum my_enc enc)
{
	if (enc == MY_ENC_DEBEZIUM) {
		long long us = ((long long)t->hour * 3600 + t->minute * 60 +
		    t->second) * 1000000LL + (long long)t->us;
		buf_put_i64(out, t->neg ? -us : us);
		return;
	}
	buf_putc(out, '"');
	if (t->neg)
		buf_putc(out, '-');
	put_dig(out, t->hour, t->hour >= 100 ? 3 : 2);
	buf_putc(out, ':');
	put_dig(out, t->minute, 2);
	buf_putc(out, ':');
	put_dig(out, t->second, 2);
	put_frac(out, t->us, fsp);
	buf_putc(out, '"');
}

/* The fractional part of TIMESTAMP2 / DATETIME2, in µs. */
static unsigned long
frac_us(const unsigned char *p, int fsp)
{
	switch ((fsp + 1) / 2) {
	case 1: return (unsigned long)p[0] * 10000;
	case 2: return (unsigned long)be(p, 2) * 100;
	case 3: return (unsigned long)be(p, 3);
	}
	return 0;
}

static int
bit_bytes(uint16_t meta)
{
	int nbits = (meta >> 8) * 8 + (meta & 0xFF);
	return (nbits + 7) / 8;
}

/* Shortest text that reads back as the same float / double. */
static void
put_float(struct buf *out, double v, int is_float)
{
	char tmp[40];
	if (!isfinite(v)) {
		buf_puts(out, "null");
		return;
	}
	for (int prec = is_float ? 6 : 15; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*g", prec, v);
		if (is_float ? strtof(tmp, NULL) == (float)v :
		    strtod(tmp, NULL) == v)
			break;
	}
	buf_puts(out, tmp);
}

static void
put_geometry(struct buf *out, const unsigned char *p, size_t n)
{
	if (n < 4) {
		put_bytes(out, p, n);
		return;
	}
	buf_puts(out, "{\"wkb\":\"");
	buf_base64(out, p + 4, n - 4);
	buf_puts(out, "\",\"srid\":");
	buf_put_u64(out, le(p, 4));
	buf_putc(out, '}');
}

static void
put_bits(struct buf *out, const unsigned char *p, int nb, int nbits,
    enum my_enc enc)
{
	if (enc == MY_ENC_DEBEZIUM) {
		if (nbits == 1) {
			buf_puts(out, p[0] & 1 ? "true" : "false");
			return;
		}
		unsigned char r[8];
		for (int i = 0; i < nb; i++)	/* little-endian */
			r[i] = p[nb - 1 - i];
		put_bytes(out, r, nb);
		return;
	}
	buf_put_u64(out, be(p, nb));
}

static void
put_enum(struct buf *out, const struct mycol *c, uint64_t idx)
{
	if (idx == 0) {
		buf_puts(out, "\"\"");
		return;
	}
	if (c->vals && idx <= c->nvals)
		my_json_text(out, (const unsigned char *)c->vals[idx - 1],
		    c->vlens[idx - 1], c->charset);
	else
		buf_put_u64(out, idx);
}

static void
put_set(struct buf *out, const struct mycol *c, uint64_t bits)
{
	if (!c->vals) {
		buf_put_u64(out, bits);
		return;
	}
	struct buf s;
	buf_init(&s);
	for (uint32_t i = 0; i < c->nvals && i < 64; i++)
		if (bits >> i & 1) {
			if (s.len)
				buf_putc(&s, ',');
			buf_add(&s, c->vals[i], c->vlens[i]);
		}
	my_json_text(out, (const unsigned char *)(s.p ? s.p : ""), s.len,
	    c->charset);
	buf_free(&s);
}

long
my_value(struct buf *out, const struct mycol *c, const unsigned char *p,
    size_t n, enum my_enc enc)
{
	size_t need, len;
	struct mytime t;
	uint64_t u;
	int fsp;

#define NEED(k) do { need = (k); if (need > n) return -1; } while (0)
	switch (c->type) {
	case MYT_TINY:
		NEED(1);
		if (out) {
			if (c->is_unsigned)
				buf_put_u64(out, p[0]);
			else
				buf_put_i64(out, (int8_t)p[0]);
		}
		return 1;
	case MYT_SHORT:
		NEED(2);
		if (out) {
			u = le(p, 2);
			if (c->is_unsigned)
				buf_put_u64(out, u);
			else
				buf_put_i64(out, (int16_t)u);
		}
		return 2;
	case MYT_INT24:
		NEED(3);
		if (out) {
			u = le(p, 3);
			if (c->is_unsigned)
				buf_put_u64(out, u);
			else
				buf_put_i64(out, (int32_t)(u << 8) >> 8);
		}
		return 3;
	case MYT_LONG:
		NEED(4);
		if (out) {
			u = le(p, 4);
			if (c->is_unsigned)
				buf_put_u64(out, u);
			else
				buf_put_i64(out, (int32_t)u);
		}
		return 4;
	case MYT_LONGLONG:
		NEED(8);
		if (out) {
			u = le(p, 8);
			if (c->is_unsigned && enc == MY_ENC_PLAIN)
				buf_put_u64(out, u);
			else
				buf_put_i64(out, (int64_t)u);
		}
		return 8;
	case MYT_FLOAT: {
		NEED(4);
		if (out) {
			uint32_t b = (uint32_t)le(p, 4);
			float f;
			memcpy(&f, &b, 4);
			put_float(out, f, 1);
		}
		return 4;
	}
	case MYT_DOUBLE: {
		NEED(8);
		if (out) {
			uint64_t b = le(p, 8);
			double d;
			memcpy(&d, &b, 8);
			put_float(out, d, 0);
		}
		return 8;
	}
	case MYT_NULL:
		if (out)
			buf_puts(out, "null");
		return 0;
	case MYT_YEAR:
		NEED(1);
		if (out)
			buf_put_u64(out, p[0] ? 1900u + p[0] : 0);
		return 1;
	case MYT_DATE:
	case MYT_NEWDATE:
		NEED(3);
		if (out) {
			u = le(p, 3);
			memset(&t, 0, sizeof t);
			t.day = u & 31;
			t.month = u >> 5 & 15;
			t.year = (unsigned)(u >> 9);
			out_date(out, &t, enc);
		}
		return 3;
	case MYT_TIME:
		NEED(3);
		if (out) {
			int32_t v = (int32_t)(le(p, 3) << 8) >> 8;
			memset(&t, 0, sizeof t);
			if (v < 0) {
				t.neg = 1;
				v = -v;
			}
			t.hour = v / 10000;
			t.minute = v / 100 % 100;
			t.second = v % 100;
			out_time(out, &t, 0, enc);
		}
		return 3;
	case MYT_TIME2: {
		fsp = c->meta;
		NEED(3 + (fsp + 1) / 2);
		if (out) {
			int64_t intpart = (int64_t)be(p, 3) - 0x800000;
			int64_t frac = 0, packed;
			switch ((fsp + 1) / 2) {
			case 1:
				frac = p[3];
				if (intpart < 0 && frac) {
					intpart++;
					frac -= 0x100;
				}
				packed = intpart * (1 << 24) + frac * 10000;
				break;
			case 2:
				frac = (int64_t)be(p + 3, 2);
				if (intpart < 0 && frac) {
					intpart++;
					frac -= 0x10000;
				}
				packed = intpart * (1 << 24) + frac * 100;
				break;
			case 3:
				packed = (int64_t)be(p, 6) - 0x800000000000LL;
				break;
			default:
				packed = intpart * (1 << 24);
			}
			memset(&t, 0, sizeof t);
			if (packed < 0) {
				t.neg = 1;
				packed = -packed;
			}
			int64_t hms = packed >> 24;
			t.us = (unsigned long)(packed % (1 << 24));
			t.hour = (unsigned)(hms >> 12) % (1 << 10);
			t.minute = (unsigned)(hms >> 6) % 64;
			t.second = (unsigned)hms % 64;
			out_time(out, &t, fsp, enc);
		}
		return (long)need;
	}
	case MYT_TIMESTAMP:
		NEED(4);
		if (out)
			out_timestamp(out, (long long)le(p, 4), 0, 0, enc);
		return 4;
	case MYT_TIMESTAMP2:
		fsp = c->meta;
		NEED(4 + (fsp + 1) / 2);
		if (out)
			out_timestamp(out, (long long)be(p, 4),
			    frac_us(p + 4, fsp), fsp, enc);
		return (long)need;
	case MYT_DATETIME:
		NEED(8);
		if (out) {
			u = le(p, 8);
			memset(&t, 0, sizeof t);
			uint64_t d = u / 1000000, tm = u % 1000000;
			t.year = (unsigned)(d / 10000);
			t.month = d / 100 % 100;
			t.day = d % 100;
			t.hour = (unsigned)(tm / 10000);
			t.minute = tm / 100 % 100;
			t.second = tm % 100;
			out_datetime(out, &t, 0, enc);
		}
		return 8;
	case MYT_DATETIME2:
		fsp = c->meta;
		NEED(5 + (fsp + 1) / 2);
		if (out) {
			int64_t v = (int64_t)be(p, 5) - 0x8000000000LL;
			if (v < 0)
				v = -v;
			uint64_t ymd = (uint64_t)v >> 17, ym = ymd >> 5;
			uint64_t hms = (uint64_t)v & 0x1FFFF;
			memset(&t, 0, sizeof t);
			t.year = (unsigned)(ym / 13);
			t.month = ym % 13;
			t.day = ymd & 31;
			t.hour = (unsigned)(hms >> 12);
			t.minute = hms >> 6 & 63;
			t.second = hms & 63;
			t.us = frac_us(p + 5, fsp);
			out_datetime(out, &t, fsp, enc);
		}
		return (long)need;
	case MYT_NEWDECIMAL: {
		int prec = c->meta >> 8, scale = c->meta & 0xFF;
		int size = my_decimal_size(prec, scale);
		if (size < 0)
			return -1;
		NEED((size_t)size);
		if (out) {
			if (enc == MY_ENC_DEBEZIUM) {
				struct buf s;
				buf_init(&s);
				my_decimal_str(&s, p, prec, scale);
				put_decimal_precise(out, s.p, s.len);
				buf_free(&s);
			} else {
				buf_putc(out, '"');
				my_decimal_str(out, p, prec, scale);
				buf_putc(out, '"');
			}
		}
		return size;
	}
	case MYT_BIT: {
		int nb = bit_bytes(c->meta);
		if (nb > 8)
			return -1;
		NEED((size_t)nb);
		if (out)
			put_bits(out, p, nb, (c->meta >> 8) * 8 + (c->meta & 0xFF),
			    enc);
		return nb;
	}
	case MYT_ENUM: {
		int nb = c->maxlen ? (int)c->maxlen : 1;
		if (nb > 2)
			return -1;
		NEED((size_t)nb);
		if (out)
			put_enum(out, c, le(p, nb));
		return nb;
	}
	case MYT_SET: {
		int nb = c->maxlen ? (int)c->maxlen : 1;
		if (nb > 8)
			return -1;
		NEED((size_t)nb);
		if (out)
			put_set(out, c, le(p, nb));
		return nb;
	}
	case MYT_VARCHAR:
	case MYT_VAR_STRING: {
		int lb = c->meta < 256 ? 1 : 2;
		NEED((size_t)lb);
		len = le(p, lb);
		NEED(lb + len);
		if (out) {
			if (c->is_json && enc == MY_ENC_PLAIN)
				buf_add(out, p + lb, len);
			else
				put_string(out, c, p + lb, len);
		}
		return (long)need;
	}
	case MYT_STRING: {
		int lb = c->maxlen < 256 ? 1 : 2;
		NEED((size_t)lb);
		len = le(p, lb);
		NEED(lb + len);
		if (out)
			put_string(out, c, p + lb, len);
		return (long)need;
	}
	case MYT_BLOB:
	case MYT_TINY_BLOB:
	case MYT_MEDIUM_BLOB:
	case MYT_LONG_BLOB:
	case MYT_GEOMETRY:
	case MYT_JSON: {
		int lb = c->meta;
		if (lb < 1 || lb > 4)
			return -1;
		NEED((size_t)lb);
		len = le(p, lb);
		if (len > n - lb)
			return -1;
		need = lb + len;
		if (!out)
			return (long)need;
		if (c->type == MYT_GEOMETRY)
			put_geometry(out, p + lb, len);
		else if (c->type == MYT_JSON) {
			if (enc == MY_ENC_DEBEZIUM) {
				struct buf s;
				buf_init(&s);
				int r = my_json_binary(&s, p + lb, len);
				if (r == 0)
					buf_json_str(out, s.p, s.len);
				buf_free(&s);
				if (r < 0)
					return -1;
			} else {
				size_t mark = out->len;
				if (my_json_binary(out, p + lb, len) < 0) {
					out->len = mark;
					return -1;
				}
			}
		} else if (c->is_json && enc == MY_ENC_PLAIN && len > 0 &&
		    utf8_valid((const char *)p + lb, len))
			buf_add(out, p + lb, len);
		else
			put_string(out, c, p + lb, len);
		return (long)need;
	}
	}
#undef NEED
	return -1;
}

/* ---- decoder plans ---- */

enum {
	PLAN_I8 = 1, PLAN_U8, PLAN_I16, PLAN_U16, PLAN_I24, PLAN_U24,
	PLAN_I32, PLAN_U32, PLAN_I64, PLAN_U64,
	PLAN_STR1, PLAN_STR2,		/* text, 1 or 2 length bytes */
	PLAN_STR1_LATIN1, PLAN_STR2_LATIN1,
	PLAN_DECIMAL,			/* plain: an exact string */
	PLAN_DATETIME2,			/* plain: ISO 8601 */
};

uint8_t
my_plan(const struct mycol *c, enum my_enc enc)
{
	int u = c->is_unsigned != 0;

	switch (c->type) {
	case MYT_TINY: return u ? PLAN_U8 : PLAN_I8;
	case MYT_SHORT: return u ? PLAN_U16 : PLAN_I16;
	case MYT_INT24: return u ? PLAN_U24 : PLAN_I24;
	case MYT_LONG: return u ? PLAN_U32 : PLAN_I32;
	case MYT_LONGLONG:
		return u && enc == MY_ENC_PLAIN ? PLAN_U64 : PLAN_I64;
	case MYT_VARCHAR: case MYT_VAR_STRING: case MYT_STRING: {
		/* text in a known charset (put_string's my_json_text) */
		if (c->is_json || c->charset == MY_CHARSET_BINARY ||
		    c->charset == 0)
			return MY_PLAN_ANY;
		int two = c->type == MYT_STRING ? c->maxlen >= 256 :
		    c->meta >= 256;
		if (is_latin1(c->charset))
			return two ? PLAN_STR2_LATIN1 : PLAN_STR1_LATIN1;
		return two ? PLAN_STR2 : PLAN_STR1;
	}
	case MYT_NEWDECIMAL:
		if (enc != MY_ENC_PLAIN ||
		    my_decimal_size(c->meta >> 8, c->meta & 0xFF) < 0)
			return MY_PLAN_ANY;
		return PLAN_DECIMAL;
	case MYT_DATETIME2:
		return enc == MY_ENC_PLAIN && c->meta <= 6 ? PLAN_DATETIME2 :
		    MY_PLAN_ANY;
	}
	return MY_PLAN_ANY;
}

#define digits2 buf_digits2

/* buf_put_i64 and buf_put_u64, inline */
static inline void
put_i64(struct buf *out, long long v)
{
	char *o;

	buf_reserve(out, 21);
	o = out->p + out->len;
	if (v < 0) {
		*o++ = '-';
		o += buf_u64_at(o, 0ULL - (unsigned long long)v);
	} else
		o += buf_u64_at(o, (unsigned long long)v);
	out->len = (size_t)(o - out->p);
}

static inline void
put_u64(struct buf *out, unsigned long long v)
{
	buf_reserve(out, 20);
	out->len += buf_u64_at(out->p + out->len, v);
}

static const uint32_t pow10_32[10] = { 1, 10, 100, 1000, 10000, 100000,
    1000000, 10000000, 100000000, 1000000000 };

/* put_dig's n digits of v (v % 10^n), at o. */
static inline void
dig_at(char *o, unsigned v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		o[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

long
my_value_plan(struct buf *out, uint8_t plan, const struct mycol *c,
    const unsigned char *p, size_t n, enum my_enc enc)
{
	size_t len;
	int lb;

	if (!out)
		return my_value(out, c, p, n, enc);
	switch (plan) {
	case PLAN_I8:
		if (n < 1)
			return -1;
		put_i64(out, (int8_t)p[0]);
		return 1;
	case PLAN_U8:
		if (n < 1)
			return -1;
		put_u64(out, p[0]);
		return 1;
	case PLAN_I16:
		if (n < 2)
			return -1;
		put_i64(out, (int16_t)le(p, 2));
		return 2;
	case PLAN_U16:
		if (n < 2)
			return -1;
		put_u64(out, le(p, 2));
		return 2;
	case PLAN_I24:
		if (n < 3)
			return -1;
		put_i64(out, (int32_t)(le(p, 3) << 8) >> 8);
		return 3;
	case PLAN_U24:
		if (n < 3)
			return -1;
		put_u64(out, le(p, 3));
		return 3;
	case PLAN_I32:
		if (n < 4)
			return -1;
		put_i64(out, (int32_t)le(p, 4));
		return 4;
	case PLAN_U32:
		if (n < 4)
			return -1;
		put_u64(out, le(p, 4));
		return 4;
	case PLAN_I64:
		if (n < 8)
			return -1;
		put_i64(out, (int64_t)le(p, 8));
		return 8;
	case PLAN_U64:
		if (n < 8)
			return -1;
		put_u64(out, le(p, 8));
		return 8;
	case PLAN_STR1: case PLAN_STR2:
	case PLAN_STR1_LATIN1: case PLAN_STR2_LATIN1:
		lb = plan == PLAN_STR1 || plan == PLAN_STR1_LATIN1 ? 1 : 2;
		if (n < (size_t)lb)
			return -1;
		len = lb == 1 ? p[0] : (size_t)(p[0] | p[1] << 8);
		if (len > n - lb)
			return -1;
		if (plan == PLAN_STR1 || plan == PLAN_STR2)
			buf_json_str(out, (const char *)p + lb, len);
		else if (!buf_json_ascii(out, (const char *)p + lb, len))
			my_json_text(out, p + lb, len, c->charset);
		return (long)(lb + len);
	case PLAN_DECIMAL: {
		int prec = c->meta >> 8, scale = c->meta & 0xFF;
		int intg = prec - scale, lead = intg % 9, ilb = dig2bytes[lead];
		int fb = scale == 9 ? 4 : dig2bytes[scale % 9];
		int size = ilb + intg / 9 * 4 + scale / 9 * 4 + dig2bytes[scale % 9];
		if (n < (size_t)size)
			return -1;
		if (intg <= 18 && scale <= 9) {
			/* my_decimal_str's common case, read in place: the
			 * bytes with the sign bit flipped, and all of them
			 * inverted when negative */
			unsigned mask = p[0] & 0x80 ? 0 : 0xFF;
			uint64_t ip = 0;
			uint32_t g, frac = 0;
			int i = 0, ok = 1;
			if (ilb) {
				g = (uint32_t)be(p, ilb) ^ (0x80u << 8 * (ilb - 1));
				g ^= mask * (0x01010101u >> 8 * (4 - ilb));
				ok &= g < 1000000000u;
				ip = g;
				i = ilb;
			}
			for (int k = 0; k < intg / 9; k++, i += 4) {
				g = (uint32_t)be(p + i, 4);
				if (i == 0)
					g ^= 0x80000000u;
				g ^= mask * 0x01010101u;
				ok &= g < 1000000000u;
				ip = ip * 1000000000u + g;
			}
			if (scale > 0) {
				frac = (uint32_t)be(p + i, fb);
				if (i == 0)
					frac ^= 0x80u << 8 * (fb - 1);
				frac ^= mask * (0x01010101u >> 8 * (4 - fb));
				ok &= frac < pow10_32[scale];
			}
			if (ok) {
				buf_reserve(out, 33);
				char *o = out->p + out->len;
				*o++ = '"';
				if (mask)
					*o++ = '-';
				out->len = (size_t)(o - out->p);
				put_u64(out, ip);
				o = out->p + out->len;
				if (scale > 0) {
					*o++ = '.';
					dig_at(o, frac, scale);
					o += scale;
				}
				*o++ = '"';
				out->len = (size_t)(o - out->p);
				return size;
			}
		}
		buf_putc(out, '"');
		my_decimal_str(out, p, prec, scale);
		buf_putc(out, '"');
		return size;
	}
	case PLAN_DATETIME2: {
		int fsp = c->meta;
		size_t need = 5 + (fsp + 1) / 2;
		if (n < need)
			return -1;
		int64_t v = (int64_t)be(p, 5) - 0x8000000000LL;
		if (v < 0)
			v = -v;
		uint64_t ymd = (uint64_t)v >> 17, ym = ymd >> 5;
		uint64_t hms = (uint64_t)v & 0x1FFFF;
		unsigned year = (unsigned)(ym / 13) % 10000, month = ym % 13,
		    day = ymd & 31, hour = (unsigned)(hms >> 12),
		    minute = hms >> 6 & 63, second = hms & 63;
		/* "YYYY-MM-DDTHH:MM:SS.ffffff" */
		buf_reserve(out, 28);
		char *o = out->p + out->len;
		o[0] = '"';
		memcpy(o + 1, digits2 + 2 * (year / 100), 2);
		memcpy(o + 3, digits2 + 2 * (year % 100), 2);
		o[5] = '-';
		memcpy(o + 6, digits2 + 2 * month, 2);
		o[8] = '-';
		memcpy(o + 9, digits2 + 2 * day, 2);
		o[11] = 'T';
		memcpy(o + 12, digits2 + 2 * hour, 2);
		o[14] = ':';
		memcpy(o + 15, digits2 + 2 * minute, 2);
		o[17] = ':';
		memcpy(o + 18, digits2 + 2 * second, 2);
		o += 20;
		if (fsp > 0) {
			static const unsigned long div[] = { 1000000, 100000,
			    10000, 1000, 100, 10, 1 };
			*o++ = '.';
			dig_at(o, (unsigned)(frac_us(p + 5, fsp) / div[fsp]), fsp);
			o += fsp;
		}
		*o++ = '"';
		out->len = (size_t)(o - out->p);
		return (long)need;
	}
	}
	return my_value(out, c, p, n, enc);
}

/* ---- MySQL binary JSON ---- */

static int json_value(struct buf *out, int type, const unsigned char *p,
    size_t n, int depth);

/* A variable-length length (7 bits per byte, at most 5 bytes). */
static int
json_varlen(const unsigned char *p, size_t n, uint32_t *len)
{
	uint64_t v = 0;
	for (int i = 0; i < 5 && (size_t)i < n; i++) {
		v |= (uint64_t)(p[i] & 0x7F) << (7 * i);
		if (!(p[i] & 0x80)) {
			if (v > UINT32_MAX)
				return -1;
			*len = (uint32_t)v;
			return i + 1;
		}
	}
	return -1;
}

static int
json_opaque(struct buf *out, const unsigned char *p, size_t n)
{
	uint32_t len;
	int k;
	if (n < 1)
		return -1;
	int t = p[0];
	if ((k = json_varlen(p + 1, n - 1, &len)) < 0 || len > n - 1 - k)
		return -1;
	const unsigned char *d = p + 1 + k;
	struct mytime tm;
	switch (t) {
	case MYT_NEWDECIMAL:
		if (len < 2 || my_decimal_size(d[0], d[1]) < 0 ||
		    (size_t)my_decimal_size(d[0], d[1]) > len - 2)
			return -1;
		my_decimal_str(out, d + 2, d[0], d[1]);
		return 0;
	case MYT_DATE: case MYT_DATETIME: case MYT_TIMESTAMP: case MYT_TIME: {
		if (len < 8)
			return -1;
		int64_t v = (int64_t)le(d, 8);
		memset(&tm, 0, sizeof tm);
		if (v < 0) {
			tm.neg = 1;
			v = -v;
		}
		tm.us = (unsigned long)(v % (1 << 24));
		int64_t ip = v >> 24;
		if (t == MYT_TIME) {
			tm.hour = (unsigned)(ip >> 12) % (1 << 10);
			tm.minute = (ip >> 6) % 64;
			tm.second = ip % 64;
			buf_putc(out, '"');
			if (tm.neg)
				buf_putc(out, '-');
			put_dig(out, tm.hour, 2);
			buf_putc(out, ':');
			put_dig(out, tm.minute, 2);
			buf_putc(out, ':');
			put_dig(out, tm.second, 2);
			put_frac(out, tm.us, tm.us ? 6 : 0);
			buf_putc(out, '"');
			return 0;
		}
		uint64_t ymd = (uint64_t)ip >> 17, ym = ymd >> 5, hms = ip & 0x1FFFF;
		tm.year = (unsigned)(ym / 13);
		tm.month = ym % 13;
		tm.day = ymd & 31;
		tm.hour = (unsigned)(hms >> 12);
		tm.minute = hms >> 6 & 63;
		tm.second = hms & 63;
		buf_putc(out, '"');
		put_date(out, &tm);
		if (t != MYT_DATE) {
			buf_putc(out, ' ');
			put_hms(out, &tm, tm.us ? 6 : 0);
		}
		buf_putc(out, '"');
		return 0;
	}
	}
	buf_puts(out, "\"base64:type");
	buf_put_u64(out, t);
	buf_putc(out, ':');
	buf_base64(out, d, len);
	buf_putc(out, '"');
	return 0;
}

static int
json_container(struct buf *out, int is_obj, int large, const unsigned char *p,
    size_t n, int depth)
{
	size_t w = large ? 4 : 2;
	if (depth > 100 || n < 2 * w)
		return -1;
	uint64_t count = le(p, w), size = le(p + w, w);
	if (size > n)
		return -1;
	size_t kent = is_obj ? w + 2 : 0, vent = 1 + w;
	size_t hdr = 2 * w + count * (kent + vent);
	if (count > n || hdr > size)
		return -1;
	buf_putc(out, is_obj ? '{' : '[');
	for (uint64_t i = 0; i < count; i++) {
		if (i)
			buf_putc(out, ',');
		if (is_obj) {
			const unsigned char *ke = p + 2 * w + i * kent;
			uint64_t ko = le(ke, w), kl = le(ke + w, 2);
			if (ko > size || kl > size - ko)
				return -1;
			buf_json_str(out, (const char *)p + ko, kl);
			buf_putc(out, ':');
		}
		const unsigned char *ve = p + 2 * w + count * kent + i * vent;
		int t = ve[0];
		int inl = t == 0x04 || t == 0x05 || t == 0x06 ||
		    (large && (t == 0x07 || t == 0x08));
		if (inl) {
			if (json_value(out, t, ve + 1, w, depth + 1) < 0)
				return -1;
		} else {
			uint64_t off = le(ve + 1, w);
			if (off >= size)
				return -1;
			if (json_value(out, t, p + off, size - off, depth + 1) < 0)
				return -1;
		}
	}
	buf_putc(out, is_obj ? '}' : ']');
	return 0;
}

static int
json_value(struct buf *out, int type, const unsigned char *p, size_t n,
    int depth)
{
	uint32_t len;
	int k;

	switch (type) {
	case 0x00: return json_container(out, 1, 0, p, n, depth);
	case 0x01: return json_container(out, 1, 1, p, n, depth);
	case 0x02: return json_container(out, 0, 0, p, n, depth);
	case 0x03: return json_container(out, 0, 1, p, n, depth);
	case 0x04:
		if (n < 1)
			return -1;
		buf_puts(out, p[0] == 0 ? "null" : p[0] == 1 ? "true" : "false");
		return 0;
	case 0x05: if (n < 2) return -1; buf_put_i64(out, (int16_t)le(p, 2)); return 0;
	case 0x06: if (n < 2) return -1; buf_put_u64(out, le(p, 2)); return 0;
	case 0x07: if (n < 4) return -1; buf_put_i64(out, (int32_t)le(p, 4)); return 0;
	case 0x08: if (n < 4) return -1; buf_put_u64(out, le(p, 4)); return 0;
	case 0x09: if (n < 8) return -1; buf_put_i64(out, (int64_t)le(p, 8)); return 0;
	case 0x0a: if (n < 8) return -1; buf_put_u64(out, le(p, 8)); return 0;
	case 0x0b: {
		if (n < 8)
			return -1;
		uint64_t b = le(p, 8);
		double d;
		memcpy(&d, &b, 8);
		put_float(out, d, 0);
		return 0;
	}
	case 0x0c:
		if ((k = json_varlen(p, n, &len)) < 0 || len > n - k)
			return -1;
		buf_json_str(out, (const char *)p + k, len);
		return 0;
	case 0x0f:
		return json_opaque(out, p, n);
	}
	return -1;
}

int
my_json_binary(struct buf *out, const unsigned char *p, size_t n)
{
	if (n == 0) {
		buf_puts(out, "null");
		return 0;
	}
	return json_value(out, p[0], p + 1, n - 1, 0);
}

/* ---- values of the text protocol (snapshots) ---- */

static void
parse_dt(const char *s, size_t n, struct mytime *t)
{
	char tmp[40];
	unsigned long us = 0;
	memset(t, 0, sizeof *t);
	if (n >= sizeof tmp)
		n = sizeof tmp - 1;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	sscanf(tmp, "%u-%u-%u %u:%u:%u", &t->year, &t->month, &t->day,
	    &t->hour, &t->minute, &t->second);
	char *dot = strchr(tmp, '.');
	if (dot) {
		int d = 0;
		for (char *q = dot + 1; *q >= '0' && *q <= '9' && d < 6; q++, d++)
			us = us * 10 + (*q - '0');
		for (; d < 6; d++)
			us *= 10;
	}
	t->us = us;
}

void
my_text_value(struct buf *out, int type, unsigned flags, unsigned charsetnr,
    unsigned decimals, unsigned long length, int is_json, const char *s,
    size_t n, enum my_enc enc)
{
	struct mytime t;
	int fsp = decimals > 6 ? 0 : (int)decimals;

	switch (type) {
	case MYSQL_TYPE_TINY: case MYSQL_TYPE_SHORT: case MYSQL_TYPE_INT24:
	case MYSQL_TYPE_LONG:
		buf_add(out, s, n);
		return;
	case MYSQL_TYPE_LONGLONG:
		if (enc == MY_ENC_DEBEZIUM && (flags & UNSIGNED_FLAG))
			buf_put_i64(out, (int64_t)strtoull(s, NULL, 10));
		else
			buf_add(out, s, n);
		return;
	case MYSQL_TYPE_YEAR:
		buf_put_u64(out, strtoul(s, NULL, 10));
		return;
	case MYSQL_TYPE_FLOAT:
		put_float(out, strtof(s, NULL), 1);
		return;
	case MYSQL_TYPE_DOUBLE:
		put_float(out, strtod(s, NULL), 0);
		return;
	case MYSQL_TYPE_DECIMAL: case MYSQL_TYPE_NEWDECIMAL:
		if (enc == MY_ENC_DEBEZIUM)
			put_decimal_precise(out, s, n);
		else
			buf_json_str(out, s, n);
		return;
	case MYSQL_TYPE_BIT: {
		const unsigned char *p = (const unsigned char *)s;
		if (enc == MY_ENC_DEBEZIUM) {
			put_bits(out, p, (int)n, (int)length, enc);
			return;
		}
		buf_put_u64(out, be(p, n > 8 ? 8 : (int)n));
		return;
	}
	case MYSQL_TYPE_DATE: case MYSQL_TYPE_NEWDATE:
		parse_dt(s, n, &t);
		out_date(out, &t, enc);
		return;
	case MYSQL_TYPE_DATETIME:
		parse_dt(s, n, &t);
		out_datetime(out, &t, fsp, enc);
		return;
	case MYSQL_TYPE_TIMESTAMP:
		parse_dt(s, n, &t);
		if (t.year == 0)
			out_timestamp(out, 0, 0, fsp, enc);
		else
			out_timestamp(out, epoch_us(&t) / 1000000, t.us, fsp,
			    enc);
		return;
	case MYSQL_TYPE_TIME: {
		char tmp[32];
		size_t k = n < sizeof tmp - 1 ? n : sizeof tmp - 1;
		memcpy(tmp, s, k);
		tmp[k] = 0;
		memset(&t, 0, sizeof t);
		char *q = tmp;
		if (*q == '-') {
			t.neg = 1;
			q++;
		}
		sscanf(q, "%u:%u:%u", &t.hour, &t.minute, &t.second);
		char *dot = strchr(q, '.');
		if (dot) {
			int d = 0;
			for (char *r = dot + 1; *r >= '0' && *r <= '9' && d < 6;
			    r++, d++)
				t.us = t.us * 10 + (*r - '0');
			for (; d < 6; d++)
				t.us *= 10;
		}
		out_time(out, &t, fsp, enc);
		return;
	}
	case MYSQL_TYPE_JSON:
		if (enc == MY_ENC_DEBEZIUM)
			buf_json_str(out, s, n);
		else
			buf_add(out, s, n);
		return;
	case MYSQL_TYPE_GEOMETRY:
		put_geometry(out, (const unsigned char *)s, n);
		return;
	}
	/* strings, blobs, enums, sets */
	if (charsetnr == MY_CHARSET_BINARY && !(flags & (ENUM_FLAG | SET_FLAG)))
		put_bytes(out, (const unsigned char *)s, n);
	else if (is_json && enc == MY_ENC_PLAIN && n > 0)
		buf_add(out, s, n);
	else
		buf_json_str(out, s, n);
}

/* ---- Kafka Connect schemas of the columns ---- */

/* The type name Debezium gives the column (column.propagate.source.type). */
static const char *
src_type(const struct mycol *c)
{
	int bin = c->charset == MY_CHARSET_BINARY;
	static const char *const text[] = { "TINYTEXT", "TEXT", "MEDIUMTEXT",
	    "LONGTEXT" }, *const blob[] = { "TINYBLOB", "BLOB", "MEDIUMBLOB",
	    "LONGBLOB" };

	switch (c->type) {
	case MYT_TINY: return "TINYINT";
	case MYT_SHORT: return "SMALLINT";
	case MYT_INT24: return "MEDIUMINT";
	case MYT_LONG: return "INT";
	case MYT_LONGLONG: return "BIGINT";
	case MYT_FLOAT: return "FLOAT";
	case MYT_DOUBLE: return "DOUBLE";
	case MYT_DECIMAL: case MYT_NEWDECIMAL: return "DECIMAL";
	case MYT_YEAR: return "YEAR";
	case MYT_DATE: case MYT_NEWDATE: return "DATE";
	case MYT_TIME: case MYT_TIME2: return "TIME";
	case MYT_DATETIME: case MYT_DATETIME2: return "DATETIME";
	case MYT_TIMESTAMP: case MYT_TIMESTAMP2: return "TIMESTAMP";
	case MYT_BIT: return "BIT";
	case MYT_VARCHAR: case MYT_VAR_STRING:
		return bin ? "VARBINARY" : "VARCHAR";
	case MYT_STRING: return bin ? "BINARY" : "CHAR";
	case MYT_ENUM: return "ENUM";
	case MYT_SET: return "SET";
	case MYT_JSON: return "JSON";
	case MYT_GEOMETRY: return "GEOMETRY";
	case MYT_TINY_BLOB: return bin ? "TINYBLOB" : "TINYTEXT";
	case MYT_MEDIUM_BLOB: return bin ? "MEDIUMBLOB" : "MEDIUMTEXT";
	case MYT_LONG_BLOB: return bin ? "LONGBLOB" : "LONGTEXT";
	case MYT_BLOB:
		/* the size of the length tells which */
		if (c->meta >= 1 && c->meta <= 4)
			return bin ? blob[c->meta - 1] : text[c->meta - 1];
		return bin ? "BLOB" : "TEXT";
	}
	return "UNKNOWN";
}

static int
has_sign(int t)
{
	switch (t) {
	case MYT_TINY: case MYT_SHORT: case MYT_INT24: case MYT_LONG:
	case MYT_LONGLONG: case MYT_FLOAT: case MYT_DOUBLE: case MYT_DECIMAL:
	case MYT_NEWDECIMAL:
		return 1;
	}
	return 0;
}

void
my_col_schema(struct buf *b, const struct mycol *c, const char *name,
    size_t nlen, enum my_enc enc)
{
	char tname[40], len[16], scale[16], bits[16];
	const char *type = "string", *sname = NULL;
	const char *p[16];
	int n = 0, opt = c->nullable, dbz = enc == MY_ENC_DEBEZIUM;
	int fsp = -1, prec = -1, sc = -1;
	struct buf allowed;

	buf_init(&allowed);
	snprintf(tname, sizeof tname, "%s%s", src_type(c),
	    c->is_unsigned && has_sign(c->type) ? " UNSIGNED" : "");
	switch (c->type) {
	case MYT_TINY:
		type = "int16";
		break;
	case MYT_SHORT:
		type = c->is_unsigned ? "int32" : "int16";
		break;
	case MYT_INT24:
		type = "int32";
		break;
	case MYT_LONG:
		type = c->is_unsigned ? "int64" : "int32";
		break;
	case MYT_LONGLONG:
		type = "int64";	/* plain UNSIGNED: beyond it, see connect.h */
		break;
	case MYT_FLOAT:
		type = "float32";
		break;
	case MYT_DOUBLE:
		type = "float64";
		break;
	case MYT_DECIMAL: case MYT_NEWDECIMAL:
		prec = c->meta >> 8;
		sc = c->meta & 0xFF;
		if (dbz) {
			type = "bytes";
			sname = "org.apache.kafka.connect.data.Decimal";
			snprintf(scale, sizeof scale, "%d", sc);
			snprintf(len, sizeof len, "%d", prec);
			p[n++] = "scale";
			p[n++] = scale;
			p[n++] = "connect.decimal.precision";
			p[n++] = len;
		}
		break;
	case MYT_YEAR:
		type = "int32";
		sname = "io.debezium.time.Year";
		break;
	case MYT_DATE: case MYT_NEWDATE:
		if (dbz) {
			type = "int32";
			sname = "io.debezium.time.Date";
			opt = 1;	/* the zero date is null */
		}
		break;
	case MYT_TIME: case MYT_TIME2:
		fsp = c->type == MYT_TIME2 ? c->meta : 0;
		if (dbz) {
			type = "int64";
			sname = "io.debezium.time.MicroTime";
		}
		break;
	case MYT_DATETIME: case MYT_DATETIME2:
		fsp = c->type == MYT_DATETIME2 ? c->meta : 0;
		if (dbz) {
			type = "int64";
			sname = fsp <= 3 ? "io.debezium.time.Timestamp" :
			    "io.debezium.time.MicroTimestamp";
			opt = 1;
		}
		break;
	case MYT_TIMESTAMP: case MYT_TIMESTAMP2:
		fsp = c->type == MYT_TIMESTAMP2 ? c->meta : 0;
		sname = "io.debezium.time.ZonedTimestamp";
		if (dbz)
			opt = 1;
		break;
	case MYT_BIT: {
		int nbits = (c->meta >> 8) * 8 + (c->meta & 0xFF);
		prec = nbits;	/* its length */
		if (!dbz)
			type = "int64";
		else if (nbits == 1)
			type = "boolean";
		else {
			type = "bytes";
			sname = "io.debezium.data.Bits";
			snprintf(bits, sizeof bits, "%d", nbits);
			p[n++] = "length";
			p[n++] = bits;
		}
		break;
	}
	case MYT_ENUM: case MYT_SET:
		if (!c->vals) {	/* written as the index, or the bits */
			type = c->type == MYT_ENUM ? "int32" : "int64";
			break;
		}
		sname = c->type == MYT_ENUM ? "io.debezium.data.Enum" :
		    "io.debezium.data.EnumSet";
		for (uint32_t i = 0; i < c->nvals; i++) {
			if (i)
				buf_putc(&allowed, ',');
			if (!is_latin1(c->charset)) {
				buf_add(&allowed, c->vals[i], c->vlens[i]);
				continue;
			}
			/* in UTF-8, as information_schema has them */
			buf_reserve(&allowed, 3 * (size_t)c->vlens[i]);
			for (uint32_t k = 0; k < c->vlens[i]; k++) {
				unsigned ch = (unsigned char)c->vals[i][k];
				if (ch >= 0x80 && ch < 0xA0)
					ch = cp1252[ch - 0x80];
				allowed.len = (size_t)(utf8_put(allowed.p +
				    allowed.len, ch) - allowed.p);
			}
		}
		p[n++] = "allowed";
		p[n++] = buf_cstr(&allowed);
		break;
	case MYT_JSON:
		sname = "io.debezium.data.Json";
		break;
	case MYT_GEOMETRY:
		break;
	default:	/* strings: text, or binary */
		if (c->charset == MY_CHARSET_BINARY)
			type = "bytes";
		break;
	}
	p[n++] = "__debezium.source.column.type";
	p[n++] = tname;
	if (prec >= 0 || fsp >= 0) {
		snprintf(len, sizeof len, "%d", prec >= 0 ? prec : fsp);
		p[n++] = "__debezium.source.column.length";
		p[n++] = len;
	}
	if (sc >= 0) {
		snprintf(scale, sizeof scale, "%d", sc);
		p[n++] = "__debezium.source.column.scale";
		p[n++] = scale;
	}
	p[n] = NULL;
	if (c->type == MYT_GEOMETRY) {
		/* {"wkb":base64,"srid":N}, as Debezium's Geometry */
		struct buf f;
		buf_init(&f);
		cs_field(&f, "", 0, "struct", opt,
		    "io.debezium.data.geometry.Geometry", p);
		/* the fields go after the type */
		if (b->len)
			buf_putc(b, ',');
		buf_puts(b, "{\"type\":\"struct\",\"fields\":[{\"type\":\"bytes\","
		    "\"optional\":false,\"field\":\"wkb\"},{\"type\":\"int32\","
		    "\"optional\":true,\"field\":\"srid\"}]");
		/* f: {"type":"struct" ... ,"field":""} */
		buf_add(b, f.p + strlen("{\"type\":\"struct\""),
		    f.len - strlen("{\"type\":\"struct\"") - strlen("\"\"}"));
		buf_json_str(b, name, nlen);
		buf_putc(b, '}');
		buf_free(&f);
	} else
		cs_field(b, name, nlen, type, opt, sname, p);
	buf_free(&allowed);
}

/* ENUM('a','b''c') / SET(...) values into c, in one block at *strs. */
static void
schema_vals(struct mycol *c, const char *ct, char **strs)
{
	const char *s = strchr(ct, '(');
	size_t n = 0, len = strlen(ct), k;
	char *blk, *d;
	const char **vals;
	uint32_t *vlens;

	if (!s)
		return;
	for (const char *q = s; *q; q++)	/* at most this many values */
		n += *q == ',';
	n++;
	blk = xmalloc(n * (sizeof *vals + sizeof *vlens) + len + 1);
	vals = (const char **)(void *)blk;
	vlens = (uint32_t *)(void *)(blk + n * sizeof *vals);
	d = blk + n * (sizeof *vals + sizeof *vlens);
	k = 0;
	for (s++; *s == '\''; ) {
		vals[k] = d;
		for (s++; *s; s++) {
			if (*s == '\'' && s[1] == '\'')
				s++;
			else if (*s == '\'')
				break;
			*d++ = *s;
		}
		vlens[k] = (uint32_t)(d - vals[k]);
		*d++ = '\0';
		k++;
		if (*s == '\'')
			s++;
		if (*s == ',')
			s++;
	}
	c->vals = vals;
	c->vlens = vlens;
	c->nvals = (uint32_t)k;
	*strs = blk;
}

int
my_col_from_schema(struct mycol *c, const char *const *v, char **strs)
{
	static const struct { const char *name; uint8_t type, meta, bin; }
	    map[] = {
		{ "tinyint", MYT_TINY, 0, 0 }, { "smallint", MYT_SHORT, 0, 0 },
		{ "mediumint", MYT_INT24, 0, 0 }, { "int", MYT_LONG, 0, 0 },
		{ "bigint", MYT_LONGLONG, 0, 0 }, { "float", MYT_FLOAT, 4, 0 },
		{ "double", MYT_DOUBLE, 8, 0 }, { "decimal", MYT_NEWDECIMAL, 0, 0 },
		{ "year", MYT_YEAR, 0, 0 }, { "date", MYT_DATE, 0, 0 },
		{ "time", MYT_TIME2, 0, 0 }, { "datetime", MYT_DATETIME2, 0, 0 },
		{ "timestamp", MYT_TIMESTAMP2, 0, 0 }, { "bit", MYT_BIT, 0, 0 },
		{ "char", MYT_STRING, 0, 0 }, { "binary", MYT_STRING, 0, 1 },
		{ "varchar", MYT_VARCHAR, 0, 0 }, { "varbinary", MYT_VARCHAR, 0, 1 },
		{ "tinytext", MYT_BLOB, 1, 0 }, { "text", MYT_BLOB, 2, 0 },
		{ "mediumtext", MYT_BLOB, 3, 0 }, { "longtext", MYT_BLOB, 4, 0 },
		{ "tinyblob", MYT_BLOB, 1, 1 }, { "blob", MYT_BLOB, 2, 1 },
		{ "mediumblob", MYT_BLOB, 3, 1 }, { "longblob", MYT_BLOB, 4, 1 },
		{ "enum", MYT_ENUM, 0, 0 }, { "set", MYT_SET, 0, 0 },
		{ "json", MYT_JSON, 4, 0 }, { "geometry", MYT_GEOMETRY, 4, 1 },
		{ "point", MYT_GEOMETRY, 4, 1 }, { "linestring", MYT_GEOMETRY, 4, 1 },
		{ "polygon", MYT_GEOMETRY, 4, 1 },
		{ "multipoint", MYT_GEOMETRY, 4, 1 },
		{ "multilinestring", MYT_GEOMETRY, 4, 1 },
		{ "multipolygon", MYT_GEOMETRY, 4, 1 },
		{ "geometrycollection", MYT_GEOMETRY, 4, 1 },
		{ "geomcollection", MYT_GEOMETRY, 4, 1 },
	};
	const char *dt = v[0] ? v[0] : "", *ct = v[1] ? v[1] : "";
	size_t i;

	*strs = NULL;
	for (i = 0; i < sizeof map / sizeof *map; i++)
		if (strcasecmp(dt, map[i].name) == 0)
			break;
	if (i == sizeof map / sizeof *map) {
		/* the text protocol gives it as a string */
		c->type = MYT_VARCHAR;
		c->charset = 1;
		c->nullable = v[2] && strcasecmp(v[2], "YES") == 0;
		return -1;
	}
	c->type = map[i].type;
	c->meta = map[i].meta;
	c->nullable = v[2] && strcasecmp(v[2], "YES") == 0;
	c->is_unsigned = strstr(ct, "unsigned") != NULL;
	c->charset = map[i].bin || (v[6] && strcmp(v[6], "binary") == 0) ?
	    MY_CHARSET_BINARY : 1;
	switch (c->type) {
	case MYT_NEWDECIMAL:
		c->meta = (uint16_t)(atoi(v[3] ? v[3] : "10") << 8 |
		    atoi(v[4] ? v[4] : "0"));
		break;
	case MYT_TIME2: case MYT_DATETIME2: case MYT_TIMESTAMP2:
		c->meta = (uint16_t)atoi(v[5] ? v[5] : "0");
		break;
	case MYT_BIT: {
		int nbits = atoi(v[3] ? v[3] : "1");
		c->meta = (uint16_t)((nbits / 8) << 8 | nbits % 8);
		break;
	}
	case MYT_ENUM: case MYT_SET:
		schema_vals(c, ct, strs);
		break;
	}
	return 0;
}
