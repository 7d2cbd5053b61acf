/* stats.c: statistics as JSON lines and Prometheus text files. */
#include "stats.h"
#include "buf.h"
#include "util.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void
put_number(struct buf *b, double v)
{
	if (isfinite(v) && v == (double)(long long)v)
		buf_printf(b, "%lld", (long long)v);
	else if (isfinite(v))
		buf_printf(b, "%.6g", v);
	else
		buf_puts(b, "null");
}

void
stats_print(const char *program, const struct metric *s, int n)
{
	struct buf b;
	char when[32];

	buf_init(&b);
	iso8601_ms(now_ms(), when);
	buf_printf(&b, "{\"stats\":\"%s\",\"ts\":\"%s\"", program, when);
	for (int i = 0; i < n; i++) {
		buf_printf(&b, ",\"%s\":", s[i].name);
		put_number(&b, s[i].value);
	}
	buf_puts(&b, "}\n");
	fwrite(b.p, 1, b.len, stderr);
	fflush(stderr);
	buf_free(&b);
}

int
stats_write_prom(const char *path, const char *program,
    const struct metric *s, int n)
{
	struct buf b, name;
	char *tmp;
	int fd, ret = 0;

	buf_init(&b);
	buf_init(&name);
	/* metric names: telco_PROGRAM_NAME with '-' made '_' */
	for (const char *p = program; *p; p++)
		buf_putc(&name, *p == '-' ? '_' : *p);
	buf_cstr(&name);
	for (int i = 0; i < n; i++) {
		buf_printf(&b, "# HELP telco_%s_%s %s\n", name.p, s[i].name,
		    s[i].help);
		buf_printf(&b, "# TYPE telco_%s_%s %s\n", name.p, s[i].name,
		    s[i].kind == STAT_COUNTER ? "counter" : "gauge");
		buf_printf(&b, "telco_%s_%s ", name.p, s[i].name);
		if (isfinite(s[i].value))
			put_number(&b, s[i].value);
		else
			buf_puts(&b, "NaN");
		buf_putc(&b, '\n');
	}
	tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0 ||
	    write(fd, b.p, b.len) != (ssize_t)b.len || close(fd) != 0 ||
	    rename(tmp, path) != 0) {
		ret = -1;
		unlink(tmp);
	}
	free(tmp);
	buf_free(&b);
	buf_free(&name);
	return ret;
}

int
stats_due(long long *last_ms, long long interval_ms)
{
	long long t;

	if (interval_ms <= 0)
		return 0;
	t = mono_ms();
	if (*last_ms == 0) {
		*last_ms = t;
		return 0;
	}
	if (t - *last_ms < interval_ms)
		return 0;
	*last_ms = t;
	return 1;
}
