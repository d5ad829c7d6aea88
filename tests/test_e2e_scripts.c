/*
** test_e2e_scripts.c: methodology scripts that once hung, slowed down,
** changed meaning between loads or escaped, through the real binary
** (`afscore check`, `score`). Each script is written by the test.
**
** The child runs under RLIMIT_CPU (60 s): a script that hangs shows up as a
** failed test (status 128+SIGXCPU), never as a hang. No timing is asserted;
** the limits under test are CPU-time limits, so a busy machine does not
** change the outcome.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "util.h"

/* ------------------------------------------------------------ helpers */

static h_result run_bounded(const char *const *args) {
  h_opts o = {.cpu_seconds = 60};
  return h_run_with(args, &o);
}

/* `afscore check PATH`, bounded. */
static h_result check(const char *path) {
  const char *args[] = {"check", path, NULL};
  return run_bounded(args);
}

/* Write src to the scratch file name; `check` must exit 1 with exactly
** "PATH:LINE: msg" (line 0: "PATH: msg") on stderr. */
static void expect_refused(const char *name, const char *src, int line, const char *msg) {
  char path[1100], want[2400];
  snprintf(path, sizeof path, "%s", h_path(name));
  h_write(path, src);
  h_result r = check(path);
  if (line > 0) snprintf(want, sizeof want, "%s:%d: %s\n", path, line, msg);
  else snprintf(want, sizeof want, "%s: %s\n", path, msg);
  if (r.status != 1) fail_msg("%s: status %d, stderr: %s", name, r.status, r.err);
  assert_string_equal(r.out, "");
  assert_string_equal(r.err, want);
  h_result_free(&r);
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
  h_result r = check(path);
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
  expect_refused("s_self_define.lua",
                 "return { name = 'n', version = '1', unit = { table = 'p', id = 'id' },\n"
                 "  define = {\n    a = 'a + 1',\n  },\n"
                 "  dimensions = { { id = 'd', indicators = { { id = 'i', deprived = 'a > 1' } } } },\n"
                 "  k = 1 }\n",
                 3, "define 'a' refers to itself");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_big_methodology_validates),
      cmocka_unit_test(test_self_define),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
