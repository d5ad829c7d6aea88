/*
** test_e2e_scripts.c: methodology scripts that once hung, slowed down,
** changed meaning between loads or escaped, through the real binary
** (`afscore check`). Each script is written by the test; one test per item
** of the second hardening round (runaway C calls, size, determinism,
** symbolic links, NUL bytes, special files, messages).
**
** The child runs under RLIMIT_CPU (60 s): a script that hangs shows up as a
** failed test (status 128+SIGXCPU), never as a hang. Each test meets only
** the limit it is about: the wall-clock limit of the script's process is set
** far out of the way (AFSCORE_WALL_LIMIT) except in the test of that limit,
** which sets the CPU-time limits far out of the way instead, so that a busy
** machine does not change which limit ends a script.
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

#include "harness.h"
#include "util.h"

/* ------------------------------------------------------------ helpers */

/* A methodology that passes `check` (no database). */
#define VALID                                                                        \
  "return { name = 'ok', version = '1', unit = { table = 'people', id = 'id' },\n"  \
  "  dimensions = { { id = 'd', indicators = { { id = 'i', deprived = 'x < 1' } } } },\n" \
  "  k = 1 }\n"


/* `afscore check PATH`, bounded (h_run_bounded). */
static h_result check(const char *path) {
  const char *args[] = {"check", path, NULL};
  return h_run_bounded(args);
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------- size: linear validation */

/* 4,000 indicators, each in its own dimension, with ids built by code (so
** that no line lookup finds them literally) and 4,000 defines that form one
** chain written in the reverse of its dependency order (v0 uses v1, ...).
** Validation was quadratic in the indicators and cubic in such a chain: on
** the old code this ran past the CPU limit. */
static void test_big_methodology_validates(void **state) {
  (void)state;
  enum { N = 4000 };
  strbuf b = {0};
  sb_puts(&b, "return { name = 'big', version = '1', unit = { table = 'families', id = 'id' },\n"
              "  define = {\n");
  for (int i = 0; i < N; i++)
    sb_printf(&b, "    v%d = '%s%d + 1',\n", i, i + 1 < N ? "v" : "x", i + 1);
  sb_puts(&b, "  },\n  dimensions = {\n");
  for (int i = 0; i < N; i++)
    sb_printf(&b, "    { id = 'd%d', indicators = { { id = 'i' .. %d, name = 'indicator %d', "
                  "deprived = 'v%d < %d' } } },\n", i, i, i, i, i);
  sb_puts(&b, "  },\n  k = 0.5 }\n");
  const char *path = h_path("s_big.lua");
  h_write(path, b.s);
  sb_free(&b);
  /* This test is about validation, not the script's time limit: put that
  ** limit out of the way (an ASan build on a busy machine can need more
  ** than the default 1.5 s of CPU to build the 4,000-indicator table). */
  setenv("AFSCORE_TIME_LIMIT", "600", 1);
  h_result r = check(path);
  unsetenv("AFSCORE_TIME_LIMIT");
  char want[1400];
  snprintf(want, sizeof want,
           "%s: ok: big, version 1, AF scoring, 4000 indicators in 4000 dimensions, 2 bands\n",
           path);
  if (r.status != 0) fail_msg("status %d, stderr: %.500s", r.status, r.err);
  assert_has(r.out, want);
  h_result_free(&r);
}

/* ------------------------------------------------------------ messages */

static void test_self_define(void **state) {
  (void)state;
  h_expect_refused("s_self_define.lua",
                 "return { name = 'n', version = '1', unit = { table = 'p', id = 'id' },\n"
                 "  define = {\n    a = 'a + 1',\n  },\n"
                 "  dimensions = { { id = 'd', indicators = { { id = 'i', deprived = 'a > 1' } } } },\n"
                 "  k = 1 }\n",
                 3, "define 'a' refers to itself");
}

/* ------------------------------------------- item: hangs inside one C call */

/* The CPU limit of the script's process (3 s for the default 1.5 s limit of
** the Lua hook), with the line of the library call that ran away. */
#define C_TIME "time limit of 3 s of CPU time exceeded (inside a library function?)"

/* Each of these runs inside one C function of Lua's library, where no hook
** fires: before the script ran in a process of its own, each hung `check`
** for good (here: until the test's 60 s CPU limit). */
static void test_runaway_c_calls(void **state) {
  (void)state;
  h_expect_refused("s_insert.lua",
                 "local huge = math.maxinteger - 1\n"
                 "table.insert(setmetatable({}, { __len = function() return huge end }), 1, 'x')\n",
                 2, C_TIME);
  h_expect_refused("s_remove.lua",
                 "local huge = math.maxinteger - 1\n"
                 "table.remove(setmetatable({}, { __len = function() return huge end }), 1)\n",
                 2, C_TIME);
  h_expect_refused("s_balanced.lua", "local s = ('('):rep(1e6)\nreturn s:find('%b()')\n", 2, C_TIME);
  h_expect_refused("s_backref.lua",
                 "local s = ('('):rep(5e5) .. (')'):rep(5e5)\nreturn s:gsub('(%b())%1', '')\n", 2,
                 C_TIME);
  /* 900,000 reads, each through 1,990 __index tables */
  h_expect_refused("s_unpack.lua",
                 "local t = {} for i = 1, 1990 do t = setmetatable({}, { __index = t }) end\n"
                 "return table.unpack(t, 1, 900000)\n",
                 2, C_TIME);
  h_expect_refused("s_move.lua",
                 "local t = {} for i = 1, 1990 do t = setmetatable({}, { __index = t }) end\n"
                 "return table.move(t, 1, 1e7, 1, {})\n",
                 2, C_TIME);
  /* table.sort copies the array first: a huge __len is a memory error */
  h_expect_refused("s_sort.lua",
                 "local huge = 2^30\n"
                 "table.sort(setmetatable({}, { __len = function() return huge end }))\n",
                 2, "memory limit of 64 MiB exceeded");
}

/* A memory error raised inside a C function names the line of the call,
** even when no instruction hook ran before it. */
static void test_memory_error_in_c_has_line(void **state) {
  (void)state;
  h_expect_refused("s_format_bomb.lua",
                 "local a = ('x'):rep(3e7)\n\n"
                 "local s = string.format('%s%s%s', a, a, a)\n",
                 3, "memory limit of 64 MiB exceeded");
}

/* ---------------------------------------- item: the wall-clock limit */

/* A library call that runs for hours, with the CPU-time limits far away
** (AFSCORE_TIME_LIMIT = 600: the kernel's limit is 601 s) and a wall-clock
** limit of 1 s: only the wall-clock limit can end it, and it does, naming
** the line, well within the 5 s (the bound is loose: it holds on a
** loaded machine; the default limit is 4 s). */
static void test_hang_ends_at_wall_limit(void **state) {
  (void)state;
  setenv("AFSCORE_TIME_LIMIT", "600", 1);
  setenv("AFSCORE_WALL_LIMIT", "1", 1);
  double t0 = now_seconds();
  h_expect_refused("s_wall.lua",
                   "local huge = math.maxinteger - 1\n"
                   "table.insert(setmetatable({}, { __len = function() return huge end }), 1, 'x')\n",
                   2, "time limit of 1 s of wall-clock time exceeded (inside a library function, "
                      "or the machine is busy?)");
  double took = now_seconds() - t0;
  if (took >= 5) fail_msg("check took %.1f s of wall-clock time", took);
}

/* ------------------------------- item: cases files run like methodologies */

/* `afscore test M.lua` runs M.test.lua as it runs a methodology: in a process
** of its own under the same limits. Before, it ran in afscore's own process,
** where a runaway library call hung `test` for good. */
static void test_cases_file_isolated(void **state) {
  (void)state;
  const char *m = h_new_file("s_cases.lua", VALID);
  char cases[1100];
  snprintf(cases, sizeof cases, "%s", h_path("s_cases.test.lua"));
  const char *args[] = {"test", m, NULL};
  static const struct {
    const char *src, *wall, *msg;
    int line;
  } bad[] = {
      {"local huge = math.maxinteger - 1\n"
       "table.insert(setmetatable({}, { __len = function() return huge end }), 1, 'x')\n",
       "1", "time limit of 1 s of wall-clock time exceeded (inside a library function, or the "
            "machine is busy?)", 2},
      {"local huge = math.maxinteger - 1\n"
       "table.insert(setmetatable({}, { __len = function() return huge end }), 1, 'x')\n",
       "600", "time limit of 3 s of CPU time exceeded (inside a library function?)", 2},
      {"local t, i = {}, 0\nwhile true do i = i + 1 t[i] = { i } end\n", "600",
       "memory limit of 64 MiB exceeded", 2},
      {"local a = ('x'):rep(3e7)\n\nlocal s = string.format('%s%s%s', a, a, a)\n", "600",
       "memory limit of 64 MiB exceeded", 3},
      {"while true do end\n", "600", "instruction limit exceeded (endless loop?)", 1},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    h_write(cases, bad[i].src);
    setenv("AFSCORE_WALL_LIMIT", bad[i].wall, 1);
    h_result r = h_run_bounded(args);
    char want[1400];
    snprintf(want, sizeof want, "%s:%d: %s\n", cases, bad[i].line, bad[i].msg);
    if (r.status != 1) fail_msg("case %zu: status %d, stderr: %s", i, r.status, r.err);
    assert_string_equal(r.out, "");
    assert_string_equal(r.err, want);
    h_result_free(&r);
  }
  /* and a good cases file still runs, `null` included */
  h_write(cases, "return { cases = { { name = 'one', unit = { x = 0 }, expect = { poor = true } },\n"
                 "  { name = 'unknown', unit = { x = null }, expect = { excluded = true } } } }\n");
  h_result r = h_run_bounded(args);
  char want[1400];
  snprintf(want, sizeof want, "ok    one\nok    unknown\n%s: 2 cases, 2 passed, 0 failed\n", cases);
  if (r.status != 0) fail_msg("status %d, stderr: %s", r.status, r.err);
  assert_string_equal(r.out, want);
  h_result_free(&r);
}

/* ------------------------------------------------- item: determinism */

/* A result that depends on pairs() order, tostring({}) and the order
** table.sort gives equal elements: the same on every load, and the order
** documented (keys sorted; "table: #N" in order of first use; a stable
** sort). */
static void test_same_meaning_on_every_load(void **state) {
  (void)state;
  const char *path = h_path("s_pairs.lua");
  h_write(path,
          "local t = {}\n"
          "for c in ('qwertyuiopasdfghjklzxcvbnm'):gmatch('.') do t[c] = true end\n"
          "t[10] = true t[2] = true t[2.5] = true t[false] = true\n"
          "local keys = {}\n"
          "for k in pairs(t) do keys[#keys + 1] = tostring(k) end\n"
          "local recs = {}\n"
          "for i = 1, 300 do recs[i] = { key = i % 3, n = i } end\n"
          "table.sort(recs, function(a, b) return a.key < b.key end)\n"
          "local firsts = recs[1].n .. ',' .. recs[2].n .. ',' .. recs[101].n .. ',' .. recs[300].n\n"
          "local a, b = {}, {}\n"
          "local name = table.concat(keys, '') .. ' ' .. tostring(a) .. ' ' .. tostring(b) .. ' '\n"
          "  .. tostring(a) .. ' ' .. string.format('%s', print) .. ' ' .. firsts\n"
          "return { name = name, version = '1', unit = { table = 'p', id = 'id' },\n"
          "  dimensions = { { id = 'd', indicators = { { id = 'i', deprived = 'x < 1' } } } }, k = 1 }\n");
  /* keys: numbers ascending, then strings bytewise, then false; recs with
  ** key 0 are 3, 6, ... (300 last), key 1: 1, 4, ...; stable order */
  char want[1400];
  snprintf(want, sizeof want,
           "%s: ok: 22.510abcdefghijklmnopqrstuvwxyzfalse table: #1 table: #2 table: #1 "
           "function: #3 3,6,1,299, version 1",
           path);
  for (int i = 0; i < 5; i++) {
    h_result r = check(path);
    if (r.status != 0) fail_msg("load %d: status %d, stderr: %s", i, r.status, r.err);
    if (!h_has(r.out, want)) fail_msg("load %d: %s", i, r.out);
    h_result_free(&r);
  }
}

/* Through score and replay: a methodology that picks its rules' columns by
** pairs() order. Sorted keys give a and b: person 1 is deprived in both
** (score 1), persons 2 and 3 in one (0.5 >= k), person 4 in none, so
** H = 3/4; any other two columns (all 0) would make H = 1. Replay loads the
** recorded methodology again and must reproduce the run. */
static void test_pairs_order_score_and_replay(void **state) {
  (void)state;
  const char *db = h_path("s_rp.db"), *out = h_path("s_rp_out.db");
  unlink(db);
  unlink(out);
  h_sql(db, "CREATE TABLE people(id INTEGER PRIMARY KEY, a, b, c, d, e, f, g, h);"
            "INSERT INTO people VALUES (1,0,0,0,0,0,0,0,0), (2,0,5,0,0,0,0,0,0),"
            "(3,5,0,0,0,0,0,0,0), (4,5,5,0,0,0,0,0,0);");
  const char *m = h_path("s_rp.lua");
  h_write(m, "local order = {}\n"
             "for k in pairs({ h = 1, g = 1, f = 1, e = 1, d = 1, c = 1, b = 1, a = 1 }) do\n"
             "  order[#order + 1] = k end\n"
             "return { name = 'rp', version = '1', unit = { table = 'people', id = 'id' },\n"
             "  dimensions = { { id = 'd', indicators = {\n"
             "    { id = 'i1', deprived = order[1] .. ' < 1', weight = 0.5 },\n"
             "    { id = 'i2', deprived = order[2] .. ' < 1', weight = 0.5 } } } },\n"
             "  k = 0.5 }\n");
  const char *score[] = {"score", "--db", db, "--method", m, "--out", out, NULL};
  h_result r = h_run_bounded(score);
  if (r.status != 0) fail_msg("score: status %d: %s", r.status, r.err);
  assert_true(h_has(r.out, "H = 75.00 %"));
  h_result_free(&r);
  const char *replay[] = {"replay", "1", "--out", out, "--db", db, NULL};
  r = h_run_bounded(replay);
  if (r.status != 0) fail_msg("replay: status %d: %s", r.status, r.err);
  assert_has(r.out, "reproduced: run 1, 4 units, every recorded row checked: score, poor, "
                    "category and eligibility identical");
  h_result_free(&r);
}

/* ---------------------------------------------------- item: symlinks */

static void mkdir_fresh(const char *dir) {
  char cmd[2400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
  assert_int_equal(system(cmd), 0);
}

/* import() keeps to the methodology's directories even through symbolic
** links, and never shows what the target holds. */
static void test_symlink_imports(void **state) {
  (void)state;
  char dir[1100], outside[1100], secret[1200], p[1200], link[1200], m[1200], want[4000];
  snprintf(dir, sizeof dir, "%s", h_path("s_links"));
  snprintf(outside, sizeof outside, "%s", h_path("s_links_outside"));
  mkdir_fresh(dir);
  mkdir_fresh(outside);
  snprintf(secret, sizeof secret, "%s/secret.lua", outside);
  h_write(secret, "TOPSECRET password hunter2\n");
  /* a link to a file outside */
  snprintf(link, sizeof link, "%s/lib.lua", dir);
  assert_int_equal(symlink(secret, link), 0);
  snprintf(m, sizeof m, "%s/main.lua", dir);
  h_write(m, "local lib = import('lib')\nreturn lib\n");
  h_result r = check(m);
  snprintf(want, sizeof want,
           "%s:1: import: 'lib': %s leads outside the methodology's directories (a symbolic "
           "link?); imports must stay beside the methodology or in its search path\n", m, link);
  assert_int_equal(r.status, 1);
  assert_string_equal(r.err, want);
  assert_lacks(r.err, "TOPSECRET");
  assert_lacks(r.out, "TOPSECRET");
  h_result_free(&r);
  /* a link to a directory outside */
  snprintf(link, sizeof link, "%s/sub", dir);
  assert_int_equal(symlink(outside, link), 0);
  h_write(m, "return import('sub/secret')\n");
  r = check(m);
  snprintf(p, sizeof p, "%s/sub/secret.lua", dir);
  snprintf(want, sizeof want,
           "%s:1: import: 'sub/secret': %s leads outside the methodology's directories (a "
           "symbolic link?); imports must stay beside the methodology or in its search path\n",
           m, p);
  assert_int_equal(r.status, 1);
  assert_string_equal(r.err, want);
  h_result_free(&r);
  /* a link that stays inside is followed */
  snprintf(p, sizeof p, "%s/real.lua", dir);
  h_write(p, VALID);
  snprintf(link, sizeof link, "%s/alias.lua", dir);
  assert_int_equal(symlink(p, link), 0);
  h_write(m, "return import('alias')\n");
  r = check(m);
  assert_int_equal(r.status, 0);
  assert_has(r.out, ": ok: ok, version 1");
  h_result_free(&r);
}

/* ---------------------------------------------------- item: NUL bytes */

static void test_nul_bytes_refused(void **state) {
  (void)state;
  const char *path = h_path("s_nul.lua");
  h_write(path,
          "return { name = 'n', version = '1', unit = { table = 'people\\0x', id = 'id' },\n"
          "  dimensions = { { id = 'd', indicators = {\n"
          "    { id = 'i', deprived = 'x < 1\\0 or true' } } } }, k = 1 }\n");
  h_result r = check(path);
  char want[3000];
  snprintf(want, sizeof want,
           "%s:1: unit: table contains a NUL byte (\\0) at byte 7 (after 'people'): "
           "methodology text cannot contain NUL bytes\n"
           "%s:3: indicator 'i': deprived contains a NUL byte (\\0) at byte 6 (after 'x < 1'): "
           "methodology text cannot contain NUL bytes\n",
           path, path);
  assert_int_equal(r.status, 1);
  assert_string_equal(r.err, want);
  h_result_free(&r);
}

/* ------------------------------------------------- item: special files */

/* Run afscore with stdout/stderr captured; a run that has not ended after
** 60 s of wall time is killed and fails the test (a blocking open uses no
** CPU, so the CPU limit alone would not end it). */
static h_result run_guarded(const char *const *args) {
  h_result r = {0};
  char outp[1200], errp[1200];
  snprintf(outp, sizeof outp, "%s", h_path("s_guard.out"));
  snprintf(errp, sizeof errp, "%s", h_path("s_guard.err"));
  h_opts o = {.cpu_seconds = 60};
  pid_t pid = h_spawn(args, &o, outp, errp);
  int st = 0, waited = 0;
  while (waitpid(pid, &st, WNOHANG) == 0) {
    if (++waited > 6000) {
      kill(pid, SIGKILL);
      waitpid(pid, &st, 0);
      fail_msg("afscore %s %s blocked", args[0], args[1]);
    }
    usleep(10000);
  }
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r.out = h_slurp(outp);
  r.err = h_slurp(errp);
  return r;
}

static void expect_guarded(const char *const *args, const char *want) {
  h_result r = run_guarded(args);
  assert_int_equal(r.status, 1);
  assert_string_equal(r.err, want);
  h_result_free(&r);
}

#define NOT_REGULAR "is not a regular file (a FIFO, device or socket); afscore reads regular files only"

static void test_special_files(void **state) {
  (void)state;
  char want[3000], dir[1100], fifo[1200], m[1200];
  const char *zero[] = {"check", "/dev/zero", NULL};
  expect_guarded(zero, "/dev/zero: " NOT_REGULAR "\n");
  snprintf(dir, sizeof dir, "%s", h_path("s_special"));
  mkdir_fresh(dir);
  const char *isdir[] = {"check", dir, NULL};
  snprintf(want, sizeof want, "%s: is a directory\n", dir);
  expect_guarded(isdir, want);
  /* a FIFO as the methodology, as an import, as the data */
  snprintf(fifo, sizeof fifo, "%s/pipe.lua", dir);
  assert_int_equal(mkfifo(fifo, 0600), 0);
  const char *asmethod[] = {"check", fifo, NULL};
  snprintf(want, sizeof want, "%s: " NOT_REGULAR "\n", fifo);
  expect_guarded(asmethod, want);
  snprintf(m, sizeof m, "%s/main.lua", dir);
  h_write(m, "return import('pipe')\n");
  const char *asimport[] = {"check", m, NULL};
  snprintf(want, sizeof want, "%s:1: import: 'pipe': %s: " NOT_REGULAR "\n", m, fifo);
  expect_guarded(asimport, want);
  h_write(m, VALID);
  const char *asdb[] = {"check", m, "--db", fifo, NULL};
  snprintf(want, sizeof want, "%s: " NOT_REGULAR "\n", fifo);
  expect_guarded(asdb, want);
  /* a regular file over the size cap */
  snprintf(m, sizeof m, "%s/big.lua", dir);
  FILE *f = fopen(m, "w");
  assert_non_null(f);
  for (int i = 0; i < 17 * 1024; i++) fprintf(f, "-- %1020d\n", i);
  fclose(f);
  const char *big[] = {"check", m, NULL};
  snprintf(want, sizeof want, "%s: too large (afscore reads methodology files of at most "
                              "16 MiB)\n", m);
  expect_guarded(big, want);
}

/* ------------------------------------------------------------ messages */

static void test_bom_accepted(void **state) {
  (void)state;
  const char *path = h_path("s_bom.lua");
  char src[2000];
  snprintf(src, sizeof src, "\xEF\xBB\xBF%s", VALID);
  h_write(path, src);
  h_result r = check(path);
  if (r.status != 0) fail_msg("status %d: %s", r.status, r.err);
  assert_has(r.out, ": ok: ok, version 1");
  h_result_free(&r);
  /* and lines are still counted from the first */
  snprintf(src, sizeof src, "\xEF\xBB\xBF\nlocal x = nil + 1\n");
  h_expect_refused("s_bom_error.lua", src, 2, "attempt to perform arithmetic on a nil value");
}

static void test_backslash_import(void **state) {
  (void)state;
  h_expect_refused("s_backslash.lua", "return import('lib\\\\common')\n", 1,
                 "import: a backslash is not allowed in a module name (separate directories "
                 "with '/'): 'lib\\common'");
}

/* Each test starts with the default CPU-time limit and the wall-clock limit
** far out of the way (see the top of this file). */
static int far_wall_limit(void **state) {
  (void)state;
  unsetenv("AFSCORE_TIME_LIMIT");
  return setenv("AFSCORE_WALL_LIMIT", "600", 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_hang_ends_at_wall_limit, far_wall_limit),
      cmocka_unit_test_setup(test_cases_file_isolated, far_wall_limit),
      cmocka_unit_test_setup(test_runaway_c_calls, far_wall_limit),
      cmocka_unit_test_setup(test_memory_error_in_c_has_line, far_wall_limit),
      cmocka_unit_test_setup(test_big_methodology_validates, far_wall_limit),
      cmocka_unit_test_setup(test_same_meaning_on_every_load, far_wall_limit),
      cmocka_unit_test_setup(test_pairs_order_score_and_replay, far_wall_limit),
      cmocka_unit_test_setup(test_symlink_imports, far_wall_limit),
      cmocka_unit_test_setup(test_nul_bytes_refused, far_wall_limit),
      cmocka_unit_test_setup(test_special_files, far_wall_limit),
      cmocka_unit_test_setup(test_bom_accepted, far_wall_limit),
      cmocka_unit_test_setup(test_self_define, far_wall_limit),
      cmocka_unit_test_setup(test_backslash_import, far_wall_limit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
