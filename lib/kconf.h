/*
 * kconf.h: librdkafka configuration the way kcat takes it: -b brokers,
 * -X prop=val (repeatable) and -F file (a Java-style properties file).
 */
#ifndef TP_KCONF_H
#define TP_KCONF_H

#include <librdkafka/rdkafka.h>

/* Set one property; on error prints "prog: -X prop=val: reason" and returns -1. */
int kconf_set(rd_kafka_conf_t *conf, const char *name, const char *val);
/* Apply "prop=val"; -1 after a message. */
int kconf_set_pair(rd_kafka_conf_t *conf, const char *pair);
/*
 * Read a properties file: "key=value" lines, '#' and '!' comments, blank
 * lines. Returns 0, or -1 after a message naming FILE:LINE.
 */
int kconf_load_file(rd_kafka_conf_t *conf, const char *path);

/*
 * A property of the schema registry client taken from -X or -F instead
 * of librdkafka: schema.registry.url, schema.registry.basic.auth.user.info,
 * basic.auth.user.info, schema.registry.ssl.ca.location. The last value
 * set, or NULL.
 */
const char *kconf_extra(const char *name);

/*
 * The librdkafka message of a delivery or consumer error, as
 * "Local: Broker transport failure" etc.
 */
const char *kconf_errstr(rd_kafka_resp_err_t err);

/* Exit status for a fatal Kafka error: 69 unreachable, 75 temporary, 78 config. */
int kconf_exit_status(rd_kafka_resp_err_t err);

#endif
