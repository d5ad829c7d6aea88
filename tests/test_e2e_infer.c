/*
** test_e2e_infer.c: standard errors, intervals and changes of `score --json`
** against R's survey package, and the design's bad input.
**
** ../shared/peers/syn_cdta.csv (mpitb's synthetic survey: two rounds, 120
** strata, 717 PSUs) is loaded into one pooled table and scored with the
** global MPI structure at k = 1/5, 1/3 and 1/2. Every estimate and change
** (b, se, ll, ul; nationally and by area) must equal the figures in
** tests/fixtures/inference/reference.csv to 1e-8; make_reference.R beside it
** says how R made them.
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
#include "jpath.h"
#include "util.h"

#define NIND 10
static const char *IND[NIND] = {"d_nutr", "d_cm", "d_satt", "d_educ", "d_elct",
                                "d_sani", "d_wtr", "d_hsg", "d_ckfl", "d_asst"};

/* Split a CSV line on commas (no field of these files has one), unquoting. */
static int split(char *line, char **cols, int max) {
  int n = 0;
  line[strcspn(line, "\r\n")] = '\0';
  for (char *p = line;; p++) {
    char *s = p;
    while (*p && *p != ',') p++;
    int end = *p == '\0';
    *p = '\0';
    size_t len = strlen(s);
    if (len >= 2 && s[0] == '"' && s[len - 1] == '"') s[len - 1] = '\0', s++;
    if (n < max) cols[n++] = s;
    if (end) return n;
  }
}

static const char *db(void) { return h_path("syn_pooled.db"); }

/* syn_cdta into table syn; the PSU codes are written like 4e+05 in places. */
static void load(void) {
  FILE *f = fopen(h_root("../shared/peers/syn_cdta.csv"), "r");
  assert_non_null(f);
  char line[1024];
  assert_non_null(fgets(line, sizeof line, f));
  strbuf sql = {0};
  sb_puts(&sql, "BEGIN; CREATE TABLE syn(id INTEGER PRIMARY KEY");
  for (int i = 0; i < NIND; i++) sb_printf(&sql, ", %s INTEGER", IND[i]);
  sb_puts(&sql, ", area TEXT, region TEXT, stratum INTEGER, psu INTEGER, weight REAL,"
                " year REAL, t INTEGER);");
  int id = 0;
  while (fgets(line, sizeof line, f)) {
    char *c[32];
    assert_int_equal(split(line, c, 32), 17);
    sb_printf(&sql, "INSERT INTO syn VALUES (%d", ++id);
    for (int i = 0; i < NIND; i++) sb_printf(&sql, ",%s", c[i]);
    sb_printf(&sql, ",'%s','%s',%lld,%lld,%s,%s,%s);", c[10], c[11], (long long)atof(c[12]),
              (long long)atof(c[13]), c[14], c[15], c[16]);
  }
  fclose(f);
  sb_puts(&sql, "COMMIT;");
  unlink(db());
  h_sql(db(), sql.s);
  sb_free(&sql);
}

static const char *method(const char *k, const char *design) {
  static char path[4096];
  snprintf(path, sizeof path, "%s", h_path("syn_design.lua"));
  strbuf s = {0};
  sb_printf(&s,
            "local function ind(id) return { id = id, deprived = id .. ' = 1' } end\n"
            "return {\n"
            "  name = 'syn_cdta pooled', version = '1',\n"
            "  unit = { table = 'syn', id = 'id', weight = 'weight', groups = { 'area' },\n"
            "           %s },\n"
            "  dimensions = {\n"
            "    { id = 'health', indicators = { ind('d_nutr'), ind('d_cm') } },\n"
            "    { id = 'education', indicators = { ind('d_satt'), ind('d_educ') } },\n"
            "    { id = 'living', indicators = { ind('d_elct'), ind('d_sani'), ind('d_wtr'),\n"
            "                                    ind('d_hsg'), ind('d_ckfl'), ind('d_asst') } },\n"
            "  },\n"
            "  k = %s,\n"
            "}\n",
            design, k);
  h_write(path, s.s);
  sb_free(&s);
  return path;
}

static const char *DESIGN = "strata = 'stratum', psu = 'psu', round = 't', year = 'year'";

/* One figure of the JSON output: the text from its "measure" key to the next. */
typedef struct fig {
  const char *at, *end;
} fig;

static int str_field(fig f, const char *key, char *out, size_t cap) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\": ", key);
  const char *p = strstr(f.at, pat);
  if (!p || p >= f.end) return -1;
  p += strlen(pat);
  if (strncmp(p, "null", 4) == 0) {
    snprintf(out, cap, "%s", "");
    return 0;
  }
  assert_true(*p == '"');
  size_t n = strcspn(p + 1, "\"");
  snprintf(out, cap, "%.*s", (int)n, p + 1);
  return 0;
}

/* NaN for null. */
static double num_field(fig f, const char *key) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\": ", key);
  const char *p = strstr(f.at, pat);
  assert_true(p && p < f.end);
  p += strlen(pat);
  return strncmp(p, "null", 4) == 0 ? NAN : strtod(p, NULL);
}

static int same(fig f, char **ref, int table) {
  char buf[64];
  static const char *keys[] = {"measure", "indicator", "column", "value"};
  for (int i = 0; i < 4; i++) {
    if (str_field(f, keys[i], buf, sizeof buf) < 0) snprintf(buf, sizeof buf, "%s", "");
    if (strcmp(buf, ref[1 + i]) != 0) return 0;
  }
  if (table == 0) return num_field(f, "round") == atof(ref[6]);
  assert_int_equal(str_field(f, "kind", buf, sizeof buf), 0);
  return strcmp(buf, ref[9]) == 0 && num_field(f, "from") == atof(ref[7]) &&
         num_field(f, "to") == atof(ref[8]);
}

static void expect_num(double got, const char *want, const char *what, char **ref) {
  if (*want == '\0') {
    if (!isnan(got)) fail_msg("%s %s %s: %s is %.17g, R gives none", ref[0], ref[1], ref[2], what, got);
    return;
  }
  if (!(fabs(got - atof(want)) <= 1e-8))
    fail_msg("%s %s %s %s=%s round %s %s: %s is %.17g, R gives %s", ref[0], ref[1], ref[2],
             ref[3], ref[4], ref[6], ref[9], what, got, want);
}

/* Figures of a section ("estimates" or "changes") of out. */
static fig *figures(const char *out, const char *section, int *n) {
  char key[64];
  snprintf(key, sizeof key, "\"%s\": [", section);
  const char *p = strstr(out, key);
  assert_non_null(p);
  const char *end = strstr(p, "\n  ]");
  assert_non_null(end);
  fig *v = NULL;
  int cap = 0;
  *n = 0;
  for (const char *q = strstr(p, "\"measure\""); q && q < end; q = strstr(q + 1, "\"measure\"")) {
    af_grow(&v, &cap, *n + 1, sizeof *v);
    v[*n].at = q;
    if (*n > 0) v[*n - 1].end = q;
    (*n)++;
  }
  if (*n > 0) v[*n - 1].end = end;
  return v;
}

/* Compare the figures of out at k = kout with R's at k = kref (the same poor:
** no score lies between them); a sweep has H, A and M0 only. rows[0], rows[1]:
** estimates and changes checked. */
static void check_against(const char *out, double kref, double kout, int sweep, int rows[2]) {
  int ne, nc;
  fig *est = figures(out, "estimates", &ne), *chg = figures(out, "changes", &nc);
  FILE *f = fopen(h_root("tests/fixtures/inference/reference.csv"), "r");
  assert_non_null(f);
  char line[1024];
  assert_non_null(fgets(line, sizeof line, f));
  rows[0] = rows[1] = 0;
  while (fgets(line, sizeof line, f)) {
    char *c[16];
    assert_int_equal(split(line, c, 16), 14);
    if (fabs(atof(c[5]) - kref) > 1e-12) continue;
    if (sweep && strcmp(c[1], "H") != 0 && strcmp(c[1], "A") != 0 && strcmp(c[1], "M0") != 0)
      continue;
    int table = strcmp(c[0], "change") == 0;
    fig *v = table ? chg : est;
    int n = table ? nc : ne, hit = -1;
    for (int i = 0; i < n && hit < 0; i++)
      if (fabs(num_field(v[i], "k") - kout) < 1e-12 && same(v[i], c, table)) hit = i;
    if (hit < 0) fail_msg("no %s %s %s %s=%s in the output", c[0], c[1], c[2], c[3], c[4]);
    expect_num(num_field(v[hit], "b"), c[10], "b", c);
    expect_num(num_field(v[hit], "se"), c[11], "se", c);
    expect_num(num_field(v[hit], "ll"), c[12], "ll", c);
    expect_num(num_field(v[hit], "ul"), c[13], "ul", c);
    rows[table]++;
  }
  fclose(f);
  free(est);
  free(chg);
}

static void check_k(const char *k, double kval) {
  const char *args[] = {"score", "--db", db(), "--method", method(k, DESIGN), "--json", NULL};
  h_result r = h_run(args);
  if (r.status != 0) print_error("%s\n", r.err);
  assert_int_equal(r.status, 0);
  int rows[2], ne, nc;
  check_against(r.out, kval, kval, 0, rows);
  /* 3 domains x 43 figures x 2 rounds; 4 kinds of change each. Nothing more. */
  assert_int_equal(rows[0], 258);
  assert_int_equal(rows[1], 516);
  free(figures(r.out, "estimates", &ne));
  free(figures(r.out, "changes", &nc));
  assert_int_equal(ne, rows[0]);
  assert_int_equal(nc, rows[1]);
  assert_double_equal(jp_num(r.out, "inference.df"), 597, 0);
  h_result_free(&r);
}

/* sweep: the same figures at every achievable k, and area's M0 difference
** against R's (reference_pairs.csv). The scores are eighteenths, so the poor
** at k = 1/5 are those at 4/18. */
static void test_sweep_against_r_survey(void **state) {
  (void)state;
  const char *args[] = {"sweep", "--db", db(), "--method", method("1/3", DESIGN), "--json", NULL};
  h_result r = h_run(args);
  if (r.status != 0) print_error("%s\n", r.err);
  assert_int_equal(r.status, 0);
  double kref[3] = {0.2, 1.0 / 3, 0.5}, kout[3] = {4.0 / 18, 6.0 / 18, 9.0 / 18};
  for (int i = 0; i < 3; i++) {
    int rows[2];
    check_against(r.out, kref[i], kout[i], 1, rows);
    assert_int_equal(rows[0], 3 * 3 * 2);
    assert_int_equal(rows[1], 3 * 3 * 4);
  }
  int np;
  fig *pairs = figures(r.out, "rankings", &np);
  FILE *f = fopen(h_root("tests/fixtures/inference/reference_pairs.csv"), "r");
  assert_non_null(f);
  char line[256];
  assert_non_null(fgets(line, sizeof line, f));
  int checked = 0;
  while (fgets(line, sizeof line, f)) {
    char *c[8];
    assert_int_equal(split(line, c, 8), 7);
    int i = atof(c[0]) < 0.3 ? 0 : atof(c[0]) < 0.4 ? 1 : 2;
    for (int p = 0; p < np; p++) {
      char col[16];
      assert_int_equal(str_field(pairs[p], "column", col, sizeof col), 0);
      if (strcmp(col, c[2]) != 0 || fabs(num_field(pairs[p], "k") - kout[i]) > 1e-12 ||
          num_field(pairs[p], "round") != atof(c[1]))
        continue;
      double diff = num_field(pairs[p], "diff"), se = num_field(pairs[p], "se");
      assert_double_equal(diff, atof(c[5]), 1e-8);
      assert_double_equal(se, atof(c[6]), 1e-8);
      /* Significant at 95% when |diff| > qnorm(0.975) se: none here. */
      const char *sig = strstr(pairs[p].at, "\"significant\": false");
      assert_true(sig && sig < pairs[p].end);
      assert_true(fabs(diff) < 1.9599639845400536 * se);
      checked++;
    }
  }
  fclose(f);
  assert_int_equal(checked, 6);
  free(pairs);
  h_result_free(&r);
}

static void test_syn_cdta_against_r_survey(void **state) {
  (void)state;
  load();
  check_k("1/5", 0.2);
  check_k("1/3", 1.0 / 3);
  check_k("1/2", 0.5);
}

/* --level 0.9: the same se, the interval with t(0.95, 597) from R. */
static void test_level(void **state) {
  (void)state;
  const char *args[] = {"score", "--db", db(), "--method", method("1/3", DESIGN), "--json",
                        "--level", "0.9", NULL};
  h_result r = h_run(args);
  assert_int_equal(r.status, 0);
  assert_string_equal(jp_str(r.out, "estimates[0].measure"), "H");
  assert_double_equal(jp_num(r.out, "estimates[0].round"), 1, 0);
  double b = jp_num(r.out, "estimates[0].b"), se = jp_num(r.out, "estimates[0].se");
  double t = 1.6474099934626181;
  assert_double_equal(b, 0.33521657250470809, 1e-12);      /* reference.csv, H, round 1 */
  assert_double_equal(se, 0.0055418086257524624, 1e-12);
  double l = log(b / (1 - b)), h = t * se / (b * (1 - b));
  assert_double_equal(jp_num(r.out, "estimates[0].ll"), 1 / (1 + exp(-(l - h))), 1e-12);
  assert_double_equal(jp_num(r.out, "inference.level"), 0.9, 0);
  h_result_free(&r);
  const char *bad[] = {"score", "--db", db(), "--method", method("1/3", DESIGN), "--level", "95",
                       NULL};
  r = h_run(bad);
  assert_int_equal(r.status, 2);
  assert_true(h_has(r.err, "--level needs a confidence level between 0 and 1"));
  h_result_free(&r);
}

/* A run scored at --level 0.9 replays at 0.9: its summary is reproduced. */
static void test_replay_keeps_level(void **state) {
  (void)state;
  const char *out = h_path("infer_results.db");
  unlink(out);
  const char *args[] = {"score", "--db", db(), "--method", method("1/3", DESIGN), "--out", out,
                        "--level", "0.9", NULL};
  h_result r = h_run(args);
  assert_int_equal(r.status, 0);
  h_result_free(&r);
  const char *rep[] = {"replay", "1", "--out", out, "--db", db(), NULL};
  r = h_run(rep);
  if (r.status != 0) print_error("%s\n%s\n", r.out, r.err);
  assert_int_equal(r.status, 0);
  assert_true(h_has(r.out, "reproduced"));
  h_result_free(&r);
}

/* Only score, sweep and replay estimate: explain reads one unit (one PSU,
** no variance) and compare shows none, so a design changes nothing there. */
static void test_explain_and_compare_ignore_design(void **state) {
  (void)state;
  const char *m = method("1/3", DESIGN);
  const char *ex[] = {"explain", "--method", m, "--db", db(), "17", NULL};
  h_result r = h_run(ex);
  if (r.status != 0) print_error("%s\n", r.err);
  assert_int_equal(r.status, 0);
  h_result_free(&r);
  const char *cmp[] = {"compare", "--db", db(), "--method", m, "--method", m, "--json", NULL};
  r = h_run(cmp);
  assert_int_equal(r.status, 0);
  assert_false(h_has(r.out, "\"estimates\""));
  h_result_free(&r);
}

/* The line score prints for a row of reference.csv, rounded as displayed:
** shares (H, A, hd, hdk, pctb) in percent with 2 decimals, M0 and actb with
** 4; absolute changes of shares in percentage points, relative changes in
** percent; "-" where R gives no interval. sweep_k: the line of sweep's
** table at that k (written as a fraction). */
static void expected_line(char **c, const char *sweep_k, char *out, size_t cap) {
  static const char *const names[][2] = {{"H", "H"}, {"A", "A"}, {"M0", "M0"},
      {"hd", "uncensored (hd)"}, {"hdk", "censored (hdk)"}, {"actb", "contribution (actb)"},
      {"pctb", "contribution (pctb)"}};
  const char *figure = NULL;
  for (int i = 0; i < 7; i++)
    if (strcmp(c[1], names[i][0]) == 0) figure = names[i][1];
  assert_non_null(figure);
  int change = strcmp(c[0], "change") == 0;
  int share = strcmp(c[1], "M0") != 0 && strcmp(c[1], "actb") != 0;
  double scale = 100;
  int dec = 2;
  const char *unit = change ? " pp" : " %";
  if (change && strncmp(c[9], "relative", 8) == 0) scale = 1, unit = " %";
  else if (!share) scale = 1, dec = 4, unit = "";
  char label[64], value[48], se[32], iv[64];
  if (*c[3]) snprintf(label, sizeof label, "%s%s%s=%s", c[2], *c[2] ? " " : "", c[3], c[4]);
  else snprintf(label, sizeof label, "%s", c[2]);
  snprintf(value, sizeof value, "%.*f%s", dec, scale * atof(c[10]), unit);
  snprintf(se, sizeof se, "%.*f", dec, scale * atof(c[11]));
  if (*c[12]) snprintf(iv, sizeof iv, "%.*f to %.*f", dec, scale * atof(c[12]), dec,
                       scale * atof(c[13]));
  else snprintf(iv, sizeof iv, "-");
  if (change)
    snprintf(out, cap, "\n%-6s %-28s %s-%-7s %-16s %12s %9s   %s\n", c[1], label, c[7], c[8],
             c[9], value, se, iv);
  else if (sweep_k)   /* sweep: k, measure, group, round first */
    snprintf(out, cap, "\n%-8s %-6s %-28s %6s %12s %9s   %s\n", sweep_k, c[1], label, c[6], value,
             se, iv);
  else
    snprintf(out, cap, "\n%-28s %-20s %12s %9s   %s\n", label, figure, value, se, iv);
}

/* Human output: every figure at k = 1/3 beside its standard error and
** interval, in its round's section, and every change, each line exactly as
** R's figures (reference.csv) round. */
static void test_text_tables(void **state) {
  (void)state;
  const char *args[] = {"score", "--db", db(), "--method", method("1/3", DESIGN), NULL};
  h_result r = h_run(args);
  assert_int_equal(r.status, 0);
  assert_true(h_has(r.out, "\nestimates with standard errors: 717 PSUs in 120 strata, df 597; "
                           "intervals at 95% (logit, t); shares in percent\n"));
  /* The sections: round 1, round 2, the changes. */
  const char *sec[4];
  sec[0] = strstr(r.out, "\nround 1, year 2010\n");
  sec[1] = strstr(r.out, "\nround 2, year 2018.5\n");
  sec[2] = strstr(r.out, "\nchanges between rounds (delta method; intervals at 95%, normal; "
                         "absolute changes of shares in percentage points)\n");
  sec[3] = r.out + strlen(r.out);
  assert_true(sec[0] && sec[1] && sec[2] && sec[0] < sec[1] && sec[1] < sec[2]);
  /* The pooled figures of both rounds are not shown beside them. */
  assert_false(h_has(r.out, "H = "));
  FILE *f = fopen(h_root("tests/fixtures/inference/reference.csv"), "r");
  assert_non_null(f);
  char line[1024], want[512];
  assert_non_null(fgets(line, sizeof line, f));
  int seen[3] = {0, 0, 0};
  while (fgets(line, sizeof line, f)) {
    char *c[16];
    assert_int_equal(split(line, c, 16), 14);
    if (fabs(atof(c[5]) - 1.0 / 3) > 1e-12) continue;
    int s = strcmp(c[0], "change") == 0 ? 2 : atoi(c[6]) - 1;
    expected_line(c, NULL, want, sizeof want);
    const char *at = strstr(sec[s], want);
    if (!at || at >= sec[s + 1]) fail_msg("not in section %d:%s", s, want);
    seen[s]++;
  }
  fclose(f);
  assert_int_equal(seen[0], 129);
  assert_int_equal(seen[1], 129);
  assert_int_equal(seen[2], 516);
  /* Spelled out: H in round 1, 33.52 % (se 0.55), 32.44 to 34.62. */
  assert_true(h_has(sec[0], "\n                             H                         33.52 %      0.55"
                            "   32.44 to 34.62\n"));
  h_result_free(&r);
}

/* sweep's text: H, A and M0 at k = 6/18 (R's k = 1/3) beside their
** standard errors and intervals, nationally and by area, each round. */
static void test_sweep_text(void **state) {
  (void)state;
  const char *args[] = {"sweep", "--db", db(), "--method", method("1/3", DESIGN), NULL};
  h_result r = h_run(args);
  assert_int_equal(r.status, 0);
  FILE *f = fopen(h_root("tests/fixtures/inference/reference.csv"), "r");
  assert_non_null(f);
  char line[1024], want[512];
  assert_non_null(fgets(line, sizeof line, f));
  int seen = 0;
  while (fgets(line, sizeof line, f)) {
    char *c[16];
    assert_int_equal(split(line, c, 16), 14);
    if (fabs(atof(c[5]) - 1.0 / 3) > 1e-12 || strcmp(c[0], "estimate") != 0 ||
        (strcmp(c[1], "H") != 0 && strcmp(c[1], "A") != 0 && strcmp(c[1], "M0") != 0))
      continue;
    expected_line(c, "1/3", want, sizeof want);
    if (!h_has(r.out, want)) fail_msg("not in the sweep:%s", want);
    seen++;
  }
  fclose(f);
  assert_int_equal(seen, 3 * 3 * 2);
  h_result_free(&r);
}

static void expect_error(const char *design, const char *sql, const char *msg) {
  if (sql) h_sql(db(), sql);
  const char *args[] = {"score", "--db", db(), "--method", method("1/3", design), "--json", NULL};
  h_result r = h_run(args);
  assert_int_equal(r.status, 1);
  if (!h_has(r.err, msg)) fail_msg("expected '%s' in: %s", msg, r.err);
  assert_true(r.out == NULL || *r.out == '\0');
  h_result_free(&r);
}

static void test_bad_design(void **state) {
  (void)state;
  /* One PSU left in stratum 101: fails, naming it (the documented policy). */
  expect_error(DESIGN, "UPDATE syn SET psu = 101000 WHERE stratum = 101",
               "stratum '101' has a single PSU");
  /* Nulls are named: the first 10 units in data order and how many there are. */
  expect_error("strata = 'stratum', psu = 'psu'", "UPDATE syn SET psu = NULL WHERE id = 17",
               "psu (column psu) is null for 1 unit: '17'; every unit of a survey design "
               "needs one");
  expect_error("strata = 'stratum', psu = 'psu'",
               "UPDATE syn SET psu = NULL WHERE id % 1000 = 17; "
               "UPDATE syn SET stratum = NULL WHERE id IN (5, 6)",
               "stratum (column stratum) is null for 2 units: '5', '6'; psu (column psu) is "
               "null for 15 units: '17', '1017', '2017', '3017', '4017', '5017', '6017', "
               "'7017', '8017', '9017' and 5 more; every unit of a survey design needs one");
  load();
  expect_error("psu = 'psu'", "UPDATE syn SET weight = 0 WHERE id = 5",
               "unit '5': sampling weight 0; a survey design needs weights > 0");
  load();
  expect_error(DESIGN, "UPDATE syn SET year = 2011 WHERE id = 9",
               "unit '9': year 2011 differs from 2010");
  expect_error("round = 't', year = 'yeer'", NULL, "year: unknown column 'yeer' in table syn");
  expect_error("year = 'year'", NULL, "unit: year needs round");
  load();
}

/* Strata and PSUs belong to a sample of units, not to a population of members. */
static void test_design_on_members(void **state) {
  (void)state;
  const char *path = h_path("members_design.lua");
  h_write(path, "return { name = 'm', version = '1',\n"
                "  unit = { table = 'f', id = 'id', strata = 's', psu = 'p' },\n"
                "  members = { table = 'p', unit = 'fid' },\n"
                "  population = 'members',\n"
                "  dimensions = { { id = 'd', indicators = { { id = 'i', deprived = 'x = 1' } } } },\n"
                "  k = 1/3 }\n");
  const char *args[] = {"check", path, NULL};
  h_result r = h_run(args);
  assert_int_equal(r.status, 1);
  assert_true(h_has(r.err, "members_design.lua:4: unit: strata and psu describe a sample of units"));
  h_result_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_syn_cdta_against_r_survey),
      cmocka_unit_test(test_sweep_against_r_survey),
      cmocka_unit_test(test_level),
      cmocka_unit_test(test_explain_and_compare_ignore_design),
      cmocka_unit_test(test_replay_keeps_level),
      cmocka_unit_test(test_text_tables),
      cmocka_unit_test(test_sweep_text),
      cmocka_unit_test(test_bad_design),
      cmocka_unit_test(test_design_on_members),
  };
  return cmocka_run_group_tests_name("e2e_infer", tests, NULL, NULL);
}
