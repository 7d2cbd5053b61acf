/*
 * jvalid.h: check that bytes are one JSON value (RFC 8259) in one pass,
 * without allocating, and say what kind of value it is.
 *
 * The grammar is checked strictly: UTF-8 inside strings (no overlongs, no
 * surrogates, nothing past U+10FFFF), no unescaped control characters, only
 * the escapes of the RFC, \u surrogates in pairs, numbers as the RFC writes
 * them, nothing after the value but whitespace. Whitespace may surround the
 * value. Nesting deeper than JV_MAX_DEPTH is refused.
 */
#ifndef TP_JVALID_H
#define TP_JVALID_H

#include <stddef.h>

#define JV_MAX_DEPTH 4096

enum jv_type {
	JV_INVALID = 0,
	JV_OBJECT,
	JV_ARRAY,
	JV_STRING,
	JV_NUMBER,
	JV_TRUE,
	JV_FALSE,
	JV_NULL
};

struct jvalid {
	enum jv_type type;	/* of the top-level value */
	size_t start, end;	/* the value without surrounding whitespace */
	int empty;		/* an object or array without members */
	int newlines;		/* '\n' or '\r' between tokens inside the value */
	size_t err_off;		/* when invalid: offset of the offending byte */
	const char *err;	/* when invalid: what is wrong */
};

/*
 * Check s[0..n). Returns the type of the value (JV_INVALID when the bytes
 * are not one JSON value) and fills *v. For an object, the closing brace
 * is s[v->end - 1]: a member can be added just before it, after a ','
 * unless v->empty.
 */
enum jv_type jvalid(const char *s, size_t n, struct jvalid *v);

/*
 * A member of a top-level object, as offsets into the text: the name with
 * its quotes in [ks, ke), the value in [vs, ve); esc when the name has
 * escapes.
 */
struct jmember {
	size_t ks, ke, vs, ve;
	int esc;
};

/*
 * jvalid, and for an object the spans of its members, in m[0..*nm), in
 * the order written. When the object has more than max members, *nm is
 * max + 1 and m holds the first max.
 */
enum jv_type jvalid_members(const char *s, size_t n, struct jvalid *v,
    struct jmember *m, size_t max, size_t *nm);

/* The name of a type: "object", "array", ... or "invalid". */
const char *jv_type_name(enum jv_type t);

/* The first index at or after i in s[0..n) that is not JSON white space. */
static inline size_t
json_skip_ws(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
	    s[i] == '\r'))
		i++;
	return i;
}

#endif
