/*
 * csv2kafka: CSV files to Kafka topics, one typed JSON object per row,
 * keyed by a column; or the same JSON lines on standard output.
 */
#include "buf.h"
#include "ckpt.h"
#include "csvread.h"
#include "csvtype.h"
#include "kconf.h"
#include "kprod.h"
#include "stats.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DRAIN_MS	10000	/* wait for deliveries after SIGINT/SIGTERM */
#define FP_WINDOW	65536	/* bytes of each end a checkpoint's checksum covers */
#define RESERVE_ROWS	32768	/* rows sent past the last "sent_max" saved */

struct input {
	const char *arg;	/* as given */
	const char *name;	/* in messages */
	char *path;		/* absolute; NULL when not a regular file */
	char *stream;		/* checkpoint stream: "csv:PATH" */
	char *topic;
	int fd;
	int open;
	int marked;		/* marks refer to it: keep fd for the checkpoint */
	int read_all;		/* read to the end */
	struct stat st;
	/* the position all before which is acknowledged (or rejected) */
	unsigned long long line, off, rows, bad;
	int done, dirty;
	unsigned long long rows0, bad0;	/* counts the checkpoint had */
	/*
	 * No row past sent_max is sent before a checkpoint holding that
	 * bound is saved: after a crash, the rows between "rows" and
	 * "sent_max" are all the ones that can reach the topic twice.
	 */
	unsigned long long sent_max;
	/*
	 * The rows after the checkpoint found in the topic when resuming
	 * (their byte offsets, sorted): sent before a crash, not sent again.
	 */
	unsigned long long *found;
	size_t nfound;
	/* this run */
	unsigned long long rows_read, bad_read;
	long long t0;
};

/* Where the input stands after a record: safe once need <= watermark. */
struct mark {
	uint64_t need;
	unsigned long long line, start, end, rows, bad;
	uint32_t in;
	uint32_t done;
};

struct cols {
	size_t n;
	char **name;
	enum ctype *type;
	struct buf pfx;		/* "name": and ,"name": of each column */
	size_t *pfo, *pfl;
	int key;		/* -k column, or -1 */
	struct buf meta;	/* ,"_kafka":{"topic":"T" */
};

enum { OPT_CHECKPOINT = 256, OPT_CKPT_INTERVAL, OPT_DEAD_LETTER,
	OPT_MAX_ERRORS, OPT_MAX_RECORD, OPT_NO_CONTRACT, OPT_NO_INFER,
	OPT_STATS, OPT_STATS_FILE, OPT_STDOUT, OPT_VERSION };

static const struct option longopts[] = {
	{ "brokers", required_argument, NULL, 'b' },
	{ "checkpoint", required_argument, NULL, OPT_CHECKPOINT },
	{ "checkpoint-interval", required_argument, NULL, OPT_CKPT_INTERVAL },
	{ "dead-letter", required_argument, NULL, OPT_DEAD_LETTER },
	{ "help", no_argument, NULL, 'h' },
	{ "key", required_argument, NULL, 'k' },
	{ "max-errors", required_argument, NULL, OPT_MAX_ERRORS },
	{ "max-record-bytes", required_argument, NULL, OPT_MAX_RECORD },
	{ "meta", no_argument, NULL, 'm' },
	{ "no-contract", no_argument, NULL, OPT_NO_CONTRACT },
	{ "no-infer", no_argument, NULL, OPT_NO_INFER },
	{ "schema", required_argument, NULL, 's' },
	{ "stats", required_argument, NULL, OPT_STATS },
	{ "stats-file", required_argument, NULL, OPT_STATS_FILE },
	{ "stdout", no_argument, NULL, OPT_STDOUT },
	{ "topic", required_argument, NULL, 't' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* options */
static const char *topic_opt, *key_opt, *ckpt_path, *dl_path, *stats_path;
static int to_stdout, meta, no_contract, no_infer;
static long long max_errors = -1, max_record = 1 << 20;
static long long stats_ms, ckpt_ms = 1000;
static char **schema_name;
static enum ctype *schema_type;
static size_t schema_n;

/* state */
static struct input *inputs;
static size_t ninputs;
static struct kprod *kp;
static rd_kafka_conf_t *back_conf;	/* the producer's, to read the topic back */
static unsigned long long nfound_total;

static int
cmp_ull(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a;
	unsigned long long y = *(const unsigned long long *)b;
	return x < y ? -1 : x > y;
}
static struct ckpt ck;
static int have_ckpt;
static FILE *dl;
static int dl_open_line;	/* the last record written lacks a line end */
static struct buf out;
static struct mark *marks;
static size_t mk_head, mk_len, mk_cap;
static uint64_t written, flushed;	/* --stdout: rows written, flushed */
static unsigned long long nread, nbad, nbytes;
static unsigned long long files_done;
static int qmax = 100000;
static long long msg_timeout = 300000;
static int status;		/* exit status, the first failure's */
static int stopping;
static int ckpt_failed;
static int progress, progress_shown;
static long long t_start, last_tick, last_ckpt, last_stats, last_prom,
    last_progress;
static struct input *cur;	/* being read */
static const char *phase;	/* progress: what is being done */

static volatile sig_atomic_t got_stop, got_usr1;

static void
usage_to(FILE *fp)
{
	fprintf(fp,
	    "usage: csv2kafka [-b brokers] [-F file] [-k column] [-s schema] "
	    "[-t topic]\n"
	    "                 [-X prop=val] [--checkpoint file] "
	    "[--checkpoint-interval ms]\n"
	    "                 [--dead-letter file] [--max-errors n] "
	    "[--max-record-bytes size]\n"
	    "                 [--no-contract] [--no-infer] [--stats ms] "
	    "[--stats-file path]\n"
	    "                 file ...\n"
	    "       csv2kafka --stdout [-m] [-k column] [-s schema] [-t topic]\n"
	    "                 [--checkpoint file] [--checkpoint-interval ms]\n"
	    "                 [--dead-letter file] [--max-errors n] "
	    "[--max-record-bytes size]\n"
	    "                 [--no-contract] [--no-infer] [--stats ms] "
	    "[--stats-file path]\n"
	    "                 file ...\n"
	    "       csv2kafka --version\n");
}

static void
usage(void)
{
	usage_to(stderr);
	exit(EX_USAGE);
}

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		got_usr1 = 1;
	else
		got_stop++;
}

static void
set_status(int s)
{
	if (status == 0)
		status = s;
}

static void
stop(int s)
{
	set_status(s);
	stopping = 1;
}

/* ---- progress on a terminal ---- */

static void
progress_clear(void)
{
	if (progress_shown) {
		fputs("\r\033[K", stderr);
		progress_shown = 0;
	}
}

static void
show_progress(void)
{
	long long t = mono_ms();
	double secs;

	if (!progress)
		return;
	fputs("\r\033[K", stderr);
	if (phase != NULL && cur != NULL) {
		fprintf(stderr, "%s: %s: %s", progname, cur->name, phase);
		if (S_ISREG(cur->st.st_mode) && cur->st.st_size > 0 && cur->open)
			fprintf(stderr, ", %d%%", (int)(100.0 *
			    (double)lseek(cur->fd, 0, SEEK_CUR) /
			    (double)cur->st.st_size));
	} else if (cur != NULL) {
		secs = (double)(t - cur->t0) / 1000.0;
		fprintf(stderr, "%s: %s: %llu rows, %.0f rows/s", progname,
		    cur->name, cur->rows_read,
		    secs > 0 ? (double)cur->rows_read / secs : 0.0);
		if (S_ISREG(cur->st.st_mode) && cur->st.st_size > 0 && cur->open)
			fprintf(stderr, ", %d%%", (int)(100.0 *
			    (double)lseek(cur->fd, 0, SEEK_CUR) /
			    (double)cur->st.st_size));
		if (cur->bad_read)
			fprintf(stderr, ", %llu bad", cur->bad_read);
	} else if (kp != NULL) {
		fprintf(stderr, "%s: waiting for %llu acknowledgements", progname,
		    (unsigned long long)(kprod_sent(kp) - kprod_watermark(kp)));
	}
	fflush(stderr);
	progress_shown = 1;
}

/* ---- statistics ---- */

static int
metrics(struct metric *m)
{
	double secs = (double)(mono_ms() - t_start) / 1000.0;
	uint64_t out_rows = kp ? kprod_acked(kp) : written;
	int n = 0;

	m[n++] = (struct metric){ "rows_in", "rows read (good and bad)",
	    STAT_COUNTER, (double)nread };
	m[n++] = (struct metric){ "rows_out", to_stdout ? "rows written" :
	    "rows acknowledged by the brokers", STAT_COUNTER, (double)out_rows };
	m[n++] = (struct metric){ "rows_bad", "rows rejected", STAT_COUNTER,
	    (double)nbad };
	m[n++] = (struct metric){ "bytes_in", "bytes of CSV read", STAT_COUNTER,
	    (double)nbytes };
	m[n++] = (struct metric){ "in_flight", "rows sent, not yet acknowledged",
	    STAT_GAUGE, kp ? (double)(kprod_sent(kp) - kprod_acked(kp) -
	    kprod_failed(kp)) : 0.0 };
	m[n++] = (struct metric){ "files_done", "input files read to the end",
	    STAT_COUNTER, (double)files_done };
	m[n++] = (struct metric){ "rows_per_second", "rows out per second "
	    "since the start", STAT_GAUGE, secs > 0 ? (double)out_rows / secs : 0 };
	return n;
}

static void
print_stats(void)
{
	struct metric m[16];
	int n = metrics(m);

	progress_clear();
	stats_print(progname, m, n);
}

static void
write_prom(void)
{
	struct metric m[16];
	int n = metrics(m);

	if (stats_write_prom(stats_path, progname, m, n) != 0)
		weprintf("%s:", stats_path);
}

/* ---- dead letters ---- */

static void
dl_write(const char *p, size_t n, int new_record)
{
	if (dl == NULL || n == 0)
		return;
	if (new_record && dl_open_line)
		putc('\n', dl);
	fwrite(p, 1, n, dl);
	dl_open_line = p[n - 1] != '\n' && p[n - 1] != '\r';
	if (ferror(dl)) {
		progress_clear();
		weprintf("%s: write error:", dl_path);
		clearerr(dl);
		stop(EX_IOERR);
	}
}

static int
dl_sync(void)
{
	if (dl == NULL)
		return 0;
	if (fflush(dl) == EOF || fdatasync(fileno(dl)) != 0) {
		weprintf("%s: write error:", dl_path);
		stop(EX_IOERR);
		return -1;
	}
	return 0;
}

/* ---- positions and checkpoints ---- */

static void
push_mark(struct input *in, uint64_t need, const struct csvrec *rec,
    int done, unsigned long long line, unsigned long long end)
{
	struct mark *m;

	if (mk_len == mk_cap) {
		size_t ncap = mk_cap ? mk_cap * 2 : 4096;
		struct mark *nm = xmalloc(ncap * sizeof *nm);
		for (size_t i = 0; i < mk_len; i++)
			nm[i] = marks[(mk_head + i) & (mk_cap - 1)];
		free(marks);
		marks = nm;
		mk_cap = ncap;
		mk_head = 0;
	}
	m = &marks[(mk_head + mk_len) & (mk_cap - 1)];
	m->need = need;
	m->line = line;
	m->start = rec ? rec->start : end;
	m->end = end;
	m->rows = in->rows0 + in->rows_read;
	m->bad = in->bad0 + in->bad_read;
	in->marked = 1;
	m->in = (uint32_t)(in - inputs);
	m->done = (uint32_t)done;
	mk_len++;
}

/* The mark of the row sent with sequence number seq, or NULL. */
static struct mark *
find_mark(uint64_t seq)
{
	size_t lo = 0, hi = mk_len;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (marks[(mk_head + mid) & (mk_cap - 1)].need < seq + 1)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == mk_len || marks[(mk_head + lo) & (mk_cap - 1)].need != seq + 1)
		return NULL;
	return &marks[(mk_head + lo) & (mk_cap - 1)];
}

static uint64_t
watermark(void)
{
	return kp ? kprod_watermark(kp) : flushed;
}

static uint64_t
sent(void)
{
	return kp ? kprod_sent(kp) : written;
}

/* FNV-1a of the first and the last FP_WINDOW bytes before off. */
static int
fingerprint(int fd, unsigned long long off, char hex[17])
{
	static char b[FP_WINDOW];
	uint64_t h = 14695981039346656037ULL;
	unsigned long long ranges[2][2], head = off < FP_WINDOW ? off : FP_WINDOW;
	ssize_t n;

	ranges[0][0] = 0;
	ranges[0][1] = head;
	ranges[1][0] = off - head < FP_WINDOW ? head : off - FP_WINDOW;
	ranges[1][1] = off;
	for (int r = 0; r < 2; r++) {
		for (unsigned long long o = ranges[r][0]; o < ranges[r][1];
		    o += (unsigned long long)n) {
			size_t want = ranges[r][1] - o;
			if (want > sizeof b)
				want = sizeof b;
			if ((n = pread(fd, b, want, (off_t)o)) <= 0)
				return -1;
			for (ssize_t i = 0; i < n; i++) {
				h ^= (unsigned char)b[i];
				h *= 1099511628211ULL;
			}
		}
	}
	snprintf(hex, 17, "%016llx", (unsigned long long)h);
	return 0;
}

static void
close_input(struct input *in)
{
	if (in->open) {
		close(in->fd);
		in->open = 0;
	}
}

/* Take the marks the watermark passed: the inputs' safe positions. */
static void
take_marks(void)
{
	uint64_t wm = watermark();

	while (mk_len > 0 && marks[mk_head].need <= wm) {
		struct mark *m = &marks[mk_head];
		struct input *in = &inputs[m->in];
		in->line = m->line;
		in->off = m->end;
		in->rows = m->rows;
		in->bad = m->bad;
		in->done = (int)m->done;
		in->dirty = 1;
		mk_head = (mk_head + 1) & (mk_cap - 1);
		mk_len--;
		if (m->done) {
			files_done++;
			if (!have_ckpt || in->path == NULL)
				close_input(in);
		}
	}
}

/* Take the marks the watermark passed; save the checkpoint if asked. */
static void
checkpoint(void)
{
	int changed = 0;
	char hex[17], when[32];

	if (to_stdout) {
		if (fflush(stdout) == EOF)
			out_check(stdout);
		flushed = written;
	}
	take_marks();
	if (!have_ckpt)
		return;
	for (size_t i = 0; i < ninputs; i++) {
		struct input *in = &inputs[i];
		json_t *pos;
		if (!in->dirty || in->path == NULL || !in->open)
			continue;
		in->dirty = 0;
		if (fingerprint(in->fd, in->off, hex) != 0) {
			weprintf("%s: cannot read it again for the checkpoint:",
			    in->name);
			continue;
		}
		iso8601_ms((long long)in->st.st_mtim.tv_sec * 1000 +
		    in->st.st_mtim.tv_nsec / 1000000, when);
		pos = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:b, s:I, s:I,"
		    " s:I, s:s, s:s}",
		    "file", in->path,
		    "line", (json_int_t)in->line,
		    "offset", (json_int_t)in->off,
		    "rows", (json_int_t)in->rows,
		    "sent_max", (json_int_t)(in->sent_max > in->rows ?
		    in->sent_max : in->rows),
		    "bad", (json_int_t)in->bad,
		    "done", in->done,
		    "size", (json_int_t)in->st.st_size,
		    "inode", (json_int_t)in->st.st_ino,
		    "dev", (json_int_t)in->st.st_dev,
		    "mtime", when,
		    "checksum", hex);
		ckpt_set(&ck, in->stream, pos);
		changed = 1;
		if (in->done)
			close_input(in);
	}
	if (changed) {
		if (dl_sync() != 0)
			return;
		if (ckpt_save(&ck) != 0) {
			if (!ckpt_failed) {
				progress_clear();
				weprintf("%s: cannot write the checkpoint:", ckpt_path);
			}
			ckpt_failed = 1;
			set_status(EX_IOERR);
		} else if (ckpt_failed) {
			ckpt_failed = 0;
		}
	}
}

/* Housekeeping between rows: deliveries, signals, timers. */
static void
tick(void)
{
	long long t;

	if (kp)
		kprod_poll(kp, 0);
	if (got_stop && !stopping)
		stopping = 1;
	t = mono_ms();
	if (t - last_tick < 20)
		return;
	last_tick = t;
	if (kp)
		take_marks();	/* few marks kept: memory */
	if (got_usr1) {
		got_usr1 = 0;
		print_stats();
	}
	if (stats_ms > 0 && t - last_stats >= stats_ms) {
		last_stats = t;
		print_stats();
	}
	if (stats_path && t - last_prom >= (stats_ms > 0 ? stats_ms : 5000)) {
		last_prom = t;
		write_prom();
	}
	if ((have_ckpt || kp) && t - last_ckpt >= ckpt_ms) {
		last_ckpt = t;
		checkpoint();
	}
	if (progress && t - last_progress >= 250) {
		last_progress = t;
		show_progress();
	}
}

/* ---- bad rows ---- */

static void
bad_row(struct input *in, unsigned long long line, const char *raw,
    size_t rawlen, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
bad_row(struct input *in, unsigned long long line, const char *raw,
    size_t rawlen, const char *fmt, ...)
{
	va_list ap;

	progress_clear();
	fprintf(stderr, "%s: %s:%llu: ", progname, in->name, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	dl_write(raw, rawlen, 1);
	nbad++;
	in->bad_read++;
	if (max_errors >= 0 && nbad > (unsigned long long)max_errors &&
	    !stopping) {
		weprintf("more than %lld bad rows (--max-errors): stopping",
		    max_errors);
		stop(EX_DATAERR);
	}
}

/* A cell for a message: quoted, escaped, cut at 40 bytes. */
static const char *
show(struct buf *b, const char *p, size_t n)
{
	b->len = 0;
	buf_json_str(b, p, n > 40 ? 40 : n);
	if (n > 40)
		buf_puts(b, "...");
	return buf_cstr(b);
}

/* Kafka refused a row after it was sent: report and dead-letter it. */
static int
on_fail(void *ctx, uint64_t seq, const rd_kafka_message_t *m)
{
	struct mark *mk = find_mark(seq);
	struct input *in = mk ? &inputs[mk->in] : NULL;
	const char *why = rd_kafka_err2str(m->err);
	char *raw;

	(void)ctx;
	if (in == NULL) {
		progress_clear();
		weprintf("a row was refused: %s", why);
		dl_write(m->payload, m->len, 1);
		dl_write("\n", 1, 0);
		nbad++;
		return 0;
	}
	if (in->open && in->path != NULL && mk->end > mk->start &&
	    mk->end - mk->start <= (unsigned long long)max_record) {
		raw = xmalloc(mk->end - mk->start);
		if (pread(in->fd, raw, mk->end - mk->start, (off_t)mk->start) ==
		    (ssize_t)(mk->end - mk->start)) {
			bad_row(in, mk->line, raw, mk->end - mk->start,
			    "refused by the broker: %s", why);
			free(raw);
			return 0;
		}
		free(raw);
	}
	bad_row(in, mk->line, m->payload, m->len, "refused by the broker: %s "
	    "(the JSON message is in the dead letters)", why);
	dl_write("\n", 1, 0);
	return 0;
}

/* ---- columns ---- */

static enum ctype
declared(const char *name)
{
	for (size_t i = 0; i < schema_n; i++)
		if (strcmp(schema_name[i], name) == 0)
			return schema_type[i];
	return no_contract ? CT_AUTO : ctype_contract(name);
}

static void
cols_free(struct cols *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->name[i]);
	free(c->name);
	free(c->type);
	free(c->pfo);
	free(c->pfl);
	buf_free(&c->pfx);
	buf_free(&c->meta);
	memset(c, 0, sizeof *c);
}

/* The header row: names, declared types, JSON keys. -1 after a message. */
static int
header(struct input *in, const struct csvrec *rec, struct cols *c)
{
	memset(c, 0, sizeof *c);
	c->n = rec->nf;
	c->name = xcalloc(c->n, sizeof *c->name);
	c->type = xcalloc(c->n, sizeof *c->type);
	c->pfo = xcalloc(c->n, sizeof *c->pfo);
	c->pfl = xcalloc(c->n, sizeof *c->pfl);
	c->key = -1;
	buf_init(&c->pfx);
	buf_init(&c->meta);
	for (size_t i = 0; i < c->n; i++) {
		const struct csvfield *f = &rec->f[i];
		if (f->p == NULL || f->n == 0) {
			weprintf("%s:%llu: header: column %zu has no name",
			    in->name, rec->line, i + 1);
			return -1;
		}
		if (!utf8_valid(f->p, f->n) || memchr(f->p, '\0', f->n)) {
			weprintf("%s:%llu: header: the name of column %zu is not "
			    "valid UTF-8 text", in->name, rec->line, i + 1);
			return -1;
		}
		c->name[i] = xstrndup(f->p, f->n);
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->name[j], c->name[i]) == 0) {
				weprintf("%s:%llu: header: column \"%s\" appears "
				    "twice (columns %zu and %zu)", in->name,
				    rec->line, c->name[i], j + 1, i + 1);
				return -1;
			}
		c->type[i] = declared(c->name[i]);
		if (c->type[i] == CT_AUTO && no_infer)
			c->type[i] = CT_STRING;
		if (key_opt && strcmp(key_opt, c->name[i]) == 0)
			c->key = (int)i;
		c->pfo[i] = c->pfx.len;
		if (i > 0)
			buf_putc(&c->pfx, ',');
		buf_json_str(&c->pfx, f->p, f->n);
		buf_putc(&c->pfx, ':');
		c->pfl[i] = c->pfx.len - c->pfo[i];
	}
	if (key_opt && c->key < 0) {
		weprintf("%s:%llu: header: no column \"%s\" for the key (-k)",
		    in->name, rec->line, key_opt);
		return -1;
	}
	if (in->topic) {
		buf_puts(&c->meta, ",\"_kafka\":{\"topic\":");
		buf_json_str(&c->meta, in->topic, strlen(in->topic));
	}
	return 0;
}

static int
valid_topic(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > 249 || strcmp(t, ".") == 0 || strcmp(t, "..") == 0)
		return 0;
	for (; *t; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') ||
		    (*t >= '0' && *t <= '9') || *t == '.' || *t == '_' ||
		    *t == '-'))
			return 0;
	return 1;
}

/* ---- one row ---- */

static const char *
type_phrase(enum ctype t)
{
	switch (t) {
	case CT_INTEGER: return "an integer";
	case CT_DECIMAL: return "a decimal";
	case CT_FLOAT: return "a float";
	case CT_BOOLEAN: return "a boolean";
	case CT_TIMESTAMP: return "a timestamp";
	default: return "a string";
	}
}

static void
row(struct input *in, const struct cols *c, const struct csvrec *rec,
    unsigned long long lines)
{
	static struct buf tmp;
	const struct csvfield *key = NULL;
	rd_kafka_resp_err_t err;
	int64_t seq;

	if (rec->nf != c->n) {
		bad_row(in, rec->line, rec->raw, rec->rawlen,
		    "expected %zu fields, found %zu", c->n, rec->nf);
		goto mark;
	}
	if (!utf8_valid(rec->raw, rec->rawlen)) {
		size_t i;
		for (i = 0; i + 1 < rec->nf; i++)
			if (rec->f[i].p && !utf8_valid(rec->f[i].p, rec->f[i].n))
				break;
		bad_row(in, rec->line, rec->raw, rec->rawlen,
		    "field %zu (%s): invalid UTF-8", i + 1, c->name[i]);
		goto mark;
	}
	out.len = 0;
	buf_putc(&out, '{');
	for (size_t i = 0; i < c->n; i++) {
		const struct csvfield *f = &rec->f[i];
		buf_add(&out, c->pfx.p + c->pfo[i], c->pfl[i]);
		if (f->p == NULL || (f->n == 0 && c->type[i] != CT_STRING))
			buf_add(&out, "null", 4);
		else if (ctype_emit(&out, c->type[i], f->p, f->n) != 0) {
			bad_row(in, rec->line, rec->raw, rec->rawlen,
			    "column \"%s\": %s is not %s", c->name[i],
			    show(&tmp, f->p, f->n), type_phrase(c->type[i]));
			goto mark;
		}
	}
	if (c->key >= 0)
		key = &rec->f[c->key];
	if (have_ckpt && in->path != NULL &&
	    in->rows0 + in->rows_read >= in->sent_max) {
		/* save the bound before the first row past it goes out */
		in->sent_max = in->rows0 + in->rows_read + RESERVE_ROWS;
		in->dirty = 1;
		checkpoint();
	}
	if (to_stdout && meta) {
		buf_add(&out, c->meta.p, c->meta.len);
		if (key) {
			buf_puts(&out, ",\"key\":");
			if (key->p)
				buf_json_str(&out, key->p, key->n);
			else
				buf_puts(&out, "null");
		}
		buf_putc(&out, '}');
	}
	buf_putc(&out, '}');
	if (to_stdout) {
		buf_putc(&out, '\n');
		if (fwrite(out.p, 1, out.len, stdout) != out.len)
			out_check(stdout);
		written++;
		in->rows_read++;
	} else if (in->nfound > 0 && bsearch(&rec->start, in->found,
	    in->nfound, sizeof *in->found, cmp_ull) != NULL) {
		/* sent before a crash and in the topic: not again */
		in->rows_read++;
		nfound_total++;
	} else {
		rd_kafka_headers_t *hdrs = NULL;
		if (have_ckpt && in->path != NULL) {
			char pos[32];
			int pl = snprintf(pos, sizeof pos, "@%llu", rec->start);
			hdrs = rd_kafka_headers_new(1);
			tmp.len = 0;
			buf_puts(&tmp, in->path);
			buf_add(&tmp, pos, (size_t)pl);
			rd_kafka_header_add(hdrs, "csv", 3, tmp.p, (ssize_t)tmp.len);
		}
		seq = kprod_send(kp, in->topic, RD_KAFKA_PARTITION_UA,
		    key ? key->p : NULL, key ? key->n : 0, out.p, out.len,
		    hdrs, &err);
		if (seq == -2) {
			bad_row(in, rec->line, rec->raw, rec->rawlen,
			    "the producer refused the row (%zu bytes of JSON): %s",
			    out.len, rd_kafka_err2str(err));
		} else if (seq < 0) {
			int s = EX_SOFTWARE;
			kprod_error(kp, &s);
			stop(s);
			return;
		} else {
			in->rows_read++;
		}
	}
mark:
	nread++;
	if (kp || have_ckpt)
		push_mark(in, sent(), rec, 0, lines, rec->end);
}

/* ---- one input ---- */

/*
 * Wait while librdkafka's queue is full, or too many rows wait for an
 * earlier one's acknowledgement, serving reports and timers meanwhile.
 */
static void
backpressure(void)
{
	rd_kafka_t *rk = kprod_handle(kp);

	while (!stopping && kprod_error(kp, NULL) == NULL &&
	    (rd_kafka_outq_len(rk) >= qmax - 64 ||
	    kprod_sent(kp) - kprod_watermark(kp) >= 10ULL * (uint64_t)qmax)) {
		kprod_poll(kp, 20);
		tick();
	}
}

static int
spool(struct input *in, struct csvread *r)
{
	const char *dir = getenv("TMPDIR");
	char *tmpl;
	int fd, wfail;

	tmpl = xasprintf("%s/csv2kafka.XXXXXX", dir && *dir ? dir : "/tmp");
	if ((fd = mkstemp(tmpl)) < 0) {
		weprintf("%s:", tmpl);
		free(tmpl);
		return -1;
	}
	unlink(tmpl);
	if (csvr_spool(r, fd, &wfail) != 0) {
		if (wfail)
			weprintf("%s: spooling %s to infer the column types:",
			    tmpl, in->name);
		else
			weprintf("%s: read error:", in->name);
		close(fd);
		free(tmpl);
		return -1;
	}
	free(tmpl);
	if (in->fd != STDIN_FILENO)
		close(in->fd);
	in->fd = fd;
	return 0;
}

/* First pass: the type of every column not declared. */
static int
infer(struct input *in, struct csvread *r, struct cols *c)
{
	unsigned *mask = xcalloc(c->n, sizeof *mask);
	char *seen = xcalloc(c->n, 1);
	size_t left = 0, nrows = 0;
	struct csvrec rec;
	int rc;

	for (size_t i = 0; i < c->n; i++)
		if (c->type[i] == CT_AUTO) {
			mask[i] = CM_ALL;
			left++;
		}
	phase = "reading the column types";
	while (left > 0 && !got_stop) {
		rc = csvr_next(r, &rec);
		if (rc == CR_EOF)
			break;
		if (rc == CR_ERROR) {
			weprintf("%s: read error:", in->name);
			free(mask);
			free(seen);
			phase = NULL;
			return -1;
		}
		if (rc != CR_ROW || rec.nf != c->n ||
		    !utf8_valid(rec.raw, rec.rawlen))
			continue;
		for (size_t i = 0; i < c->n; i++) {
			const struct csvfield *f = &rec.f[i];
			if (mask[i] == 0 || f->p == NULL || f->n == 0)
				continue;
			seen[i] = 1;
			if ((mask[i] &= ctype_cell_mask(f->p, f->n)) == 0)
				left--;
		}
		if ((++nrows & 1023) == 0)
			tick();
	}
	for (size_t i = 0; i < c->n; i++)
		if (c->type[i] == CT_AUTO)
			c->type[i] = ctype_infer(mask[i], seen[i]);
	free(mask);
	free(seen);
	phase = NULL;
	return 0;
}

/*
 * The rows of in, at or after its checkpoint's offset, that the topic
 * holds: each row sent with a checkpoint carries a header "csv" with
 * "PATH@OFFSET" (the row's first byte), and the rows that can be there are
 * among the last nmax records of each partition. Fills in->found; -1 when
 * the topic cannot be read (then the rows are sent again).
 */
static int
read_back(struct input *in, unsigned long long nmax)
{
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	rd_kafka_topic_partition_list_t *l;
	const struct rd_kafka_metadata *md;
	rd_kafka_topic_t *rkt;
	char err[512];
	size_t plen = strlen(in->path), cap = 0, left = 0;
	long long deadline;
	int64_t *hi;
	int i, n, rc = -1;

	if (back_conf == NULL)
		return -1;
	conf = rd_kafka_conf_dup(back_conf);
	if (rd_kafka_conf_set(conf, "group.id", "csv2kafka-read-back", err,
	    sizeof err) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "enable.auto.commit", "false", err,
	    sizeof err) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err) !=
	    RD_KAFKA_CONF_OK ||
	    (rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err)) ==
	    NULL) {
		rd_kafka_conf_destroy(conf);
		weprintf("%s: reading %s back: %s", in->name, in->topic, err);
		return -1;
	}
	rkt = rd_kafka_topic_new(rk, in->topic, NULL);
	if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) != 0 ||
	    md->topics[0].err != 0) {
		if (md)
			rd_kafka_metadata_destroy(md);
		rd_kafka_topic_destroy(rkt);
		rd_kafka_destroy(rk);
		return -1;
	}
	n = md->topics[0].partition_cnt;
	l = rd_kafka_topic_partition_list_new(n);
	hi = xcalloc((size_t)n + 1, sizeof *hi);
	for (i = 0; i < n; i++) {
		int32_t p = md->topics[0].partitions[i].id;
		int64_t lo, h;
		if (rd_kafka_query_watermark_offsets(rk, in->topic, p, &lo, &h,
		    10000) != 0)
			goto out;
		if (h <= lo)
			continue;
		rd_kafka_topic_partition_list_add(l, in->topic, p)->offset =
		    h - lo > (int64_t)nmax ? h - (int64_t)nmax : lo;
		hi[l->cnt - 1] = h;
		left++;
	}
	if (left > 0 && rd_kafka_assign(rk, l) != 0)
		goto out;
	deadline = mono_ms() + 30000;
	while (left > 0 && mono_ms() < deadline) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 500);
		rd_kafka_headers_t *hdrs;
		const void *v;
		size_t vlen;
		if (m == NULL)
			continue;
		if (m->err == 0 &&
		    rd_kafka_message_headers(m, &hdrs) == 0 &&
		    rd_kafka_header_get_last(hdrs, "csv", &v, &vlen) == 0 &&
		    vlen > plen + 1 && memcmp(v, in->path, plen) == 0 &&
		    ((const char *)v)[plen] == '@') {
			char num[24];
			size_t k = vlen - plen - 1 < sizeof num - 1 ?
			    vlen - plen - 1 : sizeof num - 1;
			unsigned long long o;
			memcpy(num, (const char *)v + plen + 1, k);
			num[k] = '\0';
			o = strtoull(num, NULL, 10);
			if (o >= in->off) {
				if (in->nfound == cap) {
					cap = cap ? cap * 2 : 1024;
					in->found = xrealloc(in->found,
					    cap * sizeof *in->found);
				}
				in->found[in->nfound++] = o;
			}
		}
		if (m->err == 0 || m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			for (i = 0; i < l->cnt; i++)
				if (l->elems[i].partition == m->partition &&
				    hi[i] > 0 && (m->err ? m->offset >= hi[i] :
				    m->offset + 1 >= hi[i])) {
					hi[i] = 0;
					left--;
				}
		}
		rd_kafka_message_destroy(m);
	}
	if (left == 0) {
		if (in->nfound)
			qsort(in->found, in->nfound, sizeof *in->found, cmp_ull);
		rc = 0;
	} else
		in->nfound = 0;
out:
	free(hi);
	rd_kafka_topic_partition_list_destroy(l);
	rd_kafka_metadata_destroy(md);
	rd_kafka_topic_destroy(rkt);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return rc;
}

/* Where the checkpoint says to resume: 1 skip the file, 0 go on. */
static int
resume_point(struct input *in, unsigned long long hdr_end,
    unsigned long long hdr_lines, unsigned long long *off,
    unsigned long long *lines)
{
	json_t *pos;
	json_int_t o, l, sent_max;
	const char *sum;
	char hex[17];

	*off = hdr_end;
	*lines = hdr_lines;
	if (!have_ckpt || in->path == NULL ||
	    (pos = ckpt_get(&ck, in->stream)) == NULL)
		return 0;
	o = json_integer_value(json_object_get(pos, "offset"));
	l = json_integer_value(json_object_get(pos, "line"));
	sum = json_string_value(json_object_get(pos, "checksum"));
	if (o <= 0 || l < 0 || sum == NULL) {
		weprintf("%s: %s: no usable position for %s: reading it from "
		    "the start", ckpt_path, in->stream, in->name);
		return 0;
	}
	if ((unsigned long long)o > (unsigned long long)in->st.st_size) {
		weprintf("%s: replaced since the checkpoint (%lld bytes, the "
		    "checkpoint is at byte %lld): reading it from the start",
		    in->name, (long long)in->st.st_size, (long long)o);
		return 0;
	}
	if (fingerprint(in->fd, (unsigned long long)o, hex) != 0 ||
	    strcmp(hex, sum) != 0) {
		weprintf("%s: replaced since the checkpoint (its bytes before "
		    "offset %lld differ): reading it from the start",
		    in->name, (long long)o);
		return 0;
	}
	in->rows = in->rows0 = (unsigned long long)json_integer_value(
	    json_object_get(pos, "rows"));
	in->bad = in->bad0 = (unsigned long long)json_integer_value(
	    json_object_get(pos, "bad"));
	in->off = (unsigned long long)o;
	in->line = (unsigned long long)l;
	sent_max = json_integer_value(json_object_get(pos, "sent_max"));
	if ((unsigned long long)o >= hdr_end) {
		*off = (unsigned long long)o;
		*lines = (unsigned long long)l;
	}
	if (json_is_true(json_object_get(pos, "done")) &&
	    (unsigned long long)o == (unsigned long long)in->st.st_size) {
		if (progress) {
			progress_clear();
			weprintf("%s: done already (%s), skipped", in->name,
			    ckpt_path);
		}
		in->done = 1;
		return 1;
	}
	progress_clear();
	if (sent_max > (json_int_t)in->rows0 && !to_stdout &&
	    read_back(in, (unsigned long long)sent_max - in->rows0) == 0)
		weprintf("%s: resuming after line %llu (%llu rows acknowledged, "
		    "%s); %zu rows after those are in %s already, not sent "
		    "again", in->name, in->line, in->rows0, ckpt_path,
		    in->nfound, in->topic);
	else if (sent_max > (json_int_t)in->rows0)
		weprintf("%s: resuming after line %llu (%llu rows acknowledged, "
		    "%s); up to %llu rows after those were sent before the "
		    "stop: sent again, they may be in the topic twice", in->name,
		    in->line, in->rows0, ckpt_path,
		    (unsigned long long)sent_max - in->rows0);
	else
		weprintf("%s: resuming after line %llu (%llu rows acknowledged, "
		    "%s)", in->name, in->line, in->rows0, ckpt_path);
	return 0;
}

static void
process(struct input *in)
{
	struct csvread r;
	struct csvrec rec;
	struct cols c;
	unsigned long long off, lines;
	unsigned n = 0;
	int rc, need_infer = 0;

	if (in->fd < 0) {
		if ((in->fd = open(in->arg, O_RDONLY | O_CLOEXEC)) < 0) {
			weprintf("%s:", in->name);
			set_status(EX_NOINPUT);
			return;
		}
		if (fstat(in->fd, &in->st) != 0) {
			weprintf("%s:", in->name);
			close(in->fd);
			set_status(EX_NOINPUT);
			return;
		}
	}
	in->open = 1;
	in->t0 = mono_ms();
	cur = in;
	csvr_init(&r, in->fd, (size_t)max_record);
	memset(&c, 0, sizeof c);
	rc = csvr_next(&r, &rec);
	if (rc == CR_ERROR) {
		weprintf("%s: read error:", in->name);
		set_status(EX_IOERR);
		goto out;
	}
	if (rc == CR_EOF) {	/* an empty file: no header, no rows */
		in->read_all = 1;
		files_done++;
		goto out;
	}
	if (rc != CR_ROW) {
		weprintf("%s:%llu: header: %s", in->name, rec.line, rec.err);
		set_status(EX_DATAERR);
		goto out;
	}
	if (header(in, &rec, &c) != 0) {
		set_status(EX_DATAERR);
		goto out;
	}
	nbytes += rec.end;
	if (resume_point(in, rec.end, r.line, &off, &lines))
		goto out;
	if (in->off == 0) {	/* a position for a checkpoint before any ack */
		in->off = off;
		in->line = lines;
	}
	for (size_t i = 0; i < c.n; i++)
		if (c.type[i] == CT_AUTO)
			need_infer = 1;
	if (need_infer) {
		if (!S_ISREG(in->st.st_mode) && spool(in, &r) != 0) {
			set_status(EX_IOERR);
			goto out;
		}
		if (infer(in, &r, &c) != 0) {
			set_status(EX_IOERR);
			goto out;
		}
		if (got_stop)
			goto out;
		r.fd = in->fd;
		if (csvr_seek(&r, off, lines) != 0) {
			weprintf("%s: seek:", in->name);
			set_status(EX_IOERR);
			goto out;
		}
	} else if (off != rec.end && csvr_seek(&r, off, lines) != 0) {
		weprintf("%s: seek:", in->name);
		set_status(EX_IOERR);
		goto out;
	}
	while (!stopping) {
		unsigned long long before = csvr_offset(&r);
		rc = csvr_next(&r, &rec);
		nbytes += csvr_offset(&r) - before;
		if (rc == CR_ROW) {
			row(in, &c, &rec, r.line);
		} else if (rc == CR_MORE) {
			dl_write(rec.raw, rec.rawlen, 0);
			/* a position to resume from once the bad record ended */
			if (!r.skipping && (kp || have_ckpt))
				push_mark(in, sent(), NULL, 0, r.line,
				    csvr_offset(&r));
			continue;
		} else if (rc == CR_BAD) {
			bad_row(in, rec.line, rec.raw, rec.rawlen, "%s", rec.err);
			nread++;
			if (!r.skipping && (kp || have_ckpt))
				push_mark(in, sent(), &rec, 0, r.line, rec.end);
		} else if (rc == CR_EOF) {
			break;
		} else {
			weprintf("%s: read error:", in->name);
			stop(EX_IOERR);
			goto out;
		}
		if ((++n & 63) == 0) {
			if (kp)
				backpressure();
			tick();
		}
	}
	if (stopping)
		goto out;
	in->read_all = 1;
	if (kp || have_ckpt)
		push_mark(in, sent(), NULL, 1, r.line, csvr_offset(&r));
	else
		files_done++;
out:
	if (progress && !stopping) {
		show_progress();
		fputc('\n', stderr);
		progress_shown = 0;
	}
	cur = NULL;
	csvr_free(&r);
	cols_free(&c);
	if (!in->marked)
		close_input(in);
}

/* ---- setup ---- */

static void
load_schema(const char *path)
{
	FILE *fp;
	char *line = NULL, *s, *e, *eq;
	size_t cap = 0;
	unsigned lineno = 0;
	int t;

	if ((fp = fopen(path, "r")) == NULL)
		die(EX_NOINPUT, "%s:", path);
	while (getline(&line, &cap, fp) != -1) {
		lineno++;
		for (s = line; *s == ' ' || *s == '\t'; s++)
			;
		e = s + strlen(s);
		while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' ||
		    e[-1] == '\t'))
			*--e = '\0';
		if (*s == '\0' || *s == '#')
			continue;
		if ((eq = strchr(s, '=')) == NULL || eq == s)
			die(EX_CONFIG, "%s:%u: expected column=type", path, lineno);
		for (e = eq; e > s && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		*e = '\0';
		for (eq++; *eq == ' ' || *eq == '\t'; eq++)
			;
		if ((t = ctype_parse(eq)) < 0)
			die(EX_CONFIG, "%s:%u: unknown type \"%s\" (string, "
			    "integer, decimal, float, boolean, timestamp, auto)",
			    path, lineno, eq);
		for (size_t i = 0; i < schema_n; i++)
			if (strcmp(schema_name[i], s) == 0)
				die(EX_CONFIG, "%s:%u: column \"%s\" given twice",
				    path, lineno, s);
		schema_name = xrealloc(schema_name, (schema_n + 1) *
		    sizeof *schema_name);
		schema_type = xrealloc(schema_type, (schema_n + 1) *
		    sizeof *schema_type);
		schema_name[schema_n] = xstrdup(s);
		schema_type[schema_n++] = (enum ctype)t;
	}
	if (ferror(fp))
		die(EX_IOERR, "%s:", path);
	free(line);
	fclose(fp);
}

static char *
topic_of(const char *arg)
{
	const char *b = strrchr(arg, '/');
	size_t n;

	b = b ? b + 1 : arg;
	n = strlen(b);
	if (n > 4 && strcmp(b + n - 4, ".csv") == 0)
		n -= 4;
	return xstrndup(b, n);
}

/*
 * Open every input before reading any, and check the headers of regular
 * files: a missing file or a bad header stops the run before a row is sent.
 */
static void
open_inputs(char **args, size_t n)
{
	int st = 0, nstdin = 0;

	inputs = xcalloc(n, sizeof *inputs);
	ninputs = n;
	for (size_t i = 0; i < n; i++) {
		struct input *in = &inputs[i];
		in->arg = args[i];
		in->fd = -1;
		if (strcmp(args[i], "-") == 0) {
			in->name = "<stdin>";
			in->fd = STDIN_FILENO;
			if (nstdin++)
				die(EX_USAGE, "standard input (-) given twice");
			if (fstat(in->fd, &in->st) != 0)
				die(EX_NOINPUT, "<stdin>:");
		} else {
			in->name = args[i];
		}
		if (!to_stdout || meta)
			in->topic = topic_opt ? xstrdup(topic_opt) :
			    in->fd == STDIN_FILENO ? xstrdup("") : topic_of(args[i]);
		if (in->topic && in->topic[0] == '\0') {
			weprintf("%s: no topic: give one with -t", in->name);
			st = st ? st : EX_USAGE;
			continue;
		}
		if (in->topic && !valid_topic(in->topic)) {
			weprintf("%s: \"%s\" is not a valid topic name: give one "
			    "with -t", in->name, in->topic);
			st = st ? st : EX_USAGE;
			continue;
		}
		if (in->fd == STDIN_FILENO)
			continue;
		if ((in->fd = open(args[i], O_RDONLY | O_CLOEXEC)) < 0 ||
		    fstat(in->fd, &in->st) != 0) {
			weprintf("%s:", in->name);
			st = st ? st : EX_NOINPUT;
			continue;
		}
		if (S_ISDIR(in->st.st_mode)) {
			weprintf("%s: is a directory", in->name);
			st = st ? st : EX_NOINPUT;
			close(in->fd);
			in->fd = -1;
			continue;
		}
		if (S_ISREG(in->st.st_mode)) {
			struct csvread r;
			struct csvrec rec;
			struct cols c;
			int rc;
			char *abs = realpath(args[i], NULL);

			if (abs == NULL) {
				weprintf("%s:", in->name);
				st = st ? st : EX_NOINPUT;
				continue;
			}
			in->path = abs;
			in->stream = xasprintf("csv:%s", abs);
			csvr_init(&r, in->fd, (size_t)max_record);
			rc = csvr_next(&r, &rec);
			if (rc == CR_ERROR) {
				weprintf("%s: read error:", in->name);
				st = st ? st : EX_IOERR;
			} else if (rc == CR_BAD) {
				weprintf("%s:%llu: header: %s", in->name, rec.line,
				    rec.err);
				st = st ? st : EX_DATAERR;
			} else if (rc == CR_ROW) {
				if (header(in, &rec, &c) != 0)
					st = st ? st : EX_DATAERR;
				cols_free(&c);
			}
			csvr_free(&r);
			if (lseek(in->fd, 0, SEEK_SET) != 0) {
				weprintf("%s: seek:", in->name);
				st = st ? st : EX_IOERR;
			}
			/* opened again when its turn comes: few fds at a time */
			close(in->fd);
			in->fd = -1;
		} else if (have_ckpt) {
			weprintf("%s: not a regular file: not in the checkpoint",
			    in->name);
		}
	}
	if (st)
		exit(st);
}

static int
conf_is_set(rd_kafka_conf_t *conf, const char *name)
{
	char v[512];
	size_t n = sizeof v;

	return rd_kafka_conf_get(conf, name, v, &n) == RD_KAFKA_CONF_OK &&
	    v[0] != '\0';
}

static long long
conf_number(rd_kafka_conf_t *conf, const char *name, long long def)
{
	char v[64];
	size_t n = sizeof v;

	if (rd_kafka_conf_get(conf, name, v, &n) != RD_KAFKA_CONF_OK)
		return def;
	return strtoll(v, NULL, 10);
}

/* After the last row: wait for the acknowledgements. 0 when all came. */
static int
drain(void)
{
	long long deadline = -1, t;
	rd_kafka_t *rk;

	if (kp == NULL)
		return 0;
	rk = kprod_handle(kp);
	phase = NULL;
	for (;;) {
		if (kprod_watermark(kp) == kprod_sent(kp))
			return 0;
		t = mono_ms();
		if (kprod_error(kp, NULL) != NULL) {
			if (rd_kafka_outq_len(rk) == 0)
				return -1;
			if (deadline < 0)
				deadline = t + msg_timeout + 5000;
		}
		if (got_stop && deadline < 0)
			deadline = t + DRAIN_MS;
		if (got_stop >= 2 || (deadline >= 0 && t >= deadline))
			return -1;
		kprod_poll(kp, 100);
		tick();
	}
}

int
main(int argc, char *argv[])
{
	rd_kafka_conf_t *conf = NULL;
	struct sigaction sa;
	char err[512];
	const char *kerr;
	int ch, ks = 0, kafka_opts = 0;
	long long v;
	uint64_t unacked;

	setprogname(argv[0]);
	t_start = mono_ms();
	conf = kprod_conf_new();
	while ((ch = getopt_long(argc, argv, "b:F:hk:ms:t:X:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'b':
			kafka_opts = 1;
			if (kconf_set(conf, "bootstrap.servers", optarg) != 0)
				exit(EX_CONFIG);
			break;
		case 'F':
			kafka_opts = 1;
			if (kconf_load_file(conf, optarg) != 0)
				exit(EX_CONFIG);
			break;
		case 'h':
			usage_to(stdout);
			exit(fshut(stdout, "standard output"));
		case 'k':
			key_opt = optarg;
			break;
		case 'm':
			meta = 1;
			break;
		case 's':
			load_schema(optarg);
			break;
		case 't':
			topic_opt = optarg;
			break;
		case 'X':
			kafka_opts = 1;
			if (kconf_set_pair(conf, optarg) != 0)
				exit(EX_CONFIG);
			break;
		case OPT_CHECKPOINT:
			ckpt_path = optarg;
			break;
		case OPT_CKPT_INTERVAL:
			if ((ckpt_ms = parse_duration_ms(optarg)) <= 0)
				die(EX_USAGE, "--checkpoint-interval %s: expected "
				    "a duration such as 1000, 500ms or 2s", optarg);
			break;
		case OPT_DEAD_LETTER:
			dl_path = optarg;
			break;
		case OPT_MAX_ERRORS:
			if ((max_errors = parse_count(optarg)) < 0)
				die(EX_USAGE, "--max-errors %s: expected a number",
				    optarg);
			break;
		case OPT_MAX_RECORD:
			if ((v = parse_size(optarg)) <= 0 || v > (1LL << 40))
				die(EX_USAGE, "--max-record-bytes %s: expected a "
				    "size such as 65536, 64k or 16M", optarg);
			max_record = v;
			break;
		case OPT_NO_CONTRACT:
			no_contract = 1;
			break;
		case OPT_NO_INFER:
			no_infer = 1;
			break;
		case OPT_STATS:
			if ((stats_ms = parse_duration_ms(optarg)) <= 0)
				die(EX_USAGE, "--stats %s: expected an interval "
				    "such as 1000, 500ms or 10s", optarg);
			break;
		case OPT_STATS_FILE:
			stats_path = optarg;
			break;
		case OPT_STDOUT:
			to_stdout = 1;
			break;
		case OPT_VERSION:
			printf("csv2kafka %s\n", TP_VERSION);
			exit(fshut(stdout, "standard output"));
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;

	if (to_stdout && kafka_opts) {
		weprintf("--stdout writes no Kafka topic: -b, -F and -X do not "
		    "go with it");
		usage();
	}
	if (meta && !to_stdout) {
		weprintf("-m goes with --stdout (Kafka has the topic)");
		usage();
	}
	if (!to_stdout && !conf_is_set(conf, "bootstrap.servers") &&
	    !conf_is_set(conf, "metadata.broker.list")) {
		weprintf("no brokers: give -b, or bootstrap.servers with -X or "
		    "-F (or --stdout)");
		usage();
	}
	have_ckpt = ckpt_path != NULL;
	if (argc == 0) {
		static char *dash[] = { "-" };
		open_inputs(dash, 1);
	} else {
		open_inputs(argv, (size_t)argc);
	}

	if (have_ckpt && ckpt_open(&ck, ckpt_path, progname, err,
	    sizeof err) != 0)
		die(EX_CONFIG, "%s", err);
	if (dl_path && (dl = fopen(dl_path, "a")) == NULL)
		die(EX_CANTCREAT, "%s:", dl_path);
	if (!to_stdout) {
		qmax = (int)conf_number(conf, "queue.buffering.max.messages",
		    100000);
		if (qmax < 1024)
			qmax = 1024;
		msg_timeout = conf_number(conf, "message.timeout.ms", 300000);
		if (ckpt_path)
			back_conf = rd_kafka_conf_dup(conf);
		if ((kp = kprod_new(conf, on_fail, NULL, err, sizeof err)) ==
		    NULL)
			die(EX_CONFIG, "%s", err);
	} else {
		rd_kafka_conf_destroy(conf);
		if (!isatty(STDOUT_FILENO))
			setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	}
	conf = NULL;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	progress = isatty(STDERR_FILENO);
	buf_init(&out);

	for (size_t i = 0; i < ninputs && !stopping; i++)
		process(&inputs[i]);

	if (drain() != 0) {
		if (kprod_error(kp, &ks) != NULL) {
			set_status(ks);
		} else {
			set_status(EX_TEMPFAIL);
		}
	}
	if (to_stdout)
		set_status(fshut(stdout, "standard output"));
	/* nothing more will be sent: the rows sent are known exactly */
	for (size_t i = 0; i < ninputs; i++) {
		struct input *in = &inputs[i];
		if (in->sent_max > in->rows0 + in->rows_read) {
			in->sent_max = in->rows0 + in->rows_read;
			in->dirty = 1;
		}
	}
	checkpoint();
	progress_clear();
	if (kp && (kerr = kprod_error(kp, &ks)) != NULL) {
		weprintf("%s", kerr);
	}
	if (kp && (unacked = kprod_sent(kp) - kprod_watermark(kp)) > 0) {
		if (mk_len > 0) {
			/* checkpoint() took the marks the watermark passed */
			struct mark *m = &marks[mk_head];
			weprintf("%llu rows not acknowledged, the first at %s:%llu%s%s",
			    (unsigned long long)unacked, inputs[m->in].name,
			    m->line, have_ckpt ? "; the checkpoint resumes there: " : "",
			    have_ckpt ? ckpt_path : "");
		} else {
			weprintf("%llu rows not acknowledged",
			    (unsigned long long)unacked);
		}
		rd_kafka_purge(kprod_handle(kp), RD_KAFKA_PURGE_F_QUEUE |
		    RD_KAFKA_PURGE_F_INFLIGHT);
	}
	if (got_stop && status == 0 && progress)
		weprintf("interrupted: stopped after the rows acknowledged");
	if (stats_ms > 0)
		print_stats();
	if (stats_path)
		write_prom();
	if (progress && status == 0) {
		double secs = (double)(mono_ms() - t_start) / 1000.0;
		unsigned long long rows = kp ? kprod_acked(kp) : written;
		weprintf("%llu rows from %llu file%s in %.1f s (%.0f rows/s)%s",
		    rows, files_done, files_done == 1 ? "" : "s", secs,
		    secs > 0 ? (double)rows / secs : 0.0,
		    nbad ? ", some rows rejected" : "");
	}
	if (dl && (fflush(dl) == EOF || fclose(dl) != 0)) {
		weprintf("%s: write error:", dl_path);
		set_status(EX_IOERR);
	}
	if (kp)
		kprod_destroy(kp);
	if (have_ckpt)
		ckpt_close(&ck);
	return status;
}
