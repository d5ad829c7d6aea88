/*
** transit.c: transitions between two recorded runs, by a merge of their
** unit_scores rows (both read in unit order), so memory does not grow with
** the population.
*/
#include "transit.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* The union of the measure ids of ma and mb. */
static void transit_benefits(transit *t, const model *ma, const model *mb) {
  int cap = ma->nbenefits + mb->nbenefits;
  t->benefit_ids = af_calloc((size_t)cap + 1, sizeof *t->benefit_ids);
  t->ia = af_calloc((size_t)cap + 1, sizeof *t->ia);
  t->ib = af_calloc((size_t)cap + 1, sizeof *t->ib);
  for (int i = 0; i < ma->nbenefits; i++) {
    t->benefit_ids[t->nbenefits] = ma->benefits[i].id;
    t->ia[t->nbenefits] = i;
    t->ib[t->nbenefits++] = -1;
  }
  for (int j = 0; j < mb->nbenefits; j++) {
    int k = 0;
    while (k < t->nbenefits && strcmp(t->benefit_ids[k], mb->benefits[j].id) != 0) k++;
    if (k == t->nbenefits) {
      t->benefit_ids[k] = mb->benefits[j].id;
      t->ia[k] = -1;
      t->nbenefits++;
    }
    t->ib[k] = j;
  }
  size_t n = (size_t)t->nbenefits + 1;
  t->before = af_calloc(n, sizeof *t->before);
  t->after = af_calloc(n, sizeof *t->after);
  t->gained = af_calloc(n, sizeof *t->gained);
  t->lost = af_calloc(n, sizeof *t->lost);
}

/* A recorded category's band index, or the "not scored" index. */
static int transit_band(const model *m, const char *cat) {
  int b = cat ? model_find_band(m, cat) : -1;
  return b >= 0 ? b : m->nbands;
}

/* Bit i of a recorded eligibility set (at most 64 measures: bits 0..63). */
static int transit_bit(int64_t set, int i) {
  assert(i < 64);
  return i >= 0 && (((uint64_t)set >> i) & 1);
}

/* One unit: ea/eb are the eligibility sets; has_a/has_b whether recorded. */
static void transit_add(transit *t, const model *ma, const char *ca, int64_t ea, int has_a,
                        const model *mb, const char *cb, int64_t eb, int has_b) {
  int r = has_a ? transit_band(ma, ca) : t->na, c = has_b ? transit_band(mb, cb) : t->nb;
  t->matrix[r * (t->nb + 1) + c]++;
  if (has_a && has_b) t->both++;
  else if (has_a) t->only_a++;
  else t->only_b++;
  for (int k = 0; k < t->nbenefits; k++) {
    int x = has_a && transit_bit(ea, t->ia[k]), y = has_b && transit_bit(eb, t->ib[k]);
    t->before[k] += x;
    t->after[k] += y;
    if (has_a && has_b) {
      t->gained[k] += !x && y;
      t->lost[k] += x && !y;
    }
  }
}

int transit_compute(store *st, int64_t a, const model *ma, int64_t b, const model *mb,
                    transit *t, af_err *e) {
  memset(t, 0, sizeof *t);
  t->na = ma->nbands;
  t->nb = mb->nbands;
  t->matrix = af_calloc((size_t)(t->na + 1) * (size_t)(t->nb + 1), sizeof *t->matrix);
  transit_benefits(t, ma, mb);
  store_iter *ia = NULL, *ib = NULL;
  if (store_iter_begin(st, a, &ia, e) < 0 || store_iter_begin(st, b, &ib, e) < 0) goto fail;
  const char *ua, *ub, *ca, *cb;
  int64_t ea, eb;
  int ra = store_iter_next(ia, &ua, NULL, NULL, &ca, &ea, e);
  int rb = store_iter_next(ib, &ub, NULL, NULL, &cb, &eb, e);
  while (ra > 0 || rb > 0) {
    /* Both sides are in the same (binary) unit order: a merge. */
    int c = ra <= 0 ? 1 : rb <= 0 ? -1 : strcmp(ua, ub);
    transit_add(t, ma, ca, ea, c <= 0, mb, cb, eb, c >= 0);
    if (c <= 0) ra = store_iter_next(ia, &ua, NULL, NULL, &ca, &ea, e);
    if (c >= 0) rb = store_iter_next(ib, &ub, NULL, NULL, &cb, &eb, e);
    if (ra < 0 || rb < 0) goto fail;
  }
  if (ra < 0 || rb < 0) goto fail;
  store_iter_end(ia);
  store_iter_end(ib);
  return 0;
fail:
  store_iter_end(ia);
  store_iter_end(ib);
  transit_free(t);
  return -1;
}

void transit_free(transit *t) {
  free(t->matrix);
  free(t->benefit_ids);
  free(t->ia);
  free(t->ib);
  free(t->before);
  free(t->after);
  free(t->gained);
  free(t->lost);
  memset(t, 0, sizeof *t);
}

int64_t transit_at(const transit *t, int row, int col) {
  assert(row >= 0 && row <= t->na && col >= 0 && col <= t->nb);
  return t->matrix[row * (t->nb + 1) + col];
}
