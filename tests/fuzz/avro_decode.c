/*
 * avro_decode: libFuzzer target for lib/avrojson. The input is taken as
 * the Avro binary encoding of a value of the schema below (that of
 * tests/data/avro/cdr.avsc, every logical type) and decoded both ways.
 * What decodes must be JSON on one line, and its readable form must
 * encode again (unless a decimal has more digits than its precision) to
 * bytes that decode to the same text (unless a string was not UTF-8).
 */
#include "avrojson.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char schema[] =
    "{\"type\":\"record\",\"name\":\"Cdr\",\"namespace\":\"telco.test\",\"fields\":["
    " {\"name\":\"id\",\"type\":\"long\"},"
    " {\"name\":\"n\",\"type\":\"int\"},"
    " {\"name\":\"ok\",\"type\":\"boolean\"},"
    " {\"name\":\"ratio\",\"type\":\"double\"},"
    " {\"name\":\"f\",\"type\":\"float\"},"
    " {\"name\":\"name\",\"type\":\"string\"},"
    " {\"name\":\"note\",\"type\":[\"null\",\"string\"],\"default\":null},"
    " {\"name\":\"amount\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":12,\"scale\":2}},"
    " {\"name\":\"fx\",\"type\":{\"type\":\"fixed\",\"name\":\"Fx\",\"size\":8,\"logicalType\":\"decimal\",\"precision\":18,\"scale\":4}},"
    " {\"name\":\"day\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"}},"
    " {\"name\":\"tod\",\"type\":{\"type\":\"int\",\"logicalType\":\"time-millis\"}},"
    " {\"name\":\"todu\",\"type\":{\"type\":\"long\",\"logicalType\":\"time-micros\"}},"
    " {\"name\":\"at\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},"
    " {\"name\":\"atu\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"}},"
    " {\"name\":\"lat\",\"type\":{\"type\":\"long\",\"logicalType\":\"local-timestamp-millis\"}},"
    " {\"name\":\"kind\",\"type\":{\"type\":\"enum\",\"name\":\"Kind\",\"symbols\":[\"VOICE\",\"SMS\",\"DATA\"]}},"
    " {\"name\":\"tags\",\"type\":{\"type\":\"array\",\"items\":\"string\"}},"
    " {\"name\":\"attrs\",\"type\":{\"type\":\"map\",\"values\":\"long\"}},"
    " {\"name\":\"raw\",\"type\":\"bytes\"},"
    " {\"name\":\"cell\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"Cell\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"kind\",\"type\":\"Kind\"}]}],\"default\":null},"
    " {\"name\":\"uid\",\"type\":{\"type\":\"string\",\"logicalType\":\"uuid\"}}"
    "]}";

static void
must_be_json(const struct buf *o)
{
	json_t *j;

	if (memchr(o->p, '\n', o->len) != NULL)
		abort();
	if ((j = json_loadb(o->p, o->len, JSON_ALLOW_NUL, NULL)) == NULL)
		abort();
	json_decref(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct avsch s;
	static int loaded;
	struct buf o, bin, again;
	char err[600];
	json_t *j;

	if (!loaded) {
		if (avsch_load(&s, schema, sizeof schema - 1, err, sizeof err) < 0)
			abort();
		loaded = 1;
	}
	buf_init(&o);
	buf_init(&bin);
	buf_init(&again);
	if (avsch_decode(&s, data, size, 1, &o, err, sizeof err) == 0)
		must_be_json(&o);
	buf_reset(&o);
	if (avsch_decode(&s, data, size, 0, &o, err, sizeof err) == 0) {
		must_be_json(&o);
		j = json_loadb(o.p, o.len, JSON_ALLOW_NUL, NULL);
		if (avsch_encode(&s, j, &bin, err, sizeof err) != 0) {
			if (strstr(err, "significant digit") == NULL)
				abort();
		} else {
			if (avsch_decode(&s, bin.p, bin.len, 0, &again, err,
			    sizeof err) != 0)
				abort();
			/* strings that were not UTF-8 came out with U+FFFD,
			 * and map keys so made may have merged */
			if ((again.len != o.len || memcmp(again.p, o.p, o.len) != 0) &&
			    memmem(o.p, o.len, "\xef\xbf\xbd", 3) == NULL)
				abort();
		}
		json_decref(j);
	}
	buf_free(&o);
	buf_free(&bin);
	buf_free(&again);
	return 0;
}
