/*
 * mysqltypes.h: MySQL / MariaDB column values, from the binlog's row image
 * or from the text protocol, as JSON text.
 *
 * Two encodings:
 *   MY_ENC_PLAIN     readable by people and ClickHouse: integers exact,
 *                    DECIMAL as an exact string, DATE/TIME/DATETIME as
 *                    ISO 8601 strings (TIMESTAMP in UTC with a "Z"),
 *                    binary as base64, JSON embedded, BIT as an integer,
 *                    ENUM and SET as their strings.
 *   MY_ENC_DEBEZIUM  Debezium's MySQL connector defaults: DATE as days,
 *                    DATETIME as epoch ms (fsp <= 3) or µs, TIME as µs,
 *                    TIMESTAMP as an ISO string, DECIMAL precise (base64
 *                    of the unscaled big-endian two's complement), JSON as
 *                    a string, BIT(1) as boolean and BIT(n) as bytes,
 *                    BIGINT UNSIGNED as a (wrapping) long.
 */
#ifndef TP_MYSQLTYPES_H
#define TP_MYSQLTYPES_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum my_enc { MY_ENC_PLAIN, MY_ENC_DEBEZIUM };

/* Binlog column types (enum_field_types). */
enum {
	MYT_DECIMAL = 0, MYT_TINY = 1, MYT_SHORT = 2, MYT_LONG = 3,
	MYT_FLOAT = 4, MYT_DOUBLE = 5, MYT_NULL = 6, MYT_TIMESTAMP = 7,
	MYT_LONGLONG = 8, MYT_INT24 = 9, MYT_DATE = 10, MYT_TIME = 11,
	MYT_DATETIME = 12, MYT_YEAR = 13, MYT_NEWDATE = 14, MYT_VARCHAR = 15,
	MYT_BIT = 16, MYT_TIMESTAMP2 = 17, MYT_DATETIME2 = 18, MYT_TIME2 = 19,
	MYT_JSON = 245, MYT_NEWDECIMAL = 246, MYT_ENUM = 247, MYT_SET = 248,
	MYT_TINY_BLOB = 249, MYT_MEDIUM_BLOB = 250, MYT_LONG_BLOB = 251,
	MYT_BLOB = 252, MYT_VAR_STRING = 253, MYT_STRING = 254,
	MYT_GEOMETRY = 255
};

#define MY_CHARSET_BINARY 63

/* One column as the binlog describes it (TABLE_MAP and its metadata). */
struct mycol {
	const char *name;	/* NULL when unknown */
	uint8_t type;		/* binlog type; for STRING its real type */
	uint8_t is_unsigned;
	uint8_t nullable;
	uint8_t is_json;	/* a text column holding JSON (MariaDB) */
	uint16_t meta;		/* type metadata, decoded */
	uint16_t charset;	/* collation id, 0 when unknown */
	uint32_t maxlen;	/* STRING: max bytes */
	uint32_t nvals;		/* ENUM / SET values */
	const char **vals;
	const uint32_t *vlens;
};

/*
 * Decode one binlog value of column c at p (n bytes available). When out
 * is not NULL, append its JSON text. Returns the bytes the value takes, or
 * -1 when the data is short or malformed.
 */
long my_value(struct buf *out, const struct mycol *c, const unsigned char *p,
    size_t n, enum my_enc enc);

/*
 * A column's decoder plan, chosen once for a table (MY_PLAN_ANY: no fast
 * path), and my_value through it: the same text and length, with the
 * common types (integers, short strings, DECIMAL, DATETIME) decoded
 * without my_value's general dispatch.
 */
enum { MY_PLAN_ANY };
uint8_t my_plan(const struct mycol *c, enum my_enc enc);
long my_value_plan(struct buf *out, uint8_t plan, const struct mycol *c,
    const unsigned char *p, size_t n, enum my_enc enc);

/*
 * Append a value the text protocol returned (a snapshot's SELECT), in the
 * same encoding as my_value gives for the same value. type and flags are
 * MYSQL_FIELD's; decimals its scale / fractional digits.
 */
void my_text_value(struct buf *out, int type, unsigned flags, unsigned charsetnr,
    unsigned decimals, unsigned long length, int is_json,
    const char *s, size_t n, enum my_enc enc);

/* MySQL's binary JSON as JSON text. Returns 0, or -1 when malformed. */
int my_json_binary(struct buf *out, const unsigned char *p, size_t n);

/* Append s[0..n) in charset cs as a JSON string (UTF-8). */
void my_json_text(struct buf *out, const unsigned char *s, size_t n,
    unsigned cs);

/* Decimal digits of DECIMAL(prec,scale) in binary form: byte size. */
int my_decimal_size(int prec, int scale);
/* The exact decimal string of a binary DECIMAL into out (no quotes). */
int my_decimal_str(struct buf *out, const unsigned char *p, int prec,
    int scale);

/*
 * The Kafka Connect field schema (lib/connect.h) of column c named
 * name[0..nlen), describing the JSON that my_value and my_text_value
 * write for it in encoding enc, with Debezium's source type parameters
 * (__debezium.source.column.type, .length, .scale), appended to the
 * field list in b. Everything it uses is in the binlog's TABLE_MAP (with
 * binlog_row_metadata=FULL) and in information_schema alike, so that a
 * table's schema is the same in the snapshot and in the stream.
 */
void my_col_schema(struct buf *b, const struct mycol *c, const char *name,
    size_t nlen, enum my_enc enc);

/*
 * A column as information_schema.COLUMNS describes it (DATA_TYPE,
 * COLUMN_TYPE, IS_NULLABLE, NUMERIC_PRECISION, NUMERIC_SCALE,
 * DATETIME_PRECISION, CHARACTER_SET_NAME; NULL for SQL NULL), as the
 * binlog's TABLE_MAP would: c's type, meta, is_unsigned, nullable,
 * charset (MY_CHARSET_BINARY or 1) and, for ENUM and SET, its values,
 * which are allocated in *strs (one block, for free()). 0, or -1 for a
 * type it does not know, which c then gives as a VARCHAR (the string the
 * text protocol returns).
 */
int my_col_from_schema(struct mycol *c, const char *const *v, char **strs);

#endif
