/*
** kernel.h: run compiled programs over batches of columns.
**
** A batch holds up to KERNEL_BATCH units and all their member rows, as
** columns: the data source fills it, the scorer appends result columns for
** phase-2 rules. The kernel never calls SQLite or Lua.
*/
#ifndef AF_KERNEL_H
#define AF_KERNEL_H

#include "compile.h"

#define KERNEL_BATCH 4096

typedef struct column {
  double *v;            /* values: numbers, strpool ids, 0/1 */
  unsigned char *null;  /* 1 where the value is null */
} column;

typedef struct batch {
  int nunits;
  int nmembers;
  int *mstart;          /* nunits+1 offsets: members of unit u are [mstart[u], mstart[u+1]) */
  column *ucols;        /* unit-level columns, each nunits long */
  int nucols;
  column *mcols;        /* member-level columns, each nmembers long */
  int nmcols;
} batch;

typedef struct kernel kernel;

/* A kernel for p, which must be complete: add no rules to p after this. */
kernel *kernel_new(const program *p);
void kernel_free(kernel *k);
/* Evaluate every output of the program over b. The program must be bound
** (program_bind, both levels) to b's column layout first. Registers grow to
** the largest batch seen; nothing is allocated for batches no larger. An
** input left unbound reads as null. */
void kernel_eval_batch(kernel *k, const batch *b);
/* Output o of the last evaluation: nunits values, valid until the next call
** (NULL when o is out of range). An output that is just a column of the
** batch points into the batch itself. */
const column *kernel_output(const kernel *k, int o);

/* For `explain`: the value of part `part` of rule o (program_rule_parts) for
** unit `unit` of the last evaluated batch. Returns 0, or -1 when o, part or
** unit is out of range. */
int kernel_part_value(const kernel *k, int o, int part, int unit, double *v, int *isnull,
                      vtype *type);

#endif
