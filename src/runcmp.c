/*
** runcmp.c: compare two recorded runs unit by unit from unit_scores (see
** runcmp.h): a transition matrix, the units that changed category or poor
** status, and the measures gained and lost.
*/
#include "runcmp.h"

#include "describe.h"

#include <math.h>
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
  rc->gained = af_calloc((size_t)rc->nmeasures + 1, sizeof *rc->gained);
  rc->lost = af_calloc((size_t)rc->nmeasures + 1, sizeof *rc->lost);
}

void runcmp_free(runcmp *rc) {
  free(rc->counts);
  free(rc->measure_ids);
  free(rc->gained);
  free(rc->lost);
  memset(rc, 0, sizeof *rc);
}

/* Is measure id eligible in the bit mask of model m? */
static int runcmp_eligible(const model *m, int64_t mask, const char *id) {
  for (int k = 0; k < m->nbenefits; k++)
    if (strcmp(m->benefits[k].id, id) == 0) return (int)(mask >> k & 1);
  return 0;
}

static int runcmp_pair(runcmp *rc, const runcmp_result *a, const runcmp_result *b, af_err *e) {
  int i = runcmp_cat(rc->ma, a->category), j = runcmp_cat(rc->mb, b->category);
  if (i < 0 || j < 0)
    return af_fail(e, "a recorded category (%s) is not one of its methodology's",
                   i < 0 ? a->category : b->category);
  rc->counts[i * rc->nto + j]++;
  rc->both++;
  const char *fa = a->category ? a->category : "(excluded)";
  const char *fb = b->category ? b->category : "(excluded)";
  if (strcmp(fa, fb) != 0) {
    rc->changed++;
    /* direction by A's order of categories, when both are categories of A */
    int jb = b->category ? runcmp_cat(rc->ma, b->category) : -1;
    if (a->category && jb >= 0 && jb < rc->ma->nbands) {
      rc->better += jb < i;
      rc->worse += jb > i;
    }
  }
  if (a->poor >= 0 && b->poor >= 0) {
    rc->poor_lost += a->poor && !b->poor;
    rc->poor_gained += !a->poor && b->poor;
  }
  for (int k = 0; k < rc->nmeasures; k++) {
    int ea = runcmp_eligible(rc->ma, a->eligible, rc->measure_ids[k]);
    int eb = runcmp_eligible(rc->mb, b->eligible, rc->measure_ids[k]);
    rc->gained[k] += !ea && eb;
    rc->lost[k] += ea && !eb;
  }
  return 0;
}

/* The current row of an iterator as a result; the unit id is copied to key
** (the row's pointers die at the next call). */
typedef struct runcmp_side {
  store_iter *it;
  int more;
  char *unit, *cat;
  runcmp_result r;
} runcmp_side;

static int runcmp_next(runcmp_side *s, af_err *e) {
  const char *unit, *cat;
  free(s->unit);
  free(s->cat);
  s->unit = s->cat = NULL;
  s->more = store_iter_next(s->it, &unit, &s->r.score, &s->r.poor, &cat, &s->r.eligible, e);
  if (s->more == 1) {
    s->unit = af_strdup(unit);
    s->cat = cat ? af_strdup(cat) : NULL;
    s->r.category = s->cat;
  }
  return s->more;
}

int runcmp_runs(store *st, int64_t a, int64_t b, const model *ma, const model *mb,
                runcmp_unit_fn fn, void *ctx, runcmp *rc, af_err *e) {
  runcmp_setup(rc, ma, mb);
  runcmp_side sa = {0}, sb = {0};
  int rv = -1;
  if (store_iter_begin(st, a, &sa.it, e) < 0 || store_iter_begin(st, b, &sb.it, e) < 0) goto done;
  if (runcmp_next(&sa, e) < 0 || runcmp_next(&sb, e) < 0) goto done;
  /* Both runs come in unit order (store_iter_next): a merge join. */
  while (sa.more == 1 || sb.more == 1) {
    int c = sa.more != 1 ? 1 : sb.more != 1 ? -1 : strcmp(sa.unit, sb.unit);
    if (c == 0) {
      if (runcmp_pair(rc, &sa.r, &sb.r, e) < 0) goto done;
      if (fn && fn(ctx, sa.unit, &sa.r, &sb.r, e) < 0) goto done;
    }
    rc->only_a += c < 0;
    rc->only_b += c > 0;
    if (c <= 0 && runcmp_next(&sa, e) < 0) goto done;
    if (c >= 0 && runcmp_next(&sb, e) < 0) goto done;
  }
  rv = 0;
done:
  free(sa.unit);
  free(sa.cat);
  free(sb.unit);
  free(sb.cat);
  store_iter_end(sa.it);
  store_iter_end(sb.it);
  if (rv < 0) runcmp_free(rc);
  return rv;
}

/* ---- output ---- */

void runcmp_json(const runcmp *rc, json *j) {
  json_key(j, "transitions");
  json_obj(j);
  json_key(j, "from");
  json_arr(j);
  for (int i = 0; i < rc->nfrom; i++) json_str(j, runcmp_from(rc, i));
  json_arr_end(j);
  json_key(j, "to");
  json_arr(j);
  for (int k = 0; k < rc->nto; k++) json_str(j, runcmp_to(rc, k));
  json_arr_end(j);
  json_key(j, "counts");
  json_arr(j);
  for (int i = 0; i < rc->nfrom; i++) {
    int compact = j->compact;
    json_arr(j);
    j->compact = 1;
    for (int k = 0; k < rc->nto; k++) json_int(j, runcmp_count(rc, i, k));
    json_arr_end(j);
    j->compact = compact;
  }
  json_arr_end(j);
  json_obj_end(j);
  json_kv_int(j, "units", rc->both);
  json_kv_int(j, "only_in_a", rc->only_a);
  json_kv_int(j, "only_in_b", rc->only_b);
  json_kv_int(j, "changed", rc->changed);
  json_kv_int(j, "better", rc->better);
  json_kv_int(j, "worse", rc->worse);
  json_kv_int(j, "poor_lost", rc->poor_lost);
  json_kv_int(j, "poor_gained", rc->poor_gained);
  json_key(j, "measures");
  json_arr(j);
  for (int k = 0; k < rc->nmeasures; k++) {
    json_obj(j);
    json_kv_str(j, "id", rc->measure_ids[k]);
    json_kv_int(j, "gained", rc->gained[k]);
    json_kv_int(j, "lost", rc->lost[k]);
    json_kv_int(j, "net", rc->gained[k] - rc->lost[k]);
    json_obj_end(j);
  }
  json_arr_end(j);
}

void runcmp_text(const runcmp *rc, strbuf *o) {
  strbuf notes = {0};
  describe_caveats(rc->ma, rc->mb, "run A", "run B", &notes);
  sb_put_lines(o, "note: ", notes.s);
  if (notes.len) sb_puts(o, "\n");
  sb_free(&notes);
  sb_printf(o, "transitions (rows: run A, columns: run B):\n%10s", "");
  for (int k = 0; k < rc->nto; k++) sb_printf(o, " %10s", runcmp_to(rc, k));
  sb_puts(o, "\n");
  for (int i = 0; i < rc->nfrom; i++) {
    sb_printf(o, "%10s", runcmp_from(rc, i));
    for (int k = 0; k < rc->nto; k++) sb_printf(o, " %10lld", (long long)runcmp_count(rc, i, k));
    sb_puts(o, "\n");
  }
  sb_printf(o, "\n%lld of %lld units change category: %lld to a better one, %lld to a worse one\n",
            (long long)rc->changed, (long long)rc->both, (long long)rc->better,
            (long long)rc->worse);
  if (rc->poor_lost || rc->poor_gained)
    sb_printf(o, "%lld stop being poor, %lld become poor\n", (long long)rc->poor_lost,
              (long long)rc->poor_gained);
  if (rc->only_a || rc->only_b)
    sb_printf(o, "not compared: %lld units recorded only in run A, %lld only in run B\n",
              (long long)rc->only_a, (long long)rc->only_b);
  if (rc->nmeasures) {
    sb_printf(o, "\n%-30s %10s %10s %10s\n", "measures", "gained", "lost", "net");
    for (int k = 0; k < rc->nmeasures; k++) {
      sb_puts(o, "  ");
      sb_cell(o, rc->measure_ids[k], 28);
      sb_printf(o, " %10lld %10lld %+10lld\n", (long long)rc->gained[k], (long long)rc->lost[k],
                (long long)(rc->gained[k] - rc->lost[k]));
    }
  }
}
