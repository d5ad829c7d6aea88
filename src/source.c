/*
** source.c: the data source, a SQLite database opened read-only.
**
** Units and members are read by a merge join of two scans in the same order,
** so memory stays flat whatever the population: the reader holds one batch
** of columns, reused. The order is the tables' stored (rowid) order when the
** members are grouped in the units' stored order (SOURCE_KEY, SOURCE_STORED),
** else key order sorted by SQLite (`ORDER BY +key COLLATE BINARY`,
** SOURCE_SORTED). Keys are compared exactly as SQLite orders them for the
** BINARY collation, which is what makes the merge agree with the scans. Every
** value read feeds the fingerprint of its unit (fingerprint.h: raw SQLite
** type + canonical bytes, a tag per row), so the fingerprint depends on the
** data and the columns read, not on batching or on the order of the read.
*/
#include "source.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <pthread.h>
#include <sqlite3.h>

#include "fingerprint.h"

struct source {
  sqlite3 *db;
  char *path;              /* as given, for messages */
  uint64_t ticks;          /* progress-handler calls so far */
  uint64_t max_ticks;      /* the work limit, in calls (src_set_limit) */
  int stopped;             /* 1: the limit interrupted a statement */
};

/* ---- opening ---- */

static void put_ident(strbuf *b, const char *name);
static int src_work_error(source *s, const char *table, af_err *e);

static int db_error(source *s, af_err *e) {
  if (s->stopped) return src_work_error(s, NULL, e);
  return af_fail(e, "%s: read error: %s", s->path, sqlite3_errmsg(s->db));
}

static void set_pragmas(sqlite3 *db) {
  /* Read-only tuning; failures are harmless, so results are ignored.
  ** threads lets the sorter use a helper thread when a table must be sorted. */
  sqlite3_exec(db, "PRAGMA query_only=1; PRAGMA cache_size=-8192;"
                   "PRAGMA threads=2;"
                   "PRAGMA temp_store=FILE;", NULL, NULL, NULL);
}

/* ---- the work limit ----
**
** Every statement on the data runs under one budget of SQLite VM
** instructions, so that no query can run for ever: a unit table that is a
** view over an endless recursive query would otherwise read (and sort into
** temp files) without end. Reading tables costs under one instruction per
** byte of the file (0.6 measured for the shipped methodologies over shuffled
** tables, where SQLite sorts), so SRC_WORK_PER_BYTE leaves a margin of over
** 100 for views that join; small files get SRC_WORK_FLOOR. The same budget
** bounds the temp files a runaway sort can write. */
#define SRC_WORK_PER_BYTE 100
#define SRC_WORK_FLOOR 100000000ull
#define SRC_WORK_TICK 1000       /* instructions between progress calls */

static int src_progress(void *p) {
  source *s = p;
  assert(s->max_ticks > 0);
  if (++s->ticks <= s->max_ticks) return 0;
  s->stopped = 1;
  return 1;
}

static int src_work_error(source *s, const char *table, af_err *e) {
  return af_fail(e, "%s: %s%s%sstopped after %llu million SQLite instructions, the limit for "
                 "this file (%d per byte, at least %llu million): is it a view over an endless "
                 "or runaway query? Store the data in a table", s->path,
                 table ? "reading " : "", table ? table : "", table ? " " : "",
                 (unsigned long long)(s->max_ticks * SRC_WORK_TICK / 1000000), SRC_WORK_PER_BYTE,
                 SRC_WORK_FLOOR / 1000000);
}

/* The budget for the file at path (its size with its -wal's). */
static uint64_t src_work_limit(const char *path) {
  struct stat sb;
  uint64_t bytes = stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
  char *wp = af_sprintf("%s-wal", path);
  if (stat(wp, &sb) == 0) bytes += (uint64_t)sb.st_size;
  free(wp);
  uint64_t work = bytes * SRC_WORK_PER_BYTE;
  return work > SRC_WORK_FLOOR ? work : SRC_WORK_FLOOR;
}

/* The first read of the schema: the open is lazy, this finds out what the
** file is. Returns SQLite's extended result code. */
static int src_probe(sqlite3 *db) {
  int rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
  return rc == SQLITE_OK ? rc : sqlite3_extended_errcode(db);
}

/* Does path's rollback journal still hold a transaction? A live journal
** begins with SQLite's journal magic; a committed one is deleted, truncated
** or zeroed. A journal that exists but cannot be read counts as holding one:
** nothing can be known about the file then. */
static int src_hot_journal(const char *path) {
  static const unsigned char magic[8] = {0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7};
  char *jp = af_sprintf("%s-journal", path);
  FILE *f = fopen(jp, "rb");
  int gone = !f && errno == ENOENT;
  free(jp);
  if (!f) return !gone;
  unsigned char head[8];
  int hot = fread(head, 1, sizeof head, f) == sizeof head && memcmp(head, magic, 8) == 0;
  fclose(f);
  return hot;
}

static int src_hot_journal_error(const char *path, af_err *e) {
  return af_fail(e, "%s: a writer crashed in the middle of a transaction (%s-journal is a hot "
                 "journal), so the file holds a half-written state; roll the transaction back "
                 "by reading the file once with sqlite3 where it can be written (sqlite3 %s "
                 "'PRAGMA integrity_check'), then try again", path, path, path);
}

/* Is there a -wal file with frames in it? They may be committed transactions
** that are not in the database file yet. */
static int src_wal_pending(const char *path) {
  char *wp = af_sprintf("%s-wal", path);
  struct stat sb;
  int pending = stat(wp, &sb) == 0 ? sb.st_size > 0 : errno != ENOENT;
  free(wp);
  return pending;
}

/* "file:PATH?immutable=1", PATH escaped as a URI path (%, ? and #). */
static char *src_immutable_uri(const char *path) {
  strbuf b = {0};
  sb_puts(&b, "file:");
  for (const char *p = path; *p; p++) {
    if (*p == '%' || *p == '?' || *p == '#') sb_printf(&b, "%%%02x", (unsigned char)*p);
    else sb_putc(&b, *p);
  }
  sb_puts(&b, "?immutable=1");
  return sb_take(&b);
}

/* The file cannot be read through SQLite's locks: it is in WAL mode on
** read-only storage (SQLite cannot create the -shm file it reads through).
** Read it as immutable (no locks, no shared memory), which is right only
** when the database file alone holds the committed state: there is no hot
** journal and no -wal with frames in it. Otherwise refuse (-1, e filled):
** never read a stale or half-written state. Else SQLite's result code. */
static int src_open_immutable(const char *path, sqlite3 **db, af_err *e) {
  if (src_hot_journal(path)) return src_hot_journal_error(path, e);
  if (src_wal_pending(path))
    return af_fail(e, "%s: transactions in %s-wal cannot be read here: SQLite needs to create "
                   "%s-shm to read them, and the directory cannot be written; checkpoint the "
                   "database where it can be written (sqlite3 %s "
                   "'PRAGMA wal_checkpoint(TRUNCATE)'), or copy it with its -wal file to a "
                   "writable directory", path, path, path, path);
  char *uri = src_immutable_uri(path);
  int rc = sqlite3_open_v2(uri, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI,
                           NULL);
  free(uri);
  return rc == SQLITE_OK ? src_probe(*db) : rc;
}

int source_open(const char *path, source **out, af_err *e) {
  struct stat sb;
  *out = NULL;
  if (stat(path, &sb) != 0) {
    if (errno == ENOENT) return af_fail(e, "%s: no such file", path);
    return af_fail(e, "%s: cannot open: %s", path, strerror(errno));
  }
  if (S_ISDIR(sb.st_mode)) return af_fail(e, "%s: is a directory", path);
  sqlite3 *db = NULL;
  /* NOMUTEX: one thread uses the connection; saves a lock per column read. */
  int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    af_fail(e, "%s: cannot open: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return -1;
  }
  rc = src_probe(db);
  /* A read-only connection cannot roll a hot journal back: SQLite says so
  ** with SQLITE_READONLY_ROLLBACK (sqlite3 -readonly refuses the file too). */
  if (rc == SQLITE_READONLY_ROLLBACK) {
    sqlite3_close(db);
    return src_hot_journal_error(path, e);
  }
  if ((rc & 0xff) == SQLITE_READONLY || (rc & 0xff) == SQLITE_CANTOPEN) {
    sqlite3_close(db);
    db = NULL;
    rc = src_open_immutable(path, &db, e);
    if (rc < 0) return -1;
  }
  if (rc != SQLITE_OK) {
    if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT)
      af_fail(e, "%s: not a SQLite database", path);
    else
      af_fail(e, "%s: cannot read: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return -1;
  }
  set_pragmas(db);
  source *s = af_calloc(1, sizeof *s);
  s->db = db;
  s->path = af_strdup(path);
  s->max_ticks = src_work_limit(path) / SRC_WORK_TICK;
  sqlite3_progress_handler(db, SRC_WORK_TICK, src_progress, s);
  *out = s;
  return 0;
}

void source_close(source *s) {
  if (!s) return;
  sqlite3_close(s->db);
  free(s->path);
  free(s);
}

/* ---- schema ---- */

int source_tables(source *s, char ***names, int *n, af_err *e) {
  sqlite3_stmt *st = NULL;
  *names = NULL;
  *n = 0;
  if (sqlite3_prepare_v2(s->db, "SELECT name FROM sqlite_schema WHERE type IN ('table','view')"
                         " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
                         -1, &st, NULL) != SQLITE_OK)
    return db_error(s, e);
  int cap = 0, rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    af_grow(names, &cap, *n + 1, sizeof **names);
    (*names)[(*n)++] = af_strdup((const char *)sqlite3_column_text(st, 0));
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    for (int i = 0; i < *n; i++) free((*names)[i]);
    free(*names);
    *names = NULL;
    *n = 0;
    return db_error(s, e);
  }
  return 0;
}

static void free_names(char **v, int n) {
  for (int i = 0; i < n; i++) free(v[i]);
  free(v);
}

/* The schema's spelling of table (SQLite identifiers are case-insensitive),
** or NULL with "no table" and a did-you-mean hint. Caller frees. */
static char *find_table(source *s, const char *table, af_err *e) {
  char **names;
  int n;
  if (source_tables(s, &names, &n, e) != 0) return NULL;
  char *found = NULL;
  for (int i = 0; i < n && !found; i++)
    if (sqlite3_stricmp(names[i], table) == 0) found = af_strdup(names[i]);
  if (!found) {
    const char *hint = af_suggest(table, (const char *const *)names, n);
    if (hint)
      af_fail(e, "no table '%s' in %s (did you mean '%s'?)", table, s->path, hint);
    else
      af_fail(e, "no table '%s' in %s", table, s->path);
  }
  free_names(names, n);
  return found;
}

/* Declared type -> vtype, following SQLite's column affinity rules. Of the
** NUMERIC-affinity remainder only the names that mean numbers (NUMERIC,
** DECIMAL, BOOLEAN, DATE...) become VT_NUM; anything else (STRING, JSON...)
** is VT_ANY because SQLite would keep its text as text. */
static vtype decl_vtype(const char *decl) {
  if (!decl || !*decl) return VT_ANY;
  char up[128];
  size_t i = 0;
  for (; decl[i] && i < sizeof up - 1; i++)
    up[i] = (decl[i] >= 'a' && decl[i] <= 'z') ? (char)(decl[i] - 32) : decl[i];
  up[i] = '\0';
  if (strstr(up, "INT")) return VT_NUM;
  if (strstr(up, "CHAR") || strstr(up, "CLOB") || strstr(up, "TEXT")) return VT_TEXT;
  if (strstr(up, "BLOB")) return VT_ANY;
  if (strstr(up, "REAL") || strstr(up, "FLOA") || strstr(up, "DOUB")) return VT_NUM;
  if (strstr(up, "NUM") || strstr(up, "DEC") || strstr(up, "BOOL") || strstr(up, "DATE"))
    return VT_NUM;
  return VT_ANY;
}

/* Columns of a table already found in the schema (spelled as there). */
static int table_columns(source *s, const char *table, name_decl **cols, int *n, af_err *e) {
  sqlite3_stmt *st = NULL;
  *cols = NULL;
  *n = 0;
  if (sqlite3_prepare_v2(s->db, "SELECT name, type FROM pragma_table_info(?)", -1, &st,
                         NULL) != SQLITE_OK)
    return db_error(s, e);
  sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
  int cap = 0, rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    af_grow(cols, &cap, *n + 1, sizeof **cols);
    (*cols)[*n].name = af_strdup((const char *)sqlite3_column_text(st, 0));
    (*cols)[*n].type = decl_vtype((const char *)sqlite3_column_text(st, 1));
    (*n)++;
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    source_free_columns(*cols, *n);
    *cols = NULL;
    *n = 0;
    return db_error(s, e);
  }
  return 0;
}

int source_columns(source *s, const char *table, name_decl **cols, int *n, af_err *e) {
  *cols = NULL;
  *n = 0;
  char *t = find_table(s, table, e);
  if (!t) return -1;
  int rc = table_columns(s, t, cols, n, e);
  free(t);
  return rc;
}

int64_t source_count_rows(source *s, const char *table) {
  af_err e;
  char *name = find_table(s, table, &e);
  if (!name) return -1;
  strbuf b = {0};
  sb_puts(&b, "SELECT count(*) FROM ");
  put_ident(&b, name);
  sqlite3_stmt *st = NULL;
  int64_t n = -1;
  if (sqlite3_prepare_v2(s->db, b.s, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sb_free(&b);
  free(name);
  return n;
}

void source_free_columns(name_decl *cols, int n) {
  for (int i = 0; i < n; i++) free((char *)cols[i].name);
  free(cols);
}

/* Index of column name in cols (exact, else case-insensitive), or -1 with
** "no column" and a did-you-mean hint. */
static int find_column(const name_decl *cols, int n, const char *name, const char *table,
                       af_err *e) {
  for (int i = 0; i < n; i++)
    if (strcmp(cols[i].name, name) == 0) return i;
  for (int i = 0; i < n; i++)
    if (sqlite3_stricmp(cols[i].name, name) == 0) return i;
  const char **cands = af_malloc((size_t)(n ? n : 1) * sizeof *cands);
  for (int i = 0; i < n; i++) cands[i] = cols[i].name;
  const char *hint = af_suggest(name, cands, n);
  if (hint)
    af_fail(e, "no column '%s' in table %s (did you mean '%s'?)", name, table, hint);
  else
    af_fail(e, "no column '%s' in table %s", name, table);
  free(cands);
  return -1;
}

/* ---- keys: SQLite's BINARY ordering ---- */

typedef struct kv {
  int type;                 /* SQLITE_NULL / INTEGER / FLOAT / TEXT / BLOB */
  int64_t i;
  double d;
  const unsigned char *p;
  int n;
} kv;

/* Load column c of st; must run before any other access converts the value.
** Returns the column's value: one sqlite3_column_* call per value, then
** the value accessors (a column call costs as much again as the accessor).
** Each connection is used by one thread (NOMUTEX), so the unprotected value
** is safe to read. */
static sqlite3_value *kv_load(sqlite3_stmt *st, int c, kv *k) {
  sqlite3_value *v = sqlite3_column_value(st, c);
  k->type = sqlite3_value_type(v);
  switch (k->type) {
    case SQLITE_INTEGER: k->i = sqlite3_value_int64(v); break;
    case SQLITE_FLOAT: k->d = sqlite3_value_double(v); break;
    case SQLITE_TEXT:
      k->p = sqlite3_value_text(v);
      k->n = sqlite3_value_bytes(v);
      break;
    case SQLITE_BLOB:
      k->p = sqlite3_value_blob(v);
      k->n = sqlite3_value_bytes(v);
      break;
    default: break;
  }
  return v;
}

/* As SQLite's sqlite3IntFloatCompare (without long double): exact. */
static int int_float_cmp(int64_t i, double r) {
  if (r < -9223372036854775808.0) return 1;
  if (r >= 9223372036854775808.0) return -1;
  int64_t y = (int64_t)r;
  if (i < y) return -1;
  if (i > y) return 1;
  double s = (double)i;
  return s < r ? -1 : s > r ? 1 : 0;
}

static int type_class(int t) {
  return t == SQLITE_NULL ? 0 : (t == SQLITE_INTEGER || t == SQLITE_FLOAT) ? 1
       : t == SQLITE_TEXT ? 2 : 3;
}

static int kv_cmp(const kv *a, const kv *b) {
  assert(a->type >= SQLITE_INTEGER && a->type <= SQLITE_NULL);
  assert(b->type >= SQLITE_INTEGER && b->type <= SQLITE_NULL);
  int ca = type_class(a->type), cb = type_class(b->type);
  if (ca != cb) return ca < cb ? -1 : 1;
  if (ca == 0) return 0;
  if (ca == 1) {
    if (a->type == SQLITE_INTEGER && b->type == SQLITE_INTEGER)
      return a->i < b->i ? -1 : a->i > b->i;
    if (a->type == SQLITE_FLOAT && b->type == SQLITE_FLOAT)
      return a->d < b->d ? -1 : a->d > b->d;
    if (a->type == SQLITE_INTEGER) return int_float_cmp(a->i, b->d);
    return -int_float_cmp(b->i, a->d);
  }
  int m = a->n < b->n ? a->n : b->n;
  int c = m ? memcmp(a->p, b->p, (size_t)m) : 0;
  if (c) return c < 0 ? -1 : 1;
  return a->n < b->n ? -1 : a->n > b->n;
}

/* ---- the reader ---- */

typedef struct scan {
  sqlite3_stmt *st;
  const char *alias;        /* the rowid's name in SQL, NULL if none */
  char *table;              /* schema spelling */
  char **cols;              /* columns read (schema spelling), after the key */
  vtype *types;
  int ncols;
  int rowid;                /* select index of the rowid, -1 if none */
  int64_t ordinal;          /* rows stepped, for tables without rowid */
} scan;

struct source_reader {
  source *s;
  strpool *pool;
  const source_plan *plan;
  int physical;             /* 1: scanning in rowid order, verifying the order */
  int half;                 /* sorted in halves: 1 the keys below split, 2 from it on */
  kv split;                 /* half: the median unit key (a copy, in splitbuf) */
  unsigned char *splitbuf;
  int splitcap;
  source *own;              /* half 2: its own connection, closed with the reader */
  char *uname;              /* the unit key column, as the schema spells it */
  int unique_key;           /* the unit key has a unique BINARY index (and a rowid) */
  int ranged;               /* reading in parts: scans over rowid ranges (chunks) */
  sqlite3_stmt *probe;      /* ranged: the first member row of a unit */
  int mscan;                /* ranged: the member scan of this chunk has started */
  int64_t mbegin, mstop;    /* ranged: rowids the member scan began and stopped at */
  unsigned char *first;     /* ranged: a copy of the chunk's first unit key */
  kv fkey;
  int firstcap;
  int32_t *gid;             /* ranged: the run pool's id of each id of r->pool */
  int32_t ngid, gidcap;
  int stored;               /* physical and unique_key: members placed by lookup */
  int key_ordered;          /* no unit key has gone backwards (yet) */
  sqlite3_stmt *look;       /* stored mode: the rowid of the unit with a key */
  int64_t urow;             /* stored mode: the current unit's rowid */
  int ahead;                /* stored mode: 1 u.st is on the next unit's row (nkey), 2 it
                            ** is done; 0 the next step of u.st is to come */
  kv nkey;                  /* ahead == 1: the next unit's key (points into u.st) */
  int pend_known;           /* stored mode: pend_row is that of the pending member row */
  int64_t pend_row;         /* rowid of the pending member row's unit, -1: none */
  int restarts;
  kv mprev;                 /* previous member key (physical mode) */
  unsigned char *mprevbuf;
  int mprevcap, have_mprev;
  scan u, m;
  int has_members;
  int mstate;               /* 0: step next, 1: a row is pending, 2: done */
  int units_done, failed;
  kv ukey;                  /* the current unit's key (points into u.st) */
  unsigned char *prev;      /* copy of the previous unit key's bytes */
  kv pkey;
  int have_prev, prevcap;
  /* the batch, reused */
  column *ucols, *mcols;
  int ucap, mcap;
  int *mstart;
  char *idbuf;
  size_t idlen, idcap;
  size_t *idoff;
  const char **ids;
  source_stats stats;
  fingerprint *fp;          /* of every value read (fingerprint.h) */
};

const char *source_order_name(source_order o) {
  return o == SOURCE_KEY ? "key" : o == SOURCE_STORED ? "stored" : "sorted";
}

/* ---- fingerprint ---- */

/* A value, tagged by its stored type. Call after kv_load-style access only
** (the caller passes what it already fetched). */
static void src_hash_value(source_reader *r, const kv *k) {
  fingerprint *f = r->fp;
  switch (k->type) {
    case SQLITE_INTEGER: fingerprint_int(f, 'i', k->i); break;
    case SQLITE_FLOAT: {
      uint64_t bits;
      memcpy(&bits, &k->d, 8);
      fingerprint_tag64(f, 'f', bits);
      break;
    }
    case SQLITE_TEXT: fingerprint_bytes(f, 't', k->p, (size_t)k->n); break;
    case SQLITE_BLOB: fingerprint_bytes(f, 'b', k->p, (size_t)k->n); break;
    default: {
      unsigned char z = 'n';
      fingerprint_put(f, &z, 1);
    }
  }
}

static void src_hash_header(source_reader *r, const scan *sc, const char *key) {
  fingerprint_head(r->fp, 'T', sc->table, strlen(sc->table));
  fingerprint_head(r->fp, 'K', key, strlen(key));
  for (int i = 0; i < sc->ncols; i++) {
    fingerprint_head(r->fp, 'C', sc->cols[i], strlen(sc->cols[i]));
    fingerprint_head64(r->fp, 'y', (uint64_t)sc->types[i]);
  }
}

/* ---- setting up a scan ---- */

static void put_ident(strbuf *b, const char *name) {
  sb_putc(b, '"');
  for (const char *p = name; *p; p++) {
    if (*p == '"') sb_putc(b, '"');
    sb_putc(b, *p);
  }
  sb_putc(b, '"');
}

/* The first rowid alias that is not the name of a real column. */
static const char *rowid_alias(const name_decl *cols, int n) {
  static const char *const alias[] = {"rowid", "_rowid_", "oid"};
  for (int a = 0; a < 3; a++) {
    int taken = 0;
    for (int i = 0; i < n; i++) taken |= sqlite3_stricmp(cols[i].name, alias[a]) == 0;
    if (!taken) return alias[a];
  }
  return NULL;
}

/* Physical mode reads rows in rowid order: when a table is stored in key
** order (as exports usually are) that is the key order without an index walk
** or a sort, and far cheaper. The reader verifies the order as it goes and
** starts again in key order the moment it is broken (SOURCE_RESTART). Ties
** come in rowid order in both modes, so the rows, and the fingerprint, are
** the same either way. */
/* Bind the one unit a scan is limited to: as text, and as an integer when
** it reads as one, so that an INTEGER key column matches too. */
static void bind_only(sqlite3_stmt *st, const char *only) {
  char *end;
  long long v = strtoll(only, &end, 10);
  sqlite3_bind_text(st, 1, only, -1, SQLITE_TRANSIENT);
  if (*only && !*end) sqlite3_bind_int64(st, 2, v);
  else sqlite3_bind_text(st, 2, only, -1, SQLITE_TRANSIENT);
}

/* How a scan orders its rows: sorted by key, in rowid order, or in rowid
** order over a range of rowids (reading in parts: units between ?1 and ?2,
** members from ?1 on); or sorted, over the keys below ?1 (and null keys) or
** from ?1 on (a sorted read in halves). */
enum { SCAN_SORTED, SCAN_ROWID, SCAN_UNIT_RANGE, SCAN_MEMBER_RANGE, SCAN_SORTED_BELOW,
       SCAN_SORTED_FROM };

static int scan_in_rowid_order(int mode) {
  return mode == SCAN_ROWID || mode == SCAN_UNIT_RANGE || mode == SCAN_MEMBER_RANGE;
}

/* " WHERE +key COLLATE BINARY < ?1 OR key IS NULL" (or ">= ?1"): the key
** without affinity, compared as ORDER BY +key COLLATE BINARY sorts it (by
** storage class, then value), so each half is a run of the sorted whole. */
static void put_key_half(strbuf *b, const char *key, int below) {
  sb_puts(b, " WHERE +");
  put_ident(b, key);
  sb_puts(b, below ? " COLLATE BINARY < ?1 OR " : " COLLATE BINARY >= ?1");
  if (!below) return;
  put_ident(b, key);
  sb_puts(b, " IS NULL");
}

static int prepare_scan(source *s, scan *sc, const char *key, const name_decl *schema,
                        int nschema, int physical, const char *only, af_err *e) {
  strbuf b = {0};
  const char *alias = rowid_alias(schema, nschema);
  for (int pass = alias ? 0 : 1; pass < 2; pass++) {
    sb_puts(&b, "SELECT ");
    put_ident(&b, key);
    for (int i = 0; i < sc->ncols; i++) {
      sb_puts(&b, ", ");
      put_ident(&b, sc->cols[i]);
    }
    /* Tables WITHOUT ROWID and views have no rowid: then rows are numbered by scan order. */
    if (pass == 0) sb_printf(&b, ", %s", alias);
    sb_puts(&b, " FROM ");
    put_ident(&b, sc->table);
    if (only) {   /* explain: one unit, found through the key's index if any */
      sb_puts(&b, " WHERE ");
      put_ident(&b, key);
      sb_puts(&b, " IN (?1, ?2)");
    } else if (physical == SCAN_UNIT_RANGE && pass == 0) {
      sb_printf(&b, " WHERE %s BETWEEN ?1 AND ?2", alias);
    } else if (physical == SCAN_MEMBER_RANGE && pass == 0) {
      sb_printf(&b, " WHERE %s >= ?1", alias);
    } else if (physical == SCAN_SORTED_BELOW || physical == SCAN_SORTED_FROM) {
      put_key_half(&b, key, physical == SCAN_SORTED_BELOW);
    }
    sb_puts(&b, " ORDER BY ");
    if (scan_in_rowid_order(physical) && pass == 0) {
      sb_puts(&b, alias);
    } else {
      /* Sorted mode means the table is not stored in key order, so walking
      ** an index on the key would fetch rows in random order (about 6x
      ** slower than sorting, measured at 1M families); the unary + keeps
      ** SQLite from using the index and makes it sort, on two threads. */
      sb_puts(&b, "+");
      put_ident(&b, key);
      sb_puts(&b, " COLLATE BINARY");
      /* Ties in rowid order: the same row order (and fingerprint) whether
      ** SQLite walks an index or sorts; an index on the key already ends with
      ** the rowid, so this adds no sort. */
      if (pass == 0) sb_printf(&b, ", %s", alias);
    }
    int rc = sqlite3_prepare_v2(s->db, b.s, -1, &sc->st, NULL);
    b.len = 0;
    if (rc == SQLITE_OK && only) bind_only(sc->st, only);
    if (rc == SQLITE_OK) {
      sc->rowid = pass == 0 ? sc->ncols + 1 : -1;
      sc->alias = pass == 0 ? alias : NULL;
      sb_free(&b);
      return 0;
    }
    if (pass == 1) {
      sb_free(&b);
      return af_fail(e, "%s: cannot read table %s: %s", s->path, sc->table,
                     sqlite3_errmsg(s->db));
    }
  }
  sb_free(&b);
  return -1;
}

/* Resolve table, key and columns against the schema, then prepare the scan. */
static int setup_scan(source *s, scan *sc, const char *table, const char *key,
                      const char *const *cols, const vtype *types, int ncols, char **keyname,
                      int physical, const char *only, af_err *e) {
  sc->table = find_table(s, table, e);
  if (!sc->table) return -1;
  name_decl *schema;
  int nschema, rc = -1;
  if (table_columns(s, sc->table, &schema, &nschema, e) != 0) return -1;
  sc->cols = af_calloc((size_t)(ncols ? ncols : 1), sizeof *sc->cols);
  sc->types = af_calloc((size_t)(ncols ? ncols : 1), sizeof *sc->types);
  int k = find_column(schema, nschema, key, sc->table, e);
  if (k < 0) goto done;
  *keyname = af_strdup(schema[k].name);
  for (int i = 0; i < ncols; i++) {
    int c = find_column(schema, nschema, cols[i], sc->table, e);
    if (c < 0) goto done;
    sc->cols[i] = af_strdup(schema[c].name);
    sc->types[i] = types[i];
    sc->ncols = i + 1;
  }
  rc = prepare_scan(s, sc, *keyname, schema, nschema, physical, only, e);
done:
  source_free_columns(schema, nschema);
  return rc;
}

static void free_scan(scan *sc) {
  sqlite3_finalize(sc->st);
  free(sc->table);
  if (sc->cols)
    for (int i = 0; i < sc->ncols; i++) free(sc->cols[i]);
  free(sc->cols);
  free(sc->types);
}

static void free_reader(source_reader *r) {
  free_scan(&r->u);
  free_scan(&r->m);
  for (int i = 0; i < r->u.ncols; i++) {
    free(r->ucols[i].v);
    free(r->ucols[i].null);
  }
  for (int j = 0; j < r->m.ncols; j++) {
    free(r->mcols[j].v);
    free(r->mcols[j].null);
  }
  free(r->ucols);
  free(r->mcols);
  free(r->mstart);
  free(r->idbuf);
  free(r->idoff);
  free(r->ids);
  free(r->prev);
  free(r->mprevbuf);
  sqlite3_finalize(r->look);
  sqlite3_finalize(r->probe);
  free(r->first);
  free(r->gid);
  free(r->splitbuf);
  free(r->uname);
  fingerprint_free(r->fp);
  source_close(r->own);
  free(r);
}

/* ---- stored order ----
**
** A registry stores units in the order they were registered, not in key
** order, and members grouped unit by unit in that same order. Such tables are
** merged in stored order with no sort when the unit key has a unique index:
** then no key can repeat, and a member row whose key is not the current
** unit's is placed by one lookup of its unit's rowid (only at a unit without
** members or at an orphan; the row that starts the next unit matches it).
** A member of a unit already passed means the members are not grouped in the
** units' order: SOURCE_RESTART, and the read is sorted instead. */

/* 1: an index query (below) finds an index of table on column key. */
static int src_has_index(source *s, const char *sql, const char *table, const char *key) {
  sqlite3_stmt *st = NULL;
  int n = 0;
  if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int(st, 0);
  }
  sqlite3_finalize(st);
  return n > 0;
}

/* 1: table has a unique index on exactly column key, BINARY, not partial. */
static int src_unique_key(source *s, const char *table, const char *key) {
  return src_has_index(s,
      "SELECT count(*) FROM pragma_index_list(?1) AS l WHERE l.\"unique\" AND NOT l.partial"
      " AND (SELECT count(*) FROM pragma_index_xinfo(l.name) WHERE key) = 1"
      " AND (SELECT count(*) FROM pragma_index_xinfo(l.name) AS x WHERE x.key"
      "      AND x.name = ?2 AND x.coll = 'BINARY') = 1", table, key);
}

/* " WHERE key = ?1", equal as kv_cmp says: BINARY, and text only equals
** text (SQLite's affinity would make 5 equal '5'). */
static void src_put_key_equals(strbuf *b, const char *key) {
  sb_puts(b, " WHERE ");
  put_ident(b, key);
  sb_puts(b, " = ?1 COLLATE BINARY AND (typeof(");
  put_ident(b, key);
  sb_puts(b, ") = 'text') = (typeof(?1) = 'text')");
}

/* The lookup of a unit's rowid by key (src_put_key_equals). */
static int src_prepare_lookup(source_reader *r, const char *key, af_err *e) {
  strbuf b = {0};
  sb_printf(&b, "SELECT %s FROM ", r->u.alias);
  put_ident(&b, r->u.table);
  src_put_key_equals(&b, key);
  int rc = sqlite3_prepare_v2(r->s->db, b.s, -1, &r->look, NULL);
  sb_free(&b);
  return rc == SQLITE_OK ? 0 : db_error(r->s, e);
}

/* Reading in parts: the rowid of the first member row of a unit, through an
** index on the member key (equal as the lookup above). */
static int src_prepare_probe(source_reader *r, const char *mkey, af_err *e) {
  strbuf b = {0};
  sb_printf(&b, "SELECT %s FROM ", r->m.alias);
  put_ident(&b, r->m.table);
  src_put_key_equals(&b, mkey);
  sb_printf(&b, " ORDER BY %s LIMIT 1", r->m.alias);
  int rc = sqlite3_prepare_v2(r->s->db, b.s, -1, &r->probe, NULL);
  sb_free(&b);
  return rc == SQLITE_OK ? 0 : db_error(r->s, e);
}

static void bind_kv(sqlite3_stmt *st, int i, const kv *k) {
  switch (k->type) {
    case SQLITE_INTEGER: sqlite3_bind_int64(st, i, k->i); break;
    case SQLITE_FLOAT: sqlite3_bind_double(st, i, k->d); break;
    case SQLITE_TEXT: sqlite3_bind_text(st, i, (const char *)k->p, k->n, SQLITE_STATIC); break;
    case SQLITE_BLOB: sqlite3_bind_blob(st, i, k->p, k->n, SQLITE_STATIC); break;
    default: sqlite3_bind_null(st, i);
  }
}

/* Where the pending member row (key mk) belongs, given the current unit's
** rowid cur: 1 a later unit, 0 no unit (an orphan), SOURCE_RESTART a unit
** already passed, -1 a read error. One lookup per member row at most. */
static int locate_member(source_reader *r, const kv *mk, int64_t cur, af_err *e) {
  if (!r->pend_known) {
    bind_kv(r->look, 1, mk);
    int rc = sqlite3_step(r->look);
    r->pend_row = rc == SQLITE_ROW ? sqlite3_column_int64(r->look, 0) : -1;
    sqlite3_reset(r->look);
    sqlite3_clear_bindings(r->look);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      r->failed = 1;
      return r->s->stopped ? src_work_error(r->s, r->u.table, e) : db_error(r->s, e);
    }
    r->pend_known = 1;
  }
  if (r->pend_row < 0) return 0;
  return r->pend_row > cur ? 1 : SOURCE_RESTART;
}

/* Prepare both scans and start the fingerprint. */
static int setup_scans(source_reader *r, af_err *e) {
  const source_plan *plan = r->plan;
  char *ukey = NULL, *mkey = NULL;
  int umode = r->ranged ? SCAN_UNIT_RANGE : r->physical ? SCAN_ROWID
            : r->half == 1 ? SCAN_SORTED_BELOW : r->half == 2 ? SCAN_SORTED_FROM : SCAN_SORTED;
  int mmode = r->ranged ? SCAN_MEMBER_RANGE : umode;
  int rc = setup_scan(r->s, &r->u, plan->unit_table, plan->unit_id, plan->unit_cols,
                      plan->unit_types, plan->nunit_cols, &ukey, umode, plan->only_unit, e);
  r->has_members = plan->member_table != NULL;
  r->unique_key = rc == 0 && r->u.rowid >= 0 && !plan->only_unit &&
                  src_unique_key(r->s, r->u.table, ukey);
  r->stored = r->physical && r->unique_key;
  r->key_ordered = 1;
  if (rc == 0 && r->stored) rc = src_prepare_lookup(r, ukey, e);
  if (rc == 0 && r->has_members)
    rc = setup_scan(r->s, &r->m, plan->member_table, plan->member_unit, plan->member_cols,
                    plan->member_types, plan->nmember_cols, &mkey, mmode, plan->only_unit, e);
  if (rc == 0 && r->ranged && r->has_members && r->m.alias) rc = src_prepare_probe(r, mkey, e);
  if (rc == 0 && r->half) {   /* the text of split outlives the scans (free_reader) */
    bind_kv(r->u.st, 1, &r->split);
    if (r->has_members) bind_kv(r->m.st, 1, &r->split);
  }
  if (rc == 0) {
    fingerprint_restart(r->fp);
    src_hash_header(r, &r->u, ukey);
    if (r->has_members) src_hash_header(r, &r->m, mkey);
  }
  free(r->uname);
  r->uname = ukey;
  free(mkey);
  r->mstate = r->has_members ? 0 : 2;
  return rc;
}

int source_read_begin(source *s, const source_plan *plan, strpool *pool,
                      source_reader **out, af_err *e) {
  source_reader *r = af_calloc(1, sizeof *r);
  r->s = s;
  r->pool = pool;
  r->plan = plan;
  r->physical = !plan->sorted;
  assert(plan->nunit_cols >= 0 && plan->nmember_cols >= 0 && plan->unit_table && plan->unit_id);
  r->fp = fingerprint_new();
  int rc = setup_scans(r, e);
  r->ucols = af_calloc((size_t)plan->nunit_cols + 1, sizeof *r->ucols);
  r->mcols = af_calloc((size_t)plan->nmember_cols + 1, sizeof *r->mcols);
  if (rc != 0) {
    free_reader(r);
    *out = NULL;
    return -1;
  }
  *out = r;
  return 0;
}

/* The tables are not stored in key order: start again, sorted by SQLite. */
static int restart_ordered(source_reader *r, af_err *e) {
  free_scan(&r->u);
  free_scan(&r->m);
  sqlite3_finalize(r->look);
  r->look = NULL;
  r->pend_known = 0;
  r->ahead = 0;
  memset(&r->u, 0, sizeof r->u);
  memset(&r->m, 0, sizeof r->m);
  memset(&r->stats, 0, sizeof r->stats);
  r->physical = 0;
  r->restarts++;
  r->units_done = r->failed = 0;
  r->have_prev = r->have_mprev = 0;
  if (setup_scans(r, e) != 0) {
    r->failed = 1;
    return -1;
  }
  return SOURCE_RESTART;
}

/* ---- reading rows ---- */

static void grow_cols(column *c, int n, int *cap, int need) {
  if (need <= *cap) return;
  int nc = *cap ? *cap : 64;
  while (nc < need) nc *= 2;
  for (int i = 0; i < n; i++) {
    c[i].v = af_realloc(c[i].v, (size_t)nc * sizeof *c[i].v);
    c[i].null = af_realloc(c[i].null, (size_t)nc);
  }
  *cap = nc;
}

static int64_t row_number(const scan *sc) {
  return sc->rowid >= 0 ? sqlite3_column_int64(sc->st, sc->rowid) : sc->ordinal;
}

/* Quote up to 40 bytes of a value for a message. */
static void quote_value(char *out, size_t cap, const unsigned char *p, int n) {
  int m = n > 40 ? 40 : n;
  snprintf(out, cap, "'%.*s'%s", m, (const char *)p, n > m ? "..." : "");
}

/* "table persons, column age, row 17 (unit 'abc'): what" */
static int bad_value(source_reader *r, const scan *sc, int col, const char *unit,
                     const char *what, af_err *e) {
  r->failed = 1;
  return af_fail(e, "table %s, column %s, row %lld (unit '%s'): %s", sc->table,
                 sc->cols[col], (long long)row_number(sc), unit, what);
}

/* A complete decimal number, as SQLite would read one from text: optional
** surrounding spaces, sign, digits with an optional point, optional exponent. */
static int parse_number(const unsigned char *p, int n, double *out) {
  char tmp[64];
  int i = 0, j = n;
  while (i < j && (p[i] == ' ' || p[i] == '\t')) i++;
  while (j > i && (p[j - 1] == ' ' || p[j - 1] == '\t')) j--;
  if (j - i <= 0 || j - i >= (int)sizeof tmp) return 0;
  int k = i, digits = 0;
  if (p[k] == '+' || p[k] == '-') k++;
  while (k < j && p[k] >= '0' && p[k] <= '9') k++, digits++;
  if (k < j && p[k] == '.') {
    k++;
    while (k < j && p[k] >= '0' && p[k] <= '9') k++, digits++;
  }
  if (!digits) return 0;
  if (k < j && (p[k] == 'e' || p[k] == 'E')) {
    k++;
    if (k < j && (p[k] == '+' || p[k] == '-')) k++;
    int ed = 0;
    while (k < j && p[k] >= '0' && p[k] <= '9') k++, ed++;
    if (!ed) return 0;
  }
  if (k != j) return 0;
  memcpy(tmp, p + i, (size_t)(j - i));
  tmp[j - i] = '\0';
  *out = strtod(tmp, NULL);
  return 1;
}

/* Read select column c (1-based after the key) of sc into col[row]. */
static int read_value(source_reader *r, const scan *sc, int c, column *col, int row,
                      const char *unit, af_err *e) {
  vtype t = sc->types[c];
  sqlite3_value *v = sqlite3_column_value(sc->st, c + 1);
  /* Most values are integers in number columns: straight to their double
  ** (always finite), as the general path below would. */
  if (t != VT_TEXT && t != VT_ANY && sqlite3_value_type(v) == SQLITE_INTEGER) {
    double d = (double)sqlite3_value_int64(v);
    col->null[row] = 0;
    col->v[row] = d;
    fingerprint_number(r->fp, d, 0);
    return 0;
  }
  kv k;
  kv_load(sc->st, c + 1, &k);
  /* Text is hashed as stored, numbers as the doubles they become. */
  int text = t == VT_TEXT || t == VT_ANY;
  if (text) src_hash_value(r, &k);
  col->null[row] = k.type == SQLITE_NULL;
  col->v[row] = 0;
  if (k.type == SQLITE_NULL) {
    if (!text) fingerprint_number(r->fp, 0, 1);
    return 0;
  }
  if (text) {
    const unsigned char *p = k.p;
    int n = k.n;
    if (k.type != SQLITE_TEXT) {
      p = sqlite3_value_text(v);
      n = sqlite3_value_bytes(v);
    }
    col->v[row] = strpool_intern(r->pool, (const char *)p, (size_t)n);
    return 0;
  }
  double d;
  char msg[128];
  switch (k.type) {
    case SQLITE_INTEGER: d = (double)k.i; break;
    case SQLITE_FLOAT: d = k.d; break;
    case SQLITE_TEXT:
      if (!parse_number(k.p, k.n, &d)) {
        char q[64];
        quote_value(q, sizeof q, k.p, k.n);
        snprintf(msg, sizeof msg, "text %s where a number is expected", q);
        return bad_value(r, sc, c, unit, msg, e);
      }
      break;
    default: return bad_value(r, sc, c, unit, "a blob where a number is expected", e);
  }
  if (!isfinite(d)) return bad_value(r, sc, c, unit, "not a finite number", e);
  col->v[row] = d;
  fingerprint_number(r->fp, d, 0);
  return 0;
}

/* A failed step of scan sc. */
static int step_error(source_reader *r, const scan *sc, af_err *e) {
  r->failed = 1;
  if (r->s->stopped) return src_work_error(r->s, sc->table, e);
  return db_error(r->s, e);
}

/* Append the current unit's id text; returns its offset in idbuf. */
static void push_id(source_reader *r, int u) {
  const unsigned char *p = sqlite3_column_text(r->u.st, 0);
  size_t n = (size_t)sqlite3_column_bytes(r->u.st, 0);
  if (r->idlen + n + 1 > r->idcap) {
    size_t c = r->idcap ? r->idcap : 4096;
    while (c < r->idlen + n + 1) c *= 2;
    r->idbuf = af_realloc(r->idbuf, c);
    r->idcap = c;
  }
  assert(r->idlen + n + 1 <= r->idcap && u < r->ucap);
  memcpy(r->idbuf + r->idlen, p, n);
  r->idbuf[r->idlen + n] = '\0';
  r->idoff[u] = r->idlen;
  r->idlen += n + 1;
}

/* Keep a copy of the current unit key for the duplicate/order check. */
/* *dst = *k, with k's bytes (if any) copied into *buf (capacity *cap). */
static void kv_keep(kv *dst, unsigned char **buf, int *cap, const kv *k) {
  *dst = *k;
  if (k->type != SQLITE_TEXT && k->type != SQLITE_BLOB) return;
  if (k->n > *cap) {
    *cap = k->n * 2 + 16;
    *buf = af_realloc(*buf, (size_t)*cap);
  }
  if (k->n) memcpy(*buf, k->p, (size_t)k->n);
  dst->p = *buf;
}

/* Copy the current unit key out of u.st, once it has been checked against
** the previous one: it stays valid when stored mode steps u.st ahead. */
static void save_prev(source_reader *r) {
  kv_keep(&r->pkey, &r->prev, &r->prevcap, &r->ukey);
  r->ukey = r->pkey;
  r->have_prev = 1;
}

/* "unit id '5' is a number, but earlier ids are text; ..." */
static int id_class_error(const char *table, int64_t row, const char *id, const kv *now,
                          const kv *before, af_err *e) {
  return af_fail(e, "table %s, row %lld: unit id '%s' is %s, but earlier ids are %s; "
                 "unit ids must be all numbers or all text", table, (long long)row, id,
                 type_class(now->type) == 1 ? "a number" : "text",
                 type_class(before->type) == 1 ? "numbers" : "text");
}

/* Check the new unit key against the previous one. */
static int check_key(source_reader *r, const char *id, af_err *e) {
  if (r->ukey.type == SQLITE_NULL) {
    r->failed = 1;
    return af_fail(e, "table %s, row %lld: the unit id is NULL", r->u.table,
                   (long long)row_number(&r->u));
  }
  if (!r->have_prev) return 0;
  /* Ids are compared as SQLite sorts them, where 1 and '1' differ; but both
  ** would be unit '1' in the results. Ids must be all numbers or all text. */
  if (type_class(r->pkey.type) != type_class(r->ukey.type)) {
    r->failed = 1;
    return id_class_error(r->u.table, row_number(&r->u), id, &r->ukey, &r->pkey, e);
  }
  int c = kv_cmp(&r->pkey, &r->ukey);
  if (c == 0) {
    r->failed = 1;
    return af_fail(e, "table %s: duplicate unit id '%s'", r->u.table, id);
  }
  if (c > 0) {
    /* With a unique key, stored order need not be key order. */
    if (r->stored) {
      r->key_ordered = 0;
      return 0;
    }
    if (r->physical) return SOURCE_RESTART;
    r->failed = 1;
    return af_fail(e, "table %s: rows not in unit id order at row %lld", r->u.table,
                   (long long)row_number(&r->u));
  }
  return 0;
}

/* Physical mode: member keys must not decrease; keep a copy of the last. */
static int check_member_order(source_reader *r, const kv *mk) {
  if (r->have_mprev && kv_cmp(&r->mprev, mk) > 0) return SOURCE_RESTART;
  kv_keep(&r->mprev, &r->mprevbuf, &r->mprevcap, mk);
  r->have_mprev = 1;
  return 0;
}

static void ensure_units(source_reader *r, int need) {
  int old = r->ucap;
  grow_cols(r->ucols, r->u.ncols, &r->ucap, need);
  if (r->ucap == old && r->mstart) return;
  r->mstart = af_realloc(r->mstart, ((size_t)r->ucap + 1) * sizeof *r->mstart);
  r->idoff = af_realloc(r->idoff, ((size_t)r->ucap + 1) * sizeof *r->idoff);
  r->ids = af_realloc(r->ids, ((size_t)r->ucap + 1) * sizeof *r->ids);
}

static int step_member(source_reader *r, af_err *e) {
  int rc = sqlite3_step(r->m.st);
  if (rc == SQLITE_ROW) {
    r->m.ordinal++;
    r->mstate = 1;
    r->pend_known = 0;
    return 0;
  }
  if (rc == SQLITE_DONE) {
    r->mstate = 2;
    return 0;
  }
  return step_error(r, &r->m, e);
}

/* The next step of the unit scan: the row peek_unit stepped to, or a new one. */
static int step_unit(source_reader *r) {
  int rc = r->ahead == 1 ? SQLITE_ROW : r->ahead == 2 ? SQLITE_DONE : sqlite3_step(r->u.st);
  r->ahead = 0;
  return rc;
}

/* Stored mode: step the unit scan to the next unit's row (its key in nkey)
** while the current unit's members are read; its values are not read yet.
** The current unit key was copied out of u.st (save_prev), and the row's
** values are read when step_unit hands it on. Every unit row starts with its
** first member row in a registry's layout, so this replaces the lookup that
** would place that row. */
static int peek_unit(source_reader *r, af_err *e) {
  if (r->ahead) return 0;
  int rc = sqlite3_step(r->u.st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return step_error(r, &r->u, e);
  r->ahead = rc == SQLITE_ROW ? 1 : 2;
  if (r->ahead == 1) kv_load(r->u.st, 0, &r->nkey);
  return 0;
}

/* What to do with the pending member row (key mk) at the current unit:
** 0 take it, 1 skip it (an orphan), 2 stop (it belongs to a later unit),
** SOURCE_RESTART, or -1. Key order: smaller keys are orphans, a larger one
** stops. Stored order: a lookup tells (locate_member). */
static int place_member(source_reader *r, const kv *mk, af_err *e) {
  int c = kv_cmp(mk, &r->ukey);
  if (c == 0) return 0;
  if (r->stored) {
    int rc = peek_unit(r, e);
    if (rc != 0) return rc;
    /* the first row of the next unit (keys are unique): what the lookup
    ** would say, without it */
    if (r->ahead == 1 && kv_cmp(mk, &r->nkey) == 0) return 2;
    rc = locate_member(r, mk, r->urow, e);
    return rc == 1 ? 2 : rc == 0 ? 1 : rc;
  }
  return c > 0 ? 2 : 1;
}

/* Join the pending member rows that belong to the current unit u (id text
** id), skipping orphans. */
static int read_members(source_reader *r, batch *b, const char *id, af_err *e) {
  for (;;) {
    if (r->mstate == 0 && step_member(r, e) != 0) return -1;
    if (r->mstate == 2) return 0;
    kv mk;
    kv_load(r->m.st, 0, &mk);
    if (r->physical && !r->stored && r->mstate == 1 && check_member_order(r, &mk) != 0)
      return SOURCE_RESTART;
    int place = place_member(r, &mk, e);
    if (place < 0) return place;
    if (place == 2) return 0;
    r->mstate = 0;
    if (place == 1) {
      r->stats.orphans++;
      continue;
    }
    int row = b->nmembers;
    grow_cols(r->mcols, r->m.ncols, &r->mcap, row + 1);
    assert(row < r->mcap);
    unsigned char tag = 'M';
    fingerprint_put(r->fp, &tag, 1);
    for (int j = 0; j < r->m.ncols; j++)
      if (read_value(r, &r->m, j, &r->mcols[j], row, id, e) != 0) return -1;
    b->nmembers++;
    r->stats.members++;
  }
}

/* After the last unit every remaining member row is an orphan. */
static int drain_orphans(source_reader *r, af_err *e) {
  for (;;) {
    if (r->mstate == 0 && step_member(r, e) != 0) return -1;
    if (r->mstate == 2) return 0;
    /* Stored-order read: a key going backwards here means the members were
    ** not in key order after all, and these rows may belong to units; in
    ** stored mode any row of a unit (all passed now) does. */
    if (r->physical) {
      kv mk;
      kv_load(r->m.st, 0, &mk);
      int rc = r->stored ? locate_member(r, &mk, INT64_MAX, e) : check_member_order(r, &mk);
      if (rc == -1) return -1;
      if (rc != 0) return SOURCE_RESTART;
    }
    r->stats.orphans++;
    r->mstate = 0;
  }
}

/* Ids must have an exact identity in the results, where they are text:
** INTEGER or TEXT without NUL bytes. A REAL id prints with 17 digits at most
** (two ids could print alike), a BLOB is bytes that SQLite would show as text,
** and text past a NUL byte would be cut off; all are refused, naming the row. */
static int check_id_type(source_reader *r, af_err *e) {
  const kv *k = &r->ukey;
  const unsigned char *nul = k->type == SQLITE_TEXT && k->n ? memchr(k->p, 0, (size_t)k->n) : NULL;
  char what[320], v[64];
  if (k->type == SQLITE_FLOAT) {
    snprintf(v, sizeof v, "%.17g", k->d);
    if (!strpbrk(v, ".eni")) strcat(v, ".0");   /* 5.0, not 5: it is not an integer */
    snprintf(what, sizeof what, "unit id %s is a REAL number; unit ids must be INTEGER or "
             "TEXT (REAL ids that print alike would be merged)", v);
  } else if (k->type == SQLITE_BLOB) {
    af_hex(k->p, k->n > 16 ? 16 : (size_t)k->n, v);
    snprintf(what, sizeof what, "unit id X'%s'%s is a BLOB (raw bytes), not TEXT; unit ids must "
             "be INTEGER or TEXT (store them as TEXT: CAST(id AS TEXT))", v,
             k->n > 16 ? "..." : "");
  } else if (nul) {
    quote_value(v, sizeof v, k->p, (int)(nul - k->p));
    snprintf(what, sizeof what, "unit id %s is TEXT with a NUL byte (byte %d of %d); unit ids "
             "must not hold NUL bytes (ids that differ after one would be merged)", v,
             (int)(nul - k->p) + 1, k->n);
  } else {
    return 0;
  }
  r->failed = 1;
  return af_fail(e, "table %s, row %lld: %s", r->u.table, (long long)row_number(&r->u), what);
}

static int part_unit(source_reader *r, int u, af_err *e);

static int read_unit(source_reader *r, batch *b, af_err *e) {
  int u = b->nunits;
  ensure_units(r, u + 1);
  assert(u < r->ucap && r->mstart && r->idoff);
  kv_load(r->u.st, 0, &r->ukey);
  if (r->stored) r->urow = sqlite3_column_int64(r->u.st, r->u.rowid);
  fingerprint_unit_begin(r->fp);
  unsigned char tag = 'U';
  fingerprint_put(r->fp, &tag, 1);
  src_hash_value(r, &r->ukey);
  if (check_id_type(r, e) != 0) return -1;
  if (r->ukey.type != SQLITE_NULL) push_id(r, u);
  const char *id = r->ukey.type != SQLITE_NULL ? r->idbuf + r->idoff[u] : "";
  int rc = check_key(r, id, e);
  if (rc != 0) return rc;
  save_prev(r);
  for (int i = 0; i < r->u.ncols; i++)
    if (read_value(r, &r->u, i, &r->ucols[i], u, id, e) != 0) return -1;
  if (r->ranged && part_unit(r, u, e) != 0) return -1;
  r->mstart[u] = b->nmembers;
  if (r->has_members) {
    if ((rc = read_members(r, b, id, e)) != 0) return rc;
    if (b->nmembers == r->mstart[u]) r->stats.units_without_members++;
  }
  fingerprint_unit_end(r->fp);
  b->nunits++;
  r->stats.units++;
  return 0;
}

static void publish(source_reader *r, batch *b, const char *const **unit_ids) {
  ensure_units(r, b->nunits + 1);
  assert(b->nunits < r->ucap + 1 && (b->nmembers == 0 || b->nmembers <= r->mcap));
  r->mstart[b->nunits] = b->nmembers;
  for (int u = 0; u < b->nunits; u++) r->ids[u] = r->idbuf + r->idoff[u];
  b->mstart = r->mstart;
  b->ucols = r->ucols;
  b->nucols = r->u.ncols;
  b->mcols = r->mcols;
  b->nmcols = r->m.ncols;
  if (unit_ids) *unit_ids = r->ids;
}

int source_read_batch(source_reader *r, batch *b, const char *const **unit_ids,
                      int max_units, af_err *e) {
  b->nunits = 0;
  b->nmembers = 0;
  r->idlen = 0;
  if (r->failed) return af_fail(e, "%s: the read has already failed", r->s->path);
  if (max_units < 1) max_units = 1;
  while (!r->units_done && b->nunits < max_units) {
    int rc = step_unit(r);
    if (rc == SQLITE_DONE) {
      r->units_done = 1;
      if (r->has_members && (rc = drain_orphans(r, e)) != 0) {
        if (rc != SOURCE_RESTART) return -1;
        b->nunits = b->nmembers = 0;
        return restart_ordered(r, e);
      }
      break;
    }
    if (rc != SQLITE_ROW) return step_error(r, &r->u, e);
    r->u.ordinal++;
    if ((rc = read_unit(r, b, e)) == SOURCE_RESTART) {
      b->nunits = b->nmembers = 0;
      return restart_ordered(r, e);
    }
    if (rc != 0) return -1;
  }
  publish(r, b, unit_ids);
  return b->nunits;
}

void source_read_end(source_reader *r, source_stats *st) {
  if (!r) return;
  fingerprint_final(r->fp, (uint64_t)r->stats.units, (uint64_t)r->stats.members,
                    (uint64_t)r->stats.orphans, r->stats.sha256);
  r->stats.order = !r->physical ? SOURCE_SORTED : r->key_ordered ? SOURCE_KEY : SOURCE_STORED;
  if (st) *st = r->stats;
  free_reader(r);
}

/* ---- a sorted read in halves ----
**
** A sorted read spends most of its time in SQLite's sorts, before the first
** row comes. With two threads it is cut at the median unit key (found
** through the unit key's unique index, which also makes it cheap): one half
** reads the units and members whose key is below it (and null keys), the
** other, on a connection of its own, those from it on, each sorted by SQLite.
** The second half's sorts run on another thread while the first half is read
** (source_read_prefetch); its rows are then read by the same reader thread
** after the first half's. So the units come in the same order, with the same
** members, the same checks and the same pool ids as from one sorted read;
** only the batch the first half ends with is shorter. A half is a run of the
** sorted whole because both scans compare the key as the sort orders it
** (put_key_half). */

#define SRC_HALVES_MIN (2 * KERNEL_BATCH)   /* fewer units: not worth a second sort */

/* The median unit key into r->split: 1 found, 0 no split, -1 error. */
static int src_median_key(source_reader *r, const char *ukey, af_err *e) {
  strbuf b = {0};
  sb_puts(&b, "SELECT (SELECT count(*) FROM ");
  put_ident(&b, r->u.table);
  sb_puts(&b, "), ");
  put_ident(&b, ukey);
  sb_puts(&b, " FROM ");
  put_ident(&b, r->u.table);
  sb_puts(&b, " ORDER BY ");
  put_ident(&b, ukey);
  sb_puts(&b, " COLLATE BINARY LIMIT 1 OFFSET (SELECT count(*) FROM ");
  put_ident(&b, r->u.table);
  sb_puts(&b, ") / 2");
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(r->s->db, b.s, -1, &st, NULL);
  sb_free(&b);
  if (rc != SQLITE_OK) return db_error(r->s, e);
  rc = sqlite3_step(st);
  int found = 0;
  if (rc == SQLITE_ROW && sqlite3_column_int64(st, 0) >= SRC_HALVES_MIN &&
      sqlite3_column_type(st, 1) != SQLITE_NULL) {
    kv k;
    kv_load(st, 1, &k);
    kv_keep(&r->split, &r->splitbuf, &r->splitcap, &k);
    found = 1;
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_error(r->s, e);
  return found;
}

/* Prepare the scans of half h (1 or 2) of r, split at split. */
static int src_half_scans(source_reader *r, int h, const kv *split, af_err *e) {
  free_scan(&r->u);
  free_scan(&r->m);
  memset(&r->u, 0, sizeof r->u);
  memset(&r->m, 0, sizeof r->m);
  r->half = h;
  if (split != &r->split) kv_keep(&r->split, &r->splitbuf, &r->splitcap, split);
  return setup_scans(r, e);
}

int source_read_begin_halves(source *s, const source_plan *plan, strpool *pool,
                             source_reader **lo, source_reader **hi, af_err *e) {
  assert(plan->sorted);
  *hi = NULL;
  if (source_read_begin(s, plan, pool, lo, e) < 0) return -1;
  source_reader *r = *lo;
  if (plan->only_unit) return 0;
  assert(r->uname);
  int rc = src_unique_key(s, r->u.table, r->uname) ? src_median_key(r, r->uname, e) : 0;
  if (rc == 1) {
    source_reader *h = NULL;
    source *own = NULL;
    rc = source_open(s->path, &own, e) < 0 ? -1 : source_read_begin(own, plan, pool, &h, e);
    if (h) h->own = own;
    else source_close(own);
    if (rc == 0) rc = src_half_scans(r, 1, &r->split, e);
    if (rc == 0) rc = src_half_scans(h, 2, &r->split, e);
    if (rc == 0) *hi = h;
    else source_read_end(h, NULL);
  }
  if (rc < 0) {
    source_read_end(r, NULL);
    *lo = NULL;
    return -1;
  }
  return 0;
}

int source_read_prefetch(source_reader *r, af_err *e) {
  assert(r->half == 2 && !r->physical && r->ahead == 0 && r->u.ordinal == 0);
  int rc = sqlite3_step(r->u.st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return step_error(r, &r->u, e);
  r->ahead = rc == SQLITE_ROW ? 1 : 2;   /* step_unit hands the row on */
  if (r->has_members && r->mstate == 0 && step_member(r, e) != 0) return -1;
  return 0;
}

void source_read_follow(source_reader *hi, const source_reader *lo) {
  assert(hi->half == 2 && lo->half == 1 && !hi->have_prev);
  if (!lo->have_prev) return;
  kv_keep(&hi->pkey, &hi->prev, &hi->prevcap, &lo->pkey);
  hi->have_prev = 1;
}

void source_read_end_halves(source_reader *lo, source_reader *hi, source_stats *st) {
  if (!hi) {
    source_read_end(lo, st);
    return;
  }
  if (lo && st) {
    fingerprint_merge(lo->fp, hi->fp);
    lo->stats.units += hi->stats.units;
    lo->stats.members += hi->stats.members;
    lo->stats.orphans += hi->stats.orphans;
    lo->stats.units_without_members += hi->stats.units_without_members;
  }
  source_read_end(lo, st);
  source_read_end(hi, NULL);
}

/* ---- reading in parts ----
**
** Both cores read: when the tables can be read in stored order (SOURCE_KEY or
** SOURCE_STORED: a unique unit key) and the member key has an index, the unit
** rowids are cut into chunks of SRC_CHUNK, and each reader, on a connection of
** its own, reads the chunks it is given (the units in the chunk's rowid range
** and their members) into one batch. Every batch is the same whichever reader
** reads it, and batches are finished in chunk order (a turn): the member rows
** each chunk walked must join end to end, the key order and id types are
** checked across chunks, and the text values the reader interned in a pool of
** its own get the run pool's ids, given out in chunk order. So the units, the
** batches, the pool ids and every sum taken in chunk order are the same for
** any number of readers. A chunk finds where its members start with one index
** probe (the first member row of its first unit that has members); chunk 0
** starts at the first member row, so that leading orphans are counted. A chunk
** walks its member rows until the first row of a later chunk's unit (or the
** end), counting orphans on the way. Member rows not grouped in the units'
** order break the joins: SOURCE_RESTART, and the caller reads sorted. */

#define SRC_CHUNK KERNEL_BATCH    /* unit rowids per chunk: a chunk is at most a batch */

struct source_parts {
  source *s;
  strpool *pool;              /* the run's: ids given out in chunk order */
  int n;                      /* readers */
  source **conns;
  source_reader **readers;
  int64_t lo, nchunks;        /* the first unit rowid; chunks */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int64_t turn;               /* the next chunk to finish */
  int cancelled;
  int64_t expect;             /* the member rowid the next chunk's walk must begin at */
  int key_ordered, have_last;
  kv last;                    /* the last unit key of the finished chunks */
  unsigned char *lastbuf;
  int lastcap;
};

static void part_start_scan(source_reader *r, int64_t from) {
  sqlite3_reset(r->m.st);
  sqlite3_bind_int64(r->m.st, 1, from);
  r->mscan = 1;
  r->mbegin = from;
  r->mstate = 0;
  r->pend_known = 0;
}

/* At unit u of a chunk: keep the chunk's first key; start the member walk at
** this unit's first member row unless it has started. */
static int part_unit(source_reader *r, int u, af_err *e) {
  if (u == 0) kv_keep(&r->fkey, &r->first, &r->firstcap, &r->ukey);
  if (!r->has_members || r->mscan) return 0;
  bind_kv(r->probe, 1, &r->ukey);
  int rc = sqlite3_step(r->probe);
  int64_t row = rc == SQLITE_ROW ? sqlite3_column_int64(r->probe, 0) : 0;
  sqlite3_reset(r->probe);
  sqlite3_clear_bindings(r->probe);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return step_error(r, &r->m, e);
  if (rc == SQLITE_ROW) part_start_scan(r, row);
  return 0;
}

/* After the chunk's last unit: orphans up to the first row of a later unit
** (mstop), or to the end of the table (INT64_MAX). */
static int part_walk(source_reader *r, af_err *e) {
  for (;;) {
    if (r->mstate == 0 && step_member(r, e) != 0) return -1;
    if (r->mstate == 2) {
      r->mstop = INT64_MAX;
      return 0;
    }
    kv mk;
    kv_load(r->m.st, 0, &mk);
    int rc = locate_member(r, &mk, r->urow, e);
    if (rc == 1) {
      r->mstop = sqlite3_column_int64(r->m.st, r->m.rowid);
      return 0;
    }
    if (rc != 0) return rc;
    r->stats.orphans++;
    r->mstate = 0;
  }
}

/* Read chunk c (unit rowids [lo, lo + SRC_CHUNK)) into b. */
static int part_read_chunk(source_reader *r, int64_t c, int64_t lo, batch *b,
                           const char *const **ids, af_err *e) {
  b->nunits = b->nmembers = 0;
  r->idlen = 0;
  r->have_prev = 0;
  r->urow = lo - 1;
  r->mscan = 0;
  r->mstate = 2;
  r->ahead = 0;
  sqlite3_reset(r->u.st);
  sqlite3_bind_int64(r->u.st, 1, lo);
  sqlite3_bind_int64(r->u.st, 2, lo + SRC_CHUNK - 1);
  if (c == 0 && r->has_members) part_start_scan(r, INT64_MIN);
  int rc;
  while ((rc = step_unit(r)) == SQLITE_ROW) {
    r->u.ordinal++;
    r->urow = sqlite3_column_int64(r->u.st, r->u.rowid);
    if ((rc = read_unit(r, b, e)) != 0) return rc;
  }
  if (rc != SQLITE_DONE) return step_error(r, &r->u, e);
  if (r->mscan && (rc = part_walk(r, e)) != 0) return rc;
  publish(r, b, ids);
  return b->nunits;
}

static int is_number(vtype t) { return t == VT_NUM || t == VT_BOOL; }

/* The run pool's ids for the text values of b (interned in r's own pool). */
static void part_translate(source_parts *p, source_reader *r, batch *b) {
  int32_t n = strpool_count(r->pool);
  if (n > r->gidcap) {
    r->gidcap = n * 2;
    r->gid = af_realloc(r->gid, sizeof *r->gid * (size_t)r->gidcap);
  }
  for (int32_t id = r->ngid; id < n; id++)
    r->gid[id] = strpool_intern(p->pool, strpool_get(r->pool, id), strpool_len(r->pool, id));
  r->ngid = n;
  const source_plan *plan = r->plan;
  for (int i = 0; i < b->nucols; i++)
    if (!is_number(plan->unit_types[i]))
      for (int u = 0; u < b->nunits; u++)
        if (!b->ucols[i].null[u]) b->ucols[i].v[u] = r->gid[(int32_t)b->ucols[i].v[u]];
  for (int j = 0; j < b->nmcols; j++)
    if (!is_number(plan->member_types[j]))
      for (int m = 0; m < b->nmembers; m++)
        if (!b->mcols[j].null[m]) b->mcols[j].v[m] = r->gid[(int32_t)b->mcols[j].v[m]];
}

/* Chunk c's turn (p->mu held): its walk joins the previous one's, its keys
** follow theirs, its text gets the run pool's ids. */
static int part_finish(source_parts *p, source_reader *r, int64_t c, batch *b,
                       const char *const *ids, af_err *e) {
  if (r->mscan) {
    if (r->mbegin != p->expect) return SOURCE_RESTART;
    p->expect = r->mstop;
  }
  if (c == p->nchunks - 1 && r->has_members && p->expect != INT64_MAX) return SOURCE_RESTART;
  if (b->nunits > 0) {
    if (p->have_last && type_class(p->last.type) != type_class(r->fkey.type)) {
      r->failed = 1;
      return id_class_error(r->u.table, p->lo + c * SRC_CHUNK, ids[0], &r->fkey, &p->last, e);
    }
    if (p->have_last && kv_cmp(&p->last, &r->fkey) > 0) p->key_ordered = 0;
    kv_keep(&p->last, &p->lastbuf, &p->lastcap, &r->pkey);
    p->have_last = 1;
  }
  part_translate(p, r, b);
  return b->nunits;
}

/* 1: the member key has an index that starts with it, BINARY, not partial. */
static int src_indexed(source *s, const char *table, const char *key) {
  return src_has_index(s,
      "SELECT count(*) FROM pragma_index_list(?1) AS l WHERE NOT l.partial"
      " AND EXISTS (SELECT 1 FROM pragma_index_xinfo(l.name) AS x WHERE x.seqno = 0"
      "             AND x.key AND x.name = ?2 AND x.coll = 'BINARY')", table, key);
}

/* A ranged reader on its own connection to s's file, with a pool of its own. */
static int part_reader(source *s, const source_plan *plan, source **conn, source_reader **out,
                       af_err *e) {
  *out = NULL;
  if (source_open(s->path, conn, e) < 0) return -1;
  source_reader *r = af_calloc(1, sizeof *r);
  r->s = *conn;
  r->pool = strpool_new();
  r->plan = plan;
  r->physical = 1;
  r->ranged = 1;
  r->fp = fingerprint_new();
  r->ucols = af_calloc((size_t)plan->nunit_cols + 1, sizeof *r->ucols);
  r->mcols = af_calloc((size_t)plan->nmember_cols + 1, sizeof *r->mcols);
  *out = r;
  return setup_scans(r, e);
}

static void part_free_reader(source_reader *r) {
  if (!r) return;
  strpool_free(r->pool);
  free_reader(r);
}

/* The rowid range of the unit table: 0, or -1 when it is empty. Two
** subqueries: SQLite finds a lone min() or max() of the rowid at one end of
** the table, but scans the whole table for both in one SELECT. */
static int part_range(source_reader *r, int64_t *lo, int64_t *hi) {
  strbuf b = {0};
  sb_printf(&b, "SELECT (SELECT min(%s) FROM ", r->u.alias);
  put_ident(&b, r->u.table);
  sb_printf(&b, "), (SELECT max(%s) FROM ", r->u.alias);
  put_ident(&b, r->u.table);
  sb_puts(&b, ")");
  sqlite3_stmt *st = NULL;
  int ok = sqlite3_prepare_v2(r->s->db, b.s, -1, &st, NULL) == SQLITE_OK &&
           sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_INTEGER;
  if (ok) {
    *lo = sqlite3_column_int64(st, 0);
    *hi = sqlite3_column_int64(st, 1);
  }
  sqlite3_finalize(st);
  sb_free(&b);
  return ok ? 0 : -1;
}

int source_parts_open(source *s, const source_plan *plan, strpool *pool, int nreaders,
                      source_parts **out, af_err *e) {
  assert(nreaders >= 1);
  *out = NULL;
  if (plan->only_unit || plan->sorted) return 0;
  source_parts *p = af_calloc(1, sizeof *p);
  p->s = s;
  p->pool = pool;
  p->n = nreaders;
  p->conns = af_calloc((size_t)nreaders, sizeof *p->conns);
  p->readers = af_calloc((size_t)nreaders, sizeof *p->readers);
  int rc = part_reader(s, plan, &p->conns[0], &p->readers[0], e);
  source_reader *r = p->readers[0];
  int64_t lo = 0, hi = -1;
  /* Chunks need rowids, a unique key, an index to find a unit's first
  ** member row, and more than one chunk to share. */
  int fit = rc == 0 && r->stored && r->u.rowid >= 0 &&
            (!r->has_members || (r->m.rowid >= 0 && src_indexed(r->s, r->m.table,
                                                                plan->member_unit))) &&
            part_range(r, &lo, &hi) == 0 && hi - lo >= SRC_CHUNK;
  for (int i = 1; fit && rc == 0 && i < nreaders; i++)
    rc = part_reader(s, plan, &p->conns[i], &p->readers[i], e);
  if (rc < 0 || !fit) {
    source_parts_close(p, NULL);
    return rc;
  }
  p->lo = lo;
  p->nchunks = (hi - lo) / SRC_CHUNK + 1;
  p->expect = INT64_MIN;
  p->key_ordered = 1;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
  *out = p;
  return 0;
}

int64_t source_parts_chunks(const source_parts *p) { return p->nchunks; }

int source_parts_read(source_parts *p, int reader, int64_t c, batch *b,
                      const char *const **ids, af_err *e) {
  assert(reader >= 0 && reader < p->n && c >= 0 && c < p->nchunks);
  source_reader *r = p->readers[reader];
  int got = part_read_chunk(r, c, p->lo + c * SRC_CHUNK, b, ids, e);
  pthread_mutex_lock(&p->mu);
  while (p->turn != c && !p->cancelled) pthread_cond_wait(&p->cv, &p->mu);
  if (p->cancelled) got = af_fail(e, "%s: the read was stopped", p->s->path);
  else if (got >= 0) got = part_finish(p, r, c, b, *ids, e);
  p->turn++;
  pthread_cond_broadcast(&p->cv);
  pthread_mutex_unlock(&p->mu);
  return got;
}

void source_parts_cancel(source_parts *p) {
  pthread_mutex_lock(&p->mu);
  p->cancelled = 1;
  pthread_cond_broadcast(&p->cv);
  pthread_mutex_unlock(&p->mu);
}

void source_parts_close(source_parts *p, source_stats *st) {
  if (!p) return;
  source_reader *r0 = p->readers[0];
  if (st && r0) {
    source_stats sum = r0->stats;
    for (int i = 1; i < p->n; i++) {
      const source_stats *t = &p->readers[i]->stats;
      sum.units += t->units;
      sum.members += t->members;
      sum.orphans += t->orphans;
      sum.units_without_members += t->units_without_members;
      fingerprint_merge(r0->fp, p->readers[i]->fp);
    }
    int ordered = p->key_ordered;
    for (int i = 0; i < p->n; i++) ordered &= p->readers[i]->key_ordered;
    fingerprint_final(r0->fp, (uint64_t)sum.units, (uint64_t)sum.members, (uint64_t)sum.orphans,
                      sum.sha256);
    sum.order = ordered ? SOURCE_KEY : SOURCE_STORED;
    *st = sum;
  }
  if (p->nchunks) {
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
  }
  for (int i = 0; i < p->n; i++) {
    part_free_reader(p->readers[i]);
    source_close(p->conns[i]);
  }
  free(p->readers);
  free(p->conns);
  free(p->lastbuf);
  free(p);
}
