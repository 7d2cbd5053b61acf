/*
 * table.h: a keyed store of rows for stream-table joins, kept as compact
 * JSON text, optionally with the recent versions of each row.
 *
 * Rows are grouped by their join key (a string, hashed). Within a key a
 * row is named by its row key: NULL for a table of one row per key, else
 * the row's identity (a primary key's text, or the row's own text).
 * A version is the row's text (NULL: deleted) and the time from which it
 * holds (epoch ms; TABLE_ALWAYS for a row valid from the beginning).
 *
 * Without history (table_new(0, ...)) a row has only its latest version
 * and a delete removes it. With history, versions are kept sorted by time,
 * whatever order they arrive in, and pruned: at most max_versions per row,
 * and none that was superseded more than span_ms before the row's newest.
 */
#ifndef TP_TABLE_H
#define TP_TABLE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define TABLE_ALWAYS LLONG_MIN
#define TABLE_LATEST LLONG_MAX

struct tversion {
	long long ts;
	char *text;		/* NUL-terminated; NULL: deleted */
	uint32_t len;
};

struct trow {
	char *rkey;		/* NULL: the only row of its key */
	uint32_t nv, capv;	/* versions, oldest first; the last newest */
	union {
		struct tversion *v;	/* when capv > 0 */
		struct tversion one;	/* when capv == 0: at most one */
	};
};

struct tentry {
	char *key;
	uint32_t hash, nrows;
	struct trow *rows;
};

struct table;

struct table *table_new(int history, int max_versions, long long span_ms);
void table_free(struct table *t);

/* Upsert the version text[0..n) of row (key, rkey) from time ts. */
void table_put(struct table *t, const char *key, size_t kn,
    const char *rkey, size_t rn, long long ts, const char *text, size_t n);
/* Delete row (key, rkey) from time ts. Returns 1 if the row was there. */
int table_del(struct table *t, const char *key, size_t kn,
    const char *rkey, size_t rn, long long ts);
/* Delete every row from time ts. */
void table_truncate(struct table *t, long long ts);

/* The entry of a key, or NULL. */
const struct tentry *table_get(const struct table *t, const char *key,
    size_t kn);
/*
 * The entry holding a row named rkey, or NULL: a scan of the whole table,
 * for a delete that names the row but not its key.
 */
const struct tentry *table_find_row(const struct table *t, const char *rkey,
    size_t rn);
/* The text of row r valid at time asof (TABLE_LATEST: the newest), or NULL. */
const char *trow_at(const struct trow *r, long long asof, size_t *len);

/* Keys and rows stored, versions kept (deleted ones included). */
size_t table_keys(const struct table *t);
size_t table_rows(const struct table *t);
size_t table_versions(const struct table *t);

#endif
