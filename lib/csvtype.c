/* csvtype.c: column types of CSV files and the JSON text of their cells. */
#include "csvtype.h"

#include <string.h>
#include <strings.h>

static const char *const names[] = {
	"auto", "string", "integer", "decimal", "float", "boolean", "timestamp",
};

const char *
ctype_name(enum ctype t)
{
	if ((unsigned)t >= sizeof names / sizeof *names)
		return "?";
	return names[t];
}

int
ctype_parse(const char *s)
{
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && memcmp(s + n - m, suffix, m) == 0;
}

/* The columns of the event streams in data-contract.md, by type. */
static const struct {
	const char *name;
	enum ctype type;
} contract[] = {
	{ "msisdn", CT_STRING }, { "other_msisdn", CT_STRING },
	{ "imsi", CT_STRING }, { "imei", CT_STRING },
	{ "direction", CT_STRING }, { "country", CT_STRING },
	{ "protocol", CT_STRING }, { "channel", CT_STRING },
	{ "service_name", CT_STRING }, { "source_ip", CT_STRING },
	{ "duration_s", CT_INTEGER }, { "result_code", CT_INTEGER },
	{ "latency_ms", CT_INTEGER }, { "active_subscribers", CT_INTEGER },
	{ "units", CT_INTEGER },
	{ "charge", CT_DECIMAL }, { "amount", CT_DECIMAL },
	{ "latitude", CT_FLOAT }, { "longitude", CT_FLOAT },
	{ "cpu_load", CT_FLOAT }, { "call_drop_rate", CT_FLOAT },
	{ "throughput_mbps", CT_FLOAT },
	{ "answered", CT_BOOLEAN }, { "roaming", CT_BOOLEAN },
	{ "start_time", CT_TIMESTAMP }, { "event_time", CT_TIMESTAMP },
};

enum ctype
ctype_contract(const char *name)
{
	for (size_t i = 0; i < sizeof contract / sizeof *contract; i++)
		if (strcmp(name, contract[i].name) == 0)
			return contract[i].type;
	/* every identifier, every code: cdr_id, cell_id, call_type, visited_country */
	if (ends_with(name, "_id") || ends_with(name, "_type") ||
	    ends_with(name, "_country"))
		return CT_STRING;
	return CT_AUTO;
}

static int
isdig(char c)
{
	return c >= '0' && c <= '9';
}

static size_t
digits(const char *s, size_t i, size_t n)
{
	while (i < n && isdig(s[i]))
		i++;
	return i;
}

unsigned
ctype_cell_mask(const char *s, size_t n)
{
	size_t i = 0, j, ndig;
	int frac = 0;

	if ((n == 4 && strncasecmp(s, "true", 4) == 0) ||
	    (n == 5 && strncasecmp(s, "false", 5) == 0))
		return CM_BOOLEAN;
	/* a JSON number, written as JSON writes it */
	if (i < n && s[i] == '-')
		i++;
	if (i >= n || !isdig(s[i]))
		return 0;
	if (s[i] == '0')
		j = i + 1;
	else
		j = digits(s, i, n);
	ndig = j - i;
	i = j;
	if (i < n && s[i] == '.') {
		j = digits(s, i + 1, n);
		if (j == i + 1)
			return 0;
		i = j;
		frac = 1;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		j = digits(s, i, n);
		if (j == i || j != n)
			return 0;
		return CM_FLOAT;
	}
	if (i != n)
		return 0;
	if (frac)
		return CM_DECIMAL | CM_FLOAT;
	if (ndig > 15)
		return 0;	/* a long identifier, not a number */
	return CM_INTEGER | CM_DECIMAL | CM_FLOAT;
}

enum ctype
ctype_infer(unsigned mask, int seen)
{
	if (!seen)
		return CT_STRING;
	if (mask & CM_INTEGER)
		return CT_INTEGER;
	if (mask & CM_DECIMAL)
		return CT_DECIMAL;
	if (mask & CM_FLOAT)
		return CT_FLOAT;
	if (mask & CM_BOOLEAN)
		return CT_BOOLEAN;
	return CT_STRING;
}

/*
 * A number as a person writes it: [+-] digits [. digits] [e [+-] digits],
 * with digits before or after the point. Written as canonical JSON: no '+',
 * no leading zeros, 0 before a bare point, no point without digits after it.
 * The digits themselves are kept, so the value is exact.
 */
static int
emit_number(struct buf *b, const char *s, size_t n, int allow_frac,
    int allow_exp)
{
	size_t i = 0, is, ie, fs, fe, es = 0;
	int neg = 0;

	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	is = i;
	ie = i = digits(s, i, n);
	fs = fe = i;
	if (i < n && s[i] == '.') {
		if (!allow_frac)
			return -1;
		fs = i + 1;
		fe = i = digits(s, fs, n);
	}
	if (ie == is && fe == fs)
		return -1;	/* no digit at all */
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		if (!allow_exp)
			return -1;
		es = i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (digits(s, i, n) == i)
			return -1;
		i = digits(s, i, n);
	}
	if (i != n)
		return -1;
	while (is < ie && s[is] == '0')
		is++;
	buf_reserve(b, n + 3);
	if (neg)
		b->p[b->len++] = '-';
	if (is == ie)
		b->p[b->len++] = '0';
	else
		buf_add(b, s + is, ie - is);
	if (fe > fs) {
		b->p[b->len++] = '.';
		buf_add(b, s + fs, fe - fs);
	}
	if (es)
		buf_add(b, s + es, n - es);
	return 0;
}

/* int64 range, on the digits alone. */
static int
fits_int64(const char *s, size_t n)
{
	size_t i = 0;
	int neg = 0;

	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	while (i < n - 1 && s[i] == '0')
		i++;
	if (n - i < 19)
		return 1;
	if (n - i > 19)
		return 0;
	return memcmp(s + i, neg ? "9223372036854775808" :
	    "9223372036854775807", 19) <= 0;
}

static int
emit_boolean(struct buf *b, const char *s, size_t n)
{
	static const char *const yes[] = { "true", "t", "yes", "y", "on", "1" };
	static const char *const no[] = { "false", "f", "no", "n", "off", "0" };

	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
		if (strlen(yes[i]) == n && strncasecmp(s, yes[i], n) == 0) {
			buf_add(b, "true", 4);
			return 0;
		}
		if (strlen(no[i]) == n && strncasecmp(s, no[i], n) == 0) {
			buf_add(b, "false", 5);
			return 0;
		}
	}
	return -1;
}

static int
num2(const char *s, int lo, int hi)
{
	int v;

	if (!isdig(s[0]) || !isdig(s[1]))
		return -1;
	v = (s[0] - '0') * 10 + (s[1] - '0');
	return v >= lo && v <= hi ? v : -1;
}

int
ctype_is_timestamp(const char *s, size_t n)
{
	size_t i;

	/* YYYY-MM-DD */
	if (n < 10 || !isdig(s[0]) || !isdig(s[1]) || !isdig(s[2]) ||
	    !isdig(s[3]) || s[4] != '-' || num2(s + 5, 1, 12) < 0 ||
	    s[7] != '-' || num2(s + 8, 1, 31) < 0)
		return 0;
	if (n == 10)
		return 1;
	/* [T ]hh:mm[:ss[.fff]] */
	if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
		return 0;
	if (n < 16 || num2(s + 11, 0, 23) < 0 || s[13] != ':' ||
	    num2(s + 14, 0, 59) < 0)
		return 0;
	i = 16;
	if (i < n && s[i] == ':') {
		if (i + 3 > n || num2(s + i + 1, 0, 60) < 0)
			return 0;
		i += 3;
		if (i < n && (s[i] == '.' || s[i] == ',')) {
			size_t j = digits(s, i + 1, n);
			if (j == i + 1)
				return 0;
			i = j;
		}
	}
	if (i == n)
		return 1;
	/* Z, +hh, +hh:mm, +hhmm */
	if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n)
		return 1;
	if (s[i] != '+' && s[i] != '-')
		return 0;
	if (i + 3 > n || num2(s + i + 1, 0, 23) < 0)
		return 0;
	i += 3;
	if (i == n)
		return 1;
	if (s[i] == ':')
		i++;
	return i + 2 == n && num2(s + i, 0, 59) >= 0;
}

int
ctype_emit(struct buf *b, enum ctype t, const char *s, size_t n)
{
	size_t len = b->len;

	switch (t) {
	case CT_INTEGER:
		if (emit_number(b, s, n, 0, 0) != 0 || !fits_int64(s, n))
			goto bad;
		/* "-0" is 0 */
		if (b->len - len == 2 && b->p[len] == '-' && b->p[len + 1] == '0')
			b->p[len] = '0', b->len--;
		return 0;
	case CT_DECIMAL:
		if (emit_number(b, s, n, 1, 0) != 0)
			goto bad;
		return 0;
	case CT_FLOAT:
		if (emit_number(b, s, n, 1, 1) != 0)
			goto bad;
		return 0;
	case CT_BOOLEAN:
		return emit_boolean(b, s, n);
	case CT_TIMESTAMP:
		if (!ctype_is_timestamp(s, n))
			return -1;
		buf_json_str(b, s, n);
		return 0;
	case CT_STRING:
	case CT_AUTO:
	default:
		buf_json_str(b, s, n);
		return 0;
	}
bad:
	b->len = len;
	return -1;
}
