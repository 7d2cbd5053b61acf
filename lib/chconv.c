/* chconv.c: JSON records to typed JSONEachRow rows (see chconv.h). */
#include "chconv.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- types ---- */

static const char *
skip_ws(const char *s)
{
	while (*s == ' ')
		s++;
	return s;
}

/* Length of the argument list starting after '(' up to its matching ')'. */
static size_t
args_len(const char *s)
{
	int depth = 1, q = 0;
	size_t i;

	for (i = 0; s[i]; i++) {
		if (q) {
			if (s[i] == '\\' && s[i + 1])
				i++;
			else if (s[i] == '\'')
				q = 0;
			continue;
		}
		if (s[i] == '\'')
			q = 1;
		else if (s[i] == '(')
			depth++;
		else if (s[i] == ')' && --depth == 0)
			return i;
	}
	return (size_t)-1;
}

static int
is_wrapper(const char *s, const char *name, const char **inner, size_t *ilen)
{
	size_t n = strlen(name), l;

	if (strncmp(s, name, n) != 0 || s[n] != '(')
		return 0;
	if ((l = args_len(s + n + 1)) == (size_t)-1)
		return 0;
	*inner = s + n + 1;
	*ilen = l;
	return 1;
}

static int
parse_enum(struct chtype *t, const char *s, size_t n)
{
	const char *p = s, *end = s + n;

	while (p < end) {
		struct buf nm;
		char *e;
		long long v;

		p = skip_ws(p);
		if (*p != '\'')
			return -1;
		buf_init(&nm);
		for (p++; p < end && *p != '\''; p++) {
			if (*p == '\\' && p + 1 < end)
				p++;
			buf_putc(&nm, *p);
		}
		if (p >= end) {
			buf_free(&nm);
			return -1;
		}
		p = skip_ws(p + 1);
		if (*p != '=') {
			buf_free(&nm);
			return -1;
		}
		v = strtoll(skip_ws(p + 1), &e, 10);
		p = skip_ws(e);
		t->enum_names = xrealloc(t->enum_names, (t->nenum + 1) * sizeof(char *));
		t->enum_values = xrealloc(t->enum_values,
		    (t->nenum + 1) * sizeof(long long));
		t->enum_names[t->nenum] = xstrdup(buf_cstr(&nm));
		t->enum_values[t->nenum++] = v;
		buf_free(&nm);
		if (p < end && *p == ',')
			p++;
		else if (p < end)
			return -1;
	}
	return 0;
}

struct chtype *
chtype_parse(const char *text)
{
	struct chtype *t = xcalloc(1, sizeof *t);
	const char *in;
	size_t ilen;
	char *sub;
	int a, b;

	t->text = xstrdup(text);
	text = skip_ws(text);
	if (is_wrapper(text, "Nullable", &in, &ilen) ||
	    is_wrapper(text, "LowCardinality", &in, &ilen)) {
		struct chtype *it;
		int nullable = strncmp(text, "Nullable", 8) == 0;

		sub = xstrndup(in, ilen);
		it = chtype_parse(sub);
		free(sub);
		if (it == NULL) {
			chtype_free(t);
			return NULL;
		}
		free(it->text);
		it->text = t->text;
		free(t);
		it->nullable |= nullable;
		return it;
	}
	if (is_wrapper(text, "Array", &in, &ilen)) {
		sub = xstrndup(in, ilen);
		t->elem = chtype_parse(sub);
		free(sub);
		t->kind = CK_ARRAY;
		if (t->elem == NULL) {
			chtype_free(t);
			return NULL;
		}
		return t;
	}
	if (sscanf(text, "Int%d", &a) == 1 && strspn(text + 3, "0123456789") ==
	    strlen(text + 3) && (a == 8 || a == 16 || a == 32 || a == 64)) {
		t->kind = CK_INT;
		t->bits = a;
	} else if (sscanf(text, "UInt%d", &a) == 1 && strspn(text + 4,
	    "0123456789") == strlen(text + 4) && (a == 8 || a == 16 || a == 32 ||
	    a == 64)) {
		t->kind = CK_UINT;
		t->bits = a;
	} else if (strcmp(text, "Float32") == 0 || strcmp(text, "Float64") == 0) {
		t->kind = CK_FLOAT;
		t->bits = atoi(text + 5);
	} else if (sscanf(text, "Decimal(%d, %d)", &a, &b) == 2 ||
	    sscanf(text, "Decimal(%d,%d)", &a, &b) == 2) {
		t->kind = CK_DECIMAL;
		t->precision = a;
		t->scale = b;
	} else if (sscanf(text, "Decimal32(%d)", &b) == 1) {
		t->kind = CK_DECIMAL, t->precision = 9, t->scale = b;
	} else if (sscanf(text, "Decimal64(%d)", &b) == 1) {
		t->kind = CK_DECIMAL, t->precision = 18, t->scale = b;
	} else if (sscanf(text, "Decimal128(%d)", &b) == 1) {
		t->kind = CK_DECIMAL, t->precision = 38, t->scale = b;
	} else if (strcmp(text, "String") == 0) {
		t->kind = CK_STRING;
	} else if (sscanf(text, "FixedString(%d)", &a) == 1 && a > 0) {
		t->kind = CK_FIXEDSTRING;
		t->len = a;
	} else if (strcmp(text, "Date") == 0 || strcmp(text, "Date32") == 0) {
		t->kind = CK_DATE;
	} else if (strcmp(text, "DateTime") == 0 ||
	    strncmp(text, "DateTime(", 9) == 0) {
		t->kind = CK_DATETIME;
	} else if (strncmp(text, "DateTime64(", 11) == 0 &&
	    sscanf(text, "DateTime64(%d", &a) == 1 && a >= 0 && a <= 9) {
		t->kind = CK_DATETIME64;
		t->scale = a;
	} else if (strcmp(text, "Bool") == 0) {
		t->kind = CK_BOOL;
	} else if (strcmp(text, "UUID") == 0) {
		t->kind = CK_UUID;
	} else if (is_wrapper(text, "Enum8", &in, &ilen) ||
	    is_wrapper(text, "Enum16", &in, &ilen)) {
		t->kind = CK_ENUM;
		if (parse_enum(t, in, ilen) != 0) {
			chtype_free(t);
			return NULL;
		}
	} else {
		t->kind = CK_OTHER;
	}
	return t;
}

void
chtype_free(struct chtype *t)
{
	if (t == NULL)
		return;
	for (int i = 0; i < t->nenum; i++)
		free(t->enum_names[i]);
	free(t->enum_names);
	free(t->enum_values);
	chtype_free(t->elem);
	free(t->text);
	free(t);
}

/* ---- columns ---- */

static size_t
hash_name(const char *s, size_t n)
{
	size_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

void
chconv_init(struct chconv *cv)
{
	memset(cv, 0, sizeof *cv);
	cv->deleted_col = -1;
	buf_init(&cv->name);
	buf_init(&cv->tsv);
}

void
chconv_free(struct chconv *cv)
{
	for (int i = 0; i < cv->ncols; i++) {
		free(cv->cols[i].name);
		chtype_free(cv->cols[i].type);
		for (int j = 0; j < cv->cols[i].npath; j++)
			free(cv->cols[i].path[j]);
		free(cv->cols[i].path);
	}
	free(cv->cols);
	free(cv->hash);
	buf_free(&cv->name);
	buf_free(&cv->tsv);
	memset(cv, 0, sizeof *cv);
	cv->deleted_col = -1;
}

static void
rehash(struct chconv *cv)
{
	free(cv->hash);
	cv->hsize = 16;
	while (cv->hsize < (size_t)cv->ncols * 4)
		cv->hsize *= 2;
	cv->hash = xcalloc(cv->hsize, sizeof(int));
	for (int i = 0; i < cv->ncols; i++) {
		size_t h = hash_name(cv->cols[i].name, strlen(cv->cols[i].name));
		while (cv->hash[h & (cv->hsize - 1)])
			h++;
		cv->hash[h & (cv->hsize - 1)] = i + 1;
	}
}

int
chconv_find(const struct chconv *cv, const char *name, size_t len)
{
	size_t h;
	int i;

	if (cv->hsize == 0)
		return -1;
	for (h = hash_name(name, len); (i = cv->hash[h & (cv->hsize - 1)]); h++) {
		const char *c = cv->cols[i - 1].name;
		if (strncmp(c, name, len) == 0 && c[len] == '\0')
			return i - 1;
	}
	return -1;
}

int
chconv_add(struct chconv *cv, const char *name, const char *type)
{
	struct chtype *t = chtype_parse(type);
	struct chcol *c;

	if (t == NULL) {
		t = xcalloc(1, sizeof *t);
		t->kind = CK_OTHER;
		t->text = xstrdup(type);
	}
	cv->cols = xrealloc(cv->cols, (cv->ncols + 1) * sizeof *cv->cols);
	c = &cv->cols[cv->ncols];
	memset(c, 0, sizeof *c);
	c->name = xstrdup(name);
	c->type = t;
	if (strcmp(name, "__deleted") == 0)
		cv->deleted_col = cv->ncols;
	cv->ncols++;
	rehash(cv);
	return cv->ncols - 1;
}

int
chconv_map(struct chconv *cv, const char *column, const char *path)
{
	int i = chconv_find(cv, column, strlen(column));
	struct chcol *c;
	const char *p, *dot;

	if (i < 0)
		return -1;
	cv->mapped = 1;
	c = &cv->cols[i];
	for (int j = 0; j < c->npath; j++)
		free(c->path[j]);
	free(c->path);
	c->path = NULL;
	c->npath = 0;
	for (p = path;; p = dot + 1) {
		dot = strchr(p, '.');
		c->path = xrealloc(c->path, (c->npath + 1) * sizeof(char *));
		c->path[c->npath++] = dot ? xstrndup(p, dot - p) : xstrdup(p);
		if (dot == NULL)
			break;
	}
	return 0;
}

/* ---- times ---- */

static int
digits(const char *s, size_t n, size_t at, int count, int *out)
{
	int v = 0;

	if (at + count > n)
		return -1;
	for (int i = 0; i < count; i++) {
		if (!isdigit((unsigned char)s[at + i]))
			return -1;
		v = v * 10 + (s[at + i] - '0');
	}
	*out = v;
	return 0;
}

int
chconv_parse_time(const char *s, size_t n, long long *sec, long *nsec)
{
	int Y, M, D, h = 0, mi = 0, se = 0, zh, zm = 0;
	size_t i = 10;
	long ns = 0;
	long long off = 0;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (digits(s, n, 0, 4, &Y) || n < 10 || s[4] != '-' ||
	    digits(s, n, 5, 2, &M) || s[7] != '-' || digits(s, n, 8, 2, &D))
		return -1;
	if (M < 1 || M > 12 || D < 1 || D > mdays[M - 1] ||
	    (M == 2 && D == 29 && !(Y % 4 == 0 && (Y % 100 != 0 || Y % 400 == 0))))
		return -1;
	if (i < n && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
		if (digits(s, n, i + 1, 2, &h) || i + 3 >= n || s[i + 3] != ':' ||
		    digits(s, n, i + 4, 2, &mi))
			return -1;
		i += 6;
		if (i < n && s[i] == ':') {
			if (digits(s, n, i + 1, 2, &se))
				return -1;
			i += 3;
			if (i < n && (s[i] == '.' || s[i] == ',')) {
				int nd = 0;
				for (i++; i < n && isdigit((unsigned char)s[i]); i++, nd++)
					if (nd < 9)
						ns = ns * 10 + (s[i] - '0');
				if (nd == 0)
					return -1;
				for (; nd < 9; nd++)
					ns *= 10;
			}
		}
		if (h > 24 || mi > 59 || se > 60 || (h == 24 && (mi || se || ns)))
			return -1;
		if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
			i++;
		} else if (i < n && (s[i] == '+' || s[i] == '-')) {
			int sign = s[i] == '-' ? -1 : 1;
			if (digits(s, n, i + 1, 2, &zh))
				return -1;
			i += 3;
			if (i < n && s[i] == ':')
				i++;
			if (i < n) {
				if (digits(s, n, i, 2, &zm))
					return -1;
				i += 2;
			}
			if (zh > 23 || zm > 59)
				return -1;
			off = sign * (zh * 3600LL + zm * 60LL);
		}
	}
	if (i != n)
		return -1;
	if (se == 60)
		se = 59;	/* a leap second: the last representable one */
	*sec = days_from_civil(Y, M, D) * 86400 + h * 3600LL + mi * 60LL + se - off;
	*nsec = ns;
	return 0;
}

/* Epoch number to seconds+ns by magnitude: s, ms, us, ns. */
static int
epoch_of(double v, long long *sec, long *nsec)
{
	double a = fabs(v), div = 1;

	if (!isfinite(v))
		return -1;
	if (a >= 1e17)
		div = 1e9;
	else if (a >= 1e14)
		div = 1e6;
	else if (a >= 1e11)
		div = 1e3;
	*sec = (long long)floor(v / div);
	*nsec = (long)llround((v / div - (double)*sec) * 1e9);
	if (*nsec >= 1000000000L) {
		(*sec)++;
		*nsec -= 1000000000L;
	}
	return 0;
}

static int
epoch_of_int(long long v, long long *sec, long *nsec)
{
	long long a = v < 0 ? -v : v, div = 1;

	if (a >= 100000000000000000LL)
		div = 1000000000LL;
	else if (a >= 100000000000000LL)
		div = 1000000LL;
	else if (a >= 100000000000LL)
		div = 1000LL;
	*sec = v / div;
	if (v % div < 0)
		(*sec)--;
	*nsec = (long)((v - *sec * div) * (1000000000LL / div));
	return 0;
}

/* ---- values ---- */

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

static const char *
jtype(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: case JSON_REAL: return "a number";
	case JSON_TRUE: case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

/* Decimal text of an integer (what %llu, or %lld when neg, writes). */
static void
put_u64(struct buf *out, unsigned long long u, int neg)
{
	char tmp[24], *p = tmp + sizeof tmp;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (neg)
		*--p = '-';
	buf_add(out, p, (size_t)(tmp + sizeof tmp - p));
}

static void
put_i64(struct buf *out, long long v)
{
	put_u64(out, v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v,
	    v < 0);
}

/* Whole string is an integer (optional sign); strtoll/strtoull range. */
static int
str_int(const char *s, int is_unsigned, long long *sv, unsigned long long *uv)
{
	char *e;

	if (*s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	if (is_unsigned) {
		if (*s == '-')
			return -1;
		*uv = strtoull(s, &e, 10);
	} else {
		*sv = strtoll(s, &e, 10);
	}
	return (*e != '\0' || errno) ? -1 : 0;
}

static int
conv_int(const struct chtype *t, json_t *v, struct buf *out, char *err,
    size_t errlen)
{
	long long sv = 0;
	unsigned long long uv = 0;
	int uns = t->kind == CK_UINT;

	switch (json_typeof(v)) {
	case JSON_INTEGER:
		sv = json_integer_value(v);
		if (uns) {
			if (sv < 0)
				FAIL("%lld is negative", sv);
			uv = (unsigned long long)sv;
		}
		break;
	case JSON_REAL: {
		double d = json_real_value(v);
		if (!isfinite(d) || d != floor(d))
			FAIL("%.17g is not an integer", d);
		if (uns) {
			if (d < 0)
				FAIL("%.17g is negative", d);
			if (d >= 18446744073709551616.0)
				FAIL("%.17g is out of range", d);
			uv = (unsigned long long)d;
		} else {
			if (d < -9223372036854775808.0 || d >= 9223372036854775808.0)
				FAIL("%.17g is out of range", d);
			sv = (long long)d;
		}
		break;
	}
	case JSON_STRING: {
		const char *s = json_string_value(v);
		if (str_int(s, uns, &sv, &uv) != 0) {
			if (strcmp(s, "true") == 0)
				sv = uv = 1;
			else if (strcmp(s, "false") == 0)
				sv = uv = 0;
			else
				FAIL("\"%.40s\" is not an integer", s);
		}
		break;
	}
	case JSON_TRUE:
		sv = uv = 1;
		break;
	case JSON_FALSE:
		sv = uv = 0;
		break;
	default:
		FAIL("%s is not an integer", jtype(v));
	}
	if (uns) {
		if (t->bits < 64 && uv >> t->bits)
			FAIL("%llu is out of range", uv);
		put_u64(out, uv, 0);
	} else {
		if (t->bits < 64 && (sv < -(1LL << (t->bits - 1)) ||
		    sv >= (1LL << (t->bits - 1))))
			FAIL("%lld is out of range", sv);
		put_i64(out, sv);
	}
	return 0;
}

static void
put_double(struct buf *out, double d)
{
	char tmp[40];

	snprintf(tmp, sizeof tmp, "%.17g", d);
	/* the shortest of %.15g..%.17g that reads back the same */
	for (int p = 15; p < 17; p++) {
		char t2[40];
		snprintf(t2, sizeof t2, "%.*g", p, d);
		if (strtod(t2, NULL) == d) {
			buf_puts(out, t2);
			return;
		}
	}
	buf_puts(out, tmp);
}

static int
conv_float(const struct chtype *t, json_t *v, struct buf *out, char *err,
    size_t errlen)
{
	double d;
	char *e;

	switch (json_typeof(v)) {
	case JSON_INTEGER:
		buf_printf(out, "%lld", (long long)json_integer_value(v));
		return 0;
	case JSON_REAL:
		d = json_real_value(v);
		break;
	case JSON_STRING: {
		const char *s = json_string_value(v);
		errno = 0;
		d = strtod(s, &e);
		if (*s == '\0' || isspace((unsigned char)*s) || *e != '\0')
			FAIL("\"%.40s\" is not a number", s);
		break;
	}
	default:
		FAIL("%s is not a number", jtype(v));
	}
	if (!isfinite(d))
		FAIL("%g is not finite", d);
	if (t->bits == 32 && fabs(d) > 3.4028234663852886e38)
		FAIL("%g is out of range", d);
	put_double(out, d);
	return 0;
}

/* Check and normalise a decimal text; appended to out. */
static int
put_decimal_text(const struct chtype *t, const char *s, struct buf *out,
    char *err, size_t errlen)
{
	const char *p = s, *ip, *fp = NULL;
	size_t ni = 0, nf = 0;

	if (*p == '-' || *p == '+')
		p++;
	ip = p;
	while (isdigit((unsigned char)*p))
		p++, ni++;
	if (*p == '.') {
		fp = ++p;
		while (isdigit((unsigned char)*p))
			p++, nf++;
	}
	if (*p != '\0' || ni + nf == 0)
		return 1;	/* not plain decimal text */
	while (ni > 1 && *ip == '0')
		ip++, ni--;
	while (nf > 0 && fp[nf - 1] == '0')
		nf--;
	if (nf > (size_t)t->scale)
		FAIL("%s has more than %d decimal places", s, t->scale);
	if (!(ni == 1 && *ip == '0') && ni > (size_t)(t->precision - t->scale))
		FAIL("%s is out of range", s);
	if (*s == '-')
		buf_putc(out, '-');
	if (ni)
		buf_add(out, ip, ni);
	else
		buf_putc(out, '0');
	if (nf) {
		buf_putc(out, '.');
		buf_add(out, fp, nf);
	}
	return 0;
}

static int
conv_decimal(const struct chtype *t, json_t *v, struct buf *out, char *err,
    size_t errlen)
{
	char tmp[400];
	int r;

	switch (json_typeof(v)) {
	case JSON_INTEGER:
		snprintf(tmp, sizeof tmp, "%lld", (long long)json_integer_value(v));
		break;
	case JSON_REAL: {
		double d = json_real_value(v);
		if (!isfinite(d) || fabs(d) >= 1e38)
			FAIL("%g is out of range", d);
		snprintf(tmp, sizeof tmp, "%.*f", t->scale, d);
		break;
	}
	case JSON_STRING:
		r = put_decimal_text(t, json_string_value(v), out, err, errlen);
		if (r == 1)
			FAIL("\"%.40s\" is not a decimal", json_string_value(v));
		return r;
	default:
		FAIL("%s is not a decimal", jtype(v));
	}
	r = put_decimal_text(t, tmp, out, err, errlen);
	if (r == 1)
		FAIL("%s is not a decimal", tmp);
	return r;
}

static int
time_of(json_t *v, int for_date, long long *sec, long *nsec, char *err,
    size_t errlen)
{
	switch (json_typeof(v)) {
	case JSON_STRING: {
		const char *s = json_string_value(v);
		size_t n = json_string_length(v);
		long long iv;
		unsigned long long uv;
		if (chconv_parse_time(s, n, sec, nsec) == 0)
			return 0;
		if (str_int(s, 0, &iv, &uv) == 0)
			return epoch_of_int(iv, sec, nsec);
		FAIL("\"%.40s\" is not an ISO 8601 time", s);
	}
	case JSON_INTEGER: {
		long long iv = json_integer_value(v);
		if (for_date && iv > -100000 && iv < 100000) {
			*sec = iv * 86400;	/* a day number */
			*nsec = 0;
			return 0;
		}
		return epoch_of_int(iv, sec, nsec);
	}
	case JSON_REAL:
		if (epoch_of(json_real_value(v), sec, nsec) != 0)
			FAIL("%g is not a time", json_real_value(v));
		return 0;
	default:
		FAIL("%s is not a time", jtype(v));
	}
}

static int
conv_time(const struct chtype *t, json_t *v, struct buf *out, char *err,
    size_t errlen)
{
	long long sec, days;
	long nsec;
	int y;
	unsigned m, d;

	if (time_of(v, t->kind == CK_DATE, &sec, &nsec, err, errlen) != 0)
		return -1;
	switch (t->kind) {
	case CK_DATE:
		days = sec >= 0 ? sec / 86400 : -((-sec + 86399) / 86400);
		/* 65535 is 2149-06-06, but 18.16 parses dates only up to 2105 */
		if (days < 0 || days > 49672)
			FAIL("%lld is outside the Date range (1970-01-01..2105-12-31)",
			    sec);
		civil_from_days(days, &y, &m, &d);
		buf_printf(out, "\"%04d-%02u-%02u\"", y, m, d);
		return 0;
	case CK_DATETIME:
		if (sec < 0 || sec > 4294967295LL)
			FAIL("%lld is outside the DateTime range (1970..2106)", sec);
		put_i64(out, sec);	/* unquoted: any length */
		return 0;
	default:	/* DateTime64 */
		if (sec < 0)
			FAIL("%lld is before 1970", sec);
		if (t->scale == 0) {
			buf_printf(out, "\"%lld\"", sec);
		} else {
			char frac[16];
			snprintf(frac, sizeof frac, "%09ld", nsec);
			buf_printf(out, "\"%lld.%.*s\"", sec, t->scale, frac);
		}
		return 0;
	}
}

static int
conv_bool(json_t *v, struct buf *out, char *err, size_t errlen)
{
	int b;

	switch (json_typeof(v)) {
	case JSON_TRUE: b = 1; break;
	case JSON_FALSE: b = 0; break;
	case JSON_INTEGER:
		if (json_integer_value(v) != 0 && json_integer_value(v) != 1)
			FAIL("%lld is not a boolean", (long long)json_integer_value(v));
		b = json_integer_value(v) == 1;
		break;
	case JSON_STRING:
		if (strcmp(json_string_value(v), "true") == 0)
			b = 1;
		else if (strcmp(json_string_value(v), "false") == 0)
			b = 0;
		else
			FAIL("\"%.40s\" is not a boolean", json_string_value(v));
		break;
	default:
		FAIL("%s is not a boolean", jtype(v));
	}
	buf_puts(out, b ? "true" : "false");
	return 0;
}

static int
conv_string(const struct chtype *t, json_t *v, struct buf *out, char *err,
    size_t errlen)
{
	char *text;

	switch (json_typeof(v)) {
	case JSON_STRING:
		if (t->kind == CK_FIXEDSTRING && json_string_length(v) > (size_t)t->len)
			FAIL("%zu bytes are longer than %d", json_string_length(v),
			    t->len);
		buf_json_str(out, json_string_value(v), json_string_length(v));
		return 0;
	case JSON_INTEGER:
		buf_printf(out, "\"%lld\"", (long long)json_integer_value(v));
		return 0;
	case JSON_REAL:
		buf_putc(out, '"');
		put_double(out, json_real_value(v));
		buf_putc(out, '"');
		return 0;
	case JSON_TRUE:
		buf_puts(out, "\"true\"");
		return 0;
	case JSON_FALSE:
		buf_puts(out, "\"false\"");
		return 0;
	default:
		text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (text == NULL)
			FAIL("cannot encode %s", jtype(v));
		if (t->kind == CK_FIXEDSTRING && strlen(text) > (size_t)t->len) {
			free(text);
			FAIL("%s is longer than %d bytes", jtype(v), t->len);
		}
		buf_json_str(out, text, strlen(text));
		free(text);
		return 0;
	}
}

static int
conv_uuid(json_t *v, struct buf *out, char *err, size_t errlen)
{
	const char *s;

	if (!json_is_string(v))
		FAIL("%s is not a UUID", jtype(v));
	s = json_string_value(v);
	if (json_string_length(v) != 36)
		FAIL("\"%.40s\" is not a UUID", s);
	for (int i = 0; i < 36; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			FAIL("\"%.40s\" is not a UUID", s);
	}
	buf_json_str(out, s, 36);
	return 0;
}

static int
conv_enum(const struct chtype *t, json_t *v, struct buf *out, char *err,
    size_t errlen)
{
	if (json_is_string(v)) {
		for (int i = 0; i < t->nenum; i++)
			if (strcmp(t->enum_names[i], json_string_value(v)) == 0) {
				buf_json_str(out, t->enum_names[i],
				    strlen(t->enum_names[i]));
				return 0;
			}
		FAIL("\"%.40s\" is not an element of %s", json_string_value(v),
		    t->text);
	}
	if (json_is_integer(v)) {
		for (int i = 0; i < t->nenum; i++)
			if (t->enum_values[i] == json_integer_value(v)) {
				buf_json_str(out, t->enum_names[i],
				    strlen(t->enum_names[i]));
				return 0;
			}
		FAIL("%lld is not a value of %s", (long long)json_integer_value(v),
		    t->text);
	}
	FAIL("%s is not an element of %s", jtype(v), t->text);
}

int
chconv_value(const struct chtype *t, json_t *v, struct buf *out,
    char *err, size_t errlen)
{
	if (json_is_null(v)) {
		if (t->nullable) {
			buf_puts(out, "null");
			return 0;
		}
		FAIL("null in a column that is not Nullable");
	}
	switch (t->kind) {
	case CK_INT:
	case CK_UINT:
		return conv_int(t, v, out, err, errlen);
	case CK_FLOAT:
		return conv_float(t, v, out, err, errlen);
	case CK_DECIMAL:
		return conv_decimal(t, v, out, err, errlen);
	case CK_STRING:
	case CK_FIXEDSTRING:
		return conv_string(t, v, out, err, errlen);
	case CK_DATE:
	case CK_DATETIME:
	case CK_DATETIME64:
		return conv_time(t, v, out, err, errlen);
	case CK_BOOL:
		return conv_bool(v, out, err, errlen);
	case CK_UUID:
		return conv_uuid(v, out, err, errlen);
	case CK_ENUM:
		return conv_enum(t, v, out, err, errlen);
	case CK_ARRAY: {
		size_t i;
		json_t *e;
		if (!json_is_array(v))
			FAIL("%s is not an array", jtype(v));
		buf_putc(out, '[');
		json_array_foreach(v, i, e) {
			if (i)
				buf_putc(out, ',');
			if (chconv_value(t->elem, e, out, err, errlen) != 0) {
				size_t l = strlen(err);
				snprintf(err + l, errlen - l, " (element %zu)", i + 1);
				return -1;
			}
		}
		buf_putc(out, ']');
		return 0;
	}
	default: {
		char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (text == NULL)
			FAIL("cannot encode %s", jtype(v));
		buf_puts(out, text);
		free(text);
		return 0;
	}
	}
}

/* ---- rows ---- */

static int
put_col(struct chconv *cv, int i, json_t *v, struct buf *out, int *first,
    char *err, size_t errlen)
{
	struct chcol *c = &cv->cols[i];
	size_t mark = out->len;

	c->gen = cv->gen;
	c->vlen = 0;		/* none, until written */
	if (json_is_null(v) && !c->type->nullable)
		return 0;	/* the column's default */
	if (!*first)
		buf_putc(out, ',');
	buf_json_str(out, c->name, strlen(c->name));
	buf_putc(out, ':');
	c->voff = out->len;
	if (chconv_value(c->type, v, out, err, errlen) != 0) {
		char why[300];
		snprintf(why, sizeof why, "%s", err);
		snprintf(err, errlen, "column %s (%s): %s", c->name, c->type->text,
		    why);
		out->len = mark;
		return -1;
	}
	c->vlen = out->len - c->voff;
	*first = 0;
	return 0;
}

static int
walk(struct chconv *cv, json_t *obj, size_t plen, struct buf *out, int *first,
    char *err, size_t errlen)
{
	const char *key;
	json_t *v;
	int i;

	json_object_foreach(obj, key, v) {
		size_t klen = strlen(key);

		cv->name.len = plen;
		if (plen)
			buf_putc(&cv->name, '_');
		buf_add(&cv->name, key, klen);
		i = chconv_find(cv, cv->name.p, cv->name.len);
		if (i >= 0) {
			if (cv->cols[i].gen == cv->gen)
				continue;
			if (put_col(cv, i, v, out, first, err, errlen) != 0)
				return -1;
		} else if (json_is_object(v)) {
			if (walk(cv, v, cv->name.len, out, first, err, errlen) != 0)
				return -1;
		}
	}
	return 0;
}

int
chconv_row(struct chconv *cv, json_t *rec, struct buf *out, char *err,
    size_t errlen)
{
	size_t mark = out->len;
	int first = 1;
	json_t *op, *row = NULL;

	if (!json_is_object(rec)) {
		snprintf(err, errlen, "not a JSON object");
		return -1;
	}
	if (++cv->gen == 0) {
		for (int i = 0; i < cv->ncols; i++)
			cv->cols[i].gen = 0;
		cv->gen = 1;
	}
	buf_putc(out, '{');
	for (int i = 0; i < cv->ncols; i++) {
		struct chcol *c = &cv->cols[i];
		json_t *v = rec;
		if (c->path == NULL)
			continue;
		for (int j = 0; j < c->npath && v; j++)
			v = json_object_get(v, c->path[j]);
		if (v == NULL) {
			c->gen = cv->gen;	/* mapped and missing: default */
			c->vlen = 0;
			continue;
		}
		if (put_col(cv, i, v, out, &first, err, errlen) != 0)
			goto fail;
	}
	op = json_object_get(rec, "op");
	if (json_is_string(op) && json_is_object(json_object_get(rec, "source"))) {
		int del = strcmp(json_string_value(op), "d") == 0;
		row = json_object_get(rec, del ? "before" : "after");
		if (json_is_object(row)) {
			buf_reset(&cv->name);
			if (walk(cv, row, 0, out, &first, err, errlen) != 0)
				goto fail;
		}
		if (cv->deleted_col >= 0 && cv->cols[cv->deleted_col].gen != cv->gen &&
		    put_col(cv, cv->deleted_col, del ? json_true() : json_false(),
		    out, &first, err, errlen) != 0)
			goto fail;
	}
	buf_reset(&cv->name);
	if (walk(cv, rec, 0, out, &first, err, errlen) != 0)
		goto fail;
	buf_putc(out, '}');
	cv->span_gen = cv->gen;
	return 0;
fail:
	out->len = mark;
	return -1;
}

/* ---- rows in one pass over the text ---- */

static const char *
tws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* A string at p ('"') with no escapes, control or non-ASCII bytes: its
 * contents in *s, *n; the end after the quote, or NULL otherwise. */
static const char *
plain_str(const char *p, const char *e, const char **s, size_t *n)
{
	const char *q = ++p;

	while (q < e) {
		unsigned char c = (unsigned char)*q;
		if (c == '"') {
			*s = p;
			*n = (size_t)(q - p);
			return q + 1;
		}
		if (c < 0x20 || c >= 0x80 || c == '\\')
			return NULL;
		q++;
	}
	return NULL;
}

/* A JSON number at p; the end, or NULL. *is_int: no fraction, no exponent. */
static const char *
json_num(const char *p, const char *e, int *is_int)
{
	const char *q = p;

	*is_int = 1;
	if (q < e && *q == '-')
		q++;
	if (q >= e || !isdigit((unsigned char)*q))
		return NULL;
	if (*q == '0')
		q++;
	else
		while (q < e && isdigit((unsigned char)*q))
			q++;
	if (q < e && *q == '.') {
		*is_int = 0;
		if (++q >= e || !isdigit((unsigned char)*q))
			return NULL;
		while (q < e && isdigit((unsigned char)*q))
			q++;
	}
	if (q < e && (*q == 'e' || *q == 'E')) {
		*is_int = 0;
		if (++q < e && (*q == '+' || *q == '-'))
			q++;
		if (q >= e || !isdigit((unsigned char)*q))
			return NULL;
		while (q < e && isdigit((unsigned char)*q))
			q++;
	}
	return q;
}

/* End of the array at p ('['), strings and nesting skipped; NULL if cut. */
static const char *
array_end(const char *p, const char *e)
{
	int depth = 0;

	for (; p < e; p++) {
		if (*p == '"') {
			for (p++; p < e && *p != '"'; p++)
				if (*p == '\\')
					p++;
			if (p >= e)
				return NULL;
		} else if (*p == '[' || *p == '{') {
			depth++;
		} else if ((*p == ']' || *p == '}') && --depth == 0) {
			return p + 1;
		}
	}
	return NULL;
}

static int
lit(const char *p, const char *e, const char *w, size_t n)
{
	return (size_t)(e - p) >= n && memcmp(p, w, n) == 0;
}

int
chconv_row_text(struct chconv *cv, const char *line, size_t len,
    struct buf *out)
{
	const char *p = line, *e = line + len, *k, *s;
	size_t mark = out ? out->len : 0, kn, sn;
	int first = 1;
	char err[512];

	if (cv->mapped && out)
		return 1;
	p = tws(p, e);
	if (p >= e || *p != '{')
		return 1;
	if (++cv->gen == 0) {
		for (int i = 0; i < cv->ncols; i++)
			cv->cols[i].gen = 0;
		cv->gen = 1;
	}
	if (out)
		buf_putc(out, '{');
	p = tws(p + 1, e);
	if (p < e && *p == '}') {
		p++;
		goto done;
	}
	for (;;) {
		json_t *v = NULL;
		int i, is_int;

		if (p >= e || *p != '"' || (p = plain_str(p, e, &k, &kn)) == NULL)
			goto fallback;
		p = tws(p, e);
		if (p >= e || *p != ':')
			goto fallback;
		p = tws(p + 1, e);
		if (p >= e)
			goto fallback;
		if ((kn == 2 && memcmp(k, "op", 2) == 0) ||
		    (kn == 6 && memcmp(k, "source", 6) == 0) ||
		    (kn == 6 && memcmp(k, "_kafka", 6) == 0) ||
		    (kn == 4 && memcmp(k, "_csv", 4) == 0))
			goto fallback;
		i = out ? chconv_find(cv, k, kn) : -1;
		if (i >= 0 && cv->cols[i].gen == cv->gen)
			goto fallback;	/* a repeated key: the tree keeps the last */
		if (*p == '"') {
			if ((p = plain_str(p, e, &s, &sn)) == NULL)
				goto fallback;
			if (i >= 0 && cv->cols[i].type->kind == CK_STRING) {
				struct chcol *c = &cv->cols[i];
				c->gen = cv->gen;
				if (!first)
					buf_putc(out, ',');
				buf_json_str(out, c->name, strlen(c->name));
				buf_putc(out, ':');
				c->voff = out->len;
				buf_json_str(out, s, sn);
				c->vlen = out->len - c->voff;
				first = 0;
			} else if (i >= 0) {
				v = json_stringn_nocheck(s, sn);
			}
		} else if (*p == '-' || isdigit((unsigned char)*p)) {
			const char *q = json_num(p, e, &is_int);
			char tmp[64], *end;
			if (q == NULL || (size_t)(q - p) >= sizeof tmp)
				goto fallback;
			memcpy(tmp, p, (size_t)(q - p));
			tmp[q - p] = '\0';
			errno = 0;
			if (is_int) {
				long long n = strtoll(tmp, &end, 10);
				if (errno)
					goto fallback;
				if (i >= 0)
					v = json_integer(n);
			} else {
				double d = strtod(tmp, &end);
				if (!isfinite(d))
					goto fallback;
				if (i >= 0)
					v = json_real(d);
			}
			p = q;
		} else if (lit(p, e, "true", 4)) {
			v = json_true();
			p += 4;
		} else if (lit(p, e, "false", 5)) {
			v = json_false();
			p += 5;
		} else if (lit(p, e, "null", 4)) {
			v = json_null();
			p += 4;
		} else if (*p == '[') {
			const char *q = array_end(p, e);
			json_error_t je;
			if (q == NULL || (v = json_loadb(p, (size_t)(q - p),
			    JSON_DECODE_ANY, &je)) == NULL)
				goto fallback;
			if (i < 0) {
				json_decref(v);	/* checked, not stored */
				v = NULL;
			}
			p = q;
		} else {
			goto fallback;	/* an object: flattened by the tree */
		}
		if (v) {
			int r = i >= 0 ? put_col(cv, i, v, out, &first, err,
			    sizeof err) : 0;
			json_decref(v);
			if (r != 0)
				goto fallback;
		}
		p = tws(p, e);
		if (p < e && *p == ',') {
			p = tws(p + 1, e);
			continue;
		}
		if (p < e && *p == '}') {
			p++;
			break;
		}
		goto fallback;
	}
done:
	if (tws(p, e) != e)
		goto fallback;
	if (out) {
		buf_putc(out, '}');
		cv->span_gen = cv->gen;
	}
	return 0;
fallback:
	if (out)
		out->len = mark;
	return 1;
}

/* ---- TabSeparated ---- */

/* Arrays of these are written as ClickHouse's literals in a field. */
static int
tsv_array_ok(const struct chtype *t)
{
	while (t->kind == CK_ARRAY)
		t = t->elem;
	switch (t->kind) {
	case CK_INT: case CK_UINT: case CK_FLOAT: case CK_DECIMAL:
	case CK_STRING: case CK_FIXEDSTRING: case CK_DATE: case CK_UUID:
		return 1;
	default:
		return 0;
	}
}

int
chconv_tsv_capable(const struct chconv *cv)
{
	for (int i = 0; i < cv->ncols; i++) {
		const struct chtype *t = cv->cols[i].type;
		/* DateTime64's text form differs between releases */
		if (t->kind == CK_OTHER || t->kind == CK_DATETIME64 ||
		    (t->kind == CK_ARRAY && !tsv_array_ok(t)))
			return 0;
	}
	return cv->ncols > 0;
}

void
chconv_set_default(struct chconv *cv, int col)
{
	if (col >= 0 && col < cv->ncols)
		cv->cols[col].has_default = 1;
}

/* Left out of the column list when a row does not have it. */
static int
omittable(const struct chcol *c)
{
	enum chkind k = c->type->kind;

	return c->has_default || (!c->type->nullable &&
	    (k == CK_ENUM || k == CK_BOOL || k == CK_DATETIME64));
}

/* What the server stores for a column an INSERT leaves out, as text. */
static const char *
zero_text(const struct chtype *t)
{
	if (t->nullable)
		return "\\N";
	switch (t->kind) {
	case CK_STRING:
	case CK_FIXEDSTRING:
		return "";
	case CK_DATE:
		return "0000-00-00";
	case CK_UUID:
		return "00000000-0000-0000-0000-000000000000";
	case CK_ARRAY:
		return "[]";
	case CK_DATETIME:
		return "0000000000";	/* epoch seconds, ten digits */
	default:
		return "0";	/* numbers */
	}
}

static int
hex4(const char *p, const char *e, unsigned *v)
{
	*v = 0;
	if (e - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int d = hex_digit((unsigned char)p[i]);
		if (d < 0)
			return -1;
		*v = *v << 4 | (unsigned)d;
	}
	return 0;
}

/* One byte of a value in TabSeparated's escaping. */
static void
tsv_byte(struct buf *out, unsigned char c)
{
	switch (c) {
	case '\\': buf_add(out, "\\\\", 2); break;
	case '\t': buf_add(out, "\\t", 2); break;
	case '\n': buf_add(out, "\\n", 2); break;
	case '\r': buf_add(out, "\\r", 2); break;
	case '\0': buf_add(out, "\\0", 2); break;
	case '\b': buf_add(out, "\\b", 2); break;
	case '\f': buf_add(out, "\\f", 2); break;
	default: buf_putc(out, (char)c);
	}
}

/*
 * The JSON string at p (its opening quote), unescaped and written in
 * TabSeparated's escaping to out (when out is not NULL, else only
 * skipped); returns the end, or NULL.
 */
static const char *
tsv_str(const char *p, const char *e, struct buf *out)
{
	for (p++; p < e; p++) {
		unsigned char c = (unsigned char)*p;
		unsigned cp, lo;

		if (c >= 0x20 && c != '"' && c != '\\') {
			/* a run of bytes that need nothing */
			const char *r = p;
			while (r < e && (unsigned char)*r >= 0x20 && *r != '"' &&
			    *r != '\\')
				r++;
			if (out)
				buf_add(out, p, (size_t)(r - p));
			p = r - 1;
			continue;
		}
		if (c == '"')
			return p + 1;
		if (c != '\\') {
			if (out) {
				if (c == '\t' || c == '\n' || c == '\r' ||
				    c == '\\' || c == '\0' || c == '\b' ||
				    c == '\f')
					tsv_byte(out, c);
				else
					buf_putc(out, (char)c);
			}
			continue;
		}
		if (++p >= e)
			return NULL;
		switch (*p) {
		case '"': c = '"'; break;
		case '\\': c = '\\'; break;
		case '/': c = '/'; break;
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'u':
			if (hex4(p + 1, e, &cp) != 0)
				return NULL;
			p += 4;
			if (cp >= 0xD800 && cp < 0xDC00 && e - p > 6 &&
			    p[1] == '\\' && p[2] == 'u' &&
			    hex4(p + 3, e, &lo) == 0 && lo >= 0xDC00 &&
			    lo < 0xE000) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				p += 6;
			} else if (cp >= 0xD800 && cp < 0xE000) {
				cp = 0xFFFD;	/* a lone surrogate */
			}
			if (out) {
				if (cp < 0x80)
					tsv_byte(out, (unsigned char)cp);
				else {
					char u[4];
					buf_add(out, u, (size_t)(utf8_put(u, cp) - u));
				}
			}
			continue;
		default:
			return NULL;
		}
		if (out)
			tsv_byte(out, c);
	}
	return NULL;
}

/*
 * A JSON array at p as an array literal in a TabSeparated field:
 * strings in single quotes with backslash escapes (tabs and newlines
 * among them, so the field needs no more), null as NULL. Returns the
 * end, or NULL.
 */
static const char *
tsv_array(const char *p, const char *e, struct buf *out)
{
	int depth = 0;

	while (p < e) {
		char c = *p;

		if (c == '"') {
			struct buf s;
			buf_init(&s);
			p = tsv_str(p, e, &s);	/* TSV-escaped: \\ \t \n ... */
			if (p == NULL) {
				buf_free(&s);
				return NULL;
			}
			buf_putc(out, '\'');
			for (size_t i = 0; i < s.len; i++) {
				if (s.p[i] == '\'')
					buf_putc(out, '\\');
				buf_putc(out, s.p[i]);
			}
			buf_putc(out, '\'');
			buf_free(&s);
			continue;
		}
		if (c == 'n' && e - p >= 4 && memcmp(p, "null", 4) == 0) {
			buf_add(out, "NULL", 4);
			p += 4;
			continue;
		}
		if (c == '{')
			return NULL;
		if (c == '[')
			depth++;
		else if (c == ']' && --depth == 0) {
			buf_putc(out, ']');
			return p + 1;
		}
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			buf_putc(out, c);
		p++;
	}
	return NULL;
}

/* Column i's JSON value p..e as TabSeparated text, kept in cv->tsv. */
static int
tsv_value(struct chconv *cv, int i, const char *p, const char *e)
{
	struct chcol *c = &cv->cols[i];
	size_t off = cv->tsv.len;

	if (p >= e)
		return -1;
	if (*p == '"') {
		if (tsv_str(p, e, &cv->tsv) != e)
			return -1;
	} else if (*p == 'n' && e - p == 4 && memcmp(p, "null", 4) == 0) {
		buf_add(&cv->tsv, "\\N", 2);
	} else if (*p == '[') {
		if (c->type->kind != CK_ARRAY || tsv_array(p, e, &cv->tsv) != e)
			return -1;
	} else if (*p == '{') {
		return -1;
	} else {
		/* DateTime: epoch seconds, which the text form takes as
		 * exactly ten digits */
		if (c->type->kind == CK_DATETIME && e - p < 10 && *p != '-')
			buf_add(&cv->tsv, "0000000000", (size_t)(10 - (e - p)));
		buf_add(&cv->tsv, p, (size_t)(e - p));
	}
	c->toff = off;
	c->tlen = cv->tsv.len - off;
	return 0;
}

int
chconv_tsv(struct chconv *cv, const char *json, size_t len, struct buf *out,
    struct buf *sig)
{
	const char *p = json, *e = json + len;
	size_t mark = out->len;

	buf_reset(&cv->tsv);
	if (cv->span_gen == cv->gen && cv->gen != 0) {
		/* json is the row chconv just wrote: its values are where
		 * it put them */
		cv->span_gen = 0;
		for (int i = 0; i < cv->ncols; i++) {
			struct chcol *c = &cv->cols[i];
			c->tlen = (size_t)-1;	/* absent */
			if (c->gen != cv->gen || c->vlen == 0)
				continue;
			if (c->voff + c->vlen > len ||
			    tsv_value(cv, i, json + c->voff,
			    json + c->voff + c->vlen) != 0)
				return -1;
		}
		goto columns;
	}
	if (++cv->gen == 0) {
		for (int i = 0; i < cv->ncols; i++)
			cv->cols[i].gen = 0;
		cv->gen = 1;
	}
	p = tws(p, e);
	if (p >= e || *p++ != '{')
		return -1;
	p = tws(p, e);
	while (p < e && *p != '}') {
		int i;

		if (*p != '"')
			return -1;
		buf_reset(&cv->name);
		if ((p = tsv_str(p, e, &cv->name)) == NULL)
			return -1;
		/* the rows hold the table's columns only: a name not found
		 * is one with bytes TabSeparated escapes, for chconv_row */
		if ((i = chconv_find(cv, cv->name.p, cv->name.len)) < 0)
			return -1;
		p = tws(p, e);
		if (p >= e || *p++ != ':')
			return -1;
		p = tws(p, e);
		if (p >= e)
			return -1;
		const char *q = p;
		if (*p == '"')
			q = tsv_str(p, e, NULL);
		else if (*p == '[')
			q = array_end(p, e);
		else
			while (q < e && *q != ',' && *q != '}' && *q != ' ')
				q++;
		if (q == NULL || q == p || tsv_value(cv, i, p, q) != 0)
			return -1;
		cv->cols[i].gen = cv->gen;
		p = q;
		p = tws(p, e);
		if (p < e && *p == ',')
			p = tws(p + 1, e);
	}
	if (p >= e || tws(p + 1, e) != e)
		return -1;
columns:
	buf_reset(sig);
	int first = 1;
	for (int i = 0; i < cv->ncols; i++) {
		const struct chcol *c = &cv->cols[i];
		int have = c->gen == cv->gen && c->tlen != (size_t)-1;

		if (omittable(c)) {
			buf_putc(sig, have ? '1' : '0');
			if (!have)
				continue;
		}
		if (!first)
			buf_putc(out, '\t');
		first = 0;
		if (have)
			buf_add(out, cv->tsv.p + c->toff, c->tlen);
		else
			buf_puts(out, zero_text(c->type));
	}
	if (first) {
		out->len = mark;	/* no column at all */
		return -1;
	}
	buf_putc(out, '\n');
	return 0;
}

void
chconv_tsv_columns(const struct chconv *cv, const char *sig, size_t siglen,
    struct buf *out)
{
	size_t k = 0;
	int first = 1;

	buf_putc(out, '(');
	for (int i = 0; i < cv->ncols; i++) {
		const struct chcol *c = &cv->cols[i];
		if (omittable(c) && (k >= siglen || sig[k++] != '1'))
			continue;
		if (!first)
			buf_putc(out, ',');
		first = 0;
		/* a quoted identifier: backquotes, with \ and ` escaped */
		buf_putc(out, '`');
		for (const char *s = c->name; *s; s++) {
			if (*s == '`' || *s == '\\')
				buf_putc(out, '\\');
			buf_putc(out, *s);
		}
		buf_putc(out, '`');
	}
	buf_putc(out, ')');
}
