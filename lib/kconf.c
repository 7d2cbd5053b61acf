/* kconf.c: librdkafka configuration from -X and -F. */
#include "kconf.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/*
 * Properties of the schema registry client, as Confluent's clients and
 * libserdes name them: librdkafka does not know them, so they are kept
 * here, the last value set of each.
 */
static const char *const extra_names[] = {
	"schema.registry.url",
	"schema.registry.basic.auth.user.info",
	"basic.auth.user.info",
	"schema.registry.ssl.ca.location",
};
#define NEXTRA (sizeof extra_names / sizeof extra_names[0])
static char *extra_vals[NEXTRA];

static int
set_extra(const char *name, const char *val)
{
	for (size_t i = 0; i < NEXTRA; i++)
		if (strcmp(name, extra_names[i]) == 0) {
			free(extra_vals[i]);
			extra_vals[i] = xstrdup(val);
			return 1;
		}
	return 0;
}

const char *
kconf_extra(const char *name)
{
	for (size_t i = 0; i < NEXTRA; i++)
		if (strcmp(name, extra_names[i]) == 0)
			return extra_vals[i];
	return NULL;
}

int
kconf_set(rd_kafka_conf_t *conf, const char *name, const char *val)
{
	char err[512];

	if (set_extra(name, val))
		return 0;
	if (rd_kafka_conf_set(conf, name, val, err, sizeof err) !=
	    RD_KAFKA_CONF_OK) {
		weprintf("%s=%s: %s", name, val, err);
		return -1;
	}
	return 0;
}

int
kconf_set_pair(rd_kafka_conf_t *conf, const char *pair)
{
	const char *eq = strchr(pair, '=');
	char *name;
	int ret;

	if (eq == NULL || eq == pair) {
		weprintf("-X %s: expected property=value", pair);
		return -1;
	}
	name = xstrndup(pair, (size_t)(eq - pair));
	ret = kconf_set(conf, name, eq + 1);
	free(name);
	return ret;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int
kconf_load_file(rd_kafka_conf_t *conf, const char *path)
{
	FILE *fp;
	char *line = NULL, *s, *eq, *v;
	size_t cap = 0;
	unsigned lineno = 0;
	int ret = 0;
	char err[512];

	if ((fp = fopen(path, "r")) == NULL) {
		weprintf("%s:", path);
		return -1;
	}
	while (getline(&line, &cap, fp) != -1) {
		lineno++;
		s = trim(line);
		if (*s == '\0' || *s == '#' || *s == '!')
			continue;
		if ((eq = strchr(s, '=')) == NULL) {
			weprintf("%s:%u: expected property=value", path, lineno);
			ret = -1;
			break;
		}
		*eq = '\0';
		s = trim(s);
		v = trim(eq + 1);
		if (set_extra(s, v))
			continue;
		if (rd_kafka_conf_set(conf, s, v, err, sizeof err) !=
		    RD_KAFKA_CONF_OK) {
			weprintf("%s:%u: %s", path, lineno, err);
			ret = -1;
			break;
		}
	}
	if (ret == 0 && ferror(fp)) {
		weprintf("%s:", path);
		ret = -1;
	}
	free(line);
	fclose(fp);
	return ret;
}

const char *
kconf_errstr(rd_kafka_resp_err_t err)
{
	return rd_kafka_err2str(err);
}

int
kconf_exit_status(rd_kafka_resp_err_t err)
{
	switch (err) {
	case RD_KAFKA_RESP_ERR__TRANSPORT:
	case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
	case RD_KAFKA_RESP_ERR__RESOLVE:
		return EX_UNAVAILABLE;
	case RD_KAFKA_RESP_ERR__INVALID_ARG:
	case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
	case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
	case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
	case RD_KAFKA_RESP_ERR__AUTHENTICATION:
		return EX_CONFIG;
	case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
		return EX_DATAERR;
	default:
		return EX_TEMPFAIL;
	}
}
