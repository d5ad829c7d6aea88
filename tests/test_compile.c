/*
** test_compile.c: name resolution, type rules and compile errors
** (compile.c): every message exactly, with its column; inputs, refinement of
** untyped columns, defines, params, rollback of failed rules, binding and
** the parts shown by explain.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "compile.h"

static const name_decl fam[] = {
  {"income", VT_NUM}, {"region", VT_TEXT}, {"has_loan", VT_NUM}, {"misc", VT_ANY},
};
static const name_decl per[] = {
  {"age", VT_NUM}, {"disability_group", VT_NUM}, {"income", VT_NUM}, {"sex", VT_TEXT},
};
static model_param params[] = {
  {.name = "subsistence_minimum", .num = 43407},
  {.name = "capital", .is_text = 1, .text = "Astana"},
};

static const scope sc_full = {
  .unit_table = "families", .unit_cols = fam, .nunit_cols = 4,
  .member_table = "persons", .member_cols = per, .nmember_cols = 4,
  .params = params, .nparams = 2,
};

static const scope sc_nomembers = {
  .unit_table = "families", .unit_cols = fam, .nunit_cols = 4,
  .params = params, .nparams = 2,
};

static const name_decl measure_cols[] = {
  {"income", VT_NUM}, {"deprived:low_income", VT_BOOL}, {"deprived:disability", VT_BOOL},
  {"points:low_income", VT_NUM},
};
static const scope sc_measure = {
  .unit_table = "families", .unit_cols = measure_cols, .nunit_cols = 4,
  .member_table = "persons", .member_cols = per, .nmember_cols = 4,
};

static const scope sc_open = {.unit_table = "families", .member_table = "persons", .open_world = 1};

typedef struct fx {
  strpool *pool;
  program *p;
} fx;

static int setup(void **state) {
  fx *f = af_calloc(1, sizeof *f);
  f->pool = strpool_new();
  f->p = program_new(&sc_full, f->pool);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  program_free(f->p);
  strpool_free(f->pool);
  free(f);
  return 0;
}

/* Compiling text must fail with exactly msg at column col. */
static void fails_in(program *p, const char *text, vtype want, const char *msg, int col) {
  af_err e = {{0}};
  int c = -1;
  assert_int_equal(program_add(p, NULL, text, want, &e, &c), -1);
  assert_string_equal(e.msg, msg);
  assert_int_equal(c, col);
}

static void fails_scope(const scope *sc, const char *text, const char *msg, int col) {
  strpool *pool = strpool_new();
  program *p = program_new(sc, pool);
  fails_in(p, text, VT_BOOL, msg, col);
  assert_int_equal(program_noutputs(p), 0);
  program_free(p);
  strpool_free(pool);
}

static void fails(const char *text, const char *msg, int col) {
  fails_scope(&sc_full, text, msg, col);
}

static int ok(program *p, const char *name, const char *text, vtype want) {
  af_err e = {{0}};
  int c = -1;
  int o = program_add(p, name, text, want, &e, &c);
  if (o < 0) fail_msg("unexpected error: %s", e.msg);
  assert_int_equal(c, 0);
  return o;
}

static void test_names(void **state) {
  (void)state;
  fails("any(disabilty_group > 0)",
        "unknown column 'disabilty_group' in table persons (did you mean 'disability_group'?) "
        "near 'disabilty_group' at column 5", 5);
  fails("incme > 5",
        "unknown column 'incme' in table families (did you mean 'income'?) near 'incme' at column 1", 1);
  fails("zzz > 1", "unknown column 'zzz' in table families near 'zzz' at column 1", 1);
  fails("income > subsistence_minimun",
        "unknown column 'subsistence_minimun' in table families (did you mean "
        "'subsistence_minimum'?) near 'subsistence_minimun' at column 10", 10);
  fails("age > 5",
        "column 'age' of table persons can only be used inside an aggregate such as any(...) "
        "or sum(...) near 'age' at column 1", 1);
  fails("summ(income) > 1",
        "unknown function 'summ' (did you mean 'sum'?) near 'summ(income)' at column 1", 1);
  fails("frobnicate(income)", "unknown function 'frobnicate' near 'frobnicate(income)' at column 1", 1);
  fails("income > 1 and )", "unexpected ')' near ')' at column 16", 16);
}

static void test_aggregate_errors(void **state) {
  (void)state;
  fails_scope(&sc_nomembers, "  any(income > 0)",
              "aggregate 'any' needs a members table: declare members = { table = ..., unit = ... } "
              "near 'any(income > 0)' at column 3", 3);
  fails("any(sum(income) > 0)",
        "aggregate 'sum' cannot be used inside another aggregate ('any') near 'sum(income)' at column 5", 5);
  fails("any(age > 1, age < 5)",
        "any() takes 1 argument (a condition), got 2 near 'any(age > 1, age < 5)' at column 1", 1);
  fails("none()", "none() takes 1 argument (a condition), got 0 near 'none()' at column 1", 1);
  fails("count(age > 1, age, 3) > 1",
        "count() takes 0 or 1 arguments (an optional condition), got 3 near 'count(age > 1, age, 3)' "
        "at column 1", 1);
  fails("sum() > 1",
        "sum() takes 1 or 2 arguments (a number and an optional condition), got 0 near 'sum()' "
        "at column 1", 1);
  fails("sum(sex) > 1", "sum() needs a number, but 'sex' is text at column 5", 5);
  fails("max(age > 3) > 1", "max() needs a number, but 'age > 3' is a condition at column 5", 5);
  fails("any(age)",
        "any() needs a condition (true or false), but 'age' is a number: write age = 1 at column 5", 5);
  fails("count(sex) > 1", "count() needs a condition (true or false), but 'sex' is text at column 7", 7);
  fails("mean(income, age) > 1",
        "the filter of mean() needs a condition (true or false), but 'age' is a number: write age = 1 "
        "at column 14", 14);
}

static void test_result_columns(void **state) {
  (void)state;
  fails("deprived('low_income')",
        "deprived() can only be used in measure rules near 'deprived('low_income')' at column 1", 1);
  fails("points('x') > 1", "points() can only be used in measure rules near 'points('x')' at column 1", 1);
  fails_scope(&sc_measure, "deprived('low_incme')",
              "unknown indicator 'low_incme' in deprived() (did you mean 'low_income'?) near "
              "'deprived('low_incme')' at column 1", 1);
  fails_scope(&sc_measure, "deprived('zzzzzzzzzz')",
              "unknown indicator 'zzzzzzzzzz' in deprived() near 'deprived('zzzzzzzzzz')' at column 1", 1);
  fails_scope(&sc_measure, "deprived(income)",
              "deprived() takes one indicator id in quotes, such as deprived('low_income') near "
              "'deprived(income)' at column 1", 1);
  fails_scope(&sc_measure, "deprived('a', 'b')",
              "deprived() takes one indicator id in quotes, such as deprived('low_income') near "
              "'deprived('a', 'b')' at column 1", 1);
  strpool *pool = strpool_new();
  program *p = program_new(&sc_measure, pool);
  ok(p, NULL, "deprived('low_income') and points('low_income') > 1 or any(deprived('disability'))",
     VT_BOOL);
  assert_int_equal(program_ninputs(p, 0), 3);
  assert_string_equal(program_input(p, 0, 0), "deprived:low_income");
  assert_string_equal(program_input(p, 0, 1), "points:low_income");
  assert_string_equal(program_input(p, 0, 2), "deprived:disability");
  assert_int_equal(program_input_type(p, 0, 1), VT_NUM);
  assert_int_equal(program_ninputs(p, 1), 0);
  program_free(p);
  strpool_free(pool);
}

static void test_types(void **state) {
  (void)state;
  fails("income * 2", "the rule must be a condition (true or false), but 'income * 2' is a number", 1);
  fails("has_loan",
        "the rule must be a condition (true or false), but 'has_loan' is a number: write has_loan = 1", 1);
  fails("region", "the rule must be a condition (true or false), but 'region' is text", 1);
  fails("region < 'A'", "text can only be compared with =, != or in near 'region < 'A'' at column 1", 1);
  fails("'A' >= region", "text can only be compared with =, != or in near ''A' >= region' at column 1", 1);
  fails("(income > 1) < 2",
        "conditions can only be compared with =, != or in near '(income > 1) < 2' at column 1", 1);
  fails("region = 5", "cannot compare text with a number near 'region = 5' at column 1", 1);
  fails("income <> true", "cannot compare a number with a condition near 'income <> true' at column 1", 1);
  fails("region = subsistence_minimum",
        "cannot compare text with a number near 'region = subsistence_minimum' at column 1", 1);
  fails("region = null",
        "a comparison with null is never true: write region is null near 'region = null' at column 1", 1);
  fails("x_ok = 1 or null != income",
        "unknown column 'x_ok' in table families near 'x_ok' at column 1", 1);
  fails("has_loan = 1 or null != income",
        "a comparison with null is never true: write income is not null near 'null != income' at column 17",
        17);
  fails("region in ('A', 5)",
        "cannot compare text with a number in 'in (...)' near '5' at column 17", 17);
  fails("region between 1 and 2", "'between' needs a number, but 'region' is text at column 1", 1);
  fails("income not between 1 and 'x'", "'between' needs a number, but ''x'' is text at column 26", 26);
  fails("income and has_loan = 1",
        "'and' needs a condition (true or false), but 'income' is a number: write income = 1 at column 1", 1);
  fails("has_loan = 1 or region",
        "'or' needs a condition (true or false), but 'region' is text at column 17", 17);
  fails("not region", "'not' needs a condition (true or false), but 'region' is text at column 5", 5);
  fails("region + 1 > 0", "'+' needs a number, but 'region' is text at column 1", 1);
  fails("income / (income > 2) > 0",
        "'/' needs a number, but '(income > 2)' is a condition at column 10", 10);
  fails("-(income > 1) < 0", "'-' needs a number, but '(income > 1)' is a condition at column 2", 2);
  fails("income > 'x'", "text can only be compared with =, != or in near 'income > 'x'' at column 1", 1);
  fails("income > misc and misc = 'a'",
        "cannot compare a number with text near 'misc = 'a'' at column 19", 19);

  strpool *pool = strpool_new();
  program *p = program_new(&sc_full, pool);
  fails_in(p, "income > 1", VT_NUM, "the rule must be a number, but 'income > 1' is a condition", 1);
  fails_in(p, "region", VT_NUM, "the rule must be a number, but 'region' is text", 1);
  assert_int_equal(program_output_type(p, ok(p, NULL, "region", VT_ANY)), VT_TEXT);
  assert_int_equal(program_output_type(p, ok(p, NULL, "income * 2", VT_NUM)), VT_NUM);
  assert_int_equal(program_output_type(p, ok(p, NULL, "null", VT_BOOL)), VT_BOOL);
  assert_int_equal(program_output_type(p, ok(p, NULL, "null", VT_ANY)), VT_NULL);
  assert_int_equal(program_output_type(p, ok(p, NULL, "income + null > 1", VT_BOOL)), VT_BOOL);
  assert_int_equal(program_output_type(p, ok(p, NULL, "region in ('A', null, capital)", VT_BOOL)), VT_BOOL);
  assert_int_equal(program_output_type(p, ok(p, NULL, "region IS NULL", VT_ANY)), VT_BOOL);
  assert_int_equal(program_output_type(p, ok(p, NULL, "SUM(income) / Count()", VT_ANY)), VT_NUM);
  assert_int_equal(program_output_type(p, ok(p, NULL, "none(sex = 'f') = true", VT_ANY)), VT_BOOL);
  program_free(p);
  strpool_free(pool);
}

static void test_defines_params(void **state) {
  fx *f = *state;
  program *p = f->p;
  af_err e;
  int col;
  int pc = ok(p, "per_capita", "sum(income) / count()", VT_ANY);
  assert_int_equal(pc, 0);
  assert_int_equal(program_output_type(p, pc), VT_NUM);
  int adult = ok(p, "adult_age", "18", VT_ANY);
  assert_int_equal(program_output_type(p, adult), VT_NUM);
  assert_int_equal(ok(p, NULL, "per_capita < 0.7 * subsistence_minimum", VT_BOOL), 2);
  assert_int_equal(ok(p, NULL, "any(age >= adult_age and income < per_capita)", VT_BOOL), 3);
  assert_int_equal(ok(p, NULL, "region = capital", VT_BOOL), 4);
  assert_int_equal(program_add(p, "per_capita", "1", VT_ANY, &e, &col), -1);
  assert_string_equal(e.msg, "'per_capita' is defined twice");
  assert_int_equal(col, 0);
  fails_in(p, "per_capita", VT_BOOL,
           "the rule must be a condition (true or false), but 'per_capita' is a number: "
           "write per_capita = 1", 1);
  fails_in(p, "per_capta > 1", VT_BOOL,
           "unknown column 'per_capta' in table families (did you mean 'per_capita'?) "
           "near 'per_capta' at column 1", 1);
  /* a define shadows a column of the same name */
  ok(p, "has_loan", "region = 'x'", VT_ANY);
  ok(p, NULL, "has_loan", VT_BOOL);
  assert_int_equal(program_noutputs(p), 7);
  /* inputs in first-use order; unused columns are not read */
  assert_int_equal(program_ninputs(p, 0), 1);
  assert_string_equal(program_input(p, 0, 0), "region");
  assert_int_equal(program_input_type(p, 0, 0), VT_TEXT);
  assert_int_equal(program_ninputs(p, 1), 2);
  assert_string_equal(program_input(p, 1, 0), "income");
  assert_string_equal(program_input(p, 1, 1), "age");
  assert_null(program_input(p, 1, 2));
  assert_int_equal(program_input_type(p, 1, 2), VT_ANY);
  assert_int_equal(program_input_col(p, 1, 0), -1);
}

/* A failed rule leaves no trace: inputs, refinements and outputs are undone. */
static void test_rollback(void **state) {
  fx *f = *state;
  program *p = f->p;
  ok(p, NULL, "income > 1", VT_BOOL);
  fails_in(p, "misc = 1 and any(sex = 'f') and has_loan = 1 and zz", VT_BOOL,
           "unknown column 'zz' in table families near 'zz' at column 50", 50);
  assert_int_equal(program_noutputs(p), 1);
  assert_int_equal(program_ninputs(p, 0), 1);
  assert_int_equal(program_ninputs(p, 1), 0);
  /* misc (no declared type) was not refined to a number by the failed rule */
  ok(p, NULL, "misc = 'a'", VT_BOOL);
  assert_int_equal(program_ninputs(p, 0), 2);
  assert_int_equal(program_input_type(p, 0, 1), VT_TEXT);
  fails_in(p, "misc > 1", VT_BOOL, "text can only be compared with =, != or in near 'misc > 1' at column 1", 1);
}

static void test_open_world(void **state) {
  (void)state;
  strpool *pool = strpool_new();
  program *p = program_new(&sc_open, pool);
  ok(p, NULL, "any(age > 18) and region = 'A'", VT_BOOL);
  ok(p, NULL, "flag", VT_BOOL);
  ok(p, "n", "count(sick)", VT_ANY);
  ok(p, NULL, "sum(pay) / n", VT_NUM);
  ok(p, NULL, "u = v", VT_BOOL);
  ok(p, NULL, "w", VT_NUM);
  assert_int_equal(program_ninputs(p, 0), 5);
  const char *un[] = {"region", "flag", "u", "v", "w"};
  const vtype ut[] = {VT_TEXT, VT_BOOL, VT_ANY, VT_ANY, VT_NUM};
  for (int i = 0; i < 5; i++) {
    assert_string_equal(program_input(p, 0, i), un[i]);
    assert_int_equal(program_input_type(p, 0, i), ut[i]);
  }
  assert_int_equal(program_ninputs(p, 1), 3);
  const char *mn[] = {"age", "sick", "pay"};
  const vtype mt[] = {VT_NUM, VT_BOOL, VT_NUM};
  for (int i = 0; i < 3; i++) {
    assert_string_equal(program_input(p, 1, i), mn[i]);
    assert_int_equal(program_input_type(p, 1, i), mt[i]);
  }
  fails_in(p, "region > 1", VT_BOOL,
           "text can only be compared with =, != or in near 'region > 1' at column 1", 1);
  fails_in(p, "w in ('a')", VT_BOOL, "cannot compare a number with text in 'in (...)' near ''a'' at column 7", 7);
  program_free(p);
  strpool_free(pool);
}

static void test_bind(void **state) {
  fx *f = *state;
  program *p = f->p;
  af_err e;
  ok(p, NULL, "income > 1 and any(age > 1) and region = 'A'", VT_BOOL);
  const char *u1[] = {"x", "region", "income"};
  assert_int_equal(program_bind(p, 0, u1, 3, &e), 0);
  assert_int_equal(program_input_col(p, 0, 0), 2);
  assert_int_equal(program_input_col(p, 0, 1), 1);
  const char *m1[] = {"income"};
  assert_int_equal(program_bind(p, 1, m1, 1, &e), -1);
  assert_string_equal(e.msg, "column 'age' of table persons is not among the columns read");
  const char *u2[] = {"income"};
  assert_int_equal(program_bind(p, 0, u2, 1, &e), -1);
  assert_string_equal(e.msg, "column 'region' of table families is not among the columns read");
}

static void test_parts(void **state) {
  fx *f = *state;
  program *p = f->p;
  const char *const *t;
  int n = -1;
  ok(p, "pc", "sum(income) / count()", VT_ANY);
  int o = ok(p, NULL,
             "pc < 0.7 * subsistence_minimum and (region = 'A' or sum(income) > 0) and "
             "any(age > 60 and income < pc) and sum( income ) > 1 and income > 0",
             VT_BOOL);
  assert_int_equal(program_rule_parts(p, o, &t, &n), 0);
  const char *want[] = {"pc", "subsistence_minimum", "region", "sum(income)",
                        "any(age > 60 and income < pc)", "sum( income )", "income"};
  assert_int_equal(n, 7);
  for (int i = 0; i < n; i++) assert_string_equal(t[i], want[i]);
  assert_int_equal(program_part_type(p, o, 0), VT_NUM);
  assert_int_equal(program_part_type(p, o, 2), VT_TEXT);
  assert_int_equal(program_part_type(p, o, 4), VT_BOOL);
  assert_int_equal(program_part_type(p, o, 7), VT_ANY);
  assert_int_equal(program_part_reg(p, o, 7), -1);
  assert_int_equal(program_rule_parts(p, 0, &t, &n), 0);
  assert_int_equal(n, 2);
  assert_string_equal(t[0], "sum(income)");
  assert_string_equal(t[1], "count()");
  assert_int_equal(program_rule_parts(p, 2, &t, &n), -1);
  assert_int_equal(program_rule_parts(p, -1, &t, &n), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_names),
    cmocka_unit_test(test_aggregate_errors),
    cmocka_unit_test(test_result_columns),
    cmocka_unit_test(test_types),
    cmocka_unit_test_setup_teardown(test_defines_params, setup, teardown),
    cmocka_unit_test_setup_teardown(test_rollback, setup, teardown),
    cmocka_unit_test(test_open_world),
    cmocka_unit_test_setup_teardown(test_bind, setup, teardown),
    cmocka_unit_test_setup_teardown(test_parts, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
