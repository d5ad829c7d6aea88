/*
** cli_sweep.c: `afscore sweep`: the AF measure for every achievable k, or
** the category shares as each band bound of a points methodology moves.
*/
#include "cli.h"

#include <math.h>
#include <stdlib.h>

#include "describe.h"
#include "json.h"
#include "run.h"

static void sweep_af(const run *rn, const dist_entry *d, int nd, int as_json, strbuf *o, json *j) {
  const measure *ms = run_measure(rn, 0);
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
    sb_printf(o, "%-12s %10s %10s %10s %10s\n", "k", "H", "A", "M0", "units");
  }
  long long units = 0;
  for (int i = nd - 1; i >= 0; i--) units += d[i].count;
  /* The row with the same poor as the methodology's k: the lowest
  ** achievable score at or above it (k itself need not be achievable). */
  const double k = run_model(rn, 0)->k;
  int now = -1;
  for (int i = 0; i < nd && now < 0; i++)
    if (d[i].score > 0 && d[i].score >= k * (1 - 1e-9)) now = i;
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
      json_kv_bool(j, "current", i == now);
      json_obj_end(j);
    } else {
      /* Shares in percent, M0 as a decimal; k as the fraction it is. */
      char kt[64], h[32], a[32];
      describe_fraction(d[i].score, kt);
      af_fmt_pct(h, H[i]), af_fmt_pct(a, A[i]);
      sb_printf(o, "%-12s %10s %10s %10.4f %10lld", kt, h, a, H[i] * A[i], poor_units);
      if (i == now) {
        describe_fraction(k, kt);
        sb_printf(o, "  <- k now (%s)", kt);
      }
      sb_puts(o, "\n");
    }
  }
  if (as_json) json_arr_end(j);
  free(H);
  free(A);
}

/* Points: move bound b over each achievable total between its neighbours. */
static void sweep_points(const run *rn, const dist_entry *d, int nd, int as_json, strbuf *o,
                         json *j) {
  const model *m = run_model(rn, 0);
  long double n = run_measure(rn, 0)->all.n;
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
      sb_textf(o, "\nbound of %s (now %g), between %s and %s:\n%12s %10s %10s\n", m->bands[b].id,
                m->bands[b].from, m->bands[b - 1].id, m->bands[b].id, "from", m->bands[b - 1].id,
                m->bands[b].id);
    }
    /* The step that gives the shares of the bound as it is now. */
    int now = -1;
    for (int i = 0; i < nd && now < 0; i++)
      if (d[i].score > lo && d[i].score <= hi && d[i].score >= m->bands[b].from) now = i;
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
        json_kv_bool(j, "current", i == now);
        json_obj_end(j);
      } else {
        char pb[32], pa[32];
        af_fmt_pct(pb, sbelow), af_fmt_pct(pa, sabove);
        sb_printf(o, "%12g %10s %10s%s\n", t, pb, pa, i == now ? "  <- now" : "");
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
  if (!o->db || o->nmethods != 1 || o->npos)
    return cli_usage_error(o, "needs --db DATA.db and one --method METHOD.lua");
  model *m = cli_load_method(o->methods[0]);
  if (!m) return 1;
  cli_run cr;
  const model *ms[1] = {m};
  int rc = 1;
  af_err e = {{0}};
  /* With a survey design: standard errors at every k, and group rankings. */
  run_options ro = {.infer = RUN_INFER_BY_SCORE, .level = o->level};
  if (cli_open_run(o, &cr, o->db, ms, 1, &ro) == 0) {
    const run *rn = cr.rn;
    const infer_result *inf = run_inference(rn, 0);
    if (cli_execute(&cr, &e) < 0) {
      cli_fail("%s", e.msg);
    } else {
      int nd;
      dist_entry *d = measure_sorted_dist(run_measure(rn, 0), &nd);
      json j = {0};
      strbuf t = {0};
      if (o->json) {
        json_obj(&j);
        json_kv_str(&j, "methodology", m->name);
        json_kv_str(&j, "scoring", m->scoring == SCORING_AF ? "af" : "points");
        json_kv_num(&j, "n", (double)run_measure(rn, 0)->all.n);
        if (m->scoring == SCORING_AF) {
          json_kv_num(&j, "k", m->k);
        }
      } else {
        sb_textf(&t, "%s: %d distinct scores over %lld units\n", m->name, nd,
                  (long long)run_measure(rn, 0)->all.units);
      }
      if (m->scoring == SCORING_AF) sweep_af(rn, d, nd, o->json, &t, &j);
      else sweep_points(rn, d, nd, o->json, &t, &j);
      if (inf && o->json) infer_json(&j, inf, run_pool(rn), m);
      if (inf && !o->json) infer_text(&t, inf, run_pool(rn), m);
      if (o->json) {
        json_obj_end(&j);
        printf("%s\n", j.out.s);
      } else {
        af_print_text(stdout, t.s);
      }
      sb_free(&j.out);
      sb_free(&t);
      free(d);
      rc = 0;
    }
  }
  run_close(cr.rn);
  model_free(m);
  return rc;
}
