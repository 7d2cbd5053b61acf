/*
 * jpath.h: field paths and templates over JSON records.
 *
 * A path names a field by its keys from the top, joined by '.':
 * "after.customer_id". A segment of decimal digits indexes an array
 * ("items.0"). A path list gives alternatives, tried in order, separated by
 * ',': "after.customer_id,before.customer_id" is the first of the two that
 * is present and not null. A backslash makes the next character literal
 * ("a\.b" is the key "a.b").
 *
 * A template is text with path lists in braces, "cdc.{source.db}.{source.table}";
 * "{{" and "}}" stand for literal braces.
 *
 * The text of a value: a string's characters (without quotes or escapes),
 * a number's, a boolean's, an object's or an array's JSON text. null counts
 * as absent. Paths work on the text of a record, without building a tree
 * (the *_text functions: the JSON text as written in the record), and on
 * jansson values (the JSON text as jansson writes it, compact).
 */
#ifndef TP_JPATH_H
#define TP_JPATH_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"
#include "jvalid.h"

struct jpath;
struct jtmpl;

/* Parse a path list. NULL with a message in err when it is malformed. */
struct jpath *jpath_parse(const char *spec, char *err, size_t errlen);
void jpath_free(struct jpath *p);
/* The list as given. */
const char *jpath_spec(const struct jpath *p);
/* The value of the first alternative present and not null (borrowed), or NULL. */
json_t *jpath_get(const struct jpath *p, json_t *root);

/* Append the text of v to b (see above). */
void jpath_text(struct buf *b, json_t *v);

/*
 * In the text s[0..n) of a valid JSON object, find the value of the first
 * alternative present and not null: returns 1 and its text in [*v, *v+*vn),
 * or 0.
 */
int jpath_find(const struct jpath *p, const char *s, size_t n,
    const char **v, size_t *vn);
/*
 * jpath_find with the members of the object s[0..n) already known
 * (jvalid_members(), all of them: nm at most its max).
 */
int jpath_find_members(const struct jpath *p, const char *s, size_t n,
    const struct jmember *m, size_t nm, const char **v, size_t *vn);
/* Append the text of the JSON value text v[0..n) to b (see above). */
void jpath_value_text(struct buf *b, const char *v, size_t n);

/* Parse a template. NULL with a message in err when it is malformed. */
struct jtmpl *jtmpl_parse(const char *spec, char *err, size_t errlen);
void jtmpl_free(struct jtmpl *t);
/* 1 when the template has no fields: its text is then jtmpl_literal(). */
int jtmpl_is_literal(const struct jtmpl *t);
const char *jtmpl_literal(const struct jtmpl *t);
/*
 * Append the template filled from root to b. Returns 0, or -1 when a field
 * is absent, with *missing set to that field's path list.
 */
int jtmpl_render(const struct jtmpl *t, json_t *root, struct buf *b,
    const char **missing);
/* The same from the text s[0..n) of a valid JSON object. */
int jtmpl_render_text(const struct jtmpl *t, const char *s, size_t n,
    struct buf *b, const char **missing);

/*
 * In the text s[0..n) of a valid JSON object, find the first top-level
 * member called name. Returns 1 and sets [*from, *to) to the bytes to cut to
 * remove it with its separating comma, or 0 when there is none.
 */
int jtext_member_span(const char *s, size_t n, const char *name,
    size_t *from, size_t *to);

#endif
