/*
** fuzz_expr.c: libFuzzer target for the expression language.
**
** The input is a mode byte followed by up to 8 rules, one per line. Each rule
** is parsed (expr_parse) and compiled (program_add) into one program over an
** open-world scope (unknown names are columns), as a define d0..d7 when the
** mode asks, so that later rules can use earlier ones. The finished program
** is bound to a tiny batch (3 units with 0, 1 and 3 members, values drawn
** from the input: numbers, huge numbers, text ids, nulls) and run by the
** kernel; every output and every explain part is read back.
** Invariants checked (abort on violation): a failed compile says why and
** points inside the text; outputs exist for every rule compiled.
**
** Built by `make fuzz` (clang -fsanitize=fuzzer); tests/test_fuzz_regress.c
** includes this file with FUZZ_NO_MAIN and feeds it the saved corpus.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "expr.h"
#include "kernel.h"
#include "strpool.h"

#define FX_RULES 8
#define FX_UNITS 3
#define FX_MEMBERS 4

static void fx_check(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "fuzz_expr: invariant violated: %s\n", what);
    abort();
  }
}

/* A value for input column c, row r, drawn from the input bytes. */
static void fx_value(const uint8_t *data, size_t size, int c, int r, int text_id, double *v,
                     unsigned char *null) {
  static const double nums[] = {0, 1, -1, 2.5, 18, 100, 1e308, -1e308};
  uint8_t b = size ? data[((size_t)c * 7 + (size_t)r * 3) % size] : 0;
  *null = (b & 0x0f) == 0x0f;
  *v = text_id >= 0 ? (b & 1 ? text_id : 0) : nums[(b >> 4) & 7];
}

static int fuzz_expr_one(const uint8_t *data, size_t size) {
  if (size < 1 || size > 8192) return 0;
  unsigned mode = data[0];
  char *text = malloc(size);
  memcpy(text, data + 1, size - 1);
  text[size - 1] = '\0';

  static model_param params[] = {
      {.name = "limit", .num = 100},
      {.name = "capital", .is_text = 1, .text = "A"},
  };
  scope sc = {.unit_table = "families",
              .member_table = (mode & 1) ? NULL : "persons",
              .open_world = 1,
              .params = params,
              .nparams = 2};
  strpool *pool = strpool_new();
  program *p = program_new(&sc, pool);
  int compiled = 0;
  char *line = text;
  for (int i = 0; i < FX_RULES && line; i++) {
    char *nl = strchr(line, '\n');
    if (nl) *nl = '\0';
    size_t len = strlen(line);
    /* the parser alone */
    expr *x = NULL;
    af_err e = {{0}};
    int pos = 0;
    if (expr_parse(line, &x, &e, &pos) == 0) {
      fx_check(x != NULL, "parse succeeded without a tree");
      expr_free(x);
    } else {
      fx_check(e.msg[0] != '\0', "parse failed without a message");
      fx_check(pos >= 0 && (size_t)pos <= len + 1, "parse error column outside the text");
    }
    /* the compiler */
    static const vtype wants[] = {VT_BOOL, VT_NUM, VT_ANY};
    vtype want = wants[((mode >> 1) + (unsigned)i) % 3];
    char name[16];
    snprintf(name, sizeof name, "d%d", i);
    int col = 0;
    memset(&e, 0, sizeof e);
    int o = program_add(p, (mode & 8) ? name : NULL, line, want, &e, &col);
    if (o < 0) {
      fx_check(e.msg[0] != '\0', "compile failed without a message");
      fx_check(col >= 0 && (size_t)col <= len + 1, "compile error column outside the text");
    } else {
      compiled++;
    }
    line = nl ? nl + 1 : NULL;
  }
  fx_check(program_noutputs(p) == compiled, "outputs differ from rules compiled");

  if (compiled > 0) {
    int32_t text_id = strpool_intern(pool, "A", 1);
    int n0 = program_ninputs(p, 0), n1 = program_ninputs(p, 1);
    const char **names0 = calloc((size_t)n0 + 1, sizeof *names0);
    const char **names1 = calloc((size_t)n1 + 1, sizeof *names1);
    for (int i = 0; i < n0; i++) names0[i] = program_input(p, 0, i);
    for (int i = 0; i < n1; i++) names1[i] = program_input(p, 1, i);
    af_err e = {{0}};
    fx_check(program_bind(p, 0, names0, n0, &e) == 0, "bind of unit inputs failed");
    fx_check(program_bind(p, 1, names1, n1, &e) == 0, "bind of member inputs failed");

    static int mstart[FX_UNITS + 1] = {0, 0, 1, FX_MEMBERS};
    column *uc = calloc((size_t)n0 + 1, sizeof *uc), *mc = calloc((size_t)n1 + 1, sizeof *mc);
    for (int c = 0; c < n0; c++) {
      uc[c].v = calloc(FX_UNITS, sizeof(double));
      uc[c].null = calloc(FX_UNITS, 1);
      int tid = program_input_type(p, 0, c) == VT_TEXT ? text_id : -1;
      for (int r = 0; r < FX_UNITS; r++) fx_value(data, size, c, r, tid, &uc[c].v[r], &uc[c].null[r]);
    }
    for (int c = 0; c < n1; c++) {
      mc[c].v = calloc(FX_MEMBERS, sizeof(double));
      mc[c].null = calloc(FX_MEMBERS, 1);
      int tid = program_input_type(p, 1, c) == VT_TEXT ? text_id : -1;
      for (int r = 0; r < FX_MEMBERS; r++)
        fx_value(data, size, 100 + c, r, tid, &mc[c].v[r], &mc[c].null[r]);
    }
    batch b = {.nunits = FX_UNITS, .nmembers = FX_MEMBERS, .mstart = mstart,
               .ucols = uc, .nucols = n0, .mcols = mc, .nmcols = n1};
    kernel *k = kernel_new(p);
    kernel_eval_batch(k, &b);
    double sink = 0;
    for (int o = 0; o < compiled; o++) {
      const column *out = kernel_output(k, o);
      fx_check(out != NULL, "no output column");
      for (int u = 0; u < FX_UNITS; u++) sink += out->null[u] ? 0 : out->v[u];
      const char *const *parts;
      int nparts;
      fx_check(program_rule_parts(p, o, &parts, &nparts) == 0, "no explain parts");
      for (int i = 0; i < nparts; i++) {
        fx_check(parts[i] != NULL, "an explain part without text");
        for (int u = 0; u < FX_UNITS; u++) {
          double v;
          int isnull;
          vtype t;
          fx_check(kernel_part_value(k, o, i, u, &v, &isnull, &t) == 0, "part value missing");
        }
      }
    }
    (void)sink;
    kernel_free(k);
    for (int c = 0; c < n0; c++) free(uc[c].v), free(uc[c].null);
    for (int c = 0; c < n1; c++) free(mc[c].v), free(mc[c].null);
    free(uc);
    free(mc);
    free(names0);
    free(names1);
  }
  program_free(p);
  strpool_free(pool);
  free(text);
  return 0;
}

#ifndef FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_expr_one(data, size); }
#endif
