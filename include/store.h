/*
** store.h: the results database.
**
** Tables (created if absent; schema 4):
**   runs(id, time, methodology_name, methodology_version, methodology_sha256,
**        scoring, data_path, data_sha256, engine_version, params_json,
**        summary_json, units, unit_order, rows_sha256, signature, signer)
**   run_files(run_id, seq, name, path, sha256, text, signature, signer) --
**        the methodology and every file it imported, so any run can be
**        replayed without them, with each file's detached signature
**   unit_scores(run_id, seq, unit, score, poor, category, eligible, chk, grp)
**        -- keyed by (run_id, seq): seq is the row's position in the order
**        the rows were written (1, 2, ...), so every insert appends
**   run_units(run_id, unit, seq) -- keyed by (run_id, unit): a unit's row,
**        for lookups by unit; filled in its key order (store.c)
**   run_groups(run_id, seq, name) -- the run's group columns (schema 3)
**   run_values(run_id, code, value) -- the text of each group value code
** unit_scores.grp is the unit's group values as codes, comma-separated, one
** per group column in seq order ("2,1"; 0: NULL in the data); runs has
** group_columns, their number (NULL: recorded before schema 3, no values).
** runs.unit_order is the order of the rows by seq: "text" or "integer" (the
** data's key order), "stored" (the data's stored order, no key order),
** "none" (schema 3 runs given in no key order: rows numbered in text order).
** Files of schema 1-3 are upgraded when opened for writing; read-only opens
** read them as they are.
** A run is written in one transaction: store_run_begin opens it,
** store_run_commit closes it; until then nothing of the run is visible and a
** crash leaves no trace of it.
*/
#ifndef AF_STORE_H
#define AF_STORE_H

#include <stdint.h>
#include "util.h"
#include "model.h"

typedef struct store store;

/* A detached Ed25519 signature and the fingerprint of the key it was checked
** against ("" when no trusted key was given). */
typedef struct store_sig {
  int present;
  unsigned char bytes[64];
  char signer[65];
} store_sig;

/* Open or create path. Refuses a file that is not SQLite or holds another
** program's tables. A database locked by another writer is waited for
** (STORE_BUSY_TIMEOUT_MS by default), then "results database R.db is locked
** by another process". */
int store_open(const char *path, store **out, af_err *e);
#define STORE_BUSY_TIMEOUT_MS 5000
/* store_open waiting at most busy_ms for another writer, here and later. */
int store_open_wait(const char *path, int busy_ms, store **out, af_err *e);
void store_close(store *st);
/* The wait in force, in ms (as SQLite reports it). */
int store_busy_timeout(store *st);
/* Open an existing results database for reading only (SQLITE_OPEN_READONLY):
** never creates or changes a file, works on read-only storage, and reads a
** database of an older schema. A missing path: "no such results database". */
int store_open_readonly(const char *path, store **out, af_err *e);
/* Cap the database at this many pages: writing past it fails as a full disk
** would (SQLITE_FULL). For tests of the disk-full path. */
void store_set_max_pages(store *st, int64_t pages);
/* Lower SQLite's limit on the length of one value (SQLITE_LIMIT_LENGTH), so
** that tests can record a methodology source over the limit. */
void store_set_max_length(store *st, int bytes);

/* The text of a group value id given to store_run_unit (called at commit,
** once the caller's pass is over). */
typedef const char *(*store_group_text_fn)(void *ctx, int32_t id);

typedef struct run_info {
  const char *methodology_name, *methodology_version, *methodology_sha256;
  const char *scoring;          /* "af" or "points" */
  const char *data_path, *data_sha256;
  const char *engine_version;
  const char *params_json;
  const model_file *files;      /* files[0] is the methodology itself */
  int nfiles;
  const store_sig *file_sigs;   /* per file, or NULL: none signed */
  char *const *groups;          /* the group columns whose values each row keeps */
  int ngroups;
  store_group_text_fn group_text; /* text of a value id (required with groups) */
  void *group_ctx;
} run_info;

/* Signs the canonical record of a run being committed (store_record_message):
** fills sig (64 bytes) and signer (the key's fingerprint). */
typedef int (*store_sign_fn)(void *ctx, const char *msg, size_t len, unsigned char *sig,
                             char *signer, af_err *e);

/* Begin the run's transaction and insert its runs/run_files rows. Any
** failure of the run functions below rolls the whole run back at once (a
** full disk: "results database R.db: disk full; the run was not recorded"). */
int store_run_begin(store *st, const run_info *ri, int64_t *run_id, af_err *e);
/* One unit's result. poor < 0 stores NULL (points methodologies); eligible
** is a bit set of the benefits (support measures) the unit is eligible for (bit i =
** benefit i); groups: ri->ngroups value ids of the caller's (-1: NULL), whose
** text ri->group_text gives at commit (NULL without group columns). */
int store_run_unit(store *st, const char *unit, double score, int poor,
                   const char *category, int64_t eligible, const int32_t *groups, af_err *e);
/* The data fingerprint, known only once the pass is over. */
int store_run_set_data(store *st, const char *data_sha256, af_err *e);
/* Have store_run_commit sign the run with fn (before it is committed). */
void store_run_set_signer(store *st, store_sign_fn fn, void *ctx);
/* A unit of the run whose row another partial run records (score
** --partition): it takes its position, so each row's seq is its position in
** the whole run, and counts for the run's unit order. */
int store_run_skip(store *st, const char *unit, af_err *e);
/* Store the summary JSON, the rows digest and the signature, and commit.
** Units in a key order (all texts, or integers first) record that order;
** others "stored": rows are read back (store_iter_begin) as they came. A
** unit given twice fails here at the latest, naming it. */
int store_run_commit(store *st, const char *summary_json, af_err *e);
/* Roll back an unfinished run. */
void store_run_abort(store *st);

/* A recorded run, read back (owned by the caller: store_record_free). */
typedef struct run_record {
  int64_t id;
  char *time, *methodology_name, *methodology_version, *methodology_sha256;
  char *scoring, *data_path, *data_sha256, *engine_version, *params_json, *summary_json;
  model_file *files;
  store_sig *file_sigs;         /* per file */
  int nfiles;
  int64_t units;                /* unit_scores rows of the run */
  char *unit_order;             /* "text", "integer", "stored", "none"; NULL: schema 1 */
  char *rows_sha256;            /* NULL: schema 1 run */
  store_sig sig;                /* the run's own signature */
  int group_columns;            /* -1: recorded before schema 3 (no group values) */
  char **groups;                /* store_load_run: the group column names */
  char **group_values;          /* store_load_run: the text of code c is [c - 1] */
  int ngroup_values;
} run_record;

/* The canonical bytes a run's signature covers (owned by the caller): every
** field of the runs row but id and the signature, and each file's name,
** path, sha256 and signature, length-prefixed. */
char *store_record_message(const run_record *r, size_t *len);

/* Check a run's rows without the data: each row's check (its bytes and its
** position), the positions no row holds (named by the unit their run_units
** entry still gives), the count, the rows digest, and (schema 4, rows all
** good) that run_units holds exactly the rows' units and positions. 0
** checked (v says what was found), -1 error. */
typedef struct store_verdict {
  int64_t rows;                 /* rows read */
  int64_t changed;              /* rows whose own check fails (edited or forged) */
  int64_t missing;              /* recorded rows missing (positions no row holds) */
  int digest_ok;                /* rows hash to rows_sha256 */
  int unlinked;                 /* run_units disagrees with the rows (schema 4) */
  char first[512];              /* the first bad unit or place, in words */
} store_verdict;
int store_verify_rows(store *st, const run_record *r, store_verdict *v, af_err *e);

int store_load_run(store *st, int64_t run_id, run_record *out, af_err *e);
void store_record_free(run_record *r);
/* All runs, oldest first (summary-level fields only; files not loaded).
** Free with store_free_runs. */
int store_list_runs(store *st, run_record **out, int *n, af_err *e);
void store_free_runs(run_record *runs, int n);
/* The rows a run has in unit_scores (however many it recorded). */
int store_run_rows(store *st, int64_t run_id, int64_t *n, af_err *e);
/* One unit's stored result; returns 1 found, 0 not found, -1 error. */
int store_unit_result(store *st, int64_t run_id, const char *unit, double *score,
                      int *poor, char **category, int64_t *eligible, af_err *e);

/* Iterate a run's unit_scores in the order recorded (unit_order: by seq;
** before schema 4, in the key order). */
typedef struct store_iter store_iter;
int store_iter_begin(store *st, int64_t run_id, store_iter **it, af_err *e);
/* The same in the key order given ("text" or "integer") whatever the run
** recorded: by seq when that is the run's order, else text order through
** run_units, integer order sorted by SQLite. */
int store_iter_begin_order(store *st, int64_t run_id, const char *order, store_iter **it,
                           af_err *e);
/* 1: a row (pointers valid until the next call), 0: end, -1: error */
int store_iter_next(store_iter *it, const char **unit, double *score, int *poor,
                    const char **category, int64_t *eligible, af_err *e);
/* store_iter_begin that also checks each row as store_verify_rows does (r
** stays valid until store_iter_end); after the last row, store_iter_verdict
** gives the verdict (without the run_units check). */
int store_iter_begin_checked(store *st, const run_record *r, store_iter **it, af_err *e);
void store_iter_verdict(store_iter *it, store_verdict *v);
/* The current row's position (seq; 0 before schema 4). */
int64_t store_iter_seq(store_iter *it);
/* The current row's group codes, n of them (the run's group_columns), each
** 0 (NULL) .. nvalues: 1, 0 when the row has none (recorded before schema 3),
** -1 when they are damaged. */
int store_iter_groups(store_iter *it, int32_t *codes, int n, int nvalues);
/* The current row's grp text as stored (NULL: none). */
const char *store_iter_grp(store_iter *it);
void store_iter_end(store_iter *it);
/* Compare two unit ids in a run's unit order ("text": bytewise; "integer":
** ids that are integers first, by value, then the others bytewise). */
int store_unit_cmp(const char *order, const char *a, const char *b);

/* A partial run (score --partition I/N): it holds the rows of the units in
** partition part (1..nparts) under the split named split; units_all is the
** number of units the whole run has (every partial reads them all). */
typedef struct store_part {
  int64_t part, nparts, units_all;
  const char *split;
  char split_buf[32];           /* split, when read back */
} store_part;
/* Mark the open run as a partial (before store_run_commit). */
int store_run_set_partition(store *st, const store_part *p, af_err *e);
/* 1 and *p filled: run_id is a partial; 0: a whole run; -1 error. */
int store_run_partition(store *st, int64_t run_id, store_part *p, af_err *e);

#endif
