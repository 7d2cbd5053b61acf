/*
 * summary.h: conditions over rows, summaries of a key's rows, and values
 * derived from a row and an event, for enrich. Rows are JSON object text;
 * fields are read with jpath_find, no tree is built.
 *
 * Condition:   FIELD == VALUE, !=, <, <=, >, >=, FIELD in [V, ...],
 *              FIELD not in [...], FIELD is null, FIELD is not null,
 *              joined by and, or, not and parentheses. A VALUE is a JSON
 *              string, number, true, false, null, or a bare word (a
 *              string). A comparison with an absent or null field is false.
 * Summary:     TABLE.NAME=FUNC(ARG) [where COND] [within DURATION] [by FIELD]
 *              FUNC: count() count(COND) sum(F) avg(F) min(F) max(F)
 *              latest(F) earliest(F) (the latter two need "by").
 *              within: rows whose "by" time is in (t - DURATION, t],
 *              t the event's time.
 * Derived:     TABLE.NAME=days_since(FIELD) | eq(FIELD, EVENT_FIELD)
 * Pick:        latest:FIELD | earliest:FIELD | last | first
 *
 * Times are ISO 8601 strings (a date, or a date and time) or numbers in
 * Debezium's encodings, told apart by magnitude: an integer of less than
 * 10^6 is a count of days since 1970-01-01 (a DATE), from 10^17
 * nanoseconds, from 10^14 microseconds, else milliseconds since the epoch.
 */
#ifndef TP_SUMMARY_H
#define TP_SUMMARY_H

#include <stddef.h>

#include "buf.h"
#include "jpath.h"

struct cond;

struct cond *cond_parse(const char *s, char *err, size_t errlen);
void cond_free(struct cond *c);
/* 1 when the row text s[0..n) satisfies c. */
int cond_eval(const struct cond *c, const char *s, size_t n);

enum sum_fn {
	SF_COUNT, SF_SUM, SF_AVG, SF_MIN, SF_MAX, SF_LATEST, SF_EARLIEST,
	SF_DAYS_SINCE, SF_EQ
};

struct summary {
	char *table;		/* TABLE */
	char *name;		/* NAME: the member added to the table's object */
	enum sum_fn fn;
	struct jpath *arg;	/* the field, NULL for count */
	struct jpath *arg2;	/* eq: the event's field */
	struct cond *where;	/* count(COND) or where COND */
	long long within_ms;	/* 0: every row */
	struct jpath *by;	/* the row's time, for within, latest, earliest */
	char *spec;
};

/* Parse a summary (derive = 0) or a derived value (derive = 1). */
struct summary *summary_parse(const char *spec, int derive, char *err,
    size_t errlen);
void summary_free(struct summary *s);

struct sacc {
	long long n;
	double sum, min, max, best;
	const char *text;	/* latest/earliest: the value's JSON text */
	size_t tlen;
};

void summary_start(struct sacc *a);
/* Add a row; evtime is the event's time (seconds), NAN when unknown. */
void summary_row(const struct summary *s, struct sacc *a, const char *row,
    size_t n, double evtime);
/* Append the summary's JSON value to out. */
void summary_end(const struct summary *s, const struct sacc *a, double evtime,
    struct buf *out);

/* Append a derived value's JSON (null when a field is missing) to out. */
void derive_eval(const struct summary *s, const char *row, size_t n,
    const char *event, size_t en, double evtime, struct buf *out);

enum pick_mode { PICK_LAST, PICK_FIRST, PICK_LATEST, PICK_EARLIEST };

struct pick {
	enum pick_mode mode;
	struct jpath *by;
};

int pick_parse(struct pick *p, const char *spec, char *err, size_t errlen);

/* The time of a JSON value's text (seconds since the epoch; see above for
 * numbers), or -1. */
int json_time(const char *v, size_t n, double *out);
/* The number of a JSON number or numeric string, or -1. */
int json_number(const char *v, size_t n, double *out);
/* Append a number as JSON (integers without a fraction). */
void buf_number(struct buf *b, double d);

#endif
