/* cdcrec.c: change records in Debezium's value envelope. */
#include "cdcrec.h"
#include "util.h"

#include <string.h>

void
cdc_init(struct cdcrec *r, int unwrap)
{
	memset(r, 0, sizeof *r);
	buf_init(&r->out);
	buf_init(&r->before);
	buf_init(&r->after);
	buf_init(&r->source);
	buf_init(&r->txn);
	r->unwrap = unwrap;
}

void
cdc_free(struct cdcrec *r)
{
	buf_free(&r->out);
	buf_free(&r->before);
	buf_free(&r->after);
	buf_free(&r->source);
	buf_free(&r->txn);
}

void
cdc_begin(struct cdcrec *r, char op)
{
	r->op = op;
	r->have_before = r->have_after = 0;
	buf_reset(&r->before);
	buf_reset(&r->after);
	buf_reset(&r->source);
	buf_reset(&r->txn);
	buf_reset(&r->out);
	r->cur = NULL;
	r->schema = NULL;
}

void
cdc_schema(struct cdcrec *r, const char *json, size_t len)
{
	r->schema = json;
	r->schema_len = len;
}

/* Row and source objects are kept without their braces, so that the
 * unwrapped form can append its own fields to a row. */
void
cdc_row_begin(struct cdcrec *r, enum cdc_which which)
{
	if (which == CDC_BEFORE) {
		r->cur = &r->before;
		r->have_before = 1;
	} else {
		r->cur = &r->after;
		r->have_after = 1;
	}
	buf_reset(r->cur);
	r->first = 1;
}

void
cdc_row_end(struct cdcrec *r)
{
	r->cur = NULL;
}

struct buf *
cdc_row_buf(struct cdcrec *r, enum cdc_which which)
{
	struct buf *b;

	cdc_row_begin(r, which);
	b = r->cur;
	r->cur = NULL;
	return b;
}

void
cdc_source_begin(struct cdcrec *r)
{
	r->cur = &r->source;
	buf_reset(r->cur);
	r->first = 1;
}

void
cdc_source_end(struct cdcrec *r)
{
	r->cur = NULL;
}

static void
field_name(struct cdcrec *r, const char *name)
{
	struct buf *b = r->cur;

	if (!r->first)
		buf_putc(b, ',');
	r->first = 0;
	buf_json_str(b, name, strlen(name));
	buf_putc(b, ':');
}

void
cdc_value(struct cdcrec *r, const char *name, const char *json, size_t len)
{
	field_name(r, name);
	buf_add(r->cur, json, len);
}

void
cdc_value_str(struct cdcrec *r, const char *name, const char *s)
{
	cdc_value_strn(r, name, s, strlen(s));
}

void
cdc_value_strn(struct cdcrec *r, const char *name, const char *s, size_t n)
{
	field_name(r, name);
	buf_json_str(r->cur, s, n);
}

void
cdc_value_int(struct cdcrec *r, const char *name, long long v)
{
	field_name(r, name);
	buf_put_i64(r->cur, v);
}

void
cdc_value_uint(struct cdcrec *r, const char *name, unsigned long long v)
{
	field_name(r, name);
	buf_put_u64(r->cur, v);
}

void
cdc_value_null(struct cdcrec *r, const char *name)
{
	field_name(r, name);
	buf_add(r->cur, "null", 4);
}

void
cdc_value_key(struct cdcrec *r, const char *key, size_t keylen,
    const char *json, size_t len)
{
	struct buf *b = r->cur;

	buf_reserve(b, keylen + len + 1);
	if (!r->first)
		b->p[b->len++] = ',';
	r->first = 0;
	memcpy(b->p + b->len, key, keylen);
	memcpy(b->p + b->len + keylen, json, len);
	b->len += keylen + len;
}

void
cdc_fields(struct cdcrec *r, const char *json, size_t len)
{
	if (!len)
		return;
	if (!r->first)
		buf_putc(r->cur, ',');
	r->first = 0;
	buf_add(r->cur, json, len);
}

void
cdc_value_bool(struct cdcrec *r, const char *name, int v)
{
	field_name(r, name);
	buf_puts(r->cur, v ? "true" : "false");
}

void
cdc_transaction(struct cdcrec *r, const char *id,
    unsigned long long total_order, unsigned long long collection_order)
{
	buf_reset(&r->txn);
	buf_puts(&r->txn, "{\"id\":");
	buf_json_str(&r->txn, id, strlen(id));
	buf_puts(&r->txn, ",\"total_order\":");
	buf_put_u64(&r->txn, total_order);
	buf_puts(&r->txn, ",\"data_collection_order\":");
	buf_put_u64(&r->txn, collection_order);
	buf_putc(&r->txn, '}');
}

static void
put_row(struct buf *out, int have, const struct buf *row)
{
	if (!have) {
		buf_puts(out, "null");
		return;
	}
	buf_putc(out, '{');
	buf_add(out, row->p, row->len);
	buf_putc(out, '}');
}

void
cdc_end(struct cdcrec *r, long long ts_ms, long long source_ts_ms)
{
	buf_reset(&r->out);
	cdc_end_to(r, &r->out, ts_ms, source_ts_ms);
}

void
cdc_end_to(struct cdcrec *r, struct buf *o, long long ts_ms,
    long long source_ts_ms)
{
	/* the envelope's fixed parts and the rows, room made once */
	buf_reserve(o, r->before.len + r->after.len + r->source.len +
	    r->txn.len + (r->schema ? r->schema_len : 0) + 160);
	if (r->schema) {
		buf_puts(o, "{\"schema\":");
		buf_add(o, r->schema, r->schema_len);
		buf_puts(o, ",\"payload\":");
	}
	if (r->unwrap) {
		/* the row after the change; for a delete, the row before it */
		const struct buf *row = r->op == 'd' ? &r->before : &r->after;
		int have = r->op == 'd' ? r->have_before : r->have_after;

		buf_putc(o, '{');
		if (have && row->len) {
			buf_add(o, row->p, row->len);
			buf_putc(o, ',');
		}
		buf_puts(o, "\"__op\":\"");
		buf_putc(o, r->op);
		buf_puts(o, r->op == 'd' ? "\",\"__deleted\":\"true\"" :
		    "\",\"__deleted\":\"false\"");
		buf_puts(o, ",\"__source_ts_ms\":");
		buf_put_i64(o, source_ts_ms);
		buf_puts(o, r->schema ? "}}\n" : "}\n");
		return;
	}
	buf_puts(o, "{\"before\":");
	put_row(o, r->have_before, &r->before);
	buf_puts(o, ",\"after\":");
	put_row(o, r->have_after, &r->after);
	buf_puts(o, ",\"source\":{");
	buf_add(o, r->source.p, r->source.len);
	buf_puts(o, "},\"op\":\"");
	buf_putc(o, r->op);
	buf_puts(o, "\",\"ts_ms\":");
	buf_put_i64(o, ts_ms);
	buf_puts(o, ",\"transaction\":");
	if (r->txn.len)
		buf_add(o, r->txn.p, r->txn.len);
	else
		buf_puts(o, "null");
	buf_puts(o, r->schema ? "}}\n" : "}\n");
}
