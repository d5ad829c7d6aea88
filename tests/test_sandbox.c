/*
** test_sandbox.c: the Lua sandbox keeps scripts away from the machine and
** ends every runaway script quickly with a clear FILE:LINE message.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <lua.h>
#include <string.h>
#include <stdio.h>

#include "sandbox.h"

/* The wall-clock limit of the sandboxes here, far out of the way: each test
** meets only the limit it is about (instructions and memory are counted, so
** which one a script meets first does not depend on how busy the machine
** is); test_time_limit sets its own short one. */
#define TEST_SECONDS 600

static sandbox *new_sandbox(size_t max_memory, long max_instructions) {
  sandbox *s = sandbox_new(max_memory, max_instructions);
  sandbox_set_time_limit(s, TEST_SECONDS);
  return s;
}

/* Run src as chunk "m.lua" in a fresh default sandbox; returns the rc and
** leaves the message in e. */
static int run(const char *src, af_err *e) {
  sandbox *s = new_sandbox(0, 0);
  memset(e, 0, sizeof *e);
  int rc = sandbox_run(s, src, strlen(src), "m.lua", e);
  sandbox_free(s);
  return rc;
}

/* Run src and assert it fails with exactly msg. */
static void expect_error(const char *src, const char *msg) {
  af_err e;
  assert_int_equal(run(src, &e), -1);
  assert_string_equal(e.msg, msg);
}

/* Run src (which must return a boolean) and assert it returns true. */
static void expect_true(const char *src) {
  sandbox *s = new_sandbox(0, 0);
  af_err e = {{0}};
  int rc = sandbox_run(s, src, strlen(src), "m.lua", &e);
  if (rc != 0) fail_msg("%s: %s", src, e.msg);
  lua_State *L = sandbox_lua(s);
  assert_int_equal(lua_type(L, -1), LUA_TBOOLEAN);
  if (!lua_toboolean(L, -1)) fail_msg("not true: %s", src);
  sandbox_free(s);
}

static void test_returns_value(void **st) {
  sandbox *s = new_sandbox(0, 0);
  af_err e;
  const char *src = "local t = { a = 1 }\nreturn t";
  assert_int_equal(sandbox_run(s, src, strlen(src), "m.lua", &e), 0);
  lua_State *L = sandbox_lua(s);
  assert_int_equal(lua_gettop(L), 1);
  assert_int_equal(lua_type(L, -1), LUA_TTABLE);
  sandbox_free(s);
}

static void test_machine_unreachable(void **st) {
  expect_true("return rawget(_G, 'os') == nil and rawget(_G, 'io') == nil and "
              "rawget(_G, 'package') == nil and rawget(_G, 'require') == nil");
  expect_true("return rawget(_G, 'debug') == nil and rawget(_G, 'dofile') == nil and "
              "rawget(_G, 'loadfile') == nil");
  expect_true("return string.dump == nil and rawget(_G, 'warn') == nil and "
              "rawget(_G, 'coroutine') == nil");
  expect_true("return math.random == nil and math.randomseed == nil");
  expect_true("return (\"x\").dump == nil");
  /* what methodologies need is there */
  expect_true("return string.format('%d', 3) == '3' and table.concat({1,2}, ',') == '1,2'"
              " and math.floor(2.5) == 2 and utf8.len('abc') == 3 and #('ab'):rep(3) == 6");
  expect_true("print('hello') return true");
  expect_true("return collectgarbage('count') == 0");
}

static void test_errors_name_file_and_line(void **st) {
  expect_error("local a = 1\nlocal b = nil + 1\n",
               "m.lua:2: attempt to perform arithmetic on a nil value");
  expect_error("local x = = 1", "m.lua:1: unexpected symbol near '='");
  expect_error("\n\nerror('boom')", "m.lua:3: boom");
  expect_error("error('no position', 0)", "m.lua: no position");
  expect_error("error({})", "m.lua: error object is a table value");
  expect_error("return os.getenv('HOME')", "m.lua:1: 'os' is not available in a methodology "
                                            "(it cannot reach files, the clock or the system)");
  expect_error("return require('io')", "m.lua:1: require() is not available in a methodology: "
                                       "use import(\"name\") to build on another methodology "
                                       "file (it returns a fresh copy of its table)");
  /* a global nobody set: text without quotes, most likely */
  expect_error("local t = { scoring = points }", "m.lua:1: 'points' is not defined: write text "
                                                 "in quotes (\"points\"), or declare the "
                                                 "variable first (local points = ...)");
  expect_true("return getmetatable(_G) == false and not pcall(setmetatable, _G, nil)");
  expect_error("collectgarbage('collect')",
               "m.lua:1: collectgarbage: only collectgarbage(\"count\") is available in a "
               "methodology");
}

static void test_long_chunk_name_kept(void **st) {
  char name[200];
  memset(name, 'd', 120);
  strcpy(name + 120, "/methodology.lua");
  sandbox *s = new_sandbox(0, 0);
  af_err e;
  const char *src = "\nerror('x')";
  assert_int_equal(sandbox_run(s, src, strlen(src), name, &e), -1);
  char want[300];
  snprintf(want, sizeof want, "%s:2: x", name);
  assert_string_equal(e.msg, want);
  sandbox_free(s);
}

static void test_load_text_only(void **st) {
  expect_true("return load('return 1 + 1')() == 2");
  expect_true("local f, err = load('\\27Lua\\84\\0')\n"
              "return f == nil and err == 'load: binary chunks are not allowed, only source text'");
  expect_error("local f, err = load(\"\\27Lua\")\nerror(err)",
               "m.lua:2: load: binary chunks are not allowed, only source text");
  /* a reader function cannot smuggle a binary chunk either */
  expect_true("local done = false\n"
              "local f, err = load(function() if done then return nil end done = true "
              "return '\\27Lua' end, 'x', 'b')\n"
              "return f == nil and err:find('binary', 1, true) ~= nil");
  /* no binary chunk can be made: string.dump is gone */
  expect_error("return load(string.dump(function() end))",
               "m.lua:1: attempt to call a nil value (field 'dump')");
}

static void test_endless_loop(void **st) {
  expect_error("local n = 0\nwhile true do n = n + 1 end",
               "m.lua:2: instruction limit exceeded (endless loop?)");
  expect_error("local function f() return f() end\nreturn f()",
               "m.lua:1: instruction limit exceeded (endless loop?)");
}

static void test_endless_loop_cannot_be_caught(void **st) {
  expect_error("while true do\n  pcall(function() while true do end end)\nend",
               "m.lua:2: instruction limit exceeded (endless loop?)");
  expect_error("while true do\n  xpcall(function() while true do end end, function(m) "
               "return m end)\nend",
               "m.lua:2: instruction limit exceeded (endless loop?)");
  /* an ordinary error is still caught by pcall */
  expect_true("local ok, m = pcall(error, 'x', 0) return ok == false and m == 'x'");
  expect_true("local ok, a, b = pcall(function() return 1, 2 end) return ok and a == 1 and b == 2");
  expect_true("local ok, m = xpcall(function() error('x', 0) end, function(m) return m .. '!' end)"
              " return ok == false and m == 'x!'");
}

static void test_small_instruction_budget(void **st) {
  sandbox *s = new_sandbox(0, 10000);
  af_err e;
  const char *src = "for i = 1, 1e6 do end";
  assert_int_equal(sandbox_run(s, src, strlen(src), "b.lua", &e), -1);
  assert_string_equal(e.msg, "b.lua:1: instruction limit exceeded (endless loop?)");
  sandbox_free(s);
}

static void test_memory_bombs(void **st) {
  expect_error("local t = {}\nlocal i = 0 while true do i = i + 1 t[i] = { i } end",
               "m.lua:2: memory limit of 64 MiB exceeded");
  expect_error("local s = ('x'):rep(1e9)", "m.lua:1: memory limit of 64 MiB exceeded");
  expect_error("local s = 'x'\nfor i = 1, 100 do s = s .. s end",
               "m.lua:2: memory limit of 64 MiB exceeded");
  expect_error("local ok = pcall(string.rep, 'x', 1e12)\nreturn ok",
               "m.lua:1: memory limit of 64 MiB exceeded");
  expect_error("local t = {}\nwhile true do\n  pcall(function() t[#t + 1] = ('y'):rep(1e6) .. #t end)\nend",
               "m.lua:3: memory limit of 64 MiB exceeded");
}

static void test_custom_memory_cap(void **st) {
  sandbox *s = new_sandbox((size_t)8 << 20, 0);
  af_err e;
  const char *src = "local t = {}\nfor i = 1, 1e8 do t[i] = i end";
  assert_int_equal(sandbox_run(s, src, strlen(src), "c.lua", &e), -1);
  assert_string_equal(e.msg, "c.lua:2: memory limit of 8 MiB exceeded");
  sandbox_free(s);
}

/* Loops of a few instructions, each doing a lot of work in C: only the clock
** ends them (the instruction budget would take hours). */
static void test_time_limit(void **st) {
  sandbox *s = sandbox_new(0, 0);
  sandbox_set_time_limit(s, 0.25);
  af_err e;
  const char *src = "local a, b = ('x'):rep(2e7), ('x'):rep(2e7)\nwhile true do local same = a == b end";
  assert_int_equal(sandbox_run(s, src, strlen(src), "t.lua", &e), -1);
  assert_string_equal(e.msg, "t.lua:2: time limit of 0.25 s exceeded (endless loop?)");
  sandbox_free(s);
}

static void test_c_functions_bounded(void **st) {
  /* an empty piece repeated 1e18 times would loop in C for ever */
  expect_true("return ('') :rep(1e18) == '' and ('ab'):rep(0) == '' and ('ab'):rep(2, ',') == 'ab,ab'");
  expect_error("return table.move({}, 1, 1e15, 2)",
               "m.lua:1: table.move: too many elements (at most 16777216)");
  expect_true("local t = table.move({1, 2, 3}, 1, 3, 2) return t[4] == 3");
  expect_error("setmetatable({}, { __gc = function() while true do end end })",
               "m.lua:1: setmetatable: __gc metamethods are not allowed in a methodology");
  expect_true("return getmetatable(setmetatable({}, { __index = {} })) ~= nil");
}

static void test_pathological_patterns(void **st) {
  expect_error("local s = ('a'):rep(100000)\nreturn s:find('(.-)(.-)(.-)b')",
               "m.lua:2: string.find: pattern too costly: 3 repetition item(s) on a text of "
               "100000 characters could take too long to match; use a shorter text or a "
               "simpler pattern");
  expect_error("return (('a'):rep(40)):match(('a?'):rep(40) .. ('a'):rep(40))",
               "m.lua:1: string.match: pattern too costly: 40 repetition item(s) on a text of "
               "40 characters could take too long to match; use a shorter text or a simpler "
               "pattern");
  expect_error("return (('a'):rep(5000000)):gsub('.-.-b', '')",
               "m.lua:1: string.gsub: pattern too costly: 2 repetition item(s) on a text of "
               "5000000 characters could take too long to match; use a shorter text or a "
               "simpler pattern");
  expect_error("for w in (('a'):rep(20000)):gmatch('a*a*b') do end",
               "m.lua:1: string.gmatch: pattern too costly: 2 repetition item(s) on a text of "
               "20000 characters could take too long to match; use a shorter text or a "
               "simpler pattern");
  /* ordinary use passes */
  expect_true("return ('  kz_family_2023  '):match('^%s*(.-)%s*$') == 'kz_family_2023'");
  expect_true("local n = 0 for w in ('a,b,c'):gmatch('[^,]+') do n = n + 1 end return n == 3");
  expect_true("return (('x'):rep(1000000)):find('y', 1, true) == nil");
  expect_true("return select(2, ('a b  c'):gsub('%s+', ' ')) == 2");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_returns_value),
      cmocka_unit_test(test_machine_unreachable),
      cmocka_unit_test(test_errors_name_file_and_line),
      cmocka_unit_test(test_long_chunk_name_kept),
      cmocka_unit_test(test_load_text_only),
      cmocka_unit_test(test_endless_loop),
      cmocka_unit_test(test_endless_loop_cannot_be_caught),
      cmocka_unit_test(test_small_instruction_budget),
      cmocka_unit_test(test_memory_bombs),
      cmocka_unit_test(test_custom_memory_cap),
      cmocka_unit_test(test_time_limit),
      cmocka_unit_test(test_c_functions_bounded),
      cmocka_unit_test(test_pathological_patterns),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
