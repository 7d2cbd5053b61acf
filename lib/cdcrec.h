/*
 * cdcrec.h: change records in Debezium's value envelope, as JSON lines.
 *
 * Default (envelope) form, one line per row change:
 *
 *   {"before":{...}|null,"after":{...}|null,"source":{...},"op":"c",
 *    "ts_ms":1700000000000,"transaction":null}
 *
 * Unwrapped form (Debezium's ExtractNewRecordState with
 * delete.handling.mode=rewrite and add.fields=op,source.ts_ms): the row
 * (after, or before for a delete) plus "__op", "__deleted" ("true" or
 * "false", strings as Debezium writes them) and "__source_ts_ms".
 *
 * Values are handed over already encoded as JSON text, so that each
 * connector keeps its own type mapping (lib/cdcrec does no type work).
 * The source object is written by the connector through the same calls.
 *
 * Typical use, for an update:
 *
 *   cdc_begin(&r, 'u');
 *   cdc_row_begin(&r, CDC_BEFORE);
 *   cdc_value(&r, "customer_id", "\"C1\"", 4); ...
 *   cdc_row_end(&r);
 *   cdc_row_begin(&r, CDC_AFTER); ... cdc_row_end(&r);
 *   cdc_source_begin(&r);
 *   cdc_value_str(&r, "connector", "mysql"); ...
 *   cdc_source_end(&r);
 *   cdc_end(&r, ts_ms);          // r.out holds the line, '\n' included
 */
#ifndef TP_CDCREC_H
#define TP_CDCREC_H

#include "buf.h"

enum cdc_which { CDC_BEFORE, CDC_AFTER };

struct cdcrec {
	struct buf out;		/* the finished line after cdc_end() */
	int unwrap;		/* write the unwrapped form */
	/* internal */
	char op;
	int first;		/* no field written yet in the current object */
	int in_row;		/* 0 none, 1 before, 2 after */
	struct buf before, after, source, txn;
	const char *schema;	/* cdc_schema()'s, for this record */
	size_t schema_len;
	int have_before, have_after;
	struct buf *cur;
};

void cdc_init(struct cdcrec *r, int unwrap);
void cdc_free(struct cdcrec *r);

/* Start a record; op is one of c u d r t. */
void cdc_begin(struct cdcrec *r, char op);

/* The row images; a row not given is written as null. */
void cdc_row_begin(struct cdcrec *r, enum cdc_which which);
void cdc_row_end(struct cdcrec *r);
/*
 * A row image whose fields the caller writes itself: the buffer returned,
 * empty, takes them as JSON members without braces ("a":1,"b":2), as
 * cdc_fields() would. Instead of cdc_row_begin() ... cdc_row_end().
 */
struct buf *cdc_row_buf(struct cdcrec *r, enum cdc_which which);

/* The source object. */
void cdc_source_begin(struct cdcrec *r);
void cdc_source_end(struct cdcrec *r);

/* A field of the current object, its value given as JSON text. */
void cdc_value(struct cdcrec *r, const char *name, const char *json,
    size_t len);
/* Conveniences: a string (escaped here), an integer, null, a boolean. */
void cdc_value_str(struct cdcrec *r, const char *name, const char *s);
void cdc_value_strn(struct cdcrec *r, const char *name, const char *s,
    size_t n);
void cdc_value_int(struct cdcrec *r, const char *name, long long v);
void cdc_value_uint(struct cdcrec *r, const char *name,
    unsigned long long v);
void cdc_value_null(struct cdcrec *r, const char *name);
void cdc_value_bool(struct cdcrec *r, const char *name, int v);
/* A field whose name is already written as JSON with its colon
 * ("\"id\":"), for names that repeat in every record. */
void cdc_value_key(struct cdcrec *r, const char *key, size_t keylen,
    const char *json, size_t len);
/* Fields already written as JSON ("a":1,"b":2, without braces), appended
 * to the current object: for the part of an object that many records
 * share. */
void cdc_fields(struct cdcrec *r, const char *json, size_t len);

/*
 * Transaction metadata of the record (Debezium's provide.transaction.metadata):
 * "transaction":{"id":ID,"total_order":N,"data_collection_order":M}.
 * Without this call the envelope carries "transaction":null.
 */
void cdc_transaction(struct cdcrec *r, const char *id,
    unsigned long long total_order, unsigned long long collection_order);

/*
 * The Kafka Connect schema of the record (lib/connect.h), as JSON text
 * that stays valid until cdc_end(): the record is then written as
 * {"schema":SCHEMA,"payload":RECORD}, as Kafka Connect's JsonConverter
 * does with schemas.enable=true. For this record only.
 */
void cdc_schema(struct cdcrec *r, const char *json, size_t len);

/*
 * Finish the record: r->out holds one line ending in '\n'. ts_ms is the
 * time the connector processed the change (Debezium's top-level ts_ms);
 * source_ts_ms, for the unwrapped form, the source's commit time.
 */
void cdc_end(struct cdcrec *r, long long ts_ms, long long source_ts_ms);
/* The same, with the line appended to out instead of r->out. */
void cdc_end_to(struct cdcrec *r, struct buf *out, long long ts_ms,
    long long source_ts_ms);

#endif
