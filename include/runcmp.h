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

typedef struct runcmp {
  const model *ma, *mb;          /* the recorded methodologies of A and B */
  int nfrom, nto;                /* bands + 1 ("(excluded)") */
  int64_t *counts;               /* nfrom x nto, rows A (best first), columns B */
  int64_t both, only_a, only_b;  /* units in both runs, in one only */
  int64_t changed, better, worse;/* category id differs (as text); direction by A's order */
  int64_t poor_lost, poor_gained;/* AF on both sides */
  int nmeasures;                 /* A's benefits, then B's that A lacks */
  char **measure_ids;            /* borrowed from the models */
  int64_t *gained, *lost;
} runcmp;

/* Compare runs a and b of st, whose methodologies ma and mb are (rebuilt from
** the records by the caller). fn (may be NULL) sees each unit of both. */
int runcmp_runs(store *st, int64_t a, int64_t b, const model *ma, const model *mb,
                runcmp_unit_fn fn, void *ctx, runcmp *out, af_err *e);
void runcmp_free(runcmp *rc);

/* Display row i / column j: the category label (best first, "(excluded)" last). */
const char *runcmp_from(const runcmp *rc, int i);
const char *runcmp_to(const runcmp *rc, int j);
int64_t runcmp_count(const runcmp *rc, int i, int j);

void runcmp_json(const runcmp *rc, json *j);
void runcmp_text(const runcmp *rc, strbuf *o);

#endif
