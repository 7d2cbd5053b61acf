/*
 * gen_out.h: fast checked output of CSV and JSON lines into files.
 *
 * One big buffer per file, written with write(2) when full; numbers, decimals
 * and ISO 8601 times are formatted by hand (printf is the bottleneck at
 * millions of rows a second). Callers reserve room for a row (gout_room)
 * and then append without further checks. Any failure to create or write a
 * file ends the program with a message naming the file: 73 when the file
 * cannot be created, 74 on a write error.
 */
#ifndef TP_GEN_OUT_H
#define TP_GEN_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define GOUT_BUFSZ (1u << 20)
#define GOUT_ROWMAX 4096	/* the longest row a caller may append */

struct gout {
	int fd;
	char *path;
	char *buf;
	size_t len;
	unsigned long long rows;	/* data rows, counted by the caller */
};

/* Create (truncate) dir/name; dies with EX_CANTCREAT on failure. */
void gout_open(struct gout *o, const char *dir, const char *name);
/* Write out the buffer; dies with EX_IOERR on failure. */
void gout_flush(struct gout *o);
/* Flush, fsync-free close; dies with EX_IOERR on failure. */
void gout_close(struct gout *o);

static inline void
gout_room(struct gout *o, size_t n)
{
	if (o->len + n > GOUT_BUFSZ)
		gout_flush(o);
}

static inline void
gout_c(struct gout *o, char c)
{
	o->buf[o->len++] = c;
}

static inline void
gout_mem(struct gout *o, const char *s, size_t n)
{
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static inline void
gout_s(struct gout *o, const char *s)
{
	gout_mem(o, s, strlen(s));
}

/* Unsigned decimal, at least width digits (zero padded). */
static inline void
gout_upad(struct gout *o, unsigned long long v, int width)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n < width)
		tmp[n++] = '0';
	while (n > 0)
		o->buf[o->len++] = tmp[--n];
}

static inline void
gout_u(struct gout *o, unsigned long long v)
{
	gout_upad(o, v, 1);
}

static inline void
gout_i(struct gout *o, long long v)
{
	if (v < 0) {
		gout_c(o, '-');
		gout_u(o, (unsigned long long)-v);
	} else
		gout_u(o, (unsigned long long)v);
}

/* A fixed-point number: v / 10^decimals, e.g. cents with 2 -> "12.50". */
static inline void
gout_fixed(struct gout *o, long long v, int decimals)
{
	static const long long p10[] = { 1, 10, 100, 1000, 10000, 100000,
		1000000, 10000000 };
	unsigned long long a;

	if (v < 0) {
		gout_c(o, '-');
		a = (unsigned long long)-v;
	} else
		a = (unsigned long long)v;
	gout_u(o, a / (unsigned long long)p10[decimals]);
	if (decimals > 0) {
		gout_c(o, '.');
		gout_upad(o, a % (unsigned long long)p10[decimals], decimals);
	}
}

/* A double rounded to decimals places. */
static inline void
gout_double(struct gout *o, double d, int decimals)
{
	static const double p10[] = { 1, 10, 100, 1000, 10000, 100000,
		1000000, 10000000 };
	double s = d * p10[decimals];

	gout_fixed(o, (long long)(s < 0 ? s - 0.5 : s + 0.5), decimals);
}

/* Days since 1970-01-01 to a civil date (Hinnant's algorithm). */
static inline void
gen_civil(long long days, int *y, int *m, int *d)
{
	long long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* YYYY-MM-DD of an epoch time in seconds. */
static inline void
gout_date(struct gout *o, long long t)
{
	int y, m, d;

	gen_civil(t >= 0 ? t / 86400 : (t - 86399) / 86400, &y, &m, &d);
	gout_upad(o, (unsigned)y, 4);
	gout_c(o, '-');
	gout_upad(o, (unsigned)m, 2);
	gout_c(o, '-');
	gout_upad(o, (unsigned)d, 2);
}

/* HH:MM:SS of a second of the day. */
static inline void
gout_hms(struct gout *o, unsigned sec, char sep)
{
	char *p = o->buf + o->len;
	unsigned h = sec / 3600, mi = sec / 60 % 60, s = sec % 60;

	p[0] = (char)('0' + h / 10);
	p[1] = (char)('0' + h % 10);
	p[2] = sep;
	p[3] = (char)('0' + mi / 10);
	p[4] = (char)('0' + mi % 10);
	p[5] = sep;
	p[6] = (char)('0' + s / 10);
	p[7] = (char)('0' + s % 10);
	o->len += 8;
}

/* ISO 8601 UTC, "2026-11-01T08:15:02Z". */
static inline void
gout_time(struct gout *o, long long t)
{
	long long day = t >= 0 ? t / 86400 : (t - 86399) / 86400;

	gout_date(o, t);
	gout_c(o, 'T');
	gout_hms(o, (unsigned)(t - day * 86400), ':');
	gout_c(o, 'Z');
}

/* Format into a small string (for the rare paths: SQL, JSON). */
void gen_fmt_time(long long t, char out[24]);	/* 2026-11-01T08:15:02Z */
void gen_fmt_sqltime(long long t, char out[24]);	/* 2026-11-01 08:15:02 */

/* Parse "YYYY-MM-DD[THH:MM[:SS]][Z]" as UTC; -1 when malformed. */
int gen_parse_time(const char *s, long long *t);

#endif
