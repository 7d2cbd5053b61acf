/*
 * kafka-admin: the few admin calls the tests need, without a JVM start.
 *   kafka-admin -b BROKERS create TOPIC PARTITIONS [REPLICATION]
 *   kafka-admin -b BROKERS delete TOPIC
 *   kafka-admin -b BROKERS offsets TOPIC     (partition<TAB>low<TAB>high)
 */
#include "util.h"

#include <librdkafka/rdkafka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static rd_kafka_t *
connect_admin(const char *brokers)
{
	char err[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_t *rk;

	if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err,
	    sizeof err) != RD_KAFKA_CONF_OK)
		die(EX_CONFIG, "%s", err);
	if ((rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err)) == NULL)
		die(EX_CONFIG, "%s", err);
	return rk;
}

static int
wait_result(rd_kafka_t *rk, rd_kafka_queue_t *q, int create)
{
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 60000);
	const rd_kafka_topic_result_t **res;
	size_t n, i;
	int ret = 0;

	if (ev == NULL)
		die(EX_UNAVAILABLE, "no answer from the cluster in 60 s");
	if (rd_kafka_event_error(ev))
		die(EX_UNAVAILABLE, "%s", rd_kafka_event_error_string(ev));
	if (create)
		res = rd_kafka_CreateTopics_result_topics(
		    rd_kafka_event_CreateTopics_result(ev), &n);
	else
		res = rd_kafka_DeleteTopics_result_topics(
		    rd_kafka_event_DeleteTopics_result(ev), &n);
	for (i = 0; i < n; i++) {
		rd_kafka_resp_err_t e = rd_kafka_topic_result_error(res[i]);
		if (e && !(create && e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)) {
			weprintf("%s: %s", rd_kafka_topic_result_name(res[i]),
			    rd_kafka_topic_result_error_string(res[i]));
			ret = 1;
		}
	}
	rd_kafka_event_destroy(ev);
	(void)rk;
	return ret;
}

/* Wait until the topic's metadata shows every partition with a leader. */
static int
wait_topic(rd_kafka_t *rk, const char *topic, int parts)
{
	for (int tries = 0; tries < 600; tries++) {
		const struct rd_kafka_metadata *md;
		rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
		int ok = 0;

		if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == 0) {
			if (md->topic_cnt == 1 && md->topics[0].err == 0 &&
			    md->topics[0].partition_cnt == parts) {
				ok = 1;
				for (int i = 0; i < parts; i++)
					if (md->topics[0].partitions[i].leader < 0)
						ok = 0;
			}
			rd_kafka_metadata_destroy(md);
		}
		rd_kafka_topic_destroy(rkt);
		if (ok)
			return 0;
		usleep(100000);
	}
	weprintf("%s: partitions have no leader after 60 s", topic);
	return 1;
}

int
main(int argc, char **argv)
{
	const char *brokers = NULL;
	rd_kafka_t *rk;
	rd_kafka_queue_t *q;
	int c, ret;

	setprogname(argv[0]);
	while ((c = getopt(argc, argv, "+b:")) != -1) {
		if (c == 'b')
			brokers = optarg;
		else
			return EX_USAGE;
	}
	argc -= optind;
	argv += optind;
	if (brokers == NULL || argc < 2)
		die(EX_USAGE, "usage: kafka-admin -b BROKERS create|delete|offsets TOPIC ...");
	rk = connect_admin(brokers);
	q = rd_kafka_queue_new(rk);
	if (strcmp(argv[0], "create") == 0 && argc >= 3) {
		int parts = atoi(argv[2]), rf = argc > 3 ? atoi(argv[3]) : -1;
		char err[256];
		rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(argv[1], parts, rf,
		    err, sizeof err);
		if (nt == NULL)
			die(EX_USAGE, "%s", err);
		rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
		ret = wait_result(rk, q, 1);
		rd_kafka_NewTopic_destroy(nt);
		if (ret == 0)
			ret = wait_topic(rk, argv[1], parts);
	} else if (strcmp(argv[0], "delete") == 0) {
		rd_kafka_DeleteTopic_t *dt = rd_kafka_DeleteTopic_new(argv[1]);
		rd_kafka_DeleteTopics(rk, &dt, 1, NULL, q);
		ret = wait_result(rk, q, 0);
		rd_kafka_DeleteTopic_destroy(dt);
	} else if (strcmp(argv[0], "offsets") == 0) {
		const struct rd_kafka_metadata *md;
		rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, argv[1], NULL);
		ret = 0;
		if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) != 0 ||
		    md->topic_cnt != 1 || md->topics[0].err)
			die(EX_UNAVAILABLE, "%s: no metadata", argv[1]);
		for (int i = 0; i < md->topics[0].partition_cnt; i++) {
			int64_t lo, hi;
			rd_kafka_resp_err_t e;
			/* a new partition's leader may not answer at once */
			for (int tries = 0; (e = rd_kafka_query_watermark_offsets(
			    rk, argv[1], i, &lo, &hi, 5000)) != 0 && tries < 100;
			    tries++)
				usleep(100000);
			if (e != 0)
				die(EX_UNAVAILABLE, "%s [%d]: no offsets: %s", argv[1],
				    i, rd_kafka_err2str(e));
			printf("%d\t%lld\t%lld\n", i, (long long)lo, (long long)hi);
		}
		rd_kafka_metadata_destroy(md);
		rd_kafka_topic_destroy(rkt);
	} else {
		die(EX_USAGE, "unknown command %s", argv[0]);
	}
	rd_kafka_queue_destroy(q);
	rd_kafka_destroy(rk);
	return ret;
}
