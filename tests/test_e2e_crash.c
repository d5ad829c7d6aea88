/*
** test_e2e_crash.c: the results database under crashes and contention,
** through the real binary:
**  - kill -9 at five moments of `score --out` on 200,000 generated
**    families: afterwards PRAGMA integrity_check is ok and every run in
**    `runs` is whole (as many unit_scores rows as runs.units = the
**    population, a summary), and the next run still records;
**  - the same for the first run into a new file, which goes through a
**    rollback journal (store.c): a read-only command never shows the run
**    cut short (it lists whole runs, or says the file must be rolled back
**    by a writing command), and the next score records; a finished first
**    run leaves the file in WAL mode with no journal beside it;
**  - another writer holding the results database: score waits
**    (AFSCORE_BUSY_TIMEOUT, here 0.1 s), then
**    fails with "results database R is locked by another process" and
**    records nothing; a reader does not block it;
**  - a full disk (RLIMIT_FSIZE in the child, SIGXFSZ ignored): a clear
**    error, exit 1, no partial run, and the earlier runs intact; the same
**    for the first run into a new file.
** Kill moments are fractions of a measured full run, so they fall in
** loading, reading, writing and committing on any machine; nothing about
** timing is asserted.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "util.h"

#define FAMILIES 200000   /* the kill test */
#define SMALL 20000       /* the lock and disk-full tests */

/* h_path and h_root rotate among 8 buffers: keep copies. */
static const char *keep(char *buf, const char *p) {
  snprintf(buf, 1100, "%s", p);
  return buf;
}
static const char *data_db(void) {
  static char b[1100];
  return keep(b, h_path("crash_data.db"));
}
static const char *small_db(void) {
  static char b[1100];
  return keep(b, h_path("crash_small.db"));
}
static const char *method(void) {
  static char b[1100];
  return keep(b, h_root("methodology/kz_family_2023.lua"));
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Start afscore with args (stderr to a file in the scratch directory);
** fsize > 0 caps the size of files it writes. */
static pid_t spawn(const char *const *args, long fsize) {
  h_opts o = {.fsize = fsize};
  return h_spawn(args, &o, NULL, h_path("crash.stderr"));
}

static int wait_status(pid_t pid) { return h_wait(pid); }

static char *last_stderr(void) {
  char *text = NULL;
  size_t len;
  af_err e;
  if (af_read_file(h_path("crash.stderr"), &text, &len, &e) < 0) return af_strdup("");
  return text;
}

static int score_into(const char *db, const char *out, long fsize) {
  const char *args[] = {"score", "--db", db, "--method", method(), "--out", out, NULL};
  return wait_status(spawn(args, fsize));
}

/* Generate a population unless it is already there with the right size
** (kept between test runs). */
static int generate(const char *db, int families) {
  struct stat sb;
  if (stat(db, &sb) == 0) {
    sqlite3 *h;
    int ok = 0;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
      sqlite3_stmt *st;
      if (sqlite3_prepare_v2(h, "SELECT count(*) FROM families", -1, &st, NULL) == SQLITE_OK &&
          sqlite3_step(st) == SQLITE_ROW)
        ok = sqlite3_column_int(st, 0) == families;
      sqlite3_finalize(st);
    }
    sqlite3_close(h);
    if (ok) return 0;
  }
  unlink(db);
  char n[32];
  snprintf(n, sizeof n, "%d", families);
  const char *args[] = {"generate", "--families", n, "--seed", "7", "--out", db, NULL};
  return wait_status(spawn(args, 0)) == 0 ? 0 : -1;
}

static int setup(void **state) {
  (void)state;
  return generate(data_db(), FAMILIES) == 0 && generate(small_db(), SMALL) == 0 ? 0 : -1;
}

/* Every recorded run is whole: integrity ok, each run's unit_scores rows
** = runs.units = the population, a summary and a data fingerprint. Returns
** the number of runs. */
static int check_runs_whole(const char *out, int units) {
  char *ok = h_sql_text(out, "PRAGMA integrity_check");
  assert_string_equal(ok, "ok");
  free(ok);
  int runs = (int)h_sql_double(out, "SELECT count(*) FROM runs");
  char sql[400];
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM runs r WHERE r.units IS NOT %d OR r.summary_json IS NULL"
           " OR r.data_sha256 IS NULL OR (SELECT count(*) FROM unit_scores u"
           " WHERE u.run_id = r.id) <> r.units",
           units);
  assert_double_equal(h_sql_double(out, sql), 0, 0);
  /* no unit rows or files of a run that is not in runs */
  assert_double_equal(h_sql_double(out, "SELECT count(*) FROM unit_scores WHERE run_id NOT IN"
                                        " (SELECT id FROM runs)"), 0, 0);
  assert_double_equal(h_sql_double(out, "SELECT count(*) FROM run_files WHERE run_id NOT IN"
                                        " (SELECT id FROM runs)"), 0, 0);
  return runs;
}

static void remove_db(const char *p) {
  char side[1200];
  unlink(p);
  snprintf(side, sizeof side, "%s-wal", p);
  unlink(side);
  snprintf(side, sizeof side, "%s-shm", p);
  unlink(side);
  snprintf(side, sizeof side, "%s-journal", p);
  unlink(side);
}

/* Kill moments, as fractions of a full run: start-up, reading and scoring,
** writing unit rows, around the commit. */
static const double KILL_AT[] = {0.05, 0.3, 0.6, 0.85, 0.95};
#define NKILLS (sizeof KILL_AT / sizeof *KILL_AT)

/* A first run into a new out, timed: its seconds. */
static double timed_first_run(const char *out) {
  remove_db(out);
  double t0 = now();
  assert_int_equal(score_into(data_db(), out, 0), 0);
  double full = now() - t0;
  assert_int_equal(check_runs_whole(out, FAMILIES), 1);
  return full;
}

/* Start score --out out, kill -9 it after d seconds: its exit status. */
static int score_killed_after(const char *out, double d) {
  const char *args[] = {"score", "--db", data_db(), "--method", method(), "--out", out, NULL};
  pid_t pid = spawn(args, 0);
  struct timespec ts = {(time_t)d, (long)((d - (time_t)d) * 1e9)};
  nanosleep(&ts, NULL);
  kill(pid, SIGKILL);
  return wait_status(pid);
}

static void test_kill_during_score(void **state) {
  (void)state;
  char outbuf[1100];
  const char *out = keep(outbuf, h_path("crash_results.db"));
  double full = timed_first_run(out);
  int killed = 0, finished = 0;
  for (size_t i = 0; i < NKILLS; i++) {
    int st = score_killed_after(out, KILL_AT[i] * full);
    if (st == 128 + SIGKILL) killed++;
    else if (st == 0) finished++;
    else fail_msg("score ended with status %d", st);
    /* after each kill: consistent, whole runs only */
    int runs = check_runs_whole(out, FAMILIES);
    if (runs < 1 + finished)
      fail_msg("kill %zu: %d runs recorded, but %d finished", i, runs, 1 + finished);
    assert_true(runs <= 1 + (int)i + 1);
  }
  /* the kills did hit something (the runs are not all finished) */
  assert_true(killed >= 1);
  /* and the database still takes a run */
  int before = check_runs_whole(out, FAMILIES);
  assert_int_equal(score_into(data_db(), out, 0), 0);
  assert_int_equal(check_runs_whole(out, FAMILIES), before + 1);
}

static int file_there(const char *path, const char *suffix) {
  char p[1200];
  struct stat sb;
  snprintf(p, sizeof p, "%s%s", path, suffix);
  return stat(p, &sb) == 0;
}

/* `afscore runs` on out, read-only: 0 with every run listed whole, or 1
** saying the run cut short must first be rolled back, or, killed between
** creating the file and writing its first page (a window of microseconds),
** 1 saying the file is empty. */
static void check_readonly_after_kill(const char *out) {
  const char *args[] = {"runs", "--out", out, "--json", NULL};
  int st = wait_status(spawn(args, 0));
  char *err = last_stderr();
  char cut[2600], empty[1200];
  snprintf(cut, sizeof cut,
           "afscore: results database %s: a run was cut short while it was being written (%s-journal"
           " is beside it); the next command that writes the file (score --out) rolls it back\n",
           out, out);
  snprintf(empty, sizeof empty, "afscore: %s is not an afscore results database (it is empty)\n",
           out);
  if (st == 1 && strcmp(err, empty) != 0) assert_string_equal(err, cut);
  else if (st != 0 && st != 1) fail_msg("runs ended with status %d: %s", st, err);
  free(err);
}

static void test_kill_during_first_run(void **state) {
  (void)state;
  char outbuf[1100];
  const char *out = keep(outbuf, h_path("crash_first.db"));
  double full = timed_first_run(out);
  /* the first run went through a journal; the file is WAL now, at rest */
  char *mode = h_sql_text(out, "PRAGMA journal_mode");
  assert_string_equal(mode, "wal");
  free(mode);
  assert_false(file_there(out, "-journal"));
  int cut = 0;
  for (size_t i = 0; i < NKILLS; i++) {
    remove_db(out);
    int st = score_killed_after(out, KILL_AT[i] * full);
    if (st != 0 && st != 128 + SIGKILL) fail_msg("score ended with status %d", st);
    if (file_there(out, "")) check_readonly_after_kill(out);
    /* a writing command rolls the cut run back and records its own */
    assert_int_equal(score_into(data_db(), out, 0), 0);
    int runs = check_runs_whole(out, FAMILIES);
    assert_false(file_there(out, "-journal"));
    /* A process killed after its commit, while it was still exiting (the
    ** leak check of a sanitized build takes a while), has recorded its run
    ** whole: 2 runs. One killed before its commit has recorded nothing. */
    if (st == 0) assert_int_equal(runs, 2);
    else assert_in_range(runs, 1, 2);
    cut += runs == 1;
  }
  /* the kills did cut some first run short */
  assert_true(cut >= 1);
}

static void test_locked_by_another_writer(void **state) {
  (void)state;
  char outbuf[1100];
  const char *out = keep(outbuf, h_path("crash_locked.db"));
  remove_db(out);
  assert_int_equal(score_into(small_db(), out, 0), 0);
  sqlite3 *h;
  assert_int_equal(sqlite3_open(out, &h), SQLITE_OK);
  /* a reader in WAL mode does not block a run */
  assert_int_equal(sqlite3_exec(h, "BEGIN; SELECT count(*) FROM runs;", NULL, NULL, NULL), SQLITE_OK);
  assert_int_equal(score_into(small_db(), out, 0), 0);
  assert_int_equal(sqlite3_exec(h, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
  /* a writer does: wait (here 0.1 s, not the default 5 s, which
  ** test_store checks), then a clear error, nothing recorded */
  assert_int_equal(sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
  setenv("AFSCORE_BUSY_TIMEOUT", "100", 1);
  double t0 = now();
  assert_int_equal(score_into(small_db(), out, 0), 1);
  assert_true(now() - t0 >= 0.1);
  unsetenv("AFSCORE_BUSY_TIMEOUT");
  char *err = last_stderr();
  char want[1200];
  snprintf(want, sizeof want, "afscore: results database %s is locked by another process\n", out);
  assert_string_equal(err, want);
  free(err);
  assert_int_equal(sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(h);
  assert_int_equal(check_runs_whole(out, SMALL), 2);
}

static void test_disk_full(void **state) {
  (void)state;
  char outbuf[1100];
  const char *out = keep(outbuf, h_path("crash_full.db"));
  remove_db(out);
  /* a first run with room to spare */
  assert_int_equal(score_into(small_db(), out, 0), 0);
  /* A second run writes about 700 kB (20,000 unit rows, into the WAL from
  ** its start); files may not grow past 256 kB: the unit rows cannot fit,
  ** though the first run's database, larger than that, is still read. */
  assert_int_equal(score_into(small_db(), out, 256L << 10), 1);
  char *err = last_stderr();
  char want1[1400], want2[1400];
  snprintf(want1, sizeof want1, "afscore: results database %s: disk full; the run was not recorded\n",
           out);
  snprintf(want2, sizeof want2,
           "afscore: results database %s: cannot write (disk full or file size limit reached); the "
           "run was not recorded\n", out);
  if (strcmp(err, want1) != 0 && strcmp(err, want2) != 0) fail_msg("stderr: %s", err);
  free(err);
  /* no trace of the failed run; the first is intact; a later run with room
  ** records */
  assert_int_equal(check_runs_whole(out, SMALL), 1);
  assert_int_equal(score_into(small_db(), out, 0), 0);
  assert_int_equal(check_runs_whole(out, SMALL), 2);
  /* a first run into a new file that cannot grow past 64 kB: the same
  ** error; the file holds its schema and no run, and takes the next run */
  remove_db(out);
  assert_int_equal(score_into(small_db(), out, 64L << 10), 1);
  err = last_stderr();
  if (strcmp(err, want1) != 0 && strcmp(err, want2) != 0) fail_msg("stderr: %s", err);
  free(err);
  assert_int_equal(check_runs_whole(out, SMALL), 0);
  assert_false(file_there(out, "-journal"));
  assert_int_equal(score_into(small_db(), out, 0), 0);
  assert_int_equal(check_runs_whole(out, SMALL), 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kill_during_score),
      cmocka_unit_test(test_kill_during_first_run),
      cmocka_unit_test(test_locked_by_another_writer),
      cmocka_unit_test(test_disk_full),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
