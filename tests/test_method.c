/*
** test_method.c: loading methodologies into the model: fields, defaults,
** weights, and every validation rule with its exact message and line;
** import() and its refusals; sources served by a reader callback.
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

#include "method.h"
#include "srcmap.h"

/* ---- sources served from memory ---- */

typedef struct served {
  const char *name, *text;
} served;

static served srv[4];
static int nsrv, reader_calls;

static int serve(void *ctx, const char *name, char **text, size_t *len, char **path) {
  reader_calls++;
  for (int i = 0; i < nsrv; i++)
    if (strcmp(srv[i].name, name) == 0) {
      *text = af_strdup(srv[i].text);
      *len = strlen(srv[i].text);
      *path = af_sprintf("mem:%s", name);
      return 0;
    }
  return -1;
}

/* The scripts' wall-clock limit, far out of the way: a test meets only the
** limit it is about (instructions and memory are counted, so which one comes
** first does not depend on how busy the machine is). */
#define TEST_SECONDS 600
static const method_opts unhurried = {.max_seconds = TEST_SECONDS};

static int load_src(const char *src, model **m, diag_list *d) {
  nsrv = 1;
  srv[0] = (served){"m.lua", src};
  method_opts o = {.reader = serve, .max_seconds = TEST_SECONDS};
  return method_load("m.lua", &o, m, d);
}

/* All diags, sorted, one "FILE:LINE: message" per line. */
static char *diag_text(diag_list *d) {
  diag_sort(d);
  strbuf b = {0};
  for (int i = 0; i < d->n; i++) sb_printf(&b, "%s:%d: %s\n", d->v[i].file, d->v[i].line, d->v[i].msg);
  return sb_take(&b);
}

static void expect_diags(const char *src, const char *want) {
  model *m = (model *)1;
  diag_list d = {0};
  assert_int_equal(load_src(src, &m, &d), -1);
  assert_null(m);
  char *got = diag_text(&d);
  assert_string_equal(got, want);
  free(got);
  diag_free(&d);
}

static model *expect_ok(const char *src) {
  model *m = NULL;
  diag_list d = {0};
  int rc = load_src(src, &m, &d);
  char *got = diag_text(&d);
  if (rc != 0) fail_msg("unexpected errors:\n%s", got);
  assert_string_equal(got, "");
  free(got);
  diag_free(&d);
  assert_non_null(m);
  return m;
}

static char *fixture(const char *name) {
  const char *root = getenv("AFSCORE_ROOT");
  return af_sprintf("%s/tests/fixtures/methods/%s", root ? root : ".", name);
}

/* Lines 1-3 of most inline sources. */
#define HEAD \
  "return {\n" \
  "  name = 'T', version = 1,\n" \
  "  unit = { table = 'families', id = 'family_id' },\n"
/* A valid AF tail: lines N..N+4 after whatever comes before. */
#define DIMS1 \
  "  dimensions = {\n" \
  "    { id = 'd', indicators = { { id = 'i', deprived = 'x > 1' } } },\n" \
  "  },\n"

/* ---- whole files ---- */

static void test_example_fixture(void **st) {
  char *path = fixture("example.lua");
  model *m = NULL;
  diag_list d = {0};
  assert_int_equal(method_load(path, &unhurried, &m, &d), 0);
  assert_int_equal(d.n, 0);
  assert_string_equal(m->file, path);
  assert_string_equal(m->name, "Family well-being, example");
  assert_string_equal(m->version, "2024.1");
  assert_int_equal(m->scoring, SCORING_AF);
  assert_string_equal(m->unit_table, "families");
  assert_string_equal(m->unit_id, "family_id");
  assert_string_equal(m->unit_weight, "sample_weight");
  assert_int_equal(m->ngroups, 2);
  assert_string_equal(m->groups[0], "region");
  assert_string_equal(m->groups[1], "urban");
  assert_int_equal(m->unit_line, 6);
  assert_string_equal(m->member_table, "persons");
  assert_string_equal(m->member_unit, "family_id");
  assert_int_equal(m->members_line, 9);
  assert_int_equal(m->population_members, 0);
  /* params and defines ordered by line, then name */
  assert_int_equal(m->nparams, 2);
  assert_string_equal(m->params[0].name, "region_name");
  assert_int_equal(m->params[0].is_text, 1);
  assert_string_equal(m->params[0].text, "Almaty");
  assert_string_equal(m->params[1].name, "subsistence_minimum");
  assert_int_equal(m->params[1].is_text, 0);
  assert_true(m->params[1].num == 43407);
  assert_int_equal(m->params[1].line, 13);
  assert_int_equal(m->ndefines, 2);
  assert_string_equal(m->defines[0].name, "per_capita");
  assert_string_equal(m->defines[0].expr, "sum(income) / count()");
  assert_int_equal(m->defines[0].line, 15);
  assert_string_equal(m->defines[1].name, "adults");
  assert_int_equal(m->defines[1].line, 16);
  /* dimensions and indicators, with lines */
  assert_int_equal(m->ndims, 3);
  assert_string_equal(m->dims[1].id, "health");
  assert_string_equal(m->dims[1].name, "Health");
  assert_true(m->dims[1].weight == 0.25);
  assert_int_equal(m->dims[1].line, 24);
  assert_int_equal(m->ninds, 5);
  model_indicator *x = &m->inds[0];
  assert_string_equal(x->id, "low_income");
  assert_string_equal(x->name, "Per-capita income below 70% of subsistence minimum");
  assert_int_equal(x->dim, 0);
  assert_true(x->weight == 0.25);
  assert_int_equal(x->line, 21);
  assert_int_equal(x->rule_line, 22);
  assert_int_equal(x->ncases, 1);
  assert_string_equal(x->cases[0].when, "per_capita < 0.7 * subsistence_minimum");
  assert_true(x->cases[0].amount == 0.25);
  assert_int_equal(x->cases[0].line, 22);
  assert_int_equal(m->inds[2].missing, MISSING_DEPRIVED);
  assert_int_equal(m->inds[1].missing, MISSING_EXCLUDE);
  assert_string_equal(m->inds[2].name, "no_clinic");
  /* education: one weight given, the other gets the rest of 1/2 */
  assert_true(m->inds[3].weight == 0.3);
  assert_int_equal(m->inds[3].weight_given, 1);
  assert_true(m->inds[4].weight == 0.5 - 0.3);
  assert_int_equal(m->inds[4].weight_given, 0);
  assert_true(m->k == 1.0 / 3);
  assert_int_equal(m->k_line, 35);
  assert_int_equal(m->nbands, 5);
  assert_string_equal(m->bands[2].id, "C");
  assert_string_equal(m->bands[2].name, "unsatisfactory");
  assert_true(m->bands[2].from == 1.0 / 3);
  assert_int_equal(m->bands[2].line, 40);
  assert_int_equal(m->missing, MISSING_EXCLUDE);
  assert_int_equal(m->nbenefits, 1);
  assert_string_equal(m->benefits[0].id, "tsa");
  assert_string_equal(m->benefits[0].eligible, "per_capita < subsistence_minimum");
  assert_int_equal(m->benefits[0].line, 48);
  assert_int_equal(m->benefits[0].nnotices, 2);
  assert_string_equal(m->benefits[0].notices[0].lang, "kk");
  assert_string_equal(m->benefits[0].notices[1].lang, "ru");
  assert_string_equal(m->benefits[0].notices[1].text, "Вы можете получить АСП");
  /* the file itself, hashed */
  assert_int_equal(m->nfiles, 1);
  assert_string_equal(m->files[0].name, path);
  assert_string_equal(m->files[0].path, path);
  char *text;
  size_t len;
  af_err e;
  assert_int_equal(af_read_file(path, &text, &len, &e), 0);
  char sha[65];
  af_sha256_hex(text, len, sha);
  assert_int_equal(m->files[0].len, len);
  assert_memory_equal(m->files[0].text, text, len);
  assert_string_equal(m->files[0].sha256, sha);
  free(text);
  model_free(m);
  free(path);
}

static void test_many_errors_all_reported(void **st) {
  char *path = fixture("errors.lua");
  model *m = NULL;
  diag_list d = {0};
  assert_int_equal(method_load(path, &unhurried, &m, &d), -1);
  assert_null(m);
  char *got = diag_text(&d);
  char *want = af_sprintf(
      "%1$s:7: unknown field 'populaton' (did you mean 'population'?)\n"
      "%1$s:8: missing must be \"exclude\", \"deprived\" or \"not_deprived\", got 'deprivd' "
      "(did you mean 'deprived'?)\n"
      "%1$s:9: k must be a number in (0, 1], got 1.5\n"
      "%1$s:12: indicator 'low_income': unknown field 'weigth' (did you mean 'weight'?)\n"
      "%1$s:15: duplicate indicator id 'low_income' (first defined at line 12)\n"
      "%1$s:17: indicator 'sick': deprived must be a string, got 42\n"
      "%1$s:23: bands must be in ascending order: 'C' (from 0.3) comes after 'B' (from 0.4)\n"
      "%1$s:24: band 'D': from must be between 0 and 1, got 1.5\n",
      path);
  assert_string_equal(got, want);
  free(got);
  free(want);
  diag_free(&d);
  free(path);
}

static void test_points_fixture(void **st) {
  char *path = fixture("points.lua");
  model *m = NULL;
  diag_list d = {0};
  assert_int_equal(method_load(path, &unhurried, &m, &d), 0);
  assert_int_equal(m->scoring, SCORING_POINTS);
  assert_string_equal(m->version, "2023");
  assert_int_equal(m->k_line, 0);
  assert_int_equal(m->missing, MISSING_NOT_DEPRIVED);
  assert_int_equal(m->ninds, 3);
  model_indicator *x = &m->inds[0];
  assert_int_equal(x->ncases, 3);
  assert_string_equal(x->cases[0].when, "sum(income) / count() >= 4 * pm");
  assert_true(x->cases[0].amount == 620);
  assert_int_equal(x->cases[0].line, 12);
  assert_true(x->cases[1].amount == 170);
  assert_null(x->cases[2].when);
  assert_true(x->cases[2].amount == 0);
  assert_int_equal(x->cases[2].line, 14);
  assert_int_equal(x->rule_line, 11);
  assert_true(x->weight == 0);
  assert_int_equal(x->missing, MISSING_NOT_DEPRIVED);
  x = &m->inds[1];
  assert_int_equal(x->ncases, 1);
  assert_string_equal(x->cases[0].when, "has_loan = 1");
  assert_true(x->cases[0].amount == 50);
  assert_int_equal(x->dim, 0);
  assert_int_equal(m->inds[2].dim, 1);
  assert_int_equal(m->inds[2].missing, MISSING_EXCLUDE);
  assert_string_equal(m->dims[0].name, "Income and credit");
  assert_int_equal(m->nbands, 5);
  assert_true(isinf(m->bands[0].from) && m->bands[0].from < 0);
  assert_true(m->bands[4].from == 1800);
  model_free(m);
  free(path);
}

/* ---- top level ---- */

static void test_must_return_table(void **st) {
  expect_diags("return 42\n", "m.lua:0: the methodology must return a table, got 42\n");
  expect_diags("local x = 1\n", "m.lua:1: the methodology returns nothing: end it with "
                                "`return { ... }` (a methodology must return its table)\n");
}

static void test_missing_name(void **st) {
  expect_diags("return {\n  version = 1,\n  unit = { table = 'f', id = 'i' },\n" DIMS1
               "  k = 0.5,\n}\n",
               "m.lua:1: missing required field 'name' (the methodology's title)\n");
  expect_diags("return {\n  name = '', version = {},\n  unit = { table = 'f', id = 'i' },\n" DIMS1
               "  k = 0.5,\n}\n",
               "m.lua:2: name must not be empty\n"
               "m.lua:2: version must be a string or a number, got a table\n");
}

static void test_unknown_top_field(void **st) {
  expect_diags(HEAD DIMS1 "  k = 0.5,\n  mising = 'deprived',\n  colour = 'red',\n}\n",
               "m.lua:8: unknown field 'mising' (did you mean 'missing'?)\n"
               "m.lua:9: unknown field 'colour' (allowed: name, version, scoring, unit, members, "
               "population, params, define, dimensions, k, bands, missing, measures)\n");
}

static void test_scoring_and_population(void **st) {
  expect_diags(HEAD DIMS1 "  k = 0.5,\n  scoring = 'pionts',\n  population = 'people',\n}\n",
               "m.lua:8: scoring must be \"af\" or \"points\", got 'pionts' (did you mean "
               "'points'?)\n"
               "m.lua:9: population must be \"units\" or \"members\", got 'people'\n");
  expect_diags(HEAD DIMS1 "  k = 0.5,\n  population = 'members',\n}\n",
               "m.lua:8: population = \"members\" needs a members table (members = { table = "
               "..., unit = ... })\n");
}

static void test_unit_and_members(void **st) {
  expect_diags("return {\n  name = 'T', version = 1,\n" DIMS1 "  k = 0.5,\n}\n",
               "m.lua:1: missing required field 'unit' (where the data is: unit = { table = "
               "\"families\", id = \"family_id\" })\n");
  expect_diags(HEAD "  members = { table = 'persons' },\n" DIMS1 "  k = 0.5,\n}\n",
               "m.lua:4: members: missing required field 'unit' (the column of the members "
               "table that holds the unit id)\n");
  expect_diags("return {\n  name = 'T', version = 1,\n  unit = { tabel = 'f', id = 3,\n"
               "    groups = 'region' },\n" DIMS1 "  k = 0.5,\n}\n",
               "m.lua:3: unit: unknown field 'tabel' (did you mean 'table'?)\n"
               "m.lua:3: unit: id must be a string, got 3\n"
               "m.lua:4: unit: groups must be a list of column names { \"region\", ... }, got "
               "'region'\n");
}

static void test_params_and_define(void **st) {
  model *m = expect_ok(HEAD DIMS1 "  k = 0.5,\n  params = { pm = 100, city = 'Almaty' },\n"
                       "  define = {\n    b = 'pm * 2',\n    a = 'b + 1',\n  },\n}\n");
  assert_int_equal(m->nparams, 2);
  assert_string_equal(m->params[0].name, "city");
  assert_int_equal(m->params[0].line, 8);
  assert_int_equal(m->ndefines, 2);
  assert_string_equal(m->defines[0].name, "b");
  assert_int_equal(m->defines[0].line, 10);
  assert_string_equal(m->defines[1].name, "a");
  assert_string_equal(m->defines[1].expr, "b + 1");
  assert_int_equal(m->defines[1].line, 11);
  model_free(m);
  expect_diags(HEAD DIMS1 "  k = 0.5,\n  params = { pm = 100, ['2x'] = 1,\n    nan = 0/0, t = {} },\n"
               "  define = {\n    pm = 'x + 1',\n    ok = 3,\n  },\n}\n",
               "m.lua:8: param '2x': a name must be a word of letters, digits and _ (not "
               "starting with a digit, not a reserved word)\n"
               "m.lua:9: param 'nan' must be a finite number or a string, got nan\n"
               "m.lua:9: param 't' must be a finite number or a string, got a table\n"
               "m.lua:11: define 'pm': the name is already used by a param\n"
               "m.lua:12: define 'ok' must be an expression string, got a number\n");
}

/* ---- dimensions and indicators ---- */

static void test_unknown_indicator_field(void **st) {
  expect_diags(HEAD "  dimensions = {\n    { id = 'd', indicators = {\n"
               "      { id = 'low_income', deprived = 'x > 1',\n"
               "        weigth = 1 },\n    } },\n  },\n  k = 0.5,\n}\n",
               "m.lua:7: indicator 'low_income': unknown field 'weigth' (did you mean "
               "'weight'?)\n");
  /* a typo of a required field is said once */
  expect_diags(HEAD "  dimensions = {\n    { id = 'd', indicators = {\n"
               "      { id = 'i', deprive = 'x > 1' },\n    } },\n  },\n  k = 0.5,\n}\n",
               "m.lua:6: indicator 'i': unknown field 'deprive' (did you mean 'deprived'?)\n");
}

static void test_duplicate_ids(void **st) {
  expect_diags(HEAD "  dimensions = {\n    { id = 'd', indicators = {\n"
               "      { id = 'i', deprived = 'x > 1' },\n    } },\n"
               "    { id = 'd', indicators = {\n"
               "      { id = 'i', deprived = 'y > 1' },\n    } },\n  },\n  k = 0.5,\n}\n",
               "m.lua:8: duplicate dimension id 'd' (first defined at line 5)\n"
               "m.lua:9: duplicate indicator id 'i' (first defined at line 6)\n");
}

static void test_required_in_definitions(void **st) {
  expect_diags(HEAD "  dimensions = {\n    { name = 'D', indicators = {\n"
               "      { name = 'no id', deprived = 'x > 1' },\n      { id = 'j' },\n"
               "    } },\n    { id = 'e', indicators = {} },\n    { id = 'f' },\n  },\n"
               "  k = 0.5,\n}\n",
               "m.lua:5: dimension 1: missing required field 'id' (a unique identifier)\n"
               "m.lua:6: indicator 1 of dimension 1: missing required field 'id' (a unique "
               "identifier)\n"
               "m.lua:7: indicator 'j': missing required field 'deprived' (the rule that says "
               "when a unit is deprived, an expression string)\n"
               "m.lua:9: dimension 'e': indicators must not be empty\n"
               "m.lua:10: dimension 'f': missing required field 'indicators' (the list of its "
               "indicators)\n");
  expect_diags(HEAD "  dimensions = { ['a'] = 1 },\n  k = 0.5,\n}\n",
               "m.lua:4: dimensions must be a list of dimensions { { id = ..., indicators = { "
               "... } }, ... }, not a table with named fields\n");
  expect_diags(HEAD "  k = 0.5,\n}\n",
               "m.lua:1: missing required field 'dimensions' (the list of dimensions and their "
               "indicators)\n");
}

static void test_bad_missing_policy(void **st) {
  expect_diags(HEAD "  dimensions = {\n    { id = 'd', indicators = {\n"
               "      { id = 'i', deprived = 'x > 1',\n        missing = 'not_deprivd' },\n"
               "    } },\n  },\n  k = 0.5,\n}\n",
               "m.lua:7: indicator 'i': missing must be \"exclude\", \"deprived\" or "
               "\"not_deprived\", got 'not_deprivd' (did you mean 'not_deprived'?)\n");
}

/* ---- weights ---- */

static void test_weights_not_summing_to_one(void **st) {
  expect_diags(HEAD "  dimensions = {\n"
               "    { id = 'a', weight = 0.5, indicators = { { id = 'i', deprived = 'x' } } },\n"
               "    { id = 'b', weight = 0.3, indicators = { { id = 'j', deprived = 'y' } } },\n"
               "  },\n  k = 0.5,\n}\n",
               "m.lua:4: dimension weights sum to 0.8, not 1\n");
  expect_diags(HEAD "  dimensions = {\n"
               "    { id = 'a', weight = 0.7, indicators = { { id = 'i', deprived = 'x' } } },\n"
               "    { id = 'b', weight = 0.3, indicators = { { id = 'j', deprived = 'y' } } },\n"
               "    { id = 'c', indicators = { { id = 'k', deprived = 'z' } } },\n"
               "  },\n  k = 0.5,\n}\n",
               "m.lua:4: dimension weights given sum to 1, leaving nothing for the 1 "
               "dimension(s) without a weight (all weights must sum to 1)\n");
  expect_diags(HEAD "  dimensions = {\n"
               "    { id = 'a', weight = -1, indicators = { { id = 'i', deprived = 'x',\n"
               "      weight = '0.5' } } },\n  },\n  k = 0.5,\n}\n",
               "m.lua:5: dimension 'a': weight must be a number > 0, got -1\n"
               "m.lua:6: indicator 'i': weight must be a number > 0, got '0.5'\n");
}

static void test_nested_weights_wrong(void **st) {
  expect_diags(HEAD "  dimensions = {\n"
               "    { id = 'income', weight = 0.75, indicators = { { id = 'i', deprived = 'x' } } },\n"
               "    { id = 'health', weight = 0.25, indicators = {\n"
               "      { id = 'j', deprived = 'y', weight = 0.1 },\n"
               "      { id = 'k', deprived = 'z', weight = 0.2 },\n"
               "    } },\n  },\n  k = 0.5,\n}\n",
               "m.lua:6: indicator weights of dimension 'health' sum to 0.3, not the "
               "dimension's weight 0.25\n");
  expect_diags(HEAD "  dimensions = {\n"
               "    { id = 'income', weight = 0.75, indicators = { { id = 'i', deprived = 'x' } } },\n"
               "    { id = 'health', weight = 0.25, indicators = {\n"
               "      { id = 'j', deprived = 'y', weight = 0.25 },\n"
               "      { id = 'k', deprived = 'z' },\n"
               "    } },\n  },\n  k = 0.5,\n}\n",
               "m.lua:6: indicator weights given in dimension 'health' sum to 0.25, leaving "
               "nothing for its 1 indicator(s) without a weight (the dimension's weight is "
               "0.25)\n");
}

static void test_ophi_weights_accepted(void **st) {
  /* the global MPI: 1/6 and 1/18; and a dimension of ten 1/30 indicators */
  model *m = expect_ok(
      HEAD "  dimensions = {\n"
      "    { id = 'health', weight = 1/3, indicators = {\n"
      "      { id = 'nutrition', deprived = 'a', weight = 1/6 },\n"
      "      { id = 'mortality', deprived = 'b', weight = 1/6 } } },\n"
      "    { id = 'education', weight = 1/3, indicators = {\n"
      "      { id = 'c', deprived = 'c', weight = 1/30 }, { id = 'd', deprived = 'd', weight = 1/30 },\n"
      "      { id = 'e', deprived = 'e', weight = 1/30 }, { id = 'f', deprived = 'f', weight = 1/30 },\n"
      "      { id = 'g', deprived = 'g', weight = 1/30 }, { id = 'h', deprived = 'h', weight = 1/30 },\n"
      "      { id = 'i', deprived = 'i', weight = 1/30 }, { id = 'j', deprived = 'j', weight = 1/30 },\n"
      "      { id = 'k', deprived = 'k', weight = 1/30 }, { id = 'l', deprived = 'l', weight = 1/30 } } },\n"
      "    { id = 'living', weight = 1/3, indicators = {\n"
      "      { id = 'fuel', deprived = 'm', weight = 1/18 }, { id = 'sanitation', deprived = 'n', weight = 1/18 },\n"
      "      { id = 'water', deprived = 'o', weight = 1/18 }, { id = 'power', deprived = 'p', weight = 1/18 },\n"
      "      { id = 'housing', deprived = 'q', weight = 1/18 }, { id = 'assets', deprived = 'r', weight = 1/18 } } },\n"
      "  },\n  k = 1/3,\n}\n");
  assert_int_equal(m->ninds, 18);
  assert_true(m->inds[17].weight == 1.0 / 18);
  assert_true(m->inds[17].cases[0].amount == 1.0 / 18);
  assert_true(m->inds[5].weight == 1.0 / 30);
  assert_int_equal(m->inds[17].line, 17);
  /* default bands: not poor from 0, poor from k */
  assert_int_equal(m->nbands, 2);
  assert_string_equal(m->bands[0].id, "nonpoor");
  assert_string_equal(m->bands[0].name, "not poor");
  assert_true(m->bands[0].from == 0);
  assert_string_equal(m->bands[1].id, "poor");
  assert_true(m->bands[1].from == 1.0 / 3);
  assert_int_equal(m->bands[1].line, 19); /* the line of k */
  model_free(m);
}

static void test_default_weights_nested_equal(void **st) {
  model *m = expect_ok(HEAD "  dimensions = {\n"
                       "    { id = 'a', indicators = { { id = 'a1', deprived = 'x' },\n"
                       "      { id = 'a2', deprived = 'x' } } },\n"
                       "    { id = 'b', indicators = { { id = 'b1', deprived = 'x' } } },\n"
                       "    { id = 'c', indicators = { { id = 'c1', deprived = 'x' },\n"
                       "      { id = 'c2', deprived = 'x' }, { id = 'c3', deprived = 'x' },\n"
                       "      { id = 'c4', deprived = 'x' }, { id = 'c5', deprived = 'x' },\n"
                       "      { id = 'c6', deprived = 'x' } } },\n"
                       "  },\n  k = 1/3,\n}\n");
  assert_int_equal(m->ndims, 3);
  for (int d = 0; d < 3; d++) {
    assert_true(m->dims[d].weight == 1.0 / 3);
    assert_int_equal(m->dims[d].weight_given, 0);
  }
  assert_int_equal(m->ninds, 9);
  assert_true(m->inds[0].weight == (1.0 / 3) / 2);
  assert_true(m->inds[1].weight == (1.0 / 3) / 2);
  assert_true(m->inds[2].weight == 1.0 / 3);
  for (int i = 3; i < 9; i++) {
    assert_true(m->inds[i].weight == (1.0 / 3) / 6);
    assert_true(m->inds[i].cases[0].amount == (1.0 / 3) / 6);
    assert_int_equal(m->inds[i].weight_given, 0);
    assert_int_equal(m->inds[i].dim, 2);
  }
  model_free(m);
}

/* ---- k and bands ---- */

static void test_k_out_of_range(void **st) {
  expect_diags(HEAD DIMS1 "  k = 1.5,\n}\n", "m.lua:7: k must be a number in (0, 1], got 1.5\n");
  expect_diags(HEAD DIMS1 "  k = 0,\n}\n", "m.lua:7: k must be a number in (0, 1], got 0\n");
  expect_diags(HEAD DIMS1 "  k = '1/3',\n}\n",
               "m.lua:7: k must be a number in (0, 1], got '1/3'\n");
  expect_diags(HEAD DIMS1 "}\n",
               "m.lua:1: missing required field 'k' (the poverty cutoff, a number in (0, 1])\n");
  model *m = expect_ok(HEAD DIMS1 "  k = 1,\n}\n");
  assert_true(m->k == 1);
  model_free(m);
}

static void test_bands(void **st) {
  expect_diags(HEAD DIMS1 "  k = 0.5,\n  bands = {\n    { id = 'A', from = 0 },\n"
               "    { id = 'B', from = 0.4 },\n    { id = 'C',\n      from = 0.3 },\n  },\n}\n",
               "m.lua:12: bands must be in ascending order: 'C' (from 0.3) comes after 'B' "
               "(from 0.4)\n");
  expect_diags(HEAD DIMS1 "  k = 0.5,\n  bands = {\n    { id = 'A', from = 0.1 },\n"
               "    { id = 'B', from = 0.4 },\n  },\n}\n",
               "m.lua:9: the first band must start from 0, got 0.1\n");
  expect_diags(HEAD DIMS1 "  k = 0.5,\n  bands = {\n    { id = 'A', from = 0 },\n"
               "    { id = 'B', from = 1.2 },\n    { id = 'B', from = 0.5, nmae = 'x' },\n"
               "    { id = 'D' },\n  },\n}\n",
               "m.lua:10: band 'B': from must be between 0 and 1, got 1.2\n"
               "m.lua:11: band 'B': unknown field 'nmae' (did you mean 'name'?)\n"
               "m.lua:11: duplicate band id 'B' (first defined at line 10)\n"
               "m.lua:12: band 'D': missing required field 'from' (the lowest score of the "
               "band)\n");
  expect_diags(HEAD DIMS1 "  k = 0.5,\n  bands = {},\n}\n", "m.lua:8: bands must not be empty\n");
}

/* ---- points methodologies ---- */

#define PHEAD \
  "return {\n" \
  "  name = 'P', version = '1', scoring = 'points',\n" \
  "  unit = { table = 'families', id = 'family_id' },\n"
#define PBANDS "  bands = { { id = 'low', from = -math.huge }, { id = 'high', from = 100 } },\n"

static void test_points_case_after_catch_all(void **st) {
  expect_diags(PHEAD "  dimensions = { { id = 'd', indicators = {\n"
               "    { id = 'cars', points = {\n"
               "      { when = 'cars = 0', points = -50 },\n"
               "      { points = 0 },\n"
               "      { when = 'cars >= 3', points = 100 },\n"
               "    } },\n  } } },\n" PBANDS "}\n",
               "m.lua:8: indicator 'cars': case 3 is unreachable: case 2 has no 'when', so it "
               "always matches (only the last case may leave out 'when')\n");
}

static void test_points_not_finite(void **st) {
  expect_diags(PHEAD "  dimensions = { { id = 'd', indicators = {\n"
               "    { id = 'a', points = math.huge, when = 'x = 1' },\n"
               "    { id = 'b', points = { { when = 'y = 1', points = 0/0 },\n"
               "      { when = 'y = 2', points = '5' } } },\n"
               "    { id = 'c', points = {} },\n"
               "    { id = 'e', points = 5 },\n"
               "  } } },\n" PBANDS "}\n",
               "m.lua:5: indicator 'a': points must be a finite number, got math.huge\n"
               "m.lua:6: indicator 'b': case 1: points must be a finite number, got nan\n"
               "m.lua:7: indicator 'b': case 2: points must be a number, got '5'\n"
               "m.lua:8: indicator 'c': points must not be empty\n"
               "m.lua:9: indicator 'e': missing required field 'when' (the condition for these "
               "points, an expression string; or give a list of cases { when = ..., points = N "
               "})\n");
}

/* Many misspelt fields of one table: each gets its did-you-mean, and a
** required field suggested for one of them is not also reported missing,
** however many came before it (16 misspellings of 'table', then 'zid'). */
static void test_many_unknown_fields(void **st) {
  strbuf src = {0}, want = {0};
  sb_puts(&src, "return {\n  name = 'T', version = 1,\n  unit = {");
  for (char c = 'a'; c < 'a' + 16; c++) {
    sb_printf(&src, " table%c = 'families',", c);
    sb_printf(&want, "m.lua:3: unit: unknown field 'table%c' (did you mean 'table'?)\n", c);
  }
  sb_puts(&src, " zid = 'family_id' },\n" DIMS1 "  k = 1,\n}\n");
  sb_puts(&want, "m.lua:3: unit: unknown field 'zid' (did you mean 'id'?)\n");
  expect_diags(src.s, want.s);
  sb_free(&src);
  sb_free(&want);
}

static void test_kind_fields(void **st) {
  expect_diags(PHEAD "  dimensions = { { id = 'd', weight = 0.5, indicators = {\n"
               "    { id = 'a', deprived = 'x = 1',\n      weight = 0.5 },\n"
               "  } } },\n  k = 0.3,\n" PBANDS "}\n",
               "m.lua:4: dimension 'd': weight is not used in a points methodology (points are "
               "added up as written)\n"
               "m.lua:5: indicator 'a': 'deprived' is not used in a points methodology; a "
               "points indicator gives 'points' (with 'when', or a list of cases { when = ..., "
               "points = N })\n"
               "m.lua:5: indicator 'a': missing required field 'points' (a number with 'when', "
               "or a list of cases { when = ..., points = N })\n"
               "m.lua:6: indicator 'a': 'weight' is not used in a points methodology; a points "
               "indicator gives 'points' (with 'when', or a list of cases { when = ..., points "
               "= N })\n"
               "m.lua:8: k is not used by a points methodology (its categories come from its "
               "bands)\n");
  expect_diags(HEAD "  dimensions = { { id = 'd', indicators = {\n"
               "    { id = 'a', deprived = 'x = 1', points = 5 },\n"
               "  } } },\n  k = 0.3,\n}\n",
               "m.lua:5: indicator 'a': 'points' belongs to points methodologies (scoring = "
               "\"points\"); an AF indicator gives 'deprived' and optionally 'weight'\n");
}

static void test_points_bands(void **st) {
  expect_diags(PHEAD "  dimensions = { { id = 'd', indicators = {\n"
               "    { id = 'a', points = 5, when = 'x = 1' } } } },\n}\n",
               "m.lua:1: missing required field 'bands' (a points methodology needs its "
               "categories: bands = { { id = ..., from = ... }, ... })\n");
  expect_diags(PHEAD "  dimensions = { { id = 'd', indicators = {\n"
               "    { id = 'a', points = 5, when = 'x = 1' } } } },\n"
               "  bands = { { id = 'E', from = -math.huge },\n"
               "    { id = 'A', from = math.huge } },\n}\n",
               "m.lua:7: band 'A': from must be a finite number (only the first band may start "
               "from -math.huge), got math.huge\n");
}

/* ---- measures ---- */

static void test_measures(void **st) {
  expect_diags(HEAD DIMS1 "  k = 0.5,\n  measures = {\n"
               "    { id = 'tsa', notice = { ru = 1 } },\n"
               "    { id = 'tsa', eligible = 'x', when = 'y' },\n  },\n}\n",
               "m.lua:9: measure 'tsa': missing required field 'eligible' (the rule that says "
               "which units may claim it, an expression string)\n"
               "m.lua:9: measure 'tsa': notice must map a language to a text, e.g. { kk = "
               "\"...\" }; got an entry 1\n"
               "m.lua:10: measure 'tsa': unknown field 'when' (allowed: id, name, eligible, "
               "notice)\n"
               "m.lua:10: duplicate measure id 'tsa' (first defined at line 9)\n");
}

/* ---- lines of code-built tables ---- */

static void test_lines_through_locals(void **st) {
  expect_diags("local inds = {\n  { id = 'i', deprived = 'x', wieght = 1 },\n}\n"
               "local dims = {\n  { id = 'd', indicators = inds },\n}\n"
               "return {\n  name = 'T', version = 1,\n  unit = { table = 'f', id = 'i' },\n"
               "  dimensions = dims,\n  k = 2,\n}\n",
               "m.lua:2: indicator 'i': unknown field 'wieght' (did you mean 'weight'?)\n"
               "m.lua:11: k must be a number in (0, 1], got 2\n");
  /* built in a loop: reported where the list is attached */
  expect_diags("local inds = {}\nfor i = 1, 2 do\n  inds[i] = { id = 'i' .. i }\nend\n"
               "return {\n  name = 'T', version = 1,\n  unit = { table = 'f', id = 'i' },\n"
               "  dimensions = { { id = 'd',\n    indicators = inds } },\n  k = 0.5,\n}\n",
               "m.lua:9: indicator 'i1': missing required field 'deprived' (the rule that says "
               "when a unit is deprived, an expression string)\n"
               "m.lua:9: indicator 'i2': missing required field 'deprived' (the rule that says "
               "when a unit is deprived, an expression string)\n");
}

static void test_odd_sources_do_not_crash(void **st) {
  model *m = expect_ok("-- odd\n--[==[ a long\ncomment ]==]\nlocal s = [[\n{ id = 'x' ]]\n"
                       "local t = { f = function(a, b) local c, d = 1, 2; if a then return { c } end "
                       "end, \"}\" }\n"
                       "return {\n  name = 'T\\\n', version = 1,\n"
                       "  ['unit'] = { table = 'f', id = 'i' },\n"
                       "  dimensions = { { id = 'd', indicators = { { id = 'i', deprived = 'x' } } } },\n"
                       "  k = 0.5,\n}\n");
  assert_int_equal(m->unit_line, 10);
  assert_int_equal(m->inds[0].line, 11);
  assert_int_equal(m->k_line, 12);
  model_free(m);
  expect_diags("local x = {\n", "m.lua:2: unexpected symbol near <eof>\n");
}

/* The source map never crashes: every prefix of a real file, deep nesting,
** unterminated strings and comments, stray brackets. */
static void test_srcmap_robust(void **st) {
  char *path = fixture("example.lua");
  char *text;
  size_t len;
  af_err e;
  assert_int_equal(af_read_file(path, &text, &len, &e), 0);
  for (size_t n = 0; n <= len; n++) {
    srcmap *sm = srcmap_build(text, n);
    (void)srcmap_find_id(sm, "health");
    (void)srcmap_field_line(sm, srcmap_top(sm), "k");
    srcmap_free(sm);
  }
  srcmap *sm = srcmap_build(text, len);
  int top = srcmap_top(sm);
  assert_int_equal(srcmap_node_line(sm, top), 2);
  assert_int_equal(srcmap_field_line(sm, top, "k"), 35);
  int dims = srcmap_field_node(sm, top, "dimensions");
  int health = srcmap_item_node(sm, dims, 2);
  assert_int_equal(health, srcmap_find_id(sm, "health"));
  assert_int_equal(srcmap_field_value_line(sm, health, "id"), 24);
  assert_int_equal(srcmap_assign_count(sm, "id", 0), 15); /* unit, 3 dims, 5 indicators, 5 bands, 1 measure */
  assert_int_equal(srcmap_call_line(sm, "import"), 0);
  srcmap_free(sm);
  free(text);
  free(path);
  strbuf deep = {0};
  for (int i = 0; i < 100000; i++) sb_puts(&deep, "{ a = ");
  sm = srcmap_build(deep.s, deep.len);
  srcmap_free(sm);
  sb_free(&deep);
  static const char *const odd[] = {"return { 'unterminated", "return [==[ never closed",
                                    "--[[ open comment", "} } ] ) end end until", "return {[",
                                    "return { [1 = 2 }", "x = \"\\", "return t", "return",
                                    "local t = { a = function() return { 1, 2 } end }\nreturn t"};
  for (size_t i = 0; i < sizeof odd / sizeof *odd; i++) {
    sm = srcmap_build(odd[i], strlen(odd[i]));
    (void)srcmap_field_node(sm, srcmap_top(sm), "a");
    (void)srcmap_item_node(sm, srcmap_top(sm), 1);
    srcmap_free(sm);
  }
  sm = srcmap_build(odd[9], strlen(odd[9]));
  assert_int_equal(srcmap_node_line(sm, srcmap_top(sm)), 1);
  srcmap_free(sm);
}

/* ---- import ---- */

static void test_variant_with_import(void **st) {
  char *path = fixture("variant.lua");
  char *dir = fixture("");
  const char *sp[] = {"/nonexistent"};
  method_opts o = {.search_path = sp, .nsearch = 1, .max_seconds = TEST_SECONDS};
  model *m = NULL;
  diag_list d = {0};
  assert_int_equal(method_load(path, &o, &m, &d), 0);
  assert_string_equal(m->name, "Variant");
  assert_string_equal(m->version, "2023.1");
  assert_true(m->k == 0.4);
  assert_int_equal(m->k_line, 6);
  assert_true(m->bands[1].from == 0.4);
  assert_int_equal(m->ninds, 3);
  assert_true(m->inds[1].weight == 0.25);
  assert_int_equal(m->inds[1].line, 2); /* imported: the line of import() */
  /* the base is recorded once, though imported twice */
  assert_int_equal(m->nfiles, 2);
  assert_string_equal(m->files[0].name, path);
  assert_string_equal(m->files[1].name, "kz_base");
  char *base = af_sprintf("%skz_base.lua", dir);
  assert_string_equal(m->files[1].path, base);
  char *text;
  size_t len;
  af_err e;
  assert_int_equal(af_read_file(base, &text, &len, &e), 0);
  char sha[65];
  af_sha256_hex(text, len, sha);
  assert_string_equal(m->files[1].sha256, sha);
  assert_string_equal(m->files[1].text, text);
  free(text);
  free(base);
  model_free(m);
  free(dir);
  free(path);
}

static void test_variant_errors_at_right_lines(void **st) {
  char *path = fixture("variant_bad.lua");
  model *m = NULL;
  diag_list d = {0};
  assert_int_equal(method_load(path, &unhurried, &m, &d), -1);
  char *got = diag_text(&d);
  char *want = af_sprintf(
      "%1$s:4: k must be a number in (0, 1], got 1.5\n"
      "%1$s:5: indicator 'water': unknown field 'weigth' (did you mean 'weight'?)\n", path);
  assert_string_equal(got, want);
  free(got);
  free(want);
  diag_free(&d);
  free(path);
}

static void expect_fixture_error(const char *name, const char *fmt_line_msg) {
  char *path = fixture(name);
  model *m = NULL;
  diag_list d = {0};
  assert_int_equal(method_load(path, &unhurried, &m, &d), -1);
  assert_null(m);
  char *got = diag_text(&d);
  char *want = af_sprintf(fmt_line_msg, path, path, path);
  assert_string_equal(got, want);
  free(got);
  free(want);
  diag_free(&d);
  free(path);
}

static void test_import_refusals(void **st) {
  expect_fixture_error("import_etc.lua",
                       "%s:1: import: absolute paths are not allowed: '/etc/passwd'\n");
  expect_fixture_error("import_dotdot.lua", "%s:2: import: '..' is not allowed: '../x'\n");
  char *dir = fixture("");
  dir[strlen(dir) - 1] = '\0';
  /* what follows (the methodologies found there) is tested end to end in a
  ** directory of known contents: test_e2e_policy test_messages_import */
  char *path = fixture("import_missing.lua");
  model *m = NULL;
  diag_list d = {0};
  assert_int_equal(method_load(path, &unhurried, &m, &d), -1);
  char *got = diag_text(&d);
  char *want = af_sprintf("%s:1: import: cannot find 'no_such_module' (looked for "
                          "no_such_module.lua in %s)", path, dir);
  assert_non_null(strstr(got, want));
  assert_non_null(strstr(got, "To import from another directory, add it to AFSCORE_PATH"));
  free(want);
  free(got);
  diag_free(&d);
  free(path);
  free(dir);
  expect_diags("return import('a/../../b')\n", "m.lua:1: import: '..' is not allowed: 'a/../../b'\n");
  expect_diags("return import('')\n", "m.lua:1: import: the module name is empty: ''\n");
}

static void test_import_cycle(void **st) {
  char *b = fixture("cycle_b.lua");
  char *want = af_sprintf("%s:1: import: cycle: %%s -> cycle_b -> %%s\n", b);
  expect_fixture_error("cycle_a.lua", want);
  free(want);
  free(b);
}

static void test_endless_and_bomb_through_loader(void **st) {
  expect_fixture_error("endless.lua", "%s:2: instruction limit exceeded (endless loop?)\n");
  expect_fixture_error("bomb_table.lua", "%s:2: memory limit of 64 MiB exceeded\n");
  nsrv = 1;
  srv[0] = (served){"m.lua", "local t = {}\nfor i = 1, 1e9 do t[i] = i end\n"};
  method_opts o = {.reader = serve, .max_memory = (size_t)4 << 20, .max_seconds = TEST_SECONDS};
  model *m = NULL;
  diag_list d = {0};
  assert_int_equal(method_load("m.lua", &o, &m, &d), -1);
  char *got = diag_text(&d);
  /* the array part (16 bytes a slot) passes 4 MiB within 2^18 iterations of
  ** two instructions: far below the default budget of 5 * 10^7 */
  assert_string_equal(got, "m.lua:2: memory limit of 4 MiB exceeded\n");
  free(got);
  diag_free(&d);
}

static void test_reader_serves_sources(void **st) {
  nsrv = 3;
  srv[0] = (served){"main.lua", "-- variant\nlocal m = import('base')\nm.k = 0.5\nreturn m\n"};
  srv[1] = (served){"base", HEAD DIMS1 "  k = 0.25,\n  extra = import('inner').x,\n}\n"};
  srv[2] = (served){"inner", "return { x = nil }\n"};
  reader_calls = 0;
  method_opts o = {.reader = serve, .max_seconds = TEST_SECONDS, .in_process = 1}; /* count the calls here */
  model *m = NULL;
  diag_list d = {0};
  assert_int_equal(method_load("main.lua", &o, &m, &d), 0);
  assert_int_equal(reader_calls, 3);
  assert_true(m->k == 0.5);
  assert_int_equal(m->k_line, 3);
  assert_int_equal(m->nfiles, 3);
  assert_string_equal(m->files[0].name, "main.lua");
  assert_string_equal(m->files[0].path, "mem:main.lua");
  assert_string_equal(m->files[1].name, "base");
  assert_string_equal(m->files[1].path, "mem:base");
  assert_string_equal(m->files[2].name, "inner");
  assert_string_equal(m->files[1].text, srv[1].text);
  model_free(m);
  /* errors inside an imported file name that file */
  srv[2] = (served){"inner", "\nreturn { x = nil + 1 }\n"};
  assert_int_equal(method_load("main.lua", &o, &m, &d), -1);
  char *got = diag_text(&d);
  assert_string_equal(got, "mem:inner:2: attempt to perform arithmetic on a nil value\n");
  free(got);
  diag_free(&d);
  /* no such main file */
  assert_int_equal(method_load("nope.lua", &o, &m, &d), -1);
  got = diag_text(&d);
  assert_string_equal(got, "nope.lua:0: cannot read the methodology\n");
  free(got);
  diag_free(&d);
  /* imports not served */
  expect_diags("return import('elsewhere')\n", "m.lua:1: import: cannot find 'elsewhere'\n");
}

static void test_missing_file_on_disk(void **st) {
  model *m = NULL;
  diag_list d = {0};
  assert_int_equal(method_load("/nonexistent/m.lua", &unhurried, &m, &d), -1);
  char *got = diag_text(&d);
  assert_string_equal(got, "/nonexistent/m.lua:0: no such file\n");
  free(got);
  diag_free(&d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_example_fixture),
      cmocka_unit_test(test_many_errors_all_reported),
      cmocka_unit_test(test_points_fixture),
      cmocka_unit_test(test_must_return_table),
      cmocka_unit_test(test_missing_name),
      cmocka_unit_test(test_unknown_top_field),
      cmocka_unit_test(test_scoring_and_population),
      cmocka_unit_test(test_unit_and_members),
      cmocka_unit_test(test_params_and_define),
      cmocka_unit_test(test_unknown_indicator_field),
      cmocka_unit_test(test_duplicate_ids),
      cmocka_unit_test(test_required_in_definitions),
      cmocka_unit_test(test_bad_missing_policy),
      cmocka_unit_test(test_weights_not_summing_to_one),
      cmocka_unit_test(test_nested_weights_wrong),
      cmocka_unit_test(test_ophi_weights_accepted),
      cmocka_unit_test(test_default_weights_nested_equal),
      cmocka_unit_test(test_k_out_of_range),
      cmocka_unit_test(test_bands),
      cmocka_unit_test(test_points_case_after_catch_all),
      cmocka_unit_test(test_points_not_finite),
      cmocka_unit_test(test_many_unknown_fields),
      cmocka_unit_test(test_kind_fields),
      cmocka_unit_test(test_points_bands),
      cmocka_unit_test(test_measures),
      cmocka_unit_test(test_lines_through_locals),
      cmocka_unit_test(test_odd_sources_do_not_crash),
      cmocka_unit_test(test_srcmap_robust),
      cmocka_unit_test(test_variant_with_import),
      cmocka_unit_test(test_variant_errors_at_right_lines),
      cmocka_unit_test(test_import_refusals),
      cmocka_unit_test(test_import_cycle),
      cmocka_unit_test(test_endless_and_bomb_through_loader),
      cmocka_unit_test(test_reader_serves_sources),
      cmocka_unit_test(test_missing_file_on_disk),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
