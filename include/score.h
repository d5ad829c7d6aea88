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
  /* per unit x indicator (u * ninds + i) */
  int16_t *matched;         /* case index or SCORE_NONE */
  unsigned char *isnull;    /* the indicator's rule evaluated to null */
  /* phase-2 batch: the data columns plus the result columns */
  batch b2;
  column *rescols;
} scorer;

scorer *scorer_new(const rules *r);
void scorer_free(scorer *s);
/* Bind the programs to a batch layout (the data source's column names). */
int scorer_bind(scorer *s, const char *const *unames, int nu, const char *const *mnames,
                int nm, af_err *e);
void scorer_eval_batch(scorer *s, const batch *b);
/* The amount indicator i gives unit u, as a double. */
double scorer_amount(const scorer *s, int u, int i);

#endif
