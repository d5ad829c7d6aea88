/*
** fuzz_method.c: libFuzzer target for the methodology loader.
**
** The input is a methodology script; a line "--@@" splits off a second file
** that the script can reach as import('lib'). Both are served through the
** loader's reader callback (no disk access) and run in the sandbox with a
** small budget (1e6 instructions, 16 MiB, 2 s). When the model loads, its
** rules are compiled in open-world mode (rules_compile without a database).
** Invariants (abort on violation): a failed load reports at least one
** diagnostic, each with a file name and a message; a successful one returns
** a model. The loader runs in process here (method_opts.in_process). The
** input is also decoded as a child's reply (luadata.h), which must not crash
** on any bytes.
**
** Built by `make fuzz` (clang -fsanitize=fuzzer); tests/test_fuzz_regress.c
** includes this file with FUZZ_NO_MAIN and feeds it the saved corpus.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "luadata.h"
#include "method.h"
#include "model.h"
#include "rules.h"
#include "strpool.h"

typedef struct fm_files {
  const char *main_text, *lib_text;
  size_t main_len, lib_len;
} fm_files;

static void fm_check(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "fuzz_method: invariant violated: %s\n", what);
    abort();
  }
}

static int fm_reader(void *ctx, const char *name, char **text, size_t *len, char **path) {
  const fm_files *f = ctx;
  const char *t;
  size_t n;
  if (strcmp(name, "fuzz.lua") == 0) t = f->main_text, n = f->main_len;
  else if (strcmp(name, "lib") == 0 && f->lib_text) t = f->lib_text, n = f->lib_len;
  else return -1;
  *text = malloc(n + 1);
  memcpy(*text, t, n);
  (*text)[n] = '\0';
  *len = n;
  *path = NULL;
  return 0;
}

static int fuzz_method_one(const uint8_t *data, size_t size) {
  if (size > 65536) return 0;
  char *buf = malloc(size + 1);
  memcpy(buf, data, size);
  buf[size] = '\0';
  fm_files f = {.main_text = buf, .main_len = size};
  char *split = strstr(buf, "\n--@@\n");
  if (split) {
    f.main_len = (size_t)(split - buf);
    f.lib_text = split + 6;
    f.lib_len = size - f.main_len - 6;
  }
  /* in this process: coverage is counted here, and a child per input would
  ** be slow (the isolation itself is tested end to end) */
  method_opts o = {.reader = fm_reader, .reader_ctx = &f, .max_instructions = 1000000,
                   .max_memory = (size_t)16 << 20, .max_seconds = 2, .in_process = 1};
  model *m = NULL;
  diag_list d = {0};
  int rc = method_load("fuzz.lua", &o, &m, &d);
  if (rc != 0) {
    fm_check(m == NULL, "a failed load returned a model");
    fm_check(d.n > 0, "a failed load without a diagnostic");
    for (int i = 0; i < d.n; i++)
      fm_check(d.v[i].file && d.v[i].msg && d.v[i].msg[0], "a diagnostic without file or message");
  } else {
    fm_check(m != NULL, "a successful load without a model");
    strpool *pool = strpool_new();
    rules *r = NULL;
    diag_list d2 = {0};
    int rrc = rules_compile(m, NULL, pool, &r, &d2);
    fm_check(rrc == 0 || d2.n > 0, "rules failed without a diagnostic");
    rules_free(r);
    strpool_free(pool);
    diag_free(&d2);
    model_free(m);
  }
  diag_free(&d);
  free(buf);
  /* the same bytes as a child's reply: the parent's decoder survives any */
  lua_State *L = luaL_newstate();
  luadata_in in = {(const char *)data, (const char *)data + size, 0};
  luadata_get_value(&in, L);
  lua_close(L);
  return 0;
}

#ifndef FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_method_one(data, size); }
#endif
