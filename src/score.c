/*
** score.c: from kernel outputs to each unit's amounts, score, category,
** poverty status and benefit (support measure) eligibility (see score.h).
*/
#include "score.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

scorer *scorer_new(const rules *r) {
  const model *m = r->m;
  scorer *s = af_calloc(1, sizeof *s);
  size_t B = KERNEL_BATCH, ni = (size_t)m->ninds;
  s->r = r;
  s->k1 = kernel_new(r->p1);
  s->k2 = r->p2 ? kernel_new(r->p2) : NULL;
  s->score_num = af_calloc(B, sizeof *s->score_num);
  s->score = af_calloc(B, sizeof *s->score);
  s->band = af_calloc(B, sizeof *s->band);
  s->poor = af_calloc(B, 1);
  s->excluded = af_calloc(B, 1);
  s->eligible = af_calloc(B, sizeof *s->eligible);
  s->matched = af_calloc(B * (ni + 1), sizeof *s->matched);
  s->isnull = af_calloc(B * (ni + 1), 1);
  int maxcases = 0;
  for (int i = 0; i < m->ninds; i++)
    if (m->inds[i].ncases > maxcases) maxcases = m->inds[i].ncases;
  s->case_cols = af_calloc((size_t)maxcases + 1, sizeof *s->case_cols);
  s->rescols = af_calloc((size_t)r->np2_cols + 1, sizeof *s->rescols);
  for (int c = 0; c < r->np2_cols; c++) {
    s->rescols[c].v = af_calloc(B, sizeof(double));
    s->rescols[c].null = af_calloc(B, 1);
  }
  return s;
}

void scorer_free(scorer *s) {
  if (!s) return;
  kernel_free(s->k1);
  kernel_free(s->k2);
  free(s->score_num);
  free(s->score);
  free(s->band);
  free(s->poor);
  free(s->excluded);
  free(s->eligible);
  free(s->matched);
  free(s->isnull);
  for (int c = 0; c < s->r->np2_cols; c++) {
    free(s->rescols[c].v);
    free(s->rescols[c].null);
  }
  free(s->rescols);
  free(s->case_cols);
  free(s->b2.ucols);
  free(s);
}

int scorer_bind(scorer *s, const char *const *unames, int nu, const char *const *mnames,
                int nm, af_err *e) {
  const rules *r = s->r;
  if (program_bind(r->p1, 0, unames, nu, e) < 0 || program_bind(r->p1, 1, mnames, nm, e) < 0)
    return -1;
  if (!r->p2) return 0;
  /* Phase 2 sees the data columns followed by the result columns. */
  const char **names = af_malloc(sizeof *names * (size_t)(nu + r->np2_cols + 1));
  for (int i = 0; i < nu; i++) names[i] = unames[i];
  for (int c = 0; c < r->np2_cols; c++) names[nu + c] = r->p2_cols[c].name;
  int rc = program_bind(r->p2, 0, names, nu + r->np2_cols, e);
  free(names);
  if (rc < 0 || program_bind(r->p2, 1, mnames, nm, e) < 0) return -1;
  s->b2.ucols = af_calloc((size_t)(nu + r->np2_cols + 1), sizeof *s->b2.ucols);
  return 0;
}

/* Where unit u, indicator i lives in the unit x indicator arrays. */
static size_t cell(const scorer *s, int u, int i) {
  return (size_t)u * (size_t)s->r->m->ninds + (size_t)i;
}

/* Which case of indicator i holds for each unit. */
static void match_indicator(scorer *s, int i, int n) {
  const rules *r = s->r;
  const model_indicator *x = &r->m->inds[i];
  const column **cols = s->case_cols;   /* looked up once a batch, not once a unit */
  for (int c = 0; c < x->ncases; c++) {
    cols[c] = r->case_out[i][c] < 0 ? NULL : kernel_output(s->k1, r->case_out[i][c]);
    assert(cols[c] || r->case_out[i][c] < 0);   /* NULL: the case always holds */
  }
  for (int u = 0; u < n; u++) {
    int16_t hit = SCORE_NONE;
    unsigned char nul = 0;
    for (int c = 0; c < x->ncases; c++) {
      const column *col = cols[c];
      if (!col) {
        hit = (int16_t)c;
        break;
      }
      if (col->null[u]) {
        nul = 1;
        if (x->missing == MISSING_EXCLUDE) {
          s->excluded[u] = 1;
          break;
        }
        if (x->missing == MISSING_DEPRIVED) {
          hit = (int16_t)c;
          break;
        }
        continue;   /* not_deprived: this case does not hold */
      }
      if (col->v[u] != 0) {
        hit = (int16_t)c;
        break;
      }
    }
    s->matched[cell(s, u, i)] = hit;
    s->isnull[cell(s, u, i)] = nul;
  }
}

/* Does the score of unit u reach the fraction b (or the double bd)? */
static int reaches(const scorer *s, int u, ratio b, double bd) {
  if (s->r->exact) return ratio_cmp_scaled(s->score_num[u], s->r->L, b) >= 0;
  return s->score[u] >= bd - 1e-9 * (fabs(bd) > 1 ? fabs(bd) : 1);
}

static void classify(scorer *s, int n) {
  const rules *r = s->r;
  const model *m = r->m;
  int ni = m->ninds;
  for (int u = 0; u < n; u++) {
    int64_t num = 0;
    double sum = 0;
    for (int i = 0; i < ni; i++) {
      int c = scorer_case(s, u, i);
      if (c < 0) continue;
      num += r->amount_num[i][c];
      sum += m->inds[i].cases[c].amount;
    }
    s->score_num[u] = num;
    s->score[u] = r->exact ? (double)num / (double)r->L : sum;
    /* Exact totals are bounded by rules.c (|total| * L < 4e18); a double
    ** sum of huge amounts is not. */
    if (!isfinite(s->score[u]) && !s->excluded[u] && s->nonfinite < 0) s->nonfinite = u;
    if (s->excluded[u]) {
      s->score[u] = NAN;
      s->band[u] = -1;
      s->poor[u] = 0;
      continue;
    }
    int b = 0;
    for (int j = m->nbands - 1; j > 0; j--)
      if (r->band_neg_inf[j] || reaches(s, u, r->band_from[j], m->bands[j].from)) {
        b = j;
        break;
      }
    s->band[u] = b;
    s->poor[u] = m->scoring == SCORING_AF && reaches(s, u, r->k, m->k);
  }
}

double scorer_amount(const scorer *s, int u, int i) {
  int c = scorer_case(s, u, i);
  return c < 0 ? 0.0 : s->r->m->inds[i].cases[c].amount;
}

int scorer_lightest_flip(const scorer *s, int u, int dir) {
  const rules *r = s->r;
  const model *m = r->m;
  int b = s->band[u], nb = b + dir;
  assert(m->scoring == SCORING_AF && (dir == 1 || dir == -1));
  assert(b >= 0 && nb >= 0 && nb < m->nbands);
  if (!r->exact) return -1;
  int best = -1;
  for (int i = 0; i < m->ninds; i++) {
    int deprived = scorer_case(s, u, i) >= 0;
    if (deprived == (dir > 0)) continue;
    int64_t moved = s->score_num[u] + dir * r->amount_num[i][0];
    int crosses = dir > 0 ? ratio_cmp_scaled(moved, r->L, r->band_from[nb]) >= 0
                          : ratio_cmp_scaled(moved, r->L, r->band_from[b]) < 0;
    if (crosses && (best < 0 || m->inds[i].weight < m->inds[best].weight)) best = i;
  }
  return best;
}

/* Fill the result columns that phase-2 rules read. */
static void fill_results(scorer *s, int n) {
  const rules *r = s->r;
  const model *m = r->m;
  int ni = m->ninds, c = 0;
  column *cat = &s->rescols[c++], *sc = &s->rescols[c++];
  column *poor = m->scoring == SCORING_AF ? &s->rescols[c++] : NULL;
  for (int u = 0; u < n; u++) {
    int ex = s->excluded[u];
    cat->null[u] = sc->null[u] = (unsigned char)ex;
    cat->v[u] = ex ? 0 : r->band_text[s->band[u]];
    sc->v[u] = ex ? 0 : s->score[u];
    if (poor) {
      poor->null[u] = (unsigned char)ex;
      poor->v[u] = s->poor[u];
    }
  }
  for (int i = 0; i < ni; i++, c++) {
    column *col = &s->rescols[c];
    int excl_here = m->inds[i].missing == MISSING_EXCLUDE;
    for (int u = 0; u < n; u++) {
      int nul = excl_here && scorer_isnull(s, u, i);
      col->null[u] = (unsigned char)nul;
      col->v[u] = m->scoring == SCORING_AF ? (scorer_case(s, u, i) >= 0)
                                           : scorer_amount(s, u, i);
    }
  }
}

static void eval_benefits(scorer *s, const batch *b) {
  const rules *r = s->r;
  int n = b->nunits;
  fill_results(s, n);
  s->b2.nunits = n;
  s->b2.nmembers = b->nmembers;
  s->b2.mstart = b->mstart;
  s->b2.mcols = b->mcols;
  s->b2.nmcols = b->nmcols;
  s->b2.nucols = b->nucols + r->np2_cols;
  for (int i = 0; i < b->nucols; i++) s->b2.ucols[i] = b->ucols[i];
  for (int c = 0; c < r->np2_cols; c++) s->b2.ucols[b->nucols + c] = s->rescols[c];
  kernel_eval_batch(s->k2, &s->b2);
  memset(s->eligible, 0, sizeof *s->eligible * (size_t)n);
  assert(r->m->nbenefits <= 64);   /* one bit each; method.c refuses more */
  for (int j = 0; j < r->m->nbenefits; j++) {
    const column *out = kernel_output(s->k2, r->benefit_out[j]);
    for (int u = 0; u < n; u++)
      if (!out->null[u] && out->v[u] != 0) s->eligible[u] |= (uint64_t)1 << j;
  }
}

void scorer_eval_batch(scorer *s, const batch *b) {
  int n = b->nunits;
  assert(n >= 0 && n <= KERNEL_BATCH);   /* the per-unit arrays hold a batch */
  s->nunits = n;
  s->nonfinite = -1;
  kernel_eval_batch(s->k1, b);
  memset(s->excluded, 0, (size_t)n);
  for (int i = 0; i < s->r->m->ninds; i++) match_indicator(s, i, n);
  classify(s, n);
  if (s->r->p2) eval_benefits(s, b);
  else memset(s->eligible, 0, sizeof *s->eligible * (size_t)n);
}

int scorer_check(const scorer *s, const char *const *ids, af_err *e) {
  int u = s->nonfinite;
  if (u < 0) return 0;
  assert(u < s->nunits && !s->r->exact);
  const model *m = s->r->m;
  strbuf inds = {0};
  for (int i = 0; i < m->ninds; i++) {
    double a = scorer_amount(s, u, i);
    if (a != 0) sb_printf(&inds, "%s%s (%g)", inds.len ? ", " : "", m->inds[i].id, a);
  }
  af_fail(e, "unit '%s': the total of points is not a finite number (%g): indicators %s; "
          "amounts this large cannot be added up", ids[u], s->score[u], inds.s ? inds.s : "");
  sb_free(&inds);
  return -1;
}
