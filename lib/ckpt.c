/* ckpt.c: checkpoint files, replaced atomically. */
#include "ckpt.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
ckpt_open(struct ckpt *c, const char *path, const char *program,
    char *err, size_t errlen)
{
	json_error_t je;
	json_t *doc, *streams, *barrier;

	c->path = xstrdup(path);
	c->program = xstrdup(program);
	c->streams = NULL;
	c->barrier = -1;
	if (access(path, F_OK) != 0) {
		if (errno != ENOENT) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		c->streams = json_object();
		return 0;
	}
	if ((doc = json_load_file(path, 0, &je)) == NULL) {
		snprintf(err, errlen, "%s:%d: not a checkpoint: %s", path,
		    je.line, je.text);
		return -1;
	}
	streams = json_object_get(doc, "streams");
	if (!json_is_object(streams)) {
		snprintf(err, errlen, "%s: not a checkpoint: no \"streams\" object",
		    path);
		json_decref(doc);
		return -1;
	}
	barrier = json_object_get(doc, "barrier");
	if (barrier != NULL && (!json_is_integer(barrier) ||
	    json_integer_value(barrier) < 0)) {
		snprintf(err, errlen, "%s: not a checkpoint: \"barrier\" is not "
		    "a non-negative integer", path);
		json_decref(doc);
		return -1;
	}
	if (barrier != NULL)
		c->barrier = json_integer_value(barrier);
	c->streams = json_incref(streams);
	json_decref(doc);
	return 0;
}

void
ckpt_close(struct ckpt *c)
{
	json_decref(c->streams);
	free(c->path);
	free(c->program);
	c->streams = NULL;
	c->path = c->program = NULL;
}

json_t *
ckpt_get(const struct ckpt *c, const char *stream)
{
	return json_object_get(c->streams, stream);
}

void
ckpt_set(struct ckpt *c, const char *stream, json_t *pos)
{
	json_object_set_new(c->streams, stream, pos);
}

int
ckpt_save(const struct ckpt *c)
{
	char tmp[4096], when[32], *dir, *dcopy;
	json_t *doc;
	char *text;
	size_t n;
	int fd, dfd, saved;

	if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", c->path, (long)getpid()) >=
	    (int)sizeof tmp) {
		errno = ENAMETOOLONG;
		return -1;
	}
	iso8601_ms(now_ms(), when);
	doc = json_pack("{s:i, s:s, s:s, s:O}", "version", 1, "program",
	    c->program, "updated", when, "streams", c->streams);
	if (doc != NULL && c->barrier >= 0)
		json_object_set_new(doc, "barrier", json_integer(c->barrier));
	text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(doc);
	if (text == NULL) {
		errno = ENOMEM;
		return -1;
	}
	n = strlen(text);
	text[n++] = '\n';	/* replaces the NUL json_dumps wrote */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		free(text);
		return -1;
	}
	if (write(fd, text, n) != (ssize_t)n || fsync(fd) != 0) {
		saved = errno;
		close(fd);
		unlink(tmp);
		free(text);
		errno = saved;
		return -1;
	}
	free(text);
	if (close(fd) != 0 || rename(tmp, c->path) != 0) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		return -1;
	}
	dcopy = xstrdup(c->path);
	dir = dirname(dcopy);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(dcopy);
	return 0;
}

json_t *
ckpt_position_of(json_t *rec, char **stream)
{
	json_t *src, *k, *v;
	const char *conn, *name;

	if ((k = json_object_get(rec, "_kafka")) != NULL && json_is_object(k)) {
		json_t *t = json_object_get(k, "topic");
		json_t *p = json_object_get(k, "partition");
		json_t *o = json_object_get(k, "offset");
		if (json_is_string(t) && json_is_integer(p) && json_is_integer(o)) {
			*stream = xasprintf("kafka:%s:%lld", json_string_value(t),
			    (long long)json_integer_value(p));
			return json_pack("{s:O, s:O, s:O}", "topic", t,
			    "partition", p, "offset", o);
		}
	}
	if ((src = json_object_get(rec, "source")) != NULL && json_is_object(src)) {
		conn = json_string_value(json_object_get(src, "connector"));
		name = json_string_value(json_object_get(src, "name"));
		if (conn && strcmp(conn, "mysql") == 0) {
			json_t *pos = json_object();
			const char *keys[] = { "file", "pos", "row", "gtid",
			    "server_id", "snapshot" };
			for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
				if ((v = json_object_get(src, keys[i])) != NULL)
					json_object_set(pos, keys[i], v);
			*stream = xasprintf("mysql:%s", name ? name : "");
			return pos;
		}
		if (conn && strcmp(conn, "postgresql") == 0) {
			json_t *pos = json_object();
			const char *db = json_string_value(json_object_get(src, "db"));
			const char *keys[] = { "lsn", "txId", "snapshot", "sequence",
			    "row" };
			for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
				if ((v = json_object_get(src, keys[i])) != NULL)
					json_object_set(pos, keys[i], v);
			*stream = xasprintf("postgresql:%s:%s", name ? name : "",
			    db ? db : "");
			return pos;
		}
	}
	if ((k = json_object_get(rec, "_csv")) != NULL && json_is_object(k)) {
		json_t *f = json_object_get(k, "file");
		if (json_is_string(f)) {
			*stream = xasprintf("csv:%s", json_string_value(f));
			return json_deep_copy(k);
		}
	}
	*stream = NULL;
	return NULL;
}
