/*
** luadata.h: plain Lua data to bytes and back.
**
** A methodology script runs in a child process (method.c); what it returns
** comes back to the parent as bytes and is rebuilt there in a Lua state that
** runs no code. Only data travels: nil, booleans, integers, floats, strings
** and tables (keys and values, shared and cyclic references kept). A
** function comes back as a stand-in function that does nothing (validation
** only needs to say "got a function"); metatables are dropped (validation
** reads with raw accesses only). Tables nested deeper than LUADATA_MAXDEPTH
** come back empty, to bound the recursion on both sides. Strings are sent
** once and referred to afterwards, so the bytes never exceed the data.
**
** Encoding reads the value with raw accesses only: no metamethod runs.
*/
#ifndef AF_LUADATA_H
#define AF_LUADATA_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

typedef struct lua_State lua_State;

#define LUADATA_MAXDEPTH 64

/* Where encoded bytes go: put(ctx, bytes, n) returns 0, or -1 to stop. */
typedef struct luadata_out {
  int (*put)(void *ctx, const void *p, size_t n);
  void *ctx;
  int failed;
} luadata_out;

void luadata_put_int(luadata_out *o, int64_t v);
void luadata_put_str(luadata_out *o, const char *s, size_t n);
/* Encode the value at idx (the stack is left as it was; uses a few slots and
** a scratch table of the state's memory). */
void luadata_put_value(luadata_out *o, lua_State *L, int idx);

typedef struct luadata_in {
  const char *p, *end;
  int bad;               /* set on truncated or malformed input */
} luadata_in;

int64_t luadata_get_int(luadata_in *in);
/* A malloc'd copy (NUL-terminated; *n its length), or NULL when bad. */
char *luadata_get_str(luadata_in *in, size_t *n);
/* Push the decoded value. 0, or -1 (in->bad, nil pushed) on malformed input. */
int luadata_get_value(luadata_in *in, lua_State *L);

#endif
