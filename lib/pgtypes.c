/* pgtypes.c: PostgreSQL text output values as JSON. */
#include "pgtypes.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static const struct {
	uint32_t oid, array;
	enum pgt_kind kind;
} builtin[] = {
	{ 16, 1000, PGT_BOOL }, { 17, 1001, PGT_BYTEA }, { 18, 1002, PGT_TEXT },
	{ 19, 1003, PGT_TEXT }, { 20, 1016, PGT_INT }, { 21, 1005, PGT_INT },
	{ 23, 1007, PGT_INT }, { 25, 1009, PGT_TEXT }, { 26, 1028, PGT_INT },
	{ 114, 199, PGT_JSON }, { 142, 143, PGT_TEXT }, { 650, 651, PGT_TEXT },
	{ 700, 1021, PGT_FLOAT }, { 701, 1022, PGT_FLOAT },
	{ 774, 775, PGT_TEXT }, { 790, 791, PGT_MONEY }, { 829, 1040, PGT_TEXT },
	{ 869, 1041, PGT_TEXT }, { 1042, 1014, PGT_TEXT },
	{ 1043, 1015, PGT_TEXT }, { 1082, 1182, PGT_DATE },
	{ 1083, 1183, PGT_TIME }, { 1114, 1115, PGT_TIMESTAMP },
	{ 1184, 1185, PGT_TIMESTAMPTZ }, { 1186, 1187, PGT_INTERVAL },
	{ 1266, 1270, PGT_TIMETZ }, { 1560, 1561, PGT_TEXT },
	{ 1562, 1563, PGT_TEXT }, { 1700, 1231, PGT_NUMERIC },
	{ 2950, 2951, PGT_TEXT }, { 3802, 3807, PGT_JSON },
};

int
pgt_builtin(uint32_t oid, enum pgt_kind *kind, enum pgt_kind *elem)
{
	*kind = *elem = PGT_TEXT;
	for (size_t i = 0; i < sizeof builtin / sizeof *builtin; i++) {
		if (builtin[i].oid == oid) {
			*kind = builtin[i].kind;
			return 1;
		}
		if (builtin[i].array == oid) {
			*kind = PGT_ARRAY;
			*elem = builtin[i].kind;
			return 1;
		}
	}
	return 0;
}

uint32_t
pgt_builtin_elem(uint32_t oid)
{
	for (size_t i = 0; i < sizeof builtin / sizeof *builtin; i++)
		if (builtin[i].array == oid)
			return builtin[i].oid;
	return 0;
}

const char *
pgt_kind_name(enum pgt_kind k)
{
	static const char *names[] = { "text", "int", "numeric", "float",
	    "bool", "bytea", "date", "time", "timetz", "timestamp",
	    "timestamptz", "interval", "json", "money", "array" };

	return (unsigned)k < sizeof names / sizeof *names ? names[k] : "?";
}

/* A JSON number, exactly: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
json_number(const char *s, size_t n)
{
	size_t i = 0;

	if (i < n && s[i] == '-')
		i++;
	if (i >= n)
		return 0;
	if (s[i] == '0')
		i++;
	else if (s[i] >= '1' && s[i] <= '9')
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return 0;
	if (i < n && s[i] == '.') {
		size_t d = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == d)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t d;
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		d = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == d)
			return 0;
	}
	return i == n;
}

static int
digits(const char *s, size_t n, long *v)
{
	long x = 0;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return 1;
}

/* bytea in hex output (\x0a1b...) to base64, decoded in chunks. */
static int
enc_bytea(struct buf *b, const char *s, size_t n)
{
	unsigned char chunk[3 * 256];
	size_t i, k = 0;

	if (n < 2 || s[0] != '\\' || s[1] != 'x' || (n - 2) % 2)
		return -1;
	for (i = 2; i < n; i += 2)
		if (hex_digit((unsigned char)s[i]) < 0 ||
		    hex_digit((unsigned char)s[i + 1]) < 0)
			return -1;
	buf_putc(b, '"');
	for (i = 2; i < n; i += 2) {
		chunk[k++] = (unsigned char)(hex_digit((unsigned char)s[i]) << 4 |
		    hex_digit((unsigned char)s[i + 1]));
		if (k == sizeof chunk) {
			buf_base64(b, chunk, k);
			k = 0;
		}
	}
	buf_base64(b, chunk, k);
	buf_putc(b, '"');
	return 0;
}

/* YYYY-MM-DD at s (exactly 10 characters, 4-digit year). */
static int
parse_date(const char *s, size_t n, long long *days)
{
	long y, m, d;

	if (n < 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &y) ||
	    !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d) || m < 1 ||
	    m > 12 || d < 1 || d > 31)
		return -1;
	*days = days_from_civil(y, m, d);
	return 0;
}

/* HH:MM:SS[.ffffff] at s; returns characters used, or -1. */
static int
parse_time(const char *s, size_t n, long long *us)
{
	long h, mi, se, f = 0;
	size_t i = 8, fd = 0;

	if (n < 8 || s[2] != ':' || s[5] != ':' || !digits(s, 2, &h) ||
	    !digits(s + 3, 2, &mi) || !digits(s + 6, 2, &se))
		return -1;
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9' && fd < 6) {
			f = f * 10 + (s[i++] - '0');
			fd++;
		}
		if (fd == 0)
			return -1;
		for (; fd < 6; fd++)
			f *= 10;
	}
	*us = ((h * 60LL + mi) * 60 + se) * 1000000 + f;
	return (int)i;
}

/* A zone offset +HH[:MM[:SS]] at s, exactly n characters; seconds east. */
static int
parse_offset(const char *s, size_t n, long *secs)
{
	long h, m = 0, x = 0;
	int sign;

	if (n < 3 || (s[0] != '+' && s[0] != '-') || !digits(s + 1, 2, &h))
		return -1;
	sign = s[0] == '-' ? -1 : 1;
	if (n >= 6) {
		if (s[3] != ':' || !digits(s + 4, 2, &m))
			return -1;
		if (n >= 9) {
			if (n != 9 || s[6] != ':' || !digits(s + 7, 2, &x))
				return -1;
		} else if (n != 6) {
			return -1;
		}
	} else if (n != 3) {
		return -1;
	}
	*secs = sign * (h * 3600 + m * 60 + x);
	return 0;
}

/* Append an offset as ISO 8601: Z for zero, else +HH:MM[:SS]. */
static void
put_offset(struct buf *b, const char *s, size_t n)
{
	long secs;

	if (parse_offset(s, n, &secs) == 0 && secs == 0) {
		buf_putc(b, 'Z');
		return;
	}
	buf_add(b, s, 3);
	buf_add(b, n > 3 ? s + 3 : ":00", n > 3 ? n - 3 : 3);
}

static void
put_fraction(struct buf *b, long long us)
{
	if (us % 1000000 == 0)
		return;
	buf_printf(b, ".%06lld", us % 1000000);
	while (b->p[b->len - 1] == '0')
		b->len--;
}

/* timestamp, timestamptz: "YYYY-MM-DD HH:MM:SS[.f][+zz]" */
static int
enc_timestamp(struct buf *b, enum pgt_kind k, const char *s, size_t n,
    int flags)
{
	long long days, us;
	int used;
	size_t rest;

	if (n < 19 || s[10] != ' ' || parse_date(s, n, &days) != 0 ||
	    (used = parse_time(s + 11, n - 11, &us)) < 0)
		return -1;
	rest = n - 11 - (size_t)used;
	if (k == PGT_TIMESTAMP) {
		if (rest != 0)
			return -1;
		if (flags & PGT_DEBEZIUM) {
			buf_printf(b, "%lld", days * 86400000000LL + us);
			return 0;
		}
		buf_putc(b, '"');
		buf_add(b, s, 10);
		buf_putc(b, 'T');
		buf_add(b, s + 11, (size_t)used);
		buf_puts(b, "Z\"");
		return 0;
	}
	if (flags & PGT_DEBEZIUM) {
		/* Debezium's ZonedTimestamp: in UTC */
		long off;
		long long t, sec, d, rem;
		char tmp[48];

		if (parse_offset(s + 11 + used, rest, &off) != 0)
			return -1;
		t = days * 86400000000LL + us - off * 1000000LL;
		d = t / 86400000000LL;
		rem = t % 86400000000LL;
		if (rem < 0) {
			rem += 86400000000LL;
			d--;
		}
		{
			int y;
			unsigned mm, dd;

			civil_from_days(d, &y, &mm, &dd);
			if (y < 0 || y > 9999)
				return -1;
			sec = rem / 1000000;
			snprintf(tmp, sizeof tmp, "\"%04d-%02u-%02uT%02lld:%02lld:%02lld",
			    y, mm, dd, sec / 3600, sec / 60 % 60, sec % 60);
		}
		buf_puts(b, tmp);
		put_fraction(b, rem);
		buf_puts(b, "Z\"");
		return 0;
	}
	if (rest == 0 || parse_offset(s + 11 + used, rest, &(long){0}) != 0)
		return -1;
	buf_putc(b, '"');
	buf_add(b, s, 10);
	buf_putc(b, 'T');
	buf_add(b, s + 11, (size_t)used);
	put_offset(b, s + 11 + used, rest);
	buf_putc(b, '"');
	return 0;
}

static int
enc_time(struct buf *b, enum pgt_kind k, const char *s, size_t n, int flags)
{
	long long us;
	int used = parse_time(s, n, &us);
	size_t rest;
	long off;

	if (used < 0)
		return -1;
	rest = n - (size_t)used;
	if (k == PGT_TIME) {
		if (rest != 0)
			return -1;
		if (flags & PGT_DEBEZIUM)
			buf_printf(b, "%lld", us);
		else
			buf_json_str(b, s, n);
		return 0;
	}
	if (parse_offset(s + used, rest, &off) != 0)
		return -1;
	if (flags & PGT_DEBEZIUM) {
		long long t = us - off * 1000000LL, day = 86400000000LL, sec;

		t = ((t % day) + day) % day;
		sec = t / 1000000;
		buf_printf(b, "\"%02lld:%02lld:%02lld", sec / 3600,
		    sec / 60 % 60, sec % 60);
		put_fraction(b, t);
		buf_puts(b, "Z\"");
		return 0;
	}
	buf_putc(b, '"');
	buf_add(b, s, (size_t)used);
	put_offset(b, s + used, rest);
	buf_putc(b, '"');
	return 0;
}

/* money in lc_monetary C: -$1,234.56 */
static int
enc_money(struct buf *b, const char *s, size_t n, int flags)
{
	char tmp[64];
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '$' || s[i] == ',')
			continue;
		if (k + 1 >= sizeof tmp)
			return -1;
		tmp[k++] = s[i];
	}
	if (!json_number(tmp, k))
		return -1;
	if (flags & PGT_DEBEZIUM)
		buf_json_str(b, tmp, k);
	else
		buf_add(b, tmp, k);
	return 0;
}

/* json text embedded as JSON: newlines outside strings are whitespace. */
static void
enc_json(struct buf *b, const char *s, size_t n)
{
	size_t i;

	buf_reserve(b, n);
	for (i = 0; i < n; i++) {
		char c = s[i];
		b->p[b->len++] = c == '\n' || c == '\r' ? ' ' : c;
	}
}

static int enc_scalar(struct buf *, enum pgt_kind, const char *, size_t, int);

/*
 * An array literal: {a,"b c",NULL,{1,2}} with an optional dimension
 * prefix [1:2]=. Elements are unquoted into a scratch buffer.
 */
static int
enc_array(struct buf *b, enum pgt_kind elem, const char *s, size_t n,
    int flags)
{
	struct buf tmp;
	size_t i = 0;
	int depth = 0, bad = 0, need_value = 0;

	if (n > 0 && s[0] == '[') {
		const char *eq = memchr(s, '=', n);
		if (eq == NULL)
			return -1;
		i = (size_t)(eq - s) + 1;
	}
	/* check the structure first, so that nothing is half written */
	{
		size_t j = i;
		int d = 0, q = 0;
		if (j >= n || s[j] != '{')
			return -1;
		for (; j < n; j++) {
			if (q) {
				if (s[j] == '\\')
					j++;
				else if (s[j] == '"')
					q = 0;
			} else if (s[j] == '"') {
				q = 1;
			} else if (s[j] == '{') {
				d++;
			} else if (s[j] == '}') {
				if (--d == 0)
					break;
			}
		}
		if (d != 0 || j != n - 1 || q)
			return -1;
	}
	buf_init(&tmp);
	for (; i < n; i++) {
		char c = s[i];

		if (c == '{') {
			buf_putc(b, '[');
			depth++;
			need_value = 0;
		} else if (c == '}') {
			buf_putc(b, ']');
			depth--;
		} else if (c == ',') {
			buf_putc(b, ',');
			need_value = 1;
		} else {
			int quoted = c == '"';

			buf_reset(&tmp);
			if (quoted) {
				for (i++; i < n && s[i] != '"'; i++) {
					if (s[i] == '\\' && i + 1 < n)
						i++;
					buf_putc(&tmp, s[i]);
				}
			} else {
				for (; i < n && s[i] != ',' && s[i] != '}'; i++) {
					if (s[i] == '\\' && i + 1 < n)
						i++;
					buf_putc(&tmp, s[i]);
				}
				i--;
			}
			if (!quoted && tmp.len == 4 &&
			    memcmp(tmp.p, "NULL", 4) == 0)
				buf_puts(b, "null");
			else if (enc_scalar(b, elem, tmp.p ? tmp.p : "",
			    tmp.len, flags) != 0)
				bad = 1;
			need_value = 0;
		}
	}
	(void)need_value;
	(void)depth;
	buf_free(&tmp);
	return bad ? -1 : 0;
}

static int
enc_scalar(struct buf *b, enum pgt_kind k, const char *s, size_t n, int flags)
{
	size_t mark = b->len;
	int r = 0;

	switch (k) {
	case PGT_INT:
		if (json_number(s, n) && !memchr(s, '.', n) && !memchr(s, 'e', n))
			buf_add(b, s, n);
		else
			r = -1;
		break;
	case PGT_NUMERIC:
		if (n == 3 && memcmp(s, "NaN", 3) == 0)
			buf_puts(b, "\"NaN\"");
		else if (!json_number(s, n))
			r = n > 0 && (strncmp(s, "Infinity", n) == 0 ||
			    strncmp(s, "-Infinity", n) == 0) ? 1 : -1;
		else if (flags & PGT_DEBEZIUM)
			buf_json_str(b, s, n);
		else
			buf_add(b, s, n);
		break;
	case PGT_FLOAT:
		if (json_number(s, n))
			buf_add(b, s, n);
		else if ((n == 3 && memcmp(s, "NaN", 3) == 0) ||
		    (n == 8 && memcmp(s, "Infinity", 8) == 0) ||
		    (n == 9 && memcmp(s, "-Infinity", 9) == 0))
			buf_json_str(b, s, n);
		else
			r = -1;
		break;
	case PGT_BOOL:
		if (n == 1 && (s[0] == 't' || s[0] == 'f'))
			buf_puts(b, s[0] == 't' ? "true" : "false");
		else
			r = -1;
		break;
	case PGT_BYTEA:
		r = enc_bytea(b, s, n);
		break;
	case PGT_DATE: {
		long long days;

		if (n != 10 || parse_date(s, n, &days) != 0)
			r = 1;	/* infinity, BC: as text */
		else if (flags & PGT_DEBEZIUM)
			buf_printf(b, "%lld", days);
		else
			buf_json_str(b, s, n);
		break;
	}
	case PGT_TIME:
	case PGT_TIMETZ:
		r = enc_time(b, k, s, n, flags);
		break;
	case PGT_TIMESTAMP:
	case PGT_TIMESTAMPTZ:
		if (enc_timestamp(b, k, s, n, flags) != 0) {
			b->len = mark;
			r = 1;	/* infinity, BC, years past 9999: as text */
		}
		break;
	case PGT_JSON:
		if (flags & PGT_DEBEZIUM)
			buf_json_str(b, s, n);
		else
			enc_json(b, s, n);
		break;
	case PGT_MONEY:
		r = enc_money(b, s, n, flags);
		break;
	case PGT_ARRAY:		/* no arrays of arrays in PostgreSQL */
	case PGT_TEXT:
	case PGT_INTERVAL:
		buf_json_str(b, s, n);
		break;
	}
	if (r != 0) {
		/* not what the kind expects: keep the text */
		b->len = mark;
		buf_json_str(b, s, n);
	}
	return r < 0 ? -1 : 0;
}

int
pgt_encode(struct buf *b, enum pgt_kind kind, enum pgt_kind elem,
    const char *s, size_t n, int flags)
{
	if (kind == PGT_ARRAY) {
		size_t mark = b->len;

		if (elem == PGT_ARRAY)
			elem = PGT_TEXT;
		if (enc_array(b, elem, s, n, flags) == 0)
			return 0;
		b->len = mark;
		buf_json_str(b, s, n);
		return -1;
	}
	return enc_scalar(b, kind, s, n, flags);
}
