/*
 * csvread.h: CSV records (RFC 4180, parsed by libcsv) with their position.
 *
 * Each record comes with the physical line it starts on (embedded line
 * ends counted), its byte offsets in the file and its raw bytes, so that a
 * program can report FILE:LINE, checkpoint an offset to resume from, and
 * write a rejected record verbatim to a dead-letter file.
 *
 * Parsing is strict: spaces belong to the field, a quote inside an
 * unquoted field or text after a closing quote makes the record bad, and
 * so does an unterminated quoted field at the end of the file. Lines end
 * with LF, CRLF or CR. Blank lines are skipped. A UTF-8 byte order mark at
 * the start of the file is skipped.
 *
 * A bad record does not stop the reader: it resumes on the next line. A
 * record longer than the limit is bad too; its bytes up to the end of the
 * line where the limit was passed are returned, in pieces when they do not
 * fit in memory (CR_MORE), and reading resumes on the next line.
 */
#ifndef TP_CSVREAD_H
#define TP_CSVREAD_H

#include <csv.h>
#include <stddef.h>
#include <sys/types.h>

#include "buf.h"

struct csvfield {
	const char *p;		/* NULL for an empty unquoted cell */
	size_t n;
};

struct csvrec {
	size_t nf;
	const struct csvfield *f;	/* CR_ROW: nf fields */
	const char *raw;	/* the bytes of the record, line end included */
	size_t rawlen;
	unsigned long long line;	/* line the record starts on, from 1 */
	unsigned long long start, end;	/* byte offsets [start, end) */
	char err[128];		/* CR_BAD: why */
};

enum {
	CR_EOF = 0,
	CR_ROW = 1,
	CR_BAD = 2,	/* a bad record: err, raw, line */
	CR_MORE = 3,	/* more raw bytes of the bad record before */
	CR_ERROR = -1,	/* read error, errno set */
};

struct csvread {
	int fd;
	size_t max;		/* longest record accepted, in bytes */
	char *in;		/* in[0] is at file offset base */
	size_t cap, rs, pos, end;	/* record start, next byte, data end */
	unsigned long long base;
	unsigned long long line;	/* line ends consumed */
	unsigned long long rec_line;	/* line the current record starts on */
	int eof, need_more, skipping, row_done, clear, bom_checked;
	struct csv_parser p;
	struct buf fbuf;	/* the current record's field bytes */
	size_t *fo, *fl;	/* offset in fbuf (SIZE_MAX: empty unquoted), length */
	struct csvfield *f;
	size_t nf, fcap;
};

/* Read from fd (not closed by csvr_free). */
void csvr_init(struct csvread *r, int fd, size_t max);
void csvr_free(struct csvread *r);

/*
 * Go to byte offset off, a record boundary, with lines line ends before
 * it. Returns 0, or -1 with errno set.
 */
int csvr_seek(struct csvread *r, unsigned long long off,
    unsigned long long lines);

/* The next record: CR_ROW, CR_BAD, CR_MORE, CR_EOF or CR_ERROR. */
int csvr_next(struct csvread *r, struct csvrec *rec);

/* Byte offset of the next byte to read: how far the file was read. */
static inline unsigned long long
csvr_offset(const struct csvread *r)
{
	return r->base + r->pos;
}

/*
 * Copy what r holds and the rest of r->fd to fd, at the same offsets, then
 * read on from fd (a temporary file: seekable). Call it after the first
 * record, so that the file from that record on can be read again.
 * Returns 0, or -1 with errno set (*wfail set when writing failed).
 */
int csvr_spool(struct csvread *r, int fd, int *wfail);

#endif
