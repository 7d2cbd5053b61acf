/*
 * enrich_io.h: newline-terminated records from a file descriptor without
 * blocking, for a poll(2) loop over several inputs.
 *
 *   struct fdlines f;
 *   fdl_open(&f, path, max);        // "-" is standard input
 *   ... poll f.fd for POLLIN ...
 *   while ((rc = fdl_fill(&f)) > 0)  // read what is there (EAGAIN ends it)
 *       ;
 *   while ((rc = fdl_next(&f, &line, &len)) == FDL_OK || rc == FDL_TOOLONG)
 *       use(line, len);             // f.lineno is its line number
 *
 * A line longer than max is returned once as FDL_TOOLONG with its first
 * max bytes, the rest of it skipped. A last line without '\n' is returned
 * at the end of the input.
 */
#ifndef TP_ENRICH_IO_H
#define TP_ENRICH_IO_H

#include <stddef.h>

struct fdlines {
	int fd;			/* -1 once closed */
	const char *name;	/* for messages */
	int regular;		/* a regular file (its end is the end) */
	int eof;		/* read(2) returned 0 */
	unsigned long long lineno;	/* number of the line last returned */
	unsigned long long bytes;	/* bytes read so far */
	size_t max;
	/* internal */
	char *buf;
	size_t start, len, cap;	/* unread bytes are buf[start..len) */
	size_t scan;		/* offset from start already scanned for '\n' */
	int skipping;		/* inside a too-long line */
	int restore_flags;	/* file status flags to restore, or -1 */
};

enum { FDL_NONE = 0, FDL_OK = 1, FDL_TOOLONG = 2, FDL_EOF = 3 };

/*
 * Open path ("-" for standard input, fd 0) for reading and make it
 * non-blocking. A FIFO is opened blocking (so that its writer is there),
 * then switched. Returns 0, or -1 with errno.
 */
int fdl_open(struct fdlines *f, const char *path, const char *name,
    size_t max);
/* Use an open descriptor. */
void fdl_init_fd(struct fdlines *f, int fd, const char *name, size_t max);
void fdl_close(struct fdlines *f);

/*
 * One read(2): returns the number of bytes read (> 0), 0 at the end
 * (f->eof is set), -1 with errno EAGAIN when nothing is there now, or -1
 * with another errno on an error.
 */
long fdl_fill(struct fdlines *f);

/*
 * The next complete line: FDL_OK or FDL_TOOLONG with *line (NUL-terminated,
 * without '\n', valid until the next fdl_fill or fdl_next) and *len;
 * FDL_NONE when no complete line is buffered; FDL_EOF at the end, once
 * every line was returned.
 */
int fdl_next(struct fdlines *f, char **line, size_t *len);

#endif
