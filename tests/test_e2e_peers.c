/*
** test_e2e_peers.c: afscore against the data the peer toolboxes ship.
**
** ../shared/peers/syn_cdta.csv is the synthetic survey of mpitb (Stata) and
** mpitbR: ten binary deprivations in the global MPI structure (weights 1/6
** for the four health and education indicators, 1/18 for the six living
** standards), sampling weights, an area and a region, and two rounds. The test
** loads each round into SQLite, scores it with a global-MPI methodology (the
** second round through import), and checks H, A, M0, censored headcounts and
** the area breakdown against an independent computation done here in integer
** eighteenths, where k = 1/3 is exactly 6/18.
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

#define NIND 10
static const char *IND[NIND] = {"d_nutr", "d_cm", "d_satt", "d_educ", "d_elct",
                                "d_sani", "d_wtr", "d_hsg", "d_ckfl", "d_asst"};
static const int W18[NIND] = {3, 3, 3, 3, 1, 1, 1, 1, 1, 1};

typedef struct expect {
  double n, poor_w, poor_wc18, cen_w[NIND];
  double area_n[2], area_poor[2];
} expect;

static expect want[2];

static const char *csv_path(void) { return h_root("../shared/peers/syn_cdta.csv"); }

/* Strip quotes in place. */
static char *field(char *s) {
  size_t n = strlen(s);
  while (n && (s[n - 1] == '\n' || s[n - 1] == '\r')) s[--n] = '\0';
  if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
    s[n - 1] = '\0';
    return s + 1;
  }
  return s;
}

/* Load the CSV into tables r1 and r2, computing the expected figures. */
static int load(void) {
  FILE *f = fopen(csv_path(), "r");
  if (!f) return -1;
  char line[1024];
  if (!fgets(line, sizeof line, f)) fail();
  strbuf sql = {0};
  sb_puts(&sql, "BEGIN;");
  for (int t = 1; t <= 2; t++) {
    sb_printf(&sql, "CREATE TABLE r%d(id INTEGER PRIMARY KEY", t);
    for (int i = 0; i < NIND; i++) sb_printf(&sql, ", %s INTEGER", IND[i]);
    sb_puts(&sql, ", area TEXT, region TEXT, weight REAL);");
  }
  memset(want, 0, sizeof want);
  int id = 0;
  while (fgets(line, sizeof line, f)) {
    char *cols[32];
    int nc = 0;
    for (char *p = strtok(line, ","); p && nc < 32; p = strtok(NULL, ",")) cols[nc++] = field(p);
    assert_int_equal(nc, 17);
    int t = atoi(cols[16]);
    double w = atof(cols[14]);
    int d[NIND], c18 = 0;
    for (int i = 0; i < NIND; i++) c18 += W18[i] * (d[i] = atoi(cols[i]));
    int area = atoi(cols[10]);
    sb_printf(&sql, "INSERT INTO r%d VALUES (%d", t, ++id);
    for (int i = 0; i < NIND; i++) sb_printf(&sql, ",%d", d[i]);
    sb_printf(&sql, ",'%s','%s',%s);", cols[10], cols[11], cols[14]);
    expect *x = &want[t - 1];
    x->n += w;
    x->area_n[area] += w;
    if (c18 >= 6) {
      x->poor_w += w;
      x->poor_wc18 += w * c18;
      x->area_poor[area] += w;
      for (int i = 0; i < NIND; i++) x->cen_w[i] += w * d[i];
    }
  }
  fclose(f);
  sb_puts(&sql, "COMMIT;");
  unlink(h_path("syn_cdta.db"));
  h_sql(h_path("syn_cdta.db"), sql.s);
  sb_free(&sql);
  return 0;
}

static const char *MPI =
    "-- the global MPI structure over mpitb's ready-made deprivation indicators\n"
    "local function ind(id) return { id = id, deprived = id .. ' = 1' } end\n"
    "return {\n"
    "  name = 'syn_cdta global MPI', version = 'round 1',\n"
    "  unit = { table = 'r1', id = 'id', weight = 'weight', groups = { 'area' } },\n"
    "  dimensions = {\n"
    "    { id = 'health', indicators = { ind('d_nutr'), ind('d_cm') } },\n"
    "    { id = 'education', indicators = { ind('d_satt'), ind('d_educ') } },\n"
    "    { id = 'living', indicators = { ind('d_elct'), ind('d_sani'), ind('d_wtr'),\n"
    "                                    ind('d_hsg'), ind('d_ckfl'), ind('d_asst') } },\n"
    "  },\n"
    "  k = 1/3,\n"
    "}\n";

static const char *ROUND2 =
    "local m = import('syn_mpi')\n"
    "m.version = 'round 2'\n"
    "m.unit.table = 'r2'\n"
    "return m\n";

static void check_round(int t, const char *method) {
  const expect *x = &want[t];
  const char *args[] = {"score", "--db", h_path("syn_cdta.db"), "--method", method, "--json", NULL};
  h_result r = h_run(args);
  if (r.status != 0) print_error("%s\n", r.err);
  assert_int_equal(r.status, 0);
  double H = x->poor_w / x->n, A = x->poor_wc18 / 18 / x->poor_w;
  assert_double_equal(jp_num(r.out, "n"), x->n, 1e-9);
  assert_double_equal(jp_num(r.out, "H"), H, 1e-12);
  assert_double_equal(jp_num(r.out, "A"), A, 1e-12);
  assert_double_equal(jp_num(r.out, "M0"), H * A, 1e-12);
  for (int i = 0; i < NIND; i++)
    assert_double_equal(jp_num(r.out, "indicators[id=%s].censored", IND[i]), x->cen_w[i] / x->n,
                        1e-12);
  for (int a = 0; a < 2; a++)
    assert_double_equal(jp_num(r.out, "groups.area[value=%d].H", a),
                        x->area_poor[a] / x->area_n[a], 1e-12);
  h_result_free(&r);
}

static void test_syn_cdta_both_rounds(void **state) {
  (void)state;
  if (load() < 0) {
    print_message("no %s: skipped\n", csv_path());
    skip();
  }
  /* 14,903 rows with missing values removed, as the README of peers/ says. */
  assert_double_equal(h_sql_double(h_path("syn_cdta.db"),
                                   "SELECT (SELECT count(*) FROM r1) + (SELECT count(*) FROM r2)"),
                      14903, 0);
  h_write(h_path("syn_mpi.lua"), MPI);
  h_write(h_path("syn_mpi_r2.lua"), ROUND2);
  check_round(0, h_path("syn_mpi.lua"));
  check_round(1, h_path("syn_mpi_r2.lua"));
  /* The poverty in round 2 differs from round 1: the variant is really scored on r2. */
  assert_true(fabs(want[0].poor_w / want[0].n - want[1].poor_w / want[1].n) > 1e-6);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_syn_cdta_both_rounds),
  };
  return cmocka_run_group_tests_name("e2e_peers", tests, NULL, NULL);
}
