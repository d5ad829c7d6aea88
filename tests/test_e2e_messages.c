/*
** test_e2e_messages.c: the loader's messages for the mistakes policy experts
** make, through the real binary (`afscore check`): each names the FILE:LINE
** that made the mistake and says what to write instead. A variant's edits
** are reported where they are made, also two imports deep; a list item that
** is not there names the ids there are; the helpers that find an item by id
** (indicator(), dimension(), band(), measure()) edit what they return.
**
** Every methodology is written here, in directories of known contents (the
** message for an import not found lists them). Each expected message is the
** whole of stderr.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "util.h"

/* A small AF base: dimension money (low_income, no_work) and health
** (disability), weights by default, bands A [0, 1/4), B [1/4, 1/2), C. */
static const char *BASE =
    "return {\n"
    "  name = 'Base', version = '1',\n"
    "  unit = { table = 'families', id = 'family_id' },\n"
    "  members = { table = 'persons', unit = 'family_id' },\n"
    "  params = { pm = 100 },\n"
    "  dimensions = {\n"
    "    { id = 'money', indicators = {\n"
    "        { id = 'low_income', deprived = 'mean(income) < pm' },\n"
    "        { id = 'no_work', deprived = 'none(employed = 1)' } } },\n"
    "    { id = 'health', indicators = {\n"
    "        { id = 'disability', deprived = 'any(disability = 1)' } } },\n"
    "  },\n"
    "  k = 1/3,\n"
    "  bands = { { id = 'A', from = 0 }, { id = 'B', from = 1/4 }, { id = 'C', from = 1/2 } },\n"
    "  measures = { { id = 'visit', eligible = \"category = 'C'\" } },\n"
    "}\n";

static char DIR_[1024], LIB[1024];

static int setup(void **state) {
  (void)state;
  snprintf(DIR_, sizeof DIR_, "%s", h_path("msgs"));
  snprintf(LIB, sizeof LIB, "%s", h_path("msgs_lib"));
  mkdir(DIR_, 0777);
  mkdir(LIB, 0777);
  char p[1100];
  snprintf(p, sizeof p, "%s/base.lua", DIR_);
  h_write(p, BASE);
  snprintf(p, sizeof p, "%s/common.lua", LIB);
  h_write(p, "return {}\n");
  setenv("AFSCORE_PATH", LIB, 1);
  return 0;
}

/* Write src as DIR/name; return its path (static, rotating among 4). */
static const char *put(const char *name, const char *src) {
  static char buf[4][1100];
  static int i;
  char *p = buf[i++ & 3];
  snprintf(p, 1100, "%s/%s", DIR_, name);
  h_write(p, src);
  return p;
}

/* `afscore check` on DIR/name holding src must fail with exactly want on
** stderr, where each %1$s is DIR. */
static void refused(const char *name, const char *src, const char *want_fmt) {
  const char *path = put(name, src);
  const char *args[] = {"check", path, NULL};
  h_result r = h_run(args);
  char *want = af_sprintf(want_fmt, DIR_);
  if (r.status != 1) fail_msg("%s: status %d, stderr: %s", name, r.status, r.err);
  assert_string_equal(r.err, want);
  free(want);
  h_result_free(&r);
}

/* ------------------------------------------------------------ variants */

/* A band bound moved past the next one: reported at the line that moved it
** (it was the import line), not at the band's definition in the base. */
static void test_variant_band_order_at_edit(void **state) {
  (void)state;
  refused("v_band.lua",
               "local m = import('base')\n"
               "m.version = '2'\n"
               "m.k = 0.4\n"
               "m.bands[2].from = 0.6\n"
               "m.bands[3].name = 'poor'\n"
               "return m\n",
               "%1$s/v_band.lua:4: bands must be in ascending order: 'C' (from 0.5) comes "
               "after 'B' (from 0.6)\n");
}

/* Two dimension weights written, 0.5 and 0.6: the sum (1.1) is reported at
** the later write. A bad weight is reported where it is set, even when
** `weight =` is written several times in the file. */
static void test_variant_weights_at_edit(void **state) {
  (void)state;
  refused("v_wsum.lua",
               "local m = import('base')\n"
               "m.version = '2'\n"
               "m.dimensions[1].weight = 0.5\n"
               "m.dimensions[2].weight = 0.6\n"
               "return m\n",
               "%1$s/v_wsum.lua:4: dimension weights sum to 1.1, not 1\n");
  refused("v_wbad.lua",
               "local m = import('base')\n"
               "m.version = '2'\n"
               "for _, d in ipairs(m.dimensions) do\n"
               "  d.weight = 0.5\n"
               "end\n"
               "indicator(m, 'no_work').weight = -0.25\n"
               "return m\n",
               "%1$s/v_wbad.lua:6: indicator 'no_work': weight must be a number > 0, got "
               "-0.25\n");
}

/* A variant of a variant: the middle file's mistake is reported in the
** middle file, though check was given the outer one. */
static void test_variant_two_deep(void **state) {
  (void)state;
  put("v_mid.lua", "-- the middle variant\n"
                   "local m = import('base')\n"
                   "m.version = 'mid'\n"
                   "indicator(m, 'disability').weight = 0\n"
                   "return m\n");
  refused("v_top.lua",
               "local m = import('v_mid')\n"
               "m.version = 'top'\n"
               "return m\n",
               "%1$s/v_mid.lua:4: indicator 'disability': weight must be a number > 0, got 0\n");
}

/* An item that is not there (the base has two money indicators) names what
** the list holds and the helper; the helpers name the ids there are. */
static void test_variant_by_position(void **state) {
  (void)state;
  refused("v_pos.lua",
               "local base = import('base')\n"
               "base.version = '2'\n"
               "base.dimensions[1].indicators[3].deprived = 'mean(income) < 50'\n"
               "return base\n",
               "%1$s/v_pos.lua:3: indicators[3] is not there: the list holds 2 (low_income, "
               "no_work); to edit one, find it by its id, e.g. indicator(base, \"low_income\") "
               "(positions move when the base changes)\n");
  refused("v_helper.lua",
               "local m = import('base')\n"
               "m.version = '2'\n"
               "indicator(m, 'low_incme').deprived = 'mean(income) < 50'\n"
               "return m\n",
               "%1$s/v_helper.lua:3: indicator(): no indicator 'low_incme' (did you mean "
               "'low_income'?); there are: low_income, no_work, disability\n");
}

/* The helpers return the tables themselves: describe shows the edits. */
static void test_variant_helpers_edit(void **state) {
  (void)state;
  const char *path = put("v_ok.lua", "local m = import('base')\n"
                                     "m.version = '2'\n"
                                     "indicator(m, 'low_income').deprived = 'mean(income) < 50'\n"
                                     "dimension(m, 'health').name = 'Health'\n"
                                     "band(m, 'C').from = 0.6\n"
                                     "measure(m, 'visit').name = 'A visit'\n"
                                     "return m\n");
  const char *args[] = {"describe", path, NULL};
  h_result r = h_run(args);
  assert_int_equal(r.status, 0);
  assert_has(r.out, "    low_income: low_income\n      weight: 1/4 (0.25) (default share)\n"
                    "      deprived when: mean(income) < 50\n");
  assert_has(r.out, "  health: Health\n");
  /* 0.6 = 3/5 */
  assert_has(r.out, "  C: C\n    scores: from 3/5 (0.6)\n");
  assert_has(r.out, "  visit: A visit\n");
  h_result_free(&r);
}

/* ------------------------------------------------------------ messages */

static void test_result_functions_of_the_other_kind(void **state) {
  (void)state;
  refused("m_points_in_af.lua",
               "local m = import('base')\n"
               "m.version = '2'\n"
               "m.measures[1].eligible = \"points('low_income') > 0\"\n"
               "return m\n",
               "%1$s/m_points_in_af.lua:3: measure 'visit': rule \"points('low_income') > 0\": "
               "points() needs a points methodology (scoring = \"points\"); this one is "
               "Alkire-Foster: use deprived('low_income') near 'points('low_income')' at "
               "column 1\n");
  refused("m_deprived_in_points.lua",
               "return {\n"
               "  name = 'P', version = '1', scoring = 'points',\n"
               "  unit = { table = 'families', id = 'family_id' },\n"
               "  dimensions = { { id = 'money', indicators = {\n"
               "    { id = 'low_income', when = 'income < 100', points = 10 } } } },\n"
               "  bands = { { id = 'A', from = 0 }, { id = 'B', from = 5 } },\n"
               "  measures = { { id = 'help', eligible = \"deprived('low_income')\" } },\n"
               "}\n",
               "%1$s/m_deprived_in_points.lua:7: measure 'help': rule "
               "\"deprived('low_income')\": deprived() needs an Alkire-Foster methodology; "
               "this one gives points (scoring = \"points\"): use points('low_income'), the "
               "points the indicator gave near 'deprived('low_income')' at column 1\n");
}

/* Three points indicators without scoring = "points": one message, and the
** rest is checked as a points methodology (valid here). */
static void test_forgotten_points(void **state) {
  (void)state;
  refused("m_forgot.lua",
               "return {\n"
               "  name = 'P', version = '1',\n"
               "  unit = { table = 'families', id = 'family_id' },\n"
               "  dimensions = { { id = 'money', indicators = {\n"
               "    { id = 'a', when = 'income < 100', points = 10 },\n"
               "    { id = 'b', when = 'income < 50', points = 10 },\n"
               "    { id = 'c', points = { { when = 'income < 10', points = 5 }, "
               "{ points = 0 } } } } } },\n"
               "  bands = { { id = 'A', from = 0 }, { id = 'B', from = 5 } },\n"
               "}\n",
               "%1$s/m_forgot.lua:1: scoring = \"points\" is missing: 3 indicators give "
               "points (the first is 'a'), which only a points methodology does; add "
               "scoring = \"points\" (without it the methodology is Alkire-Foster, whose "
               "indicators say when a unit is 'deprived')\n");
}

static void test_require_and_dofile(void **state) {
  (void)state;
  refused("m_require.lua", "-- build on the base\nlocal m = require('base')\nreturn m\n",
               "%1$s/m_require.lua:2: require() is not available in a methodology: use "
               "import(\"name\") to build on another methodology file (it returns a fresh "
               "copy of its table)\n");
  refused("m_dofile.lua", "return dofile('base.lua')\n",
               "%1$s/m_dofile.lua:1: dofile() is not available in a methodology: use "
               "import(\"name\") to build on another methodology file (it returns a fresh "
               "copy of its table)\n");
}

/* 30,5 in a table is two entries; in an assignment Lua drops the 5. */
static void test_decimal_comma(void **state) {
  (void)state;
  refused("m_comma.lua",
               "return {\n"
               "  name = 'C', version = '1',\n"
               "  unit = { table = 'families', id = 'family_id' },\n"
               "  params = { pm = 30,5 },\n"
               "  dimensions = { { id = 'd', indicators = {\n"
               "    { id = 'low', deprived = 'income < pm' } } } },\n"
               "  k = 1,\n"
               "}\n",
               "%1$s/m_comma.lua:4: params: '30,5' has a decimal comma: write 30.5 (a comma "
               "separates entries, so Lua read 30 and a stray 5)\n");
  refused("m_comma2.lua",
               "local m = import('base')\n"
               "m.version = '2'\n"
               "local a, b = 1,2\n"
               "m.params.pm = 30,5\n"
               "return m\n",
               "%1$s/m_comma2.lua:4: '30,5' has a decimal comma: write 30.5 (Lua reads "
               "'= 30,5' as two values, keeps 30 and drops 5)\n");
}

static void test_avg(void **state) {
  (void)state;
  refused("m_avg.lua",
               "local m = import('base')\n"
               "m.version = '2'\n"
               "indicator(m, 'low_income').deprived = 'avg(income) < pm'\n"
               "return m\n",
               "%1$s/m_avg.lua:3: indicator 'low_income': rule \"avg(income) < pm\": unknown "
               "function 'avg' (did you mean 'mean'?) near 'avg(income)' at column 1\n");
}

static void test_unquoted_text(void **state) {
  (void)state;
  refused("m_unquoted.lua",
               "return {\n"
               "  name = 'U', version = '1',\n"
               "  scoring = points,\n"
               "}\n",
               "%1$s/m_unquoted.lua:3: 'points' is not defined: write text in quotes "
               "(\"points\"), or declare the variable first (local points = ...)\n");
}

static void test_missing_return(void **state) {
  (void)state;
  refused("m_noreturn.lua",
               "local m = import('base')\n"
               "m.version = '2'\n"
               "m.k = 0.4\n",
               "%1$s/m_noreturn.lua:3: the methodology returns nothing: end it with "
               "`return m` (a methodology must return its table)\n");
}

/* Looked for beside the file, then in AFSCORE_PATH: both listed (not test
** cases), with the closest name. */
static void test_import_not_found(void **state) {
  (void)state;
  char dir[1100], p[1200];
  snprintf(dir, sizeof dir, "%s", h_path("msgs_find"));
  mkdir(dir, 0777);
  snprintf(p, sizeof p, "%s/base.lua", dir);
  h_write(p, BASE);
  snprintf(p, sizeof p, "%s/base.test.lua", dir);
  h_write(p, "return {}\n");
  snprintf(p, sizeof p, "%s/main.lua", dir);
  h_write(p, "-- a variant\nlocal m = import('bsae')\nreturn m\n");
  const char *args[] = {"check", p, NULL};
  h_result r = h_run(args);
  assert_int_equal(r.status, 1);
  char *want = af_sprintf("%s:2: import: cannot find 'bsae' (looked for bsae.lua in %s, %s); "
                          "did you mean 'base'? Methodologies there: base, common, main. To "
                          "import from another directory, add it to AFSCORE_PATH (directories "
                          "separated by ':')\n", p, dir, LIB);
  assert_string_equal(r.err, want);
  free(want);
  h_result_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_variant_band_order_at_edit),
      cmocka_unit_test(test_variant_weights_at_edit),
      cmocka_unit_test(test_variant_two_deep),
      cmocka_unit_test(test_variant_by_position),
      cmocka_unit_test(test_variant_helpers_edit),
      cmocka_unit_test(test_result_functions_of_the_other_kind),
      cmocka_unit_test(test_forgotten_points),
      cmocka_unit_test(test_require_and_dofile),
      cmocka_unit_test(test_decimal_comma),
      cmocka_unit_test(test_avg),
      cmocka_unit_test(test_unquoted_text),
      cmocka_unit_test(test_missing_return),
      cmocka_unit_test(test_import_not_found),
  };
  return cmocka_run_group_tests_name("e2e_messages", tests, setup, NULL);
}
