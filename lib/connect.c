/* connect.c: Kafka Connect schemas as JSON, and their Avro schemas. */
#include "connect.h"
#include "avrojson.h"
#include "jpath.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- writing (the connectors) ---- */

/* A character an Avro name may hold (after its first, which is no digit). */
static int
avro_name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

void
cs_adjust(struct buf *b, const char *s, size_t n)
{
	if (n > 0 && s[0] >= '0' && s[0] <= '9')
		buf_putc(b, '_');
	for (size_t i = 0; i < n; i++)
		buf_putc(b, avro_name_char(s[i]) ? s[i] : '_');
}

void
cs_field(struct buf *b, const char *field, size_t flen, const char *type,
    int optional, const char *name, const char *const *params)
{
	if (b->len)
		buf_putc(b, ',');
	buf_puts(b, "{\"type\":\"");
	buf_puts(b, type);
	buf_puts(b, optional ? "\",\"optional\":true" :
	    "\",\"optional\":false");
	if (name) {
		buf_puts(b, ",\"name\":");
		buf_json_str(b, name, strlen(name));
		buf_puts(b, ",\"version\":1");
	}
	if (params) {
		int n = 0;
		for (size_t i = 0; params[i]; i += 2) {
			if (!params[i + 1])
				continue;
			buf_puts(b, n++ ? "," : ",\"parameters\":{");
			buf_json_str(b, params[i], strlen(params[i]));
			buf_putc(b, ':');
			buf_json_str(b, params[i + 1], strlen(params[i + 1]));
		}
		if (n)
			buf_putc(b, '}');
	}
	buf_puts(b, ",\"field\":");
	buf_json_str(b, field, flen);
	buf_putc(b, '}');
}

static void
value_struct(struct buf *out, const char *prefix, const struct buf *fields,
    const char *field)
{
	buf_puts(out, "{\"type\":\"struct\",\"fields\":[");
	buf_add(out, fields->p, fields->len);
	buf_puts(out, "],\"optional\":true,\"name\":");
	buf_printf(out, "\"%s.Value\"", prefix);
	buf_puts(out, ",\"field\":\"");
	buf_puts(out, field);
	buf_puts(out, "\"}");
}

void
cs_envelope(struct buf *out, const char *server, const char *db,
    const char *table, const struct buf *fields, const char *source_name,
    const char *source, int unwrap)
{
	struct buf pb;
	const char *prefix;

	buf_init(&pb);
	cs_adjust(&pb, server, strlen(server));
	buf_putc(&pb, '.');
	cs_adjust(&pb, db, strlen(db));
	buf_putc(&pb, '.');
	cs_adjust(&pb, table, strlen(table));
	prefix = buf_cstr(&pb);
	buf_reset(out);
	if (unwrap) {
		buf_puts(out, "{\"type\":\"struct\",\"fields\":[");
		buf_add(out, fields->p, fields->len);
		if (fields->len)
			buf_putc(out, ',');
		buf_puts(out, "{\"type\":\"string\",\"optional\":true,"
		    "\"field\":\"__op\"},{\"type\":\"string\",\"optional\":true,"
		    "\"field\":\"__deleted\"},{\"type\":\"int64\",\"optional\":"
		    "true,\"field\":\"__source_ts_ms\"}],\"optional\":false,"
		    "\"name\":");
		buf_printf(out, "\"%s.Value\"}", prefix);
		buf_free(&pb);
		return;
	}
	buf_puts(out, "{\"type\":\"struct\",\"fields\":[");
	value_struct(out, prefix, fields, "before");
	buf_putc(out, ',');
	value_struct(out, prefix, fields, "after");
	buf_puts(out, ",{\"type\":\"struct\",\"fields\":[");
	buf_puts(out, source);
	buf_puts(out, "],\"optional\":false,\"name\":");
	buf_json_str(out, source_name, strlen(source_name));
	buf_puts(out, ",\"field\":\"source\"},"
	    "{\"type\":\"string\",\"optional\":false,\"field\":\"op\"},"
	    "{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ms\"},"
	    "{\"type\":\"struct\",\"fields\":["
	    "{\"type\":\"string\",\"optional\":false,\"field\":\"id\"},"
	    "{\"type\":\"int64\",\"optional\":false,\"field\":\"total_order\"},"
	    "{\"type\":\"int64\",\"optional\":false,"
	    "\"field\":\"data_collection_order\"}],"
	    "\"optional\":true,\"name\":\"event.block\",\"version\":1,"
	    "\"field\":\"transaction\"}],\"optional\":false,\"name\":");
	buf_printf(out, "\"%s.Envelope\",\"version\":1}", prefix);
	buf_free(&pb);
}

/* ---- reading (produce) ---- */

struct conv {
	json_t *defined;	/* full names of the records written so far */
	struct cs_avro *a;
	int depth;		/* 1: the row structs' fields are columns */
	int nanon;
	char *err;
	size_t errlen;
};

static int
conv_fail(struct conv *c, const char *fmt, const char *what)
{
	snprintf(c->err, c->errlen, fmt, what);
	return -1;
}

static const char *
param(json_t *cs, const char *key)
{
	return json_string_value(json_object_get(json_object_get(cs,
	    "parameters"), key));
}

static int
avro_name_ok(const char *s)
{
	if (!s || !*s || (*s >= '0' && *s <= '9'))
		return 0;
	for (; *s; s++)
		if (!avro_name_char(*s))
			return 0;
	return 1;
}

static void
add_fix(struct conv *c, const char *field, int kind, int scale)
{
	struct cs_avro *a = c->a;
	struct cs_fix *f;
	char err[200], *spec;

	a->fix = xrealloc(a->fix, (a->nfix + 1) * sizeof *a->fix);
	f = &a->fix[a->nfix++];
	memset(f, 0, sizeof *f);
	f->field = xstrdup(field);
	f->kind = kind;
	f->scale = scale;
	if (kind != CS_FIX_QUOTE_INT)
		return;
	for (int i = 0; i < (a->unwrap ? 1 : 2); i++) {
		spec = a->unwrap ? xstrdup(field) :
		    xasprintf("%s.%s", i ? "after" : "before", field);
		f->paths[i] = jpath_parse(spec, err, sizeof err);
		free(spec);
	}
}

/* A primitive with Connect's annotations. */
static json_t *
prim(const char *type, json_t *cs)
{
	json_t *t = json_pack("{ss}", "type", type);
	const char *name = json_string_value(json_object_get(cs, "name"));
	json_t *ver = json_object_get(cs, "version"), *params;

	if (name) {
		if (ver)
			json_object_set(t, "connect.version", ver);
		json_object_set_new(t, "connect.name", json_string(name));
	}
	if ((params = json_object_get(cs, "parameters")) != NULL)
		json_object_set(t, "connect.parameters", params);
	return t;
}

static json_t *conv_type(struct conv *c, json_t *cs, const char *field);

static json_t *
conv_struct(struct conv *c, json_t *cs)
{
	const char *name = json_string_value(json_object_get(cs, "name"));
	json_t *fields = json_object_get(cs, "fields"), *out, *list;
	char *full, *dot;
	size_t i;
	json_t *f;

	if (name)
		full = xstrdup(name);
	else
		full = xasprintf("io.confluent.connect.avro.ConnectDefault%d",
		    ++c->nanon);
	if (json_object_get(c->defined, full)) {
		/* the second use of a record (after, after before) */
		out = json_string(full);
		free(full);
		return out;
	}
	json_object_set_new(c->defined, full, json_true());
	dot = strrchr(full, '.');
	out = json_object();
	json_object_set_new(out, "type", json_string("record"));
	json_object_set_new(out, "name", json_string(dot ? dot + 1 : full));
	if (dot) {
		*dot = '\0';
		json_object_set_new(out, "namespace", json_string(full));
		*dot = '.';
	}
	if (!avro_name_ok(dot ? dot + 1 : full)) {
		conv_fail(c, "\"%s\" is not an Avro name", full);
		free(full);
		json_decref(out);
		return NULL;
	}
	list = json_array();
	json_array_foreach(fields, i, f) {
		const char *fname = json_string_value(json_object_get(f, "field"));
		json_t *t, *af;

		if (!avro_name_ok(fname)) {
			conv_fail(c, "field \"%s\" is not an Avro name",
			    fname ? fname : "");
			goto bad;
		}
		c->depth++;
		t = conv_type(c, f, fname);
		c->depth--;
		if (t == NULL)
			goto bad;
		af = json_pack("{ss}", "name", fname);
		if (json_is_true(json_object_get(f, "optional"))) {
			json_object_set_new(af, "type", json_pack("[so]", "null", t));
			json_object_set_new(af, "default", json_null());
		} else
			json_object_set_new(af, "type", t);
		json_array_append_new(list, af);
	}
	json_object_set_new(out, "fields", list);
	if (json_object_get(cs, "version"))
		json_object_set(out, "connect.version",
		    json_object_get(cs, "version"));
	if (name)
		json_object_set_new(out, "connect.name", json_string(name));
	free(full);
	return out;
bad:
	json_decref(list);
	json_decref(out);
	free(full);
	return NULL;
}

static int
int_param(const char *s, int dflt)
{
	return s && *s ? atoi(s) : dflt;
}

static json_t *
conv_type(struct conv *c, json_t *cs, const char *field)
{
	const char *type = json_string_value(json_object_get(cs, "type"));
	const char *name = json_string_value(json_object_get(cs, "name"));
	const char *src = param(cs, "__debezium.source.column.type");
	int column = c->depth == 2 && field != NULL;	/* a row's column */
	json_t *t;

	if (type == NULL)
		return conv_fail(c, "a schema without a type%s", ""), NULL;
	if (name == NULL)
		name = "";
	if (strcmp(type, "struct") == 0)
		return conv_struct(c, cs);
	if (strcmp(type, "array") == 0) {
		json_t *items = conv_type(c, json_object_get(cs, "items"), NULL);
		return items ? json_pack("{ssso}", "type", "array", "items",
		    items) : NULL;
	}
	if (strcmp(type, "map") == 0) {
		json_t *k = json_object_get(cs, "keys"), *v;
		if (strcmp(json_string_value(json_object_get(k, "type")) ?
		    json_string_value(json_object_get(k, "type")) : "",
		    "string") != 0)
			return conv_fail(c, "a map whose keys are not strings%s",
			    ""), NULL;
		v = conv_type(c, json_object_get(cs, "values"), NULL);
		return v ? json_pack("{ssso}", "type", "map", "values", v) : NULL;
	}
	if (strcmp(type, "int8") == 0 || strcmp(type, "int16") == 0) {
		t = prim("int", cs);
		json_object_set_new(t, "connect.type", json_string(type));
		return t;
	}
	if (strcmp(type, "int32") == 0) {
		t = prim("int", cs);
		if (strcmp(name, "io.debezium.time.Date") == 0 ||
		    strcmp(name, "org.apache.kafka.connect.data.Date") == 0)
			json_object_set_new(t, "logicalType", json_string("date"));
		else if (strcmp(name, "org.apache.kafka.connect.data.Time") == 0)
			json_object_set_new(t, "logicalType",
			    json_string("time-millis"));
		return t;
	}
	if (strcmp(type, "int64") == 0) {
		const char *bits = param(cs, "__debezium.source.column.length");

		if (src && column && (strcmp(src, "BIGINT UNSIGNED") == 0 ||
		    (strcmp(src, "BIT") == 0 && int_param(bits, 0) == 64))) {
			/* the whole range of the column, exactly */
			t = prim("bytes", cs);
			json_object_set_new(t, "logicalType",
			    json_string("decimal"));
			json_object_set_new(t, "precision", json_integer(20));
			json_object_set_new(t, "scale", json_integer(0));
			add_fix(c, field, CS_FIX_QUOTE_INT, 0);
			return t;
		}
		t = prim("long", cs);
		if (strcmp(name, "io.debezium.time.Timestamp") == 0)
			json_object_set_new(t, "logicalType",
			    json_string("local-timestamp-millis"));
		else if (strcmp(name, "io.debezium.time.MicroTimestamp") == 0)
			json_object_set_new(t, "logicalType",
			    json_string("local-timestamp-micros"));
		else if (strcmp(name, "org.apache.kafka.connect.data.Timestamp") == 0)
			json_object_set_new(t, "logicalType",
			    json_string("timestamp-millis"));
		return t;
	}
	if (strcmp(type, "float32") == 0)
		return prim("float", cs);
	if (strcmp(type, "float64") == 0)
		return prim("double", cs);
	if (strcmp(type, "boolean") == 0)
		return prim("boolean", cs);
	if (strcmp(type, "bytes") == 0) {
		t = prim("bytes", cs);
		if (strcmp(name, "org.apache.kafka.connect.data.Decimal") == 0) {
			int scale = int_param(param(cs, "scale"), 0);
			json_object_set_new(t, "logicalType",
			    json_string("decimal"));
			json_object_set_new(t, "precision", json_integer(
			    int_param(param(cs, "connect.decimal.precision"), 64)));
			json_object_set_new(t, "scale", json_integer(scale));
			if (column)
				add_fix(c, field, CS_FIX_UNSCALED, scale);
		}
		return t;
	}
	if (strcmp(type, "string") != 0)
		return conv_fail(c, "unknown Connect type \"%s\"", type), NULL;
	/* strings: the plain encoding's decimals, dates and times */
	if (strcmp(name, "io.debezium.time.ZonedTimestamp") == 0) {
		t = prim("long", cs);
		json_object_set_new(t, "logicalType",
		    json_string("timestamp-micros"));
		return t;
	}
	if (strcmp(name, "io.debezium.data.Json") == 0) {
		if (column)
			add_fix(c, field, CS_FIX_JSON_TEXT, 0);
		return prim("string", cs);
	}
	if (src && *name == '\0' && column) {
		const char *len = param(cs, "__debezium.source.column.length");

		if ((strcmp(src, "DECIMAL") == 0 || strcmp(src, "NUMERIC") == 0 ||
		    strcmp(src, "DECIMAL UNSIGNED") == 0) && len) {
			t = prim("bytes", cs);
			json_object_set_new(t, "logicalType",
			    json_string("decimal"));
			json_object_set_new(t, "precision",
			    json_integer(int_param(len, 64)));
			json_object_set_new(t, "scale", json_integer(
			    int_param(param(cs, "__debezium.source.column.scale"),
			    0)));
			return t;
		}
		if (strcmp(src, "DATE") == 0) {
			t = prim("int", cs);
			json_object_set_new(t, "logicalType", json_string("date"));
			return t;
		}
		if (strcmp(src, "DATETIME") == 0 || strcmp(src, "TIMESTAMP") == 0) {
			t = prim("long", cs);
			json_object_set_new(t, "logicalType",
			    json_string("local-timestamp-micros"));
			return t;
		}
	}
	return prim("string", cs);
}

int
cs_to_avro(json_t *connect, struct cs_avro *out, char *err, size_t errlen)
{
	struct conv c = { .a = out, .err = err, .errlen = errlen };
	json_t *fields = json_object_get(connect, "fields"), *f;
	const char *first = NULL;
	size_t i;

	memset(out, 0, sizeof *out);
	if (!json_is_object(connect) || !json_is_array(fields)) {
		snprintf(err, errlen, "the schema is not a Connect struct");
		return -1;
	}
	/* an envelope has before and after; a flat row (unwrapped) has not */
	json_array_foreach(fields, i, f) {
		const char *n = json_string_value(json_object_get(f, "field"));
		if (n && strcmp(n, "after") == 0)
			first = n;
	}
	out->unwrap = first == NULL;
	/* the columns are at depth 2 of an envelope, 1 of a flat row */
	c.depth = out->unwrap ? 1 : 0;
	c.defined = json_object();
	out->schema = conv_struct(&c, connect);
	json_decref(c.defined);
	if (out->schema == NULL) {
		cs_avro_free(out);
		return -1;
	}
	return 0;
}

void
cs_avro_free(struct cs_avro *a)
{
	for (size_t i = 0; i < a->nfix; i++) {
		free(a->fix[i].field);
		jpath_free(a->fix[i].paths[0]);
		jpath_free(a->fix[i].paths[1]);
	}
	free(a->fix);
	json_decref(a->schema);
	memset(a, 0, sizeof *a);
}

/* base64 of a two's complement big-endian integer -> exact decimal text */
static int
unscaled_text(const char *s, size_t n, int scale, struct buf *out)
{
	struct buf b;
	int rc = -1;

	buf_init(&b);
	if (buf_unbase64(&b, s, n) == 0 && b.len > 0) {
		avro_decimal_text(out, (const unsigned char *)b.p, b.len, scale);
		rc = 0;
	}
	buf_free(&b);
	return rc;
}

static int
fix_row(const struct cs_avro *a, json_t *row, char *err, size_t errlen)
{
	struct buf b;

	if (!json_is_object(row))
		return 0;
	buf_init(&b);
	for (size_t i = 0; i < a->nfix; i++) {
		const struct cs_fix *f = &a->fix[i];
		json_t *v = json_object_get(row, f->field), *nv = NULL;

		if (v == NULL || json_is_null(v))
			continue;
		if (f->kind == CS_FIX_JSON_TEXT) {
			char *text;
			if (json_is_string(v))
				continue;
			text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
			nv = json_string(text);
			free(text);
		} else if (f->kind == CS_FIX_UNSCALED && json_is_string(v)) {
			buf_reset(&b);
			if (unscaled_text(json_string_value(v),
			    json_string_length(v), f->scale, &b) < 0) {
				snprintf(err, errlen, "%s: not the base64 of a "
				    "decimal's unscaled value", f->field);
				buf_free(&b);
				return -1;
			}
			nv = json_loadb(b.p, b.len, JSON_DECODE_ANY, NULL);
		}
		if (nv)
			json_object_set_new(row, f->field, nv);
	}
	buf_free(&b);
	return 0;
}

int
cs_fix_text(const struct cs_avro *a, const char *p, size_t n, struct buf *out)
{
	int changed = 0;

	for (size_t i = 0; i < a->nfix; i++) {
		const struct cs_fix *f = &a->fix[i];

		for (int k = 0; k < 2 && f->kind == CS_FIX_QUOTE_INT; k++) {
			const char *s = changed ? out->p : p, *v;
			size_t sn = changed ? out->len : n, vn, at;

			char num[24];
			size_t nn;

			if (f->paths[k] == NULL ||
			    !jpath_find(f->paths[k], s, sn, &v, &vn) ||
			    vn == 0 || vn > 20 || (*v != '-' && (*v < '0' || *v > '9')))
				continue;
			if (*v == '-') {
				/* Debezium's encoding wraps the unsigned value
				 * to a signed long: unwrap it */
				char tmp[24], *e;
				long long sv;

				memcpy(tmp, v, vn);
				tmp[vn] = '\0';
				sv = strtoll(tmp, &e, 10);
				if (*e != '\0')
					continue;
				nn = (size_t)snprintf(num, sizeof num, "\"%llu\"",
				    (unsigned long long)sv);
			} else {
				num[0] = '"';
				memcpy(num + 1, v, vn);
				num[vn + 1] = '"';
				nn = vn + 2;
			}
			at = (size_t)(v - s);
			if (!changed) {
				buf_reset(out);
				buf_add(out, p, n);
				changed = 1;
			}
			buf_reserve(out, nn);
			memmove(out->p + at + nn, out->p + at + vn,
			    out->len - at - vn);
			memcpy(out->p + at, num, nn);
			out->len += nn - vn;
		}
	}
	return changed;
}

int
cs_fix_payload(const struct cs_avro *a, json_t *payload, char *err,
    size_t errlen)
{
	if (a->nfix == 0)
		return 0;
	if (a->unwrap)
		return fix_row(a, payload, err, errlen);
	if (fix_row(a, json_object_get(payload, "before"), err, errlen) < 0 ||
	    fix_row(a, json_object_get(payload, "after"), err, errlen) < 0)
		return -1;
	return 0;
}
