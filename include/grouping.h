/*
** grouping.h: groups by a computed value (a unit.groups entry { id, rule,
** bins }): per batch, the group of each unit as an interned label, in the
** same form as a text group column, so that measures, comparisons and
** inference treat both kinds alike.
**
** The rule is a phase-1 output (rules.h): a number per unit. Bins b1 < b2 <
** ... < bn cut it into labelled intervals:
**   below b1        "<b1"
**   [bi, bi+1)      "bi" when bi+1 = bi + 1, else "bi-(bi+1 - 1)" (whole bins),
**                   "bi-<bi+1" (bins with a fraction)
**   from bn         "bn+"
** e.g. bins { 1, 2, 3, 5, 8 }: "<1", "1", "2", "3-4", "5-7", "8+". Without
** bins each value is its own group, labelled by the number. A null rule
** puts the unit in the null group, as a null column value does.
*/
#ifndef AF_GROUPING_H
#define AF_GROUPING_H

#include <stddef.h>

#include "kernel.h"
#include "model.h"
#include "score.h"
#include "strpool.h"

typedef struct grouping grouping;

/* The computed groups of m (its rules r). Bin labels are interned into pool
** now, before any reader thread writes to it. */
grouping *grouping_new(const model *m, const rules *r, strpool *pool);
void grouping_free(grouping *gp);
/* 1 when a group has no bins: its labels are interned as values are met,
** so the pool must not be written by another thread during the pass. */
int grouping_interns(const grouping *gp);
/* After scorer_eval_batch(s): the labels of the batch's units. */
void grouping_eval(grouping *gp, const scorer *s);
/* Group g's labels for the last batch (g must be a computed group). */
const column *grouping_column(const grouping *gp, int g);
/* The label of interval i (0: below the first bin, i: from bins[i-1]) of a
** group with bins. */
void grouping_bin_label(const model_group_calc *gc, int i, char *buf, size_t cap);
/* The number a label starts at, for ordering a computed group's rows
** ("<1" first, then "1", "2", "3-4", ...; -HUGE_VAL for "<..."). */
double grouping_label_order(const char *label);

#endif
