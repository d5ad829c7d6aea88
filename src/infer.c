/*
** infer.c: design-based variances by Taylor linearisation (see infer.h and
** docs/inference.md). Sums are long double and taken in data order; cells
** are visited in the order they were created, so reruns give identical bits.
*/
#include "infer.h"

#include "describe.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Components of a cell, K = 3 + 2 * ninds of them: weighted totals of 1, poor,
** poor * score, then deprived per indicator, then poor * deprived. */
enum { C_N, C_POOR, C_POORC, C_UNC0 };
#define MAXROUNDS 255
#define MAXDOMAINS (1 << 24)
#define MAXTERMS 8
#define NULL_IDS 10         /* units named per design column with nulls */

/* ---- a map from 64-bit keys to indexes (open addressing) ---- */

typedef struct keymap {
  uint64_t *key;
  int *val;                 /* -1: empty */
  int cap, n;
} keymap;

static int *keymap_slot(keymap *m, uint64_t key) {
  if ((m->n + 1) * 2 > m->cap) {
    keymap old = *m;
    m->cap = old.cap ? old.cap * 2 : 256;
    m->key = af_malloc(sizeof *m->key * (size_t)m->cap);
    m->val = af_malloc(sizeof *m->val * (size_t)m->cap);
    for (int i = 0; i < m->cap; i++) m->val[i] = -1;
    m->n = 0;
    for (int i = 0; i < old.cap; i++)
      if (old.val[i] >= 0) {
        *keymap_slot(m, old.key[i]) = old.val[i];
        m->n++;
      }
    free(old.key);
    free(old.val);
  }
  uint64_t h = key * 0x9E3779B97F4A7C15ull;
  int i = (int)(h >> 33) & (m->cap - 1);
  while (m->val[i] >= 0 && m->key[i] != key) i = (i + 1) & (m->cap - 1);
  m->key[i] = key;
  return &m->val[i];
}

/* Index of key, adding it as next (and counting it) when new. */
static int keymap_get(keymap *m, uint64_t key, int next, int *added) {
  int *v = keymap_slot(m, key);
  *added = *v < 0;
  if (*v < 0) {
    *v = next;
    m->n++;
  }
  return *v;
}

static void keymap_free(keymap *m) {
  free(m->key);
  free(m->val);
}

/* ---- the accumulator ---- */

/* The totals of a cell belong to one owner and one slice: a round, a domain
** and (for a sweep, infer_by_score) a score level. */
typedef struct slice {
  int round, domain, level;
} slice;

typedef struct cell {
  int owner;                /* PSU (PSU mode) or stratum (units as PSUs) */
  int slice;
} cell;

struct infer {
  infer_spec sp;
  double *ind_weight;
  int K, cellsize;          /* cellsize: K sums, then K(K+1)/2 products without PSUs */
  double *round, *year;
  int nrounds;
  int *dom_group;           /* per domain: group column, -1 nationally */
  int32_t *dom_value;
  int ndomains, capdom;
  int **slot, *nslot;       /* per group column: value + 1 -> domain, -1 */
  keymap strata_map, psu_map, cell_map, slice_map, level_map;
  slice *slices;
  int nslices, capslices;
  int by_score;             /* cells per score level, every unit counted as poor */
  double *level_score;      /* per level */
  int nlevels, caplevels;
  int32_t *stratum_id;      /* per stratum: interned value */
  int64_t *stratum_n;       /* per stratum: PSUs (or units) */
  int nstrata, capstrata;
  int *psu_stratum;
  int32_t *psu_id;
  int npsu, cappsu;
  cell *cells;
  int ncells, capcells;
  long double *data;
  size_t capdata;
  /* Units whose stratum, psu, round or year is null: counted through the
  ** whole pass so that infer_finish names the first few and the total. */
  int64_t nnull[4];
  strbuf null_ids[4];
  const char *null_col[4];  /* the column's name (the model outlives in) */
  int last_owner;           /* cache of the previous unit's owner */
  uint64_t last_key;
  /* scratch: a unit's nonzero components; infer_add_batch's unit */
  int *nzi;
  long double *nzv;
  int32_t *gvals;
  unsigned char *dep;
};

infer *infer_new(const infer_spec *sp) {
  infer *in = af_calloc(1, sizeof *in);
  in->sp = *sp;
  in->ind_weight = af_calloc((size_t)sp->ninds + 1, sizeof(double));
  if (sp->ninds) memcpy(in->ind_weight, sp->ind_weight, sizeof(double) * (size_t)sp->ninds);
  in->sp.ind_weight = in->ind_weight;
  in->K = C_UNC0 + 2 * sp->ninds;
  in->cellsize = sp->has_psu ? in->K : in->K + in->K * (in->K + 1) / 2;
  in->slot = af_calloc((size_t)sp->ngroups + 1, sizeof *in->slot);
  in->nslot = af_calloc((size_t)sp->ngroups + 1, sizeof *in->nslot);
  in->gvals = af_calloc((size_t)sp->ngroups + 1, sizeof *in->gvals);
  in->dep = af_calloc((size_t)sp->ninds + 1, 1);
  in->nzi = af_calloc((size_t)in->K, sizeof *in->nzi);
  in->nzv = af_calloc((size_t)in->K, sizeof *in->nzv);
  af_grow(&in->dom_group, &in->capdom, 1, sizeof *in->dom_group);
  in->dom_value = af_calloc((size_t)in->capdom, sizeof *in->dom_value);
  in->dom_group[0] = -1;
  in->dom_value[0] = -1;
  in->ndomains = 1;
  in->last_owner = -1;
  return in;
}

/* Everything in needs but in itself. */
static void infer_free_parts(infer *in) {
  for (int g = 0; g < in->sp.ngroups; g++) free(in->slot[g]);
  free(in->slot);
  free(in->nslot);
  free(in->ind_weight);
  free(in->round);
  free(in->year);
  free(in->dom_group);
  free(in->dom_value);
  keymap_free(&in->strata_map);
  keymap_free(&in->psu_map);
  keymap_free(&in->cell_map);
  free(in->stratum_id);
  free(in->stratum_n);
  free(in->psu_stratum);
  free(in->psu_id);
  free(in->cells);
  free(in->data);
  keymap_free(&in->slice_map);
  keymap_free(&in->level_map);
  free(in->slices);
  free(in->level_score);
  free(in->gvals);
  free(in->dep);
  free(in->nzi);
  free(in->nzv);
  for (int c = 0; c < 4; c++) sb_free(&in->null_ids[c]);
}

void infer_free(infer *in) {
  if (!in) return;
  infer_free_parts(in);
  free(in);
}

void infer_reset(infer *in) {
  infer *fresh = infer_new(&in->sp);   /* copies the weights before they go */
  fresh->by_score = in->by_score;
  infer_free_parts(in);
  *in = *fresh;
  free(fresh);
}

void infer_by_score(infer *in) {
  assert(in->ncells == 0 && in->nrounds == 0);
  in->by_score = 1;
}

static int domain_of(infer *in, int g, int32_t value) {
  int key = value + 1;     /* null (-1) gets slot 0 */
  if (key >= in->nslot[g]) {
    int n = in->nslot[g] ? in->nslot[g] : 64;
    while (n <= key) n *= 2;
    in->slot[g] = af_realloc(in->slot[g], sizeof **in->slot * (size_t)n);
    for (int i = in->nslot[g]; i < n; i++) in->slot[g][i] = -1;
    in->nslot[g] = n;
  }
  if (in->slot[g][key] < 0) {
    int cap = in->capdom;
    af_grow(&in->dom_group, &in->capdom, in->ndomains + 1, sizeof *in->dom_group);
    if (in->capdom != cap) {
      in->dom_value = af_realloc(in->dom_value, sizeof *in->dom_value * (size_t)in->capdom);
    }
    in->dom_group[in->ndomains] = g;
    in->dom_value[in->ndomains] = value;
    in->slot[g][key] = in->ndomains++;
  }
  return in->slot[g][key];
}

static int round_of(infer *in, const infer_unit *u, const char *id, af_err *e) {
  if (!in->sp.has_round) {
    if (in->nrounds == 0) {
      in->round = af_calloc(1, sizeof *in->round);
      in->year = af_calloc(1, sizeof *in->year);
      in->nrounds = 1;
    }
    return 0;
  }
  for (int r = 0; r < in->nrounds; r++)
    if (in->round[r] == u->round) {
      if (in->sp.has_year && in->year[r] != u->year)
        return af_fail(e, "unit '%s': year %.17g differs from %.17g, the year of other units "
                       "of round %.17g", id, u->year, in->year[r], u->round);
      return r;
    }
  if (in->nrounds == MAXROUNDS)
    return af_fail(e, "unit '%s': more than %d survey rounds", id, MAXROUNDS);
  in->round = af_realloc(in->round, sizeof *in->round * (size_t)(in->nrounds + 1));
  in->year = af_realloc(in->year, sizeof *in->year * (size_t)(in->nrounds + 1));
  in->round[in->nrounds] = u->round;
  in->year[in->nrounds] = u->year;
  return in->nrounds++;
}

static int stratum_of(infer *in, int32_t value) {
  int added;
  int h = keymap_get(&in->strata_map, (uint64_t)(uint32_t)value, in->nstrata, &added);
  if (added) {
    int cap = in->capstrata;
    af_grow(&in->stratum_id, &in->capstrata, in->nstrata + 1, sizeof *in->stratum_id);
    if (cap != in->capstrata)
      in->stratum_n = af_realloc(in->stratum_n, sizeof *in->stratum_n * (size_t)in->capstrata);
    in->stratum_id[h] = value;
    in->stratum_n[h] = 0;
    in->nstrata++;
  }
  return h;
}

/* The cell's index units' contributions go to: PSU mode, the unit's PSU
** (registered on first sight); otherwise the unit itself, counted in its
** stratum. */
static int owner_of(infer *in, const infer_unit *u) {
  int h = stratum_of(in, in->sp.has_strata ? u->stratum : 0);
  if (!in->sp.has_psu) {
    in->stratum_n[h]++;
    return h;
  }
  uint64_t key = (uint64_t)(uint32_t)h << 32 | (uint32_t)u->psu;
  if (in->last_owner >= 0 && key == in->last_key) return in->last_owner;
  int added;
  int j = keymap_get(&in->psu_map, key, in->npsu, &added);
  if (added) {
    int cap = in->cappsu;
    af_grow(&in->psu_stratum, &in->cappsu, in->npsu + 1, sizeof *in->psu_stratum);
    if (cap != in->cappsu)
      in->psu_id = af_realloc(in->psu_id, sizeof *in->psu_id * (size_t)in->cappsu);
    in->psu_stratum[j] = h;
    in->psu_id[j] = u->psu;
    in->stratum_n[h]++;
    in->npsu++;
  }
  in->last_owner = j;
  in->last_key = key;
  return j;
}

static int slice_of(infer *in, int round, int domain, int level) {
  uint64_t key = (uint64_t)round << 56 | (uint64_t)domain << 32 | (uint32_t)level;
  int added;
  int sl = keymap_get(&in->slice_map, key, in->nslices, &added);
  if (added) {
    af_grow(&in->slices, &in->capslices, in->nslices + 1, sizeof *in->slices);
    in->slices[sl] = (slice){round, domain, level};
    in->nslices++;
  }
  return sl;
}

static int level_of(infer *in, double score) {
  uint64_t bits;
  memcpy(&bits, &score, sizeof bits);
  int added;
  int l = keymap_get(&in->level_map, bits, in->nlevels, &added);
  if (added) {
    af_grow(&in->level_score, &in->caplevels, in->nlevels + 1, sizeof *in->level_score);
    in->level_score[l] = score;
    in->nlevels++;
  }
  return l;
}

static long double *cell_data(infer *in, int owner, int sl) {
  uint64_t key = (uint64_t)(uint32_t)owner << 32 | (uint32_t)sl;
  int added;
  int c = keymap_get(&in->cell_map, key, in->ncells, &added);
  if (added) {
    af_grow(&in->cells, &in->capcells, in->ncells + 1, sizeof *in->cells);
    in->cells[c] = (cell){owner, sl};
    size_t need = (size_t)(in->ncells + 1) * (size_t)in->cellsize;
    if (need > in->capdata) {
      size_t cap = in->capdata ? in->capdata * 2 : (size_t)in->cellsize * 64;
      while (cap < need) cap *= 2;
      in->data = af_realloc(in->data, sizeof *in->data * cap);
      in->capdata = cap;
    }
    memset(in->data + (size_t)c * (size_t)in->cellsize, 0,
           sizeof *in->data * (size_t)in->cellsize);
    in->ncells++;
  }
  return in->data + (size_t)c * (size_t)in->cellsize;
}

/* Index of the product of components a <= b in a cell's upper triangle. */
static int tri(int K, int a, int b) {
  assert(a <= b && b < K);
  return K + a * K - a * (a - 1) / 2 + (b - a);
}

int infer_add(infer *in, const infer_unit *u, const char *id, af_err *e) {
  if (!(u->weight > 0) || !isfinite(u->weight))
    return af_fail(e, "unit '%s': sampling weight %.17g; a survey design needs weights > 0",
                   id, u->weight);
  int r = round_of(in, u, id, e);
  if (r < 0) return -1;
  int owner = owner_of(in, u);
  if (u->excluded) return 0;   /* a PSU with no contribution, still a PSU */
  /* A sweep keeps every unit's contribution as if poor, in its score's
  ** level; the poor at k are then the levels at or above k. */
  int level = in->by_score ? level_of(in, u->score) : 0, poor = in->by_score || u->poor;
  /* The unit's nonzero components (most indicators are not deprived). */
  int nz = 0, ni = in->sp.ninds, *idx = in->nzi;
  long double *val = in->nzv, w = u->weight;
  idx[nz] = C_N, val[nz++] = w;
  if (poor) idx[nz] = C_POOR, val[nz++] = w, idx[nz] = C_POORC, val[nz++] = w * u->score;
  for (int i = 0; i < ni; i++)
    if (u->deprived[i]) idx[nz] = C_UNC0 + i, val[nz++] = w;
  for (int i = 0; i < ni && poor; i++)
    if (u->deprived[i]) idx[nz] = C_UNC0 + ni + i, val[nz++] = w;
  for (int d = -1; d < in->sp.ngroups; d++) {
    int dom = d < 0 ? 0 : domain_of(in, d, u->groups[d]);
    if (dom >= MAXDOMAINS) return af_fail(e, "more than %d group values", MAXDOMAINS);
    long double *x = cell_data(in, owner, slice_of(in, r, dom, level));
    for (int a = 0; a < nz; a++) x[idx[a]] += val[a];
    if (in->sp.has_psu) continue;
    for (int a = 0; a < nz; a++)
      for (int b = a; b < nz; b++) x[tri(in->K, idx[a], idx[b])] += val[a] * val[b];
  }
  return 0;
}

/* A unit whose design column c (stratum, psu, round, year) is null. */
static void infer_note_null(infer *in, int c, const char *name, const char *id) {
  in->null_col[c] = name;
  if (in->nnull[c]++ < NULL_IDS)
    sb_printf(&in->null_ids[c], "%s'%s'", in->null_ids[c].len ? ", " : "", id);
}

/* Fails naming, per design column with nulls, the first units and how many. */
static int check_nulls(const infer *in, af_err *e) {
  static const char *const what[] = {"stratum", "psu", "round", "year"};
  strbuf m = {0};
  for (int c = 0; c < 4; c++) {
    if (!in->nnull[c]) continue;
    sb_printf(&m, "%s%s (column %s) is null for %lld unit%s: %s", m.len ? "; " : "", what[c],
              in->null_col[c], (long long)in->nnull[c], in->nnull[c] > 1 ? "s" : "",
              in->null_ids[c].s);
    if (in->nnull[c] > NULL_IDS) sb_printf(&m, " and %lld more", (long long)in->nnull[c] - NULL_IDS);
  }
  if (!m.len) return 0;
  af_fail(e, "%s; every unit of a survey design needs one", m.s);
  sb_free(&m);
  return -1;
}

int infer_add_batch(infer *in, const scorer *s, const batch *b, const column *const *cols,
                    const char *const *ids, af_err *e) {
  const model *m = s->r->m;
  const char *names[] = {m->unit_weight, m->unit_strata, m->unit_psu, m->unit_round,
                         m->unit_year};
  int ni = m->ninds;
  for (int u = 0; u < b->nunits; u++) {
    const char *id = ids ? ids[u] : "?";
    int null = 0;
    for (int c = 1; c < 5; c++)
      if (cols[c] && cols[c]->null[u]) null = 1, infer_note_null(in, c - 1, names[c], id);
    if (null) continue;      /* infer_finish fails; the pass goes on to count them all */
    infer_unit x = {.weight = cols[0] ? cols[0]->v[u] : 1,
                    .stratum = cols[1] ? (int32_t)cols[1]->v[u] : 0,
                    .psu = cols[2] ? (int32_t)cols[2]->v[u] : 0,
                    .round = cols[3] ? cols[3]->v[u] : 0,
                    .year = cols[4] ? cols[4]->v[u] : 0,
                    .groups = in->gvals,
                    .excluded = s->excluded[u],
                    .poor = s->poor[u],
                    .score = s->score[u],
                    .deprived = in->dep};
    for (int g = 0; g < in->sp.ngroups; g++)
      in->gvals[g] = cols[5 + g]->null[u] ? -1 : (int32_t)cols[5 + g]->v[u];
    for (int i = 0; i < ni; i++) in->dep[i] = s->matched[(size_t)u * ni + i] >= 0;
    if (infer_add(in, &x, id, e) < 0) return -1;
  }
  return 0;
}

/* ---- quantiles ---- */

/* Regularised incomplete beta I_x(a, b) by its continued fraction (modified
** Lentz), accurate to about 1e-15. */
static double beta_cf(double a, double b, double x) {
  const double tiny = 1e-300;
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  if (fabs(d) < tiny) d = tiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 10000; m++) {
    double m2 = 2.0 * m;
    double an = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
    d = 1 + an * d, c = 1 + an / c;
    if (fabs(d) < tiny) d = tiny;
    if (fabs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    an = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
    d = 1 + an * d, c = 1 + an / c;
    if (fabs(d) < tiny) d = tiny;
    if (fabs(c) < tiny) c = tiny;
    d = 1 / d;
    double del = d * c;
    h *= del;
    if (fabs(del - 1) < 1e-16) break;
  }
  return h;
}

static double beta_inc(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  double lf = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
  if (x < (a + 1) / (a + b + 2)) return exp(lf) * beta_cf(a, b, x) / a;
  return 1 - exp(lf) * beta_cf(b, a, 1 - x) / b;
}

/* P(T <= t) for Student's t with df degrees of freedom. */
static double t_cdf(double t, double df) {
  double tail = 0.5 * beta_inc(df / 2, 0.5, df / (df + t * t));
  return t > 0 ? 1 - tail : tail;
}

static double t_pdf(double t, double df) {
  return exp(lgamma((df + 1) / 2) - lgamma(df / 2) - 0.5 * log(df * M_PI) -
             (df + 1) / 2 * log1p(t * t / df));
}

double infer_qnorm(double p) {
  assert(p > 0 && p < 1);
  /* Acklam's rational approximation (relative error 1.2e-9), then two Halley
  ** steps on erfc, which bring it to full double precision. */
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                             -2.759285104469687e+02, 1.383577518672690e+02,
                             -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                             -1.556989798598866e+02, 6.680131188771972e+01,
                             -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                             -2.400758277161838e+00, -2.549732539343734e+00,
                             4.374664141464968e+00, 2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                             2.445134137142996e+00, 3.754408661907416e+00};
  double x, q, r;
  if (p < 0.02425) {
    q = sqrt(-2 * log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - 0.02425) {
    q = p - 0.5;
    r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    q = sqrt(-2 * log1p(-p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  for (int i = 0; i < 2; i++) {
    double e = 0.5 * erfc(-x / M_SQRT2) - p;
    double u = e * sqrt(2 * M_PI) * exp(x * x / 2);
    x = x - u / (1 + x * u / 2);
  }
  return x;
}

double infer_qt(double p, double df) {
  assert(p > 0 && p < 1 && df >= 1);
  if (p < 0.5) return -infer_qt(1 - p, df);
  /* Newton from the normal quantile; the t quantile lies above it. */
  double x = infer_qnorm(p);
  for (int i = 0; i < 100; i++) {
    double step = (t_cdf(x, df) - p) / t_pdf(x, df);
    x -= step;
    if (fabs(step) < 1e-15 * fabs(x)) break;
  }
  return x;
}

/* ---- the figures ---- */

/* A linear form in the totals: coef times component comp of the cells whose
** slice is at a position in [lo, hi) (positions: slices ordered by round,
** domain and score level, see index_cells). A figure's linearised score is
** this form applied to each PSU's totals. */
typedef struct term {
  int lo, hi, comp;
  long double coef;
} term;

typedef struct grad {
  int n;
  term t[MAXTERMS];
} grad;

typedef struct figure {
  double b;                 /* NaN when undefined (zero denominator) */
  grad g;
} figure;

/* What infer_finish works with. */
typedef struct fin {
  const infer *in;
  int D;                    /* domains */
  int *rord;                /* sorted round -> round index */
  int *dord;                /* reported domain order -> domain index */
  int *blk_start;           /* per (round, domain): its first position */
  int *pos_slice, *slice_pos;
  int *cell_start, *cell_list;  /* cells by position, in creation order */
  long double *tot;         /* per position: the K totals */
  long double *z, *sum, *sum2;
} fin;

static int rd_of(const fin *f, int r, int d) { return r * f->D + d; }

static long double grad_variance(const fin *f, const grad *g) {
  const infer *in = f->in;
  int K = in->K;
  memset(f->sum, 0, sizeof *f->sum * (size_t)in->nstrata);
  memset(f->sum2, 0, sizeof *f->sum2 * (size_t)in->nstrata);
  if (in->sp.has_psu) memset(f->z, 0, sizeof *f->z * (size_t)in->npsu);
  for (int a = 0; a < g->n; a++) {
    const term *ta = &g->t[a];
    for (int i = f->cell_start[ta->lo]; i < f->cell_start[ta->hi]; i++) {
      int c = f->cell_list[i];
      const long double *x = in->data + (size_t)c * (size_t)in->cellsize;
      int o = in->cells[c].owner;
      if (in->sp.has_psu) {
        f->z[o] += ta->coef * x[ta->comp];
        continue;
      }
      /* Units as PSUs: sum of z and of z^2 from the cell's moments. A unit
      ** lies in one cell of the slices a form spans (one round, one value
      ** per group column, one score level; a form spans one column), so
      ** only products within a cell count. */
      f->sum[o] += ta->coef * x[ta->comp];
      int p = f->slice_pos[in->cells[c].slice];
      for (int b = a; b < g->n; b++) {
        const term *tb = &g->t[b];
        if (p < tb->lo || p >= tb->hi) continue;
        int lo = ta->comp < tb->comp ? ta->comp : tb->comp;
        int hi = ta->comp < tb->comp ? tb->comp : ta->comp;
        f->sum2[o] += (b == a ? 1 : 2) * ta->coef * tb->coef * x[tri(K, lo, hi)];
      }
    }
  }
  if (in->sp.has_psu) {
    /* Two passes: stratum means, then squared deviations from them. */
    for (int j = 0; j < in->npsu; j++) f->sum[in->psu_stratum[j]] += f->z[j];
    for (int j = 0; j < in->npsu; j++) {
      int h = in->psu_stratum[j];
      long double dev = f->z[j] - f->sum[h] / in->stratum_n[h];
      f->sum2[h] += dev * dev;
    }
  } else {
    for (int h = 0; h < in->nstrata; h++) f->sum2[h] -= f->sum[h] * f->sum[h] / in->stratum_n[h];
  }
  long double v = 0;
  for (int h = 0; h < in->nstrata; h++) {
    long double n = in->stratum_n[h];
    assert(n >= 2);
    v += n / (n - 1) * f->sum2[h];
  }
  return v > 0 ? v : 0;
}

static long double range_total(const fin *f, int lo, int hi, int comp) {
  long double t = 0;
  for (int p = lo; p < hi; p++) t += f->tot[(size_t)p * (size_t)f->in->K + comp];
  return t;
}

/* Positions [lo, hi) of a figure: all of its (round, domain), and from pk on
** the slices whose units are poor. */
typedef struct span {
  int lo, pk, hi;
} span;

/* s * Y / X, Y and X components num and den, over the span (the poor part
** for components counted among the poor): linearised, z = s (y - b x) / X. */
static figure ratio_figure(const fin *f, span sp, int num, int den, double s) {
  int poor_num = num == C_POOR || num == C_POORC || num >= C_UNC0 + f->in->sp.ninds;
  int poor_den = den == C_POOR || den == C_POORC;
  int nlo = poor_num ? sp.pk : sp.lo, dlo = poor_den ? sp.pk : sp.lo;
  long double Y = range_total(f, nlo, sp.hi, num), X = range_total(f, dlo, sp.hi, den);
  figure fg = {NAN, {0, {{0, 0, 0, 0}}}};
  if (!(X > 0)) return fg;
  long double bl = s * Y / X;
  fg.b = (double)bl;
  fg.g.n = 2;
  fg.g.t[0] = (term){nlo, sp.hi, num, s / X};
  fg.g.t[1] = (term){dlo, sp.hi, den, -bl / X};
  return fg;
}

static figure measure_figure(const fin *f, span sp, infer_measure m, int i) {
  int ni = f->in->sp.ninds;
  switch (m) {
  case INFER_H: return ratio_figure(f, sp, C_POOR, C_N, 1);
  case INFER_A: return ratio_figure(f, sp, C_POORC, C_POOR, 1);
  case INFER_M0: return ratio_figure(f, sp, C_POORC, C_N, 1);
  case INFER_HD: return ratio_figure(f, sp, C_UNC0 + i, C_N, 1);
  case INFER_HDK: return ratio_figure(f, sp, C_UNC0 + ni + i, C_N, 1);
  case INFER_ACTB: return ratio_figure(f, sp, C_UNC0 + ni + i, C_N, f->in->ind_weight[i]);
  case INFER_PCTB: return ratio_figure(f, sp, C_UNC0 + ni + i, C_POORC, f->in->ind_weight[i]);
  default: assert(0); return ratio_figure(f, sp, C_N, C_N, NAN);
  }
}

/* The span of sorted round r and domain d, poor from score k on (a sweep). */
static span span_of(const fin *f, int r, int d, double k) {
  int rd = rd_of(f, f->rord[r], d);
  span sp = {f->blk_start[rd], f->blk_start[rd], f->blk_start[rd + 1]};
  if (!f->in->by_score) return sp;
  while (sp.pk < sp.hi &&
         f->in->level_score[f->in->slices[f->pos_slice[sp.pk]].level] < k)
    sp.pk++;
  return sp;
}

/* a2 * g2 + a1 * g1 */
static grad grad_combine(const grad *g2, long double a2, const grad *g1, long double a1) {
  grad g = {0, {{0, 0, 0, 0}}};
  assert(g1->n + g2->n <= MAXTERMS);
  for (int i = 0; i < g2->n; i++) g.t[g.n] = g2->t[i], g.t[g.n++].coef *= a2;
  for (int i = 0; i < g1->n; i++) g.t[g.n] = g1->t[i], g.t[g.n++].coef *= a1;
  return g;
}

/* ---- finishing ---- */

static const strpool *sort_pool;

static int label_cmp(int32_t a, int32_t b) {
  if (a < 0 || b < 0) return (a >= 0) - (b >= 0);
  return strcmp(strpool_get(sort_pool, a), strpool_get(sort_pool, b));
}

/* Domain order: the nation, then each group column's values by their text. */
static void order_domains(fin *f, const strpool *pool) {
  const infer *in = f->in;
  int n = 0;
  f->dord = af_malloc(sizeof *f->dord * (size_t)in->ndomains);
  f->dord[n++] = 0;
  sort_pool = pool;
  for (int g = 0; g < in->sp.ngroups; g++) {
    int first = n;
    for (int d = 1; d < in->ndomains; d++) {
      if (in->dom_group[d] != g) continue;
      int j = n++;   /* insertion sort: a group column has few values */
      while (j > first && label_cmp(in->dom_value[f->dord[j - 1]], in->dom_value[d]) > 0) {
        f->dord[j] = f->dord[j - 1];
        j--;
      }
      f->dord[j] = d;
    }
  }
  assert(n == in->ndomains);
}

static void order_rounds(fin *f) {
  const infer *in = f->in;
  f->rord = af_malloc(sizeof *f->rord * (size_t)(in->nrounds + 1));
  for (int r = 0; r < in->nrounds; r++) {
    int j = r;
    while (j > 0 && in->round[f->rord[j - 1]] > in->round[r]) {
      f->rord[j] = f->rord[j - 1];
      j--;
    }
    f->rord[j] = r;
  }
}

/* Counting sort of n items by key[i] in [0, nkeys): start[k] (nkeys + 1 of
** them) and the items in key order, stable. */
static void count_sort(const int *key, int n, int nkeys, int **start, int **items) {
  *start = af_calloc((size_t)nkeys + 2, sizeof **start);
  *items = af_malloc(sizeof **items * (size_t)(n + 1));
  for (int i = 0; i < n; i++) (*start)[key[i] + 1]++;
  for (int k = 0; k < nkeys; k++) (*start)[k + 1] += (*start)[k];
  int *next = af_malloc(sizeof *next * (size_t)(nkeys + 1));
  memcpy(next, *start, sizeof *next * (size_t)(nkeys + 1));
  for (int i = 0; i < n; i++) (*items)[next[key[i]]++] = i;
  free(next);
}

/* Positions: slices by (round, domain), then by ascending score level; the
** cells by position; the totals per position. */
static void index_cells(fin *f) {
  const infer *in = f->in;
  int nrd = in->nrounds * f->D, K = in->K, ns = in->nslices;
  int *key = af_malloc(sizeof *key * (size_t)(ns + in->ncells + 1));
  for (int s = 0; s < ns; s++) key[s] = rd_of(f, in->slices[s].round, in->slices[s].domain);
  count_sort(key, ns, nrd, &f->blk_start, &f->pos_slice);
  for (int rd = 0; rd < nrd; rd++)    /* levels within a block: insertion sort */
    for (int p = f->blk_start[rd] + 1; p < f->blk_start[rd + 1]; p++) {
      int x = f->pos_slice[p], j = p;
      while (j > f->blk_start[rd] && in->level_score[in->slices[f->pos_slice[j - 1]].level] >
                                         in->level_score[in->slices[x].level]) {
        f->pos_slice[j] = f->pos_slice[j - 1];
        j--;
      }
      f->pos_slice[j] = x;
    }
  f->slice_pos = af_malloc(sizeof *f->slice_pos * (size_t)(ns + 1));
  for (int p = 0; p < ns; p++) f->slice_pos[f->pos_slice[p]] = p;
  for (int c = 0; c < in->ncells; c++) key[c] = f->slice_pos[in->cells[c].slice];
  count_sort(key, in->ncells, ns, &f->cell_start, &f->cell_list);
  free(key);
  f->tot = af_calloc((size_t)ns * (size_t)K + 1, sizeof *f->tot);
  for (int c = 0; c < in->ncells; c++) {
    const long double *x = in->data + (size_t)c * (size_t)in->cellsize;
    long double *t = f->tot + (size_t)f->slice_pos[in->cells[c].slice] * (size_t)K;
    for (int k = 0; k < K; k++) t[k] += x[k];
  }
}

static void fin_free(fin *f) {
  free(f->rord);
  free(f->dord);
  free(f->blk_start);
  free(f->pos_slice);
  free(f->slice_pos);
  free(f->cell_start);
  free(f->cell_list);
  free(f->tot);
  free(f->z);
  free(f->sum);
  free(f->sum2);
}

/* A stratum with one PSU has no variance to estimate: R's survey fails too
** (options(survey.lonely.psu = "fail"), its default). */
static int check_strata(const infer *in, const strpool *pool, af_err *e) {
  for (int h = 0; h < in->nstrata; h++) {
    if (in->stratum_n[h] >= 2) continue;
    const char *what = in->sp.has_psu ? "PSU" : "unit";
    if (in->sp.has_strata)
      return af_fail(e, "stratum '%s' has a single %s: its variance cannot be estimated "
                     "(merge it with a similar stratum; see docs/inference.md)",
                     strpool_get(pool, in->stratum_id[h]), what);
    return af_fail(e, "the sample has a single %s: no variance can be estimated", what);
  }
  return 0;
}

/* Growable lists of the result. */
typedef struct caps {
  int est, chg, pairs;
} caps;

static void add_est(infer_result *res, infer_est x, caps *cap) {
  af_grow(&res->est, &cap->est, res->nest + 1, sizeof *res->est);
  res->est[res->nest++] = x;
}

/* Logit-scale interval with Student t; none at 0 or 1. */
static void logit_interval(infer_est *x, double t) {
  x->ll = x->ul = NAN;
  if (!(x->b > 0 && x->b < 1) || !isfinite(x->se)) return;
  double h = t * x->se / (x->b * (1 - x->b)), l = log(x->b / (1 - x->b));
  x->ll = 1 / (1 + exp(-(l - h)));
  x->ul = 1 / (1 + exp(-(l + h)));
}

/* The change of kind from f1 to f2, dy years apart, or NaN b. */
static figure change_figure(const figure *f1, const figure *f2, infer_kind kind, double dy) {
  figure c = {NAN, {0, {{0, 0, 0, 0}}}};
  double b1 = f1->b, b2 = f2->b;
  if (isnan(b1) || isnan(b2)) return c;
  int annual = kind == INFER_ABSOLUTE_ANNUAL || kind == INFER_RELATIVE_ANNUAL;
  if (annual && !(dy != 0 && isfinite(dy))) return c;
  if ((kind == INFER_RELATIVE || kind == INFER_RELATIVE_ANNUAL) && !(b1 > 0)) return c;
  if (kind == INFER_RELATIVE_ANNUAL && !(b2 > 0)) return c;
  switch (kind) {
  case INFER_ABSOLUTE:
    c.b = b2 - b1;
    c.g = grad_combine(&f2->g, 1, &f1->g, -1);
    break;
  case INFER_ABSOLUTE_ANNUAL:
    c.b = (b2 - b1) / dy;
    c.g = grad_combine(&f2->g, 1 / dy, &f1->g, -1 / dy);
    break;
  case INFER_RELATIVE:
    c.b = 100 * (b2 / b1 - 1);
    c.g = grad_combine(&f2->g, 100 / b1, &f1->g, -100 * b2 / (b1 * b1));
    break;
  default: {
    /* 100 ((b2/b1)^(1/dy) - 1): d/db2 = 100/dy (b2/b1)^(1/dy - 1) / b1. */
    double q = pow(b2 / b1, 1 / dy), dq = 100 / dy * q / (b2 / b1);
    c.b = 100 * (q - 1);
    c.g = grad_combine(&f2->g, dq / b1, &f1->g, -dq * b2 / (b1 * b1));
  }
  }
  return c;
}

static void add_changes(fin *f, infer_result *res, const infer_est *x, const figure *fg,
                        double zq, caps *cap) {
  int R = f->in->nrounds;
  for (int r1 = 0; r1 < R; r1++)
    for (int r2 = r1 + 1; r2 < R; r2++)
      for (int k = 0; k < INFER_NKINDS; k++) {
        if (k >= INFER_ABSOLUTE_ANNUAL && !f->in->sp.has_year) continue;
        figure c = change_figure(&fg[r1], &fg[r2], (infer_kind)k, res->year[r2] - res->year[r1]);
        infer_change ch = {*x, r1, (infer_kind)k};
        ch.est.round = r2;
        ch.est.b = c.b;
        ch.est.se = isnan(c.b) ? NAN : (double)sqrtl(grad_variance(f, &c.g));
        ch.est.ll = ch.est.b - zq * ch.est.se;
        ch.est.ul = ch.est.b + zq * ch.est.se;
        af_grow(&res->chg, &cap->chg, res->nchg + 1, sizeof *res->chg);
        res->chg[res->nchg++] = ch;
      }
}

/* Every figure of domain d at k, per round, and the changes between rounds.
** A sweep has H, A and M0 only. */
static void finish_domain(fin *f, infer_result *res, int d, double k, double t, double zq,
                          caps *cap) {
  const infer *in = f->in;
  int R = in->nrounds, ni = in->sp.ninds;
  int nm = in->by_score ? INFER_HD : INFER_NMEASURES;
  figure *fg = af_calloc((size_t)R + 1, sizeof *fg);
  for (int m = 0; m < nm; m++) {
    int per_ind = m >= INFER_HD;
    for (int i = per_ind ? 0 : -1; i < (per_ind ? ni : 0); i++) {
      infer_est x = {(infer_measure)m, i, in->dom_group[d], in->dom_value[d], 0, k, 0, 0, 0, 0};
      for (int r = 0; r < R; r++) {
        fg[r] = measure_figure(f, span_of(f, r, d, k), (infer_measure)m, i);
        x.round = r;
        x.b = fg[r].b;
        x.se = isnan(x.b) ? NAN : (double)sqrtl(grad_variance(f, &fg[r].g));
        logit_interval(&x, t);
        add_est(res, x, cap);
      }
      add_changes(f, res, &x, fg, zq, cap);
    }
  }
  free(fg);
}

/* Sweep: every pair of values of each group column, at k in round r: the
** difference of their M0 and whether it is significant. */
static void rank_pairs(fin *f, infer_result *res, int r, double k, double zq, caps *cap) {
  const infer *in = f->in;
  for (int i = 1; i < in->ndomains; i++)
    for (int j = i + 1; j < in->ndomains; j++) {
      int a = f->dord[i], b = f->dord[j];
      if (in->dom_group[a] != in->dom_group[b]) continue;
      figure fa = measure_figure(f, span_of(f, r, a, k), INFER_M0, -1);
      figure fb = measure_figure(f, span_of(f, r, b, k), INFER_M0, -1);
      infer_pair p = {in->dom_group[a], in->dom_value[a], in->dom_value[b], r, k, NAN, NAN, 0};
      if (!isnan(fa.b) && !isnan(fb.b)) {
        grad g = grad_combine(&fa.g, 1, &fb.g, -1);
        p.diff = fa.b - fb.b;
        p.se = (double)sqrtl(grad_variance(f, &g));
        p.significant = fabs(p.diff) > zq * p.se;
      }
      af_grow(&res->pairs, &cap->pairs, res->npairs + 1, sizeof *res->pairs);
      res->pairs[res->npairs++] = p;
    }
}

int infer_finish(infer *in, const strpool *pool, double level, infer_result *res, af_err *e) {
  memset(res, 0, sizeof *res);
  assert(level > 0 && level < 1);
  if (check_nulls(in, e) < 0 || check_strata(in, pool, e) < 0) return -1;
  int64_t npsu = in->sp.has_psu ? in->npsu : 0;
  for (int h = 0; !in->sp.has_psu && h < in->nstrata; h++) npsu += in->stratum_n[h];
  if (npsu - in->nstrata < 1 || npsu > INT32_MAX)
    return af_fail(e, "%lld PSUs in %d strata leave no degrees of freedom for intervals",
                   (long long)npsu, in->nstrata);
  res->level = level;
  res->npsu = (int)npsu;
  res->nstrata = in->nstrata;
  res->df = (int)(npsu - in->nstrata);
  fin f = {.in = in, .D = in->ndomains};
  order_rounds(&f);
  order_domains(&f, pool);
  index_cells(&f);
  res->nrounds = in->nrounds;
  res->round = af_calloc((size_t)in->nrounds + 1, sizeof *res->round);
  res->year = af_calloc((size_t)in->nrounds + 1, sizeof *res->year);
  for (int r = 0; r < in->nrounds; r++) {
    res->round[r] = in->round[f.rord[r]];
    res->year[r] = in->year[f.rord[r]];
  }
  f.z = af_calloc((size_t)in->npsu + 1, sizeof *f.z);
  f.sum = af_calloc((size_t)in->nstrata + 1, sizeof *f.sum);
  f.sum2 = af_calloc((size_t)in->nstrata + 1, sizeof *f.sum2);
  double t = infer_qt(1 - (1 - level) / 2, res->df), zq = infer_qnorm(1 - (1 - level) / 2);
  caps cap = {0, 0, 0};
  res->sweep = in->by_score;
  if (!in->by_score) {
    for (int i = 0; i < in->ndomains; i++)
      finish_domain(&f, res, f.dord[i], in->sp.k, t, zq, &cap);
  } else {
    /* Every achievable k: each score some unit has, ascending. */
    double *ks = af_malloc(sizeof *ks * (size_t)(in->nlevels + 1));
    memcpy(ks, in->level_score, sizeof *ks * (size_t)in->nlevels);
    for (int i = 1; i < in->nlevels; i++)
      for (int j = i; j > 0 && ks[j - 1] > ks[j]; j--) {
        double x = ks[j];
        ks[j] = ks[j - 1], ks[j - 1] = x;
      }
    for (int q = 0; q < in->nlevels; q++) {
      if (ks[q] <= 0) continue;   /* k > 0: at 0 everyone is poor */
      for (int i = 0; i < in->ndomains; i++) finish_domain(&f, res, f.dord[i], ks[q], t, zq, &cap);
      for (int r = 0; r < in->nrounds; r++) rank_pairs(&f, res, r, ks[q], zq, &cap);
    }
    free(ks);
  }
  fin_free(&f);
  return 0;
}

void infer_result_free(infer_result *r) {
  free(r->round);
  free(r->year);
  free(r->est);
  free(r->chg);
  free(r->pairs);
  memset(r, 0, sizeof *r);
}

/* ---- rendering ---- */

static const char *const measure_names[] = {"H", "A", "M0", "hd", "hdk", "actb", "pctb"};
static const char *const kind_names[] = {"absolute", "relative", "absolute_annual",
                                         "relative_annual"};

const char *infer_measure_name(infer_measure m) { return measure_names[m]; }
const char *infer_kind_name(infer_kind k) { return kind_names[k]; }

static int has_rounds(const infer_result *r) { return r->nrounds > 1 || r->round[0] != 0; }

static void json_est_head(json *j, const infer_est *x, const strpool *pool, const model *m) {
  json_kv_str(j, "measure", measure_names[x->measure]);
  json_kv_str(j, "indicator", x->indicator >= 0 ? m->inds[x->indicator].id : NULL);
  json_key(j, "group");
  if (x->group < 0) {
    json_null(j);
    return;
  }
  json_obj(j);
  json_kv_str(j, "column", m->groups[x->group]);
  json_kv_str(j, "value", x->value >= 0 ? strpool_get(pool, x->value) : NULL);
  json_obj_end(j);
}

static void json_est_tail(json *j, const infer_est *x) {
  json_kv_num(j, "b", x->b);
  json_kv_num(j, "se", x->se);
  json_kv_num(j, "ll", x->ll);
  json_kv_num(j, "ul", x->ul);
}

void infer_json(json *j, const infer_result *r, const strpool *pool, const model *m) {
  json_key(j, "inference");
  json_obj(j);
  json_kv_num(j, "level", r->level);
  json_kv_int(j, "psu", r->npsu);
  json_kv_int(j, "strata", r->nstrata);
  json_kv_int(j, "df", r->df);
  json_obj_end(j);
  json_key(j, "estimates");
  json_arr(j);
  for (int i = 0; i < r->nest; i++) {
    const infer_est *x = &r->est[i];
    json_obj(j);
    json_est_head(j, x, pool, m);
    json_kv_num(j, "k", x->k);
    json_kv_num(j, "round", has_rounds(r) ? r->round[x->round] : NAN);
    json_est_tail(j, x);
    json_obj_end(j);
  }
  json_arr_end(j);
  json_key(j, "changes");
  json_arr(j);
  for (int i = 0; i < r->nchg; i++) {
    const infer_change *c = &r->chg[i];
    json_obj(j);
    json_est_head(j, &c->est, pool, m);
    json_kv_num(j, "k", c->est.k);
    json_kv_num(j, "from", r->round[c->from]);
    json_kv_num(j, "to", r->round[c->est.round]);
    json_kv_str(j, "kind", kind_names[c->kind]);
    json_est_tail(j, &c->est);
    json_obj_end(j);
  }
  json_arr_end(j);
  if (!r->sweep) return;
  json_key(j, "rankings");
  json_arr(j);
  for (int i = 0; i < r->npairs; i++) {
    const infer_pair *p = &r->pairs[i];
    json_obj(j);
    json_kv_str(j, "measure", "M0");
    json_kv_str(j, "column", m->groups[p->group]);
    json_kv_num(j, "round", has_rounds(r) ? r->round[p->round] : NAN);
    json_kv_num(j, "k", p->k);
    json_kv_str(j, "a", p->a >= 0 ? strpool_get(pool, p->a) : NULL);
    json_kv_str(j, "b", p->b >= 0 ? strpool_get(pool, p->b) : NULL);
    json_kv_num(j, "diff", p->diff);
    json_kv_num(j, "se", p->se);
    json_kv_bool(j, "significant", p->significant);
    json_obj_end(j);
  }
  json_arr_end(j);
}

/* "d_nutr area=1" style label of a figure's indicator and group. */
static void text_label(char *out, size_t cap, const infer_est *x, const strpool *pool,
                       const model *m) {
  const char *ind = x->indicator >= 0 ? m->inds[x->indicator].id : "";
  if (x->group < 0) snprintf(out, cap, "%s", ind);
  else
    snprintf(out, cap, "%s%s%s=%s", ind, *ind ? " " : "", m->groups[x->group],
             x->value >= 0 ? strpool_get(pool, x->value) : "(null)");
}

/* Shares (H, A, headcounts, pctb) are shown in percent, M0 and actb as
** decimals; scale 100 and unit " pp" for a change of a share. */
static int text_is_share(infer_measure m) { return m != INFER_M0 && m != INFER_ACTB; }

/* A figure's value, standard error and interval as cells: value (with its
** unit), se and "ll to ul" (or "-": no interval), times scale, dec decimals. */
static void text_cells(strbuf *o, const infer_est *x, double scale, int dec, const char *unit) {
  char b[48], se[32];
  if (isnan(x->b)) snprintf(b, sizeof b, "-");
  else snprintf(b, sizeof b, "%.*f%s", dec, scale * x->b, unit);
  if (isnan(x->se)) snprintf(se, sizeof se, "-");
  else snprintf(se, sizeof se, "%.*f", dec, scale * x->se);
  sb_printf(o, " %12s %9s   ", b, se);
  if (isnan(x->ll) || isnan(x->ul)) sb_puts(o, "-\n");
  else sb_printf(o, "%.*f to %.*f\n", dec, scale * x->ll, dec, scale * x->ul);
}

/* An estimate's cells: shares in percent. */
static void text_est_cells(strbuf *o, const infer_est *x) {
  int sh = text_is_share(x->measure);
  text_cells(o, x, sh ? 100 : 1, sh ? 2 : 4, sh ? " %" : "");
}

/* A change's cells: relative kinds are percent already; absolute changes of
** shares in percentage points. */
static void text_change_cells(strbuf *o, const infer_change *c) {
  if (c->kind == INFER_RELATIVE || c->kind == INFER_RELATIVE_ANNUAL)
    text_cells(o, &c->est, 1, 2, " %");
  else if (text_is_share(c->est.measure))
    text_cells(o, &c->est, 100, 2, " pp");
  else
    text_cells(o, &c->est, 1, 4, "");
}

static const char *const figure_names[] = {"H", "A", "M0", "uncensored (hd)", "censored (hdk)",
                                           "contribution (actb)", "contribution (pctb)"};

/* The M0 of value v of group column g at k in round r, or NaN. */
static double m0_of(const infer_result *r, int g, int32_t v, int round, double k) {
  for (int i = 0; i < r->nest; i++) {
    const infer_est *x = &r->est[i];
    if (x->measure == INFER_M0 && x->group == g && x->value == v && x->round == round &&
        x->k == k)
      return x->b;
  }
  return NAN;
}

static const infer_pair *pair_of(const infer_result *r, int g, int32_t a, int32_t b, int round,
                                 double k) {
  for (int i = 0; i < r->npairs; i++) {
    const infer_pair *p = &r->pairs[i];
    if (p->group == g && p->round == round && p->k == k &&
        ((p->a == a && p->b == b) || (p->a == b && p->b == a)))
      return p;
  }
  return NULL;
}

/* Per k, the values of a group column by M0, highest first: '>' between two
** neighbours when the difference is significant, '~' when not. Then the
** orderings that hold, significantly, at every k. */
static void rank_text(strbuf *o, const infer_result *r, const strpool *pool, const model *m) {
  for (int g = 0; g < m->ngroups; g++)
    for (int rd = 0; rd < r->nrounds; rd++) {
      int32_t vals[64];
      int nv = 0;
      for (int i = 0; i < r->npairs && nv < 64; i++) {
        const infer_pair *p = &r->pairs[i];
        if (p->group != g || p->round != rd) continue;
        for (int side = 0; side < 2 && nv < 64; side++) {
          int32_t v = side ? p->b : p->a, seen = 0;
          for (int j = 0; j < nv; j++) seen |= vals[j] == v;
          if (!seen) vals[nv++] = v;
        }
      }
      if (nv < 2) continue;
      sb_textf(o, "\n%s by M0, highest first ('>' significant at %g%%, '~' not)", m->groups[g],
                100 * r->level);
      if (has_rounds(r)) sb_textf(o, ", round %g", r->round[rd]);
      sb_putc(o, '\n');
      double last_k = NAN;
      for (int i = 0; i < r->npairs; i++) {
        const infer_pair *p = &r->pairs[i];
        if (p->group != g || p->round != rd || p->k == last_k) continue;
        last_k = p->k;
        int32_t ord[64];
        double b[64];
        for (int j = 0; j < nv; j++) {   /* insertion sort by M0, descending */
          double x = m0_of(r, g, vals[j], rd, p->k);
          int q = j;
          while (q > 0 && (b[q - 1] < x || (isnan(b[q - 1]) && !isnan(x)))) {
            ord[q] = ord[q - 1], b[q] = b[q - 1];
            q--;
          }
          ord[q] = vals[j], b[q] = x;
        }
        char kt[64];
        describe_fraction(p->k, kt);
        sb_textf(o, "  k %-8s", kt);
        for (int j = 0; j < nv; j++) {
          if (j > 0) {
            const infer_pair *q = pair_of(r, g, ord[j - 1], ord[j], rd, p->k);
            sb_puts(o, q && q->significant ? " > " : " ~ ");
          }
          sb_textf(o, "%s", ord[j] >= 0 ? strpool_get(pool, ord[j]) : "(null)");
        }
        sb_putc(o, '\n');
      }
    }
}

/* The estimate of measure ms (indicator i) in round rd of the domain whose
** figures start at est[blk] (infer_finish writes them domain by domain,
** measure, indicator, round). */
static const infer_est *text_est_at(const infer_result *r, int blk, infer_measure ms, int i,
                                    int rd, int ninds) {
  int row = ms < INFER_HD ? (int)ms : (int)INFER_HD + ((int)ms - (int)INFER_HD) * ninds + i;
  const infer_est *x = &r->est[blk + row * r->nrounds + rd];
  assert(x->measure == ms && x->indicator == (ms < INFER_HD ? -1 : i) && x->round == rd);
  return x;
}

static void text_row(strbuf *o, const infer_est *x, const strpool *pool, const model *m) {
  char lab[128];
  text_label(lab, sizeof lab, x, pool, m);
  sb_cell(o, lab, 28);
  sb_putc(o, ' ');
  sb_cell(o, figure_names[x->measure], 20);
  text_est_cells(o, x);
}

/* Round rd's figures beside their standard errors and intervals, nationally
** then per group value: H, A and M0, then each indicator's headcounts and
** contributions. */
static void text_round(strbuf *o, const infer_result *r, int rd, const strpool *pool,
                       const model *m) {
  static const infer_measure per_ind[] = {INFER_HD, INFER_HDK, INFER_PCTB, INFER_ACTB};
  int ni = m->ninds, blk = (INFER_HD + 4 * ni) * r->nrounds;
  sb_putc(o, '\n');
  if (has_rounds(r)) {
    sb_textf(o, "round %g", r->round[rd]);
    if (r->year[rd] != 0) sb_textf(o, ", year %g", r->year[rd]);
    sb_putc(o, '\n');
  }
  sb_textf(o, "%-28s %-20s %12s %9s   %g%% interval\n", "indicator / group", "figure", "value",
            "se", 100 * r->level);
  for (int d = 0; d < r->nest; d += blk) {
    if (d > 0) sb_putc(o, '\n');
    for (int ms = INFER_H; ms < INFER_HD; ms++)
      text_row(o, text_est_at(r, d, (infer_measure)ms, -1, rd, ni), pool, m);
    for (int i = 0; i < ni; i++)
      for (int q = 0; q < 4; q++) text_row(o, text_est_at(r, d, per_ind[q], i, rd, ni), pool, m);
  }
}

/* Sweep: H, A and M0 at every k, nationally and by group, per round. */
static void text_sweep(strbuf *o, const infer_result *r, const strpool *pool, const model *m) {
  char lab[128], kt[64];
  int rounds = has_rounds(r);
  sb_textf(o, "%-8s %-6s %-28s %6s %12s %9s   %g%% interval\n", "k", "figure", "group",
            rounds ? "round" : "", "value", "se", 100 * r->level);
  for (int i = 0; i < r->nest; i++) {
    const infer_est *x = &r->est[i];
    describe_fraction(x->k, kt);
    text_label(lab, sizeof lab, x, pool, m);
    char rd[16] = "";
    if (rounds) snprintf(rd, sizeof rd, "%g", r->round[x->round]);
    sb_textf(o, "%-8s %-6s ", kt, measure_names[x->measure]);
    sb_cell(o, lab, 28);
    sb_textf(o, " %6s", rd);
    text_est_cells(o, x);
  }
  rank_text(o, r, pool, m);
}

void infer_text(strbuf *o, const infer_result *r, const strpool *pool, const model *m) {
  char lab[128];
  sb_textf(o, "\nestimates with standard errors: %d PSUs in %d strata, df %d; intervals at "
               "%g%% (logit, t); shares in percent\n", r->npsu, r->nstrata, r->df,
            100 * r->level);
  if (r->sweep) text_sweep(o, r, pool, m);
  else
    for (int rd = 0; rd < r->nrounds; rd++) text_round(o, r, rd, pool, m);
  if (r->nchg == 0) return;
  sb_textf(o, "\nchanges between rounds (delta method; intervals at %g%%, normal; absolute "
               "changes of shares in percentage points)\n", 100 * r->level);
  sb_textf(o, "%s%-6s %-28s %-9s %-16s %12s %9s   %g%% interval\n", r->sweep ? "k        " : "",
            "", "indicator / group", "rounds", "kind", "change", "se", 100 * r->level);
  for (int i = 0; i < r->nchg; i++) {
    const infer_change *c = &r->chg[i];
    if (r->sweep) {
      char kt[64];
      describe_fraction(c->est.k, kt);
      sb_textf(o, "%-8s ", kt);
    }
    text_label(lab, sizeof lab, &c->est, pool, m);
    char rd[40];
    snprintf(rd, sizeof rd, "%g-%g", r->round[c->from], r->round[c->est.round]);
    sb_textf(o, "%-6s ", measure_names[c->est.measure]);
    sb_cell(o, lab, 28);
    sb_textf(o, " %-9s %-16s", rd, kind_names[c->kind]);
    text_change_cells(o, c);
  }
}
