/*
** test_fuzz_regress.c: replays every saved fuzz input (the files in
** fuzz/corpus/expr, fuzz/corpus/method and fuzz/corpus/csv: the seeds and each input that
** once crashed a fuzzer) through the same entry points the libFuzzer targets use, in the
** normal and the ASan+UBSan build. An input that crashes, trips a sanitizer
** or breaks an invariant of the targets (they abort) fails the test. The
** target sources are included here with FUZZ_NO_MAIN, so this needs no clang.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define FUZZ_NO_MAIN
#include "../fuzz/fuzz_expr.c"
#include "../fuzz/fuzz_method.c"
#include "../fuzz/fuzz_csv.c"

/* Feed every file of AFSCORE_ROOT/dir to fn; returns how many. */
static int replay_dir(const char *dir, int (*fn)(const uint8_t *, size_t)) {
  const char *root = getenv("AFSCORE_ROOT");
  char path[2048];
  snprintf(path, sizeof path, "%s/%s", root && *root ? root : ".", dir);
  DIR *d = opendir(path);
  if (!d) fail_msg("cannot open %s", path);
  int n = 0;
  struct dirent *ent;
  while ((ent = readdir(d)) != NULL) {
    if (ent->d_name[0] == '.') continue;
    char file[4096];
    snprintf(file, sizeof file, "%s/%s", path, ent->d_name);
    char *text = NULL;
    size_t len = 0;
    af_err e;
    if (af_read_file(file, &text, &len, &e) < 0) fail_msg("%s", e.msg);
    fn((const uint8_t *)text, len);
    free(text);
    n++;
  }
  closedir(d);
  return n;
}

static void test_expr_corpus(void **state) {
  (void)state;
  /* at least the six committed seeds */
  assert_true(replay_dir("fuzz/corpus/expr", fuzz_expr_one) >= 6);
}

static void test_method_corpus(void **state) {
  (void)state;
  /* the committed seeds, and the shipped methodologies and test fixtures,
  ** which seed the fuzzer too (make fuzz) rather than being copied */
  assert_true(replay_dir("fuzz/corpus/method", fuzz_method_one) >= 3);
  assert_true(replay_dir("methodology", fuzz_method_one) >= 3);
  assert_true(replay_dir("tests/fixtures/methods", fuzz_method_one) >= 10);
}

static void test_csv_corpus(void **state) {
  (void)state;
  assert_true(replay_dir("fuzz/corpus/csv", fuzz_csv_one) >= 3);
}

/* The entry points take any bytes: empty input, a lone mode byte, NUL bytes
** inside, no final newline. */
static void test_edge_inputs(void **state) {
  (void)state;
  static const uint8_t nul[] = {0, 'a', 0, '\n', '(', 0};
  fuzz_expr_one((const uint8_t *)"", 0);
  fuzz_expr_one((const uint8_t *)"\x08", 1);
  fuzz_expr_one(nul, sizeof nul);
  fuzz_csv_one((const uint8_t *)"", 0);
  fuzz_csv_one((const uint8_t *)"\x03", 1);
  fuzz_method_one((const uint8_t *)"", 0);
  fuzz_method_one(nul, sizeof nul);
  fuzz_method_one((const uint8_t *)"\n--@@\n", 6);
  fuzz_method_one((const uint8_t *)"return import('lib')\n--@@\nreturn import('lib')", 46);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_expr_corpus),
      cmocka_unit_test(test_method_corpus),
      cmocka_unit_test(test_csv_corpus),
      cmocka_unit_test(test_edge_inputs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
