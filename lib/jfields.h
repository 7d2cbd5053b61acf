/*
 * jfields.h: a single-pass extractor of chosen fields from one JSON object
 * (one JSONL record), without building a tree. Paths are dotted names
 * ("customer.credit_score", "_kafka.topic"); values not asked for are
 * only checked and skipped.
 */
#ifndef TP_JFIELDS_H
#define TP_JFIELDS_H

#include <stddef.h>

enum jtype { J_NULL = 0, J_BOOL, J_NUM, J_STR, J_RAW };

/* A value: J_STR points at unescaped text; J_RAW at an object or array. */
struct jval {
	enum jtype t;
	int b;
	double n;
	const char *s;
	size_t len;
};

struct jfields;

struct jfields *jf_new(void);
void jf_free(struct jfields *jf);
/* Add a dotted path; returns its slot (the same slot for the same path). */
int jf_add(struct jfields *jf, const char *path);
int jf_count(const struct jfields *jf);
const char *jf_path(const struct jfields *jf, int slot);

/*
 * Parse line[0..len) (NUL at line[len]) as one JSON object; vals[slot] is
 * set for each path present, J_NULL for those absent. Unescaped strings
 * go to scratch, which must hold len+1 bytes. Returns 0, or -1 with *err.
 * It keeps in jf the member names of the line, to find those of the next
 * one sooner: one thread at a time.
 */
int jf_extract(const struct jfields *jf, const char *line, size_t len,
    struct jval *vals, char *scratch, const char **err);

#endif
