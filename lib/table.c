/* table.c: keyed rows as compact JSON text, with optional versions. */
#include "table.h"
#include "buf.h"
#include "jpath.h"
#include "jvalid.h"
#include "util.h"

#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>

/*
 * A shape: the member names of a compact row, in order. A row of one row
 * per key whose text is '{' NAME ':' VALUE (',' NAME ':' VALUE)* '}' with
 * no blanks is kept as its shape's number and its values only:
 *
 *   SHAPED  varint(shape)  (varint(length) value)...
 *
 * which saves the names, about half a customer profile. trow_at() gives
 * the text back, the same bytes.
 */
#define SHAPED		'\001'	/* a stored text that is not JSON */
#define MAX_SHAPES	4096
#define SHAPE_MEMBERS	256

/*
 * The memory of a table's keys, rows and texts: blocks carved from large
 * chunks that the kernel is asked to back with huge pages, with a free
 * list per size. A join looks up a random key for every event, and with
 * a million keys and 4 KiB pages nearly every lookup missed the TLB;
 * huge pages took a fifth off the time per event. Each block has an
 * 8-byte header holding its size class; blocks larger than the largest
 * class come from malloc. Under AddressSanitizer every block comes from
 * malloc, so that its checks still see each one.
 */
#define ST_ALIGN	8
#define ST_CLASSES	512	/* sizes up to 4 KiB, by 8 bytes */
#define ST_BIG		0xffffffffu
#define ST_CHUNK_MIN	((size_t)1 << 20)
#define ST_CHUNK_MAX	((size_t)64 << 20)
#define ST_HUGE		((size_t)2 << 20)

#if defined(__SANITIZE_ADDRESS__)
#define ST_MALLOC_ONLY 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ST_MALLOC_ONLY 1
#endif
#endif

struct store {
	char *cur, *end;		/* the unused part of the newest chunk */
	void *free[ST_CLASSES];		/* freed blocks, by class */
	struct chunk { char *p; size_t n; } *chunks;
	size_t nchunks, capchunks, next;	/* next: the next chunk's size */
	size_t nbig;			/* blocks from malloc */
};

struct shape {
	char *sig;		/* the names with their quotes, each ended by ':' */
	char *csig;		/* the same, each after a comma */
	size_t siglen;
	uint32_t n, h;
	uint32_t *off;		/* n + 1 offsets of the names in sig */
};

struct table {
	struct tentry *slot;	/* open addressing, linear probing */
	size_t cap, n;		/* cap a power of two; n entries */
	size_t nrows, nversions;
	int history, max_versions;
	long long span_ms;
	struct shape *shapes;
	uint32_t nshapes;
	uint32_t *shape_slot;	/* open addressing: shape number + 1 */
	struct buf enc, dec;	/* scratch: a text made compact, given back */
	struct store st;	/* keys, rows and texts */
	int slot_mapped;	/* slot from slots_alloc's own mapping */
};

/*
 * A zeroed mapping of n bytes, advised for huge pages when it can hold
 * some (a hint the kernel may refuse); NULL when it cannot be made.
 */
static void *
huge_map(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	if (n >= 2 * ST_HUGE)
		(void)madvise(p, n, MADV_HUGEPAGE);
#endif
	return p;
}

static __attribute__((unused)) void *
st_chunk(struct store *s, size_t need)
{
	size_t n = s->next ? s->next : ST_CHUNK_MIN;
	char *p;

	while (n < need)
		n *= 2;
	if ((p = huge_map(n)) == NULL)
		return NULL;
	if (s->nchunks == s->capchunks) {
		s->capchunks = s->capchunks ? 2 * s->capchunks : 16;
		s->chunks = xrealloc(s->chunks,
		    s->capchunks * sizeof(*s->chunks));
	}
	s->chunks[s->nchunks++] = (struct chunk){ p, n };
	s->next = n * 2 <= ST_CHUNK_MAX ? n * 2 : ST_CHUNK_MAX;
	s->cur = p;
	s->end = p + n;
	return p;
}

static void *
st_alloc(struct store *s, size_t n)
{
	uint64_t *h;

#ifndef ST_MALLOC_ONLY
	/* in units of 8, room for the free list's link at least */
	size_t need = n > ST_ALIGN ? (n + ST_ALIGN - 1) / ST_ALIGN : 1;

	if (need < ST_CLASSES) {
		void **f = &s->free[need];
		if (*f) {
			h = (uint64_t *)*f - 1;
			*f = *(void **)*f;
			return h + 1;
		}
		size_t bytes = (need + 1) * ST_ALIGN;
		if ((size_t)(s->end - s->cur) < bytes &&
		    st_chunk(s, bytes) == NULL)
			goto big;
		h = (uint64_t *)(void *)s->cur;
		s->cur += bytes;
		*h = need;
		return h + 1;
	}
big:
#endif
	h = xmalloc(ST_ALIGN + (n ? n : 1));
	*h = ST_BIG;
	s->nbig++;
	return h + 1;
}

static void
st_free(struct store *s, void *p)
{
	uint64_t *h;

	if (p == NULL)
		return;
	h = (uint64_t *)p - 1;
	if (*h == ST_BIG) {
		free(h);
		s->nbig--;
		return;
	}
	*(void **)p = s->free[*h];
	s->free[*h] = p;
}

static char *
st_strndup(struct store *s, const char *p, size_t n)
{
	char *q = st_alloc(s, n + 1);

	memcpy(q, p, n);
	q[n] = '\0';
	return q;
}

/*
 * An array of n zeroed slots: a mapping of its own, in huge pages, when it
 * is large (*mapped set then).
 */
static void *
slots_alloc(size_t n, size_t size, int *mapped)
{
	void *p;

	*mapped = 0;
	if (n * size < 2 * ST_HUGE)
		return xcalloc(n, size);
	if ((p = huge_map(n * size)) == NULL)
		return xcalloc(n, size);	/* which dies when it fails too */
	*mapped = 1;
	return p;
}

static void
slots_free(void *p, size_t n, size_t size, int mapped)
{
	if (mapped)
		munmap(p, n * size);
	else
		free(p);
}

/* Give back every chunk: the blocks from malloc must be freed before. */
static void
st_release(struct store *s)
{
	for (size_t i = 0; i < s->nchunks; i++)
		munmap(s->chunks[i].p, s->chunks[i].n);
	free(s->chunks);
	memset(s, 0, sizeof(*s));
}

static uint32_t
hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h ? h : 1;	/* 0 marks an empty slot */
}

struct table *
table_new(int history, int max_versions, long long span_ms)
{
	struct table *t = xcalloc(1, sizeof(*t));

	t->cap = 1024;
	t->slot = slots_alloc(t->cap, sizeof(*t->slot), &t->slot_mapped);
	t->history = history;
	t->max_versions = max_versions > 0 ? max_versions : 1;
	t->span_ms = span_ms;
	t->shape_slot = xcalloc(2 * MAX_SHAPES, sizeof(*t->shape_slot));
	buf_init(&t->enc);
	buf_init(&t->dec);
	return t;
}

static void
put_varint(struct buf *b, size_t v)
{
	while (v >= 0x80) {
		buf_putc(b, (char)((v & 0x7f) | 0x80));
		v >>= 7;
	}
	buf_putc(b, (char)v);
}

static size_t
get_varint(const unsigned char **p)
{
	size_t v = 0;
	int sh = 0;

	while (**p & 0x80) {
		v |= (size_t)(**p & 0x7f) << sh;
		sh += 7;
		(*p)++;
	}
	v |= (size_t)**p << sh;
	(*p)++;
	return v;
}

/* A hash of a shape's names: every row asks. */
static uint32_t
sig_hash(const char *s, size_t n)
{
	return (uint32_t)hash_words(s, n);
}

/* The number of the shape of names sig[0..n), made when new; -1 when
 * there are too many shapes. */
static int
shape_of(struct table *t, const char *sig, size_t n, uint32_t nm,
    const uint32_t *off)
{
	uint32_t h = sig_hash(sig, n), m = 2 * MAX_SHAPES - 1, i;

	for (i = h & m; t->shape_slot[i]; i = (i + 1) & m) {
		struct shape *sh = &t->shapes[t->shape_slot[i] - 1];
		if (sh->h == h && sh->siglen == n && memcmp(sh->sig, sig, n) == 0)
			return (int)(t->shape_slot[i] - 1);
	}
	if (t->nshapes == MAX_SHAPES)
		return -1;
	t->shapes = xrealloc(t->shapes, (t->nshapes + 1) * sizeof(*t->shapes));
	struct shape *sh = &t->shapes[t->nshapes];
	sh->sig = xmalloc(n);
	memcpy(sh->sig, sig, n);
	sh->siglen = n;
	sh->n = nm;
	sh->h = h;
	sh->off = xmalloc((nm + 1) * sizeof(*sh->off));
	memcpy(sh->off, off, (nm + 1) * sizeof(*off));
	sh->csig = xmalloc(n + nm);
	for (uint32_t j = 0; j < nm; j++) {
		sh->csig[off[j] + j] = ',';
		memcpy(sh->csig + off[j] + j + 1, sig + off[j], off[j + 1] - off[j]);
	}
	t->shape_slot[i] = ++t->nshapes;
	return (int)(t->nshapes - 1);
}

/*
 * The text kept for a row's version: the compact form when the text is a
 * compact object (and a row of one row per key), else a copy.
 */
static char *
keep_text(struct table *t, int one, const char *text, size_t n,
    const struct jmember *given, size_t ngiven, uint32_t *len)
{
	struct jmember mm[SHAPE_MEMBERS];
	const struct jmember *m = given;
	uint32_t off[SHAPE_MEMBERS + 1];
	struct jvalid jv;
	size_t nm = ngiven, i;
	int id;
	char *k;

	*len = (uint32_t)n;
	if (!one || n < 2 || text[0] != '{' || text[n - 1] != '}')
		return st_strndup(&t->st, text, n);
	if (given == NULL) {
		if (jvalid_members(text, n, &jv, mm, SHAPE_MEMBERS, &nm) !=
		    JV_OBJECT || jv.start != 0 || jv.end != n)
			return st_strndup(&t->st, text, n);
		m = mm;
	}
	if (nm == 0 || nm > SHAPE_MEMBERS || m[0].ks != 1 ||
	    m[nm - 1].ve != n - 1)
		return st_strndup(&t->st, text, n);
	buf_reset(&t->enc);
	for (i = 0; i < nm; i++) {
		/* nothing between the members but ':' and ',' */
		if (m[i].vs != m[i].ke + 1 || (i > 0 && m[i].ks != m[i - 1].ve + 1))
			return st_strndup(&t->st, text, n);
		off[i] = (uint32_t)t->enc.len;
		buf_add(&t->enc, text + m[i].ks, m[i].vs - m[i].ks);
	}
	off[nm] = (uint32_t)t->enc.len;
	if ((id = shape_of(t, t->enc.p, t->enc.len, (uint32_t)nm, off)) < 0)
		return st_strndup(&t->st, text, n);
	buf_reset(&t->enc);
	buf_putc(&t->enc, SHAPED);
	put_varint(&t->enc, (size_t)id);
	for (i = 0; i < nm; i++) {
		put_varint(&t->enc, m[i].ve - m[i].vs);
		buf_add(&t->enc, text + m[i].vs, m[i].ve - m[i].vs);
	}
	if (t->enc.len >= n)
		return st_strndup(&t->st, text, n);
	k = st_alloc(&t->st, t->enc.len);
	memcpy(k, t->enc.p, t->enc.len);
	*len = (uint32_t)t->enc.len;
	return k;
}

/* The JSON text of a kept text, in b (NUL-terminated). */
static void
give_text(const struct table *t, const char *k, size_t n, struct buf *b)
{
	const unsigned char *p = (const unsigned char *)k + 1;
	const struct shape *sh;

	buf_reset(b);
	if (n == 0 || k[0] != SHAPED) {
		buf_add(b, k, n);
		buf_cstr(b);
		return;
	}
	sh = &t->shapes[get_varint(&p)];
	/* the text is no longer than the names, the values, their commas
	 * and the braces */
	buf_reserve(b, sh->siglen + n + sh->n + 2);
	char *o = b->p + b->len;
	*o++ = '{';
	for (uint32_t i = 0; i < sh->n; i++) {
		size_t vl = get_varint(&p), at = sh->off[i] + i;
		size_t nl = sh->off[i + 1] - sh->off[i] + 1;
		/* the name after its comma, but for the first; names and
		 * values are mostly short: no call of memcpy() for them */
		buf_copy_short(o, sh->csig + at + (i == 0), nl - (i == 0));
		o += nl - (i == 0);
		buf_copy_short(o, (const char *)p, vl);
		o += vl;
		p += vl;
	}
	*o++ = '}';
	b->len = (size_t)(o - b->p);
	buf_cstr(b);
}

static struct tversion *
vers(struct trow *r)
{
	return r->capv ? r->v : &r->one;
}

static void
row_free(struct table *t, struct trow *r)
{
	struct tversion *v = vers(r);

	for (uint32_t i = 0; i < r->nv; i++)
		st_free(&t->st, v[i].text);
	if (r->capv)
		st_free(&t->st, r->v);
	st_free(&t->st, r->rkey);
}

static void
entry_free(struct table *t, struct tentry *e)
{
	for (uint32_t i = 0; i < e->nrows; i++)
		row_free(t, &e->rows[i]);
	st_free(&t->st, e->rows);	/* the key with them */
}

void
table_free(struct table *t)
{
	if (t == NULL)
		return;
	/* the chunks go at once: only blocks from malloc need a visit */
	for (size_t i = 0; t->st.nbig > 0 && i < t->cap; i++)
		if (t->slot[i].hash)
			entry_free(t, &t->slot[i]);
	st_release(&t->st);
	slots_free(t->slot, t->cap, sizeof(*t->slot), t->slot_mapped);
	for (uint32_t i = 0; i < t->nshapes; i++) {
		free(t->shapes[i].sig);
		free(t->shapes[i].csig);
		free(t->shapes[i].off);
	}
	free(t->shapes);
	free(t->shape_slot);
	buf_free(&t->enc);
	buf_free(&t->dec);
	free(t);
}

static size_t
find(const struct table *t, const char *key, size_t kn, uint32_t h)
{
	size_t m = t->cap - 1, i = h & m;

	while (t->slot[i].hash) {
		if (t->slot[i].hash == h && strncmp(t->slot[i].key, key, kn) == 0 &&
		    t->slot[i].key[kn] == '\0')
			return i;
		i = (i + 1) & m;
	}
	return i;
}

static void
grow(struct table *t)
{
	struct tentry *old = t->slot;
	size_t ocap = t->cap;
	int omapped = t->slot_mapped;

	t->cap *= 2;
	t->slot = slots_alloc(t->cap, sizeof(*t->slot), &t->slot_mapped);
	for (size_t i = 0; i < ocap; i++) {
		if (!old[i].hash)
			continue;
		size_t m = t->cap - 1, j = old[i].hash & m;
		while (t->slot[j].hash)
			j = (j + 1) & m;
		t->slot[j] = old[i];
	}
	slots_free(old, ocap, sizeof(*old), omapped);
}

/* Remove slot i, moving later entries of its cluster back (no tombstones). */
static void
remove_slot(struct table *t, size_t i)
{
	size_t m = t->cap - 1, j = i;

	entry_free(t, &t->slot[i]);
	memset(&t->slot[i], 0, sizeof(t->slot[i]));
	t->n--;
	for (;;) {
		j = (j + 1) & m;
		if (!t->slot[j].hash)
			return;
		size_t k = t->slot[j].hash & m;
		/* move j to i unless its home k lies cyclically in (i, j] */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		t->slot[i] = t->slot[j];
		memset(&t->slot[j], 0, sizeof(t->slot[j]));
		i = j;
	}
}

static int
rkey_eq(const char *a, const char *b, size_t bn)
{
	if (a == NULL || b == NULL)
		return a == NULL && b == NULL;
	return strncmp(a, b, bn) == 0 && a[bn] == '\0';
}

static struct trow *
row_find(struct tentry *e, const char *rkey, size_t rn)
{
	for (uint32_t i = 0; i < e->nrows; i++)
		if (rkey_eq(e->rows[i].rkey, rkey, rn))
			return &e->rows[i];
	return NULL;
}

static void
row_remove(struct table *t, struct tentry *e, struct trow *r)
{
	size_t i = (size_t)(r - e->rows);

	t->nversions -= r->nv;
	t->nrows--;
	row_free(t, r);
	memmove(&e->rows[i], &e->rows[i + 1],
	    (e->nrows - i - 1) * sizeof(*e->rows));
	e->nrows--;
}

/* Drop versions past the history bound. */
static void
prune(struct table *t, struct trow *r)
{
	struct tversion *v = vers(r);
	uint32_t drop = 0;

	if (r->nv > (uint32_t)t->max_versions)
		drop = r->nv - (uint32_t)t->max_versions;
	if (t->span_ms > 0 && v[r->nv - 1].ts != TABLE_ALWAYS) {
		long long horizon = v[r->nv - 1].ts - t->span_ms;
		while (drop + 1 < r->nv && v[drop + 1].ts <= horizon)
			drop++;
	}
	if (drop == 0)
		return;
	for (uint32_t i = 0; i < drop; i++)
		st_free(&t->st, v[i].text);
	memmove(v, v + drop, (r->nv - drop) * sizeof(*v));
	r->nv -= drop;
	t->nversions -= drop;
}

/* Add a version to row r, in time order. */
static void
add_version(struct table *t, struct trow *r, long long ts, char *text,
    uint32_t len)
{
	struct tversion *v;
	uint32_t i;

	if (!t->history) {
		v = vers(r);
		if (r->nv) {
			st_free(&t->st, v[0].text);
		} else {
			r->nv = 1;
			t->nversions++;
		}
		v[0] = (struct tversion){ ts, text, len };
		return;
	}
	if (r->nv + 1 > (r->capv ? r->capv : 1)) {
		uint32_t ncap = r->capv ? r->capv * 2 : 4;
		struct tversion *nv = st_alloc(&t->st, ncap * sizeof(*nv));
		memset(nv, 0, ncap * sizeof(*nv));
		memcpy(nv, vers(r), r->nv * sizeof(*nv));
		if (r->capv)
			st_free(&t->st, r->v);
		r->v = nv;
		r->capv = ncap;
	}
	v = vers(r);
	/* after every version at or before ts: arrival order breaks ties */
	for (i = r->nv; i > 0 && v[i - 1].ts > ts; i--)
		;
	memmove(v + i + 1, v + i, (r->nv - i) * sizeof(*v));
	v[i] = (struct tversion){ ts, text, len };
	r->nv++;
	t->nversions++;
	prune(t, r);
}

/* The row (key, rkey), made when missing. */
static struct trow *
row_get(struct table *t, const char *key, size_t kn, const char *rkey,
    size_t rn)
{
	uint32_t h = hash(key, kn);
	size_t i;
	struct tentry *e;
	struct trow *r;

	if ((t->n + 1) * 4 > t->cap * 3)
		grow(t);
	i = find(t, key, kn, h);
	e = &t->slot[i];
	if (!e->hash) {
		e->hash = h;
		t->n++;
	} else {
		kn = strlen(e->key);
	}
	if ((r = row_find(e, rkey, rn)) == NULL) {
		/* one allocation: the rows, then the key */
		struct trow *rows = st_alloc(&t->st,
		    (e->nrows + 1) * sizeof(*rows) + kn + 1);
		char *k = (char *)(rows + e->nrows + 1);
		if (e->nrows)
			memcpy(rows, e->rows, e->nrows * sizeof(*rows));
		memcpy(k, e->key ? e->key : key, kn);
		k[kn] = '\0';
		st_free(&t->st, e->rows);
		e->rows = rows;
		e->key = k;
		r = &e->rows[e->nrows++];
		memset(r, 0, sizeof(*r));
		r->rkey = rkey ? st_strndup(&t->st, rkey, rn) : NULL;
		t->nrows++;
	}
	return r;
}

void
table_put(struct table *t, const char *key, size_t kn, const char *rkey,
    size_t rn, long long ts, const char *text, size_t n)
{
	table_put_members(t, key, kn, rkey, rn, ts, text, n, NULL, 0);
}

void
table_put_members(struct table *t, const char *key, size_t kn,
    const char *rkey, size_t rn, long long ts, const char *text, size_t n,
    const struct jmember *m, size_t nm)
{
	uint32_t len;
	char *k = keep_text(t, rkey == NULL, text, n, m, nm, &len);

	add_version(t, row_get(t, key, kn, rkey, rn), ts, k, len);
}

int
table_del(struct table *t, const char *key, size_t kn, const char *rkey,
    size_t rn, long long ts)
{
	uint32_t h = hash(key, kn);
	size_t i = find(t, key, kn, h);
	struct tentry *e = &t->slot[i];
	struct trow *r = e->hash ? row_find(e, rkey, rn) : NULL;

	if (t->history) {
		/* a delete that arrives before the row is kept too */
		add_version(t, r ? r : row_get(t, key, kn, rkey, rn), ts, NULL, 0);
		return r != NULL;
	}
	if (r == NULL)
		return 0;
	row_remove(t, e, r);
	if (e->nrows == 0)
		remove_slot(t, i);
	return 1;
}

void
table_truncate(struct table *t, long long ts)
{
	if (t->history) {
		for (size_t i = 0; i < t->cap; i++)
			for (uint32_t j = 0; t->slot[i].hash &&
			    j < t->slot[i].nrows; j++)
				add_version(t, &t->slot[i].rows[j], ts, NULL, 0);
		return;
	}
	for (size_t i = 0; i < t->cap; i++)
		if (t->slot[i].hash)
			entry_free(t, &t->slot[i]);
	memset(t->slot, 0, t->cap * sizeof(*t->slot));
	t->n = t->nrows = t->nversions = 0;
}

uint32_t
table_hash(const char *key, size_t kn)
{
	return hash(key, kn);
}

void
table_prefetch(const struct table *t, uint32_t h, int step)
{
	const struct tentry *e = &t->slot[h & (t->cap - 1)];
	const struct trow *r;

	if (step == 1) {
		__builtin_prefetch(e);
		return;
	}
	if (e->hash != h || e->nrows == 0)
		return;
	r = &e->rows[0];
	if (step == 2) {
		__builtin_prefetch(r);
		__builtin_prefetch(e->key);	/* after the rows: find() reads it */
		return;
	}
	if (r->capv) {
		__builtin_prefetch(r->v + (r->nv ? r->nv - 1 : 0));
	} else if (r->one.text) {
		__builtin_prefetch(r->one.text);
		if (r->one.len > 64)
			__builtin_prefetch(r->one.text + 64);
	}
}

const struct tentry *
table_get(const struct table *t, const char *key, size_t kn)
{
	size_t i = find(t, key, kn, hash(key, kn));

	return t->slot[i].hash ? &t->slot[i] : NULL;
}

const struct tentry *
table_find_row(const struct table *t, const char *rkey, size_t rn)
{
	for (size_t i = 0; i < t->cap; i++)
		for (uint32_t j = 0; t->slot[i].hash && j < t->slot[i].nrows; j++)
			if (rkey_eq(t->slot[i].rows[j].rkey, rkey, rn))
				return &t->slot[i];
	return NULL;
}

const char *
trow_at(const struct table *t, const struct trow *r, long long asof,
    size_t *len)
{
	const struct tversion *v = r->capv ? r->v : &r->one;
	uint32_t i = r->nv;

	while (i > 0 && v[i - 1].ts > asof)
		i--;
	if (i == 0 || v[i - 1].text == NULL)
		return NULL;
	if (v[i - 1].text[0] == SHAPED) {
		struct buf *b = (struct buf *)&t->dec;
		give_text(t, v[i - 1].text, v[i - 1].len, b);
		*len = b->len;
		return b->p;
	}
	*len = v[i - 1].len;
	return v[i - 1].text;
}

size_t table_keys(const struct table *t) { return t->n; }
size_t table_rows(const struct table *t) { return t->nrows; }
size_t table_versions(const struct table *t) { return t->nversions; }

void
table_reserve(struct table *t, size_t n)
{
	while ((n + 1) * 4 > t->cap * 3)
		grow(t);
}

/* ---- saving and loading ---- */

static void
put_ts(struct buf *b, long long ts)
{
	if (ts == TABLE_ALWAYS)
		buf_putc(b, '-');
	else
		buf_put_i64(b, ts);
}

static void
put_text(const struct table *t, struct buf *b, const struct tversion *v)
{
	if (v->text == NULL) {
		buf_putc(b, '-');
	} else if (v->text[0] == SHAPED) {
		struct buf *d = (struct buf *)&t->dec;
		give_text(t, v->text, v->len, d);
		buf_add(b, d->p, d->len);
	} else {
		buf_add(b, v->text, v->len);
	}
}

int
table_dump(const struct table *t, struct buf *b, table_emit_fn emit, void *arg)
{
	int rc;

	for (size_t i = 0; i < t->cap; i++) {
		const struct tentry *e = &t->slot[i];
		if (!e->hash)
			continue;
		for (uint32_t j = 0; j < e->nrows; j++) {
			const struct trow *r = &e->rows[j];
			const struct tversion *v = r->capv ? r->v : &r->one;
			if (r->nv == 0)
				continue;
			buf_reset(b);
			buf_puts(b, "r ");
			put_ts(b, v[0].ts);
			buf_putc(b, ' ');
			buf_json_str(b, e->key, strlen(e->key));
			buf_putc(b, ' ');
			if (r->rkey == NULL)
				buf_putc(b, '-');
			else if (v[0].text && strcmp(r->rkey, v[0].text) == 0)
				buf_putc(b, '=');
			else
				buf_json_str(b, r->rkey, strlen(r->rkey));
			buf_putc(b, ' ');
			put_text(t, b, &v[0]);
			if ((rc = emit(arg, b->p, b->len)) != 0)
				return rc;
			for (uint32_t k = 1; k < r->nv; k++) {
				buf_reset(b);
				buf_puts(b, "+ ");
				put_ts(b, v[k].ts);
				buf_putc(b, ' ');
				put_text(t, b, &v[k]);
				if ((rc = emit(arg, b->p, b->len)) != 0)
					return rc;
			}
		}
	}
	return 0;
}

void
table_undump_init(struct table_undump *u)
{
	memset(u, 0, sizeof(*u));
	u->key = xcalloc(1, sizeof(*u->key));
	u->rkey = xcalloc(1, sizeof(*u->rkey));
	buf_init(u->key);
	buf_init(u->rkey);
}

void
table_undump_free(struct table_undump *u)
{
	if (u->key) {
		buf_free(u->key);
		buf_free(u->rkey);
		free(u->key);
		free(u->rkey);
	}
	memset(u, 0, sizeof(*u));
}

/* A time at *p, followed by a space. */
static const char *
get_ts(const char **p, const char *end, long long *ts)
{
	const char *s = *p;
	char *e;

	if (s < end && *s == '-' && s + 1 < end && s[1] == ' ') {
		*ts = TABLE_ALWAYS;
		*p = s + 2;
		return NULL;
	}
	if (s >= end || (*s != '-' && (*s < '0' || *s > '9')))
		return "expected a time";
	errno = 0;
	*ts = strtoll(s, &e, 10);
	if (errno || e >= end || *e != ' ' || e == s ||
	    *ts == TABLE_ALWAYS)
		return "bad time";
	*p = e + 1;
	return NULL;
}

/* A JSON string at *p, followed by a space: its text in b. */
static const char *
get_str(const char **p, const char *end, struct buf *b)
{
	const char *s = *p, *q = s + 1;
	struct jvalid jv;

	if (s >= end || *s != '"')
		return "expected a JSON string";
	while (q < end && *q != '"')
		q += *q == '\\' ? 2 : 1;
	if (q >= end || q + 1 >= end || q[1] != ' ')
		return "unterminated string";
	if (jvalid(s, (size_t)(q + 1 - s), &jv) != JV_STRING)
		return "bad JSON string";
	buf_reset(b);
	jpath_value_text(b, s, (size_t)(q + 1 - s));
	buf_cstr(b);
	if (strlen(b->p) != b->len)
		return "a NUL in a key";
	*p = q + 2;
	return NULL;
}

/* The row text at p (to end): NULL for "-", else checked to be an object. */
static const char *
get_text(const char *p, const char *end, const char **text)
{
	struct jvalid jv;

	if (end - p == 1 && *p == '-') {
		*text = NULL;
		return NULL;
	}
	if (p >= end || *p != '{' || jvalid(p, (size_t)(end - p), &jv) !=
	    JV_OBJECT || jv.start != 0 || jv.end != (size_t)(end - p))
		return "the row is not a JSON object";
	if ((size_t)(end - p) > UINT32_MAX)
		return "the row is too long";
	*text = p;
	return NULL;
}

const char *
table_undump(struct table *t, struct table_undump *u, const char *line,
    size_t n)
{
	const char *p = line + 2, *end = line + n, *why, *text, *rk;
	size_t rn;
	long long ts;
	int byself = 0;

	if (n < 2 || line[1] != ' ' || (line[0] != 'r' && line[0] != '+'))
		return "expected a row (r) or a version (+)";
	if ((why = get_ts(&p, end, &ts)) != NULL)
		return why;
	if (line[0] == 'r') {
		u->have_row = 0;
		if ((why = get_str(&p, end, u->key)) != NULL)
			return why;
		if (p + 1 < end && (*p == '-' || *p == '=') && p[1] == ' ') {
			byself = *p == '=';
			u->no_rkey = *p == '-';
			buf_reset(u->rkey);
			buf_cstr(u->rkey);
			p += 2;
		} else if ((why = get_str(&p, end, u->rkey)) != NULL) {
			return why;
		} else {
			u->no_rkey = 0;
		}
		if ((why = get_text(p, end, &text)) != NULL)
			return why;
		if (byself) {
			if (text == NULL)
				return "\"=\" names a row by the text of a delete";
			buf_add(u->rkey, text, (size_t)(end - text));
			buf_cstr(u->rkey);
		}
		u->have_row = 1;
		u->rows++;
	} else {
		if (!u->have_row)
			return "a version without its row";
		if ((why = get_text(p, end, &text)) != NULL)
			return why;
	}
	rk = u->no_rkey ? NULL : u->rkey->p;
	rn = u->no_rkey ? 0 : u->rkey->len;
	if (text)
		table_put(t, u->key->p, u->key->len, rk, rn, ts, text,
		    (size_t)(end - text));
	else if (!t->history)
		return "a delete in a table without versions";
	else
		table_del(t, u->key->p, u->key->len, rk, rn, ts);
	u->versions++;
	return NULL;
}
