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

/* ---- positions of table lines ---- */

static struct jpath *pp_kafka, *pp_topic, *pp_part, *pp_off, *pp_source,
    *pp_conn, *pp_name, *pp_db, *pp_file, *pp_pos, *pp_row, *pp_snap, *pp_lsn,
    *pp_seq;

static struct jpath *
pp(const char *spec)
{
	char e[64];

	return jpath_parse(spec, e, sizeof e);
}

static void
pp_init(void)
{
	pp_kafka = pp("_kafka");
	pp_topic = pp("topic");
	pp_part = pp("partition");
	pp_off = pp("offset");
	pp_source = pp("source");
	pp_conn = pp("connector");
	pp_name = pp("name");
	pp_db = pp("db");
	pp_file = pp("file");
	pp_pos = pp("pos");
	pp_row = pp("row");
	pp_snap = pp("snapshot");
	pp_lsn = pp("lsn");
	pp_seq = pp("sequence");
}

/* A non-negative integer value (a JSON number without fraction, or a string
 * holding one). */
static int
uint_of(const char *v, size_t n, unsigned long long *out)
{
	unsigned long long x = 0;
	size_t i = 0;

	if (n >= 2 && v[0] == '"') {
		v++;
		n -= 2;
	}
	if (n == 0 || n > 20)
		return -1;
	for (; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (unsigned long long)(v[i] - '0');
	}
	*out = x;
	return 0;
}

static int
uint_member(struct jpath *p, const char *s, size_t n, unsigned long long *out,
    const char **v, size_t *vn)
{
	return jpath_find(p, s, n, v, vn) && uint_of(*v, *vn, out) == 0 ? 0 : -1;
}

/* The value text of a string member in b (NUL-terminated), or -1. */
static int
str_member(struct jpath *p, const char *s, size_t n, struct buf *b,
    const char **v, size_t *vn)
{
	buf_reset(b);
	buf_cstr(b);
	if (!jpath_find(p, s, n, v, vn) || (*v)[0] != '"')
		return -1;
	jpath_value_text(b, *v, *vn);
	buf_cstr(b);
	return 0;
}

static void
key_field(struct buf *key, unsigned long long x)
{
	char t[24];

	if (key->len)
		buf_putc(key, '.');
	snprintf(t, sizeof t, "%020llu", x);
	buf_add(key, t, 20);
}

static void
pos_member(struct buf *pos, const char *name, const char *v, size_t vn)
{
	buf_putc(pos, pos->len > 1 ? ',' : '{');
	buf_json_str(pos, name, strlen(name));
	buf_putc(pos, ':');
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

int
line_position(const char *line, size_t n, struct buf *stream, struct buf *key,
    struct buf *pos)
{
	static struct buf t1, t2;
	const char *o, *v;
	size_t on, vn;
	unsigned long long a, b, c;

	if (pp_kafka == NULL)
		pp_init();
	buf_reset(stream);
	buf_reset(key);
	buf_reset(pos);
	if (jpath_find(pp_kafka, line, n, &o, &on) && o[0] == '{' &&
	    str_member(pp_topic, o, on, &t1, &v, &vn) == 0) {
		pos_member(pos, "topic", v, vn);
		if (uint_member(pp_part, o, on, &a, &v, &vn) == 0) {
			pos_member(pos, "partition", v, vn);
			if (uint_member(pp_off, o, on, &b, &v, &vn) == 0) {
				pos_member(pos, "offset", v, vn);
				buf_putc(pos, '}');
				buf_printf(stream, "kafka:%s:%llu", t1.p, a);
				key_field(key, b);
				return 1;
			}
		}
		buf_reset(pos);
	}
	if (!jpath_find(pp_source, line, n, &o, &on) || o[0] != '{' ||
	    str_member(pp_conn, o, on, &t1, &v, &vn) < 0)
		return 0;
	if (strcmp(t1.p, "mysql") == 0) {
		int snap = 0;
		if (str_member(pp_file, o, on, &t2, &v, &vn) < 0)
			return 0;
		pos_member(pos, "file", v, vn);
		if (uint_member(pp_pos, o, on, &b, &v, &vn) < 0)
			goto none;
		pos_member(pos, "pos", v, vn);
		c = 0;
		if (uint_member(pp_row, o, on, &c, &v, &vn) == 0)
			pos_member(pos, "row", v, vn);
		if (jpath_find(pp_snap, o, on, &v, &vn)) {
			snap = (vn == 6 && memcmp(v, "\"true\"", 6) == 0) ||
			    (vn == 6 && memcmp(v, "\"last\"", 6) == 0) ||
			    (vn == 4 && memcmp(v, "true", 4) == 0);
			pos_member(pos, "snapshot", v, vn);
		}
		/* the binlog file's number: its name's numeric suffix */
		const char *e = t2.p + t2.len, *q = e;
		while (q > t2.p && q[-1] >= '0' && q[-1] <= '9')
			q--;
		a = q < e && e - q <= 19 ? strtoull(q, NULL, 10) : 0;
		buf_putc(pos, '}');
		str_member(pp_name, o, on, &t2, &v, &vn);
		buf_printf(stream, "mysql:%s", t2.p);
		key_field(key, a);
		key_field(key, b);
		key_field(key, snap ? 0 : 1);
		key_field(key, c);
		return 1;
	}
	if (strcmp(t1.p, "postgresql") == 0) {
		unsigned long long lsn, commit, l;
		int snap;
		if (uint_member(pp_lsn, o, on, &lsn, &v, &vn) < 0)
			return 0;
		pos_member(pos, "lsn", v, vn);
		commit = l = lsn;
		if (str_member(pp_seq, o, on, &t2, &v, &vn) == 0) {
			pos_member(pos, "sequence", v, vn);
			if (parse_seq(t2.p, &commit, &l, &snap) < 0)
				commit = l = lsn;
		}
		c = 0;
		if (uint_member(pp_row, o, on, &c, &v, &vn) == 0)
			pos_member(pos, "row", v, vn);
		buf_putc(pos, '}');
		str_member(pp_name, o, on, &t1, &v, &vn);
		str_member(pp_db, o, on, &t2, &v, &vn);
		buf_printf(stream, "postgresql:%s:%s", t1.p, t2.p);
		key_field(key, commit);
		key_field(key, l);
		key_field(key, c);
		return 1;
	}
none:
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
	memset(f, 0, sizeof(*f));
	f->path = path;
	f->max = max;
	if ((f->fp = fopen(path, "re")) == NULL)
		return errno == ENOENT ? 1 : -1;
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
