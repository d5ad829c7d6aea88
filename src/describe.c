/*
** describe.c: a loaded methodology as lines (text, markdown) or JSON, and the
** line-by-line difference between two methodologies (afscore describe, diff).
*/
#include "describe.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grouping.h"
#include "ratio.h"

/* Fractions with a denominator up to this are shown as fractions: weights
** like 1/48 or 2/45, never the 1e-12 approximations of long decimals. */
#define DESCRIBE_MAXDEN 1000

void describe_number(double v, char out[64]) {
  char dec[32];
  ratio r;
  if (isinf(v)) {
    snprintf(out, 64, "%s", v < 0 ? "-inf" : "inf");
    return;
  }
  json_fmt_double(v, dec);
  if (ratio_from_double(v, DESCRIBE_MAXDEN, &r) < 0 || r.den == 1) {
    snprintf(out, 64, "%s", dec);
    return;
  }
  /* 4 decimals are enough to read; the fraction is the exact value. A
  ** short decimal of the fraction itself (1/5 -> 0.2) is shown as such, even
  ** when v is a rounding of it (3/5 shared by 3: 0.19999999999999998). */
  char approx[32];
  json_fmt_double((double)r.num / (double)r.den, approx);
  if (strlen(approx) > 6) snprintf(approx, sizeof approx, "%.4f", v);
  snprintf(out, 64, "%lld/%lld (%s)", (long long)r.num, (long long)r.den, approx);
}

void describe_fraction(double v, char out[64]) {
  ratio r;
  if (!isinf(v) && ratio_from_double(v, DESCRIBE_MAXDEN, &r) == 0 && r.den != 1) {
    snprintf(out, 64, "%lld/%lld", (long long)r.num, (long long)r.den);
    return;
  }
  describe_number(v, out);
}

/* " (rule: label, label, ...)" of a computed group (grouping.h). */
static void dsc_group_calc(strbuf *o, const model_group_calc *gc) {
  char buf[100];
  sb_printf(o, " (%s", gc->rule);
  for (int b = 0; gc->nbins > 0 && b <= gc->nbins; b++) {
    grouping_bin_label(gc, b, buf, sizeof buf);
    sb_printf(o, "%s%s", b ? ", " : ": ", buf);
  }
  sb_puts(o, gc->nbins ? ")" : ", one group per value)");
}

static void dsc_json_group_calc(json *j, const char *id, const model_group_calc *gc) {
  char buf[100];
  json_obj(j);
  json_kv_str(j, "id", id);
  json_kv_str(j, "rule", gc->rule);
  json_key(j, "bins");
  json_arr(j);
  for (int b = 0; b < gc->nbins; b++) json_num(j, gc->bins[b]);
  json_arr_end(j);
  json_key(j, "labels");
  json_arr(j);
  for (int b = 0; gc->nbins > 0 && b <= gc->nbins; b++) {
    grouping_bin_label(gc, b, buf, sizeof buf);
    json_str(j, buf);
  }
  json_arr_end(j);
  json_obj_end(j);
}

static void dsc_add(describe_doc *d, int depth, const char *key, const char *label,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void dsc_add(describe_doc *d, int depth, const char *key, const char *label,
                    const char *fmt, ...) {
  af_grow(&d->v, &d->cap, d->n + 1, sizeof *d->v);
  describe_line *l = &d->v[d->n++];
  va_list ap;
  va_start(ap, fmt);
  int len = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  assert(len >= 0);
  l->value = af_malloc((size_t)len + 1);
  va_start(ap, fmt);
  vsnprintf(l->value, (size_t)len + 1, fmt, ap);
  va_end(ap);
  l->depth = depth;
  l->key = af_strdup(key);
  l->label = af_strdup(label);
}

void describe_free(describe_doc *d) {
  for (int i = 0; i < d->n; i++) {
    free(d->v[i].key);
    free(d->v[i].label);
    free(d->v[i].value);
  }
  free(d->v);
  memset(d, 0, sizeof *d);
}

static const char *dsc_missing(missing_policy p) {
  return p == MISSING_EXCLUDE ? "exclude the unit"
         : p == MISSING_DEPRIVED ? "count as deprived"
                                 : "count as not deprived";
}

static const char *dsc_missing_points(missing_policy p) {
  return p == MISSING_EXCLUDE ? "exclude the unit"
         : p == MISSING_DEPRIVED ? "the case matches"
                                 : "the case does not match";
}

static void dsc_head(describe_doc *d, const model *m) {
  const char *key = "methodology";
  dsc_add(d, 0, key, m->name, "%s", "");
  dsc_add(d, 1, key, "version", "%s", m->version);
  dsc_add(d, 1, key, "scoring", "%s",
          m->scoring == SCORING_AF
              ? "Alkire-Foster: the score is the weighted share of deprivations (0 to 1)"
              : "points: the score is the sum of the indicators' points");
  dsc_add(d, 1, key, "unit", "table %s, id %s", m->unit_table, m->unit_id);
  strbuf g = {0};
  for (int i = 0; i < m->ngroups; i++) {
    sb_printf(&g, "%s%s", i ? ", " : "", m->groups[i]);
    if (model_group_rule(m, i)) dsc_group_calc(&g, &m->group_calc[i]);
  }
  dsc_add(d, 1, key, "groups", "%s", m->ngroups ? g.s : "none");
  sb_free(&g);
  if (m->member_table)
    dsc_add(d, 1, key, "members", "table %s, linked by %s", m->member_table, m->member_unit);
  dsc_add(d, 1, key, "population", "%s", m->population_members ? "members (each person)" : "units");
  dsc_add(d, 1, key, "sampling weight", "%s", m->unit_weight ? m->unit_weight : "none (each counts once)");
  dsc_add(d, 1, key, "missing values", "%s (default)",
          m->scoring == SCORING_AF ? dsc_missing(m->missing) : dsc_missing_points(m->missing));
  if (m->scoring == SCORING_AF) {
    char k[64];
    describe_number(m->k, k);
    dsc_add(d, 1, "k", "poverty cutoff k", "%s", k);
  }
}

static void dsc_values(describe_doc *d, const model *m) {
  if (m->nparams) dsc_add(d, 0, "parameters", "Parameters", "%s", "");
  for (int i = 0; i < m->nparams; i++) {
    const model_param *p = &m->params[i];
    char key[300], n[64];
    snprintf(key, sizeof key, "parameter %s", p->name);
    if (p->is_text) {
      dsc_add(d, 1, key, p->name, "'%s'", p->text);
    } else {
      describe_number(p->num, n);
      dsc_add(d, 1, key, p->name, "%s", n);
    }
  }
  if (m->ndefines) dsc_add(d, 0, "definitions", "Definitions", "%s", "");
  for (int i = 0; i < m->ndefines; i++) {
    char key[300];
    snprintf(key, sizeof key, "definition %s", m->defines[i].name);
    dsc_add(d, 1, key, m->defines[i].name, "%s", m->defines[i].expr);
  }
}

static void dsc_indicator(describe_doc *d, const model *m, const model_indicator *in, int depth) {
  char key[300], n[64];
  snprintf(key, sizeof key, "indicator %s", in->id);
  dsc_add(d, depth, key, in->id, "%s", in->name);
  if (m->scoring == SCORING_AF) {
    describe_number(in->weight, n);
    dsc_add(d, depth + 1, key, "weight", "%s%s", n, in->weight_given ? "" : " (default share)");
    dsc_add(d, depth + 1, key, "deprived when", "%s", in->cases[0].when);
    dsc_add(d, depth + 1, key, "missing", "%s", dsc_missing(in->missing));
    return;
  }
  for (int c = 0; c < in->ncases; c++) {
    char label[32];
    describe_number(in->cases[c].amount, n);
    snprintf(label, sizeof label, "case %d", c + 1);
    if (in->cases[c].when)
      dsc_add(d, depth + 1, key, label, "%s points when %s", n, in->cases[c].when);
    else
      dsc_add(d, depth + 1, key, label, "%s points otherwise", n);
  }
  dsc_add(d, depth + 1, key, "missing", "%s", dsc_missing_points(in->missing));
}

static void dsc_rules(describe_doc *d, const model *m) {
  int af = m->scoring == SCORING_AF;
  if (m->ndims) dsc_add(d, 0, "dimensions", af ? "Dimensions" : "Areas", "%s", "");
  for (int k = 0; k < m->ndims; k++) {
    const model_dimension *dm = &m->dims[k];
    char key[300], n[64];
    snprintf(key, sizeof key, "%s %s", af ? "dimension" : "area", dm->id);
    dsc_add(d, 1, key, dm->id, "%s", dm->name);
    if (af) {
      describe_number(dm->weight, n);
      dsc_add(d, 2, key, "weight", "%s%s", n, dm->weight_given ? "" : " (default share)");
    }
    for (int i = 0; i < m->ninds; i++)
      if (m->inds[i].dim == k) dsc_indicator(d, m, &m->inds[i], 2);
  }
  int loose = 0;
  for (int i = 0; i < m->ninds; i++) loose += m->inds[i].dim < 0;
  if (loose) dsc_add(d, 0, "indicators", "Indicators", "%s", "");
  for (int i = 0; i < m->ninds; i++)
    if (m->inds[i].dim < 0) dsc_indicator(d, m, &m->inds[i], 1);
}

static void dsc_bands(describe_doc *d, const model *m) {
  dsc_add(d, 0, "bands", "Categories", "%s", "");
  for (int b = 0; b < m->nbands; b++) {
    const model_band *bd = &m->bands[b];
    char key[300], lo[64], hi[64];
    snprintf(key, sizeof key, "category %s", bd->id);
    describe_number(bd->from, lo);
    dsc_add(d, 1, key, bd->id, "%s", bd->name);
    if (b + 1 < m->nbands) {
      describe_number(m->bands[b + 1].from, hi);
      dsc_add(d, 2, key, "scores", "from %s, below %s", lo, hi);
    } else {
      dsc_add(d, 2, key, "scores", "from %s", lo);
    }
  }
}

static void dsc_measures(describe_doc *d, const model *m) {
  if (m->nbenefits) dsc_add(d, 0, "measures", "Support measures", "%s", "");
  for (int i = 0; i < m->nbenefits; i++) {
    const model_benefit *ms = &m->benefits[i];
    char key[300];
    snprintf(key, sizeof key, "measure %s", ms->id);
    dsc_add(d, 1, key, ms->id, "%s", ms->name);
    dsc_add(d, 2, key, "eligible when", "%s", ms->eligible);
    strbuf langs = {0};
    for (int k = 0; k < ms->nnotices; k++)
      sb_printf(&langs, "%s%s", k ? ", " : "", ms->notices[k].lang);
    dsc_add(d, 2, key, "notice languages", "%s", ms->nnotices ? langs.s : "none");
    sb_free(&langs);
    for (int k = 0; k < ms->nnotices; k++) {
      char label[64];
      snprintf(label, sizeof label, "notice (%s)", ms->notices[k].lang);
      dsc_add(d, 2, key, label, "%s", ms->notices[k].text);
    }
  }
}

static void dsc_files(describe_doc *d, const model *m) {
  dsc_add(d, 0, "files", "Source files", "%s", "");
  for (int i = 0; i < m->nfiles; i++) {
    char key[300];
    snprintf(key, sizeof key, "file %s", m->files[i].name);
    dsc_add(d, 1, key, m->files[i].name, "sha256 %s", m->files[i].sha256);
  }
}

void describe_lines(const model *m, describe_doc *d) {
  dsc_head(d, m);
  dsc_values(d, m);
  dsc_rules(d, m);
  dsc_bands(d, m);
  dsc_measures(d, m);
  dsc_files(d, m);
}

/* ---- renderings ---- */

void describe_text(const describe_doc *doc, strbuf *o) {
  for (int i = 0; i < doc->n; i++) {
    const describe_line *l = &doc->v[i];
    if (l->depth == 0) {
      if (i) sb_putc(o, '\n');
      sb_textf(o, "%s\n", l->label);
      continue;
    }
    for (int k = 1; k < l->depth; k++) sb_puts(o, "  ");
    sb_textf(o, "  %s: %s\n", l->label, l->value);
  }
}

/* Markdown: a heading per section, nested lists below; backquotes around
** rules so that a document shows them as written. */
static int dsc_is_rule(const char *label) {
  return strcmp(label, "deprived when") == 0 || strcmp(label, "eligible when") == 0 ||
         strncmp(label, "case ", 5) == 0;
}

void describe_markdown(const describe_doc *doc, strbuf *o) {
  for (int i = 0; i < doc->n; i++) {
    const describe_line *l = &doc->v[i];
    if (l->depth == 0) {
      if (i) sb_putc(o, '\n');
      sb_textf(o, "%s %s\n\n", i ? "##" : "#", l->label);
      continue;
    }
    for (int k = 1; k < l->depth; k++) sb_puts(o, "  ");
    int item = i + 1 < doc->n && doc->v[i + 1].depth > l->depth;
    if (item) sb_textf(o, "- **%s**: %s\n", l->label, l->value);
    else if (dsc_is_rule(l->label) || strncmp(l->key, "definition ", 11) == 0)
      sb_textf(o, "- %s: `%s`\n", l->label, l->value);
    else
      sb_textf(o, "- %s: %s\n", l->label, l->value);
  }
}

static void dsc_json_number(json *j, const char *key, double v) {
  char n[64];
  ratio r;
  json_key(j, key);
  json_obj(j);
  describe_number(v, n);
  if (!isinf(v) && ratio_from_double(v, DESCRIBE_MAXDEN, &r) == 0) {
    char f[48];
    if (r.den == 1) snprintf(f, sizeof f, "%lld", (long long)r.num);
    else snprintf(f, sizeof f, "%lld/%lld", (long long)r.num, (long long)r.den);
    json_kv_str(j, "fraction", f);
  } else {
    json_kv_null(j, "fraction");
  }
  json_kv_num(j, "value", v);
  if (isinf(v)) json_kv_str(j, "text", v < 0 ? "-inf" : "inf");
  json_obj_end(j);
}

static const char *dsc_missing_id(missing_policy p) {
  return p == MISSING_EXCLUDE ? "exclude" : p == MISSING_DEPRIVED ? "deprived" : "not_deprived";
}

static void dsc_json_indicator(json *j, const model *m, const model_indicator *in) {
  json_obj(j);
  json_kv_str(j, "id", in->id);
  json_kv_str(j, "name", in->name);
  json_kv_str(j, "dimension", in->dim >= 0 ? m->dims[in->dim].id : NULL);
  if (m->scoring == SCORING_AF) {
    dsc_json_number(j, "weight", in->weight);
    json_kv_bool(j, "weight_given", in->weight_given);
    json_kv_str(j, "deprived", in->cases[0].when);
  } else {
    json_key(j, "points");
    json_arr(j);
    for (int c = 0; c < in->ncases; c++) {
      json_obj(j);
      if (in->cases[c].when) json_kv_str(j, "when", in->cases[c].when);
      else json_kv_null(j, "when");
      json_kv_num(j, "points", in->cases[c].amount);
      json_obj_end(j);
    }
    json_arr_end(j);
  }
  json_kv_str(j, "missing", dsc_missing_id(in->missing));
  json_kv_int(j, "line", in->line);
  json_obj_end(j);
}

static void dsc_json_unit(json *j, const model *m) {
  json_key(j, "unit");
  json_obj(j);
  json_kv_str(j, "table", m->unit_table);
  json_kv_str(j, "id", m->unit_id);
  if (m->unit_weight) json_kv_str(j, "weight", m->unit_weight);
  else json_kv_null(j, "weight");
  json_key(j, "groups");
  json_arr(j);
  for (int i = 0; i < m->ngroups; i++) {
    if (model_group_rule(m, i)) dsc_json_group_calc(j, m->groups[i], &m->group_calc[i]);
    else json_str(j, m->groups[i]);
  }
  json_arr_end(j);
  json_obj_end(j);
  json_key(j, "members");
  if (m->member_table) {
    json_obj(j);
    json_kv_str(j, "table", m->member_table);
    json_kv_str(j, "unit", m->member_unit);
    json_obj_end(j);
  } else {
    json_null(j);
  }
  json_kv_str(j, "population", m->population_members ? "members" : "units");
}

static void dsc_json_values(json *j, const model *m) {
  json_key(j, "params");
  json_obj(j);
  for (int i = 0; i < m->nparams; i++) {
    if (m->params[i].is_text) json_kv_str(j, m->params[i].name, m->params[i].text);
    else json_kv_num(j, m->params[i].name, m->params[i].num);
  }
  json_obj_end(j);
  json_key(j, "define");
  json_obj(j);
  for (int i = 0; i < m->ndefines; i++) json_kv_str(j, m->defines[i].name, m->defines[i].expr);
  json_obj_end(j);
}

static void dsc_json_rules(json *j, const model *m) {
  json_key(j, "dimensions");
  json_arr(j);
  for (int k = 0; k < m->ndims; k++) {
    json_obj(j);
    json_kv_str(j, "id", m->dims[k].id);
    json_kv_str(j, "name", m->dims[k].name);
    if (m->scoring == SCORING_AF) dsc_json_number(j, "weight", m->dims[k].weight);
    json_obj_end(j);
  }
  json_arr_end(j);
  json_key(j, "indicators");
  json_arr(j);
  for (int i = 0; i < m->ninds; i++) dsc_json_indicator(j, m, &m->inds[i]);
  json_arr_end(j);
  if (m->scoring == SCORING_AF) dsc_json_number(j, "k", m->k);
  json_key(j, "bands");
  json_arr(j);
  for (int b = 0; b < m->nbands; b++) {
    json_obj(j);
    json_kv_str(j, "id", m->bands[b].id);
    json_kv_str(j, "name", m->bands[b].name);
    dsc_json_number(j, "from", m->bands[b].from);
    json_obj_end(j);
  }
  json_arr_end(j);
}

static void dsc_json_measures(json *j, const model *m) {
  json_key(j, "measures");
  json_arr(j);
  for (int i = 0; i < m->nbenefits; i++) {
    const model_benefit *ms = &m->benefits[i];
    json_obj(j);
    json_kv_str(j, "id", ms->id);
    json_kv_str(j, "name", ms->name);
    json_kv_str(j, "eligible", ms->eligible);
    json_key(j, "notice");
    json_obj(j);
    for (int k = 0; k < ms->nnotices; k++) json_kv_str(j, ms->notices[k].lang, ms->notices[k].text);
    json_obj_end(j);
    json_obj_end(j);
  }
  json_arr_end(j);
}

void describe_json(const model *m, json *j) {
  json_obj(j);
  json_kv_str(j, "name", m->name);
  json_kv_str(j, "version", m->version);
  json_kv_str(j, "scoring", m->scoring == SCORING_AF ? "af" : "points");
  dsc_json_unit(j, m);
  json_kv_str(j, "missing", dsc_missing_id(m->missing));
  dsc_json_values(j, m);
  dsc_json_rules(j, m);
  dsc_json_measures(j, m);
  json_key(j, "files");
  json_arr(j);
  for (int i = 0; i < m->nfiles; i++) {
    json_obj(j);
    json_kv_str(j, "name", m->files[i].name);
    json_kv_str(j, "sha256", m->files[i].sha256);
    json_obj_end(j);
  }
  json_arr_end(j);
  json_obj_end(j);
}

/* ---- diff ---- */

/* Line i of doc with the same identity as l, or -1. Headings are not
** compared (their items are). Methodologies have tens of lines: a linear
** search is fine. */
static int dsc_find(const describe_doc *doc, const describe_line *l) {
  for (int i = 0; i < doc->n; i++)
    if (doc->v[i].depth > 0 && strcmp(doc->v[i].key, l->key) == 0 &&
        strcmp(doc->v[i].label, l->label) == 0)
      return i;
  return -1;
}

/* The key and label of a line as the diff shows them: "indicator low_income
** weight", just the key for an item's own line (its label is its id), just
** the label for a field of the methodology ("version"). */
static void dsc_where(strbuf *o, const describe_line *l) {
  const char *sp = strchr(l->key, ' ');
  if (!sp) sb_puts(o, l->label);  /* a field of the methodology itself */
  else if (strcmp(sp + 1, l->label) == 0) sb_puts(o, l->key);
  else sb_printf(o, "%s %s", l->key, l->label);
}

/* Compared lines: not headings, and not the source files (a variant always
** differs from its base there; the rules they produce are what counts). */
static int dsc_compared(const describe_line *l) {
  return l->depth > 0 && strncmp(l->key, "file ", 5) != 0;
}

int describe_diff_each(const describe_doc *a, const describe_doc *b, describe_diff_fn fn,
                       void *ctx) {
  int n = 0;
  if (a->n && b->n && strcmp(a->v[0].label, b->v[0].label) != 0) {
    fn(ctx, &a->v[0], &b->v[0]);
    n++;
  }
  for (int i = 0; i < a->n; i++) {
    const describe_line *l = &a->v[i];
    if (!dsc_compared(l)) continue;
    int k = dsc_find(b, l);
    if (k < 0 || strcmp(l->value, b->v[k].value) != 0) {
      fn(ctx, l, k < 0 ? NULL : &b->v[k]);
      n++;
    }
  }
  for (int i = 0; i < b->n; i++) {
    const describe_line *l = &b->v[i];
    if (!dsc_compared(l) || dsc_find(a, l) >= 0) continue;
    fn(ctx, NULL, l);
    n++;
  }
  return n;
}

void describe_where(strbuf *o, const describe_line *l) {
  if (l->depth == 0) sb_puts(o, "name");
  else dsc_where(o, l);
}

/* One line of the text diff. */
static void dsc_diff_line(void *ctx, const describe_line *old, const describe_line *new_) {
  strbuf *o = ctx;
  if (old && old->depth == 0) {
    sb_textf(o, "~ name: %s -> %s\n", old->label, new_->label);
    return;
  }
  sb_puts(o, !new_ ? "- " : !old ? "+ " : "~ ");
  strbuf w = {0};
  dsc_where(&w, old ? old : new_);
  sb_textf(o, "%s", w.s);
  sb_free(&w);
  if (old && new_) sb_textf(o, ": %s -> %s\n", old->value, new_->value);
  else sb_textf(o, ": %s\n", old ? old->value : new_->value);
}

int describe_diff(const describe_doc *a, const describe_doc *b, strbuf *o) {
  return describe_diff_each(a, b, dsc_diff_line, o);
}

/* ---- caveats ---- */

int describe_caveats(const model *a, const model *b, const char *la, const char *lb, strbuf *o) {
  int n = 0;
  if (a->scoring != b->scoring) {
    sb_textf(o, "%s is scored %s, %s %s: scores do not compare, only categories (by id)\n", la,
              a->scoring == SCORING_AF ? "by Alkire-Foster" : "in points", lb,
              b->scoring == SCORING_AF ? "by Alkire-Foster" : "in points");
    n++;
  }
  if (a->population_members != b->population_members) {
    sb_textf(o, "the shares are of different populations: %s counts %s, %s %s\n", la,
              a->population_members ? "people" : "units", lb,
              b->population_members ? "people" : "units");
    n++;
  }
  const char *wa = a->unit_weight ? a->unit_weight : "", *wb = b->unit_weight ? b->unit_weight : "";
  if (strcmp(wa, wb) != 0) {
    sb_textf(o, "the shares are weighted differently: %s by %s, %s by %s\n", la,
              *wa ? wa : "none (each unit once)", lb, *wb ? wb : "none (each unit once)");
    n++;
  }
  for (int i = 0; i < a->nbands; i++) {
    int k = model_find_band(b, a->bands[i].id);
    if (k >= 0 && strcmp(a->bands[i].name, b->bands[k].name) != 0) {
      sb_textf(o, "category %s is '%s' in %s and '%s' in %s: matched by id\n", a->bands[i].id,
                a->bands[i].name, la, b->bands[k].name, lb);
      n++;
    }
  }
  return n;
}
