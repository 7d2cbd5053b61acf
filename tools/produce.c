/*
 * produce: JSON lines to Kafka, with key and topic taken from fields, and a
 * checkpoint of the source positions the broker acknowledged.
 */
#include "buf.h"
#include "ckpt.h"
#include "connect.h"
#include "jpath.h"
#include "jvalid.h"
#include "kconf.h"
#include "kprod.h"
#include "lineio.h"
#include "registry.h"
#include "stats.h"
#include "util.h"
#include "window.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct header {
	char *name;
	struct jtmpl *value;
};

/* One message in flight, by sequence number. */
struct slot {
	unsigned long long lineno;
	unsigned file;
	const char *stream;	/* interned, or NULL */
	json_t *pos;		/* the record's position, when it is the last
				   message of a record that has one */
};

static volatile sig_atomic_t stop, usr1;

/* options */
static struct jtmpl *topic_tmpl;
static const char *fixed_topic;
static struct jpath *key_path;
static int32_t partition = RD_KAFKA_PARTITION_UA;
static struct header *headers;
static int nheaders;
static json_t *renames;
static int tombstones, require_key, keep_meta;
static const char *ckpt_path, *dl_path, *stats_file;
static long long ckpt_interval = 1000, drain_timeout = 30000, stats_ms;
static long long max_errors = -1;
static size_t max_line = LINE_MAX_DEFAULT;

/* -s avro: values in Confluent's Avro framing, the schema in a registry */
enum { SUBJ_TOPIC, SUBJ_RECORD, SUBJ_TOPIC_RECORD };
struct avside {
	int on;
	const char *part;	/* "value" or "key", for subjects */
	const char *path;	/* --schema or --key-schema */
	struct avsch sch;
	json_t *ids;		/* subject -> schema id */
	struct buf out;		/* the framed bytes of a record */
};
/*
 * -s avro without --schema: each record carries its Kafka Connect schema
 * ({"schema":...,"payload":...}, binlog2jsonl --schemas, pgcdc2jsonl
 * --schemas, Kafka Connect's JsonConverter); each distinct one gets the
 * Avro schema derived from it, registered like a --schema.
 */
struct derived {
	char *connect;		/* the Connect schema's text, as it came */
	size_t len;
	uint64_t hash;
	struct avsch sch;
	struct cs_avro ca;
	json_t *ids;
	char *label;		/* for messages: "FILE:LINE: the schema derived" */
};
static struct derived *derived;
static size_t nderived;
static struct jpath *schema_path, *payload_path;
static struct buf fixbuf;	/* a payload cs_fix_text changed */
static int subject_strategy, no_register;
static const char *registry_url;
static struct registry *reg;
static struct avside av_value = { .part = "value" }, av_key = { .part = "key" };

/* state */
static struct kprod *kp;
static struct ckpt ck;
static int ckpt_dirty;
static FILE *dl;
static int dl_dirty;
static char **files;
static int nfiles;
static struct slot *ring;
static uint64_t ring_cap, ring_base;	/* positions below ring_base are applied */
static json_t *stream_names;		/* interned stream names */
static struct jpath *meta_paths[3], *op_paths[2];
static int status;			/* the first failure's exit status */
static struct buf keybuf, topicbuf, valbuf, hbuf;

/* counters */
static unsigned long long n_lines, n_records, n_tombstones, n_rejected,
    n_refused, n_nokey, n_nopos, n_fragments;

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: produce -b brokers -t topic [-k path[,path...]] [-p partition]\n"
	    "               [-H name=value] [-X prop=val] [-F file] [-z codec]\n"
	    "               [--rename from=to] [--rename-file file] [--tombstones]\n"
	    "               [--require-key] [--keep-meta] [--checkpoint file]\n"
	    "               [--checkpoint-interval ms] [--dead-letter file]\n"
	    "               [--max-errors n] [--max-line-bytes size]\n"
	    "               [--drain-timeout ms] [--stats ms] [--stats-file path]\n"
	    "               [-s [key=|value=]avro -r url [--schema file]\n"
	    "               [--key-schema file] [--no-register]\n"
	    "               [--subject-strategy topic|record|topic-record]]\n"
	    "               [file ...]\n"
	    "       produce -h | --help | --version\n");
}

static void
onsig(int sig)
{
	if (sig == SIGUSR1)
		usr1 = 1;
	else
		stop++;
}

static void
fail_status(int st)
{
	if (status == 0)
		status = st;
}

/* A Kafka topic name: 1 to 249 of [a-zA-Z0-9._-], not "." or "..". */
static int
topic_ok(const char *t, size_t n)
{
	if (n == 0 || n > 249 || (n == 1 && t[0] == '.') ||
	    (n == 2 && t[0] == '.' && t[1] == '.'))
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = t[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static int
add_rename(const char *pair, const char *where)
{
	const char *eq = strchr(pair, '=');
	char *from;

	if (eq == NULL || eq == pair || eq[1] == '\0') {
		weprintf("%s%s: expected from=to", where, pair);
		return -1;
	}
	if (!topic_ok(eq + 1, strlen(eq + 1))) {
		weprintf("%s%s: \"%s\" is not a valid topic name", where, pair,
		    eq + 1);
		return -1;
	}
	from = xstrndup(pair, (size_t)(eq - pair));
	json_object_set_new(renames, from, json_string(eq + 1));
	free(from);
	return 0;
}

/* A file of from=to lines; '#' starts a comment line. */
static int
load_renames(const char *path)
{
	FILE *fp;
	char *line = NULL, *s, *e, *where;
	size_t cap = 0;
	unsigned lineno = 0;
	int ret = 0;

	if ((fp = fopen(path, "r")) == NULL) {
		weprintf("%s:", path);
		return -1;
	}
	while (ret == 0 && getline(&line, &cap, fp) != -1) {
		lineno++;
		for (s = line; *s == ' ' || *s == '\t'; s++)
			;
		e = s + strlen(s);
		while (e > s && (e[-1] == '\n' || e[-1] == '\r' ||
		    e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (*s == '\0' || *s == '#')
			continue;
		where = xasprintf("%s:%u: ", path, lineno);
		ret = add_rename(s, where);
		free(where);
	}
	if (ret == 0 && ferror(fp)) {
		weprintf("%s:", path);
		ret = -1;
	}
	free(line);
	fclose(fp);
	return ret;
}

static void
add_header(const char *pair)
{
	const char *eq = strchr(pair, '=');
	char err[512];
	struct header *h;

	if (eq == NULL || eq == pair) {
		weprintf("-H %s: expected name=value", pair);
		usage(stderr);
		exit(EX_USAGE);
	}
	headers = xrealloc(headers, (nheaders + 1) * sizeof *headers);
	h = &headers[nheaders++];
	h->name = xstrndup(pair, (size_t)(eq - pair));
	if ((h->value = jtmpl_parse(eq + 1, err, sizeof err)) == NULL)
		die(EX_USAGE, "-H %s: %s", pair, err);
}

/* The in-flight ring: one slot per sequence number in [ring_base, sent). */
static struct slot *
slot_at(uint64_t seq)
{
	return &ring[seq & (ring_cap - 1)];
}

static struct slot *
slot_new(uint64_t seq)
{
	struct slot *s;

	if (seq - ring_base >= ring_cap) {
		uint64_t ncap = ring_cap ? ring_cap * 2 : 1 << 14;
		struct slot *nr = xcalloc(ncap, sizeof *nr);
		for (uint64_t i = ring_base; i < seq; i++)
			nr[i & (ncap - 1)] = ring[i & (ring_cap - 1)];
		free(ring);
		ring = nr;
		ring_cap = ncap;
	}
	s = slot_at(seq);
	memset(s, 0, sizeof *s);
	return s;
}

/* Apply the positions of every message the broker acknowledged. */
static void
advance(void)
{
	uint64_t w = kprod_watermark(kp);
	struct slot *s;

	for (; ring_base < w; ring_base++) {
		s = slot_at(ring_base);
		if (s->pos != NULL) {
			ckpt_set(&ck, s->stream, s->pos);
			s->pos = NULL;
			ckpt_dirty = 1;
		}
	}
}

static const char *
intern_stream(char *name)
{
	json_t *v = json_object_get(stream_names, name);

	if (v == NULL) {
		json_object_set_new(stream_names, name, json_string(name));
		v = json_object_get(stream_names, name);
	}
	free(name);
	return json_string_value(v);
}

static int
dl_write(const char *p, size_t n)
{
	if (dl == NULL)
		return 0;
	if (fwrite(p, 1, n, dl) != n || putc('\n', dl) == EOF) {
		weprintf("%s:", dl_path);
		fail_status(EX_IOERR);
		return -1;
	}
	dl_dirty = 1;
	return 0;
}

/* Make dead letters durable before a checkpoint moves past them. */
static int
dl_sync(void)
{
	if (dl == NULL || !dl_dirty)
		return 0;
	if (fflush(dl) == EOF || fsync(fileno(dl)) != 0) {
		weprintf("%s:", dl_path);
		fail_status(EX_IOERR);
		return -1;
	}
	dl_dirty = 0;
	return 0;
}

static void
count_error(void)
{
	if (max_errors >= 0 && n_rejected + n_refused > (unsigned long long)max_errors &&
	    status == 0) {
		weprintf("more than %lld bad records", max_errors);
		fail_status(EX_DATAERR);
	}
}

/* A line that cannot be sent: report it, dead-letter it, count it. */
static void __attribute__((format(printf, 4, 5)))
reject(const struct lreader *r, const char *line, size_t len, const char *fmt,
    ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	n_rejected++;
	weprintf("%s:%llu: %s", r->name, r->lineno, msg);
	dl_write(line, len);
	count_error();
}

/* Called by kprod for a message the broker refused on its own. */
static int
on_refused(void *ctx, uint64_t seq, const rd_kafka_message_t *m)
{
	struct slot *s = slot_at(seq);

	(void)ctx;
	n_refused++;
	weprintf("%s:%llu: %s refused by Kafka: %s", files[s->file], s->lineno,
	    m->payload ? "record" : "tombstone", rd_kafka_err2str(m->err));
	if (m->payload != NULL && dl_write(m->payload, m->len) != 0)
		return -1;
	count_error();
	return 0;
}

/* Is line one JSON object? On failure write the reason into why. */
static int
valid_object(const char *line, size_t len, char *why, size_t whylen)
{
	static const char *kinds[] = {
		[JV_ARRAY] = "an array", [JV_STRING] = "a string",
		[JV_NUMBER] = "a number", [JV_TRUE] = "true",
		[JV_FALSE] = "false", [JV_NULL] = "null",
	};
	struct jvalid jv;
	enum jv_type t = jvalid(line, len, &jv);

	if (t == JV_OBJECT)
		return 1;
	if (t == JV_INVALID)
		snprintf(why, whylen, "not a JSON object: %s at byte %zu",
		    jv.err, jv.err_off + 1);
	else
		snprintf(why, whylen, "not a JSON object: %s", kinds[t]);
	return 0;
}

/* The record's source position, from its _kafka, source or _csv member. */
static json_t *
position_of(const char *line, size_t len, const char **stream)
{
	static const char *names[] = { "_kafka", "source", "_csv" };
	json_t *mini = json_object(), *v, *pos;
	const char *t;
	size_t tn;
	char *name;

	for (int i = 0; i < 3; i++)
		if (jpath_find(meta_paths[i], line, len, &t, &tn) &&
		    (v = json_loadb(t, tn, JSON_DECODE_ANY | JSON_ALLOW_NUL,
		    NULL)) != NULL)
			json_object_set_new(mini, names[i], v);
	pos = ckpt_position_of(mini, &name);
	json_decref(mini);
	*stream = pos ? intern_stream(name) : NULL;
	return pos;
}

static int
is_delete(const char *line, size_t len)
{
	const char *t;
	size_t tn;

	for (int i = 0; i < 2; i++)
		if (jpath_find(op_paths[i], line, len, &t, &tn))
			return tn == 3 && memcmp(t, "\"d\"", 3) == 0;
	return 0;
}

/* Send the message; returns its sequence number, -2 refused, -1 fatal. */
static int64_t
send1(const struct lreader *r, unsigned file, const char *topic,
    const char *key, size_t klen, const char *val, size_t vlen,
    rd_kafka_headers_t *hdrs)
{
	rd_kafka_resp_err_t err;
	int64_t seq;

	seq = kprod_send(kp, topic, partition, key, klen, val, vlen, hdrs, &err);
	if (seq == -2) {
		n_refused++;
		weprintf("%s:%llu: %s refused by Kafka: %s", r->name, r->lineno,
		    val ? "record" : "tombstone", rd_kafka_err2str(err));
		if (val != NULL)
			dl_write(val, vlen);
		count_error();
	} else if (seq >= 0) {
		struct slot *s = slot_new((uint64_t)seq);
		s->lineno = r->lineno;
		s->file = file;
	}
	return seq;
}

/* The subject of schema sch for topic, as the strategy names it. */
static char *
subject_of(const struct avside *a, const struct avsch *sch, const char *topic)
{
	switch (subject_strategy) {
	case SUBJ_RECORD:
		return xstrdup(sch->fullname);
	case SUBJ_TOPIC_RECORD:
		return xasprintf("%s-%s", topic, sch->fullname);
	default:
		return xasprintf("%s-%s", topic, a->part);
	}
}

/*
 * The id of schema sch (of ids, named label in messages) under the
 * subject for topic; -1 when producing must stop.
 */
static int
schema_id_of(struct avside *a, struct avsch *sch, json_t *ids,
    const char *label, const char *topic, int32_t *id)
{
	char *subject = subject_of(a, sch, topic), err[800];
	json_t *known = json_object_get(ids, subject);
	int rc;

	if (known) {
		*id = (int32_t)json_integer_value(known);
		free(subject);
		return 0;
	}
	rc = registry_register(reg, subject, sch->text, no_register, id, err,
	    sizeof err);
	if (rc == REG_OK)
		json_object_set_new(ids, subject, json_integer(*id));
	else if (rc == REG_REFUSED) {
		weprintf("%s: refused by the registry: %s", label, err);
		fail_status(EX_DATAERR);
	} else if (rc == REG_NOTFOUND) {
		weprintf("%s: not registered (--no-register): %s", label, err);
		fail_status(EX_CONFIG);
	} else {
		weprintf("registry %s: %s", registry_url, err);
		fail_status(rc == REG_DOWN ? EX_UNAVAILABLE : EX_CONFIG);
	}
	free(subject);
	return rc == REG_OK ? 0 : -1;
}

static int
schema_id(struct avside *a, const char *topic, int32_t *id)
{
	return schema_id_of(a, &a->sch, a->ids, a->path, topic, id);
}

/*
 * The derived schema of a record's Connect schema (text t[0..tn)): NULL,
 * with the reason in why, when it has none that Avro can take.
 */
static struct derived *
derived_of(const struct lreader *r, const char *t, size_t tn, char *why,
    size_t whylen)
{
	uint64_t h = hash64(t, tn, 0);
	struct derived *d;
	json_error_t je;
	json_t *cs;
	char *text;

	for (size_t i = 0; i < nderived; i++)
		if (derived[i].hash == h && derived[i].len == tn &&
		    memcmp(derived[i].connect, t, tn) == 0)
			return &derived[i];
	if ((cs = json_loadb(t, tn, 0, &je)) == NULL) {
		snprintf(why, whylen, "schema: not JSON: %s", je.text);
		return NULL;
	}
	derived = xrealloc(derived, (nderived + 1) * sizeof *derived);
	d = &derived[nderived];
	memset(d, 0, sizeof *d);
	if (cs_to_avro(cs, &d->ca, why, whylen) < 0) {
		json_decref(cs);
		return NULL;
	}
	json_decref(cs);
	text = json_dumps(d->ca.schema, JSON_COMPACT);
	if (avsch_load(&d->sch, text, strlen(text), why, whylen) < 0) {
		free(text);
		cs_avro_free(&d->ca);
		return NULL;
	}
	free(text);
	d->connect = xmalloc(tn);
	memcpy(d->connect, t, tn);
	d->len = tn;
	d->hash = h;
	d->ids = json_object();
	d->label = xasprintf("%s:%llu: the schema derived", r->name,
	    (unsigned long long)r->lineno);
	nderived++;
	return d;
}

/*
 * The value or key (JSON text) as Confluent-framed Avro in a->out: 0 done,
 * 1 the line was rejected, -1 producing must stop.
 */
static int
avro_encode(struct avside *a, const struct lreader *r, const char *line,
    size_t len, const char *topic, const char *val, size_t vlen)
{
	unsigned char hdr[SR_HEADER];
	char err[800];
	json_error_t je;
	json_t *j;
	int32_t id;
	int rc;
	struct derived *d = NULL;

	if (a->path == NULL) {
		const char *t;
		size_t tn;

		if (!jpath_find(schema_path, val, vlen, &t, &tn) ||
		    !jpath_find(payload_path, val, vlen, &val, &vlen)) {
			reject(r, line, len, "no schema and payload (records "
			    "of --schemas, or give --schema)");
			return 1;
		}
		if ((d = derived_of(r, t, tn, err, sizeof err)) == NULL) {
			reject(r, line, len, "no Avro schema from its Connect "
			    "schema: %s", err);
			return 1;
		}
		if (cs_fix_text(&d->ca, val, vlen, &fixbuf)) {
			val = fixbuf.p;
			vlen = fixbuf.len;
		}
	}
	if ((j = json_loadb(val, vlen, JSON_ALLOW_NUL | JSON_DECODE_ANY,
	    &je)) == NULL) {
		reject(r, line, len, "%snot JSON: %s", a == &av_key ? "key: " : "",
		    je.text);
		return 1;
	}
	if (d && cs_fix_payload(&d->ca, j, err, sizeof err) < 0) {
		json_decref(j);
		reject(r, line, len, "not a value of %s: %s", d->label, err);
		return 1;
	}
	if ((d ? schema_id_of(a, &d->sch, d->ids, d->label, topic, &id) :
	    schema_id(a, topic, &id)) < 0) {
		json_decref(j);
		return -1;
	}
	sr_frame(hdr, id);
	buf_reset(&a->out);
	buf_add(&a->out, hdr, sizeof hdr);
	rc = avsch_encode(d ? &d->sch : &a->sch, j, &a->out, err, sizeof err);
	json_decref(j);
	if (rc < 0) {
		reject(r, line, len, "%snot a value of %s: %s",
		    a == &av_key ? "key: " : "", d ? d->label : a->path, err);
		return 1;
	}
	return 0;
}

/* One line of input: returns -1 when producing must stop. */
static int
handle(const struct lreader *r, unsigned file, const char *line, size_t len)
{
	char why[512];
	const char *topic, *key = NULL, *val = line, *missing, *t, *stream = NULL;
	size_t klen = 0, vlen = len, tn, from, to;
	rd_kafka_headers_t *hdrs = NULL;
	json_t *pos = NULL;
	int64_t seq, tseq;
	size_t i;

	for (i = 0; i < len; i++)
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
			break;
	if (i == len)
		return 0;	/* a blank line is no record */
	if (!valid_object(line, len, why, sizeof why)) {
		if (lr_fragment(r, line, len)) {
			/* not a record: said, and 74 at the end */
			n_fragments++;
			fragment_warn(r->name, r->lineno, len);
		} else {
			reject(r, line, len, "%s", why);
		}
		return 0;
	}

	topic = fixed_topic;
	if (topic == NULL) {
		json_t *to_name;
		buf_reset(&topicbuf);
		if (jtmpl_render_text(topic_tmpl, line, len, &topicbuf,
		    &missing) != 0) {
			reject(r, line, len, "no topic: no field %s", missing);
			return 0;
		}
		topic = buf_cstr(&topicbuf);
		if ((to_name = json_object_get(renames, topic)) != NULL)
			topic = json_string_value(to_name);
		else if (!topic_ok(topicbuf.p, topicbuf.len)) {
			reject(r, line, len, "\"%s\" is not a valid topic name",
			    topic);
			return 0;
		}
	}

	if (key_path != NULL) {
		if (av_key.on && jpath_find(key_path, line, len, &t, &tn)) {
			int rc = avro_encode(&av_key, r, line, len, topic, t, tn);

			if (rc != 0)
				return rc < 0 ? -1 : 0;
			key = av_key.out.p;
			klen = av_key.out.len;
		} else if (!av_key.on && jpath_find(key_path, line, len, &t, &tn)) {
			buf_reset(&keybuf);
			jpath_value_text(&keybuf, t, tn);
			key = keybuf.p ? keybuf.p : "";
			klen = keybuf.len;
		} else if (require_key) {
			reject(r, line, len, "no key: no field %s",
			    jpath_spec(key_path));
			return 0;
		} else {
			n_nokey++;
		}
	}

	if (nheaders > 0) {
		hdrs = rd_kafka_headers_new((size_t)nheaders);
		for (int h = 0; h < nheaders; h++) {
			buf_reset(&hbuf);
			if (jtmpl_render_text(headers[h].value, line, len, &hbuf,
			    &missing) != 0) {
				rd_kafka_headers_destroy(hdrs);
				reject(r, line, len, "header %s: no field %s",
				    headers[h].name, missing);
				return 0;
			}
			rd_kafka_header_add(hdrs, headers[h].name, -1,
			    hbuf.p ? hbuf.p : "", (ssize_t)hbuf.len);
		}
	}

	if (ckpt_path != NULL && (pos = position_of(line, len, &stream)) == NULL)
		n_nopos++;

	if (!keep_meta && memmem(line, len, "kafka", 5) != NULL &&
	    jtext_member_span(line, len, "_kafka", &from, &to)) {
		buf_reset(&valbuf);
		buf_add(&valbuf, line, from);
		buf_add(&valbuf, line + to, len - to);
		while (jtext_member_span(valbuf.p, valbuf.len, "_kafka", &from,
		    &to)) {
			memmove(valbuf.p + from, valbuf.p + to, valbuf.len - to);
			valbuf.len -= to - from;
		}
		val = valbuf.p;
		vlen = valbuf.len;
	}

	if (av_value.on) {
		int rc = avro_encode(&av_value, r, line, len, topic, val, vlen);

		if (rc != 0) {
			if (hdrs)
				rd_kafka_headers_destroy(hdrs);
			json_decref(pos);
			return rc < 0 ? -1 : 0;
		}
		val = av_value.out.p;
		vlen = av_value.out.len;
	}

	if ((seq = send1(r, file, topic, key, klen, val, vlen, hdrs)) < 0) {
		json_decref(pos);
		return seq == -1 ? -1 : 0;
	}
	n_records++;
	if (tombstones && key != NULL && is_delete(line, len)) {
		if ((tseq = send1(r, file, topic, key, klen, NULL, 0, NULL)) == -1) {
			json_decref(pos);
			return -1;
		}
		if (tseq >= 0) {
			n_tombstones++;
			seq = tseq;
		}
	}
	if (pos != NULL) {
		struct slot *s = slot_at((uint64_t)seq);
		s->pos = pos;
		s->stream = stream;
	}
	return 0;
}

static int
save_ckpt(void)
{
	if (ckpt_path == NULL)
		return 0;
	if (dl_sync() != 0)
		return -1;
	if (ckpt_save(&ck) != 0) {
		weprintf("%s:", ckpt_path);
		fail_status(EX_IOERR);
		return -1;
	}
	ckpt_dirty = 0;
	return 0;
}

static int
fill_stats(struct metric *m)
{
	static const struct metric tmpl[] = {
		{ "lines_in", "lines read", STAT_COUNTER, 0 },
		{ "records_sent", "records handed to Kafka", STAT_COUNTER, 0 },
		{ "tombstones_sent", "tombstones handed to Kafka", STAT_COUNTER, 0 },
		{ "acked", "messages the broker acknowledged", STAT_COUNTER, 0 },
		{ "in_flight", "messages not yet acknowledged", STAT_GAUGE, 0 },
		{ "rejected", "bad lines, not sent", STAT_COUNTER, 0 },
		{ "refused", "messages Kafka refused", STAT_COUNTER, 0 },
		{ "no_key", "records sent without a key", STAT_COUNTER, 0 },
		{ "no_position", "records sent without a source position",
		    STAT_COUNTER, 0 },
		{ "fragments", "last lines of a pipe cut short by its writer",
		    STAT_COUNTER, 0 },
	};
	int n = (int)(sizeof tmpl / sizeof *tmpl);

	memcpy(m, tmpl, sizeof tmpl);
	m[0].value = (double)n_lines;
	m[1].value = (double)n_records;
	m[2].value = (double)n_tombstones;
	m[3].value = (double)kprod_acked(kp);
	m[4].value = (double)(kprod_sent(kp) - kprod_watermark(kp));
	m[5].value = (double)n_rejected;
	m[6].value = (double)n_refused;
	m[7].value = (double)n_nokey;
	m[8].value = (double)n_nopos;
	m[9].value = (double)n_fragments;
	return n;
}

static void
show_stats(int to_stderr)
{
	struct metric m[16];
	int n = fill_stats(m);

	if (to_stderr)
		stats_print("produce", m, n);
	if (stats_file && stats_write_prom(stats_file, "produce", m, n) != 0)
		weprintf("%s:", stats_file);
}

/* Delivery reports, checkpoint and statistics, between lines. */
static void
tick(void)
{
	static long long last_ckpt, last_stats, last_prom;

	kprod_poll(kp, 0);
	advance();
	if (ckpt_dirty && (ckpt_interval == 0 ||
	    stats_due(&last_ckpt, ckpt_interval)))
		save_ckpt();
	if (usr1) {
		usr1 = 0;
		show_stats(1);
	}
	if (stats_due(&last_stats, stats_ms))
		show_stats(1);
	else if (stats_file && stats_ms == 0 && stats_due(&last_prom, 10000))
		show_stats(0);
}

/* 1 when the next read will not wait: stdio holds unread bytes. */
static int
input_buffered(FILE *fp)
{
#ifdef __GLIBC__
	return fp->_IO_read_ptr < fp->_IO_read_end;
#else
	(void)fp;
	return 1;
#endif
}

/* Read one input to its end (1), or until producing must stop (0). */
static int
produce_file(struct lreader *r, unsigned file)
{
	char *line;
	size_t len;
	int rc;

	for (;;) {
		if (!input_buffered(r->fp)) {
			struct pollfd pfd = { fileno(r->fp), POLLIN, 0 };
			tick();
			if (stop || status != 0 || kprod_error(kp, NULL) != NULL)
				return 0;
			if (poll(&pfd, 1, 100) <= 0)
				continue;
		} else if ((n_lines & 63) == 0) {
			tick();
		}
		if (stop || status != 0 || kprod_error(kp, NULL) != NULL)
			return 0;
		rc = lr_next(r, &line, &len);
		if (rc == LR_EOF)
			return 1;
		if (rc == LR_ERROR) {
			if (errno == EINTR && stop)
				return 0;
			weprintf("%s:", r->name);
			fail_status(EX_IOERR);
			return 0;
		}
		n_lines++;
		if (rc == LR_TOOLONG) {
			reject(r, line, len, "line longer than %zu bytes", max_line);
			continue;
		}
		if (handle(r, file, line, len) != 0)
			return 0;
	}
}

/* Wait for what is in flight: all of it, or drain_timeout after a signal. */
static void
drain(void)
{
	long long deadline = stop ? mono_ms() + drain_timeout : -1;
	int seen = stop;

	while (kprod_watermark(kp) < kprod_sent(kp) &&
	    kprod_error(kp, NULL) == NULL && stop < 2) {
		if (stop && !seen) {
			deadline = mono_ms() + drain_timeout;
			seen = 1;
		}
		if (deadline >= 0 && mono_ms() >= deadline)
			break;
		kprod_poll(kp, 100);
		tick();
	}
	kprod_poll(kp, 0);
	advance();
}

static void
on_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = onsig;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);	/* no SA_RESTART: a read stops */
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
}

static long long
number_arg(const char *opt, long long v)
{
	if (v < 0)
		die(EX_USAGE, "%s: not a valid number", opt);
	return v;
}

int
main(int argc, char *argv[])
{
	enum {
		O_CKPT = 256, O_CKPT_INTERVAL, O_DEAD_LETTER, O_DRAIN_TIMEOUT,
		O_HELP, O_KEEP_META, O_MAX_ERRORS, O_MAX_LINE, O_RENAME,
		O_RENAME_FILE, O_REQUIRE_KEY, O_STATS, O_STATS_FILE,
		O_TOMBSTONES, O_VERSION, O_SCHEMA, O_SUBJECT_STRATEGY,
		O_NO_REGISTER, O_KEY_SCHEMA,
	};
	static const struct option longopts[] = {
		{ "checkpoint", required_argument, NULL, O_CKPT },
		{ "checkpoint-interval", required_argument, NULL, O_CKPT_INTERVAL },
		{ "dead-letter", required_argument, NULL, O_DEAD_LETTER },
		{ "drain-timeout", required_argument, NULL, O_DRAIN_TIMEOUT },
		{ "help", no_argument, NULL, 'h' },
		{ "keep-meta", no_argument, NULL, O_KEEP_META },
		{ "key-schema", required_argument, NULL, O_KEY_SCHEMA },
		{ "max-errors", required_argument, NULL, O_MAX_ERRORS },
		{ "max-line-bytes", required_argument, NULL, O_MAX_LINE },
		{ "no-register", no_argument, NULL, O_NO_REGISTER },
		{ "rename", required_argument, NULL, O_RENAME },
		{ "rename-file", required_argument, NULL, O_RENAME_FILE },
		{ "require-key", no_argument, NULL, O_REQUIRE_KEY },
		{ "schema", required_argument, NULL, O_SCHEMA },
		{ "stats", required_argument, NULL, O_STATS },
		{ "stats-file", required_argument, NULL, O_STATS_FILE },
		{ "subject-strategy", required_argument, NULL, O_SUBJECT_STRATEGY },
		{ "tombstones", no_argument, NULL, O_TOMBSTONES },
		{ "version", no_argument, NULL, O_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	rd_kafka_conf_t *conf;
	struct lreader *readers;
	char err[512], brokers[1024];
	size_t blen = sizeof brokers;
	const char *topic_arg = NULL, *key_arg = NULL;
	int c, st, done;
	long long v;

	setprogname(argv[0]);
	conf = kprod_conf_new();
	renames = json_object();
	stream_names = json_object();
	while ((c = getopt_long(argc, argv, "b:F:H:hk:p:r:s:t:X:z:", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'b':
			if (kconf_set(conf, "bootstrap.servers", optarg) != 0)
				exit(EX_CONFIG);
			break;
		case 'F':
			if (kconf_load_file(conf, optarg) != 0)
				exit(EX_CONFIG);
			break;
		case 'H':
			add_header(optarg);
			break;
		case 'h':
			usage(stdout);
			exit(fshut(stdout, "standard output"));
		case 'k':
			key_arg = optarg;
			break;
		case 'p':
			v = parse_count(optarg);
			if (v < 0 || v > INT32_MAX)
				die(EX_USAGE, "-p %s: not a partition number",
				    optarg);
			partition = (int32_t)v;
			break;
		case 'r':
			registry_url = optarg;
			break;
		case 's':
			if (avro_serde_arg(optarg, &av_key.on, &av_value.on) < 0)
				die(EX_USAGE, "-s %s: expected avro, key=avro or "
				    "value=avro", optarg);
			break;
		case 't':
			topic_arg = optarg;
			break;
		case 'X':
			if (kconf_set_pair(conf, optarg) != 0)
				exit(EX_CONFIG);
			break;
		case 'z':
			if (kconf_set(conf, "compression.codec", optarg) != 0)
				exit(EX_CONFIG);
			break;
		case O_CKPT:
			ckpt_path = optarg;
			break;
		case O_CKPT_INTERVAL:
			ckpt_interval = number_arg("--checkpoint-interval",
			    parse_duration_ms(optarg));
			break;
		case O_DEAD_LETTER:
			dl_path = optarg;
			break;
		case O_DRAIN_TIMEOUT:
			drain_timeout = number_arg("--drain-timeout",
			    parse_duration_ms(optarg));
			break;
		case O_KEEP_META:
			keep_meta = 1;
			break;
		case O_MAX_ERRORS:
			max_errors = number_arg("--max-errors",
			    parse_count(optarg));
			break;
		case O_MAX_LINE:
			v = number_arg("--max-line-bytes", parse_size(optarg));
			if (v < 1 || v > (1LL << 30))
				die(EX_USAGE, "--max-line-bytes %s: from 1 to 1G",
				    optarg);
			max_line = (size_t)v;
			break;
		case O_RENAME:
			if (add_rename(optarg, "--rename ") != 0)
				exit(EX_USAGE);
			break;
		case O_RENAME_FILE:
			if (load_renames(optarg) != 0)
				exit(EX_CONFIG);
			break;
		case O_REQUIRE_KEY:
			require_key = 1;
			break;
		case O_STATS:
			stats_ms = number_arg("--stats", parse_duration_ms(optarg));
			break;
		case O_STATS_FILE:
			stats_file = optarg;
			break;
		case O_TOMBSTONES:
			tombstones = 1;
			break;
		case O_NO_REGISTER:
			no_register = 1;
			break;
		case O_SCHEMA:
			av_value.path = optarg;
			break;
		case O_KEY_SCHEMA:
			av_key.path = optarg;
			break;
		case O_SUBJECT_STRATEGY:
			if (strcmp(optarg, "topic") == 0)
				subject_strategy = SUBJ_TOPIC;
			else if (strcmp(optarg, "record") == 0)
				subject_strategy = SUBJ_RECORD;
			else if (strcmp(optarg, "topic-record") == 0)
				subject_strategy = SUBJ_TOPIC_RECORD;
			else
				die(EX_USAGE, "--subject-strategy %s: expected topic, "
				    "record or topic-record", optarg);
			break;
		case O_VERSION:
			printf("produce %s (librdkafka %s)\n", TP_VERSION,
			    rd_kafka_version_str());
			exit(fshut(stdout, "standard output"));
		default:
			usage(stderr);
			exit(EX_USAGE);
		}
	}
	argc -= optind;
	argv += optind;

	if (topic_arg == NULL) {
		weprintf("no topic: -t is required");
		usage(stderr);
		exit(EX_USAGE);
	}
	if (rd_kafka_conf_get(conf, "bootstrap.servers", brokers, &blen) !=
	    RD_KAFKA_CONF_OK || brokers[0] == '\0') {
		weprintf("no brokers: -b is required (or bootstrap.servers "
		    "in -F or -X)");
		usage(stderr);
		exit(EX_USAGE);
	}
	if (registry_url == NULL && (av_value.on || av_key.on))
		registry_url = kconf_extra("schema.registry.url");
	if (av_value.on && registry_url == NULL)
		die(EX_USAGE, "-s avro needs a registry (-r)");
	if (av_key.on && (registry_url == NULL || av_key.path == NULL ||
	    key_arg == NULL))
		die(EX_USAGE, "-s key=avro needs a registry (-r), a key (-k) and "
		    "its schema (--key-schema)");
	if ((!av_value.on && av_value.path) || (!av_key.on && av_key.path) ||
	    (!av_value.on && !av_key.on && registry_url))
		die(EX_USAGE, "-r, --schema and --key-schema go with -s avro and "
		    "-s key=avro");
	if ((topic_tmpl = jtmpl_parse(topic_arg, err, sizeof err)) == NULL)
		die(EX_USAGE, "-t %s", err);
	if (jtmpl_is_literal(topic_tmpl)) {
		json_t *to_name = json_object_get(renames, topic_arg);
		fixed_topic = to_name ? json_string_value(to_name) : topic_arg;
		if (!topic_ok(fixed_topic, strlen(fixed_topic)))
			die(EX_USAGE, "-t %s: not a valid topic name", fixed_topic);
	}
	if (key_arg != NULL &&
	    (key_path = jpath_parse(key_arg, err, sizeof err)) == NULL)
		die(EX_USAGE, "-k %s", err);
	if (tombstones && key_path == NULL)
		die(EX_USAGE, "--tombstones needs a key (-k)");
	meta_paths[0] = jpath_parse("_kafka", err, sizeof err);
	/* a record with its schema (--schemas) has them in its payload */
	meta_paths[1] = jpath_parse("source,payload.source", err, sizeof err);
	meta_paths[2] = jpath_parse("_csv", err, sizeof err);
	op_paths[0] = jpath_parse("op,payload.op", err, sizeof err);
	op_paths[1] = jpath_parse("__op", err, sizeof err);
	schema_path = jpath_parse("schema", err, sizeof err);
	payload_path = jpath_parse("payload", err, sizeof err);

	/* Open everything first: inputs, dead letters, checkpoint, producer. */
	nfiles = argc > 0 ? argc : 1;
	files = xcalloc((size_t)nfiles, sizeof *files);
	readers = xcalloc((size_t)nfiles, sizeof *readers);
	for (int i = 0; i < nfiles; i++) {
		const char *path = argc > 0 ? argv[i] : "-";
		if (lr_open(&readers[i], path, max_line) != 0)
			die(EX_NOINPUT, "%s:", path);
		files[i] = (char *)readers[i].name;
	}
	if (dl_path != NULL && (dl = fopen(dl_path, "a")) == NULL)
		die(EX_IOERR, "%s:", dl_path);
	if (registry_url && (reg = registry_open(registry_url, err,
	    sizeof err)) == NULL)
		die(EX_CONFIG, "registry: %s", err);
	for (int side = 0; side < 2; side++) {
		struct avside *a = side ? &av_key : &av_value;
		struct buf text;
		int rc;

		if (!a->on || a->path == NULL)
			continue;	/* no --schema: derived, record by record */
		buf_init(&text);
		if ((rc = buf_read_file(&text, a->path)) < 0)
			die(rc == -1 ? EX_NOINPUT : EX_IOERR, "%s:", a->path);
		if (avsch_load(&a->sch, text.p ? text.p : "", text.len, err,
		    sizeof err) < 0)
			die(EX_CONFIG, "%s: %s", a->path, err);
		buf_free(&text);
		if (subject_strategy != SUBJ_TOPIC && a->sch.fullname == NULL)
			die(EX_USAGE, "--subject-strategy record: %s has no named "
			    "type at its top", a->path);
		a->ids = json_object();
		if (fixed_topic != NULL) {
			int32_t id;

			if (schema_id(a, fixed_topic, &id) < 0)
				exit(status);
		}
	}
	if (ckpt_path != NULL) {
		if (ckpt_open(&ck, ckpt_path, "produce", err, sizeof err) != 0)
			die(EX_CONFIG, "%s", err);
		if (ckpt_save(&ck) != 0)
			die(EX_IOERR, "%s:", ckpt_path);
	}
	if ((kp = kprod_new(conf, on_refused, NULL, err, sizeof err)) == NULL)
		die(EX_CONFIG, "%s", err);
	on_signals();

	done = 1;
	for (int i = 0; i < nfiles; i++) {
		if (done)
			done = produce_file(&readers[i], (unsigned)i);
		lr_close(&readers[i]);
	}
	drain();
	if (ckpt_dirty)
		save_ckpt();
	if (dl != NULL) {
		dl_sync();
		if (fclose(dl) != 0) {
			weprintf("%s:", dl_path);
			fail_status(EX_IOERR);
		}
	}
	if (stats_ms > 0 || stats_file != NULL)
		show_stats(stats_ms > 0);

	if (kprod_error(kp, &st) != NULL) {
		weprintf("%s", kprod_error(kp, NULL));
		fail_status(st);
	}
	if (kprod_watermark(kp) < kprod_sent(kp)) {
		weprintf("%" PRIu64 " of %" PRIu64 " messages not acknowledged",
		    kprod_sent(kp) - kprod_watermark(kp), kprod_sent(kp));
		fail_status(EX_TEMPFAIL);
	}
	if (n_fragments)
		fail_status(EX_IOERR);

	/* free what a leak checker would report */
	for (uint64_t s = ring_base; s < kprod_sent(kp); s++)
		json_decref(slot_at(s)->pos);
	kprod_destroy(kp);
	if (ckpt_path != NULL)
		ckpt_close(&ck);
	free(ring);
	free(readers);
	free(files);
	for (int i = 0; i < nheaders; i++) {
		free(headers[i].name);
		jtmpl_free(headers[i].value);
	}
	free(headers);
	jtmpl_free(topic_tmpl);
	jpath_free(key_path);
	for (int i = 0; i < 3; i++)
		jpath_free(meta_paths[i]);
	for (int i = 0; i < 2; i++)
		jpath_free(op_paths[i]);
	jpath_free(schema_path);
	jpath_free(payload_path);
	buf_free(&fixbuf);
	for (size_t i = 0; i < nderived; i++) {
		free(derived[i].connect);
		free(derived[i].label);
		avsch_free(&derived[i].sch);
		cs_avro_free(&derived[i].ca);
		json_decref(derived[i].ids);
	}
	free(derived);
	json_decref(renames);
	json_decref(stream_names);
	buf_free(&keybuf);
	buf_free(&topicbuf);
	buf_free(&valbuf);
	buf_free(&hbuf);
	for (int side = 0; side < 2; side++) {
		struct avside *a = side ? &av_key : &av_value;

		if (a->on && a->path) {
			avsch_free(&a->sch);
			json_decref(a->ids);
		}
		buf_free(&a->out);
	}
	registry_free(reg);
	return status;
}
