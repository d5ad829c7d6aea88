/*
** rules.h: a model's rules compiled for the kernel.
**
** Phase 1 computes the defines and every indicator case condition from the
** data. The scorer (score.h) turns those into amounts, scores and categories.
** Phase 2 computes benefit (support measure) eligibility from the data plus each unit's results,
** offered to rules as unit columns: category, score, poor (AF), and
** deprived:ID (AF) / points:ID (points) for deprived('ID') and points('ID').
** Amounts, k and band bounds are held as exact fractions over one common
** denominator (ratio.h).
*/
#ifndef AF_RULES_H
#define AF_RULES_H

#include "model.h"
#include "compile.h"
#include "ratio.h"
#include "source.h"

/* Names of the phase-2 result columns. */
#define RULES_COL_CATEGORY "category"
#define RULES_COL_SCORE "score"
#define RULES_COL_POOR "poor"

typedef struct rules {
  const model *m;
  strpool *pool;
  program *p1, *p2;       /* p2 NULL when the model has no benefits */
  int **case_out;         /* [indicator][case]: p1 output, -1 = always matches */
  int *benefit_out;       /* [benefit]: p2 output */
  int *group_out;         /* [group]: p1 output of a computed group, -1 for a column */
  int exact;              /* 1: exact fractions; 0: doubles (see rules.c) */
  int64_t L;              /* common denominator of all amounts */
  int64_t **amount_num;   /* [indicator][case]: amount * L */
  ratio k;                /* AF poverty cutoff */
  ratio *band_from;       /* per band; ignored where band_neg_inf */
  unsigned char *band_neg_inf;
  int32_t *band_text;     /* strpool id of each band id */
  /* phase-2 result columns, in the order the scorer appends them */
  name_decl *p2_cols;
  int np2_cols;
  /* scope storage */
  scope sc1, sc2;
  name_decl *ucols, *mcols;
  int nucols, nmcols;
} rules;

/* Compile m's rules. With src, names and types are checked against the schema
** (tables and columns of `unit` and `members` too); without it names are
** assumed to be columns. Errors go to d as FILE:LINE: message. */
int rules_compile(const model *m, source *src, strpool *pool, rules **out, diag_list *d);
void rules_free(rules *r);

#endif
