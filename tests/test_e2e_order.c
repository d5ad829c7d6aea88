/*
** test_e2e_order.c: results do not depend on how the data are stored or on
** the number of threads.
**  - The same population generated in the three layouts (key order,
**    registry order, persons shuffled; several batches) is read in key,
**    stored and sorted order, and gives the same results digest and measure;
**    key and registry layouts hold the same rows in the same member order,
**    so their data fingerprints are equal too.
**  - On every layout, one thread, two and eight (taken as two) give
**    byte-identical summaries (score; compare with one and two), and a run
**    recorded with two threads replays on one.
**  - A run recorded in one layout replays on the same rows in another.
**  - A registry layout's run records its rows in stored order ("stored");
**    replay and verify catch an edited, a deleted and an added row, naming
**    each.
** make tsan runs these under ThreadSanitizer.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "util.h"

static const char *const LAYOUTS[] = {"key", "registry", "shuffled"};
static const char *const READ_ORDERS[] = {"key", "stored", "sorted"};

/* 10,000 families: three batches of units, so a restart happens after
** batches were already handed on, and the two threads really overlap. */
static char *generate(const char *layout) {
  char file[64];
  snprintf(file, sizeof file, "%s.db", layout);
  char *name = strdup(h_path(file));
  const char *args[] = {"generate", "--families", "10000", "--seed", "7", "--out", name,
                        "--layout", layout, "--force", NULL};
  h_result r = h_run(args);
  assert_int_equal(r.status, 0);
  h_result_free(&r);
  return name;   /* the caller frees it */
}

static char *score_json(const char *db, const char *threads, const char *out) {
  setenv("AFSCORE_THREADS", threads, 1);
  const char *args[] = {"score", "--db", db, "--method", h_root("methodology/kz_order267_2023.lua"),
                        "--json", out ? "--out" : NULL, out, NULL};
  h_result r = h_run(args);
  unsetenv("AFSCORE_THREADS");
  if (r.status != 0) print_error("%s\n", r.err);
  assert_int_equal(r.status, 0);
  free(r.err);
  return r.out;
}

static void test_layouts_agree(void **state) {
  (void)state;
  char *j[3];
  for (int l = 0; l < 3; l++) {
    char *db = generate(LAYOUTS[l]);
    j[l] = score_json(db, "2", NULL);
    free(db);
    assert_string_equal(jp_str(j[l], "data.read_order"), READ_ORDERS[l]);
    assert_double_equal(jp_num(j[l], "units"), 10000, 0);
  }
  for (int l = 1; l < 3; l++) {
    assert_string_equal(jp_str(j[0], "results_sha256"), jp_str(j[l], "results_sha256"));
    assert_double_equal(jp_num(j[0], "score.mean"), jp_num(j[l], "score.mean"), 0);
    assert_double_equal(jp_num(j[0], "data.members"), jp_num(j[l], "data.members"), 0);
  }
  /* the fingerprint is the rows', whatever order the units were read in;
  ** shuffled persons come in another order within their family */
  assert_string_equal(jp_str(j[0], "data.sha256"), jp_str(j[1], "data.sha256"));
  assert_string_not_equal(jp_str(j[0], "data.sha256"), jp_str(j[2], "data.sha256"));
  for (int l = 0; l < 3; l++) free(j[l]);
}

static void replay_ok(const char *out, const char *db, const char *threads) {
  setenv("AFSCORE_THREADS", threads, 1);
  const char *rp[] = {"replay", "1", "--out", out, "--db", db, NULL};
  h_result r = h_run(rp);
  unsetenv("AFSCORE_THREADS");
  if (r.status != 0) print_error("%s\n", r.err);
  assert_int_equal(r.status, 0);
  assert_has(r.out, "reproduced: run 1, 10000 units");
  h_result_free(&r);
}

static void test_threads_agree_and_replay(void **state) {
  (void)state;
  for (int l = 0; l < 3; l++) {
    char *db = generate(LAYOUTS[l]);
    char file[64];
    snprintf(file, sizeof file, "thr-%s-out.db", LAYOUTS[l]);
    char *outname = strdup(h_path(file));
    unlink(outname);
    char *one = score_json(db, "1", NULL);
    char *two = score_json(db, "2", outname);
    /* Identical but for run_id (null without --out). */
    char *p1 = strstr(one, "\"run_id\""), *p2 = strstr(two, "\"run_id\"");
    assert_non_null(p1);
    assert_non_null(p2);
    assert_int_equal(p1 - one, p2 - two);
    assert_memory_equal(one, two, (size_t)(p1 - one));
    assert_string_equal(strchr(p1, '\n'), strchr(p2, '\n'));
    replay_ok(outname, db, "1");
    /* more threads than two are taken as two: the same summary again */
    char *eight = score_json(db, "8", NULL);
    assert_string_equal(one, eight);
    free(one), free(two), free(eight), free(outname), free(db);
  }
}

/* A run recorded from the registry layout replays on the key layout (the
** same rows, read in another order) and the other way round. */
static void test_replay_across_layouts(void **state) {
  (void)state;
  char *key = generate("key"), *reg = generate("registry");
  char *ok = strdup(h_path("x-key-out.db")), *or = strdup(h_path("x-reg-out.db"));
  unlink(ok);
  unlink(or);
  free(score_json(key, "2", ok));
  free(score_json(reg, "2", or));
  replay_ok(ok, reg, "2");
  replay_ok(or, key, "2");
  free(key), free(reg), free(ok), free(or);
}

/* The family at 0-based offset i in the data's stored order. */
static char *stored_at(const char *db, int i) {
  char *sql = af_sprintf("SELECT family_id FROM families ORDER BY rowid LIMIT 1 OFFSET %d", i);
  char *id = h_sql_text(db, sql);
  free(sql);
  return id;
}

/* A copy of results out with sql applied: replay (on db) and verify both
** exit 1; replay's stderr has counts and line, verify's has first. */
static void expect_tamper_caught(const char *out, const char *db, const char *name,
                                 const char *sql, const char *counts, const char *line,
                                 const char *first) {
  char *copy = strdup(h_path(name));
  unlink(copy);
  char *vac = af_sprintf("VACUUM INTO '%s'", copy);
  h_sql(out, vac);
  h_sql(copy, sql);
  const char *rp[] = {"replay", "1", "--out", copy, "--db", db, NULL};
  h_result r = h_run(rp);
  assert_int_equal(r.status, 1);
  assert_has(r.err, counts);
  assert_has(r.err, line);
  h_result_free(&r);
  const char *ver[] = {"verify", "--out", copy, NULL};
  r = h_run(ver);
  assert_int_equal(r.status, 1);
  char *want = af_sprintf("; first: %s\n", first);
  assert_has(r.err, want);
  free(want);
  h_result_free(&r);
  free(vac), free(copy);
}

/* A registry layout's run records its rows in the data's stored order
** ("stored"), read back in that order by replay (one ordered read beside
** the data) and verify. An edited, a deleted and an added row are each
** caught by both, naming the unit; the families are picked by SQL on the
** data, in its stored (rowid) order. */
static void test_stored_order_tampered(void **state) {
  (void)state;
  char *db = generate("registry");
  char *out = strdup(h_path("tamper-out.db"));
  unlink(out);
  free(score_json(db, "2", out));
  char *order = h_sql_text(out, "SELECT unit_order FROM runs WHERE id = 1");
  assert_string_equal(order, "stored");
  free(order);
  replay_ok(out, db, "1");
  const char *ver[] = {"verify", "--out", out, NULL};
  h_result r = h_run(ver);
  assert_int_equal(r.status, 0);
  h_result_free(&r);
  char *edited = stored_at(db, 19);
  char *sql = af_sprintf("UPDATE unit_scores SET eligible = eligible + 1024 WHERE unit = '%s'",
                         edited);
  char *line = af_sprintf("  unit '%s': recorded (", edited);
  char *first = af_sprintf("unit '%s': the row was changed or added after the run", edited);
  expect_tamper_caught(out, db, "tamper-edit.db", sql,
                       "1 differ, 0 not recorded, 0 recorded but not in the data", line, first);
  free(sql), free(line), free(first), free(edited);
  /* the 10th row of 10000 in stored order, between the 9th and the 11th */
  char *before = stored_at(db, 8), *gone = stored_at(db, 9), *after = stored_at(db, 10);
  sql = af_sprintf("DELETE FROM unit_scores WHERE unit = '%s'", gone);
  line = af_sprintf("  unit '%s': not recorded; recomputed (", gone);
  first = af_sprintf("the row of unit '%s' at position 10 of 10000 (between unit '%s' and unit "
                     "'%s') is missing", gone, before, after);
  expect_tamper_caught(out, db, "tamper-delete.db", sql,
                       "0 differ, 1 not recorded, 0 recorded but not in the data", line, first);
  free(sql), free(line), free(first), free(before), free(gone), free(after);
  expect_tamper_caught(out, db, "tamper-insert.db",
                       "INSERT INTO unit_scores(run_id, seq, unit, score, poor, category,"
                       " eligible) VALUES (1, 10001, 'not-a-family', 0, 0, 'A', 0)",
                       "0 differ, 0 not recorded, 1 recorded but not in the data",
                       "  unit 'not-a-family': recorded (category A, score 0, poor 0, eligible "
                       "0x0); not in the data\n",
                       "unit 'not-a-family': the row was changed or added after the run");
  free(out), free(db);
}

/* A schema 3 results database holding a run given in no key order
** (unit_order "none", rows keyed by unit), as afscore wrote registry runs
** before schema 4, made here from a schema 4 one by hand. Replay reads it
** read-only as it is (each unit looked up); a writing command upgrades it
** (its rows numbered in text order, run_units built) and run 1 still
** replays, and a deleted row is named. */
static void test_replay_schema3_none(void **state) {
  (void)state;
  char *db = generate("registry");
  char *out = strdup(h_path("none-out.db"));
  unlink(out);
  free(score_json(db, "1", out));
  h_sql(out, "CREATE TABLE u3(run_id INTEGER NOT NULL, unit TEXT NOT NULL, score REAL,"
             " poor INTEGER, category TEXT, eligible INTEGER, chk INTEGER, grp TEXT,"
             " PRIMARY KEY(run_id, unit)) WITHOUT ROWID;"
             "INSERT INTO u3 SELECT run_id, unit, score, poor, category, eligible, chk, grp"
             " FROM unit_scores;"
             "DROP TABLE unit_scores; DROP TABLE run_units; ALTER TABLE u3 RENAME TO unit_scores;"
             "UPDATE runs SET unit_order = 'none'; PRAGMA user_version = 3;");
  replay_ok(out, db, "1");
  assert_double_equal(h_sql_double(out, "PRAGMA user_version"), 3, 0);
  free(score_json(db, "1", out));
  assert_double_equal(h_sql_double(out, "PRAGMA user_version"), 4, 0);
  char *first = h_sql_text(out, "SELECT unit FROM unit_scores WHERE run_id = 1 AND seq = 1");
  char *least = h_sql_text(db, "SELECT min(family_id) FROM families");
  assert_string_equal(first, least);
  free(first), free(least);
  replay_ok(out, db, "1");
  char *gone = stored_at(db, 9);
  char *sql = af_sprintf("DELETE FROM unit_scores WHERE unit = '%s'", gone);
  h_sql(out, sql);
  const char *rp[] = {"replay", "1", "--out", out, "--db", db, NULL};
  h_result r = h_run(rp);
  assert_int_equal(r.status, 1);
  assert_has(r.err, "0 differ, 1 not recorded, 0 recorded but not in the data");
  char *line = af_sprintf("  unit '%s': not recorded; recomputed (", gone);
  assert_has(r.err, line);
  h_result_free(&r);
  free(line), free(sql), free(gone), free(out), free(db);
}

/* Two recorded runs of the same rows, one from the key layout (rows in key
** order) and one from the registry layout (rows in stored order), compared
** unit by unit: the stored run is read in key order (through run_units), so
** every unit meets its counterpart and none changes. */
static void test_compare_stored_with_key_run(void **state) {
  (void)state;
  char *key = generate("key"), *reg = generate("registry");
  char *out = strdup(h_path("cmp-layouts-out.db"));
  unlink(out);
  free(score_json(key, "1", out));
  free(score_json(reg, "1", out));
  char *orders = h_sql_text(out, "SELECT group_concat(unit_order, ',') FROM runs");
  assert_string_equal(orders, "text,stored");
  free(orders);
  for (int k = 0; k < 2; k++) {
    const char *args[] = {"compare", "--out", out, "--run", k ? "2" : "1", "--run", k ? "1" : "2",
                          "--json", NULL};
    h_result r = h_run(args);
    if (r.status != 0) print_error("%s\n", r.err);
    assert_int_equal(r.status, 0);
    assert_double_equal(jp_num(r.out, "units"), 10000, 0);
    assert_double_equal(jp_num(r.out, "changed"), 0, 0);
    assert_double_equal(jp_num(r.out, "only_in_a"), 0, 0);
    assert_double_equal(jp_num(r.out, "only_in_b"), 0, 0);
    h_result_free(&r);
  }
  free(key), free(reg), free(out);
}

/* compare reads once for several methodologies: one thread and two give
** the same document. */
static char *compare_json(const char *db, const char *threads) {
  setenv("AFSCORE_THREADS", threads, 1);
  const char *args[] = {"compare", "--db", db, "--method", h_root("methodology/kz_family_2023.lua"),
                        "--method", h_root("methodology/kz_order267_2023.lua"), "--json", NULL};
  h_result r = h_run(args);
  unsetenv("AFSCORE_THREADS");
  if (r.status != 0) print_error("%s\n", r.err);
  assert_int_equal(r.status, 0);
  free(r.err);
  return r.out;
}

static void test_compare_threads_agree(void **state) {
  (void)state;
  char *db = generate("registry");
  char *one = compare_json(db, "1");
  char *two = compare_json(db, "2");
  free(db);
  assert_double_equal(jp_num(two, "units"), 10000, 0);
  assert_string_equal(one, two);
  free(one), free(two);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_layouts_agree),
      cmocka_unit_test(test_threads_agree_and_replay),
      cmocka_unit_test(test_replay_across_layouts),
      cmocka_unit_test(test_stored_order_tampered),
      cmocka_unit_test(test_replay_schema3_none),
      cmocka_unit_test(test_compare_stored_with_key_run),
      cmocka_unit_test(test_compare_threads_agree),
  };
  return cmocka_run_group_tests_name("e2e_order", tests, NULL, NULL);
}
