/*
** test_e2e_baddata.c: what `afscore score` (and check, compare, sweep,
** explain, replay) do with bad data, on small SQLite files built here:
** declared types that do not fit a rule, text or blobs in numeric columns,
** NULL everywhere, empty tables, units without members, orphan members,
** duplicate unit ids, non-UTF-8 text, huge numbers, NaN and infinities, files
** that are not SQLite or do not exist, and hostile table and column names.
** After every command the input database is byte-for-byte unchanged (its
** SHA-256 is compared), and the input also works when it cannot be written.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "util.h"

#define EPS 1e-12
/* The tables METHOD reads; each test adds its own rows. */
#define SCHEMA                                                 \
  "CREATE TABLE families(id TEXT, region TEXT, income REAL);" \
  "CREATE TABLE persons(fid TEXT, age INTEGER);"

/* families(id, region, income) with members persons(fid, age): i1 is
** deprived below an income of 150 (missing counts as deprived), i2 when a
** member is a child; weights 1/2 each, k = 1/2. */
static const char *METHOD =
    "return {\n"
    "  name = 'bad data', version = '1',\n"
    "  unit = { table = 'families', id = 'id', groups = { 'region' } },\n"
    "  members = { table = 'persons', unit = 'fid' },\n"
    "  dimensions = { { id = 'd', indicators = {\n"
    "    { id = 'i1', deprived = 'income < 150', missing = 'deprived' },\n"
    "    { id = 'i2', deprived = 'any(age < 18)' } } } },\n"
    "  k = 1/2,\n"
    "}\n";

/* Run afscore with args and assert that db (when it exists) is unchanged. */
static h_result run_on(const char *db, const char *const *args) {
  char before[65] = "", after[65] = "";
  struct stat sb;
  int had = stat(db, &sb) == 0 && S_ISREG(sb.st_mode);
  if (had) h_file_sha256(db, before);
  h_result r = h_run(args);
  if (had) {
    h_file_sha256(db, after);
    if (strcmp(before, after) != 0) fail_msg("%s changed by %s", db, args[0]);
  } else if (stat(db, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
    fail_msg("%s created by %s", db, args[0]);
  }
  return r;
}

static h_result score(const char *db, const char *method, const char *out, int json) {
  const char *args[9] = {"score", "--db", db, "--method", method};
  int n = 5;
  if (out) args[n++] = "--out", args[n++] = out;
  if (json) args[n++] = "--json";
  args[n] = NULL;
  return run_on(db, args);
}

/* Expect score to fail with exactly "afscore: msg\n" on stderr. */
static void expect_fail(const char *db, const char *method, const char *msg) {
  h_result r = score(db, method, NULL, 0);
  char want[2048];
  snprintf(want, sizeof want, "afscore: %s\n", msg);
  if (r.status != 1) fail_msg("status %d, stderr %s", r.status, r.err);
  assert_string_equal(r.err, want);
  h_result_free(&r);
}

static int count_runs(const char *out) {
  return (int)h_sql_double(out, "SELECT count(*) FROM runs");
}

/* ---------------------------------------------------------- types, values */

static void test_declared_type_does_not_fit(void **state) {
  (void)state;
  const char *db = h_new_db("bd_types.db",
                           "CREATE TABLE families(id TEXT, region TEXT, income TEXT, urban INTEGER);"
                           "CREATE TABLE persons(fid TEXT, age INTEGER);"
                           "INSERT INTO families VALUES ('a', 'N', '100', 1);");
  /* income is declared TEXT: a rule comparing it with < is refused at the
  ** indicator's line, before any data is read, by check --db and by score */
  const char *m = h_new_file("bd_types.lua", METHOD);
  char want[2048];
  snprintf(want, sizeof want,
           "%s:6: indicator 'i1': rule \"income < 150\": text can only be compared with =, != or "
           "in near 'income < 150' at column 1\n", m);
  const char *args[] = {"check", m, "--db", db, NULL};
  h_result r = run_on(db, args);
  assert_int_equal(r.status, 1);
  assert_string_equal(r.err, want);
  h_result_free(&r);
  r = score(db, m, NULL, 0);
  assert_int_equal(r.status, 1);
  assert_string_equal(r.err, want);
  h_result_free(&r);
  /* a number column compared with text */
  const char *at = strstr(METHOD, "income < 150");
  char *text = af_sprintf("%.*surban = \"x\"%s", (int)(at - METHOD), METHOD, at + 12);
  m = h_new_file("bd_types2.lua", text);
  free(text);
  snprintf(want, sizeof want,
           "%s:6: indicator 'i1': rule \"urban = \"x\"\": cannot compare a number with text near "
           "'urban = \"x\"' at column 1\n", m);
  r = score(db, m, NULL, 0);
  assert_int_equal(r.status, 1);
  assert_string_equal(r.err, want);
  h_result_free(&r);
}

static void test_text_in_numeric_column(void **state) {
  (void)state;
  const char *m = h_new_file("bd_text.lua", METHOD);
  /* REAL affinity keeps 'abc' as text: the error names table, column, row
  ** (rowid) and unit */
  const char *db = h_new_db("bd_text.db", SCHEMA
                                         "INSERT INTO families VALUES ('a','N',100),('b','N',200),"
                                         "('c','S','abc');");
  expect_fail(db, m,
              "table families, column income, row 3 (unit 'c'): text 'abc' where a number is "
              "expected");
  /* in the members table */
  db = h_new_db("bd_text2.db", "CREATE TABLE families(id TEXT, region TEXT, income REAL);"
                              "CREATE TABLE persons(fid TEXT, age);"
                              "INSERT INTO families VALUES ('a','N',100),('b','N',200);"
                              "INSERT INTO persons VALUES ('a', 30), ('b', 'forty');");
  expect_fail(db, m,
              "table persons, column age, row 2 (unit 'b'): text 'forty' where a number is "
              "expected");
  /* a blob and an empty string are not numbers either */
  db = h_new_db("bd_blob.db", SCHEMA
                             "INSERT INTO families VALUES ('a','N',X'00ff');");
  expect_fail(db, m, "table families, column income, row 1 (unit 'a'): a blob where a number is expected");
  db = h_new_db("bd_empty_text.db", SCHEMA
                                   "INSERT INTO families VALUES ('a','N','');");
  expect_fail(db, m,
              "table families, column income, row 1 (unit 'a'): text '' where a number is expected");
  /* with --out nothing is recorded */
  const char *out = h_path("bd_text_out.db");
  unlink(out);
  h_result r = score(db, m, out, 0);
  assert_int_equal(r.status, 1);
  h_result_free(&r);
  assert_int_equal(count_runs(out), 0);
  /* a number stored as text (a column with no declared type keeps it as
  ** text) is read as the number: ' 12 ' < 150, deprived; '500' is not */
  db = h_new_db("bd_numtext.db", "CREATE TABLE families(id TEXT, region TEXT, income);"
                                "CREATE TABLE persons(fid TEXT, age INTEGER);"
                                "INSERT INTO families VALUES ('a','N',' 12 '),('b','N','500');");
  assert_double_equal(h_sql_double(db, "SELECT count(*) FROM families WHERE typeof(income) = 'text'"),
                      2, 0);
  h_result r0 = score(db, m, NULL, 1);
  assert_int_equal(r0.status, 0);
  assert_double_equal(jp_num(r0.out, "H"), 0.5, 0);
  h_result_free(&r0);
}

static void test_null_everywhere(void **state) {
  (void)state;
  /* Every value NULL (and one member with a NULL unit). i1 is null for both
  ** units and counts as deprived (missing = 'deprived'); i2 is any() over
  ** null ages = null, and its default policy 'exclude' leaves both units
  ** out: n = 0, everything 0, excluded = 2, missing 2 for each indicator.
  ** The NULL-unit member belongs to no unit: one orphan. */
  const char *db = h_new_db("bd_null.db", SCHEMA
                                         "INSERT INTO families VALUES ('a',NULL,NULL),('b',NULL,NULL);"
                                         "INSERT INTO persons VALUES ('a',NULL),(NULL,NULL),('b',NULL);");
  const char *m = h_new_file("bd_null.lua", METHOD);
  h_result r = score(db, m, NULL, 1);
  assert_int_equal(r.status, 0);
  assert_double_equal(jp_num(r.out, "units"), 2, 0);
  assert_double_equal(jp_num(r.out, "data.members"), 2, 0);
  assert_double_equal(jp_num(r.out, "data.orphan_members"), 1, 0);
  assert_double_equal(jp_num(r.out, "n"), 0, 0);
  assert_double_equal(jp_num(r.out, "excluded"), 2, 0);
  assert_double_equal(jp_num(r.out, "H"), 0, 0);
  assert_double_equal(jp_num(r.out, "M0"), 0, 0);
  assert_double_equal(jp_num(r.out, "indicators[id=i2].missing"), 2, 0);
  /* the group value NULL is a group of its own, written as JSON null (first) */
  assert_true(jp_is_null(r.out, "groups.region[0].value"));
  h_result_free(&r);
  /* a NULL unit id is an error naming the row */
  db = h_new_db("bd_null_id.db", SCHEMA
                                "INSERT INTO families VALUES ('a','N',1),(NULL,'N',2);");
  expect_fail(db, m, "table families, row 2: the unit id is NULL");
}

static void test_empty_tables(void **state) {
  (void)state;
  /* No units: the run succeeds with n = 0 and H = A = M0 = 0 (the measure
  ** of an empty population), and is recorded with 0 unit rows. */
  const char *db = h_new_db("bd_empty.db", SCHEMA);
  const char *m = h_new_file("bd_empty.lua", METHOD);
  const char *out = h_path("bd_empty_out.db");
  unlink(out);
  h_result r = score(db, m, out, 1);
  assert_int_equal(r.status, 0);
  assert_double_equal(jp_num(r.out, "units"), 0, 0);
  assert_double_equal(jp_num(r.out, "n"), 0, 0);
  assert_double_equal(jp_num(r.out, "H"), 0, 0);
  assert_double_equal(jp_num(r.out, "A"), 0, 0);
  assert_double_equal(jp_num(r.out, "M0"), 0, 0);
  h_result_free(&r);
  assert_int_equal(count_runs(out), 1);
  assert_double_equal(h_sql_double(out, "SELECT units FROM runs"), 0, 0);
  assert_double_equal(h_sql_double(out, "SELECT count(*) FROM unit_scores"), 0, 0);
  assert_double_equal(h_sql_double(out, "SELECT summary_json IS NOT NULL FROM runs"), 1, 0);
}

/* The members here are stored out of key order and without an index: the
** stored-order read must notice it even among rows it skips as orphans. */
static void test_members_without_units_and_units_without_members(void **state) {
  (void)state;
  /* a: members 10 and 40 (a child: i2), income 100 (i1): score 1;
  ** b: no members (any() is false), income 200: score 0;
  ** c: no members, income 120: score 1/2.
  ** Members of 'zz' and '0' have no unit: 3 orphans, reported, no effect.
  ** H = 2/3, A = (1 + 1/2) / 2 = 3/4. */
  const char *db = h_new_db("bd_orphans.db",
                           SCHEMA
                           "INSERT INTO families VALUES ('a','N',100),('b','N',200),('c','S',120);"
                           "INSERT INTO persons VALUES ('zz',5),('a',10),('0',3),('a',40),('zz',7);");
  const char *m = h_new_file("bd_orphans.lua", METHOD);
  const char *out = h_path("bd_orphans_out.db");
  unlink(out);
  h_result r = score(db, m, out, 1);
  assert_int_equal(r.status, 0);
  assert_double_equal(jp_num(r.out, "units"), 3, 0);
  assert_double_equal(jp_num(r.out, "data.members"), 2, 0);
  assert_double_equal(jp_num(r.out, "data.orphan_members"), 3, 0);
  assert_double_equal(jp_num(r.out, "data.units_without_members"), 2, 0);
  assert_double_equal(jp_num(r.out, "H"), 2.0 / 3, EPS);
  assert_double_equal(jp_num(r.out, "A"), 0.75, EPS);
  h_result_free(&r);
  assert_double_equal(h_sql_double(out, "SELECT score FROM unit_scores WHERE unit = 'a'"), 1, 0);
  assert_double_equal(h_sql_double(out, "SELECT score FROM unit_scores WHERE unit = 'b'"), 0, 0);
  assert_double_equal(h_sql_double(out, "SELECT score FROM unit_scores WHERE unit = 'c'"), 0.5, 0);
  /* ids are matched by value and type, as stored: integer unit ids and text
  ** member keys never meet, and every member shows up as an orphan */
  db = h_new_db("bd_keytypes.db", "CREATE TABLE families(id INTEGER, region TEXT, income REAL);"
                                 "CREATE TABLE persons(fid TEXT, age INTEGER);"
                                 "INSERT INTO families VALUES (1,'N',100),(2,'N',200);"
                                 "INSERT INTO persons VALUES ('1',5),('2',40);");
  r = score(db, m, NULL, 1);
  assert_int_equal(r.status, 0);
  assert_double_equal(jp_num(r.out, "data.members"), 0, 0);
  assert_double_equal(jp_num(r.out, "data.orphan_members"), 2, 0);
  h_result_free(&r);
}

static void test_duplicate_unit_ids(void **state) {
  (void)state;
  const char *db = h_new_db("bd_dup.db", SCHEMA
                                        "INSERT INTO families VALUES ('a','N',1),('b','N',2),('a','S',3);");
  const char *m = h_new_file("bd_dup.lua", METHOD);
  expect_fail(db, m, "table families: duplicate unit id 'a'");
  const char *out = h_path("bd_dup_out.db");
  unlink(out);
  h_result r = score(db, m, out, 0);
  assert_int_equal(r.status, 1);
  h_result_free(&r);
  assert_int_equal(count_runs(out), 0);
}

/* Ids are compared as text (unit_scores, compare, explain): an integer 1
** and a text '1' in a column without a declared type would be the same unit
** there, so ids of mixed storage types are refused. */
static void test_duplicate_ids_of_different_types(void **state) {
  (void)state;
  const char *db = h_new_db("bd_dup2.db", "CREATE TABLE families(id, region TEXT, income REAL);"
                                         "CREATE TABLE persons(fid TEXT, age INTEGER);"
                                         "INSERT INTO families VALUES (1,'N',1),('1','N',2);");
  const char *m = h_new_file("bd_dup2.lua", METHOD);
  /* 1 and '1' sort apart in SQLite but would both be unit '1' in the results. */
  expect_fail(db, m, "table families, row 2: unit id '1' is text, but earlier ids are numbers; "
                     "unit ids must be all numbers or all text");
}

/* ------------------------------------------------------- text and numbers */

/* 1 if s is valid UTF-8 (no overlongs, no surrogates, at most U+10FFFF). */
static int utf8_valid(const unsigned char *s) {
  while (*s) {
    int n;
    unsigned c = *s;
    if (c < 0x80) n = 0;
    else if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) n = 2;
    else if (c >= 0xf0 && c <= 0xf4) n = 3;
    else return 0;
    unsigned cp = n == 0 ? c : n == 1 ? c & 0x1f : n == 2 ? c & 0x0f : c & 0x07;
    for (int i = 1; i <= n; i++) {
      if ((s[i] & 0xc0) != 0x80) return 0;
      cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
      return 0;
    s += n + 1;
  }
  return 1;
}

/* SQLite's json_valid() on text. */
static int json_valid(const char *text) {
  sqlite3 *h;
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_open(":memory:", &h), SQLITE_OK);
  assert_int_equal(sqlite3_prepare_v2(h, "SELECT json_valid(?)", -1, &st, NULL), SQLITE_OK);
  sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  int ok = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(h);
  return ok;
}

static void test_non_utf8_text(void **state) {
  (void)state;
  /* a group value and a unit id with bytes 0xff, a quote, a backslash, a
  ** newline and a control character */
  const char *db = h_new_db("bd_utf8.db",
                           SCHEMA
                           "INSERT INTO families VALUES (CAST(X'61ff' AS TEXT),"
                           " CAST(X'41ff22c05c0a01' AS TEXT), 100), ('b', 'ok', 200);");
  const char *m = h_new_file("bd_utf8.lua", METHOD);
  const char *out = h_path("bd_utf8_out.db");
  unlink(out);
  h_result r = score(db, m, out, 1);
  assert_int_equal(r.status, 0);
  assert_true(utf8_valid((const unsigned char *)r.out));
  assert_true(json_valid(r.out));
  /* each bad byte is U+FFFD (EF BF BD), the rest escaped */
  assert_has(r.out, "\"value\": \"A\xef\xbf\xbd\\\"\xef\xbf\xbd\\\\\\n\\u0001\"");
  assert_string_equal(jp_str(r.out, "groups.region[0].value"), "A\xef\xbf\xbd\"\xef\xbf\xbd\\\n\x01");
  h_result_free(&r);
  /* the results database keeps the id's bytes as they were */
  char *hex = h_sql_text(out, "SELECT hex(unit) FROM unit_scores WHERE score = 0.5");
  assert_string_equal(hex, "61FF");
  free(hex);
  /* `runs --json` too */
  const char *args[] = {"runs", "--out", out, "--json", NULL};
  r = h_run(args);
  assert_int_equal(r.status, 0);
  assert_true(json_valid(r.out));
  h_result_free(&r);
}

static void test_huge_numbers_nan_infinity(void **state) {
  (void)state;
  const char *m = h_new_file("bd_huge.lua", METHOD);
  /* 1e308, -1e308 and 2^63-1 are ordinary numbers */
  const char *db = h_new_db("bd_huge.db", SCHEMA
                                         "INSERT INTO families VALUES ('a','N',1e308),('b','N',-1e308),"
                                         "('c','N',9223372036854775807);");
  const char *out = h_path("bd_huge_out.db");
  unlink(out);
  h_result r = score(db, m, out, 1);
  assert_int_equal(r.status, 0);
  assert_double_equal(jp_num(r.out, "H"), 1.0 / 3, EPS);
  h_result_free(&r);
  assert_double_equal(h_sql_double(out, "SELECT score FROM unit_scores WHERE unit = 'b'"), 0.5, 0);
  /* +inf (9e999) and -inf are refused, naming the row */
  db = h_new_db("bd_inf.db", SCHEMA
                            "INSERT INTO families VALUES ('a','N',1),('b','N',9e999);");
  expect_fail(db, m, "table families, column income, row 2 (unit 'b'): not a finite number");
  db = h_new_db("bd_ninf.db", SCHEMA
                             "INSERT INTO families VALUES ('a','N',-9e999);");
  expect_fail(db, m, "table families, column income, row 1 (unit 'a'): not a finite number");
  /* SQLite stores NaN as NULL: it is a missing value (i1 counts as deprived) */
  db = h_new_db("bd_nan.db", SCHEMA
                            "INSERT INTO families VALUES ('a','N',9e999 - 9e999),('b','N',500);");
  assert_double_equal(h_sql_double(db, "SELECT income IS NULL FROM families WHERE id = 'a'"), 1, 0);
  r = score(db, m, NULL, 1);
  assert_int_equal(r.status, 0);
  assert_double_equal(jp_num(r.out, "indicators[id=i1].missing"), 1, 0);
  assert_double_equal(jp_num(r.out, "H"), 0.5, EPS);
  h_result_free(&r);
  /* Arithmetic that overflows. Members' pay: a (1e308, 1e308), b (1e308,
  ** 1e308, -1e308, -1e308), c (1e308, -1e308).
  ** diff = sum(pay) - sum(pay) = 0: a's sum is inf, and so is b's (inf -
  ** 1e308 is still inf): inf - inf is NaN, which is null like a division by
  ** zero (missing = 'deprived'); c: 0 - 0 = 0, deprived.
  ** tens = sum(pay * 10) > 0: a: inf + inf > 0, deprived; b and c add +inf
  ** and -inf: NaN, null (missing = 'not_deprived').
  ** Scores a 1, b 1/2, c 1/2; k = 1/2: H = 1, A = 2/3; 2 missing each. */
  db = h_new_db("bd_overflow.db", "CREATE TABLE families(id TEXT, region TEXT, income REAL);"
                                 "CREATE TABLE persons(fid TEXT, age INTEGER, pay REAL);"
                                 "INSERT INTO families VALUES ('a','N',0),('b','N',0),('c','N',0);"
                                 "INSERT INTO persons VALUES ('a',30,1e308),('a',30,1e308),"
                                 "('b',30,1e308),('b',30,1e308),('b',30,-1e308),('b',30,-1e308),"
                                 "('c',30,1e308),('c',30,-1e308);");
  m = h_new_file("bd_overflow.lua",
                  "return { name = 'overflow', version = '1',\n"
                  "  unit = { table = 'families', id = 'id' },\n"
                  "  members = { table = 'persons', unit = 'fid' },\n"
                  "  dimensions = { { id = 'd', indicators = {\n"
                  "    { id = 'diff', deprived = 'sum(pay) - sum(pay) = 0', missing = 'deprived' },\n"
                  "    { id = 'tens', deprived = 'sum(pay * 10) > 0', missing = 'not_deprived' },\n"
                  "  } } },\n"
                  "  k = 1/2 }\n");
  out = h_path("bd_overflow_out.db");
  unlink(out);
  r = score(db, m, out, 1);
  assert_int_equal(r.status, 0);
  assert_true(json_valid(r.out));
  assert_double_equal(jp_num(r.out, "indicators[id=diff].missing"), 2, 0);
  assert_double_equal(jp_num(r.out, "indicators[id=tens].missing"), 2, 0);
  assert_double_equal(jp_num(r.out, "H"), 1, 0);
  assert_double_equal(jp_num(r.out, "A"), 2.0 / 3, EPS);
  h_result_free(&r);
  assert_double_equal(h_sql_double(out, "SELECT score FROM unit_scores WHERE unit = 'a'"), 1, 0);
  assert_double_equal(h_sql_double(out, "SELECT score FROM unit_scores WHERE unit = 'b'"), 0.5, 0);
  assert_double_equal(h_sql_double(out, "SELECT score FROM unit_scores WHERE unit = 'c'"), 0.5, 0);
}

/* ----------------------------------------------------------------- files */

static void test_not_sqlite_or_missing(void **state) {
  (void)state;
  const char *m = h_new_file("bd_files.lua", METHOD);
  const char *txt = h_path("bd_not_sqlite.db");
  h_write(txt, "family_id,income\n1,100\n");
  char want[1200];
  snprintf(want, sizeof want, "%s: not a SQLite database", txt);
  expect_fail(txt, m, want);
  /* a truncated SQLite file */
  const char *good = h_new_db("bd_good.db", SCHEMA);
  char *text = NULL;
  size_t len;
  af_err e;
  assert_int_equal(af_read_file(good, &text, &len, &e), 0);
  const char *cut = h_path("bd_truncated.db");
  FILE *f = fopen(cut, "wb");
  fwrite(text, 1, 100, f);
  fclose(f);
  free(text);
  snprintf(want, sizeof want, "%s: not a SQLite database", cut);
  expect_fail(cut, m, want);
  /* missing: an error, and no file is created */
  const char *missing = h_path("bd_missing.db");
  unlink(missing);
  snprintf(want, sizeof want, "%s: no such file", missing);
  expect_fail(missing, m, want);
  /* a directory */
  const char *dir = h_path("bd_dir.db");
  mkdir(dir, 0755);
  snprintf(want, sizeof want, "%s: is a directory", dir);
  expect_fail(dir, m, want);
}

static void test_hostile_names(void **state) {
  (void)state;
  const char *db = h_new_db("bd_inject.db", SCHEMA
                                           "CREATE TABLE x(v INTEGER);"
                                           "INSERT INTO families VALUES ('a','N',1);");
  char *text = af_sprintf("%s", METHOD);
  char *src = af_sprintf("%.*sfamilies\"; DROP TABLE x; --%s", (int)(strstr(text, "families") - text),
                         text, strstr(text, "families") + strlen("families"));
  const char *m = h_new_file("bd_inject.lua", src);
  char want[2048];
  snprintf(want, sizeof want, "%s:3: no table 'families\"; DROP TABLE x; --' in %s\n", m, db);
  const char *args[] = {"check", m, "--db", db, NULL};
  h_result r = run_on(db, args);
  assert_int_equal(r.status, 1);
  assert_string_equal(r.err, want);
  h_result_free(&r);
  r = score(db, m, NULL, 0);
  assert_int_equal(r.status, 1);
  assert_string_equal(r.err, want);
  h_result_free(&r);
  free(src);
  /* the same in the id column and a group column */
  src = af_sprintf("%.*sid = 'id\" FROM x; --'%s", (int)(strstr(text, "id = 'id'") - text), text,
                   strstr(text, "id = 'id'") + strlen("id = 'id'"));
  m = h_new_file("bd_inject2.lua", src);
  snprintf(want, sizeof want,
           "%s:3: unit id: unknown column 'id\" FROM x; --' in table families\n", m);
  r = score(db, m, NULL, 0);
  assert_int_equal(r.status, 1);
  assert_string_equal(r.err, want);
  h_result_free(&r);
  free(src);
  free(text);
  assert_double_equal(h_sql_double(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'x'"), 1, 0);
  /* a table that really has such a name is read, quoted */
  db = h_new_db("bd_quoted.db",
               "CREATE TABLE \"fam\"\"; DROP TABLE x; --\"(id TEXT, income REAL);"
               "CREATE TABLE x(v INTEGER);"
               "INSERT INTO \"fam\"\"; DROP TABLE x; --\" VALUES ('a', 1), ('b', 300);");
  m = h_new_file("bd_quoted.lua",
                  "return { name = 'q', version = '1',\n"
                  "  unit = { table = 'fam\"; DROP TABLE x; --', id = 'id' },\n"
                  "  dimensions = { { id = 'd', indicators = { { id = 'i', deprived = 'income < 150' } } } },\n"
                  "  k = 1 }\n");
  r = score(db, m, NULL, 1);
  assert_int_equal(r.status, 0);
  assert_double_equal(jp_num(r.out, "H"), 0.5, 0);
  h_result_free(&r);
  assert_double_equal(h_sql_double(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'x'"), 1, 0);
}

/* --------------------------------------------------- read-only, unchanged */

/* Run afscore as a user who cannot write the input (nobody when we are
** root; chmod alone stops anyone else). Returns the exit status and sets
** *err to its stderr (owned by the caller). */
static int run_readonly(const char *const *args, char **err) {
  h_opts o = {.as_nobody = 1};
  h_result r = h_run_with(args, &o);
  *err = r.err;
  free(r.out);
  return r.status;
}

/* A directory the other user can enter but not write, holding a file it
** cannot write. */
static const char *readonly_copy(const char *dirname, const char *src) {
  static char path[1200];
  const char *dir = h_path(dirname);
  char cmd[2600];
  snprintf(cmd, sizeof cmd, "chmod -R u+w '%s' 2>/dev/null; rm -rf '%s' && mkdir -p '%s' && cp '%s' '%s/data.db'"
           " && chmod 444 '%s/data.db' && chmod 555 '%s'", dir, dir, dir, src, dir, dir, dir);
  assert_int_equal(system(cmd), 0);
  snprintf(path, sizeof path, "%s/data.db", dir);
  return path;
}

static const char *LEGACY =
    SCHEMA
    "INSERT INTO families VALUES ('a','N',100),('b','N',200),('c','S',120);"
    "INSERT INTO persons VALUES ('a',10),('a',40),('b',30);";

static void test_every_command_leaves_input_unchanged(void **state) {
  (void)state;
  const char *db = h_new_db("bd_cmds.db", LEGACY);
  const char *m = h_new_file("bd_cmds.lua", METHOD);
  const char *out = h_path("bd_cmds_out.db");
  unlink(out);
  h_result r = score(db, m, out, 0);
  assert_int_equal(r.status, 0);
  h_result_free(&r);
  const char *check[] = {"check", m, "--db", db, NULL};
  const char *compare[] = {"compare", "--db", db, "--method", m, "--method", m, "--json", NULL};
  const char *sweep[] = {"sweep", "--db", db, "--method", m, NULL};
  const char *explain[] = {"explain", "--out", out, "--db", db, "--run", "1", "a", NULL};
  const char *replay[] = {"replay", "1", "--out", out, "--db", db, NULL};
  const char *const *cmds[] = {check, compare, sweep, explain, replay};
  for (int i = 0; i < 5; i++) {
    r = run_on(db, cmds[i]);
    if (r.status != 0) fail_msg("%s: status %d: %s", cmds[i][0], r.status, r.err);
    h_result_free(&r);
  }
}

static void test_readonly_input(void **state) {
  (void)state;
  const char *src = h_new_db("bd_ro_src.db", LEGACY);
  const char *db = readonly_copy("bd_ro", src);
  const char *m = h_new_file("bd_ro.lua", METHOD);
  char before[65], after[65];
  h_file_sha256(db, before);
  const char *check[] = {"check", m, "--db", db, NULL};
  const char *scor[] = {"score", "--db", db, "--method", m, NULL};
  const char *sweep[] = {"sweep", "--db", db, "--method", m, NULL};
  const char *const *cmds[] = {check, scor, sweep};
  for (int i = 0; i < 3; i++) {
    char *err = NULL;
    int st = run_readonly(cmds[i], &err);
    if (st != 0) fail_msg("%s on a read-only file: status %d: %s", cmds[i][0], st, err);
    free(err);
  }
  h_file_sha256(db, after);
  assert_string_equal(before, after);
}

/* A database in WAL mode on read-only storage (no -shm beside it, and none
** can be created) must be readable too (source_open falls back to
** immutable=1). */
static void test_readonly_wal_input(void **state) {
  (void)state;
  const char *src = h_path("bd_wal_src.db");
  unlink(src);
  h_sql(src, "PRAGMA journal_mode=WAL;");
  h_sql(src, LEGACY);
  const char *db = readonly_copy("bd_ro_wal", src);
  const char *m = h_new_file("bd_ro_wal.lua", METHOD);
  char before[65], after[65];
  h_file_sha256(db, before);
  const char *scor[] = {"score", "--db", db, "--method", m, NULL};
  char *err = NULL;
  int st = run_readonly(scor, &err);
  if (st != 0) fail_msg("score on a read-only WAL database: status %d: %s", st, err);
  free(err);
  h_file_sha256(db, after);
  assert_string_equal(before, after);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_declared_type_does_not_fit),
      cmocka_unit_test(test_text_in_numeric_column),
      cmocka_unit_test(test_null_everywhere),
      cmocka_unit_test(test_empty_tables),
      cmocka_unit_test(test_members_without_units_and_units_without_members),
      cmocka_unit_test(test_duplicate_unit_ids),
      cmocka_unit_test(test_duplicate_ids_of_different_types),
      cmocka_unit_test(test_non_utf8_text),
      cmocka_unit_test(test_huge_numbers_nan_infinity),
      cmocka_unit_test(test_not_sqlite_or_missing),
      cmocka_unit_test(test_hostile_names),
      cmocka_unit_test(test_every_command_leaves_input_unchanged),
      cmocka_unit_test(test_readonly_input),
      cmocka_unit_test(test_readonly_wal_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
