/* jpath.c: field paths and templates over JSON records. */
#include "jpath.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

struct seg {
	char *key;
	size_t klen;
	long index;		/* the key as an array index, or -1 */
};

struct alt {
	struct seg *segs;
	size_t n;
};

struct jpath {
	char *spec;
	struct alt *alts;
	size_t n;
};

struct part {
	char *text;		/* literal text, or NULL for a field */
	struct jpath *path;
};

struct jtmpl {
	char *spec;
	struct part *parts;
	size_t n;
};

static long
as_index(const char *s)
{
	long v = 0;

	if (*s == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 100000000)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static void
free_alt(struct alt *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->segs[i].key);
	free(a->segs);
}

void
jpath_free(struct jpath *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++)
		free_alt(&p->alts[i]);
	free(p->alts);
	free(p->spec);
	free(p);
}

struct jpath *
jpath_parse(const char *spec, char *err, size_t errlen)
{
	struct jpath *p = xcalloc(1, sizeof *p);
	struct alt cur = { NULL, 0 };
	struct buf key;
	const char *s = spec;

	p->spec = xstrdup(spec);
	buf_init(&key);
	for (;;) {
		int end = (*s == '\0' || *s == ',' || *s == '.');
		if (!end) {
			if (*s == '\\') {
				if (s[1] == '\0') {
					snprintf(err, errlen, "path \"%s\": "
					    "a backslash ends it", spec);
					goto fail;
				}
				s++;
			}
			buf_putc(&key, *s++);
			continue;
		}
		if (key.len == 0) {
			snprintf(err, errlen, "path \"%s\": empty field name",
			    spec);
			goto fail;
		}
		cur.segs = xrealloc(cur.segs, (cur.n + 1) * sizeof *cur.segs);
		cur.segs[cur.n].key = xstrndup(key.p, key.len);
		cur.segs[cur.n].klen = key.len;
		cur.segs[cur.n].index = as_index(cur.segs[cur.n].key);
		cur.n++;
		buf_reset(&key);
		if (*s == '.') {
			s++;
			continue;
		}
		p->alts = xrealloc(p->alts, (p->n + 1) * sizeof *p->alts);
		p->alts[p->n++] = cur;
		cur.segs = NULL;
		cur.n = 0;
		if (*s == '\0')
			break;
		s++;
	}
	buf_free(&key);
	return p;
fail:
	buf_free(&key);
	free_alt(&cur);
	jpath_free(p);
	return NULL;
}

const char *
jpath_spec(const struct jpath *p)
{
	return p->spec;
}

static json_t *
get_alt(const struct alt *a, json_t *v)
{
	for (size_t i = 0; i < a->n && v != NULL; i++) {
		if (json_is_object(v))
			v = json_object_get(v, a->segs[i].key);
		else if (json_is_array(v) && a->segs[i].index >= 0)
			v = json_array_get(v, (size_t)a->segs[i].index);
		else
			v = NULL;
	}
	return v;
}

json_t *
jpath_get(const struct jpath *p, json_t *root)
{
	json_t *v;

	for (size_t i = 0; i < p->n; i++)
		if ((v = get_alt(&p->alts[i], root)) != NULL && !json_is_null(v))
			return v;
	return NULL;
}

/* The shortest text that reads back as d, with ".0" when it looks integral. */
static void
real_text(struct buf *b, double d)
{
	char s[40];
	int prec;

	for (prec = 15; prec < 17; prec++) {
		snprintf(s, sizeof s, "%.*g", prec, d);
		if (strtod(s, NULL) == d)
			break;
	}
	if (prec == 17)
		snprintf(s, sizeof s, "%.17g", d);
	buf_puts(b, s);
	if (strpbrk(s, ".eEn") == NULL)
		buf_puts(b, ".0");
}

void
jpath_text(struct buf *b, json_t *v)
{
	char *s;

	switch (json_typeof(v)) {
	case JSON_STRING:
		buf_add(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		real_text(b, json_real_value(v));
		break;
	case JSON_TRUE:
		buf_puts(b, "true");
		break;
	case JSON_FALSE:
		buf_puts(b, "false");
		break;
	case JSON_NULL:
		buf_puts(b, "null");
		break;
	default:
		s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (s == NULL)
			die(EX_OSERR, "out of memory");
		buf_puts(b, s);
		free(s);
		break;
	}
}

void
jtmpl_free(struct jtmpl *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->parts[i].text);
		jpath_free(t->parts[i].path);
	}
	free(t->parts);
	free(t->spec);
	free(t);
}

static void
add_part(struct jtmpl *t, char *text, struct jpath *path)
{
	t->parts = xrealloc(t->parts, (t->n + 1) * sizeof *t->parts);
	t->parts[t->n].text = text;
	t->parts[t->n].path = path;
	t->n++;
}

struct jtmpl *
jtmpl_parse(const char *spec, char *err, size_t errlen)
{
	struct jtmpl *t = xcalloc(1, sizeof *t);
	struct buf lit;
	const char *s = spec, *e;
	struct jpath *p;
	char *inner;

	t->spec = xstrdup(spec);
	buf_init(&lit);
	while (*s) {
		if ((s[0] == '{' && s[1] == '{') || (s[0] == '}' && s[1] == '}')) {
			buf_putc(&lit, *s);
			s += 2;
			continue;
		}
		if (*s == '}') {
			snprintf(err, errlen, "template \"%s\": '}' without '{' "
			    "(write }} for a brace)", spec);
			goto fail;
		}
		if (*s != '{') {
			buf_putc(&lit, *s++);
			continue;
		}
		for (e = s + 1; *e && *e != '}'; e++)
			if (*e == '\\' && e[1] != '\0')
				e++;
		if (*e != '}') {
			snprintf(err, errlen, "template \"%s\": '{' without '}'",
			    spec);
			goto fail;
		}
		inner = xstrndup(s + 1, (size_t)(e - s - 1));
		p = jpath_parse(inner, err, errlen);
		free(inner);
		if (p == NULL)
			goto fail;
		if (lit.len > 0) {
			add_part(t, xstrndup(lit.p, lit.len), NULL);
			buf_reset(&lit);
		}
		add_part(t, NULL, p);
		s = e + 1;
	}
	if (lit.len > 0 || t->n == 0)
		add_part(t, xstrndup(lit.p ? lit.p : "", lit.len), NULL);
	buf_free(&lit);
	return t;
fail:
	buf_free(&lit);
	jtmpl_free(t);
	return NULL;
}

int
jtmpl_is_literal(const struct jtmpl *t)
{
	return t->n == 1 && t->parts[0].text != NULL;
}

const char *
jtmpl_literal(const struct jtmpl *t)
{
	return jtmpl_is_literal(t) ? t->parts[0].text : NULL;
}

int
jtmpl_render(const struct jtmpl *t, json_t *root, struct buf *b,
    const char **missing)
{
	json_t *v;

	for (size_t i = 0; i < t->n; i++) {
		if (t->parts[i].text != NULL) {
			buf_puts(b, t->parts[i].text);
			continue;
		}
		if ((v = jpath_get(t->parts[i].path, root)) == NULL) {
			*missing = jpath_spec(t->parts[i].path);
			return -1;
		}
		jpath_text(b, v);
	}
	return 0;
}

/* Scanning the text of a valid JSON document. */

/* i at the opening quote; returns the index just past the closing quote. */
static size_t
skip_string(const char *s, size_t n, size_t i)
{
	for (i++; i < n; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return n;
}

static size_t
skip_value(const char *s, size_t n, size_t i)
{
	int depth = 0;

	if (i < n && s[i] == '"')
		return skip_string(s, n, i);
	if (i < n && s[i] != '{' && s[i] != '[') {
		while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']' &&
		    s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			i++;
		return i;
	}
	while (i < n) {
		if (s[i] == '"') {
			i = skip_string(s, n, i);
			continue;
		}
		if (s[i] == '{' || s[i] == '[')
			depth++;
		else if ((s[i] == '}' || s[i] == ']') && --depth == 0)
			return i + 1;
		i++;
	}
	return n;
}

/* Does the string token s[from..to) (with its quotes) spell name? */
static int
key_is(const char *s, size_t from, size_t to, const char *name)
{
	size_t len = to - from - 2;
	json_t *k;
	int eq;

	if (memchr(s + from + 1, '\\', len) == NULL)
		return len == strlen(name) && memcmp(s + from + 1, name, len) == 0;
	if ((k = json_loadb(s + from, to - from, JSON_DECODE_ANY | JSON_ALLOW_NUL,
	    NULL)) == NULL)
		return 0;
	eq = json_is_string(k) && json_string_length(k) == strlen(name) &&
	    memcmp(json_string_value(k), name, strlen(name)) == 0;
	json_decref(k);
	return eq;
}

int
jtext_member_span(const char *s, size_t n, const char *name, size_t *from,
    size_t *to)
{
	size_t i = json_skip_ws(s, n, 0), ks, ke, end, comma = 0;
	int first = 1;

	if (i >= n || s[i] != '{')
		return 0;
	for (i++;;) {
		i = json_skip_ws(s, n, i);
		if (i >= n || s[i] != '"')
			return 0;
		ks = i;
		ke = skip_string(s, n, i);
		i = json_skip_ws(s, n, ke);
		if (i >= n || s[i] != ':')
			return 0;
		i = skip_value(s, n, json_skip_ws(s, n, i + 1));
		end = i;
		i = json_skip_ws(s, n, i);
		if (key_is(s, ks, ke, name)) {
			if (!first) {
				*from = comma;
				*to = end;
			} else if (i < n && s[i] == ',') {
				*from = ks;
				*to = json_skip_ws(s, n, i + 1);
			} else {
				*from = ks;
				*to = end;
			}
			return 1;
		}
		if (i >= n || s[i] != ',')
			return 0;
		comma = i++;
		first = 0;
	}
}

/* The value of the last member called key of the object text s[0..n). */
static int
member_get(const char *s, size_t n, const char *key, size_t *vs, size_t *ve)
{
	size_t i = json_skip_ws(s, n, 0), ks, ke, b, e;
	int found = 0;

	if (i >= n || s[i] != '{')
		return 0;
	for (i++;;) {
		i = json_skip_ws(s, n, i);
		if (i >= n || s[i] != '"')
			break;
		ks = i;
		ke = skip_string(s, n, i);
		i = json_skip_ws(s, n, ke);
		if (i >= n || s[i] != ':')
			break;
		b = json_skip_ws(s, n, i + 1);
		e = skip_value(s, n, b);
		if (key_is(s, ks, ke, key)) {
			*vs = b;
			*ve = e;
			found = 1;
		}
		i = json_skip_ws(s, n, e);
		if (i >= n || s[i] != ',')
			break;
		i++;
	}
	return found;
}

/* Element index of the array text s[0..n). */
static int
element_get(const char *s, size_t n, long index, size_t *vs, size_t *ve)
{
	size_t i = json_skip_ws(s, n, 0), b, e;

	if (i >= n || s[i] != '[')
		return 0;
	for (i++;; index--) {
		i = json_skip_ws(s, n, i);
		if (i >= n || s[i] == ']')
			return 0;
		b = i;
		e = skip_value(s, n, b);
		if (index == 0) {
			*vs = b;
			*ve = e;
			return 1;
		}
		i = json_skip_ws(s, n, e);
		if (i >= n || s[i] != ',')
			return 0;
		i++;
	}
}

/* Segments k0.. of a from the value s[vs..ve). */
static int
find_alt_from(const struct alt *a, const char *s, size_t k0, size_t vs,
    size_t ve, const char **v, size_t *vn)
{
	size_t i;

	for (size_t k = k0; k < a->n; k++) {
		i = json_skip_ws(s, ve, vs);
		if (i < ve && s[i] == '{') {
			if (!member_get(s + i, ve - i, a->segs[k].key, &vs, &ve))
				return 0;
		} else if (i < ve && s[i] == '[' && a->segs[k].index >= 0) {
			if (!element_get(s + i, ve - i, a->segs[k].index, &vs,
			    &ve))
				return 0;
		} else {
			return 0;
		}
		vs += i;
		ve += i;
	}
	if (ve - vs == 4 && memcmp(s + vs, "null", 4) == 0)
		return 0;
	*v = s + vs;
	*vn = ve - vs;
	return 1;
}

static int
find_alt(const struct alt *a, const char *s, size_t n, const char **v,
    size_t *vn)
{
	return find_alt_from(a, s, 0, 0, n, v, vn);
}

int
jpath_find(const struct jpath *p, const char *s, size_t n, const char **v,
    size_t *vn)
{
	for (size_t i = 0; i < p->n; i++)
		if (find_alt(&p->alts[i], s, n, v, vn))
			return 1;
	return 0;
}

int
jpath_find_members(const struct jpath *p, const char *s, size_t n,
    const struct jmember *m, size_t nm, const char **v, size_t *vn)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct alt *a = &p->alts[i];
		const char *key;
		size_t kl;
		int at = -1;

		key = a->segs[0].key;	/* a path has a segment at least */
		kl = a->segs[0].klen + 2;	/* with the quotes */
		/* the last member of the name, as member_get() */
		for (size_t j = nm; j-- > 0;) {
			if (m[j].esc ? key_is(s, m[j].ks, m[j].ke, key) :
			    m[j].ke - m[j].ks == kl &&
			    memcmp(s + m[j].ks + 1, key, kl - 2) == 0) {
				at = (int)j;
				break;
			}
		}
		if (at >= 0 && find_alt_from(a, s, 1, m[at].vs, m[at].ve, v, vn))
			return 1;
	}
	return 0;
}

void
jpath_value_text(struct buf *b, const char *v, size_t n)
{
	json_t *j;

	if (n < 2 || v[0] != '"' || memchr(v + 1, '\\', n - 2) == NULL) {
		if (n >= 2 && v[0] == '"')
			buf_add(b, v + 1, n - 2);
		else
			buf_add(b, v, n);
		return;
	}
	if ((j = json_loadb(v, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL)) ==
	    NULL) {
		buf_add(b, v + 1, n - 2);	/* not reached for valid JSON */
		return;
	}
	buf_add(b, json_string_value(j), json_string_length(j));
	json_decref(j);
}

int
jtmpl_render_text(const struct jtmpl *t, const char *s, size_t n,
    struct buf *b, const char **missing)
{
	const char *v;
	size_t vn;

	for (size_t i = 0; i < t->n; i++) {
		if (t->parts[i].text != NULL) {
			buf_puts(b, t->parts[i].text);
			continue;
		}
		if (!jpath_find(t->parts[i].path, s, n, &v, &vn)) {
			*missing = jpath_spec(t->parts[i].path);
			return -1;
		}
		jpath_value_text(b, v, vn);
	}
	return 0;
}
