/*
** test_e2e_points.c: points-based methodologies end to end (issue 7), through
** the real afscore binary on methodology/kz_order267_2023.lua:
**  - the reference's worked examples (urban 670 is C, with income 2-3 PM 780
**    is B, rural 500 is C) and band edges, on hand-made families whose points
**    are itemised in tests/fixtures/points/golden.sql; explain's matched
**    cases, sum and distances to the neighbouring bands;
**  - every unit's total on a generated population against the whole order
**    re-implemented as one SQL query; the score --json summary (categories,
**    groups, score quantiles; no AF keys) against SQL;
**  - validation errors (FILE:LINE) through `afscore check`;
**  - compare AF (kz_family_2023) against the order: the transition matrix
**    cell by cell against the two recorded runs;
**  - sweep: every step of every bound against a count over unit_scores.
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

#define EPS 1e-12
#define ORDER "methodology/kz_order267_2023.lua"
#define AFKZ "methodology/kz_family_2023.lua"

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) fail_msg("cannot read %s", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  size_t got = fread(s, 1, (size_t)n, f);
  s[got] = '\0';
  fclose(f);
  return s;
}

/* ---- golden families ---- */

static void make_golden(void) {
  unlink(h_path("pts-golden.db"));
  char *sql = slurp(h_root("tests/fixtures/points/golden.sql"));
  h_sql(h_path("pts-golden.db"), sql);
  free(sql);
}

static double unit_score(const char *db, const char *unit) {
  char q[256];
  snprintf(q, sizeof q, "SELECT score FROM unit_scores WHERE run_id = 1 AND unit = '%s'", unit);
  return h_sql_double(db, q);
}

static void assert_unit_category(const char *db, const char *unit, const char *cat) {
  char q[256];
  snprintf(q, sizeof q, "SELECT category FROM unit_scores WHERE run_id = 1 AND unit = '%s'",
           unit);
  char *got = h_sql_text(db, q);
  assert_string_equal(got, cat);
  free(got);
}

static void test_golden_totals_and_categories(void **state) {
  (void)state;
  make_golden();
  const char *out = h_path("pts-golden-out.db");
  unlink(out);
  const char *args[] = {"score", "--db", h_path("pts-golden.db"), "--method", h_root(ORDER),
                        "--out", out, "--json", NULL};
  h_result r = h_run(args);
  assert_int_equal(r.status, 0);
  /* Totals itemised in golden.sql. Bands: E < -459 <= D < -30 <= C < 730 <= B < 1800 <= A. */
  assert_double_equal(unit_score(out, "urban670"), 670, 0);
  assert_unit_category(out, "urban670", "C");
  assert_double_equal(unit_score(out, "urban780"), 780, 0);
  assert_unit_category(out, "urban780", "B");
  assert_double_equal(unit_score(out, "rural500"), 500, 0);
  assert_unit_category(out, "rural500", "C");
  assert_double_equal(unit_score(out, "edge730"), 730, 0);
  assert_unit_category(out, "edge730", "B");
  assert_double_equal(unit_score(out, "edge_m30"), -30, 0);
  assert_unit_category(out, "edge_m30", "C");
  assert_double_equal(unit_score(out, "emergency"), -1200, 0);
  assert_unit_category(out, "emergency", "E");
  /* poor is an AF notion: NULL for every unit of a points run */
  assert_double_equal(h_sql_double(out, "SELECT count(*) FROM unit_scores WHERE poor IS NULL"),
                      6, 0);
  /* Summary: C 3 (670, 500, -30), B 2 (780, 730), E 1, no D or A. */
  assert_string_equal(jp_str(r.out, "scoring"), "points");
  assert_double_equal(jp_num(r.out, "categories[id=E].count"), 1, 0);
  assert_double_equal(jp_num(r.out, "categories[id=D].count"), 0, 0);
  assert_double_equal(jp_num(r.out, "categories[id=C].count"), 3, 0);
  assert_double_equal(jp_num(r.out, "categories[id=C].share"), 0.5, EPS);
  assert_double_equal(jp_num(r.out, "categories[id=B].count"), 2, 0);
  assert_double_equal(jp_num(r.out, "categories[id=A].count"), 0, 0);
  /* mean (670+780+500+730-30-1200)/6 = 1450/6; sorted -1200 -30 500 670 730
  ** 780: p10 is the 1st (0.6 unit), p50 the 3rd, p90 the 6th. */
  const char *p = jp_at(r.out, "score");
  assert_double_equal(jp_num(p, "mean"), 1450.0 / 6, 1e-9);
  assert_double_equal(jp_num(p, "p10"), -1200, 0);
  assert_double_equal(jp_num(p, "p50"), 500, 0);
  assert_double_equal(jp_num(p, "p90"), 780, 0);
  /* Group urban = 0: rural500 (C) and emergency (E): C 1/2, E 1/2. */
  p = jp_at(r.out, "groups.urban[value=0]");
  assert_double_equal(jp_num(p, "categories.E"), 0.5, EPS);
  assert_double_equal(jp_num(p, "categories.C"), 0.5, EPS);
  assert_double_equal(jp_num(p, "categories.B"), 0, 0);
  assert_double_equal(jp_num(p, "mean"), (500.0 - 1200) / 2, EPS);
  h_result_free(&r);
}

/* explain --json for one unit of the golden run (owned output). */
static h_result explain(const char *unit, int as_json) {
  const char *args[] = {"explain", "--out", h_path("pts-golden-out.db"), "--db", h_path("pts-golden.db"),
                        "--run", "1", unit, as_json ? "--json" : NULL, NULL};
  h_result r = h_run(args);
  assert_int_equal(r.status, 0);
  return r;
}

/* The "case" number of indicator id in explain --json (-1 for null). */
static int matched_case(const char *json, const char *id, double *amount) {
  const char *p = jp_at(json, "indicators[id=%s]", id);
  *amount = jp_num(p, "amount");
  return jp_is_null(p, "case") ? -1 : (int)jp_num(p, "case");
}

static void test_golden_explain(void **state) {
  (void)state;
  test_golden_totals_and_categories(state);   /* records run 1 in golden-out.db */
  h_result r = explain("urban670", 1);
  double amount;
  /* income_pm = 1.5: case 4 (< 2) gives 170; cars = 1: case 2 gives 0;
  ** working: 2 employed, case 1 (>= 2) gives 300; no loan: no case. */
  assert_int_equal(matched_case(r.out, "income", &amount), 4);
  assert_double_equal(amount, 170, 0);
  assert_int_equal(matched_case(r.out, "cars", &amount), 2);
  assert_double_equal(amount, 0, 0);
  assert_int_equal(matched_case(r.out, "working", &amount), 1);
  assert_double_equal(amount, 300, 0);
  assert_int_equal(matched_case(r.out, "loan", &amount), -1);
  assert_double_equal(amount, 0, 0);
  assert_int_equal(matched_case(r.out, "residence", &amount), 1);
  assert_double_equal(amount, 70, 0);
  assert_double_equal(jp_num(r.out, "indicators[id=income].inputs.income_pm"), 1.5, 0);
  assert_double_equal(jp_num(r.out, "score"), 670, 0);
  assert_string_equal(jp_str(r.out, "sum"), "170 + 300 + 100 - 20 + 50 + 70");
  /* C is [-30, 730): B is 60 up; D needs a fall of more than 670 - (-30) = 700. */
  assert_string_equal(jp_str(r.out, "category.id"), "C");
  assert_double_equal(jp_num(r.out, "category.from"), -30, 0);
  assert_double_equal(jp_num(r.out, "category.to"), 730, 0);
  assert_string_equal(jp_str(r.out, "nearest.better.category"), "B");
  assert_double_equal(jp_num(r.out, "nearest.better.distance"), 60, 0);
  assert_string_equal(jp_str(r.out, "nearest.worse.category"), "D");
  assert_double_equal(jp_num(r.out, "nearest.worse.distance"), 700, 0);
  h_result_free(&r);

  /* urban780: income_pm 2.5, case 5 (< 3) gives 280; B is [730, 1800). */
  r = explain("urban780", 1);
  assert_int_equal(matched_case(r.out, "income", &amount), 5);
  assert_double_equal(amount, 280, 0);
  assert_double_equal(jp_num(r.out, "nearest.better.distance"), 1020, 0);
  assert_double_equal(jp_num(r.out, "nearest.worse.distance"), 50, 0);
  h_result_free(&r);

  /* rural500: village is case 5 of residence (-70), farm 600,000 case 3 (150). */
  r = explain("rural500", 1);
  assert_int_equal(matched_case(r.out, "residence", &amount), 5);
  assert_double_equal(amount, -70, 0);
  assert_int_equal(matched_case(r.out, "farm", &amount), 3);
  assert_double_equal(amount, 150, 0);
  assert_int_equal(matched_case(r.out, "housing", &amount), 6);   /* area_pp 12 < 18 */
  assert_double_equal(amount, -80, 0);
  h_result_free(&r);

  /* emergency: the lowest band has no worse neighbour; D starts 741 up. The
  ** unknown income sums to 0 PM: case 1 (is null or <= 0) gives 0. */
  r = explain("emergency", 1);
  assert_string_equal(jp_str(r.out, "category.id"), "E");
  assert_double_equal(jp_num(r.out, "nearest.better.distance"), 741, 0);
  assert_false(jp_exists(r.out, "nearest.worse"));
  assert_int_equal(matched_case(r.out, "income", &amount), 1);
  assert_int_equal(matched_case(r.out, "overdue", &amount), 1);   /* every adult overdue */
  assert_double_equal(amount, -500, 0);
  h_result_free(&r);

  /* edge730 sits on B's lower bound: any fall drops it to C. */
  r = explain("edge730", 1);
  assert_double_equal(jp_num(r.out, "nearest.worse.distance"), 0, 0);
  h_result_free(&r);

  /* The human form: the total as a sum and both distances. */
  r = explain("urban670", 0);
  assert_has(r.out, "score = 170 + 300 + 100 - 20 + 50 + 70 = 670");
  assert_has(r.out, "to B (better): the score must rise by 60");
  assert_has(r.out, "to D (worse): the score must fall by more than 700");
  h_result_free(&r);
}

/* ---- generated population ---- */

/* The order's total, re-implemented in SQL from the reference's point table
** (not from the Lua file's rules): members aggregated per family, then one
** CASE per indicator. SQL's CASE skips a WHEN that is NULL, which is the
** order's missing = "not_deprived" (a null case does not match); total()
** is the engine's sum() (0 over no non-null values); a family without
** members has income_pm null and no member-based points. */
static const char *ORDER_SQL =
    "WITH m AS (SELECT f.family_id AS id, count(p.family_id) AS n, total(p.income) AS inc,"
    "  max(p.has_loan = 1) AS loan, sum(p.age >= 18) AS adults,"
    "  sum(p.age >= 18 AND p.overdue_days > 90 AND p.overdue_amount > 1000) AS od,"
    "  sum(p.able_bodied = 1) AS able, sum(p.employed = 1) AS emp,"
    "  sum(p.sole_trader = 1) AS st, sum(p.founder = 1) AS fo,"
    "  sum(p.age < 18 OR (p.student = 1 AND p.age < 23)) AS dep,"
    "  sum(p.age >= 18 AND p.disability_group IN (1, 2)) AS dis12,"
    "  sum(p.age >= 18 AND p.disability_group = 3) AS dis3,"
    "  sum(p.disabled_child = 1) AS dchild, sum(p.clinic_attached = 0) AS noclinic,"
    "  sum(p.health_insured = 1) AS insured, sum(p.chronic_disease = 1) AS chronic,"
    "  sum(p.dispensary = 1) AS disp,"
    "  sum(p.age BETWEEN 3 AND 6 AND p.kindergarten = 0) AS nokg,"
    "  sum(p.age BETWEEN 6 AND 17 AND p.school = 0) AS nosch"
    "  FROM g.families f LEFT JOIN g.persons p ON p.family_id = f.family_id"
    "  GROUP BY f.family_id)"
    "SELECT m.id AS id,"
    " (CASE WHEN n = 0 OR inc / n / 50851 <= 0 THEN 0 WHEN inc / n / 50851 < 0.25 THEN 40"
    "   WHEN inc / n / 50851 < 1 THEN 100 WHEN inc / n / 50851 < 2 THEN 170"
    "   WHEN inc / n / 50851 < 3 THEN 280 WHEN inc / n / 50851 < 4 THEN 400 ELSE 620 END)"
    " + (CASE WHEN loan THEN 50 ELSE 0 END)"
    " + (CASE WHEN od > 0 AND od = adults THEN -500 WHEN od > 0 THEN -250 ELSE 0 END)"
    " + (CASE WHEN cars = 0 THEN -50 WHEN cars = 2 THEN 50 WHEN cars >= 3 THEN 100 ELSE 0 END)"
    " + (CASE WHEN commercial_vehicle = 1 THEN 80 ELSE 0 END)"
    " + (CASE WHEN agri_machinery >= 2 THEN 200 WHEN agri_machinery = 1 THEN 100 ELSE 0 END)"
    " + (CASE WHEN n > 0 AND able = 0 THEN -100 ELSE 0 END)"
    " + (CASE WHEN emp >= 2 THEN 300 WHEN emp = 1 THEN 150 ELSE 0 END)"
    " + (CASE WHEN st > 0 AND fo > 0 THEN 150 WHEN fo > 0 THEN 100 WHEN st > 0 THEN 50"
    "   ELSE 0 END)"
    " + min(coalesce(dep, 0), 4) * 50"                       /* +50 each, at most +200 */
    " + (CASE WHEN dis12 > 0 THEN -250 WHEN dis3 > 0 THEN -100 ELSE 0 END)"
    " + (CASE WHEN dchild > 0 THEN -150 ELSE 0 END)"
    " + (CASE WHEN noclinic > 0 THEN -20 ELSE 0 END)"
    " + (CASE WHEN n > 0 AND insured = 0 THEN -20 ELSE 0 END)"
    " + (CASE WHEN chronic > 0 THEN -80 ELSE 0 END) + (CASE WHEN disp > 0 THEN -50 ELSE 0 END)"
    " + (CASE WHEN nokg > 0 THEN -50 ELSE 0 END) + (CASE WHEN nosch > 0 THEN -100 ELSE 0 END)"
    " + (CASE WHEN dwellings = 0 THEN -200 WHEN dwellings > 11 THEN 2000"
    "   WHEN dwellings > 6 THEN 1000 WHEN dwellings > 3 THEN 400 WHEN dwellings >= 2 THEN 100"
    "   WHEN n > 0 AND living_area / n < 18 THEN -80"
    "   WHEN n > 0 AND living_area / n >= 18 THEN 50 ELSE 0 END)"
    " + (CASE WHEN commercial_property = 1 THEN 80 ELSE 0 END)"
    " + (CASE settlement WHEN 'republic_city' THEN 70 WHEN 'district_town' THEN -30"
    "   WHEN 'district_centre' THEN -50 WHEN 'village' THEN -70"
    "   WHEN 'not_registered' THEN -100 ELSE 0 END)"
    " + (CASE WHEN farm_value > 2000000 THEN 600 WHEN farm_value >= 1000000 THEN 350"
    "   WHEN farm_value >= 500000 THEN 150 WHEN farm_value > 0 THEN 50 ELSE 0 END)"
    " + (CASE WHEN land_plot = 1 THEN 150 ELSE 0 END) AS total,"
    " f.region AS region"
    " FROM m JOIN g.families f ON f.family_id = m.id";

static int generated_ready;

/* pts-gen.db (3000 families), pts-gen-out.db run 1 = the order, run 2 = kz_family_2023
** (AF), pts-check.db: expected (id, total, region, category) and got (run 1). */
static void make_generated(void) {
  if (generated_ready) return;
  unlink(h_path("pts-gen.db"));
  unlink(h_path("pts-gen-out.db"));
  unlink(h_path("pts-check.db"));
  const char *gen[] = {"generate", "--families", "3000", "--seed", "7", "--out",
                       h_path("pts-gen.db"), NULL};
  h_result r = h_run(gen);
  assert_int_equal(r.status, 0);
  h_result_free(&r);
  const char *m[] = {ORDER, AFKZ};
  for (int i = 0; i < 2; i++) {
    const char *args[] = {"score", "--db", h_path("pts-gen.db"), "--method", h_root(m[i]),
                          "--out", h_path("pts-gen-out.db"), NULL};
    r = h_run(args);
    assert_int_equal(r.status, 0);
    h_result_free(&r);
  }
  char sql[8192];
  snprintf(sql, sizeof sql,
           "ATTACH '%s' AS g; ATTACH '%s' AS r;"
           "CREATE TABLE expected AS SELECT *, CASE WHEN total >= 1800 THEN 'A'"
           " WHEN total >= 730 THEN 'B' WHEN total >= -30 THEN 'C' WHEN total >= -459 THEN 'D'"
           " ELSE 'E' END AS category FROM (%s);"
           "CREATE TABLE got AS SELECT unit, score, category, eligible FROM r.unit_scores"
           " WHERE run_id = 1;"
           "CREATE TABLE got_af AS SELECT unit, score, category, eligible FROM r.unit_scores"
           " WHERE run_id = 2;",
           h_path("pts-gen.db"), h_path("pts-gen-out.db"), ORDER_SQL);
  h_sql(h_path("pts-check.db"), sql);
  generated_ready = 1;
}

static void test_generated_totals(void **state) {
  (void)state;
  make_generated();
  const char *chk = h_path("pts-check.db");
  assert_double_equal(h_sql_double(chk, "SELECT count(*) FROM expected"), 3000, 0);
  assert_double_equal(h_sql_double(chk, "SELECT count(*) FROM got"), 3000, 0);
  /* every unit: the same total and the same band */
  assert_double_equal(
      h_sql_double(chk, "SELECT count(*) FROM expected e JOIN got g ON g.unit = e.id"
                        " WHERE g.score = e.total AND g.category = e.category"),
      3000, 0);
  /* the population is not degenerate: many distinct totals, C and B dominant,
  ** some D, so the comparison above means something */
  assert_true(h_sql_double(chk, "SELECT count(DISTINCT total) FROM expected") > 100);
  assert_true(h_sql_double(chk, "SELECT count(*) FROM expected WHERE category = 'D'") > 0);
  assert_true(h_sql_double(chk, "SELECT count(*) FROM expected WHERE category IN ('B', 'C')") >
              2700);
}

static void test_generated_summary_json(void **state) {
  (void)state;
  make_generated();
  const char *chk = h_path("pts-check.db");
  const char *args[] = {"score", "--db", h_path("pts-gen.db"), "--method", h_root(ORDER), "--json",
                        NULL};
  h_result r = h_run(args);
  assert_int_equal(r.status, 0);
  assert_true(jp_exists(r.out, "scoring"));
  assert_string_equal(jp_str(r.out, "scoring"), "points");
  assert_true(jp_exists(r.out, "categories"));
  assert_true(jp_exists(r.out, "groups"));
  assert_true(jp_exists(r.out, "score"));
  assert_true(jp_exists(r.out, "n"));   /* the helper does find top-level keys */
  /* AF-only keys are absent at the top level (A is still a category id below) */
  assert_false(jp_exists(r.out, "H"));
  assert_false(jp_exists(r.out, "A"));
  assert_false(jp_exists(r.out, "M0"));
  assert_false(jp_exists(r.out, "k"));
  assert_double_equal(jp_num(r.out, "n"), 3000, 0);
  /* score: mean and quantiles (the smallest total reaching q of the units:
  ** p10 = 300th, p50 = 1500th, p90 = 2700th smallest) */
  const char *p = jp_at(r.out, "score");
  assert_double_equal(jp_num(p, "mean"), h_sql_double(chk, "SELECT avg(total) FROM expected"),
                      1e-9);
  assert_double_equal(jp_num(p, "p10"),
                      h_sql_double(chk, "SELECT total FROM expected ORDER BY total LIMIT 1 OFFSET 299"), 0);
  assert_double_equal(jp_num(p, "p50"),
                      h_sql_double(chk, "SELECT total FROM expected ORDER BY total LIMIT 1 OFFSET 1499"), 0);
  assert_double_equal(jp_num(p, "p90"),
                      h_sql_double(chk, "SELECT total FROM expected ORDER BY total LIMIT 1 OFFSET 2699"), 0);
  assert_double_equal(jp_num(p, "min"), h_sql_double(chk, "SELECT min(total) FROM expected"), 0);
  /* categories: counts and shares */
  const char *ids[] = {"A", "B", "C", "D", "E"};
  for (int i = 0; i < 5; i++) {
    char q[160];
    snprintf(q, sizeof q, "SELECT count(*) FROM expected WHERE category = '%s'", ids[i]);
    const char *c = jp_at(r.out, "categories[id=%s]", ids[i]);
    double want = h_sql_double(chk, q);
    assert_double_equal(jp_num(c, "count"), want, 0);
    assert_double_equal(jp_num(c, "share"), want / 3000, EPS);
  }
  /* per group: Astana's category shares and mean total */
  p = jp_at(r.out, "groups.region[value=Astana]");
  double n = h_sql_double(chk, "SELECT count(*) FROM expected WHERE region = 'Astana'");
  assert_true(n > 50);
  assert_double_equal(jp_num(p, "units"), n, 0);
  assert_double_equal(jp_num(p, "mean"),
                      h_sql_double(chk, "SELECT avg(total) FROM expected WHERE region = 'Astana'"),
                      1e-9);
  const char *gc = jp_at(p, "categories");
  for (int i = 0; i < 5; i++) {
    char q[160];
    snprintf(q, sizeof q,
             "SELECT count(*) FROM expected WHERE region = 'Astana' AND category = '%s'", ids[i]);
    assert_double_equal(jp_num(gc, ids[i]), h_sql_double(chk, q) / n, EPS);
  }
  h_result_free(&r);
}

/* Quantiles are the smallest total reaching q of the units: over the totals
** 10, 20, ..., 100, p10 is 10 (1 unit of 10), p50 is 50, p90 is 90. A naive
** cum >= 0.1 * n in long double overshoots to 20 and 100. */
static void test_score_quantiles(void **state) {
  (void)state;
  h_write(h_path("deciles.lua"),
          "local cases = {}\n"
          "for i = 1, 10 do cases[i] = { when = 'x = ' .. i, points = 10 * i } end\n"
          "return { name = 'deciles', version = '1', scoring = 'points',\n"
          "  unit = { table = 'u', id = 'id' },\n"
          "  dimensions = { { id = 'd', indicators = { { id = 'x', points = cases } } } },\n"
          "  bands = { { id = 'B', from = -math.huge }, { id = 'A', from = 50 } } }\n");
  unlink(h_path("deciles.db"));
  h_sql(h_path("deciles.db"),
        "CREATE TABLE u(id TEXT, x INTEGER);"
        "INSERT INTO u VALUES ('a', 1), ('b', 2), ('c', 3), ('d', 4), ('e', 5), ('f', 6),"
        " ('g', 7), ('h', 8), ('i', 9), ('j', 10);");
  const char *args[] = {"score", "--db", h_path("deciles.db"), "--method", h_path("deciles.lua"),
                        "--json", NULL};
  h_result r = h_run(args);
  assert_int_equal(r.status, 0);
  const char *p = jp_at(r.out, "score");
  assert_double_equal(jp_num(p, "mean"), 55, EPS);
  assert_double_equal(jp_num(p, "p10"), 10, 0);
  assert_double_equal(jp_num(p, "p50"), 50, 0);
  assert_double_equal(jp_num(p, "p90"), 90, 0);
  /* bands: B below 50 (10..40), A from 50 */
  assert_double_equal(jp_num(r.out, "categories[id=A].count"), 6, 0);
  h_result_free(&r);
}

/* ---- validation ---- */

static void test_validation_errors(void **state) {
  (void)state;
  const char *args[] = {"check", "tests/fixtures/points/bad_rules.lua", NULL};
  h_result r = h_run(args);
  assert_int_equal(r.status, 1);
  assert_string_equal(
      r.err,
      "tests/fixtures/points/bad_rules.lua:11: indicator 'cars': case 3 is unreachable: case 2 "
      "has no 'when', so it always matches (only the last case may leave out 'when')\n"
      "tests/fixtures/points/bad_rules.lua:13: indicator 'van': points must be a finite number, "
      "got math.huge\n"
      "tests/fixtures/points/bad_rules.lua:15: indicator 'farm': case 1: points must be a "
      "finite number, got nan\n"
      "tests/fixtures/points/bad_rules.lua:19: k is not used by a points methodology (its "
      "categories come from its bands)\n"
      "tests/fixtures/points/bad_rules.lua:23: bands must be in ascending order: 'C' (from "
      "-459) comes after 'D' (from -30)\n"
      "tests/fixtures/points/bad_rules.lua:25: band 'A' starts where band 'B' starts (from "
      "730): each band needs its own lower bound, in ascending order\n");
  h_result_free(&r);
  const char *nb[] = {"check", "tests/fixtures/points/bad_no_bands.lua", NULL};
  r = h_run(nb);
  assert_int_equal(r.status, 1);
  assert_string_equal(r.err,
                      "tests/fixtures/points/bad_no_bands.lua:3: missing required field 'bands' "
                      "(a points methodology needs its categories: bands = { { id = ..., from = "
                      "... }, ... })\n");
  h_result_free(&r);
  /* the shipped order is valid, against the golden schema too */
  make_golden();
  const char *ok[] = {"check", ORDER, "--db", h_path("pts-golden.db"), NULL};
  r = h_run(ok);
  assert_int_equal(r.status, 0);
  assert_has(r.out, "points scoring, 23 indicators in 8 areas, 5 bands");
  h_result_free(&r);
}

/* ---- compare AF against points ---- */

static void test_compare_af_against_order(void **state) {
  (void)state;
  make_generated();
  const char *args[] = {"compare", "--db", h_path("pts-gen.db"), "--method", h_root(AFKZ),
                        "--method", h_root(ORDER), "--json", NULL};
  h_result r = h_run(args);
  assert_int_equal(r.status, 0);
  int nf = jp_len(r.out, "transitions.from"), nt = jp_len(r.out, "transitions.to");
  assert_int_equal(nt, 5);
  assert_int_equal(jp_len(r.out, "transitions.counts"), nf);
  double sum = 0;
  for (int i = 0; i < nf; i++) {
    assert_int_equal(jp_len(r.out, "transitions.counts[%d]", i), nt);
    for (int j = 0; j < nt; j++) sum += jp_num(r.out, "transitions.counts[%d][%d]", i, j);
  }
  assert_double_equal(sum, 3000, 0);   /* every unit in exactly one cell */
  /* each cell against the recorded runs: base = run 2 (AF; an excluded unit
  ** has a NULL category), variant = run 1 (the order) */
  for (int i = 0; i < nf; i++)
    for (int j = 0; j < nt; j++) {
      char q[1024], from[32], to[32];
      snprintf(from, sizeof from, "%s", jp_str(r.out, "transitions.from[%d]", i));
      snprintf(to, sizeof to, "%s", jp_str(r.out, "transitions.to[%d]", j));
      snprintf(q, sizeof q,
               "SELECT count(*) FROM got_af b JOIN got v ON v.unit = b.unit"
               " WHERE coalesce(b.category, '(excluded)') = '%s' AND v.category = '%s'",
               from, to);
      double want = h_sql_double(h_path("pts-check.db"), q),
             cell = jp_num(r.out, "transitions.counts[%d][%d]", i, j);
      if (cell != want)
        fail_msg("transition %s -> %s: %.0f, SQL says %.0f", from, to, cell, want);
    }
  double changed = h_sql_double(h_path("pts-check.db"),
                                "SELECT count(*) FROM got_af b JOIN got v ON v.unit = b.unit"
                                " WHERE b.category IS NOT v.category");
  assert_double_equal(jp_num(r.out, "changed"), changed, 0);
  assert_true(changed > 0);
  /* summaries of both kinds side by side */
  assert_string_equal(jp_str(r.out, "base.scoring"), "af");
  assert_string_equal(jp_str(r.out, "variant.scoring"), "points");
  h_result_free(&r);
}

/* ---- sweep ---- */

static void test_sweep_points(void **state) {
  (void)state;
  make_generated();
  const char *chk = h_path("pts-check.db");
  const char *args[] = {"sweep", "--db", h_path("pts-gen.db"), "--method", h_root(ORDER), "--json",
                        NULL};
  h_result r = h_run(args);
  assert_int_equal(r.status, 0);
  /* one table per bound above the first: D, C, B, A; moving a bound b from
  ** its place to s (other bounds fixed) leaves below = lower <= total < s
  ** and band = s <= total < upper. The steps are the distinct totals in
  ** (lower, upper]. */
  static const struct { const char *band, *below; double lower, upper; } B[] = {
      {"D", "E", -INFINITY, -30}, {"C", "D", -459, 730}, {"B", "C", -30, 1800},
      {"A", "B", 730, INFINITY}};
  for (int b = 0; b < 4; b++) {
    char q[512];
    const char *bound = jp_at(r.out, "bounds[band=%s]", B[b].band);
    char lo[32], hi[32];
    snprintf(lo, sizeof lo, "%.0f", isinf(B[b].lower) ? -1e9 : B[b].lower);
    snprintf(hi, sizeof hi, "%.0f", isinf(B[b].upper) ? 1e9 : B[b].upper);
    int nsteps = jp_len(bound, "steps");
    for (int k = 0; k < nsteps; k++) {
      const char *p = jp_at(bound, "steps[%d]", k);
      double s = jp_num(p, "from");
      snprintf(q, sizeof q, "SELECT count(*) FROM expected WHERE total >= %s AND total < %.17g",
               lo, s);
      assert_double_equal(jp_num(p, B[b].below), h_sql_double(chk, q) / 3000, EPS);
      snprintf(q, sizeof q, "SELECT count(*) FROM expected WHERE total >= %.17g AND total < %s",
               s, hi);
      assert_double_equal(jp_num(p, B[b].band), h_sql_double(chk, q) / 3000, EPS);
    }
    snprintf(q, sizeof q,
             "SELECT count(DISTINCT total) FROM expected WHERE total > %s AND total <= %s", lo, hi);
    assert_int_equal(nsteps, (int)h_sql_double(chk, q));
    assert_true(nsteps > 0);
  }
  h_result_free(&r);
  /* the human form prints a table per bound */
  const char *txt[] = {"sweep", "--db", h_path("pts-gen.db"), "--method", h_root(ORDER), NULL};
  r = h_run(txt);
  assert_int_equal(r.status, 0);
  assert_has(r.out, "bound of D (now -459), between E and D:");
  assert_has(r.out, "bound of C (now -30), between D and C:");
  assert_has(r.out, "bound of B (now 730), between C and B:");
  assert_has(r.out, "bound of A (now 1800), between B and A:");
  h_result_free(&r);
}

int main(void) {
  /* run from the repository: messages then carry relative paths */
  const char *root = getenv("AFSCORE_ROOT");
  if (root && chdir(root) != 0) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_golden_totals_and_categories),
      cmocka_unit_test(test_golden_explain),
      cmocka_unit_test(test_generated_totals),
      cmocka_unit_test(test_generated_summary_json),
      cmocka_unit_test(test_score_quantiles),
      cmocka_unit_test(test_validation_errors),
      cmocka_unit_test(test_compare_af_against_order),
      cmocka_unit_test(test_sweep_points),
  };
  return cmocka_run_group_tests_name("e2e_points", tests, NULL, NULL);
}
