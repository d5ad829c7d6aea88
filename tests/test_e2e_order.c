/*
** test_e2e_order.c: results do not depend on how the data are stored or on
** the number of threads.
**  - The same population generated with persons in family order and in
**    random order (over several batches): stored-order and sorted reads give
**    the same results digest and measure.
**  - One thread and two threads give byte-identical summaries (score and
**    compare), and a run recorded with two threads replays on one.
** make tsan runs these under ThreadSanitizer.
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

/* 10,000 families: three batches of units, so a restart happens after
** batches were already handed on, and the two threads really overlap. */
static void generate(const char *name, int shuffled) {
  const char *args[] = {"generate", "--families", "10000", "--seed", "7", "--out", h_path(name),
                        shuffled ? "--layout" : NULL, "shuffled", NULL};
  unlink(h_path(name));
  h_result r = h_run(args);
  assert_int_equal(r.status, 0);
  h_result_free(&r);
}

static char *score_json(const char *db, const char *threads, const char *out) {
  setenv("AFSCORE_THREADS", threads, 1);
  const char *args[] = {"score", "--db", db, "--method", h_root("methodology/kz_order267_2023.lua"),
                        "--json", out ? "--out" : NULL, out, NULL};
  h_result r = h_run(args);
  unsetenv("AFSCORE_THREADS");
  if (r.status != 0) print_error("%s\n", r.err);
  assert_int_equal(r.status, 0);
  free(r.err);
  return r.out;
}

static void test_stored_and_shuffled_agree(void **state) {
  (void)state;
  generate("ord.db", 0);
  generate("shuf.db", 1);
  char *a = score_json(h_path("ord.db"), "2", NULL);
  char *b = score_json(h_path("shuf.db"), "2", NULL);
  assert_string_equal(jp_str(a, "data.read_order"), "stored");
  assert_string_equal(jp_str(b, "data.read_order"), "sorted");
  /* Members of a family come in another order, so the data fingerprint
  ** differs; every unit's result and the measure do not. */
  assert_string_equal(jp_str(a, "results_sha256"), jp_str(b, "results_sha256"));
  assert_double_equal(jp_num(a, "score.mean"), jp_num(b, "score.mean"), 0);
  assert_double_equal(jp_num(a, "units"), 10000, 0);
  assert_double_equal(jp_num(b, "units"), 10000, 0);
  free(a), free(b);
}

static void test_threads_agree_and_replay(void **state) {
  (void)state;
  generate("thr.db", 1);
  const char *out = h_path("thr-out.db");
  unlink(out);
  char *one = score_json(h_path("thr.db"), "1", NULL);
  char *two = score_json(h_path("thr.db"), "2", out);
  /* Identical but for run_id (null without --out). */
  char *p1 = strstr(one, "\"run_id\""), *p2 = strstr(two, "\"run_id\"");
  assert_non_null(p1);
  assert_non_null(p2);
  assert_int_equal(p1 - one, p2 - two);
  assert_memory_equal(one, two, (size_t)(p1 - one));
  assert_string_equal(strchr(p1, '\n'), strchr(p2, '\n'));
  setenv("AFSCORE_THREADS", "1", 1);
  const char *rp[] = {"replay", "1", "--out", out, "--db", h_path("thr.db"), NULL};
  h_result r = h_run(rp);
  unsetenv("AFSCORE_THREADS");
  assert_int_equal(r.status, 0);
  assert_has(r.out, "reproduced: run 1, 10000 units");
  h_result_free(&r);
  free(one), free(two);
}

/* compare reads once for several methodologies: one thread and two give
** the same document. */
static char *compare_json(const char *db, const char *threads) {
  setenv("AFSCORE_THREADS", threads, 1);
  const char *args[] = {"compare", "--db", db, "--method", h_root("methodology/kz_family_2023.lua"),
                        "--method", h_root("methodology/kz_order267_2023.lua"), "--json", NULL};
  h_result r = h_run(args);
  unsetenv("AFSCORE_THREADS");
  if (r.status != 0) print_error("%s\n", r.err);
  assert_int_equal(r.status, 0);
  free(r.err);
  return r.out;
}

static void test_compare_threads_agree(void **state) {
  (void)state;
  generate("cmp.db", 1);
  char *one = compare_json(h_path("cmp.db"), "1");
  char *two = compare_json(h_path("cmp.db"), "2");
  assert_double_equal(jp_num(two, "units"), 10000, 0);
  assert_string_equal(one, two);
  free(one), free(two);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_stored_and_shuffled_agree),
      cmocka_unit_test(test_threads_agree_and_replay),
      cmocka_unit_test(test_compare_threads_agree),
  };
  return cmocka_run_group_tests_name("e2e_order", tests, NULL, NULL);
}
