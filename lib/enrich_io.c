/* enrich_io.c: non-blocking line reading for a poll(2) loop. */
#include "enrich_io.h"
#include "buf.h"
#include "jpath.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

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
			f->unterminated = 0;
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
		f->unterminated = 1;
		return FDL_OK;
	}
}

/* ---- positions of table lines ---- */

/* The end of the string token at s[i] == '"'. */
static size_t
skip_str(const char *s, size_t n, size_t i)
{
	const char *q;
	size_t j, k;

	for (i++; i < n; i = j + 1) {
		if ((q = memchr(s + i, '"', n - i)) == NULL)
			return n;
		j = (size_t)(q - s);
		for (k = j; k > i && s[k - 1] == '\\'; k--)
			;
		if (((j - k) & 1) == 0)
			return j + 1;
	}
	return n;
}

/* The end of the value at s[i]. */
static size_t
skip_val(const char *s, size_t n, size_t i)
{
	int depth = 0;

	if (i >= n)
		return n;
	if (s[i] == '"')
		return skip_str(s, n, i);
	if (s[i] != '{' && s[i] != '[') {
		while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']' &&
		    s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			i++;
		return i;
	}
	while (i < n) {
		switch (s[i]) {
		case '"':
			i = skip_str(s, n, i);
			continue;
		case '{': case '[':
			depth++;
			break;
		case '}': case ']':
			if (--depth == 0)
				return i + 1;
			break;
		}
		i++;
	}
	return n;
}

/*
 * In one pass over the valid JSON object s[0..n), the values of its
 * top-level members named names[0..k) (a name written with escapes is not
 * recognised): v[i] and vn[i], v[i] NULL when absent or null.
 */
static void
members(const char *s, size_t n, const char *const *names, const size_t *lens,
    int k, const char **v, size_t *vn)
{
	size_t i = json_skip_ws(s, n, 0), ks, ke, ve;
	int found = 0;

	for (int j = 0; j < k; j++)
		v[j] = NULL;
	if (i >= n || s[i] != '{')
		return;
	for (i++; found < k; ) {
		i = json_skip_ws(s, n, i);
		if (i >= n || s[i] != '"')
			return;
		ks = i;
		ke = skip_str(s, n, i);
		i = json_skip_ws(s, n, ke);
		if (i >= n || s[i] != ':')
			return;
		i = json_skip_ws(s, n, i + 1);
		ve = skip_val(s, n, i);
		for (int j = 0; j < k; j++)
			if (v[j] == NULL && ke - ks - 2 == lens[j] &&
			    memcmp(s + ks + 1, names[j], lens[j]) == 0) {
				if (!(ve - i == 4 && memcmp(s + i, "null", 4) == 0)) {
					v[j] = s + i;
					vn[j] = ve - i;
				}
				found++;
				break;
			}
		i = json_skip_ws(s, n, ve);
		if (i >= n || s[i] != ',')
			return;
		i++;
	}
}

/* A non-negative integer value (a JSON number without fraction, or a string
 * holding one). */
static int
uint_of(const char *v, size_t n, unsigned long long *out)
{
	unsigned long long x = 0;

	if (v == NULL)
		return -1;
	if (n >= 2 && v[0] == '"') {
		v++;
		n -= 2;
	}
	if (n == 0 || n > 19)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (unsigned long long)(v[i] - '0');
	}
	*out = x;
	return 0;
}

/* The text of a string value in b (NUL-terminated, empty when absent). */
static int
str_of(const char *v, size_t n, struct buf *b)
{
	buf_reset(b);
	if (v == NULL || v[0] != '"') {
		buf_cstr(b);
		return -1;
	}
	if (memchr(v + 1, '\\', n - 2) == NULL)
		buf_add(b, v + 1, n - 2);
	else
		jpath_value_text(b, v, n);
	buf_cstr(b);
	return 0;
}

static void
key_field(struct buf *key, unsigned long long x)
{
	char *p;

	if (key->len)
		buf_putc(key, '.');
	buf_reserve(key, 20);
	p = key->p + key->len;
	for (int i = 19; i >= 0; i--, x /= 10)
		p[i] = (char)('0' + x % 10);
	key->len += 20;
}

static void
pos_member(struct buf *pos, const char *name, const char *v, size_t vn)
{
	buf_putc(pos, pos->len > 1 ? ',' : '{');
	buf_putc(pos, '"');
	buf_puts(pos, name);
	buf_puts(pos, "\":");
	buf_add(pos, v, vn);
}

/* Parse '["C","L"]' or '[null,"L"]'. */
static int
parse_seq(const char *s, unsigned long long *commit, unsigned long long *lsn,
    int *snap)
{
	char *e;

	s += strspn(s, " [");
	if (strncmp(s, "null", 4) == 0) {
		*snap = 1;
		s += 4;
	} else {
		*snap = 0;
		s += strspn(s, " \"");
		if (*s < '0' || *s > '9')
			return -1;
		*commit = strtoull(s, &e, 10);
		s = e;
	}
	s += strspn(s, " ,\"");
	if (*s < '0' || *s > '9')
		return -1;
	*lsn = strtoull(s, &e, 10);
	if (*snap) {
		*commit = *lsn;
		*lsn = 0;
	}
	return 0;
}

static const char *const top_names[] = { "_kafka", "source" };
static const size_t top_lens[] = { 6, 6 };
static const char *const k_names[] = { "topic", "partition", "offset" };
static const size_t k_lens[] = { 5, 9, 6 };
enum { S_CONN, S_NAME, S_DB, S_FILE, S_POS, S_ROW, S_SNAP, S_LSN, S_SEQ, S_N };
static const char *const s_names[] = { "connector", "name", "db", "file",
    "pos", "row", "snapshot", "lsn", "sequence" };
static const size_t s_lens[] = { 9, 4, 2, 4, 3, 3, 8, 3, 8 };

int
line_position(const char *line, size_t n, struct buf *stream, struct buf *key,
    struct buf *pos)
{
	static struct buf t1, t2;
	const char *top[2], *kv[3], *sv[S_N];
	size_t topn[2], kvn[3], svn[S_N];
	unsigned long long a, b, c;

	buf_reset(stream);
	buf_reset(key);
	buf_reset(pos);
	members(line, n, top_names, top_lens, 2, top, topn);
	if (top[0] && top[0][0] == '{') {
		members(top[0], topn[0], k_names, k_lens, 3, kv, kvn);
		if (str_of(kv[0], kvn[0], &t1) == 0 &&
		    uint_of(kv[1], kvn[1], &a) == 0 &&
		    uint_of(kv[2], kvn[2], &b) == 0) {
			pos_member(pos, "topic", kv[0], kvn[0]);
			pos_member(pos, "partition", kv[1], kvn[1]);
			pos_member(pos, "offset", kv[2], kvn[2]);
			buf_putc(pos, '}');
			buf_puts(stream, "kafka:");
			buf_add(stream, t1.p, t1.len);
			buf_printf(stream, ":%llu", a);
			key_field(key, b);
			return 1;
		}
	}
	if (top[1] == NULL || top[1][0] != '{')
		return 0;
	members(top[1], topn[1], s_names, s_lens, S_N, sv, svn);
	if (str_of(sv[S_CONN], svn[S_CONN], &t1) < 0)
		return 0;
	if (strcmp(t1.p, "mysql") == 0) {
		int snap = 0;
		if (str_of(sv[S_FILE], svn[S_FILE], &t2) < 0 ||
		    uint_of(sv[S_POS], svn[S_POS], &b) < 0)
			return 0;
		pos_member(pos, "file", sv[S_FILE], svn[S_FILE]);
		pos_member(pos, "pos", sv[S_POS], svn[S_POS]);
		c = 0;
		if (uint_of(sv[S_ROW], svn[S_ROW], &c) == 0)
			pos_member(pos, "row", sv[S_ROW], svn[S_ROW]);
		if (sv[S_SNAP]) {
			const char *v = sv[S_SNAP];
			size_t vn = svn[S_SNAP];
			snap = (vn == 6 && memcmp(v, "\"true\"", 6) == 0) ||
			    (vn == 6 && memcmp(v, "\"last\"", 6) == 0) ||
			    (vn == 4 && memcmp(v, "true", 4) == 0);
			pos_member(pos, "snapshot", v, vn);
		}
		buf_putc(pos, '}');
		/* the binlog file's number: its name's numeric suffix */
		const char *e = t2.p + t2.len, *q = e;
		while (q > t2.p && q[-1] >= '0' && q[-1] <= '9')
			q--;
		a = q < e && e - q <= 19 ? strtoull(q, NULL, 10) : 0;
		str_of(sv[S_NAME], svn[S_NAME], &t2);
		buf_puts(stream, "mysql:");
		buf_add(stream, t2.p, t2.len);
		key_field(key, a);
		key_field(key, b);
		key_field(key, snap ? 0 : 1);
		key_field(key, c);
		return 1;
	}
	if (strcmp(t1.p, "postgresql") == 0) {
		unsigned long long lsn, commit, l;
		int snap;
		if (uint_of(sv[S_LSN], svn[S_LSN], &lsn) < 0)
			return 0;
		pos_member(pos, "lsn", sv[S_LSN], svn[S_LSN]);
		commit = l = lsn;
		if (str_of(sv[S_SEQ], svn[S_SEQ], &t2) == 0) {
			pos_member(pos, "sequence", sv[S_SEQ], svn[S_SEQ]);
			if (parse_seq(t2.p, &commit, &l, &snap) < 0)
				commit = l = lsn;
		}
		c = 0;
		if (uint_of(sv[S_ROW], svn[S_ROW], &c) == 0)
			pos_member(pos, "row", sv[S_ROW], svn[S_ROW]);
		buf_putc(pos, '}');
		str_of(sv[S_NAME], svn[S_NAME], &t1);
		str_of(sv[S_DB], svn[S_DB], &t2);
		buf_puts(stream, "postgresql:");
		buf_add(stream, t1.p, t1.len);
		buf_putc(stream, ':');
		buf_add(stream, t2.p, t2.len);
		key_field(key, commit);
		key_field(key, l);
		key_field(key, c);
		return 1;
	}
	buf_reset(pos);
	return 0;
}

/* ---- state files ---- */

int
sf_create(struct state_file *f, const char *path)
{
	int fd;

	memset(f, 0, sizeof(*f));
	f->path = path;
	f->tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	if ((fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) < 0 || (f->fp = fdopen(fd, "w")) == NULL) {
		int e = errno;
		if (fd >= 0) {
			close(fd);
			unlink(f->tmp);
		}
		free(f->tmp);
		f->tmp = NULL;
		errno = e;
		return -1;
	}
	setvbuf(f->fp, NULL, _IOFBF, 1 << 20);
	f->crc = crc32(0L, Z_NULL, 0);
	return 0;
}

int
sf_line(struct state_file *f, const char *s, size_t n)
{
	if (fwrite(s, 1, n, f->fp) != n || putc('\n', f->fp) == EOF)
		return -1;
	f->crc = crc32(f->crc, (const Bytef *)s, (uInt)n);
	f->crc = crc32(f->crc, (const Bytef *)"\n", 1);
	f->lineno++;
	f->bytes += n + 1;
	return 0;
}

void
sf_abort(struct state_file *f)
{
	if (f->fp)
		fclose(f->fp);
	if (f->tmp) {
		unlink(f->tmp);
		free(f->tmp);
	}
	f->fp = NULL;
	f->tmp = NULL;
}

int
sf_commit(struct state_file *f)
{
	char *dcopy;
	int dfd, e;

	if (fprintf(f->fp, "end %llu %08lx\n", f->lineno, f->crc) < 0 ||
	    fflush(f->fp) == EOF || fsync(fileno(f->fp)) != 0)
		goto fail;
	if (fclose(f->fp) != 0) {
		f->fp = NULL;
		goto fail;
	}
	f->fp = NULL;
	if (rename(f->tmp, f->path) != 0)
		goto fail;
	free(f->tmp);
	f->tmp = NULL;
	dcopy = xstrdup(f->path);
	if ((dfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(dcopy);
	return 0;
fail:
	e = errno;
	sf_abort(f);
	errno = e;
	return -1;
}

int
sf_open(struct state_file *f, const char *path, size_t max)
{
	struct stat st;

	memset(f, 0, sizeof(*f));
	f->path = path;
	f->max = max;
	if ((f->fp = fopen(path, "re")) == NULL)
		return errno == ENOENT ? 1 : -1;
	if (fstat(fileno(f->fp), &st) == 0)
		f->size = (unsigned long long)st.st_size;
	f->crc = crc32(0L, Z_NULL, 0);
	return 0;
}

int
sf_next(struct state_file *f, char **line, size_t *len, const char **why)
{
	ssize_t n;
	unsigned long long lines;
	unsigned long crc;
	char extra;

	if (f->ended) {
		*why = "text after the end line";
		return -1;
	}
	errno = 0;
	if ((n = getline(&f->line, &f->cap, f->fp)) < 0) {
		if (ferror(f->fp)) {
			*why = strerror(errno ? errno : EIO);
			return -1;
		}
		f->lineno++;
		*why = "truncated: the file ends without its end line";
		return -1;
	}
	f->lineno++;
	if (n == 0 || f->line[n - 1] != '\n') {
		*why = "truncated: the last line has no newline";
		return -1;
	}
	if ((size_t)n > f->max) {
		*why = "line too long";
		return -1;
	}
	if (n > 4 && memcmp(f->line, "end ", 4) == 0) {
		if (sscanf(f->line, "end %llu %lx%c", &lines, &crc, &extra) != 3 ||
		    extra != '\n') {
			*why = "bad end line";
			return -1;
		}
		if (lines != f->lineno - 1) {
			*why = "the end line counts another number of lines";
			return -1;
		}
		if (crc != f->crc) {
			*why = "checksum mismatch: the file is damaged";
			return -1;
		}
		f->ended = 1;
		/* nothing may follow */
		if (getc(f->fp) != EOF) {
			f->lineno++;
			*why = "text after the end line";
			return -1;
		}
		return 0;
	}
	f->crc = crc32(f->crc, (const Bytef *)f->line, (uInt)n);
	f->line[--n] = '\0';
	*line = f->line;
	*len = (size_t)n;
	return 1;
}

void
sf_close(struct state_file *f)
{
	if (f->fp)
		fclose(f->fp);
	free(f->line);
	f->fp = NULL;
	f->line = NULL;
}
