/* rules_run.c: run compiled rules over events, with windows and alerts. */
#include "rules_run.h"
#include "util.h"
#include "window.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_IDS 32

#define KSLOTS 8

/* An alert held while repeats are counted. */
struct pend {
	char *k;		/* rule name, '\x1f', key */
	size_t kl;
	uint64_t h;
	char *rule;
	double first_t, close_t, last_t;
	unsigned long long count, seq;
	char *text;		/* the alert without its closing fields */
	struct pend *next;
	size_t hi;		/* index in the heap */
};

/*
 * A held event goes in the queue, in order, when at most QSHIFT queued
 * events are later than it (they move up one), else in the heap. Streams
 * merged by time are mostly out of order by a few events, and events in
 * the queue are the ones release knows to prefetch.
 */
#define QSHIFT 512

/*
 * An event held for ordering, parsed once: its line and the values the
 * rules read, in one allocation (the values point into it).
 */
struct hev {
	size_t cap;		/* bytes allocated */
	/* the hashes of its string keys, by the engine's key slots (bit i
	 * of khave: kh[i] is one), and which rules take its stream (NULL:
	 * not known): what the events before it prefetch its keys by */
	const unsigned char *sm;
	/* bit i: rule i (below 64) takes it (event_takers), found when it
	 * came */
	uint64_t wpass;
	/* bit i: rule i (below 64) will look its key up, by kh */
	uint64_t pfm;
	unsigned khave;
	uint64_t kh[KSLOTS];
	struct hval {		/* the values that are not null, in 24 bytes:
				 * most held events are out of the cache */
		int slot;
		unsigned char t, b;	/* jval's t and b */
		union {
			double n;
			const char *s;
		} u;
		size_t len;
	} *kv;
	int nkv;
	struct jval stream, id;
	char *line;		/* with --tag or a state file, else NULL */
	size_t len;
};

/*
 * In the heap of held events: its time, arrival, stream name and the
 * event. The name is the engine's copy (or the event's, past SNAMES
 * names), so that ordering does not read the event's own memory: most
 * held events are out of the cache.
 */
struct held {
	double t;
	unsigned long long seq;	/* order of arrival */
	const char *sname;	/* NULL: no stream name */
	size_t slen;
	struct hev *e;
};

#define SNAMES 64

struct engine {
	struct rules *rs;
	struct engine_opts o;
	struct wtable *wt;	/* per rule */
	struct jval *vals;
	char *scratch;
	size_t scap;
	struct arena ar;
	struct jval *tmp;	/* values of one kept event */
	int ntmp;
	uint64_t *dset;
	size_t dcap;
	double clock;
	int have_clock;
	unsigned long long events, late, fired, alerts, seq, nsweep;
	/* pending alerts: hash + heap by (close_t, seq) */
	struct pend **pb;
	size_t pnb, pn;
	struct pend **heap;
	size_t hn, hcap;
	/* events held until no event within the lateness can precede them,
	 * in order of eless: those that came in order at the end of a queue
	 * (most, and read in turn), the others in a heap */
	struct held *eb;
	size_t en_, ecap;
	struct held *fq;
	size_t fh, fn, fcap;	/* head, count, size (a power of 2) */
	unsigned long long eseq;	/* the next event's arrival number */
	struct hev *hfree[64];		/* released, for the next ones */
	int nhfree;
	struct sname {			/* the stream names held events have */
		char *s;
		size_t len;
	} sn[SNAMES];
	int nsn;
	/* per name of sn, which rules take its events (made when first
	 * needed); smtmp for a stream beyond them */
	unsigned char *smrow[SNAMES], *smtmp;
	/* --tag: the events from obase to eseq in order of arrival, written
	 * out once every earlier one was */
	struct oslot {
		char *text;	/* the tagged line, once run */
		size_t len;
		int done;
	} *os;
	size_t oscap;			/* a power of 2 */
	unsigned long long obase;
	struct buf tagb;
	struct buf *aout;	/* with tag: the alerts as well, here */
	/* the Kafka position of the last event of each topic and partition
	 * (_kafka), kept in the state; with o.state an event at or below it
	 * is one seen before */
	struct epos {
		char *topic;
		size_t tlen;
		int part;
		long long off;
	} *pos;
	size_t npos, poscap;
	int *posh;		/* open addressing: index + 1 into pos, 0 free */
	size_t poshcap;		/* a power of 2, at least twice npos */
	unsigned long long skipped;
	long long barrier;
	/* per event */
	const char **firednames;
	uint64_t *khash;	/* per rule: the hash of this event's key */
	/* the fields stateful rules are keyed by (a held event keeps their
	 * hashes), and each rule's index among them (-1: none) */
	int ks[KSLOTS], nks;
	signed char *rks;
	int *kpre;		/* the rules whose keys event_run prefetched */
	int nfired;
	struct buf tmpb;
};

static void
fmt_num(struct buf *b, double x)
{
	if (!isfinite(x))
		buf_puts(b, "null");
	else if (x == (double)(long long)x && fabs(x) < 1e15)
		buf_printf(b, "%lld", (long long)x);
	else
		buf_printf(b, "%.15g", x);
}

/* The id of a kept event, as a JSON string. */
static void
put_id(struct buf *b, const struct wentry *e)
{
	const char *id = went_id(e);

	buf_json_str(b, id, strlen(id));
}

static void
put_val(struct buf *b, struct jval v)
{
	switch (v.t) {
	case J_NULL: buf_puts(b, "null"); break;
	case J_BOOL: buf_puts(b, v.b ? "true" : "false"); break;
	case J_NUM: fmt_num(b, v.n); break;
	case J_STR: buf_json_str(b, v.s, v.len); break;
	case J_RAW: buf_add(b, v.s, v.len); break;
	}
}

static char *
put2(char *o, unsigned v)
{
	o[0] = '0' + v / 10;
	o[1] = '0' + v % 10;
	return o + 2;
}

/* iso8601_ms without strftime for the years 1000 to 9999; its length. */
static size_t
iso_ms(long long ms, char out[32])
{
	const long long lo = -30610224000000LL, hi = 253402300800000LL;
	long long days, r;
	unsigned m, d;
	int y;
	char *o = out;

	if (ms < lo || ms >= hi) {
		iso8601_ms(ms, out);
		return strlen(out);
	}
	days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
	r = ms - days * 86400000;
	civil_from_days(days, &y, &m, &d);
	o = put2(o, y / 100);
	o = put2(o, y % 100);
	*o++ = '-';
	o = put2(o, m);
	*o++ = '-';
	o = put2(o, d);
	*o++ = 'T';
	o = put2(o, r / 3600000);
	*o++ = ':';
	o = put2(o, r / 60000 % 60);
	*o++ = ':';
	o = put2(o, r / 1000 % 60);
	*o++ = '.';
	*o++ = '0' + r % 1000 / 100;
	o = put2(o, r % 100);
	*o++ = 'Z';
	*o = '\0';
	return o - out;
}

static void
put_time(struct buf *b, double t)
{
	char s[32];
	size_t n = iso_ms((long long)llround(t * 1000), s);

	buf_json_str(b, s, n);
}

static void
alloc_rules(struct engine *en)
{
	struct rules *rs = en->rs;
	int mx = 0;

	en->wt = xcalloc(rs->n ? rs->n : 1, sizeof(*en->wt));
	for (int i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->r[i];
		wt_init(&en->wt[i]);
		if (r->naggs > mx)
			mx = r->naggs;
		/* a sliding window's keys count what count() and ratio()
		 * count, and keep the values count_distinct() counts (its
		 * live events are those of the window) */
		for (int a = 0; a < r->naggs && !r->seq_a && !r->tumbling; a++) {
			if (r->aggs[a].kind == A_COUNT)
				wt_count_bit(&en->wt[i], 2 * a);
			if (r->aggs[a].kind == A_RATIO) {
				wt_count_bit(&en->wt[i], 2 * a);
				wt_count_bit(&en->wt[i], 2 * a + 1);
			}
			if (r->aggs[a].kind == A_COUNT_DISTINCT &&
			    r->aggs[a].vi >= 0)
				wt_distinct_bit(&en->wt[i], 2 * a,
				    r->aggs[a].vi);
		}
	}
	free(en->vals);
	en->vals = xcalloc(jf_count(rs->jf) + 1, sizeof(*en->vals));
	free(en->tmp);
	en->tmp = xcalloc(mx + 1, sizeof(*en->tmp));
	en->ntmp = mx;
	free(en->firednames);
	en->firednames = xcalloc(rs->n + 1, sizeof(char *));
	free(en->khash);
	en->khash = xcalloc(rs->n + 1, sizeof(*en->khash));
	free(en->kpre);
	en->kpre = xcalloc(rs->n + 1, sizeof(*en->kpre));
	free(en->rks);
	en->rks = xcalloc(rs->n + 1, sizeof(*en->rks));
	en->nks = 0;
	for (int i = 0; i < rs->n; i++) {
		int k = 0;
		en->rks[i] = -1;
		if (!rs->r[i].stateful)
			continue;
		while (k < en->nks && en->ks[k] != rs->r[i].key_slot)
			k++;
		if (k == en->nks) {
			if (en->nks == KSLOTS)
				continue;
			en->ks[en->nks++] = rs->r[i].key_slot;
		}
		en->rks[i] = (signed char)k;
	}
	for (int i = 0; i < SNAMES; i++) {
		free(en->smrow[i]);
		en->smrow[i] = NULL;
	}
	free(en->smtmp);
	en->smtmp = xcalloc(rs->n + 1, 1);
}

struct engine *
engine_new(struct rules *rs, const struct engine_opts *o)
{
	struct engine *en = xcalloc(1, sizeof(*en));

	en->rs = rs;
	en->o = *o;
	if (en->o.max_per_key == 0)
		en->o.max_per_key = 100000;
	alloc_rules(en);
	en->pnb = 64;
	en->pb = xcalloc(en->pnb, sizeof(*en->pb));
	buf_init(&en->tmpb);
	buf_init(&en->tagb);
	return en;
}

static void
pend_free(struct pend *p)
{
	free(p->k);
	free(p->rule);
	free(p->text);
	free(p);
}

/* The events held, and the i-th of them in no particular order. */
static inline size_t
held_count(const struct engine *en)
{
	return en->en_ + en->fn;
}

static inline struct held *
held_at(struct engine *en, size_t i)
{
	if (i < en->en_)
		return &en->eb[i];
	return &en->fq[(en->fh + i - en->en_) & (en->fcap - 1)];
}

void
engine_free(struct engine *en)
{
	if (en == NULL)
		return;
	for (int i = 0; i < en->rs->n; i++)
		wt_free(&en->wt[i]);
	free(en->wt);
	rules_free(en->rs);
	for (size_t i = 0; i < en->hn; i++)
		pend_free(en->heap[i]);
	free(en->heap);
	for (size_t i = 0; i < held_count(en); i++)
		free(held_at(en, i)->e);
	for (int i = 0; i < en->nhfree; i++)
		free(en->hfree[i]);
	for (int i = 0; i < en->nsn; i++)
		free(en->sn[i].s);
	for (size_t i = 0; i < en->oscap; i++)
		free(en->os[i].text);
	free(en->os);
	buf_free(&en->tagb);
	free(en->eb);
	free(en->fq);
	free(en->pb);
	free(en->vals);
	free(en->scratch);
	free(en->tmp);
	free(en->dset);
	for (size_t i = 0; i < en->npos; i++)
		free(en->pos[i].topic);
	free(en->pos);
	free(en->posh);
	free(en->firednames);
	free(en->khash);
	free(en->kpre);
	free(en->rks);
	for (int i = 0; i < SNAMES; i++)
		free(en->smrow[i]);
	free(en->smtmp);
	arena_free(&en->ar);
	buf_free(&en->tmpb);
	free(en);
}

/* ---- pending alerts ---- */

static int
hless(const struct pend *a, const struct pend *b)
{
	return a->close_t < b->close_t ||
	    (a->close_t == b->close_t && a->seq < b->seq);
}

static void
hswap(struct engine *en, size_t i, size_t j)
{
	struct pend *t = en->heap[i];

	en->heap[i] = en->heap[j];
	en->heap[j] = t;
	en->heap[i]->hi = i;
	en->heap[j]->hi = j;
}

static void
hpush(struct engine *en, struct pend *p)
{
	size_t i;

	if (en->hn == en->hcap) {
		en->hcap = en->hcap ? en->hcap * 2 : 64;
		en->heap = xrealloc(en->heap, en->hcap * sizeof(*en->heap));
	}
	i = en->hn++;
	en->heap[i] = p;
	p->hi = i;
	while (i > 0 && hless(en->heap[i], en->heap[(i - 1) / 2])) {
		hswap(en, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static struct pend *
hpop(struct engine *en)
{
	struct pend *top = en->heap[0];
	size_t i = 0;

	en->hn--;
	if (en->hn > 0) {
		en->heap[0] = en->heap[en->hn];
		en->heap[0]->hi = 0;
		for (;;) {
			size_t l = 2 * i + 1, r = l + 1, m = i;
			if (l < en->hn && hless(en->heap[l], en->heap[m]))
				m = l;
			if (r < en->hn && hless(en->heap[r], en->heap[m]))
				m = r;
			if (m == i)
				break;
			hswap(en, i, m);
			i = m;
		}
	}
	return top;
}

static struct pend *
pfind(struct engine *en, const char *k, size_t kl, uint64_t h)
{
	for (struct pend *p = en->pb[h & (en->pnb - 1)]; p; p = p->next)
		if (p->h == h && p->kl == kl && memcmp(p->k, k, kl) == 0)
			return p;
	return NULL;
}

static void
padd(struct engine *en, struct pend *p)
{
	if (en->pn >= en->pnb) {
		size_t nb = en->pnb * 2;
		struct pend **b = xcalloc(nb, sizeof(*b));
		for (size_t i = 0; i < en->pnb; i++) {
			struct pend *q = en->pb[i], *nx;
			for (; q; q = nx) {
				nx = q->next;
				q->next = b[q->h & (nb - 1)];
				b[q->h & (nb - 1)] = q;
			}
		}
		free(en->pb);
		en->pb = b;
		en->pnb = nb;
	}
	p->next = en->pb[p->h & (en->pnb - 1)];
	en->pb[p->h & (en->pnb - 1)] = p;
	en->pn++;
	hpush(en, p);
}

static void
pdel(struct engine *en, struct pend *p)
{
	struct pend **pp = &en->pb[p->h & (en->pnb - 1)];

	while (*pp != p)
		pp = &(*pp)->next;
	*pp = p->next;
	en->pn--;
}

static void
emit(struct engine *en, struct buf *out, const char *text,
    unsigned long long count, double last_t)
{
	if (en->aout != NULL)
		out = en->aout;
	buf_puts(out, text);
	buf_printf(out, ",\"count\":%llu,\"last_event_time\":", count);
	put_time(out, last_t);
	buf_puts(out, ",\"detected_at\":");
	put_time(out, en->clock);
	buf_puts(out, "}\n");
	en->alerts++;
}

static void
close_due(struct engine *en, struct buf *out, double upto, int all)
{
	while (en->hn > 0 && (all || en->heap[0]->close_t <= upto)) {
		struct pend *p = hpop(en);
		pdel(en, p);
		emit(en, out, p->text, p->count, p->last_t);
		pend_free(p);
	}
}

static void release(struct engine *en, double before, int all, struct buf *out);

void
engine_flush(struct engine *en, struct buf *out)
{
	release(en, 0, 1, out);
	close_due(en, out, 0, 1);
}

/* ---- firing ---- */

struct fire {
	const struct rule *r;
	struct jval key;
	double t;		/* time of the triggering event */
	double wstart;		/* window start, or NAN */
	const struct jval *aggv;
	struct wkey *wk;	/* window events, or NULL */
	double lo, hi;		/* window range kept in wk */
	const struct wentry *seq_a, *seq_b;
	struct evctx *c;
};

static void
key_text(struct jval k, struct buf *b)
{
	if (k.t == J_STR)
		buf_add(b, k.s, k.len);
	else if (k.t == J_NUM)
		fmt_num(b, k.n);
	else if (k.t == J_BOOL)
		buf_puts(b, k.b ? "true" : "false");
}

static void
fire(struct engine *en, struct fire *f, struct buf *out)
{
	const struct rule *r = f->r;
	struct rules *rs = en->rs;
	struct evctx *c = f->c;
	struct buf *b = &en->tmpb;
	char idhex[24];
	size_t kstart;
	uint64_t h;

	en->fired++;
	if (en->o.tag) {
		en->firednames[en->nfired++] = r->name;
		if (en->aout == NULL)
			return;
	}
	/* the suppression key: rule name, unit separator, key */
	buf_reset(b);
	buf_puts(b, r->name);
	buf_putc(b, '\x1f');
	kstart = b->len;
	key_text(f->key, b);
	h = hash64(b->p, b->len, 3);
	if (r->suppress > 0) {
		struct pend *p = pfind(en, b->p, b->len, h);
		if (p) {
			p->count++;
			if (f->t > p->last_t)
				p->last_t = f->t;
			return;
		}
	}
	/* alert_id: rule, key and the triggering event's id */
	uint64_t aid = hash64(c->id.s, c->id.len, h);
	if (!isnan(f->wstart))
		aid ^= hash64(&f->wstart, sizeof(f->wstart), 5);
	snprintf(idhex, sizeof(idhex), "%016llx", (unsigned long long)aid);
	struct buf t;
	buf_init(&t);
	buf_puts(&t, "{\"alert_id\":\"");
	buf_puts(&t, idhex);
	buf_puts(&t, "\",\"rule\":");
	buf_json_str(&t, r->name, strlen(r->name));
	buf_puts(&t, ",\"severity\":");
	buf_json_str(&t, r->severity, strlen(r->severity));
	buf_puts(&t, ",\"key\":");
	buf_json_str(&t, b->p + kstart, b->len - kstart);
	buf_puts(&t, ",\"customer_id\":");
	put_val(&t, c->f[rs->customer_slot]);
	buf_puts(&t, ",\"msisdn\":");
	put_val(&t, c->f[rs->msisdn_slot]);
	buf_puts(&t, ",\"stream\":");
	put_val(&t, c->stream);
	buf_puts(&t, ",\"event_time\":");
	put_time(&t, f->t);
	if (!isnan(f->wstart)) {
		buf_puts(&t, ",\"window_start\":");
		put_time(&t, f->wstart);
	}
	if (r->score) {
		struct jval s = rules_eval(r->score, c);
		buf_puts(&t, ",\"score\":");
		put_val(&t, s.t == J_NUM ? s : (struct jval){ 0 });
	}
	if (r->desc) {
		buf_puts(&t, ",\"description\":");
		buf_json_str(&t, r->desc, strlen(r->desc));
	}
	buf_puts(&t, ",\"evidence\":{");
	int first = 1;
	for (int i = 0; i < r->nev; i++) {
		const char *name = jf_path(rs->jf, r->ev_slots[i]);
		if (!first)
			buf_putc(&t, ',');
		first = 0;
		buf_json_str(&t, name, strlen(name));
		buf_putc(&t, ':');
		put_val(&t, c->f[r->ev_slots[i]]);
	}
	for (int i = 0; i < r->naggs; i++) {
		if (!first)
			buf_putc(&t, ',');
		first = 0;
		buf_json_str(&t, r->aggs[i].src, strlen(r->aggs[i].src));
		buf_putc(&t, ':');
		put_val(&t, f->aggv[i]);
	}
	if (f->seq_a) {
		if (!first)
			buf_putc(&t, ',');
		buf_puts(&t, "\"first_id\":");
		put_id(&t, f->seq_a);
		buf_puts(&t, ",\"first_time\":");
		put_time(&t, f->seq_a->t);
		buf_puts(&t, ",\"then_id\":");
		put_id(&t, f->seq_b);
		buf_puts(&t, ",\"then_time\":");
		put_time(&t, f->seq_b->t);
		buf_puts(&t, ",\"gap_s\":");
		fmt_num(&t, f->seq_b->t - f->seq_a->t);
	}
	buf_puts(&t, "},\"event_ids\":[");
	if (f->seq_a) {
		put_id(&t, f->seq_a);
		buf_putc(&t, ',');
		put_id(&t, f->seq_b);
	} else if (f->wk) {
		size_t n = wk_len(f->wk), k = 0, tot = 0;
		for (size_t i = 0; i < n; i++) {
			const struct wentry *e = wk_at(f->wk, i);
			if (e->t < f->lo || e->t > f->hi)
				continue;
			tot++;
			if (k < MAX_IDS) {
				if (k++)
					buf_putc(&t, ',');
				put_id(&t, e);
			}
		}
		buf_puts(&t, "],\"event_count\":");
		buf_printf(&t, "%zu", tot);
		goto ids_done;
	} else {
		buf_json_str(&t, c->id.s, c->id.len);
	}
	buf_putc(&t, ']');
ids_done:
	if (r->suppress <= 0) {
		emit(en, out, buf_cstr(&t), 1, f->t);
		buf_free(&t);
		return;
	}
	struct pend *p = xcalloc(1, sizeof(*p));
	p->k = xstrndup(b->p, b->len);
	p->kl = b->len;
	p->h = h;
	p->rule = xstrdup(r->name);
	p->first_t = p->last_t = f->t;
	p->close_t = f->t + r->suppress;
	p->count = 1;
	p->seq = en->seq++;
	p->text = xstrdup(buf_cstr(&t));
	buf_free(&t);
	padd(en, p);
}

/* ---- aggregates ---- */

/* count distinct by a small open-addressing set of 64-bit hashes */
static int
dset_add(struct engine *en, size_t cap, uint64_t h)
{
	if (h == 0)
		h = 1;
	for (size_t i = h & (cap - 1);; i = (i + 1) & (cap - 1)) {
		if (en->dset[i] == h)
			return 0;
		if (en->dset[i] == 0) {
			en->dset[i] = h;
			return 1;
		}
	}
}

/* What a window rule's aggregates are computed over, for aggregate(). */
struct aggctx {
	struct engine *en;
	const struct rule *r;
	const struct wtable *wt;
	struct wkey *wk;
	size_t cur;		/* the event's index in wk */
	double lo, hi;		/* the window's range */
};

/*
 * Whether the key's live events are all in the window, so that what the
 * key keeps over them (counters, sets) is the window's. Not so for a key
 * loaded from a state that kept events of the window's first instant.
 */
static inline int
live_is_window(const struct aggctx *x)
{
	const struct wkey *k = x->wk;

	return wk_len(k) == 0 || !(k->t0 < x->lo || k->t1 > x->hi);
}

/*
 * count() or ratio() a from the key's counters, into out[a]: 0 when they
 * do not count it (tumbling windows have none), or when the key's live
 * events are not all in the window.
 */
static int
counted(const struct aggctx *x, int a, struct jval *out)
{
	const struct wkey *k = x->wk;
	int c1 = wt_counter(x->wt, 2 * a), c2 = -1;

	if (x->r->aggs[a].kind == A_RATIO)
		c2 = wt_counter(x->wt, 2 * a + 1);
	if (c1 < 0 || (x->r->aggs[a].kind == A_RATIO && c2 < 0) ||
	    !live_is_window(x))
		return 0;
	if (c2 < 0)
		out[a] = (struct jval){ J_NUM, 0, k->cnt[c1], NULL, 0 };
	else if (k->cnt[c2] > 0)
		out[a] = (struct jval){ J_NUM, 0,
			(double)k->cnt[c1] / k->cnt[c2], NULL, 0 };
	else
		out[a] = (struct jval){ 0 };
	return 1;
}

/* count_distinct() a from the key's sets, as counted() does counts. */
static int
distinct(const struct aggctx *x, int a, struct jval *out)
{
	int d = wt_distinct_set(x->wt, 2 * a, x->r->aggs[a].vi);
	long n;

	if (d < 0 || !live_is_window(x) ||
	    (n = wk_distinct(x->wt, x->wk, d)) < 0)
		return 0;
	out[a] = (struct jval){ J_NUM, 0, (double)n, NULL, 0 };
	return 1;
}

/* Aggregate a of the rule over its window, into out[a]. */
static void
aggregate(const struct aggctx *x, int a, struct jval *out)
{
	struct engine *en = x->en;
	struct wkey *wk = x->wk;
	size_t n = wk_len(wk), cur = x->cur;
	double lo = x->lo, hi = x->hi;
	const struct agg *g = &x->r->aggs[a];
	double sum = 0, cnt = 0, cnt2 = 0;
	struct jval best = { 0 }, firstv = { 0 }, lastv = { 0 };
	int have_first = 0;
	size_t dcap = 0;

	if (g->kind == A_PREV) {
		out[a] = (struct jval){ 0 };
		if (cur > 0 && wk_at(wk, cur - 1)->t >= lo)
			out[a] = went_val(wk_at(wk, cur - 1), g->vi);
		return;
	}
	if ((g->kind == A_COUNT || g->kind == A_RATIO) &&
	    counted(x, a, out))
		return;
	if (g->kind == A_COUNT_DISTINCT && distinct(x, a, out))
		return;
	if (g->kind == A_COUNT_DISTINCT) {
		dcap = 16;
		while (dcap < 2 * n)
			dcap *= 2;
		if (dcap > en->dcap) {
			free(en->dset);
			en->dset = xmalloc(dcap * sizeof(*en->dset));
			en->dcap = dcap;
		}
		memset(en->dset, 0, dcap * sizeof(*en->dset));
	}
	for (size_t i = 0; i < n; i++) {
		const struct wentry *e = wk_at(wk, i);
		struct jval v = g->vi >= 0 ? went_val(e, g->vi) :
		    (struct jval){ 0 };
		int c1 = e->conds >> (2 * a) & 1;
		int c2 = e->conds >> (2 * a + 1) & 1;

		if (e->t < lo || e->t > hi)
			continue;
		if (g->kind == A_RATIO) {
			cnt += c1;
			cnt2 += c2;
			continue;
		}
		if (!c1)
			continue;
		switch (g->kind) {
		case A_COUNT:
			cnt++;
			break;
		case A_COUNT_DISTINCT:
			if (v.t != J_NULL)
				cnt += dset_add(en, dcap,
				    went_hashes(e)[g->vi]);
			break;
		case A_SUM: case A_AVG:
			if (v.t == J_NUM) {
				sum += v.n;
				cnt++;
			}
			break;
		case A_MIN: case A_MAX:
			if (v.t == J_NULL)
				break;
			if (best.t == J_NULL) {
				best = v;
			} else if (best.t == v.t) {
				int lt = v.t == J_NUM ? v.n < best.n :
				    v.t == J_STR ? strcmp(v.s, best.s) < 0 : 0;
				int gt = v.t == J_NUM ? v.n > best.n :
				    v.t == J_STR ? strcmp(v.s, best.s) > 0 : 0;
				if ((g->kind == A_MIN && lt) ||
				    (g->kind == A_MAX && gt))
					best = v;
			}
			break;
		case A_FIRST: case A_LAST:
			if (!have_first) {
				firstv = v;
				have_first = 1;
			}
			lastv = v;
			break;
		default:
			break;
		}
	}
	switch (g->kind) {
	case A_COUNT: case A_COUNT_DISTINCT:
		out[a] = (struct jval){ J_NUM, 0, cnt, NULL, 0 };
		break;
	case A_SUM:
		out[a] = (struct jval){ J_NUM, 0, sum, NULL, 0 };
		break;
	case A_AVG:
		out[a] = cnt > 0 ? (struct jval){ J_NUM, 0, sum / cnt, NULL, 0 }
		    : (struct jval){ 0 };
		break;
	case A_RATIO:
		out[a] = cnt2 > 0 ? (struct jval){ J_NUM, 0, cnt / cnt2, NULL, 0 }
		    : (struct jval){ 0 };
		break;
	case A_MIN: case A_MAX:
		out[a] = best;
		break;
	case A_FIRST:
		out[a] = firstv;
		break;
	case A_LAST:
		out[a] = lastv;
		break;
	default:
		break;
	}
}

/* rules_eval's way to an aggregate not yet computed for this event. */
static void
aggregate_lazy(struct evctx *c, int a)
{
	aggregate(c->agg_arg, a, c->aggv);
	c->aggdone |= 1u << a;
}

/* Every aggregate not yet computed (an alert shows them all). */
static void
aggregate_rest(struct evctx *c, const struct rule *r)
{
	for (int a = 0; a < r->naggs; a++)
		if (!(c->aggdone >> a & 1))
			aggregate_lazy(c, a);
}

/* ---- events ---- */

static int
stream_match(const struct rule *r, struct jval s)
{
	if (r->nstreams == 0)
		return 1;
	if (s.t != J_STR)
		return 0;
	for (int i = 0; i < r->nstreams; i++)
		if (r->streamlen[i] == s.len &&
		    buf_eq_short(r->streams[i], s.s, s.len))
			return 1;
	return 0;
}

/* The index of stream name s in the engine's copies, or -1. */
static int
sname_find(const struct engine *en, const char *s, size_t n)
{
	for (int i = 0; i < en->nsn; i++)
		if (en->sn[i].len == n && memcmp(en->sn[i].s, s, n) == 0)
			return i;
	return -1;
}

/* Which rules take events of stream name i of the engine's copies: a
 * byte per rule, made when first asked for. */
static const unsigned char *
sname_rules(struct engine *en, int i)
{
	const struct rules *rs = en->rs;
	struct jval s = { J_STR, 0, 0, en->sn[i].s, en->sn[i].len };

	if (en->smrow[i] == NULL) {
		en->smrow[i] = xmalloc(rs->n + 1);
		for (int k = 0; k < rs->n; k++)
			en->smrow[i][k] =
			    (unsigned char)stream_match(&rs->r[k], s);
	}
	return en->smrow[i];
}

/* Which rules take events of stream s: a byte per rule. */
static const unsigned char *
stream_rules(struct engine *en, struct jval s)
{
	const struct rules *rs = en->rs;
	int i = s.t == J_STR ? sname_find(en, s.s, s.len) : -1;

	if (i >= 0)
		return sname_rules(en, i);
	for (i = 0; i < rs->n; i++)
		en->smtmp[i] = (unsigned char)stream_match(&rs->r[i], s);
	return en->smtmp;
}

/* Rule ri's state of key, made when new; a string key's hash is the one
 * event_run made. */
static struct wkey *
key_get(struct engine *en, int ri, struct jval key)
{
	struct buf *kb = &en->tmpb;

	if (key.t == J_STR)
		return wt_get_h(&en->wt[ri], key.s, key.len, en->khash[ri], 1);
	buf_reset(kb);
	key_text(key, kb);
	return wt_get(&en->wt[ri], kb->p, kb->len, 1);
}

static void
run_window(struct engine *en, int ri, struct evctx *c, struct jval key,
    double wm, struct buf *out)
{
	const struct rule *r = &en->rs->r[ri];
	struct wtable *wt = &en->wt[ri];
	struct jval *tv = en->tmp;
	struct jval aggv[64];
	struct wkey *wk;
	struct wentry *e;
	size_t cur;
	double lo, hi = c->time, wstart = NAN;

	wk = key_get(en, ri, key);
	/* each aggregate keeps its value, and two bits: its filter (a
	 * ratio's numerator) and a ratio's denominator */
	uint64_t conds = 0;
	for (int a = 0; a < r->naggs; a++) {
		const struct agg *g = &r->aggs[a];
		if (g->arg)
			tv[g->vi] = rules_eval(g->arg, c);
		if (g->cond == NULL || jv_true(rules_eval(g->cond, c)))
			conds |= 1ULL << (2 * a);
		if (g->cond2 == NULL || jv_true(rules_eval(g->cond2, c)))
			conds |= 1ULL << (2 * a + 1);
	}
	e = went_new(c->time, 0, c->id.s, c->id.len, tv, r->nvals,
	    r->hashed);
	e->conds = conds;
	if (r->tumbling) {
		lo = floor(c->time / r->window) * r->window;
		wstart = lo;
		wk_evict(wt, wk, wm - r->window, en->o.max_per_key - 1);
	} else {
		/* (time - window, time]: an event of the window's first
		 * instant is out of it, and of every later one */
		lo = nextafter(c->time - r->window, INFINITY);
		wstart = c->time - r->window;
		wk_evict(wt, wk, lo, en->o.max_per_key - 1);
	}
	cur = wk_insert(wt, wk, e);
	/* each aggregate computed when the having expression first asks
	 * for it: a condition that fails spares the others */
	struct aggctx ax = { en, r, wt, wk, cur, lo, hi };
	c->aggv = aggv;
	c->aggdone = 0;
	c->agg_fill = aggregate_lazy;
	c->agg_arg = &ax;
	if (jv_true(rules_eval(r->having, c))) {
		struct fire f = { r, key, c->time, r->tumbling ? wstart : NAN,
			aggv, wk, lo, hi, NULL, NULL, c };
		aggregate_rest(c, r);
		fire(en, &f, out);
	}
	c->aggv = NULL;
	c->agg_fill = NULL;
	c->agg_arg = NULL;
}

static void
run_sequence(struct engine *en, int ri, struct evctx *c, struct jval key,
    double wm, struct buf *out)
{
	const struct rule *r = &en->rs->r[ri];
	struct wtable *wt = &en->wt[ri];
	int a = jv_true(rules_eval(r->seq_a, c));
	int b = jv_true(rules_eval(r->seq_b, c));
	struct wkey *wk;
	struct wentry *e;
	size_t cur, n;
	struct jval none[1];

	if (!a && !b)
		return;
	wk = key_get(en, ri, key);
	e = went_new(c->time, (a ? 1 : 0) | (b ? 2 : 0), c->id.s, c->id.len,
	    none, 0, 0);
	wk_evict(wt, wk, wm - r->within, en->o.max_per_key - 1);
	cur = wk_insert(wt, wk, e);
	n = wk_len(wk);
	if (b) {
		for (size_t i = cur; i-- > 0;) {
			const struct wentry *x = wk_at(wk, i);
			if (x->t < c->time - r->within)
				break;
			if (x->flags & 1) {
				struct fire f = { r, key, c->time, NAN, NULL, NULL,
					0, 0, x, e, c };
				fire(en, &f, out);
				return;
			}
		}
	}
	if (a) {
		for (size_t i = cur + 1; i < n; i++) {
			const struct wentry *x = wk_at(wk, i);
			if (x->t > c->time + r->within)
				break;
			if (x->flags & 2) {
				struct fire f = { r, key, x->t, NAN, NULL, NULL,
					0, 0, e, x, c };
				fire(en, &f, out);
				return;
			}
		}
	}
}

static void
tag_line(struct engine *en, const char *line, size_t len, struct buf *out)
{
	size_t end = len;

	while (end > 0 && line[end - 1] != '}')
		end--;
	if (end == 0) {
		buf_add(out, line, len);
		buf_putc(out, '\n');
		return;
	}
	end--;	/* at the closing brace */
	buf_add(out, line, end);
	/* an empty object gets no comma */
	size_t q = end;
	while (q > 0 && (line[q - 1] == ' ' || line[q - 1] == '\t'))
		q--;
	if (!(q > 0 && line[q - 1] == '{'))
		buf_putc(out, ',');
	buf_puts(out, "\"rules\":[");
	for (int i = 0; i < en->nfired; i++) {
		if (i)
			buf_putc(out, ',');
		buf_json_str(out, en->firednames[i], strlen(en->firednames[i]));
	}
	buf_puts(out, "]}\n");
}

/* ---- tagged events in order of arrival ---- */

static struct oslot *
oslot(struct engine *en, unsigned long long seq)
{
	return &en->os[seq & (en->oscap - 1)];
}

/* Make room for the events up to seq (not yet run). */
static void
oslot_open(struct engine *en, unsigned long long seq)
{
	size_t need = seq + 1 - en->obase, cap = en->oscap ? en->oscap : 256;

	if (seq < en->obase)
		return;
	while (cap < need)
		cap *= 2;
	if (cap != en->oscap) {
		struct oslot *n = xcalloc(cap, sizeof(*n));
		for (unsigned long long q = en->obase; en->oscap &&
		    q < en->obase + en->oscap; q++)
			n[q & (cap - 1)] = *oslot(en, q);
		free(en->os);
		en->os = n;
		en->oscap = cap;
	}
}

/* Write out the tagged events from obase on that have run. */
static void
oslot_drain(struct engine *en, struct buf *out)
{
	while (en->obase < en->eseq) {
		struct oslot *o = oslot(en, en->obase);
		if (!o->done)
			break;
		buf_add(out, o->text, o->len);
		free(o->text);
		o->text = NULL;
		o->done = 0;
		en->obase++;
	}
}

/* The event of arrival seq has run: out now, or when the earlier ones are. */
static void
tag_out(struct engine *en, unsigned long long seq, const char *line,
    size_t len, struct buf *out)
{
	struct oslot *o;

	if (seq == en->obase) {
		tag_line(en, line, len, out);
		en->obase++;
		oslot_drain(en, out);
		return;
	}
	if (seq < en->obase) {	/* a state without arrival numbers */
		tag_line(en, line, len, out);
		return;
	}
	buf_reset(&en->tagb);
	tag_line(en, line, len, &en->tagb);
	o = oslot(en, seq);
	o->text = xmalloc(en->tagb.len ? en->tagb.len : 1);
	memcpy(o->text, en->tagb.p, en->tagb.len);
	o->len = en->tagb.len;
	o->done = 1;
}

/*
 * The fields, stream, event time and id of a line, into c (its values in
 * en->vals and idb, until the next line). -1 with *err: bad record.
 */
static int
event_parse(struct engine *en, const char *line, size_t len, struct evctx *c,
    char *idb, size_t idbn, const char **err)
{
	struct rules *rs = en->rs;
	struct jval *f = en->vals;
	int tslot = -1;
	double t;

	if (len + 1 > en->scap) {
		en->scap = len + 1 > 4096 ? len + 1 : 4096;
		free(en->scratch);
		en->scratch = xmalloc(en->scap);
	}
	if (jf_extract(rs->jf, line, len, f, en->scratch, err) < 0)
		return -1;
	memset(c, 0, sizeof(*c));
	c->f = f;
	c->ar = &en->ar;
	c->stream = f[rs->topic_slot];
	if (c->stream.t != J_STR && en->o.default_stream) {
		c->stream.t = J_STR;
		c->stream.s = en->o.default_stream;
		c->stream.len = strlen(en->o.default_stream);
	}
	for (int i = 0; i < rs->ntf; i++) {
		const char *s = rs->tf[i].stream;
		if (s == NULL) {
			if (tslot < 0)
				tslot = rs->tf[i].slot;
		} else if (c->stream.t == J_STR && strlen(s) == c->stream.len &&
		    memcmp(s, c->stream.s, c->stream.len) == 0) {
			tslot = rs->tf[i].slot;
			break;
		}
	}
	if (tslot < 0 || f[tslot].t != J_STR ||
	    parse_time(f[tslot].s, f[tslot].len, &t) < 0) {
		static char msg[160];
		snprintf(msg, sizeof(msg), "%s event time in field %s",
		    tslot >= 0 && f[tslot].t != J_NULL ? "bad" : "no",
		    tslot >= 0 ? jf_path(rs->jf, tslot) : "?");
		*err = msg;
		return -1;
	}
	c->time = t;
	c->id.t = J_NULL;
	for (int i = 0; i < rs->nid; i++) {
		struct jval v = f[rs->id_slots[i]];
		if (v.t == J_STR || v.t == J_NUM) {
			c->id = v;
			break;
		}
	}
	if (c->id.t == J_NUM) {
		snprintf(idb, idbn, "%.15g", c->id.n);
		c->id.t = J_STR;
		c->id.s = idb;
		c->id.len = strlen(idb);
	} else if (c->id.t != J_STR) {
		/* no id field: the stream, the time and the customer (at most
		 * 30 bytes of each: 86 in all) */
		struct jval cu = f[rs->customer_slot];
		size_t sl = c->stream.t == J_STR ?
		    strnlen(c->stream.s, c->stream.len > 30 ? 30 : c->stream.len) : 0;
		size_t cl = cu.t == J_STR ?
		    strnlen(cu.s, cu.len > 30 ? 30 : cu.len) : 0, n;
		if (sl)
			memcpy(idb, c->stream.s, sl);
		n = sl;
		idb[n++] = '@';
		n += iso_ms((long long)llround(t * 1000), idb + n);
		idb[n++] = '#';
		if (cl)
			memcpy(idb + n, cu.s, cl);
		n += cl;
		idb[n] = '\0';
		c->id.t = J_STR;
		c->id.s = idb;
		c->id.len = n;
	}
	return 0;
}

/*
 * Idle keys expire in a sweep of every key, every 65536 events or, with
 * more keys than that, every as many events as keys: a key looked at per
 * event at most.
 */
static void
sweep_due(struct engine *en)
{
	if (++en->nsweep >= 65536) {
		size_t keys = 0;
		for (int i = 0; i < en->rs->n; i++)
			keys += en->wt[i].nkeys;
		if (en->nsweep >= keys) {
			en->nsweep = 0;
			engine_sweep(en);
		}
	}
}

/* Rule r (whose streams the event's is) takes the event in c: its where
 * holds, and key is one a state can be kept by. */
static int
rule_takes(const struct rule *r, struct evctx *c, struct jval key)
{
	if (key.t != J_STR && key.t != J_NUM && key.t != J_BOOL)
		return 0;
	return r->where == NULL || jv_true(rules_eval(r->where, c));
}

/*
 * Run the rules over the event in c. A late event is checked by the
 * stateless rules only. Otherwise events come here in event-time order,
 * so the event's time is how far evaluation has gone: windows keep what
 * it can still need and suppression spans that ended close before it.
 */
static void
event_run(struct engine *en, struct evctx *c, const struct hev *he,
    const char *line, size_t len, int late, unsigned long long seq,
    struct buf *out)
{
	struct rules *rs = en->rs;
	const struct jval *f = c->f;
	const unsigned char *sm = he != NULL && he->sm != NULL ? he->sm :
	    stream_rules(en, c->stream);
	double t = c->time;

	if (!late)
		close_due(en, out, t, 0);
	en->nfired = 0;
	/* the hashes of the string keys of the stateful rules on this
	 * stream, and their buckets and first keys loading at once rather
	 * than each in its turn */
	if (!late) {
		int np = 0, hs = -1;
		uint64_t h = 0;
		for (int i = 0; i < rs->n; i++) {
			const struct rule *r = &rs->r[i];
			struct jval key = f[r->key_slot];
			int k = en->rks[i];
			if (!r->stateful || key.t != J_STR || !sm[i])
				continue;
			if (he != NULL && k >= 0 && (he->khave >> k & 1)) {
				/* made when it was held, its key since
				 * prefetched */
				en->khash[i] = he->kh[k];
				continue;
			}
			/* rules keyed alike are most often next to each other */
			if (r->key_slot != hs) {
				h = hash_words(key.s, key.len);
				hs = r->key_slot;
			}
			en->khash[i] = h;
			wt_prefetch(&en->wt[i], en->khash[i], 0);
			en->kpre[np++] = i;
		}
		for (int k = 0; k < np; k++)
			wt_prefetch(&en->wt[en->kpre[k]],
			    en->khash[en->kpre[k]], 1);
	}
	for (int i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->r[i];

		if (!sm[i])
			continue;
		struct jval key = f[r->key_slot];
		if (he != NULL && i < 64 ? !(he->wpass >> i & 1) :
		    !rule_takes(r, c, key))
			continue;
		if (!r->stateful) {
			struct fire fi = { r, key, t, NAN, NULL, NULL, 0, 0,
				NULL, NULL, c };
			fire(en, &fi, out);
		} else if (late) {
			continue;
		} else if (r->seq_a) {
			run_sequence(en, i, c, key, t, out);
		} else {
			run_window(en, i, c, key, t, out);
		}
	}
	if (en->o.tag)
		tag_out(en, seq, line, len, out);
	arena_reset(&en->ar);
	sweep_due(en);
}

/*
 * Which rules of the event's stream take it: bit i for rule i (below 64)
 * when rule_takes. A where reads only the event, so it holds as well when
 * the event comes as when it runs.
 */
static uint64_t
event_takers(struct engine *en, struct evctx *c, int *any)
{
	const struct rules *rs = en->rs;
	const unsigned char *sm = stream_rules(en, c->stream);
	uint64_t pass = 0;

	*any = 0;
	for (int i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->r[i];
		if (!sm[i] || !rule_takes(r, c, c->f[r->key_slot]))
			continue;
		*any = 1;
		if (i < 64)
			pass |= 1ULL << i;
	}
	arena_reset(&en->ar);
	return pass;
}

/* ---- events held for ordering ---- */

/*
 * Held events run in order of time; equal times by stream name, then in
 * their order of arrival. Within one stream (a topic's partition, read in
 * order) events whose times do not go down so come out as they came in,
 * which keeps the positions a sink checks (ch-insert's offsets) rising;
 * and the order does not depend on how streams were interleaved.
 */
static int
eless(const struct held *a, const struct held *b)
{
	if (a->t != b->t)
		return a->t < b->t;
	if ((a->sname != NULL) != (b->sname != NULL))
		return a->sname == NULL;
	if (a->sname != NULL && a->sname != b->sname) {
		size_t l = a->slen < b->slen ? a->slen : b->slen;
		int d = memcmp(a->sname, b->sname, l);
		if (d != 0)
			return d < 0;
		if (a->slen != b->slen)
			return a->slen < b->slen;
	}
	return a->seq < b->seq;
}

/* The index of the engine's copy of stream name s, made when new; -1
 * past SNAMES names. */
static int
sname_add(struct engine *en, const char *s, size_t n)
{
	int i = sname_find(en, s, n);

	if (i >= 0 || en->nsn == SNAMES)
		return i;
	/* all n bytes: a name may hold a NUL (\u0000) */
	en->sn[en->nsn].s = xmalloc(n + 1);
	memcpy(en->sn[en->nsn].s, s, n);
	en->sn[en->nsn].s[n] = '\0';
	en->sn[en->nsn].len = n;
	return en->nsn++;
}

/* Put h in the queue at its place, or in the heap. */
static void
hold(struct engine *en, const struct held *hp)
{
	struct held h = *hp, x;
	size_t i, q;

	if (h.seq >= en->eseq)
		en->eseq = h.seq + 1;
	/* in the queue when at most QSHIFT of its events are later */
	for (q = en->fn; q > 0 && en->fn - q <= QSHIFT; q--)
		if (!eless(&h, &en->fq[(en->fh + q - 1) & (en->fcap - 1)]))
			break;
	if (en->fn - q <= QSHIFT) {
		if (en->fn == en->fcap) {
			size_t nc = en->fcap ? 2 * en->fcap : 256;
			struct held *nq = xmalloc(nc * sizeof(*nq));
			for (size_t k = 0; k < en->fn; k++)
				nq[k] = en->fq[(en->fh + k) & (en->fcap - 1)];
			free(en->fq);
			en->fq = nq;
			en->fcap = nc;
			en->fh = 0;
		}
		for (size_t k = en->fn; k > q; k--)
			en->fq[(en->fh + k) & (en->fcap - 1)] =
			    en->fq[(en->fh + k - 1) & (en->fcap - 1)];
		en->fq[(en->fh + q) & (en->fcap - 1)] = h;
		en->fn++;
		return;
	}
	if (en->en_ == en->ecap) {
		en->ecap = en->ecap ? 2 * en->ecap : 256;
		en->eb = xrealloc(en->eb, en->ecap * sizeof(*en->eb));
	}
	i = en->en_++;
	en->eb[i] = h;
	while (i > 0 && eless(&en->eb[i], &en->eb[(i - 1) / 2])) {
		x = en->eb[i];
		en->eb[i] = en->eb[(i - 1) / 2];
		en->eb[(i - 1) / 2] = x;
		i = (i - 1) / 2;
	}
}

/*
 * Hold the event parsed into c (from line, with its values in en->vals):
 * copy the values that are not null into one allocation, with the line
 * when it is written out (--tag) or saved (a state file), and the text
 * of the values that are not in it.
 */
static void
epush(struct engine *en, struct evctx *c, const char *line, size_t len,
    unsigned long long seq, uint64_t wpass)
{
	int nv = jf_count(en->rs->jf), nkv = 0, keep = en->o.tag || en->o.state;
	const struct jval *f = c->f;
	size_t sz, strs = 0;
	struct held h;
	struct hev *e;
	char *o;

#define OWN(v) (((v).t == J_STR || (v).t == J_RAW) && \
	!(keep && (v).s >= line && (v).s <= line + len) && \
	(v).s != en->o.default_stream)
	for (int k = 0; k < nv; k++) {
		if (f[k].t == J_NULL)
			continue;
		nkv++;
		if (OWN(f[k]))
			strs += f[k].len + 1;
	}
	if (OWN(c->stream))
		strs += c->stream.len + 1;
	if (OWN(c->id))
		strs += c->id.len + 1;
	sz = sizeof(*e) + nkv * sizeof(struct hval) + (keep ? len + 1 : 0) +
	    strs;
	e = en->nhfree > 0 ? en->hfree[--en->nhfree] : NULL;
	if (e == NULL || e->cap < sz) {
		free(e);
		e = xmalloc(sz + sz / 4);
		e->cap = sz + sz / 4;
	}
	e->khave = 0;
	for (int k = 0; k < en->nks; k++) {
		struct jval v = f[en->ks[k]];
		if (v.t == J_STR) {
			e->kh[k] = hash_words(v.s, v.len);
			e->khave |= 1u << k;
		}
	}
	e->kv = (struct hval *)(e + 1);
	e->nkv = nkv;
	o = (char *)(e->kv + nkv);
	e->line = NULL;
	e->len = len;
	if (keep) {
		e->line = o;
		memcpy(e->line, line, len);
		e->line[len] = '\0';
		o += len + 1;
	}
#define MOVE(v) do { \
	if (OWN(v)) { \
		buf_copy_short(o, (v).s, (v).len); \
		o[(v).len] = '\0'; \
		(v).s = o; \
		o += (v).len + 1; \
	} else if (((v).t == J_STR || (v).t == J_RAW) && \
	    (v).s != en->o.default_stream) { \
		(v).s = e->line + ((v).s - line); \
	} \
} while (0)
	nkv = 0;
	for (int k = 0; k < nv; k++) {
		struct jval v = f[k];
		struct hval *hv;
		if (v.t == J_NULL)
			continue;
		hv = &e->kv[nkv++];
		MOVE(v);
		hv->slot = k;
		hv->t = (unsigned char)v.t;
		hv->b = (unsigned char)v.b;
		hv->len = v.len;
		if (v.t == J_NUM)
			hv->u.n = v.n;
		else
			hv->u.s = v.s;
	}
	e->stream = c->stream;
	MOVE(e->stream);
	e->id = c->id;
	MOVE(e->id);
#undef MOVE
#undef OWN
	h = (struct held){ c->time, seq, NULL, 0, e };
	e->wpass = wpass;
	e->sm = NULL;
	if (e->stream.t == J_STR) {
		int si = sname_add(en, e->stream.s, e->stream.len);
		/* the engine's copy of the name, or past SNAMES the event's */
		h.sname = si >= 0 ? en->sn[si].s : e->stream.s;
		h.slen = e->stream.len;
		if (si >= 0)
			e->sm = sname_rules(en, si);
	}
	e->pfm = 0;
	for (int i = 0; e->sm != NULL && i < en->rs->n && i < 64; i++) {
		int k = en->rks[i];
		if (e->sm[i] && k >= 0 && (e->khave >> k & 1) &&
		    (e->wpass >> i & 1))
			e->pfm |= 1ULL << i;
	}
	hold(en, &h);
}

/*
 * Hold, for an event that no rule takes, only its place: when its turn
 * comes it closes the suppressions due by its time, as any event does,
 * and nothing else. 0 when it must be held whole (its stream name is past
 * the engine's SNAMES).
 */
static int
emark(struct engine *en, const struct evctx *c, unsigned long long seq)
{
	struct held h = { c->time, seq, NULL, 0, NULL };

	if (c->stream.t == J_STR) {
		int si = sname_add(en, c->stream.s, c->stream.len);
		if (si < 0)
			return 0;
		h.sname = en->sn[si].s;
		h.slen = en->sn[si].len;
	}
	hold(en, &h);
	return 1;
}

/* The first held event: the queue's head or the heap's top; NULL: none. */
static inline const struct held *
efirst(const struct engine *en)
{
	const struct held *q = en->fn ? &en->fq[en->fh] : NULL;

	if (en->en_ == 0)
		return q;
	if (q == NULL || eless(&en->eb[0], q))
		return &en->eb[0];
	return q;
}

/* Take the first held event. */
static struct held
epop(struct engine *en)
{
	struct held top, x;
	size_t i = 0, n;

	if (en->fn > 0 && efirst(en) == &en->fq[en->fh]) {
		top = en->fq[en->fh];
		en->fh = (en->fh + 1) & (en->fcap - 1);
		en->fn--;
		return top;
	}
	top = en->eb[0];

	n = --en->en_;
	en->eb[0] = en->eb[n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && eless(&en->eb[l], &en->eb[m]))
			m = l;
		if (r < n && eless(&en->eb[r], &en->eb[m]))
			m = r;
		if (m == i)
			break;
		x = en->eb[i];
		en->eb[i] = en->eb[m];
		en->eb[m] = x;
		i = m;
	}
	return top;
}

/*
 * Start loading what a held event's stateful rules will look up, in
 * stage 0, 1 or 2 of wt_prefetch. Events run one after another, each
 * taking the next three a stage on, so that these loads wait on none.
 */
static inline __attribute__((always_inline)) void
prefetch_keys(const struct engine *en, const struct hev *e, int stage)
{
	if (e == NULL)
		return;
	for (uint64_t m = e->pfm; m != 0; m &= m - 1) {
		int i = __builtin_ctzll(m);
		wt_prefetch(&en->wt[i], e->kh[en->rks[i]], stage);
	}
}

/* Run the held events earlier than before (all of them with all), in order. */
static void
release(struct engine *en, double before, int all, struct buf *out)
{
	struct evctx c;
	const struct held *f;

	while ((f = efirst(en)) != NULL && (all || f->t < before)) {
		struct held h = epop(en);
		const char *nx;
		/* the next one's values, while this one runs */
		if ((f = efirst(en)) != NULL && (nx = (const char *)f->e) !=
		    NULL) {
			size_t vb = sizeof(*f->e) + f->e->nkv *
			    sizeof(struct hval);
			for (size_t l = 0; l < vb; l += 64)
				__builtin_prefetch(nx + l);
		}
		/* most held events are in the queue, in order: the keys of
		 * the next three, each a stage on (a place taken as well, to
		 * keep the stages in step), and the hashes of the one after */
		for (size_t j = 0; j < 3 && j < en->fn; j++)
			prefetch_keys(en, en->fq[(en->fh + j) &
			    (en->fcap - 1)].e, 2 - (int)j);
		if (en->fn > 3 && (nx = (const char *)en->fq[(en->fh + 3) &
		    (en->fcap - 1)].e) != NULL) {
			__builtin_prefetch(nx);
			__builtin_prefetch(nx + 64);
		}
		if (h.e == NULL) {
			/* a place only (emark) */
			close_due(en, out, h.t, 0);
			sweep_due(en);
			continue;
		}
		memset(&c, 0, sizeof(c));
		memset(en->vals, 0, jf_count(en->rs->jf) * sizeof(*en->vals));
		for (int k = 0; k < h.e->nkv; k++) {
			const struct hval *hv = &h.e->kv[k];
			struct jval *v = &en->vals[hv->slot];
			v->t = (enum jtype)hv->t;
			v->b = hv->b;
			v->len = hv->len;
			if (hv->t == J_NUM)
				v->n = hv->u.n;
			else
				v->s = hv->u.s;
		}
		c.f = en->vals;
		c.ar = &en->ar;
		c.time = h.t;
		c.stream = h.e->stream;
		c.id = h.e->id;
		event_run(en, &c, h.e, h.e->line, h.e->len, 0, h.seq, out);
		if (en->nhfree < (int)(sizeof(en->hfree) / sizeof(en->hfree[0])))
			en->hfree[en->nhfree++] = h.e;
		else
			free(h.e);
	}
}

static size_t
pos_hash(const char *topic, size_t tn, int part)
{
	return (size_t)hash64(topic, tn, (uint64_t)(unsigned)part);
}

static void
pos_rehash(struct engine *en)
{
	free(en->posh);
	en->poshcap = en->poshcap ? en->poshcap * 2 : 64;
	en->posh = xcalloc(en->poshcap, sizeof(*en->posh));
	for (size_t i = 0; i < en->npos; i++) {
		const struct epos *p = &en->pos[i];
		size_t j = pos_hash(p->topic, p->tlen, p->part) & (en->poshcap - 1);
		while (en->posh[j])
			j = (j + 1) & (en->poshcap - 1);
		en->posh[j] = (int)i + 1;
	}
}

/* The position of a topic's partition, made when new. */
static struct epos *
pos_get(struct engine *en, const char *topic, size_t tn, int part)
{
	struct epos *p;
	size_t j;

	if (2 * (en->npos + 1) > en->poshcap)
		pos_rehash(en);
	j = pos_hash(topic, tn, part) & (en->poshcap - 1);
	for (; en->posh[j]; j = (j + 1) & (en->poshcap - 1)) {
		p = &en->pos[en->posh[j] - 1];
		if (p->part == part && p->tlen == tn &&
		    memcmp(p->topic, topic, tn) == 0)
			return p;
	}
	if (en->npos == en->poscap) {
		en->poscap = en->poscap ? en->poscap * 2 : 16;
		en->pos = xrealloc(en->pos, en->poscap * sizeof(*en->pos));
	}
	p = &en->pos[en->npos];
	p->topic = xstrndup(topic, tn);
	p->tlen = tn;
	p->part = part;
	p->off = -1;
	en->posh[j] = (int)++en->npos;
	return p;
}

/*
 * An event with a Kafka position: 1 when it is at or below the last one
 * of its partition and a state is kept (an event read again after a
 * restart), else its position becomes the partition's and 0.
 */
static int
seen(struct engine *en, struct jval topic, struct jval part, struct jval off)
{
	struct epos *p;

	if (topic.t != J_STR || part.t != J_NUM || off.t != J_NUM ||
	    part.n < 0 || part.n > INT_MAX || off.n < 0 || off.n > 9e15 ||
	    topic.len == 0)
		return 0;
	p = pos_get(en, topic.s, topic.len, (int)part.n);
	if (en->o.state && (long long)off.n <= p->off)
		return 1;
	p->off = (long long)off.n;
	return 0;
}

/*
 * An event is held until every event that may still come within the
 * lateness is later than it (its time is before the greatest time seen
 * less the lateness), then run with the others in order of event time
 * (and of text, for equal times): windows, sequences and suppression see
 * the events of a key in the same order however the streams and
 * partitions were interleaved. An event already later than the lateness
 * is run at once as late.
 */
int
engine_event(struct engine *en, const char *line, size_t len,
    struct buf *out, const char **err)
{
	struct evctx c;
	double t, wm;
	char idb[96];
	unsigned long long seq;

	if (event_parse(en, line, len, &c, idb, sizeof(idb), err) < 0)
		return -1;
	if (seen(en, en->vals[en->rs->topic_slot], en->vals[en->rs->part_slot],
	    en->vals[en->rs->offset_slot])) {
		en->skipped++;
		return 0;
	}
	t = c.time;
	en->events++;
	seq = en->eseq++;
	if (en->o.tag)
		oslot_open(en, seq);
	if (!en->have_clock || t > en->clock) {
		en->clock = t;
		en->have_clock = 1;
	}
	wm = en->clock - en->rs->lateness;
	if (t < wm) {
		en->late++;
		event_run(en, &c, NULL, line, len, 1, seq, out);
	} else if (t == en->clock && held_count(en) == 0 &&
	    en->rs->lateness <= 0) {
		event_run(en, &c, NULL, line, len, 0, seq, out);
	} else {
		/* of an event no rule takes only its place is held; with
		 * --tag every event is, to be written in its place */
		int any;
		uint64_t pass = event_takers(en, &c, &any);
		if (any || en->o.tag || !emark(en, &c, seq))
			epush(en, &c, line, len, seq, pass);
	}
	release(en, wm, 0, out);
	return 0;
}

void
engine_alerts_to(struct engine *en, struct buf *b)
{
	en->aout = en->o.tag ? b : NULL;
}

void
engine_set_barrier(struct engine *en, long long n)
{
	en->barrier = n;
}

long long
engine_barrier(const struct engine *en)
{
	return en->barrier;
}

void
engine_sweep(struct engine *en)
{
	double wm = en->clock - en->rs->lateness;

	for (int i = 0; i < en->rs->n; i++) {
		const struct rule *r = &en->rs->r[i];
		if (!r->stateful)
			continue;
		wt_sweep(&en->wt[i], wm - (r->seq_a ? r->within : r->window),
		    en->o.max_per_key);
	}
}

void
engine_stats(const struct engine *en, struct engine_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->events = en->events;
	st->late = en->late;
	st->fired = en->fired;
	st->alerts = en->alerts;
	st->skipped = en->skipped;
	st->pending = en->pn;
	st->clock = en->clock;
	for (int i = 0; i < en->rs->n; i++) {
		st->keys += en->wt[i].nkeys;
		st->entries += en->wt[i].nentries;
	}
}

void
engine_reload(struct engine *en, struct rules *rs, struct buf *out)
{
	struct rules *old = en->rs;
	struct wtable *owt = en->wt;

	engine_flush(en, out);
	en->rs = rs;
	en->wt = NULL;
	alloc_rules(en);
	for (int i = 0; i < rs->n; i++) {
		for (int j = 0; j < old->n; j++) {
			if (owt[j].s == NULL || rs->r[i].hash != old->r[j].hash ||
			    strcmp(rs->r[i].name, old->r[j].name) != 0)
				continue;
			wt_free(&en->wt[i]);
			en->wt[i] = owt[j];
			owt[j].s = NULL;
			break;
		}
	}
	for (int j = 0; j < old->n; j++)
		wt_free(&owt[j]);
	free(owt);
	rules_free(old);
}

/* ---- state ---- */

static json_t *
jv_json(struct jval v)
{
	switch (v.t) {
	case J_BOOL: return json_boolean(v.b);
	case J_NUM: return json_real(v.n);
	case J_STR: case J_RAW: return json_stringn(v.s, v.len);
	default: return json_null();
	}
}

static struct jval
json_jv(json_t *j)
{
	struct jval v = { 0 };

	if (json_is_boolean(j)) {
		v.t = J_BOOL;
		v.b = json_is_true(j);
	} else if (json_is_number(j)) {
		v.t = J_NUM;
		v.n = json_number_value(j);
	} else if (json_is_string(j)) {
		v.t = J_STR;
		v.s = json_string_value(j);
		v.len = json_string_length(j);
	}
	return v;
}

int
engine_save(struct engine *en, const char *path, char *err, size_t errlen)
{
	json_t *root = json_object(), *rules = json_object(), *pend = json_array();
	json_t *held = json_array();
	char hx[24];
	char *tmp;
	int fd, rc = 0;

	json_object_set_new(root, "version", json_integer(1));
	json_object_set_new(root, "clock", en->have_clock ?
	    json_real(en->clock) : json_null());
	json_object_set_new(root, "seq", json_integer((json_int_t)en->seq));
	for (int i = 0; i < en->rs->n; i++) {
		const struct rule *r = &en->rs->r[i];
		struct wtable *wt = &en->wt[i];
		json_t *jr, *keys;

		if (!r->stateful)
			continue;
		jr = json_object();
		keys = json_object();
		snprintf(hx, sizeof(hx), "%016llx", (unsigned long long)r->hash);
		json_object_set_new(jr, "hash", json_string(hx));
		for (size_t b = 0; b < wt->cap; b++) {
			struct wkey *k = wt_slot(wt, b);
			if (k != NULL) {
				json_t *ev = json_array();
				for (size_t x = 0; x < wk_len(k); x++) {
					const struct wentry *e = wk_at(k, x);
					json_t *vs = json_array();
					/* each aggregate's value and its two bits */
					for (int v = 0; v < r->naggs; v++) {
						int vi = r->aggs[v].vi;
						json_array_append_new(vs, jv_json(vi >= 0 &&
						    vi < e->nv ? went_val(e, vi) :
						    (struct jval){ 0 }));
						json_array_append_new(vs, json_boolean(
						    e->conds >> (2 * v) & 1));
						json_array_append_new(vs, json_boolean(
						    e->conds >> (2 * v + 1) & 1));
					}
					json_array_append_new(ev, json_pack("[f,s,i,o]",
					    e->t, went_id(e), (int)e->flags, vs));
				}
				if (json_array_size(ev) > 0)
					json_object_setn_new(keys, k->key, k->klen, ev);
				else
					json_decref(ev);
			}
		}
		json_object_set_new(jr, "keys", keys);
		json_object_set_new(rules, r->name, jr);
	}
	json_object_set_new(root, "rules", rules);
	for (size_t i = 0; i < en->hn; i++) {
		const struct pend *p = en->heap[i];
		json_array_append_new(pend, json_pack("{s:s%,s:s,s:f,s:f,s:f,s:I,s:I,s:s}",
		    "k", p->k, p->kl, "rule", p->rule, "first_t", p->first_t,
		    "close_t", p->close_t, "last_t", p->last_t,
		    "count", (json_int_t)p->count, "seq", (json_int_t)p->seq,
		    "text", p->text));
	}
	json_object_set_new(root, "pending", pend);
	/* the positions, as a sink's checkpoint names them (consume --resume) */
	json_t *streams = json_object();
	for (size_t i = 0; i < en->npos; i++) {
		const struct epos *p = &en->pos[i];
		char *name;
		if (p->off < 0)
			continue;
		name = xasprintf("kafka:%s:%d", p->topic, p->part);
		json_object_set_new(streams, name, json_pack("{s:s,s:i,s:I}",
		    "topic", p->topic, "partition", p->part,
		    "offset", (json_int_t)p->off));
		free(name);
	}
	json_object_set_new(root, "streams", streams);
	if (en->barrier > 0)
		json_object_set_new(root, "barrier", json_integer(
		    (json_int_t)en->barrier));
	for (size_t i = 0; i < held_count(en); i++) {
		const struct held *h = held_at(en, i);
		if (h->e == NULL)
			json_array_append_new(held, json_pack("[f,n,I,s?]",
			    h->t, (json_int_t)h->seq, h->sname));
		else if (h->e->line)
			json_array_append_new(held, json_pack("[f,s%,I]",
			    h->t, h->e->line, h->e->len, (json_int_t)h->seq));
	}
	json_object_set_new(root, "held", held);
	if (en->o.tag) {
		/* tagged events that wait for earlier ones */
		json_t *outq = json_array();
		for (unsigned long long q = en->obase; q < en->eseq; q++) {
			const struct oslot *o = oslot(en, q);
			if (o->done)
				json_array_append_new(outq, json_pack("[I,s%]",
				    (json_int_t)q, o->text, o->len));
		}
		json_object_set_new(root, "out_from", json_integer(
		    (json_int_t)en->obase));
		json_object_set_new(root, "out_waiting", outq);
	}
	tmp = xasprintf("%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || json_dumpfd(root, fd, JSON_COMPACT | JSON_SORT_KEYS) < 0 ||
	    write(fd, "\n", 1) != 1 || fsync(fd) < 0 || close(fd) < 0 ||
	    rename(tmp, path) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		rc = -1;
	}
	free(tmp);
	json_decref(root);
	return rc;
}

int
engine_load(struct engine *en, const char *path, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je), *rules, *pend;
	char hx[24];

	if (root == NULL) {
		if (access(path, F_OK) < 0 && errno == ENOENT)
			return 0;	/* a first run */
		snprintf(err, errlen, "%s:%d:%d: %s", path, je.line, je.column,
		    je.text);
		return -1;
	}
	if (!json_is_object(root) || json_integer_value(json_object_get(root,
	    "version")) != 1) {
		snprintf(err, errlen, "%s: not a detect state file", path);
		json_decref(root);
		return -1;
	}
	json_t *ck = json_object_get(root, "clock");
	if (json_is_number(ck)) {
		en->clock = json_number_value(ck);
		en->have_clock = 1;
	}
	en->seq = json_integer_value(json_object_get(root, "seq"));
	en->barrier = json_integer_value(json_object_get(root, "barrier"));
	{
		json_t *sv, *tp, *pt, *of;
		const char *sname;
		json_object_foreach(json_object_get(root, "streams"), sname, sv) {
			tp = json_object_get(sv, "topic");
			pt = json_object_get(sv, "partition");
			of = json_object_get(sv, "offset");
			if (!json_is_string(tp) || !json_is_integer(pt) ||
			    !json_is_integer(of) || json_integer_value(pt) < 0 ||
			    json_integer_value(pt) > INT_MAX)
				continue;
			pos_get(en, json_string_value(tp), strlen(json_string_value(tp)),
			    (int)json_integer_value(pt))->off = json_integer_value(of);
		}
	}
	rules = json_object_get(root, "rules");
	for (int i = 0; i < en->rs->n; i++) {
		const struct rule *r = &en->rs->r[i];
		json_t *jr = json_object_get(rules, r->name), *keys, *ev;
		const char *kname;
		size_t klen;

		snprintf(hx, sizeof(hx), "%016llx", (unsigned long long)r->hash);
		if (!json_is_object(jr) || !json_is_string(json_object_get(jr, "hash"))
		    || strcmp(json_string_value(json_object_get(jr, "hash")), hx))
			continue;	/* a changed rule starts afresh */
		keys = json_object_get(jr, "keys");
		json_object_keylen_foreach(keys, kname, klen, ev) {
			struct wkey *k = wt_get(&en->wt[i], kname, klen, 1);
			size_t x;
			json_t *je2;
			json_array_foreach(ev, x, je2) {
				json_t *vs = json_array_get(je2, 3);
				int nv = json_array_size(vs) / 3;
				const char *id = json_string_value(json_array_get(je2, 1));
				uint64_t conds = 0;
				struct wentry *we;
				struct jval *v;
				if (nv != r->naggs)
					continue;	/* not of this rule */
				v = xcalloc(r->nvals + 1, sizeof(*v));
				for (int q = 0; q < nv; q++) {
					if (r->aggs[q].vi >= 0)
						v[r->aggs[q].vi] = json_jv(
						    json_array_get(vs, 3 * q));
					if (json_is_true(json_array_get(vs, 3 * q + 1)))
						conds |= 1ULL << (2 * q);
					if (json_is_true(json_array_get(vs, 3 * q + 2)))
						conds |= 1ULL << (2 * q + 1);
				}
				if (id == NULL)
					id = "";
				we = went_new(json_number_value(json_array_get(je2, 0)),
				    json_integer_value(json_array_get(je2, 2)),
				    id, strlen(id), v, r->nvals, r->hashed);
				we->conds = conds;
				wk_insert(&en->wt[i], k, we);
				free(v);
			}
		}
	}
	pend = json_object_get(root, "pending");
	size_t x;
	json_t *jp;
	json_array_foreach(pend, x, jp) {
		json_t *k = json_object_get(jp, "k");
		const char *text = json_string_value(json_object_get(jp, "text"));
		const char *rule = json_string_value(json_object_get(jp, "rule"));
		if (!json_is_string(k) || text == NULL || rule == NULL)
			continue;
		struct pend *p = xcalloc(1, sizeof(*p));
		p->k = xstrndup(json_string_value(k), json_string_length(k));
		p->kl = json_string_length(k);
		p->h = hash64(p->k, p->kl, 3);
		p->rule = xstrdup(rule);
		p->first_t = json_number_value(json_object_get(jp, "first_t"));
		p->close_t = json_number_value(json_object_get(jp, "close_t"));
		p->last_t = json_number_value(json_object_get(jp, "last_t"));
		p->count = json_integer_value(json_object_get(jp, "count"));
		p->seq = json_integer_value(json_object_get(jp, "seq"));
		p->text = xstrdup(text);
		padd(en, p);
	}
	json_array_foreach(json_object_get(root, "held"), x, jp) {
		json_t *l = json_array_get(jp, 1), *q = json_array_get(jp, 2);
		struct evctx c;
		char idb[96];
		const char *perr;
		if (!json_is_number(json_array_get(jp, 0)) ||
		    !(json_is_string(l) || json_is_null(l)))
			continue;
		/* the arrival number as saved (a state without them: in the
		 * order of the file) */
		unsigned long long seq = json_is_integer(q) ?
		    (unsigned long long)json_integer_value(q) : en->eseq;
		if (seq >= en->eseq)
			en->eseq = seq + 1;
		if (json_is_null(l)) {
			/* a place only: its time and stream */
			json_t *sn = json_array_get(jp, 3);
			memset(&c, 0, sizeof(c));
			c.time = json_number_value(json_array_get(jp, 0));
			if (json_is_string(sn)) {
				c.stream.t = J_STR;
				c.stream.s = json_string_value(sn);
				c.stream.len = json_string_length(sn);
			}
			/* past SNAMES stream names (when they were more
			 * than at the save) it is dropped: it had no rule */
			emark(en, &c, seq);
			continue;
		}
		if (event_parse(en, json_string_value(l), json_string_length(l),
		    &c, idb, sizeof(idb), &perr) < 0)
			continue;
		c.time = json_number_value(json_array_get(jp, 0));
		int any;
		uint64_t pass = event_takers(en, &c, &any);
		epush(en, &c, json_string_value(l), json_string_length(l), seq,
		    pass);
	}
	if (en->o.tag) {
		/* output resumes at the first event not written out */
		json_t *of = json_object_get(root, "out_from"), *w;
		unsigned long long lo;
		json_array_foreach(json_object_get(root, "out_waiting"), x, w)
			if (json_is_integer(json_array_get(w, 0)) &&
			    (unsigned long long)json_integer_value(
			    json_array_get(w, 0)) >= en->eseq)
				en->eseq = json_integer_value(json_array_get(w, 0)) + 1;
		lo = en->eseq;
		for (size_t i = 0; i < held_count(en); i++)
			if (held_at(en, i)->seq < lo)
				lo = held_at(en, i)->seq;
		json_array_foreach(json_object_get(root, "out_waiting"), x, w)
			if (json_is_integer(json_array_get(w, 0)) &&
			    (unsigned long long)json_integer_value(
			    json_array_get(w, 0)) < lo)
				lo = json_integer_value(json_array_get(w, 0));
		en->obase = json_is_integer(of) &&
		    (unsigned long long)json_integer_value(of) <= lo ?
		    (unsigned long long)json_integer_value(of) : lo;
		if (en->eseq > en->obase)
			oslot_open(en, en->eseq - 1);
		json_array_foreach(json_object_get(root, "out_waiting"), x, w) {
			json_t *q = json_array_get(w, 0), *tx = json_array_get(w, 1);
			if (!json_is_integer(q) || !json_is_string(tx) ||
			    (unsigned long long)json_integer_value(q) < en->obase ||
			    (unsigned long long)json_integer_value(q) >= en->eseq)
				continue;
			struct oslot *o = oslot(en, json_integer_value(q));
			free(o->text);
			o->len = json_string_length(tx);
			o->text = xmalloc(o->len ? o->len : 1);
			memcpy(o->text, json_string_value(tx), o->len);
			o->done = 1;
		}
	}
	json_decref(root);
	return 0;
}
