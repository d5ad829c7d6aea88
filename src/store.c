/*
** store.c: the results database (runs, their files, one row per unit).
**
** A run is one transaction (BEGIN IMMEDIATE .. COMMIT), so after a crash or a
** kill there is the whole run or nothing of it. The file is marked with an
** application_id so that a foreign SQLite file is refused instead of being
** written into. Any failure inside a run rolls the run back at once.
**
** Durability: WAL with synchronous=FULL, so COMMIT returns only once the
** WAL is synced and a run that `score` reported as recorded survives a power
** cut (NORMAL keeps the file consistent but can lose the last commits).
** A file this open created itself takes its first run through a rollback
** journal instead, then turns to WAL (store_run_commit): every page of that
** run is new, so the journal holds nothing but its header and the pages are
** written once, where WAL writes them to the log and again at the checkpoint
** (a quarter of a second at 1M units, docs/design.md section 5).
** Read-only commands open the file SQLITE_OPEN_READONLY and never create it;
** they never write it (SQLite may make its -wal/-shm index files beside it
** if the directory allows, for the locking that keeps a concurrent writer's
** commit from being read half-done). On read-only storage SQLite cannot
** make them: a file with no -wal beside it then holds every commit and no one
** can be writing there, so it is read as immutable.
**
** Every row carries a check (chk): its position p (1, 2, ... in the order
** the rows were written: the data's key order or its stored order, recorded
** as unit_order) in the low half, and a hash of its own contents and of p in
** the high half. With the ordered digest of all rows (rows_sha256) a reader
** can tell, without the data, an edited or forged row (its hash is wrong)
** from a missing one (a position no row holds), and where.
**
** Schema 4: unit_scores is keyed by (run_id, seq), seq the row's write
** position, so that every insert appends at the right edge of the B-tree
** whatever the unit ids (rows given in the data's stored order used to land
** at random places of a tree far larger than the page cache), and a run is
** read back in the order it was written by one ordered scan. run_units maps
** (run_id, unit) to seq for lookups by unit (explain, replay's fallback) and
** for uniqueness; it too is only ever filled in its key order: directly
** while the units come in text order, else at commit from the rows
** themselves, sorted by SQLite's external sorter (bounded memory). A
** deleted row leaves its run_units entry behind, which is how verify names
** its unit.
*/
#include "store.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#define STORE_APP_ID 0x41465352   /* "AFSR" */
#define STORE_SCHEMA_VERSION 4

/* Page cache of a writing connection, in KiB: 16 MiB while rows are appended,
** 2 MiB while SQLite sorts the out-of-order run_units entries at commit. The
** sorter keeps as much in memory as the cache allows before it writes a
** sorted run to a temporary file, and its in-memory merge sort of a large
** list walks memory at random: at 1M units the commit's sort and insert
** took 1.4 s with 16 MiB and 0.8 s with 2 MiB and a helper thread (the
** sqlite3 shell on a registry-layout run, three times each). */
#define STORE_CACHE_KIB 16384
#define STORE_SORT_CACHE_KIB 2048

/* Schema 2 (the decision record) adds these columns; a schema 1 database is
** upgraded in place the first time a writing command opens it. */
#define SCHEMA2_RUNS ", unit_order TEXT, rows_sha256 TEXT, signature BLOB, signer TEXT"
#define SCHEMA2_FILES ", signature BLOB, signer TEXT"
static const char *UPGRADE_1_2 =
    "ALTER TABLE runs ADD COLUMN unit_order TEXT;"
    "ALTER TABLE runs ADD COLUMN rows_sha256 TEXT;"
    "ALTER TABLE runs ADD COLUMN signature BLOB;"
    "ALTER TABLE runs ADD COLUMN signer TEXT;"
    "ALTER TABLE run_files ADD COLUMN signature BLOB;"
    "ALTER TABLE run_files ADD COLUMN signer TEXT;"
    "ALTER TABLE unit_scores ADD COLUMN chk INTEGER;"
    "PRAGMA user_version=2;";

/* Schema 3 records each unit's group values. unit_scores.grp holds them in
** the row itself, as the codes of the values ("3,1": region 3, urban 1; 0:
** the value was NULL in the data), and run_values maps a run's codes to
** their text. One ordered read of unit_scores thus gives every unit's groups
** without a join or a second index walk, and the codes index arrays directly
** (the by-group tallies of compare and report); text per row would repeat
** the same few region names millions of times. The codes are assigned as the
** rows are written and the texts are written at commit, so that the writer
** never reads the data's string pool while the reader thread fills it.
** runs.group_columns is the number of group columns (NULL: a run recorded
** before schema 3, whose group values are unknown), run_groups their names. */
#define SCHEMA3_RUNS ", group_columns INTEGER"
#define SCHEMA3_TABLES                                                                  \
  "CREATE TABLE run_groups(run_id INTEGER NOT NULL REFERENCES runs(id),"               \
  " seq INTEGER NOT NULL, name TEXT NOT NULL, PRIMARY KEY(run_id, seq)) WITHOUT ROWID;" \
  "CREATE TABLE run_values(run_id INTEGER NOT NULL REFERENCES runs(id),"               \
  " code INTEGER NOT NULL, value TEXT NOT NULL, PRIMARY KEY(run_id, code)) WITHOUT ROWID;"
static const char *UPGRADE_2_3 =
    "ALTER TABLE runs ADD COLUMN group_columns INTEGER;"
    "ALTER TABLE unit_scores ADD COLUMN grp TEXT;" SCHEMA3_TABLES
    "PRAGMA user_version=3;";

/* Schema 4 (see the top): unit_scores keyed by write position, run_units
** by unit. The columns of schema 3 are kept, seq added. */
#define SCHEMA4_UNITS                                                                   \
  "CREATE TABLE unit_scores("                                                          \
  " run_id INTEGER NOT NULL, seq INTEGER NOT NULL, unit TEXT NOT NULL, score REAL,"    \
  " poor INTEGER, category TEXT, eligible INTEGER, chk INTEGER, grp TEXT,"             \
  " PRIMARY KEY(run_id, seq)) WITHOUT ROWID;"                                          \
  "CREATE TABLE run_units(run_id INTEGER NOT NULL, unit TEXT NOT NULL,"                \
  " seq INTEGER NOT NULL, PRIMARY KEY(run_id, unit)) WITHOUT ROWID;"

/* Integer order: ids that are canonical integers first, by value, then the
** others bytewise (store_unit_cmp); u is the unit column. */
#define KEY_IS_INT(u) "CAST(CAST(" u " AS INTEGER) AS TEXT) = " u
#define ORDER_INTEGER_OF(u) \
  " ORDER BY " KEY_IS_INT(u) " DESC, CASE WHEN " KEY_IS_INT(u) " THEN CAST(" u " AS INTEGER) END, " u
#define ORDER_INTEGER ORDER_INTEGER_OF("unit")

/* Schema 3 -> 4: the rows of each run numbered in its recorded key order
** (integer runs by value, all others bytewise: a schema 3 run of unit order
** "none" recorded its digest over the rows in text order), which for an
** untouched run is the position in each row's check. */
static const char *UPGRADE_3_4 =
    "ALTER TABLE unit_scores RENAME TO unit_scores_v3;" SCHEMA4_UNITS
    "INSERT INTO unit_scores(run_id, seq, unit, score, poor, category, eligible, chk, grp)"
    " SELECT s.run_id, row_number() OVER (PARTITION BY s.run_id ORDER BY"
    " r.unit_order = 'integer' AND " KEY_IS_INT("s.unit") " DESC,"
    " CASE WHEN r.unit_order = 'integer' AND " KEY_IS_INT("s.unit") " THEN CAST(s.unit AS INTEGER)"
    " END, s.unit), s.unit, s.score, s.poor, s.category, s.eligible, s.chk, s.grp"
    " FROM unit_scores_v3 s LEFT JOIN runs r ON r.id = s.run_id ORDER BY 1, 2;"
    "INSERT INTO run_units(run_id, unit, seq) SELECT run_id, unit, seq FROM unit_scores"
    " ORDER BY run_id, unit;"
    "DROP TABLE unit_scores_v3;"
    "PRAGMA user_version=4;";

static const char *SCHEMA =
    "CREATE TABLE runs("
    " id INTEGER PRIMARY KEY,"
    " time TEXT NOT NULL,"
    " methodology_name TEXT, methodology_version TEXT, methodology_sha256 TEXT,"
    " scoring TEXT, data_path TEXT, data_sha256 TEXT, engine_version TEXT,"
    " params_json TEXT, summary_json TEXT, units INTEGER" SCHEMA2_RUNS SCHEMA3_RUNS ");"
    "CREATE TABLE run_files("
    " run_id INTEGER NOT NULL REFERENCES runs(id), seq INTEGER NOT NULL,"
    " name TEXT, path TEXT, sha256 TEXT, text TEXT" SCHEMA2_FILES ","
    " PRIMARY KEY(run_id, seq)) WITHOUT ROWID;" SCHEMA4_UNITS SCHEMA3_TABLES;

/* unit_scores rows are inserted STORE_BATCH at a time by one multi-row
** INSERT: one statement per row spends more on starting the statement and
** descending the key's B-tree afresh than on the row (docs/design.md,
** "Writing unit_scores"). A row waits in the buffer until the batch is full
** or the run is committed; its check is taken when it is given, and the
** rows digest over the batch's encoded rows when it goes in. */
#define STORE_BATCH 64
#define STORE_UNIT_COLS 9   /* run_id, seq, unit, score, poor, category, eligible, chk, grp */
#define STORE_KEY_COLS 3    /* run_id, unit, seq: run_units */

/* A buffered row. Its texts are bound from its encoding in store.enc (the
** unit id first, NUL-terminated; the category and grp texts inside it),
** so they are not copied again. */
typedef struct store_row {
  size_t unit;              /* offset of the row's encoding in store.enc */
  size_t cat, grp;          /* offsets of its texts there; SIZE_MAX: NULL */
  int ncat, ngrp;           /* their lengths */
  double score;
  int poor;
  int64_t eligible, chk, seq;
} store_row;

/* One INSERT prepared for one row and for STORE_BATCH rows. */
typedef struct store_ins {
  sqlite3_stmt *one, *batch;
} store_ins;

struct store {
  sqlite3 *db;
  char *path;
  store_ins ins;            /* INSERT INTO unit_scores */
  store_ins ins_key;        /* INSERT INTO run_units: units so far in text order */
  store_row rows[STORE_BATCH];  /* rows given, not yet inserted */
  int nrows;
  strbuf enc;               /* their encodings (row_encode), in order */
  sqlite3_stmt *get;        /* one unit's result, reused by lookups (replay/explain) */
  int in_run;
  int readonly;
  int schema;               /* user_version: 1 .. 4 */
  int64_t run_id, units;
  int64_t seq;              /* positions given (rows and store_run_skip) */
  int64_t keyed;            /* seq of the last row with its run_units entry */
  int deferred;             /* rows after it wait for store_keys_commit */
  int fresh;                /* this open made the schema: no WAL until a run commits */
  /* the run being written: rows digest, previous unit, id order seen */
  EVP_MD_CTX *rows_md;
  strbuf prev;
  int asc_text, asc_int;
  store_sign_fn sign;
  void *sign_ctx;
  /* the run's group values: the caller's value ids -> codes (store_grp_*) */
  int ngroups;
  char **gnames;
  int32_t *code_of;         /* by caller's id: code, 0 unseen */
  int ncode_of;
  int32_t *id_of;           /* by code - 1: the caller's id */
  int ncodes, id_cap;
  strbuf grp;
  store_group_text_fn group_text;
  void *group_ctx;
};

static void store_grp_reset(store *st);
static int store_prepare_inserts(store *st, af_err *e);
static char *col_dup(sqlite3_stmt *s, int i);
static int store_flush(store *st, af_err *e);
static void store_bind_run(store *st);

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
  st->fresh = 1;
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

/* Schema 1 -> 2 -> 3 -> 4, in one transaction: the old runs keep their rows and
** read as unsigned runs without row checks (verify says so) and without
** group values (compare and report say so). */
static int upgrade_schema(store *st, af_err *e) {
  if (exec(st, "BEGIN IMMEDIATE", e) != 0) return -1;
  int64_t version;
  if (query_int(st, "PRAGMA user_version", &version, e) != 0) goto fail;
  if (version < 2 && exec(st, UPGRADE_1_2, e) != 0) goto fail;
  if (version < 3 && exec(st, UPGRADE_2_3, e) != 0) goto fail;
  if (version < 4 && exec(st, UPGRADE_3_4, e) != 0) goto fail;
  if (exec(st, "COMMIT", e) != 0) goto fail;
  st->schema = STORE_SCHEMA_VERSION;
  return 0;
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
      return af_fail(e, "results database %s was written by a newer afscore (schema %lld); "
                        "use that version or a newer one", st->path, (long long)version);
    if (version < 1)
      return af_fail(e, "results database %s has an unknown schema (%lld)", st->path,
                     (long long)version);
    st->schema = (int)version;
    return version < STORE_SCHEMA_VERSION && !st->readonly ? upgrade_schema(st, e) : 0;
  }
  if (app != 0 || ntables != 0)
    return af_fail(e, "%s is not an afscore results database (it holds other data)", st->path);
  if (st->readonly) return af_fail(e, "%s is not an afscore results database (it is empty)", st->path);
  st->schema = STORE_SCHEMA_VERSION;
  return create_schema(st, e);
}

/* Put the file in WAL mode (a persistent setting of the file). */
static int store_wal(store *st, af_err *e) {
  sqlite3_stmt *s;
  if (prepare(st, "PRAGMA journal_mode=WAL", &s, e) != 0) return -1;
  int rc = sqlite3_step(s);
  sqlite3_finalize(s);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail_rc(st, rc, e);
}

static int tune(store *st, af_err *e) {
  /* WAL: readers (explain, list) are not blocked by a run being written;
  ** FULL sync: a commit is durable on power loss (see the top). A file just
  ** created keeps its rollback journal for its first run (see the top). */
  if (!st->fresh && store_wal(st, e) != 0) return -1;
  char *sql = af_sprintf("PRAGMA synchronous=FULL; PRAGMA cache_size=-%d;"
                         "PRAGMA journal_size_limit=67108864; PRAGMA foreign_keys=ON",
                         STORE_CACHE_KIB);
  int rc = exec(st, sql, e);
  free(sql);
  return rc;
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

static int file_exists(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0;
}

/* The path as a URI with immutable=1 (percent-encoding what a URI reserves). */
static char *immutable_uri(const char *path) {
  strbuf b = {0};
  sb_puts(&b, "file:");
  for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
    if (*p == '%' || *p == '?' || *p == '#' || *p < 0x20 || *p >= 0x7f) sb_printf(&b, "%%%02X", *p);
    else sb_putc(&b, (char)*p);
  }
  sb_puts(&b, "?immutable=1");
  return sb_take(&b);
}

static int open_ro(store *st, const char *name, int flags, af_err *e) {
  sqlite3_close(st->db);
  st->db = NULL;
  int rc = sqlite3_open_v2(name, &st->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | flags, NULL);
  if (rc != SQLITE_OK)
    return af_fail(e, "results database %s cannot be opened: %s", st->path,
                   st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
  sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);
  return 0;
}

int store_open_readonly(const char *path, store **out, af_err *e) {
  *out = NULL;
  struct stat sb;
  if (stat(path, &sb) != 0) return af_fail(e, "%s: no such results database", path);
  if (S_ISDIR(sb.st_mode)) return af_fail(e, "%s: is a directory, not a results database", path);
  store *st = af_calloc(1, sizeof *st);
  st->path = af_strdup(path);
  st->readonly = 1;
  int rc = open_ro(st, path, 0, e);
  if (rc == 0 && check_schema(st, e) != 0) {
    /* A WAL file at rest on storage where SQLite cannot make its -shm; but a
    ** rollback journal beside the file is a first run cut short (store_open),
    ** which only a writing open can roll back: reading past it would show
    ** half-written pages. */
    char *wal = af_sprintf("%s-wal", path);
    char *journal = af_sprintf("%s-journal", path);
    int code = sqlite3_errcode(st->db) & 0xff;
    if (sqlite3_extended_errcode(st->db) == SQLITE_READONLY_ROLLBACK ||
        (code == SQLITE_READONLY && file_exists(journal))) {
      af_fail(e, "results database %s: a run was cut short while it was being written (%s is"
                 " beside it); the next command that writes the file (score --out) rolls it"
                 " back", path, journal);
      rc = -1;
    } else if ((code == SQLITE_CANTOPEN || code == SQLITE_READONLY) && !file_exists(wal)) {
      char *uri = immutable_uri(path);
      rc = open_ro(st, uri, SQLITE_OPEN_URI, e);
      if (rc == 0) rc = check_schema(st, e);
      free(uri);
    } else {
      rc = -1;
    }
    free(wal);
    free(journal);
  }
  if (rc != 0) {
    store_close(st);
    return -1;
  }
  sqlite3_exec(st->db, "PRAGMA query_only=1", NULL, NULL, NULL);
  *out = st;
  return 0;
}

void store_close(store *st) {
  if (!st) return;
  if (st->in_run) store_run_abort(st);
  store_ins *ins[] = {&st->ins, &st->ins_key};
  for (int i = 0; i < 2; i++) {
    sqlite3_finalize(ins[i]->one);
    sqlite3_finalize(ins[i]->batch);
  }
  sqlite3_finalize(st->get);
  sqlite3_close(st->db);
  store_grp_reset(st);
  free(st->code_of);
  free(st->id_of);
  sb_free(&st->grp);
  if (st->rows_md) EVP_MD_CTX_free(st->rows_md);
  sb_free(&st->prev);
  sb_free(&st->enc);
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

void store_set_max_length(store *st, int bytes) {
  sqlite3_limit(st->db, SQLITE_LIMIT_LENGTH, bytes);
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

/* A bind that failed (a text over SQLite's length limit, say) fails the run:
** nothing is recorded in part. */
static int bind_ok(store *st, int rc, af_err *e) {
  return rc == SQLITE_OK ? 0 : fail_rc(st, rc, e);
}

static int bind_sig(sqlite3_stmt *s, int i, const store_sig *g) {
  if (!g || !g->present) return sqlite3_bind_null(s, i) | sqlite3_bind_null(s, i + 1);
  return sqlite3_bind_blob(s, i, g->bytes, 64, SQLITE_STATIC) |
         (g->signer[0] ? sqlite3_bind_text(s, i + 1, g->signer, -1, SQLITE_STATIC)
                       : sqlite3_bind_null(s, i + 1));
}

static int insert_files(store *st, const run_info *ri, af_err *e) {
  sqlite3_stmt *s;
  if (prepare(st, "INSERT INTO run_files(run_id, seq, name, path, sha256, text, signature,"
                  " signer) VALUES (?,?,?,?,?,?,?,?)", &s, e) != 0)
    return -1;
  for (int i = 0; i < ri->nfiles; i++) {
    const model_file *f = &ri->files[i];
    assert(f->text);
    int rc = sqlite3_bind_int64(s, 1, st->run_id) | sqlite3_bind_int(s, 2, i);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(s, 3, f->name, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(s, 4, f->path ? f->path : "", -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(s, 5, f->sha256, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text64(s, 6, f->text, f->len, SQLITE_STATIC, SQLITE_UTF8);
    if (rc == SQLITE_OK) rc = bind_sig(s, 7, ri->file_sigs ? &ri->file_sigs[i] : NULL);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(s);
      af_fail(e, "results database %s: the source of %s cannot be recorded (%s); the run was "
                 "not recorded", st->path, f->name, sqlite3_errstr(rc));
      store_run_abort(st);
      return -1;
    }
    rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
      sqlite3_finalize(s);
      return fail_rc(st, rc, e);
    }
  }
  sqlite3_finalize(s);
  return 0;
}

/* ---- group values ---- */

static void store_grp_reset(store *st) {
  for (int g = 0; g < st->ngroups; g++) free(st->gnames[g]);
  free(st->gnames);
  st->gnames = NULL;
  st->ngroups = 0;
  if (st->code_of) memset(st->code_of, 0, (size_t)st->ncode_of * sizeof *st->code_of);
  st->ncodes = 0;
}

/* The run's group columns: the count on the runs row, the names in run_groups. */
static int store_grp_begin(store *st, const run_info *ri, af_err *e) {
  store_grp_reset(st);
  assert(ri->ngroups >= 0 && (ri->ngroups == 0 || (ri->groups && ri->group_text)));
  st->group_text = ri->group_text;
  st->group_ctx = ri->group_ctx;
  st->ngroups = ri->ngroups;
  st->gnames = af_calloc((size_t)ri->ngroups + 1, sizeof *st->gnames);
  for (int g = 0; g < ri->ngroups; g++) st->gnames[g] = af_strdup(ri->groups[g]);
  sqlite3_stmt *s;
  if (prepare(st, "UPDATE runs SET group_columns = ? WHERE id = ?", &s, e) != 0) return -1;
  sqlite3_bind_int(s, 1, ri->ngroups);
  sqlite3_bind_int64(s, 2, st->run_id);
  int rc = sqlite3_step(s);
  sqlite3_finalize(s);
  if (rc != SQLITE_DONE) return fail_rc(st, rc, e);
  if (prepare(st, "INSERT INTO run_groups(run_id, seq, name) VALUES (?,?,?)", &s, e) != 0)
    return -1;
  for (int g = 0; g < ri->ngroups && rc == SQLITE_DONE; g++) {
    sqlite3_bind_int64(s, 1, st->run_id);
    sqlite3_bind_int(s, 2, g);
    sqlite3_bind_text(s, 3, ri->groups[g], -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    sqlite3_reset(s);
  }
  sqlite3_finalize(s);
  return rc == SQLITE_DONE ? 0 : fail_rc(st, rc, e);
}

/* The code of the caller's value id (-1: NULL, code 0), assigned in the
** order values are first met. */
static int32_t store_grp_code(store *st, int32_t id) {
  if (id < 0) return 0;
  if (id >= st->ncode_of) {
    int old = st->ncode_of;
    af_grow(&st->code_of, &st->ncode_of, id + 1, sizeof *st->code_of);
    memset(st->code_of + old, 0, (size_t)(st->ncode_of - old) * sizeof *st->code_of);
  }
  if (!st->code_of[id]) {
    assert(st->ncodes < INT32_MAX);
    af_grow(&st->id_of, &st->id_cap, st->ncodes + 1, sizeof *st->id_of);
    st->id_of[st->ncodes++] = id;
    st->code_of[id] = st->ncodes;
  }
  return st->code_of[id];
}

/* The grp text of a row: its values' codes, comma-separated (digits written
** by hand: this runs for every unit and group). */
static void store_grp_encode(store *st, const int32_t *ids) {
  st->grp.len = 0;
  for (int g = 0; g < st->ngroups; g++) {
    char d[12];
    int at = (int)sizeof d;
    uint32_t c = (uint32_t)store_grp_code(st, ids[g]);
    do d[--at] = (char)('0' + c % 10); while ((c /= 10) > 0);
    if (g) d[--at] = ',';
    sb_putn(&st->grp, d + at, sizeof d - (size_t)at);
  }
}

/* What the rows digest covers after the rows of a run with group columns:
** their names and the text of each code, length-prefixed. */
static void store_grp_digest(EVP_MD_CTX *md, char *const *names, int n, char *const *values,
                             int nvalues) {
  strbuf b = {0};
  sb_printf(&b, "groups %d\n", n);
  for (int g = 0; g < n; g++) sb_printf(&b, "%zu:%s\n", strlen(names[g]), names[g]);
  sb_printf(&b, "values %d\n", nvalues);
  for (int c = 0; c < nvalues; c++) sb_printf(&b, "%zu:%s\n", strlen(values[c]), values[c]);
  EVP_DigestUpdate(md, b.s, b.len);
  sb_free(&b);
}

/* The text of each code of the open run (the caller's pass is over). */
static char **store_grp_values(store *st) {
  char **vals = af_calloc((size_t)st->ncodes + 1, sizeof *vals);
  for (int c = 0; c < st->ncodes; c++) {
    const char *t = st->group_text(st->group_ctx, st->id_of[c]);
    vals[c] = (char *)(t ? t : "");
  }
  return vals;
}

/* At commit: the texts of the codes used, in run_values and in md (the rows
** digest). */
static int store_grp_commit(store *st, EVP_MD_CTX *md, af_err *e) {
  if (!st->ngroups) return 0;
  char **vals = store_grp_values(st);
  sqlite3_stmt *s;
  int rc = SQLITE_DONE;
  if (prepare(st, "INSERT INTO run_values(run_id, code, value) VALUES (?,?,?)", &s, e) != 0) {
    free(vals);
    return -1;
  }
  for (int c = 0; c < st->ncodes && rc == SQLITE_DONE; c++) {
    sqlite3_bind_int64(s, 1, st->run_id);
    sqlite3_bind_int(s, 2, c + 1);
    int brc = sqlite3_bind_text(s, 3, vals[c], -1, SQLITE_STATIC);
    rc = brc == SQLITE_OK ? sqlite3_step(s) : brc;
    sqlite3_reset(s);
  }
  sqlite3_finalize(s);
  store_grp_digest(md, st->gnames, st->ngroups, vals, st->ncodes);
  free(vals);
  return rc == SQLITE_DONE ? 0 : fail_rc(st, rc, e);
}

int store_run_begin(store *st, const run_info *ri, int64_t *run_id, af_err *e) {
  if (st->readonly) return af_fail(e, "results database %s is open read-only", st->path);
  if (st->in_run) return af_fail(e, "results database %s: a run is already open", st->path);
  if (!st->ins.one && store_prepare_inserts(st, e) != 0) return -1;
  if (exec(st, "BEGIN IMMEDIATE", e) != 0) return -1;
  st->in_run = 1;
  st->units = st->seq = st->keyed = 0;
  st->deferred = 0;
  st->nrows = 0;
  st->enc.len = 0;
  if (!st->rows_md) st->rows_md = EVP_MD_CTX_new();
  EVP_DigestInit_ex(st->rows_md, EVP_sha256(), NULL);
  st->prev.len = 0;
  st->asc_text = st->asc_int = 1;
  if (insert_run(st, ri, e) != 0 || insert_files(st, ri, e) != 0 ||
      store_grp_begin(st, ri, e) != 0)
    return -1;
  store_bind_run(st);
  if (run_id) *run_id = st->run_id;
  return 0;
}

/* ---- row checks ---- */

/* The canonical bytes of a row: unit, NUL, then tagged score, poor,
** category and eligibility. The rows digest and each row's check hash these.
** Appended to b, in few pieces (this runs for every row written and read);
** r, if given, gets where the category and grp texts are in b. */
static void row_encode_into(strbuf *b, const char *unit, double score, int poor, const char *cat,
                            int64_t eligible, const char *grp, store_row *r) {
  unsigned char t[16];
  size_t n = 0;
  sb_putn(b, unit, strlen(unit) + 1);
  if (isnan(score)) {
    t[n++] = 0;
  } else {
    t[n++] = 1;
    memcpy(t + n, &score, sizeof score);
    n += sizeof score;
  }
  t[n++] = (unsigned char)(poor < 0 ? 2 : poor ? 1 : 0);
  uint32_t ncat = cat ? (uint32_t)strlen(cat) : 0;
  t[n++] = cat != NULL;
  if (cat) {
    memcpy(t + n, &ncat, sizeof ncat);
    n += sizeof ncat;
  }
  assert(n <= sizeof t);
  sb_putn(b, (const char *)t, n);
  if (r) r->cat = cat ? b->len : SIZE_MAX, r->ncat = (int)ncat;
  if (cat) sb_putn(b, cat, ncat);
  n = 0;
  memcpy(t, &eligible, sizeof eligible);
  n += sizeof eligible;
  /* Schema 3: the group codes. A row without them (an older run, or a run
  ** without group columns) encodes as before, so older checks still hold. */
  uint32_t ngrp = grp ? (uint32_t)strlen(grp) : 0;
  if (grp) {
    t[n++] = 'g';
    memcpy(t + n, &ngrp, sizeof ngrp);
    n += sizeof ngrp;
  }
  sb_putn(b, (const char *)t, n);
  if (r) r->grp = grp ? b->len : SIZE_MAX, r->ngrp = (int)ngrp;
  if (grp) sb_putn(b, grp, ngrp);
}

/* The encoding alone, in b. */
static void row_encode(strbuf *b, const char *unit, double score, int poor, const char *cat,
                       int64_t eligible, const char *grp) {
  b->len = 0;
  row_encode_into(b, unit, score, poor, cat, eligible, grp, NULL);
}

/* FNV-1a, 32 bits: the check locates damage; the rows digest and the run's
** signature are what make forgery detectable. */
static uint32_t store_fnv32(const char *p, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 16777619u;
  return h;
}

/* High half: the row's own bytes (n at p) and its position; low half: the
** position. */
static int64_t row_check_bytes(const char *p, size_t n, uint32_t pos) {
  uint32_t h = store_fnv32(p, n);
  for (int i = 0; i < 4; i++) h = (h ^ ((pos >> (8 * i)) & 0xff)) * 16777619u;
  return (int64_t)(((uint64_t)h << 32) | pos);
}

static int64_t row_check(const strbuf *row, uint32_t pos) {
  return row_check_bytes(row->s, row->len, pos);
}

/* 1: a is an integer written canonically ("-12", "0"; not "012" or "1e3"). */
static int is_int_text(const char *a, long long *v) {
  /* canonical: an optional '-', then "0" or digits without a leading zero
  ** ("-0" is not canonical); checked before strtoll, which most ids (codes
  ** with letters) never reach */
  const char *d = a + (*a == '-');
  if (*d < '0' || *d > '9' || (*d == '0' && (d[1] || d != a))) return 0;
  for (const char *p = d; *p; p++)
    if (*p < '0' || *p > '9') return 0;
  errno = 0;
  long long x = strtoll(a, NULL, 10);
  if (errno) return 0;
  *v = x;
  return 1;
}

int store_unit_cmp(const char *order, const char *a, const char *b) {
  if (order && strcmp(order, "integer") == 0) {
    long long x, y;
    int ia = is_int_text(a, &x), ib = is_int_text(b, &y);
    if (ia != ib) return ia ? -1 : 1;
    if (ia) return x < y ? -1 : x > y;
  }
  int c = strcmp(a, b);
  return c < 0 ? -1 : c > 0;
}

/* The one-row and the STORE_BATCH-row form of INSERT head, ncols columns,
** the first (run_id) one parameter for all rows (?1, bound once a run:
** store_bind_run), row k's others ?2 + k * (ncols - 1) ... (store_param). */
static int store_prepare_ins(store *st, store_ins *ins, const char *head, int ncols, af_err *e) {
  strbuf b = {0};
  sb_puts(&b, head);
  int rc = 0;
  for (int k = 0; k < STORE_BATCH && rc == 0; k++) {
    sb_puts(&b, k ? ",(?1" : "(?1");
    for (int c = 1; c < ncols; c++) sb_printf(&b, ",?%d", 2 + k * (ncols - 1) + c - 1);
    sb_putc(&b, ')');
    if (k == 0) rc = prepare(st, b.s, &ins->one, e);
  }
  if (rc == 0) rc = prepare(st, b.s, &ins->batch, e);
  sb_free(&b);
  return rc;
}

/* The parameter of column c (1 ..) of row k of an INSERT of ncols columns. */
static int store_param(int ncols, int k, int c) {
  return 2 + k * (ncols - 1) + c - 1;
}

/* INSERT OR ROLLBACK: a constraint that failed in one of these statements
** would roll the run back anyway (fail_rc), so SQLite need not keep a
** statement journal to undo the statement alone. None can fail on good
** input: seq is new in the run, and units go into run_units here only while
** every unit came in text order, so none is repeated (store_order_see). */
static int store_prepare_inserts(store *st, af_err *e) {
  return store_prepare_ins(st, &st->ins, "INSERT OR ROLLBACK INTO unit_scores(run_id, seq, unit,"
                           " score, poor, category, eligible, chk, grp) VALUES ",
                           STORE_UNIT_COLS, e) ||
         store_prepare_ins(st, &st->ins_key, "INSERT OR ROLLBACK INTO run_units(run_id, unit, seq)"
                           " VALUES ", STORE_KEY_COLS, e) ? -1 : 0;
}

/* The run's id into every INSERT (bindings outlive sqlite3_reset). */
static void store_bind_run(store *st) {
  store_ins *ins[] = {&st->ins, &st->ins_key};
  for (int i = 0; i < 2; i++) {
    sqlite3_bind_int64(ins[i]->one, 1, st->run_id);
    sqlite3_bind_int64(ins[i]->batch, 1, st->run_id);
  }
}

typedef void (*store_bind_fn)(store *st, sqlite3_stmt *s, int k, const store_row *r);

/* A text of the row's encoding (store.enc outlives the statement's step). */
static void store_bind_enc(store *st, sqlite3_stmt *s, int i, size_t at, int n) {
  if (at == SIZE_MAX)
    sqlite3_bind_null(s, i);
  else
    sqlite3_bind_text(s, i, st->enc.s + at, n, SQLITE_STATIC);
}

/* Bind buffered row r as row k of an INSERT INTO unit_scores. */
static void store_bind_row(store *st, sqlite3_stmt *s, int k, const store_row *r) {
  int c = store_param(STORE_UNIT_COLS, k, 1);
  sqlite3_bind_int64(s, c, r->seq);
  sqlite3_bind_text(s, c + 1, st->enc.s + r->unit, -1, SQLITE_STATIC);
  sqlite3_bind_double(s, c + 2, r->score);
  if (r->poor < 0)
    sqlite3_bind_null(s, c + 3);
  else
    sqlite3_bind_int(s, c + 3, r->poor ? 1 : 0);
  store_bind_enc(st, s, c + 4, r->cat, r->ncat);
  sqlite3_bind_int64(s, c + 5, r->eligible);
  sqlite3_bind_int64(s, c + 6, r->chk);
  store_bind_enc(st, s, c + 7, r->grp, r->ngrp);
}

/* Bind its (unit, seq) as row k of an INSERT INTO run_units. */
static void store_bind_key(store *st, sqlite3_stmt *s, int k, const store_row *r) {
  int c = store_param(STORE_KEY_COLS, k, 1);
  sqlite3_bind_text(s, c, st->enc.s + r->unit, -1, SQLITE_STATIC);
  sqlite3_bind_int64(s, c + 1, r->seq);
}

static int store_dup(store *st, const char *unit, af_err *e) {
  af_fail(e, "results database %s: unit '%s' stored twice in one run", st->path, unit);
  store_run_abort(st);
  return -1;
}

/* Step s (rows bound): 0, or -1 with the run rolled back. A constraint that
** failed (SQLite has rolled the run back: INSERT OR ROLLBACK) means the file
** held rows under this run's id before it began, and is named as SQLite
** names it. */
static int store_step_rows(store *st, sqlite3_stmt *s, af_err *e) {
  int rc = sqlite3_step(s);
  sqlite3_reset(s);
  return rc == SQLITE_DONE ? 0 : fail_rc(st, rc, e);
}

/* Insert the buffered rows through ins: a full batch in one statement,
** else row by row. */
static int store_insert_rows(store *st, store_ins *ins, store_bind_fn bind, af_err *e) {
  if (st->nrows == STORE_BATCH) {
    for (int k = 0; k < STORE_BATCH; k++) bind(st, ins->batch, k, &st->rows[k]);
    return store_step_rows(st, ins->batch, e);
  }
  for (int k = 0; k < st->nrows; k++) {
    bind(st, ins->one, 0, &st->rows[k]);
    if (store_step_rows(st, ins->one, e) < 0) return -1;
  }
  return 0;
}

/* The buffered rows into the rows digest and unit_scores (appended: seq
** grows), and their units into run_units while every unit so far came in
** text order (appended too); from the first unit out of that order on, the
** entries are made at commit (store_keys_commit). */
static int store_flush(store *st, af_err *e) {
  if (st->nrows == 0) return 0;
  EVP_DigestUpdate(st->rows_md, st->enc.s, st->enc.len);
  if (store_insert_rows(st, &st->ins, store_bind_row, e) < 0) return -1;
  st->deferred |= !st->asc_text;
  if (!st->deferred) {
    if (store_insert_rows(st, &st->ins_key, store_bind_key, e) < 0) return -1;
    st->keyed = st->rows[st->nrows - 1].seq;
  }
  st->nrows = 0;
  st->enc.len = 0;
  return 0;
}

/* One statement over the rows after the last keyed one (?1 run, ?2 seq). */
static int store_keys_step(store *st, const char *sql, char **unit, af_err *e) {
  sqlite3_stmt *s;
  if (prepare(st, sql, &s, e) != 0) return -1;
  sqlite3_bind_int64(s, 1, st->run_id);
  sqlite3_bind_int64(s, 2, st->keyed);
  int rc = sqlite3_step(s);
  if (unit) *unit = rc == SQLITE_ROW ? col_dup(s, 0) : NULL;
  sqlite3_finalize(s);
  return rc;
}

/* The run_units entries of the rows given out of text order, taken from
** the rows themselves (their unit and seq are there already: no copy is
** kept on the side) and sorted by SQLite's external merge sort, in bounded
** memory, so the B-tree is filled in its key order. A unit given twice is
** named. */
static int store_keys_commit(store *st, af_err *e) {
  if (!st->deferred) return 0;
  char *tune_sort = af_sprintf("PRAGMA cache_size=-%d; PRAGMA threads=2", STORE_SORT_CACHE_KIB);
  char *untune = af_sprintf("PRAGMA cache_size=-%d; PRAGMA threads=0", STORE_CACHE_KIB);
  int rc = exec(st, tune_sort, e);
  if (rc == 0) {
    rc = store_keys_step(st, "INSERT INTO run_units(run_id, unit, seq) SELECT run_id, unit, seq"
                         " FROM unit_scores WHERE run_id = ?1 AND seq > ?2 ORDER BY unit",
                         NULL, e);
    if (rc >= 0 && exec(st, untune, e) != 0) rc = -1;
  }
  free(tune_sort);
  free(untune);
  if ((rc & 0xff) == SQLITE_CONSTRAINT) {
    /* only the statement was undone: find the unit, then roll the run back */
    char *unit = NULL;
    rc = store_keys_step(st, "SELECT unit FROM unit_scores WHERE run_id = ?1 AND seq > ?2"
                         " GROUP BY unit HAVING count(*) > 1 UNION ALL SELECT s.unit FROM"
                         " unit_scores s JOIN run_units u ON u.run_id = s.run_id AND"
                         " u.unit = s.unit WHERE s.run_id = ?1 AND s.seq > ?2 LIMIT 1", &unit, e);
    if (rc < 0) return -1;
    rc = store_dup(st, unit ? unit : "?", e);
    free(unit);
    return rc;
  }
  if (rc < 0) return -1;
  if (rc != SQLITE_DONE) return fail_rc(st, rc, e);
  st->deferred = 0;
  return 0;
}

/* The unit comes next in the run's order: a unit given twice in a row is
** refused here (one given twice apart when its run_units entry goes in);
** the order seen so far is updated. */
static int store_order_see(store *st, const char *unit, af_err *e) {
  if (!st->in_run) return af_fail(e, "results database %s: no run is open", st->path);
  if (st->seq >= (int64_t)UINT32_MAX) {
    af_fail(e, "results database %s: more than %lu units in one run", st->path,
            (unsigned long)UINT32_MAX);
    store_run_abort(st);
    return -1;
  }
  if (st->seq > 0) {
    int c = strcmp(st->prev.s, unit);
    if (c == 0) return store_dup(st, unit, e);
    st->asc_text &= c < 0;
    if (st->asc_int) st->asc_int = store_unit_cmp("integer", st->prev.s, unit) < 0;
  }
  return 0;
}

static void store_order_seen(store *st, const char *unit) {
  st->prev.len = 0;
  sb_puts(&st->prev, unit);
  st->seq++;
}

int store_run_skip(store *st, const char *unit, af_err *e) {
  assert(unit);
  if (store_order_see(st, unit, e) < 0) return -1;
  store_order_seen(st, unit);
  return 0;
}

int store_run_unit(store *st, const char *unit, double score, int poor,
                   const char *category, int64_t eligible, const int32_t *groups, af_err *e) {
  assert(unit && (groups || !st->ngroups));
  if (store_order_see(st, unit, e) < 0) return -1;
  const char *grp = NULL;
  if (st->ngroups) {
    store_grp_encode(st, groups);
    grp = st->grp.s;
  }
  store_row *r = &st->rows[st->nrows++];
  r->unit = st->enc.len;
  row_encode_into(&st->enc, unit, score, poor, category, eligible, grp, r);
  r->score = score;
  r->poor = poor;
  r->eligible = eligible;
  r->chk = row_check_bytes(st->enc.s + r->unit, st->enc.len - r->unit, (uint32_t)(st->units + 1));
  r->seq = st->seq + 1;
  if (st->nrows == STORE_BATCH && store_flush(st, e) != 0) return -1;
  store_order_seen(st, unit);
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

void store_run_set_signer(store *st, store_sign_fn fn, void *ctx) {
  st->sign = fn;
  st->sign_ctx = ctx;
}

/* Sign the run as now written (read back inside the transaction). */
static int sign_run(store *st, af_err *e) {
  run_record r;
  if (store_load_run(st, st->run_id, &r, e) < 0) return -1;
  size_t len;
  char *msg = store_record_message(&r, &len);
  store_record_free(&r);
  store_sig g = {.present = 1};
  int rc = st->sign(st->sign_ctx, msg, len, g.bytes, g.signer, e);
  free(msg);
  if (rc < 0) {
    store_run_abort(st);
    return -1;
  }
  sqlite3_stmt *s;
  if (prepare(st, "UPDATE runs SET signature = ?, signer = ? WHERE id = ?", &s, e) != 0) return -1;
  bind_sig(s, 1, &g);
  sqlite3_bind_int64(s, 3, st->run_id);
  rc = sqlite3_step(s);
  sqlite3_finalize(s);
  return rc == SQLITE_DONE ? 0 : fail_rc(st, rc, e);
}

int store_run_commit(store *st, const char *summary_json, af_err *e) {
  if (!st->in_run) return af_fail(e, "results database %s: no run is open", st->path);
  if (store_flush(st, e) != 0 || store_keys_commit(st, e) != 0) return -1;
  unsigned char md[32];
  unsigned int mdlen = 0;
  char rows_hex[65];
  if (store_grp_commit(st, st->rows_md, e) != 0) return -1;
  EVP_DigestFinal_ex(st->rows_md, md, &mdlen);
  af_hex(md, 32, rows_hex);
  /* Units in no key order came in the data's stored order: the rows are
  ** read back in it (by seq), and so is the digest. */
  const char *order = st->asc_text ? "text" : st->asc_int ? "integer" : "stored";
  sqlite3_stmt *s;
  if (prepare(st, "UPDATE runs SET summary_json = ?, units = ?, unit_order = ?, rows_sha256 = ?"
                  " WHERE id = ?", &s, e) != 0)
    return -1;
  int rc = bind_ok(st, sqlite3_bind_text(s, 1, summary_json, -1, SQLITE_STATIC), e);
  if (rc == 0) {
    sqlite3_bind_int64(s, 2, st->units);
    sqlite3_bind_text(s, 3, order, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, rows_hex, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, st->run_id);
    int src = sqlite3_step(s);
    if (src != SQLITE_DONE) rc = fail_rc(st, src, e);
  }
  sqlite3_finalize(s);
  if (rc != 0) return -1;
  if (st->sign && sign_run(st, e) != 0) return -1;
  rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
  if (rc != SQLITE_OK) return fail_rc(st, rc, e);
  st->in_run = 0;
  if (st->fresh) {
    /* The run is committed whatever happens here: if a reader holds the file
    ** so that the mode cannot change now, the next writing open changes it. */
    st->fresh = 0;
    af_err ignored = {0};
    (void)store_wal(st, &ignored);
  }
  return 0;
}

void store_run_abort(store *st) {
  if (!st->in_run) return;
  st->in_run = 0;
  st->nrows = 0;
  store_ins *ins[] = {&st->ins, &st->ins_key};
  for (int i = 0; i < 2; i++) {
    sqlite3_reset(ins[i]->one);
    sqlite3_reset(ins[i]->batch);
  }
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
/* Columns of schema 2, read as NULL from a schema 1 database. */
#define RUN_COLS2 ", unit_order, rows_sha256, signature, signer"
#define RUN_COLS2_V1 ", NULL, NULL, NULL, NULL"

/* And of schema 3. */
#define RUN_COLS3 ", group_columns"
#define RUN_COLS3_V2 ", NULL"

static char *run_cols_sql(const store *st, const char *tail) {
  return af_sprintf("SELECT " RUN_COLS "%s%s FROM runs %s",
                    st->schema >= 2 ? RUN_COLS2 : RUN_COLS2_V1,
                    st->schema >= 3 ? RUN_COLS3 : RUN_COLS3_V2, tail);
}

static void read_sig(sqlite3_stmt *s, int c, store_sig *g) {
  memset(g, 0, sizeof *g);
  if (sqlite3_column_type(s, c) != SQLITE_BLOB || sqlite3_column_bytes(s, c) != 64) return;
  g->present = 1;
  memcpy(g->bytes, sqlite3_column_blob(s, c), 64);
  const char *t = (const char *)sqlite3_column_text(s, c + 1);
  snprintf(g->signer, sizeof g->signer, "%s", t ? t : "");
}

static void read_record(sqlite3_stmt *s, run_record *r) {
  memset(r, 0, sizeof *r);
  r->id = sqlite3_column_int64(s, 0);
  char **f[] = {&r->time, &r->methodology_name, &r->methodology_version,
                &r->methodology_sha256, &r->scoring, &r->data_path, &r->data_sha256,
                &r->engine_version, &r->params_json, &r->summary_json};
  for (int i = 0; i < 10; i++) *f[i] = col_dup(s, i + 1);
  r->units = sqlite3_column_int64(s, 11);
  r->unit_order = col_dup(s, 12);
  r->rows_sha256 = col_dup(s, 13);
  read_sig(s, 14, &r->sig);
  r->group_columns = sqlite3_column_type(s, 16) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 16);
}

/* A column of texts by a position column (run_groups, run_values), which
** must run 0.. (or 1..) without a gap. */
static int load_texts(store *st, const char *sql, int64_t run_id, int first, char ***out,
                      int *n, af_err *e) {
  sqlite3_stmt *s;
  if (prepare(st, sql, &s, e) != 0) return -1;
  sqlite3_bind_int64(s, 1, run_id);
  int cap = 0, rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    if (sqlite3_column_int64(s, 0) != first + *n) {
      sqlite3_finalize(s);
      return af_fail(e, "results database %s: run %lld: the group values are damaged "
                        "(%s)", st->path, (long long)run_id, sql);
    }
    af_grow(out, &cap, *n + 2, sizeof **out);
    (*out)[(*n)++] = col_dup(s, 1);
    (*out)[*n] = NULL;    /* NULL-terminated: freed so even when cut short */
  }
  sqlite3_finalize(s);
  return rc == SQLITE_DONE ? 0 : fail_rc(st, rc, e);
}

/* A run's group column names and value texts (none before schema 3). */
static int load_groups(store *st, run_record *r, af_err *e) {
  if (r->group_columns <= 0) return 0;
  int n = 0;
  if (load_texts(st, "SELECT seq, name FROM run_groups WHERE run_id = ? ORDER BY seq", r->id, 0,
                 &r->groups, &n, e) != 0 ||
      load_texts(st, "SELECT code, value FROM run_values WHERE run_id = ? ORDER BY code", r->id,
                 1, &r->group_values, &r->ngroup_values, e) != 0)
    return -1;
  if (n != r->group_columns)
    return af_fail(e, "results database %s: run %lld records %d group columns but names %d",
                   st->path, (long long)r->id, r->group_columns, n);
  return 0;
}

static int load_files(store *st, run_record *r, af_err *e) {
  sqlite3_stmt *s;
  char *sql = af_sprintf("SELECT name, path, sha256, text%s FROM run_files WHERE run_id = ?"
                         " ORDER BY seq", st->schema >= 2 ? ", signature, signer" : ", NULL, NULL");
  int prc = prepare(st, sql, &s, e);
  free(sql);
  if (prc != 0) return -1;
  sqlite3_bind_int64(s, 1, r->id);
  int cap = 0, scap = 0, rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    af_grow(&r->files, &cap, r->nfiles + 1, sizeof *r->files);
    af_grow(&r->file_sigs, &scap, r->nfiles + 1, sizeof *r->file_sigs);
    read_sig(s, 4, &r->file_sigs[r->nfiles]);
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
  char *sql = run_cols_sql(st, "WHERE id = ?");
  int prc = prepare(st, sql, &s, e);
  free(sql);
  if (prc != 0) return -1;
  sqlite3_bind_int64(s, 1, run_id);
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) read_record(s, out);
  sqlite3_finalize(s);
  if (rc == SQLITE_DONE) return af_fail(e, "no run %lld in %s", (long long)run_id, st->path);
  if (rc != SQLITE_ROW) return fail_rc(st, rc, e);
  if (load_files(st, out, e) != 0 || load_groups(st, out, e) != 0) {
    store_record_free(out);
    return -1;
  }
  return 0;
}

void store_record_free(run_record *r) {
  if (!r) return;
  char *f[] = {r->time, r->methodology_name, r->methodology_version, r->methodology_sha256,
               r->scoring, r->data_path, r->data_sha256, r->engine_version, r->params_json,
               r->summary_json, r->unit_order, r->rows_sha256};
  for (int i = 0; i < 12; i++) free(f[i]);
  for (char **p = r->groups; p && *p; p++) free(*p);
  for (char **p = r->group_values; p && *p; p++) free(*p);
  free(r->groups);
  free(r->group_values);
  for (int i = 0; i < r->nfiles; i++) {
    free(r->files[i].name);
    free(r->files[i].path);
    free(r->files[i].text);
  }
  free(r->files);
  free(r->file_sigs);
  memset(r, 0, sizeof *r);
}

/* One length-prefixed field of the signed message. */
static void msg_field(strbuf *b, const char *name, const char *v, size_t n) {
  sb_printf(b, "%s %zu:", name, v ? n : (size_t)0);
  if (v) sb_putn(b, v, n);
  sb_putc(b, '\n');
}

static void msg_str(strbuf *b, const char *name, const char *v) {
  msg_field(b, name, v, v ? strlen(v) : 0);
}

char *store_record_message(const run_record *r, size_t *len) {
  strbuf b = {0};
  sb_puts(&b, "afscore run record 1\n");
  const char *names[] = {"time", "methodology_name", "methodology_version",
                         "methodology_sha256", "scoring", "data_path", "data_sha256",
                         "engine_version", "params_json", "summary_json", "unit_order",
                         "rows_sha256"};
  const char *vals[] = {r->time, r->methodology_name, r->methodology_version,
                        r->methodology_sha256, r->scoring, r->data_path, r->data_sha256,
                        r->engine_version, r->params_json, r->summary_json, r->unit_order,
                        r->rows_sha256};
  for (int i = 0; i < 12; i++) msg_str(&b, names[i], vals[i]);
  sb_printf(&b, "units %lld\nfiles %d\n", (long long)r->units, r->nfiles);
  for (int i = 0; i < r->nfiles; i++) {
    const store_sig *g = &r->file_sigs[i];
    msg_str(&b, "name", r->files[i].name);
    msg_str(&b, "path", r->files[i].path);
    msg_str(&b, "sha256", r->files[i].sha256);
    msg_field(&b, "signature", g->present ? (const char *)g->bytes : NULL, 64);
    msg_str(&b, "signer", g->present ? g->signer : NULL);
  }
  *len = b.len;
  return sb_take(&b);
}

int store_list_runs(store *st, run_record **out, int *n, af_err *e) {
  *out = NULL;
  *n = 0;
  sqlite3_stmt *s;
  char *sql = run_cols_sql(st, "ORDER BY id");
  int prc = prepare(st, sql, &s, e);
  free(sql);
  if (prc != 0) return -1;
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
  /* schema 4: run_units gives the row's position */
  const char *sql = st->schema >= 4
      ? "SELECT s.score, s.poor, s.category, s.eligible FROM run_units u JOIN unit_scores s"
        " ON s.run_id = u.run_id AND s.seq = u.seq WHERE u.run_id = ? AND u.unit = ?"
      : "SELECT score, poor, category, eligible FROM unit_scores WHERE run_id = ? AND unit = ?";
  if (!st->get && prepare(st, sql, &st->get, e) != 0) return -1;
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

int store_run_rows(store *st, int64_t run_id, int64_t *n, af_err *e) {
  sqlite3_stmt *s;
  *n = 0;
  if (prepare(st, "SELECT count(*) FROM unit_scores WHERE run_id = ?", &s, e) != 0) return -1;
  sqlite3_bind_int64(s, 1, run_id);
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) *n = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  return rc == SQLITE_ROW ? 0 : fail_rc(st, rc, e);
}

typedef struct store_check store_check;

struct store_iter {
  store *st;
  sqlite3_stmt *s;
  store_check *chk;          /* store_iter_begin_checked: the rows checked as read */
};

/* The run's recorded unit order into out ("" when none: schema 1). */
static int run_order(store *st, int64_t run_id, char out[16], af_err *e) {
  out[0] = 0;
  if (st->schema < 2) return 0;
  sqlite3_stmt *s;
  if (prepare(st, "SELECT unit_order FROM runs WHERE id = ?", &s, e) != 0) return -1;
  sqlite3_bind_int64(s, 1, run_id);
  int rc = sqlite3_step(s);
  const char *o = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 0) : NULL;
  snprintf(out, 16, "%s", o ? o : "");
  sqlite3_finalize(s);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail_rc(st, rc, e);
}

/* The columns an iterator reads: store_iter_next's, then chk, grp and seq. */
#define ITER_COLS "unit, score, poor, category, eligible, chk, grp, seq"

static int iter_open(store *st, int64_t run_id, const char *sql, store_iter **it, af_err *e) {
  sqlite3_stmt *s;
  if (prepare(st, sql, &s, e) != 0) return -1;
  sqlite3_bind_int64(s, 1, run_id);
  *it = af_calloc(1, sizeof **it);
  (*it)->st = st;
  (*it)->s = s;
  return 0;
}

/* Before schema 4 the rows were keyed by unit: read in a key order. */
static int iter_open_v3(store *st, int64_t run_id, int integer, store_iter **it, af_err *e) {
  char *sql = af_sprintf("SELECT unit, score, poor, category, eligible, %s, %s, NULL FROM"
                         " unit_scores WHERE run_id = ?%s", st->schema >= 2 ? "chk" : "NULL",
                         st->schema >= 3 ? "grp" : "NULL",
                         integer ? ORDER_INTEGER : " ORDER BY unit");
  int rc = iter_open(st, run_id, sql, it, e);
  free(sql);
  return rc;
}

int store_iter_begin(store *st, int64_t run_id, store_iter **it, af_err *e) {
  *it = NULL;
  char order[16];
  if (st->schema >= 4)
    return iter_open(st, run_id, "SELECT " ITER_COLS " FROM unit_scores WHERE run_id = ?"
                     " ORDER BY seq", it, e);
  if (run_order(st, run_id, order, e) < 0) return -1;
  return iter_open_v3(st, run_id, strcmp(order, "integer") == 0, it, e);
}

int store_iter_begin_order(store *st, int64_t run_id, const char *order, store_iter **it,
                           af_err *e) {
  *it = NULL;
  int integer = strcmp(order, "integer") == 0;
  if (st->schema < 4) return iter_open_v3(st, run_id, integer, it, e);
  char rec[16];
  if (run_order(st, run_id, rec, e) < 0) return -1;
  if (strcmp(rec, order) == 0) return store_iter_begin(st, run_id, it, e);
  /* Text order is run_units' key order: each row fetched by its position.
  ** Integer order of a run recorded in another order: SQLite sorts. */
  if (!integer)
    return iter_open(st, run_id, "SELECT s.unit, s.score, s.poor, s.category, s.eligible, s.chk,"
                     " s.grp, s.seq FROM run_units u CROSS JOIN unit_scores s"
                     " ON s.run_id = u.run_id AND s.seq = u.seq WHERE u.run_id = ?"
                     " ORDER BY u.unit", it, e);
  return iter_open(st, run_id, "SELECT " ITER_COLS " FROM unit_scores WHERE run_id = ?"
                   ORDER_INTEGER, it, e);
}

static void check_row(store_iter *it);

int store_iter_next(store_iter *it, const char **unit, double *score, int *poor,
                    const char **category, int64_t *eligible, af_err *e) {
  int rc = sqlite3_step(it->s);
  if (rc == SQLITE_DONE) return 0;
  if (rc != SQLITE_ROW) return fail_rc(it->st, rc, e);
  if (unit) *unit = (const char *)sqlite3_column_text(it->s, 0);
  read_unit_row(it->s, 1, score, poor, eligible);
  if (category) *category = (const char *)sqlite3_column_text(it->s, 3);
  if (it->chk) check_row(it);
  return 1;
}

int64_t store_iter_seq(store_iter *it) {
  return sqlite3_column_int64(it->s, 7);
}

const char *store_iter_grp(store_iter *it) {
  return (const char *)sqlite3_column_text(it->s, 6);
}

int store_iter_groups(store_iter *it, int32_t *codes, int n, int nvalues) {
  const char *p = store_iter_grp(it);
  if (!p) return 0;
  for (int g = 0; g < n; g++) {
    if (g && *p++ != ',') return -1;
    if (*p < '0' || *p > '9') return -1;
    int64_t c = 0;
    while (*p >= '0' && *p <= '9' && c <= nvalues) c = c * 10 + (*p++ - '0');
    if (c > nvalues) return -1;
    codes[g] = (int32_t)c;
  }
  return *p ? -1 : 1;
}

/* ---- verifying a run's rows without the data ---- */

/* The walk over a run's rows in order. A row whose check holds is "good"
** and vouches for its position; positions between two good rows that no
** changed row claims (an edit keeps the row's check, so its position) are
** missing rows. */
typedef struct verify_walk {
  store_verdict *v;
  store *st;
  int64_t run_id;
  int64_t units;            /* rows the run recorded */
  int64_t next;             /* the position after the last good row */
  int64_t good_seq;         /* that row's seq (0 before the first) */
  strbuf good;              /* that row's unit; empty before the first */
  int64_t *claimed;         /* positions claimed by changed rows since it */
  int nclaimed, cap;
} verify_walk;

static void verdict_first(store_verdict *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void verdict_first(store_verdict *v, const char *fmt, ...) {
  if (v->first[0]) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(v->first, sizeof v->first, fmt, ap);
  va_end(ap);
}

/* Schema 4: the unit of the first row gone between seq lo and hi (its
** run_units entry is left), or NULL. Run once, for the first verdict. */
static char *verify_lost_unit(verify_walk *w, int64_t lo, int64_t hi) {
  sqlite3_stmt *s;
  if (w->st->schema < 4 ||
      sqlite3_prepare_v2(w->st->db, "SELECT u.unit FROM run_units u WHERE u.run_id = ?"
                         " AND u.seq > ? AND u.seq < ? AND NOT EXISTS (SELECT 1 FROM unit_scores s"
                         " WHERE s.run_id = u.run_id AND s.seq = u.seq) ORDER BY u.seq LIMIT 1",
                         -1, &s, NULL) != SQLITE_OK)
    return NULL;
  sqlite3_bind_int64(s, 1, w->run_id);
  sqlite3_bind_int64(s, 2, lo);
  sqlite3_bind_int64(s, 3, hi);
  char *unit = sqlite3_step(s) == SQLITE_ROW ? col_dup(s, 0) : NULL;
  sqlite3_finalize(s);
  return unit;
}

/* Positions next .. to-1 end before unit `to` at seq to_seq (NULL: at the end). */
static void verify_gap(verify_walk *w, int64_t to, const char *unit, int64_t to_seq) {
  int64_t span = to - w->next, held = 0;
  for (int i = 0; i < w->nclaimed; i++)
    held += w->claimed[i] >= w->next && w->claimed[i] < to;
  int64_t lost = span - (held < span ? held : span);
  if (lost <= 0) return;
  w->v->missing += lost;
  if (w->v->first[0]) return;
  char where[300];
  const char *g = w->good.s;
  if (w->good.len && unit) snprintf(where, sizeof where, "between unit '%s' and unit '%s'", g, unit);
  else if (unit) snprintf(where, sizeof where, "before unit '%s', the first", unit);
  else if (w->good.len) snprintf(where, sizeof where, "after unit '%s', the last", g);
  else snprintf(where, sizeof where, "no row is left");
  char *name = verify_lost_unit(w, w->good_seq, to_seq);
  if (name && span == 1)
    verdict_first(w->v, "the row of unit '%s' at position %lld of %lld (%s) is missing", name,
                  (long long)w->next, (long long)w->units, where);
  else if (name)
    verdict_first(w->v, "%lld of the rows at positions %lld to %lld of %lld (%s) are missing; "
                  "the first is unit '%s'", (long long)lost, (long long)w->next,
                  (long long)to - 1, (long long)w->units, where, name);
  else if (span == 1)
    verdict_first(w->v, "the row at position %lld of %lld (%s) is missing; its unit id is "
                  "recorded nowhere else: replay with the data names it", (long long)w->next,
                  (long long)w->units, where);
  else
    verdict_first(w->v, "%lld of the rows at positions %lld to %lld of %lld (%s) are missing; "
                  "their unit ids are recorded nowhere else: replay with the data names them",
                  (long long)lost, (long long)w->next, (long long)to - 1, (long long)w->units,
                  where);
  free(name);
}

/* One row read back: its check against its bytes. */
static void verify_row(verify_walk *w, const strbuf *row, const char *unit, int has, int64_t chk,
                       int64_t seq, int linked) {
  uint32_t pos = (uint32_t)((uint64_t)chk & 0xffffffffu);
  int good = has && pos >= 1 && row_check(row, pos) == chk;
  if (good && linked && (int64_t)pos < w->next) good = 0;   /* out of its place */
  if (!good) {
    w->v->changed++;
    verdict_first(w->v, "unit '%s': the row was changed or added after the run", unit);
    af_grow(&w->claimed, &w->cap, w->nclaimed + 1, sizeof *w->claimed);
    w->claimed[w->nclaimed++] = has ? (int64_t)pos : 0;
    return;
  }
  if (linked) verify_gap(w, pos, unit, seq);
  w->next = (int64_t)pos + 1;
  w->good_seq = seq;
  w->nclaimed = 0;
  w->good.len = 0;
  sb_puts(&w->good, unit);
}

/* The rows of a run checked as an iterator reads them. */
struct store_check {
  const run_record *r;
  store_verdict v;
  verify_walk w;
  EVP_MD_CTX *md;
  strbuf row;
  int linked;               /* positions are checked against the reading order */
  uint64_t links;           /* sum of store_link_hash over (unit, seq) of the rows */
};

/* FNV-1a 64 of a unit id and a position: summed over the rows and over
** run_units, an order-independent comparison of the two tables. */
static uint64_t store_link_hash(const char *unit, int64_t seq) {
  uint64_t h = 14695981039346656037ull;
  for (const unsigned char *p = (const unsigned char *)unit; *p; p++) h = (h ^ *p) * 1099511628211ull;
  for (int i = 0; i < 8; i++) h = (h ^ (((uint64_t)seq >> (8 * i)) & 0xff)) * 1099511628211ull;
  return h;
}

static void check_row(store_iter *it) {
  store_check *c = it->chk;
  sqlite3_stmt *s = it->s;
  const char *unit = (const char *)sqlite3_column_text(s, 0);
  double score;
  int poor;
  int64_t elig, seq = sqlite3_column_int64(s, 7);
  read_unit_row(s, 1, &score, &poor, &elig);
  c->v.rows++;
  row_encode(&c->row, unit, score, poor, (const char *)sqlite3_column_text(s, 3), elig,
             store_iter_grp(it));
  EVP_DigestUpdate(c->md, c->row.s, c->row.len);
  verify_row(&c->w, &c->row, unit, sqlite3_column_type(s, 5) == SQLITE_INTEGER,
             sqlite3_column_int64(s, 5), seq, c->linked);
  c->links += store_link_hash(unit, seq);
}

int store_iter_begin_checked(store *st, const run_record *r, store_iter **it, af_err *e) {
  if (store_iter_begin(st, r->id, it, e) < 0) return -1;
  store_check *c = af_calloc(1, sizeof *c);
  c->r = r;
  c->md = EVP_MD_CTX_new();
  EVP_DigestInit_ex(c->md, EVP_sha256(), NULL);
  /* The rows of a schema 3 run of unit order "none" were checked in the
  ** order they were given and are read in text order: their positions are
  ** checked with each row, not against the reading order. */
  c->linked = !r->unit_order || strcmp(r->unit_order, "none") != 0;
  c->w = (verify_walk){.v = &c->v, .st = st, .run_id = r->id, .units = r->units, .next = 1};
  sb_puts(&c->w.good, "");
  (*it)->chk = c;
  return 0;
}

void store_iter_verdict(store_iter *it, store_verdict *v) {
  store_check *c = it->chk;
  const run_record *r = c->r;
  assert(c);
  if (c->linked) verify_gap(&c->w, r->units + 1, NULL, INT64_MAX);
  if (!c->linked && c->v.rows - c->v.changed < r->units)
    c->v.missing = r->units - (c->v.rows - c->v.changed);
  if (r->group_columns > 0)
    store_grp_digest(c->md, r->groups, r->group_columns, r->group_values, r->ngroup_values);
  unsigned char d[32];
  unsigned int dn = 0;
  char hex[65];
  EVP_DigestFinal_ex(c->md, d, &dn);
  af_hex(d, 32, hex);
  c->v.digest_ok = r->rows_sha256 && strcmp(hex, r->rows_sha256) == 0;
  *v = c->v;
}

void store_iter_end(store_iter *it) {
  if (!it) return;
  sqlite3_finalize(it->s);
  if (it->chk) {
    EVP_MD_CTX_free(it->chk->md);
    sb_free(&it->chk->row);
    sb_free(&it->chk->w.good);
    free(it->chk->w.claimed);
    free(it->chk);
  }
  free(it);
}

/* The first (unit, seq) pair one table has and the other lacks, in words. */
static int verify_link_first(store *st, const run_record *r, store_verdict *v, af_err *e) {
  sqlite3_stmt *s;
  if (prepare(st, "SELECT s.unit, s.seq, u.seq FROM unit_scores s LEFT JOIN run_units u"
                  " ON u.run_id = s.run_id AND u.unit = s.unit WHERE s.run_id = ?"
                  " AND u.seq IS NOT s.seq LIMIT 1", &s, e) != 0)
    return -1;
  sqlite3_bind_int64(s, 1, r->id);
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW && sqlite3_column_type(s, 2) == SQLITE_NULL)
    verdict_first(v, "unit '%s' (position %lld) has no entry in run_units",
                  sqlite3_column_text(s, 0), (long long)sqlite3_column_int64(s, 1));
  else if (rc == SQLITE_ROW)
    verdict_first(v, "unit '%s' (position %lld) has an entry in run_units for position %lld",
                  sqlite3_column_text(s, 0), (long long)sqlite3_column_int64(s, 1),
                  (long long)sqlite3_column_int64(s, 2));
  sqlite3_finalize(s);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return fail_rc(st, rc, e);
  if (rc == SQLITE_ROW) return 0;
  if (prepare(st, "SELECT u.unit, u.seq FROM run_units u WHERE u.run_id = ? AND NOT EXISTS"
                  " (SELECT 1 FROM unit_scores s WHERE s.run_id = u.run_id AND s.seq = u.seq"
                  " AND s.unit = u.unit) LIMIT 1", &s, e) != 0)
    return -1;
  sqlite3_bind_int64(s, 1, r->id);
  rc = sqlite3_step(s);
  if (rc == SQLITE_ROW)
    verdict_first(v, "run_units has unit '%s' at position %lld, where no row of it is",
                  sqlite3_column_text(s, 0), (long long)sqlite3_column_int64(s, 1));
  sqlite3_finalize(s);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail_rc(st, rc, e);
}

/* Schema 4, all rows good: run_units holds exactly their (unit, seq) pairs.
** One scan of run_units compared by count and sum; lookups only to name
** the first difference. */
static int verify_links(store *st, const run_record *r, uint64_t links, store_verdict *v,
                        af_err *e) {
  sqlite3_stmt *s;
  if (prepare(st, "SELECT unit, seq FROM run_units WHERE run_id = ?", &s, e) != 0) return -1;
  sqlite3_bind_int64(s, 1, r->id);
  uint64_t sum = 0;
  int64_t n = 0;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    sum += store_link_hash((const char *)sqlite3_column_text(s, 0), sqlite3_column_int64(s, 1));
    n++;
  }
  sqlite3_finalize(s);
  if (rc != SQLITE_DONE) return fail_rc(st, rc, e);
  if (sum == links && n == v->rows) return 0;
  v->unlinked = 1;
  return verify_link_first(st, r, v, e);
}

int store_verify_rows(store *st, const run_record *r, store_verdict *v, af_err *e) {
  memset(v, 0, sizeof *v);
  store_iter *it;
  if (store_iter_begin_checked(st, r, &it, e) < 0) return -1;
  int rc;
  while ((rc = store_iter_next(it, NULL, NULL, NULL, NULL, NULL, e)) == 1) continue;
  if (rc == 0) store_iter_verdict(it, v);
  uint64_t links = it->chk->links;
  store_iter_end(it);
  if (rc == 0 && st->schema >= 4 && !v->changed && !v->missing)
    rc = verify_links(st, r, links, v, e);
  return rc < 0 ? -1 : 0;
}

/* ---- partial runs (score --partition, merge) ----
**
** A partial run records the rows of one partition of the units; which one is
** in run_partitions, a table made only in results databases that hold a
** partial run, so that a database of whole runs keeps its schema. */

#define PARTITIONS_TABLE                                                              \
  "CREATE TABLE IF NOT EXISTS run_partitions(run_id INTEGER PRIMARY KEY REFERENCES runs(id)," \
  " part INTEGER NOT NULL, nparts INTEGER NOT NULL, split TEXT NOT NULL,"             \
  " units_all INTEGER NOT NULL)"

int store_run_set_partition(store *st, const store_part *p, af_err *e) {
  assert(p->part >= 1 && p->part <= p->nparts && p->split);
  if (!st->in_run) return af_fail(e, "results database %s: no run is open", st->path);
  if (exec(st, PARTITIONS_TABLE, e) != 0) return -1;
  sqlite3_stmt *s;
  if (prepare(st, "INSERT INTO run_partitions(run_id, part, nparts, split, units_all)"
                  " VALUES (?,?,?,?,?)", &s, e) != 0)
    return -1;
  sqlite3_bind_int64(s, 1, st->run_id);
  sqlite3_bind_int64(s, 2, p->part);
  sqlite3_bind_int64(s, 3, p->nparts);
  sqlite3_bind_text(s, 4, p->split, -1, SQLITE_STATIC);
  sqlite3_bind_int64(s, 5, p->units_all);
  int rc = sqlite3_step(s);
  sqlite3_finalize(s);
  return rc == SQLITE_DONE ? 0 : fail_rc(st, rc, e);
}

int store_run_partition(store *st, int64_t run_id, store_part *p, af_err *e) {
  memset(p, 0, sizeof *p);
  int64_t has;
  if (query_int(st, "SELECT count(*) FROM sqlite_schema WHERE name = 'run_partitions'", &has,
                e) != 0)
    return -1;
  if (!has) return 0;
  sqlite3_stmt *s;
  if (prepare(st, "SELECT part, nparts, split, units_all FROM run_partitions WHERE run_id = ?",
              &s, e) != 0)
    return -1;
  sqlite3_bind_int64(s, 1, run_id);
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    p->part = sqlite3_column_int64(s, 0);
    p->nparts = sqlite3_column_int64(s, 1);
    const char *t = (const char *)sqlite3_column_text(s, 2);
    snprintf(p->split_buf, sizeof p->split_buf, "%s", t ? t : "");
    p->split = p->split_buf;
    p->units_all = sqlite3_column_int64(s, 3);
  }
  sqlite3_finalize(s);
  if (rc == SQLITE_ROW) return 1;
  return rc == SQLITE_DONE ? 0 : fail_rc(st, rc, e);
}
