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
	char *text;		/* NUL-terminated or compact; NULL: deleted */
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
	char *key;		/* in the allocation of rows, after them */
	uint32_t hash, nrows;
	struct trow *rows;
};

struct table;

struct table *table_new(int history, int max_versions, long long span_ms);
void table_free(struct table *t);

/* Upsert the version text[0..n) of row (key, rkey) from time ts. */
void table_put(struct table *t, const char *key, size_t kn,
    const char *rkey, size_t rn, long long ts, const char *text, size_t n);
/*
 * The same, with the members of the object text[0..n) known
 * (jvalid_members() of it: all of them, offsets from text), which spares
 * looking for them again.
 */
struct jmember;
void table_put_members(struct table *t, const char *key, size_t kn,
    const char *rkey, size_t rn, long long ts, const char *text, size_t n,
    const struct jmember *m, size_t nm);
/* Delete row (key, rkey) from time ts. Returns 1 if the row was there. */
int table_del(struct table *t, const char *key, size_t kn,
    const char *rkey, size_t rn, long long ts);
/* Delete every row from time ts. */
void table_truncate(struct table *t, long long ts);

/* The hash of key that table_get() looks it up by. */
uint32_t table_hash(const char *key, size_t kn);
/*
 * Hints for a lookup to come of the key of hash h, in three steps made a
 * few lookups apart, each finding in the cache what the step before
 * brought in: 1 the key's slot, 2 its entry's rows, 3 the newest version
 * of its first row. Nothing changes; a wrong hash costs memory traffic.
 */
void table_prefetch(const struct table *t, uint32_t h, int step);
/* The entry of a key, or NULL. */
const struct tentry *table_get(const struct table *t, const char *key,
    size_t kn);
/*
 * The entry holding a row named rkey, or NULL: a scan of the whole table,
 * for a delete that names the row but not its key.
 */
const struct tentry *table_find_row(const struct table *t, const char *rkey,
    size_t rn);
/*
 * The text of row r of t valid at time asof (TABLE_LATEST: the newest), or
 * NULL. The text of a row of one row per key may be made again from its
 * compact form: it is then valid until the next trow_at() on t.
 */
const char *trow_at(const struct table *t, const struct trow *r,
    long long asof, size_t *len);

/* Keys and rows stored, versions kept (deleted ones included). */
size_t table_keys(const struct table *t);
size_t table_rows(const struct table *t);
size_t table_versions(const struct table *t);

/* Room for n keys without growing. */
void table_reserve(struct table *t, size_t n);

/*
 * Saving and loading: a table as lines of text, one per row and one per
 * further version of a row, oldest first:
 *
 *   r TS KEY RKEY TEXT     a row and its oldest version kept
 *   + TS TEXT              the next version of the row above
 *
 * TS is the version's time (epoch ms), "-" for TABLE_ALWAYS; KEY a JSON
 * string; RKEY a JSON string, "-" for the only row of its key, "=" for the
 * text of the row's first version (rows named by their text); TEXT the
 * row's JSON text, "-" for a delete. Keys, rows and versions come in the
 * order they are stored, so a table loaded from its lines behaves as the
 * one saved (the order of rows within a key is kept).
 */
struct buf;
typedef int (*table_emit_fn)(void *arg, const char *line, size_t n);
/* Call emit with each line (without '\n'); stops at, and returns, the
 * first nonzero result. */
int table_dump(const struct table *t, struct buf *scratch, table_emit_fn emit,
    void *arg);

struct table_undump {
	struct buf *key, *rkey;	/* the row of the last "r" line */
	int no_rkey;		/* the only row of its key */
	int have_row;
	size_t rows, versions;	/* lines applied */
};
void table_undump_init(struct table_undump *u);
void table_undump_free(struct table_undump *u);
/* Apply one line of table_dump to t: NULL, or what is wrong with it. */
const char *table_undump(struct table *t, struct table_undump *u,
    const char *line, size_t n);

#endif
