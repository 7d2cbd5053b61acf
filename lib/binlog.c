/* binlog.c: MySQL / MariaDB binary log events, decoded from bytes. */
#include "binlog.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>
#include <zlib.h>
#include <zstd.h>

/* Refuse to inflate anything larger than this (a corrupt length). */
#define BL_MAX_INFLATE (1UL << 30)

static uint64_t
le(const unsigned char *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static int
fail(struct binlog *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
fail(struct binlog *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b->err, sizeof b->err, fmt, ap);
	va_end(ap);
	return -1;
}

/* A length-encoded integer; -1 when short or malformed. */
static int
lenenc(const unsigned char **pp, const unsigned char *end, uint64_t *v)
{
	const unsigned char *p = *pp;
	int k;
	if (p >= end)
		return -1;
	switch (p[0]) {
	case 251: return -1;
	case 252: k = 2; break;
	case 253: k = 3; break;
	case 254: k = 8; break;
	case 255: return -1;
	default:
		*v = p[0];
		*pp = p + 1;
		return 0;
	}
	if (end - p < 1 + k)
		return -1;
	*v = le(p + 1, k);
	*pp = p + 1 + k;
	return 0;
}

uint32_t
bl_crc32(const unsigned char *p, size_t n)
{
	/* libdeflate's: carry-less multiplication where the CPU has it,
	 * about ten times zlib's speed here */
	return libdeflate_crc32(0, p, n);
}

void
bl_init(struct binlog *b)
{
	memset(b, 0, sizeof *b);
	b->verify = 1;
	buf_init(&b->scratch);
	buf_init(&b->payload);
	/* Defaults of a v4 binlog, until a FORMAT_DESCRIPTION says. */
	b->post_len[BL_QUERY] = 13;
	b->post_len[BL_ROTATE] = 8;
	b->post_len[BL_TABLE_MAP] = 8;
	for (int t = BL_WRITE_ROWS_V1; t <= BL_DELETE_ROWS_V1; t++)
		b->post_len[t] = 8;
	for (int t = BL_WRITE_ROWS; t <= BL_DELETE_ROWS; t++)
		b->post_len[t] = 10;
	b->post_len[BL_PARTIAL_UPDATE_ROWS] = 10;
	for (int t = BL_MARIA_WRITE_ROWS_COMPRESSED_V1;
	    t <= BL_MARIA_DELETE_ROWS_COMPRESSED_V1; t++)
		b->post_len[t] = 8;
	for (int t = BL_MARIA_WRITE_ROWS_COMPRESSED;
	    t <= BL_MARIA_DELETE_ROWS_COMPRESSED; t++)
		b->post_len[t] = 10;
	b->post_len[BL_MARIA_QUERY_COMPRESSED] = 13;
}

static void
table_free(struct bl_table *t)
{
	if (!t)
		return;
	free(t->cols);
	free(t->raw);
	free(t->strs);
	free(t->vals);
	free(t->vlens);
	free(t->plan);
	free(t->user);
	free(t);
}

void
bl_tables_clear(struct binlog *b)
{
	for (size_t i = 0; i < b->ntables; i++)
		table_free(b->tables[i]);
	b->ntables = 0;
}

void
bl_free(struct binlog *b)
{
	bl_tables_clear(b);
	free(b->tables);
	buf_free(&b->scratch);
	buf_free(&b->payload);
}

struct bl_table *
bl_table_get(struct binlog *b, uint64_t id)
{
	for (size_t i = b->ntables; i-- > 0;)
		if (b->tables[i]->id == id)
			return b->tables[i];
	return NULL;
}

static int
is_numeric(int t)
{
	switch (t) {
	case MYT_TINY: case MYT_SHORT: case MYT_INT24: case MYT_LONG:
	case MYT_LONGLONG: case MYT_FLOAT: case MYT_DOUBLE: case MYT_NEWDECIMAL:
	case MYT_DECIMAL:
		return 1;
	}
	return 0;
}

static int
is_character(int t)
{
	switch (t) {
	case MYT_STRING: case MYT_VAR_STRING: case MYT_VARCHAR: case MYT_BLOB:
	case MYT_TINY_BLOB: case MYT_MEDIUM_BLOB: case MYT_LONG_BLOB:
		return 1;
	}
	return 0;
}

/* Optional metadata strings (names, enum and set values) are copied into
 * one block; first pass measures, second fills. */
struct strpool {
	char *p;
	size_t len, cap;
};

static const char *
pool_add(struct strpool *sp, const unsigned char *s, size_t n)
{
	if (!sp->p) {
		sp->len += n + 1;
		return "";
	}
	char *d = sp->p + sp->len;
	memcpy(d, s, n);
	d[n] = 0;
	sp->len += n + 1;
	return d;
}

/*
 * Parse the optional metadata. With fill 0, count the bytes and values
 * needed; with fill 1, set them.
 */
static int
table_optmeta(struct bl_table *t, const unsigned char *p,
    const unsigned char *end, struct strpool *sp, uint32_t *nvals, int fill,
    int maria)
{
	uint32_t vi = 0;

	while (p < end) {
		int type = *p++;
		uint64_t len, v;
		if (lenenc(&p, end, &len) < 0 || len > (uint64_t)(end - p))
			return -1;
		const unsigned char *q = p, *qe = p + len;
		p = qe;
		switch (type) {
		case 1: {	/* SIGNEDNESS, most significant bit first */
			uint32_t k = 0;
			for (uint32_t i = 0; i < t->ncols; i++) {
				/* MariaDB's YEAR is a number with a sign too */
				if (!is_numeric(t->cols[i].type) &&
				    !(maria && t->cols[i].type == MYT_YEAR))
					continue;
				if (k / 8 >= len)
					return -1;
				if (fill)
					t->cols[i].is_unsigned =
					    q[k / 8] >> (7 - k % 8) & 1;
				k++;
			}
			break;
		}
		case 2: case 10: {	/* DEFAULT_CHARSET (+ per column) */
			uint64_t def;
			if (lenenc(&q, qe, &def) < 0)
				return -1;
			int enumset = type == 10;
			if (fill)
				for (uint32_t i = 0; i < t->ncols; i++) {
					int et = t->cols[i].type == MYT_ENUM ||
					    t->cols[i].type == MYT_SET;
					if (enumset ? et : (is_character(
					    t->cols[i].type) && !et))
						t->cols[i].charset = (uint16_t)def;
				}
			while (q < qe) {
				uint64_t idx, cs;
				if (lenenc(&q, qe, &idx) < 0 ||
				    lenenc(&q, qe, &cs) < 0)
					return -1;
				uint32_t k = 0;
				for (uint32_t i = 0; i < t->ncols; i++) {
					int et = t->cols[i].type == MYT_ENUM ||
					    t->cols[i].type == MYT_SET;
					if (enumset ? !et : (!is_character(
					    t->cols[i].type) || et))
						continue;
					if (k++ == idx && fill)
						t->cols[i].charset = (uint16_t)cs;
				}
			}
			break;
		}
		case 3: case 11: {	/* COLUMN_CHARSET */
			int enumset = type == 11;
			for (uint32_t i = 0; i < t->ncols; i++) {
				int et = t->cols[i].type == MYT_ENUM ||
				    t->cols[i].type == MYT_SET;
				if (enumset ? !et : (!is_character(
				    t->cols[i].type) || et))
					continue;
				if (lenenc(&q, qe, &v) < 0)
					return -1;
				if (fill)
					t->cols[i].charset = (uint16_t)v;
			}
			break;
		}
		case 4:		/* COLUMN_NAME */
			for (uint32_t i = 0; i < t->ncols; i++) {
				if (lenenc(&q, qe, &v) < 0 ||
				    v > (uint64_t)(qe - q))
					return -1;
				const char *s = pool_add(sp, q, v);
				if (fill)
					t->cols[i].name = s;
				q += v;
			}
			if (fill)
				t->has_names = 1;
			break;
		case 5: case 6: {	/* SET_STR_VALUE, ENUM_STR_VALUE */
			int want = type == 5 ? MYT_SET : MYT_ENUM;
			for (uint32_t i = 0; i < t->ncols; i++) {
				if (t->cols[i].type != want)
					continue;
				uint64_t cnt;
				if (lenenc(&q, qe, &cnt) < 0 ||
				    cnt > (uint64_t)(qe - q))
					return -1;
				if (fill) {
					t->cols[i].vals = t->vals + vi;
					t->cols[i].vlens = t->vlens + vi;
					t->cols[i].nvals = (uint32_t)cnt;
				}
				for (uint64_t j = 0; j < cnt; j++) {
					if (lenenc(&q, qe, &v) < 0 ||
					    v > (uint64_t)(qe - q))
						return -1;
					const char *s = pool_add(sp, q, v);
					if (fill) {
						t->vals[vi] = s;
						t->vlens[vi] = (uint32_t)v;
					}
					vi++;
					q += v;
				}
			}
			break;
		}
		default:	/* geometry types, keys, visibility: not needed */
			break;
		}
	}
	*nvals = vi;
	return 0;
}

static int
table_map(struct binlog *b, const unsigned char *body, size_t n,
    struct bl_event *ev)
{
	const unsigned char *p = body, *end = body + n;
	int idlen = b->post_len[BL_TABLE_MAP] == 6 ? 4 : 6;
	uint64_t id, ncols, mlen;
	struct bl_table *t;

	if (n < (size_t)idlen + 2)
		return fail(b, "TABLE_MAP: short event");
	id = le(p, idlen);
	/* The same map again (each transaction repeats it): keep ours. */
	if ((t = bl_table_get(b, id)) != NULL && t->rawlen == n &&
	    memcmp(t->raw, body, n) == 0) {
		ev->table = t;
		return 0;
	}
	p += idlen + 2;
	if (p >= end || end - p < 1 + p[0] + 1)
		return fail(b, "TABLE_MAP: bad database name");
	const unsigned char *db = p + 1;
	size_t dblen = p[0];
	p += 1 + dblen + 1;
	if (p >= end || end - p < 1 + p[0] + 1)
		return fail(b, "TABLE_MAP: bad table name");
	const unsigned char *tb = p + 1;
	size_t tblen = p[0];
	p += 1 + tblen + 1;
	if (lenenc(&p, end, &ncols) < 0 || ncols == 0 || ncols > 4096 ||
	    ncols > (uint64_t)(end - p))
		return fail(b, "TABLE_MAP: bad column count");
	const unsigned char *types = p;
	p += ncols;
	if (lenenc(&p, end, &mlen) < 0 || mlen > (uint64_t)(end - p))
		return fail(b, "TABLE_MAP: bad metadata length");
	const unsigned char *meta = p, *mend = p + mlen;
	p += mlen;
	size_t nb = (ncols + 7) / 8;
	if ((size_t)(end - p) < nb)
		return fail(b, "TABLE_MAP: short null bitmap");
	const unsigned char *nulls = p;
	p += nb;

	t = xcalloc(1, sizeof *t);
	t->id = id;
	t->ncols = (uint32_t)ncols;
	t->selected = -1;
	t->cols = xcalloc(ncols, sizeof *t->cols);
	for (uint32_t i = 0; i < ncols; i++) {
		struct mycol *c = &t->cols[i];
		c->type = types[i];
		c->nullable = bl_bit(nulls, i);
		switch (c->type) {
		case MYT_FLOAT: case MYT_DOUBLE: case MYT_TIMESTAMP2:
		case MYT_DATETIME2: case MYT_TIME2: case MYT_BLOB:
		case MYT_TINY_BLOB: case MYT_MEDIUM_BLOB: case MYT_LONG_BLOB:
		case MYT_GEOMETRY: case MYT_JSON:
			if (meta >= mend)
				goto badmeta;
			c->meta = meta[0];
			meta += 1;
			break;
		case MYT_VARCHAR: case MYT_VAR_STRING:
			if (mend - meta < 2)
				goto badmeta;
			c->meta = (uint16_t)le(meta, 2);
			meta += 2;
			break;
		case MYT_BIT: case MYT_NEWDECIMAL: case MYT_DECIMAL:
			if (mend - meta < 2)
				goto badmeta;
			c->meta = (uint16_t)(meta[1] << 8 | meta[0]);
			if (c->type != MYT_BIT)	/* precision, scale */
				c->meta = (uint16_t)(meta[0] << 8 | meta[1]);
			meta += 2;
			break;
		case MYT_STRING: case MYT_ENUM: case MYT_SET: {
			if (mend - meta < 2)
				goto badmeta;
			unsigned rt = meta[0], len = meta[1];
			if ((rt & 0x30) != 0x30) {
				len |= ((rt & 0x30) ^ 0x30) << 4;
				rt |= 0x30;
			}
			if (rt == MYT_ENUM || rt == MYT_SET) {
				c->type = (uint8_t)rt;
				c->maxlen = meta[1];
			} else {
				c->type = MYT_STRING;
				c->maxlen = len;
			}
			meta += 2;
			break;
		}
		}
	}
	/* optional metadata: count, then fill */
	struct strpool sp = { 0 };
	uint32_t nvals = 0;
	sp.len = dblen + 1 + tblen + 1;
	int maria = strstr(b->server_version, "MariaDB") != NULL;
	if (table_optmeta(t, p, end, &sp, &nvals, 0, maria) < 0) {
		table_free(t);
		return fail(b, "TABLE_MAP: bad optional metadata");
	}
	sp.cap = sp.len;
	sp.p = xmalloc(sp.cap ? sp.cap : 1);
	sp.len = 0;
	t->db = (char *)pool_add(&sp, db, dblen);
	t->name = (char *)pool_add(&sp, tb, tblen);
	t->vals = xcalloc(nvals + 1, sizeof *t->vals);
	t->vlens = xcalloc(nvals + 1, sizeof *t->vlens);
	table_optmeta(t, p, end, &sp, &nvals, 1, maria);
	t->strs = sp.p;
	t->raw = xmalloc(n);
	memcpy(t->raw, body, n);
	t->rawlen = n;

	/* replace the old map of the same id, or add */
	for (size_t i = 0; i < b->ntables; i++)
		if (b->tables[i]->id == id) {
			table_free(b->tables[i]);
			b->tables[i] = t;
			ev->table = t;
			return 0;
		}
	if (b->ntables >= 4096)
		bl_tables_clear(b);
	if (b->ntables == b->captables) {
		b->captables = b->captables ? 2 * b->captables : 16;
		b->tables = xrealloc(b->tables, b->captables * sizeof *b->tables);
	}
	b->tables[b->ntables++] = t;
	ev->table = t;
	return 0;
badmeta:
	table_free(t);
	return fail(b, "TABLE_MAP: short column metadata");
}

/* MariaDB's compressed data: a header byte with the length's size, the
 * uncompressed length big-endian, then zlib. Into b->scratch. */
static int
maria_inflate(struct binlog *b, const unsigned char *p, size_t n)
{
	if (n < 1)
		return fail(b, "compressed event: empty");
	int lenlen = p[0] & 7;
	if (lenlen < 1 || lenlen > 4 || n < (size_t)1 + lenlen)
		return fail(b, "compressed event: bad header");
	uint64_t ulen = 0;
	for (int i = 0; i < lenlen; i++)
		ulen = ulen << 8 | p[1 + i];
	/* deflate expands at most 1032 times: a larger length is corrupt */
	if (ulen > BL_MAX_INFLATE || ulen > (uint64_t)(n - 1 - lenlen) * 1032 + 64)
		return fail(b, "compressed event: too large");
	buf_reset(&b->scratch);
	buf_reserve(&b->scratch, ulen + 1);
	uLongf dl = (uLongf)ulen;
	if (uncompress((Bytef *)b->scratch.p, &dl, p + 1 + lenlen,
	    (uLong)(n - 1 - lenlen)) != Z_OK || dl != ulen)
		return fail(b, "compressed event: zlib data is corrupt");
	b->scratch.len = ulen;
	return 0;
}

/* The count of the first n bits set in bitmap bm. */
static uint32_t
bits_set(const unsigned char *bm, uint32_t n)
{
	uint32_t c = 0, i;

	for (i = 0; i + 8 <= n; i += 8)
		c += (uint32_t)__builtin_popcount(bm[i / 8]);
	if (i < n)
		c += (uint32_t)__builtin_popcount(bm[i / 8] & ((1u << (n - i)) - 1));
	return c;
}

static int
rows_event(struct binlog *b, const unsigned char *body, size_t n,
    struct bl_event *ev)
{
	const unsigned char *p = body, *end = body + n;
	int t = ev->type, v2 = 0, compressed = 0;
	int idlen = b->post_len[t] == 6 ? 4 : 6;
	uint64_t ncols;

	switch (t) {
	case BL_WRITE_ROWS: case BL_UPDATE_ROWS: case BL_DELETE_ROWS:
	case BL_PARTIAL_UPDATE_ROWS:
		v2 = 1;
		break;
	case BL_MARIA_WRITE_ROWS_COMPRESSED: case BL_MARIA_UPDATE_ROWS_COMPRESSED:
	case BL_MARIA_DELETE_ROWS_COMPRESSED:
		v2 = 1;
		compressed = 1;
		break;
	case BL_MARIA_WRITE_ROWS_COMPRESSED_V1:
	case BL_MARIA_UPDATE_ROWS_COMPRESSED_V1:
	case BL_MARIA_DELETE_ROWS_COMPRESSED_V1:
		compressed = 1;
		break;
	}
	switch (t) {
	case BL_WRITE_ROWS_V1: case BL_WRITE_ROWS:
	case BL_MARIA_WRITE_ROWS_COMPRESSED_V1: case BL_MARIA_WRITE_ROWS_COMPRESSED:
		ev->op = 'c';
		break;
	case BL_UPDATE_ROWS_V1: case BL_UPDATE_ROWS: case BL_PARTIAL_UPDATE_ROWS:
	case BL_MARIA_UPDATE_ROWS_COMPRESSED_V1:
	case BL_MARIA_UPDATE_ROWS_COMPRESSED:
		ev->op = 'u';
		break;
	default:
		ev->op = 'd';
	}
	if (n < (size_t)idlen + 2)
		return fail(b, "rows event: short");
	uint64_t id = le(p, idlen);
	p += idlen + 2;
	if (v2) {
		if (end - p < 2)
			return fail(b, "rows event: short");
		uint64_t xl = le(p, 2);
		if (xl < 2 || xl > (uint64_t)(end - p))
			return fail(b, "rows event: bad extra data length");
		p += xl;
	}
	if ((ev->table = bl_table_get(b, id)) == NULL)
		return fail(b, "rows event: no TABLE_MAP for table id %llu",
		    (unsigned long long)id);
	if (lenenc(&p, end, &ncols) < 0 || ncols != ev->table->ncols)
		return fail(b, "rows event: column count %llu, table has %u",
		    (unsigned long long)ncols, ev->table->ncols);
	ev->ncols = (uint32_t)ncols;
	size_t nb = (ncols + 7) / 8;
	if ((size_t)(end - p) < nb)
		return fail(b, "rows event: short bitmap");
	ev->present = ev->present_after = p;
	ev->npresent = ev->npresent_after = bits_set(p, ev->ncols);
	p += nb;
	if (ev->op == 'u') {
		if ((size_t)(end - p) < nb)
			return fail(b, "rows event: short bitmap");
		ev->present_after = p;
		ev->npresent_after = bits_set(p, ev->ncols);
		p += nb;
	}
	if (t == BL_PARTIAL_UPDATE_ROWS)
		return fail(b, "PARTIAL_UPDATE_ROWS (binlog_row_value_options="
		    "PARTIAL_JSON) is not supported");
	if (compressed) {
		if (maria_inflate(b, p, end - p) < 0)
			return -1;
		ev->rows = (const unsigned char *)b->scratch.p;
		ev->rows_len = b->scratch.len;
	} else {
		ev->rows = p;
		ev->rows_len = end - p;
	}
	return 0;
}

static int
payload_event(struct binlog *b, const unsigned char *p, size_t n,
    struct bl_event *ev)
{
	const unsigned char *end = p + n;
	uint64_t ctype = 255, usize = 0, psize = 0;

	for (;;) {
		uint64_t type, len;
		if (lenenc(&p, end, &type) < 0)
			return fail(b, "TRANSACTION_PAYLOAD: bad header");
		if (type == 0)
			break;
		if (lenenc(&p, end, &len) < 0 || len > (uint64_t)(end - p))
			return fail(b, "TRANSACTION_PAYLOAD: bad header");
		const unsigned char *q = p;
		uint64_t v = 0;
		if (len > 0 && lenenc(&q, p + len, &v) < 0)
			return fail(b, "TRANSACTION_PAYLOAD: bad field");
		switch (type) {
		case 1: psize = v; break;
		case 2: ctype = v; break;
		case 3: usize = v; break;
		}
		p += len;
	}
	if (psize && psize < (uint64_t)(end - p))
		end = p + psize;
	if (ctype == 255) {
		ev->payload = p;
		ev->payload_len = end - p;
		return 0;
	}
	if (ctype != 0)
		return fail(b, "TRANSACTION_PAYLOAD: unknown compression %llu",
		    (unsigned long long)ctype);
	if (usize == 0) {
		unsigned long long fs = ZSTD_getFrameContentSize(p, end - p);
		if (fs == ZSTD_CONTENTSIZE_ERROR || fs == ZSTD_CONTENTSIZE_UNKNOWN)
			return fail(b, "TRANSACTION_PAYLOAD: unknown size");
		usize = fs;
	}
	if (usize > BL_MAX_INFLATE)
		return fail(b, "TRANSACTION_PAYLOAD: too large");
	buf_reset(&b->payload);
	buf_reserve(&b->payload, usize + 1);
	size_t r = ZSTD_decompress(b->payload.p, usize, p, end - p);
	if (ZSTD_isError(r) || r != usize)
		return fail(b, "TRANSACTION_PAYLOAD: zstd: %s",
		    ZSTD_isError(r) ? ZSTD_getErrorName(r) : "short data");
	b->payload.len = usize;
	ev->payload = (const unsigned char *)b->payload.p;
	ev->payload_len = usize;
	return 0;
}

long
bl_payload_next(const unsigned char *p, size_t n)
{
	if (n == 0)
		return 0;
	if (n < BL_HEADER_LEN)
		return -1;
	uint64_t size = le(p + 9, 4);
	if (size < BL_HEADER_LEN || size > n)
		return -1;
	return (long)size;
}

static int
version_at_least(const char *v, int a, int b2, int c)
{
	int x = 0, y = 0, z = 0;
	sscanf(v, "%d.%d.%d", &x, &y, &z);
	return x > a || (x == a && (y > b2 || (y == b2 && z >= c)));
}

static int
format_description(struct binlog *b, const unsigned char *p, size_t n,
    size_t evlen)
{
	/* body: version(2) server_version(50) created(4) header_len(1)
	 * post_header_lens[...] [checksum_alg(1) checksum(4)] */
	if (n < 57)
		return fail(b, "FORMAT_DESCRIPTION: short event");
	if (le(p, 2) != 4)
		return fail(b, "binlog version %u not supported",
		    (unsigned)le(p, 2));
	memcpy(b->server_version, p + 2, 50);
	b->server_version[50] = 0;
	if (p[56] != BL_HEADER_LEN)
		return fail(b, "FORMAT_DESCRIPTION: header length %u", p[56]);
	size_t npost = n - 57;
	int alg = 0;
	if (version_at_least(b->server_version, 5, 6, 1) && npost >= 5) {
		alg = p[n - 5];
		npost -= 5;
	}
	for (size_t i = 0; i < npost && i < 255; i++)
		b->post_len[i + 1] = p[57 + i];
	b->checksum = alg == 1;
	b->fde_seen = 1;
	(void)evlen;
	return 0;
}

int
bl_event(struct binlog *b, const unsigned char *p, size_t n, int nested,
    struct bl_event *ev)
{
	memset(ev, 0, sizeof *ev);
	if (n < BL_HEADER_LEN)
		return fail(b, "event shorter than its header (%zu bytes)", n);
	ev->ts = (uint32_t)le(p, 4);
	ev->type = p[4];
	ev->server_id = (uint32_t)le(p + 5, 4);
	ev->size = (uint32_t)le(p + 9, 4);
	ev->log_pos = (uint32_t)le(p + 13, 4);
	ev->flags = (uint16_t)le(p + 17, 2);
	if (ev->size != n)
		return fail(b, "%s event: size %u, got %zu bytes",
		    bl_type_name(ev->type), ev->size, n);

	size_t blen = n - BL_HEADER_LEN;
	int has_crc = !nested && b->checksum;
	if (ev->type == BL_FORMAT_DESCRIPTION && !nested) {
		if (format_description(b, p + BL_HEADER_LEN, blen, n) < 0)
			return -1;
		has_crc = b->checksum;
	} else if (!nested && !b->fde_seen && ev->type == BL_ROTATE &&
	    n >= BL_HEADER_LEN + 12) {
		/* a fake ROTATE before the FORMAT_DESCRIPTION: tell by the CRC */
		has_crc = bl_crc32(p, n - 4) == (uint32_t)le(p + n - 4, 4);
	}
	if (has_crc) {
		if (blen < 4)
			return fail(b, "%s event: no room for its checksum",
			    bl_type_name(ev->type));
		blen -= 4;
		uint32_t want = (uint32_t)le(p + n - 4, 4), got;
		if (ev->type == BL_FORMAT_DESCRIPTION && (ev->flags & 1)) {
			/* computed before the binlog-in-use flag was set */
			unsigned char h[BL_HEADER_LEN];
			memcpy(h, p, BL_HEADER_LEN);
			h[17] &= ~1;
			uLong c = crc32(0L, h, BL_HEADER_LEN);
			got = (uint32_t)crc32(c, p + BL_HEADER_LEN,
			    (uInt)(n - 4 - BL_HEADER_LEN));
		} else
			got = b->verify ? bl_crc32(p, n - 4) : want;
		if (b->verify && got != want)
			return fail(b, "%s event at %u: checksum mismatch",
			    bl_type_name(ev->type), ev->log_pos - ev->size);
	}
	const unsigned char *body = p + BL_HEADER_LEN;
	ev->body = body;
	ev->body_len = blen;

	switch (ev->type) {
	case BL_ROTATE:
		if (blen < 8)
			return fail(b, "ROTATE: short event");
		ev->next_pos = le(body, 8);
		ev->name = (const char *)body + 8;
		ev->name_len = blen - 8;
		return 0;
	case BL_QUERY:
	case BL_MARIA_QUERY_COMPRESSED: {
		size_t ph = b->post_len[ev->type] ? b->post_len[ev->type] : 13;
		if (blen < ph || ph < 13)
			return fail(b, "QUERY: short event");
		size_t dblen = body[8];
		size_t svlen = le(body + 11, 2);
		if (blen < ph + svlen + dblen + 1)
			return fail(b, "QUERY: short event");
		ev->name = (const char *)body + ph + svlen;
		ev->name_len = dblen;
		const unsigned char *q = body + ph + svlen + dblen + 1;
		size_t qlen = blen - (ph + svlen + dblen + 1);
		if (ev->type == BL_MARIA_QUERY_COMPRESSED) {
			if (maria_inflate(b, q, qlen) < 0)
				return -1;
			q = (const unsigned char *)b->scratch.p;
			qlen = b->scratch.len;
		}
		ev->query = (const char *)q;
		ev->query_len = qlen;
		return 0;
	}
	case BL_XID:
		if (blen < 8)
			return fail(b, "XID: short event");
		ev->xid = le(body, 8);
		return 0;
	case BL_TABLE_MAP:
		return table_map(b, body, blen, ev);
	case BL_WRITE_ROWS_V1: case BL_UPDATE_ROWS_V1: case BL_DELETE_ROWS_V1:
	case BL_WRITE_ROWS: case BL_UPDATE_ROWS: case BL_DELETE_ROWS:
	case BL_PARTIAL_UPDATE_ROWS:
	case BL_MARIA_WRITE_ROWS_COMPRESSED_V1:
	case BL_MARIA_UPDATE_ROWS_COMPRESSED_V1:
	case BL_MARIA_DELETE_ROWS_COMPRESSED_V1:
	case BL_MARIA_WRITE_ROWS_COMPRESSED:
	case BL_MARIA_UPDATE_ROWS_COMPRESSED:
	case BL_MARIA_DELETE_ROWS_COMPRESSED:
		return rows_event(b, body, blen, ev);
	case BL_GTID: case BL_ANONYMOUS_GTID: {
		static const char hx[] = "0123456789abcdef";
		if (blen < 25)
			return fail(b, "GTID: short event");
		char *o = ev->gtid;
		for (int i = 0; i < 16; i++) {
			if (i == 4 || i == 6 || i == 8 || i == 10)
				*o++ = '-';
			*o++ = hx[body[1 + i] >> 4];
			*o++ = hx[body[1 + i] & 15];
		}
		snprintf(o, sizeof ev->gtid - (o - ev->gtid), ":%llu",
		    (unsigned long long)le(body + 17, 8));
		if (ev->type == BL_ANONYMOUS_GTID)
			ev->gtid[0] = 0;
		return 0;
	}
	case BL_MARIA_GTID:
		if (blen < 13)
			return fail(b, "GTID: short event");
		snprintf(ev->gtid, sizeof ev->gtid, "%u-%u-%llu",
		    (unsigned)le(body + 8, 4), ev->server_id,
		    (unsigned long long)le(body, 8));
		ev->gtid_standalone = body[12] & 1;
		return 0;
	case BL_MARIA_ANNOTATE_ROWS:
		ev->query = (const char *)body;
		ev->query_len = blen;
		return 0;
	case BL_ROWS_QUERY:
		if (blen >= 1) {
			ev->query = (const char *)body + 1;
			ev->query_len = blen - 1;
		}
		return 0;
	case BL_HEARTBEAT:
	case BL_HEARTBEAT_V2:
		ev->name = (const char *)body;
		ev->name_len = blen;
		return 0;
	case BL_TRANSACTION_PAYLOAD:
		return payload_event(b, body, blen, ev);
	}
	return 0;
}

/* Each column's decoder plan for encoding enc, made once. */
static inline void
table_plan(struct bl_table *t, enum my_enc enc)
{
	if (t->plan && t->plan_enc == (int)enc)
		return;
	if (!t->plan)
		t->plan = xmalloc(t->ncols);
	for (uint32_t i = 0; i < t->ncols; i++)
		t->plan[i] = my_plan(&t->cols[i], enc);
	t->plan_enc = (int)enc;
}

/*
 * The start of a row image at *pp whose columns are those set in present:
 * t's plan made, the null bitmap in *nulls and *pp after it. Returns the
 * count of columns present, or -1 after fail().
 */
static int
image_start(struct binlog *b, const struct bl_event *ev,
    const unsigned char *present, enum my_enc enc, const unsigned char **pp,
    const unsigned char **nulls)
{
	const unsigned char *end = ev->rows + ev->rows_len;
	struct bl_table *t = ev->table;
	uint32_t npresent;

	table_plan(t, enc);
	npresent = present == ev->present ? ev->npresent :
	    present == ev->present_after ? ev->npresent_after :
	    bits_set(present, ev->ncols);
	/* an image of no column takes no byte: rows could not be told apart */
	if (npresent == 0)
		return fail(b, "%s.%s: row image without columns", t->db,
		    t->name);
	size_t nb = (npresent + 7) / 8;
	if ((size_t)(end - *pp) < nb)
		return fail(b, "%s.%s: row image: short null bitmap", t->db,
		    t->name);
	*nulls = *pp;
	*pp += nb;
	return (int)npresent;
}

int
bl_row_image(struct binlog *b, const struct bl_event *ev,
    const unsigned char **pp, const unsigned char *present, struct buf *vals,
    size_t *off, size_t *len, enum my_enc enc)
{
	const unsigned char *p = *pp, *end = ev->rows + ev->rows_len, *nulls;
	struct bl_table *t = ev->table;

	if (image_start(b, ev, present, enc, &p, &nulls) < 0)
		return -1;
	if (vals)
		buf_reset(vals);
	uint32_t k = 0;
	for (uint32_t i = 0; i < ev->ncols; i++) {
		if (!bl_bit(present, i)) {
			if (len)
				len[i] = (size_t)-1;
			continue;
		}
		if (vals)
			off[i] = vals->len;
		if (bl_bit(nulls, k++)) {
			if (vals)
				buf_puts(vals, "null");
		} else {
			long r = my_value_plan(vals, t->plan[i], &t->cols[i], p,
			    end - p, enc);
			if (r < 0)
				return fail(b, "%s.%s: row image: column %u "
				    "(type %u) is malformed", t->db, t->name,
				    i + 1, t->cols[i].type);
			p += r;
		}
		if (vals)
			len[i] = vals->len - off[i];
	}
	*pp = p;
	return 0;
}

int
bl_row_members(struct binlog *b, const struct bl_event *ev,
    const unsigned char **pp, const unsigned char *present,
    const struct buf *const *keys, struct buf *out, enum my_enc enc)
{
	const unsigned char *p = *pp, *end = ev->rows + ev->rows_len, *nulls;
	struct bl_table *t = ev->table;
	uint32_t k = 0;
	int npresent = image_start(b, ev, present, enc, &p, &nulls);

	if (npresent < 0)
		return -1;
	buf_reset(out);
	int all = (uint32_t)npresent == ev->ncols;
	for (uint32_t i = 0; i < ev->ncols; i++) {
		if (!all && !bl_bit(present, i))
			continue;
		/* the key, without its comma before the first member */
		size_t kl = keys[i]->len - (k == 0);
		buf_reserve(out, kl + 4);
		buf_copy_short(out->p + out->len, keys[i]->p + (k == 0), kl);
		out->len += kl;
		if (bl_bit(nulls, k++)) {
			memcpy(out->p + out->len, "null", 4);
			out->len += 4;
			continue;
		}
		long r = my_value_plan(out, t->plan[i], &t->cols[i], p, end - p,
		    enc);
		if (r < 0)
			return fail(b, "%s.%s: row image: column %u (type %u) is "
			    "malformed", t->db, t->name, i + 1, t->cols[i].type);
		p += r;
	}
	*pp = p;
	return 0;
}

const char *
bl_type_name(int type)
{
	switch (type) {
	case BL_QUERY: return "QUERY";
	case BL_STOP: return "STOP";
	case BL_ROTATE: return "ROTATE";
	case BL_INTVAR: return "INTVAR";
	case BL_RAND: return "RAND";
	case BL_USER_VAR: return "USER_VAR";
	case BL_FORMAT_DESCRIPTION: return "FORMAT_DESCRIPTION";
	case BL_XID: return "XID";
	case BL_TABLE_MAP: return "TABLE_MAP";
	case BL_WRITE_ROWS_V1: return "WRITE_ROWS_V1";
	case BL_UPDATE_ROWS_V1: return "UPDATE_ROWS_V1";
	case BL_DELETE_ROWS_V1: return "DELETE_ROWS_V1";
	case BL_HEARTBEAT: return "HEARTBEAT";
	case BL_ROWS_QUERY: return "ROWS_QUERY";
	case BL_WRITE_ROWS: return "WRITE_ROWS";
	case BL_UPDATE_ROWS: return "UPDATE_ROWS";
	case BL_DELETE_ROWS: return "DELETE_ROWS";
	case BL_GTID: return "GTID";
	case BL_ANONYMOUS_GTID: return "ANONYMOUS_GTID";
	case BL_PREVIOUS_GTIDS: return "PREVIOUS_GTIDS";
	case BL_PARTIAL_UPDATE_ROWS: return "PARTIAL_UPDATE_ROWS";
	case BL_TRANSACTION_PAYLOAD: return "TRANSACTION_PAYLOAD";
	case BL_HEARTBEAT_V2: return "HEARTBEAT_V2";
	case BL_MARIA_ANNOTATE_ROWS: return "ANNOTATE_ROWS";
	case BL_MARIA_BINLOG_CHECKPOINT: return "BINLOG_CHECKPOINT";
	case BL_MARIA_GTID: return "MARIADB_GTID";
	case BL_MARIA_GTID_LIST: return "GTID_LIST";
	case BL_MARIA_START_ENCRYPTION: return "START_ENCRYPTION";
	case BL_MARIA_QUERY_COMPRESSED: return "QUERY_COMPRESSED";
	case BL_MARIA_WRITE_ROWS_COMPRESSED_V1: return "WRITE_ROWS_COMPRESSED_V1";
	case BL_MARIA_UPDATE_ROWS_COMPRESSED_V1: return "UPDATE_ROWS_COMPRESSED_V1";
	case BL_MARIA_DELETE_ROWS_COMPRESSED_V1: return "DELETE_ROWS_COMPRESSED_V1";
	case BL_MARIA_WRITE_ROWS_COMPRESSED: return "WRITE_ROWS_COMPRESSED";
	case BL_MARIA_UPDATE_ROWS_COMPRESSED: return "UPDATE_ROWS_COMPRESSED";
	case BL_MARIA_DELETE_ROWS_COMPRESSED: return "DELETE_ROWS_COMPRESSED";
	}
	return "UNKNOWN";
}

/* ---- MySQL GTID sets ---- */

struct gtid_sid {
	unsigned char uuid[16];
	uint64_t (*iv)[2];	/* [first, last + 1) */
	size_t niv;
};

static int
cmp_sid(const void *a, const void *b)
{
	return memcmp(((const struct gtid_sid *)a)->uuid,
	    ((const struct gtid_sid *)b)->uuid, 16);
}

static int
cmp_iv(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;
	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* A UUID with or without its dashes at s; returns its length, or 0. */
static size_t
parse_uuid(const char *s, unsigned char *u)
{
	size_t i = 0;
	int k = 0;

	while (k < 32) {
		if (s[i] == '-' && (k == 8 || k == 12 || k == 16 || k == 20)) {
			i++;
			continue;
		}
		int h = hex_digit((unsigned char)s[i]), l;
		if (h < 0 || (l = hex_digit((unsigned char)s[i + 1])) < 0)
			return 0;
		u[k / 2] = (unsigned char)(h << 4 | l);
		k += 2;
		i += 2;
	}
	return i;
}

/* A number 1..2^63-1 at *pp. */
static int
parse_gno(const char **pp, uint64_t *v)
{
	const char *p = *pp;
	uint64_t n = 0;

	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9') {
		if (n > (UINT64_C(0x7fffffffffffffff) - (uint64_t)(*p - '0')) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*p++ - '0');
	}
	if (n == 0)
		return -1;
	*v = n;
	*pp = p;
	return 0;
}

static void
put_le64(struct buf *out, uint64_t v)
{
	unsigned char b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	buf_add(out, b, 8);
}

int
bl_mysql_gtid_encode(const char *text, struct buf *out, char *err,
    size_t errlen)
{
	struct gtid_sid *sids = NULL;
	size_t nsids = 0, i;
	const char *p = text;
	int rc = -1;

#define SKIPWS() while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++
	SKIPWS();
	while (*p) {
		unsigned char u[16];
		size_t ul = parse_uuid(p, u);
		if (ul == 0) {
			snprintf(err, errlen, "GTID set: a server UUID was "
			    "expected at offset %zu", (size_t)(p - text));
			goto out;
		}
		p += ul;
		SKIPWS();
		struct gtid_sid *s = NULL;
		for (i = 0; i < nsids; i++)
			if (memcmp(sids[i].uuid, u, 16) == 0)
				s = &sids[i];
		if (!s) {
			sids = xrealloc(sids, (nsids + 1) * sizeof *sids);
			s = &sids[nsids++];
			memcpy(s->uuid, u, 16);
			s->iv = NULL;
			s->niv = 0;
		}
		if (*p != ':') {
			snprintf(err, errlen, "GTID set: ':' and a transaction "
			    "number were expected at offset %zu",
			    (size_t)(p - text));
			goto out;
		}
		while (*p == ':') {
			uint64_t a, b;
			p++;
			SKIPWS();
			if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    *p == '_') {
				snprintf(err, errlen, "GTID set: tagged GTIDs "
				    "(MySQL 8.3 and later) are not supported, at "
				    "offset %zu", (size_t)(p - text));
				goto out;
			}
			if (parse_gno(&p, &a) < 0) {
				snprintf(err, errlen, "GTID set: a transaction "
				    "number 1..2^63-1 was expected at offset %zu",
				    (size_t)(p - text));
				goto out;
			}
			b = a;
			SKIPWS();
			if (*p == '-') {
				p++;
				SKIPWS();
				if (parse_gno(&p, &b) < 0 || b < a) {
					snprintf(err, errlen, "GTID set: a bad "
					    "interval end at offset %zu",
					    (size_t)(p - text));
					goto out;
				}
			}
			s->iv = xrealloc(s->iv, (s->niv + 1) * sizeof *s->iv);
			s->iv[s->niv][0] = a;
			s->iv[s->niv][1] = b + 1;
			s->niv++;
			SKIPWS();
		}
		if (*p == ',') {
			p++;
			SKIPWS();
			if (!*p) {
				snprintf(err, errlen, "GTID set: nothing after "
				    "the last ','");
				goto out;
			}
		} else if (*p) {
			snprintf(err, errlen, "GTID set: ',' or the end was "
			    "expected at offset %zu", (size_t)(p - text));
			goto out;
		}
	}
#undef SKIPWS
	if (nsids > 1)
		qsort(sids, nsids, sizeof *sids, cmp_sid);
	put_le64(out, nsids);
	for (i = 0; i < nsids; i++) {
		struct gtid_sid *s = &sids[i];
		size_t n = 0;

		if (s->niv > 1)
			qsort(s->iv, s->niv, sizeof *s->iv, cmp_iv);
		for (size_t k = 0; k < s->niv; k++) {	/* merge, in place */
			if (n && s->iv[k][0] <= s->iv[n - 1][1]) {
				if (s->iv[k][1] > s->iv[n - 1][1])
					s->iv[n - 1][1] = s->iv[k][1];
			} else {
				s->iv[n][0] = s->iv[k][0];
				s->iv[n][1] = s->iv[k][1];
				n++;
			}
		}
		buf_add(out, s->uuid, 16);
		put_le64(out, n);
		for (size_t k = 0; k < n; k++) {
			put_le64(out, s->iv[k][0]);
			put_le64(out, s->iv[k][1]);
		}
	}
	rc = 0;
out:
	for (i = 0; i < nsids; i++)
		free(sids[i].iv);
	free(sids);
	return rc;
}
