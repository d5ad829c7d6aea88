/*
** expr.c: the expression language's lexer and recursive-descent parser.
**
** The whole text is first cut into tokens (so the parser can look one token
** ahead for "not in" / "not between"), then parsed by one function per
** grammar level of expr.h. Every error names the column where it happened.
** Hostile input is bounded three ways: the text length (EXPR_MAX_LEN), the
** recursion depth of the parser (EXPR_MAX_NEST) and the height of the tree
** (EXPR_MAX_HEIGHT), which also bounds every later recursive walk of the tree.
*/
#include "expr.h"

#include <assert.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum tkind {
  T_END, T_NUM, T_STR, T_NAME,
  T_AND, T_OR, T_NOT, T_IN, T_BETWEEN, T_IS, T_NULL, T_TRUE, T_FALSE,
  T_LPAREN, T_RPAREN, T_COMMA, T_PLUS, T_MINUS, T_STAR, T_SLASH,
  T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE
} tkind;

typedef struct token {
  tkind kind;
  int pos, len;    /* 1-based column and length in the source */
  double num;      /* T_NUM */
  char *str;       /* T_STR: the unescaped text (owned until moved to a node) */
} token;

typedef struct parser {
  const char *text;
  token *t;
  int n, cap, i;
  int nest;
  int prev_end;    /* column just after the last consumed token */
  af_err *e;
  int errpos;
} parser;

static const struct { const char *word; tkind kind; } keywords[] = {
  {"and", T_AND}, {"or", T_OR}, {"not", T_NOT}, {"in", T_IN},
  {"between", T_BETWEEN}, {"is", T_IS}, {"null", T_NULL},
  {"true", T_TRUE}, {"false", T_FALSE},
};

static int fail_at(parser *p, int pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_at(parser *p, int pos, const char *fmt, ...) {
  if (p->e) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->e->msg, sizeof p->e->msg, fmt, ap);
    va_end(ap);
  }
  p->errpos = pos;
  return -1;
}

/* ---- lexer ---- */

static void push(parser *p, tkind k, int pos, int len) {
  af_grow(&p->t, &p->cap, p->n + 1, sizeof *p->t);
  token *t = &p->t[p->n++];
  memset(t, 0, sizeof *t);
  t->kind = k;
  t->pos = pos;
  t->len = len;
}

static int is_name_start(int c) { return isalpha(c) || c == '_'; }
static int is_name_char(int c) { return isalnum(c) || c == '_'; }

/* A number: digits [. digits] [e [+-] digits], or . digits [...]. A number
** running straight into letters, digits or another dot is malformed. */
static int lex_number(parser *p, int i) {
  const char *s = p->text;
  int j = i;
  while (isdigit((unsigned char)s[j])) j++;
  if (s[j] == '.') {
    j++;
    while (isdigit((unsigned char)s[j])) j++;
  }
  if (s[j] == 'e' || s[j] == 'E') {
    int k = j + 1;
    if (s[k] == '+' || s[k] == '-') k++;
    if (isdigit((unsigned char)s[k])) {
      while (isdigit((unsigned char)s[k])) k++;
      j = k;
    }
  }
  if (is_name_char((unsigned char)s[j]) || s[j] == '.') {
    int k = j;
    while (is_name_char((unsigned char)s[k]) || s[k] == '.') k++;
    return fail_at(p, i + 1, "malformed number '%.*s' at column %d", k - i, s + i, i + 1);
  }
  push(p, T_NUM, i + 1, j - i);
  p->t[p->n - 1].num = strtod(s + i, NULL);
  return j;
}

/* A string in ' or ", the quote doubled inside to stand for itself. */
static int lex_string(parser *p, int i) {
  const char *s = p->text;
  char q = s[i];
  strbuf b = {0};
  int j = i + 1;
  for (;;) {
    if (s[j] == '\0') {
      sb_free(&b);
      return fail_at(p, i + 1, "unterminated string at column %d", i + 1);
    }
    if (s[j] == q) {
      if (s[j + 1] != q) break;
      j++;
    }
    sb_putc(&b, s[j]);
    j++;
  }
  push(p, T_STR, i + 1, j + 1 - i);
  p->t[p->n - 1].str = sb_take(&b);
  return j + 1;
}

static int lex_name(parser *p, int i) {
  const char *s = p->text;
  int j = i;
  while (is_name_char((unsigned char)s[j])) j++;
  tkind k = T_NAME;
  for (size_t w = 0; w < sizeof keywords / sizeof *keywords; w++)
    if ((int)strlen(keywords[w].word) == j - i && strncasecmp(s + i, keywords[w].word, (size_t)(j - i)) == 0)
      k = keywords[w].kind;
  push(p, k, i + 1, j - i);
  return j;
}

/* One- and two-character operators; returns the new index or -1. */
static int lex_op(parser *p, int i) {
  const char *s = p->text;
  static const struct { const char *op; tkind kind; } ops[] = {
    {"<=", T_LE}, {">=", T_GE}, {"<>", T_NE}, {"!=", T_NE},
    {"(", T_LPAREN}, {")", T_RPAREN}, {",", T_COMMA}, {"+", T_PLUS}, {"-", T_MINUS},
    {"*", T_STAR}, {"/", T_SLASH}, {"=", T_EQ}, {"<", T_LT}, {">", T_GT},
  };
  for (size_t k = 0; k < sizeof ops / sizeof *ops; k++) {
    size_t l = strlen(ops[k].op);
    if (strncmp(s + i, ops[k].op, l) == 0) {
      push(p, ops[k].kind, i + 1, (int)l);
      return i + (int)l;
    }
  }
  unsigned char c = (unsigned char)s[i];
  if (isprint(c)) return fail_at(p, i + 1, "unexpected character '%c' at column %d", c, i + 1);
  return fail_at(p, i + 1, "unexpected byte 0x%02x at column %d", c, i + 1);
}

static int lex(parser *p) {
  const char *s = p->text;
  int i = 0;
  while (i >= 0 && s[i]) {
    unsigned char c = (unsigned char)s[i];
    if (isspace(c)) i++;
    else if (isdigit(c) || (c == '.' && isdigit((unsigned char)s[i + 1]))) i = lex_number(p, i);
    else if (c == '\'' || c == '"') i = lex_string(p, i);
    else if (is_name_start(c)) i = lex_name(p, i);
    else i = lex_op(p, i);
  }
  if (i < 0) return -1;
  push(p, T_END, i + 1, 0);
  return 0;
}

/* ---- tree ---- */

void expr_free(expr *x) {
  if (!x) return;
  for (int i = 0; i < x->nargs; i++) expr_free(x->args[i]);
  free(x->args);
  free(x->str);
  free(x);
}

static expr *node(expr_kind k, int pos, int len) {
  expr *x = af_calloc(1, sizeof *x);
  x->kind = k;
  x->pos = pos;
  x->len = len;
  x->height = 1;
  return x;
}

static void add_arg(expr *x, expr *a) {
  assert(a && a->height >= 1);
  x->args = af_realloc(x->args, (size_t)(x->nargs + 1) * sizeof *x->args);
  x->args[x->nargs++] = a;
  if (a->height + 1 > x->height) x->height = a->height + 1;
}

/* Finish node x spanning from its start to the last consumed token; fails
** (freeing x) when the tree grows too high. */
static expr *close_node(parser *p, expr *x) {
  x->len = p->prev_end - x->pos;
  if (x->height > EXPR_MAX_HEIGHT) {
    fail_at(p, x->pos, "expression too complex (more than %d levels) at column %d",
            EXPR_MAX_HEIGHT, x->pos);
    expr_free(x);
    return NULL;
  }
  return x;
}

static expr *binary(parser *p, expr_kind k, expr *l, expr *r) {
  expr *x = node(k, l->pos, 0);
  add_arg(x, l);
  add_arg(x, r);
  return close_node(p, x);
}

/* ---- parser ---- */

static token *cur(parser *p) { return &p->t[p->i]; }
static token *peek(parser *p, int k) {
  return p->i + k < p->n ? &p->t[p->i + k] : &p->t[p->n - 1];
}
static token *advance(parser *p) {
  token *t = &p->t[p->i];
  p->prev_end = t->pos + t->len;
  if (t->kind != T_END) p->i++;
  return t;
}

/* "unexpected X near '...' at column N" for the current token. */
static expr *unexpected(parser *p) {
  token *t = cur(p);
  if (t->kind == T_END) {
    fail_at(p, t->pos, "unexpected end of expression at column %d", t->pos);
    return NULL;
  }
  const char *s = p->text + t->pos - 1;
  int tl = t->len > 30 ? 30 : t->len;
  int nl = (int)strlen(s);
  int cut = nl > 20 ? 20 : nl;
  if (cut < tl) cut = tl;
  fail_at(p, t->pos, "unexpected '%.*s%s' near '%.*s%s' at column %d", tl, s,
          tl < t->len ? "..." : "", cut, s, cut < nl ? "..." : "", t->pos);
  return NULL;
}

static int enter(parser *p, int pos) {
  assert(p->nest >= 0);
  if (++p->nest > EXPR_MAX_NEST)
    return fail_at(p, pos, "expression nested too deeply (more than %d levels) at column %d",
                   EXPR_MAX_NEST, pos);
  return 0;
}

static expr *p_or(parser *p);
static expr *p_add(parser *p);
static expr *p_unary(parser *p);

/* Expect ')' closing the '(' at column open. */
static int expect_close(parser *p, int open) {
  if (cur(p)->kind == T_RPAREN) {
    advance(p);
    return 0;
  }
  return fail_at(p, open, "expected ')' to close '(' opened at column %d", open);
}

/* '(' expr (',' expr)* ')' appended to x's operands ("()" allowed if empty_ok). */
static expr *arg_list(parser *p, expr *x, int empty_ok) {
  int open = cur(p)->pos;
  advance(p);
  if (enter(p, open) < 0) goto fail;
  if (!(empty_ok && cur(p)->kind == T_RPAREN)) {
    for (;;) {
      expr *a = p_or(p);
      if (!a) goto fail;
      add_arg(x, a);
      if (cur(p)->kind != T_COMMA) break;
      advance(p);
    }
  }
  if (expect_close(p, open) < 0) goto fail;
  p->nest--;
  return close_node(p, x);
fail:
  expr_free(x);
  return NULL;
}

static expr *p_primary(parser *p) {
  token *t = cur(p);
  expr *x;
  switch (t->kind) {
  case T_NUM:
    x = node(EX_NUM, t->pos, t->len);
    x->num = t->num;
    advance(p);
    return x;
  case T_STR:
    x = node(EX_STR, t->pos, t->len);
    x->str = t->str;
    t->str = NULL;
    advance(p);
    return x;
  case T_TRUE:
  case T_FALSE:
    x = node(EX_BOOL, t->pos, t->len);
    x->num = t->kind == T_TRUE;
    advance(p);
    return x;
  case T_NULL:
    x = node(EX_NULL, t->pos, t->len);
    advance(p);
    return x;
  case T_NAME:
    if (peek(p, 1)->kind == T_LPAREN) {
      x = node(EX_CALL, t->pos, 0);
      x->str = af_strndup(p->text + t->pos - 1, (size_t)t->len);
      advance(p);
      return arg_list(p, x, 1);
    }
    x = node(EX_NAME, t->pos, t->len);
    x->str = af_strndup(p->text + t->pos - 1, (size_t)t->len);
    advance(p);
    return x;
  case T_LPAREN: {
    int open = t->pos;
    advance(p);
    if (enter(p, open) < 0) return NULL;
    x = p_or(p);
    if (!x) return NULL;
    if (expect_close(p, open) < 0) {
      expr_free(x);
      return NULL;
    }
    p->nest--;
    /* The node spans its parentheses, so that an enclosing node's text
    ** ("(a + b) * c") never shows an unbalanced parenthesis. */
    x->len = p->prev_end - open;
    x->pos = open;
    return x;
  }
  default:
    return unexpected(p);
  }
}

static expr *p_unary(parser *p) {
  if (cur(p)->kind != T_MINUS) return p_primary(p);
  int pos = advance(p)->pos;
  if (enter(p, pos) < 0) return NULL;
  expr *a = p_unary(p);
  if (!a) return NULL;
  p->nest--;
  expr *x = node(EX_NEG, pos, 0);
  add_arg(x, a);
  return close_node(p, x);
}

static expr *p_mul(parser *p) {
  expr *l = p_unary(p);
  while (l && (cur(p)->kind == T_STAR || cur(p)->kind == T_SLASH)) {
    expr_kind k = advance(p)->kind == T_STAR ? EX_MUL : EX_DIV;
    expr *r = p_unary(p);
    if (!r) {
      expr_free(l);
      return NULL;
    }
    l = binary(p, k, l, r);
  }
  return l;
}

static expr *p_add(parser *p) {
  expr *l = p_mul(p);
  while (l && (cur(p)->kind == T_PLUS || cur(p)->kind == T_MINUS)) {
    expr_kind k = advance(p)->kind == T_PLUS ? EX_ADD : EX_SUB;
    expr *r = p_mul(p);
    if (!r) {
      expr_free(l);
      return NULL;
    }
    l = binary(p, k, l, r);
  }
  return l;
}

/* After `x [not] between`: lo 'and' hi. */
static expr *between_rest(parser *p, expr *x) {
  expr *lo = p_add(p);
  if (!lo) goto fail;
  add_arg(x, lo);
  if (cur(p)->kind != T_AND) {
    fail_at(p, cur(p)->pos, "expected 'and' in 'between' at column %d", cur(p)->pos);
    goto fail;
  }
  advance(p);
  expr *hi = p_add(p);
  if (!hi) goto fail;
  add_arg(x, hi);
  return close_node(p, x);
fail:
  expr_free(x);
  return NULL;
}

/* After `x is`: ['not'] 'null'. */
static expr *is_rest(parser *p, expr *x) {
  if (cur(p)->kind == T_NOT) {
    advance(p);
    x->kind = EX_NOTNULL;
  }
  if (cur(p)->kind != T_NULL) {
    fail_at(p, cur(p)->pos, "expected 'null' after 'is' at column %d", cur(p)->pos);
    expr_free(x);
    return NULL;
  }
  advance(p);
  return close_node(p, x);
}

static expr_kind cmp_kind(tkind t) {
  switch (t) {
  case T_EQ: return EX_EQ;
  case T_NE: return EX_NE;
  case T_LT: return EX_LT;
  case T_LE: return EX_LE;
  case T_GT: return EX_GT;
  case T_GE: return EX_GE;
  default: return EX_NUM;   /* not a comparison */
  }
}

static expr *p_cmp(parser *p) {
  expr *l = p_add(p);
  if (!l) return NULL;
  token *t = cur(p);
  expr_kind k = cmp_kind(t->kind);
  if (k != EX_NUM) {
    advance(p);
    expr *r = p_add(p);
    if (!r) {
      expr_free(l);
      return NULL;
    }
    return binary(p, k, l, r);
  }
  int negate = 0;
  if (t->kind == T_NOT) {
    if (peek(p, 1)->kind != T_IN && peek(p, 1)->kind != T_BETWEEN) {
      fail_at(p, t->pos, "expected 'in' or 'between' after 'not' at column %d", t->pos);
      expr_free(l);
      return NULL;
    }
    negate = 1;
    advance(p);
    t = cur(p);
  }
  if (t->kind != T_IN && t->kind != T_BETWEEN && t->kind != T_IS) return l;
  expr *x = node(EX_ISNULL, l->pos, 0);
  add_arg(x, l);
  advance(p);
  if (t->kind == T_IS) return is_rest(p, x);
  if (t->kind == T_BETWEEN) {
    x->kind = negate ? EX_NOTBETWEEN : EX_BETWEEN;
    return between_rest(p, x);
  }
  x->kind = negate ? EX_NOTIN : EX_IN;
  if (cur(p)->kind != T_LPAREN) {
    fail_at(p, cur(p)->pos, "expected '(' after 'in' at column %d", cur(p)->pos);
    expr_free(x);
    return NULL;
  }
  return arg_list(p, x, 0);
}

static expr *p_not(parser *p) {
  if (cur(p)->kind != T_NOT) return p_cmp(p);
  int pos = advance(p)->pos;
  if (enter(p, pos) < 0) return NULL;
  expr *a = p_not(p);
  if (!a) return NULL;
  p->nest--;
  expr *x = node(EX_NOT, pos, 0);
  add_arg(x, a);
  return close_node(p, x);
}

static expr *p_and(parser *p) {
  expr *l = p_not(p);
  while (l && cur(p)->kind == T_AND) {
    advance(p);
    expr *r = p_not(p);
    if (!r) {
      expr_free(l);
      return NULL;
    }
    l = binary(p, EX_AND, l, r);
  }
  return l;
}

static expr *p_or(parser *p) {
  expr *l = p_and(p);
  while (l && cur(p)->kind == T_OR) {
    advance(p);
    expr *r = p_and(p);
    if (!r) {
      expr_free(l);
      return NULL;
    }
    l = binary(p, EX_OR, l, r);
  }
  return l;
}

static void parser_free(parser *p) {
  for (int i = 0; i < p->n; i++) free(p->t[i].str);
  free(p->t);
}

int expr_parse(const char *text, expr **out, af_err *e, int *errpos) {
  parser p = {.text = text, .e = e};
  expr *x = NULL;
  *out = NULL;
  size_t len = strlen(text);
  if (len > EXPR_MAX_LEN)
    fail_at(&p, 0, "expression too long (%zu characters, at most %d)", len, EXPR_MAX_LEN);
  else if (lex(&p) == 0) {
    if (p.t[0].kind == T_END)
      fail_at(&p, 0, "empty expression");
    else if ((x = p_or(&p)) != NULL && cur(&p)->kind != T_END) {
      unexpected(&p);
      expr_free(x);
      x = NULL;
    }
  }
  parser_free(&p);
  if (errpos) *errpos = x ? 0 : p.errpos;
  if (!x) return -1;
  *out = x;
  return 0;
}
