/*
** method.h: load a methodology script into a validated model.
**
** The script runs in a sandboxed Lua 5.4 state (see sandbox.h) with an
** instruction budget and a memory cap; the table it returns is converted to a
** model (model.h) and checked against every structural rule of the language
** (required fields, unknown fields, unique ids, weights, k, bands, missing
** policies, scoring kind). Expression rules are only stored here; their syntax,
** names and types are checked when they are compiled (rules.h). The Lua state
** is closed before method_load returns.
*/
#ifndef AF_METHOD_H
#define AF_METHOD_H

#include "model.h"
#include "util.h"

typedef struct lua_State lua_State;
typedef struct import_files import_files;

/* Where import(name) finds files. By default files are read from disk: first
** beside the importing file, then in each directory of search_path (".lua"
** is appended to a name without it; absolute names and ".." are refused).
** A reader callback replaces disk access (replay serves recorded sources this
** way): it is asked for the main file by its path as given and for each import
** by the name exactly as written in import() (the name model_file records).
** It returns 0 and sets *text (malloc'd, NUL-terminated, ownership passes to
** the loader), *len and *path (malloc'd or NULL: where the text came from),
** or -1 when it has no such file. */
typedef int (*method_reader)(void *ctx, const char *name, char **text,
                             size_t *len, char **path);

typedef struct method_opts {
  const char *const *search_path; /* directories for import(); may be NULL */
  int nsearch;
  method_reader reader;           /* NULL: read from disk */
  void *reader_ctx;
  long max_instructions;          /* 0: default budget */
  size_t max_memory;              /* 0: default cap (bytes) */
  double max_seconds;             /* 0: default CPU-time limit of the script */
  double max_wall_seconds;        /* 0: default wall-clock limit of the script's
                                  ** process (method_limits) */
  int in_process;                 /* 1: run the script in this process (fuzzers,
                                  ** unit tests); 0: in a child process, whose
                                  ** kernel limits stop a runaway C call too */
  void (*globals)(lua_State *L);  /* NULL, or adds globals to the sandbox before
                                  ** the script runs (in the child process) */
} method_opts;

/* What a script returned, read where method_run_script was called: its
** result is at the top of L's stack (plain data: see luadata.h); f holds the
** main file (f->files[0]) and the files it imported. Returns 0 or -1. */
typedef int (*method_result_fn)(void *ctx, lua_State *L, import_files *f, diag_list *d);

/* Run the script at path as a methodology is run (a regular file under the
** size cap, imports per o, the sandbox in a child process under the limits
** of docs/robustness.md) and hand its result to fn. Returns fn's result, or
** -1 with the script's error in d. */
int method_run_script(const char *path, const method_opts *o, method_result_fn fn, void *ctx,
                      diag_list *d);

/* Load, run and validate the methodology at path. On success returns 0 and
** sets *out (owned by the caller, free with model_free). On failure returns -1
** with every fault found appended to d as FILE:LINE: message; *out is NULL. */
int method_load(const char *path, const method_opts *opts, model **out,
                diag_list *d);

#endif
