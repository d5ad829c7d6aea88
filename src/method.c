/*
** method.c: load a methodology script, run it in the sandbox and turn the
** table it returns into a validated model.
**
** Three parts:
**  - running: the main file and its imports (import.c) run in the sandbox,
**    by default inside a child process under kernel limits (isolate.c) that
**    sends back the returned table as data (luadata.c);
**  - conversion: walk the returned Lua table with raw accesses only (no
**    metamethod can run), filling the model and collecting every fault in the
**    diag_list instead of stopping at the first;
**  - lines: a source map of the main file (srcmap.h) is walked alongside the
**    table, so each fault is reported at the line where it is written. What
**    is not written literally in the main file (imported, built by code) is
**    reported at the line that brought it in.
*/
#include "method.h"

#include <assert.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "edit.h"
#include "import.h"
#include "isolate.h"
#include "luadata.h"
#include "sandbox.h"
#include "srcmap.h"
#include "strpool.h"
#include "track.h"

#define WEIGHT_EPS 1e-9
/* Fields a methodology table may have (the top level has the most: 13). */
#define CONV_MAX_FIELDS 16

/* ========================================================== conversion */

/* Where a field of an imported table was last written, as recorded while
** the script ran (track.h); seq orders the writes. */
typedef struct place {
  char *file;
  int line;
  long long seq;
} place;

/* A line as conv passes it around: > 0 a line of the main file, < 0 the
** place -line - 1 (a line of another file), 0 unknown. */
typedef struct wpos {
  int line;
  long long seq;             /* of the write that set the value; 0 if not recorded */
} wpos;

typedef struct conv {
  lua_State *L;
  model *m;
  diag_list *d;
  const char *file;
  const srcmap *sm;
  int fallback;              /* line of the first import(), else 0 */
  /* did-you-mean answers of the table being read: distinct fields of its
  ** allowed list, so at most CONV_MAX_FIELDS */
  const char *suggested[CONV_MAX_FIELDS];
  int nsuggested;
  int weights_bad;           /* a weight was unusable: skip the sum checks */
  strmap ids[4];             /* by def_kind: id -> index of its first definition */
  strmap placed;             /* (table, key) -> index in places */
  place *places;
  int nplaces, capplaces;
  wpos *dim_w, *ind_w, *band_from; /* where each weight / band bound was set */
} conv;

/* Lists whose ids must be unique. */
enum { DEF_IND, DEF_DIM, DEF_BAND, DEF_MEASURE };

/* The index of the earlier definition of id in list kind, or -1 when this
** (index) is the first: a hash lookup, so that validation stays linear. */
static int first_def(conv *c, int kind, const char *id, int index) {
  int fresh;
  int *slot = strmap_slot(&c->ids[kind], id, strlen(id), &fresh);
  if (fresh) *slot = index;
  return fresh ? -1 : *slot;
}

/* Where a definition is written: its constructor in the source map (or -1)
** and the line to report it at. */
typedef struct loc {
  int node, line;
  const void *tab;           /* the definition's Lua table, for recorded writes */
} loc;

static void err(conv *c, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void err(conv *c, int line, const char *fmt, ...) {
  char buf[AF_ERRLEN];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  const char *file = c->file;
  if (line < 0) {
    assert(-line - 1 < c->nplaces);
    file = c->places[-line - 1].file;
    line = c->places[-line - 1].line;
  }
  diag_add(c->d, file, line, "%s", buf);
}

/* ---- recorded writes (track.h) ---- */

/* The key of field key (or item idx when key is NULL) of table tab. */
static size_t place_key(char *buf, size_t cap, const void *tab, const char *key,
                        lua_Integer idx) {
  size_t kl = key ? strlen(key) : sizeof idx;
  if (sizeof tab + 1 + kl > cap) return 0;
  memcpy(buf, &tab, sizeof tab);
  buf[sizeof tab] = key ? 's' : 'i';
  memcpy(buf + sizeof tab + 1, key ? (const void *)key : (const void *)&idx, kl);
  return sizeof tab + 1 + kl;
}

/* Read the positions table at index pos: { table -> { key -> { file, line, seq } } }. */
static void places_load(conv *c, int pos) {
  lua_State *L = c->L;
  char buf[512];
  int fresh;
  lua_pushnil(L);
  while (lua_next(L, pos)) {
    const void *tab = lua_topointer(L, -2);
    if (lua_type(L, -2) == LUA_TTABLE && lua_type(L, -1) == LUA_TTABLE) {
      lua_pushnil(L);
      while (lua_next(L, -2)) {
        int kt = lua_type(L, -2);
        size_t kl = kt == LUA_TSTRING ? place_key(buf, sizeof buf, tab, lua_tostring(L, -2), 0)
                    : lua_isinteger(L, -2) ? place_key(buf, sizeof buf, tab, NULL,
                                                        lua_tointeger(L, -2))
                                           : 0;
        if (kl && lua_type(L, -1) == LUA_TTABLE && lua_rawgeti(L, -1, 1) == LUA_TSTRING) {
          af_grow(&c->places, &c->capplaces, c->nplaces + 1, sizeof *c->places);
          place *p = &c->places[c->nplaces];
          p->file = af_strdup(lua_tostring(L, -1));
          lua_rawgeti(L, -2, 2);
          lua_rawgeti(L, -3, 3);
          p->line = (int)lua_tointeger(L, -2);
          p->seq = (long long)lua_tointeger(L, -1);
          lua_pop(L, 2);
          *strmap_slot(&c->placed, buf, kl, &fresh) = c->nplaces++;
        }
        lua_pop(L, 2);
      }
    }
    lua_pop(L, 1);
  }
}

/* Where field key (or item idx) of table tab was last written, if recorded. */
static wpos placed(const conv *c, const void *tab, const char *key, lua_Integer idx) {
  char buf[512];
  size_t kl = tab ? place_key(buf, sizeof buf, tab, key, idx) : 0;
  int i = kl ? strmap_get(&c->placed, buf, kl) : -1;
  if (i < 0) return (wpos){0, 0};
  const place *p = &c->places[i];
  return (wpos){p->line > 0 && strcmp(p->file, c->file) == 0 ? p->line : -i - 1, p->seq};
}

/* A line to keep in the model, which knows only the main file: a line of
** another file becomes the line that imported it. */
static int mline(const conv *c, int line) { return line < 0 ? c->fallback : line; }

/* Of two positions, the one written last (a recorded write before none). */
static wpos later(wpos a, wpos b) { return b.seq > a.seq ? b : a; }

/* The shortest decimal that reads back as v (to 1e-10, relative). */
static const char *fmtnum(double v, char buf[40]) {
  if (isnan(v)) return "nan";
  if (isinf(v)) return v > 0 ? "math.huge" : "-math.huge";
  if (v == trunc(v) && fabs(v) < 1e15) { /* -30, not -3e+01 */
    snprintf(buf, 40, "%.0f", v);
    return buf;
  }
  for (int p = 1; p <= 17; p++) {
    snprintf(buf, 40, "%.*g", p, v);
    if (fabs(strtod(buf, NULL) - v) <= 1e-10 * fmax(1.0, fabs(v))) break;
  }
  return buf;
}

/* A short description of the value at idx, for "got ..." messages. */
static const char *describe(lua_State *L, int idx, char buf[96]) {
  switch (lua_type(L, idx)) {
  case LUA_TNIL: return "nothing";
  case LUA_TBOOLEAN: return lua_toboolean(L, idx) ? "true" : "false";
  case LUA_TNUMBER: {
    char nb[40];
    snprintf(buf, 96, "%s", fmtnum(lua_tonumber(L, idx), nb));
    return buf;
  }
  case LUA_TSTRING: {
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    snprintf(buf, 96, "'%.*s%s'", n > 40 ? 40 : (int)n, s, n > 40 ? "..." : "");
    return buf;
  }
  case LUA_TTABLE: return "a table";
  case LUA_TFUNCTION: return "a function";
  default: return luaL_typename(L, idx);
  }
}

/* A copy of the string at idx. One with a NUL byte is reported (what and
** field name it; C strings would cut it there, silently changing its
** meaning); the copy is kept for the rest of the checks. */
static char *take_str(conv *c, int idx, int line, const char *what, const char *field) {
  size_t n;
  const char *s = lua_tolstring(c->L, idx, &n);
  size_t at = strlen(s);
  if (at < n)
    err(c, line, "%s%s contains a NUL byte (\\0) at byte %zu (after '%.40s'): "
                 "methodology text cannot contain NUL bytes", what, field, at + 1, s);
  return af_strdup(s);
}

static int rawfield(lua_State *L, int t, const char *key) {
  lua_pushstring(L, key);
  return lua_rawget(L, t);
}

/* ---- lines ---- */

/* Line of field key of a definition: where `key =` is written in its
** constructor; for a definition not written literally, the one `x.key =`
** assignment of the file if there is exactly one; else the definition's. */
static int fline(const conv *c, loc l, const char *key) {
  wpos w = placed(c, l.tab, key, 0);
  if (w.line) return w.line;
  if (l.node >= 0) {
    int ln = srcmap_field_line(c->sm, l.node, key);
    return ln ? ln : l.line;
  }
  if (srcmap_assign_count(c->sm, key, 1) == 1) return srcmap_assign_line(c->sm, key, 1);
  return l.line;
}

/* Line of a top-level field: in the returned constructor, else the first
** `x.key =` (a variant editing its copy), else (no literal table at all)
** the first `key =`. */
static int top_fline(const conv *c, loc top, const char *key) {
  wpos w = placed(c, top.tab, key, 0);
  if (w.line) return w.line;
  int ln = top.node >= 0 ? srcmap_field_line(c->sm, top.node, key) : 0;
  if (!ln) ln = srcmap_assign_line(c->sm, key, 1);
  if (!ln && top.node < 0) ln = srcmap_assign_line(c->sm, key, 0);
  return ln ? ln : top.line;
}

/* Locate item idx1 of a list whose constructor is list_node: the item at
** the top of the stack, its list just below. Written literally in the main
** file: its `id`; else where the item was put in the list, if recorded;
** else the list's line. */
static loc def_loc(const conv *c, int list_node, int idx1, const char *id, int holder_line) {
  int t = lua_gettop(c->L);
  assert(lua_istable(c->L, t - 1));
  const void *tab = lua_topointer(c->L, t), *list = lua_topointer(c->L, t - 1);
  int n = srcmap_item_node(c->sm, list_node, idx1);
  if (n >= 0 && id && !srcmap_node_has_id(c->sm, n, id)) n = -1;
  if (n < 0 && id) n = srcmap_find_id(c->sm, id);
  if (n < 0) {
    wpos w = placed(c, list, NULL, idx1);
    return (loc){-1, w.line ? w.line : holder_line, tab};
  }
  int ln = srcmap_field_value_line(c->sm, n, "id");
  return (loc){n, ln ? ln : srcmap_node_line(c->sm, n), tab};
}

/* ---- fields ---- */

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int in_list(const char *s, const char *const *v, int n) {
  for (int i = 0; i < n; i++)
    if (strcmp(s, v[i]) == 0) return 1;
  return 0;
}

/* Has check_fields already suggested field name for the table being read? */
static int was_suggested(const conv *c, const char *name) {
  for (int i = 0; i < c->nsuggested; i++)
    if (strcmp(c->suggested[i], name) == 0) return 1;
  return 0;
}

/* A positional item (index item) of a definition written at l: when its
** line has a number with a decimal comma, say so (1); else 0. */
static int stray_number(conv *c, loc l, int item, const char *what) {
  char num[64];
  int line = l.node >= 0 && item > 0 ? srcmap_item_line(c->sm, l.node, item) : 0;
  if (!line) line = l.line;
  if (!srcmap_comma_number(c->sm, line, num, sizeof num)) return 0;
  char *dot = af_strdup(num);
  *strchr(dot, ',') = '.';
  err(c, line, "%s'%s' has a decimal comma: write %s (a comma separates entries, so Lua "
               "read %.*s and a stray %s)", what, num, dot, (int)(strchr(num, ',') - num), num,
      strchr(num, ',') + 1);
  free(dot);
  return 1;
}

/* Report every key of table t that is not in allowed (nor in tolerated,
** fields of the other scoring kind that get their own message). */
static void check_fields(conv *c, int t, const char *const *allowed, int nallowed,
                         const char *const *tolerated, int ntolerated, loc l,
                         const char *what) {
  assert(nallowed <= CONV_MAX_FIELDS);
  lua_State *L = c->L;
  char **bad = NULL;
  int nbad = 0, cap = 0, nonstring = 0, item = 0;
  c->nsuggested = 0;
  lua_pushnil(L);
  while (lua_next(L, t)) {
    if (lua_type(L, -2) != LUA_TSTRING) {
      if (!nonstring++ && lua_isinteger(L, -2) && lua_tointeger(L, -2) < INT_MAX)
        item = (int)lua_tointeger(L, -2);
    } else {
      const char *k = lua_tostring(L, -2);
      if (strlen(k) < lua_rawlen(L, -2)) {
        err(c, l.line, "%sa field name contains a NUL byte (\\0) after '%.40s': methodology "
                       "text cannot contain NUL bytes", what, k);
      } else if (!in_list(k, allowed, nallowed) && !in_list(k, tolerated, ntolerated)) {
        af_grow(&bad, &cap, nbad + 1, sizeof *bad);
        bad[nbad++] = af_strdup(k);
      }
    }
    lua_pop(L, 1);
  }
  if (nbad > 1) qsort(bad, (size_t)nbad, sizeof *bad, cmp_str);
  for (int i = 0; i < nbad; i++) {
    const char *s = af_suggest(bad[i], allowed, nallowed);
    int line = fline(c, l, bad[i]);
    if (s) {
      err(c, line, "%sunknown field '%s' (did you mean '%s'?)", what, bad[i], s);
      if (!was_suggested(c, s)) {
        assert(c->nsuggested < CONV_MAX_FIELDS);
        c->suggested[c->nsuggested++] = s;
      }
    } else {
      strbuf b = {0};
      for (int j = 0; j < nallowed; j++) sb_printf(&b, "%s%s", j ? ", " : "", allowed[j]);
      err(c, line, "%sunknown field '%s' (allowed: %s)", what, bad[i], b.s);
      sb_free(&b);
    }
    free(bad[i]);
  }
  free(bad);
  if (nonstring && !stray_number(c, l, item, what))
    err(c, l.line, "%sunexpected list item; fields are written as name = value", what);
}

static void missing_field(conv *c, int line, const char *what, const char *key,
                          const char *hint) {
  if (was_suggested(c, key)) return; /* already said: did you mean key? */
  err(c, line, "%smissing required field '%s' (%s)", what, key, hint);
}

/* Read t.key as a non-empty string into *out. 1: read; 0: absent (reported
** when hint, the description of a required field, is given); -1: wrong. */
static int get_string(conv *c, int t, const char *key, int line, const char *what,
                      const char *hint, char **out) {
  lua_State *L = c->L;
  char db[96];
  int ty = rawfield(L, t, key);
  int r = 1;
  if (ty == LUA_TNIL) {
    if (hint) missing_field(c, line, what, key, hint);
    r = 0;
  } else if (ty != LUA_TSTRING) {
    err(c, line, "%s%s must be a string, got %s", what, key, describe(L, -1, db));
    r = -1;
  } else if (lua_rawlen(L, -1) == 0) {
    err(c, line, "%s%s must not be empty", what, key);
    r = -1;
  } else {
    *out = take_str(c, -1, line, what, key);
  }
  lua_pop(L, 1);
  return r;
}

/* Read t.key as a number. 1: read; 0: absent; -1: not a number (reported
** with expect, e.g. "a number > 0"). */
static int get_number(conv *c, int t, const char *key, int line, const char *what,
                      const char *expect, double *out) {
  lua_State *L = c->L;
  char db[96];
  int ty = rawfield(L, t, key);
  int r = 1;
  if (ty == LUA_TNIL) r = 0;
  else if (ty != LUA_TNUMBER) {
    err(c, line, "%s%s must be %s, got %s", what, key, expect, describe(L, -1, db));
    r = -1;
  } else *out = lua_tonumber(L, -1);
  lua_pop(L, 1);
  return r;
}

/* Read t.key as one of vals; returns its index, def when absent or wrong. */
static int get_enum(conv *c, int t, const char *key, const char *const *vals, int n, int def,
                    int line, const char *what) {
  lua_State *L = c->L;
  char db[96];
  int ty = rawfield(L, t, key);
  int r = def;
  if (ty != LUA_TNIL) {
    const char *s = ty == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    for (int i = 0; s && i < n; i++)
      if (strcmp(s, vals[i]) == 0) r = i;
    if (!s || strcmp(s, vals[r]) != 0) {
      strbuf b = {0};
      for (int i = 0; i < n; i++)
        sb_printf(&b, "%s\"%s\"", i == 0 ? "" : i == n - 1 ? " or " : ", ", vals[i]);
      const char *sug = s ? af_suggest(s, vals, n) : NULL;
      err(c, line, "%s%s must be %s, got %s%s%s%s", what, key, b.s, describe(L, -1, db),
          sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "");
      sb_free(&b);
      r = def;
    }
  }
  lua_pop(L, 1);
  return r;
}

/* Push t.key; if it is a proper non-empty list return its length, else
** report, pop and return -1 (0 and popped when absent). */
static int get_list(conv *c, int t, const char *key, int line, const char *what,
                    const char *shape) {
  lua_State *L = c->L;
  char db[96];
  int ty = rawfield(L, t, key);
  if (ty == LUA_TNIL) {
    lua_pop(L, 1);
    return 0;
  }
  if (ty != LUA_TTABLE) {
    err(c, line, "%s%s must be a list %s, got %s", what, key, shape, describe(L, -1, db));
    lua_pop(L, 1);
    return -1;
  }
  lua_Unsigned n = lua_rawlen(L, -1);
  lua_Integer count = 0;
  int ok = 1;
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pop(L, 1);
    count++;
    if (!lua_isinteger(L, -1)) ok = 0;
  }
  if (!ok || (lua_Unsigned)count != n) {
    err(c, line, "%s%s must be a list %s, not a table with named fields", what, key, shape);
    lua_pop(L, 1);
    return -1;
  }
  if (n == 0) {
    err(c, line, "%s%s must not be empty", what, key);
    lua_pop(L, 1);
    return -1;
  }
  if (n > INT_MAX / 64) n = INT_MAX / 64;
  return (int)n;
}

static const char *const policy_names[] = {"exclude", "deprived", "not_deprived"};

/* ---- unit, members, params, define ---- */

/* The survey design columns of unit (docs/inference.md). Design-based
** estimates are of the AF measure over units: the population of members
** would need a weight per person, which a household design does not give. */
static void conv_design(conv *c, int u, loc l) {
  model *m = c->m;
  int sl = fline(c, l, "strata"), pl = fline(c, l, "psu"), yl = fline(c, l, "year");
  get_string(c, u, "strata", sl, "unit: ", NULL, &m->unit_strata);
  get_string(c, u, "psu", pl, "unit: ", NULL, &m->unit_psu);
  get_string(c, u, "round", fline(c, l, "round"), "unit: ", NULL, &m->unit_round);
  get_string(c, u, "year", yl, "unit: ", NULL, &m->unit_year);
  if (m->unit_year && !m->unit_round)
    err(c, yl, "unit: year needs round (the column that tells the rounds of a pooled survey apart)");
}

static loc begin_def(conv *c, int t, int list_node, int i, int holder, const char *kind,
                     char *what, size_t wn);

/* The bins of a computed group (list at the top of the stack, n items):
** finite numbers in strictly ascending order. */
static void conv_bins(conv *c, int n, int line, const char *what, model_group_calc *g) {
  lua_State *L = c->L;
  char db[96], n1[40], n2[40];
  g->bins = af_calloc((size_t)n, sizeof *g->bins);
  for (int i = 1; i <= n; i++) {
    int ok = lua_rawgeti(L, -1, i) == LUA_TNUMBER && isfinite(lua_tonumber(L, -1));
    if (!ok)
      err(c, line, "%sbins must be finite numbers, item %d is %s", what, i,
          describe(L, -1, db));
    else if (g->nbins > 0 && !(lua_tonumber(L, -1) > g->bins[g->nbins - 1]))
      err(c, line, "%sbins must be in ascending order, each above the one before: %s comes "
                   "after %s", what, fmtnum(lua_tonumber(L, -1), n1),
          fmtnum(g->bins[g->nbins - 1], n2));
    else
      g->bins[g->nbins++] = lua_tonumber(L, -1);
    lua_pop(L, 1);
  }
}

/* A computed group { id = ..., rule = ..., bins = { ... } }, item i of
** unit.groups (at the top of the stack). */
static void conv_group_calc(conv *c, int list_node, int i, int holder) {
  static const char *const f[] = {"id", "rule", "bins"};
  model *m = c->m;
  int t = lua_gettop(c->L);
  char what[160];
  loc l = begin_def(c, t, list_node, i, holder, "unit: group", what, sizeof what);
  int g = m->ngroups++;
  model_group_calc *gc = &m->group_calc[g];
  gc->line = l.line;
  check_fields(c, t, f, 3, NULL, 0, l, what);
  if (get_string(c, t, "id", l.line, what, "the name its rows are reported under",
                 &m->groups[g]) <= 0)
    m->groups[g] = af_strdup("");
  get_string(c, t, "rule", fline(c, l, "rule"), what,
             "an expression that gives a number per unit, such as \"count()\"", &gc->rule);
  if (!gc->rule) gc->rule = af_strdup("");
  int bl = fline(c, l, "bins");
  int n = get_list(c, t, "bins", bl, what, "of numbers { 1, 2, 3, 5, 8 }");
  if (n > 0) {
    conv_bins(c, n, bl, what, gc);
    lua_pop(c->L, 1);
  }
}

/* Each group's rows are reported under its name: names must differ. */
static void check_group_names(conv *c, int line) {
  const model *m = c->m;
  strmap seen = {0};
  int fresh;
  for (int g = 0; g < m->ngroups; g++) {
    if (!*m->groups[g]) continue;
    int *slot = strmap_slot(&seen, m->groups[g], strlen(m->groups[g]), &fresh);
    if (!fresh)
      err(c, m->group_calc[g].rule ? m->group_calc[g].line : line,
          "unit: group '%s' is listed twice (each group's rows are reported under its name)",
          m->groups[g]);
    *slot = g;
  }
  strmap_free(&seen);
}

static void conv_unit(conv *c, int t, loc top) {
  static const char *const f[] = {"table", "id", "weight", "groups",
                                  "strata", "psu", "round", "year"};
  lua_State *L = c->L;
  model *m = c->m;
  char db[96];
  m->unit_line = top_fline(c, top, "unit");
  int ty = rawfield(L, t, "unit");
  if (ty != LUA_TTABLE) {
    if (ty == LUA_TNIL)
      err(c, m->unit_line, "missing required field 'unit' (where the data is: "
                           "unit = { table = \"families\", id = \"family_id\" })");
    else
      err(c, m->unit_line, "unit must be a table like { table = \"families\", id = "
                           "\"family_id\" }, got %s", describe(L, -1, db));
    lua_pop(L, 1);
    return;
  }
  int u = lua_gettop(L);
  loc l = {srcmap_field_node(c->sm, top.node, "unit"), m->unit_line, lua_topointer(L, u)};
  check_fields(c, u, f, 8, NULL, 0, l, "unit: ");
  get_string(c, u, "table", fline(c, l, "table"), "unit: ",
             "the table with one row per unit", &m->unit_table);
  get_string(c, u, "id", fline(c, l, "id"), "unit: ", "the column that identifies a unit",
             &m->unit_id);
  get_string(c, u, "weight", fline(c, l, "weight"), "unit: ", NULL, &m->unit_weight);
  conv_design(c, u, l);
  int gl = fline(c, l, "groups");
  int n = get_list(c, u, "groups", gl, "unit: ", "of column names { \"region\", ... }");
  if (n > 0) {
    m->groups = af_calloc((size_t)n, sizeof *m->groups);
    m->group_calc = af_calloc((size_t)n, sizeof *m->group_calc);
    int node = srcmap_field_node(c->sm, l.node, "groups");
    for (int i = 1; i <= n; i++) {
      int it = lua_rawgeti(L, -1, i);
      if (it == LUA_TSTRING && lua_rawlen(L, -1) > 0)
        m->groups[m->ngroups++] = take_str(c, -1, gl, "unit: ", "groups item");
      else if (it == LUA_TTABLE)
        conv_group_calc(c, node, i, gl);
      else
        err(c, gl, "unit: groups must list column names or computed groups { id = ..., "
                   "rule = ..., bins = { ... } }, item %d is %s", i, describe(L, -1, db));
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
    check_group_names(c, gl);
  }
  lua_pop(L, 1);
}

static void conv_members(conv *c, int t, loc top) {
  static const char *const f[] = {"table", "unit"};
  lua_State *L = c->L;
  model *m = c->m;
  char db[96];
  m->members_line = top_fline(c, top, "members");
  int ty = rawfield(L, t, "members");
  if (ty == LUA_TNIL) {
    lua_pop(L, 1);
    return;
  }
  if (ty != LUA_TTABLE) {
    err(c, m->members_line, "members must be a table like { table = \"persons\", unit = "
                            "\"family_id\" }, got %s", describe(L, -1, db));
    lua_pop(L, 1);
    return;
  }
  int u = lua_gettop(L);
  loc l = {srcmap_field_node(c->sm, top.node, "members"), m->members_line,
           lua_topointer(L, u)};
  check_fields(c, u, f, 2, NULL, 0, l, "members: ");
  get_string(c, u, "table", fline(c, l, "table"), "members: ",
             "the table with one row per member", &m->member_table);
  get_string(c, u, "unit", fline(c, l, "unit"), "members: ",
             "the column of the members table that holds the unit id", &m->member_unit);
  lua_pop(L, 1);
}

static int is_identifier(const char *s) {
  static const char *const reserved[] = {"and", "or", "not", "in", "between", "is",
                                         "null", "true", "false"};
  if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_')) return 0;
  for (const char *p = s; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
          (*p >= '0' && *p <= '9')))
      return 0;
  return !in_list(s, reserved, 9);
}

/* One named entry of params / define, before sorting. */
typedef struct named {
  char *name;
  int line;
  int is_text;
  double num;
  char *text;
} named;

static int cmp_named(const void *a, const void *b) {
  const named *x = a, *y = b;
  if (x->line != y->line) return x->line < y->line ? -1 : 1;
  return strcmp(x->name, y->name);
}

/* Read a table name -> value (params or define) into a list sorted by line,
** then name. Values are checked by the caller. */
static named *read_named(conv *c, int t, const char *key, loc top, int *count) {
  lua_State *L = c->L;
  char db[96];
  *count = 0;
  int line = top_fline(c, top, key);
  int ty = rawfield(L, t, key);
  if (ty != LUA_TTABLE) {
    if (ty != LUA_TNIL)
      err(c, line, "%s must be a table of name = value, got %s", key, describe(L, -1, db));
    lua_pop(L, 1);
    return NULL;
  }
  int node = srcmap_field_node(c->sm, top.node, key);
  named *v = NULL;
  int cap = 0;
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    if (lua_type(L, -2) != LUA_TSTRING) {
      char what[80];
      snprintf(what, sizeof what, "%s: ", key);
      loc l = {node, line, lua_topointer(L, -3)};
      int item = lua_isinteger(L, -2) && lua_tointeger(L, -2) < INT_MAX
                     ? (int)lua_tointeger(L, -2) : 0;
      if (!stray_number(c, l, item, what))
        err(c, line, "%s: every entry needs a name (name = value), got an entry at %s", key,
            describe(L, -2, db));
      lua_pop(L, 1);
      continue;
    }
    af_grow(&v, &cap, *count + 1, sizeof *v);
    named *e = &v[(*count)++];
    memset(e, 0, sizeof *e);
    e->name = take_str(c, -2, line, key, " name");
    e->line = placed(c, lua_topointer(L, -3), e->name, 0).line;
    if (!e->line) e->line = srcmap_field_line(c->sm, node, e->name);
    if (!e->line) e->line = line;
    if (lua_type(L, -1) == LUA_TSTRING) {
      char field[160];
      snprintf(field, sizeof field, " '%.100s'", e->name);
      e->is_text = 1;
      e->text = take_str(c, -1, e->line, key, field);
    } else if (lua_type(L, -1) == LUA_TNUMBER) {
      e->num = lua_tonumber(L, -1);
    } else {
      e->is_text = -1;
      e->text = af_strdup(describe(L, -1, db));
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  if (*count > 1) qsort(v, (size_t)*count, sizeof *v, cmp_named);
  return v;
}

static void conv_params(conv *c, int t, loc top) {
  model *m = c->m;
  char nb[40];
  int n;
  named *v = read_named(c, t, "params", top, &n);
  m->params = af_calloc((size_t)n, sizeof *m->params);
  for (int i = 0; i < n; i++) {
    named *e = &v[i];
    if (!is_identifier(e->name))
      err(c, e->line, "param '%s': a name must be a word of letters, digits and _ "
                      "(not starting with a digit, not a reserved word)", e->name);
    if (e->is_text < 0 || (!e->is_text && !isfinite(e->num)))
      err(c, e->line, "param '%s' must be a finite number or a string, got %s", e->name,
          e->is_text < 0 ? e->text : fmtnum(e->num, nb));
    model_param *p = &m->params[m->nparams++];
    p->name = e->name;
    p->is_text = e->is_text > 0;
    p->num = e->num;
    p->text = e->is_text > 0 ? e->text : NULL;
    if (e->is_text < 0) free(e->text);
    p->line = e->line;
  }
  free(v);
}

static void conv_defines(conv *c, int t, loc top) {
  model *m = c->m;
  int n;
  named *v = read_named(c, t, "define", top, &n);
  m->defines = af_calloc((size_t)n, sizeof *m->defines);
  for (int i = 0; i < n; i++) {
    named *e = &v[i];
    if (!is_identifier(e->name))
      err(c, e->line, "define '%s': a name must be a word of letters, digits and _ "
                      "(not starting with a digit, not a reserved word)", e->name);
    else if (model_find_param(m, e->name) >= 0)
      err(c, e->line, "define '%s': the name is already used by a param", e->name);
    if (e->is_text <= 0)
      err(c, e->line, "define '%s' must be an expression string, got %s", e->name,
          e->is_text < 0 ? e->text : "a number");
    else if (!*e->text)
      err(c, e->line, "define '%s' must not be empty", e->name);
    model_define *x = &m->defines[m->ndefines++];
    x->name = e->name;
    x->expr = e->is_text > 0 ? e->text : af_strdup("");
    if (e->is_text < 0) free(e->text);
    x->line = e->line;
  }
  free(v);
}

/* ---- dimensions and indicators ---- */

static const char *const ind_af[] = {"id", "name", "deprived", "weight", "missing"};
static const char *const ind_pts[] = {"id", "name", "points", "when", "missing"};
static const char *const ind_af_only[] = {"deprived", "weight"};
static const char *const ind_pts_only[] = {"points", "when"};

/* The id of a definition table, for messages and lines (NULL if unusable). */
static char *peek_id(conv *c, int t) {
  char *id = NULL;
  if (rawfield(c->L, t, "id") == LUA_TSTRING && lua_rawlen(c->L, -1) > 0)
    id = af_strdup(lua_tostring(c->L, -1));
  lua_pop(c->L, 1);
  return id;
}

/* Start a definition of a list (a dimension, band or measure): where it is
** written, and the "kind 'id': " prefix of its messages (by position when
** it has no usable id). */
static loc begin_def(conv *c, int t, int list_node, int i, int holder, const char *kind,
                     char *what, size_t wn) {
  char *id = peek_id(c, t);
  loc l = def_loc(c, list_node, i, id, holder);
  if (id) snprintf(what, wn, "%s '%s': ", kind, id);
  else snprintf(what, wn, "%s %d: ", kind, i);
  free(id);
  return l;
}

static void add_case(model_indicator *x, const char *when, double amount, int line) {
  x->cases = af_realloc(x->cases, (size_t)(x->ncases + 1) * sizeof *x->cases);
  x->cases[x->ncases++] = (model_case){when ? af_strdup(when) : NULL, amount, line};
}

/* Fields of the other scoring kind: say which fields this kind expects. */
static void wrong_kind_fields(conv *c, int t, loc l, const char *what, int points) {
  const char *const *f = points ? ind_af_only : ind_pts_only;
  for (int i = 0; i < 2; i++) {
    if (rawfield(c->L, t, f[i]) != LUA_TNIL) {
      if (points)
        err(c, fline(c, l, f[i]), "%s'%s' is not used in a points methodology; a points "
                                  "indicator gives 'points' (with 'when', or a list of "
                                  "cases { when = ..., points = N })", what, f[i]);
      else
        err(c, fline(c, l, f[i]), "%s'%s' belongs to points methodologies (scoring = "
                                  "\"points\"); an AF indicator gives 'deprived' and "
                                  "optionally 'weight'", what, f[i]);
    }
    lua_pop(c->L, 1);
  }
}

static void conv_af_rule(conv *c, int t, loc l, const char *what, model_indicator *x) {
  char nb[40];
  x->rule_line = fline(c, l, "deprived");
  char *dep = NULL;
  get_string(c, t, "deprived", x->rule_line, what,
             "the rule that says when a unit is deprived, an expression string", &dep);
  double w = 0;
  int wl = fline(c, l, "weight");
  c->ind_w[c->m->ninds - 1] = placed(c, l.tab, "weight", 0);
  int r = get_number(c, t, "weight", wl, what, "a number > 0", &w);
  if (r < 0) c->weights_bad = 1;
  if (r > 0) {
    if (!(w > 0) || !isfinite(w)) {
      err(c, wl, "%sweight must be a number > 0, got %s", what, fmtnum(w, nb));
      c->weights_bad = 1;
    } else {
      x->weight = w;
      x->weight_given = 1;
    }
  }
  add_case(x, dep ? dep : "", 0, x->rule_line);
  free(dep);
}

/* One case { when = ..., points = N } of a points list. Returns 1 when it
** has a `when`. */
static int conv_case(conv *c, int t, int list_node, int i, int holder, const char *what,
                     model_indicator *x) {
  static const char *const f[] = {"when", "points"};
  lua_State *L = c->L;
  char db[96], nb[40], cw[200];
  int cn = srcmap_item_node(c->sm, list_node, i);
  loc l = {cn, cn >= 0 ? srcmap_node_line(c->sm, cn) : holder, lua_topointer(L, t)};
  snprintf(cw, sizeof cw, "%scase %d: ", what, i);
  if (lua_type(L, t) != LUA_TTABLE) {
    err(c, l.line, "%scase %d must be a table { when = ..., points = N }, got %s", what, i,
        describe(L, t, db));
    return 1;
  }
  check_fields(c, t, f, 2, NULL, 0, l, cw);
  char *when = NULL;
  int has_when = get_string(c, t, "when", fline(c, l, "when"), cw, NULL, &when) != 0;
  double pts = 0;
  int pl = fline(c, l, "points");
  int r = get_number(c, t, "points", pl, cw, "a number", &pts);
  if (r == 0) missing_field(c, pl, cw, "points", "the points this case gives");
  else if (r > 0 && !isfinite(pts))
    err(c, pl, "%spoints must be a finite number, got %s", cw, fmtnum(pts, nb));
  add_case(x, when, pts, has_when ? fline(c, l, "when") : l.line);
  free(when);
  return has_when;
}

static void conv_points_rule(conv *c, int t, loc l, const char *what, model_indicator *x) {
  lua_State *L = c->L;
  char db[96], nb[40];
  x->rule_line = fline(c, l, "points");
  int ty = rawfield(L, t, "points");
  if (ty == LUA_TNUMBER) {
    double pts = lua_tonumber(L, -1);
    lua_pop(L, 1);
    if (!isfinite(pts))
      err(c, x->rule_line, "%spoints must be a finite number, got %s", what, fmtnum(pts, nb));
    char *when = NULL;
    int wl = fline(c, l, "when");
    get_string(c, t, "when", wl, what,
               "the condition for these points, an expression string; or give a list of "
               "cases { when = ..., points = N }", &when);
    add_case(x, when ? when : "", pts, wl);
    free(when);
    return;
  }
  if (ty == LUA_TNIL) {
    missing_field(c, x->rule_line, what, "points",
                  "a number with 'when', or a list of cases { when = ..., points = N }");
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  if (ty != LUA_TTABLE) {
    rawfield(L, t, "points");
    err(c, x->rule_line, "%spoints must be a number (with 'when') or a list of cases "
                         "{ when = ..., points = N }, got %s", what, describe(L, -1, db));
    lua_pop(L, 1);
    return;
  }
  if (rawfield(L, t, "when") != LUA_TNIL)
    err(c, fline(c, l, "when"), "%s'when' goes inside each case when points is a list",
        what);
  lua_pop(L, 1);
  int n = get_list(c, t, "points", x->rule_line, what, "of cases { when = ..., points = N }");
  if (n <= 0) return;
  int list_node = srcmap_field_node(c->sm, l.node, "points");
  int open_case = 0; /* 1-based index of a case without `when`, or 0 */
  for (int i = 1; i <= n; i++) {
    lua_rawgeti(L, -1, i);
    int before = x->ncases;
    int has_when = conv_case(c, lua_gettop(L), list_node, i, x->rule_line, what, x);
    if (open_case)
      err(c, x->ncases > before ? x->cases[x->ncases - 1].line : x->rule_line,
          "%scase %d is unreachable: case %d has no 'when', so it always matches (only the "
          "last case may leave out 'when')", what, i, open_case);
    if (!has_when && !open_case) open_case = i;
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

/* Indicator at the top of the stack, item i of dimension di. */
static void conv_indicator(conv *c, int list_node, int i, int holder, int di) {
  lua_State *L = c->L;
  model *m = c->m;
  int t = lua_gettop(L);
  char db[96], what[160];
  int points = m->scoring == SCORING_POINTS;
  model_indicator *x = &m->inds[m->ninds++];
  x->dim = di;
  x->missing = m->missing;
  if (lua_type(L, t) != LUA_TTABLE) {
    err(c, holder, "indicator %d of dimension '%s' must be a table, got %s", i,
        m->dims[di].id ? m->dims[di].id : "?", describe(L, t, db));
    x->id = af_strdup("");
    x->name = af_strdup("");
    return;
  }
  char *id = peek_id(c, t);
  loc l = def_loc(c, list_node, i, id, holder);
  x->line = l.line;
  if (id) snprintf(what, sizeof what, "indicator '%s': ", id);
  else if (m->dims[di].id && *m->dims[di].id)
    snprintf(what, sizeof what, "indicator %d of dimension '%s': ", i, m->dims[di].id);
  else snprintf(what, sizeof what, "indicator %d of dimension %d: ", i, di + 1);
  free(id);
  check_fields(c, t, points ? ind_pts : ind_af, 5, points ? ind_af_only : ind_pts_only, 2, l,
               what);
  if (get_string(c, t, "id", l.line, what, "a unique identifier", &x->id) > 0) {
    int prev = first_def(c, DEF_IND, x->id, m->ninds - 1);
    if (prev >= 0)
      err(c, l.line, "duplicate indicator id '%s' (first defined at line %d)", x->id,
          mline(c, m->inds[prev].line));
  }
  if (!x->id) x->id = af_strdup("");
  if (get_string(c, t, "name", fline(c, l, "name"), what, NULL, &x->name) <= 0)
    x->name = af_strdup(x->id);
  int ml = fline(c, l, "missing");
  x->missing = (missing_policy)get_enum(c, t, "missing", policy_names, 3, (int)m->missing, ml,
                                        what);
  wrong_kind_fields(c, t, l, what, points);
  if (points) conv_points_rule(c, t, l, what, x);
  else conv_af_rule(c, t, l, what, x);
}

/* Dimension at the top of the stack, item i of the dimensions list. */
static void conv_dimension(conv *c, int list_node, int i, int holder) {
  static const char *const f[] = {"id", "name", "weight", "indicators"};
  lua_State *L = c->L;
  model *m = c->m;
  int t = lua_gettop(L);
  char db[96], nb[40], what[160];
  int di = m->ndims++;
  model_dimension *dm = &m->dims[di];
  if (lua_type(L, t) != LUA_TTABLE) {
    err(c, holder, "dimension %d must be a table { id = ..., indicators = { ... } }, got %s",
        i, describe(L, t, db));
    dm->id = af_strdup("");
    dm->name = af_strdup("");
    c->weights_bad = 1;
    return;
  }
  loc l = begin_def(c, t, list_node, i, holder, "dimension", what, sizeof what);
  dm->line = l.line;
  check_fields(c, t, f, 4, NULL, 0, l, what);
  if (get_string(c, t, "id", l.line, what, "a unique identifier", &dm->id) > 0) {
    int j = first_def(c, DEF_DIM, dm->id, di);
    if (j >= 0)
      err(c, l.line, "duplicate dimension id '%s' (first defined at line %d)", dm->id,
          mline(c, m->dims[j].line));
  }
  if (!dm->id) dm->id = af_strdup("");
  if (get_string(c, t, "name", fline(c, l, "name"), what, NULL, &dm->name) <= 0)
    dm->name = af_strdup(dm->id);
  int wl = fline(c, l, "weight");
  c->dim_w[di] = placed(c, l.tab, "weight", 0);
  double w = 0;
  if (m->scoring == SCORING_POINTS) {
    if (rawfield(L, t, "weight") != LUA_TNIL)
      err(c, wl, "%sweight is not used in a points methodology (points are added up as "
                 "written)", what);
    lua_pop(L, 1);
  } else {
    int r = get_number(c, t, "weight", wl, what, "a number > 0", &w);
    if (r < 0) c->weights_bad = 1;
    if (r > 0 && (!(w > 0) || !isfinite(w))) {
      err(c, wl, "%sweight must be a number > 0, got %s", what, fmtnum(w, nb));
      c->weights_bad = 1;
    } else if (r > 0) {
      dm->weight = w;
      dm->weight_given = 1;
    }
  }
  int il = fline(c, l, "indicators");
  int n = get_list(c, t, "indicators", il, what, "of indicators { { id = ... }, ... }");
  if (n == 0) missing_field(c, il, what, "indicators", "the list of its indicators");
  if (n <= 0) {
    c->weights_bad = 1;
    return;
  }
  m->inds = af_realloc(m->inds, (size_t)(m->ninds + n) * sizeof *m->inds);
  memset(m->inds + m->ninds, 0, (size_t)n * sizeof *m->inds);
  c->ind_w = af_realloc(c->ind_w, (size_t)(m->ninds + n) * sizeof *c->ind_w);
  memset(c->ind_w + m->ninds, 0, (size_t)n * sizeof *c->ind_w);
  int inode = srcmap_field_node(c->sm, l.node, "indicators");
  for (int j = 1; j <= n; j++) {
    lua_rawgeti(L, -1, j);
    conv_indicator(c, inode, j, il, di);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

static void conv_dimensions(conv *c, int t, loc top) {
  lua_State *L = c->L;
  model *m = c->m;
  int line = top_fline(c, top, "dimensions");
  int n = get_list(c, t, "dimensions", line, "", "of dimensions { { id = ..., indicators "
                                                  "= { ... } }, ... }");
  if (n == 0)
    missing_field(c, line, "", "dimensions", "the list of dimensions and their indicators");
  if (n <= 0) {
    c->weights_bad = 1;
    return;
  }
  m->dims = af_calloc((size_t)n, sizeof *m->dims);
  c->dim_w = af_calloc((size_t)n, sizeof *c->dim_w);
  int node = srcmap_field_node(c->sm, top.node, "dimensions");
  for (int i = 1; i <= n; i++) {
    lua_rawgeti(L, -1, i);
    conv_dimension(c, node, i, line);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

/* The line to report a sum of weights at: where the weight written last
** was set (in a variant, the edit that broke the sum), else line. dim: one
** dimension and its indicators, or -1 for all; inds: 0 for the dimension
** weights alone. */
static int weights_line(const conv *c, int dim, int inds, int line) {
  const model *m = c->m;
  wpos w = {0, 0};
  for (int d = 0; d < m->ndims; d++)
    if (dim < 0 || d == dim) w = later(w, c->dim_w[d]);
  for (int i = 0; inds && i < m->ninds; i++)
    if (dim < 0 || m->inds[i].dim == dim) w = later(w, c->ind_w[i]);
  return w.seq ? w.line : line;
}

/* AF weights: defaults (equal shares of what is not given), nested sums. */
static void resolve_weights(conv *c, int dims_line) {
  model *m = c->m;
  char n1[40], n2[40];
  double given = 0;
  int ungiven = 0;
  for (int d = 0; d < m->ndims; d++) {
    if (m->dims[d].weight_given) given += m->dims[d].weight;
    else ungiven++;
  }
  if (ungiven) {
    double rest = 1.0 - given;
    if (rest <= WEIGHT_EPS) {
      err(c, weights_line(c, -1, 0, dims_line), "dimension weights given sum to %s, leaving "
                                                "nothing for the %d "
                        "dimension(s) without a weight (all weights must sum to 1)",
          fmtnum(given, n1), ungiven);
      return;
    }
    for (int d = 0; d < m->ndims; d++)
      if (!m->dims[d].weight_given) m->dims[d].weight = rest / ungiven;
  } else if (fabs(given - 1.0) > WEIGHT_EPS) {
    err(c, weights_line(c, -1, 0, dims_line), "dimension weights sum to %s, not 1",
        fmtnum(given, n1));
    return;
  }
  /* per dimension: the weights given and how many are not (one pass) */
  double *gsum = af_calloc((size_t)m->ndims + 1, sizeof *gsum);
  int *nun = af_calloc((size_t)m->ndims + 1, sizeof *nun);
  for (int i = 0; i < m->ninds; i++) {
    int d = m->inds[i].dim;
    assert(d >= 0 && d < m->ndims);
    if (m->inds[i].weight_given) gsum[d] += m->inds[i].weight;
    else nun[d]++;
  }
  int bad = 0;
  for (int d = 0; d < m->ndims; d++) {
    model_dimension *dm = &m->dims[d];
    double rest = dm->weight - gsum[d];
    if (nun[d] == 0 && fabs(rest) > WEIGHT_EPS) {
      err(c, weights_line(c, d, 1, dm->line), "indicator weights of dimension '%s' sum to %s, "
                                              "not the dimension's "
                       "weight %s", dm->id, fmtnum(gsum[d], n1), fmtnum(dm->weight, n2));
      bad = 1;
    } else if (nun[d] > 0 && rest <= WEIGHT_EPS) {
      err(c, weights_line(c, d, 1, dm->line), "indicator weights given in dimension '%s' sum "
                                              "to %s, leaving "
                       "nothing for its %d indicator(s) without a weight (the dimension's "
                       "weight is %s)", dm->id, fmtnum(gsum[d], n1), nun[d],
          fmtnum(dm->weight, n2));
      bad = 1;
    }
    gsum[d] = rest; /* from here: the weight left for each ungiven one, times nun */
  }
  for (int i = 0; !bad && i < m->ninds; i++) {
    int d = m->inds[i].dim;
    if (!m->inds[i].weight_given) m->inds[i].weight = gsum[d] / nun[d];
  }
  free(gsum);
  free(nun);
  if (bad) return;
  double total = 0;
  for (int i = 0; i < m->ninds; i++) total += m->inds[i].weight;
  if (fabs(total - 1.0) > WEIGHT_EPS)
    err(c, weights_line(c, -1, 1, dims_line), "indicator weights sum to %s, not 1",
        fmtnum(total, n1));
}

/* ---- k, bands, measures ---- */

static void conv_k(conv *c, int t, loc top) {
  model *m = c->m;
  char nb[40];
  m->k_line = top_fline(c, top, "k");
  double k = 0;
  if (m->scoring == SCORING_POINTS) {
    if (rawfield(c->L, t, "k") != LUA_TNIL)
      err(c, m->k_line, "k is not used by a points methodology (its categories come from "
                        "its bands)");
    lua_pop(c->L, 1);
    m->k_line = 0;
    return;
  }
  int r = get_number(c, t, "k", m->k_line, "", "a number in (0, 1]", &k);
  if (r == 0) missing_field(c, m->k_line, "", "k", "the poverty cutoff, a number in (0, 1]");
  else if (r > 0 && !(k > 0 && k <= 1))
    err(c, m->k_line, "k must be a number in (0, 1], got %s", fmtnum(k, nb));
  else if (r > 0) m->k = k;
}

static void default_bands(conv *c) {
  model *m = c->m;
  m->bands = af_calloc(2, sizeof *m->bands);
  m->bands[0] = (model_band){af_strdup("nonpoor"), af_strdup("not poor"), 0, m->k_line};
  m->bands[1] = (model_band){af_strdup("poor"), af_strdup("poor"), m->k, m->k_line};
  m->nbands = 2;
}

static void conv_band(conv *c, int list_node, int i, int holder) {
  static const char *const f[] = {"id", "name", "from"};
  lua_State *L = c->L;
  model *m = c->m;
  int t = lua_gettop(L);
  char db[96], nb[40], what[160];
  model_band *b = &m->bands[m->nbands++];
  b->from = NAN;
  if (lua_type(L, t) != LUA_TTABLE) {
    err(c, holder, "band %d must be a table { id = ..., from = ... }, got %s", i,
        describe(L, t, db));
    b->line = holder;
    b->id = af_strdup("");
    b->name = af_strdup("");
    return;
  }
  loc l = begin_def(c, t, list_node, i, holder, "band", what, sizeof what);
  b->line = l.line;
  check_fields(c, t, f, 3, NULL, 0, l, what);
  if (get_string(c, t, "id", l.line, what, "a unique identifier", &b->id) > 0) {
    int j = first_def(c, DEF_BAND, b->id, m->nbands - 1);
    if (j >= 0)
      err(c, l.line, "duplicate band id '%s' (first defined at line %d)", b->id,
          mline(c, m->bands[j].line));
  }
  if (!b->id) b->id = af_strdup("");
  if (get_string(c, t, "name", fline(c, l, "name"), what, NULL, &b->name) <= 0)
    b->name = af_strdup(b->id);
  int fl = fline(c, l, "from");
  wpos w = placed(c, l.tab, "from", 0);
  c->band_from[m->nbands - 1] = w.line ? w : (wpos){l.node >= 0 ? fl : b->line, 0};
  double from = 0;
  int r = get_number(c, t, "from", fl, what, "a number", &from);
  if (r == 0) missing_field(c, fl, what, "from", "the lowest score of the band");
  if (r <= 0) return;
  if (m->scoring == SCORING_AF && !(from >= 0 && from <= 1)) {
    err(c, fl, "%sfrom must be between 0 and 1, got %s", what, fmtnum(from, nb));
    return;
  }
  if (m->scoring == SCORING_POINTS && !isfinite(from) && !(i == 1 && from < 0)) {
    err(c, fl, "%sfrom must be a finite number (only the first band may start from "
               "-math.huge), got %s", what, fmtnum(from, nb));
    return;
  }
  b->from = from;
}

/* Bands out of order are reported where the later of the two bounds was
** set: in a variant, the line that moved one. */
static void check_band_order(conv *c) {
  model *m = c->m;
  char n1[40], n2[40];
  int prev = -1;
  for (int i = 0; i < m->nbands; i++) {
    model_band *b = &m->bands[i];
    if (isnan(b->from)) continue;
    wpos here = c->band_from[i];
    if (!here.line) here.line = b->line;
    if (i == 0 && m->scoring == SCORING_AF && b->from != 0)
      err(c, here.line, "the first band must start from 0, got %s", fmtnum(b->from, n1));
    int fl = prev >= 0 ? later(here, c->band_from[prev]).line : here.line;
    if (prev >= 0 && b->from == m->bands[prev].from)
      err(c, fl, "band '%s' starts where band '%s' starts (from %s): each band needs its own "
                 "lower bound, in ascending order", b->id, m->bands[prev].id,
          fmtnum(b->from, n1));
    else if (prev >= 0 && !(b->from > m->bands[prev].from))
      err(c, fl, "bands must be in ascending order: '%s' (from %s) comes after '%s' "
                 "(from %s)", b->id, fmtnum(b->from, n1), m->bands[prev].id,
          fmtnum(m->bands[prev].from, n2));
    prev = i;
  }
}

static void conv_bands(conv *c, int t, loc top) {
  lua_State *L = c->L;
  model *m = c->m;
  int line = top_fline(c, top, "bands");
  int n = get_list(c, t, "bands", line, "", "of bands { { id = ..., from = ... }, ... }");
  if (n == 0 && m->scoring == SCORING_AF) {
    if (m->k > 0) default_bands(c);
    return;
  }
  if (n == 0)
    missing_field(c, line, "", "bands", "a points methodology needs its categories: bands "
                                        "= { { id = ..., from = ... }, ... }");
  if (n <= 0) return;
  m->bands = af_calloc((size_t)n, sizeof *m->bands);
  int node = srcmap_field_node(c->sm, top.node, "bands");
  c->band_from = af_calloc((size_t)n, sizeof *c->band_from);
  for (int i = 1; i <= n; i++) {
    lua_rawgeti(L, -1, i);
    conv_band(c, node, i, line);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  check_band_order(c);
}

static void conv_notices(conv *c, int t, loc l, const char *what, model_benefit *x) {
  lua_State *L = c->L;
  char db[96];
  int line = fline(c, l, "notice");
  int ty = rawfield(L, t, "notice");
  if (ty == LUA_TNIL) {
    lua_pop(L, 1);
    return;
  }
  if (ty != LUA_TTABLE) {
    err(c, line, "%snotice must be a table of language = text, e.g. { kk = \"...\", ru = "
                 "\"...\" }, got %s", what, describe(L, -1, db));
    lua_pop(L, 1);
    return;
  }
  int cap = 0;
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING) {
      err(c, line, "%snotice must map a language to a text, e.g. { kk = \"...\" }; got an "
                   "entry %s", what, describe(L, -1, db));
    } else {
      af_grow(&x->notices, &cap, x->nnotices + 1, sizeof *x->notices);
      x->notices[x->nnotices++] = (model_notice){take_str(c, -2, line, what, "notice language"),
                                                 take_str(c, -1, line, what, "notice")};
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  /* lua_next order is arbitrary: keep notices sorted by language */
  for (int i = 1; i < x->nnotices; i++)
    for (int j = i; j > 0 && strcmp(x->notices[j - 1].lang, x->notices[j].lang) > 0; j--) {
      model_notice tmp = x->notices[j];
      x->notices[j] = x->notices[j - 1];
      x->notices[j - 1] = tmp;
    }
}

static void conv_measure(conv *c, int list_node, int i, int holder) {
  static const char *const f[] = {"id", "name", "eligible", "notice"};
  lua_State *L = c->L;
  model *m = c->m;
  int t = lua_gettop(L);
  char db[96], what[160];
  model_benefit *x = &m->benefits[m->nbenefits++];
  if (lua_type(L, t) != LUA_TTABLE) {
    err(c, holder, "measure %d must be a table { id = ..., eligible = ... }, got %s", i,
        describe(L, t, db));
    x->line = holder;
    return;
  }
  loc l = begin_def(c, t, list_node, i, holder, "measure", what, sizeof what);
  x->line = l.line;
  check_fields(c, t, f, 4, NULL, 0, l, what);
  if (get_string(c, t, "id", l.line, what, "a unique identifier", &x->id) > 0) {
    int j = first_def(c, DEF_MEASURE, x->id, m->nbenefits - 1);
    if (j >= 0)
      err(c, l.line, "duplicate measure id '%s' (first defined at line %d)", x->id,
          mline(c, m->benefits[j].line));
  }
  if (!x->id) x->id = af_strdup("");
  if (get_string(c, t, "name", fline(c, l, "name"), what, NULL, &x->name) <= 0)
    x->name = af_strdup(x->id);
  x->eligible_line = fline(c, l, "eligible");
  get_string(c, t, "eligible", x->eligible_line, what,
             "the rule that says which units may claim it, an expression string",
             &x->eligible);
  conv_notices(c, t, l, what, x);
}

static void conv_measures(conv *c, int t, loc top) {
  lua_State *L = c->L;
  model *m = c->m;
  int line = top_fline(c, top, "measures");
  int n = get_list(c, t, "measures", line, "", "of measures { { id = ..., eligible = ... } }");
  if (n <= 0) return;
  /* unit_scores.eligible is a 64-bit set: bit i = measure i */
  if (n > 64) {
    err(c, line, "at most 64 measures per methodology (found %d): the results keep one bit "
                 "per measure; split them into several methodologies", n);
    lua_pop(L, 1);
    return;
  }
  m->benefits = af_calloc((size_t)n, sizeof *m->benefits);
  int node = srcmap_field_node(c->sm, top.node, "measures");
  for (int i = 1; i <= n; i++) {
    lua_rawgeti(L, -1, i);
    conv_measure(c, node, i, line);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

/* ---- the whole table ---- */

static void conv_version(conv *c, int t, loc top) {
  lua_State *L = c->L;
  char db[96];
  int line = top_fline(c, top, "version");
  int ty = rawfield(L, t, "version");
  if (ty == LUA_TNIL) {
    missing_field(c, line, "", "version", "a string or number such as \"2024.1\"");
  } else if (ty == LUA_TSTRING && lua_rawlen(L, -1) > 0) {
    c->m->version = take_str(c, -1, line, "", "version");
  } else if (ty == LUA_TNUMBER && lua_isinteger(L, -1)) {
    c->m->version = af_sprintf("%lld", (long long)lua_tointeger(L, -1));
  } else if (ty == LUA_TNUMBER) {
    c->m->version = af_sprintf("%.14g", lua_tonumber(L, -1));
  } else {
    err(c, line, "version must be a string or a number, got %s", describe(L, -1, db));
  }
  lua_pop(L, 1);
}

/* Count the indicators of dimensions list (at the top of the stack) that
** have field key; the id of the first one into *first (when NULL). */
static int count_ind_field(lua_State *L, const char *key, char **first) {
  int n = 0, dims = lua_gettop(L), inds = dims + 2;
  lua_Unsigned nd = lua_rawlen(L, dims);
  for (lua_Unsigned i = 1; i <= nd && i < INT_MAX; i++) {
    lua_settop(L, dims);
    if (lua_rawgeti(L, dims, (lua_Integer)i) != LUA_TTABLE ||
        rawfield(L, dims + 1, "indicators") != LUA_TTABLE)
      continue;
    lua_Unsigned ni = lua_rawlen(L, inds);
    for (lua_Unsigned j = 1; j <= ni && j < INT_MAX; j++) {
      lua_settop(L, inds);
      if (lua_rawgeti(L, inds, (lua_Integer)j) != LUA_TTABLE ||
          rawfield(L, inds + 1, key) == LUA_TNIL)
        continue;
      n++;
      if (!*first && rawfield(L, inds + 1, "id") == LUA_TSTRING)
        *first = af_strdup(lua_tostring(L, -1));
      else if (!*first)
        *first = af_sprintf("indicator %d of dimension %d", (int)j, (int)i);
    }
  }
  lua_settop(L, dims);
  return n;
}

/* No `scoring` written, but the indicators give points and none says when
** it is deprived: `scoring = "points"` was forgotten. Said once, and the
** rest is then checked as the points methodology it was meant to be. */
static int forgot_points(conv *c, int t, loc top) {
  lua_State *L = c->L;
  int absent = rawfield(L, t, "scoring") == LUA_TNIL;
  lua_pop(L, 1);
  if (!absent) return 0;
  if (rawfield(L, t, "dimensions") != LUA_TTABLE) {
    lua_pop(L, 1);
    return 0;
  }
  char *first = NULL, *none = NULL;
  int npts = count_ind_field(L, "points", &first);
  int ndep = count_ind_field(L, "deprived", &none);
  lua_pop(L, 1);
  free(none);
  if (npts > 0 && ndep == 0)
    err(c, top.line, "scoring = \"points\" is missing: %d indicator%s points (the first is "
                     "'%s'), which only a points methodology does; add scoring = "
                     "\"points\" (without it the methodology is Alkire-Foster, whose "
                     "indicators say when a unit is 'deprived')",
        npts, npts == 1 ? " gives" : "s give", first);
  free(first);
  return npts > 0 && ndep == 0;
}

/* Lines kept in the model name the main file (model.h): a definition set
** in another file is placed at the line that imported it. */
static void model_lines(conv *c) {
  model *m = c->m;
  m->unit_line = mline(c, m->unit_line);
  m->members_line = mline(c, m->members_line);
  m->k_line = mline(c, m->k_line);
  for (int g = 0; g < m->ngroups; g++) m->group_calc[g].line = mline(c, m->group_calc[g].line);
  for (int i = 0; i < m->nparams; i++) m->params[i].line = mline(c, m->params[i].line);
  for (int i = 0; i < m->ndefines; i++) m->defines[i].line = mline(c, m->defines[i].line);
  for (int i = 0; i < m->ndims; i++) m->dims[i].line = mline(c, m->dims[i].line);
  for (int i = 0; i < m->nbands; i++) m->bands[i].line = mline(c, m->bands[i].line);
  for (int i = 0; i < m->nbenefits; i++) {
    m->benefits[i].line = mline(c, m->benefits[i].line);
    m->benefits[i].eligible_line = mline(c, m->benefits[i].eligible_line);
  }
  for (int i = 0; i < m->ninds; i++) {
    model_indicator *x = &m->inds[i];
    x->line = mline(c, x->line);
    x->rule_line = mline(c, x->rule_line);
    for (int k = 0; k < x->ncases; k++) x->cases[k].line = mline(c, x->cases[k].line);
  }
}

static void convert(conv *c, int t) {
  static const char *const top_fields[] = {"name", "version", "scoring", "unit", "members",
                                           "population", "params", "define", "dimensions",
                                           "k", "bands", "missing", "measures"};
  static const char *const scorings[] = {"af", "points"};
  static const char *const pops[] = {"units", "members"};
  lua_State *L = c->L;
  model *m = c->m;
  int tn = srcmap_top(c->sm);
  loc top = {tn, tn >= 0 ? srcmap_node_line(c->sm, tn) : c->fallback, lua_topointer(L, t)};
  check_fields(c, t, top_fields, 13, NULL, 0, top, "");
  m->scoring = (scoring_kind)get_enum(c, t, "scoring", scorings, 2, SCORING_AF,
                                      top_fline(c, top, "scoring"), "");
  if (forgot_points(c, t, top)) m->scoring = SCORING_POINTS;
  get_string(c, t, "name", top_fline(c, top, "name"), "", "the methodology's title",
             &m->name);
  conv_version(c, t, top);
  conv_unit(c, t, top);
  conv_members(c, t, top);
  int pl = top_fline(c, top, "population");
  m->population_members = get_enum(c, t, "population", pops, 2, 0, pl, "");
  int has_members = rawfield(L, t, "members") != LUA_TNIL;
  lua_pop(L, 1);
  if (m->population_members && !has_members)
    err(c, pl, "population = \"members\" needs a members table (members = { table = ..., "
               "unit = ... })");
  if (m->population_members && (m->unit_strata || m->unit_psu))
    err(c, pl, "unit: strata and psu describe a sample of units; they cannot be used with "
               "population = \"members\"");
  if (m->scoring == SCORING_POINTS && (m->unit_strata || m->unit_psu || m->unit_round))
    err(c, m->unit_line, "unit: strata, psu and round give estimates of the AF measure; "
                         "a points methodology has none");
  int def_policy = m->scoring == SCORING_POINTS ? MISSING_NOT_DEPRIVED : MISSING_EXCLUDE;
  m->missing = (missing_policy)get_enum(c, t, "missing", policy_names, 3, def_policy,
                                        top_fline(c, top, "missing"), "");
  conv_params(c, t, top);
  conv_defines(c, t, top);
  conv_k(c, t, top);
  conv_dimensions(c, t, top);
  if (m->scoring == SCORING_AF && !c->weights_bad)
    resolve_weights(c, top_fline(c, top, "dimensions"));
  for (int i = 0; m->scoring == SCORING_AF && i < m->ninds; i++)
    if (m->inds[i].ncases == 1) m->inds[i].cases[0].amount = m->inds[i].weight;
  conv_bands(c, t, top);
  conv_measures(c, t, top);
  model_lines(c);
}

/* ============================================================== loading */

/* Turn a sandbox error "FILE:LINE: message" into a diag. */
static void diag_from_error(diag_list *d, const import_files *f, const char *msg) {
  for (int i = 0; i < f->nfiles; i++) {
    const char *name = import_chunk_name(f, i);
    size_t n = strlen(name);
    if (strncmp(msg, name, n) != 0 || msg[n] != ':') continue;
    const char *p = msg + n + 1;
    char *end;
    long line = strtol(p, &end, 10);
    if (end > p && *end == ':' && line >= 0 && line <= INT_MAX) {
      diag_add(d, name, (int)line, "%s", end[1] == ' ' ? end + 2 : end + 1);
      return;
    }
    if (*p == ' ') {
      diag_add(d, name, 0, "%s", p + 1);
      return;
    }
  }
  diag_add(d, f->main_name, 0, "%s", msg);
}

static sandbox *new_sandbox(import_files *f, const method_opts *o) {
  sandbox *sb = sandbox_new(o->max_memory, o->max_instructions);
  sandbox_set_time_limit(sb, o->max_seconds);
  sandbox_set_import(sb, import_lua, f);
  track_open(sandbox_lua(sb));
  edit_open(sandbox_lua(sb));
  if (o->globals) o->globals(sandbox_lua(sb));
  return sb;
}

/* In process: run the script; its result is left on the returned state's
** stack (NULL: the error is in d). *owner is what to free afterwards. */
/* A failed run's message, improved when the script indexed a list item
** that is not there (track.h). */
static void explain_failure(lua_State *L, const import_files *f, af_err *e) {
  char name[64];
  srcmap *sm = srcmap_build(f->files[0].text, f->files[0].len);
  srcmap_built_table(sm, name, sizeof name);
  srcmap_free(sm);
  char *better = track_explain_nil(L, e->msg, name);
  if (better) af_fail(e, "%s", better);
  free(better);
}

static lua_State *run_here(import_files *f, const method_opts *o, sandbox **owner,
                           diag_list *d) {
  sandbox *sb = new_sandbox(f, o);
  *owner = sb;
  af_err e;
  int rc = sandbox_run(sb, f->files[0].text, f->files[0].len, f->main_name, &e);
  sandbox_unlimit(sb);
  if (rc != 0) {
    explain_failure(sandbox_lua(sb), f, &e);
    diag_from_error(d, f, e.msg);
    return NULL;
  }
  track_finish(sandbox_lua(sb));
  return sandbox_lua(sb);
}

/* ---- in a child process ---- */

typedef struct script_job {
  import_files *files;
  const method_opts *opts;
  sandbox_where *where;  /* shared with the parent */
} script_job;

/* The child: run the script, then send the imported files and either the
** error message or the returned value:
**   count, (name, path, text, key) per imported file, 0 + message | 1 + value */
static int child_run(void *ctx, isolate_pipe *pipe) {
  script_job *j = ctx;
  import_files *f = j->files;
  sandbox *sb = new_sandbox(f, j->opts);
  sandbox_share_where(sb, j->where);
  af_err e;
  int rc = sandbox_run(sb, f->files[0].text, f->files[0].len, f->main_name, &e);
  luadata_out out = {isolate_put, pipe, 0};
  luadata_put_int(&out, f->nfiles - 1);
  for (int i = 1; i < f->nfiles; i++) {
    const model_file *m = &f->files[i];
    luadata_put_str(&out, m->name, strlen(m->name));
    luadata_put_str(&out, m->path, strlen(m->path));
    luadata_put_str(&out, m->text, m->len);
    luadata_put_str(&out, f->keys[i], strlen(f->keys[i]));
  }
  luadata_put_int(&out, rc == 0);
  sandbox_unlimit(sb);
  if (rc != 0) {
    explain_failure(sandbox_lua(sb), f, &e);
    luadata_put_str(&out, e.msg, strlen(e.msg));
  } else {
    track_finish(sandbox_lua(sb));
    luadata_put_value(&out, sandbox_lua(sb), -1);
  }
  /* the process ends now: nothing to free */
  return out.failed ? 1 : 0;
}

/* The parent: rebuild the imported files and the result from the reply. */
static lua_State *decode_reply(import_files *f, const strbuf *reply, diag_list *d) {
  luadata_in in = {reply->s, reply->s + reply->len, 0};
  int64_t n = luadata_get_int(&in);
  for (int64_t i = 0; !in.bad && i < n; i++) {
    size_t len;
    char *name = luadata_get_str(&in, NULL), *path = luadata_get_str(&in, NULL);
    char *text = luadata_get_str(&in, &len), *key = luadata_get_str(&in, NULL);
    if (in.bad) {
      free(name), free(path), free(text), free(key);
      break;
    }
    import_add(f, name, path, text, len, key);
    free(name);
  }
  int ok = (int)luadata_get_int(&in);
  lua_State *L = NULL;
  if (!in.bad && !ok) {
    char *msg = luadata_get_str(&in, NULL);
    if (msg) diag_from_error(d, f, msg);
    free(msg);
  } else if (!in.bad) {
    L = luaL_newstate();
    if (!L) {
      diag_add(d, f->main_name, 0, "out of memory");
      return NULL;
    }
    luadata_get_value(&in, L);
  }
  if (in.bad) {
    if (L) lua_close(L);
    diag_add(d, f->main_name, 0, "the script's process sent an incomplete reply");
    return NULL;
  }
  return L;
}

/* The limits of the script's process (see isolate.h). The instruction hook
** and the memory cap stay the first limits, with their precise messages; the
** kernel's CPU limit ends what they cannot stop (a single C call that runs
** for hours), leaving the hook a second to end a Lua loop first; RLIMIT_AS
** backs up the memory cap. The wall-clock limit is one second more than the
** CPU limit (4 s by default): a runaway script ends within it however busy
** the machine is, while a large methodology's script needs a small part of
** it (docs/robustness.md). */
static isolate_limits script_limits(const method_opts *o) {
  size_t cap = o->max_memory ? o->max_memory : SANDBOX_DEFAULT_MEMORY;
  double secs = o->max_seconds > 0 ? o->max_seconds : SANDBOX_DEFAULT_SECONDS;
  isolate_limits lim = {.cpu_seconds = ceil(secs) + 1,
                        .memory = 4 * cap + ((size_t)256 << 20),
                        .max_reply = 2 * cap + ((size_t)256 << 20)};
  lim.wall_seconds = o->max_wall_seconds > 0 ? o->max_wall_seconds : lim.cpu_seconds + 1;
  return lim;
}

/* Run the script in a child process under script_limits. */
static lua_State *run_isolated(import_files *f, const method_opts *o, diag_list *d) {
  size_t cap = o->max_memory ? o->max_memory : SANDBOX_DEFAULT_MEMORY;
  isolate_limits lim = script_limits(o);
  sandbox_where *w = isolate_shared_new(sizeof *w);
  script_job job = {f, o, w};
  strbuf reply = {0};
  af_err e;
  isolate_status st = isolate_run(child_run, &job, &lim, &reply, &e);
  lua_State *L = NULL;
  const char *file = w->file[0] ? w->file : f->main_name;
  if (st == ISOLATE_OK)
    L = decode_reply(f, &reply, d);
  else if (st == ISOLATE_TIME)
    diag_add(d, file, w->line, "time limit of %g s of CPU time exceeded (inside a library "
                               "function?)", lim.cpu_seconds);
  else if (st == ISOLATE_WALL)
    diag_add(d, file, w->line, "time limit of %g s of wall-clock time exceeded (inside a "
                               "library function, or the machine is busy?)", lim.wall_seconds);
  else if (st == ISOLATE_MEMORY)
    diag_add(d, file, w->line, "memory limit of %g MiB exceeded",
             (double)cap / (1024.0 * 1024.0));
  else
    diag_add(d, file, w->line, "%s", e.msg);
  sb_free(&reply);
  isolate_shared_free(w, sizeof *w);
  return L;
}

/* `m.params.pm = 30,5` is valid Lua that keeps 30 and drops 5. */
static void comma_assignment(conv *c) {
  char num[64];
  int line = srcmap_comma_assignment(c->sm, num, sizeof num);
  if (!line) return;
  char *comma = strchr(num, ',');
  err(c, line, "'%s' has a decimal comma: write %.*s.%s (Lua reads '= %s' as two values, "
               "keeps %.*s and drops %s)", num, (int)(comma - num), num, comma + 1, num,
      (int)(comma - num), num, comma + 1);
}

static void conv_free(conv *c) {
  for (int k = 0; k < 4; k++) strmap_free(&c->ids[k]);
  strmap_free(&c->placed);
  for (int i = 0; i < c->nplaces; i++) free(c->places[i].file);
  free(c->places);
  free(c->dim_w);
  free(c->ind_w);
  free(c->band_from);
}

/* The script returned something other than a table: say what, and for
** nothing (a forgotten `return`) what to add at its last line. */
static void not_a_table(const import_files *f, lua_State *L, diag_list *d) {
  char db[96], name[64];
  if (!lua_isnil(L, -1)) {
    diag_add(d, f->main_name, 0, "the methodology must return a table, got %s",
             describe(L, -1, db));
    return;
  }
  srcmap *sm = srcmap_build(f->files[0].text, f->files[0].len);
  if (srcmap_built_table(sm, name, sizeof name))
    diag_add(d, f->main_name, srcmap_last_line(sm), "the methodology returns nothing: end it "
             "with `return %s` (a methodology must return its table)", name);
  else
    diag_add(d, f->main_name, srcmap_last_line(sm), "the methodology returns nothing: end it "
             "with `return { ... }` (a methodology must return its table)");
  srcmap_free(sm);
}

int method_run_script(const char *path, const method_opts *o, method_result_fn fn, void *ctx,
                      diag_list *d) {
  import_files f = {0};
  if (import_read_main(&f, path, o, d) != 0) {
    import_free(&f);
    return -1;
  }
  sandbox *sb = NULL;
  lua_State *L = o->in_process ? run_here(&f, o, &sb, d) : run_isolated(&f, o, d);
  int rc = -1;
  /* L holds { result, positions } (track_finish): push positions, result */
  int whole = L && lua_type(L, -1) == LUA_TTABLE;
  if (whole) {
    lua_rawgeti(L, -1, 2);
    lua_rawgeti(L, -2, 1);
    whole = lua_istable(L, -2);
  }
  if (L && !whole) diag_add(d, path, 0, "the script's process sent an incomplete reply");
  else if (L) rc = fn(ctx, L, &f, d);
  if (sb) sandbox_free(sb);
  else if (L) lua_close(L);
  import_free(&f);
  return rc;
}

typedef struct method_job {
  const char *path;
  model *m;
} method_job;

/* The returned table -> j->m, with the imported files. */
static int method_convert(void *ctx, lua_State *L, import_files *f, diag_list *d) {
  method_job *j = ctx;
  if (lua_type(L, -1) != LUA_TTABLE) {
    not_a_table(f, L, d);
    return -1;
  }
  int nerr0 = d->n;
  model *m = j->m = af_calloc(1, sizeof *m);
  m->file = af_strdup(j->path);
  srcmap *sm = srcmap_build(f->files[0].text, f->files[0].len);
  conv c = {.L = L, .m = m, .d = d, .file = j->path, .sm = sm};
  c.fallback = srcmap_call_line(sm, "import");
  places_load(&c, lua_gettop(L) - 1);   /* the positions, below the result */
  comma_assignment(&c);
  convert(&c, lua_gettop(L));
  conv_free(&c);
  srcmap_free(sm);
  if (d->n > nerr0) return -1;
  import_take(f, &m->files, &m->nfiles);
  return 0;
}

int method_load(const char *path, const method_opts *opts, model **out, diag_list *d) {
  static const method_opts none = {0};
  method_job j = {path, NULL};
  *out = NULL;
  if (method_run_script(path, opts ? opts : &none, method_convert, &j, d) < 0) {
    model_free(j.m);
    return -1;
  }
  *out = j.m;
  return 0;
}
