/*
** transit.h: what happened to each unit between two recorded runs, from
** their unit_scores rows alone: category transitions, and support measures
** gained and lost (measures matched by id). One ordered pass over each run.
*/
#ifndef AF_TRANSIT_H
#define AF_TRANSIT_H

#include <stdint.h>
#include "model.h"
#include "store.h"

typedef struct transit {
  int na, nb;                /* bands of run A and of run B */
  /* (na + 1) x (nb + 1) counts: row = A's band index, column = B's; the last
  ** row / column counts units not scored (excluded) or absent in that run. */
  int64_t *matrix;
  int64_t only_a, only_b;    /* units recorded in one run only */
  int64_t both;              /* units recorded in both */
  /* The union of both methodologies' measures: A's in order, then B's new
  ** ones. For each: index in A and in B (-1: not there), units eligible in
  ** A and in B, units that gained it and lost it (among units in both). */
  int nbenefits;
  const char **benefit_ids;  /* borrowed from the models */
  int *ia, *ib;
  int64_t *before, *after, *gained, *lost;
} transit;

/* Compare run a (methodology ma) with run b (mb) in st. */
int transit_compute(store *st, int64_t a, const model *ma, int64_t b, const model *mb,
                    transit *t, af_err *e);
void transit_free(transit *t);
/* Count at (row, column) of the matrix. */
int64_t transit_at(const transit *t, int row, int col);

#endif
