/*
 * rules.h: the detect rules language: lexer, parser (errors as
 * FILE:LINE:COL: message), compiled rules and the expression evaluator.
 * Pure code: no I/O but reading the rules file. The language is described
 * in detect.rules(5).
 */
#ifndef TP_RULES_H
#define TP_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "jfields.h"

enum agg_kind {
	A_COUNT, A_COUNT_DISTINCT, A_SUM, A_AVG, A_MIN, A_MAX, A_RATIO,
	A_FIRST, A_LAST, A_PREV
};

struct expr;

/* An aggregate call of a rule: each kept event stores v[arg] and bits. */
struct agg {
	enum agg_kind kind;
	struct expr *arg;	/* value, or NULL */
	struct expr *cond;	/* filter (ratio: numerator), or NULL */
	struct expr *cond2;	/* ratio: denominator */
	char *src;		/* source text, the evidence name */
	int vi;			/* index of its value in a kept event, or -1 */
};

struct rule {
	char *name, *severity, *desc;
	char **streams;
	size_t *streamlen;
	int nstreams;		/* 0: every stream */
	struct expr *where, *having, *score, *seq_a, *seq_b;
	int key_slot;
	char *key_path;
	double window, within, suppress;	/* seconds */
	int tumbling;
	int stateful;		/* has a window or a sequence */
	struct agg *aggs;
	int naggs;
	int nvals;		/* values a kept event holds: aggs with an arg */
	int hashed;		/* a kept event holds their hashes too: the
				 * rule counts distinct values */
	int *ev_slots;		/* fields shown as evidence */
	int nev;
	uint64_t hash;		/* of its text and the lists it uses */
	int line;
};

struct rules {
	char *file;
	struct rule *r;
	int n;
	struct jfields *jf;
	int topic_slot, customer_slot, msisdn_slot;
	int part_slot, offset_slot;	/* _kafka.partition, _kafka.offset */
	int id_slots[8];
	int nid;
	struct tfield {
		char *stream;	/* NULL: the default */
		int slot;
	} *tf;
	int ntf;
	double lateness;
	/* everything allocated, for freeing */
	struct expr **ex;
	int nex;
	struct rset **sets;
	int nsets;
};

/* Parse text; NULL with err "FILE:LINE:COL: message" when it is wrong. */
struct rules *rules_parse(const char *file, const char *text, size_t len,
    char *err, size_t errlen);
/* Read and parse a file; NULL with err (a missing file too). */
struct rules *rules_load(const char *path, char *err, size_t errlen);
void rules_free(struct rules *rs);

/* Bump allocator for strings made while evaluating one event. */
struct arena {
	char **blk;
	int n, cap;
	size_t used, size;
};
void *arena_alloc(struct arena *a, size_t n);
void arena_reset(struct arena *a);
void arena_free(struct arena *a);

struct evctx {
	const struct jval *f;	/* field values by slot */
	double time;		/* $time: event time, epoch seconds */
	struct jval stream;	/* $stream */
	struct jval id;		/* $id */
	struct jval *aggv;	/* aggregate values, in having/score */
	/* with agg_fill, aggregate a is aggv[a] once bit a of aggdone is
	 * set, and agg_fill(c, a) computes it and sets the bit */
	uint32_t aggdone;
	void (*agg_fill)(struct evctx *c, int a);
	void *agg_arg;
	struct arena *ar;
};

struct jval rules_eval(const struct expr *e, struct evctx *c);
static inline int jv_true(struct jval v) { return v.t == J_BOOL && v.b; }

/* ISO 8601 date or date-time (UTC, Z or offset) to epoch seconds. */
int parse_time(const char *s, size_t n, double *out);
double distance_km(double lat1, double lon1, double lat2, double lon2);
/* Visit the field slots an expression reads. */
void expr_fields(const struct expr *e, void (*fn)(int slot, void *arg),
    void *arg);

#endif
