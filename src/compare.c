/*
** compare.c: transitions, per-group and per-indicator deltas, benefit gains
** and losses, and the list of changed units, between two scored methodologies.
*/
#include "compare.h"

#include <assert.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "describe.h"
#include "runcmp.h"

/* Rank of band b from best (0): AF bands ascend from the best category,
** points bands ascend towards it. */
static int band_rank(const model *m, int b) {
  return m->scoring == SCORING_AF ? b : m->nbands - 1 - b;
}

void compare_init(compare *c, const run *rn, int base, int var, FILE *changes) {
  assert(base >= 0 && var >= 0 && base != var);
  memset(c, 0, sizeof *c);
  const model *mb = run_model(rn, base), *mv = run_model(rn, var);
  c->rn = rn;
  c->base = base;
  c->var = var;
  c->changes = changes;
  c->nfrom = mb->nbands + 1;
  c->nto = mv->nbands + 1;
  c->counts = af_calloc((size_t)(c->nfrom * c->nto), sizeof *c->counts);
  c->rank_to = af_calloc((size_t)mv->nbands + 1, sizeof *c->rank_to);
  for (int b = 0; b < mv->nbands; b++) {
    int in_base = model_find_band(mb, mv->bands[b].id);
    c->rank_to[b] = in_base >= 0 ? band_rank(mb, in_base) : band_rank(mv, b);
  }
  c->ind_map = af_calloc((size_t)mb->ninds + 1, sizeof *c->ind_map);
  /* Indicators are matched by id, and only between methodologies of the same
  ** kind: a deprivation headcount and a mean of points do not compare. */
  for (int i = 0; i < mb->ninds; i++)
    c->ind_map[i] = mb->scoring == mv->scoring ? model_find_indicator(mv, mb->inds[i].id) : -1;
  c->benefit_map = af_calloc((size_t)mb->nbenefits + 1, sizeof *c->benefit_map);
  for (int i = 0; i < mb->nbenefits; i++) {
    c->benefit_map[i] = -1;
    for (int j = 0; j < mv->nbenefits; j++)
      if (strcmp(mb->benefits[i].id, mv->benefits[j].id) == 0) c->benefit_map[i] = j;
  }
  c->gained = af_calloc((size_t)mb->nbenefits + 1, sizeof *c->gained);
  c->lost = af_calloc((size_t)mb->nbenefits + 1, sizeof *c->lost);
  int ng = mb->ngroups;
  c->groups = af_calloc((size_t)ng + 1, sizeof *c->groups);
  c->ngroups_rows = af_calloc((size_t)ng + 1, sizeof(int));
  c->cap_rows = af_calloc((size_t)ng + 1, sizeof(int));
  c->group_slot = af_calloc((size_t)ng + 1, sizeof *c->group_slot);
  c->nslot = af_calloc((size_t)ng + 1, sizeof(int));
  /* Rule by rule only between methodologies of one kind: AF against points
  ** would list every rule of both (the notes say the kinds differ). */
  if (mb->scoring == mv->scoring) {
    describe_doc db = {0}, dv = {0};
    describe_lines(mb, &db);
    describe_lines(mv, &dv);
    c->nrule_changes = describe_diff(&db, &dv, &c->rule_changes);
    describe_free(&db);
    describe_free(&dv);
  }
}

void compare_free(compare *c) {
  const model *mb = run_model(c->rn, c->base);
  for (int g = 0; g < mb->ngroups; g++) {
    for (int r = 0; r < c->ngroups_rows[g]; r++) {
      free(c->groups[g][r].gained);
      free(c->groups[g][r].lost);
    }
    free(c->groups[g]);
    free(c->group_slot[g]);
  }
  free(c->groups);
  free(c->ngroups_rows);
  free(c->cap_rows);
  free(c->group_slot);
  free(c->nslot);
  free(c->counts);
  free(c->rank_to);
  free(c->ind_map);
  free(c->benefit_map);
  free(c->gained);
  free(c->lost);
  sb_free(&c->rule_changes);
}

static compare_group *cmp_group_row(compare *c, int g, int32_t value) {
  assert(g >= 0 && g < run_model(c->rn, c->base)->ngroups && value >= -1);
  int key = value + 1;
  if (key >= c->nslot[g]) {
    int n = c->nslot[g] ? c->nslot[g] : 64;
    while (n <= key) n *= 2;
    c->group_slot[g] = af_realloc(c->group_slot[g], sizeof(int) * (size_t)n);
    for (int i = c->nslot[g]; i < n; i++) c->group_slot[g][i] = -1;
    c->nslot[g] = n;
  }
  if (c->group_slot[g][key] < 0) {
    af_grow(&c->groups[g], &c->cap_rows[g], c->ngroups_rows[g] + 1, sizeof *c->groups[g]);
    compare_group *row = &c->groups[g][c->ngroups_rows[g]];
    memset(row, 0, sizeof *row);
    row->value = value;
    int nm = run_model(c->rn, c->base)->nbenefits;
    row->gained = af_calloc((size_t)nm + 1, sizeof(int64_t));
    row->lost = af_calloc((size_t)nm + 1, sizeof(int64_t));
    c->group_slot[g][key] = c->ngroups_rows[g]++;
  }
  return &c->groups[g][c->group_slot[g][key]];
}

/* Did indicator i of the base and its namesake in the variant differ for u? */
static int flipped(const compare *c, int u, int i) {
  const scorer *sb = run_scorer(c->rn, c->base), *sv = run_scorer(c->rn, c->var);
  int j = c->ind_map[i];
  if (j < 0) return 0;
  const model *mb = sb->r->m;
  if (mb->scoring == SCORING_AF && sv->r->m->scoring == SCORING_AF)
    return (scorer_case(sb, u, i) >= 0) != (scorer_case(sv, u, j) >= 0);
  return scorer_amount(sb, u, i) != scorer_amount(sv, u, j);
}

/* ---- the changes file ---- */

/* Is unit u deprived in indicator i (AF), or what amount does it get? */
static int cmp_deprived(const scorer *s, int u, int i) {
  return scorer_case(s, u, i) >= 0;
}

static void cmp_amount_text(const scorer *s, int u, int i, char out[80]) {
  if (s->r->m->scoring == SCORING_AF) {
    snprintf(out, 80, "%s", cmp_deprived(s, u, i) ? "deprived" : "not deprived");
    return;
  }
  char n[64];
  describe_fraction(scorer_amount(s, u, i), n);
  snprintf(out, 80, "%s points", n);
}

/* An indicator the unit has under one methodology only (added or removed):
** a reason when it counted for the unit. */
static void cmp_lone_indicator(strbuf *o, const scorer *s, int u, int i, const char *what) {
  const model *m = s->r->m;
  if (m->scoring == SCORING_AF ? !cmp_deprived(s, u, i) : scorer_amount(s, u, i) == 0) return;
  char a[80];
  cmp_amount_text(s, u, i, a);
  sb_printf(o, "%s%s %s (%s%s)", o->len ? "; " : "", m->inds[i].id, what,
            what[0] == 'r' ? "was " : "", a);
}

/* What changed for indicator i of the base and its namesake j. */
static void cmp_indicator_reason(strbuf *o, const compare *c, int u, int i, int j) {
  const scorer *sb = run_scorer(c->rn, c->base), *sv = run_scorer(c->rn, c->var);
  const model *mb = sb->r->m, *mv = sv->r->m;
  char a[80], b[80];
  if (mb->scoring != mv->scoring) return;
  if (mb->scoring == SCORING_AF) {
    int db = cmp_deprived(sb, u, i), dv = cmp_deprived(sv, u, j);
    if (db != dv) {
      cmp_amount_text(sb, u, i, a);
      cmp_amount_text(sv, u, j, b);
      sb_printf(o, "%s%s %s -> %s", o->len ? "; " : "", mb->inds[i].id, a, b);
    } else if (db && mb->inds[i].weight != mv->inds[j].weight) {
      describe_fraction(mb->inds[i].weight, a);
      describe_fraction(mv->inds[j].weight, b);
      sb_printf(o, "%s%s weight %s -> %s", o->len ? "; " : "", mb->inds[i].id, a, b);
    }
  } else if (scorer_amount(sb, u, i) != scorer_amount(sv, u, j)) {
    cmp_amount_text(sb, u, i, a);
    cmp_amount_text(sv, u, j, b);
    sb_printf(o, "%s%s %s -> %s", o->len ? "; " : "", mb->inds[i].id, a, b);
  }
}

/* Band bounds that moved across the unit's score, and categories that exist
** on one side only. */
static void cmp_band_reasons(strbuf *o, const compare *c, int u, const char *from,
                             const char *to) {
  const scorer *sb = run_scorer(c->rn, c->base), *sv = run_scorer(c->rn, c->var);
  const model *mb = sb->r->m, *mv = sv->r->m;
  double s1 = sb->score[u], s2 = sv->score[u];
  for (int b = 0; b < mb->nbands; b++) {
    int k = model_find_band(mv, mb->bands[b].id);
    if (k < 0) {
      if (strcmp(from, mb->bands[b].id) == 0)
        sb_printf(o, "%scategory %s removed", o->len ? "; " : "", from);
      continue;
    }
    double f1 = mb->bands[b].from, f2 = mv->bands[k].from;
    if (f1 == f2 || isnan(s1) || isnan(s2)) continue;
    if ((s1 >= f1) != (s1 >= f2) || (s2 >= f1) != (s2 >= f2)) {
      char a[64], n[64];
      describe_fraction(f1, a);
      describe_fraction(f2, n);
      sb_printf(o, "%scategory %s from %s -> %s", o->len ? "; " : "", mb->bands[b].id, a, n);
    }
  }
  if (strcmp(to, "(excluded)") != 0 && model_find_band(mb, to) < 0)
    sb_printf(o, "%scategory %s added", o->len ? "; " : "", to);
}

/* Why the unit's result differs, from the rules as applied to it: indicators
** whose result changed, added or removed indicators that counted for it,
** weights of indicators it is deprived in, k when its poor status changed,
** band bounds that moved across its score, exclusion, measure rules. */
static void cmp_reasons(strbuf *o, const compare *c, int u, const char *from, const char *to) {
  const scorer *sb = run_scorer(c->rn, c->base), *sv = run_scorer(c->rn, c->var);
  const model *mb = sb->r->m, *mv = sv->r->m;
  if (sb->excluded[u] != sv->excluded[u]) {
    sb_printf(o, "%s", sv->excluded[u] ? "excluded by the variant (a rule is unknown)"
                                       : "no longer excluded");
    return;
  }
  if (mb->scoring != mv->scoring) {
    sb_puts(o, "different scoring");
    return;
  }
  for (int i = 0; i < mb->ninds; i++) {
    int j = c->ind_map[i];
    if (j >= 0) cmp_indicator_reason(o, c, u, i, j);
    else cmp_lone_indicator(o, sb, u, i, "removed");
  }
  for (int j = 0; j < mv->ninds; j++)
    if (model_find_indicator(mb, mv->inds[j].id) < 0) cmp_lone_indicator(o, sv, u, j, "added");
  if (mb->scoring == SCORING_AF && mb->k != mv->k && !sb->excluded[u] &&
      sb->poor[u] != sv->poor[u]) {
    char a[64], b[64];
    describe_fraction(mb->k, a);
    describe_fraction(mv->k, b);
    sb_printf(o, "%sk %s -> %s", o->len ? "; " : "", a, b);
  }
  cmp_band_reasons(o, c, u, from, to);
  for (int k = 0; k < mb->nbenefits; k++) {
    int j = c->benefit_map[k];
    if (j < 0 || strcmp(mb->benefits[k].eligible, mv->benefits[j].eligible) == 0) continue;
    if ((sb->eligible[u] >> k & 1) != (sv->eligible[u] >> j & 1))
      sb_printf(o, "%smeasure %s rule changed", o->len ? "; " : "", mb->benefits[k].id);
  }
}

/* Measures the unit gains (variant eligible, base not or absent) and loses. */
static void cmp_benefit_moves(const compare *c, int u, strbuf *gained, strbuf *lost) {
  const scorer *sb = run_scorer(c->rn, c->base), *sv = run_scorer(c->rn, c->var);
  const model *mb = sb->r->m, *mv = sv->r->m;
  for (int k = 0; k < mb->nbenefits; k++) {
    int j = c->benefit_map[k];
    int eb = (int)(sb->eligible[u] >> k & 1), ev = j >= 0 ? (int)(sv->eligible[u] >> j & 1) : 0;
    if (eb && !ev) sb_printf(lost, "%s%s", lost->len ? ";" : "", mb->benefits[k].id);
    if (!eb && ev) sb_printf(gained, "%s%s", gained->len ? ";" : "", mb->benefits[k].id);
  }
  for (int j = 0; j < mv->nbenefits; j++) {
    int in_base = 0;
    for (int k = 0; k < mb->nbenefits; k++) in_base |= c->benefit_map[k] == j;
    if (!in_base && (sv->eligible[u] >> j & 1))
      sb_printf(gained, "%s%s", gained->len ? ";" : "", mv->benefits[j].id);
  }
}

static const char *cmp_poor_text(const scorer *s, int u) {
  if (s->r->m->scoring != SCORING_AF || s->excluded[u]) return "";
  return s->poor[u] ? "1" : "0";
}

/* The unit's row of the --changes CSV; lists are one field each, their
** items separated by ';'. */
static void write_change(const compare *c, const batch *bt, int u, const char *id,
                         const char *from, const char *to) {
  const scorer *sb = run_scorer(c->rn, c->base), *sv = run_scorer(c->rn, c->var);
  const model *mb = sb->r->m;
  char s1[32], s2[32];
  json_fmt_double(sb->score[u], s1);
  json_fmt_double(sv->score[u], s2);
  csv_out csv;
  csv_init(&csv, c->changes);
  if (c->label) csv_text(&csv, c->label);
  csv_text(&csv, id);
  csv_field(&csv, from);
  csv_field(&csv, to);
  csv_field(&csv, isnan(sb->score[u]) ? "" : s1);
  csv_field(&csv, isnan(sv->score[u]) ? "" : s2);
  strbuf flips = {0}, why = {0}, gained = {0}, lost = {0};
  for (int i = 0; i < mb->ninds; i++)
    if (flipped(c, u, i)) sb_printf(&flips, "%s%s", flips.len ? ";" : "", mb->inds[i].id);
  csv_text(&csv, flips.s);
  cmp_reasons(&why, c, u, from, to);
  csv_text(&csv, why.s);
  csv_field(&csv, cmp_poor_text(sb, u));
  csv_field(&csv, cmp_poor_text(sv, u));
  cmp_benefit_moves(c, u, &gained, &lost);
  csv_text(&csv, gained.s);
  csv_text(&csv, lost.s);
  for (int g = 0; g < mb->ngroups; g++) {
    const column *gc = run_group_column(c->rn, c->base, g, bt);
    csv_text(&csv, gc->null[u] ? NULL : report_group_label(c->rn, (int32_t)gc->v[u]));
  }
  csv_end(&csv);
  sb_free(&flips);
  sb_free(&why);
  sb_free(&gained);
  sb_free(&lost);
}

void compare_changes_header(FILE *f, int labelled, const model *m) {
  csv_out csv;
  csv_init(&csv, f);
  if (labelled) csv_field(&csv, "variant");
  static const char *const cols[] = {
      "unit", "old_category", "new_category", "old_score", "new_score", "flipped_indicators",
      "reasons", "old_poor", "new_poor", "measures_gained", "measures_lost"};
  for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) csv_field(&csv, cols[i]);
  for (int g = 0; g < m->ngroups; g++) csv_field(&csv, m->groups[g]);
  csv_end(&csv);
}

int compare_batch(compare *c, const batch *b, const char *const *ids, af_err *e) {
  const run *rn = c->rn;
  const scorer *sb = run_scorer(rn, c->base), *sv = run_scorer(rn, c->var);
  const model *mb = run_model(rn, c->base), *mv = run_model(rn, c->var);
  for (int u = 0; u < b->nunits; u++) {
    int fb = sb->band[u] < 0 ? mb->nbands : sb->band[u];
    int tv = sv->band[u] < 0 ? mv->nbands : sv->band[u];
    c->counts[fb * c->nto + tv]++;
    c->units++;
    const char *from = fb < mb->nbands ? mb->bands[fb].id : "(excluded)";
    const char *to = tv < mv->nbands ? mv->bands[tv].id : "(excluded)";
    int changed = strcmp(from, to) != 0, better = 0, worse = 0;
    if (changed && fb < mb->nbands && tv < mv->nbands) {
      int rf = band_rank(mb, fb), rt = c->rank_to[tv];
      better = rt < rf;
      worse = rt > rf;
    }
    c->changed += changed;
    c->better += better;
    c->worse += worse;
    int poor_moved = mb->scoring == SCORING_AF && mv->scoring == SCORING_AF &&
                     !sb->excluded[u] && !sv->excluded[u] && sb->poor[u] != sv->poor[u];
    int benefits_moved = 0;
    for (int g = 0; g < mb->ngroups; g++) {
      const column *gc = run_group_column(rn, c->base, g, b);
      compare_group *row = cmp_group_row(c, g, gc->null[u] ? -1 : (int32_t)gc->v[u]);
      row->changed += changed;
      row->better += better;
      row->worse += worse;
      for (int k = 0; k < mb->nbenefits; k++) {
        int j = c->benefit_map[k];
        int eb = (int)(sb->eligible[u] >> k & 1), ev = j >= 0 ? (int)(sv->eligible[u] >> j & 1) : 0;
        row->gained[k] += !eb && ev;
        row->lost[k] += eb && !ev;
      }
    }
    for (int k = 0; k < mb->nbenefits; k++) {
      int j = c->benefit_map[k];
      int eb = (int)(sb->eligible[u] >> k & 1), ev = j >= 0 ? (int)(sv->eligible[u] >> j & 1) : 0;
      c->gained[k] += !eb && ev;
      c->lost[k] += eb && !ev;
      benefits_moved |= eb != ev;
    }
    for (int j = 0; j < mv->nbenefits && !benefits_moved; j++) {
      int in_base = 0;
      for (int k = 0; k < mb->nbenefits; k++) in_base |= c->benefit_map[k] == j;
      benefits_moved = !in_base && (sv->eligible[u] >> j & 1);
    }
    c->poor_only += !changed && poor_moved;
    c->benefits_only += !changed && benefits_moved;
    if (c->changes && (changed || poor_moved || benefits_moved))
      write_change(c, b, u, ids[u], from, to);
  }
  if (c->changes && ferror(c->changes)) return af_fail(e, "cannot write the changes file");
  return 0;
}

/* ---- output ---- */

/* Both axes of the transition matrix are shown best category first (AF bands
** as declared, points bands reversed), "(excluded)" last: display position i
** of model m is its band band_at(m, i). band_rank is its own inverse. */
static int band_at(const model *m, int i) { return i < m->nbands ? band_rank(m, i) : i; }

static int from_at(const compare *c, int i) { return band_at(run_model(c->rn, c->base), i); }
static int to_at(const compare *c, int j) { return band_at(run_model(c->rn, c->var), j); }

static const char *from_label(const compare *c, int i) {
  const model *m = run_model(c->rn, c->base);
  int b = from_at(c, i);
  return b < m->nbands ? m->bands[b].id : "(excluded)";
}

static const char *to_label(const compare *c, int j) {
  const model *m = run_model(c->rn, c->var);
  int b = to_at(c, j);
  return b < m->nbands ? m->bands[b].id : "(excluded)";
}

/* The matrix as runcmp_json_matrix reads it: the used rows and columns. */
static const char *compare_from_cb(const void *c, int i) { return from_label(c, i); }
static const char *compare_to_cb(const void *c, int k) { return to_label(c, k); }
static int64_t compare_count_cb(const void *ctx, int i, int k) {
  const compare *c = ctx;
  return c->counts[from_at(c, i) * c->nto + to_at(c, k)];
}

/* What makes the comparison unlike with like (describe_caveats), and the
** units excluded on one side only, which count as changed. */
static void compare_notes(const compare *c, strbuf *o) {
  describe_caveats(run_model(c->rn, c->base), run_model(c->rn, c->var), "the base", "the variant", o);
  int64_t one_side = 0;
  for (int i = 0; i < c->nfrom; i++)
    for (int k = 0; k < c->nto; k++)
      if ((i == c->nfrom - 1) != (k == c->nto - 1)) one_side += c->counts[i * c->nto + k];
  if (one_side)
    sb_textf(o, "%lld units are excluded (a rule unknown) under one methodology only: they "
                 "count as changed\n", (long long)one_side);
}

/* Show the "(excluded)" row/column only when some unit is in it. */
static int used_rows(const compare *c, int *nf, int *nt) {
  int64_t exf = 0, ext = 0;
  for (int j = 0; j < c->nto; j++) exf += c->counts[(c->nfrom - 1) * c->nto + j];
  for (int i = 0; i < c->nfrom; i++) ext += c->counts[i * c->nto + c->nto - 1];
  *nf = exf ? c->nfrom : c->nfrom - 1;
  *nt = ext ? c->nto : c->nto - 1;
  return 0;
}

static double share(long double a, long double b) { return b > 0 ? (double)(a / b) : 0; }

static void compare_json_deltas(const compare *c, json *j) {
  const measure *mb = run_measure(c->rn, c->base), *mv = run_measure(c->rn, c->var);
  const model *b = run_model(c->rn, c->base), *v = run_model(c->rn, c->var);
  figures fb = measure_figures(&mb->all), fv = measure_figures(&mv->all);
  json_key(j, "delta");
  json_obj(j);
  if (b->scoring == SCORING_AF && v->scoring == SCORING_AF) {
    json_kv_num(j, "H", fv.H - fb.H);
    json_kv_num(j, "A", fv.A - fb.A);
    json_kv_num(j, "M0", fv.M0 - fb.M0);
  }
  json_key(j, "categories");
  json_obj(j);
  for (int i = 0; i < b->nbands; i++) {
    int k = model_find_band(v, b->bands[i].id);
    json_kv_num(j, b->bands[i].id, (k >= 0 ? share(mv->all.cat_w[k], mv->all.n) : 0) -
                    share(mb->all.cat_w[i], mb->all.n));
  }
  json_obj_end(j);
  json_obj_end(j);
}

static void compare_json_indicator_deltas(const compare *c, json *j) {
  const measure *mb = run_measure(c->rn, c->base), *mv = run_measure(c->rn, c->var);
  const model *b = run_model(c->rn, c->base);
  json_key(j, "indicators");
  json_arr(j);
  for (int i = 0; i < b->ninds; i++) {
    int k = c->ind_map[i];
    json_obj(j);
    json_kv_str(j, "id", b->inds[i].id);
    json_kv_bool(j, "in_variant", k >= 0);
    if (k >= 0) {
      json_kv_num(j, "delta_uncensored", share(mv->all.unc[k], mv->all.n) - share(mb->all.unc[i], mb->all.n));
      json_kv_num(j, "delta_censored", share(mv->all.cen[k], mv->all.n) - share(mb->all.cen[i], mb->all.n));
    }
    json_obj_end(j);
  }
  /* Indicators only the variant has: their headcounts, marked as added. */
  const model *v = run_model(c->rn, c->var);
  for (int k = 0; b->scoring == v->scoring && k < v->ninds; k++) {
    if (model_find_indicator(b, v->inds[k].id) >= 0) continue;
    json_obj(j);
    json_kv_str(j, "id", v->inds[k].id);
    json_kv_bool(j, "in_variant", 1);
    json_kv_bool(j, "added", 1);
    json_kv_num(j, "uncensored", share(mv->all.unc[k], mv->all.n));
    json_kv_num(j, "censored", share(mv->all.cen[k], mv->all.n));
    json_obj_end(j);
  }
  json_arr_end(j);
}

/* The variant's group row for the same column and value, or NULL. */
static const acc *var_group(const compare *c, int g, int32_t value) {
  const measure *mv = run_measure(c->rn, c->var);
  const char *col = run_model(c->rn, c->base)->groups[g];
  for (int h = 0; h < mv->ngroups; h++) {
    if (strcmp(mv->groups[h].column, col) != 0) continue;
    for (int r = 0; r < mv->groups[h].nrows; r++)
      if (mv->groups[h].rows[r].value == value) return &mv->groups[h].rows[r].a;
  }
  return NULL;
}

static const acc *base_group(const compare *c, int g, int32_t value) {
  const group_set *gs = &run_measure(c->rn, c->base)->groups[g];
  for (int r = 0; r < gs->nrows; r++)
    if (gs->rows[r].value == value) return &gs->rows[r].a;
  return NULL;
}

static void compare_json_group_deltas(const compare *c, json *j) {
  const model *b = run_model(c->rn, c->base);
  int both_af = b->scoring == SCORING_AF && run_model(c->rn, c->var)->scoring == SCORING_AF;
  json_key(j, "groups");
  json_obj(j);
  for (int g = 0; g < b->ngroups; g++) {
    json_key(j, b->groups[g]);
    json_arr(j);
    for (int r = 0; r < c->ngroups_rows[g]; r++) {
      const compare_group *row = &c->groups[g][r];
      const acc *ab = base_group(c, g, row->value), *av = var_group(c, g, row->value);
      json_obj(j);
      json_key(j, "value");
      if (row->value < 0) json_null(j);
      else json_str(j, report_group_label(c->rn, row->value));
      json_kv_int(j, "changed", row->changed);
      json_kv_int(j, "better", row->better);
      json_kv_int(j, "worse", row->worse);
      if (both_af && ab && av) {
        figures fb = measure_figures(ab), fv = measure_figures(av);
        json_kv_num(j, "delta_H", fv.H - fb.H);
        json_kv_num(j, "delta_A", fv.A - fb.A);
        json_kv_num(j, "delta_M0", fv.M0 - fb.M0);
      }
      if (b->nbenefits) {
        json_key(j, "measures");
        json_arr(j);
        for (int k = 0; k < b->nbenefits; k++) {
          json_obj(j);
          json_kv_str(j, "id", b->benefits[k].id);
          json_kv_int(j, "gained", row->gained[k]);
          json_kv_int(j, "lost", row->lost[k]);
          json_kv_int(j, "net", row->gained[k] - row->lost[k]);
          json_obj_end(j);
        }
        json_arr_end(j);
      }
      json_obj_end(j);
    }
    json_arr_end(j);
  }
  json_obj_end(j);
}

void compare_json(const compare *c, json *j) {
  const model *b = run_model(c->rn, c->base);
  int nf, nt;
  used_rows(c, &nf, &nt);
  runcmp_matrix mx = {nf, nt, compare_from_cb, compare_to_cb, compare_count_cb, c};
  runcmp_json_matrix(j, &mx);
  json_kv_int(j, "units", c->units);
  json_kv_int(j, "changed", c->changed);
  json_kv_int(j, "better", c->better);
  json_kv_int(j, "worse", c->worse);
  json_kv_int(j, "poor_changed_same_category", c->poor_only);
  json_kv_int(j, "measures_changed_same_category", c->benefits_only);
  strbuf notes = {0};
  compare_notes(c, &notes);
  json_kv_lines(j, "notes", notes.s);
  sb_free(&notes);
  json_kv_lines(j, "rule_changes", c->rule_changes.s);
  compare_json_deltas(c, j);
  compare_json_indicator_deltas(c, j);
  compare_json_group_deltas(c, j);
  json_key(j, "measures");
  json_arr(j);
  for (int k = 0; k < b->nbenefits; k++) {
    json_obj(j);
    json_kv_str(j, "id", b->benefits[k].id);
    json_kv_bool(j, "in_variant", c->benefit_map[k] >= 0);
    json_kv_int(j, "gained", c->gained[k]);
    json_kv_int(j, "lost", c->lost[k]);
    json_kv_int(j, "net", c->gained[k] - c->lost[k]);
    json_obj_end(j);
  }
  json_arr_end(j);
}

/* Base, variant and delta cells: shares in percent with the delta in
** percentage points (pct), else decimals; the variant "(absent)" when isnan. */
static void cmp_cells(strbuf *o, double b, double v, int pct) {
  char cb[32], cv[32], cd[32];
  if (pct) {
    af_fmt_pct(cb, b), af_fmt_pct(cv, v);
    snprintf(cd, sizeof cd, "%+.2f pp", 100 * (v - b));
  } else {
    snprintf(cb, sizeof cb, "%.4f", b), snprintf(cv, sizeof cv, "%.4f", v);
    snprintf(cd, sizeof cd, "%+.4f", v - b);
  }
  if (isnan(b)) snprintf(cb, sizeof cb, "-"), snprintf(cd, sizeof cd, "(added)");
  if (isnan(v)) snprintf(cv, sizeof cv, "(absent)"), snprintf(cd, sizeof cd, "%s", "");
  sb_printf(o, " %10s %10s %11s\n", cb, cv, cd);
}

/* An indicator's id and, when it has one of its own, its name. */
static void cmp_indicator(strbuf *o, const model_indicator *x) {
  sb_puts(o, "  ");
  sb_cell(o, x->id, 22);
  sb_putc(o, ' ');
  sb_cell(o, strcmp(x->name, x->id) != 0 ? x->name : "", 28);
}

void compare_text(const compare *c, strbuf *o) {
  const run *rn = c->rn;
  const model *b = run_model(rn, c->base), *v = run_model(rn, c->var);
  const measure *mb = run_measure(rn, c->base), *mv = run_measure(rn, c->var);
  figures fb = measure_figures(&mb->all), fv = measure_figures(&mv->all);
  sb_textf(o, "base:    %s (%s)\nvariant: %s (%s)\n\n", b->name, b->file, v->name, v->file);
  if (c->nrule_changes) {
    sb_textf(o, "rule changes:\n");
    sb_put_lines(o, "  ", c->rule_changes.s);
    sb_puts(o, "\n");
  }
  strbuf notes = {0};
  compare_notes(c, &notes);
  sb_put_lines(o, "note: ", notes.s);
  if (notes.len) sb_puts(o, "\n");
  sb_free(&notes);
  /* Shares in percent, M0 and mean points as decimals (JSON: fractions). */
  if (b->scoring == SCORING_AF && v->scoring == SCORING_AF) {
    sb_textf(o, "%-10s %10s %10s %11s\n", "", "base", "variant", "delta");
    sb_textf(o, "%-10s", "H"), cmp_cells(o, fb.H, fv.H, 1);
    sb_textf(o, "%-10s", "A"), cmp_cells(o, fb.A, fv.A, 1);
    sb_textf(o, "%-10s", "M0"), cmp_cells(o, fb.M0, fv.M0, 0);
    sb_puts(o, "\n");
  }
  sb_textf(o, "category shares:\n");
  for (int i = 0; i < b->nbands; i++) {
    int k = model_find_band(v, b->bands[i].id);
    double sb_ = share(mb->all.cat_w[i], mb->all.n);
    double sv_ = k >= 0 ? share(mv->all.cat_w[k], mv->all.n) : 0;
    sb_textf(o, "  %-8s", b->bands[i].id), cmp_cells(o, sb_, sv_, 1);
  }
  int nf, nt;
  used_rows(c, &nf, &nt);
  sb_textf(o, "\ntransitions (rows: base, columns: variant):\n%10s", "");
  for (int k = 0; k < nt; k++) sb_textf(o, " %10s", to_label(c, k));
  sb_textf(o, "\n");
  for (int i = 0; i < nf; i++) {
    sb_textf(o, "%10s", from_label(c, i));
    for (int k = 0; k < nt; k++)
      sb_textf(o, " %10lld", (long long)c->counts[from_at(c, i) * c->nto + to_at(c, k)]);
    sb_textf(o, "\n");
  }
  sb_textf(o, "\n%lld of %lld units change category: %lld to a better one, %lld to a worse one\n",
            (long long)c->changed, (long long)c->units, (long long)c->better, (long long)c->worse);
  if (c->poor_only || c->benefits_only)
    sb_textf(o, "in the same category, %lld change poor status and %lld the measures they may "
                 "claim\n", (long long)c->poor_only, (long long)c->benefits_only);
  for (int g = 0; g < b->ngroups; g++) {
    sb_textf(o, "\nby %s:\n  %-20s %8s %8s %8s", b->groups[g], "value", "changed", "better",
              "worse");
    int both_af = b->scoring == SCORING_AF && v->scoring == SCORING_AF;
    if (both_af) sb_textf(o, " %10s %9s", "dH", "dM0");
    sb_textf(o, "\n");
    for (int r = 0; r < c->ngroups_rows[g]; r++) {
      const compare_group *row = &c->groups[g][r];
      sb_puts(o, "  ");
      sb_cell(o, report_group_label(rn, row->value), 20);
      sb_textf(o, " %8lld %8lld %8lld", (long long)row->changed, (long long)row->better,
                (long long)row->worse);
      const acc *ab = base_group(c, g, row->value), *av = var_group(c, g, row->value);
      if (both_af && ab && av) {
        figures gb = measure_figures(ab), gv = measure_figures(av);
        char dh[32];
        snprintf(dh, sizeof dh, "%+.2f pp", 100 * (gv.H - gb.H));
        sb_textf(o, " %10s %+9.4f", dh, gv.M0 - gb.M0);
      }
      sb_textf(o, "\n");
    }
  }
  if (b->ninds) {
    /* AF: the share deprived; points: the mean points. */
    int pct = b->scoring == SCORING_AF;
    sb_textf(o, "\nindicator %s:\n", pct ? "headcounts (uncensored)" : "mean points");
    for (int i = 0; i < b->ninds; i++) {
      int k = c->ind_map[i];
      cmp_indicator(o, &b->inds[i]);
      cmp_cells(o, share(mb->all.unc[i], mb->all.n), k < 0 ? NAN : share(mv->all.unc[k], mv->all.n),
                pct);
    }
    for (int k = 0; b->scoring == v->scoring && k < v->ninds; k++)
      if (model_find_indicator(b, v->inds[k].id) < 0) {
        cmp_indicator(o, &v->inds[k]);
        cmp_cells(o, NAN, share(mv->all.unc[k], mv->all.n), pct);
      }
  }
  if (b->nbenefits) {
    sb_textf(o, "\n%-30s %10s %10s %10s\n", "measures", "gained", "lost", "net");
    for (int k = 0; k < b->nbenefits; k++)
      sb_textf(o, "  %-28s %10lld %10lld %+10lld\n", b->benefits[k].id, (long long)c->gained[k],
                (long long)c->lost[k], (long long)(c->gained[k] - c->lost[k]));
  }
}

void compare_sort_groups(compare *c, const strpool *pool) {
  const model *mb = run_model(c->rn, c->base);
  for (int g = 0; g < mb->ngroups; g++) {
    compare_group *rows = c->groups[g];
    for (int i = 1; i < c->ngroups_rows[g]; i++) {
      compare_group x = rows[i];
      int j = i - 1;
      while (j >= 0 && (rows[j].value < 0 ? 0 : x.value < 0 ? 1
                        : strcmp(strpool_get(pool, rows[j].value), strpool_get(pool, x.value)) > 0)) {
        rows[j + 1] = rows[j];
        j--;
      }
      rows[j + 1] = x;
    }
    free(c->group_slot[g]);
    c->group_slot[g] = NULL;
    c->nslot[g] = 0;
  }
}
