/* enrich_io.c: non-blocking line reading for a poll(2) loop. */
#include "enrich_io.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK 65536

void
fdl_init_fd(struct fdlines *f, int fd, const char *name, size_t max)
{
	struct stat st;
	int fl;

	memset(f, 0, sizeof(*f));
	f->fd = fd;
	f->name = name;
	f->max = max;
	f->restore_flags = -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		f->regular = 1;
	if ((fl = fcntl(fd, F_GETFL)) >= 0 && !(fl & O_NONBLOCK) &&
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0 && fd <= 2)
		f->restore_flags = fl;	/* shared with others: put it back */
}

int
fdl_open(struct fdlines *f, const char *path, const char *name, size_t max)
{
	int fd;

	if (strcmp(path, "-") == 0) {
		fdl_init_fd(f, 0, name ? name : "<stdin>", max);
		return 0;
	}
	/* blocking, so that a FIFO's writer is connected before the first read */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	fdl_init_fd(f, fd, name ? name : path, max);
	return 0;
}

void
fdl_close(struct fdlines *f)
{
	if (f->fd >= 0) {
		if (f->restore_flags >= 0)
			(void)fcntl(f->fd, F_SETFL, f->restore_flags);
		if (f->fd > 2)
			close(f->fd);
	}
	f->fd = -1;
	free(f->buf);
	f->buf = NULL;
	f->start = f->len = f->cap = f->scan = 0;
}

long
fdl_fill(struct fdlines *f)
{
	ssize_t n;

	if (f->fd < 0 || f->eof)
		return 0;
	if (f->start > 0 && (f->start == f->len || f->len + READ_CHUNK > f->cap)) {
		memmove(f->buf, f->buf + f->start, f->len - f->start);
		f->len -= f->start;
		f->start = 0;
	}
	if (f->len + READ_CHUNK + 1 > f->cap) {
		f->cap = f->len + READ_CHUNK + 1;
		f->buf = xrealloc(f->buf, f->cap);
	}
	do
		n = read(f->fd, f->buf + f->len, READ_CHUNK);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n == 0) {
		f->eof = 1;
		return 0;
	}
	f->len += (size_t)n;
	f->bytes += (unsigned long long)n;
	return (long)n;
}

int
fdl_next(struct fdlines *f, char **line, size_t *len)
{
	for (;;) {
		char *s = f->buf + f->start;
		size_t avail = f->len - f->start;
		char *nl = avail > f->scan ?
		    memchr(s + f->scan, '\n', avail - f->scan) : NULL;

		if (f->skipping) {
			/* drop the rest of a too-long line */
			if (nl == NULL) {
				f->start = f->len;
				f->scan = 0;
				if (f->eof)
					f->skipping = 0;
				else
					return FDL_NONE;
				continue;
			}
			f->start += (size_t)(nl - s) + 1;
			f->scan = 0;
			f->skipping = 0;
			continue;
		}
		if (nl != NULL) {
			size_t n = (size_t)(nl - s);
			f->start += n + 1;
			f->scan = 0;
			f->lineno++;
			if (n > f->max) {
				s[f->max] = '\0';
				*line = s;
				*len = f->max;
				return FDL_TOOLONG;
			}
			*nl = '\0';
			*line = s;
			*len = n;
			return FDL_OK;
		}
		if (avail > f->max) {
			/* too long already: return its head, skip the rest */
			f->lineno++;
			f->skipping = 1;
			/* keep the head readable until the next call */
			f->start += avail;
			f->scan = 0;
			s[f->max] = '\0';
			*line = s;
			*len = f->max;
			return FDL_TOOLONG;
		}
		f->scan = avail;
		if (!f->eof)
			return FDL_NONE;
		if (avail == 0)
			return FDL_EOF;
		/* a last line without '\n' */
		f->start = f->len;
		f->scan = 0;
		f->lineno++;
		if (f->len + 1 > f->cap)
			f->buf = xrealloc(f->buf, f->cap = f->len + 1);
		s = f->buf + f->len - avail;
		s[avail] = '\0';
		*line = s;
		*len = avail;
		return FDL_OK;
	}
}
