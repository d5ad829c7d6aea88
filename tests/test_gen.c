/*
** test_gen.c: the sample-population generator (gen.h).
**
** Generates a few small databases once (in AFSCORE_TMP, default /tmp) and
** checks their shape, reproducibility, layouts, shares and NULLs, that every
** column the shipped methodologies read exists, and, with SQL written
** independently of afscore, that the points order puts few families in D/E.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>

#include "gen.h"
#include "util.h"

#define NFAM 5000

static char *tmpdir;
static char *path_a, *path_b, *path_c, *path_s, *path_n, *path_r, *path_r2;

static char *tmp_path(const char *name) { return af_sprintf("%s/%s", tmpdir, name); }

static int make(const char *path, int64_t n, uint64_t seed, gen_layout layout, int no_index) {
  gen_opts o = {n, seed, layout, no_index};
  af_err e = {{0}};
  int rc = gen_population(path, &o, &e);
  if (rc) fprintf(stderr, "gen_population: %s\n", e.msg);
  return rc;
}

static int setup(void **state) {
  const char *t = getenv("AFSCORE_TMP");
  tmpdir = af_strdup(t && *t ? t : "/tmp");
  if (mkdir(tmpdir, 0777) != 0 && errno != EEXIST) return -1;
  char pid[32];
  snprintf(pid, sizeof pid, "%ld", (long)getpid());
  path_a = af_sprintf("%s/gen_a_%s.db", tmpdir, pid);
  path_b = af_sprintf("%s/gen_b_%s.db", tmpdir, pid);
  path_c = af_sprintf("%s/gen_c_%s.db", tmpdir, pid);
  path_s = af_sprintf("%s/gen_s_%s.db", tmpdir, pid);
  path_n = af_sprintf("%s/gen_n_%s.db", tmpdir, pid);
  path_r = af_sprintf("%s/gen_r_%s.db", tmpdir, pid);
  path_r2 = af_sprintf("%s/gen_r2_%s.db", tmpdir, pid);
  if (make(path_a, NFAM, 7, GEN_KEY, 0) || make(path_b, NFAM, 7, GEN_KEY, 0) ||
      make(path_c, NFAM, 8, GEN_KEY, 0) || make(path_s, NFAM, 7, GEN_SHUFFLED, 0) ||
      make(path_n, 300, 7, GEN_KEY, 1) || make(path_r, NFAM, 7, GEN_REGISTRY, 0) ||
      make(path_r2, NFAM, 7, GEN_REGISTRY, 0))
    return -1;
  return 0;
}

static int teardown(void **state) {
  char *paths[] = {path_a, path_b, path_c, path_s, path_n, path_r, path_r2};
  for (int i = 0; i < 7; i++) {
    unlink(paths[i]);
    free(paths[i]);
  }
  free(tmpdir);
  return 0;
}

static sqlite3 *open_db(const char *path) {
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  return db;
}

/* The single value of a one-row query, as a double. */
static double q1(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
    fail_msg("%s: %s", sql, sqlite3_errmsg(db));
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  double v = sqlite3_column_double(st, 0);
  sqlite3_finalize(st);
  return v;
}

/* Every row of a query, each value with its type, into b. */
static void dump_query(sqlite3 *db, const char *sql, strbuf *b) {
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW) {
    for (int i = 0; i < sqlite3_column_count(st); i++) {
      int type = sqlite3_column_type(st, i);
      const unsigned char *t = sqlite3_column_text(st, i);
      sb_printf(b, "%d:%s|", type, t ? (const char *)t : "");
    }
    sb_putc(b, '\n');
  }
  sqlite3_finalize(st);
}

/* sha256 of both tables in key order: independent of the storage order. */
static void canonical_sha(const char *path, char out[65]) {
  sqlite3 *db = open_db(path);
  strbuf b = {0};
  dump_query(db, "SELECT * FROM families ORDER BY family_id", &b);
  dump_query(db, "SELECT * FROM persons ORDER BY person_id", &b);
  af_sha256_hex(b.s, b.len, out);
  sb_free(&b);
  sqlite3_close(db);
}

static void test_row_counts(void **state) {
  sqlite3 *db = open_db(path_a);
  assert_int_equal((int)q1(db, "SELECT count(*) FROM families"), NFAM);
  assert_int_equal((int)q1(db, "SELECT count(DISTINCT family_id) FROM families"), NFAM);
  int np = (int)q1(db, "SELECT count(*) FROM persons");
  /* family sizes average about 3.2 */
  assert_in_range(np, 3 * NFAM, (int)(3.4 * NFAM));
  /* person_id is 1..N without gaps, every person belongs to a family */
  assert_int_equal((int)q1(db, "SELECT count(DISTINCT person_id) FROM persons"), np);
  assert_int_equal((int)q1(db, "SELECT min(person_id) FROM persons"), 1);
  assert_int_equal((int)q1(db, "SELECT max(person_id) FROM persons"), np);
  assert_int_equal((int)q1(db, "SELECT count(*) FROM persons WHERE family_id NOT IN "
                               "(SELECT family_id FROM families)"), 0);
  assert_int_equal((int)q1(db, "SELECT max(n) FROM (SELECT count(*) AS n FROM persons "
                               "GROUP BY family_id)") <= 12, 1);
  /* hashed codes: 16 lowercase hex digits, stored in key order */
  assert_int_equal((int)q1(db, "SELECT count(*) FROM families WHERE length(family_id) != 16 "
                               "OR family_id GLOB '*[^0-9a-f]*'"), 0);
  assert_int_equal((int)q1(db, "SELECT count(*) FROM (SELECT family_id, lag(family_id) "
                               "OVER (ORDER BY rowid) AS prev FROM families) "
                               "WHERE prev >= family_id"), 0);
  sqlite3_close(db);
}

static void test_reproducible(void **state) {
  char a[65], b[65], c[65];
  canonical_sha(path_a, a);
  canonical_sha(path_b, b);
  canonical_sha(path_c, c);
  assert_string_equal(a, b);
  assert_string_not_equal(a, c);
}

/* Members in family order: persons of a family are adjacent, in person_id order. */
static double adjacent_same_family(sqlite3 *db) {
  return q1(db, "SELECT avg(f = prev) FROM (SELECT family_id AS f, lag(family_id) "
                "OVER (ORDER BY rowid) AS prev FROM persons) WHERE prev IS NOT NULL");
}

static void test_shuffled(void **state) {
  char a[65], s[65];
  canonical_sha(path_a, a);
  canonical_sha(path_s, s);
  assert_string_equal(a, s);
  sqlite3 *da = open_db(path_a), *ds = open_db(path_s);
  /* unshuffled: rowid order is person_id order and follows the families */
  assert_int_equal((int)q1(da, "SELECT count(*) FROM persons WHERE rowid != person_id"), 0);
  assert_int_equal((int)q1(da, "SELECT count(*) FROM (SELECT p.family_id, f.rowid AS fr, "
                               "lag(f.rowid) OVER (ORDER BY p.rowid) AS prev FROM persons p "
                               "JOIN families f USING (family_id)) WHERE prev > fr"), 0);
  assert_true(adjacent_same_family(da) > 0.6);
  /* shuffled: neighbours almost never share a family */
  assert_true(adjacent_same_family(ds) < 0.01);
  assert_true(q1(ds, "SELECT count(*) FROM persons WHERE rowid != person_id") > 0.9 * 3 * NFAM);
  sqlite3_close(da);
  sqlite3_close(ds);
}

/* The bytes of a whole file, as a SHA-256. */
static void file_sha(const char *path, char out[65]) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  strbuf b = {0};
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) sb_putn(&b, buf, n);
  fclose(f);
  af_sha256_hex(b.s, b.len, out);
  sb_free(&b);
}

/* Registry layout: the same rows as the key layout; families in family
** number order (1, 2, ...: registration), which is not key order; persons
** grouped by family in the families' stored order; the same file for the
** same seed. */
static void test_registry(void **state) {
  char a[65], r[65], r2[65];
  canonical_sha(path_a, a);
  canonical_sha(path_r, r);
  assert_string_equal(a, r);
  file_sha(path_r, r);
  file_sha(path_r2, r2);
  assert_string_equal(r, r2);
  sqlite3 *db = open_db(path_r);
  /* hashed codes in registration order: about half the neighbours descend */
  double down = q1(db, "SELECT avg(prev > family_id) FROM (SELECT family_id, lag(family_id) "
                       "OVER (ORDER BY rowid) AS prev FROM families) WHERE prev IS NOT NULL");
  assert_true(down > 0.4 && down < 0.6);
  /* persons never go back to an earlier family, and a family's persons are adjacent */
  assert_int_equal((int)q1(db, "SELECT count(*) FROM (SELECT f.rowid AS fr, lag(f.rowid) "
                               "OVER (ORDER BY p.rowid) AS prev FROM persons p "
                               "JOIN families f USING (family_id)) WHERE prev > fr"), 0);
  assert_true(adjacent_same_family(db) > 0.6);
  /* a family's persons keep their key-layout ids, in member order */
  assert_int_equal((int)q1(db, "SELECT count(*) FROM (SELECT person_id, lag(person_id) OVER "
                               "(PARTITION BY family_id ORDER BY rowid) AS prev FROM persons) "
                               "WHERE prev + 1 != person_id"), 0);
  sqlite3_close(db);
}

static void test_layout_names(void **state) {
  gen_layout l = GEN_KEY;
  assert_int_equal(gen_layout_parse("registry", &l), 0);
  assert_int_equal(l, GEN_REGISTRY);
  assert_int_equal(gen_layout_parse("shuffled", &l), 0);
  assert_int_equal(l, GEN_SHUFFLED);
  assert_int_equal(gen_layout_parse("key", &l), 0);
  assert_int_equal(l, GEN_KEY);
  assert_int_equal(gen_layout_parse("sorted", &l), -1);
}

static void test_shares(void **state) {
  sqlite3 *db = open_db(path_a);
  assert_int_equal((int)q1(db, "SELECT count(DISTINCT region) FROM families"), 20);
  /* expected family shares (people shares of the reference), +-2.5 points */
  struct { const char *region; double share; } exp[] = {
    {"Almaty", 2350.0 / 20496}, {"Turkestan", 2150.0 / 20496}, {"Astana", 1640.0 / 20496},
    {"Ulytau", 220.0 / 20496},  {"Karaganda", 1130.0 / 20496}};
  for (size_t i = 0; i < sizeof exp / sizeof exp[0]; i++) {
    char *sql = af_sprintf("SELECT avg(region = '%s') FROM families", exp[i].region);
    double got = q1(db, sql);
    free(sql);
    if (got < exp[i].share - 0.025 || got > exp[i].share + 0.025)
      fail_msg("%s: share %.4f, expected %.4f", exp[i].region, got, exp[i].share);
  }
  double urban = q1(db, "SELECT avg(urban) FROM families");
  assert_true(urban > 0.606 && urban < 0.666);
  assert_int_equal((int)q1(db, "SELECT count(*) FROM families WHERE urban = 0 AND "
                               "region IN ('Astana', 'Almaty', 'Shymkent')"), 0);
  double size = q1(db, "SELECT 1.0 * (SELECT count(*) FROM persons) / "
                       "(SELECT count(DISTINCT family_id) FROM persons)");
  assert_true(size > 3.0 && size < 3.4);
  /* about 0.3% of families have no member rows (15 of 5000 expected) */
  int empty = (int)q1(db, "SELECT count(*) FROM families WHERE family_id NOT IN "
                          "(SELECT family_id FROM persons)");
  assert_in_range(empty, 3, 35);
  /* sampling weights: mostly exactly 1, all within [0.5, 2] */
  double ones = q1(db, "SELECT avg(sample_weight = 1.0) FROM families");
  assert_true(ones > 0.8 && ones < 0.92);
  assert_int_equal((int)q1(db, "SELECT count(*) FROM families WHERE sample_weight < 0.5 "
                               "OR sample_weight > 2"), 0);
  sqlite3_close(db);
}

/* NULL shares about 0.5% where the generator leaves gaps; none elsewhere. */
static void test_nulls(void **state) {
  sqlite3 *db = open_db(path_a);
  const char *gappy[] = {"families.living_area", "families.cars", "persons.income",
                         "persons.clinic_attached", "persons.undernourished"};
  for (size_t i = 0; i < sizeof gappy / sizeof gappy[0]; i++) {
    char *tab = af_strdup(gappy[i]);
    char *col = strchr(tab, '.');
    *col++ = '\0';
    char *sql = af_sprintf("SELECT avg(%s IS NULL) FROM %s", col, tab);
    double got = q1(db, sql);
    if (got < 0.002 || got > 0.01) fail_msg("%s: null share %.4f", gappy[i], got);
    free(sql);
    free(tab);
  }
  /* adults only: children's schooling is always known */
  double sy = q1(db, "SELECT avg(schooling_years IS NULL) FROM persons WHERE age >= 18");
  assert_true(sy > 0.002 && sy < 0.01);
  assert_int_equal((int)q1(db, "SELECT count(*) FROM persons WHERE schooling_years IS NULL "
                               "AND age < 18"), 0);
  assert_int_equal((int)q1(db, "SELECT count(*) FROM persons WHERE age IS NULL OR "
                               "employed IS NULL OR edu_level IS NULL"), 0);
  sqlite3_close(db);
}

static int has_column(sqlite3 *db, const char *table, const char *col) {
  char *sql = af_sprintf("SELECT count(*) FROM pragma_table_info('%s') WHERE name = '%s'",
                         table, col);
  int n = (int)q1(db, sql);
  free(sql);
  return n;
}

/* Every column the three shipped methodologies name. */
static void test_columns(void **state) {
  static const char *const fam[] = {
    "family_id", "region", "urban", "settlement", "sample_weight", "dwellings", "living_area",
    "commercial_property", "farm_value", "land_plot", "cars", "commercial_vehicle",
    "agri_machinery", "cooking_fuel", "toilet_improved", "toilet_shared", "water_improved",
    "water_minutes", "electricity", "floor_material", "roof_material", "wall_material",
    "has_radio", "has_tv", "has_phone", "has_computer", "has_fridge", "has_bicycle",
    "has_motorbike", "has_cart", "child_deaths_5y"};
  static const char *const per[] = {
    "person_id", "family_id", "age", "sex", "income", "employed", "able_bodied",
    "sole_trader", "founder", "student", "has_loan", "overdue_days", "overdue_amount",
    "disability_group", "disabled_child", "clinic_attached", "health_insured",
    "chronic_disease", "dispensary", "kindergarten", "school", "schooling_years",
    "edu_level", "undernourished"};
  sqlite3 *db = open_db(path_a);
  for (size_t i = 0; i < sizeof fam / sizeof fam[0]; i++)
    if (!has_column(db, "families", fam[i])) fail_msg("families.%s missing", fam[i]);
  for (size_t i = 0; i < sizeof per / sizeof per[0]; i++)
    if (!has_column(db, "persons", per[i])) fail_msg("persons.%s missing", per[i]);
  assert_int_equal((int)q1(db, "SELECT count(*) FROM pragma_table_info('families')"),
                   (int)(sizeof fam / sizeof fam[0]));
  assert_int_equal((int)q1(db, "SELECT count(*) FROM pragma_table_info('persons')"),
                   (int)(sizeof per / sizeof per[0]));
  /* the text codes the rules compare with */
  assert_int_equal((int)q1(db, "SELECT count(*) FROM families WHERE settlement NOT IN "
                               "('republic_city', 'oblast_city', 'district_town', "
                               "'district_centre', 'village', 'not_registered')"), 0);
  assert_int_equal((int)q1(db, "SELECT count(*) FROM persons WHERE edu_level NOT IN "
                               "('none', 'primary', 'basic', 'secondary', 'vocational', "
                               "'higher')"), 0);
  sqlite3_close(db);
}

static void test_index(void **state) {
  sqlite3 *a = open_db(path_a), *n = open_db(path_n);
  const char *sql = "SELECT count(*) FROM sqlite_master WHERE type = 'index' "
                    "AND tbl_name = 'persons'";
  assert_int_equal((int)q1(a, sql), 1);
  assert_int_equal((int)q1(n, sql), 0);
  assert_int_equal((int)q1(n, "SELECT count(*) FROM families"), 300);
  sqlite3_close(a);
  sqlite3_close(n);
}

static void test_errors(void **state) {
  gen_opts o = {-1, 1, GEN_KEY, 0};
  af_err e = {{0}};
  char *p = tmp_path("gen_never.db");
  assert_int_equal(gen_population(p, &o, &e), -1);
  assert_non_null(strstr(e.msg, "--families"));
  assert_int_equal(access(p, F_OK), -1);
  o.families = 10;
  char *bad = af_sprintf("%s/no/such/dir/x.db", tmpdir);
  assert_int_equal(gen_population(bad, &o, &e), -1);
  assert_non_null(strstr(e.msg, "x.db"));
  free(bad);
  /* zero families: a valid, empty database; replaces what was there */
  o.families = 0;
  assert_int_equal(make(p, 20, 1, GEN_KEY, 0), 0);
  assert_int_equal(gen_population(p, &o, &e), 0);
  sqlite3 *db = open_db(p);
  assert_int_equal((int)q1(db, "SELECT count(*) FROM families"), 0);
  assert_int_equal((int)q1(db, "SELECT count(*) FROM persons"), 0);
  sqlite3_close(db);
  unlink(p);
  free(p);
}

/* Order No. 267 by hand in SQL (a crude copy of methodology/kz_order267_2023.lua):
** the share of families in D or E (score < -30) must be small, most in B/C. */
static const char ORDER_SQL[] =
    "WITH m AS (SELECT family_id, count(*) AS n, sum(income) AS inc, sum(age >= 18) AS adults,"
    " sum(age >= 18 AND overdue_days > 90 AND overdue_amount > 1000) AS od,"
    " max(has_loan) AS loan, max(able_bodied) AS able, sum(employed) AS emp,"
    " max(sole_trader) AS st, max(founder) AS fo,"
    " sum(age < 18 OR (student = 1 AND age < 23)) AS kids,"
    " max(age >= 18 AND disability_group IN (1, 2)) AS d12,"
    " max(age >= 18 AND disability_group = 3) AS d3, max(disabled_child) AS dch,"
    " max(clinic_attached = 0) AS noclinic, max(health_insured) AS ins,"
    " max(chronic_disease) AS chr, max(dispensary) AS disp,"
    " max(age BETWEEN 3 AND 6 AND kindergarten = 0) AS nokg,"
    " max(age BETWEEN 6 AND 17 AND school = 0) AS nosch FROM persons GROUP BY family_id),"
    " s AS (SELECT"
    " (CASE WHEN m.n IS NULL OR coalesce(m.inc, 0) <= 0 THEN 0"
    "  WHEN m.inc * 1.0 / m.n / 50851 < 0.25 THEN 40 WHEN m.inc * 1.0 / m.n / 50851 < 1 THEN 100"
    "  WHEN m.inc * 1.0 / m.n / 50851 < 2 THEN 170 WHEN m.inc * 1.0 / m.n / 50851 < 3 THEN 280"
    "  WHEN m.inc * 1.0 / m.n / 50851 < 4 THEN 400 ELSE 620 END)"
    " + (CASE WHEN m.loan = 1 THEN 50 ELSE 0 END)"
    " + (CASE WHEN m.od > 0 AND m.od = m.adults THEN -500 WHEN m.od > 0 THEN -250 ELSE 0 END)"
    " + (CASE WHEN f.cars = 0 THEN -50 WHEN f.cars = 2 THEN 50 WHEN f.cars >= 3 THEN 100 ELSE 0 END)"
    " + 80 * f.commercial_vehicle"
    " + (CASE WHEN f.agri_machinery >= 2 THEN 200 WHEN f.agri_machinery = 1 THEN 100 ELSE 0 END)"
    " + (CASE WHEN m.able = 0 THEN -100 ELSE 0 END)"
    " + (CASE WHEN m.emp >= 2 THEN 300 WHEN m.emp = 1 THEN 150 ELSE 0 END)"
    " + (CASE WHEN m.st = 1 AND m.fo = 1 THEN 150 WHEN m.fo = 1 THEN 100"
    "    WHEN m.st = 1 THEN 50 ELSE 0 END)"
    " + 50 * min(coalesce(m.kids, 0), 4)"
    " + (CASE WHEN m.d12 = 1 THEN -250 WHEN m.d3 = 1 THEN -100 ELSE 0 END)"
    " - 150 * coalesce(m.dch, 0) - 20 * coalesce(m.noclinic, 0)"
    " + (CASE WHEN m.ins = 0 THEN -20 ELSE 0 END)"
    " - 80 * coalesce(m.chr, 0) - 50 * coalesce(m.disp, 0)"
    " - 50 * coalesce(m.nokg, 0) - 100 * coalesce(m.nosch, 0)"
    " + (CASE WHEN f.dwellings = 0 THEN -200 WHEN f.dwellings > 11 THEN 2000"
    "    WHEN f.dwellings > 6 THEN 1000 WHEN f.dwellings > 3 THEN 400"
    "    WHEN f.dwellings >= 2 THEN 100 WHEN f.living_area IS NULL OR m.n IS NULL THEN 0"
    "    WHEN f.living_area / m.n < 18 THEN -80 ELSE 50 END)"
    " + 80 * f.commercial_property"
    " + (CASE f.settlement WHEN 'republic_city' THEN 70 WHEN 'oblast_city' THEN 0"
    "    WHEN 'district_town' THEN -30 WHEN 'district_centre' THEN -50"
    "    WHEN 'village' THEN -70 ELSE -100 END)"
    " + (CASE WHEN f.farm_value > 2000000 THEN 600 WHEN f.farm_value >= 1000000 THEN 350"
    "    WHEN f.farm_value >= 500000 THEN 150 WHEN f.farm_value > 0 THEN 50 ELSE 0 END)"
    " + 150 * f.land_plot AS pts"
    " FROM families f LEFT JOIN m ON m.family_id = f.family_id)";

static double order_share(sqlite3 *db, const char *cond) {
  char *sql = af_sprintf("%s SELECT avg(%s) FROM s", ORDER_SQL, cond);
  double v = q1(db, sql);
  free(sql);
  return v;
}

static void test_order_categories(void **state) {
  sqlite3 *db = open_db(path_a);
  double de = order_share(db, "pts < -30");
  double bc = order_share(db, "pts >= -30 AND pts < 1800");
  if (!(de > 0.001 && de < 0.02)) fail_msg("D/E share %.4f", de);
  if (!(bc > 0.95)) fail_msg("B/C share %.4f", bc);
  double b = order_share(db, "pts >= 730 AND pts < 1800");
  assert_true(b > 0.3 && b < 0.7);
  sqlite3_close(db);
}

/* The bench query runs on the sample and its H, A, M0 are consistent. */
static void test_bench_sql(void **state) {
  const char *root = getenv("AFSCORE_ROOT");
  char *path = af_sprintf("%s/bench/kz_family_2023.sql", root && *root ? root : ".");
  char *sql = NULL;
  size_t len = 0;
  af_err e;
  if (af_read_file(path, &sql, &len, &e)) fail_msg("%s", e.msg);
  sqlite3 *db = open_db(path_a);
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, sql, (int)len, &st, NULL) != SQLITE_OK)
    fail_msg("%s", sqlite3_errmsg(db));
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  int n = sqlite3_column_int(st, 0), excl = sqlite3_column_int(st, 1);
  double H = sqlite3_column_double(st, 2), A = sqlite3_column_double(st, 3);
  double M0 = sqlite3_column_double(st, 4);
  sqlite3_finalize(st);
  assert_int_equal(n + excl, NFAM);
  /* excluded: families with no known income (no members, or all unknown) */
  assert_in_range(excl, 5, 60);
  assert_true(H > 0.03 && H < 0.2);
  assert_true(A >= 1.0 / 3 && A < 0.6);
  assert_true(M0 > H * A - 1e-12 && M0 < H * A + 1e-12);
  sqlite3_close(db);
  free(sql);
  free(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_row_counts),  cmocka_unit_test(test_reproducible),
    cmocka_unit_test(test_shuffled),    cmocka_unit_test(test_registry),
    cmocka_unit_test(test_layout_names), cmocka_unit_test(test_shares),
    cmocka_unit_test(test_nulls),       cmocka_unit_test(test_columns),
    cmocka_unit_test(test_index),       cmocka_unit_test(test_errors),
    cmocka_unit_test(test_order_categories), cmocka_unit_test(test_bench_sql),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
