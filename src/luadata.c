/*
** luadata.c: plain Lua data to bytes and back (see luadata.h).
**
** Each value is a tag byte and its payload:
**   'n' nil  'F' false  'T' true  'i' integer (8 bytes)  'd' float (8 bytes)
**   's' a new string: length (8 bytes), bytes      'S' an earlier string: id
**   't' a new table: (key value)... then 'e'       'r' an earlier table: id
**   'x' a table too deep to send (comes back empty)
**   'f' a function  'u' any other value (comes back as a light userdata)
** New strings and tables get ids 0, 1, 2... in the order they are met, on
** both sides. Integers are in the machine's byte order: both ends are the
** same program.
*/
#include "luadata.h"

#include <lua.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- encoding */

static void put_bytes(luadata_out *o, const void *p, size_t n) {
  if (!o->failed && o->put(o->ctx, p, n) != 0) o->failed = 1;
}

static void put_tag(luadata_out *o, char tag) { put_bytes(o, &tag, 1); }

void luadata_put_int(luadata_out *o, int64_t v) { put_bytes(o, &v, sizeof v); }

void luadata_put_str(luadata_out *o, const char *s, size_t n) {
  luadata_put_int(o, (int64_t)n);
  put_bytes(o, s, n);
}

typedef struct enc {
  luadata_out *o;
  int seen;          /* stack index of the table value -> id */
  int64_t next_id;
} enc;

/* Emit a reference to the value at idx if it was met before; else register
** it and return 0. */
static int put_ref(enc *e, lua_State *L, int idx, char tag) {
  lua_pushvalue(L, idx);
  if (lua_rawget(L, e->seen) == LUA_TNUMBER) {
    int64_t id = (int64_t)lua_tointeger(L, -1);
    lua_pop(L, 1);
    put_tag(e->o, tag);
    luadata_put_int(e->o, id);
    return 1;
  }
  lua_pop(L, 1);
  lua_pushvalue(L, idx);
  lua_pushinteger(L, (lua_Integer)e->next_id++);
  lua_rawset(L, e->seen);
  return 0;
}

static void put_value(enc *e, lua_State *L, int idx, int depth) {
  luadata_out *o = e->o;
  idx = lua_absindex(L, idx);
  lua_checkstack(L, 8);
  switch (lua_type(L, idx)) {
  case LUA_TNIL: put_tag(o, 'n'); break;
  case LUA_TBOOLEAN: put_tag(o, lua_toboolean(L, idx) ? 'T' : 'F'); break;
  case LUA_TNUMBER:
    if (lua_isinteger(L, idx)) {
      put_tag(o, 'i');
      luadata_put_int(o, (int64_t)lua_tointeger(L, idx));
    } else {
      double d = (double)lua_tonumber(L, idx);
      put_tag(o, 'd');
      put_bytes(o, &d, sizeof d);
    }
    break;
  case LUA_TSTRING: {
    if (put_ref(e, L, idx, 'S')) break;
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    put_tag(o, 's');
    luadata_put_str(o, s, n);
    break;
  }
  case LUA_TTABLE:
    if (depth >= LUADATA_MAXDEPTH) {
      put_tag(o, 'x');
      break;
    }
    if (put_ref(e, L, idx, 'r')) break;
    put_tag(o, 't');
    lua_pushnil(L);
    while (!o->failed && lua_next(L, idx)) {
      put_value(e, L, -2, depth + 1);
      put_value(e, L, -1, depth + 1);
      lua_pop(L, 1);
    }
    if (o->failed) lua_pop(L, 1); /* the key lua_next left */
    put_tag(o, 'e');
    break;
  case LUA_TFUNCTION: put_tag(o, 'f'); break;
  default: put_tag(o, 'u'); break;
  }
}

void luadata_put_value(luadata_out *o, lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  lua_newtable(L);
  enc e = {o, lua_gettop(L), 0};
  put_value(&e, L, idx, 0);
  lua_pop(L, 1);
}

/* ---------------------------------------------------------------- decoding */

static int get_bytes(luadata_in *in, void *p, size_t n) {
  if (in->bad || (size_t)(in->end - in->p) < n) {
    in->bad = 1;
    memset(p, 0, n);
    return -1;
  }
  memcpy(p, in->p, n);
  in->p += n;
  return 0;
}

int64_t luadata_get_int(luadata_in *in) {
  int64_t v;
  get_bytes(in, &v, sizeof v);
  return v;
}

/* The length of a string about to be read, or -1 when it cannot be there. */
static int64_t get_len(luadata_in *in) {
  int64_t n = luadata_get_int(in);
  if (in->bad || n < 0 || n > in->end - in->p) {
    in->bad = 1;
    return -1;
  }
  return n;
}

char *luadata_get_str(luadata_in *in, size_t *n) {
  int64_t len = get_len(in);
  if (len < 0) return NULL;
  char *s = af_strndup(in->p, (size_t)len);
  in->p += len;
  if (n) *n = (size_t)len;
  return s;
}

static int nothing(lua_State *L) {
  (void)L;
  return 0;
}

typedef struct dec {
  luadata_in *in;
  int refs;          /* stack index of the table id -> value */
  lua_Integer next_id;
} dec;

static void remember(dec *d, lua_State *L) {
  lua_pushvalue(L, -1);
  lua_rawseti(L, d->refs, d->next_id++);
}

static void get_value(dec *d, lua_State *L, int depth);

static void get_table(dec *d, lua_State *L, int depth) {
  luadata_in *in = d->in;
  lua_newtable(L);
  remember(d, L);
  for (;;) {
    if (in->bad || in->p >= in->end) {
      in->bad = 1;
      return;
    }
    if (*in->p == 'e') {
      in->p++;
      return;
    }
    get_value(d, L, depth + 1);
    get_value(d, L, depth + 1);
    if (in->bad) {
      lua_pop(L, 2);
      return;
    }
    if (lua_isnil(L, -2) || (lua_type(L, -2) == LUA_TNUMBER && lua_tonumber(L, -2) !=
                                                                  lua_tonumber(L, -2))) {
      in->bad = 1; /* not a possible key */
      lua_pop(L, 2);
      return;
    }
    lua_rawset(L, -3);
  }
}

static void get_value(dec *d, lua_State *L, int depth) {
  luadata_in *in = d->in;
  char tag = 0;
  lua_checkstack(L, 8);
  if (depth > LUADATA_MAXDEPTH + 1 || get_bytes(in, &tag, 1) < 0) {
    in->bad = 1;
    lua_pushnil(L);
    return;
  }
  switch (tag) {
  case 'n': lua_pushnil(L); break;
  case 'F': lua_pushboolean(L, 0); break;
  case 'T': lua_pushboolean(L, 1); break;
  case 'i': lua_pushinteger(L, (lua_Integer)luadata_get_int(in)); break;
  case 'd': {
    double v;
    get_bytes(in, &v, sizeof v);
    lua_pushnumber(L, (lua_Number)v);
    break;
  }
  case 's': {
    int64_t n = get_len(in);
    if (n < 0) {
      lua_pushnil(L);
      break;
    }
    lua_pushlstring(L, in->p, (size_t)n);
    in->p += n;
    remember(d, L);
    break;
  }
  case 'S':
  case 'r': {
    int64_t id = luadata_get_int(in);
    if (in->bad || id < 0 || id >= d->next_id) {
      in->bad = 1;
      lua_pushnil(L);
      break;
    }
    lua_rawgeti(L, d->refs, (lua_Integer)id);
    break;
  }
  case 't': get_table(d, L, depth); break;
  case 'x': lua_newtable(L); break;
  case 'f': lua_pushcfunction(L, nothing); break;
  case 'u': lua_pushlightuserdata(L, NULL); break;
  default:
    in->bad = 1;
    lua_pushnil(L);
  }
}

int luadata_get_value(luadata_in *in, lua_State *L) {
  lua_newtable(L);
  dec d = {in, lua_gettop(L), 0};
  get_value(&d, L, 0);
  lua_remove(L, d.refs);
  if (in->bad) {
    lua_pop(L, 1);
    lua_pushnil(L);
    return -1;
  }
  return 0;
}
