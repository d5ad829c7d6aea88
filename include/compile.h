/*
** compile.h: type-check expression rules and compile them to a program.
**
** A program is a list of vector instructions over registers: each register is
** a column of numbers with a null mask, at unit level (one value per unit of a
** batch) or at member level (one value per member row of the batch). Text is
** carried as strpool ids, booleans as 0/1. Aggregates reduce a member-level
** register to a unit-level one using the batch's member offsets. Names
** resolve, in order, to: a define of this program, a param, a column of the
** unit table; inside an aggregate first to a column of the members table
** (a unit-level value used inside an aggregate is broadcast to the members).
**
** Two special calls read unit-level result columns when the scope provides
** them (measure rules, phase 2): deprived('ind') reads unit column
** "deprived:ind" and points('ind') reads "points:ind".
*/
#ifndef AF_COMPILE_H
#define AF_COMPILE_H

#include "util.h"
#include "strpool.h"
#include "model.h"

typedef enum vtype { VT_ANY = 0, VT_NUM, VT_TEXT, VT_BOOL, VT_NULL } vtype;

typedef struct name_decl {
  const char *name;
  vtype type;
} name_decl;

/* What names mean for the rules of one program. */
typedef struct scope {
  const char *unit_table;           /* for messages: "unknown column 'x' in table families" */
  const name_decl *unit_cols;
  int nunit_cols;
  const char *member_table;         /* NULL: no members, aggregates are an error */
  const name_decl *member_cols;
  int nmember_cols;
  int open_world;                   /* no schema: unknown names are columns of type VT_ANY
                                       (unit level outside aggregates, member level inside) */
  const model_param *params;
  int nparams;
} scope;

typedef struct program program;

/* A new empty program over scope sc (copied by reference: it must outlive the
** program). Text literals are interned in pool. */
program *program_new(const scope *sc, strpool *pool);
void program_free(program *p);

/* Compile text as a rule yielding type want (VT_BOOL for conditions, VT_NUM,
** or VT_ANY for defines). If name is not NULL the rule becomes a define that
** later rules can use by that name. Returns the rule's output index (>= 0), or
** -1 with e filled ("unknown column 'x' in table persons (did you mean 'y'?)
** near 'x' at column 5") and *errcol set to the 1-based column (0 if none). */
int program_add(program *p, const char *name, const char *text, vtype want,
                af_err *e, int *errcol);

/* The type of output o (useful for defines). */
vtype program_output_type(const program *p, int o);
int program_noutputs(const program *p);

/* The columns the program reads, in first-use order: level 0 unit table,
** level 1 members table. */
int program_ninputs(const program *p, int level);
const char *program_input(const program *p, int level, int i);
vtype program_input_type(const program *p, int level, int i);

/* Map each input of the given level to its position in a batch's column list
** (names[0..n)). Fails naming the first input not found. */
int program_bind(program *p, int level, const char *const *names, int n, af_err *e);

#endif
