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
 * at the end of the input, with f.unterminated set (see line_fragment()).
 */
#ifndef TP_ENRICH_IO_H
#define TP_ENRICH_IO_H

#include <stddef.h>

struct fdlines {
	int fd;			/* -1 once closed */
	const char *name;	/* for messages */
	int regular;		/* a regular file (its end is the end) */
	int eof;		/* read(2) returned 0 */
	int unterminated;	/* the line last returned lacked its '\n' */
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

/* ---- positions of table lines ---- */

struct buf;

/*
 * The stream and position of a table line (a valid JSON object): its
 * Kafka provenance when it has one (stream "kafka:TOPIC:PARTITION", the
 * offset), else the source of its change record: from MySQL
 * ("mysql:NAME") the binlog file's number, pos, 0 for a snapshot record or
 * 1 for a change, row; from PostgreSQL ("postgresql:NAME:DB") the commit
 * LSN, the change's LSN and row from source.sequence (a snapshot record:
 * its consistent point, 0, row), or lsn, lsn, row without a sequence.
 * key gets text that sorts as the stream's order (fixed-width decimal
 * fields), pos the position as a JSON object for people. Returns 1, or 0
 * when the line has no position.
 */
int line_position(const char *line, size_t n, struct buf *stream,
    struct buf *key, struct buf *pos);

/* ---- state files ---- */

/*
 * A text file of lines, replaced atomically: written to a temp file beside
 * it, ended with "end LINES CRC" (the number of lines before it and their
 * CRC-32, newlines included), fsync'd, renamed over the file, and the
 * folder fsync'd. Reading checks the end line, so that a truncated or
 * damaged file is found.
 */
struct state_file {
	const char *path;
	char *tmp;
	void *fp;		/* FILE * */
	unsigned long crc;
	unsigned long long lineno;	/* lines written, or the last read */
	unsigned long long bytes;
	int ended;
	unsigned long long size;	/* of the file read */
	char *line;
	size_t cap, max;
};

/* Start writing a state file for path. Returns 0, or -1 with errno. */
int sf_create(struct state_file *f, const char *path);
/* Write one line (without '\n'). Returns 0, or -1 with errno. */
int sf_line(struct state_file *f, const char *s, size_t n);
/* End it and replace path. Returns 0, or -1 with errno (path unchanged). */
int sf_commit(struct state_file *f);
/* Give up writing: the temp file is removed. */
void sf_abort(struct state_file *f);

/* Open path to read lines of at most max bytes. Returns 0, 1 when there
 * is no such file, or -1 with errno. */
int sf_open(struct state_file *f, const char *path, size_t max);
/*
 * The next line: 1 with *line (NUL-terminated) and *len, f->lineno its
 * number; 0 at the end line, checked; -1 with *why when the file is
 * truncated, damaged or unreadable.
 */
int sf_next(struct state_file *f, char **line, size_t *len, const char **why);
void sf_close(struct state_file *f);

#endif
