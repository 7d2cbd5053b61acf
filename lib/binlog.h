/*
 * binlog.h: MySQL / MariaDB binary log events, decoded from bytes.
 *
 * Pure code: no server, no I/O. Feed it events one at a time (from a
 * replication stream or from a binlog file) with bl_event(); it keeps the
 * format description and the table maps it needs, and hands back what each
 * event says. Row events are walked image by image with bl_row_image(),
 * which decodes the values of each column into one reusable buffer.
 */
#ifndef TP_BINLOG_H
#define TP_BINLOG_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "mysqltypes.h"

enum bl_type {
	BL_QUERY = 2, BL_STOP = 3, BL_ROTATE = 4, BL_INTVAR = 5, BL_RAND = 13,
	BL_USER_VAR = 14, BL_FORMAT_DESCRIPTION = 15, BL_XID = 16,
	BL_TABLE_MAP = 19, BL_WRITE_ROWS_V1 = 23, BL_UPDATE_ROWS_V1 = 24,
	BL_DELETE_ROWS_V1 = 25, BL_HEARTBEAT = 27, BL_ROWS_QUERY = 29,
	BL_WRITE_ROWS = 30, BL_UPDATE_ROWS = 31, BL_DELETE_ROWS = 32,
	BL_GTID = 33, BL_ANONYMOUS_GTID = 34, BL_PREVIOUS_GTIDS = 35,
	BL_PARTIAL_UPDATE_ROWS = 39, BL_TRANSACTION_PAYLOAD = 40,
	BL_HEARTBEAT_V2 = 41,
	BL_MARIA_ANNOTATE_ROWS = 160, BL_MARIA_BINLOG_CHECKPOINT = 161,
	BL_MARIA_GTID = 162, BL_MARIA_GTID_LIST = 163,
	BL_MARIA_START_ENCRYPTION = 164, BL_MARIA_QUERY_COMPRESSED = 165,
	BL_MARIA_WRITE_ROWS_COMPRESSED_V1 = 166,
	BL_MARIA_UPDATE_ROWS_COMPRESSED_V1 = 167,
	BL_MARIA_DELETE_ROWS_COMPRESSED_V1 = 168,
	BL_MARIA_WRITE_ROWS_COMPRESSED = 169,
	BL_MARIA_UPDATE_ROWS_COMPRESSED = 170,
	BL_MARIA_DELETE_ROWS_COMPRESSED = 171,
};

#define BL_HEADER_LEN 19

struct bl_table {
	uint64_t id;
	char *db, *name;
	uint32_t ncols;
	struct mycol *cols;
	int has_names;		/* names from optional metadata */
	int selected;		/* the caller's: -1 not yet decided */
	void *user;		/* the caller's */
	/* internal */
	unsigned char *raw;	/* the TABLE_MAP body, to spot a repeat */
	size_t rawlen;
	char *strs;		/* names and enum/set values */
	const char **vals;
	uint32_t *vlens;
	uint8_t *plan;		/* each column's my_plan(), for plan_enc */
	int plan_enc;
};

/* One decoded event. Pointers point into the caller's bytes or into the
 * decoder's own buffers, valid until the next call. */
struct bl_event {
	uint32_t ts;
	uint8_t type;
	uint32_t server_id;
	uint32_t size;
	uint32_t log_pos;	/* end position (0 in nested / fake events) */
	uint16_t flags;
	const unsigned char *body;
	size_t body_len;	/* without the checksum */

	/* by type */
	uint64_t next_pos;	/* ROTATE */
	const char *name;	/* ROTATE file name; QUERY db */
	size_t name_len;
	const char *query;	/* QUERY, ANNOTATE_ROWS, ROWS_QUERY */
	size_t query_len;
	uint64_t xid;		/* XID */
	char gtid[96];		/* GTID events: "uuid:gno" or "d-s-n" */
	int gtid_standalone;	/* MariaDB: no BEGIN/COMMIT follows */
	struct bl_table *table;	/* TABLE_MAP, rows events */
	/* rows events */
	char op;		/* 'c' 'u' 'd' */
	uint32_t ncols;
	const unsigned char *present, *present_after;
	uint32_t npresent, npresent_after;	/* their bits set */
	const unsigned char *rows;
	size_t rows_len;
	/* TRANSACTION_PAYLOAD: the uncompressed events */
	const unsigned char *payload;
	size_t payload_len;
};

struct binlog {
	int checksum;		/* events end in 4 bytes of CRC32 */
	int verify;		/* check them */
	int fde_seen;
	uint8_t post_len[256];
	char server_version[51];
	struct bl_table **tables;
	size_t ntables, captables;
	struct buf scratch;	/* uncompressed data */
	struct buf payload;	/* TRANSACTION_PAYLOAD contents */
	char err[200];
};

void bl_init(struct binlog *b);
void bl_free(struct binlog *b);

/*
 * Decode one event, p[0..n) being the whole event (header, body, and a
 * checksum when the format says so). nested: an event inside a
 * TRANSACTION_PAYLOAD (never a checksum). Returns 0, or -1 with b->err.
 * An unknown type is not an error: ev->type tells what it was.
 */
int bl_event(struct binlog *b, const unsigned char *p, size_t n, int nested,
    struct bl_event *ev);

/* The next event of a TRANSACTION_PAYLOAD's contents: returns its length,
 * 0 at the end, -1 when malformed. */
long bl_payload_next(const unsigned char *p, size_t n);

/*
 * Decode one row image of a rows event, starting at *pp (inside
 * ev->rows), for the columns present in bitmap `present`. Each column's
 * JSON text goes into vals; off[i]/len[i] locate column i, len[i] ==
 * (size_t)-1 for a column absent from the image. With vals NULL the values
 * are only skipped. Returns 0, or -1 with b->err when malformed.
 */
int bl_row_image(struct binlog *b, const struct bl_event *ev,
    const unsigned char **pp, const unsigned char *present, struct buf *vals,
    size_t *off, size_t *len, enum my_enc enc);
/*
 * The same, written as the members of a JSON object without its braces:
 * keys[i] then the value, for each column present. keys[i] is the name of
 * column i as JSON after a comma and with its colon (",\"id\":"); the
 * first member's is written without the comma.
 */
int bl_row_members(struct binlog *b, const struct bl_event *ev,
    const unsigned char **pp, const unsigned char *present,
    const struct buf *const *keys, struct buf *out, enum my_enc enc);

/* A table by id (from an earlier TABLE_MAP), or NULL. */
struct bl_table *bl_table_get(struct binlog *b, uint64_t id);
/* Forget every table map (after DDL). */
void bl_tables_clear(struct binlog *b);

/* CRC32 of a buffer (the binlog's checksum). */
uint32_t bl_crc32(const unsigned char *p, size_t n);

/* Whether a bitmap bit is set. */
static inline int
bl_bit(const unsigned char *bm, uint32_t i)
{
	return bm[i / 8] >> (i % 8) & 1;
}

const char *bl_type_name(int type);

/*
 * A MySQL GTID set in its text form ("uuid:1-5:7,uuid2:1-3", spaces and
 * newlines allowed, as gtid_executed shows it) in the binary form that
 * COM_BINLOG_DUMP_GTID carries: the count of server UUIDs (8 bytes), then
 * for each its 16 bytes, the count of intervals (8) and each interval's
 * first and one-past-last number (8 each), all little-endian. UUIDs are
 * sorted and intervals merged, as the server wants them. Returns 0, or -1
 * with a message in err.
 */
int bl_mysql_gtid_encode(const char *text, struct buf *out, char *err,
    size_t errlen);

#endif
