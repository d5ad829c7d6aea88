/*
** measure.h: the AF measure and the points summary, accumulated batch by
** batch from scorer results (Alkire & Foster 2011; definitions in docs/commands.md, score).
**
** For unit i with population weight p_i (sampling weight, times its member
** count when population = "members"), over units not excluded:
** n = sum p_i, H = poor weight / n, A = mean score of the poor, M0 = H * A,
** per indicator uncensored and censored headcounts and contributions, and the
** same within each value of each group column. The distribution of scores
** (weight per distinct score) is kept too: it gives exact quantiles for points
** methodologies and every achievable k for a sweep, from the same one pass.
*/
#ifndef AF_MEASURE_H
#define AF_MEASURE_H

#include <stdint.h>
#include "score.h"

typedef struct acc {
  int64_t units, excluded, people;
  long double n, poor_w, poor_wc, score_w;
  long double *cat_w;       /* per band */
  int64_t *cat_count;
  long double *unc, *cen;   /* per indicator (NULL in group rows) */
  int64_t *missing;         /* per indicator: rule evaluated to null */
  int64_t *excl_by;         /* per indicator: units excluded by it */
  int64_t *benefit_units, *benefit_people;   /* per benefit */
} acc;

typedef struct group_row {
  int32_t value;            /* strpool id, -1 for null */
  acc a;
} group_row;

typedef struct group_set {
  const char *column;
  group_row *rows;
  int nrows, cap;
  int *slot;                /* strpool id -> row, -1 */
  int nslot;
} group_set;

typedef struct dist_entry {
  int64_t key;              /* exact numerator, or the double's bits */
  double score;
  long double w;
  int64_t count;
} dist_entry;

typedef struct measure {
  const rules *r;
  acc all;
  group_set *groups;
  int ngroups;
  dist_entry *dist;         /* open addressing; key valid where count > 0 */
  int ndist, capdist;
} measure;

measure *measure_new(const rules *r);
void measure_free(measure *ms);
/* Add the scored batch. weight: the sampling weight column or NULL (1);
** groups[g]: the text column of group g. Fails on a null, negative or
** non-finite weight, naming the unit. */
int measure_add_batch(measure *ms, const scorer *s, const batch *b, const column *weight,
                      const column *const *groups, const char *const *ids, af_err *e);

/* After the pass: order each group's rows by value (null first), so that
** reports list them alphabetically whatever order the data came in. */
void measure_sort_groups(measure *ms, const strpool *pool);

/* Derived figures of an accumulator. */
typedef struct figures {
  double n, H, A, M0;
} figures;
figures measure_figures(const acc *a);
/* The distribution sorted by ascending score (a fresh copy, caller frees). */
dist_entry *measure_sorted_dist(const measure *ms, int *n);
/* Weighted quantile q of the scores (smallest score with cumulative weight >= q n). */
double measure_quantile(const dist_entry *d, int n, double q);

#endif
