/*
** cases.c: load a policy expert's cases file (cases.h) and run its cases
** against a methodology: one scratch SQLite database holds every case as a
** unit (and its members), one run scores them all, and each unit's result is
** compared with what its case expects.
*/
#include "cases.h"

#include <lauxlib.h>
#include <lua.h>
#include <assert.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "import.h"
#include "json.h"
#include "method.h"
#include "rules.h"
#include "run.h"
#include "srcmap.h"

/* ---- rows ---- */

static case_value *cases_row_slot(case_row *r, const char *col) {
  for (int i = 0; i < r->n; i++)
    if (strcmp(r->v[i].col, col) == 0) {
      free(r->v[i].text);
      r->v[i].text = NULL;
      return &r->v[i];
    }
  af_grow(&r->v, &r->cap, r->n + 1, sizeof *r->v);
  case_value *v = &r->v[r->n++];
  memset(v, 0, sizeof *v);
  v->col = af_strdup(col);
  return v;
}

static void cases_row_copy(case_row *dst, const case_row *src) {
  for (int i = 0; i < src->n; i++) {
    case_value *v = cases_row_slot(dst, src->v[i].col);
    v->kind = src->v[i].kind;
    v->num = src->v[i].num;
    v->text = src->v[i].text ? af_strdup(src->v[i].text) : NULL;
  }
}

static void cases_row_free(case_row *r) {
  for (int i = 0; i < r->n; i++) {
    free(r->v[i].col);
    free(r->v[i].text);
  }
  free(r->v);
  memset(r, 0, sizeof *r);
}

/* ---- reading the Lua table ---- */

/* The global `null` of a cases file (Lua tables cannot hold nil): a light
** userdata, the only one a cases script can make. It comes back from the
** script's process as a light userdata too (luadata.h), so any light userdata
** in the result is null. */
static const char cases_null_tag = 0;

typedef struct cases_rd {
  lua_State *L;
  const char *path;
  diag_list *d;
  int line;              /* of the case being read, for messages */
} cases_rd;

static int cases_field(lua_State *L, int t, const char *key) {
  lua_pushstring(L, key);
  return lua_rawget(L, t);
}

/* The table at the top of the stack -> row (overriding what it has). */
static int cases_read_row(cases_rd *rd, case_row *row, const char *what) {
  lua_State *L = rd->L;
  int t = lua_gettop(L);
  if (!lua_istable(L, t)) {
    diag_add(rd->d, rd->path, rd->line, "%s must be a table of column = value", what);
    return -1;
  }
  lua_pushnil(L);
  while (lua_next(L, t)) {
    if (lua_type(L, -2) != LUA_TSTRING) {
      diag_add(rd->d, rd->path, rd->line, "%s: keys must be column names", what);
      lua_pop(L, 2);
      return -1;
    }
    const char *col = lua_tostring(L, -2);
    int ty = lua_type(L, -1);
    if (ty == LUA_TLIGHTUSERDATA) {
      cases_row_slot(row, col)->kind = 0;
      lua_pop(L, 1);
      continue;
    }
    if (ty != LUA_TNUMBER && ty != LUA_TSTRING && ty != LUA_TBOOLEAN) {
      diag_add(rd->d, rd->path, rd->line,
               "%s: column '%s' must be a number, text, true/false or null", what, col);
      lua_pop(L, 2);
      return -1;
    }
    case_value *v = cases_row_slot(row, col);
    v->kind = ty == LUA_TSTRING ? 2 : 1;
    if (ty == LUA_TSTRING) v->text = af_strdup(lua_tostring(L, -1));
    else v->num = ty == LUA_TBOOLEAN ? lua_toboolean(L, -1) : lua_tonumber(L, -1);
    lua_pop(L, 1);
  }
  return 0;
}

static int cases_read_expect(cases_rd *rd, test_case *c, int t) {
  lua_State *L = rd->L;
  int rc = 0;
  if (cases_field(L, t, "category") != LUA_TNIL) {
    if (lua_type(L, -1) == LUA_TSTRING) c->category = af_strdup(lua_tostring(L, -1));
    else rc = -1, diag_add(rd->d, rd->path, rd->line, "expect.category must be text");
  }
  lua_pop(L, 1);
  if (cases_field(L, t, "score") != LUA_TNIL) {
    if (lua_type(L, -1) == LUA_TNUMBER) c->has_score = 1, c->score = lua_tonumber(L, -1);
    else rc = -1, diag_add(rd->d, rd->path, rd->line, "expect.score must be a number");
  }
  lua_pop(L, 1);
  const char *flags[2] = {"poor", "excluded"};
  int *slots[2] = {&c->poor, &c->excluded};
  for (int k = 0; k < 2; k++) {
    if (cases_field(L, t, flags[k]) != LUA_TNIL) {
      if (lua_type(L, -1) == LUA_TBOOLEAN) *slots[k] = lua_toboolean(L, -1);
      else rc = -1, diag_add(rd->d, rd->path, rd->line, "expect.%s must be true or false", flags[k]);
    }
    lua_pop(L, 1);
  }
  if (cases_field(L, t, "measures") != LUA_TNIL) {
    c->has_measures = 1;
    int n = lua_istable(L, -1) ? (int)lua_rawlen(L, -1) : -1;
    if (n < 0) rc = -1, diag_add(rd->d, rd->path, rd->line, "expect.measures must be a list of ids");
    if (n > 0) c->measures = af_calloc((size_t)n, sizeof *c->measures);
    for (int i = 1; i <= n; i++) {
      if (lua_rawgeti(L, -1, i) == LUA_TSTRING)
        c->measures[c->nmeasures++] = af_strdup(lua_tostring(L, -1));
      else
        rc = -1, diag_add(rd->d, rd->path, rd->line, "expect.measures[%d] must be a measure id", i);
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
  return rc;
}

/* The case table at index t. */
static int cases_read_case(cases_rd *rd, test_case *c, int t, const case_row *du,
                           const case_row *dm) {
  lua_State *L = rd->L;
  int rc = 0;
  c->poor = c->excluded = -1;
  if (cases_field(L, t, "name") == LUA_TSTRING) c->name = af_strdup(lua_tostring(L, -1));
  else c->name = af_sprintf("case at line %d", rd->line);
  lua_pop(L, 1);
  cases_row_copy(&c->unit, du);
  if (cases_field(L, t, "unit") != LUA_TNIL) rc |= cases_read_row(rd, &c->unit, "unit");
  lua_pop(L, 1);
  if (cases_field(L, t, "members") != LUA_TNIL) {
    int n = lua_istable(L, -1) ? (int)lua_rawlen(L, -1) : -1;
    if (n < 0) rc = -1, diag_add(rd->d, rd->path, rd->line, "members must be a list of rows");
    if (n > 0) c->members = af_calloc((size_t)n, sizeof *c->members);
    for (int i = 1; i <= n; i++) {
      lua_rawgeti(L, -1, i);
      case_row *mr = &c->members[c->nmembers++];
      cases_row_copy(mr, dm);
      rc |= cases_read_row(rd, mr, "members[i]");
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
  if (cases_field(L, t, "expect") == LUA_TTABLE) rc |= cases_read_expect(rd, c, lua_gettop(L));
  else rc = -1, diag_add(rd->d, rd->path, rd->line, "case '%s' has no expect table", c->name);
  lua_pop(L, 1);
  return rc;
}

static void cases_read_defaults(cases_rd *rd, int top, case_row *du, case_row *dm) {
  lua_State *L = rd->L;
  if (cases_field(L, top, "defaults") == LUA_TTABLE) {
    int t = lua_gettop(L);
    if (cases_field(L, t, "unit") != LUA_TNIL) cases_read_row(rd, du, "defaults.unit");
    lua_pop(L, 1);
    if (cases_field(L, t, "member") != LUA_TNIL) cases_read_row(rd, dm, "defaults.member");
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

static int cases_read(cases_rd *rd, const char *text, size_t len, case_file *cf) {
  lua_State *L = rd->L;
  int top = lua_gettop(L);
  if (!lua_istable(L, top)) {
    diag_add(rd->d, rd->path, 0, "a cases file must return a table { cases = { ... } }");
    return -1;
  }
  srcmap *sm = srcmap_build(text, len);
  int cnode = srcmap_field_node(sm, srcmap_top(sm), "cases");
  case_row du = {0}, dm = {0};
  cases_read_defaults(rd, top, &du, &dm);
  int rc = 0;
  if (cases_field(L, top, "cases") != LUA_TTABLE) {
    diag_add(rd->d, rd->path, 0, "a cases file must return a table { cases = { ... } }");
    rc = -1;
  } else {
    int n = (int)lua_rawlen(L, -1);
    cf->v = af_calloc((size_t)n + 1, sizeof *cf->v);
    for (int i = 1; i <= n; i++) {
      rd->line = srcmap_node_line(sm, srcmap_item_node(sm, cnode, i));
      test_case *c = &cf->v[cf->n++];
      c->line = rd->line;
      if (lua_rawgeti(L, -1, i) != LUA_TTABLE) {
        diag_add(rd->d, rd->path, rd->line, "cases[%d] must be a table", i);
        c->poor = c->excluded = -1;
        rc = -1;
      } else {
        rc |= cases_read_case(rd, c, lua_gettop(L), &du, &dm);
      }
      lua_pop(L, 1);
    }
    if (n == 0) diag_add(rd->d, rd->path, 0, "the cases file has no cases"), rc = -1;
  }
  lua_pop(L, 1);
  cases_row_free(&du);
  cases_row_free(&dm);
  srcmap_free(sm);
  return rc;
}

/* The global `null`, in the script's process. */
static void cases_globals(lua_State *L) {
  lua_pushlightuserdata(L, (void *)&cases_null_tag);
  lua_setglobal(L, "null");
}

typedef struct cases_job {
  const char *path;
  case_file *cf;
} cases_job;

static int cases_take(void *ctx, lua_State *L, import_files *f, diag_list *d) {
  cases_job *j = ctx;
  cases_rd rd = {L, j->path, d, 0};
  return cases_read(&rd, f->files[0].text, f->files[0].len, j->cf);
}

int cases_load(const char *path, const method_opts *o, case_file *cf, diag_list *d) {
  memset(cf, 0, sizeof *cf);
  cf->path = af_strdup(path);
  method_opts mo = *o;
  mo.globals = cases_globals;
  cases_job j = {path, cf};
  return method_run_script(path, &mo, cases_take, &j, d);
}

void cases_free(case_file *cf) {
  for (int i = 0; i < cf->n; i++) {
    test_case *c = &cf->v[i];
    free(c->name);
    cases_row_free(&c->unit);
    for (int k = 0; k < c->nmembers; k++) cases_row_free(&c->members[k]);
    free(c->members);
    free(c->category);
    for (int k = 0; k < c->nmeasures; k++) free(c->measures[k]);
    free(c->measures);
  }
  free(cf->v);
  free(cf->path);
  memset(cf, 0, sizeof *cf);
}

/* ---- the scratch database ---- */

typedef struct cases_cols {
  char **v;
  int n, cap;
} cases_cols;

static void cases_col_add(cases_cols *c, const char *name) {
  if (!name) return;
  for (int i = 0; i < c->n; i++)
    if (strcmp(c->v[i], name) == 0) return;
  af_grow(&c->v, &c->cap, c->n + 1, sizeof *c->v);
  c->v[c->n++] = af_strdup(name);
}

static void cases_cols_free(cases_cols *c) {
  for (int i = 0; i < c->n; i++) free(c->v[i]);
  free(c->v);
}

static int cases_is_result_col(const rules *r, const char *name) {
  for (int i = 0; i < r->np2_cols; i++)
    if (strcmp(r->p2_cols[i].name, name) == 0) return 1;
  return 0;
}

/* The columns the methodology reads (compiled without a schema, every name
** is a column) plus those the cases give: a case need not give what it does
** not care about, and a column no case gives is null. */
static int cases_columns(const model *m, const case_file *cf, cases_cols *uc, cases_cols *mc,
                         diag_list *d) {
  strpool *pool = strpool_new();
  rules *r = NULL;
  if (rules_compile(m, NULL, pool, &r, d) < 0) {
    strpool_free(pool);
    return -1;
  }
  cases_col_add(uc, m->unit_id);
  cases_col_add(uc, m->unit_weight);
  for (int g = 0; g < m->ngroups; g++)
    if (!model_group_rule(m, g)) cases_col_add(uc, m->groups[g]);
  program *ps[2] = {r->p1, r->p2};
  for (int k = 0; k < 2; k++)
    for (int lv = 0; ps[k] && lv < 2; lv++)
      for (int i = 0; i < program_ninputs(ps[k], lv); i++) {
        const char *name = program_input(ps[k], lv, i);
        if (lv == 1) cases_col_add(mc, name);
        else if (!cases_is_result_col(r, name)) cases_col_add(uc, name);
      }
  for (int i = 0; i < cf->n; i++) {
    for (int k = 0; k < cf->v[i].unit.n; k++) cases_col_add(uc, cf->v[i].unit.v[k].col);
    for (int j = 0; j < cf->v[i].nmembers; j++)
      for (int k = 0; k < cf->v[i].members[j].n; k++)
        cases_col_add(mc, cf->v[i].members[j].v[k].col);
  }
  if (m->member_table) cases_col_add(mc, m->member_unit);
  rules_free(r);
  strpool_free(pool);
  return 0;
}

/* TEXT when some case gives the column text, REAL when only numbers, no
** declared type when no case gives it (the rules then decide). */
static const char *cases_col_type(const case_file *cf, const char *col, int member) {
  int num = 0;
  for (int i = 0; i < cf->n; i++) {
    const test_case *c = &cf->v[i];
    int nrows = member ? c->nmembers : 1;
    for (int j = 0; j < nrows; j++) {
      const case_row *r = member ? &c->members[j] : &c->unit;
      for (int k = 0; k < r->n; k++)
        if (strcmp(r->v[k].col, col) == 0) {
          if (r->v[k].kind == 2) return "TEXT";
          num |= r->v[k].kind == 1;
        }
    }
  }
  return num ? "REAL" : "";
}

static int cases_sql(sqlite3 *db, const char *sql, af_err *e) {
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK) return 0;
  af_fail(e, "cases database: %s", msg ? msg : "error");
  sqlite3_free(msg);
  return -1;
}

static int cases_create(sqlite3 *db, const char *table, const cases_cols *c, const case_file *cf,
                        int member, af_err *e) {
  strbuf s = {0};
  char *q = sqlite3_mprintf("%w", table);
  sb_printf(&s, "CREATE TABLE \"%s\" (", q);
  sqlite3_free(q);
  for (int i = 0; i < c->n; i++) {
    q = sqlite3_mprintf("%w", c->v[i]);
    sb_printf(&s, "%s\"%s\" %s", i ? ", " : "", q, cases_col_type(cf, c->v[i], member));
    sqlite3_free(q);
  }
  sb_puts(&s, ")");
  int rc = cases_sql(db, s.s, e);
  sb_free(&s);
  return rc;
}

/* Insert one row: the unit id (or link) column gets id, the rest the row's
** values, null where the row has none. */
static int cases_insert(sqlite3 *db, const char *table, const cases_cols *c, const char *idcol,
                        const char *id, const case_row *row, af_err *e) {
  strbuf s = {0};
  char *q = sqlite3_mprintf("%w", table);
  sb_printf(&s, "INSERT INTO \"%s\" VALUES (", q);
  sqlite3_free(q);
  for (int i = 0; i < c->n; i++) sb_printf(&s, "%s?", i ? ", " : "");
  sb_puts(&s, ")");
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db, s.s, -1, &st, NULL);
  sb_free(&s);
  for (int i = 0; rc == SQLITE_OK && i < c->n; i++) {
    if (strcmp(c->v[i], idcol) == 0) {
      sqlite3_bind_text(st, i + 1, id, -1, SQLITE_TRANSIENT);
      continue;
    }
    for (int k = 0; k < row->n; k++)
      if (strcmp(row->v[k].col, c->v[i]) == 0) {
        if (row->v[k].kind == 2) sqlite3_bind_text(st, i + 1, row->v[k].text, -1, SQLITE_TRANSIENT);
        else if (row->v[k].kind == 1) sqlite3_bind_double(st, i + 1, row->v[k].num);
      }
  }
  if (rc == SQLITE_OK) rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
  if (rc != SQLITE_OK) af_fail(e, "cases database: %s", sqlite3_errmsg(db));
  sqlite3_finalize(st);
  return rc == SQLITE_OK ? 0 : -1;
}

/* Unit ids sort in case order: "case0001", ... */
static void cases_id(int i, char out[32]) { snprintf(out, 32, "case%06d", i + 1); }

static int cases_build(const char *path, const model *m, const case_file *cf, const cases_cols *uc,
                       const cases_cols *mc, af_err *e) {
  sqlite3 *db = NULL;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
    af_fail(e, "cannot create the cases database %s", path);
    sqlite3_close(db);
    return -1;
  }
  int rc = cases_sql(db, "BEGIN", e);
  if (rc == 0) rc = cases_create(db, m->unit_table, uc, cf, 0, e);
  if (rc == 0 && m->member_table) rc = cases_create(db, m->member_table, mc, cf, 1, e);
  for (int i = 0; rc == 0 && i < cf->n; i++) {
    char id[32];
    cases_id(i, id);
    rc = cases_insert(db, m->unit_table, uc, m->unit_id, id, &cf->v[i].unit, e);
    for (int k = 0; rc == 0 && m->member_table && k < cf->v[i].nmembers; k++)
      rc = cases_insert(db, m->member_table, mc, m->member_unit, id, &cf->v[i].members[k], e);
  }
  if (rc == 0) rc = cases_sql(db, "COMMIT", e);
  sqlite3_close(db);
  return rc;
}

/* ---- scoring and comparing ---- */

typedef struct cases_ctx {
  const case_file *cf;
  case_result *res;
} cases_ctx;

static int cases_batch(void *ctx, const run *rn, const batch *b, const char *const *ids,
                       af_err *e) {
  cases_ctx *cx = ctx;
  const scorer *s = run_scorer(rn, 0);
  const model *m = run_model(rn, 0);
  for (int u = 0; u < b->nunits; u++) {
    int i = atoi(ids[u] + 4) - 1;
    assert(i >= 0 && i < cx->cf->n);
    case_result *r = &cx->res[i];
    free(r->category);
    free(r->measures);
    r->excluded = s->excluded[u];
    r->category = r->excluded ? NULL : af_strdup(m->bands[s->band[u]].id);
    r->score = s->score[u];
    r->poor = m->scoring == SCORING_AF && !r->excluded ? s->poor[u] : -1;
    strbuf ms = {0};
    for (int k = 0; k < m->nbenefits; k++)
      if (s->eligible[u] >> k & 1) sb_printf(&ms, "%s%s", ms.len ? ", " : "", m->benefits[k].id);
    r->measures = sb_take(&ms);
  }
  return 0;
}

/* Is id in the list "a, b, c"? */
static int cases_listed(const char *list, const char *id) {
  size_t n = strlen(id);
  for (const char *p = list; (p = strstr(p, id)) != NULL; p += n)
    if ((p == list || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0')) return 1;
  return 0;
}

static void cases_judge(const model *m, const test_case *c, case_result *r) {
  strbuf why = {0};
  const char *got = r->category ? r->category : "(excluded)";
  if (c->category && strcmp(c->category, got) != 0)
    sb_printf(&why, "; category expected %s, got %s", c->category, got);
  if (c->has_score) {
    char a[32], b[32];
    json_fmt_double(c->score, a);
    json_fmt_double(r->score, b);
    if (r->excluded || fabs(r->score - c->score) > 1e-9 * fmax(1.0, fabs(c->score)))
      sb_printf(&why, "; score expected %s, got %s", a, r->excluded ? "none (excluded)" : b);
  }
  if (c->poor >= 0 && c->poor != r->poor)
    sb_printf(&why, "; poor expected %s, got %s", c->poor ? "true" : "false",
              r->poor < 0 ? (m->scoring == SCORING_AF ? "none (excluded)" : "none (points)")
                          : r->poor ? "true" : "false");
  if (c->excluded >= 0 && c->excluded != r->excluded)
    sb_printf(&why, "; excluded expected %s, got %s", c->excluded ? "true" : "false",
              r->excluded ? "true" : "false");
  if (c->has_measures) {
    int same = 1, ngot = 0;
    for (int k = 0; k < c->nmeasures; k++) same &= cases_listed(r->measures, c->measures[k]);
    for (const char *p = r->measures; *p; p++) ngot += *p == ',';
    ngot += *r->measures != '\0';
    if (!same || ngot != c->nmeasures) {
      strbuf want = {0};
      for (int k = 0; k < c->nmeasures; k++) sb_printf(&want, "%s%s", k ? ", " : "", c->measures[k]);
      sb_printf(&why, "; measures expected {%s}, got {%s}", want.s ? want.s : "", r->measures);
      sb_free(&want);
    }
  }
  r->pass = why.len == 0;
  r->why = r->pass ? NULL : af_strdup(why.s + 2);
  sb_free(&why);
}


int cases_run(const model *m, const case_file *cf, case_result **out, diag_list *d, af_err *e) {
  *out = NULL;
  cases_cols uc = {0}, mc = {0};
  if (cases_columns(m, cf, &uc, &mc, d) < 0) {
    cases_cols_free(&uc);
    cases_cols_free(&mc);
    return af_fail(e, "the methodology does not compile");
  }
  const char *tmp = getenv("TMPDIR");
  char *path = af_sprintf("%s/afscore-cases-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  int fd = mkstemp(path);
  int rc = -1;
  if (fd < 0) {
    af_fail(e, "cannot create a scratch database in %s", tmp && *tmp ? tmp : "/tmp");
    goto done;
  }
  close(fd);
  if (cases_build(path, m, cf, &uc, &mc, e) < 0) goto done;
  run *rn;
  const model *ms[1] = {m};
  cases_ctx cx = {cf, af_calloc((size_t)cf->n + 1, sizeof(case_result))};
  for (int i = 0; i < cf->n; i++) cx.res[i].excluded = 1, cx.res[i].poor = -1;
  /* One thread: a handful of cases need no reader thread. No begin_pass
  ** hook: results are keyed by case, so a restart rewrites them. */
  run_options ro = {.threads = 1, .batch = cases_batch, .ctx = &cx};
  if (run_open(&rn, path, ms, 1, &ro, d, e) < 0) {
    run_close(rn);
    cases_free_results(cx.res, cf->n);
    if (!e->msg[0]) af_fail(e, "the cases do not fit the methodology");
    goto done;
  }
  rc = run_execute(rn, e);
  run_close(rn);
  for (int i = 0; rc == 0 && i < cf->n; i++) {
    if (!cx.res[i].measures) cx.res[i].measures = af_strdup("");
    cases_judge(m, &cf->v[i], &cx.res[i]);
  }
  if (rc == 0) *out = cx.res;
  else cases_free_results(cx.res, cf->n);
done:
  if (fd >= 0) unlink(path);
  free(path);
  cases_cols_free(&uc);
  cases_cols_free(&mc);
  return rc;
}

void cases_free_results(case_result *res, int n) {
  if (!res) return;
  for (int i = 0; i < n; i++) {
    free(res[i].category);
    free(res[i].measures);
    free(res[i].why);
  }
  free(res);
}
