/* chhttp.c: a ClickHouse client over HTTP (see chhttp.h). */
#include "chhttp.h"
#include "util.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	buf_add(arg, p, size * n);
	return size * n;
}

int
chh_init(struct chhttp *h, const char *url, const char *user,
    const char *password, const char *cafile, int insecure, long timeout_ms,
    char *err, size_t errlen)
{
	static int global;
	CURL *c;
	size_t n;

	memset(h, 0, sizeof *h);
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
		snprintf(err, errlen, "%s: not an http:// or https:// URL", url);
		return -1;
	}
	if (!global) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		global = 1;
	}
	if ((c = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "cannot initialise libcurl");
		return -1;
	}
	h->curl = c;
	h->url = xstrdup(url);
	n = strlen(h->url);
	while (n > 0 && h->url[n - 1] == '/')
		h->url[--n] = '\0';
	h->user = user ? xstrdup(user) : NULL;
	h->password = password ? xstrdup(password) : NULL;
	buf_init(&h->resp);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &h->resp);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	if (h->user) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, h->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, h->password ? h->password : "");
	}
	if (cafile)
		curl_easy_setopt(c, CURLOPT_CAINFO, cafile);
	if (insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	h->hdr_gzip = curl_slist_append(NULL, "Content-Encoding: gzip");
	h->hdr_gzip = curl_slist_append(h->hdr_gzip, "Expect:");
	return 0;
}

void
chh_free(struct chhttp *h)
{
	if (h->curl)
		curl_easy_cleanup(h->curl);
	curl_slist_free_all(h->hdr_gzip);
	buf_free(&h->resp);
	free(h->url);
	free(h->user);
	if (h->password)
		explicit_bzero(h->password, strlen(h->password));
	free(h->password);
	memset(h, 0, sizeof *h);
}

int
chh_classify(long status, int code)
{
	static const int retry[] = { 159, 160, 202, 203, 209, 210, 225, 236,
	    241, 242, 252, 279, 319, 394, 425, 999, 0 };
	static const int fatal[] = { 16, 47, 60, 62, 81, 164, 192, 193, 194,
	    195, 291, 497, 516, 0 };

	if (status == 200)
		return CHH_OK;
	if (status == 0)
		return CHH_RETRY;
	for (int i = 0; retry[i]; i++)
		if (code == retry[i])
			return CHH_RETRY;
	for (int i = 0; fatal[i]; i++)
		if (code == fatal[i])
			return CHH_FATAL;
	if (status == 401 || status == 403 || status == 404)
		return CHH_FATAL;
	if (code == 0 && (status == 502 || status == 503 || status == 504 ||
	    status == 429 || status == 408))
		return CHH_RETRY;
	if (code == 0 && status >= 500)
		return CHH_RETRY;
	return CHH_DATA;
}

static int
finish(struct chhttp *h, CURLcode rc, const char *errbuf)
{
	char *p, *e;

	h->status = 0;
	h->code = 0;
	h->message[0] = '\0';
	if (rc != CURLE_OK) {
		snprintf(h->message, sizeof h->message, "%s: %s", h->url,
		    errbuf[0] ? errbuf : curl_easy_strerror(rc));
		return CHH_RETRY;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &h->status);
	if (h->status == 200)
		return CHH_OK;
	buf_cstr(&h->resp);
	if ((p = strstr(h->resp.p, "Code: ")) != NULL)
		h->code = atoi(p + 6);
	/* "Code: N, e.displayText() = DB::Exception: why, e.what() = ..." */
	p = h->resp.p;
	if ((e = strstr(p, "DB::Exception: ")) != NULL)
		p = e + 15;
	snprintf(h->message, sizeof h->message, "%s", p);
	if ((e = strstr(h->message, ", e.what() =")) != NULL)
		*e = '\0';
	if ((e = strstr(h->message, " (version ")) != NULL)
		*e = '\0';
	for (e = h->message; *e; e++)
		if (*e == '\n' || *e == '\r')
			*e = ' ';
	while (e > h->message && e[-1] == ' ')
		*--e = '\0';
	return chh_classify(h->status, h->code);
}

int
chh_query(struct chhttp *h, const char *sql)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode rc;
	char *u = xasprintf("%s/", h->url);

	buf_reset(&h->resp);
	curl_easy_setopt(h->curl, CURLOPT_URL, u);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, sql);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(sql));
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, errbuf);
	rc = curl_easy_perform(h->curl);
	free(u);
	return finish(h, rc, errbuf);
}

int
chh_insert(struct chhttp *h, const char *query, const void *body, size_t len,
    int gzip)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode rc;
	char *q = curl_easy_escape(h->curl, query, 0);
	char *u = xasprintf("%s/?query=%s%s", h->url, q,
	    gzip ? "&enable_http_compression=1" : "");

	curl_free(q);
	buf_reset(&h->resp);
	curl_easy_setopt(h->curl, CURLOPT_URL, u);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER,
	    gzip ? h->hdr_gzip : NULL);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, errbuf);
	rc = curl_easy_perform(h->curl);
	free(u);
	return finish(h, rc, errbuf);
}

int
chh_gzip(const void *src, size_t len, int level, struct buf *out)
{
	z_stream z;
	int rc;

	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	buf_reserve(out, deflateBound(&z, len) + 64);
	z.next_in = (unsigned char *)src;
	z.avail_in = len;
	z.next_out = (unsigned char *)out->p + out->len;
	z.avail_out = out->cap - out->len;
	rc = deflate(&z, Z_FINISH);
	out->len += z.total_out;
	deflateEnd(&z);
	return rc == Z_STREAM_END ? 0 : -1;
}

void
chh_quote(struct buf *b, const char *s)
{
	buf_putc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'' || *s == '\\')
			buf_putc(b, '\\');
		buf_putc(b, *s);
	}
	buf_putc(b, '\'');
}
