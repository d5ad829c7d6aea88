/*
** test_source.c: the SQLite data source: the merge join of units and members,
** value conversion and its errors, batching, the fingerprint, schema lookup
** with did-you-mean, and read-only safety. Fixture databases are built here
** with the sqlite3 API in a scratch directory.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>

#include "source.h"
#include "util.h"

static char g_dir[512];

static void make_dir(void) {
  const char *base = getenv("AFSCORE_TMP");
  if (!base || !*base) base = "/tmp";
  mkdir(base, 0777);
  snprintf(g_dir, sizeof g_dir, "%s/source-XXXXXX", base);
  assert_non_null(mkdtemp(g_dir));
}

static char *path_of(const char *name) { return af_sprintf("%s/%s", g_dir, name); }

/* Create a fresh database at g_dir/name from SQL. Returns the path (free it). */
static char *make_db(const char *name, const char *sql) {
  char *p = path_of(name);
  unlink(p);
  sqlite3 *db;
  assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
  char *err = NULL;
  int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
  if (rc != SQLITE_OK) fprintf(stderr, "fixture: %s\n", err);
  assert_int_equal(rc, SQLITE_OK);
  sqlite3_close(db);
  return p;
}

/* The standard fixture: text ids, members stored out of unit order, orphans
** before, between and after units, a NULL member key, a unit with none. */
static const char *FAMILIES_SQL =
    "CREATE TABLE families(family_id TEXT PRIMARY KEY, income REAL, region TEXT);"
    "INSERT INTO families VALUES ('f3', 300, 'north');"
    "INSERT INTO families VALUES ('f1', 100.5, 'south');"
    "INSERT INTO families VALUES ('f2', NULL, NULL);"
    "INSERT INTO families VALUES ('f4', '12.5', 'east');"
    "CREATE TABLE persons(family_id TEXT, age INTEGER, name TEXT);"
    "INSERT INTO persons VALUES ('f3', 30, 'c');"
    "INSERT INTO persons VALUES ('f1', 40, 'a');"
    "INSERT INTO persons VALUES ('zz', 1, 'orphan after');"
    "INSERT INTO persons VALUES ('f3', 31, 'd');"
    "INSERT INTO persons VALUES ('a0', 2, 'orphan before');"
    "INSERT INTO persons VALUES ('f25', 3, 'orphan between');"
    "INSERT INTO persons VALUES (NULL, 4, 'orphan null');"
    "INSERT INTO persons VALUES ('f3', NULL, NULL);"
    "INSERT INTO persons VALUES ('f4', 5, 'e');";

static const char *const UCOLS[] = {"income", "region"};
static const vtype UTYPES[] = {VT_NUM, VT_TEXT};
static const char *const MCOLS[] = {"age", "name"};
static const vtype MTYPES[] = {VT_NUM, VT_TEXT};

static source_plan std_plan(void) {
  source_plan p = {"families", "family_id", UCOLS, UTYPES, 2,
                   "persons", "family_id", MCOLS, MTYPES, 2, NULL, 0};
  return p;
}

static void put_val(strbuf *b, const column *c, int i, vtype t, strpool *pool) {
  if (c->null[i])
    sb_puts(b, "null");
  else if (t == VT_TEXT || t == VT_ANY)
    sb_printf(b, "'%s'", strpool_get(pool, (int32_t)c->v[i]));
  else
    sb_printf(b, "%g", c->v[i]);
}

/* source_read_batch, starting again once when the reader finds the tables
** not stored in key order (SOURCE_RESTART: what it gave so far is void). */
static int restarts;
static int read_batch(source_reader *r, batch *b, const char *const **ids, int max, af_err *e) {
  int n = source_read_batch(r, b, ids, max, e);
  if (n == SOURCE_RESTART) {
    restarts++;
    n = source_read_batch(r, b, ids, max, e);
    assert_true(n != SOURCE_RESTART);   /* at most once per read */
  }
  return n;
}

/* The units of bt as text: "id(unit values)[member values]... ". */
static void put_batch(strbuf *b, const batch *bt, const char *const *ids, const source_plan *plan,
                      strpool *pool) {
  assert_int_equal(bt->nucols, plan->nunit_cols);
  for (int u = 0; u < bt->nunits; u++) {
    sb_printf(b, "%s(", ids[u]);
    for (int c = 0; c < bt->nucols; c++) {
      if (c) sb_putc(b, ',');
      put_val(b, &bt->ucols[c], u, plan->unit_types[c], pool);
    }
    sb_putc(b, ')');
    for (int m = bt->mstart[u]; m < bt->mstart[u + 1]; m++) {
      sb_putc(b, '[');
      for (int c = 0; c < bt->nmcols; c++) {
        if (c) sb_putc(b, ',');
        put_val(b, &bt->mcols[c], m, plan->member_types[c], pool);
      }
      sb_putc(b, ']');
    }
    sb_putc(b, ' ');
  }
  assert_int_equal(bt->mstart[bt->nunits], bt->nmembers);
}

/* Read everything with batches of max_units; returns the text dump (or the
** error message prefixed by "ERROR: ") and fills st. */
static char *dump(const char *path, const source_plan *plan, int max_units,
                  source_stats *st) {
  source *s;
  af_err e = {{0}};
  if (source_open(path, &s, &e) != 0) return af_sprintf("ERROR: %s", e.msg);
  strpool *pool = strpool_new();
  source_reader *r;
  strbuf b = {0};
  if (source_read_begin(s, plan, pool, &r, &e) != 0) {
    sb_printf(&b, "ERROR: %s", e.msg);
    goto out;
  }
  batch bt = {0};
  const char *const *ids;
  int n;
  for (;;) {
    n = source_read_batch(r, &bt, &ids, max_units, &e);
    if (n == SOURCE_RESTART) {   /* not in key order: start the dump again */
      restarts++;
      b.len = 0;
      if (b.s) b.s[0] = '\0';
      continue;
    }
    if (n <= 0) break;
    assert_true(n <= max_units);
    put_batch(&b, &bt, ids, plan, pool);
  }
  if (n < 0) sb_printf(&b, "ERROR: %s", e.msg);
  source_stats tmp;
  source_read_end(r, st ? st : &tmp);
out:
  strpool_free(pool);
  source_close(s);
  return sb_take(&b);
}

static void test_join(void **state) {
  char *p = make_db("join.db", FAMILIES_SQL);
  source_plan plan = std_plan();
  source_stats st;
  char *d = dump(p, &plan, 100, &st);
  assert_string_equal(d,
                      "f1(100.5,'south')[40,'a'] f2(null,null) "
                      "f3(300,'north')[30,'c'][31,'d'][null,null] f4(12.5,'east')[5,'e'] ");
  assert_int_equal(st.units, 4);
  assert_int_equal(st.members, 5);
  assert_int_equal(st.orphans, 4);
  assert_int_equal(st.units_without_members, 1);
  assert_int_equal(strlen(st.sha256), 64);
  free(d);
  free(p);
}

static void test_batches_identical(void **state) {
  strbuf sql = {0};
  sb_puts(&sql, "CREATE TABLE u(id INTEGER, x REAL);CREATE TABLE m(u INTEGER, y TEXT);");
  for (int i = 10; i >= 1; i--) {
    sb_printf(&sql, "INSERT INTO u VALUES (%d, %d.5);", i, i);
    for (int k = 0; k < i % 4; k++) sb_printf(&sql, "INSERT INTO m VALUES (%d, 'v%d_%d');", i, i, k);
  }
  char *p = make_db("batches.db", sql.s);
  sb_free(&sql);
  const char *uc[] = {"x"}, *mc[] = {"y"};
  vtype ut[] = {VT_NUM}, mt[] = {VT_TEXT};
  source_plan plan = {"u", "id", uc, ut, 1, "m", "u", mc, mt, 1, NULL, 0};
  source_stats s1, s2, s3, s4;
  char *d1 = dump(p, &plan, 1, &s1), *d2 = dump(p, &plan, 2, &s2);
  char *d3 = dump(p, &plan, 3, &s3), *d4 = dump(p, &plan, KERNEL_BATCH, &s4);
  assert_string_equal(d1,
                      "1(1.5)['v1_0'] 2(2.5)['v2_0']['v2_1'] 3(3.5)['v3_0']['v3_1']['v3_2'] "
                      "4(4.5) 5(5.5)['v5_0'] 6(6.5)['v6_0']['v6_1'] "
                      "7(7.5)['v7_0']['v7_1']['v7_2'] 8(8.5) 9(9.5)['v9_0'] "
                      "10(10.5)['v10_0']['v10_1'] ");
  assert_string_equal(d1, d2);
  assert_string_equal(d1, d3);
  assert_string_equal(d1, d4);
  assert_string_equal(s1.sha256, s2.sha256);
  assert_string_equal(s1.sha256, s3.sha256);
  assert_string_equal(s1.sha256, s4.sha256);
  assert_int_equal(s1.units_without_members, 2);
  free(d1), free(d2), free(d3), free(d4), free(p);
}

/* The number of batches and their sizes at max_units 3 over 10 units. */
static void test_batch_sizes(void **state) {
  char *p = make_db("sizes.db",
                    "CREATE TABLE u(id INTEGER PRIMARY KEY);"
                    "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i<10)"
                    " INSERT INTO u SELECT i FROM c;");
  source *s;
  af_err e;
  assert_int_equal(source_open(p, &s, &e), 0);
  strpool *pool = strpool_new();
  source_plan plan = {"u", "id", NULL, NULL, 0, NULL, NULL, NULL, NULL, 0, NULL, 0};
  source_reader *r;
  assert_int_equal(source_read_begin(s, &plan, pool, &r, &e), 0);
  batch b = {0};
  const char *const *ids;
  assert_int_equal(read_batch(r, &b, &ids, 3, &e), 3);
  assert_string_equal(ids[0], "1");
  assert_string_equal(ids[2], "3");
  assert_int_equal(b.nmembers, 0);
  assert_int_equal(b.mstart[3], 0);
  assert_int_equal(read_batch(r, &b, &ids, 3, &e), 3);
  assert_string_equal(ids[0], "4");
  assert_int_equal(read_batch(r, &b, &ids, 3, &e), 3);
  assert_int_equal(read_batch(r, &b, &ids, 3, &e), 1);
  assert_string_equal(ids[0], "10");
  assert_int_equal(read_batch(r, &b, &ids, 3, &e), 0);
  assert_int_equal(read_batch(r, &b, &ids, 3, &e), 0);
  source_stats st;
  source_read_end(r, &st);
  assert_int_equal(st.units, 10);
  assert_int_equal(st.units_without_members, 0); /* no members table: not counted */
  strpool_free(pool);
  source_close(s);
  free(p);
}

static void test_fingerprint_changes(void **state) {
  char *p = make_db("fp1.db", FAMILIES_SQL);
  source_plan plan = std_plan();
  source_stats a, b, c;
  free(dump(p, &plan, 2, &a));
  sqlite3 *db;
  assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "UPDATE persons SET age = 32 WHERE name = 'd'", 0, 0, 0),
                   SQLITE_OK);
  sqlite3_close(db);
  free(dump(p, &plan, 2, &b));
  assert_string_not_equal(a.sha256, b.sha256);
  /* The fingerprint covers the values a run uses: an integer 2 and a real
  ** 2.0 in a number column are the same number to every rule. */
  const char *uc[] = {"x"};
  vtype ut[] = {VT_NUM};
  source_plan np = {"u", "id", uc, ut, 1, NULL, NULL, NULL, NULL, 0, NULL, 0};
  char *pi = make_db("fpi.db", "CREATE TABLE u(id, x); INSERT INTO u VALUES (1, 2);");
  char *pr = make_db("fpr.db", "CREATE TABLE u(id, x); INSERT INTO u VALUES (1, 2.0);");
  source_stats si, sr;
  char *di = dump(pi, &np, 2, &si), *dr = dump(pr, &np, 2, &sr);
  assert_string_equal(di, "1(2) ");
  assert_string_equal(di, dr);
  assert_string_equal(si.sha256, sr.sha256);
  free(di), free(dr), free(pi), free(pr);
  c = b;
  /* Reading fewer columns is a different fingerprint too. */
  plan.nmember_cols = 1;
  source_stats d;
  free(dump(p, &plan, 2, &d));
  assert_string_not_equal(c.sha256, d.sha256);
  free(p);
}

/* Walking an index or sorting gives the same rows in the same order. */
static void test_index_independent(void **state) {
  char *p = make_db("idx.db", FAMILIES_SQL);
  source_plan plan = std_plan();
  source_stats a, b;
  char *d1 = dump(p, &plan, 3, &a);
  sqlite3 *db;
  assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "CREATE INDEX pf ON persons(family_id)", 0, 0, 0), SQLITE_OK);
  sqlite3_close(db);
  char *d2 = dump(p, &plan, 3, &b);
  assert_string_equal(d1, d2);
  assert_string_equal(a.sha256, b.sha256);
  free(d1), free(d2), free(p);
}

static void expect_error(const char *name, const char *sql, const source_plan *plan,
                         const char *msg) {
  char *p = make_db(name, sql);
  char *d = dump(p, plan, 2, NULL);
  char *want = af_sprintf("ERROR: %s", msg);
  const char *err = strstr(d, "ERROR: ");
  assert_non_null(err);
  assert_string_equal(err, want);
  free(want), free(d), free(p);
}

static void test_duplicate_id(void **state) {
  source_plan plan = std_plan();
  expect_error("dup.db",
               "CREATE TABLE families(family_id TEXT, income REAL, region TEXT);"
               "CREATE TABLE persons(family_id TEXT, age INTEGER, name TEXT);"
               "INSERT INTO families VALUES ('b',1,'x'),('a',2,'y'),('b',3,'z');",
               &plan, "table families: duplicate unit id 'b'");
  /* 5.0 in an INTEGER column is stored as the integer 5: the same key. */
  expect_error("dup2.db",
               "CREATE TABLE families(family_id INTEGER, income REAL, region TEXT);"
               "CREATE TABLE persons(family_id TEXT, age INTEGER, name TEXT);"
               "INSERT INTO families VALUES (5,1,'x'),(5.0,2,'y');",
               &plan, "table families: duplicate unit id '5'");
  /* Stored as REAL (no declared type), it is refused as an id. */
  expect_error("dup3.db",
               "CREATE TABLE families(family_id, income REAL, region TEXT);"
               "CREATE TABLE persons(family_id TEXT, age INTEGER, name TEXT);"
               "INSERT INTO families VALUES (5,1,'x'),(5.0,2,'y');",
               &plan, "table families, row 2: unit id 5.0 is a REAL number; unit ids must be "
               "INTEGER or TEXT (REAL ids that print alike would be merged)");
}

static void test_null_id(void **state) {
  source_plan plan = std_plan();
  expect_error("nullid.db",
               "CREATE TABLE families(family_id TEXT, income REAL, region TEXT);"
               "CREATE TABLE persons(family_id TEXT, age INTEGER, name TEXT);"
               "INSERT INTO families VALUES ('a',1,'x'),('b',2,'y'),(NULL,3,'z');",
               &plan, "table families, row 3: the unit id is NULL");
}

static void test_text_in_number(void **state) {
  source_plan plan = std_plan();
  expect_error("badnum.db",
               "CREATE TABLE families(family_id TEXT, income REAL, region TEXT);"
               "CREATE TABLE persons(family_id TEXT, age INTEGER, name TEXT);"
               "INSERT INTO families VALUES ('abc',1,'x');"
               "INSERT INTO persons VALUES ('abc',1,'p'),('abc','x1','q');",
               &plan, "table persons, column age, row 2 (unit 'abc'): text 'x1' where a "
                      "number is expected");
  expect_error("badnum2.db",
               "CREATE TABLE families(family_id TEXT, income REAL, region TEXT);"
               "CREATE TABLE persons(family_id TEXT, age INTEGER, name TEXT);"
               "INSERT INTO families VALUES ('a',1,'x'),('b','12,5','x');",
               &plan, "table families, column income, row 2 (unit 'b'): text '12,5' where a "
                      "number is expected");
  expect_error("badnum3.db",
               "CREATE TABLE families(family_id TEXT, income REAL, region TEXT);"
               "CREATE TABLE persons(family_id TEXT, age INTEGER, name TEXT);"
               "INSERT INTO families VALUES ('a',x'0102','x');",
               &plan, "table families, column income, row 1 (unit 'a'): a blob where a "
                      "number is expected");
  expect_error("badnum4.db",
               "CREATE TABLE families(family_id TEXT, income REAL, region TEXT);"
               "CREATE TABLE persons(family_id TEXT, age INTEGER, name TEXT);"
               "INSERT INTO families VALUES ('a','',NULL);",
               &plan, "table families, column income, row 1 (unit 'a'): text '' where a "
                      "number is expected");
}

static void test_infinity(void **state) {
  source_plan plan = std_plan();
  expect_error("inf.db",
               "CREATE TABLE families(family_id TEXT, income REAL, region TEXT);"
               "CREATE TABLE persons(family_id TEXT, age INTEGER, name TEXT);"
               "INSERT INTO families VALUES ('a',1,'x'),('b',-9e999,'x');",
               &plan, "table families, column income, row 2 (unit 'b'): not a finite number");
}

/* Columns without affinity keep text: numeric text is read as its number. */
static void test_numeric_text(void **state) {
  char *p = make_db("numtext.db",
                    "CREATE TABLE f(id, a, b);"
                    "INSERT INTO f VALUES ('x', '12.5', ' 7 '), ('y', '-3e2', '+.5'),"
                    " ('z', 4, 2.25);");
  const char *uc[] = {"a", "b", "a", "b"};
  vtype ut[] = {VT_NUM, VT_NUM, VT_ANY, VT_TEXT};
  source_plan plan = {"f", "id", uc, ut, 4, NULL, NULL, NULL, NULL, 0, NULL, 0};
  char *d = dump(p, &plan, 10, NULL);
  assert_string_equal(d, "x(12.5,7,'12.5',' 7 ') y(-300,0.5,'-3e2','+.5') z(4,2.25,'4','2.25') ");
  free(d), free(p);
}

static void test_nulls_everywhere(void **state) {
  char *p = make_db("nulls.db",
                    "CREATE TABLE families(family_id TEXT, income REAL, region TEXT);"
                    "CREATE TABLE persons(family_id TEXT, age INTEGER, name TEXT);"
                    "INSERT INTO families VALUES ('a',NULL,NULL);"
                    "INSERT INTO persons VALUES ('a',NULL,NULL),('a',NULL,NULL);");
  source_plan plan = std_plan();
  char *d = dump(p, &plan, 10, NULL);
  assert_string_equal(d, "a(null,null)[null,null][null,null] ");
  free(d), free(p);
}

static void test_empty_units(void **state) {
  char *p = make_db("empty.db",
                    "CREATE TABLE families(family_id TEXT, income REAL, region TEXT);"
                    "CREATE TABLE persons(family_id TEXT, age INTEGER, name TEXT);"
                    "INSERT INTO persons VALUES ('a',1,'x'),('b',2,'y');");
  source_plan plan = std_plan();
  source_stats st;
  char *d = dump(p, &plan, 10, &st);
  assert_string_equal(d, "");
  assert_int_equal(st.units, 0);
  assert_int_equal(st.members, 0);
  assert_int_equal(st.orphans, 2);
  free(d), free(p);
}

/* Integer keys order numerically (2 < 10); a real equal to an integer joins;
** text '5' is not the integer 5 (SQLite's ORDER BY puts numbers before text). */
static void test_key_types(void **state) {
  char *p = make_db("keys.db",
                    "CREATE TABLE u(id INTEGER PRIMARY KEY, x REAL);"
                    "CREATE TABLE m(uid, y INTEGER);"
                    "INSERT INTO u VALUES (10, 1), (2, 2), (5, 3);"
                    "INSERT INTO m VALUES (10, 1), (2.0, 2), ('5', 3), (5, 4), (x'05', 5);");
  const char *uc[] = {"x"}, *mc[] = {"y"};
  vtype ut[] = {VT_NUM}, mt[] = {VT_NUM};
  source_plan plan = {"u", "id", uc, ut, 1, "m", "uid", mc, mt, 1, NULL, 0};
  source_stats st;
  char *d = dump(p, &plan, 2, &st);
  assert_string_equal(d, "2(2)[2] 5(3)[4] 10(1)[1] ");
  assert_int_equal(st.orphans, 2);
  free(d), free(p);
  /* Text keys: byte order, a prefix sorts first. */
  p = make_db("tkeys.db",
              "CREATE TABLE u(id TEXT, x REAL);CREATE TABLE m(uid TEXT, y INTEGER);"
              "INSERT INTO u VALUES ('ab', 1), ('a', 2), ('B', 3), ('\xc3\xa9', 4);"
              "INSERT INTO m VALUES ('a', 1), ('ab', 2), ('\xc3\xa9', 3), ('A', 4);");
  d = dump(p, &plan, 3, &st);
  assert_string_equal(d, "B(3) a(2)[1] ab(1)[2] \xc3\xa9(4)[3] ");
  assert_int_equal(st.orphans, 1);
  free(d), free(p);
}

static void test_unknown_names(void **state) {
  char *p = make_db("names.db", FAMILIES_SQL);
  source_plan plan = std_plan();
  plan.unit_table = "familes";
  char *d = dump(p, &plan, 2, NULL);
  char *want = af_sprintf("ERROR: no table 'familes' in %s (did you mean 'families'?)", p);
  assert_string_equal(d, want);
  free(d), free(want);
  plan = std_plan();
  const char *mc[] = {"age", "nmae"};
  plan.member_cols = mc;
  d = dump(p, &plan, 2, NULL);
  assert_string_equal(d, "ERROR: no column 'nmae' in table persons (did you mean 'name'?)");
  free(d);
  plan = std_plan();
  plan.unit_id = "zzzzzz";
  d = dump(p, &plan, 2, NULL);
  assert_string_equal(d, "ERROR: no column 'zzzzzz' in table families");
  free(d);
  /* Names are matched case-insensitively, as SQLite does. */
  plan = std_plan();
  plan.unit_table = "FAMILIES";
  d = dump(p, &plan, 100, NULL);
  assert_string_equal(d, "f1(100.5,'south')[40,'a'] f2(null,null) "
                         "f3(300,'north')[30,'c'][31,'d'][null,null] f4(12.5,'east')[5,'e'] ");
  free(d), free(p);
}

static void test_injection(void **state) {
  char *p = make_db("inj.db", FAMILIES_SQL);
  source_plan plan = std_plan();
  plan.unit_table = "families\"; DROP TABLE persons; --";
  char *d = dump(p, &plan, 2, NULL);
  char *want = af_sprintf("ERROR: no table 'families\"; DROP TABLE persons; --' in %s", p);
  assert_string_equal(d, want);
  free(d), free(want);
  plan = std_plan();
  const char *uc[] = {"income\" FROM families; --", "region"};
  plan.unit_cols = uc;
  d = dump(p, &plan, 2, NULL);
  assert_string_equal(d, "ERROR: no column 'income\" FROM families; --' in table families");
  free(d), free(p);
  /* A table whose real name needs quoting is read fine. */
  p = make_db("quoted.db", "CREATE TABLE \"we\"\"ird\"(\"i\"\"d\" TEXT, \"select\" REAL);"
                           "INSERT INTO \"we\"\"ird\" VALUES ('k', 1.5);");
  const char *qc[] = {"select"};
  vtype qt[] = {VT_NUM};
  source_plan qp = {"we\"ird", "i\"d", qc, qt, 1, NULL, NULL, NULL, NULL, 0, NULL, 0};
  d = dump(p, &qp, 2, NULL);
  assert_string_equal(d, "k(1.5) ");
  free(d), free(p);
}

/* Row numbers: the rowid when a column is named rowid too, and the scan
** position in a WITHOUT ROWID table. */
static void test_row_numbers(void **state) {
  const char *uc[] = {"x"};
  vtype ut[] = {VT_NUM};
  source_plan plan = {"t", "id", uc, ut, 1, NULL, NULL, NULL, NULL, 0, NULL, 0};
  expect_error("rowidcol.db",
               "CREATE TABLE t(id TEXT, x, rowid INTEGER);"
               "INSERT INTO t(rowid, id, x, _rowid_) VALUES (1, 'a', 1, 7), (2, 'b', 'q', 9);",
               &plan, "table t, column x, row 9 (unit 'b'): text 'q' where a number is expected");
  expect_error("norowid.db",
               "CREATE TABLE t(id TEXT PRIMARY KEY, x) WITHOUT ROWID;"
               "INSERT INTO t VALUES ('c', 'q'), ('a', 1), ('b', 2);",
               &plan, "table t, column x, row 3 (unit 'c'): text 'q' where a number is expected");
}

static void test_columns_and_tables(void **state) {
  char *p = make_db("cols.db",
                    "CREATE TABLE t(a INTEGER, b VARCHAR(10), c REAL, d NUMERIC, e BOOLEAN,"
                    " f DATE, g, h BLOB, i DOUBLE PRECISION, j STRING, k CLOB, l DECIMAL(10,2));"
                    "CREATE TABLE persons(x); CREATE VIEW v AS SELECT 1 AS one;");
  source *s;
  af_err e;
  assert_int_equal(source_open(p, &s, &e), 0);
  name_decl *cols;
  int n;
  assert_int_equal(source_columns(s, "t", &cols, &n, &e), 0);
  assert_int_equal(n, 12);
  const char *names = "abcdefghijkl";
  vtype want[] = {VT_NUM, VT_TEXT, VT_NUM, VT_NUM, VT_NUM, VT_NUM,
                  VT_ANY, VT_ANY, VT_NUM, VT_ANY, VT_TEXT, VT_NUM};
  for (int i = 0; i < n; i++) {
    assert_int_equal(cols[i].name[0], names[i]);
    assert_int_equal(cols[i].type, want[i]);
  }
  source_free_columns(cols, n);
  assert_int_equal(source_columns(s, "persns", &cols, &n, &e), -1);
  char *msg = af_sprintf("no table 'persns' in %s (did you mean 'persons'?)", p);
  assert_string_equal(e.msg, msg);
  free(msg);
  char **tables;
  assert_int_equal(source_tables(s, &tables, &n, &e), 0);
  assert_int_equal(n, 3);
  assert_string_equal(tables[0], "persons");
  assert_string_equal(tables[1], "t");
  assert_string_equal(tables[2], "v");
  for (int i = 0; i < n; i++) free(tables[i]);
  free(tables);
  source_close(s);
  free(p);
}

static void test_open_errors(void **state) {
  source *s = (source *)1;
  af_err e;
  char *p = path_of("missing.db");
  assert_int_equal(source_open(p, &s, &e), -1);
  assert_null(s);
  char *want = af_sprintf("%s: no such file", p);
  assert_string_equal(e.msg, want);
  free(want), free(p);
  p = path_of("text.db");
  FILE *f = fopen(p, "w");
  fputs("family_id,income\nf1,100\n this is a CSV file, not a database, honestly.....\n", f);
  fclose(f);
  assert_int_equal(source_open(p, &s, &e), -1);
  want = af_sprintf("%s: not a SQLite database", p);
  assert_string_equal(e.msg, want);
  free(want), free(p);
}

static unsigned char *slurp(const char *p, size_t *n) {
  char *t;
  af_err e;
  assert_int_equal(af_read_file(p, &t, n, &e), 0);
  return (unsigned char *)t;
}

static void test_read_only_file(void **state) {
  char *p = make_db("ro.db", FAMILIES_SQL);
  assert_int_equal(chmod(p, 0444), 0);
  size_t n0, n1;
  unsigned char *before = slurp(p, &n0);
  struct stat s0, s1;
  assert_int_equal(stat(p, &s0), 0);
  source_plan plan = std_plan();
  source_stats st;
  char *d = dump(p, &plan, 3, &st);
  assert_string_equal(d, "f1(100.5,'south')[40,'a'] f2(null,null) "
                         "f3(300,'north')[30,'c'][31,'d'][null,null] f4(12.5,'east')[5,'e'] ");
  unsigned char *after = slurp(p, &n1);
  assert_int_equal(n0, n1);
  assert_memory_equal(before, after, n0);
  assert_int_equal(stat(p, &s1), 0);
  assert_int_equal(s0.st_mtime, s1.st_mtime);
  /* No journal or WAL left behind. */
  char *j = af_sprintf("%s-journal", p), *w = af_sprintf("%s-wal", p);
  assert_int_equal(access(j, F_OK), -1);
  assert_int_equal(access(w, F_OK), -1);
  free(j), free(w), free(before), free(after), free(d), free(p);
}

/* The orders a read takes (source_order). One plan over u(id) and m(u, v):
** every layout of the same rows gives the same units, members and
** fingerprint; only the order of the units and the path differ. */
static const char *const RO_MC[] = {"v"};
static const vtype RO_MT[] = {VT_NUM};

static char *read_as(const char *name, const char *sql, source_stats *st) {
  source_plan plan = {"u", "id", NULL, NULL, 0, "m", "u", RO_MC, RO_MT, 1, NULL, 0};
  char *p = make_db(name, sql);
  restarts = 0;
  char *d = dump(p, &plan, 2, st);
  free(p);
  return d;
}

static void test_read_orders(void **state) {
  (void)state;
  source_stats k, r, sh, nu;
  /* key: units stored in key order, members grouped in it */
  char *dk = read_as("key.db", "CREATE TABLE u(id TEXT PRIMARY KEY); CREATE TABLE m(u TEXT, v REAL);"
                     "INSERT INTO u VALUES ('a'), ('b'), ('c');"
                     "INSERT INTO m VALUES ('a', 1), ('b', 2), ('b', 3), ('c', 4);", &k);
  assert_int_equal(restarts, 0);
  assert_int_equal(k.order, SOURCE_KEY);
  assert_string_equal(dk, "a()[1] b()[2][3] c()[4] ");
  /* registry: stored order is not key order, members grouped in it: no sort */
  char *dr = read_as("registry.db", "CREATE TABLE u(id TEXT PRIMARY KEY); CREATE TABLE m(u TEXT, v REAL);"
                     "INSERT INTO u VALUES ('c'), ('a'), ('b');"
                     "INSERT INTO m VALUES ('c', 4), ('a', 1), ('b', 2), ('b', 3);", &r);
  assert_int_equal(restarts, 0);
  assert_int_equal(r.order, SOURCE_STORED);
  assert_string_equal(dr, "c()[4] a()[1] b()[2][3] ");
  /* shuffled: a member of a unit already passed: sorted, after one restart */
  char *ds = read_as("shuffled.db", "CREATE TABLE u(id TEXT PRIMARY KEY); CREATE TABLE m(u TEXT, v REAL);"
                     "INSERT INTO u VALUES ('a'), ('b'), ('c');"
                     "INSERT INTO m VALUES ('b', 2), ('a', 1), ('c', 4), ('b', 3);", &sh);
  assert_int_equal(restarts, 1);
  assert_int_equal(sh.order, SOURCE_SORTED);
  assert_string_equal(ds, dk);
  /* registry order without a unique key: a repeated id could not be seen, so sorted */
  char *dn = read_as("nounique.db", "CREATE TABLE u(id TEXT); CREATE TABLE m(u TEXT, v REAL);"
                     "INSERT INTO u VALUES ('c'), ('a'), ('b');"
                     "INSERT INTO m VALUES ('c', 4), ('a', 1), ('b', 2), ('b', 3);", &nu);
  assert_int_equal(restarts, 1);
  assert_int_equal(nu.order, SOURCE_SORTED);
  assert_string_equal(dn, dk);
  assert_string_equal(k.sha256, r.sha256);
  assert_string_equal(k.sha256, sh.sha256);
  assert_string_equal(k.sha256, nu.sha256);
  free(dk), free(dr), free(ds), free(dn);
}

/* Stored order with orphans (first, between units, inside a unit's rows,
** last), a unit without members and a member key of another type (integer 1
** is not unit '1', as SQLite orders them): each placed as the sorted read
** places it. */
static void test_stored_order_edges(void **state) {
  (void)state;
  static const char *const rows =
      "INSERT INTO m VALUES ('zz', 9), ('c', 4), ('x', 9), ('a', 1), ('b', 2), ('yy', 9),"
      " ('b', 3), (1, 9), ('1', 5), ('q', 9);";
  char *sql_r = af_sprintf("CREATE TABLE u(id TEXT PRIMARY KEY); CREATE TABLE m(u, v REAL);"
                           "INSERT INTO u VALUES ('c'), ('a'), ('d'), ('b'), ('1'); %s", rows);
  char *sql_s = af_sprintf("CREATE TABLE u(id TEXT); CREATE TABLE m(u, v REAL);"
                           "INSERT INTO u VALUES ('c'), ('a'), ('d'), ('b'), ('1'); %s", rows);
  source_stats r, s;
  char *dr = read_as("edges_r.db", sql_r, &r);
  assert_int_equal(restarts, 0);
  assert_int_equal(r.order, SOURCE_STORED);
  assert_string_equal(dr, "c()[4] a()[1] d() b()[2][3] 1()[5] ");
  char *ds = read_as("edges_s.db", sql_s, &s);
  assert_int_equal(s.order, SOURCE_SORTED);
  assert_string_equal(ds, "1()[5] a()[1] b()[2][3] c()[4] d() ");
  assert_int_equal(r.orphans, 5);
  assert_int_equal(s.orphans, 5);
  assert_int_equal(r.units_without_members, 1);
  assert_int_equal(s.units_without_members, 1);
  assert_string_equal(r.sha256, s.sha256);
  free(dr), free(ds), free(sql_r), free(sql_s);
}

/* The last member rows belong to a unit already passed: sorted. */
static void test_stored_order_late_member(void **state) {
  (void)state;
  source_stats r;
  char *d = read_as("late.db", "CREATE TABLE u(id TEXT PRIMARY KEY); CREATE TABLE m(u TEXT, v REAL);"
                    "INSERT INTO u VALUES ('c'), ('a');"
                    "INSERT INTO m VALUES ('c', 4), ('a', 1), ('q', 9), ('c', 5);", &r);
  assert_int_equal(restarts, 1);
  assert_int_equal(r.order, SOURCE_SORTED);
  assert_string_equal(d, "a()[1] c()[4][5] ");
  assert_int_equal(r.orphans, 1);
  free(d);
}

/* ---- reading in parts ---- */

/* 10,000 units (three chunks) stored in a registry order (ids u00000..u09999
** permuted), members grouped in it, an index on the member key; every 13th
** unit has no members; orphans first, after every 700th unit and last.
** moved: the member row at rowid 3 is moved to the end of the table. */
static char *parts_db(const char *name, int moved) {
  char *sql = af_sprintf(
      "CREATE TABLE u(id TEXT PRIMARY KEY, t TEXT); CREATE TABLE m(u TEXT, v REAL, t TEXT);"
      "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < 9999)"
      " INSERT INTO u SELECT printf('u%%05d', (i * 7919) %% 10000), 'x' || (i %% 5) FROM c;"
      "INSERT INTO m(u, v, t) SELECT mu, mv, mt FROM ("
      "  SELECT u.id AS mu, u.rowid + k AS mv, 'm' || k AS mt, u.rowid AS r, k FROM u,"
      "   (SELECT 0 AS k UNION ALL SELECT 1 UNION ALL SELECT 2)"
      "   WHERE CAST(substr(u.id, 2) AS INT) %% 13 != 0"
      "  UNION ALL SELECT 'orphan' || u.rowid, -1, 'o', u.rowid, 9 FROM u WHERE u.rowid %% 700 = 0"
      "  UNION ALL SELECT 'orphan-first', -2, 'o', 0, 0) ORDER BY r, k;"
      "INSERT INTO m VALUES ('orphan-last', -3, 'o');"
      "%s CREATE INDEX m_u ON m(u);",
      moved ? "INSERT INTO m SELECT u, v, t FROM m WHERE rowid = 3; DELETE FROM m WHERE rowid = 3;"
            : "");
  char *p = make_db(name, sql);
  free(sql);
  return p;
}

static const char *const PT_UC[] = {"t"}, *const PT_MC[] = {"v", "t"};
static const vtype PT_UT[] = {VT_TEXT}, PT_MT[] = {VT_NUM, VT_TEXT};

/* Every chunk with nreaders readers, in turn (reader c % nreaders), as text;
** NULL when the parts cannot be used; "RESTART" when a chunk says so. */
static char *dump_parts(const char *path, int nreaders, source_stats *st) {
  source_plan plan = {"u", "id", PT_UC, PT_UT, 1, "m", "u", PT_MC, PT_MT, 2, NULL, 0};
  source *s;
  af_err e = {{0}};
  assert_int_equal(source_open(path, &s, &e), 0);
  strpool *pool = strpool_new();
  source_parts *p;
  assert_int_equal(source_parts_open(s, &plan, pool, nreaders, &p, &e), 0);
  strbuf b = {0};
  if (p) {
    sb_puts(&b, "");
    for (int64_t c = 0; c < source_parts_chunks(p); c++) {
      batch bt = {0};
      const char *const *ids;
      int n = source_parts_read(p, (int)(c % nreaders), c, &bt, &ids, &e);
      if (n == SOURCE_RESTART) {
        b.len = 0;
        sb_puts(&b, "RESTART");
        break;
      }
      assert_true(n >= 0);
      put_batch(&b, &bt, ids, &plan, pool);
    }
    source_parts_close(p, st);
  }
  strpool_free(pool);
  source_close(s);
  return b.s;
}

static void test_parts_same_as_one_reader(void **state) {
  (void)state;
  char *path = parts_db("parts.db", 0);
  source_plan plan = {"u", "id", PT_UC, PT_UT, 1, "m", "u", PT_MC, PT_MT, 2, NULL, 0};
  source_stats one, p1, p2;
  restarts = 0;
  char *d = dump(path, &plan, KERNEL_BATCH, &one);
  assert_int_equal(restarts, 0);
  assert_int_equal(one.order, SOURCE_STORED);
  char *d1 = dump_parts(path, 1, &p1), *d2 = dump_parts(path, 2, &p2);
  assert_non_null(d1);
  assert_string_equal(d1, d);
  assert_string_equal(d2, d);
  /* 10,000 units, 1 in 13 without members (ids 0, 13, ..., 9997: 770) */
  assert_int_equal(one.units, 10000);
  assert_int_equal(one.units_without_members, 770);
  assert_int_equal(one.members, 3 * (10000 - 770));
  assert_int_equal(one.orphans, 14 + 2);   /* rowids 700, 1400, ..., 9800; first; last */
  const source_stats *ps[2] = {&p1, &p2};
  for (int i = 0; i < 2; i++) {
    assert_int_equal(ps[i]->order, SOURCE_STORED);
    assert_int_equal(ps[i]->units, one.units);
    assert_int_equal(ps[i]->members, one.members);
    assert_int_equal(ps[i]->orphans, one.orphans);
    assert_int_equal(ps[i]->units_without_members, one.units_without_members);
    assert_string_equal(ps[i]->sha256, one.sha256);
  }
  free(d), free(d1), free(d2), free(path);
}

/* A member row near the start moved to the end of the table: the
** parts find it (a walk that does not join the next) and say RESTART; the
** one reader reads sorted. */
static void test_parts_not_grouped(void **state) {
  (void)state;
  char *path = parts_db("parts_moved.db", 1);
  source_stats st;
  char *d1 = dump_parts(path, 1, &st), *d2 = dump_parts(path, 2, &st);
  assert_string_equal(d1, "RESTART");
  assert_string_equal(d2, "RESTART");
  source_plan plan = {"u", "id", PT_UC, PT_UT, 1, "m", "u", PT_MC, PT_MT, 2, NULL, 0};
  restarts = 0;
  free(dump(path, &plan, KERNEL_BATCH, &st));
  assert_int_equal(restarts, 1);
  assert_int_equal(st.order, SOURCE_SORTED);
  assert_int_equal(st.members, 3 * (10000 - 770));
  free(d1), free(d2), free(path);
}

/* No index on the member key, or one chunk only: no parts. */
static void test_parts_not_used(void **state) {
  (void)state;
  char *path = make_db("parts_noidx.db",
                       "CREATE TABLE u(id TEXT PRIMARY KEY, t TEXT); "
                       "CREATE TABLE m(u TEXT, v REAL, t TEXT);"
                       "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < 9999)"
                       " INSERT INTO u SELECT printf('u%05d', i), 'x' FROM c;");
  source_stats st;
  assert_null(dump_parts(path, 2, &st));
  free(path);
  path = make_db("parts_small.db", "CREATE TABLE u(id TEXT PRIMARY KEY, t TEXT); "
                 "CREATE TABLE m(u TEXT, v REAL, t TEXT); CREATE INDEX m_u ON m(u);"
                 "INSERT INTO u VALUES ('a', 'x');");
  assert_null(dump_parts(path, 2, &st));
  free(path);
}

/* A sorted read in halves (source_read_begin_halves): the lower half read to
** its end, then the upper (its sorts run first, as another thread would run
** them), as text. NULL when the read is not cut. */
static char *dump_halves(const char *path, const source_plan *plan, source_stats *st) {
  source *s;
  af_err e = {{0}};
  assert_int_equal(source_open(path, &s, &e), 0);
  strpool *pool = strpool_new();
  source_reader *lo, *hi;
  strbuf b = {0};
  assert_int_equal(source_read_begin_halves(s, plan, pool, &lo, &hi, &e), 0);
  if (hi) {
    sb_puts(&b, "");
    assert_int_equal(source_read_prefetch(hi, &e), 0);
    source_reader *r = lo;
    for (;;) {
      batch bt = {0};
      const char *const *ids;
      int n = source_read_batch(r, &bt, &ids, KERNEL_BATCH, &e);
      assert_true(n != SOURCE_RESTART);
      if (n < 0) {
        sb_printf(&b, "ERROR: %s", e.msg);
        break;
      }
      if (n == 0 && r == lo) {
        source_read_follow(hi, lo);
        r = hi;
        continue;
      }
      if (n == 0) break;
      put_batch(&b, &bt, ids, plan, pool);
    }
  }
  source_read_end_halves(lo, hi, st);
  strpool_free(pool);
  source_close(s);
  return b.s;
}

/* 10,000 units stored out of key order, members shuffled, orphans of every
** kind: a null key, a number (numbers sort before text), before the first
** unit, just below the median unit u05000 and at nothing just above it, and
** after the last. */
static char *halves_db(const char *name) {
  return make_db(name,
      "CREATE TABLE u(id TEXT PRIMARY KEY, t TEXT); CREATE TABLE m(u, v REAL, t TEXT);"
      "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < 9999)"
      " INSERT INTO u SELECT printf('u%05d', (i * 7919) % 10000), 'x' || (i % 5) FROM c;"
      "INSERT INTO m(u, v, t) SELECT mu, mv, mt FROM ("
      "  SELECT u.id AS mu, u.rowid + k AS mv, 'm' || k AS mt, (u.rowid * 3 + k) * 7727 % 30011 AS o"
      "  FROM u, (SELECT 0 AS k UNION ALL SELECT 1 UNION ALL SELECT 2)"
      "  WHERE CAST(substr(u.id, 2) AS INT) % 13 != 0"
      "  UNION ALL SELECT NULL, -1, 'null', 5"
      "  UNION ALL SELECT 7, -2, 'number', 6"
      "  UNION ALL SELECT 'a', -3, 'first', 7"
      "  UNION ALL SELECT 'u04999z', -4, 'below the median', 8"
      "  UNION ALL SELECT 'u05000a', -5, 'above the median', 9"
      "  UNION ALL SELECT 'zz', -6, 'last', 10) ORDER BY o;");
}

static void test_halves_same_as_sorted(void **state) {
  (void)state;
  char *path = halves_db("halves.db");
  source_plan plan = {"u", "id", PT_UC, PT_UT, 1, "m", "u", PT_MC, PT_MT, 2, NULL, 1};
  source_stats one, two;
  char *d = dump(path, &plan, KERNEL_BATCH, &one);
  char *h = dump_halves(path, &plan, &two);
  assert_non_null(h);
  assert_string_equal(h, d);
  assert_int_equal(one.order, SOURCE_SORTED);
  assert_int_equal(two.order, SOURCE_SORTED);
  /* 10,000 units, 770 without members (ids 0, 13, ..., 9997); six orphans */
  assert_int_equal(two.units, 10000);
  assert_int_equal(two.units_without_members, 770);
  assert_int_equal(two.members, 3 * (10000 - 770));
  assert_int_equal(two.orphans, 6);
  assert_string_equal(two.sha256, one.sha256);
  free(d), free(h), free(path);
}

/* Ids numbers below the median and text from it on: the halves find the
** change of kind across the cut, as the whole read does, with the same
** message; fewer than two batches of units: not cut. */
static void test_halves_edges(void **state) {
  (void)state;
  char *path = make_db("halves_kinds.db",
      "CREATE TABLE u(id PRIMARY KEY, t TEXT); CREATE TABLE m(u, v REAL, t TEXT);"
      "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < 9999)"
      " INSERT INTO u SELECT CASE WHEN i < 5000 THEN i ELSE printf('t%05d', i) END, 'x'"
      " FROM c ORDER BY (i * 7919) % 10000;"
      "INSERT INTO m SELECT id, 1, 'a' FROM u;");
  source_plan plan = {"u", "id", PT_UC, PT_UT, 1, "m", "u", PT_MC, PT_MT, 2, NULL, 1};
  source_stats st;
  char *d = dump(path, &plan, KERNEL_BATCH, &st);
  char *h = dump_halves(path, &plan, &st);
  assert_non_null(h);
  assert_non_null(strstr(d, "ERROR: table u, row "));
  assert_non_null(strstr(d, "unit id 't05000' is text, but earlier ids are numbers"));
  assert_string_equal(h + (strstr(h, "ERROR") - h), d + (strstr(d, "ERROR") - d));
  free(d), free(h), free(path);
  path = make_db("halves_small.db",
      "CREATE TABLE u(id TEXT PRIMARY KEY, t TEXT); CREATE TABLE m(u, v REAL, t TEXT);"
      "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < 8190)"
      " INSERT INTO u SELECT printf('u%05d', i), 'x' FROM c;");
  assert_null(dump_halves(path, &plan, &st));
  free(path);
}


static void test_big_unit(void **state) {
  char *p = make_db("big.db",
                    "CREATE TABLE u(id INTEGER PRIMARY KEY);CREATE TABLE m(u INTEGER, v REAL);"
                    "INSERT INTO u VALUES (1), (2), (3);"
                    "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i<20000)"
                    " INSERT INTO m SELECT 2, i FROM c;"
                    "INSERT INTO m VALUES (3, -1), (1, -2);");
  source *s;
  af_err e;
  assert_int_equal(source_open(p, &s, &e), 0);
  strpool *pool = strpool_new();
  const char *mc[] = {"v"};
  vtype mt[] = {VT_NUM};
  source_plan plan = {"u", "id", NULL, NULL, 0, "m", "u", mc, mt, 1, NULL, 0};
  source_reader *r;
  assert_int_equal(source_read_begin(s, &plan, pool, &r, &e), 0);
  batch b = {0};
  const char *const *ids;
  /* Members of unit 1 come last, so the stored-order read gives way to a
  ** sorted one part-way through: keep only what the final pass gives. */
  int count[4] = {0}, n;
  double sum[4] = {0};
  while ((n = source_read_batch(r, &b, &ids, 2, &e)) != 0) {
    if (n == SOURCE_RESTART) {
      memset(count, 0, sizeof count);
      memset(sum, 0, sizeof sum);
      continue;
    }
    assert_true(n > 0);
    for (int u = 0; u < n; u++) {
      int id = atoi(ids[u]);
      for (int i = b.mstart[u]; i < b.mstart[u + 1]; i++) count[id]++, sum[id] += b.mcols[0].v[i];
    }
  }
  assert_int_equal(count[1], 1);
  assert_true(sum[1] == -2);
  assert_int_equal(count[2], 20000);
  assert_true(sum[2] == 20000.0 * 20001.0 / 2);
  assert_int_equal(count[3], 1);
  assert_true(sum[3] == -1);
  source_read_end(r, NULL);
  strpool_free(pool);
  source_close(s);
  free(p);
}

int main(void) {
  make_dir();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_join),           cmocka_unit_test(test_batches_identical),
      cmocka_unit_test(test_batch_sizes),    cmocka_unit_test(test_fingerprint_changes),
      cmocka_unit_test(test_duplicate_id),   cmocka_unit_test(test_null_id),
      cmocka_unit_test(test_text_in_number), cmocka_unit_test(test_infinity),
      cmocka_unit_test(test_numeric_text),   cmocka_unit_test(test_nulls_everywhere),
      cmocka_unit_test(test_empty_units),    cmocka_unit_test(test_key_types),
      cmocka_unit_test(test_unknown_names),  cmocka_unit_test(test_injection),
      cmocka_unit_test(test_row_numbers),    cmocka_unit_test(test_columns_and_tables),
      cmocka_unit_test(test_open_errors),    cmocka_unit_test(test_read_only_file),
      cmocka_unit_test(test_big_unit),
      cmocka_unit_test(test_read_orders),    cmocka_unit_test(test_stored_order_edges),
      cmocka_unit_test(test_stored_order_late_member), cmocka_unit_test(test_index_independent),
      cmocka_unit_test(test_parts_same_as_one_reader), cmocka_unit_test(test_parts_not_grouped),
      cmocka_unit_test(test_parts_not_used),
      cmocka_unit_test(test_halves_same_as_sorted),
      cmocka_unit_test(test_halves_edges),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
