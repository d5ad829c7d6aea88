/*
** cli.h: the afscore command line (check, score, compare, replay, explain,
** sweep, runs, notices, generate). Each command returns the process exit
** status: 0 success, 1 the work failed or the check found errors, 2 usage
** error. Commands print; nothing below them does.
*/
#ifndef AF_CLI_H
#define AF_CLI_H

#include <stdio.h>
#include "util.h"
#include "model.h"
#include "run.h"
#include "store.h"

#define AFSCORE_VERSION "afscore 0.1.0"

int cli_main(int argc, char **argv);

/* Options shared by the commands. */
typedef struct cli_opts {
  const char *db, *out, *changes, *lang, *format;
  const char *methods[16];
  int nmethods;
  const char *pos[4];          /* positional arguments */
  int npos;
  long long run_id;
  int json, help;
  long long families, seed;
  int shuffled, no_index;
  int strict;                  /* check: warnings count as errors */
} cli_opts;

/* Parse argv[from..] into o; on a usage error prints it and returns -1. */
int cli_parse(int argc, char **argv, int from, const char *cmd, cli_opts *o);
/* Load a methodology, printing its errors; NULL on failure. */
model *cli_load_method(const char *path);
/* The same without printing: the errors are appended to d. */
model *cli_load_method_diags(const char *path, diag_list *d);
/* Print diagnostics as FILE:LINE: message on stderr. */
void cli_print_diags(diag_list *d);
void cli_usage(FILE *f, const char *cmd);
/* Progress on stderr when it is a terminal. */
void cli_progress(long long done, long long total, double started);
double cli_now(void);

/* Shared by the commands (cli_analyse.c). cli_fail prints "afscore: msg" and
** returns 1; cli_open_run prints schema errors; cli_load_recorded rebuilds a
** recorded methodology from its stored sources (no disk access);
** cli_open_record opens RESULTS.db and loads run id; cli_compare_models
** scores ms[0..n) in one pass and prints each against ms[0]. */
int cli_fail(const char *msg);
int cli_open_run(run *rn, const char *db, const model **ms, int n);
model *cli_load_recorded(const run_record *rec);
int cli_open_record(const char *out, long long id, store **st, run_record *rec);
int cli_compare_models(const model **ms, int n, const char *db, const char *changes, int as_json,
                       const char *base_label);

int cmd_check(cli_opts *o);
int cmd_score(cli_opts *o);
int cmd_compare(cli_opts *o);
int cmd_replay(cli_opts *o);
int cmd_explain(cli_opts *o);
int cmd_sweep(cli_opts *o);
int cmd_runs(cli_opts *o);
int cmd_notices(cli_opts *o);
int cmd_generate(cli_opts *o);
int cmd_describe(cli_opts *o);
int cmd_diff(cli_opts *o);
int cmd_test(cli_opts *o);

#endif
