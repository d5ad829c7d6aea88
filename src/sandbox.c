/*
** sandbox.c: a Lua 5.4 state in which a methodology script cannot touch the
** machine and cannot run away.
**
** Reachable: base (without dofile, loadfile, warn; print is a no-op;
** collectgarbage answers "count" only; load takes text only), string (without
** dump), table, math (without random: scripts are deterministic) and utf8.
** Not opened at all: io, os, debug, package/require, coroutine. Reading a
** global that was never set is an error that says what to write instead
** (sandbox_lib_undefined).
**
** Limits, and how each one is enforced:
**  - memory: a counting lua_Alloc refuses to grow past the cap; Lua then
**    raises a memory error, reported as "memory limit of N MiB exceeded".
**  - instructions: a count hook every HOOK_STEP instructions; past the budget
**    it raises "instruction limit exceeded (endless loop?)".
**  - run time: the same hook reads a monotonic clock; past the time limit
**    (1.5 s by default) it raises "time limit of N s exceeded". This is the
**    backstop for loops whose few instructions each do a lot of work in C
**    (comparing or searching long strings, loading long chunks, shifting big
**    tables), which the instruction count alone would let run for hours.
**  - all three are final: once hit, the sandbox is "killed" and the wrapped pcall
**    and xpcall re-raise instead of returning, so a script cannot catch the
**    error and carry on; load (which catches errors raised by a reader
**    function, memory errors included) re-raises them too.
**  - C functions, where the hook cannot fire:
**    string.rep refuses, before allocating, a result larger than the memory
**    left (and returns "" at once for an empty piece, which Lua would
**    otherwise copy n times); table.move refuses more than 2^24 elements;
**    the pattern functions (find, match, gmatch, gsub) estimate the worst
**    case of Lua's backtracking matcher as
**        (pattern length + 1) * (subject length + 1) ^ e,
**    e = number of repetition items (* + - ?) + 1 unless the pattern is
**    anchored with ^ (gmatch: always + 1), and refuse above PATTERN_BUDGET
**    (about a second of matching). Short texts with any pattern, and long
**    texts with simple patterns, pass.
**  - __gc metamethods are refused by setmetatable: Lua runs finalizers with
**    hooks off, so an endless finalizer could not be stopped.
**
** Chunks are loaded under private names ("=\x1dN\x1d") and error messages are
** rewritten to the display name afterwards, because Lua cuts source names
** at 60 characters and methodology paths can be longer.
*/
#include "sandbox.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HOOK_STEP 100
#define PATTERN_BUDGET 2e8
#define MOVE_LIMIT ((lua_Integer)1 << 24)

enum { KILL_NONE = 0, KILL_INSTR, KILL_MEM, KILL_TIME };

struct sandbox {
  lua_State *L;
  size_t used, max;             /* max: the cap in force; cap: the configured one */
  size_t cap;
  long steps, max_steps;
  double max_seconds, deadline; /* deadline: CPU seconds, 0 when not running */
  double last_read;             /* wall-clock time of the last CPU clock reading */
  int kill;
  char where_src[LUA_IDSIZE];   /* last position seen by the hook */
  int where_line;
  char **chunks;                /* display names; index = private name */
  int nchunks, ccap;
  void *import_ctx;
  sandbox_where *shared;        /* also publish the position here (or NULL) */
  int shared_chunk;             /* chunk whose name shared->file holds, or -1 */
  lua_Integer next_id;          /* deterministic ids for tostring */
};

static sandbox *SB(lua_State *L) { return *(sandbox **)lua_getextraspace(L); }

static double clock_seconds(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this thread: the time limit must not depend on how busy the
** machine is. */
static double now_seconds(void) { return clock_seconds(CLOCK_THREAD_CPUTIME_ID); }

/* Past the time limit? Reading the CPU clock is a system call, so it is
** read when 10 ms of wall-clock time (a cheap clock) have passed since the
** last reading: at most 100 times a second, and never later than 10 ms plus
** one hook interval after the limit. */
static int past_deadline(sandbox *s) {
  double wall = clock_seconds(CLOCK_MONOTONIC);
  if (wall - s->last_read < 0.01) return 0;
  s->last_read = wall;
  return now_seconds() > s->deadline;
}

/* ------------------------------------------------------------- limits */

static void *sandbox_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  sandbox *s = ud;
  size_t old = ptr ? osize : 0;
  if (nsize == 0) {
    free(ptr);
    s->used -= old;
    return NULL;
  }
  /* Refuse growth past the cap. Lua then collects garbage and retries once
  ** before raising a memory error, so a refusal here is not yet final. */
  if (nsize > old && s->used - old + nsize > s->max) return NULL;
  void *p = realloc(ptr, nsize);
  if (!p) return NULL;
  s->used = s->used - old + nsize;
  return p;
}

#define TOKEN_MARK '\x1d'

/* Publish the position to the shared page (whose reader may have no other
** way to learn it: a process killed by the kernel). */
static void publish_where(sandbox *s) {
  sandbox_where *w = s->shared;
  const char *src = s->where_src;
  int chunk = -1;
  if (src[0] == TOKEN_MARK) chunk = atoi(src + 1);
  if (chunk >= 0 && chunk < s->nchunks && chunk != s->shared_chunk) {
    snprintf(w->file, sizeof w->file, "%s", s->chunks[chunk]);
    s->shared_chunk = chunk;
  }
  w->line = s->where_line;
}

static void remember_where(sandbox *s, lua_Debug *ar) {
  if (ar->currentline <= 0) return;
  memcpy(s->where_src, ar->short_src, sizeof s->where_src);
  s->where_line = ar->currentline;
  if (s->shared) publish_where(s);
}

static void sandbox_hook(lua_State *L, lua_Debug *ar) {
  sandbox *s = SB(L);
  s->steps += HOOK_STEP;
  if (lua_getinfo(L, "Sl", ar)) remember_where(s, ar);
  if (s->kill == KILL_NONE && s->steps > s->max_steps) s->kill = KILL_INSTR;
  if (s->kill == KILL_NONE && s->deadline > 0 && past_deadline(s)) s->kill = KILL_TIME;
  if (s->kill != KILL_NONE) {
    if (s->kill == KILL_TIME) lua_pushliteral(L, "time limit exceeded");
    else lua_pushliteral(L, "instruction limit exceeded (endless loop?)");
    lua_error(L);
  }
}

/* Remember the position of the Lua code calling the current C function. */
static void where_caller(lua_State *L) {
  lua_Debug ar;
  for (int level = 1; lua_getstack(L, level, &ar); level++) {
    if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
      remember_where(SB(L), &ar);
      return;
    }
  }
}

int sandbox_caller(lua_State *L, const char **file) {
  sandbox *s = SB(L);
  lua_Debug ar;
  for (int level = 1; lua_getstack(L, level, &ar); level++) {
    if (!lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0) continue;
    int chunk = ar.source[0] == '=' && ar.source[1] == TOKEN_MARK ? atoi(ar.source + 2) : -1;
    if (chunk < 0 || chunk >= s->nchunks) return 0;
    *file = s->chunks[chunk];
    return ar.currentline;
  }
  return 0;
}

static int kill_memory(lua_State *L) {
  sandbox *s = SB(L);
  where_caller(L);
  s->kill = KILL_MEM;
  lua_pushliteral(L, "memory limit exceeded");
  return lua_error(L);
}

/* ------------------------------------------------------------ wrappers */

/* An error raised inside a wrapped function, on its way out. A memory error
** becomes final (and takes the calling line as its position); a message the
** function raised itself gets the position and name of the call in the
** script, which Lua cannot give it because its caller is the C wrapper. */
static int rethrow(lua_State *L, int status) {
  sandbox *s = SB(L);
  if (status == LUA_ERRMEM && s->kill == KILL_NONE) {
    where_caller(L);
    s->kill = KILL_MEM;
  }
  if (s->kill != KILL_NONE || lua_type(L, -1) != LUA_TSTRING) return lua_error(L);
  const char *msg = lua_tostring(L, -1);
  if (msg[0] == TOKEN_MARK) return lua_error(L); /* already placed in the script */
  lua_Debug ar;
  const char *name = "?";
  if (lua_getstack(L, 0, &ar) && lua_getinfo(L, "n", &ar) && ar.name) name = ar.name;
  luaL_where(L, 1);
  const char *q = strstr(msg, " to '?'");
  if (q) lua_pushfstring(L, "%s to '%s'%s", lua_pushlstring(L, msg, (size_t)(q - msg)), name,
                         q + 7);
  else lua_pushvalue(L, -2);
  if (q) lua_remove(L, -2);
  lua_concat(L, 2);
  return lua_error(L);
}

/* Call the original function (upvalue 1) with the current arguments. */
static int call_original(lua_State *L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  int status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
  if (status != LUA_OK) return rethrow(L, status);
  return lua_gettop(L);
}

/* After a protected call: a killed sandbox re-raises, anything else is
** returned to the script as pcall would. */
static int after_pcall(lua_State *L, int status, int base) {
  sandbox *s = SB(L);
  if (status == LUA_ERRMEM && s->kill == KILL_NONE) s->kill = KILL_MEM;
  if (s->kill != KILL_NONE) return lua_error(L);
  lua_pushboolean(L, status == LUA_OK);
  lua_insert(L, base);
  return lua_gettop(L) - base + 1;
}

static int sandbox_lib_pcall(lua_State *L) {
  luaL_checkany(L, 1);
  int status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
  return after_pcall(L, status, 1);
}

static int sandbox_lib_xpcall(lua_State *L) {
  int n = lua_gettop(L);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  /* from (f, handler, args...) to (handler, f, args...) */
  lua_pushvalue(L, 1);
  lua_pushvalue(L, 2);
  lua_replace(L, 1);
  lua_replace(L, 2);
  int status = lua_pcall(L, n - 2, LUA_MULTRET, 1);
  return after_pcall(L, status, 2);
}

static int sandbox_lib_load(lua_State *L) {
  size_t len;
  const char *s = lua_type(L, 1) == LUA_TSTRING ? lua_tolstring(L, 1, &len) : NULL;
  if (s && len > 0 && s[0] == LUA_SIGNATURE[0]) {
    lua_pushnil(L);
    lua_pushliteral(L, "load: binary chunks are not allowed, only source text");
    return 2;
  }
  if (lua_gettop(L) < 3) lua_settop(L, 3);
  lua_pushliteral(L, "t");
  lua_replace(L, 3);
  int n = call_original(L);
  /* load runs a reader function in protected mode: a limit hit inside it,
  ** or a memory error while compiling, comes back as (nil, message). */
  sandbox *sx = SB(L);
  if (sx->kill == KILL_NONE && n == 2 && lua_isnil(L, -2) && lua_type(L, -1) == LUA_TSTRING &&
      strcmp(lua_tostring(L, -1), "not enough memory") == 0)
    return kill_memory(L);
  if (sx->kill != KILL_NONE) return lua_error(L);
  return n;
}

static int sandbox_lib_setmetatable(lua_State *L) {
  if (lua_type(L, 2) == LUA_TTABLE) {
    lua_pushliteral(L, "__gc");
    int t = lua_rawget(L, 2);
    lua_pop(L, 1);
    if (t != LUA_TNIL)
      return luaL_error(L, "setmetatable: __gc metamethods are not allowed in a methodology");
  }
  return call_original(L);
}

static int sandbox_lib_collectgarbage(lua_State *L) {
  const char *opt = luaL_optstring(L, 1, "collect");
  if (strcmp(opt, "count") != 0)
    return luaL_error(L, "collectgarbage: only collectgarbage(\"count\") is available "
                         "in a methodology");
  /* 0, not the real figure: a script must see the same values on every
  ** load, whatever the Lua version or build */
  lua_pushnumber(L, 0);
  return 1;
}

static int sandbox_lib_print(lua_State *L) { return 0; }

static int sandbox_lib_rep(lua_State *L) {
  size_t l, lsep;
  luaL_checklstring(L, 1, &l);
  lua_Integer n = luaL_checkinteger(L, 2);
  luaL_optlstring(L, 3, "", &lsep);
  if (n <= 0 || l + lsep == 0) {
    lua_pushliteral(L, "");
    return 1;
  }
  sandbox *s = SB(L);
  double total = (double)l * (double)n + (double)lsep * (double)(n - 1);
  double left = s->used < s->max ? (double)(s->max - s->used) : 0;
  if (total > left) return kill_memory(L);
  return call_original(L);
}

static int sandbox_lib_move(lua_State *L) {
  lua_Integer f = luaL_checkinteger(L, 2), e = luaL_checkinteger(L, 3);
  if (e >= f && (f <= 0 ? e >= MOVE_LIMIT + f : e - f >= MOVE_LIMIT))
    return luaL_error(L, "table.move: too many elements (at most %d)", (int)MOVE_LIMIT);
  return call_original(L);
}

/* Skip a pattern set "[...]" starting at p[i] == '['; returns the index
** after its closing ']'. */
static size_t skip_set(const char *p, size_t len, size_t i) {
  i++;
  if (i < len && p[i] == '^') i++;
  if (i < len && p[i] == ']') i++;
  while (i < len && p[i] != ']') i += (p[i] == '%') ? 2 : 1;
  return i + 1;
}

/* Repetition items (* + - ?) of a Lua pattern; *anchored when it starts with ^. */
static int pattern_reps(const char *p, size_t len, int *anchored) {
  size_t i = 0;
  int reps = 0;
  *anchored = len > 0 && p[0] == '^';
  if (*anchored) i = 1;
  while (i < len) {
    char c = p[i];
    if (c == '(' || c == ')') {
      i++;
      continue;
    }
    if (c == '%' && i + 1 < len && p[i + 1] == 'b') {
      i += 4;
      continue;
    }
    if (c == '%' && i + 1 < len && p[i + 1] == 'f') {
      i = (i + 2 < len && p[i + 2] == '[') ? skip_set(p, len, i + 2) : i + 2;
      continue;
    }
    if (c == '%') i += 2;
    else if (c == '[') i = skip_set(p, len, i);
    else i++;
    if (i < len && strchr("*+-?", p[i])) {
      reps++;
      i++;
    }
  }
  return reps;
}

/* Refuse a pattern call whose worst case could run too long (see top). */
static void check_pattern(lua_State *L, const char *fname, int always_scan, int plain_arg) {
  if (!lua_isstring(L, 1) || !lua_isstring(L, 2)) return; /* the original will complain */
  size_t n, m;
  lua_tolstring(L, 1, &n);
  const char *p = lua_tolstring(L, 2, &m);
  int anchored = 0, reps = 0;
  int plain = plain_arg && lua_toboolean(L, plain_arg);
  if (!plain) reps = pattern_reps(p, m, &anchored);
  int e = reps + ((anchored && !always_scan) ? 0 : 1);
  double cost = ((double)m + 1) * pow((double)n + 1, e);
  if (cost > PATTERN_BUDGET)
    luaL_error(L, "string.%s: pattern too costly: %d repetition item(s) on a text of %d "
                  "characters could take too long to match; use a shorter text or a "
                  "simpler pattern", fname, reps, (int)(n > 2147483647u ? 2147483647u : n));
}

static int sandbox_lib_find(lua_State *L) {
  check_pattern(L, "find", 0, 4);
  return call_original(L);
}
static int sandbox_lib_match(lua_State *L) {
  check_pattern(L, "match", 0, 0);
  return call_original(L);
}
static int sandbox_lib_gmatch(lua_State *L) {
  check_pattern(L, "gmatch", 1, 0);
  return call_original(L);
}
static int sandbox_lib_gsub(lua_State *L) {
  check_pattern(L, "gsub", 0, 0);
  return call_original(L);
}

/* ------------------------------------------------------- determinism */

/* A script must mean the same thing on every load. Lua itself varies
** between runs in three places a script can see: the order of next/pairs
** (string hashes are seeded per state, tables hash by address), addresses
** in tostring and string.format("%p"), and table.sort's pivots (taken from
** the clock for long arrays, which changes the order of equal elements).
** These replacements are deterministic: pairs/next visit keys sorted
** (numbers, then strings, then false and true), tostring names tables and
** functions by the order in which they were first shown ("table: #1"), and
** table.sort is a stable merge sort. */

#define REG_IDS "afscore.ids"     /* weak-keyed: object -> its number */
#define REG_ORDER "afscore.order" /* weak-keyed: table -> { keys, positions } */

void sandbox_weak_registry(lua_State *L, const char *name) {
  lua_newtable(L);
  lua_newtable(L);
  lua_pushliteral(L, "k");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_setfield(L, LUA_REGISTRYINDEX, name);
}

/* The number of the object at idx: given in the order objects are first
** shown, so the same script gets the same numbers. */
static lua_Integer object_id(lua_State *L, int idx) {
  lua_getfield(L, LUA_REGISTRYINDEX, REG_IDS);
  lua_pushvalue(L, idx);
  lua_Integer id;
  if (lua_rawget(L, -2) == LUA_TNUMBER) {
    id = lua_tointeger(L, -1);
  } else {
    id = ++SB(L)->next_id;
    lua_pushvalue(L, idx);
    lua_pushinteger(L, id);
    lua_rawset(L, -4);
  }
  lua_pop(L, 2);
  return id;
}

/* Push tostring(value at idx), without addresses ("table: #3"). */
static void push_tostring(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  int t = lua_type(L, idx);
  int own = luaL_getmetafield(L, idx, "__tostring") != LUA_TNIL;
  if (own) lua_pop(L, 1);
  if (own || t == LUA_TNIL || t == LUA_TBOOLEAN || t == LUA_TNUMBER || t == LUA_TSTRING) {
    luaL_tolstring(L, idx, NULL);
    return;
  }
  int nt = luaL_getmetafield(L, idx, "__name");
  const char *kind = nt == LUA_TSTRING ? lua_tostring(L, -1) : luaL_typename(L, idx);
  lua_Integer id = object_id(L, idx);
  lua_pushfstring(L, "%s: #%I", kind, (LUAI_UACINT)id);
  if (nt != LUA_TNIL) lua_remove(L, -2);
}

static int sandbox_lib_tostring(lua_State *L) {
  luaL_checkany(L, 1);
  push_tostring(L, 1);
  return 1;
}

/* string.format: %s of a table or function goes through push_tostring; %p
** (an address) is refused. */
static int sandbox_lib_format(lua_State *L) {
  size_t n;
  const char *f = luaL_checklstring(L, 1, &n);
  int arg = 1;
  for (size_t i = 0; i < n; i++) {
    if (f[i] != '%') continue;
    if (++i < n && f[i] == '%') continue;
    while (i < n && strchr("-+ #0123456789.", f[i])) i++;
    if (i >= n) break;
    arg++;
    if (f[i] == 'p')
      return luaL_error(L, "string.format: %%p is not available in a methodology (addresses "
                           "change from one run to the next)");
    int t = lua_type(L, arg);
    if (f[i] == 's' && t != LUA_TSTRING && t != LUA_TNUMBER && t != LUA_TNONE) {
      push_tostring(L, arg);
      lua_replace(L, arg);
    }
  }
  return call_original(L);
}

typedef int (*less_fn)(lua_State *L, int a, int b, void *ctx);

/* Stable bottom-up merge sort of the n values in the table at a (1..n),
** using the table at b as scratch. Returns the index of the sorted one. */
static int merge_sort(lua_State *L, int a, int b, lua_Integer n, less_fn less, void *ctx) {
  for (lua_Integer w = 1; w < n; w *= 2) {
    for (lua_Integer lo = 1; lo <= n; lo += 2 * w) {
      lua_Integer mid = lo + w <= n + 1 ? lo + w : n + 1;
      lua_Integer hi = lo + 2 * w <= n + 1 ? lo + 2 * w : n + 1;
      lua_Integer i = lo, j = mid, k = lo;
      while (i < mid && j < hi) {
        lua_rawgeti(L, a, i);
        lua_rawgeti(L, a, j);
        int take_j = less(L, -1, -2, ctx); /* only a strictly smaller right one moves first */
        lua_pop(L, 2);
        lua_rawgeti(L, a, take_j ? j++ : i++);
        lua_rawseti(L, b, k++);
      }
      while (i < mid) {
        lua_rawgeti(L, a, i++);
        lua_rawseti(L, b, k++);
      }
      while (j < hi) {
        lua_rawgeti(L, a, j++);
        lua_rawseti(L, b, k++);
      }
    }
    int t = a;
    a = b;
    b = t;
  }
  return a;
}

static int sort_less(lua_State *L, int a, int b, void *ctx) {
  a = lua_absindex(L, a);
  b = lua_absindex(L, b);
  if (!*(int *)ctx) return lua_compare(L, a, b, LUA_OPLT);
  lua_pushvalue(L, 2);
  lua_pushvalue(L, a);
  lua_pushvalue(L, b);
  lua_call(L, 2, 1);
  int r = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return r;
}

static int sandbox_lib_sort(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_Integer n = luaL_len(L, 1);
  if (n <= 1) return 0;
  luaL_argcheck(L, n < INT_MAX, 1, "array too big");
  int has_fn = !lua_isnoneornil(L, 2);
  if (has_fn) luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_settop(L, 2);
  lua_createtable(L, (int)n, 0);
  lua_createtable(L, (int)n, 0);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_geti(L, 1, i);
    lua_rawseti(L, 3, i);
  }
  int sorted = merge_sort(L, 3, 4, n, sort_less, &has_fn);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, sorted, i);
    lua_seti(L, 1, i);
  }
  return 0;
}

static int key_rank(int type) { return type == LUA_TNUMBER ? 0 : type == LUA_TSTRING ? 1 : 2; }

/* The order of keys: numbers, strings (bytewise), false, true. */
static int key_less(lua_State *L, int a, int b, void *ctx) {
  (void)ctx;
  int ta = lua_type(L, a), tb = lua_type(L, b);
  if (ta != tb) return key_rank(ta) < key_rank(tb);
  if (ta == LUA_TNUMBER) return lua_compare(L, a, b, LUA_OPLT);
  if (ta == LUA_TBOOLEAN) return !lua_toboolean(L, a) && lua_toboolean(L, b);
  size_t la, lb;
  const char *sa = lua_tolstring(L, a, &la), *sb = lua_tolstring(L, b, &lb);
  int c = memcmp(sa, sb, la < lb ? la : lb);
  return c < 0 || (c == 0 && la < lb);
}

/* Push the order of table t's keys: { sorted keys, key -> position }, and
** remember it for the next calls of the same traversal. */
static void build_order(lua_State *L, int t) {
  lua_newtable(L); /* keys */
  int keys = lua_gettop(L);
  lua_Integer n = 0;
  lua_pushnil(L);
  while (lua_next(L, t)) {
    lua_pop(L, 1);
    int kt = lua_type(L, -1);
    if (kt != LUA_TNUMBER && kt != LUA_TSTRING && kt != LUA_TBOOLEAN)
      luaL_error(L, "pairs/next: a table with %s keys has no defined order in a methodology "
                    "(use numbers, strings or booleans as keys, or a list)",
                 luaL_typename(L, -1));
    lua_pushvalue(L, -1);
    lua_rawseti(L, keys, ++n);
  }
  lua_createtable(L, (int)n, 0);
  int sorted = merge_sort(L, keys, keys + 1, n, key_less, NULL);
  lua_createtable(L, 2, 0); /* the order */
  lua_pushvalue(L, sorted);
  lua_rawseti(L, -2, 1);
  lua_createtable(L, 0, (int)n); /* positions */
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, sorted, i);
    lua_pushinteger(L, i);
    lua_rawset(L, -3);
  }
  lua_rawseti(L, -2, 2);
  lua_replace(L, keys);
  lua_settop(L, keys);
  lua_getfield(L, LUA_REGISTRYINDEX, REG_ORDER);
  lua_pushvalue(L, t);
  lua_pushvalue(L, keys);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

/* The position of key k (at idx) in t's order (pushed), or 0. */
static lua_Integer order_pos(lua_State *L, int idx) {
  lua_rawgeti(L, -1, 2);
  lua_pushvalue(L, idx);
  lua_Integer pos = lua_rawget(L, -2) == LUA_TNUMBER ? lua_tointeger(L, -1) : 0;
  lua_pop(L, 2);
  return pos;
}

static int sandbox_lib_next(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 2);
  lua_Integer pos = 0;
  if (lua_isnil(L, 2)) {
    build_order(L, 1);
  } else {
    lua_getfield(L, LUA_REGISTRYINDEX, REG_ORDER);
    lua_pushvalue(L, 1);
    int have = lua_rawget(L, -2) == LUA_TTABLE;
    lua_remove(L, -2);
    if (have) pos = order_pos(L, 2);
    if (!pos) { /* not from this traversal: start a fresh order */
      lua_pop(L, 1);
      build_order(L, 1);
      pos = order_pos(L, 2);
      if (!pos) return luaL_error(L, "invalid key to 'next'");
    }
  }
  lua_rawgeti(L, -1, 1);
  lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
  for (lua_Integer i = pos + 1; i <= n; i++) {
    lua_rawgeti(L, -1, i);
    lua_pushvalue(L, -1);
    if (lua_rawget(L, 1) != LUA_TNIL) return 2; /* key, value */
    lua_pop(L, 2);
  }
  lua_pushnil(L);
  return 1;
}

static int sandbox_lib_pairs(lua_State *L) {
  luaL_checkany(L, 1);
  if (luaL_getmetafield(L, 1, "__pairs") != LUA_TNIL) { /* the script's own order */
    lua_pushvalue(L, 1);
    lua_call(L, 1, 3);
    return 3;
  }
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_pushvalue(L, lua_upvalueindex(1)); /* the deterministic next */
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

/* Record where the script calls a library function from, then call it: a
** limit hit inside the function (memory, or the CPU limit that ends the
** process) is reported at that line. */
static int sandbox_lib_located(lua_State *L) {
  where_caller(L);
  return call_original(L);
}

/* Wrap every C function of table t (at the top of the stack). */
static void locate_all(lua_State *L) {
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    if (!lua_iscfunction(L, -1)) {
      lua_pop(L, 1);
      continue;
    }
    lua_pushcclosure(L, sandbox_lib_located, 1); /* key, wrapper */
    lua_pushvalue(L, -2);
    lua_insert(L, -2);                           /* key, key, wrapper */
    lua_rawset(L, -4);                           /* key: lua_next goes on from it */
  }
}

/* ------------------------------------------------------- strict globals */

/* Reading a global nobody set is an error, not nil: in a methodology it is
** almost always text written without quotes (scoring = points), a name
** misspelt, or a library a methodology cannot have. Lua's own message comes
** later and elsewhere ("missing required field", "attempt to call a nil
** value"), so this one says what was meant. */
static int sandbox_lib_undefined(lua_State *L) {
  static const char *const loaders[] = {"require", "dofile", "loadfile"};
  static const char *const machine[] = {"io", "os", "debug", "package", "coroutine"};
  const char *name = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : NULL;
  if (!name) return 0;
  luaL_where(L, 2);
  for (size_t i = 0; i < sizeof loaders / sizeof *loaders; i++)
    if (strcmp(name, loaders[i]) == 0)
      return luaL_error(L, "%s%s() is not available in a methodology: use import(\"name\") "
                           "to build on another methodology file (it returns a fresh copy "
                           "of its table)", lua_tostring(L, -1), name);
  for (size_t i = 0; i < sizeof machine / sizeof *machine; i++)
    if (strcmp(name, machine[i]) == 0)
      return luaL_error(L, "%s'%s' is not available in a methodology (it cannot reach "
                           "files, the clock or the system)", lua_tostring(L, -1), name);
  return luaL_error(L, "%s'%s' is not defined: write text in quotes (\"%s\"), or declare "
                       "the variable first (local %s = ...)", lua_tostring(L, -1), name,
                    name, name);
}

/* ---------------------------------------------------------------- setup */

/* Replace t[name] (t at the top of the stack) by fn with the old value as
** its upvalue. */
static void wrap(lua_State *L, const char *name, lua_CFunction fn) {
  lua_getfield(L, -1, name);
  lua_pushcclosure(L, fn, 1);
  lua_setfield(L, -2, name);
}

static void wrap_all(lua_State *L, const luaL_Reg *fns) {
  for (; fns->name; fns++) wrap(L, fns->name, fns->func);
}

static void set_nil(lua_State *L, const char *name) {
  lua_pushnil(L);
  lua_setfield(L, -2, name);
}

static void open_libs(lua_State *L) {
  static const luaL_Reg libs[] = {{LUA_GNAME, luaopen_base},     {LUA_STRLIBNAME, luaopen_string},
                                  {LUA_TABLIBNAME, luaopen_table}, {LUA_MATHLIBNAME, luaopen_math},
                                  {LUA_UTF8LIBNAME, luaopen_utf8}};
  for (size_t i = 0; i < sizeof libs / sizeof *libs; i++) {
    luaL_requiref(L, libs[i].name, libs[i].func, 1);
    lua_pop(L, 1);
  }
  lua_pushglobaltable(L);
  set_nil(L, "dofile");
  set_nil(L, "loadfile");
  set_nil(L, "warn");
  set_nil(L, "require");
  static const luaL_Reg base[] = {
      {"load", sandbox_lib_load},
      {"pcall", sandbox_lib_pcall},
      {"xpcall", sandbox_lib_xpcall},
      {"setmetatable", sandbox_lib_setmetatable},
      {"collectgarbage", sandbox_lib_collectgarbage},
      {"print", sandbox_lib_print},
      {NULL, NULL}};
  static const luaL_Reg str[] = {
      {"rep", sandbox_lib_rep},     {"find", sandbox_lib_find}, {"match", sandbox_lib_match},
      {"gmatch", sandbox_lib_gmatch}, {"gsub", sandbox_lib_gsub}, {"format", sandbox_lib_format},
      {NULL, NULL}};
  wrap_all(L, base);
  lua_getfield(L, -1, LUA_STRLIBNAME);
  set_nil(L, "dump");
  wrap_all(L, str);
  locate_all(L);
  lua_pop(L, 1);
  lua_getfield(L, -1, LUA_TABLIBNAME);
  wrap(L, "move", sandbox_lib_move);
  lua_pushcfunction(L, sandbox_lib_sort);
  lua_setfield(L, -2, "sort");
  locate_all(L);
  lua_pop(L, 1);
  lua_getfield(L, -1, LUA_UTF8LIBNAME);
  locate_all(L);
  lua_pop(L, 1);
  lua_getfield(L, -1, LUA_MATHLIBNAME);
  set_nil(L, "random");
  set_nil(L, "randomseed");
  lua_pop(L, 1);
  lua_newtable(L); /* the globals' metatable: strict reads, protected */
  lua_pushcfunction(L, sandbox_lib_undefined);
  lua_setfield(L, -2, "__index");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  sandbox_weak_registry(L, REG_IDS);
  sandbox_weak_registry(L, REG_ORDER);
  lua_pushcfunction(L, sandbox_lib_next);
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, "next");
  lua_pushcclosure(L, sandbox_lib_pairs, 1);
  lua_setfield(L, -2, "pairs");
  lua_pushcfunction(L, sandbox_lib_tostring);
  lua_setfield(L, -2, "tostring");
  /* library functions that can run long or allocate much report the line
  ** they were called from (not error: its level counts from the caller) */
  static const char *const located[] = {"tostring", "load", "next", "pairs", "select",
                                        "tonumber", "setmetatable"};
  lua_newtable(L);
  for (size_t i = 0; i < sizeof located / sizeof *located; i++) {
    lua_getfield(L, -2, located[i]);
    lua_setfield(L, -2, located[i]);
  }
  locate_all(L);
  for (size_t i = 0; i < sizeof located / sizeof *located; i++) {
    lua_getfield(L, -1, located[i]);
    lua_setfield(L, -3, located[i]);
  }
  lua_pop(L, 2);
}

sandbox *sandbox_new(size_t max_memory, long max_instructions) {
  sandbox *s = af_calloc(1, sizeof *s);
  s->max = (size_t)-1; /* the standard libraries load without a cap */
  s->L = lua_newstate(sandbox_alloc, s);
  if (!s->L) {
    free(s);
    return NULL;
  }
  *(sandbox **)lua_getextraspace(s->L) = s;
  open_libs(s->L);
  s->cap = s->max = max_memory ? max_memory : SANDBOX_DEFAULT_MEMORY;
  s->max_steps = max_instructions > 0 ? max_instructions : SANDBOX_DEFAULT_INSTRUCTIONS;
  s->max_seconds = SANDBOX_DEFAULT_SECONDS;
  lua_sethook(s->L, sandbox_hook, LUA_MASKCOUNT, HOOK_STEP);
  return s;
}

void sandbox_free(sandbox *s) {
  if (!s) return;
  lua_close(s->L);
  for (int i = 0; i < s->nchunks; i++) free(s->chunks[i]);
  free(s->chunks);
  free(s);
}

lua_State *sandbox_lua(sandbox *s) { return s->L; }

void sandbox_set_time_limit(sandbox *s, double seconds) {
  s->max_seconds = seconds > 0 ? seconds : SANDBOX_DEFAULT_SECONDS;
}

void sandbox_unlimit(sandbox *s) {
  lua_sethook(s->L, NULL, 0, 0);
  s->max = (size_t)-1;
  s->deadline = 0;
}

void sandbox_set_import(sandbox *s, int (*fn)(lua_State *L), void *ctx) {
  s->import_ctx = ctx;
  lua_pushcfunction(s->L, fn);
  lua_setglobal(s->L, "import");
}

void *sandbox_import_ctx(lua_State *L) { return SB(L)->import_ctx; }

void sandbox_share_where(sandbox *s, sandbox_where *w) {
  s->shared = w;
  s->shared_chunk = -1;
}

/* ------------------------------------------------------- chunks, errors */

/* The private chunk name for a display name, registering it once. */
static void chunk_token(sandbox *s, const char *name, char out[32]) {
  int i = 0;
  while (i < s->nchunks && strcmp(s->chunks[i], name) != 0) i++;
  if (i == s->nchunks) {
    af_grow(&s->chunks, &s->ccap, s->nchunks + 1, sizeof *s->chunks);
    s->chunks[s->nchunks++] = af_strdup(name);
  }
  snprintf(out, 32, "=%c%d%c", TOKEN_MARK, i, TOKEN_MARK);
}

/* msg with every private chunk name replaced by its display name. */
static char *display_names(const sandbox *s, const char *msg) {
  strbuf b = {0};
  for (const char *p = msg; *p;) {
    char *end;
    if (*p == TOKEN_MARK) {
      long i = strtol(p + 1, &end, 10);
      if (end > p + 1 && *end == TOKEN_MARK && i >= 0 && i < s->nchunks) {
        sb_puts(&b, s->chunks[i]);
        p = end + 1;
        continue;
      }
    }
    sb_putc(&b, *p++);
  }
  return sb_take(&b);
}

/* 1 if msg already starts with "NAME:LINE:" for a known chunk. */
static int has_position(const sandbox *s, const char *msg) {
  for (int i = 0; i < s->nchunks; i++) {
    size_t n = strlen(s->chunks[i]);
    if (strncmp(msg, s->chunks[i], n) != 0 || msg[n] != ':') continue;
    const char *q = msg + n + 1;
    if (*q < '0' || *q > '9') continue;
    while (*q >= '0' && *q <= '9') q++;
    if (*q == ':') return 1;
  }
  return 0;
}

static void format_error(sandbox *s, const char *chunkname, af_err *e) {
  lua_State *L = s->L;
  char *where = display_names(s, s->where_src);
  char pos[AF_ERRLEN];
  if (s->where_line > 0) snprintf(pos, sizeof pos, "%s:%d", where, s->where_line);
  else snprintf(pos, sizeof pos, "%s", chunkname);
  free(where);
  if (s->kill == KILL_INSTR) {
    af_fail(e, "%s: instruction limit exceeded (endless loop?)", pos);
  } else if (s->kill == KILL_TIME) {
    af_fail(e, "%s: time limit of %g s exceeded (endless loop?)", pos, s->max_seconds);
  } else if (s->kill == KILL_MEM) {
    double mib = (double)s->cap / (1024.0 * 1024.0);
    af_fail(e, "%s: memory limit of %g MiB exceeded", pos, mib);
  } else {
    const char *raw = lua_tostring(L, -1);
    char *msg = raw ? display_names(s, raw)
                    : af_sprintf("error object is a %s value", luaL_typename(L, -1));
    if (has_position(s, msg)) af_fail(e, "%s", msg);
    else af_fail(e, "%s: %s", chunkname, msg);
    free(msg);
  }
}

/* Skip a UTF-8 byte-order mark (Windows editors write one; Lua does not
** skip it). */
static const char *skip_bom(const char *text, size_t *len) {
  if (*len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
    *len -= 3;
    return text + 3;
  }
  return text;
}

void sandbox_load(lua_State *L, const char *text, size_t len, const char *chunkname) {
  sandbox *s = SB(L);
  text = skip_bom(text, &len);
  char tok[32];
  chunk_token(s, chunkname, tok);
  int status = luaL_loadbufferx(L, text, len, tok, "t");
  if (status == LUA_ERRMEM) s->kill = KILL_MEM;
  if (status != LUA_OK) lua_error(L);
}

int sandbox_run(sandbox *s, const char *text, size_t len, const char *chunkname,
                af_err *e) {
  lua_State *L = s->L;
  int top = lua_gettop(L);
  char tok[32];
  chunk_token(s, chunkname, tok);
  snprintf(s->where_src, sizeof s->where_src, "%s", tok + 1);
  s->where_line = 0;
  s->deadline = now_seconds() + s->max_seconds;
  text = skip_bom(text, &len);
  int status = luaL_loadbufferx(L, text, len, tok, "t");
  if (status == LUA_OK) status = lua_pcall(L, 0, 1, 0);
  if (status == LUA_ERRMEM && s->kill == KILL_NONE) s->kill = KILL_MEM;
  if (status != LUA_OK || s->kill != KILL_NONE) {
    s->max = (size_t)-1; /* formatting may convert a number: it must not fail */
    format_error(s, chunkname, e);
    s->max = s->cap;
    s->deadline = 0;
    lua_settop(L, top);
    return -1;
  }
  s->deadline = 0;
  return 0;
}
