/*
 * enrich: join events (JSON lines on stdin) with tables kept up to date
 * from change records or rows, keyed by customer.
 *
 *   consume -b B -t telecom-cdr -m | enrich \
 *       --table customer=<(consume -b B -t cdc.crm.customer_profiles) | detect ...
 */
#include <ctype.h>
#include <emmintrin.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <stdio_ext.h>
#include <sys/prctl.h>
#endif

#include "buf.h"
#include "enrich_io.h"
#include "jpath.h"
#include "jvalid.h"
#include "lineio.h"
#include "stats.h"
#include "summary.h"
#include "table.h"
#include "util.h"

static volatile sig_atomic_t got_stop, got_hup, got_usr1;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else if (sig == SIGUSR1)
		got_usr1 = 1;
	else
		got_stop = 1;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: enrich -T name=path [-T name=path ...] [-u] [-a fields] "
	    "[-C file]\n"
	    "              [-d dead-letter] [-e max-errors] [-k name=field] "
	    "[-q duration]\n"
	    "              [-s name.out=summary] [-t fields] [--derive name.out=expr]\n"
	    "              [--end-marker line] [--event-key name=field] "
	    "[--history duration]\n"
	    "              [--max-held count] [--max-line size] "
	    "[--max-versions count]\n"
	    "              [--miss null|omit] [--pick name=how] "
	    "[--row-key name=field]\n"
	    "              [--start-timeout duration] [--state file] "
	    "[--state-interval duration]\n"
	    "              [--stats duration] [--stats-file file] "
	    "[--version-time fields]\n"
	    "              [--where name=condition] [file]\n");
	exit(EX_USAGE);
}

static void
help(void)
{
	printf("usage: enrich -T name=path [options] [file]\n"
	    "Join events (JSON lines) with tables kept current from change records.\n\n"
	    "  -T, --table NAME=PATH       a table, from a file, FIFO or <(command)\n"
	    "  -k, --key NAME=FIELD        the table's join key in its rows (customer_id)\n"
	    "      --event-key NAME=FIELD  the event's join field (the same as --key)\n"
	    "      --row-key NAME=FIELD    the identity of a row: many rows per key\n"
	    "      --pick NAME=HOW         the row that is NAME: latest:FIELD, earliest:FIELD,\n"
	    "                              last or first\n"
	    "      --where NAME=COND       rows --pick may choose\n"
	    "  -s, --summary NAME.OUT=EXPR a summary of the key's rows, e.g.\n"
	    "                              'payments.failed_30d=count(status in [\"failed\"])\n"
	    "                              within 30d by transaction_date'\n"
	    "      --derive NAME.OUT=EXPR  days_since(FIELD) or eq(FIELD, EVENT_FIELD)\n"
	    "  -t, --time FIELDS           the event's time (start_time,event_time)\n"
	    "  -a, --as-of FIELDS          join each event with the versions valid at\n"
	    "                              this time of the event\n"
	    "      --version-time FIELDS   with -a, a table line's time in place of\n"
	    "                              source.ts_ms (e.g. _kafka.ts)\n"
	    "      --history DURATION      versions kept behind a row's newest (7d)\n"
	    "      --max-versions N        versions kept per row (64)\n"
	    "      --max-held N            events held waiting for tables (100000)\n"
	    "  -q, --quiet DURATION        a stream table is caught up after this long\n"
	    "                              without input (2s)\n"
	    "      --end-marker LINE       a table line that says it is caught up\n"
	    "      --start-timeout DUR     start without caught-up tables after DUR\n"
	    "      --miss null|omit        a table without a row: null (default) or absent\n"
	    "      --state FILE            keep the tables in FILE: loaded at start, saved\n"
	    "                              at an interval and at exit\n"
	    "      --state-interval DUR    save the state this often (1m)\n"
	    "  -C, --config FILE           options from FILE, one \"option value\" a line\n"
	    "  -d, --dead-letter FILE      append rejected lines to FILE\n"
	    "  -e, --max-errors N          exit 65 after more than N bad lines\n"
	    "      --max-line SIZE         longest line accepted (16M)\n"
	    "  -u, --unbuffered            flush after each event\n"
	    "      --stats DURATION        statistics on stderr this often\n"
	    "      --stats-file FILE       statistics as a Prometheus text file\n"
	    "  -h, --help                  this help\n"
	    "  -V, --version               the version\n");
	exit(0);
}

/* ---- tables ---- */

struct tdef {
	char *name, *path;
	size_t namelen;
	struct buf jname;	/* the name as JSON with its colon */
	char *key_spec, *evkey_spec, *rowkey_spec, *pick_spec, *where_spec;
	struct jpath *key, *evkey, *rowkey;
	int multi, has_pick;
	struct pick pick;
	struct cond *where;
	struct summary **sums, **ders;
	int nsums, nders;
	struct table *t;
	struct fdlines in;
	int closed, caught_up;
	long long last_input;	/* mono ms of the last bytes read */
	long long watermark;	/* greatest source time applied, ms */
	unsigned long long lines, changes, bad, skipped;
	char *m_keys, *m_changes, *m_skipped;	/* metric names */
	struct tstream *streams;	/* --state: the positions of its input */
	int nstreams, last_stream;
	int pf_key;		/* its event key's index in pf_events, or -1 */
};

/* A source stream of a table input, and how far it has been applied. */
struct tstream {
	char *name;
	struct buf saved;	/* the position loaded from the state, or empty */
	struct buf key, pos;	/* the greatest position seen */
};

static struct tdef *tabs;
static int ntabs;
static uint64_t tab_lengths;	/* bit n: a table's name has n bytes */
static int need_time;		/* a table has derived values or summaries */

/* options given as NAME=VALUE, resolved once every table is known */
struct nv {
	int opt;
	char *arg;
};
static struct nv *nvs;
static int nnv;

static long long history_ms = 7 * 86400000LL, quiet_ms = 2000;
static long long start_timeout_ms, max_errors = -1, max_line = LINE_MAX_DEFAULT;
static long long max_versions = 64, max_held = 100000, stats_ms;
static const char *dl_path, *stats_file, *end_marker, *time_spec, *asof_spec;
static const char *state_path, *vtime_spec;
static long long state_interval_ms = 60000;
static int no_skip;		/* apply every line (a table read again) */
static unsigned long long state_gen, saved_gen, nsaves;
static char *config_desc;
static unsigned long long config_fp;
static int unbuffered, miss_omit;
static struct jpath *time_path, *asof_path, *vtime_path;
static FILE *dl;

static unsigned long long nevents, nout, nbad, nfrag, nmiss, nforced;
static int status;
static struct buf out, tmp, kb;

static void
count_bad(const char *name, unsigned long long lineno, const char *why,
    const char *line, size_t len)
{
	nbad++;
	weprintf("%s:%llu: %s", name, lineno, why);
	if (dl && (fwrite(line, 1, len, dl) != len || fputc('\n', dl) == EOF ||
	    fflush(dl) == EOF))
		die(EX_IOERR, "%s:", dl_path);
	if (max_errors >= 0 && nbad > (unsigned long long)max_errors) {
		weprintf("more than %lld bad lines", max_errors);
		status = EX_DATAERR;
		got_stop = 1;
	}
}

/* The last line of a pipe cut by its writer's end: said, counted, not a
 * record (see line_fragment()); enrich exits 74 at the end. */
static int
fragment(const struct fdlines *in, const char *line, size_t len)
{
	if (!line_fragment(in->unterminated, !in->regular, line, len))
		return 0;
	nfrag++;
	fragment_warn(in->name, in->lineno, len);
	if (status == 0)
		status = EX_IOERR;
	return 1;
}

static struct tdef *
tab_find(const char *name, size_t n)
{
	for (int i = 0; i < ntabs; i++)
		if (tabs[i].namelen == n && memcmp(tabs[i].name, name, n) == 0)
			return &tabs[i];
	return NULL;
}

/*
 * The members of the table line being applied (as evm for events): its
 * object is the text [tl_obj, tl_obj + tl_n) of the line [tl_line,
 * tl_line + tl_len).
 */
#define TL_MEMBERS 128
static struct jmember tlm[TL_MEMBERS];
static size_t tlnm = TL_MEMBERS + 1;
static const char *tl_line, *tl_obj;
static size_t tl_len, tl_n;

/* jpath_find in the text r[0..n): by the members noted when it is the
 * table line's object. */
static int
row_find(struct jpath *p, const char *r, size_t n, const char **v,
    size_t *vn)
{
	if (r == tl_obj && n == tl_n && tlnm <= TL_MEMBERS)
		return jpath_find_members(p, tl_line, tl_len, tlm, tlnm, v, vn);
	return jpath_find(p, r, n, v, vn);
}

/* Whether the table line's object has a member called name. */
static int
line_has(const char *name)
{
	size_t kl = strlen(name), from, to;

	if (tlnm > TL_MEMBERS)
		return jtext_member_span(tl_obj, tl_n, name, &from, &to);
	for (size_t j = 0; j < tlnm; j++) {
		const char *k = tl_line + tlm[j].ks + 1;
		size_t len = tlm[j].ke - tlm[j].ks - 2;
		if (len == kl && memcmp(k, name, kl) == 0)
			return 1;
		if (tlm[j].esc && jtext_member_span(tl_obj, tl_n, name, &from,
		    &to))
			return 1;
	}
	return 0;
}

/* The text of the key at path p in the row text r[0..n), in b. */
static int
key_of(struct jpath *p, const char *r, size_t n, struct buf *b)
{
	const char *v;
	size_t vn;

	buf_reset(b);
	if (!row_find(p, r, n, &v, &vn) || v[0] == '{' || v[0] == '[')
		return -1;
	jpath_value_text(b, v, vn);
	buf_cstr(b);
	return 0;
}

/* A member's integer value (a number or a numeric string), or TABLE_ALWAYS. */
static long long
ts_member(struct jpath *p, const char *s, size_t n)
{
	const char *v;
	size_t vn;
	double d;

	if (!row_find(p, s, n, &v, &vn) || json_number(v, vn, &d) < 0)
		return TABLE_ALWAYS;
	return (long long)d;
}

/*
 * A time at path p (--version-time) in epoch ms, read as an event's time is
 * (json_time(), see event_asof()), or TABLE_ALWAYS.
 */
static long long
time_member(struct jpath *p, const char *s, size_t n)
{
	const char *v;
	size_t vn;
	double t;

	if (!row_find(p, s, n, &v, &vn) || json_time(v, vn, &t) < 0 ||
	    !(fabs(t) < 9e15))
		return TABLE_ALWAYS;
	return llround(t * 1000.0);
}

/* The identity of a row (its text r[0..n)); -1 with *why without a key. */
static int
row_ident(struct tdef *td, const char *r, size_t n, struct buf *key,
    struct buf *rkey, const char **why)
{
	if (key_of(td->key, r, n, key) < 0) {
		*why = "no join key in the row";
		return -1;
	}
	buf_reset(rkey);
	if (td->multi) {
		if (td->rowkey == NULL) {
			buf_add(rkey, r, n);
		} else if (key_of(td->rowkey, r, n, rkey) < 0) {
			*why = "no row key in the row";
			return -1;
		}
	}
	buf_cstr(rkey);
	return 0;
}

static struct jpath *p_op, *p_uop, *p_after, *p_before, *p_src_ts,
    *p_deleted, *p_usrc_ts, *p_value;

static void
paths_init(void)
{
	char e[128];

	p_op = jpath_parse("op", e, sizeof e);
	p_uop = jpath_parse("__op", e, sizeof e);
	p_after = jpath_parse("after", e, sizeof e);
	p_before = jpath_parse("before", e, sizeof e);
	p_src_ts = jpath_parse("source.ts_ms,ts_ms", e, sizeof e);
	p_deleted = jpath_parse("__deleted", e, sizeof e);
	p_usrc_ts = jpath_parse("__source_ts_ms", e, sizeof e);
	p_value = jpath_parse("_value", e, sizeof e);
}

/* The stream of a table named name, made when new. */
static struct tstream *
stream_get(struct tdef *td, const char *name, size_t n)
{
	struct tstream *st;

	if (td->last_stream < td->nstreams &&
	    strlen(td->streams[td->last_stream].name) == n &&
	    memcmp(td->streams[td->last_stream].name, name, n) == 0)
		return &td->streams[td->last_stream];
	for (int i = 0; i < td->nstreams; i++)
		if (strlen(td->streams[i].name) == n &&
		    memcmp(td->streams[i].name, name, n) == 0)
			return &td->streams[td->last_stream = i];
	td->streams = xrealloc(td->streams, (size_t)(td->nstreams + 1) *
	    sizeof(*td->streams));
	st = &td->streams[td->nstreams];
	memset(st, 0, sizeof(*st));
	st->name = xstrndup(name, n);
	td->last_stream = td->nstreams;
	return &td->streams[td->nstreams++];
}

/*
 * With --state: the stream of a table line (a JSON object) and whether the
 * state already holds it (its position is at or before the one loaded).
 */
static struct tstream *
line_stream(struct tdef *td, const char *line, size_t len, int *skip)
{
	static struct buf sname, key, pos;
	struct tstream *st;

	*skip = 0;
	if (!line_position(line, len, &sname, &key, &pos))
		return NULL;
	st = stream_get(td, sname.p, sname.len);
	if (!no_skip && st->saved.len && st->saved.len == key.len &&
	    memcmp(key.p, st->saved.p, key.len) <= 0)
		*skip = 1;
	else if (st->key.len == 0 || st->key.len != key.len ||
	    memcmp(key.p, st->key.p, key.len) > 0) {
		buf_reset(&st->key);
		buf_add(&st->key, key.p, key.len);
		buf_reset(&st->pos);
		buf_add(&st->pos, pos.p, pos.len);
		state_gen++;
	}
	return st;
}

/* One letter op of a JSON string's text, or '?'. */
static char
op_of(const char *v, size_t n)
{
	return n == 3 && v[0] == '"' ? v[1] : '?';
}

/*
 * Apply one table line: a change record (envelope or unwrapped) or a
 * plain row. Returns NULL, or the reason it is refused. Rows are kept as
 * the text they have in the line.
 */
static const char *
apply_line(struct tdef *td, const char *line, size_t len)
{
	static struct buf k1, r1, k2, r2, urow;
	struct jvalid jv;
	const char *v, *after = NULL, *before = NULL, *why = NULL;
	size_t vn, an = 0, bn = 0, from, to;
	char op;
	long long ts = TABLE_ALWAYS, vt;
	int unwrapped = 0;

	tlnm = TL_MEMBERS + 1;
	if (jvalid_members(line, len, &jv, tlm, TL_MEMBERS, &tlnm) == JV_NULL)
		return NULL;	/* a Kafka tombstone (consume writes null) */
	if (jv.type != JV_OBJECT)
		tlnm = TL_MEMBERS + 1;
	tl_line = line;
	tl_len = len;
	tl_obj = line + jv.start;
	tl_n = jv.end - jv.start;
	if (jv.type == JV_OBJECT && state_path) {
		int skip;
		line_stream(td, line, len, &skip);
		if (skip) {
			td->skipped++;
			return NULL;
		}
	}
	if (jv.type == JV_OBJECT && line_has("_value") &&
	    !row_find(p_value, tl_obj, tl_n, &v, &vn))
		return NULL;	/* a tombstone with provenance (consume -m) */
	if (jv.type != JV_OBJECT)
		return jv.type == JV_INVALID ? "not JSON" : "not a JSON object";
	if (row_find(p_op, tl_obj, tl_n, &v, &vn) && v[0] == '"' &&
	    (line_has("after") || line_has("before"))) {
		op = op_of(v, vn);
		if (row_find(p_after, tl_obj, tl_n, &v, &vn) && v[0] == '{')
			after = v, an = vn;
		if (row_find(p_before, tl_obj, tl_n, &v, &vn) && v[0] == '{')
			before = v, bn = vn;
		ts = ts_member(p_src_ts, tl_obj, tl_n);
	} else if (row_find(p_uop, tl_obj, tl_n, &v, &vn) && v[0] == '"') {
		op = op_of(v, vn);
		ts = ts_member(p_usrc_ts, tl_obj, tl_n);
		if (row_find(p_deleted, tl_obj, tl_n, &v, &vn) &&
		    ((vn == 6 && memcmp(v, "\"true\"", 6) == 0) ||
		    (vn == 4 && memcmp(v, "true", 4) == 0)))
			op = 'd';
		buf_reset(&urow);
		buf_add(&urow, line + jv.start, jv.end - jv.start);
		static const char *meta[] = { "__op", "__deleted", "__source_ts_ms" };
		for (int i = 0; i < 3; i++)
			while (jtext_member_span(urow.p, urow.len, meta[i], &from,
			    &to)) {
				memmove(urow.p + from, urow.p + to, urow.len - to);
				urow.len -= to - from;
			}
		after = before = urow.p;
		an = bn = urow.len;
		unwrapped = 1;
	} else {
		op = 'c';
		after = line + jv.start;
		an = jv.end - jv.start;
	}
	/* --version-time: looked up in the whole line, else the default */
	if (vtime_path && (vt = time_member(vtime_path, tl_obj, tl_n)) !=
	    TABLE_ALWAYS)
		ts = vt;
	/* a snapshot row: valid from the start, and no bound on the table's
	 * time (the rows after it hold from the start too) */
	if (op == 'r')
		ts = TABLE_ALWAYS;
	switch (op) {
	case 'c': case 'r': case 'u':
		if (after == NULL) {
			why = "change record without \"after\"";
			break;
		}
		if (row_ident(td, after, an, &k1, &r1, &why) < 0)
			break;
		if (op == 'u' && before && !unwrapped &&
		    row_ident(td, before, bn, &k2, &r2, &why) == 0 &&
		    (strcmp(k1.p, k2.p) || (td->multi && strcmp(r1.p, r2.p))))
			table_del(td->t, k2.p, k2.len, td->multi ? r2.p : NULL,
			    r2.len, ts);
		why = NULL;
		if (after == tl_obj && an == tl_n && tlnm <= TL_MEMBERS) {
			/* a plain row: its members are known */
			static struct jmember rm[TL_MEMBERS];
			size_t d = (size_t)(tl_obj - tl_line);
			for (size_t j = 0; j < tlnm; j++)
				rm[j] = (struct jmember){ tlm[j].ks - d,
				    tlm[j].ke - d, tlm[j].vs - d, tlm[j].ve - d,
				    tlm[j].esc };
			table_put_members(td->t, k1.p, k1.len, td->multi ?
			    r1.p : NULL, r1.len, ts, after, an, rm, tlnm);
		} else {
			table_put(td->t, k1.p, k1.len, td->multi ? r1.p : NULL,
			    r1.len, ts, after, an);
		}
		break;
	case 'd':
		if (before == NULL) {
			why = "delete without \"before\"";
			break;
		}
		if (row_ident(td, before, bn, &k1, &r1, &why) < 0) {
			/* a delete with the primary key only (PostgreSQL's
			 * REPLICA IDENTITY DEFAULT): find the row by its row key */
			const struct tentry *e;
			if (td->rowkey == NULL || key_of(td->rowkey, before, bn,
			    &r1) < 0)
				break;
			if ((e = table_find_row(td->t, r1.p, r1.len)) == NULL) {
				why = NULL;	/* not there: nothing to delete */
				break;
			}
			buf_reset(&k1);
			buf_puts(&k1, e->key);
			buf_cstr(&k1);
			why = NULL;
		}
		table_del(td->t, k1.p, k1.len, td->multi ? r1.p : NULL, r1.len, ts);
		break;
	case 't':
		table_truncate(td->t, ts);
		break;
	default:
		why = "unknown op";
	}
	if (why == NULL) {
		td->changes++;
		state_gen++;
		if (ts != TABLE_ALWAYS && ts > td->watermark)
			td->watermark = ts;
	}
	return why;
}

/* Apply the complete lines buffered for a table. */
static void
table_lines(struct tdef *td)
{
	char *line;
	size_t len;
	int rc;
	const char *why;

	while ((rc = fdl_next(&td->in, &line, &len)) == FDL_OK ||
	    rc == FDL_TOOLONG) {
		td->lines++;
		if (rc == FDL_OK && end_marker && strcmp(line, end_marker) == 0) {
			td->caught_up = 1;
			continue;
		}
		if (rc == FDL_OK && len == 0)
			continue;
		why = rc == FDL_TOOLONG ? "line too long" : apply_line(td, line, len);
		if (why && !(rc == FDL_OK && fragment(&td->in, line, len))) {
			td->bad++;
			count_bad(td->in.name, td->in.lineno, why, line, len);
		}
	}
	if (rc == FDL_EOF && !td->closed) {
		td->closed = 1;
		td->caught_up = 1;
		fdl_close(&td->in);
	}
}

/* Read and apply all a table has to give now. */
static void
table_drain(struct tdef *td)
{
	long n;

	while (!td->closed) {
		n = fdl_fill(&td->in);
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0)
			die(EX_IOERR, "%s:", td->in.name);
		td->last_input = mono_ms();
		table_lines(td);
		if (n == 0)
			break;
	}
}

static void
drain_all(void)
{
	for (int i = 0; i < ntabs; i++)
		table_drain(&tabs[i]);
}

/* Load a table file again (SIGHUP), replacing its rows once all are read. */
static void
table_reload(struct tdef *td)
{
	struct table *old = td->t;
	unsigned long long bad0 = nbad;

	if (fdl_open(&td->in, td->path, td->path, (size_t)max_line) < 0) {
		weprintf("%s: (keeping table %s as it is)", td->path, td->name);
		return;
	}
	td->closed = 0;
	td->t = table_new(asof_path != NULL, (int)max_versions, history_ms);
	no_skip = 1;	/* the whole file, into a new table */
	while (!td->closed) {
		long n = fdl_fill(&td->in);
		if (n < 0 && errno != EAGAIN) {
			weprintf("%s: (keeping table %s as it was)", td->path,
			    td->name);
			table_free(td->t);
			td->t = old;
			fdl_close(&td->in);
			td->closed = 1;
			no_skip = 0;
			return;
		}
		table_lines(td);
	}
	no_skip = 0;
	state_gen++;
	table_free(old);
	weprintf("%s: table %s reloaded: %zu keys, %llu bad lines", td->path,
	    td->name, table_keys(td->t), nbad - bad0);
}

/* ---- state (--state) ---- */

/*
 * The state file:
 *
 *   enrich-state 1 config=FINGERPRINT saved=TIME tables=N
 *   c "CONFIG"
 *   t "NAME" keys=N rows=N versions=N watermark=MS|-
 *   p "STREAM" KEY {POSITION}
 *   r TS "KEY" "RKEY"|-|= {ROW}|-      (see table.h)
 *   + TS {ROW}|-
 *   ... a t line and its p, r and + lines for each table ...
 *   end LINES CRC32
 *
 * CONFIG says what shapes the tables (their names, keys, row keys, and
 * whether versions are kept); FINGERPRINT is its FNV-1a hash. A state is
 * only loaded into the same configuration.
 */
#define STATE_VERSION 1

static int
tab_cmp(const void *a, const void *b)
{
	return strcmp((*(struct tdef *const *)a)->name,
	    (*(struct tdef *const *)b)->name);
}

static void
config_make(void)
{
	struct tdef **v = xcalloc((size_t)ntabs, sizeof(*v));
	struct buf b;

	buf_init(&b);
	for (int i = 0; i < ntabs; i++)
		v[i] = &tabs[i];
	qsort(v, (size_t)ntabs, sizeof(*v), tab_cmp);
	for (int i = 0; i < ntabs; i++) {
		if (i)
			buf_putc(&b, ' ');
		buf_printf(&b, "%s:key=%s", v[i]->name, v[i]->key_spec);
		if (v[i]->multi && v[i]->rowkey_spec)
			buf_printf(&b, ",row-key=%s", v[i]->rowkey_spec);
		else if (v[i]->multi)
			buf_puts(&b, ",rows-by-text");
	}
	if (asof_path)
		buf_puts(&b, " versions");
	if (vtime_path)
		buf_printf(&b, " version-time=%s", vtime_spec);
	config_desc = xstrdup(buf_cstr(&b));
	config_fp = 14695981039346656037ULL;
	for (const char *p = config_desc; *p; p++) {
		config_fp ^= (unsigned char)*p;
		config_fp *= 1099511628211ULL;
	}
	buf_free(&b);
	free(v);
}

static int
state_emit(void *arg, const char *line, size_t n)
{
	return sf_line(arg, line, n);
}

/* Save the tables and their positions. Returns 0, or -1 after a message. */
static int
state_save(void)
{
	struct state_file f;
	struct buf b;
	char when[32];
	long long t0 = mono_ms();

	if (sf_create(&f, state_path) < 0) {
		weprintf("%s: cannot save the state:", state_path);
		return -1;
	}
	buf_init(&b);
	iso8601_ms(now_ms(), when);
	buf_printf(&b, "enrich-state %d config=%016llx saved=%s tables=%d",
	    STATE_VERSION, config_fp, when, ntabs);
	if (sf_line(&f, b.p, b.len) < 0)
		goto fail;
	buf_reset(&b);
	buf_puts(&b, "c ");
	buf_json_str(&b, config_desc, strlen(config_desc));
	if (sf_line(&f, b.p, b.len) < 0)
		goto fail;
	for (int i = 0; i < ntabs; i++) {
		struct tdef *td = &tabs[i];
		buf_reset(&b);
		buf_puts(&b, "t ");
		buf_json_str(&b, td->name, strlen(td->name));
		buf_printf(&b, " keys=%zu rows=%zu versions=%zu watermark=",
		    table_keys(td->t), table_rows(td->t), table_versions(td->t));
		if (td->watermark == TABLE_ALWAYS)
			buf_putc(&b, '-');
		else
			buf_put_i64(&b, td->watermark);
		if (sf_line(&f, b.p, b.len) < 0)
			goto fail;
		for (int j = 0; j < td->nstreams; j++) {
			struct tstream *st = &td->streams[j];
			if (st->key.len == 0)
				continue;
			buf_reset(&b);
			buf_puts(&b, "p ");
			buf_json_str(&b, st->name, strlen(st->name));
			buf_putc(&b, ' ');
			buf_add(&b, st->key.p, st->key.len);
			buf_putc(&b, ' ');
			buf_add(&b, st->pos.p, st->pos.len);
			if (sf_line(&f, b.p, b.len) < 0)
				goto fail;
		}
		if (table_dump(td->t, &b, state_emit, &f) != 0)
			goto fail;
	}
	if (sf_commit(&f) < 0) {
		weprintf("%s: cannot save the state:", state_path);
		buf_free(&b);
		return -1;
	}
	buf_free(&b);
	saved_gen = state_gen;
	nsaves++;
	if (stats_ms > 0)
		weprintf("%s: state saved: %llu lines, %llu bytes, %lld ms",
		    state_path, f.lineno, f.bytes, mono_ms() - t0);
	return 0;
fail:
	weprintf("%s: cannot save the state:", state_path);
	sf_abort(&f);
	buf_free(&b);
	return -1;
}

static void
state_bad(struct state_file *f, const char *why)
{
	die(EX_DATAERR, "%s:%llu: %s", f->path, f->lineno, why);
}

/* A JSON string at *p followed by a space or the end: its text in b. */
static const char *
state_str(const char **p, const char *end, struct buf *b)
{
	const char *s = *p, *q = s + 1;
	struct jvalid jv;

	if (s >= end || *s != '"')
		return "expected a JSON string";
	while (q < end && *q != '"')
		q += *q == '\\' ? 2 : 1;
	if (q >= end || (q + 1 < end && q[1] != ' '))
		return "unterminated string";
	if (jvalid(s, (size_t)(q + 1 - s), &jv) != JV_STRING)
		return "bad JSON string";
	buf_reset(b);
	jpath_value_text(b, s, (size_t)(q + 1 - s));
	buf_cstr(b);
	*p = q + 1 < end ? q + 2 : end;
	return NULL;
}

/* NAME=N at *p (with its space), as a number. */
static const char *
state_num(const char **p, const char *end, const char *name, long long *v,
    int dash)
{
	size_t n = strlen(name);
	const char *s = *p;
	char *e;

	if ((size_t)(end - s) <= n || memcmp(s, name, n) != 0 || s[n] != '=')
		return "bad table line";
	s += n + 1;
	if (dash && s < end && *s == '-') {
		*v = TABLE_ALWAYS;
		e = (char *)s + 1;
	} else {
		if (s >= end || (*s != '-' && (*s < '0' || *s > '9')))
			return "bad table line";
		errno = 0;
		*v = strtoll(s, &e, 10);
		if (errno || e == s)
			return "bad table line";
	}
	if (e < end && *e != ' ')
		return "bad table line";
	*p = e < end ? e + 1 : end;
	return NULL;
}

/* The counts a table's t line gave, against what its lines made. */
static void
state_check_table(struct state_file *f, struct tdef *td, long long keys,
    long long rows, long long versions, struct table_undump *u)
{
	char why[256];

	if ((long long)u->rows == rows && (long long)u->versions == versions &&
	    (long long)table_keys(td->t) == keys)
		return;
	snprintf(why, sizeof why, "table %s: %zu keys, %zu rows and %zu "
	    "versions, not the %lld, %lld and %lld its t line says", td->name,
	    table_keys(td->t), u->rows, u->versions, keys, rows, versions);
	state_bad(f, why);
}

/* Load the state when its file exists. */
static void
state_load(void)
{
	struct state_file f;
	struct table_undump u;
	struct buf b;
	struct tdef *td = NULL;
	char *line;
	size_t len;
	const char *why, *p, *end;
	long long keys = 0, rows = 0, versions = 0, wm, ver, ntab = -1;
	unsigned long long fp = 0;
	int rc, seen = 0, *done = xcalloc((size_t)ntabs, sizeof(int));
	long long t0 = mono_ms();

	rc = sf_open(&f, state_path, 3 * (size_t)max_line + 65536);
	if (rc == 1) {
		free(done);
		return;
	}
	if (rc < 0)
		die(EX_NOINPUT, "%s:", state_path);
	buf_init(&b);
	table_undump_init(&u);
	while ((rc = sf_next(&f, &line, &len, &why)) == 1) {
		end = line + len;
		if (f.lineno == 1) {
			char saved[64];
			int nf = sscanf(line, "enrich-state %lld config=%llx "
			    "saved=%63s tables=%lld", &ver, &fp, saved, &ntab);
			if (nf < 1 || strncmp(line, "enrich-state ", 13) != 0)
				state_bad(&f, "not an enrich state file");
			if (ver != STATE_VERSION) {
				char m[128];
				snprintf(m, sizeof m, "state format %lld; this "
				    "enrich reads format %d", ver, STATE_VERSION);
				state_bad(&f, m);
			}
			if (nf != 4)
				state_bad(&f, "bad header line");
			continue;
		}
		if (f.lineno == 2) {
			p = line + 2;
			if (len < 2 || memcmp(line, "c ", 2) != 0 ||
			    state_str(&p, end, &b) != NULL || p != end)
				state_bad(&f, "expected the configuration line");
			if (fp != config_fp || strcmp(b.p, config_desc) != 0)
				die(EX_CONFIG, "%s: the state was made with other "
				    "tables or keys (%s), not these (%s): remove "
				    "it to build the tables again from their inputs",
				    state_path, b.p, config_desc);
			continue;
		}
		if (len >= 2 && line[0] == 't' && line[1] == ' ') {
			if (td)
				state_check_table(&f, td, keys, rows, versions, &u);
			p = line + 2;
			if ((why = state_str(&p, end, &b)) != NULL)
				state_bad(&f, why);
			if ((td = tab_find(b.p, b.len)) == NULL ||
			    done[td - tabs])
				state_bad(&f, "a table not configured, or twice");
			done[td - tabs] = 1;
			seen++;
			if ((why = state_num(&p, end, "keys", &keys, 0)) ||
			    (why = state_num(&p, end, "rows", &rows, 0)) ||
			    (why = state_num(&p, end, "versions", &versions, 0)) ||
			    (why = state_num(&p, end, "watermark", &wm, 1)) ||
			    p != end || keys < 0 || rows < 0 || versions < 0)
				state_bad(&f, why ? why : "bad table line");
			td->watermark = wm;
			/* room for the keys, not more than the file can hold (a
			 * row takes at least 12 bytes): a damaged count is found
			 * at the table's end, not by running out of memory */
			table_reserve(td->t, (unsigned long long)keys < f.size / 12 ?
			    (size_t)keys : (size_t)(f.size / 12));
			table_undump_free(&u);
			table_undump_init(&u);
			continue;
		}
		if (td == NULL)
			state_bad(&f, "expected a table line");
		if (len >= 2 && line[0] == 'p' && line[1] == ' ') {
			struct tstream *st;
			const char *k;
			struct jvalid jv;
			p = line + 2;
			if ((why = state_str(&p, end, &b)) != NULL)
				state_bad(&f, why);
			for (k = p; p < end && (isdigit((unsigned char)*p) ||
			    *p == '.'); p++)
				;
			if (p == k || p >= end || *p != ' ' ||
			    jvalid(p + 1, (size_t)(end - p - 1), &jv) != JV_OBJECT)
				state_bad(&f, "bad position line");
			st = stream_get(td, b.p, b.len);
			buf_reset(&st->saved);
			buf_add(&st->saved, k, (size_t)(p - k));
			buf_reset(&st->key);
			buf_add(&st->key, k, (size_t)(p - k));
			buf_reset(&st->pos);
			buf_add(&st->pos, p + 1, (size_t)(end - p - 1));
			continue;
		}
		if ((why = table_undump(td->t, &u, line, len)) != NULL)
			state_bad(&f, why);
	}
	if (rc < 0)
		state_bad(&f, why);
	if (f.lineno < 3)
		state_bad(&f, "truncated: no configuration line");
	if (td)
		state_check_table(&f, td, keys, rows, versions, &u);
	if (seen != ntab || seen != ntabs)
		state_bad(&f, "the end comes before every table");
	table_undump_free(&u);
	buf_free(&b);
	free(done);
	if (stats_ms > 0)
		weprintf("%s: state loaded: %llu lines in %lld ms", state_path,
		    f.lineno, mono_ms() - t0);
	sf_close(&f);
	saved_gen = state_gen;
}

static pid_t saver;		/* a child process saving the state, or 0 */
static unsigned long long saver_gen;

/* Reap the child saving the state, waiting for it when wait is set. */
static void
state_reap(int wait)
{
	pid_t r;
	int st;

	if (saver == 0)
		return;
	do
		r = waitpid(saver, &st, wait ? 0 : WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return;
	if (r == saver && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		saved_gen = saver_gen;
		nsaves++;
	} else if (r == saver && WIFSIGNALED(st)) {
		weprintf("%s: the process saving the state was killed by signal "
		    "%d", state_path, WTERMSIG(st));
	}
	saver = 0;
}

/*
 * Save at the interval when something changed: in a child process, which
 * writes the tables as they were when it was forked (copy-on-write) while
 * this one goes on joining.
 */
static void
state_tick(void)
{
	static long long last;
	long long now = mono_ms();
	pid_t pid, parent;

	if (last == 0)
		last = now;
	state_reap(0);
	if (!state_path || saver || state_gen == saved_gen ||
	    now - last < state_interval_ms)
		return;
	last = now;
	parent = getpid();
	if ((pid = fork()) == 0) {
#ifdef __linux__
		/* a saver outliving its process could replace a newer state */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* the output buffered is the parent's to write, even if an
		 * error here ends the child with exit(3) */
		__fpurge(stdout);
#endif
		if (getppid() != parent)
			_exit(1);
		_exit(state_save() == 0 ? 0 : 1);	/* no stdio flushed */
	}
	if (pid < 0) {
		weprintf("%s: fork: saving in this process:", state_path);
		state_save();
		return;
	}
	saver = pid;
	saver_gen = state_gen;
}

/* ---- events ---- */

/*
 * The members of the event being enriched, found while checking it, so
 * that its fields are looked up without scanning it again. More than
 * EV_MEMBERS: looked up by scanning.
 */
#define EV_MEMBERS 128
static struct jmember evm[EV_MEMBERS];
static size_t evnm;

static enum jv_type
event_check(const char *line, size_t len, struct jvalid *jv)
{
	return jvalid_members(line, len, jv, evm, EV_MEMBERS, &evnm);
}

static int
event_find(struct jpath *p, const char *s, size_t n, const char **v,
    size_t *vn)
{
	if (evnm <= EV_MEMBERS)
		return jpath_find_members(p, s, n, evm, evnm, v, vn);
	return jpath_find(p, s, n, v, vn);
}

static double
field_time(struct jpath *p, const char *s, size_t n)
{
	const char *v;
	size_t vn;
	double t;

	if (p && event_find(p, s, n, &v, &vn) && json_time(v, vn, &t) == 0)
		return t;
	return NAN;
}

/*
 * Append the members of a row's object text (without braces) to out.
 * Rows are stored as the text of a valid object, from its '{' to its '}'.
 */
static void
add_row_members(struct buf *b, const char *text, size_t n, int *first)
{
	size_t s = 1, e = n - 1;

	while (s < e && (text[s] == ' ' || text[s] == '\t' || text[s] == '\r' ||
	    text[s] == '\n'))
		s++;
	if (n < 2 || s == e)
		return;		/* {} */
	buf_add(b, text + s, e - s);
	*first = 0;
}

/* The value of table td for the event, appended to out; 0 on a miss. */
static int
table_value(struct tdef *td, const char *ev, size_t evn, double evtime,
    long long asof, struct buf *b)
{
	const char *v, *text = NULL, *rt;
	size_t vn, tlen = 0, rl;
	const struct tentry *e;
	double best = 0, t;
	int first = 1, nvalid = 0;

	if (!event_find(td->evkey, ev, evn, &v, &vn))
		return 0;
	buf_reset(&kb);
	jpath_value_text(&kb, v, vn);
	if ((e = table_get(td->t, kb.p ? kb.p : "", kb.len)) == NULL)
		return 0;
	if (!td->multi) {
		if ((text = trow_at(td->t, &e->rows[0], asof, &tlen)) == NULL)
			return 0;
	} else {
		for (uint32_t i = 0; i < e->nrows; i++) {
			if ((rt = trow_at(td->t, &e->rows[i], asof, &rl)) == NULL)
				continue;
			nvalid++;
			if (!td->has_pick || (td->where &&
			    !cond_eval(td->where, rt, rl)))
				continue;
			switch (td->pick.mode) {
			case PICK_FIRST:
				if (text == NULL)
					text = rt, tlen = rl;
				break;
			case PICK_LAST:
				text = rt, tlen = rl;
				break;
			default:
				if (!jpath_find(td->pick.by, rt, rl, &v, &vn) ||
				    json_time(v, vn, &t) < 0)
					break;
				if (text == NULL || (td->pick.mode == PICK_LATEST ?
				    t >= best : t < best))
					text = rt, tlen = rl, best = t;
			}
		}
		if (nvalid == 0 || (td->has_pick && text == NULL))
			return 0;
	}
	buf_putc(b, '{');
	if (text)
		add_row_members(b, text, tlen, &first);
	for (int i = 0; i < td->nders; i++) {
		struct summary *s = td->ders[i];
		if (!first)
			buf_putc(b, ',');
		first = 0;
		buf_json_str(b, s->name, strlen(s->name));
		buf_putc(b, ':');
		if (text)
			derive_eval(s, text, tlen, ev, evn, evtime, b);
		else
			buf_puts(b, "null");
	}
	for (int i = 0; i < td->nsums; i++) {
		struct summary *s = td->sums[i];
		struct sacc a;
		summary_start(&a);
		for (uint32_t j = 0; j < e->nrows; j++)
			if ((rt = trow_at(td->t, &e->rows[j], asof, &rl)) != NULL)
				summary_row(s, &a, rt, rl, evtime);
		if (!first)
			buf_putc(b, ',');
		first = 0;
		buf_json_str(b, s->name, strlen(s->name));
		buf_putc(b, ':');
		summary_end(s, &a, evtime, b);
	}
	buf_putc(b, '}');
	return 1;
}

static void
write_out(int force)
{
	if (out.len == 0 || (!force && out.len < (1 << 20)))
		return;
	if (fwrite(out.p, 1, out.len, stdout) != out.len)
		out_check(stdout);
	buf_reset(&out);
	if (force && fflush(stdout) == EOF)
		out_check(stdout);
	out_check(stdout);
}

/* Whether member m of the event is named like a table (and replaced). */
static inline int
named_like_table(const char *line, const struct jmember *m)
{
	const char *k = line + m->ks + 1;
	size_t kl = m->ke - m->ks - 2;

	if (m->esc) {
		static struct buf name;
		buf_reset(&name);
		jpath_value_text(&name, line + m->ks, m->ke - m->ks);
		k = name.p ? name.p : "";
		kl = name.len;
	}
	if (kl < 64 && !(tab_lengths >> kl & 1))
		return 0;	/* no table's name is that long */
	return tab_find(k, kl) != NULL;
}

/*
 * Enrich one event line, already checked to be an object by
 * event_check(), whose members are in evm.
 */
static void
enrich(const char *line, size_t len, long long asof)
{
	/* the event's time, for derived values and summaries only */
	double evtime = need_time ? field_time(time_path, line, len) : NAN;
	int empty = 1, drop = 0;

	if (evnm > EV_MEMBERS) {
		/* very wide: members named like a table found by scanning */
		struct jvalid jv;
		size_t from, to;
		buf_reset(&tmp);
		buf_add(&tmp, line, len);
		for (int i = 0; i < ntabs; i++)
			while (jtext_member_span(tmp.p, tmp.len, tabs[i].name,
			    &from, &to)) {
				memmove(tmp.p + from, tmp.p + to, tmp.len - to);
				tmp.len -= to - from;
			}
		if (jvalid(tmp.p, tmp.len, &jv) != JV_OBJECT)
			die(EX_SOFTWARE, "an event is no longer an object");
		buf_add(&out, tmp.p + jv.start, jv.end - 1 - jv.start);
		empty = jv.empty;
	} else {
		for (size_t j = 0; j < evnm && !drop; j++)
			drop = named_like_table(line, &evm[j]);
		if (!drop) {
			/* the event as written, up to its closing brace */
			size_t b = 0, e = len;
			while (line[b] != '{')
				b++;
			while (line[e - 1] != '}')
				e--;
			buf_add(&out, line + b, e - 1 - b);
			empty = evnm == 0;
		} else {
			buf_putc(&out, '{');
			for (size_t j = 0; j < evnm; j++) {
				if (named_like_table(line, &evm[j]))
					continue;
				if (!empty)
					buf_putc(&out, ',');
				buf_add(&out, line + evm[j].ks,
				    evm[j].ve - evm[j].ks);
				empty = 0;
			}
		}
	}
	for (int i = 0; i < ntabs; i++) {
		struct tdef *td = &tabs[i];
		size_t mark = out.len;
		if (!empty)
			buf_putc(&out, ',');
		buf_add(&out, td->jname.p, td->jname.len);
		/* the value written in place, taken back on a miss */
		if (!table_value(td, line, len, evtime, asof, &out)) {
			nmiss++;
			if (miss_omit) {
				out.len = mark;
				continue;
			}
			out.len = mark;
			if (!empty)
				buf_putc(&out, ',');
			buf_add(&out, td->jname.p, td->jname.len);
			buf_puts(&out, "null");
		}
		empty = 0;
	}
	buf_puts(&out, "}\n");
	nout++;
	write_out(unbuffered);
}

/*
 * Prefetching for the join. With a large table each event's lookup
 * misses the cache three times in a row (the key's slot, its entry's rows,
 * the row's text), and the event waits for each. The events read but not
 * yet enriched are in the input buffer: for those up to PF_AHEAD lines
 * ahead, the key is found by a quick scan (a top-level
 * "name": followed by a plain string or number, the first found: a hint
 * only, the lookup itself is exact) and hashed, and the tables' memory for
 * it asked for one step every PF_STEP lines, so that it is in the cache
 * when the line's turn comes. A table of fewer than PF_KEYS_MIN keys
 * stays in the cache, and the scan would only cost time.
 */
#define PF_STEP 6
#define PF_AHEAD (3 * PF_STEP)
#define PF_RING 32		/* a power of two above PF_AHEAD */
#define PF_KEYS 4		/* distinct keys followed */
#define PF_KEYS_MIN 65536	/* a smaller table stays in the cache */

struct pfq {
	char *needle[PF_KEYS];	/* "\"name\":" */
	size_t needlen[PF_KEYS];
	int nkeys;
	uint32_t hash[PF_RING][PF_KEYS];	/* 0: no key found */
	unsigned long long seq;	/* the number of the line being taken */
	size_t n, off;		/* lines hashed ahead, and their bytes */
	int on;			/* a table is large enough to need it */
};
static struct pfq pf_events;

/* Key spec k followed by q: its index, or -1 for one it cannot follow. */
static int
pf_add(struct pfq *q, const char *k)
{
	size_t kl;
	int j;

	/* path syntax (jpath.h), or a '"' that the key's JSON escapes */
	if (k == NULL || k[0] == '\0' || strpbrk(k, ".,\\\"") != NULL)
		return -1;	/* not one top-level member */
	kl = strlen(k);
	for (j = 0; j < q->nkeys; j++)
		if (q->needlen[j] == kl + 3 && memcmp(q->needle[j] + 1, k, kl) == 0)
			return j;
	if (q->nkeys == PF_KEYS)
		return -1;
	q->needle[j] = xasprintf("\"%s\":", k);
	q->needlen[j] = kl + 3;
	q->nkeys++;
	return j;
}

static void
pf_setup(void)
{
	for (int i = 0; i < ntabs; i++)
		tabs[i].pf_key = pf_add(&pf_events, jpath_spec(tabs[i].evkey));
}

static void
pf_free(struct pfq *q)
{
	for (int j = 0; j < q->nkeys; j++)
		free(q->needle[j]);
}

/*
 * The first needle nd (k >= 2 bytes) in s[0..n), or NULL: the places where
 * its first and its last bytes are, 16 at a time, then the bytes between.
 */
static const char *
pf_find(const char *s, size_t n, const char *nd, size_t k)
{
	const __m128i f = _mm_set1_epi8(nd[0]), l = _mm_set1_epi8(nd[k - 1]);
	size_t i = 0;

	for (; i + 15 + k <= n; i += 16) {
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		__m128i b = _mm_loadu_si128((const __m128i *)(const void *)
		    (s + i + k - 1));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_and_si128(
		    _mm_cmpeq_epi8(a, f), _mm_cmpeq_epi8(b, l)));

		for (; m; m &= m - 1) {
			size_t j = i + (size_t)__builtin_ctz(m);
			if (memcmp(s + j + 1, nd + 1, k - 2) == 0)
				return s + j;
		}
	}
	for (; i + k <= n; i++)
		if (s[i] == nd[0] && memcmp(s + i + 1, nd + 1, k - 1) == 0)
			return s + i;
	return NULL;
}

/* The hash of the value of q's key j in line s[0..n), or 0. */
static uint32_t
pf_key_hash(const struct pfq *q, const char *s, size_t n, int j)
{
	const char *p = pf_find(s, n, q->needle[j], q->needlen[j]), *e = s + n;
	const char *v;

	if (p == NULL)
		return 0;
	for (p += q->needlen[j]; p < e && (*p == ' ' || *p == '\t'); p++)
		;
	if (p < e && *p == '"') {
		for (v = ++p; p < e && *p != '"' && *p != '\\'; p++)
			;
		if (p == e || *p == '\\')
			return 0;
	} else {
		for (v = p; p < e && ((*p >= '0' && *p <= '9') || *p == '-'); p++)
			;
	}
	return p > v ? table_hash(v, (size_t)(p - v)) : 0;
}

/*
 * Before the line just returned by fdl_next() from f (n bytes; whole: not
 * cut for its length) is taken: the lines after it hashed, and the memory
 * of the ones PF_STEP, 2 PF_STEP and 3 PF_STEP ahead asked for.
 */
static void
pf_next(struct pfq *q, const struct fdlines *f, size_t n, int whole)
{
	if (q->seq++ % 4096 == 0) {
		q->on = 0;
		for (int i = 0; i < ntabs; i++)
			if (tabs[i].pf_key >= 0 && table_keys(tabs[i].t) >= PF_KEYS_MIN)
				q->on = 1;
	}
	if (!q->on) {
		q->n = q->off = 0;
		return;
	}
	if (q->n > 0 && whole) {
		q->n--;
		q->off -= n + 1;
	} else {
		q->n = 0;
		q->off = 0;
	}
	if (q->off > f->len - f->start)
		q->n = q->off = 0;	/* the input was opened again */
	while (q->n < PF_AHEAD) {
		const char *s = f->buf + f->start + q->off;
		const char *nl = memchr(s, '\n', f->len - f->start - q->off);
		uint32_t *h = q->hash[(q->seq + q->n + 1) % PF_RING];

		if (nl == NULL)
			break;
		for (int j = 0; j < q->nkeys; j++)
			h[j] = pf_key_hash(q, s, (size_t)(nl - s), j);
		q->off += (size_t)(nl - s) + 1;
		q->n++;
	}
	for (int step = 1; step <= 3; step++) {
		size_t ahead = (size_t)(4 - step) * PF_STEP;
		const uint32_t *h = q->hash[(q->seq + ahead) % PF_RING];

		if (q->n < ahead)
			continue;
		for (int i = 0; i < ntabs; i++)
			if (tabs[i].pf_key >= 0 && h[tabs[i].pf_key])
				table_prefetch(tabs[i].t, h[tabs[i].pf_key], step);
	}
}

/* events held in --as-of mode until the tables have caught up with them */
struct held {
	char *line;
	size_t len;
	long long asof;
};
static struct held *hq;
static size_t hq_head, hq_n, hq_cap;

static long long
event_asof(const char *line, size_t len)
{
	double t = field_time(asof_path, line, len);

	if (isnan(t))
		return TABLE_LATEST;
	return (long long)llround(t * 1000.0);
}

/* The time up to which every table is known: its greatest source time, or
 * no bound once it has caught up and is quiet, or has ended. */
static long long
tables_known(void)
{
	long long m = TABLE_LATEST, now = mono_ms();

	for (int i = 0; i < ntabs; i++) {
		struct tdef *td = &tabs[i];
		if (td->closed || (td->caught_up &&
		    now - td->last_input >= quiet_ms))
			continue;
		if (td->watermark < m)
			m = td->watermark;
	}
	return m;
}

static void
release(int all)
{
	long long known = hq_n ? tables_known() : 0;

	while (hq_n) {
		struct held *h = &hq[hq_head];
		if (!all && h->asof != TABLE_LATEST && h->asof > known &&
		    hq_n <= (size_t)max_held)
			break;
		if (!all && hq_n > (size_t)max_held)
			nforced++;
		struct jvalid jv;
		if (event_check(h->line, h->len, &jv) != JV_OBJECT)
			die(EX_SOFTWARE, "a held event is no longer an object");
		enrich(h->line, h->len, h->asof);
		free(h->line);
		hq_head = (hq_head + 1) % hq_cap;
		hq_n--;
	}
}

static void
hold(const char *line, size_t len, long long asof)
{
	if (hq_n == hq_cap) {
		size_t ncap = hq_cap ? hq_cap * 2 : 1024;
		struct held *n = xcalloc(ncap, sizeof(*n));
		for (size_t i = 0; i < hq_n; i++)
			n[i] = hq[(hq_head + i) % hq_cap];
		free(hq);
		hq = n;
		hq_cap = ncap;
		hq_head = 0;
	}
	hq[(hq_head + hq_n) % hq_cap] = (struct held){ xstrndup(line, len), len,
	    asof };
	hq_n++;
}

static void
event_line(struct fdlines *in, char *line, size_t len, int rc)
{
	struct jvalid jv;

	nevents++;
	if (rc == FDL_TOOLONG) {
		count_bad(in->name, in->lineno, "line too long", line, len);
		return;
	}
	if (len == 0)
		return;
	if (event_check(line, len, &jv) != JV_OBJECT) {
		char why[160];
		if (fragment(in, line, len))
			return;
		if (jv.type == JV_INVALID)
			snprintf(why, sizeof why, "not JSON: %s at byte %zu",
			    jv.err ? jv.err : "invalid", jv.err_off + 1);
		else
			snprintf(why, sizeof why, "not a JSON object (%s)",
			    jv_type_name(jv.type));
		count_bad(in->name, in->lineno, why, line, len);
		return;
	}
	if (asof_path) {
		long long t = event_asof(line, len);
		if (hq_n || (t != TABLE_LATEST && t > tables_known())) {
			hold(line, len, t);
			release(0);
			return;
		}
		enrich(line, len, t);
	} else {
		enrich(line, len, TABLE_LATEST);
	}
}

/* ---- statistics ---- */

static void
stats(void)
{
	int n = 0, cap = 13 + 3 * ntabs;
	struct metric *m = xcalloc((size_t)cap, sizeof(*m));
	unsigned long long tl = 0, tc = 0, tsk = 0;
	size_t keys = 0, versions = 0;

	for (int i = 0; i < ntabs; i++) {
		tl += tabs[i].lines;
		tc += tabs[i].changes;
		tsk += tabs[i].skipped;
		keys += table_keys(tabs[i].t);
		versions += table_versions(tabs[i].t);
	}
	m[n++] = (struct metric){ "events_in", "event lines read", STAT_COUNTER, nevents };
	m[n++] = (struct metric){ "events_out", "events written", STAT_COUNTER, nout };
	m[n++] = (struct metric){ "rejected", "bad lines (events and tables)", STAT_COUNTER, nbad };
	m[n++] = (struct metric){ "fragments", "last lines of a pipe cut short by its writer", STAT_COUNTER, nfrag };
	m[n++] = (struct metric){ "misses", "tables without a row for an event", STAT_COUNTER, nmiss };
	m[n++] = (struct metric){ "table_lines", "table lines read", STAT_COUNTER, tl };
	m[n++] = (struct metric){ "table_changes", "table changes applied", STAT_COUNTER, tc };
	m[n++] = (struct metric){ "table_skipped", "table lines the state already held (--state)", STAT_COUNTER, tsk };
	m[n++] = (struct metric){ "keys", "keys stored in all tables", STAT_GAUGE, keys };
	m[n++] = (struct metric){ "versions", "row versions stored", STAT_GAUGE, versions };
	m[n++] = (struct metric){ "held", "events waiting for tables (--as-of)", STAT_GAUGE, hq_n };
	m[n++] = (struct metric){ "forced", "events released past --max-held", STAT_COUNTER, nforced };
	m[n++] = (struct metric){ "state_saves", "state files written (--state)", STAT_COUNTER, nsaves };
	for (int i = 0; i < ntabs; i++) {
		m[n++] = (struct metric){ tabs[i].m_keys, "keys stored in the table",
		    STAT_GAUGE, table_keys(tabs[i].t) };
		m[n++] = (struct metric){ tabs[i].m_skipped, "table lines the state "
		    "already held", STAT_COUNTER, tabs[i].skipped };
		m[n++] = (struct metric){ tabs[i].m_changes, "changes applied to the table",
		    STAT_COUNTER, tabs[i].changes };
	}
	stats_print("enrich", m, n);
	if (stats_file && stats_write_prom(stats_file, "enrich", m, n) < 0)
		weprintf("%s:", stats_file);
	free(m);
}

/* ---- options ---- */

enum {
	O_DERIVE = 256, O_END_MARKER, O_EVENT_KEY, O_HISTORY, O_MAX_HELD,
	O_MAX_LINE, O_MAX_VERSIONS, O_MISS, O_PICK, O_ROW_KEY,
	O_START_TIMEOUT, O_STATE, O_STATE_INTERVAL, O_STATS, O_STATS_FILE,
	O_VERSION_TIME, O_WHERE
};

static const struct option longopts[] = {
	{ "as-of", required_argument, NULL, 'a' },
	{ "config", required_argument, NULL, 'C' },
	{ "dead-letter", required_argument, NULL, 'd' },
	{ "derive", required_argument, NULL, O_DERIVE },
	{ "end-marker", required_argument, NULL, O_END_MARKER },
	{ "event-key", required_argument, NULL, O_EVENT_KEY },
	{ "help", no_argument, NULL, 'h' },
	{ "history", required_argument, NULL, O_HISTORY },
	{ "key", required_argument, NULL, 'k' },
	{ "max-errors", required_argument, NULL, 'e' },
	{ "max-held", required_argument, NULL, O_MAX_HELD },
	{ "max-line", required_argument, NULL, O_MAX_LINE },
	{ "max-versions", required_argument, NULL, O_MAX_VERSIONS },
	{ "miss", required_argument, NULL, O_MISS },
	{ "pick", required_argument, NULL, O_PICK },
	{ "quiet", required_argument, NULL, 'q' },
	{ "row-key", required_argument, NULL, O_ROW_KEY },
	{ "start-timeout", required_argument, NULL, O_START_TIMEOUT },
	{ "state", required_argument, NULL, O_STATE },
	{ "state-interval", required_argument, NULL, O_STATE_INTERVAL },
	{ "stats", required_argument, NULL, O_STATS },
	{ "stats-file", required_argument, NULL, O_STATS_FILE },
	{ "summary", required_argument, NULL, 's' },
	{ "table", required_argument, NULL, 'T' },
	{ "time", required_argument, NULL, 't' },
	{ "unbuffered", no_argument, NULL, 'u' },
	{ "version", no_argument, NULL, 'V' },
	{ "version-time", required_argument, NULL, O_VERSION_TIME },
	{ "where", required_argument, NULL, O_WHERE },
	{ NULL, 0, NULL, 0 }
};

static long long
dur_arg(const char *opt, const char *arg)
{
	long long v = parse_duration_ms(arg);

	if (v < 0)
		die(EX_USAGE, "bad --%s: %s", opt, arg);
	return v;
}

static long long
count_arg(const char *opt, const char *arg)
{
	long long v = parse_count(arg);

	if (v < 0)
		die(EX_USAGE, "bad --%s: %s", opt, arg);
	return v;
}

static void read_config(const char *path);

static void
option(int c, const char *arg)
{
	switch (c) {
	case 'a': asof_spec = xstrdup(arg); break;
	case 'C': read_config(arg); break;
	case 'd': dl_path = xstrdup(arg); break;
	case 'e': max_errors = count_arg("max-errors", arg); break;
	case 'h': help(); break;
	case 'q': quiet_ms = dur_arg("quiet", arg); break;
	case 't': time_spec = xstrdup(arg); break;
	case 'u': unbuffered = 1; break;
	case 'V': printf("enrich %s\n", TP_VERSION); exit(0);
	case O_END_MARKER: end_marker = xstrdup(arg); break;
	case O_HISTORY: history_ms = dur_arg("history", arg); break;
	case O_MAX_HELD: max_held = count_arg("max-held", arg); break;
	case O_MAX_LINE:
		if ((max_line = parse_size(arg)) <= 0)
			die(EX_USAGE, "bad --max-line: %s", arg);
		break;
	case O_MAX_VERSIONS:
		if ((max_versions = count_arg("max-versions", arg)) == 0)
			die(EX_USAGE, "bad --max-versions: %s", arg);
		break;
	case O_MISS:
		if (strcmp(arg, "null") == 0)
			miss_omit = 0;
		else if (strcmp(arg, "omit") == 0)
			miss_omit = 1;
		else
			die(EX_USAGE, "bad --miss: %s (null or omit)", arg);
		break;
	case O_START_TIMEOUT: start_timeout_ms = dur_arg("start-timeout", arg); break;
	case O_STATE: state_path = xstrdup(arg); break;
	case O_STATE_INTERVAL:
		if ((state_interval_ms = dur_arg("state-interval", arg)) == 0)
			die(EX_USAGE, "bad --state-interval: %s", arg);
		break;
	case O_STATS: stats_ms = dur_arg("stats", arg); break;
	case O_STATS_FILE: stats_file = xstrdup(arg); break;
	case O_VERSION_TIME: vtime_spec = xstrdup(arg); break;
	case 'T': case 'k': case 's': case O_DERIVE: case O_EVENT_KEY:
	case O_PICK: case O_ROW_KEY: case O_WHERE:
		nvs = xrealloc(nvs, (size_t)(nnv + 1) * sizeof(*nvs));
		nvs[nnv].opt = c;
		nvs[nnv].arg = xstrdup(arg);
		nnv++;
		break;
	default:
		usage();
	}
}

/* A config file: "option value" a line (long option names), # comments. */
static void
read_config(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned lineno = 0;
	static int depth;

	if (fp == NULL)
		die(EX_NOINPUT, "%s:", path);
	if (++depth > 8)
		die(EX_CONFIG, "%s: config files include each other", path);
	while ((n = getline(&line, &cap, fp)) >= 0) {
		char *s = line, *name, *val;
		const struct option *o;

		lineno++;
		while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' ||
		    s[n - 1] == ' ' || s[n - 1] == '\t'))
			s[--n] = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			continue;
		name = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		if (*s)
			*s++ = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		val = s;
		for (o = longopts; o->name; o++)
			if (strcmp(o->name, name) == 0)
				break;
		if (o->name == NULL || strcmp(name, "help") == 0 || strcmp(name, "version") == 0)
			die(EX_CONFIG, "%s:%u: unknown option %s", path, lineno, name);
		if (o->has_arg == required_argument && *val == '\0')
			die(EX_CONFIG, "%s:%u: %s needs a value", path, lineno, name);
		if (o->has_arg == no_argument && *val != '\0')
			die(EX_CONFIG, "%s:%u: %s takes no value", path, lineno, name);
		option(o->val, val);
	}
	if (ferror(fp))
		die(EX_IOERR, "%s:", path);
	depth--;
	free(line);
	fclose(fp);
}

static struct jpath *
path_arg(const char *what, const char *spec)
{
	char err[256];
	struct jpath *p = jpath_parse(spec, err, sizeof err);

	if (p == NULL)
		die(EX_USAGE, "bad %s %s: %s", what, spec, err);
	return p;
}

/* Build the tables from the options. */
static void
setup(void)
{
	char err[512];

	for (int i = 0; i < nnv; i++) {
		char *a = nvs[i].arg, *eq = strchr(a, '=');
		struct tdef *td;

		if (nvs[i].opt != 'T')
			continue;
		if (eq == NULL || eq == a || eq[1] == '\0')
			die(EX_USAGE, "bad --table %s: expected NAME=PATH", a);
		if (tab_find(a, (size_t)(eq - a)))
			die(EX_USAGE, "table %.*s given twice", (int)(eq - a), a);
		tabs = xrealloc(tabs, (size_t)(ntabs + 1) * sizeof(*tabs));
		td = &tabs[ntabs++];
		memset(td, 0, sizeof(*td));
		td->name = xstrndup(a, (size_t)(eq - a));
		td->namelen = strlen(td->name);
		buf_init(&td->jname);
		buf_json_str(&td->jname, td->name, td->namelen);
		buf_putc(&td->jname, ':');
		if (td->namelen < 64)
			tab_lengths |= 1ULL << td->namelen;
		td->path = xstrdup(eq + 1);
		td->key_spec = "customer_id";
	}
	if (ntabs == 0) {
		weprintf("no table (--table NAME=PATH)");
		usage();
	}
	for (int i = 0; i < nnv; i++) {
		char *a = nvs[i].arg, *eq = strchr(a, '=');
		struct tdef *td;
		struct summary *s;
		int derive = nvs[i].opt == O_DERIVE;

		if (nvs[i].opt == 'T')
			continue;
		if (nvs[i].opt == 's' || derive) {
			if ((s = summary_parse(a, derive, err, sizeof err)) == NULL)
				die(EX_USAGE, "bad --%s %s", derive ? "derive" :
				    "summary", err);
			if ((td = tab_find(s->table, strlen(s->table))) == NULL)
				die(EX_USAGE, "--%s %s: no --table %s",
				    derive ? "derive" : "summary", a, s->table);
			if (derive) {
				td->ders = xrealloc(td->ders, (size_t)(td->nders + 1) *
				    sizeof(*td->ders));
				td->ders[td->nders++] = s;
			} else {
				td->sums = xrealloc(td->sums, (size_t)(td->nsums + 1) *
				    sizeof(*td->sums));
				td->sums[td->nsums++] = s;
			}
			continue;
		}
		if (eq == NULL || eq == a || eq[1] == '\0')
			die(EX_USAGE, "bad option %s: expected NAME=VALUE", a);
		if ((td = tab_find(a, (size_t)(eq - a))) == NULL)
			die(EX_USAGE, "%s: no --table %.*s", a, (int)(eq - a), a);
		switch (nvs[i].opt) {
		case 'k': td->key_spec = eq + 1; break;
		case O_EVENT_KEY: td->evkey_spec = eq + 1; break;
		case O_ROW_KEY: td->rowkey_spec = eq + 1; break;
		case O_PICK: td->pick_spec = eq + 1; break;
		case O_WHERE: td->where_spec = eq + 1; break;
		}
	}
	time_path = path_arg("--time", time_spec ? time_spec :
	    "start_time,event_time");
	if (asof_spec)
		asof_path = path_arg("--as-of", asof_spec);
	if (vtime_spec && asof_path == NULL)
		die(EX_USAGE, "--version-time needs --as-of");
	if (vtime_spec)
		vtime_path = path_arg("--version-time", vtime_spec);
	for (int i = 0; i < ntabs; i++) {
		struct tdef *td = &tabs[i];
		td->key = path_arg("--key", td->key_spec);
		td->evkey = path_arg("--event-key", td->evkey_spec ?
		    td->evkey_spec : td->key_spec);
		if (td->rowkey_spec)
			td->rowkey = path_arg("--row-key", td->rowkey_spec);
		if (td->pick_spec) {
			if (pick_parse(&td->pick, td->pick_spec, err, sizeof err) < 0)
				die(EX_USAGE, "bad --pick %s=%s", td->name, err);
			td->has_pick = 1;
		}
		if (td->where_spec) {
			if ((td->where = cond_parse(td->where_spec, err,
			    sizeof err)) == NULL)
				die(EX_USAGE, "bad --where %s=%s: %s", td->name,
				    td->where_spec, err);
			if (!td->has_pick)
				die(EX_USAGE, "--where %s needs --pick %s", td->name,
				    td->name);
		}
		td->multi = td->rowkey || td->has_pick || td->nsums > 0;
		if (td->nders > 0 || td->nsums > 0)
			need_time = 1;
		if (td->multi && td->rowkey == NULL)
			weprintf("table %s: no --row-key: rows are named by their "
			    "text, so an update without its before image adds a row",
			    td->name);
		if (td->multi && !td->has_pick && td->nders > 0)
			die(EX_USAGE, "--derive %s.%s: table %s has many rows per "
			    "key and no --pick", td->name, td->ders[0]->name, td->name);
		td->t = table_new(asof_path != NULL, (int)max_versions, history_ms);
		td->watermark = TABLE_ALWAYS;
		td->m_keys = xasprintf("table_%s_keys", td->name);
		td->m_changes = xasprintf("table_%s_changes", td->name);
		td->m_skipped = xasprintf("table_%s_skipped", td->name);
		for (char *p = td->m_keys; *p; p++)	/* Prometheus names */
			if (!isalnum((unsigned char)*p) && *p != '_')
				*p = '_';
		for (char *p = td->m_changes; *p; p++)
			if (!isalnum((unsigned char)*p) && *p != '_')
				*p = '_';
		for (char *p = td->m_skipped; *p; p++)
			if (!isalnum((unsigned char)*p) && *p != '_')
				*p = '_';
	}
	config_make();
}

/* ---- main loop ---- */

static void
handle_signals(void)
{
	if (got_usr1) {
		got_usr1 = 0;
		stats();
	}
	if (got_hup) {
		got_hup = 0;
		for (int i = 0; i < ntabs; i++)
			if (tabs[i].in.regular)
				table_reload(&tabs[i]);
	}
}

static int
all_caught_up(void)
{
	long long now = mono_ms();
	int all = 1;

	for (int i = 0; i < ntabs; i++) {
		struct tdef *td = &tabs[i];
		/* with --end-marker a table has caught up when it says so */
		if (!td->caught_up && !td->in.regular && end_marker == NULL &&
		    now - td->last_input >= quiet_ms)
			td->caught_up = 1;
		if (!td->caught_up)
			all = 0;
	}
	return all;
}

/* Poll the open tables (and stdin when in); returns poll's result. */
static int
wait_input(struct fdlines *in, int want_in, int timeout)
{
	struct pollfd *pf = xcalloc((size_t)ntabs + 1, sizeof(*pf));
	int n = 0, rc;

	if (want_in)
		pf[n++] = (struct pollfd){ .fd = in->fd, .events = POLLIN };
	for (int i = 0; i < ntabs; i++)
		if (!tabs[i].closed && !tabs[i].in.regular)
			pf[n++] = (struct pollfd){ .fd = tabs[i].in.fd,
			    .events = POLLIN };
	if (n == 0 && timeout < 0)
		timeout = 1000;
	/* the signals are blocked from the look at their flags until ppoll
	 * waits: one that comes in between ends the wait instead of being
	 * seen only after it */
	sigset_t sigs, old;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	sigprocmask(SIG_BLOCK, &sigs, &old);
	if (got_stop || got_hup || got_usr1) {
		rc = -1;
		errno = EINTR;
	} else {
		struct timespec ts = { timeout / 1000, (timeout % 1000) * 1000000L };
		rc = ppoll(pf, (nfds_t)n, timeout < 0 ? NULL : &ts, &old);
	}
	int e = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = e;
	if (rc < 0 && errno != EINTR)
		die(EX_OSERR, "ppoll:");
	free(pf);
	return rc;
}

int
main(int argc, char **argv)
{
	struct fdlines in;
	const char *inpath = "-";
	int c;

	setprogname(argv[0]);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	while ((c = getopt_long(argc, argv, "a:C:d:e:hk:q:s:T:t:uV", longopts,
	    NULL)) != -1)
		option(c, optarg);
	argc -= optind;
	argv += optind;
	if (argc > 1)
		usage();
	if (argc == 1)
		inpath = argv[0];
	setup();
	pf_setup();
	paths_init();

	/* open everything first */
	for (int i = 0; i < ntabs; i++)
		if (fdl_open(&tabs[i].in, tabs[i].path, NULL, (size_t)max_line) < 0)
			die(EX_NOINPUT, "%s:", tabs[i].path);
	if (dl_path && (dl = fopen(dl_path, "a")) == NULL)
		die(EX_CANTCREAT, "%s:", dl_path);
	if (state_path) {
		struct state_file sf;
		if (sf_create(&sf, state_path) < 0)
			die(EX_CANTCREAT, "%s: cannot write the state beside it:",
			    state_path);
		sf_abort(&sf);
		state_load();
	}

	if (!unbuffered && isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOLBF, 0);
	else
		setvbuf(stdout, NULL, _IONBF, 0);	/* out is the buffer */
	buf_init(&out);

	/* start-up: every table caught up before the first event */
	long long t0 = mono_ms(), last_stats = t0;
	for (int i = 0; i < ntabs; i++)
		tabs[i].last_input = t0;
	while (!got_stop) {
		drain_all();
		handle_signals();
		if (all_caught_up())
			break;
		if (start_timeout_ms > 0 && mono_ms() - t0 >= start_timeout_ms) {
			for (int i = 0; i < ntabs; i++)
				if (!tabs[i].caught_up)
					weprintf("%s: table %s not caught up after "
					    "--start-timeout; starting", tabs[i].path,
					    tabs[i].name);
			break;
		}
		if (stats_ms > 0 && stats_due(&last_stats, stats_ms))
			stats();
		state_tick();
		wait_input(NULL, 0, 100);
	}

	if (fdl_open(&in, inpath, inpath[0] == '-' && !inpath[1] ? "<stdin>" :
	    inpath, (size_t)max_line) < 0)
		die(EX_NOINPUT, "%s:", inpath);
	/* every event comes out longer than it came in: fewer, larger
	 * transfers through a pipe */
	pipe_widen(STDOUT_FILENO);
	for (;;) {
		char *line;
		size_t len;
		int rc, want_in, timeout = -1;
		long n = 0;

		handle_signals();
		if (stats_ms > 0 && stats_due(&last_stats, stats_ms))
			stats();
		if (got_stop)
			break;
		state_tick();
		if (hq_n)
			release(0);
		if (in.eof && hq_n == 0)
			break;
		want_in = !in.eof && hq_n <= (size_t)max_held;
		if (hq_n)
			timeout = 100;	/* tables may become quiet */
		if (stats_ms > 0 && (timeout < 0 || stats_ms < timeout))
			timeout = (int)(stats_ms < 1000 ? stats_ms : 1000);
		if (state_path && state_gen != saved_gen && (timeout < 0 ||
		    timeout > 1000))
			timeout = (int)(state_interval_ms < 1000 ?
			    state_interval_ms : 1000);
		/* all written before waiting for input; a regular file is
		 * read on without waiting */
		write_out(!in.regular || !want_in);
		if (!in.regular || !want_in) {
			if (wait_input(&in, want_in, timeout) < 0)
				continue;	/* a signal */
		}
		/* the event input first, then the tables, then the events:
		 * a table line written before an event was read is applied
		 * before the event */
		if (want_in) {
			n = fdl_fill(&in);
			if (n < 0 && errno != EAGAIN) {
				weprintf("%s:", in.name);
				status = EX_IOERR;
				break;
			}
		}
		drain_all();
		while (!got_stop && ((rc = fdl_next(&in, &line, &len)) == FDL_OK ||
		    rc == FDL_TOOLONG)) {
			if (pf_events.nkeys)
				pf_next(&pf_events, &in, len, rc == FDL_OK);
			event_line(&in, line, len, rc);
		}
	}
	release(1);
	write_out(1);
	state_reap(1);
	if (state_path && (state_gen != saved_gen || access(state_path, F_OK) != 0) &&
	    state_save() < 0 && status == 0)
		status = EX_IOERR;
	if (stats_ms > 0 || stats_file)
		stats();
	fdl_close(&in);
	for (int i = 0; i < ntabs; i++) {
		fdl_close(&tabs[i].in);
		table_free(tabs[i].t);
	}
	pf_free(&pf_events);
	if (dl && fclose(dl) == EOF && status == 0) {
		weprintf("%s:", dl_path);
		status = EX_IOERR;
	}
	if (fshut(stdout, "standard output") && status == 0)
		status = EX_IOERR;
	return status;
}
