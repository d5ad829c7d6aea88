/*
** compile.c: resolve names, check types and compile expression rules into a
** vector program for the kernel (compile.h).
**
** One recursive walk over the syntax tree does all three: each node yields a
** value (a register and a type) and emits the instructions that compute it.
** Literals and params are constant registers without storage. An operation
** whose operands are all constants first materializes one of them (OP_FILL),
** so the kernel never sees an instruction without a vector operand; unary
** operators on constants are folded here instead.
**
** Columns of unknown type (VT_ANY: open-world mode, or a database type the
** source cannot classify) take the type their first use gives them, and that
** refined type is what program_input_type reports, so that the data source
** reads them the way the rules use them. A failed rule leaves the program as
** it was before (registers, instructions, inputs and refinements are undone),
** so a caller can go on compiling the other rules and report every error.
*/
#include "compile.h"

#include <assert.h>
#include "expr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct input {
  char *name;
  vtype type;
  int reg;
  int col;          /* bound batch column, -1 before program_bind */
} input;

typedef struct part {
  char *text;
  int reg;
  vtype type;
} rpart;

typedef struct output {
  char *name;       /* define name or NULL */
  int reg;
  vtype type;
  char **texts;     /* part texts, parallel to parts (for program_rule_parts) */
  rpart *parts;
  int nparts;
} output;

struct program {
  const scope *sc;
  strpool *pool;
  prog_reg *regs;
  int nregs, capregs;
  prog_instr *code;
  int ncode, capcode;
  input *in[2];
  int nin[2], capin[2];
  output *out;
  int nout, capout;
  /* name -> index, so that resolving a name does not scan (validation of a
  ** big methodology was quadratic): define outputs, and inputs per level */
  strmap defines, inputs[2];
};

/* The state of compiling one rule. */
typedef struct cctx {
  program *p;
  const char *text;
  af_err *e;
  int errcol;
  const char *agg;  /* the enclosing aggregate's name, NULL outside */
  rpart *parts;
  int nparts, capparts;
} cctx;

typedef struct val {
  int reg;
  vtype t;
} val;

/* ---- program storage ---- */

program *program_new(const scope *sc, strpool *pool) {
  program *p = af_calloc(1, sizeof *p);
  p->sc = sc;
  p->pool = pool;
  return p;
}

static void free_parts(rpart *v, int n) {
  for (int i = 0; i < n; i++) free(v[i].text);
  free(v);
}

void program_free(program *p) {
  if (!p) return;
  for (int i = 0; i < p->ncode; i++) free(p->code[i].items);
  free(p->code);
  free(p->regs);
  for (int l = 0; l < 2; l++) {
    for (int i = 0; i < p->nin[l]; i++) free(p->in[l][i].name);
    free(p->in[l]);
  }
  for (int i = 0; i < p->nout; i++) {
    free(p->out[i].name);
    free(p->out[i].texts);
    free_parts(p->out[i].parts, p->out[i].nparts);
  }
  free(p->out);
  strmap_free(&p->defines);
  strmap_free(&p->inputs[0]);
  strmap_free(&p->inputs[1]);
  free(p);
}

static int new_reg(program *p, int level) {
  af_grow(&p->regs, &p->capregs, p->nregs + 1, sizeof *p->regs);
  prog_reg *r = &p->regs[p->nregs];
  memset(r, 0, sizeof *r);
  r->level = level;
  r->input = -1;
  return p->nregs++;
}

static val constant(program *p, vtype t, double v, int isnull) {
  int r = new_reg(p, -1);
  p->regs[r].cval = v;
  p->regs[r].cnull = (unsigned char)isnull;
  return (val){r, t};
}

static int level_of(const program *p, val v) { return p->regs[v.reg].level; }
static int is_const(const program *p, val v) { return p->regs[v.reg].level < 0; }

static prog_instr *emit(program *p, opcode op, int level, int a, int b) {
  assert(level == 0 || level == 1);
  assert(a < p->nregs && b < p->nregs);   /* operands exist before their use */
  af_grow(&p->code, &p->capcode, p->ncode + 1, sizeof *p->code);
  prog_instr *in = &p->code[p->ncode++];
  memset(in, 0, sizeof *in);
  in->op = op;
  in->a = a;
  in->b = b;
  in->dst = new_reg(p, level);
  return in;
}

/* The input register for column name at level, created on first use. */
static int use_input(program *p, int level, const char *name, vtype t) {
  /* the slot may outlive its input (a failed rule's inputs are undone) */
  int *slot = strmap_slot(&p->inputs[level], name, strlen(name), NULL);
  if (*slot >= 0 && *slot < p->nin[level] && strcmp(p->in[level][*slot].name, name) == 0)
    return p->in[level][*slot].reg;
  *slot = p->nin[level];
  af_grow(&p->in[level], &p->capin[level], p->nin[level] + 1, sizeof *p->in[level]);
  input *in = &p->in[level][p->nin[level]];
  in->name = af_strdup(name);
  in->type = t;
  in->col = -1;
  in->reg = new_reg(p, level);
  p->regs[in->reg].input = p->nin[level]++;
  return in->reg;
}

/* The current type of register r's value when it reads an input. */
static vtype input_type_of(const program *p, int r, vtype t) {
  const prog_reg *g = &p->regs[r];
  return g->input >= 0 ? p->in[g->level][g->input].type : t;
}

/* ---- messages ---- */

static const char *tname(vtype t) {
  switch (t) {
  case VT_NUM: return "a number";
  case VT_TEXT: return "text";
  case VT_BOOL: return "a condition";
  case VT_NULL: return "null";
  default: return "a value";
  }
}

/* The source text of node x, shortened for messages. */
static void snip(const cctx *c, const expr *x, char *buf, size_t n) {
  int len = x->len;
  if (len <= 48) {
    snprintf(buf, n, "%.*s", len, c->text + x->pos - 1);
  } else {
    snprintf(buf, n, "%.*s...", 45, c->text + x->pos - 1);
  }
}

/* Fill the error: fmt, then (where != NULL) " near '<x>' at column N" when
** near is set, else " at column N" (messages that quote x themselves). */
static int cfail(cctx *c, const expr *x, int near, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int cfail(cctx *c, const expr *x, int near, const char *fmt, ...) {
  char msg[AF_ERRLEN], s[64];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  snip(c, x, s, sizeof s);
  if (near)
    af_fail(c->e, "%s near '%s' at column %d", msg, s, x->pos);
  else
    af_fail(c->e, "%s at column %d", msg, x->pos);
  c->errcol = x->pos;
  return -1;
}

/* ---- types ---- */

/* Give an ANY value type want; its column keeps that type for the program. */
static int refine(cctx *c, val *v, vtype want, const expr *x) {
  if (v->t != VT_ANY || want == VT_ANY || want == VT_NULL) return 0;
  prog_reg *g = &c->p->regs[v->reg];
  if (g->input >= 0) {
    input *in = &c->p->in[g->level][g->input];
    if (in->type != VT_ANY && in->type != want)
      return cfail(c, x, 1, "column '%s' is used both as %s and as %s", in->name,
                   tname(in->type), tname(want));
    in->type = want;
  }
  v->t = want;
  return 0;
}

/* Check that v (node x) is a condition; who names the operation. */
static int need_cond(cctx *c, val *v, const expr *x, const char *who) {
  if (v->t == VT_BOOL || v->t == VT_NULL) return 0;
  if (v->t == VT_ANY) return refine(c, v, VT_BOOL, x);
  char s[64];
  snip(c, x, s, sizeof s);
  if (x->kind == EX_NAME && v->t == VT_NUM)
    return cfail(c, x, 0, "%s needs a condition (true or false), but '%s' is a number: write %s = 1",
                 who, s, s);
  return cfail(c, x, 0, "%s needs a condition (true or false), but '%s' is %s", who, s,
               tname(v->t));
}

static int need_num(cctx *c, val *v, const expr *x, const char *who) {
  if (v->t == VT_NUM || v->t == VT_NULL) return 0;
  if (v->t == VT_ANY) return refine(c, v, VT_NUM, x);
  char s[64];
  snip(c, x, s, sizeof s);
  return cfail(c, x, 0, "%s needs a number, but '%s' is %s", who, s, tname(v->t));
}

/* Can values of types a and b be compared with = (refining ANY sides)?
** where is x, the node named in a failure. */
static int same_type(cctx *c, val *a, val *b, const expr *x, const char *ctx) {
  if (a->t == VT_ANY && b->t != VT_NULL) return refine(c, a, b->t, x);
  if (b->t == VT_ANY && a->t != VT_NULL) return refine(c, b, a->t, x);
  if (a->t == VT_NULL || b->t == VT_NULL || a->t == b->t) return 0;
  return cfail(c, x, 1, "cannot compare %s with %s%s", tname(a->t), tname(b->t), ctx);
}

/* ---- emission helpers ---- */

/* Bring v to member level (broadcast a unit value or a constant). */
static void to_member(program *p, val *v) {
  if (level_of(p, *v) == 1) return;
  v->reg = emit(p, OP_BCAST, 1, v->reg, -1)->dst;
}

/* Align the operands' levels and return the result level: constants adapt;
** all-constant operands get the first one materialized at unit level; a unit
** value meeting a member value (inside an aggregate) is broadcast. */
static int align(program *p, val *v, int n) {
  int level = -1;
  for (int i = 0; i < n; i++)
    if (level_of(p, v[i]) > level) level = level_of(p, v[i]);
  if (level < 0) {
    v[0].reg = emit(p, OP_FILL, 0, v[0].reg, -1)->dst;
    return 0;
  }
  for (int i = 0; i < n; i++)
    if (level == 1 && level_of(p, v[i]) == 0) to_member(p, &v[i]);
  return level;
}

static val emit_bin(program *p, opcode op, val a, val b, vtype t) {
  val v[2] = {a, b};
  int level = align(p, v, 2);
  return (val){emit(p, op, level, v[0].reg, v[1].reg)->dst, t};
}

static val emit_un(program *p, opcode op, val a, vtype t) {
  return (val){emit(p, op, level_of(p, a), a.reg, -1)->dst, t};
}

/* ---- parts shown by explain ---- */

static void add_part(cctx *c, const char *text, size_t len, val v) {
  for (int i = 0; i < c->nparts; i++)
    if (strlen(c->parts[i].text) == len && memcmp(c->parts[i].text, text, len) == 0) return;
  af_grow(&c->parts, &c->capparts, c->nparts + 1, sizeof *c->parts);
  c->parts[c->nparts++] = (rpart){af_strndup(text, len), v.reg, v.t};
}

static void add_node_part(cctx *c, const expr *x, val v) {
  add_part(c, c->text + x->pos - 1, (size_t)x->len, v);
}

/* ---- names ---- */

static int find_decl(const name_decl *d, int n, const char *name) {
  for (int i = 0; i < n; i++)
    if (strcmp(d[i].name, name) == 0) return i;
  return -1;
}

static int find_define(const program *p, const char *name) {
  return strmap_get(&p->defines, name, strlen(name));
}

static void add_cands(const char ***v, int *n, int *cap, const name_decl *d, int nd) {
  for (int i = 0; i < nd; i++) {
    af_grow(v, cap, *n + 1, sizeof **v);
    (*v)[(*n)++] = d[i].name;
  }
}

/* "unknown column 'x' in table T (did you mean 'y'?)". */
static int unknown_name(cctx *c, const expr *x) {
  const program *p = c->p;
  const scope *sc = p->sc;
  if (!c->agg && sc->member_table && find_decl(sc->member_cols, sc->nmember_cols, x->str) >= 0)
    return cfail(c, x, 1, "column '%s' of table %s can only be used inside an aggregate "
                 "such as any(...) or sum(...)", x->str, sc->member_table);
  const char **cands = NULL;
  int n = 0, cap = 0;
  if (c->agg) add_cands(&cands, &n, &cap, sc->member_cols, sc->nmember_cols);
  add_cands(&cands, &n, &cap, sc->unit_cols, sc->nunit_cols);
  for (int i = 0; i < sc->nparams; i++) {
    af_grow(&cands, &cap, n + 1, sizeof *cands);
    cands[n++] = sc->params[i].name;
  }
  for (int i = 0; i < p->nout; i++) {
    if (!p->out[i].name) continue;
    af_grow(&cands, &cap, n + 1, sizeof *cands);
    cands[n++] = p->out[i].name;
  }
  const char *s = af_suggest(x->str, cands, n);
  const char *table = c->agg ? sc->member_table : sc->unit_table;
  char hint[300] = "";
  if (s) snprintf(hint, sizeof hint, " (did you mean '%s'?)", s);
  free(cands);
  return cfail(c, x, 1, "unknown column '%s' in table %s%s", x->str, table ? table : "?", hint);
}

static int find_param(const scope *sc, const char *name) {
  for (int i = 0; i < sc->nparams; i++)
    if (strcmp(sc->params[i].name, name) == 0) return i;
  return -1;
}

static val input_val(program *p, int level, const char *name, vtype t) {
  int r = use_input(p, level, name, t);
  return (val){r, input_type_of(p, r, VT_ANY)};
}

/* Resolve a name (compile.h gives the order). Unit-level names become parts. */
static int c_name(cctx *c, const expr *x, val *out) {
  program *p = c->p;
  const scope *sc = p->sc;
  int i;
  if (c->agg && (i = find_decl(sc->member_cols, sc->nmember_cols, x->str)) >= 0) {
    *out = input_val(p, 1, x->str, sc->member_cols[i].type);
    return 0;
  }
  if ((i = find_define(p, x->str)) >= 0) {
    *out = (val){p->out[i].reg, input_type_of(p, p->out[i].reg, p->out[i].type)};
  } else if ((i = find_param(sc, x->str)) >= 0) {
    const model_param *m = &sc->params[i];
    *out = m->is_text
               ? constant(p, VT_TEXT, strpool_intern(p->pool, m->text, strlen(m->text)), 0)
               : constant(p, VT_NUM, m->num, 0);
  } else if ((i = find_decl(sc->unit_cols, sc->nunit_cols, x->str)) >= 0) {
    *out = input_val(p, 0, x->str, sc->unit_cols[i].type);
  } else if (sc->open_world && c->agg) {
    *out = input_val(p, 1, x->str, VT_ANY);
    return 0;
  } else if (sc->open_world) {
    *out = input_val(p, 0, x->str, VT_ANY);
  } else {
    return unknown_name(c, x);
  }
  add_part(c, x->str, strlen(x->str), *out);
  return 0;
}

/* ---- operators ---- */

static int c_node(cctx *c, const expr *x, val *out);

static int c_args(cctx *c, const expr *x, val *v) {
  for (int i = 0; i < x->nargs; i++)
    if (c_node(c, x->args[i], &v[i]) < 0) return -1;
  return 0;
}

static int c_neg(cctx *c, const expr *x, val *out) {
  val a;
  if (c_node(c, x->args[0], &a) < 0 || need_num(c, &a, x->args[0], "'-'") < 0) return -1;
  if (is_const(c->p, a)) {
    const prog_reg *g = &c->p->regs[a.reg];
    *out = constant(c->p, VT_NUM, -g->cval, g->cnull);
  } else {
    *out = emit_un(c->p, OP_NEG, a, VT_NUM);
  }
  return 0;
}

static int c_not(cctx *c, const expr *x, val *out) {
  val a;
  if (c_node(c, x->args[0], &a) < 0 || need_cond(c, &a, x->args[0], "'not'") < 0) return -1;
  if (is_const(c->p, a)) {
    const prog_reg *g = &c->p->regs[a.reg];
    *out = constant(c->p, VT_BOOL, g->cnull ? 0 : g->cval == 0, g->cnull);
  } else {
    *out = emit_un(c->p, OP_NOT, a, VT_BOOL);
  }
  return 0;
}

static int c_isnull(cctx *c, const expr *x, val *out) {
  val a;
  if (c_node(c, x->args[0], &a) < 0) return -1;
  int want_null = x->kind == EX_ISNULL;
  if (is_const(c->p, a))
    *out = constant(c->p, VT_BOOL, c->p->regs[a.reg].cnull == want_null, 0);
  else
    *out = emit_un(c->p, want_null ? OP_ISNULL : OP_NOTNULL, a, VT_BOOL);
  return 0;
}

static int c_arith(cctx *c, const expr *x, val *out) {
  static const char *who[] = {"'+'", "'-'", "'*'", "'/'"};
  static const opcode ops[] = {OP_ADD, OP_SUB, OP_MUL, OP_DIV};
  int k = x->kind - EX_ADD;
  val v[2];
  if (c_args(c, x, v) < 0) return -1;
  for (int i = 0; i < 2; i++)
    if (need_num(c, &v[i], x->args[i], who[k]) < 0) return -1;
  *out = emit_bin(c->p, ops[k], v[0], v[1], VT_NUM);
  return 0;
}

static int c_logic(cctx *c, const expr *x, val *out) {
  const char *who = x->kind == EX_AND ? "'and'" : "'or'";
  val v[2];
  if (c_args(c, x, v) < 0) return -1;
  for (int i = 0; i < 2; i++)
    if (need_cond(c, &v[i], x->args[i], who) < 0) return -1;
  *out = emit_bin(c->p, x->kind == EX_AND ? OP_AND : OP_OR, v[0], v[1], VT_BOOL);
  return 0;
}

/* `x = null` is a classic mistake: it is never true. */
static int null_compare(cctx *c, const expr *x) {
  const expr *other = x->args[0]->kind == EX_NULL ? x->args[1] : x->args[0];
  char s[64];
  snip(c, other, s, sizeof s);
  return cfail(c, x, 1, "a comparison with null is never true: write %s is %snull", s,
               x->kind == EX_EQ ? "" : "not ");
}

static int c_compare(cctx *c, const expr *x, val *out) {
  static const opcode ops[] = {OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE};
  val v[2];
  if (c_args(c, x, v) < 0) return -1;
  if (x->kind == EX_EQ || x->kind == EX_NE) {
    if (x->args[0]->kind == EX_NULL || x->args[1]->kind == EX_NULL) return null_compare(c, x);
    if (same_type(c, &v[0], &v[1], x, "") < 0) return -1;
  } else {
    for (int i = 0; i < 2; i++) {
      if (v[i].t == VT_TEXT) return cfail(c, x, 1, "text can only be compared with =, != or in");
      if (v[i].t == VT_BOOL)
        return cfail(c, x, 1, "conditions can only be compared with =, != or in");
    }
    for (int i = 0; i < 2; i++)
      if (need_num(c, &v[i], x->args[i], "a comparison") < 0) return -1;
  }
  *out = emit_bin(c->p, ops[x->kind - EX_EQ], v[0], v[1], VT_BOOL);
  return 0;
}

/* x [not] in (items): every item of x's type (the first typed one if x has none). */
static int c_in(cctx *c, const expr *x, val *out) {
  int n = x->nargs;
  val *v = af_malloc((size_t)n * sizeof *v);
  int rc = c_args(c, x, v);
  for (int i = 1; rc == 0 && v[0].t == VT_ANY && i < n; i++)
    if (v[i].t != VT_ANY && v[i].t != VT_NULL) rc = refine(c, &v[0], v[i].t, x->args[0]);
  for (int i = 1; rc == 0 && i < n; i++)
    rc = same_type(c, &v[0], &v[i], x->args[i], " in 'in (...)'");
  if (rc == 0) {
    program *p = c->p;
    int level = align(p, v, n);
    prog_instr *in = emit(p, OP_IN, level, v[0].reg, -1);
    in->nitems = n - 1;
    in->items = af_malloc((size_t)(n - 1) * sizeof *in->items);
    for (int i = 1; i < n; i++) in->items[i - 1] = v[i].reg;
    *out = (val){in->dst, VT_BOOL};
    if (x->kind == EX_NOTIN) *out = emit_un(p, OP_NOT, *out, VT_BOOL);
  }
  free(v);
  return rc;
}

/* x between a and b = x >= a and x <= b, exactly (three-valued and). */
static int c_between(cctx *c, const expr *x, val *out) {
  val v[3];
  if (c_args(c, x, v) < 0) return -1;
  for (int i = 0; i < 3; i++)
    if (need_num(c, &v[i], x->args[i], "'between'") < 0) return -1;
  program *p = c->p;
  val ge = emit_bin(p, OP_GE, v[0], v[1], VT_BOOL);
  val le = emit_bin(p, OP_LE, v[0], v[2], VT_BOOL);
  *out = emit_bin(p, OP_AND, ge, le, VT_BOOL);
  if (x->kind == EX_NOTBETWEEN) *out = emit_un(p, OP_NOT, *out, VT_BOOL);
  return 0;
}

/* ---- calls ---- */

enum { F_ANY, F_ALL, F_NONE, F_COUNT, F_SUM, F_MEAN, F_MIN, F_MAX, F_DEPRIVED, F_POINTS };

static const struct fn {
  const char *name;
  opcode op;
  int minargs, maxargs;
  const char *argdesc;
} fns[] = {
  {"any", OP_ANY, 1, 1, "1 argument (a condition)"},
  {"all", OP_ALL, 1, 1, "1 argument (a condition)"},
  {"none", OP_ANY, 1, 1, "1 argument (a condition)"},
  {"count", OP_COUNT, 0, 1, "0 or 1 arguments (an optional condition)"},
  {"sum", OP_SUM, 1, 2, "1 or 2 arguments (a number and an optional condition)"},
  {"mean", OP_MEAN, 1, 2, "1 or 2 arguments (a number and an optional condition)"},
  {"min", OP_MIN, 1, 2, "1 or 2 arguments (a number and an optional condition)"},
  {"max", OP_MAX, 1, 2, "1 or 2 arguments (a number and an optional condition)"},
  {"deprived", OP_FILL, 1, 1, NULL},
  {"points", OP_FILL, 1, 1, NULL},
};
#define NFNS ((int)(sizeof fns / sizeof *fns))

/* 1 if the scope has a unit column "fname:..." (a measure rule's results). */
static int has_result_cols(const scope *sc, const char *fname) {
  size_t n = strlen(fname);
  for (int k = 0; k < sc->nunit_cols; k++)
    if (strncmp(sc->unit_cols[k].name, fname, n) == 0 && sc->unit_cols[k].name[n] == ':')
      return 1;
  return 0;
}

/* deprived() or points() where its results do not exist: in a measure rule
** of the other kind of methodology (which has the other function's), or
** outside measure rules. */
static int result_fn_misplaced(cctx *c, const expr *x, const char *fname) {
  int pts = strcmp(fname, "points") == 0;
  const char *other = pts ? "deprived" : "points";
  const char *id = x->args[0]->str;
  if (!has_result_cols(c->p->sc, other))
    return cfail(c, x, 1, "%s() can only be used in measure rules", fname);
  if (pts)
    return cfail(c, x, 1, "points() needs a points methodology (scoring = \"points\"); this "
                          "one is Alkire-Foster: use deprived('%s')", id);
  return cfail(c, x, 1, "deprived() needs an Alkire-Foster methodology; this one gives points "
                        "(scoring = \"points\"): use points('%s'), the points the indicator "
                        "gave", id);
}

/* deprived('id') / points('id'): the unit column "deprived:id" / "points:id". */
static int c_result_col(cctx *c, const expr *x, const char *fname, val *out) {
  const scope *sc = c->p->sc;
  if (x->nargs != 1 || x->args[0]->kind != EX_STR)
    return cfail(c, x, 1, "%s() takes one indicator id in quotes, such as %s('low_income')",
                 fname, fname);
  char *col = af_sprintf("%s:%s", fname, x->args[0]->str);
  int i = find_decl(sc->unit_cols, sc->nunit_cols, col);
  free(col);
  if (i >= 0) {
    *out = input_val(c->p, 0, sc->unit_cols[i].name, sc->unit_cols[i].type);
    add_node_part(c, x, *out);
    return 0;
  }
  size_t pl = strlen(fname) + 1;
  const char **ids = af_malloc((size_t)(sc->nunit_cols + 1) * sizeof *ids);
  int n = 0;
  for (int k = 0; k < sc->nunit_cols; k++)
    if (strncmp(sc->unit_cols[k].name, fname, pl - 1) == 0 && sc->unit_cols[k].name[pl - 1] == ':')
      ids[n++] = sc->unit_cols[k].name + pl;
  const char *s = n ? af_suggest(x->args[0]->str, ids, n) : NULL;
  char hint[300] = "";
  if (s) snprintf(hint, sizeof hint, " (did you mean '%s'?)", s);
  free(ids);
  if (!n) return result_fn_misplaced(c, x, fname);
  return cfail(c, x, 1, "unknown indicator '%s' in %s()%s", x->args[0]->str, fname, hint);
}

/* Names other languages give to the aggregates (SQL, spreadsheets), which
** spelling distance alone would not suggest. */
static const char *const fn_aliases[][2] = {
    {"avg", "mean"}, {"average", "mean"}, {"exists", "any"}, {"every", "all"},
    {"total", "sum"}, {"minimum", "min"}, {"maximum", "max"}};

static int unknown_function(cctx *c, const expr *x) {
  const char *names[NFNS];
  for (int i = 0; i < NFNS; i++) names[i] = fns[i].name;
  const char *s = af_suggest(x->str, names, NFNS);
  for (size_t i = 0; i < sizeof fn_aliases / sizeof *fn_aliases; i++)
    if (strcmp(x->str, fn_aliases[i][0]) == 0) s = fn_aliases[i][1];
  char hint[64] = "";
  if (s) snprintf(hint, sizeof hint, " (did you mean '%s'?)", s);
  return cfail(c, x, 1, "unknown function '%s'%s", x->str, hint);
}

/* Compile an aggregate's operands inside it and bring them to member level. */
static int agg_args(cctx *c, const expr *x, int f, val *v) {
  const char *name = fns[f].name;
  char who[64];
  if (c_args(c, x, v) < 0) return -1;
  snprintf(who, sizeof who, "%s()", name);
  if (x->nargs >= 1 && f <= F_COUNT && need_cond(c, &v[0], x->args[0], who) < 0) return -1;
  if (x->nargs >= 1 && f > F_COUNT && need_num(c, &v[0], x->args[0], who) < 0) return -1;
  snprintf(who, sizeof who, "the filter of %s()", name);
  if (x->nargs == 2 && need_cond(c, &v[1], x->args[1], who) < 0) return -1;
  for (int i = 0; i < x->nargs; i++) to_member(c->p, &v[i]);
  return 0;
}

static int c_aggregate(cctx *c, const expr *x, int f, val *out) {
  const char *name = fns[f].name;
  if (!c->p->sc->member_table)
    return cfail(c, x, 1, "aggregate '%s' needs a members table: declare members = "
                 "{ table = ..., unit = ... }", name);
  if (c->agg)
    return cfail(c, x, 1, "aggregate '%s' cannot be used inside another aggregate ('%s')", name,
                 c->agg);
  if (x->nargs < fns[f].minargs || x->nargs > fns[f].maxargs)
    return cfail(c, x, 1, "%s() takes %s, got %d", name, fns[f].argdesc, x->nargs);
  val v[2];
  c->agg = name;
  int rc = agg_args(c, x, f, v);
  c->agg = NULL;
  if (rc < 0) return -1;
  program *p = c->p;
  prog_instr *in = emit(p, fns[f].op, 0, x->nargs ? v[0].reg : -1, x->nargs == 2 ? v[1].reg : -1);
  *out = (val){in->dst, f <= F_NONE ? VT_BOOL : VT_NUM};
  if (f == F_NONE) *out = emit_un(p, OP_NOT, *out, VT_BOOL);
  add_node_part(c, x, *out);
  return 0;
}

static int c_call(cctx *c, const expr *x, val *out) {
  int f = -1;
  for (int i = 0; i < NFNS; i++)
    if (strcasecmp(x->str, fns[i].name) == 0) f = i;
  if (f < 0) return unknown_function(c, x);
  if (f == F_DEPRIVED || f == F_POINTS) return c_result_col(c, x, fns[f].name, out);
  return c_aggregate(c, x, f, out);
}

static int c_node(cctx *c, const expr *x, val *out) {
  program *p = c->p;
  switch (x->kind) {
  case EX_NUM: *out = constant(p, VT_NUM, x->num, 0); return 0;
  case EX_BOOL: *out = constant(p, VT_BOOL, x->num, 0); return 0;
  case EX_NULL: *out = constant(p, VT_NULL, 0, 1); return 0;
  case EX_STR:
    *out = constant(p, VT_TEXT, strpool_intern(p->pool, x->str, strlen(x->str)), 0);
    return 0;
  case EX_NAME: return c_name(c, x, out);
  case EX_NEG: return c_neg(c, x, out);
  case EX_NOT: return c_not(c, x, out);
  case EX_ADD: case EX_SUB: case EX_MUL: case EX_DIV: return c_arith(c, x, out);
  case EX_EQ: case EX_NE: case EX_LT: case EX_LE: case EX_GT: case EX_GE:
    return c_compare(c, x, out);
  case EX_AND: case EX_OR: return c_logic(c, x, out);
  case EX_IN: case EX_NOTIN: return c_in(c, x, out);
  case EX_BETWEEN: case EX_NOTBETWEEN: return c_between(c, x, out);
  case EX_ISNULL: case EX_NOTNULL: return c_isnull(c, x, out);
  case EX_CALL: return c_call(c, x, out);
  }
  return -1;
}

/* ---- rules ---- */

/* What a failed rule must undo. */
typedef struct snapshot {
  int nregs, ncode, nin[2];
  vtype *types[2];
} snapshot;

static void take_snapshot(const program *p, snapshot *s) {
  s->nregs = p->nregs;
  s->ncode = p->ncode;
  for (int l = 0; l < 2; l++) {
    s->nin[l] = p->nin[l];
    s->types[l] = af_malloc((size_t)p->nin[l] * sizeof **s->types);
    for (int i = 0; i < p->nin[l]; i++) s->types[l][i] = p->in[l][i].type;
  }
}

static void restore(program *p, snapshot *s, int undo) {
  for (int l = 0; l < 2; l++) {
    if (undo) {
      for (int i = s->nin[l]; i < p->nin[l]; i++) free(p->in[l][i].name);
      p->nin[l] = s->nin[l];
      for (int i = 0; i < p->nin[l]; i++) p->in[l][i].type = s->types[l][i];
    }
    free(s->types[l]);
  }
  if (!undo) return;
  for (int i = s->ncode; i < p->ncode; i++) free(p->code[i].items);
  p->ncode = s->ncode;
  p->nregs = s->nregs;
}

/* Check the rule's type against want and give it a unit-level register. */
static int finish(cctx *c, const expr *x, val *v, vtype want) {
  char s[64];
  snip(c, x, s, sizeof s);
  if (want == VT_BOOL && v->t != VT_BOOL && v->t != VT_NULL) {
    if (v->t == VT_ANY) return refine(c, v, VT_BOOL, x);
    c->errcol = x->pos;
    if (x->kind == EX_NAME && v->t == VT_NUM)
      return af_fail(c->e, "the rule must be a condition (true or false), but '%s' is a number: "
                     "write %s = 1", s, s);
    return af_fail(c->e, "the rule must be a condition (true or false), but '%s' is %s", s,
                   tname(v->t));
  }
  if (want == VT_NUM && v->t != VT_NUM && v->t != VT_NULL) {
    if (v->t == VT_ANY) return refine(c, v, VT_NUM, x);
    c->errcol = x->pos;
    return af_fail(c->e, "the rule must be a number, but '%s' is %s", s, tname(v->t));
  }
  return 0;
}

static void add_output(program *p, const char *name, val v, cctx *c) {
  af_grow(&p->out, &p->capout, p->nout + 1, sizeof *p->out);
  output *o = &p->out[p->nout++];
  o->name = name ? af_strdup(name) : NULL;
  if (name) *strmap_slot(&p->defines, name, strlen(name), NULL) = p->nout - 1;
  o->reg = v.reg;
  o->type = v.t;
  o->parts = c->parts;
  o->nparts = c->nparts;
  o->texts = af_malloc((size_t)(c->nparts + 1) * sizeof *o->texts);
  for (int i = 0; i < c->nparts; i++) {
    o->parts[i].type = input_type_of(p, o->parts[i].reg, o->parts[i].type);
    o->texts[i] = o->parts[i].text;
  }
}

int program_add(program *p, const char *name, const char *text, vtype want, af_err *e,
                int *errcol) {
  int col = 0;
  if (errcol) *errcol = 0;
  if (name && find_define(p, name) >= 0) return af_fail(e, "'%s' is defined twice", name);
  expr *x;
  if (expr_parse(text, &x, e, &col) < 0) {
    if (errcol) *errcol = col;
    return -1;
  }
  snapshot s;
  take_snapshot(p, &s);
  cctx c = {.p = p, .text = text, .e = e};
  val v;
  int rc = c_node(&c, x, &v);
  if (rc == 0) rc = finish(&c, x, &v, want);
  restore(p, &s, rc < 0);
  if (rc < 0) {
    free_parts(c.parts, c.nparts);
    expr_free(x);
    if (errcol) *errcol = c.errcol;
    return -1;
  }
  if (is_const(p, v)) v.reg = emit(p, OP_FILL, 0, v.reg, -1)->dst;
  else if (want == VT_BOOL && p->regs[v.reg].input >= 0) v = emit_un(p, OP_TRUTH, v, VT_BOOL);
  if (v.t == VT_NULL && want != VT_ANY) v.t = want;
  v.t = input_type_of(p, v.reg, v.t);
  add_output(p, name, v, &c);
  expr_free(x);
  return p->nout - 1;
}

/* ---- queries ---- */

vtype program_output_type(const program *p, int o) {
  return o >= 0 && o < p->nout ? p->out[o].type : VT_ANY;
}

int program_noutputs(const program *p) { return p->nout; }

int program_ninputs(const program *p, int level) {
  return level == 0 || level == 1 ? p->nin[level] : 0;
}

const char *program_input(const program *p, int level, int i) {
  return i >= 0 && i < program_ninputs(p, level) ? p->in[level][i].name : NULL;
}

vtype program_input_type(const program *p, int level, int i) {
  return i >= 0 && i < program_ninputs(p, level) ? p->in[level][i].type : VT_ANY;
}

int program_input_col(const program *p, int level, int i) {
  return i >= 0 && i < program_ninputs(p, level) ? p->in[level][i].col : -1;
}

int program_bind(program *p, int level, const char *const *names, int n, af_err *e) {
  for (int i = 0; i < program_ninputs(p, level); i++) {
    input *in = &p->in[level][i];
    in->col = -1;
    for (int k = 0; k < n && in->col < 0; k++)
      if (names[k] && strcmp(names[k], in->name) == 0) in->col = k;
    if (in->col < 0) {
      const char *table = level ? p->sc->member_table : p->sc->unit_table;
      return af_fail(e, "column '%s' of table %s is not among the columns read", in->name,
                     table ? table : "?");
    }
  }
  return 0;
}

int program_rule_parts(const program *p, int o, const char *const **texts, int *n) {
  if (o < 0 || o >= p->nout) return -1;
  *texts = (const char *const *)p->out[o].texts;
  *n = p->out[o].nparts;
  return 0;
}

const prog_reg *program_regs(const program *p, int *n) {
  *n = p->nregs;
  return p->regs;
}

const prog_instr *program_code(const program *p, int *n) {
  *n = p->ncode;
  return p->code;
}

int program_output_reg(const program *p, int o) {
  return o >= 0 && o < p->nout ? p->out[o].reg : -1;
}

int program_part_reg(const program *p, int o, int part) {
  if (o < 0 || o >= p->nout || part < 0 || part >= p->out[o].nparts) return -1;
  return p->out[o].parts[part].reg;
}

vtype program_part_type(const program *p, int o, int part) {
  if (o < 0 || o >= p->nout || part < 0 || part >= p->out[o].nparts) return VT_ANY;
  return p->out[o].parts[part].type;
}
