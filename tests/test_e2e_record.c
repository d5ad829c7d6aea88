/*
** test_e2e_record.c: the decision record, through the real binary, on
** populations generated here and keys made here with the openssl command
** line (no private key is committed):
**  - an edited, a deleted and an inserted unit_scores row each make replay
**    and verify fail, naming the unit (verify, without the data, names a
**    deleted row by its position and the rows on either side);
**  - check, score, compare and replay give each file's signature status,
**    signed or not, in text and in --json;
**  - changed data is reported by replay, with and without --method, and
**    replay --method refuses to pass a recomputed base off as the run;
**  - afscore's signatures verify with openssl and openssl's with afscore;
**    tampered, untrusted and unsigned files (imports included) are refused
**    under --require-signed and nothing is recorded; signed runs verify;
**  - nothing is overwritten: generate, --changes, --db X --out X, sign,
**    show --extract; every refused file keeps its bytes;
**  - read-only commands work on read-only storage (as uid 65534) and change
**    nothing; a mistyped path creates nothing; an older results database;
**  - bad keys and signatures, a run that does not exist.
** Expected units and values come from SQL on the files, never from
** afscore's own output.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "jpath.h"
#include "util.h"

#define FAMILIES 2000

/* h_path and h_root rotate among a few buffers: keep copies. */
typedef h_pathbuf pathbuf;
#define P h_path_copy
#define R h_root_copy

static pathbuf data_db, results_db, method, pub, key, pub2, key2;

static void copy(const char *from, const char *to) {
  unlink(to);
  assert_int_equal(h_sh("cp '%s' '%s'", from, to), 0);
}

static char *slurp(const char *path, size_t *len) {
  char *t = NULL;
  af_err e;
  size_t n = 0;
  if (af_read_file(path, &t, &n, &e) < 0) return NULL;
  if (len) *len = n;
  return t;
}

/* Run afscore; expect status; return the result (caller frees). */
static h_result run_expect(int status, const char *const *args) {
  h_result r = h_run(args);
  if (r.status != status)
    fail_msg("afscore %s: status %d, expected %d\nstdout: %s\nstderr: %s", args[0], r.status,
             status, r.out, r.err);
  return r;
}


static int setup(void **state) {
  (void)state;
  data_db = P("rec_data.db");
  results_db = P("rec_results.db");
  method = R("methodology/kz_family_2023.lua");
  key = P("rec_key.pem");
  pub = P("rec_pub.pem");
  key2 = P("rec_key2.pem");
  pub2 = P("rec_pub2.pem");
  unlink(data_db.s);
  unlink(results_db.s);
  int ok = h_generate(FAMILIES, 3, data_db.s) == 0;
  const char *score[] = {"score", "--db", data_db.s, "--method", method.s, "--out",
                         results_db.s, NULL};
  h_result r = h_run(score);
  ok &= r.status == 0;
  h_result_free(&r);
  ok &= h_sh("openssl genpkey -algorithm ed25519 -out '%s' 2>/dev/null && openssl pkey -in '%s' "
           "-pubout -out '%s' && openssl genpkey -algorithm ed25519 -out '%s' 2>/dev/null && "
           "openssl pkey -in '%s' -pubout -out '%s'", key.s, key.s, pub.s, key2.s, key2.s,
           pub2.s) == 0;
  return ok ? 0 : -1;
}

/* The fingerprint of a PEM public key as docs/audit.md defines it: the
** SHA-256 of its DER SubjectPublicKeyInfo, by the openssl command line. */
static void key_fp(const char *pubpath, char out[65]) {
  pathbuf fpfile = P("rec_key.fp");
  assert_int_equal(h_sh("openssl pkey -pubin -in '%s' -outform DER | sha256sum | cut -c1-64 > '%s'",
                      pubpath, fpfile.s), 0);
  char *t = slurp(fpfile.s, NULL);
  assert_non_null(t);
  assert_int_equal(strlen(t), 65);
  snprintf(out, 65, "%.64s", t);
  free(t);
}

/* A copy of the recorded results to tamper with. */
static pathbuf tamper_copy(const char *name) {
  pathbuf p = P(name);
  copy(results_db.s, p.s);
  return p;
}

/* ---- replay and verify: every row ---- */

/* verify --out r exits 1 with exactly this verdict. */
static void expect_not_verified(const char *r, int rows, int changed, int missing,
                                const char *first) {
  const char *ver[] = {"verify", "--out", r, NULL};
  h_result x = run_expect(1, ver);
  char want[2048];
  snprintf(want, sizeof want, "run 1: NOT verified: %d rows, %d recorded; %d changed or added, %d "
           "missing; the rows do not hash to the recorded results digest; first: %s\n",
           rows, FAMILIES, changed, missing, first);
  assert_string_equal(x.err, want);
  h_result_free(&x);
}

/* The unit of the row at 0-based offset i in the unit order. */
static char *unit_at(const char *r, int i) {
  char sql[128];
  snprintf(sql, sizeof sql, "SELECT unit FROM unit_scores ORDER BY unit LIMIT 1 OFFSET %d", i);
  return h_sql_text(r, sql);
}

static void delete_unit(const char *r, const char *unit) {
  char sql[256];
  snprintf(sql, sizeof sql, "DELETE FROM unit_scores WHERE unit = '%s'", unit);
  h_sql(r, sql);
}

/* Replay and verify of a tampered copy r: both exit 1; replay gives the
** counts and names the unit (needles a and b, b may be NULL); verify's
** verdict is exactly as given. */
static void expect_caught(const char *r, int differ, int missing, int extra, const char *a,
                          const char *b, int rows, int changed, int missing_rows,
                          const char *first) {
  const char *rep[] = {"replay", "1", "--out", r, "--db", data_db.s, NULL};
  h_result x = run_expect(1, rep);
  char want[2048];
  snprintf(want, sizeof want, "not reproduced: run 1: %d units recomputed, %d rows recorded: %d "
           "differ, %d not recorded, %d recorded but not in the data\n", FAMILIES, FAMILIES,
           differ, missing, extra);
  assert_has(x.err, want);
  assert_has(x.err, a);
  if (b) assert_has(x.err, b);
  h_result_free(&x);
  expect_not_verified(r, rows, changed, missing_rows, first);
}

static void test_edited_row(void **state) {
  (void)state;
  pathbuf r = tamper_copy("rec_edit.db");
  /* the first D family (in unit order) becomes A */
  char *unit = h_sql_text(r.s, "SELECT unit FROM unit_scores WHERE category = 'D' ORDER BY unit LIMIT 1");
  char sql[256], line[256], first[256];
  snprintf(sql, sizeof sql, "UPDATE unit_scores SET category = 'A' WHERE unit = '%s'", unit);
  h_sql(r.s, sql);
  snprintf(line, sizeof line, "  unit '%s': recorded (category A,", unit);
  snprintf(first, sizeof first, "unit '%s': the row was changed or added after the run", unit);
  expect_caught(r.s, 1, 0, 0, line, "recomputed (category D,", FAMILIES, 1, 0, first);
  free(unit);
}

static void test_deleted_row(void **state) {
  (void)state;
  pathbuf r = tamper_copy("rec_delete.db");
  char *before = h_sql_text(r.s, "SELECT unit FROM unit_scores ORDER BY unit LIMIT 1 OFFSET 99");
  char *unit = h_sql_text(r.s, "SELECT unit FROM unit_scores ORDER BY unit LIMIT 1 OFFSET 100");
  char *after = h_sql_text(r.s, "SELECT unit FROM unit_scores ORDER BY unit LIMIT 1 OFFSET 101");
  char *cat = h_sql_text(r.s, "SELECT category FROM unit_scores ORDER BY unit LIMIT 1 OFFSET 100");
  char sql[256], line[256], first[256];
  snprintf(sql, sizeof sql, "DELETE FROM unit_scores WHERE unit = '%s'", unit);
  h_sql(r.s, sql);
  snprintf(line, sizeof line, "  unit '%s': not recorded; recomputed (category %s,", unit, cat);
  /* OFFSET 100: the 101st row of 2000 in the unit order; its unit is named
  ** by the entry it left in run_units */
  snprintf(first, sizeof first, "the row of unit '%s' at position 101 of %d (between unit '%s' "
           "and unit '%s') is missing", unit, FAMILIES, before, after);
  expect_caught(r.s, 0, 1, 0, line, NULL, FAMILIES - 1, 0, 1, first);
  free(before);
  free(unit);
  free(after);
  free(cat);
}

static void test_inserted_row(void **state) {
  (void)state;
  pathbuf r = tamper_copy("rec_insert.db");
  /* rows are keyed by position: the forged row takes the next free one */
  h_sql(r.s, "INSERT INTO unit_scores(run_id, seq, unit, score, poor, category, eligible)"
             " VALUES (1, (SELECT max(seq) + 1 FROM unit_scores), '0000fake', 0.75, 1, 'E', 3)");
  expect_caught(r.s, 0, 0, 1, "  unit '0000fake': recorded (category E, score 0.75, poor 1, "
                "eligible 0x3); not in the data\n", NULL, FAMILIES + 1, 1, 0,
                "unit '0000fake': the row was changed or added after the run");
}

/* Where rows go missing, verify names their positions (1-based in the unit
** order, counted here by SQL) and the units on either side. */
static void test_deleted_places(void **state) {
  (void)state;
  char first[512];
  /* the first row */
  pathbuf r = tamper_copy("rec_del_first.db");
  char *u0 = unit_at(r.s, 0), *u1 = unit_at(r.s, 1);
  delete_unit(r.s, u0);
  snprintf(first, sizeof first, "the row of unit '%s' at position 1 of %d (before unit '%s', the "
           "first) is missing", u0, FAMILIES, u1);
  expect_not_verified(r.s, FAMILIES - 1, 0, 1, first);
  free(u0);
  free(u1);
  /* the last two rows */
  r = tamper_copy("rec_del_last.db");
  char *ua = unit_at(r.s, FAMILIES - 3), *ub = unit_at(r.s, FAMILIES - 2),
       *uc = unit_at(r.s, FAMILIES - 1);
  delete_unit(r.s, ub);
  delete_unit(r.s, uc);
  snprintf(first, sizeof first, "2 of the rows at positions %d to %d of %d (after unit '%s', the "
           "last) are missing; the first is unit '%s'", FAMILIES - 1, FAMILIES, FAMILIES, ua, ub);
  expect_not_verified(r.s, FAMILIES - 2, 0, 2, first);
  free(ua);
  free(ub);
  free(uc);
  /* two rows together, then one more further on: two places, three rows */
  r = tamper_copy("rec_del_two.db");
  char *v49 = unit_at(r.s, 49), *v50 = unit_at(r.s, 50), *v51 = unit_at(r.s, 51),
       *v52 = unit_at(r.s, 52), *v900 = unit_at(r.s, 900);
  delete_unit(r.s, v50);
  delete_unit(r.s, v51);
  delete_unit(r.s, v900);
  snprintf(first, sizeof first, "2 of the rows at positions 51 to 52 of %d (between unit '%s' and "
           "unit '%s') are missing; the first is unit '%s'", FAMILIES, v49, v52, v50);
  expect_not_verified(r.s, FAMILIES - 3, 0, 3, first);
  free(v49);
  free(v50);
  free(v51);
  free(v52);
  free(v900);
  /* an edited row keeps its place: edited at offset 10 and deleted at 11
  ** is one changed and one missing, not two missing */
  r = tamper_copy("rec_edit_del.db");
  char *e10 = unit_at(r.s, 10), *e11 = unit_at(r.s, 11);
  char sql[256];
  snprintf(sql, sizeof sql, "UPDATE unit_scores SET score = score + 1 WHERE unit = '%s'", e10);
  h_sql(r.s, sql);
  delete_unit(r.s, e11);
  snprintf(first, sizeof first, "unit '%s': the row was changed or added after the run", e10);
  expect_not_verified(r.s, FAMILIES - 1, 1, 1, first);
  free(e10);
  free(e11);
}

static void test_untouched_run_verifies(void **state) {
  (void)state;
  const char *rep[] = {"replay", "1", "--out", results_db.s, "--db", data_db.s, NULL};
  h_result x = run_expect(0, rep);
  char want[4096];
  pathbuf notices = R("methodology/kz_notices_2023.lua");
  snprintf(want, sizeof want, "signature: %s (recorded): unsigned\nsignature: %s (recorded): "
           "unsigned\nreproduced: run 1, %d units, every recorded row checked: score, poor, "
           "category and eligibility identical\n", method.s, notices.s, FAMILIES);
  assert_string_equal(x.out, want);
  h_result_free(&x);
  const char *ver[] = {"verify", "--out", results_db.s, NULL};
  x = run_expect(0, ver);
  snprintf(want, sizeof want, "run 1: verified: %d rows match their checks and the results "
           "digest; 2 methodology files match their sha256; not signed\n", FAMILIES);
  assert_string_equal(x.out, want);
  h_result_free(&x);
}

/* ---- integer unit ids: rows recorded and checked in integer order ---- */

/* Families 1..12 with incomes 20, 40, ..., 240 (family 1 has a child of
** 10) under ids of SQL type idtype in db, and a methodology over them in
** lua: income < 150 and a child are each worth 1/2; k = 1/2. */
static void twelve_families(const char *db, const char *idtype, const char *lua) {
  unlink(db);
  strbuf sql = {0};
  sb_printf(&sql, "CREATE TABLE families(id %s PRIMARY KEY, income REAL);"
                  "CREATE TABLE persons(fid %s, age INTEGER);"
                  "INSERT INTO persons VALUES (1, 10);", idtype, idtype);
  for (int i = 1; i <= 12; i++) sb_printf(&sql, "INSERT INTO families VALUES (%d, %d);", i, i * 20);
  h_sql(db, sql.s);
  sb_free(&sql);
  h_write(lua, "return {\n"
               "  name = 'twelve families', version = '1',\n"
               "  unit = { table = 'families', id = 'id' },\n"
               "  members = { table = 'persons', unit = 'fid' },\n"
               "  dimensions = { { id = 'd', indicators = {\n"
               "    { id = 'i1', deprived = 'income < 150' },\n"
               "    { id = 'i2', deprived = 'any(age < 18)' } } } },\n"
               "  k = 1/2,\n"
               "}\n");
}

/* replay of run 1 on results r fails naming unit, not recorded, recomputed
** with this score, poor and eligibility ("score 0.5, poor 1, eligible 0x0"). */
static void expect_replay_missing(const char *r, const char *data, const char *unit,
                                  const char *values) {
  const char *rep[] = {"replay", "1", "--out", r, "--db", data, NULL};
  h_result x = run_expect(1, rep);
  assert_has(x.err, "not reproduced: run 1: 12 units recomputed, 12 rows recorded: 0 differ, 1 "
                    "not recorded, 0 recorded but not in the data\n");
  char want[200];
  snprintf(want, sizeof want, "  unit '%s': not recorded; recomputed (category ", unit);
  assert_has(x.err, want);
  snprintf(want, sizeof want, ", %s)\n", values);
  assert_has(x.err, want);
  h_result_free(&x);
}

/* Units 1..12 stored as INTEGER: their order (1, 2, ..., 10, 11, 12) is not
** the order of their texts ("1", "10", "11", "12", "2", ...). Replay and
** verify follow the recorded order: a deleted row 2 lies between 1 and 3. */
static void test_integer_ids(void **state) {
  (void)state;
  pathbuf d = P("rec_int.db"), m = P("rec_int.lua"), r = P("rec_int_results.db");
  unlink(r.s);
  twelve_families(d.s, "INTEGER", m.s);
  const char *sc[] = {"score", "--db", d.s, "--method", m.s, "--out", r.s, NULL};
  h_result x = run_expect(0, sc);
  h_result_free(&x);
  char *order = h_sql_text(r.s, "SELECT unit_order FROM runs WHERE id = 1");
  assert_string_equal(order, "integer");
  free(order);
  const char *rep[] = {"replay", "1", "--out", r.s, "--db", d.s, NULL};
  x = run_expect(0, rep);
  char want[1400];
  snprintf(want, sizeof want, "signature: %s (recorded): unsigned\nreproduced: run 1, 12 units, "
           "every recorded row checked: score, poor, category and eligibility identical\n", m.s);
  assert_string_equal(x.out, want);
  h_result_free(&x);
  const char *ver[] = {"verify", "--out", r.s, NULL};
  x = run_expect(0, ver);
  h_result_free(&x);
  /* income 40 < 150: i1 holds, score 1/2 = k: poor */
  h_sql(r.s, "DELETE FROM unit_scores WHERE unit = '2'");
  expect_replay_missing(r.s, d.s, "2", "score 0.5, poor 1, eligible 0x0");
  x = run_expect(1, ver);
  assert_string_equal(x.err, "run 1: NOT verified: 11 rows, 12 recorded; 0 changed or added, 1 "
                             "missing; the rows do not hash to the recorded results digest; "
                             "first: the row of unit '2' at position 2 of 12 (between unit '1' "
                             "and unit '3') is missing\n");
  h_result_free(&x);
}

/* ---- changed data ---- */

static void test_data_changed(void **state) {
  (void)state;
  pathbuf d = P("rec_changed.db");
  copy(data_db.s, d.s);
  char *gone = h_sql_text(d.s, "SELECT family_id FROM families ORDER BY family_id LIMIT 1 OFFSET 7");
  char sql[256];
  snprintf(sql, sizeof sql, "DELETE FROM persons WHERE family_id = '%s';"
           "DELETE FROM families WHERE family_id = '%s'", gone, gone);
  h_sql(d.s, sql);
  char *fp = h_sql_text(results_db.s, "SELECT substr(data_sha256, 1, 16) FROM runs WHERE id = 1");
  char want[2600];
  snprintf(want, sizeof want, "data changed since run 1: it was recorded from %s with fingerprint "
           "%s; the data now has fingerprint ", data_db.s, fp);
  const char *rep[] = {"replay", "1", "--out", results_db.s, "--db", d.s, "--json", NULL};
  h_result x = run_expect(1, rep);
  assert_has(x.err, want);
  assert_has(x.out, "\"data_changed\": true");
  assert_double_equal(jp_num(x.out, "recorded_not_in_data"), 1, 0);
  h_result_free(&x);
  /* --method: refused, the base would not be the recorded run */
  pathbuf variant = R("tests/fixtures/variants/kz_family_four_bands.lua");
  const char *m1[] = {"replay", "1", "--out", results_db.s, "--db", d.s, "--method", variant.s,
                      NULL};
  x = run_expect(1, m1);
  assert_has(x.err, want);
  assert_has(x.err, "afscore: the base would be recomputed on the current data, not the recorded "
                    "run 1; --recompute-base compares on the current data anyway\n");
  assert_string_equal(x.out, "");
  h_result_free(&x);
  const char *m2[] = {"replay", "1", "--out", results_db.s, "--db", d.s, "--method", variant.s,
                      "--recompute-base", "--json", NULL};
  x = run_expect(0, m2);
  assert_has(x.err, want);
  assert_has(x.out, "\"data_changed\": true");
  h_result_free(&x);
  /* the same data: no note, and the flag says so */
  const char *m3[] = {"replay", "1", "--out", results_db.s, "--db", data_db.s, "--method",
                      variant.s, "--json", NULL};
  x = run_expect(0, m3);
  assert_lacks(x.err, "data changed");
  assert_has(x.out, "\"data_changed\": false");
  h_result_free(&x);
  free(gone);
  free(fp);
}

/* ---- signatures ---- */

/* A copy of the methodology in dir name, plus a variant importing it. */
static void make_methods(const char *dir) {
  pathbuf notices = R("methodology/kz_notices_2023.lua");
  assert_int_equal(h_sh("rm -rf '%s' && mkdir -p '%s' && cp '%s' '%s/kz_family_2023.lua' && cp '%s' "
                      "'%s/kz_notices_2023.lua'", dir, dir, method.s, dir, notices.s, dir), 0);
  char p[1200];
  snprintf(p, sizeof p, "%s/variant.lua", dir);
  h_write(p, "local m = import(\"kz_family_2023\")\nm.version = \"2023.1-v\"\nreturn m\n");
}

/* afscore sign FILE --key KEY, which must succeed. */
static void sign_ok(const char *file, const char *k) {
  const char *args[] = {"sign", file, "--key", k, NULL};
  h_result x = run_expect(0, args);
  h_result_free(&x);
}

/* make_methods in the scratch directory name; f and v get the paths of the
** methodology and of the variant importing it. The notice texts the
** methodology imports in turn are signed with the trusted key. */
static void methods_at(const char *name, char *f, char *v) {
  pathbuf dir = P(name);
  make_methods(dir.s);
  snprintf(f, 1200, "%s/kz_family_2023.lua", dir.s);
  snprintf(v, 1200, "%s/variant.lua", dir.s);
  char n[1200];
  snprintf(n, sizeof n, "%s/kz_notices_2023.lua", dir.s);
  sign_ok(n, key.s);
}

static void test_sign_interop(void **state) {
  (void)state;
  char f[1200], v[1200];
  methods_at("rec_sign", f, v);
  /* afscore signs, openssl verifies */
  sign_ok(f, key.s);
  h_result x;
  struct stat sb;
  char sig[1300];
  snprintf(sig, sizeof sig, "%s.sig", f);
  assert_int_equal(stat(sig, &sb), 0);
  assert_int_equal(sb.st_size, 64);
  assert_int_equal(h_sh("openssl pkeyutl -verify -pubin -inkey '%s' -rawin -in '%s' -sigfile '%s' "
                      ">/dev/null", pub.s, f, sig), 0);
  /* openssl's check fails on another key: the test can fail */
  assert_int_not_equal(h_sh("openssl pkeyutl -verify -pubin -inkey '%s' -rawin -in '%s' -sigfile "
                          "'%s' >/dev/null 2>&1", pub2.s, f, sig), 0);
  /* openssl signs the import, afscore verifies both */
  assert_int_equal(h_sh("openssl pkeyutl -sign -rawin -inkey '%s' -in '%s' -out '%s.sig'", key.s, v,
                      v), 0);
  const char *c[] = {"check", v, "--require-signed", "--trust", pub.s, NULL};
  x = run_expect(0, c);
  char want[2600], fpr[65];
  key_fp(pub.s, fpr);
  snprintf(want, sizeof want, "signature: %s: signed by trusted key %s\n", v, fpr);
  assert_has(x.out, want);
  snprintf(want, sizeof want, "signature: %s: signed by trusted key %s\n", f, fpr);
  assert_has(x.out, want);
  h_result_free(&x);
  /* a signed score records each file's signature and signer */
  pathbuf out = P("rec_signed_files.db");
  unlink(out.s);
  const char *sc[] = {"score", "--db", data_db.s, "--method", v, "--out", out.s,
                      "--require-signed", "--trust", pub.s, NULL};
  x = run_expect(0, sc);
  h_result_free(&x);
  char *signers = h_sql_text(out.s, "SELECT group_concat(signer, ',') FROM (SELECT signer FROM "
                                    "run_files WHERE run_id = 1 ORDER BY seq)");
  /* the variant, the methodology it imports and the notice texts that imports */
  char all[300];
  snprintf(all, sizeof all, "%s,%s,%s", fpr, fpr, fpr);
  assert_string_equal(signers, all);
  free(signers);
  assert_double_equal(h_sql_double(out.s, "SELECT sum(length(signature)) FROM run_files"), 192, 0);
}

/* ---- each file's signature status, signed or not ---- */

/* afscore args exits 0 and its stdout begins with want (each "signature:
** ..." line exact). */
static void expect_head(const char *const *args, const char *want) {
  h_result x = run_expect(0, args);
  if (strncmp(x.out, want, strlen(want)) != 0)
    fail_msg("expected the output to begin with:\n%s\ngot:\n%s", want, x.out);
  h_result_free(&x);
}

/* The status lines of the variant v (unsigned), the methodology f it
** imports and the notices n that imports, as read from disk (tag "") or
** recorded (tag " (recorded)"). */
static void three_lines(char *want, size_t cap, const char *tag, const char *v, const char *f,
                        const char *fs, const char *n, const char *ns) {
  snprintf(want, cap, "signature: %s%s: unsigned\nsignature: %s%s: %s\nsignature: %s%s: %s\n", v,
           tag, f, tag, fs, n, tag, ns);
}

static void test_signature_status(void **state) {
  (void)state;
  char f[1200], v[1200], n[1200], fpr[65];
  methods_at("rec_status", f, v);           /* n, imported by f, signed with key */
  snprintf(n, sizeof n, "%.1180s", f);
  snprintf(strrchr(n, '/'), 40, "/kz_notices_2023.lua");
  sign_ok(f, key.s);                        /* v, importing f, stays unsigned */
  key_fp(pub.s, fpr);
  const char *unchecked = "signed, not checked (no --trust)";
  char trusted[200], recorded[300], want[8192];
  snprintf(trusted, sizeof trusted, "signed by trusted key %s", fpr);
  snprintf(recorded, sizeof recorded, "%s; the run recorded it as signed by key %s", unchecked,
           fpr);
  /* check: without --trust, with the key, with another key */
  const char *c1[] = {"check", v, NULL};
  three_lines(want, sizeof want, "", v, f, unchecked, n, unchecked);
  expect_head(c1, want);
  const char *c2[] = {"check", v, "--trust", pub.s, NULL};
  three_lines(want, sizeof want, "", v, f, trusted, n, trusted);
  expect_head(c2, want);
  const char *bad = "signed, NOT TRUSTED: the signature does not verify with any trusted key (the "
                    "file changed after signing, or a key not in --trust signed it)";
  const char *c3[] = {"check", v, "--trust", pub2.s, NULL};
  three_lines(want, sizeof want, "", v, f, bad, n, bad);
  expect_head(c3, want);
  const char *c4[] = {"check", v, "--trust", pub.s, "--json", NULL};
  h_result x = run_expect(0, c4);
  assert_string_equal(jp_str(x.out, "signatures[0].file"), v);
  assert_string_equal(jp_str(x.out, "signatures[0].status"), "unsigned");
  assert_true(jp_is_null(x.out, "signatures[0].signer"));
  assert_string_equal(jp_str(x.out, "signatures[1].file"), f);
  assert_string_equal(jp_str(x.out, "signatures[1].status"), "trusted");
  assert_string_equal(jp_str(x.out, "signatures[1].signer"), fpr);
  assert_string_equal(jp_str(x.out, "signatures[2].file"), n);
  h_result_free(&x);
  /* score: the same lines before the summary, and in --json */
  pathbuf out = P("rec_status.db");
  unlink(out.s);
  const char *s1[] = {"score", "--db", data_db.s, "--method", v, "--out", out.s, "--trust", pub.s,
                      NULL};
  three_lines(want, sizeof want, "", v, f, trusted, n, trusted);
  expect_head(s1, want);
  const char *s2[] = {"score", "--db", data_db.s, "--method", v, "--json", NULL};
  x = run_expect(0, s2);
  assert_int_equal(jp_len(x.out, "signatures"), 3);
  assert_string_equal(jp_str(x.out, "signatures[1].status"), "not_checked");
  assert_true(jp_is_null(x.out, "signatures[1].signer"));
  h_result_free(&x);
  /* compare: each methodology's files in turn */
  const char *k1[] = {"compare", "--db", data_db.s, "--method", f, "--method", v, NULL};
  snprintf(want, sizeof want, "signature: %s: %s\nsignature: %s: %s\n", f, unchecked, n,
           unchecked);
  three_lines(want + strlen(want), sizeof want - strlen(want), "", v, f, unchecked, n, unchecked);
  expect_head(k1, want);
  const char *k2[] = {"compare", "--db", data_db.s, "--method", f, "--method", v, "--json", NULL};
  x = run_expect(0, k2);
  assert_int_equal(jp_len(x.out, "signatures"), 5);
  assert_double_equal(jp_num(x.out, "signatures[2].methodology"), 1, 0);
  assert_string_equal(jp_str(x.out, "signatures[2].file"), v);
  h_result_free(&x);
  /* replay: the recorded files, with the signer the run recorded */
  const char *r1[] = {"replay", "1", "--out", out.s, "--db", data_db.s, NULL};
  three_lines(want, sizeof want, " (recorded)", v, f, recorded, n, recorded);
  strcat(want, "reproduced: run 1, ");
  expect_head(r1, want);
  const char *r2[] = {"replay", "1", "--out", out.s, "--db", data_db.s, "--trust", pub.s, NULL};
  three_lines(want, sizeof want, " (recorded)", v, f, trusted, n, trusted);
  strcat(want, "reproduced: run 1, ");
  expect_head(r2, want);
  const char *r3[] = {"replay", "1", "--out", out.s, "--db", data_db.s, "--json", NULL};
  x = run_expect(0, r3);
  assert_string_equal(jp_str(x.out, "signatures[1].status"), "not_checked");
  assert_true(jp_bool(x.out, "signatures[1].recorded"));
  assert_string_equal(jp_str(x.out, "signatures[1].recorded_signer"), fpr);
  h_result_free(&x);
}

/* score --require-signed refuses; the results database is not created. */
static void expect_refused(const char *file, const char *trust, const char *why) {
  pathbuf out = P("rec_refused.db");
  unlink(out.s);
  const char *sc[] = {"score", "--db", data_db.s, "--method", file, "--out", out.s,
                      "--require-signed", "--trust", trust, NULL};
  h_result x = run_expect(1, sc);
  assert_has(x.err, why);
  h_result_free(&x);
  struct stat sb;
  assert_int_not_equal(stat(out.s, &sb), 0);
}

static void test_require_signed_refuses(void **state) {
  (void)state;
  char f[1200], v[1200], why[1400];
  methods_at("rec_refuse", f, v);
  sign_ok(v, key.s);
  h_result x;
  /* the import is unsigned */
  snprintf(why, sizeof why, "afscore: %s: not signed; --require-signed refuses it\n", f);
  expect_refused(v, pub.s, why);
  /* signed by an untrusted key */
  sign_ok(f, key2.s);
  snprintf(why, sizeof why, "afscore: %s: its signature does not verify with any trusted key; "
           "--require-signed refuses it\n", f);
  expect_refused(v, pub.s, why);
  /* trusted when the directory of keys holds both */
  pathbuf keys = P("rec_keys");
  assert_int_equal(h_sh("rm -rf '%s' && mkdir '%s' && cp '%s' '%s/a.pem' && cp '%s' '%s/b.pem'",
                      keys.s, keys.s, pub.s, keys.s, pub2.s, keys.s), 0);
  const char *c[] = {"check", v, "--require-signed", "--trust", keys.s, NULL};
  x = run_expect(0, c);
  h_result_free(&x);
  /* tampered after signing: one byte appended */
  FILE *fp = fopen(v, "a");
  fputs("-- edited\n", fp);
  fclose(fp);
  snprintf(why, sizeof why, "afscore: %s: its signature does not verify with any trusted key; "
           "--require-signed refuses it\n", v);
  expect_refused(v, keys.s, why);
  /* --require-signed without --trust is a usage error */
  const char *u[] = {"check", v, "--require-signed", NULL};
  x = run_expect(2, u);
  h_result_free(&x);
}

static void test_signed_run(void **state) {
  (void)state;
  pathbuf out = P("rec_signed_run.db");
  unlink(out.s);
  const char *sc[] = {"score", "--db", data_db.s, "--method", method.s, "--out", out.s,
                      "--sign-with", key.s, NULL};
  h_result x = run_expect(0, sc);
  h_result_free(&x);
  const char *v1[] = {"verify", "--out", out.s, "--trust", pub.s, NULL};
  x = run_expect(0, v1);
  char want[512];
  snprintf(want, sizeof want, "run 1: verified: %d rows match their checks and the results "
           "digest; 2 methodology files match their sha256; signed by trusted key ", FAMILIES);
  assert_has(x.out, want);
  h_result_free(&x);
  const char *v2[] = {"verify", "--out", out.s, "--trust", pub2.s, NULL};
  x = run_expect(1, v2);
  assert_string_equal(x.err, "run 1: NOT verified: the run's signature does not verify with any "
                             "trusted key (the record was changed after signing, or signed by a "
                             "key not in --trust)\n");
  h_result_free(&x);
  /* the summary is not in the rows digest; the signature covers it */
  h_sql(out.s, "UPDATE runs SET summary_json = replace(summary_json, '\"H\"', '\"H \"')");
  x = run_expect(1, v1);
  assert_has(x.err, "run 1: NOT verified: the run's signature does not verify");
  h_result_free(&x);
  /* an unsigned run under --trust */
  const char *v3[] = {"verify", "--out", results_db.s, "--trust", pub.s, NULL};
  x = run_expect(1, v3);
  assert_string_equal(x.err, "run 1: NOT verified: the run is not signed\n");
  h_result_free(&x);
}

/* ---- bad input ---- */

static void test_bad_keys_and_runs(void **state) {
  (void)state;
  char f[1200], v[1200], want[1400];
  methods_at("rec_bad", f, v);
  pathbuf missing = P("rec_no_such_key.pem");
  const char *s1[] = {"sign", f, "--key", missing.s, NULL};
  h_result x = run_expect(1, s1);
  snprintf(want, sizeof want, "afscore: %s: cannot read key: No such file or directory\n", missing.s);
  assert_string_equal(x.err, want);
  h_result_free(&x);
  pathbuf ec = P("rec_ec.pem");
  assert_int_equal(h_sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out '%s' "
                      "2>/dev/null", ec.s), 0);
  const char *s2[] = {"sign", f, "--key", ec.s, NULL};
  x = run_expect(1, s2);
  snprintf(want, sizeof want, "afscore: %s: the key is of type id-ecPublicKey; an Ed25519 key is "
           "needed\n", ec.s);
  assert_string_equal(x.err, want);
  h_result_free(&x);
  /* a public key where a private one is needed */
  const char *s3[] = {"sign", f, "--key", pub.s, NULL};
  x = run_expect(1, s3);
  snprintf(want, sizeof want, "afscore: %s: not a PEM private key\n", pub.s);
  assert_string_equal(x.err, want);
  h_result_free(&x);
  char sig[1300];
  snprintf(sig, sizeof sig, "%s.sig", f);
  struct stat sb;
  assert_int_not_equal(stat(sig, &sb), 0);
  /* a signature of the wrong length */
  h_write(sig, "0123456789");
  const char *c[] = {"check", f, "--trust", pub.s, NULL};
  x = run_expect(1, c);
  snprintf(want, sizeof want, "afscore: %s: a signature is 64 bytes, this file has 10\n", sig);
  assert_string_equal(x.err, want);
  h_result_free(&x);
  /* a run that does not exist */
  const char *v9[] = {"verify", "--out", results_db.s, "--run", "9", NULL};
  x = run_expect(1, v9);
  snprintf(want, sizeof want, "afscore: no run 9 in %s\n", results_db.s);
  assert_string_equal(x.err, want);
  h_result_free(&x);
  const char *sh9[] = {"show", "9", "--out", results_db.s, NULL};
  x = run_expect(1, sh9);
  assert_string_equal(x.err, want);
  h_result_free(&x);
}

/* ---- nothing overwritten ---- */

static void expect_unchanged(const char *path, const char *sha_before) {
  char now[65];
  h_file_sha256(path, now);
  assert_string_equal(now, sha_before);
}

static void test_nothing_overwritten(void **state) {
  (void)state;
  pathbuf d = P("rec_ow_data.db"), r = P("rec_ow_results.db"), csv = P("rec_ow.csv");
  copy(data_db.s, d.s);
  copy(results_db.s, r.s);
  char dsha[65], rsha[65], msha[65];
  h_file_sha256(d.s, dsha);
  h_file_sha256(r.s, rsha);
  h_file_sha256(method.s, msha);
  char want[2600];
  /* generate over an existing file */
  const char *g[] = {"generate", "--families", "10", "--out", r.s, NULL};
  h_result x = run_expect(1, g);
  snprintf(want, sizeof want, "afscore: %s: already exists (--force replaces it)\n", r.s);
  assert_string_equal(x.err, want);
  h_result_free(&x);
  expect_unchanged(r.s, rsha);
  /* --changes onto the input, the results database, any SQLite file */
  pathbuf variant = R("tests/fixtures/variants/kz_family_four_bands.lua");
  const char *c1[] = {"compare", "--db", d.s, "--method", method.s, "--method", variant.s,
                      "--changes", d.s, NULL};
  x = run_expect(1, c1);
  snprintf(want, sizeof want, "afscore: %s: refusing to write over %s, an input of this command\n",
           d.s, d.s);
  assert_string_equal(x.err, want);
  h_result_free(&x);
  const char *c2[] = {"replay", "1", "--out", r.s, "--db", d.s, "--method", variant.s,
                      "--changes", r.s, NULL};
  x = run_expect(1, c2);
  snprintf(want, sizeof want, "afscore: %s: refusing to write over %s, an input of this command\n",
           r.s, r.s);
  assert_string_equal(x.err, want);
  h_result_free(&x);
  pathbuf other = P("rec_ow_other.db");
  copy(data_db.s, other.s);
  char osha[65];
  h_file_sha256(other.s, osha);
  const char *c3[] = {"compare", "--db", d.s, "--method", method.s, "--method", variant.s,
                      "--changes", other.s, NULL};
  x = run_expect(1, c3);
  snprintf(want, sizeof want, "afscore: %s: refusing to write over a SQLite database\n", other.s);
  assert_string_equal(x.err, want);
  h_result_free(&x);
  /* --changes onto a methodology */
  const char *c4[] = {"compare", "--db", d.s, "--method", method.s, "--method", variant.s,
                      "--changes", method.s, NULL};
  x = run_expect(1, c4);
  h_result_free(&x);
  /* an existing CSV: only with --force, written whole */
  h_write(csv.s, "old\n");
  const char *c5[] = {"compare", "--db", d.s, "--method", method.s, "--method", variant.s,
                      "--changes", csv.s, NULL};
  x = run_expect(1, c5);
  h_result_free(&x);
  char *t = slurp(csv.s, NULL);
  assert_string_equal(t, "old\n");
  free(t);
  const char *c6[] = {"compare", "--db", d.s, "--method", method.s, "--method", variant.s,
                      "--changes", csv.s, "--force", NULL};
  x = run_expect(0, c6);
  h_result_free(&x);
  /* the four-band variant moves exactly the E families */
  double e_units = h_sql_double(r.s, "SELECT count(*) FROM unit_scores WHERE category = 'E'");
  t = slurp(csv.s, NULL);
  int lines = 0;
  for (char *p = t; *p; p++) lines += *p == '\n';
  assert_int_equal(lines, (int)e_units + 1);
  free(t);
  /* --db X --out X */
  const char *s[] = {"score", "--db", r.s, "--method", method.s, "--out", r.s, NULL};
  x = run_expect(2, s);
  snprintf(want, sizeof want, "afscore score: --db and --out are the same file (%s); the results "
           "go to a database of their own\n", r.s);
  assert_has(x.err, want);
  h_result_free(&x);
  expect_unchanged(d.s, dsha);
  expect_unchanged(r.s, rsha);
  expect_unchanged(other.s, osha);
  expect_unchanged(method.s, msha);
  /* generate --force does replace */
  const char *g2[] = {"generate", "--families", "10", "--out", other.s, "--force", NULL};
  x = run_expect(0, g2);
  h_result_free(&x);
  assert_double_equal(h_sql_double(other.s, "SELECT count(*) FROM families"), 10, 0);
}

/* ---- read-only storage ---- */

static void file_state(const char *path, char *sha, struct timespec *mtime) {
  struct stat sb;
  assert_int_equal(stat(path, &sb), 0);
  *mtime = sb.st_mtim;
  h_file_sha256(path, sha);
}

static void test_readonly_storage(void **state) {
  (void)state;
  pathbuf dir = P("rec_ro");
  assert_int_equal(h_sh("rm -rf '%s' && mkdir '%s'", dir.s, dir.s), 0);
  char r[1200], d[1200];
  snprintf(r, sizeof r, "%s/results.db", dir.s);
  snprintf(d, sizeof d, "%s/data.db", dir.s);
  copy(results_db.s, r);
  copy(data_db.s, d);
  /* a results database at rest has no WAL beside it: every commit is in it */
  char wal[1300], shm[1300];
  snprintf(wal, sizeof wal, "%s-wal", r);
  snprintf(shm, sizeof shm, "%s-shm", r);
  struct stat sb;
  assert_int_not_equal(stat(wal, &sb), 0);
  char *mode = h_sql_text(results_db.s, "PRAGMA journal_mode");
  assert_string_equal(mode, "wal");
  free(mode);
  assert_int_equal(chmod(r, 0444), 0);
  assert_int_equal(chmod(d, 0444), 0);
  assert_int_equal(chmod(dir.s, 0555), 0);
  char sha[65];
  struct timespec mt;
  file_state(r, sha, &mt);
  char *unit = h_sql_text(results_db.s, "SELECT unit FROM unit_scores ORDER BY unit LIMIT 1");
  const char *cmds[][12] = {
      {"runs", "--out", r, NULL},
      {"replay", "1", "--out", r, "--db", d, NULL},
      {"explain", "--out", r, "--db", d, "--run", "1", unit, NULL},
      {"notices", "--out", r, "--run", "1", "--format", "csv", NULL},
      {"verify", "--out", r, NULL},
      {"show", "1", "--out", r, NULL},
  };
  h_opts nobody = {.as_nobody = 1};
  for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
    h_result x = h_run_with(cmds[i], &nobody);
    if (x.status != 0) fail_msg("%s on read-only storage: %d: %s", cmds[i][0], x.status, x.err);
    h_result_free(&x);
    char now[65];
    struct timespec mt2;
    file_state(r, now, &mt2);
    assert_string_equal(now, sha);
    assert_true(mt2.tv_sec == mt.tv_sec && mt2.tv_nsec == mt.tv_nsec);
    assert_int_not_equal(stat(wal, &sb), 0);
    assert_int_not_equal(stat(shm, &sb), 0);
  }
  /* and as root too (where chmod stops nothing): the file is not written
  ** (SQLite may make its -wal/-shm lock files: the directory allows it) */
  for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
    h_result x = run_expect(0, cmds[i]);
    h_result_free(&x);
    char now[65];
    struct timespec mt2;
    file_state(r, now, &mt2);
    assert_string_equal(now, sha);
    assert_true(mt2.tv_sec == mt.tv_sec && mt2.tv_nsec == mt.tv_nsec);
  }
  assert_int_equal(chmod(dir.s, 0755), 0);
  free(unit);
  /* a mistyped path: a clear error, no file created */
  pathbuf typo = P("rec_typo.db");
  unlink(typo.s);
  const char *rc[][12] = {{"runs", "--out", typo.s, NULL},
                          {"verify", "--out", typo.s, NULL},
                          {"notices", "--out", typo.s, "--run", "1", NULL},
                          {"replay", "1", "--out", typo.s, "--db", data_db.s, NULL}};
  for (size_t i = 0; i < sizeof rc / sizeof rc[0]; i++) {
    h_result x = run_expect(1, rc[i]);
    char want[1300];
    snprintf(want, sizeof want, "afscore: %s: no such results database\n", typo.s);
    assert_string_equal(x.err, want);
    h_result_free(&x);
    assert_int_not_equal(stat(typo.s, &sb), 0);
  }
}

/* ---- an older results database ---- */

/* The tables of a results database of schema 1, as afscore 0.1 wrote them. */
static const char *SCHEMA1 =
    "CREATE TABLE runs(id INTEGER PRIMARY KEY, time TEXT NOT NULL, methodology_name TEXT,"
    " methodology_version TEXT, methodology_sha256 TEXT, scoring TEXT, data_path TEXT,"
    " data_sha256 TEXT, engine_version TEXT, params_json TEXT, summary_json TEXT,"
    " units INTEGER);"
    "CREATE TABLE run_files(run_id INTEGER NOT NULL REFERENCES runs(id), seq INTEGER NOT NULL,"
    " name TEXT, path TEXT, sha256 TEXT, text TEXT, PRIMARY KEY(run_id, seq)) WITHOUT ROWID;"
    "CREATE TABLE unit_scores(run_id INTEGER NOT NULL, unit TEXT NOT NULL, score REAL,"
    " poor INTEGER, category TEXT, eligible INTEGER, PRIMARY KEY(run_id, unit)) WITHOUT ROWID;"
    "PRAGMA application_id = 1095127890; PRAGMA user_version = 1;";

static void test_older_schema(void **state) {
  (void)state;
  pathbuf old = P("rec_v1.db");
  unlink(old.s);
  /* schema 1 as afscore 0.1 wrote it, with one run of two units */
  h_sql(old.s, SCHEMA1);
  h_sql(old.s,
        "INSERT INTO runs VALUES(1, '2026-01-01T00:00:00Z', 'old', '1', 'ab', 'af', 'd.db', 'cd',"
        " 'afscore 0.1.0', '{}', '{\"H\": 0.5}', 2);"
        "INSERT INTO unit_scores VALUES(1, 'a', 0.5, 1, 'D', 0), (1, 'b', 0, 0, 'A', 0);");
  char sha[65];
  h_file_sha256(old.s, sha);
  const char *runs[] = {"runs", "--out", old.s, NULL};
  h_result x = run_expect(0, runs);
  assert_has(x.out, "   1  2026-01-01T00:00:00Z  old ");
  h_result_free(&x);
  const char *v[] = {"verify", "--out", old.s, NULL};
  x = run_expect(1, v);
  assert_string_equal(x.err, "run 1: NOT verified: recorded by an older afscore (results schema "
                             "1): it has no row checks; replay it with its data to check it\n");
  h_result_free(&x);
  expect_unchanged(old.s, sha);   /* reading does not upgrade */
  /* a writing command upgrades it in place; the old run stays */
  const char *sc[] = {"score", "--db", data_db.s, "--method", method.s, "--out", old.s, NULL};
  x = run_expect(0, sc);
  h_result_free(&x);
  assert_double_equal(h_sql_double(old.s, "PRAGMA user_version"), 4, 0);
  assert_double_equal(h_sql_double(old.s, "SELECT count(*) FROM unit_scores WHERE run_id = 1"), 2, 0);
  /* the old run has no group values; the new one has both columns' */
  assert_double_equal(h_sql_double(old.s, "SELECT group_columns IS NULL FROM runs WHERE id = 1"),
                      1, 0);
  assert_double_equal(h_sql_double(old.s, "SELECT count(*) FROM unit_scores WHERE run_id = 1"
                                          " AND grp IS NULL"), 2, 0);
  assert_double_equal(h_sql_double(old.s, "SELECT group_columns FROM runs WHERE id = 2"), 2, 0);
  const char *v2[] = {"verify", "--out", old.s, "--run", "2", NULL};
  x = run_expect(0, v2);
  h_result_free(&x);
}

/* The twelve families under ids of SQL type idtype, and run 1 of a schema 1
** results database holding exactly what this afscore records for them. */
static void schema1_run(const char *idtype, const char *tag, pathbuf *d, pathbuf *old) {
  char name[64];
  snprintf(name, sizeof name, "rec_v1_%s_data.db", tag);
  *d = P(name);
  snprintf(name, sizeof name, "rec_v1_%s.db", tag);
  *old = P(name);
  pathbuf m = P("rec_v1.lua"), now = P("rec_v1_now.db");
  unlink(old->s);
  unlink(now.s);
  twelve_families(d->s, idtype, m.s);
  const char *sc[] = {"score", "--db", d->s, "--method", m.s, "--out", now.s, NULL};
  h_result x = run_expect(0, sc);
  h_result_free(&x);
  strbuf sql = {0};
  sb_printf(&sql, "%s ATTACH '%s' AS now;"
            "INSERT INTO runs SELECT id, time, methodology_name, methodology_version,"
            " methodology_sha256, scoring, data_path, data_sha256, engine_version, params_json,"
            " summary_json, units FROM now.runs;"
            "INSERT INTO run_files SELECT run_id, seq, name, path, sha256, text FROM now.run_files;"
            "INSERT INTO unit_scores SELECT run_id, unit, score, poor, category, eligible"
            " FROM now.unit_scores;", SCHEMA1, now.s);
  h_sql(old->s, sql.s);
  sb_free(&sql);
}

/* Schema 1 recorded no unit order: replay reads the rows in the data's key
** order, integer ids by value (1, 2, ..., 10, not 1, 10, 11, 12, 2) and text
** ids bytewise, before and after the file is upgraded to schema 4; a deleted
** row is still found. */
static void test_older_schema_replay(void **state) {
  (void)state;
  const char *kinds[][2] = {{"INTEGER", "int"}, {"TEXT", "text"}};
  for (int k = 0; k < 2; k++) {
    pathbuf d, old;
    schema1_run(kinds[k][0], kinds[k][1], &d, &old);
    char *types = h_sql_text(d.s, "SELECT group_concat(DISTINCT typeof(id)) FROM families");
    assert_string_equal(types, k == 0 ? "integer" : "text");
    free(types);
    assert_double_equal(h_sql_double(old.s, "PRAGMA user_version"), 1, 0);
    const char *rep[] = {"replay", "1", "--out", old.s, "--db", d.s, NULL};
    h_result x = run_expect(0, rep);
    assert_has(x.out, "reproduced: run 1, 12 units, every recorded row checked: score, poor, "
                      "category and eligibility identical\n");
    assert_has(x.err, "note: run 1 was recorded by an older afscore (results schema 1), which did "
                      "not record the order of its rows: they are read in the order of the "
                      "data's ids\n");
    h_result_free(&x);
    /* a writing command upgrades it to schema 4 (rows keyed by position,
    ** run_units built): run 1 still replays, in the order of the data's ids */
    pathbuf m = P("rec_v1.lua");
    const char *sc[] = {"score", "--db", d.s, "--method", m.s, "--out", old.s, NULL};
    x = run_expect(0, sc);
    h_result_free(&x);
    assert_double_equal(h_sql_double(old.s, "PRAGMA user_version"), 4, 0);
    assert_double_equal(h_sql_double(old.s, "SELECT count(*) FROM run_units WHERE run_id = 1"),
                        12, 0);
    x = run_expect(0, rep);
    assert_has(x.out, "reproduced: run 1, 12 units, every recorded row checked: score, poor, "
                      "category and eligibility identical\n");
    h_result_free(&x);
    /* income 200 >= 150, no child: score 0 */
    h_sql(old.s, "DELETE FROM unit_scores WHERE unit = '10'");
    expect_replay_missing(old.s, d.s, "10", "score 0, poor 0, eligible 0x0");
  }
}

/* ---- group values ---- */

/* Families of a region as the results database records them (code of the
** first group column, region, looked up in run_values). */
static double region_count(const char *results, const char *region) {
  char sql[512];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM unit_scores u JOIN run_values v"
           " ON v.run_id = u.run_id AND v.code = CAST(u.grp AS INTEGER)"
           " WHERE u.run_id = 1 AND v.value = '%s'", region);
  return h_sql_double(results, sql);
}

static void test_group_values(void **state) {
  (void)state;
  pathbuf out = P("rec_groups.db");
  unlink(out.s);
  const char *sc[] = {"score", "--db", data_db.s, "--method", method.s, "--out", out.s, NULL};
  h_result x = run_expect(0, sc);
  h_result_free(&x);
  /* each unit's region, as in the data */
  const char *regions[] = {"Almaty", "Abai", "Ulytau"};
  for (int i = 0; i < 3; i++) {
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM families WHERE region = '%s'", regions[i]);
    double want = h_sql_double(data_db.s, sql);
    assert_true(want > 0);
    assert_double_equal(region_count(out.s, regions[i]), want, 0);
  }
  char *names = h_sql_text(out.s, "SELECT group_concat(name, ',') FROM"
                                  " (SELECT name FROM run_groups ORDER BY seq)");
  assert_string_equal(names, "region,urban");
  free(names);
  /* the values are covered: a unit moved to another region is a changed
  ** row; a value's text edited breaks the results digest */
  h_sql(out.s, "UPDATE unit_scores SET grp = (CASE WHEN CAST(grp AS INTEGER) = 2 THEN '1'"
               " ELSE '2' END) || substr(grp, instr(grp, ','))"
               " WHERE run_id = 1 AND unit = (SELECT min(unit) FROM unit_scores)");
  const char *v[] = {"verify", "--out", out.s, NULL};
  x = run_expect(1, v);
  assert_has(x.err, "1 changed or added, 0 missing;");
  h_result_free(&x);
  pathbuf out2 = P("rec_groups2.db");
  unlink(out2.s);
  const char *sc2[] = {"score", "--db", data_db.s, "--method", method.s, "--out", out2.s, NULL};
  x = run_expect(0, sc2);
  h_result_free(&x);
  h_sql(out2.s, "UPDATE run_values SET value = 'Nowhere' WHERE run_id = 1 AND code = 1");
  const char *v2[] = {"verify", "--out", out2.s, NULL};
  x = run_expect(1, v2);
  assert_has(x.err, "0 changed or added, 0 missing; the rows do not hash to the recorded"
                    " results digest");
  h_result_free(&x);
}

/* ---- show ---- */

static void test_show_extract(void **state) {
  (void)state;
  char v[1200], f[1200];
  methods_at("rec_show", f, v);
  sign_ok(f, key.s);
  h_result x;
  pathbuf out = P("rec_show.db");
  unlink(out.s);
  const char *sc[] = {"score", "--db", data_db.s, "--method", v, "--out", out.s, NULL};
  x = run_expect(0, sc);
  h_result_free(&x);
  pathbuf ex = P("rec_extract");
  assert_int_equal(h_sh("rm -rf '%s'", ex.s), 0);
  const char *sh1[] = {"show", "1", "--out", out.s, "--extract", ex.s, NULL};
  x = run_expect(0, sh1);
  char want[2600], fsha[65], vsha[65], got[65];
  h_file_sha256(f, fsha);
  h_file_sha256(v, vsha);
  snprintf(want, sizeof want, "  file 0: %s (read from %s), ", v, v);
  assert_has(x.out, want);
  snprintf(want, sizeof want, "sha256 %s, unsigned\n", vsha);
  assert_has(x.out, want);
  snprintf(want, sizeof want, "sha256 %s, signed, not checked (no --trust)\n", fsha);
  assert_has(x.out, want);
  snprintf(want, sizeof want, "data: %s, fingerprint ", data_db.s);
  assert_has(x.out, want);
  assert_has(x.out, "parameters: {\"subsistence_minimum\":50851}\n");
  h_result_free(&x);
  char p[1300];
  snprintf(p, sizeof p, "%s/variant.lua", ex.s);
  h_file_sha256(p, got);
  assert_string_equal(got, vsha);
  snprintf(p, sizeof p, "%s/kz_family_2023.lua", ex.s);
  h_file_sha256(p, got);
  assert_string_equal(got, fsha);
  /* the extracted signature still verifies with openssl */
  assert_int_equal(h_sh("openssl pkeyutl -verify -pubin -inkey '%s' -rawin -in '%s' -sigfile "
                      "'%s.sig' >/dev/null", pub.s, p, p), 0);
  /* again: the files exist, nothing is replaced */
  x = run_expect(1, sh1);
  snprintf(want, sizeof want, "afscore: %s/variant.lua: already exists (--force replaces it)\n",
           ex.s);
  assert_string_equal(x.err, want);
  h_result_free(&x);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_untouched_run_verifies),
      cmocka_unit_test(test_edited_row),
      cmocka_unit_test(test_deleted_row),
      cmocka_unit_test(test_inserted_row),
      cmocka_unit_test(test_deleted_places),
      cmocka_unit_test(test_integer_ids),
      cmocka_unit_test(test_data_changed),
      cmocka_unit_test(test_sign_interop),
      cmocka_unit_test(test_signature_status),
      cmocka_unit_test(test_require_signed_refuses),
      cmocka_unit_test(test_signed_run),
      cmocka_unit_test(test_bad_keys_and_runs),
      cmocka_unit_test(test_nothing_overwritten),
      cmocka_unit_test(test_readonly_storage),
      cmocka_unit_test(test_older_schema),
      cmocka_unit_test(test_older_schema_replay),
      cmocka_unit_test(test_group_values),
      cmocka_unit_test(test_show_extract),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
