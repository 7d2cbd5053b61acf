/* lineio.c: read newline-terminated records under a size limit. */
#include "lineio.h"
#include "jvalid.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int
is_pipe(FILE *fp)
{
	struct stat st;

	return fstat(fileno(fp), &st) == 0 &&
	    (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

int
lr_open(struct lreader *r, const char *path, size_t max)
{
	memset(r, 0, sizeof *r);
	r->max = max ? max : LINE_MAX_DEFAULT;
	if (path == NULL || strcmp(path, "-") == 0) {
		r->fp = stdin;
		r->name = "<stdin>";
	} else {
		r->name = path;
		if ((r->fp = fopen(path, "r")) == NULL)
			return -1;
	}
	r->pipe = is_pipe(r->fp);
	/* a read(2) per 256K, not per st_blksize (4K); from a pipe a read
	 * still returns what is there. Only before the stream's first read;
	 * stdin's buffer stays with it to the end. */
#ifdef __GLIBC__
	if (r->fp->_IO_buf_base != NULL)
		return 0;
#endif
	r->iobuf = xmalloc(LR_IOBUF);
	if (setvbuf(r->fp, r->iobuf, _IOFBF, LR_IOBUF) != 0) {
		free(r->iobuf);
		r->iobuf = NULL;
	} else if (r->fp == stdin) {
		r->iobuf = NULL;
	}
	return 0;
}

int
line_fragment(int unterminated, int pipe, const char *line, size_t len)
{
	struct jvalid jv;

	return unterminated && pipe && jvalid(line, len, &jv) == JV_INVALID;
}

void
fragment_warn(const char *name, unsigned long long lineno, size_t len)
{
	weprintf("%s:%llu: the input ends inside a line (%zu bytes; its writer "
	    "stopped before the newline): not taken", name, lineno, len);
}

void
lr_close(struct lreader *r)
{
	if (r->fp && r->fp != stdin)
		fclose(r->fp);
	free(r->iobuf);
	r->iobuf = NULL;
	free(r->buf);
	r->buf = NULL;
	r->fp = NULL;
}

/* Append n bytes of the line to r->buf, up to r->max; 1 when some were cut. */
static int
lr_append(struct lreader *r, size_t *n, const char *p, size_t k)
{
	int cut = 0;

	if (*n + k > r->max) {
		k = r->max > *n ? r->max - *n : 0;
		cut = 1;
	}
	if (*n + k + 1 > r->cap) {
		while (*n + k + 1 > r->cap)
			r->cap *= 2;
		if (r->cap > r->max + 1)
			r->cap = r->max + 1;
		r->buf = xrealloc(r->buf, r->cap);
	}
	memcpy(r->buf + *n, p, k);
	*n += k;
	return cut;
}

int
lr_next(struct lreader *r, char **line, size_t *len)
{
	size_t n = 0;
	int c = 0, toolong = 0, nl = 0;
	unsigned long long consumed = 0;

	if (r->cap == 0) {
		r->cap = 4096;
		r->buf = xmalloc(r->cap);
	}
	for (;;) {
#ifdef __GLIBC__
		/* what stdio holds already: scanned with memchr, in place */
		FILE *fp = r->fp;
		if (fp->_IO_read_ptr < fp->_IO_read_end) {
			char *s = fp->_IO_read_ptr;
			size_t avail = (size_t)(fp->_IO_read_end - s);
			char *e = memchr(s, '\n', avail);
			size_t k = e ? (size_t)(e - s) : avail;

			toolong |= lr_append(r, &n, s, k);
			k += e != NULL;
			fp->_IO_read_ptr += k;
			consumed += k;
			if (e) {
				nl = 1;
				break;
			}
			continue;
		}
#endif
		/* one byte, which refills stdio's buffer */
		c = getc_unlocked(r->fp);
		if (c == EOF)
			break;
		consumed++;
		if (c == '\n') {
			nl = 1;
			break;
		}
		char ch = (char)c;
		toolong |= lr_append(r, &n, &ch, 1);
	}
	if (!nl && ferror(r->fp))
		return LR_ERROR;
	if (!nl && consumed == 0)
		return LR_EOF;
	r->buf[n] = '\0';
	r->lineno++;
	r->unterminated = !nl;
	r->offset += consumed;
	*line = r->buf;
	*len = n;
	return toolong ? LR_TOOLONG : LR_OK;
}
