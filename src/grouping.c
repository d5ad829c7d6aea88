/*
** grouping.c: groups by a computed value, cut into bins (grouping.h).
*/
#include "grouping.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

typedef struct grouping_one {
  int out;                /* phase-1 output, -1: a column group */
  const model_group_calc *gc;
  int32_t *label;         /* nbins + 1 interned bin labels */
  column col;             /* labels of the last batch */
} grouping_one;

struct grouping {
  strpool *pool;
  int n, cap;             /* units the columns have room for */
  grouping_one *g;
};

/* A number as a label: integers without a decimal point. */
static void grouping_num(double v, char *buf, size_t cap) {
  if (v == trunc(v) && fabs(v) < 1e15) snprintf(buf, cap, "%.0f", v);
  else snprintf(buf, cap, "%.15g", v);
}

static int grouping_whole(const model_group_calc *gc) {
  for (int i = 0; i < gc->nbins; i++)
    if (gc->bins[i] != trunc(gc->bins[i]) || fabs(gc->bins[i]) >= 1e15) return 0;
  return 1;
}

void grouping_bin_label(const model_group_calc *gc, int i, char *buf, size_t cap) {
  assert(i >= 0 && i <= gc->nbins && gc->nbins > 0);
  char a[40], b[40];
  if (i == 0) {
    grouping_num(gc->bins[0], a, sizeof a);
    snprintf(buf, cap, "<%s", a);
    return;
  }
  grouping_num(gc->bins[i - 1], a, sizeof a);
  if (i == gc->nbins) {
    snprintf(buf, cap, "%s+", a);
  } else if (grouping_whole(gc)) {
    double last = gc->bins[i] - 1;
    grouping_num(last, b, sizeof b);
    if (last == gc->bins[i - 1]) snprintf(buf, cap, "%s", a);
    else snprintf(buf, cap, "%s-%s", a, b);
  } else {
    grouping_num(gc->bins[i], b, sizeof b);
    snprintf(buf, cap, "%s-<%s", a, b);
  }
}

double grouping_label_order(const char *label) {
  if (label[0] == '<') return -HUGE_VAL;
  return strtod(label, NULL);
}

grouping *grouping_new(const model *m, const rules *r, strpool *pool) {
  grouping *gp = af_calloc(1, sizeof *gp);
  gp->pool = pool;
  gp->g = af_calloc((size_t)m->ngroups + 1, sizeof *gp->g);
  char buf[100];
  for (int g = 0; g < m->ngroups; g++) {
    grouping_one *o = &gp->g[g];
    o->out = model_group_rule(m, g) ? r->group_out[g] : -1;
    if (o->out < 0) continue;
    o->gc = &m->group_calc[g];
    o->label = af_calloc((size_t)o->gc->nbins + 1, sizeof *o->label);
    for (int i = 0; o->gc->nbins > 0 && i <= o->gc->nbins; i++) {
      grouping_bin_label(o->gc, i, buf, sizeof buf);
      o->label[i] = strpool_intern(pool, buf, strlen(buf));
    }
  }
  gp->n = m->ngroups;
  return gp;
}

void grouping_free(grouping *gp) {
  if (!gp) return;
  for (int g = 0; g < gp->n; g++) {
    free(gp->g[g].label);
    free(gp->g[g].col.v);
    free(gp->g[g].col.null);
  }
  free(gp->g);
  free(gp);
}

int grouping_interns(const grouping *gp) {
  for (int g = 0; g < gp->n; g++)
    if (gp->g[g].out >= 0 && gp->g[g].gc->nbins == 0) return 1;
  return 0;
}

/* The interval of v: 0 below the first bin, i from bins[i-1]. */
static int grouping_bin(const model_group_calc *gc, double v) {
  int lo = 0, hi = gc->nbins; /* the number of bins <= v */
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (gc->bins[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

void grouping_eval(grouping *gp, const scorer *s) {
  int n = s->nunits;
  if (n > gp->cap) {
    for (int g = 0; g < gp->n; g++) {
      if (gp->g[g].out < 0) continue;
      gp->g[g].col.v = af_realloc(gp->g[g].col.v, sizeof(double) * (size_t)n);
      gp->g[g].col.null = af_realloc(gp->g[g].col.null, (size_t)n);
    }
    gp->cap = n;
  }
  char buf[40];
  for (int g = 0; g < gp->n; g++) {
    grouping_one *o = &gp->g[g];
    if (o->out < 0) continue;
    const column *in = kernel_output(s->k1, o->out);
    for (int u = 0; u < n; u++) {
      o->col.null[u] = in->null[u] || isnan(in->v[u]);
      if (o->col.null[u]) continue;
      if (o->gc->nbins > 0) {
        o->col.v[u] = o->label[grouping_bin(o->gc, in->v[u])];
      } else {
        grouping_num(in->v[u], buf, sizeof buf);
        o->col.v[u] = strpool_intern(gp->pool, buf, strlen(buf));
      }
    }
  }
}

const column *grouping_column(const grouping *gp, int g) {
  assert(g >= 0 && g < gp->n && gp->g[g].out >= 0);
  return &gp->g[g].col;
}
