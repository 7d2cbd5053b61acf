/* connect.c: Kafka Connect schemas as JSON, and their Avro schemas. */
#include "connect.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- writing (the connectors) ---- */

void
cs_adjust(struct buf *b, const char *s, size_t n)
{
	if (n > 0 && s[0] >= '0' && s[0] <= '9')
		buf_putc(b, '_');
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_';
		buf_putc(b, ok ? c : '_');
	}
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
cs_envelope(struct buf *out, const char *prefix, const struct buf *fields,
    const char *source_name, const char *source, int unwrap)
{
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
}

/* ---- reading (produce) ---- */
