/*
 * pgtypes.h: PostgreSQL values in their text output format, as JSON.
 *
 * Each column's type OID maps to a kind (pgt_builtin for the built-in
 * types; a connector resolves domains, enums, arrays of them and other
 * user types through the catalog and gives the kind of the base or
 * element type). pgt_encode appends the JSON for one value.
 *
 * The text it reads is what a session with DateStyle ISO, TimeZone UTC,
 * IntervalStyle iso_8601, bytea_output hex, lc_monetary C produces.
 */
#ifndef TP_PGTYPES_H
#define TP_PGTYPES_H

#include "buf.h"

#include <stdint.h>

enum pgt_kind {
	PGT_TEXT,		/* any other type: its text, as a string */
	PGT_INT,		/* int2 int4 int8 oid */
	PGT_NUMERIC,
	PGT_FLOAT,		/* float4 float8 */
	PGT_BOOL,
	PGT_BYTEA,
	PGT_DATE,
	PGT_TIME,
	PGT_TIMETZ,
	PGT_TIMESTAMP,
	PGT_TIMESTAMPTZ,
	PGT_INTERVAL,
	PGT_JSON,		/* json jsonb */
	PGT_MONEY,
	PGT_ARRAY,		/* elements of the element kind */
};

/* Encodings. */
#define PGT_DEBEZIUM 1	/* Debezium's JSON encodings (see pgcdc2jsonl(1)) */

/*
 * The kind of a built-in type OID; for a built-in array type, PGT_ARRAY
 * and *elem the element's kind. Returns 1 when the OID is built in, 0
 * (and PGT_TEXT) when not.
 */
int pgt_builtin(uint32_t oid, enum pgt_kind *kind, enum pgt_kind *elem);

/*
 * Append the JSON of one non-null value of the given kind (elem for
 * arrays) from its text s[0..n). Text that does not parse as its kind
 * is written as a JSON string, never dropped. Returns 0, or -1 when the
 * text was not what its kind expects (the value is still written).
 */
int pgt_encode(struct buf *b, enum pgt_kind kind, enum pgt_kind elem,
    const char *s, size_t n, int flags);

/* The element type OID of a built-in array type OID, or 0. */
uint32_t pgt_builtin_elem(uint32_t oid);

/* The name of a kind, for the man page's table and for diagnostics. */
const char *pgt_kind_name(enum pgt_kind kind);

#endif
