/*
** test_csv.c: the CSV writer (csv.h), byte for byte against output written
** out by hand from RFC 4180's rules: which fields are quoted, quotes
** doubled, newlines and CR kept inside quotes, empty fields, and records.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

/* A writer into memory; csv_take ends it and returns the bytes (owned). */
static FILE *mem;
static char *membuf;
static size_t memlen;

static void csv_start(csv_out *c) {
  mem = open_memstream(&membuf, &memlen);
  assert_non_null(mem);
  csv_init(c, mem);
}

static char *csv_take(csv_out *c) {
  assert_false(csv_error(c));
  fclose(mem);
  return membuf;
}

static void test_plain_fields_unquoted(void **state) {
  (void)state;
  csv_out c;
  csv_start(&c);
  csv_record(&c, (const char *const[]){"unit", "measure", "lang", "text", NULL});
  csv_field(&c, "u1");
  csv_field(&c, "H 2");
  csv_field(&c, "");
  csv_field(&c, NULL);
  csv_end(&c);
  char *s = csv_take(&c);
  assert_string_equal(s, "unit,measure,lang,text\nu1,H 2,,\n");
  free(s);
}

static void test_special_fields_quoted(void **state) {
  (void)state;
  csv_out c;
  csv_start(&c);
  csv_field(&c, "a,b");
  csv_field(&c, "say \"hi\"");
  csv_field(&c, "line1\nline2");
  csv_field(&c, "cr\r");
  csv_field(&c, "\"");
  csv_end(&c);
  char *s = csv_take(&c);
  assert_string_equal(s, "\"a,b\",\"say \"\"hi\"\"\",\"line1\nline2\",\"cr\r\",\"\"\"\"\n");
  free(s);
}

static void test_text_always_quoted(void **state) {
  (void)state;
  csv_out c;
  csv_start(&c);
  csv_text(&c, "u1");
  csv_text(&c, NULL);
  csv_text(&c, "\"x\"");
  csv_end(&c);
  csv_text(&c, "");
  csv_end(&c);
  char *s = csv_take(&c);
  assert_string_equal(s, "\"u1\",\"\",\"\"\"x\"\"\"\n\"\"\n");
  free(s);
}

/* A record of one empty field is "" and not an empty line; an empty first
** field of a longer record is quoted too, later ones are not. */
static void test_empty_first_field(void **state) {
  (void)state;
  csv_out c;
  csv_start(&c);
  csv_field(&c, "");
  csv_end(&c);
  csv_field(&c, NULL);
  csv_field(&c, "");
  csv_end(&c);
  char *s = csv_take(&c);
  assert_string_equal(s, "\"\"\n\"\",\n");
  free(s);
}

/* Bytes past a NUL are not part of a C-string field; csv_fieldn writes the
** n bytes asked for. */
static void test_fieldn(void **state) {
  (void)state;
  csv_out c;
  csv_start(&c);
  csv_fieldn(&c, "abc,def", 3);
  csv_fieldn(&c, "abc,def", 5);
  csv_end(&c);
  char *s = csv_take(&c);
  assert_string_equal(s, "abc,\"abc,d\"\n");
  free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_plain_fields_unquoted),
      cmocka_unit_test(test_special_fields_quoted),
      cmocka_unit_test(test_text_always_quoted),
      cmocka_unit_test(test_empty_first_field),
      cmocka_unit_test(test_fieldn),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
