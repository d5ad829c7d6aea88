/*
** infer.h: design-based standard errors, confidence intervals and changes
** between survey rounds for the AF measure (docs/inference.md).
**
** Every figure (H, A, M0, hd, hdk, actb, pctb, in a round and a domain) is a
** ratio of two weighted totals. While the data streams, each unit's
** contributions to those totals are added per primary sampling unit (PSU),
** round and domain (the nation, each value of each group column): memory
** grows with PSUs, not units. Without a PSU column every unit is its own PSU;
** a unit lies in one round and one value of each group column, so its
** contributions are squared at once into per-stratum moments instead.
** After the pass, each figure's Taylor-linearised score is summed per PSU and
**   Var = sum_h n_h / (n_h - 1) * sum_j (z_hj - mean_h z)^2
** (PSUs with replacement, no finite population correction). Changes between
** rounds use the delta method on the same pooled design.
*/
#ifndef AF_INFER_H
#define AF_INFER_H

#include <stdint.h>
#include "json.h"
#include "kernel.h"
#include "score.h"
#include "strpool.h"

typedef struct infer infer;

typedef enum infer_measure {
  INFER_H, INFER_A, INFER_M0, INFER_HD, INFER_HDK, INFER_ACTB, INFER_PCTB, INFER_NMEASURES
} infer_measure;

typedef enum infer_kind {
  INFER_ABSOLUTE, INFER_RELATIVE, INFER_ABSOLUTE_ANNUAL, INFER_RELATIVE_ANNUAL, INFER_NKINDS
} infer_kind;

typedef struct infer_spec {
  int ninds;
  const double *ind_weight;  /* per indicator (actb = weight * hdk) */
  int ngroups;
  int has_strata, has_psu, has_round, has_year;
  double k;                 /* the methodology's poverty cutoff */
} infer_spec;

/* One unit, as infer_add sees it. */
typedef struct infer_unit {
  double weight;            /* > 0 */
  int32_t stratum, psu;     /* interned text; ignored unless declared */
  double round, year;       /* ignored unless declared */
  const int32_t *groups;    /* per group column: interned value, -1 for null */
  int excluded, poor;
  double score;
  const unsigned char *deprived;   /* per indicator */
} infer_unit;

/* A figure; group -1 nationally. ll, ul are NaN when there is no interval. */
typedef struct infer_est {
  infer_measure measure;
  int indicator;            /* -1 for H, A, M0 */
  int group;
  int32_t value;
  int round;                /* index into infer_result.round */
  double k;
  double b, se, ll, ul;
} infer_est;

typedef struct infer_change {
  infer_est est;            /* round = the later round */
  int from;                 /* the earlier round */
  infer_kind kind;
} infer_change;

/* Sweep: two values of a group column compared by M0 at k in a round. */
typedef struct infer_pair {
  int group;
  int32_t a, b;             /* a before b in the reported order */
  int round;
  double k, diff, se;       /* diff = M0(a) - M0(b) */
  int significant;          /* |diff| > z * se at the level */
} infer_pair;

typedef struct infer_result {
  double level;
  int df;                   /* PSUs - strata */
  int npsu, nstrata;
  double *round, *year;     /* per round, ascending (one round 0 without a round column) */
  int nrounds;
  infer_est *est;
  int nest;
  infer_change *chg;
  int nchg;
  infer_pair *pairs;        /* sweep only */
  int npairs;
  int sweep;                /* figures at every achievable k */
} infer_result;

infer *infer_new(const infer_spec *sp);
void infer_free(infer *in);
/* Forget every unit added (the data source starts again). */
void infer_reset(infer *in);
/* Before any unit: figures for every achievable k (each score a unit has)
** instead of the spec's k, H, A and M0 only, and the pairwise comparison of
** group values by M0 at each k (sweep). */
void infer_by_score(infer *in);
/* Add one unit (id names it in errors). */
int infer_add(infer *in, const infer_unit *u, const char *id, af_err *e);
/* Add a scored batch. cols: weight, strata, psu, round, year (each NULL when
** not declared), then the group columns. A unit with a null design column is
** counted and named by infer_finish, not added. */
int infer_add_batch(infer *in, const scorer *s, const batch *b, const column *const *cols,
                    const char *const *ids, af_err *e);
/* After the pass: every figure at confidence level (0 < level < 1). Fails on
** null design columns (the first units and how many) and on a stratum with a
** single PSU, naming it. Group rows follow the text of their
** values (null first). */
int infer_finish(infer *in, const strpool *pool, double level, infer_result *out, af_err *e);
void infer_result_free(infer_result *r);

/* Rendering: "inference", "estimates" and "changes" keys of the score JSON
** (cli.md), and "rankings" for a sweep; the text tables: per round, each
** figure beside its standard error and interval (shares in percent), then
** the changes. m names indicators and group columns. */
void infer_json(json *j, const infer_result *r, const strpool *pool, const model *m);
void infer_text(strbuf *o, const infer_result *r, const strpool *pool, const model *m);

const char *infer_measure_name(infer_measure m);
const char *infer_kind_name(infer_kind k);
/* Quantiles: Student t with df degrees of freedom, and the standard normal. */
double infer_qt(double p, double df);
double infer_qnorm(double p);

#endif
