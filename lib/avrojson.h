/*
 * avrojson.h: Avro values to and from JSON, with Avro C (avro-c) for the
 * binary encoding and the schema's JSON for what avro-c does not know:
 * logical types (decimal, date, time-*, timestamp-*, local-timestamp-*).
 *
 * The readable mapping, both ways: unions unwrapped (the value of the
 * branch taken), decimals as exact strings ("-12.50"), date as
 * "YYYY-MM-DD", time-millis/-micros as "HH:MM:SS.fff[fff]", timestamps
 * as ISO 8601 in UTC ("...T...Z"; local-timestamp-* without the Z),
 * other bytes and fixed as base64, enums as their symbol, NaN and the
 * infinities of float and double as the strings "NaN", "Infinity",
 * "-Infinity". The strict mapping is Avro's own JSON encoding: unions as
 * {"type":value} (null as null), bytes and fixed as strings of the code
 * points 0-255, logical types as their underlying numbers and bytes.
 */
#ifndef TP_AVROJSON_H
#define TP_AVROJSON_H

#include "buf.h"

#include <avro.h>
#include <jansson.h>

struct avsch {
	avro_schema_t schema;
	avro_value_iface_t *iface;
	avro_value_t value;	/* reused for every record */
	json_t *json;		/* the schema as JSON */
	json_t *names;		/* full name -> the JSON of a named type */
	char *fullname;		/* of the top-level named type, or NULL */
	char *text;		/* the schema's text as given */
};

/*
 * Put def, the JSON of the named type fullname, in place of the first use
 * of that name in schema (as schema references leave it, a name whose
 * definition is elsewhere). 1 when replaced, 0 when not used.
 */
int avsch_inline(json_t *schema, const char *fullname, json_t *def);

/* Parse a schema; 0, or -1 with the reason in err. */
int avsch_load(struct avsch *s, const char *text, size_t len, char *err,
    size_t errlen);
void avsch_free(struct avsch *s);

/*
 * Decode one value in Avro's binary encoding (all of p[0..n)) and append
 * it as JSON on one line, readable or strict. 0, or -1 with err set.
 */
int avsch_decode(struct avsch *s, const void *p, size_t n, int strict,
    struct buf *out, char *err, size_t errlen);

/* A two's complement big-endian integer b[0..n) scaled by 10^-scale, as a
 * JSON string ("-12.50"), appended to o: a decimal's readable form. */
void avro_decimal_text(struct buf *o, const unsigned char *b, size_t n,
    int scale);

/* Encode a JSON value (the readable mapping) in Avro's binary encoding,
 * appended to out. 0, or -1 with err set (naming the field). */
int avsch_encode(struct avsch *s, json_t *j, struct buf *out, char *err,
    size_t errlen);

/*
 * The argument of -s (kcat's serdes option): "avro" or "value=avro" sets
 * *value, "key=avro" sets *key. 0, or -1 for anything else.
 */
int avro_serde_arg(const char *arg, int *key, int *value);

#endif
