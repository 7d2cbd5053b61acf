/*
 * window.h: keyed window state. A table maps a key (a string) to the
 * events of that key kept in event-time order; each kept event holds its
 * time, its id, flags and the values a rule's aggregates need, in one
 * allocation. Memory is bounded by active keys and window lengths: old
 * events are evicted and empty keys removed.
 */
#ifndef TP_WINDOW_H
#define TP_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "jfields.h"

/* A value kept with an event: a jval in 16 bytes instead of 32. */
struct wval {
	union {
		double n;	/* J_NUM */
		const char *s;	/* J_STR: NUL-terminated, len bytes */
	} u;
	uint32_t len;
	unsigned char t, b;	/* its jtype; J_BOOL's value */
};

/*
 * After v: the values' hashes (with hashed), the event's id and the
 * values' strings, each with its NUL.
 */
struct wentry {
	double t;
	uint64_t conds;		/* bits a rule's aggregates keep with v */
	unsigned flags;
	unsigned short nv;
	unsigned char hashed;
	struct wval v[];	/* J_RAW values are kept as J_STR */
};

/* Value i of e as a jval. */
static inline struct jval
went_val(const struct wentry *e, int i)
{
	const struct wval *w = &e->v[i];
	struct jval j = { (enum jtype)w->t, w->b, 0, NULL, 0 };

	if (w->t == J_NUM) {
		j.n = w->u.n;
	} else if (w->t == J_STR) {
		j.s = w->u.s;
		j.len = w->len;
	}
	return j;
}

struct wkey {
	char *key;		/* just after cnt */
	size_t klen;
	uint64_t h;
	struct wentry **e;	/* live events are e[off..n) */
	size_t off, n, cap;
	double t0, t1;		/* the times of e[off] and e[n - 1], when
				 * live: no entry is read to evict or append */
	struct wdset **ds;	/* the table's distinct sets, once it is large */
	uint32_t cnt[];		/* the table's counted bits, over e[off..n) */
};

#define WT_COUNTS 8
#define WT_DISTINCT 4
#define WT_DISTINCT_MIN 32	/* live events of a key before its sets */

/* A slot of a table: a key and its hash, so that a probe reads no key
 * but the one it finds. */
struct wslot {
	uint64_t h;
	struct wkey *k;		/* NULL: free */
};

/* Keys by open addressing with linear probing, at most 7/10 full. */
struct wtable {
	struct wslot *s;
	size_t cap, nkeys;
	size_t nentries;
	/* bits of the entries' conds that each key counts over its live
	 * entries, so that a count needs no look at them */
	int ncount;
	unsigned char cbit[WT_COUNTS];
	/* and, for a large key, the distinct hashes of value dvi among its
	 * live entries with bit dbit (count distinct) */
	int ndistinct;
	unsigned char dbit[WT_DISTINCT];
	int dvi[WT_DISTINCT];
};

uint64_t hash64(const void *p, size_t n, uint64_t seed);
/* A hash of a value (in memory only): what count distinct compares. */
uint64_t wval_hash(const struct jval *v);
/* The hashes of an entry's values, made with it when it was made with
 * hashed (for a rule that counts distinct values). */
static inline const uint64_t *
went_hashes(const struct wentry *e)
{
	return (const uint64_t *)&e->v[e->nv];
}
/* The id of the entry's event. */
static inline const char *
went_id(const struct wentry *e)
{
	return (const char *)(went_hashes(e) + (e->hashed ? e->nv : 0));
}

/* A new entry copying the strings of v[0..nv) and id, and with hashed
 * their hashes. */
struct wentry *went_new(double t, unsigned flags, const char *id,
    size_t idlen, const struct jval *v, int nv, int hashed);

void wt_init(struct wtable *t);
/* Count bit b of conds in each key (before any key is made); the index
 * of its counter in cnt, or -1 when WT_COUNTS are counted already. */
int wt_count_bit(struct wtable *t, int b);
/* Keep the distinct hashes of value vi of the entries with bit b (before
 * any key is made); its index, or -1 when WT_DISTINCT are kept already. */
int wt_distinct_bit(struct wtable *t, int b, int vi);
/* The set of bit b and value vi in t's keys, or -1. */
static inline int
wt_distinct_set(const struct wtable *t, int b, int vi)
{
	for (int i = 0; i < t->ndistinct; i++)
		if (t->dbit[i] == b && t->dvi[i] == vi)
			return i;
	return -1;
}
/* The number of distinct hashes in set d of k, its live entries', made
 * when k has WT_DISTINCT_MIN of them; -1 when k has no sets. */
long wk_distinct(const struct wtable *t, struct wkey *k, int d);
/* The counter of bit b in t's keys, or -1. */
static inline int
wt_counter(const struct wtable *t, int b)
{
	for (int i = 0; i < t->ncount; i++)
		if (t->cbit[i] == b)
			return i;
	return -1;
}
void wt_free(struct wtable *t);
struct wkey *wt_get(struct wtable *t, const char *k, size_t l, int create);
/* The same with h = hash_words(k, l), made before. */
struct wkey *wt_get_h(struct wtable *t, const char *k, size_t l, uint64_t h,
    int create);
/*
 * Start loading what wt_get_h(t, .., h) will read, in three stages each
 * some time after the one before: 0 the slots of h, 1 the key they hold
 * for h, 2 its text and the ends of its events. Always inlined: GCC may
 * take a call of a function that only prefetches away, as doing nothing.
 */
static inline __attribute__((always_inline)) void
wt_prefetch(const struct wtable *t, uint64_t h, int stage)
{
	size_t m = t->cap - 1, i = h & m;
	const struct wkey *k;

	if (stage == 0) {
		__builtin_prefetch(&t->s[i]);
		return;
	}
	for (; (k = t->s[i].k) != NULL; i = (i + 1) & m)
		if (t->s[i].h == h)
			break;
	if (k == NULL)
		return;
	if (stage == 1) {
		__builtin_prefetch(k);
		__builtin_prefetch((const char *)k + 64);
		return;
	}
	__builtin_prefetch(k->key);
	if (k->n > k->off) {
		__builtin_prefetch(&k->e[k->off]);
		__builtin_prefetch(&k->e[k->n - 1]);
	}
}
/* The key in slot i of t (i < t->cap), or NULL: each key of t, in no
 * particular order. */
static inline struct wkey *
wt_slot(const struct wtable *t, size_t i)
{
	return t->s[i].k;
}
void wt_del(struct wtable *t, struct wkey *k);
/* Insert in time order after equal times; returns its index (from off). */
size_t wk_insert(struct wtable *t, struct wkey *k, struct wentry *e);
/* Drop the oldest entries while more than max are kept or t < before. */
void wk_evict(struct wtable *t, struct wkey *k, double before, size_t max);
static inline size_t wk_len(const struct wkey *k) { return k->n - k->off; }
static inline struct wentry *wk_at(const struct wkey *k, size_t i)
{
	return k->e[k->off + i];
}
/* Evict every key; remove keys left empty. */
void wt_sweep(struct wtable *t, double before, size_t max);

#endif
