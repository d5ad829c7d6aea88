/*
** test_e2e_cli.c: the command line itself, through the real afscore binary:
** numbers are parsed strictly and a bad one is named with its option; an
** option a command does not take is refused, not ignored; AFSCORE_THREADS is
** checked. Every refusal is a usage error (exit 2) that writes nothing.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static const char *METHOD =
    "return {\n"
    "  name = 'cli', version = '1',\n"
    "  unit = { table = 'people', id = 'id' },\n"
    "  dimensions = {\n"
    "    { id = 'income', indicators = { { id = 'income', deprived = 'income < 500' } } },\n"
    "  },\n"
    "  k = 1,\n"
    "}\n";

/* cli.db and run 1 of cli-out.db, so that a command that misreads its
** arguments as run 1 would succeed. */
static void make_recorded(void) {
  unlink(h_path("cli.db"));
  unlink(h_path("cli-out.db"));
  h_sql(h_path("cli.db"), "CREATE TABLE people(id INTEGER PRIMARY KEY, income REAL);"
                          "INSERT INTO people VALUES (1, 300), (2, 700);");
  h_write(h_path("cli.lua"), METHOD);
  const char *args[] = {"score", "--db", h_path("cli.db"), "--method", h_path("cli.lua"),
                        "--out", h_path("cli-out.db"), NULL};
  h_result r = h_run(args);
  assert_int_equal(r.status, 0);
  h_result_free(&r);
}

/* A usage error: exit 2, nothing on stdout, stderr is exactly the message
** line followed by the command's usage line. */
static void expect_usage(const char *const *args, const char *message) {
  h_result r = h_run(args);
  if (r.status != 2 || !r.err || strncmp(r.err, message, strlen(message)) != 0)
    fail_msg("afscore %s: exit %d, stderr:\n%s\nexpected exit 2 and:\n%s", args[0], r.status,
             r.err ? r.err : "", message);
  const char *usage = r.err + strlen(message);
  char want[64];
  snprintf(want, sizeof want, "\nusage: afscore %s ", args[0]);
  if (strncmp(usage, want, strlen(want)) != 0) fail_msg("no usage line after: %s", r.err);
  assert_string_equal(r.out, "");
  h_result_free(&r);
}

static void test_run_numbers_strict(void **state) {
  (void)state;
  make_recorded();
  const char *trailing[] = {"replay", "1abc", "--out", h_path("cli-out.db"), "--db",
                            h_path("cli.db"), NULL};
  expect_usage(trailing, "afscore replay: RUN_ID needs a whole number, got '1abc'");
  const char *huge[] = {"replay", "99999999999999999999", "--out", h_path("cli-out.db"), "--db",
                        h_path("cli.db"), NULL};
  expect_usage(huge, "afscore replay: RUN_ID: '99999999999999999999' is out of range");
  const char *zero[] = {"replay", "0", "--out", h_path("cli-out.db"), "--db", h_path("cli.db"),
                        NULL};
  expect_usage(zero, "afscore replay: RUN_ID must be at least 1, got 0");
  const char *opt[] = {"explain", "--out", h_path("cli-out.db"), "--db", h_path("cli.db"),
                       "--run", "1x", "1", NULL};
  expect_usage(opt, "afscore explain: --run needs a whole number, got '1x'");
  const char *big[] = {"notices", "--out", h_path("cli-out.db"), "--run",
                       "18446744073709551616", NULL};
  expect_usage(big, "afscore notices: --run: '18446744073709551616' is out of range");
  /* The well-formed run number still works. */
  const char *good[] = {"replay", "1", "--out", h_path("cli-out.db"), "--db", h_path("cli.db"),
                        NULL};
  h_result r = h_run(good);
  assert_int_equal(r.status, 0);
  h_result_free(&r);
}

static void test_generate_names_the_option(void **state) {
  (void)state;
  const char *out = h_path("cli-gen.db");
  unlink(out);
  const char *neg[] = {"generate", "--families", "-5", "--out", out, NULL};
  expect_usage(neg, "afscore generate: --families must be at least 0, got -5");
  const char *seed[] = {"generate", "--families", "3", "--seed", "7up", "--out", out, NULL};
  expect_usage(seed, "afscore generate: --seed needs a whole number, got '7up'");
  assert_int_not_equal(access(out, F_OK), 0);
}

static void test_options_not_taken(void **state) {
  (void)state;
  make_recorded();
  /* runs reads only --out: a --db given to it is a mistake, not ignored. */
  const char *runs[] = {"runs", "--out", h_path("cli-out.db"), "--db", h_path("cli.db"), NULL};
  expect_usage(runs, "afscore runs: takes no option --db");
  /* score writes no changes file: it must not pretend to. */
  const char *changes = h_path("cli-changes.csv");
  unlink(changes);
  const char *score[] = {"score", "--db", h_path("cli.db"), "--method", h_path("cli.lua"),
                         "--changes", changes, NULL};
  expect_usage(score, "afscore score: takes no option --changes");
  assert_int_not_equal(access(changes, F_OK), 0);
  const char *flag[] = {"generate", "--out", h_path("cli-gen.db"), "--json", NULL};
  expect_usage(flag, "afscore generate: takes no option --json");
  const char *extra[] = {"runs", "--out", h_path("cli-out.db"), "2", NULL};
  expect_usage(extra, "afscore runs: needs --out RESULTS.db");
  const char *unknown[] = {"runs", "--outt", h_path("cli-out.db"), NULL};
  expect_usage(unknown, "afscore runs: unknown option '--outt'");
}

static void test_threads_checked(void **state) {
  (void)state;
  make_recorded();
  const char *args[] = {"score", "--db", h_path("cli.db"), "--method", h_path("cli.lua"), NULL};
  setenv("AFSCORE_THREADS", "two", 1);
  h_result r = h_run(args);
  unsetenv("AFSCORE_THREADS");
  assert_int_equal(r.status, 2);
  assert_string_equal(r.err, "afscore: AFSCORE_THREADS must be a whole number of at least 1 "
                             "(afscore uses at most 2), got 'two'\n");
  h_result_free(&r);
  /* 1, 2 and 8 (taken as 2) give the same result: H = 1/2 (income 300 < 500,
  ** 700 not). */
  const char *counts[] = {"1", "2", "8"};
  for (int t = 0; t < 3; t++) {
    setenv("AFSCORE_THREADS", counts[t], 1);
    r = h_run(args);
    unsetenv("AFSCORE_THREADS");
    assert_int_equal(r.status, 0);
    assert_has(r.out, "H = 50.00 %");
    h_result_free(&r);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_run_numbers_strict),
      cmocka_unit_test(test_generate_names_the_option),
      cmocka_unit_test(test_options_not_taken),
      cmocka_unit_test(test_threads_checked),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
