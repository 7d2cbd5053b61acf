/*
 * kprod.h: a Kafka producer that knows how far its input is safe.
 *
 * Every message sent gets a sequence number, in input order. Delivery
 * reports arrive in any order (partitions are independent); kprod keeps the
 * watermark: the highest sequence number such that it and every message
 * before it were acknowledged by the broker (or handed to the failure
 * callback, which must have dealt with the message, e.g. dead-lettered it).
 * A program checkpoints the source position of that message and nothing
 * later, so a restart never skips a record that was not stored.
 *
 * Defaults set unless the user configured them (-X / -F):
 *   enable.idempotence=true, partitioner=murmur2_random (the Java client's
 *   partitioner, so all clients co-partition by key), linger.ms=5.
 */
#ifndef TP_KPROD_H
#define TP_KPROD_H

#include <librdkafka/rdkafka.h>
#include <stdint.h>

struct kprod;

/*
 * Called from kprod_poll() for each message whose delivery failed with an
 * error that concerns that message alone (too large, invalid record, ...).
 * Return 0 when the message was dealt with (it then counts as done for the
 * watermark), -1 to make the failure fatal.
 */
typedef int (*kprod_fail_fn)(void *ctx, uint64_t seq,
    const rd_kafka_message_t *m);

/* A configuration holding the defaults above; -F and -X go on top of it. */
rd_kafka_conf_t *kprod_conf_new(void);

/*
 * Create a producer from conf (consumed, also on failure). Returns NULL
 * with a message in err.
 */
struct kprod *kprod_new(rd_kafka_conf_t *conf, kprod_fail_fn fail, void *ctx,
    char *err, size_t errlen);
void kprod_destroy(struct kprod *p);
rd_kafka_t *kprod_handle(struct kprod *p);

/*
 * Send one message (copied). partition RD_KAFKA_PARTITION_UA lets the
 * partitioner choose from the key. value NULL sends a tombstone. hdrs, when
 * not NULL, is consumed. Waits (serving delivery reports) while the local
 * queue is full. Returns the message's sequence number; -2 when this
 * message alone was refused (too large for message.max.bytes, ...: *errp
 * says why, nothing was sent, no sequence number used); -1 on a fatal
 * error (see kprod_error()).
 */
int64_t kprod_send(struct kprod *p, const char *topic, int32_t partition,
    const void *key, size_t klen, const void *value, size_t vlen,
    rd_kafka_headers_t *hdrs, rd_kafka_resp_err_t *errp);

/* Serve delivery reports for up to ms milliseconds. */
void kprod_poll(struct kprod *p, int ms);

/*
 * Wait until every message sent is done, or a fatal error, or *stop set
 * and timeout_ms passed since. Returns 0 when all are done, -1 otherwise.
 */
int kprod_flush(struct kprod *p, int timeout_ms);

/* Number of messages sent, and done (acknowledged or failed-and-handled). */
uint64_t kprod_sent(const struct kprod *p);
/* Every message with sequence number < watermark is done. */
uint64_t kprod_watermark(const struct kprod *p);
uint64_t kprod_acked(const struct kprod *p);
uint64_t kprod_failed(const struct kprod *p);

/*
 * The first fatal error: its message (NULL if none) and the exit status a
 * supervisor should see (69 brokers unreachable, 75 temporary, 70 ...).
 */
const char *kprod_error(const struct kprod *p, int *status);

#endif
