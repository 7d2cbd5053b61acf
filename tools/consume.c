/*
 * consume: read Kafka topics, write each record's value as one JSON line.
 *
 * Without -G the partitions are read directly (kcat -C); with -G the
 * topics are shared by a consumer group, and the offset of a record is
 * stored for the group's commit only once its line was flushed to stdout.
 */
#include "buf.h"
#include "jvalid.h"
#include "kconf.h"
#include "registry.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define FLUSH_MS	100	/* flush and store at least this often */
#define WAIT_MS		100	/* longest wait for a message */
/*
 * With -e, how long the broker may hold a fetch that finds nothing: the
 * end of the partition read last is only known when such a fetch returns
 * (librdkafka's default, 500 ms, is that much added to every -e run).
 */
#define EOF_WAIT_MS	"100"

enum start_kind {
	START_DEFAULT, START_BEGINNING, START_END, START_STORED,
	START_OFFSET, START_TAIL, START_TIME
};

struct part {
	char *topic;
	int32_t partition;
	int64_t written;	/* offset of the last record written, -1 none */
	int64_t stored;		/* offset stored for the commit, -1 none */
	int eof;		/* at the end since the last record */
	int stopped;		/* reached the -o e@ timestamp */
	int reached;		/* its end came once since assignment */
	const rd_kafka_topic_t *seen;	/* the handle its records come with */
	char *prefix;		/* JSON up to the offset, for -m and -J */
	size_t prefixlen;
	/* --time-order: records read and not yet written, in offset order */
	rd_kafka_message_t **q;
	size_t qh, qn, qcap;
	int caught;		/* its end was reached when the queue emptied */
	int heard;		/* a record or its end came since assignment */
	int64_t taken;		/* offset of the last record queued, -1 none */
	long long empty_since;	/* when its queue last became empty (ms) */
};

/* options */
static const char *group;
static enum start_kind start = START_DEFAULT;
static int64_t start_val = 0;
static int64_t stop_ts = -1;
static int32_t only_partition = -1;
static long long limit;
static long long timeout_ms = -1;
static long long stats_ms;
static int exit_eof, meta, kjson, unbuffered, verbose;

/* state */
static volatile sig_atomic_t stop_sig, stats_sig;
static rd_kafka_t *consumer;	/* for the callbacks without a handle */
static struct part *parts;
static size_t nparts, capparts, lastpart;
static struct buf ob, sb;	/* a record's pieces; a stats line */
static int dirty;		/* written since the last flush */
static int out_failed;
static int done;		/* -c, -e or e@ reached */
static int status;		/* exit status */
static unsigned long long nmsgs, nbytes, nerrors, last_nmsgs;
static unsigned long long drain_msgs, drain_bytes; /* when last emptied */
static unsigned long long wake_msgs = 50000, wake_bytes = 32 << 20;
static long long down_since, last_probe, last_stats, last_flush;
static int last_err;		/* the error last reported, until progress */
static char *last_err_where;
static int log_level = LOG_WARNING;
static const char *resume_path;	/* --resume: a sink's checkpoint */
static int time_order;		/* --time-order */
static long long max_idle_ms = 500;	/* --max-idle */
static size_t nheld;		/* records in the partitions' queues */
static const char *end_marker;	/* --end-marker */
static int marker_sent;
#define MAX_HELD 100000		/* past that many, the oldest goes out */

/* -s avro: values (and keys) in Confluent's Avro framing */
static int avro_value, avro_key, avro_strict;
static const char *registry_url;
static struct registry *reg;
static struct buf avb, akb;	/* a record's value and key as JSON */
static const struct buf *avro_keyjson;	/* the key, when decoded */
static const char *dl_path;	/* --dead-letter */
static FILE *dl;
static int dl_dirty;
static long long max_errors = -1;
static unsigned long long nbad;

static void
usage(FILE *fp, int code)
{
	fprintf(fp,
	    "usage: consume [-eJmquv] -b brokers [-c count] [-F file] [-G group]\n"
	    "               [-o offset] [-p partition] [-r url] [-s [key=|value=]avro]\n"
	    "               [-X prop=val] [--avro-strict] [--dead-letter file]\n"
	    "               [--end-marker line] [--max-errors n] [--max-idle duration]\n"
	    "               [--resume checkpoint] [--stats interval] [--time-order]\n"
	    "               [--timeout duration]\n"
	    "               -t topic [-t topic ...]\n"
	    "       consume -h | --help | --version\n");
	exit(code == 0 ? fshut(stdout, "standard output") : code);
}

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		stats_sig = 1;
	else
		stop_sig = 1;
}

/* Appending numbers and strings to a buffer, the fast way. */

static void
buf_i64(struct buf *b, long long v)
{
	char tmp[24], *p = tmp + sizeof tmp;
	unsigned long long u = v < 0 ? -(unsigned long long)v :
	    (unsigned long long)v;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	buf_add(b, p, (size_t)(tmp + sizeof tmp - p));
}

/*
 * A JSON string the way kcat -J writes it (yajl): \uXXXX in capitals for
 * control characters, '/' and DEL as they are. Bytes that are not UTF-8,
 * which kcat copies as they are, become U+FFFD so the line stays JSON.
 */
static void
buf_kcat_str(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, ok, run;

	buf_reserve(b, n + 2);
	b->p[b->len++] = '"';
	while (i < n) {
		ok = i + utf8_check(s + i, n - i);
		while (i < ok) {
			for (run = i; run < ok && p[run] >= 0x20 &&
			    p[run] != '"' && p[run] != '\\'; run++)
				;
			buf_add(b, p + i, run - i);
			if ((i = run) == ok)
				break;
			switch (p[i]) {
			case '"': buf_add(b, "\\\"", 2); break;
			case '\\': buf_add(b, "\\\\", 2); break;
			case '\b': buf_add(b, "\\b", 2); break;
			case '\f': buf_add(b, "\\f", 2); break;
			case '\n': buf_add(b, "\\n", 2); break;
			case '\r': buf_add(b, "\\r", 2); break;
			case '\t': buf_add(b, "\\t", 2); break;
			default: {
				char u[6] = { '\\', 'u', '0', '0', hex[p[i] >> 4],
				    hex[p[i] & 15] };
				buf_add(b, u, 6);
			}
			}
			i++;
		}
		if (ok < n) {
			buf_add(b, "\xef\xbf\xbd", 3);
			i = ok + 1;
		}
	}
	buf_putc(b, '"');
}

/* Output. Every write is checked when stdout is flushed. */

static inline void
out(const void *p, size_t n)
{
	fwrite_unlocked(p, 1, n, stdout);
	dirty = 1;
}

static int
flush_out(void)
{
	int err;

	if (out_failed)
		return -1;
	if (fflush(stdout) != EOF && !ferror(stdout))
		return 0;
	err = errno;
	if (err == EPIPE) {
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
	errno = err;
	weprintf("write error on standard output:");
	out_failed = 1;
	status = EX_IOERR;
	done = 1;
	return -1;
}

/* Partitions read, or assigned to this member of the group. */

static void
part_add(const char *topic, int32_t partition)
{
	struct part *p;
	struct buf b;

	if (nparts == capparts) {
		capparts = capparts ? 2 * capparts : 16;
		parts = xrealloc(parts, capparts * sizeof *parts);
	}
	p = &parts[nparts++];
	memset(p, 0, sizeof *p);
	p->topic = xstrdup(topic);
	p->partition = partition;
	p->written = p->stored = p->taken = -1;
	p->empty_since = mono_ms();
	buf_init(&b);
	if (kjson) {
		buf_puts(&b, "{\"topic\":");
		buf_kcat_str(&b, topic, strlen(topic));
	} else {
		buf_puts(&b, "\"_kafka\":{\"topic\":");
		buf_json_str(&b, topic, strlen(topic));
	}
	buf_printf(&b, ",\"partition\":%d,\"offset\":", (int)partition);
	p->prefixlen = b.len;
	p->prefix = buf_cstr(&b);
}

static void
part_free(struct part *p)
{
	/* records held and not written: the next owner reads them again */
	for (size_t i = 0; i < p->qn; i++)
		rd_kafka_message_destroy(p->q[(p->qh + i) % p->qcap]);
	nheld -= p->qn;
	free(p->q);
	free(p->topic);
	free(p->prefix);
}

static void
part_del(const char *topic, int32_t partition)
{
	size_t i;

	for (i = 0; i < nparts; i++)
		if (parts[i].partition == partition &&
		    strcmp(parts[i].topic, topic) == 0) {
			part_free(&parts[i]);
			memmove(&parts[i], &parts[i + 1],
			    (nparts - i - 1) * sizeof *parts);
			nparts--;
			lastpart = 0;
			return;
		}
}

static void
parts_clear(void)
{
	size_t i;

	for (i = 0; i < nparts; i++)
		part_free(&parts[i]);
	nparts = lastpart = 0;
}

static struct part *
part_find(const rd_kafka_message_t *m)
{
	const char *topic;
	size_t i;

	if (lastpart < nparts && parts[lastpart].seen == m->rkt &&
	    parts[lastpart].partition == m->partition)
		return &parts[lastpart];
	topic = rd_kafka_topic_name(m->rkt);
	for (i = 0; i < nparts; i++)
		if (parts[i].partition == m->partition &&
		    strcmp(parts[i].topic, topic) == 0) {
			parts[i].seen = m->rkt;
			lastpart = i;
			return &parts[i];
		}
	return NULL;
}

/*
 * Every partition is past the stop timestamp or at its end: with once,
 * has reached it once since assigned (all the topics held then is
 * written); else is at it now, with -e.
 */
static int
all_at_end(int once)
{
	size_t i;

	if (nparts == 0)
		return 0;
	for (i = 0; i < nparts; i++)
		if (!parts[i].stopped &&
		    !(once ? parts[i].reached : exit_eof && parts[i].eof))
			return 0;
	return 1;
}

/* --end-marker: its line once, after the records of that first end */
static void
mark_end(void)
{
	if (end_marker == NULL || marker_sent || !all_at_end(1))
		return;
	marker_sent = 1;
	out(end_marker, strlen(end_marker));
	out("\n", 1);
	if (verbose)
		weprintf("every partition at its end: end marker written");
}

/*
 * Flush stdout, then store for the group's commit the offsets of what
 * was flushed; never before.
 */
static void
flush_and_store(rd_kafka_t *rk)
{
	rd_kafka_topic_partition_list_t *l;
	size_t i, n = 0;

	last_flush = mono_ms();
	last_flush = mono_ms();
	if (dirty) {
		if (flush_out() < 0)
			return;
		dirty = 0;
	}
	if (dl && dl_dirty) {
		if (fflush(dl) == EOF || fsync(fileno(dl)) != 0) {
			weprintf("%s:", dl_path);
			status = EX_IOERR;
			done = 1;
			return;
		}
		dl_dirty = 0;
	}
	if (group == NULL || out_failed)
		return;
	for (i = 0; i < nparts; i++)
		n += parts[i].written + 1 > parts[i].stored;
	if (n == 0)
		return;
	l = rd_kafka_topic_partition_list_new((int)n);
	for (i = 0; i < nparts; i++)
		if (parts[i].written + 1 > parts[i].stored) {
			rd_kafka_topic_partition_list_add(l, parts[i].topic,
			    parts[i].partition)->offset = parts[i].written + 1;
			parts[i].stored = parts[i].written + 1;
		}
	rd_kafka_offsets_store(rk, l);
	if (verbose > 1)
		for (i = 0; i < (size_t)l->cnt; i++)
			if (l->elems[i].err)
				weprintf("%s [%d]: storing offset %lld: %s",
				    l->elems[i].topic, (int)l->elems[i].partition,
				    (long long)l->elems[i].offset,
				    rd_kafka_err2str(l->elems[i].err));
	rd_kafka_topic_partition_list_destroy(l);
}

static void
commit_sync(rd_kafka_t *rk)
{
	rd_kafka_resp_err_t err;

	if (group == NULL || down_since)
		return;
	err = rd_kafka_commit(rk, NULL, 0);
	if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
		weprintf("group %s: commit: %s", group, rd_kafka_err2str(err));
}

/* Errors: each is reported once, until records flow again. */

static int
is_down_error(int err)
{
	return err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
	    err == RD_KAFKA_RESP_ERR__TRANSPORT ||
	    err == RD_KAFKA_RESP_ERR__RESOLVE;
}

static void
progress(void)
{
	if (down_since && verbose)
		weprintf("brokers reachable again");
	down_since = 0;
	last_err = 0;
}

static int
first_report(int err, const char *where)
{
	if (err == last_err && (where == NULL ? last_err_where == NULL :
	    last_err_where != NULL && strcmp(where, last_err_where) == 0))
		return 0;
	last_err = err;
	free(last_err_where);
	last_err_where = where ? xstrdup(where) : NULL;
	return 1;
}

static void
error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	if (is_down_error(err) && down_since == 0)
		down_since = mono_ms();
	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		char why[512];

		err = rd_kafka_fatal_error(rk, why, sizeof why);
		weprintf("fatal: %s", why);
		status = kconf_exit_status(err);
		done = 1;
		return;
	}
	nerrors++;
	if (first_report(err, NULL))
		weprintf("%s", reason);
}

static void
log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *msg)
{
	/* connection failures reach error_cb, which says them once */
	if (level > log_level || (verbose == 0 && strcmp(fac, "FAIL") == 0))
		return;
	fprintf(stderr, "%s: rdkafka: %s: %s\n", progname, fac, msg);
}

/* A consumer error that came as a message. */
static void
message_error(const rd_kafka_message_t *m)
{
	char where[300];

	nerrors++;
	if (m->rkt)
		snprintf(where, sizeof where, "%s [%d]",
		    rd_kafka_topic_name(m->rkt), (int)m->partition);
	else
		where[0] = '\0';
	if (is_down_error(m->err) && down_since == 0)
		down_since = mono_ms();
	if ((m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
	    m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC) && exit_eof) {
		weprintf("%s%s%s", where, *where ? ": " : "",
		    rd_kafka_message_errstr(m));
		status = EX_NOINPUT;
		done = 1;
		return;
	}
	if (!first_report(m->err, where))
		return;
	if (*where)
		weprintf("%s: %s", where, rd_kafka_message_errstr(m));
	else
		weprintf("%s", rd_kafka_message_errstr(m));
}

/* The provenance object of -m, then the record's closing brace. */
static void
put_meta(const struct part *p, const rd_kafka_message_t *m)
{
	struct buf *b = &ob;
	int64_t ts = rd_kafka_message_timestamp(m, NULL);

	buf_reset(b);
	buf_add(b, p->prefix, p->prefixlen);
	buf_i64(b, m->offset);
	buf_add(b, ",\"ts\":", 6);
	if (ts >= 0)
		buf_i64(b, ts);
	else
		buf_add(b, "null", 4);
	if (avro_keyjson) {
		buf_add(b, ",\"key\":", 7);
		buf_add(b, avro_keyjson->p, avro_keyjson->len);
	} else if (m->key == NULL)
		buf_add(b, ",\"key\":null", 11);
	else if (utf8_valid(m->key, m->key_len)) {
		buf_add(b, ",\"key\":", 7);
		buf_json_str(b, m->key, m->key_len);
	} else {
		buf_add(b, ",\"key_base64\":\"", 15);
		buf_base64(b, m->key, m->key_len);
		buf_putc(b, '"');
	}
	buf_add(b, "}}\n", 3);
	out(b->p, b->len);
}

/* A valid JSON value up to end, on one line. */
static void
put_json(const char *s, const struct jvalid *jv, size_t end)
{
	size_t i;

	if (!jv->newlines) {
		out(s + jv->start, end - jv->start);
		return;
	}
	buf_reset(&ob);
	buf_add(&ob, s + jv->start, end - jv->start);
	for (i = 0; i < ob.len; i++)
		if (ob.p[i] == '\n' || ob.p[i] == '\r')
			ob.p[i] = ' ';
	out(ob.p, ob.len);
}

/* A value that is not JSON: a JSON string, or base64 when not UTF-8. */
static void
put_other(const rd_kafka_message_t *m, int *binary)
{
	buf_reset(&ob);
	if (utf8_valid(m->payload, m->len)) {
		buf_json_str(&ob, m->payload, m->len);
		*binary = 0;
	} else {
		buf_add(&ob, "{\"_value_base64\":\"", 18);
		buf_base64(&ob, m->payload, m->len);
		buf_add(&ob, "\"}", 2);
		*binary = 1;
	}
}

static void
write_value(const struct part *p, const rd_kafka_message_t *m,
    const char *payload, size_t len)
{
	struct jvalid jv;
	int binary;

	if (payload == NULL) {
		if (meta) {
			out("{\"_value\":null,", 15);
			put_meta(p, m);
		} else
			out("null\n", 5);
		return;
	}
	if (jvalid(payload, len, &jv) != JV_INVALID) {
		if (!meta) {
			put_json(payload, &jv, jv.end);
			out("\n", 1);
		} else if (jv.type == JV_OBJECT) {
			put_json(payload, &jv, jv.end - 1);
			if (!jv.empty)
				out(",", 1);
			put_meta(p, m);
		} else {
			out("{\"_value\":", 10);
			put_json(payload, &jv, jv.end);
			out(",", 1);
			put_meta(p, m);
		}
		return;
	}
	put_other(m, &binary);
	if (!meta) {
		buf_putc(&ob, '\n');
		out(ob.p, ob.len);
	} else if (binary) {
		out(ob.p, ob.len - 1);
		out(",", 1);
		put_meta(p, m);
	} else {
		out("{\"_value\":", 10);
		out(ob.p, ob.len);
		out(",", 1);
		put_meta(p, m);
	}
}

/* kcat -J's envelope, field for field. */
static void
write_kcat(const struct part *p, const rd_kafka_message_t *m)
{
	struct buf *b = &ob;
	rd_kafka_timestamp_type_t tstype;
	int64_t ts = rd_kafka_message_timestamp(m, &tstype);
	rd_kafka_headers_t *hdrs;
	const char *name;
	const void *val;
	size_t size, i;

	buf_reset(b);
	buf_add(b, p->prefix, p->prefixlen);
	buf_i64(b, m->offset);
	if (tstype != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE) {
		buf_puts(b, tstype == RD_KAFKA_TIMESTAMP_CREATE_TIME ?
		    ",\"tstype\":\"create\",\"ts\":" :
		    tstype == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME ?
		    ",\"tstype\":\"logappend\",\"ts\":" :
		    ",\"tstype\":\"unknown\",\"ts\":");
		buf_i64(b, ts);
	}
	buf_add(b, ",\"broker\":", 10);
	buf_i64(b, rd_kafka_message_broker_id(m));
	if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
		buf_add(b, ",\"headers\":[", 12);
		for (i = 0; rd_kafka_header_get_all(hdrs, i, &name, &val,
		    &size) == RD_KAFKA_RESP_ERR_NO_ERROR; i++) {
			if (i > 0)
				buf_putc(b, ',');
			buf_kcat_str(b, name, strlen(name));
			buf_putc(b, ',');
			if (val)
				buf_kcat_str(b, val, size);
			else
				buf_add(b, "null", 4);
		}
		buf_putc(b, ']');
	}
	buf_add(b, ",\"key\":", 7);
	if (m->key)
		buf_kcat_str(b, m->key, m->key_len);
	else
		buf_add(b, "null", 4);
	buf_add(b, ",\"payload\":", 11);
	if (m->payload)
		buf_kcat_str(b, m->payload, m->len);
	else
		buf_add(b, "null", 4);
	buf_add(b, "}\n", 2);
	out(b->p, b->len);
}

/* A record that cannot be decoded: report it, dead-letter it, count it. */
/* The base64 of n bytes at p as a JSON string, or null when p is NULL. */
static void
put_base64(struct buf *b, const void *p, size_t n)
{
	if (p == NULL) {
		buf_puts(b, "null");
		return;
	}
	buf_putc(b, '"');
	buf_base64(b, p, n);
	buf_putc(b, '"');
}

static void
bad_record(const struct part *p, const rd_kafka_message_t *m,
    const char *what, const char *why)
{
	struct buf b;
	char *msg;

	nbad++;
	nerrors++;
	weprintf("%s [%d] offset %lld: %s: %s", p->topic, (int)p->partition,
	    (long long)m->offset, what, why);
	if (dl) {
		buf_init(&b);
		buf_puts(&b, "{\"topic\":");
		buf_json_str(&b, p->topic, strlen(p->topic));
		buf_printf(&b, ",\"partition\":%d,\"offset\":%lld,\"error\":",
		    (int)p->partition, (long long)m->offset);
		msg = xasprintf("%s: %s", what, why);
		buf_json_str(&b, msg, strlen(msg));
		free(msg);
		buf_puts(&b, ",\"key_base64\":");
		put_base64(&b, m->key, m->key_len);
		buf_puts(&b, ",\"value_base64\":");
		put_base64(&b, m->payload, m->len);
		buf_puts(&b, "}\n");
		if (fwrite(b.p, 1, b.len, dl) != b.len) {
			weprintf("%s:", dl_path);
			status = EX_IOERR;
			done = 1;
		}
		dl_dirty = 1;
		buf_free(&b);
	}
	if (max_errors >= 0 && nbad > (unsigned long long)max_errors) {
		weprintf("more than %lld bad records", max_errors);
		status = EX_DATAERR;
		done = 1;
	}
}

/*
 * Decode one Confluent-framed Avro key or value into out. 0 done, 1 a bad
 * record (reported), -1 stop (the registry cannot be used).
 */
static int
avro_field(const struct part *p, const rd_kafka_message_t *m, const char *what,
    const void *data, size_t len, struct buf *out)
{
	char err[600];
	struct avsch *sch;
	int32_t id;
	int rc;

	switch (sr_unframe(data, len, &id)) {
	case SR_SHORT:
		bad_record(p, m, what, len ? "truncated: shorter than the "
		    "5 bytes of Confluent's header" : "empty, not Avro");
		return 1;
	case SR_MAGIC:
		snprintf(err, sizeof err, "not Confluent's Avro framing "
		    "(magic byte %u, not 0)", *(const unsigned char *)data);
		bad_record(p, m, what, err);
		return 1;
	}
	rc = registry_schema(reg, id, &sch, err, sizeof err);
	if (rc == REG_NOTFOUND) {
		bad_record(p, m, what, err);
		return 1;
	}
	if (rc != REG_OK) {
		weprintf("%s [%d] offset %lld: %s: registry %s: %s", p->topic,
		    (int)p->partition, (long long)m->offset, what, registry_url,
		    err);
		status = rc == REG_DOWN ? EX_UNAVAILABLE : EX_CONFIG;
		done = 1;
		return -1;
	}
	buf_reset(out);
	if (avsch_decode(sch, (const char *)data + SR_HEADER, len - SR_HEADER,
	    avro_strict, out, err, sizeof err) < 0) {
		char why[700];

		snprintf(why, sizeof why, "schema id %d: %s", (int)id, err);
		bad_record(p, m, what, why);
		return 1;
	}
	return 0;
}

static int
avro_decode(const struct part *p, const rd_kafka_message_t *m)
{
	int rc;

	if (avro_key && m->key != NULL) {
		if ((rc = avro_field(p, m, "key", m->key, m->key_len, &akb)) != 0)
			return rc;
		avro_keyjson = &akb;
	}
	if (avro_value && m->payload != NULL &&
	    (rc = avro_field(p, m, "value", m->payload, m->len, &avb)) != 0)
		return rc;
	return 0;
}

static void
handle(const rd_kafka_message_t *m)
{
	struct part *p;

	if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
		progress();
		if ((p = part_find(m)) != NULL && !p->eof) {
			p->eof = 1;
			p->reached = 1;
			if (verbose)
				weprintf("%s [%d]: end at offset %lld", p->topic,
				    (int)p->partition, (long long)m->offset);
			mark_end();
			if (all_at_end(0))
				done = 1;
		}
		return;
	}
	if (m->err) {
		message_error(m);
		return;
	}
	progress();
	if ((p = part_find(m)) == NULL || p->stopped)
		return;	/* not (or no longer) ours */
	p->eof = 0;
	if (stop_ts >= 0 && rd_kafka_message_timestamp(m, NULL) >= stop_ts) {
		p->stopped = 1;
		if (verbose)
			weprintf("%s [%d]: stop timestamp reached at offset %lld",
			    p->topic, (int)p->partition, (long long)m->offset);
		mark_end();
		if (all_at_end(0))
			done = 1;
		return;
	}
	avro_keyjson = NULL;
	if (avro_value || avro_key) {
		switch (avro_decode(p, m)) {
		case -1:
			return;	/* stopping: not written, not stored */
		case 1:
			p->written = m->offset;	/* reported and dead-lettered */
			return;
		}
	}
	if (kjson)
		write_kcat(p, m);
	else if (avro_value && m->payload != NULL)
		write_value(p, m, avb.p, avb.len);
	else
		write_value(p, m, m->payload, m->len);
	p->written = m->offset;
	nmsgs++;
	nbytes += m->len;
	if (unbuffered && flush_out() == 0)
		dirty = 0;
	if (limit && nmsgs >= (unsigned long long)limit)
		done = 1;
}

/*
 * --time-order: the records of all partitions merged by their Kafka
 * timestamps, as Kafka Streams picks the partition whose next record is
 * the oldest. A record is written once every partition has one waiting
 * or is at its end; a partition with none waiting holds the others back
 * until its first fetch came, while the broker says it has more (its high
 * watermark is past what came), and else for --max-idle. So a backlog
 * read again after a restart comes out interleaved as it was produced,
 * not a fetch of one partition after a fetch of another.
 */
static void
take(rd_kafka_message_t *m)
{
	struct part *p;

	if (!time_order || (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) ||
	    m->rkt == NULL || (p = part_find(m)) == NULL) {
		handle(m);
		rd_kafka_message_destroy(m);
		return;
	}
	if (p->qn == p->qcap) {
		size_t ncap = p->qcap ? 2 * p->qcap : 64;
		rd_kafka_message_t **nq = xcalloc(ncap, sizeof *nq);
		for (size_t i = 0; i < p->qn; i++)
			nq[i] = p->q[(p->qh + i) % p->qcap];
		free(p->q);
		p->q = nq;
		p->qcap = ncap;
		p->qh = 0;
	}
	p->q[(p->qh + p->qn++) % p->qcap] = m;
	nheld++;
	p->heard = 1;
	if (m->err == 0) {
		p->caught = 0;
		p->taken = m->offset;
	}
}

/* A partition with nothing waiting that holds the others back. */
static int
holds_back(const struct part *p, long long now)
{
	int64_t lo, hi;

	if (p->caught || p->stopped)
		return 0;
	if (!p->heard)
		return 1;
	if (rd_kafka_get_watermark_offsets(consumer, p->topic, p->partition,
	    &lo, &hi) == RD_KAFKA_RESP_ERR_NO_ERROR && hi > p->taken + 1 &&
	    p->taken >= 0)
		return 1;
	return now - p->empty_since < max_idle_ms;
}

/* Write the held records that may go, oldest first. */
static void
emit_ordered(void)
{
	long long now = mono_ms();

	while (nheld > 0 && !done && !stop_sig) {
		struct part *best = NULL, *p;
		rd_kafka_message_t *m;
		int64_t bt = 0, t;
		int blocked = 0;

		for (size_t i = 0; i < nparts; i++) {
			p = &parts[i];
			if (p->qn == 0) {
				if (!blocked && holds_back(p, now))
					blocked = 1;
				continue;
			}
			m = p->q[p->qh];
			t = m->err ? INT64_MIN : rd_kafka_message_timestamp(m, NULL);
			if (best == NULL || t < bt) {
				best = p;
				bt = t;
			}
		}
		if (best == NULL ||
		    (blocked && bt != INT64_MIN && nheld < MAX_HELD))
			return;
		m = best->q[best->qh];
		best->qh = (best->qh + 1) % best->qcap;
		best->qn--;
		nheld--;
		if (best->qn == 0)
			best->empty_since = now;
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
			best->caught = 1;
		handle(m);
		rd_kafka_message_destroy(m);
	}
}

/* Without -G, records are served in batches through this callback. */
static void
consume_cb(rd_kafka_message_t *m, void *opaque)
{
	if (done || stop_sig)
		return;
	handle(m);
	if (done)
		rd_kafka_yield(consumer);	/* leave the rest in the queue */
}

/* Statistics as one JSON line on stderr. */
static void
print_stats(rd_kafka_t *rk)
{
	struct buf *b = &sb;
	char when[32];
	long long now = mono_ms(), el = now - last_stats;
	int64_t lo, hi, pos;
	size_t i;

	iso8601_ms(now_ms(), when);
	buf_reset(b);
	buf_printf(b, "{\"program\":\"consume\",\"time\":\"%s\",\"messages\":%llu,"
	    "\"bytes\":%llu,\"errors\":%llu,\"rate\":%.1f,\"partitions\":[",
	    when, nmsgs, nbytes, nerrors,
	    el > 0 ? (double)(nmsgs - last_nmsgs) * 1000.0 / (double)el : 0.0);
	for (i = 0; i < nparts; i++) {
		const struct part *p = &parts[i];

		buf_puts(b, i ? ",{\"topic\":" : "{\"topic\":");
		buf_json_str(b, p->topic, strlen(p->topic));
		buf_printf(b, ",\"partition\":%d,\"position\":", (int)p->partition);
		pos = p->written >= 0 ? p->written + 1 : -1;
		if (pos >= 0)
			buf_i64(b, pos);
		else
			buf_puts(b, "null");
		if (rd_kafka_get_watermark_offsets(rk, p->topic, p->partition,
		    &lo, &hi) != RD_KAFKA_RESP_ERR_NO_ERROR || hi < 0)
			hi = -1;
		buf_puts(b, ",\"high\":");
		if (hi >= 0)
			buf_i64(b, hi);
		else
			buf_puts(b, "null");
		buf_puts(b, ",\"lag\":");
		if (hi >= 0 && pos >= 0)
			buf_i64(b, hi > pos ? hi - pos : 0);
		else
			buf_puts(b, "null");
		buf_puts(b, p->eof ? ",\"eof\":true}" : ",\"eof\":false}");
	}
	buf_puts(b, "]}\n");
	fwrite(b->p, 1, b->len, stderr);
	last_stats = now;
	last_nmsgs = nmsgs;
}

/*
 * While no broker answers: probe once a second, give up after the
 * timeout. Returns 1 when it is time to give up.
 */
static int
check_down(rd_kafka_t *rk, long long now)
{
	const struct rd_kafka_metadata *md;

	if (down_since == 0)
		return 0;
	if (now - last_probe >= 1000) {
		last_probe = now;
		if (rd_kafka_metadata(rk, 0, NULL, &md, 500) ==
		    RD_KAFKA_RESP_ERR_NO_ERROR) {
			rd_kafka_metadata_destroy(md);
			progress();
			return 0;
		}
	}
	if (timeout_ms > 0 && now - down_since >= timeout_ms) {
		weprintf("no broker reachable for %lld s: giving up",
		    (now - down_since) / 1000);
		status = EX_UNAVAILABLE;
		return 1;
	}
	return 0;
}

/* The work between records: flushes, signals, statistics, timeouts. */
static void
housekeeping(int simple)
{
	rd_kafka_t *rk = consumer;
	long long now;

	flush_and_store(rk);
	if (simple)
		rd_kafka_poll(rk, 0);	/* error_cb */
	now = mono_ms();
	if (stats_sig || (stats_ms && now - last_stats >= stats_ms)) {
		stats_sig = 0;
		print_stats(rk);
	}
	if (check_down(rk, now))
		done = 1;
}

/*
 * The queue was just emptied after as many records as fill it. A fetcher
 * that stopped because the queue was full (queued.min.messages,
 * queued.max.messages.kbytes) looks again only when its broker thread
 * wakes, up to a second later in librdkafka 2.0: a request to a broker
 * wakes it now (the leader of the first partition still being read).
 */
static void
wake_fetcher(rd_kafka_t *rk)
{
	int64_t lo, hi;
	size_t i;

	for (i = 0; i < nparts; i++)
		if (!parts[i].eof && !parts[i].stopped) {
			rd_kafka_query_watermark_offsets(rk, parts[i].topic,
			    parts[i].partition, &lo, &hi, WAIT_MS);
			return;
		}
}

/* Start offsets: -o for the partitions in l (without -G, all of them). */

static int64_t
start_offset(void)
{
	switch (start) {
	case START_END: return RD_KAFKA_OFFSET_END;
	case START_STORED: return RD_KAFKA_OFFSET_STORED;
	case START_OFFSET: return start_val;
	case START_TAIL: return RD_KAFKA_OFFSET_TAIL(start_val);
	default: return RD_KAFKA_OFFSET_BEGINNING;
	}
}

/* Resolve s@MS to offsets; a partition without such a record starts at its end. */
static int
offsets_for_time(rd_kafka_t *rk, rd_kafka_topic_partition_list_t *l)
{
	rd_kafka_resp_err_t err;
	int i;

	for (i = 0; i < l->cnt; i++)
		l->elems[i].offset = start_val;
	err = rd_kafka_offsets_for_times(rk, l, 30000);
	if (err) {
		weprintf("offsets for time %lld: %s", (long long)start_val,
		    rd_kafka_err2str(err));
		return -1;
	}
	for (i = 0; i < l->cnt; i++)
		if (l->elems[i].err || l->elems[i].offset < 0)
			l->elems[i].offset = RD_KAFKA_OFFSET_END;
	return 0;
}

static void
print_assignment(const char *what, const rd_kafka_topic_partition_list_t *l)
{
	struct buf b;
	int i;

	buf_init(&b);
	for (i = 0; i < l->cnt; i++)
		buf_printf(&b, "%s%s [%d]", i ? ", " : "", l->elems[i].topic,
		    (int)l->elems[i].partition);
	weprintf("group %s: %s %s", group, what, l->cnt ? buf_cstr(&b) : "nothing");
	buf_free(&b);
}

/*
 * --resume: each partition of l that the checkpoint names (stream
 * "kafka:TOPIC:PARTITION", as ch-insert and produce write it) starts right
 * after its offset, whatever the group committed or -o says; one it does
 * not name, from which the sink stored nothing, at its beginning (or
 * where -o says). The file is read at each assignment: a sink downstream
 * keeps it current; a missing file names nothing. Returns 0, or -1 when
 * the file cannot be read.
 */
static int
resume_from(rd_kafka_topic_partition_list_t *l)
{
	json_t *root, *streams, *pos;
	json_error_t jerr;
	char name[512];
	int i;

	if (resume_path == NULL)
		return 0;
	if (start == START_DEFAULT || start == START_STORED)
		for (i = 0; i < l->cnt; i++)
			l->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
	if ((root = json_load_file(resume_path, 0, &jerr)) == NULL) {
		if (access(resume_path, F_OK) != 0 && errno == ENOENT)
			return 0;
		weprintf("%s: %s", resume_path, jerr.text);
		return -1;
	}
	streams = json_object_get(root, "streams");
	for (i = 0; i < l->cnt; i++) {
		snprintf(name, sizeof name, "kafka:%s:%d", l->elems[i].topic,
		    (int)l->elems[i].partition);
		pos = json_object_get(json_object_get(streams, name), "offset");
		if (!json_is_integer(pos) || json_integer_value(pos) < 0)
			continue;
		l->elems[i].offset = json_integer_value(pos) + 1;
		if (verbose)
			weprintf("%s [%d]: resuming at offset %lld (%s)",
			    l->elems[i].topic, (int)l->elems[i].partition,
			    (long long)l->elems[i].offset, resume_path);
	}
	json_decref(root);
	return 0;
}

/*
 * The group's partitions change hands. Before any are given away, what
 * was written is flushed, stored and committed, so the next owner starts
 * right after it.
 */
static void
rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *l, void *opaque)
{
	int coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
	rd_kafka_error_t *error = NULL;
	rd_kafka_resp_err_t aerr = RD_KAFKA_RESP_ERR_NO_ERROR;
	rd_kafka_topic_partition_list_t *tl;
	int i;

	progress();
	switch (err) {
	case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
		if (verbose)
			print_assignment("assigned", l);
		if (start == START_OFFSET || start == START_TAIL ||
		    start == START_TIME) {
			/* -o applies where the group has no offset yet */
			if (rd_kafka_committed(rk, l, 30000) == 0) {
				tl = rd_kafka_topic_partition_list_new(l->cnt);
				for (i = 0; i < l->cnt; i++) {
					if (l->elems[i].offset != RD_KAFKA_OFFSET_INVALID)
						continue;
					if (start == START_TIME)
						rd_kafka_topic_partition_list_add(tl,
						    l->elems[i].topic,
						    l->elems[i].partition);
					else
						l->elems[i].offset = start_offset();
				}
				if (tl->cnt && offsets_for_time(rk, tl) == 0)
					for (i = 0; i < tl->cnt; i++)
						rd_kafka_topic_partition_list_find(l,
						    tl->elems[i].topic,
						    tl->elems[i].partition)->offset =
						    tl->elems[i].offset;
				rd_kafka_topic_partition_list_destroy(tl);
			}
		}
		if (resume_from(l) < 0) {
			status = EX_CONFIG;
			done = 1;
		}
		if (!coop)
			parts_clear();
		for (i = 0; i < l->cnt; i++)
			part_add(l->elems[i].topic, l->elems[i].partition);
		if (coop)
			error = rd_kafka_incremental_assign(rk, l);
		else
			aerr = rd_kafka_assign(rk, l);
		break;
	case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
		if (verbose)
			print_assignment("revoked", l);
		flush_and_store(rk);
		if (!rd_kafka_assignment_lost(rk))
			commit_sync(rk);
		if (coop) {
			for (i = 0; i < l->cnt; i++)
				part_del(l->elems[i].topic, l->elems[i].partition);
			error = rd_kafka_incremental_unassign(rk, l);
		} else {
			parts_clear();
			aerr = rd_kafka_assign(rk, NULL);
		}
		break;
	default:
		weprintf("group %s: rebalance: %s", group, rd_kafka_err2str(err));
		parts_clear();
		aerr = coop ? RD_KAFKA_RESP_ERR_NO_ERROR : rd_kafka_assign(rk, NULL);
		break;
	}
	if (error) {
		weprintf("group %s: %s", group, rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
	} else if (aerr)
		weprintf("group %s: %s", group, rd_kafka_err2str(aerr));
	if (exit_eof && all_at_end(0))
		done = 1;
}

/*
 * The partitions of a topic, from the cluster's metadata: waits while the
 * brokers cannot be reached (up to the timeout) and, without -e, while the
 * topic does not exist. Returns the count, or -1 with status set.
 */
static int
topic_partitions(rd_kafka_t *rk, rd_kafka_topic_t *rkt, int32_t **ids)
{
	const struct rd_kafka_metadata *md;
	const struct rd_kafka_metadata_topic *t;
	const char *name = rd_kafka_topic_name(rkt);
	rd_kafka_resp_err_t err;
	int i, j, n;

	while (!stop_sig && !done) {
		err = rd_kafka_metadata(rk, 0, rkt, &md, 2000);
		if (err) {
			if (down_since == 0)
				down_since = mono_ms();
			if (first_report(err, name))
				weprintf("%s: %s", name, rd_kafka_err2str(err));
		} else {
			t = &md->topics[0];
			if (t->err == 0 && t->partition_cnt > 0) {
				n = t->partition_cnt;
				*ids = xcalloc((size_t)n, sizeof **ids);
				for (i = 0; i < n; i++) {
					int32_t id = t->partitions[i].id;

					for (j = i; j > 0 && (*ids)[j - 1] > id; j--)
						(*ids)[j] = (*ids)[j - 1];
					(*ids)[j] = id;
				}
				rd_kafka_metadata_destroy(md);
				progress();
				return n;
			}
			err = t->err ? t->err :
			    RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
			rd_kafka_metadata_destroy(md);
			down_since = 0;
			if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART &&
			    exit_eof) {
				weprintf("%s: no such topic", name);
				status = EX_NOINPUT;
				return -1;
			}
			if (first_report(err, name) && log_level >= LOG_WARNING)
				weprintf("%s: %s; waiting for it", name,
				    err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ?
				    "no such topic" : rd_kafka_err2str(err));
		}
		if (check_down(rk, mono_ms()))
			return -1;
		rd_kafka_poll(rk, 500);
	}
	return -1;
}

/* Without -G: start every partition wanted, on one queue. */
static int
start_simple(rd_kafka_t *rk, rd_kafka_queue_t *q, char **topics, int ntopics,
    rd_kafka_topic_t **rkts)
{
	rd_kafka_topic_partition_list_t *l;
	int32_t *ids;
	int i, j, n;
	size_t k;

	for (i = 0; i < ntopics; i++) {
		if ((n = topic_partitions(rk, rkts[i], &ids)) < 0)
			return -1;
		for (j = 0; j < n; j++)
			if (only_partition < 0 || ids[j] == only_partition)
				part_add(topics[i], ids[j]);
		free(ids);
		if (only_partition >= 0 && (nparts == 0 ||
		    strcmp(parts[nparts - 1].topic, topics[i]) != 0)) {
			weprintf("%s: no partition %d (%d partitions)", topics[i],
			    (int)only_partition, n);
			status = EX_NOINPUT;
			return -1;
		}
	}
	l = rd_kafka_topic_partition_list_new((int)nparts);
	for (k = 0; k < nparts; k++)
		rd_kafka_topic_partition_list_add(l, parts[k].topic,
		    parts[k].partition)->offset = start_offset();
	if (start == START_TIME && offsets_for_time(rk, l) < 0) {
		rd_kafka_topic_partition_list_destroy(l);
		status = EX_UNAVAILABLE;
		return -1;
	}
	if (resume_from(l) < 0) {
		rd_kafka_topic_partition_list_destroy(l);
		status = EX_CONFIG;
		return -1;
	}
	for (k = 0; k < nparts; k++) {
		rd_kafka_topic_t *rkt = NULL;

		for (i = 0; i < ntopics; i++)
			if (strcmp(topics[i], parts[k].topic) == 0)
				rkt = rkts[i];
		if (rd_kafka_consume_start_queue(rkt, parts[k].partition,
		    l->elems[k].offset, q) == -1) {
			weprintf("%s [%d]: %s", parts[k].topic,
			    (int)parts[k].partition,
			    rd_kafka_err2str(rd_kafka_last_error()));
			rd_kafka_topic_partition_list_destroy(l);
			status = EX_SOFTWARE;
			return -1;
		}
	}
	rd_kafka_topic_partition_list_destroy(l);
	return 0;
}

static void
stop_simple(rd_kafka_t *rk, char **topics, int ntopics, rd_kafka_topic_t **rkts)
{
	size_t k;
	int i;

	for (k = 0; k < nparts; k++)
		for (i = 0; i < ntopics; i++)
			if (strcmp(topics[i], parts[k].topic) == 0)
				rd_kafka_consume_stop(rkts[i], parts[k].partition);
}

static int
parse_offset(const char *s)
{
	long long v;

	if (strcmp(s, "beginning") == 0)
		start = START_BEGINNING;
	else if (strcmp(s, "end") == 0)
		start = START_END;
	else if (strcmp(s, "stored") == 0)
		start = START_STORED;
	else if (strncmp(s, "s@", 2) == 0 && (v = parse_count(s + 2)) >= 0) {
		start = START_TIME;
		start_val = v;
	} else if (strncmp(s, "e@", 2) == 0 && (v = parse_count(s + 2)) >= 0)
		stop_ts = v;
	else if (*s == '-' && (v = parse_count(s + 1)) > 0) {
		start = START_TAIL;
		start_val = v;
	} else if ((v = parse_count(s)) >= 0) {
		start = START_OFFSET;
		start_val = v;
	} else
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "avro-strict", no_argument, NULL, 'A' },
		{ "dead-letter", required_argument, NULL, 'D' },
		{ "end-marker", required_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ "max-errors", required_argument, NULL, 'M' },
		{ "max-idle", required_argument, NULL, 'I' },
		{ "resume", required_argument, NULL, 'R' },
		{ "stats", required_argument, NULL, 'S' },
		{ "time-order", no_argument, NULL, 'O' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *brokers = NULL;
	char **topics, **confargs, errstr[512], val[512];
	size_t vlen;
	int ntopics = 0, nconf = 0, c, i, simple;
	long long v;
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	rd_kafka_queue_t *q = NULL;
	rd_kafka_topic_t **rkts = NULL;
	rd_kafka_message_t *m;
	rd_kafka_topic_partition_list_t *sub;
	rd_kafka_resp_err_t err;
	struct sigaction sa;
	unsigned ticks = 0;
	int n;

	setprogname(argv[0]);
	topics = xcalloc((size_t)argc, sizeof *topics);
	confargs = xcalloc((size_t)argc, sizeof *confargs);
	while ((c = getopt_long(argc, argv, "b:c:eF:G:hJmo:p:qr:s:t:uvX:", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'A':
			avro_strict = 1;
			break;
		case 'b':
			brokers = optarg;
			break;
		case 'D':
			dl_path = optarg;
			break;
		case 'E':
			if (strchr(optarg, '\n') != NULL) {
				weprintf("--end-marker: one line, without a newline");
				usage(stderr, EX_USAGE);
			}
			end_marker = optarg;
			break;
		case 'M':
			if ((max_errors = parse_count(optarg)) < 0) {
				weprintf("--max-errors %s: expected a count", optarg);
				usage(stderr, EX_USAGE);
			}
			break;
		case 'r':
			registry_url = optarg;
			break;
		case 's':
			if (avro_serde_arg(optarg, &avro_key, &avro_value) < 0) {
				weprintf("-s %s: expected avro, key=avro or "
				    "value=avro", optarg);
				usage(stderr, EX_USAGE);
			}
			break;
		case 'c':
			if ((limit = parse_count(optarg)) <= 0) {
				weprintf("-c %s: expected a count of records", optarg);
				usage(stderr, EX_USAGE);
			}
			break;
		case 'e':
			exit_eof = 1;
			break;
		case 'F':
		case 'X':
			/* applied in order once the defaults are set */
			confargs[nconf++] = xasprintf("%c%s", c, optarg);
			break;
		case 'G':
			group = optarg;
			break;
		case 'h':
			usage(stdout, 0);
			break;
		case 'J':
			kjson = 1;
			break;
		case 'm':
			meta = 1;
			break;
		case 'o':
			if (parse_offset(optarg) < 0) {
				weprintf("-o %s: expected beginning, end, stored, "
				    "N, -N, s@MS or e@MS", optarg);
				usage(stderr, EX_USAGE);
			}
			break;
		case 'p':
			if ((v = parse_count(optarg)) < 0 || v > INT32_MAX) {
				weprintf("-p %s: expected a partition number", optarg);
				usage(stderr, EX_USAGE);
			}
			only_partition = (int32_t)v;
			break;
		case 'q':
			log_level = -1;
			break;
		case 'R':
			resume_path = optarg;
			break;
		case 'O':
			time_order = 1;
			break;
		case 'I':
			if ((max_idle_ms = parse_duration_ms(optarg)) < 0) {
				weprintf("--max-idle %s: expected a duration", optarg);
				usage(stderr, EX_USAGE);
			}
			break;
		case 'S':
			if ((stats_ms = parse_duration_ms(optarg)) <= 0) {
				weprintf("--stats %s: expected an interval", optarg);
				usage(stderr, EX_USAGE);
			}
			break;
		case 'T':
			if ((timeout_ms = parse_duration_ms(optarg)) < 0) {
				weprintf("--timeout %s: expected a duration", optarg);
				usage(stderr, EX_USAGE);
			}
			break;
		case 't':
			topics[ntopics++] = optarg;
			break;
		case 'u':
			unbuffered = 1;
			break;
		case 'V':
			printf("consume %s (librdkafka %s)\n", TP_VERSION,
			    rd_kafka_version_str());
			exit(fshut(stdout, "standard output"));
		case 'v':
			verbose++;
			log_level = verbose > 1 ? LOG_DEBUG : LOG_INFO;
			break;
		default:
			usage(stderr, EX_USAGE);
		}
	}
	if (optind < argc) {
		weprintf("%s: unexpected operand; topics are given with -t",
		    argv[optind]);
		usage(stderr, EX_USAGE);
	}
	if (ntopics == 0) {
		weprintf("no topic: give one with -t");
		usage(stderr, EX_USAGE);
	}
	if (time_order && !group) {
		weprintf("--time-order needs a group (-G)");
		usage(stderr, EX_USAGE);
	}
	if (group && only_partition >= 0) {
		weprintf("-p and -G: a group assigns the partitions");
		usage(stderr, EX_USAGE);
	}
	if (!group && start == START_STORED) {
		weprintf("-o stored needs a group (-G)");
		usage(stderr, EX_USAGE);
	}
	if (kjson && meta) {
		weprintf("-J and -m: choose one output format");
		usage(stderr, EX_USAGE);
	}
	if ((avro_value || avro_key) && kjson) {
		weprintf("-J and -s: -J writes records as they are");
		usage(stderr, EX_USAGE);
	}
	if (dl_path && (dl = fopen(dl_path, "a")) == NULL) {
		weprintf("%s:", dl_path);
		return EX_CANTCREAT;
	}
	for (i = 0; i < ntopics && !group; i++)
		if (topics[i][0] == '^') {
			weprintf("-t %s: a pattern needs a group (-G)", topics[i]);
			usage(stderr, EX_USAGE);
		}
	if (timeout_ms < 0)
		timeout_ms = exit_eof ? 30000 : 0;
	simple = group == NULL;

	conf = rd_kafka_conf_new();
	if (kconf_set(conf, "client.id", "consume") < 0 ||
	    kconf_set(conf, "log.connection.close", "false") < 0 ||
	    (group && kconf_set(conf, "auto.offset.reset", "earliest") < 0) ||
	    (exit_eof && kconf_set(conf, "fetch.wait.max.ms", EOF_WAIT_MS) < 0))
		return EX_SOFTWARE;
	for (i = 0; i < nconf; i++) {
		if ((confargs[i][0] == 'X' ?
		    kconf_set_pair(conf, confargs[i] + 1) :
		    kconf_load_file(conf, confargs[i] + 1)) < 0) {
			rd_kafka_conf_destroy(conf);
			return EX_CONFIG;
		}
		free(confargs[i]);
	}
	free(confargs);
	if (brokers && kconf_set(conf, "bootstrap.servers", brokers) < 0) {
		rd_kafka_conf_destroy(conf);
		return EX_CONFIG;
	}
	/* the registry: -r, else schema.registry.url of -X or -F */
	if (registry_url == NULL && (avro_value || avro_key))
		registry_url = kconf_extra("schema.registry.url");
	if ((avro_value || avro_key) && registry_url == NULL) {
		rd_kafka_conf_destroy(conf);
		weprintf("-s avro needs a schema registry: give its URL with -r");
		usage(stderr, EX_USAGE);
	}
	if (registry_url && !avro_value && !avro_key) {
		rd_kafka_conf_destroy(conf);
		weprintf("-r without -s avro: nothing to decode");
		usage(stderr, EX_USAGE);
	}
	if (registry_url && (reg = registry_open(registry_url, errstr,
	    sizeof errstr)) == NULL) {
		weprintf("registry: %s", errstr);
		rd_kafka_conf_destroy(conf);
		return EX_CONFIG;
	}
	vlen = sizeof val;
	if (rd_kafka_conf_get(conf, "bootstrap.servers", val, &vlen) !=
	    RD_KAFKA_CONF_OK || vlen <= 1) {
		rd_kafka_conf_destroy(conf);
		weprintf("no brokers: give them with -b");
		usage(stderr, EX_USAGE);
	}
	/* half the queue's limits: its records' sizes count more than values */
	vlen = sizeof val;
	if (rd_kafka_conf_get(conf, "queued.min.messages", val, &vlen) ==
	    RD_KAFKA_CONF_OK)
		wake_msgs = strtoull(val, NULL, 10) / 2;
	vlen = sizeof val;
	if (rd_kafka_conf_get(conf, "queued.max.messages.kbytes", val, &vlen) ==
	    RD_KAFKA_CONF_OK)
		wake_bytes = strtoull(val, NULL, 10) * 512;
	vlen = sizeof val;
	if (rd_kafka_conf_get(conf, "debug", val, &vlen) == RD_KAFKA_CONF_OK &&
	    vlen > 1)
		log_level = LOG_DEBUG;
	if (group && (kconf_set(conf, "group.id", group) < 0 ||
	    kconf_set(conf, "enable.auto.offset.store", "false") < 0 ||
	    (start == START_BEGINNING &&
	    kconf_set(conf, "auto.offset.reset", "earliest") < 0) ||
	    (start == START_END &&
	    kconf_set(conf, "auto.offset.reset", "latest") < 0))) {
		rd_kafka_conf_destroy(conf);
		return EX_CONFIG;
	}
	if (simple && (kconf_set(conf, "enable.auto.commit", "false") < 0 ||
	    kconf_set(conf, "enable.auto.offset.store", "false") < 0)) {
		rd_kafka_conf_destroy(conf);
		return EX_CONFIG;
	}
	if (kconf_set(conf, "enable.partition.eof", "true") < 0) {
		rd_kafka_conf_destroy(conf);
		return EX_CONFIG;
	}
	rd_kafka_conf_set_error_cb(conf, error_cb);
	rd_kafka_conf_set_log_cb(conf, log_cb);
	if (group)
		rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
	if ((rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr,
	    sizeof errstr)) == NULL) {
		weprintf("%s", errstr);
		rd_kafka_conf_destroy(conf);
		return EX_CONFIG;
	}
	consumer = rk;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_flags = SA_RESETHAND;	/* a second one ends at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	buf_init(&ob);
	buf_init(&sb);
	last_stats = mono_ms();

	if (simple) {
		q = rd_kafka_queue_new(rk);
		rkts = xcalloc((size_t)ntopics, sizeof *rkts);
		for (i = 0; i < ntopics; i++)
			rkts[i] = rd_kafka_topic_new(rk, topics[i], NULL);
		if (start_simple(rk, q, topics, ntopics, rkts) < 0)
			done = 1;
	} else {
		rd_kafka_poll_set_consumer(rk);
		sub = rd_kafka_topic_partition_list_new(ntopics);
		for (i = 0; i < ntopics; i++)
			rd_kafka_topic_partition_list_add(sub, topics[i],
			    RD_KAFKA_PARTITION_UA);
		if ((err = rd_kafka_subscribe(rk, sub)) != 0) {
			weprintf("group %s: subscribe: %s", group,
			    rd_kafka_err2str(err));
			status = EX_CONFIG;
			done = 1;
		}
		rd_kafka_topic_partition_list_destroy(sub);
	}

	while (!done && !stop_sig && simple) {
		n = rd_kafka_consume_callback_queue(q, 0, consume_cb, NULL);
		if (n == 0) {
			/* nothing waiting: flush for those who wait */
			housekeeping(simple);
			if (done || stop_sig)
				break;
			if (nmsgs - drain_msgs >= wake_msgs ||
			    nbytes - drain_bytes >= wake_bytes)
				wake_fetcher(rk);
			drain_msgs = nmsgs;
			drain_bytes = nbytes;
			n = rd_kafka_consume_callback_queue(q, WAIT_MS, consume_cb,
			    NULL);
		}
		if (n > 0 && mono_ms() - last_flush >= FLUSH_MS)
			housekeeping(simple);
	}
	while (!done && !stop_sig && !simple) {
		if ((m = rd_kafka_consumer_poll(rk, 0)) == NULL) {
			emit_ordered();
			housekeeping(simple);
			if (done || stop_sig)
				break;
			/* held records wait for a partition's next fetch */
			if ((m = rd_kafka_consumer_poll(rk, nheld ? 10 :
			    WAIT_MS)) == NULL)
				continue;
		}
		take(m);
		if (nheld)
			emit_ordered();
		if (++ticks >= 256) {
			ticks = 0;
			if (mono_ms() - last_flush >= FLUSH_MS)
				housekeeping(simple);
		}
	}

	/* stop: flush, store and commit what was written, leave */
	flush_and_store(rk);
	if (simple) {
		stop_simple(rk, topics, ntopics, rkts);
		rd_kafka_queue_destroy(q);
		for (i = 0; i < ntopics; i++)
			rd_kafka_topic_destroy(rkts[i]);
		free(rkts);
		rd_kafka_destroy(rk);
	} else if (down_since && status == EX_UNAVAILABLE) {
		rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
	} else {
		commit_sync(rk);
		if ((err = rd_kafka_consumer_close(rk)) != 0)
			weprintf("group %s: close: %s", group, rd_kafka_err2str(err));
		rd_kafka_destroy(rk);
	}
	parts_clear();
	free(parts);
	free(topics);
	free(last_err_where);
	buf_free(&ob);
	buf_free(&sb);
	buf_free(&avb);
	buf_free(&akb);
	registry_free(reg);
	if (dl && fclose(dl) == EOF) {
		weprintf("%s:", dl_path);
		status = EX_IOERR;
	}
	if (!out_failed && fshut(stdout, "standard output") != 0)
		status = EX_IOERR;
	return status;
}
