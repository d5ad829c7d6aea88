/*
** runcmp.c: compare two recorded runs unit by unit from unit_scores (see
** runcmp.h): a transition matrix, the units that changed category or poor
** status, and the measures gained and lost.
*/
#include "runcmp.h"

#include "describe.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Display position of band b of m, best first (AF bands ascend from the
** best, points bands towards it); "(excluded)" is nbands. The mapping is its
** own inverse. */
static int runcmp_pos(const model *m, int b) {
  if (b >= m->nbands) return m->nbands;
  return m->scoring == SCORING_AF ? b : m->nbands - 1 - b;
}

/* Display position of a recorded category, or -1 for an id m does not have. */
static int runcmp_cat(const model *m, const char *cat) {
  if (!cat) return m->nbands;
  int b = model_find_band(m, cat);
  return b < 0 ? -1 : runcmp_pos(m, b);
}

const char *runcmp_from(const runcmp *rc, int i) {
  int b = runcmp_pos(rc->ma, i);
  return b < rc->ma->nbands ? rc->ma->bands[b].id : "(excluded)";
}

const char *runcmp_to(const runcmp *rc, int j) {
  int b = runcmp_pos(rc->mb, j);
  return b < rc->mb->nbands ? rc->mb->bands[b].id : "(excluded)";
}

int64_t runcmp_count(const runcmp *rc, int i, int j) { return rc->counts[i * rc->nto + j]; }

static void runcmp_setup(runcmp *rc, const model *ma, const model *mb) {
  memset(rc, 0, sizeof *rc);
  rc->ma = ma;
  rc->mb = mb;
  rc->nfrom = ma->nbands + 1;
  rc->nto = mb->nbands + 1;
  rc->counts = af_calloc((size_t)(rc->nfrom * rc->nto), sizeof *rc->counts);
  rc->measure_ids = af_calloc((size_t)(ma->nbenefits + mb->nbenefits) + 1, sizeof(char *));
  for (int k = 0; k < ma->nbenefits; k++) rc->measure_ids[rc->nmeasures++] = ma->benefits[k].id;
  for (int k = 0; k < mb->nbenefits; k++) {
    int seen = 0;
    for (int i = 0; i < ma->nbenefits; i++) seen |= strcmp(ma->benefits[i].id, mb->benefits[k].id) == 0;
    if (!seen) rc->measure_ids[rc->nmeasures++] = mb->benefits[k].id;
  }
  rc->all.gained = af_calloc((size_t)rc->nmeasures + 1, sizeof *rc->all.gained);
  rc->all.lost = af_calloc((size_t)rc->nmeasures + 1, sizeof *rc->all.lost);
}

void runcmp_free(runcmp *rc) {
  free(rc->counts);
  free(rc->measure_ids);
  free(rc->all.gained);
  free(rc->all.lost);
  for (int g = 0; g < rc->ngroups; g++) {
    for (int v = 0; v < rc->groups[g].nvalues; v++) {
      free(rc->groups[g].values[v].gained);
      free(rc->groups[g].values[v].lost);
    }
    free(rc->groups[g].values);
  }
  free(rc->groups);
  free(rc->gslot);
  memset(rc, 0, sizeof *rc);
}

int runcmp_is_worst(const model *m, const char *cat) {
  int i = runcmp_cat(m, cat);
  return i >= 0 && i < m->nbands && i >= m->nbands - 2;
}

void runcmp_worst_ids(const model *m, char *out, size_t cap) {
  if (m->nbands >= 2)
    snprintf(out, cap, "%s+%s", m->bands[runcmp_pos(m, m->nbands - 2)].id,
             m->bands[runcmp_pos(m, m->nbands - 1)].id);
  else
    snprintf(out, cap, "%s", m->nbands ? m->bands[0].id : "");
}

/* ---- by group ---- */

/* Split by the group values of the run that recorded them, B first. */
static void runcmp_groups_setup(runcmp *rc, const run_record *ra, const run_record *rb) {
  const run_record *r = rb->group_columns >= 0 ? rb : ra->group_columns >= 0 ? ra : NULL;
  if (!r) return;
  rc->groups_from = r == rb ? 'B' : 'A';
  rc->ngroups = r->group_columns;
  rc->ncodes = r->ngroup_values;
  rc->gtexts = r->group_values;
  rc->groups = af_calloc((size_t)rc->ngroups + 1, sizeof *rc->groups);
  for (int g = 0; g < rc->ngroups; g++) rc->groups[g].name = r->groups[g];
  size_t n = (size_t)rc->ngroups * ((size_t)rc->ncodes + 1);
  rc->gslot = af_malloc((n + 1) * sizeof *rc->gslot);
  memset(rc->gslot, 0xff, (n + 1) * sizeof *rc->gslot);
}

/* The tallies of value code of group g, made on first use. */
static runcmp_gvalue *runcmp_gvalue_of(runcmp *rc, int g, int32_t code) {
  assert(g >= 0 && g < rc->ngroups && code >= 0 && code <= rc->ncodes);
  int32_t *slot = &rc->gslot[(size_t)g * ((size_t)rc->ncodes + 1) + (size_t)code];
  runcmp_group *gr = &rc->groups[g];
  if (*slot < 0) {
    af_grow(&gr->values, &gr->cap, gr->nvalues + 1, sizeof *gr->values);
    runcmp_gvalue *v = &gr->values[gr->nvalues];
    memset(v, 0, sizeof *v);
    v->value = code ? rc->gtexts[code - 1] : NULL;
    v->gained = af_calloc((size_t)rc->nmeasures + 1, sizeof *v->gained);
    v->lost = af_calloc((size_t)rc->nmeasures + 1, sizeof *v->lost);
    *slot = gr->nvalues++;
  }
  return &gr->values[*slot];
}

static int runcmp_gvalue_cmp(const void *x, const void *y) {
  const runcmp_gvalue *a = x, *b = y;
  if (!a->value || !b->value) return !a->value - !b->value;
  return strcmp(a->value, b->value);
}

/* Values in text order once all are counted (the slots are not used again). */
static void runcmp_groups_sort(runcmp *rc) {
  for (int g = 0; g < rc->ngroups; g++)
    if (rc->groups[g].nvalues > 1)   /* values is NULL when no unit is in both runs */
      qsort(rc->groups[g].values, (size_t)rc->groups[g].nvalues, sizeof(runcmp_gvalue),
            runcmp_gvalue_cmp);
}

/* Is measure id eligible in the bit mask of model m? */
static int runcmp_eligible(const model *m, int64_t mask, const char *id) {
  for (int k = 0; k < m->nbenefits; k++)
    if (strcmp(m->benefits[k].id, id) == 0) return (int)(mask >> k & 1);
  return 0;
}

/* What one unit adds: to the whole and to each of its groups' values. */
typedef struct runcmp_delta {
  int changed, better, worse, worst_a, worst_b, poor_lost, poor_gained;
} runcmp_delta;

static void runcmp_add(runcmp_gvalue *v, const runcmp_delta *d, const runcmp *rc,
                       const runcmp_result *a, const runcmp_result *b) {
  v->units++;
  v->changed += d->changed;
  v->better += d->better;
  v->worse += d->worse;
  v->worst_a += d->worst_a;
  v->worst_b += d->worst_b;
  v->poor_lost += d->poor_lost;
  v->poor_gained += d->poor_gained;
  for (int k = 0; k < rc->nmeasures; k++) {
    int ea = runcmp_eligible(rc->ma, a->eligible, rc->measure_ids[k]);
    int eb = runcmp_eligible(rc->mb, b->eligible, rc->measure_ids[k]);
    v->gained[k] += !ea && eb;
    v->lost[k] += ea && !eb;
  }
}

/* codes: the unit's group value codes (rc->ngroups of them). */
static int runcmp_pair(runcmp *rc, const runcmp_result *a, const runcmp_result *b,
                       const int32_t *codes, af_err *e) {
  int i = runcmp_cat(rc->ma, a->category), j = runcmp_cat(rc->mb, b->category);
  if (i < 0 || j < 0)
    return af_fail(e, "a recorded category (%s) is not one of its methodology's",
                   i < 0 ? a->category : b->category);
  rc->counts[i * rc->nto + j]++;
  runcmp_delta d = {0};
  const char *fa = a->category ? a->category : "(excluded)";
  const char *fb = b->category ? b->category : "(excluded)";
  if (strcmp(fa, fb) != 0) {
    d.changed = 1;
    /* direction by A's order of categories, when both are categories of A */
    int jb = b->category ? runcmp_cat(rc->ma, b->category) : -1;
    if (a->category && jb >= 0 && jb < rc->ma->nbands) {
      d.better = jb < i;
      d.worse = jb > i;
    }
  }
  d.worst_a = runcmp_is_worst(rc->ma, a->category);
  d.worst_b = runcmp_is_worst(rc->mb, b->category);
  if (a->poor >= 0 && b->poor >= 0) {
    d.poor_lost = a->poor && !b->poor;
    d.poor_gained = !a->poor && b->poor;
  }
    runcmp_add(&rc->all, &d, rc, a, b);
  for (int g = 0; g < rc->ngroups; g++) runcmp_add(runcmp_gvalue_of(rc, g, codes[g]), &d, rc, a, b);
  return 0;
}

/* The current row of an iterator as a result; the unit id is copied to key
** (the row's pointers die at the next call). */
typedef struct runcmp_side {
  const run_record *rec;
  store_iter *it;
  int more;
  char *unit, *cat;
  runcmp_result r;
  int32_t *codes;            /* the row's group codes, on the side groups come from */
} runcmp_side;

static int runcmp_next(runcmp_side *s, const runcmp *rc, af_err *e) {
  const char *unit, *cat;
  free(s->unit);
  free(s->cat);
  s->unit = s->cat = NULL;
  s->more = store_iter_next(s->it, &unit, &s->r.score, &s->r.poor, &cat, &s->r.eligible, e);
  if (s->more == 1) {
    s->unit = af_strdup(unit);
    s->cat = cat ? af_strdup(cat) : NULL;
    s->r.category = s->cat;
    if (s->codes && rc->ngroups > 0 &&
        store_iter_groups(s->it, s->codes, rc->ngroups, rc->ncodes) != 1)
      return s->more = af_fail(e, "run %lld, unit '%s': the recorded group values are missing "
                                  "or damaged (afscore verify --run %lld tells more)",
                               (long long)s->rec->id, unit, (long long)s->rec->id);
  }
  return s->more;
}

/* 1: the run's rows are in no key order ("stored", "none"): any key order
** can be read (store_iter_begin_order). */
static int runcmp_any_order(const run_record *r) {
  return r->unit_order && (strcmp(r->unit_order, "stored") == 0 || strcmp(r->unit_order, "none") == 0);
}

/* The runs' common unit order (store_unit_cmp): "integer" or text. A run
** in no key order is read in the other's. */
static int runcmp_order(const run_record *a, const run_record *b, const char **order, af_err *e) {
  int ia = a->unit_order && strcmp(a->unit_order, "integer") == 0;
  int ib = b->unit_order && strcmp(b->unit_order, "integer") == 0;
  if (runcmp_any_order(a)) ia = ib;
  if (runcmp_any_order(b)) ib = ia;
  if (ia != ib)
    return af_fail(e, "runs %lld and %lld list their units in different orders (integer ids in "
                      "one, text in the other): their units cannot be matched",
                   (long long)a->id, (long long)b->id);
  *order = ia ? "integer" : "text";
  return 0;
}

int runcmp_runs(store *st, const run_record *a, const run_record *b, const model *ma,
                const model *mb, runcmp_unit_fn fn, void *ctx, runcmp *rc, af_err *e) {
  runcmp_setup(rc, ma, mb);
  runcmp_groups_setup(rc, a, b);
  runcmp_side sa = {.rec = a}, sb = {.rec = b};
  runcmp_side *gs = rc->groups_from == 'A' ? &sa : rc->groups_from == 'B' ? &sb : NULL;
  if (gs) gs->codes = af_calloc((size_t)rc->ngroups + 1, sizeof *gs->codes);
  const char *order = "text";
  int rv = -1;
  if (runcmp_order(a, b, &order, e) < 0) goto done;
  if (store_iter_begin_order(st, a->id, order, &sa.it, e) < 0 ||
      store_iter_begin_order(st, b->id, order, &sb.it, e) < 0)
    goto done;
  if (runcmp_next(&sa, rc, e) < 0 || runcmp_next(&sb, rc, e) < 0) goto done;
  /* Both runs come in unit order (store_iter_next): a merge join. */
  while (sa.more == 1 || sb.more == 1) {
    int c = sa.more != 1 ? 1 : sb.more != 1 ? -1 : store_unit_cmp(order, sa.unit, sb.unit);
    if (c == 0) {
      if (runcmp_pair(rc, &sa.r, &sb.r, gs ? gs->codes : NULL, e) < 0) goto done;
      if (fn && fn(ctx, sa.unit, &sa.r, &sb.r, e) < 0) goto done;
    }
    rc->only_a += c < 0;
    rc->only_b += c > 0;
    if (c <= 0 && runcmp_next(&sa, rc, e) < 0) goto done;
    if (c >= 0 && runcmp_next(&sb, rc, e) < 0) goto done;
  }
  runcmp_groups_sort(rc);
  rv = 0;
done:
  free(sa.unit);
  free(sa.cat);
  free(sb.unit);
  free(sb.cat);
  free(sa.codes);
  free(sb.codes);
  store_iter_end(sa.it);
  store_iter_end(sb.it);
  if (rv < 0) runcmp_free(rc);
  return rv;
}

/* ---- output ---- */

void runcmp_json_matrix(json *j, const runcmp_matrix *m) {
  json_key(j, "transitions");
  json_obj(j);
  json_key(j, "from");
  json_arr(j);
  for (int i = 0; i < m->nfrom; i++) json_str(j, m->from(m->ctx, i));
  json_arr_end(j);
  json_key(j, "to");
  json_arr(j);
  for (int k = 0; k < m->nto; k++) json_str(j, m->to(m->ctx, k));
  json_arr_end(j);
  json_key(j, "counts");
  json_arr(j);
  for (int i = 0; i < m->nfrom; i++) {
    int compact = j->compact;
    json_arr(j);
    j->compact = 1;
    for (int k = 0; k < m->nto; k++) json_int(j, m->count(m->ctx, i, k));
    json_arr_end(j);
    j->compact = compact;
  }
  json_arr_end(j);
  json_obj_end(j);
}

static const char *runcmp_from_cb(const void *ctx, int i) { return runcmp_from(ctx, i); }
static const char *runcmp_to_cb(const void *ctx, int k) { return runcmp_to(ctx, k); }
static int64_t runcmp_count_cb(const void *ctx, int i, int k) { return runcmp_count(ctx, i, k); }

/* The tallies of the whole or of one group value (units: both runs'). */
static void runcmp_json_tally(const runcmp *rc, const runcmp_gvalue *v, json *j) {
  json_kv_int(j, "units", v->units);
  json_kv_int(j, "changed", v->changed);
  json_kv_int(j, "better", v->better);
  json_kv_int(j, "worse", v->worse);
  json_kv_int(j, "worst_before", v->worst_a);
  json_kv_int(j, "worst_after", v->worst_b);
  json_kv_int(j, "poor_lost", v->poor_lost);
  json_kv_int(j, "poor_gained", v->poor_gained);
  json_key(j, "measures");
  json_arr(j);
  for (int k = 0; k < rc->nmeasures; k++) {
    json_obj(j);
    json_kv_str(j, "id", rc->measure_ids[k]);
    json_kv_int(j, "gained", v->gained[k]);
    json_kv_int(j, "lost", v->lost[k]);
    json_kv_int(j, "net", v->gained[k] - v->lost[k]);
    json_obj_end(j);
  }
  json_arr_end(j);
}

static void runcmp_json_groups(const runcmp *rc, json *j) {
  json_key(j, "group_values_from");
  if (rc->groups_from) json_str(j, rc->groups_from == 'A' ? "run_a" : "run_b");
  else json_null(j);
  json_key(j, "groups");
  if (!rc->groups_from) {
    json_null(j);
    return;
  }
  json_obj(j);
  for (int g = 0; g < rc->ngroups; g++) {
    json_key(j, rc->groups[g].name);
    json_arr(j);
    for (int v = 0; v < rc->groups[g].nvalues; v++) {
      const runcmp_gvalue *x = &rc->groups[g].values[v];
      json_obj(j);
      json_key(j, "value");
      if (x->value) json_str(j, x->value);
      else json_null(j);
      runcmp_json_tally(rc, x, j);
      json_obj_end(j);
    }
    json_arr_end(j);
  }
  json_obj_end(j);
}

void runcmp_json(const runcmp *rc, json *j) {
  runcmp_matrix m = {rc->nfrom, rc->nto, runcmp_from_cb, runcmp_to_cb, runcmp_count_cb, rc};
  runcmp_json_matrix(j, &m);
  json_kv_int(j, "only_in_a", rc->only_a);
  json_kv_int(j, "only_in_b", rc->only_b);
  char ids[64];
  runcmp_worst_ids(rc->ma, ids, sizeof ids);
  json_kv_str(j, "worst_a", ids);
  runcmp_worst_ids(rc->mb, ids, sizeof ids);
  json_kv_str(j, "worst_b", ids);
  runcmp_json_tally(rc, &rc->all, j);
  runcmp_json_groups(rc, j);
}

/* "by region": one row per value, then the measures gained and lost. */
static void runcmp_text_group(const runcmp *rc, const runcmp_group *gr, strbuf *o) {
  char wa[64], wb[64], ha[80], hb[80];
  runcmp_worst_ids(rc->ma, wa, sizeof wa);
  runcmp_worst_ids(rc->mb, wb, sizeof wb);
  snprintf(ha, sizeof ha, "%s before", wa);
  snprintf(hb, sizeof hb, "%s after", wb);
  sb_textf(o, "\nby %s (units in both runs):\n  ", gr->name);
  sb_cell(o, gr->name, 24);
  sb_textf(o, " %8s %8s %8s %8s %11s %11s\n", "units", "changed", "better", "worse", ha, hb);
  for (int v = 0; v < gr->nvalues; v++) {
    const runcmp_gvalue *x = &gr->values[v];
    sb_puts(o, "  ");
    sb_cell(o, x->value ? x->value : "(null)", 24);
    sb_textf(o, " %8lld %8lld %8lld %8lld %11lld %11lld\n", (long long)x->units,
              (long long)x->changed, (long long)x->better, (long long)x->worse,
              (long long)x->worst_a, (long long)x->worst_b);
  }
  /* the measures someone gained or lost (the others are all zeros) */
  int nchanged = 0;
  for (int k = 0; k < rc->nmeasures; k++) nchanged += rc->all.gained[k] || rc->all.lost[k];
  if (!nchanged) return;
  sb_textf(o, "\nmeasures gained and lost by %s:\n  ", gr->name);
  sb_cell(o, gr->name, 24);
  sb_puts(o, " ");
  sb_cell(o, "measure", 20);
  sb_textf(o, " %8s %8s %8s\n", "gained", "lost", "net");
  for (int v = 0; v < gr->nvalues; v++) {
    const runcmp_gvalue *x = &gr->values[v];
    for (int k = 0; k < rc->nmeasures; k++) {
      if (!rc->all.gained[k] && !rc->all.lost[k]) continue;
      sb_puts(o, "  ");
      sb_cell(o, x->value ? x->value : "(null)", 24);
      sb_puts(o, " ");
      sb_cell(o, rc->measure_ids[k], 20);
      sb_textf(o, " %8lld %8lld %+8lld\n", (long long)x->gained[k], (long long)x->lost[k],
                (long long)(x->gained[k] - x->lost[k]));
    }
  }
}

static void runcmp_text_groups(const runcmp *rc, strbuf *o) {
  if (!rc->groups_from) {
    sb_puts(o, "\nno split by group: both runs were recorded before afscore kept each unit's "
               "group values (results schema 3); score them again with --out to split by group\n");
    return;
  }
  if (rc->groups_from == 'A' && rc->ngroups)
    sb_puts(o, "\nnote: run B was recorded before afscore kept group values: units are split "
               "by run A's\n");
  for (int g = 0; g < rc->ngroups; g++) runcmp_text_group(rc, &rc->groups[g], o);
}

void runcmp_text(const runcmp *rc, strbuf *o) {
  const runcmp_gvalue *all = &rc->all;
  strbuf notes = {0};
  describe_caveats(rc->ma, rc->mb, "run A", "run B", &notes);
  sb_put_lines(o, "note: ", notes.s);
  if (notes.len) sb_puts(o, "\n");
  sb_free(&notes);
  sb_textf(o, "transitions (rows: run A, columns: run B):\n%10s", "");
  for (int k = 0; k < rc->nto; k++) sb_textf(o, " %10s", runcmp_to(rc, k));
  sb_puts(o, "\n");
  for (int i = 0; i < rc->nfrom; i++) {
    sb_textf(o, "%10s", runcmp_from(rc, i));
    for (int k = 0; k < rc->nto; k++) sb_textf(o, " %10lld", (long long)runcmp_count(rc, i, k));
    sb_puts(o, "\n");
  }
  sb_textf(o, "\n%lld of %lld units change category: %lld to a better one, %lld to a worse one\n",
            (long long)all->changed, (long long)all->units, (long long)all->better,
            (long long)all->worse);
  char wa[64], wb[64];
  runcmp_worst_ids(rc->ma, wa, sizeof wa);
  runcmp_worst_ids(rc->mb, wb, sizeof wb);
  sb_textf(o, "in %s before: %lld; in %s after: %lld\n", wa, (long long)all->worst_a, wb,
            (long long)all->worst_b);
  if (all->poor_lost || all->poor_gained)
    sb_textf(o, "%lld stop being poor, %lld become poor\n", (long long)all->poor_lost,
              (long long)all->poor_gained);
  if (rc->only_a || rc->only_b)
    sb_textf(o, "not compared: %lld units recorded only in run A, %lld only in run B\n",
              (long long)rc->only_a, (long long)rc->only_b);
  if (rc->nmeasures) {
    sb_textf(o, "\n%-30s %10s %10s %10s\n", "measures", "gained", "lost", "net");
    for (int k = 0; k < rc->nmeasures; k++) {
      sb_puts(o, "  ");
      sb_cell(o, rc->measure_ids[k], 28);
      sb_textf(o, " %10lld %10lld %+10lld\n", (long long)all->gained[k],
                (long long)all->lost[k], (long long)(all->gained[k] - all->lost[k]));
    }
  }
  runcmp_text_groups(rc, o);
}
