/* lineio.c: read newline-terminated records under a size limit. */
#include "lineio.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
lr_open(struct lreader *r, const char *path, size_t max)
{
	memset(r, 0, sizeof *r);
	r->max = max ? max : LINE_MAX_DEFAULT;
	if (path == NULL || strcmp(path, "-") == 0) {
		r->fp = stdin;
		r->name = "<stdin>";
		return 0;
	}
	r->name = path;
	if ((r->fp = fopen(path, "r")) == NULL)
		return -1;
	return 0;
}

void
lr_close(struct lreader *r)
{
	if (r->fp && r->fp != stdin)
		fclose(r->fp);
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
	r->offset += consumed;
	*line = r->buf;
	*len = n;
	return toolong ? LR_TOOLONG : LR_OK;
}
