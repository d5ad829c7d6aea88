/*
** lint.c: warnings for a methodology that loads but probably does not do
** what its author meant (see lint.h for the list).
*/
#include "lint.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "expr.h"
#include "method.h"
#include "strpool.h"

/* ---- names the rules use ---- */

typedef struct lint_names {
  strmap used;      /* every name the rules use (a set: a lookup per question,
                    ** so that checking is linear in the methodology's size) */
  expr **trees;
  int ntrees, tcap;
} lint_names;

static void lint_collect(lint_names *ns, const expr *x) {
  if (x->kind == EX_NAME) *strmap_slot(&ns->used, x->str, strlen(x->str), NULL) = 1;
  for (int i = 0; i < x->nargs; i++) lint_collect(ns, x->args[i]);
}

/* Parse a rule and keep its tree; a rule that does not parse was reported by
** the compiler already. */
static expr *lint_parse(lint_names *ns, const char *text) {
  expr *x = NULL;
  af_err e;
  if (!text || expr_parse(text, &x, &e, NULL) < 0) return NULL;
  af_grow(&ns->trees, &ns->tcap, ns->ntrees + 1, sizeof *ns->trees);
  ns->trees[ns->ntrees++] = x;
  lint_collect(ns, x);
  return x;
}

static void lint_names_free(lint_names *ns) {
  for (int i = 0; i < ns->ntrees; i++) expr_free(ns->trees[i]);
  free(ns->trees);
  strmap_free(&ns->used);
}

static int lint_used(const lint_names *ns, const char *name) {
  return strmap_get(&ns->used, name, strlen(name)) > 0;
}

/* ---- the base of a variant ---- */

/* Serve the files recorded in a model by their recorded names. */
static int lint_reader(void *ctx, const char *name, char **text, size_t *len, char **path) {
  const model *m = ctx;
  for (int i = 0; i < m->nfiles; i++)
    if (strcmp(m->files[i].name, name) == 0) {
      *text = af_strndup(m->files[i].text, m->files[i].len);
      *len = m->files[i].len;
      *path = af_strdup(m->files[i].path);
      return 0;
    }
  return -1;
}

/* The first file m imports, loaded on its own from its recorded text; NULL
** when m imports nothing or the base does not load alone. */
static model *lint_base(const model *m) {
  if (m->nfiles < 2) return NULL;
  method_opts o;
  memset(&o, 0, sizeof o);
  o.reader = lint_reader;
  o.reader_ctx = (void *)m;
  model *b = NULL;
  diag_list d = {0};
  if (method_load(m->files[1].name, &o, &b, &d) < 0) b = NULL;
  diag_free(&d);
  return b;
}

/* ---- lines ---- */

/* A variant's edits are made by code, so the loader gives what they set the
** line of the statement that brought the base in. When the text that set it
** appears exactly once in the main file, its line is the better answer. */
static int lint_line_of(const model *m, const char *needle, int fallback) {
  const model_file *f = &m->files[0];
  size_t n = strlen(needle);
  const char *hit = NULL;
  if (m->nfiles < 2 || n == 0) return fallback;
  for (const char *p = f->text; (p = strstr(p, needle)) != NULL; p += n) {
    if (hit) return fallback;
    hit = p;
  }
  if (!hit) return fallback;
  int line = 1;
  for (const char *p = f->text; p < hit; p++) line += *p == '\n';
  return line;
}

/* ---- the checks ---- */

static void lint_unused(const model *m, const model *base, const lint_names *ns, diag_list *w) {
  const char **pn = af_malloc(sizeof *pn * (size_t)(m->nparams + 1));
  for (int i = 0; i < m->nparams; i++) pn[i] = m->params[i].name;
  for (int i = 0; i < m->nparams; i++) {
    const model_param *p = &m->params[i];
    if (lint_used(ns, p->name)) continue;
    /* The closest other param name, as a hint for a misspelling. */
    const char *s = NULL;
    for (int k = 0; k < m->nparams && !s; k++)
      if (k != i) s = af_suggest(p->name, &pn[k], 1);
    char hint[300] = "";
    if (s) snprintf(hint, sizeof hint, " (did you mean '%s'?)", s);
    char set[300];
    snprintf(set, sizeof set, "params.%s", p->name);
    int line = lint_line_of(m, set, p->line);
    if (base && model_find_param(base, p->name) < 0)
      diag_add(w, m->file, line,
               "param '%s' is set here but the imported '%s' has no such param and "
               "no rule uses it: it changes nothing%s", p->name, m->files[1].name, hint);
    else
      diag_add(w, m->file, line, "param '%s' is never used%s", p->name, hint);
  }
  free(pn);
  for (int i = 0; i < m->ndefines; i++)
    if (!lint_used(ns, m->defines[i].name))
      diag_add(w, m->file, m->defines[i].line, "define '%s' is never used",
               m->defines[i].name);
}

static void lint_category_literal(const model *m, const model_benefit *ms, const expr *lit,
                                  diag_list *w) {
  if (lit->kind != EX_STR || model_find_band(m, lit->str) >= 0) return;
  const char **ids = af_malloc(sizeof *ids * (size_t)(m->nbands + 1));
  const char *ci = NULL;
  strbuf all = {0};
  for (int b = 0; b < m->nbands; b++) {
    ids[b] = m->bands[b].id;
    sb_printf(&all, "%s%s", b ? ", " : "", ids[b]);
    if (strcasecmp(ids[b], lit->str) == 0) ci = ids[b];
  }
  /* Category ids are short: only a difference of case is a plausible slip. */
  char hint[300] = "";
  if (ci) snprintf(hint, sizeof hint, "; did you mean '%s'?", ci);
  diag_add(w, m->file, lint_line_of(m, ms->eligible, ms->line),
           "measure '%s': '%s' is not a category (the categories are %s%s): "
           "this part of the rule matches nobody", ms->id, lit->str, all.s, hint);
  sb_free(&all);
  free(ids);
}

/* category = 'x', 'x' = category, category in ('x', ...) and the negations. */
static void lint_categories(const model *m, const model_benefit *ms, const expr *x,
                            diag_list *w) {
  if (!x) return;
  int cmp = x->kind == EX_EQ || x->kind == EX_NE;
  int in = x->kind == EX_IN || x->kind == EX_NOTIN;
  const expr *a = x->nargs > 0 ? x->args[0] : NULL;
  int a_cat = a && a->kind == EX_NAME && strcmp(a->str, "category") == 0;
  if (cmp && a_cat) lint_category_literal(m, ms, x->args[1], w);
  if (cmp && x->args[1]->kind == EX_NAME && strcmp(x->args[1]->str, "category") == 0)
    lint_category_literal(m, ms, a, w);
  if (in && a_cat)
    for (int i = 1; i < x->nargs; i++) lint_category_literal(m, ms, x->args[i], w);
  for (int i = 0; i < x->nargs; i++) lint_categories(m, ms, x->args[i], w);
}

static int lint_has_lang(const model_benefit *ms, const char *lang) {
  for (int j = 0; j < ms->nnotices; j++)
    if (strcmp(ms->notices[j].lang, lang) == 0) return 1;
  return 0;
}

/* Each language some measure has, checked once (at its first holder k). */
static void lint_languages(const model *m, diag_list *w) {
  for (int k = 0; k < m->nbenefits; k++)
    for (int l = 0; l < m->benefits[k].nnotices; l++) {
      const char *lang = m->benefits[k].notices[l].lang;
      int seen = 0;
      for (int kk = 0; kk < k && !seen; kk++) seen = lint_has_lang(&m->benefits[kk], lang);
      for (int i = 0; i < m->nbenefits && !seen; i++)
        if (!lint_has_lang(&m->benefits[i], lang))
          diag_add(w, m->file, m->benefits[i].line,
                   "measure '%s' has no notice in '%s' (measure '%s' has one): "
                   "units reading '%s' get another language", m->benefits[i].id, lang,
                   m->benefits[k].id, lang);
    }
}

/* ---- categories no score can reach ---- */

static int lint_cmp64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Too many distinct totals to list, or too much work to list them (each
** indicator sorts the totals so far: N indicators of equal weight cost N^2),
** give up rather than guess. */
#define LINT_MAX_SCORES (1 << 20)
#define LINT_MAX_WORK (1LL << 22)

/* Every total a unit could have (as numerators over r->L): each indicator
** adds one of its amounts, or nothing when no case matches. A superset of
** what data can produce (rules may exclude each other), so a category outside
** it is certainly unreachable. Returns the count, or -1 past the limit. */
static int lint_scores(const model *m, const rules *r, int64_t **out) {
  int n = 1;
  long long work = 0;
  int64_t *s = af_malloc(sizeof *s);
  s[0] = 0;
  for (int i = 0; i < m->ninds; i++) {
    const model_indicator *in = &m->inds[i];
    int always = in->ncases > 0 && !in->cases[0].when;
    int nopt = in->ncases + !always;
    work += (long long)n * nopt;
    if ((long long)n * nopt > LINT_MAX_SCORES || work > LINT_MAX_WORK) {
      free(s);
      return -1;
    }
    int64_t *t = af_malloc(sizeof *t * (size_t)n * (size_t)nopt);
    int nt = 0;
    for (int k = 0; k < n; k++) {
      if (!always) t[nt++] = s[k];
      for (int c = 0; c < in->ncases; c++) {
        t[nt++] = s[k] + r->amount_num[i][c];
        if (!in->cases[c].when) break;   /* later cases never apply */
      }
    }
    qsort(t, (size_t)nt, sizeof *t, lint_cmp64);
    int u = 0;
    for (int k = 0; k < nt; k++)
      if (u == 0 || t[k] != t[u - 1]) t[u++] = t[k];
    free(s);
    s = t;
    n = u;
  }
  *out = s;
  return n;
}

static int lint_in_band(const rules *r, int b, int64_t s) {
  const model *m = r->m;
  if (!r->band_neg_inf[b] && ratio_cmp_scaled(s, r->L, r->band_from[b]) < 0) return 0;
  return b + 1 >= m->nbands || ratio_cmp_scaled(s, r->L, r->band_from[b + 1]) < 0;
}

static void lint_bands(const model *m, const rules *r, diag_list *w) {
  int64_t *s = NULL;
  int n;
  if (!r || !r->exact || (n = lint_scores(m, r, &s)) < 0) return;
  for (int b = 0; b < m->nbands; b++) {
    int hit = 0;
    for (int k = 0; k < n && !hit; k++) hit = lint_in_band(r, b, s[k]);
    if (!hit)
      diag_add(w, m->file, m->bands[b].line,
               "category '%s' can never be given: no combination of indicator "
               "amounts scores in its range", m->bands[b].id);
  }
  free(s);
}

/* ---- public ---- */

void lint_model(const model *m, const rules *r, diag_list *w) {
  lint_names ns = {0};
  for (int i = 0; i < m->ndefines; i++) lint_parse(&ns, m->defines[i].expr);
  for (int i = 0; i < m->ninds; i++)
    for (int c = 0; c < m->inds[i].ncases; c++) lint_parse(&ns, m->inds[i].cases[c].when);
  for (int g = 0; g < m->ngroups; g++)
    if (model_group_rule(m, g)) lint_parse(&ns, model_group_rule(m, g));
  for (int i = 0; i < m->nbenefits; i++)
    lint_categories(m, &m->benefits[i], lint_parse(&ns, m->benefits[i].eligible), w);
  model *base = lint_base(m);
  lint_unused(m, base, &ns, w);
  if (base && strcmp(base->name, m->name) == 0 && strcmp(base->version, m->version) == 0)
    diag_add(w, m->file, lint_line_of(m, "import", 0),
             "this variant keeps the name and version of '%s' (%s, version %s): "
             "its runs cannot be told apart from the base's; set m.version",
             m->files[1].name, m->name, m->version);
  model_free(base);
  lint_languages(m, w);
  lint_bands(m, r, w);
  if (r && m->unit_weight)
    for (int i = 0; i < r->nucols; i++)
      if (strcmp(r->ucols[i].name, m->unit_weight) == 0 && r->ucols[i].type == VT_TEXT)
        diag_add(w, m->file, m->unit_line,
                 "the sampling weight '%s' is a text column: a run fails on the "
                 "first value that is not a number", m->unit_weight);
  lint_names_free(&ns);
}
