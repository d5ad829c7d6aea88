/*
** test_e2e_measures.c: support measures end to end (issue 6), through the
** real afscore binary on a generated population of 3000 families and the
** fixtures in tests/fixtures/measures/:
**  - eligibility of every unit for every measure (unit_scores.eligible, bit
**    i = measure i) and the "measures" counts of score --json (units and
**    people, overall and per group) against SQL that recomputes the scores,
**    categories and rules from the data: AF rules on category, poor, score,
**    deprived('x'), member aggregates and params; points rules on points('x');
**  - validation errors with FILE:LINE; the 64-measure limit;
**  - the notice queue (CSV and JSON, kk and ru, placeholders filled in);
**  - gains and losses per measure in compare and replay --method against
**    bits flipping between two recorded runs;
**  - explain lists the measures and why.
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
#define FIX "tests/fixtures/measures/"

static const char *AF_IDS[] = {"visit", "insurance_help", "job_help", "school_place",
                               "large_family", "rural_help"};
static const char *PT_IDS[] = {"car_help", "health", "low_score", "kids"};

/* Per family, from the data alone: member count, the four AF deprivations,
** the points fixture's points, then each methodology's score and category
** and every measure's rule as columns e0.. (AF), v0.. (AF variant), p0..
** (points). Over no members any() is false and count() 0, as in the engine. */
static const char *FAM_SQL =
    "CREATE TABLE fam AS SELECT f.family_id AS id, f.region AS region,"
    " f.settlement AS settlement, f.cars AS cars, f.dwellings AS dwellings,"
    " count(p.family_id) AS n,"
    " (count(p.family_id) > 0 AND coalesce(sum(p.employed = 1), 0) = 0) AS no_work,"
    " coalesce(max(p.health_insured = 0), 0) AS uninsured,"
    " (f.dwellings = 0) AS no_housing,"
    " coalesce(max(p.chronic_disease = 1), 0) AS chronic,"
    " coalesce(max(p.age BETWEEN 6 AND 16 AND p.school = 0), 0) AS school_gap,"
    " coalesce(sum(p.age < 18), 0) AS kids"
    " FROM g.families f LEFT JOIN g.persons p ON p.family_id = f.family_id"
    " GROUP BY f.family_id;"
    /* AF: four indicators of weight 1/4; the score in quarters d/4 */
    "CREATE TABLE af AS SELECT *, d / 4.0 AS score,"
    " CASE WHEN d >= 4 THEN 'E' WHEN d >= 3 THEN 'D' WHEN d >= 2 THEN 'C' WHEN d >= 1 THEN 'B'"
    " ELSE 'A' END AS category FROM"
    " (SELECT *, no_work + uninsured + no_housing + chronic AS d FROM fam);"
    "ALTER TABLE af ADD COLUMN e0; ALTER TABLE af ADD COLUMN e1; ALTER TABLE af ADD COLUMN e2;"
    "ALTER TABLE af ADD COLUMN e3; ALTER TABLE af ADD COLUMN e4; ALTER TABLE af ADD COLUMN e5;"
    "ALTER TABLE af ADD COLUMN v0; ALTER TABLE af ADD COLUMN v1; ALTER TABLE af ADD COLUMN v2;"
    "ALTER TABLE af ADD COLUMN v3; ALTER TABLE af ADD COLUMN v4; ALTER TABLE af ADD COLUMN v5;"
    /* base: k = 1/2 (poor = d >= 2), large = 5 */
    "UPDATE af SET e0 = category IN ('D', 'E'), e1 = (d >= 2 AND uninsured),"
    " e2 = (d >= 2 AND NOT no_work), e3 = school_gap, e4 = n >= 5,"
    " e5 = (d < 2 AND settlement = 'village' AND category = 'B');"
    /* variant: k = 1/4 (poor = d >= 1), visit only E, job help score >= 1/4
    ** and workless, large = 4 */
    "UPDATE af SET v0 = category = 'E', v1 = (d >= 1 AND uninsured),"
    " v2 = (d >= 1 AND no_work), v3 = school_gap, v4 = n >= 4,"
    " v5 = (d < 1 AND settlement = 'village' AND category = 'B');"
    /* points: cars 0 -50, 2+ +50 (unknown 0); uninsured -20; chronic -80 */
    "CREATE TABLE pt AS SELECT *, carpts + inspts + chrpts AS total FROM"
    " (SELECT *, CASE WHEN cars = 0 THEN -50 WHEN cars >= 2 THEN 50 ELSE 0 END AS carpts,"
    "  -20 * uninsured AS inspts, -80 * chronic AS chrpts FROM fam);"
    "ALTER TABLE pt ADD COLUMN category;"
    "UPDATE pt SET category = CASE WHEN total >= 50 THEN 'A' WHEN total >= 0 THEN 'B'"
    " WHEN total >= -50 THEN 'C' WHEN total >= -100 THEN 'D' ELSE 'E' END;"
    "ALTER TABLE pt ADD COLUMN p0; ALTER TABLE pt ADD COLUMN p1;"
    "ALTER TABLE pt ADD COLUMN p2; ALTER TABLE pt ADD COLUMN p3;"
    "UPDATE pt SET p0 = (carpts < 0 AND category IN ('C', 'D', 'E')),"
    " p1 = inspts + chrpts <= -100, p2 = total < -60, p3 = (kids >= 3 AND total < 0);";

static int ready;

/* mgen.db; mgen-out.db runs 1 = af_measures, 2 = points_measures,
** 3 = af_measures_variant; mcheck.db: fam, af, pt and the recorded runs. */
static void setup_data(void) {
  if (ready) return;
  const char *db = h_path("mgen.db"), *out = h_path("mgen-out.db"), *chk = h_path("mcheck.db");
  unlink(db);
  unlink(out);
  unlink(chk);
  const char *gen[] = {"generate", "--families", "3000", "--seed", "11", "--out", db, NULL};
  h_result r = h_run(gen);
  assert_int_equal(r.status, 0);
  h_result_free(&r);
  const char *m[] = {FIX "af_measures.lua", FIX "points_measures.lua",
                     FIX "af_measures_variant.lua"};
  for (int i = 0; i < 3; i++) {
    const char *args[] = {"score", "--db", db, "--method", m[i], "--out", out, NULL};
    r = h_run(args);
    assert_int_equal(r.status, 0);
    h_result_free(&r);
  }
  char *sql = malloc(strlen(FAM_SQL) + 4096);
  sprintf(sql,
          "ATTACH '%s' AS g; ATTACH '%s' AS r; %s"
          "CREATE TABLE run1 AS SELECT * FROM r.unit_scores WHERE run_id = 1;"
          "CREATE TABLE run2 AS SELECT * FROM r.unit_scores WHERE run_id = 2;"
          "CREATE TABLE run3 AS SELECT * FROM r.unit_scores WHERE run_id = 3;",
          db, out, FAM_SQL);
  h_sql(chk, sql);
  free(sql);
  ready = 1;
}

static double q(const char *fmt, ...) {
  char sql[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(sql, sizeof sql, fmt, ap);
  va_end(ap);
  return h_sql_double(h_path("mcheck.db"), sql);
}

/* The object of measure id in the "measures" list of the JSON object json. */
static const char *measure_at(const char *json, const char *id) {
  return jp_at(json, "measures[id=%s]", id);
}

static void test_af_eligibility(void **state) {
  (void)state;
  setup_data();
  /* the recorded scores and categories are the ones recomputed from the data */
  assert_double_equal(q("SELECT count(*) FROM af a JOIN run1 r ON r.unit = a.id"
                        " WHERE r.score = a.score AND r.category = a.category"
                        " AND r.poor = (a.d >= 2)"), 3000, 0);
  /* every unit, every measure: bit i of eligible = rule i */
  for (int i = 0; i < 6; i++) {
    assert_double_equal(q("SELECT count(*) FROM af a JOIN run1 r ON r.unit = a.id"
                          " WHERE ((r.eligible >> %d) & 1) != a.e%d", i, i), 0, 0);
    double units = q("SELECT sum(e%d) FROM af", i);
    if (units < 5) fail_msg("measure %s: only %.0f units, the test is too weak", AF_IDS[i], units);
  }
  assert_true(q("SELECT count(*) FROM af WHERE NOT e0") > 0);   /* nobody-or-everybody guard */

  const char *args[] = {"score", "--db", h_path("mgen.db"), "--method", FIX "af_measures.lua",
                        "--json", NULL};
  h_result r = h_run(args);
  assert_int_equal(r.status, 0);
  for (int i = 0; i < 6; i++) {
    const char *m = measure_at(r.out, AF_IDS[i]);
    assert_double_equal(jp_num(m, "units"), q("SELECT sum(e%d) FROM af", i), 0);
    /* people = member rows of the eligible units */
    assert_double_equal(jp_num(m, "people"), q("SELECT total(n) FROM af WHERE e%d", i), 0);
  }
  /* per group: Almaty (the city, not "Almaty Region") */
  const char *g = jp_at(r.out, "groups.region[value=Almaty]");
  for (int i = 0; i < 6; i++) {
    const char *m = measure_at(g, AF_IDS[i]);
    assert_double_equal(jp_num(m, "units"),
                        q("SELECT sum(e%d) FROM af WHERE region = 'Almaty'", i), 0);
    assert_double_equal(jp_num(m, "people"),
                        q("SELECT total(n) FROM af WHERE region = 'Almaty' AND e%d", i), 0);
  }
  h_result_free(&r);
}

static void test_points_eligibility(void **state) {
  (void)state;
  setup_data();
  assert_double_equal(q("SELECT count(*) FROM pt p JOIN run2 r ON r.unit = p.id"
                        " WHERE r.score = p.total AND r.category = p.category"), 3000, 0);
  for (int i = 0; i < 4; i++) {
    assert_double_equal(q("SELECT count(*) FROM pt p JOIN run2 r ON r.unit = p.id"
                          " WHERE ((r.eligible >> %d) & 1) != p.p%d", i, i), 0, 0);
    assert_true(q("SELECT sum(p%d) FROM pt", i) >= 5);
  }
  const char *args[] = {"score", "--db", h_path("mgen.db"), "--method",
                        FIX "points_measures.lua", "--json", NULL};
  h_result r = h_run(args);
  assert_int_equal(r.status, 0);
  for (int i = 0; i < 4; i++) {
    const char *m = measure_at(r.out, PT_IDS[i]);
    assert_double_equal(jp_num(m, "units"), q("SELECT sum(p%d) FROM pt", i), 0);
    assert_double_equal(jp_num(m, "people"), q("SELECT total(n) FROM pt WHERE p%d", i), 0);
  }
  h_result_free(&r);
}

static void test_validation(void **state) {
  (void)state;
  setup_data();
  const char *args[] = {"check", FIX "bad_measures.lua", "--db", h_path("mgen.db"), NULL};
  h_result r = h_run(args);
  assert_int_equal(r.status, 1);
  assert_string_equal(
      r.err,
      FIX "bad_measures.lua:15: measure 'typo': rule \"poor and deprived('uninsurd')\": unknown "
      "indicator 'uninsurd' in deprived() (did you mean 'uninsured'?) near "
      "'deprived('uninsurd')' at column 10\n"
      FIX "bad_measures.lua:16: measure 'number': rule \"score * 2\": the rule must be a "
      "condition (true or false), but 'score * 2' is a number\n"
      FIX "bad_measures.lua:17: measure 'column': rule \"any(schol = 0)\": unknown column "
      "'schol' in table persons (did you mean 'school'?) near 'schol' at column 5\n");
  h_result_free(&r);
  /* bit i of unit_scores.eligible is measure i: at most 64 */
  const char *many[] = {"check", FIX "too_many_measures.lua", NULL};
  r = h_run(many);
  assert_int_equal(r.status, 1);
  assert_string_equal(r.err, FIX "too_many_measures.lua:10: at most 64 measures per methodology "
                             "(found 65): the results keep one bit per measure; split them "
                             "into several methodologies\n");
  h_result_free(&r);
}

/* 64 measures: measure mI holds when x >= I; bit 63 is the sign bit. */
static void test_sixty_four_measures(void **state) {
  (void)state;
  const char *db = h_path("m64.db"), *out = h_path("m64-out.db");
  unlink(db);
  unlink(out);
  h_sql(db, "CREATE TABLE u(id TEXT, x INTEGER);"
            "INSERT INTO u VALUES ('a', 0), ('b', 1), ('c', 63), ('d', 64);");
  const char *args[] = {"score", "--db", db, "--method", FIX "max_measures.lua", "--out", out,
                        "--json", NULL};
  h_result r = h_run(args);
  assert_int_equal(r.status, 0);
  /* m1: b, c, d; m63: c, d; m64: d only */
  assert_double_equal(jp_num(r.out, "measures[id=m1].units"), 3, 0);
  assert_double_equal(jp_num(r.out, "measures[id=m63].units"), 2, 0);
  assert_double_equal(jp_num(r.out, "measures[id=m64].units"), 1, 0);
  h_result_free(&r);
  /* d holds all 64 bits (-1 as a signed 64-bit integer), c the lower 63 */
  assert_double_equal(h_sql_double(out, "SELECT eligible FROM unit_scores WHERE unit = 'a'"), 0, 0);
  assert_double_equal(h_sql_double(out, "SELECT eligible FROM unit_scores WHERE unit = 'b'"), 1, 0);
  assert_double_equal(h_sql_double(out, "SELECT eligible = 9223372036854775807 FROM unit_scores"
                                        " WHERE unit = 'c'"), 1, 0);
  assert_double_equal(h_sql_double(out, "SELECT eligible FROM unit_scores WHERE unit = 'd'"), -1, 0);
  const char *n[] = {"notices", "--out", out, "--run", "1", "--lang", "ru", NULL};
  r = h_run(n);
  assert_int_equal(r.status, 0);
  assert_has(r.out, "\"d\",m64,ru,\"m64 d\"\n");
  assert_lacks(r.out, "\"c\",m64,");
  assert_has(r.out, "\"c\",m63,ru,\"m63 c\"\n");
  int lines = 0;
  for (const char *p = r.out; *p; p++) lines += *p == '\n';
  assert_int_equal(lines, 1 + 1 + 63 + 64);   /* header, b, c, d */
  h_result_free(&r);
}

/* The unit (text, owned) of the first unit by id satisfying cond in af. */
static char *first_unit(const char *cond) {
  char sql[512];
  snprintf(sql, sizeof sql, "SELECT id FROM af WHERE %s ORDER BY id LIMIT 1", cond);
  return h_sql_text(h_path("mcheck.db"), sql);
}

static void test_notices(void **state) {
  (void)state;
  setup_data();
  char line[1024], sql[256];
  /* kk CSV: {category} and {score} of a visited unit; {large} = 5 */
  const char *kk[] = {"notices", "--out", h_path("mgen-out.db"), "--run", "1", "--lang", "kk",
                      "--format", "csv", NULL};
  h_result r = h_run(kk);
  assert_int_equal(r.status, 0);
  assert_true(strncmp(r.out, "unit,measure,lang,text\n", 23) == 0);
  char *u = first_unit("category = 'D'");
  snprintf(line, sizeof line,
           "\"%s\",visit,kk,\"Санат D, балл 0.75. Әлеуметтік қызметкер келеді.\"\n", u);
  assert_has(r.out, line);
  free(u);
  u = first_unit("category = 'E'");
  snprintf(line, sizeof line,
           "\"%s\",visit,kk,\"Санат E, балл 1. Әлеуметтік қызметкер келеді.\"\n", u);
  assert_has(r.out, line);
  free(u);
  u = first_unit("e4");
  snprintf(line, sizeof line, "\"%s\",large_family,kk,\"Отбасыңызда 5 немесе одан көп адам бар.\"\n",
           u);
  assert_has(r.out, line);
  free(u);
  /* no kk text for insurance_help: the measure's name, no language */
  u = first_unit("e1");
  snprintf(line, sizeof line, "\"%s\",insurance_help,,\"Help with health insurance\"\n", u);
  assert_has(r.out, line);
  free(u);
  /* one row per eligible (unit, measure), plus the header */
  int lines = 0;
  for (const char *p = r.out; *p; p++) lines += *p == '\n';
  assert_int_equal(lines, 1 + (int)q("SELECT sum(e0 + e1 + e2 + e3 + e4 + e5) FROM af"));
  /* a warning per measure without kk text, with its rows counted in the
  ** SQL reference (e1 insurance_help, e2 job_help, e3 school_place, e5
  ** rural_help) */
  strbuf want = {0};
  const char *ids[6] = {NULL, "insurance_help", "job_help", "school_place", NULL, "rural_help"};
  for (int k = 1; k < 6; k++) {
    long long n = ids[k] ? (long long)q("SELECT sum(e%d) FROM af", k) : 0;
    if (n)
      sb_printf(&want, "afscore notices: warning: measure '%s' has no notice in 'kk': %lld row%s "
                "carry its name instead\n", ids[k], n, n == 1 ? "" : "s");
  }
  assert_non_null(want.s);
  assert_string_equal(r.err, want.s);
  sb_free(&want);
  h_result_free(&r);

  /* ru JSON: {unit} and the text param {office} */
  const char *ru[] = {"notices", "--out", h_path("mgen-out.db"), "--run", "1", "--lang", "ru",
                      "--format", "json", NULL};
  r = h_run(ru);
  assert_int_equal(r.status, 0);
  u = first_unit("e1");
  snprintf(line, sizeof line,
           "\"unit\": \"%s\",\n    \"measure\": \"insurance_help\",\n    \"lang\": \"ru\",\n"
           "    \"text\": \"Семья %s: оформите медицинское страхование, справки по 1414.\"",
           u, u);
  assert_has(r.out, line);
  free(u);
  assert_int_equal(jp_len(r.out, "$"), (int)q("SELECT sum(e0 + e1 + e2 + e3 + e4 + e5) FROM af"));
  h_result_free(&r);

  /* points run: {score} is the total */
  const char *pr[] = {"notices", "--out", h_path("mgen-out.db"), "--run", "2", "--lang", "ru",
                      NULL};
  r = h_run(pr);
  assert_int_equal(r.status, 0);
  snprintf(sql, sizeof sql, "SELECT id || '|' || total || '|' || category FROM pt WHERE p1"
                            " ORDER BY id LIMIT 1");
  char *row = h_sql_text(h_path("mcheck.db"), sql);
  char id[64], cat[8];
  int total;
  assert_int_equal(sscanf(row, "%63[^|]|%d|%7s", id, &total, cat), 3);
  snprintf(line, sizeof line,
           "\"%s\",health,ru,\"Итог %d, категория %s: обратитесь в поликлинику.\"\n", id, total,
           cat);
  assert_has(r.out, line);
  free(row);
  h_result_free(&r);
}

/* gained / lost per measure in a compare-style JSON against runs 1 and 3. */
static void check_gains(const char *json, const char *region) {
  char where[96] = "";
  if (region) snprintf(where, sizeof where, " AND a.region = '%s'", region);
  for (int i = 0; i < 6; i++) {
    double gained = q("SELECT count(*) FROM af a JOIN run1 b ON b.unit = a.id JOIN run3 v"
                      " ON v.unit = a.id WHERE ((b.eligible >> %d) & 1) = 0"
                      " AND ((v.eligible >> %d) & 1) = 1%s", i, i, where);
    double lost = q("SELECT count(*) FROM af a JOIN run1 b ON b.unit = a.id JOIN run3 v"
                    " ON v.unit = a.id WHERE ((b.eligible >> %d) & 1) = 1"
                    " AND ((v.eligible >> %d) & 1) = 0%s", i, i, where);
    const char *m = measure_at(json, AF_IDS[i]);
    assert_double_equal(jp_num(m, "gained"), gained, 0);
    assert_double_equal(jp_num(m, "lost"), lost, 0);
    assert_double_equal(jp_num(m, "net"), gained - lost, 0);
  }
}

static void test_gains_and_losses(void **state) {
  (void)state;
  setup_data();
  /* the recorded variant run agrees with the rules recomputed from the data */
  for (int i = 0; i < 6; i++)
    assert_double_equal(q("SELECT count(*) FROM af a JOIN run3 r ON r.unit = a.id"
                          " WHERE ((r.eligible >> %d) & 1) != a.v%d", i, i), 0, 0);
  /* the variant moves units both ways: visits and rural help lose, insurance
  ** help and large families gain, job help does both */
  assert_true(q("SELECT count(*) FROM af WHERE e0 AND NOT v0") > 0);
  assert_true(q("SELECT count(*) FROM af WHERE v1 AND NOT e1") > 0);
  assert_true(q("SELECT count(*) FROM af WHERE v2 AND NOT e2") > 0);
  assert_true(q("SELECT count(*) FROM af WHERE e2 AND NOT v2") > 0);

  const char *args[] = {"compare", "--db", h_path("mgen.db"), "--method", FIX "af_measures.lua",
                        "--method", FIX "af_measures_variant.lua", "--json", NULL};
  h_result r = h_run(args);
  assert_int_equal(r.status, 0);
  check_gains(r.out, NULL);
  /* the comparison's groups (the two summaries have their own) */
  check_gains(jp_at(r.out, "groups.region[value=Turkestan]"), "Turkestan");
  h_result_free(&r);

  /* replay --method: the proposed rules against recorded run 1 */
  const char *rp[] = {"replay", "1", "--out", h_path("mgen-out.db"), "--db", h_path("mgen.db"),
                      "--method", FIX "af_measures_variant.lua", "--json", NULL};
  r = h_run(rp);
  assert_int_equal(r.status, 0);
  check_gains(r.out, NULL);
  h_result_free(&r);

  /* the human form of compare has the table */
  const char *txt[] = {"compare", "--db", h_path("mgen.db"), "--method", FIX "af_measures.lua",
                       "--method", FIX "af_measures_variant.lua", NULL};
  r = h_run(txt);
  assert_int_equal(r.status, 0);
  char line[160];
  double lost = q("SELECT count(*) FROM af WHERE e0 AND NOT v0");
  snprintf(line, sizeof line, "  %-28s %10d %10.0f %+10.0f\n", "visit", 0, lost, -lost);
  assert_has(r.out, line);
  h_result_free(&r);
}

static void test_explain_measures(void **state) {
  (void)state;
  setup_data();
  char *u = first_unit("e1 AND e4 AND NOT e0");
  const char *args[] = {"explain", "--out", h_path("mgen-out.db"), "--db", h_path("mgen.db"),
                        "--run", "1", u, "--json", NULL};
  h_result r = h_run(args);
  assert_int_equal(r.status, 0);
  const char *m = measure_at(r.out, "insurance_help");
  assert_true(jp_bool(m, "eligible"));
  assert_true(jp_bool(m, "inputs.poor"));
  assert_true(jp_bool(m, "inputs.deprived('uninsured')"));
  m = measure_at(r.out, "large_family");
  assert_true(jp_bool(m, "eligible"));
  assert_true(jp_num(m, "inputs.count()") >= 5);
  m = measure_at(r.out, "visit");
  assert_false(jp_bool(m, "eligible"));
  h_result_free(&r);
  free(u);
}

int main(void) {
  /* run from the repository: fixtures and messages use relative paths */
  const char *root = getenv("AFSCORE_ROOT");
  if (root && chdir(root) != 0) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_af_eligibility),
      cmocka_unit_test(test_points_eligibility),
      cmocka_unit_test(test_validation),
      cmocka_unit_test(test_sixty_four_measures),
      cmocka_unit_test(test_notices),
      cmocka_unit_test(test_gains_and_losses),
      cmocka_unit_test(test_explain_measures),
  };
  return cmocka_run_group_tests_name("e2e_measures", tests, NULL, NULL);
}
