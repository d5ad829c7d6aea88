/*
** run.h: one pass over the data for one or more methodologies.
**
** run_open compiles each model's rules against the database schema and plans
** one read of the union of the columns they use; run_execute streams the
** units in batches, scores every methodology on each batch, accumulates each
** measure and hands each scored batch to the caller's batch hook (to store
** unit results, collect transitions, or explain a unit). The run is opaque:
** its caller reads what it needs through the accessors below.
*/
#ifndef AF_RUN_H
#define AF_RUN_H

#include "model.h"
#include "rules.h"
#include "score.h"
#include "measure.h"
#include "source.h"
#include "infer.h"

typedef struct run run;

/* Called before the first batch of a pass: once at the start, and again
** whenever the data source starts over from the first unit (the tables were
** not stored in key order, see SOURCE_RESTART). It (re)initialises whatever
** the batch hook accumulates, so that setup and restart are one path. The
** run's own measures and digests are reset by the run. 0, or -1 with e. */
typedef int (*run_pass_fn)(void *ctx, const run *rn, af_err *e);
/* Per scored batch. ids[u] is unit u's id. Return 0, or -1 with e filled. */
typedef int (*run_batch_fn)(void *ctx, const run *rn, const batch *b,
                            const char *const *ids, af_err *e);

enum { RUN_INFER_OFF, RUN_INFER_ON, RUN_INFER_BY_SCORE /* sweep: also by score */ };

typedef struct run_options {
  int threads;              /* 0 or 2: a reader thread feeds the scoring thread;
                               1: one thread (hooks that read run_pool during
                               the pass need it, as explain does) */
  const char *only_unit;    /* read this unit only (an index lookup); NULL: all */
  run_pass_fn begin_pass;   /* may be NULL */
  run_batch_fn batch;       /* may be NULL */
  int infer;                /* RUN_INFER_*: standard errors (infer.h) for each
                               methodology that declares a survey design or
                               rounds; off by default (compare and explain have
                               no use for them) */
  double level;             /* of the intervals; 0: 0.95 */
  void *ctx;                /* handed to both hooks */
} run_options;

/* Open db and compile every model against its schema (errors to d). *rn is
** set even on failure and must be closed. opt may be NULL (the defaults). */
int run_open(run **rn, const char *db, const model **models, int n, const run_options *opt,
             diag_list *d, af_err *e);
/* The pass: 0, or -1 with e filled. */
int run_execute(run *rn, af_err *e);
void run_close(run *rn);

/* ---- what a run holds (valid until run_close) ---- */
int run_count(const run *rn);                         /* methodologies */
const model *run_model(const run *rn, int k);
const rules *run_rules(const run *rn, int k);
/* The last scored batch's results of methodology k (during the pass). */
const scorer *run_scorer(const run *rn, int k);
/* Methodology k's measure: complete after run_execute. */
const measure *run_measure(const run *rn, int k);
/* Group column g of methodology k within a batch of this run. */
const column *run_group_column(const run *rn, int k, int g, const batch *b);
const strpool *run_pool(const run *rn);
const source_plan *run_plan(const run *rn);
/* The data read (fingerprint, units, read order): after run_execute. */
const source_stats *run_stats(const run *rn);
/* Methodology k's estimates after run_execute; NULL without inference. */
const infer_result *run_inference(const run *rn, int k);
/* Hex SHA-256 of every unit's result of methodology k: after run_execute. */
const char *run_results_sha256(const run *rn, int k);
/* Units in the unit table (a scan: for progress bars only). */
int64_t run_count_units(const run *rn);

#endif
