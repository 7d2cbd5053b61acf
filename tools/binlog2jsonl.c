/*
 * binlog2jsonl: MySQL / MariaDB changes as JSON lines, read from the binary
 * log as a replica does (or from binlog files), in Debezium's envelope.
 */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <errmsg.h>

#include "binlog.h"
#include "buf.h"
#include "cdcrec.h"
#include "ckpt.h"
#include "connect.h"
#include "mysqltypes.h"
#include "stats.h"
#include "util.h"

enum snapmode { SNAP_INITIAL, SNAP_NEVER, SNAP_WHEN_NEEDED, SNAP_INITIAL_ONLY };

/* Options. */
static const char *o_host, *o_user, *o_socket, *o_defaults_file,
    *o_group = "binlog2jsonl", *o_name = "mysql", *o_resume, *o_start,
    *o_start_gtid, *o_stats_file;
static unsigned o_port;
static unsigned long o_server_id;
static int o_exit_at_end, o_unwrap, o_unbuffered, o_txmeta, o_verbose,
    o_schemas;
static enum my_enc o_enc = MY_ENC_PLAIN;
static enum snapmode o_snapshot = SNAP_INITIAL;
static long long o_heartbeat_ms = 5000, o_retry_ms = 60000, o_stats_ms;
static char **o_tables, **o_exclude;
static size_t o_ntables, o_nexclude;

static volatile sig_atomic_t stop, want_stats;

/* State of the stream. */
static struct binlog bl;
static struct cdcrec rec;

static char cur_file[256];		/* file being read */
static unsigned long long next_pos;	/* position after the last event */
static int in_txn;
static char txn_file[256];
static unsigned long long txn_pos;	/* where the open transaction starts */
static unsigned long long txn_row;	/* records of it written so far */
static char txn_gtid[96];
static unsigned long long txn_total;	/* for the transaction block */
static uint32_t txn_ts, last_ts, server_id;

/* After a restart: skip records of one transaction up to a row. */
static char skip_file[256];
static unsigned long long skip_pos;
static long long skip_row = -1;

/* -e: where the server's binlog ended when we started. */
static char end_file[256];
static unsigned long long end_pos;
static int have_end;

/* Statistics. */
static unsigned long long st_events, st_bytes, st_rows, st_txns,
    st_reconnects, st_skipped_events;
static long long st_behind = 0, stats_last;

static MYSQL *meta;			/* queries; NULL when reading files */
static int is_mariadb;

static void
usage(void)
{
	fprintf(stderr,
"usage: binlog2jsonl [-e] [-h host] [-P port] [-S socket] [-u user]\n"
"                    [--defaults-file=file] [--defaults-group=group]\n"
"                    [-n name] [-t tables] [-x tables] [--snapshot=mode]\n"
"                    [--resume=checkpoint | --start=file:pos |\n"
"                     --start-gtid=set] [--compat=debezium] [--unwrap]\n"
"                    [--schemas] [--transactions] [--server-id=id]\n"
"                    [--heartbeat=time] [--retry-time=time] [--stats=time]\n"
"                    [--stats-file=file] [--unbuffered] [-v] [file ...]\n");
}

static void
help(void)
{
	printf(
"usage: binlog2jsonl [options] [file ...]\n"
"Stream MySQL / MariaDB row changes as JSON lines (Debezium's envelope).\n"
"With files, decode those binlog files instead of a server's stream.\n"
"\n"
"  -h, --host=HOST          server host (option files, then localhost)\n"
"  -P, --port=PORT          server port\n"
"  -S, --socket=PATH        Unix socket\n"
"  -u, --user=USER          user (password: option files or MYSQL_PWD)\n"
"      --defaults-file=FILE read only this option file\n"
"      --defaults-group=G   option file group read besides [client]\n"
"  -n, --name=NAME          source name (Debezium's topic prefix) [mysql]\n"
"  -t, --tables=LIST        db.table patterns to capture (comma-separated)\n"
"  -x, --exclude=LIST       db.table patterns to leave out\n"
"      --snapshot=MODE      initial|never|when_needed|initial_only [initial]\n"
"      --resume=FILE        start after the position in a checkpoint file\n"
"      --start=FILE:POS     start at a binlog position\n"
"      --start-gtid=SET     start after a GTID set (MariaDB d-s-n,...; MySQL uuid:a-b,...)\n"
"  -e, --exit-at-end        exit 0 at the binlog end seen at start\n"
"      --compat=debezium    Debezium's value encodings\n"
"      --unwrap             the row plus __op, __deleted, __source_ts_ms\n"
"      --schemas            each record with its Kafka Connect schema\n"
"      --transactions       add the transaction block to each record\n"
"      --server-id=ID       replica server id [from the process id]\n"
"      --heartbeat=TIME     heartbeat period asked of the server [5s]\n"
"      --retry-time=TIME    give up reconnecting after this long [60s]\n"
"      --stats=TIME         statistics on stderr at this interval\n"
"      --stats-file=FILE    statistics as a Prometheus text file\n"
"      --unbuffered         flush each record\n"
"  -v, --verbose            report events skipped and reconnections\n"
"      --help               this help\n"
"      --version            the version\n");
}

static void
onsig(int sig)
{
	if (sig == SIGUSR1)
		want_stats = 1;
	else
		stop = 1;
}

static char **
split_list(const char *s, size_t *n)
{
	char **v = NULL;
	char *dup = xstrdup(s), *save = NULL, *tok;
	*n = 0;
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		if (!*tok)
			continue;
		v = xrealloc(v, (*n + 1) * sizeof *v);
		v[(*n)++] = xstrdup(tok);
	}
	free(dup);
	return v;
}

static int
is_system_db(const char *db)
{
	return !strcmp(db, "mysql") || !strcmp(db, "information_schema") ||
	    !strcmp(db, "performance_schema") || !strcmp(db, "sys");
}

static int
table_wanted(const char *db, const char *tb)
{
	char full[256 + 256 + 2];
	snprintf(full, sizeof full, "%s.%s", db, tb);
	for (size_t i = 0; i < o_nexclude; i++)
		if (fnmatch(o_exclude[i], full, 0) == 0)
			return 0;
	if (o_ntables == 0)
		return !is_system_db(db);
	for (size_t i = 0; i < o_ntables; i++)
		if (fnmatch(o_tables[i], full, 0) == 0)
			return 1;
	return 0;
}

/* Compare binlog file names by their numeric suffix, then as strings. */
static int
file_cmp(const char *a, const char *b)
{
	const char *da = strrchr(a, '.'), *db = strrchr(b, '.');
	if (da && db && da - a == db - b && strncmp(a, b, da - a) == 0) {
		unsigned long long x = strtoull(da + 1, NULL, 10),
		    y = strtoull(db + 1, NULL, 10);
		return x < y ? -1 : x > y;
	}
	return strcmp(a, b);
}

static int
at_end(void)
{
	if (!have_end || in_txn)
		return 0;
	int c = file_cmp(cur_file, end_file);
	return c > 0 || (c == 0 && next_pos >= end_pos);
}

/* ---- output ---- */

/*
 * Records are gathered in obuf and written in large writes (stdout is
 * unbuffered); what is in it goes out at a flush, at --unbuffered's each record, and at
 * exit (also on the way out through die()).
 */
static struct buf obuf;
#define OBUF_MAX (1 << 16)

static void
out_drain(void)
{
	if (buf_write(&obuf, stdout) < 0)
		out_check(stdout);
	buf_reset(&obuf);
}

/* At exit: what is left, after an error (its status already chosen). */
static void
out_drain_at_exit(void)
{
	if (obuf.len)
		(void)fwrite(obuf.p, 1, obuf.len, stdout);
	buf_reset(&obuf);
}

/* After a record was appended to obuf. */
static void
out_record(void)
{
	if (obuf.len >= OBUF_MAX || o_unbuffered)
		out_drain();
	if (o_unbuffered && fflush(stdout) == EOF)
		out_check(stdout);
}

static void
out_line(const struct buf *b)
{
	buf_add(&obuf, b->p, b->len);
	out_record();
}

static void
flush_out(void)
{
	out_drain();
	if (fflush(stdout) == EOF)
		out_check(stdout);
}

/*
 * The source object. What precedes "row" is the same for every row of an
 * event, so it is written once and kept while the event's fields stay.
 */
static void
source_fields(const char *db, const char *tb, const char *snap,
    long long ts_ms, const char *file, unsigned long long pos,
    unsigned long long row, const char *gtid)
{
	static struct buf pre, rowtext;
	static const char *k_db, *k_tb, *k_snap;
	static long long k_ts = -1;
	static unsigned long long k_pos;
	static char k_file[256], k_gtid[256];

	if (!gtid)
		gtid = "";
	if (db != k_db || tb != k_tb || snap != k_snap || ts_ms != k_ts ||
	    pos != k_pos || strcmp(file, k_file) != 0 ||
	    strcmp(gtid, k_gtid) != 0 || strlen(file) >= sizeof k_file ||
	    strlen(gtid) >= sizeof k_gtid) {
		cdc_source_begin(&rec);
		cdc_value_str(&rec, "version", TP_VERSION);
		cdc_value_str(&rec, "connector", "mysql");
		cdc_value_str(&rec, "name", o_name);
		cdc_value_int(&rec, "ts_ms", ts_ms);
		cdc_value_str(&rec, "snapshot", snap);
		cdc_value_str(&rec, "db", db);
		cdc_value_str(&rec, "table", tb);
		cdc_value_uint(&rec, "server_id", server_id);
		if (*gtid)
			cdc_value_str(&rec, "gtid", gtid);
		else
			cdc_value_null(&rec, "gtid");
		cdc_value_str(&rec, "file", file);
		cdc_value_uint(&rec, "pos", pos);
		buf_reset(&pre);
		buf_add(&pre, rec.source.p, rec.source.len);
		k_db = db, k_tb = tb, k_snap = snap, k_ts = ts_ms, k_pos = pos;
		snprintf(k_file, sizeof k_file, "%s", file);
		snprintf(k_gtid, sizeof k_gtid, "%s", gtid);
	} else {
		cdc_source_begin(&rec);
		cdc_fields(&rec, pre.p, pre.len);
	}
	buf_reset(&rowtext);
	buf_put_u64(&rowtext, row);
	cdc_value_key(&rec, "\"row\":", 6, rowtext.p, rowtext.len);
	cdc_source_end(&rec);
}

/*
 * The names of the columns, written as JSON keys once (",\"name\":", as
 * bl_row_members wants them): kept by column
 * number with the name they were made from, so a table that changed or
 * another table with other names makes them again.
 */
struct colkey {
	char *name;
	struct buf key;
};
static struct colkey *colkeys;
static uint32_t ncolkeys;

static const struct buf *
col_key(uint32_t i, const char *name)
{
	if (i >= ncolkeys) {
		colkeys = xrealloc(colkeys, (i + 1) * sizeof *colkeys);
		memset(colkeys + ncolkeys, 0,
		    (i + 1 - ncolkeys) * sizeof *colkeys);
		ncolkeys = i + 1;
	}
	struct colkey *k = &colkeys[i];
	if (!k->name || strcmp(k->name, name) != 0) {
		free(k->name);
		k->name = xstrdup(name);
		buf_reset(&k->key);
		buf_putc(&k->key, ',');
		buf_json_str(&k->key, name, strlen(name));
		buf_putc(&k->key, ':');
	}
	return &k->key;
}

static void
free_colkeys(void)
{
	for (uint32_t i = 0; i < ncolkeys; i++) {
		free(colkeys[i].name);
		buf_free(&colkeys[i].key);
	}
	free(colkeys);
	colkeys = NULL;
	ncolkeys = 0;
}

/* The keys of t's columns, in keyv. */
static const struct buf **keyv;
static uint32_t nkeyv;

static void
table_keys(const struct bl_table *t)
{
	char nm[16];

	if (t->ncols > nkeyv) {
		keyv = xrealloc(keyv, t->ncols * sizeof *keyv);
		nkeyv = t->ncols;
	}
	for (uint32_t i = 0; i < t->ncols; i++) {
		const char *name = t->cols[i].name;
		if (!name) {
			snprintf(nm, sizeof nm, "@%u", i + 1);
			name = nm;
		}
		col_key(i, name);
	}
	/* col_key() may move colkeys: their addresses once all are made */
	for (uint32_t i = 0; i < t->ncols; i++)
		keyv[i] = &colkeys[i].key;
}

/*
 * --schemas: each table's schema text, made when its columns are first
 * seen and again when they change (a new TABLE_MAP after DDL), kept by
 * db.table. A selected table's bl_table.selected is 1 + its slot.
 */
struct tschema {
	char *db, *tb;
	struct buf text;
};
static struct tschema *tschemas;
static size_t ntschemas;
static struct buf src_schema;		/* the source struct's fields */

static void
source_schema(void)
{
	static const char *const snap[] = { "allowed", "true,last,false",
	    NULL };
	struct buf *b = &src_schema;

	cs_field(b, "version", 7, "string", 0, NULL, NULL);
	cs_field(b, "connector", 9, "string", 0, NULL, NULL);
	cs_field(b, "name", 4, "string", 0, NULL, NULL);
	cs_field(b, "ts_ms", 5, "int64", 0, NULL, NULL);
	cs_field(b, "snapshot", 8, "string", 1, "io.debezium.data.Enum", snap);
	cs_field(b, "db", 2, "string", 0, NULL, NULL);
	cs_field(b, "table", 5, "string", 1, NULL, NULL);
	cs_field(b, "server_id", 9, "int64", 0, NULL, NULL);
	cs_field(b, "gtid", 4, "string", 1, NULL, NULL);
	cs_field(b, "file", 4, "string", 0, NULL, NULL);
	cs_field(b, "pos", 3, "int64", 0, NULL, NULL);
	/* int64: in a snapshot, the ordinal of the record */
	cs_field(b, "row", 3, "int64", 0, NULL, NULL);
	buf_cstr(b);
}

/* The slot of db.tb with the schema of its columns cols[0..n); names
 * NULL are named by position, as in the records. */
static size_t
table_schema(const char *db, const char *tb, const struct mycol *cols,
    uint32_t n)
{
	struct buf fields;
	struct tschema *ts;
	char nm[16];
	size_t i;

	for (i = 0; i < ntschemas; i++)
		if (!strcmp(tschemas[i].db, db) && !strcmp(tschemas[i].tb, tb))
			break;
	if (i == ntschemas) {
		tschemas = xrealloc(tschemas, (i + 1) * sizeof *tschemas);
		ts = &tschemas[ntschemas++];
		ts->db = xstrdup(db);
		ts->tb = xstrdup(tb);
		buf_init(&ts->text);
	}
	ts = &tschemas[i];
	buf_init(&fields);
	for (uint32_t k = 0; k < n; k++) {
		const char *name = cols[k].name;
		if (!name) {
			snprintf(nm, sizeof nm, "@%u", k + 1);
			name = nm;
		}
		my_col_schema(&fields, &cols[k], name, strlen(name), o_enc);
	}
	cs_envelope(&ts->text, o_name, db, tb, &fields,
	    "io.debezium.connector.mysql.Source", src_schema.p, o_unwrap);
	buf_free(&fields);
	return i;
}

/* The snapshot's schema of db.tb, from information_schema, as the
 * binlog's TABLE_MAP would give it. The slot, or -1. */
static long
snapshot_schema(const char *db, const char *tb)
{
	char q[1400], edb[520], etb[520];
	MYSQL_RES *res;
	MYSQL_ROW row;
	struct mycol *cols;
	char **strs;
	uint32_t n;
	long slot = -1;

	mysql_real_escape_string(meta, edb, db, strlen(db));
	mysql_real_escape_string(meta, etb, tb, strlen(tb));
	snprintf(q, sizeof q, "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, "
	    "IS_NULLABLE, NUMERIC_PRECISION, NUMERIC_SCALE, DATETIME_PRECISION, "
	    "CHARACTER_SET_NAME FROM information_schema.COLUMNS"
	    " WHERE TABLE_SCHEMA='%s' AND TABLE_NAME='%s'"
	    " ORDER BY ORDINAL_POSITION", edb, etb);
	if (mysql_query(meta, q) != 0 || !(res = mysql_store_result(meta)))
		die(EX_UNAVAILABLE, "snapshot: %s.%s: columns: %s", db, tb,
		    mysql_error(meta));
	n = (uint32_t)mysql_num_rows(res);
	cols = xcalloc(n ? n : 1, sizeof *cols);
	strs = xcalloc(n ? n : 1, sizeof *strs);
	for (uint32_t i = 0; (row = mysql_fetch_row(res)) != NULL; i++) {
		cols[i].name = row[0] ? xstrdup(row[0]) : NULL;
		if (my_col_from_schema(&cols[i], (const char *const *)row + 1,
		    &strs[i]) < 0)
			weprintf("%s.%s: column %s: type %s unknown: described "
			    "as a string", db, tb, row[0] ? row[0] : "?",
			    row[1] ? row[1] : "?");
	}
	mysql_free_result(res);
	if (n)
		slot = (long)table_schema(db, tb, cols, n);
	for (uint32_t i = 0; i < n; i++) {
		free((char *)cols[i].name);
		free(strs[i]);
	}
	free(cols);
	free(strs);
	return slot;
}

static void
free_schemas(void)
{
	for (size_t i = 0; i < ntschemas; i++) {
		free(tschemas[i].db);
		free(tschemas[i].tb);
		buf_free(&tschemas[i].text);
	}
	free(tschemas);
	buf_free(&src_schema);
}

/* ---- table names from information_schema (MINIMAL metadata) ---- */

static void
names_from_schema(struct bl_table *t)
{
	char q[1200], edb[520], etb[520];
	MYSQL_RES *res;
	MYSQL_ROW row;

	if (!meta || t->has_names)
		return;
	mysql_real_escape_string(meta, edb, t->db, strlen(t->db));
	mysql_real_escape_string(meta, etb, t->name, strlen(t->name));
	snprintf(q, sizeof q, "SELECT COLUMN_NAME FROM information_schema.COLUMNS"
	    " WHERE TABLE_SCHEMA='%s' AND TABLE_NAME='%s'"
	    " ORDER BY ORDINAL_POSITION", edb, etb);
	if (mysql_query(meta, q) != 0 || !(res = mysql_store_result(meta))) {
		weprintf("%s.%s: column names: %s", t->db, t->name,
		    mysql_error(meta));
		return;
	}
	if (mysql_num_rows(res) != t->ncols) {
		weprintf("%s.%s: the table has %llu columns now, the binlog %u: "
		    "columns named by position", t->db, t->name,
		    (unsigned long long)mysql_num_rows(res), t->ncols);
		mysql_free_result(res);
		return;
	}
	struct buf names;
	buf_init(&names);
	size_t *offs = xcalloc(t->ncols, sizeof *offs);
	for (uint32_t i = 0; (row = mysql_fetch_row(res)) != NULL; i++) {
		offs[i] = names.len;
		buf_puts(&names, row[0] ? row[0] : "");
		buf_putc(&names, 0);
	}
	mysql_free_result(res);
	free(t->user);
	t->user = names.p;
	for (uint32_t i = 0; i < t->ncols; i++)
		t->cols[i].name = names.p + offs[i];
	free(offs);
}

/* ---- events ---- */

static void
txn_begin(unsigned long long pos, const char *gtid, uint32_t ts)
{
	in_txn = 1;
	snprintf(txn_file, sizeof txn_file, "%s", cur_file);
	txn_pos = pos;
	txn_row = 0;
	txn_total = 0;
	txn_ts = ts;
	snprintf(txn_gtid, sizeof txn_gtid, "%s", gtid ? gtid : "");
}

static void
txn_end(void)
{
	in_txn = 0;
	st_txns++;
	skip_row = -1;
	flush_out();
}

static int
query_is(const char *q, size_t n, const char *word)
{
	size_t k = strlen(word);
	while (n && (*q == ' ' || *q == '\n' || *q == '\t')) {
		q++;
		n--;
	}
	return n >= k && strncasecmp(q, word, k) == 0 &&
	    (n == k || q[k] == ' ' || q[k] == ';' || q[k] == '\n');
}

static int partial_warned;

static int
rows(struct bl_event *ev, unsigned long long evpos)
{
	struct bl_table *t = ev->table;
	const unsigned char *p = ev->rows, *end = ev->rows + ev->rows_len;

	if (t->selected < 0) {
		t->selected = table_wanted(t->db, t->name);
		if (t->selected && !t->has_names)
			names_from_schema(t);
		if (t->selected && o_schemas)
			t->selected = 1 + (int)table_schema(t->db, t->name,
			    t->cols, t->ncols);
	}
	if (!t->selected)
		return 0;
	if (!in_txn)
		txn_begin(evpos, "", ev->ts);
	int partial = 0;
	for (uint32_t i = 0; i < t->ncols; i++)
		if (!bl_bit(ev->present, i) || !bl_bit(ev->present_after, i))
			partial = 1;
	if (partial && !partial_warned) {
		partial_warned = 1;
		weprintf("%s.%s: partial row images (binlog_row_image is not "
		    "FULL): columns absent from an image are left out of it",
		    t->db, t->name);
	}
	table_keys(t);
	while (p < end) {
		/* the images decoded straight into the record's rows */
		cdc_begin(&rec, ev->op);
		if (ev->op == 'u' || ev->op == 'd') {
			if (bl_row_members(&bl, ev, &p, ev->present, keyv,
			    cdc_row_buf(&rec, CDC_BEFORE), o_enc) < 0)
				return -1;
		}
		if (ev->op == 'u' || ev->op == 'c') {
			if (bl_row_members(&bl, ev, &p, ev->present_after, keyv,
			    cdc_row_buf(&rec, CDC_AFTER), o_enc) < 0)
				return -1;
		}
		unsigned long long row = txn_row++;
		if (skip_row >= 0 && !strcmp(txn_file, skip_file) &&
		    txn_pos == skip_pos && (long long)row <= skip_row)
			continue;
		source_fields(t->db, t->name, "false", (long long)ev->ts * 1000,
		    txn_file, txn_pos, row, txn_gtid);
		if (o_schemas) {
			const struct buf *sc = &tschemas[t->selected - 1].text;
			cdc_schema(&rec, sc->p, sc->len);
		}
		if (o_txmeta) {
			char id[400];
			if (*txn_gtid)
				snprintf(id, sizeof id, "%s", txn_gtid);
			else
				snprintf(id, sizeof id, "%s:%llu", txn_file, txn_pos);
			txn_total++;
			cdc_transaction(&rec, id, txn_total, txn_total);
		}
		cdc_end_to(&rec, &obuf, now_ms(), (long long)ev->ts * 1000);
		out_record();
		st_rows++;
	}
	return 0;
}

/*
 * One event at position evpos (its first byte). nested: inside a
 * TRANSACTION_PAYLOAD. Returns 0, or -1 (bl.err) when it does not decode.
 */
static int
handle(const unsigned char *p, size_t n, unsigned long long evpos, int nested)
{
	struct bl_event ev;

	if (bl_event(&bl, p, n, nested, &ev) < 0)
		return -1;
	st_events++;
	if (ev.ts)
		last_ts = ev.ts;
	if (!nested && ev.log_pos && ev.type != BL_HEARTBEAT &&
	    ev.type != BL_HEARTBEAT_V2 && !(ev.type == BL_ROTATE))
		next_pos = ev.log_pos;
	if (ev.server_id && ev.type != BL_HEARTBEAT && ev.type != BL_ROTATE &&
	    ev.type != BL_FORMAT_DESCRIPTION)
		server_id = ev.server_id;
	if (ev.ts && ev.type != BL_HEARTBEAT && ev.type != BL_HEARTBEAT_V2 &&
	    ev.type != BL_ROTATE && ev.type != BL_FORMAT_DESCRIPTION)
		st_behind = now_ms() / 1000 - ev.ts;

	switch (ev.type) {
	case BL_ROTATE:
		if (ev.name_len >= sizeof cur_file)
			ev.name_len = sizeof cur_file - 1;
		memcpy(cur_file, ev.name, ev.name_len);
		cur_file[ev.name_len] = 0;
		next_pos = ev.next_pos;
		return 0;
	case BL_FORMAT_DESCRIPTION:
		/* a new server log: table ids start over */
		if (!ev.log_pos || evpos == 4)
			bl_tables_clear(&bl);
		return 0;
	case BL_GTID:
	case BL_MARIA_GTID:
		txn_begin(evpos, ev.gtid, ev.ts);
		return 0;
	case BL_ANONYMOUS_GTID:
		txn_begin(evpos, "", ev.ts);
		return 0;
	case BL_QUERY:
	case BL_MARIA_QUERY_COMPRESSED:
		if (query_is(ev.query, ev.query_len, "BEGIN") ||
		    query_is(ev.query, ev.query_len, "XA START")) {
			if (!in_txn)
				txn_begin(evpos, "", ev.ts);
			return 0;
		}
		if (query_is(ev.query, ev.query_len, "COMMIT") ||
		    query_is(ev.query, ev.query_len, "ROLLBACK") ||
		    query_is(ev.query, ev.query_len, "XA END") ||
		    query_is(ev.query, ev.query_len, "XA COMMIT")) {
			if (in_txn)
				txn_end();
			return 0;
		}
		if (query_is(ev.query, ev.query_len, "SAVEPOINT") ||
		    query_is(ev.query, ev.query_len, "XA PREPARE"))
			return 0;
		/* DDL (or another statement logged as such): its own
		 * transaction; table maps come again after it */
		if (o_verbose)
			weprintf("%s:%llu: %.*s", cur_file, evpos,
			    (int)(ev.query_len > 200 ? 200 : ev.query_len),
			    ev.query);
		bl_tables_clear(&bl);
		if (in_txn)
			txn_end();
		return 0;
	case BL_XID:
		if (in_txn)
			txn_end();
		return 0;
	case BL_TABLE_MAP:
		return 0;
	case BL_WRITE_ROWS_V1: case BL_UPDATE_ROWS_V1: case BL_DELETE_ROWS_V1:
	case BL_WRITE_ROWS: case BL_UPDATE_ROWS: case BL_DELETE_ROWS:
	case BL_MARIA_WRITE_ROWS_COMPRESSED_V1:
	case BL_MARIA_UPDATE_ROWS_COMPRESSED_V1:
	case BL_MARIA_DELETE_ROWS_COMPRESSED_V1:
	case BL_MARIA_WRITE_ROWS_COMPRESSED:
	case BL_MARIA_UPDATE_ROWS_COMPRESSED:
	case BL_MARIA_DELETE_ROWS_COMPRESSED:
		return rows(&ev, evpos);
	case BL_TRANSACTION_PAYLOAD: {
		const unsigned char *q = ev.payload;
		size_t left = ev.payload_len;
		/* the nested events use the decoder's payload buffer: copy */
		unsigned char *copy = xmalloc(left ? left : 1);
		memcpy(copy, q, left);
		q = copy;
		int rc = 0;
		for (;;) {
			long k = bl_payload_next(q, left);
			if (k == 0)
				break;
			if (k < 0) {
				snprintf(bl.err, sizeof bl.err,
				    "TRANSACTION_PAYLOAD: malformed contents");
				rc = -1;
				break;
			}
			if ((rc = handle(q, k, evpos, 1)) < 0)
				break;
			q += k;
			left -= k;
		}
		free(copy);
		return rc;
	}
	case BL_HEARTBEAT: case BL_HEARTBEAT_V2: case BL_PREVIOUS_GTIDS:
	case BL_MARIA_GTID_LIST: case BL_MARIA_BINLOG_CHECKPOINT:
	case BL_MARIA_ANNOTATE_ROWS: case BL_ROWS_QUERY: case BL_INTVAR:
	case BL_RAND: case BL_USER_VAR: case BL_STOP:
		return 0;
	case BL_PARTIAL_UPDATE_ROWS:
		return -1;
	}
	st_skipped_events++;
	weprintf("%s:%llu: event type %u unknown: skipped", cur_file, evpos,
	    ev.type);
	return 0;
}

/* ---- statistics ---- */

static void
stats(int force)
{
	struct metric m[] = {
		{ "events_in", "binlog events read", STAT_COUNTER, st_events },
		{ "bytes_in", "binlog bytes read", STAT_COUNTER, st_bytes },
		{ "rows_out", "change records written", STAT_COUNTER, st_rows },
		{ "transactions", "transactions read", STAT_COUNTER, st_txns },
		{ "reconnects", "reconnections", STAT_COUNTER, st_reconnects },
		{ "events_skipped", "unknown events skipped", STAT_COUNTER,
		    st_skipped_events },
		{ "seconds_behind_source", "age of the last event read",
		    STAT_GAUGE, st_behind < 0 ? 0 : st_behind },
	};
	int n = sizeof m / sizeof *m;
	if (!force && !stats_due(&stats_last, o_stats_ms) && !want_stats)
		return;
	want_stats = 0;
	if (o_stats_ms > 0 || force)
		stats_print("binlog2jsonl", m, n);
	if (o_stats_file && stats_write_prom(o_stats_file, "binlog2jsonl", m, n) < 0)
		weprintf("%s:", o_stats_file);
}

/* ---- binlog files ---- */

static int
read_file(const char *path)
{
	FILE *fp = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	unsigned char magic[4], hdr[BL_HEADER_LEN];
	struct buf ev;
	unsigned long long pos = 4;
	int rc = 0;

	if (!fp) {
		weprintf("%s:", path);
		return EX_NOINPUT;
	}
	if (fread(magic, 1, 4, fp) != 4 || memcmp(magic, "\xfe" "bin", 4) != 0) {
		weprintf("%s: not a binlog file", path);
		if (fp != stdin)
			fclose(fp);
		return EX_DATAERR;
	}
	const char *base = strrchr(path, '/');
	snprintf(cur_file, sizeof cur_file, "%s", base ? base + 1 : path);
	bl.checksum = 0;
	bl.fde_seen = 0;
	buf_init(&ev);
	while (!stop) {
		size_t k = fread(hdr, 1, BL_HEADER_LEN, fp);
		if (k == 0)
			break;
		if (k != BL_HEADER_LEN) {
			weprintf("%s:%llu: truncated event header", path, pos);
			rc = EX_DATAERR;
			break;
		}
		uint32_t size = hdr[9] | hdr[10] << 8 | hdr[11] << 16 |
		    (uint32_t)hdr[12] << 24;
		if (size < BL_HEADER_LEN || size > (1u << 30)) {
			weprintf("%s:%llu: bad event size %u", path, pos, size);
			rc = EX_DATAERR;
			break;
		}
		buf_reset(&ev);
		buf_add(&ev, hdr, BL_HEADER_LEN);
		buf_reserve(&ev, size);
		if (fread(ev.p + BL_HEADER_LEN, 1, size - BL_HEADER_LEN, fp) !=
		    size - BL_HEADER_LEN) {
			weprintf("%s:%llu: truncated event", path, pos);
			rc = EX_DATAERR;
			break;
		}
		ev.len = size;
		st_bytes += size;
		next_pos = pos + size;
		if (handle((unsigned char *)ev.p, size, pos, 0) < 0) {
			weprintf("%s:%llu: %s", path, pos, bl.err);
			rc = EX_DATAERR;
			break;
		}
		if (strcmp(cur_file, base ? base + 1 : path) != 0)	/* ROTATE */
			snprintf(cur_file, sizeof cur_file, "%s",
			    base ? base + 1 : path);
		pos += size;
		stats(0);
	}
	if (ferror(fp)) {
		weprintf("%s:", path);
		rc = EX_IOERR;
	}
	buf_free(&ev);
	if (fp != stdin)
		fclose(fp);
	flush_out();
	return rc;
}

/* ---- server ---- */

static MYSQL *
connect_server(int quiet)
{
	MYSQL *m = mysql_init(NULL);
	unsigned int tmo;
	const char *pw = getenv("MYSQL_PWD");

	if (!m)
		die(EX_OSERR, "mysql_init: out of memory");
	if (o_defaults_file)
		mysql_options(m, MYSQL_READ_DEFAULT_FILE, o_defaults_file);
	mysql_options(m, MYSQL_READ_DEFAULT_GROUP, o_group);
	mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	tmo = 10;
	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &tmo);
	tmo = (unsigned)((o_heartbeat_ms * 3 + 999) / 1000);
	if (tmo < 5)
		tmo = 5;
	mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &tmo);
	mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &tmo);
	if (!mysql_real_connect(m, o_host, o_user, pw, NULL, o_port, o_socket,
	    0)) {
		if (!quiet)
			weprintf("connect: %s", mysql_error(m));
		mysql_close(m);
		return NULL;
	}
	return m;
}

static int
exec(MYSQL *m, const char *q)
{
	if (mysql_query(m, q) != 0) {
		weprintf("%s: %s", q, mysql_error(m));
		return -1;
	}
	MYSQL_RES *r = mysql_store_result(m);
	if (r)
		mysql_free_result(r);
	return 0;
}

/* First row of a query's result: its values copied into v (n of them). */
static int
query_row(MYSQL *m, const char *q, char **v, int n)
{
	MYSQL_RES *r;
	MYSQL_ROW row;
	if (mysql_query(m, q) != 0 || !(r = mysql_store_result(m))) {
		weprintf("%s: %s", q, mysql_error(m));
		return -1;
	}
	if (!(row = mysql_fetch_row(r)) || mysql_num_fields(r) < (unsigned)n) {
		mysql_free_result(r);
		return 0;
	}
	for (int i = 0; i < n; i++)
		v[i] = xstrdup(row[i] ? row[i] : "");
	mysql_free_result(r);
	return 1;
}

static void
master_status(char *file, size_t fl, unsigned long long *pos)
{
	char *v[2];
	int r = query_row(meta, "SHOW MASTER STATUS", v, 2);
	if (r < 0)
		exit(EX_UNAVAILABLE);
	if (r == 0)
		die(EX_CONFIG, "SHOW MASTER STATUS: no binary log: start the "
		    "server with log_bin and binlog_format=ROW");
	snprintf(file, fl, "%s", v[0]);
	*pos = strtoull(v[1], NULL, 10);
	free(v[0]);
	free(v[1]);
}

static void
check_server(void)
{
	char *v[1];
	is_mariadb = strstr(mysql_get_server_info(meta), "MariaDB") != NULL;
	if (query_row(meta, "SELECT @@global.binlog_format", v, 1) == 1) {
		if (strcasecmp(v[0], "ROW") != 0)
			weprintf("binlog_format is %s, not ROW: statements "
			    "logged as statements are not captured", v[0]);
		free(v[0]);
	}
	if (query_row(meta, "SELECT @@global.binlog_row_image", v, 1) == 1) {
		if (strcasecmp(v[0], "FULL") != 0)
			weprintf("binlog_row_image is %s, not FULL: row images "
			    "will be partial", v[0]);
		free(v[0]);
	}
}

/* ---- snapshot ---- */

static void
snapshot(char *file, size_t fl, unsigned long long *pos)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	char **dbs = NULL, **tbs = NULL;
	size_t nt = 0;
	struct buf pending, sv;
	int have_pending = 0;
	long long ts = now_ms();

	buf_init(&pending);
	buf_init(&sv);
	if (exec(meta, "SET time_zone='+00:00'") < 0 ||
	    exec(meta, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ") < 0)
		exit(EX_UNAVAILABLE);
	if (is_mariadb) {
		if (exec(meta, "START TRANSACTION WITH CONSISTENT SNAPSHOT") < 0)
			exit(EX_UNAVAILABLE);
		char *v[2];
		if (mysql_query(meta, "SHOW STATUS LIKE 'binlog_snapshot_%'") ||
		    !(res = mysql_store_result(meta)))
			die(EX_UNAVAILABLE, "snapshot: %s", mysql_error(meta));
		*file = 0;
		*pos = 0;
		while ((row = mysql_fetch_row(res)) != NULL) {
			if (!strcasecmp(row[0], "binlog_snapshot_file"))
				snprintf(file, fl, "%s", row[1] ? row[1] : "");
			else if (!strcasecmp(row[0], "binlog_snapshot_position"))
				*pos = strtoull(row[1] ? row[1] : "0", NULL, 10);
		}
		mysql_free_result(res);
		(void)v;
		if (!*file)
			die(EX_CONFIG, "snapshot: no binlog position "
			    "(binlog_snapshot_file is empty): is log_bin on?");
	} else {
		if (exec(meta, "FLUSH TABLES WITH READ LOCK") < 0 ||
		    exec(meta, "START TRANSACTION WITH CONSISTENT SNAPSHOT") < 0)
			exit(EX_UNAVAILABLE);
		master_status(file, fl, pos);
		if (exec(meta, "UNLOCK TABLES") < 0)
			exit(EX_UNAVAILABLE);
	}
	if (mysql_query(meta, "SELECT TABLE_SCHEMA, TABLE_NAME FROM "
	    "information_schema.TABLES WHERE TABLE_TYPE='BASE TABLE' "
	    "ORDER BY TABLE_SCHEMA, TABLE_NAME") ||
	    !(res = mysql_store_result(meta)))
		die(EX_UNAVAILABLE, "snapshot: tables: %s", mysql_error(meta));
	while ((row = mysql_fetch_row(res)) != NULL)
		if (table_wanted(row[0], row[1])) {
			dbs = xrealloc(dbs, (nt + 1) * sizeof *dbs);
			tbs = xrealloc(tbs, (nt + 1) * sizeof *tbs);
			dbs[nt] = xstrdup(row[0]);
			tbs[nt] = xstrdup(row[1]);
			nt++;
		}
	mysql_free_result(res);

	for (size_t i = 0; i < nt && !stop; i++) {
		long slot = o_schemas ? snapshot_schema(dbs[i], tbs[i]) : -1;
		char *q = xasprintf("SELECT * FROM `%s`.`%s`", dbs[i], tbs[i]);
		if (mysql_query(meta, q) || !(res = mysql_use_result(meta)))
			die(EX_UNAVAILABLE, "snapshot: %s: %s", q,
			    mysql_error(meta));
		free(q);
		unsigned nf = mysql_num_fields(res);
		const struct buf *sc = NULL;
		if (slot >= 0 && tschemas[slot].text.len)
			sc = &tschemas[slot].text;
		MYSQL_FIELD *f = mysql_fetch_fields(res);
		while (!stop && (row = mysql_fetch_row(res)) != NULL) {
			unsigned long *lens = mysql_fetch_lengths(res);
			if (have_pending)
				out_line(&pending);
			cdc_begin(&rec, 'r');
			cdc_row_begin(&rec, CDC_AFTER);
			for (unsigned c = 0; c < nf; c++) {
				buf_reset(&sv);
				if (!row[c])
					buf_puts(&sv, "null");
				else
					my_text_value(&sv, f[c].type, f[c].flags,
					    f[c].charsetnr, f[c].decimals,
					    f[c].length, 0, row[c], lens[c],
					    o_enc);
				cdc_value(&rec, f[c].name, sv.p, sv.len);
			}
			cdc_row_end(&rec);
			/* row: the ordinal in the snapshot (st_rows counts
			 * the snapshot's records first) */
			source_fields(dbs[i], tbs[i], "true", ts, file, *pos,
			    st_rows, "");
			if (sc)
				cdc_schema(&rec, sc->p, sc->len);
			cdc_end(&rec, now_ms(), ts);
			buf_reset(&pending);
			buf_add(&pending, rec.out.p, rec.out.len);
			have_pending = 1;
			st_rows++;
		}
		if (!stop && mysql_errno(meta))
			die(EX_UNAVAILABLE, "snapshot: %s.%s: %s", dbs[i], tbs[i],
			    mysql_error(meta));
		mysql_free_result(res);
		free(dbs[i]);
		free(tbs[i]);
	}
	if (stop) {
		flush_out();
		exit(0);
	}
	if (have_pending) {
		/* the last record of the snapshot says so */
		const char *key = "\"snapshot\":\"true\"";
		char *last = NULL;
		for (char *s = pending.p; (s = memmem(s, pending.p + pending.len - s,
		    key, strlen(key))) != NULL; s++)
			last = s;
		if (last)
			memcpy(last + 12, "last", 4);
		out_line(&pending);
	}
	exec(meta, "COMMIT");
	flush_out();
	free(dbs);
	free(tbs);
	buf_free(&pending);
	buf_free(&sv);
}

/* ---- streaming ---- */

/* Send a command; with check, read its OK packet too. */
static int
send_command(MYSQL *m, enum enum_server_command cmd, const unsigned char *arg,
    size_t len, int check)
{
	return m->methods->db_command(m, cmd, (const char *)arg, len, !check,
	    NULL);
}

/* COM_REGISTER_SLAVE: server id; empty host, user, password; port,
 * rank and master 0. */
static int
register_replica(MYSQL *m)
{
	unsigned char pkt[17];

	memset(pkt, 0, sizeof pkt);
	pkt[0] = o_server_id & 0xFF;
	pkt[1] = o_server_id >> 8 & 0xFF;
	pkt[2] = o_server_id >> 16 & 0xFF;
	pkt[3] = o_server_id >> 24 & 0xFF;
	if (send_command(m, COM_REGISTER_SLAVE, pkt, sizeof pkt, 1) != 0) {
		weprintf("register as a replica: %s", mysql_error(m));
		return mysql_errno(m) == ER_SPECIFIC_ACCESS_DENIED_ERROR ||
		    mysql_errno(m) == ER_ACCESS_DENIED_ERROR ? EX_CONFIG :
		    EX_UNAVAILABLE;
	}
	return 0;
}

/*
 * MySQL: COM_BINLOG_DUMP_GTID from a GTID set, the server sending what
 * the set does not hold: flags (BINLOG_THROUGH_GTID), server id, an empty
 * file name, position 4, the encoded set.
 */
static int
start_dump_gtid(MYSQL *m, const char *gtid)
{
	struct buf set, pkt;
	char err[200];
	int rc;

	buf_init(&set);
	if (bl_mysql_gtid_encode(gtid, &set, err, sizeof err) < 0) {
		weprintf("--start-gtid: %s", err);
		buf_free(&set);
		return EX_USAGE;
	}
	if ((rc = register_replica(m)) != 0) {
		buf_free(&set);
		return rc;
	}
	buf_init(&pkt);
	unsigned char h[22] = { 0x04, 0x00 };	/* BINLOG_THROUGH_GTID */
	for (int i = 0; i < 4; i++)
		h[2 + i] = (unsigned char)(o_server_id >> (8 * i));
	/* name length 0 (4 bytes), position 4 (8), set length (4) */
	h[10] = 4;
	for (int i = 0; i < 4; i++)
		h[18 + i] = (unsigned char)(set.len >> (8 * i));
	buf_add(&pkt, h, sizeof h);
	buf_add(&pkt, set.p, set.len);
	rc = 0;
	/* MySQL's 0x1e, which Connector/C does not name */
	if (send_command(m, (enum enum_server_command)0x1e, (unsigned char *)pkt.p,
	    pkt.len, 0) != 0) {
		weprintf("binlog dump from a GTID set: %s", mysql_error(m));
		rc = EX_UNAVAILABLE;
	}
	buf_free(&set);
	buf_free(&pkt);
	return rc;
}

/* Start the dump on a new connection. Returns 0, or an exit status. */
static int
start_dump(MYSQL *m, const char *file, unsigned long long pos,
    const char *gtid)
{
	char q[600], esc[520];
	unsigned char pkt[600];
	int rc;
	char *v[1];
	int crc = 0;

	if (query_row(m, "SELECT @@global.binlog_checksum", v, 1) == 1) {
		crc = strcasecmp(v[0], "CRC32") == 0;
		free(v[0]);
	}
	if (exec(m, "SET @master_binlog_checksum=@@global.binlog_checksum") < 0 ||
	    exec(m, "SET @mariadb_slave_capability=4") < 0)
		return EX_UNAVAILABLE;
	snprintf(q, sizeof q, "SET @master_heartbeat_period=%lld",
	    o_heartbeat_ms * 1000000LL);
	if (exec(m, q) < 0)
		return EX_UNAVAILABLE;
	bl.checksum = crc;
	bl.fde_seen = 0;
	if (gtid && !is_mariadb)
		return start_dump_gtid(m, gtid);
	if (gtid) {
		mysql_real_escape_string(m, esc, gtid, strlen(gtid));
		snprintf(q, sizeof q, "SET @slave_connect_state='%s'", esc);
		if (exec(m, q) < 0 || exec(m, "SET @slave_gtid_strict_mode=0") < 0)
			return EX_USAGE;
		file = "";
		pos = 4;
	}
	if ((rc = register_replica(m)) != 0)
		return rc;
	/* COM_BINLOG_DUMP: pos(4) flags(2) server_id(4) file */
	size_t fl = strlen(file);
	if (fl > 500)
		return EX_USAGE;
	pkt[0] = pos & 0xFF;
	pkt[1] = pos >> 8 & 0xFF;
	pkt[2] = pos >> 16 & 0xFF;
	pkt[3] = pos >> 24 & 0xFF;
	pkt[4] = pkt[5] = 0;
	pkt[6] = o_server_id & 0xFF;
	pkt[7] = o_server_id >> 8 & 0xFF;
	pkt[8] = o_server_id >> 16 & 0xFF;
	pkt[9] = o_server_id >> 24 & 0xFF;
	memcpy(pkt + 10, file, fl);
	if (send_command(m, COM_BINLOG_DUMP, pkt, 10 + fl, 0) != 0) {
		weprintf("binlog dump: %s", mysql_error(m));
		return EX_UNAVAILABLE;
	}
	return 0;
}

/*
 * Read events until stopped, the end (-e), or an error. Returns 0 when
 * done, EX_TEMPFAIL when the connection broke (worth a reconnect), or an
 * exit status.
 */
static int
stream(MYSQL *m)
{
	for (;;) {
		if (stop || at_end())
			return 0;
		stats(0);
		unsigned long len = mysql_net_read_packet(m);
		if (stop)
			return 0;
		if (len == packet_error || len == 0) {
			unsigned e = mysql_errno(m);
			if (e == ER_MASTER_FATAL_ERROR_READING_BINLOG) {
				weprintf("%s:%llu: the server cannot send this "
				    "binlog position: %s; it may have been purged:"
				    " start again with --snapshot=when_needed (a "
				    "new snapshot) or an existing --start position",
				    cur_file, next_pos, mysql_error(m));
				return EX_UNAVAILABLE;
			}
			if (e == ER_ACCESS_DENIED_ERROR ||
			    e == ER_SPECIFIC_ACCESS_DENIED_ERROR) {
				weprintf("binlog: %s (grant REPLICATION SLAVE "
				    "and REPLICATION CLIENT)", mysql_error(m));
				return EX_CONFIG;
			}
			if (e == ER_GTID_POSITION_NOT_FOUND_IN_BINLOG ||
			    e == ER_INCORRECT_GTID_STATE ||
			    e == ER_GTID_POSITION_NOT_FOUND_IN_BINLOG2 ||
			    e == ER_MALFORMED_GTID_SET_SPECIFICATION) {
				weprintf("--start-gtid: %s", mysql_error(m));
				return EX_USAGE;
			}
			if (o_verbose)
				weprintf("binlog: %s (error %u)", mysql_error(m), e);
			return EX_TEMPFAIL;
		}
		const unsigned char *p = m->net.read_pos;
		if (p[0] == 0xFE && len < 8)
			return EX_TEMPFAIL;	/* end of stream */
		if (p[0] != 0)
			return EX_TEMPFAIL;
		p++;
		len--;
		st_bytes += len;
		if (len < BL_HEADER_LEN) {
			weprintf("binlog: short event (%lu bytes)", len);
			return EX_DATAERR;
		}
		uint32_t logpos = p[13] | p[14] << 8 | p[15] << 16 |
		    (uint32_t)p[16] << 24;
		uint32_t size = p[9] | p[10] << 8 | p[11] << 16 |
		    (uint32_t)p[12] << 24;
		unsigned long long evpos = logpos >= size ? logpos - size : next_pos;
		if (handle(p, len, evpos, 0) < 0) {
			weprintf("%s:%llu: %s", cur_file, evpos, bl.err);
			return EX_DATAERR;
		}
	}
}

static int
run_server(const char *file, unsigned long long pos, const char *gtid)
{
	long long backoff = 100, failing_since = 0;
	int rc;

	snprintf(cur_file, sizeof cur_file, "%s", gtid ? "" : file);
	next_pos = pos;
	for (;;) {
		if (stop || at_end())
			return 0;
		MYSQL *m = connect_server(failing_since != 0);
		if (m) {
			/* restart at the open transaction, skipping what was
			 * written of it */
			if (in_txn) {
				snprintf(skip_file, sizeof skip_file, "%s", txn_file);
				skip_pos = txn_pos;
				skip_row = (long long)txn_row - 1;
				snprintf(cur_file, sizeof cur_file, "%s", txn_file);
				next_pos = txn_pos;
				in_txn = 0;
			}
			bl_tables_clear(&bl);
			rc = start_dump(m, cur_file, next_pos, gtid);
			if (rc == 0) {
				unsigned long long before = st_events;
				rc = stream(m);
				/* once the server has said where the set starts
				 * (its first ROTATE), reconnections go by file and
				 * position */
				if (gtid && *cur_file)
					gtid = NULL;
				if (st_events > before) {
					failing_since = 0;
					backoff = 100;
				}
			}
			mysql_close(m);
			if (rc != EX_TEMPFAIL)
				return rc;
		}
		if (stop)
			return 0;
		if (!failing_since)
			failing_since = mono_ms();
		else if (mono_ms() - failing_since > o_retry_ms) {
			weprintf("server unreachable for %lld s: giving up",
			    o_retry_ms / 1000);
			return EX_UNAVAILABLE;
		}
		st_reconnects++;
		if (o_verbose)
			weprintf("reconnecting in %lld ms at %s:%llu", backoff,
			    cur_file, next_pos);
		struct timespec ts = { backoff / 1000, backoff % 1000 * 1000000 };
		nanosleep(&ts, NULL);
		backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
	}
}

static void
resume_from(const char *path, char *file, size_t fl, unsigned long long *pos,
    int *have, int *snap_done)
{
	struct ckpt c;
	char err[256];
	char *stream_name = xasprintf("mysql:%s", o_name);

	if (ckpt_open(&c, path, "binlog2jsonl", err, sizeof err) < 0)
		die(EX_CONFIG, "%s: %s", path, err);
	json_t *p = ckpt_get(&c, stream_name);
	*have = 0;
	if (p) {
		const char *f = json_string_value(json_object_get(p, "file"));
		json_t *jp = json_object_get(p, "pos"), *jr = json_object_get(p, "row");
		const char *snap = json_string_value(json_object_get(p, "snapshot"));
		if (!f || !json_is_integer(jp))
			die(EX_CONFIG, "%s: stream %s: no file and pos", path,
			    stream_name);
		snprintf(file, fl, "%s", f);
		*pos = (unsigned long long)json_integer_value(jp);
		*have = 1;
		*snap_done = !snap || strcmp(snap, "true") != 0;
		if (snap && !strcmp(snap, "true"))
			*have = 0;	/* the snapshot did not finish */
		else if (!snap || strcmp(snap, "last") != 0) {
			snprintf(skip_file, sizeof skip_file, "%s", f);
			skip_pos = *pos;
			skip_row = json_is_integer(jr) ? json_integer_value(jr) : -1;
		}
	}
	free(stream_name);
	ckpt_close(&c);
}

int
main(int argc, char **argv)
{
	enum { OPT_DEFAULTS_FILE = 256, OPT_GROUP, OPT_SNAPSHOT, OPT_RESUME,
	    OPT_START, OPT_START_GTID, OPT_COMPAT, OPT_UNWRAP, OPT_TXN,
	    OPT_SERVER_ID, OPT_HEARTBEAT, OPT_RETRY, OPT_STATS, OPT_STATS_FILE,
	    OPT_UNBUFFERED, OPT_SCHEMAS, OPT_HELP, OPT_VERSION };
	static const struct option longopts[] = {
		{ "compat", required_argument, NULL, OPT_COMPAT },
		{ "defaults-file", required_argument, NULL, OPT_DEFAULTS_FILE },
		{ "defaults-group", required_argument, NULL, OPT_GROUP },
		{ "exclude", required_argument, NULL, 'x' },
		{ "exit-at-end", no_argument, NULL, 'e' },
		{ "heartbeat", required_argument, NULL, OPT_HEARTBEAT },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "host", required_argument, NULL, 'h' },
		{ "name", required_argument, NULL, 'n' },
		{ "port", required_argument, NULL, 'P' },
		{ "resume", required_argument, NULL, OPT_RESUME },
		{ "retry-time", required_argument, NULL, OPT_RETRY },
		{ "server-id", required_argument, NULL, OPT_SERVER_ID },
		{ "schemas", no_argument, NULL, OPT_SCHEMAS },
		{ "snapshot", required_argument, NULL, OPT_SNAPSHOT },
		{ "socket", required_argument, NULL, 'S' },
		{ "start", required_argument, NULL, OPT_START },
		{ "start-gtid", required_argument, NULL, OPT_START_GTID },
		{ "stats", required_argument, NULL, OPT_STATS },
		{ "stats-file", required_argument, NULL, OPT_STATS_FILE },
		{ "tables", required_argument, NULL, 't' },
		{ "transactions", no_argument, NULL, OPT_TXN },
		{ "unbuffered", no_argument, NULL, OPT_UNBUFFERED },
		{ "unwrap", no_argument, NULL, OPT_UNWRAP },
		{ "user", required_argument, NULL, 'u' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	int ch;
	long long v;

	setprogname(argv[0]);
	while ((ch = getopt_long(argc, argv, "eh:n:P:S:t:u:vx:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'e':
			o_exit_at_end = 1;
			break;
		case 'h':
			o_host = optarg;
			break;
		case 'n':
			o_name = optarg;
			break;
		case 'P':
			if ((v = parse_count(optarg)) <= 0 || v > 65535) {
				weprintf("bad port: %s", optarg);
				usage();
				return EX_USAGE;
			}
			o_port = (unsigned)v;
			break;
		case 'S':
			o_socket = optarg;
			break;
		case 't':
			o_tables = split_list(optarg, &o_ntables);
			break;
		case 'u':
			o_user = optarg;
			break;
		case 'v':
			o_verbose = 1;
			break;
		case 'x':
			o_exclude = split_list(optarg, &o_nexclude);
			break;
		case OPT_COMPAT:
			if (!strcmp(optarg, "debezium"))
				o_enc = MY_ENC_DEBEZIUM;
			else if (!strcmp(optarg, "plain"))
				o_enc = MY_ENC_PLAIN;
			else {
				weprintf("--compat: debezium or plain, not %s",
				    optarg);
				usage();
				return EX_USAGE;
			}
			break;
		case OPT_DEFAULTS_FILE:
			o_defaults_file = optarg;
			break;
		case OPT_GROUP:
			o_group = optarg;
			break;
		case OPT_HEARTBEAT:
			if ((o_heartbeat_ms = parse_duration_ms(optarg)) <= 0) {
				weprintf("bad --heartbeat: %s", optarg);
				usage();
				return EX_USAGE;
			}
			break;
		case OPT_RESUME:
			o_resume = optarg;
			break;
		case OPT_RETRY:
			if ((o_retry_ms = parse_duration_ms(optarg)) < 0) {
				weprintf("bad --retry-time: %s", optarg);
				usage();
				return EX_USAGE;
			}
			break;
		case OPT_SERVER_ID:
			if ((v = parse_count(optarg)) <= 0 || v > 4294967295LL) {
				weprintf("bad --server-id: %s", optarg);
				usage();
				return EX_USAGE;
			}
			o_server_id = (unsigned long)v;
			break;
		case OPT_SCHEMAS:
			o_schemas = 1;
			break;
		case OPT_SNAPSHOT:
			if (!strcmp(optarg, "initial"))
				o_snapshot = SNAP_INITIAL;
			else if (!strcmp(optarg, "never"))
				o_snapshot = SNAP_NEVER;
			else if (!strcmp(optarg, "when_needed"))
				o_snapshot = SNAP_WHEN_NEEDED;
			else if (!strcmp(optarg, "initial_only"))
				o_snapshot = SNAP_INITIAL_ONLY;
			else {
				weprintf("--snapshot: initial, never, "
				    "when_needed or initial_only, not %s", optarg);
				usage();
				return EX_USAGE;
			}
			break;
		case OPT_START:
			if (!strchr(optarg, ':')) {
				weprintf("--start: FILE:POS, not %s", optarg);
				usage();
				return EX_USAGE;
			}
			o_start = optarg;
			break;
		case OPT_START_GTID:
			o_start_gtid = optarg;
			break;
		case OPT_STATS:
			if ((o_stats_ms = parse_duration_ms(optarg)) <= 0) {
				weprintf("bad --stats: %s", optarg);
				usage();
				return EX_USAGE;
			}
			break;
		case OPT_STATS_FILE:
			o_stats_file = optarg;
			break;
		case OPT_TXN:
			o_txmeta = 1;
			break;
		case OPT_UNBUFFERED:
			o_unbuffered = 1;
			break;
		case OPT_UNWRAP:
			o_unwrap = 1;
			break;
		case OPT_HELP:
			help();
			return 0;
		case OPT_VERSION:
			printf("binlog2jsonl %s\n", TP_VERSION);
			return 0;
		default:
			usage();
			return EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if ((o_resume != NULL) + (o_start != NULL) + (o_start_gtid != NULL) > 1) {
		weprintf("--resume, --start and --start-gtid exclude each other");
		usage();
		return EX_USAGE;
	}

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = onsig;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_DFL);

	/* the records are buffered in obuf: stdio writes it as it is,
	 * without a copy into a buffer of its own */
	setvbuf(stdout, NULL, _IONBF, 0);
	pipe_widen(STDOUT_FILENO);
	atexit(out_drain_at_exit);
	bl_init(&bl);
	cdc_init(&rec, o_unwrap);
	if (o_schemas)
		source_schema();
	stats_last = mono_ms();
	int rc = 0;

	if (argc > 0) {
		for (int i = 0; i < argc && !stop && rc == 0; i++)
			rc = read_file(argv[i]);
		goto done;
	}

	if (!o_server_id)
		o_server_id = 0x7e000000UL | ((unsigned long)getpid() & 0xFFFFFF);
	if (mysql_library_init(0, NULL, NULL))
		die(EX_SOFTWARE, "mysql_library_init failed");
	for (long long t0 = mono_ms();;) {
		if ((meta = connect_server(1)) != NULL)
			break;
		if (stop)
			return 0;
		if (mono_ms() - t0 > o_retry_ms) {
			meta = connect_server(0);
			if (!meta)
				return EX_UNAVAILABLE;
			break;
		}
		struct timespec ts = { 0, 500000000 };
		nanosleep(&ts, NULL);
	}
	check_server();
	if (o_exit_at_end) {
		master_status(end_file, sizeof end_file, &end_pos);
		have_end = 1;
	}

	char file[256] = "";
	unsigned long long pos = 4;
	int have_pos = 0, snap_done = 0;
	if (o_resume)
		resume_from(o_resume, file, sizeof file, &pos, &have_pos,
		    &snap_done);
	else if (o_start) {
		const char *c = strrchr(o_start, ':');
		snprintf(file, sizeof file, "%.*s", (int)(c - o_start), o_start);
		if ((v = parse_count(c + 1)) < 4)
			die(EX_USAGE, "--start: bad position: %s", c + 1);
		pos = (unsigned long long)v;
		have_pos = 1;
	}
	if (o_start_gtid)
		have_pos = 1;
	int want_snap = !have_pos && o_snapshot != SNAP_NEVER;
	if (o_snapshot == SNAP_INITIAL_ONLY && !have_pos)
		want_snap = 1;
	if (want_snap) {
		snapshot(file, sizeof file, &pos);
		if (o_snapshot == SNAP_INITIAL_ONLY)
			goto done;
	} else if (!have_pos) {
		/* never: from the oldest binlog the server has */
		char *r[1];
		if (query_row(meta, "SHOW BINARY LOGS", r, 1) != 1)
			die(EX_UNAVAILABLE, "SHOW BINARY LOGS: no binary log");
		snprintf(file, sizeof file, "%s", r[0]);
		free(r[0]);
		pos = 4;
	}
	(void)snap_done;
	rc = run_server(file, pos, o_start_gtid);
	if (rc == EX_TEMPFAIL)
		rc = EX_UNAVAILABLE;
done:
	if (o_stats_ms || o_stats_file)
		stats(1);
	if (meta)
		mysql_close(meta);
	out_drain();
	{
		int r2 = fshut(stdout, "stdout");
		if (rc == 0)
			rc = r2;
	}
	bl_free(&bl);
	cdc_free(&rec);
	free_colkeys();
	free_schemas();
	buf_free(&obuf);
	free(keyv);
	for (size_t i = 0; i < o_ntables; i++)
		free(o_tables[i]);
	free(o_tables);
	for (size_t i = 0; i < o_nexclude; i++)
		free(o_exclude[i]);
	free(o_exclude);
	if (argc == 0)
		mysql_library_end();
	return rc;
}
