/*
** track.c: proxies of imported tables that record where each field was
** written (see track.h).
**
** Registry tables (all keyed by the real table unless said):
**   PROXY  real -> its proxy (weak keys: an ephemeron, collected together)
**   REAL   proxy -> real (weak keys)
**   POS    real -> { key -> { file, line, seq } }
**   VIA    real -> the key it was last read under ("indicators"), weak keys
**   MISS   the last list item read that was not there: { file, line, list, index }
** The proxies share one metatable, protected so a script cannot swap it.
*/
#include "track.h"

#include <assert.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox.h"
#include "util.h"

#define TRACK_PROXY "afscore.track.proxy"
#define TRACK_REAL "afscore.track.real"
#define TRACK_POS "afscore.track.pos"
#define TRACK_VIA "afscore.track.via"
#define TRACK_MISS "afscore.track.miss"
#define TRACK_META "afscore.track.meta"
#define TRACK_NEXT "afscore.track.next"
#define TRACK_SEQ "afscore.track.seq"
/* Ids named when a list item is not there. */
#define TRACK_SHOW_IDS 10

static void track_reg(lua_State *L, const char *name) {
  lua_getfield(L, LUA_REGISTRYINDEX, name);
}

/* Push the real table of proxy p, or nil when p is not a proxy. */
static void track_real(lua_State *L, int p) {
  p = lua_absindex(L, p);
  track_reg(L, TRACK_REAL);
  lua_pushvalue(L, p);
  lua_rawget(L, -2);
  lua_remove(L, -2);
}

/* Push the value at idx, a table replaced by its proxy. */
static void track_push_wrapped(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  if (lua_type(L, idx) != LUA_TTABLE) {
    lua_pushvalue(L, idx);
    return;
  }
  track_real(L, idx);
  int is_proxy = !lua_isnil(L, -1);
  lua_pop(L, 1);
  if (is_proxy) {
    lua_pushvalue(L, idx);
    return;
  }
  track_reg(L, TRACK_PROXY);
  lua_pushvalue(L, idx);
  if (lua_rawget(L, -2) == LUA_TTABLE) {
    lua_remove(L, -2);
    return;
  }
  lua_pop(L, 1);
  lua_newtable(L); /* the proxy */
  track_reg(L, TRACK_META);
  lua_setmetatable(L, -2);
  lua_pushvalue(L, idx);
  lua_pushvalue(L, -2);
  lua_rawset(L, -4); /* PROXY[real] = proxy */
  track_reg(L, TRACK_REAL);
  lua_pushvalue(L, -2);
  lua_pushvalue(L, idx);
  lua_rawset(L, -3); /* REAL[proxy] = real */
  lua_pop(L, 1);
  lua_remove(L, -2);
}

/* The value at idx with a proxy replaced by its real table (pushed). */
static void track_push_unwrapped(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  if (lua_type(L, idx) == LUA_TTABLE) {
    track_real(L, idx);
    if (!lua_isnil(L, -1)) return;
    lua_pop(L, 1);
  }
  lua_pushvalue(L, idx);
}

/* Push { file, line, v3, v4 } for the script line calling now (v3, v4: the
** values at those indexes, 0 for none); 0 and nothing pushed when there is
** no script line. */
static int track_push_where(lua_State *L, int v3, int v4) {
  const char *file = NULL;
  int line = sandbox_caller(L, &file);
  if (line <= 0 || !file) return 0;
  v3 = v3 ? lua_absindex(L, v3) : 0;
  v4 = v4 ? lua_absindex(L, v4) : 0;
  lua_createtable(L, 4, 0);
  lua_pushstring(L, file);
  lua_rawseti(L, -2, 1);
  lua_pushinteger(L, line);
  lua_rawseti(L, -2, 2);
  for (int i = 0; i < 2; i++) {
    if (!(i ? v4 : v3)) continue;
    lua_pushvalue(L, i ? v4 : v3);
    lua_rawseti(L, -2, 3 + i);
  }
  return 1;
}

/* POS[real][key] = { file, line, seq } for the script line calling now. */
static void track_record(lua_State *L, int real, int key) {
  track_reg(L, TRACK_SEQ);
  lua_pushinteger(L, lua_tointeger(L, -1) + 1);
  lua_remove(L, -2);
  if (!track_push_where(L, -1, 0)) {
    lua_pop(L, 1);
    return;
  }
  lua_insert(L, -2);
  lua_setfield(L, LUA_REGISTRYINDEX, TRACK_SEQ);
  int where = lua_gettop(L);
  track_reg(L, TRACK_POS);
  lua_pushvalue(L, real);
  if (lua_rawget(L, -2) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, real);
    lua_pushvalue(L, -2);
    lua_rawset(L, -4);
  }
  lua_pushvalue(L, key);
  lua_pushvalue(L, where);
  lua_rawset(L, -3);
  lua_settop(L, where - 1);
}

/* MISS = { file, line, list, index } for list[index] read as nil. */
static void track_note_miss(lua_State *L, int real, int key) {
  if (track_push_where(L, real, key)) lua_setfield(L, LUA_REGISTRYINDEX, TRACK_MISS);
}

static int track_index(lua_State *L) {
  track_real(L, 1);
  int real = lua_gettop(L);
  assert(lua_istable(L, real));
  lua_pushvalue(L, 2);
  int t = lua_gettable(L, real);
  if (t == LUA_TNIL && lua_isinteger(L, 2) && luaL_len(L, real) > 0) track_note_miss(L, real, 2);
  if (t == LUA_TTABLE && lua_type(L, 2) == LUA_TSTRING) {
    track_reg(L, TRACK_VIA);
    lua_pushvalue(L, -2);
    lua_pushvalue(L, 2);
    lua_rawset(L, -3);
    lua_pop(L, 1);
  }
  track_push_wrapped(L, -1);
  return 1;
}

static int track_newindex(lua_State *L) {
  track_real(L, 1);
  int real = lua_gettop(L);
  assert(lua_istable(L, real));
  track_record(L, real, 2);
  lua_pushvalue(L, 2);
  track_push_unwrapped(L, 3);
  lua_settable(L, real);
  return 0;
}

static int track_len(lua_State *L) {
  track_real(L, 1);
  lua_pushinteger(L, luaL_len(L, -1));
  return 1;
}

/* pairs(proxy): the sandbox's deterministic next over the real table, with
** table values handed out as proxies. */
static int track_next(lua_State *L) {
  lua_settop(L, 2);
  track_reg(L, TRACK_NEXT);
  track_real(L, 1);
  lua_pushvalue(L, 2);
  lua_call(L, 2, 2);
  if (lua_isnil(L, -2)) return 1;
  track_push_wrapped(L, -1);
  lua_remove(L, -2);
  return 2;
}

static int track_pairs(lua_State *L) {
  lua_pushcfunction(L, track_next);
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

void track_open(lua_State *L) {
  sandbox_weak_registry(L, TRACK_PROXY);
  sandbox_weak_registry(L, TRACK_REAL);
  sandbox_weak_registry(L, TRACK_VIA);
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, TRACK_POS);
  lua_getglobal(L, "next");
  lua_setfield(L, LUA_REGISTRYINDEX, TRACK_NEXT);
  static const luaL_Reg meta[] = {{"__index", track_index},
                                  {"__newindex", track_newindex},
                                  {"__len", track_len},
                                  {"__pairs", track_pairs},
                                  {NULL, NULL}};
  luaL_newlib(L, meta);
  lua_pushliteral(L, "an imported methodology table");
  lua_setfield(L, -2, "__metatable");
  lua_setfield(L, LUA_REGISTRYINDEX, TRACK_META);
}

void track_wrap(lua_State *L) {
  track_push_wrapped(L, -1);
  lua_remove(L, -2);
}

/* Replace proxies by real tables in everything the table at the top of the
** stack reaches, and copy the positions of each table met into out. A work
** list instead of recursion: results may nest deeply. */
static void track_unwrap_all(lua_State *L, int out) {
  lua_newtable(L);
  int seen = lua_gettop(L);
  lua_newtable(L);
  int todo = lua_gettop(L);
  lua_Integer n = 0;
  lua_pushvalue(L, seen - 1);
  lua_rawseti(L, todo, ++n);
  track_reg(L, TRACK_POS);
  int pos = lua_gettop(L);
  while (n > 0) {
    lua_rawgeti(L, todo, n);
    lua_pushnil(L);
    lua_rawseti(L, todo, n--);
    int t = lua_gettop(L);
    lua_pushvalue(L, t);
    if (lua_rawget(L, seen) != LUA_TNIL) {
      lua_settop(L, t - 1);
      continue;
    }
    lua_pop(L, 1);
    lua_pushvalue(L, t);
    lua_pushboolean(L, 1);
    lua_rawset(L, seen);
    lua_pushvalue(L, t);
    if (lua_rawget(L, pos) == LUA_TTABLE) {
      lua_pushvalue(L, t);
      lua_insert(L, -2);
      lua_rawset(L, out);
    } else {
      lua_pop(L, 1);
    }
    lua_pushnil(L);
    while (lua_next(L, t)) {
      if (lua_type(L, -1) == LUA_TTABLE) {
        track_push_unwrapped(L, -1);
        if (!lua_rawequal(L, -1, -2)) { /* a proxy: store the real table */
          lua_pushvalue(L, -3);
          lua_pushvalue(L, -2);
          lua_rawset(L, t);
        }
        lua_rawseti(L, todo, ++n);
      }
      lua_pop(L, 1);
    }
    lua_settop(L, t - 1);
  }
  lua_settop(L, seen - 1);
}

void track_finish(lua_State *L) {
  track_push_unwrapped(L, -1);
  lua_remove(L, -2);
  lua_createtable(L, 2, 0);
  lua_newtable(L); /* the positions */
  int out = lua_gettop(L);
  if (lua_istable(L, out - 2)) {
    lua_pushvalue(L, out - 2);
    track_unwrap_all(L, out);
    lua_pop(L, 1);
  }
  lua_rawseti(L, -2, 2);
  lua_insert(L, -2);
  lua_rawseti(L, -2, 1);
}

/* The function a variant finds an item of the list under key with. */
static const char *track_helper(const char *key) {
  static const char *const lists[][2] = {{"indicators", "indicator"},
                                         {"dimensions", "dimension"},
                                         {"bands", "band"},
                                         {"measures", "measure"}};
  for (size_t i = 0; key && i < sizeof lists / sizeof *lists; i++)
    if (strcmp(key, lists[i][0]) == 0) return lists[i][1];
  return NULL;
}

/* The ids of the items of the list at index list, as "a, b, c" (at most
** TRACK_SHOW_IDS); a copy of the first into *first. Raw accesses: after a
** failed run no script code may run. */
static void track_list_ids(lua_State *L, int list, strbuf *b, char **first) {
  lua_Integer n = (lua_Integer)lua_rawlen(L, list);
  for (lua_Integer i = 1; i <= n; i++) {
    if (i > TRACK_SHOW_IDS) {
      sb_puts(b, ", ...");
      break;
    }
    if (lua_rawgeti(L, list, i) == LUA_TTABLE) {
      lua_pushliteral(L, "id");
      lua_rawget(L, -2);
    } else {
      lua_pushnil(L);
    }
    const char *id = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "?";
    if (!*first && lua_type(L, -1) == LUA_TSTRING) *first = af_strdup(id);
    sb_printf(b, "%s%s", i > 1 ? ", " : "", id);
    lua_pop(L, 2);
  }
}

char *track_explain_nil(lua_State *L, const char *msg, const char *name) {
  int top = lua_gettop(L);
  char *out = NULL;
  if (lua_getfield(L, LUA_REGISTRYINDEX, TRACK_MISS) != LUA_TTABLE) goto done;
  int miss = lua_gettop(L);
  lua_rawgeti(L, miss, 1);
  lua_rawgeti(L, miss, 2);
  lua_rawgeti(L, miss, 3);
  lua_rawgeti(L, miss, 4);
  const char *file = lua_tostring(L, miss + 1);
  int line = (int)lua_tointeger(L, miss + 2), list = miss + 3;
  char *where = af_sprintf("%s:%d: attempt to index a nil value", file, line);
  int same = strncmp(msg, where, strlen(where)) == 0;
  free(where);
  if (!same) goto done;
  track_reg(L, TRACK_VIA);
  lua_pushvalue(L, list);
  lua_rawget(L, -2);
  const char *key = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
  const char *helper = track_helper(key);
  strbuf b = {0}, ids = {0};
  char *first = NULL;
  track_list_ids(L, list, &ids, &first);
  lua_Integer n = (lua_Integer)lua_rawlen(L, list);
  sb_printf(&b, "%s:%d: %s[%lld] is not there: the list holds %lld (%s)", file, line,
            key ? key : "the list", (long long)lua_tointeger(L, miss + 4), (long long)n,
            ids.s);
  if (helper && first)
    sb_printf(&b, "; to edit one, find it by its id, e.g. %s(%s, \"%s\") (positions move when "
                  "the base changes)", helper, name && *name ? name : "m", first);
  sb_free(&ids);
  free(first);
  out = sb_take(&b);
done:
  lua_settop(L, top);
  return out;
}
