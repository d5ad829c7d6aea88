/*
** test_e2e_merge.c: a run split over machines (score --partition I/N) and put
** back together (merge), through the real binary, each partial scored by its
** own afscore process running at the same time as the others:
**  - the split: each partial records exactly the units whose id hashes to it
**    (FNV-1a 64 mod N, computed here from its definition, over the ids read
**    from the data with SQL), and no unit twice;
**  - the merged run is the run one machine records: the same unit_scores rows
**    (checks included), runs row (data fingerprint, unit order, rows digest),
**    score --json summary (inference too), and verify and replay pass;
**  - integer ids interleave in integer order; a registry layout's rows (in
**    the data's stored order) interleave by their recorded position;
**  - one thread and two (the partials read on the second) record the same
**    run; a partial damaged near its end and a merged file that cannot grow
**    stop both cleanly, leaving nothing;
**  - refusals: a missing, a repeated partition, another split, another
**    methodology, other data, another engine version, other options, an
**    edited partial, a whole run; an existing output (without --force) and a
**    partial as the output; nothing is left behind by a refused merge, nor
**    by one ended by SIGTERM, and another merge's temporary file is kept;
**  - --partition's own errors, and replay of a partial.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "jpath.h"
#include "util.h"

#define FAMILIES 1500
#define NPARTS 3

/* h_path and h_root rotate among a few buffers: keep copies. */
typedef h_pathbuf pathbuf;
#define P h_path_copy
#define R h_root_copy

static pathbuf data_db, other_db, method, variant, single_db, part[NPARTS + 1];
static char *single_json;     /* score --json of the single run */
static char *single_summary;  /* its recorded summary, as merge --json prints a merged one */

static h_result run_expect(int status, const char *const *args) {
  h_result r = h_run(args);
  if (r.status != status)
    fail_msg("afscore %s: status %d, expected %d\nstdout: %s\nstderr: %s", args[0], r.status,
             status, r.out, r.err);
  return r;
}

/* The split as docs/scale.md defines it, written here from that text. */
static int partition_of(const char *id, int n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
    h ^= *p;
    h *= 0x100000001b3ull;
  }
  return (int)(h % (uint64_t)n) + 1;
}

/* Score partitions 1..n of data with methodology m into out[i] ("mg_<tag>_i.db"), all n
** processes at once; each must exit 0. */
static void score_parts(const char *data, const char *m, int n, const char *tag, pathbuf *out) {
  pid_t pids[16];
  assert_true(n <= 16);
  for (int i = 1; i <= n; i++) {
    char name[64], spec[32];
    snprintf(name, sizeof name, "mg_%s_%d.db", tag, i);
    snprintf(spec, sizeof spec, "%d/%d", i, n);
    out[i] = P(name);
    unlink(out[i].s);
    const char *args[] = {"score", "--db", data, "--method", m, "--out", out[i].s,
                          "--partition", spec, NULL};
    pids[i - 1] = h_spawn(args, NULL, NULL, NULL);
  }
  for (int i = 1; i <= n; i++) assert_int_equal(h_wait(pids[i - 1]), 0);
}

/* The recorded summary of run 1 of db, with the newline merge --json ends it with. */
static char *summary_of(const char *db) {
  char *t = h_sql_text(db, "SELECT summary_json FROM runs WHERE id = 1");
  char *s = af_sprintf("%s\n", t);
  free(t);
  return s;
}

/* The figures of merge --json are those score --json printed for the single run. */
static void assert_same_figures(const char *merged, const char *single) {
  const char *num[] = {"n", "units", "excluded", "H", "A", "M0", "data.units", "data.members"};
  for (size_t i = 0; i < sizeof num / sizeof *num; i++)
    assert_true(jp_num(merged, "%s", num[i]) == jp_num(single, "%s", num[i]));
  assert_string_equal(jp_str(merged, "data.sha256"), jp_str(single, "data.sha256"));
  assert_string_equal(jp_str(merged, "results_sha256"), jp_str(single, "results_sha256"));
}

static int setup(void **state) {
  (void)state;
  data_db = P("mg_data.db");
  other_db = P("mg_other.db");
  single_db = P("mg_single.db");
  method = P("mg_method.lua");
  variant = P("mg_variant.lua");
  snprintf(method.s, sizeof method.s, "%s", h_root("methodology/kz_family_2023.lua"));
  snprintf(variant.s, sizeof variant.s, "%s", h_root("tests/fixtures/variants/kz_family_k40_pm70.lua"));
  setenv("AFSCORE_PATH", h_root("methodology"), 1);
  unlink(data_db.s);
  unlink(other_db.s);
  unlink(single_db.s);
  int ok = h_generate(FAMILIES, 5, data_db.s) == 0 && h_generate(FAMILIES, 6, other_db.s) == 0;
  const char *sc[] = {"score", "--db", data_db.s, "--method", method.s, "--out", single_db.s,
                      "--json", NULL};
  h_result r = h_run(sc);
  ok &= r.status == 0;
  single_json = r.out;
  r.out = NULL;
  h_result_free(&r);
  if (!ok) return -1;
  single_summary = summary_of(single_db.s);
  score_parts(data_db.s, method.s, NPARTS, "p", part);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  free(single_json);
  free(single_summary);
  return 0;
}

/* Every recorded row of run 1 of db, in key order, as one text. */
static char *rows_of(const char *db) {
  return h_sql_text(db, "SELECT group_concat(r, ';') FROM (SELECT seq || '|' || unit || '|' || quote(score) || "
                        "'|' || quote(poor) || '|' || quote(category) || '|' || eligible || '|' "
                        "|| chk || '|' || quote(grp) AS r FROM unit_scores WHERE run_id = 1 "
                        "ORDER BY unit)");
}

static char *runs_row_of(const char *db) {
  return h_sql_text(db, "SELECT methodology_sha256 || '|' || data_sha256 || '|' || units || '|' "
                        "|| unit_order || '|' || rows_sha256 || '|' || params_json || '|' || "
                        "engine_version || '|' || quote(group_columns) || '|' || summary_json "
                        "FROM runs WHERE id = 1");
}

/* The group names and value codes of run 1 of db, as one text. */
static char *groups_of(const char *db) {
  return h_sql_text(db, "SELECT (SELECT group_concat(seq || '=' || name, ';') FROM (SELECT * FROM "
                        "run_groups WHERE run_id = 1 ORDER BY seq)) || '|' || (SELECT "
                        "group_concat(code || '=' || value, ';') FROM (SELECT * FROM run_values "
                        "WHERE run_id = 1 ORDER BY code))");
}

/* Databases a and b hold the same run 1: runs row and every row. */
static void assert_same_run(const char *a, const char *b) {
  char *x = runs_row_of(a), *y = runs_row_of(b);
  assert_string_equal(x, y);
  free(x);
  free(y);
  x = rows_of(a);
  y = rows_of(b);
  assert_string_equal(x, y);
  free(x);
  free(y);
  x = groups_of(a);
  y = groups_of(b);
  assert_string_equal(x, y);
  free(x);
  free(y);
}

/* ---- the split ---- */

static void test_each_partial_holds_its_units(void **state) {
  (void)state;
  /* The family ids from the data itself, hashed here. */
  char *ids = h_sql_text(data_db.s, "SELECT group_concat(family_id, ' ') FROM families");
  int want[NPARTS + 1] = {0}, total = 0;
  for (char *save = NULL, *t = strtok_r(ids, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
    want[partition_of(t, NPARTS)]++;
    total++;
  }
  free(ids);
  assert_int_equal(total, FAMILIES);
  for (int i = 1; i <= NPARTS; i++) {
    char *got = h_sql_text(part[i].s, "SELECT count(*) FROM unit_scores");
    char w[32];
    snprintf(w, sizeof w, "%d", want[i]);
    assert_string_equal(got, w);
    free(got);
    /* and every recorded unit is one of its own */
    char *units = h_sql_text(part[i].s, "SELECT group_concat(unit, ' ') FROM unit_scores");
    for (char *save = NULL, *t = strtok_r(units, " ", &save); t; t = strtok_r(NULL, " ", &save))
      assert_int_equal(partition_of(t, NPARTS), i);
    free(units);
    char *p = h_sql_text(part[i].s, "SELECT part || '/' || nparts || ' ' || split || ' ' || "
                                    "units_all FROM run_partitions");
    char wp[64];
    snprintf(wp, sizeof wp, "%d/%d fnv1a64-mod %d", i, NPARTS, FAMILIES);
    assert_string_equal(p, wp);
    free(p);
  }
  /* a partial is a run whose own rows verify */
  const char *v[] = {"verify", "--out", part[2].s, NULL};
  h_result x = run_expect(0, v);
  h_result_free(&x);
}

/* ---- the merge equals one machine's run ---- */

static void test_merged_is_the_single_run(void **state) {
  (void)state;
  pathbuf m = P("mg_merged.db");
  unlink(m.s);
  /* partials in any order */
  const char *mg[] = {"merge", "--out", m.s, part[3].s, part[1].s, part[2].s, "--json", NULL};
  h_result x = run_expect(0, mg);
  assert_string_equal(x.out, single_summary);
  assert_same_figures(x.out, single_json);
  assert_int_equal(jp_num(x.out, "units"), FAMILIES);
  h_result_free(&x);
  assert_same_run(single_db.s, m.s);
  char want[4096];
  const char *v[] = {"verify", "--out", m.s, NULL};
  x = run_expect(0, v);
  snprintf(want, sizeof want, "run 1: verified: %d rows match their checks and the results "
                              "digest; 2 methodology files match their sha256; not signed\n",
           FAMILIES);
  assert_string_equal(x.out, want);
  h_result_free(&x);
  const char *rp[] = {"replay", "1", "--out", m.s, "--db", data_db.s, NULL};
  x = run_expect(0, rp);
  /* after the signature status of each recorded file */
  snprintf(want, sizeof want, "\nreproduced: run 1, %d units, every recorded row checked: score, "
                              "poor, category and eligibility identical\n", FAMILIES);
  assert_has(x.out, want);
  h_result_free(&x);
  /* the text form names what was merged */
  pathbuf m2 = P("mg_merged_text.db");
  unlink(m2.s);
  const char *mt[] = {"merge", "--out", m2.s, part[1].s, part[2].s, part[3].s, NULL};
  x = run_expect(0, mt);
  char *digest = h_sql_text(single_db.s, "SELECT rows_sha256 FROM runs WHERE id = 1");
  snprintf(want, sizeof want, "merged 3 partitions into %s as run 1: %d units, results digest "
                              "%s\n", m2.s, FAMILIES, digest);
  assert_string_equal(x.out, want);
  free(digest);
  h_result_free(&x);
}

/* A survey design: the standard errors (per-PSU totals) merge too. */
static void test_inference_merges(void **state) {
  (void)state;
  pathbuf m = P("mg_design.lua"), s = P("mg_design_single.db"), out = P("mg_design_merged.db");
  h_write(m.s, "local m = import('kz_family_2023')\n"
               "m.unit.weight = 'sample_weight'\n"
               "m.unit.psu = 'settlement'\n"
               "return m\n");
  unlink(s.s);
  unlink(out.s);
  const char *sc[] = {"score", "--db", data_db.s, "--method", m.s, "--out", s.s, "--json", NULL};
  h_result one = run_expect(0, sc);
  assert_true(jp_exists(one.out, "inference"));
  pathbuf dp[3];
  score_parts(data_db.s, m.s, 2, "d", dp);
  const char *mg[] = {"merge", "--out", out.s, dp[1].s, dp[2].s, "--json", NULL};
  h_result x = run_expect(0, mg);
  char *sum = summary_of(s.s);
  assert_string_equal(x.out, sum);
  free(sum);
  assert_same_figures(x.out, one.out);
  assert_true(jp_exists(x.out, "inference"));
  h_result_free(&x);
  h_result_free(&one);
  char *a = rows_of(s.s), *b = rows_of(out.s);
  assert_string_equal(a, b);
  free(a);
  free(b);
}

/* Integer ids are recorded in integer order (2 before 10): the merge keeps it. */
static void test_integer_ids(void **state) {
  (void)state;
  pathbuf d = P("mg_int.db"), m, s = P("mg_int_single.db"), out = P("mg_int_merged.db");
  snprintf(m.s, sizeof m.s, "%s", h_root("tests/fixtures/methods/integer_ids.lua"));
  unlink(d.s);
  unlink(s.s);
  unlink(out.s);
  /* 40 families with integer ids; the persons of families 1 and 12 */
  h_sql(d.s, "CREATE TABLE families(id INTEGER PRIMARY KEY, income REAL);"
             "CREATE TABLE persons(fid INTEGER, age INTEGER);"
             "INSERT INTO persons VALUES (1, 10), (12, 40);"
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40)"
             " INSERT INTO families SELECT i, i * 7 FROM n;");
  const char *sc[] = {"score", "--db", d.s, "--method", m.s, "--out", s.s, NULL};
  h_result x = run_expect(0, sc);
  h_result_free(&x);
  pathbuf ip[5];
  score_parts(d.s, m.s, 4, "i", ip);
  const char *mg[] = {"merge", "--out", out.s, ip[4].s, ip[2].s, ip[1].s, ip[3].s, NULL};
  x = run_expect(0, mg);
  h_result_free(&x);
  assert_same_run(s.s, out.s);
  char *order = h_sql_text(out.s, "SELECT units || ' ' || unit_order FROM runs WHERE id = 1");
  assert_string_equal(order, "40 integer");
  free(order);
  const char *v[] = {"verify", "--out", out.s, NULL};
  x = run_expect(0, v);
  h_result_free(&x);
}

/* A registry layout (families stored in registration order, not key
** order): the run records its rows in the data's stored order (unit_order
** "stored"), each partial records each row's position in it, and the merge
** interleaves by position: the single run again, row for row. */
static void test_registry_layout(void **state) {
  (void)state;
  pathbuf d = P("mg_reg.db"), s = P("mg_reg_single.db"), out = P("mg_reg_merged.db");
  unlink(d.s);
  unlink(s.s);
  unlink(out.s);
  const char *gen[] = {"generate", "--families", "1500", "--seed", "5", "--layout", "registry",
                       "--out", d.s, NULL};
  h_result x = run_expect(0, gen);
  h_result_free(&x);
  const char *sc[] = {"score", "--db", d.s, "--method", method.s, "--out", s.s, "--json", NULL};
  h_result one = run_expect(0, sc);
  /* the stored order is not the key order, and the rows are recorded in it */
  char *stored = h_sql_text(d.s, "SELECT group_concat(family_id, ' ') FROM"
                                 " (SELECT family_id FROM families ORDER BY rowid)");
  char *keyed = h_sql_text(d.s, "SELECT group_concat(family_id, ' ') FROM"
                                " (SELECT family_id FROM families ORDER BY family_id)");
  char *rows = h_sql_text(s.s, "SELECT group_concat(unit, ' ') FROM"
                               " (SELECT unit FROM unit_scores WHERE run_id = 1 ORDER BY seq)");
  assert_string_not_equal(stored, keyed);
  assert_string_equal(rows, stored);
  free(stored), free(keyed), free(rows);
  char *order = h_sql_text(s.s, "SELECT unit_order FROM runs WHERE id = 1");
  assert_string_equal(order, "stored");
  free(order);
  pathbuf rp[NPARTS + 1];
  score_parts(d.s, method.s, NPARTS, "reg", rp);
  const char *mg[] = {"merge", "--out", out.s, rp[2].s, rp[3].s, rp[1].s, "--json", NULL};
  x = run_expect(0, mg);
  char *sum = summary_of(s.s);
  assert_string_equal(x.out, sum);
  free(sum);
  assert_same_figures(x.out, one.out);
  h_result_free(&x);
  h_result_free(&one);
  assert_same_run(s.s, out.s);
  const char *v[] = {"verify", "--out", out.s, NULL};
  x = run_expect(0, v);
  h_result_free(&x);
  const char *rep[] = {"replay", "1", "--out", out.s, "--db", d.s, NULL};
  x = run_expect(0, rep);
  assert_has(x.out, "reproduced: run 1, 1500 units, every recorded row checked");
  h_result_free(&x);
}

/* scripts/slurm-score.sh as Slurm runs the tasks of `sbatch --array=1-3`
** (the array's variables set here), then merge: the single run again. */
static void test_slurm_script(void **state) {
  (void)state;
  pathbuf dir = P("mg_slurm");
  char cmd[8192];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir.s, dir.s);
  assert_int_equal(system(cmd), 0);
  for (int i = 1; i <= 3; i++) {
    snprintf(cmd, sizeof cmd,
             "cd '%s' && SLURM_ARRAY_TASK_ID=%d SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_MAX=3 "
             "SLURM_JOB_ID=77 DATA='%s' METHOD='%s' OUTDIR=parts AFSCORE='%s' "
             "bash '%s' 2>/dev/null", dir.s, i, data_db.s, method.s, getenv("AFSCORE_BIN"),
             h_root("scripts/slurm-score.sh"));
    assert_int_equal(system(cmd), 0);
  }
  char out[1200], p[3][1200];
  snprintf(out, sizeof out, "%s/results.db", dir.s);
  for (int i = 0; i < 3; i++) snprintf(p[i], sizeof p[i], "%s/parts/part_%d.db", dir.s, i + 1);
  /* nothing but the partials and their summaries is left in parts/ */
  snprintf(cmd, sizeof cmd, "test \"$(ls -A '%s/parts' | tr '\\n' ' ')\" = "
                            "'part_1.db part_1.json part_2.db part_2.json part_3.db part_3.json '",
           dir.s);
  assert_int_equal(system(cmd), 0);
  const char *mg[] = {"merge", "--out", out, p[0], p[1], p[2], "--json", NULL};
  h_result x = run_expect(0, mg);
  assert_string_equal(x.out, single_summary);
  h_result_free(&x);
  char *a = rows_of(single_db.s), *b = rows_of(out);
  assert_string_equal(a, b);
  free(a);
  free(b);
  /* an array that does not start at 1 is refused */
  snprintf(cmd, sizeof cmd,
           "cd '%s' && SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_MAX=3 "
           "SLURM_JOB_ID=78 bash '%s' 2>/dev/null", dir.s, h_root("scripts/slurm-score.sh"));
  int st = system(cmd);
  assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 2);
}

/* ---- refusals ---- */

/* 1: a file whose name begins with out's plus ".tmp-" is in out's directory
** (its name into found, when not NULL); with clear, each such file (left by
** an earlier failed run of a test) is removed instead. */
static int tmp_exists(const char *out, int clear, char found_name[256]) {
  const char *slash = strrchr(out, '/');
  char dir[1100], prefix[256];
  snprintf(dir, sizeof dir, "%.*s", (int)(slash - out), out);
  snprintf(prefix, sizeof prefix, "%s.tmp-", slash + 1);
  DIR *dp = opendir(dir);
  assert_non_null(dp);
  int found = 0;
  for (struct dirent *de; (clear || !found) && (de = readdir(dp));) {
    if (strncmp(de->d_name, prefix, strlen(prefix)) != 0) continue;
    found = 1;
    if (found_name) snprintf(found_name, 256, "%s", de->d_name);
    if (clear) {
      char *path = af_sprintf("%s/%s", dir, de->d_name);
      unlink(path);
      free(path);
    }
  }
  closedir(dp);
  return found;
}

/* No file named out, nor anything beginning with its name plus ".tmp-". */
static void assert_nothing_left(const char *out) {
  assert_int_not_equal(access(out, F_OK), 0);
  char name[256];
  if (tmp_exists(out, 0, name)) fail_msg("left behind: %s", name);
}

/* merge of the given files into a fresh mg_refused.db: exit 1 with exactly msg. */
static void expect_refused(const char *msg, const char *a, const char *b, const char *c,
                           const char *d) {
  pathbuf out = P("mg_refused.db");
  unlink(out.s);
  const char *args[] = {"merge", "--out", out.s, a, b, c, d, NULL};
  h_result x = run_expect(1, args);
  char want[8192];
  snprintf(want, sizeof want, "afscore: %s\n", msg);
  assert_string_equal(x.err, want);
  assert_string_equal(x.out, "");
  h_result_free(&x);
  assert_nothing_left(out.s);
}

/* A copy of partial i to change. */
static pathbuf copy_part(int i, const char *name) {
  pathbuf p = P(name);
  unlink(p.s);
  char *sql = af_sprintf("VACUUM INTO '%s'", p.s);
  h_sql(part[i].s, sql);
  free(sql);
  return p;
}

static void test_missing_and_repeated(void **state) {
  (void)state;
  char msg[8192];
  expect_refused("partition 3/3 is missing: merge needs every partition of the run (2 given)",
                 part[1].s, part[2].s, NULL, NULL);
  expect_refused("partition 1/3 is missing: merge needs every partition of the run (2 given)",
                 part[3].s, part[2].s, NULL, NULL);
  pathbuf again = copy_part(2, "mg_again.db");
  snprintf(msg, sizeof msg, "%s and %s are both partition 2/3", part[2].s, again.s);
  expect_refused(msg, part[1].s, part[2].s, again.s, part[3].s);
  /* another split of the same run: partition 1 of 2 */
  pathbuf two[3];
  score_parts(data_db.s, method.s, 2, "two", two);
  snprintf(msg, sizeof msg, "%s is partition 1/3 (fnv1a64-mod), %s is partition 1/2 "
                            "(fnv1a64-mod): they are not partitions of one split", part[1].s,
           two[1].s);
  expect_refused(msg, part[1].s, two[1].s, part[2].s, part[3].s);
  /* a whole run is not a partial */
  snprintf(msg, sizeof msg, "%s holds no partial run (score --partition I/N --out writes one)",
           single_db.s);
  expect_refused(msg, part[1].s, part[2].s, part[3].s, single_db.s);
}

static void test_other_method_data_engine(void **state) {
  (void)state;
  char msg[8192];
  /* partition 3 scored with another methodology */
  pathbuf v = P("mg_variant3.db");
  unlink(v.s);
  const char *sv[] = {"score", "--db", data_db.s, "--method", variant.s, "--out", v.s,
                      "--partition", "3/3", NULL};
  h_result x = run_expect(0, sv);
  h_result_free(&x);
  char *sha = h_sql_text(part[1].s, "SELECT methodology_sha256 FROM runs"),
       *vsha = h_sql_text(v.s, "SELECT methodology_sha256 FROM runs"),
       *vname = h_sql_text(v.s, "SELECT methodology_name || ' ' || methodology_version FROM runs"),
       *name = h_sql_text(part[1].s, "SELECT methodology_name || ' ' || methodology_version FROM runs");
  snprintf(msg, sizeof msg, "%s was scored with %s (sha256 %.16s), %s with %s (sha256 %.16s), or "
                            "with other imports or parameters: partials of different "
                            "methodologies are not merged", part[1].s, name, sha, v.s, vname, vsha);
  expect_refused(msg, part[1].s, part[2].s, v.s, NULL);
  free(sha), free(vsha), free(vname), free(name);
  /* partition 2 scored on other data */
  pathbuf o = P("mg_other2.db");
  unlink(o.s);
  const char *so[] = {"score", "--db", other_db.s, "--method", method.s, "--out", o.s,
                      "--partition", "2/3", NULL};
  x = run_expect(0, so);
  h_result_free(&x);
  char *d1 = h_sql_text(part[1].s, "SELECT data_sha256 FROM runs"),
       *d2 = h_sql_text(o.s, "SELECT data_sha256 FROM runs");
  assert_string_not_equal(d1, d2);
  snprintf(msg, sizeof msg, "%s was scored on data with fingerprint %.16s (%d units), %s on data "
                            "with fingerprint %.16s (%d units): partials of different data are "
                            "not merged", part[1].s, d1, FAMILIES, o.s, d2, FAMILIES);
  expect_refused(msg, part[1].s, o.s, part[3].s, NULL);
  free(d1), free(d2);
  /* partition 1 from another engine version */
  pathbuf en = copy_part(1, "mg_engine1.db");
  h_sql(en.s, "UPDATE runs SET engine_version = 'afscore 0.0.9'");
  snprintf(msg, sizeof msg, "%s was scored by afscore 0.1.0, %s by afscore 0.0.9: partials of "
                            "different engine versions are not merged", part[2].s, en.s);
  expect_refused(msg, part[2].s, en.s, part[3].s, NULL);
  /* the same inputs with another --level: the summaries differ */
  pathbuf lv = P("mg_level3.db");
  unlink(lv.s);
  pathbuf dm = P("mg_design2.lua");
  h_write(dm.s, "local m = import('kz_family_2023')\nm.unit.psu = 'settlement'\nreturn m\n");
  pathbuf dp[3];
  score_parts(data_db.s, dm.s, 2, "lv", dp);
  const char *sl[] = {"score", "--db", data_db.s, "--method", dm.s, "--out", lv.s,
                      "--partition", "2/2", "--level", "0.9", NULL};
  x = run_expect(0, sl);
  h_result_free(&x);
  snprintf(msg, sizeof msg, "%s and %s have the same methodology and data but different "
                            "summaries (scored with other options, such as --level, or the "
                            "methodology given by another path): not merged", dp[1].s, lv.s);
  expect_refused(msg, dp[1].s, lv.s, NULL, NULL);
}

/* An edited partial would come out of the merge with fresh, valid checks:
** it is refused instead. */
/* Partial 2 copied as name, the row of the unit that query picks edited by
** edit (a format taking the unit): the merge is refused, naming that unit,
** with two threads and, when one_too, with one. */
static void expect_edit_refused(const char *name, const char *query, const char *edit,
                                int one_too) {
  pathbuf ed = copy_part(2, name);
  char *unit = h_sql_text(ed.s, query);
  char *sql = af_sprintf(edit, unit);
  h_sql(ed.s, sql);
  free(sql);
  char msg[8192];
  snprintf(msg, sizeof msg, "%s: run 1 does not verify (unit '%s': the row was changed or added "
                            "after the run): a partial changed after it was scored is not "
                            "merged", ed.s, unit);
  if (one_too) {
    setenv("AFSCORE_THREADS", "1", 1);
    expect_refused(msg, part[1].s, ed.s, part[3].s, NULL);
    unsetenv("AFSCORE_THREADS");
  }
  expect_refused(msg, part[1].s, ed.s, part[3].s, NULL);
  free(unit);
}

static void test_edited_partial(void **state) {
  (void)state;
  expect_edit_refused("mg_edited2.db", "SELECT min(unit) FROM unit_scores",
                      "UPDATE unit_scores SET category = CASE category WHEN 'A' THEN 'E' "
                      "ELSE 'A' END WHERE unit = '%s'", 0);
}

/* With one thread and with two (the default; the partials are read on the
** second and handed to the writer 512 rows at a time, so 1500 rows make three
** hand-overs):
**  - the merge records the run one machine records;
**  - a merged file that cannot grow past a limit gives the writer's error,
**    naming the output (the merge writes a temporary file beside it, which
**    it removes), and leaves nothing. */
static void test_one_thread_or_two(void **state) {
  (void)state;
  const char *threads[] = {"1", "2"};
  for (int t = 0; t < 2; t++) {
    setenv("AFSCORE_THREADS", threads[t], 1);
    pathbuf m = P("mg_threads.db");
    unlink(m.s);
    const char *mg[] = {"merge", "--out", m.s, part[2].s, part[3].s, part[1].s, "--json", NULL};
    h_result x = run_expect(0, mg);
    assert_string_equal(x.out, single_summary);
    h_result_free(&x);
    assert_same_run(single_db.s, m.s);
    pathbuf full = P("mg_full.db");
    unlink(full.s);
    const char *mf[] = {"merge", "--out", full.s, part[1].s, part[2].s, part[3].s, NULL};
    h_opts o = {.cpu_seconds = 60, .fsize = 96L << 10};
    x = h_run_with(mf, &o);
    unsetenv("AFSCORE_THREADS");
    assert_int_equal(x.status, 1);
    char want[2048];
    snprintf(want, sizeof want, "afscore: results database %s: cannot write (disk full or file "
                                "size limit reached); the run was not recorded\n", full.s);
    assert_string_equal(x.err, want);
    assert_string_equal(x.out, "");
    h_result_free(&x);
    assert_nothing_left(full.s);
  }
}

/* A partial edited near its end: found by the reader after rows were
** handed to the writer; nothing is recorded, with one thread or two. */
static void test_edited_late(void **state) {
  (void)state;
  expect_edit_refused("mg_edited_late.db", "SELECT unit FROM unit_scores ORDER BY seq DESC LIMIT 1",
                      "UPDATE unit_scores SET score = score + 1 WHERE unit = '%s'", 1);
}

static void test_output_not_overwritten(void **state) {
  (void)state;
  pathbuf out = P("mg_exists.db"), wal = P("mg_exists.db-wal"), shm = P("mg_exists.db-shm");
  unlink(wal.s);    /* left by reading an earlier run's result */
  unlink(shm.s);
  h_write(out.s, "not yours\n");
  const char *mg[] = {"merge", "--out", out.s, part[1].s, part[2].s, part[3].s, NULL};
  h_result x = run_expect(1, mg);
  char want[8192];
  snprintf(want, sizeof want, "afscore: %s: already exists (--force replaces it)\n", out.s);
  assert_string_equal(x.err, want);
  h_result_free(&x);
  char *t = h_slurp(out.s);
  assert_string_equal(t, "not yours\n");
  free(t);
  /* A temporary file another merge left (killed) is not this merge's to
  ** remove; the merged file's mode is the umask's (0666 & ~027), not the
  ** 0600 of the temporary file it was written as. */
  pathbuf other = P("mg_exists.db.tmp-4242");
  h_write(other.s, "another merge's\n");
  const char *mf[] = {"merge", "--out", out.s, part[1].s, part[2].s, part[3].s, "--force", NULL};
  mode_t um = umask(027);
  x = run_expect(0, mf);
  umask(um);
  h_result_free(&x);
  char *a = rows_of(single_db.s), *b = rows_of(out.s);
  assert_string_equal(a, b);
  free(a);
  free(b);
  struct stat sb;
  assert_int_equal(stat(out.s, &sb), 0);
  assert_int_equal(sb.st_mode & 0777, 0640);
  t = h_slurp(other.s);
  assert_string_equal(t, "another merge's\n");
  free(t);
  unlink(other.s);
  /* a partial is never the output, --force or not */
  pathbuf keep = copy_part(1, "mg_keep1.db");
  char before[65], after[65];
  h_file_sha256(keep.s, before);
  const char *mp[] = {"merge", "--out", keep.s, keep.s, part[2].s, part[3].s, "--force", NULL};
  x = run_expect(1, mp);
  snprintf(want, sizeof want, "afscore: %s: refusing to write over %s, an input of this "
                              "command\n", keep.s, keep.s);
  assert_string_equal(x.err, want);
  h_result_free(&x);
  h_file_sha256(keep.s, after);
  assert_string_equal(before, after);
}

/* A merge ended by SIGTERM (a cancelled job) removes its temporary file. It
** is held at its first read of a partial, on which this process holds an
** exclusive lock (rollback-journal mode, so the lock keeps readers out), and
** signalled as soon as the temporary file appears: it ends by the signal
** (status 128 + SIGTERM, not a failed read) and leaves nothing. */
static void test_terminated_leaves_nothing(void **state) {
  (void)state;
  pathbuf locked = copy_part(1, "mg_locked.db");
  h_sql(locked.s, "PRAGMA journal_mode=DELETE");
  sqlite3 *db;
  assert_int_equal(sqlite3_open(locked.s, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
  pathbuf out = P("mg_term.db");
  unlink(out.s);
  tmp_exists(out.s, 1, NULL);
  const char *mg[] = {"merge", "--out", out.s, locked.s, part[2].s, part[3].s, NULL};
  pid_t pid = h_spawn(mg, NULL, NULL, NULL);
  int seen = 0;
  for (int i = 0; i < 30000 && !(seen = tmp_exists(out.s, 0, NULL)); i++) usleep(1000);
  kill(pid, SIGTERM);
  int status = h_wait(pid);
  sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close(db);
  assert_true(seen);
  assert_int_equal(status, 128 + SIGTERM);
  assert_nothing_left(out.s);
}

static void test_partition_option_errors(void **state) {
  (void)state;
  const char *bad[] = {"0/3", "4/3", "3", "a/3", "1/0", "-1/3", "1/3x", "2/5000"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    pathbuf out = P("mg_bad.db");
    unlink(out.s);
    const char *sc[] = {"score", "--db", data_db.s, "--method", method.s, "--out", out.s,
                        "--partition", bad[i], NULL};
    h_result x = run_expect(2, sc);
    char want[4096];
    snprintf(want, sizeof want, "afscore score: --partition needs I/N with 1 <= I <= N <= 4096 "
                                "(such as 2/8), got '%s'", bad[i]);
    assert_has(x.err, want);
    h_result_free(&x);
    assert_int_not_equal(access(out.s, F_OK), 0);
  }
  const char *no_out[] = {"score", "--db", data_db.s, "--method", method.s, "--partition", "1/2",
                          NULL};
  h_result x = run_expect(2, no_out);
  assert_has(x.err, "afscore score: --partition records a partial run: it needs --out");
  h_result_free(&x);
  const char *rp[] = {"replay", "1", "--out", part[2].s, "--db", data_db.s, NULL};
  x = run_expect(1, rp);
  assert_string_equal(x.err, "afscore: run 1 is partition 2/3 of a partitioned run: merge the "
                             "partials (afscore merge) and replay the merged run\n");
  h_result_free(&x);
  const char *none[] = {"merge", "--out", h_path("mg_none.db"), NULL};
  x = run_expect(2, none);
  assert_has(x.err, "afscore merge: needs --out RESULTS.db and the partial results databases");
  h_result_free(&x);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_each_partial_holds_its_units),
      cmocka_unit_test(test_merged_is_the_single_run),
      cmocka_unit_test(test_inference_merges),
      cmocka_unit_test(test_integer_ids),
      cmocka_unit_test(test_registry_layout),
      cmocka_unit_test(test_slurm_script),
      cmocka_unit_test(test_missing_and_repeated),
      cmocka_unit_test(test_other_method_data_engine),
      cmocka_unit_test(test_edited_partial),
      cmocka_unit_test(test_one_thread_or_two),
      cmocka_unit_test(test_edited_late),
      cmocka_unit_test(test_output_not_overwritten),
      cmocka_unit_test(test_terminated_leaves_nothing),
      cmocka_unit_test(test_partition_option_errors),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
