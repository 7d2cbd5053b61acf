/*
 * pgoutput: libFuzzer target for lib/pgoutput and lib/pgtypes.
 *
 * Input: one byte of options (bit 0: protocol 2, bit 1: Debezium
 * encodings), then messages, each a 2-byte big-endian length and that many
 * bytes of a pgoutput message (the payload of an XLogData). Each message
 * is decoded as pgcdc2jsonl does: Relation messages fill the relation
 * cache, and the tuples of Insert, Update and Delete are turned into JSON
 * through the type kinds of their relation's columns (a column whose type
 * is not built in gets a kind derived from its OID and type modifier, so
 * that every kind of pgtypes is reached).
 */
#include "pgoutput.h"
#include "pgtypes.h"
#include "buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void
kinds(struct pgo_relation *rel)
{
	for (int i = 0; i < rel->ncols; i++) {
		struct pgo_relcol *c = &rel->cols[i];
		enum pgt_kind k, e;

		if (!pgt_builtin(c->typid, &k, &e)) {
			k = (enum pgt_kind)(c->typid % (PGT_ARRAY + 1));
			e = (enum pgt_kind)((uint32_t)c->typmod % PGT_ARRAY);
		}
		c->kind = (int)k;
		c->elemkind = (int)e;
	}
}

static void
tuple(struct buf *out, const struct pgo_relation *rel,
    const struct pgo_tuple *t, const struct pgo_tuple *old, int flags)
{
	if (t->ncols != rel->ncols)
		return;
	buf_putc(out, '{');
	for (int i = 0; i < t->ncols; i++) {
		const struct pgo_relcol *c = &rel->cols[i];
		const struct pgo_col *v = &t->cols[i];

		if (v->kind == 'u' && old && i < old->ncols &&
		    old->cols[i].kind == 't')
			v = &old->cols[i];
		buf_printf(out, "\"%s\":", c->name);
		switch (v->kind) {
		case 'n':
		case 'u':
			buf_puts(out, "null");
			break;
		default:
			pgt_encode(out, (enum pgt_kind)c->kind,
			    (enum pgt_kind)c->elemkind, v->data, v->len, flags);
		}
		buf_putc(out, ',');
	}
	buf_putc(out, '}');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pgo_relcache rels;
	struct pgo_msg m;
	struct pgo_state st = { 1, 0 };
	struct buf out;
	char err[256];
	int flags;

	if (size < 1)
		return 0;
	st.proto = data[0] & 1 ? 2 : 1;
	flags = data[0] & 2 ? PGT_DEBEZIUM : 0;
	data++;
	size--;
	pgo_relcache_init(&rels);
	pgo_msg_init(&m);
	buf_init(&out);
	while (size >= 2) {
		size_t n = (size_t)data[0] << 8 | data[1];
		struct pgo_relation *rel;

		data += 2;
		size -= 2;
		if (n > size)
			n = size;
		/* a copy of its exact size, so that reads past it are seen */
		unsigned char *msg = malloc(n ? n : 1);
		memcpy(msg, data, n);
		data += n;
		size -= n;
		if (pgo_decode(&m, msg, n, &st, err, sizeof err) != 0) {
			free(msg);
			continue;
		}
		buf_reset(&out);
		switch (m.kind) {
		case PGO_RELATION:
			kinds(pgo_relation_put(&rels, &m));
			break;
		case PGO_INSERT:
		case PGO_UPDATE:
		case PGO_DELETE:
			if ((rel = pgo_relation_get(&rels, m.relid)) == NULL)
				break;
			if (m.old_kind)
				tuple(&out, rel, &m.oldtup, NULL, flags);
			if (m.kind != PGO_DELETE)
				tuple(&out, rel, &m.newtup, m.old_kind == 'O' ?
				    &m.oldtup : NULL, flags);
			break;
		case PGO_TRUNCATE:
			for (int i = 0; i < m.nrels; i++)
				(void)pgo_relation_get(&rels,
				    pgo_truncate_relid(&m, i));
			break;
		case PGO_BEGIN:
		case PGO_COMMIT:
			(void)pgo_ts_ms(m.ts);
			break;
		}
		free(msg);
	}
	buf_free(&out);
	pgo_msg_free(&m);
	pgo_relcache_free(&rels);
	return 0;
}
