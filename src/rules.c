/*
** rules.c: compile a model's rules into kernel programs (phase 1: defines and
** indicator cases; phase 2: benefit (support measure) eligibility) and fix the exact fractions
** the scorer compares with. Every error is reported at the methodology line of
** the definition it belongs to.
*/
#include "rules.h"

#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Denominators up to a million cover every weight a methodology writes as a
** fraction (1/18, 1/30, 7/120 ...); a common denominator up to 1e12 keeps any
** sum of up to a few thousand amounts well inside int64. */
#define AMOUNT_MAXDEN 1000000
#define BOUND_MAXDEN 1000000000
#define L_LIMIT 1000000000000LL

/* ---- schema ---- */

static const char *kind_noun(const model *m) {
  return m->scoring == SCORING_POINTS ? "points" : "deprived";
}

/* The columns of table as a scope; reports at line on failure. */
static int load_table(const model *m, source *src, const char *table, int line,
                      name_decl **cols, int *n, diag_list *d) {
  af_err e;
  if (source_columns(src, table, cols, n, &e) == 0) return 0;
  diag_add(d, m->file, line, "%s", e.msg);
  *cols = NULL;
  *n = 0;
  return -1;
}

static int find_col(const name_decl *c, int n, const char *name) {
  for (int i = 0; i < n; i++)
    if (strcmp(c[i].name, name) == 0) return i;
  return -1;
}

static void check_col(const model *m, const name_decl *c, int n, const char *table,
                      const char *col, const char *what, int line, diag_list *d) {
  if (find_col(c, n, col) >= 0) return;
  const char **names = af_malloc(sizeof *names * (size_t)(n + 1));
  for (int i = 0; i < n; i++) names[i] = c[i].name;
  const char *s = af_suggest(col, names, n);
  if (s)
    diag_add(d, m->file, line, "%s: unknown column '%s' in table %s (did you mean '%s'?)",
             what, col, table, s);
  else
    diag_add(d, m->file, line, "%s: unknown column '%s' in table %s", what, col, table);
  free(names);
}

static int check_schema(rules *r, source *src, diag_list *d) {
  const model *m = r->m;
  int before = d->n;
  if (load_table(m, src, m->unit_table, m->unit_line, &r->ucols, &r->nucols, d) == 0) {
    check_col(m, r->ucols, r->nucols, m->unit_table, m->unit_id, "unit id", m->unit_line, d);
    if (m->unit_weight)
      check_col(m, r->ucols, r->nucols, m->unit_table, m->unit_weight, "unit weight",
                m->unit_line, d);
    for (int g = 0; g < m->ngroups; g++)
      if (!model_group_rule(m, g))
        check_col(m, r->ucols, r->nucols, m->unit_table, m->groups[g], "group", m->unit_line,
                  d);
    const char *design[] = {m->unit_strata, m->unit_psu, m->unit_round, m->unit_year};
    const char *what[] = {"strata", "psu", "round", "year"};
    for (int i = 0; i < 4; i++)
      if (design[i]) check_col(m, r->ucols, r->nucols, m->unit_table, design[i], what[i],
                               m->unit_line, d);
  }
  if (m->member_table &&
      load_table(m, src, m->member_table, m->members_line, &r->mcols, &r->nmcols, d) == 0)
    check_col(m, r->mcols, r->nmcols, m->member_table, m->member_unit, "members' unit column",
              m->members_line, d);
  return d->n > before ? -1 : 0;
}

/* ---- defines, in dependency order ---- */

/* Call fn(ctx, name, len) for every identifier of text outside string
** literals. */
static void each_name(const char *text, void (*fn)(void *, const char *, size_t), void *ctx) {
  for (const char *p = text; *p;) {
    if (*p == '\'' || *p == '"') {
      char q = *p++;
      while (*p && *p != q) p++;
      if (*p) p++;
    } else if (isalpha((unsigned char)*p) || *p == '_') {
      const char *s = p;
      while (isalnum((unsigned char)*p) || *p == '_') p++;
      fn(ctx, s, (size_t)(p - s));
    } else {
      p++;
    }
  }
}

static void add_rule_diag(const model *m, int line, const char *what, const char *text,
                          const af_err *e, diag_list *d) {
  diag_add(d, m->file, line, "%s: rule \"%s\": %s", what, text, e->msg);
}

/* The defines' dependency graph: define i mentions define j. */
typedef struct dep_graph {
  strmap names;     /* define name -> define index */
  int self;         /* the define being scanned */
  int *nwait;       /* by define: how many other defines it still waits for */
  int **users;      /* by define: the defines that mention it */
  int *nusers, *capusers;
  unsigned char *seen; /* by define: already counted for the one being scanned */
  int *seenlist;
  int nseen;
  int mentions_self;
} dep_graph;

static void dep_add(void *ctx, const char *name, size_t len) {
  dep_graph *g = ctx;
  int j = strmap_get(&g->names, name, len);
  if (j < 0) return;
  if (j == g->self) {
    g->mentions_self = 1;
    return;
  }
  if (g->seen[j]) return;
  g->seen[j] = 1;
  g->seenlist[g->nseen++] = j;
  g->nwait[g->self]++;
  af_grow(&g->users[j], &g->capusers[j], g->nusers[j] + 1, sizeof **g->users);
  g->users[j][g->nusers[j]++] = g->self;
}

static void compile_define(const model *m, program *p, int i, diag_list *d, int *bad) {
  af_err e;
  int col;
  if (program_add(p, m->defines[i].name, m->defines[i].expr, VT_ANY, &e, &col) < 0) {
    char *what = af_sprintf("define '%s'", m->defines[i].name);
    add_rule_diag(m, m->defines[i].line, what, m->defines[i].expr, &e, d);
    free(what);
    *bad = 1;
  }
}

/* Compile the defines into p, each after every define it mentions (a
** topological order: linear in the size of the defines). A define that
** mentions itself, or is part of a circle, is reported. */
static int compile_defines(const model *m, program *p, diag_list *d) {
  int n = m->ndefines, bad = 0;
  size_t sz = (size_t)n + 1;
  dep_graph g = {0};
  g.nwait = af_calloc(sz, sizeof *g.nwait);
  g.users = af_calloc(sz, sizeof *g.users);
  g.nusers = af_calloc(sz, sizeof *g.nusers);
  g.capusers = af_calloc(sz, sizeof *g.capusers);
  g.seen = af_calloc(sz, 1);
  g.seenlist = af_malloc(sz * sizeof *g.seenlist);
  unsigned char *self = af_calloc(sz, 1);
  for (int i = 0; i < n; i++) { /* define names are unique (keys of a Lua table) */
    int fresh;
    *strmap_slot(&g.names, m->defines[i].name, strlen(m->defines[i].name), &fresh) = i;
    assert(fresh);
    (void)fresh;
  }
  for (int i = 0; i < n; i++) {
    g.self = i;
    g.mentions_self = 0;
    g.nseen = 0;
    each_name(m->defines[i].expr, dep_add, &g);
    while (g.nseen > 0) g.seen[g.seenlist[--g.nseen]] = 0;
    self[i] = (unsigned char)g.mentions_self;
  }
  /* Kahn: a queue of ready defines, in definition order to start with */
  int *queue = af_malloc(sz * sizeof *queue), head = 0, tail = 0;
  for (int i = 0; i < n; i++)
    if (g.nwait[i] == 0 && !self[i]) queue[tail++] = i;
  while (head < tail) {
    int i = queue[head++];
    compile_define(m, p, i, d, &bad);
    for (int u = 0; u < g.nusers[i]; u++) {
      int j = g.users[i][u];
      if (--g.nwait[j] == 0 && !self[j]) queue[tail++] = j;
    }
  }
  for (int i = 0; tail < n && i < n; i++) {
    if (self[i])
      diag_add(d, m->file, m->defines[i].line, "define '%s' refers to itself", m->defines[i].name);
    else if (g.nwait[i] > 0)
      diag_add(d, m->file, m->defines[i].line,
               "define '%s': defines refer to each other in a circle", m->defines[i].name);
  }
  if (tail < n) bad = 1;
  for (int i = 0; i < n; i++) free(g.users[i]);
  free(g.users);
  free(g.nusers);
  free(g.capusers);
  free(g.nwait);
  free(g.seen);
  free(g.seenlist);
  free(self);
  free(queue);
  strmap_free(&g.names);
  return bad ? -1 : 0;
}

/* ---- phase 1: indicator cases ---- */

static int compile_cases(rules *r, diag_list *d) {
  const model *m = r->m;
  int bad = 0;
  r->case_out = af_calloc((size_t)m->ninds + 1, sizeof *r->case_out);
  for (int i = 0; i < m->ninds; i++) {
    const model_indicator *x = &m->inds[i];
    r->case_out[i] = af_malloc(sizeof(int) * (size_t)(x->ncases + 1));
    for (int c = 0; c < x->ncases; c++) {
      const model_case *mc = &x->cases[c];
      r->case_out[i][c] = -1;
      if (!mc->when) continue;
      af_err e;
      int col;
      int o = program_add(r->p1, NULL, mc->when, VT_BOOL, &e, &col);
      if (o < 0) {
        char *what = af_sprintf("indicator '%s'", x->id);
        add_rule_diag(m, mc->line ? mc->line : x->rule_line, what, mc->when, &e, d);
        free(what);
        bad = 1;
      }
      r->case_out[i][c] = o;
    }
  }
  return bad ? -1 : 0;
}

/* Computed groups: each rule is one more phase-1 output, a number per unit
** (run.c cuts it into the group's bins). */
static int compile_groups(rules *r, diag_list *d) {
  const model *m = r->m;
  int bad = 0;
  r->group_out = af_malloc(sizeof(int) * (size_t)(m->ngroups + 1));
  for (int g = 0; g < m->ngroups; g++) {
    r->group_out[g] = -1;
    if (!model_group_rule(m, g)) continue;
    const model_group_calc *gc = &m->group_calc[g];
    af_err e;
    int col;
    r->group_out[g] = program_add(r->p1, NULL, gc->rule, VT_NUM, &e, &col);
    if (r->group_out[g] < 0) {
      char *what = af_sprintf("unit: group '%s'", m->groups[g]);
      add_rule_diag(m, gc->line ? gc->line : m->unit_line, what, gc->rule, &e, d);
      free(what);
      bad = 1;
    }
  }
  return bad ? -1 : 0;
}

/* ---- phase 2: benefits (support measures) ---- */

static void add_p2_col(rules *r, const char *name, vtype t) {
  r->p2_cols = af_realloc(r->p2_cols, sizeof *r->p2_cols * (size_t)(r->np2_cols + 1));
  r->p2_cols[r->np2_cols].name = af_strdup(name);
  r->p2_cols[r->np2_cols].type = t;
  r->np2_cols++;
}

static int compile_benefits(rules *r, diag_list *d) {
  const model *m = r->m;
  add_p2_col(r, RULES_COL_CATEGORY, VT_TEXT);
  add_p2_col(r, RULES_COL_SCORE, VT_NUM);
  if (m->scoring == SCORING_AF) add_p2_col(r, RULES_COL_POOR, VT_BOOL);
  for (int i = 0; i < m->ninds; i++) {
    char *name = af_sprintf("%s:%s", kind_noun(m), m->inds[i].id);
    add_p2_col(r, name, m->scoring == SCORING_AF ? VT_BOOL : VT_NUM);
    free(name);
  }
  /* Result columns come first so that they shadow unit columns of the same name. */
  int n = r->np2_cols + r->nucols;
  name_decl *cols = af_malloc(sizeof *cols * (size_t)(n + 1));
  memcpy(cols, r->p2_cols, sizeof *cols * (size_t)r->np2_cols);
  if (r->nucols) memcpy(cols + r->np2_cols, r->ucols, sizeof *cols * (size_t)r->nucols);
  r->sc2 = r->sc1;
  r->sc2.unit_cols = cols;
  r->sc2.nunit_cols = n;
  r->p2 = program_new(&r->sc2, r->pool);
  if (compile_defines(m, r->p2, d) < 0) return -1;  /* reported in phase 1 already */
  int bad = 0;
  r->benefit_out = af_malloc(sizeof(int) * (size_t)(m->nbenefits + 1));
  for (int i = 0; i < m->nbenefits; i++) {
    const model_benefit *x = &m->benefits[i];
    af_err e;
    int col;
    r->benefit_out[i] = program_add(r->p2, NULL, x->eligible, VT_BOOL, &e, &col);
    if (r->benefit_out[i] < 0) {
      char *what = af_sprintf("measure '%s'", x->id);
      int line = x->eligible_line ? x->eligible_line : x->line;
      add_rule_diag(m, line, what, x->eligible, &e, d);
      free(what);
      bad = 1;
    }
  }
  return bad ? -1 : 0;
}

/* ---- exact fractions ---- */

static void fix_fractions(rules *r) {
  const model *m = r->m;
  int ok = 1;
  int64_t L = 1;
  r->amount_num = af_calloc((size_t)m->ninds + 1, sizeof *r->amount_num);
  ratio **q = af_calloc((size_t)m->ninds + 1, sizeof *q);
  for (int i = 0; i < m->ninds; i++) {
    const model_indicator *x = &m->inds[i];
    q[i] = af_calloc((size_t)x->ncases + 1, sizeof **q);
    r->amount_num[i] = af_calloc((size_t)x->ncases + 1, sizeof **r->amount_num);
    for (int c = 0; c < x->ncases && ok; c++) {
      if (ratio_from_double(x->cases[c].amount, AMOUNT_MAXDEN, &q[i][c]) < 0) ok = 0;
      else if ((L = ratio_lcm(L, q[i][c].den, L_LIMIT)) < 0) ok = 0;
    }
  }
  /* The largest possible |score| * L must fit in int64 with room to spare. */
  long double maxsum = 0;
  for (int i = 0; ok && i < m->ninds; i++) {
    long double mx = 0;
    for (int c = 0; c < m->inds[i].ncases; c++) {
      long double a = fabsl((long double)q[i][c].num / q[i][c].den * L);
      if (a > mx) mx = a;
    }
    maxsum += mx;
  }
  if (maxsum > 4e18L) ok = 0;
  if (m->scoring == SCORING_AF && ok && ratio_from_double(m->k, BOUND_MAXDEN, &r->k) < 0) ok = 0;
  r->band_from = af_calloc((size_t)m->nbands + 1, sizeof *r->band_from);
  r->band_neg_inf = af_calloc((size_t)m->nbands + 1, 1);
  for (int b = 0; b < m->nbands; b++) {
    if (isinf(m->bands[b].from) && m->bands[b].from < 0) r->band_neg_inf[b] = 1;
    else if (ok && ratio_from_double(m->bands[b].from, BOUND_MAXDEN, &r->band_from[b]) < 0) ok = 0;
  }
  for (int i = 0; i < m->ninds; i++) {
    for (int c = 0; ok && c < m->inds[i].ncases; c++) {
      assert(q[i][c].den > 0 && L % q[i][c].den == 0);   /* L is their lcm */
      r->amount_num[i][c] = q[i][c].num * (L / q[i][c].den);
    }
    free(q[i]);
  }
  free(q);
  r->exact = ok;
  r->L = ok ? L : 1;
}

/* ---- public ---- */

int rules_compile(const model *m, source *src, strpool *pool, rules **out, diag_list *d) {
  rules *r = af_calloc(1, sizeof *r);
  r->m = m;
  r->pool = pool;
  *out = NULL;
  int before = d->n;
  if (src && check_schema(r, src, d) < 0) {
    rules_free(r);
    return -1;
  }
  r->sc1.unit_table = m->unit_table;
  r->sc1.unit_cols = r->ucols;
  r->sc1.nunit_cols = r->nucols;
  r->sc1.member_table = m->member_table;
  r->sc1.member_cols = r->mcols;
  r->sc1.nmember_cols = r->nmcols;
  r->sc1.open_world = src == NULL;
  r->sc1.params = m->params;
  r->sc1.nparams = m->nparams;
  r->p1 = program_new(&r->sc1, pool);
  int bad = compile_defines(m, r->p1, d) < 0;
  bad |= compile_cases(r, d) < 0;
  bad |= compile_groups(r, d) < 0;
  if (!bad && m->nbenefits > 0) bad |= compile_benefits(r, d) < 0;
  r->band_text = af_malloc(sizeof(int32_t) * (size_t)(m->nbands + 1));
  for (int b = 0; b < m->nbands; b++)
    r->band_text[b] = strpool_intern(pool, m->bands[b].id, strlen(m->bands[b].id));
  fix_fractions(r);
  if (bad || d->n > before) {
    rules_free(r);
    return -1;
  }
  *out = r;
  return 0;
}

void rules_free(rules *r) {
  if (!r) return;
  const model *m = r->m;
  program_free(r->p1);
  program_free(r->p2);
  for (int i = 0; i < m->ninds; i++) {
    if (r->case_out) free(r->case_out[i]);
    if (r->amount_num) free(r->amount_num[i]);
  }
  free(r->case_out);
  free(r->amount_num);
  free(r->benefit_out);
  free(r->group_out);
  free(r->band_from);
  free(r->band_neg_inf);
  free(r->band_text);
  for (int i = 0; i < r->np2_cols; i++) free((char *)r->p2_cols[i].name);
  free(r->p2_cols);
  free((void *)r->sc2.unit_cols);
  source_free_columns(r->ucols, r->nucols);
  source_free_columns(r->mcols, r->nmcols);
  free(r);
}
