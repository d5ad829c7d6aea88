/*
** test_import.c: the path policy of import() (import.h): which module names
** are refused, and which resolved paths count as inside the allowed
** directories.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "import.h"

static void test_names(void **state) {
  (void)state;
  assert_null(import_name_problem("lib"));
  assert_null(import_name_problem("lib/common"));
  assert_null(import_name_problem("common.lua"));
  assert_null(import_name_problem("a..b")); /* dots inside a name are not '..' */
  assert_string_equal(import_name_problem(""), "import: the module name is empty");
  assert_string_equal(import_name_problem("/etc/passwd"), "import: absolute paths are not allowed");
  assert_string_equal(import_name_problem(".."), "import: '..' is not allowed");
  assert_string_equal(import_name_problem("a/../b"), "import: '..' is not allowed");
  assert_string_equal(import_name_problem("a/.."), "import: '..' is not allowed");
  const char *bs = "import: a backslash is not allowed in a module name (separate directories "
                   "with '/')";
  assert_string_equal(import_name_problem("lib\\common"), bs);
  assert_string_equal(import_name_problem("\\server\\share"), bs);
  assert_string_equal(import_name_problem("C:\\x"), bs);
}

static void test_inside(void **state) {
  (void)state;
  char *roots[] = {"/srv/m", "/opt/lib"};
  assert_int_equal(import_inside("/srv/m/a.lua", roots, 2), 1);
  assert_int_equal(import_inside("/srv/m/sub/a.lua", roots, 2), 1);
  assert_int_equal(import_inside("/opt/lib/x.lua", roots, 2), 1);
  /* a directory whose name merely starts like a root is outside */
  assert_int_equal(import_inside("/srv/mm/a.lua", roots, 2), 0);
  assert_int_equal(import_inside("/srv/m", roots, 2), 0);
  assert_int_equal(import_inside("/etc/passwd", roots, 2), 0);
  assert_int_equal(import_inside("/srv/m/a.lua", roots, 0), 0);
  char *top[] = {"/"};
  assert_int_equal(import_inside("/anything", top, 1), 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names),
      cmocka_unit_test(test_inside),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
