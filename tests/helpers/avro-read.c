/*
 * avro-read: Confluent-framed Avro read back by Avro C alone, as a check
 * on what produce writes.
 *   avro-read SCHEMA-FILE MESSAGE-FILE
 * prints the schema id of the framing, a tab, and the value in Avro's JSON
 * encoding (avro_value_to_json), or fails.
 */
#include "buf.h"

#include <avro.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main(int argc, char **argv)
{
	avro_schema_t schema;
	avro_value_iface_t *iface;
	avro_value_t v;
	avro_reader_t r;
	struct buf f[2];
	size_t slen, mlen;
	char *stext, *msg, *json, extra;
	const unsigned char *b;

	if (argc != 3) {
		fprintf(stderr, "usage: avro-read schema-file message-file\n");
		return 64;
	}
	for (int i = 0; i < 2; i++) {
		buf_init(&f[i]);
		if (buf_read_file(&f[i], argv[1 + i]) < 0) {
			fprintf(stderr, "avro-read: %s: %s\n", argv[1 + i],
			    strerror(errno));
			return 66;
		}
		buf_cstr(&f[i]);
	}
	stext = f[0].p;
	slen = f[0].len;
	msg = f[1].p;
	mlen = f[1].len;
	b = (const unsigned char *)msg;
	if (avro_schema_from_json_length(stext, slen, &schema) != 0) {
		fprintf(stderr, "avro-read: %s: %s\n", argv[1], avro_strerror());
		return 65;
	}
	if (mlen < 5 || b[0] != 0) {
		fprintf(stderr, "avro-read: %s: no Confluent framing\n", argv[2]);
		return 65;
	}
	iface = avro_generic_class_from_schema(schema);
	avro_generic_value_new(iface, &v);
	r = avro_reader_memory(msg + 5, (int64_t)(mlen - 5));
	if (avro_value_read(r, &v) != 0) {
		fprintf(stderr, "avro-read: %s: %s\n", argv[2], avro_strerror());
		return 65;
	}
	if (avro_read(r, &extra, 1) == 0) {
		fprintf(stderr, "avro-read: %s: bytes after the value\n", argv[2]);
		return 65;
	}
	if (avro_value_to_json(&v, 1, &json) != 0) {
		fprintf(stderr, "avro-read: %s\n", avro_strerror());
		return 70;
	}
	printf("%u\t%s\n", (unsigned)b[1] << 24 | (unsigned)b[2] << 16 |
	    (unsigned)b[3] << 8 | b[4], json);
	free(json);
	avro_reader_free(r);
	avro_value_decref(&v);
	avro_value_iface_decref(iface);
	avro_schema_decref(schema);
	buf_free(&f[0]);
	buf_free(&f[1]);
	return 0;
}
