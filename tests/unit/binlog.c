/*
 * binlog: unit tests of lib/binlog and lib/mysqltypes on real MySQL binlog
 * files (the fixtures folder is the first argument) and on hand-made
 * values. Failures on stderr, exit 1 if any.
 */
#include "binlog.h"
#include "mysqltypes.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static int failures, checks;

#define CHECK(cond) do { \
	checks++; \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
		failures++; \
	} \
} while (0)

#define CHECK_STR(got, want) do { \
	checks++; \
	if (strcmp((got), (want)) != 0) { \
		fprintf(stderr, "%s:%d: got %s, want %s\n", __FILE__, __LINE__, \
		    (got), (want)); \
		failures++; \
	} \
} while (0)

static unsigned char *
slurp(const char *path, size_t *n)
{
	FILE *fp = fopen(path, "rb");
	struct buf b;
	char tmp[8192];
	size_t k;

	if (!fp)
		die(EX_NOINPUT, "%s:", path);
	buf_init(&b);
	while ((k = fread(tmp, 1, sizeof tmp, fp)) > 0)
		buf_add(&b, tmp, k);
	fclose(fp);
	*n = b.len;
	return (unsigned char *)b.p;
}

/* Every row of a binlog file as "op table {values}" lines into out. */
struct decoded {
	struct buf rows;
	int events, nrows, unknown, compressed;
	char err[256];
};

static void
rows_of(struct binlog *b, struct bl_event *ev, struct decoded *d)
{
	struct buf v;
	size_t off[64], len[64];
	const unsigned char *p = ev->rows, *end = ev->rows + ev->rows_len;

	buf_init(&v);
	while (p < end) {
		for (int img = 0; img < (ev->op == 'u' ? 2 : 1); img++) {
			const unsigned char *pr = img ? ev->present_after : ev->present;
			if (ev->ncols > 64 || bl_row_image(b, ev, &p, pr, &v, off,
			    len, MY_ENC_PLAIN) < 0) {
				snprintf(d->err, sizeof d->err, "%s", b->err);
				buf_free(&v);
				return;
			}
			buf_printf(&d->rows, "%c %s.%s", ev->op, ev->table->db,
			    ev->table->name);
			for (uint32_t i = 0; i < ev->ncols; i++)
				if (len[i] != (size_t)-1)
					buf_printf(&d->rows, " %.*s", (int)len[i],
					    v.p + off[i]);
			buf_putc(&d->rows, '\n');
			d->nrows++;
		}
	}
	buf_free(&v);
}

static int
decode_events(struct binlog *b, const unsigned char *p, size_t n, int nested,
    struct decoded *d)
{
	size_t pos = 0;
	while (pos < n) {
		long k = bl_payload_next(p + pos, n - pos);
		struct bl_event ev;
		if (k <= 0) {
			snprintf(d->err, sizeof d->err, "bad event at %zu", pos);
			return -1;
		}
		if (bl_event(b, p + pos, k, nested, &ev) < 0) {
			snprintf(d->err, sizeof d->err, "at %zu: %s", pos, b->err);
			return -1;
		}
		d->events++;
		switch (ev.type) {
		case BL_WRITE_ROWS: case BL_UPDATE_ROWS: case BL_DELETE_ROWS:
		case BL_WRITE_ROWS_V1: case BL_UPDATE_ROWS_V1:
		case BL_DELETE_ROWS_V1:
		case BL_MARIA_WRITE_ROWS_COMPRESSED_V1:
		case BL_MARIA_UPDATE_ROWS_COMPRESSED_V1:
		case BL_MARIA_DELETE_ROWS_COMPRESSED_V1:
		case BL_MARIA_WRITE_ROWS_COMPRESSED:
		case BL_MARIA_UPDATE_ROWS_COMPRESSED:
		case BL_MARIA_DELETE_ROWS_COMPRESSED:
			d->compressed += ev.type >=
			    BL_MARIA_WRITE_ROWS_COMPRESSED_V1;
			rows_of(b, &ev, d);
			break;
		case BL_TRANSACTION_PAYLOAD: {
			size_t pl = ev.payload_len;
			unsigned char *copy = xmalloc(pl + 1);
			memcpy(copy, ev.payload, pl);
			int r = decode_events(b, copy, pl, 1, d);
			free(copy);
			if (r < 0)
				return -1;
			break;
		}
		}
		if (d->err[0])
			return -1;
		pos += k;
	}
	return 0;
}

static int
decode_file(const char *dir, const char *name, struct decoded *d)
{
	char *path = xasprintf("%s/%s", dir, name);
	size_t n;
	unsigned char *p = slurp(path, &n);
	struct binlog b;
	int r;

	memset(d, 0, sizeof *d);
	buf_init(&d->rows);
	bl_init(&b);
	if (n < 4 || memcmp(p, "\xfe" "bin", 4) != 0)
		r = -1;
	else
		r = decode_events(&b, p + 4, n - 4, 0, d);
	buf_putc(&d->rows, 0);
	d->rows.len--;
	if (r < 0)
		fprintf(stderr, "%s: %s\n", path, d->err);
	bl_free(&b);
	free(p);
	free(path);
	return r;
}

static int
has(const struct decoded *d, const char *s)
{
	if (strstr(d->rows.p, s))
		return 1;
	fprintf(stderr, "not in the decoded rows: %s\n", s);
	return 0;
}

static void
fixtures(const char *dir)
{
	struct decoded d;

	CHECK(decode_file(dir, "mysql-8.0/02_query/binlog.000001", &d) == 0);
	CHECK(d.nrows == 0 && d.events >= 4);
	buf_free(&d.rows);

	/* dump.txt: ### INSERT ... @1=1234567890111 @5=99.911 @11='1990:08:01' */
	CHECK(decode_file(dir, "mysql-8.0/02_query_bigger/binlog.000733", &d) == 0);
	CHECK(has(&d, "c test.LINEITEM 1234567890111 1235111 13711 888878711 "
	    "\"99.911\" \"76.11\" \"888.1\" \"109.1\" \"code\" \"Y\" "
	    "\"1990-08-01\" \"1990-06-01\" \"1990-01-01\" \"test@test.com\""));
	buf_free(&d.rows);

	CHECK(decode_file(dir, "mysql-8.0/19_30_Table_map_event_Write_rows_log_event/binlog.000018", &d) == 0);
	CHECK(has(&d, "c test.int_table 1 11 111 1111 11111 1\n"));
	buf_free(&d.rows);

	CHECK(decode_file(dir, "mysql-8.0/31_update_rows_v2/binlog.000001", &d) == 0);
	CHECK(has(&d, "u test.int_table 1 11 111 1111 11111 1\n"
	    "u test.int_table 1 22 222 1111 11111 1\n"));
	buf_free(&d.rows);

	CHECK(decode_file(dir, "mysql-8.0/32_delete_rows_v2/binlog.000001", &d) == 0);
	CHECK(has(&d, "d test.int_table 1 22 222 1111 11111 1\n"));
	buf_free(&d.rows);

	CHECK(decode_file(dir, "mysql-8.0/transaction_payload_zstd/mysql-bin.compressed", &d) == 0);
	CHECK(d.nrows >= 2);
	CHECK(has(&d, "\"Once Upon a Time in the West\" 1968 \"Italy\" \"Western\""));
	buf_free(&d.rows);

	CHECK(decode_file(dir, "mysql-5.7/mysql-bin.checksum-crc32", &d) == 0);
	CHECK(d.nrows > 0);
	CHECK(has(&d, "c simu_file_dev.folder 12300113 \"test2\" \"/\" 116103 "
	    "\"2018-05-04T08:31:59Z\""));
	int crc_rows = d.nrows;
	buf_free(&d.rows);

	CHECK(decode_file(dir, "mysql-5.7/mysql-bin.checksum-none", &d) == 0);
	CHECK(d.nrows > 0);
	CHECK(has(&d, "c account_db.account \"42b0a771-9345-4b19-b503-d51b5fff30ef\" "
	    "\"2018-10-30T18:02:09\""));
	buf_free(&d.rows);
	(void)crc_rows;

	/* a flipped byte is caught by the checksum */
	{
		char *path = xasprintf("%s/mysql-5.7/mysql-bin.checksum-crc32", dir);
		size_t n;
		unsigned char *p = slurp(path, &n);
		struct binlog b;
		memset(&d, 0, sizeof d);
		buf_init(&d.rows);
		bl_init(&b);
		p[n / 2] ^= 0x40;
		CHECK(decode_events(&b, p + 4, n - 4, 0, &d) < 0);
		CHECK(strstr(d.err, "checksum") != NULL || strstr(d.err, "bad") ||
		    strstr(d.err, "size"));
		bl_free(&b);
		buf_free(&d.rows);
		free(p);
		free(path);
	}
}

static const char *
val(const struct mycol *c, const unsigned char *p, size_t n, enum my_enc enc)
{
	static struct buf b;
	buf_reset(&b);
	if (my_value(&b, c, p, n, enc) != (long)n)
		return "(error)";
	return buf_cstr(&b);
}

static void
values(void)
{
	struct mycol c;

	memset(&c, 0, sizeof c);
	c.type = MYT_LONGLONG;
	c.is_unsigned = 1;
	CHECK_STR(val(&c, (const unsigned char *)"\xff\xff\xff\xff\xff\xff\xff\xff",
	    8, MY_ENC_PLAIN), "18446744073709551615");
	c.is_unsigned = 0;
	CHECK_STR(val(&c, (const unsigned char *)"\0\0\0\0\0\0\0\x80", 8,
	    MY_ENC_PLAIN), "-9223372036854775808");

	/* TIME2(0) -838:59:59 */
	c.type = MYT_TIME2;
	c.meta = 0;
	CHECK_STR(val(&c, (const unsigned char *)"\x4b\x91\x05", 3, MY_ENC_PLAIN),
	    "\"-838:59:59\"");
	CHECK_STR(val(&c, (const unsigned char *)"\x4b\x91\x05", 3,
	    MY_ENC_DEBEZIUM), "-3020399000000");
	/* TIME2(0) 00:00:00 */
	CHECK_STR(val(&c, (const unsigned char *)"\x80\x00\x00", 3, MY_ENC_PLAIN),
	    "\"00:00:00\"");

	/* DATETIME2(0) 2026-11-25 12:00:00 */
	{
		unsigned long long ym = 2026ULL * 13 + 11, ymd = ym << 5 | 25;
		unsigned long long hms = 12ULL << 12;
		unsigned long long v = (ymd << 17 | hms) + 0x8000000000ULL;
		unsigned char b[5];
		for (int i = 0; i < 5; i++)
			b[i] = v >> (8 * (4 - i)) & 0xFF;
		c.type = MYT_DATETIME2;
		c.meta = 0;
		CHECK_STR(val(&c, b, 5, MY_ENC_PLAIN), "\"2026-11-25T12:00:00\"");
		CHECK_STR(val(&c, b, 5, MY_ENC_DEBEZIUM), "1795608000000");
	}

	/* DECIMAL(5,2) -123.45 and 0.00 */
	{
		c.type = MYT_NEWDECIMAL;
		c.meta = 5 << 8 | 2;
		/* intg 3 -> 2 bytes 123, frac 2 -> 1 byte 45 */
		unsigned char pos[3] = { 0x80 | 0, 123, 45 };
		unsigned char neg[3];
		for (int i = 0; i < 3; i++)
			neg[i] = ~pos[i];
		CHECK_STR(val(&c, pos, 3, MY_ENC_PLAIN), "\"123.45\"");
		CHECK_STR(val(&c, neg, 3, MY_ENC_PLAIN), "\"-123.45\"");
		unsigned char zero[3] = { 0x80, 0, 0 };
		CHECK_STR(val(&c, zero, 3, MY_ENC_PLAIN), "\"0.00\"");
		/* Debezium: unscaled 12345 = 0x3039, -12345 = 0xCFC7 */
		CHECK_STR(val(&c, pos, 3, MY_ENC_DEBEZIUM), "\"MDk=\"");
		CHECK_STR(val(&c, neg, 3, MY_ENC_DEBEZIUM), "\"z8c=\"");
	}

	/* MySQL binary JSON {"a":1} and [true,"x"] */
	{
		struct buf b;
		buf_init(&b);
		static const unsigned char obj[] = { 0x00, 1, 0, 12, 0, 11, 0, 1, 0,
		    0x05, 1, 0, 'a' };
		CHECK(my_json_binary(&b, obj, sizeof obj) == 0);
		CHECK_STR(buf_cstr(&b), "{\"a\":1}");
		buf_reset(&b);
		/* array: count 2, size; entries (type, off/inline 2 bytes) */
		static const unsigned char arr[] = { 0x02, 2, 0, 12, 0,
		    0x04, 1, 0, 0x0c, 10, 0, 1, 'x' };
		CHECK(my_json_binary(&b, arr, sizeof arr) == 0);
		CHECK_STR(buf_cstr(&b), "[true,\"x\"]");
		buf_reset(&b);
		CHECK(my_json_binary(&b, arr, 6) < 0);	/* truncated */
		buf_free(&b);
	}

	/* latin1 to UTF-8 */
	{
		struct buf b;
		buf_init(&b);
		my_json_text(&b, (const unsigned char *)"\xc5ngstr\xf6m \x80", 10, 8);
		CHECK_STR(buf_cstr(&b), "\"Ångström €\"");
		buf_free(&b);
	}
	CHECK(bl_crc32((const unsigned char *)"123456789", 9) == 0xCBF43926);
}

/*
 * A MariaDB 10.11 binlog recorded here (tests/data/binlog; its
 * mariadb-binlog -v is beside it), CRC32, FULL row metadata:
 *
 *   CREATE TABLE t (id INT UNSIGNED PRIMARY KEY, big BIGINT,
 *     name VARCHAR(40), amount DECIMAL(12,3), born DATE, seen DATETIME(3),
 *     at TIMESTAMP(6) NULL, dur TIME(2), yr YEAR, kind ENUM("a","bb","ccc"),
 *     opts SET("x","y","z"), bits BIT(10), f FLOAT, d DOUBLE, blb BLOB,
 *     doc JSON, ch CHAR(3) CHARACTER SET latin1, tiny TINYINT,
 *     small SMALLINT UNSIGNED, med MEDIUMINT);
 *   INSERT INTO t VALUES (1, -9223372036854775808, "Ångström", -123.456,
 *     "2026-12-01", "2026-12-01 10:11:12.345", "2026-12-01 10:11:12.123456",
 *     "-838:59:59.00", 2026, "bb", "x,z", 0b1010101010, 1.5, -2.25e100,
 *     0x00ff10, '{"a":[1,2,{"b":null}]}', "é", -128, 65535, -8388608);
 *   INSERT INTO t (id, name) VALUES (2, NULL), (3, "three");
 *   UPDATE t SET name = "two", amount = 0.5 WHERE id = 2;
 *   DELETE FROM t WHERE id = 3;
 *   -- then with log_bin_compress=ON (compressed rows events):
 *   INSERT INTO t (id, name, doc) VALUES (4, REPEAT("compressed ", 3),
 *     "[true,false,1.25]");
 *   UPDATE t SET name = "four" WHERE id = 4;
 *   DELETE FROM t WHERE id = 4;
 *   -- and after ALTER TABLE t ADD COLUMN extra INT:
 *   INSERT INTO t (id, extra) VALUES (5, 42);
 */
static void
mariadb(const char *dir)
{
	struct decoded d;
	static const char nulls18[] = " null null null null null null null null"
	    " null null null null null null null null null null";

	CHECK(decode_file(dir, "mariadb-10.11.binlog", &d) == 0);
	if (getenv("BINLOG_UNIT_SHOW"))
		fputs(d.rows.p, stderr);
	CHECK(d.compressed == 3);
	CHECK(d.nrows == 11);
	/* MariaDB keeps JSON as text: a string column holding it */
	CHECK(has(&d, "c shop.t 1 -9223372036854775808 \"Ångström\" "
	    "\"-123.456\" \"2026-12-01\" \"2026-12-01T10:11:12.345\" "
	    "\"2026-12-01T10:11:12.123456Z\" \"-838:59:59.00\" 2026 \"bb\" "
	    "\"x,z\" 682 1.5 -2.25e+100 \"AP8Q\" "));
	CHECK(has(&d, "\"{\\\"a\\\":[1,2,{\\\"b\\\":null}]}\" \"é\" -128 "
	    "65535 -8388608\n"));
	char *want = xasprintf("c shop.t 2 null%s\n", nulls18);
	CHECK(has(&d, want));
	free(want);
	CHECK(has(&d, "c shop.t 3 null \"three\""));
	CHECK(has(&d, "u shop.t 2 null null null"));
	CHECK(has(&d, "u shop.t 2 null \"two\" \"0.500\""));
	CHECK(has(&d, "d shop.t 3 null \"three\""));
	CHECK(has(&d, "c shop.t 4 null \"compressed compressed compressed \""));
	CHECK(has(&d, "u shop.t 4 null \"four\""));
	CHECK(has(&d, "d shop.t 4 null \"four\""));
	CHECK(has(&d, " 42\n"));
	buf_free(&d.rows);
}

int
main(int argc, char **argv)
{
	setprogname(argv[0]);
	if (argc != 3)
		die(EX_USAGE, "usage: binlog FIXTURES-DIR DATA-DIR");
	values();
	fixtures(argv[1]);
	mariadb(argv[2]);
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
