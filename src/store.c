/*
** store.c: the results database (runs, their files, one row per unit).
**
** A run is one transaction (BEGIN IMMEDIATE .. COMMIT), so after a crash or a
** kill there is the whole run or nothing of it. The file is marked with an
** application_id so that a foreign SQLite file is refused instead of being
** written into. Any failure inside a run rolls the run back at once.
*/
#include "store.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <math.h>
#include <sqlite3.h>

#define STORE_APP_ID 0x41465352   /* "AFSR" */
#define STORE_SCHEMA_VERSION 1

/* unit_scores is WITHOUT ROWID keyed by (run_id, unit): the lookups of
** explain/replay use the key directly and the table is stored once, not as
** a table plus an index (docs/design.md, section 5). */
static const char *SCHEMA =
    "CREATE TABLE runs("
    " id INTEGER PRIMARY KEY,"
    " time TEXT NOT NULL,"
    " methodology_name TEXT, methodology_version TEXT, methodology_sha256 TEXT,"
    " scoring TEXT, data_path TEXT, data_sha256 TEXT, engine_version TEXT,"
    " params_json TEXT, summary_json TEXT, units INTEGER);"
    "CREATE TABLE run_files("
    " run_id INTEGER NOT NULL REFERENCES runs(id), seq INTEGER NOT NULL,"
    " name TEXT, path TEXT, sha256 TEXT, text TEXT,"
    " PRIMARY KEY(run_id, seq)) WITHOUT ROWID;"
    "CREATE TABLE unit_scores("
    " run_id INTEGER NOT NULL, unit TEXT NOT NULL, score REAL, poor INTEGER,"
    " category TEXT, eligible INTEGER,"
    " PRIMARY KEY(run_id, unit)) WITHOUT ROWID;";

struct store {
  sqlite3 *db;
  char *path;
  sqlite3_stmt *ins;        /* INSERT INTO unit_scores, reused for every unit */
  sqlite3_stmt *get;        /* one unit's result, reused by lookups (replay/explain) */
  int in_run;
  int64_t run_id, units;
};

/* ---- errors ---- */

/* A write that failed for want of space. SQLite reports ENOSPC as
** SQLITE_FULL, but a file size limit (EFBIG, `ulimit -f`) or a quota as a
** plain write error, and the errno it keeps may already be lost: 1 when the
** space is known to be out, 2 when a write failed for a reason SQLite lost. */
static int out_of_space(store *st) {
  int en = sqlite3_system_errno(st->db);
  if (en == ENOSPC || en == EDQUOT) return 1;
  if (en == EFBIG || sqlite3_extended_errcode(st->db) == SQLITE_IOERR_WRITE) return 2;
  return 0;
}

/* The message for a failed SQLite call, after rolling back any open run. */
static int fail_rc(store *st, int rc, af_err *e) {
  int code = rc & 0xff;
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
    af_fail(e, "results database %s is locked by another process", st->path);
  else if (code == SQLITE_FULL || (code == SQLITE_IOERR && out_of_space(st) == 1))
    af_fail(e, "results database %s: disk full; the run was not recorded", st->path);
  else if (code == SQLITE_IOERR && out_of_space(st) == 2)
    af_fail(e, "results database %s: cannot write (disk full or file size limit reached); "
               "the run was not recorded", st->path);
  else if (code == SQLITE_NOTADB)
    af_fail(e, "%s: not a SQLite database", st->path);
  else if (code == SQLITE_READONLY || code == SQLITE_CANTOPEN || code == SQLITE_PERM)
    af_fail(e, "results database %s cannot be written: %s", st->path, sqlite3_errmsg(st->db));
  else
    af_fail(e, "results database %s: %s", st->path, sqlite3_errmsg(st->db));
  if (st->in_run) store_run_abort(st);
  return -1;
}

static int exec(store *st, const char *sql, af_err *e) {
  int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
  return rc == SQLITE_OK ? 0 : fail_rc(st, rc, e);
}

static int prepare(store *st, const char *sql, sqlite3_stmt **s, af_err *e) {
  int rc = sqlite3_prepare_v2(st->db, sql, -1, s, NULL);
  return rc == SQLITE_OK ? 0 : fail_rc(st, rc, e);
}

/* One integer from a query (a pragma), or -1 with e filled. */
static int query_int(store *st, const char *sql, int64_t *out, af_err *e) {
  sqlite3_stmt *s;
  if (prepare(st, sql, &s, e) != 0) return -1;
  int rc = sqlite3_step(s);
  *out = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
  sqlite3_finalize(s);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail_rc(st, rc, e);
}

/* ---- opening ---- */

static int create_schema(store *st, af_err *e) {
  if (exec(st, "BEGIN IMMEDIATE", e) != 0) return -1;
  /* Another process may have created it while we waited for the lock. */
  int64_t app;
  if (query_int(st, "PRAGMA application_id", &app, e) != 0) goto fail;
  if (app == STORE_APP_ID) return exec(st, "COMMIT", e);
  char *sql = af_sprintf("%s PRAGMA application_id=%d; PRAGMA user_version=%d;", SCHEMA,
                         STORE_APP_ID, STORE_SCHEMA_VERSION);
  int rc = exec(st, sql, e);
  free(sql);
  if (rc != 0) goto fail;
  return exec(st, "COMMIT", e);
fail:
  sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
  return -1;
}

/* Refuse files that are not SQLite or belong to something else. */
static int check_schema(store *st, af_err *e) {
  int64_t app, ntables, version;
  if (query_int(st, "PRAGMA application_id", &app, e) != 0) return -1;
  if (query_int(st, "SELECT count(*) FROM sqlite_schema", &ntables, e) != 0) return -1;
  if (app == STORE_APP_ID) {
    if (query_int(st, "PRAGMA user_version", &version, e) != 0) return -1;
    if (version > STORE_SCHEMA_VERSION)
      return af_fail(e, "results database %s was written by a newer afscore (schema %lld)",
                     st->path, (long long)version);
    return 0;
  }
  if (app != 0 || ntables != 0)
    return af_fail(e, "%s is not an afscore results database (it holds other data)", st->path);
  return create_schema(st, e);
}

static int tune(store *st, af_err *e) {
  /* WAL: readers (explain, list) are not blocked by a run being written,
  ** and a commit is atomic on kill -9 and on power loss with NORMAL sync. */
  sqlite3_stmt *s;
  if (prepare(st, "PRAGMA journal_mode=WAL", &s, e) != 0) return -1;
  int rc = sqlite3_step(s);
  sqlite3_finalize(s);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return fail_rc(st, rc, e);
  return exec(st, "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-16384;"
                  "PRAGMA journal_size_limit=67108864; PRAGMA foreign_keys=ON", e);
}

int store_open(const char *path, store **out, af_err *e) {
  return store_open_wait(path, STORE_BUSY_TIMEOUT_MS, out, e);
}

int store_open_wait(const char *path, int busy_ms, store **out, af_err *e) {
  assert(busy_ms >= 0);
  *out = NULL;
  store *st = af_calloc(1, sizeof *st);
  st->path = af_strdup(path);
  int rc = sqlite3_open_v2(path, &st->db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    af_fail(e, "results database %s cannot be opened: %s", path,
            st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
    store_close(st);
    return -1;
  }
  sqlite3_busy_timeout(st->db, busy_ms);
  if (check_schema(st, e) != 0 || tune(st, e) != 0) {
    store_close(st);
    return -1;
  }
  *out = st;
  return 0;
}

void store_close(store *st) {
  if (!st) return;
  if (st->in_run) store_run_abort(st);
  sqlite3_finalize(st->ins);
  sqlite3_finalize(st->get);
  sqlite3_close(st->db);
  free(st->path);
  free(st);
}

int store_busy_timeout(store *st) {
  sqlite3_stmt *s = NULL;
  int ms = -1;
  if (sqlite3_prepare_v2(st->db, "PRAGMA busy_timeout", -1, &s, NULL) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW)
    ms = sqlite3_column_int(s, 0);
  sqlite3_finalize(s);
  return ms;
}

void store_set_max_pages(store *st, int64_t pages) {
  char *sql = af_sprintf("PRAGMA max_page_count=%lld", (long long)pages);
  sqlite3_exec(st->db, sql, NULL, NULL, NULL);
  free(sql);
}

/* ---- writing a run ---- */

static void bind_text(sqlite3_stmt *s, int i, const char *t) {
  if (t)
    sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(s, i);
}

static void utc_now(char out[32]) {
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int insert_run(store *st, const run_info *ri, af_err *e) {
  sqlite3_stmt *s;
  if (prepare(st, "INSERT INTO runs(time, methodology_name, methodology_version,"
                  " methodology_sha256, scoring, data_path, data_sha256, engine_version,"
                  " params_json) VALUES (?,?,?,?,?,?,?,?,?)", &s, e) != 0)
    return -1;
  char now[32];
  utc_now(now);
  const char *v[] = {now, ri->methodology_name, ri->methodology_version,
                     ri->methodology_sha256, ri->scoring, ri->data_path, ri->data_sha256,
                     ri->engine_version, ri->params_json};
  for (int i = 0; i < 9; i++) bind_text(s, i + 1, v[i]);
  int rc = sqlite3_step(s);
  sqlite3_finalize(s);
  if (rc != SQLITE_DONE) return fail_rc(st, rc, e);
  st->run_id = sqlite3_last_insert_rowid(st->db);
  return 0;
}

static int insert_files(store *st, const run_info *ri, af_err *e) {
  sqlite3_stmt *s;
  if (prepare(st, "INSERT INTO run_files(run_id, seq, name, path, sha256, text)"
                  " VALUES (?,?,?,?,?,?)", &s, e) != 0)
    return -1;
  for (int i = 0; i < ri->nfiles; i++) {
    const model_file *f = &ri->files[i];
    sqlite3_bind_int64(s, 1, st->run_id);
    sqlite3_bind_int(s, 2, i);
    bind_text(s, 3, f->name);
    bind_text(s, 4, f->path);
    bind_text(s, 5, f->sha256);
    if (f->text)
      sqlite3_bind_text64(s, 6, f->text, f->len, SQLITE_STATIC, SQLITE_UTF8);
    else
      sqlite3_bind_null(s, 6);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
      sqlite3_finalize(s);
      return fail_rc(st, rc, e);
    }
  }
  sqlite3_finalize(s);
  return 0;
}

int store_run_begin(store *st, const run_info *ri, int64_t *run_id, af_err *e) {
  if (st->in_run) return af_fail(e, "results database %s: a run is already open", st->path);
  if (!st->ins && prepare(st, "INSERT INTO unit_scores(run_id, unit, score, poor, category,"
                              " eligible) VALUES (?,?,?,?,?,?)", &st->ins, e) != 0)
    return -1;
  if (exec(st, "BEGIN IMMEDIATE", e) != 0) return -1;
  st->in_run = 1;
  st->units = 0;
  if (insert_run(st, ri, e) != 0 || insert_files(st, ri, e) != 0) return -1;
  if (run_id) *run_id = st->run_id;
  return 0;
}

int store_run_unit(store *st, const char *unit, double score, int poor,
                   const char *category, int64_t eligible, af_err *e) {
  assert(unit);
  if (!st->in_run) return af_fail(e, "results database %s: no run is open", st->path);
  sqlite3_stmt *s = st->ins;
  sqlite3_bind_int64(s, 1, st->run_id);
  sqlite3_bind_text(s, 2, unit, -1, SQLITE_STATIC);
  sqlite3_bind_double(s, 3, score);
  if (poor < 0)
    sqlite3_bind_null(s, 4);
  else
    sqlite3_bind_int(s, 4, poor ? 1 : 0);
  bind_text(s, 5, category);
  sqlite3_bind_int64(s, 6, eligible);
  int rc = sqlite3_step(s);
  sqlite3_reset(s);
  if (rc != SQLITE_DONE) {
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
      af_fail(e, "results database %s: unit '%s' stored twice in one run", st->path, unit);
      store_run_abort(st);
      return -1;
    }
    return fail_rc(st, rc, e);
  }
  st->units++;
  return 0;
}

int store_run_set_data(store *st, const char *data_sha256, af_err *e) {
  if (!st->in_run) return af_fail(e, "results database %s: no run is open", st->path);
  sqlite3_stmt *s;
  if (prepare(st, "UPDATE runs SET data_sha256 = ? WHERE id = ?", &s, e) != 0) return -1;
  bind_text(s, 1, data_sha256);
  sqlite3_bind_int64(s, 2, st->run_id);
  int rc = sqlite3_step(s);
  sqlite3_finalize(s);
  return rc == SQLITE_DONE ? 0 : fail_rc(st, rc, e);
}

int store_run_commit(store *st, const char *summary_json, af_err *e) {
  if (!st->in_run) return af_fail(e, "results database %s: no run is open", st->path);
  sqlite3_stmt *s;
  if (prepare(st, "UPDATE runs SET summary_json = ?, units = ? WHERE id = ?", &s, e) != 0)
    return -1;
  bind_text(s, 1, summary_json);
  sqlite3_bind_int64(s, 2, st->units);
  sqlite3_bind_int64(s, 3, st->run_id);
  int rc = sqlite3_step(s);
  sqlite3_finalize(s);
  if (rc != SQLITE_DONE) return fail_rc(st, rc, e);
  rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
  if (rc != SQLITE_OK) return fail_rc(st, rc, e);
  st->in_run = 0;
  return 0;
}

void store_run_abort(store *st) {
  if (!st->in_run) return;
  st->in_run = 0;
  sqlite3_reset(st->ins);
  /* SQLite may already have rolled back by itself (e.g. after SQLITE_FULL). */
  if (!sqlite3_get_autocommit(st->db)) sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- reading back ---- */

static char *col_dup(sqlite3_stmt *s, int i) {
  const char *t = (const char *)sqlite3_column_text(s, i);
  return t ? af_strndup(t, (size_t)sqlite3_column_bytes(s, i)) : NULL;
}

#define RUN_COLS                                                                       \
  "id, time, methodology_name, methodology_version, methodology_sha256, scoring,"      \
  " data_path, data_sha256, engine_version, params_json, summary_json, units"

static void read_record(sqlite3_stmt *s, run_record *r) {
  memset(r, 0, sizeof *r);
  r->id = sqlite3_column_int64(s, 0);
  char **f[] = {&r->time, &r->methodology_name, &r->methodology_version,
                &r->methodology_sha256, &r->scoring, &r->data_path, &r->data_sha256,
                &r->engine_version, &r->params_json, &r->summary_json};
  for (int i = 0; i < 10; i++) *f[i] = col_dup(s, i + 1);
  r->units = sqlite3_column_int64(s, 11);
}

static int load_files(store *st, run_record *r, af_err *e) {
  sqlite3_stmt *s;
  if (prepare(st, "SELECT name, path, sha256, text FROM run_files WHERE run_id = ?"
                  " ORDER BY seq", &s, e) != 0)
    return -1;
  sqlite3_bind_int64(s, 1, r->id);
  int cap = 0, rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    af_grow(&r->files, &cap, r->nfiles + 1, sizeof *r->files);
    model_file *f = &r->files[r->nfiles++];
    memset(f, 0, sizeof *f);
    f->name = col_dup(s, 0);
    f->path = col_dup(s, 1);
    const char *h = (const char *)sqlite3_column_text(s, 2);
    snprintf(f->sha256, sizeof f->sha256, "%s", h ? h : "");
    f->text = col_dup(s, 3);
    f->len = f->text ? (size_t)sqlite3_column_bytes(s, 3) : 0;
    if (!f->text) f->text = af_strdup("");
  }
  sqlite3_finalize(s);
  return rc == SQLITE_DONE ? 0 : fail_rc(st, rc, e);
}

int store_load_run(store *st, int64_t run_id, run_record *out, af_err *e) {
  memset(out, 0, sizeof *out);
  sqlite3_stmt *s;
  if (prepare(st, "SELECT " RUN_COLS " FROM runs WHERE id = ?", &s, e) != 0) return -1;
  sqlite3_bind_int64(s, 1, run_id);
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) read_record(s, out);
  sqlite3_finalize(s);
  if (rc == SQLITE_DONE) return af_fail(e, "no run %lld in %s", (long long)run_id, st->path);
  if (rc != SQLITE_ROW) return fail_rc(st, rc, e);
  if (load_files(st, out, e) != 0) {
    store_record_free(out);
    return -1;
  }
  return 0;
}

void store_record_free(run_record *r) {
  if (!r) return;
  char *f[] = {r->time, r->methodology_name, r->methodology_version, r->methodology_sha256,
               r->scoring, r->data_path, r->data_sha256, r->engine_version, r->params_json,
               r->summary_json};
  for (int i = 0; i < 10; i++) free(f[i]);
  for (int i = 0; i < r->nfiles; i++) {
    free(r->files[i].name);
    free(r->files[i].path);
    free(r->files[i].text);
  }
  free(r->files);
  memset(r, 0, sizeof *r);
}

int store_list_runs(store *st, run_record **out, int *n, af_err *e) {
  *out = NULL;
  *n = 0;
  sqlite3_stmt *s;
  if (prepare(st, "SELECT " RUN_COLS " FROM runs ORDER BY id", &s, e) != 0) return -1;
  int cap = 0, rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    af_grow(out, &cap, *n + 1, sizeof **out);
    read_record(s, &(*out)[(*n)++]);
  }
  sqlite3_finalize(s);
  if (rc != SQLITE_DONE) {
    store_free_runs(*out, *n);
    *out = NULL;
    *n = 0;
    return fail_rc(st, rc, e);
  }
  return 0;
}

void store_free_runs(run_record *runs, int n) {
  for (int i = 0; i < n; i++) store_record_free(&runs[i]);
  free(runs);
}

static void read_unit_row(sqlite3_stmt *s, int c, double *score, int *poor, int64_t *eligible) {
  /* A unit left out by a missing policy has no score: NaN, as when scored. */
  if (score)
    *score = sqlite3_column_type(s, c) == SQLITE_NULL ? NAN : sqlite3_column_double(s, c);
  if (poor) *poor = sqlite3_column_type(s, c + 1) == SQLITE_NULL ? -1 : sqlite3_column_int(s, c + 1);
  if (eligible) *eligible = sqlite3_column_int64(s, c + 3);
}

int store_unit_result(store *st, int64_t run_id, const char *unit, double *score,
                      int *poor, char **category, int64_t *eligible, af_err *e) {
  if (category) *category = NULL;
  if (!st->get && prepare(st, "SELECT score, poor, category, eligible FROM unit_scores"
                              " WHERE run_id = ? AND unit = ?", &st->get, e) != 0)
    return -1;
  sqlite3_stmt *s = st->get;
  sqlite3_bind_int64(s, 1, run_id);
  sqlite3_bind_text(s, 2, unit, -1, SQLITE_STATIC);
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    read_unit_row(s, 0, score, poor, eligible);
    if (category) *category = col_dup(s, 2);
  }
  sqlite3_reset(s);
  if (rc == SQLITE_ROW) return 1;
  if (rc == SQLITE_DONE) return 0;
  return fail_rc(st, rc, e);
}

struct store_iter {
  store *st;
  sqlite3_stmt *s;
};

int store_iter_begin(store *st, int64_t run_id, store_iter **it, af_err *e) {
  *it = NULL;
  sqlite3_stmt *s;
  if (prepare(st, "SELECT unit, score, poor, category, eligible FROM unit_scores"
                  " WHERE run_id = ? ORDER BY unit", &s, e) != 0)
    return -1;
  sqlite3_bind_int64(s, 1, run_id);
  *it = af_calloc(1, sizeof **it);
  (*it)->st = st;
  (*it)->s = s;
  return 0;
}

int store_iter_next(store_iter *it, const char **unit, double *score, int *poor,
                    const char **category, int64_t *eligible, af_err *e) {
  int rc = sqlite3_step(it->s);
  if (rc == SQLITE_DONE) return 0;
  if (rc != SQLITE_ROW) return fail_rc(it->st, rc, e);
  if (unit) *unit = (const char *)sqlite3_column_text(it->s, 0);
  read_unit_row(it->s, 1, score, poor, eligible);
  if (category) *category = (const char *)sqlite3_column_text(it->s, 3);
  return 1;
}

void store_iter_end(store_iter *it) {
  if (!it) return;
  sqlite3_finalize(it->s);
  free(it);
}
