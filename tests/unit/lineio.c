/*
 * lineio: unit test of lib/lineio.c against a reference splitter.
 *   lineio N SEED   N random files (short and long lines, lines longer
 *                   than stdio's buffer, no final newline, NUL bytes),
 *                   each read with a random limit through a file and a pipe;
 *                   and what is a fragment (line_fragment, lr_open's pipe)
 * Prints what failed and exits 1 when something did.
 */
#include "lineio.h"
#include "util.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static uint64_t rng;

static size_t
rnd(size_t n)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (size_t)(rng >> 33) % n;
}

static int failures;

/* Read path with lr_next and compare each line with the reference. */
static void
check(const char *what, FILE *fp, const char *data, size_t size, size_t max,
    size_t window)
{
	struct lreader r;
	char *line;
	size_t len, pos = 0;
	unsigned long long lines = 0;
	int rc;

	memset(&r, 0, sizeof r);
	r.fp = fp;
	r.name = what;
	r.max = max;
	r.window = window;
	if (window && lr_map(&r) < 0)
		die(EX_OSERR, "%s: lr_map:", what);
	if (window && size > 0 && !r.mapped) {
		fprintf(stderr, "%s: not mapped\n", what);
		failures++;
	}
	while ((rc = lr_next(&r, &line, &len)) != LR_EOF) {
		const char *e = memchr(data + pos, '\n', size - pos);
		size_t full = e ? (size_t)(e - data - pos) : size - pos;
		size_t want = full > max ? max : full;
		int want_rc = full > max ? LR_TOOLONG : LR_OK;

		lines++;
		if (pos >= size || rc != want_rc || len != want ||
		    memcmp(line, data + pos, want) != 0 || line[len] != '\0' ||
		    r.lineno != lines) {
			fprintf(stderr, "%s: line %llu (max %zu): rc %d len %zu, "
			    "want rc %d len %zu\n", what, lines, max, rc, len,
			    want_rc, want);
			failures++;
			break;
		}
		if (r.unterminated != (e == NULL)) {
			fprintf(stderr, "%s: line %llu: unterminated %d\n",
			    what, lines, r.unterminated);
			failures++;
			break;
		}
		pos += full + (e != NULL);
		if (r.offset != pos) {
			fprintf(stderr, "%s: line %llu: offset %llu, want %zu\n",
			    what, lines, r.offset, pos);
			failures++;
			break;
		}
	}
	if (rc == LR_EOF && pos != size) {
		fprintf(stderr, "%s: EOF at %zu of %zu\n", what, pos, size);
		failures++;
	}
	r.fp = NULL;		/* the caller's to close */
	lr_close(&r);
}

static void
expect(int got, int want, const char *what)
{
	if (got != want) {
		fprintf(stderr, "%s: %d, want %d\n", what, got, want);
		failures++;
	}
}

/* A fragment: unterminated, from a pipe, and not JSON. */
static void
fragments(void)
{
	struct lreader r;
	char path[64];
	int pfd[2];

	expect(line_fragment(1, 1, "{\"a\":", 5), 1, "a cut object");
	expect(line_fragment(1, 1, "{\"a\":1", 6), 1, "an object without its brace");
	expect(line_fragment(1, 1, "{\"a\":1}", 7), 0, "a whole object");
	expect(line_fragment(1, 1, "12", 2), 0, "a whole number");
	expect(line_fragment(0, 1, "{\"a\":", 5), 0, "a terminated line");
	expect(line_fragment(1, 0, "{\"a\":", 5), 0, "from a regular file");

	if (pipe(pfd) < 0)
		die(EX_OSERR, "pipe:");
	snprintf(path, sizeof path, "/proc/self/fd/%d", pfd[0]);
	if (lr_open(&r, path, 0) != 0)
		die(EX_OSERR, "%s:", path);
	expect(r.pipe, 1, "lr_open of a pipe: pipe");
	lr_close(&r);
	close(pfd[0]);
	close(pfd[1]);

	FILE *fp = tmpfile();
	if (fp == NULL)
		die(EX_IOERR, "tmpfile:");
	snprintf(path, sizeof path, "/proc/self/fd/%d", fileno(fp));
	if (lr_open(&r, path, 0) != 0)
		die(EX_OSERR, "%s:", path);
	expect(r.pipe, 0, "lr_open of a file: pipe");
	lr_close(&r);
	fclose(fp);
}

/* The next line of a mapped reader, expected to be want. */
static void
next_is(struct lreader *r, const char *want, const char *what)
{
	char *line;
	size_t len;
	int rc = lr_next(r, &line, &len);

	if (rc != LR_OK || len != strlen(want) || memcmp(line, want, len)) {
		fprintf(stderr, "%s: rc %d, line '%.*s', want '%s'\n", what, rc,
		    rc == LR_OK ? (int)len : 0, rc == LR_OK ? line : "", want);
		failures++;
	}
}

/*
 * A mapped file that grows is read on to its new end; one that shrinks
 * under the mapping is a read error with its reason, not a SIGBUS.
 */
static void
mapped_changes(void)
{
	struct lreader r;
	char path[64], *line, big[3 * 4096];
	size_t len;
	FILE *fp = tmpfile();

	if (fp == NULL || fputs("one\ntwo\n", fp) < 0 || fflush(fp))
		die(EX_IOERR, "tmpfile:");
	snprintf(path, sizeof path, "/proc/self/fd/%d", fileno(fp));
	if (lr_open(&r, path, 0) != 0 || lr_map(&r) != 0)
		die(EX_OSERR, "%s:", path);
	expect(r.mapped, 1, "a regular file: mapped");
	next_is(&r, "one", "grow: line 1");
	next_is(&r, "two", "grow: line 2");
	expect(lr_next(&r, &line, &len), LR_EOF, "grow: at the end");
	if (fputs("three\nfour", fp) < 0 || fflush(fp))
		die(EX_IOERR, "tmpfile:");
	next_is(&r, "three", "grow: a line appended");
	next_is(&r, "four", "grow: an unterminated line appended");
	expect(r.unterminated, 1, "grow: unterminated");
	expect(lr_next(&r, &line, &len), LR_EOF, "grow: at the new end");
	expect((int)r.offset, 18, "grow: offset");
	lr_close(&r);

	/* three pages of lines; the file cut to one page after the first */
	if (ftruncate(fileno(fp), 0) != 0 || fseek(fp, 0, SEEK_SET))
		die(EX_IOERR, "ftruncate:");
	memset(big, 'x', sizeof big);
	for (size_t i = 99; i < sizeof big; i += 100)
		big[i] = '\n';
	if (fwrite(big, 1, sizeof big, fp) != sizeof big || fflush(fp))
		die(EX_IOERR, "tmpfile:");
	if (lr_open(&r, path, 0) != 0 || lr_map(&r) != 0)
		die(EX_OSERR, "%s:", path);
	expect(lr_next(&r, &line, &len), LR_OK, "shrink: line 1");
	if (ftruncate(fileno(fp), 4096) != 0)
		die(EX_IOERR, "ftruncate:");
	int rc;
	unsigned long long n = 1;
	while ((rc = lr_next(&r, &line, &len)) == LR_OK)
		n++;
	expect(rc, LR_ERROR, "shrink: a read error");
	expect(errno, EIO, "shrink: errno");
	expect(r.why != NULL, 1, "shrink: a reason");
	expect(n >= 40 && n <= 41, 1, "shrink: the lines of the page left");
	lr_close(&r);
	fclose(fp);
}

int
main(int argc, char **argv)
{
	setprogname(argv[0]);
	if (argc < 2)
		die(EX_USAGE, "usage: lineio N [SEED]");
	long count = atol(argv[1]);
	rng = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
	fragments();
	mapped_changes();
	for (long c = 0; c < count && failures < 5; c++) {
		size_t size = 0, cap = 1 << 20;
		char *data = xmalloc(cap);
		size_t nlines = rnd(40);
		for (size_t l = 0; l < nlines; l++) {
			size_t n = rnd(8) == 0 ? rnd(200000) : rnd(300);
			if (size + n + 1 > cap)
				break;
			for (size_t i = 0; i < n; i++)
				data[size++] = rnd(50) == 0 ? '\0' :
				    (char)('a' + rnd(26));
			if (l + 1 < nlines || rnd(2))
				data[size++] = '\n';
		}
		size_t max = rnd(3) == 0 ? 1 + rnd(100) :
		    rnd(2) ? 1 + rnd(100000) : LINE_MAX_DEFAULT;

		FILE *fp = tmpfile();
		if (!fp || fwrite(data, 1, size, fp) != size || fflush(fp) ||
		    fseek(fp, 0, SEEK_SET))
			die(EX_IOERR, "tmpfile:");
		check("file", fp, data, size, max, 0);
		/* mapped, in windows of 2 to 9 pages or of the default */
		if (fseek(fp, 0, SEEK_SET))
			die(EX_IOERR, "tmpfile:");
		check("mapped file", fp, data, size, max,
		    rnd(4) ? 4096 * (2 + rnd(8)) : LR_WINDOW);
		fclose(fp);

		/* a pipe, written by a child in pieces */
		int pfd[2];
		if (pipe(pfd) < 0)
			die(EX_OSERR, "pipe:");
		pid_t pid = fork();
		if (pid == 0) {
			close(pfd[0]);
			for (size_t off = 0; off < size;) {
				size_t k = 1 + rnd(70000);
				if (k > size - off)
					k = size - off;
				if (write(pfd[1], data + off, k) != (ssize_t)k)
					_exit(1);
				off += k;
			}
			_exit(0);
		}
		close(pfd[1]);
		fp = fdopen(pfd[0], "r");
		check("pipe", fp, data, size, max, 0);
		fclose(fp);
		while (wait(NULL) > 0)
			;
		free(data);
	}
	printf("%ld inputs, %d failed\n", count, failures);
	return failures ? 1 : 0;
}
