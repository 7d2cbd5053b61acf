/*
 * binlog_event: libFuzzer target for lib/binlog and lib/mysqltypes.
 *
 * The input is a binlog file (the 4-byte magic optional): it is split into
 * events by their size field and fed to bl_event() one after the other, as
 * binlog2jsonl does, so that the format description and table maps of
 * earlier events shape the decoding of later ones. Rows events are walked
 * image by image in both encodings; a TRANSACTION_PAYLOAD's events are
 * decoded as nested events. Checksums are not verified (a fuzzer would
 * rarely get past them); the first byte of the input, when it is not the
 * magic, turns verification on when odd.
 */
#include "binlog.h"
#include "mysqltypes.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct buf vals;

static void
rows(struct binlog *b, struct bl_event *ev)
{
	static const enum my_enc encs[] = { MY_ENC_PLAIN, MY_ENC_DEBEZIUM };
	uint32_t n = ev->table->ncols;
	size_t *off = calloc(n, sizeof *off), *len = calloc(n, sizeof *len);

	for (int e = 0; e < 2; e++) {
		const unsigned char *p = ev->rows, *end = ev->rows + ev->rows_len;
		while (p < end) {
			if (bl_row_image(b, ev, &p, ev->present, &vals, off, len,
			    encs[e]) < 0)
				break;
			if (ev->op == 'u' && bl_row_image(b, ev, &p,
			    ev->present_after, &vals, off, len, encs[e]) < 0)
				break;
		}
		/* and the skipping path */
		p = ev->rows;
		if (e == 0)
			(void)bl_row_image(b, ev, &p, ev->present, NULL, NULL,
			    NULL, encs[e]);
	}
	free(off);
	free(len);
}

static void
events(struct binlog *b, const unsigned char *p, size_t n, int nested,
    int depth)
{
	while (n > 0) {
		long k = bl_payload_next(p, n);
		struct bl_event ev;

		if (k <= 0)
			return;
		if (bl_event(b, p, (size_t)k, nested, &ev) == 0) {
			switch (ev.type) {
			case BL_WRITE_ROWS_V1: case BL_UPDATE_ROWS_V1:
			case BL_DELETE_ROWS_V1: case BL_WRITE_ROWS:
			case BL_UPDATE_ROWS: case BL_DELETE_ROWS:
			case BL_MARIA_WRITE_ROWS_COMPRESSED_V1:
			case BL_MARIA_UPDATE_ROWS_COMPRESSED_V1:
			case BL_MARIA_DELETE_ROWS_COMPRESSED_V1:
			case BL_MARIA_WRITE_ROWS_COMPRESSED:
			case BL_MARIA_UPDATE_ROWS_COMPRESSED:
			case BL_MARIA_DELETE_ROWS_COMPRESSED:
				rows(b, &ev);
				break;
			case BL_TRANSACTION_PAYLOAD:
				if (depth < 4 && ev.payload_len > 0) {
					/* nested events reuse the payload
					 * buffer: decode from a copy */
					unsigned char *c = malloc(ev.payload_len);
					size_t cl = ev.payload_len;
					memcpy(c, ev.payload, cl);
					events(b, c, cl, 1, depth + 1);
					free(c);
				}
				break;
			case BL_QUERY:
				/* after DDL binlog2jsonl forgets the maps */
				if (ev.query_len >= 5 &&
				    memcmp(ev.query, "ALTER", 5) == 0)
					bl_tables_clear(b);
				break;
			}
		}
		p += k;
		n -= (size_t)k;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct binlog b;

	bl_init(&b);
	b.verify = 0;
	if (size >= 4 && memcmp(data, "\xfe" "bin", 4) == 0) {
		data += 4;
		size -= 4;
	} else if (size >= 1) {
		b.verify = data[0] & 1;
		data++;
		size--;
	}
	buf_init(&vals);
	events(&b, data, size, 0, 0);
	buf_free(&vals);
	bl_free(&b);
	return 0;
}
