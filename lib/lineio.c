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

int
lr_next(struct lreader *r, char **line, size_t *len)
{
	size_t n = 0;
	int c, toolong = 0;
	unsigned long long consumed = 0;

	if (r->cap == 0) {
		r->cap = 4096;
		r->buf = xmalloc(r->cap);
	}
	for (;;) {
		/* fgets-like scan with memchr on the stdio buffer via getc_unlocked */
		c = getc_unlocked(r->fp);
		if (c == EOF)
			break;
		consumed++;
		if (c == '\n')
			break;
		if (n >= r->max) {
			toolong = 1;
			continue;
		}
		if (n + 1 >= r->cap) {
			r->cap *= 2;
			if (r->cap > r->max + 1)
				r->cap = r->max + 1;
			r->buf = xrealloc(r->buf, r->cap);
		}
		r->buf[n++] = (char)c;
	}
	if (c == EOF && ferror(r->fp))
		return LR_ERROR;
	if (c == EOF && consumed == 0)
		return LR_EOF;
	r->buf[n] = '\0';
	r->lineno++;
	r->offset += consumed;
	*line = r->buf;
	*len = n;
	return toolong ? LR_TOOLONG : LR_OK;
}
