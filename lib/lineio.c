/* lineio.c: read newline-terminated records under a size limit. */
#include "lineio.h"
#include "jvalid.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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

/*
 * The readers with a mapping, for the SIGBUS handler: a page of a file
 * that shrank under its mapping faults with SIGBUS. The handler maps a
 * page of zeros in its place and marks the reader, whose lr_next then
 * says so; a fault anywhere else is left to kill the program as before.
 */
#define LR_MAPS 64
static struct lreader *volatile lr_maps[LR_MAPS];
static size_t lr_pg;		/* the page size, known from the first lr_map */

static void
on_sigbus(int sig, siginfo_t *si, void *uc)
{
	const char *a = si->si_addr;

	(void)uc;
	for (int i = 0; i < LR_MAPS; i++) {
		struct lreader *r = lr_maps[i];
		if (r == NULL || a < r->map || a >= r->map + r->mlen)
			continue;
		void *p = (void *)((uintptr_t)a & ~(uintptr_t)(lr_pg - 1));
		if (mmap(p, lr_pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
		    MAP_FIXED, -1, 0) != MAP_FAILED) {
			r->mapbad = 1;
			return;
		}
		break;
	}
	signal(sig, SIG_DFL);	/* the fault comes again, and kills */
}

static void
lr_unmap(struct lreader *r)
{
	if (r->map == NULL)
		return;
	for (int i = 0; i < LR_MAPS; i++)
		if (lr_maps[i] == r)
			lr_maps[i] = NULL;
	munmap((void *)r->map, r->mlen);
	r->map = NULL;
	r->mlen = 0;
}

/* Map the file's n bytes from off (a multiple of the page size) on, the
 * pages now; -1 with errno. */
static int
lr_mapn(struct lreader *r, size_t off, size_t n)
{
	static int handler;
	int slot = -1;
	void *p;

	for (int i = 0; i < LR_MAPS && slot < 0; i++)
		if (lr_maps[i] == NULL || lr_maps[i] == r)
			slot = i;
	if (slot < 0) {
		errno = EMFILE;
		return -1;
	}
	if (!handler) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_sigbus;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGBUS, &sa, NULL) != 0)
			return -1;
		handler = 1;
	}
	p = mmap(NULL, n, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fileno(r->fp),
	    (off_t)off);
	if (p == MAP_FAILED)
		return -1;
	r->map = p;
	r->mlen = n;
	r->mbase = off;
	lr_maps[slot] = r;
	return 0;
}

int
lr_map(struct lreader *r)
{
	struct stat st;

	if (r->fp == NULL || r->fp == stdin || r->mapped)
		return 0;
	if (fstat(fileno(r->fp), &st) != 0)
		return -1;
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uintmax_t)st.st_size > SIZE_MAX)
		return 0;
	if (lr_pg == 0)
		lr_pg = (size_t)sysconf(_SC_PAGESIZE);
	if (r->window == 0)
		r->window = LR_WINDOW;
	/* whole pages, and more than the one a window starts in */
	r->window = (r->window + lr_pg - 1) / lr_pg * lr_pg;
	if (r->window < 2 * lr_pg)
		r->window = 2 * lr_pg;
	if (lr_mapn(r, 0, (size_t)st.st_size < r->window ?
	    (size_t)st.st_size : r->window) < 0)
		return -1;
	r->mpos = 0;
	r->mapped = 1;
	return 0;
}

/* At the window's end: map the next one, if the file (which may have
 * grown) goes on; 1 when it did, 0 when not, -1 with errno. */
static int
lr_next_window(struct lreader *r)
{
	struct stat st;
	size_t off, n;

	if (fstat(fileno(r->fp), &st) != 0)
		return -1;
	if (st.st_size <= 0 || (uintmax_t)st.st_size <= r->mpos ||
	    (uintmax_t)st.st_size > SIZE_MAX)
		return 0;
	off = r->mpos / lr_pg * lr_pg;
	n = (size_t)st.st_size - off;
	lr_unmap(r);
	if (lr_mapn(r, off, n < r->window ? n : r->window) < 0)
		return -1;
	return 1;
}

/*
 * How far ahead of a mapped reader's position the loads of the file are
 * started: the hardware's own prefetch stops at each page's end.
 */
#define LR_AHEAD 8192

static int lr_append(struct lreader *r, size_t *n, const char *p, size_t k);
static int lr_line(struct lreader *r, size_t n, int nl,
    unsigned long long consumed, int toolong, char **line, size_t *len);

/* Start loading the window's next LR_AHEAD bytes that are not loading. */
static inline __attribute__((always_inline)) void
lr_ahead(struct lreader *r)
{
	size_t to = r->mpos + LR_AHEAD, end = r->mbase + r->mlen;

	if (to > end)
		to = end;
	if (r->mahead < r->mpos)
		r->mahead = r->mpos;
	for (; r->mahead < to; r->mahead += 64)
		__builtin_prefetch(r->map + (r->mahead - r->mbase));
}

/* lr_next of a mapped file. */
static int
lr_next_map(struct lreader *r, char **line, size_t *len)
{
	size_t n = 0, k, start = r->mpos;
	int toolong = 0, nl = 0, g;
	const char *s, *e;

	for (;;) {
		if (r->map == NULL || r->mpos >= r->mbase + r->mlen) {
			if ((g = lr_next_window(r)) < 0)
				return LR_ERROR;
			if (g == 0)
				break;
			continue;
		}
		s = r->map + (r->mpos - r->mbase);
		k = r->mbase + r->mlen - r->mpos;
		lr_ahead(r);
		e = memchr(s, '\n', k);
		if (e)
			k = (size_t)(e - s);
		toolong |= lr_append(r, &n, s, k);
		r->mpos += k + (e != NULL);
		if (r->mapbad) {
			r->why = "the file shrank while it was read";
			errno = EIO;
			return LR_ERROR;
		}
		if (e) {
			nl = 1;
			break;
		}
	}
	if (!nl && r->mpos == start)
		return LR_EOF;
	return lr_line(r, n, nl, r->mpos - start, toolong, line, len);
}

void
lr_close(struct lreader *r)
{
	lr_unmap(r);
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
	if (r->mapped)
		return lr_next_map(r, line, len);
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
	return lr_line(r, n, nl, consumed, toolong, line, len);
}

/* Return the n bytes of r->buf as the next line, consumed bytes read. */
static int
lr_line(struct lreader *r, size_t n, int nl, unsigned long long consumed,
    int toolong, char **line, size_t *len)
{
	r->buf[n] = '\0';
	r->lineno++;
	r->unterminated = !nl;
	r->offset += consumed;
	*line = r->buf;
	*len = n;
	return toolong ? LR_TOOLONG : LR_OK;
}
