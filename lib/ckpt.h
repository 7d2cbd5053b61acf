/*
 * ckpt.h: checkpoint files, the positions a sink has made durable.
 *
 * A checkpoint is one JSON document, replaced atomically (temp file, fsync,
 * rename, fsync of the folder):
 *
 *   {"version":1,"program":"produce","updated":"2026-11-01T08:15:02.000Z",
 *    "streams":{"STREAM":{...position...}, ...}}
 *
 * STREAM names one source stream; its position object is what the source
 * needs to resume after it (see ckpt_stream_of() for the names used).
 * A sink that passes barrier records (ch-insert) adds "barrier":N, the
 * number of the last barrier before which everything is durable.
 */
#ifndef TP_CKPT_H
#define TP_CKPT_H

#include <jansson.h>

struct ckpt {
	char *path;
	char *program;
	json_t *streams;	/* object: stream name -> position object */
	long long barrier;	/* the last barrier passed, -1 for none */
};

/*
 * Open a checkpoint: load it when the file exists (its streams and its
 * barrier, which ckpt_save writes again), start empty when not.
 * Returns 0, or -1 with a message in err (a file that exists but does not
 * parse is an error: it is never silently replaced).
 */
int ckpt_open(struct ckpt *c, const char *path, const char *program,
    char *err, size_t errlen);
void ckpt_close(struct ckpt *c);

/* Position of one stream (borrowed), or NULL. */
json_t *ckpt_get(const struct ckpt *c, const char *stream);
/* Set a stream's position (the reference to pos is stolen). */
void ckpt_set(struct ckpt *c, const char *stream, json_t *pos);

/* Write the file atomically. Returns 0, or -1 with errno set. */
int ckpt_save(const struct ckpt *c);

/*
 * The stream name and position of a record, from its source fields:
 *   change record from MySQL:      "mysql:NAME"       {file,pos,row,gtid,server_id}
 *   change record from PostgreSQL: "postgresql:NAME:DB" {lsn,txId}
 *   record with _kafka provenance: "kafka:TOPIC:PARTITION" {topic,partition,offset}
 *   record with _csv provenance:   "csv:FILE"         {file,line,offset}
 * Returns a new position object and writes the name into *stream (malloc'd),
 * or NULL when the record carries no position.
 */
json_t *ckpt_position_of(json_t *record, char **stream);

#endif
