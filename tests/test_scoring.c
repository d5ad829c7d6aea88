/*
** test_scoring.c: compiled rules, the scorer and the measure on batches built
** by hand (no SQLite): missing policies, first-match cases, bands from
** -infinity, exact identification, sampling and people weights, and phase-2
** measure rules that read each unit's results.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "measure.h"
#include "method.h"
#include "rules.h"
#include "score.h"

typedef struct fixture {
  model *m;
  strpool *pool;
  rules *r;
  scorer *s;
  measure *ms;
} fixture;

/* Load Lua text as a methodology and compile it without a schema. */
static void setup(fixture *f, const char *name, const char *lua) {
  memset(f, 0, sizeof *f);
  h_write(h_path(name), lua);
  diag_list d = {0};
  int rc = method_load(h_path(name), NULL, &f->m, &d);
  for (int i = 0; i < d.n; i++) print_error("%s:%d: %s\n", d.v[i].file, d.v[i].line, d.v[i].msg);
  assert_int_equal(rc, 0);
  f->pool = strpool_new();
  rc = rules_compile(f->m, NULL, f->pool, &f->r, &d);
  for (int i = 0; i < d.n; i++) print_error("%s:%d: %s\n", d.v[i].file, d.v[i].line, d.v[i].msg);
  assert_int_equal(rc, 0);
  f->s = scorer_new(f->r);
  f->ms = measure_new(f->r);
  diag_free(&d);
}

static void teardown(fixture *f) {
  measure_free(f->ms);
  scorer_free(f->s);
  rules_free(f->r);
  strpool_free(f->pool);
  model_free(f->m);
}

/* A batch of n units with one unit column x (NaN = null) and no members. */
typedef struct one_col {
  batch b;
  column c;
  int mstart[16];
  double v[16];
  unsigned char null[16];
} one_col;

static void make_batch(one_col *o, const double *x, int n) {
  memset(o, 0, sizeof *o);
  for (int i = 0; i < n; i++) {
    o->null[i] = isnan(x[i]);
    o->v[i] = isnan(x[i]) ? 0 : x[i];
  }
  o->c.v = o->v;
  o->c.null = o->null;
  o->b.nunits = n;
  o->b.mstart = o->mstart;
  o->b.ucols = &o->c;
  o->b.nucols = 1;
}

static void bind_x(fixture *f) {
  const char *names[] = {"x"};
  af_err e;
  assert_int_equal(scorer_bind(f->s, names, 1, NULL, 0, &e), 0);
}

static void test_missing_policies(void **state) {
  (void)state;
  fixture f;
  setup(&f, "miss.lua",
        "return { name = 'm', version = '1', unit = { table = 'u', id = 'id' },\n"
        "  dimensions = { { id = 'd', indicators = {\n"
        "    { id = 'ex', deprived = 'x > 1' },\n"
        "    { id = 'dep', deprived = 'x > 2', missing = 'deprived' },\n"
        "    { id = 'nd', deprived = 'x > 3', missing = 'not_deprived' } } } },\n"
        "  k = 1/3 }\n");
  bind_x(&f);
  one_col o;
  const double x[] = {0, 2.5, 5, NAN};
  make_batch(&o, x, 4);
  scorer_eval_batch(f.s, &o.b);
  /* x = 0: nothing; 2.5: ex, dep; 5: all three; null: excluded by 'ex'. */
  assert_int_equal(f.s->excluded[0], 0);
  assert_true(f.s->score[0] == 0);
  assert_true(f.s->score[1] == 2.0 / 3);
  assert_true(f.s->score[2] == 1);
  assert_int_equal(f.s->excluded[3], 1);
  assert_int_equal(f.s->band[3], -1);
  assert_true(isnan(f.s->score[3]));
  assert_int_equal(f.s->poor[1], 1);
  assert_int_equal(f.s->poor[0], 0);
  /* The null unit: every rule was null; 'dep' counts as deprived. */
  assert_int_equal(scorer_isnull(f.s, 3, 0), 1);
  assert_int_equal(scorer_case(f.s, 3, 1), 0);
  assert_int_equal(scorer_case(f.s, 3, 2), SCORE_NONE);
  af_err e;
  assert_int_equal(measure_add_batch(f.ms, f.s, &o.b, NULL, NULL, NULL, &e), 0);
  figures fg = measure_figures(&f.ms->all);
  assert_true(fg.n == 3);
  assert_int_equal(f.ms->all.excluded, 1);
  assert_int_equal(f.ms->all.excl_by[0], 1);
  assert_int_equal(f.ms->all.missing[1], 1);
  assert_true(fabs(fg.H - 2.0 / 3) < 1e-15);
  assert_true(fabs(fg.A - (2.0 / 3 + 1) / 2) < 1e-15);
  teardown(&f);
}

static void test_points_cases(void **state) {
  (void)state;
  fixture f;
  setup(&f, "pts.lua",
        "return { name = 'p', version = '1', scoring = 'points',\n"
        "  unit = { table = 'u', id = 'id' },\n"
        "  dimensions = { { id = 'a', indicators = {\n"
        "    { id = 'inc', points = {\n"
        "        { when = 'x is null or x <= 0', points = 0 },\n"
        "        { when = 'x < 1', points = 40 },\n"
        "        { when = 'x < 4', points = 170 },\n"
        "        { points = 620 } } },\n"
        "    { id = 'debt', when = 'x < 0', points = -500 } } } },\n"
        "  bands = { { id = 'E', from = -math.huge }, { id = 'D', from = -459 },\n"
        "            { id = 'C', from = -30 }, { id = 'B', from = 730 } } }\n");
  bind_x(&f);
  one_col o;
  const double x[] = {NAN, -1, 0.5, 3.9, 4, 1e9};
  make_batch(&o, x, 6);
  scorer_eval_batch(f.s, &o.b);
  const double want[] = {0, -500, 40, 170, 620, 620};
  const char *cat[] = {"C", "E", "C", "C", "C", "C"};
  for (int u = 0; u < 6; u++) {
    assert_true(f.s->score[u] == want[u]);
    assert_string_equal(f.m->bands[f.s->band[u]].id, cat[u]);
    assert_int_equal(f.s->excluded[u], 0);
  }
  /* A null condition in a points methodology simply does not hold. */
  assert_int_equal(scorer_case(f.s, 0, 0), 0);
  assert_int_equal(scorer_case(f.s, 1, 1), 0);
  assert_int_equal(scorer_case(f.s, 2, 1), SCORE_NONE);
  teardown(&f);
}

static void test_exact_thirtieths(void **state) {
  (void)state;
  fixture f;
  setup(&f, "thirty.lua",
        "local inds = {}\n"
        "for i = 1, 30 do inds[i] = { id = 'd' .. i, deprived = 'x >= ' .. i } end\n"
        "return { name = 't', version = '1', unit = { table = 'u', id = 'id' },\n"
        "  dimensions = { { id = 'all', indicators = inds } }, k = 1/5,\n"
        "  bands = { { id = 'A', from = 0 }, { id = 'B', from = 0.2 }, { id = 'C', from = 7/30 } } }\n");
  assert_int_equal(f.r->exact, 1);
  assert_int_equal(f.r->L, 30);
  bind_x(&f);
  one_col o;
  const double x[] = {5, 6, 7, 30};
  make_batch(&o, x, 4);
  scorer_eval_batch(f.s, &o.b);
  assert_int_equal(f.s->poor[0], 0);
  assert_int_equal(f.s->poor[1], 1);   /* six 1/30 reach k = 1/5 */
  assert_string_equal(f.m->bands[f.s->band[1]].id, "B");
  assert_string_equal(f.m->bands[f.s->band[2]].id, "C");
  assert_true(f.s->score[1] == 0.2);
  assert_true(f.s->score[3] == 1);
  teardown(&f);
}

static void test_weights_and_measures(void **state) {
  (void)state;
  fixture f;
  setup(&f, "meas.lua",
        "return { name = 'w', version = '1', unit = { table = 'u', id = 'id', weight = 'w' },\n"
        "  dimensions = { { id = 'd', indicators = {\n"
        "    { id = 'low', deprived = 'x < 10', weight = 1/2 },\n"
        "    { id = 'tiny', deprived = 'x < 5', weight = 1/2 } } } },\n"
        "  k = 1/2,\n"
        "  bands = { { id = 'A', from = 0 }, { id = 'D', from = 1/2 }, { id = 'E', from = 1 } },\n"
        "  measures = {\n"
        "    { id = 'visit', name = 'Visit', eligible = \"category = 'E'\" },\n"
        "    { id = 'tsa', name = 'TSA', eligible = \"deprived('low') and score < 1\" } } }\n");
  const char *names[] = {"x", "w"};
  af_err e;
  assert_int_equal(scorer_bind(f.s, names, 2, NULL, 0, &e), 0);
  /* Two columns: x and the sampling weight w. */
  double xv[] = {20, 7, 1}, wv[] = {1, 2, 3};
  unsigned char nul[3] = {0};
  column cols[2] = {{xv, nul}, {wv, nul}};
  int mstart[4] = {0};
  batch b = {3, 0, mstart, cols, 2, NULL, 0};
  scorer_eval_batch(f.s, &b);
  assert_int_equal(f.s->eligible[0], 0);
  assert_int_equal(f.s->eligible[1], 2);   /* tsa only */
  assert_int_equal(f.s->eligible[2], 1);   /* visit only: score 1 */
  assert_int_equal(measure_add_batch(f.ms, f.s, &b, &cols[1], NULL, NULL, &e), 0);
  figures fg = measure_figures(&f.ms->all);
  /* n = 6; poor: units 2 (w 2, c 1/2) and 3 (w 3, c 1): H = 5/6, A = (1 + 3)/5. */
  assert_true(fg.n == 6);
  assert_true(fabs(fg.H - 5.0 / 6) < 1e-15);
  assert_true(fabs(fg.A - 0.8) < 1e-15);
  assert_true(fabs(fg.M0 - 4.0 / 6) < 1e-15);
  assert_int_equal(f.ms->all.benefit_units[0], 1);
  assert_int_equal(f.ms->all.benefit_units[1], 1);
  /* A negative weight is an error naming the unit. */
  double bad[] = {1, -1, 1};
  column cb[2] = {{xv, nul}, {bad, nul}};
  batch b2 = {3, 0, mstart, cb, 2, NULL, 0};
  scorer_eval_batch(f.s, &b2);
  const char *ids[] = {"u1", "u2", "u3"};
  assert_int_equal(measure_add_batch(f.ms, f.s, &b2, &cb[1], NULL, ids, &e), -1);
  assert_string_equal(e.msg, "unit 'u2': sampling weight w is negative or not finite; "
                             "weights must be numbers >= 0");
  teardown(&f);
}

/* The lightest single flip that moves a unit across a band bound, by hand:
** a = 1/2 (x > 1), b = 1/4 (x > 2), c = 1/4 (x > 3); bands A 0, B 1/2, C 3/4,
** D 1. x = 0 scores 0 (A), 1.5 scores 1/2 (B), 2.5 scores 3/4 (C), 5 scores
** 1 (D). Up from A only a reaches 1/2; up from B b or c reach 3/4 (equal
** weights: the first); down from B dropping a gives 0; up from C only c is
** left (1); down from C dropping b gives 1/2 < 3/4 (a too, but heavier);
** down from D any drop leaves 3/4 < 1, b is the lightest first. */
static void test_lightest_flip(void **state) {
  (void)state;
  fixture f;
  setup(&f, "flip.lua",
        "return { name = 'f', version = '1', unit = { table = 'u', id = 'id' },\n"
        "  dimensions = { { id = 'd', indicators = {\n"
        "    { id = 'a', weight = 1/2, deprived = 'x > 1' },\n"
        "    { id = 'b', weight = 1/4, deprived = 'x > 2' },\n"
        "    { id = 'c', weight = 1/4, deprived = 'x > 3' } } } },\n"
        "  k = 1/2,\n"
        "  bands = { { id = 'A', from = 0 }, { id = 'B', from = 1/2 },\n"
        "            { id = 'C', from = 3/4 }, { id = 'D', from = 1 } } }\n");
  bind_x(&f);
  one_col o;
  const double x[] = {0, 1.5, 2.5, 5};
  make_batch(&o, x, 4);
  scorer_eval_batch(f.s, &o.b);
  for (int u = 0; u < 4; u++) assert_int_equal(f.s->band[u], u);
  assert_int_equal(scorer_lightest_flip(f.s, 0, 1), 0);
  assert_int_equal(scorer_lightest_flip(f.s, 1, 1), 1);
  assert_int_equal(scorer_lightest_flip(f.s, 1, -1), 0);
  assert_int_equal(scorer_lightest_flip(f.s, 2, 1), 2);
  assert_int_equal(scorer_lightest_flip(f.s, 2, -1), 1);
  assert_int_equal(scorer_lightest_flip(f.s, 3, -1), 1);
  teardown(&f);
  /* Three thirds and one bound at 1: no single flip gets there from 0. */
  setup(&f, "noflip.lua",
        "return { name = 'n', version = '1', unit = { table = 'u', id = 'id' },\n"
        "  dimensions = { { id = 'd', indicators = {\n"
        "    { id = 'p', weight = 1/3, deprived = 'x > 1' },\n"
        "    { id = 'q', weight = 1/3, deprived = 'x > 2' },\n"
        "    { id = 'r', weight = 1/3, deprived = 'x > 3' } } } },\n"
        "  k = 1/3, bands = { { id = 'A', from = 0 }, { id = 'B', from = 1 } } }\n");
  bind_x(&f);
  const double z[] = {0};
  make_batch(&o, z, 1);
  scorer_eval_batch(f.s, &o.b);
  assert_int_equal(f.s->band[0], 0);
  assert_int_equal(scorer_lightest_flip(f.s, 0, 1), -1);
  teardown(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_missing_policies),
      cmocka_unit_test(test_points_cases),
      cmocka_unit_test(test_exact_thirtieths),
      cmocka_unit_test(test_weights_and_measures),
      cmocka_unit_test(test_lightest_flip),
  };
  return cmocka_run_group_tests_name("scoring", tests, NULL, NULL);
}
