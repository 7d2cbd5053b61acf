/* util.h: diagnostics, exit statuses and checked output shared by every program. */
#ifndef TP_UTIL_H
#define TP_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#define TP_VERSION "0.1.0"

extern const char *progname;

void setprogname(const char *argv0);

/* Print "prog: message" on stderr; when fmt ends with ':' append strerror(errno). */
void weprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same, then exit with status. */
void die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Check a write to fp, named name in the message: on EPIPE restore the
 * default SIGPIPE action and raise it, so that "prog | head" ends quietly;
 * on any other error die 74. out_check: the same for standard output.
 */
void file_check(FILE *fp, const char *name);
void out_check(FILE *fp);
/* Flush and check fp at exit; returns 0 or EX_IOERR after a message. */
int fshut(FILE *fp, const char *name);
/* When fd is a pipe of less than 1 MiB (what fs.pipe-max-size lets an
 * unprivileged process have by default), its buffer made that large:
 * fewer, larger transfers for a program whose output is large. Anything
 * else is left as it is. */
void pipe_widen(int fd);

/* Parse a size with an optional k/M/G suffix (powers of 1024). -1 if bad. */
long long parse_size(const char *s);
/* Parse a non-negative integer; -1 if bad. */
long long parse_count(const char *s);
/* Parse a duration: N (ms unless unit), Nms, Ns, Nm, Nh, Nd. -1 if bad. */
long long parse_duration_ms(const char *s);

/* Milliseconds since the epoch (wall) and a monotonic clock. */
long long now_ms(void);
long long mono_ms(void);

/* Format epoch milliseconds as ISO 8601 UTC with millisecond precision. */
void iso8601_ms(long long ms, char out[32]);

/* Days since 1970-01-01 of a proleptic Gregorian date, and the date of a
 * day number (Howard Hinnant's algorithms). */
long long days_from_civil(long long y, unsigned m, unsigned d);
void civil_from_days(long long z, int *y, unsigned *m, unsigned *d);

/* The value of a hex digit, or -1. */
static inline int
hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Code point cp (up to U+10FFFF) in UTF-8 at o; returns the byte after. */
char *utf8_put(char *o, unsigned cp);

/*
 * A hash of s[0..n), eight bytes at a time, for tables in memory only
 * (hash64 in lib/window is the one alert ids are made of).
 */
static inline uint64_t
hash_words(const char *s, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n, w;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	if (i < n) {
		w = 0;
		memcpy(&w, s + i, n - i);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
	}
	h ^= h >> 29;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 32;
	return h;
}

#endif
