/*
** test_kernel.c: the scoring kernel (kernel.c) over hand-built batches:
** every operator and aggregate, SQL null rules and three-valued logic, units
** with 0, 1 and several members, broadcast of unit values into aggregates,
** defines, params, register growth, explain parts, and a randomized
** comparison with a naive per-unit evaluator written here.
*/
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "expr.h"
#include "kernel.h"

#define N NAN   /* a null value in the tables below */
#define MAXU 8
#define MAXM 8

static const name_decl ucols[] = {
  {"a", VT_NUM}, {"b", VT_NUM}, {"p", VT_BOOL}, {"q", VT_BOOL}, {"region", VT_TEXT},
};
static const name_decl mcols[] = {
  {"age", VT_NUM}, {"inc", VT_NUM}, {"sick", VT_BOOL}, {"sex", VT_TEXT},
};
static model_param params[] = {
  {.name = "one", .num = 1},
  {.name = "capital", .is_text = 1, .text = "A"},
};
static const scope sc = {
  .unit_table = "families", .unit_cols = ucols, .nunit_cols = 5,
  .member_table = "persons", .member_cols = mcols, .nmember_cols = 4,
  .params = params, .nparams = 2,
};

/* A batch whose columns follow ucols / mcols. */
typedef struct tbatch {
  batch b;
  column uc[MAXU], mc[MAXM];
  int *mstart;
  double *uv[MAXU], *mv[MAXM];
  unsigned char *un[MAXU], *mn[MAXM];
} tbatch;

static const char *unames[] = {"a", "b", "p", "q", "region"};
static const char *mnames[] = {"age", "inc", "sick", "sex"};

static void tb_init(tbatch *t, int nunits, const int *mstart) {
  memset(t, 0, sizeof *t);
  t->b.nunits = nunits;
  t->b.nmembers = mstart[nunits];
  t->mstart = af_malloc((size_t)(nunits + 1) * sizeof(int));
  memcpy(t->mstart, mstart, (size_t)(nunits + 1) * sizeof(int));
  t->b.mstart = t->mstart;
  for (int i = 0; i < 5; i++) {
    t->uv[i] = af_calloc((size_t)nunits + 1, sizeof(double));
    t->un[i] = af_calloc((size_t)nunits + 1, 1);
    t->uc[i] = (column){t->uv[i], t->un[i]};
  }
  for (int i = 0; i < 4; i++) {
    t->mv[i] = af_calloc((size_t)t->b.nmembers + 1, sizeof(double));
    t->mn[i] = af_calloc((size_t)t->b.nmembers + 1, 1);
    t->mc[i] = (column){t->mv[i], t->mn[i]};
  }
  t->b.ucols = t->uc;
  t->b.nucols = 5;
  t->b.mcols = t->mc;
  t->b.nmcols = 4;
}

static void tb_free(tbatch *t) {
  free(t->mstart);
  for (int i = 0; i < 5; i++) free(t->uv[i]), free(t->un[i]);
  for (int i = 0; i < 4; i++) free(t->mv[i]), free(t->mn[i]);
}

static void set_nums(double *v, unsigned char *nul, const double *src, int n) {
  for (int i = 0; i < n; i++) {
    nul[i] = isnan(src[i]) != 0;
    v[i] = nul[i] ? 12345 : src[i];   /* garbage under a null must not matter */
  }
}

static void set_texts(strpool *pool, double *v, unsigned char *nul, const char *const *src, int n) {
  for (int i = 0; i < n; i++) {
    nul[i] = src[i] == NULL;
    v[i] = src[i] ? strpool_intern(pool, src[i], strlen(src[i])) : 777;
  }
}

typedef struct fx {
  strpool *pool;
  tbatch truth, fam, empty;
} fx;

/* truth: 9 units without members, every pair of p, q in {true, false, null}. */
static void build_truth(fx *f) {
  static const int ms[10] = {0};
  tbatch *t = &f->truth;
  tb_init(t, 9, ms);
  set_nums(t->uv[0], t->un[0], (double[]){1, 2, N, 4, 0, -3, 6, N, 2}, 9);
  set_nums(t->uv[1], t->un[1], (double[]){2, 0, 3, N, 0, 2, 3, N, 2}, 9);
  set_nums(t->uv[2], t->un[2], (double[]){1, 1, 1, 0, 0, 0, N, N, N}, 9);
  set_nums(t->uv[3], t->un[3], (double[]){1, 0, N, 1, 0, N, 1, 0, N}, 9);
  set_texts(f->pool, t->uv[4], t->un[4],
            (const char *[]){"A", "B", NULL, "A", "C", "A", "B", "A", NULL}, 9);
}

/* fam: units with 0, 1, 3, 2 and 0 members. */
static void build_fam(fx *f) {
  static const int ms[6] = {0, 0, 1, 4, 6, 6};
  tbatch *t = &f->fam;
  tb_init(t, 5, ms);
  set_nums(t->uv[0], t->un[0], (double[]){10, N, 20, 30, 40}, 5);
  set_texts(f->pool, t->uv[4], t->un[4], (const char *[]){"A", "B", "A", NULL, "B"}, 5);
  set_nums(t->mv[0], t->mn[0], (double[]){30, 70, N, 5, N, N}, 6);
  set_nums(t->mv[1], t->mn[1], (double[]){100, 50, N, 25, N, 7}, 6);
  set_nums(t->mv[2], t->mn[2], (double[]){1, 0, N, 1, N, N}, 6);
  set_texts(f->pool, t->mv[3], t->mn[3], (const char *[]){"f", "m", "f", NULL, "f", "m"}, 6);
}

static int setup(void **state) {
  fx *f = af_calloc(1, sizeof *f);
  f->pool = strpool_new();
  build_truth(f);
  build_fam(f);
  static const int ms0[4] = {0};
  tb_init(&f->empty, 3, ms0);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  tb_free(&f->truth);
  tb_free(&f->fam);
  tb_free(&f->empty);
  strpool_free(f->pool);
  free(f);
  return 0;
}

static void fmt_col(strbuf *s, const column *c, int n) {
  for (int u = 0; u < n; u++) {
    if (u) sb_putc(s, ' ');
    if (c->null[u]) sb_putc(s, 'N');
    else sb_printf(s, "%g", c->v[u] == 0 ? 0 : c->v[u]);
  }
}

static program *compile_all(fx *f, const char *const *rules, int n) {
  program *p = program_new(&sc, f->pool);
  for (int i = 0; i < n; i++) {
    af_err e = {{0}};
    int col;
    const char *eq = strchr(rules[i], '=');
    char *name = NULL;
    const char *text = rules[i];
    if (eq && eq[1] == '=') {   /* "name == text" defines name */
      name = af_strndup(rules[i], (size_t)(eq - rules[i]) - 1);
      text = eq + 3;
    }
    if (program_add(p, name, text, VT_ANY, &e, &col) < 0) fail_msg("%s: %s", text, e.msg);
    free(name);
  }
  af_err e;
  assert_int_equal(program_bind(p, 0, unames, 5, &e), 0);
  assert_int_equal(program_bind(p, 1, mnames, 4, &e), 0);
  return p;
}

/* The last of rules (the others are defines) over batch t, as "v v N v". */
static char *eval_rules(fx *f, tbatch *t, const char *const *rules, int n) {
  program *p = compile_all(f, rules, n);
  kernel *k = kernel_new(p);
  kernel_eval_batch(k, &t->b);
  strbuf s = {0};
  fmt_col(&s, kernel_output(k, n - 1), t->b.nunits);
  kernel_free(k);
  program_free(p);
  return sb_take(&s);
}

static void check(fx *f, tbatch *t, const char *rule, const char *want) {
  const char *rules[1] = {rule};
  char *got = eval_rules(f, t, rules, 1);
  if (strcmp(got, want) != 0) fail_msg("%s: got \"%s\", want \"%s\"", rule, got, want);
  free(got);
}

static void test_logic(void **state) {
  fx *f = *state;
  tbatch *t = &f->truth;
  check(f, t, "p and q", "1 0 N 0 0 0 N 0 N");
  check(f, t, "p or q", "1 1 1 1 0 N 1 N N");
  check(f, t, "not p", "0 0 0 1 1 1 N N N");
  check(f, t, "not (p and q) = (not p or not q)", "1 1 N 1 1 1 N 1 N");
  check(f, t, "p = q", "1 0 N 0 1 N N N N");
  check(f, t, "p <> q", "0 1 N 1 0 N N N N");
  check(f, t, "p and null", "N N N 0 0 0 N N N");
  check(f, t, "p or null", "1 1 1 N N N N N N");
  check(f, t, "p and true", "1 1 1 0 0 0 N N N");
  check(f, t, "p is null", "0 0 0 0 0 0 1 1 1");
  check(f, t, "q is not null", "1 1 0 1 1 0 1 1 0");
  check(f, t, "p", "1 1 1 0 0 0 N N N");
}

static void test_arithmetic(void **state) {
  fx *f = *state;
  tbatch *t = &f->truth;
  check(f, t, "a + b", "3 2 N N 0 -1 9 N 4");
  check(f, t, "a - b", "-1 2 N N 0 -5 3 N 0");
  check(f, t, "a * b", "2 0 N N 0 -6 18 N 4");
  check(f, t, "a / b", "0.5 N N N N -1.5 2 N 1");
  check(f, t, "a / 0", "N N N N N N N N N");
  check(f, t, "-a", "-1 -2 N -4 0 3 -6 N -2");
  check(f, t, "-(a + 1) * 2", "-4 -6 N -10 -2 4 -14 N -6");
  check(f, t, "2 * a - 1", "1 3 N 7 -1 -7 11 N 3");
  check(f, t, "a + null", "N N N N N N N N N");
  check(f, t, "1 + 2 * 3", "7 7 7 7 7 7 7 7 7");
  check(f, t, "one / 0", "N N N N N N N N N");
  check(f, t, "-one", "-1 -1 -1 -1 -1 -1 -1 -1 -1");
  check(f, t, "a + one", "2 3 N 5 1 -2 7 N 3");
}

static void test_comparison(void **state) {
  fx *f = *state;
  tbatch *t = &f->truth;
  check(f, t, "a < b", "1 0 N N 0 1 0 N 0");
  check(f, t, "a <= b", "1 0 N N 1 1 0 N 1");
  check(f, t, "a > b", "0 1 N N 0 0 1 N 0");
  check(f, t, "a >= b", "0 1 N N 1 0 1 N 1");
  check(f, t, "a = b", "0 0 N N 1 0 0 N 1");
  check(f, t, "a != b", "1 1 N N 0 1 1 N 0");
  check(f, t, "a > 1", "0 1 N 1 0 0 1 N 1");
  check(f, t, "2 > a", "1 0 N 0 1 1 0 N 0");
  check(f, t, "a > one", "0 1 N 1 0 0 1 N 1");
  check(f, t, "1 < 2", "1 1 1 1 1 1 1 1 1");
  check(f, t, "region = 'A'", "1 0 N 1 0 1 0 1 N");
  check(f, t, "'A' <> region", "0 1 N 0 1 0 1 0 N");
  check(f, t, "region = capital", "1 0 N 1 0 1 0 1 N");
  check(f, t, "region = 'never seen'", "0 0 N 0 0 0 0 0 N");
}

static void test_in_between(void **state) {
  fx *f = *state;
  tbatch *t = &f->truth;
  check(f, t, "a in (1, 4, b)", "1 0 N 1 1 0 0 N 1");
  check(f, t, "a not in (1, 4, b)", "0 1 N 0 0 1 1 N 0");
  check(f, t, "a in (1, null)", "1 N N N N N N N N");
  check(f, t, "a in (b)", "0 0 N N 1 0 0 N 1");
  check(f, t, "1 in (a, b)", "1 0 N N 0 0 0 N 0");
  check(f, t, "2 in (1, 2)", "1 1 1 1 1 1 1 1 1");
  check(f, t, "region in ('B', 'C')", "0 1 N 0 1 0 1 0 N");
  check(f, t, "region not in ('B', capital)", "0 0 N 0 1 0 0 0 N");
  check(f, t, "a between 0 and b", "1 0 N N 1 0 0 N 1");
  check(f, t, "a between b and 3", "0 1 N 0 1 0 0 N 1");
  check(f, t, "a not between b and 3", "1 0 N 1 0 1 1 N 0");
  check(f, t, "a between null and 3", "N N N 0 N N 0 N N");
  check(f, t, "a is null", "0 0 1 0 0 0 0 1 0");
  check(f, t, "a + b is not null", "1 1 0 0 1 1 1 0 1");
  check(f, t, "a / b is null", "0 1 1 1 1 0 0 1 0");
  check(f, t, "null is null", "1 1 1 1 1 1 1 1 1");
  check(f, t, "null", "N N N N N N N N N");
  check(f, t, "false", "0 0 0 0 0 0 0 0 0");
  check(f, t, "not true", "0 0 0 0 0 0 0 0 0");
  check(f, t, "'A'", "0 0 0 0 0 0 0 0 0");   /* the id of "A", interned first */
}

static void test_aggregates(void **state) {
  fx *f = *state;
  tbatch *t = &f->fam;
  check(f, t, "any(sick)", "0 1 1 N 0");
  check(f, t, "all(sick)", "1 1 0 N 1");
  check(f, t, "none(sick)", "1 0 0 N 1");
  check(f, t, "any(age > 60)", "0 0 1 N 0");
  check(f, t, "all(age > 1)", "1 1 N N 1");
  check(f, t, "none(age > 60)", "1 1 0 N 1");
  check(f, t, "count()", "0 1 3 2 0");
  check(f, t, "count(sick)", "0 1 1 0 0");
  check(f, t, "count(age > 1)", "0 1 2 0 0");
  check(f, t, "sum(inc)", "0 100 75 7 0");
  check(f, t, "sum(inc, sex = 'f')", "0 100 0 0 0");
  check(f, t, "sum(inc, sex = 'm')", "0 0 50 7 0");
  check(f, t, "mean(inc)", "N 100 37.5 7 N");
  check(f, t, "min(inc)", "N 100 25 7 N");
  check(f, t, "max(inc)", "N 100 50 7 N");
  check(f, t, "min(-inc)", "N -100 -50 -7 N");
  check(f, t, "max(age, sick)", "N 30 5 N N");
  check(f, t, "mean(age, age > 100)", "N N N N N");
  check(f, t, "mean(inc, sex in ('f', 'm'))", "N 100 50 7 N");
  check(f, t, "sum(inc) / count()", "N 100 25 3.5 N");
  check(f, t, "any(sex in ('f', 'x'))", "0 1 1 1 0");
  check(f, t, "count(sex is null)", "0 0 1 0 0");
  check(f, t, "count(true)", "0 1 3 2 0");
  check(f, t, "sum(1)", "0 1 3 2 0");
  check(f, t, "sum(1, false)", "0 0 0 0 0");
  check(f, t, "any(null)", "0 N N N 0");
  check(f, t, "all(null)", "1 N N N 1");
  check(f, t, "any(age > 60) or count() = 0", "1 0 1 N 1");
}

/* Unit values used inside an aggregate are broadcast to the unit's members. */
static void test_broadcast(void **state) {
  fx *f = *state;
  tbatch *t = &f->fam;
  check(f, t, "any(age > a)", "0 N 1 N 0");
  check(f, t, "count(region = 'A')", "0 0 3 0 0");
  check(f, t, "any(region = 'A')", "0 0 1 N 0");
  check(f, t, "sum(a)", "0 0 60 60 0");
  check(f, t, "sum(inc + a, region = capital)", "0 0 115 0 0");
  check(f, t, "count(age < a * 2 - one)", "0 0 1 0 0");
  const char *defs[] = {"pc == sum(inc) / count()", "any(inc > pc)"};
  char *got = eval_rules(f, t, defs, 2);
  assert_string_equal(got, "0 0 1 1 0");
  free(got);
  const char *defs2[] = {"pc == sum(inc) / count()", "lim == 20", "rich == pc > lim",
                         "rich and region = 'A' or not rich"};
  got = eval_rules(f, t, defs2, 4);
  assert_string_equal(got, "N 0 1 1 N");
  free(got);
}

/* Batches without any member: aggregates take their empty-set values. */
static void test_empty(void **state) {
  fx *f = *state;
  tbatch *t = &f->empty;
  check(f, t, "any(sick)", "0 0 0");
  check(f, t, "all(age > 1)", "1 1 1");
  check(f, t, "none(sick)", "1 1 1");
  check(f, t, "count()", "0 0 0");
  check(f, t, "count(sick)", "0 0 0");
  check(f, t, "sum(inc)", "0 0 0");
  check(f, t, "mean(inc)", "N N N");
  check(f, t, "min(inc)", "N N N");
  check(f, t, "max(inc, sick)", "N N N");
  check(f, t, "any(a > age)", "0 0 0");
}

/* The same kernel over a small, a larger and a small batch again. */
static void test_growth(void **state) {
  fx *f = *state;
  const char *rules[] = {"s == sum(inc, sex = 'f')", "count(age > 10) + s + a"};
  program *p = compile_all(f, rules, 2);
  kernel *k = kernel_new(p);
  strbuf s = {0};
  kernel_eval_batch(k, &f->fam.b);
  fmt_col(&s, kernel_output(k, 1), 5);
  assert_string_equal(s.s, "10 N 21 30 40");
  sb_free(&s);

  enum { U = 300 };
  int ms[U + 1];
  ms[0] = 0;
  for (int u = 0; u < U; u++) ms[u + 1] = ms[u] + u % 7;
  tbatch big;
  tb_init(&big, U, ms);
  for (int u = 0; u < U; u++) big.uv[0][u] = u;
  int32_t fid = strpool_intern(f->pool, "f", 1), mid = strpool_intern(f->pool, "m", 1);
  for (int m = 0; m < big.b.nmembers; m++) {
    big.mv[0][m] = m % 20;
    big.mv[1][m] = m;
    big.mv[3][m] = m % 2 ? fid : mid;
  }
  kernel_eval_batch(k, &big.b);
  const column *c = kernel_output(k, 1);
  for (int u = 0; u < U; u++) {
    double want = u;
    for (int m = ms[u]; m < ms[u + 1]; m++) want += (m % 20 > 10) + (m % 2 ? m : 0);
    assert_int_equal(c->null[u], 0);
    assert_true(c->v[u] == want);
  }
  kernel_eval_batch(k, &f->fam.b);
  fmt_col(&s, kernel_output(k, 1), 5);
  assert_string_equal(s.s, "10 N 21 30 40");
  sb_free(&s);
  tb_free(&big);
  kernel_free(k);
  program_free(p);
}

static void test_parts(void **state) {
  fx *f = *state;
  const char *rules[] = {"pc == sum(inc) / count()",
                         "pc < 30 and region = capital and any(age > 60) or one > a"};
  program *p = compile_all(f, rules, 2);
  kernel *k = kernel_new(p);
  kernel_eval_batch(k, &f->fam.b);
  const char *const *texts;
  int n;
  assert_int_equal(program_rule_parts(p, 1, &texts, &n), 0);
  assert_int_equal(n, 6);
  const char *want[] = {"pc", "region", "capital", "any(age > 60)", "one", "a"};
  for (int i = 0; i < n; i++) assert_string_equal(texts[i], want[i]);
  double v;
  int isnull;
  vtype t;
  int32_t aid = strpool_find(f->pool, "A", 1);
  struct { int part, unit; double v; int isnull; vtype t; } cases[] = {
    {0, 2, 25, 0, VT_NUM}, {0, 0, 0, 1, VT_NUM}, {1, 2, aid, 0, VT_TEXT},
    {1, 3, 0, 1, VT_TEXT}, {2, 4, aid, 0, VT_TEXT}, {3, 2, 1, 0, VT_BOOL},
    {3, 3, 0, 1, VT_BOOL}, {3, 0, 0, 0, VT_BOOL}, {4, 1, 1, 0, VT_NUM}, {5, 1, 0, 1, VT_NUM},
    {5, 3, 30, 0, VT_NUM},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    assert_int_equal(kernel_part_value(k, 1, cases[i].part, cases[i].unit, &v, &isnull, &t), 0);
    assert_true(v == cases[i].v);
    assert_int_equal(isnull, cases[i].isnull);
    assert_int_equal(t, cases[i].t);
  }
  assert_int_equal(kernel_part_value(k, 1, 6, 0, &v, &isnull, &t), -1);
  assert_int_equal(kernel_part_value(k, 1, 0, 5, &v, &isnull, &t), -1);
  assert_int_equal(kernel_part_value(k, 2, 0, 0, &v, &isnull, &t), -1);
  assert_null(kernel_output(k, 2));
  kernel_free(k);
  program_free(p);
}

/* Inputs left unbound read as null instead of crashing. */
static void test_unbound(void **state) {
  fx *f = *state;
  program *p = program_new(&sc, f->pool);
  af_err e;
  int col;
  assert_int_equal(program_add(p, NULL, "a + 1", VT_ANY, &e, &col), 0);
  assert_int_equal(program_add(p, NULL, "any(age > 1)", VT_ANY, &e, &col), 1);
  const char *names[] = {"b"};
  assert_int_equal(program_bind(p, 0, names, 1, &e), -1);
  kernel *k = kernel_new(p);
  kernel_eval_batch(k, &f->fam.b);
  strbuf s = {0};
  fmt_col(&s, kernel_output(k, 0), 5);
  sb_putc(&s, '|');
  fmt_col(&s, kernel_output(k, 1), 5);
  assert_string_equal(s.s, "N N N N N|0 N N N 0");
  sb_free(&s);
  kernel_free(k);
  program_free(p);
}

/* ---- a naive evaluator, one unit (and member) at a time ---- */

typedef struct nv {
  double v;
  int null;
} nv;

typedef struct nctx {
  const tbatch *t;
  const strpool *pool;
  int u;
} nctx;

static nv ncol(const column *c, int i) { return (nv){c->v[i], c->null[i]}; }

static nv neval(const nctx *c, const expr *x, int m);

static nv nagg(const nctx *c, const expr *x) {
  const char *f = x->str;
  int anyt = 0, anyf = 0, anyn = 0, cnt = 0;
  double acc = 0;
  for (int m = c->t->mstart[c->u]; m < c->t->mstart[c->u + 1]; m++) {
    if (strcmp(f, "count") == 0 && x->nargs == 0) {
      cnt++;
      continue;
    }
    nv a = neval(c, x->args[0], m);
    if (x->nargs == 2) {
      nv fl = neval(c, x->args[1], m);
      if (fl.null || fl.v == 0) continue;
    }
    if (a.null) {
      anyn = 1;
      continue;
    }
    if (a.v != 0) anyt = 1;
    else anyf = 1;
    if (strcmp(f, "count") == 0) cnt += a.v != 0;
    else if (strcmp(f, "min") == 0) acc = cnt++ == 0 || a.v < acc ? a.v : acc;
    else if (strcmp(f, "max") == 0) acc = cnt++ == 0 || a.v > acc ? a.v : acc;
    else acc += a.v, cnt++;
  }
  if (strcmp(f, "any") == 0) return (nv){anyt, !anyt && anyn};
  if (strcmp(f, "none") == 0) return (nv){!anyt, !anyt && anyn};
  if (strcmp(f, "all") == 0) return (nv){!anyf && !anyn, !anyf && anyn};
  if (strcmp(f, "count") == 0) return (nv){cnt, 0};
  if (strcmp(f, "sum") == 0) return (nv){acc, 0};
  if (cnt == 0) return (nv){0, 1};
  return (nv){strcmp(f, "mean") == 0 ? acc / cnt : acc, 0};
}

static nv nname(const nctx *c, const char *s, int m) {
  for (int i = 0; m >= 0 && i < 4; i++)
    if (strcmp(s, mnames[i]) == 0) return ncol(&c->t->mc[i], m);
  for (int i = 0; i < 5; i++)
    if (strcmp(s, unames[i]) == 0) return ncol(&c->t->uc[i], c->u);
  if (strcmp(s, "one") == 0) return (nv){1, 0};
  return (nv){strpool_find(c->pool, "A", 1), 0};   /* capital */
}

static nv ncmp(expr_kind k, nv a, nv b) {
  if (a.null || b.null) return (nv){0, 1};
  double x = a.v, y = b.v;
  int r = k == EX_EQ ? x == y : k == EX_NE ? x != y : k == EX_LT ? x < y
        : k == EX_LE ? x <= y : k == EX_GT ? x > y : x >= y;
  return (nv){r, 0};
}

static nv nand(nv a, nv b) {
  if ((!a.null && a.v == 0) || (!b.null && b.v == 0)) return (nv){0, 0};
  if (a.null || b.null) return (nv){0, 1};
  return (nv){1, 0};
}

static nv nnot(nv a) { return (nv){a.v == 0, a.null}; }
static nv nor(nv a, nv b) { return nnot(nand(nnot(a), nnot(b))); }

static nv neval(const nctx *c, const expr *x, int m) {
  nv a = {0, 0}, b = {0, 0};
  if (x->kind >= EX_ADD && x->kind <= EX_OR) {
    a = neval(c, x->args[0], m);
    b = neval(c, x->args[1], m);
  }
  switch (x->kind) {
  case EX_NUM: case EX_BOOL: return (nv){x->num, 0};
  case EX_STR: return (nv){strpool_find(c->pool, x->str, strlen(x->str)), 0};
  case EX_NULL: return (nv){0, 1};
  case EX_NAME: return nname(c, x->str, m);
  case EX_NEG: a = neval(c, x->args[0], m); return (nv){-a.v, a.null};
  case EX_NOT: return nnot(neval(c, x->args[0], m));
  case EX_ADD: return (nv){a.v + b.v, a.null || b.null};
  case EX_SUB: return (nv){a.v - b.v, a.null || b.null};
  case EX_MUL: return (nv){a.v * b.v, a.null || b.null};
  case EX_DIV: return b.v == 0 ? (nv){0, 1} : (nv){a.v / b.v, a.null || b.null};
  case EX_AND: return nand(a, b);
  case EX_OR: return nor(a, b);
  case EX_IN: case EX_NOTIN: {
    nv r = {0, 0};
    a = neval(c, x->args[0], m);
    for (int i = 1; i < x->nargs; i++) r = nor(r, ncmp(EX_EQ, a, neval(c, x->args[i], m)));
    return x->kind == EX_IN ? r : nnot(r);
  }
  case EX_BETWEEN: case EX_NOTBETWEEN: {
    a = neval(c, x->args[0], m);
    nv r = nand(ncmp(EX_GE, a, neval(c, x->args[1], m)), ncmp(EX_LE, a, neval(c, x->args[2], m)));
    return x->kind == EX_BETWEEN ? r : nnot(r);
  }
  case EX_ISNULL: return (nv){neval(c, x->args[0], m).null, 0};
  case EX_NOTNULL: return (nv){!neval(c, x->args[0], m).null, 0};
  case EX_CALL: return nagg(c, x);
  default: return ncmp(x->kind, a, b);
  }
}

static unsigned rnd(unsigned *s) {
  *s = *s * 1103515245u + 12345u;
  return (*s >> 16) & 0x7fff;
}

/* A value from a small domain, null one time in five. */
static void rfill(unsigned *s, double *v, unsigned char *nul, int n, int domain, int base) {
  for (int i = 0; i < n; i++) {
    nul[i] = rnd(s) % 5 == 0;
    v[i] = nul[i] ? -99 : base + (int)(rnd(s) % (unsigned)domain);
  }
}

static void test_random(void **state) {
  fx *f = *state;
  static const char *rules[] = {
    "a + b * 2 > 3 or p and not q",
    "a / (b - 2) between -1 and 1",
    "(a in (1, b, 3, null)) = p",
    "region in ('A', 'B') and (a - 1) / b < 2 or q is null",
    "any(age > a and sick) or all(inc < b)",
    "none(sex = 'f' or age between a and b)",
    "count(sick) + count() - sum(inc, sex = region) > mean(age, not sick)",
    "min(inc - age) < max(age / inc, inc > a)",
    "not (p or q) = (not p and not q)",
    "a not in (b, 2) or count(age not in (1, 2, a)) > 1",
    "sum(a) - mean(b + inc) * count(inc is not null)",
    "-min(age, age > b) / max(inc)",
  };
  const int nrules = (int)(sizeof rules / sizeof *rules);
  strpool_intern(f->pool, "A", 1);
  strpool_intern(f->pool, "B", 1);
  strpool_intern(f->pool, "f", 1);
  program *p = program_new(&sc, f->pool);
  expr *trees[sizeof rules / sizeof *rules];
  for (int r = 0; r < nrules; r++) {
    af_err e;
    int col;
    if (program_add(p, NULL, rules[r], VT_ANY, &e, &col) < 0) fail_msg("%s: %s", rules[r], e.msg);
    assert_int_equal(expr_parse(rules[r], &trees[r], &e, &col), 0);
  }
  af_err e;
  assert_int_equal(program_bind(p, 0, unames, 5, &e), 0);
  assert_int_equal(program_bind(p, 1, mnames, 4, &e), 0);
  kernel *k = kernel_new(p);
  unsigned seed = 12345;
  for (int round = 0; round < 40; round++) {
    int nu = 1 + (int)(rnd(&seed) % 60);
    int *ms = af_malloc((size_t)(nu + 1) * sizeof *ms);
    ms[0] = 0;
    for (int u = 0; u < nu; u++) ms[u + 1] = ms[u] + (int)(rnd(&seed) % 5);
    tbatch t;
    tb_init(&t, nu, ms);
    rfill(&seed, t.uv[0], t.un[0], nu, 5, -1);
    rfill(&seed, t.uv[1], t.un[1], nu, 5, 0);
    rfill(&seed, t.uv[2], t.un[2], nu, 2, 0);
    rfill(&seed, t.uv[3], t.un[3], nu, 2, 0);
    rfill(&seed, t.uv[4], t.un[4], nu, 3, 0);
    int nm = t.b.nmembers;
    rfill(&seed, t.mv[0], t.mn[0], nm, 6, 0);
    rfill(&seed, t.mv[1], t.mn[1], nm, 6, -2);
    rfill(&seed, t.mv[2], t.mn[2], nm, 2, 0);
    rfill(&seed, t.mv[3], t.mn[3], nm, 3, 2);   /* C, f, m */
    kernel_eval_batch(k, &t.b);
    for (int r = 0; r < nrules; r++) {
      const column *c = kernel_output(k, r);
      for (int u = 0; u < nu; u++) {
        nctx nc = {&t, f->pool, u};
        nv want = neval(&nc, trees[r], -1);
        if (c->null[u] != want.null || (!want.null && fabs(c->v[u] - want.v) > 1e-12))
          fail_msg("%s, round %d unit %d: kernel %s%g, naive %s%g", rules[r], round, u,
                   c->null[u] ? "null " : "", c->v[u], want.null ? "null " : "", want.v);
      }
    }
    tb_free(&t);
    free(ms);
  }
  for (int r = 0; r < nrules; r++) expr_free(trees[r]);
  kernel_free(k);
  program_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_logic, setup, teardown),
    cmocka_unit_test_setup_teardown(test_arithmetic, setup, teardown),
    cmocka_unit_test_setup_teardown(test_comparison, setup, teardown),
    cmocka_unit_test_setup_teardown(test_in_between, setup, teardown),
    cmocka_unit_test_setup_teardown(test_aggregates, setup, teardown),
    cmocka_unit_test_setup_teardown(test_broadcast, setup, teardown),
    cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
    cmocka_unit_test_setup_teardown(test_growth, setup, teardown),
    cmocka_unit_test_setup_teardown(test_parts, setup, teardown),
    cmocka_unit_test_setup_teardown(test_unbound, setup, teardown),
    cmocka_unit_test_setup_teardown(test_random, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
