/*
** test_core.c: the small shared modules: exact fractions (ratio.c), the JSON
** writer (json.c), interned text (strpool.c) and util.c (diagnostics,
** did-you-mean, string buffers, hashing).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "ratio.h"
#include "strpool.h"
#include "util.h"

static void test_ratio_recovers_fractions(void **state) {
  (void)state;
  ratio r;
  assert_int_equal(ratio_from_double(1.0 / 18, 1000000, &r), 0);
  assert_int_equal(r.num, 1);
  assert_int_equal(r.den, 18);
  assert_int_equal(ratio_from_double(1.0 / 30, 1000000, &r), 0);
  assert_int_equal(r.den, 30);
  assert_int_equal(ratio_from_double(0.3333333333333333, 1000000, &r), 0);
  assert_int_equal(r.num, 1);
  assert_int_equal(r.den, 3);
  assert_int_equal(ratio_from_double(-459, 1000000, &r), 0);
  assert_int_equal(r.num, -459);
  assert_int_equal(r.den, 1);
  assert_int_equal(ratio_from_double(0, 10, &r), 0);
  assert_int_equal(r.num, 0);
  assert_int_equal(ratio_from_double(7.0 / 120, 1000000, &r), 0);
  assert_int_equal(r.num, 7);
  assert_int_equal(r.den, 120);
  /* 0.1 + 0.2 in doubles is a unit in the last place off 0.3: still 3/10 */
  assert_true(0.1 + 0.2 != 0.3);
  assert_int_equal(ratio_from_double(0.1 + 0.2, 1000000, &r), 0);
  assert_int_equal(r.num, 3);
  assert_int_equal(r.den, 10);
  /* a large amount is not rounded to a neighbouring integer */
  assert_int_equal(ratio_from_double(999999999999.5, 1000000, &r), 0);
  assert_int_equal(r.num, 1999999999999);
  assert_int_equal(r.den, 2);
  assert_int_equal(ratio_from_double(1000000000001.0, 1000000, &r), 0);
  assert_int_equal(r.num, 1000000000001);
  assert_int_equal(r.den, 1);
  /* Not a fraction with a small denominator, or not finite. */
  assert_int_equal(ratio_from_double(M_PI, 1000, &r), -1);
  assert_int_equal(ratio_from_double(INFINITY, 1000, &r), -1);
  assert_int_equal(ratio_from_double(NAN, 1000, &r), -1);
}

static void test_ratio_exact_comparison(void **state) {
  (void)state;
  /* Six 1/30 over L = 30 reach 1/5 exactly; five do not. */
  ratio k = {1, 5};
  assert_int_equal(ratio_cmp_scaled(6, 30, k), 0);
  assert_int_equal(ratio_cmp_scaled(5, 30, k), -1);
  assert_int_equal(ratio_cmp_scaled(7, 30, k), 1);
  assert_int_equal(ratio_lcm(18, 30, 1000), 90);
  assert_int_equal(ratio_lcm(1000000, 999999, 1000000), -1);
  assert_int_equal(ratio_gcd(-12, 18), 6);
}

static void test_json_writer(void **state) {
  (void)state;
  json j = {0};
  j.compact = 1;
  json_obj(&j);
  json_key(&j, "a");
  json_num(&j, 0.1);
  json_key(&j, "third");
  json_num(&j, 1.0 / 3);
  json_key(&j, "nan");
  json_num(&j, NAN);
  json_key(&j, "list");
  json_arr(&j);
  json_int(&j, -7);
  json_bool(&j, 1);
  json_null(&j);
  json_str(&j, "q\"\\\n\x01");
  json_str(&j, "\xff ok \xd0\x90");
  json_arr_end(&j);
  json_key(&j, "empty");
  json_obj(&j);
  json_obj_end(&j);
  json_obj_end(&j);
  assert_string_equal(j.out.s,
                      "{\"a\":0.1,\"third\":0.3333333333333333,\"nan\":null,"
                      "\"list\":[-7,true,null,\"q\\\"\\\\\\n\\u0001\",\"\xef\xbf\xbd ok \xd0\x90\"],"
                      "\"empty\":{}}");
  double v = 0;
  assert_int_equal(json_find_number(j.out.s, "third", &v), 0);
  assert_true(v == 1.0 / 3);   /* shortest form reads back bit for bit */
  assert_int_equal(json_find_number(j.out.s, "missing", &v), -1);
  /* only keys of the top-level object count, not nested ones or values */
  assert_int_equal(json_find_number("{\"g\": {\"H\": 1}, \"s\": \"H\", \"H\": 2}", "H", &v), 0);
  assert_true(v == 2);
  assert_int_equal(json_find_number("{\"g\": [{\"H\": 1}], \"k\\\"\": 3}", "H", &v), -1);
  assert_int_equal(json_find_number("{\"k\\\"\": 3, \"H\": 4}", "H", &v), 0);
  assert_true(v == 4);
  sb_free(&j.out);
  char buf[32];
  json_fmt_double(0.1 + 0.2, buf);
  assert_string_equal(buf, "0.30000000000000004");
  json_fmt_double(730, buf);
  assert_string_equal(buf, "730");
}

static void test_json_pretty(void **state) {
  (void)state;
  json j = {0};
  json_obj(&j);
  json_key(&j, "x");
  json_arr(&j);
  json_int(&j, 1);
  json_int(&j, 2);
  json_arr_end(&j);
  json_obj_end(&j);
  assert_string_equal(j.out.s, "{\n  \"x\": [\n    1,\n    2\n  ]\n}");
  sb_free(&j.out);
}

static void test_strpool(void **state) {
  (void)state;
  strpool *p = strpool_new();
  int32_t a = strpool_intern(p, "Almaty", 6);
  int32_t b = strpool_intern(p, "Astana", 6);
  assert_int_equal(a, 0);
  assert_int_equal(b, 1);
  assert_int_equal(strpool_intern(p, "Almaty", 6), a);
  assert_int_equal(strpool_find(p, "Astana", 6), b);
  assert_int_equal(strpool_find(p, "Shymkent", 8), -1);
  /* Embedded NUL and non-UTF-8 bytes are kept exactly. */
  int32_t c = strpool_intern(p, "a\0b\xff", 4);
  assert_int_equal(strpool_len(p, c), 4);
  assert_memory_equal(strpool_get(p, c), "a\0b\xff", 4);
  /* Growth keeps every id stable. */
  char buf[32];
  for (int i = 0; i < 5000; i++) {
    int n = snprintf(buf, sizeof buf, "v%d", i);
    assert_int_equal(strpool_intern(p, buf, (size_t)n), 3 + i);
  }
  assert_int_equal(strpool_count(p), 5003);
  assert_string_equal(strpool_get(p, 3 + 4999), "v4999");
  assert_int_equal(strpool_find(p, "Almaty", 6), 0);
  assert_null(strpool_get(p, 99999));
  strpool_free(p);
}

static void test_suggest_and_diags(void **state) {
  (void)state;
  const char *cands[] = {"weight", "deprived", "missing", "name"};
  assert_string_equal(af_suggest("weigth", cands, 4), "weight");
  assert_string_equal(af_suggest("depived", cands, 4), "deprived");
  assert_null(af_suggest("population", cands, 4));
  assert_null(af_suggest("x", cands, 4));
  diag_list d = {0};
  diag_add(&d, "b.lua", 3, "third %d", 3);
  diag_add(&d, "a.lua", 9, "nine");
  diag_add(&d, "b.lua", 1, "first");
  diag_add(&d, "b.lua", 1, "first again");
  diag_sort(&d);
  assert_string_equal(d.v[0].file, "a.lua");
  assert_string_equal(d.v[1].msg, "first");
  assert_string_equal(d.v[2].msg, "first again");
  assert_string_equal(d.v[3].msg, "third 3");
  diag_free(&d);
  assert_int_equal(d.n, 0);
}

static void test_util_strings_and_hash(void **state) {
  (void)state;
  strbuf b = {0};
  sb_puts(&b, "k = ");
  sb_printf(&b, "%d/%d", 1, 3);
  sb_putc(&b, '!');
  char *s = sb_take(&b);
  assert_string_equal(s, "k = 1/3!");
  free(s);
  char hex[65];
  af_sha256_hex("abc", 3, hex);
  assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  af_err e;
  assert_int_equal(af_fail(&e, "x=%d", 5), -1);
  assert_string_equal(e.msg, "x=5");
  char *text;
  size_t len;
  assert_int_equal(af_read_file("/nonexistent/file.lua", &text, &len, &e), -1);
  assert_string_equal(e.msg, "/nonexistent/file.lua: no such file");
}

/* Display widths counted by hand: Cyrillic one column a letter, CJK two,
** a combining accent none, an invalid byte one. */
static void test_text_cells(void **state) {
  (void)state;
  assert_int_equal(af_text_width("Қазақстан"), 9);
  assert_int_equal(af_text_width("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"), 6);   /* 日本語 */
  assert_int_equal(af_text_width("\xd0\xb5\xcc\x81"), 1);                       /* е + U+0301 */
  assert_int_equal(af_text_width("a\xff" "b"), 3);
  strbuf b = {0};
  sb_cell(&b, "ab", 4);
  assert_string_equal(b.s, "ab  ");
  b.len = 0;
  /* 9 columns of text, then the ellipsis */
  sb_cell(&b, "Адресная социальная помощь", 10);
  assert_string_equal(b.s, "Адресная \xe2\x80\xa6");
  b.len = 0;
  /* a wide character is not split: 2 + 2 columns, the ellipsis, no pad */
  sb_cell(&b, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 5);
  assert_string_equal(b.s, "\xe6\x97\xa5\xe6\x9c\xac\xe2\x80\xa6");
  b.len = 0;
  sb_cell(&b, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 4);
  assert_string_equal(b.s, "\xe6\x97\xa5\xe2\x80\xa6 ");
  b.len = 0;
  sb_cell(&b, "Қазақстан", 9);
  assert_string_equal(b.s, "Қазақстан");
  b.len = 0;
  sb_cell(&b, NULL, 3);
  assert_string_equal(b.s, "   ");
  sb_free(&b);
  /* Shares in percent, two decimals: 1/6 is 16.67 %, 1 is 100.00 %. */
  char pct[32];
  af_fmt_pct(pct, 1.0 / 6);
  assert_string_equal(pct, "16.67 %");
  af_fmt_pct(pct, 1);
  assert_string_equal(pct, "100.00 %");
  af_fmt_pct(pct, 0);
  assert_string_equal(pct, "0.00 %");
  af_fmt_pct(pct, NAN);
  assert_string_equal(pct, "-");
}

/* sb_textf: each %s shown as one line, every other conversion as printf
** shows it (the expected bytes written by hand). */
static void test_textf(void **state) {
  (void)state;
  strbuf b = {0};
  sb_textf(&b, "unit %s:\n  %-6s|%3d|%5.2f|%lld|%zu|%x|%%|%.*s|%*s|%c\n", "a\nb\x1b[31m", "id\t",
           7, 2.5, -3LL, (size_t)9, 255, 2, "xyz", 4, "q", 'Z');
  assert_string_equal(b.s, "unit a\\nb\\x1b[31m:\n  id\\t  |  7| 2.50|-3|9|ff|%|xy|   q|Z\n");
  b.len = 0;
  sb_textf(&b, "%lu|%ld|%Lg|%s|%5.1s|", 4UL, -4L, (long double)0.5, "", "\x7f\x01");
  assert_string_equal(b.s, "4|-4|0.5||    \\|");
  sb_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_textf),
      cmocka_unit_test(test_ratio_recovers_fractions),
      cmocka_unit_test(test_text_cells),
      cmocka_unit_test(test_ratio_exact_comparison),
      cmocka_unit_test(test_json_writer),
      cmocka_unit_test(test_json_pretty),
      cmocka_unit_test(test_strpool),
      cmocka_unit_test(test_suggest_and_diags),
      cmocka_unit_test(test_util_strings_and_hash),
  };
  return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
