/*
** import.h: the files of a methodology: the main file and what it imports.
**
** Reads the main file, serves import(name) inside the sandbox, records each
** file once (name, where it was read from, text) and refuses cycles. The
** path policy, for files read from disk:
**  - a name is relative, uses '/' and has no '..' ("lib/common" or
**    "common.lua"); ".lua" is appended when missing;
**  - it is looked up beside the importing file, then in each search
**    directory;
**  - the file found, symbolic links resolved, must really be inside one of
**    the allowed directories (the main file's directory, also where it
**    really is when it is a link, and the search directories, each resolved
**    too): a symbolic link pointing elsewhere is refused, without reading it;
**  - only regular files of at most AF_MAX_FILE bytes are read (util.h).
** With a reader callback (replay) files come from it instead of the disk.
*/
#ifndef AF_IMPORT_H
#define AF_IMPORT_H

#include "method.h"
#include "model.h"
#include "util.h"

typedef struct lua_State lua_State;

typedef struct import_files {
  const method_opts *opts;
  const char *main_name; /* the methodology path as given: its chunk name */
  model_file *files;     /* files[0] = the main file */
  char **keys;           /* identity of each file (real path, or reader name) */
  int nfiles, fcap, kcap;
  int *stack;            /* indexes of the files running now, outermost first */
  int nstack, scap;
  char **roots;          /* real directories imports may come from */
  int nroots;
} import_files;

/* Read the main file at path into f (zeroed by the caller). 0, or -1 with
** the fault added to d. */
int import_read_main(import_files *f, const char *path, const method_opts *o, diag_list *d);
void import_free(import_files *f);

/* import(name), for sandbox_set_import with f as its context: runs the
** named file in the same sandbox and returns its table. */
int import_lua(lua_State *L);

/* The name Lua messages use for file i. */
const char *import_chunk_name(const import_files *f, int i);

/* Record a file (taking path, text and key), or find it when already
** recorded (freeing them). Returns its index. */
int import_add(import_files *f, const char *name, char *path, char *text, size_t len,
               char *key);

/* Hand the recorded files over to the caller (f keeps none). */
void import_take(import_files *f, model_file **files, int *n);

/* ---- the path policy, exposed for its unit tests ---- */

/* What is wrong with a module name ("import: ..."), or NULL. */
const char *import_name_problem(const char *name);
/* 1 if the real path real lies inside one of the real directories roots. */
int import_inside(const char *real, char *const *roots, int nroots);

#endif
