/*
 * csvread: libFuzzer target for lib/csvread (and libcsv under it).
 *
 * Input: one byte choosing the record length limit (16 << (b % 12) bytes,
 * so that CR_MORE pieces of over-long records are reached), then the CSV
 * file, read through a memory file. Each record's fields, raw bytes and
 * offsets are checked for consistency.
 */
#include "csvread.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csvread r;
	struct csvrec rec;
	unsigned long long lastline = 0, lastend = 0;
	size_t max;
	int fd, k;

	if (size < 1)
		return 0;
	max = (size_t)16 << (data[0] % 12);
	data++;
	size--;
	if ((fd = memfd_create("csv", 0)) < 0)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	if (lseek(fd, 0, SEEK_SET) != 0)
		abort();
	csvr_init(&r, fd, max);
	while ((k = csvr_next(&r, &rec)) != CR_EOF) {
		volatile unsigned char sink = 0;

		if (k == CR_ERROR)
			abort();
		if (k == CR_ROW) {
			for (size_t i = 0; i < rec.nf; i++)
				for (size_t j = 0; j < rec.f[i].n; j++)
					sink ^= (unsigned char)rec.f[i].p[j];
		}
		for (size_t j = 0; j < rec.rawlen; j++)
			sink ^= (unsigned char)rec.raw[j];
		(void)sink;
		if (k != CR_MORE) {
			/* records come in file order, inside the file */
			if (rec.line < lastline || rec.start < lastend ||
			    rec.end < rec.start || rec.end > size)
				abort();
			lastline = rec.line;
			lastend = rec.end;
		}
	}
	csvr_free(&r);
	close(fd);
	return 0;
}
