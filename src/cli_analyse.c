/*
** cli_analyse.c: the analysts' commands compare and sweep, and what the
** commands on recorded runs share: opening a run over several methodologies,
** and rebuilding a recorded methodology from the sources stored with it.
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

int cli_fail(const char *msg) {
  fprintf(stderr, "afscore: %s\n", msg);
  return 1;
}

/* Open a run over models, printing schema errors. */
int cli_open_run(run *rn, const char *db, const model **ms, int n) {
  diag_list d = {0};
  af_err e = {{0}};
  int rc = run_open(rn, db, ms, n, &d, &e);
  if (rc < 0) {
    diag_sort(&d);
    cli_print_diags(&d);
    if (d.n == 0) cli_fail(e.msg);
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

model *cli_load_recorded(const run_record *rec) {
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

int cli_open_record(const char *out, long long id, store **st, run_record *rec) {
  af_err e;
  memset(rec, 0, sizeof *rec);
  if (store_open(out, st, &e) < 0) return cli_fail(e.msg);
  if (store_load_run(*st, id, rec, &e) < 0) {
    store_close(*st);
    *st = NULL;
    return cli_fail(e.msg);
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
int cli_compare_models(const model **ms, int n, const char *db, const char *changes,
                          int as_json, const char *base_label) {
  run rn;
  if (cli_open_run(&rn, db, ms, n) < 0) {
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
  for (int k = 1; k < n; k++) compare_sort_groups(&x.c[k - 1], rn.pool);
  if (cf && fclose(cf) != 0 && rc == 0) rc = af_fail(&e, "cannot write %s", changes);
  if (rc < 0) {
    cli_fail(e.msg);
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
    if (base_label) sb_printf(&t, "base: the methodology recorded with run %s\n", base_label);
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
    rc = cli_compare_models((const model **)ms, o->nmethods, o->db, o->changes, o->json, NULL);
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
  if (cli_open_run(&rn, o->db, ms, 1) == 0) {
    if (run_execute(&rn, NULL, NULL, &e) < 0) {
      cli_fail(e.msg);
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

