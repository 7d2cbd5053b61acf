/*
 * connect.h: Kafka Connect schemas in their JSON form, for change records
 * that carry their own types, and the Avro schemas derived from them.
 *
 * With --schemas a connector writes each change record as Kafka Connect's
 * JsonConverter does with schemas.enable=true:
 *
 *   {"schema":{"type":"struct","fields":[...],"optional":false,
 *     "name":"crm.crm.customer_profiles.Envelope","version":1},
 *    "payload":{"before":...,"after":...,"source":...,"op":"c",...}}
 *
 * The schema is Debezium's for the same table: before and after are
 * optional structs named PREFIX.Value, source a struct named
 * io.debezium.connector.CONNECTOR.Source, op a string, ts_ms an optional
 * int64, transaction an optional struct event.block. PREFIX is
 * server.db.table (server.schema.table for PostgreSQL), each part with
 * the characters an Avro name cannot hold replaced by '_'. In the
 * unwrapped form the schema is the PREFIX.Value struct plus __op,
 * __deleted (optional strings) and __source_ts_ms (optional int64).
 *
 * Every column's field schema describes the JSON value exactly as the
 * record holds it, in the connector's encoding, and carries Debezium's
 * column.propagate.source.type parameters: __debezium.source.column.type
 * (the database's type name, upper case), and where the type has them
 * __debezium.source.column.length (precision, or fractional digits of a
 * time) and __debezium.source.column.scale. Two exceptions to "exactly":
 * a JSON column embedded as JSON in the plain encoding is described as
 * the string io.debezium.data.Json (Avro carries its text), and an
 * unsigned 64-bit integer as int64 with its source type.
 */
#ifndef TP_CONNECT_H
#define TP_CONNECT_H

#include "buf.h"

#include <jansson.h>

/* Append s with every character outside [A-Za-z0-9_] replaced by '_',
 * and a leading digit preceded by '_' (Debezium's Avro name adjuster). */
void cs_adjust(struct buf *b, const char *s, size_t n);

/*
 * Append one field schema to a field list being built in b (a comma
 * first unless b is empty): {"type":TYPE,"optional":OPT[,"name":NAME,
 * "version":1][,"parameters":{...}],"field":FIELD}. params is NULL or
 * an array of key, value strings ended by NULL; a NULL value skips its
 * key.
 */
void cs_field(struct buf *b, const char *field, size_t flen,
    const char *type, int optional, const char *name,
    const char *const *params);

/*
 * The schema of a table's change records (see above) into out (reset
 * first). server, db, table: the names of PREFIX, adjusted here; fields:
 * the column field list (cs_field's output); source_name: the source
 * struct's name; source: its field list; unwrap: the unwrapped form.
 */
void cs_envelope(struct buf *out, const char *server, const char *db,
    const char *table, const struct buf *fields, const char *source_name,
    const char *source, int unwrap);

/*
 * What produce does to a record of a derived schema before Avro encodes
 * it: the payload is the record's "payload" member; plain-encoded JSON
 * columns become their text, Debezium-encoded decimals (base64 of the
 * unscaled two's complement) their exact decimal text, and an unsigned
 * 64-bit integer (BIGINT UNSIGNED, BIT(64)) a decimal string before it is
 * parsed (JSON parsers stop at 2^63 - 1; Debezium's encoding, which wraps
 * it to a negative long, is unwrapped).
 */
struct jpath;
struct cs_fix {
	char *field;		/* column name */
	int kind;		/* CS_FIX_* */
	int scale;
	struct jpath *paths[2];	/* CS_FIX_QUOTE_INT: where it is in the text */
};
enum { CS_FIX_JSON_TEXT = 1, CS_FIX_UNSCALED, CS_FIX_QUOTE_INT };

struct cs_avro {
	json_t *schema;		/* the Avro schema */
	int unwrap;		/* the payload is a flat row */
	struct cs_fix *fix;
	size_t nfix;
};

/*
 * The Avro schema of a Connect schema, as Confluent's AvroConverter
 * derives it (records named after the structs, optional fields as a
 * union with null first and a null default, "connect.name",
 * "connect.parameters"), with Avro logical types where the field's
 * meaning is known: decimal for Connect's Decimal and for DECIMAL and
 * NUMERIC columns with a precision, date, timestamp-micros for
 * timestamps with a time zone, local-timestamp-micros (or -millis) for
 * those without. 0, or -1 with the reason in err.
 */
int cs_to_avro(json_t *connect, struct cs_avro *out, char *err, size_t errlen);
void cs_avro_free(struct cs_avro *a);

/*
 * The fixes of a that work on the payload's text p[0..n), before it is
 * parsed: 1 when out holds the text changed, 0 when there was nothing
 * to change.
 */
int cs_fix_text(const struct cs_avro *a, const char *p, size_t n,
    struct buf *out);

/* Apply a's fixes to payload (a change record's payload, or a flat row
 * when a->unwrap). 0, or -1 with the reason (naming the column) in err. */
int cs_fix_payload(const struct cs_avro *a, json_t *payload, char *err,
    size_t errlen);

#endif
