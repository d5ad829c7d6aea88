/*
** import.c: the files of a methodology (the main file and its imports),
** import() inside the sandbox, and the path policy that keeps imports inside
** the methodology's directories (see import.h).
*/
#include "import.h"

#include <dirent.h>
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox.h"
#include "track.h"

/* At most this many methodologies are named when an import is not found. */
#define IMPORT_LIST_MAX 20

void import_free(import_files *f) {
  for (int i = 0; i < f->nfiles; i++) {
    free(f->files[i].name);
    free(f->files[i].path);
    free(f->files[i].text);
    free(f->keys[i]);
  }
  for (int i = 0; i < f->nroots; i++) free(f->roots[i]);
  free(f->roots);
  free(f->files);
  free(f->keys);
  free(f->stack);
  memset(f, 0, sizeof *f);
}

int import_add(import_files *f, const char *name, char *path, char *text, size_t len,
               char *key) {
  for (int i = 0; i < f->nfiles; i++)
    if (strcmp(f->keys[i], key) == 0) {
      free(path);
      free(text);
      free(key);
      return i;
    }
  af_grow(&f->files, &f->fcap, f->nfiles + 1, sizeof *f->files);
  af_grow(&f->keys, &f->kcap, f->nfiles + 1, sizeof *f->keys);
  model_file *m = &f->files[f->nfiles];
  m->name = af_strdup(name);
  m->path = path ? path : af_strdup("");
  m->text = text;
  m->len = len;
  af_sha256_hex(text, len, m->sha256);
  f->keys[f->nfiles] = key;
  return f->nfiles++;
}

void import_take(import_files *f, model_file **files, int *n) {
  *files = f->files;
  *n = f->nfiles;
  for (int i = 0; i < f->nfiles; i++) free(f->keys[i]);
  f->files = NULL;
  f->nfiles = f->fcap = 0;
}

const char *import_chunk_name(const import_files *f, int i) {
  const model_file *m = &f->files[i];
  if (i == 0) return f->main_name;
  return m->path && *m->path ? m->path : m->name;
}

/* ---------------------------------------------------------------- paths */

/* The directory part of path: "" for a bare name, "/" for the root. */
static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (slash == path) return af_strdup("/");
  return slash ? af_strndup(path, (size_t)(slash - path)) : af_strdup("");
}

static char *join_path(const char *dir, const char *name) {
  if (!*dir) return af_strdup(name);
  size_t n = strlen(dir);
  return af_sprintf("%s%s%s", dir, dir[n - 1] == '/' ? "" : "/", name);
}

/* The real path of path, or a copy of it when it cannot be resolved. */
static char *real_or_same(const char *path) {
  char *real = realpath(path, NULL);
  if (!real) return af_strdup(path);
  char *k = af_strdup(real);
  free(real);
  return k;
}

const char *import_name_problem(const char *name) {
  if (!*name) return "import: the module name is empty";
  if (name[0] == '/') return "import: absolute paths are not allowed";
  if (strchr(name, '\\'))
    return "import: a backslash is not allowed in a module name (separate directories "
           "with '/')";
  for (const char *p = name; *p;) {
    const char *e = strchr(p, '/');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (n == 2 && p[0] == '.' && p[1] == '.') return "import: '..' is not allowed";
    p += n + (e ? 1 : 0);
  }
  return NULL;
}

int import_inside(const char *real, char *const *roots, int nroots) {
  for (int i = 0; i < nroots; i++) {
    size_t n = strlen(roots[i]);
    if (n == 1 && roots[i][0] == '/') return real[0] == '/';
    if (strncmp(real, roots[i], n) == 0 && real[n] == '/') return 1;
  }
  return 0;
}

static void add_root(import_files *f, const char *dir) {
  char *r = realpath(*dir ? dir : ".", NULL);
  if (!r) return;
  f->roots[f->nroots++] = af_strdup(r);
  free(r);
}

/* The allowed directories: the main file's directory (as given, and where
** it really is when it is a symbolic link), then each search directory. */
static void set_roots(import_files *f, const char *main_path, const char *main_real) {
  const method_opts *o = f->opts;
  f->roots = af_calloc((size_t)o->nsearch + 2, sizeof *f->roots);
  char *given = dir_of(main_path), *real = dir_of(main_real);
  add_root(f, given);
  add_root(f, real);
  free(given);
  free(real);
  for (int i = 0; i < o->nsearch; i++) add_root(f, o->search_path[i]);
}

/* ---------------------------------------------------------------- reading */

/* Ask the reader for a file: 0 with text, len and path set, or -1. */
static int read_via_reader(const method_opts *o, const char *name, char **text, size_t *len,
                           char **path) {
  *text = NULL;
  *path = NULL;
  *len = 0;
  if (o->reader(o->reader_ctx, name, text, len, path) != 0 || !*text) {
    free(*text);
    free(*path);
    return -1;
  }
  return 0;
}

int import_read_main(import_files *f, const char *path, const method_opts *o, diag_list *d) {
  char *text = NULL, *rpath = NULL;
  size_t len = 0;
  f->opts = o;
  f->main_name = path;
  if (o->reader) {
    if (read_via_reader(o, path, &text, &len, &rpath) != 0) {
      diag_add(d, path, 0, "cannot read the methodology");
      return -1;
    }
  } else {
    af_err e;
    if (af_read_file(path, &text, &len, &e) != 0) {
      diag_add(d, path, 0, "%s", af_msg_after(e.msg, path));
      return -1;
    }
    rpath = af_strdup(path);
  }
  char *key = o->reader ? af_sprintf("reader:%s", path) : real_or_same(path);
  if (!o->reader) set_roots(f, path, key);
  import_add(f, path, rpath, text, len, key);
  af_grow(&f->stack, &f->scap, 1, sizeof *f->stack);
  f->stack[f->nstack++] = 0;
  return 0;
}

/* Try dir/fname. 1: read (text, path, key set); 0: no such file; -1: refused
** (*why set). */
static int try_candidate(import_files *f, const char *dir, const char *fname, const char *name,
                         char **text, size_t *len, char **path, char **key, char **why) {
  char *cand = join_path(dir, fname);
  char *real = realpath(cand, NULL);
  if (!real) {
    int gone = errno == ENOENT || errno == ENOTDIR;
    if (!gone) *why = af_sprintf("import: '%s': %s: %s", name, cand, strerror(errno));
    free(cand);
    return gone ? 0 : -1;
  }
  int r = 1;
  af_err e;
  if (!import_inside(real, f->roots, f->nroots)) {
    *why = af_sprintf("import: '%s': %s leads outside the methodology's directories (a "
                      "symbolic link?); imports must stay beside the methodology or in its "
                      "search path", name, cand);
    r = -1;
  } else if (af_read_file(real, text, len, &e) != 0) {
    *why = af_sprintf("import: '%s': %s: %s", name, cand, af_msg_after(e.msg, real));
    r = -1;
  }
  if (r == 1) {
    *path = cand;
    *key = af_strdup(real);
  } else {
    free(cand);
  }
  free(real);
  return r;
}

static int import_cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add the module names of dir's .lua files (not test cases) to *v. */
static void import_list_dir(const char *dir, char ***v, int *n, int *cap) {
  DIR *dp = opendir(*dir ? dir : ".");
  if (!dp) return;
  struct dirent *de;
  while ((de = readdir(dp)) != NULL) {
    size_t len = strlen(de->d_name);
    if (len <= 4 || strcmp(de->d_name + len - 4, ".lua") != 0 || de->d_name[0] == '.') continue;
    if (len > 9 && strcmp(de->d_name + len - 9, ".test.lua") == 0) continue;
    af_grow(v, cap, *n + 1, sizeof **v);
    (*v)[(*n)++] = af_strndup(de->d_name, len - 4);
  }
  closedir(dp);
}

/* "cannot find" with what could be imported instead: the closest name, the
** methodologies in the directories looked in, and where to add more. */
static char *import_not_found(const char *name, const char *fname, const strbuf *looked,
                              const char *const *dirs, int ndirs) {
  char **v = NULL;
  int n = 0, cap = 0;
  for (int i = 0; i < ndirs; i++) import_list_dir(dirs[i], &v, &n, &cap);
  if (n > 1) qsort(v, (size_t)n, sizeof *v, import_cmp_names);
  strbuf b = {0};
  sb_printf(&b, "import: cannot find '%s' (looked for %s in %s)", name, fname, looked->s);
  const char *s = n ? af_suggest(name, (const char *const *)v, n) : NULL;
  if (s) sb_printf(&b, "; did you mean '%s'?", s);
  if (n) sb_puts(&b, " Methodologies there:");
  int shown = 0;
  for (int i = 0; i < n && shown <= IMPORT_LIST_MAX; i++) {
    if (i > 0 && strcmp(v[i], v[i - 1]) == 0) continue; /* in two directories */
    if (shown++ < IMPORT_LIST_MAX) sb_printf(&b, "%s %s", i ? "," : "", v[i]);
    else sb_puts(&b, ", and more");
  }
  sb_printf(&b, "%s To import from another directory, add it to AFSCORE_PATH "
                "(directories separated by ':')", n ? "." : "");
  for (int i = 0; i < n; i++) free(v[i]);
  free(v);
  return sb_take(&b);
}

/* Find and read name for the file running now. 0, or -1 with *why set. */
static int import_find(import_files *f, const char *name, char **text, size_t *len,
                       char **path, char **key, char **why) {
  const method_opts *o = f->opts;
  if (o->reader) {
    if (read_via_reader(o, name, text, len, path) != 0) {
      *why = af_sprintf("import: cannot find '%s'", name);
      return -1;
    }
    *key = af_sprintf("reader:%s", name);
    return 0;
  }
  size_t nl = strlen(name);
  char *fname = (nl >= 4 && strcmp(name + nl - 4, ".lua") == 0) ? af_strdup(name)
                                                                 : af_sprintf("%s.lua", name);
  /* beside the importing file, then in the search path */
  char *here = dir_of(f->files[f->stack[f->nstack - 1]].path);
  strbuf looked = {0};
  int r = 0;
  for (int i = -1; i < o->nsearch && r == 0; i++) {
    const char *dir = i < 0 ? here : o->search_path[i];
    r = try_candidate(f, dir, fname, name, text, len, path, key, why);
    if (r == 0) sb_printf(&looked, "%s%s", looked.len ? ", " : "", *dir ? dir : ".");
  }
  if (r == 0) {
    const char **dirs = af_malloc(((size_t)o->nsearch + 1) * sizeof *dirs);
    dirs[0] = here;
    for (int i = 0; i < o->nsearch; i++) dirs[i + 1] = o->search_path[i];
    *why = import_not_found(name, fname, &looked, dirs, o->nsearch + 1);
    free(dirs);
  }
  sb_free(&looked);
  free(here);
  free(fname);
  return r == 1 ? 0 : -1;
}

/* ---------------------------------------------------------------- import() */

/* "a.lua -> b.lua -> a.lua" for a cycle closing on file index again. */
static char *cycle_text(const import_files *f, int again) {
  strbuf b = {0};
  int from = 0;
  while (f->stack[from] != again) from++;
  for (int i = from; i < f->nstack; i++)
    sb_printf(&b, "%s -> ", f->files[f->stack[i]].name);
  sb_puts(&b, f->files[again].name);
  return sb_take(&b);
}

/* Raise a Lua error with a message built in C memory, freeing it first. */
static int raise_owned(lua_State *L, char *msg) {
  luaL_where(L, 1);
  lua_pushstring(L, msg);
  free(msg);
  lua_concat(L, 2);
  return lua_error(L);
}

/* Every call runs the file again, so each caller gets a fresh table. */
int import_lua(lua_State *L) {
  import_files *f = sandbox_import_ctx(L);
  const char *name = luaL_checkstring(L, 1);
  const char *bad = import_name_problem(name);
  if (bad) return raise_owned(L, af_sprintf("%s: '%s'", bad, name));
  char *text, *path = NULL, *key = NULL, *why = NULL;
  size_t len;
  if (import_find(f, name, &text, &len, &path, &key, &why) != 0) return raise_owned(L, why);
  int fi = import_add(f, name, path, text, len, key);
  for (int i = 0; i < f->nstack; i++)
    if (f->stack[i] == fi) {
      char *path_text = cycle_text(f, fi);
      char *msg = af_sprintf("import: cycle: %s", path_text);
      free(path_text);
      return raise_owned(L, msg);
    }
  const model_file *m = &f->files[fi];
  sandbox_load(L, m->text, m->len, import_chunk_name(f, fi));
  af_grow(&f->stack, &f->scap, f->nstack + 1, sizeof *f->stack);
  f->stack[f->nstack++] = fi;
  int status = lua_pcall(L, 0, 1, 0);
  f->nstack--;
  if (status != LUA_OK) return lua_error(L);
  if (lua_type(L, -1) != LUA_TTABLE)
    return raise_owned(L, af_sprintf("import: '%s' must return a table, got %s", name,
                                     luaL_typename(L, -1)));
  track_wrap(L); /* so that the importer's edits are located (track.h) */
  return 1;
}
