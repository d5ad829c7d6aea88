/*
** bulletin.c: the decision report as a page a minister reads. Figures come
** from the summary recorded with each run (and, for two runs, from their
** unit_scores rows through runcmp.c); names come from the recorded
** methodology. Charts are svg.c's, tables rtable.c's, words labels.c's.
*/
#include "bulletin.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "describe.h"
#include "html.h"
#include "svg.h"

#define BL_MAXROWS 4096   /* group rows charted (a chart of more is unreadable) */

static const char *bl_l(const bulletin *b, labels_key k) { return labels_get(b->lang, k); }

/* "By region" in the page's language (word order differs: "region бойынша"). */
static void bl_by(const bulletin *b, labels_key k, const char *col, char *out, size_t cap) {
  const char *fmt = bl_l(b, k);
  const char *at = strstr(fmt, "%s");
  assert(at && !strstr(at + 2, "%"));
  snprintf(out, cap, "%.*s%s%s", (int)(at - fmt), fmt, col, at + 2);
}

/* ---- categories: order and tones ---- */

/* The band at best-first position i: AF scores count deprivations (band 0,
** the lowest score, is the best); points count well-being (the last band is). */
static int bl_band_at(const model *m, int i) {
  assert(i >= 0 && i < m->nbands);
  return m->scoring == SCORING_AF ? i : m->nbands - 1 - i;
}


/* Tone of best-first position i: spread over the palette, worst darkest. */
static int bl_tone(const model *m, int i) {
  return m->nbands <= 1 ? 0 : (int)lround((double)i * (SVG_NTONES - 1) / (m->nbands - 1));
}

/* Share in the two worst categories from a {"A": share, ...} object or a
** [{"id", "share"}, ...] array. */
static double bl_worst_share(const model *m, const jdoc *cats) {
  double s = 0;
  for (int i = m->nbands >= 2 ? m->nbands - 2 : 0; i < m->nbands; i++) {
    const char *id = m->bands[bl_band_at(m, i)].id;
    if (cats && cats->kind == JDOC_OBJ) {
      s += jdoc_num(jdoc_get(cats, id));
    } else {
      for (int k = 0; k < jdoc_len(cats); k++)
        if (jdoc_str(jdoc_get(jdoc_at(cats, k), "id")) &&
            strcmp(jdoc_str(jdoc_get(jdoc_at(cats, k), "id")), id) == 0)
          s += jdoc_num(jdoc_get(jdoc_at(cats, k), "share"));
    }
  }
  return s;
}

/* The category entry with this id in the summary's "categories" array. */
static const jdoc *bl_category(const jdoc *sum, const char *id) {
  const jdoc *cats = jdoc_get(sum, "categories");
  for (int k = 0; k < jdoc_len(cats); k++) {
    const char *c = jdoc_str(jdoc_get(jdoc_at(cats, k), "id"));
    if (c && strcmp(c, id) == 0) return jdoc_at(cats, k);
  }
  return NULL;
}

/* ---- standard errors, when the summary has them ---- */

/* The estimate for measure (and indicator, and group column = value) in the
** summary's "estimates" list, or NULL. */
static const jdoc *bl_estimate(const jdoc *sum, const char *measure, const char *ind,
                               const char *col, const char *val) {
  const jdoc *es = jdoc_get(sum, "estimates");
  double k = jdoc_num(jdoc_get(sum, "k"));
  for (int i = 0; i < jdoc_len(es); i++) {
    const jdoc *x = jdoc_at(es, i);
    const char *m = jdoc_str(jdoc_get(x, "measure")), *xi = jdoc_str(jdoc_get(x, "indicator"));
    const jdoc *g = jdoc_get(x, "group");
    double xk = jdoc_num(jdoc_get(x, "k"));
    if (!m || strcmp(m, measure) != 0) continue;
    if ((ind == NULL) != (xi == NULL) || (ind && strcmp(ind, xi) != 0)) continue;
    if (isfinite(k) && isfinite(xk) && fabs(k - xk) > 1e-9) continue;
    int grouped = g && g->kind == JDOC_OBJ;
    if (grouped != (col != NULL)) continue;
    if (col) {
      const char *gc = jdoc_str(jdoc_get(g, "column")), *gv = jdoc_str(jdoc_get(g, "value"));
      if (!gc || strcmp(gc, col) != 0 || (gv == NULL) != (val == NULL) ||
          (val && strcmp(gv, val) != 0))
        continue;
    }
    return x;
  }
  return NULL;
}

/* Interval of an estimate into lo/hi (NaN when absent); 1 if there is one. */
static int bl_interval(const jdoc *est, double *lo, double *hi) {
  *lo = jdoc_num(jdoc_get(est, "ll"));
  *hi = jdoc_num(jdoc_get(est, "ul"));
  if (isfinite(*lo) && isfinite(*hi)) return 1;
  *lo = *hi = NAN;
  return 0;
}

/* ---- page pieces ---- */

static void bl_pct(const bulletin *b, double v, int dec, char *out) {
  labels_pct(b->lang, 0, v, dec, out);
}

static void bl_axis_pct(double v, char *out, void *ctx) {
  const bulletin *b = ctx;
  labels_pct(b->lang, 0, v, fabs(v) < 0.1 && v != 0 && fmod(v * 1000, 10) != 0 ? 1 : 0, out);
}

static void bl_axis_num(double v, char *out, void *ctx) {
  const bulletin *b = ctx;
  labels_num(b->lang, 0, v, v == floor(v) ? 0 : 2, out);
}

static void bl_axis_count(double v, char *out, void *ctx) {
  const bulletin *b = ctx;
  labels_count(b->lang, 0, (int64_t)llround(v), out);
}

static rtable *bl_table(bulletin *b, const char *slug, const char *title, int ncols,
                        const char *const *cols) {
  rtable *t = rtable_new(slug, title, ncols, cols);
  af_grow(&b->tables, &b->cap, b->ntables + 1, sizeof *b->tables);
  b->tables[b->ntables++] = t;
  return t;
}

static void bl_section(bulletin *b, const char *id, const char *title) {
  sb_printf(&b->html, "<section id=\"%s\">\n<h2>", id);
  html_esc(&b->html, title);
  sb_puts(&b->html, "</h2>\n");
}

static void bl_section_end(bulletin *b) { sb_puts(&b->html, "</section>\n"); }

static void bl_note(bulletin *b, const char *text) { html_elem(&b->html, "p", "note", text); }

static svg_chart bl_chart(bulletin *b, const char *title, const char *desc, svg_fmt fmt) {
  svg_chart c;
  memset(&c, 0, sizeof c);
  c.id = ++b->nsvg;
  c.title = title;
  c.desc = desc;
  c.ref = NAN;
  c.fmt = fmt;
  c.fmt_ctx = b;
  return c;
}

/* A figure with its title shown above the chart. */
static void bl_figure_begin(bulletin *b, const svg_chart *c) {
  sb_puts(&b->html, "<figure>\n");
  html_elem(&b->html, "p", "ft", c->title);
}

static void bl_figure_end(bulletin *b, const char *caption) {
  if (caption) html_elem(&b->html, "figcaption", NULL, caption);
  sb_puts(&b->html, "</figure>\n");
}

/* A figure of horizontal bars: the form of nearly every chart here. */
static void bl_bars_figure(bulletin *b, const svg_chart *c, const svg_bar *bars, int n,
                           const char *caption) {
  bl_figure_begin(b, c);
  svg_hbars(&b->html, c, bars, n);
  bl_figure_end(b, caption);
}

/* A headline card: big value, label, an optional detail line. */
static void bl_card(bulletin *b, const char *id, const char *value, const char *label,
                    const char *detail, int key) {
  sb_printf(&b->html, "<div class=\"card%s\" id=\"fig-%s\"><span class=\"v\">", key ? " key" : "",
            id);
  html_esc(&b->html, value);
  sb_puts(&b->html, "</span><span class=\"l\">");
  html_esc(&b->html, label);
  sb_puts(&b->html, "</span>");
  if (detail && *detail) {
    sb_puts(&b->html, "<span class=\"d\">");
    html_esc(&b->html, detail);
    sb_puts(&b->html, "</span>");
  }
  sb_puts(&b->html, "</div>\n");
}

/* A bar with no interval and no second series. */
static svg_bar bl_bar(const char *label, double v, const char *text, int tone) {
  svg_bar x;
  memset(&x, 0, sizeof x);
  x.label = label;
  x.tone = tone;
  for (int s = 0; s < SVG_MAXSERIES; s++) x.v[s] = x.lo[s] = x.hi[s] = NAN;
  x.v[0] = v;
  snprintf(x.text[0], sizeof x.text[0], "%s", text);
  return x;
}

/* A bar of two counts (two series: better and worse, gained and lost). */
static svg_bar bl_bar_pair(const bulletin *b, const char *label, int64_t x, int64_t y) {
  char tx[48];
  labels_count(b->lang, 0, x, tx);
  svg_bar bar = bl_bar(label, (double)x, tx, -1);
  bar.v[1] = (double)y;
  labels_count(b->lang, 0, y, bar.text[1]);
  return bar;
}

/* Indices 0..n-1 ordered by key, descending (stable). */
typedef struct bl_key {
  double key;
  int idx;
} bl_key;

static int bl_key_cmp(const void *pa, const void *pb) {
  const bl_key *a = pa, *b = pb;
  if (a->key != b->key) return a->key < b->key ? 1 : -1;
  return a->idx - b->idx;
}

static void bl_sort_desc(bl_key *k, int n) { qsort(k, (size_t)n, sizeof *k, bl_key_cmp); }

static const char *bl_group_value(const jdoc *row) {
  const char *v = jdoc_str(jdoc_get(row, "value"));
  return v ? v : "(null)";
}

/* Integral numbers without decimals, others with one. */
static int bl_points_dec(double v) { return v == floor(v) ? 0 : 1; }

/* ---- one run ---- */

/* The page's head band: kicker, title and one or two lines under it. */
static void bl_masthead(bulletin *b, const char *title, const char *kicker, const char *sub,
                        const char *sub2) {
  sb_puts(&b->html, "<header class=\"masthead\">\n");
  html_elem(&b->html, "p", "kicker", kicker);
  html_elem(&b->html, "h1", NULL, title);
  html_elem(&b->html, "p", "sub", sub);
  if (sub2) html_elem(&b->html, "p", "sub", sub2);
  sb_puts(&b->html, "</header>\n<main>\n");
}

static int64_t bl_int(const jdoc *o, const char *path) {
  double v = jdoc_num(jdoc_path(o, path));
  return isfinite(v) ? (int64_t)llround(v) : 0;
}

/* Families scored: units less those left out by a missing policy. */
static int64_t bl_scored(const jdoc *sum) { return bl_int(sum, "units") - bl_int(sum, "excluded"); }

static void bl_headline_af(bulletin *b, const bulletin_run *r) {
  char v[64], d[160], lo_s[48], hi_s[48];
  const jdoc *sum = r->sum;
  double H = jdoc_num(jdoc_get(sum, "H")), A = jdoc_num(jdoc_get(sum, "A"));
  double M0 = jdoc_num(jdoc_get(sum, "M0")), lo, hi;
  const char *keys[3] = {"H", "A", "M0"};
  labels_key lab[3] = {LB_H, LB_A, LB_M0}, note[3] = {LB_H_NOTE, LB_A_NOTE, LB_M0_NOTE};
  double vals[3] = {H, A, M0};
  for (int i = 0; i < 3; i++) {
    if (i < 2) bl_pct(b, vals[i], 1, v);
    else labels_num(b->lang, 0, vals[i], 3, v);
    snprintf(d, sizeof d, "%s", bl_l(b, note[i]));
    if (bl_interval(bl_estimate(sum, keys[i], NULL, NULL, NULL), &lo, &hi)) {
      if (i < 2) bl_pct(b, lo, 1, lo_s), bl_pct(b, hi, 1, hi_s);
      else labels_num(b->lang, 0, lo, 3, lo_s), labels_num(b->lang, 0, hi, 3, hi_s);
      snprintf(d, sizeof d, "95%%: %s \xE2\x80\x93 %s", lo_s, hi_s);
    }
    bl_card(b, keys[i], v, bl_l(b, lab[i]), d, i == 0);
  }
}

static void bl_headline_points(bulletin *b, const bulletin_run *r) {
  char v[64], q[3][48];
  const jdoc *sc = jdoc_get(r->sum, "score");
  double mean = jdoc_num(jdoc_get(sc, "mean"));
  const char *qk[3] = {"p10", "p50", "p90"};
  for (int i = 0; i < 3; i++) {
    double x = jdoc_num(jdoc_get(sc, qk[i]));
    labels_num(b->lang, 0, x, bl_points_dec(x), q[i]);
  }
  labels_num(b->lang, 0, mean, 1, v);
  bl_card(b, "mean", v, bl_l(b, LB_MEAN_POINTS), NULL, 1);
  labels_key ql[3] = {LB_P10, LB_P50, LB_P90};
  for (int i = 0; i < 3; i++) bl_card(b, qk[i], q[i], bl_l(b, ql[i]), NULL, 0);
}

static void bl_headline(bulletin *b, const bulletin_run *r) {
  char v[64], d[160], ids[64];
  const jdoc *sum = r->sum;
  bl_section(b, "headline", bl_l(b, LB_HEADLINE));
  sb_puts(&b->html, "<div class=\"cards\">\n");
  labels_count(b->lang, 0, bl_scored(sum), v);
  bl_card(b, "families", v, bl_l(b, LB_FAMILIES), NULL, 0);
  labels_count(b->lang, 0, bl_int(sum, "data.members"), v);
  bl_card(b, "people", v, bl_l(b, LB_PEOPLE), NULL, 0);
  labels_count(b->lang, 0, bl_int(sum, "excluded"), v);
  bl_card(b, "excluded", v, bl_l(b, LB_EXCLUDED), NULL, 0);
  if (r->m->scoring == SCORING_AF) bl_headline_af(b, r);
  else bl_headline_points(b, r);
  runcmp_worst_ids(r->m, ids, sizeof ids);
  bl_pct(b, bl_worst_share(r->m, jdoc_get(sum, "categories")), 1, v);
  snprintf(d, sizeof d, "%s (%s)", bl_l(b, LB_DE_SHARE), ids);
  bl_card(b, "worst", v, d, NULL, 1);
  if (r->m->scoring == SCORING_AF) {
    labels_pct(b->lang, 0, r->m->k, 1, v);
    bl_card(b, "k", v, bl_l(b, LB_K), NULL, 0);
  }
  sb_puts(&b->html, "</div>\n");
  bl_note(b, jdoc_get(sum, "estimates") ? bl_l(b, LB_INTERVAL_NOTE) : bl_l(b, LB_NO_INTERVAL_NOTE));
  bl_section_end(b);
}

static void bl_categories(bulletin *b, const bulletin_run *r) {
  const model *m = r->m;
  const char *cols[] = {bl_l(b, LB_CATEGORY), bl_l(b, LB_NAME), bl_l(b, LB_COUNT),
                        bl_l(b, LB_SHARE)};
  bl_section(b, "categories", bl_l(b, LB_CATEGORIES));
  rtable *t = bl_table(b, "categories", bl_l(b, LB_CATEGORIES), 4, cols);
  svg_bar *bars = af_calloc((size_t)m->nbands + 1, sizeof *bars);
  char (*labels)[160] = af_calloc((size_t)m->nbands + 1, sizeof *labels);
  for (int i = 0; i < m->nbands; i++) {
    const model_band *bd = &m->bands[bl_band_at(m, i)];
    const jdoc *c = bl_category(r->sum, bd->id);
    double share = jdoc_num(jdoc_get(c, "share"));
    char pct[48], n[48], text[100];
    bl_pct(b, share, 1, pct);
    labels_count(b->lang, 0, bl_int(c, "count"), n);
    snprintf(text, sizeof text, "%s (%s)", pct, n);
    snprintf(labels[i], sizeof labels[i], "%s  %s", bd->id, bd->name);
    bars[i] = bl_bar(labels[i], share, "", bl_tone(m, i));
    snprintf(bars[i].text[0], sizeof bars[i].text[0], "%.47s", text);
    rtable_text(t, bd->id);
    rtable_text(t, bd->name);
    rtable_count(t, bl_int(c, "count"));
    rtable_pct(t, share, 1);
  }
  rtable_totals(t);
  rtable_text(t, bl_l(b, LB_TOTAL));
  rtable_text(t, "");
  rtable_count(t, bl_scored(r->sum));
  rtable_pct(t, 1, 1);
  svg_chart ch = bl_chart(b, bl_l(b, LB_CATEGORIES), bl_l(b, LB_CAT_CHART_DESC), bl_axis_pct);
  ch.width = 420;
  sb_puts(&b->html, "<div class=\"two\">\n");
  bl_bars_figure(b, &ch, bars, m->nbands, bl_l(b, LB_CAT_CHART_DESC));
  sb_puts(&b->html, "<div>\n");
  rtable_html(&b->html, t, b->lang);
  sb_puts(&b->html, "</div>\n</div>\n");
  free(bars);
  free(labels);
  bl_section_end(b);
}

/* Categories by group as 100% bars, sorted by the share in the worst two. */
static void bl_group_stack(bulletin *b, const model *m, const char *col, const jdoc *rows,
                           const bl_key *order, int n) {
  const char **names = af_calloc((size_t)m->nbands + 1, sizeof *names);
  int *tones = af_calloc((size_t)m->nbands + 1, sizeof *tones);
  const char **rl = af_calloc((size_t)n + 1, sizeof *rl);
  double *parts = af_calloc((size_t)(n * m->nbands) + 1, sizeof *parts);
  char(*texts)[48] = af_calloc((size_t)(n * m->nbands) + 1, sizeof *texts);
  /* Worst first, so the share in the worst categories starts at the axis. */
  for (int p = 0; p < m->nbands; p++) {
    names[p] = m->bands[bl_band_at(m, m->nbands - 1 - p)].id;
    tones[p] = bl_tone(m, m->nbands - 1 - p);
  }
  for (int i = 0; i < n; i++) {
    const jdoc *row = jdoc_at(rows, order[i].idx);
    rl[i] = bl_group_value(row);
    for (int p = 0; p < m->nbands; p++) {
      double s = jdoc_num(jdoc_path(row, "categories") ? jdoc_get(jdoc_get(row, "categories"),
                                                                  names[p]) : NULL);
      parts[i * m->nbands + p] = s;
      bl_pct(b, s, s < 0.1 ? 1 : 0, texts[i * m->nbands + p]);
    }
  }
  char title[300], ids[64];
  runcmp_worst_ids(m, ids, sizeof ids);
  bl_by(b, LB_GROUP_CATS, col, title, sizeof title);
  char desc[400];
  snprintf(desc, sizeof desc, "%s, %s %s", title, bl_l(b, LB_SORTED_BY), ids);
  svg_chart ch = bl_chart(b, title, desc, bl_axis_pct);
  svg_stack st = {rl, n, names, tones, m->nbands, parts, texts};
  bl_figure_begin(b, &ch);
  svg_stacked(&b->html, &ch, &st);
  bl_figure_end(b, desc);
  free(names);
  free(tones);
  free(rl);
  free(parts);
  free(texts);
}

/* The measure by group: H (AF) or the mean score (points), with intervals. */
static void bl_group_measure(bulletin *b, const bulletin_run *r, const char *col,
                             const jdoc *rows, bl_key *order, int n) {
  int af = r->m->scoring == SCORING_AF;
  const char *key = af ? "H" : "mean";
  svg_bar *bars = af_calloc((size_t)n + 1, sizeof *bars);
  for (int i = 0; i < n; i++) order[i].key = jdoc_num(jdoc_get(jdoc_at(rows, order[i].idx), key));
  bl_sort_desc(order, n);
  for (int i = 0; i < n; i++) {
    const jdoc *row = jdoc_at(rows, order[i].idx);
    char text[48];
    double v = order[i].key;
    if (af) bl_pct(b, v, 1, text);
    else labels_num(b->lang, 0, v, 1, text);
    bars[i] = bl_bar(bl_group_value(row), v, text, -1);
    bl_interval(bl_estimate(r->sum, key, NULL, col, jdoc_str(jdoc_get(row, "value"))),
                &bars[i].lo[0], &bars[i].hi[0]);
  }
  char title[300], ref[160], nat[48];
  char by[200];
  bl_by(b, LB_BY_GROUP, col, by, sizeof by);
  snprintf(title, sizeof title, "%s: %s", af ? bl_l(b, LB_H) : bl_l(b, LB_MEAN_POINTS), by);
  double national = af ? jdoc_num(jdoc_get(r->sum, "H"))
                       : jdoc_num(jdoc_path(r->sum, "score.mean"));
  if (af) bl_pct(b, national, 1, nat);
  else labels_num(b->lang, 0, national, 1, nat);
  snprintf(ref, sizeof ref, "%s: %s", bl_l(b, LB_TOTAL), nat);
  svg_chart ch = bl_chart(b, title, title, af ? bl_axis_pct : bl_axis_num);
  ch.ref = national;
  ch.ref_label = ref;
  bl_bars_figure(b, &ch, bars, n, NULL);
  free(bars);
}

static void bl_group_table(bulletin *b, const bulletin_run *r, const char *col,
                           const jdoc *rows, const bl_key *order, int n) {
  int af = r->m->scoring == SCORING_AF;
  char worst[64], slug[300], title[300];
  runcmp_worst_ids(r->m, worst, sizeof worst);
  const char *cols_af[] = {col, bl_l(b, LB_COUNT), bl_l(b, LB_POP_SHARE), "H", "A", "M0",
                           bl_l(b, LB_CONTRIB), worst};
  const char *cols_pt[] = {col, bl_l(b, LB_COUNT), bl_l(b, LB_POP_SHARE),
                           bl_l(b, LB_MEAN_POINTS), worst};
  snprintf(slug, sizeof slug, "group-%s", col);
  bl_by(b, LB_BY_GROUP, col, title, sizeof title);
  rtable *t = af ? bl_table(b, slug, title, 8, cols_af) : bl_table(b, slug, title, 5, cols_pt);
  for (int i = 0; i < n; i++) {
    const jdoc *row = jdoc_at(rows, order[i].idx);
    rtable_text(t, bl_group_value(row));
    rtable_count(t, bl_int(row, "units"));
    rtable_pct(t, jdoc_num(jdoc_get(row, "share")), 1);
    if (af) {
      rtable_pct(t, jdoc_num(jdoc_get(row, "H")), 1);
      rtable_pct(t, jdoc_num(jdoc_get(row, "A")), 1);
      rtable_num(t, jdoc_num(jdoc_get(row, "M0")), 3);
      rtable_pct(t, jdoc_num(jdoc_get(row, "contribution")), 1);
    } else {
      rtable_num(t, jdoc_num(jdoc_get(row, "mean")), 1);
    }
    rtable_pct(t, bl_worst_share(r->m, jdoc_get(row, "categories")), 1);
  }
  rtable_html(&b->html, t, b->lang);
}

static void bl_groups(bulletin *b, const bulletin_run *r) {
  const jdoc *groups = jdoc_get(r->sum, "groups");
  for (int g = 0; g < jdoc_len(groups); g++) {
    const char *col = groups->keys[g];
    const jdoc *rows = jdoc_at(groups, g);
    int n = jdoc_len(rows) < BL_MAXROWS ? jdoc_len(rows) : BL_MAXROWS;
    char id[300], title[300];
    snprintf(id, sizeof id, "group-%s", col);
    bl_by(b, LB_BY_GROUP, col, title, sizeof title);
    bl_section(b, id, title);
    bl_key *order = af_calloc((size_t)n + 1, sizeof *order);
    for (int i = 0; i < n; i++) {
      order[i].idx = i;
      order[i].key = bl_worst_share(r->m, jdoc_get(jdoc_at(rows, i), "categories"));
    }
    bl_sort_desc(order, n);
    bl_group_stack(b, r->m, col, rows, order, n);
    bl_group_table(b, r, col, rows, order, n);
    bl_group_measure(b, r, col, rows, order, n);
    free(order);
    bl_section_end(b);
  }
}

/* The indicator's display name: "name" (or its id when it has none). */
static const char *bl_ind_name(const model *m, const char *id) {
  int i = id ? model_find_indicator(m, id) : -1;
  return i >= 0 ? m->inds[i].name : id ? id : "";
}

static const char *bl_dim_name(const model *m, const char *id) {
  for (int d = 0; id && d < m->ndims; d++)
    if (strcmp(m->dims[d].id, id) == 0) return m->dims[d].name;
  return id ? id : "";
}

static void bl_indicators_af(bulletin *b, const bulletin_run *r, const jdoc *inds) {
  int n = jdoc_len(inds);
  svg_bar *hb = af_calloc((size_t)n + 1, sizeof *hb), *cb = af_calloc((size_t)n + 1, sizeof *cb);
  const char *cols[] = {bl_l(b, LB_INDICATOR), bl_l(b, LB_DIMENSION), bl_l(b, LB_WEIGHT),
                        bl_l(b, LB_UNCENSORED), bl_l(b, LB_CENSORED), bl_l(b, LB_CONTRIBUTION),
                        bl_l(b, LB_MISSING)};
  rtable *t = bl_table(b, "indicators", bl_l(b, LB_INDICATORS), 7, cols);
  for (int i = 0; i < n; i++) {
    const jdoc *x = jdoc_at(inds, i);
    const char *id = jdoc_str(jdoc_get(x, "id"));
    const char *name = bl_ind_name(r->m, id);
    double unc = jdoc_num(jdoc_get(x, "uncensored")), cen = jdoc_num(jdoc_get(x, "censored"));
    double con = jdoc_num(jdoc_get(x, "contribution"));
    char t0[48], t1[48], t2[48];
    bl_pct(b, unc, 1, t0);
    bl_pct(b, cen, 1, t1);
    bl_pct(b, con, 1, t2);
    hb[i] = bl_bar(name, unc, t0, -1);
    hb[i].v[1] = cen;
    snprintf(hb[i].text[1], sizeof hb[i].text[1], "%s", t1);
    bl_interval(bl_estimate(r->sum, "hd", id, NULL, NULL), &hb[i].lo[0], &hb[i].hi[0]);
    bl_interval(bl_estimate(r->sum, "hdk", id, NULL, NULL), &hb[i].lo[1], &hb[i].hi[1]);
    cb[i] = bl_bar(name, con, t2, -1);
    bl_interval(bl_estimate(r->sum, "pctb", id, NULL, NULL), &cb[i].lo[0], &cb[i].hi[0]);
    rtable_text(t, name);
    rtable_text(t, bl_dim_name(r->m, jdoc_str(jdoc_get(x, "dimension"))));
    rtable_pct(t, jdoc_num(jdoc_get(x, "weight")), 1);
    rtable_pct(t, unc, 1);
    rtable_pct(t, cen, 1);
    rtable_pct(t, con, 1);
    rtable_count(t, bl_int(x, "missing"));
  }
  svg_chart ch = bl_chart(b, bl_l(b, LB_INDICATORS), bl_l(b, LB_IND_CHART_DESC), bl_axis_pct);
  ch.series[0] = bl_l(b, LB_UNCENSORED);
  ch.series[1] = bl_l(b, LB_CENSORED);
  bl_bars_figure(b, &ch, hb, n, bl_l(b, LB_IND_CHART_DESC));
  svg_chart cc = bl_chart(b, bl_l(b, LB_CONTRIBUTION), bl_l(b, LB_CONTRIB_CHART_DESC),
                          bl_axis_pct);
  bl_bars_figure(b, &cc, cb, n, bl_l(b, LB_CONTRIB_CHART_DESC));
  rtable_html(&b->html, t, b->lang);
  free(hb);
  free(cb);
}

static void bl_indicators_points(bulletin *b, const bulletin_run *r, const jdoc *inds) {
  int n = jdoc_len(inds);
  svg_bar *bars = af_calloc((size_t)n + 1, sizeof *bars);
  const char *cols[] = {bl_l(b, LB_INDICATOR), bl_l(b, LB_DIMENSION), bl_l(b, LB_MEAN_POINTS),
                        bl_l(b, LB_MISSING)};
  rtable *t = bl_table(b, "indicators", bl_l(b, LB_INDICATORS), 4, cols);
  for (int i = 0; i < n; i++) {
    const jdoc *x = jdoc_at(inds, i);
    const char *name = bl_ind_name(r->m, jdoc_str(jdoc_get(x, "id")));
    double v = jdoc_num(jdoc_get(x, "mean_points"));
    char text[48];
    labels_num(b->lang, 0, v, 1, text);
    bars[i] = bl_bar(name, v, text, -1);
    rtable_text(t, name);
    rtable_text(t, bl_dim_name(r->m, jdoc_str(jdoc_get(x, "dimension"))));
    rtable_num(t, v, 1);
    rtable_count(t, bl_int(x, "missing"));
  }
  svg_chart ch = bl_chart(b, bl_l(b, LB_INDICATORS), bl_l(b, LB_MEAN_POINTS), bl_axis_num);
  bl_bars_figure(b, &ch, bars, n, NULL);
  rtable_html(&b->html, t, b->lang);
  free(bars);
}

static void bl_indicators(bulletin *b, const bulletin_run *r) {
  const jdoc *inds = jdoc_get(r->sum, "indicators");
  if (jdoc_len(inds) == 0) return;
  bl_section(b, "indicators", bl_l(b, LB_INDICATORS));
  if (r->m->scoring == SCORING_AF) bl_indicators_af(b, r, inds);
  else bl_indicators_points(b, r, inds);
  bl_section_end(b);
}

static void bl_benefits(bulletin *b, const bulletin_run *r) {
  const jdoc *ms = jdoc_get(r->sum, "measures");
  int n = jdoc_len(ms);
  if (n == 0) return;
  bl_section(b, "measures", bl_l(b, LB_MEASURES));
  const char *cols[] = {bl_l(b, LB_MEASURE), bl_l(b, LB_ELIGIBLE_FAMILIES),
                        bl_l(b, LB_ELIGIBLE_PEOPLE)};
  rtable *t = bl_table(b, "measures", bl_l(b, LB_MEASURES), 3, cols);
  svg_bar *bars = af_calloc((size_t)n, sizeof *bars);
  for (int i = 0; i < n; i++) {
    const jdoc *x = jdoc_at(ms, i);
    const char *name = jdoc_str(jdoc_get(x, "name"));
    char text[48];
    labels_count(b->lang, 0, bl_int(x, "units"), text);
    bars[i] = bl_bar(name ? name : "", (double)bl_int(x, "units"), text, -1);
    rtable_text(t, name);
    rtable_count(t, bl_int(x, "units"));
    rtable_count(t, bl_int(x, "people"));
  }
  svg_chart ch = bl_chart(b, bl_l(b, LB_MEASURES), bl_l(b, LB_ELIGIBLE_FAMILIES), bl_axis_count);
  bl_bars_figure(b, &ch, bars, n, NULL);
  rtable_html(&b->html, t, b->lang);
  free(bars);
  bl_section_end(b);
}

/* ---- the record ---- */

static void bl_dl_item(bulletin *b, const char *term, const char *value, int code) {
  sb_puts(&b->html, "<dt>");
  html_esc(&b->html, term);
  sb_puts(&b->html, code ? "</dt><dd class=\"hash\">" : "</dt><dd>");
  html_esc(&b->html, value && *value ? value : "\xE2\x80\x93");
  sb_puts(&b->html, "</dd>\n");
}

/* The signature status of a recorded methodology file, as the run recorded
** it: the signer is the key of --trust it verified under when scored
** (`afscore verify --trust` checks it again). */
static const char *bl_signature(bulletin *b, const store_sig *g) {
  if (!g->present) return bl_l(b, LB_UNSIGNED);
  return bl_l(b, g->signer[0] ? LB_SIGNED : LB_SIGNED_UNCHECKED);
}

static void bl_record_of(bulletin *b, const bulletin_run *r, const char *slug) {
  const run_record *rec = r->rec;
  char id[32];
  snprintf(id, sizeof id, "%lld", (long long)rec->id);
  sb_puts(&b->html, "<div>\n<dl class=\"record\">\n");
  bl_dl_item(b, bl_l(b, LB_RUN_ID), id, 0);
  bl_dl_item(b, bl_l(b, LB_DATE), rec->time, 0);
  bl_dl_item(b, bl_l(b, LB_METHODOLOGY), rec->methodology_name, 0);
  bl_dl_item(b, bl_l(b, LB_VERSION), rec->methodology_version, 0);
  bl_dl_item(b, bl_l(b, LB_SCORING),
             r->m->scoring == SCORING_AF ? bl_l(b, LB_AF) : bl_l(b, LB_POINTS), 0);
  bl_dl_item(b, bl_l(b, LB_ENGINE), rec->engine_version, 0);
  bl_dl_item(b, bl_l(b, LB_DATA_PATH), rec->data_path, 0);
  bl_dl_item(b, bl_l(b, LB_DATA_FP), rec->data_sha256, 1);
  bl_dl_item(b, bl_l(b, LB_RESULTS_DIGEST), jdoc_str(jdoc_get(r->sum, "results_sha256")), 1);
  bl_dl_item(b, bl_l(b, LB_RUN_SIGNER),
             rec->sig.present ? rec->sig.signer : bl_l(b, LB_UNSIGNED), rec->sig.present);
  sb_puts(&b->html, "</dl>\n");
  const char *cols[] = {bl_l(b, LB_FILE), bl_l(b, LB_SHA256), bl_l(b, LB_SIGNATURE),
                        bl_l(b, LB_SIGNER)};
  char title[200];
  snprintf(title, sizeof title, "%s %s: %s", bl_l(b, LB_RUN), id, bl_l(b, LB_METHODOLOGY));
  rtable *t = bl_table(b, slug, title, 4, cols);
  for (int i = 0; i < rec->nfiles; i++) {
    const store_sig *g = &rec->file_sigs[i];
    rtable_text(t, rec->files[i].name);
    rtable_code(t, rec->files[i].sha256);
    rtable_text(t, bl_signature(b, g));
    if (g->present && g->signer[0]) rtable_code(t, g->signer);
    else rtable_text(t, "\xE2\x80\x93");
  }
  rtable_html(&b->html, t, b->lang);
  sb_puts(&b->html, "</div>\n");
}

static void bl_footer(bulletin *b) {
  sb_puts(&b->html, "</main>\n<footer>\n");
  html_esc(&b->html, bl_l(b, LB_PAGE_NOTE));
  sb_puts(&b->html, "\n</footer>\n");
}

static void bl_kicker(bulletin *b, const bulletin_run *r, char *out, size_t cap) {
  char date[11] = "";
  if (r->rec->time) snprintf(date, sizeof date, "%s", r->rec->time);
  snprintf(out, cap, "afscore \xC2\xB7 %s %lld \xC2\xB7 %s", bl_l(b, LB_RUN),
           (long long)r->rec->id, date);
}

void bulletin_one(bulletin *b, const bulletin_run *r) {
  char kicker[200], sub[600], n[48];
  bl_kicker(b, r, kicker, sizeof kicker);
  labels_count(b->lang, 0, bl_scored(r->sum), n);
  snprintf(sub, sizeof sub, "%s \xC2\xB7 %s \xC2\xB7 %s: %s", r->m->name, r->m->version,
           bl_l(b, LB_FAMILIES), n);
  html_begin(&b->html, labels_code(b->lang), bl_l(b, LB_TITLE_ONE));
  bl_masthead(b, bl_l(b, LB_TITLE_ONE), kicker, sub, NULL);
  bl_headline(b, r);
  bl_categories(b, r);
  bl_groups(b, r);
  bl_indicators(b, r);
  bl_benefits(b, r);
  bl_section(b, "record", bl_l(b, LB_RECORD));
  bl_record_of(b, r, "record");
  bl_section_end(b);
  bl_footer(b);
  html_end(&b->html);
}

/* ---- two runs ---- */

/* Before / after / change rows of the comparison's headline table. */
static void bl_cmp_count(rtable *t, const char *what, int64_t a, int64_t b) {
  rtable_text(t, what);
  rtable_count(t, a);
  rtable_count(t, b);
  rtable_dcount(t, b - a);
}

static void bl_cmp_pct(rtable *t, const char *what, double a, double b) {
  rtable_text(t, what);
  rtable_pct(t, a, 1);
  rtable_pct(t, b, 1);
  rtable_dpp(t, b - a, 1);
}

static void bl_two_headline(bulletin *b, const bulletin_run *ra, const bulletin_run *rb,
                            const runcmp *t) {
  const jdoc *sa = ra->sum, *sb = rb->sum;
  char v[120], d[400], x[48], y[48], ids[64];
  int64_t moved = t->all.changed, base = t->all.units > 0 ? t->all.units : 1;
  bl_section(b, "headline", bl_l(b, LB_HEADLINE));
  sb_puts(&b->html, "<div class=\"cards\">\n");
  labels_count(b->lang, 0, moved, v);
  bl_pct(b, (double)moved / (double)base, 1, x);
  labels_count(b->lang, 0, t->all.units, y);
  snprintf(d, sizeof d, "%s (%s / %s)", x, v, y);
  bl_card(b, "moved", v, bl_l(b, LB_MOVED), d, 1);
  labels_count(b->lang, 0, t->all.better, v);
  bl_card(b, "better", v, bl_l(b, LB_BETTER), NULL, 0);
  labels_count(b->lang, 0, t->all.worse, v);
  bl_card(b, "worse", v, bl_l(b, LB_WORSE), NULL, 0);
  runcmp_worst_ids(rb->m, ids, sizeof ids);
  bl_pct(b, bl_worst_share(ra->m, jdoc_get(sa, "categories")), 1, x);
  bl_pct(b, bl_worst_share(rb->m, jdoc_get(sb, "categories")), 1, y);
  snprintf(v, sizeof v, "%s \xE2\x86\x92 %s", x, y);
  snprintf(d, sizeof d, "%s (%s)", bl_l(b, LB_DE_SHARE), ids);
  bl_card(b, "worst", v, d, NULL, 1);
  /* Families recorded in one run only (this month against last). */
  if (t->only_a || t->only_b) {
    labels_count(b->lang, 0, t->only_a, v);
    bl_card(b, "only-before", v, bl_l(b, LB_ONLY_BEFORE), NULL, 0);
    labels_count(b->lang, 0, t->only_b, v);
    bl_card(b, "only-after", v, bl_l(b, LB_ONLY_AFTER), NULL, 0);
  }
  sb_puts(&b->html, "</div>\n");
  const char *cols[] = {"", bl_l(b, LB_BEFORE), bl_l(b, LB_AFTER), bl_l(b, LB_CHANGE)};
  rtable *tb = bl_table(b, "headline", bl_l(b, LB_HEADLINE), 4, cols);
  bl_cmp_count(tb, bl_l(b, LB_FAMILIES), bl_scored(sa), bl_scored(sb));
  bl_cmp_count(tb, bl_l(b, LB_PEOPLE), bl_int(sa, "data.members"), bl_int(sb, "data.members"));
  bl_cmp_count(tb, bl_l(b, LB_EXCLUDED), bl_int(sa, "excluded"), bl_int(sb, "excluded"));
  if (ra->m->scoring == SCORING_AF && rb->m->scoring == SCORING_AF) {
    bl_cmp_pct(tb, bl_l(b, LB_H), jdoc_num(jdoc_get(sa, "H")), jdoc_num(jdoc_get(sb, "H")));
    bl_cmp_pct(tb, bl_l(b, LB_A), jdoc_num(jdoc_get(sa, "A")), jdoc_num(jdoc_get(sb, "A")));
    double m0a = jdoc_num(jdoc_get(sa, "M0")), m0b = jdoc_num(jdoc_get(sb, "M0"));
    rtable_text(tb, bl_l(b, LB_M0));
    rtable_num(tb, m0a, 3);
    rtable_num(tb, m0b, 3);
    rtable_dnum(tb, m0b - m0a, 3);
  } else if (ra->m->scoring == rb->m->scoring) {
    double ma = jdoc_num(jdoc_path(sa, "score.mean")), mb = jdoc_num(jdoc_path(sb, "score.mean"));
    rtable_text(tb, bl_l(b, LB_MEAN_POINTS));
    rtable_num(tb, ma, 1);
    rtable_num(tb, mb, 1);
    rtable_dnum(tb, mb - ma, 1);
  }
  bl_cmp_pct(tb, d, bl_worst_share(ra->m, jdoc_get(sa, "categories")),
             bl_worst_share(rb->m, jdoc_get(sb, "categories")));
  for (int i = 0; i < rb->m->nbands; i++) {
    const model_band *bd = &rb->m->bands[bl_band_at(rb->m, i)];
    char what[200];
    snprintf(what, sizeof what, "%s %s", bd->id, bd->name);
    bl_cmp_count(tb, what, bl_int(bl_category(sa, bd->id), "count"),
                 bl_int(bl_category(sb, bd->id), "count"));
  }
  rtable_html(&b->html, tb, b->lang);
  bl_section_end(b);
}

static void bl_two_matrix(bulletin *b, const runcmp *t) {
  /* runcmp's last row and column are "(excluded)": shown only when someone is in them. */
  int64_t lastr = 0, lastc = 0;
  for (int c = 0; c < t->nto; c++) lastr += runcmp_count(t, t->nfrom - 1, c);
  for (int r = 0; r < t->nfrom; r++) lastc += runcmp_count(t, r, t->nto - 1);
  int nr = t->nfrom - (lastr == 0), nc = t->nto - (lastc == 0);
  const char **rows = af_calloc((size_t)nr, sizeof *rows), **cols = af_calloc((size_t)nc + 1, sizeof *cols);
  double *v = af_calloc((size_t)(nr * nc), sizeof *v);
  char(*texts)[48] = af_calloc((size_t)(nr * nc), sizeof *texts);
  for (int r = 0; r < nr; r++)
    rows[r] = r < t->nfrom - 1 ? runcmp_from(t, r) : bl_l(b, LB_NOT_SCORED);
  for (int c = 0; c < nc; c++) cols[c] = c < t->nto - 1 ? runcmp_to(t, c) : bl_l(b, LB_NOT_SCORED);
  cols[nc] = bl_l(b, LB_TOTAL);
  const char **tcols = af_calloc((size_t)nc + 2, sizeof *tcols);
  tcols[0] = bl_l(b, LB_FROM_TO);
  for (int c = 0; c <= nc; c++) tcols[c + 1] = cols[c];
  rtable *tb = bl_table(b, "transitions", bl_l(b, LB_TRANSITIONS), nc + 2, tcols);
  for (int r = 0; r < nr; r++) {
    int64_t sum = 0;
    rtable_text(tb, rows[r]);
    for (int c = 0; c < nc; c++) {
      int64_t n = runcmp_count(t, r, c);
      v[r * nc + c] = (double)n;
      labels_count(b->lang, 0, n, texts[r * nc + c]);
      rtable_count(tb, n);
      sum += n;
    }
    rtable_count(tb, sum);
  }
  bl_section(b, "transitions", bl_l(b, LB_TRANSITIONS));
  svg_chart ch = bl_chart(b, bl_l(b, LB_TRANSITIONS), bl_l(b, LB_TRANS_DESC), bl_axis_count);
  svg_heat h = {rows, cols, nr, nc, v, texts, bl_l(b, LB_BEFORE), bl_l(b, LB_AFTER)};
  bl_figure_begin(b, &ch);
  svg_heatmap(&b->html, &ch, &h);
  bl_figure_end(b, bl_l(b, LB_TRANS_DESC));
  rtable_html(&b->html, tb, b->lang);
  bl_section_end(b);
  free(rows);
  free(cols);
  free(tcols);
  free(v);
  free(texts);
}

/* Families eligible for measure id in a summary row (its "measures" list). */
static int64_t bl_benefit_units(const jdoc *row, const char *id) {
  const jdoc *ms = jdoc_get(row, "measures");
  for (int i = 0; i < jdoc_len(ms); i++) {
    const char *x = jdoc_str(jdoc_get(jdoc_at(ms, i), "id"));
    if (x && strcmp(x, id) == 0) return bl_int(jdoc_at(ms, i), "units");
  }
  return 0;
}

/* A support measure's name in whichever methodology has it (B first). */
static const char *bl_benefit_name(const model *ma, const model *mb, const char *id) {
  const model *ms[2] = {mb, ma};
  for (int m = 0; m < 2; m++)
    for (int k = 0; k < ms[m]->nbenefits; k++)
      if (strcmp(ms[m]->benefits[k].id, id) == 0) return ms[m]->benefits[k].name;
  return id;
}

static const char *bl_gvalue(const runcmp_gvalue *v) { return v->value ? v->value : "(null)"; }

/* The values of a group column by the families that changed category, most
** first (then in text order). */
static bl_key *bl_movers_order(const runcmp_group *gr, int *n) {
  *n = gr->nvalues < BL_MAXROWS ? gr->nvalues : BL_MAXROWS;
  bl_key *order = af_calloc((size_t)*n + 1, sizeof *order);
  for (int i = 0; i < *n; i++) order[i] = (bl_key){(double)gr->values[i].changed, i};
  bl_sort_desc(order, *n);
  return order;
}

/* Chart and table by one group column: who moves (k < 0: better and worse
** charted; in the table also the two worst categories before and after) or
** measure k (gained and lost). */
static void bl_two_by(bulletin *b, const runcmp_group *gr, int k, const char *title,
                      const char *slug, const char *const *cols) {
  rtable *tb = bl_table(b, slug, title, k < 0 ? 7 : 4, cols);
  int n;
  bl_key *order = bl_movers_order(gr, &n);
  svg_bar *bars = af_calloc((size_t)n + 1, sizeof *bars);
  for (int i = 0; i < n; i++) {
    const runcmp_gvalue *v = &gr->values[order[i].idx];
    rtable_text(tb, bl_gvalue(v));
    if (k < 0) {
      bars[i] = bl_bar_pair(b, bl_gvalue(v), v->better, v->worse);
      rtable_count(tb, v->units);
      rtable_count(tb, v->better);
      rtable_count(tb, v->worse);
      rtable_count(tb, v->worst_a);
      rtable_count(tb, v->worst_b);
      rtable_dcount(tb, v->worst_b - v->worst_a);
    } else {
      bars[i] = bl_bar_pair(b, bl_gvalue(v), v->gained[k], v->lost[k]);
      rtable_count(tb, v->gained[k]);
      rtable_count(tb, v->lost[k]);
      rtable_dcount(tb, v->gained[k] - v->lost[k]);
    }
  }
  const char *note = k < 0 ? bl_l(b, LB_GROUP_MOVES_NOTE) : NULL;
  svg_chart ch = bl_chart(b, title, note ? note : title, bl_axis_count);
  ch.series[0] = bl_l(b, k < 0 ? LB_BETTER : LB_GAINED);
  ch.series[1] = bl_l(b, k < 0 ? LB_WORSE : LB_LOST);
  bl_bars_figure(b, &ch, bars, n, note);
  rtable_html(&b->html, tb, b->lang);
  free(bars);
  free(order);
}

/* Who moves, by one group column. */
static void bl_two_moves(bulletin *b, const bulletin_run *ra, const bulletin_run *rb,
                         const runcmp_group *gr) {
  char wa[64], wb[64], ha[120], hb[120], by[200], title[300], slug[300];
  runcmp_worst_ids(ra->m, wa, sizeof wa);
  runcmp_worst_ids(rb->m, wb, sizeof wb);
  bl_by(b, LB_DE_BEFORE, wa, ha, sizeof ha);
  bl_by(b, LB_DE_AFTER, wb, hb, sizeof hb);
  bl_by(b, LB_BY_GROUP, gr->name, by, sizeof by);
  snprintf(title, sizeof title, "%s: %s", bl_l(b, LB_WHO_MOVES), by);
  snprintf(slug, sizeof slug, "moves-%s", gr->name);
  const char *cols[] = {gr->name, bl_l(b, LB_COUNT), bl_l(b, LB_BETTER), bl_l(b, LB_WORSE),
                        ha, hb, bl_l(b, LB_CHANGE)};
  bl_two_by(b, gr, -1, title, slug, cols);
}

/* Measure k gained and lost, by one group column. */
static void bl_two_measure_by(bulletin *b, const bulletin_run *ra, const bulletin_run *rb,
                              const runcmp *t, const runcmp_group *gr, int k) {
  const char *id = t->measure_ids[k], *name = bl_benefit_name(ra->m, rb->m, id);
  char by[200], title[600], slug[300];
  bl_by(b, LB_BY_GROUP, gr->name, by, sizeof by);
  snprintf(title, sizeof title, "%s, %s: %s", bl_l(b, LB_MEAS_CHANGE), by, name);
  snprintf(slug, sizeof slug, "measures-%s-%s", gr->name, id);
  const char *cols[] = {gr->name, bl_l(b, LB_GAINED), bl_l(b, LB_LOST), bl_l(b, LB_NET)};
  bl_two_by(b, gr, k, title, slug, cols);
}

/* The measures nobody gained or lost, named once instead of charted. */
static void bl_two_measures_unchanged(bulletin *b, const bulletin_run *ra,
                                      const bulletin_run *rb, const runcmp *t) {
  strbuf names = {0};
  for (int k = 0; k < t->nmeasures; k++)
    if (!t->all.gained[k] && !t->all.lost[k])
      sb_printf(&names, "%s%s", names.len ? "; " : "",
                bl_benefit_name(ra->m, rb->m, t->measure_ids[k]));
  if (names.len) {
    char *text = af_sprintf("%s %s.", bl_l(b, LB_MEAS_UNCHANGED), names.s);
    bl_note(b, text);
    free(text);
  }
  sb_free(&names);
}

/* Who moves and the measures gained and lost, by each group column, from
** the group values recorded with the runs (runcmp.h). */
static void bl_two_groups(bulletin *b, const bulletin_run *ra, const bulletin_run *rb,
                          const runcmp *t) {
  if (t->groups_from && t->ngroups == 0) return;   /* the methodology has no groups */
  bl_section(b, "moves", bl_l(b, LB_WHO_MOVES));
  if (!t->groups_from) bl_note(b, bl_l(b, LB_NO_GROUP_VALUES));
  else if (t->groups_from == 'A') bl_note(b, bl_l(b, LB_GROUPS_FROM_BEFORE));
  for (int g = 0; g < t->ngroups; g++) {
    const runcmp_group *gr = &t->groups[g];
    char h[300];
    bl_by(b, LB_BY_GROUP, gr->name, h, sizeof h);
    html_elem(&b->html, "h3", NULL, h);
    bl_two_moves(b, ra, rb, gr);
    for (int k = 0; k < t->nmeasures; k++)
      if (t->all.gained[k] || t->all.lost[k]) bl_two_measure_by(b, ra, rb, t, gr, k);
  }
  if (t->ngroups) bl_two_measures_unchanged(b, ra, rb, t);
  bl_section_end(b);
}


static void bl_two_benefits(bulletin *b, const bulletin_run *ra, const bulletin_run *rb,
                            const runcmp *t) {
  if (t->nmeasures == 0) return;
  bl_section(b, "measures", bl_l(b, LB_MEAS_CHANGE));
  const char *cols[] = {bl_l(b, LB_MEASURE), bl_l(b, LB_ELIG_BEFORE), bl_l(b, LB_ELIG_AFTER),
                        bl_l(b, LB_GAINED), bl_l(b, LB_LOST), bl_l(b, LB_NET)};
  rtable *tb = bl_table(b, "measures", bl_l(b, LB_MEAS_CHANGE), 6, cols);
  svg_bar *bars = af_calloc((size_t)t->nmeasures, sizeof *bars);
  for (int k = 0; k < t->nmeasures; k++) {
    const char *name = bl_benefit_name(ra->m, rb->m, t->measure_ids[k]);
    /* eligible families in each run, from its recorded summary */
    int64_t before = bl_benefit_units(ra->sum, t->measure_ids[k]);
    int64_t after = bl_benefit_units(rb->sum, t->measure_ids[k]);
    bars[k] = bl_bar_pair(b, name, t->all.gained[k], t->all.lost[k]);
    rtable_text(tb, name);
    rtable_count(tb, before);
    rtable_count(tb, after);
    rtable_count(tb, t->all.gained[k]);
    rtable_count(tb, t->all.lost[k]);
    rtable_dcount(tb, after - before);
  }
  svg_chart ch = bl_chart(b, bl_l(b, LB_MEAS_CHANGE), bl_l(b, LB_MEAS_CHANGE), bl_axis_count);
  ch.series[0] = bl_l(b, LB_GAINED);
  ch.series[1] = bl_l(b, LB_LOST);
  bl_bars_figure(b, &ch, bars, t->nmeasures, NULL);
  rtable_html(&b->html, tb, b->lang);
  free(bars);
  bl_section_end(b);
}

/* One difference of the rules as a table row: where, before, after. */
static void bl_rule_row(void *ctx, const describe_line *old, const describe_line *new_) {
  rtable *t = ctx;
  strbuf w = {0};
  describe_where(&w, old ? old : new_);
  rtable_text(t, w.s);
  sb_free(&w);
  /* A changed name is carried by the depth-0 lines' labels. */
  rtable_text(t, !old ? "\xE2\x80\x94" : old->depth == 0 ? old->label : old->value);
  rtable_text(t, !new_ ? "\xE2\x80\x94" : new_->depth == 0 ? new_->label : new_->value);
}

static void bl_two_rules(bulletin *b, const bulletin_run *ra, const bulletin_run *rb) {
  describe_doc da = {0}, db = {0};
  describe_lines(ra->m, &da);
  describe_lines(rb->m, &db);
  bl_section(b, "rules", bl_l(b, LB_RULES_CHANGED));
  const char *cols[] = {bl_l(b, LB_WHAT), bl_l(b, LB_BEFORE), bl_l(b, LB_AFTER)};
  rtable *t = bl_table(b, "rules", bl_l(b, LB_RULES_CHANGED), 3, cols);
  if (describe_diff_each(&da, &db, bl_rule_row, t) == 0) bl_note(b, bl_l(b, LB_RULES_SAME));
  else rtable_html(&b->html, t, b->lang);
  bl_section_end(b);
  describe_free(&da);
  describe_free(&db);
}

void bulletin_two(bulletin *b, const bulletin_run *ra, const bulletin_run *rb, const runcmp *t) {
  char kicker[300], sub[2][600];
  snprintf(kicker, sizeof kicker, "afscore \xC2\xB7 %s %lld \xE2\x86\x92 %lld", bl_l(b, LB_RUN),
           (long long)ra->rec->id, (long long)rb->rec->id);
  const bulletin_run *rs[2] = {ra, rb};
  for (int i = 0; i < 2; i++)
    snprintf(sub[i], sizeof sub[i], "%s: %s \xC2\xB7 %s (%s %lld)",
             bl_l(b, i ? LB_AFTER : LB_BEFORE), rs[i]->m->name, rs[i]->m->version,
             bl_l(b, LB_RUN), (long long)rs[i]->rec->id);
  html_begin(&b->html, labels_code(b->lang), bl_l(b, LB_TITLE_TWO));
  bl_masthead(b, bl_l(b, LB_TITLE_TWO), kicker, sub[0], sub[1]);
  bl_two_headline(b, ra, rb, t);
  bl_two_matrix(b, t);
  bl_two_groups(b, ra, rb, t);
  bl_two_benefits(b, ra, rb, t);
  bl_two_rules(b, ra, rb);
  bl_section(b, "record", bl_l(b, LB_RECORD));
  sb_puts(&b->html, "<div class=\"two\">\n");
  bl_record_of(b, ra, "record-before");
  bl_record_of(b, rb, "record-after");
  sb_puts(&b->html, "</div>\n");
  bl_section_end(b);
  bl_footer(b);
  html_end(&b->html);
}

void bulletin_free(bulletin *b) {
  for (int i = 0; i < b->ntables; i++) rtable_free(b->tables[i]);
  free(b->tables);
  sb_free(&b->html);
  memset(b, 0, sizeof *b);
}
