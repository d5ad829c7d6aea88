/*
** test_e2e_policy.c: the policy expert's commands end to end through the real
** afscore binary: describe (text, markdown, JSON), diff, check's warnings,
** --strict and --json, test (the cases beside a methodology), and the
** reasons compare gives for each unit that changes, on small
** methodologies written here and on the shipped Kazakhstan methodologies,
** whose cases files carry hand-computed scores. Expected weights are worked out by hand in the
** comments beside each assertion (the default share of a dimension's weight).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "util.h"

/* Notices are listed by language (the loader sorts them). Income 1/3 (written), health 2/3 (written) shared by two indicators:
** 1/3 each by default. Bands A [0, 1/3), B [1/3, 2/3), C [2/3, 1]. */
static char *TINY;     /* tests/fixtures/reasons/tiny.lua, read in setup */
static char *V_FUEL;   /* tests/fixtures/reasons/v_fuel.lua */

/* The variant adds an indicator to health (three share 2/3: 2/9 each), moves
** k to 2/5, renames band B and drops the measure. */
static const char *TINY_VARIANT =
    "local m = import('tiny')\n"
    "m.version = '2'\n"
    "m.k = 2/5\n"
    "local h = m.dimensions[2].indicators\n"
    "h[#h + 1] = { id = 'dirty_fuel', name = 'Dirty fuel', deprived = 'fuel = 1' }\n"
    "m.bands[2].name = 'satisfactory'\n"
    "m.measures = nil\n"
    "return m\n";

static const char *POINTS =
    "return {\n"
    "  name = 'Points', version = 'p1', scoring = 'points',\n"
    "  unit = { table = 'families', id = 'family_id' },\n"
    "  dimensions = { { id = 'money', indicators = {\n"
    "    { id = 'income', points = { { when = 'income < 1', points = 40 }, { points = 620 } } },\n"
    "    { id = 'cars', when = 'cars > 0', points = -50 } } } },\n"
    "  bands = { { id = 'E', from = -math.huge }, { id = 'A', from = 100.5 } },\n"
    "}\n";

static char TINYP[1024], VARP[1024], POINTSP[1024];
/* The eight families (tests/fixtures/reasons/data.sql), read in setup. */
static char *REASONS_DATA;

static int setup(void **state) {
  (void)state;
  snprintf(TINYP, sizeof TINYP, "%s", h_path("tiny.lua"));
  snprintf(VARP, sizeof VARP, "%s", h_path("tiny_variant.lua"));
  snprintf(POINTSP, sizeof POINTSP, "%s", h_path("points.lua"));
  TINY = h_slurp(h_root("tests/fixtures/reasons/tiny.lua"));
  h_write(TINYP, TINY);
  h_write(VARP, TINY_VARIANT);
  h_write(POINTSP, POINTS);
  REASONS_DATA = h_slurp(h_root("tests/fixtures/reasons/data.sql"));
  V_FUEL = h_slurp(h_root("tests/fixtures/reasons/v_fuel.lua"));
  return 0;
}

static int teardown(void **state) {
  (void)state;
  free(REASONS_DATA);
  free(TINY);
  free(V_FUEL);
  return 0;
}

static h_result run_ok(const char *const *args, int status) {
  h_result r = h_run(args);
  if (r.status != status)
    print_error("status %d, expected %d\nstdout: %.3000s\nstderr: %.2000s\n", r.status, status,
                r.out, r.err);
  assert_int_equal(r.status, status);
  return r;
}

static void expect_has(const char *text, const char *needle) { assert_has(text, needle); }

static void test_describe_text(void **state) {
  (void)state;
  const char *args[] = {"describe", TINYP, NULL};
  h_result r = run_ok(args, 0);
  expect_has(r.out, "Tiny\n  version: 1\n");
  expect_has(r.out, "  poverty cutoff k: 1/3 (0.3333)\n");
  expect_has(r.out, "  pm: 100\n");
  expect_has(r.out, "  income: income\n    weight: 1/3 (0.3333)\n"
                    "    low_income: Low income\n      weight: 1/3 (0.3333)"
                    " (default share)\n      deprived when: mean(income) < pm\n"
                    "      missing: exclude the unit\n");
  /* 2/3 shared by two: 1/3 each */
  expect_has(r.out, "  health: Health\n    weight: 2/3 (0.6667)\n"
                    "    disability: disability\n      weight: 1/3 (0.3333) (default share)\n");
  expect_has(r.out, "      missing: count as deprived\n");
  expect_has(r.out, "  B: fair\n    scores: from 1/3 (0.3333), below 2/3 (0.6667)\n");
  expect_has(r.out, "  C: poor\n    scores: from 2/3 (0.6667)\n");
  expect_has(r.out, "    eligible when: category = 'C'\n    notice languages: kk, ru\n");
  h_result_free(&r);
}

static void test_describe_markdown_json(void **state) {
  (void)state;
  const char *md[] = {"describe", TINYP, "--format", "markdown", NULL};
  h_result r = run_ok(md, 0);
  expect_has(r.out, "# Tiny\n\n- version: 1\n");
  expect_has(r.out, "## Dimensions\n\n- **income**: income\n  - weight: 1/3 (0.3333)\n");
  expect_has(r.out, "    - deprived when: `mean(income) < pm`\n");
  h_result_free(&r);
  const char *js[] = {"describe", TINYP, "--format", "json", NULL};
  r = run_ok(js, 0);
  expect_has(r.out, "\"k\": {\n    \"fraction\": \"1/3\",\n    \"value\": 0.3333333333333333\n");
  expect_has(r.out, "\"id\": \"no_clinic\"");
  expect_has(r.out, "\"missing\": \"deprived\"");
  expect_has(r.out, "\"notice\": {\n        \"kk\": \"Сапар\",\n        \"ru\": \"Визит\"\n");
  h_result_free(&r);
}

static void test_describe_points(void **state) {
  (void)state;
  const char *args[] = {"describe", POINTSP, NULL};
  h_result r = run_ok(args, 0);
  expect_has(r.out, "Areas\n  money: money\n    income: income\n"
                    "      case 1: 40 points when income < 1\n"
                    "      case 2: 620 points otherwise\n");
  expect_has(r.out, "      case 1: -50 points when cars > 0\n");
  /* 100.5 = 201/2 */
  expect_has(r.out, "  E: E\n    scores: from -inf, below 201/2 (100.5)\n");
  h_result_free(&r);
}

static void test_diff(void **state) {
  (void)state;
  setenv("AFSCORE_PATH", h_path(""), 1);
  const char *args[] = {"diff", TINYP, VARP, NULL};
  h_result r = run_ok(args, 0);
  const char *want =
      "~ version: 1 -> 2\n"
      "~ poverty cutoff k: 1/3 (0.3333) -> 2/5 (0.4)\n"
      /* 2/3 over three indicators: 2/9 */
      "~ indicator disability weight: 1/3 (0.3333) (default share) -> 2/9 (0.2222) (default share)\n"
      "~ indicator no_clinic weight: 1/3 (0.3333) (default share) -> 2/9 (0.2222) (default share)\n"
      "~ category B: fair -> satisfactory\n"
      "- measure visit: Visit\n"
      "- measure visit eligible when: category = 'C'\n"
      "- measure visit notice languages: kk, ru\n"
      "- measure visit notice (kk): Сапар\n"
      "- measure visit notice (ru): Визит\n"
      "+ indicator dirty_fuel: Dirty fuel\n"
      "+ indicator dirty_fuel weight: 2/9 (0.2222) (default share)\n"
      "+ indicator dirty_fuel deprived when: fuel = 1\n"
      "+ indicator dirty_fuel missing: exclude the unit\n";
  const char *body = strstr(r.out, "\n~");
  assert_non_null(body);
  assert_string_equal(body + 1, want);
  h_result_free(&r);
  const char *same[] = {"diff", TINYP, TINYP, NULL};
  r = run_ok(same, 0);
  expect_has(r.out, "no difference in the rules\n");
  h_result_free(&r);
}

static void test_describe_usage(void **state) {
  (void)state;
  const char *none[] = {"describe", NULL};
  h_result r = run_ok(none, 2);
  h_result_free(&r);
  const char *fmt[] = {"describe", TINYP, "--format", "html", NULL};
  r = run_ok(fmt, 2);
  expect_has(r.err, "--format is text, markdown or json");
  h_result_free(&r);
  const char *bad = h_path("bad.lua");
  h_write(bad, "return { name = 'x' }\n");
  const char *broken[] = {"describe", bad, NULL};
  r = run_ok(broken, 1);
  expect_has(r.err, "bad.lua:1:");
  h_result_free(&r);
  const char *one[] = {"diff", TINYP, NULL};
  r = run_ok(one, 2);
  h_result_free(&r);
}


/* A variant with three of the mistakes, each on its own line: a
** misspelt param (the base has 'pm'), a lower-case category and the base's
** name and version kept. */
static const char *SLIPS =
    "local m = import('tiny')\n"
    "m.params.pn = 90\n"
    "m.measures[1].eligible = \"category in ('c', 'B')\"\n"
    "return m\n";

static void test_check_warnings(void **state) {
  (void)state;
  setenv("AFSCORE_PATH", h_path(""), 1);
  const char *slips = h_path("slips.lua");
  h_write(slips, SLIPS);
  const char *args[] = {"check", slips, NULL};
  h_result r = run_ok(args, 0);
  char want[4096];
  snprintf(want, sizeof want,
           "%s:1: warning: this variant keeps the name and version of 'tiny' (Tiny, version 1): "
           "its runs cannot be told apart from the base's; set m.version\n"
           "%s:2: warning: param 'pn' is set here but the imported 'tiny' has no such param and "
           "no rule uses it: it changes nothing (did you mean 'pm'?)\n"
           "%s:3: warning: measure 'visit': 'c' is not a category (the categories are A, B, C; "
           "did you mean 'C'?): this part of the rule matches nobody\n",
           slips, slips, slips);
  assert_string_equal(r.err, want);
  expect_has(r.out, ": ok: Tiny");
  h_result_free(&r);
  const char *strict[] = {"check", slips, "--strict", NULL};
  r = run_ok(strict, 1);
  expect_has(r.err, "slips.lua: 3 warnings, counted as errors (--strict)\n");
  h_result_free(&r);
  /* The base itself is clean. */
  const char *clean[] = {"check", TINYP, "--strict", NULL};
  r = run_ok(clean, 0);
  assert_string_equal(r.err, "");
  h_result_free(&r);
}

/* Points 40 or 620, and -50 or 0: totals -10, 40, 570, 620. With bands at
** 0, 100 and 600 only the band [100, 600) holds 570 ... and [0, 100) holds
** 40; a band from 700 holds nothing, nor does [-200, -100). */
static const char *UNREACHABLE =
    "return {\n"
    "  name = 'U', version = '1', scoring = 'points',\n"
    "  unit = { table = 'families', id = 'family_id', weight = 'w' },\n"
    "  params = { spare = 1 },\n"
    "  define = { unused_def = 'income * 2' },\n"
    "  dimensions = { { id = 'all', indicators = {\n"
    "    { id = 'income', points = { { when = 'income < 1', points = 40 }, { points = 620 } } },\n"
    "    { id = 'cars', when = 'cars > 0', points = -50 } } } },\n"
    "  bands = { { id = 'E', from = -math.huge },\n"
    "            { id = 'D', from = -200 },\n"
    "            { id = 'C', from = -100 },\n"
    "            { id = 'B', from = 100 },\n"
    "            { id = 'A', from = 700 } },\n"
    "  measures = { { id = 'm1', eligible = \"category = 'E'\", notice = { ru = 'a', kk = 'b' } },\n"
    "               { id = 'm2', eligible = \"category = 'D'\", notice = { ru = 'c' } } },\n"
    "}\n";

static void test_check_warnings_points_and_schema(void **state) {
  (void)state;
  const char *path = h_path("unreach.lua");
  h_write(path, UNREACHABLE);
  const char *db = h_path("unreach.db");
  unlink(db);
  h_sql(db, "CREATE TABLE families (family_id TEXT, income REAL, cars INTEGER, w TEXT);"
            "INSERT INTO families VALUES ('f1', 0.5, 1, '1.5');");
  const char *args[] = {"check", path, "--db", db, "--json", NULL};
  h_result r = run_ok(args, 0);
  expect_has(r.out, "\"ok\": true");
  expect_has(r.out, "\"errors\": []");
  /* -10 is in [-100, 100): C holds -10 and 40; B holds 570 and 620. */
  const char *want[] = {
      "\"line\": 3,\n      \"message\": \"the sampling weight 'w' is a text column",
      "\"line\": 4,\n      \"message\": \"param 'spare' is never used\"",
      "\"line\": 5,\n      \"message\": \"define 'unused_def' is never used\"",
      "\"line\": 9,\n      \"message\": \"category 'E' can never be given",
      "\"line\": 10,\n      \"message\": \"category 'D' can never be given",
      "\"line\": 13,\n      \"message\": \"category 'A' can never be given",
      "\"line\": 15,\n      \"message\": \"measure 'm2' has no notice in 'kk' (measure 'm1' has one)",
  };
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) expect_has(r.out, want[i]);
  assert_lacks(r.out, "category 'C' can never");
  assert_lacks(r.out, "category 'B' can never");
  h_result_free(&r);
}

static void test_check_json_always(void **state) {
  (void)state;
  const char *bad = h_path("broken.lua");
  h_write(bad, "return {\n  name = 'x',\n  k = ,\n}\n");
  const char *args[] = {"check", bad, "--json", NULL};
  h_result r = run_ok(args, 1);
  char want[2048];
  snprintf(want, sizeof want,
           "{\n  \"ok\": false,\n  \"file\": \"%s\",\n  \"errors\": [\n    {\n"
           "      \"file\": \"%s\",\n      \"line\": 3,\n", bad, bad);
  expect_has(r.out, want);
  expect_has(r.out, "\"warnings\": []");
  assert_string_equal(r.err, "");
  h_result_free(&r);
  /* A schema error is an error with its line too. */
  const char *db = h_path("nocol.db");
  unlink(db);
  h_sql(db, "CREATE TABLE families (family_id TEXT, region INTEGER);"
            "CREATE TABLE persons (family_id TEXT, income REAL, disability_group INTEGER);");
  const char *sch[] = {"check", TINYP, "--db", db, "--json", NULL};
  r = run_ok(sch, 1);
  expect_has(r.out, "\"ok\": false");
  expect_has(r.out, "\"line\": 11,\n      \"message\": \"indicator 'no_clinic': rule "
                    "\\\"any(clinic_attached = 0)\\\": unknown column 'clinic_attached'");
  h_result_free(&r);
}

/* Tiny's scores by hand: low_income 1/3, disability 1/3, no_clinic 1/3.
** Case 1 (line 6) is low income only: 1/3, B, poor, no measure; every
** expectation written is wrong. Case 2 (line 9) is no_clinic only: 1/3, B.
** Case 3 (line 11): low income and disability, 2/3: C and the visit. */
static const char *TINY_CASES =
    "-- cases for tiny.lua\n"
    "return {\n"
    "  defaults = { unit = { region = 1 },\n"
    "               member = { income = 500, disability_group = 0, clinic_attached = 1 } },\n"
    "  cases = {\n"
    "    { name = 'all wrong', members = { { income = 50 } },\n"
    "      expect = { category = 'C', score = 2/3, poor = false, measures = { 'visit' } } },\n"
    "    -- a family that is fine but for a clinic\n"
    "    { name = 'clinic', members = { { clinic_attached = 0 } }, expect = { category = 'B', score = 1/3 } },\n"
    "    -- null: the clinic record is unknown, and the policy counts it as deprived\n"
    "    { name = 'two', members = { { income = 50, disability_group = 1 }, { income = 50, clinic_attached = null } },\n"
    "      expect = { category = 'E', score = 1, poor = true, measures = { 'visit' } } },\n"
    "  },\n"
    "}\n";

static void test_cases_report_failures(void **state) {
  (void)state;
  const char *cases = h_path("tiny.test.lua");
  h_write(cases, TINY_CASES);
  const char *args[] = {"test", TINYP, NULL};
  h_result r = run_ok(args, 1);
  char want[4096];
  /* Case 3: 1/3 + 1/3 + 1/3 (null clinic record counted as deprived) = 1. */
  snprintf(want, sizeof want,
           "%s:6: FAIL all wrong: category expected C, got B; score expected 0.6666666666666666, "
           "got 0.3333333333333333; poor expected false, got true; measures expected {visit}, "
           "got {}\n"
           "ok    clinic\n"
           "%s:11: FAIL two: category expected E, got C\n"
           "%s: 3 cases, 1 passed, 2 failed\n",
           cases, cases, cases);
  assert_string_equal(r.out, want);
  h_result_free(&r);
  unlink(cases);
}

static void test_cases_shipped(void **state) {
  (void)state;
  const char *methods[] = {"methodology/kz_order267_2023.lua", "methodology/kz_family_2023.lua"};
  const char *tails[] = {"kz_order267_2023.test.lua: 8 cases, 8 passed, 0 failed\n",
                         "kz_family_2023.test.lua: 8 cases, 8 passed, 0 failed\n"};
  for (int i = 0; i < 2; i++) {
    const char *args[] = {"test", h_root(methods[i]), NULL};
    h_result r = run_ok(args, 0);
    size_t n = strlen(r.out), t = strlen(tails[i]);
    assert_true(n >= t);
    assert_string_equal(r.out + n - t, tails[i]);
    assert_lacks(r.out, "FAIL");
    h_result_free(&r);
  }
}

static void test_cases_errors(void **state) {
  (void)state;
  const char *cases = h_path("tiny.test.lua");
  unlink(cases);
  const char *args[] = {"test", TINYP, NULL};
  h_result r = run_ok(args, 1);
  expect_has(r.err, "tiny.test.lua: no such file");
  h_result_free(&r);
  h_write(cases, "return { cases = {\n  { name = 'a', members = {} },\n"
                 "  { name = 'b', unit = { region = {} }, expect = {} } } }\n");
  r = run_ok(args, 1);
  char want[2048];
  snprintf(want, sizeof want,
           "%s:2: case 'a' has no expect table\n"
           "%s:3: unit: column 'region' must be a number, text, true/false or null\n",
           cases, cases);
  assert_string_equal(r.err, want);
  h_result_free(&r);
  unlink(cases);
}

/* ---- compare: a reason for every mover ---- */

/* The families by hand (pm 100, low income = income 50; fuel only read by
** the variant). Base Tiny: low_income, disability, no_clinic 1/3 each. */

/* income 2/5; health 3/5 over three indicators (1/5 each) with dirty_fuel
** added; k 2/5. */

typedef struct want_row {
  const char *unit, *from, *to;
  double s1, s2;
  const char *reasons, *old_poor, *new_poor, *gained, *lost, *region;
} want_row;

/* Compare TINY with the variant text and check the changes file row by row. */
static void expect_changes(const char *name, const char *variant, const want_row *w, int n) {
  setenv("AFSCORE_PATH", h_path(""), 1);
  const char *db = h_path("reasons.db");
  unlink(db);
  h_sql(db, REASONS_DATA);
  const char *vp = h_path(name);
  h_write(vp, variant);
  const char *csv = h_path("reasons.csv");
  unlink(csv);
  const char *args[] = {"compare", "--db", db, "--method", TINYP, "--method", vp,
                        "--changes", csv, NULL};
  h_result r = run_ok(args, 0);
  h_result_free(&r);
  FILE *f = fopen(csv, "r");
  assert_non_null(f);
  char line[2048], fl[12][256];
  assert_non_null(fgets(line, sizeof line, f));
  assert_string_equal(line, "unit,old_category,new_category,old_score,new_score,flipped_indicators,"
                            "reasons,old_poor,new_poor,measures_gained,measures_lost,region\n");
  int k = 0;
  for (; fgets(line, sizeof line, f); k++) {
    assert_int_equal(h_split_csv(line, fl, 12), 12);
    assert_true(k < n);
    assert_string_equal(fl[0], w[k].unit);
    assert_string_equal(fl[1], w[k].from);
    assert_string_equal(fl[2], w[k].to);
    assert_double_equal(atof(fl[3]), w[k].s1, 1e-12);
    assert_double_equal(atof(fl[4]), w[k].s2, 1e-12);
    assert_string_equal(fl[6], w[k].reasons);
    assert_string_equal(fl[7], w[k].old_poor);
    assert_string_equal(fl[8], w[k].new_poor);
    assert_string_equal(fl[9], w[k].gained);
    assert_string_equal(fl[10], w[k].lost);
    assert_string_equal(fl[11], w[k].region);
  }
  fclose(f);
  assert_int_equal(k, n);
}

static void test_compare_reasons(void **state) {
  (void)state;
  /* f10 no_clinic: 1/3 B poor -> 1/5 A; f2 disability: the same; f6
  ** disability, no_clinic, fuel: 2/3 C -> 3/5 B, loses the visit; f9 low
  ** income, disability: 2/3 -> 2/5 + 1/5 = 3/5 B. f1 (1/3 -> 3/5), f3 (0 ->
  ** 1/5), f4 (2/3 -> 4/5) and f7 (1/3 -> 2/5, still poor) keep everything. */
  const want_row fuel[] = {
      {"f10", "B", "A", 1.0 / 3, 0.2, "no_clinic weight 1/3 -> 1/5; k 1/3 -> 2/5", "1", "0", "",
       "", "Turkestan"},
      {"f2", "B", "A", 1.0 / 3, 0.2, "disability weight 1/3 -> 1/5; k 1/3 -> 2/5", "1", "0", "",
       "", "Abai"},
      {"f6", "C", "B", 2.0 / 3, 0.6,
       "disability weight 1/3 -> 1/5; no_clinic weight 1/3 -> 1/5; dirty_fuel added (deprived)",
       "1", "1", "", "visit", "Abai"},
      {"f9", "C", "B", 2.0 / 3, 0.6, "low_income weight 1/3 -> 2/5; disability weight 1/3 -> 1/5",
       "1", "1", "", "visit", "Abai"},
  };
  expect_changes("v_fuel.lua", V_FUEL, fuel, 4);
  /* The report lists the rule changes and the added indicator: f1, f3, f4
  ** and f6 have fuel 1, 4 of 8. */
  const char *db = h_path("reasons.db"), *vp = h_path("v_fuel.lua");
  const char *text[] = {"compare", "--db", db, "--method", TINYP, "--method", vp, NULL};
  h_result r = run_ok(text, 0);
  expect_has(r.out, "rule changes:\n  ~ version: 1 -> fuel\n"
                    "  ~ poverty cutoff k: 1/3 (0.3333) -> 2/5 (0.4)\n");
  expect_has(r.out, "  + indicator dirty_fuel deprived when: fuel = 1\n");
  /* Added: no base figure; half the families are deprived (in percent). */
  expect_has(r.out, "  dirty_fuel                                                   -    50"
                    ".00 %     (added)\n");
  /* f1 and f7 stay poor at 2/5 (3/5 and 2/5); f10 and f2 move category */
  expect_has(r.out, "4 of 8 units change category");
  h_result_free(&r);
  const char *js[] = {"compare", "--db", db, "--method", TINYP, "--method", vp, "--json", NULL};
  r = run_ok(js, 0);
  expect_has(r.out, "\"rule_changes\": [\n    \"~ version: 1 -> fuel\",");
  expect_has(r.out, "\"id\": \"dirty_fuel\",\n      \"in_variant\": true,\n"
                    "      \"added\": true,\n      \"uncensored\": 0.5,");
  expect_has(r.out, "\"poor_changed_same_category\": 0");
  h_result_free(&r);
  /* k alone: no category moves, but the three families at 1/3 stop being
  ** poor (f1, f2, f7 and f10, ids in text order). */
  const want_row konly[] = {
      {"f1", "B", "B", 1.0 / 3, 1.0 / 3, "k 1/3 -> 2/5", "1", "0", "", "", "Abai"},
      {"f10", "B", "B", 1.0 / 3, 1.0 / 3, "k 1/3 -> 2/5", "1", "0", "", "", "Turkestan"},
      {"f2", "B", "B", 1.0 / 3, 1.0 / 3, "k 1/3 -> 2/5", "1", "0", "", "", "Abai"},
      {"f7", "B", "B", 1.0 / 3, 1.0 / 3, "k 1/3 -> 2/5", "1", "0", "", "", "Turkestan"},
  };
  expect_changes("v_k.lua", "local m = import('tiny')\nm.version = 'k'\nm.k = 2/5\nreturn m\n",
                 konly, 4);
  /* the visit for B too: every B family gains it, no category moves */
  const want_row visit[] = {
      {"f1", "B", "B", 1.0 / 3, 1.0 / 3, "measure visit rule changed", "1", "1", "visit", "", "Abai"},
      {"f10", "B", "B", 1.0 / 3, 1.0 / 3, "measure visit rule changed", "1", "1", "visit", "",
       "Turkestan"},
      {"f2", "B", "B", 1.0 / 3, 1.0 / 3, "measure visit rule changed", "1", "1", "visit", "", "Abai"},
      {"f7", "B", "B", 1.0 / 3, 1.0 / 3, "measure visit rule changed", "1", "1", "visit", "",
       "Turkestan"},
  };
  expect_changes("v_visit.lua",
                 "local m = import('tiny')\nm.version = 'visit'\n"
                 "m.measures[1].eligible = \"category in ('B', 'C')\"\nreturn m\n",
                 visit, 4);
  /* no_clinic removed: health's 2/3 goes to disability alone. f10 (clinic
  ** only) drops to 0; f2 (disability) rises to 2/3, C, and gains the visit;
  ** f4 and f9 (2/3 -> 1) and f6 (2/3 -> 2/3) stay C. */
  const want_row removed[] = {
      {"f10", "B", "A", 1.0 / 3, 0, "no_clinic removed (was deprived)", "1", "0", "", "",
       "Turkestan"},
      {"f2", "B", "C", 1.0 / 3, 2.0 / 3, "disability weight 1/3 -> 2/3", "1", "1", "visit", "",
       "Abai"},
  };
  expect_changes("v_removed.lua",
                 "local m = import('tiny')\nm.version = 'removed'\n"
                 "table.remove(m.dimensions[2].indicators, 2)\nreturn m\n",
                 removed, 2);
}

/* Order 267's targeted social assistance reaches every D and E family,
** whatever its income: on a generated population some of them have a
** per-capita income above the subsistence minimum (SQL over the data), so
** the notice must not say that their income is below it. */
static void test_order267_notice_true_for_all(void **state) {
  (void)state;
  const char *db = h_path("o267.db"), *out = h_path("o267-out.db");
  unlink(db);
  unlink(out);
  const char *gen[] = {"generate", "--families", "3000", "--seed", "3", "--out", db, NULL};
  h_result r = run_ok(gen, 0);
  h_result_free(&r);
  const char *sc[] = {"score", "--db", db, "--method", h_root("methodology/kz_order267_2023.lua"),
                      "--out", out, NULL};
  r = run_ok(sc, 0);
  h_result_free(&r);
  char sql[1024];
  const char *scratch = h_path("o267-q.db");
  unlink(scratch);
  snprintf(sql, sizeof sql,
           "ATTACH '%s' AS o; ATTACH '%s' AS d; CREATE TABLE q AS SELECT count(*) AS n"
           " FROM o.unit_scores s WHERE s.category IN ('D','E') AND (SELECT sum(income) /"
           " count(*) FROM d.persons p WHERE p.family_id = s.unit) >= 50851", out, db);
  h_sql(scratch, sql);
  double rich = h_sql_double(scratch, "SELECT n FROM q");
  assert_true(rich > 0);
  const char *no[] = {"notices", "--out", out, "--run", "1", "--lang", "ru", NULL};
  r = run_ok(no, 0);
  int tsa = 0;
  for (const char *p = strstr(r.out, ",tsa,ru,"); p; p = strstr(p + 1, ",tsa,ru,")) {
    tsa++;
    const char *want = ",tsa,ru,\"По социальному положению вашей семьи вы можете подать "
                       "заявление на адресную социальную помощь.\"\n";
    assert_true(strncmp(p, want, strlen(want)) == 0);
  }
  assert_true(tsa >= rich);
  assert_lacks(r.out, "прожиточного минимума");
  h_result_free(&r);
}

/* Kazakh and Russian names in tables: cells by display width, cut with an
** ellipsis. The name has 50 letters: 39 of them and the ellipsis fill the
** 40 columns of the runs table; the A row of score puts its count where an
** ASCII name would (f3 is the one family in A). */
static void test_cyrillic_cells(void **state) {
  (void)state;
  setenv("AFSCORE_PATH", h_path(""), 1);
  const char *db = h_path("reasons.db"), *out = h_path("cells-out.db");
  unlink(db);
  unlink(out);
  h_sql(db, REASONS_DATA);
  const char *vp = h_path("kk_names.lua");
  h_write(vp, "local m = import('tiny')\n"
              "m.name = 'Отбасының әлеуметтік әл-ауқатын анықтау әдістемесі'\n"
              "m.version = 'v1'\n"
              "m.bands[1].name = 'благополучный'\n"
              "return m\n");
  const char *sc[] = {"score", "--db", db, "--method", vp, "--out", out, NULL};
  h_result r = run_ok(sc, 0);
  char want[512];
  snprintf(want, sizeof want, "\nA%9s %s%11s %9s1 ", "", "благополучный", "", "");
  expect_has(r.out, want);
  h_result_free(&r);
  const char *runs[] = {"runs", "--out", out, NULL};
  r = run_ok(runs, 0);
  snprintf(want, sizeof want, "  Отбасының әлеуметтік әл-ауқатын анықтау\xe2\x80\xa6 v1%16s ", "");
  expect_has(r.out, want);
  h_result_free(&r);
}

/* ---- progress on a terminal ---- */

/* Run afscore with stderr on a pseudo-terminal (stdout to /dev/null) and
** return what the terminal received. */
static char *run_on_tty(const char *const *args) {
  /* The parent keeps the terminal's slave side open: the output stays in the
  ** terminal until read, whenever the child ends (a read of the master after
  ** the last slave closed may lose what was not read yet). */
  int master, slave;
  assert_int_equal(openpty(&master, &slave, NULL, NULL, NULL), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    close(master);
    setsid();
    dup2(null, 1);
    dup2(slave, 2);
    const char *argv[32] = {getenv("AFSCORE_BIN")};
    for (int i = 0; args[i] && i < 30; i++) argv[i + 1] = args[i];
    execv(argv[0], (char *const *)argv);
    _exit(127);
  }
  strbuf b = {0};
  char buf[4096];
  int st;
  /* read while the child runs (its output must not fill the terminal), then
  ** drain what is left once it has ended */
  fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
  for (int done = 0;;) {
    ssize_t n;
    while ((n = read(master, buf, sizeof buf)) > 0) sb_putn(&b, buf, (size_t)n);
    if (done) break;
    if (waitpid(pid, &st, WNOHANG) == pid) done = 1;
    else usleep(10000);
  }
  close(slave);
  close(master);
  assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  return b.s ? sb_take(&b) : af_strdup("");
}

/* compare, replay and sweep draw one line, redrawn with \r, that ends at
** 20000 / 20000 units: the terminal gets one line end (\r\n) in all. */
static void test_progress_one_line(void **state) {
  (void)state;
  const char *db = h_path("prog.db");
  unlink(db);
  const char *gen[] = {"generate", "--families", "20000", "--seed", "2", "--out", db, NULL};
  h_result r = run_ok(gen, 0);
  h_result_free(&r);
  const char *base = h_root("methodology/kz_family_2023.lua");
  const char *var = h_root("tests/fixtures/variants/kz_family_four_bands.lua");
  setenv("AFSCORE_PATH", h_root("methodology"), 1);
  const char *cmp[] = {"compare", "--db", db, "--method", base, "--method", var, NULL};
  const char *swp[] = {"sweep", "--db", db, "--method", base, NULL};
  const char *const *cmds[] = {cmp, swp};
  for (int k = 0; k < 2; k++) {
    char *out = run_on_tty(cmds[k]);
    int lines = 0;
    for (const char *p = out; *p; p++) lines += *p == '\n';
    if (lines != 1) print_error("terminal got:\n%s\n", out);
    assert_int_equal(lines, 1);
    expect_has(out, "\r20000 / 20000 units (100%), ");
    assert_true(strstr(out, "s left   \r\n") != NULL);
    free(out);
  }
}

/* explain --method: a draft, no recorded run. f9 (low income and
** disability, 1/3 each) scores 2/3 under Tiny: C, poor, the visit. */
static void test_explain_draft(void **state) {
  (void)state;
  const char *db = h_path("reasons.db");
  unlink(db);
  h_sql(db, REASONS_DATA);
  const char *args[] = {"explain", "--db", db, "--method", TINYP, "f9", NULL};
  h_result r = run_ok(args, 0);
  expect_has(r.out, "unit f9: Tiny (version 1)\n");
  expect_has(r.out, "  low_income             DEPRIVED ");
  expect_has(r.out, "  no_clinic              not deprived ");
  expect_has(r.out, "category C (poor)");
  expect_has(r.out, "  visit                ELIGIBLE ");
  expect_has(r.out, "no recorded run)\n");
  h_result_free(&r);
  const char *js[] = {"explain", "--db", db, "--method", TINYP, "f9", "--json", NULL};
  r = run_ok(js, 0);
  expect_has(r.out, "\"run_id\": null,");
  assert_double_equal(jp_num(r.out, "score"), 2.0 / 3, 1e-15);
  h_result_free(&r);
  /* both a run and a draft, or neither: usage errors */
  const char *both[] = {"explain", "--db", db, "--method", TINYP, "--out", db, "--run", "1", "f9",
                        NULL};
  r = run_ok(both, 2);
  h_result_free(&r);
  const char *none[] = {"explain", "--db", db, "f9", NULL};
  r = run_ok(none, 2);
  h_result_free(&r);
  const char *nounit[] = {"explain", "--db", db, "--method", TINYP, "f99", NULL};
  r = run_ok(nounit, 1);
  expect_has(r.err, "no unit 'f99'");
  h_result_free(&r);
}

/* By region (recorded with run 2), from the categories below: Abai f1 B-B,
** f2 B-A, f6 C-B, f9 C-B; Turkestan f3 A-A, f4 C-C, f7 B-B, f10 B-A. In
** B+C (the two worst) before: Abai 4, Turkestan 3; after: Abai 3 (f1 f6
** f9), Turkestan 2 (f4 f7). Poor lost: f2 (Abai), f10 (Turkestan). The
** visit (C) lost: f6 and f9, both Abai. */
static void expect_by_region(const char *js) {
  assert_string_equal(jp_str(js, "group_values_from"), "run_b");
  assert_string_equal(jp_str(js, "worst_b"), "B+C");
  assert_double_equal(jp_num(js, "worst_before"), 7, 0);
  assert_double_equal(jp_num(js, "worst_after"), 5, 0);
  assert_int_equal(jp_len(js, "groups.region"), 2);
  const char *names[] = {"Abai", "Turkestan"};
  const double want[2][9] = {{4, 3, 3, 0, 4, 3, 1, 0, 2}, {4, 1, 1, 0, 3, 2, 1, 0, 0}};
  const char *keys[] = {"units", "changed", "better", "worse", "worst_before", "worst_after",
                        "poor_lost", "poor_gained"};
  for (int v = 0; v < 2; v++) {
    assert_string_equal(jp_str(js, "groups.region[%d].value", v), names[v]);
    for (int k = 0; k < 8; k++)
      assert_double_equal(jp_num(js, "groups.region[%d].%s", v, keys[k]), want[v][k], 0);
    assert_string_equal(jp_str(js, "groups.region[%d].measures[0].id", v), "visit");
    assert_double_equal(jp_num(js, "groups.region[%d].measures[0].gained", v), 0, 0);
    assert_double_equal(jp_num(js, "groups.region[%d].measures[0].lost", v), want[v][8], 0);
  }
}

/* Runs recorded before group values were kept (an upgraded schema 2
** database has NULL group_columns and no grp): compare says so. */
static void expect_older_runs(const char *out) {
  /* a unit's group codes damaged by hand: refused, naming the unit */
  char *grp = h_sql_text(out, "SELECT grp FROM unit_scores WHERE run_id = 2 AND unit = 'f4'");
  h_sql(out, "UPDATE unit_scores SET grp = '1,7' WHERE run_id = 2 AND unit = 'f4'");
  const char *tg[] = {"compare", "--out", out, "--run", "1", "--run", "2", NULL};
  h_result r = run_ok(tg, 1);
  expect_has(r.err, "afscore: run 2, unit 'f4': the recorded group values are missing or "
                    "damaged (afscore verify --run 2 tells more)\n");
  h_result_free(&r);
  char *sql = af_sprintf("UPDATE unit_scores SET grp = '%s' WHERE run_id = 2 AND unit = 'f4'", grp);
  h_sql(out, sql);
  free(sql);
  free(grp);
  h_sql(out, "UPDATE runs SET group_columns = NULL WHERE id = 2;"
             "UPDATE unit_scores SET grp = NULL WHERE run_id = 2;"
             "DELETE FROM run_groups WHERE run_id = 2; DELETE FROM run_values WHERE run_id = 2;");
  const char *js[] = {"compare", "--out", out, "--run", "1", "--run", "2", "--json", NULL};
  r = run_ok(js, 0);
  /* run 1's regions are the same: the same figures */
  assert_string_equal(jp_str(r.out, "group_values_from"), "run_a");
  assert_double_equal(jp_num(r.out, "groups.region[0].changed"), 3, 0);
  assert_double_equal(jp_num(r.out, "groups.region[1].worst_after"), 2, 0);
  h_result_free(&r);
  const char *tx[] = {"compare", "--out", out, "--run", "1", "--run", "2", NULL};
  r = run_ok(tx, 0);
  expect_has(r.out, "note: run B was recorded before afscore kept group values: units are split "
                    "by run A's\n");
  h_result_free(&r);
  h_sql(out, "UPDATE runs SET group_columns = NULL WHERE id = 1;"
             "UPDATE unit_scores SET grp = NULL WHERE run_id = 1;");
  r = run_ok(js, 0);
  assert_true(jp_is_null(r.out, "group_values_from"));
  assert_true(jp_is_null(r.out, "groups"));
  assert_double_equal(jp_num(r.out, "changed"), 4, 0);
  h_result_free(&r);
  r = run_ok(tx, 0);
  expect_has(r.out, "\nno split by group: both runs were recorded before afscore kept each "
                    "unit's group values (results schema 3); score them again with --out to "
                    "split by group\n");
  h_result_free(&r);
}

/* compare --out --run A --run B from the recorded rows. Run 1: Tiny, run 2:
** the fuel variant, on the reasons data; categories worked out by hand
** above (test_compare_reasons): Tiny A f3; B f1 f2 f7 f10; C f4 f6 f9. The
** variant: A f2 f3 f10; B f1 f6 f7 f9; C f4. Poor at k 1/3: all but f3; at
** 2/5: f1 f4 f6 f7 f9. The visit (C): f4 f6 f9, then f4. Run 3 is Tiny on
** the same data plus a family f11: one unit recorded in run 3 only. */
static void test_compare_recorded_runs(void **state) {
  (void)state;
  setenv("AFSCORE_PATH", h_path(""), 1);
  const char *db = h_path("reasons.db"), *db2 = h_path("reasons2.db"), *out = h_path("rr-out.db");
  unlink(db);
  unlink(db2);
  unlink(out);
  h_sql(db, REASONS_DATA);
  h_sql(db2, REASONS_DATA);
  h_sql(db2, "INSERT INTO families VALUES ('f11','Abai',0);"
             "INSERT INTO persons VALUES ('f11',500,0,1);");
  const char *vp = h_path("v_fuel.lua");
  h_write(vp, V_FUEL);
  const char *runs[3][8] = {{"score", "--db", db, "--method", TINYP, "--out", out, NULL},
                            {"score", "--db", db, "--method", vp, "--out", out, NULL},
                            {"score", "--db", db2, "--method", TINYP, "--out", out, NULL}};
  for (int k = 0; k < 3; k++) {
    h_result r = run_ok(runs[k], 0);
    h_result_free(&r);
  }
  const char *js[] = {"compare", "--out", out, "--run", "1", "--run", "2", "--json", NULL};
  h_result r = run_ok(js, 0);
  expect_has(r.out, "\"from\": [\n      \"A\",\n      \"B\",\n      \"C\",\n      \"(excluded)\"\n");
  expect_has(r.out, "\"counts\": [\n      [1,0,0,0],\n      [2,2,0,0],\n      [0,2,1,0],\n"
                    "      [0,0,0,0]\n    ]");
  assert_double_equal(jp_num(r.out, "units"), 8, 0);
  assert_double_equal(jp_num(r.out, "changed"), 4, 0);
  assert_double_equal(jp_num(r.out, "better"), 4, 0);
  assert_double_equal(jp_num(r.out, "worse"), 0, 0);
  assert_double_equal(jp_num(r.out, "poor_lost"), 2, 0);
  assert_double_equal(jp_num(r.out, "poor_gained"), 0, 0);
  expect_has(r.out, "\"id\": \"visit\",\n      \"gained\": 0,\n      \"lost\": 2,\n      \"net\": -2");
  expect_by_region(r.out);
  h_result_free(&r);
  const char *tg[] = {"compare", "--out", out, "--run", "1", "--run", "2", NULL};
  r = run_ok(tg, 0);
  expect_has(r.out, "in B+C before: 7; in B+C after: 5\n");
  expect_has(r.out,
             "by region (units in both runs):\n"
             "  region                      units  changed   better    worse  B+C before   B+C after\n"
             "  Abai                            4        3        3        0           4           3\n"
             "  Turkestan                       4        1        1        0           3           2\n"
             "\nmeasures gained and lost by region:\n"
             "  region                   measure                gained     lost      net\n"
             "  Abai                     visit                       0        2       -2\n"
             "  Turkestan                visit                       0        0       +0\n");
  h_result_free(&r);
  expect_older_runs(out);
  const char *tx[] = {"compare", "--out", out, "--run", "1", "--run", "3", NULL};
  r = run_ok(tx, 0);
  expect_has(r.out, "0 of 8 units change category");
  expect_has(r.out, "not compared: 0 units recorded only in run A, 1 only in run B\n");
  h_result_free(&r);
  const char *three[] = {"compare", "--out", out, "--run", "1", "--run", "2", "--run", "3", NULL};
  r = run_ok(three, 2);
  h_result_free(&r);
  const char *mixed[] = {"compare", "--out", out, "--run", "1", "--run", "2", "--method", vp, NULL};
  r = run_ok(mixed, 2);
  h_result_free(&r);
  const char *missing[] = {"compare", "--out", out, "--run", "1", "--run", "9", NULL};
  r = run_ok(missing, 1);
  h_result_free(&r);
}

/* Rules changed or data changed: run 1 is Tiny on the old data, run 2 the
** fuel variant on new data where f1's income rose to 500. Movers (by hand):
** f1 B -> A, f2 B -> A, f6 C -> B, f9 C -> B, f10 B -> A. Tiny on the new
** data gives f1 A (its data moved it: low income gone, 0) and f2 B, f6 C,
** f9 C, f10 B, their old categories: the rules moved those four. */
static void test_compare_recorded_split(void **state) {
  (void)state;
  setenv("AFSCORE_PATH", h_path(""), 1);
  const char *old = h_path("split-old.db"), *new = h_path("split-new.db"),
             *out = h_path("split-out.db");
  unlink(old);
  unlink(new);
  unlink(out);
  h_sql(old, REASONS_DATA);
  h_sql(new, REASONS_DATA);
  h_sql(new, "UPDATE persons SET income = 500 WHERE family_id = 'f1';");
  const char *vp = h_path("v_fuel.lua");
  h_write(vp, V_FUEL);
  const char *s1[] = {"score", "--db", old, "--method", TINYP, "--out", out, NULL};
  const char *s2[] = {"score", "--db", new, "--method", vp, "--out", out, NULL};
  h_result r = run_ok(s1, 0);
  h_result_free(&r);
  r = run_ok(s2, 0);
  h_result_free(&r);
  const char *js[] = {"compare", "--out", out, "--run", "1", "--run", "2", "--db", new, "--json",
                      NULL};
  r = run_ok(js, 0);
  assert_double_equal(jp_num(r.out, "changed"), 5, 0);
  expect_has(r.out, "\"movers\": {\n    \"rules_changed\": 4,\n    \"data_changed\": 1,\n"
                    "    \"both\": 0,\n    \"not_in_data\": 0\n  }");
  h_result_free(&r);
  const char *tx[] = {"compare", "--out", out, "--run", "1", "--run", "2", "--db", new, NULL};
  r = run_ok(tx, 0);
  expect_has(r.out, "  4 moved because the rules changed");
  expect_has(r.out, "  1 moved because the data changed");
  h_result_free(&r);
}

/* Unlike things compared say so: the variant counts people, renames B and
** stops excluding unknown incomes; f12 (income unknown) is excluded by the
** base only. */
static void test_compare_notes(void **state) {
  (void)state;
  setenv("AFSCORE_PATH", h_path(""), 1);
  const char *db = h_path("notes.db");
  unlink(db);
  h_sql(db, REASONS_DATA);
  h_sql(db, "INSERT INTO families VALUES ('f12','Abai',0);"
            "INSERT INTO persons VALUES ('f12',NULL,0,1);");
  const char *vp = h_path("v_unlike.lua");
  h_write(vp, "local m = import('tiny')\nm.version = 'unlike'\nm.population = 'members'\n"
              "m.bands[2].name = 'satisfactory'\n"
              "m.dimensions[1].indicators[1].missing = 'not_deprived'\nreturn m\n");
  const char *args[] = {"compare", "--db", db, "--method", TINYP, "--method", vp, NULL};
  h_result r = run_ok(args, 0);
  expect_has(r.out, "note: the shares are of different populations: the base counts units, the "
                    "variant people\n"
                    "note: category B is 'fair' in the base and 'satisfactory' in the variant: "
                    "matched by id\n"
                    "note: 1 units are excluded (a rule unknown) under one methodology only: "
                    "they count as changed\n");
  h_result_free(&r);
}

/* sweep marks the row of the current k; k as a fraction, H and A in
** percent, M0 as a decimal. On the reasons data Tiny scores
** 0 (f3), 1/3 (f1 f2 f7 f10) and 2/3 (f4 f6 f9): at k = 1/3 seven of eight
** are poor, H = 7/8, A = (4/3 + 3 * 2/3) / 7 = 10/21, M0 = 5/12. The
** explanation shows the same fractions: f9 = 1/3 + 1/3 = 2/3. */
static void test_sweep_k_and_fractions(void **state) {
  (void)state;
  const char *db = h_path("reasons.db");
  unlink(db);
  h_sql(db, REASONS_DATA);
  const char *args[] = {"sweep", "--db", db, "--method", TINYP, NULL};
  h_result r = run_ok(args, 0);
  expect_has(r.out, "1/3             87.50 %    47.62 %     0.4167          7  <- k now (1/3)\n"
                    "2/3             37.50 %    66.67 %     0.2500          3\n");
  h_result_free(&r);
  const char *ex[] = {"explain", "--db", db, "--method", TINYP, "f9", NULL};
  r = run_ok(ex, 0);
  expect_has(r.out, "  low_income             DEPRIVED      weight 1/3       mean(income) < pm\n"
                    "      Low income\n");
  expect_has(r.out, "score = 1/3 + 1/3 = 2/3 (0.6667)\n");
  expect_has(r.out, "category C (poor): scores from 2/3 (0.6667) up\n");
  expect_has(r.out, "poor: the score is at or above k = 1/3 (0.3333)\n");
  h_result_free(&r);
}

/* explain writes numbers as exact fractions or rounded decimals: a family
** whose one member earns 0.7563568071424357 (below pm = 100: deprived in
** low_income only) scores 1/3, category B; C begins at 2/3, so the score
** must rise by 1/3. The run records 1/3 too. */
static void test_explain_numbers(void **state) {
  (void)state;
  const char *db = h_path("numbers.db"), *out = h_path("numbers-out.db");
  unlink(db);
  unlink(out);
  h_sql(db, "CREATE TABLE families (family_id TEXT, region TEXT, fuel INTEGER);"
            "CREATE TABLE persons (family_id TEXT, income REAL, disability_group INTEGER,"
            " clinic_attached INTEGER);"
            "INSERT INTO families VALUES ('g1', 'north', 0);"
            "INSERT INTO persons VALUES ('g1', 0.7563568071424357, 0, 1);");
  const char *sc[] = {"score", "--db", db, "--method", TINYP, "--out", out, NULL};
  h_result r = run_ok(sc, 0);
  h_result_free(&r);
  const char *ex[] = {"explain", "--db", db, "--out", out, "--run", "1", "g1", NULL};
  r = run_ok(ex, 0);
  expect_has(r.out, "      where mean(income) = 0.756357\xE2\x80\xA6, pm = 100\n");
  expect_has(r.out, "  to C (worse): the score must rise by 1/3 (0.3333): ");
  expect_has(r.out, "recorded in run 1: score 1/3 (0.3333), category B\n");
  assert_false(h_has(r.out, "0.3333333"));
  h_result_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_describe_text),   cmocka_unit_test(test_describe_markdown_json),
      cmocka_unit_test(test_describe_points), cmocka_unit_test(test_diff),
      cmocka_unit_test(test_describe_usage),  cmocka_unit_test(test_check_warnings),
      cmocka_unit_test(test_check_warnings_points_and_schema),
      cmocka_unit_test(test_check_json_always),
      cmocka_unit_test(test_cases_report_failures),
      cmocka_unit_test(test_cases_shipped),
      cmocka_unit_test(test_cases_errors),
      cmocka_unit_test(test_explain_numbers),
      cmocka_unit_test(test_compare_reasons),
      cmocka_unit_test(test_order267_notice_true_for_all),
      cmocka_unit_test(test_cyrillic_cells),
      cmocka_unit_test(test_progress_one_line),
      cmocka_unit_test(test_explain_draft),
      cmocka_unit_test(test_compare_recorded_runs),
      cmocka_unit_test(test_compare_recorded_split),
      cmocka_unit_test(test_compare_notes),
      cmocka_unit_test(test_sweep_k_and_fractions),
  };
  return cmocka_run_group_tests_name("e2e_policy", tests, setup, teardown);
}
