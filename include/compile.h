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

/* For `explain`: the parts of rule o worth showing a reviewer, as source
** text: each distinct name the rule reads at unit level (column, define,
** param, deprived('id') / points('id')) and each aggregate call
** ("sum(income)"), in first-use order. A member column that only appears
** inside an aggregate is not shown alone. The program owns the texts.
** Returns 0, or -1 when o is out of range. */
int program_rule_parts(const program *p, int o, const char *const **texts, int *n);

/* ---- The compiled form, read by the kernel (kernel.c) ----
** Registers are numbered from 0. A constant register holds one scalar and
** has no storage; an input register reads a batch column; every other
** register is written by exactly one instruction. */
typedef enum opcode {
  OP_FILL,      /* dst[i] = const a (dst level from the register) */
  OP_BCAST,     /* member dst[m] = unit a[u] for m in u's members (a may be const) */
  OP_TRUTH,     /* dst = a != 0 (a condition read from a column) */
  OP_NEG, OP_NOT, OP_ISNULL, OP_NOTNULL,
  OP_ADD, OP_SUB, OP_MUL, OP_DIV,
  OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,
  OP_AND, OP_OR,
  OP_IN,        /* dst = a in (items) */
  /* aggregates: unit dst from member a, optional member filter b (-1: none) */
  OP_ANY, OP_ALL, OP_COUNT, OP_SUM, OP_MEAN, OP_MIN, OP_MAX
} opcode;

typedef struct prog_reg {
  int level;            /* 0 unit, 1 member, -1 constant */
  int input;            /* >= 0: reads input `input` of its level */
  double cval;          /* constant value */
  unsigned char cnull;  /* constant is null */
} prog_reg;

typedef struct prog_instr {
  opcode op;
  int dst, a, b;        /* registers; a/b -1 when unused */
  int *items;           /* OP_IN: the list's registers */
  int nitems;
} prog_instr;

const prog_reg *program_regs(const program *p, int *n);
const prog_instr *program_code(const program *p, int *n);
/* The register holding output o, and the one holding part `part` of rule o
** (-1 when out of range). */
int program_output_reg(const program *p, int o);
int program_part_reg(const program *p, int o, int part);
vtype program_part_type(const program *p, int o, int part);
/* The batch column bound to input i of level (-1 before program_bind). */
int program_input_col(const program *p, int level, int i);

#endif
