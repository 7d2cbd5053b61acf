/*
 * jvalid: libFuzzer target for lib/jvalid. The input is the text to
 * check; the result is checked for consistency (the value's span inside
 * the input, an object's closing brace where the header says).
 */
#include "jvalid.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jvalid v;
	const char *s = (const char *)data;
	enum jv_type t = jvalid(s, size, &v);

	if (t != v.type)
		abort();
	if (t == JV_INVALID) {
		if (v.err == NULL || v.err_off > size)
			abort();
		return 0;
	}
	if (v.start > v.end || v.end > size || v.start == v.end)
		abort();
	if (t == JV_OBJECT && (s[v.start] != '{' || s[v.end - 1] != '}'))
		abort();
	if (t == JV_ARRAY && (s[v.start] != '[' || s[v.end - 1] != ']'))
		abort();
	if (t == JV_STRING && (s[v.start] != '"' || s[v.end - 1] != '"'))
		abort();
	/* the value alone is valid too, and of the same type */
	struct jvalid w;
	if (jvalid(s + v.start, v.end - v.start, &w) != t || w.start != 0 ||
	    w.end != v.end - v.start)
		abort();
	(void)jv_type_name(t);
	return 0;
}
