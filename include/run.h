/*
** run.h: one pass over the data for one or more methodologies.
**
** run_open compiles each model's rules against the database schema and plans
** one read of the union of the columns they use; run_execute streams the
** units in batches, scores every methodology on each batch, accumulates each
** measure and hands each scored batch to a callback (to store unit results,
** collect transitions, or explain a unit).
*/
#ifndef AF_RUN_H
#define AF_RUN_H

#include "model.h"
#include "rules.h"
#include "score.h"
#include "measure.h"
#include "source.h"
#include "infer.h"

/* Called when the data source starts again from the first unit (the tables
** were not stored in key order, see SOURCE_RESTART): forget every batch
** handed over so far. Measures are reset by the run itself. */
typedef int (*run_reset_fn)(void *ctx, af_err *e);

typedef struct run {
  source *src;
  strpool *pool;
  int n;                    /* methodologies */
  const model **models;
  rules **rules;
  scorer **scorers;
  measure **measures;
  /* the read plan: unit columns, then the weight and group columns of each
  ** methodology (aliased in bind names so that their types never clash) */
  source_plan plan;
  char **ucol, **bname;     /* plan column / name bound by programs */
  vtype *utype;
  int nu;
  char **mcol;
  vtype *mtype;
  int nm;
  int *weight_col;          /* per methodology: unit column index or -1 */
  int **group_col;          /* per methodology, per group */
  const column **groups;    /* score_batch's scratch: the most groups of any methodology */
  int (*design_col)[4];     /* per methodology: strata, psu, round, year column or -1 */
  infer **infers;           /* per methodology: NULL without strata, psu or round */
  infer_result *inference;  /* per methodology, after run_execute */
  double level;             /* of the intervals; 0: 0.95 */
  source_stats stats;
  void **results_md;        /* per methodology: SHA-256 of every unit's result, in order */
  char (*results_sha256)[65];/* final hex, after run_execute */
  run_reset_fn on_restart;  /* set by callers whose batch callback keeps state */
  int threads;              /* 0: default (2, or AFSCORE_THREADS); 1: read and score
                               in one thread (callbacks that read rn->pool) */
} run;

/* Per scored batch. ids[u] is unit u's id. Return 0, or -1 with e filled. */
typedef int (*run_batch_fn)(void *ctx, const run *rn, const batch *b,
                            const char *const *ids, af_err *e);

/* Open db and compile every model against its schema (errors to d). */
int run_open(run *rn, const char *db, const model **models, int n, diag_list *d, af_err *e);
/* After run_open, before run_execute: standard errors (infer.h) for each
** methodology that declares a survey design or rounds, in rn->inference.
** Off by default: compare and explain have no use for them. */
void run_infer(run *rn);
int run_execute(run *rn, run_batch_fn fn, void *ctx, af_err *e);
void run_close(run *rn);

#endif
