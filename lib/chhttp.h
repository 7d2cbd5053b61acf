/*
 * chhttp.h: a ClickHouse client over the HTTP interface (libcurl).
 *
 * One connection kept alive; HTTP basic authentication when a user is
 * given; https URLs use TLS (a CA file, or no verification when asked).
 * Every answer is classified so that a caller can tell what to do:
 *
 *   CHH_OK     200
 *   CHH_RETRY  no connection, a timeout, a cut answer, 502/503/504, or a
 *              server error that means "try again" (too many parts,
 *              timeouts, memory limit, network, read-only replica, ...)
 *   CHH_FATAL  an error the same request will always get, that is not
 *              about the data: no such table or database, authentication,
 *              access, unknown column, syntax
 *   CHH_DATA   any other server error: the data sent was refused
 */
#ifndef TP_CHHTTP_H
#define TP_CHHTTP_H

#include <stddef.h>

#include "buf.h"

enum { CHH_OK = 0, CHH_RETRY = 1, CHH_FATAL = 2, CHH_DATA = 3 };

struct chhttp {
	void *curl;
	char *url;		/* base URL without a trailing '/' */
	char *user, *password;
	struct buf resp;	/* body of the last answer */
	long status;		/* HTTP status, 0 when there was no answer */
	int code;		/* ClickHouse exception code, 0 when none */
	char message[512];	/* the error in one line */
	void *hdr_gzip;		/* curl_slist */
};

/*
 * Set up a client. cafile may be NULL; insecure skips TLS verification;
 * timeout_ms bounds a whole request. Returns 0, or -1 with err.
 */
int chh_init(struct chhttp *h, const char *url, const char *user,
    const char *password, const char *cafile, int insecure, long timeout_ms,
    char *err, size_t errlen);
void chh_free(struct chhttp *h);

/* Run a query (the body of a POST); its result in h->resp. */
int chh_query(struct chhttp *h, const char *sql);

/*
 * POST body (len bytes, gzip-compressed when gzip) with the query
 * (e.g. "INSERT INTO t FORMAT JSONEachRow") in the URL.
 */
int chh_insert(struct chhttp *h, const char *query, const void *body,
    size_t len, int gzip);

/* Classify an HTTP status and ClickHouse code as above (for tests). */
int chh_classify(long status, int code);

/* Compress src into out (appended) as gzip at level (1..9). 0 or -1. */
int chh_gzip(const void *src, size_t len, int level, struct buf *out);

/* Append s quoted as a ClickHouse string literal ('...' with escapes). */
void chh_quote(struct buf *b, const char *s);

#endif
