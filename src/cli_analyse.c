/*
** cli_analyse.c: the analysts' and reviewers' commands: compare, sweep,
** explain, replay and notices. Each is one pass over the data (or over a
** recorded run) built from run.h, compare.h and the results store.
*/
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare.h"
#include "method.h"
#include "report.h"
#include "run.h"
#include "store.h"

static int fail(const char *msg) {
  fprintf(stderr, "afscore: %s\n", msg);
  return 1;
}

/* Open a run over models, printing schema errors. */
static int open_run(run *rn, const char *db, const model **ms, int n) {
  diag_list d = {0};
  af_err e = {{0}};
  int rc = run_open(rn, db, ms, n, &d, &e);
  if (rc < 0) {
    diag_sort(&d);
    cli_print_diags(&d);
    if (d.n == 0) fail(e.msg);
  }
  diag_free(&d);
  return rc;
}

/* ---- recorded methodologies ---- */

static const char *base_name(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

/* Same file name, ignoring directories and a ".lua" suffix. */
static int same_file(const char *a, const char *b) {
  a = base_name(a);
  b = base_name(b);
  size_t la = strlen(a), lb = strlen(b);
  if (la > 4 && strcmp(a + la - 4, ".lua") == 0) la -= 4;
  if (lb > 4 && strcmp(b + lb - 4, ".lua") == 0) lb -= 4;
  return la == lb && memcmp(a, b, la) == 0;
}

/* method_reader serving a recorded run's sources: no file is read from disk. */
static int read_recorded(void *ctx, const char *name, char **text, size_t *len, char **path) {
  const run_record *r = ctx;
  for (int i = 0; i < r->nfiles; i++) {
    const model_file *f = &r->files[i];
    if (strcmp(f->name, name) == 0 || (f->path && strcmp(f->path, name) == 0) ||
        same_file(f->name, name)) {
      *text = af_strndup(f->text, f->len);
      *len = f->len;
      *path = af_strdup(f->path && *f->path ? f->path : f->name);
      return 0;
    }
  }
  return -1;
}

static model *load_recorded(const run_record *rec) {
  method_opts mo;
  memset(&mo, 0, sizeof mo);
  mo.reader = read_recorded;
  mo.reader_ctx = (void *)rec;
  model *m = NULL;
  diag_list d = {0};
  if (rec->nfiles == 0 || method_load(rec->files[0].name, &mo, &m, &d) < 0) {
    diag_sort(&d);
    cli_print_diags(&d);
    fprintf(stderr, "afscore: the methodology recorded with run %lld could not be loaded\n",
            (long long)rec->id);
    m = NULL;
  }
  diag_free(&d);
  return m;
}

static int open_record(const char *out, long long id, store **st, run_record *rec) {
  af_err e;
  memset(rec, 0, sizeof *rec);
  if (store_open(out, st, &e) < 0) return fail(e.msg);
  if (store_load_run(*st, id, rec, &e) < 0) {
    store_close(*st);
    *st = NULL;
    return fail(e.msg);
  }
  return 0;
}

/* ---- compare ---- */

typedef struct cmp_ctx {
  compare *c;
  int n;
  long long done;
  double started;
  const run *rn;
  FILE *changes;
} cmp_ctx;

/* The source starts again in key order: empty the comparisons and the file. */
static int compare_restart(void *ctx, af_err *e) {
  cmp_ctx *x = ctx;
  for (int k = 0; k < x->n; k++) {
    const char *label = x->c[k].label;
    compare_free(&x->c[k]);
    compare_init(&x->c[k], x->rn, 0, k + 1, x->changes);
    x->c[k].label = label;
  }
  x->done = 0;
  if (x->changes) {
    if (fflush(x->changes) != 0 || ftruncate(fileno(x->changes), 0) != 0)
      return af_fail(e, "cannot rewrite the changes file");
    rewind(x->changes);
    compare_changes_header(x->changes, x->n > 1);
  }
  return 0;
}

static int compare_each(void *ctx, const run *rn, const batch *b, const char *const *ids,
                        af_err *e) {
  cmp_ctx *x = ctx;
  (void)rn;
  for (int k = 0; k < x->n; k++)
    if (compare_batch(&x->c[k], b, ids, e) < 0) return -1;
  x->done += b->nunits;
  cli_progress(x->done, 0, x->started);
  return 0;
}

/* Score ms[0..n) in one pass and print each against ms[0]. */
static int compare_models(const model **ms, int n, const char *db, const char *changes,
                          int as_json, const char *base_label) {
  run rn;
  if (open_run(&rn, db, ms, n) < 0) {
    run_close(&rn);
    return 1;
  }
  FILE *cf = NULL;
  if (changes && !(cf = fopen(changes, "w"))) {
    fprintf(stderr, "afscore: cannot write %s\n", changes);
    run_close(&rn);
    return 1;
  }
  if (cf) compare_changes_header(cf, n > 2);
  cmp_ctx x = {af_calloc((size_t)n, sizeof(compare)), n - 1, 0, cli_now(), &rn, cf};
  rn.on_restart = compare_restart;
  for (int k = 1; k < n; k++) {
    compare_init(&x.c[k - 1], &rn, 0, k, cf);
    if (n > 2) x.c[k - 1].label = ms[k]->file;
  }
  af_err e = {{0}};
  int rc = run_execute(&rn, compare_each, &x, &e);
  if (cf && fclose(cf) != 0 && rc == 0) rc = af_fail(&e, "cannot write %s", changes);
  if (rc < 0) {
    fail(e.msg);
  } else if (as_json) {
    json j = {0};
    report_meta meta = {0, AFSCORE_VERSION};
    json_obj(&j);
    if (base_label) {
      json_kv_str(&j, "base_run", base_label);
    }
    json_key(&j, "base");
    report_summary_json(&j, &rn, 0, &meta);
    json_key(&j, "variant");
    report_summary_json(&j, &rn, 1, &meta);
    compare_json(&x.c[0], &j);
    if (n > 2) {
      json_key(&j, "comparisons");
      json_arr(&j);
      for (int k = 1; k < n; k++) {
        json_obj(&j);
        json_key(&j, "variant");
        report_summary_json(&j, &rn, k, &meta);
        compare_json(&x.c[k - 1], &j);
        json_obj_end(&j);
      }
      json_arr_end(&j);
    }
    json_obj_end(&j);
    printf("%s\n", j.out.s);
    sb_free(&j.out);
  } else {
    strbuf t = {0};
    for (int k = 1; k < n; k++) {
      if (k > 1) sb_puts(&t, "\n========\n\n");
      compare_text(&x.c[k - 1], &t);
    }
    fputs(t.s, stdout);
    sb_free(&t);
  }
  for (int k = 1; k < n; k++) compare_free(&x.c[k - 1]);
  free(x.c);
  run_close(&rn);
  return rc < 0 ? 1 : 0;
}

int cmd_compare(cli_opts *o) {
  if (!o->db || o->nmethods < 2 || o->npos) {
    fprintf(stderr, "afscore compare: needs --db DATA.db and at least two --method options\n");
    cli_usage(stderr, "compare");
    return 2;
  }
  model *ms[16] = {0};
  int rc = 0;
  for (int k = 0; k < o->nmethods; k++)
    if (!(ms[k] = cli_load_method(o->methods[k]))) rc = 1;
  if (rc == 0)
    rc = compare_models((const model **)ms, o->nmethods, o->db, o->changes, o->json, NULL);
  for (int k = 0; k < o->nmethods; k++) model_free(ms[k]);
  return rc;
}

/* ---- sweep ---- */

static void sweep_af(const run *rn, const dist_entry *d, int nd, int as_json, strbuf *o, json *j) {
  const measure *ms = rn->measures[0];
  long double n = ms->all.n, w = 0, wc = 0;
  /* From the highest score down, so the poor at k = d[i].score accumulate. */
  double *H = af_malloc(sizeof(double) * (size_t)(nd + 1));
  double *A = af_malloc(sizeof(double) * (size_t)(nd + 1));
  for (int i = nd - 1; i >= 0; i--) {
    w += d[i].w;
    wc += d[i].w * (long double)d[i].score;
    H[i] = n > 0 ? (double)(w / n) : 0;
    A[i] = w > 0 ? (double)(wc / w) : 0;
  }
  if (as_json) {
    json_key(j, "sweep");
    json_arr(j);
  } else {
    sb_printf(o, "%12s %10s %10s %10s %10s\n", "k", "H", "A", "M0", "units");
  }
  long long units = 0;
  for (int i = nd - 1; i >= 0; i--) units += d[i].count;
  for (int i = 0; i < nd; i++) {
    long long poor_units = units;
    units -= d[i].count;
    if (d[i].score <= 0) continue;
    if (as_json) {
      json_obj(j);
      json_kv_num(j, "k", d[i].score);
      json_kv_num(j, "H", H[i]);
      json_kv_num(j, "A", A[i]);
      json_kv_num(j, "M0", H[i] * A[i]);
      json_kv_int(j, "poor_units", poor_units);
      json_obj_end(j);
    } else {
      sb_printf(o, "%12.6f %10.4f %10.4f %10.4f %10lld\n", d[i].score, H[i], A[i], H[i] * A[i],
                poor_units);
    }
  }
  if (as_json) json_arr_end(j);
  free(H);
  free(A);
}

/* Points: move bound b over each achievable total between its neighbours. */
static void sweep_points(const run *rn, const dist_entry *d, int nd, int as_json, strbuf *o,
                         json *j) {
  const model *m = rn->models[0];
  long double n = rn->measures[0]->all.n;
  if (as_json) {
    json_key(j, "bounds");
    json_arr(j);
  }
  for (int b = 1; b < m->nbands; b++) {
    double lo = isinf(m->bands[b - 1].from) ? -INFINITY : m->bands[b - 1].from;
    double hi = b + 1 < m->nbands ? m->bands[b + 1].from : INFINITY;
    if (as_json) {
      json_obj(j);
      json_kv_str(j, "band", m->bands[b].id);
      json_kv_num(j, "from", m->bands[b].from);
      json_kv_str(j, "below", m->bands[b - 1].id);
      json_key(j, "steps");
      json_arr(j);
    } else {
      sb_printf(o, "\nbound of %s (now %g), between %s and %s:\n%12s %10s %10s\n", m->bands[b].id,
                m->bands[b].from, m->bands[b - 1].id, m->bands[b].id, "from", m->bands[b - 1].id,
                m->bands[b].id);
    }
    for (int i = 0; i < nd; i++) {
      double t = d[i].score;
      if (!(t > lo && t <= hi)) continue;
      long double below = 0, above = 0;
      for (int q = 0; q < nd; q++) {
        if (d[q].score >= lo && d[q].score < t) below += d[q].w;
        else if (d[q].score >= t && d[q].score < hi) above += d[q].w;
      }
      double sbelow = n > 0 ? (double)(below / n) : 0, sabove = n > 0 ? (double)(above / n) : 0;
      if (as_json) {
        json_obj(j);
        json_kv_num(j, "from", t);
        json_key(j, m->bands[b - 1].id);
        json_num(j, sbelow);
        json_kv_num(j, m->bands[b].id, sabove);
        json_obj_end(j);
      } else {
        sb_printf(o, "%12g %10.4f %10.4f\n", t, sbelow, sabove);
      }
    }
    if (as_json) {
      json_arr_end(j);
      json_obj_end(j);
    }
  }
  if (as_json) json_arr_end(j);
}

int cmd_sweep(cli_opts *o) {
  if (!o->db || o->nmethods != 1 || o->npos) {
    fprintf(stderr, "afscore sweep: needs --db DATA.db and one --method METHOD.lua\n");
    cli_usage(stderr, "sweep");
    return 2;
  }
  model *m = cli_load_method(o->methods[0]);
  if (!m) return 1;
  run rn;
  const model *ms[1] = {m};
  int rc = 1;
  af_err e = {{0}};
  if (open_run(&rn, o->db, ms, 1) == 0) {
    if (run_execute(&rn, NULL, NULL, &e) < 0) {
      fail(e.msg);
    } else {
      int nd;
      dist_entry *d = measure_sorted_dist(rn.measures[0], &nd);
      json j = {0};
      strbuf t = {0};
      if (o->json) {
        json_obj(&j);
        json_kv_str(&j, "methodology", m->name);
        json_kv_str(&j, "scoring", m->scoring == SCORING_AF ? "af" : "points");
        json_kv_num(&j, "n", (double)rn.measures[0]->all.n);
        if (m->scoring == SCORING_AF) {
          json_kv_num(&j, "k", m->k);
        }
      } else {
        sb_printf(&t, "%s: %d distinct scores over %lld units\n", m->name, nd,
                  (long long)rn.measures[0]->all.units);
      }
      if (m->scoring == SCORING_AF) sweep_af(&rn, d, nd, o->json, &t, &j);
      else sweep_points(&rn, d, nd, o->json, &t, &j);
      if (o->json) {
        json_obj_end(&j);
        printf("%s\n", j.out.s);
      } else {
        fputs(t.s ? t.s : "", stdout);
      }
      sb_free(&j.out);
      sb_free(&t);
      free(d);
      rc = 0;
    }
  }
  run_close(&rn);
  model_free(m);
  return rc;
}

/* ---- explain ---- */

typedef struct explain_ctx {
  const char *unit;
  int64_t run_id;
  int found;
  double score;       /* the unit's result now */
  char category[64];
  json j;             /* the explanation as JSON */
  strbuf t;           /* and as text */
} explain_ctx;

static int explain_restart(void *ctx, af_err *e) {
  explain_ctx *x = ctx;
  (void)e;
  x->found = 0;
  sb_free(&x->j.out);
  memset(&x->j, 0, sizeof x->j);
  sb_free(&x->t);
  return 0;
}

/* The value of part p of rule o (kernel k) for unit u, into JSON and text. */
static void part_value(const run *rn, const kernel *k, int o, int p, int u, json *j, strbuf *t) {
  double v;
  int isnull;
  vtype ty;
  kernel_part_value(k, o, p, u, &v, &isnull, &ty);
  /* A column of unknown type (VT_ANY, e.g. no declared type in SQLite) is
  ** read as text and carried as its interned id: show the text, not the id. */
  int as_text = ty == VT_TEXT ||
                (ty == VT_ANY && v >= 0 && v < strpool_count(rn->pool) && v == (int32_t)v);
  if (isnull) {
    json_null(j);
    sb_puts(t, "null");
  } else if (as_text) {
    json_str(j, strpool_get(rn->pool, (int32_t)v));
    sb_printf(t, "'%s'", strpool_get(rn->pool, (int32_t)v));
  } else if (ty == VT_BOOL) {
    json_bool(j, v != 0);
    sb_puts(t, v != 0 ? "true" : "false");
  } else {
    char buf[32];
    json_fmt_double(v, buf);
    json_num(j, v);
    sb_puts(t, buf);
  }
}

/* "inputs": the named values and aggregates rule o read for unit u. */
static void rule_inputs(const run *rn, const program *p, const kernel *k, int o, int u, json *j,
                        strbuf *t) {
  const char *const *texts;
  int n = 0;
  program_rule_parts(p, o, &texts, &n);
  json_key(j, "inputs");
  json_obj(j);
  for (int i = 0; i < n; i++) {
    json_key(j, texts[i]);
    sb_printf(t, "%s%s = ", i ? ", " : "      where ", texts[i]);
    part_value(rn, k, o, i, u, j, t);
  }
  json_obj_end(j);
  if (n) sb_puts(t, "\n");
}

static void explain_indicator(const run *rn, int i, int u, json *j, strbuf *t) {
  const scorer *s = rn->scorers[0];
  const model *m = rn->models[0];
  const model_indicator *x = &m->inds[i];
  int hit = s->matched[(size_t)u * m->ninds + i];
  int nul = s->isnull[(size_t)u * m->ninds + i];
  static const char *policy[] = {"exclude", "deprived", "not_deprived"};
  double amt = scorer_amount(s, u, i);
  char a[32];
  json_fmt_double(amt, a);
  json_obj(j);
  json_kv_str(j, "id", x->id);
  json_kv_str(j, "name", x->name);
  json_kv_str(j, "dimension", x->dim >= 0 ? m->dims[x->dim].id : NULL);
  if (m->scoring == SCORING_AF) {
    json_kv_str(j, "rule", x->cases[0].when);
    json_kv_num(j, "weight", x->weight);
    json_kv_bool(j, "deprived", hit >= 0);
    sb_printf(t, "  %-22s %-13s weight %-8.4f  %s\n", x->id, hit >= 0 ? "DEPRIVED" : "not deprived",
              x->weight, x->cases[0].when);
  } else {
    json_key(j, "case");
    if (hit >= 0) json_int(j, hit + 1);
    else json_null(j);
    json_kv_str(j, "when", hit >= 0 ? (x->cases[hit].when ? x->cases[hit].when : "(otherwise)") : NULL);
    sb_printf(t, "  %-22s %8s points  %s\n", x->id, a,
              hit >= 0 ? (x->cases[hit].when ? x->cases[hit].when : "(otherwise)")
                       : "(no case holds)");
  }
  json_kv_num(j, "amount", amt);
  json_kv_bool(j, "null", nul);
  if (nul) {
    json_kv_str(j, "missing_policy", policy[x->missing]);
    sb_printf(t, "      the rule is null for this unit: missing policy '%s'\n", policy[x->missing]);
  }
  /* The inputs of the case that decided (or of the first case). */
  int c = hit >= 0 ? hit : 0;
  int o = s->r->case_out[i][c];
  if (o >= 0) rule_inputs(rn, s->r->p1, s->k1, o, u, j, t);
  json_obj_end(j);
}

/* What the nearest change of category would take. */
static void explain_nearest(const run *rn, int u, json *j, strbuf *t) {
  const scorer *s = rn->scorers[0];
  const rules *r = s->r;
  const model *m = rn->models[0];
  int b = s->band[u];
  json_key(j, "nearest");
  json_obj(j);
  for (int dir = 1; dir >= -1; dir -= 2) {
    int nb = b + dir;
    if (nb < 0 || nb >= m->nbands) continue;
    double bound = dir > 0 ? m->bands[nb].from : m->bands[b].from;
    double dist = dir > 0 ? bound - s->score[u] : s->score[u] - bound;
    const char *worse = (m->scoring == SCORING_AF) == (dir > 0) ? "worse" : "better";
    json_key(j, worse);
    json_obj(j);
    json_kv_str(j, "category", m->bands[nb].id);
    json_kv_num(j, "distance", dist);
    sb_printf(t, "  to %s (%s): the score must %s by %s%g", m->bands[nb].id, worse,
              dir > 0 ? "rise" : "fall", dir > 0 ? "" : "more than ", dist);
    if (m->scoring == SCORING_AF) {
      /* The lightest single indicator whose flip crosses the bound. */
      int best = -1;
      for (int i = 0; i < m->ninds; i++) {
        int dep = s->matched[(size_t)u * m->ninds + i] >= 0;
        if (dep == (dir > 0)) continue;
        int64_t moved = s->score_num[u] + (dir > 0 ? 1 : -1) * r->amount_num[i][0];
        int crosses = dir > 0 ? ratio_cmp_scaled(moved, r->L, r->band_from[nb]) >= 0
                              : ratio_cmp_scaled(moved, r->L, r->band_from[b]) < 0;
        if (r->exact && crosses && (best < 0 || m->inds[i].weight < m->inds[best].weight)) best = i;
      }
      json_kv_str(j, "flip", best >= 0 ? m->inds[best].id : NULL);
      if (best >= 0)
        sb_printf(t, ": e.g. %s '%s'", dir > 0 ? "becoming deprived in" : "no longer deprived in",
                  m->inds[best].id);
      else
        sb_printf(t, ": no single indicator is enough");
    }
    sb_puts(t, "\n");
    json_obj_end(j);
  }
  json_obj_end(j);
}

static void explain_measures(const run *rn, int u, json *j, strbuf *t) {
  const scorer *s = rn->scorers[0];
  const model *m = rn->models[0];
  json_key(j, "measures");
  json_arr(j);
  if (m->nmeasures) sb_puts(t, "\nmeasures:\n");
  for (int k = 0; k < m->nmeasures; k++) {
    int el = (int)(s->eligible[u] >> k & 1);
    json_obj(j);
    json_kv_str(j, "id", m->measures[k].id);
    json_kv_str(j, "name", m->measures[k].name);
    json_kv_bool(j, "eligible", el);
    json_kv_str(j, "rule", m->measures[k].eligible);
    sb_printf(t, "  %-20s %-13s %s\n", m->measures[k].id, el ? "ELIGIBLE" : "not eligible",
              m->measures[k].eligible);
    rule_inputs(rn, s->r->p2, s->k2, s->r->measure_out[k], u, j, t);
    json_obj_end(j);
  }
  json_arr_end(j);
}

static void explain_unit(explain_ctx *x, const run *rn, int u) {
  const scorer *s = rn->scorers[0];
  const model *m = rn->models[0];
  json *j = &x->j;
  strbuf *t = &x->t;
  json_obj(j);
  json_kv_int(j, "run_id", x->run_id);
  json_kv_str(j, "methodology", m->name);
  json_kv_str(j, "unit", x->unit);
  json_kv_str(j, "scoring", m->scoring == SCORING_AF ? "af" : "points");
  sb_printf(t, "unit %s: %s (version %s)\n\n", x->unit, m->name, m->version);
  json_key(j, "indicators");
  json_arr(j);
  for (int i = 0; i < m->ninds; i++) explain_indicator(rn, i, u, j, t);
  json_arr_end(j);
  /* The score as a sum of the amounts that apply. */
  strbuf sum = {0};
  for (int i = 0; i < m->ninds; i++) {
    double a = scorer_amount(s, u, i);
    if (a == 0) continue;
    char buf[32];
    json_fmt_double(fabs(a), buf);
    sb_printf(&sum, "%s%s", sum.len ? (a < 0 ? " - " : " + ") : (a < 0 ? "-" : ""), buf);
  }
  char sc[32];
  json_fmt_double(s->score[u], sc);
  x->score = s->score[u];
  snprintf(x->category, sizeof x->category, "%s", s->excluded[u] ? "" : m->bands[s->band[u]].id);
  json_kv_num(j, "score", s->score[u]);
  json_kv_str(j, "sum", sum.len ? sum.s : "0");
  json_kv_bool(j, "excluded", s->excluded[u]);
  if (s->excluded[u]) {
    sb_printf(t, "\nexcluded: an indicator's rule is null and its missing policy is 'exclude'\n");
  } else {
    int b = s->band[u];
    sb_printf(t, "\nscore = %s = %s\n", sum.len ? sum.s : "0", sc);
    json_key(j, "category");
    json_obj(j);
    json_kv_str(j, "id", m->bands[b].id);
    json_kv_str(j, "name", m->bands[b].name);
    json_kv_num(j, "from", m->bands[b].from);
    json_key(j, "to");
    if (b + 1 < m->nbands) json_num(j, m->bands[b + 1].from);
    else json_null(j);
    json_obj_end(j);
    sb_printf(t, "category %s (%s): scores from %g", m->bands[b].id, m->bands[b].name,
              m->bands[b].from);
    if (b + 1 < m->nbands) sb_printf(t, " up to (not including) %g\n", m->bands[b + 1].from);
    else sb_puts(t, " up\n");
    if (m->scoring == SCORING_AF) {
      json_kv_bool(j, "poor", s->poor[u]);
      json_kv_num(j, "k", m->k);
      sb_printf(t, "%s: the score is %s k = %g\n", s->poor[u] ? "poor" : "not poor",
                s->poor[u] ? "at or above" : "below", m->k);
    }
    sb_puts(t, "\nnearest change of category:\n");
    explain_nearest(rn, u, j, t);
  }
  explain_measures(rn, u, j, t);
  sb_free(&sum);
}

static int explain_find(void *ctx, const run *rn, const batch *b, const char *const *ids,
                        af_err *e) {
  explain_ctx *x = ctx;
  (void)e;
  if (x->found) return 0;
  for (int u = 0; u < b->nunits; u++)
    if (strcmp(ids[u], x->unit) == 0) {
      x->found = 1;
      explain_unit(x, rn, u);
      break;
    }
  return 0;
}

int cmd_explain(cli_opts *o) {
  if (!o->out || !o->db || o->run_id <= 0 || o->npos != 1) {
    fprintf(stderr, "afscore explain: needs --out RESULTS.db --db DATA.db --run RUN_ID UNIT_ID\n");
    cli_usage(stderr, "explain");
    return 2;
  }
  store *st = NULL;
  run_record rec;
  if (open_record(o->out, o->run_id, &st, &rec)) return 1;
  int rc = 1;
  model *m = load_recorded(&rec);
  run rn;
  memset(&rn, 0, sizeof rn);
  explain_ctx x;
  memset(&x, 0, sizeof x);
  x.unit = o->pos[0];
  const model *ms[1] = {m};
  af_err e = {{0}};
  x.run_id = rec.id;
  if (m && open_run(&rn, o->db, ms, 1) == 0) {
    rn.on_restart = explain_restart;
    rn.threads = 1;   /* explain reads the strpool while the pass runs */
    rn.plan.only_unit = x.unit;   /* one unit: an index lookup, not a scan */
    if (run_execute(&rn, explain_find, &x, &e) < 0) {
      fail(e.msg);
    } else if (!x.found) {
      fprintf(stderr, "afscore: no unit '%s' in %s\n", x.unit, o->db);
    } else {
      double score;
      int poor;
      char *cat = NULL;
      int64_t elig;
      int got = store_unit_result(st, rec.id, x.unit, &score, &poor, &cat, &elig, &e);
      /* Only this unit was read, so the data fingerprint cannot tell whether
      ** the data changed; the unit's own recorded result can. */
      int same = got == 1 && (score == x.score || (isnan(score) && isnan(x.score))) &&
                 strcmp(cat ? cat : "", x.category) == 0;
      if (got == 1) {
        json_key(&x.j, "recorded");
        json_obj(&x.j);
        json_kv_num(&x.j, "score", score);
        json_kv_str(&x.j, "category", cat);
        json_kv_bool(&x.j, "same", same);
        json_obj_end(&x.j);
        sb_printf(&x.t, "\nrecorded in run %lld: score %g, category %s\n", (long long)rec.id,
                  score, cat ? cat : "(excluded)");
      }
      if (got == 1 && !same)
        sb_printf(&x.t, "note: this unit scores differently now than in run %lld: its data "
                  "changed since\n", (long long)rec.id);
      else if (got == 0)
        sb_printf(&x.t, "note: this unit is not in run %lld\n", (long long)rec.id);
      free(cat);
      json_obj_end(&x.j);
      if (o->json) printf("%s\n", x.j.out.s);
      else fputs(x.t.s, stdout);
      rc = 0;
    }
  }
  sb_free(&x.j.out);
  sb_free(&x.t);
  run_close(&rn);
  model_free(m);
  store_record_free(&rec);
  store_close(st);
  return rc;
}

/* ---- replay ---- */

typedef struct replay_ctx {
  store *st;
  int64_t run_id;
  int64_t differ, missing, checked;
  char first[256];
  long long done;
  double started;
} replay_ctx;

static int replay_restart(void *ctx, af_err *e) {
  replay_ctx *x = ctx;
  (void)e;
  x->differ = x->missing = x->checked = 0;
  x->first[0] = '\0';
  x->done = 0;
  return 0;
}

static int same_double(double a, double b) {
  return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

/* Check every unit of the batch against its recorded result. */
static int replay_check(void *ctx, const run *rn, const batch *b, const char *const *ids,
                        af_err *e) {
  replay_ctx *x = ctx;
  const scorer *s = rn->scorers[0];
  const model *m = rn->models[0];
  for (int u = 0; u < b->nunits; u++) {
    double score;
    int poor;
    char *cat = NULL;
    int64_t elig;
    int got = store_unit_result(x->st, x->run_id, ids[u], &score, &poor, &cat, &elig, e);
    if (got < 0) return -1;
    x->checked++;
    const char *now = s->excluded[u] ? NULL : m->bands[s->band[u]].id;
    int same = got == 1 && same_double(score, s->score[u]) &&
               ((!cat && !now) || (cat && now && strcmp(cat, now) == 0)) &&
               elig == (int64_t)s->eligible[u];
    if (got == 0) x->missing++;
    if (!same) {
      if (x->differ++ == 0) {
        char was[32], is[32];   /* NaN (excluded) prints as "nan" */
        json_fmt_double(score, was);
        json_fmt_double(s->score[u], is);
        if (got == 0)
          snprintf(x->first, sizeof x->first, "unit '%s': not recorded, now %s (score %s)",
                   ids[u], now ? now : "(excluded)", is);
        else
          snprintf(x->first, sizeof x->first, "unit '%s': recorded %s (score %s), now %s (score %s)",
                   ids[u], cat ? cat : "(excluded)", was, now ? now : "(excluded)", is);
      }
    }
    free(cat);
  }
  x->done += b->nunits;
  cli_progress(x->done, 0, x->started);
  return 0;
}

/* Second pass, only when the summaries differ: which units changed. */
static void replay_find_units(const char *db, model *m, store *st, const run_record *rec,
                              replay_ctx *x) {
  run rn;
  const model *ms[1] = {m};
  af_err e = {{0}};
  memset(x, 0, sizeof *x);
  x->st = st;
  x->run_id = rec->id;
  x->started = cli_now();
  if (open_run(&rn, db, ms, 1) == 0) {
    rn.on_restart = replay_restart;
    if (run_execute(&rn, replay_check, x, &e) < 0) fail(e.msg);
  }
  run_close(&rn);
}

static void replay_json(const run_record *rec, int ok, int data_changed, int engine_changed,
                        int64_t units, const replay_ctx *x) {
  json r = {0};
  json_obj(&r);
  json_kv_int(&r, "run_id", rec->id);
  json_kv_bool(&r, "reproduced", ok);
  json_kv_bool(&r, "data_changed", data_changed);
  json_kv_bool(&r, "engine_changed", engine_changed);
  json_kv_str(&r, "recorded_engine", rec->engine_version);
  json_kv_int(&r, "units", units);
  json_kv_int(&r, "units_differ", x->differ);
  json_kv_int(&r, "units_not_recorded", x->missing);
  json_obj_end(&r);
  printf("%s\n", r.out.s);
  sb_free(&r.out);
}

/* Re-run the recorded methodology on db. The summary (which carries the
** data fingerprint and a digest of every unit's result) must come out
** byte-identical; only when it does not is a second pass made to name the
** units that differ. */
static int replay_verify(cli_opts *o, store *st, const run_record *rec, model *m) {
  run rn;
  const model *ms[1] = {m};
  af_err e = {{0}};
  replay_ctx x;
  memset(&x, 0, sizeof x);
  if (open_run(&rn, o->db, ms, 1) < 0) {
    run_close(&rn);
    return 1;
  }
  if (run_execute(&rn, NULL, NULL, &e) < 0) {
    run_close(&rn);
    return fail(e.msg);
  }
  int data_changed = strcmp(rn.stats.sha256, rec->data_sha256) != 0;
  int engine_changed = strcmp(rec->engine_version, AFSCORE_VERSION) != 0;
  report_meta meta = {rec->id, rec->engine_version};
  json j = {0};
  report_summary_json(&j, &rn, 0, &meta);
  int ok = rec->summary_json && strcmp(j.out.s, rec->summary_json) == 0;
  int64_t units = rn.stats.units;
  sb_free(&j.out);
  run_close(&rn);
  if (engine_changed)
    fprintf(stderr, "note: run %lld was recorded by %s; this is %s\n", (long long)rec->id,
            rec->engine_version, AFSCORE_VERSION);
  if (!ok) replay_find_units(o->db, m, st, rec, &x);
  int64_t gone = rec->units - (x.checked - x.missing);
  if (ok) {
    if (!o->json)
      printf("reproduced: run %lld, %lld units, every score and category identical\n",
             (long long)rec->id, (long long)units);
  } else if (data_changed) {
    fprintf(stderr, "data changed since run %lld: the fingerprint differs; %lld of %lld units "
            "now score differently, %lld are new and %lld recorded units are gone\n",
            (long long)rec->id, (long long)x.differ, (long long)x.checked, (long long)x.missing,
            (long long)(gone > 0 ? gone : 0));
  } else {
    fprintf(stderr, "not reproduced: run %lld: %lld of %lld units differ%s\n", (long long)rec->id,
            (long long)x.differ, (long long)x.checked,
            x.differ ? "" : " (the summary differs)");
  }
  if (!ok && x.differ) fprintf(stderr, "first difference: %s\n", x.first);
  if (o->json) replay_json(rec, ok, data_changed, engine_changed, units, &x);
  return ok ? 0 : 1;
}

int cmd_replay(cli_opts *o) {
  long long id = 0;
  if (o->npos == 1) id = strtoll(o->pos[0], NULL, 10);
  if (!o->out || !o->db || id <= 0) {
    fprintf(stderr, "afscore replay: needs RUN_ID --out RESULTS.db --db DATA.db\n");
    cli_usage(stderr, "replay");
    return 2;
  }
  store *st = NULL;
  run_record rec;
  if (open_record(o->out, id, &st, &rec)) return 1;
  int rc = 1;
  model *m = load_recorded(&rec);
  if (m && o->nmethods == 0) {
    rc = replay_verify(o, st, &rec, m);
  } else if (m) {
    model *ms[17] = {m};
    int n = 1;
    rc = 0;
    for (int k = 0; k < o->nmethods; k++, n++)
      if (!(ms[n] = cli_load_method(o->methods[k]))) rc = 1;
    char label[64];
    snprintf(label, sizeof label, "%lld", (long long)rec.id);
    if (rc == 0) rc = compare_models((const model **)ms, n, o->db, o->changes, o->json, label);
    for (int k = 1; k < n; k++) model_free(ms[k]);
  }
  model_free(m);
  store_record_free(&rec);
  store_close(st);
  return rc;
}

/* ---- notices ---- */

/* The notice text with {category}, {score}, {unit} and {param} filled in. */
static void fill_notice(strbuf *o, const char *text, const model *m, const char *unit,
                        const char *cat, double score) {
  for (const char *p = text; *p;) {
    const char *close = *p == '{' ? strchr(p, '}') : NULL;
    if (!close) {
      sb_putc(o, *p++);
      continue;
    }
    char name[64];
    size_t n = (size_t)(close - p - 1);
    if (n >= sizeof name) n = sizeof name - 1;
    memcpy(name, p + 1, n);
    name[n] = '\0';
    int k = model_find_param(m, name);
    char buf[32];
    if (strcmp(name, "category") == 0) sb_puts(o, cat ? cat : "");
    else if (strcmp(name, "score") == 0) json_fmt_double(score, buf), sb_puts(o, buf);
    else if (strcmp(name, "unit") == 0) sb_puts(o, unit);
    else if (k >= 0 && m->params[k].is_text) sb_puts(o, m->params[k].text);
    else if (k >= 0) json_fmt_double(m->params[k].num, buf), sb_puts(o, buf);
    else sb_putn(o, p, (size_t)(close - p + 1));
    p = close + 1;
  }
}

static const char *notice_text(const model_measure *x, const char *lang) {
  for (int i = 0; i < x->nnotices; i++)
    if (strcmp(x->notices[i].lang, lang) == 0) return x->notices[i].text;
  return NULL;
}

static void csv_field(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"') fputc('"', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

int cmd_notices(cli_opts *o) {
  const char *lang = o->lang ? o->lang : "kk";
  const char *format = o->format ? o->format : "csv";
  if (!o->out || o->run_id <= 0 || (strcmp(format, "csv") && strcmp(format, "json"))) {
    fprintf(stderr, "afscore notices: needs --out RESULTS.db --run RUN_ID [--format csv|json]\n");
    cli_usage(stderr, "notices");
    return 2;
  }
  store *st = NULL;
  run_record rec;
  if (open_record(o->out, o->run_id, &st, &rec)) return 1;
  model *m = load_recorded(&rec);
  store_iter *it = NULL;
  af_err e = {{0}};
  int rc = 1;
  if (!m || store_iter_begin(st, rec.id, &it, &e) < 0) {
    if (m) fail(e.msg);
    goto done;
  }
  /* A language no measure has a text in is a mistake, not a fallback. */
  int known = 0;
  strbuf langs = {0};
  for (int k = 0; k < m->nmeasures; k++)
    for (int i = 0; i < m->measures[k].nnotices; i++) {
      const char *l = m->measures[k].notices[i].lang;
      known |= strcmp(l, lang) == 0;
      if (!langs.s || !strstr(langs.s, l)) sb_printf(&langs, "%s%s", langs.len ? ", " : "", l);
    }
  if (!known && langs.len) {
    fprintf(stderr, "afscore notices: no notice text in language '%s' (the methodology has: %s)\n",
            lang, langs.s);
    sb_free(&langs);
    rc = 2;
    goto done;
  }
  sb_free(&langs);
  int as_json = strcmp(format, "json") == 0;
  json j = {0};
  if (as_json) json_arr(&j);
  else printf("unit,measure,lang,text\n");
  const char *unit, *cat;
  double score;
  int poor, got;
  int64_t elig;
  strbuf text = {0};
  while ((got = store_iter_next(it, &unit, &score, &poor, &cat, &elig, &e)) == 1) {
    for (int k = 0; k < m->nmeasures && elig; k++) {
      if (!(elig >> k & 1)) continue;
      const char *tpl = notice_text(&m->measures[k], lang);
      text.len = 0;
      fill_notice(&text, tpl ? tpl : m->measures[k].name, m, unit, cat, score);
      if (as_json) {
        json_obj(&j);
        json_kv_str(&j, "unit", unit);
        json_kv_str(&j, "measure", m->measures[k].id);
        json_kv_str(&j, "lang", tpl ? lang : NULL);
        json_kv_str(&j, "text", text.s ? text.s : "");
        json_obj_end(&j);
      } else {
        csv_field(stdout, unit);
        printf(",%s,%s,", m->measures[k].id, tpl ? lang : "");
        csv_field(stdout, text.s ? text.s : "");
        putchar('\n');
      }
    }
  }
  sb_free(&text);
  if (as_json) {
    json_arr_end(&j);
    printf("%s\n", j.out.s);
    sb_free(&j.out);
  }
  if (got < 0) fail(e.msg);
  else rc = 0;
done:
  store_iter_end(it);
  model_free(m);
  store_record_free(&rec);
  store_close(st);
  return rc;
}
