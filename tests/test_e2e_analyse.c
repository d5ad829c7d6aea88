/*
** test_e2e_analyse.c: the analysts' and reviewers' commands end to end
** (compare, replay, explain, sweep, runs), through the real afscore binary on
** a generated population of 3000 families (seed 1) and on small hand-made
** databases. Expected figures come from elsewhere than the command under
** test: SQL over the generated data, or SQL joins over the unit_scores of
** plain `score` runs of the same methodologies (recorded in one results
** database: run 1 the base kz_family_2023, run 2 the variant
** tests/fixtures/variants/kz_family_k40_pm70.lua, run 3 the points order
** kz_order267_2023, run 4 the four-band variant).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "util.h"

#define EPS 1e-12
#define PM 50851.0 /* subsistence_minimum in kz_family_2023.lua */
#define UNITS 3000

static char DATA[1024], OUT[1024], BASE[1024], VAR[1024], POINTS[1024], FOUR[1024];
/* The score --json output of runs 1..4. */
static char *SCORED[5];

static void copy_path(char *dst, const char *src) { snprintf(dst, 1024, "%s", src); }

/* Run and require an exit status; the caller frees the result. */
static h_result run_ok(const char *const *args, int status) {
  h_result r = h_run(args);
  if (r.status != status) {
    print_error("status %d, expected %d\nstdout: %.2000s\nstderr: %.2000s\n", r.status, status,
                r.out, r.err);
  }
  assert_int_equal(r.status, status);
  return r;
}

static int setup(void **state) {
  (void)state;
  /* Imports in the variant fixtures are found on AFSCORE_PATH: the shipped
  ** methodologies, whatever the working directory. */
  setenv("AFSCORE_PATH", h_root("methodology"), 1);
  copy_path(DATA, h_path("an.db"));
  copy_path(OUT, h_path("an-out.db"));
  copy_path(BASE, h_root("methodology/kz_family_2023.lua"));
  copy_path(VAR, h_root("tests/fixtures/variants/kz_family_k40_pm70.lua"));
  copy_path(POINTS, h_root("methodology/kz_order267_2023.lua"));
  copy_path(FOUR, h_root("tests/fixtures/variants/kz_family_four_bands.lua"));
  unlink(DATA);
  unlink(OUT);
  const char *gen[] = {"generate", "--families", "3000", "--seed", "1", "--out", DATA, NULL};
  h_result r = h_run(gen);
  if (r.status != 0) return -1;
  h_result_free(&r);
  const char *methods[5] = {NULL, BASE, VAR, POINTS, FOUR};
  for (int k = 1; k <= 4; k++) {
    const char *args[] = {"score", "--db", DATA, "--method", methods[k], "--out", OUT, "--json",
                          NULL};
    r = h_run(args);
    if (r.status != 0) {
      fprintf(stderr, "setup: score %s failed: %s\n", methods[k], r.err);
      return -1;
    }
    SCORED[k] = r.out;
    free(r.err);
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  for (int k = 1; k <= 4; k++) free(SCORED[k]);
  return 0;
}

static double sqlf(const char *db, const char *fmt, ...) {
  char sql[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(sql, sizeof sql, fmt, ap);
  va_end(ap);
  return h_sql_double(db, sql);
}

/* A number from SQL over the results (main) with the data attached as d. */
static double sql_joined(const char *fmt, ...) {
  char sql[2048], attach[1200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(sql, sizeof sql, fmt, ap);
  va_end(ap);
  sqlite3 *h = NULL;
  sqlite3_stmt *st = NULL;
  snprintf(attach, sizeof attach, "ATTACH '%s' AS d", DATA);
  if (sqlite3_open_v2(OUT, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
      sqlite3_exec(h, attach, NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
    fail_msg("query failed: %s (%s)", sql, sqlite3_errmsg(h));
  double v = sqlite3_column_double(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(h);
  return v;
}

/* ---- a transition matrix from compare/replay --json ---- */

typedef struct matrix {
  int nf, nt;
  char from[8][16], to[8][16];
  long long counts[8][8];
} matrix;

/* The "transitions" of a comparison (the JSON object cmp). */
static void parse_matrix(const char *cmp, matrix *m) {
  memset(m, 0, sizeof *m);
  m->nf = jp_len(cmp, "transitions.from");
  m->nt = jp_len(cmp, "transitions.to");
  assert_true(m->nf <= 8 && m->nt <= 8);
  assert_int_equal(jp_len(cmp, "transitions.counts"), m->nf);
  for (int i = 0; i < m->nf; i++) {
    snprintf(m->from[i], 16, "%s", jp_str(cmp, "transitions.from[%d]", i));
    assert_int_equal(jp_len(cmp, "transitions.counts[%d]", i), m->nt);
    for (int j = 0; j < m->nt; j++)
      m->counts[i][j] = (long long)jp_num(cmp, "transitions.counts[%d][%d]", i, j);
  }
  for (int j = 0; j < m->nt; j++) snprintf(m->to[j], 16, "%s", jp_str(cmp, "transitions.to[%d]", j));
}

/* Every cell equals the units of run a in category from[i] joined to run b
** in category to[j] ("(excluded)" = a NULL category), and the cells sum to
** all units: nothing is outside the matrix. */
static void check_matrix_against_runs(const matrix *m, int run_a, int run_b) {
  long long sum = 0;
  for (int i = 0; i < m->nf; i++)
    for (int j = 0; j < m->nt; j++) {
      double want = sqlf(OUT,
                         "SELECT count(*) FROM unit_scores a JOIN unit_scores b USING (unit)"
                         " WHERE a.run_id = %d AND b.run_id = %d"
                         " AND coalesce(a.category, '(excluded)') = '%s'"
                         " AND coalesce(b.category, '(excluded)') = '%s'",
                         run_a, run_b, m->from[i], m->to[j]);
      if ((double)m->counts[i][j] != want)
        fail_msg("transition %s -> %s: %lld, joined runs %d/%d give %g", m->from[i], m->to[j],
                 m->counts[i][j], run_a, run_b, want);
      sum += m->counts[i][j];
    }
  assert_int_equal(sum, UNITS);
}

/* Units whose category text differs between two runs (NULL = excluded). */
static double changed_between(int run_a, int run_b) {
  return sqlf(OUT,
              "SELECT count(*) FROM unit_scores a JOIN unit_scores b USING (unit)"
              " WHERE a.run_id = %d AND b.run_id = %d"
              " AND coalesce(a.category, '(excluded)') <> coalesce(b.category, '(excluded)')",
              run_a, run_b);
}

static void assert_axis(char names[][16], int n, const char *const *want, int nwant) {
  assert_int_equal(n, nwant);
  for (int i = 0; i < n; i++) assert_string_equal(names[i], want[i]);
}

/* ---- compare ---- */

static void test_compare_base_variant(void **state) {
  (void)state;
  const char *csv = h_path("an-changes.csv");
  unlink(csv);
  const char *args[] = {"compare", "--db", DATA, "--method", BASE, "--method", VAR, "--changes",
                        csv, "--json", NULL};
  h_result r = run_ok(args, 0);
  matrix m;
  parse_matrix(r.out, &m);
  /* Both AF with bands A..E; 16 families have no known income (mean(income)
  ** is null, missing = exclude) in both: the (excluded) row and column. */
  const char *axis[] = {"A", "B", "C", "D", "E", "(excluded)"};
  assert_axis(m.from, m.nf, axis, 6);
  assert_axis(m.to, m.nt, axis, 6);
  check_matrix_against_runs(&m, 1, 2);
  double changed = changed_between(1, 2);
  assert_true(changed > 50);   /* the variant does change something */
  assert_double_equal(jp_num(r.out, "changed"), changed, 0);
  assert_double_equal(jp_num(r.out, "units"), UNITS, 0);
  /* A lower income line only lifts families: nobody gets worse. better =
  ** variant category id before the base one (A < B < ... as text). */
  assert_double_equal(jp_num(r.out, "better"),
                      sqlf(OUT, "SELECT count(*) FROM unit_scores a JOIN unit_scores b USING (unit)"
                                " WHERE a.run_id = 1 AND b.run_id = 2 AND b.category < a.category"),
                      0);
  assert_double_equal(jp_num(r.out, "worse"), 0, 0);

  /* delta = variant - base, from the summaries of the two score runs. */
  const char *d = jp_at(r.out, "delta");
  const char *keys[] = {"H", "A", "M0"};
  for (int k = 0; k < 3; k++)
    assert_double_equal(jp_num(d, keys[k]),
                        jp_num(SCORED[2], keys[k]) - jp_num(SCORED[1], keys[k]), 0);
  /* H of the variant from its scores: share with score >= k = 0.4 (scores are
  ** multiples of 1/48, none equal to 0.4). */
  double n = sqlf(OUT, "SELECT count(score) FROM unit_scores WHERE run_id = 2");
  assert_double_equal(jp_num(SCORED[2], "H"),
                      sqlf(OUT, "SELECT count(*) FROM unit_scores WHERE run_id = 2 AND score >= 0.4") / n,
                      EPS);
  /* Category share deltas, from the runs. */
  const char *cats = jp_at(d, "categories");
  for (int i = 0; i < 5; i++) {
    double want = sqlf(OUT,
                       "SELECT (SELECT count(*) FROM unit_scores WHERE run_id = 2 AND category = '%s')"
                       " * 1.0 / %g - (SELECT count(*) FROM unit_scores WHERE run_id = 1"
                       " AND category = '%s') * 1.0 / %g",
                       axis[i], n, axis[i], n);
    assert_double_equal(jp_num(cats, axis[i]), want, EPS);
  }
  /* The income indicator's headcount falls by the families whose mean income
  ** lies in [0.7 PM, PM), straight from the data; n from the data as well
  ** (families with at least one known income). */
  double n_data = sqlf(DATA, "SELECT count(*) FROM (SELECT avg(income) a FROM persons"
                             " GROUP BY family_id) WHERE a IS NOT NULL");
  assert_double_equal(n, n_data, 0);
  double between = sqlf(DATA,
                        "SELECT count(*) FROM (SELECT avg(income) a FROM persons GROUP BY family_id)"
                        " WHERE a >= 0.7 * %g AND a < %g", PM, PM);
  assert_true(between > 0);
  assert_double_equal(jp_num(r.out, "indicators[id=low_income].delta_uncensored"),
                      -between / n_data, EPS);
  /* Per group: urban = 1 and 0. changed and better by SQL over the joined
  ** runs and the data's urban column; dH from each run's poor flags. */
  for (int urban = 1; urban >= 0; urban--) {
    const char *g = jp_at(r.out, "groups.urban[value=%d]", urban);
    const char *join = "FROM unit_scores a JOIN unit_scores b USING (unit)"
                       " JOIN d.families f ON f.family_id = a.unit"
                       " WHERE a.run_id = 1 AND b.run_id = 2 AND f.urban = %d";
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT count(*) %s AND a.category <> b.category", join);
    assert_double_equal(jp_num(g, "changed"), sql_joined(sql, urban), 0);
    snprintf(sql, sizeof sql, "SELECT count(*) %s AND b.category < a.category", join);
    assert_double_equal(jp_num(g, "better"), sql_joined(sql, urban), 0);
    snprintf(sql, sizeof sql,
             "SELECT 1.0 * sum(b.poor) / count(b.score) - 1.0 * sum(a.poor) / count(a.score) %s",
             join);
    assert_double_equal(jp_num(g, "delta_H"), sql_joined(sql, urban), EPS);
  }
  /* The other indicators are the same rules: no change. */
  assert_double_equal(jp_num(r.out, "indicators[id=uninsured].delta_uncensored"), 0, 0);
  h_result_free(&r);

  /* --changes: every unit whose category or poor status changed. A changed
  ** category: the row agrees with the two runs, the only flipped indicator
  ** is low_income (reason "low_income deprived -> not deprived"), the score
  ** is 1/4 lower and the family's mean income in [0.7 PM, PM) in the data.
  ** The same category: poor at k = 1/3 and not at k = 0.4 ("k 1/3 -> 2/5"),
  ** as many rows as the two runs' poor columns say. */
  FILE *f = fopen(csv, "r");
  assert_non_null(f);
  char line[1024];
  assert_non_null(fgets(line, sizeof line, f));
  assert_string_equal(line, "unit,old_category,new_category,old_score,new_score,flipped_indicators,"
                            "reasons,old_poor,new_poor,measures_gained,measures_lost,region,urban\n");
  int rows = 0, poor_rows = 0;
  while (fgets(line, sizeof line, f)) {
    char fl[13][256];
    if (h_split_csv(line, fl, 13) != 13) fail_msg("bad changes row: %s", line);
    const char *unit = fl[0], *from = fl[1], *to = fl[2];
    double s1 = atof(fl[3]), s2 = atof(fl[4]);
    if (strcmp(from, to) == 0) {
      poor_rows++;
      assert_string_equal(fl[7], "1");
      assert_string_equal(fl[8], "0");
      assert_string_equal(fl[6], "k 1/3 -> 2/5");
      assert_true(s2 >= 1.0 / 3 - EPS && s2 < 0.4);
      continue;
    }
    rows++;
    assert_string_equal(fl[5], "low_income");
    assert_has(fl[6], "low_income deprived -> not deprived");
    assert_double_equal(s1 - s2, 0.25, EPS);
    assert_double_equal(sqlf(OUT,
                             "SELECT count(*) FROM unit_scores a JOIN unit_scores b USING (unit)"
                             " WHERE unit = '%s' AND a.run_id = 1 AND b.run_id = 2"
                             " AND a.category = '%s' AND b.category = '%s'"
                             " AND a.score = %.17g AND b.score = %.17g",
                             unit, from, to, s1, s2),
                        1, 0);
    double mean = sqlf(DATA, "SELECT avg(income) FROM persons WHERE family_id = '%s'", unit);
    assert_true(mean >= 0.7 * PM && mean < PM);
    /* the groups are the family's */
    double same = sqlf(DATA, "SELECT count(*) FROM families WHERE family_id = '%s' AND region = '%s'"
                             " AND urban = %s", unit, fl[11], fl[12]);
    assert_double_equal(same, 1, 0);
  }
  fclose(f);
  assert_double_equal(rows, changed, 0);
  assert_double_equal(poor_rows,
                      sqlf(OUT, "SELECT count(*) FROM unit_scores a JOIN unit_scores b USING (unit)"
                                " WHERE a.run_id = 1 AND b.run_id = 2 AND a.poor = 1 AND b.poor = 0"
                                " AND a.category = b.category"),
                      0);
}

/* Text output: the same matrix, the deltas, and the count of changes. */
static void test_compare_text(void **state) {
  (void)state;
  const char *args[] = {"compare", "--db", DATA, "--method", BASE, "--method", VAR, NULL};
  h_result r = run_ok(args, 0);
  char want[256];
  snprintf(want, sizeof want, "%.0f of %d units change category", changed_between(1, 2), UNITS);
  assert_has(r.out, want);
  assert_has(r.out, "transitions (rows: base, columns: variant):");
  /* The A row: every base-A family stays A (the lower line only lifts). */
  snprintf(want, sizeof want, "         A %10.0f %10d %10d %10d %10d %10d\n",
           sqlf(OUT, "SELECT count(*) FROM unit_scores WHERE run_id = 1 AND category = 'A'"), 0, 0,
           0, 0, 0);
  assert_has(r.out, want);
  /* H in percent, its change in percentage points. */
  double hb = jp_num(SCORED[1], "H"), hv = jp_num(SCORED[2], "H");
  char pb[32], pv[32], pd[32];
  snprintf(pb, sizeof pb, "%.2f %%", 100 * hb);
  snprintf(pv, sizeof pv, "%.2f %%", 100 * hv);
  snprintf(pd, sizeof pd, "%+.2f pp", 100 * (hv - hb));
  snprintf(want, sizeof want, "H          %10s %10s %11s\n", pb, pv, pd);
  assert_has(r.out, want);
  assert_has(r.out, "by region:");
  h_result_free(&r);
}

/* Three methodologies: each compared with the first; a rectangular matrix
** when the band sets differ; the changes file says which variant. */
static void test_compare_three(void **state) {
  (void)state;
  const char *csv = h_path("an-changes3.csv");
  unlink(csv);
  const char *args[] = {"compare", "--db", DATA, "--method", BASE, "--method", VAR, "--method",
                        FOUR, "--changes", csv, "--json", NULL};
  h_result r = run_ok(args, 0);
  assert_int_equal(jp_len(r.out, "comparisons"), 2);
  const char *cmp = jp_at(r.out, "comparisons[0]");
  matrix m;
  parse_matrix(cmp, &m);   /* the first comparison: base vs kz_family_k40_pm70 */
  check_matrix_against_runs(&m, 1, 2);
  assert_double_equal(jp_num(cmp, "changed"), changed_between(1, 2), 0);
  const char *second = jp_at(r.out, "comparisons[1]");
  parse_matrix(second, &m);
  const char *from[] = {"A", "B", "C", "D", "E", "(excluded)"};
  const char *to[] = {"A", "B", "C", "D", "(excluded)"};
  assert_axis(m.from, m.nf, from, 6);
  assert_axis(m.to, m.nt, to, 5);
  check_matrix_against_runs(&m, 1, 4);
  /* Only E families change (to D), straight from the base run. */
  double e = sqlf(OUT, "SELECT count(*) FROM unit_scores WHERE run_id = 1 AND category = 'E'");
  assert_true(e > 0);
  assert_double_equal((double)m.counts[4][3], e, 0);
  assert_double_equal(jp_num(second, "changed"), e, 0);
  assert_double_equal(jp_num(second, "better"), e, 0);
  h_result_free(&r);
  /* The changes file: a variant column; rows of both comparisons. */
  FILE *f = fopen(csv, "r");
  assert_non_null(f);
  char line[1024];
  assert_non_null(fgets(line, sizeof line, f));
  assert_string_equal(line, "variant,unit,old_category,new_category,old_score,new_score,"
                            "flipped_indicators,reasons,old_poor,new_poor,measures_gained,"
                            "measures_lost,region,urban\n");
  int n_var = 0, n_four = 0;
  while (fgets(line, sizeof line, f)) {
    if (strstr(line, "kz_family_k40_pm70.lua\",")) n_var++;
    else if (strstr(line, "kz_family_four_bands.lua\",")) {
      n_four++;
      assert_has(line, ",E,D,");
      /* no indicator flipped; E is gone; poor and measures unchanged */
      assert_has(line, ",\"\",\"category E removed\",1,1,\"\",\"\",");
    } else fail_msg("row of no variant: %s", line);
  }
  fclose(f);
  /* the variant's rows: changed categories, and poor status lost at k 0.4 */
  assert_double_equal(n_var,
                      changed_between(1, 2) +
                          sqlf(OUT, "SELECT count(*) FROM unit_scores a JOIN unit_scores b"
                                    " USING (unit) WHERE a.run_id = 1 AND b.run_id = 2"
                                    " AND a.poor = 1 AND b.poor = 0 AND a.category = b.category"),
                      0);
  assert_double_equal(n_four, e, 0);
}

/* AF base against the points order: both axes best first (A..E), the
** matrix equal to the joined runs 1 and 3; no H/A/M0 delta across methods. */
static void test_compare_af_points(void **state) {
  (void)state;
  const char *args[] = {"compare", "--db", DATA, "--method", BASE, "--method", POINTS, "--json",
                        NULL};
  h_result r = run_ok(args, 0);
  matrix m;
  parse_matrix(r.out, &m);
  const char *from[] = {"A", "B", "C", "D", "E", "(excluded)"};
  assert_axis(m.from, m.nf, from, 6);
  assert_axis(m.to, m.nt, from, 5);   /* the points order excludes nobody */
  check_matrix_against_runs(&m, 1, 3);
  assert_double_equal(jp_num(r.out, "changed"), changed_between(1, 3), 0);
  /* Categories share their ids: better = the variant's id sorts first. */
  assert_double_equal(jp_num(r.out, "worse"),
                      sqlf(OUT, "SELECT count(*) FROM unit_scores a JOIN unit_scores b USING (unit)"
                                " WHERE a.run_id = 1 AND b.run_id = 3 AND b.category > a.category"),
                      0);
  assert_true(jp_exists(r.out, "delta.categories"));
  assert_false(jp_exists(r.out, "delta.M0"));
  assert_false(jp_exists(r.out, "delta.H"));
  h_result_free(&r);
  /* The other way round: a points base, rows best first too. */
  const char *rev[] = {"compare", "--db", DATA, "--method", POINTS, "--method", BASE, NULL};
  r = run_ok(rev, 0);
  assert_has(r.out, "                    A          B          C          D          E");
  h_result_free(&r);
}

static void test_compare_usage_and_import_path(void **state) {
  (void)state;
  const char *one[] = {"compare", "--db", DATA, "--method", BASE, NULL};
  h_result r = run_ok(one, 2);
  assert_has(r.err, "afscore compare: needs --db DATA.db and at least two --method options\n"
                    "usage: afscore compare --db DATA.db --method BASE.lua");
  h_result_free(&r);
  /* The variant's import is found only on AFSCORE_PATH (the fixture is not
  ** beside kz_family_2023.lua): an empty path fails with the file named. */
  setenv("AFSCORE_PATH", h_path("no-such-dir"), 1);
  const char *args[] = {"compare", "--db", DATA, "--method", BASE, "--method", VAR, NULL};
  r = run_ok(args, 1);
  assert_has(r.err, "kz_family_k40_pm70.lua");
  assert_has(r.err, "cannot find 'kz_family_2023'");
  h_result_free(&r);
  setenv("AFSCORE_PATH", h_root("methodology"), 1);
}

/* ---- replay ---- */

static void copy_db(const char *from, const char *to) {
  char sql[2200];
  unlink(to);
  snprintf(sql, sizeof sql, "VACUUM INTO '%s'", to);
  h_sql(from, sql);
}

static void test_replay_reproduced(void **state) {
  (void)state;
  const char *args[] = {"replay", "1", "--out", OUT, "--db", DATA, NULL};
  h_result r = run_ok(args, 0);
  assert_has(r.out, "reproduced: run 1, 3000 units, every recorded row checked: score, poor, "
                    "category and eligibility identical");
  h_result_free(&r);
  /* Run 2 was written with import: its sources are recorded too. */
  const char *two[] = {"replay", "2", "--out", OUT, "--db", DATA, "--json", NULL};
  r = run_ok(two, 0);
  assert_double_equal(jp_num(r.out, "run_id"), 2, 0);
  assert_true(jp_bool(r.out, "reproduced"));
  assert_false(jp_bool(r.out, "data_changed"));
  assert_false(jp_bool(r.out, "engine_changed"));
  assert_double_equal(jp_num(r.out, "units"), UNITS, 0);
  assert_double_equal(jp_num(r.out, "units_differ"), 0, 0);
  assert_double_equal(jp_num(r.out, "units_not_recorded"), 0, 0);
  h_result_free(&r);
  const char *none[] = {"replay", "99", "--out", OUT, "--db", DATA, NULL};
  r = run_ok(none, 1);
  char want[1200];
  snprintf(want, sizeof want, "afscore: no run 99 in %s\n", OUT);
  assert_string_equal(r.err, want);
  h_result_free(&r);
  const char *usage[] = {"replay", "--out", OUT, "--db", DATA, NULL};
  r = run_ok(usage, 2);
  h_result_free(&r);
}

/* One value in a copy of the data changes: exit 1, "data changed since run
** 1", and exactly one unit scoring differently. */
static void test_replay_data_changed(void **state) {
  (void)state;
  const char *copy = h_path("an-copy.db");
  copy_db(DATA, copy);
  const char *args[] = {"replay", "1", "--out", OUT, "--db", copy, NULL};
  h_result r = run_ok(args, 0);   /* an identical copy still reproduces */
  h_result_free(&r);
  /* A family with score 0 owns a dwelling; take it away: no_housing
  ** (weight 1/16) now holds, so its score is 1/16 (still category A). */
  char *unit = h_sql_text(OUT, "SELECT unit FROM unit_scores WHERE run_id = 1 AND score = 0"
                               " ORDER BY unit LIMIT 1");
  char sql[256];
  assert_true(sqlf(copy, "SELECT dwellings FROM families WHERE family_id = '%s'", unit) > 0);
  snprintf(sql, sizeof sql, "UPDATE families SET dwellings = 0 WHERE family_id = '%s'", unit);
  h_sql(copy, sql);
  r = run_ok(args, 1);
  assert_has(r.err, "data changed since run 1: it was recorded from ");
  assert_has(r.err, "not reproduced: run 1: 3000 units recomputed, 3000 rows recorded: 1 differ, "
                    "0 not recorded, 0 recorded but not in the data\n");
  char first[256];
  snprintf(first, sizeof first, "first differences:\n  unit '%s': recorded (category A, score 0, "
           "poor 0, ", unit);
  assert_has(r.err, first);
  assert_has(r.err, "; recomputed (category A, score 0.0625, poor 0, ");
  h_result_free(&r);
  const char *js[] = {"replay", "1", "--out", OUT, "--db", copy, "--json", NULL};
  r = run_ok(js, 1);
  assert_false(jp_bool(r.out, "reproduced"));
  assert_true(jp_bool(r.out, "data_changed"));
  assert_double_equal(jp_num(r.out, "units_differ"), 1, 0);
  h_result_free(&r);
  /* explain on the changed data says so, and shows the new score. */
  const char *ex[] = {"explain", "--out", OUT, "--db", copy, "--run", "1", unit, NULL};
  r = run_ok(ex, 0);
  assert_has(r.out, "score = 1/16 = 1/16 (0.0625)");
  assert_has(r.out, "recorded in run 1: score 0, category A");
  char note[1400];
  snprintf(note, sizeof note, "note: this unit scores differently now than in run 1: its data "
           "changed since the run read it from %s\n", DATA);
  assert_has(r.out, note);
  h_result_free(&r);
  free(unit);
}

/* A run recorded under another engine version is replayed with a note. */
static void test_replay_engine_changed(void **state) {
  (void)state;
  const char *out = h_path("an-out-engine.db");
  copy_db(OUT, out);
  h_sql(out, "UPDATE runs SET engine_version = 'afscore 0.0.1' WHERE id = 1");
  const char *args[] = {"replay", "1", "--out", out, "--db", DATA, "--json", NULL};
  h_result r = h_run(args);
  assert_has(r.err, "note: run 1 was recorded by afscore 0.0.1; this is afscore ");
  assert_true(jp_bool(r.out, "engine_changed"));
  assert_string_equal(jp_str(r.out, "recorded_engine"), "afscore 0.0.1");
  h_result_free(&r);
}

/* The methodology and the files it imports (the base, and the notice texts
** the base imports) are recorded: replay works after the import is deleted
** and the main file edited on disk. */
static void test_replay_from_recorded_sources(void **state) {
  (void)state;
  char *base_text = NULL;
  size_t len;
  af_err e;
  assert_int_equal(af_read_file(BASE, &base_text, &len, &e), 0);
  const char *imp = h_path("rp_base.lua"), *main_file = h_path("rp_variant.lua");
  const char *out = h_path("rp-out.db");
  h_write(imp, base_text);
  free(base_text);
  h_write(main_file, "local m = import('rp_base')\nm.k = 0.4\nreturn m\n");
  char sha_imp[65], sha_main[65], sha_notices[65];
  h_file_sha256(imp, sha_imp);
  h_file_sha256(main_file, sha_main);
  h_file_sha256(h_root("methodology/kz_notices_2023.lua"), sha_notices);
  unlink(out);
  const char *score[] = {"score", "--db", DATA, "--method", main_file, "--out", out, "--json", NULL};
  h_result r = run_ok(score, 0);
  /* k = 0.4 and the base's bands: H = share with score >= 0.4, from run 1. */
  double n = sqlf(OUT, "SELECT count(score) FROM unit_scores WHERE run_id = 1");
  assert_double_equal(jp_num(r.out, "H"),
                      sqlf(OUT, "SELECT count(*) FROM unit_scores WHERE run_id = 1 AND score >= 0.4") / n,
                      EPS);
  h_result_free(&r);
  /* run_files: the main file, then its imports in the order first imported,
  ** with their hashes and text. */
  assert_double_equal(sqlf(out, "SELECT count(*) FROM run_files WHERE run_id = 1"), 3, 0);
  char *s = h_sql_text(out, "SELECT sha256 FROM run_files WHERE run_id = 1 ORDER BY seq LIMIT 1");
  assert_string_equal(s, sha_main);
  free(s);
  s = h_sql_text(out, "SELECT sha256 FROM run_files WHERE run_id = 1 ORDER BY seq LIMIT 1 OFFSET 1");
  assert_string_equal(s, sha_imp);
  free(s);
  s = h_sql_text(out, "SELECT sha256 FROM run_files WHERE run_id = 1 ORDER BY seq LIMIT 1 OFFSET 2");
  assert_string_equal(s, sha_notices);
  free(s);
  s = h_sql_text(out, "SELECT methodology_sha256 FROM runs WHERE id = 1");
  assert_string_equal(s, sha_main);
  free(s);

  unlink(imp);
  h_write(main_file, "return { this is no longer a methodology }\n");
  const char *replay[] = {"replay", "1", "--out", out, "--db", DATA, NULL};
  r = run_ok(replay, 0);
  assert_has(r.out, "reproduced: run 1");
  h_result_free(&r);
  /* explain also runs from the recorded sources. */
  char *unit = h_sql_text(out, "SELECT unit FROM unit_scores WHERE run_id = 1 AND category = 'C'"
                               " ORDER BY unit LIMIT 1");
  const char *ex[] = {"explain", "--out", out, "--db", DATA, "--run", "1", unit, NULL};
  r = run_ok(ex, 0);
  assert_has(r.out, "not poor: the score is below k = 2/5 (0.4)");
  h_result_free(&r);
  free(unit);
}

/* replay --method: the proposed rules against the recorded run, as compare. */
static void test_replay_proposed(void **state) {
  (void)state;
  const char *args[] = {"replay", "1", "--out", OUT, "--db", DATA, "--method", VAR, "--json", NULL};
  h_result r = run_ok(args, 0);
  assert_string_equal(jp_str(r.out, "base_run"), "1");
  matrix m;
  parse_matrix(r.out, &m);
  check_matrix_against_runs(&m, 1, 2);
  assert_double_equal(jp_num(r.out, "changed"), changed_between(1, 2), 0);
  assert_double_equal(jp_num(r.out, "delta.M0"),
                      jp_num(SCORED[2], "M0") - jp_num(SCORED[1], "M0"), 0);
  h_result_free(&r);
  const char *text[] = {"replay", "1", "--out", OUT, "--db", DATA, "--method", VAR, NULL};
  r = run_ok(text, 0);
  assert_has(r.out, "variant: Family social well-being");
  assert_has(r.out, "transitions (rows: base, columns: variant):");
  h_result_free(&r);
}

/* ---- explain ---- */

/* The first family in category D of run 1: every figure checked against the
** data with SQL and against the recorded score. */
static void test_explain_unit(void **state) {
  (void)state;
  char *unit = h_sql_text(OUT, "SELECT unit FROM unit_scores WHERE run_id = 1 AND category = 'D'"
                               " ORDER BY unit LIMIT 1");
  double recorded = sqlf(OUT, "SELECT score FROM unit_scores WHERE run_id = 1 AND unit = '%s'", unit);
  const char *args[] = {"explain", "--out", OUT, "--db", DATA, "--run", "1", unit, "--json", NULL};
  h_result r = run_ok(args, 0);
  const char *j = r.out;
  assert_double_equal(jp_num(j, "run_id"), 1, 0);
  assert_double_equal(jp_num(j, "score"), recorded, 0);
  assert_double_equal(jp_num(j, "recorded.score"), recorded, 0);
  /* Inputs against the data. */
  double mean = sqlf(DATA, "SELECT avg(income) FROM persons WHERE family_id = '%s'", unit);
  double members = sqlf(DATA, "SELECT count(*) FROM persons WHERE family_id = '%s'", unit);
  double area = sqlf(DATA, "SELECT living_area FROM families WHERE family_id = '%s'", unit);
  double dwell = sqlf(DATA, "SELECT dwellings FROM families WHERE family_id = '%s'", unit);
  const char *li = jp_at(j, "indicators[id=low_income]");
  assert_double_equal(jp_num(li, "inputs.mean(income)"), mean, fabs(mean) * 1e-15);
  assert_double_equal(jp_num(li, "inputs.subsistence_minimum"), PM, 0);
  assert_int_equal(jp_bool(li, "deprived"), mean < PM);
  assert_double_equal(jp_num(li, "weight"), 0.25, 0);
  const char *oc = jp_at(j, "indicators[id=overcrowded]");
  assert_double_equal(jp_num(oc, "inputs.living_area"), area, 0);
  assert_double_equal(jp_num(oc, "inputs.count()"), members, 0);
  assert_int_equal(jp_bool(oc, "deprived"), area / members < 15);
  assert_double_equal(jp_num(j, "indicators[id=no_housing].inputs.dwellings"), dwell, 0);
  /* The score is the sum of the deprived indicators' weights, and the printed
  ** sum adds up to it; amounts are the weights of the deprived. */
  long double by_weight = 0;
  int ndep = 0, nind = jp_len(j, "indicators");
  for (int i = 0; i < nind; i++) {
    const char *x = jp_at(j, "indicators[%d]", i);
    double w = jp_num(x, "weight"), amt = jp_num(x, "amount");
    int is = jp_bool(x, "deprived");
    assert_double_equal(amt, is ? w : 0, 0);
    by_weight += amt;
    ndep += is;
  }
  assert_true(ndep >= 2);
  assert_double_equal((double)by_weight, recorded, EPS);
  long double terms = 0;
  for (const char *p = jp_str(j, "sum"); *p;) {
    char *end;
    terms += strtod(p, &end);
    p = end;
    while (*p == ' ' || *p == '+') p++;
  }
  assert_double_equal((double)terms, recorded, EPS);
  /* Category D [0.4, 0.5), poor at k = 1/3; the nearest changes. */
  assert_string_equal(jp_str(j, "category.id"), "D");
  assert_double_equal(jp_num(j, "category.from"), 0.4, 0);
  assert_double_equal(jp_num(j, "category.to"), 0.5, 0);
  assert_true(jp_bool(j, "poor"));
  assert_double_equal(jp_num(j, "nearest.worse.distance"), 0.5 - recorded, 0);
  assert_string_equal(jp_str(j, "nearest.worse.category"), "E");
  assert_double_equal(jp_num(j, "nearest.better.distance"), recorded - 0.4, 0);
  /* The suggested flips: the lightest indicator not deprived whose weight
  ** reaches E (0.5 - score), the lightest deprived one whose weight takes the
  ** score below 0.4 (first in file order on a tie). */
  int best_up = -1, best_down = -1;
  double w_up = 2, w_down = 2;
  for (int i = 0; i < nind; i++) {
    const char *x = jp_at(j, "indicators[%d]", i);
    double wt = jp_num(x, "weight");
    int is = jp_bool(x, "deprived");
    if (!is && wt >= 0.5 - recorded && wt < w_up) w_up = wt, best_up = i;
    if (is && recorded - wt < 0.4 && wt < w_down) w_down = wt, best_down = i;
  }
  assert_true(best_up >= 0 && best_down >= 0);
  char id[64];
  snprintf(id, sizeof id, "%s", jp_str(j, "indicators[%d].id", best_up));
  assert_string_equal(jp_str(j, "nearest.worse.flip"), id);
  snprintf(id, sizeof id, "%s", jp_str(j, "indicators[%d].id", best_down));
  assert_string_equal(jp_str(j, "nearest.better.flip"), id);
  h_result_free(&r);

  /* The same as text. */
  const char *text[] = {"explain", "--out", OUT, "--db", DATA, "--run", "1", unit, NULL};
  r = run_ok(text, 0);
  char want[256];
  snprintf(want, sizeof want, "unit %s: Family social well-being", unit);
  assert_has(r.out, want);
  assert_has(r.out, "category D (crisis): scores from 2/5 (0.4) up to (not including) 1/2 (0.5)");
  assert_has(r.out, "poor: the score is at or above k = 1/3 (0.3333)");
  /* the score as the fraction it is: the smallest denominator (weights are
  ** multiples of 1/48) that gives the recorded double */
  int den = 1;
  while (den < 48 && fabs(recorded * den - round(recorded * den)) > 1e-9) den++;
  snprintf(want, sizeof want, "= %ld/%d (%.4f)\n", lround(recorded * den), den, recorded);
  assert_has(r.out, want);
  assert_has(r.out, "subsistence_minimum = 50851");
  assert_has(r.out, "recorded in run 1: score");
  assert_has(r.out, "to E (worse): the score must rise by");
  h_result_free(&r);

  const char *missing[] = {"explain", "--out", OUT, "--db", DATA, "--run", "1", "no-such-family",
                           NULL};
  r = run_ok(missing, 1);
  assert_has(r.err, "no unit 'no-such-family'");
  h_result_free(&r);
  free(unit);
}

/* A hand-made database whose column has no declared type: explain shows its
** text, not an internal number. Family a: kind 'rented', n 1: both rules
** hold, score 1; b: 'own', n 5: score 0. */
static void test_explain_untyped_column(void **state) {
  (void)state;
  const char *db = h_path("untyped.db"), *out = h_path("untyped-out.db"),
             *lua = h_path("untyped.lua");
  unlink(db);
  unlink(out);
  h_sql(db, "CREATE TABLE u(id TEXT PRIMARY KEY, kind, n INTEGER);"
            "INSERT INTO u VALUES ('a', 'rented', 1), ('b', 'own', 5);");
  h_write(lua, "return { name = 'untyped', version = '1', unit = { table = 'u', id = 'id' },\n"
               "  define = { tenure = 'kind' },\n"
               "  dimensions = { { id = 'd', indicators = {\n"
               "    { id = 'known', deprived = 'kind is not null and n < 2' },\n"
               "    { id = 'few', deprived = 'tenure is null or n < 2' } } } },\n"
               "  k = 1/2 }\n");
  const char *score[] = {"score", "--db", db, "--method", lua, "--out", out, NULL};
  h_result r = run_ok(score, 0);
  h_result_free(&r);
  const char *args[] = {"explain", "--out", out, "--db", db, "--run", "1", "a", NULL};
  r = run_ok(args, 0);
  assert_has(r.out, "where kind = 'rented', n = 1");
  assert_has(r.out, "where tenure = 'rented', n = 1");
  assert_has(r.out, "score = 1/2 + 1/2 = 1");
  h_result_free(&r);
  const char *js[] = {"explain", "--out", out, "--db", db, "--run", "1", "b", "--json", NULL};
  r = run_ok(js, 0);
  assert_string_equal(jp_str(r.out, "indicators[id=known].inputs.kind"), "own");
  assert_double_equal(jp_num(r.out, "score"), 0, 0);
  h_result_free(&r);
}

/* ---- sweep ---- */

/* AF: for every distinct positive score k of run 1, H(k) = share of units
** with score >= k, A(k) = their mean score, M0 = H * A, all from SQL. */
static void test_sweep_af(void **state) {
  (void)state;
  const char *args[] = {"sweep", "--db", DATA, "--method", BASE, "--json", NULL};
  h_result r = run_ok(args, 0);
  double n = sqlf(OUT, "SELECT count(score) FROM unit_scores WHERE run_id = 1");
  assert_double_equal(jp_num(r.out, "n"), n, 0);
  int rows = jp_len(r.out, "sweep");
  double last_k = 0;
  for (int i = 0; i < rows; i++) {
    const char *p = jp_at(r.out, "sweep[%d]", i);
    double k = jp_num(p, "k");
    assert_true(k > last_k);
    last_k = k;
    double poor = sqlf(OUT, "SELECT count(*) FROM unit_scores WHERE run_id = 1 AND score >= %.17g", k);
    double mean = sqlf(OUT, "SELECT avg(score) FROM unit_scores WHERE run_id = 1 AND score >= %.17g", k);
    assert_double_equal(jp_num(p, "H"), poor / n, EPS);
    assert_double_equal(jp_num(p, "A"), mean, EPS);
    assert_double_equal(jp_num(p, "M0"), poor / n * mean, EPS);
    assert_double_equal(jp_num(p, "poor_units"), poor, 0);
  }
  assert_double_equal(rows, sqlf(OUT, "SELECT count(DISTINCT score) FROM unit_scores"
                                      " WHERE run_id = 1 AND score > 0"), 0);
  /* The row at the methodology's own k = 1/3 is the score run's measure. */
  const char *p = jp_at(r.out, "sweep[k=0.3333333333333333]");
  assert_double_equal(jp_num(p, "H"), jp_num(SCORED[1], "H"), EPS);
  assert_double_equal(jp_num(p, "M0"), jp_num(SCORED[1], "M0"), EPS);
  h_result_free(&r);
  const char *text[] = {"sweep", "--db", DATA, "--method", BASE, NULL};
  r = run_ok(text, 0);
  char want[128];
  snprintf(want, sizeof want, "%.0f distinct scores over 3000 units",
           sqlf(OUT, "SELECT count(DISTINCT score) FROM unit_scores WHERE run_id = 1"));
  assert_has(r.out, want);
  h_result_free(&r);
  const char *missing[] = {"runs", "--out", h_path("no-such-results.db"), NULL};
  r = h_run(missing);
  assert_int_equal(r.status, 1);
  char msg[1200];
  snprintf(msg, sizeof msg, "afscore: %s: no such results database\n", h_path("no-such-results.db"));
  assert_string_equal(r.err, msg);
  h_result_free(&r);
}

/* Points: each bound of kz_order267 (bands E < D -459 < C -30 < B 730 < A
** 1800) moved to each achievable total t between its neighbours; the shares
** of the two bands it separates, from the totals of run 3. */
static void test_sweep_points(void **state) {
  (void)state;
  const char *args[] = {"sweep", "--db", DATA, "--method", POINTS, "--json", NULL};
  h_result r = run_ok(args, 0);
  const char *band[] = {"E", "D", "C", "B", "A"};
  const double from[] = {-INFINITY, -459, -30, 730, 1800};
  double n = sqlf(OUT, "SELECT count(score) FROM unit_scores WHERE run_id = 3");
  assert_double_equal(n, UNITS, 0);
  assert_int_equal(jp_len(r.out, "bounds"), 4);
  for (int b = 1; b < 5; b++) {
    const char *p = jp_at(r.out, "bounds[band=%s]", band[b]);
    assert_double_equal(jp_num(p, "from"), from[b], 0);
    double lo = from[b - 1], hi = b < 4 ? from[b + 1] : INFINITY;
    int steps = jp_len(p, "steps");
    for (int i = 0; i < steps; i++) {
      const char *s = jp_at(p, "steps[%d]", i);
      double t = jp_num(s, "from");
      char lo_sql[64], hi_sql[64];
      snprintf(lo_sql, sizeof lo_sql, isinf(lo) ? "1" : "score >= %.17g", lo);
      snprintf(hi_sql, sizeof hi_sql, isinf(hi) ? "1" : "score < %.17g", hi);
      double below = sqlf(OUT, "SELECT count(*) FROM unit_scores WHERE run_id = 3 AND %s"
                               " AND score < %.17g", lo_sql, t);
      double above = sqlf(OUT, "SELECT count(*) FROM unit_scores WHERE run_id = 3 AND %s"
                               " AND score >= %.17g", hi_sql, t);
      assert_double_equal(jp_num(s, band[b - 1]), below / n, EPS);
      assert_double_equal(jp_num(s, band[b]), above / n, EPS);
    }
    /* One step per achievable total t with lo < t <= hi. */
    char lo_sql[64], hi_sql[64];
    snprintf(lo_sql, sizeof lo_sql, isinf(lo) ? "1" : "score > %.17g", lo);
    snprintf(hi_sql, sizeof hi_sql, isinf(hi) ? "1" : "score <= %.17g", hi);
    assert_double_equal(steps, sqlf(OUT, "SELECT count(DISTINCT score) FROM unit_scores"
                                         " WHERE run_id = 3 AND %s AND %s", lo_sql, hi_sql), 0);
    assert_true(steps > 0);
  }
  h_result_free(&r);
  const char *text[] = {"sweep", "--db", DATA, "--method", POINTS, NULL};
  r = run_ok(text, 0);
  assert_has(r.out, "bound of B (now 730), between C and B:");
  h_result_free(&r);
}

/* ---- runs ---- */

static void test_runs(void **state) {
  (void)state;
  const char *args[] = {"runs", "--out", OUT, "--json", NULL};
  h_result r = run_ok(args, 0);
  const char *files[5] = {NULL, BASE, VAR, POINTS, FOUR};
  const char *versions[5] = {NULL, "2023.1", "2023.1-k40-pm70", "2023.267", "2023.1-four-bands"};
  assert_int_equal(jp_len(r.out, "$"), 4);
  for (int k = 1; k <= 4; k++) {
    const char *p = jp_at(r.out, "$[id=%d]", k);
    char sha[65];
    h_file_sha256(files[k], sha);
    assert_string_equal(jp_str(p, "sha256"), sha);
    assert_string_equal(jp_str(p, "version"), versions[k]);
    const char *t = jp_str(p, "time");
    /* ISO 8601 UTC: 2026-01-31T12:00:00Z */
    assert_int_equal(strlen(t), 20);
    assert_true(t[4] == '-' && t[10] == 'T' && t[19] == 'Z');
    assert_has(jp_str(p, "methodology"), k == 3 ? "Family social well-being, Order No. 267"
                                                : "Family social well-being (Alkire-Foster");
    assert_double_equal(jp_num(p, "units"), UNITS, 0);
    if (k == 3) {   /* points: no H or M0 */
      assert_true(jp_is_null(p, "H") && jp_is_null(p, "M0"));
    } else {
      assert_double_equal(jp_num(p, "H"), jp_num(SCORED[k], "H"), 0);
      assert_double_equal(jp_num(p, "M0"), jp_num(SCORED[k], "M0"), 0);
    }
    assert_double_equal(jp_num(SCORED[k], "run_id"), k, 0);
  }
  h_result_free(&r);
  const char *text[] = {"runs", "--out", OUT, NULL};
  r = run_ok(text, 0);
  assert_has(r.out, "  id  time");
  /* The text table keeps versions up to 18 characters whole and shows a
  ** points run's missing H and M0 as "-". */
  assert_has(r.out, " 2023.1-k40-pm70 ");
  assert_lacks(r.out, "nan");
  assert_has(r.out, " 2023.267 ");
  /* Run 1's H in percent, its M0 as a decimal, ending its row. */
  char h1[32], row[64];
  snprintf(h1, sizeof h1, "%.2f %%", 100 * jp_num(SCORED[1], "H"));
  snprintf(row, sizeof row, " %9s %8.4f\n", h1, jp_num(SCORED[1], "M0"));
  assert_has(r.out, row);
  char sha[65], want[64];
  h_file_sha256(BASE, sha);
  snprintf(want, sizeof want, "%.12s", sha);
  assert_has(r.out, want);
  h_result_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_compare_base_variant),
      cmocka_unit_test(test_compare_text),
      cmocka_unit_test(test_compare_three),
      cmocka_unit_test(test_compare_af_points),
      cmocka_unit_test(test_compare_usage_and_import_path),
      cmocka_unit_test(test_replay_reproduced),
      cmocka_unit_test(test_replay_data_changed),
      cmocka_unit_test(test_replay_engine_changed),
      cmocka_unit_test(test_replay_from_recorded_sources),
      cmocka_unit_test(test_replay_proposed),
      cmocka_unit_test(test_explain_unit),
      cmocka_unit_test(test_explain_untyped_column),
      cmocka_unit_test(test_sweep_af),
      cmocka_unit_test(test_sweep_points),
      cmocka_unit_test(test_runs),
  };
  return cmocka_run_group_tests_name("e2e_analyse", tests, setup, teardown);
}
