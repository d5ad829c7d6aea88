/*
** test_expr.c: the expression lexer and parser (expr.c): precedence, every
** operator, literals, node positions, and every error with its column.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "expr.h"

static const char *kname[] = {
  "num", "str", "bool", "null", "name", "neg", "not", "+", "-", "*", "/",
  "=", "!=", "<", "<=", ">", ">=", "and", "or", "in", "notin", "between",
  "notbetween", "isnull", "notnull", "call",
};

/* The tree as an s-expression: (op a b), leaves as written. */
static void show(const expr *x, strbuf *b) {
  switch (x->kind) {
  case EX_NUM: sb_printf(b, "%g", x->num); return;
  case EX_STR: sb_printf(b, "'%s'", x->str); return;
  case EX_BOOL: sb_puts(b, x->num ? "true" : "false"); return;
  case EX_NULL: sb_puts(b, "null"); return;
  case EX_NAME: sb_puts(b, x->str); return;
  default: break;
  }
  sb_printf(b, "(%s", x->kind == EX_CALL ? x->str : kname[x->kind]);
  for (int i = 0; i < x->nargs; i++) {
    sb_putc(b, ' ');
    show(x->args[i], b);
  }
  sb_putc(b, ')');
}

static char *parse_show(const char *text) {
  expr *x = NULL;
  af_err e = {{0}};
  int pos = -1;
  if (expr_parse(text, &x, &e, &pos) < 0) return af_sprintf("ERROR %s", e.msg);
  strbuf b = {0};
  show(x, &b);
  expr_free(x);
  return sb_take(&b);
}

#define ASSERT_TREE(text, want)                \
  do {                                         \
    char *got_ = parse_show(text);             \
    assert_string_equal(got_, want);           \
    free(got_);                                \
  } while (0)

/* Parse must fail with exactly msg at column col. */
static void fails(const char *text, const char *msg, int col) {
  expr *x = (expr *)1;
  af_err e = {{0}};
  int pos = -1;
  assert_int_equal(expr_parse(text, &x, &e, &pos), -1);
  assert_null(x);
  assert_string_equal(e.msg, msg);
  assert_int_equal(pos, col);
}

static void test_literals(void **state) {
  (void)state;
  ASSERT_TREE("42", "42");
  ASSERT_TREE("3.25", "3.25");
  ASSERT_TREE(".5", "0.5");
  ASSERT_TREE("1e3", "1000");
  ASSERT_TREE("2.5E-1", "0.25");
  ASSERT_TREE("'it''s'", "'it's'");
  ASSERT_TREE("\"say \"\"hi\"\"\"", "'say \"hi\"'");
  ASSERT_TREE("''", "''");
  ASSERT_TREE("TRUE", "true");
  ASSERT_TREE("False", "false");
  ASSERT_TREE("NULL", "null");
  ASSERT_TREE("_a1", "_a1");
}

static void test_precedence(void **state) {
  (void)state;
  ASSERT_TREE("a + b * c", "(+ a (* b c))");
  ASSERT_TREE("a - b - c", "(- (- a b) c)");
  ASSERT_TREE("a / b / c", "(/ (/ a b) c)");
  ASSERT_TREE("(a + b) * c", "(* (+ a b) c)");
  ASSERT_TREE("-a * b", "(* (neg a) b)");
  ASSERT_TREE("- - a", "(neg (neg a))");
  ASSERT_TREE("a + b < c * d", "(< (+ a b) (* c d))");
  ASSERT_TREE("a or b and c", "(or a (and b c))");
  ASSERT_TREE("a and b or c", "(or (and a b) c)");
  ASSERT_TREE("not a and b", "(and (not a) b)");
  ASSERT_TREE("not not a", "(not (not a))");
  ASSERT_TREE("not a = 1", "(not (= a 1))");
  ASSERT_TREE("a = 1 or b <> 2 and c != 3", "(or (= a 1) (and (!= b 2) (!= c 3)))");
}

static void test_operators(void **state) {
  (void)state;
  ASSERT_TREE("a<=b", "(<= a b)");
  ASSERT_TREE("a>=b", "(>= a b)");
  ASSERT_TREE("a>b", "(> a b)");
  ASSERT_TREE("a in (1, 'x', null)", "(in a 1 'x' null)");
  ASSERT_TREE("a NOT IN (1)", "(notin a 1)");
  ASSERT_TREE("a between 1 and b + 1", "(between a 1 (+ b 1))");
  ASSERT_TREE("a not between 1 and 2 and c", "(and (notbetween a 1 2) c)");
  ASSERT_TREE("a is null", "(isnull a)");
  ASSERT_TREE("a IS NOT NULL or b", "(or (notnull a) b)");
  ASSERT_TREE("count()", "(count)");
  ASSERT_TREE("sum(income, age >= 18)", "(sum income (>= age 18))");
  ASSERT_TREE("any(x in (1,2))", "(any (in x 1 2))");
  ASSERT_TREE("deprived('low')", "(deprived 'low')");
}

static void test_positions(void **state) {
  (void)state;
  expr *x;
  af_err e;
  int pos;
  const char *t = "  (a + b) * sum(c)";
  assert_int_equal(expr_parse(t, &x, &e, &pos), 0);
  assert_int_equal(pos, 0);
  assert_int_equal(x->kind, EX_MUL);
  assert_int_equal(x->pos, 3);
  assert_int_equal(x->len, 16);
  assert_int_equal(x->args[0]->pos, 3);   /* the parenthesized sum spans its parentheses */
  assert_int_equal(x->args[0]->len, 7);
  assert_int_equal(x->args[1]->kind, EX_CALL);
  assert_int_equal(x->args[1]->pos, 13);
  assert_int_equal(x->args[1]->len, 6);
  assert_int_equal(x->args[1]->args[0]->pos, 17);
  assert_int_equal(x->height, 3);
  expr_free(x);
}

static void test_errors(void **state) {
  (void)state;
  fails("", "empty expression", 0);
  fails("   ", "empty expression", 0);
  fails("(a + b) * c)", "unexpected ')' near ')' at column 12", 12);
  fails("income > > 3", "unexpected '>' near '> 3' at column 10", 10);
  fails("a + ", "unexpected end of expression at column 5", 5);
  fails("  'abc", "unterminated string at column 3", 3);
  fails("a = \"x", "unterminated string at column 5", 5);
  fails("a * (b + c", "expected ')' to close '(' opened at column 5", 5);
  fails("sum(a, b", "expected ')' to close '(' opened at column 4", 4);
  fails("a in (1, 2", "expected ')' to close '(' opened at column 6", 6);
  fails("a in 1, 2", "expected '(' after 'in' at column 6", 6);
  fails("a between 1 or 2", "expected 'and' in 'between' at column 13", 13);
  fails("a is 5", "expected 'null' after 'is' at column 6", 6);
  fails("a not 5", "expected 'in' or 'between' after 'not' at column 3", 3);
  fails("a # b", "unexpected character '#' at column 3", 3);
  fails("a = \x01", "unexpected byte 0x01 at column 5", 5);
  fails("1.2.3 > a", "malformed number '1.2.3' at column 1", 1);
  fails("12abc", "malformed number '12abc' at column 1", 1);
  fails("a b", "unexpected 'b' near 'b' at column 3", 3);
  fails("a < b < c", "unexpected '<' near '< c' at column 7", 7);
  fails("x = 1 and and y", "unexpected 'and' near 'and y' at column 11", 11);
  fails("f(,)", "unexpected ',' near ',)' at column 3", 3);
  fails("a = 'a long text literal here' 'another long one'",
        "unexpected ''another long one'' near ''another long one'' at column 32", 32);
  fails("x = 1 abcdefghijklmnopqrstuvwxyz0123456789",
        "unexpected 'abcdefghijklmnopqrstuvwxyz0123...' near "
        "'abcdefghijklmnopqrstuvwxyz0123...' at column 7", 7);
}

/* Hostile input ends in a clear error, not a stack overflow. */
static void test_limits(void **state) {
  (void)state;
  strbuf b = {0};
  for (int i = 0; i < 60000; i++) sb_putc(&b, '(');
  fails(b.s, "expression nested too deeply (more than 200 levels) at column 201", 201);
  sb_free(&b);
  for (int i = 0; i < 201; i++) sb_putc(&b, '(');
  sb_putc(&b, 'x');
  for (int i = 0; i < 201; i++) sb_putc(&b, ')');
  fails(b.s, "expression nested too deeply (more than 200 levels) at column 201", 201);
  sb_free(&b);
  for (int i = 0; i < 200; i++) sb_putc(&b, '(');
  sb_putc(&b, 'x');
  for (int i = 0; i < 200; i++) sb_putc(&b, ')');
  ASSERT_TREE(b.s, "x");
  sb_free(&b);
  for (int i = 0; i < 300; i++) sb_puts(&b, "not ");
  sb_puts(&b, "x");
  fails(b.s, "expression nested too deeply (more than 200 levels) at column 801", 801);
  sb_free(&b);
  for (int i = 0; i < 300; i++) sb_puts(&b, "-");
  sb_puts(&b, "x");
  fails(b.s, "expression nested too deeply (more than 200 levels) at column 201", 201);
  sb_free(&b);
  sb_puts(&b, "x");
  for (int i = 0; i < 1000; i++) sb_puts(&b, "+x");
  fails(b.s, "expression too complex (more than 1000 levels) at column 1", 1);
  sb_free(&b);
  sb_puts(&b, "x");
  for (int i = 0; i < 998; i++) sb_puts(&b, "+x");
  expr *x;
  af_err e;
  int pos;
  assert_int_equal(expr_parse(b.s, &x, &e, &pos), 0);
  assert_int_equal(x->height, 999);
  expr_free(x);
  sb_free(&b);
  for (int i = 0; i < EXPR_MAX_LEN + 1; i++) sb_putc(&b, ' ');
  fails(b.s, "expression too long (65537 characters, at most 65536)", 0);
  sb_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_literals),
    cmocka_unit_test(test_precedence),
    cmocka_unit_test(test_operators),
    cmocka_unit_test(test_positions),
    cmocka_unit_test(test_errors),
    cmocka_unit_test(test_limits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
