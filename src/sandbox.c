/*
** sandbox.c: a Lua 5.4 state in which a methodology script cannot touch the
** machine and cannot run away.
**
** Reachable: base (without dofile, loadfile, warn; print is a no-op;
** collectgarbage answers "count" only; load takes text only), string (without
** dump), table, math (without random: scripts are deterministic) and utf8.
** Not opened at all: io, os, debug, package/require, coroutine.
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
#include <math.h>
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
  double max_seconds, deadline; /* deadline: monotonic seconds, 0 when not running */
  int kill;
  char where_src[LUA_IDSIZE];   /* last position seen by the hook */
  int where_line;
  char **chunks;                /* display names; index = private name */
  int nchunks, ccap;
  void *import_ctx;
};

static sandbox *SB(lua_State *L) { return *(sandbox **)lua_getextraspace(L); }

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------- limits */

static void *sb_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
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

static void remember_where(sandbox *s, lua_Debug *ar) {
  if (ar->currentline <= 0) return;
  memcpy(s->where_src, ar->short_src, sizeof s->where_src);
  s->where_line = ar->currentline;
}

static void sb_hook(lua_State *L, lua_Debug *ar) {
  sandbox *s = SB(L);
  s->steps += HOOK_STEP;
  if (lua_getinfo(L, "Sl", ar)) remember_where(s, ar);
  if (s->kill == KILL_NONE && s->steps > s->max_steps) s->kill = KILL_INSTR;
  if (s->kill == KILL_NONE && s->deadline > 0 && now_seconds() > s->deadline)
    s->kill = KILL_TIME;
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

static int kill_memory(lua_State *L) {
  sandbox *s = SB(L);
  where_caller(L);
  s->kill = KILL_MEM;
  lua_pushliteral(L, "memory limit exceeded");
  return lua_error(L);
}

/* ------------------------------------------------------------ wrappers */

/* Call the original function (upvalue 1) with the current arguments. */
static int call_original(lua_State *L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
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

static int sb_pcall(lua_State *L) {
  luaL_checkany(L, 1);
  int status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
  return after_pcall(L, status, 1);
}

static int sb_xpcall(lua_State *L) {
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

static int sb_load(lua_State *L) {
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
  sandbox *sb = SB(L);
  if (sb->kill == KILL_NONE && n == 2 && lua_isnil(L, -2) && lua_type(L, -1) == LUA_TSTRING &&
      strcmp(lua_tostring(L, -1), "not enough memory") == 0)
    return kill_memory(L);
  if (sb->kill != KILL_NONE) return lua_error(L);
  return n;
}

static int sb_setmetatable(lua_State *L) {
  if (lua_type(L, 2) == LUA_TTABLE) {
    lua_pushliteral(L, "__gc");
    int t = lua_rawget(L, 2);
    lua_pop(L, 1);
    if (t != LUA_TNIL)
      return luaL_error(L, "setmetatable: __gc metamethods are not allowed in a methodology");
  }
  return call_original(L);
}

static int sb_collectgarbage(lua_State *L) {
  const char *opt = luaL_optstring(L, 1, "collect");
  if (strcmp(opt, "count") != 0)
    return luaL_error(L, "collectgarbage: only collectgarbage(\"count\") is available "
                         "in a methodology");
  lua_pushnumber(L, (lua_Number)SB(L)->used / 1024.0);
  return 1;
}

static int sb_print(lua_State *L) { return 0; }

static int sb_rep(lua_State *L) {
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

static int sb_move(lua_State *L) {
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

static int sb_find(lua_State *L) {
  check_pattern(L, "find", 0, 4);
  return call_original(L);
}
static int sb_match(lua_State *L) {
  check_pattern(L, "match", 0, 0);
  return call_original(L);
}
static int sb_gmatch(lua_State *L) {
  check_pattern(L, "gmatch", 1, 0);
  return call_original(L);
}
static int sb_gsub(lua_State *L) {
  check_pattern(L, "gsub", 0, 0);
  return call_original(L);
}

/* ---------------------------------------------------------------- setup */

/* Replace t[name] (t at the top of the stack) by fn with the old value as
** its upvalue. */
static void wrap(lua_State *L, const char *name, lua_CFunction fn) {
  lua_getfield(L, -1, name);
  lua_pushcclosure(L, fn, 1);
  lua_setfield(L, -2, name);
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
  wrap(L, "load", sb_load);
  wrap(L, "pcall", sb_pcall);
  wrap(L, "xpcall", sb_xpcall);
  wrap(L, "setmetatable", sb_setmetatable);
  wrap(L, "collectgarbage", sb_collectgarbage);
  wrap(L, "print", sb_print);
  lua_getfield(L, -1, LUA_STRLIBNAME);
  set_nil(L, "dump");
  wrap(L, "rep", sb_rep);
  wrap(L, "find", sb_find);
  wrap(L, "match", sb_match);
  wrap(L, "gmatch", sb_gmatch);
  wrap(L, "gsub", sb_gsub);
  lua_pop(L, 1);
  lua_getfield(L, -1, LUA_TABLIBNAME);
  wrap(L, "move", sb_move);
  lua_pop(L, 1);
  lua_getfield(L, -1, LUA_MATHLIBNAME);
  set_nil(L, "random");
  set_nil(L, "randomseed");
  lua_pop(L, 2);
}

sandbox *sandbox_new(size_t max_memory, long max_instructions) {
  sandbox *s = af_calloc(1, sizeof *s);
  s->max = (size_t)-1; /* the standard libraries load without a cap */
  s->L = lua_newstate(sb_alloc, s);
  if (!s->L) {
    free(s);
    return NULL;
  }
  *(sandbox **)lua_getextraspace(s->L) = s;
  open_libs(s->L);
  s->cap = s->max = max_memory ? max_memory : SANDBOX_DEFAULT_MEMORY;
  s->max_steps = max_instructions > 0 ? max_instructions : SANDBOX_DEFAULT_INSTRUCTIONS;
  s->max_seconds = SANDBOX_DEFAULT_SECONDS;
  lua_sethook(s->L, sb_hook, LUA_MASKCOUNT, HOOK_STEP);
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

/* ------------------------------------------------------- chunks, errors */

#define TOKEN_MARK '\x1d'

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

void sandbox_load(lua_State *L, const char *text, size_t len, const char *chunkname) {
  sandbox *s = SB(L);
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
