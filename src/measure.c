/*
** measure.c: accumulate the measure over scored batches (see measure.h).
** Sums are long double and taken in data order, so a rerun on the same data
** gives bit-identical figures.
*/
#include "measure.h"

#include <assert.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grouping.h"

static void acc_init(acc *a, const model *m, int full) {
  memset(a, 0, sizeof *a);
  a->cat_w = af_calloc((size_t)m->nbands + 1, sizeof *a->cat_w);
  a->cat_count = af_calloc((size_t)m->nbands + 1, sizeof *a->cat_count);
  a->benefit_units = af_calloc((size_t)m->nbenefits + 1, sizeof *a->benefit_units);
  a->benefit_people = af_calloc((size_t)m->nbenefits + 1, sizeof *a->benefit_people);
  if (!full) return;
  a->unc = af_calloc((size_t)m->ninds + 1, sizeof *a->unc);
  a->cen = af_calloc((size_t)m->ninds + 1, sizeof *a->cen);
  a->missing = af_calloc((size_t)m->ninds + 1, sizeof *a->missing);
  a->excl_by = af_calloc((size_t)m->ninds + 1, sizeof *a->excl_by);
}

static void acc_free(acc *a) {
  free(a->cat_w);
  free(a->cat_count);
  free(a->benefit_units);
  free(a->benefit_people);
  free(a->unc);
  free(a->cen);
  free(a->missing);
  free(a->excl_by);
}

measure *measure_new(const rules *r) {
  const model *m = r->m;
  measure *ms = af_calloc(1, sizeof *ms);
  ms->r = r;
  acc_init(&ms->all, m, 1);
  ms->ngroups = m->ngroups;
  ms->groups = af_calloc((size_t)m->ngroups + 1, sizeof *ms->groups);
  for (int g = 0; g < m->ngroups; g++) ms->groups[g].column = m->groups[g];
  ms->capdist = 1024;
  ms->dist = af_calloc((size_t)ms->capdist, sizeof *ms->dist);
  return ms;
}

void measure_free(measure *ms) {
  if (!ms) return;
  acc_free(&ms->all);
  for (int g = 0; g < ms->ngroups; g++) {
    for (int i = 0; i < ms->groups[g].nrows; i++) acc_free(&ms->groups[g].rows[i].a);
    free(ms->groups[g].rows);
    free(ms->groups[g].slot);
  }
  free(ms->groups);
  free(ms->dist);
  free(ms);
}

/* ---- the distribution of scores ---- */

/* Open addressing in a table at most half full (dist_add), so the probe ends. */
static dist_entry *dist_slot(dist_entry *d, int cap, int64_t key) {
  assert(cap > 0 && (cap & (cap - 1)) == 0);
  uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15ull;
  int i = (int)(h >> 40) & (cap - 1);
  while (d[i].count > 0 && d[i].key != key) i = (i + 1) & (cap - 1);
  return &d[i];
}

static void dist_add(measure *ms, int64_t key, double score, long double w) {
  if ((ms->ndist + 1) * 2 > ms->capdist) {
    int cap = ms->capdist * 2;
    dist_entry *nd = af_calloc((size_t)cap, sizeof *nd);
    for (int i = 0; i < ms->capdist; i++)
      if (ms->dist[i].count > 0) *dist_slot(nd, cap, ms->dist[i].key) = ms->dist[i];
    free(ms->dist);
    ms->dist = nd;
    ms->capdist = cap;
  }
  assert((ms->ndist + 1) * 2 <= ms->capdist);
  dist_entry *e = dist_slot(ms->dist, ms->capdist, key);
  if (e->count == 0) {
    e->key = key;
    e->score = score;
    ms->ndist++;
  }
  e->w += w;
  e->count++;
}

static int cmp_dist(const void *a, const void *b) {
  double x = ((const dist_entry *)a)->score, y = ((const dist_entry *)b)->score;
  return x < y ? -1 : x > y;
}

dist_entry *measure_sorted_dist(const measure *ms, int *n) {
  dist_entry *v = af_malloc(sizeof *v * (size_t)(ms->ndist + 1));
  int k = 0;
  for (int i = 0; i < ms->capdist; i++)
    if (ms->dist[i].count > 0) v[k++] = ms->dist[i];
  qsort(v, (size_t)k, sizeof *v, cmp_dist);
  *n = k;
  return v;
}

double measure_quantile(const dist_entry *d, int n, double q) {
  assert(q >= 0 && q <= 1 && n >= 0);
  long double total = 0, cum = 0;
  for (int i = 0; i < n; i++) total += d[i].w;
  if (n == 0 || total <= 0) return NAN;
  /* q is a decimal like 0.1, a hair above 1/10 in binary: without the
  ** tolerance p10 of 10 units would be the 2nd score, not the 1st. */
  long double target = (long double)q * total * (1 - 1e-12L);
  for (int i = 0; i < n; i++) {
    cum += d[i].w;
    if (cum >= target) return d[i].score;
  }
  return d[n - 1].score;
}

/* ---- groups ---- */

static acc *group_acc(measure *ms, int g, int32_t value) {
  assert(g >= 0 && g < ms->ngroups && value >= -1);
  group_set *gs = &ms->groups[g];
  int key = value + 1;    /* null (-1) gets slot 0 */
  if (key >= gs->nslot) {
    int n = gs->nslot ? gs->nslot : 64;
    while (n <= key) n *= 2;
    gs->slot = af_realloc(gs->slot, sizeof *gs->slot * (size_t)n);
    for (int i = gs->nslot; i < n; i++) gs->slot[i] = -1;
    gs->nslot = n;
  }
  if (gs->slot[key] < 0) {
    af_grow(&gs->rows, &gs->cap, gs->nrows + 1, sizeof *gs->rows);
    group_row *row = &gs->rows[gs->nrows];
    row->value = value;
    acc_init(&row->a, ms->r->m, 0);
    gs->slot[key] = gs->nrows++;
  }
  return &gs->rows[gs->slot[key]].a;
}

/* ---- accumulation ---- */

/* Add unit u (weight p, members people) to a. */
static void acc_add(acc *a, const scorer *s, int u, long double p, int64_t people, int full) {
  const model *m = s->r->m;
  int ni = m->ninds;
  a->units++;
  if (s->excluded[u]) {
    a->excluded++;
    if (full)
      for (int i = 0; i < ni; i++)
        if (scorer_isnull(s, u, i)) {
          a->missing[i]++;
          if (m->inds[i].missing == MISSING_EXCLUDE) a->excl_by[i]++;
        }
    return;
  }
  long double c = s->score[u];
  a->people += people;
  a->n += p;
  a->score_w += p * c;
  a->cat_w[s->band[u]] += p;
  a->cat_count[s->band[u]]++;
  if (s->poor[u]) {
    a->poor_w += p;
    a->poor_wc += p * c;
  }
  for (int j = 0; j < m->nbenefits; j++)
    if (s->eligible[u] >> j & 1) {
      a->benefit_units[j]++;
      a->benefit_people[j] += people;
    }
  if (!full) return;
  for (int i = 0; i < ni; i++) {
    if (scorer_isnull(s, u, i)) a->missing[i]++;
    if (scorer_case(s, u, i) < 0) continue;
    long double amt = m->scoring == SCORING_AF ? 1.0L : (long double)scorer_amount(s, u, i);
    a->unc[i] += p * amt;
    if (s->poor[u]) a->cen[i] += p * amt;
  }
}

int measure_add_batch(measure *ms, const scorer *s, const batch *b, const column *weight,
                      const column *const *groups, const char *const *ids, af_err *e) {
  const model *m = ms->r->m;
  for (int u = 0; u < b->nunits; u++) {
    long double p = 1;
    if (weight) {
      if (weight->null[u] || !isfinite(weight->v[u]) || weight->v[u] < 0)
        return af_fail(e, "unit '%s': sampling weight %s is %s; weights must be numbers >= 0",
                       ids ? ids[u] : "?", m->unit_weight,
                       weight->null[u] ? "null" : "negative or not finite");
      p = weight->v[u];
    }
    int64_t people = b->mstart[u + 1] - b->mstart[u];
    if (m->population_members) p *= (long double)people;
    acc_add(&ms->all, s, u, p, people, 1);
    for (int g = 0; g < ms->ngroups; g++) {
      const column *gc = groups[g];
      int32_t v = gc->null[u] ? -1 : (int32_t)gc->v[u];
      acc_add(group_acc(ms, g, v), s, u, p, people, 0);
    }
    if (!s->excluded[u]) {
      int64_t key;
      if (ms->r->exact) key = s->score_num[u];
      else memcpy(&key, &s->score[u], sizeof key);
      dist_add(ms, key, s->score[u], p);
    }
  }
  return 0;
}

figures measure_figures(const acc *a) {
  figures f;
  f.n = (double)a->n;
  f.H = a->n > 0 ? (double)(a->poor_w / a->n) : 0;
  f.A = a->poor_w > 0 ? (double)(a->poor_wc / a->poor_w) : 0;
  f.M0 = a->n > 0 ? (double)(a->poor_wc / a->n) : 0;
  return f;
}

/* Null first, then by text (bytes); a computed group's labels by the
** number they start at ("<1", "1", "2", "3-4", ..., "8+"; grouping.h). */
static int label_cmp(const strpool *pool, int32_t a, int32_t b, int numeric) {
  if (a < 0 || b < 0) return (a >= 0) - (b >= 0);
  const char *x = strpool_get(pool, a), *y = strpool_get(pool, b);
  if (numeric) {
    double p = grouping_label_order(x), q = grouping_label_order(y);
    if (p != q) return p < q ? -1 : 1;
  }
  return strcmp(x, y);
}

void measure_sort_groups(measure *ms, const strpool *pool) {
  for (int g = 0; g < ms->ngroups; g++) {
    group_set *gs = &ms->groups[g];
    int numeric = model_group_rule(ms->r->m, g) != NULL;
    /* Insertion sort: a group column has few values, and the order is stable. */
    for (int i = 1; i < gs->nrows; i++) {
      group_row x = gs->rows[i];
      int j = i - 1;
      while (j >= 0 && label_cmp(pool, gs->rows[j].value, x.value, numeric) > 0) {
        gs->rows[j + 1] = gs->rows[j];
        j--;
      }
      gs->rows[j + 1] = x;
    }
    /* The id -> row map is stale now; no unit is added after the pass. */
    free(gs->slot);
    gs->slot = NULL;
    gs->nslot = 0;
  }
}
