/*
 * pgoutput: unit tests of lib/pgoutput and lib/pgtypes on the messages a
 * real PostgreSQL 15 sent (tests/data/pgoutput/pg15-proto1.tsv: the rows of
 * pg_logical_slot_peek_binary_changes, proto_version 1, for the statements
 * below), and on hand-made malformed messages. The file is the first
 * argument. Failures on stderr, exit 1 if any.
 *
 *   CREATE TABLE acct (id int PRIMARY KEY, name text, amount numeric(10,2),
 *     ts timestamptz, big text, flag bool, doc jsonb, tags text[], b bytea,
 *     d date, iv interval);       -- big: STORAGE EXTERNAL (TOASTed)
 *   CREATE TABLE hist (id int, note text);  -- REPLICA IDENTITY FULL
 *   INSERT INTO acct VALUES (1, 'Ann', 12.50, '2026-12-01 10:00:00.123456+00',
 *     repeat('x', 5000), true, '{"a": [1, 2.5, null]}', ARRAY['p','q r'],
 *     '\x00ff', '2026-12-01', '1 day 02:03:04');
 *   INSERT INTO acct (id, name) VALUES (2, NULL);
 *   UPDATE acct SET name = 'Anne' WHERE id = 1;   -- big unchanged: 'u'
 *   UPDATE acct SET id = 3 WHERE id = 2;          -- old key
 *   DELETE FROM acct WHERE id = 3;
 *   INSERT INTO hist VALUES (1, 'one');
 *   UPDATE hist SET note = 'uno' WHERE id = 1;    -- old row
 *   DELETE FROM hist WHERE id = 1;
 *   TRUNCATE acct, hist;
 */
#include "pgoutput.h"
#include "pgtypes.h"
#include "buf.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static int failures, checks;

#define CHECK(cond) do { \
	checks++; \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
		failures++; \
	} \
} while (0)

#define CHECK_STR(got, want) do { \
	checks++; \
	if (strcmp((got), (want)) != 0) { \
		fprintf(stderr, "%s:%d: got  %s\n%s:%d: want %s\n", __FILE__, \
		    __LINE__, (got), __FILE__, __LINE__, (want)); \
		failures++; \
	} \
} while (0)

struct rec {
	unsigned long long lsn;
	unsigned xid;
	unsigned char *msg;
	size_t len;
};

static struct rec *
load(const char *path, int *nrec)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	struct rec *r = NULL;
	int n = 0;

	if (!fp)
		die(EX_NOINPUT, "%s:", path);
	while (getline(&line, &cap, fp) > 0) {
		unsigned hi, lo, xid;
		int off;
		if (sscanf(line, "%X/%X\t%u\t%n", &hi, &lo, &xid, &off) != 3)
			die(EX_DATAERR, "%s: bad line", path);
		r = xrealloc(r, (n + 1) * sizeof *r);
		r[n].lsn = (unsigned long long)hi << 32 | lo;
		r[n].xid = xid;
		const char *h = line + off;
		size_t hl = strcspn(h, "\r\n");
		r[n].len = hl / 2;
		r[n].msg = xmalloc(hl / 2 + 1);
		for (size_t i = 0; i < hl / 2; i++) {
			unsigned v;
			sscanf(h + 2 * i, "%2x", &v);
			r[n].msg[i] = (unsigned char)v;
		}
		n++;
	}
	free(line);
	fclose(fp);
	*nrec = n;
	return r;
}

/* A tuple as JSON through the relation's column types; an unchanged
 * TOASTed column as the bare word unchanged (so never mistaken for a
 * value). */
static void
tuple_json(struct buf *b, const struct pgo_relation *rel,
    const struct pgo_tuple *t)
{
	buf_putc(b, '{');
	for (int i = 0; i < t->ncols && i < rel->ncols; i++) {
		const struct pgo_col *c = &t->cols[i];
		enum pgt_kind k, e;
		if (i)
			buf_putc(b, ',');
		buf_printf(b, "\"%s\":", rel->cols[i].name);
		if (c->kind == 'n')
			buf_puts(b, "null");
		else if (c->kind == 'u')
			buf_puts(b, "unchanged");
		else {
			pgt_builtin(rel->cols[i].typid, &k, &e);
			CHECK(pgt_encode(b, k, e, c->data, c->len, 0) == 0);
		}
	}
	buf_putc(b, '}');
}

static void
recorded(const char *path)
{
	int n;
	struct rec *r = load(path, &n);
	struct pgo_relcache rc;
	struct pgo_msg m;
	struct pgo_state st = { 1, 0 };
	struct buf out, big;
	char err[256];
	uint64_t final_lsn = 0;
	int64_t begin_ts = 0;
	unsigned xid = 0;
	int begins = 0, commits = 0;

	pgo_relcache_init(&rc);
	pgo_msg_init(&m);
	buf_init(&out);
	buf_init(&big);
	buf_putc(&big, '"');
	for (int i = 0; i < 5000; i++)
		buf_putc(&big, 'x');
	buf_putc(&big, '"');
	buf_cstr(&big);

	CHECK(n == 31);
	for (int i = 0; i < n; i++) {
		err[0] = 0;
		if (pgo_decode(&m, r[i].msg, r[i].len, &st, err, sizeof err) != 0) {
			fprintf(stderr, "message %d: %s\n", i + 1, err);
			failures++;
			continue;
		}
		const struct pgo_relation *rel = NULL;
		switch (m.kind) {
		case PGO_BEGIN:
			begins++;
			CHECK(m.xid == r[i].xid);
			xid = m.xid;
			final_lsn = m.lsn;
			begin_ts = m.ts;
			/* recorded on 2026-12-01 (UTC) */
			CHECK(pgo_ts_ms(m.ts) >= 1796083200000LL &&
			    pgo_ts_ms(m.ts) < 1796083200000LL + 86400000);
			break;
		case PGO_COMMIT:
			commits++;
			CHECK(r[i].xid == xid);
			CHECK(m.lsn == final_lsn);
			CHECK(m.end_lsn > m.lsn);
			CHECK(m.ts == begin_ts);
			CHECK(m.flags == 0);
			break;
		case PGO_RELATION: {
			struct pgo_relation *p = pgo_relation_put(&rc, &m);
			CHECK(r[i].xid == xid);
			buf_reset(&out);
			buf_printf(&out, "%s.%s %c", p->nspname, p->relname,
			    p->replident);
			for (int c = 0; c < p->ncols; c++)
				buf_printf(&out, " %s%s:%u", p->cols[c].key ? "*" : "",
				    p->cols[c].name, p->cols[c].typid);
			if (strcmp(p->relname, "acct") == 0)
				CHECK_STR(buf_cstr(&out), "public.acct d *id:23 "
				    "name:25 amount:1700 ts:1184 big:25 flag:16 "
				    "doc:3802 tags:1009 b:17 d:1082 iv:1186");
			else
				/* REPLICA IDENTITY FULL: every column is key */
				CHECK_STR(buf_cstr(&out),
				    "public.hist f *id:23 *note:25");
			/* numeric(10,2): typmod (10 << 16 | 2) + 4 */
			if (strcmp(p->relname, "acct") == 0)
				CHECK(p->cols[2].typmod == (10 << 16 | 2) + 4);
			break;
		}
		case PGO_INSERT: case PGO_UPDATE: case PGO_DELETE:
			rel = pgo_relation_get(&rc, m.relid);
			CHECK(rel != NULL);
			if (!rel)
				break;
			buf_reset(&out);
			buf_printf(&out, "%c %s", m.kind, rel->relname);
			if (m.old_kind) {
				CHECK(m.oldtup.ncols == rel->ncols);
				buf_printf(&out, " %c", m.old_kind);
				tuple_json(&out, rel, &m.oldtup);
			}
			if (m.kind != PGO_DELETE) {
				CHECK(m.newtup.ncols == rel->ncols);
				buf_puts(&out, " N");
				tuple_json(&out, rel, &m.newtup);
			}
			buf_cstr(&out);
			break;
		case PGO_TRUNCATE:
			CHECK(m.nrels == 2);
			CHECK(m.flags == 0);
			if (m.nrels == 2) {
				const struct pgo_relation *a, *h;
				a = pgo_relation_get(&rc, pgo_truncate_relid(&m, 0));
				h = pgo_relation_get(&rc, pgo_truncate_relid(&m, 1));
				CHECK(a && strcmp(a->relname, "acct") == 0);
				CHECK(h && strcmp(h->relname, "hist") == 0);
			}
			break;
		default:
			fprintf(stderr, "message %d: unexpected '%c'\n", i + 1,
			    m.kind);
			failures++;
		}
		if (!rel)
			continue;
		/* the changes in the order they were made */
		static int change;
		const char *o = out.p;
		switch (change++) {
		case 0:
			{
				static const char want[] = "I acct N{\"id\":1,"
				    "\"name\":\"Ann\",\"amount\":12.50,"
				    "\"ts\":\"2026-12-01T10:00:00.123456Z\",\"big\":";
				CHECK(strncmp(o, want, sizeof want - 1) == 0);
			}
			CHECK(strstr(o, big.p) != NULL);
			CHECK(strstr(o, "\"flag\":true,\"doc\":{\"a\": [1, 2.5, null]},"
			    "\"tags\":[\"p\",\"q r\"],\"b\":\"AP8=\","
			    "\"d\":\"2026-12-01\",\"iv\":\"1 day 02:03:04\"}") != NULL);
			break;
		case 1:
			CHECK_STR(o, "I acct N{\"id\":2,\"name\":null,\"amount\":null,"
			    "\"ts\":null,\"big\":null,\"flag\":null,\"doc\":null,"
			    "\"tags\":null,\"b\":null,\"d\":null,\"iv\":null}");
			break;
		case 2:
			/* no old image: the key did not change; big not sent */
			CHECK_STR(o, "U acct N{\"id\":1,\"name\":\"Anne\","
			    "\"amount\":12.50,\"ts\":\"2026-12-01T10:00:00.123456Z\","
			    "\"big\":unchanged,\"flag\":true,"
			    "\"doc\":{\"a\": [1, 2.5, null]},"
			    "\"tags\":[\"p\",\"q r\"],\"b\":\"AP8=\","
			    "\"d\":\"2026-12-01\",\"iv\":\"1 day 02:03:04\"}");
			break;
		case 3:
			CHECK_STR(o, "U acct K{\"id\":2,\"name\":null,\"amount\":null,"
			    "\"ts\":null,\"big\":null,\"flag\":null,\"doc\":null,"
			    "\"tags\":null,\"b\":null,\"d\":null,\"iv\":null} "
			    "N{\"id\":3,\"name\":null,\"amount\":null,"
			    "\"ts\":null,\"big\":null,\"flag\":null,\"doc\":null,"
			    "\"tags\":null,\"b\":null,\"d\":null,\"iv\":null}");
			break;
		case 4:
			CHECK_STR(o, "D acct K{\"id\":3,\"name\":null,\"amount\":null,"
			    "\"ts\":null,\"big\":null,\"flag\":null,\"doc\":null,"
			    "\"tags\":null,\"b\":null,\"d\":null,\"iv\":null}");
			break;
		case 5:
			CHECK_STR(o, "I hist N{\"id\":1,\"note\":\"one\"}");
			break;
		case 6:
			CHECK_STR(o, "U hist O{\"id\":1,\"note\":\"one\"} "
			    "N{\"id\":1,\"note\":\"uno\"}");
			break;
		case 7:
			CHECK_STR(o, "D hist O{\"id\":1,\"note\":\"uno\"}");
			break;
		default:
			fprintf(stderr, "an unexpected change: %s\n", o);
			failures++;
		}
	}
	CHECK(begins == 9 && commits == 9);

	/* every truncation of a recorded message is refused, never read past */
	for (int i = 0; i < n; i++)
		for (size_t k = 0; k < r[i].len; k++) {
			unsigned char *c = xmalloc(k ? k : 1);
			memcpy(c, r[i].msg, k);
			checks++;
			if (pgo_decode(&m, c, k, &st, err, sizeof err) == 0) {
				fprintf(stderr, "message %d cut to %zu bytes "
				    "decoded\n", i + 1, k);
				failures++;
			}
			free(c);
		}
	/* and a byte more is refused too */
	{
		unsigned char *c = xmalloc(r[0].len + 1);
		memcpy(c, r[0].msg, r[0].len);
		c[r[0].len] = 0;
		CHECK(pgo_decode(&m, c, r[0].len + 1, &st, err, sizeof err) != 0);
		CHECK(strstr(err, "1 bytes left") != NULL);
		free(c);
	}

	for (int i = 0; i < n; i++)
		free(r[i].msg);
	free(r);
	buf_free(&out);
	buf_free(&big);
	pgo_msg_free(&m);
	pgo_relcache_free(&rc);
}

static void
malformed(void)
{
	struct pgo_msg m;
	struct pgo_state st = { 1, 0 };
	char err[256];

	pgo_msg_init(&m);
	CHECK(pgo_decode(&m, "", 0, &st, err, sizeof err) != 0);
	CHECK_STR(err, "empty message");
	CHECK(pgo_decode(&m, "Z", 1, &st, err, sizeof err) != 0);
	CHECK_STR(err, "unknown message type 0x5a");
	/* Insert of relation 1, a column of kind 'x' */
	CHECK(pgo_decode(&m, "I\0\0\0\1N\0\1x", 9, &st, err, sizeof err) != 0);
	CHECK(strstr(err, "unknown tuple column kind") != NULL);
	/* a text column longer than the message */
	CHECK(pgo_decode(&m, "I\0\0\0\1N\0\1t\0\0\0\5ab", 15, &st, err,
	    sizeof err) != 0);
	CHECK(strstr(err, "past the end") != NULL);
	/* 65535 columns announced, two bytes follow */
	CHECK(pgo_decode(&m, "I\0\0\0\1N\xff\xffnn", 10, &st, err,
	    sizeof err) != 0);
	/* Truncate of 2^31 relations */
	CHECK(pgo_decode(&m, "T\x80\0\0\0\0", 6, &st, err, sizeof err) != 0);
	/* Delete without an old tuple */
	CHECK(pgo_decode(&m, "D\0\0\0\1N\0\0", 8, &st, err, sizeof err) != 0);
	CHECK(strstr(err, "Delete without an old tuple") != NULL);
	/* protocol 2: inside a stream, an Insert carries its xid first */
	st.proto = 2;
	CHECK(pgo_decode(&m, "S\0\0\2\xd9\1", 6, &st, err, sizeof err) == 0);
	CHECK(m.xid == 729 && m.first_segment == 1 && st.in_stream);
	CHECK(pgo_decode(&m, "I\0\0\2\xd9\0\0\0\1N\0\1n", 13, &st, err,
	    sizeof err) == 0);
	CHECK(m.xid == 729 && m.relid == 1 && m.newtup.ncols == 1 &&
	    m.newtup.cols[0].kind == 'n');
	CHECK(pgo_decode(&m, "E", 1, &st, err, sizeof err) == 0);
	CHECK(!st.in_stream);
	pgo_msg_free(&m);

	/* pgtypes: text that is not what its kind expects stays a string */
	struct buf b;
	buf_init(&b);
	CHECK(pgt_encode(&b, PGT_INT, PGT_TEXT, "12x", 3, 0) == -1);
	CHECK_STR(buf_cstr(&b), "\"12x\"");
	buf_reset(&b);
	CHECK(pgt_encode(&b, PGT_NUMERIC, PGT_TEXT, "NaN", 3, 0) == 0);
	CHECK_STR(buf_cstr(&b), "\"NaN\"");
	buf_reset(&b);
	CHECK(pgt_encode(&b, PGT_NUMERIC, PGT_TEXT, "12.50", 5, PGT_DEBEZIUM) == 0);
	CHECK_STR(buf_cstr(&b), "\"12.50\"");
	buf_reset(&b);
	CHECK(pgt_encode(&b, PGT_ARRAY, PGT_INT, "{1,NULL,3}", 10, 0) == 0);
	CHECK_STR(buf_cstr(&b), "[1,null,3]");
	buf_free(&b);
	CHECK(pgo_ts_ms(-1) == 946684799999LL);
}

int
main(int argc, char **argv)
{
	setprogname(argv[0]);
	if (argc != 2)
		die(EX_USAGE, "usage: pgoutput MESSAGES.tsv");
	malformed();
	recorded(argv[1]);
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
