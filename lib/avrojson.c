/* avrojson.c: Avro values to and from JSON (see avrojson.h). */
#include "avrojson.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NSMAX 512

struct ctx {
	struct avsch *s;
	char *err;
	size_t errlen;
	char path[512];
	size_t plen;
	int strict;	/* Avro's JSON encoding */
	int64_t items;	/* array and map items the bytes can still hold */
};

static const char *const prims[] = {
	"null", "boolean", "int", "long", "float", "double", "bytes", "string"
};

static int
is_prim(const char *n)
{
	for (size_t i = 0; i < sizeof prims / sizeof *prims; i++)
		if (strcmp(n, prims[i]) == 0)
			return 1;
	return 0;
}

static int
is_named_kind(const char *k)
{
	return strcmp(k, "record") == 0 || strcmp(k, "error") == 0 ||
	    strcmp(k, "enum") == 0 || strcmp(k, "fixed") == 0;
}

static void __attribute__((format(printf, 2, 3)))
fail(struct ctx *c, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (c->plen)
		snprintf(c->err, c->errlen, "%.*s: %s", (int)c->plen, c->path, msg);
	else
		snprintf(c->err, c->errlen, "%s", msg);
}

static size_t
path_push(struct ctx *c, const char *fmt, ...)
{
	size_t old = c->plen;
	va_list ap;
	int n;

	if (c->plen < sizeof c->path - 1) {
		va_start(ap, fmt);
		n = vsnprintf(c->path + c->plen, sizeof c->path - c->plen, fmt, ap);
		va_end(ap);
		if (n > 0)
			c->plen += (size_t)n;
		if (c->plen > sizeof c->path - 1)
			c->plen = sizeof c->path - 1;
	}
	return old;
}

/*
 * The full name and namespace of a named type's JSON, declared inside
 * namespace outer.
 */
static void
named(json_t *node, const char *outer, char *full, char *ns)
{
	const char *name = json_string_value(json_object_get(node, "name"));
	json_t *nsj = json_object_get(node, "namespace");
	const char *dot;

	if (name == NULL)
		name = "";
	if ((dot = strrchr(name, '.')) != NULL) {
		snprintf(full, NSMAX, "%s", name);
		snprintf(ns, NSMAX, "%.*s", (int)(dot - name), name);
		return;
	}
	if (json_is_string(nsj))
		snprintf(ns, NSMAX, "%s", json_string_value(nsj));
	else
		snprintf(ns, NSMAX, "%s", outer);
	if (*ns)
		snprintf(full, NSMAX, "%s.%s", ns, name);
	else
		snprintf(full, NSMAX, "%s", name);
}

static void
collect(json_t *names, json_t *t, const char *ns, char **top)
{
	char full[NSMAX], inner[NSMAX];
	json_t *k, *f;
	size_t i;

	if (json_is_array(t)) {
		json_array_foreach(t, i, f)
			collect(names, f, ns, NULL);
		return;
	}
	if (!json_is_object(t))
		return;
	k = json_object_get(t, "type");
	if (!json_is_string(k)) {
		collect(names, k, ns, top);
		return;
	}
	if (is_named_kind(json_string_value(k))) {
		named(t, ns, full, inner);
		json_object_set(names, full, t);
		if (top)
			*top = xstrdup(full);
		json_array_foreach(json_object_get(t, "fields"), i, f)
			collect(names, json_object_get(f, "type"), inner, NULL);
		return;
	}
	collect(names, json_object_get(t, "items"), ns, NULL);
	collect(names, json_object_get(t, "values"), ns, NULL);
}

/*
 * The node to walk for type t met in namespace ns: a primitive's name, an
 * object, or a union's array; its own namespace goes to nsout.
 */
static json_t *
resolve(struct avsch *s, json_t *t, const char *ns, char *nsout)
{
	char full[NSMAX];
	const char *n, *dot;
	json_t *d = NULL, *k;

	if (json_is_string(t)) {
		n = json_string_value(t);
		if (is_prim(n)) {
			snprintf(nsout, NSMAX, "%s", ns);
			return t;
		}
		if (strchr(n, '.') == NULL && *ns) {
			snprintf(full, sizeof full, "%s.%s", ns, n);
			d = json_object_get(s->names, full);
		}
		if (d == NULL) {
			d = json_object_get(s->names, n);
			snprintf(full, sizeof full, "%s", n);
		}
		if (d == NULL)
			return NULL;
		dot = strrchr(full, '.');
		snprintf(nsout, NSMAX, "%.*s", dot ? (int)(dot - full) : 0, full);
		return d;
	}
	if (json_is_object(t)) {
		k = json_object_get(t, "type");
		if (!json_is_string(k))
			return resolve(s, k, ns, nsout);
		n = json_string_value(k);
		if (is_named_kind(n)) {
			named(t, ns, full, nsout);
			return t;
		}
		if (is_prim(n) || strcmp(n, "array") == 0 || strcmp(n, "map") == 0) {
			snprintf(nsout, NSMAX, "%s", ns);
			return t;
		}
		return resolve(s, k, ns, nsout);
	}
	if (json_is_array(t)) {
		snprintf(nsout, NSMAX, "%s", ns);
		return t;
	}
	return NULL;
}

static const char *
logical(json_t *n)
{
	return json_is_object(n) ?
	    json_string_value(json_object_get(n, "logicalType")) : NULL;
}

static int
scale_of(json_t *n)
{
	json_t *sc = json_object_get(n, "scale");
	json_int_t v = json_is_integer(sc) ? json_integer_value(sc) : 0;

	return v < 0 ? 0 : v > 1000 ? 1000 : (int)v;	/* schemas come from afar */
}

static int
precision_of(json_t *n)
{
	json_t *p = json_object_get(n, "precision");

	return json_is_integer(p) ? (int)json_integer_value(p) : 0;
}

/* Replace in parent (at key, or at index when key is NULL). */
static int
inline_at(json_t *t, const char *ns, const char *fullname, json_t *def,
    json_t *parent, const char *key, size_t index)
{
	char full[NSMAX], inner[NSMAX];
	const char *n, *kind = NULL;
	json_t *f, *k;
	size_t i;

	if (json_is_string(t)) {
		n = json_string_value(t);
		if (parent == NULL || is_prim(n))
			return 0;
		if (strchr(n, '.') == NULL && *ns)
			snprintf(full, sizeof full, "%s.%s", ns, n);
		else
			snprintf(full, sizeof full, "%s", n);
		if (strcmp(full, fullname) != 0)
			return 0;
		if (key)
			json_object_set(parent, key, def);
		else
			json_array_set(parent, index, def);
		return 1;
	}
	if (json_is_array(t)) {
		json_array_foreach(t, i, f)
			if (inline_at(f, ns, fullname, def, t, NULL, i))
				return 1;
		return 0;
	}
	if (!json_is_object(t))
		return 0;
	k = json_object_get(t, "type");
	if (!json_is_string(k) || !is_named_kind(kind = json_string_value(k))) {
		if (!json_is_string(k) || (strcmp(kind, "array") != 0 &&
		    strcmp(kind, "map") != 0))
			return inline_at(k, ns, fullname, def, t, "type", 0);
		return inline_at(json_object_get(t, "items"), ns, fullname, def,
		    t, "items", 0) || inline_at(json_object_get(t, "values"), ns,
		    fullname, def, t, "values", 0);
	}
	named(t, ns, full, inner);
	json_array_foreach(json_object_get(t, "fields"), i, f)
		if (inline_at(json_object_get(f, "type"), inner, fullname, def, f,
		    "type", 0))
			return 1;
	return 0;
}

int
avsch_inline(json_t *schema, const char *fullname, json_t *def)
{
	return inline_at(schema, "", fullname, def, NULL, NULL, 0);
}

int
avsch_load(struct avsch *s, const char *text, size_t len, char *err,
    size_t errlen)
{
	json_error_t je;

	memset(s, 0, sizeof *s);
	if ((s->json = json_loadb(text, len, JSON_DECODE_ANY, &je)) == NULL) {
		snprintf(err, errlen, "schema is not JSON: %s", je.text);
		return -1;
	}
	if (avro_schema_from_json_length(text, len, &s->schema) != 0) {
		snprintf(err, errlen, "bad Avro schema: %s", avro_strerror());
		json_decref(s->json);
		s->json = NULL;
		return -1;
	}
	s->names = json_object();
	collect(s->names, s->json, "", &s->fullname);
	s->iface = avro_generic_class_from_schema(s->schema);
	if (s->iface == NULL || avro_generic_value_new(s->iface, &s->value) != 0) {
		snprintf(err, errlen, "Avro schema: %s", avro_strerror());
		if (s->iface)
			avro_value_iface_decref(s->iface);
		avro_schema_decref(s->schema);
		json_decref(s->json);
		json_decref(s->names);
		free(s->fullname);
		memset(s, 0, sizeof *s);
		return -1;
	}
	s->text = xstrndup(text, len);
	return 0;
}

void
avsch_free(struct avsch *s)
{
	if (s->iface == NULL)
		return;
	avro_value_decref(&s->value);
	avro_value_iface_decref(s->iface);
	avro_schema_decref(s->schema);
	json_decref(s->json);
	json_decref(s->names);
	free(s->fullname);
	free(s->text);
	memset(s, 0, sizeof *s);
}

/* Decoding */

static void
put_double(struct buf *o, double d, int isfloat)
{
	char tmp[40];
	int prec;

	if (isnan(d)) {
		buf_puts(o, "\"NaN\"");
		return;
	}
	if (isinf(d)) {
		buf_puts(o, d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
		return;
	}
	if (d == 0 && signbit(d)) {
		buf_puts(o, "-0.0");	/* "-0" would be read as the integer 0 */
		return;
	}
	for (prec = isfloat ? 6 : 15; prec < (isfloat ? 9 : 17); prec++) {
		snprintf(tmp, sizeof tmp, "%.*g", prec, d);
		if (isfloat ? strtof(tmp, NULL) == (float)d : strtod(tmp, NULL) == d)
			break;
	}
	snprintf(tmp, sizeof tmp, "%.*g", prec, d);
	buf_puts(o, tmp);
}

void
avro_decimal_text(struct buf *o, const unsigned char *b, size_t n, int scale)
{
	unsigned char *m = xmalloc(n ? n : 1);
	char *dig = xmalloc(n * 3 + (size_t)scale + 2);
	size_t nd = 0, i, lead = 0;
	int neg = n > 0 && (b[0] & 0x80);
	unsigned carry;

	memcpy(m, b, n);
	if (neg) {
		for (i = 0; i < n; i++)
			m[i] = (unsigned char)~m[i];
		for (i = n; i-- > 0;)
			if (++m[i] != 0)
				break;
	}
	for (;;) {
		while (lead < n && m[lead] == 0)
			lead++;
		if (lead == n)
			break;
		carry = 0;
		for (i = lead; i < n; i++) {
			unsigned cur = carry * 256 + m[i];
			m[i] = (unsigned char)(cur / 10);
			carry = cur % 10;
		}
		dig[nd++] = (char)('0' + carry);
	}
	while ((int)nd <= scale)
		dig[nd++] = '0';
	buf_putc(o, '"');
	if (neg)
		buf_putc(o, '-');
	for (i = nd; i-- > 0;) {
		buf_putc(o, dig[i]);
		if (scale > 0 && i == (size_t)scale)
			buf_putc(o, '.');
	}
	buf_putc(o, '"');
	free(m);
	free(dig);
}

/* Bytes as Avro's JSON encoding has them: a string of code points 0-255. */
static void
put_latin1(struct buf *o, const unsigned char *b, size_t n)
{
	struct buf u;
	char tmp[4];

	buf_init(&u);
	for (size_t i = 0; i < n; i++)
		buf_add(&u, tmp, (size_t)(utf8_put(tmp, b[i]) - tmp));
	buf_json_str(o, u.p ? u.p : "", u.len);
	buf_free(&u);
}

static long long
floordiv(long long a, long long b)
{
	long long q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static void
put_date(struct buf *o, long long days)
{
	int y;
	unsigned m, d;

	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) {
		buf_put_i64(o, days);	/* no 4-digit year: the number */
		return;
	}
	buf_printf(o, "\"%04d-%02u-%02u\"", y, m, d);
}

/* v in units of 1/10^digits s since the epoch (or midnight, with no date) */
static void
put_time(struct buf *o, long long v, int digits, int with_date, int zone)
{
	long long unit = digits == 3 ? 1000 : 1000000;
	long long secs = v / unit, frac = v % unit, days, rem;
	int y;
	unsigned m, d;

	if (frac < 0) {
		frac += unit;
		secs--;
	}
	days = floordiv(secs, 86400);
	rem = secs - days * 86400;
	if (with_date) {
		civil_from_days(days, &y, &m, &d);
		if (y < 0 || y > 9999) {
			buf_put_i64(o, v);	/* no 4-digit year: the number */
			return;
		}
		buf_putc(o, '"');
		buf_printf(o, "%04d-%02u-%02uT", y, m, d);
	} else
		buf_putc(o, '"');
	buf_printf(o, "%02d:%02d:%02d.%0*lld%s", (int)(rem / 3600),
	    (int)(rem / 60 % 60), (int)(rem % 60), digits, frac,
	    zone ? "Z\"" : "\"");
}

static int
dec(struct ctx *c, avro_value_t *v, json_t *t, const char *ns, struct buf *o)
{
	char ns2[NSMAX];
	json_t *n = resolve(c->s, t, ns, ns2), *sub;
	const char *lt, *str, *name;
	const void *bp;
	size_t sz, i, cnt, old;
	avro_value_t child;
	int32_t i32;
	int64_t i64;
	float f;
	double dd;
	int bv, e;

	if (n == NULL) {
		fail(c, "schema: unknown type");
		return -1;
	}
	lt = c->strict ? NULL : logical(n);
	switch (avro_value_get_type(v)) {
	case AVRO_NULL:
		buf_puts(o, "null");
		return 0;
	case AVRO_BOOLEAN:
		avro_value_get_boolean(v, &bv);
		buf_puts(o, bv ? "true" : "false");
		return 0;
	case AVRO_INT32:
		avro_value_get_int(v, &i32);
		if (lt && strcmp(lt, "date") == 0)
			put_date(o, i32);
		else if (lt && strcmp(lt, "time-millis") == 0 && i32 >= 0 &&
		    i32 < 86400000)
			put_time(o, i32, 3, 0, 0);
		else
			buf_put_i64(o, i32);
		return 0;
	case AVRO_INT64:
		avro_value_get_long(v, &i64);
		if (lt && strcmp(lt, "timestamp-millis") == 0)
			put_time(o, i64, 3, 1, 1);
		else if (lt && strcmp(lt, "timestamp-micros") == 0)
			put_time(o, i64, 6, 1, 1);
		else if (lt && strcmp(lt, "local-timestamp-millis") == 0)
			put_time(o, i64, 3, 1, 0);
		else if (lt && strcmp(lt, "local-timestamp-micros") == 0)
			put_time(o, i64, 6, 1, 0);
		else if (lt && strcmp(lt, "time-micros") == 0 && i64 >= 0 &&
		    i64 < 86400000000LL)
			put_time(o, i64, 6, 0, 0);
		else
			buf_put_i64(o, i64);
		return 0;
	case AVRO_FLOAT:
		avro_value_get_float(v, &f);
		put_double(o, f, 1);
		return 0;
	case AVRO_DOUBLE:
		avro_value_get_double(v, &dd);
		put_double(o, dd, 0);
		return 0;
	case AVRO_STRING:
		avro_value_get_string(v, &str, &sz);
		buf_json_str(o, str, sz ? sz - 1 : 0);
		return 0;
	case AVRO_BYTES:
	case AVRO_FIXED:
		if (avro_value_get_type(v) == AVRO_BYTES)
			avro_value_get_bytes(v, &bp, &sz);
		else
			avro_value_get_fixed(v, &bp, &sz);
		if (lt && strcmp(lt, "decimal") == 0)
			avro_decimal_text(o, bp, sz, scale_of(n));
		else if (c->strict)
			put_latin1(o, bp, sz);
		else {
			buf_putc(o, '"');
			buf_base64(o, bp, sz);
			buf_putc(o, '"');
		}
		return 0;
	case AVRO_ENUM:
		avro_value_get_enum(v, &e);
		str = json_string_value(json_array_get(json_object_get(n, "symbols"),
		    (size_t)e));
		if (str == NULL) {
			fail(c, "enum symbol %d not in the schema", e);
			return -1;
		}
		buf_json_str(o, str, strlen(str));
		return 0;
	case AVRO_RECORD:
	case AVRO_MAP: {
		/* a record's fields have each a type, a map's values one */
		int rec = avro_value_get_type(v) == AVRO_RECORD;
		sub = json_object_get(n, rec ? "fields" : "values");
		avro_value_get_size(v, &cnt);
		buf_putc(o, '{');
		for (i = 0; i < cnt; i++) {
			avro_value_get_by_index(v, i, &child, &name);
			if (i)
				buf_putc(o, ',');
			buf_json_str(o, name, strlen(name));
			buf_putc(o, ':');
			old = path_push(c, ".%s", name);
			if (dec(c, &child, rec ? json_object_get(json_array_get(sub,
			    i), "type") : sub, ns2, o) < 0)
				return -1;
			c->plen = old;
		}
		buf_putc(o, '}');
		return 0;
	}
	case AVRO_ARRAY:
		sub = json_object_get(n, "items");
		avro_value_get_size(v, &cnt);
		buf_putc(o, '[');
		for (i = 0; i < cnt; i++) {
			avro_value_get_by_index(v, i, &child, NULL);
			if (i)
				buf_putc(o, ',');
			old = path_push(c, "[%zu]", i);
			if (dec(c, &child, sub, ns2, o) < 0)
				return -1;
			c->plen = old;
		}
		buf_putc(o, ']');
		return 0;
	case AVRO_UNION:
		avro_value_get_discriminant(v, &e);
		avro_value_get_current_branch(v, &child);
		if (!json_is_array(n) || (size_t)e >= json_array_size(n)) {
			fail(c, "union branch %d not in the schema", e);
			return -1;
		}
		if (c->strict && !json_is_null(json_array_get(n, (size_t)e)) &&
		    !(json_is_string(json_array_get(n, (size_t)e)) &&
		    strcmp(json_string_value(json_array_get(n, (size_t)e)),
		    "null") == 0)) {
			char bns[NSMAX], full[NSMAX];
			json_t *b = resolve(c->s, json_array_get(n, (size_t)e), ns2,
			    bns), *k;
			const char *tn = "";

			if (json_is_string(b))
				tn = json_string_value(b);
			else if (json_is_object(b) &&
			    json_is_string(k = json_object_get(b, "type"))) {
				tn = json_string_value(k);
				if (is_named_kind(tn)) {
					named(b, ns2, full, bns);
					tn = full;
				}
			}
			buf_putc(o, '{');
			buf_json_str(o, tn, strlen(tn));
			buf_putc(o, ':');
			if (dec(c, &child, json_array_get(n, (size_t)e), ns2, o) < 0)
				return -1;
			buf_putc(o, '}');
			return 0;
		}
		return dec(c, &child, json_array_get(n, (size_t)e), ns2, o);
	default:
		fail(c, "unsupported Avro type");
		return -1;
	}
}

/*
 * Walk the binary encoding against the schema before avro-c reads it:
 * avro-c allocates a string's or an array's length as the data gives it,
 * before it knows that the bytes are there.
 */
#define CHECK_DEPTH	256
#define ZERO_SIZE_ITEMS	65536	/* items that take no bytes, in one value */

static int
varint(const unsigned char **p, const unsigned char *end, int64_t *v)
{
	uint64_t u = 0;
	int shift = 0;

	while (*p < end && shift < 64) {
		unsigned char b = *(*p)++;
		u |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
			return 0;
		}
		shift += 7;
	}
	return -1;
}

static int
check(struct ctx *c, json_t *t, const char *ns, const unsigned char **p,
    const unsigned char *end, int depth)
{
	char ns2[NSMAX];
	json_t *n = resolve(c->s, t, ns, ns2), *f, *sub;
	const char *k;
	int64_t v, cnt, i;
	size_t j;

	if (n == NULL) {
		fail(c, "schema: unknown type");
		return -1;
	}
	if (depth > CHECK_DEPTH) {
		fail(c, "nested more than %d deep", CHECK_DEPTH);
		return -1;
	}
	if (json_is_array(n)) {
		if (varint(p, end, &v) < 0)
			goto cut;
		if (v < 0 || (size_t)v >= json_array_size(n)) {
			fail(c, "union branch %lld not in the schema", (long long)v);
			return -1;
		}
		return check(c, json_array_get(n, (size_t)v), ns2, p, end, depth + 1);
	}
	k = json_is_string(n) ? json_string_value(n) :
	    json_string_value(json_object_get(n, "type"));
	if (k == NULL) {
		fail(c, "schema: unknown type");
		return -1;
	}
	if (strcmp(k, "null") == 0)
		return 0;
	if (strcmp(k, "boolean") == 0) {
		if (end - *p < 1)
			goto cut;
		(*p)++;
		return 0;
	}
	if (strcmp(k, "int") == 0 || strcmp(k, "long") == 0)
		return varint(p, end, &v) < 0 ? (fail(c, "truncated or bad varint"), -1) : 0;
	if (strcmp(k, "float") == 0 || strcmp(k, "double") == 0) {
		size_t w = k[0] == 'f' ? 4 : 8;
		if ((size_t)(end - *p) < w)
			goto cut;
		*p += w;
		return 0;
	}
	if (strcmp(k, "bytes") == 0 || strcmp(k, "string") == 0) {
		if (varint(p, end, &v) < 0)
			goto cut;
		if (v < 0 || v > end - *p) {
			fail(c, "a length of %lld, with %zu bytes left", (long long)v,
			    (size_t)(end - *p));
			return -1;
		}
		*p += v;
		return 0;
	}
	if (strcmp(k, "fixed") == 0) {
		v = json_integer_value(json_object_get(n, "size"));
		if (v < 0 || v > end - *p)
			goto cut;
		*p += v;
		return 0;
	}
	if (strcmp(k, "enum") == 0) {
		if (varint(p, end, &v) < 0)
			goto cut;
		if (v < 0 || (size_t)v >= json_array_size(json_object_get(n, "symbols"))) {
			fail(c, "enum symbol %lld not in the schema", (long long)v);
			return -1;
		}
		return 0;
	}
	if (strcmp(k, "record") == 0 || strcmp(k, "error") == 0) {
		json_array_foreach(json_object_get(n, "fields"), j, f)
			if (check(c, json_object_get(f, "type"), ns2, p, end,
			    depth + 1) < 0)
				return -1;
		return 0;
	}
	if (strcmp(k, "array") == 0 || strcmp(k, "map") == 0) {
		int map = k[0] == 'm';

		sub = json_object_get(n, map ? "values" : "items");
		for (;;) {
			if (varint(p, end, &cnt) < 0)
				goto cut;
			if (cnt == 0)
				return 0;
			if (cnt < 0) {
				if (cnt == INT64_MIN || varint(p, end, &v) < 0)
					goto cut;
				cnt = -cnt;
			}
			if (cnt > c->items) {
				fail(c, "%lld items, with %zu bytes left",
				    (long long)cnt, (size_t)(end - *p));
				return -1;
			}
			c->items -= cnt;
			for (i = 0; i < cnt; i++) {
				if (map && (varint(p, end, &v) < 0 || v < 0 ||
				    v > end - *p))
					goto cut;
				if (map)
					*p += v;
				if (check(c, sub, ns2, p, end, depth + 1) < 0)
					return -1;
			}
		}
	}
	fail(c, "schema: unknown type %s", k);
	return -1;
cut:
	fail(c, "truncated");
	return -1;
}

int
avsch_decode(struct avsch *s, const void *p, size_t n, int strict,
    struct buf *out, char *err, size_t errlen)
{
	struct ctx c = { .s = s, .err = err, .errlen = errlen, .strict = strict };
	avro_reader_t r;
	size_t mark = out->len;
	char extra;
	int rc;

	const unsigned char *at = p, *end = at + n;

	c.items = (int64_t)n + ZERO_SIZE_ITEMS;
	if (check(&c, s->json, "", &at, end, 0) < 0) {
		char why[600];

		snprintf(why, sizeof why, "not a value of its schema: %s", err);
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	if (at != end) {
		snprintf(err, errlen, "%zu byte(s) left after the value",
		    (size_t)(end - at));
		return -1;
	}
	avro_value_reset(&s->value);
	r = avro_reader_memory(p, (int64_t)n);
	rc = avro_value_read(r, &s->value);
	if (rc != 0) {
		snprintf(err, errlen, "not a value of its schema (%s)",
		    avro_strerror());
		avro_reader_free(r);
		return -1;
	}
	if (avro_read(r, &extra, 1) == 0) {
		snprintf(err, errlen, "bytes left after the value");
		avro_reader_free(r);
		return -1;
	}
	avro_reader_free(r);
	if (dec(&c, &s->value, s->json, "", out) < 0) {
		out->len = mark;
		return -1;
	}
	return 0;
}

/* Encoding */

static int
digits2(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

/* "YYYY-MM-DD"; returns the end or NULL. */
static const char *
parse_date(const char *p, long long *days)
{
	int y, m, d;

	if (digits2(&p, 4, &y) < 0 || *p++ != '-' || digits2(&p, 2, &m) < 0 ||
	    *p++ != '-' || digits2(&p, 2, &d) < 0 || m < 1 || m > 12 || d < 1 ||
	    d > 31)
		return NULL;
	*days = days_from_civil(y, (unsigned)m, (unsigned)d);
	return p;
}

static int
parse_time_value(const char *s, int digits, long long *v)
{
	const char *p = s;
	long long unit = digits == 3 ? 1000 : 1000000, frac = 0, mul = unit;
	int h, m, sec;

	if (digits2(&p, 2, &h) < 0 || *p++ != ':' || digits2(&p, 2, &m) < 0 ||
	    *p++ != ':' || digits2(&p, 2, &sec) < 0 || h > 23 || m > 59 ||
	    sec > 60)
		return -1;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		for (; *p >= '0' && *p <= '9'; p++) {
			mul /= 10;
			if (mul == 0) {
				if (*p != '0')
					return -1;
				continue;
			}
			frac += (*p - '0') * mul;
		}
	}
	*v = ((long long)h * 3600 + m * 60 + sec) * unit + frac;
	return (int)(p - s);
}

/* An ISO 8601 timestamp; with zone, a Z or offset may follow. */
static int
parse_timestamp(const char *s, int digits, long long *v)
{
	long long unit = digits == 3 ? 1000 : 1000000, days, tod;
	const char *p = parse_date(s, &days);
	int n, oh, om, sign;

	if (p == NULL || (*p != 'T' && *p != ' '))
		return -1;
	p++;
	if ((n = parse_time_value(p, digits, &tod)) < 0)
		return -1;
	p += n;
	*v = days * 86400 * unit + tod;
	if (*p == 'Z' && p[1] == '\0')
		return 0;
	if (*p == '\0')
		return 0;
	if (*p != '+' && *p != '-')
		return -1;
	sign = *p++ == '-' ? -1 : 1;
	if (digits2(&p, 2, &oh) < 0)
		return -1;
	if (*p == ':')
		p++;
	if (digits2(&p, 2, &om) < 0 || *p != '\0')
		return -1;
	*v -= sign * ((long long)oh * 3600 + om * 60) * unit;
	return 0;
}

/* Decimal text to the shortest two's complement big-endian bytes. */
static int
decimal_bytes(struct ctx *c, const char *s, int scale, int precision,
    struct buf *out)
{
	size_t cap = strlen(s) + (size_t)scale + 2, nd = 0, i, w;
	char *dig = xmalloc(cap);
	int neg = 0, frac = -1, sig;
	const char *p = s;
	unsigned char *m;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (!((*p >= '0' && *p <= '9') || (*p == '.' && p[1] >= '0' && p[1] <= '9')))
		goto bad;
	for (; *p; p++) {
		if (*p == '.' && frac < 0) {
			frac = 0;
			continue;
		}
		if (*p < '0' || *p > '9')
			goto bad;
		if (frac >= scale) {
			if (*p != '0') {
				fail(c, "\"%.40s%s\": more than %d digit(s) after the point",
				    s, strlen(s) > 40 ? "..." : "", scale);
				free(dig);
				return -1;
			}
			continue;
		}
		dig[nd++] = *p;
		if (frac >= 0)
			frac++;
	}
	if (frac < 0)
		frac = 0;
	for (; frac < scale; frac++)
		dig[nd++] = '0';
	for (i = 0; i < nd && dig[i] == '0'; i++)
		;
	sig = (int)(nd - i);
	if (precision > 0 && sig > precision) {
		fail(c, "\"%.40s%s\": more than %d significant digit(s)", s,
		    strlen(s) > 40 ? "..." : "", precision);
		free(dig);
		return -1;
	}
	/* the magnitude in base 256, big-endian, with room for the sign */
	w = nd / 2 + 2;
	m = xcalloc(w, 1);
	for (i = 0; i < nd; i++) {
		unsigned carry = (unsigned)(dig[i] - '0');
		for (size_t k = w; k-- > 0;) {
			unsigned cur = m[k] * 10u + carry;
			m[k] = (unsigned char)(cur & 0xff);
			carry = cur >> 8;
		}
	}
	if (neg) {
		for (i = 0; i < w; i++)
			m[i] = (unsigned char)~m[i];
		for (i = w; i-- > 0;)
			if (++m[i] != 0)
				break;
	}
	i = 0;
	while (w - i > 1 && ((m[i] == 0 && !(m[i + 1] & 0x80)) ||
	    (m[i] == 0xff && (m[i + 1] & 0x80))))
		i++;
	buf_add(out, m + i, w - i);
	free(m);
	free(dig);
	return 0;
bad:
	fail(c, "\"%.40s%s\" is not a decimal number", s,
	    strlen(s) > 40 ? "..." : "");
	free(dig);
	return -1;
}

static const char *
kind_of(json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE: case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

static int enc(struct ctx *c, avro_value_t *v, json_t *t, const char *ns,
    json_t *j);

static int
enc_bytes(struct ctx *c, avro_value_t *v, json_t *n, json_t *j, int fixed)
{
	const char *lt = logical(n);
	size_t size = 0;
	struct buf b;
	char num[64];
	const char *text;
	int rc;

	if (fixed)
		size = (size_t)json_integer_value(json_object_get(n, "size"));
	buf_init(&b);
	if (lt && strcmp(lt, "decimal") == 0) {
		if (json_is_string(j))
			text = json_string_value(j);
		else if (json_is_integer(j)) {
			snprintf(num, sizeof num, "%lld", (long long)json_integer_value(j));
			text = num;
		} else if (json_is_real(j)) {
			snprintf(num, sizeof num, "%.*f", scale_of(n),
			    json_real_value(j));
			text = num;
		} else {
			fail(c, "expected a decimal, got %s", kind_of(j));
			return -1;
		}
		if (decimal_bytes(c, text, scale_of(n), precision_of(n), &b) < 0) {
			buf_free(&b);
			return -1;
		}
		if (fixed && b.len > size) {
			fail(c, "\"%s\": too large for fixed(%zu)", text, size);
			buf_free(&b);
			return -1;
		}
		if (fixed && b.len < size) {
			/* sign-extend to the fixed size */
			size_t have = b.len;
			char sign = (b.p[0] & 0x80) ? (char)0xff : 0;

			buf_reserve(&b, size - have);
			memmove(b.p + size - have, b.p, have);
			memset(b.p, sign, size - have);
			b.len = size;
		}
	} else {
		if (!json_is_string(j)) {
			fail(c, "expected base64 text, got %s", kind_of(j));
			return -1;
		}
		if (buf_unbase64(&b, json_string_value(j),
		    json_string_length(j)) < 0) {
			fail(c, "not base64");
			buf_free(&b);
			return -1;
		}
		if (fixed && b.len != size) {
			fail(c, "expected %zu bytes, got %zu", size, b.len);
			buf_free(&b);
			return -1;
		}
	}
	rc = fixed ? avro_value_set_fixed(v, b.p ? b.p : "", b.len) :
	    avro_value_set_bytes(v, b.p ? b.p : "", b.len);
	buf_free(&b);
	if (rc != 0) {
		fail(c, "%s", avro_strerror());
		return -1;
	}
	return 0;
}

static int
enc_double(struct ctx *c, json_t *j, double *d)
{
	const char *s;

	if (json_is_number(j)) {
		*d = json_number_value(j);
		return 0;
	}
	if (json_is_string(j)) {
		s = json_string_value(j);
		if (strcmp(s, "NaN") == 0) { *d = NAN; return 0; }
		if (strcmp(s, "Infinity") == 0) { *d = INFINITY; return 0; }
		if (strcmp(s, "-Infinity") == 0) { *d = -INFINITY; return 0; }
	}
	fail(c, "expected a number, got %s", kind_of(j));
	return -1;
}

static int
enc_record(struct ctx *c, avro_value_t *v, json_t *n, const char *ns,
    json_t *j)
{
	json_t *fields = json_object_get(n, "fields"), *f, *jf, *ft, *m;
	const char *name, *key;
	avro_value_t child;
	size_t i, old;

	if (!json_is_object(j)) {
		fail(c, "expected an object, got %s", kind_of(j));
		return -1;
	}
	json_array_foreach(fields, i, f) {
		name = json_string_value(json_object_get(f, "name"));
		ft = json_object_get(f, "type");
		if (name == NULL || avro_value_get_by_index(v, i, &child, NULL) != 0) {
			fail(c, "schema: bad field %zu", i);
			return -1;
		}
		old = path_push(c, ".%s", name);
		if ((jf = json_object_get(j, name)) == NULL &&
		    (jf = json_object_get(f, "default")) == NULL) {
			char nsd[NSMAX];
			json_t *u = resolve(c->s, ft, ns, nsd), *b;
			size_t k;
			int nullable = 0;

			json_array_foreach(u, k, b)
				if (json_is_string(b) &&
				    strcmp(json_string_value(b), "null") == 0)
					nullable = 1;
			if (!nullable) {
				fail(c, "missing, and the schema gives no default");
				return -1;
			}
			jf = json_null();
		}
		if (enc(c, &child, ft, ns, jf) < 0)
			return -1;
		c->plen = old;
	}
	json_object_foreach(j, key, m) {
		int found = 0;
		json_array_foreach(fields, i, f)
			if (strcmp(json_string_value(json_object_get(f, "name")),
			    key) == 0) {
				found = 1;
				break;
			}
		if (!found) {
			fail(c, "field \"%s\" is not in the schema", key);
			return -1;
		}
	}
	return 0;
}

static int
enc(struct ctx *c, avro_value_t *v, json_t *t, const char *ns, json_t *j)
{
	char ns2[NSMAX];
	json_t *n = resolve(c->s, t, ns, ns2), *sub, *m;
	const char *lt, *key;
	avro_value_t child;
	long long lv;
	double d;
	size_t i, old;
	int rc = 0;

	if (n == NULL) {
		fail(c, "schema: unknown type");
		return -1;
	}
	lt = logical(n);
	switch (avro_value_get_type(v)) {
	case AVRO_NULL:
		if (!json_is_null(j)) {
			fail(c, "expected null, got %s", kind_of(j));
			return -1;
		}
		rc = avro_value_set_null(v);
		break;
	case AVRO_BOOLEAN:
		if (!json_is_boolean(j)) {
			fail(c, "expected a boolean, got %s", kind_of(j));
			return -1;
		}
		rc = avro_value_set_boolean(v, json_is_true(j));
		break;
	case AVRO_INT32:
	case AVRO_INT64:
		if (json_is_string(j) && lt) {
			const char *s = json_string_value(j), *e;
			int ok = 0;

			if (strcmp(lt, "date") == 0)
				ok = (e = parse_date(s, &lv)) != NULL && *e == '\0';
			else if (strcmp(lt, "time-millis") == 0 ||
			    strcmp(lt, "time-micros") == 0)
				ok = parse_time_value(s, lt[5] == 'm' && lt[6] == 'i' &&
				    lt[7] == 'l' ? 3 : 6, &lv) == (int)strlen(s);
			else if (strncmp(lt, "timestamp-", 10) == 0 ||
			    strncmp(lt, "local-timestamp-", 16) == 0)
				ok = parse_timestamp(s, strstr(lt, "millis") ? 3 : 6,
				    &lv) == 0;
			if (!ok) {
				fail(c, "\"%s\" is not a %s", s, lt);
				return -1;
			}
		} else if (json_is_integer(j))
			lv = (long long)json_integer_value(j);
		else {
			fail(c, "expected an integer, got %s", kind_of(j));
			return -1;
		}
		if (avro_value_get_type(v) == AVRO_INT32) {
			if (lv < INT32_MIN || lv > INT32_MAX) {
				fail(c, "%lld does not fit an int", lv);
				return -1;
			}
			rc = avro_value_set_int(v, (int32_t)lv);
		} else
			rc = avro_value_set_long(v, lv);
		break;
	case AVRO_FLOAT:
		if (enc_double(c, j, &d) < 0)
			return -1;
		rc = avro_value_set_float(v, (float)d);
		break;
	case AVRO_DOUBLE:
		if (enc_double(c, j, &d) < 0)
			return -1;
		rc = avro_value_set_double(v, d);
		break;
	case AVRO_STRING:
		if (!json_is_string(j)) {
			fail(c, "expected a string, got %s", kind_of(j));
			return -1;
		}
		rc = avro_value_set_string_len(v, json_string_value(j),
		    json_string_length(j) + 1);
		break;
	case AVRO_BYTES:
		return enc_bytes(c, v, n, j, 0);
	case AVRO_FIXED:
		return enc_bytes(c, v, n, j, 1);
	case AVRO_ENUM:
		if (!json_is_string(j)) {
			fail(c, "expected a symbol, got %s", kind_of(j));
			return -1;
		}
		sub = json_object_get(n, "symbols");
		json_array_foreach(sub, i, m)
			if (strcmp(json_string_value(m), json_string_value(j)) == 0)
				break;
		if (i == json_array_size(sub)) {
			fail(c, "\"%s\" is not a symbol of the enum",
			    json_string_value(j));
			return -1;
		}
		rc = avro_value_set_enum(v, (int)i);
		break;
	case AVRO_RECORD:
		return enc_record(c, v, n, ns2, j);
	case AVRO_ARRAY:
		if (!json_is_array(j)) {
			fail(c, "expected an array, got %s", kind_of(j));
			return -1;
		}
		sub = json_object_get(n, "items");
		json_array_foreach(j, i, m) {
			if (avro_value_append(v, &child, NULL) != 0) {
				fail(c, "%s", avro_strerror());
				return -1;
			}
			old = path_push(c, "[%zu]", i);
			if (enc(c, &child, sub, ns2, m) < 0)
				return -1;
			c->plen = old;
		}
		break;
	case AVRO_MAP:
		if (!json_is_object(j)) {
			fail(c, "expected an object, got %s", kind_of(j));
			return -1;
		}
		sub = json_object_get(n, "values");
		json_object_foreach(j, key, m) {
			if (avro_value_add(v, key, &child, NULL, NULL) != 0) {
				fail(c, "%s", avro_strerror());
				return -1;
			}
			old = path_push(c, ".%s", key);
			if (enc(c, &child, sub, ns2, m) < 0)
				return -1;
			c->plen = old;
		}
		break;
	case AVRO_UNION: {
		size_t nonnull = 0, k;
		json_t *b;

		json_array_foreach(n, k, b) {
			int isnull = json_is_string(b) &&
			    strcmp(json_string_value(b), "null") == 0;

			if (!isnull)
				nonnull++;
			if (isnull != json_is_null(j))
				continue;
			if (avro_value_set_branch(v, (int)k, &child) != 0) {
				fail(c, "%s", avro_strerror());
				return -1;
			}
			if (enc(c, &child, b, ns2, j) == 0)
				return 0;
		}
		if (json_is_null(j))
			fail(c, "null, and the union has no null");
		else if (nonnull > 1)
			fail(c, "no type of the union takes %s", kind_of(j));
		return -1;
	}
	default:
		fail(c, "unsupported Avro type");
		return -1;
	}
	if (rc != 0) {
		fail(c, "%s", avro_strerror());
		return -1;
	}
	return 0;
}

int
avsch_encode(struct avsch *s, json_t *j, struct buf *out, char *err,
    size_t errlen)
{
	struct ctx c = { .s = s, .err = err, .errlen = errlen };
	avro_writer_t w;
	size_t size;

	avro_value_reset(&s->value);
	if (enc(&c, &s->value, s->json, "", j) < 0)
		return -1;
	if (avro_value_sizeof(&s->value, &size) != 0) {
		snprintf(err, errlen, "%s", avro_strerror());
		return -1;
	}
	buf_reserve(out, size);
	w = avro_writer_memory(out->p + out->len, (int64_t)size);
	if (avro_value_write(w, &s->value) != 0) {
		snprintf(err, errlen, "%s", avro_strerror());
		avro_writer_free(w);
		return -1;
	}
	avro_writer_free(w);
	out->len += size;
	return 0;
}

int
avro_serde_arg(const char *arg, int *key, int *value)
{
	if (strcmp(arg, "avro") == 0 || strcmp(arg, "value=avro") == 0)
		*value = 1;
	else if (strcmp(arg, "key=avro") == 0)
		*key = 1;
	else
		return -1;
	return 0;
}
