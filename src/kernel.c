/*
** kernel.c: run a compiled program (compile.h) over batches of columns.
**
** Every instruction is one tight loop over the whole batch (units or member
** rows), never a dispatch per element. Input registers point straight into
** the batch's columns (no copy); computed registers own storage that grows to
** the largest batch seen; constant registers are scalars, and each binary
** loop comes in a vector-vector, constant-vector and vector-constant variant.
** Null follows SQL (docs/methodology.md): the null byte decides, and the value
** under a null is unspecified. Booleans are 0/1; any non-zero reads as true.
*/
#include "kernel.h"

#include <assert.h>

#include <math.h>

#include <stdlib.h>
#include <string.h>

struct kernel {
  const program *p;
  const prog_reg *regs;
  int nregs;
  column *col;        /* per register: its current vectors */
  int cap[2];         /* capacity of computed registers, by level */
  int nunits;         /* of the last batch */
  column unbound;     /* all null, read by an input left unbound */
  int unbound_cap;
};

/* An operand: a vector, or a constant scalar. */
typedef struct opnd {
  const double *v;
  const unsigned char *n;
  double cv;
  unsigned char cn;
  int c;
} opnd;

kernel *kernel_new(const program *p) {
  kernel *k = af_calloc(1, sizeof *k);
  k->p = p;
  k->regs = program_regs(p, &k->nregs);
  k->col = af_calloc((size_t)k->nregs + 1, sizeof *k->col);
  return k;
}

static int owns(const prog_reg *g) { return g->level >= 0 && g->input < 0; }

void kernel_free(kernel *k) {
  if (!k) return;
  for (int r = 0; r < k->nregs; r++) {
    if (!owns(&k->regs[r])) continue;
    free(k->col[r].v);
    free(k->col[r].null);
  }
  free(k->col);
  free(k->unbound.v);
  free(k->unbound.null);
  free(k);
}

/* Grow the computed registers of level to hold n values (at least 1, so
** that no vector pointer is ever NULL). */
static void reserve(kernel *k, int level, int n) {
  assert((level == 0 || level == 1) && n >= 0);
  if (n <= k->cap[level] && k->cap[level] > 0) return;
  int c = k->cap[level] * 2;
  if (c < n) c = n;
  if (c < 1) c = 1;
  for (int r = 0; r < k->nregs; r++) {
    if (!owns(&k->regs[r]) || k->regs[r].level != level) continue;
    k->col[r].v = af_realloc(k->col[r].v, (size_t)c * sizeof(double));
    k->col[r].null = af_realloc(k->col[r].null, (size_t)c);
  }
  k->cap[level] = c;
}

/* Point input registers at the batch's columns. An input the caller left
** unbound (a programming error upstream) reads as null rather than crashing. */
static void bind_inputs(kernel *k, const batch *b) {
  for (int r = 0; r < k->nregs; r++) {
    const prog_reg *g = &k->regs[r];
    if (g->level < 0 || g->input < 0) continue;
    int c = program_input_col(k->p, g->level, g->input);
    int ncols = g->level == 0 ? b->nucols : b->nmcols;
    if (c >= 0 && c < ncols) {
      k->col[r] = g->level == 0 ? b->ucols[c] : b->mcols[c];
      continue;
    }
    int need = b->nunits > b->nmembers ? b->nunits : b->nmembers;
    if (need > k->unbound_cap || !k->unbound.v) {
      k->unbound_cap = need;
      k->unbound.v = af_realloc(k->unbound.v, ((size_t)need + 1) * sizeof(double));
      k->unbound.null = af_realloc(k->unbound.null, (size_t)need + 1);
      memset(k->unbound.v, 0, ((size_t)need + 1) * sizeof(double));
      memset(k->unbound.null, 1, (size_t)need + 1);
    }
    k->col[r] = k->unbound;
  }
}

static opnd operand(const kernel *k, int r) {
  opnd o = {0};
  const prog_reg *g = &k->regs[r];
  if (g->level < 0) {
    o.c = 1;
    o.cv = g->cval;
    o.cn = g->cnull;
  } else {
    o.v = k->col[r].v;
    o.n = k->col[r].null;
  }
  return o;
}

/* One loop per operand shape; VE and NE compute the value and the null byte
** from x, nx (left) and y, ny (right). The compiler never emits two constants. */
#define BINLOOP(VE, NE)                                                  \
  do {                                                                   \
    if (A.c) {                                                           \
      const double x = A.cv;                                             \
      const unsigned char nx = A.cn;                                     \
      for (int i = 0; i < n; i++) {                                      \
        const double y = B.v[i];                                         \
        const unsigned char ny = B.n[i];                                 \
        dv[i] = (VE);                                                    \
        dn[i] = (unsigned char)(NE);                                     \
      }                                                                  \
    } else if (B.c) {                                                    \
      const double y = B.cv;                                             \
      const unsigned char ny = B.cn;                                     \
      for (int i = 0; i < n; i++) {                                      \
        const double x = A.v[i];                                         \
        const unsigned char nx = A.n[i];                                 \
        dv[i] = (VE);                                                    \
        dn[i] = (unsigned char)(NE);                                     \
      }                                                                  \
    } else {                                                             \
      for (int i = 0; i < n; i++) {                                      \
        const double x = A.v[i], y = B.v[i];                             \
        const unsigned char nx = A.n[i], ny = B.n[i];                    \
        dv[i] = (VE);                                                    \
        dn[i] = (unsigned char)(NE);                                     \
      }                                                                  \
    }                                                                    \
  } while (0)

static void kernel_binary(opcode op, opnd A, opnd B, double *dv, unsigned char *dn, int n) {
  switch (op) {
  /* A result that is not a number (inf - inf, 0 * inf, inf / inf after an
  ** overflow of huge values) is null, as division by zero is. */
  case OP_ADD: BINLOOP(x + y, nx | ny | isnan(x + y)); break;
  case OP_SUB: BINLOOP(x - y, nx | ny | isnan(x - y)); break;
  case OP_MUL: BINLOOP(x * y, nx | ny | isnan(x * y)); break;
  case OP_DIV: BINLOOP(y != 0 ? x / y : 0, nx | ny | (y == 0) | isnan(y != 0 ? x / y : 0)); break;
  case OP_EQ: BINLOOP(x == y, nx | ny); break;
  case OP_NE: BINLOOP(x != y, nx | ny); break;
  case OP_LT: BINLOOP(x < y, nx | ny); break;
  case OP_LE: BINLOOP(x <= y, nx | ny); break;
  case OP_GT: BINLOOP(x > y, nx | ny); break;
  case OP_GE: BINLOOP(x >= y, nx | ny); break;
  /* and: false if either side is false, else null if either is null */
  case OP_AND:
    BINLOOP(((nx == 0) & (x != 0)) & ((ny == 0) & (y != 0)),
            ((((nx == 0) & (x == 0)) | ((ny == 0) & (y == 0))) == 0) & (nx | ny));
    break;
  /* or: true if either side is true, else null if either is null */
  case OP_OR:
    BINLOOP(((nx == 0) & (x != 0)) | ((ny == 0) & (y != 0)),
            ((((nx == 0) & (x != 0)) | ((ny == 0) & (y != 0))) == 0) & (nx | ny));
    break;
  default: break;
  }
}

static void kernel_unary(opcode op, opnd A, double *dv, unsigned char *dn, int n) {
  const double *x = A.v;
  const unsigned char *nx = A.n;
  switch (op) {
  case OP_NEG:
    for (int i = 0; i < n; i++) dv[i] = -x[i], dn[i] = nx[i];
    break;
  case OP_NOT:
    for (int i = 0; i < n; i++) dv[i] = x[i] == 0, dn[i] = nx[i];
    break;
  case OP_TRUTH:
    for (int i = 0; i < n; i++) dv[i] = x[i] != 0, dn[i] = nx[i];
    break;
  case OP_ISNULL:
    for (int i = 0; i < n; i++) dv[i] = nx[i] != 0, dn[i] = 0;
    break;
  case OP_NOTNULL:
    for (int i = 0; i < n; i++) dv[i] = nx[i] == 0, dn[i] = 0;
    break;
  default: break;
  }
}

/* x in (items): true if equal to any, else null if x or any item is null,
** else false. dv collects "hit", dn "saw a null" until the final pass. */
static void kernel_in(const kernel *k, const prog_instr *in, double *dv, unsigned char *dn, int n) {
  opnd X = operand(k, in->a);
  for (int i = 0; i < n; i++) dv[i] = 0, dn[i] = X.c ? X.cn : X.n[i];
  for (int j = 0; j < in->nitems; j++) {
    opnd Y = operand(k, in->items[j]);
    if (Y.c && Y.cn) {
      memset(dn, 1, (size_t)n);
    } else if (Y.c && X.c) {
      for (int i = 0; i < n; i++) dv[i] = (double)((dv[i] != 0) | ((X.cn == 0) & (X.cv == Y.cv)));
    } else if (Y.c) {
      for (int i = 0; i < n; i++) dv[i] = (double)((dv[i] != 0) | ((X.n[i] == 0) & (X.v[i] == Y.cv)));
    } else if (X.c) {
      for (int i = 0; i < n; i++) {
        dv[i] = (double)((dv[i] != 0) | ((X.cn == 0) & (Y.n[i] == 0) & (X.cv == Y.v[i])));
        dn[i] |= Y.n[i];
      }
    } else {
      for (int i = 0; i < n; i++) {
        dv[i] = (double)((dv[i] != 0) | ((X.n[i] == 0) & (Y.n[i] == 0) & (X.v[i] == Y.v[i])));
        dn[i] |= Y.n[i];
      }
    }
  }
  for (int i = 0; i < n; i++) dn[i] = (unsigned char)(dn[i] & (dv[i] == 0));
}

static void kernel_bcast(const batch *b, opnd A, double *dv, unsigned char *dn) {
  for (int u = 0; u < b->nunits; u++) {
    double x = A.c ? A.cv : A.v[u];
    unsigned char nx = A.c ? A.cn : A.n[u];
    for (int m = b->mstart[u]; m < b->mstart[u + 1]; m++) dv[m] = x, dn[m] = nx;
  }
}

/* any (all_ = 0) / all (all_ = 1) over each unit's members. */
static void kernel_anyall(const batch *b, opnd A, int all_, double *dv, unsigned char *dn) {
  for (int u = 0; u < b->nunits; u++) {
    int hit = 0, nul = 0;   /* hit: a true member (any) / a false member (all) */
    for (int m = b->mstart[u]; m < b->mstart[u + 1]; m++) {
      nul |= A.n[m];
      hit |= (A.n[m] == 0) & ((A.v[m] != 0) != all_);
    }
    dv[u] = all_ ? (hit == 0) & (nul == 0) : hit;
    dn[u] = (unsigned char)((hit == 0) & nul);
  }
}

/* Does member m pass the filter (no filter: always)? */
static inline int take(int has_f, const opnd *F, int m) {
  return !has_f || ((F->n[m] == 0) & (F->v[m] != 0));
}

/* count() and count(c): never null. */
static void kernel_count(const batch *b, int has_x, opnd A, double *dv, unsigned char *dn) {
  for (int u = 0; u < b->nunits; u++) {
    int cnt = 0;
    if (!has_x) cnt = b->mstart[u + 1] - b->mstart[u];
    else
      for (int m = b->mstart[u]; m < b->mstart[u + 1]; m++) cnt += (A.n[m] == 0) & (A.v[m] != 0);
    dv[u] = cnt;
    dn[u] = 0;
  }
}

/* sum / mean: skip nulls and members whose filter is not true; over nothing
** sum is 0 and mean null. */
static void kernel_sum(const batch *b, int mean, opnd A, int has_f, opnd F, double *dv,
                    unsigned char *dn) {
  for (int u = 0; u < b->nunits; u++) {
    double acc = 0;
    int cnt = 0;
    for (int m = b->mstart[u]; m < b->mstart[u + 1]; m++) {
      int t = (A.n[m] == 0) & take(has_f, &F, m);
      acc += t ? A.v[m] : 0;
      cnt += t;
    }
    dv[u] = mean && cnt ? acc / cnt : acc;
    dn[u] = (unsigned char)((mean & (cnt == 0)) | isnan(acc)); /* inf + -inf: null */
  }
}

/* min / max over the same members; null over nothing. */
static void kernel_minmax(const batch *b, int max, opnd A, int has_f, opnd F, double *dv,
                       unsigned char *dn) {
  for (int u = 0; u < b->nunits; u++) {
    double acc = 0;
    int cnt = 0;
    for (int m = b->mstart[u]; m < b->mstart[u + 1]; m++) {
      if (A.n[m] || !take(has_f, &F, m)) continue;
      double x = A.v[m];
      if (cnt++ == 0 || (max ? x > acc : x < acc)) acc = x;
    }
    dv[u] = acc;
    dn[u] = (unsigned char)(cnt == 0);
  }
}

static void kernel_exec(kernel *k, const prog_instr *in, const batch *b) {
  /* straight-line code: each instruction writes a computed register of its
  ** own and reads only registers written before it */
  assert(in->dst >= 0 && in->dst < k->nregs && owns(&k->regs[in->dst]));
  assert(in->a < in->dst && in->b < in->dst);
  const prog_reg *g = &k->regs[in->dst];
  int n = g->level == 0 ? b->nunits : b->nmembers;
  double *dv = k->col[in->dst].v;
  unsigned char *dn = k->col[in->dst].null;
  opnd A = in->a >= 0 ? operand(k, in->a) : (opnd){0};
  opnd B = in->b >= 0 ? operand(k, in->b) : (opnd){0};   /* right side, or filter */
  switch (in->op) {
  case OP_FILL:
    for (int i = 0; i < n; i++) dv[i] = A.cv, dn[i] = A.cn;
    break;
  case OP_BCAST: kernel_bcast(b, A, dv, dn); break;
  case OP_NEG: case OP_NOT: case OP_TRUTH: case OP_ISNULL: case OP_NOTNULL:
    kernel_unary(in->op, A, dv, dn, n);
    break;
  case OP_IN: kernel_in(k, in, dv, dn, n); break;
  case OP_ANY: kernel_anyall(b, A, 0, dv, dn); break;
  case OP_ALL: kernel_anyall(b, A, 1, dv, dn); break;
  case OP_COUNT: kernel_count(b, in->a >= 0, A, dv, dn); break;
  case OP_SUM: case OP_MEAN:
    kernel_sum(b, in->op == OP_MEAN, A, in->b >= 0, B, dv, dn);
    break;
  case OP_MIN: case OP_MAX:
    kernel_minmax(b, in->op == OP_MAX, A, in->b >= 0, B, dv, dn);
    break;
  default:
    kernel_binary(in->op, A, B, dv, dn, n);
    break;
  }
}

void kernel_eval_batch(kernel *k, const batch *b) {
  int ncode;
  const prog_instr *code = program_code(k->p, &ncode);
  assert(b->nunits >= 0 && b->nmembers >= 0);
  assert(!b->mstart || (b->mstart[0] == 0 && b->mstart[b->nunits] == b->nmembers));
  reserve(k, 0, b->nunits);
  reserve(k, 1, b->nmembers);
  bind_inputs(k, b);
  for (int i = 0; i < ncode; i++) kernel_exec(k, &code[i], b);
  k->nunits = b->nunits;
}

const column *kernel_output(const kernel *k, int o) {
  int r = program_output_reg(k->p, o);
  return r >= 0 ? &k->col[r] : NULL;
}

int kernel_part_value(const kernel *k, int o, int part, int unit, double *v, int *isnull,
                      vtype *type) {
  int r = program_part_reg(k->p, o, part);
  if (r < 0 || unit < 0 || unit >= k->nunits) return -1;
  const prog_reg *g = &k->regs[r];
  *v = g->level < 0 ? g->cval : k->col[r].v[unit];
  *isnull = g->level < 0 ? g->cnull : k->col[r].null[unit];
  if (*isnull) *v = 0;
  if (type) *type = program_part_type(k->p, o, part);
  return 0;
}
