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

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define EPS 1e-12

/* families(id, income): deprived below an income of 150; one indicator,
** k = 1, so H is the share of families with an income below 150. */
static const char *H_METHOD =
    "return { name = 'data2', version = '1',\n"
    "  unit = { table = 'families', id = 'id' },\n"
    "  dimensions = { { id = 'd', indicators = {\n"
    "    { id = 'i1', deprived = 'income < 150' } } } },\n"
    "  k = 1 }\n";

/* 5000 families f00000..f04999; the first 1000 have an income of 100, the
** others 1000: H = 1000 / 5000 = 0.2. */
#define FAMILIES_5000                                                                 \
  "CREATE TABLE families(id TEXT, income REAL);"                                    \
  "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 4999)" \
  " INSERT INTO families SELECT printf('f%05d', i), CASE WHEN i < 1000 THEN 100"   \
  " ELSE 1000 END FROM n;"

static void copy_file(const char *from, const char *to) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
  assert_int_equal(system(cmd), 0);
}

/* A directory the other user can enter but not write, holding copies of
** files it cannot write: read-only storage. Returns the path of the copy
** of the first file (static). */
static const char *readonly_dir(const char *dirname, const char *db, const char *const *suffixes) {
  static char path[1200];
  const char *dir = h_path(dirname);
  char cmd[2600];
  snprintf(cmd, sizeof cmd, "chmod -R u+w '%s' 2>/dev/null; rm -rf '%s' && mkdir -p '%s'", dir,
           dir, dir);
  assert_int_equal(system(cmd), 0);
  snprintf(path, sizeof path, "%s/data.db", dir);
  for (int i = 0; suffixes[i]; i++) {
    char from[1300], to[1300];
    snprintf(from, sizeof from, "%s%s", db, suffixes[i]);
    snprintf(to, sizeof to, "%s%s", path, suffixes[i]);
    copy_file(from, to);
  }
  snprintf(cmd, sizeof cmd, "chmod 444 '%s'/* && chmod 555 '%s'", dir, dir);
  assert_int_equal(system(cmd), 0);
  return path;
}

static h_result score_as(const char *db, const char *method, int nobody) {
  const char *args[] = {"score", "--db", db, "--method", method, "--json", NULL};
  h_opts o = {.as_nobody = nobody};
  return h_run_with(args, &o);
}

static void expect_refused(const char *db, const char *method, int nobody, const char *msg) {
  h_result r = score_as(db, method, nobody);
  char want[8300];
  snprintf(want, sizeof want, "afscore: %s\n", msg);
  if (r.status != 1) fail_msg("status %d, stderr %s", r.status, r.err);
  assert_string_equal(r.err, want);
  assert_string_equal(r.out, "");
  h_result_free(&r);
}

static void sql_exec(sqlite3 *db, const char *sql) {
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) fail_msg("%s: %s", sql, msg);
}

/* ---- a writer crashed mid-transaction (item 8) ---- */

/* The refusal of a database with a hot journal (static buffer). */
static const char *hot_message(const char *db) {
  static char msg[8192];
  snprintf(msg, sizeof msg,
           "%s: a writer crashed in the middle of a transaction (%s-journal is a hot journal), "
           "so the file holds a half-written state; roll the transaction back by reading the "
           "file once with sqlite3 where it can be written (sqlite3 %s 'PRAGMA "
           "integrity_check'), then try again", db, db, db);
  return msg;
}

/* hot.db is a copy of committed.db taken in the middle of a transaction that
** sets every income to 0: with a 5-page cache the update spills pages into
** the file before it commits, and the -journal beside the copy is hot (it
** holds the transaction and no process holds a lock on the copy). */
static void test_hot_journal_refused(void **state) {
  (void)state;
  const char *m = h_new_file("hot.lua", H_METHOD);
  const char *committed = h_new_db("committed.db", FAMILIES_5000);
  char hot[1024], hotj[1100], cj[1100];
  snprintf(hot, sizeof hot, "%s", h_path("hot.db"));
  snprintf(hotj, sizeof hotj, "%s-journal", hot);
  snprintf(cj, sizeof cj, "%s-journal", committed);
  unlink(hotj);
  sqlite3 *w;
  assert_int_equal(sqlite3_open(committed, &w), SQLITE_OK);
  sql_exec(w, "PRAGMA cache_size=5; BEGIN; UPDATE families SET income = 0;");
  copy_file(committed, hot);
  copy_file(cj, hotj);
  sql_exec(w, "ROLLBACK");
  sqlite3_close(w);

  expect_refused(hot, m, 0, hot_message(hot));
  /* on read-only storage too, where afscore reads without locks */
  const char *ro = readonly_dir("hot_ro", hot, (const char *const[]){"", "-journal", NULL});
  expect_refused(ro, m, 1, hot_message(ro));
  /* the advice works: a writer's read rolls back to the committed H = 0.2 */
  h_sql(hot, "PRAGMA integrity_check");
  h_result r = score_as(hot, m, 0);
  assert_int_equal(r.status, 0);
  assert_double_equal(jp_num(r.out, "H"), 0.2, EPS);
  h_result_free(&r);
}

/* ---- WAL on read-only storage (item 9) ---- */

/* wal.db holds H = 0.2 in its database file, and in its -wal a committed
** transaction setting incomes of families 1000..1499 to 100 (H = 0.3). A copy
** of both on read-only storage, without the -shm file SQLite reads the -wal
** through, cannot be read up to date: it is refused. With the -wal empty
** (checkpointed) the same copy is read. */
static void test_wal_on_readonly_storage(void **state) {
  (void)state;
  const char *m = h_new_file("wal.lua", H_METHOD);
  const char *db = h_path("wal.db");
  char wal[1100];
  snprintf(wal, sizeof wal, "%s-wal", db);
  unlink(db);
  unlink(wal);
  h_sql(db, "PRAGMA journal_mode=WAL;" FAMILIES_5000);
  sqlite3 *w;
  assert_int_equal(sqlite3_open(db, &w), SQLITE_OK);
  sql_exec(w, "PRAGMA wal_autocheckpoint=0; PRAGMA wal_checkpoint(TRUNCATE);"
              "UPDATE families SET income = 100 WHERE id BETWEEN 'f01000' AND 'f01499';");
  const char *ro = readonly_dir("wal_ro", db, (const char *const[]){"", "-wal", NULL});
  char msg[8192];
  snprintf(msg, sizeof msg,
           "%s: transactions in %s-wal cannot be read here: SQLite needs to create %s-shm to "
           "read them, and the directory cannot be written; checkpoint the database where it "
           "can be written (sqlite3 %s 'PRAGMA wal_checkpoint(TRUNCATE)'), or copy it with its "
           "-wal file to a writable directory", ro, ro, ro, ro);
  expect_refused(ro, m, 1, msg);
  /* where the -shm can be created, SQLite reads the -wal: H = 0.3 */
  char rw[1024], rwal[1100];
  snprintf(rw, sizeof rw, "%s", h_path("wal_rw.db"));
  snprintf(rwal, sizeof rwal, "%s-wal", rw);
  copy_file(db, rw);
  copy_file(wal, rwal);
  h_result r = score_as(rw, m, 0);
  assert_int_equal(r.status, 0);
  assert_double_equal(jp_num(r.out, "H"), 0.3, EPS);
  h_result_free(&r);
  /* checkpointed: the file alone is the committed state, read as immutable */
  sql_exec(w, "PRAGMA wal_checkpoint(TRUNCATE)");
  ro = readonly_dir("wal_ro2", db, (const char *const[]){"", "-wal", NULL});
  r = score_as(ro, m, 1);
  if (r.status != 0) fail_msg("status %d: %s", r.status, r.err);
  assert_double_equal(jp_num(r.out, "H"), 0.3, EPS);
  h_result_free(&r);
  sqlite3_close(w);
}

/* ---- endless queries (item 10) ---- */

/* A unit table that is a view over an endless recursive query: the read
** stops at the work limit, 100 million SQLite instructions for a file this
** small (8 KiB: 100 per byte is less), and says so. A CPU limit of 60 s
** turns a hang into a failure instead of a stuck test. */
static void test_endless_view_stopped(void **state) {
  (void)state;
  const char *m = h_new_file("endless.lua", H_METHOD);
  const char *db = h_new_db("endless.db",
                           "CREATE VIEW families AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL"
                           " SELECT i + 1 FROM n) SELECT 'f' || i AS id, 100 AS income FROM n;");
  struct stat sb;
  assert_int_equal(stat(db, &sb), 0);
  assert_true(sb.st_size * 100 < 100000000);
  const char *args[] = {"score", "--db", db, "--method", m, NULL};
  h_opts o = {.cpu_seconds = 60};
  h_result r = h_run_with(args, &o);
  char want[2048];
  snprintf(want, sizeof want,
           "afscore: %s: reading families stopped after 100 million SQLite instructions, the "
           "limit for this file (100 per byte, at least 100 million): is it a view over an "
           "endless or runaway query? Store the data in a table\n", db);
  assert_int_equal(r.status, 1);
  assert_string_equal(r.err, want);
  h_result_free(&r);
}

/* ---- ids (item 11) ---- */

/* Ids are INTEGER or TEXT with an exact identity; anything else is refused
** at its row (the rowid), before a run could merge two units. */
static void test_ids_exact_or_refused(void **state) {
  (void)state;
  const char *m = h_new_file("ids.lua", H_METHOD);
  static const struct {
    const char *rows, *msg;
  } cases[] = {
      /* differ only after a NUL byte */
      {"(1, 'ok', 100), (2, 'a' || char(0) || 'x', 100), (3, 'a' || char(0) || 'y', 100)",
       "table families, row 2: unit id 'a' is TEXT with a NUL byte (byte 2 of 3); unit ids "
       "must not hold NUL bytes (ids that differ after one would be merged)"},
      /* share 15 significant digits */
      {"(1, 1.0000000000000002, 100), (2, 1.0000000000000004, 100)",
       "table families, row 1: unit id 1.0000000000000002 is a REAL number; unit ids must be "
       "INTEGER or TEXT (REAL ids that print alike would be merged)"},
      {"(1, 7, 100), (2, X'6162', 100)",
       "table families, row 2: unit id X'6162' is a BLOB (raw bytes), not TEXT; unit ids must "
       "be INTEGER or TEXT (store them as TEXT: CAST(id AS TEXT))"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char sql[512];
    snprintf(sql, sizeof sql, "CREATE TABLE families(rid INTEGER PRIMARY KEY, id, income REAL);"
                              "INSERT INTO families VALUES %s;", cases[i].rows);
    expect_refused(h_new_db("ids.db", sql), m, 0, cases[i].msg);
  }
  /* INTEGER ids and TEXT ids that differ in their last byte stay apart:
  ** H = 1/2 over two units each */
  const char *ok[] = {"(1, 10, 100), (2, 11, 1000)", "(1, 'a1', 100), (2, 'a2', 1000)"};
  for (int i = 0; i < 2; i++) {
    char sql[512];
    snprintf(sql, sizeof sql, "CREATE TABLE families(rid INTEGER PRIMARY KEY, id, income REAL);"
                              "INSERT INTO families VALUES %s;", ok[i]);
    h_result r = score_as(h_new_db("ids.db", sql), m, 0);
    assert_int_equal(r.status, 0);
    assert_double_equal(jp_num(r.out, "n"), 2, 0);
    assert_double_equal(jp_num(r.out, "H"), 0.5, 0);
    h_result_free(&r);
  }
}

/* ---- points totals (item 12) ---- */

/* Four indicators of +-1e308 points for x = 1: the true total is 0, but a
** double sum passes through infinity. That is an error naming the unit and
** the indicators, not a total of inf in the top band. */
static void test_points_total_overflow(void **state) {
  (void)state;
  const char *m = h_new_file(
      "overflow.lua",
      "local function ind(id, p) return { id = id, points = { { when = 'x = 1', points = p } } }"
      " end\n"
      "return { name = 'overflow', version = '1', scoring = 'points',\n"
      "  unit = { table = 'u', id = 'id' },\n"
      "  dimensions = { { id = 'd', indicators = { ind('a', 1e308), ind('b', 1e308),\n"
      "    ind('c', -1e308), ind('d', -1e308) } } },\n"
      "  bands = { { id = 'low', from = -math.huge }, { id = 'top', from = 1 } } }\n");
  const char *db = h_new_db("overflow.db", "CREATE TABLE u(id TEXT, x INTEGER);"
                                          "INSERT INTO u VALUES ('u0', 0), ('u1', 1);");
  expect_refused(db, m, 0,
                 "unit 'u1': the total of points is not a finite number (inf): indicators "
                 "a (1e+308), b (1e+308), c (-1e+308), d (-1e+308); amounts this large cannot "
                 "be added up");
}

/* Amounts near 10^12 are kept exactly: 999999999999.5 + 0.5 is 10^12, which
** reaches band 'A' from 10^12 (a tolerance of 1e-12 relative read the first
** amount as 999999999999, a total of 999999999999.5, in 'B', while saying
** exact). */
static void test_large_amounts_exact(void **state) {
  (void)state;
  const char *m = h_new_file(
      "large.lua",
      "return { name = 'large', version = '1', scoring = 'points',\n"
      "  unit = { table = 'u', id = 'id' },\n"
      "  dimensions = { { id = 'd', indicators = {\n"
      "    { id = 'x', points = { { when = 'x = 1', points = 999999999999.5 } } },\n"
      "    { id = 'y', points = { { when = 'y = 1', points = 0.5 } } } } } },\n"
      "  bands = { { id = 'B', from = -math.huge }, { id = 'A', from = 1e12 } } }\n");
  const char *db = h_new_db("large.db", "CREATE TABLE u(id TEXT, x INTEGER, y INTEGER);"
                                       "INSERT INTO u VALUES ('both', 1, 1), ('x', 1, 0);");
  const char *out = h_path("large-out.db");
  unlink(out);
  const char *args[] = {"score", "--db", db, "--method", m, "--out", out, "--json", NULL};
  h_result r = h_run(args);
  assert_int_equal(r.status, 0);
  assert_has(r.out, "\"exact\": true");
  h_result_free(&r);
  char *cat = h_sql_text(out, "SELECT category FROM unit_scores WHERE unit = 'both'");
  assert_string_equal(cat, "A");
  free(cat);
  assert_double_equal(h_sql_double(out, "SELECT score FROM unit_scores WHERE unit = 'both'"),
                      1e12, 0);
  cat = h_sql_text(out, "SELECT category FROM unit_scores WHERE unit = 'x'");
  assert_string_equal(cat, "B");
  free(cat);
  assert_double_equal(h_sql_double(out, "SELECT score FROM unit_scores WHERE unit = 'x'"),
                      999999999999.5, 0);
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
  return h_new_file(name, text);
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
  const char *db = h_new_db("csv.db", "CREATE TABLE u(id TEXT, x INTEGER);"
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
  ** both totals 10, no indicator's points changed: the reason is the bound;
  ** it loses the measure of 'A,1' */
  const char *csv = h_path("csv-changes.csv");
  unlink(csv);
  const char *cmp[] = {"compare", "--db", db, "--method", base, "--method", var,
                       "--changes", csv, NULL};
  r = h_run(cmp);
  assert_int_equal(r.status, 0);
  h_result_free(&r);
  assert_string_equal(slurp(csv),
                      "unit,old_category,new_category,old_score,new_score,flipped_indicators,"
                      "reasons,old_poor,new_poor,measures_gained,measures_lost\n"
                      "\"u\"\"1\",\"A,1\",\"B\"\"q\",10,10,\"\",\"category A,1 from 5 -> 20\",,,"
                      "\"\",\"m\nforged,row\"\n");
}

/* ---- control characters (item 14) ---- */

/* Does text hold a control character other than newline (or any newline
** but the last, when one_line)? */
static int has_raw_control(const char *text, int one_line) {
  size_t n = strlen(text);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)text[i];
    if (c == '\n' && (!one_line || i == n - 1)) continue;
    if (c < 0x20 || c == 0x7f) return 1;
  }
  return 0;
}

/* An ESC sequence and a newline in the data, in an error and in a text
** report, and in a script's error: shown as \x1b and \n, never raw. */
static void test_control_characters_escaped(void **state) {
  (void)state;
  const char *m = h_new_file(
      "ctl.lua",
      "return { name = 'ctl', version = '1',\n"
      "  unit = { table = 'families', id = 'id', groups = { 'region' } },\n"
      "  dimensions = { { id = 'd', indicators = {\n"
      "    { id = 'i1', deprived = 'income < 150' } } } },\n"
      "  k = 1 }\n");
  /* an id in an error message */
  const char *db = h_new_db("ctl1.db", "CREATE TABLE families(id TEXT, region TEXT, income REAL);"
                                      "INSERT INTO families VALUES (char(27) || '[31mX', 'n', 1),"
                                      " (char(27) || '[31mX', 'n', 2);");
  expect_refused(db, m, 0, "table families: duplicate unit id '\\x1b[31mX'");
  /* a value with a newline and a CR in an error message */
  db = h_new_db("ctl2.db", "CREATE TABLE families(id TEXT, region TEXT, income REAL);"
                          "INSERT INTO families VALUES ('a', 'n', 'x' || char(10) || 'y' || char(13));");
  expect_refused(db, m, 0,
                 "table families, column income, row 1 (unit 'a'): text 'x\\ny\\r' where a "
                 "number is expected");
  /* a group value in the text report: one cell on one line, the layout's
  ** own newlines stay */
  db = h_new_db("ctl3.db", "CREATE TABLE families(id TEXT, region TEXT, income REAL);"
                           "INSERT INTO families VALUES ('a', char(27) || '[2Jred' || char(10)"
                           " || 'x', 100);");
  const char *args[] = {"score", "--db", db, "--method", m, NULL};
  h_result r = h_run(args);
  assert_int_equal(r.status, 0);
  assert_false(has_raw_control(r.out, 0));
  assert_has(r.out, "\n  \\x1b[2Jred\\nx ");
  h_result_free(&r);
  /* a script's error */
  const char *bad = h_new_file("ctl-bad.lua", "error('\\27[2J boom\\nforged', 0)\n");
  const char *chk[] = {"check", bad, NULL};
  r = h_run(chk);
  assert_int_equal(r.status, 1);
  assert_false(has_raw_control(r.err, 1));
  assert_has(r.err, "\\x1b[2J boom\\nforged");
  h_result_free(&r);
}

/* Every human text output with values that hold a newline and an ESC
** sequence (E = "\n\27[31m") in each place a value can reach: the
** methodology's name, version, area, indicator, category and measure ids and
** names; a unit id and a group value in the data; a case name and expected
** values in a cases file. Each is shown as \n\x1b[31m, on the line where it
** belongs: no raw control character but the layout's newlines, and no
** "\n\x1b[31m" with a raw newline (the remnant of a value's newline). CSV
** output keeps the bytes (quoted) and is not checked here. */
#define E_SHOWN "\\n\\x1b[31m"

static void expect_text_escaped(const char *text, int shown) {
  assert_false(has_raw_control(text, 0));
  assert_lacks(text, "\n\\x1b[31m");
  if (shown) assert_has(text, E_SHOWN);
}

/* Run afscore and assert the status; neither stream holds a raw control,
** and the values show (escaped) in one of them. The streams stay in *r for
** exact checks. */
static void run_escaped(const char *const *args, int status, h_result *r) {
  *r = h_run(args);
  if (r->status != status) fail_msg("%s: status %d, stderr %s", args[0], r->status, r->err);
  expect_text_escaped(r->out, 0);
  expect_text_escaped(r->err, 0);
  if (!h_has(r->out, E_SHOWN)) assert_has(r->err, E_SHOWN);
}

static const char *CTL_METHOD =
    "local E = '\\n\\27[31m'\n"
    "return { name = 'ctl' .. E, version = '1' .. E, scoring = 'points',\n"
    "  unit = { table = 'u', id = 'id', groups = { 'region' } },\n"
    "  dimensions = { { id = 'd' .. E, name = 'area' .. E, indicators = {\n"
    "    { id = 'x' .. E, name = 'ind' .. E, points = { { when = 'x = 1', points = 10 } } } } } },\n"
    "  bands = { { id = 'B' .. E, name = 'low' .. E, from = -math.huge },\n"
    "            { id = 'A' .. E, name = 'high' .. E, from = %d } },\n"
    "  measures = { { id = 'm' .. E, name = 'meas' .. E, eligible = 'x = 1',\n"
    "                 notice = { ru = 'say {unit}' } },\n"
    "               { id = 'n' .. E, name = 'other' .. E, eligible = 'x = 1' } } }\n";

static void test_control_characters_in_every_text_output(void **state) {
  (void)state;
  char text[2048];
  snprintf(text, sizeof text, CTL_METHOD, 5);
  char m[1100], v[1100];
  snprintf(m, sizeof m, "%s", h_new_file("ctl-every.lua", text));
  snprintf(text, sizeof text, CTL_METHOD, 20);
  snprintf(v, sizeof v, "%s", h_new_file("ctl-every-v.lua", text));
  /* unit u<E> (x = 1: 10 points, category A<E> under m, B<E> under v, both
  ** measures) in region r<E>; unit plain (x = 0: 0 points, B<E>) */
  const char *data = "CREATE TABLE u(id TEXT, region TEXT, x INTEGER);"
                     "INSERT INTO u VALUES ('u' || char(10) || char(27) || '[31m',"
                     " 'r' || char(10) || char(27) || '[31m', 1), ('plain', 'n', 0);";
  char db[1100], db2[1100], out[1100], want[4096];
  snprintf(db, sizeof db, "%s", h_new_db("ctl-every.db", data));
  snprintf(db2, sizeof db2, "%s", h_new_db("ctl-every2.db", data));
  h_sql(db2, "UPDATE u SET x = 0");
  snprintf(out, sizeof out, "%s", h_path("ctl-every-out.db"));
  unlink(out);
  const char *unit = "u\n\x1b[31m";
  h_result r;

  const char *check[] = {"check", m, NULL};
  run_escaped(check, 0, &r);
  snprintf(want, sizeof want, "signature: %s: unsigned\n%s: ok: ctl" E_SHOWN ", version 1"
           E_SHOWN ", points scoring, 1 indicators in 1 areas, 2 bands\n", m, m);
  assert_string_equal(r.out, want);
  snprintf(want, sizeof want, "%s:8: warning: measure 'n" E_SHOWN "' has no notice in 'ru'", m);
  assert_has(r.err, want);
  h_result_free(&r);

  const char *describe[] = {"describe", m, NULL};
  run_escaped(describe, 0, &r);
  assert_has(r.out, "\n  d" E_SHOWN ": area" E_SHOWN "\n    x" E_SHOWN ": ind" E_SHOWN "\n");
  h_result_free(&r);
  const char *markdown[] = {"describe", m, "--format", "markdown", NULL};
  run_escaped(markdown, 0, &r);
  assert_has(r.out, "# ctl" E_SHOWN "\n");
  h_result_free(&r);

  const char *diff[] = {"diff", m, v, NULL};
  run_escaped(diff, 0, &r);
  snprintf(want, sizeof want, "--- %s (ctl" E_SHOWN ", version 1" E_SHOWN ")\n", m);
  assert_has(r.out, want);
  assert_has(r.out, "\n~ category A" E_SHOWN " scores: from 5 -> from 20\n");
  h_result_free(&r);

  const char *score[] = {"score", "--db", db, "--method", m, "--out", out, NULL};
  run_escaped(score, 0, &r);
  assert_has(r.out, "ctl" E_SHOWN " (version 1" E_SHOWN "), points scoring\n");
  assert_has(r.out, "\n  r" E_SHOWN "  ");
  h_result_free(&r);
  const char *score_v[] = {"score", "--db", db, "--method", v, "--out", out, NULL};
  run_escaped(score_v, 0, &r);
  h_result_free(&r);

  const char *explain[] = {"explain", unit, "--out", out, "--run", "1", "--db", db, NULL};
  run_escaped(explain, 0, &r);
  assert_has(r.out, "unit u" E_SHOWN ": ctl" E_SHOWN " (version 1" E_SHOWN ")\n");
  assert_has(r.out, "\ncategory A" E_SHOWN " (high" E_SHOWN "): scores from 5 up\n");
  assert_has(r.out, "\nrecorded in run 1: score 10, category A" E_SHOWN "\n");
  h_result_free(&r);

  const char *runs[] = {"runs", "--out", out, NULL};
  run_escaped(runs, 0, &r);
  assert_has(r.out, "  ctl" E_SHOWN "  ");
  h_result_free(&r);

  const char *show[] = {"show", "1", "--out", out, NULL};
  run_escaped(show, 0, &r);
  assert_has(r.out, "\nmethodology: ctl" E_SHOWN ", version 1" E_SHOWN " (points scoring)");
  h_result_free(&r);

  const char *notices[] = {"notices", "--out", out, "--run", "1", "--lang", "ru", NULL};
  r = h_run(notices);
  assert_int_equal(r.status, 0);
  assert_string_equal(r.err, "afscore notices: warning: measure 'n" E_SHOWN "' has no notice "
                             "in 'ru': 1 row carry its name instead\n");
  h_result_free(&r);

  const char *compare[] = {"compare", "--db", db, "--method", m, "--method", v, NULL};
  run_escaped(compare, 0, &r);
  snprintf(want, sizeof want, "base:    ctl" E_SHOWN " (%s)\n", m);
  assert_has(r.out, want);
  assert_has(r.out, "\n  ~ category A" E_SHOWN " scores: from 5 -> from 20\n");
  h_result_free(&r);
  const char *runcmp[] = {"compare", "--out", out, "--run", "1", "--run", "2", NULL};
  run_escaped(runcmp, 0, &r);
  assert_has(r.out, "run A: 1, ctl" E_SHOWN " (version 1" E_SHOWN "), ");
  h_result_free(&r);

  const char *replay[] = {"replay", "1", "--out", out, "--db", db2, NULL};
  run_escaped(replay, 1, &r);
  assert_has(r.err, "\n  unit 'u" E_SHOWN "': recorded (category A" E_SHOWN ", score 10, poor -, "
                    "eligible 0x3); recomputed (category B" E_SHOWN ", score 0, poor -, "
                    "eligible 0x0)\n");
  h_result_free(&r);

  const char *sweep[] = {"sweep", "--db", db, "--method", m, NULL};
  run_escaped(sweep, 0, &r);
  assert_has(r.out, "ctl" E_SHOWN ": 2 distinct scores over 2 units\n");
  h_result_free(&r);

  char cases[1100];
  snprintf(cases, sizeof cases, "%s", h_path("ctl-every.test.lua"));
  h_write(cases, "local E = '\\n\\27[31m'\n"
                 "return { cases = {\n"
                 "  { name = 'one' .. E, unit = { x = 1 }, expect = { category = 'B' .. E } } } }\n");
  const char *test[] = {"test", m, NULL};
  run_escaped(test, 1, &r);
  snprintf(want, sizeof want, "%s:3: FAIL one" E_SHOWN ": category expected B" E_SHOWN
           ", got A" E_SHOWN "\n", cases);
  assert_has(r.out, want);
  h_result_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hot_journal_refused),
      cmocka_unit_test(test_wal_on_readonly_storage),
      cmocka_unit_test(test_endless_view_stopped),
      cmocka_unit_test(test_ids_exact_or_refused),
      cmocka_unit_test(test_points_total_overflow),
      cmocka_unit_test(test_large_amounts_exact),
      cmocka_unit_test(test_csv_fields_escaped),
      cmocka_unit_test(test_control_characters_escaped),
      cmocka_unit_test(test_control_characters_in_every_text_output),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
