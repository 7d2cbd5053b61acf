/*
 * rules: libFuzzer target for the rules language's lexer and parser
 * (lib/rules). The input is a rules file; a parse either succeeds (and the
 * rules are freed) or fails with a FILE:LINE:COL message.
 */
#include "rules.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct rules *rs;

	err[0] = 0;
	rs = rules_parse("fuzz.rules", (const char *)data, size, err,
	    sizeof err);
	if (rs == NULL) {
		if (strncmp(err, "fuzz.rules:", 11) != 0)
			abort();
		return 0;
	}
	rules_free(rs);
	return 0;
}
