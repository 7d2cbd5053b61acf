/* pgoutput.c: decoder of pgoutput's logical replication messages. */
#include "pgoutput.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Microseconds between 1970-01-01 and 2000-01-01. */
#define PG_EPOCH_MS 946684800000LL

struct rd {
	const unsigned char *p;
	size_t len, off;
	char *err;
	size_t errlen;
	int bad;
};

static int
fail(struct rd *r, const char *what)
{
	if (!r->bad)
		snprintf(r->err, r->errlen, "%s at byte %zu of %zu", what,
		    r->off, r->len);
	r->bad = 1;
	return -1;
}

static int
need(struct rd *r, size_t n, const char *what)
{
	if (r->bad)
		return -1;
	if (r->len - r->off < n)
		return fail(r, what);
	return 0;
}

uint64_t
pgo_get64(const unsigned char *p)
{
	return (uint64_t)pgo_get32(p) << 32 | pgo_get32(p + 4);
}

uint32_t
pgo_get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

void
pgo_put64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = v & 0xff;
		v >>= 8;
	}
}

long long
pgo_ts_ms(int64_t us)
{
	/* floor division, so that times before 2000 round down too */
	long long ms = us / 1000;

	if (us % 1000 < 0)
		ms--;
	return ms + PG_EPOCH_MS;
}

static uint8_t
rd8(struct rd *r, const char *what)
{
	if (need(r, 1, what))
		return 0;
	return r->p[r->off++];
}

static uint16_t
rd16(struct rd *r, const char *what)
{
	uint16_t v;

	if (need(r, 2, what))
		return 0;
	v = (uint16_t)(r->p[r->off] << 8 | r->p[r->off + 1]);
	r->off += 2;
	return v;
}

static uint32_t
rd32(struct rd *r, const char *what)
{
	uint32_t v;

	if (need(r, 4, what))
		return 0;
	v = pgo_get32(r->p + r->off);
	r->off += 4;
	return v;
}

static uint64_t
rd64(struct rd *r, const char *what)
{
	uint64_t v;

	if (need(r, 8, what))
		return 0;
	v = pgo_get64(r->p + r->off);
	r->off += 8;
	return v;
}

/* A NUL-terminated string inside the message. */
static const char *
rdstr(struct rd *r, const char *what)
{
	const unsigned char *s, *z;

	if (r->bad)
		return "";
	s = r->p + r->off;
	z = memchr(s, 0, r->len - r->off);
	if (z == NULL) {
		fail(r, what);
		return "";
	}
	r->off += (size_t)(z - s) + 1;
	return (const char *)s;
}

static int
rdtuple(struct rd *r, struct pgo_tuple *t)
{
	int n = rd16(r, "truncated tuple header");

	if (r->bad)
		return -1;
	/* each column takes at least one byte */
	if ((size_t)n > r->len - r->off)
		return fail(r, "tuple column count past the end");
	if (n > t->cap) {
		t->cols = xrealloc(t->cols, (size_t)n * sizeof *t->cols);
		t->cap = n;
	}
	t->ncols = n;
	for (int i = 0; i < n; i++) {
		struct pgo_col *c = &t->cols[i];

		c->kind = (char)rd8(r, "truncated tuple column");
		c->len = 0;
		c->data = NULL;
		switch (c->kind) {
		case 'n':
		case 'u':
			break;
		case 't':
		case 'b':
			c->len = rd32(r, "truncated column length");
			if (need(r, c->len, "column value past the end"))
				return -1;
			c->data = (const char *)r->p + r->off;
			r->off += c->len;
			break;
		default:
			if (!r->bad)
				return fail(r, "unknown tuple column kind");
			return -1;
		}
	}
	return r->bad ? -1 : 0;
}

void
pgo_msg_init(struct pgo_msg *m)
{
	memset(m, 0, sizeof *m);
}

void
pgo_msg_free(struct pgo_msg *m)
{
	free(m->oldtup.cols);
	free(m->newtup.cols);
	pgo_msg_init(m);
}

static void
reset(struct pgo_msg *m)
{
	struct pgo_tuple o = m->oldtup, n = m->newtup;

	memset(m, 0, sizeof *m);
	o.ncols = n.ncols = 0;
	m->oldtup = o;
	m->newtup = n;
}

/* The column list of a Relation message: check it and count columns. */
static int
rdrelcols(struct rd *r, struct pgo_msg *m)
{
	size_t start;
	int n = rd16(r, "truncated column count");

	start = r->off;
	for (int i = 0; i < n && !r->bad; i++) {
		rd8(r, "truncated column flags");
		rdstr(r, "unterminated column name");
		rd32(r, "truncated column type");
		rd32(r, "truncated column type modifier");
	}
	if (r->bad)
		return -1;
	m->nrelcols = n;
	m->relcols = r->p + start;
	m->relcols_len = r->off - start;
	return 0;
}

int
pgo_decode(struct pgo_msg *m, const void *data, size_t len,
    struct pgo_state *st, char *err, size_t errlen)
{
	struct rd r = { data, len, 0, err, errlen, 0 };
	int streamed;
	char k;

	reset(m);
	if (len == 0) {
		snprintf(err, errlen, "empty message");
		return -1;
	}
	k = m->kind = (char)r.p[r.off++];
	/* inside a streamed chunk, data messages carry the xid first */
	streamed = st->proto >= 2 && st->in_stream;
	switch (k) {
	case PGO_BEGIN:
		m->lsn = rd64(&r, "truncated Begin");
		m->ts = (int64_t)rd64(&r, "truncated Begin");
		m->xid = rd32(&r, "truncated Begin");
		break;
	case PGO_COMMIT:
		m->flags = rd8(&r, "truncated Commit");
		m->lsn = rd64(&r, "truncated Commit");
		m->end_lsn = rd64(&r, "truncated Commit");
		m->ts = (int64_t)rd64(&r, "truncated Commit");
		break;
	case PGO_ORIGIN:
		m->lsn = rd64(&r, "truncated Origin");
		m->name = rdstr(&r, "unterminated origin name");
		break;
	case PGO_RELATION:
		if (streamed)
			m->xid = rd32(&r, "truncated Relation");
		m->relid = rd32(&r, "truncated Relation");
		m->nspname = rdstr(&r, "unterminated namespace");
		m->relname = rdstr(&r, "unterminated relation name");
		m->replident = (char)rd8(&r, "truncated Relation");
		rdrelcols(&r, m);
		break;
	case PGO_TYPE:
		if (streamed)
			m->xid = rd32(&r, "truncated Type");
		m->typid = rd32(&r, "truncated Type");
		m->nspname = rdstr(&r, "unterminated namespace");
		m->relname = rdstr(&r, "unterminated type name");
		break;
	case PGO_INSERT:
		if (streamed)
			m->xid = rd32(&r, "truncated Insert");
		m->relid = rd32(&r, "truncated Insert");
		if (rd8(&r, "truncated Insert") != 'N' && !r.bad)
			fail(&r, "Insert without a new tuple");
		if (!r.bad)
			rdtuple(&r, &m->newtup);
		break;
	case PGO_UPDATE:
	case PGO_DELETE: {
		char t;

		if (streamed)
			m->xid = rd32(&r, "truncated change");
		m->relid = rd32(&r, "truncated change");
		t = (char)rd8(&r, "truncated change");
		if (!r.bad && (t == 'K' || t == 'O')) {
			m->old_kind = t;
			if (rdtuple(&r, &m->oldtup) == 0 && k == PGO_UPDATE)
				t = (char)rd8(&r, "Update without a new tuple");
		} else if (!r.bad && k == PGO_DELETE) {
			fail(&r, "Delete without an old tuple");
		}
		if (!r.bad && k == PGO_UPDATE) {
			if (t != 'N')
				fail(&r, "Update without a new tuple");
			else
				rdtuple(&r, &m->newtup);
		}
		break;
	}
	case PGO_TRUNCATE:
		if (streamed)
			m->xid = rd32(&r, "truncated Truncate");
		m->nrels = (int)rd32(&r, "truncated Truncate");
		m->flags = rd8(&r, "truncated Truncate");
		if (!r.bad && (m->nrels < 0 ||
		    (size_t)m->nrels > (r.len - r.off) / 4))
			fail(&r, "Truncate relation count past the end");
		if (!r.bad) {
			m->relids = r.p + r.off;
			r.off += (size_t)m->nrels * 4;
		}
		break;
	case PGO_MESSAGE:
		if (streamed)
			m->xid = rd32(&r, "truncated Message");
		m->flags = rd8(&r, "truncated Message");
		m->lsn = rd64(&r, "truncated Message");
		m->name = rdstr(&r, "unterminated message prefix");
		m->content_len = rd32(&r, "truncated Message");
		if (!need(&r, m->content_len, "message content past the end")) {
			m->content = (const char *)r.p + r.off;
			r.off += m->content_len;
		}
		break;
	case PGO_STREAM_START:
		m->xid = rd32(&r, "truncated Stream Start");
		m->first_segment = rd8(&r, "truncated Stream Start");
		if (!r.bad)
			st->in_stream = 1;
		break;
	case PGO_STREAM_STOP:
		st->in_stream = 0;
		break;
	case PGO_STREAM_COMMIT:
		m->xid = rd32(&r, "truncated Stream Commit");
		m->flags = rd8(&r, "truncated Stream Commit");
		m->lsn = rd64(&r, "truncated Stream Commit");
		m->end_lsn = rd64(&r, "truncated Stream Commit");
		m->ts = (int64_t)rd64(&r, "truncated Stream Commit");
		break;
	case PGO_STREAM_ABORT:
		m->xid = rd32(&r, "truncated Stream Abort");
		m->subxid = rd32(&r, "truncated Stream Abort");
		break;
	default:
		snprintf(err, errlen, "unknown message type 0x%02x",
		    (unsigned char)k);
		return -1;
	}
	if (r.bad)
		return -1;
	if (r.off != r.len) {
		snprintf(err, errlen, "%zu bytes left after message '%c'",
		    r.len - r.off, k);
		return -1;
	}
	return 0;
}

uint32_t
pgo_truncate_relid(const struct pgo_msg *m, int i)
{
	return pgo_get32(m->relids + (size_t)i * 4);
}

void
pgo_relcache_init(struct pgo_relcache *c)
{
	memset(c, 0, sizeof *c);
}

static void
relation_free(struct pgo_relation *rel)
{
	if (rel == NULL)
		return;
	for (int i = 0; i < rel->ncols; i++)
		free(rel->cols[i].name);
	free(rel->cols);
	free(rel->nspname);
	free(rel->relname);
	free(rel->user);
	free(rel);
}

void
pgo_relcache_free(struct pgo_relcache *c)
{
	for (int i = 0; i < c->n; i++)
		relation_free(c->rels[i]);
	free(c->rels);
	pgo_relcache_init(c);
}

struct pgo_relation *
pgo_relation_get(struct pgo_relcache *c, uint32_t oid)
{
	if (c->last < c->n && c->rels[c->last]->oid == oid)
		return c->rels[c->last];
	for (int i = 0; i < c->n; i++)
		if (c->rels[i]->oid == oid) {
			c->last = i;
			return c->rels[i];
		}
	return NULL;
}

struct pgo_relation *
pgo_relation_put(struct pgo_relcache *c, const struct pgo_msg *m)
{
	struct pgo_relation *rel = xcalloc(1, sizeof *rel);
	const unsigned char *p = m->relcols;
	int i;

	rel->oid = m->relid;
	rel->nspname = xstrdup(m->nspname);
	rel->relname = xstrdup(m->relname);
	rel->replident = m->replident;
	rel->ncols = m->nrelcols;
	rel->cols = xcalloc((size_t)(m->nrelcols ? m->nrelcols : 1),
	    sizeof *rel->cols);
	/* the list was checked by pgo_decode */
	for (i = 0; i < m->nrelcols; i++) {
		struct pgo_relcol *col = &rel->cols[i];
		size_t n;

		col->key = *p++ & 1;
		n = strlen((const char *)p);
		col->name = xstrndup((const char *)p, n);
		p += n + 1;
		col->typid = pgo_get32(p);
		col->typmod = (int32_t)pgo_get32(p + 4);
		p += 8;
	}
	for (i = 0; i < c->n; i++)
		if (c->rels[i]->oid == rel->oid) {
			relation_free(c->rels[i]);
			c->rels[i] = rel;
			return rel;
		}
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->rels = xrealloc(c->rels, (size_t)c->cap * sizeof *c->rels);
	}
	c->rels[c->n++] = rel;
	return rel;
}
