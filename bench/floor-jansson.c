/*
 * floor-jansson: the floor a JSON-lines filter built on a JSON tree stands
 * on, for the benchmarks: each line is parsed into a jansson tree, printed
 * back and freed, and nothing else.
 *
 *   floor-jansson [parse] < in.jsonl > out.jsonl
 *   floor-jansson load < in.jsonl
 *   floor-jansson lookup NAME=TABLE [FIELD] < in.jsonl > out.jsonl
 *
 * load only parses and frees (nothing is printed): the floor of a filter that
 * writes little, such as detect writing alerts.
 *
 * lookup first loads TABLE (JSON lines, one row per key) into a jansson
 * object keyed by FIELD (customer_id), then adds to each line the member
 * NAME holding the row of the line's FIELD, or null: enrich's work for one
 * table of one row per key, done the plain way.
 *
 * Built by the benchmark scripts: cc -O2 -o floor-jansson floor-jansson.c -ljansson
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

static void
die(int status, const char *what)
{
	fprintf(stderr, "floor-jansson: %s\n", what);
	exit(status);
}

static json_t *
load_table(const char *path, const char *field)
{
	FILE *f = fopen(path, "r");
	json_t *t = json_object();
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (f == NULL) {
		perror(path);
		exit(EX_NOINPUT);
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		json_error_t err;
		json_t *row = json_loadb(line, (size_t)n, 0, &err);
		const char *k;

		if (row == NULL)
			die(EX_DATAERR, err.text);
		k = json_string_value(json_object_get(row, field));
		if (k != NULL)
			json_object_set_new(t, k, row);
		else
			json_decref(row);
	}
	free(line);
	fclose(f);
	return t;
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "parse", *name = NULL, *field = "customer_id";
	json_t *table = NULL;
	int print = strcmp(mode, "load") != 0;
	char *line = NULL, *eq;
	size_t cap = 0;
	ssize_t n;

	if (strcmp(mode, "lookup") == 0) {
		if (argc < 3 || (eq = strchr(argv[2], '=')) == NULL)
			die(EX_USAGE, "usage: floor-jansson lookup NAME=TABLE [FIELD]");
		*eq = '\0';
		name = argv[2];
		if (argc > 3)
			field = argv[3];
		table = load_table(eq + 1, field);
	} else if (strcmp(mode, "parse") != 0 && print)
		die(EX_USAGE, "usage: floor-jansson [parse] | load | lookup NAME=TABLE [FIELD]");

	while ((n = getline(&line, &cap, stdin)) > 0) {
		json_error_t err;
		json_t *ev = json_loadb(line, (size_t)n, 0, &err);
		char *out;

		if (ev == NULL)
			die(EX_DATAERR, err.text);
		if (table != NULL) {
			const char *k = json_string_value(json_object_get(ev, field));
			json_t *row = k != NULL ? json_object_get(table, k) : NULL;

			json_object_set(ev, name, row != NULL ? row : json_null());
		}
		if (!print) {
			json_decref(ev);
			continue;
		}
		out = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (out == NULL || fputs(out, stdout) == EOF || putchar('\n') == EOF)
			die(EX_IOERR, "write error");
		free(out);
		json_decref(ev);
	}
	free(line);
	json_decref(table);
	if (fflush(stdout) == EOF || ferror(stdout))
		die(EX_IOERR, "write error");
	return 0;
}
