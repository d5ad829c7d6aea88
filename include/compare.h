/*
** compare.h: what a variant methodology changes against a base, unit by unit,
** collected during the same pass that scores both (run.h).
**
** Categories are matched by id (as text), so methodologies with different
** band sets still give a (rectangular) transition matrix; units excluded by a
** missing policy appear under the pseudo-category "(excluded)". Direction of a
** change follows the base's order of categories from best to worst.
*/
#ifndef AF_COMPARE_H
#define AF_COMPARE_H

#include <stdio.h>
#include "run.h"
#include "json.h"
#include "report.h"

typedef struct compare_group {   /* one value of one group column */
  int32_t value;
  int64_t changed, better, worse;
  int64_t *gained, *lost;        /* per benefit of the base */
} compare_group;

typedef struct compare {
  const run *rn;
  int base, var;                 /* methodology indexes in rn */
  int nfrom, nto;                /* bands + 1 for "(excluded)" */
  int64_t *counts;               /* nfrom * nto */
  int64_t units, changed, better, worse;
  int *rank_to;                  /* variant band -> base rank (best 0), or own rank */
  int *ind_map;                  /* base indicator -> variant indicator or -1 */
  int *benefit_map;              /* base benefit -> variant benefit or -1 */
  int64_t *gained, *lost;        /* per base benefit */
  compare_group **groups;        /* per base group column: rows */
  int *ngroups_rows, *cap_rows;
  int **group_slot;              /* per column: strpool id + 1 -> row */
  int *nslot;
  FILE *changes;                 /* --changes CSV, or NULL */
  const char *label;             /* first CSV column when several variants, or NULL */
  int64_t poor_only, benefits_only; /* units whose poor status / eligibility changed,
                                       category unchanged */
  strbuf rule_changes;           /* describe_diff of the two models, one line each */
  int nrule_changes;
} compare;

void compare_init(compare *c, const run *rn, int base, int var, FILE *changes);
void compare_free(compare *c);
/* Add a scored batch (both methodologies scored on it). */
int compare_batch(compare *c, const batch *b, const char *const *ids, af_err *e);
/* After the pass: group rows by value, null first (as measure_sort_groups). */
void compare_sort_groups(compare *c, const strpool *pool);
/* Write the comparison (without the two summaries) as keys of the open object j. */
void compare_json(const compare *c, json *j);
void compare_text(const compare *c, strbuf *o);
/* Header line of the --changes CSV: every unit whose category, poor status
** or eligibility changed, with its groups and the reasons (see compare.c).
** m is the base (its group columns head columns of their own). */
void compare_changes_header(FILE *f, int labelled, const model *m);

#endif
