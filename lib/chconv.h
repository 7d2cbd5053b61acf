/*
 * chconv.h: JSON records to typed JSONEachRow rows for a ClickHouse table.
 *
 * The table's columns (as DESCRIBE TABLE gives them) are added once; each
 * record is then converted to one row object holding only the table's
 * columns, every value in the form ClickHouse's JSONEachRow parser takes
 * for the column's type (on 18.16 and current releases alike):
 *
 *   Int*, UInt*      number (from a number, a string of digits, a boolean)
 *   Float*           number
 *   Decimal(P,S)     unquoted number with at most P-S integer digits
 *   String           string (numbers and booleans as text, objects and
 *                    arrays as compact JSON text)
 *   FixedString(N)   string of at most N bytes
 *   Date             "YYYY-MM-DD" (UTC day of an ISO 8601 time, of epoch
 *                    seconds/ms/us/ns, or a day number under 100000);
 *                    1970-01-01..2105-12-31, what 18.16 reads too
 *   DateTime         seconds since the epoch, unquoted (from ISO 8601 or epoch)
 *   DateTime64(p)    "SECONDS.FRACTION"
 *   Bool             true/false; Enum8/16 the element's name; UUID checked
 *   Nullable(T)      null or T; Array(T) an array of T; LowCardinality(T) T
 *
 * Names: a field is stored in the column of its name; a nested object's
 * fields are flattened with '_' (customer.credit_score -> customer_credit_score,
 * _kafka.topic -> _kafka_topic) unless a column has the object's own name.
 * For change records (an "op" and a "source" object), the fields of the
 * row image (after, or before for a delete) match columns too, and a
 * column __deleted gets 1 for a delete. A mapping (column = dotted path)
 * takes precedence. Missing fields and nulls in non-Nullable columns are
 * left out, so the server's default applies. Unknown fields are ignored.
 */
#ifndef TP_CHCONV_H
#define TP_CHCONV_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"

enum chkind {
	CK_INT, CK_UINT, CK_FLOAT, CK_DECIMAL, CK_STRING, CK_FIXEDSTRING,
	CK_DATE, CK_DATETIME, CK_DATETIME64, CK_BOOL, CK_UUID, CK_ENUM,
	CK_ARRAY, CK_OTHER
};

struct chtype {
	enum chkind kind;
	int nullable;
	int bits;		/* Int/UInt/Float width */
	int precision, scale;	/* Decimal; DateTime64 precision in scale */
	int len;		/* FixedString */
	int nenum;
	char **enum_names;
	long long *enum_values;
	struct chtype *elem;	/* Array */
	char *text;		/* the type as the server wrote it */
};

struct chcol {
	char *name;
	struct chtype *type;
	char **path;		/* mapping: path components, NULL when none */
	int npath;
	unsigned gen;		/* record generation that filled the column */
	int has_default;	/* a DEFAULT expression */
	size_t toff, tlen;	/* TabSeparated: the value in chconv.tsv */
	size_t voff, vlen;	/* the value in the row last converted */
};

struct chconv {
	struct chcol *cols;
	int ncols;
	int *hash;		/* open addressing, index+1, 0 empty */
	size_t hsize;
	unsigned gen;
	int deleted_col;	/* index of __deleted or -1 */
	int mapped;		/* some column has a mapping */
	struct buf name;	/* scratch for flattened names */
	struct buf tsv;		/* scratch for TabSeparated values */
	unsigned span_gen;	/* gen whose voff/vlen are set */
};

/* Parse a type as DESCRIBE writes it; NULL when it is not understood. */
struct chtype *chtype_parse(const char *text);
void chtype_free(struct chtype *t);

void chconv_init(struct chconv *cv);
void chconv_free(struct chconv *cv);
/* Add a column; returns its index. Unknown types pass values through. */
int chconv_add(struct chconv *cv, const char *name, const char *type);
/* Index of a column, or -1. */
int chconv_find(const struct chconv *cv, const char *name, size_t len);
/* Map column to a dotted path (a.b.c); -1 when there is no such column. */
int chconv_map(struct chconv *cv, const char *column, const char *path);

/*
 * Append the row of rec to out as one JSON object (no newline). Returns 0,
 * or -1 with the reason in err ("column X (Type): why") and out unchanged.
 */
int chconv_row(struct chconv *cv, json_t *rec, struct buf *out,
    char *err, size_t errlen);

/*
 * The same row as chconv_row(json_loadb(line)), in one pass over the text
 * without a tree, for the common record: an object of scalars and arrays
 * with plain ASCII strings, no mappings. Returns 0 with the row appended,
 * or 1 with out unchanged when the record needs chconv_row: it is not
 * such a record, or not valid JSON, or a value does not convert (so that
 * the reason is the tree's), or it has a top-level op, source, _kafka or
 * _csv (a change record, or a source position the caller must read).
 * With out NULL, only the check: 0 when the record is such an object
 * (valid JSON, no position), to be sent as it is.
 */
int chconv_row_text(struct chconv *cv, const char *line, size_t len,
    struct buf *out);

/*
 * TabSeparated, which the server parses in about half the time of
 * JSONEachRow. chconv_tsv_capable: every column has a type whose text
 * form it writes (not Array, Map, Tuple, ...). chconv_set_default marks
 * a column that has a DEFAULT expression.
 *
 * chconv_tsv turns a row as chconv_row or chconv_row_text wrote it into
 * one line (with its newline) of the columns in table order. A column the
 * row leaves out gets the value the server would give it (\N, 0, the
 * empty string, the zero date), except a column with a DEFAULT
 * expression or a type whose default has no safe text (Enum, Bool,
 * DateTime64): such a column is left out of the INSERT's column list
 * instead, so the server computes it. sig receives which of those the
 * row has ('1') or not ('0'): rows of one INSERT share their sig, and
 * chconv_tsv_columns writes the column list for it. Returns 0, or -1
 * when json is not such a row.
 */
int chconv_tsv_capable(const struct chconv *cv);
void chconv_set_default(struct chconv *cv, int col);
int chconv_tsv(struct chconv *cv, const char *json, size_t len,
    struct buf *out, struct buf *sig);
void chconv_tsv_columns(const struct chconv *cv, const char *sig,
    size_t siglen, struct buf *out);

/* Convert one value to type t, appended to out; -1 with err. Exposed for tests. */
int chconv_value(const struct chtype *t, json_t *v, struct buf *out,
    char *err, size_t errlen);

/*
 * Parse ISO 8601 (YYYY-MM-DD, with [T ]hh:mm[:ss[.f]] and Z or +-hh[:mm];
 * no zone means UTC) into seconds and nanoseconds since the epoch. -1 if bad.
 */
int chconv_parse_time(const char *s, size_t n, long long *sec, long *nsec);

#endif
