/* csvread.c: CSV records with their line, offsets and raw bytes. */
#include "csvread.h"
#include "util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define BLOCK (1 << 20)

/* libcsv's states (csv_parser.pstate), from libcsv.c */
#define ROW_NOT_BEGUN 0
#define FIELD_MIGHT_HAVE_ENDED 3

static int
no_space(unsigned char c)
{
	(void)c;
	return 0;	/* RFC 4180: spaces are part of the field */
}

static void
reset_parser(struct csvread *r)
{
	r->p.pstate = ROW_NOT_BEGUN;
	r->p.quoted = 0;
	r->p.spaces = 0;
	r->p.entry_pos = 0;
	r->p.status = 0;
	r->row_done = 0;
	r->clear = 1;
}

void
csvr_init(struct csvread *r, int fd, size_t max)
{
	memset(r, 0, sizeof *r);
	r->fd = fd;
	r->max = max;
	r->rec_line = 1;
	buf_init(&r->fbuf);
	buf_reserve(&r->fbuf, 256);	/* empty fields point somewhere */
	if (csv_init(&r->p, CSV_STRICT | CSV_STRICT_FINI | CSV_EMPTY_IS_NULL) != 0)
		die(EX_SOFTWARE, "csv_init failed");
	csv_set_space_func(&r->p, no_space);
	csv_set_blk_size(&r->p, 1 << 16);
}

void
csvr_free(struct csvread *r)
{
	csv_free(&r->p);
	buf_free(&r->fbuf);
	free(r->in);
	free(r->fo);
	free(r->fl);
	free(r->f);
	r->in = NULL;
	r->fo = r->fl = NULL;
	r->f = NULL;
}

int
csvr_seek(struct csvread *r, unsigned long long off, unsigned long long lines)
{
	if (lseek(r->fd, (off_t)off, SEEK_SET) == (off_t)-1)
		return -1;
	r->base = off;
	r->rs = r->pos = r->end = 0;
	r->line = lines;
	r->rec_line = lines + 1;
	r->eof = r->need_more = r->skipping = 0;
	r->bom_checked = off > 0;
	reset_parser(r);
	return 0;
}

static void grow_fields(struct csvread *r);

static void
on_field(void *s, size_t n, void *ctx)
{
	struct csvread *r = ctx;

	if (r->nf == r->fcap)
		grow_fields(r);
	if (s == NULL) {
		r->fo[r->nf] = SIZE_MAX;
		r->fl[r->nf] = 0;
	} else {
		r->fo[r->nf] = r->fbuf.len;
		r->fl[r->nf] = n;
		buf_add(&r->fbuf, s, n);
	}
	r->nf++;
}

static void
on_row(int c, void *ctx)
{
	struct csvread *r = ctx;

	(void)c;
	r->row_done = 1;
}

/* Move the current record to the front and read more. */
static int
fill(struct csvread *r)
{
	ssize_t n;

	if (r->rs > 0) {
		memmove(r->in, r->in + r->rs, r->end - r->rs);
		r->base += r->rs;
		r->pos -= r->rs;
		r->end -= r->rs;
		r->rs = 0;
	}
	if (r->cap - r->end < BLOCK) {
		r->cap = r->end + BLOCK;
		r->in = xrealloc(r->in, r->cap);
	}
	do {
		n = read(r->fd, r->in + r->end, r->cap - r->end);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			r->eof = 1;
		r->end += (size_t)n;
		/* a byte order mark is looked for in 3 bytes at least */
	} while (!r->bom_checked && r->base == 0 && r->end < 3 && !r->eof);
	if (!r->bom_checked && r->base == 0 && (r->end >= 3 || r->eof)) {
		r->bom_checked = 1;
		if (r->end >= 3 && memcmp(r->in, "\xef\xbb\xbf", 3) == 0 &&
		    r->pos == 0)
			r->rs = r->pos = 3;
	}
	return 0;
}

/*
 * End of the line that starts at pos: the index just past its line end
 * (LF, CRLF or CR), *term set; or the end of the data, *term clear. A CR
 * that is the last byte read is left for later unless at end of file.
 */
static size_t
line_end(const struct csvread *r, size_t pos, int *term)
{
	const char *nl, *cr;
	size_t lim, c;

	nl = memchr(r->in + pos, '\n', r->end - pos);
	lim = nl ? (size_t)(nl - r->in) : r->end;
	cr = memchr(r->in + pos, '\r', lim - pos);
	*term = 1;
	if (cr != NULL) {
		c = (size_t)(cr - r->in);
		if (c + 1 < r->end)
			return r->in[c + 1] == '\n' ? c + 2 : c + 1;
		if (r->eof)
			return c + 1;
		*term = 0;
		return c;
	}
	if (nl != NULL)
		return lim + 1;
	*term = 0;
	return r->end;
}

static void
set_rec(struct csvread *r, struct csvrec *rec, size_t e)
{
	rec->raw = r->in + r->rs;
	rec->rawlen = e - r->rs;
	rec->line = r->rec_line;
	rec->start = r->base + r->rs;
	rec->end = r->base + e;
	rec->nf = 0;
	rec->f = NULL;
}

static int
bad(struct csvread *r, struct csvrec *rec, size_t e, int term,
    const char *fmt, unsigned long long a)
{
	set_rec(r, rec, e);
	snprintf(rec->err, sizeof rec->err, fmt, a);
	reset_parser(r);
	r->pos = e;
	if (term) {
		r->line++;
		r->rs = e;
		r->rec_line = r->line + 1;
	} else {
		r->skipping = 1;
		r->rs = e;
	}
	return CR_BAD;
}

static int
row(struct csvread *r, struct csvrec *rec, size_t e)
{
	set_rec(r, rec, e);
	for (size_t i = 0; i < r->nf; i++) {
		r->f[i].p = r->fo[i] == SIZE_MAX ? NULL : r->fbuf.p + r->fo[i];
		r->f[i].n = r->fl[i];
	}
	rec->nf = r->nf;
	rec->f = r->f;
	r->rs = e;
	r->rec_line = r->line + 1;
	r->row_done = 0;
	r->clear = 1;
	return CR_ROW;
}

static void
grow_fields(struct csvread *r)
{
	r->fcap = r->fcap ? r->fcap * 2 : 64;
	r->fo = xrealloc(r->fo, r->fcap * sizeof *r->fo);
	r->fl = xrealloc(r->fl, r->fcap * sizeof *r->fl);
	r->f = xrealloc(r->f, r->fcap * sizeof *r->f);
}

/*
 * A whole line without a quote, at the start of a record: its fields are
 * the text between commas, as libcsv would give them (an empty one is
 * NULL), pointing into the input buffer. len is the line without its end.
 */
static int
plain_row(struct csvread *r, struct csvrec *rec, size_t e, size_t len)
{
	const char *p = r->in + r->pos, *end = p + len, *c;
	size_t nf = 0;

	for (;;) {
		const char *fe;

		c = memchr(p, ',', (size_t)(end - p));
		fe = c ? c : end;
		if (nf == r->fcap)
			grow_fields(r);
		r->f[nf].p = fe > p ? p : NULL;
		r->f[nf].n = (size_t)(fe - p);
		nf++;
		if (c == NULL)
			break;
		p = c + 1;
	}
	r->nf = nf;
	r->pos = e;
	r->line++;
	set_rec(r, rec, e);
	rec->nf = nf;
	rec->f = r->f;
	r->rs = e;
	r->rec_line = r->line + 1;
	r->clear = 1;
	return CR_ROW;
}

static int
at_eof(struct csvread *r, struct csvrec *rec)
{
	if (r->p.pstate == ROW_NOT_BEGUN)
		return CR_EOF;
	if (csv_fini(&r->p, on_field, on_row, r) != 0)
		return bad(r, rec, r->end, 1,
		    "unterminated quoted field (field %llu runs to the end "
		    "of the file)", (unsigned long long)r->nf + 1);
	if (!r->row_done)
		return CR_EOF;
	return row(r, rec, r->end);
}

int
csvr_next(struct csvread *r, struct csvrec *rec)
{
	size_t e, fed;
	int term;

	if (r->clear) {
		r->nf = 0;
		r->fbuf.len = 0;
		r->clear = 0;
	}
	for (;;) {
		if (r->pos == r->end || r->need_more) {
			if (r->eof) {
				if (r->pos == r->end)
					return at_eof(r, rec);
			} else {
				if (fill(r) != 0)
					return CR_ERROR;
				r->need_more = 0;
				continue;
			}
		}
		e = line_end(r, r->pos, &term);
		if (e == r->pos) {
			r->need_more = 1;
			continue;
		}
		if (r->skipping) {
			rec->raw = r->in + r->pos;
			rec->rawlen = e - r->pos;
			r->pos = r->rs = e;
			if (term) {
				r->line++;
				r->skipping = 0;
				r->rec_line = r->line + 1;
			}
			return CR_MORE;
		}
		if (e - r->rs > r->max)
			return bad(r, rec, e, term,
			    "record longer than %llu bytes", (unsigned long long)r->max);
		/* the common case, a line without quotes: no need for libcsv */
		if (term && r->pos == r->rs && r->nf == 0 &&
		    r->p.pstate == ROW_NOT_BEGUN) {
			size_t len = e - r->pos;
			if (len > 0 && r->in[r->pos + len - 1] == '\n')
				len--;
			if (len > 0 && r->in[r->pos + len - 1] == '\r')
				len--;
			if (memchr(r->in + r->pos, '"', len) == NULL) {
				if (len > 0)
					return plain_row(r, rec, e, len);
				r->pos = r->rs = e;	/* a blank line */
				r->line++;
				r->rec_line = r->line + 1;
				continue;
			}
		}
		fed = csv_parse(&r->p, r->in + r->pos, e - r->pos, on_field,
		    on_row, r);
		if (fed < e - r->pos) {
			if (r->p.status != CSV_EPARSE)
				die(EX_OSERR, "libcsv: %s", csv_strerror(r->p.status));
			if (r->p.pstate == FIELD_MIGHT_HAVE_ENDED)
				return bad(r, rec, e, term,
				    "field %llu: text after the closing quote",
				    (unsigned long long)r->nf + 1);
			return bad(r, rec, e, term,
			    "field %llu: quote inside an unquoted field",
			    (unsigned long long)r->nf + 1);
		}
		r->pos = e;
		if (term)
			r->line++;
		if (r->row_done)
			return row(r, rec, e);
		if (r->p.pstate == ROW_NOT_BEGUN) {	/* a blank line */
			r->rs = e;
			r->rec_line = r->line + 1;
		}
	}
}

int
csvr_spool(struct csvread *r, int fd, int *wfail)
{
	char *b;
	ssize_t n;
	size_t off;

	*wfail = 0;
	/* the same offsets in fd as in the input: bytes before base are gone */
	if (lseek(fd, (off_t)r->base, SEEK_SET) == (off_t)-1) {
		*wfail = 1;
		return -1;
	}
	for (off = 0; off < r->end; off += (size_t)n) {
		if ((n = write(fd, r->in + off, r->end - off)) < 0) {
			if (errno == EINTR) {
				n = 0;
				continue;
			}
			*wfail = 1;
			return -1;
		}
	}
	b = xmalloc(BLOCK);
	while (!r->eof) {
		if ((n = read(r->fd, b, BLOCK)) < 0) {
			if (errno == EINTR)
				continue;
			free(b);
			return -1;
		}
		if (n == 0)
			break;
		for (off = 0; off < (size_t)n; ) {
			ssize_t w = write(fd, b + off, (size_t)n - off);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				free(b);
				*wfail = 1;
				return -1;
			}
			off += (size_t)w;
		}
	}
	free(b);
	r->fd = fd;
	if (lseek(fd, (off_t)(r->base + r->end), SEEK_SET) == (off_t)-1)
		return -1;
	return 0;
}
