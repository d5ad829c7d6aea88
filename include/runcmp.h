/*
** runcmp.h: two recorded runs compared from their unit_scores rows, without
** reading any data: this month against last month, or the approved rules
** against a proposal recorded earlier (compare --out --run A --run B; the
** HTML report uses it too).
**
** Units are matched by id (a merge of the two runs in unit order). Each
** side's categories are its methodology's bands, best first, then
** "(excluded)"; measures are matched by id. Units recorded in one run only
** are counted apart, so that "changed" is over the units both runs scored.
*/
#ifndef AF_RUNCMP_H
#define AF_RUNCMP_H

#include <stddef.h>
#include <stdint.h>
#include "json.h"
#include "model.h"
#include "store.h"
#include "util.h"

/* One unit's recorded result (category NULL: excluded; poor -1: none). */
typedef struct runcmp_result {
  double score;
  int poor;
  const char *category;
  int64_t eligible;
} runcmp_result;

/* Called for every unit both runs scored, in unit order. Return 0, or -1
** with e filled to stop. */
typedef int (*runcmp_unit_fn)(void *ctx, const char *unit, const runcmp_result *a,
                              const runcmp_result *b, af_err *e);

/* One value of a group column, over the units both runs scored. */
typedef struct runcmp_gvalue {
  const char *value;             /* NULL: no value in the data */
  int64_t units, changed, better, worse;
  int64_t worst_a, worst_b;      /* in the two worst categories before (A) and after (B) */
  int64_t poor_lost, poor_gained;
  int64_t *gained, *lost;        /* per measure */
} runcmp_gvalue;

typedef struct runcmp_group {
  const char *name;
  runcmp_gvalue *values;         /* by value text, NULL last */
  int nvalues, cap;
} runcmp_group;

typedef struct runcmp {
  const model *ma, *mb;          /* the recorded methodologies of A and B */
  int nfrom, nto;                /* bands + 1 ("(excluded)") */
  int64_t *counts;               /* nfrom x nto, rows A (best first), columns B */
  int64_t only_a, only_b;        /* units recorded in one run only */
  int nmeasures;                 /* A's benefits, then B's that A lacks */
  char **measure_ids;            /* borrowed from the models */
  /* Over the units in both runs: changed = category id differs (as text),
  ** direction by A's order; poor_* where both are AF. */
  runcmp_gvalue all;
  /* By group: the group values recorded with run B (or, when B was recorded
  ** before they were kept, with run A); groups_from 0: recorded by neither. */
  char groups_from;              /* 'A', 'B' or 0 */
  runcmp_group *groups;          /* names and values borrowed from the run records */
  int ngroups;
  int32_t *gslot;                /* [g * (ncodes + 1) + code]: index into values, -1 none */
  int ncodes;
  char **gtexts;                 /* code c -> text [c - 1] */
} runcmp;

/* Compare runs a and b of st, whose methodologies ma and mb are (rebuilt from
** the records by the caller, which outlive out). fn (may be NULL) sees each
** unit of both. */
int runcmp_runs(store *st, const run_record *a, const run_record *b, const model *ma,
                const model *mb, runcmp_unit_fn fn, void *ctx, runcmp *out, af_err *e);
void runcmp_free(runcmp *rc);

/* Display row i / column j: the category label (best first, "(excluded)" last). */
const char *runcmp_from(const runcmp *rc, int i);
const char *runcmp_to(const runcmp *rc, int j);
int64_t runcmp_count(const runcmp *rc, int i, int j);

/* Is a recorded category (NULL: excluded) one of the two worst bands of m? */
int runcmp_is_worst(const model *m, const char *cat);
/* "D+E": the ids of the two worst bands of m. */
void runcmp_worst_ids(const model *m, char *out, size_t cap);

/* A transition matrix as compare and runcmp write it: "transitions":
** {"from": [...], "to": [...], "counts": [[...], ...]}. */
typedef struct runcmp_matrix {
  int nfrom, nto;
  const char *(*from)(const void *ctx, int i);
  const char *(*to)(const void *ctx, int k);
  int64_t (*count)(const void *ctx, int i, int k);
  const void *ctx;
} runcmp_matrix;
void runcmp_json_matrix(json *j, const runcmp_matrix *m);
void runcmp_json(const runcmp *rc, json *j);
void runcmp_text(const runcmp *rc, strbuf *o);

#endif
