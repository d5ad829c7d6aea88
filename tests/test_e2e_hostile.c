/*
** test_e2e_hostile.c: hostile and runaway methodology scripts through the
** real binary (`afscore check FILE.lua`, and once through `score`). Every
** way out of the sandbox (os, io, package, require, debug, dofile, loadfile,
** binary chunks, imports of absolute paths and '..') and every runaway
** (endless loops, also inside C functions; memory bombs; collectgarbage and
** finalizer tricks; loops of costly C calls that the instruction count alone
** would let run for hours) must end with exit 1 and exactly "FILE:LINE:
** message" on stderr, and leave the files the script aims at untouched.
**
** The child runs under RLIMIT_CPU (60 s), so a script that escapes the
** limits shows up as a failed test (status 128+SIGXCPU/SIGKILL), not a hang.
** No timing is asserted.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "util.h"

/* ------------------------------------------------------------ helpers */


/* The sandbox's messages for what a methodology cannot have. */
#define UNAVAILABLE(lib) \
  "'" lib "' is not available in a methodology (it cannot reach files, the clock or the system)"
#define LOADER_GONE(fn)                                                                          \
  fn "() is not available in a methodology: use import(\"name\") to build on another "       \
     "methodology file (it returns a fresh copy of its table)"

static char *slurp(const char *path) {
  char *text = NULL;
  size_t len;
  af_err e;
  if (af_read_file(path, &text, &len, &e) < 0) return af_strdup("");
  return text;
}

/* A methodology that passes `check` (no database): what a script returns
** after a trick that must have no effect. */
#define VALID_TAIL                                                                   \
  "return { name = 'ok', version = '1', unit = { table = 'people', id = 'id' },\n"  \
  "  dimensions = { { id = 'd', indicators = { { id = 'i', deprived = 'x < 1' } } } },\n" \
  "  k = 1 }\n"

static char *file_text(const char *path) { return slurp(path); }

static int exists(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0;
}

/* ------------------------------------------------------ ways out: files */

/* A victim file the scripts try to remove, overwrite or rename, and a
** target they try to create: after every attempt the victim is intact and
** the target absent. */
static void test_files_out_of_reach(void **state) {
  (void)state;
  char victim[1100], target[1100];
  snprintf(victim, sizeof victim, "%s", h_path("hostile_victim.txt"));
  snprintf(target, sizeof target, "%s", h_path("hostile_created.txt"));
  h_write(victim, "precious\n");
  unlink(target);
  char src[4096];

  snprintf(src, sizeof src, "-- remove a file\nos.remove('%s')\n", victim);
  h_expect_refused("h_os_remove.lua", src, 2, UNAVAILABLE("os"));
  snprintf(src, sizeof src, "os.rename('%s', '%s')\n", victim, target);
  h_expect_refused("h_os_rename.lua", src, 1, UNAVAILABLE("os"));
  snprintf(src, sizeof src, "os.execute('rm -f %s; touch %s')\n", victim, target);
  h_expect_refused("h_os_execute.lua", src, 1, UNAVAILABLE("os"));
  snprintf(src, sizeof src, "local f = io.open('%s', 'w')\nf:write('x')\n", target);
  h_expect_refused("h_io_open.lua", src, 1, UNAVAILABLE("io"));
  snprintf(src, sizeof src, "io.popen('touch %s')\n", target);
  h_expect_refused("h_io_popen.lua", src, 1, UNAVAILABLE("io"));
  snprintf(src, sizeof src, "io.output('%s')\n", victim);
  h_expect_refused("h_io_output.lua", src, 1, UNAVAILABLE("io"));
  /* the libraries are not hidden somewhere reachable either */
  snprintf(src, sizeof src,
           "local g = rawget(_G, 'io') or rawget(_G, 'os') or getmetatable('').__index.io\n"
           "g.open('%s', 'w')\n", target);
  h_expect_refused("h_io_hidden.lua", src, 2, "attempt to index a nil value (local 'g')");

  char *text = file_text(victim);
  assert_string_equal(text, "precious\n");
  free(text);
  assert_false(exists(target));
}

static void test_no_code_loading(void **state) {
  (void)state;
  char victim[1100], src[4096];
  snprintf(victim, sizeof victim, "%s", h_path("hostile_chunk.lua"));
  h_write(victim, "return 1\n");
  h_expect_refused("h_package.lua", "local f = package.loadlib('libc.so.6', 'system')\n", 1,
               UNAVAILABLE("package"));
  h_expect_refused("h_require.lua", "local os = require('os')\n", 1,
               LOADER_GONE("require"));
  h_expect_refused("h_debug.lua", "\ndebug.sethook()\n", 2,
               UNAVAILABLE("debug"));
  snprintf(src, sizeof src, "return dofile('%s')\n", victim);
  h_expect_refused("h_dofile.lua", src, 1, LOADER_GONE("dofile"));
  snprintf(src, sizeof src, "return loadfile('%s')()\n", victim);
  h_expect_refused("h_loadfile.lua", src, 1, LOADER_GONE("loadfile"));
  /* binary chunks: string.dump is gone, and load refuses the signature in a
  ** string and through a reader function, whatever mode is asked for */
  h_expect_refused("h_dump.lua", "local f = load(string.dump(function() return 1 end))\n", 1,
               "attempt to call a nil value (field 'dump')");
  h_expect_refused("h_binary.lua",
               "local f, err = load('\\27LuaT\\0\\25\\147\\r\\n\\26\\n', 'x', 'b')\n"
               "if not f then error(err) end\n",
               2, "load: binary chunks are not allowed, only source text");
  h_expect_refused("h_binary_reader.lua",
               "local done = false\n"
               "local f, err = load(function() if done then return nil end done = true\n"
               "  return '\\27Lua' end, 'x', 'bt')\n"
               "error(err, 0)\n",
               0, "attempt to load a binary chunk (mode is 't')");
}

static void test_imports_stay_inside(void **state) {
  (void)state;
  h_expect_refused("h_import_abs.lua", "local m = import('/etc/passwd')\n", 1,
               "import: absolute paths are not allowed: '/etc/passwd'");
  h_expect_refused("h_import_up.lua", "\nlocal m = import('../methodology/kz_family_2023')\n", 2,
               "import: '..' is not allowed: '../methodology/kz_family_2023'");
  h_expect_refused("h_import_mid.lua", "local m = import('sub/../../secret')\n", 1,
               "import: '..' is not allowed: 'sub/../../secret'");
  /* a runaway in an imported file is reported at that file's line */
  char evil[1100];
  snprintf(evil, sizeof evil, "%s", h_path("h_evil.lua"));
  h_write(evil, "local n = 0\nwhile true do n = n + 1 end\n");
  char path[1100];
  snprintf(path, sizeof path, "%s", h_path("h_imports_evil.lua"));
  h_write(path, "return import('h_evil')\n");
  const char *args[] = {"check", path, NULL};
  h_result r = h_run_bounded(args);
  char want[2400];
  snprintf(want, sizeof want, "%s:2: instruction limit exceeded (endless loop?)\n", evil);
  assert_int_equal(r.status, 1);
  assert_string_equal(r.err, want);
  h_result_free(&r);
}

/* ------------------------------------------------------------ runaways */

static void test_endless_loops(void **state) {
  (void)state;
  h_expect_refused("h_loop.lua", "local n = 0\nwhile true do n = n + 1 end\n", 2,
               "instruction limit exceeded (endless loop?)");
  h_expect_refused("h_recursion.lua", "local function f(n) return f(n + 1) end\nreturn f(1)\n", 1,
               "instruction limit exceeded (endless loop?)");
  /* loops inside C functions that call back into Lua */
  h_expect_refused("h_gsub_loop.lua",
               "return ('abc'):gsub('.', function(c)\n  while true do end\nend)\n", 2,
               "instruction limit exceeded (endless loop?)");
  h_expect_refused("h_sort_loop.lua",
               "table.sort({3, 1, 2}, function(a, b)\n  while true do end\nend)\n", 2,
               "instruction limit exceeded (endless loop?)");
  h_expect_refused("h_close_loop.lua",
               "local x <close> = setmetatable({}, { __close = function()\n"
               "  while true do end end })\nwhile true do end\n",
               2, "instruction limit exceeded (endless loop?)");
  /* a limit cannot be caught and carried on from */
  h_expect_refused("h_pcall_loop.lua",
               "while true do\n  pcall(function() while true do end end)\nend\n", 2,
               "instruction limit exceeded (endless loop?)");
  /* C functions where no hook fires: an empty piece repeated 1e18 times is
  ** "" at once; a pathological pattern is refused before it starts */
  h_expect_refused("h_rep_empty.lua", "local s = ('') :rep(1e18)\nerror('rep returned ' .. #s)\n", 2,
               "rep returned 0");
  h_expect_refused("h_pattern.lua", "local s = ('a'):rep(100000)\nreturn s:find('(.-)(.-)(.-)b')\n",
               2,
               "string.find: pattern too costly: 3 repetition item(s) on a text of 100000 "
               "characters could take too long to match; use a shorter text or a simpler "
               "pattern");
  h_expect_refused("h_recursive_index.lua",
               "local t = setmetatable({}, { __index = function(t, k) return t[k] end })\n"
               "return t.x\n",
               1, "C stack overflow");
}

/* Loops of a few instructions, each doing a lot of work in C: the instruction
** count alone would let these run for hours; the time limit ends them. */
static void test_costly_c_loops(void **state) {
  (void)state;
  setenv("AFSCORE_TIME_LIMIT", "0.5", 1);
  h_expect_refused("h_compare_loop.lua",
               "local a, b = ('x'):rep(2e7), ('x'):rep(2e7)\n"
               "while true do local same = a == b end\n",
               2, "time limit of 0.5 s exceeded (endless loop?)");
  h_expect_refused("h_reader_comment.lua",
               "local piece = '--' .. ('x'):rep(1e6)\n"
               "local f, err = load(function() return piece end)\n",
               2, "time limit of 0.5 s exceeded (endless loop?)");
  h_expect_refused("h_find_loop.lua",
               "local s = ('x'):rep(3e7)\nwhile true do s:find('y', 1, true) end\n", 2,
               "time limit of 0.5 s exceeded (endless loop?)");
}

static void test_memory_bombs(void **state) {
  (void)state;
  h_expect_refused("h_bomb_table.lua", "local t = {}\nlocal i = 0 while true do i = i + 1 t[i] = { i } end\n",
               2, "memory limit of 64 MiB exceeded");
  h_expect_refused("h_bomb_rep.lua", "local s = ('x'):rep(1e10)\n", 1, "memory limit of 64 MiB exceeded");
  h_expect_refused("h_bomb_concat.lua", "local s = 'x'\nfor i = 1, 100 do s = s .. s end\n", 2,
               "memory limit of 64 MiB exceeded");
  h_expect_refused("h_bomb_tconcat.lua",
               "local s, t = ('x'):rep(1e6), {}\n"
               "for i = 1, 200 do t[i] = s end return table.concat(t)\n",
               2, "memory limit of 64 MiB exceeded");
  /* memory errors are final: pcall and load do not hand them back */
  h_expect_refused("h_bomb_pcall.lua",
               "local ok = pcall(string.rep, 'x', 1e12)\nerror('carried on')\n", 1,
               "memory limit of 64 MiB exceeded");
  h_expect_refused("h_bomb_load.lua",
               "local piece, first = ('y'):rep(1e6), true\n"
               "local f, err = load(function()\n"
               "  if first then first = false return 'x = [[' end return piece end)\n"
               "error('carried on: ' .. tostring(err))\n",
               2, "memory limit of 64 MiB exceeded");
}

static void test_gc_tricks(void **state) {
  (void)state;
  h_expect_refused("h_gc_stop.lua", "collectgarbage('stop')\n", 1,
               "collectgarbage: only collectgarbage(\"count\") is available in a methodology");
  h_expect_refused("h_gc_gen.lua", "\ncollectgarbage('generational')\n", 2,
               "collectgarbage: only collectgarbage(\"count\") is available in a methodology");
  /* a caught refusal changes nothing: the collector still runs */
  h_expect_refused("h_gc_pcall.lua",
               "pcall(collectgarbage, 'stop')\nlocal t = {}\n"
               "for i = 1, 1e8 do t[i % 1000] = ('y'):rep(1e5) .. i end\nerror('survived')\n",
               3, "memory limit of 64 MiB exceeded");
  h_expect_refused("h_gc_finalizer.lua",
               "local t = setmetatable({}, { __gc = function() while true do end end })\n", 1,
               "setmetatable: __gc metamethods are not allowed in a methodology");
  /* __gc added after setmetatable does not mark the table for finalization
  ** (Lua 5.4), so nothing runs when the state is closed: check succeeds */
  char path[1100];
  snprintf(path, sizeof path, "%s", h_path("h_gc_late.lua"));
  h_write(path,
          "local mt = {}\nlocal t = setmetatable({}, mt)\n"
          "mt.__gc = function() while true do end end\n" VALID_TAIL);
  const char *args[] = {"check", path, NULL};
  h_result r = h_run_bounded(args);
  assert_int_equal(r.status, 0);
  assert_has(r.out, ": ok: ok, version 1");
  h_result_free(&r);
  /* an error object whose __tostring loops is never converted */
  h_expect_refused("h_error_tostring.lua",
               "error(setmetatable({}, { __tostring = function() while true do end end }))\n", 0,
               "error object is a table value");
}

/* Through `score`: the same message, no results database created, the input
** database unchanged. */
static void test_score_refuses_hostile(void **state) {
  (void)state;
  const char *db = h_path("hostile_data.db");
  const char *out = h_path("hostile_out.db");
  unlink(db);
  unlink(out);
  h_sql(db, "CREATE TABLE people(id INTEGER PRIMARY KEY, x REAL); INSERT INTO people VALUES (1, 0);");
  char before[65], after[65];
  h_file_sha256(db, before);
  char path[1100], src[2048];
  snprintf(path, sizeof path, "%s", h_path("h_score.lua"));
  snprintf(src, sizeof src, "os.remove('%s')\n" VALID_TAIL, db);
  h_write(path, src);
  const char *args[] = {"score", "--db", db, "--method", path, "--out", out, NULL};
  h_result r = h_run_bounded(args);
  assert_int_equal(r.status, 1);
  char want[1200];
  snprintf(want, sizeof want, "%s:1: " UNAVAILABLE("os") "\n", path);
  assert_string_equal(r.err, want);
  assert_false(exists(out));
  h_file_sha256(db, after);
  assert_string_equal(before, after);
  h_result_free(&r);
}

/* Each test starts with the script's time limits (AFSCORE_TIME_LIMIT of
** CPU time, AFSCORE_WALL_LIMIT of wall-clock time) far out of the way, so
** that it meets only the limit it is about: instructions and memory are
** counted, so which of them a script meets first does not depend on how busy
** the machine is. test_costly_c_loops sets a short CPU-time limit. */
static int far_time_limit(void **state) {
  (void)state;
  setenv("AFSCORE_TIME_LIMIT", "600", 1);
  setenv("AFSCORE_WALL_LIMIT", "600", 1);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_files_out_of_reach, far_time_limit),
      cmocka_unit_test_setup(test_no_code_loading, far_time_limit),
      cmocka_unit_test_setup(test_imports_stay_inside, far_time_limit),
      cmocka_unit_test_setup(test_endless_loops, far_time_limit),
      cmocka_unit_test_setup(test_costly_c_loops, far_time_limit),
      cmocka_unit_test_setup(test_memory_bombs, far_time_limit),
      cmocka_unit_test_setup(test_gc_tricks, far_time_limit),
      cmocka_unit_test_setup(test_score_refuses_hostile, far_time_limit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
