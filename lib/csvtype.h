/*
 * csvtype.h: the JSON type of a CSV column, and the JSON text of a cell.
 *
 * A column is string, integer, decimal, float, boolean or timestamp. Its
 * type is declared (a schema file, or the data contract's built-in names)
 * or inferred over every cell of the column:
 *
 *   integer  every cell is -?(0|[1-9][0-9]*) with at most 15 digits
 *   decimal  every cell is an integer as above or -?(0|[1-9][0-9]*)\.[0-9]+
 *   float    every cell is one of those or a JSON number with an exponent
 *   boolean  every cell is true or false (any case)
 *   string   anything else, and a column whose cells are all empty
 *
 * Numbers are written as the text of the cell, never through a double:
 * 12.50 stays 12.50. A declared type also accepts the forms a person
 * writes (+1, 007, .5, 5., t/f, yes/no, 1/0) and writes them as canonical
 * JSON; a cell that does not fit its declared type is an error.
 */
#ifndef TP_CSVTYPE_H
#define TP_CSVTYPE_H

#include <stddef.h>

#include "buf.h"

enum ctype {
	CT_AUTO = 0,	/* not declared: inferred from the column */
	CT_STRING,
	CT_INTEGER,
	CT_DECIMAL,
	CT_FLOAT,
	CT_BOOLEAN,
	CT_TIMESTAMP,
};

/* "string", "integer", ... ("auto" for CT_AUTO). */
const char *ctype_name(enum ctype t);
/* The type named s, or -1. */
int ctype_parse(const char *s);

/*
 * The type the data contract gives a column name (identifiers and codes
 * are strings, ...), or CT_AUTO when the contract does not name it.
 */
enum ctype ctype_contract(const char *name);

/* Inference: what a cell could be, as a mask of the bits below. */
enum {
	CM_INTEGER = 1,
	CM_DECIMAL = 2,
	CM_FLOAT = 4,
	CM_BOOLEAN = 8,
	CM_ALL = 15,
};
unsigned ctype_cell_mask(const char *s, size_t n);
/*
 * The inferred type of a column, from the AND of its non-empty cells'
 * masks (mask) and whether it had any non-empty cell (seen).
 */
enum ctype ctype_infer(unsigned mask, int seen);

/*
 * Append the JSON value of a non-empty cell of type t (not CT_AUTO) to b.
 * Returns 0, or -1 when the cell does not fit the type (b unchanged).
 */
int ctype_emit(struct buf *b, enum ctype t, const char *s, size_t n);

/* 1 when s is an ISO 8601 date or date-time as the contract writes them. */
int ctype_is_timestamp(const char *s, size_t n);

#endif
