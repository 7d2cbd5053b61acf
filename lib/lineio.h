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
	int pipe;		/* the input is a pipe, FIFO or socket */
	int unterminated;	/* the line last returned lacked its '\n' */
	char *buf;
	size_t cap;
	char *iobuf;		/* stdio's buffer, LR_IOBUF bytes */
	/* with lr_map: a window of the file mapped (mlen bytes from
	 * mbase), and how far the file is read */
	int mapped;
	size_t window;		/* bytes mapped at once; 0: LR_WINDOW */
	const char *map;
	size_t mbase, mlen, mpos;
	size_t mahead;		/* loads started up to here */
	volatile int mapbad;	/* a page of it was gone (the file shrank) */
	const char *why;	/* LR_ERROR's reason when errno has none */
};

#define LR_IOBUF (256 * 1024)
#define LR_WINDOW ((size_t)8 << 20)

enum { LR_EOF = 0, LR_OK = 1, LR_TOOLONG = -1, LR_ERROR = -2 };

/* Open path ("-" or NULL for stdin); returns -1 with errno on failure. */
int lr_open(struct lreader *r, const char *path, size_t max);
void lr_close(struct lreader *r);
/*
 * Read a regular file through a mapping of it rather than read(2): no
 * copy of it by the kernel. Lines come as before (copied, NUL-ended) and
 * a file that grows is mapped again at its end. A file that shrinks
 * under the mapping is LR_ERROR with errno EIO and why set, not SIGBUS.
 * Not for stdin, a pipe or an empty file (then a no-op); 0, or -1 with
 * errno when the mapping failed (the reader is as it was).
 */
int lr_map(struct lreader *r);

/*
 * Read the next line. LR_OK: *line points at len bytes without the '\n'
 * (NUL-terminated, valid until the next call); a final line without '\n'
 * is returned too. LR_TOOLONG: the line was longer than max; the first
 * max bytes are returned in *line and *len and the rest was skipped.
 * LR_EOF at end, LR_ERROR on a read error (errno set; with why, the
 * reason to say instead of strerror's).
 */
int lr_next(struct lreader *r, char **line, size_t *len);

/*
 * A fragment: the last line of a pipe, FIFO or socket, without its '\n',
 * that is not JSON. Its writer stopped in the middle of the record (killed,
 * or out of space), so the rest of it never came: the line is no record to
 * dead-letter, and the input is broken (EX_IOERR). A last line of a regular
 * file, or one that is whole JSON, is a record like any other.
 */
int line_fragment(int unterminated, int pipe, const char *line, size_t len);
static inline int
lr_fragment(const struct lreader *r, const char *line, size_t len)
{
	return line_fragment(r->unterminated, r->pipe, line, len);
}
/* Say so: "NAME:LINE: the input ends inside a line (N bytes; ...)". */
void fragment_warn(const char *name, unsigned long long lineno, size_t len);

#endif
