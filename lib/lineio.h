/* lineio.h: read newline-terminated records under a size limit. */
#ifndef TP_LINEIO_H
#define TP_LINEIO_H

#include <stdio.h>
#include <sys/types.h>

#define LINE_MAX_DEFAULT (16L << 20)	/* 16 MiB */

struct lreader {
	FILE *fp;
	const char *name;	/* for messages: a path or "<stdin>" */
	unsigned long long lineno;	/* number of the line last returned */
	unsigned long long offset;	/* byte offset just past that line */
	size_t max;		/* longest line accepted, without its '\n' */
	char *buf;
	size_t cap;
};

enum { LR_EOF = 0, LR_OK = 1, LR_TOOLONG = -1, LR_ERROR = -2 };

/* Open path ("-" or NULL for stdin); returns -1 with errno on failure. */
int lr_open(struct lreader *r, const char *path, size_t max);
void lr_close(struct lreader *r);

/*
 * Read the next line. LR_OK: *line points at len bytes without the '\n'
 * (NUL-terminated, valid until the next call); a final line without '\n'
 * is returned too. LR_TOOLONG: the line was longer than max; the first
 * max bytes are returned in *line and *len and the rest was skipped.
 * LR_EOF at end, LR_ERROR on a read error (errno set).
 */
int lr_next(struct lreader *r, char **line, size_t *len);

#endif
