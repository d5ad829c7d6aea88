/*
** report.c: render a methodology's accumulated measure as the score JSON
** (its keys are listed in docs/commands.md, under score), or as tables for
** people. AF-only keys (k, H, A, M0, censored
** headcounts) are absent from points summaries, which carry the score
** distribution instead.
*/
#include "report.h"

#include "describe.h"

#include <assert.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *report_group_label(const run *rn, int32_t value) {
  return value < 0 ? "(null)" : strpool_get(run_pool(rn), value);
}

static double share(long double part, long double whole) {
  return whole > 0 ? (double)(part / whole) : 0;
}

static void report_json_methodology(json *j, const model *m) {
  json_key(j, "methodology");
  json_obj(j);
  json_kv_str(j, "name", m->name);
  json_kv_str(j, "version", m->version);
  json_kv_str(j, "sha256", m->files[0].sha256);
  json_kv_str(j, "file", m->file);
  json_key(j, "imports");
  json_arr(j);
  for (int i = 1; i < m->nfiles; i++) json_str(j, m->files[i].name);
  json_arr_end(j);
  json_obj_end(j);
}

static void report_json_data(json *j, const run *rn) {
  json_key(j, "data");
  json_obj(j);
  json_kv_str(j, "sha256", run_stats(rn)->sha256);
  json_kv_int(j, "units", run_stats(rn)->units);
  json_kv_int(j, "members", run_stats(rn)->members);
  json_kv_int(j, "orphan_members", run_stats(rn)->orphans);
  json_kv_int(j, "units_without_members", run_stats(rn)->units_without_members);
  json_kv_str(j, "read_order", source_order_name(run_stats(rn)->order));
  json_obj_end(j);
}

static void report_json_results_digest(json *j, const run *rn, int k) {
  json_kv_str(j, "results_sha256", run_results_sha256(rn, k));
}

static void report_json_categories(json *j, const model *m, const acc *a) {
  json_key(j, "categories");
  json_arr(j);
  for (int b = 0; b < m->nbands; b++) {
    json_obj(j);
    json_kv_str(j, "id", m->bands[b].id);
    json_kv_str(j, "name", m->bands[b].name);
    json_kv_num(j, "from", m->bands[b].from);
    json_kv_int(j, "count", a->cat_count[b]);
    json_kv_num(j, "share", share(a->cat_w[b], a->n));
    json_obj_end(j);
  }
  json_arr_end(j);
}

static void report_json_indicators(json *j, const model *m, const acc *a, figures f) {
  json_key(j, "indicators");
  json_arr(j);
  for (int i = 0; i < m->ninds; i++) {
    const model_indicator *x = &m->inds[i];
    json_obj(j);
    json_kv_str(j, "id", x->id);
    json_kv_str(j, "dimension", x->dim >= 0 ? m->dims[x->dim].id : NULL);
    if (m->scoring == SCORING_AF) {
      json_kv_num(j, "weight", x->weight);
      double cen = share(a->cen[i], a->n);
      json_kv_num(j, "uncensored", share(a->unc[i], a->n));
      json_kv_num(j, "censored", cen);
      json_kv_num(j, "contribution", f.M0 > 0 ? x->weight * cen / f.M0 : 0);
    } else {
      json_kv_num(j, "mean_points", share(a->unc[i], a->n));
    }
    json_kv_int(j, "missing", a->missing[i]);
    json_kv_int(j, "excluded", a->excl_by[i]);
    json_obj_end(j);
  }
  json_arr_end(j);
}

static void report_json_benefits(json *j, const model *m, const acc *a) {
  json_arr(j);
  for (int i = 0; i < m->nbenefits; i++) {
    json_obj(j);
    json_kv_str(j, "id", m->benefits[i].id);
    json_kv_str(j, "name", m->benefits[i].name);
    json_kv_int(j, "units", a->benefit_units[i]);
    json_kv_int(j, "people", a->benefit_people[i]);
    json_obj_end(j);
  }
  json_arr_end(j);
}

static void report_json_groups(json *j, const run *rn, int k, figures all) {
  const model *m = run_model(rn, k);
  const measure *ms = run_measure(rn, k);
  json_key(j, "groups");
  json_obj(j);
  for (int g = 0; g < ms->ngroups; g++) {
    const group_set *gs = &ms->groups[g];
    json_key(j, gs->column);
    json_arr(j);
    for (int r = 0; r < gs->nrows; r++) {
      const acc *a = &gs->rows[r].a;
      figures f = measure_figures(a);
      json_obj(j);
      json_key(j, "value");
      if (gs->rows[r].value < 0) json_null(j);
      else json_str(j, report_group_label(rn, gs->rows[r].value));
      json_kv_int(j, "units", a->units);
      json_kv_num(j, "n", f.n);
      json_kv_num(j, "share", share(a->n, ms->all.n));
      if (m->scoring == SCORING_AF) {
        json_kv_num(j, "H", f.H);
        json_kv_num(j, "A", f.A);
        json_kv_num(j, "M0", f.M0);
        json_kv_num(j, "contribution", all.M0 > 0 ? share(a->n, ms->all.n) * f.M0 / all.M0 : 0);
      } else {
        json_kv_num(j, "mean", share(a->score_w, a->n));
      }
      json_key(j, "categories");
      json_obj(j);
      for (int b = 0; b < m->nbands; b++) {
        json_kv_num(j, m->bands[b].id, share(a->cat_w[b], a->n));
      }
      json_obj_end(j);
      if (m->nbenefits > 0) {
        json_key(j, "measures");
        report_json_benefits(j, m, a);
      }
      json_obj_end(j);
    }
    json_arr_end(j);
  }
  json_obj_end(j);
}

static void report_json_score_stats(json *j, const measure *ms) {
  int nd;
  dist_entry *d = measure_sorted_dist(ms, &nd);
  json_key(j, "score");
  json_obj(j);
  json_kv_num(j, "mean", ms->all.n > 0 ? (double)(ms->all.score_w / ms->all.n) : NAN);
  json_kv_num(j, "min", nd ? d[0].score : NAN);
  json_kv_num(j, "p10", measure_quantile(d, nd, 0.10));
  json_kv_num(j, "p50", measure_quantile(d, nd, 0.50));
  json_kv_num(j, "p90", measure_quantile(d, nd, 0.90));
  json_kv_num(j, "max", nd ? d[nd - 1].score : NAN);
  json_obj_end(j);
  free(d);
}

void report_summary_json(json *j, const run *rn, int k, const report_meta *meta) {
  report_summary_json_open(j, rn, k, meta);
  json_obj_end(j);
}

void report_summary_json_open(json *j, const run *rn, int k, const report_meta *meta) {
  const model *m = run_model(rn, k);
  const measure *ms = run_measure(rn, k);
  figures f = measure_figures(&ms->all);
  json_obj(j);
  report_json_methodology(j, m);
  report_json_data(j, rn);
  report_json_results_digest(j, rn, k);
  json_key(j, "run_id");
  if (meta && meta->run_id > 0) json_int(j, meta->run_id);
  else json_null(j);
  json_kv_str(j, "engine_version", meta ? meta->engine_version : NULL);
  json_kv_str(j, "scoring", m->scoring == SCORING_AF ? "af" : "points");
  json_kv_str(j, "population", m->population_members ? "members" : "units");
  json_kv_bool(j, "exact", run_rules(rn, k)->exact);
  if (m->scoring == SCORING_AF) {
    json_kv_num(j, "k", m->k);
  }
  json_kv_num(j, "n", f.n);
  json_kv_int(j, "units", ms->all.units);
  json_kv_int(j, "excluded", ms->all.excluded);
  if (m->scoring == SCORING_AF) {
    json_kv_num(j, "H", f.H);
    json_kv_num(j, "A", f.A);
    json_kv_num(j, "M0", f.M0);
  } else {
    report_json_score_stats(j, ms);
  }
  report_json_indicators(j, m, &ms->all, f);
  report_json_categories(j, m, &ms->all);
  report_json_groups(j, rn, k, f);
  json_key(j, "measures");
  report_json_benefits(j, m, &ms->all);
  if (run_inference(rn, k)) infer_json(j, run_inference(rn, k), run_pool(rn), m);
}

/* ---- text ---- */

/* Shares are shown in percent (af_fmt_pct), M0, weights and points as
** decimals or fractions; JSON keeps fractions of 1 throughout. */
static void fmt(char *buf, double v) {
  if (!isfinite(v)) snprintf(buf, 32, "-");
  else snprintf(buf, 32, "%.4f", v);
}

/* An indicator's id, then its name when it has one of its own. */
static void report_text_id_name(strbuf *o, const model_indicator *x) {
  sb_cell(o, x->id, 22);
  sb_putc(o, ' ');
  sb_cell(o, strcmp(x->name, x->id) != 0 ? x->name : "", 28);
}

/* AF indicators: with figs, the pooled headcounts and contribution (without
** figs they come with standard errors, in infer_text). */
static void report_text_af_indicators(strbuf *o, const model *m, const acc *a, figures f,
                                      int figs) {
  char w[64], b1[32], b2[32], b3[32];
  sb_textf(o, "%-22s %-28s %-12s %6s", "indicator", "name", "dimension", "weight");
  if (figs) sb_textf(o, " %10s %10s %12s", "uncensored", "censored", "contribution");
  sb_textf(o, " %8s\n", "missing");
  for (int i = 0; i < m->ninds; i++) {
    const model_indicator *x = &m->inds[i];
    report_text_id_name(o, x);
    sb_putc(o, ' ');
    sb_cell(o, m->dims[x->dim].id, 12);
    describe_fraction(x->weight, w);
    sb_textf(o, " %6s", w);
    if (figs) {
      double cen = share(a->cen[i], a->n);
      af_fmt_pct(b1, share(a->unc[i], a->n)), af_fmt_pct(b2, cen);
      af_fmt_pct(b3, f.M0 > 0 ? x->weight * cen / f.M0 : 0);
      sb_textf(o, " %10s %10s %12s", b1, b2, b3);
    }
    sb_textf(o, " %8lld\n", (long long)a->missing[i]);
  }
}

static void report_text_points_indicators(strbuf *o, const model *m, const acc *a) {
  char b1[32];
  sb_textf(o, "%-22s %-28s %-12s %12s %8s\n", "indicator", "name", "area", "mean points",
            "missing");
  for (int i = 0; i < m->ninds; i++) {
    const model_indicator *x = &m->inds[i];
    report_text_id_name(o, x);
    sb_putc(o, ' ');
    sb_cell(o, x->dim >= 0 ? m->dims[x->dim].id : "-", 12);
    fmt(b1, share(a->unc[i], a->n));
    sb_textf(o, " %12s %8lld\n", b1, (long long)a->missing[i]);
  }
}

static void report_text_categories(strbuf *o, const model *m, const acc *a) {
  char b1[32];
  sb_textf(o, "\n%-10s %-24s %10s %9s\n", "category", "name", "units", "share");
  for (int b = m->nbands - 1; b >= 0; b--) {
    int idx = m->scoring == SCORING_AF ? m->nbands - 1 - b : b;  /* best first */
    af_fmt_pct(b1, share(a->cat_w[idx], a->n));
    /* Names and labels may be Kazakh or Russian: cells by display width. */
    sb_cell(o, m->bands[idx].id, 10);
    sb_putc(o, ' ');
    sb_cell(o, m->bands[idx].name, 24);
    sb_textf(o, " %10lld %9s\n", (long long)a->cat_count[idx], b1);
  }
}

static void report_text_groups(strbuf *o, const run *rn, int k, figures f) {
  const model *m = run_model(rn, k);
  const measure *ms = run_measure(rn, k);
  const acc *a = &ms->all;
  char b1[32], b2[32], b3[32], b4[32];
  for (int g = 0; g < ms->ngroups; g++) {
    const group_set *gs = &ms->groups[g];
    sb_textf(o, "\nby %s:\n", gs->column);
    if (m->scoring == SCORING_AF)
      sb_textf(o, "  %-20s %10s %9s %9s %8s %9s\n", "value", "n", "H", "A", "M0", "contrib");
    else
      sb_textf(o, "  %-20s %10s %9s %10s\n", "value", "n", "share", "mean");
    for (int r = 0; r < gs->nrows; r++) {
      const acc *ga = &gs->rows[r].a;
      figures gf = measure_figures(ga);
      sb_puts(o, "  ");
      sb_cell(o, report_group_label(rn, gs->rows[r].value), 20);
      if (m->scoring == SCORING_AF) {
        af_fmt_pct(b1, gf.H), af_fmt_pct(b2, gf.A), fmt(b3, gf.M0);
        af_fmt_pct(b4, f.M0 > 0 ? share(ga->n, a->n) * gf.M0 / f.M0 : 0);
        sb_textf(o, " %10.6g %9s %9s %8s %9s\n", gf.n, b1, b2, b3, b4);
      } else {
        af_fmt_pct(b1, share(ga->n, a->n));
        sb_textf(o, " %10.6g %9s %10.1f\n", gf.n, b1,
                  ga->n > 0 ? (double)(ga->score_w / ga->n) : NAN);
      }
    }
  }
}

void report_summary_text(strbuf *o, const run *rn, int k, const report_meta *meta) {
  const model *m = run_model(rn, k);
  const measure *ms = run_measure(rn, k);
  const acc *a = &ms->all;
  figures f = measure_figures(a);
  /* With a survey design the figures come with standard errors, per round,
  ** from the estimates; the pooled ones stay in JSON. */
  const infer_result *est = run_inference(rn, k);
  char b1[32], b2[32], b3[32], kt[64];
  sb_textf(o, "%s (version %s), %s scoring\n", m->name, m->version,
            m->scoring == SCORING_AF ? "Alkire-Foster" : "points");
  sb_textf(o, "data: %lld units, %lld members, fingerprint %.16s…\n", (long long)run_stats(rn)->units,
            (long long)run_stats(rn)->members, run_stats(rn)->sha256);
  if (run_stats(rn)->orphans)
    sb_textf(o, "warning: %lld member rows belong to no unit and were skipped\n",
              (long long)run_stats(rn)->orphans);
  if (meta && meta->run_id > 0) sb_textf(o, "recorded as run %lld\n", (long long)meta->run_id);
  sb_textf(o, "population n = %.6g (%s), excluded units: %lld\n\n", f.n,
            m->population_members ? "people" : "units", (long long)a->excluded);
  if (m->scoring == SCORING_AF) {
    describe_number(m->k, kt);
    if (est) {
      sb_textf(o, "k = %s\n\n", kt);
    } else {
      af_fmt_pct(b1, f.H), af_fmt_pct(b2, f.A), fmt(b3, f.M0);
      sb_textf(o, "k = %s   H = %s   A = %s   M0 = %s\n\n", kt, b1, b2, b3);
    }
    report_text_af_indicators(o, m, a, f, !est);
  } else {
    int nd;
    dist_entry *d = measure_sorted_dist(ms, &nd);
    sb_textf(o, "score: mean %.1f   p10 %g   p50 %g   p90 %g\n\n",
              a->n > 0 ? (double)(a->score_w / a->n) : NAN, measure_quantile(d, nd, .1),
              measure_quantile(d, nd, .5), measure_quantile(d, nd, .9));
    free(d);
    report_text_points_indicators(o, m, a);
  }
  report_text_categories(o, m, a);
  if (!est) report_text_groups(o, rn, k, f);
  if (m->nbenefits > 0) {
    sb_textf(o, "\n%-20s %-44s %10s %10s\n", "measure", "name", "units", "people");
    for (int i = 0; i < m->nbenefits; i++) {
      sb_cell(o, m->benefits[i].id, 20);
      sb_putc(o, ' ');
      sb_cell(o, m->benefits[i].name, 44);
      sb_textf(o, " %10lld %10lld\n", (long long)a->benefit_units[i],
                (long long)a->benefit_people[i]);
    }
  }
  if (est) infer_text(o, est, run_pool(rn), m);
}
