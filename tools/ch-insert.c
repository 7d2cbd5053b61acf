/*
 * ch-insert: JSON lines into a ClickHouse table over HTTP, in batches,
 * converted to the table's column types, with an exactly-once effect on
 * restart from the records' source positions (see ch-insert(1)).
 */
#include "buf.h"
#include "chconv.h"
#include "chhttp.h"
#include "ckpt.h"
#include "jvalid.h"
#include "lineio.h"
#include "stats.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define KEYMAX 160

enum kind { K_KAFKA, K_MYSQL, K_PG, K_CSV, K_NKINDS };

/* How a stream kind's position is stored in a table. */
static const struct poscols {
	const char *prefix;
	const char *key[4];	/* columns of the position */
	const char *filter[2];	/* columns naming the stream */
} poscols[K_NKINDS] = {
	{ "kafka:", { "_kafka_offset" }, { "_kafka_topic", "_kafka_partition" } },
	{ "mysql:", { "source_file", "source_pos", "source_row", "source_snapshot" },
	    { "source_name" } },
	{ "postgresql:", { "source_sequence", "source_lsn", "source_row" },
	    { "source_name", "source_db" } },
	{ "csv:", { "_csv_offset" }, { "_csv_file" } },
};

struct stream {
	char *name;
	enum kind kind;
	char *fval[2];		/* values of the filter columns */
	char ckey[KEYMAX];	/* checkpointed position */
	int has_ckpt;
	char last[KEYMAX];	/* highest position taken in this run */
	int has_last;
	json_t *pending;	/* position to checkpoint after the batch */
	char pkey[KEYMAX];
	char **stored;		/* sorted positions above ckey found in the table */
	size_t nstored;
	int synced;
};

struct row {
	size_t off, len;	/* in batch.rows */
	size_t raw, rawlen;	/* in batch.raw */
	int stream;		/* -1 when the record has no position */
	size_t key;		/* in batch.keys */
	const char *file;
	unsigned long long line;
	int grp;		/* TabSeparated: its column set in batch.sigs */
};

/* TabSeparated: the column sets of a batch's rows, an INSERT each */
#define MAXGROUPS 16

/* A stream's position to checkpoint once its batch is stored. */
struct pend {
	int stream;
	json_t *pos;
	char key[KEYMAX];
};

/*
 * Two batches: one filled while the other's first INSERT is sent by a
 * thread (the server parses and stores it meanwhile). Everything else of
 * a batch (position queries, retries, dead letters, the checkpoint) is
 * done by the main thread once that INSERT returned.
 */
struct batchbuf {
	struct buf rows, raw, keys, body, gz;
	struct buf sigs[MAXGROUPS];	/* TabSeparated: the rows' column sets */
	int ngroups, grp;	/* how many; the one being sent or added */
	struct row *r;
	size_t n, cap;
	long long started;	/* mono ms of the first row, 0 when empty */
	int dirty;		/* positions to checkpoint */
	struct pend *pend;	/* taken when the batch was closed */
	int npend, pendcap;
	/* the INSERT the thread sends: rows [0, th_hi) */
	struct buf sql;
	pthread_t th;
	int sending, th_done, th_rc;
	const void *th_body;
	size_t th_len, th_n, th_hi;
	long long th_ms;
};
static struct batchbuf batches[2], *bp = &batches[0], *inflight;
#define batch (*bp)

static struct stream *streams;
static int nstreams, lastidx = -1;
static int haspos[K_NKINDS];	/* the table stores this kind's positions */

static struct chhttp ch;
static struct chconv cv;
static struct ckpt ck;
static int use_ckpt;
static char *table, *qtable, *insert_sql;
static FILE *deadf;
static const char *deadpath;
static long long batch_rows = 100000, batch_bytes = 64LL << 20, batch_ms = 1000;
static long long retry_ms = 300000, max_errors = -1;
static int gzip_level = -1, raw_mode;	/* -1: by the server's address */
/* the format of request bodies: FMT_AUTO is TabSeparated when the table's
 * types allow it, else JSONEachRow */
enum { FMT_AUTO, FMT_TSV, FMT_JSON };
static int format = FMT_AUTO, use_tsv;
static struct buf conv, tsvrow, tsvsig;	/* a row converted; as TabSeparated */
static long long stats_ms;

static volatile sig_atomic_t stop, want_stats;

enum {
	S_IN, S_OUT, S_REJECTED, S_SKIPPED, S_BATCHES, S_BARRIERS, S_RETRIES,
	S_INSERT_MS, S_INSERT_MS_TOTAL, S_BYTES, S_FRAGMENTS, S_N
};
static struct metric st[S_N] = {
	{ "rows_in", "records read", STAT_COUNTER, 0 },
	{ "rows_out", "rows inserted", STAT_COUNTER, 0 },
	{ "rows_rejected", "records rejected (dead letters)", STAT_COUNTER, 0 },
	{ "rows_skipped", "records already stored (at or below a position)", STAT_COUNTER, 0 },
	{ "batches", "inserts that succeeded", STAT_COUNTER, 0 },
	{ "barriers", "barrier records passed", STAT_COUNTER, 0 },
	{ "retries", "inserts and queries retried", STAT_COUNTER, 0 },
	{ "insert_ms", "latency of the last insert", STAT_GAUGE, 0 },
	{ "insert_ms_total", "time spent in inserts", STAT_COUNTER, 0 },
	{ "bytes_sent", "bytes of request bodies sent", STAT_COUNTER, 0 },
	{ "fragments", "last lines of a pipe cut short by its writer", STAT_COUNTER, 0 },
};
static const char *stats_file;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: ch-insert [-hkr] [-b rows] [-B bytes] [-c checkpoint] [-C config]\n"
	    "                 [-d dead-letter] [-e max-errors] [-f format] [-m column=path]\n"
	    "                 [-R retry-time] [-s interval] [-T batch-ms] [-u url]\n"
	    "                 [-z level] [--cacert file] [--max-line size]\n"
	    "                 [--stats-file file] [--timeout duration] -t db.table\n"
	    "                 [file ...]\n");
	exit(EX_USAGE);
}

static void
help(void)
{
	printf("usage: ch-insert [options] -t db.table [file ...]\n"
	    "JSON lines into a ClickHouse table (HTTP).\n"
	    "  -b, --batch-rows N      rows per insert (100000)\n"
	    "  -B, --batch-bytes SIZE  bytes of rows per insert (64M)\n"
	    "  -c, --checkpoint FILE   positions made durable; exactly-once on restart\n"
	    "  -C, --config FILE       url, user, password (key = value lines)\n"
	    "  -d, --dead-letter FILE  rejected records with their reasons\n"
	    "  -e, --max-errors N      exit 65 after more than N rejected records\n"
	    "  -f, --format FORMAT     tsv (TabSeparated) or json (JSONEachRow) bodies\n"
	    "                          (tsv when the column types allow it)\n"
	    "  -h, --help              this help\n"
	    "  -k, --insecure          do not verify the server's TLS certificate\n"
	    "  -m, --map COLUMN=PATH   fill COLUMN from the dotted PATH of a record\n"
	    "  -r, --raw               send records as they are, without conversion\n"
	    "  -R, --retry-time DUR    give up retrying after DUR, exit 75 (5m)\n"
	    "  -s, --stats-interval DUR  statistics on stderr every DUR\n"
	    "  -t, --table DB.TABLE    the table (required)\n"
	    "  -T, --batch-ms DUR      longest wait before a batch is sent (1s)\n"
	    "  -u, --url URL           http(s)://host:port (http://localhost:8123)\n"
	    "  -z, --gzip-level N      gzip level of request bodies, 0 off\n"
	    "                          (0 for a loopback server, else 1)\n"
	    "      --cacert FILE       CA certificates for https\n"
	    "      --max-line SIZE     longest record accepted (16M)\n"
	    "      --stats-file FILE   statistics as a Prometheus text file\n"
	    "      --timeout DUR       longest time for one request (5m)\n"
	    "      --version           print the version\n"
	    "User and password: CLICKHOUSE_USER, CLICKHOUSE_PASSWORD, or -C FILE.\n");
	exit(fshut(stdout, "standard output"));
}

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		want_stats = 1;
	else
		stop = 1;
}

static void
print_stats(void)
{
	stats_print("ch-insert", st, S_N);
	if (stats_file && stats_write_prom(stats_file, "ch-insert", st, S_N) != 0)
		weprintf("%s:", stats_file);
}

static void
sleep_ms(long long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---- positions ---- */

/*
 * A position as a key that sorts as text in stream order: fixed-width
 * decimal fields.
 *   Kafka, CSV: offset (or line).
 *   MySQL: binlog file number (the name's numeric suffix), pos (the
 *     transaction's first event), 0 for a snapshot record and 1 for a
 *     change, row (the ordinal in the transaction or the snapshot).
 *   PostgreSQL: commit LSN of the transaction, LSN of the change, row (the
 *     ordinal in the transaction or the snapshot), from source.sequence
 *     ["COMMIT","LSN"]; a snapshot record ([null,"POINT"]) is (POINT, 0,
 *     row), before every change that commits after its consistent point.
 *     Without a sequence: (lsn, lsn, row).
 */

static unsigned long long
file_number(const char *f)
{
	const char *e = f + strlen(f), *p = e;

	while (p > f && p[-1] >= '0' && p[-1] <= '9')
		p--;
	return p < e ? strtoull(p, NULL, 10) : 0;
}

static int
is_snapshot(const char *snap)
{
	return snap && (strcmp(snap, "true") == 0 || strcmp(snap, "last") == 0);
}

static unsigned long long
lsn_value(json_t *v)
{
	unsigned long long hi, lo;

	if (json_is_string(v)) {
		if (sscanf(json_string_value(v), "%llx/%llx", &hi, &lo) == 2)
			return (hi << 32) | lo;
		return strtoull(json_string_value(v), NULL, 10);
	}
	return json_is_integer(v) ? (unsigned long long)json_integer_value(v) : 0;
}

/* Parse '["C","L"]' or '[null,"L"]' (numbers accepted too); 0 on success. */
static int
parse_sequence(const char *seq, unsigned long long *commit,
    unsigned long long *lsn, int *snap)
{
	const char *p = seq;

	if (seq == NULL || *seq == '\0')
		return -1;
	p += strspn(p, " [");
	if (strncmp(p, "null", 4) == 0) {
		*snap = 1;
		p += 4;
	} else {
		*snap = 0;
		p += strspn(p, " \"");
		if (*p < '0' || *p > '9')
			return -1;
		*commit = strtoull(p, (char **)&p, 10);
		p += strspn(p, "\"");
	}
	p += strspn(p, " ,\"");
	if (*p < '0' || *p > '9')
		return -1;
	*lsn = strtoull(p, NULL, 10);
	if (*snap) {
		*commit = *lsn;
		*lsn = 0;
	}
	return 0;
}

static void
pg_key(const char *seq, unsigned long long lsn, unsigned long long row,
    char out[KEYMAX])
{
	unsigned long long c, l;
	int snap;

	if (parse_sequence(seq, &c, &l, &snap) != 0) {
		c = lsn;
		l = lsn;
	}
	snprintf(out, KEYMAX, "%020llu.%020llu.%020llu", c, l, row);
}

static void
mysql_key(const char *file, unsigned long long pos, unsigned long long row,
    int snap, char out[KEYMAX])
{
	snprintf(out, KEYMAX, "%020llu.%020llu.%d.%020llu",
	    file_number(file ? file : ""), pos, snap ? 0 : 1, row);
}

static void
key_of(enum kind k, json_t *pos, char out[KEYMAX])
{
	json_t *v;

	out[0] = '\0';
	switch (k) {
	case K_KAFKA:
		snprintf(out, KEYMAX, "%020lld",
		    (long long)json_integer_value(json_object_get(pos, "offset")));
		break;
	case K_MYSQL:
		mysql_key(json_string_value(json_object_get(pos, "file")),
		    (unsigned long long)json_integer_value(json_object_get(pos, "pos")),
		    (unsigned long long)json_integer_value(json_object_get(pos, "row")),
		    is_snapshot(json_string_value(json_object_get(pos, "snapshot"))),
		    out);
		break;
	case K_PG:
		pg_key(json_string_value(json_object_get(pos, "sequence")),
		    lsn_value(json_object_get(pos, "lsn")),
		    (unsigned long long)json_integer_value(json_object_get(pos, "row")),
		    out);
		break;
	default:
		v = json_object_get(pos, "offset");
		if (!json_is_integer(v))
			v = json_object_get(pos, "line");
		snprintf(out, KEYMAX, "%020lld", (long long)json_integer_value(v));
		break;
	}
}

/* The same key from the columns of a TabSeparated result line. */
static void
key_of_fields(enum kind k, char **f, char out[KEYMAX])
{
	switch (k) {
	case K_MYSQL:
		mysql_key(f[0], strtoull(f[1] ? f[1] : "0", NULL, 10),
		    strtoull(f[2] ? f[2] : "0", NULL, 10), is_snapshot(f[3]), out);
		break;
	case K_PG:
		pg_key(f[0], strtoull(f[1] ? f[1] : "0", NULL, 10),
		    strtoull(f[2] ? f[2] : "0", NULL, 10), out);
		break;
	default:
		snprintf(out, KEYMAX, "%020lld", atoll(f[0]));
		break;
	}
}

/* A PostgreSQL record's position: what ckpt_position_of takes, with the
 * sequence and row of its source. */
static void
pg_position(json_t *rec, json_t *pos)
{
	json_t *src = json_object_get(rec, "source"), *v;

	if ((v = json_object_get(src, "sequence")) != NULL && json_is_string(v))
		json_object_set(pos, "sequence", v);
	if ((v = json_object_get(src, "row")) != NULL && json_is_integer(v))
		json_object_set(pos, "row", v);
}

static int
stream_find(const char *name)
{
	if (lastidx >= 0 && strcmp(streams[lastidx].name, name) == 0)
		return lastidx;
	for (int i = 0; i < nstreams; i++)
		if (strcmp(streams[i].name, name) == 0)
			return lastidx = i;
	return -1;
}

static int
stream_add(const char *name)
{
	struct stream *s;
	const char *rest, *c;
	int k;

	for (k = 0; k < K_NKINDS; k++)
		if (strncmp(name, poscols[k].prefix, strlen(poscols[k].prefix)) == 0)
			break;
	if (k == K_NKINDS)
		return -1;
	streams = xrealloc(streams, (nstreams + 1) * sizeof *streams);
	s = &streams[nstreams];
	memset(s, 0, sizeof *s);
	s->name = xstrdup(name);
	s->kind = k;
	rest = name + strlen(poscols[k].prefix);
	if (poscols[k].filter[1] && (c = strrchr(rest, ':')) != NULL) {
		s->fval[0] = xstrndup(rest, c - rest);
		s->fval[1] = xstrdup(c + 1);
	} else {
		s->fval[0] = xstrdup(rest);
	}
	s->synced = !haspos[k];
	return lastidx = nstreams++;
}

static int
keycmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
is_stored(struct stream *s, const char *key)
{
	const char *k = key;

	return s->nstored &&
	    bsearch(&k, s->stored, s->nstored, sizeof(char *), keycmp) != NULL;
}

static void
stored_clear(struct stream *s, int above_ckpt_only)
{
	size_t i, j = 0;

	for (i = 0; i < s->nstored; i++) {
		if (above_ckpt_only && s->has_ckpt &&
		    strcmp(s->stored[i], s->ckey) > 0)
			s->stored[j++] = s->stored[i];
		else
			free(s->stored[i]);
	}
	s->nstored = above_ckpt_only ? j : 0;
	if (s->nstored == 0) {
		free(s->stored);
		s->stored = NULL;
	}
}

static void die_fatal(const char *what) __attribute__((noreturn));
static void tsv_unescape(char *s);

static void
die_fatal(const char *what)
{
	const char *why = ch.message;

	if (ch.code == 60)
		why = "no such table";
	else if (ch.code == 81)
		why = "no such database";
	die(EX_CONFIG, "%s %s: %s (HTTP %ld)", what, table, why, ch.status);
}

/*
 * Wait before retry number n (from 1), or exit 75 (or status) when the
 * retry time, counted from first_ms, has passed or a stop was asked.
 */
static void
backoff(int n, long long first_ms, int status, const char *what)
{
	long long wait = 100LL << (n < 6 ? n - 1 : 6);

	st[S_RETRIES].value++;
	if (wait > 5000)
		wait = 5000;
	if (mono_ms() - first_ms + wait > retry_ms)
		die(status, "%s %s: %s; gave up after %lld ms", what, table,
		    ch.message, mono_ms() - first_ms);
	if (stop)
		die(status, "%s %s: %s; stopped while retrying", what, table,
		    ch.message);
	if (n == 1 || n % 10 == 0)
		weprintf("%s %s: %s; retrying", what, table, ch.message);
	sleep_ms(wait);
}

/* A query retried on temporary failures; fatal ones end the program. */
static void
query_retry(const char *sql, const char *what, int status)
{
	long long first = mono_ms();
	int r;

	for (int n = 1;; n++) {
		r = chh_query(&ch, sql);
		if (r == CHH_OK)
			return;
		if (r == CHH_RETRY)
			backoff(n, first, status, what);
		else
			die_fatal(what);
	}
}

/*
 * Before the first look at the table's positions: an insert of a process
 * that died (kill -9) may still be running on the server, and would store
 * its rows after the look. Wait, up to the retry time, until no insert
 * into the table that began before this process is running. A user who
 * may not read system.processes skips this.
 */
static long long start_ms;

static void
wait_earlier_inserts(void)
{
	static int done;
	struct buf q;
	long long first = mono_ms();

	if (done)
		return;
	done = 1;
	buf_init(&q);
	for (;;) {
		double age = (mono_ms() - start_ms) / 1000.0;
		buf_reset(&q);
		buf_puts(&q, "SELECT count() FROM system.processes WHERE query LIKE ");
		{
			/* either format, any column list */
			char *pat = xasprintf("INSERT INTO %s %%", qtable);
			chh_quote(&q, pat);
			free(pat);
		}
		buf_printf(&q, " AND elapsed >= %.3f FORMAT TabSeparated", age);
		if (chh_query(&ch, buf_cstr(&q)) != CHH_OK)
			break;
		buf_cstr(&ch.resp);
		if (atoll(ch.resp.p) == 0 || mono_ms() - first > retry_ms || stop)
			break;
		sleep_ms(100);
	}
	buf_free(&q);
}

/* Find the positions of stream s stored above its checkpoint. */
static void
stream_sync(struct stream *s)
{
	const struct poscols *pc = &poscols[s->kind];
	struct buf q;
	char *line, *next, *f[4];
	char key[KEYMAX];
	size_t cap = 0;

	if (s->synced)
		return;
	wait_earlier_inserts();
	buf_init(&q);
	buf_puts(&q, "SELECT ");
	for (int i = 0; i < 4 && pc->key[i]; i++)
		buf_printf(&q, "%s%s", i ? ", " : "", pc->key[i]);
	buf_printf(&q, " FROM %s WHERE 1", qtable);
	for (int i = 0; i < 2 && pc->filter[i]; i++) {
		buf_printf(&q, " AND toString(%s) = ", pc->filter[i]);
		chh_quote(&q, s->fval[i] ? s->fval[i] : "");
	}
	if (s->has_ckpt && s->kind == K_MYSQL) {
		/* from the checkpoint's binlog file on */
		buf_printf(&q, " AND toUInt64OrZero(extract(source_file, "
		    "'([0-9]+)$')) >= %llu", strtoull(s->ckey, NULL, 10));
	} else if (s->has_ckpt && s->kind == K_PG) {
		/* from the checkpoint's transaction on (commit LSN) */
		buf_printf(&q, " AND if(empty(source_sequence), source_lsn, "
		    "toUInt64OrZero(extract(source_sequence, '([0-9]+)'))) >= %llu",
		    strtoull(s->ckey, NULL, 10));
	} else if (s->has_ckpt) {
		buf_printf(&q, " AND %s > %s", pc->key[0], s->ckey);
	}
	buf_puts(&q, " FORMAT TabSeparated");
	query_retry(buf_cstr(&q), "table", EX_TEMPFAIL);
	buf_free(&q);
	stored_clear(s, 0);
	buf_cstr(&ch.resp);
	for (line = ch.resp.p; line && *line; line = next) {
		int nf = 0;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		f[0] = f[1] = f[2] = f[3] = NULL;
		for (char *p = line; p && nf < 4; nf++) {
			f[nf] = p;
			if ((p = strchr(p, '\t')) != NULL)
				*p++ = '\0';
		}
		if (f[0])
			tsv_unescape(f[0]);
		key_of_fields(s->kind, f, key);
		if (s->has_ckpt && strcmp(key, s->ckey) <= 0)
			continue;
		if (s->nstored == cap) {
			cap = cap ? cap * 2 : 64;
			s->stored = xrealloc(s->stored, cap * sizeof(char *));
		}
		s->stored[s->nstored++] = xstrdup(key);
	}
	if (s->nstored)
		qsort(s->stored, s->nstored, sizeof(char *), keycmp);
	s->synced = 1;
}

/* ---- dead letters ---- */

static void
dead_letter(const char *file, unsigned long long line, const char *raw,
    size_t len, const char *why)
{
	struct buf b;
	char when[32];

	st[S_REJECTED].value++;
	weprintf("%s:%llu: %s", file, line, why);
	if (deadf == NULL)
		return;
	buf_init(&b);
	iso8601_ms(now_ms(), when);
	buf_printf(&b, "{\"ts\":\"%s\",\"table\":", when);
	buf_json_str(&b, table, strlen(table));
	buf_puts(&b, ",\"file\":");
	buf_json_str(&b, file, strlen(file));
	buf_printf(&b, ",\"line\":%llu,\"reason\":", line);
	buf_json_str(&b, why, strlen(why));
	buf_puts(&b, ",\"record\":");
	buf_json_str(&b, raw, len);
	buf_puts(&b, "}\n");
	if (buf_write(&b, deadf) != 0)
		die(EX_IOERR, "%s:", deadpath);
	buf_free(&b);
}

/* The dead letters made durable, before a checkpoint. */
static void
dead_sync(void)
{
	if (deadf && (fflush(deadf) != 0 || fsync(fileno(deadf)) != 0))
		die(EX_IOERR, "%s:", deadpath);
}

/* ---- batches ---- */

static void
batch_reset(void)
{
	buf_reset(&batch.rows);
	buf_reset(&batch.raw);
	buf_reset(&batch.keys);
	batch.n = 0;
	batch.started = 0;
	batch.ngroups = 0;
	batch.grp = 0;
}

/*
 * Body of rows [lo,hi) not already stored, in *body (the rows themselves
 * when none is left out, else a copy); returns the number of rows.
 */
static size_t
build_body(size_t lo, size_t hi, const void **body, size_t *len)
{
	size_t n = 0;
	int contiguous = 1;	/* rows sorted by column set may not be */

	for (size_t i = lo; i < hi; i++) {
		struct row *r = &batch.r[i];
		if (i > lo && r->off != r[-1].off + r[-1].len)
			contiguous = 0;
		if (r->stream >= 0 && streams[r->stream].nstored &&
		    is_stored(&streams[r->stream], batch.keys.p + r->key)) {
			r->stream = -2;	/* counted once, never sent */
			st[S_SKIPPED].value++;
			continue;
		}
		if (r->stream != -2)
			n++;
	}
	if (n == hi - lo && contiguous) {
		*body = batch.rows.p + batch.r[lo].off;
		*len = batch.r[hi - 1].off + batch.r[hi - 1].len - batch.r[lo].off;
		return n;
	}
	buf_reset(&batch.body);
	for (size_t i = lo; i < hi; i++)
		if (batch.r[i].stream != -2)
			buf_add(&batch.body, batch.rows.p + batch.r[i].off,
			    batch.r[i].len);
	*body = batch.body.p;
	*len = batch.body.len;
	return n;
}

static void
resync(size_t lo, size_t hi)
{
	for (size_t i = lo; i < hi; i++)
		if (batch.r[i].stream >= 0 && haspos[streams[batch.r[i].stream].kind])
			streams[batch.r[i].stream].synced = 0;
	for (size_t i = lo; i < hi; i++)
		if (batch.r[i].stream >= 0)
			stream_sync(&streams[batch.r[i].stream]);
}

/* The INSERT of the batch. */
static const char *
batch_sql(void)
{
	static struct buf q;

	if (!use_tsv)
		return insert_sql;
	buf_reset(&q);
	buf_printf(&q, "INSERT INTO %s ", qtable);
	chconv_tsv_columns(&cv, batch.sigs[batch.grp].p,
	    batch.sigs[batch.grp].len, &q);
	buf_puts(&q, " FORMAT TabSeparated");
	return buf_cstr(&q);
}

static void
insert_range(size_t lo, size_t hi)
{
	long long first = 0, t0;
	size_t n, mid;
	int r;

	for (int attempt = 1;; attempt++) {
		const void *body;
		size_t len;
		if ((n = build_body(lo, hi, &body, &len)) == 0)
			return;
		if (gzip_level > 0) {
			buf_reset(&batch.gz);
			if (chh_gzip(body, len, gzip_level, &batch.gz) != 0)
				die(EX_SOFTWARE, "gzip failed");
			body = batch.gz.p;
			len = batch.gz.len;
		}
		t0 = mono_ms();
		r = chh_insert(&ch, batch_sql(), body, len, gzip_level > 0);
		st[S_INSERT_MS].value = (double)(mono_ms() - t0);
		st[S_INSERT_MS_TOTAL].value += st[S_INSERT_MS].value;
		st[S_BYTES].value += (double)len;
		if (r == CHH_OK) {
			st[S_OUT].value += (double)n;
			return;
		}
		if (r == CHH_FATAL)
			die_fatal("table");
		if (r == CHH_RETRY) {
			if (first == 0)
				first = mono_ms();
			backoff(attempt, first, EX_TEMPFAIL, "table");
			resync(lo, hi);	/* the insert may have been applied */
			continue;
		}
		/* CHH_DATA: the data was refused; narrow it down. */
		if (n == 1) {
			for (size_t i = lo; i < hi; i++) {
				struct row *rw = &batch.r[i];
				if (rw->stream == -2)
					continue;
				char why[600];
				snprintf(why, sizeof why, "server: %s (HTTP %ld)",
				    ch.message, ch.status);
				dead_letter(rw->file, rw->line, batch.raw.p + rw->raw,
				    rw->rawlen, why);
				rw->stream = -2;
			}
			return;
		}
		resync(lo, hi);
		mid = lo + (hi - lo) / 2;
		insert_range(lo, mid);
		insert_range(mid, hi);
		return;
	}
}

/* The thread: the first INSERT of the batch being sent. */
static void *
sender(void *arg)
{
	struct batchbuf *b = arg;
	const void *body = b->th_body;
	size_t len = b->th_len;
	long long t0;

	if (gzip_level > 0) {
		buf_reset(&b->gz);
		if (chh_gzip(body, len, gzip_level, &b->gz) != 0) {
			b->th_rc = -1;
			__atomic_store_n(&b->th_done, 1, __ATOMIC_RELEASE);
			return NULL;
		}
		body = b->gz.p;
		len = b->gz.len;
	}
	t0 = mono_ms();
	b->th_rc = chh_insert(&ch, buf_cstr(&b->sql), body, len, gzip_level > 0);
	b->th_ms = mono_ms() - t0;
	b->th_len = len;
	__atomic_store_n(&b->th_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * The batch being sent, finished: its INSERT's outcome (a failed one
 * again the synchronous way, which asks what the server stored first),
 * its other column sets, the dead letters made durable, its positions
 * checkpointed. Then it is empty for filling again.
 */
static void
flush_end(void)
{
	struct batchbuf *fill = bp;

	if (inflight == NULL)
		return;
	bp = inflight;
	inflight = NULL;
	if (batch.sending) {
		pthread_join(batch.th, NULL);
		batch.sending = 0;
		if (batch.th_rc == -1)
			die(EX_SOFTWARE, "gzip failed");
		st[S_INSERT_MS].value = (double)batch.th_ms;
		st[S_INSERT_MS_TOTAL].value += st[S_INSERT_MS].value;
		st[S_BYTES].value += (double)batch.th_len;
		if (batch.th_rc == CHH_OK) {
			st[S_OUT].value += (double)batch.th_n;
		} else if (batch.th_rc == CHH_FATAL) {
			die_fatal("table");
		} else {
			if (batch.th_rc == CHH_RETRY)	/* counts, says, waits */
				backoff(1, mono_ms() - batch.th_ms, EX_TEMPFAIL,
				    "table");
			resync(0, batch.th_hi);	/* it may have been applied */
			insert_range(0, batch.th_hi);
		}
	}
	if (batch.n > 0) {
		for (size_t lo = batch.th_hi, k; lo < batch.n; lo = k) {
			for (k = lo; k < batch.n && batch.r[k].grp == batch.r[lo].grp; k++)
				;
			batch.grp = batch.r[lo].grp;
			insert_range(lo, k);
		}
		st[S_BATCHES].value++;
	}
	dead_sync();
	if (batch.npend) {
		for (int i = 0; i < batch.npend; i++) {
			struct pend *p = &batch.pend[i];
			struct stream *s = &streams[p->stream];
			memcpy(s->ckey, p->key, KEYMAX);
			s->has_ckpt = 1;
			ckpt_set(&ck, s->name, p->pos);
			stored_clear(s, 1);
		}
		batch.npend = 0;
		if (use_ckpt && ckpt_save(&ck) != 0)
			die(EX_IOERR, "%s:", ck.path);
	}
	batch_reset();
	bp = fill;
}

/*
 * Close the batch being filled: what its rows' streams hold already is
 * asked, its positions are taken, its first INSERT goes to the thread,
 * and the other batch is filled meanwhile. The one sent before is
 * finished first.
 */
static void
flush(void)
{
	flush_end();
	if (batch.n == 0 && !batch.dirty)
		return;
	batch.th_hi = 0;
	if (batch.n > 0) {
		for (size_t i = 0; i < batch.n; i++)
			if (batch.r[i].stream >= 0)
				stream_sync(&streams[batch.r[i].stream]);
		if (batch.ngroups > 1) {
			/* the rows of each column set together, in their order */
			struct row *sorted = xmalloc(batch.n * sizeof *sorted);
			size_t k = 0;
			for (int g = 0; g < batch.ngroups; g++)
				for (size_t i = 0; i < batch.n; i++)
					if (batch.r[i].grp == g)
						sorted[k++] = batch.r[i];
			memcpy(batch.r, sorted, batch.n * sizeof *sorted);
			free(sorted);
		}
		size_t hi;
		for (hi = 0; hi < batch.n && batch.r[hi].grp == batch.r[0].grp; hi++)
			;
		batch.grp = batch.r[0].grp;
		batch.th_hi = hi;
		batch.th_n = build_body(0, hi, &batch.th_body, &batch.th_len);
		if (batch.th_n > 0) {
			buf_reset(&batch.sql);
			buf_puts(&batch.sql, batch_sql());
			batch.th_done = 0;
			if (pthread_create(&batch.th, NULL, sender, bp) != 0)
				die(EX_OSERR, "pthread_create:");
			batch.sending = 1;
		}
	}
	if (batch.dirty) {
		for (int i = 0; i < nstreams; i++) {
			struct stream *s = &streams[i];
			if (s->pending == NULL)
				continue;
			if (batch.npend == batch.pendcap) {
				batch.pendcap = batch.pendcap ? batch.pendcap * 2 : 8;
				batch.pend = xrealloc(batch.pend,
				    batch.pendcap * sizeof *batch.pend);
			}
			struct pend *p = &batch.pend[batch.npend++];
			p->stream = i;
			p->pos = s->pending;
			memcpy(p->key, s->pkey, KEYMAX);
			s->pending = NULL;
		}
		batch.dirty = 0;
	}
	inflight = bp;
	bp = bp == &batches[0] ? &batches[1] : &batches[0];
}

/* Everything read so far stored and checkpointed. */
static void
flush_all(void)
{
	flush();
	flush_end();
}

/* Finish the batch being sent if its INSERT returned. */
static void
flush_poll(void)
{
	if (inflight && (!inflight->sending ||
	    __atomic_load_n(&inflight->th_done, __ATOMIC_ACQUIRE)))
		flush_end();
}

static void add_row(const char *file, unsigned long long lineno,
    const char *line, size_t len, size_t mark, int si, const char *key);

/* ---- barriers ---- */

/*
 * A barrier record: an object whose only member is "_barrier", a
 * non-negative integer; its number in *n. Only a line that starts like
 * one (its first name "_barrier", or escaped) is parsed for it.
 */
static int
is_barrier(const char *line, size_t len, long long *n)
{
	json_t *rec, *v;
	size_t i;
	int yes;

	i = json_skip_ws(line, len, 0);
	if (i == len || line[i] != '{')
		return 0;
	i = json_skip_ws(line, len, i + 1);
	if (len - i < 10 || line[i] != '"' || (line[i + 1] != '\\' &&
	    memcmp(line + i + 1, "_barrier\"", 9) != 0))
		return 0;
	if ((rec = json_loadb(line, len, 0, NULL)) == NULL)
		return 0;
	v = json_object_get(rec, "_barrier");
	yes = json_object_size(rec) == 1 && json_is_integer(v) &&
	    json_integer_value(v) >= 0;
	if (yes)
		*n = json_integer_value(v);
	json_decref(rec);
	return yes;
}

/*
 * Everything before barrier n stored (the batch held sent as when it is
 * full), the dead letters synced, and the checkpoint written with n.
 */
static void
pass_barrier(long long n)
{
	flush_all();
	dead_sync();
	st[S_BARRIERS].value++;
	ck.barrier = n;
	if (use_ckpt && ckpt_save(&ck) != 0)
		die(EX_IOERR, "%s:", ck.path);
}

/*
 * The row converted in conv into the batch, in the batch's format. A
 * TabSeparated row whose column set differs from the batch's sends the
 * batch first; that happens before the record's position is taken, so a
 * checkpoint never covers a row not yet sent. Returns the row's offset in
 * batch.rows, or -1 when it was dead-lettered.
 */
static long
place_row(const char *file, unsigned long long lineno, const char *line,
    size_t len)
{
	size_t mark;

	if (!use_tsv) {
		mark = batch.rows.len;
		buf_add(&batch.rows, conv.p, conv.len);
		return (long)mark;
	}
	buf_reset(&tsvrow);
	if (chconv_tsv(&cv, conv.p, conv.len, &tsvrow, &tsvsig) != 0) {
		dead_letter(file, lineno, line, len, "no TabSeparated form of "
		    "the converted row (use --format=json)");
		return -1;
	}
	/* its column set among the batch's; a new one when there is room */
	int g;
	for (g = 0; g < batch.ngroups; g++)
		if (batch.sigs[g].len == tsvsig.len &&
		    (tsvsig.len == 0 ||
		    memcmp(batch.sigs[g].p, tsvsig.p, tsvsig.len) == 0))
			break;
	if (g == batch.ngroups) {
		if (g == MAXGROUPS) {
			flush();
			g = 0;
		}
		buf_reset(&batch.sigs[g]);
		buf_add(&batch.sigs[g], tsvsig.p, tsvsig.len);
		batch.ngroups = g + 1;
	}
	batch.grp = g;
	mark = batch.rows.len;
	/* without its newline: add_row writes it */
	buf_add(&batch.rows, tsvrow.p, tsvrow.len - 1);
	return (long)mark;
}

static void
add_record(const char *file, unsigned long long lineno, const char *line,
    size_t len)
{
	json_error_t je;
	json_t *rec, *pos;
	char *sname = NULL, key[KEYMAX], err[512];
	struct stream *s = NULL;
	long mark;
	int si = -1, skip = 0;

	st[S_IN].value++;
	buf_reset(&conv);
	if (raw_mode ? chconv_row_text(&cv, line, len, NULL) == 0 :
	    chconv_row_text(&cv, line, len, &conv) == 0) {
		/* a record without a source position, checked or converted in
		 * one pass over its text */
		if (raw_mode) {
			mark = (long)batch.rows.len;
			buf_add(&batch.rows, line, len);
		} else if ((mark = place_row(file, lineno, line, len)) < 0)
			return;
		add_row(file, lineno, line, len, (size_t)mark, -1, NULL);
		return;
	}
	if ((rec = json_loadb(line, len, 0, &je)) == NULL) {
		snprintf(err, sizeof err, "not JSON: %s (column %d)", je.text,
		    je.column);
		dead_letter(file, lineno, line, len, err);
		return;
	}
	if ((pos = ckpt_position_of(rec, &sname)) != NULL) {
		if ((si = stream_find(sname)) < 0)
			si = stream_add(sname);
		free(sname);
		if (si >= 0) {
			s = &streams[si];
			if (s->kind == K_PG)
				pg_position(rec, pos);
			key_of(s->kind, pos, key);
			if ((s->has_ckpt && strcmp(key, s->ckey) <= 0) ||
			    (s->has_last && strcmp(key, s->last) <= 0)) {
				st[S_SKIPPED].value++;	/* already stored */
				json_decref(pos);
				json_decref(rec);
				return;
			}
		} else {
			json_decref(pos);
			pos = NULL;
		}
	}
	/* convert, and make room in the batch, before taking the position */
	if (raw_mode) {
		if (!json_is_object(rec))
			skip = 1;
	} else if (chconv_row(&cv, rec, &conv, err, sizeof err) != 0) {
		skip = 2;
	}
	mark = -1;
	if (!skip) {
		if (raw_mode) {
			mark = (long)batch.rows.len;
			buf_add(&batch.rows, line, len);
		} else if ((mark = place_row(file, lineno, line, len)) < 0)
			skip = 3;	/* dead-lettered there */
	}
	if (s) {
		/* a dead-lettered record is done with too */
		memcpy(s->last, key, KEYMAX);
		s->has_last = 1;
		json_decref(s->pending);
		s->pending = pos;
		memcpy(s->pkey, key, KEYMAX);
		batch.dirty = 1;
	}
	if (skip == 1)
		dead_letter(file, lineno, line, len, "not a JSON object");
	else if (skip == 2)
		dead_letter(file, lineno, line, len, err);
	json_decref(rec);
	if (skip)
		return;
	add_row(file, lineno, line, len, (size_t)mark, s ? si : -1,
	    s ? key : NULL);
}

/* The row converted at batch.rows[mark..] into the batch. */
static void
add_row(const char *file, unsigned long long lineno, const char *line,
    size_t len, size_t mark, int si, const char *key)
{
	buf_putc(&batch.rows, '\n');
	if (batch.n == batch.cap) {
		batch.cap = batch.cap ? batch.cap * 2 : 1024;
		batch.r = xrealloc(batch.r, batch.cap * sizeof *batch.r);
	}
	struct row *r = &batch.r[batch.n++];
	r->off = mark;
	r->len = batch.rows.len - mark;
	r->raw = batch.raw.len;
	r->rawlen = len;
	buf_add(&batch.raw, line, len);
	r->stream = si;
	r->key = batch.keys.len;
	if (key)
		buf_add(&batch.keys, key, strlen(key) + 1);
	r->file = file;
	r->line = lineno;
	r->grp = use_tsv ? batch.grp : 0;
	if (batch.started == 0)
		batch.started = mono_ms();
}

/* ---- set-up ---- */

static void
read_config(const char *path, char **url, char **user, char **password,
    char **cafile)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL, *k, *v, *e;
	size_t cap = 0;
	int n = 0;

	if (fp == NULL)
		die(EX_CONFIG, "%s:", path);
	while (getline(&line, &cap, fp) > 0) {
		n++;
		k = line + strspn(line, " \t");
		if (*k == '#' || *k == '\n' || *k == '\0')
			continue;
		if ((v = strchr(k, '=')) == NULL)
			die(EX_CONFIG, "%s:%d: expected key = value", path, n);
		for (e = v; e > k && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		*e = '\0';
		v++;
		v += strspn(v, " \t");
		for (e = v + strlen(v); e > v && strchr(" \t\r\n", e[-1]); e--)
			;
		*e = '\0';
		if (strcmp(k, "url") == 0) {
			free(*url);
			*url = xstrdup(v);
		} else if (strcmp(k, "user") == 0) {
			free(*user);
			*user = xstrdup(v);
		} else if (strcmp(k, "password") == 0) {
			free(*password);
			*password = xstrdup(v);
		} else if (strcmp(k, "cacert") == 0) {
			free(*cafile);
			*cafile = xstrdup(v);
		} else {
			die(EX_CONFIG, "%s:%d: unknown key %s", path, n, k);
		}
	}
	free(line);
	fclose(fp);
}

/* Undo TabSeparated escapes in place. */
static void
tsv_unescape(char *s)
{
	char *d = s;

	for (; *s; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			*d++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s == '0' ? '\0' : *s;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
}

static void
describe(void)
{
	char *sql = xasprintf("DESCRIBE TABLE %s FORMAT TabSeparated", qtable);
	char *line, *next, *f[4];

	query_retry(sql, "table", EX_UNAVAILABLE);
	free(sql);
	buf_cstr(&ch.resp);
	for (line = ch.resp.p; line && *line; line = next) {
		int nf = 0;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		f[0] = f[1] = f[2] = f[3] = NULL;
		for (char *p = line; p && nf < 4; nf++) {
			f[nf] = p;
			if ((p = strchr(p, '\t')) != NULL)
				*p++ = '\0';
		}
		if (f[1] == NULL)
			continue;
		tsv_unescape(f[0]);
		tsv_unescape(f[1]);
		if (f[2] && (strcmp(f[2], "MATERIALIZED") == 0 ||
		    strcmp(f[2], "ALIAS") == 0 || strcmp(f[2], "EPHEMERAL") == 0))
			continue;
		int col = chconv_add(&cv, f[0], f[1]);
		if (f[2] && strcmp(f[2], "DEFAULT") == 0)
			chconv_set_default(&cv, col);
	}
	if (cv.ncols == 0)
		die(EX_CONFIG, "table %s: no columns to insert into", table);
	for (int k = 0; k < K_NKINDS; k++) {
		haspos[k] = 1;
		for (int i = 0; i < 4 && poscols[k].key[i]; i++)
			if (chconv_find(&cv, poscols[k].key[i],
			    strlen(poscols[k].key[i])) < 0)
				haspos[k] = 0;
		for (int i = 0; i < 2 && poscols[k].filter[i]; i++)
			if (chconv_find(&cv, poscols[k].filter[i],
			    strlen(poscols[k].filter[i])) < 0)
				haspos[k] = 0;
	}
}

/*
 * The URL names this machine (localhost, 127.x.x.x, [::1]): compressing
 * costs more time there than sending the bytes saves.
 */
static int
is_loopback(const char *url)
{
	const char *h = strstr(url, "://");
	size_t n;

	h = h ? h + 3 : url;
	if (strchr(h, '@') && strchr(h, '@') < h + strcspn(h, "/"))
		h = strchr(h, '@') + 1;
	if (*h == '[')
		return strncmp(h, "[::1]", 5) == 0;
	n = strcspn(h, ":/");
	return (n == 9 && strncasecmp(h, "localhost", 9) == 0) ||
	    (n >= 4 && strncmp(h, "127.", 4) == 0);
}

static char *
quote_table(const char *t)
{
	const char *dot = strchr(t, '.');
	struct buf b;

	if (*t == '\0' || (dot && (dot == t || dot[1] == '\0' ||
	    strchr(dot + 1, '.'))) || strchr(t, '`'))
		die(EX_USAGE, "-t %s: expected DB.TABLE or TABLE", t);
	buf_init(&b);
	if (dot)
		buf_printf(&b, "`%.*s`.`%s`", (int)(dot - t), t, dot + 1);
	else
		buf_printf(&b, "`%s`", t);
	return buf_cstr(&b);
}

static void
read_input(const char *path, size_t maxline)
{
	struct lreader lr;
	char *line;
	size_t len;
	long long barrier;
	int r;

	if (lr_open(&lr, path, maxline) != 0)
		die(EX_NOINPUT, "%s:", path);
	long long last_stats = mono_ms();
	while (!stop) {
		if (want_stats) {
			want_stats = 0;
			print_stats();
		}
		if (stats_ms > 0 && stats_due(&last_stats, stats_ms))
			print_stats();
		flush_poll();
		if (batch.started && mono_ms() - batch.started >= batch_ms)
			flush();
		if (lr.fp->_IO_read_ptr >= lr.fp->_IO_read_end) {
			struct pollfd pfd = { fileno(lr.fp), POLLIN, 0 };
			long long t = 1000;
			if (batch.started)
				t = batch.started + batch_ms - mono_ms();
			if (inflight && t > 10)
				t = 10;	/* to finish it soon after it returns */
			if (stats_ms > 0 && stats_ms < t)
				t = stats_ms;
			if (t < 0)
				t = 0;
			r = poll(&pfd, 1, (int)t);
			if (r == 0 || (r < 0 && errno == EINTR))
				continue;
		}
		r = lr_next(&lr, &line, &len);
		if (r == LR_EOF)
			break;
		if (r == LR_ERROR) {
			if (errno == EINTR) {
				clearerr(lr.fp);
				continue;
			}
			die(EX_IOERR, "%s:", lr.name);
		}
		if (r == LR_TOOLONG) {
			char why[80];
			st[S_IN].value++;
			snprintf(why, sizeof why, "record longer than %zu bytes",
			    maxline);
			dead_letter(lr.name, lr.lineno, line, len, why);
		} else if (is_barrier(line, len, &barrier)) {
			pass_barrier(barrier);
		} else if (len > 0 && lr_fragment(&lr, line, len)) {
			/* not a record: said, and 74 at the end */
			st[S_FRAGMENTS].value++;
			fragment_warn(lr.name, lr.lineno, len);
		} else if (len > 0) {
			add_record(lr.name, lr.lineno, line, len);
		}
		if (max_errors >= 0 && st[S_REJECTED].value > max_errors) {
			flush_all();
			die(EX_DATAERR, "%s:%llu: more than %lld records rejected",
			    lr.name, lr.lineno, max_errors);
		}
		if (batch.n >= (size_t)batch_rows ||
		    batch.rows.len >= (size_t)batch_bytes)
			flush();
	}
	/* the name stays in use by the batch's rows until they are stored */
	flush_all();
	lr_close(&lr);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "batch-bytes", required_argument, NULL, 'B' },
		{ "batch-ms", required_argument, NULL, 'T' },
		{ "batch-rows", required_argument, NULL, 'b' },
		{ "cacert", required_argument, NULL, 1 },
		{ "checkpoint", required_argument, NULL, 'c' },
		{ "config", required_argument, NULL, 'C' },
		{ "dead-letter", required_argument, NULL, 'd' },
		{ "gzip-level", required_argument, NULL, 'z' },
		{ "help", no_argument, NULL, 'h' },
		{ "insecure", no_argument, NULL, 'k' },
		{ "map", required_argument, NULL, 'm' },
		{ "max-errors", required_argument, NULL, 'e' },
		{ "max-line", required_argument, NULL, 2 },
		{ "format", required_argument, NULL, 'f' },
		{ "raw", no_argument, NULL, 'r' },
		{ "retry-time", required_argument, NULL, 'R' },
		{ "stats-file", required_argument, NULL, 3 },
		{ "stats-interval", required_argument, NULL, 's' },
		{ "table", required_argument, NULL, 't' },
		{ "timeout", required_argument, NULL, 4 },
		{ "url", required_argument, NULL, 'u' },
		{ "version", no_argument, NULL, 5 },
		{ NULL, 0, NULL, 0 }
	};
	char *url = NULL, *user = NULL, *password = NULL, *cafile = NULL;
	const char *ckpath = NULL, *config = NULL, *e;
	char **maps = NULL, err[512];
	int nmaps = 0, insecure = 0, ch_;
	long long maxline = LINE_MAX_DEFAULT, timeout = 300000;
	struct sigaction sa;

	setprogname(argv[0]);
	start_ms = mono_ms();
	while ((ch_ = getopt_long(argc, argv, "B:b:C:c:d:e:f:hkm:R:rs:T:t:u:z:",
	    longopts, NULL)) != -1) {
		switch (ch_) {
		case 'B':
			if ((batch_bytes = parse_size(optarg)) <= 0)
				die(EX_USAGE, "-B %s: not a size", optarg);
			break;
		case 'b':
			if ((batch_rows = parse_count(optarg)) <= 0 ||
			    batch_rows > 1048576)
				die(EX_USAGE, "-b %s: expected 1..1048576 (one insert block)",
				    optarg);
			break;
		case 'C':
			config = optarg;
			break;
		case 'c':
			ckpath = optarg;
			break;
		case 'd':
			deadpath = optarg;
			break;
		case 'e':
			if ((max_errors = parse_count(optarg)) < 0)
				die(EX_USAGE, "-e %s: not a count", optarg);
			break;
		case 'h':
			help();
			break;
		case 'k':
			insecure = 1;
			break;
		case 'f':
			if (strcmp(optarg, "tsv") == 0 ||
			    strcasecmp(optarg, "TabSeparated") == 0)
				format = FMT_TSV;
			else if (strcmp(optarg, "json") == 0 ||
			    strcasecmp(optarg, "JSONEachRow") == 0)
				format = FMT_JSON;
			else
				die(EX_USAGE, "-f %s: tsv or json", optarg);
			break;
		case 'm':
			if (strchr(optarg, '=') == NULL || *optarg == '=')
				die(EX_USAGE, "-m %s: expected COLUMN=PATH", optarg);
			maps = xrealloc(maps, (nmaps + 1) * sizeof(char *));
			maps[nmaps++] = optarg;
			break;
		case 'R':
			if ((retry_ms = parse_duration_ms(optarg)) < 0)
				die(EX_USAGE, "-R %s: not a duration", optarg);
			break;
		case 'r':
			raw_mode = 1;
			break;
		case 's':
			if ((stats_ms = parse_duration_ms(optarg)) < 0)
				die(EX_USAGE, "-s %s: not a duration", optarg);
			break;
		case 'T':
			if ((batch_ms = parse_duration_ms(optarg)) <= 0)
				die(EX_USAGE, "-T %s: not a duration", optarg);
			break;
		case 't':
			table = optarg;
			break;
		case 'u':
			free(url);
			url = xstrdup(optarg);
			break;
		case 'z':
			gzip_level = (int)parse_count(optarg);
			if (gzip_level < 0 || gzip_level > 9)
				die(EX_USAGE, "-z %s: expected 0..9", optarg);
			break;
		case 1:
			free(cafile);
			cafile = xstrdup(optarg);
			break;
		case 2:
			if ((maxline = parse_size(optarg)) <= 0)
				die(EX_USAGE, "--max-line %s: not a size", optarg);
			break;
		case 3:
			stats_file = optarg;
			break;
		case 4:
			if ((timeout = parse_duration_ms(optarg)) <= 0)
				die(EX_USAGE, "--timeout %s: not a duration", optarg);
			break;
		case 5:
			printf("ch-insert %s\n", TP_VERSION);
			exit(fshut(stdout, "standard output"));
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (table == NULL) {
		weprintf("-t db.table is required");
		usage();
	}
	qtable = quote_table(table);
	insert_sql = xasprintf("INSERT INTO %s FORMAT JSONEachRow", qtable);

	/* Open everything first. */
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "-") != 0 && access(argv[i], R_OK) != 0)
			die(EX_NOINPUT, "%s:", argv[i]);
	if ((e = getenv("CLICKHOUSE_USER")) && *e)
		user = xstrdup(e);
	if ((e = getenv("CLICKHOUSE_PASSWORD")))
		password = xstrdup(e);
	if (config)
		read_config(config, &url, &user, &password, &cafile);
	if (url == NULL)
		url = xstrdup((e = getenv("CLICKHOUSE_URL")) && *e ? e :
		    "http://localhost:8123");
	if (chh_init(&ch, url, user, password, cafile, insecure, timeout, err,
	    sizeof err) != 0)
		die(EX_CONFIG, "%s", err);
	if (gzip_level < 0)
		gzip_level = is_loopback(url) ? 0 : 1;
	free(url);
	free(cafile);
	free(user);
	if (password)
		explicit_bzero(password, strlen(password));
	free(password);
	chconv_init(&cv);
	describe();
	for (int i = 0; i < nmaps; i++) {
		char *col = xstrndup(maps[i], strchr(maps[i], '=') - maps[i]);
		if (chconv_map(&cv, col, strchr(maps[i], '=') + 1) != 0)
			die(EX_CONFIG, "-m %s: table %s has no column %s", maps[i],
			    table, col);
		free(col);
	}
	free(maps);
	use_tsv = !raw_mode && format != FMT_JSON && chconv_tsv_capable(&cv);
	if (format == FMT_TSV && !use_tsv) {
		if (raw_mode)
			die(EX_USAGE, "-f tsv: -r sends the records as they are");
		for (int i = 0; i < cv.ncols; i++)
			if (cv.cols[i].type->kind == CK_ARRAY ||
			    cv.cols[i].type->kind == CK_OTHER)
				die(EX_CONFIG, "-f tsv: table %s: column %s (%s) "
				    "has no TabSeparated form here: use -f json",
				    table, cv.cols[i].name, cv.cols[i].type->text);
	}
	if (ckpt_open(&ck, ckpath ? ckpath : "", "ch-insert", err, sizeof err) != 0)
		die(EX_CONFIG, "%s", err);
	use_ckpt = ckpath != NULL;
	if (use_ckpt) {
		const char *name;
		json_t *pos;
		json_object_foreach(ck.streams, name, pos) {
			int si = stream_add(name);
			if (si < 0)
				continue;
			key_of(streams[si].kind, pos, streams[si].ckey);
			streams[si].has_ckpt = 1;
		}
	}
	if (deadpath && (deadf = fopen(deadpath, "a")) == NULL)
		die(EX_CANTCREAT, "%s:", deadpath);

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);

	if (argc == 0)
		read_input("-", (size_t)maxline);
	for (int i = 0; i < argc && !stop; i++)
		read_input(argv[i], (size_t)maxline);
	flush_all();
	if (stats_ms > 0 || stats_file)
		print_stats();
	if (deadf && fclose(deadf) != 0)
		die(EX_IOERR, "%s:", deadpath);
	return st[S_FRAGMENTS].value ? EX_IOERR : 0;
}
