/*
** score.h: turn kernel outputs into each unit's result.
**
** For every unit of a batch and every indicator, the first case whose
** condition holds gives the indicator's amount (AF: deprived -> weight;
** points: the case's points). A null condition follows the indicator's
** missing policy: exclude the unit, count the case as holding ("deprived"),
** or as not holding ("not_deprived"). The score is the exact sum of amounts;
** the category is the last band whose lower bound the score reaches; an AF
** unit is poor when its score reaches k. Phase-2 rules (benefits: support
** measures) then see
** these results as columns.
*/
#ifndef AF_SCORE_H
#define AF_SCORE_H

#include <assert.h>
#include <stdint.h>
#include "rules.h"
#include "kernel.h"

#define SCORE_NONE (-1)      /* no case matched: amount 0 (AF: not deprived) */

typedef struct scorer {
  const rules *r;
  kernel *k1, *k2;
  int nunits;               /* of the last batch */
  /* per unit of the last batch */
  int64_t *score_num;       /* exact score * L (exact mode) */
  double *score;            /* score as a double (NaN when excluded) */
  int *band;                /* band index, -1 when excluded */
  unsigned char *poor;      /* AF: score >= k */
  unsigned char *excluded;  /* left out by a missing policy */
  uint64_t *eligible;       /* bit i: benefit i */
  int nonfinite;            /* first unit whose total is not finite, or -1 */
  /* per unit x indicator (u * ninds + i) */
  int16_t *matched;         /* case index or SCORE_NONE */
  unsigned char *isnull;    /* the indicator's rule evaluated to null */
  /* phase-2 batch: the data columns plus the result columns */
  batch b2;
  column *rescols;
  const column **case_cols; /* scratch: an indicator's case columns, as many as its cases */
} scorer;

scorer *scorer_new(const rules *r);
void scorer_free(scorer *s);
/* Bind the programs to a batch layout (the data source's column names). */
int scorer_bind(scorer *s, const char *const *unames, int nu, const char *const *mnames,
                int nm, af_err *e);
void scorer_eval_batch(scorer *s, const batch *b);
/* Unit u of the last batch and indicator i: the case that holds (or
** SCORE_NONE), and whether the indicator's rule was null. */
static inline int scorer_case(const scorer *s, int u, int i) {
  assert(u >= 0 && u < s->nunits && i >= 0 && i < s->r->m->ninds);
  return s->matched[(size_t)u * (size_t)s->r->m->ninds + (size_t)i];
}
static inline int scorer_isnull(const scorer *s, int u, int i) {
  assert(u >= 0 && u < s->nunits && i >= 0 && i < s->r->m->ninds);
  return s->isnull[(size_t)u * (size_t)s->r->m->ninds + (size_t)i];
}
/* After scorer_eval_batch: fails when a unit's total is not a finite number
** (points of the order of 1e308 add up to infinity), naming the first such
** unit (ids[u]) and the indicators that gave it points. */
int scorer_check(const scorer *s, const char *const *ids, af_err *e);
/* The amount indicator i gives unit u, as a double. */
double scorer_amount(const scorer *s, int u, int i);
/* AF, unit u not excluded: the indicator of least weight whose flip alone
** takes u across the bound into band band(u) + dir (dir 1: becoming
** deprived in it; -1: no longer deprived), compared exactly as the band is
** decided; -1 when no single flip does or the scores are not exact. */
int scorer_lightest_flip(const scorer *s, int u, int dir);

#endif
