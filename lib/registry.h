/*
 * registry.h: a client of a schema registry that speaks Confluent's REST
 * API (libcurl), and Confluent's wire format for Kafka messages.
 *
 * Schemas fetched by id are kept for the life of the client, so that a
 * registry that goes away later does not stop ids already seen.
 *
 * Credentials for HTTP basic authentication (user:password) and a CA file
 * for https come from the caller (the programs' configuration), else from
 * the environment: SCHEMA_REGISTRY_USER_INFO and SCHEMA_REGISTRY_CA.
 *
 * Every call answers one of:
 *   REG_OK        done
 *   REG_NOTFOUND  no such schema id, or the schema is not under the subject
 *   REG_REFUSED   the registry refused the schema (incompatible, invalid);
 *                 its message is in err
 *   REG_DOWN      no answer, after retries for a few seconds, or 5xx
 *   REG_AUTH      the registry refused the client (HTTP 401 or 403)
 *   REG_FAIL      any other answer (a bad reply), or a registry whose TLS
 *                 certificate does not verify
 */
#ifndef TP_REGISTRY_H
#define TP_REGISTRY_H

#include "avrojson.h"

#include <stddef.h>
#include <stdint.h>

enum { REG_OK = 0, REG_NOTFOUND, REG_REFUSED, REG_DOWN, REG_FAIL, REG_AUTH };

struct registry;

/* A client of the registry at url, with the environment's credentials and
 * CA; NULL with err on failure. */
struct registry *registry_new(const char *url, char *err, size_t errlen);
/*
 * The same, with the credentials and CA of the programs' configuration
 * (kconf_extra: schema.registry.basic.auth.user.info, else
 * basic.auth.user.info; schema.registry.ssl.ca.location) in place of the
 * environment's where they are set.
 */
struct registry *registry_open(const char *url, char *err, size_t errlen);
void registry_free(struct registry *r);

/* The schema of id, from the cache or the registry. */
int registry_schema(struct registry *r, int32_t id, struct avsch **out,
    char *err, size_t errlen);

/*
 * The id of schema (its JSON text) under subject: registered as a new
 * version when it is not there yet, or only looked up when lookup_only.
 */
int registry_register(struct registry *r, const char *subject,
    const char *schema, int lookup_only, int32_t *id, char *err,
    size_t errlen);

/* Confluent's framing: magic byte 0, the schema id (4 bytes, big-endian),
 * then the Avro binary value. */
#define SR_HEADER 5

enum { SR_OK = 0, SR_SHORT = -1, SR_MAGIC = -2 };

static inline int
sr_unframe(const void *p, size_t n, int32_t *id)
{
	const unsigned char *b = p;

	if (n < 1)
		return SR_SHORT;
	if (b[0] != 0)
		return SR_MAGIC;
	if (n < SR_HEADER)
		return SR_SHORT;
	*id = (int32_t)((uint32_t)b[1] << 24 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[3] << 8 | b[4]);
	return SR_OK;
}

static inline void
sr_frame(unsigned char h[SR_HEADER], int32_t id)
{
	uint32_t u = (uint32_t)id;

	h[0] = 0;
	h[1] = (unsigned char)(u >> 24);
	h[2] = (unsigned char)(u >> 16);
	h[3] = (unsigned char)(u >> 8);
	h[4] = (unsigned char)u;
}

#endif
