/*
** kernel_bench.c: the scoring kernel alone, on batches already in memory.
**
** Reads up to N units of DATA.db once (copying each batch), then times
** scorer_eval_batch over them R times: no SQLite, no results database.
** Prints units/s and unit-indicator evaluations/s.
**   build/kernel_bench DATA.db METHOD.lua [N] [R]
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "method.h"
#include "run.h"

typedef struct copy_ctx {
  batch *v;
  int n, cap;
  long long units, limit;
} copy_ctx;

static void copy_cols(column **dst, const column *src, int ncols, int len) {
  *dst = af_calloc((size_t)ncols + 1, sizeof **dst);
  for (int c = 0; c < ncols; c++) {
    (*dst)[c].v = af_malloc(sizeof(double) * (size_t)(len + 1));
    (*dst)[c].null = af_malloc((size_t)len + 1);
    memcpy((*dst)[c].v, src[c].v, sizeof(double) * (size_t)len);
    memcpy((*dst)[c].null, src[c].null, (size_t)len);
  }
}

static int keep(void *ctx, const run *rn, const batch *b, const char *const *ids, af_err *e) {
  copy_ctx *x = ctx;
  (void)rn, (void)ids, (void)e;
  if (x->units >= x->limit) return 0;
  af_grow(&x->v, &x->cap, x->n + 1, sizeof *x->v);
  batch *c = &x->v[x->n++];
  *c = *b;
  c->mstart = af_malloc(sizeof(int) * (size_t)(b->nunits + 1));
  memcpy(c->mstart, b->mstart, sizeof(int) * (size_t)(b->nunits + 1));
  copy_cols(&c->ucols, b->ucols, b->nucols, b->nunits);
  copy_cols(&c->mcols, b->mcols, b->nmcols, b->nmembers);
  x->units += b->nunits;
  return 0;
}

static void free_copies(copy_ctx *x) {
  for (int i = 0; i < x->n; i++) {
    for (int c = 0; c < x->v[i].nucols; c++) free(x->v[i].ucols[c].v), free(x->v[i].ucols[c].null);
    for (int c = 0; c < x->v[i].nmcols; c++) free(x->v[i].mcols[c].v), free(x->v[i].mcols[c].null);
    free(x->v[i].ucols);
    free(x->v[i].mcols);
    free(x->v[i].mstart);
  }
  x->n = 0;
  x->units = 0;
}

/* Each pass starts with no copies (the source may start over in key order). */
static int begin(void *ctx, const run *rn, af_err *e) {
  (void)rn, (void)e;
  free_copies(ctx);
  return 0;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: kernel_bench DATA.db METHOD.lua [UNITS] [REPEAT]\n");
    return 2;
  }
  long long limit = argc > 3 ? atoll(argv[3]) : 1000000;
  int repeat = argc > 4 ? atoi(argv[4]) : 5;
  const char *dirs[] = {"methodology"};
  method_opts mo = {.search_path = dirs, .nsearch = 1};
  model *m = NULL;
  diag_list d = {0};
  if (method_load(argv[2], &mo, &m, &d) < 0) {
    for (int i = 0; i < d.n; i++) fprintf(stderr, "%s:%d: %s\n", d.v[i].file, d.v[i].line, d.v[i].msg);
    return 1;
  }
  run *rn;
  af_err e = {{0}};
  const model *ms[1] = {m};
  copy_ctx x = {0};
  x.limit = limit;
  run_options ro = {.begin_pass = begin, .batch = keep, .ctx = &x};
  if (run_open(&rn, argv[1], ms, 1, &ro, &d, &e) < 0) {
    fprintf(stderr, "%s\n", e.msg);
    return 1;
  }
  if (run_execute(rn, &e) < 0) {
    fprintf(stderr, "%s\n", e.msg);
    return 1;
  }
  double best = 1e30;
  for (int r = 0; r < repeat; r++) {
    double t0 = now();
    /* The run's own scorer, bound to the layout of the copied batches. */
    scorer *s = (scorer *)run_scorer(rn, 0);
    for (int i = 0; i < x.n; i++) scorer_eval_batch(s, &x.v[i]);
    double t = now() - t0;
    if (t < best) best = t;
  }
  double evals = (double)x.units * m->ninds;
  printf("{\"units\": %lld, \"indicators\": %d, \"seconds\": %.6f, \"units_per_s\": %.0f, "
         "\"unit_indicator_evals_per_s\": %.0f}\n",
         x.units, m->ninds, best, x.units / best, evals / best);
  free_copies(&x);
  free(x.v);
  run_close(rn);
  diag_free(&d);
  model_free(m);
  return 0;
}
