/*
 * pgoutput.h: a decoder for the messages of PostgreSQL's built-in logical
 * replication output plugin, pgoutput (protocol versions 1 and 2), and a
 * cache of the relations they describe.
 *
 * Pure code: no connection, no allocation per row. A decoded message points
 * into the buffer it was decoded from, so it is valid until that buffer is
 * freed or the next call reuses the message.
 *
 *   struct pgo_msg m;
 *   pgo_msg_init(&m);
 *   if (pgo_decode(&m, data, len, &st, err, sizeof err) != 0) ...error...
 *   switch (m.kind) { case PGO_INSERT: ... m.newtup.cols[i] ... }
 *   pgo_msg_free(&m);
 */
#ifndef TP_PGOUTPUT_H
#define TP_PGOUTPUT_H

#include <stddef.h>
#include <stdint.h>

enum pgo_kind {
	PGO_BEGIN = 'B',
	PGO_COMMIT = 'C',
	PGO_ORIGIN = 'O',
	PGO_RELATION = 'R',
	PGO_TYPE = 'Y',
	PGO_INSERT = 'I',
	PGO_UPDATE = 'U',
	PGO_DELETE = 'D',
	PGO_TRUNCATE = 'T',
	PGO_MESSAGE = 'M',
	PGO_STREAM_START = 'S',	/* protocol 2 */
	PGO_STREAM_STOP = 'E',
	PGO_STREAM_COMMIT = 'c',
	PGO_STREAM_ABORT = 'A',
};

/* One column of a tuple: kind 'n' null, 'u' unchanged TOASTed value (not
 * sent), 't' text, 'b' binary; data/len for 't' and 'b'. */
struct pgo_col {
	char kind;
	uint32_t len;
	const char *data;
};

struct pgo_tuple {
	int ncols;
	int cap;
	struct pgo_col *cols;	/* grown once, reused */
};

/* Decoder state kept between messages: the protocol version and whether a
 * streamed transaction's chunk is open (its messages carry an xid). */
struct pgo_state {
	int proto;
	int in_stream;
};

struct pgo_msg {
	char kind;
	uint32_t xid;		/* Begin, streamed messages, stream start/commit/abort */
	uint32_t subxid;	/* stream abort */
	uint64_t lsn;		/* Begin: final lsn; Commit: commit lsn; Origin, Message */
	uint64_t end_lsn;	/* Commit: end of the commit record */
	int64_t ts;		/* Begin, Commit: commit time, microseconds since 2000 */
	uint8_t flags;		/* Commit; Message: 1 transactional; Truncate options */
	int first_segment;	/* stream start */
	uint32_t relid;		/* Relation, Insert, Update, Delete */
	/* Relation and Type */
	const char *nspname, *relname;	/* Relation; Type: nspname, typname */
	char replident;
	int nrelcols;
	const unsigned char *relcols;	/* raw column list, see pgo_relation_put */
	size_t relcols_len;
	uint32_t typid;		/* Type */
	/* Insert, Update, Delete */
	char old_kind;		/* 'K' key, 'O' old row, 0 none */
	struct pgo_tuple oldtup, newtup;
	/* Truncate */
	int nrels;
	const unsigned char *relids;	/* nrels big-endian uint32 */
	/* Origin name, or Message prefix and content */
	const char *name;
	const char *content;
	uint32_t content_len;
};

void pgo_msg_init(struct pgo_msg *m);
void pgo_msg_free(struct pgo_msg *m);

/*
 * Decode one pgoutput message (the payload of an XLogData message).
 * Returns 0, or -1 with a reason in err when the message is malformed.
 */
int pgo_decode(struct pgo_msg *m, const void *data, size_t len,
    struct pgo_state *st, char *err, size_t errlen);

/* The i-th relation id of a decoded Truncate. */
uint32_t pgo_truncate_relid(const struct pgo_msg *m, int i);

/* Big-endian helpers, shared with the replication protocol's framing. */
uint64_t pgo_get64(const unsigned char *p);
uint32_t pgo_get32(const unsigned char *p);
void pgo_put64(unsigned char *p, uint64_t v);

/* Microseconds since 2000-01-01 to milliseconds since 1970. */
long long pgo_ts_ms(int64_t pg_us);

/* Relation cache: relations by oid, replaced when a new Relation arrives. */
struct pgo_relcol {
	char *name;
	uint32_t typid;
	int32_t typmod;
	int key;
	/* free for the user of the cache (type mapping) */
	int kind, elemkind;
};

struct pgo_relation {
	uint32_t oid;
	char *nspname, *relname;
	char replident;
	int ncols;
	struct pgo_relcol *cols;
	void *user;		/* free for the user; freed with free() */
};

struct pgo_relcache {
	int n, cap;
	struct pgo_relation **rels;
	int last;		/* index of the last hit */
};

void pgo_relcache_init(struct pgo_relcache *c);
void pgo_relcache_free(struct pgo_relcache *c);
/* Store the relation a decoded Relation message describes, replacing any
 * earlier version; returns it. */
struct pgo_relation *pgo_relation_put(struct pgo_relcache *c,
    const struct pgo_msg *m);
struct pgo_relation *pgo_relation_get(struct pgo_relcache *c, uint32_t oid);

#endif
