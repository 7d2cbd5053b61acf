/* kprod.c: a Kafka producer with an ordered acknowledgement watermark. */
#include "kprod.h"
#include "kconf.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

struct kprod {
	rd_kafka_t *rk;
	kprod_fail_fn fail;
	void *ctx;
	/* ring of done flags for sequence numbers [base, next) */
	unsigned char *done;
	uint64_t cap;		/* power of two */
	uint64_t base;		/* watermark: all seq < base are done */
	uint64_t next;		/* next sequence number */
	uint64_t acked, failed;
	char errmsg[1024];
	int errstatus;
};

static void
set_error(struct kprod *p, int status, const char *fmt, const char *a,
    const char *b)
{
	if (p->errmsg[0] != '\0')
		return;
	snprintf(p->errmsg, sizeof p->errmsg, fmt, a, b);
	p->errstatus = status;
}

static void
mark_done(struct kprod *p, uint64_t seq)
{
	if (seq < p->base || seq >= p->next)
		return;
	p->done[seq & (p->cap - 1)] = 1;
	while (p->base < p->next && p->done[p->base & (p->cap - 1)]) {
		p->done[p->base & (p->cap - 1)] = 0;
		p->base++;
	}
}

/* Errors that concern one message; anything else stops the producer. */
static int
per_message_error(rd_kafka_resp_err_t err)
{
	switch (err) {
	case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
	case RD_KAFKA_RESP_ERR_INVALID_RECORD:
	case RD_KAFKA_RESP_ERR_INVALID_MSG:
	case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
	case RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP:
		return 1;
	default:
		return 0;
	}
}

static void
dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct kprod *p = opaque;
	uint64_t seq = (uint64_t)(uintptr_t)m->_private;
	const char *topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "?";

	(void)rk;
	if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		p->acked++;
		mark_done(p, seq);
		return;
	}
	if (per_message_error(m->err) && p->fail &&
	    p->fail(p->ctx, seq, m) == 0) {
		p->failed++;
		mark_done(p, seq);
		return;
	}
	if (m->err == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT)
		set_error(p, EX_UNAVAILABLE,
		    "%s: %s (no broker acknowledged the message within "
		    "message.timeout.ms)", topic, rd_kafka_err2str(m->err));
	else
		set_error(p, kconf_exit_status(m->err), "%s: %s", topic,
		    rd_kafka_err2str(m->err));
}

static void
error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct kprod *p = opaque;
	char buf[256];

	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		rd_kafka_fatal_error(rk, buf, sizeof buf);
		set_error(p, EX_SOFTWARE, "fatal producer error: %s%s", buf, "");
		return;
	}
	/* transport errors are retried by librdkafka; say so once in a while */
	if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
	    err == RD_KAFKA_RESP_ERR__TRANSPORT ||
	    err == RD_KAFKA_RESP_ERR__RESOLVE) {
		static long long last;
		long long t = mono_ms();
		if (t - last >= 10000) {
			weprintf("%s (retrying)", reason);
			last = t;
		}
		return;
	}
	weprintf("%s", reason);
}

/*
 * librdkafka's log lines as diagnostics of the program ("prog: rdkafka:
 * FAC: message"), not in its own "%4|...|" format. Connection failures
 * (FAIL) also reach error_cb, which says them once in a while: not here.
 */
static void
log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *msg)
{
	(void)rk;
	(void)level;
	if (strcmp(fac, "FAIL") == 0)
		return;
	fprintf(stderr, "%s: rdkafka: %s: %s\n", progname, fac, msg);
}

struct kprod *
kprod_new(rd_kafka_conf_t *conf, kprod_fail_fn fail, void *ctx, char *err,
    size_t errlen)
{
	struct kprod *p = xcalloc(1, sizeof *p);

	p->fail = fail;
	p->ctx = ctx;
	p->cap = 1 << 16;
	p->done = xcalloc(p->cap, 1);
	rd_kafka_conf_set_opaque(conf, p);
	rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
	rd_kafka_conf_set_error_cb(conf, error_cb);
	rd_kafka_conf_set_log_cb(conf, log_cb);
	if ((p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, errlen)) == NULL) {
		free(p->done);
		free(p);
		return NULL;
	}
	return p;
}

void
kprod_destroy(struct kprod *p)
{
	if (p == NULL)
		return;
	rd_kafka_destroy(p->rk);
	free(p->done);
	free(p);
}

rd_kafka_t *
kprod_handle(struct kprod *p)
{
	return p->rk;
}

static void
grow(struct kprod *p)
{
	uint64_t ncap = p->cap * 2, s;
	unsigned char *nd = xcalloc(ncap, 1);

	for (s = p->base; s < p->next; s++)
		nd[s & (ncap - 1)] = p->done[s & (p->cap - 1)];
	free(p->done);
	p->done = nd;
	p->cap = ncap;
}

int64_t
kprod_send(struct kprod *p, const char *topic, int32_t partition,
    const void *key, size_t klen, const void *value, size_t vlen,
    rd_kafka_headers_t *hdrs, rd_kafka_resp_err_t *errp)
{
	rd_kafka_resp_err_t err;
	uint64_t seq;

	if (p->errmsg[0] != '\0') {
		if (hdrs)
			rd_kafka_headers_destroy(hdrs);
		return -1;
	}
	if (p->next - p->base >= p->cap)
		grow(p);
	seq = p->next;
	for (;;) {
		/* a NULL headers list is allowed and means none */
		err = rd_kafka_producev(p->rk,
		    RD_KAFKA_V_TOPIC(topic),
		    RD_KAFKA_V_PARTITION(partition),
		    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		    RD_KAFKA_V_KEY(key, key ? klen : 0),
		    RD_KAFKA_V_VALUE((void *)value, value ? vlen : 0),
		    RD_KAFKA_V_OPAQUE((void *)(uintptr_t)seq),
		    RD_KAFKA_V_HEADERS(hdrs),
		    RD_KAFKA_V_END);
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			break;
		rd_kafka_poll(p->rk, 50);
		if (p->errmsg[0] != '\0')
			break;
	}
	if (errp)
		*errp = err;
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		if (hdrs)
			rd_kafka_headers_destroy(hdrs);
		if (per_message_error(err))
			return -2;
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			set_error(p, kconf_exit_status(err), "%s: %s", topic,
			    rd_kafka_err2str(err));
		return -1;
	}
	p->next++;
	return (int64_t)seq;
}

void
kprod_poll(struct kprod *p, int ms)
{
	rd_kafka_poll(p->rk, ms);
}

int
kprod_flush(struct kprod *p, int timeout_ms)
{
	long long deadline = mono_ms() + timeout_ms;

	while (p->base < p->next && p->errmsg[0] == '\0') {
		if (timeout_ms >= 0 && mono_ms() >= deadline)
			return -1;
		rd_kafka_poll(p->rk, 100);
	}
	return p->base == p->next ? 0 : -1;
}

uint64_t kprod_sent(const struct kprod *p) { return p->next; }
uint64_t kprod_watermark(const struct kprod *p) { return p->base; }
uint64_t kprod_acked(const struct kprod *p) { return p->acked; }
uint64_t kprod_failed(const struct kprod *p) { return p->failed; }

const char *
kprod_error(const struct kprod *p, int *status)
{
	if (p->errmsg[0] == '\0')
		return NULL;
	if (status)
		*status = p->errstatus;
	return p->errmsg;
}

rd_kafka_conf_t *
kprod_conf_new(void)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[256];

	if (rd_kafka_conf_set(conf, "enable.idempotence", "true", err,
	    sizeof err) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "partitioner", "murmur2_random", err,
	    sizeof err) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof err) !=
	    RD_KAFKA_CONF_OK)
		die(EX_SOFTWARE, "librdkafka: %s", err);
	return conf;
}
