/*
 * rules_run.h: run compiled rules over events: event time, windows per
 * key (lib/window), sequences, suppression of repeated alerts, alerts as
 * JSON lines or events tagged with the rules they fired, and the state
 * saved to a file and loaded again. Pure code: output goes to a buffer.
 */
#ifndef TP_RULES_RUN_H
#define TP_RULES_RUN_H

#include <stddef.h>

#include "buf.h"
#include "rules.h"

struct engine_opts {
	int tag;			/* pass events through with "rules" */
	size_t max_per_key;		/* events kept per key and rule */
	const char *default_stream;	/* when an event has no _kafka.topic */
	int state;			/* engine_save will be called: events
					 * held keep their text for it, and an
					 * event at or below the Kafka position
					 * of its partition is skipped */
};

struct engine_stats {
	unsigned long long events, late, fired, alerts, skipped;
	unsigned long long keys, entries, pending;
	double clock;		/* greatest event time seen */
};

struct engine;

struct engine *engine_new(struct rules *rs, const struct engine_opts *o);
/* Free the engine and its rules. */
void engine_free(struct engine *en);
/*
 * Take new rules (the engine owns them from now on): window state of
 * rules with the same name and text is kept, the rest is dropped. Alerts
 * held for suppression are emitted to out first.
 */
void engine_reload(struct engine *en, struct rules *rs, struct buf *out);
/* One JSONL record; output appended to out. -1 with *err: bad record. */
int engine_event(struct engine *en, const char *line, size_t len,
    struct buf *out, const char **err);
/*
 * With tag: the alerts too, as they would be without it, appended to b
 * (in place of the buffer each call is given) instead of dropped.
 */
void engine_alerts_to(struct engine *en, struct buf *b);
/* The barrier number saved with the state (0: none). */
void engine_set_barrier(struct engine *en, long long n);
long long engine_barrier(const struct engine *en);
/* Emit every alert held for suppression (at end of input). */
void engine_flush(struct engine *en, struct buf *out);
/* Evict expired events and idle keys now. */
void engine_sweep(struct engine *en);
void engine_stats(const struct engine *en, struct engine_stats *st);
/*
 * Save to path atomically / load from path. -1 with err. The state holds
 * the Kafka position of the last event of each partition, as "streams" in
 * a sink checkpoint's form (consume --resume reads it), and the barrier.
 */
int engine_save(struct engine *en, const char *path, char *err, size_t n);
int engine_load(struct engine *en, const char *path, char *err, size_t n);

#endif
