/*
** sandbox.h: a Lua 5.4 state that cannot touch the machine.
**
** Only base functions without file or code-loading powers, string (less
** string.dump), table, math (less randomness from the clock) and utf8 are
** reachable; load() accepts text chunks only. Memory is capped by a custom
** allocator and run time by an instruction-count hook that also watches the
** CPU clock; long-running C functions (string.rep, pattern matching) are
** bounded too, as far as they can be from inside (a process limit does the
** rest: method.c). What a script can observe is deterministic: pairs/next
** order, tostring of tables and functions, table.sort. import(name) is
** supplied by the caller (import.c) through sandbox_set_import.
*/
#ifndef AF_SANDBOX_H
#define AF_SANDBOX_H

#include <stddef.h>
#include "util.h"

typedef struct lua_State lua_State;
typedef struct sandbox sandbox;

sandbox *sandbox_new(size_t max_memory, long max_instructions);
void sandbox_free(sandbox *s);
lua_State *sandbox_lua(sandbox *s);
/* Run a text chunk named chunkname; leaves its single result on the stack.
** On error fills e with a message that names the chunk and line. */
int sandbox_run(sandbox *s, const char *text, size_t len, const char *chunkname,
                af_err *e);

/* Defaults when sandbox_new gets 0. */
#define SANDBOX_DEFAULT_MEMORY ((size_t)64 << 20)
#define SANDBOX_DEFAULT_INSTRUCTIONS 50000000L
#define SANDBOX_DEFAULT_SECONDS 1.5

/* CPU-time limit of one sandbox_run (0: the default). */
void sandbox_set_time_limit(sandbox *s, double seconds);

/* Install a C function as the global `import`; ctx is what
** sandbox_import_ctx returns inside it. */
void sandbox_set_import(sandbox *s, int (*fn)(lua_State *L), void *ctx);
void *sandbox_import_ctx(lua_State *L);
/* Compile a text chunk from inside a running chunk (for import): pushes the
** function, or raises the syntax error. chunkname is the name messages use. */
void sandbox_load(lua_State *L, const char *text, size_t len, const char *chunkname);
/* Where the script is (the display name of the chunk and the line), kept
** up to date in memory the caller provides: memory shared with a parent
** process, which can name the line even when the kernel ended the script. */
typedef struct sandbox_where {
  int line;              /* 0: not known */
  char file[1024];
} sandbox_where;
void sandbox_share_where(sandbox *s, sandbox_where *w);

/* The line and the chunk's display name (*file, owned by the sandbox) of
** the script code calling the running C function; 0 when there is none. */
int sandbox_caller(lua_State *L, const char **file);

/* registry[name] = a new table with weak keys. */
void sandbox_weak_registry(lua_State *L, const char *name);

/* After the script has run: lift the memory cap and the instruction budget,
** so that reading the result cannot fail half-way. */
void sandbox_unlimit(sandbox *s);

#endif
