/*
** edit.c: indicator(), dimension(), band() and measure() for variants (see
** edit.h). Accesses go through metamethods: m is usually an imported table's
** proxy (track.h), and what is returned must be one too.
*/
#include "edit.h"

#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* The ids met while looking, for the error. */
typedef struct edit_ids {
  char **v;
  int n, cap;
} edit_ids;

/* Look for id in the list t[key] (t at index t); push the item and return 1
** when found, else remember the ids seen and return 0. */
static int edit_scan(lua_State *L, int t, const char *key, const char *id, edit_ids *ids) {
  if (lua_getfield(L, t, key) != LUA_TTABLE) {
    lua_pop(L, 1);
    return 0;
  }
  int list = lua_gettop(L);
  lua_Integer n = luaL_len(L, list);
  for (lua_Integer i = 1; i <= n; i++) {
    if (lua_geti(L, list, i) == LUA_TTABLE && lua_getfield(L, -1, "id") == LUA_TSTRING) {
      const char *s = lua_tostring(L, -1);
      if (strcmp(s, id) == 0) {
        lua_pop(L, 1);
        lua_remove(L, list);
        return 1;
      }
      af_grow(&ids->v, &ids->cap, ids->n + 1, sizeof *ids->v);
      ids->v[ids->n++] = af_strdup(s);
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return 0;
}

/* Raise "no <what> 'id'" with the closest id and the ids there are. */
static int edit_not_found(lua_State *L, const char *what, const char *id, edit_ids *ids) {
  strbuf b = {0};
  const char *s = ids->n ? af_suggest(id, (const char *const *)ids->v, ids->n) : NULL;
  sb_printf(&b, "%s(): no %s '%s'", what, what, id);
  if (s) sb_printf(&b, " (did you mean '%s'?)", s);
  sb_printf(&b, "; there %s:", ids->n == 1 ? "is" : "are");
  for (int i = 0; i < ids->n; i++) sb_printf(&b, "%s %s", i ? "," : "", ids->v[i]);
  if (!ids->n) sb_puts(&b, " none");
  for (int i = 0; i < ids->n; i++) free(ids->v[i]);
  free(ids->v);
  luaL_where(L, 1);
  lua_pushstring(L, b.s);
  sb_free(&b);
  lua_concat(L, 2);
  return lua_error(L);
}

/* what(m, id) over m[list], or over m[list][i][sub] when sub is given. */
static int edit_find(lua_State *L, const char *what, const char *list, const char *sub) {
  luaL_checktype(L, 1, LUA_TTABLE);
  const char *id = luaL_checkstring(L, 2);
  edit_ids ids = {0};
  if (!sub) {
    if (edit_scan(L, 1, list, id, &ids)) goto found;
    return edit_not_found(L, what, id, &ids);
  }
  if (lua_getfield(L, 1, list) == LUA_TTABLE) {
    int outer = lua_gettop(L);
    lua_Integer n = luaL_len(L, outer);
    for (lua_Integer i = 1; i <= n; i++) {
      if (lua_geti(L, outer, i) == LUA_TTABLE && edit_scan(L, lua_gettop(L), sub, id, &ids))
        goto found;
      lua_pop(L, 1);
    }
  }
  return edit_not_found(L, what, id, &ids);
found:
  for (int i = 0; i < ids.n; i++) free(ids.v[i]);
  free(ids.v);
  return 1;
}

static int edit_indicator(lua_State *L) {
  return edit_find(L, "indicator", "dimensions", "indicators");
}
static int edit_dimension(lua_State *L) { return edit_find(L, "dimension", "dimensions", NULL); }
static int edit_band(lua_State *L) { return edit_find(L, "band", "bands", NULL); }
static int edit_measure(lua_State *L) { return edit_find(L, "measure", "measures", NULL); }

void edit_open(lua_State *L) {
  static const luaL_Reg fns[] = {{"indicator", edit_indicator},
                                 {"dimension", edit_dimension},
                                 {"band", edit_band},
                                 {"measure", edit_measure},
                                 {NULL, NULL}};
  lua_pushglobaltable(L);
  luaL_setfuncs(L, fns, 0);
  lua_pop(L, 1);
}
