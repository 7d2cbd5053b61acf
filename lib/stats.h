/*
 * stats.h: a program's statistics, as a JSON line on stderr and as a
 * Prometheus text file for node_exporter's textfile collector.
 *
 *   {"stats":"csv2kafka","ts":"2026-11-01T08:15:02.000Z","rows_in":10,...}
 *
 *   # HELP telco_csv2kafka_rows_in rows read
 *   # TYPE telco_csv2kafka_rows_in counter
 *   telco_csv2kafka_rows_in 10
 */
#ifndef TP_STATS_H
#define TP_STATS_H

enum stat_kind { STAT_COUNTER, STAT_GAUGE };

struct metric {
	const char *name;	/* snake_case */
	const char *help;
	enum stat_kind kind;
	double value;
};

/* Write one JSON line to stderr. */
void stats_print(const char *program, const struct metric *s, int n);
/* Replace path atomically with the Prometheus text. Returns 0 or -1. */
int stats_write_prom(const char *path, const char *program,
    const struct metric *s, int n);

/* Interval timer: 1 when interval_ms (>0) passed since the last true. */
int stats_due(long long *last_ms, long long interval_ms);

#endif
