/* window.c: keyed window state with eviction of old events and idle keys. */
#include "window.h"
#include "buf.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

uint64_t
hash64(const void *p, size_t n, uint64_t seed)
{
	const unsigned char *s = p;
	uint64_t h = 1469598103934665603ULL ^ seed;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

uint64_t
wval_hash(const struct jval *v)
{
	switch (v->t) {
	case J_STR: case J_RAW: return hash_words(v->s, v->len);
	case J_NUM: {
		double d = v->n == 0 ? 0 : v->n;	/* -0 as 0 */
		return hash_words((const char *)&d, sizeof(d)) ^ 0x5bd1e995;
	}
	case J_BOOL: return v->b ? 0x1234567 : 0x7654321;
	default: return 0;
	}
}

struct wentry *
went_new(double t, unsigned flags, const char *id, size_t idlen,
    const struct jval *v, int nv, int hashed)
{
	int nh = hashed ? nv : 0;
	size_t sz = sizeof(struct wentry) + nv * sizeof(struct wval) +
	    nh * sizeof(uint64_t) + idlen + 1;
	struct wentry *e;
	uint64_t *vh;
	char *p;

	for (int i = 0; i < nv; i++)
		if (v[i].t == J_STR || v[i].t == J_RAW)
			sz += v[i].len + 1;
	e = xmalloc(sz);
	e->t = t;
	e->flags = flags;
	e->nv = (unsigned short)nv;
	e->hashed = nh > 0;
	e->conds = 0;
	vh = (uint64_t *)&e->v[nv];
	for (int i = 0; i < nh; i++)
		vh[i] = wval_hash(&v[i]);
	p = (char *)(vh + nh);
	buf_copy_short(p, id, idlen);
	p[idlen] = '\0';
	p += idlen + 1;
	for (int i = 0; i < nv; i++) {
		struct wval *w = &e->v[i];
		w->t = (unsigned char)v[i].t;
		w->b = (unsigned char)v[i].b;
		w->len = 0;
		w->u.s = NULL;
		if (v[i].t == J_NUM) {
			w->u.n = v[i].n;
		} else if (v[i].t == J_STR || v[i].t == J_RAW) {
			/* all of it is copied; len says at most 4 GB of it */
			buf_copy_short(p, v[i].s, v[i].len);
			p[v[i].len] = '\0';
			w->u.s = p;
			w->t = J_STR;
			w->len = v[i].len > UINT32_MAX ? UINT32_MAX :
			    (uint32_t)v[i].len;
			p += v[i].len + 1;
		}
	}
	return e;
}

void
wt_init(struct wtable *t)
{
	t->cap = 64;
	t->s = xcalloc(t->cap, sizeof(*t->s));
	t->nkeys = 0;
	t->nentries = 0;
	t->ncount = 0;
	t->ndistinct = 0;
}

int
wt_count_bit(struct wtable *t, int b)
{
	int i = wt_counter(t, b);

	if (i >= 0)
		return i;
	if (t->ncount == WT_COUNTS || t->nkeys > 0)
		return -1;
	t->cbit[t->ncount] = (unsigned char)b;
	return t->ncount++;
}

/*
 * A multiset of 64-bit hashes by open addressing: the hashes of a large
 * key's values, with how many of its live entries have each.
 */
struct wdset {
	uint32_t cap, used, ndist;	/* slots (a power of 2), in use, c > 0 */
	struct wdslot {
		uint64_t h;		/* 0: free */
		uint32_t c;
	} s[];
};

static struct wdset *
ds_new(uint32_t cap)
{
	struct wdset *d = xcalloc(1, sizeof(*d) + cap * sizeof(d->s[0]));

	d->cap = cap;
	return d;
}

static struct wdslot *
ds_slot(struct wdset *d, uint64_t h)
{
	uint32_t m = d->cap - 1, i = (uint32_t)(h ^ h >> 32) & m;

	while (d->s[i].h != 0 && d->s[i].h != h)
		i = (i + 1) & m;
	return &d->s[i];
}

/* Add h; the set may move (grown, without the hashes no entry has). */
static void
ds_add(struct wdset **dp, uint64_t h)
{
	struct wdset *d = *dp;
	struct wdslot *x;

	h = h ? h : 1;
	x = ds_slot(d, h);
	if (x->h == 0) {
		if ((d->used + 1) * 4 > d->cap * 3) {
			uint32_t cap = 16;
			while (cap < 4 * (d->ndist + 1))
				cap *= 2;
			struct wdset *n = ds_new(cap);
			for (uint32_t i = 0; i < d->cap; i++)
				if (d->s[i].c > 0) {
					*ds_slot(n, d->s[i].h) = d->s[i];
					n->used++;
				}
			n->ndist = d->ndist;
			free(d);
			*dp = d = n;
			x = ds_slot(d, h);
		}
		x->h = h;
		d->used++;
	}
	if (x->c++ == 0)
		d->ndist++;
}

static void
ds_del(struct wdset *d, uint64_t h)
{
	struct wdslot *x = ds_slot(d, h ? h : 1);

	if (x->h != 0 && x->c > 0 && --x->c == 0)
		d->ndist--;
}

/* Entry e joins (dir 1) or leaves (-1) the sets of k. */
static void
ds_entry(const struct wtable *t, struct wkey *k, const struct wentry *e,
    int dir)
{
	for (int i = 0; i < t->ndistinct; i++) {
		if (!(e->conds >> t->dbit[i] & 1) || e->v[t->dvi[i]].t == J_NULL)
			continue;
		if (dir > 0)
			ds_add(&k->ds[i], went_hashes(e)[t->dvi[i]]);
		else
			ds_del(k->ds[i], went_hashes(e)[t->dvi[i]]);
	}
}

static void
ds_free(const struct wtable *t, struct wkey *k)
{
	if (k->ds == NULL)
		return;
	for (int i = 0; i < t->ndistinct; i++)
		free(k->ds[i]);
	free(k->ds);
	k->ds = NULL;
}

int
wt_distinct_bit(struct wtable *t, int b, int vi)
{
	int i = wt_distinct_set(t, b, vi);

	if (i >= 0)
		return i;
	if (t->ndistinct == WT_DISTINCT || t->nkeys > 0)
		return -1;
	t->dbit[t->ndistinct] = (unsigned char)b;
	t->dvi[t->ndistinct] = vi;
	return t->ndistinct++;
}

long
wk_distinct(const struct wtable *t, struct wkey *k, int d)
{
	if (k->ds == NULL) {
		if (wk_len(k) < WT_DISTINCT_MIN)
			return -1;
		k->ds = xcalloc(t->ndistinct, sizeof(*k->ds));
		for (int i = 0; i < t->ndistinct; i++)
			k->ds[i] = ds_new(64);
		for (size_t i = k->off; i < k->n; i++)
			ds_entry(t, k, k->e[i], 1);
	}
	return k->ds[d]->ndist;
}

static void
key_free(const struct wtable *t, struct wkey *k)
{
	for (size_t i = k->off; i < k->n; i++)
		free(k->e[i]);
	free(k->e);
	ds_free(t, k);
	free(k);
}

void
wt_free(struct wtable *t)
{
	if (t->s == NULL)
		return;
	for (size_t i = 0; i < t->cap; i++)
		if (t->s[i].k != NULL)
			key_free(t, t->s[i].k);
	free(t->s);
	t->s = NULL;
	t->nkeys = t->nentries = 0;
}

/* The slot of h and key s..l, or the free one where it would go. */
static inline struct wslot *
slot_of(const struct wtable *t, const char *s, size_t l, uint64_t h)
{
	size_t m = t->cap - 1, i = h & m;
	struct wslot *x;

	for (; (x = &t->s[i])->k != NULL; i = (i + 1) & m)
		if (x->h == h && x->k->klen == l && buf_eq_short(x->k->key, s, l))
			break;
	return x;
}

static void
grow(struct wtable *t)
{
	size_t cap = t->cap * 2, m = cap - 1;
	struct wslot *s = xcalloc(cap, sizeof(*s));

	for (size_t i = 0; i < t->cap; i++) {
		size_t j;
		if (t->s[i].k == NULL)
			continue;
		for (j = t->s[i].h & m; s[j].k != NULL; j = (j + 1) & m)
			;
		s[j] = t->s[i];
	}
	free(t->s);
	t->s = s;
	t->cap = cap;
}

struct wkey *
wt_get(struct wtable *t, const char *s, size_t l, int create)
{
	return wt_get_h(t, s, l, hash_words(s, l), create);
}

struct wkey *
wt_get_h(struct wtable *t, const char *s, size_t l, uint64_t h, int create)
{
	struct wslot *x = slot_of(t, s, l, h);
	struct wkey *k;

	if (x->k != NULL || !create)
		return x->k;
	if ((t->nkeys + 1) * 10 > t->cap * 7) {
		grow(t);
		x = slot_of(t, s, l, h);
	}
	/* its counters and text in the same allocation */
	k = xcalloc(1, sizeof(*k) + t->ncount * sizeof(k->cnt[0]) + l + 1);
	k->key = (char *)&k->cnt[t->ncount];
	memcpy(k->key, s, l);
	k->klen = l;
	k->h = h;
	x->h = h;
	x->k = k;
	t->nkeys++;
	return k;
}

/*
 * Free slot i: the keys after it in its run move back to fill it when
 * their slots come at or after their home (linear probing without
 * tombstones). Keys only ever move to lower slots, or from slot 0 round
 * to the end.
 */
static void
slot_free(struct wtable *t, size_t i)
{
	size_t m = t->cap - 1, j = i;

	for (;;) {
		size_t home;
		j = (j + 1) & m;
		if (t->s[j].k == NULL)
			break;
		home = t->s[j].h & m;
		/* stays when its home is cyclically in (i, j] */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		t->s[i] = t->s[j];
		i = j;
	}
	t->s[i].k = NULL;
	t->s[i].h = 0;
}

/* Remove the key in slot i. */
static void
slot_del(struct wtable *t, size_t i)
{
	struct wkey *k = t->s[i].k;

	slot_free(t, i);
	t->nkeys--;
	t->nentries -= k->n - k->off;
	key_free(t, k);
}

void
wt_del(struct wtable *t, struct wkey *k)
{
	size_t m = t->cap - 1, i = k->h & m;

	for (; t->s[i].k != NULL; i = (i + 1) & m)
		if (t->s[i].k == k) {
			slot_del(t, i);
			return;
		}
}

size_t
wk_insert(struct wtable *t, struct wkey *k, struct wentry *e)
{
	size_t i;

	if (k->off > 0 && (k->n == k->cap || k->off * 2 >= k->n)) {
		memmove(k->e, k->e + k->off, (k->n - k->off) * sizeof(*k->e));
		k->n -= k->off;
		k->off = 0;
	}
	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 4;
		k->e = xrealloc(k->e, k->cap * sizeof(*k->e));
	}
	i = k->n;
	if (i > k->off && k->t1 > e->t)
		while (i > k->off && k->e[i - 1]->t > e->t)
			i--;
	memmove(k->e + i + 1, k->e + i, (k->n - i) * sizeof(*k->e));
	k->e[i] = e;
	for (int c = 0; c < t->ncount; c++)
		k->cnt[c] += (uint32_t)(e->conds >> t->cbit[c] & 1);
	if (k->ds)
		ds_entry(t, k, e, 1);
	if (i == k->off)
		k->t0 = e->t;
	if (i == k->n)
		k->t1 = e->t;
	k->n++;
	t->nentries++;
	return i - k->off;
}

void
wk_evict(struct wtable *t, struct wkey *k, double before, size_t max)
{
	while (k->off < k->n && (k->t0 < before || k->n - k->off > max)) {
		for (int c = 0; c < t->ncount; c++)
			k->cnt[c] -= (uint32_t)(k->e[k->off]->conds >>
			    t->cbit[c] & 1);
		if (k->ds)
			ds_entry(t, k, k->e[k->off], -1);
		free(k->e[k->off]);
		k->off++;
		t->nentries--;
		if (k->off < k->n)
			k->t0 = k->e[k->off]->t;
	}
	if (k->off == k->n) {
		k->off = k->n = 0;
		ds_free(t, k);
	}
}

void
wt_sweep(struct wtable *t, double before, size_t max)
{
	/* a removal may move a later key into slot i, which is looked at
	 * again; a key moved round from slot 0 to the end is looked at
	 * twice, which changes nothing */
	for (size_t i = 0; i < t->cap; ) {
		struct wkey *k = t->s[i].k;
		if (k == NULL) {
			i++;
			continue;
		}
		wk_evict(t, k, before, max);
		if (k->n == k->off)
			slot_del(t, i);
		else
			i++;
	}
}
