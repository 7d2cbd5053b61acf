/*
 * kafka-put: one message whose key and value are the bytes of files, for
 * the tests that need binary keys (kcat takes keys from its command line
 * or a delimiter).
 *   kafka-put -b BROKERS TOPIC PARTITION KEY-FILE VALUE-FILE
 */
#include "buf.h"
#include "util.h"

#include <librdkafka/rdkafka.h>
#include <stdlib.h>
#include <string.h>

int
main(int argc, char **argv)
{
	char err[512];
	struct buf kv[2];
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	rd_kafka_resp_err_t e;

	setprogname(argv[0]);
	if (argc != 7 || strcmp(argv[1], "-b") != 0)
		die(EX_USAGE, "usage: kafka-put -b brokers topic partition "
		    "key-file value-file");
	for (int i = 0; i < 2; i++) {
		int rc;
		buf_init(&kv[i]);
		if ((rc = buf_read_file(&kv[i], argv[5 + i])) < 0)
			die(rc == -1 ? EX_NOINPUT : EX_IOERR, "%s:", argv[5 + i]);
		buf_cstr(&kv[i]);	/* an empty file: an empty key, not none */
	}
	conf = rd_kafka_conf_new();
	if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[2], err,
	    sizeof err) != RD_KAFKA_CONF_OK)
		die(EX_CONFIG, "%s", err);
	if ((rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err)) == NULL)
		die(EX_CONFIG, "%s", err);
	e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(argv[3]),
	    RD_KAFKA_V_PARTITION(atoi(argv[4])), RD_KAFKA_V_KEY(kv[0].p, kv[0].len),
	    RD_KAFKA_V_VALUE(kv[1].p, kv[1].len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
	    RD_KAFKA_V_END);
	if (e)
		die(EX_SOFTWARE, "%s", rd_kafka_err2str(e));
	if (rd_kafka_flush(rk, 30000) != RD_KAFKA_RESP_ERR_NO_ERROR ||
	    rd_kafka_outq_len(rk) > 0)
		die(EX_TEMPFAIL, "%s: not delivered", argv[3]);
	rd_kafka_destroy(rk);
	buf_free(&kv[0]);
	buf_free(&kv[1]);
	return 0;
}
