/*
** cases.h: test cases written by policy people, run against a methodology.
**
** A cases file (NAME.test.lua beside NAME.lua) is a Lua script run in the
** sandbox that returns
**   { defaults = { unit = {COL = V, ...}, member = {COL = V, ...} },   -- optional
**     cases = { { name = "...", unit = {...}, members = { {...}, ... },
**                 expect = { category = "C", score = 670, poor = true,
**                            excluded = false, measures = { "tsa" } } }, ... } }
** Each case is one small family: its unit row is defaults.unit overridden by
** the case's unit, each member row defaults.member overridden by that member.
** A value is a number, text, true/false (1/0) or `null` (a global of the
** cases file: Lua tables cannot hold nil). Every expectation is optional; `measures` is the exact set the unit may
** claim. cases_run scores all cases in one pass over a scratch database
** built from them (deleted afterwards) and compares.
*/
#ifndef AF_CASES_H
#define AF_CASES_H

#include "method.h"
#include "model.h"
#include "util.h"

typedef struct case_value {
  char *col;
  int kind;              /* 0 null, 1 number, 2 text */
  double num;
  char *text;
} case_value;

typedef struct case_row {
  case_value *v;
  int n, cap;
} case_row;

typedef struct test_case {
  char *name;
  int line;              /* of the case in the cases file (0: unknown) */
  case_row unit;
  case_row *members;
  int nmembers;
  char *category;        /* NULL: not checked */
  int has_score;
  double score;
  int poor;              /* -1 not checked, else 0/1 */
  int excluded;          /* -1 not checked, else 0/1 */
  char **measures;       /* checked when has_measures */
  int nmeasures, has_measures;
} test_case;

typedef struct case_file {
  char *path;
  test_case *v;
  int n;
} case_file;

/* Load a cases file; errors go to d as FILE:LINE: message. Its script runs
** as a methodology's does (method_run_script, with o's limits and search
** path), so that a hostile cases file cannot hang or crash afscore. */
int cases_load(const char *path, const method_opts *o, case_file *out, diag_list *d);
void cases_free(case_file *cf);

/* The outcome of one case: what was found, and whether it matches. */
typedef struct case_result {
  int pass;
  char *category;        /* NULL when excluded */
  double score;
  int poor, excluded;
  char *measures;        /* "a, b" (owned) */
  char *why;             /* for a failure: "category expected C, got B; ..." (owned) */
} case_result;

/* Score every case of cf under m. res gets cf->n results (owned; free with
** cases_free_results). Returns 0, or -1 with e filled when the cases could
** not be run at all (schema errors go to d). */
int cases_run(const model *m, const case_file *cf, case_result **res, diag_list *d, af_err *e);
void cases_free_results(case_result *res, int n);

#endif
