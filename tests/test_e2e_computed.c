/*
** test_e2e_computed.c: groups by a computed value (unit.groups entries
** { id, rule, bins }) through the real binary: the by-group measure of a
** family-size group worked out by hand, bins and labels, one group per value
** without bins, a param used only by a group rule, describe (text and JSON),
** and the mistakes check reports at their FILE:LINE.
**
** The data: six families, k = 1/2, two indicators of weight 1/2:
**   family  size  mean income  employed  low_income  no_work  score  poor
**   f1      1     50           nobody    yes         yes      1      yes
**   f2      2     80           one       yes         no       1/2    yes
**   f3      3     50           one       yes         no       1/2    yes
**   f4      4     200          all       no          no       0      no
**   f5      9     20           nobody    yes         yes      1      yes
**   f6      5     500          one       no          no       0      no
** Bins { 1, 2, 3, 5, 8 }: f1 "1", f2 "2", f3 f4 "3-4", f6 "5-7", f5 "8+".
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "util.h"

static const char *DATA =
    "CREATE TABLE families(family_id TEXT PRIMARY KEY, region TEXT);"
    "INSERT INTO families VALUES ('f1','A'),('f2','A'),('f3','B'),('f4','B'),('f5','A'),"
    "('f6','B');"
    "CREATE TABLE persons(family_id TEXT, income REAL, employed INTEGER);"
    "INSERT INTO persons VALUES ('f1',50,0),('f2',150,1),('f2',10,0),"
    "('f3',50,0),('f3',50,0),('f3',50,1),"
    "('f4',200,1),('f4',200,1),('f4',200,1),('f4',200,1),"
    "('f5',20,0),('f5',20,0),('f5',20,0),('f5',20,0),('f5',20,0),('f5',20,0),('f5',20,0),"
    "('f5',20,0),('f5',20,0),"
    "('f6',500,1),('f6',500,0),('f6',500,0),('f6',500,0),('f6',500,0);";

/* The methodology with the groups given (line 3). */
static const char *method(const char *name, const char *groups) {
  char *src = af_sprintf(
      "return {\n"
      "  name = 'G', version = '1',\n"
      "  unit = { table = 'families', id = 'family_id', groups = %s },\n"
      "  members = { table = 'persons', unit = 'family_id' },\n"
      "  params = { pm = 100 },\n"
      "  dimensions = {\n"
      "    { id = 'money', indicators = { { id = 'low_income', deprived = 'mean(income) < 100' } } },\n"
      "    { id = 'work', indicators = { { id = 'no_work', deprived = 'none(employed = 1)' } } },\n"
      "  },\n"
      "  k = 1/2,\n"
      "}\n", groups);
  const char *p = h_new_file(name, src);
  free(src);
  return p;
}

static h_result run_ok(const char *const *args) {
  h_result r = h_run(args);
  if (r.status != 0) fail_msg("status %d\nstdout: %.2000s\nstderr: %.2000s", r.status, r.out, r.err);
  return r;
}

/* By size, hand-computed from the table above: "3-4" holds f3 (score 1/2,
** poor) and f4 (0): H = 1/2, M0 = 1/4. */
static void test_size_bins(void **state) {
  (void)state;
  const char *db = h_new_db("computed.db", DATA);
  const char *mp = method("size.lua", "{ 'region', { id = 'size', rule = 'count()', "
                                      "bins = { 1, 2, 3, 5, 8 } } }");
  const char *args[] = {"score", "--db", db, "--method", mp, "--json", NULL};
  h_result r = run_ok(args);
  /* rows in the order of the bins; no family is below 1 */
  assert_int_equal(jp_len(r.out, "groups.size"), 5);
  const char *labels[] = {"1", "2", "3-4", "5-7", "8+"};
  double n[] = {1, 1, 2, 1, 1};
  /* H: poor share; M0: mean censored score */
  double H[] = {1, 1, 0.5, 0, 1}, M0[] = {1, 0.5, 0.25, 0, 1};
  for (int i = 0; i < 5; i++) {
    assert_string_equal(jp_str(r.out, "groups.size[%d].value", i), labels[i]);
    assert_double_equal(jp_num(r.out, "groups.size[%d].n", i), n[i], 0);
    assert_double_equal(jp_num(r.out, "groups.size[%d].H", i), H[i], 1e-12);
    assert_double_equal(jp_num(r.out, "groups.size[%d].M0", i), M0[i], 1e-12);
  }
  /* "3-4": A = 1/2 (one poor family with score 1/2); its contribution to
  ** M0 = 1/2 overall is (2/6 * 1/4) / (1/2) = 1/6 */
  assert_double_equal(jp_num(r.out, "groups.size[2].A"), 0.5, 1e-12);
  assert_double_equal(jp_num(r.out, "groups.size[2].contribution"), 1.0 / 6, 1e-12);
  /* the column group beside it is unchanged: A = f1 f2 f5 (all poor),
  ** M0 = (1 + 1/2 + 1) / 3 = 5/6 */
  assert_string_equal(jp_str(r.out, "groups.region[0].value"), "A");
  assert_double_equal(jp_num(r.out, "groups.region[0].M0"), 5.0 / 6, 1e-12);
  h_result_free(&r);
  /* the text table lists the same rows */
  const char *txt[] = {"score", "--db", db, "--method", mp, NULL};
  r = run_ok(txt);
  assert_has(r.out, "by size:\n"
                    "  value                         n         H         A       M0   contrib\n"
                    "  1                             1  100.00 %  100.00 %   1.0000   33.33 %\n"
                    "  2                             1  100.00 %   50.00 %   0.5000   16.67 %\n"
                    "  3-4                           2   50.00 %   50.00 %   0.2500   16.67 %\n"
                    "  5-7                           1    0.00 %    0.00 %   0.0000    0.00 %\n"
                    "  8+                            1  100.00 %  100.00 %   1.0000   33.33 %\n");
  h_result_free(&r);
}

/* Without bins, one row per value, in numeric order (9 after 5); the rule
** may use a param (which then counts as used: check gives no warning).
** Mean income / pm by bins { 0.5, 1, 1.5 }: f5 0.2 "<0.5"; f1 f3 0.5, f2
** 0.8 "0.5-<1"; f4 2, f6 5 "1.5+". */
static void test_values_and_fractions(void **state) {
  (void)state;
  const char *db = h_new_db("computed.db", DATA);
  const char *mp = method("values.lua", "{ { id = 'size', rule = 'count()' }, "
                                        "{ id = 'income_band', rule = 'mean(income) / pm', "
                                        "bins = { 0.5, 1, 1.5 } } }");
  const char *args[] = {"score", "--db", db, "--method", mp, "--json", NULL};
  h_result r = run_ok(args);
  const char *values[] = {"1", "2", "3", "4", "5", "9"};
  assert_int_equal(jp_len(r.out, "groups.size"), 6);
  for (int i = 0; i < 6; i++)
    assert_string_equal(jp_str(r.out, "groups.size[%d].value", i), values[i]);
  assert_int_equal(jp_len(r.out, "groups.income_band"), 3);
  assert_string_equal(jp_str(r.out, "groups.income_band[0].value"), "<0.5");
  assert_string_equal(jp_str(r.out, "groups.income_band[1].value"), "0.5-<1");
  assert_double_equal(jp_num(r.out, "groups.income_band[1].n"), 3, 0);
  /* f1 (1), f2 (1/2), f3 (1/2): all poor, M0 = 2/3 */
  assert_double_equal(jp_num(r.out, "groups.income_band[1].M0"), 2.0 / 3, 1e-12);
  assert_string_equal(jp_str(r.out, "groups.income_band[2].value"), "1.5+");
  h_result_free(&r);
  const char *chk[] = {"check", mp, "--db", db, NULL};
  r = run_ok(chk);
  assert_lacks(r.err, "never used");
  h_result_free(&r);
}

static void test_describe(void **state) {
  (void)state;
  const char *mp = method("describe.lua", "{ 'region', { id = 'size', rule = 'count()', "
                                          "bins = { 1, 2, 3, 5, 8 } } }");
  const char *args[] = {"describe", mp, NULL};
  h_result r = run_ok(args);
  assert_has(r.out, "  groups: region, size (count(): <1, 1, 2, 3-4, 5-7, 8+)\n");
  h_result_free(&r);
  const char *js[] = {"describe", mp, "--format", "json", NULL};
  r = run_ok(js);
  assert_string_equal(jp_str(r.out, "unit.groups[0]"), "region");
  assert_string_equal(jp_str(r.out, "unit.groups[1].id"), "size");
  assert_string_equal(jp_str(r.out, "unit.groups[1].rule"), "count()");
  assert_double_equal(jp_num(r.out, "unit.groups[1].bins[3]"), 5, 0);
  assert_string_equal(jp_str(r.out, "unit.groups[1].labels[4]"), "5-7");
  h_result_free(&r);
}

/* Mistakes, each at the line of its group entry (line 3 holds unit). */
static void test_mistakes(void **state) {
  (void)state;
  const char *mp = method("bad.lua", "{ 'region',\n"
                                     "    { id = 'size', rule = 'count()', bins = { 1, 5, 3 } },\n"
                                     "    { id = 'region', rule = 'count()', binz = { 1 } } }");
  const char *args[] = {"check", mp, NULL};
  h_result r = h_run(args);
  assert_int_equal(r.status, 1);
  char *want = af_sprintf(
      "%1$s:4: unit: group 'size': bins must be in ascending order, each above the one "
      "before: 3 comes after 5\n"
      "%1$s:5: unit: group 'region': unknown field 'binz' (did you mean 'bins'?)\n"
      "%1$s:5: unit: group 'region' is listed twice (each group's rows are reported under "
      "its name)\n", mp);
  assert_string_equal(r.err, want);
  free(want);
  h_result_free(&r);
  /* a condition where a number is needed (a type error, found by the rules'
  ** compiler once the table is right) */
  mp = method("bad_type.lua", "{\n    { id = 'big', rule = 'count() > 4', bins = { 0, 1 } } }");
  want = af_sprintf("%s:4: unit: group 'big': rule \"count() > 4\": the rule must be a number, "
                    "but 'count() > 4' is a condition\n", mp);
  const char *args2[] = {"check", mp, NULL};
  r = h_run(args2);
  assert_int_equal(r.status, 1);
  assert_string_equal(r.err, want);
  free(want);
  h_result_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_size_bins),
      cmocka_unit_test(test_values_and_fractions),
      cmocka_unit_test(test_describe),
      cmocka_unit_test(test_mistakes),
  };
  return cmocka_run_group_tests_name("e2e_computed", tests, NULL, NULL);
}
