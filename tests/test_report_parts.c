/*
** test_report_parts.c: the pieces of the decision report on their own: the
** JSON reader (jdoc.c), number formats per language (labels.c), tables as
** HTML and CSV (rtable.c), HTML escaping (html.c) and the charts (svg.c).
** Expected strings are written out by hand.
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

#include "html.h"
#include "jdoc.h"
#include "labels.h"
#include "rtable.h"
#include "svg.h"
#include "util.h"

static void test_jdoc_reads_values_and_paths(void **state) {
  (void)state;
  jdoc *d = NULL;
  af_err e;
  const char *text = "{\"a\": {\"b\": [1, -2.5e3, true, null, \"x\\u00e9\\ud83d\\ude00\\n\"]},"
                     " \"n\": 0.1, \"a\": 7}";
  assert_int_equal(jdoc_parse(text, &d, &e), 0);
  const jdoc *b = jdoc_path(d, "a.b");
  assert_int_equal(jdoc_len(b), 5);
  assert_true(jdoc_num(jdoc_at(b, 0)) == 1);
  assert_true(jdoc_num(jdoc_at(b, 1)) == -2500);
  assert_int_equal(jdoc_at(b, 2)->kind, JDOC_BOOL);
  assert_int_equal(jdoc_at(b, 3)->kind, JDOC_NULL);
  /* é (U+00E9) and U+1F600 from a surrogate pair, as UTF-8 */
  assert_string_equal(jdoc_str(jdoc_at(b, 4)), "x\xC3\xA9\xF0\x9F\x98\x80\n");
  assert_true(jdoc_num(jdoc_get(d, "n")) == 0.1);
  /* the first of repeated keys; absent keys and wrong kinds are NULL / NaN */
  assert_int_equal(jdoc_get(d, "a")->kind, JDOC_OBJ);
  assert_null(jdoc_path(d, "a.c"));
  assert_null(jdoc_str(jdoc_get(d, "n")));
  assert_true(isnan(jdoc_num(jdoc_path(d, "a"))));
  assert_null(jdoc_at(b, 5));
  jdoc_free(d);
}

static void test_jdoc_refuses_bad_text(void **state) {
  (void)state;
  const char *bad[][2] = {
      {"{\"a\": 1,}", "expected a key at byte 8"},
      {"[1 2]", "expected ',' or ']' at byte 3"},
      {"\"abc", "unterminated string at byte 4"},
      {"\"\\ud800x\"", "lone surrogate at byte 7"},
      {"{} x", "text after the value at byte 3"},
      {"nul", "unexpected character at byte 0"},
      {"", "unexpected end at byte 0"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    jdoc *d = (jdoc *)1;
    af_err e;
    assert_int_equal(jdoc_parse(bad[i][0], &d, &e), -1);
    assert_null(d);
    if (!strstr(e.msg, bad[i][1])) fail_msg("'%s': got '%s', expected '%s'", bad[i][0], e.msg, bad[i][1]);
  }
  /* nesting is bounded */
  char deep[400];
  memset(deep, '[', 300);
  deep[300] = '\0';
  jdoc *d;
  af_err e;
  assert_int_equal(jdoc_parse(deep, &d, &e), -1);
  assert_non_null(strstr(e.msg, "nested too deeply"));
}

static void test_labels_numbers(void **state) {
  (void)state;
  char out[48];
  labels_count(LABELS_EN, 0, 1234567, out);
  assert_string_equal(out, "1,234,567");
  labels_count(LABELS_RU, 0, 1234567, out);
  assert_string_equal(out, "1\xC2\xA0" "234\xC2\xA0" "567");
  labels_count(LABELS_KK, 1, -20000, out);
  assert_string_equal(out, "-20000");
  labels_count(LABELS_EN, 0, 999, out);
  assert_string_equal(out, "999");
  labels_pct(LABELS_EN, 0, 0.09077665, 1, out);
  assert_string_equal(out, "9.1%");
  labels_pct(LABELS_RU, 0, 0.09077665, 1, out);
  assert_string_equal(out, "9,1\xC2\xA0%");
  labels_pct(LABELS_EN, 1, 0.09077665, 3, out);
  assert_string_equal(out, "9.078");
  labels_num(LABELS_EN, 0, 12345.678, 1, out);
  assert_string_equal(out, "12,345.7");
  labels_num(LABELS_KK, 0, -0.04, 1, out);
  assert_string_equal(out, "0,0");         /* no "-0,0" */
  labels_num(LABELS_EN, 0, NAN, 1, out);
  assert_string_equal(out, "\xE2\x80\x93");
  assert_int_equal(labels_parse("kk"), LABELS_KK);
  assert_int_equal(labels_parse(NULL), LABELS_EN);
  assert_int_equal(labels_parse("de"), -1);
  /* every label exists in every language */
  for (int l = 0; l < 3; l++)
    for (int k = 0; k < LB_NKEYS; k++) assert_true(labels_get((labels_lang)l, (labels_key)k)[0]);
}

static void test_rtable_html_and_csv(void **state) {
  (void)state;
  const char *cols[] = {"Name", "Families", "Share", "Change"};
  rtable *t = rtable_new("demo", "A <demo>", 4, cols);
  rtable_text(t, "say \"hi\", ok");
  rtable_count(t, 16342);
  rtable_pct(t, 0.82095, 1);
  rtable_dpp(t, -0.0081, 1);
  rtable_totals(t);
  rtable_text(t, "Total");
  rtable_count(t, 19906);
  rtable_pct(t, 1, 1);
  rtable_dcount(t, 12);
  strbuf h = {0}, c = {0};
  rtable_html(&h, t, LABELS_EN);
  assert_non_null(strstr(h.s, "<table id=\"t-demo\">\n<caption>A &lt;demo&gt;</caption>"));
  assert_non_null(strstr(h.s, "<tr><td>say &quot;hi&quot;, ok</td><td class=\"n\">16,342</td>"
                              "<td class=\"n\">82.1%</td><td class=\"n\">\xE2\x88\x92" "0.8\xC2\xA0p.p.</td></tr>"));
  assert_non_null(strstr(h.s, "<tr class=\"total\"><td>Total</td>"));
  rtable_csv(&c, t);
  assert_string_equal(c.s, "\xEF\xBB\xBFName,Families,Share,Change\r\n"
                           "\"say \"\"hi\"\", ok\",16342,82.095,-0.810\r\n"
                           "Total,19906,100.000,+12\r\n");
  sb_free(&h);
  sb_free(&c);
  rtable_free(t);
}

static void fmt_plain(double v, char *out, void *ctx) {
  (void)ctx;
  snprintf(out, 48, "%g", v);
}

static void test_svg_charts_carry_text_alternatives(void **state) {
  (void)state;
  svg_bar bars[2];
  memset(bars, 0, sizeof bars);
  for (int i = 0; i < 2; i++)
    for (int s = 0; s < SVG_MAXSERIES; s++) bars[i].v[s] = bars[i].lo[s] = bars[i].hi[s] = NAN;
  bars[0].label = "North & South";
  bars[0].v[0] = 3;
  bars[0].lo[0] = 2;
  bars[0].hi[0] = 4;
  snprintf(bars[0].text[0], 48, "3.0");
  bars[1].label = "West";
  bars[1].v[0] = -1;
  snprintf(bars[1].text[0], 48, "-1.0");
  bars[0].tone = bars[1].tone = -1;
  svg_chart c = {7, 0, "Title <1>", "Desc", {NULL, NULL}, NAN, NULL, fmt_plain, NULL};
  strbuf o = {0};
  svg_hbars(&o, &c, bars, 2);
  assert_non_null(strstr(o.s, "<title id=\"svg7-t\">Title &lt;1&gt;</title>"));
  assert_non_null(strstr(o.s, "<desc id=\"svg7-d\">Desc: North &amp; South 3.0; West -1.0</desc>"));
  assert_non_null(strstr(o.s, "aria-labelledby=\"svg7-t svg7-d\""));
  /* one interval: one whisker */
  const char *w = strstr(o.s, "stroke=\"#111\"");
  assert_non_null(w);
  assert_null(strstr(w + 1, "stroke=\"#111\""));
  sb_free(&o);
  /* a heat map writes each count in its cell */
  const char *rows[] = {"A", "B"}, *cols[] = {"A", "B"};
  double v[] = {10, 2, 0, 5};
  char texts[4][48] = {"10", "2", "0", "5"};
  svg_heat hm = {rows, cols, 2, 2, v, texts, "before", "after"};
  svg_heatmap(&o, &c, &hm);
  assert_non_null(strstr(o.s, "A \xE2\x86\x92 B 2"));
  assert_non_null(strstr(o.s, "font-weight=\"bold\">10</text>"));   /* the diagonal */
  sb_free(&o);
}

static void test_html_escapes(void **state) {
  (void)state;
  strbuf o = {0};
  html_esc(&o, "<a href='x'>&\"\x01");
  assert_string_equal(o.s, "&lt;a href=&#39;x&#39;&gt;&amp;&quot; ");
  sb_free(&o);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_jdoc_reads_values_and_paths),
      cmocka_unit_test(test_jdoc_refuses_bad_text),
      cmocka_unit_test(test_labels_numbers),
      cmocka_unit_test(test_rtable_html_and_csv),
      cmocka_unit_test(test_svg_charts_carry_text_alternatives),
      cmocka_unit_test(test_html_escapes),
  };
  return cmocka_run_group_tests_name("report_parts", tests, NULL, NULL);
}
