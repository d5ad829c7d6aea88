/*
** test_e2e_af.c: the AF measure end to end, through the real afscore binary,
** against worked examples and independent computation:
**  - Alkire & Foster (2011), section 3: four people, four dimensions, equal
**    weights, k = 2 of 4: c = (0, 2, 4, 1), H = 1/2, A = 3/4, M0 = 3/8;
**  - the float trap: six 1/30 weights reach k = 1/5 and six 1/18 weights reach
**    k = 1/3, though a naive double sum lands a hair below;
**  - sampling weights, population = "members", groups and missing policies on
**    a small family table whose figures are computed by hand in the test;
**  - 70 group columns, each reported.
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
#include "util.h"

#define EPS 1e-12

static const char *AF2011 =
    "return {\n"
    "  name = 'AF 2011 example', version = '1',\n"
    "  unit = { table = 'people', id = 'id' },\n"
    "  dimensions = {\n"
    "    { id = 'income', indicators = { { id = 'income', deprived = 'income < 500' } } },\n"
    "    { id = 'education', indicators = { { id = 'schooling', deprived = 'years < 5' } } },\n"
    "    { id = 'nutrition', indicators = { { id = 'bmi', deprived = 'bmi < 3' } } },\n"
    "    { id = 'health', indicators = { { id = 'insured', deprived = 'insured = 0' } } },\n"
    "  },\n"
    "  k = 2/4,\n"
    "}\n";

static void make_af2011(void) {
  unlink(h_path("af2011.db"));
  h_sql(h_path("af2011.db"),
        "CREATE TABLE people(id INTEGER PRIMARY KEY, income REAL, years INTEGER, bmi REAL,"
        " insured INTEGER);"
        "INSERT INTO people VALUES (1,700,14,4,1),(2,300,13,3,0),(3,400,3,1,0),(4,800,1,3,1);");
  h_write(h_path("af2011.lua"), AF2011);
}

static void test_af2011_measure(void **state) {
  (void)state;
  make_af2011();
  unlink(h_path("af2011-out.db"));
  const char *args[] = {"score", "--db", h_path("af2011.db"), "--method", h_path("af2011.lua"),
                        "--out", h_path("af2011-out.db"), "--json", NULL};
  h_result r = h_run(args);
  assert_int_equal(r.status, 0);
  assert_double_equal(jp_num(r.out, "H"), 0.5, EPS);
  assert_double_equal(jp_num(r.out, "A"), 0.75, EPS);
  assert_double_equal(jp_num(r.out, "M0"), 0.375, EPS);
  assert_double_equal(jp_num(r.out, "n"), 4, EPS);
  assert_double_equal(jp_num(r.out, "excluded"), 0, EPS);
  /* Censored headcounts 1/2, 1/4, 1/4, 1/2; contributions 1/3, 1/6, 1/6, 1/3. */
  assert_double_equal(jp_num(r.out, "indicators[id=income].uncensored"), 0.5, EPS);
  assert_double_equal(jp_num(r.out, "indicators[id=income].censored"), 0.5, EPS);
  assert_double_equal(jp_num(r.out, "indicators[id=income].contribution"), 1.0 / 3, EPS);
  assert_double_equal(jp_num(r.out, "indicators[id=schooling].uncensored"), 0.5, EPS);
  assert_double_equal(jp_num(r.out, "indicators[id=schooling].censored"), 0.25, EPS);
  assert_double_equal(jp_num(r.out, "indicators[id=schooling].contribution"), 1.0 / 6, EPS);
  assert_double_equal(jp_num(r.out, "indicators[id=bmi].uncensored"), 0.25, EPS);
  assert_double_equal(jp_num(r.out, "indicators[id=bmi].censored"), 0.25, EPS);
  assert_double_equal(jp_num(r.out, "indicators[id=insured].censored"), 0.5, EPS);
  assert_double_equal(jp_num(r.out, "indicators[id=insured].contribution"), 1.0 / 3, EPS);
  /* One row per unit with the exact scores c = (0, 2, 4, 1) / 4. */
  const char *db = h_path("af2011-out.db");
  assert_double_equal(h_sql_double(db, "SELECT count(*) FROM unit_scores"), 4, 0);
  assert_double_equal(h_sql_double(db, "SELECT score FROM unit_scores WHERE unit='2'"), 0.5, 0);
  assert_double_equal(h_sql_double(db, "SELECT score FROM unit_scores WHERE unit='3'"), 1.0, 0);
  assert_double_equal(h_sql_double(db, "SELECT score FROM unit_scores WHERE unit='4'"), 0.25, 0);
  assert_double_equal(h_sql_double(db, "SELECT sum(poor) FROM unit_scores"), 2, 0);
  char *cat = h_sql_text(db, "SELECT category FROM unit_scores WHERE unit='3'");
  assert_string_equal(cat, "poor");
  free(cat);
  h_result_free(&r);
}

static void test_af2011_sweep(void **state) {
  (void)state;
  make_af2011();
  const char *args[] = {"sweep", "--db", h_path("af2011.db"), "--method", h_path("af2011.lua"),
                        "--json", NULL};
  h_result r = h_run(args);
  assert_int_equal(r.status, 0);
  /* k = 1/4: persons 2, 3, 4 poor: H = 3/4, A = (2+4+1)/12 = 7/12. */
  assert_double_equal(jp_num(r.out, "sweep[k=0.25].H"), 0.75, EPS);
  assert_double_equal(jp_num(r.out, "sweep[k=0.25].A"), 7.0 / 12, EPS);
  assert_double_equal(jp_num(r.out, "sweep[k=0.5].H"), 0.5, EPS);
  assert_double_equal(jp_num(r.out, "sweep[k=0.5].M0"), 0.375, EPS);
  assert_double_equal(jp_num(r.out, "sweep[k=1].H"), 0.25, EPS);
  assert_double_equal(jp_num(r.out, "sweep[k=1].A"), 1.0, EPS);
  h_result_free(&r);
}

/* n equal-weight indicators d1..dn in one dimension, cutoff k_expr. */
static void make_trap(const char *name, int n, const char *k_expr, int deprived_a, int deprived_b) {
  char lua[2048], path[256];
  snprintf(lua, sizeof lua,
           "local inds = {}\n"
           "for i = 1, %d do inds[i] = { id = 'd' .. i, deprived = 'd' .. i .. ' = 1' } end\n"
           "return { name = 'trap', version = '1', unit = { table = 'u', id = 'id' },\n"
           "  dimensions = { { id = 'all', indicators = inds } }, k = %s }\n",
           n, k_expr);
  snprintf(path, sizeof path, "%s.lua", name);
  h_write(h_path(path), lua);
  snprintf(path, sizeof path, "%s.db", name);
  unlink(h_path(path));
  char sql[8192];
  int len = snprintf(sql, sizeof sql, "CREATE TABLE u(id TEXT PRIMARY KEY");
  for (int i = 1; i <= n; i++) len += snprintf(sql + len, sizeof sql - (size_t)len, ", d%d INTEGER", i);
  len += snprintf(sql + len, sizeof sql - (size_t)len, "); INSERT INTO u VALUES ('a'");
  for (int i = 1; i <= n; i++) len += snprintf(sql + len, sizeof sql - (size_t)len, ",%d", i <= deprived_a);
  len += snprintf(sql + len, sizeof sql - (size_t)len, "),('b'");
  for (int i = 1; i <= n; i++) len += snprintf(sql + len, sizeof sql - (size_t)len, ",%d", i <= deprived_b);
  snprintf(sql + len, sizeof sql - (size_t)len, ");");
  h_sql(h_path(path), sql);
}

static void check_trap(const char *name) {
  char lua[256], db[256], out[256];
  snprintf(lua, sizeof lua, "%s.lua", name);
  snprintf(db, sizeof db, "%s.db", name);
  snprintf(out, sizeof out, "%s-out.db", name);
  unlink(h_path(out));
  const char *args[] = {"score", "--db", h_path(db), "--method", h_path(lua), "--out", h_path(out),
                        "--json", NULL};
  h_result r = h_run(args);
  assert_int_equal(r.status, 0);
  assert_double_equal(jp_num(r.out, "H"), 0.5, 0);   /* a is poor, b is not */
  assert_double_equal(h_sql_double(h_path(out), "SELECT poor FROM unit_scores WHERE unit='a'"), 1, 0);
  assert_double_equal(h_sql_double(h_path(out), "SELECT poor FROM unit_scores WHERE unit='b'"), 0, 0);
  h_result_free(&r);
}

static void test_float_trap_thirtieths(void **state) {
  (void)state;
  volatile double w = 1.0 / 30, sum = 0;
  for (int i = 0; i < 6; i++) sum += w;
  assert_true(sum < 0.2);            /* the trap is real in doubles */
  make_trap("trap30", 30, "1/5", 6, 5);
  check_trap("trap30");
}

static void test_float_trap_eighteenths(void **state) {
  (void)state;
  /* Six 1/18 weights sum to a hair above 1/3 in doubles; the recorded score is
  ** the exact fraction, rounded once. */
  volatile double w = 1.0 / 18, sum = 0;
  for (int i = 0; i < 6; i++) sum += w;
  assert_true(sum != 1.0 / 3);
  make_trap("trap18", 18, "1/3", 6, 5);
  check_trap("trap18");
  assert_double_equal(
      h_sql_double(h_path("trap18-out.db"), "SELECT score FROM unit_scores WHERE unit='a'"),
      1.0 / 3, 0);
  assert_double_equal(
      h_sql_double(h_path("trap18-out.db"), "SELECT score FROM unit_scores WHERE unit='b'"),
      5.0 / 18, 0);
}

/* Families with members: weights, people-weighting, groups, missing policies.
** Indicators: low_income (weight 1/2) = mean income < 100 (exclude when null);
** sick (1/4) = any(sick = 1) (missing deprived); crowded (1/4) = rooms < 2. */
static const char *FAM =
    "return {\n"
    "  name = 'families', version = '2',\n"
    "  unit = { table = 'f', id = 'fid', weight = 'w', groups = { 'region' } },\n"
    "  members = { table = 'p', unit = 'fid' },\n"
    "  population = 'members',\n"
    "  params = { line = 100 },\n"
    "  dimensions = {\n"
    "    { id = 'income', weight = 1/2, indicators = {\n"
    "      { id = 'low_income', deprived = 'mean(income) < line' } } },\n"
    "    { id = 'living', weight = 1/2, indicators = {\n"
    "      { id = 'sick', deprived = 'any(sick = 1)', missing = 'deprived' },\n"
    "      { id = 'crowded', deprived = 'rooms < 2' } } },\n"
    "  },\n"
    "  k = 1/2,\n"
    "}\n";

static void make_families(void) {
  unlink(h_path("fam.db"));
  h_sql(h_path("fam.db"),
        "CREATE TABLE f(fid TEXT PRIMARY KEY, w REAL, region TEXT, rooms INTEGER);"
        "CREATE TABLE p(pid INTEGER PRIMARY KEY, fid TEXT, income REAL, sick INTEGER);"
        /* f1: income 50 -> deprived 1/2, rooms 3: c = 1/2 poor. 2 people, w 1 */
        "INSERT INTO f VALUES ('f1', 1, 'north', 3);"
        "INSERT INTO p(fid, income, sick) VALUES ('f1', 40, 0), ('f1', 60, 0);"
        /* f2: income 500, sick null -> deprived by policy, rooms 1: c = 1/2 poor. 3 people, w 2 */
        "INSERT INTO f VALUES ('f2', 2, 'north', 1);"
        "INSERT INTO p(fid, income, sick) VALUES ('f2', 500, NULL), ('f2', 500, 0), ('f2', 500, 0);"
        /* f3: income 300, nobody sick, rooms 1: c = 1/4 not poor. 1 person, w 1 */
        "INSERT INTO f VALUES ('f3', 1, 'south', 1);"
        "INSERT INTO p(fid, income, sick) VALUES ('f3', 300, 0);"
        /* f4: all incomes null -> excluded. 1 person */
        "INSERT INTO f VALUES ('f4', 1, 'south', 5);"
        "INSERT INTO p(fid, income, sick) VALUES ('f4', NULL, 0);"
        /* f5: income 20, sick, crowded: c = 1 poor. 4 people, w 0.5 */
        "INSERT INTO f VALUES ('f5', 0.5, 'south', 1);"
        "INSERT INTO p(fid, income, sick) VALUES ('f5', 20, 1), ('f5', 20, 0), ('f5', 20, 0),"
        " ('f5', 20, 0);"
        /* an orphan member */
        "INSERT INTO p(fid, income, sick) VALUES ('zz', 1, 1);");
  h_write(h_path("fam.lua"), FAM);
}

static void test_weights_members_groups_missing(void **state) {
  (void)state;
  make_families();
  const char *args[] = {"score", "--db", h_path("fam.db"), "--method", h_path("fam.lua"), "--json",
                        NULL};
  h_result r = h_run(args);
  assert_int_equal(r.status, 0);
  /* p_i = w * members: f1 2, f2 6, f3 1, f5 2; f4 excluded. n = 11. Poor: f1, f2, f5 = 10. */
  assert_double_equal(jp_num(r.out, "n"), 11, EPS);
  assert_double_equal(jp_num(r.out, "excluded"), 1, 0);
  assert_double_equal(jp_num(r.out, "H"), 10.0 / 11, EPS);
  /* A = (2*.5 + 6*.5 + 2*1) / 10 = 0.6 */
  assert_double_equal(jp_num(r.out, "A"), 0.6, EPS);
  assert_double_equal(jp_num(r.out, "M0"), 6.0 / 11, EPS);
  assert_double_equal(jp_num(r.out, "data.orphan_members"), 1, 0);
  assert_double_equal(jp_num(r.out, "indicators[id=low_income].missing"), 1, 0);
  /* f1 2 + f5 2 */
  assert_double_equal(jp_num(r.out, "indicators[id=low_income].uncensored"), 4.0 / 11, EPS);
  assert_double_equal(jp_num(r.out, "indicators[id=sick].missing"), 1, 0);
  /* f2 6 + f5 2 */
  assert_double_equal(jp_num(r.out, "indicators[id=sick].uncensored"), 8.0 / 11, EPS);
  /* Group north: f1, f2: n 8, all poor, A = 0.5. South: f3 1 + f5 2: H = 2/3, A = 1. */
  const char *p = jp_at(r.out, "groups.region[value=north]");
  assert_double_equal(jp_num(p, "n"), 8, EPS);
  assert_double_equal(jp_num(p, "H"), 1, EPS);
  assert_double_equal(jp_num(p, "A"), 0.5, EPS);
  assert_double_equal(jp_num(p, "share"), 8.0 / 11, EPS);
  assert_double_equal(jp_num(p, "contribution"), (8.0 / 11) * 0.5 / (6.0 / 11), EPS);
  p = jp_at(r.out, "groups.region[value=south]");
  assert_double_equal(jp_num(p, "H"), 2.0 / 3, EPS);
  assert_double_equal(jp_num(p, "A"), 1, EPS);
  h_result_free(&r);
}

static void test_text_output_and_exit_codes(void **state) {
  (void)state;
  make_af2011();
  const char *args[] = {"score", "--db", h_path("af2011.db"), "--method", h_path("af2011.lua"),
                        NULL};
  h_result r = h_run(args);
  assert_int_equal(r.status, 0);
  assert_has(r.out, "H = 50.00 %");
  assert_has(r.out, "M0 = 0.3750");
  h_result_free(&r);
  const char *bad[] = {"score", "--db", h_path("af2011.db"), NULL};
  r = h_run(bad);
  assert_int_equal(r.status, 2);
  assert_string_equal(r.err, "afscore score: needs --db DATA.db and one --method METHOD.lua\n"
                             "usage: afscore score --db DATA.db --method METHOD.lua "
                             "[--out RESULTS.db] [--json] [--level 0.95]\n"
                             "        [--require-signed --trust KEYS] [--sign-with KEY.pem] [--partition I/N]\n");
  h_result_free(&r);
  const char *unknown[] = {"scroe", NULL};
  r = h_run(unknown);
  assert_int_equal(r.status, 2);
  assert_has(r.err, "afscore: no command 'scroe' (did you mean 'score'?)\n");
  h_result_free(&r);
  const char *missing[] = {"score", "--db", h_path("nope.db"), "--method", h_path("af2011.lua"),
                           NULL};
  r = h_run(missing);
  assert_int_equal(r.status, 1);
  char want[1200];
  snprintf(want, sizeof want, "afscore: %s: no such file\n", h_path("nope.db"));
  assert_string_equal(r.err, want);
  h_result_free(&r);
  const char *help[] = {"help", "score", NULL};
  r = h_run(help);
  assert_int_equal(r.status, 0);
  assert_has(r.out, "usage: afscore score --db DATA.db --method METHOD.lua");
  h_result_free(&r);
}

/* 70 columns to break results down by, more than any fixed table would hold:
** check accepts them and score reports each. Column g<i> is 'in' for
** person i % 4 + 1 of the AF 2011 example, 'out' for the other three; with
** k = 2/4 persons 2 and 3 are poor (c = 2/4, 4/4), 1 and 4 are not. */
#define MANY_GROUPS 70
static void test_many_groups(void **state) {
  (void)state;
  make_af2011();
  strbuf sql = {0}, lua = {0};
  sb_puts(&sql, "ALTER TABLE people RENAME TO base; CREATE TABLE people AS SELECT *");
  for (int i = 0; i < MANY_GROUPS; i++)
    sb_printf(&sql, ", CASE id WHEN %d THEN 'in' ELSE 'out' END AS g%d", i % 4 + 1, i);
  sb_puts(&sql, " FROM base;");
  h_sql(h_path("af2011.db"), sql.s);
  const char *tail = strstr(AF2011, "  dimensions");
  sb_puts(&lua, "return {\n  name = 'many groups', version = '1',\n"
                "  unit = { table = 'people', id = 'id', groups = {");
  for (int i = 0; i < MANY_GROUPS; i++) sb_printf(&lua, "%s'g%d'", i ? ", " : " ", i);
  sb_printf(&lua, " } },\n%s", tail);
  h_write(h_path("groups70.lua"), lua.s);
  const char *chk[] = {"check", h_path("groups70.lua"), "--db", h_path("af2011.db"), NULL};
  h_result r = h_run(chk);
  if (r.status != 0) fail_msg("check: %s", r.err);
  h_result_free(&r);
  const char *args[] = {"score", "--db", h_path("af2011.db"), "--method", h_path("groups70.lua"),
                        "--json", NULL};
  r = h_run(args);
  if (r.status != 0) fail_msg("score: %s", r.err);
  assert_double_equal(jp_num(r.out, "H"), 0.5, EPS);
  assert_int_equal(jp_len(r.out, "groups"), MANY_GROUPS);
  for (int i = 0; i < MANY_GROUPS; i++) {
    int person = i % 4 + 1, poor = person == 2 || person == 3;
    assert_double_equal(jp_num(r.out, "groups.g%d[value=in].H", i), poor, 0);
    assert_double_equal(jp_num(r.out, "groups.g%d[value=out].H", i), (2.0 - poor) / 3, EPS);
  }
  h_result_free(&r);
  sb_free(&sql);
  sb_free(&lua);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_af2011_measure),
      cmocka_unit_test(test_af2011_sweep),
      cmocka_unit_test(test_float_trap_thirtieths),
      cmocka_unit_test(test_float_trap_eighteenths),
      cmocka_unit_test(test_weights_members_groups_missing),
      cmocka_unit_test(test_text_output_and_exit_codes),
      cmocka_unit_test(test_many_groups),
  };
  return cmocka_run_group_tests_name("e2e_af", tests, NULL, NULL);
}
