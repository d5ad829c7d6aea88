/*
** cli_check.c: the command check: load and validate a methodology (with
** --db, against the schema too), then look for what is legal but probably a
** mistake (lint.h). Errors and warnings print as FILE:LINE: message; --json
** always prints one JSON document, errors and warnings as {file, line,
** message}; --strict counts warnings as errors.
*/
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "lint.h"
#include "method.h"
#include "rules.h"

/* Facts about a methodology that loaded and compiled: kept in the JSON for
** tools (bench/ reads the tables and columns a run would read). */
static void check_json_facts(json *j, const model *m, const rules *r, const run *rn) {
  json_kv_str(j, "name", m->name);
  json_kv_str(j, "version", m->version);
  json_kv_str(j, "scoring", m->scoring == SCORING_AF ? "af" : "points");
  json_kv_int(j, "indicators", m->ninds);
  json_kv_bool(j, "exact", r->exact);
  if (!rn) return;
  const source_plan *p = run_plan(rn);
  json_kv_str(j, "unit_table", p->unit_table);
  json_kv_str(j, "unit_id", p->unit_id);
  json_key(j, "unit_columns");
  json_arr(j);
  for (int i = 0; i < p->nunit_cols; i++) {
    int seen = 0;
    for (int k = 0; k < i; k++) seen |= strcmp(p->unit_cols[k], p->unit_cols[i]) == 0;
    if (!seen) json_str(j, p->unit_cols[i]);
  }
  json_arr_end(j);
  json_kv_str(j, "member_table", p->member_table);
  json_kv_str(j, "member_unit", p->member_unit);
  json_key(j, "member_columns");
  json_arr(j);
  for (int i = 0; i < p->nmember_cols; i++) json_str(j, p->member_cols[i]);
  json_arr_end(j);
}

static void check_json_diags(json *j, const char *key, const diag_list *d) {
  json_key(j, key);
  json_arr(j);
  for (int i = 0; i < d->n; i++) {
    json_obj(j);
    json_kv_str(j, "file", d->v[i].file);
    if (d->v[i].line > 0) json_kv_int(j, "line", d->v[i].line);
    else json_kv_null(j, "line");
    json_kv_str(j, "message", d->v[i].msg);
    json_obj_end(j);
  }
  json_arr_end(j);
}

static void check_print_warnings(const diag_list *w) {
  for (int i = 0; i < w->n; i++) {
    if (w->v[i].line > 0)
      af_textf(stderr, "%s:%d: warning: %s\n", w->v[i].file, w->v[i].line, w->v[i].msg);
    else af_textf(stderr, "%s: warning: %s\n", w->v[i].file, w->v[i].msg);
  }
}

static void check_print_ok(const char *file, const model *m, const rules *r, const char *db) {
  af_textf(stdout, "%s: ok: %s, version %s, %s scoring, %d indicators in %d %s, %d bands%s%s\n",
           file, m->name, m->version, m->scoring == SCORING_AF ? "AF" : "points", m->ninds,
           m->ndims, m->scoring == SCORING_AF ? "dimensions" : "areas", m->nbands,
           db ? ", matches " : "", db ? db : "");
  if (!r->exact)
    printf("note: some amounts or bounds are not simple fractions; scores are compared "
           "in floating point with a 1e-9 relative tolerance\n");
}

/* What check found, and what it compiled (both NULL when loading failed). */
typedef struct check_result {
  model *m;
  run *rn;                 /* with --db */
  strpool *pool;
  const rules *r;          /* the run's with --db, else own */
  rules *own;
  diag_list errs, warns;
} check_result;

static void check_compile(check_result *c, const char *path, const char *db) {
  c->m = cli_load_method_diags(path, &c->errs);
  if (!c->m) return;
  af_err e = {{0}};
  const model *ms[1] = {c->m};
  if (db) {
    if (run_open(&c->rn, db, ms, 1, NULL, &c->errs, &e) < 0) {
      if (c->errs.n == 0) diag_add(&c->errs, db, 0, "%s", af_msg_after(e.msg, db));
      return;
    }
    c->r = run_rules(c->rn, 0);
  } else {
    c->pool = strpool_new();
    if (rules_compile(c->m, NULL, c->pool, &c->own, &c->errs) == 0) c->r = c->own;
  }
  if (c->r) lint_model(c->m, c->r, &c->warns);
}

static void check_free(check_result *c) {
  run_close(c->rn);
  rules_free(c->own);
  strpool_free(c->pool);
  model_free(c->m);
  diag_free(&c->errs);
  diag_free(&c->warns);
}

int cmd_check(cli_opts *o) {
  if (o->npos != 1)
    return cli_usage_error(o, "needs exactly one methodology file");
  check_result c;
  memset(&c, 0, sizeof c);
  check_compile(&c, o->pos[0], o->db);
  diag_sort(&c.errs);
  diag_sort(&c.warns);
  /* --require-signed: an unsigned or untrusted file fails the check. */
  cli_sigs sigs = {0};
  int sig = c.m ? cli_signatures(o, c.m->files, c.m->nfiles, NULL, NULL, &sigs) : 0;
  if (sig == 2) {
    check_free(&c);
    return 2;
  }
  int ok = !sig && c.r && c.errs.n == 0 && !(o->strict && c.warns.n);
  if (o->json) {
    json j = {0};
    json_obj(&j);
    json_kv_bool(&j, "ok", ok);
    json_kv_str(&j, "file", o->pos[0]);
    if (c.r) check_json_facts(&j, c.m, c.r, c.rn);
    check_json_diags(&j, "errors", &c.errs);
    check_json_diags(&j, "warnings", &c.warns);
    json_kv_bool(&j, "strict", o->strict);
    if (c.m) cli_sigs_json(&j, &sigs);
    json_obj_end(&j);
    printf("%s\n", j.out.s);
    sb_free(&j.out);
  } else {
    cli_sigs_print(stdout, &sigs);
    cli_print_diags(&c.errs);
    if (c.errs.n == 0 && !c.r) af_textf(stderr, "%s: could not be loaded\n", o->pos[0]);
    check_print_warnings(&c.warns);
    if (c.r && c.errs.n == 0) {
      if (ok) check_print_ok(o->pos[0], c.m, c.r, o->db);
      else if (!sig) af_textf(stderr, "%s: %d warning%s, counted as errors (--strict)\n", o->pos[0],
                   c.warns.n, c.warns.n == 1 ? "" : "s");
    }
  }
  cli_sigs_free(&sigs);
  check_free(&c);
  return ok ? 0 : 1;
}
