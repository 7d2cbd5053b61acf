/* gen_out.c: fast checked output of CSV and JSON lines into files. */
#include "gen_out.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void
gout_open(struct gout *o, const char *dir, const char *name)
{
	o->path = dir != NULL ? xasprintf("%s/%s", dir, name) : xstrdup(name);
	o->fd = open(o->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (o->fd < 0)
		die(EX_CANTCREAT, "%s:", o->path);
	o->buf = xmalloc(GOUT_BUFSZ);
	o->len = 0;
	o->rows = 0;
}

void
gout_flush(struct gout *o)
{
	size_t off = 0;

	while (off < o->len) {
		ssize_t n = write(o->fd, o->buf + off, o->len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die(EX_IOERR, "write error on %s:", o->path);
		}
		off += (size_t)n;
	}
	o->len = 0;
}

void
gout_close(struct gout *o)
{
	gout_flush(o);
	if (close(o->fd) != 0)
		die(EX_IOERR, "write error on %s:", o->path);
	free(o->buf);
	free(o->path);
	o->buf = NULL;
	o->path = NULL;
	o->fd = -1;
}

void
gen_fmt_time(long long t, char out[24])
{
	struct gout o = { .buf = out };

	gout_time(&o, t);
	out[o.len] = '\0';
}

void
gen_fmt_sqltime(long long t, char out[24])
{
	struct gout o = { .buf = out };
	long long day = t >= 0 ? t / 86400 : (t - 86399) / 86400;

	gout_date(&o, t);
	gout_c(&o, ' ');
	gout_hms(&o, (unsigned)(t - day * 86400), ':');
	out[o.len] = '\0';
}

static int
digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

int
gen_parse_time(const char *s, long long *t)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h = 0, mi = 0, sec = 0;

	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d))
		return -1;
	s += 10;
	if (*s == 'T' || *s == ' ') {
		if (digits(s + 1, 2, &h) || s[3] != ':' || digits(s + 4, 2, &mi))
			return -1;
		s += 6;
		if (*s == ':') {
			if (digits(s + 1, 2, &sec))
				return -1;
			s += 3;
		}
	}
	if (*s == 'Z')
		s++;
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    h > 23 || mi > 59 || sec > 59)
		return -1;
	*t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 +
	    mi * 60 + sec;
	return 0;
}
