/*
** expr.h: the expression language: lexer and parser to a syntax tree.
**
** Grammar (lowest precedence first):
**   expr    := or
**   or      := and ('or' and)*
**   and     := not ('and' not)*
**   not     := 'not' not | cmp
**   cmp     := add [ ('='|'!='|'<>'|'<'|'<='|'>'|'>=') add
**                  | ['not'] 'in' '(' expr (',' expr)* ')'
**                  | ['not'] 'between' add 'and' add
**                  | 'is' ['not'] 'null' ]
**   add     := mul (('+'|'-') mul)*
**   mul     := unary (('*'|'/') unary)*
**   unary   := '-' unary | primary
**   primary := NUMBER | STRING | 'true' | 'false' | 'null'
**            | NAME | NAME '(' [expr (',' expr)*] ')' | '(' expr ')'
** Keywords are case-insensitive; strings use single or double quotes.
*/
#ifndef AF_EXPR_H
#define AF_EXPR_H

#include "util.h"

typedef enum expr_kind {
  EX_NUM, EX_STR, EX_BOOL, EX_NULL, EX_NAME,
  EX_NEG, EX_NOT,
  EX_ADD, EX_SUB, EX_MUL, EX_DIV,
  EX_EQ, EX_NE, EX_LT, EX_LE, EX_GT, EX_GE,
  EX_AND, EX_OR,
  EX_IN,        /* args[0] in (args[1..]) */
  EX_NOTIN,
  EX_BETWEEN,   /* args[0] between args[1] and args[2] */
  EX_NOTBETWEEN,
  EX_ISNULL, EX_NOTNULL,
  EX_CALL       /* name(args...) */
} expr_kind;

typedef struct expr {
  expr_kind kind;
  int pos;            /* 1-based column of the node's first character */
  int len;            /* length of the node's source text */
  double num;         /* EX_NUM, EX_BOOL (0/1) */
  char *str;          /* EX_STR value, EX_NAME / EX_CALL name */
  struct expr **args; /* operands */
  int nargs;
  int height;         /* 1 for a leaf, else 1 + the highest operand */
} expr;

/* Limits that keep hostile input from exhausting the stack or memory. */
#define EXPR_MAX_LEN 65536     /* characters of source text */
#define EXPR_MAX_NEST 200      /* nested parentheses, calls, unary operators */
#define EXPR_MAX_HEIGHT 1000   /* height of the tree (long operator chains) */

/* Parse text. On error returns -1, fills e with a message such as
** "unexpected ')' near ')' at column 14", "unterminated string at column 3",
** "expected ')' to close '(' opened at column 4" or "empty expression", and sets
** *errpos to the 1-based column (when errpos is not NULL). */
int expr_parse(const char *text, expr **out, af_err *e, int *errpos);
void expr_free(expr *x);

#endif
