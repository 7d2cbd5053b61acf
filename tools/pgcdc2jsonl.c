/*
 * pgcdc2jsonl: PostgreSQL logical replication (pgoutput) to change records
 * in Debezium's envelope, one JSON line each.
 */
#include "buf.h"
#include "cdcrec.h"
#include "ckpt.h"
#include "connect.h"
#include "pgoutput.h"
#include "pgtypes.h"
#include "stats.h"
#include "util.h"

#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The session settings pgtypes expects of the server's text output. */
#define SESSION_OPTIONS "-c datestyle=ISO -c timezone=UTC " \
	"-c intervalstyle=iso_8601 -c bytea_output=hex -c lc_monetary=C " \
	"-c extra_float_digits=1"

enum snapmode { SNAP_INITIAL, SNAP_NEVER, SNAP_WHEN_NEEDED, SNAP_ONLY };

static struct {
	const char *conninfo, *slot, *publication, *ackfrom, *name;
	const char *statsfile;
	char **tables;
	int ntables;
	int create, drop, exit_at_end, unwrap, compat, unbuffered, txmeta;
	int schemas;
	enum snapmode snapshot;
	long long status_ms, stats_ms, heartbeat_ms, retry_ms;
} o = {
	.snapshot = SNAP_INITIAL,
	.status_ms = 10000,
	.retry_ms = 60000,
};

/* Per relation: whether --tables selects it; with --schemas, the
 * schema text of its records (in the same allocation). */
struct relinfo {
	int wanted;
	size_t schema_len;
	char *schema;
};

/* A transaction written but not yet confirmed (with --ack-from). */
struct inflight {
	uint32_t xid;
	uint64_t last_lsn;	/* lsn of its last record; 0 when it had none */
	unsigned long long last_row;	/* source.row of that record */
	uint64_t end_lsn;
	long long ts_ms;
};

static struct {
	PGconn *repl, *side;
	char *db;
	int pgversion;
	struct pgo_relcache rels;
	struct pgo_msg msg;
	struct pgo_state st;
	struct cdcrec rec;
	struct buf val;
	/* the transaction being received */
	int in_txn;
	uint32_t xid;
	uint64_t final_lsn, last_lsn;
	long long commit_ms;
	unsigned long long txn_events;
	/* a transaction cut by a lost connection: its commit lsn and the
	 * records of it written, not written again when it comes again */
	uint64_t resume_final;
	unsigned long long resume_events;
	int resuming;
	/* positions */
	uint64_t received, flushed, written_end, wal_end, end_at;
	int dirty;		/* records written to stdout and not flushed */
	/* --ack-from */
	struct inflight *fl;
	size_t fl_n, fl_cap;
	struct timespec ack_mtime;
	ino_t ack_ino;
	off_t ack_size;
	uint64_t ack_lsn;
	uint32_t ack_xid;
	long long ack_row;	/* -1 when the checkpoint has none */
	/* resolved non-built-in types */
	struct { uint32_t oid; int kind, elem; uint32_t base; } *types;
	size_t ntypes;
	/* --schemas: type names by OID, the source struct's fields */
	struct { uint32_t oid; char *name; } *tnames;
	size_t ntnames;
	struct buf srcschema;
	/* statistics */
	unsigned long long changes, snaprows, txns, msgs, bytes, reconnects;
	long long last_stats, last_status, last_ack_poll, last_heartbeat;
	int encflags;
} g;

static volatile sig_atomic_t stop, want_stats;

static void
onsig(int sig)
{
	if (sig == SIGUSR1)
		want_stats = 1;
	else
		stop = 1;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: pgcdc2jsonl [-eTuw] [-d conninfo] -s slot [-p publication]\n"
	    "                   [-t tables] [--ack-from file] [--compat debezium]\n"
	    "                   [--create] [--drop] [--heartbeat time] [--name name]\n"
	    "                   [--retry time] [--schemas] [--snapshot mode]\n"
	    "                   [--stats time] [--stats-file file]\n"
	    "                   [--status-interval time]\n");
	exit(EX_USAGE);
}

static void
help(void)
{
	printf(
	    "usage: pgcdc2jsonl [-eTuw] [-d conninfo] -s slot [-p publication]\n"
	    "                   [-t tables] [--ack-from file] [--compat debezium]\n"
	    "                   [--create] [--drop] [--heartbeat time] [--name name]\n"
	    "                   [--retry time] [--schemas] [--snapshot mode]\n"
	    "                   [--stats time] [--stats-file file]\n"
	    "                   [--status-interval time]\n"
	    "PostgreSQL logical replication (pgoutput) to change records as JSON lines.\n"
	    "  -d, --dbname conninfo    libpq connection string or URI (PG* variables)\n"
	    "  -e, --exit               exit 0 once the WAL present at start is written\n"
	    "  -p, --publication name   publication (default: the slot's name)\n"
	    "  -s, --slot name          logical replication slot\n"
	    "  -t, --tables list        schema.table patterns, comma-separated\n"
	    "  -T, --transactions       transaction block, BEGIN and END records\n"
	    "  -u, --unbuffered         flush stdout after each record\n"
	    "  -w, --unwrap             flat rows with __op, __deleted, __source_ts_ms\n"
	    "      --ack-from file      confirm only what this checkpoint holds\n"
	    "      --compat debezium    Debezium's value encodings\n"
	    "      --create             create the publication and slot when missing\n"
	    "      --drop               drop the slot and publication, then exit\n"
	    "      --heartbeat time     emit a logical message this often\n"
	    "      --name name          logical server name (default: the database)\n"
	    "      --retry time         keep reconnecting this long (default 60s)\n"
	    "      --schemas            each record with its Kafka Connect schema\n"
	    "      --snapshot mode      initial, never, when_needed, initial_only\n"
	    "      --stats time         statistics on stderr at this interval\n"
	    "      --stats-file file    statistics as a Prometheus text file\n"
	    "      --status-interval time  standby status updates (default 10s)\n"
	    "  -h, --help               this help\n"
	    "      --version            the version\n");
	exit(0);
}

static long long
duration_arg(const char *opt, const char *s)
{
	long long v = parse_duration_ms(s);

	if (v < 0) {
		weprintf("%s: not a duration: %s", opt, s);
		usage();
	}
	return v;
}

static void
split_tables(const char *s)
{
	char *copy = xstrdup(s), *save = NULL, *t;

	for (t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
		o.tables = xrealloc(o.tables, (size_t)(o.ntables + 1) *
		    sizeof *o.tables);
		o.tables[o.ntables++] = strchr(t, '.') ? xstrdup(t) :
		    xasprintf("public.%s", t);
	}
	free(copy);
}

/* ------------------------------------------------------------------ */
/* Connections */

static PGconn *
connect_db(int replication)
{
	const char *keys[5], *vals[5];
	int n = 0;

	keys[n] = "dbname";
	vals[n++] = o.conninfo ? o.conninfo : "";
	if (replication) {
		keys[n] = "replication";
		vals[n++] = "database";
	}
	keys[n] = "options";
	vals[n++] = SESSION_OPTIONS;
	keys[n] = "fallback_application_name";
	vals[n++] = "pgcdc2jsonl";
	keys[n] = NULL;
	vals[n] = NULL;
	return PQconnectdbParams(keys, vals, 1);
}

/* Connect, retrying with backoff for up to --retry; 69 after that. */
static PGconn *
connect_retry(int replication)
{
	long long deadline = mono_ms() + o.retry_ms, wait = 100;
	PGconn *c;

	for (;;) {
		c = connect_db(replication);
		if (PQstatus(c) == CONNECTION_OK)
			return c;
		{
			const char *m = PQerrorMessage(c);
			size_t n = strlen(m);

			while (n > 0 && m[n - 1] == '\n')
				n--;
			/* wrong password, no such database or role: config */
			if (strstr(m, "password authentication failed") ||
			    strstr(m, "does not exist") ||
			    strstr(m, "no pg_hba.conf entry") ||
			    strstr(m, "invalid connection option") ||
			    strstr(m, "invalid URI") ||
			    strstr(m, "missing \"=\""))
				die(EX_CONFIG, "connect: %.*s", (int)n, m);
			if (stop || mono_ms() >= deadline)
				die(EX_UNAVAILABLE, "connect: %.*s", (int)n, m);
			weprintf("connect: %.*s (retrying in %lld ms)", (int)n, m,
			    wait);
		}
		PQfinish(c);
		usleep((useconds_t)wait * 1000);
		if ((wait *= 2) > 5000)
			wait = 5000;
	}
}

static PGconn *
side(void)
{
	if (g.side && PQstatus(g.side) != CONNECTION_OK) {
		PQfinish(g.side);
		g.side = NULL;
	}
	if (g.side == NULL)
		g.side = connect_retry(0);
	return g.side;
}

static void
trimnl(char *m)
{
	size_t n = strlen(m);

	while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == ' '))
		m[--n] = '\0';
}

/* Run SQL; die with status on failure. */
static PGresult *
sql(PGconn *c, int status, const char *what, const char *q)
{
	PGresult *r = PQexec(c, q);
	ExecStatusType s = PQresultStatus(r);

	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		char *m = xstrdup(PQerrorMessage(c));

		trimnl(m);
		die(status, "%s: %s", what, m);
	}
	return r;
}

static char *
lit(PGconn *c, const char *s)
{
	char *e = PQescapeLiteral(c, s, strlen(s));
	char *r;

	if (e == NULL)
		die(EX_SOFTWARE, "escape: %s", PQerrorMessage(c));
	r = xstrdup(e);
	PQfreemem(e);
	return r;
}

static char *
ident(PGconn *c, const char *s)
{
	char *e = PQescapeIdentifier(c, s, strlen(s));
	char *r;

	if (e == NULL)
		die(EX_SOFTWARE, "escape: %s", PQerrorMessage(c));
	r = xstrdup(e);
	PQfreemem(e);
	return r;
}

static uint64_t
parse_lsn(const char *s)
{
	unsigned hi, lo;

	if (s == NULL || sscanf(s, "%X/%X", &hi, &lo) != 2)
		return 0;
	return (uint64_t)hi << 32 | lo;
}

/* ------------------------------------------------------------------ */
/* Types */

/*
 * The kind of a type OID, through the catalog for non-built-in types, and
 * its base: the built-in type it comes down to (the element's, for an
 * array), or 0 when it is none (enum, composite, extension type).
 */
static void
resolve_type(uint32_t oid, int *kind, int *elem, uint32_t *base)
{
	enum pgt_kind k, e;
	char q[256];
	PGresult *r;
	int depth;
	uint32_t b = 0;

	if (pgt_builtin(oid, &k, &e)) {
		*kind = (int)k;
		*elem = (int)e;
		if (base)
			*base = k == PGT_ARRAY ? pgt_builtin_elem(oid) : oid;
		return;
	}
	for (size_t i = 0; i < g.ntypes; i++)
		if (g.types[i].oid == oid) {
			*kind = g.types[i].kind;
			*elem = g.types[i].elem;
			if (base)
				*base = g.types[i].base;
			return;
		}
	*kind = *elem = PGT_TEXT;
	{
		/* domains down to their base type, arrays to their element */
		uint32_t cur = oid;
		int array = 0;

		for (depth = 0; depth < 16; depth++) {
			if (pgt_builtin(cur, &k, &e)) {
				if (array) {
					*kind = PGT_ARRAY;
					*elem = k == PGT_ARRAY ? PGT_TEXT : (int)k;
					b = k == PGT_ARRAY ? 0 : cur;
				} else {
					*kind = (int)k;
					*elem = (int)e;
					b = k == PGT_ARRAY ? pgt_builtin_elem(cur) :
					    cur;
				}
				break;
			}
			snprintf(q, sizeof q, "select typtype, typbasetype, "
			    "typelem, typcategory from pg_type where oid = %u",
			    cur);
			r = PQexec(side(), q);
			if (PQresultStatus(r) != PGRES_TUPLES_OK ||
			    PQntuples(r) != 1) {
				PQclear(r);
				break;
			}
			if (PQgetvalue(r, 0, 0)[0] == 'd') {
				cur = (uint32_t)strtoul(PQgetvalue(r, 0, 1), NULL, 10);
			} else if (PQgetvalue(r, 0, 3)[0] == 'A' && !array) {
				cur = (uint32_t)strtoul(PQgetvalue(r, 0, 2), NULL, 10);
				array = 1;
			} else {
				/* enum, composite, range, extension type: text */
				if (array) {
					*kind = PGT_ARRAY;
					*elem = PGT_TEXT;
				}
				PQclear(r);
				break;
			}
			PQclear(r);
		}
	}
	g.types = xrealloc(g.types, (g.ntypes + 1) * sizeof *g.types);
	g.types[g.ntypes].oid = oid;
	g.types[g.ntypes].kind = *kind;
	g.types[g.ntypes].elem = *elem;
	g.types[g.ntypes].base = b;
	g.ntypes++;
	if (base)
		*base = b;
}

static int
table_wanted(const char *nsp, const char *rel)
{
	char full[256];

	if (o.ntables == 0)
		return 1;
	snprintf(full, sizeof full, "%s.%s", nsp, rel);
	for (int i = 0; i < o.ntables; i++)
		if (fnmatch(o.tables[i], full, 0) == 0)
			return 1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Schemas (--schemas) */

/* One column as a schema sees it: from a Relation message, or from the
 * snapshot's result and the catalog. */
struct colspec {
	const char *name;
	uint32_t typid;
	int32_t typmod;
	int required;
};

/* The type's name, upper case, as Debezium's source column type:
 * pg_type.typname ("INT4", "_TEXT", "MOOD"). */
static const char *
type_name(uint32_t oid)
{
	char q[96];
	PGresult *r;
	char *n;

	for (size_t i = 0; i < g.ntnames; i++)
		if (g.tnames[i].oid == oid)
			return g.tnames[i].name;
	snprintf(q, sizeof q, "select typname from pg_type where oid = %u", oid);
	r = PQexec(side(), q);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		n = xstrdup(PQgetvalue(r, 0, 0));
	else
		n = xasprintf("%u", oid);
	PQclear(r);
	for (char *p = n; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	g.tnames = xrealloc(g.tnames, (g.ntnames + 1) * sizeof *g.tnames);
	g.tnames[g.ntnames].oid = oid;
	g.tnames[g.ntnames].name = n;
	return g.tnames[g.ntnames++].name;
}

/* The Connect type (and logical name) of the JSON our encoder writes
 * for a value of kind k whose built-in base type is base. */
static const char *
kind_schema(int k, uint32_t base, const char **name)
{
	int dbz = o.compat;

	*name = NULL;
	switch (k) {
	case PGT_INT:
		return base == 21 ? "int16" : base == 23 ? "int32" : "int64";
	case PGT_NUMERIC:
		return dbz ? "string" : "float64";
	case PGT_FLOAT:
		return base == 700 ? "float32" : "float64";
	case PGT_BOOL:
		return "boolean";
	case PGT_BYTEA:
		return "bytes";
	case PGT_DATE:
		if (!dbz)
			return "string";
		*name = "io.debezium.time.Date";
		return "int32";
	case PGT_TIME:
		if (!dbz)
			return "string";
		*name = "io.debezium.time.MicroTime";
		return "int64";
	case PGT_TIMETZ:
		if (dbz)
			*name = "io.debezium.time.ZonedTime";
		return "string";
	case PGT_TIMESTAMP:
		if (!dbz)
			return "string";
		*name = "io.debezium.time.MicroTimestamp";
		return "int64";
	case PGT_TIMESTAMPTZ:
		*name = "io.debezium.time.ZonedTimestamp";
		return "string";
	case PGT_INTERVAL:
		if (dbz)
			*name = "io.debezium.time.Interval";
		return "string";
	case PGT_JSON:
		*name = "io.debezium.data.Json";
		return "string";
	case PGT_MONEY:
		return dbz ? "string" : "float64";
	default:
		if (dbz && base == 2950)
			*name = "io.debezium.data.Uuid";
		else if (dbz && base == 142)
			*name = "io.debezium.data.Xml";
		return "string";
	}
}

/* Append one column's field schema to b. */
static void
col_schema(struct buf *b, const struct colspec *c)
{
	char len[16], scale[16];
	const char *p[8], *type, *name;
	int kind, elem, n = 0;
	int32_t tm = c->typmod;
	uint32_t base;

	resolve_type(c->typid, &kind, &elem, &base);
	p[n++] = "__debezium.source.column.type";
	p[n++] = type_name(c->typid);
	len[0] = scale[0] = '\0';
	switch (base) {
	case 1700:	/* numeric(p,s): ((p << 16) | s) + 4, s signed 11 bits */
		if (tm >= 4) {
			snprintf(len, sizeof len, "%d", ((tm - 4) >> 16) & 0xFFFF);
			snprintf(scale, sizeof scale, "%d",
			    (((tm - 4) & 0x7FF) ^ 1024) - 1024);
		}
		break;
	case 1042: case 1043:	/* char(n), varchar(n): n + 4 */
		if (tm >= 4)
			snprintf(len, sizeof len, "%d", tm - 4);
		break;
	case 1083: case 1266: case 1114: case 1184: case 1560: case 1562:
		if (tm >= 0)	/* fractional digits; bits */
			snprintf(len, sizeof len, "%d", tm);
		break;
	case 1186:	/* interval: range << 16 | precision, 0xFFFF: none */
		if (tm >= 0 && (tm & 0xFFFF) != 0xFFFF)
			snprintf(len, sizeof len, "%d", tm & 0xFFFF);
		break;
	}
	if (*len) {
		p[n++] = "__debezium.source.column.length";
		p[n++] = len;
	}
	if (*scale) {
		p[n++] = "__debezium.source.column.scale";
		p[n++] = scale;
	}
	p[n] = NULL;
	if (kind != PGT_ARRAY) {
		type = kind_schema(kind, base, &name);
		cs_field(b, c->name, strlen(c->name), type, !c->required, name, p);
		return;
	}
	{
		/* {"type":"array","items":{...},"optional":...} */
		struct buf f;
		const size_t at = strlen("{\"type\":\"array\"");

		buf_init(&f);
		cs_field(&f, c->name, strlen(c->name), "array", !c->required,
		    NULL, p);
		if (b->len)
			buf_putc(b, ',');
		buf_add(b, f.p, at);
		type = kind_schema(elem, base, &name);
		buf_printf(b, ",\"items\":{\"type\":\"%s\",\"optional\":true", type);
		if (name)
			buf_printf(b, ",\"name\":\"%s\",\"version\":1", name);
		buf_putc(b, '}');
		buf_add(b, f.p + at, f.len - at);
		buf_free(&f);
	}
}

/* The source struct's fields, as put_source writes them. */
static void
source_schema(void)
{
	static const char *const snap[] = { "allowed", "true,last,false",
	    NULL };
	struct buf *b = &g.srcschema;

	if (o.compat) {
		cs_field(b, "version", 7, "string", 0, NULL, NULL);
		cs_field(b, "connector", 9, "string", 0, NULL, NULL);
		cs_field(b, "name", 4, "string", 0, NULL, NULL);
		cs_field(b, "ts_ms", 5, "int64", 0, NULL, NULL);
		cs_field(b, "snapshot", 8, "string", 1, "io.debezium.data.Enum",
		    snap);
		cs_field(b, "db", 2, "string", 0, NULL, NULL);
		cs_field(b, "sequence", 8, "string", 0, NULL, NULL);
		cs_field(b, "schema", 6, "string", 0, NULL, NULL);
		cs_field(b, "table", 5, "string", 0, NULL, NULL);
		cs_field(b, "txId", 4, "int64", 1, NULL, NULL);
		cs_field(b, "lsn", 3, "int64", 0, NULL, NULL);
		cs_field(b, "xmin", 4, "int64", 1, NULL, NULL);
		cs_field(b, "row", 3, "int64", 0, NULL, NULL);
	} else {
		cs_field(b, "connector", 9, "string", 0, NULL, NULL);
		cs_field(b, "name", 4, "string", 0, NULL, NULL);
		cs_field(b, "db", 2, "string", 0, NULL, NULL);
		cs_field(b, "schema", 6, "string", 0, NULL, NULL);
		cs_field(b, "table", 5, "string", 0, NULL, NULL);
		cs_field(b, "lsn", 3, "int64", 0, NULL, NULL);
		cs_field(b, "txId", 4, "int64", 1, NULL, NULL);
		cs_field(b, "snapshot", 8, "string", 1, "io.debezium.data.Enum",
		    snap);
		cs_field(b, "ts_ms", 5, "int64", 0, NULL, NULL);
		cs_field(b, "sequence", 8, "string", 0, NULL, NULL);
		cs_field(b, "row", 3, "int64", 0, NULL, NULL);
	}
	buf_cstr(b);
}

/* The schema text of nsp.rel's records with columns c[0..n) into out. */
static void
table_schema(struct buf *out, const char *nsp, const char *rel,
    const struct colspec *c, int n)
{
	struct buf fields;

	buf_init(&fields);
	for (int i = 0; i < n; i++)
		col_schema(&fields, &c[i]);
	cs_envelope(out, o.name, nsp, rel, &fields,
	    "io.debezium.connector.postgresql.Source", g.srcschema.p, o.unwrap);
	buf_free(&fields);
}

/*
 * The catalog's word on the columns of relation relid: per column name,
 * NOT NULL, and whether it is in the replica identity (all columns with
 * REPLICA IDENTITY FULL, the primary key's with DEFAULT, the index's with
 * USING INDEX): the columns a Relation message flags as key. One query.
 */
static PGresult *
col_catalog(uint32_t relid)
{
	char q[700];
	PGresult *r;

	snprintf(q, sizeof q, "select a.attname, a.attnotnull, "
	    "c.relreplident = 'f' or coalesce(a.attnum = any(i.indkey), false), "
	    "a.atttypid, a.atttypmod "
	    "from pg_attribute a join pg_class c on c.oid = a.attrelid "
	    "left join pg_index i on i.indrelid = c.oid and "
	    "((c.relreplident = 'd' and i.indisprimary) or "
	    "(c.relreplident = 'i' and i.indisreplident)) "
	    "where a.attrelid = %u and a.attnum > 0 and not a.attisdropped", relid);
	r = PQexec(side(), q);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		char *m = xstrdup(PQerrorMessage(side()));

		trimnl(m);
		weprintf("schema of relation %u: %s (columns taken as optional)",
		    relid, m);
		free(m);
	}
	return r;
}

/* Whether the catalog says column name is NOT NULL; c (when not NULL)
 * gets the catalog's replica identity flag, type and modifier. */
static int
cat_notnull(PGresult *r, const char *name, struct colspec *c, int *key)
{
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return 0;
	for (int i = 0; i < PQntuples(r); i++)
		if (strcmp(PQgetvalue(r, i, 0), name) == 0) {
			if (c) {
				*key = PQgetvalue(r, i, 2)[0] == 't';
				c->typid = (uint32_t)strtoul(PQgetvalue(r, i, 3),
				    NULL, 10);
				c->typmod = (int32_t)strtol(PQgetvalue(r, i, 4),
				    NULL, 10);
			}
			return PQgetvalue(r, i, 1)[0] == 't';
		}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Output */

static void
put_value(const char *name, int kind, int elem, const char *s, size_t n)
{
	buf_reset(&g.val);
	pgt_encode(&g.val, (enum pgt_kind)kind, (enum pgt_kind)elem, s, n,
	    g.encflags);
	cdc_value(&g.rec, name, g.val.p, g.val.len);
}

static const char unavailable[] = "\"__debezium_unavailable_value\"";

/* One row image from a tuple; key_only writes only the key columns
 * (the old key of REPLICA IDENTITY DEFAULT); old supplies unchanged
 * TOASTed values when it holds them. */
static void
put_tuple(enum cdc_which which, const struct pgo_relation *rel,
    const struct pgo_tuple *t, int key_only, const struct pgo_tuple *old)
{
	cdc_row_begin(&g.rec, which);
	for (int i = 0; i < t->ncols; i++) {
		const struct pgo_relcol *c = &rel->cols[i];
		const struct pgo_col *v = &t->cols[i];

		if (key_only && !c->key) {
			if (o.compat)
				cdc_value_null(&g.rec, c->name);
			continue;
		}
		if (v->kind == 'u' && old && i < old->ncols &&
		    old->cols[i].kind == 't')
			v = &old->cols[i];
		switch (v->kind) {
		case 'n':
			cdc_value_null(&g.rec, c->name);
			break;
		case 'u':
			/* unchanged TOASTed value, not sent: never invented */
			if (o.compat)
				cdc_value(&g.rec, c->name, unavailable,
				    sizeof unavailable - 1);
			break;
		case 't':
			put_value(c->name, c->kind, c->elemkind, v->data, v->len);
			break;
		default:	/* binary: not requested */
			cdc_value_strn(&g.rec, c->name, v->data, v->len);
			break;
		}
	}
	cdc_row_end(&g.rec);
}

/*
 * The record's place in the stream, as Debezium's sequence: a string of a
 * JSON array ["COMMIT","LSN"], the LSN of the commit record of the
 * change's transaction and the change's own LSN (for a snapshot record,
 * [null,"POINT"], the consistent point), with row, the record's ordinal in
 * its transaction or in the snapshot: (commit, lsn, row) orders records
 * as they are written, whatever the order of the changes' LSNs.
 */
static void
put_sequence(int snap, uint64_t lsn)
{
	char seq[64];

	if (snap)
		snprintf(seq, sizeof seq, "[null,\"%" PRIu64 "\"]", lsn);
	else
		snprintf(seq, sizeof seq, "[\"%" PRIu64 "\",\"%" PRIu64 "\"]",
		    g.final_lsn, lsn);
	cdc_value_str(&g.rec, "sequence", seq);
}

static void
put_source(const char *nsp, const char *rel, uint64_t lsn, int have_xid,
    uint32_t xid, const char *snapshot, long long ts_ms,
    unsigned long long row)
{
	int snap = !have_xid;

	cdc_source_begin(&g.rec);
	if (o.compat) {
		cdc_value_str(&g.rec, "version", "telco-pipes-" TP_VERSION);
		cdc_value_str(&g.rec, "connector", "postgresql");
		cdc_value_str(&g.rec, "name", o.name);
		cdc_value_int(&g.rec, "ts_ms", ts_ms);
		cdc_value_str(&g.rec, "snapshot", snapshot);
		cdc_value_str(&g.rec, "db", g.db);
		put_sequence(snap, lsn);
		cdc_value_str(&g.rec, "schema", nsp);
		cdc_value_str(&g.rec, "table", rel);
		if (have_xid)
			cdc_value_uint(&g.rec, "txId", xid);
		else
			cdc_value_null(&g.rec, "txId");
		cdc_value_uint(&g.rec, "lsn", lsn);
		cdc_value_null(&g.rec, "xmin");
		cdc_value_uint(&g.rec, "row", row);
	} else {
		cdc_value_str(&g.rec, "connector", "postgresql");
		cdc_value_str(&g.rec, "name", o.name);
		cdc_value_str(&g.rec, "db", g.db);
		cdc_value_str(&g.rec, "schema", nsp);
		cdc_value_str(&g.rec, "table", rel);
		cdc_value_uint(&g.rec, "lsn", lsn);
		if (have_xid)
			cdc_value_uint(&g.rec, "txId", xid);
		else
			cdc_value_null(&g.rec, "txId");
		cdc_value_str(&g.rec, "snapshot", snapshot);
		cdc_value_int(&g.rec, "ts_ms", ts_ms);
		put_sequence(snap, lsn);
		cdc_value_uint(&g.rec, "row", row);
	}
	cdc_source_end(&g.rec);
}

static void
out_write(const struct buf *b)
{
	if (fwrite(b->p, 1, b->len, stdout) != b->len)
		out_check(stdout);
	g.dirty = 1;
	if (o.unbuffered && fflush(stdout) == EOF)
		out_check(stdout);
}

/* Flush stdout; what was committed before is then written. */
static void
out_flush(void)
{
	if (g.dirty && fflush(stdout) == EOF)
		out_check(stdout);
	g.dirty = 0;
	if (!o.ackfrom && g.written_end > g.flushed)
		g.flushed = g.written_end;
}

static void
txn_id(char *id, size_t n)
{
	snprintf(id, n, "%" PRIu32 ":%" PRIu64, g.xid, g.final_lsn);
}

static const struct relinfo *
relinfo_of(const struct pgo_relation *rel)
{
	return rel->user;
}

/* Finish and write a record; schema: it carries the relation's schema
 * (with --schemas), which a truncate's unwrapped form, a row without its
 * columns, would not fit. */
static void
end_record(const struct pgo_relation *rel, int schema)
{
	if (o.txmeta && !o.unwrap) {
		char id[64];

		txn_id(id, sizeof id);
		/* data_collection_order counted per transaction, not per table */
		cdc_transaction(&g.rec, id, g.txn_events, g.txn_events);
	}
	if (o.schemas && schema)
		cdc_schema(&g.rec, relinfo_of(rel)->schema,
		    relinfo_of(rel)->schema_len);
	cdc_end(&g.rec, now_ms(), g.commit_ms);
	out_write(&g.rec.out);
	g.changes++;
}

static void
txn_marker(const char *status)
{
	struct buf b;
	char id[64];

	if (!o.txmeta)
		return;
	buf_init(&b);
	txn_id(id, sizeof id);
	buf_printf(&b, "{\"status\":\"%s\",\"id\":\"%s\",", status, id);
	if (status[0] == 'B')
		buf_puts(&b, "\"event_count\":null,");
	else
		buf_printf(&b, "\"event_count\":%llu,", g.txn_events);
	buf_printf(&b, "\"ts_ms\":%lld}\n", g.commit_ms);
	out_write(&b);
	buf_free(&b);
}

/* ------------------------------------------------------------------ */
/* Acknowledgement */

static void
fl_push(uint32_t xid, uint64_t last_lsn, uint64_t end_lsn, long long ts)
{
	if (g.fl_n == g.fl_cap) {
		g.fl_cap = g.fl_cap ? g.fl_cap * 2 : 64;
		g.fl = xrealloc(g.fl, g.fl_cap * sizeof *g.fl);
	}
	g.fl[g.fl_n].xid = xid;
	g.fl[g.fl_n].last_lsn = last_lsn;
	g.fl[g.fl_n].last_row = g.txn_events ? g.txn_events - 1 : 0;
	g.fl[g.fl_n].end_lsn = end_lsn;
	g.fl[g.fl_n].ts_ms = ts;
	g.fl_n++;
}

/* Confirm the first n transactions in flight, and those after them that
 * wrote no record. */
static void
fl_confirm(size_t n)
{
	while (n < g.fl_n && g.fl[n].last_lsn == 0)
		n++;
	if (n == 0)
		return;
	if (g.fl[n - 1].end_lsn > g.flushed)
		g.flushed = g.fl[n - 1].end_lsn;
	memmove(g.fl, g.fl + n, (g.fl_n - n) * sizeof *g.fl);
	g.fl_n -= n;
}

/* The checkpoint's position for our stream: the last durable record. */
static void
ack_apply(void)
{
	size_t i;

	for (i = 0; i < g.fl_n; i++)
		if (g.fl[i].xid == g.ack_xid && g.fl[i].last_lsn != 0)
			break;
	if (i == g.fl_n)
		return;
	/* records of one WAL record share an lsn: then the row tells */
	fl_confirm(g.ack_lsn > g.fl[i].last_lsn ||
	    (g.ack_lsn == g.fl[i].last_lsn && (g.ack_row < 0 ||
	    (unsigned long long)g.ack_row >= g.fl[i].last_row)) ? i + 1 : i);
}

static void
ack_poll(void)
{
	struct stat sb;
	struct ckpt c;
	char err[512], *stream;
	json_t *pos;

	if (stat(o.ackfrom, &sb) != 0)
		return;
	if (sb.st_ino == g.ack_ino && sb.st_size == g.ack_size &&
	    sb.st_mtim.tv_sec == g.ack_mtime.tv_sec &&
	    sb.st_mtim.tv_nsec == g.ack_mtime.tv_nsec) {
		/* the same position may cover transactions received since */
		ack_apply();
		return;
	}
	g.ack_ino = sb.st_ino;
	g.ack_size = sb.st_size;
	g.ack_mtime = sb.st_mtim;
	if (ckpt_open(&c, o.ackfrom, "pgcdc2jsonl", err, sizeof err) != 0) {
		weprintf("--ack-from: %s", err);
		return;
	}
	stream = xasprintf("postgresql:%s:%s", o.name, g.db);
	pos = ckpt_get(&c, stream);
	if (pos && json_is_integer(json_object_get(pos, "lsn")) &&
	    json_is_integer(json_object_get(pos, "txId"))) {
		g.ack_lsn = (uint64_t)json_integer_value(json_object_get(pos, "lsn"));
		g.ack_xid = (uint32_t)json_integer_value(json_object_get(pos, "txId"));
		g.ack_row = json_is_integer(json_object_get(pos, "row")) ?
		    json_integer_value(json_object_get(pos, "row")) : -1;
		ack_apply();
	}
	free(stream);
	ckpt_close(&c);
}

/* ------------------------------------------------------------------ */
/* Statistics */

static void
stats_out(int to_stderr)
{
	long long lag_ms = 0, now = now_ms();
	struct metric m[] = {
		{ "changes_out", "change records written", STAT_COUNTER, 0 },
		{ "snapshot_rows", "rows read by the snapshot", STAT_COUNTER, 0 },
		{ "transactions", "transactions received", STAT_COUNTER, 0 },
		{ "messages_in", "pgoutput messages received", STAT_COUNTER, 0 },
		{ "bytes_in", "bytes of pgoutput messages", STAT_COUNTER, 0 },
		{ "reconnects", "reconnections", STAT_COUNTER, 0 },
		{ "received_lsn", "last WAL position received", STAT_GAUGE, 0 },
		{ "confirmed_lsn", "flush position confirmed to the server", STAT_GAUGE, 0 },
		{ "slot_lag_bytes", "server WAL end minus the confirmed position", STAT_GAUGE, 0 },
		{ "slot_lag_seconds", "age of the oldest unconfirmed commit", STAT_GAUGE, 0 },
	};
	int n = (int)(sizeof m / sizeof *m);

	if (g.fl_n > 0)
		lag_ms = now - g.fl[0].ts_ms;
	else if (g.in_txn)
		lag_ms = now - g.commit_ms;
	m[0].value = (double)g.changes;
	m[1].value = (double)g.snaprows;
	m[2].value = (double)g.txns;
	m[3].value = (double)g.msgs;
	m[4].value = (double)g.bytes;
	m[5].value = (double)g.reconnects;
	m[6].value = (double)g.received;
	m[7].value = (double)g.flushed;
	m[8].value = g.wal_end > g.flushed ? (double)(g.wal_end - g.flushed) : 0;
	m[9].value = lag_ms > 0 ? lag_ms / 1000.0 : 0;
	if (to_stderr)
		stats_print("pgcdc2jsonl", m, n);
	if (o.statsfile && stats_write_prom(o.statsfile, "pgcdc2jsonl", m, n) != 0)
		weprintf("%s:", o.statsfile);
}

/* ------------------------------------------------------------------ */
/* Slot, publication, snapshot */

static int
slot_state(const char *slot, char *wal_status, size_t n)
{
	char *l = lit(g.repl, slot), *q;
	PGresult *r;
	int found;

	q = xasprintf("select coalesce(wal_status, ''), plugin, database "
	    "from pg_replication_slots where slot_name = %s", l);
	r = sql(g.repl, EX_UNAVAILABLE, "slot", q);
	found = PQntuples(r) == 1;
	if (found) {
		snprintf(wal_status, n, "%s", PQgetvalue(r, 0, 0));
		if (strcmp(PQgetvalue(r, 0, 1), "pgoutput") != 0)
			die(EX_CONFIG, "slot %s: uses plugin %s, not pgoutput",
			    slot, PQgetvalue(r, 0, 1));
		if (strcmp(PQgetvalue(r, 0, 2), g.db) != 0)
			die(EX_CONFIG, "slot %s: belongs to database %s, not %s",
			    slot, PQgetvalue(r, 0, 2), g.db);
	}
	PQclear(r);
	free(q);
	free(l);
	return found;
}

static int
publication_exists(void)
{
	char *l = lit(g.repl, o.publication), *q;
	PGresult *r;
	int found;

	q = xasprintf("select 1 from pg_publication where pubname = %s", l);
	r = sql(g.repl, EX_UNAVAILABLE, "publication", q);
	found = PQntuples(r) == 1;
	PQclear(r);
	free(q);
	free(l);
	return found;
}

static void
create_publication(void)
{
	PGconn *c = side();
	struct buf q;
	char *id = ident(c, o.publication);

	buf_init(&q);
	buf_printf(&q, "create publication %s ", id);
	if (o.ntables == 0) {
		buf_puts(&q, "for all tables");
	} else {
		/* the patterns, against the tables that exist now */
		struct buf w;
		PGresult *r;

		buf_init(&w);
		buf_puts(&w, "select quote_ident(n.nspname) || '.' || "
		    "quote_ident(c.relname) from pg_class c join pg_namespace n "
		    "on n.oid = c.relnamespace where c.relkind in ('r','p') "
		    "and n.nspname not in ('pg_catalog','information_schema') "
		    "and (false");
		for (int i = 0; i < o.ntables; i++) {
			char *l = lit(c, o.tables[i]);
			/* glob to LIKE: _ and % literal, * any, ? one */
			buf_printf(&w, " or n.nspname || '.' || c.relname like "
			    "replace(replace(replace(replace(%s, '_', '\\_'), "
			    "'%%', '\\%%'), '*', '%%'), '?', '_')", l);
			free(l);
		}
		buf_puts(&w, ") order by 1");
		r = sql(c, EX_CONFIG, "publication", buf_cstr(&w));
		if (PQntuples(r) == 0)
			die(EX_CONFIG, "publication %s: no table matches --tables",
			    o.publication);
		buf_puts(&q, "for table ");
		for (int i = 0; i < PQntuples(r); i++)
			buf_printf(&q, "%s%s", i ? ", " : "", PQgetvalue(r, i, 0));
		PQclear(r);
		buf_free(&w);
	}
	PQclear(sql(c, EX_CONFIG, "create publication", buf_cstr(&q)));
	weprintf("created publication %s in %s", o.publication, g.db);
	buf_free(&q);
	free(id);
}

/*
 * The snapshot's schema of nsp.rel, whose first rows are r: the columns'
 * types and modifiers (pg_attribute's: a result gives a domain's base
 * type), NOT NULL and the replica identity from the catalog, in the
 * snapshot: what a Relation message would say of the same table, so that
 * both phases write the same text.
 */
static void
snapshot_schema(struct buf *out, const char *nsp, const char *rel,
    const PGresult *r)
{
	int n = PQnfields(r);
	struct colspec *c = xcalloc((size_t)n + 1, sizeof *c);
	PGresult *cat = col_catalog(n > 0 ? PQftable(r, 0) : 0);

	for (int i = 0; i < n; i++) {
		int key = 0;

		c[i].name = PQfname(r, i);
		c[i].typid = PQftype(r, i);
		c[i].typmod = PQfmod(r, i);
		c[i].required = cat_notnull(cat, c[i].name, &c[i], &key) && key;
	}
	PQclear(cat);
	table_schema(out, nsp, rel, c, n);
	free(c);
}

/* Read the tables of the publication in the exported snapshot, op r. */
static void
snapshot(const char *snapname, uint64_t lsn)
{
	PGconn *c = side();
	PGresult *tabs, *r;
	char *l, *q;
	struct buf pending;
	int have_pending = 0;

	buf_init(&pending);
	PQclear(sql(c, EX_UNAVAILABLE, "snapshot",
	    "begin isolation level repeatable read read only"));
	l = lit(c, snapname);
	q = xasprintf("set transaction snapshot %s", l);
	PQclear(sql(c, EX_UNAVAILABLE, "snapshot", q));
	free(q);
	free(l);
	l = lit(c, o.publication);
	q = xasprintf("select schemaname, tablename from pg_publication_tables "
	    "where pubname = %s order by 1, 2", l);
	tabs = sql(c, EX_UNAVAILABLE, "snapshot", q);
	free(q);
	free(l);
	for (int t = 0; t < PQntuples(tabs) && !stop; t++) {
		const char *nsp = PQgetvalue(tabs, t, 0);
		const char *rel = PQgetvalue(tabs, t, 1);
		char *in = ident(c, nsp), *ir = ident(c, rel);
		int ncols, *kind = NULL, *elem = NULL;
		long long ts = now_ms();
		struct buf schema;

		if (!table_wanted(nsp, rel)) {
			free(in);
			free(ir);
			continue;
		}
		buf_init(&schema);
		q = xasprintf("declare pgcdc_snap no scroll cursor for "
		    "select * from %s.%s", in, ir);
		PQclear(sql(c, EX_UNAVAILABLE, "snapshot", q));
		free(q);
		for (;;) {
			int nrows;

			r = sql(c, EX_UNAVAILABLE, "snapshot",
			    "fetch 10000 from pgcdc_snap");
			nrows = PQntuples(r);
			if (nrows == 0) {
				PQclear(r);
				break;
			}
			if (kind == NULL) {
				ncols = PQnfields(r);
				kind = xcalloc((size_t)ncols + 1, sizeof *kind);
				elem = xcalloc((size_t)ncols + 1, sizeof *elem);
				for (int i = 0; i < ncols; i++)
					resolve_type(PQftype(r, i), &kind[i],
					    &elem[i], NULL);
				if (o.schemas)
					snapshot_schema(&schema, nsp, rel, r);
			}
			for (int i = 0; i < nrows; i++) {
				cdc_begin(&g.rec, 'r');
				cdc_row_begin(&g.rec, CDC_AFTER);
				for (int j = 0; j < ncols; j++) {
					if (PQgetisnull(r, i, j))
						cdc_value_null(&g.rec, PQfname(r, j));
					else
						put_value(PQfname(r, j), kind[j],
						    elem[j], PQgetvalue(r, i, j),
						    (size_t)PQgetlength(r, i, j));
				}
				cdc_row_end(&g.rec);
				put_source(nsp, rel, lsn, 0, 0, "true", ts, g.snaprows);
				if (o.schemas)
					cdc_schema(&g.rec, schema.p, schema.len);
				cdc_end(&g.rec, now_ms(), ts);
				if (have_pending)
					out_write(&pending);
				buf_reset(&pending);
				buf_add(&pending, g.rec.out.p, g.rec.out.len);
				have_pending = 1;
				g.snaprows++;
			}
			PQclear(r);
			if (want_stats) {
				want_stats = 0;
				stats_out(1);
			}
		}
		PQclear(sql(c, EX_UNAVAILABLE, "snapshot", "close pgcdc_snap"));
		free(kind);
		free(elem);
		free(in);
		free(ir);
		buf_free(&schema);
	}
	PQclear(tabs);
	PQclear(sql(c, EX_UNAVAILABLE, "snapshot", "commit"));
	if (stop)
		die(EX_TEMPFAIL, "snapshot: interrupted");
	if (have_pending) {
		/* the last snapshot record says so, as Debezium's does */
		const char *key = "\"snapshot\":\"true\"";
		char *p = NULL, *s = pending.p;
		size_t kl = strlen(key);

		for (size_t i = 0; i + kl <= pending.len; i++)
			if (memcmp(s + i, key, kl) == 0)
				p = s + i;
		if (p)
			memcpy(p + kl - 5, "last", 4);
		out_write(&pending);
	}
	buf_free(&pending);
	out_flush();
	weprintf("snapshot: %llu rows", g.snaprows);
}

/* Create the slot with an exported snapshot; returns its consistent point
 * and writes the snapshot's name. */
static uint64_t
create_slot(int temporary, int export, char *snapname, size_t n)
{
	char *id = ident(g.repl, o.slot), *q;
	PGresult *r;
	uint64_t lsn;

	q = xasprintf("CREATE_REPLICATION_SLOT %s %sLOGICAL pgoutput %s", id,
	    temporary ? "TEMPORARY " : "",
	    export ? "EXPORT_SNAPSHOT" : "NOEXPORT_SNAPSHOT");
	r = sql(g.repl, EX_UNAVAILABLE, "create slot", q);
	lsn = parse_lsn(PQgetvalue(r, 0, 1));
	snprintf(snapname, n, "%s", PQgetisnull(r, 0, 2) ? "" :
	    PQgetvalue(r, 0, 2));
	PQclear(r);
	free(q);
	free(id);
	if (!temporary)
		weprintf("created slot %s in %s at %X/%X", o.slot, g.db,
		    (unsigned)(lsn >> 32), (unsigned)lsn);
	return lsn;
}

/*
 * With --ack-from: whether downstream made durable part of a snapshot
 * and not its end (a position of a snapshot record other than the last).
 * A run killed during the snapshot leaves a slot whose exported snapshot
 * is gone, and downstream without some of its rows: that slot cannot
 * give them again, so the caller takes a new one. No position at all
 * says nothing (a slot made without a snapshot has none either).
 */
static int
snapshot_cut_downstream(void)
{
	struct ckpt c;
	char err[512], *stream;
	json_t *pos;
	int cut = 0;

	if (ckpt_open(&c, o.ackfrom, "pgcdc2jsonl", err, sizeof err) != 0)
		die(EX_CONFIG, "--ack-from: %s", err);
	stream = xasprintf("postgresql:%s:%s", o.name, g.db);
	if ((pos = ckpt_get(&c, stream)) != NULL) {
		const char *s = json_string_value(json_object_get(pos, "snapshot"));
		cut = s != NULL && strcmp(s, "true") == 0;
	}
	free(stream);
	ckpt_close(&c);
	return cut;
}

static void
drop_slot(void)
{
	PGconn *c = side();
	char *l = lit(c, o.slot), *q;

	q = xasprintf("select pg_drop_replication_slot(slot_name) from "
	    "pg_replication_slots where slot_name = %s", l);
	PQclear(sql(c, EX_UNAVAILABLE, "drop slot", q));
	free(q);
	free(l);
}

static void
drop_all(void)
{
	PGconn *c = side();
	char *l = lit(c, o.slot), *id = ident(c, o.publication), *q;
	PGresult *r;

	q = xasprintf("select pg_drop_replication_slot(slot_name) from "
	    "pg_replication_slots where slot_name = %s", l);
	r = sql(c, EX_UNAVAILABLE, "drop slot", q);
	weprintf(PQntuples(r) ? "dropped slot %s" : "no slot %s", o.slot);
	PQclear(r);
	free(q);
	q = xasprintf("drop publication if exists %s", id);
	PQclear(sql(c, EX_UNAVAILABLE, "drop publication", q));
	weprintf("dropped publication %s", o.publication);
	free(q);
	free(l);
	free(id);
}

/* ------------------------------------------------------------------ */
/* Streaming */

static int
send_status(int reply)
{
	unsigned char m[1 + 8 * 4 + 1];
	int64_t now_us = (now_ms() - 946684800000LL) * 1000;

	m[0] = 'r';
	pgo_put64(m + 1, g.received > g.flushed ? g.received : g.flushed);
	pgo_put64(m + 9, g.flushed);
	pgo_put64(m + 17, g.flushed);
	pgo_put64(m + 25, (uint64_t)now_us);
	m[33] = (unsigned char)reply;
	if (PQputCopyData(g.repl, (const char *)m, sizeof m) <= 0 ||
	    PQflush(g.repl) < 0)
		return -1;
	g.last_status = mono_ms();
	return 0;
}

static struct relinfo *
relinfo(struct pgo_relation *rel)
{
	return rel->user;
}

static void
on_relation(void)
{
	struct pgo_relation *rel = pgo_relation_put(&g.rels, &g.msg);
	struct relinfo *ri;
	int wanted = table_wanted(rel->nspname, rel->relname);

	for (int i = 0; i < rel->ncols; i++)
		resolve_type(rel->cols[i].typid, &rel->cols[i].kind,
		    &rel->cols[i].elemkind, NULL);
	if (o.schemas && wanted) {
		/* made once per Relation message: again after DDL */
		struct colspec *c = xcalloc((size_t)rel->ncols + 1, sizeof *c);
		PGresult *cat = col_catalog(rel->oid);
		struct buf text;

		for (int i = 0; i < rel->ncols; i++) {
			c[i].name = rel->cols[i].name;
			c[i].typid = rel->cols[i].typid;
			c[i].typmod = rel->cols[i].typmod;
			c[i].required = rel->cols[i].key &&
			    cat_notnull(cat, c[i].name, NULL, NULL);
		}
		PQclear(cat);
		buf_init(&text);
		table_schema(&text, rel->nspname, rel->relname, c, rel->ncols);
		ri = xcalloc(1, sizeof *ri + text.len + 1);
		ri->schema = (char *)(ri + 1);
		memcpy(ri->schema, text.p, text.len);
		ri->schema_len = text.len;
		buf_free(&text);
		free(c);
	} else
		ri = xcalloc(1, sizeof *ri);
	ri->wanted = wanted;
	rel->user = ri;
}

static struct pgo_relation *
relation_of(uint32_t relid)
{
	struct pgo_relation *rel = pgo_relation_get(&g.rels, relid);

	if (rel == NULL)
		die(EX_DATAERR, "stream: change for relation %u before its "
		    "Relation message", relid);
	return rel;
}

static void
check_cols(const struct pgo_relation *rel, const struct pgo_tuple *t)
{
	if (t->ncols != rel->ncols)
		die(EX_DATAERR, "stream: %s.%s: tuple of %d columns, relation "
		    "of %d", rel->nspname, rel->relname, t->ncols, rel->ncols);
}

/* A record of the cut transaction that was written before the
 * connection was lost: counted, not written again. */
static int
written_before(uint64_t lsn)
{
	if (!g.resuming || g.txn_events >= g.resume_events)
		return 0;
	g.txn_events++;
	g.last_lsn = lsn;
	return 1;
}

static void
on_change(uint64_t lsn)
{
	struct pgo_msg *m = &g.msg;
	struct pgo_relation *rel = relation_of(m->relid);
	char op = m->kind == PGO_INSERT ? 'c' : m->kind == PGO_UPDATE ? 'u' : 'd';
	int have_old = m->old_kind != 0;

	if (!relinfo(rel)->wanted)
		return;
	if (have_old)
		check_cols(rel, &m->oldtup);
	if (op != 'd')
		check_cols(rel, &m->newtup);
	if (written_before(lsn))
		return;
	cdc_begin(&g.rec, op);
	if (have_old)
		put_tuple(CDC_BEFORE, rel, &m->oldtup, m->old_kind == 'K', NULL);
	if (op != 'd')
		put_tuple(CDC_AFTER, rel, &m->newtup, 0,
		    m->old_kind == 'O' ? &m->oldtup : NULL);
	put_source(rel->nspname, rel->relname, lsn, 1, g.xid, "false",
	    g.commit_ms, g.txn_events++);
	end_record(rel, 1);
	g.last_lsn = lsn;
}

static void
on_truncate(uint64_t lsn)
{
	for (int i = 0; i < g.msg.nrels; i++) {
		struct pgo_relation *rel = relation_of(pgo_truncate_relid(&g.msg, i));

		if (!relinfo(rel)->wanted || written_before(lsn))
			continue;
		cdc_begin(&g.rec, 't');
		put_source(rel->nspname, rel->relname, lsn, 1, g.xid, "false",
		    g.commit_ms, g.txn_events++);
		end_record(rel, !o.unwrap);
		g.last_lsn = lsn;
	}
}

/* One XLogData payload. */
static void
on_message(const unsigned char *p, size_t len, uint64_t lsn)
{
	char err[256];

	g.msgs++;
	g.bytes += len;
	if (pgo_decode(&g.msg, p, len, &g.st, err, sizeof err) != 0)
		die(EX_DATAERR, "stream: at %X/%X: %s", (unsigned)(lsn >> 32),
		    (unsigned)lsn, err);
	switch (g.msg.kind) {
	case PGO_BEGIN:
		g.in_txn = 1;
		g.xid = g.msg.xid;
		g.final_lsn = g.msg.lsn;
		g.commit_ms = pgo_ts_ms(g.msg.ts);
		g.last_lsn = 0;
		g.txn_events = 0;
		g.resuming = g.resume_final != 0 && g.final_lsn == g.resume_final;
		if (!g.resuming)
			txn_marker("BEGIN");
		break;
	case PGO_COMMIT:
		txn_marker("END");
		g.in_txn = 0;
		g.resuming = 0;
		g.resume_final = 0;
		g.txns++;
		g.written_end = g.msg.end_lsn;
		if (o.ackfrom)
			fl_push(g.xid, g.last_lsn, g.msg.end_lsn, g.commit_ms);
		if (o.ackfrom && g.fl_n == 1 && g.last_lsn == 0)
			fl_confirm(0);
		break;
	case PGO_RELATION:
		on_relation();
		break;
	case PGO_INSERT:
	case PGO_UPDATE:
	case PGO_DELETE:
		on_change(lsn);
		break;
	case PGO_TRUNCATE:
		on_truncate(lsn);
		break;
	default:	/* Type (resolved through the catalog), Origin, Message */
		break;
	}
}

/* Nothing received is waiting to be confirmed. */
static int
idle(void)
{
	return !g.in_txn && g.fl_n == 0 && !g.dirty;
}

static void
on_keepalive(uint64_t wal_end, int reply)
{
	if (wal_end > g.wal_end)
		g.wal_end = wal_end;
	out_flush();
	/* an idle slot follows the server, so that it holds no WAL */
	if (idle() && wal_end > g.flushed &&
	    (!o.ackfrom || g.written_end <= g.flushed))
		g.flushed = wal_end;
	if (wal_end > g.received && !g.in_txn)
		g.received = wal_end;
	if (reply)
		send_status(0);
}

/* How streaming ended: 0 to reconnect. */
static int
stream_error(void)
{
	PGresult *r;
	const char *state;

	if (PQstatus(g.repl) == CONNECTION_BAD) {
		char *m = xstrdup(PQerrorMessage(g.repl));

		trimnl(m);
		weprintf("stream: %s", m);
		free(m);
		return 0;
	}
	while ((r = PQgetResult(g.repl)) != NULL) {
		if (PQresultStatus(r) == PGRES_FATAL_ERROR) {
			char *m = xstrdup(PQresultErrorMessage(r));

			trimnl(m);
			state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
			if (state && strcmp(state, "42704") == 0)
				die(EX_CONFIG, "stream: %s (create it with "
				    "--create or CREATE PUBLICATION)", m);
			if (state && strcmp(state, "55000") == 0)
				die(EX_UNAVAILABLE, "stream: %s (drop the slot with "
				    "--drop and start again with --create: a new "
				    "snapshot)", m);
			if (state && strncmp(state, "57P", 3) != 0 &&
			    strncmp(state, "08", 2) != 0)
				die(EX_UNAVAILABLE, "stream: %s", m);
			weprintf("stream: %s", m);
			free(m);
		}
		PQclear(r);
	}
	return 0;
}

/*
 * End the copy and wait for the server's end of it: the server has then
 * read the last status update (closing at once may make it fail on a send
 * before it reads it). What arrives meanwhile is not written: it comes
 * again next time.
 */
static void
end_copy(void)
{
	long long deadline = mono_ms() + 5000;
	PGresult *r;
	char *data;
	int n;

	if (PQputCopyEnd(g.repl, NULL) <= 0 || PQflush(g.repl) < 0)
		return;
	while ((n = PQgetCopyData(g.repl, &data, 1)) >= 0) {
		if (n > 0) {
			PQfreemem(data);
			continue;
		}
		struct pollfd pfd = { PQsocket(g.repl), POLLIN, 0 };
		if (mono_ms() >= deadline || poll(&pfd, 1, 100) < 0 ||
		    PQconsumeInput(g.repl) == 0)
			return;
	}
	while ((r = PQgetResult(g.repl)) != NULL)
		PQclear(r);
}

/* Stream from the slot until stopped, the end (-e) or a lost connection.
 * Returns 1 when done, 0 to reconnect. */
static int
stream(uint64_t start)
{
	char *id = ident(g.repl, o.slot), *pub = ident(g.repl, o.publication);
	char *l = lit(g.repl, pub), *q;
	PGresult *r;

	/* publication_names is a string holding a list of identifiers */
	q = xasprintf("START_REPLICATION SLOT %s LOGICAL %X/%X "
	    "(proto_version '1', publication_names %s)", id,
	    (unsigned)(start >> 32), (unsigned)start, l);
	free(l);
	r = PQexec(g.repl, q);
	free(q);
	free(id);
	free(pub);
	if (PQresultStatus(r) != PGRES_COPY_BOTH) {
		char *m = xstrdup(PQerrorMessage(g.repl));
		const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

		trimnl(m);
		if (state && strcmp(state, "55000") == 0)
			die(EX_UNAVAILABLE, "start replication: %s (drop the "
			    "slot with --drop and start again with --create: "
			    "a new snapshot)", m);
		if (state && (strcmp(state, "42704") == 0 ||
		    strcmp(state, "42P01") == 0))
			die(EX_CONFIG, "start replication: %s", m);
		if (PQstatus(g.repl) == CONNECTION_OK)
			die(EX_UNAVAILABLE, "start replication: %s", m);
		weprintf("start replication: %s", m);
		free(m);
		PQclear(r);
		return 0;
	}
	PQclear(r);
	g.in_txn = 0;
	g.st.in_stream = 0;
	for (;;) {
		char *data;
		int n;
		long long now = mono_ms();

		if (want_stats) {
			want_stats = 0;
			stats_out(1);
		}
		if (o.stats_ms > 0 && stats_due(&g.last_stats, o.stats_ms))
			stats_out(1);
		if (o.ackfrom && now - g.last_ack_poll >= 200) {
			g.last_ack_poll = now;
			ack_poll();
		}
		if (o.heartbeat_ms > 0 && now - g.last_heartbeat >= o.heartbeat_ms) {
			g.last_heartbeat = now;
			PQclear(PQexec(side(), "select pg_logical_emit_message("
			    "false, 'pgcdc2jsonl', 'heartbeat')"));
		}
		if (stop || (o.exit_at_end && !g.in_txn &&
		    (g.written_end >= g.end_at || g.wal_end >= g.end_at))) {
			out_flush();
			if (o.ackfrom)
				ack_poll();
			send_status(0);
			end_copy();
			return 1;
		}
		if (now - g.last_status >= o.status_ms ||
		    (o.exit_at_end && now - g.last_status >= 200)) {
			out_flush();
			if (send_status(1) != 0)
				return stream_error();
		}
		n = PQgetCopyData(g.repl, &data, 1);
		if (n == 0) {
			struct pollfd pfd = { PQsocket(g.repl), POLLIN, 0 };

			out_flush();
			if (!g.in_txn && o.exit_at_end && g.written_end >= g.end_at)
				continue;
			if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
				die(EX_OSERR, "poll:");
			if (PQconsumeInput(g.repl) == 0)
				return stream_error();
			continue;
		}
		if (n < 0)
			return stream_error();
		if (data[0] == 'w' && n >= 25) {
			uint64_t lsn = pgo_get64((unsigned char *)data + 1);

			if (lsn > g.received)
				g.received = lsn;
			on_message((unsigned char *)data + 25, (size_t)n - 25, lsn);
		} else if (data[0] == 'k' && n >= 18) {
			on_keepalive(pgo_get64((unsigned char *)data + 1),
			    data[17]);
		} else {
			die(EX_DATAERR, "stream: unknown message 0x%02x",
			    (unsigned char)data[0]);
		}
		PQfreemem(data);
	}
}

static void
open_repl(void)
{
	PGresult *r;

	g.repl = connect_retry(1);
	r = sql(g.repl, EX_UNAVAILABLE, "connect", "select current_database(), "
	    "pg_current_wal_lsn(), current_setting('server_version_num')");
	free(g.db);
	g.db = xstrdup(PQgetvalue(r, 0, 0));
	if (g.end_at == 0)
		g.end_at = parse_lsn(PQgetvalue(r, 0, 1));
	g.pgversion = atoi(PQgetvalue(r, 0, 2));
	PQclear(r);
	if (o.name == NULL)
		o.name = xstrdup(g.db);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ack-from", required_argument, NULL, 'A' },
		{ "compat", required_argument, NULL, 'C' },
		{ "create", no_argument, NULL, 'c' },
		{ "dbname", required_argument, NULL, 'd' },
		{ "drop", no_argument, NULL, 'D' },
		{ "exit", no_argument, NULL, 'e' },
		{ "heartbeat", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ "name", required_argument, NULL, 'N' },
		{ "publication", required_argument, NULL, 'p' },
		{ "retry", required_argument, NULL, 'R' },
		{ "schemas", no_argument, NULL, 'M' },
		{ "slot", required_argument, NULL, 's' },
		{ "snapshot", required_argument, NULL, 'S' },
		{ "stats", required_argument, NULL, 'i' },
		{ "stats-file", required_argument, NULL, 'F' },
		{ "status-interval", required_argument, NULL, 'I' },
		{ "tables", required_argument, NULL, 't' },
		{ "transactions", no_argument, NULL, 'T' },
		{ "unbuffered", no_argument, NULL, 'u' },
		{ "unwrap", no_argument, NULL, 'w' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa;
	char walst[32], snapname[128];
	int ch, done = 0, snap = 0, created = 0;
	uint64_t start = 0;
	static char outbuf[1 << 16];

	setprogname(argv[0]);
	while ((ch = getopt_long(argc, argv, "d:ehp:s:t:Tuw", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'A': o.ackfrom = optarg; break;
		case 'C':
			if (strcmp(optarg, "debezium") == 0)
				o.compat = 1;
			else if (strcmp(optarg, "none") != 0) {
				weprintf("--compat: debezium or none, not %s",
				    optarg);
				usage();
			}
			break;
		case 'c': o.create = 1; break;
		case 'd': o.conninfo = optarg; break;
		case 'D': o.drop = 1; break;
		case 'e': o.exit_at_end = 1; break;
		case 'F': o.statsfile = optarg; break;
		case 'H': o.heartbeat_ms = duration_arg("--heartbeat", optarg); break;
		case 'h': help(); break;
		case 'i': o.stats_ms = duration_arg("--stats", optarg); break;
		case 'I':
			o.status_ms = duration_arg("--status-interval", optarg);
			break;
		case 'M': o.schemas = 1; break;
		case 'N': o.name = optarg; break;
		case 'p': o.publication = optarg; break;
		case 'R': o.retry_ms = duration_arg("--retry", optarg); break;
		case 's': o.slot = optarg; break;
		case 'S':
			if (strcmp(optarg, "initial") == 0)
				o.snapshot = SNAP_INITIAL;
			else if (strcmp(optarg, "never") == 0)
				o.snapshot = SNAP_NEVER;
			else if (strcmp(optarg, "when_needed") == 0)
				o.snapshot = SNAP_WHEN_NEEDED;
			else if (strcmp(optarg, "initial_only") == 0)
				o.snapshot = SNAP_ONLY;
			else {
				weprintf("--snapshot: initial, never, "
				    "when_needed or initial_only, not %s", optarg);
				usage();
			}
			break;
		case 't': split_tables(optarg); break;
		case 'T': o.txmeta = 1; break;
		case 'u': o.unbuffered = 1; break;
		case 'V': printf("pgcdc2jsonl %s\n", TP_VERSION); return 0;
		case 'w': o.unwrap = 1; break;
		default: usage();
		}
	}
	if (optind != argc) {
		weprintf("unexpected argument: %s", argv[optind]);
		usage();
	}
	if (o.slot == NULL) {
		weprintf("a slot is needed (-s)");
		usage();
	}
	if (o.publication == NULL)
		o.publication = o.slot;
	if (o.status_ms <= 0)
		o.status_ms = 10000;
	g.encflags = o.compat ? PGT_DEBEZIUM : 0;
	buf_init(&g.srcschema);
	if (o.schemas)
		source_schema();

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = onsig;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
	pipe_widen(STDOUT_FILENO);

	pgo_relcache_init(&g.rels);
	pgo_msg_init(&g.msg);
	g.st.proto = 1;
	cdc_init(&g.rec, o.unwrap);
	buf_init(&g.val);

	if (o.drop) {
		open_repl();
		drop_all();
		PQfinish(g.side);
		PQfinish(g.repl);
		return 0;
	}

	open_repl();
	if (!publication_exists()) {
		if (!o.create)
			die(EX_CONFIG, "publication %s does not exist in %s "
			    "(create it with --create, or CREATE PUBLICATION)",
			    o.publication, g.db);
		create_publication();
	}
	if (o.snapshot == SNAP_ONLY) {
		start = create_slot(1, 1, snapname, sizeof snapname);
		snapshot(snapname, start);
		PQfinish(g.side);
		PQfinish(g.repl);
		return fshut(stdout, "standard output");
	}
	int have_slot = slot_state(o.slot, walst, sizeof walst);
	if (have_slot && strcmp(walst, "lost") == 0)
		die(EX_UNAVAILABLE, "slot %s was invalidated (its WAL is "
		    "gone, max_slot_wal_keep_size): drop it with --drop "
		    "and start again with --create, which takes a new "
		    "snapshot", o.slot);
	if (have_slot && o.ackfrom && o.snapshot != SNAP_NEVER &&
	    snapshot_cut_downstream()) {
		/* as Debezium's initial mode does with an offset inside the
		 * snapshot: the snapshot again */
		weprintf("%s holds a position inside the snapshot of slot %s: "
		    "the snapshot did not complete downstream; the slot is "
		    "dropped and made again with a new snapshot (rows already "
		    "sent come again, op r)", o.ackfrom, o.slot);
		drop_slot();
		have_slot = 0;
		o.create = 1;
	}
	if (!have_slot) {
		if (!o.create)
			die(EX_CONFIG, "slot %s does not exist in %s (create it "
			    "with --create)", o.slot, g.db);
		snap = o.snapshot != SNAP_NEVER;
		start = create_slot(0, snap, snapname, sizeof snapname);
		created = 1;
	}
	if (snap) {
		/* the replication connection stays open and idle meanwhile,
		 * which keeps the exported snapshot valid until imported */
		snapshot(snapname, start);
		g.flushed = g.written_end = start;
	}
	(void)created;

	while (!done) {
		done = stream(start);
		out_flush();
		if (done)
			break;
		/*
		 * Lost: start again after the last transaction written whole
		 * (the server skips those that committed before it), and skip
		 * the records already written of one cut short. What was
		 * written is still on its way downstream (a program there that
		 * dies ends this one too), so it waits for confirmation as
		 * before; a new run starts at the slot's confirmed position.
		 */
		PQfinish(g.repl);
		g.repl = NULL;
		if (g.in_txn) {
			g.resume_final = g.final_lsn;
			g.resume_events = g.txn_events;
		}
		g.in_txn = 0;
		g.resuming = 0;
		g.reconnects++;
		start = g.written_end;
		open_repl();
		if (!slot_state(o.slot, walst, sizeof walst))
			die(EX_UNAVAILABLE, "slot %s is gone", o.slot);
	}
	if (o.stats_ms > 0 || o.statsfile)
		stats_out(o.stats_ms > 0);
	PQfinish(g.repl);
	if (g.side)
		PQfinish(g.side);
	cdc_free(&g.rec);
	buf_free(&g.val);
	pgo_msg_free(&g.msg);
	pgo_relcache_free(&g.rels);
	free(g.types);
	for (size_t i = 0; i < g.ntnames; i++)
		free(g.tnames[i].name);
	free(g.tnames);
	buf_free(&g.srcschema);
	free(g.fl);
	free(g.db);
	return fshut(stdout, "standard output");
}
