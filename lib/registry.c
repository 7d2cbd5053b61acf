/* registry.c: a schema registry client (see registry.h). */
#include "registry.h"
#include "kconf.h"
#include "util.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REG_RETRY_MS	10000	/* how long to retry a registry without answer */
#define REG_TIMEOUT_MS	10000	/* one request */

struct cached {
	int32_t id;
	struct avsch *s;	/* NULL: the registry said there is none */
};

struct registry {
	CURL *curl;
	char *url;		/* without a trailing '/' */
	char *user;		/* of basic authentication, or NULL */
	struct curl_slist *hdrs;
	struct buf resp;
	struct cached *cache;
	size_t ncache, capcache;
};

static size_t
on_data(char *p, size_t size, size_t n, void *ctx)
{
	buf_add(ctx, p, size * n);
	return size * n;
}

/*
 * Credentials (user:password) and a CA file in place of those set before;
 * NULL leaves either as it is. -1 with err.
 */
static int
registry_auth(struct registry *r, const char *user_info, const char *ca,
    char *err, size_t errlen)
{
	const char *colon;

	if (user_info && *user_info == '\0') {
		free(r->user);
		r->user = NULL;
		curl_easy_setopt(r->curl, CURLOPT_USERPWD, NULL);
	} else if (user_info) {
		if ((colon = strchr(user_info, ':')) == NULL) {
			snprintf(err, errlen, "%s: basic authentication: "
			    "expected user:password", r->url);
			return -1;
		}
		free(r->user);
		r->user = xstrndup(user_info, (size_t)(colon - user_info));
		curl_easy_setopt(r->curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(r->curl, CURLOPT_USERPWD, user_info);
	}
	if (ca && *ca)
		curl_easy_setopt(r->curl, CURLOPT_CAINFO, ca);
	return 0;
}

struct registry *
registry_new(const char *url, char *err, size_t errlen)
{
	static int global;
	struct registry *r;
	size_t n = strlen(url);

	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
		snprintf(err, errlen, "%s: not an http:// or https:// URL", url);
		return NULL;
	}
	if (!global++)
		curl_global_init(CURL_GLOBAL_DEFAULT);
	r = xcalloc(1, sizeof *r);
	while (n > 0 && url[n - 1] == '/')
		n--;
	r->url = xstrndup(url, n);
	buf_init(&r->resp);
	if ((r->curl = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "cannot set up libcurl");
		registry_free(r);
		return NULL;
	}
	r->hdrs = curl_slist_append(NULL,
	    "Content-Type: application/vnd.schemaregistry.v1+json");
	r->hdrs = curl_slist_append(r->hdrs,
	    "Accept: application/vnd.schemaregistry.v1+json, application/json");
	curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, r->hdrs);
	curl_easy_setopt(r->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(r->curl, CURLOPT_WRITEDATA, &r->resp);
	curl_easy_setopt(r->curl, CURLOPT_TIMEOUT_MS, (long)REG_TIMEOUT_MS);
	curl_easy_setopt(r->curl, CURLOPT_NOSIGNAL, 1L);
	if (registry_auth(r, getenv("SCHEMA_REGISTRY_USER_INFO"),
	    getenv("SCHEMA_REGISTRY_CA"), err, errlen) < 0) {
		size_t l = strlen(err);

		snprintf(err + l, errlen - l, " (SCHEMA_REGISTRY_USER_INFO)");
		registry_free(r);
		return NULL;
	}
	return r;
}

struct registry *
registry_open(const char *url, char *err, size_t errlen)
{
	const char *user = kconf_extra("schema.registry.basic.auth.user.info");
	struct registry *r;

	if ((r = registry_new(url, err, errlen)) == NULL)
		return NULL;
	if (user == NULL)
		user = kconf_extra("basic.auth.user.info");
	if (registry_auth(r, user, kconf_extra("schema.registry.ssl.ca.location"),
	    err, errlen) < 0) {
		registry_free(r);
		return NULL;
	}
	return r;
}

void
registry_free(struct registry *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->ncache; i++)
		if (r->cache[i].s) {
			avsch_free(r->cache[i].s);
			free(r->cache[i].s);
		}
	free(r->cache);
	if (r->curl)
		curl_easy_cleanup(r->curl);
	curl_slist_free_all(r->hdrs);
	buf_free(&r->resp);
	free(r->user);
	free(r->url);
	free(r);
}

/* The registry's own words for an error answer, or the HTTP status. */
static void
answer_message(struct registry *r, long code, char *err, size_t errlen)
{
	json_t *j = json_loadb(r->resp.p ? r->resp.p : "", r->resp.len, 0, NULL);
	const char *msg = json_string_value(json_object_get(j, "message"));

	if (msg)
		snprintf(err, errlen, "%s (HTTP %ld)", msg, code);
	else
		snprintf(err, errlen, "HTTP %ld", code);
	json_decref(j);
}

/*
 * One request, retried while the registry does not answer. body NULL is
 * a GET. The answer's body is in r->resp, its status in *code.
 */
static int
request(struct registry *r, const char *path, const char *body, long *code,
    char *err, size_t errlen)
{
	char *url = xasprintf("%s%s", r->url, path);
	long long deadline = mono_ms() + REG_RETRY_MS, wait = 100;
	CURLcode rc;

	curl_easy_setopt(r->curl, CURLOPT_URL, url);
	if (body) {
		curl_easy_setopt(r->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(r->curl, CURLOPT_POSTFIELDS, body);
	} else
		curl_easy_setopt(r->curl, CURLOPT_HTTPGET, 1L);
	for (;;) {
		buf_reset(&r->resp);
		rc = curl_easy_perform(r->curl);
		*code = 0;
		if (rc == CURLE_OK)
			curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, code);
		if (rc == CURLE_OK && *code < 500)
			break;
		if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
		    rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_URL_MALFORMAT ||
		    rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_LOGIN_DENIED) {
			/* the same request will fail the same way: configuration */
			snprintf(err, errlen, "%s: %s", url, curl_easy_strerror(rc));
			free(url);
			return REG_FAIL;
		}
		if (mono_ms() + wait > deadline) {
			if (rc != CURLE_OK)
				snprintf(err, errlen, "%s: %s", url,
				    curl_easy_strerror(rc));
			else {
				char m[400];
				answer_message(r, *code, m, sizeof m);
				snprintf(err, errlen, "%s: %s", url, m);
			}
			free(url);
			return REG_DOWN;
		}
		struct timespec ts = { (time_t)(wait / 1000),
		    (long)(wait % 1000) * 1000000L };
		nanosleep(&ts, NULL);
		if ((wait *= 2) > 2000)
			wait = 2000;
	}
	free(url);
	if (*code == 401 || *code == 403) {
		char m[400];

		answer_message(r, *code, m, sizeof m);
		if (r->user)
			snprintf(err, errlen, "authentication refused for user "
			    "%s: %s", r->user, m);
		else
			snprintf(err, errlen, "authentication refused: %s; no "
			    "credentials were given (schema.registry.basic.auth."
			    "user.info, SCHEMA_REGISTRY_USER_INFO)", m);
		return REG_AUTH;
	}
	return REG_OK;
}

static struct cached *
cache_find(struct registry *r, int32_t id)
{
	for (size_t i = 0; i < r->ncache; i++)
		if (r->cache[i].id == id)
			return &r->cache[i];
	return NULL;
}

static void
cache_add(struct registry *r, int32_t id, struct avsch *s)
{
	if (r->ncache == r->capcache) {
		r->capcache = r->capcache ? 2 * r->capcache : 8;
		r->cache = xrealloc(r->cache, r->capcache * sizeof *r->cache);
	}
	r->cache[r->ncache].id = id;
	r->cache[r->ncache++].s = s;
}

static char *escaped(struct registry *r, const char *s);

#define REF_DEPTH 16

/*
 * The schema of an answer ({"schema":...,"references":[...]}) as JSON,
 * each reference's definition fetched and put in place of its first use.
 * NULL with err.
 */
static json_t *
with_references(struct registry *r, json_t *answer, int depth, char *err,
    size_t errlen)
{
	const char *text = json_string_value(json_object_get(answer, "schema"));
	json_t *schema, *refs = json_object_get(answer, "references"), *ref;
	json_error_t je;
	size_t i;

	if (text == NULL) {
		snprintf(err, errlen, "the registry's answer has no schema");
		return NULL;
	}
	if ((schema = json_loads(text, JSON_DECODE_ANY, &je)) == NULL) {
		snprintf(err, errlen, "schema is not JSON: %s", je.text);
		return NULL;
	}
	json_array_foreach(refs, i, ref) {
		const char *name = json_string_value(json_object_get(ref, "name"));
		const char *subject = json_string_value(json_object_get(ref, "subject"));
		json_t *v = json_object_get(ref, "version"), *a, *def;
		char *subj, *path, why[160];
		long code;
		int rc;

		if (name == NULL || subject == NULL || !json_is_integer(v) ||
		    depth >= REF_DEPTH) {
			snprintf(err, errlen, "a reference the client cannot follow");
			json_decref(schema);
			return NULL;
		}
		subj = escaped(r, subject);
		path = xasprintf("/subjects/%s/versions/%lld", subj,
		    (long long)json_integer_value(v));
		free(subj);
		rc = request(r, path, NULL, &code, err, errlen);
		free(path);
		if (rc != REG_OK || code != 200) {
			if (rc == REG_OK) {
				answer_message(r, code, why, sizeof why);
				snprintf(err, errlen, "reference %s (subject %s version "
				    "%lld): %s", name, subject,
				    (long long)json_integer_value(v), why);
			}
			json_decref(schema);
			return NULL;
		}
		a = json_loadb(r->resp.p, r->resp.len, 0, NULL);
		def = a ? with_references(r, a, depth + 1, err, errlen) : NULL;
		json_decref(a);
		if (def == NULL) {
			if (a == NULL)
				snprintf(err, errlen, "reference %s: a bad answer", name);
			json_decref(schema);
			return NULL;
		}
		avsch_inline(schema, name, def);
		json_decref(def);
	}
	return schema;
}

int
registry_schema(struct registry *r, int32_t id, struct avsch **out,
    char *err, size_t errlen)
{
	struct cached *c = cache_find(r, id);
	char path[64], why[800], *text;
	struct avsch *s;
	json_t *j, *full;
	long code;
	int rc;

	if (c) {
		if (c->s == NULL) {
			snprintf(err, errlen, "schema id %d: not in the registry", (int)id);
			return REG_NOTFOUND;
		}
		*out = c->s;
		return REG_OK;
	}
	snprintf(path, sizeof path, "/schemas/ids/%d", (int)id);
	if ((rc = request(r, path, NULL, &code, err, errlen)) != REG_OK)
		return rc;
	if (code == 404) {
		answer_message(r, code, why, sizeof why);
		snprintf(err, errlen, "schema id %d: not in the registry: %s",
		    (int)id, why);
		cache_add(r, id, NULL);
		return REG_NOTFOUND;
	}
	if (code != 200) {
		answer_message(r, code, why, sizeof why);
		snprintf(err, errlen, "schema id %d: %s", (int)id, why);
		return REG_FAIL;
	}
	j = json_loadb(r->resp.p, r->resp.len, 0, NULL);
	if ((full = with_references(r, j, 0, why, sizeof why)) == NULL) {
		snprintf(err, errlen, "schema id %d: %s", (int)id, why);
		json_decref(j);
		return REG_FAIL;
	}
	json_decref(j);
	text = json_dumps(full, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(full);
	s = xmalloc(sizeof *s);
	if (avsch_load(s, text, strlen(text), why, sizeof why) < 0) {
		snprintf(err, errlen, "schema id %d: %s", (int)id, why);
		free(s);
		free(text);
		return REG_FAIL;
	}
	free(text);
	cache_add(r, id, s);
	*out = s;
	return REG_OK;
}

/* A subject's name in a URL path. */
static char *
escaped(struct registry *r, const char *s)
{
	char *e = curl_easy_escape(r->curl, s, 0), *copy = xstrdup(e ? e : s);

	curl_free(e);
	return copy;
}

int
registry_register(struct registry *r, const char *subject,
    const char *schema, int lookup_only, int32_t *id, char *err,
    size_t errlen)
{
	json_t *req = json_pack("{ss}", "schema", schema), *j, *idj;
	char *body = json_dumps(req, JSON_COMPACT), *subj = escaped(r, subject);
	char *path = xasprintf(lookup_only ? "/subjects/%s" : "/subjects/%s/versions",
	    subj);
	char why[600];
	long code;
	int rc;

	json_decref(req);
	rc = request(r, path, body, &code, err, errlen);
	free(body);
	free(path);
	free(subj);
	if (rc != REG_OK)
		return rc;
	if (code == 200) {
		j = json_loadb(r->resp.p, r->resp.len, 0, NULL);
		idj = json_object_get(j, "id");
		if (!json_is_integer(idj)) {
			snprintf(err, errlen, "subject %s: the registry's answer has no id",
			    subject);
			json_decref(j);
			return REG_FAIL;
		}
		*id = (int32_t)json_integer_value(idj);
		json_decref(j);
		return REG_OK;
	}
	answer_message(r, code, why, sizeof why);
	snprintf(err, errlen, "subject %s: %s", subject, why);
	if (code == 404)
		return REG_NOTFOUND;
	if (code == 409 || code == 422)
		return REG_REFUSED;
	return REG_FAIL;
}
