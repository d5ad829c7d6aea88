/*
** cli.h: the command layer of afscore. main.c parses the command line into
** cli_opts and calls one cmd_* (cli_<command>.c); cli.c holds what the
** commands share (loading methodologies and recorded runs, opening a run,
** printing diagnostics and progress). Only this layer prints.
**
** One failure convention: every cmd_* and every cli_* helper that can fail
** returns the process exit status, after printing why: 0 success, 1 the
** work failed (or `check` found errors), 2 usage error.
*/
#ifndef AF_CLI_H
#define AF_CLI_H

#include <stdio.h>
#include "util.h"
#include "method.h"
#include "model.h"
#include "run.h"
#include "store.h"
#include "json.h"

#define AFSCORE_VERSION "afscore 0.1.0"

#define CLI_MAX_METHODS 16     /* --method options; more is a usage error */
#define CLI_MAX_POS 4096       /* positional arguments (merge: one per partial, as many as
                                  MERGE_MAX_PARTS); more is a usage error */

/* The parsed command line of one command. */
typedef struct cli_opts {
  const char *cmd, *synopsis;  /* the command and its usage line */
  const char *db, *out, *changes, *lang, *format;
  const char *methods[CLI_MAX_METHODS];
  int nmethods;
  const char *pos[CLI_MAX_POS];
  int npos;
  long long run_id, run_id2;   /* the first and second --run (0: not given) */
  int nruns;                   /* --run options given */
  const char *html, *csv;      /* report: the page and the directory of its tables */
  int force;                   /* replace an existing output file */
  int json, help;
  long long families, seed;
  const char *layout;          /* generate: key, registry or shuffled */
  int no_index;
  int strict;                  /* check: warnings count as errors */
  /* the decision record (cli_sign.c, cli_verify.c, cli_show.c) */
  const char *key, *trust, *sign_with, *extract;
  int require_signed, recompute_base;
  const char *partition;       /* score --partition I/N */
  int threads;                 /* AFSCORE_THREADS; 0: the default */
  double level;                /* --level: confidence of intervals (0.95) */
} cli_opts;

/* "afscore CMD: message" and the command's usage line on stderr; returns 2. */
int cli_usage_error(const cli_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "afscore: message" on stderr; returns 1. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* text as a whole number >= min into *out: 0, or a usage error naming what
** (an option such as "--run", or "RUN_ID") and the text. */
int cli_number(const cli_opts *o, const char *what, const char *text, long long min,
               long long *out);

/* Print diagnostics as FILE:LINE: message on stderr. */
void cli_print_diags(diag_list *d);
/* How scripts (methodologies, cases files) are run, from the environment:
** AFSCORE_TIME_LIMIT, AFSCORE_WALL_LIMIT (for tests) and AFSCORE_PATH. */
typedef struct cli_script_env {
  method_opts mo;
  char *buf;             /* the text mo.search_path points into */
} cli_script_env;
/* 0, or -1 with e filled (a limit that is not a number in range). */
int cli_script_env_init(cli_script_env *se, af_err *e);
void cli_script_env_free(cli_script_env *se);
/* Load a methodology from disk, printing its errors; NULL on failure. */
model *cli_load_method(const char *path);
/* The same without printing: the errors are appended to d. */
model *cli_load_method_diags(const char *path, diag_list *d);
/* Rebuild a recorded methodology from its stored sources (no disk access),
** printing its errors; NULL on failure. */
model *cli_load_recorded(const run_record *rec);
/* store_open, waiting AFSCORE_BUSY_TIMEOUT ms (if set; default
** STORE_BUSY_TIMEOUT_MS) for another writer: 0, or 1 after printing why. */
int cli_store_open(const char *path, store **st);
/* Open the results database out and load run id into rec (0 or 1). */
int cli_open_record(const char *out, long long id, store **st, run_record *rec);
/* The same for the run named by the one positional argument (show, replay):
** 0 opened, 1 failed, 2 usage error (printed). */
int cli_open_run_arg(const cli_opts *o, store **st, run_record *rec);
/* A run as the commands drive it: the run, the command's options and hooks,
** and the progress line that cli_execute draws on a terminal. It must stay
** where cli_open_run put it until the run is closed (the hooks point at it). */
typedef struct cli_run {
  run *rn;                   /* close with run_close */
  run_options hooks;         /* the command's */
  long long done, total;     /* units of this pass, and in the unit table */
  double started, last;
  int open;                  /* a progress line is drawn and not yet ended */
} cli_run;
/* Open a run of ms[0..n) over db with the options ro (may be NULL; threads
** unset there are o->threads), printing schema errors: 0 or 1. cr->rn is
** set either way and must be closed with run_close. */
int cli_open_run(const cli_opts *o, cli_run *cr, const char *db, const model **ms, int n,
                 const run_options *ro);
/* run_execute with one updating progress line on a terminal (units done of
** the total, rate, time left): 0, or -1 with e filled. */
int cli_execute(cli_run *cr, af_err *e);
double cli_now(void);

/* Score ms[0..n) over o->db in one pass and print each against ms[0]
** (cli_compare.c; compare and replay --method), with o's --changes and
** --json (sigs: the files' signature status, for the JSON). base: the
** recorded run the base comes from, or NULL. */
typedef struct cli_base {
  const char *label, *expect_sha256, *data_path;
  int recompute;     /* compare even if the data changed since the run */
} cli_base;
typedef struct cli_sigs cli_sigs;
int cli_compare_base(const model **ms, int n, const cli_opts *o, const cli_base *base,
                     const cli_sigs *sigs);
/* Refuse an output file that would replace an input of the command (data,
** results database, a methodology, a key), a SQLite database, or (without
** --force) any file: 0, or 1 after saying why. */
int cli_check_output(const cli_opts *o, const char *path);

/* Signatures (cli_sign.c). The status of one methodology file's signature,
** as check, score, compare, replay and show give it. */
typedef enum cli_sig_state {
  CLI_SIG_UNSIGNED,     /* no FILE.sig (or none recorded) */
  CLI_SIG_UNCHECKED,    /* signed; no --trust to check it against */
  CLI_SIG_TRUSTED,      /* verifies under a key of --trust (signer) */
  CLI_SIG_UNTRUSTED     /* --trust given and no key verifies it: changed or another key */
} cli_sig_state;
typedef struct cli_sig_file {
  char *file, *sha256;  /* where it was read from (or its name), its sha256 */
  int method;           /* which methodology of the command: 0, 1, ... */
  cli_sig_state state;
  char signer[65];      /* CLI_SIG_TRUSTED: the key's fingerprint */
  int from_record;      /* 1: a file recorded with a run (replay, show) */
  char recorded[65];    /* a recorded file: the signer the run recorded, or "" */
} cli_sig_file;
/* The files of every methodology a command read, in order. */
struct cli_sigs {
  cli_sig_file *v;
  int n, cap;
  int nmethods;         /* cli_signatures calls so far */
};

/* cli_signatures finds each file's detached signature (FILE.sig beside it;
** or recorded, for recorded files), checks it against --trust, appends each
** file's status to list (may be NULL), and with --require-signed refuses
** (1, said on stderr) a file not signed by a trusted key. On success *out
** (may be NULL) receives the per-file signatures to record (the caller
** frees it). The command gives the status with its output, signed or not:
** cli_sigs_print in text, cli_sigs_json in --json. */
int cli_signatures(const cli_opts *o, const model_file *files, int nfiles,
                   const store_sig *recorded, store_sig **out, cli_sigs *list);
/* The status in words: "unsigned", "signed by trusted key FP", ... */
void cli_sig_words(strbuf *b, const cli_sig_file *f);
/* One line per file: "signature: FILE: STATUS". */
void cli_sigs_print(FILE *f, const cli_sigs *list);
/* "signatures": [{"methodology", "file", "sha256", "status", "signer",
** "recorded"[, "recorded_signer"]}, ...] (status: unsigned, not_checked,
** trusted or not_trusted; signer: the trusted key, else null). */
void cli_sigs_json(json *j, const cli_sigs *list);
void cli_sigs_free(cli_sigs *list);

/* The commands. */
int cmd_check(cli_opts *o);
int cmd_score(cli_opts *o);
int cmd_compare(cli_opts *o);
int cmd_replay(cli_opts *o);
int cmd_explain(cli_opts *o);
int cmd_sweep(cli_opts *o);
int cmd_runs(cli_opts *o);
int cmd_notices(cli_opts *o);
int cmd_generate(cli_opts *o);
int cmd_report(cli_opts *o);
int cmd_describe(cli_opts *o);
int cmd_diff(cli_opts *o);
int cmd_test(cli_opts *o);
int cmd_sign(cli_opts *o);
int cmd_verify(cli_opts *o);
int cmd_show(cli_opts *o);
int cmd_merge(cli_opts *o);

#endif
