/*
** test_store.c: the results database: a run round-trips (files, summary,
** units), unfinished, failed and killed runs leave nothing, runs list in
** order, unit lookup and iteration, and the error messages for locked,
** foreign, non-SQLite and full databases.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>

#include "store.h"

static char g_dir[512];

static void make_dir(void) {
  const char *base = getenv("AFSCORE_TMP");
  if (!base || !*base) base = "/tmp";
  mkdir(base, 0777);
  snprintf(g_dir, sizeof g_dir, "%s/store-XXXXXX", base);
  assert_non_null(mkdtemp(g_dir));
}

static char *fresh(const char *name) {
  char *p = af_sprintf("%s/%s", g_dir, name);
  unlink(p);
  return p;
}

static char g_text1[] = "return {\n  name = 'x',\n}\n";
static char g_text2[] = "bytes \xff\xfe and a NUL \0 inside"; /* kept byte for byte */
static model_file g_files[2] = {
    {"main.lua", "/m/main.lua", g_text1, sizeof g_text1 - 1, "aa"},
    {"lib", "", g_text2, sizeof g_text2 - 1, "bb"},
};

static run_info info(const char *name) {
  run_info ri = {name, "1.0", "abc123", "af", "data.db", "d00d", "afscore 0.1",
                 "{\"k\":0.33}", g_files, 2, NULL, NULL, 0, NULL, NULL};
  return ri;
}

/* A raw count from the results database, behind the store's back. */
static int64_t raw_count(const char *path, const char *sql) {
  sqlite3 *db;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  sqlite3_stmt *s;
  assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(s), SQLITE_ROW);
  int64_t n = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  sqlite3_close(db);
  return n;
}

static int64_t write_run(store *st, const char *name, int nunits) {
  af_err e;
  run_info ri = info(name);
  int64_t id = 0;
  assert_int_equal(store_run_begin(st, &ri, &id, &e), 0);
  for (int i = 0; i < nunits; i++) {
    char u[32];
    snprintf(u, sizeof u, "u%d", i);
    assert_int_equal(store_run_unit(st, u, i * 0.5, i % 2, "B", i, NULL, &e), 0);
  }
  assert_int_equal(store_run_commit(st, "{\"H\":0.5}", &e), 0);
  return id;
}

static void test_round_trip(void **state) {
  char *p = fresh("rt.db");
  store *st;
  af_err e;
  assert_int_equal(store_open(p, &st, &e), 0);
  run_info ri = info("kz");
  int64_t id = 0;
  assert_int_equal(store_run_begin(st, &ri, &id, &e), 0);
  assert_int_equal(id, 1);
  assert_int_equal(store_run_unit(st, "f2", 0.75, 1, "E", 5, NULL, &e), 0);
  assert_int_equal(store_run_unit(st, "f10", 0.0, -1, NULL, 0, NULL, &e), 0);
  assert_int_equal(store_run_unit(st, "f1", 1.0 / 3, 0, "C", 3, NULL, &e), 0);
  assert_int_equal(store_run_commit(st, "{\"H\":0.25}", &e), 0);
  store_close(st);

  assert_int_equal(store_open(p, &st, &e), 0); /* reopened: the schema is ours */
  run_record r;
  assert_int_equal(store_load_run(st, 1, &r, &e), 0);
  assert_int_equal(r.id, 1);
  assert_string_equal(r.methodology_name, "kz");
  assert_string_equal(r.methodology_version, "1.0");
  assert_string_equal(r.methodology_sha256, "abc123");
  assert_string_equal(r.scoring, "af");
  assert_string_equal(r.data_path, "data.db");
  assert_string_equal(r.data_sha256, "d00d");
  assert_string_equal(r.engine_version, "afscore 0.1");
  assert_string_equal(r.params_json, "{\"k\":0.33}");
  assert_string_equal(r.summary_json, "{\"H\":0.25}");
  assert_int_equal(r.units, 3);
  assert_int_equal(strlen(r.time), 20);
  assert_int_equal(r.time[10], 'T');
  assert_int_equal(r.time[19], 'Z');
  assert_int_equal(r.nfiles, 2);
  for (int i = 0; i < 2; i++) {
    assert_string_equal(r.files[i].name, g_files[i].name);
    assert_string_equal(r.files[i].path, g_files[i].path);
    assert_string_equal(r.files[i].sha256, g_files[i].sha256);
    assert_int_equal(r.files[i].len, g_files[i].len);
    assert_memory_equal(r.files[i].text, g_files[i].text, g_files[i].len);
  }
  store_record_free(&r);

  double score;
  int poor;
  char *cat;
  int64_t elig;
  assert_int_equal(store_unit_result(st, 1, "f2", &score, &poor, &cat, &elig, &e), 1);
  assert_true(score == 0.75);
  assert_int_equal(poor, 1);
  assert_string_equal(cat, "E");
  assert_int_equal(elig, 5);
  free(cat);
  assert_int_equal(store_unit_result(st, 1, "f10", &score, &poor, &cat, &elig, &e), 1);
  assert_int_equal(poor, -1);
  assert_null(cat);
  assert_int_equal(store_unit_result(st, 1, "f3", &score, &poor, &cat, &elig, &e), 0);
  assert_int_equal(store_unit_result(st, 2, "f2", &score, &poor, &cat, &elig, &e), 0);

  /* given in no key order: recorded as they came ("stored"), read back so,
  ** and in key order on request */
  store_iter *it;
  const char *u, *c;
  const char *orders[] = {NULL, "text"};
  const char *want_u[][3] = {{"f2", "f10", "f1"}, {"f1", "f10", "f2"}};
  for (int k = 0; k < 2; k++) {
    assert_int_equal(k ? store_iter_begin_order(st, 1, orders[k], &it, &e)
                       : store_iter_begin(st, 1, &it, &e), 0);
    for (int i = 0; i < 3; i++) {
      assert_int_equal(store_iter_next(it, &u, &score, &poor, &c, &elig, &e), 1);
      assert_string_equal(u, want_u[k][i]);
      assert_int_equal(store_iter_seq(it), k ? 3 - i : i + 1);
    }
    assert_true(score == (k ? 0.75 : 1.0 / 3));
    assert_string_equal(c, k ? "E" : "C");
    assert_int_equal(store_iter_next(it, &u, &score, &poor, &c, &elig, &e), 0);
    store_iter_end(it);
  }
  assert_int_equal(store_load_run(st, 1, &r, &e), 0);
  assert_string_equal(r.unit_order, "stored");
  store_record_free(&r);

  assert_int_equal(store_load_run(st, 7, &r, &e), -1);
  char *want = af_sprintf("no run 7 in %s", p);
  assert_string_equal(e.msg, want);
  free(want);
  store_close(st);
  free(p);
}

/* The caller's value ids, as a string pool would number them. */
static const char *group_text(void *ctx, int32_t id) {
  (void)ctx;
  return id == 5 ? "Abai" : id == 7 ? "Turkestan" : "urban";
}

/* Group values: codes in the order first met (5 -> 1, 7 -> 2, 9 -> 3; NULL
** is 0), texts at commit, read back by the iterator and covered by the
** rows digest. */
static void test_group_values(void **state) {
  (void)state;
  char *p = fresh("groups.db");
  store *st;
  af_err e;
  assert_int_equal(store_open(p, &st, &e), 0);
  run_info ri = info("kz");
  char *names[] = {"region", "urban"};
  ri.groups = names;
  ri.ngroups = 2;
  ri.group_text = group_text;
  int64_t id;
  assert_int_equal(store_run_begin(st, &ri, &id, &e), 0);
  const int32_t g1[] = {5, -1}, g2[] = {7, 9}, g3[] = {5, 9};
  assert_int_equal(store_run_unit(st, "a", 0, 0, "A", 0, g1, &e), 0);
  assert_int_equal(store_run_unit(st, "b", 0, 0, "A", 0, g2, &e), 0);
  assert_int_equal(store_run_unit(st, "c", 0, 0, "A", 0, g3, &e), 0);
  assert_int_equal(store_run_commit(st, "{}", &e), 0);
  run_record r;
  assert_int_equal(store_load_run(st, id, &r, &e), 0);
  assert_int_equal(r.group_columns, 2);
  assert_string_equal(r.groups[0], "region");
  assert_string_equal(r.groups[1], "urban");
  assert_int_equal(r.ngroup_values, 3);
  const char *texts[] = {"Abai", "Turkestan", "urban"};
  for (int c = 0; c < 3; c++) assert_string_equal(r.group_values[c], texts[c]);
  store_iter *it;
  assert_int_equal(store_iter_begin(st, id, &it, &e), 0);
  const int32_t want[3][2] = {{1, 0}, {2, 3}, {1, 3}};
  for (int u = 0; u < 3; u++) {
    int32_t codes[2];
    assert_int_equal(store_iter_next(it, NULL, NULL, NULL, NULL, NULL, &e), 1);
    assert_int_equal(store_iter_groups(it, codes, 2, r.ngroup_values), 1);
    assert_int_equal(codes[0], want[u][0]);
    assert_int_equal(codes[1], want[u][1]);
    /* more codes than written, or a code past the values: damaged */
    assert_int_equal(store_iter_groups(it, codes, 1, r.ngroup_values), -1);
    assert_int_equal(store_iter_groups(it, codes, 2, 1), u == 0 ? 1 : -1);
  }
  store_iter_end(it);
  store_verdict v;
  assert_int_equal(store_verify_rows(st, &r, &v, &e), 0);
  assert_int_equal(v.rows, 3);
  assert_int_equal(v.changed, 0);
  assert_true(v.digest_ok);
  store_record_free(&r);
  store_close(st);
  free(p);
}

static void test_list_order(void **state) {
  char *p = fresh("list.db");
  store *st;
  af_err e;
  assert_int_equal(store_open(p, &st, &e), 0);
  run_record *runs;
  int n;
  assert_int_equal(store_list_runs(st, &runs, &n, &e), 0);
  assert_int_equal(n, 0);
  store_free_runs(runs, n);
  assert_int_equal(write_run(st, "first", 2), 1);
  assert_int_equal(write_run(st, "second", 0), 2);
  assert_int_equal(write_run(st, "third", 5), 3);
  assert_int_equal(store_list_runs(st, &runs, &n, &e), 0);
  assert_int_equal(n, 3);
  assert_string_equal(runs[0].methodology_name, "first");
  assert_string_equal(runs[1].methodology_name, "second");
  assert_string_equal(runs[2].methodology_name, "third");
  assert_int_equal(runs[2].units, 5);
  assert_int_equal(runs[0].nfiles, 0);
  assert_null(runs[0].files);
  store_free_runs(runs, n);
  store_close(st);
  free(p);
}

/* A fresh results database file (its path in *path, owned by the caller)
** with a run begun in it. */
static store *begin_fresh(const char *file, const char *name, char **path, int64_t *id) {
  *path = fresh(file);
  store *st;
  af_err e;
  assert_int_equal(store_open(*path, &st, &e), 0);
  run_info ri = info(name);
  assert_int_equal(store_run_begin(st, &ri, id, &e), 0);
  return st;
}

/* Rows are inserted in batches: a unit given twice apart (units in no key
** order) is named when its batch goes in, in a short run (at commit) and in a
** long one (a full batch, then row by row to find it); nothing is recorded,
** and a run of many batches reads back every row in order. */
static void test_batched_rows(void **state) {
  (void)state;
  char *p = fresh("batched.db");
  store *st;
  af_err e;
  assert_int_equal(store_open(p, &st, &e), 0);
  run_info ri = info("dup");
  int64_t id;
  const char *units[] = {"b", "a", "b"};
  assert_int_equal(store_run_begin(st, &ri, &id, &e), 0);
  for (int i = 0; i < 3; i++) assert_int_equal(store_run_unit(st, units[i], 1, 1, "A", 0, NULL, &e), 0);
  assert_int_equal(store_run_commit(st, "{}", &e), -1);
  char *want = af_sprintf("results database %s: unit 'b' stored twice in one run", p);
  assert_string_equal(e.msg, want);
  free(want);
  assert_int_equal(store_run_begin(st, &ri, &id, &e), 0);
  int rc = 0;
  char u[32];
  for (int i = 0; i < 300 && rc == 0; i++) {
    /* distinct ids in no key order, but row 200 (in the 4th full batch)
    ** repeats row 7's */
    snprintf(u, sizeof u, "u%03d", i == 200 ? 49 : (i * 7) % 307);
    rc = store_run_unit(st, u, i, 1, "A", 0, NULL, &e);
  }
  if (rc == 0) rc = store_run_commit(st, "{}", &e);
  assert_int_equal(rc, -1);
  want = af_sprintf("results database %s: unit 'u049' stored twice in one run", p);
  assert_string_equal(e.msg, want);
  free(want);
  assert_int_equal(raw_count(p, "SELECT count(*) FROM unit_scores"), 0);
  /* 200 rows: three full batches and a rest, read back in key order */
  assert_int_equal(store_run_begin(st, &ri, &id, &e), 0);
  for (int i = 0; i < 200; i++) {
    snprintf(u, sizeof u, "k%03d", i);
    assert_int_equal(store_run_unit(st, u, i / 8.0, i % 2, i % 3 ? "A" : NULL, i, NULL, &e), 0);
  }
  assert_int_equal(store_run_commit(st, "{}", &e), 0);
  store_iter *it;
  assert_int_equal(store_iter_begin(st, id, &it, &e), 0);
  const char *unit, *cat;
  double score;
  int poor, n = 0;
  int64_t elig;
  while (store_iter_next(it, &unit, &score, &poor, &cat, &elig, &e) == 1) {
    snprintf(u, sizeof u, "k%03d", n);
    assert_string_equal(unit, u);
    assert_true(score == n / 8.0);
    assert_int_equal(poor, n % 2);
    if (n % 3) assert_string_equal(cat, "A");
    else assert_null(cat);
    assert_int_equal(elig, n);
    n++;
  }
  store_iter_end(it);
  assert_int_equal(n, 200);
  store_close(st);
  free(p);
}

static void test_abort_leaves_nothing(void **state) {
  char *p = fresh("abort.db");
  store *st;
  af_err e;
  assert_int_equal(store_open(p, &st, &e), 0);
  write_run(st, "kept", 2);
  run_info ri = info("dropped");
  int64_t id;
  assert_int_equal(store_run_begin(st, &ri, &id, &e), 0);
  assert_int_equal(store_run_unit(st, "a", 1, 1, "A", 0, NULL, &e), 0);
  store_run_abort(st);
  /* Closing with a run open drops it too. */
  assert_int_equal(store_run_begin(st, &ri, &id, &e), 0);
  assert_int_equal(store_run_unit(st, "b", 1, 1, "A", 0, NULL, &e), 0);
  store_close(st);
  assert_int_equal(raw_count(p, "SELECT count(*) FROM runs"), 1);
  assert_int_equal(raw_count(p, "SELECT count(*) FROM unit_scores"), 2);
  assert_int_equal(raw_count(p, "SELECT count(*) FROM run_files"), 2);
  /* A unit stored twice fails the run and rolls it back. */
  assert_int_equal(store_open(p, &st, &e), 0);
  assert_int_equal(store_run_begin(st, &ri, &id, &e), 0);
  assert_int_equal(store_run_unit(st, "x", 1, 1, "A", 0, NULL, &e), 0);
  assert_int_equal(store_run_unit(st, "x", 1, 1, "A", 0, NULL, &e), -1);
  char *want = af_sprintf("results database %s: unit 'x' stored twice in one run", p);
  assert_string_equal(e.msg, want);
  free(want);
  assert_int_equal(store_run_unit(st, "y", 1, 1, "A", 0, NULL, &e), -1);
  want = af_sprintf("results database %s: no run is open", p);
  assert_string_equal(e.msg, want);
  free(want);
  assert_int_equal(store_run_commit(st, "{}", &e), -1);
  store_close(st);
  assert_int_equal(raw_count(p, "SELECT count(*) FROM runs"), 1);
  free(p);
}

/* A methodology source over SQLite's length limit fails the run: it is not
** recorded without its text (or at all). */
static void test_source_over_limit(void **state) {
  char *p = fresh("toolong.db");
  store *st;
  af_err e;
  assert_int_equal(store_open(p, &st, &e), 0);
  write_run(st, "kept", 2);
  store_set_max_length(st, 50000);
  size_t big = 100000;
  char *text = af_malloc(big + 1);
  memset(text, '-', big);
  text[big] = '\0';
  model_file files[2] = {g_files[0], {"huge", "", text, big, "cc"}};
  run_info ri = info("too long");
  ri.files = files;
  int64_t id;
  assert_int_equal(store_run_begin(st, &ri, &id, &e), -1);
  free(text);
  char *want = af_sprintf("results database %s: the source of huge cannot be recorded "
                          "(string or blob too big); the run was not recorded", p);
  assert_string_equal(e.msg, want);
  free(want);
  store_close(st);
  assert_int_equal(raw_count(p, "SELECT count(*) FROM runs"), 1);
  assert_int_equal(raw_count(p, "SELECT count(*) FROM run_files"), 2);
  assert_int_equal(raw_count(p, "SELECT count(*) FROM run_files WHERE text IS NULL"), 0);
  free(p);
}

/* kill -9 in the middle of a run: the next open sees no trace of it. */
static void test_killed_run(void **state) {
  char *p = fresh("killed.db");
  store *st;
  af_err e;
  assert_int_equal(store_open(p, &st, &e), 0);
  write_run(st, "kept", 3);
  store_close(st);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    store *cs;
    af_err ce;
    if (store_open(p, &cs, &ce) != 0) _exit(3);
    run_info ri = info("killed");
    int64_t id;
    if (store_run_begin(cs, &ri, &id, &ce) != 0) _exit(4);
    for (int i = 0; i < 200000; i++) {
      char u[32];
      snprintf(u, sizeof u, "k%07d", i);
      if (store_run_unit(cs, u, 1, 1, "A", 0, NULL, &ce) != 0) _exit(5);
    }
    raise(SIGKILL);
    _exit(6);
  }
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFSIGNALED(status));
  assert_int_equal(WTERMSIG(status), SIGKILL);
  assert_int_equal(store_open(p, &st, &e), 0);
  run_record *runs;
  int n;
  assert_int_equal(store_list_runs(st, &runs, &n, &e), 0);
  assert_int_equal(n, 1);
  assert_string_equal(runs[0].methodology_name, "kept");
  store_free_runs(runs, n);
  assert_int_equal(write_run(st, "next", 1), 2);
  store_close(st);
  assert_int_equal(raw_count(p, "SELECT count(*) FROM unit_scores"), 4);
  free(p);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void test_locked(void **state) {
  char *p = fresh("locked.db");
  store *st;
  af_err e;
  /* the wait for another writer: 5 s unless told */
  assert_int_equal(store_open(p, &st, &e), 0);
  assert_int_equal(store_busy_timeout(st), 5000);
  store_close(st);
  assert_int_equal(store_open_wait(p, 200, &st, &e), 0);
  assert_int_equal(store_busy_timeout(st), 200);
  sqlite3 *other;
  assert_int_equal(sqlite3_open(p, &other), SQLITE_OK);
  assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", 0, 0, 0), SQLITE_OK);
  run_info ri = info("x");
  int64_t id;
  double t0 = now();
  assert_int_equal(store_run_begin(st, &ri, &id, &e), -1);
  assert_true(now() - t0 >= 0.15);   /* it did wait */
  char *want = af_sprintf("results database %s is locked by another process", p);
  assert_string_equal(e.msg, want);
  /* Opening while locked works (reading the schema needs no write lock)... */
  store *st2;
  assert_int_equal(store_open(p, &st2, &e), 0);
  store_close(st2);
  /* ...and once the other writer is gone the run goes through. */
  assert_int_equal(sqlite3_exec(other, "ROLLBACK", 0, 0, 0), SQLITE_OK);
  assert_int_equal(store_run_begin(st, &ri, &id, &e), 0);
  assert_int_equal(store_run_commit(st, "{}", &e), 0);
  sqlite3_close(other);
  store_close(st);
  /* A new file whose schema cannot be created for the lock. */
  char *q = fresh("locked2.db");
  assert_int_equal(sqlite3_open(q, &other), SQLITE_OK);
  assert_int_equal(sqlite3_exec(other, "PRAGMA journal_mode=WAL; BEGIN IMMEDIATE", 0, 0, 0),
                   SQLITE_OK);
  free(want);
  want = af_sprintf("results database %s is locked by another process", q);
  t0 = now();
  assert_int_equal(store_open_wait(q, 200, &st, &e), -1);
  assert_true(now() - t0 >= 0.15);
  assert_string_equal(e.msg, want);
  sqlite3_close(other);
  free(want), free(q), free(p);
}

static void test_foreign_files(void **state) {
  store *st = (store *)1;
  af_err e;
  char *p = fresh("text.db");
  FILE *f = fopen(p, "w");
  fputs("this is not a database at all, just some text that is long enough.........\n", f);
  fclose(f);
  assert_int_equal(store_open(p, &st, &e), -1);
  assert_null(st);
  char *want = af_sprintf("%s: not a SQLite database", p);
  assert_string_equal(e.msg, want);
  free(want), free(p);
  p = fresh("foreign.db");
  sqlite3 *db;
  assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "CREATE TABLE runs(x); INSERT INTO runs VALUES (1)", 0, 0, 0),
                   SQLITE_OK);
  sqlite3_close(db);
  assert_int_equal(store_open(p, &st, &e), -1);
  want = af_sprintf("%s is not an afscore results database (it holds other data)", p);
  assert_string_equal(e.msg, want);
  assert_int_equal(raw_count(p, "SELECT count(*) FROM runs"), 1); /* untouched */
  free(want), free(p);
  p = af_sprintf("%s/no/such/dir/r.db", g_dir);
  assert_int_equal(store_open(p, &st, &e), -1);
  want = af_sprintf("results database %s cannot be opened: unable to open database file", p);
  assert_string_equal(e.msg, want);
  free(want), free(p);
}

static void test_disk_full(void **state) {
  char *p = fresh("full.db");
  store *st;
  af_err e;
  assert_int_equal(store_open(p, &st, &e), 0);
  write_run(st, "kept", 10);
  store_set_max_pages(st, 1); /* clamped to the current size: no growth allowed */
  run_info ri = info("big");
  int64_t id;
  int rc = store_run_begin(st, &ri, &id, &e);
  for (int i = 0; rc == 0 && i < 100000; i++) {
    char u[32];
    snprintf(u, sizeof u, "unit-%08d", i);
    rc = store_run_unit(st, u, 1, 1, "category", 0, NULL, &e);
  }
  if (rc == 0) rc = store_run_commit(st, "{}", &e);
  assert_int_equal(rc, -1);
  char *want = af_sprintf("results database %s: disk full; the run was not recorded", p);
  assert_string_equal(e.msg, want);
  free(want);
  store_run_abort(st); /* harmless after the automatic rollback */
  store_close(st);
  assert_int_equal(raw_count(p, "SELECT count(*) FROM runs"), 1);
  assert_int_equal(raw_count(p, "SELECT count(*) FROM unit_scores"), 10);
  free(p);
}

/* An id for row i of n in no key order (i * 37 mod n is a permutation
** for n not a multiple of 37). */
static void scattered(char *u, size_t n, int i, int total) {
  snprintf(u, n, "s%04d", (i * 37) % total);
}

/* n units given in no key order: unit_scores holds them by write position
** (seq 1..n in the order given), run_units each unit's position, filled
** at commit from the rows, sorted; every row reads back in the recorded
** order and in key order; the run verifies. */
static void test_stored_order(void **state) {
  (void)state;
  char *p;
  int64_t id;
  store *st = begin_fresh("stored.db", "stored", &p, &id);
  af_err e;
  const int n = 300;   /* four full batches and a rest */
  char u[32];
  for (int i = 0; i < n; i++) {
    scattered(u, sizeof u, i, n);
    assert_int_equal(store_run_unit(st, u, i, i % 2, "A", i, NULL, &e), 0);
  }
  assert_int_equal(store_run_commit(st, "{}", &e), 0);
  assert_int_equal(raw_count(p, "SELECT count(*) FROM unit_scores"), n);
  assert_int_equal(raw_count(p, "SELECT count(*) FROM run_units"), n);
  /* row i given at position i + 1, and run_units points there */
  assert_int_equal(raw_count(p, "SELECT count(*) FROM unit_scores s JOIN run_units r"
                                " USING (run_id, seq) WHERE s.unit = r.unit"
                                " AND s.seq = s.eligible + 1"), n);
  store_iter *it;
  const char *unit, *cat;
  double score;
  int poor;
  int64_t elig;
  /* recorded order: as given */
  assert_int_equal(store_iter_begin(st, id, &it, &e), 0);
  for (int i = 0; i < n; i++) {
    assert_int_equal(store_iter_next(it, &unit, &score, &poor, &cat, &elig, &e), 1);
    scattered(u, sizeof u, i, n);
    assert_string_equal(unit, u);
    assert_int_equal(elig, i);
  }
  assert_int_equal(store_iter_next(it, &unit, &score, &poor, &cat, &elig, &e), 0);
  store_iter_end(it);
  /* key order: s0000, s0001, ... (ids are 4-digit, so text order is numeric) */
  assert_int_equal(store_iter_begin_order(st, id, "text", &it, &e), 0);
  for (int k = 0; k < n; k++) {
    assert_int_equal(store_iter_next(it, &unit, &score, &poor, &cat, &elig, &e), 1);
    snprintf(u, sizeof u, "s%04d", k);
    assert_string_equal(unit, u);
    /* written at the i with i * 37 = k (mod n) */
    assert_int_equal((elig * 37) % n, k);
  }
  assert_int_equal(store_iter_next(it, &unit, &score, &poor, &cat, &elig, &e), 0);
  store_iter_end(it);
  assert_int_equal(store_unit_result(st, id, "s0037", &score, &poor, NULL, &elig, &e), 1);
  assert_int_equal(elig, 1);
  run_record r;
  assert_int_equal(store_load_run(st, id, &r, &e), 0);
  assert_string_equal(r.unit_order, "stored");
  store_verdict v;
  assert_int_equal(store_verify_rows(st, &r, &v, &e), 0);
  assert_int_equal(v.rows, n);
  assert_true(!v.changed && !v.missing && v.digest_ok && !v.unlinked);
  store_close(st);
  char *q = fresh("stored2.db");
  char *sql = af_sprintf("VACUUM INTO '%s'", q);
  sqlite3 *db;
  assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
  free(sql);
  /* a deleted row is named by the run_units entry it leaves */
  assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "DELETE FROM unit_scores WHERE seq = 5", NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(db);
  assert_int_equal(store_open_readonly(p, &st, &e), 0);
  assert_int_equal(store_verify_rows(st, &r, &v, &e), 0);
  assert_int_equal(v.missing, 1);
  /* position 5: i = 4, id 4 * 37 = 148 */
  assert_string_equal(v.first, "the row of unit 's0148' at position 5 of 300 (between unit "
                               "'s0111' and unit 's0185') is missing");
  store_close(st);
  /* rows untouched, a run_units entry gone or pointing elsewhere */
  const char *edits[] = {"DELETE FROM run_units WHERE unit = 's0148'",
                         "UPDATE run_units SET seq = 6 WHERE unit = 's0148'"};
  const char *named[] = {"unit 's0148' (position 5) has no entry in run_units",
                         "unit 's0148' (position 5) has an entry in run_units for position 6"};
  for (int k = 0; k < 2; k++) {
    char *c = af_sprintf("%s/stored2-%d.db", g_dir, k);
    sql = af_sprintf("VACUUM INTO '%s'", c);
    assert_int_equal(sqlite3_open(q, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(sqlite3_open(c, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, edits[k], NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(store_open_readonly(c, &st, &e), 0);
    assert_int_equal(store_verify_rows(st, &r, &v, &e), 0);
    assert_true(v.unlinked && !v.changed && !v.missing && v.digest_ok);
    assert_string_equal(v.first, named[k]);
    store_close(st);
    free(sql);
    free(c);
  }
  free(q);
  store_record_free(&r);
  free(p);
}

/* A unit given twice far apart in no key order is found at commit among the
** units sorted into run_units, and named. */
static void test_stored_order_duplicate(void **state) {
  (void)state;
  char *p;
  int64_t id;
  store *st = begin_fresh("stored_dup.db", "dup", &p, &id);
  af_err e;
  char u[32];
  int rc = 0;
  /* s0000..s0099, s0900 in text order (the first batch of 64 goes straight
  ** into run_units), then s0899, s0898, ...: pended; row 150 repeats s0005 */
  for (int i = 0; i < 200 && rc == 0; i++) {
    snprintf(u, sizeof u, "s%04d", i < 100 ? i : i == 150 ? 5 : 1000 - i);
    rc = store_run_unit(st, u, 1, 1, "A", 0, NULL, &e);
  }
  assert_int_equal(rc, 0);
  assert_int_equal(store_run_commit(st, "{}", &e), -1);
  char *want = af_sprintf("results database %s: unit 's0005' stored twice in one run", p);
  assert_string_equal(e.msg, want);
  free(want);
  store_close(st);
  assert_int_equal(raw_count(p, "SELECT count(*) FROM unit_scores"), 0);
  assert_int_equal(raw_count(p, "SELECT count(*) FROM run_units"), 0);
  free(p);
}

static void raw_exec(const char *path, const char *sql) {
  sqlite3 *db;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  char *err = NULL;
  int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
  if (rc != SQLITE_OK) fail_msg("%s: %s", sql, err);
  sqlite3_close(db);
}

/* A raw text from the results database (owned by the caller). */
static char *raw_text(const char *path, const char *sql) {
  sqlite3 *db;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  sqlite3_stmt *s;
  assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(s), SQLITE_ROW);
  char *t = af_strdup((const char *)sqlite3_column_text(s, 0));
  sqlite3_finalize(s);
  sqlite3_close(db);
  return t;
}

/* Every row of runs from..to verifies (checks, positions, digest). */
static void verify_all(store *st, int from, int to, int64_t rows) {
  af_err e;
  for (int id = from; id <= to; id++) {
    run_record r;
    store_verdict v;
    assert_int_equal(store_load_run(st, id, &r, &e), 0);
    assert_int_equal(store_verify_rows(st, &r, &v, &e), 0);
    if (v.changed || v.missing || !v.digest_ok || v.unlinked) fail_msg("run %d: %s", id, v.first);
    assert_int_equal(v.rows, rows);
    store_record_free(&r);
  }
}

/* A results database of schema 3, made by hand: unit_scores keyed by
** (run_id, unit), no seq, no run_units. Its runs: 12 units "1".."12" given
** in integer order (unit_order "integer": 1, 2, ..., 10, not 1, 10, 11),
** then the same in text order. Read-only opens read it as it is (and leave
** it at schema 3); a writing open upgrades it in one transaction: each run's
** rows numbered in its recorded order, run_units built, every row kept and
** verifying, lookups working, a new run recorded beside them. */
static void test_upgrade_schema3(void **state) {
  (void)state;
  char *p;
  int64_t id;
  store *st = begin_fresh("v3.db", "v3", &p, &id);
  af_err e;
  run_info ri = info("v3");
  char u[16];
  for (int k = 0; k < 2; k++) {
    if (k) assert_int_equal(store_run_begin(st, &ri, &id, &e), 0);
    const char *text_order[] = {"1", "10", "11", "12", "2", "3", "4", "5", "6", "7", "8", "9"};
    for (int i = 0; i < 12; i++) {
      snprintf(u, sizeof u, "%d", i + 1);
      const char *unit = k ? text_order[i] : u;
      assert_int_equal(store_run_unit(st, unit, atoi(unit) / 16.0, 1, "B", atoi(unit), NULL, &e), 0);
    }
    assert_int_equal(store_run_commit(st, "{}", &e), 0);
  }
  store_close(st);
  raw_exec(p, "CREATE TABLE u3(run_id INTEGER NOT NULL, unit TEXT NOT NULL, score REAL,"
              " poor INTEGER, category TEXT, eligible INTEGER, chk INTEGER, grp TEXT,"
              " PRIMARY KEY(run_id, unit)) WITHOUT ROWID;"
              "INSERT INTO u3 SELECT run_id, unit, score, poor, category, eligible, chk, grp"
              " FROM unit_scores;"
              "DROP TABLE unit_scores; DROP TABLE run_units; ALTER TABLE u3 RENAME TO unit_scores;"
              "PRAGMA user_version = 3;");
  char *o = raw_text(p, "SELECT group_concat(unit_order) FROM runs");
  assert_string_equal(o, "integer,text");
  free(o);
  /* read-only: the old layout, read in each run's key order */
  assert_int_equal(store_open_readonly(p, &st, &e), 0);
  verify_all(st, 1, 2, 12);
  store_iter *it;
  const char *unit;
  assert_int_equal(store_iter_begin(st, 1, &it, &e), 0);
  for (int i = 1; i <= 12; i++) {
    assert_int_equal(store_iter_next(it, &unit, NULL, NULL, NULL, NULL, &e), 1);
    snprintf(u, sizeof u, "%d", i);
    assert_string_equal(unit, u);
  }
  store_iter_end(it);
  store_close(st);
  assert_int_equal(raw_count(p, "PRAGMA user_version"), 3);
  /* read-write: upgraded */
  assert_int_equal(store_open(p, &st, &e), 0);
  assert_int_equal(raw_count(p, "PRAGMA user_version"), 4);
  o = raw_text(p, "SELECT group_concat(unit, ' ') FROM (SELECT unit FROM unit_scores"
                  " WHERE run_id = 1 ORDER BY seq)");
  assert_string_equal(o, "1 2 3 4 5 6 7 8 9 10 11 12");
  free(o);
  o = raw_text(p, "SELECT group_concat(unit, ' ') FROM (SELECT unit FROM unit_scores"
                  " WHERE run_id = 2 ORDER BY seq)");
  assert_string_equal(o, "1 10 11 12 2 3 4 5 6 7 8 9");
  free(o);
  assert_int_equal(raw_count(p, "SELECT count(*) FROM run_units r JOIN unit_scores s"
                                " USING (run_id, seq) WHERE r.unit = s.unit"), 24);
  verify_all(st, 1, 2, 12);
  double score;
  assert_int_equal(store_unit_result(st, 1, "11", &score, NULL, NULL, NULL, &e), 1);
  assert_true(score == 11 / 16.0);
  assert_int_equal(write_run(st, "after", 5), 3);
  verify_all(st, 3, 3, 5);
  store_close(st);
  free(p);
}

int main(void) {
  make_dir();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),   cmocka_unit_test(test_list_order),
      cmocka_unit_test(test_group_values),
      cmocka_unit_test(test_abort_leaves_nothing), cmocka_unit_test(test_killed_run),
      cmocka_unit_test(test_batched_rows),
      cmocka_unit_test(test_stored_order), cmocka_unit_test(test_stored_order_duplicate),
      cmocka_unit_test(test_upgrade_schema3),
      cmocka_unit_test(test_locked),       cmocka_unit_test(test_foreign_files),
      cmocka_unit_test(test_disk_full),    cmocka_unit_test(test_source_over_limit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
